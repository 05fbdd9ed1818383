//! GSM channel coding (TS 45.003): convolutional code and Viterbi decoder, Fire code, parity,
//! interleaving, for xCCH, SCH and RACH blocks; the demapper that groups bursts into blocks; and a
//! parser for gr-gsm-style burst listings.
//!
//! Soft-bit convention: `f32`, > 0 means bit 1, < 0 means bit 0, magnitude = confidence; a hard bit
//! `b` maps to `2b − 1`. Bursts are 148 bits tail to tail. Bits inside octets go least significant
//! bit first on air (TS 44.004), so `d(k)` is bit `k mod 8` of octet `k / 8`.

mod assembler;
pub mod conv;
mod listing;
pub mod parity;
mod rach;
mod sch;
mod xcch;

pub use crate::gsm::burst::{DUMMY_BURST, fcch_burst};
pub use assembler::{
    Block, BlockAssembler, BlockCounters, ChannelCombination, ChannelKind, block_position,
};
pub use listing::{BurstLine, BurstLineError, parse_burst_line};
pub use rach::{rach_decode, rach_encode_burst, rach_encode_coded};
pub use sch::{SchInfo, sch_decode_burst, sch_decode_burst_with_errors, sch_encode_burst};
pub use xcch::{
    xcch_decode_bursts, xcch_decode_bursts_with_errors, xcch_decode_coded, xcch_deinterleave,
    xcch_encode_bursts, xcch_encode_coded, xcch_interleave,
};

/// Why a block did not decode. Garbage on air is normal: callers count these, they are not fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodingError {
    /// The Fire code (xCCH) check failed after Viterbi decoding.
    #[error("Fire code check failed")]
    FireCheck,
    /// A parity check (SCH or RACH) failed after Viterbi decoding.
    #[error("parity check failed")]
    Parity,
    /// A decoded field is outside its legal range (e.g. SCH T2 > 25): a false parity pass.
    #[error("decoded field out of range")]
    OutOfRange,
    /// An input had the wrong length.
    #[error("wrong length: expected {expected}, got {got}")]
    Length {
        /// Length the function needs.
        expected: usize,
        /// Length it was given.
        got: usize,
    },
}

/// Unpacks octets into bits, least significant bit of each octet first (`d(k)` = bit `k mod 8`
/// of octet `k / 8`). Writes `min(out.len(), 8 · bytes.len())` bits.
pub fn bytes_to_bits_lsb(bytes: &[u8], out: &mut [u8]) {
    for (k, o) in out.iter_mut().enumerate() {
        let byte = bytes.get(k / 8).copied().unwrap_or(0);
        *o = (byte >> (k % 8)) & 1;
    }
}

/// Packs bits into octets, least significant bit first (inverse of [`bytes_to_bits_lsb`]).
/// Bits beyond `8 · out.len()` are ignored; missing bits are 0.
pub fn bits_to_bytes_lsb(bits: &[u8], out: &mut [u8]) {
    for (i, o) in out.iter_mut().enumerate() {
        let mut v = 0u8;
        for j in 0..8 {
            if bits.get(i * 8 + j).copied().unwrap_or(0) != 0 {
                v |= 1 << j;
            }
        }
        *o = v;
    }
}
