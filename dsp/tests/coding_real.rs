//! Acceptance tests of the channel coding against real data: gr-gsm's demodulated bursts of a
//! DCS1800 cell (`vf-call6-arfcn725.bursts.txt`) and gr-gsm's decoded frames of them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use towerwatch_dsp::gsm::coding::{
    BlockAssembler, BurstLine, ChannelCombination, ChannelKind, DUMMY_BURST, SchInfo,
    parse_burst_line, sch_decode_burst, sch_encode_burst, xcch_decode_bursts, xcch_encode_bursts,
};

fn recordings() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()?
        .join("../shared/recordings");
    if dir.join("vf-call6-arfcn725.bursts.txt").exists() {
        Some(dir)
    } else {
        println!("skipping: ../shared/recordings absent");
        None
    }
}

fn bursts(dir: &Path) -> Vec<BurstLine> {
    let text = std::fs::read_to_string(dir.join("vf-call6-arfcn725.bursts.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| parse_burst_line(l).unwrap())
        .collect()
}

/// Truth lines: `FN COUNTER: 23 hex bytes`.
fn truth(dir: &Path, name: &str) -> Vec<(u32, [u8; 23])> {
    let text = std::fs::read_to_string(dir.join("truth").join(name)).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut it = l.split_whitespace();
            let fn_: u32 = it.next().unwrap().parse().unwrap();
            let _counter = it.next().unwrap();
            let bytes: Vec<u8> = it.map(|h| u8::from_str_radix(h, 16).unwrap()).collect();
            (fn_, bytes.try_into().unwrap())
        })
        .collect()
}

type Decoded = (u32, ChannelKind, u8, [u8; 23]);

fn decode_ts(lines: &[BurstLine], ts: u8, combo: ChannelCombination) -> Vec<Decoded> {
    let mut asm = BlockAssembler::new();
    asm.set_timeslot(ts, Some(combo));
    let mut out = vec![];
    for l in lines.iter().filter(|l| l.timeslot == ts) {
        if let Some(block) = asm.push(l.frame_number, l.timeslot, &l.soft())
            && let Ok(frame) = xcch_decode_bursts(&block.bursts)
        {
            out.push((block.first_fn, block.kind, block.sub_channel, frame));
        }
    }
    asm.finish();
    let c = asm.counters();
    println!(
        "TS{ts}: {} blocks, {} decoded, {} incomplete",
        c.emitted,
        out.len(),
        c.incomplete
    );
    out
}

#[test]
fn ts0_bursts_give_exactly_the_gr_gsm_frames() {
    let Some(dir) = recordings() else { return };
    let lines = bursts(&dir);
    let ours: Vec<(u32, [u8; 23])> = decode_ts(&lines, 0, ChannelCombination::BcchCcch)
        .into_iter()
        .map(|(f, _, _, b)| (f, b))
        .collect();
    let expected = truth(&dir, "vf-call6-arfcn725.bcch-ts0.frames.txt");
    assert_eq!(expected.len(), 399);
    for (i, (a, b)) in ours.iter().zip(expected.iter()).enumerate() {
        assert_eq!(a, b, "frame {i} differs");
    }
    assert_eq!(ours.len(), expected.len());
}

#[test]
fn ts1_sdcch8_sub_channel_1_frames() {
    let Some(dir) = recordings() else { return };
    let lines = bursts(&dir);
    let ours: Vec<(u32, [u8; 23])> = decode_ts(&lines, 1, ChannelCombination::Sdcch8)
        .into_iter()
        .filter(|(_, _, sub, _)| *sub == 1)
        .map(|(f, _, _, b)| (f, b))
        .collect();
    let expected = truth(&dir, "vf-call6-arfcn725.sdcch8-ts1.frames.txt");
    assert_eq!(expected.len(), 4);
    assert_eq!(ours, expected);
}

#[test]
fn sch_bursts_decode_to_the_cell() {
    let Some(dir) = recordings() else { return };
    let lines = bursts(&dir);
    let sch: Vec<&BurstLine> = lines.iter().filter(|l| l.subtype == 3).collect();
    assert_eq!(sch.len(), 209);
    let mut good = 0;
    let mut wrong = 0;
    let mut bit_errors = 0usize;
    let mut histogram = BTreeMap::new();
    for l in &sch {
        match sch_decode_burst(&l.soft()) {
            Ok(info) if info.bsic == 48 && info.frame_number() == l.frame_number => good += 1,
            Ok(info) => {
                println!("FN {}: decoded as {info:?}", l.frame_number);
                wrong += 1;
            }
            Err(_) => {}
        }
        let built = sch_encode_burst(&SchInfo::from_frame_number(48, l.frame_number));
        let diff = built
            .iter()
            .zip(l.bits.iter())
            .filter(|(a, b)| a != b)
            .count();
        bit_errors += diff;
        *histogram.entry(diff).or_insert(0) += 1;
    }
    let total = sch.len() * 148;
    let agree = 100.0 * (total - bit_errors) as f64 / total as f64;
    println!("SCH: {good}/209 decoded as NCC 6 BCC 0 with consistent FN, {wrong} wrong");
    assert_eq!(wrong, 0, "an SCH decoded to the wrong cell or frame");
    println!("SCH re-encode: {agree:.2}% bits equal; per-burst bit errors -> count: {histogram:?}");
    assert!(good >= 199, "only {good} SCH bursts decoded");
    assert!(agree >= 97.0);
}

#[test]
fn reencoded_ts0_frames_match_the_real_bursts() {
    let Some(dir) = recordings() else { return };
    let lines = bursts(&dir);
    let expected = truth(&dir, "vf-call6-arfcn725.bcch-ts0.frames.txt");
    // TS0 bursts in stream order; the truth is in stream order too, so walk both together.
    let ts0: Vec<&BurstLine> = lines.iter().filter(|l| l.timeslot == 0).collect();
    let mut cursor = 0usize;
    let mut total_bits = 0usize;
    let mut errors = 0usize;
    let mut histogram = BTreeMap::new();
    for (fn_, frame) in &expected {
        let start = ts0[cursor..]
            .iter()
            .position(|l| l.frame_number == *fn_)
            .unwrap()
            + cursor;
        let built = xcch_encode_bursts(frame, 0);
        for (k, burst) in built.iter().enumerate() {
            let real = ts0[start + k];
            assert_eq!(real.frame_number, fn_ + k as u32);
            let diff = burst
                .iter()
                .zip(real.bits.iter())
                .filter(|(a, b)| a != b)
                .count();
            total_bits += 148;
            errors += diff;
            *histogram.entry(diff).or_insert(0usize) += 1;
        }
        cursor = start + 4;
    }
    let agree = 100.0 * (total_bits - errors) as f64 / total_bits as f64;
    println!(
        "xCCH re-encode: {} bursts, {agree:.3}% bits equal",
        total_bits / 148
    );
    println!("per-burst bit errors -> count: {histogram:?}");
    assert!(agree >= 97.0, "{agree}");
}

#[test]
fn dummy_bursts_equal_the_constant() {
    let Some(dir) = recordings() else { return };
    let lines = bursts(&dir);
    let dummies: Vec<&BurstLine> = lines.iter().filter(|l| l.subtype == 7).collect();
    assert!(dummies.len() > 8000);
    assert!(dummies.iter().all(|l| l.bits == DUMMY_BURST));
}
