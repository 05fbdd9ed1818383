//! The turbo code of TS 36.212 §5.1.3.2: two 8-state recursive systematic constituent encoders
//! (`g0 = 1 + D² + D³` feedback, `g1 = 1 + D + D³`), the QPP internal interleaver of Table
//! 5.1.3-3, trellis termination, and an iterative max-log-MAP decoder with early stop on a CRC.
//!
//! Layout: the coded block is stream-major like the convolutional code: `d⁽ⁱ⁾(k)` at index
//! `i·D + k`, `D = K + 4`, with the 12 tail bits placed as §5.1.3.2.2 prescribes. Soft bits:
//! > 0 means bit 1. Max-log-MAP is scale invariant, so the decoder needs no noise estimate.

use super::FecError;
use super::crc::{CrcKind, crc_check_bits};

/// QPP interleaver parameters `(K, f1, f2)` for the 188 code-block sizes of TS 36.212
/// Table 5.1.3-3: `Π(i) = (f1·i + f2·i²) mod K`.
pub const QPP_TABLE: [(u16, u16, u16); 188] = [
    (40, 3, 10),
    (48, 7, 12),
    (56, 19, 42),
    (64, 7, 16),
    (72, 7, 18),
    (80, 11, 20),
    (88, 5, 22),
    (96, 11, 24),
    (104, 7, 26),
    (112, 41, 84),
    (120, 103, 90),
    (128, 15, 32),
    (136, 9, 34),
    (144, 17, 108),
    (152, 9, 38),
    (160, 21, 120),
    (168, 101, 84),
    (176, 21, 44),
    (184, 57, 46),
    (192, 23, 48),
    (200, 13, 50),
    (208, 27, 52),
    (216, 11, 36),
    (224, 27, 56),
    (232, 85, 58),
    (240, 29, 60),
    (248, 33, 62),
    (256, 15, 32),
    (264, 17, 198),
    (272, 33, 68),
    (280, 103, 210),
    (288, 19, 36),
    (296, 19, 74),
    (304, 37, 76),
    (312, 19, 78),
    (320, 21, 120),
    (328, 21, 82),
    (336, 115, 84),
    (344, 193, 86),
    (352, 21, 44),
    (360, 133, 90),
    (368, 81, 46),
    (376, 45, 94),
    (384, 23, 48),
    (392, 243, 98),
    (400, 151, 40),
    (408, 155, 102),
    (416, 25, 52),
    (424, 51, 106),
    (432, 47, 72),
    (440, 91, 110),
    (448, 29, 168),
    (456, 29, 114),
    (464, 247, 58),
    (472, 29, 118),
    (480, 89, 180),
    (488, 91, 122),
    (496, 157, 62),
    (504, 55, 84),
    (512, 31, 64),
    (528, 17, 66),
    (544, 35, 68),
    (560, 227, 420),
    (576, 65, 96),
    (592, 19, 74),
    (608, 37, 76),
    (624, 41, 234),
    (640, 39, 80),
    (656, 185, 82),
    (672, 43, 252),
    (688, 21, 86),
    (704, 155, 44),
    (720, 79, 120),
    (736, 139, 92),
    (752, 23, 94),
    (768, 217, 48),
    (784, 25, 98),
    (800, 17, 80),
    (816, 127, 102),
    (832, 25, 52),
    (848, 239, 106),
    (864, 17, 48),
    (880, 137, 110),
    (896, 215, 112),
    (912, 29, 114),
    (928, 15, 58),
    (944, 147, 118),
    (960, 29, 60),
    (976, 59, 122),
    (992, 65, 124),
    (1008, 55, 84),
    (1024, 31, 64),
    (1056, 17, 66),
    (1088, 171, 204),
    (1120, 67, 140),
    (1152, 35, 72),
    (1184, 19, 74),
    (1216, 39, 76),
    (1248, 19, 78),
    (1280, 199, 240),
    (1312, 21, 82),
    (1344, 211, 252),
    (1376, 21, 86),
    (1408, 43, 88),
    (1440, 149, 60),
    (1472, 45, 92),
    (1504, 49, 846),
    (1536, 71, 48),
    (1568, 13, 28),
    (1600, 17, 80),
    (1632, 25, 102),
    (1664, 183, 104),
    (1696, 55, 954),
    (1728, 127, 96),
    (1760, 27, 110),
    (1792, 29, 112),
    (1824, 29, 114),
    (1856, 57, 116),
    (1888, 45, 354),
    (1920, 31, 120),
    (1952, 59, 610),
    (1984, 185, 124),
    (2016, 113, 420),
    (2048, 31, 64),
    (2112, 17, 66),
    (2176, 171, 136),
    (2240, 209, 420),
    (2304, 253, 216),
    (2368, 367, 444),
    (2432, 265, 456),
    (2496, 181, 468),
    (2560, 39, 80),
    (2624, 27, 164),
    (2688, 127, 504),
    (2752, 143, 172),
    (2816, 43, 88),
    (2880, 29, 300),
    (2944, 45, 92),
    (3008, 157, 188),
    (3072, 47, 96),
    (3136, 13, 28),
    (3200, 111, 240),
    (3264, 443, 204),
    (3328, 51, 104),
    (3392, 51, 212),
    (3456, 451, 192),
    (3520, 257, 220),
    (3584, 57, 336),
    (3648, 313, 228),
    (3712, 271, 232),
    (3776, 179, 236),
    (3840, 331, 120),
    (3904, 363, 244),
    (3968, 375, 248),
    (4032, 127, 168),
    (4096, 31, 64),
    (4160, 33, 130),
    (4224, 43, 264),
    (4288, 33, 134),
    (4352, 477, 408),
    (4416, 35, 138),
    (4480, 233, 280),
    (4544, 357, 142),
    (4608, 337, 480),
    (4672, 37, 146),
    (4736, 71, 444),
    (4800, 71, 120),
    (4864, 37, 152),
    (4928, 39, 462),
    (4992, 127, 234),
    (5056, 39, 158),
    (5120, 39, 80),
    (5184, 31, 96),
    (5248, 113, 902),
    (5312, 41, 166),
    (5376, 251, 336),
    (5440, 43, 170),
    (5504, 21, 86),
    (5568, 43, 174),
    (5632, 45, 176),
    (5696, 45, 178),
    (5760, 161, 120),
    (5824, 89, 182),
    (5888, 323, 184),
    (5952, 47, 186),
    (6016, 23, 94),
    (6080, 47, 190),
    (6144, 263, 480),
];

