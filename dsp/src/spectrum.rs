//! Welch power spectral density, band/channel power and noise-floor estimate.
//!
//! Calibration: input samples are in full-scale units (|z| = 1 is full scale for every integer
//! format, see the app's sample converters). A complex tone `A·e^{jωt}` has power `A²`; the PSD is
//! normalised so that a tone centred on a bin reads its power in that bin (`0 dBFS` for a full-scale
//! tone). Because a tone between bins loses up to the window's scalloping loss in its peak bin,
//! [`Psd::band_power_dbfs`] and [`Psd::peak`] integrate bins and divide by the window's equivalent
//! noise bandwidth, which reads a tone's power correctly wherever it falls.

use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Analysis window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Window {
    /// Rectangular (no window): best resolution, −13 dB sidelobes.
    Rectangular,
    /// Hann: −31 dB sidelobes, 1.5 bins ENBW.
    Hann,
    /// 4-term Blackman–Harris: −92 dB sidelobes, 2.0 bins ENBW (default: keeps strong GSM
    /// carriers from leaking into weak neighbours).
    #[default]
    BlackmanHarris,
}

impl Window {
    /// The window's coefficients for length `n` (periodic form, as used for spectral analysis).
    pub fn coefficients(self, n: usize) -> Vec<f32> {
        let nn = n as f64;
        (0..n)
            .map(|i| {
                let x = std::f64::consts::TAU * i as f64 / nn;
                let w = match self {
                    Window::Rectangular => 1.0,
                    Window::Hann => 0.5 - 0.5 * x.cos(),
                    Window::BlackmanHarris => {
                        0.35875 - 0.48829 * x.cos() + 0.14128 * (2.0 * x).cos()
                            - 0.01168 * (3.0 * x).cos()
                    }
                };
                w as f32
            })
            .collect()
    }
}

/// Welch estimator settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WelchConfig {
    /// FFT length (number of bins). Any length ≥ 16 works; powers of two are fastest.
    pub fft_len: usize,
    /// Fraction of each segment shared with the next, in [0, 0.95].
    pub overlap: f32,
    /// Analysis window.
    pub window: Window,
}

impl Default for WelchConfig {
    fn default() -> Self {
        WelchConfig {
            fft_len: 2048,
            overlap: 0.5,
            window: Window::BlackmanHarris,
        }
    }
}

/// Errors in spectrum configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpectrumError {
    /// FFT length below 16 or above 2^22.
    #[error("FFT length {0} is outside 16..=4194304")]
    FftLen(usize),
    /// Overlap outside [0, 0.95].
    #[error("overlap {0} is outside 0..=0.95")]
    Overlap(f32),
}

/// Streaming Welch PSD: feed any number of samples with [`Welch::process`], read the average with
/// [`Welch::psd`]. Segments never straddle calls incorrectly: leftover samples are kept.
pub struct Welch {
    cfg: WelchConfig,
    fft: Arc<dyn Fft<f32>>,
    window: Vec<f32>,
    /// Σw², for the equivalent noise bandwidth.
    win_sum_sq: f64,
    /// (Σw)², for tone calibration.
    win_sum_sq_coherent: f64,
    pending: Vec<Complex32>,
    work: Vec<Complex32>,
    scratch: Vec<Complex32>,
    acc: Vec<f64>,
    segments: usize,
    hop: usize,
}

impl std::fmt::Debug for Welch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Welch")
            .field("cfg", &self.cfg)
            .field("segments", &self.segments)
            .finish()
    }
}

