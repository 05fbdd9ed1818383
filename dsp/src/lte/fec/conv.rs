//! The tail-biting convolutional code of TS 36.212 §5.1.3.1 (constraint length 7, rate 1/3,
//! `G0 = 133`, `G1 = 171`, `G2 = 165` octal) and a soft-input tail-biting Viterbi decoder.
//!
//! The encoder's shift register starts with the last six information bits (`s_i = c_{K−1−i}`),
//! so it also ends in that state and no tail is sent. The decoder uses the wrap-around method:
//! it runs an ordinary Viterbi over the received block extended circularly by [`WRAP_STEPS`]
//! steps at each end, starting from equal metrics in every state, traces back from the best end
//! state and keeps the decisions of the middle `K` steps.
//!
//! Layout: the coded output `d⁽⁰⁾, d⁽¹⁾, d⁽²⁾` (each `K` bits) is stream-major, `d⁽ⁱ⁾(k)` at index
//! `i·K + k`, which is what the rate matcher of §5.1.4.2 consumes. Soft bits: > 0 means bit 1.

use super::FecError;

/// Number of trellis states (2⁶).
const STATES: usize = 64;
/// Generator masks over the register `r` (bit `i` = `c_{k−i}`): 133, 171, 165 octal, bit-reversed.
const GEN: [u32; 3] = [
    0o133_u32.reverse_bits() >> 25,
    0o171_u32.reverse_bits() >> 25,
    0o165_u32.reverse_bits() >> 25,
];
/// `OUT[2j]`: the output triple of the butterfly of states `j`, `j + 32` (see the decoder).
const BUTTERFLY_OUT: [u8; 32] = {
    let mut t = [0u8; 32];
    let mut j = 0;
    while j < 32 {
        t[j] = OUT[2 * j];
        j += 1;
    }
    t
};
/// Steps of circular extension before and after the block in the decoder.
pub const WRAP_STEPS: usize = 40;

/// Output triple (bit j = output of generator j) for each 7-bit register value.
const OUT: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut r = 0;
    while r < 128 {
        let mut o = 0u8;
        let mut j = 0;
        while j < 3 {
            o |= (((r as u32 & GEN[j]).count_ones() & 1) as u8) << j;
            j += 1;
        }
        t[r] = o;
        r += 1;
    }
    t
};

/// Encodes `input` (bits 0/1, length `K ≥ 1`) with the tail-biting code of TS 36.212 §5.1.3.1
/// into `output` (length `3K`, stream-major: `d⁽ⁱ⁾(k)` at `i·K + k`).
///
/// Returns [`FecError::Length`] when `output.len() != 3·K` and [`FecError::BlockSize`] for an
/// empty input. Blocks shorter than six bits wrap the register cyclically.
pub fn tbcc_encode(input: &[u8], output: &mut [u8]) -> Result<(), FecError> {
    let k = input.len();
    if k == 0 {
        return Err(FecError::BlockSize(0));
    }
    if output.len() != 3 * k {
        return Err(FecError::Length {
            expected: 3 * k,
            got: output.len(),
        });
    }
    // State bit j = c_{k−1−j}, starting from the last six bits (cyclically).
    let mut state = 0u32;
    for j in 0..6 {
        let bit = input[(k - 1 - (j % k)) % k] != 0;
        state |= u32::from(bit) << j;
    }
    for (n, &b) in input.iter().enumerate() {
        let r = u32::from(b != 0) | (state << 1);
        let o = OUT[(r & 0x7F) as usize];
        output[n] = o & 1;
        output[k + n] = (o >> 1) & 1;
        output[2 * k + n] = (o >> 2) & 1;
        state = r & 0x3F;
    }
    Ok(())
}

/// A reusable tail-biting Viterbi decoder (keeps its decision buffer between calls, so PDCCH
/// blind decoding allocates once).
#[derive(Debug, Clone, Default)]
pub struct TbccDecoder {
    decisions: Vec<u64>,
    coded: Vec<u8>,
}

