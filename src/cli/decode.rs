//! `towerwatch decode`: a gr-gsm-like frame listing and a cell summary.

use super::{input::*, run::*};
use crate::observation::Observation;
use crate::pipeline::gsm::GsmStageConfig;
use anyhow::{Result, anyhow};
use clap::Args;
use towerwatch_dsp::arfcn::{Band, Direction};
use towerwatch_dsp::gsm::l3::CellSummary;

/// Which technology `decode` looks for.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tech {
    /// GSM downlink carriers: frames and cell summaries.
    Gsm,
    /// LTE downlink cells: PCI, measurements, MIB.
    Lte,
}

#[derive(Args, Debug)]
pub(crate) struct DecodeArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Technology: gsm (frames, cell summaries) or lte (cell search, measurements, MIB).
    #[arg(long, value_enum, default_value = "gsm")]
    pub(crate) tech: Tech,
    /// Decode only this ARFCN (numbered in --band).
    #[arg(long, conflicts_with = "carrier")]
    pub(crate) arfcn: Option<u16>,
    /// Band of --arfcn: gsm850, p-gsm900, e-gsm900, r-gsm900, dcs1800, pcs1900; short forms such as egsm or dcs work too.
    #[arg(long, default_value = "egsm", value_parser = parse_band)]
    pub(crate) band: Band,
    /// Decode only the carrier at this frequency (Hz). Without --arfcn/--carrier, every carrier
    /// in the recording's bandwidth is found and decoded.
    #[arg(long, value_name = "HZ", value_parser = crate::limits::parse_freq_arg)]
    pub(crate) carrier: Option<f64>,
    /// Show subscriber identities (IMSI/TMSI) and SMS content in clear. Default: masked.
    #[arg(long)]
    pub(crate) reveal_identities: bool,
    /// Print one JSON document (frames and cell summaries) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) sinks: SinkArgs,
}

/// What `decode` gathers per carrier.
#[derive(Default, serde::Serialize)]
pub(crate) struct CellReport {
    pub(crate) band: Option<Band>,
    pub(crate) arfcn: u16,
    pub(crate) freq_hz: f64,
    pub(crate) bsic: Option<u8>,
    pub(crate) sch_decodes: u64,
    pub(crate) freq_offset_hz: Option<f64>,
    pub(crate) freq_offset_ppm: Option<f64>,
    pub(crate) uncertainty_hz: Option<f64>,
    pub(crate) summary: CellSummary,
    pub(crate) frames: Vec<(u32, String, String)>,
    /// Dedicated frames: (FN, "TS1 SDCCH/8 sub 3" …, name, hex).
    pub(crate) dedicated: Vec<(u32, String, String, String)>,
    /// Dedicated messages by name.
    pub(crate) dedicated_counts: std::collections::BTreeMap<String, u64>,
    pub(crate) counters: Option<crate::observation::gsm::CarrierCounters>,
}

