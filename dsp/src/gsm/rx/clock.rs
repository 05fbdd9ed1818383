//! The receiver's own clock error from a base station's frame timing.
//!
//! An SDR derives its local oscillator and its sample clock from one reference, so a receiver
//! whose reference runs fast by ε sees every carrier ε low **and** every TDMA frame (4.615 ms)
//! ε long in samples. The frequency alone is ambiguous once ε·f approaches half the 200 kHz
//! channel spacing (55 ppm at DCS1800: a carrier 100 ppm off reads as its neighbour 11 ppm off);
//! the frame timing is not. [`FrameClock`] fits the frame period to the SCH bursts of one cell
//! (sample index against frame number) and gives ε with its uncertainty: about 1 ppm after a
//! quarter of a second at any usual rate.
//!
//! Consumes (sample index, frame number) pairs; produces a [`ClockEstimate`]. Base stations
//! keep their frame clock within 0.05 ppm (TS 45.010), far below what is measured here.

use crate::gsm::{FRAME_DURATION_S, HYPERFRAME};
use std::collections::VecDeque;

/// The receiver's clock error measured on one cell's frame timing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockEstimate {
    /// Receiver clock error, ppm (positive: the receiver's clock runs fast, so frames read
    /// long and carriers low).
    pub ppm: f64,
    /// 1σ uncertainty, ppm.
    pub uncertainty_ppm: f64,
    /// Time spanned by the points, seconds.
    pub span_s: f64,
    /// Points in the fit.
    pub points: usize,
}

/// Least-squares fit of the frame period over recent SCH bursts (see the module documentation).
#[derive(Debug, Clone)]
pub struct FrameClock {
    rate_sps: f64,
    /// (sample index, unwrapped frame count).
    points: VecDeque<(f64, i64)>,
    last_fn: Option<u32>,
    unwrapped: i64,
}

impl FrameClock {
    /// Points kept (the most recent).
    pub const CAP: usize = 64;

    /// A fit for sample indices counted at `input_rate_sps` (nominal).
    pub fn new(input_rate_sps: f64) -> Self {
        FrameClock {
            rate_sps: input_rate_sps,
            points: VecDeque::new(),
            last_fn: None,
            unwrapped: 0,
        }
    }

    /// Adds the burst of frame `frame_number` seen at `sample_index`. Frame numbers that go
    /// backwards or jump by more than a minute restart the fit (a new cell, or a bad decode).
    pub fn push(&mut self, sample_index: f64, frame_number: u32) {
        if !sample_index.is_finite() || frame_number >= HYPERFRAME {
            return;
        }
        if let (Some(last), Some(&(last_idx, _))) = (self.last_fn, self.points.back()) {
            let step = i64::from((frame_number + HYPERFRAME - last) % HYPERFRAME);
            let max_step = (60.0 / FRAME_DURATION_S) as i64;
            if step == 0 || step > max_step || sample_index <= last_idx {
                self.points.clear();
                self.unwrapped = 0;
            } else {
                self.unwrapped += step;
            }
        }
        self.last_fn = Some(frame_number);
        if self.points.len() == Self::CAP {
            self.points.pop_front();
        }
        self.points.push_back((sample_index, self.unwrapped));
    }

    /// The fit, once three points span at least 20 frames; `None` before.
    pub fn estimate(&self) -> Option<ClockEstimate> {
        let n = self.points.len();
        let (&(_, f0), &(_, f1)) = (self.points.front()?, self.points.back()?);
        if n < 3 || f1 - f0 < 20 || self.rate_sps.is_nan() || self.rate_sps <= 0.0 {
            return None;
        }
        let nf = n as f64;
        let mx = self.points.iter().map(|p| (p.1 - f0) as f64).sum::<f64>() / nf;
        let my = self.points.iter().map(|p| p.0).sum::<f64>() / nf;
        let (mut sxx, mut sxy) = (0.0, 0.0);
        for &(y, x) in &self.points {
            let dx = (x - f0) as f64 - mx;
            sxx += dx * dx;
            sxy += dx * (y - my);
        }
        if sxx <= 0.0 {
            return None;
        }
        let slope = sxy / sxx;
        let resid: f64 = self
            .points
            .iter()
            .map(|&(y, x)| {
                let r = y - my - slope * ((x - f0) as f64 - mx);
                r * r
            })
            .sum();
        // At least a quarter of a sample of timing noise per point (the fit on a noiseless
        // signal is exact, which would claim a perfect clock).
        let var = (resid / (nf - 2.0).max(1.0)).max(1.0 / 16.0);
        let nominal = self.rate_sps * FRAME_DURATION_S;
        Some(ClockEstimate {
            ppm: (slope / nominal - 1.0) * 1e6,
            uncertainty_ppm: (var / sxx).sqrt() / nominal * 1e6,
            span_s: (f1 - f0) as f64 * FRAME_DURATION_S,
            points: n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::Rng;

    #[test]
    fn measures_the_clock_error_over_a_hyperframe_wrap() {
        let rate = 1e6;
        for ppm in [-100.0, -30.0, 0.0, 60.0, 100.0] {
            let mut c = FrameClock::new(rate);
            let mut rng = Rng::new(7);
            assert!(c.estimate().is_none());
            // SCH every 10 frames (11 at the multiframe end), starting just before the wrap.
            let mut fn_ = HYPERFRAME - 25;
            let mut frames = 0u64;
            for k in 0..30 {
                let t = frames as f64 * FRAME_DURATION_S * rate * (1.0 + ppm * 1e-6);
                c.push(1000.0 + t + rng.gaussian() * 0.5, fn_);
                let step = if k % 5 == 4 { 11 } else { 10 };
                fn_ = (fn_ + step) % HYPERFRAME;
                frames += u64::from(step);
            }
            let e = c.estimate().unwrap();
            assert!((e.ppm - ppm).abs() < 0.5, "{ppm}: {e:?}");
            assert!(e.uncertainty_ppm < 0.5 && e.uncertainty_ppm > 0.0, "{e:?}");
            assert!(e.span_s > 1.0 && e.points == 30, "{e:?}");
        }
    }

    #[test]
    fn a_frame_number_jump_restarts_the_fit() {
        let mut c = FrameClock::new(1e6);
        let per = FRAME_DURATION_S * 1e6;
        for k in 0..5u32 {
            c.push(f64::from(k) * 10.0 * per, 1000 + 10 * k);
        }
        assert!(c.estimate().is_some());
        // Backwards: a different cell. Then only two points: no estimate.
        c.push(60.0 * per, 17);
        c.push(70.0 * per, 27);
        assert!(c.estimate().is_none());
        c.push(f64::NAN, 37);
        c.push(80.0 * per, HYPERFRAME + 5);
        assert!(c.estimate().is_none());
    }
}