impl TbccDecoder {
    /// A decoder with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes `soft` (length `3K`, stream-major, > 0 means 1) into `out` (`K` bits, 0/1).
    /// Non-finite soft values count as erasures. Returns the final path metric of the survivor
    /// divided by the sum of |soft| over the decoded span (1.0 = every soft bit agrees with the
    /// decision; near 0 for noise), which PDCCH blind decoding can use to rank candidates.
    ///
    /// Errors: [`FecError::BlockSize`] for `K = 0`, [`FecError::Length`] when
    /// `soft.len() != 3·out.len()`.
    pub fn decode(&mut self, soft: &[f32], out: &mut [u8]) -> Result<f32, FecError> {
        let k = out.len();
        if k == 0 {
            return Err(FecError::BlockSize(0));
        }
        if soft.len() != 3 * k {
            return Err(FecError::Length {
                expected: 3 * k,
                got: soft.len(),
            });
        }
        let clean = |x: f32| if x.is_finite() { x } else { 0.0 };
        // Scale so the largest |soft| is 1: path metrics then grow by at most 3 per step, so an
        // occasional renormalisation keeps them small whatever the input's scale.
        let peak = soft.iter().fold(0.0f32, |m, &x| m.max(clean(x).abs()));
        let gain = if peak > 0.0 { 1.0 / peak } else { 0.0 };
        let total = k + 2 * WRAP_STEPS;
        self.decisions.clear();
        self.decisions.resize(total, 0);
        let mut metric = [0.0f32; STATES];
        let mut next = [0.0f32; STATES];
        for (t, dec) in self.decisions.iter_mut().enumerate() {
            // Position in the block: circular, starting WRAP_STEPS before k = 0.
            let pos = (t + k * (WRAP_STEPS / k + 1) - WRAP_STEPS) % k;
            let s0 = clean(soft[pos]) * gain;
            let s1 = clean(soft[k + pos]) * gain;
            let s2 = clean(soft[2 * k + pos]) * gain;
            let mut bm = [0.0f32; 8];
            for (o, m) in bm.iter_mut().enumerate() {
                let sgn = |bit: usize, s: f32| if (o >> bit) & 1 == 1 { s } else { -s };
                *m = sgn(0, s0) + sgn(1, s1) + sgn(2, s2);
            }
            // Butterflies: states j and j + 32 feed 2j (input 0) and 2j + 1 (input 1). Every
            // generator taps both the input and the oldest bit, so the four branch outputs are
            // o, ō, ō, o with o = OUT[2j], and the metric of ō is −bm[o].
            let mut d = 0u64;
            let (lo, hi) = metric.split_at(32);
            for (j, ((&m_lo, &m_hi), pair)) in
                lo.iter().zip(hi).zip(next.chunks_exact_mut(2)).enumerate()
            {
                let a = bm[BUTTERFLY_OUT[j] as usize];
                let (x0, y0) = (m_lo + a, m_hi - a);
                let (x1, y1) = (m_lo - a, m_hi + a);
                pair[0] = x0.max(y0);
                pair[1] = x1.max(y1);
                d |= (u64::from(y0 > x0) << (2 * j)) | (u64::from(y1 > x1) << (2 * j + 1));
            }
            *dec = d;
            if t % 16 == 15 {
                let base = next[0];
                for (m, n) in metric.iter_mut().zip(next.iter()) {
                    *m = n - base;
                }
            } else {
                metric = next;
            }
        }
        // Best end state.
        let mut state = 0usize;
        let mut best = f32::NEG_INFINITY;
        for (s, &m) in metric.iter().enumerate() {
            if m > best {
                best = m;
                state = s;
            }
        }
        for t in (0..total).rev() {
            if t >= WRAP_STEPS && t < WRAP_STEPS + k {
                out[t - WRAP_STEPS] = (state & 1) as u8;
            }
            let x = ((self.decisions[t] >> state) & 1) as usize;
            state = (state >> 1) | (x << 5);
        }
        // Confidence: correlation of the re-encoded decision with the soft input.
        let mut coded = std::mem::take(&mut self.coded);
        coded.clear();
        coded.resize(3 * k, 0);
        tbcc_encode(out, &mut coded)?;
        let mut agree = 0.0f32;
        let mut mag = 0.0f32;
        for (&c, &s) in coded.iter().zip(soft) {
            let s = clean(s);
            agree += if c == 1 { s } else { -s };
            mag += s.abs();
        }
        self.coded = coded;
        Ok(if mag > 0.0 { agree / mag } else { 0.0 })
    }
}

