//! Kaiser-windowed FIR low-pass design and its frequency response.

use super::*;

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
pub(crate) fn bessel_i0(x: f64) -> f64 {
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