pub(crate) fn decode(a: DecodeArgs) -> Result<u8> {
    if a.tech == Tech::Lte {
        return super::decode_lte::run(&a.input, a.json);
    }
    let src = open_input(&a.input)?;
    let centre_unknown = src.info().center_freq_hz <= 0.0;
    if centre_unknown {
        eprintln!(
            "towerwatch: warning: {}: the centre frequency is unknown (0 Hz), so no carrier can be \
             placed in a GSM band: give it with --freq HZ",
            crate::term::escape(&src.info().description)
        );
    }
    let mut fixed = Vec::new();
    if let Some(n) = a.arfcn {
        fixed.push(
            a.band
                .freq_hz(n, Direction::Downlink)
                .ok_or_else(|| anyhow!("ARFCN {n} is not in band {}", a.band))?,
        );
    }
    if let Some(f) = a.carrier {
        fixed.push(f);
    }
    let opts = RunOpts {
        lte: None,
        output: JsonOut::Discard,
        interval_s: 1e9,
        include_psd: false,
        realtime: false,
        speed: 1.0,
        gsm: Some(GsmStageConfig {
            fixed_carriers_hz: fixed,
            reveal_identities: a.reveal_identities,
            ..GsmStageConfig::default()
        }),
        report_every_s: None,
        fail_on: crate::detect::Severity::Medium,
    };
    let mut cells: std::collections::BTreeMap<(u16, u64), CellReport> = Default::default();
    let key = |arfcn: u16, f: f64| (arfcn, f as u64);
    let mut sink = open_sinks(&a.sinks, a.reveal_identities, src.as_ref())?;
    run_replay(src, &a.input, opts, None, |o| {
        if let Some(s) = sink.as_mut() {
            s.observe(o);
        }
        match o {
            Observation::Carrier(c) => {
                let r = cells.entry(key(c.arfcn, c.freq_hz)).or_default();
                r.band = Some(c.band);
                r.arfcn = c.arfcn;
                r.freq_hz = c.freq_hz;
                r.freq_offset_hz = Some(c.freq_offset_hz);
                r.freq_offset_ppm = c.freq_offset_ppm;
                r.uncertainty_hz = Some(c.uncertainty_hz);
            }
            Observation::Sync(s) => {
                let r = cells.entry(key(s.arfcn, 0.0)).or_default();
                r.bsic = Some(s.bsic);
                r.sch_decodes += 1;
            }
            Observation::SystemInfo(m) | Observation::Ccch(m) => {
                let r = cells.entry(key(m.arfcn, 0.0)).or_default();
                r.summary.observe(&m.parsed);
                r.frames.push((
                    m.frame_number,
                    m.name.clone(),
                    m.l2_hex.clone().unwrap_or_default(),
                ));
            }
            Observation::Dedicated(d) => {
                let r = cells.entry(key(d.arfcn, 0.0)).or_default();
                let what = format!(
                    "TS{} {}{} {}",
                    d.timeslot,
                    d.channel.to_uppercase(),
                    if d.timeslot == 0 { "/4" } else { "/8" },
                    d.sub_channel
                );
                r.dedicated.push((
                    d.frame_number,
                    what,
                    format!("{} {}", d.name, d.lapdm),
                    d.l2_hex.clone().unwrap_or_default(),
                ));
                *r.dedicated_counts.entry(d.name.clone()).or_default() += 1;
            }
            Observation::DecodeStats(d) => {
                let r = cells.entry(key(d.arfcn, 0.0)).or_default();
                r.counters = Some(d.counters.clone());
            }
            _ => {}
        }
    })?;
    finish_sinks(sink)?;
    // Merge the per-frequency carrier entries into the per-ARFCN ones.
    let mut merged: std::collections::BTreeMap<u16, CellReport> = Default::default();
    for ((arfcn, _), r) in cells {
        let m = merged.entry(arfcn).or_default();
        m.arfcn = arfcn;
        if r.band.is_some() {
            m.band = r.band;
            m.freq_hz = r.freq_hz;
            m.freq_offset_hz = r.freq_offset_hz;
            m.freq_offset_ppm = r.freq_offset_ppm;
            m.uncertainty_hz = r.uncertainty_hz;
        }
        m.bsic = m.bsic.or(r.bsic);
        m.sch_decodes += r.sch_decodes;
        if !r.frames.is_empty() {
            m.summary = r.summary;
            m.frames = r.frames;
        }
        if !r.dedicated.is_empty() {
            m.dedicated = r.dedicated;
            m.dedicated_counts = r.dedicated_counts;
        }
        m.counters = m.counters.take().or(r.counters);
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&merged.values().collect::<Vec<_>>())?
        );
        return Ok(0);
    }
    if merged.is_empty() {
        if centre_unknown {
            println!("no GSM carrier found (the centre frequency is unknown: give --freq HZ)");
        } else {
            println!("no GSM carrier found");
        }
    }
    for r in merged.values() {
        print_cell(r);
    }
    Ok(0)
}