impl Welch {
    /// A new estimator; the FFT plan is made once here.
    pub fn new(cfg: WelchConfig) -> Result<Welch, SpectrumError> {
        if !(16..=1 << 22).contains(&cfg.fft_len) {
            return Err(SpectrumError::FftLen(cfg.fft_len));
        }
        if !(0.0..=0.95).contains(&cfg.overlap) {
            return Err(SpectrumError::Overlap(cfg.overlap));
        }
        let n = cfg.fft_len;
        let fft = FftPlanner::new().plan_fft_forward(n);
        let window = cfg.window.coefficients(n);
        let s1: f64 = window.iter().map(|&w| f64::from(w)).sum();
        let s2: f64 = window.iter().map(|&w| f64::from(w) * f64::from(w)).sum();
        let hop = ((n as f32 * (1.0 - cfg.overlap)).round() as usize).clamp(1, n);
        let scratch = vec![Complex32::new(0.0, 0.0); fft.get_inplace_scratch_len()];
        Ok(Welch {
            cfg,
            fft,
            window,
            win_sum_sq: s2,
            win_sum_sq_coherent: s1 * s1,
            pending: Vec::with_capacity(2 * n),
            work: vec![Complex32::new(0.0, 0.0); n],
            scratch,
            acc: vec![0.0; n],
            segments: 0,
            hop,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &WelchConfig {
        &self.cfg
    }

    /// Accumulate every complete segment available in the samples seen so far. Returns the number
    /// of input samples consumed (always all of them: partial segments are buffered).
    pub fn process(&mut self, input: &[Complex32]) -> usize {
        let n = self.cfg.fft_len;
        let mut start = 0;
        // Fast path: no pending data, run segments straight off the input.
        if self.pending.is_empty() {
            while start + n <= input.len() {
                self.segment_from(&input[start..start + n]);
                start += self.hop;
            }
            if start < input.len() {
                self.pending.extend_from_slice(&input[start..]);
            }
            return input.len();
        }
        self.pending.extend_from_slice(input);
        while start + n <= self.pending.len() {
            for (i, w) in self.work.iter_mut().enumerate() {
                *w = self.pending[start + i] * self.window[i];
            }
            self.transform_and_accumulate();
            start += self.hop;
        }
        let keep_from = start.min(self.pending.len());
        self.pending.drain(..keep_from);
        input.len()
    }

    fn segment_from(&mut self, seg: &[Complex32]) {
        for ((w, &x), &c) in self.work.iter_mut().zip(seg).zip(&self.window) {
            *w = x * c;
        }
        self.transform_and_accumulate();
    }

    fn transform_and_accumulate(&mut self) {
        self.fft
            .process_with_scratch(&mut self.work, &mut self.scratch);
        for (a, x) in self.acc.iter_mut().zip(&self.work) {
            *a += f64::from(x.norm_sqr());
        }
        self.segments += 1;
    }

    /// Number of segments averaged so far.
    pub fn segments(&self) -> usize {
        self.segments
    }

    /// Forget the average (keeps the plan and buffers).
    pub fn reset(&mut self) {
        self.acc.iter_mut().for_each(|a| *a = 0.0);
        self.segments = 0;
        self.pending.clear();
    }

    /// The averaged PSD so far, centred (bin 0 = −fs/2), or `None` before the first segment.
    pub fn psd(&self, sample_rate_sps: f64) -> Option<Psd> {
        if self.segments == 0 {
            return None;
        }
        let n = self.cfg.fft_len;
        let scale = 1.0 / (self.segments as f64 * self.win_sum_sq_coherent);
        let half = n / 2;
        let mut bins = Vec::with_capacity(n);
        // fft-shift: negative frequencies first.
        for i in 0..n {
            let k = (i + n - half) % n;
            bins.push(self.acc[k] * scale);
        }
        Some(Psd {
            sample_rate_sps,
            bins_lin: bins,
            enbw_bins: n as f64 * self.win_sum_sq / self.win_sum_sq_coherent,
            segments: self.segments,
            overlap: self.cfg.overlap,
        })
    }
}

/// An averaged power spectrum, centred on the tuner frequency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Psd {
    /// Sample rate the spectrum was taken at.
    pub sample_rate_sps: f64,
    /// Linear power per bin (tone-calibrated: a bin-centred tone of power P reads P), bin 0 at −fs/2.
    pub bins_lin: Vec<f64>,
    /// Window equivalent noise bandwidth in bins.
    pub enbw_bins: f64,
    /// Segments averaged.
    pub segments: usize,
    /// Segment overlap used.
    pub overlap: f32,
}

impl Psd {
    /// Number of bins.
    pub fn len(&self) -> usize {
        self.bins_lin.len()
    }

    /// Whether the spectrum has no bins.
    pub fn is_empty(&self) -> bool {
        self.bins_lin.is_empty()
    }

    /// Width of one bin.
    pub fn bin_width_hz(&self) -> f64 {
        self.sample_rate_sps / self.len().max(1) as f64
    }

    /// Offset of bin `i` from the centre frequency.
    pub fn bin_offset_hz(&self, i: usize) -> f64 {
        (i as f64 - (self.len() / 2) as f64) * self.bin_width_hz()
    }

    /// Index of the bin nearest `offset_hz`, clamped to the spectrum.
    pub fn bin_at(&self, offset_hz: f64) -> usize {
        let i = (offset_hz / self.bin_width_hz()).round() + (self.len() / 2) as f64;
        (i.max(0.0) as usize).min(self.len().saturating_sub(1))
    }

    /// Bin `i` in dBFS (tone-calibrated).
    pub fn dbfs(&self, i: usize) -> f64 {
        to_db(self.bins_lin.get(i).copied().unwrap_or(0.0))
    }

    /// All bins in dBFS.
    pub fn dbfs_all(&self) -> Vec<f64> {
        self.bins_lin.iter().map(|&p| to_db(p)).collect()
    }

    /// Total power between `lo_hz` and `hi_hz` offsets (bins whose centre lies inside), in dBFS.
    /// Integrates bins and divides by the window ENBW, so noise and tones both read true power.
    pub fn band_power_dbfs(&self, lo_hz: f64, hi_hz: f64) -> f64 {
        to_db(self.band_power_lin(lo_hz, hi_hz))
    }

    /// Linear version of [`Psd::band_power_dbfs`].
    pub fn band_power_lin(&self, lo_hz: f64, hi_hz: f64) -> f64 {
        let s: f64 = (0..self.len())
            .filter(|&i| {
                let f = self.bin_offset_hz(i);
                f >= lo_hz && f < hi_hz
            })
            .map(|i| self.bins_lin[i])
            .sum();
        s / self.enbw_bins
    }

    /// Power in a GSM channel (200 kHz wide) centred at `offset_hz`, in dBFS.
    pub fn channel_power_dbfs(&self, offset_hz: f64) -> f64 {
        self.band_power_dbfs(offset_hz - 100e3, offset_hz + 100e3)
    }

    /// The strongest bin: its offset (Hz, refined by parabolic interpolation of the dB values) and
    /// the power of a tone there (dBFS), integrated over ±3 bins.
    pub fn peak(&self) -> Option<(f64, f64)> {
        let (imax, _) = self
            .bins_lin
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))?;
        let frac = if imax > 0 && imax + 1 < self.len() {
            let (a, b, c) = (self.dbfs(imax - 1), self.dbfs(imax), self.dbfs(imax + 1));
            let d = a - 2.0 * b + c;
            if d.abs() > 1e-12 {
                (0.5 * (a - c) / d).clamp(-0.5, 0.5)
            } else {
                0.0
            }
        } else {
            0.0
        };
        let lo = imax.saturating_sub(3);
        let hi = (imax + 3).min(self.len() - 1);
        let p: f64 = self.bins_lin[lo..=hi].iter().sum::<f64>() / self.enbw_bins;
        Some((
            self.bin_offset_hz(imax) + frac * self.bin_width_hz(),
            to_db(p),
        ))
    }

