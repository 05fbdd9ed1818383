//! Rate matching for convolutionally coded channels (TS 36.212 §5.1.4.2): PBCH, PDCCH (DCI).
//!
//! Each of the three coded streams goes through a sub-block interleaver of 32 columns
//! (`R = ⌈D/32⌉` rows, `32R − D` dummy bits first, rows written left to right, columns permuted
//! by [`CONV_COLUMN_PERMUTATION`], read column by column); the streams are concatenated into the
//! virtual buffer `w` (`K_w = 3·32R`), and `E` bits are read from it cyclically, skipping the
//! dummy bits, so short outputs puncture and long outputs repeat.
//!
//! The de-matcher adds the soft values of every repetition of a coded bit (PBCH: 1920 received
//! bits onto 120 coded bits, 16 copies each).

use super::FecError;

/// Inter-column permutation pattern of the convolutional sub-block interleaver (TS 36.212
/// Table 5.1.4-2).
pub const CONV_COLUMN_PERMUTATION: [usize; 32] = [
    1, 17, 9, 25, 5, 21, 13, 29, 3, 19, 11, 27, 7, 23, 15, 31, 0, 16, 8, 24, 4, 20, 12, 28, 2, 18,
    10, 26, 6, 22, 14, 30,
];

/// Columns of the sub-block interleavers (§5.1.4.1.1 and §5.1.4.2.1).
pub const SUBBLOCK_COLUMNS: usize = 32;

/// The rate matcher for one block length `D` (bits per coded stream): it holds the order in which
/// the stream-major coded bits (`d⁽ⁱ⁾(k)` at `i·D + k`) leave the circular buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvRateMatcher {
    d: usize,
    /// Coded-bit index of each non-dummy entry of `w`, in buffer order (length `3D`).
    order: Vec<u32>,
}

impl ConvRateMatcher {
    /// A rate matcher for streams of `d` bits (the information block length including CRC).
    /// Returns [`FecError::BlockSize`] for `d = 0` or an absurd length (more than 2²⁰ bits).
    pub fn new(d: usize) -> Result<Self, FecError> {
        if d == 0 || d > 1 << 20 {
            return Err(FecError::BlockSize(d));
        }
        let rows = d.div_ceil(SUBBLOCK_COLUMNS);
        let dummies = rows * SUBBLOCK_COLUMNS - d;
        let mut order = Vec::with_capacity(3 * d);
        for stream in 0..3 {
            for &col in &CONV_COLUMN_PERMUTATION {
                for row in 0..rows {
                    let y = row * SUBBLOCK_COLUMNS + col;
                    if y >= dummies {
                        order.push((stream * d + y - dummies) as u32);
                    }
                }
            }
        }
        Ok(ConvRateMatcher { d, order })
    }

    /// The stream length `D` this matcher was built for.
    pub fn block_len(&self) -> usize {
        self.d
    }

    /// The coded-bit index (stream-major) that output bit `k` of the rate matcher carries.
    pub fn source_index(&self, k: usize) -> usize {
        self.order[k % self.order.len()] as usize
    }

    /// Selects `out.len()` bits `e(k)` from the coded bits (`3D`, stream-major), §5.1.4.2.
    pub fn rate_match(&self, coded: &[u8], out: &mut [u8]) -> Result<(), FecError> {
        if coded.len() != 3 * self.d {
            return Err(FecError::Length {
                expected: 3 * self.d,
                got: coded.len(),
            });
        }
        for (o, &src) in out.iter_mut().zip(self.order.iter().cycle()) {
            *o = coded[src as usize];
        }
        Ok(())
    }

