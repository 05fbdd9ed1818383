//! Cyclic block codes of TS 45.003: the xCCH Fire code, the SCH and RACH parity codes.
//!
//! All three follow the same rule: with data bits `d(0)…d(K−1)` and parity bits `p(0)…p(P−1)`, the
//! polynomial `d(0)D^(K+P−1) + … + d(K−1)D^P + p(0)D^(P−1) + … + p(P−1)` leaves the remainder
//! `1 + D + … + D^(P−1)` when divided by `g(D)`: the parity is the inverted CRC remainder.

/// The Fire code generator `(D²³ + 1)(D¹⁷ + D³ + 1) = D⁴⁰ + D²⁶ + D²³ + D¹⁷ + D³ + 1` (TS 45.003 §4.1.2),
/// without its leading `D⁴⁰` term.
pub const FIRE_POLY: u64 = (1 << 26) | (1 << 23) | (1 << 17) | (1 << 3) | 1;
/// Degree of the Fire code (40 parity bits).
pub const FIRE_DEGREE: u32 = 40;
/// The SCH parity generator `D¹⁰ + D⁸ + D⁶ + D⁵ + D⁴ + D² + 1` (TS 45.003 §4.7), without `D¹⁰`.
pub const SCH_POLY: u64 = (1 << 8) | (1 << 6) | (1 << 5) | (1 << 4) | (1 << 2) | 1;
/// Degree of the SCH parity code (10 parity bits).
pub const SCH_DEGREE: u32 = 10;
/// The RACH parity generator `D⁶ + D⁵ + D³ + D² + D + 1` (TS 45.003 §4.6), without `D⁶`.
pub const RACH_POLY: u64 = (1 << 5) | (1 << 3) | (1 << 2) | (1 << 1) | 1;
/// Degree of the RACH parity code (6 parity bits).
pub const RACH_DEGREE: u32 = 6;

/// `data(D) · D^degree mod g(D)` for bits `data` (0/1, first bit = highest power), with `poly`
/// the generator without its leading term. `degree` must be 1..=63 (callers use the constants).
pub fn crc_remainder(data: &[u8], poly: u64, degree: u32) -> u64 {
    let degree = degree.clamp(1, 63);
    let mask = (1u64 << degree) - 1;
    let mut rem = 0u64;
    for &bit in data {
        let feedback = ((rem >> (degree - 1)) & 1) ^ u64::from(bit != 0);
        rem = (rem << 1) & mask;
        if feedback == 1 {
            rem ^= poly & mask;
        }
    }
    rem
}

/// Writes the inverted-remainder parity bits `p(0)…p(P−1)` of `data` into `parity`
/// (`parity.len()` is the degree P, at most 63).
pub fn parity_bits(data: &[u8], poly: u64, parity: &mut [u8]) {
    let degree = parity.len() as u32;
    let rem = !crc_remainder(data, poly, degree);
    for (i, p) in parity.iter_mut().enumerate() {
        let shift = (degree as usize).saturating_sub(1 + i);
        *p = ((rem >> shift) & 1) as u8;
    }
}

/// Checks `parity` (bits `p(0)…p(P−1)`) against `data`: true when they are consistent.
pub fn parity_ok(data: &[u8], poly: u64, parity: &[u8]) -> bool {
    let mut expected = [0u8; 63];
    let len = parity.len().min(63);
    let Some(exp) = expected.get_mut(..len) else {
        return false;
    };
    parity_bits(data, poly, exp);
    exp == parity
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Multiplies two GF(2) polynomials given as bit masks.
    fn gf2_mul(a: u128, b: u128) -> u128 {
        let mut r = 0u128;
        for i in 0..64 {
            if (b >> i) & 1 == 1 {
                r ^= a << i;
            }
        }
        r
    }

    #[test]
    fn fire_generator_is_the_product_of_its_factors() {
        let f1 = (1u128 << 23) | 1;
        let f2 = (1u128 << 17) | (1 << 3) | 1;
        assert_eq!(gf2_mul(f1, f2), (1u128 << 40) | u128::from(FIRE_POLY));
    }

    #[test]
    fn remainder_of_codeword_is_all_ones() {
        // Polynomial division done the slow way: the whole codeword divided by g leaves 1+D+…+D^(P-1).
        let data: Vec<u8> = (0..25).map(|i| ((i * 7 + 3) % 5 == 0) as u8).collect();
        let mut parity = [0u8; 10];
        parity_bits(&data, SCH_POLY, &mut parity);
        let mut word: Vec<u8> = data.clone();
        word.extend_from_slice(&parity);
        // Long division of word(D) by g(D) (with leading term).
        let g = (1u64 << 10) | SCH_POLY;
        let mut reg = 0u64;
        for &b in &word {
            reg = (reg << 1) | u64::from(b);
            if reg >> 10 & 1 == 1 {
                reg ^= g;
            }
        }
        assert_eq!(reg, (1 << 10) - 1);
        assert!(parity_ok(&data, SCH_POLY, &parity));
        parity[3] ^= 1;
        assert!(!parity_ok(&data, SCH_POLY, &parity));
    }
}
