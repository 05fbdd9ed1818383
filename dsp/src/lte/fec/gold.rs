//! The length-31 Gold sequence of TS 36.211 §7.2 and the `c_init` values of the downlink
//! channels that use it.
//!
//! `c(n) = (x1(n + Nc) + x2(n + Nc)) mod 2` with `Nc = 1600`,
//! `x1(n + 31) = (x1(n + 3) + x1(n)) mod 2`, `x1(0) = 1`, `x1(1..=30) = 0`,
//! `x2(n + 31) = (x2(n + 3) + x2(n + 2) + x2(n + 1) + x2(n)) mod 2`, `x2` initialised with
//! `c_init = Σ x2(i)·2^i`.

/// The fast-forward `Nc` of TS 36.211 §7.2.
pub const GOLD_NC: usize = 1600;

/// A running Gold-sequence generator (TS 36.211 §7.2), positioned at `c(0)` after construction.
#[derive(Debug, Clone)]
pub struct Gold {
    /// `x1(n) … x1(n + 30)` in bits 0..=30.
    x1: u32,
    /// `x2(n) … x2(n + 30)` in bits 0..=30.
    x2: u32,
}

impl Gold {
    /// A generator for `c_init` (only its low 31 bits are used), already advanced by `Nc`.
    pub fn new(c_init: u32) -> Self {
        let mut g = Gold {
            x1: 1,
            x2: c_init & 0x7FFF_FFFF,
        };
        for _ in 0..GOLD_NC {
            g.step();
        }
        g
    }

    /// Advances both registers by one, returning the bit `c(n)` for the position before the step.
    #[inline]
    fn step(&mut self) -> u8 {
        let out = ((self.x1 ^ self.x2) & 1) as u8;
        let n1 = (self.x1 ^ (self.x1 >> 3)) & 1;
        let n2 = (self.x2 ^ (self.x2 >> 1) ^ (self.x2 >> 2) ^ (self.x2 >> 3)) & 1;
        self.x1 = (self.x1 >> 1) | (n1 << 30);
        self.x2 = (self.x2 >> 1) | (n2 << 30);
        out
    }

    /// The next bit of `c(n)`.
    #[inline]
    pub fn next_bit(&mut self) -> u8 {
        self.step()
    }

    /// Skips `n` bits of the sequence.
    pub fn skip(&mut self, n: usize) {
        for _ in 0..n {
            self.step();
        }
    }
}

/// Fills `out` with `c(0) … c(len − 1)` for `c_init` (TS 36.211 §7.2), one bit (0/1) per element.
pub fn gold_bits(c_init: u32, out: &mut [u8]) {
    let mut g = Gold::new(c_init);
    for o in out.iter_mut() {
        *o = g.next_bit();
    }
}

/// `c(0) … c(len − 1)` for `c_init` as a vector of bits.
pub fn gold_sequence(c_init: u32, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    gold_bits(c_init, &mut v);
    v
}

/// Fills `out` with the ±1 scrambling factors `1 − 2·c(n)` for `c_init`: multiplying a soft bit by
/// its factor scrambles or de-scrambles it (TS 36.211 §6.3.1, §6.6.1, §6.7.1, §6.8.2).
pub fn gold_signs(c_init: u32, out: &mut [f32]) {
    let mut g = Gold::new(c_init);
    for o in out.iter_mut() {
        *o = if g.next_bit() == 0 { 1.0 } else { -1.0 };
    }
}

/// De-scrambles (or scrambles) soft bits in place starting at `c(offset)`: each value whose
/// sequence bit is 1 changes sign. Used for PBCH (offset = 480·(SFN mod 4) normal CP), PCFICH,
/// PDCCH and PDSCH.
pub fn descramble_soft(c_init: u32, offset: usize, soft: &mut [f32]) {
    let mut g = Gold::new(c_init);
    g.skip(offset);
    for s in soft.iter_mut() {
        if g.next_bit() != 0 {
            *s = -*s;
        }
    }
}

/// Scrambles hard bits in place (XOR with `c(offset + n)`), TS 36.211 §6.3.1.
pub fn scramble_bits(c_init: u32, offset: usize, bits: &mut [u8]) {
    let mut g = Gold::new(c_init);
    g.skip(offset);
    for b in bits.iter_mut() {
        *b ^= g.next_bit();
    }
}

/// PBCH scrambling `c_init = N_ID^cell`, re-initialised in every radio frame with
/// `n_f mod 4 = 0` (TS 36.211 §6.6.1).
pub const fn c_init_pbch(cell_id: u16) -> u32 {
    cell_id as u32
}

/// PCFICH scrambling `c_init = (⌊n_s/2⌋ + 1)·(2·N_ID^cell + 1)·2⁹ + N_ID^cell` at the start of
/// every subframe (TS 36.211 §6.7.1). `slot` is `n_s` (0..=19).
pub const fn c_init_pcfich(slot: u8, cell_id: u16) -> u32 {
    (slot as u32 / 2 + 1) * (2 * cell_id as u32 + 1) * (1 << 9) + cell_id as u32
}