pub(crate) fn print_cell(r: &CellReport) {
    let band = r.band.map_or("?".to_string(), |b| b.to_string());
    println!("# ARFCN {} ({band}, {:.3} MHz)", r.arfcn, r.freq_hz / 1e6);
    for (fn_, name, hex) in &r.frames {
        println!(
            "{fn_} {:<4}: {hex}   [{}]",
            r.arfcn,
            crate::term::escape(name)
        );
    }
    if !r.dedicated.is_empty() {
        println!("## dedicated channels, ARFCN {}", r.arfcn);
    }
    for (fn_, what, name, hex) in &r.dedicated {
        println!(
            "{fn_} {:<4} {what}: {hex}   [{}]",
            r.arfcn,
            crate::term::escape(name)
        );
    }
    let s = &r.summary;
    println!("== cell summary, ARFCN {}", r.arfcn);
    match r.bsic {
        Some(b) => println!(
            "  BSIC         {b} (NCC {}, BCC {}), {} SCH decodes",
            b >> 3,
            b & 7,
            r.sch_decodes
        ),
        None => println!("  BSIC         not decoded"),
    }
    if let (Some(hz), Some(u)) = (r.freq_offset_hz, r.uncertainty_hz) {
        let ppm = r
            .freq_offset_ppm
            .map_or(String::new(), |p| format!(" ({p:+.3} ppm)"));
        println!("  offset       {hz:+.1} Hz{ppm} ± {u:.1} Hz (includes the receiver's own error)");
    }
    if let Some(l) = &s.lai {
        let mnc = if l.mnc_3digits {
            format!("{:03}", l.mnc)
        } else {
            format!("{:02}", l.mnc)
        };
        let ci = s.cell_identity.map_or("?".into(), |c| c.to_string());
        println!(
            "  cell         MCC {} MNC {mnc} LAC {} CI {ci}",
            l.mcc, l.lac
        );
    }
    let list = |v: &Vec<u16>| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    if !s.cell_allocation.is_empty() {
        println!("  SI1 cells    {}", list(&s.cell_allocation));
    }
    println!(
        "  neighbours   SI2 {{{}}}  SI2bis {{{}}}  SI2ter {{{}}}",
        list(&s.si2_neighbours),
        list(&s.si2bis_neighbours),
        list(&s.si2ter_neighbours)
    );
    if let Some(c) = &s.control_channel {
        println!(
            "  control      CCCH_CONF {} BS_AG_BLKS_RES {} BS_PA_MFRMS {} T3212 {} ATT {}",
            c.ccch_conf,
            c.bs_ag_blks_res,
            c.bs_pa_mfrms,
            c.t3212,
            u8::from(c.att)
        );
    }
    if let Some(c) = &s.cell_selection {
        println!(
            "  selection    CELL_RESELECT_HYSTERESIS {} MS_TXPWR_MAX_CCH {} RXLEV_ACCESS_MIN {}",
            c.cell_reselect_hysteresis, c.ms_txpwr_max_cch, c.rxlev_access_min
        );
    }
    if let Some(t) = s.gprs_text() {
        println!("  gprs         {t}");
    }
    if let Some(p) = &s.selection {
        println!(
            "  reselection  CBQ {} CRO {} dB TEMPORARY_OFFSET {} PENALTY_TIME {}",
            u8::from(p.cbq),
            p.cell_reselect_offset_db(),
            p.temporary_offset,
            p.penalty_time
        );
    }
    let counts: Vec<String> = s
        .message_counts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!(
        "  messages     {}",
        if counts.is_empty() {
            "-".into()
        } else {
            counts.join(", ")
        }
    );
    if !s.paged_identities.is_empty() {
        let p: Vec<String> = s
            .paged_identities
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        println!("  paged        {}", p.join(", "));
    }
    println!(
        "  assignments  IA {} reject {}",
        s.immediate_assignments, s.immediate_assignment_rejects
    );
    let ded: Vec<String> = r
        .dedicated_counts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if let Some(c) = &r.counters {
        let d = &c.dedicated;
        let nf = &d.not_followed;
        if d.assignments_followed + nf.hopping + nf.other_arfcn + nf.tch + nf.other > 0 {
            println!(
                "  dedicated    {}",
                if ded.is_empty() {
                    "-".to_string()
                } else {
                    ded.join(", ")
                }
            );
            println!(
                "  SDCCH        blocks ok {} failed {} idle {}  fill {}  malformed {}  \
                 followed {} (dropped when idle {})  not followed: hopping {} other ARFCN {} TCH {} \
                 other {}",
                d.blocks.blocks_ok,
                d.blocks.blocks_failed,
                d.blocks.blocks_idle,
                d.fill_frames,
                d.malformed,
                d.assignments_followed,
                d.blocks.unfollowed_idle,
                nf.hopping,
                nf.other_arfcn,
                nf.tch,
                nf.other
            );
        }
    } else if !ded.is_empty() {
        println!("  dedicated    {}", ded.join(", "));
    }
    if let Some(c) = &r.counters {
        println!(
            "  decoding     FCCH {} SCH ok {} failed {}  blocks ok {} failed {} incomplete {}  L3 malformed {}",
            c.rx.fcch_found + c.rx.fcch_tracked,
            c.rx.sch_ok,
            c.rx.sch_failed,
            c.blocks_ok,
            c.blocks_failed,
            c.blocks_incomplete,
            c.l3_malformed
        );
    }
    println!();
}