    /// Noise floor in dBFS per bin: the 10th-percentile bin, corrected for where that percentile
    /// falls in an averaged χ² distribution (Wilson–Hilferty; effective degrees of freedom from
    /// the segment count, halved when segments overlap by half or more). A low percentile rather
    /// than the median keeps the estimate on the noise even when most of the band holds carriers
    /// (a dense GSM band), as long as the gaps between carriers reach the noise.
    pub fn noise_floor_dbfs(&self) -> f64 {
        self.percentile_floor_dbfs(0.10)
    }

    /// Noise floor from the `p` quantile of the bins (0 < p < 1), corrected as described in
    /// [`Psd::noise_floor_dbfs`].
    pub fn percentile_floor_dbfs(&self, p: f64) -> f64 {
        if self.is_empty() {
            return f64::NEG_INFINITY;
        }
        let p = p.clamp(0.01, 0.99);
        let mut v = self.bins_lin.clone();
        let k = ((v.len() - 1) as f64 * p).round() as usize;
        let (_, q, _) = v.select_nth_unstable_by(k, |a, b| a.total_cmp(b));
        let quantile = *q;
        let eff_segments = if self.overlap >= 0.5 {
            (self.segments as f64 / 2.0).max(1.0)
        } else {
            self.segments as f64
        };
        let nu = 2.0 * eff_segments;
        let z = normal_quantile(p);
        let a = 2.0 / (9.0 * nu);
        // Quantile of χ²_ν / ν (the mean-normalised average of ν/2 exponential bins).
        let ratio = (1.0 - a + z * a.sqrt()).max(1e-3).powi(3);
        // Convert tone-calibrated bins to noise power per bin: divide by ENBW.
        to_db(quantile / ratio / self.enbw_bins)
    }
}

/// Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9).
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let p_low = 0.02425;
    if p < p_low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - p_low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

