//! Burst listings (gr-gsm's `FN TS SUBTYPE BITS` lines): any text, decoded the way
//! `towerwatch decode-bursts` does (SCH on subtype 3, blocks on TS0 and SDCCH/8 timeslots, xCCH,
//! L3, cell summary, masked hex).
#![no_main]

use libfuzzer_sys::fuzz_target;
use towerwatch::pipeline::gsm::frame_hex;
use towerwatch_dsp::gsm::coding::{
    BlockAssembler, ChannelCombination, ChannelKind, parse_burst_line, sch_decode_burst,
    xcch_decode_bursts,
};
use towerwatch_dsp::gsm::l3::{self, CellSummary};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut asm = BlockAssembler::new();
    asm.set_timeslot(0, Some(ChannelCombination::BcchCcch));
    asm.set_timeslot(1, Some(ChannelCombination::Sdcch8));
    let mut summary = CellSummary::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(2000) {
        let Ok(b) = parse_burst_line(line) else {
            continue;
        };
        assert!(b.timeslot < 8);
        assert!(b.bits.iter().all(|&x| x <= 1));
        if b.subtype == 3 {
            let _ = sch_decode_burst(&b.soft());
            continue;
        }
        let Some(block) = asm.push(b.frame_number, b.timeslot, &b.soft()) else {
            continue;
        };
        let Ok(frame) = xcch_decode_bursts(&block.bursts) else {
            continue;
        };
        if let Ok(Some(m)) = l3::parse_block(block.kind, &frame) {
            if block.timeslot == 0 && matches!(block.kind, ChannelKind::Bcch | ChannelKind::Ccch) {
                summary.observe(&m);
            }
            let _ = frame_hex(&frame, &m, false);
        }
    }
    asm.finish();
});
