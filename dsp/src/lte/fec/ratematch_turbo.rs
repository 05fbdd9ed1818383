//! Rate matching for turbo-coded transport channels (TS 36.212 §5.1.4.1): DL-SCH, PCH.
//!
//! The three coded streams (`D = K + 4` bits each) pass through the sub-block interleaver of 32
//! columns with the permutation [`TURBO_COLUMN_PERMUTATION`] (`d⁽²⁾` with the extra index shift
//! of §5.1.4.1.1); the circular buffer holds the systematic stream followed by the two parity
//! streams interlaced. Transmission starts at `k0 = R·(2·⌈N_cb/(8R)⌉·rv + 2)` for redundancy
//! version `rv` (0-3) and reads `E` bits cyclically over the first `N_cb`, skipping dummy and
//! filler bits. De-matching adds each received soft value onto the coded bit it carries.

use super::FecError;
use super::ratematch_conv::SUBBLOCK_COLUMNS;
use super::turbo::{TURBO_TAIL, is_turbo_block_size};

/// Inter-column permutation of the turbo sub-block interleaver (TS 36.212 Table 5.1.4-1).
pub const TURBO_COLUMN_PERMUTATION: [usize; 32] = [
    0, 16, 8, 24, 4, 20, 12, 28, 2, 18, 10, 26, 6, 22, 14, 30, 1, 17, 9, 25, 5, 21, 13, 29, 3, 19,
    11, 27, 7, 23, 15, 31,
];

const NULL: u32 = u32::MAX;

/// The rate matcher for one code block of `K` bits (with `F` filler bits) and soft buffer `N_cb`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurboRateMatcher {
    d: usize,
    rows: usize,
    ncb: usize,
    /// Coded-bit index (stream-major `i·D + k`) of each non-null entry of `w[0..N_cb]`, in order.
    order: Vec<u32>,
    /// For each `rv`, the position in `order` of the first non-null entry at or after `k0`.
    start: [usize; 4],
}

impl TurboRateMatcher {
    /// A rate matcher for code-block size `k` (Table 5.1.3-3) with `filler` filler bits at its
    /// start and a soft buffer of `ncb` bits (`None`: the whole circular buffer `K_w`, which is
    /// what §5.1.4.1.2 gives whenever `N_IR/C ≥ K_w`, as for SIB-sized blocks).
    pub fn new(k: usize, filler: usize, ncb: Option<usize>) -> Result<Self, FecError> {
        if !is_turbo_block_size(k) || filler > k {
            return Err(FecError::BlockSize(k));
        }
        let d = k + TURBO_TAIL;
        let rows = d.div_ceil(SUBBLOCK_COLUMNS);
        let kpi = rows * SUBBLOCK_COLUMNS;
        let nd = kpi - d;
        let kw = 3 * kpi;
        let ncb = ncb.map_or(kw, |n| n.min(kw));
        if ncb == 0 {
            return Err(FecError::BlockSize(0));
        }
        // y⁽ⁱ⁾(m) → coded index, NULL for dummies and (streams 0, 1) filler bits.
        let y = |stream: usize, m: usize| -> u32 {
            if m < nd {
                return NULL;
            }
            let kk = m - nd;
            if stream < 2 && kk < filler {
                return NULL;
            }
            (stream * d + kk) as u32
        };
        let mut v = [vec![NULL; kpi], vec![NULL; kpi], vec![NULL; kpi]];
        for kk in 0..kpi {
            let col = TURBO_COLUMN_PERMUTATION[kk / rows];
            let row = kk % rows;
            v[0][kk] = y(0, row * SUBBLOCK_COLUMNS + col);
            v[1][kk] = y(1, row * SUBBLOCK_COLUMNS + col);
            let pi = (col + SUBBLOCK_COLUMNS * row + 1) % kpi;
            v[2][kk] = y(2, pi);
        }
        let mut w = Vec::with_capacity(kw);
        w.extend_from_slice(&v[0]);
        for (&a, &b) in v[1].iter().zip(&v[2]) {
            w.push(a);
            w.push(b);
        }
        w.truncate(ncb);
        let mut order = Vec::with_capacity(ncb);
        let mut before = vec![0usize; ncb + 1];
        for (j, &x) in w.iter().enumerate() {
            before[j] = order.len();
            if x != NULL {
                order.push(x);
            }
        }
        before[ncb] = order.len();
        if order.is_empty() {
            return Err(FecError::BlockSize(k));
        }
        let mut start = [0usize; 4];
        for (rv, s) in start.iter_mut().enumerate() {
            let k0 = rows * (2 * ncb.div_ceil(8 * rows) * rv + 2);
            *s = before[k0 % ncb] % order.len();
        }
        Ok(TurboRateMatcher {
            d,
            rows,
            ncb,
            order,
            start,
        })
    }

    /// Bits per coded stream, `D = K + 4`.
    pub fn stream_len(&self) -> usize {
        self.d
    }

    /// The soft-buffer size `N_cb` in use.
    pub fn ncb(&self) -> usize {
        self.ncb
    }

    /// The starting position `k0` in the circular buffer for redundancy version `rv` (0-3).
    pub fn k0(&self, rv: u8) -> usize {
        self.rows * (2 * self.ncb.div_ceil(8 * self.rows) * usize::from(rv & 3) + 2)
    }

    /// Writes `out.len()` = `E` rate-matched bits for redundancy version `rv` (0-3) from the
    /// stream-major coded block (`3D` bits).
    pub fn rate_match(&self, coded: &[u8], rv: u8, out: &mut [u8]) -> Result<(), FecError> {
        if coded.len() != 3 * self.d {
            return Err(FecError::Length {
                expected: 3 * self.d,
                got: coded.len(),
            });
        }
        let n = self.order.len();
        let s = self.start[usize::from(rv & 3)];
        for (k, o) in out.iter_mut().enumerate() {
            *o = coded[self.order[(s + k) % n] as usize];
        }
        Ok(())
    }

