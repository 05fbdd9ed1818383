//! GMSK modulation (TS 45.004, BT = 0.3).
//!
//! [`GmskModulator`] turns a continuous stream of GSM bits into unit-amplitude complex baseband at
//! an integer number of samples per symbol, keeping phase continuous across calls (and so across
//! bursts). Bits are differentially encoded (TS 45.004 §2.3: `d̂ᵢ = dᵢ ⊕ dᵢ₋₁`, `αᵢ = 1 − 2d̂ᵢ`)
//! and each symbol turns the phase by `αᵢ·π/2` through the BT 0.3 Gaussian frequency pulse
//! (§2.4–2.5), so an all-zero burst (the FCCH) is a pure tone at `+SYMBOL_RATE/4` ≈ +67.708 kHz
//! above the carrier (`α = +1` raises the phase: `x(t) = cos(2πf₀t + φ(t))`).
//!
//! Timing: output sample `n` is at time `n / (sps · symbol rate)`, symbol `i` occupies
//! `[i, i+1)` symbol periods. The pulse spans 5 symbols, so the samples of symbol `i` are emitted
//! when symbol `i + 2` is pushed: the first push of `k` bits yields `(k − 2)·sps` samples, every
//! later push `k·sps`. No samples are lost; they come out two symbols later.
//!
//! The quarter symbol of a 156.25-symbol timeslot is handled by [`timeslot_symbols`]: timeslots 0
//! and 4 of every frame last 157 symbols and the others 156, so a TDMA frame is exactly 1250
//! symbols at any `sps` and timing stays exact over arbitrarily long runs.

use num_complex::{Complex32, Complex64};
use std::f64::consts::PI;

/// Gaussian filter bandwidth × symbol period (TS 45.004 §2.5).
pub const BT: f64 = 0.3;
/// Number of symbols a pulse influences (the truncated frequency pulse spans ±2.5 symbols).
const SPAN_SYMBOLS: usize = 5;
/// Symbols between pushing a bit and getting its samples.
pub const LAG_SYMBOLS: usize = SPAN_SYMBOLS / 2;

/// Number of whole symbol periods in timeslot `tn` (0–7) of a TDMA frame: 157 for TS 0 and 4,
/// 156 otherwise (2·157 + 6·156 = 1250 = 8 × 156.25).
pub fn timeslot_symbols(tn: usize) -> usize {
    if tn.is_multiple_of(4) { 157 } else { 156 }
}

/// Offset in symbols of the start of timeslot `tn` (0–7) from the start of its TDMA frame.
pub fn timeslot_start_symbol(tn: usize) -> usize {
    (0..tn.min(8)).map(timeslot_symbols).sum()
}

/// The GMSK phase pulse `q(t) = ∫ g`, `t` in symbol periods, centred on 0, rising from 0 to 1.
fn phase_pulse(t: f64) -> f64 {
    // g(t) = [Φ((t + ½)/σ) − Φ((t − ½)/σ)], σ = √ln2 / (2π·BT); q = ∫ g, integrated numerically.
    let sigma = (2f64.ln()).sqrt() / (2.0 * PI * BT);
    let g = |u: f64| normal_cdf((u + 0.5) / sigma) - normal_cdf((u - 0.5) / sigma);
    let lo = -(SPAN_SYMBOLS as f64) / 2.0 - 1.0;
    if t <= lo {
        return 0.0;
    }
    // Simpson's rule on a fine grid.
    let n = 2 * ((t - lo) * 400.0).ceil() as usize + 2;
    let h = (t - lo) / n as f64;
    let mut s = g(lo) + g(t);
    for k in 1..n {
        let w = if k % 2 == 1 { 4.0 } else { 2.0 };
        s += w * g(lo + k as f64 * h);
    }
    s * h / 3.0
}

