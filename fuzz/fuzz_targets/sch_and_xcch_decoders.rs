//! Channel decoders on arbitrary soft bits: SCH, xCCH (4 bursts), RACH, and the 51-multiframe block
//! assembler fed with arbitrary frame numbers and timeslots. Soft bits come from input bytes as
//! signed values, with a few NaN/∞ codes so non-finite soft bits are exercised too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use towerwatch_dsp::gsm::coding::{
    BlockAssembler, ChannelCombination, rach_decode, sch_decode_burst_with_errors,
    xcch_decode_bursts, xcch_decode_coded,
};
use towerwatch_dsp::gsm::l3;

fn soft(b: u8) -> f32 {
    match b {
        0x80 => f32::NAN,
        0x81 => f32::INFINITY,
        0x82 => f32::NEG_INFINITY,
        _ => f32::from(b as i8) / 127.0,
    }
}

fn burst_from(bytes: &[u8]) -> [f32; 148] {
    let mut out = [0.0f32; 148];
    for (o, b) in out.iter_mut().zip(bytes.iter().cycle()) {
        *o = soft(*b);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let b0 = burst_from(data);
    if let Ok((info, errors)) = sch_decode_burst_with_errors(&b0) {
        assert!(info.bsic < 64);
        assert!(errors <= 78);
    }
    let mut coded = [0.0f32; 456];
    for (o, b) in coded.iter_mut().zip(data.iter().cycle()) {
        *o = soft(*b);
    }
    if let Ok((frame, _)) = xcch_decode_coded(&coded) {
        let _ = l3::parse_ccch_frame(&frame);
    }
    let mut r = [0.0f32; 36];
    for (o, b) in r.iter_mut().zip(data.iter().cycle()) {
        *o = soft(*b);
    }
    let _ = rach_decode(&r, data[0] & 0x3f);
    let bursts = [
        burst_from(data),
        burst_from(data.get(1..).unwrap_or(data)),
        burst_from(data.get(2..).unwrap_or(data)),
        burst_from(data.get(3..).unwrap_or(data)),
    ];
    let _ = xcch_decode_bursts(&bursts);
    // The assembler: (FN u32, TS u8) pairs from the input, every combination on some timeslot.
    let mut asm = BlockAssembler::new();
    asm.set_timeslot(0, Some(ChannelCombination::BcchCcchSdcch4));
    asm.set_timeslot(1, Some(ChannelCombination::Sdcch8));
    asm.set_timeslot(2, Some(ChannelCombination::BcchCcch));
    asm.set_timeslot(data[0] % 9, None);
    for c in data.chunks_exact(5).take(400) {
        let fn_ = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        if let Some(block) = asm.push(fn_, c[4] % 10, &b0) {
            let _ = xcch_decode_bursts(&block.bursts);
        }
    }
    asm.finish();
    let _ = asm.counters();
});
