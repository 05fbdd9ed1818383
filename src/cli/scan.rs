//! `towerwatch scan`: sweep a GSM band with the tuner (or a virtual tuner over a recording);
//! `--tech lte` sweeps the downlink EARFCNs of an LTE band instead (`scan_lte`).

use super::input::*;
use super::stop_flag;
use crate::monitor::Monitor;
use crate::pipeline::Pipeline;
use crate::source::SampleSource;
use crate::source::tuner::{TunerConfig, VirtualTuner};
use anyhow::Result;
use clap::Args;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use towerwatch_dsp::arfcn::Band;

#[derive(Args, Debug)]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Band to sweep: gsm850, p-gsm900, e-gsm900, r-gsm900, dcs1800, pcs1900 (short forms such as
    /// egsm or dcs work too); with --tech lte an E-UTRA band number (1, 3, 5, 7, 8, 20, 28, 38,
    /// 39, 40, 41).
    #[arg(long)]
    pub(crate) band: String,
    /// Technology to sweep: gsm (carriers, SCH, SI) or lte (every downlink EARFCN of the band:
    /// cell search, MIB, SIB1 when the rate carries the cell; the tuner needs 1.92 MS/s).
    #[arg(long, value_enum, default_value = "gsm")]
    pub(crate) tech: TechArg,
    /// Only channels at or above this frequency (Hz).
    #[arg(long, value_name = "HZ", value_parser = crate::limits::parse_freq_arg)]
    pub(crate) from: Option<f64>,
    /// Only channels at or below this frequency (Hz).
    #[arg(long, value_name = "HZ", value_parser = crate::limits::parse_freq_arg)]
    pub(crate) to: Option<f64>,
    /// Sweeps over the band (default: 1 on a recording, until Ctrl-C live).
    #[arg(long)]
    pub(crate) rounds: Option<u32>,
    /// Seconds of signal per step to look for FCCH (GSM; default 0.3), or per EARFCN for PSS,
    /// SSS and two PBCH periods (LTE; default 0.08).
    #[arg(long, value_parser = parse_positive)]
    pub(crate) dwell: Option<f64>,
    /// At most this many seconds at a step while its carriers have not sent SI1–SI4.
    #[arg(long, default_value_t = 2.5, value_parser = parse_positive)]
    pub(crate) camp: f64,
    /// Virtual tuner rate over a recording (or --virtual-tuner), S/s (default: half the
    /// recording's rate).
    #[arg(long, value_name = "SPS", value_parser = crate::limits::parse_rate_arg)]
    pub(crate) tuner_rate: Option<f64>,
    /// Usable bandwidth per step, Hz (default: the hardware profile's, else 80% of the rate).
    #[arg(long, value_name = "HZ", value_parser = parse_positive)]
    pub(crate) bandwidth: Option<f64>,
    /// Treat the --device stream as a wideband capture and hop a virtual tuner over it (e.g.
    /// the iqfile playback module, which cannot retune).
    #[arg(long)]
    pub(crate) virtual_tuner: bool,
    /// Print the final table as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Open the dashboard (the default when stdin and stdout are a terminal).
    #[arg(long, conflicts_with_all = ["json", "text"])]
    pub(crate) tui: bool,
    /// Print the live table as text instead of opening the dashboard.
    #[arg(long, conflicts_with = "json")]
    pub(crate) text: bool,
    #[command(flatten)]
    pub(crate) gps: GpsArgs,
    #[command(flatten)]
    pub(crate) detect: DetectArgs,
    #[command(flatten)]
    pub(crate) mqtt: super::mqtt::MqttArgs,
}

/// Detectors the scan always turns off: `transient_cell` (a cell the tuner has moved away from
/// is not heard, which is not the cell vanishing).
pub(crate) const SCAN_DISABLED: &[&str] = &["transient_cell"];