/// 10·log10(p), floored at −300 dB for zero power.
pub fn to_db(p: f64) -> f64 {
    if p > 0.0 { 10.0 * p.log10() } else { -300.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{Rng, Tone, add_noise};

    fn spectrum_of(samples: &[Complex32], rate: f64, cfg: WelchConfig) -> Psd {
        let mut w = Welch::new(cfg).unwrap();
        w.process(samples);
        w.psd(rate).unwrap()
    }

    #[test]
    fn full_scale_tone_reads_zero_dbfs_on_and_off_bin() {
        for freq in [300e3, 300.5e3, -412.25e3] {
            let mut x = vec![Complex32::new(0.0, 0.0); 65536];
            Tone::new(freq, 2.048e6, 1.0, 0.0).add_to(&mut x);
            for window in [Window::Hann, Window::BlackmanHarris] {
                let psd = spectrum_of(
                    &x,
                    2.048e6,
                    WelchConfig {
                        fft_len: 2048,
                        overlap: 0.5,
                        window,
                    },
                );
                let (f, p) = psd.peak().unwrap();
                assert!((f - freq).abs() < psd.bin_width_hz(), "{freq}: {f}");
                assert!(p.abs() < 0.1, "{window:?} {freq}: {p} dBFS");
            }
        }
    }

    #[test]
    fn noise_floor_and_band_power_match_white_noise() {
        let mut rng = Rng::new(3);
        let mut x = vec![Complex32::new(0.0, 0.0); 1 << 18];
        add_noise(&mut rng, 0.01, &mut x); // −20 dBFS total
        let psd = spectrum_of(&x, 1e6, WelchConfig::default());
        let total = psd.band_power_dbfs(-1e6, 1e6);
        assert!((total + 20.0).abs() < 0.2, "total {total}");
        let per_bin = -20.0 - 10.0 * (2048f64).log10();
        let nf = psd.noise_floor_dbfs();
        assert!((nf - per_bin).abs() < 0.5, "floor {nf} vs {per_bin}");
        for p in [0.05, 0.25, 0.5, 0.75] {
            let f = psd.percentile_floor_dbfs(p);
            assert!((f - per_bin).abs() < 0.5, "p{p}: {f} vs {per_bin}");
        }
        // A 200 kHz channel holds a fifth of the power.
        let ch = psd.channel_power_dbfs(0.0);
        assert!((ch - (-20.0 + 10.0 * 0.2f64.log10())).abs() < 0.3, "{ch}");
    }

    #[test]
    fn floor_holds_when_most_of_the_band_is_occupied() {
        // Carriers (noise-like, 80 kHz wide) every 200 kHz across the whole 2 MHz band, 20 dB
        // above a −60 dBFS/bin-ish floor: the median would sit on the carriers; the floor must not.
        let rate = 2e6;
        let mut rng = Rng::new(5);
        let mut x = vec![Complex32::new(0.0, 0.0); 1 << 17];
        add_noise(&mut rng, 1e-4, &mut x);
        for k in -4..=4 {
            let mut c = vec![Complex32::new(0.0, 0.0); x.len()];
            // A narrowband carrier: tones spread over ±40 kHz.
            for j in -8..=8 {
                Tone::new(
                    f64::from(k) * 200e3 + f64::from(j) * 5e3,
                    rate,
                    0.05,
                    f64::from(j),
                )
                .add_to(&mut c);
            }
            for (a, b) in x.iter_mut().zip(&c) {
                *a += *b;
            }
        }
        let psd = spectrum_of(&x, rate, WelchConfig::default());
        let per_bin = -40.0 - 10.0 * (2048f64).log10();
        let nf = psd.noise_floor_dbfs();
        assert!((nf - per_bin).abs() < 1.5, "floor {nf} vs noise {per_bin}");
    }

    #[test]
    fn streaming_in_odd_chunks_equals_one_call() {
        let mut rng = Rng::new(9);
        let mut x = vec![Complex32::new(0.0, 0.0); 50_000];
        add_noise(&mut rng, 1.0, &mut x);
        let whole = spectrum_of(&x, 1e6, WelchConfig::default());
        let mut w = Welch::new(WelchConfig::default()).unwrap();
        for chunk in x.chunks(777) {
            w.process(chunk);
        }
        let parts = w.psd(1e6).unwrap();
        assert_eq!(whole.segments, parts.segments);
        for (a, b) in whole.bins_lin.iter().zip(&parts.bins_lin) {
            assert!((a - b).abs() <= 1e-9 * a.abs().max(1e-12));
        }
    }

    #[test]
    fn bad_config_is_an_error() {
        assert_eq!(
            Welch::new(WelchConfig {
                fft_len: 4,
                ..Default::default()
            })
            .err(),
            Some(SpectrumError::FftLen(4))
        );
        assert!(
            Welch::new(WelchConfig {
                overlap: 1.0,
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            Welch::new(WelchConfig::default())
                .unwrap()
                .psd(1.0)
                .is_none()
        );
    }
}
