//! WAV IQ files: any bytes as a `.wav` (RIFF chunk walk for `auxi`, hound for the samples), opened
//! and read to the end exactly as `towerwatch info/decode FILE.wav` do.
#![no_main]

mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(p) = common::write_scratch("f.wav", data) else {
        return;
    };
    let _ = towerwatch::source::wav::read_auxi(&p);
    if let Ok(mut src) = towerwatch::source::wav::open(&p, None) {
        common::drain(&mut src, 1 << 16);
    }
});
