//! The whole coding chain on synthetic streams: frames → bursts (encoder) → demapper → decoder, for
//! every 51-multiframe layout, with lost bursts, and soft decisions over AWGN.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use towerwatch_dsp::gsm::burst::{DUMMY_BURST, hard_to_soft};
use towerwatch_dsp::gsm::coding::{
    BlockAssembler, ChannelCombination, ChannelKind, block_position, xcch_decode_bursts,
    xcch_encode_bursts,
};

/// A frame that names its block: first FN and timeslot in the first octets.
fn frame_for(first_fn: u32, ts: u8) -> [u8; 23] {
    let mut f = [0x2bu8; 23];
    f[..4].copy_from_slice(&first_fn.to_be_bytes());
    f[4] = ts;
    f
}

/// Generates the bursts of `frames` TDMA frames starting at `start_fn` on timeslot `ts` with the
/// given layout: every block position carries an encoded block, other frames a dummy burst.
fn stream(start_fn: u32, frames: u32, ts: u8, combo: ChannelCombination) -> Vec<(u32, [u8; 148])> {
    let mut out = vec![];
    for fn_ in start_fn..start_fn + frames {
        match block_position(combo, fn_) {
            Some((_, _, idx)) => {
                let first = fn_ - u32::from(idx);
                let bursts = xcch_encode_bursts(&frame_for(first, ts), ts);
                out.push((fn_, bursts[usize::from(idx)]));
            }
            None => out.push((fn_, DUMMY_BURST)),
        }
    }
    out
}

#[test]
fn every_layout_round_trips_through_the_demapper() {
    let cases = [
        (0u8, ChannelCombination::BcchCcch, 10usize),
        (0, ChannelCombination::BcchCcchSdcch4, 10),
        (3, ChannelCombination::Sdcch8, 12),
    ];
    for (ts, combo, per_mf) in cases {
        let start = 1_000_000 - 1_000_000 % 102; // start of a 102-multiframe
        let mut asm = BlockAssembler::new();
        asm.set_timeslot(ts, Some(combo));
        let mut blocks = vec![];
        for (fn_, burst) in stream(start, 102, ts, combo) {
            blocks.extend(asm.push(fn_, ts, &burst.map(hard_to_soft)));
        }
        asm.finish();
        assert_eq!(blocks.len(), 2 * per_mf, "{combo:?}");
        assert_eq!(asm.counters().incomplete, 0);
        let mut sacch_subs = vec![];
        for b in &blocks {
            assert_eq!(b.timeslot, ts);
            let frame = xcch_decode_bursts(&b.bursts).unwrap();
            assert_eq!(frame, frame_for(b.first_fn, ts), "{combo:?} {b:?}");
            if b.kind == ChannelKind::Sacch {
                sacch_subs.push(b.sub_channel);
            }
        }
        match combo {
            ChannelCombination::BcchCcch => {
                let bcch = blocks
                    .iter()
                    .filter(|b| b.kind == ChannelKind::Bcch)
                    .count();
                assert_eq!(bcch, 2);
            }
            ChannelCombination::BcchCcchSdcch4 => assert_eq!(sacch_subs, vec![0, 1, 2, 3]),
            ChannelCombination::Sdcch8 => assert_eq!(sacch_subs, vec![0, 1, 2, 3, 4, 5, 6, 7]),
        }
    }
}

#[test]
fn lost_bursts_drop_only_their_block() {
    let combo = ChannelCombination::BcchCcch;
    let mut asm = BlockAssembler::bcch(false);
    let mut decoded = 0;
    for (i, (fn_, burst)) in stream(51 * 1000, 51 * 4, 0, combo).into_iter().enumerate() {
        if i % 37 == 5 {
            continue; // lost
        }
        if let Some(b) = asm.push(fn_, 0, &burst.map(hard_to_soft)) {
            assert_eq!(
                xcch_decode_bursts(&b.bursts).unwrap(),
                frame_for(b.first_fn, 0)
            );
            decoded += 1;
        }
    }
    asm.finish();
    let c = asm.counters();
    // 4 multiframes × 10 blocks; each lost burst inside a block costs that block.
    let lost_in_blocks = (0..51 * 4u32)
        .filter(|i| i % 37 == 5 && block_position(combo, 51 * 1000 + i).is_some())
        .count() as u64;
    assert_eq!(c.emitted, decoded);
    assert_eq!(c.incomplete, lost_in_blocks);
    assert_eq!(c.emitted + c.incomplete, 40);
}

#[test]
fn soft_decisions_beat_hard_decisions_over_awgn() {
    // BPSK-like soft bits ±1 plus Gaussian noise (Box–Muller over a fixed LCG).
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let sigma = 0.6f64; // Q(1/0.6) ≈ 4.8 % raw bit errors
    let (mut soft_ok, mut hard_ok, mut raw_errors, mut bits) = (0, 0, 0, 0);
    let blocks = 300;
    for n in 0..blocks {
        let frame = frame_for(n, 0);
        let clean = xcch_encode_bursts(&frame, 0);
        let mut soft = [[0.0f32; 148]; 4];
        let mut hard = [[0.0f32; 148]; 4];
        for (b, burst) in clean.iter().enumerate() {
            for (j, &bit) in burst.iter().enumerate() {
                let g =
                    (-2.0 * uniform().ln()).sqrt() * (2.0 * std::f64::consts::PI * uniform()).cos();
                let v = f64::from(hard_to_soft(bit)) + sigma * g;
                soft[b][j] = v as f32;
                hard[b][j] = if v > 0.0 { 1.0 } else { -1.0 };
                if (v > 0.0) != (bit == 1) {
                    raw_errors += 1;
                }
                bits += 1;
            }
        }
        soft_ok += usize::from(xcch_decode_bursts(&soft) == Ok(frame));
        hard_ok += usize::from(xcch_decode_bursts(&hard) == Ok(frame));
    }
    let ber = f64::from(raw_errors) / f64::from(bits);
    println!(
        "raw BER {:.2} %: soft {soft_ok}/{blocks}, hard {hard_ok}/{blocks} blocks",
        100.0 * ber
    );
    assert!(ber > 0.04 && ber < 0.056, "{ber}");
    assert!(soft_ok > hard_ok);
    assert!(soft_ok as f64 >= 0.95 * f64::from(blocks), "{soft_ok}");
}