/// Decodes one block with a fresh [`TbccDecoder`]; see [`TbccDecoder::decode`].
pub fn tbcc_decode(soft: &[f32], out: &mut [u8]) -> Result<f32, FecError> {
    TbccDecoder::new().decode(soft, out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::signal::Rng;

    /// The encoder written from the spec's formula `d⁽ⁱ⁾_k = Σ_{l=0}^{6} g_{i,l}·c_{(k−l) mod K}`
    /// with `g` read off the octal generators (leftmost bit = tap 0).
    fn reference_encode(c: &[u8]) -> Vec<u8> {
        let g: [[u8; 7]; 3] = [
            [1, 0, 1, 1, 0, 1, 1], // 133
            [1, 1, 1, 1, 0, 0, 1], // 171
            [1, 1, 1, 0, 1, 0, 1], // 165
        ];
        let k = c.len();
        let mut d = vec![0u8; 3 * k];
        for i in 0..3 {
            for n in 0..k {
                let mut acc = 0;
                for l in 0..7 {
                    acc ^= g[i][l] & c[(n + 7 * k - l) % k];
                }
                d[i * k + n] = acc;
            }
        }
        d
    }

    #[test]
    fn encoder_matches_the_formula() {
        let mut rng = Rng::new(3);
        for k in [1usize, 5, 6, 7, 40, 57, 100] {
            let c: Vec<u8> = (0..k).map(|_| rng.bit()).collect();
            let mut d = vec![0u8; 3 * k];
            tbcc_encode(&c, &mut d).unwrap();
            assert_eq!(d, reference_encode(&c), "K={k}");
        }
        assert_eq!(tbcc_encode(&[], &mut []), Err(FecError::BlockSize(0)));
        assert!(matches!(
            tbcc_encode(&[1, 0], &mut [0; 5]),
            Err(FecError::Length { .. })
        ));
    }

    #[test]
    fn butterfly_symmetry_holds() {
        // The decoder relies on every generator tapping the input and the oldest register bit.
        for r in 0..128usize {
            assert_eq!(OUT[r ^ 1], OUT[r] ^ 7);
            assert_eq!(OUT[r ^ 64], OUT[r] ^ 7);
        }
    }

    #[test]
    fn all_ones_and_all_zeros() {
        // All-zero input stays in state 0: all-zero output. All ones: each output is the parity
        // of the generator's weight (133: 5 taps → 1, 171: 5 → 1, 165: 5 → 1).
        let mut d = vec![9u8; 120];
        tbcc_encode(&[0; 40], &mut d).unwrap();
        assert!(d.iter().all(|&b| b == 0));
        tbcc_encode(&[1; 40], &mut d).unwrap();
        assert!(d.iter().all(|&b| b == 1));
    }

    fn to_soft(d: &[u8]) -> Vec<f32> {
        d.iter().map(|&b| if b == 1 { 1.0 } else { -1.0 }).collect()
    }

    #[test]
    fn clean_round_trip_for_pbch_and_dci_sizes() {
        let mut rng = Rng::new(11);
        let mut dec = TbccDecoder::new();
        for k in [6usize, 7, 20, 40, 43, 57, 63, 72] {
            for _ in 0..20 {
                let c: Vec<u8> = (0..k).map(|_| rng.bit()).collect();
                let mut d = vec![0u8; 3 * k];
                tbcc_encode(&c, &mut d).unwrap();
                let mut out = vec![0u8; k];
                let conf = dec.decode(&to_soft(&d), &mut out).unwrap();
                assert_eq!(out, c, "K={k}");
                assert!((conf - 1.0).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn corrects_injected_errors() {
        // Free distance of the (133,171,165) code is 15: 4 hard errors spread over the block are
        // always correctable; the wrap-around decoder must manage it including near the ends.
        let mut rng = Rng::new(5);
        for k in [40usize, 57] {
            for trial in 0..200 {
                let c: Vec<u8> = (0..k).map(|_| rng.bit()).collect();
                let mut d = vec![0u8; 3 * k];
                tbcc_encode(&c, &mut d).unwrap();
                let mut soft = to_soft(&d);
                for _ in 0..4 {
                    let at = (rng.next_u64() % (3 * k as u64)) as usize;
                    soft[at] = -soft[at];
                }
                let mut out = vec![0u8; k];
                tbcc_decode(&soft, &mut out).unwrap();
                assert_eq!(out, c, "K={k} trial {trial}");
            }
        }
    }

    #[test]
    fn awgn_at_2db_ebn0_decodes_most_blocks() {
        // Rate 1/3, Eb/N0 = 2 dB → Es/N0 = 2 − 4.77 dB; σ² = 1 / (2·Es/N0).
        let mut rng = Rng::new(99);
        let k = 40;
        let es_n0 = 10f64.powf((2.0 - 10.0 * 3f64.log10()) / 10.0);
        let sigma = (1.0 / (2.0 * es_n0)).sqrt();
        let mut failures = 0;
        for _ in 0..300 {
            let c: Vec<u8> = (0..k).map(|_| rng.bit()).collect();
            let mut d = vec![0u8; 3 * k];
            tbcc_encode(&c, &mut d).unwrap();
            let soft: Vec<f32> = to_soft(&d)
                .iter()
                .map(|&s| s + (rng.gaussian() * sigma) as f32)
                .collect();
            let mut out = vec![0u8; k];
            tbcc_decode(&soft, &mut out).unwrap();
            failures += usize::from(out != c);
        }
        println!("TBCC K=40 at Eb/N0 2 dB: {failures} / 300 blocks failed");
        // Soft Viterbi for this code at 2 dB: block error rate of a few per cent.
        assert!(failures < 30, "{failures} / 300 blocks failed");
    }

    #[test]
    fn garbage_never_panics() {
        let mut out = vec![0u8; 10];
        let soft = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, 1e30, -1e30]
            .iter()
            .copied()
            .cycle()
            .take(30)
            .collect::<Vec<_>>();
        let conf = tbcc_decode(&soft, &mut out).unwrap();
        assert!(conf.is_finite());
        assert!(tbcc_decode(&[0.0; 3], &mut []).is_err());
        assert!(tbcc_decode(&[0.0; 4], &mut [0; 1]).is_err());
        let mut one = [0u8; 1];
        tbcc_decode(&[1.0, 1.0, 1.0], &mut one).unwrap();
        assert_eq!(one, [1]);
    }
}
