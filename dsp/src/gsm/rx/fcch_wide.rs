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

/// An FCCH tone found anywhere in the input band by [`ToneSearch`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FcchTone {
    /// Where the tone's carrier (tone − 67.7 kHz) sits relative to the input's centre, Hz
    /// (interpolated between bins; a few kHz accurate).
    pub carrier_offset_hz: f64,
    /// Input sample index (of the samples given to [`ToneSearch::process`]) of the first window
    /// of the run.
    pub sample_index: u64,
    /// Best score of the run (tone energy fraction of its carrier's 200 kHz).
    pub score: f32,
}

#[derive(Debug, Clone, Copy)]
struct ToneRun {
    bin: i64,
    first_window: u64,
    windows: u32,
    sum_bin: f64,
    best: f32,
}

/// FCCH search over the whole input band, at any frequency: kalibrate's search for a receiver
/// whose own clock error is unknown (a dongle 100 ppm off sees a DCS1800 carrier 180 kHz from
/// where its ARFCN says, nearly one channel away).
///
/// Consumes input samples (any rate ≥ 400 kS/s), produces [`FcchTone`]s. Windows of `N` samples
/// (`N` a power of two with `N / f_s` in 128–256 µs, Hann-weighted) every `N / 2`: an FCCH
/// burst (577 µs) covers three or four windows most of the way. The Hann window's sidelobes fall 18 dB per
/// octave, so a carrier 50 dB stronger two channels away does not leak over a weak cell's
/// tone (a rectangular window leaks it at −45 dB). In each window, every bin pair is scored like
/// [`SpectralFcch`]: its energy over the energy of the 200 kHz channel whose FCCH it would be
/// (from 167.7 kHz below the tone to 32.3 kHz above), counted only when it is a sharp peak. A
/// pair above [`ToneSearch::THRESHOLD`] in [`ToneSearch::MIN_RUN`] consecutive windows (±1 bin)
/// is a tone; a run longer than [`ToneSearch::MAX_RUN_S`] is a continuous carrier (an
/// unmodulated interferer, a spur), not an FCCH, and is dropped. Tones are reported when their
/// run ends.
pub struct ToneSearch {
    n: usize,
    hop: usize,
    bin_hz: f64,
    fft: std::sync::Arc<dyn rustfft::Fft<f32>>,
    scratch: Vec<Complex32>,
    buf: Vec<Complex32>,
    work: Vec<Complex32>,
    /// Hann window.
    taper: Vec<f32>,
    /// Power, FFT-shifted (index 0 = −f_s/2).
    power: Vec<f32>,
    prefix: Vec<f64>,
    window: u64,
    runs: Vec<ToneRun>,
    next: Vec<ToneRun>,
    max_windows: u32,
    /// Bins of the scored channel below and above the tone.
    below: i64,
    above: i64,
}

impl std::fmt::Debug for ToneSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToneSearch")
            .field("n", &self.n)
            .field("bin_hz", &self.bin_hz)
            .finish_non_exhaustive()
    }
}

impl ToneSearch {
    /// Score a window must reach (tone energy fraction of the channel).
    pub const THRESHOLD: f32 = 0.5;
    /// How much more energy the peak pair must hold than the two bins two away from it.
    pub const SHARPNESS: f32 = 8.0;
    /// Consecutive windows above the threshold that make a tone (a burst gives 3–4).
    pub const MIN_RUN: u32 = 3;
    /// A tone lasting longer than this is not an FCCH burst (577 µs).
    pub const MAX_RUN_S: f64 = 1.2e-3;

    /// A search over input at `input_rate_sps`. `None` for a rate that is not finite or below
    /// 400 kS/s (a 200 kHz channel and its FCCH must fit).
    pub fn new(input_rate_sps: f64) -> Option<Self> {
        if !(input_rate_sps.is_finite() && input_rate_sps >= 400e3) {
            return None;
        }
        let mut n = 16usize;
        while (n as f64) / input_rate_sps < 128e-6 {
            n *= 2;
        }
        let hop = n / 2;
        let bin_hz = input_rate_sps / n as f64;
        let fft = rustfft::FftPlanner::<f32>::new().plan_fft_forward(n);
        let scratch = vec![Complex32::new(0.0, 0.0); fft.get_inplace_scratch_len()];
        let tone = crate::gsm::FCCH_OFFSET_HZ;
        // Windows a burst can cover partly or wholly, plus the two it may touch.
        let max_windows = ((Self::MAX_RUN_S * input_rate_sps) / hop as f64).ceil() as u32 + 1;
        Some(ToneSearch {
            n,
            hop,
            bin_hz,
            fft,
            scratch,
            buf: Vec::new(),
            work: vec![Complex32::new(0.0, 0.0); n],
            taper: (0..n)
                .map(|i| (0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos()) as f32)
                .collect(),
            power: vec![0.0; n],
            prefix: vec![0.0; n + 1],
            window: 0,
            runs: Vec::new(),
            next: Vec::new(),
            max_windows,
            below: ((100e3 + tone) / bin_hz).round() as i64,
            above: ((100e3 - tone) / bin_hz).round() as i64,
        })
    }