    /// Soft de-matching: clears `coded` (`3D`, stream-major) and adds each received soft value
    /// onto the coded bit it carries, so repetitions accumulate. Non-finite values are skipped.
    pub fn rate_dematch(&self, received: &[f32], coded: &mut [f32]) -> Result<(), FecError> {
        if coded.len() != 3 * self.d {
            return Err(FecError::Length {
                expected: 3 * self.d,
                got: coded.len(),
            });
        }
        coded.fill(0.0);
        for (&r, &src) in received.iter().zip(self.order.iter().cycle()) {
            if r.is_finite() {
                coded[src as usize] += r;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lte::fec::conv::{tbcc_decode, tbcc_encode};
    use crate::signal::Rng;

    #[test]
    fn permutation_is_a_permutation() {
        let mut seen = [false; 32];
        for &p in &CONV_COLUMN_PERMUTATION {
            assert!(!seen[p]);
            seen[p] = true;
        }
        assert_eq!(CONV_COLUMN_PERMUTATION[0], 1);
        assert_eq!(CONV_COLUMN_PERMUTATION[16], 0);
        assert_eq!(CONV_COLUMN_PERMUTATION[31], 30);
    }

    /// The interleaver written as the spec describes it, with an explicit matrix and NULLs.
    fn reference_w(d: usize) -> Vec<Option<usize>> {
        let rows = d.div_ceil(32);
        let nd = rows * 32 - d;
        let mut w = Vec::new();
        for stream in 0..3 {
            let y: Vec<Option<usize>> = (0..rows * 32)
                .map(|k| {
                    if k < nd {
                        None
                    } else {
                        Some(stream * d + k - nd)
                    }
                })
                .collect();
            // Matrix row-major, permuted columns, read column by column.
            for j in 0..32 {
                for r in 0..rows {
                    w.push(y[r * 32 + CONV_COLUMN_PERMUTATION[j]]);
                }
            }
        }
        w
    }

    #[test]
    fn matches_the_matrix_description() {
        for d in [1usize, 31, 32, 33, 40, 57, 72] {
            let rm = ConvRateMatcher::new(d).unwrap();
            let w: Vec<usize> = reference_w(d).into_iter().flatten().collect();
            assert_eq!(w.len(), 3 * d);
            for (k, &src) in w.iter().enumerate() {
                assert_eq!(rm.source_index(k), src, "d={d} k={k}");
            }
        }
        assert!(ConvRateMatcher::new(0).is_err());
    }

    #[test]
    fn pbch_first_bits() {
        // D = 40: R = 2 rows, 24 dummies. Column 1 of stream 0 holds y(1) (dummy) and y(33) =
        // d(9); column 17 holds y(17) (dummy) and y(49) = d(25).
        let rm = ConvRateMatcher::new(40).unwrap();
        assert_eq!(rm.source_index(0), 9);
        assert_eq!(rm.source_index(1), 25);
        assert_eq!(rm.source_index(120), 9);
    }

    #[test]
    fn pbch_round_trip_with_repetition_and_errors() {
        // 40 bits → 120 coded → 1920 (16 copies); flip a third of the received bits at random:
        // the repetitions out-vote them.
        let mut rng = Rng::new(21);
        let rm = ConvRateMatcher::new(40).unwrap();
        for _ in 0..20 {
            let c: Vec<u8> = (0..40).map(|_| rng.bit()).collect();
            let mut d = vec![0u8; 120];
            tbcc_encode(&c, &mut d).unwrap();
            let mut e = vec![0u8; 1920];
            rm.rate_match(&d, &mut e).unwrap();
            let soft: Vec<f32> = e
                .iter()
                .map(|&b| {
                    let s = if b == 1 { 1.0 } else { -1.0 };
                    if rng.uniform() < 0.33 { -s } else { s }
                })
                .collect();
            let mut acc = vec![0.0f32; 120];
            rm.rate_dematch(&soft, &mut acc).unwrap();
            let mut out = vec![0u8; 40];
            tbcc_decode(&acc, &mut out).unwrap();
            assert_eq!(out, c);
        }
    }

    #[test]
    fn dematch_accumulates_each_copy() {
        let rm = ConvRateMatcher::new(43).unwrap();
        let ones = vec![1.0f32; 3 * 43 * 3 + 5];
        let mut acc = vec![0.0f32; 129];
        rm.rate_dematch(&ones, &mut acc).unwrap();
        let total: f32 = acc.iter().sum();
        assert_eq!(total, ones.len() as f32);
        assert!(acc.iter().all(|&a| a == 3.0 || a == 4.0));
        // Punctured: fewer outputs than coded bits leaves zeros (erasures).
        let few = vec![1.0f32; 100];
        rm.rate_dematch(&few, &mut acc).unwrap();
        assert_eq!(acc.iter().filter(|&&a| a == 0.0).count(), 29);
        assert!(rm.rate_dematch(&few, &mut [0.0; 10]).is_err());
        assert!(rm.rate_match(&[0; 10], &mut [0; 10]).is_err());
    }

    #[test]
    fn punctured_dci_round_trip() {
        // A 1A-sized DCI for 25 PRB (27 bits + 16 CRC = 43) on 1 CCE (72 bits) and on 8 CCEs.
        let mut rng = Rng::new(8);
        let rm = ConvRateMatcher::new(43).unwrap();
        for e_len in [72usize, 144, 576] {
            let c: Vec<u8> = (0..43).map(|_| rng.bit()).collect();
            let mut d = vec![0u8; 129];
            tbcc_encode(&c, &mut d).unwrap();
            let mut e = vec![0u8; e_len];
            rm.rate_match(&d, &mut e).unwrap();
            let soft: Vec<f32> = e.iter().map(|&b| if b == 1 { 1.0 } else { -1.0 }).collect();
            let mut acc = vec![0.0f32; 129];
            rm.rate_dematch(&soft, &mut acc).unwrap();
            let mut out = vec![0u8; 43];
            tbcc_decode(&acc, &mut out).unwrap();
            assert_eq!(out, c, "E={e_len}");
        }
    }
}
