//! RACH coding (TS 45.003 §4.6, 8-bit access): 8 information bits, 6 parity bits XOR the BSIC,
//! 4 tail bits, rate-1/2 convolutional code → 36 bits, carried by the access burst (TS 45.002 §5.2.7).

use super::conv::{conv_encode, viterbi_decode};
use super::parity::{RACH_POLY, parity_bits};
use super::{CodingError, bits_to_bytes_lsb, bytes_to_bits_lsb};
use crate::gsm::burst::{ACCESS_EXTENDED_TAIL, ACCESS_SYNC};

/// Bits into the convolutional encoder: 8 data + 6 colour + 4 tail.
const CONV_IN: usize = 18;

/// The six colour bits: parity `p(k)` XOR BSIC bit `b(k)`, with `b(0)` the MSB of the NCC.
fn colour_bits(data: &[u8], bsic: u8) -> [u8; 6] {
    let mut p = [0u8; 6];
    parity_bits(data, RACH_POLY, &mut p);
    for (k, bit) in p.iter_mut().enumerate() {
        *bit ^= (bsic >> (5 - k)) & 1;
    }
    p
}

/// The 36 coded bits of an 8-bit random access reference `ra` sent to a cell with BSIC `bsic`.
pub fn rach_encode_coded(ra: u8, bsic: u8) -> [u8; 36] {
    let mut u = [0u8; CONV_IN];
    bytes_to_bits_lsb(&[ra], &mut u[..8]);
    let colour = colour_bits(&u[..8], bsic);
    u[8..14].copy_from_slice(&colour);
    let mut coded = [0u8; 36];
    // Fixed lengths (36 = 2 × 18): cannot fail.
    let _ = conv_encode(&u, &mut coded);
    coded
}

/// A complete 88-bit access burst: 8 extended tail bits, 41 synchronisation bits, 36 coded bits,
/// 3 tail bits (the 68.25-bit guard period follows and is not included).
pub fn rach_encode_burst(ra: u8, bsic: u8) -> [u8; 88] {
    let mut burst = [0u8; 88];
    burst[..8].copy_from_slice(&ACCESS_EXTENDED_TAIL);
    burst[8..49].copy_from_slice(&ACCESS_SYNC);
    burst[49..85].copy_from_slice(&rach_encode_coded(ra, bsic));
    burst
}

/// Decodes the 36 soft coded bits of an access burst sent to BSIC `bsic`: soft Viterbi, then the
/// parity check with the BSIC removed. [`CodingError::Parity`] when the burst is corrupt or was
/// meant for another cell.
pub fn rach_decode(coded: &[f32; 36], bsic: u8) -> Result<u8, CodingError> {
    let mut u = [0u8; CONV_IN];
    viterbi_decode(coded, &mut u)?;
    if colour_bits(&u[..8], bsic) != u[8..14] {
        return Err(CodingError::Parity);
    }
    let mut ra = [0u8; 1];
    bits_to_bytes_lsb(&u[..8], &mut ra);
    Ok(ra[0])
}