    /// FFT length.
    pub fn fft_len(&self) -> usize {
        self.n
    }

    /// Takes the next input samples and appends the tones whose runs ended to `tones`.
    /// Non-finite samples count as zero.
    pub fn process(&mut self, input: &[Complex32], tones: &mut Vec<FcchTone>) {
        self.buf.extend(input.iter().map(|x| {
            if x.re.is_finite() && x.im.is_finite() {
                *x
            } else {
                Complex32::new(0.0, 0.0)
            }
        }));
        let mut used = 0;
        while self.buf.len() - used >= self.n {
            for ((w, x), t) in self
                .work
                .iter_mut()
                .zip(&self.buf[used..used + self.n])
                .zip(&self.taper)
            {
                *w = x * t;
            }
            self.fft
                .process_with_scratch(&mut self.work, &mut self.scratch);
            self.score_window(tones);
            used += self.hop;
        }
        self.buf.drain(..used);
    }

    /// Ends every open run (end of input) and reports the tones among them.
    pub fn flush(&mut self, tones: &mut Vec<FcchTone>) {
        for r in std::mem::take(&mut self.runs) {
            self.report(&r, tones);
        }
    }

    fn report(&self, r: &ToneRun, tones: &mut Vec<FcchTone>) {
        if r.windows < Self::MIN_RUN || r.windows > self.max_windows {
            return;
        }
        let half = (self.n / 2) as f64;
        let tone_hz = (r.sum_bin / f64::from(r.windows) - half) * self.bin_hz;
        tones.push(FcchTone {
            carrier_offset_hz: tone_hz - crate::gsm::FCCH_OFFSET_HZ,
            sample_index: r.first_window * self.hop as u64,
            score: r.best,
        });
    }

