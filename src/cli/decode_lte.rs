//! `towerwatch decode --tech lte`: LTE cells in a recording — cell search (PSS/SSS), CRS
//! measurements and the MIB (PBCH) — from `towerwatch_dsp::lte`.
//!
//! Any rate from 1.92 MS/s up is read and brought to 1.92 MS/s (the central 6 resource blocks,
//! which carry PSS, SSS and PBCH). Raw captures named after LTE-Cell-Scanner's convention
//! (`f<MHz>_s<MS/s>_…`, e.g. `f1860_s1.92_g0_1s_rtlsdr1.bin`) get their centre and rate from
//! the name, and their encoding from the device in it (`rtlsdr`: cu8, `hackrf`: cs8); flags win
//! over the name. Only cells whose MIB was decoded twice with its CRC passing are listed: a PSS/SSS
//! hit without it is counted, not shown. SIB1 is not decoded yet.

use super::input::*;
use anyhow::{Context, Result, bail};
use num_complex::Complex32;
use serde_json::json;
use std::io::Write;
use towerwatch_dsp::lte::cell::{CellConfig, CellReport, scan};
use towerwatch_dsp::lte::params::{CyclicPrefix, Duplex};
use towerwatch_dsp::lte::rrc::mib::PhichResource;
use towerwatch_dsp::lte::search::{SearchConfig, to_search_rate};

/// Seconds read when `--seconds` is not given (100 radio frames: enough for the PBCH's 40 ms
/// periods and the clock-drift fit).
const DEFAULT_SECONDS: f64 = 1.0;

/// At most this many samples are held: 2^25 complex floats, 256 MB (1.7 s at 19.2 MS/s).
const MAX_SAMPLES: usize = 1 << 25;

/// `decode --tech lte` over `input`, as text or (`json`) one JSON document.
pub(crate) fn run(input: &InputArgs, json: bool) -> Result<u8> {
    let input = with_scanner_name_hints(input);
    let mut src = open_input(&input)?;
    let info = src.info().clone();
    let rate_sps = info.sample_rate_sps;
    if rate_sps < 1.92e6 - 1.0 {
        bail!(
            "{}: {} S/s is below the 1.92 MS/s an LTE cell search needs",
            info.description,
            rate_sps
        );
    }
    let seconds = input.seconds.unwrap_or(DEFAULT_SECONDS);
    let want = ((seconds * rate_sps).round() as usize).min(MAX_SAMPLES);
    let mut x = vec![Complex32::new(0.0, 0.0); want];
    let mut got = 0;
    while got < want {
        let n = src
            .read(&mut x[got..])
            .with_context(|| info.description.clone())?;
        if n == 0 {
            break;
        }
        got += n;
    }
    x.truncate(got);
    let x = to_search_rate(&x, rate_sps)?;
    let reports = scan(&x, &SearchConfig::default(), &CellConfig::default())?;
    let (cells, unconfirmed): (Vec<&CellReport>, Vec<&CellReport>) =
        reports.iter().partition(|r| r.mib.is_some());
    let centre_hz = info.center_freq_hz;
    let mut out = crate::term::stdout();
    if json {
        let doc = json!({
            "source": info.description,
            "center_freq_hz": centre_hz,
            "sample_rate_sps": rate_sps,
            "seconds": got as f64 / rate_sps,
            "cells": cells.iter().map(|r| cell_json(r, centre_hz)).collect::<Vec<_>>(),
            "candidates_without_mib": unconfirmed.len(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        writeln!(
            out,
            "LTE cells in {} ({:.2} MS/s at {:.3} MHz, {:.2} s)",
            crate::term::escape(&info.description),
            rate_sps / 1e6,
            centre_hz / 1e6,
            got as f64 / rate_sps
        )?;
        if cells.is_empty() {
            writeln!(out, "  no cell (no MIB decoded)")?;
        }
        for r in &cells {
            write_cell(&mut out, r, centre_hz)?;
        }
        if !unconfirmed.is_empty() {
            writeln!(
                out,
                "  {} PSS/SSS candidate(s) without a MIB not listed",
                unconfirmed.len()
            )?;
        }
    }
    out.flush()?;
    Ok(0)
}

fn ng(r: PhichResource) -> &'static str {
    match r {
        PhichResource::OneSixth => "1/6",
        PhichResource::Half => "1/2",
        PhichResource::One => "1",
        PhichResource::Two => "2",
    }
}

fn duplex(d: Duplex) -> &'static str {
    match d {
        Duplex::Fdd => "FDD",
        Duplex::Tdd => "TDD",
    }
}

fn cp(c: CyclicPrefix) -> &'static str {
    match c {
        CyclicPrefix::Normal => "normal",
        CyclicPrefix::Extended => "extended",
    }
}

