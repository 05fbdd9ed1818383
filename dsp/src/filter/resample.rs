//! Integer decimation and rational resampling with polyphase FIR filters.

use super::*;

/// Dot product of real samples with real taps (both the same length). Eight independent
/// partial sums over contiguous `f32`s let the compiler vectorise the loop (the resampler keeps
/// its samples as separate real and imaginary arrays for this, since interleaved complex samples
/// would need shuffles, and pads its filters to a multiple of eight taps, so the scalar tail is
/// normally empty).
#[inline]
pub(crate) fn dot_f32(taps: &[f32], x: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let tc = taps.chunks_exact(8);
    let xc = x.chunks_exact(8);
    let (tr, xr) = (tc.remainder(), xc.remainder());
    for (t, s) in tc.zip(xc) {
        for k in 0..8 {
            acc[k] += t[k] * s[k];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (t, s) in tr.iter().zip(xr) {
        sum += *s * *t;
    }
    sum
}

/// Polyphase rational resampler by `up / down` with a real prototype low-pass designed at
/// `up × input rate`. Output sample `m` represents input time `(m·down − (N−1)/2) / up`, where
/// `N` is the prototype length (see [`RationalResampler::output_time`]).
#[derive(Debug, Clone)]
pub struct RationalResampler {
    up: usize,
    down: usize,
    /// `up` sub-filters of `k` taps each, stored reversed so each output is a contiguous dot product.
    phases: Vec<Vec<f32>>,
    k: usize,
    proto_len: usize,
    /// Input history (`k − 1` samples) followed by unconsumed input: real parts…
    buf_re: Vec<f32>,
    /// …and imaginary parts.
    buf_im: Vec<f32>,
    /// Index in `buf` of the newest input sample of the next output.
    n: usize,
    /// Polyphase branch of the next output.
    p: usize,
}

impl RationalResampler {
    /// A resampler by `up / down` using prototype `taps` (designed at `up ×` the input rate with
    /// unit DC gain; the resampler multiplies by `up` to keep unit gain).
    pub fn new(up: usize, down: usize, taps: &[f32]) -> Result<Self, FilterError> {
        if up == 0 {
            return Err(FilterError::InvalidParameter {
                name: "up",
                value: 0.0,
            });
        }
        if down == 0 {
            return Err(FilterError::InvalidParameter {
                name: "down",
                value: 0.0,
            });
        }
        if taps.is_empty() {
            return Err(FilterError::EmptyFilter);
        }
        // Taps per branch, padded with zeros to a multiple of 8 (see `dot_f32`).
        let k = taps.len().div_ceil(up).next_multiple_of(8);
        let mut phases = vec![vec![0.0f32; k]; up];
        for (p, ph) in phases.iter_mut().enumerate() {
            for j in 0..k {
                let t = taps.get(p + j * up).copied().unwrap_or(0.0) * up as f32;
                ph[k - 1 - j] = t;
            }
        }
        Ok(RationalResampler {
            up,
            down,
            phases,
            k,
            proto_len: taps.len(),
            buf_re: vec![0.0; k - 1],
            buf_im: vec![0.0; k - 1],
            n: k - 1,
            p: 0,
        })
    }

    /// An integer decimator by `down` (a resampler with `up = 1`).
    pub fn decimator(down: usize, taps: &[f32]) -> Result<Self, FilterError> {
        Self::new(1, down, taps)
    }

    /// Interpolation factor.
    pub fn up(&self) -> usize {
        self.up
    }

    /// Decimation factor.
    pub fn down(&self) -> usize {
        self.down
    }

    /// Input time (in input samples, may be fractional or negative) that output sample `m`
    /// represents, accounting for the filter delay.
    pub fn output_time(&self, m: f64) -> f64 {
        (m * self.down as f64 - (self.proto_len as f64 - 1.0) / 2.0) / self.up as f64
    }

    /// Number of outputs [`RationalResampler::process`] produces from the first `stream_len`
    /// input samples of a stream (output `m` needs input `⌊m·down/up⌋`).
    pub fn outputs_for(&self, stream_len: u64) -> u64 {
        let n = u128::from(stream_len) * self.up as u128;
        n.div_ceil(self.down as u128).min(u128::from(u64::MAX)) as u64
    }

    /// Input index of the oldest sample output `m` depends on (may be negative: zeros before
    /// the stream's start).
    pub fn first_input_for(&self, m: u64) -> i64 {
        let s = (u128::from(m) * self.down as u128 / self.up as u128).min(i64::MAX as u128) as i64;
        s + 1 - self.k as i64
    }

    /// Computes outputs `m0 … m0 + out.len() − 1` directly from the input stream (random
    /// access, no state: the same values [`RationalResampler::process`] produces when fed the
    /// stream from its start). The stream's samples from index `base` on are `re`/`im`; samples
    /// before index 0 count as zero. Outputs whose inputs are not held come out as zero;
    /// returns how many outputs were computed from held inputs.
    pub fn outputs_at(
        &self,
        m0: u64,
        re: &[f32],
        im: &[f32],
        base: u64,
        out: &mut [Complex32],
    ) -> usize {
        let t = u128::from(m0) * self.down as u128;
        let mut s = (t / self.up as u128).min(u128::from(u64::MAX / 2)) as u64;
        let mut p = (t % self.up as u128) as usize;
        let k = self.k as u64;
        let mut good = 0;
        for y in out.iter_mut() {
            *y = Complex32::new(0.0, 0.0);
            if let Some(h) = self.phases.get(p) {
                if s + 1 >= k && s + 1 - k >= base {
                    let from = (s + 1 - k - base) as usize;
                    if let (Some(r), Some(i)) =
                        (re.get(from..from + self.k), im.get(from..from + self.k))
                    {
                        *y = Complex32::new(dot_f32(h, r), dot_f32(h, i));
                        good += 1;
                    }
                } else if base == 0 {
                    // The window starts before the stream: its first taps meet zeros.
                    let lead = (k - (s + 1).min(k)) as usize;
                    if let Some(hh) = h.get(lead..) {
                        let n = hh.len();
                        if let (Some(r), Some(i)) = (re.get(..n), im.get(..n)) {
                            *y = Complex32::new(dot_f32(hh, r), dot_f32(hh, i));
                            good += 1;
                        }
                    }
                }
            }
            p += self.down;
            s += (p / self.up) as u64;
            p %= self.up;
        }
        good
    }

    /// Resamples `input`, appending to `out`. Returns `input.len()`.
    pub fn process(&mut self, input: &[Complex32], out: &mut Vec<Complex32>) -> usize {
        self.buf_re.extend(input.iter().map(|v| v.re));
        self.buf_im.extend(input.iter().map(|v| v.im));
        let k = self.k;
        let len = self.buf_re.len();
        out.reserve((len.saturating_sub(self.n) * self.up).div_ceil(self.down));
        while self.n < len {
            let start = self.n + 1 - k;
            let y = match (
                self.phases.get(self.p),
                self.buf_re.get(start..=self.n),
                self.buf_im.get(start..=self.n),
            ) {
                (Some(h), Some(re), Some(im)) => Complex32::new(dot_f32(h, re), dot_f32(h, im)),
                _ => Complex32::new(0.0, 0.0),
            };
            out.push(y);
            self.p += self.down;
            self.n += self.p / self.up;
            self.p %= self.up;
        }
        // Keep the last k − 1 samples as history.
        let keep_from = len.saturating_sub(k - 1);
        let drop = keep_from.min(self.n.saturating_sub(k - 1));
        self.buf_re.drain(..drop);
        self.buf_im.drain(..drop);
        self.n -= drop;
        input.len()
    }
}

/// Integer-factor decimating FIR filter (a thin wrapper over [`RationalResampler`] with `up = 1`).
#[derive(Debug, Clone)]
pub struct FirDecimator {
    inner: RationalResampler,
}

impl FirDecimator {
    /// Decimate by `down` after filtering with `taps` (designed at the input rate, unit DC gain).
    pub fn new(down: usize, taps: &[f32]) -> Result<Self, FilterError> {
        Ok(FirDecimator {
            inner: RationalResampler::decimator(down, taps)?,
        })
    }

    /// Input time that output sample `m` represents (filter delay included).
    pub fn output_time(&self, m: f64) -> f64 {
        self.inner.output_time(m)
    }

    /// Filters and decimates `input`, appending to `out`. Returns `input.len()`.
    pub fn process(&mut self, input: &[Complex32], out: &mut Vec<Complex32>) -> usize {
        self.inner.process(input, out)
    }
}

pub(crate) fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Best rational approximation `p/q` of `x > 0` with `p ≤ max_num` and `q ≤ max_den`
/// (continued fractions; exact when possible).
pub fn rational_approx(x: f64, max_num: u64, max_den: u64) -> (u64, u64) {
    let (mut p0, mut q0, mut p1, mut q1) = (0u64, 1u64, 1u64, 0u64);
    let mut v = x;
    for _ in 0..64 {
        let a = v.floor();
        if !a.is_finite() || a > 1e12 {
            break;
        }
        let a = a as u64;
        let p2 = a.saturating_mul(p1).saturating_add(p0);
        let q2 = a.saturating_mul(q1).saturating_add(q0);
        if p2 > max_num || q2 > max_den {
            break;
        }
        (p0, q0, p1, q1) = (p1, q1, p2, q2);
        let frac = v - a as f64;
        if frac < 1e-12 {
            break;
        }
        v = 1.0 / frac;
    }
    if q1 == 0 || p1 == 0 {
        return (1, 1);
    }
    let g = gcd(p1, q1);
    (p1 / g, q1 / g)
}