/// PDCCH scrambling `c_init = ⌊n_s/2⌋·2⁹ + N_ID^cell` at the start of every subframe
/// (TS 36.211 §6.8.2).
pub const fn c_init_pdcch(slot: u8, cell_id: u16) -> u32 {
    (slot as u32 / 2) * (1 << 9) + cell_id as u32
}

/// PDSCH scrambling `c_init = n_RNTI·2¹⁴ + q·2¹³ + ⌊n_s/2⌋·2⁹ + N_ID^cell` for codeword `q`
/// (TS 36.211 §6.3.1; SIB1 uses the SI-RNTI 0xFFFF and q = 0).
pub const fn c_init_pdsch(rnti: u16, codeword: u8, slot: u8, cell_id: u16) -> u32 {
    ((rnti as u32) << 14)
        + ((codeword as u32 & 1) << 13)
        + ((slot as u32 / 2) << 9)
        + cell_id as u32
}

/// PHICH scrambling `c_init = (⌊n_s/2⌋ + 1)·(2·N_ID^cell + 1)·2⁹ + N_ID^cell`
/// (TS 36.211 §6.9.1).
pub const fn c_init_phich(slot: u8, cell_id: u16) -> u32 {
    c_init_pcfich(slot, cell_id)
}

/// Cell-specific reference signal `c_init = 2¹⁰·(7·(n_s + 1) + l + 1)·(2·N_ID^cell + 1) +
/// 2·N_ID^cell + N_CP` for OFDM symbol `l` of slot `n_s`, `N_CP` = 1 for normal and 0 for
/// extended cyclic prefix (TS 36.211 §6.10.1.1).
pub const fn c_init_crs(slot: u8, symbol: u8, cell_id: u16, normal_cp: bool) -> u32 {
    (1 << 10) * (7 * (slot as u32 + 1) + symbol as u32 + 1) * (2 * cell_id as u32 + 1)
        + 2 * cell_id as u32
        + normal_cp as u32
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The spec's recursion, written out long-hand on arrays (no bit tricks).
    fn reference(c_init: u32, len: usize) -> Vec<u8> {
        let total = GOLD_NC + len + 31;
        let mut x1 = vec![0u8; total];
        let mut x2 = vec![0u8; total];
        x1[0] = 1;
        for (i, x) in x2.iter_mut().enumerate().take(31) {
            *x = ((c_init >> i) & 1) as u8;
        }
        for n in 0..total - 31 {
            x1[n + 31] = (x1[n + 3] + x1[n]) % 2;
            x2[n + 31] = (x2[n + 3] + x2[n + 2] + x2[n + 1] + x2[n]) % 2;
        }
        (0..len)
            .map(|n| (x1[n + GOLD_NC] + x2[n + GOLD_NC]) % 2)
            .collect()
    }

    #[test]
    fn matches_the_long_hand_recursion() {
        for c_init in [0u32, 1, 301, 0x7FFF_FFFF, c_init_pdsch(0xFFFF, 0, 10, 503)] {
            assert_eq!(
                gold_sequence(c_init, 2000),
                reference(c_init, 2000),
                "{c_init}"
            );
        }
    }

    /// c_init = 0 leaves x2 all-zero, so c(n) = x1(n + 1600), an m-sequence.
    #[test]
    fn zero_init_is_the_x1_m_sequence() {
        let c = gold_sequence(0, 64);
        let r = reference(0, 64);
        assert_eq!(c, r);
    }

    #[test]
    fn signs_and_descrambling_agree_with_the_bits() {
        let bits = gold_sequence(1234, 300);
        let mut signs = vec![0.0f32; 300];
        gold_signs(1234, &mut signs);
        for (b, s) in bits.iter().zip(&signs) {
            assert_eq!(*s, if *b == 0 { 1.0 } else { -1.0 });
        }
        let mut soft = vec![0.5f32; 100];
        descramble_soft(1234, 200, &mut soft);
        for (k, s) in soft.iter().enumerate() {
            assert_eq!(*s, 0.5 * signs[200 + k]);
        }
        let mut hard = vec![0u8; 50];
        scramble_bits(1234, 7, &mut hard);
        assert_eq!(&hard[..], &bits[7..57]);
    }

    #[test]
    fn c_init_formulas() {
        assert_eq!(c_init_pbch(301), 301);
        // ns = 0, cell 0: (0 + 1)(1) 512 + 0.
        assert_eq!(c_init_pcfich(0, 0), 512);
        assert_eq!(c_init_pcfich(3, 10), 2 * 21 * 512 + 10);
        assert_eq!(c_init_pdcch(10, 5), 5 * 512 + 5);
        assert_eq!(
            c_init_pdsch(0xFFFF, 0, 10, 503),
            0xFFFF * 16384 + 5 * 512 + 503
        );
        assert_eq!(c_init_pdsch(1, 1, 0, 0), 16384 + 8192);
        assert_eq!(c_init_crs(0, 0, 0, true), 1024 * 8 + 1);
        assert_eq!(
            c_init_crs(19, 6, 503, false),
            1024 * (7 * 20 + 7) * 1007 + 1006
        );
        assert!(c_init_crs(19, 6, 503, true) < 1 << 31);
    }
}
