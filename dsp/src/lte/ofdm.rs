//! OFDM demodulation: one symbol's FFT at a fractional start time with the frequency offset
//! removed, and the resource elements around the carrier centre picked out of it.
//!
//! The FFT window starts a few samples inside the cyclic prefix (robust to timing error and to
//! multipath longer than the estimate); the linear phase that this early start puts across the
//! subcarriers is rotated back out, so the returned values are those of a window placed exactly at
//! `start`, and resource elements of different symbols share one phase reference.

use super::params::Numerology;
use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use std::f64::consts::TAU;
use std::sync::Arc;

/// FFT demodulator for one numerology.
pub struct OfdmDemod {
    num: Numerology,
    fft: Arc<dyn Fft<f32>>,
    buf: Vec<Complex32>,
    scratch: Vec<Complex32>,
    /// Samples the FFT window starts before the nominal start (inside the cyclic prefix).
    backoff: usize,
}

impl std::fmt::Debug for OfdmDemod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfdmDemod")
            .field("num", &self.num)
            .field("backoff", &self.backoff)
            .finish()
    }
}

impl OfdmDemod {
    /// A demodulator for `num`; the window starts a quarter of the shortest CP early.
    pub fn new(num: Numerology) -> Self {
        let n = num.n_fft;
        let fft = FftPlanner::<f32>::new().plan_fft_forward(n);
        let scratch = vec![Complex32::new(0.0, 0.0); fft.get_inplace_scratch_len()];
        OfdmDemod {
            num,
            fft,
            buf: vec![Complex32::new(0.0, 0.0); n],
            scratch,
            backoff: num.cp_len(1) / 4,
        }
    }

    /// The numerology.
    pub fn numerology(&self) -> &Numerology {
        &self.num
    }

    /// Demodulates the symbol whose useful part starts at `start` (samples, fractional) in `x`,
    /// after removing a frequency offset of `cfo_hz` (phase referenced to sample 0 of `x`), and
    /// writes the resource elements `-n_re/2 .. n_re/2` (relative to the centre, DC skipped) to
    /// `out` (`out.len() = n_re`, even). Returns false (and leaves `out` alone) when the window
    /// is not inside `x` or the arguments are not finite.
    pub fn demod(
        &mut self,
        x: &[Complex32],
        start: f64,
        cfo_hz: f64,
        out: &mut [Complex32],
    ) -> bool {
        let n = self.num.n_fft;
        if !start.is_finite()
            || !cfo_hz.is_finite()
            || !out.len().is_multiple_of(2)
            || out.len() >= n
        {
            return false;
        }
        let s0 = start.floor() - self.backoff as f64;
        if s0 < 0.0 || s0 + n as f64 > x.len() as f64 {
            return false;
        }
        let s0i = s0 as usize;
        let delta = start - s0;
        let fs = self.num.sample_rate_sps();
        let w = -TAU * cfo_hz / fs;
        let ph0 = (w * s0).rem_euclid(TAU);
        let mut rot = Complex32::new(ph0.cos() as f32, ph0.sin() as f32);
        let step = Complex32::new(w.cos() as f32, w.sin() as f32);
        for (b, v) in self.buf.iter_mut().zip(&x[s0i..s0i + n]) {
            *b = v * rot;
            rot *= step;
        }
        self.fft
            .process_with_scratch(&mut self.buf, &mut self.scratch);
        let half = (out.len() / 2) as i32;
        let scale = 1.0 / n as f32;
        for (i, o) in out.iter_mut().enumerate() {
            let k_rel = i as i32 - half;
            let bin = self.num.bin(k_rel);
            let k_signed = if bin > n / 2 {
                bin as f64 - n as f64
            } else {
                bin as f64
            };
            let a = TAU * k_signed * delta / n as f64;
            *o = self.buf[bin] * Complex32::new(a.cos() as f32, a.sin() as f32) * scale;
        }
        true
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lte::params::CyclicPrefix;

    #[test]
    fn recovers_subcarriers_at_fractional_timing_and_offset() {
        let num = Numerology::new(1.92e6, CyclicPrefix::Normal).unwrap();
        let n = num.n_fft;
        // Resource element k_rel = 5 with value 1 + j, generated continuously (so any start works)
        // shifted by 1 kHz.
        let f_sc = num.bin(5) as f64 / n as f64;
        let cfo = 1000.0 / 1.92e6;
        let t0 = 50.3;
        let x: Vec<Complex32> = (0..400)
            .map(|i| {
                let t = i as f64;
                let a = TAU * (f_sc * (t - t0) + cfo * t);
                Complex32::new(a.cos() as f32, a.sin() as f32) * Complex32::new(1.0, 1.0)
            })
            .collect();
        let mut d = OfdmDemod::new(num);
        let mut out = vec![Complex32::new(0.0, 0.0); 72];
        assert!(d.demod(&x, t0, 1000.0, &mut out));
        assert!(
            (out[36 + 5] - Complex32::new(1.0, 1.0)).norm() < 1e-3,
            "{}",
            out[41]
        );
        assert!(out[36 + 4].norm() < 1e-3);
        assert!(!d.demod(&x, 390.0, 0.0, &mut out));
        assert!(!d.demod(&x, f64::NAN, 0.0, &mut out));
    }
}
