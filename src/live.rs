//! Live receivers for the CLI (feature `soapy`): command-line flags → [`LiveConfig`] → [`SoapySource`].

use crate::profile::Profile;
use crate::source::SampleSource;
use crate::source::soapy::{LiveConfig, SoapySource, list_devices};
use anyhow::{Context, Result};
use std::path::Path;

/// `towerwatch devices`: one line per device, the args string first (paste it into `--device`).
pub fn print_devices() -> Result<u8> {
    let devices = list_devices()?;
    if devices.is_empty() {
        eprintln!(
            "no SoapySDR devices found: is the receiver plugged in and its driver module installed? \
             (`SoapySDRUtil --info` lists the modules, e.g. apt-get install soapysdr-module-rtlsdr)"
        );
        return Ok(1);
    }
    for d in devices {
        println!("{}\t{}", d.args, d.label.unwrap_or_default());
    }
    Ok(0)
}

/// Open `--device ARGS` with an optional `--profile ID|FILE.toml` and flag overrides.
pub fn open_device(
    args: &str,
    profile: Option<&str>,
    rate_sps: Option<f64>,
    freq_hz: Option<f64>,
    gain_db: Option<f64>,
    ppm: Option<f64>,
    reconnect_attempts: u32,
) -> Result<Box<dyn SampleSource>> {
    let profile = match profile {
        None => None,
        Some(p) if p.ends_with(".toml") || Path::new(p).is_file() => Some(Profile::load(p)?),
        Some(id) => Some(Profile::by_id(id)?),
    };
    let arg = |key: &str| {
        args.split(',').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    let iqfile = arg("driver").as_deref() == Some("iqfile");
    // A file played through the iqfile module knows its own rate and frequency.
    let rate_sps = rate_sps.or_else(|| {
        if iqfile {
            arg("rate")?.parse().ok()
        } else {
            None
        }
    });
    let freq_hz = freq_hz
        .or_else(|| {
            if iqfile {
                arg("freq")?.parse().ok()
            } else {
                None
            }
        })
        .context("give the centre frequency with --freq HZ")?;
    let mut cfg = match profile {
        Some(p) => LiveConfig::from_profile(p, freq_hz),
        None => LiveConfig {
            frequency_hz: freq_hz,
            ..LiveConfig::default()
        },
    };
    if let Some(r) = rate_sps {
        cfg.sample_rate_sps = r;
    }
    cfg.gain_db = gain_db;
    if let Some(p) = ppm {
        cfg.ppm = p;
    }
    // Playback without loop=1 ends at end of file instead of failing as a stalled receiver.
    cfg.end_on_stall = iqfile && arg("loop").as_deref() != Some("1");
    cfg.reconnect = crate::source::soapy::Reconnect {
        attempts: reconnect_attempts,
        ..crate::source::soapy::Reconnect::OFF
    };
    Ok(Box::new(SoapySource::open(args, &cfg)?))
}
