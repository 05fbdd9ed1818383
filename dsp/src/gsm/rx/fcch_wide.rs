//! FCCH detection on a wideband spectrum: which 200 kHz channels of a wide input carry a BCCH.
//!
//! The FFT filter bank ([`crate::filter::Channelizer`]) already computes one `N`-point spectrum
//! of the whole input per block. An FCCH burst is a pure tone 67.7 kHz above its carrier for
//! 577 µs, several blocks long at every usual rate (at 20 MS/s, `N` = 2048: a 102 µs window every
//! 85 µs, so 6 windows fall wholly inside one burst). In such a window the tone puts most of the
//! channel's energy into one or two bins, where GMSK data spreads over the whole channel and
//! noise over every bin. So, per channel and per block: the largest energy of two adjacent bins
//! within the allowed offset range around +67.7 kHz, over the energy of the channel (±100 kHz),
//! counted only when that pair is a sharp peak ([`SpectralFcch::SHARPNESS`]).
//! A tone scores 0.8–1, data 0.1–0.3, noise ~0.1. A channel whose score passes
//! [`SpectralFcch::THRESHOLD`] in [`SpectralFcch::MIN_RUN`] consecutive blocks, with the peak in
//! the same place (±1 bin), is reported as an [`FcchHit`].
//!
//! This costs a few dozen additions per channel per block on spectra that exist anyway, where a
//! per-channel search needs each channel extracted and resampled first. A hit is a candidate:
//! the receiver put on that channel ([`super::Receiver`]) still finds the burst precisely and
//! decodes the SCH before anything is believed.

use num_complex::Complex32;

/// A channel whose spectrum showed an FCCH-like tone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FcchHit {
    /// Index of the channel (order of the offsets given to [`SpectralFcch::new`]).
    pub channel: usize,
    /// Block number (of the spectra pushed) in which the run reached [`SpectralFcch::MIN_RUN`].
    pub block: u64,
    /// Estimated carrier offset from the channel's nominal frequency, Hz (bin resolution,
    /// interpolated between the two bins).
    pub offset_hz: f64,
    /// Best score of the run (tone energy fraction).
    pub score: f32,
}

#[derive(Debug, Clone)]
struct Chan {
    /// Bin of the channel centre (may be negative: bins wrap).
    centre: i64,
    run: u32,
    last_peak: i64,
    best: f32,
}

/// Wideband FCCH detector over the spectra of a filter bank (see the module documentation).
#[derive(Debug, Clone)]
pub struct SpectralFcch {
    n: usize,
    bin_hz: f64,
    /// Channel half-width in bins (100 kHz).
    half: i64,
    /// First and last bin (relative to the centre) of the tone search; pairs start in
    /// `lo ..= hi − 1`.
    lo: i64,
    hi: i64,
    chans: Vec<Chan>,
    power: Vec<f32>,
}

impl SpectralFcch {
    /// Score a block must reach (tone energy fraction of the channel).
    pub const THRESHOLD: f32 = 0.6;
    /// How much more energy the peak pair must hold than the two bins two away from it.
    pub const SHARPNESS: f32 = 8.0;
    /// Consecutive blocks above the threshold that make a hit.
    pub const MIN_RUN: u32 = 4;

    /// A detector for spectra of `fft_len` points of an input at `input_rate_sps`, for channels
    /// centred at `offsets_hz` from the input's centre, accepting carrier errors up to
    /// `max_offset_hz`. Returns `None` for a non-positive rate or an FFT too short to resolve
    /// a 200 kHz channel into at least 8 bins.
    pub fn new(
        input_rate_sps: f64,
        fft_len: usize,
        offsets_hz: &[f64],
        max_offset_hz: f64,
    ) -> Option<Self> {
        if !(input_rate_sps.is_finite() && input_rate_sps > 0.0 && max_offset_hz.is_finite()) {
            return None;
        }
        let bin_hz = input_rate_sps / fft_len.max(1) as f64;
        let half = (100e3 / bin_hz).floor() as i64;
        if half < 4 {
            return None;
        }
        let tone = crate::gsm::FCCH_OFFSET_HZ;
        let max_off = max_offset_hz.abs();
        let lo = ((tone - max_off) / bin_hz).floor() as i64;
        let hi = (((tone + max_off) / bin_hz).ceil() as i64).min(half);
        let chans = offsets_hz
            .iter()
            .filter(|f| f.is_finite())
            .map(|f| Chan {
                centre: (f / bin_hz).round() as i64,
                run: 0,
                last_peak: 0,
                best: 0.0,
            })
            .collect();
        Some(SpectralFcch {
            n: fft_len,
            bin_hz,
            half,
            lo: lo.max(1),
            hi,
            chans,
            power: vec![0.0; fft_len],
        })
    }

    /// Number of channels watched.
    pub fn channels(&self) -> usize {
        self.chans.len()
    }

