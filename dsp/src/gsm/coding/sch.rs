//! SCH coding (TS 45.003 §4.7, contents TS 44.018 §9.1.30): 25 information bits (BSIC, T1, T2, T3'),
//! 10 parity bits, 4 tail bits, rate-1/2 convolutional code → 78 bits, split 39 + 39 around the
//! 64-bit extended training sequence.

use super::conv::{conv_encode, viterbi_decode};
use super::parity::{SCH_POLY, parity_bits, parity_ok};
use super::{CodingError, bits_to_bytes_lsb, bytes_to_bits_lsb};
use crate::gsm::burst::{SCH_TRAINING, SCH_TRAINING_POS};

/// Information bits of the SCH.
const INFO_BITS: usize = 25;
/// Parity bits of the SCH.
const PARITY_BITS: usize = 10;
/// Bits into the convolutional encoder.
const CONV_IN: usize = INFO_BITS + PARITY_BITS + 4;
/// Coded bits.
const CODED: usize = 2 * CONV_IN;
/// Frames in a 26 × 51 superframe (the period of T1's step).
const SUPERFRAME: u32 = 26 * 51;

/// What the synchronisation burst carries: the BSIC and the reduced frame number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SchInfo {
    /// Base station identity code: `NCC << 3 | BCC` (6 bits).
    pub bsic: u8,
    /// T1 = FN div (26 × 51), 0–2047.
    pub t1: u16,
    /// T2 = FN mod 26, 0–25.
    pub t2: u8,
    /// T3 = FN mod 51, 0–50 (the SCH itself only sits on 1, 11, 21, 31, 41).
    pub t3: u8,
}

impl SchInfo {
    /// The SCH contents for BSIC `bsic` in frame `fn_` (taken modulo the hyperframe).
    pub fn from_frame_number(bsic: u8, fn_: u32) -> SchInfo {
        let fn_ = fn_ % crate::gsm::HYPERFRAME;
        SchInfo {
            bsic: bsic & 0x3f,
            t1: ((fn_ / SUPERFRAME) % 2048) as u16,
            t2: (fn_ % 26) as u8,
            t3: (fn_ % 51) as u8,
        }
    }

    /// The TDMA frame number: `51 · ((T3 − T2) mod 26) + T3 + 51 · 26 · T1` (TS 45.002 §3.3.2.2.1).
    /// Out-of-range fields are reduced modulo their ranges first.
    pub fn frame_number(&self) -> u32 {
        let t1 = u32::from(self.t1) % 2048;
        let t2 = u32::from(self.t2) % 26;
        let t3 = u32::from(self.t3) % 51;
        let diff = (t3 + 26 * 2 - t2) % 26;
        51 * diff + t3 + SUPERFRAME * t1
    }

    /// Network colour code (upper 3 bits of the BSIC).
    pub fn ncc(&self) -> u8 {
        (self.bsic >> 3) & 0x07
    }

    /// Base station colour code (lower 3 bits of the BSIC); also the TSC of the BCCH carrier.
    pub fn bcc(&self) -> u8 {
        self.bsic & 0x07
    }

    /// The 25 information bits `d(0…24)`: the four octets of TS 44.018 §9.1.30, least significant bit
    /// of each octet first.
    fn info_bits(&self) -> [u8; INFO_BITS] {
        let t1 = self.t1 & 0x7ff;
        let t2 = self.t2 & 0x1f;
        let t3p = (self.t3.saturating_sub(1) / 10) & 0x07;
        let octets = [
            ((self.bsic & 0x3f) << 2) | ((t1 >> 9) & 0x03) as u8,
            ((t1 >> 1) & 0xff) as u8,
            (((t1 & 1) as u8) << 7) | (t2 << 2) | ((t3p >> 1) & 0x03),
            t3p & 1,
        ];
        let mut bits = [0u8; INFO_BITS];
        bytes_to_bits_lsb(&octets, &mut bits);
        bits
    }

