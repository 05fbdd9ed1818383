//! Channel coding round trips on random data, with injected bit errors and corrupted parity.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use towerwatch_dsp::gsm::burst::{
    ACCESS_EXTENDED_TAIL, ACCESS_SYNC, NORMAL_TRAINING_POS, SCH_TRAINING, SCH_TRAINING_POS,
    TRAINING_SEQUENCES, hard_to_soft,
};
use towerwatch_dsp::gsm::coding::{
    CodingError, SchInfo, rach_decode, rach_encode_burst, sch_decode_burst,
    sch_decode_burst_with_errors, sch_encode_burst, xcch_decode_bursts,
    xcch_decode_bursts_with_errors, xcch_deinterleave, xcch_encode_bursts, xcch_encode_coded,
};

/// Small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn soft4(bursts: &[[u8; 148]; 4]) -> [[f32; 148]; 4] {
    bursts.map(|b| b.map(hard_to_soft))
}

/// Data-bit positions of a normal burst (the 114 interleaved bits).
fn data_positions() -> Vec<usize> {
    (3..60).chain(88..145).collect()
}

#[test]
fn xcch_round_trip_random_frames_every_tsc() {
    let mut rng = Rng(0x5eed_0001);
    for i in 0..200 {
        let mut frame = [0u8; 23];
        frame.iter_mut().for_each(|b| *b = rng.next() as u8);
        let tsc = (i % 8) as u8;
        let bursts = xcch_encode_bursts(&frame, tsc);
        for b in &bursts {
            assert_eq!(&b[..3], &[0, 0, 0]);
            assert_eq!(&b[145..], &[0, 0, 0]);
            assert_eq!(b[60], 1);
            assert_eq!(b[87], 1);
            assert_eq!(
                b[NORMAL_TRAINING_POS..NORMAL_TRAINING_POS + 26],
                TRAINING_SEQUENCES[usize::from(tsc)]
            );
        }
        let (decoded, errors) = xcch_decode_bursts_with_errors(&soft4(&bursts)).unwrap();
        assert_eq!(decoded, frame);
        assert_eq!(errors, 0);
        // Deinterleaving the encoded bursts gives back the coded bits.
        let coded = xcch_encode_coded(&frame);
        let back = xcch_deinterleave(&soft4(&bursts));
        assert!(
            coded
                .iter()
                .zip(back.iter())
                .all(|(&c, &s)| hard_to_soft(c) == s)
        );
    }
}

/// Map from coded-bit index k (0..456) to (burst, position) through the library's own deinterleaver.
fn interleaver_map() -> Vec<(usize, usize)> {
    xcch_deinterleave(&index_bursts())
        .iter()
        .map(|&v| {
            let v = v as usize;
            (v / 148, v % 148)
        })
        .collect()
}

#[test]
fn xcch_corrects_scattered_errors_and_a_lost_burst() {
    let mut rng = Rng(0x5eed_0002);
    let map = interleaver_map();
    let positions = data_positions();
    let mut random_ok = 0;
    for trial in 0..200 {
        let mut frame = [0u8; 23];
        frame.iter_mut().for_each(|b| *b = rng.next() as u8);
        let clean = soft4(&xcch_encode_bursts(&frame, 3));
        // 24 coded-bit errors spaced 19 apart (beyond the code's constraint span) are all corrected.
        let mut soft = clean;
        let offset = rng.below(19);
        for m in 0..24 {
            let (b, p) = map[(offset + 19 * m) % 456];
            soft[b][p] = -soft[b][p];
        }
        let (decoded, errors) = xcch_decode_bursts_with_errors(&soft).unwrap();
        assert_eq!(decoded, frame, "trial {trial}");
        assert_eq!(errors, 24);
        // 8 errors at random places (1.75 %): nearly always corrected, never a wrong frame.
        let mut soft = clean;
        let mut flipped = std::collections::HashSet::new();
        while flipped.len() < 8 {
            flipped.insert((rng.below(4), positions[rng.below(114)]));
        }
        for &(b, p) in &flipped {
            soft[b][p] = -soft[b][p];
        }
        match xcch_decode_bursts(&soft) {
            Ok(decoded) => {
                assert_eq!(decoded, frame);
                random_ok += 1;
            }
            Err(e) => assert_eq!(e, CodingError::FireCheck),
        }
        // One whole burst erased (soft 0): the interleaver spreads it, the code recovers the frame.
        let mut erased = clean;
        erased[trial % 4] = [0.0; 148];
        assert_eq!(xcch_decode_bursts(&erased).unwrap(), frame);
    }
    println!("8 random errors: {random_ok}/200 blocks corrected");
    assert!(random_ok >= 190, "{random_ok}");
}

/// Encodes `frame`, then changes input bit `u_index` of the convolutional encoder (a data bit if
/// < 184, a parity bit otherwise) by adding the code's impulse response: a valid codeword whose
/// data and parity no longer agree.
fn corrupted_codeword(frame: &[u8; 23], u_index: usize) -> [[f32; 148]; 4] {
    let map = interleaver_map();
    let mut soft: Vec<f32> = xcch_encode_coded(frame)
        .iter()
        .map(|&c| hard_to_soft(c))
        .collect();
    // (delay, G0 tap, G1 tap): G0 = 1 + D^3 + D^4, G1 = 1 + D + D^3 + D^4.
    for (delay, g0, g1) in [
        (0usize, true, true),
        (1, false, true),
        (3, true, true),
        (4, true, true),
    ] {
        let k = u_index + delay;
        if g0 {
            soft[2 * k] = -soft[2 * k];
        }
        if g1 {
            soft[2 * k + 1] = -soft[2 * k + 1];
        }
    }
    let mut bursts = [[0.0f32; 148]; 4];
    for (k, &(b, p)) in map.iter().enumerate() {
        bursts[b][p] = soft[k];
    }
    bursts
}