/// Largest code block (Z of §5.1.2).
pub const TURBO_MAX_K: usize = 6144;
/// Tail bits per coded stream (`D = K + 4`).
pub const TURBO_TAIL: usize = 4;

/// The `(f1, f2)` of the QPP interleaver for block size `k`, or `None` when `k` is not one of
/// the 188 sizes of Table 5.1.3-3.
pub fn qpp_params(k: usize) -> Option<(usize, usize)> {
    QPP_TABLE
        .binary_search_by_key(&k, |&(kk, _, _)| usize::from(kk))
        .ok()
        .map(|i| (usize::from(QPP_TABLE[i].1), usize::from(QPP_TABLE[i].2)))
}

/// Whether `k` is a legal turbo code-block size (Table 5.1.3-3).
pub fn is_turbo_block_size(k: usize) -> bool {
    qpp_params(k).is_some()
}

/// The QPP permutation `Π(i) = (f1·i + f2·i²) mod K` for `i = 0 … K−1` (§5.1.3.2.3): the
/// interleaver output `c'(i) = c(Π(i))`.
pub fn qpp_permutation(k: usize) -> Result<Vec<u32>, FecError> {
    let (f1, f2) = qpp_params(k).ok_or(FecError::BlockSize(k))?;
    // Π(i+1) − Π(i) = f1 + f2·(2i + 1): an incremental form without 64-bit squares.
    let mut out = Vec::with_capacity(k);
    let mut pi = 0usize;
    let mut delta = (f1 + f2) % k;
    let step = (2 * f2) % k;
    for _ in 0..k {
        out.push(pi as u32);
        pi = (pi + delta) % k;
        delta = (delta + step) % k;
    }
    Ok(out)
}

