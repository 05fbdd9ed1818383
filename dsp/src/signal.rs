//! Deterministic random numbers, tones and noise, for tests and synthetic sources.
//!
//! The generator is SplitMix64: tiny, fast, and identical on every platform, so a scene or a test
//! signal made from a seed is bit-for-bit reproducible (no `rand` dependency needed for that).

use num_complex::Complex32;
use std::f64::consts::TAU;

/// SplitMix64 pseudo-random generator (Steele, Lea, Flood 2014). Not cryptographic.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator seeded with `seed`. The same seed always gives the same sequence.
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A random bit (0 or 1).
    pub fn bit(&mut self) -> u8 {
        (self.next_u64() >> 63) as u8
    }

    /// Standard normal deviate (Box–Muller).
    pub fn gaussian(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
    }

    /// Circular complex Gaussian sample with total power `power` (E|z|² = power).
    pub fn complex_gaussian(&mut self, power: f64) -> Complex32 {
        let s = (power / 2.0).sqrt();
        Complex32::new((self.gaussian() * s) as f32, (self.gaussian() * s) as f32)
    }
}

/// A complex exponential oscillator whose phase is kept across calls (time = sample index).
#[derive(Debug, Clone)]
pub struct Tone {
    /// Phase increment per sample, in cycles.
    step_cycles: f64,
    /// Current phase in cycles, kept in [0, 1) to avoid precision loss over long runs.
    phase_cycles: f64,
    amplitude: f32,
}

impl Tone {
    /// A tone at `freq_hz` (may be negative) for a stream at `sample_rate_sps`, with peak amplitude
    /// `amplitude` (1.0 = full scale) and initial phase `phase_rad`.
    pub fn new(freq_hz: f64, sample_rate_sps: f64, amplitude: f32, phase_rad: f64) -> Self {
        Tone {
            step_cycles: freq_hz / sample_rate_sps,
            phase_cycles: (phase_rad / TAU).rem_euclid(1.0),
            amplitude,
        }
    }

    /// Add the tone to `out` sample by sample.
    pub fn add_to(&mut self, out: &mut [Complex32]) {
        for s in out.iter_mut() {
            let p = self.phase_cycles * TAU;
            *s += Complex32::new(p.cos() as f32, p.sin() as f32) * self.amplitude;
            self.phase_cycles = (self.phase_cycles + self.step_cycles).rem_euclid(1.0);
        }
    }
}

/// Add circular complex white Gaussian noise of total power `power` per sample to `out`.
pub fn add_noise(rng: &mut Rng, power: f64, out: &mut [Complex32]) {
    if power <= 0.0 {
        return;
    }
    for s in out.iter_mut() {
        *s += rng.complex_gaussian(power);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_uniform() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let n = 100_000;
        let mean: f64 = (0..n).map(|_| a.uniform()).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
    }

    #[test]
    fn complex_gaussian_has_requested_power() {
        let mut r = Rng::new(1);
        let n = 200_000;
        let p: f64 = (0..n)
            .map(|_| r.complex_gaussian(0.25).norm_sqr() as f64)
            .sum::<f64>()
            / n as f64;
        assert!((p - 0.25).abs() < 0.005, "power {p}");
    }

    #[test]
    fn tone_phase_is_continuous_across_calls() {
        let mut whole = vec![Complex32::new(0.0, 0.0); 1000];
        Tone::new(1234.5, 10_000.0, 1.0, 0.3).add_to(&mut whole);
        let mut split = vec![Complex32::new(0.0, 0.0); 1000];
        let mut t = Tone::new(1234.5, 10_000.0, 1.0, 0.3);
        let (a, b) = split.split_at_mut(377);
        t.add_to(a);
        t.add_to(b);
        for (x, y) in whole.iter().zip(&split) {
            assert!((x - y).norm() < 1e-5);
        }
    }
}