#[test]
fn xcch_detects_a_flipped_data_or_parity_bit() {
    let mut rng = Rng(0x5eed_0003);
    for _ in 0..100 {
        let mut frame = [0u8; 23];
        frame.iter_mut().for_each(|b| *b = rng.next() as u8);
        assert_eq!(
            xcch_decode_bursts(&corrupted_codeword(&frame, 0)).unwrap_err(),
            CodingError::FireCheck
        );
        let data_bit = rng.below(184);
        assert_eq!(
            xcch_decode_bursts(&corrupted_codeword(&frame, data_bit)),
            Err(CodingError::FireCheck)
        );
        let parity_bit = 184 + rng.below(40);
        assert_eq!(
            xcch_decode_bursts(&corrupted_codeword(&frame, parity_bit)),
            Err(CodingError::FireCheck)
        );
    }
}

/// Bursts whose soft values are their own (burst, bit) index, to recover the interleaver map.
fn index_bursts() -> [[f32; 148]; 4] {
    let mut b = [[0.0f32; 148]; 4];
    for (i, burst) in b.iter_mut().enumerate() {
        for (j, v) in burst.iter_mut().enumerate() {
            *v = (i * 148 + j) as f32;
        }
    }
    b
}

#[test]
fn xcch_garbage_is_rejected_not_panicking() {
    let mut rng = Rng(0x5eed_0004);
    let mut passed = 0;
    for _ in 0..500 {
        let mut bursts = [[0.0f32; 148]; 4];
        for b in bursts.iter_mut() {
            for v in b.iter_mut() {
                *v = (rng.next() % 2000) as f32 / 1000.0 - 1.0;
            }
        }
        if xcch_decode_bursts(&bursts).is_ok() {
            passed += 1;
        }
    }
    // Fire code false-accept probability is 2^-40: none of 500 garbage blocks may pass.
    assert_eq!(passed, 0);
    let nan = [[f32::NAN; 148]; 4];
    assert!(xcch_decode_bursts(&nan).is_err());
}

#[test]
fn sch_round_trip_and_errors() {
    let mut rng = Rng(0x5eed_0005);
    for _ in 0..300 {
        let bsic = rng.below(64) as u8;
        let fn_ = (rng.next() % u64::from(towerwatch_dsp::gsm::HYPERFRAME)) as u32;
        let fn_sch = fn_ - fn_ % 51 + [1, 11, 21, 31, 41][rng.below(5)];
        let fn_sch = fn_sch % towerwatch_dsp::gsm::HYPERFRAME;
        let info = SchInfo::from_frame_number(bsic, fn_sch);
        let burst = sch_encode_burst(&info);
        assert_eq!(burst[SCH_TRAINING_POS..SCH_TRAINING_POS + 64], SCH_TRAINING);
        let mut soft = burst.map(hard_to_soft);
        assert_eq!(sch_decode_burst(&soft).unwrap(), info);
        assert_eq!(sch_decode_burst(&soft).unwrap().frame_number(), fn_sch);
        // 3 errors among the 78 coded bits are corrected.
        let coded_positions: Vec<usize> = (3..42).chain(106..145).collect();
        let mut flipped = std::collections::HashSet::new();
        while flipped.len() < 3 {
            flipped.insert(coded_positions[rng.below(78)]);
        }
        for &p in &flipped {
            soft[p] = -soft[p];
        }
        let (decoded, errors) = sch_decode_burst_with_errors(&soft).unwrap();
        assert_eq!(decoded, info);
        assert_eq!(errors, 3);
    }
    // All-zero soft bits (no signal) must not decode as valid.
    let zeros = [-1.0f32; 148];
    assert!(sch_decode_burst(&zeros).is_err());
}

#[test]
fn rach_round_trip_bsic_and_errors() {
    let mut rng = Rng(0x5eed_0006);
    for ra in 0..=255u8 {
        let bsic = rng.below(64) as u8;
        let burst = rach_encode_burst(ra, bsic);
        assert_eq!(burst[..8], ACCESS_EXTENDED_TAIL);
        assert_eq!(burst[8..49], ACCESS_SYNC);
        assert_eq!(burst[85..], [0, 0, 0]);
        let mut coded = [0.0f32; 36];
        for (c, &b) in coded.iter_mut().zip(burst[49..85].iter()) {
            *c = hard_to_soft(b);
        }
        assert_eq!(rach_decode(&coded, bsic), Ok(ra));
        // A different BSIC (another cell) fails the colour check.
        assert_eq!(rach_decode(&coded, bsic ^ 0x01), Err(CodingError::Parity));
        assert_eq!(rach_decode(&coded, bsic ^ 0x20), Err(CodingError::Parity));
        // One channel error is corrected.
        let p = rng.below(36);
        coded[p] = -coded[p];
        assert_eq!(rach_decode(&coded, bsic), Ok(ra));
    }
}
