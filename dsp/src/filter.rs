//! FIR design, frequency shifting, decimation and rational resampling.
//!
//! Every stateful stage has `process(&mut self, input, out) -> usize`: it consumes the whole input
//! (the return value is the number of input samples consumed, always `input.len()`), appends what it
//! produces to `out`, and keeps its state (phase, filter history) for the next call, so a stream cut
//! into arbitrary chunks gives exactly the same output as one call with the whole stream.
//!
//! [`ChannelExtractor`] chains them: it mixes one channel at an offset down to 0 Hz and resamples it
//! from any input rate to an integer number of samples per GSM symbol.

use num_complex::Complex32;
use std::f64::consts::{PI, TAU};

/// Why a filter or resampler could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterError {
    /// A rate, frequency or ratio was zero, negative, NaN or infinite.
    #[error("invalid parameter {name}: {value}")]
    InvalidParameter {
        /// Which parameter.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A filter needs at least one tap.
    #[error("empty filter")]
    EmptyFilter,
}

/// Kaiser window `β` for a stop-band attenuation of `atten_db` (Kaiser's empirical formula).
pub fn kaiser_beta(atten_db: f64) -> f64 {
    if atten_db > 50.0 {
        0.1102 * (atten_db - 8.7)
    } else if atten_db > 21.0 {
        0.5842 * (atten_db - 21.0).powf(0.4) + 0.07886 * (atten_db - 21.0)
    } else {
        0.0
    }
}

