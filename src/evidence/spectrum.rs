//! Spectrum and waterfall of an evidence clip (`spectrum.json`), computed from the clip's own
//! samples so the report's pictures can be reproduced from `iq.sigmf-data` alone.

use super::ring::Clip;
use num_complex::Complex32;
use serde::{Deserialize, Serialize};
use towerwatch_dsp::spectrum::{Welch, WelchConfig, Window};

/// At most this many waterfall rows.
pub const MAX_ROWS: usize = 160;
/// Bins kept per row (the FFT is folded down to this by averaging neighbours).
pub const MAX_BINS: usize = 256;

/// One waterfall row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Stream time of the row's first sample.
    pub time_s: f64,
    /// Power per bin, dBFS (one decimal).
    pub psd_dbfs: Vec<f32>,
}

/// What `spectrum.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpectrumDoc {
    /// Centre frequency of the rows.
    pub center_freq_hz: f64,
    /// Sample rate.
    pub sample_rate_sps: f64,
    /// FFT length used.
    pub fft_len: usize,
    /// Width of one stored bin.
    pub bin_width_hz: f64,
    /// Frequency of stored bin 0.
    pub first_bin_freq_hz: f64,
    /// Seconds of signal per row.
    pub row_duration_s: f64,
    /// Average over the whole clip, dBFS per stored bin.
    pub mean_dbfs: Vec<f32>,
    /// Maximum of the rows, dBFS per stored bin.
    pub max_dbfs: Vec<f32>,
    /// The rows, oldest first.
    pub rows: Vec<Row>,
}

fn fft_len_for(rate_sps: f64) -> usize {
    // About 2–5 kHz bins: GSM channels (200 kHz) are 40+ bins wide.
    let mut n = 256;
    while (n as f64) < rate_sps / 4000.0 && n < 8192 {
        n *= 2;
    }
    n
}

fn fold(db: &[f64], factor: usize) -> Vec<f32> {
    db.chunks(factor.max(1))
        .map(|c| {
            let lin = c.iter().map(|d| 10f64.powf(d / 10.0)).sum::<f64>() / c.len() as f64;
            ((10.0 * lin.max(1e-30).log10()) * 10.0).round() as f32 / 10.0
        })
        .collect()
}

/// Waterfall of the clip's runs at `center_freq_hz` (other runs — after a retune — are skipped).
/// `None` when the clip holds less than a few FFTs at that frequency.
pub fn compute(clip: &Clip, rate_sps: f64, center_freq_hz: f64) -> Option<SpectrumDoc> {
    let fft_len = fft_len_for(rate_sps);
    let cfg = WelchConfig {
        fft_len,
        overlap: 0.5,
        window: Window::BlackmanHarris,
    };
    let runs: Vec<_> = clip
        .runs
        .iter()
        .filter(|r| r.frequency_hz.to_bits() == center_freq_hz.to_bits())
        .collect();
    let total: u64 = runs.iter().map(|r| r.len_samples(clip.format)).sum();
    if total < 4 * fft_len as u64 {
        return None;
    }
    let per_row = (total / MAX_ROWS as u64).max(4 * fft_len as u64) as usize;
    let factor = fft_len.div_ceil(MAX_BINS);
    let mut welch = Welch::new(cfg).ok()?;
    let mut all = Welch::new(cfg).ok()?;
    let mut rows = Vec::new();
    let mut samples: Vec<Complex32> = Vec::new();
    let mut bin_width_hz = rate_sps / fft_len as f64;
    let mut first_bin_off = -rate_sps / 2.0;
    for r in runs {
        clip.format.decode(&r.bytes, &mut samples);
        for (k, chunk) in samples.chunks(per_row).enumerate() {
            if chunk.len() < fft_len {
                continue;
            }
            welch.reset();
            welch.process(chunk);
            all.process(chunk);
            if let Some(psd) = welch.psd(rate_sps) {
                bin_width_hz = psd.bin_width_hz() * factor as f64;
                first_bin_off = psd.bin_offset_hz(0);
                rows.push(Row {
                    time_s: (r.first_sample + (k * per_row) as u64) as f64 / rate_sps,
                    psd_dbfs: fold(&psd.dbfs_all(), factor),
                });
            }
        }
    }
    let mean = all.psd(rate_sps)?;
    let mean_dbfs = fold(&mean.dbfs_all(), factor);
    // Starts at the mean: never -inf (JSON has no infinities), even with no whole row.
    let mut max_dbfs = mean_dbfs.clone();
    for r in &rows {
        for (m, v) in max_dbfs.iter_mut().zip(&r.psd_dbfs) {
            *m = m.max(*v);
        }
    }
    Some(SpectrumDoc {
        center_freq_hz,
        sample_rate_sps: rate_sps,
        fft_len,
        bin_width_hz,
        // Folding averages `factor` bins: the stored bin's centre is the middle of its group.
        first_bin_freq_hz: center_freq_hz
            + first_bin_off
            + (factor as f64 - 1.0) / 2.0 * rate_sps / fft_len as f64,
        row_duration_s: per_row as f64 / rate_sps,
        mean_dbfs,
        max_dbfs,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::ring::IqRing;
    use crate::source::SampleFormat;

    #[test]
    fn a_tone_shows_in_its_bin_and_rows_cover_the_clip() {
        let rate = 1e6;
        let ring = IqRing::new(SampleFormat::Cf32Le, 1 << 20);
        let n = 200_000;
        let tone: Vec<Complex32> = (0..n)
            .map(|i| Complex32::from_polar(0.5, 2.0 * std::f32::consts::PI * 0.1 * i as f32))
            .collect();
        ring.push(0, 900e6, &tone);
        let doc = compute(&ring.extract(0, n as u64), rate, 900e6).unwrap();
        assert!(doc.rows.len() > 10 && doc.rows.len() <= MAX_ROWS);
        let peak = doc
            .mean_dbfs
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i)
            .unwrap();
        let f = doc.first_bin_freq_hz + peak as f64 * doc.bin_width_hz;
        assert!((f - 900.1e6).abs() < 2.0 * doc.bin_width_hz, "{f}");
        assert!(compute(&ring.extract(0, 100), rate, 900e6).is_none());
    }
}
