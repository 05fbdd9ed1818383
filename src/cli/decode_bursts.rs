//! `towerwatch decode-bursts`: decode a gr-gsm-style burst listing.

use anyhow::{Result, bail};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use towerwatch_dsp::gsm::l3::CellSummary;

#[derive(Args, Debug)]
pub(crate) struct DecodeBurstsArgs {
    /// The burst listing.
    pub(crate) file: PathBuf,
    /// Also decode these timeslots as SDCCH/8 (e.g. `--sdcch8 1`); repeatable.
    #[arg(long, value_name = "TS")]
    pub(crate) sdcch8: Vec<u8>,
    /// TS0 carries a combined BCCH+CCCH+SDCCH/4.
    #[arg(long)]
    pub(crate) combined: bool,
    /// Show subscriber identities and SMS content in clear. Default: masked.
    #[arg(long)]
    pub(crate) reveal_identities: bool,
}

pub(crate) fn decode_bursts(a: DecodeBurstsArgs) -> Result<u8> {
    use towerwatch_dsp::gsm::coding::{
        BlockAssembler, ChannelCombination, ChannelKind, parse_burst_line, xcch_decode_bursts,
    };
    use towerwatch_dsp::gsm::l3;
    let text = crate::limits::read_text_capped(
        &a.file,
        crate::limits::MAX_LISTING_BYTES,
        "a burst listing",
    )?;
    let mut asm = BlockAssembler::new();
    asm.set_timeslot(
        0,
        Some(if a.combined {
            ChannelCombination::BcchCcchSdcch4
        } else {
            ChannelCombination::BcchCcch
        }),
    );
    for &ts in &a.sdcch8 {
        if !(1..=7).contains(&ts) {
            bail!("--sdcch8 {ts}: timeslot must be 1–7");
        }
        asm.set_timeslot(ts, Some(ChannelCombination::Sdcch8));
    }
    let (mut bad_lines, mut blocks_ok, mut blocks_failed, mut malformed) = (0u64, 0u64, 0u64, 0u64);
    let mut summary = CellSummary::default();
    let mut sch = std::collections::BTreeMap::<u8, u64>::new();
    let mut segments = crate::privacy::SegmentTracker::default();
    let mut out = crate::term::stdout();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let b = match parse_burst_line(line) {
            Ok(b) => b,
            Err(_) => {
                bad_lines += 1;
                continue;
            }
        };
        if b.subtype == 3 {
            if let Ok(info) = towerwatch_dsp::gsm::coding::sch_decode_burst(&b.soft()) {
                *sch.entry(info.bsic).or_default() += 1;
            }
            continue;
        }
        let Some(block) = asm.push(b.frame_number, b.timeslot, &b.soft()) else {
            continue;
        };
        let Ok(frame) = xcch_decode_bursts(&block.bursts) else {
            blocks_failed += 1;
            continue;
        };
        blocks_ok += 1;
        let parsed = l3::parse_block(block.kind, &frame);
        // Every frame is listed through the one masking rule (deny by default), whatever parsed.
        let classes = match block.kind {
            ChannelKind::Bcch | ChannelKind::Ccch => crate::privacy::ccch_classes(&frame),
            kind => segments.classify(kind, block.timeslot, block.sub_channel, &frame),
        };
        let listing = crate::privacy::hex(&frame, &classes, a.reveal_identities);
        let (name, masked) = match &parsed {
            Ok(Some(m)) => {
                if block.timeslot == 0
                    && matches!(block.kind, ChannelKind::Bcch | ChannelKind::Ccch)
                {
                    summary.observe(m);
                }
                (m.name(), listing)
            }
            Ok(None) => ("L2 fill / no L3".to_string(), listing),
            Err(e) => {
                malformed += 1;
                (format!("malformed: {e}"), listing)
            }
        };
        writeln!(
            out,
            "{} {}:{:?}/{}: {masked}   [{}]",
            block.first_fn,
            block.timeslot,
            block.kind,
            block.sub_channel,
            crate::term::escape(&name)
        )?;
    }
    let c = asm.counters();
    writeln!(out, "== {}", a.file.display())?;
    let sch_txt: Vec<String> = sch
        .iter()
        .map(|(b, n)| format!("BSIC {b} (NCC {} BCC {}) ×{n}", b >> 3, b & 7))
        .collect();
    writeln!(
        out,
        "  SCH          {}",
        if sch_txt.is_empty() {
            "-".into()
        } else {
            sch_txt.join(", ")
        }
    )?;
    if let Some(l) = &summary.lai {
        let ci = summary.cell_identity.map_or("?".into(), |c| c.to_string());
        writeln!(
            out,
            "  cell         MCC {} MNC {:02} LAC {} CI {ci}",
            l.mcc, l.mnc, l.lac
        )?;
    }
    let list = |v: &Vec<u16>| {
        v.iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    writeln!(
        out,
        "  neighbours   SI2 {{{}}}  SI2bis {{{}}}  SI2ter {{{}}}",
        list(&summary.si2_neighbours),
        list(&summary.si2bis_neighbours),
        list(&summary.si2ter_neighbours)
    )?;
    if let Some(p) = &summary.selection {
        writeln!(
            out,
            "  reselection  CRO {} ({} dB) TEMPORARY_OFFSET {} PENALTY_TIME {}",
            p.cell_reselect_offset,
            p.cell_reselect_offset_db(),
            p.temporary_offset,
            p.penalty_time
        )?;
    }
    if let Some(t) = summary.gprs_text() {
        writeln!(out, "  gprs         {t}")?;
    }
    let counts: Vec<String> = summary
        .message_counts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    writeln!(out, "  TS0 messages {}", counts.join(", "))?;
    writeln!(
        out,
        "  decoding     blocks ok {blocks_ok} failed {blocks_failed} incomplete {}  L3 malformed {malformed}  unreadable lines {bad_lines}",
        c.incomplete
    )?;
    out.flush()?;
    Ok(0)
}