/// Next state and parity output of the constituent encoder for state `s` (bit 0 = newest
/// register cell) and input `u`.
const fn rsc_step(s: usize, u: usize) -> (usize, usize) {
    let s1 = s & 1;
    let s2 = (s >> 1) & 1;
    let s3 = (s >> 2) & 1;
    let a = u ^ s2 ^ s3;
    let p = a ^ s1 ^ s3;
    ((a | (s1 << 1) | (s2 << 2)), p)
}

/// Runs one constituent encoder over `input`, writing the parity bits, then terminates it:
/// returns the three tail `(x, z)` pairs.
fn rsc_encode(input: impl Iterator<Item = u8>, parity: &mut [u8]) -> [(u8, u8); 3] {
    let mut s = 0usize;
    for (u, p) in input.zip(parity.iter_mut()) {
        let (ns, z) = rsc_step(s, usize::from(u != 0));
        *p = z as u8;
        s = ns;
    }
    let mut tail = [(0u8, 0u8); 3];
    for t in tail.iter_mut() {
        // The switch in the lower position: the input equals the feedback, so a = 0.
        let u = ((s >> 1) ^ (s >> 2)) & 1;
        let (ns, z) = rsc_step(s, u);
        *t = (u as u8, z as u8);
        s = ns;
    }
    tail
}

/// Encodes one code block `input` (`K` bits from Table 5.1.3-3; filler bits passed as 0) into
/// `output` (`3·(K + 4)`, stream-major), TS 36.212 §5.1.3.2. Filler bits are not marked here:
/// the rate matcher is told their count.
pub fn turbo_encode(input: &[u8], output: &mut [u8]) -> Result<(), FecError> {
    let k = input.len();
    let perm = qpp_permutation(k)?;
    let d = k + TURBO_TAIL;
    if output.len() != 3 * d {
        return Err(FecError::Length {
            expected: 3 * d,
            got: output.len(),
        });
    }
    let (d0, rest) = output.split_at_mut(d);
    let (d1, d2) = rest.split_at_mut(d);
    for (o, &b) in d0.iter_mut().zip(input) {
        *o = u8::from(b != 0);
    }
    let t1 = rsc_encode(input.iter().copied(), &mut d1[..k]);
    let t2 = rsc_encode(perm.iter().map(|&p| input[p as usize]), &mut d2[..k]);
    // §5.1.3.2.2: the 12 tail bits.
    d0[k] = t1[0].0;
    d0[k + 1] = t1[1].1;
    d0[k + 2] = t2[0].0;
    d0[k + 3] = t2[1].1;
    d1[k] = t1[0].1;
    d1[k + 1] = t1[2].0;
    d1[k + 2] = t2[0].1;
    d1[k + 3] = t2[2].0;
    d2[k] = t1[1].0;
    d2[k + 1] = t1[2].1;
    d2[k + 2] = t2[1].0;
    d2[k + 3] = t2[2].1;
    Ok(())
}

/// Scale of the extrinsic information passed between the constituent decoders (the usual
/// correction for max-log-MAP's optimism).
const EXTRINSIC_SCALE: f32 = 0.75;
/// Magnitude the input is normalised to (max-log-MAP is scale invariant; this keeps sums finite).
const INPUT_FULL_SCALE: f32 = 16.0;
/// A-priori value given to filler bits (known zeros).
const FILLER_LLR: f32 = -1000.0;

