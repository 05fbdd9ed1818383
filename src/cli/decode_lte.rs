//! `towerwatch decode --tech lte`: LTE cells in a recording — cell search (PSS/SSS), CRS
//! measurements and the MIB (PBCH) — from `towerwatch_dsp::lte`.
//!
//! Any rate from 1.92 MS/s up is read and brought to 1.92 MS/s (the central 6 resource blocks,
//! which carry PSS, SSS and PBCH). Raw captures named after LTE-Cell-Scanner's convention
//! (`f<MHz>_s<MS/s>_…`, e.g. `f1860_s1.92_g0_1s_rtlsdr1.bin`) get their centre and rate from
//! the name, and their encoding from the device in it (`rtlsdr`: cu8, `hackrf`: cs8); flags win
//! over the name. Only cells whose MIB was decoded twice with its CRC passing are listed: a PSS/SSS
//! hit without it is counted, not shown.
//!
//! When the capture's rate carries a cell's whole bandwidth (e.g. 19.2 MS/s for 20 MHz), SIB1 is
//! decoded too (PCFICH → PDCCH with the SI-RNTI → PDSCH, its CRC-24A the proof) and printed
//! under the cell: PLMNs, TAC, cell identity and the other fields, or why it was not decoded
//! (with the counters: SIB1 subframes, DCIs found, CRC failures).