pub(crate) fn scan(a: ScanArgs) -> Result<u8> {
    if a.tech != TechArg::Gsm {
        anyhow::bail!("scan sweeps one technology at a time: --tech gsm or lte");
    }
    let band = parse_band(&a.band).map_err(|e| anyhow::anyhow!(e))?;
    use crate::pipeline::scan::ScanConfig;
    let profile = match a.input.profile.as_deref() {
        None => None,
        Some(p) if p.ends_with(".toml") => Some(crate::profile::Profile::load(p)?),
        Some(id) => Some(crate::profile::Profile::by_id(id)?),
    };
    let live = a.input.device.is_some();
    let range_hz = match (a.from, a.to) {
        (None, None) => None,
        (f, t) => Some((f.unwrap_or(0.0), t.unwrap_or(f64::MAX))),
    };
    let mut input = a.input.clone();
    if live && !a.virtual_tuner && input.freq.is_none() {
        // A band sweep picks its own frequencies: the receiver opens on the first channel it
        // will visit, and the sweep retunes from there.
        input.freq = Some(initial_tune_hz(band, range_hz)?);
    }
    let mut src = sweep_source(&a, &input, live, |wide_rate| {
        Ok(a.tuner_rate.unwrap_or(if wide_rate >= 1e6 {
            wide_rate / 2.0
        } else {
            wide_rate
        }))
    })?;
    let rate = src.info().sample_rate_sps;
    let usable = a
        .bandwidth
        .or(profile
            .as_ref()
            .filter(|_| !a.virtual_tuner)
            .map(|p| p.sample_rate.usable_bandwidth_hz))
        .unwrap_or(0.8 * rate);
    let mut cfg = ScanConfig::new(band, rate, usable);
    cfg.range_hz = range_hz;
    cfg.dwell_s = a.dwell.unwrap_or(0.3);
    cfg.camp_timeout_s = a.camp;
    cfg.settle_s = if live && !a.virtual_tuner {
        profile.as_ref().map_or(0.05, |p| p.retune_settle_s)
    } else {
        0.0
    };
    cfg.rounds = a.rounds.or(if live { None } else { Some(1) });
    // An NMEA file is replayed at its own pace here: the scan has no single stream time.
    let gps = a.gps.open(false)?;
    let stop = stop_flag();
    let dashboard = a.tui
        || (!a.text
            && !a.json
            && std::io::stdout().is_terminal()
            && std::io::stdin().is_terminal());
    if dashboard {
        let how = if live && !a.virtual_tuner {
            "hopping the receiver"
        } else {
            "virtual tuner"
        };
        let description = format!("scan {band} ({how})");
        let engine = crate::alert::setup::engine_with(&a.detect.settings(), SCAN_DISABLED)?;
        let fleet = a.mqtt.open(src.info(), "scan")?;
        if let Some(f) = &fleet {
            f.quiet(); // the dashboard owns the terminal
        }
        let monitor = Monitor::new(engine, None, gps).with_fleet(fleet);
        return scan_dashboard(src, cfg, stop, description, live, monitor);
    }
    let tty = std::io::stdout().is_terminal() && !a.json;
    // The same detectors as `replay` and the dashboard: alerts after the table, exit status 10
    // by --fail-on.
    let engine = crate::alert::setup::engine_with(&a.detect.settings(), SCAN_DISABLED)?;
    let fleet = a.mqtt.open(src.info(), "scan")?;
    // The monitor holds the position source (the fleet's status and cell readings need it; with
    // no evidence recorder it changes nothing else).
    let mut monitor = Monitor::new(engine, None, gps).with_fleet(fleet);
    let mut latest: Vec<crate::alert::Alert> = Vec::new();
    let table = crate::pipeline::scan::run_scan_observed(
        src.as_mut(),
        cfg,
        &stop,
        |t| {
            if tty {
                print!("\x1b[2J\x1b[H{}", t.render());
                let _ = std::io::stdout().flush();
            }
        },
        &mut |o, _| {
            for al in monitor.feed(o).alerts {
                match latest.iter_mut().find(|l| l.id == al.id) {
                    Some(l) => *l = al,
                    None => latest.push(al),
                }
            }
        },
    )?;
    let position = monitor.gps().map(|g| g.at(None));
    if a.json {
        let mut doc = serde_json::json!({
            "receiver_ppm": table.receiver_ppm().map(crate::num::tidy),
            "rounds_done": table.rounds_done,
            "steps_visited": table.steps_visited,
            "cells": table.rows.values().map(|r| {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                v["corrected_ppm"] = serde_json::json!(table.corrected_ppm(r).map(crate::num::tidy));
                v
            }).collect::<Vec<_>>(),
        });
        if let Some(p) = &position {
            p.annotate(&mut doc);
        }
        if monitor.engine().is_some() {
            doc["alerts"] = serde_json::to_value(&latest)?;
        }
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!("{}", table.render());
        if let Some(p) = &position {
            println!("position at the end of the scan: {}", p.short());
        }
        print_latest_alerts(&monitor, &latest);
    }
    monitor.finish_fleet();
    Ok(monitor.exit_status(a.detect.fail_on))
}

/// Where a live receiver opens for a band sweep given no `--freq`: the sweep's first channel.
pub(crate) fn initial_tune_hz(band: Band, range_hz: Option<(f64, f64)>) -> Result<f64> {
    crate::pipeline::scan::band_channels(band, range_hz)
        .first()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("no {band} channel between --from and --to"))
}