/// Result of decoding one turbo code block.
#[derive(Debug, Clone, PartialEq)]
pub struct TurboDecoded {
    /// The `K` decided bits (filler positions included, as decided).
    pub bits: Vec<u8>,
    /// Full iterations run (1 iteration = both constituent decoders).
    pub iterations: usize,
    /// Whether the CRC given to the decoder passed (`false` when none was given).
    pub crc_ok: bool,
}

/// An iterative max-log-MAP turbo decoder with buffers kept between calls.
#[derive(Debug, Clone, Default)]
pub struct TurboDecoder {
    alpha: Vec<[f32; 8]>,
    sys1: Vec<f32>,
    par1: Vec<f32>,
    sys2: Vec<f32>,
    par2: Vec<f32>,
    apriori: Vec<f32>,
    ext: Vec<f32>,
    post: Vec<f32>,
}

impl TurboDecoder {
    /// A decoder with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes a block of `K = soft.len() / 3 − 4` bits from its soft coded streams (stream-major;
    /// positive means 1). The first `filler` bits are known zeros (§5.1.2). With `crc` set, decoding
    /// stops as soon as the decided bits pass that CRC (CRC-24B for a segmented code block,
    /// CRC-24A for a lone block carrying the whole transport block); at most `max_iterations`.
    ///
    /// An input without any finite non-zero value returns zeros with `crc_ok = false` and no
    /// iteration (the all-zero word would pass every CRC).
    ///
    /// Errors: [`FecError::BlockSize`] when `K` is not in Table 5.1.3-3 or `filler > K`.
    pub fn decode(
        &mut self,
        soft: &[f32],
        filler: usize,
        crc: Option<CrcKind>,
        max_iterations: usize,
    ) -> Result<TurboDecoded, FecError> {
        if !soft.len().is_multiple_of(3) || soft.len() < 3 * TURBO_TAIL {
            return Err(FecError::Length {
                expected: 3 * (40 + TURBO_TAIL),
                got: soft.len(),
            });
        }
        let d = soft.len() / 3;
        let k = d - TURBO_TAIL;
        let perm = qpp_permutation(k)?;
        if filler > k {
            return Err(FecError::BlockSize(filler));
        }
        let peak = soft
            .iter()
            .filter(|x| x.is_finite())
            .fold(0.0f32, |m, x| m.max(x.abs()));
        if peak <= 0.0 {
            // Nothing received: the all-zero decision would pass any zero-initialised CRC.
            return Ok(TurboDecoded {
                bits: vec![0; k],
                iterations: 0,
                crc_ok: false,
            });
        }
        let gain = INPUT_FULL_SCALE / peak;
        let at = |i: usize| {
            let x = soft[i];
            if x.is_finite() { x * gain } else { 0.0 }
        };
        let (s0, s1, s2) = (0, d, 2 * d);
        // Constituent 1: systematic, parity 1, and its tail.
        self.sys1.clear();
        self.par1.clear();
        self.sys1.extend((0..k).map(|i| at(s0 + i)));
        self.par1.extend((0..k).map(|i| at(s1 + i)));
        for i in 0..filler {
            self.sys1[i] = FILLER_LLR;
        }
        self.sys1
            .extend_from_slice(&[at(s0 + k), at(s2 + k), at(s1 + k + 1)]);
        self.par1
            .extend_from_slice(&[at(s1 + k), at(s0 + k + 1), at(s2 + k + 1)]);
        // Constituent 2: interleaved systematic, parity 2, and its tail.
        self.sys2.clear();
        self.par2.clear();
        let sys1 = &self.sys1;
        self.sys2.extend(perm.iter().map(|&p| sys1[p as usize]));
        self.par2.extend((0..k).map(|i| at(s2 + i)));
        self.sys2
            .extend_from_slice(&[at(s0 + k + 2), at(s2 + k + 2), at(s1 + k + 3)]);
        self.par2
            .extend_from_slice(&[at(s1 + k + 2), at(s0 + k + 3), at(s2 + k + 3)]);

        self.apriori.clear();
        self.apriori.resize(k, 0.0);
        self.ext.clear();
        self.ext.resize(k, 0.0);
        self.post.clear();
        self.post.resize(k, 0.0);
        let mut bits = vec![0u8; k];
        let mut iterations = 0;
        let mut crc_ok = false;
        let mut le2 = vec![0.0f32; k];
        for _ in 0..max_iterations.max(1) {
            iterations += 1;
            // Decoder 1, a-priori = de-interleaved extrinsic of decoder 2.
            for (i, &p) in perm.iter().enumerate() {
                self.apriori[p as usize] = le2[i];
            }
            siso(
                &mut self.alpha,
                &self.sys1,
                &self.par1,
                &self.apriori,
                &mut self.ext,
                &mut self.post,
            );
            // Decoder 2, a-priori = interleaved extrinsic of decoder 1.
            let mut ap2 = std::mem::take(&mut self.apriori);
            for (i, &p) in perm.iter().enumerate() {
                ap2[i] = self.ext[p as usize];
            }
            siso(
                &mut self.alpha,
                &self.sys2,
                &self.par2,
                &ap2,
                &mut le2,
                &mut self.post,
            );
            self.apriori = ap2;
            for (i, &p) in perm.iter().enumerate() {
                bits[p as usize] = u8::from(self.post[i] > 0.0);
            }
            if let Some(kind) = crc
                && crc_check_bits(kind, &bits)
            {
                crc_ok = true;
                break;
            }
        }
        Ok(TurboDecoded {
            bits,
            iterations,
            crc_ok,
        })
    }
}