    /// Takes the spectrum of block `block` (natural FFT order, `fft_len` points) and appends the
    /// channels whose tone run just reached [`SpectralFcch::MIN_RUN`] to `hits`. A spectrum of
    /// the wrong length is ignored.
    pub fn push(&mut self, block: u64, spectrum: &[Complex32], hits: &mut Vec<FcchHit>) {
        if spectrum.len() != self.n {
            return;
        }
        for (p, x) in self.power.iter_mut().zip(spectrum) {
            let v = x.norm_sqr();
            *p = if v.is_finite() { v } else { 0.0 };
        }
        let n = self.n as i64;
        let power = &self.power;
        let at = |k: i64| power.get(k.rem_euclid(n) as usize).copied().unwrap_or(0.0);
        for (i, c) in self.chans.iter_mut().enumerate() {
            let total: f32 = (-self.half..=self.half).map(|d| at(c.centre + d)).sum();
            let mut best = (0.0f32, 0i64);
            for j in self.lo..self.hi {
                let e = at(c.centre + j) + at(c.centre + j + 1);
                if e > best.0 {
                    best = (e, j);
                }
            }
            // A tone is a sharp peak: the bins two away from the pair (rectangular-window
            // sidelobes, −17 dB and less) hold far less than it. A neighbour's skirt spilling
            // into an empty channel, or data, slopes smoothly instead.
            let flank = at(c.centre + best.1 - 2) + at(c.centre + best.1 + 3);
            let sharp = best.0 >= Self::SHARPNESS * flank;
            let score = if total > 0.0 && sharp {
                best.0 / total
            } else {
                0.0
            };
            if score >= Self::THRESHOLD {
                if c.run > 0 && (best.1 - c.last_peak).abs() <= 1 {
                    c.run += 1;
                    c.best = c.best.max(score);
                } else {
                    c.run = 1;
                    c.best = score;
                }
                c.last_peak = best.1;
                if c.run == Self::MIN_RUN {
                    let (a, b) = (at(c.centre + best.1), at(c.centre + best.1 + 1));
                    let frac = if a + b > 0.0 {
                        f64::from(b / (a + b))
                    } else {
                        0.5
                    };
                    let tone_hz = (best.1 as f64 + frac) * self.bin_hz;
                    hits.push(FcchHit {
                        channel: i,
                        block,
                        offset_hz: tone_hz - crate::gsm::FCCH_OFFSET_HZ,
                        score: c.best,
                    });
                }
            } else {
                c.run = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::Rng;
    use rustfft::FftPlanner;
    use std::f64::consts::TAU;

    /// Spectra of consecutive blocks of `x` (hop = `n`, rectangular window, as the bank's).
    fn spectra(x: &[Complex32], n: usize) -> Vec<Vec<Complex32>> {
        let fft = FftPlanner::<f32>::new().plan_fft_forward(n);
        x.chunks_exact(n)
            .map(|c| {
                let mut v = c.to_vec();
                fft.process(&mut v);
                v
            })
            .collect()
    }

    #[test]
    fn finds_a_tone_burst_on_its_channel_only() {
        let fs = 20e6;
        let n = 2048;
        let mut rng = Rng::new(3);
        let offsets: Vec<f64> = (-5..=5).map(|k| f64::from(k) * 200e3).collect();
        // Noise everywhere, a 600 µs tone at channel +400 kHz + 67.7 kHz + 3 kHz.
        let len = n * 16;
        let f = 400e3 + crate::gsm::FCCH_OFFSET_HZ + 3e3;
        let x: Vec<Complex32> = (0..len)
            .map(|i| {
                let mut v = rng.complex_gaussian(0.01);
                if (4000..16000).contains(&i) {
                    let p = TAU * f * i as f64 / fs;
                    v += Complex32::new(p.cos() as f32, p.sin() as f32) * 0.3;
                }
                v
            })
            .collect();
        let mut det = SpectralFcch::new(fs, n, &offsets, 25e3).unwrap();
        let mut hits = Vec::new();
        for (b, s) in spectra(&x, n).iter().enumerate() {
            det.push(b as u64, s, &mut hits);
        }
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].channel, 7);
        assert!((hits[0].offset_hz - 3e3).abs() < 5e3, "{hits:?}");
        assert!(hits[0].score > 0.8);
    }

    #[test]
    fn gmsk_like_data_and_noise_do_not_fire() {
        let fs = 20e6;
        let n = 2048;
        let mut rng = Rng::new(5);
        // Random-phase-step signal on channel 0 (a stand-in for GMSK data: ±π/2 per symbol),
        // plus noise.
        let sps = fs / crate::gsm::SYMBOL_RATE_SPS;
        let mut phase = 0.0f64;
        let mut step = 0.0f64;
        let x: Vec<Complex32> = (0..n * 64)
            .map(|i| {
                if (i as f64 % sps) < 1.0 {
                    let bit = rng.uniform() < 0.5;
                    step = if bit { 1.0 } else { -1.0 } * std::f64::consts::FRAC_PI_2 / sps;
                }
                phase += step;
                Complex32::new(phase.cos() as f32, phase.sin() as f32) + rng.complex_gaussian(0.01)
            })
            .collect();
        let mut det = SpectralFcch::new(fs, n, &[0.0, 200e3, -200e3], 25e3).unwrap();
        let mut hits = Vec::new();
        for (b, s) in spectra(&x, n).iter().enumerate() {
            det.push(b as u64, s, &mut hits);
        }
        assert!(hits.is_empty(), "{hits:?}");
        // Wrong-length spectra and NaN are ignored, not a panic.
        det.push(0, &[Complex32::new(f32::NAN, 0.0); 7], &mut hits);
        det.push(1, &vec![Complex32::new(f32::NAN, 0.0); n], &mut hits);
        assert!(hits.is_empty());
        assert!(SpectralFcch::new(1e6, 16, &[0.0], 25e3).is_none());
        assert!(SpectralFcch::new(f64::NAN, 2048, &[0.0], 25e3).is_none());
    }
}