/// Modified Bessel function of the first kind, order 0 (power series).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x / 2.0;
    for k in 1..64 {
        let f = half / k as f64;
        term *= f * f;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// Kaiser window of `len` points with parameter `beta`.
pub fn kaiser_window(len: usize, beta: f64) -> Vec<f64> {
    if len <= 1 {
        return vec![1.0; len];
    }
    let denom = bessel_i0(beta);
    let m = (len - 1) as f64;
    (0..len)
        .map(|n| {
            let r = 2.0 * n as f64 / m - 1.0;
            bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / denom
        })
        .collect()
}

/// Windowed-sinc low-pass filter of `num_taps` taps with its −6 dB cutoff at `cutoff_cycles`
/// (cycles per sample, 0 < cutoff < 0.5), Kaiser window `beta`, normalised to unit gain at 0 Hz.
pub fn design_lowpass(
    num_taps: usize,
    cutoff_cycles: f64,
    beta: f64,
) -> Result<Vec<f32>, FilterError> {
    if num_taps == 0 {
        return Err(FilterError::EmptyFilter);
    }
    if !(cutoff_cycles > 0.0 && cutoff_cycles < 0.5) {
        return Err(FilterError::InvalidParameter {
            name: "cutoff_cycles",
            value: cutoff_cycles,
        });
    }
    if !beta.is_finite() || beta < 0.0 {
        return Err(FilterError::InvalidParameter {
            name: "beta",
            value: beta,
        });
    }
    let win = kaiser_window(num_taps, beta);
    let mid = (num_taps - 1) as f64 / 2.0;
    let mut taps: Vec<f64> = win
        .iter()
        .enumerate()
        .map(|(n, w)| {
            let t = n as f64 - mid;
            let s = if t.abs() < 1e-12 {
                2.0 * cutoff_cycles
            } else {
                (TAU * cutoff_cycles * t).sin() / (PI * t)
            };
            s * w
        })
        .collect();
    let sum: f64 = taps.iter().sum();
    if sum.abs() > 1e-30 {
        for t in &mut taps {
            *t /= sum;
        }
    }
    Ok(taps.into_iter().map(|t| t as f32).collect())
}

/// Kaiser-windowed low-pass for a stream at `sample_rate_sps`: flat to `pass_hz`, at least
/// `atten_db` down from `stop_hz`. The length follows Kaiser's formula (odd, so the delay is an
/// integer number of samples).
pub fn lowpass_for(
    sample_rate_sps: f64,
    pass_hz: f64,
    stop_hz: f64,
    atten_db: f64,
) -> Result<Vec<f32>, FilterError> {
    if !(sample_rate_sps.is_finite() && sample_rate_sps > 0.0) {
        return Err(FilterError::InvalidParameter {
            name: "sample_rate_sps",
            value: sample_rate_sps,
        });
    }
    if !(pass_hz.is_finite() && pass_hz > 0.0 && stop_hz > pass_hz && stop_hz.is_finite()) {
        return Err(FilterError::InvalidParameter {
            name: "stop_hz",
            value: stop_hz,
        });
    }
    if !(atten_db.is_finite() && atten_db > 0.0) {
        return Err(FilterError::InvalidParameter {
            name: "atten_db",
            value: atten_db,
        });
    }
    let dw = TAU * (stop_hz - pass_hz) / sample_rate_sps;
    let n = (((atten_db - 7.95) / (2.285 * dw)).ceil().max(1.0) as usize + 1) | 1;
    let cutoff = ((pass_hz + stop_hz) / 2.0 / sample_rate_sps).min(0.499);
    design_lowpass(n, cutoff, kaiser_beta(atten_db))
}

/// Frequency response magnitude in dB of real taps at `freq_cycles` (cycles per sample).
pub fn response_db(taps: &[f32], freq_cycles: f64) -> f64 {
    let (mut re, mut im) = (0.0f64, 0.0f64);
    for (n, &t) in taps.iter().enumerate() {
        let p = -TAU * freq_cycles * n as f64;
        re += t as f64 * p.cos();
        im += t as f64 * p.sin();
    }
    10.0 * (re * re + im * im).max(1e-30).log10()
}

/// Numerically controlled oscillator that multiplies a stream by `exp(−j2π f n / fs)`, moving a
/// signal at `+f` down to 0 Hz. The phase is kept across calls and across frequency changes.
#[derive(Debug, Clone)]
pub struct FreqShifter {
    sample_rate_sps: f64,
    freq_hz: f64,
    step_cycles: f64,
    /// Exact phase (cycles) at sample `anchor` (the last frequency change).
    phase_cycles: f64,
    anchor: u64,
    /// Phasor for the current sample (re-derived from the exact phase every 1024 samples).
    rot: Complex32,
    /// Samples processed so far.
    count: u64,
}

impl FreqShifter {
    /// A shifter that moves `freq_hz` (may be negative) to 0 Hz in a stream at `sample_rate_sps`.
    pub fn new(freq_hz: f64, sample_rate_sps: f64) -> Result<Self, FilterError> {
        if !(sample_rate_sps.is_finite() && sample_rate_sps > 0.0) {
            return Err(FilterError::InvalidParameter {
                name: "sample_rate_sps",
                value: sample_rate_sps,
            });
        }
        if !freq_hz.is_finite() {
            return Err(FilterError::InvalidParameter {
                name: "freq_hz",
                value: freq_hz,
            });
        }
        Ok(FreqShifter {
            sample_rate_sps,
            freq_hz,
            step_cycles: freq_hz / sample_rate_sps,
            phase_cycles: 0.0,
            anchor: 0,
            rot: Complex32::new(1.0, 0.0),
            count: 0,
        })
    }

    /// The frequency that is moved to 0 Hz.
    pub fn freq_hz(&self) -> f64 {
        self.freq_hz
    }

    /// Changes the frequency from the next sample on; the phase stays continuous. Non-finite
    /// values are ignored.
    pub fn set_freq_hz(&mut self, freq_hz: f64) {
        if freq_hz.is_finite() {
            self.phase_cycles = self.phase_now();
            self.anchor = self.count;
            self.freq_hz = freq_hz;
            self.step_cycles = freq_hz / self.sample_rate_sps;
        }
    }

    /// Exact phase (cycles, in [0, 1)) of the next sample.
    fn phase_now(&self) -> f64 {
        let n = self.count.wrapping_sub(self.anchor) as f64;
        (self.phase_cycles + self.step_cycles * n).rem_euclid(1.0)
    }

    /// Mixes `input` and appends the result to `out`. Returns `input.len()`.
    ///
    /// The phasor is advanced by complex multiplication and re-derived from the exact (f64)
    /// phase every 1024 samples counted from the start of the stream, so the output does not
    /// depend on how the stream is cut into calls.
    pub fn process(&mut self, input: &[Complex32], out: &mut Vec<Complex32>) -> usize {
        out.reserve(input.len());
        let s = -TAU * self.step_cycles;
        let step = Complex32::new(s.cos() as f32, s.sin() as f32);
        let mut rest = input;
        while !rest.is_empty() {
            let into = (self.count % 1024) as usize;
            if into == 0 {
                let p = -TAU * self.phase_now();
                self.rot = Complex32::new(p.cos() as f32, p.sin() as f32);
            }
            // Up to the next re-derivation: a tight loop the CPU can overlap with the phase
            // bookkeeping below.
            let (now, later) = rest.split_at((1024 - into).min(rest.len()));
            let mut rot = self.rot;
            out.extend(now.iter().map(|&x| {
                let y = x * rot;
                rot *= step;
                y
            }));
            self.rot = rot;
            self.count = self.count.wrapping_add(now.len() as u64);
            rest = later;
        }
        input.len()
    }
}

/// Dot product of real samples with real taps (both the same length). Eight independent
/// partial sums over contiguous `f32`s let the compiler vectorise the loop (the resampler keeps
/// its samples as separate real and imaginary arrays for this, since interleaved complex samples
/// would need shuffles, and pads its filters to a multiple of eight taps, so the scalar tail is
/// normally empty).
#[inline]
fn dot_f32(taps: &[f32], x: &[f32]) -> f32 {
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

fn gcd(a: u64, b: u64) -> u64 {
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

/// Extracts one channel: mixes `offset_hz` to 0 Hz, low-passes and resamples to exactly
/// `output_rate_sps` when the ratio is a small fraction (all usual SDR rates against GSM's 13 MHz
/// clock are), otherwise to the nearest rate reachable with at most 2048 polyphase branches
/// ([`ChannelExtractor::output_rate_sps`] says which).
///
/// Stages: mixer at the input rate → optional integer pre-decimator (when the input is more than
/// 4× the output rate, to an intermediate rate ≥ 2× the output) → polyphase rational resampler
/// whose prototype is the channel filter (flat to `pass_hz`, 60 dB down from `stop_hz`).
#[derive(Debug, Clone)]
pub struct ChannelExtractor {
    input_rate_sps: f64,
    output_rate_sps: f64,
    shifter: FreqShifter,
    pre: Option<FirDecimator>,
    resampler: RationalResampler,
    mixed: Vec<Complex32>,
    pre_out: Vec<Complex32>,
}

impl ChannelExtractor {
    /// A channel at `offset_hz` from the centre of an input at `input_rate_sps`, delivered at
    /// (about) `output_rate_sps`, with a channel filter flat to `pass_hz` and 60 dB down from
    /// `stop_hz` (both must be below half the output rate's Nyquist band edges to avoid aliasing).
    pub fn new(
        input_rate_sps: f64,
        offset_hz: f64,
        output_rate_sps: f64,
        pass_hz: f64,
        stop_hz: f64,
    ) -> Result<Self, FilterError> {
        for (name, v) in [
            ("input_rate_sps", input_rate_sps),
            ("output_rate_sps", output_rate_sps),
        ] {
            if !(v.is_finite() && (1.0..1e11).contains(&v)) {
                return Err(FilterError::InvalidParameter { name, value: v });
            }
        }
        let shifter = FreqShifter::new(offset_hz, input_rate_sps)?;
        let mut rate1 = input_rate_sps;
        let mut pre = None;
        let ratio = input_rate_sps / output_rate_sps;
        if ratio > 4.0 {
            let d = (input_rate_sps / (2.0 * output_rate_sps)).floor().max(1.0) as usize;
            if d >= 2 {
                rate1 = input_rate_sps / d as f64;
                let taps = lowpass_for(input_rate_sps, stop_hz, rate1 - stop_hz, 60.0)?;
                pre = Some(FirDecimator::new(d, &taps)?);
            }
        }
        // Exact ratio when both rates are (close to) integers in Hz with a small reduced fraction.
        let (up, down) = {
            let a = output_rate_sps.round();
            let b = rate1.round();
            let exact = (output_rate_sps - a).abs() < 1e-6 && (rate1 - b).abs() < 1e-6;
            let mut pair = None;
            if exact {
                let (a, b) = (a as u64, b as u64);
                let g = gcd(a, b).max(1);
                let (u, d) = (a / g, b / g);
                if u <= 2048 && d <= 1 << 20 {
                    pair = Some((u, d));
                }
            }
            match pair {
                Some(p) => p,
                None => rational_approx(output_rate_sps / rate1, 2048, 1 << 20),
            }
        };
        let out_rate = rate1 * up as f64 / down as f64;
        let proto_rate = rate1 * up as f64;
        let taps = lowpass_for(
            proto_rate,
            pass_hz,
            stop_hz.min(out_rate / 2.0 + pass_hz),
            60.0,
        )?;
        let resampler = RationalResampler::new(up as usize, down as usize, &taps)?;
        Ok(ChannelExtractor {
            input_rate_sps,
            output_rate_sps: out_rate,
            shifter,
            pre,
            resampler,
            mixed: Vec::new(),
            pre_out: Vec::new(),
        })
    }

    /// The output rate actually produced.
    pub fn output_rate_sps(&self) -> f64 {
        self.output_rate_sps
    }

    /// The input rate.
    pub fn input_rate_sps(&self) -> f64 {
        self.input_rate_sps
    }

    /// The frequency (relative to the input's centre) currently mixed to 0 Hz.
    pub fn offset_hz(&self) -> f64 {
        self.shifter.freq_hz()
    }

    /// Retunes the mixer from the next input sample on (phase continuous).
    pub fn set_offset_hz(&mut self, offset_hz: f64) {
        self.shifter.set_freq_hz(offset_hz);
    }

    /// Input sample time (fractional input index) that output sample `m` represents.
    pub fn input_time(&self, m: f64) -> f64 {
        let t1 = self.resampler.output_time(m);
        match &self.pre {
            Some(p) => p.output_time(t1),
            None => t1,
        }
    }

    /// The final resampler (whose input is the stream [`ChannelExtractor::process_front`] makes).
    pub fn resampler(&self) -> &RationalResampler {
        &self.resampler
    }

    /// Runs only the mixer and the pre-decimator, appending the stream the final resampler reads
    /// to `re`/`im` (real and imaginary parts). With [`RationalResampler::outputs_at`] on
    /// [`ChannelExtractor::resampler`] this extracts the channel lazily: only the output samples
    /// asked for are computed, with the same values [`ChannelExtractor::process`] gives.
    pub fn process_front(&mut self, input: &[Complex32], re: &mut Vec<f32>, im: &mut Vec<f32>) {
        self.mixed.clear();
        self.shifter.process(input, &mut self.mixed);
        let stream = match &mut self.pre {
            Some(p) => {
                self.pre_out.clear();
                p.process(&self.mixed, &mut self.pre_out);
                &self.pre_out
            }
            None => &self.mixed,
        };
        re.extend(stream.iter().map(|v| v.re));
        im.extend(stream.iter().map(|v| v.im));
    }

    /// Extracts the channel from `input`, appending output samples to `out`. Returns `input.len()`.
    pub fn process(&mut self, input: &[Complex32], out: &mut Vec<Complex32>) -> usize {
        self.mixed.clear();
        self.shifter.process(input, &mut self.mixed);
        match &mut self.pre {
            Some(p) => {
                self.pre_out.clear();
                p.process(&self.mixed, &mut self.pre_out);
                self.resampler.process(&self.pre_out, out);
            }
            None => {
                self.resampler.process(&self.mixed, out);
            }
        }
        input.len()
    }
}

/// FFT filter bank (overlap-save fast convolution) that extracts many channels at once from a
/// wide input: one `N`-point FFT per block serves every channel; each channel then costs a
/// multiply over `N/D` bins and one `N/D`-point inverse FFT, so the whole bank is
/// O(N log N) per block instead of one full-rate mixer and filter per channel.
///
/// Each channel is centred on the FFT bin nearest its requested offset and delivered at
/// `input rate / D`; the remaining offset (at most half a bin) is reported by
/// [`Channelizer::residual_hz`] for the consumer (e.g. the GSM receiver's own mixer) to remove.
/// Output sample `m` of every channel represents input time `m·D − (L−1)/2`
/// ([`Channelizer::input_time`]), `L` being the prototype filter length; `m` counts from the
/// first block of the stream, whenever the channel was added.
///
/// Channels can be added and removed while the stream runs ([`Channelizer::add_channel`],
/// [`Channelizer::remove_channel`]). With a spectrum history ([`Channelizer::set_history_blocks`])
/// a channel added late first gets the output of the blocks still held, so a carrier found by a
/// look at the spectrum is received from before the moment it was found.
#[derive(Clone)]
pub struct Channelizer {
    input_rate_sps: f64,
    n: usize,
    n_out: usize,
    decim: usize,
    hop: usize,
    taps_len: usize,
    fft: std::sync::Arc<dyn rustfft::Fft<f32>>,
    ifft: std::sync::Arc<dyn rustfft::Fft<f32>>,
    /// Filter response on the `n_out` bins around DC, in inverse-FFT order, scaled by `1/N`.
    resp: Vec<Complex32>,
    bins: Vec<usize>,
    residual_hz: Vec<f64>,
    blocks: u64,
    buf: Vec<Complex32>,
    spec: Vec<Complex32>,
    small: Vec<Complex32>,
    scratch: Vec<Complex32>,
    /// Spectra of the most recent blocks (block number, spectrum), oldest first.
    history: std::collections::VecDeque<(u64, Vec<Complex32>)>,
    history_blocks: usize,
    /// Spectrum buffers to reuse.
    spare: Vec<Vec<Complex32>>,
}

impl std::fmt::Debug for Channelizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channelizer")
            .field("n", &self.n)
            .field("decim", &self.decim)
            .field("channels", &self.bins.len())
            .finish_non_exhaustive()
    }
}

impl Channelizer {
    /// A bank for an input at `input_rate_sps`, delivering each channel at `input_rate_sps / decim`,
    /// flat to `pass_hz` and 60 dB down from half the output rate (so `pass_hz` must be below
    /// that), for channels at `offsets_hz` from the input's centre (more can be added later).
    pub fn new(
        input_rate_sps: f64,
        decim: usize,
        pass_hz: f64,
        offsets_hz: &[f64],
    ) -> Result<Self, FilterError> {
        if !(input_rate_sps.is_finite() && input_rate_sps > 0.0) {
            return Err(FilterError::InvalidParameter {
                name: "input_rate_sps",
                value: input_rate_sps,
            });
        }
        if decim == 0 {
            return Err(FilterError::InvalidParameter {
                name: "decim",
                value: 0.0,
            });
        }
        let out_rate = input_rate_sps / decim as f64;
        // Stop-band from half the output rate: the kept bins then hold the whole response (the
        // frequency-domain truncation to N/D bins cuts only what is already 60 dB down, so the
        // effective impulse response stays short and nothing aliases).
        let stop_hz = out_rate / 2.0;
        if !(pass_hz > 0.0 && stop_hz > pass_hz) {
            return Err(FilterError::InvalidParameter {
                name: "pass_hz",
                value: pass_hz,
            });
        }
        let taps = lowpass_for(input_rate_sps, pass_hz, stop_hz, 60.0)?;
        let l = taps.len();
        // N = D · n_out with N ≥ 4 L and n_out a power of two (fast inverse FFTs; the forward
        // FFT then has the factors of D and a power of two).
        let n_out = (4 * l).div_ceil(decim).max(8).next_power_of_two();
        let n = n_out * decim;
        let skip = (l - 1).div_ceil(decim);
        let valid = n_out - skip;
        let hop = valid * decim;
        let mut planner = rustfft::FftPlanner::<f32>::new();
        let fft = planner.plan_fft_forward(n);
        let ifft = planner.plan_fft_inverse(n_out);
        // Filter response at all N bins, then the n_out bins around DC.
        let mut h = vec![Complex32::new(0.0, 0.0); n];
        for (d, t) in h.iter_mut().zip(&taps) {
            *d = Complex32::new(*t, 0.0);
        }
        fft.process(&mut h);
        let half = n_out / 2;
        let resp = (0..n_out)
            .map(|j| {
                // Inverse-FFT index j ↔ frequency bin j (j < half) or j − n_out (negative).
                let k = if j < half { j } else { n - (n_out - j) };
                h.get(k).copied().unwrap_or_default() / n as f32
            })
            .collect();
        let scratch_len = fft
            .get_inplace_scratch_len()
            .max(ifft.get_inplace_scratch_len());
        let mut bank = Channelizer {
            input_rate_sps,
            n,
            n_out,
            decim,
            hop,
            taps_len: l,
            fft,
            ifft,
            resp,
            bins: Vec::with_capacity(offsets_hz.len()),
            residual_hz: Vec::with_capacity(offsets_hz.len()),
            blocks: 0,
            buf: vec![Complex32::new(0.0, 0.0); n - hop],
            spec: vec![Complex32::new(0.0, 0.0); n],
            small: vec![Complex32::new(0.0, 0.0); n_out],
            scratch: vec![Complex32::new(0.0, 0.0); scratch_len],
            history: std::collections::VecDeque::new(),
            history_blocks: 0,
            spare: Vec::new(),
        };
        for &f in offsets_hz {
            bank.push_channel(f)?;
        }
        Ok(bank)
    }

    fn push_channel(&mut self, offset_hz: f64) -> Result<usize, FilterError> {
        if !(offset_hz.is_finite() && offset_hz.abs() < self.input_rate_sps / 2.0) {
            return Err(FilterError::InvalidParameter {
                name: "offsets_hz",
                value: offset_hz,
            });
        }
        let bin_hz = self.input_rate_sps / self.n as f64;
        let k = (offset_hz / bin_hz).round() as i64;
        self.bins.push(k.rem_euclid(self.n as i64) as usize);
        self.residual_hz.push(offset_hz - k as f64 * bin_hz);
        Ok(self.bins.len() - 1)
    }

    /// Keeps the spectra of the last `blocks` blocks for channels added later (0 = none, the
    /// default). Memory: `blocks × N` complex samples.
    pub fn set_history_blocks(&mut self, blocks: usize) {
        self.history_blocks = blocks;
        while self.history.len() > blocks {
            if let Some((_, s)) = self.history.pop_front() {
                self.spare.push(s);
            }
        }
    }

    /// Blocks of spectrum history kept (see [`Channelizer::set_history_blocks`]).
    pub fn history_blocks(&self) -> usize {
        self.history_blocks
    }

    /// Adds a channel at `offset_hz` from the input's centre; it becomes channel number
    /// [`Channelizer::channels`] − 1. The output of the blocks still held in the history (none
    /// without [`Channelizer::set_history_blocks`]) is appended to `out` at once. Returns the
    /// output index (see [`Channelizer::input_time`]) of the first sample this channel delivers,
    /// in `out` now or from the next [`Channelizer::process`] on.
    pub fn add_channel(
        &mut self,
        offset_hz: f64,
        out: &mut Vec<Complex32>,
    ) -> Result<u64, FilterError> {
        let c = self.push_channel(offset_hz)?;
        let valid = (self.hop / self.decim) as u64;
        let Some(first_block) = self.history.front().map(|(b, _)| *b) else {
            return Ok(self.blocks * valid);
        };
        let history = std::mem::take(&mut self.history);
        for (b, spec) in &history {
            self.extract(spec, c, *b, out);
        }
        self.history = history;
        Ok(first_block * valid)
    }

    /// Removes channel `i` (later channels move down by one). Out-of-range indices are ignored.
    pub fn remove_channel(&mut self, i: usize) {
        if i < self.bins.len() {
            self.bins.remove(i);
            self.residual_hz.remove(i);
        }
    }

    /// Number of channels.
    pub fn channels(&self) -> usize {
        self.bins.len()
    }

    /// Output rate of every channel.
    pub fn output_rate_sps(&self) -> f64 {
        self.input_rate_sps / self.decim as f64
    }

    /// Decimation factor `D`.
    pub fn decim(&self) -> usize {
        self.decim
    }

    /// FFT size `N`.
    pub fn fft_len(&self) -> usize {
        self.n
    }

    /// Input samples per block (the FFT advances by this much).
    pub fn hop(&self) -> usize {
        self.hop
    }

    /// Output index of the next sample [`Channelizer::process`] will deliver on every channel.
    pub fn output_index(&self) -> u64 {
        self.blocks * (self.hop / self.decim) as u64
    }

    /// Offset of channel `i`'s requested frequency from the bin centre it was mixed from, Hz:
    /// a signal at the requested offset appears at this frequency in the channel's output.
    pub fn residual_hz(&self, i: usize) -> Option<f64> {
        self.residual_hz.get(i).copied()
    }

    /// Input time (fractional input index) that output sample `m` of any channel represents.
    pub fn input_time(&self, m: f64) -> f64 {
        m * self.decim as f64 - (self.taps_len as f64 - 1.0) / 2.0
    }

    /// Appends channel `c`'s output for block `b` (whose spectrum is `spec`) to `out`.
    fn extract(&mut self, spec: &[Complex32], c: usize, b: u64, out: &mut Vec<Complex32>) {
        let (n, n_out, half) = (self.n, self.n_out, self.n_out / 2);
        let valid = self.hop / self.decim;
        let Some(&k) = self.bins.get(c) else { return };
        // Block b starts at input time b·hop − (N − hop): the bin shift by k mixes relative to
        // the block start, so rotate by exp(−j2π k (b·hop − (N − hop)) / N) to make it absolute.
        let (kk, nn, bb) = (k as u128, n as u128, u128::from(b));
        let pos = (kk * ((bb * self.hop as u128) % nn)) % nn;
        let neg = (kk * (nn - self.hop as u128)) % nn;
        let ph = ((pos + nn - neg) % nn) as f64 / n as f64;
        let rot = Complex32::new((-TAU * ph).cos() as f32, (-TAU * ph).sin() as f32);
        // Bins k … k + n_out/2 − 1 go to the first half, k − n_out/2 … k − 1 to the second.
        let mut src = (k + n - half) % n;
        let (lo, hi) = self.small.split_at_mut(half);
        let (rlo, rhi) = self.resp.split_at(half);
        for (s, r) in hi.iter_mut().zip(rhi).chain(lo.iter_mut().zip(rlo)) {
            *s = spec.get(src).copied().unwrap_or_default() * *r;
            src += 1;
            if src == n {
                src = 0;
            }
        }
        self.ifft
            .process_with_scratch(&mut self.small, &mut self.scratch);
        out.extend(self.small.iter().skip(n_out - valid).map(|v| *v * rot));
    }

    /// Channelizes `input`, appending each channel's samples to `outs[i]` (`outs` must hold at
    /// least [`Channelizer::channels`] vectors; extra ones are left alone). Returns `input.len()`.
    pub fn process(&mut self, input: &[Complex32], outs: &mut [Vec<Complex32>]) -> usize {
        self.process_observed(input, outs, |_, _| {})
    }

    /// As [`Channelizer::process`], also handing each block's spectrum (block number, the
    /// `N`-point FFT of the block in natural order) to `observe`, e.g. a
    /// [`crate::gsm::rx::fcch_wide::SpectralFcch`] looking for carriers before any channel is
    /// extracted.
    pub fn process_observed(
        &mut self,
        input: &[Complex32],
        outs: &mut [Vec<Complex32>],
        mut observe: impl FnMut(u64, &[Complex32]),
    ) -> usize {
        self.buf.extend_from_slice(input);
        let n = self.n;
        let mut start = 0;
        while start + n <= self.buf.len() {
            if let Some(block) = self.buf.get(start..start + n) {
                self.spec.copy_from_slice(block);
            }
            self.fft
                .process_with_scratch(&mut self.spec, &mut self.scratch);
            let spec = std::mem::take(&mut self.spec);
            let b = self.blocks;
            observe(b, &spec);
            for (c, out) in outs.iter_mut().enumerate().take(self.bins.len()) {
                self.extract(&spec, c, b, out);
            }
            if self.history_blocks > 0 {
                let mut keep = if self.history.len() >= self.history_blocks {
                    self.history.pop_front().map(|(_, s)| s).unwrap_or_default()
                } else {
                    self.spare.pop().unwrap_or_default()
                };
                keep.clear();
                keep.extend_from_slice(&spec);
                self.history.push_back((b, keep));
            }
            self.spec = spec;
            self.blocks += 1;
            start += self.hop;
        }
        self.buf.drain(..start);
        input.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_outputs_equal_streaming_outputs() {
        let mut rng = crate::signal::Rng::new(7);
        let x: Vec<Complex32> = (0..5000).map(|_| rng.complex_gaussian(1.0)).collect();
        let ext = ChannelExtractor::new(1e6, 0.0, 13e6 / 12.0, 100e3, 170e3).unwrap();
        let mut streaming = ext.clone();
        let mut want = Vec::new();
        // Cut into uneven calls: the streaming output must not depend on that.
        for c in x.chunks(777) {
            streaming.process(c, &mut want);
        }
        let mut lazy = ext.clone();
        let (mut re, mut im) = (Vec::new(), Vec::new());
        lazy.process_front(&x, &mut re, &mut im);
        let rs = lazy.resampler();
        assert_eq!(rs.outputs_for(re.len() as u64), want.len() as u64);
        let mut got = vec![Complex32::new(0.0, 0.0); want.len()];
        assert_eq!(rs.outputs_at(0, &re, &im, 0, &mut got), want.len());
        for (m, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                (g - w).norm() <= 1e-5 * (1.0 + w.norm()),
                "output {m}: {g} vs {w}"
            );
        }
        // From a trimmed stream: the same values where the window is held, zeros (uncounted)
        // where it is not.
        let m0 = 3000u64;
        let first = rs.first_input_for(m0);
        assert!(first > 0);
        let base = first as usize;
        let mut part = vec![Complex32::new(9.0, 9.0); 100];
        let good = rs.outputs_at(m0, &re[base..], &im[base..], base as u64, &mut part);
        assert_eq!(good, 100);
        for (k, g) in part.iter().enumerate() {
            assert_eq!(*g, want[m0 as usize + k]);
        }
        let mut early = vec![Complex32::new(9.0, 9.0); 4];
        let good = rs.outputs_at(m0 - 4, &re[base..], &im[base..], base as u64, &mut early);
        assert!(good < 4);
        assert!(early.iter().any(|v| *v == Complex32::new(0.0, 0.0)));
    }

    fn tone(freq_hz: f64, rate: f64, n: usize) -> Vec<Complex32> {
        (0..n)
            .map(|i| {
                let p = TAU * freq_hz * i as f64 / rate;
                Complex32::new(p.cos() as f32, p.sin() as f32)
            })
            .collect()
    }

    #[test]
    fn lowpass_meets_spec() {
        let taps = lowpass_for(1e6, 100e3, 150e3, 60.0).unwrap();
        assert!(taps.len() % 2 == 1);
        assert!(response_db(&taps, 0.0).abs() < 0.01);
        assert!(response_db(&taps, 0.09).abs() < 0.05);
        for f in [0.15, 0.2, 0.3, 0.45] {
            assert!(
                response_db(&taps, f) < -59.0,
                "at {f}: {}",
                response_db(&taps, f)
            );
        }
    }

    #[test]
    fn rational_approx_exact_and_bounded() {
        assert_eq!(rational_approx(13.0 / 6.0, 100, 100), (13, 6));
        let (p, q) = rational_approx(std::f64::consts::PI, 1000, 1000);
        assert_eq!((p, q), (355, 113));
    }

    #[test]
    fn shifter_moves_tone_to_dc_across_chunks() {
        let rate = 1e6;
        let x = tone(12_345.0, rate, 10_000);
        let mut s = FreqShifter::new(12_345.0, rate).unwrap();
        let mut out = Vec::new();
        for c in x.chunks(333) {
            s.process(c, &mut out);
        }
        let first = out[0];
        for y in &out {
            assert!((y - first).norm() < 1e-3, "{y} vs {first}");
        }
    }

    #[test]
    fn resampler_chunked_equals_whole() {
        let taps = lowpass_for(13.0 * 500e3, 100e3, 170e3, 60.0).unwrap();
        let x: Vec<Complex32> = (0..5000)
            .map(|i| Complex32::new((i as f32 * 0.37).sin(), (i as f32 * 0.11).cos()))
            .collect();
        let mut a = RationalResampler::new(13, 6, &taps).unwrap();
        let mut b = a.clone();
        let mut oa = Vec::new();
        let mut ob = Vec::new();
        a.process(&x, &mut oa);
        for c in x.chunks(77) {
            b.process(c, &mut ob);
        }
        assert_eq!(oa.len(), ob.len());
        assert_eq!(oa.len(), 5000 * 13 / 6 + 1);
        for (p, q) in oa.iter().zip(&ob) {
            assert!((p - q).norm() < 1e-5);
        }
    }

    /// Power of the component of `y` at `freq_hz` (single-bin DFT, normalised by length²).
    fn tone_power(y: &[Complex32], freq_hz: f64, rate: f64) -> f64 {
        let mut acc = num_complex::Complex64::new(0.0, 0.0);
        for (n, v) in y.iter().enumerate() {
            let p = -TAU * freq_hz * n as f64 / rate;
            acc += num_complex::Complex64::new(f64::from(v.re), f64::from(v.im))
                * num_complex::Complex64::new(p.cos(), p.sin());
        }
        acc.norm_sqr() / (y.len() as f64).powi(2)
    }

    #[test]
    fn extractor_every_rate_passes_channel_and_rejects_neighbours() {
        let out_rate = 13e6 / 12.0;
        for (rate, offset) in [
            (500e3, 0.0),
            (1e6, -200e3),
            (2.048e6, 600e3),
            (2.4e6, -1.0e6),
            (4e6, 1.4e6),
            (20e6, -7.2e6),
            (1_234_567.0, 100e3),
        ] {
            let mut ex = ChannelExtractor::new(rate, offset, out_rate, 100e3, 170e3).unwrap();
            let got_rate = ex.output_rate_sps();
            assert!(
                (got_rate / out_rate - 1.0).abs() < 1e-6,
                "{rate}: {got_rate}"
            );
            // In-band tone 40 kHz above the channel; an adjacent-channel tone 200 kHz below it.
            let n = (rate * 0.02) as usize;
            let mut x = tone(offset + 40e3, rate, n);
            let adj = if offset - 200e3 > -rate / 2.0 {
                offset - 200e3
            } else {
                offset + 200e3
            };
            for (v, a) in x.iter_mut().zip(tone(adj, rate, n)) {
                *v += a;
            }
            let mut y = Vec::new();
            for c in x.chunks(4099) {
                ex.process(c, &mut y);
            }
            let expect_len = n as f64 * got_rate / rate;
            assert!(
                (y.len() as f64 - expect_len).abs() < 3.0,
                "{rate}: {} vs {expect_len}",
                y.len()
            );
            let y = &y[200..y.len() - 200];
            let wanted = tone_power(y, 40e3, got_rate);
            let other = tone_power(y, adj - offset, got_rate);
            assert!(
                (10.0 * wanted.log10()).abs() < 0.2,
                "{rate}: in-band {wanted}"
            );
            assert!(10.0 * other.log10() < -55.0, "{rate}: adjacent {other}");
            // The delay model: output sample m represents input time input_time(m).
            let m = 1000.0;
            let t = ex.input_time(m);
            assert!(
                (t - m * rate / got_rate).abs() < (rate * 5e-5).max(200.0),
                "{rate}: {t}"
            );
        }
    }

    #[test]
    fn extractor_delay_model_is_exact_for_a_pulse() {
        for rate in [500e3, 2.4e6, 20e6] {
            let mut ex = ChannelExtractor::new(rate, 0.0, 13e6 / 12.0, 100e3, 170e3).unwrap();
            let n = (rate * 0.01) as usize;
            let mut x = vec![Complex32::new(0.0, 0.0); n];
            x[n / 2] = Complex32::new(1.0, 0.0);
            let mut y = Vec::new();
            ex.process(&x, &mut y);
            let peak = y
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.norm().total_cmp(&b.1.norm()))
                .unwrap()
                .0;
            let t = ex.input_time(peak as f64);
            let one_output = rate / ex.output_rate_sps();
            assert!(
                (t - (n / 2) as f64).abs() <= one_output / 2.0 + 0.5,
                "{rate}: pulse at {} → output {peak} ↔ input {t}",
                n / 2
            );
        }
    }

    #[test]
    fn bad_parameters_are_errors() {
        assert!(ChannelExtractor::new(f64::NAN, 0.0, 1e6, 1e5, 2e5).is_err());
        assert!(ChannelExtractor::new(1e6, f64::INFINITY, 1e6, 1e5, 2e5).is_err());
        assert!(FreqShifter::new(1.0, 0.0).is_err());
        assert!(RationalResampler::new(0, 1, &[1.0]).is_err());
        assert!(RationalResampler::new(1, 1, &[]).is_err());
        assert!(design_lowpass(11, 0.6, 5.0).is_err());
    }

    #[test]
    fn channelizer_separates_tones_on_200_khz_grid() {
        let rate = 4e6;
        let offsets = [-1.0e6, -0.4e6, 0.2e6, 1.6e6];
        let mut ch = Channelizer::new(rate, 8, 170e3, &offsets).unwrap();
        assert_eq!(ch.output_rate_sps(), 500e3);
        // A tone 30 kHz above each channel, with a slightly different amplitude per channel.
        let n = 80_000;
        let mut x = vec![Complex32::new(0.0, 0.0); n];
        for (i, f) in offsets.iter().enumerate() {
            let a = 0.5 + 0.05 * i as f32;
            for (v, t) in x.iter_mut().zip(tone(f + 30e3, rate, n)) {
                *v += t * a;
            }
        }
        let mut outs = vec![Vec::new(); offsets.len()];
        for c in x.chunks(3001) {
            ch.process(c, &mut outs);
        }
        for (i, y) in outs.iter().enumerate() {
            assert!(
                y.len() * 8 <= n && y.len() * 8 + ch.fft_len() >= n,
                "{}",
                y.len()
            );
            let y = &y[100..y.len() - 10];
            let out_rate = ch.output_rate_sps();
            let res = ch.residual_hz(i).unwrap();
            let a = 0.5 + 0.05 * i as f64;
            let p = tone_power(y, 30e3 + res, out_rate);
            assert!(
                (10.0 * (p / (a * a)).log10()).abs() < 0.1,
                "channel {i}: {p}"
            );
            // The tone of a neighbouring channel is not there.
            for (j, f) in offsets.iter().enumerate() {
                if j != i && (f - offsets[i]).abs() < out_rate / 2.0 {
                    let q = tone_power(y, f + 30e3 - offsets[i] + res, out_rate);
                    assert!(10.0 * q.log10() < -55.0, "channel {i} leaks {j}: {q}");
                }
            }
            // The output is a clean tone: phase continuous across blocks.
            let step = TAU * (30e3 + res) / out_rate;
            for (m, w) in y.windows(2).enumerate() {
                let d = (w[1] * w[0].conj()).arg() as f64;
                let e = (d - step + std::f64::consts::PI).rem_euclid(TAU) - std::f64::consts::PI;
                assert!(
                    e.abs() < 0.01,
                    "channel {i}: phase step {d} vs {step} at {m}"
                );
            }
        }
    }

    #[test]
    fn channel_added_late_gets_history_and_matches() {
        let rate = 4e6;
        let x: Vec<Complex32> = (0..60_000)
            .map(|i| Complex32::new((i as f32 * 0.37).sin(), (i as f32 * 0.11).cos()))
            .collect();
        let mut a = Channelizer::new(rate, 8, 150e3, &[0.6e6]).unwrap();
        let mut b = Channelizer::new(rate, 8, 150e3, &[-1.0e6]).unwrap();
        b.set_history_blocks(4);
        let mut oa = vec![Vec::new()];
        let mut ob = vec![Vec::new(), Vec::new()];
        a.process(&x[..30_000], &mut oa);
        b.process(&x[..30_000], &mut ob);
        let first = b.add_channel(0.6e6, &mut ob[1]).unwrap();
        assert!(first > 0 && first < b.output_index());
        assert_eq!(ob[1].len() as u64, b.output_index() - first);
        a.process(&x[30_000..], &mut oa);
        b.process(&x[30_000..], &mut ob);
        let late = &ob[1];
        let full = &oa[0][first as usize..];
        assert_eq!(late.len(), full.len());
        for (p, q) in late.iter().zip(full) {
            assert!((p - q).norm() < 1e-5, "{p} vs {q}");
        }
        b.remove_channel(0);
        assert_eq!(b.channels(), 1);
        assert_eq!(b.residual_hz(0), a.residual_hz(0));
    }

    #[test]
    fn channelizer_delay_model() {
        let rate = 2.4e6;
        let mut ch = Channelizer::new(rate, 4, 150e3, &[0.0]).unwrap();
        let mut x = vec![Complex32::new(0.0, 0.0); 40_000];
        x[20_000] = Complex32::new(1.0, 0.0);
        let mut outs = vec![Vec::new()];
        ch.process(&x, &mut outs);
        let y = &outs[0];
        let peak = y
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.norm().total_cmp(&b.1.norm()))
            .unwrap()
            .0;
        let t = ch.input_time(peak as f64);
        assert!((t - 20_000.0).abs() <= 2.5, "{peak} ↔ {t}");
    }
}