/// Precomputed trellis: `(next state, parity)` for each state and input.
const TRELLIS: [[(usize, usize); 2]; 8] = {
    let mut t = [[(0usize, 0usize); 2]; 8];
    let mut s = 0;
    while s < 8 {
        t[s][0] = rsc_step(s, 0);
        t[s][1] = rsc_step(s, 1);
        s += 1;
    }
    t
};

/// One max-log-MAP pass of a constituent decoder over `K + 3` steps (the last 3 are the tail,
/// without a-priori), from state 0 to state 0. Writes the scaled extrinsic values (`K`) and the
/// a-posteriori LLRs (`K`).
fn siso(
    alpha: &mut Vec<[f32; 8]>,
    sys: &[f32],
    par: &[f32],
    apriori: &[f32],
    ext: &mut [f32],
    post: &mut [f32],
) {
    const NEG: f32 = -1.0e30;
    let steps = sys.len();
    let k = apriori.len();
    alpha.clear();
    alpha.resize(steps + 1, [NEG; 8]);
    alpha[0][0] = 0.0;
    let gamma = |t: usize, u: usize, p: usize| {
        let la = if t < k { apriori[t] } else { 0.0 };
        let su = if u == 1 { 0.5 } else { -0.5 };
        let sp = if p == 1 { 0.5 } else { -0.5 };
        su * (sys[t] + la) + sp * par[t]
    };
    for t in 0..steps {
        let mut next = [NEG; 8];
        let cur = alpha[t];
        for (s, &a) in cur.iter().enumerate() {
            for (u, &(ns, p)) in TRELLIS[s].iter().enumerate() {
                let m = a + gamma(t, u, p);
                if m > next[ns] {
                    next[ns] = m;
                }
            }
        }
        let norm = next[0].max(next[1]).max(next[2]).max(next[3]);
        let norm = norm.max(next[4]).max(next[5]).max(next[6]).max(next[7]);
        for v in next.iter_mut() {
            *v -= norm;
        }
        alpha[t + 1] = next;
    }
    let mut beta = [NEG; 8];
    beta[0] = 0.0;
    for t in (0..steps).rev() {
        let mut prev = [NEG; 8];
        let mut best = [NEG; 2];
        for (s, row) in TRELLIS.iter().enumerate() {
            for (u, &(ns, p)) in row.iter().enumerate() {
                let g = gamma(t, u, p);
                let m = g + beta[ns];
                if m > prev[s] {
                    prev[s] = m;
                }
                let full = alpha[t][s] + m;
                if full > best[u] {
                    best[u] = full;
                }
            }
        }
        if t < k {
            let l = best[1] - best[0];
            post[t] = l;
            ext[t] = EXTRINSIC_SCALE * (l - sys[t] - apriori[t]);
        }
        let norm = prev.iter().fold(NEG, |m, &x| m.max(x));
        for v in prev.iter_mut() {
            *v -= norm;
        }
        beta = prev;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lte::fec::crc::append_crc_bits;
    use crate::signal::Rng;

    #[test]
    fn qpp_table_sizes_follow_the_spec_steps() {
        // K = 40..512 step 8, 528..1024 step 16, 1056..2048 step 32, 2112..6144 step 64.
        let expected: Vec<usize> = (40..=512)
            .step_by(8)
            .chain((528..=1024).step_by(16))
            .chain((1056..=2048).step_by(32))
            .chain((2112..=6144).step_by(64))
            .collect();
        let got: Vec<usize> = QPP_TABLE.iter().map(|&(k, _, _)| usize::from(k)).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn every_qpp_entry_is_a_permutation() {
        for &(k, f1, f2) in &QPP_TABLE {
            let k = usize::from(k);
            // QPP conditions: f1 odd and coprime with K; every prime factor of K divides f2.
            assert_eq!(f1 % 2, 1, "K={k}");
            let perm = qpp_permutation(k).unwrap();
            let mut seen = vec![false; k];
            for (i, &p) in perm.iter().enumerate() {
                // The incremental form agrees with the direct formula.
                let direct = (usize::from(f1) * i + usize::from(f2) * i * i) % k;
                assert_eq!(p as usize, direct, "K={k} i={i}");
                assert!(!seen[direct], "K={k}: {direct} twice");
                seen[direct] = true;
            }
        }
        assert!(qpp_permutation(41).is_err());
        assert!(!is_turbo_block_size(6208));
        assert_eq!(qpp_params(40), Some((3, 10)));
        assert_eq!(qpp_params(6144), Some((263, 480)));
    }

    #[test]
    fn encoder_is_systematic_and_terminates() {
        let mut rng = Rng::new(4);
        let k = 40;
        let input: Vec<u8> = (0..k).map(|_| rng.bit()).collect();
        let mut out = vec![0u8; 3 * (k + 4)];
        turbo_encode(&input, &mut out).unwrap();
        assert_eq!(&out[..k], &input[..]);
        // Re-run constituent 1 with its own tail: it must end in state 0.
        let mut s = 0usize;
        for &u in &input {
            s = rsc_step(s, usize::from(u)).0;
        }
        let tail_x = [out[k], out[2 * (k + 4) + k], out[(k + 4) + k + 1]];
        for x in tail_x {
            s = rsc_step(s, usize::from(x)).0;
        }
        assert_eq!(s, 0);
        // All-zero input gives all-zero output (linear code, zero tail).
        let mut z = vec![1u8; 3 * 44];
        turbo_encode(&[0; 40], &mut z).unwrap();
        assert!(z.iter().all(|&b| b == 0));
        assert!(turbo_encode(&[0; 41], &mut [0; 135]).is_err());
        assert!(turbo_encode(&[0; 40], &mut [0; 10]).is_err());
    }

    fn bpsk(bits: &[u8]) -> Vec<f32> {
        bits.iter()
            .map(|&b| if b == 1 { 1.0 } else { -1.0 })
            .collect()
    }

    #[test]
    fn round_trip_with_injected_errors_stops_on_crc() {
        let mut rng = Rng::new(12);
        let mut dec = TurboDecoder::new();
        for k in [40usize, 104, 256, 1056, 6144] {
            let mut input: Vec<u8> = (0..k - 24).map(|_| rng.bit()).collect();
            append_crc_bits(CrcKind::Crc24B, &mut input, 0);
            let mut coded = vec![0u8; 3 * (k + 4)];
            turbo_encode(&input, &mut coded).unwrap();
            let mut soft = bpsk(&coded);
            // 4 % hard errors.
            for s in soft.iter_mut() {
                if rng.uniform() < 0.04 {
                    *s = -*s;
                }
            }
            let out = dec.decode(&soft, 0, Some(CrcKind::Crc24B), 8).unwrap();
            assert!(out.crc_ok, "K={k}");
            assert_eq!(out.bits, input, "K={k}");
            assert!(out.iterations <= 8);
        }
    }

    #[test]
    fn filler_bits_are_known_zeros() {
        let mut rng = Rng::new(13);
        let k = 64;
        let f = 16;
        let mut input = vec![0u8; k];
        for b in input.iter_mut().skip(f) {
            *b = rng.bit();
        }
        let mut coded = vec![0u8; 3 * (k + 4)];
        turbo_encode(&input, &mut coded).unwrap();
        let mut soft = bpsk(&coded);
        // Filler systematic bits are never sent: erase them.
        for s in soft.iter_mut().take(f) {
            *s = 0.0;
        }
        let out = dec_plain(&soft, f);
        assert_eq!(out, input);
    }

    fn dec_plain(soft: &[f32], filler: usize) -> Vec<u8> {
        TurboDecoder::new()
            .decode(soft, filler, None, 6)
            .unwrap()
            .bits
    }

    #[test]
    fn awgn_ber_at_1db_is_low() {
        // Rate 1/3, Eb/N0 = 1 dB, K = 1024: a turbo code is far below 1e-3 BER here; uncoded BPSK
        // would be at 5.6e-2.
        let mut rng = Rng::new(77);
        let k = 1024;
        let es_n0 = 10f64.powf((1.0 - 10.0 * 3f64.log10()) / 10.0);
        let sigma = (1.0 / (2.0 * es_n0)).sqrt();
        let mut errors = 0usize;
        let blocks = 20;
        let mut dec = TurboDecoder::new();
        for _ in 0..blocks {
            let input: Vec<u8> = (0..k).map(|_| rng.bit()).collect();
            let mut coded = vec![0u8; 3 * (k + 4)];
            turbo_encode(&input, &mut coded).unwrap();
            let soft: Vec<f32> = bpsk(&coded)
                .iter()
                .map(|&s| s + (rng.gaussian() * sigma) as f32)
                .collect();
            let out = dec.decode(&soft, 0, None, 8).unwrap();
            errors += out.bits.iter().zip(&input).filter(|(a, b)| a != b).count();
        }
        let ber = errors as f64 / (blocks * k) as f64;
        assert!(ber < 1e-3, "BER {ber}");
    }

    #[test]
    fn garbage_never_panics() {
        let mut dec = TurboDecoder::new();
        let soft: Vec<f32> = [f32::NAN, f32::INFINITY, -1e38, 0.0, 1e-38]
            .iter()
            .copied()
            .cycle()
            .take(3 * 44)
            .collect();
        let out = dec.decode(&soft, 3, Some(CrcKind::Crc24A), 3).unwrap();
        assert_eq!(out.bits.len(), 40);
        assert!(dec.decode(&[0.0; 3 * 45], 0, None, 1).is_err());
        assert!(dec.decode(&[0.0; 5], 0, None, 1).is_err());
        assert!(dec.decode(&[0.0; 3 * 44], 41, None, 1).is_err());
        let zeros = dec
            .decode(&[0.0; 3 * 44], 0, Some(CrcKind::Crc24A), 0)
            .unwrap();
        assert_eq!(zeros.iterations, 0);
        assert!(!zeros.crc_ok);
        let one = dec.decode(&[0.5; 3 * 44], 0, None, 0).unwrap();
        assert_eq!(one.iterations, 1);
    }
}