/// Frequency offset of the cell (Hz) and its uncertainty.
fn offset(r: &CellReport) -> (f64, Option<f64>) {
    match &r.measurement {
        Some(m) => (m.cfo_hz, Some(m.cfo_uncertainty_hz)),
        None => (r.candidate.cfo_hz, None),
    }
}

fn write_cell(out: &mut dyn Write, r: &CellReport, centre_hz: f64) -> std::io::Result<()> {
    let (cfo, unc) = offset(r);
    write!(
        out,
        "PCI {:<3}  {}  {} CP  offset {:+.1} Hz",
        r.candidate.pci,
        duplex(r.candidate.duplex),
        cp(r.candidate.cp),
        cfo
    )?;
    if let Some(u) = unc {
        write!(out, " ± {u:.1}")?;
    }
    if centre_hz > 0.0 {
        write!(out, " ({:+.2} ppm)", cfo / centre_hz * 1e6)?;
    }
    if let Some(m) = &r.measurement {
        write!(
            out,
            "  RSRP {:.1} dBFS  RSRQ {:.1} dB  SINR {:.1} dB",
            m.rsrp_dbfs, m.rsrq_db, m.sinr_db
        )?;
    }
    if let Some(c) = r.clock_error_ppm {
        write!(out, "  sample clock {c:+.1} ppm")?;
    }
    writeln!(out)?;
    if let Some(mib) = &r.mib {
        match &mib.fields {
            Some(f) => writeln!(
                out,
                "  MIB  bandwidth {} PRB  PHICH {} duration, Ng {}  SFN {}  antenna ports {}  ({} PBCH decodes)",
                f.bandwidth_rb,
                if f.phich_extended {
                    "extended"
                } else {
                    "normal"
                },
                ng(f.phich_resource),
                mib.sfn_at_first_frame,
                mib.ports,
                mib.decodes
            )?,
            None => writeln!(
                out,
                "  MIB  spare dl-Bandwidth code  SFN {}  antenna ports {}",
                mib.sfn_at_first_frame, mib.ports
            )?,
        }
    }
    Ok(())
}

fn cell_json(r: &CellReport, centre_hz: f64) -> serde_json::Value {
    let (cfo, unc) = offset(r);
    let mib = r.mib.as_ref().map(|m| {
        json!({
            "bits": m.bits.iter().map(|b| char::from(b'0' + (b & 1))).collect::<String>(),
            "bandwidth_prb": m.fields.as_ref().map(|f| f.bandwidth_rb),
            "phich_extended": m.fields.as_ref().map(|f| f.phich_extended),
            "phich_ng": m.fields.as_ref().map(|f| ng(f.phich_resource)),
            "sfn_at_first_frame": m.sfn_at_first_frame,
            "antenna_ports": m.ports,
            "pbch_decodes": m.decodes,
        })
    });
    json!({
        "pci": r.candidate.pci,
        "duplex": duplex(r.candidate.duplex),
        "cyclic_prefix": cp(r.candidate.cp),
        "freq_offset_hz": cfo,
        "freq_offset_uncertainty_hz": unc,
        "freq_offset_ppm": (centre_hz > 0.0).then(|| cfo / centre_hz * 1e6),
        "rsrp_dbfs": r.measurement.as_ref().map(|m| m.rsrp_dbfs),
        "rsrq_db": r.measurement.as_ref().map(|m| m.rsrq_db),
        "sinr_db": r.measurement.as_ref().map(|m| m.sinr_db),
        "sample_clock_ppm": r.clock_error_ppm,
        "sss_quality": r.candidate.sss_quality,
        "mib": mib,
    })
}