    /// Adds the `E` received soft values of redundancy version `rv` onto `coded` (`3D`,
    /// stream-major). It does not clear `coded` first, so several transmissions (HARQ, or the
    /// four SIB1 repetitions with their RVs) combine; clear it for a fresh block. Non-finite
    /// values are skipped.
    pub fn rate_dematch_add(
        &self,
        received: &[f32],
        rv: u8,
        coded: &mut [f32],
    ) -> Result<(), FecError> {
        if coded.len() != 3 * self.d {
            return Err(FecError::Length {
                expected: 3 * self.d,
                got: coded.len(),
            });
        }
        let n = self.order.len();
        let s = self.start[usize::from(rv & 3)];
        for (k, &r) in received.iter().enumerate() {
            if r.is_finite() {
                coded[self.order[(s + k) % n] as usize] += r;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lte::fec::turbo::{TurboDecoder, turbo_encode};
    use crate::signal::Rng;

    /// §5.1.4.1 written out with explicit matrices, NULL markers and the `k0` walk.
    fn reference(k: usize, f: usize, rv: usize, e: usize) -> Vec<usize> {
        let d = k + 4;
        let r = d.div_ceil(32);
        let kpi = 32 * r;
        let nd = kpi - d;
        let y = |i: usize| -> Vec<Option<usize>> {
            (0..kpi)
                .map(|m| {
                    if m < nd || (i < 2 && m - nd < f) {
                        None
                    } else {
                        Some(i * d + m - nd)
                    }
                })
                .collect()
        };
        let p = TURBO_COLUMN_PERMUTATION;
        let v0: Vec<_> = (0..kpi).map(|kk| y(0)[(kk % r) * 32 + p[kk / r]]).collect();
        let v1: Vec<_> = (0..kpi).map(|kk| y(1)[(kk % r) * 32 + p[kk / r]]).collect();
        let v2: Vec<_> = (0..kpi)
            .map(|kk| y(2)[(p[kk / r] + 32 * (kk % r) + 1) % kpi])
            .collect();
        let mut w = v0.clone();
        for kk in 0..kpi {
            w.push(v1[kk]);
            w.push(v2[kk]);
        }
        let ncb = 3 * kpi;
        let k0 = r * (2 * ncb.div_ceil(8 * r) * rv + 2);
        let mut out = Vec::new();
        let mut j = 0;
        while out.len() < e {
            if let Some(x) = w[(k0 + j) % ncb] {
                out.push(x);
            }
            j += 1;
        }
        out
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut seen = [false; 32];
        for &p in &TURBO_COLUMN_PERMUTATION {
            assert!(!seen[p]);
            seen[p] = true;
        }
    }

    #[test]
    fn matches_the_spec_walk_for_every_rv() {
        for (k, f) in [(40usize, 0usize), (40, 8), (104, 0), (512, 16), (1056, 0)] {
            let rm = TurboRateMatcher::new(k, f, None).unwrap();
            let d = k + 4;
            let coded: Vec<usize> = (0..3 * d).collect();
            for rv in 0..4u8 {
                let e = 3 * d + 77;
                let want = reference(k, f, usize::from(rv), e);
                // Rate-match a block whose "bits" are their own indices (mod 256 as u8 would
                // alias, so compare through the order table instead).
                let n = rm.order.len();
                let s = rm.start[usize::from(rv)];
                let got: Vec<usize> = (0..e)
                    .map(|i| coded[rm.order[(s + i) % n] as usize])
                    .collect();
                assert_eq!(got, want, "K={k} F={f} rv={rv}");
            }
        }
    }

    #[test]
    fn round_trip_over_two_rvs_with_puncturing() {
        // K = 104 (e.g. a SIB1 of 80 bits + CRC-24A), E = 120 per transmission: each alone is
        // punctured to rate ~0.87; rv 0 + rv 2 combined must decode.
        let mut rng = Rng::new(31);
        let k = 104;
        let input: Vec<u8> = (0..k).map(|_| rng.bit()).collect();
        let mut coded = vec![0u8; 3 * (k + 4)];
        turbo_encode(&input, &mut coded).unwrap();
        let rm = TurboRateMatcher::new(k, 0, None).unwrap();
        let mut acc = vec![0.0f32; 3 * (k + 4)];
        for rv in [0u8, 2] {
            let mut e = vec![0u8; 200];
            rm.rate_match(&coded, rv, &mut e).unwrap();
            let soft: Vec<f32> = e.iter().map(|&b| if b == 1 { 1.0 } else { -1.0 }).collect();
            rm.rate_dematch_add(&soft, rv, &mut acc).unwrap();
        }
        let out = TurboDecoder::new().decode(&acc, 0, None, 8).unwrap();
        assert_eq!(out.bits, input);
        // rv 0 starts two rows into the systematic part: with E ≥ K_w every coded bit appears.
        assert_eq!(rm.k0(0), 2 * rm.rows);
    }

    #[test]
    fn bad_parameters_are_errors() {
        assert!(TurboRateMatcher::new(41, 0, None).is_err());
        assert!(TurboRateMatcher::new(40, 41, None).is_err());
        assert!(TurboRateMatcher::new(40, 0, Some(0)).is_err());
        let rm = TurboRateMatcher::new(40, 0, Some(50)).unwrap();
        assert_eq!(rm.ncb(), 50);
        assert!(rm.rate_match(&[0; 5], 0, &mut [0; 5]).is_err());
        assert!(rm.rate_dematch_add(&[0.0; 5], 0, &mut [0.0; 5]).is_err());
    }
}
