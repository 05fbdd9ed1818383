//! `towerwatch scan --tech lte --band N`: sweep the downlink EARFCNs of an LTE band with the
//! tuner (a live receiver that can retune, or a virtual tuner over a wideband recording), dwell
//! on each long enough for PSS/SSS and two PBCH periods, list every cell found (its EARFCN, PCI,
//! MIB, RSRP, offset; SIB1 when the rate carries it) and run the detectors on them.

use super::scan::{SCAN_DISABLED, ScanArgs};
use super::stop_flag;
use crate::monitor::Monitor;
use crate::pipeline::lte_scan::{LteScanConfig, band_earfcns, run_lte_scan};
use anyhow::{Result, anyhow, bail};
use towerwatch_dsp::earfcn::{LTE_BANDS, LteBand};

/// An E-UTRA band number (`3`, `b3`, `band3`).
fn parse_lte_band(s: &str) -> Result<LteBand> {
    let t = s.trim().to_ascii_lowercase();
    let digits = t.trim_start_matches("band").trim_start_matches('b');
    let known: Vec<String> = LTE_BANDS.iter().map(|b| b.number.to_string()).collect();
    digits
        .parse::<u8>()
        .ok()
        .and_then(LteBand::by_number)
        .ok_or_else(|| {
            anyhow!(
                "unknown LTE band '{s}' (E-UTRA band numbers: {})",
                known.join(", ")
            )
        })
}

pub(crate) fn scan_lte(a: ScanArgs) -> Result<u8> {
    let band = parse_lte_band(&a.band)?;
    let range_hz = match (a.from, a.to) {
        (None, None) => None,
        (f, t) => Some((f.unwrap_or(0.0), t.unwrap_or(f64::MAX))),
    };
    let earfcns = band_earfcns(&band, range_hz);
    let Some(first) = earfcns.first() else {
        bail!("no band {} EARFCN between --from and --to", band.number);
    };
    if a.tui {
        bail!("scan --tech lte prints its table (--text or --json); the dashboard sweeps GSM");
    }
    let live = a.input.device.is_some();
    let mut input = a.input.clone();
    if live && !a.virtual_tuner && input.freq.is_none() {
        input.freq = towerwatch_dsp::earfcn::dl_freq_hz(*first);
    }
    // An LTE search needs 1.92 MS/s: the virtual tuner runs at that unless told otherwise.
    let mut src = super::scan::sweep_source(&a, &input, live, |wide_rate| {
        let rate = a.tuner_rate.unwrap_or(1.92e6);
        if rate > wide_rate {
            bail!("--tuner-rate {rate} S/s is above the recording's {wide_rate} S/s");
        }
        Ok(rate)
    })?;
    let profile_settle = match a.input.profile.as_deref() {
        None => None,
        Some(p) if p.ends_with(".toml") => Some(crate::profile::Profile::load(p)?.retune_settle_s),
        Some(id) => Some(crate::profile::Profile::by_id(id)?.retune_settle_s),
    };
    let cfg = LteScanConfig {
        earfcns,
        dwell_s: a.dwell.unwrap_or(0.08),
        settle_s: if live && !a.virtual_tuner {
            profile_settle.unwrap_or(0.05)
        } else {
            0.0
        },
        rounds: a.rounds.or(if live { None } else { Some(1) }),
    };
    let engine = crate::alert::setup::engine_with(&a.detect.settings(), SCAN_DISABLED)?;
    let mut monitor = Monitor::new(engine, None, None);
    let mut latest: Vec<crate::alert::Alert> = Vec::new();
    let stop = stop_flag();
    let table = run_lte_scan(src.as_mut(), &cfg, &stop, &mut |o, _| {
        for al in monitor.feed(o).alerts {
            match latest.iter_mut().find(|l| l.id == al.id) {
                Some(l) => *l = al,
                None => latest.push(al),
            }
        }
    })?;
    if a.json {
        let mut doc = serde_json::json!({
            "band": band.number,
            "earfcns": cfg.earfcns.len(),
            "steps_visited": table.steps_visited,
            "rounds_done": table.rounds_done,
            "cells": table.cells.rows(),
        });
        if monitor.engine().is_some() {
            doc["alerts"] = serde_json::to_value(&latest)?;
        }
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!(
            "LTE band {} scan: {} EARFCNs ({:.1}–{:.1} MHz), {} steps, {:.2} s per EARFCN",
            band.number,
            cfg.earfcns.len(),
            cfg.earfcns
                .first()
                .and_then(|e| towerwatch_dsp::earfcn::dl_freq_hz(*e))
                .unwrap_or(0.0)
                / 1e6,
            cfg.earfcns
                .last()
                .and_then(|e| towerwatch_dsp::earfcn::dl_freq_hz(*e))
                .unwrap_or(0.0)
                / 1e6,
            table.steps_visited,
            cfg.dwell_s
        );
        print!("{}", table.cells.text());
        super::scan::print_latest_alerts(&monitor, &latest);
    }
    Ok(monitor.exit_status(a.detect.fail_on))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lte_bands_parse_by_number() {
        assert_eq!(parse_lte_band("3").unwrap().number, 3);
        assert_eq!(parse_lte_band("B41").unwrap().number, 41);
        assert_eq!(parse_lte_band("band20").unwrap().number, 20);
        let e = parse_lte_band("egsm").unwrap_err().to_string();
        assert!(e.contains("E-UTRA band numbers: 1, 3"), "{e}");
    }
}
