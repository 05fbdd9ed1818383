//! Live receivers on the command line (feature `soapy`): `towerwatch devices` and `--device ARGS`
//! for every command that reads samples.

use crate::profile::Profile;
use crate::source::SampleSource;
use crate::source::soapy::{LiveConfig, SoapySource, list_devices};
use anyhow::{Result, anyhow};

/// Print the SoapySDR devices found.
pub fn print_devices() -> Result<u8> {
    let devs = list_devices()?;
    if devs.is_empty() {
        println!(
            "no SoapySDR device found (is the driver module installed? try `SoapySDRUtil --find`)"
        );
    }
    for d in devs {
        println!(
            "{:<12} {:<32} {}",
            d.driver,
            d.label.as_deref().unwrap_or("-"),
            d.args
        );
    }
    Ok(0)
}

/// Open a live receiver from the command-line settings. The profile (if given) supplies the
/// default rate, clock ppm and gains; explicit flags win.
pub fn open_device(
    args: &str,
    profile: Option<&str>,
    rate_sps: Option<f64>,
    freq_hz: Option<f64>,
    gain_db: Option<f64>,
    ppm: Option<f64>,
) -> Result<Box<dyn SampleSource>> {
    let freq = freq_hz.ok_or_else(|| anyhow!("--freq HZ is needed for a live receiver"))?;
    let mut cfg = match profile {
        Some(id) => LiveConfig::from_profile(Profile::by_id(id)?, freq),
        None => LiveConfig {
            frequency_hz: freq,
            ..LiveConfig::default()
        },
    };
    if let Some(r) = rate_sps {
        cfg.sample_rate_sps = r;
    }
    if gain_db.is_some() {
        cfg.gain_db = gain_db;
    }
    if let Some(p) = ppm {
        cfg.ppm = p;
    }
    // The project's file-playback module ends its stream when the file ends.
    cfg.end_on_stall = args.contains("driver=iqfile");
    Ok(Box::new(SoapySource::open(args, &cfg)?))
}
