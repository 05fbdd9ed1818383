//! Code-block segmentation and code-block CRC attachment (TS 36.212 §5.1.2).
//!
//! A transport block with its CRC-24A (`B` bits) longer than `Z = 6144` is cut into `C` blocks of
//! the two neighbouring sizes `K+`/`K−` of Table 5.1.3-3, each with a CRC-24B; `F` filler bits
//! (zeros, not transmitted) pad the start of the first block. A short block (`C = 1`) gets no
//! CRC-24B, and filler if `B` is not a table size.

use super::FecError;
use super::crc::{CrcKind, append_crc_bits, crc_check_bits};
use super::turbo::{QPP_TABLE, TURBO_MAX_K};

/// CRC-24B length added per block when `C > 1`.
const L_CB: usize = 24;

/// The segmentation of a `B`-bit block (transport block + CRC-24A), §5.1.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segmentation {
    /// Input bits `B`.
    pub b: usize,
    /// Number of code blocks `C`.
    pub c: usize,
    /// The larger block size `K+`.
    pub k_plus: usize,
    /// The smaller block size `K−` (0 when unused).
    pub k_minus: usize,
    /// Blocks of size `K+`.
    pub c_plus: usize,
    /// Blocks of size `K−` (they come first).
    pub c_minus: usize,
    /// Filler bits `F` at the start of block 0.
    pub filler: usize,
    /// CRC bits per block `L` (24 when `C > 1`, else 0).
    pub crc_len: usize,
}

impl Segmentation {
    /// Segments `b` bits. Errors: [`FecError::BlockSize`] for `b = 0` or a block too long for
    /// any LTE transport block (more than 2²⁰ bits).
    pub fn new(b: usize) -> Result<Self, FecError> {
        if b == 0 || b > 1 << 20 {
            return Err(FecError::BlockSize(b));
        }
        let (c, l) = if b <= TURBO_MAX_K {
            (1, 0)
        } else {
            (b.div_ceil(TURBO_MAX_K - L_CB), L_CB)
        };
        let b_prime = b + c * l;
        let sizes = QPP_TABLE.iter().map(|&(k, _, _)| usize::from(k));
        let k_plus = sizes
            .clone()
            .find(|&k| c * k >= b_prime)
            .ok_or(FecError::BlockSize(b))?;
        let (k_minus, c_minus, c_plus) = if c == 1 {
            (0, 0, 1)
        } else {
            let k_minus = sizes.rev().find(|&k| k < k_plus).unwrap_or(0);
            let delta = k_plus - k_minus;
            let c_minus = (c * k_plus - b_prime).checked_div(delta).unwrap_or(0);
            (k_minus, c_minus, c - c_minus)
        };
        let filler = c_plus * k_plus + c_minus * k_minus - b_prime;
        Ok(Segmentation {
            b,
            c,
            k_plus,
            k_minus,
            c_plus,
            c_minus,
            filler,
            crc_len: l,
        })
    }

    /// Size `K_r` of block `r`.
    pub fn block_len(&self, r: usize) -> usize {
        if r < self.c_minus {
            self.k_minus
        } else {
            self.k_plus
        }
    }

    /// Filler bits in block `r` (only block 0 has any).
    pub fn filler_in(&self, r: usize) -> usize {
        if r == 0 { self.filler } else { 0 }
    }

    /// The CRC a decoder can stop on for block `r`: CRC-24B when `C > 1`, else the transport
    /// block's CRC-24A (filler zeros in front do not change a zero-initialised CRC).
    pub fn block_crc(&self) -> CrcKind {
        if self.c > 1 {
            CrcKind::Crc24B
        } else {
            CrcKind::Crc24A
        }
    }

    /// Cuts `input` (`B` bits: transport block + CRC-24A) into code blocks, filler bits as 0,
    /// CRC-24B appended when `C > 1`.
    pub fn segment(&self, input: &[u8]) -> Result<Vec<Vec<u8>>, FecError> {
        if input.len() != self.b {
            return Err(FecError::Length {
                expected: self.b,
                got: input.len(),
            });
        }
        let mut blocks = Vec::with_capacity(self.c);
        let mut s = 0;
        for r in 0..self.c {
            let kr = self.block_len(r);
            let f = self.filler_in(r);
            let take = kr - self.crc_len - f;
            let mut blk = Vec::with_capacity(kr);
            blk.resize(f, 0);
            blk.extend_from_slice(&input[s..s + take]);
            s += take;
            if self.c > 1 {
                append_crc_bits(CrcKind::Crc24B, &mut blk, 0);
            }
            blocks.push(blk);
        }
        Ok(blocks)
    }

