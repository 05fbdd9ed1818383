//! `towerwatch devices`: list SoapySDR receivers.

use super::input::*;
use anyhow::{Result, bail};

#[cfg(not(feature = "soapy"))]
pub(crate) fn devices() -> Result<u8> {
    bail!("{NO_SOAPY}")
}

#[cfg(feature = "soapy")]
pub(crate) fn devices() -> Result<u8> {
    crate::live::print_devices()
}
