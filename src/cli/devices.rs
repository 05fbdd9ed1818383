//! `towerwatch devices`: list SoapySDR receivers.

use anyhow::Result;

#[cfg(not(feature = "soapy"))]
pub(crate) fn devices() -> Result<u8> {
    anyhow::bail!("{}", super::input::NO_SOAPY)
}

#[cfg(feature = "soapy")]
pub(crate) fn devices() -> Result<u8> {
    crate::live::print_devices()
}