    /// Inverse of [`SchInfo::info_bits`]; fails on T2 > 25 or T3' > 4.
    fn from_info_bits(bits: &[u8]) -> Result<SchInfo, CodingError> {
        let mut o = [0u8; 4];
        bits_to_bytes_lsb(bits, &mut o);
        let bsic = o[0] >> 2;
        let t1 = (u16::from(o[0] & 0x03) << 9) | (u16::from(o[1]) << 1) | u16::from(o[2] >> 7);
        let t2 = (o[2] >> 2) & 0x1f;
        let t3p = ((o[2] & 0x03) << 1) | (o[3] & 1);
        if t2 > 25 || t3p > 4 {
            return Err(CodingError::OutOfRange);
        }
        Ok(SchInfo {
            bsic,
            t1,
            t2,
            t3: 10 * t3p + 1,
        })
    }
}

/// Builds the complete 148-bit synchronisation burst for `info`: 3 tail bits, 39 coded bits, the
/// 64-bit extended training sequence, 39 coded bits, 3 tail bits.
pub fn sch_encode_burst(info: &SchInfo) -> [u8; 148] {
    let mut u = [0u8; CONV_IN];
    u[..INFO_BITS].copy_from_slice(&info.info_bits());
    let (data, rest) = u.split_at_mut(INFO_BITS);
    parity_bits(data, SCH_POLY, &mut rest[..PARITY_BITS]);
    let mut coded = [0u8; CODED];
    // Fixed lengths (78 = 2 × 39): cannot fail.
    let _ = conv_encode(&u, &mut coded);
    let mut burst = [0u8; 148];
    burst[3..3 + 39].copy_from_slice(&coded[..39]);
    burst[SCH_TRAINING_POS..SCH_TRAINING_POS + 64].copy_from_slice(&SCH_TRAINING);
    burst[SCH_TRAINING_POS + 64..SCH_TRAINING_POS + 64 + 39].copy_from_slice(&coded[39..]);
    burst
}

/// Decodes a synchronisation burst (148 soft bits, tail to tail): soft Viterbi, parity check.
pub fn sch_decode_burst(burst: &[f32; 148]) -> Result<SchInfo, CodingError> {
    sch_decode_burst_with_errors(burst).map(|(info, _)| info)
}

/// Like [`sch_decode_burst`], also returning the number of coded bits corrected (0–78).
pub fn sch_decode_burst_with_errors(burst: &[f32; 148]) -> Result<(SchInfo, u32), CodingError> {
    let mut coded = [0.0f32; CODED];
    coded[..39].copy_from_slice(&burst[3..3 + 39]);
    coded[39..].copy_from_slice(&burst[SCH_TRAINING_POS + 64..SCH_TRAINING_POS + 64 + 39]);
    let mut u = [0u8; CONV_IN];
    let errors = viterbi_decode(&coded, &mut u)?;
    let (data, rest) = u.split_at(INFO_BITS);
    if !parity_ok(data, SCH_POLY, &rest[..PARITY_BITS]) {
        return Err(CodingError::Parity);
    }
    Ok((SchInfo::from_info_bits(data)?, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_number_round_trip_on_sch_frames() {
        for fn_ in [
            0u32,
            1,
            11,
            675_016,
            675_026,
            860_911,
            crate::gsm::HYPERFRAME - 10,
        ] {
            let fn_sch = fn_ - fn_ % 51 + 1;
            let info = SchInfo::from_frame_number(48, fn_sch);
            assert_eq!(info.frame_number(), fn_sch);
            assert_eq!((info.ncc(), info.bcc()), (6, 0));
        }
        // The example in the recordings README: FN 675016 → T1 509, T2 4, T3 31.
        let info = SchInfo::from_frame_number(32, 675_016);
        assert_eq!((info.t1, info.t2, info.t3), (509, 4, 31));
    }
}
