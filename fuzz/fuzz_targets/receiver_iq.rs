//! The GSM receiver (FCCH → SCH → bursts → BCCH/CCCH blocks → L3) on IQ. Input byte 0 picks the
//! mode: even = random IQ (the input as ci8 pairs, repeated to 60 ms at 1 MS/s, carrier offset
//! from byte 1); odd = a real 1.2 MS/s capture of the repository (`recordings/sms-blaster`: six
//! cells, one rogue) with bytes flipped: a 100 ms window chosen by bytes 1–2, then each 4-byte
//! group `(offset u24, xor u8)` flips bits in the window.
#![no_main]

use libfuzzer_sys::fuzz_target;
use num_complex::Complex32;
use towerwatch_dsp::gsm::l3;
use towerwatch_dsp::gsm::rx::decode_downlink;

static CAPTURE: &[u8] = include_bytes!("../../recordings/sms-blaster.sigmf-data");
const CAPTURE_RATE: f64 = 1_200_000.0;
/// ARFCN 16–21 of the capture sit at −500 … +500 kHz from its centre.
const CAPTURE_OFFSETS: [f64; 6] = [-500e3, -300e3, -100e3, 100e3, 300e3, 500e3];

fn ci8(b: &[u8]) -> Vec<Complex32> {
    b.chunks_exact(2)
        .map(|c| Complex32::new(f32::from(c[0] as i8) / 128.0, f32::from(c[1] as i8) / 128.0))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let (Some(&mode), Some(&b1)) = (data.first(), data.get(1)) else {
        return;
    };
    let (samples, rate, offset) = if mode & 1 == 0 {
        let body = &data[2..];
        if body.len() < 2 {
            return;
        }
        let want = 60_000 * 2;
        let tiled: Vec<u8> = body
            .iter()
            .cycle()
            .take(want.max(body.len()))
            .copied()
            .collect();
        let offset = (f64::from(b1) - 128.0) * 2_000.0;
        (ci8(&tiled), 1_000_000.0, offset)
    } else {
        let b2 = data.get(2).copied().unwrap_or(0);
        let window = 120_000 * 2; // 100 ms
        let starts = (CAPTURE.len() - window) / 2;
        let start = (usize::from(u16::from_le_bytes([b1, b2])) * 997 % starts) * 2;
        let mut w = CAPTURE[start..start + window].to_vec();
        for c in data.get(3..).unwrap_or(&[]).chunks_exact(4) {
            let at = u32::from_le_bytes([c[0], c[1], c[2], 0]) as usize % window;
            w[at] ^= c[3];
        }
        let offset = CAPTURE_OFFSETS[usize::from(mode >> 1) % CAPTURE_OFFSETS.len()];
        (ci8(&w), CAPTURE_RATE, offset)
    };
    let Ok(out) = decode_downlink(&samples, rate, offset) else {
        return;
    };
    for s in &out.sch {
        assert!(s.bsic < 64);
        assert!(s.sample_index <= samples.len() as u64 + 4096);
    }
    for f in &out.frames {
        let _ = l3::parse_ccch_frame(&f.data);
    }
});
