//! xCCH coding (BCCH, PCH, AGCH, SDCCH, SACCH; TS 45.003 §4.1): 184 data bits + 40 Fire-code parity
//! bits + 4 tail bits, rate-1/2 convolutional code → 456 bits, block-diagonal interleaving over 4
//! normal bursts (57 + 57 data bits each, stealing flags set).

use super::conv::{conv_encode, viterbi_decode};
use super::parity::{FIRE_POLY, parity_bits, parity_ok};
use super::{CodingError, bits_to_bytes_lsb, bytes_to_bits_lsb};
use crate::gsm::burst::{
    NORMAL_STEALING_HIGH_POS, NORMAL_STEALING_LOW_POS, NORMAL_TRAINING_POS, TRAINING_SEQUENCES,
};

/// Data bits of an xCCH block (one 23-octet L2 frame).
const DATA_BITS: usize = 184;
/// Fire-code parity bits.
const PARITY_BITS: usize = 40;
/// Bits into the convolutional encoder (data + parity + 4 tail bits).
const CONV_IN: usize = DATA_BITS + PARITY_BITS + 4;
/// Coded bits of an xCCH block.
const CODED: usize = 2 * CONV_IN;

/// Interleaving position of coded bit `k` (TS 45.003 §4.1.4, 4-burst block):
/// burst `k mod 4`, bit `j = 2((49k) mod 57) + ((k mod 8) div 4)` among the burst's 114 data bits.
fn interleave_pos(k: usize) -> (usize, usize) {
    (k % 4, 2 * ((49 * k) % 57) + ((k % 8) / 4))
}

/// Position inside the 148-bit burst of data bit `j` (0..114) of a normal burst: the first 57 after
/// the 3 tail bits, the last 57 after the upper stealing flag.
fn burst_pos(j: usize) -> usize {
    if j < 57 {
        3 + j
    } else {
        j - 57 + NORMAL_STEALING_HIGH_POS + 1
    }
}

/// Encodes a 23-octet L2 frame into the 456 coded bits `c(0…455)` (before interleaving).
pub fn xcch_encode_coded(frame: &[u8; 23]) -> [u8; 456] {
    let mut u = [0u8; CONV_IN];
    bytes_to_bits_lsb(frame, &mut u[..DATA_BITS]);
    let (data, rest) = u.split_at_mut(DATA_BITS);
    parity_bits(data, FIRE_POLY, &mut rest[..PARITY_BITS]);
    let mut coded = [0u8; CODED];
    // Lengths are fixed: 456 = 2 × 228, so this cannot fail.
    let _ = conv_encode(&u, &mut coded);
    coded
}

/// Interleaves 456 coded bits onto the 114 data bits of each of 4 bursts (TS 45.003 §4.1.4).
pub fn xcch_interleave<T: Copy + Default>(coded: &[T; 456]) -> [[T; 114]; 4] {
    let mut out = [[T::default(); 114]; 4];
    for (k, &c) in coded.iter().enumerate() {
        let (b, j) = interleave_pos(k);
        if let Some(slot) = out.get_mut(b).and_then(|burst| burst.get_mut(j)) {
            *slot = c;
        }
    }
    out
}

/// Collects the 456 soft coded bits of a block from its 4 bursts (148 bits each, tail to tail):
/// the inverse of [`xcch_interleave`] plus burst formatting. Stealing flags and training are ignored.
pub fn xcch_deinterleave(bursts: &[[f32; 148]; 4]) -> [f32; 456] {
    let mut coded = [0.0f32; CODED];
    for (k, c) in coded.iter_mut().enumerate() {
        let (b, j) = interleave_pos(k);
        *c = bursts
            .get(b)
            .and_then(|burst| burst.get(burst_pos(j)))
            .copied()
            .unwrap_or(0.0);
    }
    coded
}

/// Encodes a 23-octet L2 frame into 4 complete normal bursts (148 bits each): tail bits, interleaved
/// data, both stealing flags set to 1 (as on BCCH/CCCH/SDCCH), and training sequence `tsc` (0–7;
/// larger values wrap modulo 8).
pub fn xcch_encode_bursts(frame: &[u8; 23], tsc: u8) -> [[u8; 148]; 4] {
    let coded = xcch_encode_coded(frame);
    let data = xcch_interleave(&coded);
    let training = TRAINING_SEQUENCES[usize::from(tsc % 8)];
    let mut bursts = [[0u8; 148]; 4];
    for (burst, bits) in bursts.iter_mut().zip(data.iter()) {
        for (j, &bit) in bits.iter().enumerate() {
            if let Some(slot) = burst.get_mut(burst_pos(j)) {
                *slot = bit;
            }
        }
        burst[NORMAL_STEALING_LOW_POS] = 1;
        burst[NORMAL_STEALING_HIGH_POS] = 1;
        burst[NORMAL_TRAINING_POS..NORMAL_TRAINING_POS + 26].copy_from_slice(&training);
    }
    bursts
}

/// Viterbi-decodes 456 soft coded bits and checks the Fire code. Returns the 23-octet frame and the
/// number of coded bits the decoder had to correct.
pub fn xcch_decode_coded(coded: &[f32; 456]) -> Result<([u8; 23], u32), CodingError> {
    let mut u = [0u8; CONV_IN];
    let errors = viterbi_decode(coded, &mut u)?;
    let (data, rest) = u.split_at(DATA_BITS);
    if !parity_ok(data, FIRE_POLY, &rest[..PARITY_BITS]) {
        return Err(CodingError::FireCheck);
    }
    let mut frame = [0u8; 23];
    bits_to_bytes_lsb(data, &mut frame);
    Ok((frame, errors))
}

/// Decodes an xCCH block from its 4 bursts (deinterleave, soft Viterbi, Fire check).
pub fn xcch_decode_bursts(bursts: &[[f32; 148]; 4]) -> Result<[u8; 23], CodingError> {
    xcch_decode_bursts_with_errors(bursts).map(|(frame, _)| frame)
}

/// Like [`xcch_decode_bursts`], also returning the number of coded bits corrected (0–456).
pub fn xcch_decode_bursts_with_errors(
    bursts: &[[f32; 148]; 4],
) -> Result<([u8; 23], u32), CodingError> {
    xcch_decode_coded(&xcch_deinterleave(bursts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaver_is_a_permutation() {
        let mut seen = [[false; 114]; 4];
        for k in 0..456 {
            let (b, j) = interleave_pos(k);
            assert!(!seen[b][j], "position {b},{j} used twice");
            seen[b][j] = true;
        }
        let positions: std::collections::HashSet<usize> = (0..114).map(burst_pos).collect();
        assert_eq!(positions.len(), 114);
        assert!(!positions.contains(&NORMAL_STEALING_LOW_POS));
        assert!(!positions.contains(&NORMAL_STEALING_HIGH_POS));
        assert!(
            positions
                .iter()
                .all(|&p| (3..145).contains(&p) && !(61..87).contains(&p))
        );
    }
}