use super::input::*;
use anyhow::{Context, Result, bail};
use num_complex::Complex32;
use serde_json::json;
use std::io::Write;
use towerwatch_dsp::lte::cell::{CellConfig, CellReport, scan};
use towerwatch_dsp::lte::params::{CyclicPrefix, Duplex};
use towerwatch_dsp::lte::rrc::mib::PhichResource;
use towerwatch_dsp::lte::rrc::sib1::{Sib1, SibType};
use towerwatch_dsp::lte::search::{SearchConfig, to_search_rate};
use towerwatch_dsp::lte::sib1::{Sib1Config, Sib1Error, Sib1Report, decode_sib1};

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
    let xs = to_search_rate(&x, rate_sps)?;
    let reports = scan(&xs, &SearchConfig::default(), &CellConfig::default())?;
    let (cells, unconfirmed): (Vec<&CellReport>, Vec<&CellReport>) =
        reports.iter().partition(|r| r.mib.is_some());
    let sib_cfg = Sib1Config {
        stop_on_success: false,
        ..Sib1Config::default()
    };
    let sibs: Vec<Result<Sib1Report, Sib1Error>> = cells
        .iter()
        .map(|c| decode_sib1(&x, rate_sps, &xs, c, &sib_cfg))
        .collect();
    let centre_hz = info.center_freq_hz;
    let mut out = crate::term::stdout();
    if json {
        let doc = json!({
            "source": info.description,
            "center_freq_hz": centre_hz,
            "sample_rate_sps": rate_sps,
            "seconds": got as f64 / rate_sps,
            "cells": cells
                .iter()
                .zip(&sibs)
                .map(|(r, s)| {
                    let mut v = cell_json(r, centre_hz);
                    v["sib1"] = sib1_json(s);
                    v
                })
                .collect::<Vec<_>>(),
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
        for (r, s) in cells.iter().zip(&sibs) {
            write_cell(&mut out, r, centre_hz)?;
            write_sib1(&mut out, s, rate_sps)?;
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

fn sib_names(s: &[SibType]) -> Vec<String> {
    s.iter()
        .map(|t| match t {
            SibType::Sib(n) => format!("SIB{n}"),
            SibType::Unknown(i) => format!("SIB-ext{i}"),
        })
        .collect()
}

fn plmns(s: &Sib1) -> String {
    s.plmns
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn write_sib1(
    out: &mut dyn Write,
    s: &Result<Sib1Report, Sib1Error>,
    rate_sps: f64,
) -> std::io::Result<()> {
    let r = match s {
        Ok(r) => r,
        Err(Sib1Error::Rate { n_rb, .. }) => {
            return writeln!(
                out,
                "  SIB1 not decoded: {:.2} MS/s does not carry the cell's {n_rb} PRB",
                rate_sps / 1e6
            );
        }
        Err(e) => return writeln!(out, "  SIB1 not decoded: {e}"),
    };
    let c = &r.counters;
    let Some(d) = &r.decode else {
        return writeln!(
            out,
            "  SIB1 not decoded: {} SIB1 subframes, CFI 1/2/3 {}/{}/{}, {} DCIs with the SI-RNTI, {} CRC failures",
            c.subframes, c.cfi[0], c.cfi[1], c.cfi[2], c.dcis, c.crc_failures
        );
    };
    let s = match &d.sib1 {
        Ok(s) => s,
        Err(e) => {
            return writeln!(
                out,
                "  SIB1 CRC passed but the message does not parse ({e}): {}",
                hex(&d.bytes)
            );
        }
    };
    write!(
        out,
        "  SIB1 PLMN {}  TAC {} (0x{:04X})  cell identity {} (eNB {}, cell {})  band {}",
        plmns(s),
        s.tac,
        s.tac,
        s.cell_identity,
        s.cell_identity >> 8,
        s.cell_identity & 0xFF,
        s.freq_band_indicator
    )?;
    if let Some(t) = s.tdd_config {
        write!(
            out,
            "  TDD configuration {} special subframe {}",
            t.subframe_assignment, t.special_subframe_pattern
        )?;
    }
    writeln!(out)?;
    write!(
        out,
        "       cellBarred {}  intraFreqReselection {}  q-RxLevMin {} dBm",
        if s.cell_barred { "barred" } else { "notBarred" },
        if s.intra_freq_reselection_allowed {
            "allowed"
        } else {
            "notAllowed"
        },
        s.q_rx_lev_min_dbm()
    )?;
    if let Some(p) = s.p_max_dbm {
        write!(out, "  p-Max {p} dBm")?;
    }
    if s.csg_indication {
        write!(out, "  CSG")?;
    }
    writeln!(out)?;
    let sched: Vec<String> = s
        .scheduling_info
        .iter()
        .enumerate()
        .map(|(i, si)| {
            let mut names = sib_names(&si.sibs);
            if i == 0 {
                names.insert(0, "SIB2".to_string());
            }
            format!("rf{}: {}", si.periodicity_rf, names.join(" "))
        })
        .collect();
    writeln!(
        out,
        "       SI {}  si-Window {} ms  valueTag {}  ({}/{} SIB1 subframes with CRC passing, first SFN {}, CFI {})",
        sched.join("; "),
        s.si_window_ms,
        s.system_info_value_tag,
        c.crc_passes,
        c.subframes,
        d.sfn,
        d.cfi
    )
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|v| format!("{v:02x}")).collect()
}

fn sib1_json(s: &Result<Sib1Report, Sib1Error>) -> serde_json::Value {
    let r = match s {
        Ok(r) => r,
        Err(e) => return json!({ "decoded": false, "reason": e.to_string() }),
    };
    let counters = serde_json::to_value(r.counters).unwrap_or_default();
    let Some(d) = &r.decode else {
        return json!({ "decoded": false, "reason": "no transport block passed its CRC", "counters": counters });
    };
    let fields = d.sib1.as_ref().ok().map(|s| {
        json!({
            "plmns": s.plmns.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            "tac": s.tac,
            "cell_identity": s.cell_identity,
            "cell_barred": s.cell_barred,
            "intra_freq_reselection_allowed": s.intra_freq_reselection_allowed,
            "csg_indication": s.csg_indication,
            "q_rx_lev_min_dbm": s.q_rx_lev_min_dbm(),
            "p_max_dbm": s.p_max_dbm,
            "freq_band_indicator": s.freq_band_indicator,
            "scheduling_info": s.scheduling_info.iter().map(|si| json!({
                "periodicity_rf": si.periodicity_rf,
                "sibs": sib_names(&si.sibs),
            })).collect::<Vec<_>>(),
            "tdd_config": s.tdd_config.map(|t| json!({
                "subframe_assignment": t.subframe_assignment,
                "special_subframe_pattern": t.special_subframe_pattern,
            })),
            "si_window_ms": s.si_window_ms,
            "system_info_value_tag": s.system_info_value_tag,
        })
    });
    json!({
        "decoded": true,
        "bytes_hex": hex(&d.bytes),
        "parse_error": d.sib1.as_ref().err(),
        "fields": fields,
        "sfn": d.sfn,
        "cfi": d.cfi,
        "transmissions_combined": d.transmissions,
        "counters": counters,
    })
}