    /// Joins decoded code blocks back into the `B` bits, dropping filler and CRC-24B bits.
    /// Returns [`FecError::Crc`] when a block's CRC-24B fails (`C > 1`).
    pub fn desegment(&self, blocks: &[Vec<u8>]) -> Result<Vec<u8>, FecError> {
        if blocks.len() != self.c {
            return Err(FecError::Length {
                expected: self.c,
                got: blocks.len(),
            });
        }
        let mut out = Vec::with_capacity(self.b);
        for (r, blk) in blocks.iter().enumerate() {
            let kr = self.block_len(r);
            if blk.len() != kr {
                return Err(FecError::Length {
                    expected: kr,
                    got: blk.len(),
                });
            }
            if self.c > 1 && !crc_check_bits(CrcKind::Crc24B, blk) {
                return Err(FecError::Crc);
            }
            out.extend_from_slice(&blk[self.filler_in(r)..kr - self.crc_len]);
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::signal::Rng;

    #[test]
    fn small_blocks_get_filler_only() {
        // SIB1 of 72 bits + 24 CRC = 96: a table size, no filler.
        let s = Segmentation::new(96).unwrap();
        assert_eq!((s.c, s.k_plus, s.filler, s.crc_len), (1, 96, 0, 0));
        // 16 + 24 = 40: the smallest size.
        let s = Segmentation::new(40).unwrap();
        assert_eq!((s.c, s.k_plus, s.filler), (1, 40, 0));
        // B < 40: filler up to 40.
        let s = Segmentation::new(30).unwrap();
        assert_eq!((s.k_plus, s.filler), (40, 10));
        // 208 + 24 = 232: table size.
        assert_eq!(Segmentation::new(232).unwrap().filler, 0);
        // 500: next size 504, 4 filler bits.
        assert_eq!(Segmentation::new(500).unwrap().filler, 4);
        assert_eq!(Segmentation::new(6144).unwrap().c, 1);
        assert!(Segmentation::new(0).is_err());
    }

    #[test]
    fn large_blocks_split_as_the_spec_says() {
        // B = 6145: C = 2, B' = 6193, K+ = 3136 (2·3136 = 6272 ≥ 6193), K− = 3072,
        // C− = ⌊(6272 − 6193) / 64⌋ = 1, C+ = 1, F = 3136 + 3072 − 6193 = 15.
        let s = Segmentation::new(6145).unwrap();
        assert_eq!(
            (s.c, s.k_plus, s.k_minus, s.c_plus, s.c_minus, s.filler),
            (2, 3136, 3072, 1, 1, 15)
        );
        // Largest TBS of 36.213 Table 7.1.7.2.1-1 (75376 + 24): C = 13, all 6144? B' = 75712,
        // 13·5824 = 75712 exactly → K+ = 5824, F = 0.
        let s = Segmentation::new(75_400).unwrap();
        assert_eq!((s.c, s.k_plus, s.filler), (13, 5824, 0));
        assert_eq!(
            s.c_plus * s.k_plus + s.c_minus * s.k_minus,
            75_400 + 13 * 24 + s.filler
        );
    }

    #[test]
    fn segment_and_desegment_round_trip() {
        let mut rng = Rng::new(2);
        for b in [30usize, 96, 1000, 6145, 20_000] {
            let s = Segmentation::new(b).unwrap();
            let input: Vec<u8> = (0..b).map(|_| rng.bit()).collect();
            let mut blocks = s.segment(&input).unwrap();
            assert_eq!(blocks.len(), s.c);
            for (r, blk) in blocks.iter().enumerate() {
                assert_eq!(blk.len(), s.block_len(r));
                assert!(blk[..s.filler_in(r)].iter().all(|&x| x == 0));
            }
            assert_eq!(s.desegment(&blocks).unwrap(), input);
            if s.c > 1 {
                blocks[1][5] ^= 1;
                assert_eq!(s.desegment(&blocks), Err(FecError::Crc));
            }
        }
        let s = Segmentation::new(96).unwrap();
        assert!(s.segment(&[0; 95]).is_err());
        assert!(s.desegment(&[]).is_err());
        assert!(s.desegment(&[vec![0; 95]]).is_err());
    }
}