/// `towerwatch scan` on a terminal: the sweep runs in its own thread and feeds the dashboard
/// (spectrum of each step, carriers, cells, alerts). The transient-cell detector is off here:
/// a cell the tuner has moved away from is not heard, which is not the cell vanishing.
pub(crate) fn scan_dashboard(
    mut src: Box<dyn SampleSource>,
    cfg: crate::pipeline::scan::ScanConfig,
    stop: Arc<AtomicBool>,
    description: String,
    live: bool,
    monitor: Monitor,
) -> Result<u8> {
    use crate::pipeline::{Event, SourceReport};
    let info = src.info().clone();
    let summary = crate::tui::SourceSummary {
        description,
        live,
        sample_rate_sps: info.sample_rate_sps,
        center_freq_hz: info.center_freq_hz,
        total_samples: None,
    };
    let stop2 = stop.clone();
    let pipeline = Pipeline::spawn_custom(info, move |tx, counters| {
        let mut gone = false;
        let res = crate::pipeline::scan::run_scan_observed(
            src.as_mut(),
            cfg,
            &stop2,
            |_| {},
            &mut |o, total| {
                counters.samples_read.store(total, Ordering::Relaxed);
                if !gone {
                    gone |= tx.send(Event::Observation(Box::new(o.clone()))).is_err();
                    gone |= tx.send(Event::Progress(total)).is_err();
                }
            },
        );
        match res {
            Ok(_) => Ok(SourceReport {
                samples_read: counters.samples_read.load(Ordering::Relaxed),
                stopped: stop2.load(Ordering::Relaxed),
                ..SourceReport::default()
            }),
            Err(e) => Err(crate::source::SourceError::Unsupported(e.to_string())),
        }
    })?;
    crate::tui::run(
        pipeline,
        crate::tui::TuiOptions {
            source: summary,
            pace: None,
            stop,
            export_dir: PathBuf::from("."),
            baseline_path: None,
            record: None,
        },
        monitor,
    )
}

/// The scan's closing list: the latest state of each alert (nothing when detection is off).
pub(crate) fn print_latest_alerts(
    monitor: &crate::monitor::Monitor,
    latest: &[crate::alert::Alert],
) {
    if monitor.engine().is_none() {
        return;
    }
    println!("\nalerts (latest state of each):");
    if latest.is_empty() {
        println!("  (none)");
    }
    for al in latest {
        println!("{}", crate::demo::event_line(al));
    }
}

/// What a sweep reads: the receiver itself when it tunes (live, no `--virtual-tuner`), else a
/// virtual tuner over the input at the rate `tuner_rate(input rate)` picks (a recording is
/// reopened to rewind on every retune).
pub(crate) fn sweep_source(
    a: &ScanArgs,
    input: &super::input::InputArgs,
    live: bool,
    tuner_rate: impl FnOnce(f64) -> Result<f64>,
) -> Result<Box<dyn SampleSource>> {
    let wide = open_input(input)?;
    if live && !a.virtual_tuner {
        return Ok(wide);
    }
    let rate = tuner_rate(wide.info().sample_rate_sps)?;
    let cfg = TunerConfig {
        rate_sps: rate,
        bandwidth_hz: a.bandwidth.unwrap_or(0.8 * rate).min(rate),
        rewind_on_retune: !live,
        looped: !live,
    };
    let opener: Option<crate::source::tuner::Opener> = if live {
        None
    } else {
        let input = a.input.clone();
        Some(Box::new(move || {
            open_input(&input).map_err(|e| crate::source::SourceError::Unsupported(e.to_string()))
        }))
    };
    Ok(Box::new(VirtualTuner::new(wide, opener, cfg)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_sweep_opens_on_its_first_channel() {
        // E-GSM downlink starts at ARFCN 975, 925.2 MHz.
        let f = initial_tune_hz(Band::EGsm900, None).unwrap();
        assert!((f - 925.2e6).abs() < 1.0, "{f}");
        let f = initial_tune_hz(Band::Dcs1800, Some((1850e6, 1860e6))).unwrap();
        assert!((1850e6..=1860e6).contains(&f), "{f}");
        assert!(initial_tune_hz(Band::EGsm900, Some((1.0e9, 1.1e9))).is_err());
    }

    #[test]
    fn a_band_has_one_spelling_in_text_and_json() {
        for b in towerwatch_dsp::arfcn::ALL_BANDS {
            assert_eq!(serde_json::to_value(b).unwrap(), b.name());
            assert_eq!(b.to_string(), b.name());
        }
    }
}