/// Standard normal cumulative distribution (erfc approximation, |error| < 1.2e-7).
fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Complementary error function (Numerical Recipes `erfcc`, fractional error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Continuous-phase GMSK modulator (TS 45.004) at an integer number of samples per symbol.
#[derive(Debug, Clone)]
pub struct GmskModulator {
    sps: usize,
    /// Per-sample phase rotation for each 5-symbol sign pattern: `table[pattern * sps + j]`.
    table: Vec<Complex64>,
    /// Signs of the last 5 symbols, bit k set = α of symbol (i − 2 + k) is −1; bit 4 newest.
    pattern: usize,
    /// Symbols pushed so far, saturating at the lag (to know when output starts).
    primed: usize,
    /// Previous data bit, for differential encoding.
    prev_bit: u8,
    /// Current carrier phase as a unit phasor.
    phase: Complex64,
}

impl GmskModulator {
    /// A modulator at `sps` samples per symbol (≥ 1), starting at phase 0. The bit before the
    /// first one is taken as 1 (so an all-zero burst from the start still gives `α = −1` once,
    /// then `+1`; pass `prev_bit` via [`GmskModulator::with_state`] to choose).
    pub fn new(sps: usize) -> Self {
        Self::with_state(sps, 1, 0.0)
    }

    /// A modulator at `sps` samples per symbol with the previous data bit and the start phase.
    pub fn with_state(sps: usize, prev_bit: u8, phase_rad: f64) -> Self {
        let sps = sps.max(1);
        static TABLE4: std::sync::OnceLock<Vec<Complex64>> = std::sync::OnceLock::new();
        let table = if sps == 4 {
            TABLE4.get_or_init(|| Self::table(4)).clone()
        } else {
            Self::table(sps)
        };
        GmskModulator {
            sps,
            table,
            pattern: 0,
            primed: 0,
            prev_bit: prev_bit & 1,
            phase: Complex64::from_polar(1.0, phase_rad),
        }
    }

    /// Per-sample rotations for every 5-symbol sign pattern.
    fn table(sps: usize) -> Vec<Complex64> {
        let mut table = Vec::with_capacity((1 << SPAN_SYMBOLS) * sps);
        // Phase increment over sample j of the current symbol interval from symbol k of the window
        // (k = 0..5 ↔ symbols i−2..i+2, centred at (k − 2 + ½) symbol periods from the interval start).
        let mut inc = vec![[0.0f64; SPAN_SYMBOLS]; sps];
        for (j, row) in inc.iter_mut().enumerate() {
            for (k, v) in row.iter_mut().enumerate() {
                let c = k as f64 - LAG_SYMBOLS as f64 + 0.5;
                let t0 = j as f64 / sps as f64 - c;
                let t1 = (j + 1) as f64 / sps as f64 - c;
                *v = (phase_pulse(t1) - phase_pulse(t0)) * PI / 2.0;
            }
        }
        for pattern in 0..(1usize << SPAN_SYMBOLS) {
            for row in &inc {
                let dphi: f64 = row
                    .iter()
                    .enumerate()
                    .map(|(k, v)| if pattern >> k & 1 == 1 { -v } else { *v })
                    .sum();
                table.push(Complex64::from_polar(1.0, dphi));
            }
        }
        table
    }

    /// Samples per symbol.
    pub fn sps(&self) -> usize {
        self.sps
    }

    /// Current carrier phase in radians.
    pub fn phase_rad(&self) -> f64 {
        self.phase.arg()
    }

    /// Push `bits` (each 0 or 1; only the low bit counts) and append the samples that became
    /// ready to `out` (see the module doc for the two-symbol lag). Returns the number appended.
    pub fn push_bits(&mut self, bits: &[u8], out: &mut Vec<Complex32>) -> usize {
        let before = out.len();
        out.reserve(bits.len() * self.sps);
        for &b in bits {
            let b = b & 1;
            let neg = (b ^ self.prev_bit) as usize; // d̂ = 1 → α = −1
            self.prev_bit = b;
            self.pattern = (self.pattern >> 1) | (neg << (SPAN_SYMBOLS - 1));
            if self.primed < LAG_SYMBOLS {
                self.primed += 1;
                continue;
            }
            let row = &self.table[self.pattern * self.sps..(self.pattern + 1) * self.sps];
            for r in row {
                out.push(Complex32::new(self.phase.re as f32, self.phase.im as f32));
                self.phase *= r;
            }
            // Keep |phase| = 1 despite rounding (one Newton step of 1/sqrt, |phase| ≈ 1 already).
            self.phase *= 1.5 - 0.5 * self.phase.norm_sqr();
        }
        out.len() - before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modulate(bits: &[u8], sps: usize) -> Vec<Complex32> {
        let mut m = GmskModulator::with_state(sps, 0, 0.0);
        let mut out = Vec::new();
        m.push_bits(bits, &mut out);
        out
    }

    #[test]
    fn pulse_rises_from_zero_to_one() {
        assert!(phase_pulse(-3.0).abs() < 1e-6);
        assert!((phase_pulse(0.0) - 0.5).abs() < 1e-6);
        assert!((phase_pulse(3.0) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn frame_is_1250_symbols() {
        assert_eq!((0..8).map(timeslot_symbols).sum::<usize>(), 1250);
        assert_eq!(timeslot_start_symbol(4), 625);
    }

    #[test]
    fn constant_envelope() {
        let mut rng = crate::signal::Rng::new(3);
        let bits: Vec<u8> = (0..2000).map(|_| rng.bit()).collect();
        let out = modulate(&bits, 4);
        assert_eq!(out.len(), (2000 - LAG_SYMBOLS) * 4);
        for s in &out {
            assert!((s.norm() - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn fcch_is_a_tone_at_plus_quarter_symbol_rate() {
        let sps = 4;
        let out = modulate(&[0u8; 148], sps);
        // Phase advance per sample must be +π/2 / sps (a tone at +symbol rate / 4).
        for w in out[8..].windows(2) {
            let d = (w[1] * w[0].conj()).arg() as f64;
            assert!((d - PI / 2.0 / sps as f64).abs() < 1e-4, "{d}");
        }
        let f_hz = PI / 2.0 / sps as f64 / (2.0 * PI) * sps as f64 * crate::gsm::SYMBOL_RATE_SPS;
        assert!((f_hz - 67_708.33).abs() < 0.1);
    }

    #[test]
    fn all_ones_is_also_a_tone_and_alternating_is_the_other_tone() {
        // d = 1,1,1… → d̂ = 0 → same +67.7 kHz tone; d = 0,1,0,1 → d̂ = 1 → −67.7 kHz.
        let out = modulate(&[1u8; 64], 4);
        let d = (out[40] * out[39].conj()).arg();
        assert!(d > 0.0);
        let alt: Vec<u8> = (0..64).map(|i| (i % 2) as u8).collect();
        let out = modulate(&alt, 4);
        let d = (out[40] * out[39].conj()).arg();
        assert!(d < 0.0);
    }

    #[test]
    fn phase_is_continuous_across_calls() {
        let mut rng = crate::signal::Rng::new(9);
        let bits: Vec<u8> = (0..1000).map(|_| rng.bit()).collect();
        let whole = modulate(&bits, 4);
        let mut m = GmskModulator::with_state(4, 0, 0.0);
        let mut split = Vec::new();
        for chunk in bits.chunks(157) {
            m.push_bits(chunk, &mut split);
        }
        assert_eq!(whole.len(), split.len());
        for (a, b) in whole.iter().zip(&split) {
            assert!((a - b).norm() < 1e-6);
        }
        // Maximum phase step per sample is bounded by π/2 / sps.
        for w in whole.windows(2) {
            assert!((w[1] * w[0].conj()).arg().abs() <= (PI / 8.0) as f32 + 1e-4);
        }
    }
}
