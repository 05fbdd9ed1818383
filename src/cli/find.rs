//! `towerwatch find`: the finder's hot/cold indicator for one cell.

use super::stop_flag;
use super::{input::*, output::*};
use crate::observation::Observation;
use crate::pipeline::{Event, Pipeline, PipelineConfig, SpectrumStageConfig};
use anyhow::{Result, anyhow, bail};
use clap::Args;
use std::io::{IsTerminal, Write};
use towerwatch_dsp::arfcn::{Band, Direction};

#[derive(Args, Debug)]
pub(crate) struct FindArgs {
    /// The cell: an ARFCN (numbered in --band), or BAND:ARFCN (e.g. `gsm900:21`).
    pub(crate) cell: String,
    /// Band of the ARFCN.
    #[arg(long, default_value = "egsm", value_parser = parse_band)]
    pub(crate) band: Band,
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Seconds per power reading (1 ms to 1 hour).
    #[arg(long, value_name = "S", default_value_t = 0.25, value_parser = crate::limits::parse_interval_arg)]
    pub(crate) interval: f64,
    /// Smoothing time constant, seconds.
    #[arg(long, value_name = "S", default_value_t = 1.0, value_parser = parse_positive)]
    pub(crate) tau: f64,
    /// Read a recording as fast as possible instead of at its real-time pace.
    #[arg(long)]
    pub(crate) fast: bool,
    /// Print JSON lines instead of the indicator.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) gps: GpsArgs,
}

/// Parse `ARFCN` or `BAND:ARFCN`.
pub(crate) fn parse_cell(s: &str, default_band: Band) -> Result<(Band, u16)> {
    let (band, n) = match s.split_once(':') {
        Some((b, n)) => (parse_band(b).map_err(|e| anyhow!("{e}"))?, n),
        None => (default_band, s),
    };
    let arfcn: u16 = n.trim().parse().map_err(|_| {
        anyhow!("bad cell '{s}': expected ARFCN or BAND:ARFCN (e.g. 21 or gsm900:21)")
    })?;
    Ok((band, arfcn))
}

/// `towerwatch find`: a hot/cold indicator on one cell's channel power.
pub(crate) fn find(a: FindArgs) -> Result<u8> {
    use crate::finder::{HotCold, line};
    let (band, arfcn) = parse_cell(&a.cell, a.band)?;
    let freq = band
        .freq_hz(arfcn, Direction::Downlink)
        .ok_or_else(|| anyhow!("ARFCN {arfcn} is not in band {band}"))?;
    let mut input = a.input.clone();
    let live = input.device.is_some();
    if live && input.freq.is_none() {
        // Tune 300 kHz beside the cell: the receiver's DC spike stays out of its channel.
        input.freq = Some(freq + 300e3);
    }
    let src = open_input(&input)?;
    let info = src.info().clone();
    let half_usable = info.sample_rate_sps * crate::observation::USABLE_FRACTION / 2.0;
    if (freq - src.frequency_hz()).abs() > half_usable {
        bail!(
            "{band} ARFCN {arfcn} ({:.1} MHz) is outside {} ({:.3} MHz ± {:.3} MHz usable)",
            freq / 1e6,
            info.description,
            src.frequency_hz() / 1e6,
            half_usable / 1e6
        );
    }
    let gps = a.gps.open(!live)?;
    let cfg = PipelineConfig {
        realtime: !live && !a.fast,
        max_samples: max_samples(&input, src.as_ref()),
        ..PipelineConfig::default()
    };
    let spec = SpectrumStageConfig {
        interval_s: a.interval,
        ..SpectrumStageConfig::default()
    };
    let pipeline = Pipeline::start(src, &cfg, spec, None, stop_flag())?;
    let mut hc = HotCold::new(a.tau, 3.0, 0.3);
    let label = format!("{band} ARFCN {arfcn} {:.1} MHz", freq / 1e6);
    let tty = std::io::stdout().is_terminal() && !a.json;
    let mut out = std::io::stdout().lock();
    let mut readings = 0u64;
    for ev in pipeline.events.iter() {
        let Event::Observation(o) = ev else { continue };
        let Observation::Spectrum(s) = *o else {
            continue;
        };
        let Some(ch) = s.channels.iter().find(|c| (c.freq_hz - freq).abs() < 1e3) else {
            continue;
        };
        let Some(r) = hc.update(s.time_s, ch.power_dbfs) else {
            continue;
        };
        readings += 1;
        let pos = gps.as_ref().map(|g| g.at(Some(s.time_s)));
        if a.json {
            let mut v = serde_json::to_value(r)?;
            v["type"] = serde_json::json!("find");
            v["band"] = serde_json::json!(band);
            v["arfcn"] = serde_json::json!(arfcn);
            v["snr_db"] = serde_json::json!(ch.snr_db);
            if let Some(p) = &pos {
                p.annotate(&mut v);
            }
            write_json_line(&mut out, &v)?;
        } else {
            let mut l = line(&label, &r);
            if let Some(p) = &pos {
                l.push_str("  ");
                l.push_str(&p.short());
            }
            if tty {
                write!(out, "\r\x1b[2K{l}")?;
            } else {
                writeln!(out, "{l}")?;
            }
        }
        out.flush()?;
    }
    if tty {
        writeln!(out)?;
    }
    pipeline.finish()?;
    if readings == 0 {
        bail!("{}: no power readings of {label}", info.description);
    }
    Ok(0)
}
