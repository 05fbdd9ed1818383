//! The numerically controlled oscillator that moves a stream in frequency.

use super::*;

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