    fn score_window(&mut self, tones: &mut Vec<FcchTone>) {
        let n = self.n;
        let half = n / 2;
        for (i, p) in self.power.iter_mut().enumerate() {
            let v = self.work[(i + half) % n].norm_sqr();
            *p = if v.is_finite() { v } else { 0.0 };
        }
        for i in 0..n {
            self.prefix[i + 1] = self.prefix[i] + f64::from(self.power[i]);
        }
        let ni = n as i64;
        let p = |k: i64| {
            if (0..ni).contains(&k) {
                self.power[k as usize]
            } else {
                0.0
            }
        };
        let sum = |a: i64, b: i64| {
            let (a, b) = (a.clamp(0, ni) as usize, (b + 1).clamp(0, ni) as usize);
            if b > a {
                self.prefix[b] - self.prefix[a]
            } else {
                0.0
            }
        };
        self.next.clear();
        // Only tones whose whole channel is in the band (near the edges the channel's energy
        // is not all there, and any noise peak would score).
        let mut k = self.below.max(2);
        while k + 1 + self.above < ni - 1 {
            let e = p(k) + p(k + 1);
            // The pair must be a local maximum of pair energy (one report per peak)…
            if e <= p(k - 1) + p(k) || e < p(k + 1) + p(k + 2) {
                k += 1;
                continue;
            }
            // …sharp…
            let flank = p(k - 2) + p(k + 3);
            if e < Self::SHARPNESS * flank {
                k += 1;
                continue;
            }
            // …and most of its channel's energy.
            let total = sum(k - self.below, k + 1 + self.above);
            let score = if total > 0.0 {
                (f64::from(e) / total) as f32
            } else {
                0.0
            };
            if score >= Self::THRESHOLD {
                let (a, b) = (p(k), p(k + 1));
                let frac = if a + b > 0.0 {
                    f64::from(b / (a + b))
                } else {
                    0.5
                };
                let pos = k as f64 + frac;
                let run = match self.runs.iter().position(|r| (r.bin - k).abs() <= 1) {
                    Some(i) => {
                        let mut r = self.runs.swap_remove(i);
                        r.bin = k;
                        r.windows += 1;
                        r.sum_bin += pos;
                        r.best = r.best.max(score);
                        r
                    }
                    None => ToneRun {
                        bin: k,
                        first_window: self.window,
                        windows: 1,
                        sum_bin: pos,
                        best: score,
                    },
                };
                self.next.push(run);
                k += 2;
                continue;
            }
            k += 1;
        }
        // Runs not continued in this window have ended.
        for r in std::mem::take(&mut self.runs) {
            self.report(&r, tones);
        }
        std::mem::swap(&mut self.runs, &mut self.next);
        self.window += 1;
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

    /// A GMSK-like carrier (±π/2 per symbol) at `f_hz` with an FCCH burst (pure tone at
    /// +67.7 kHz) over samples `burst`, plus noise.
    fn carrier_with_fcch(
        fs: f64,
        len: usize,
        f_hz: f64,
        burst: std::ops::Range<usize>,
        amp: f32,
        rng: &mut Rng,
    ) -> Vec<Complex32> {
        let sps = fs / crate::gsm::SYMBOL_RATE_SPS;
        let mut phase = 0.0f64;
        let mut step = 0.0f64;
        (0..len)
            .map(|i| {
                if burst.contains(&i) {
                    step = TAU * crate::gsm::FCCH_OFFSET_HZ / fs;
                } else if (i as f64 % sps) < 1.0 {
                    let bit = rng.uniform() < 0.5;
                    step = if bit { 1.0 } else { -1.0 } * std::f64::consts::FRAC_PI_2 / sps;
                }
                phase += step;
                let c = TAU * f_hz * i as f64 / fs + phase;
                Complex32::new(c.cos() as f32, c.sin() as f32) * amp
            })
            .collect()
    }

    #[test]
    fn tone_search_finds_fcch_at_any_offset_and_ignores_data_and_cw() {
        let fs = 1e6;
        let mut rng = Rng::new(11);
        let len = 200_000;
        // Carrier A 190 kHz below the centre (a DCS1800 carrier seen by a dongle 100 ppm off),
        // carrier B at +313 kHz, both with one FCCH burst (577 µs) in 200 ms of data; a
        // continuous tone (spur) at −420 kHz.
        let a = carrier_with_fcch(fs, len, -190e3, 50_000..50_577, 0.3, &mut rng);
        let b = carrier_with_fcch(fs, len, 313e3, 120_000..120_577, 0.1, &mut rng);
        let x: Vec<Complex32> = (0..len)
            .map(|i| {
                let p = TAU * -420e3 * i as f64 / fs;
                a[i] + b[i]
                    + Complex32::new(p.cos() as f32, p.sin() as f32) * 0.2
                    + rng.complex_gaussian(0.01)
            })
            .collect();
        let mut search = ToneSearch::new(fs).unwrap();
        let mut tones = Vec::new();
        // Fed in odd-sized pieces: the result does not depend on the block size.
        for piece in x.chunks(3001) {
            search.process(piece, &mut tones);
        }
        search.flush(&mut tones);
        assert_eq!(tones.len(), 2, "{tones:?}");
        assert!(
            (tones[0].carrier_offset_hz + 190e3).abs() < 3e3,
            "{tones:?}"
        );
        assert!(
            (tones[0].sample_index as i64 - 50_000).abs() < 600,
            "{tones:?}"
        );
        assert!(
            (tones[1].carrier_offset_hz - 313e3).abs() < 3e3,
            "{tones:?}"
        );
        assert!(
            (tones[1].sample_index as i64 - 120_000).abs() < 600,
            "{tones:?}"
        );
        // Nothing in noise alone; NaN input is not a panic.
        let mut search = ToneSearch::new(fs).unwrap();
        let mut tones = Vec::new();
        let noise: Vec<Complex32> = (0..100_000).map(|_| rng.complex_gaussian(0.1)).collect();
        search.process(&noise, &mut tones);
        search.process(&[Complex32::new(f32::NAN, 0.0); 5000], &mut tones);
        search.flush(&mut tones);
        assert!(tones.is_empty(), "{tones:?}");
        assert!(ToneSearch::new(200e3).is_none());
        assert!(ToneSearch::new(f64::NAN).is_none());
    }
}
