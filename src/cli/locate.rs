//! `towerwatch locate`: where a transmitter is, from power-versus-position samples.

use super::input::*;
use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use std::path::PathBuf;
use towerwatch_dsp::arfcn::{Band, Direction};

#[derive(Args, Debug)]
pub(crate) struct LocateArgs {
    /// A `replay` JSON-lines log whose observations carry positions (replay --gpsd, --nmea or
    /// --position), or a CSV of `lat,lon,power_dbfs` (`.csv`).
    pub(crate) input: PathBuf,
    /// ARFCN of the transmitter's carrier (needed for a replay log).
    #[arg(long)]
    pub(crate) arfcn: Option<u16>,
    /// Band of --arfcn (gsm850, p-gsm900, e-gsm900, r-gsm900, dcs1800, pcs1900; short forms such as egsm or dcs work too); without it the ARFCN
    /// alone is matched.
    #[arg(long, value_parser = parse_band)]
    pub(crate) band: Option<Band>,
    /// Write the samples, track, estimate and its circle as GeoJSON.
    #[arg(long, value_name = "FILE")]
    pub(crate) geojson: Option<PathBuf>,
    /// Write the same as KML.
    #[arg(long, value_name = "FILE")]
    pub(crate) kml: Option<PathBuf>,
    /// Print the estimate as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Lowest path-loss exponent to fit.
    #[arg(long, default_value_t = 1.6, value_parser = parse_positive)]
    pub(crate) min_exponent: f64,
    /// Highest path-loss exponent to fit.
    #[arg(long, default_value_t = 5.0, value_parser = parse_positive)]
    pub(crate) max_exponent: f64,
}

/// `towerwatch locate`: estimate a transmitter's position from power-versus-position samples.
pub(crate) fn locate(a: LocateArgs) -> Result<u8> {
    use crate::locate::{ChannelKey, LocateConfig, Method};
    let text = crate::limits::read_text_capped(
        &a.input,
        crate::limits::MAX_LISTING_BYTES,
        "a locate input",
    )?;
    let is_csv = a
        .input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        || !text.trim_start().starts_with('{');
    let (samples, label) = if is_csv {
        let s =
            crate::locate::read_csv(&text).map_err(|e| anyhow!("{}: {e}", a.input.display()))?;
        (s, a.input.display().to_string())
    } else {
        let arfcn = a.arfcn.ok_or_else(|| {
            anyhow!(
                "{}: a replay log holds many channels: give --arfcn (and --band)",
                a.input.display()
            )
        })?;
        let freq_hz = match a.band {
            Some(b) => Some(
                b.freq_hz(arfcn, Direction::Downlink)
                    .ok_or_else(|| anyhow!("ARFCN {arfcn} is not in band {b}"))?,
            ),
            None => None,
        };
        let (s, c) = crate::locate::samples_from_jsonl(&text, ChannelKey { arfcn, freq_hz });
        eprintln!(
            "towerwatch locate: {} spectrum observations: {} with a position and ARFCN {arfcn}, {} without a position (GPS lost or absent), {} without the channel; {} unreadable lines",
            c.spectra,
            s.len(),
            c.without_position,
            c.without_channel,
            c.bad_lines
        );
        let label = match a.band {
            Some(b) => format!("{b} ARFCN {arfcn}"),
            None => format!("ARFCN {arfcn}"),
        };
        (s, label)
    };
    if samples.is_empty() {
        bail!(
            "{}: no samples with a position and a power",
            a.input.display()
        );
    }
    let cfg = LocateConfig {
        n_min: a.min_exponent,
        n_max: a.max_exponent,
        ..LocateConfig::default()
    };
    let est =
        crate::locate::locate(&samples, &cfg).map_err(|e| anyhow!("{}: {e}", a.input.display()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&est)?);
    } else {
        println!(
            "transmitter {label}: {:.6},{:.6} ± {} m (95 %)",
            est.lat_deg, est.lon_deg, est.radius_m
        );
        match est.method {
            Method::PathLoss => println!(
                "  path-loss fit over {} samples along {} m: exponent {}, {} dBFS at 100 m, residual σ {} dB",
                est.samples,
                est.route_m,
                est.exponent.unwrap_or(f64::NAN),
                est.power_at_100m_dbfs.unwrap_or(f64::NAN),
                est.residual_sigma_db.unwrap_or(f64::NAN)
            ),
            Method::WeightedCentroid => println!(
                "  weighted centroid of {} samples ({})",
                est.samples,
                est.fallback_reason.as_deref().unwrap_or("fallback")
            ),
        }
        if let Some([la, lo]) = est.alternative {
            println!(
                "  ambiguous: {la:.6},{lo:.6} fits about as well (mirror image across the route; drive a second, crossing route)"
            );
        }
    }
    if let Some(p) = &a.geojson {
        let doc = crate::locate::geojson(&samples, &est, &label);
        crate::source::sigmf::write_private(
            p,
            (serde_json::to_string_pretty(&doc)? + "\n").as_bytes(),
        )
        .with_context(|| format!("{}", p.display()))?;
    }
    if let Some(p) = &a.kml {
        crate::source::sigmf::write_private(
            p,
            crate::locate::kml(&samples, &est, &label).as_bytes(),
        )
        .with_context(|| format!("{}", p.display()))?;
    }
    Ok(0)
}
