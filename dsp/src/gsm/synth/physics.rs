//! Per-transmitter physics: power and its schedule, clock error, timing, multipath; and the chain
//! that takes a transmitter's 4-samples-per-symbol baseband onto the output grid (resample,
//! frequency shift, add).

use super::resample::Interpolator;
use num_complex::{Complex32, Complex64};
use serde::{Deserialize, Serialize};

/// One path of a static multipath channel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tap {
    /// Delay relative to the direct path, seconds (rounded to the 4-sps grid, ≈ 0.92 µs).
    pub delay_s: f64,
    /// Gain relative to the direct path, dB.
    pub gain_db: f64,
    /// Carrier phase of the path, radians.
    pub phase_rad: f64,
}

/// How one transmitter (a cell or an uplink emitter) reaches the receiver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Physics {
    /// Power relative to the scene's 0 dB reference (see [`crate::gsm::synth`] for the SNR
    /// definition), dB.
    pub power_db: f64,
    /// Transmitter clock error, ppm: scales its carrier frequency (and symbol rate).
    pub freq_offset_ppm: f64,
    /// Clock drift, ppm per second.
    pub drift_ppm_per_s: f64,
    /// Delay of the transmitter's time grid relative to the scene's, seconds (≥ 0 shifts the
    /// transmitter's frame 0 later).
    pub timing_offset_s: f64,
    /// Scene time the transmitter switches on, seconds.
    pub on_s: f64,
    /// Scene time it switches off, seconds (`None` = never).
    pub off_s: Option<f64>,
    /// Duration of the raised-cosine power ramp at switch-on and switch-off, seconds.
    pub edge_s: f64,
    /// Extra power over time, `(scene time s, dB)` points linearly interpolated in dB, held
    /// constant before the first and after the last (empty = 0 dB): a drive-by.
    pub power_profile: Vec<(f64, f64)>,
    /// Static multipath taps added to the direct path (0–2 of them in practice).
    pub multipath: Vec<Tap>,
}

impl Default for Physics {
    fn default() -> Self {
        Physics {
            power_db: 0.0,
            freq_offset_ppm: 0.0,
            drift_ppm_per_s: 0.0,
            timing_offset_s: 0.0,
            on_s: 0.0,
            off_s: None,
            edge_s: 0.001,
            power_profile: Vec::new(),
            multipath: Vec::new(),
        }
    }
}

impl Physics {
    /// Amplitude gain (linear, relative to the 0 dB reference) at scene time `t_s`.
    pub fn amplitude_at(&self, t_s: f64) -> f64 {
        let mut edge = 1.0;
        let rc = |x: f64| 0.5 - 0.5 * (std::f64::consts::PI * x.clamp(0.0, 1.0)).cos();
        if t_s < self.on_s {
            return 0.0;
        }
        if self.edge_s > 0.0 {
            edge *= rc((t_s - self.on_s) / self.edge_s);
        }
        if let Some(off) = self.off_s {
            if t_s >= off {
                return 0.0;
            }
            if self.edge_s > 0.0 {
                edge *= rc((off - t_s) / self.edge_s);
            }
        }
        let db = self.power_db + profile_db(&self.power_profile, t_s);
        edge * 10f64.powf(db / 20.0)
    }

    /// Largest amplitude the transmitter ever reaches (for scaling the output).
    pub fn peak_amplitude(&self) -> f64 {
        let extra = self.power_profile.iter().map(|p| p.1).fold(
            if self.power_profile.is_empty() {
                0.0
            } else {
                f64::MIN
            },
            f64::max,
        );
        let mp: f64 = self
            .multipath
            .iter()
            .map(|t| 10f64.powf(t.gain_db / 20.0))
            .sum();
        10f64.powf((self.power_db + extra) / 20.0) * (1.0 + mp)
    }
}

fn profile_db(points: &[(f64, f64)], t: f64) -> f64 {
    match points {
        [] => 0.0,
        [only] => only.1,
        _ => {
            if t <= points[0].0 {
                return points[0].1;
            }
            for w in points.windows(2) {
                let (t0, d0) = w[0];
                let (t1, d1) = w[1];
                if t <= t1 {
                    let span = (t1 - t0).max(1e-12);
                    return d0 + (d1 - d0) * (t - t0) / span;
                }
            }
            points[points.len() - 1].1
        }
    }
}

/// Something that produces a transmitter's baseband at 4 samples per symbol, in chunks.
pub(crate) trait Baseband: Send {
    /// Append the next chunk (≥ 1 sample) of unit-reference baseband to `out`.
    fn next_chunk(&mut self, out: &mut Vec<Complex32>);
    /// What a cell has sent so far (cells only).
    fn cell_counters(&self) -> Option<super::CellCounters> {
        None
    }
    /// What an uplink emitter has sent so far (emitters only).
    fn emitter_counters(&self) -> Option<super::EmitterCounters> {
        None
    }
    /// The latest SDCCH frames a cell sent in clear (cells only).
    fn dedicated_sent(&self) -> Vec<super::SentDedicated> {
        Vec::new()
    }
}

/// Samples per symbol of the transmitters' own modulation.
pub(crate) const TX_SPS: usize = 4;
/// Gain envelope granularity, input samples.
const ENV_STEP: usize = 64;

/// Takes one transmitter onto the output grid.
pub(crate) struct Chain {
    src: Box<dyn Baseband>,
    physics: Physics,
    /// Input (transmitter-rate) samples, `buf[0]` at absolute index `buf_start`.
    buf: Vec<Complex32>,
    buf_start: i64,
    /// Absolute index of the next sample the source will produce (after multipath and envelope).
    produced: i64,
    /// Raw source samples not yet through multipath/envelope.
    raw: Vec<Complex32>,
    /// Multipath delay line: (delay in input samples, complex gain); history of raw input.
    taps: Vec<(usize, Complex32)>,
    history: Vec<Complex32>,
    /// Absolute input index at output sample 0.
    t0_in: f64,
    /// Input samples per output sample.
    step: f64,
    /// Input rate (samples per second of scene time).
    in_rate: f64,
    /// Output samples produced so far.
    out_count: u64,
    out_rate: f64,
    /// Carrier offset on the output grid at t = 0, Hz, and its drift, Hz/s.
    offset_hz: f64,
    drift_hz_per_s: f64,
    /// NCO phase in cycles.
    nco_cycles: f64,
    interp: Interpolator,
}

impl Chain {
    /// `offset_hz`: the transmitter's carrier minus the receiver's centre, as the receiver sees it
    /// (clock errors included); `carrier_hz`: the transmitter's nominal carrier (for drift);
    /// `out_rate`: the receiver's true sample rate; `rate_scale`: (1 + tx ppm) of the symbol clock.
    pub(crate) fn new(
        src: Box<dyn Baseband>,
        physics: Physics,
        offset_hz: f64,
        carrier_hz: f64,
        out_rate: f64,
        rate_scale: f64,
    ) -> Chain {
        let in_rate = TX_SPS as f64 * crate::gsm::SYMBOL_RATE_SPS * rate_scale;
        let step = in_rate / out_rate;
        let t0_in = -physics.timing_offset_s * in_rate;
        let lead = (t0_in.floor() as i64 - Interpolator::BEFORE as i64 - 2).min(0);
        let buf = vec![Complex32::new(0.0, 0.0); (-lead) as usize];
        let mut taps = vec![(0usize, Complex32::new(1.0, 0.0))];
        for t in &physics.multipath {
            let d = (t.delay_s * in_rate).round().max(0.0) as usize;
            let g = Complex64::from_polar(10f64.powf(t.gain_db / 20.0), t.phase_rad);
            taps.push((d, Complex32::new(g.re as f32, g.im as f32)));
        }
        let max_delay = taps.iter().map(|t| t.0).max().unwrap_or(0);
        let drift_hz_per_s = carrier_hz * physics.drift_ppm_per_s * 1e-6;
        Chain {
            src,
            physics,
            buf,
            buf_start: lead,
            produced: 0,
            raw: Vec::new(),
            taps,
            history: vec![Complex32::new(0.0, 0.0); max_delay],
            t0_in,
            step,
            in_rate,
            out_count: 0,
            out_rate,
            offset_hz,
            drift_hz_per_s,
            nco_cycles: 0.0,
            interp: Interpolator::new(0.25),
        }
    }

    /// Pull source chunks until input index `upto` (exclusive) is in the buffer.
    fn fill_until(&mut self, upto: i64) {
        while self.buf_start + (self.buf.len() as i64) < upto {
            self.raw.clear();
            self.src.next_chunk(&mut self.raw);
            if self.raw.is_empty() {
                // A source must always produce; pad with silence rather than loop forever.
                self.raw.push(Complex32::new(0.0, 0.0));
            }
            // Multipath (direct path first) with history for delayed taps.
            let hist_len = self.history.len();
            let mut ext = std::mem::take(&mut self.history);
            ext.extend_from_slice(&self.raw);
            let n = self.raw.len();
            let mut k0 = 0;
            while k0 < n {
                let k1 = (k0 + ENV_STEP).min(n);
                let abs = self.produced + k0 as i64;
                let t = self.physics.timing_offset_s + abs as f64 / self.in_rate;
                let g = self.physics.amplitude_at(t) as f32;
                if g == 0.0 {
                    self.buf
                        .extend(std::iter::repeat_n(Complex32::new(0.0, 0.0), k1 - k0));
                } else if self.taps.len() == 1 {
                    self.buf.extend(self.raw[k0..k1].iter().map(|s| s * g));
                } else {
                    for k in k0..k1 {
                        let mut acc = Complex32::new(0.0, 0.0);
                        for &(d, c) in &self.taps {
                            acc += ext[hist_len + k - d] * c;
                        }
                        self.buf.push(acc * g);
                    }
                }
                k0 = k1;
            }
            self.produced += n as i64;
            let keep = hist_len.min(ext.len());
            self.history = ext[ext.len() - keep..].to_vec();
        }
    }

    /// The source's cell counters, if it is a cell.
    pub(crate) fn cell_counters(&self) -> Option<super::CellCounters> {
        self.src.cell_counters()
    }

    /// The source's emitter counters, if it is an uplink emitter.
    pub(crate) fn emitter_counters(&self) -> Option<super::EmitterCounters> {
        self.src.emitter_counters()
    }

    /// The latest SDCCH frames the source sent in clear.
    pub(crate) fn dedicated_sent(&self) -> Vec<super::SentDedicated> {
        self.src.dedicated_sent()
    }

    /// Add this transmitter's next `out.len()` output samples into `out`.
    pub(crate) fn add_to(&mut self, out: &mut [Complex32]) {
        // Sub-blocks aligned on absolute output indices, so the result does not depend on how
        // the caller splits the stream.
        const SUB: u64 = 256;
        let mut done = 0;
        while done < out.len() {
            let n0 = self.out_count;
            let into = n0 % SUB;
            let n = ((SUB - into) as usize).min(out.len() - done);
            let first = self.t0_in + n0 as f64 * self.step;
            let last = self.t0_in + (n0 + n as u64 - 1) as f64 * self.step;
            let need_hi = last.floor() as i64 + Interpolator::AFTER as i64 + 1;
            self.fill_until(need_hi);
            let lo_idx =
                (first.floor() as i64 - Interpolator::BEFORE as i64 - self.buf_start) as usize;
            let hi_idx = (need_hi - self.buf_start) as usize;
            let aligned = n0 - into;
            let t_mid = (aligned as f64 + SUB as f64 / 2.0) / self.out_rate;
            let f = self.offset_hz + self.drift_hz_per_s * t_mid;
            let dcyc = f / self.out_rate;
            let silent = self.buf[lo_idx..hi_idx]
                .iter()
                .all(|s| s.re == 0.0 && s.im == 0.0);
            if !silent {
                let mut ph = Complex64::from_polar(
                    1.0,
                    std::f64::consts::TAU * (self.nco_cycles + dcyc * into as f64),
                );
                let rot = Complex64::from_polar(1.0, std::f64::consts::TAU * dcyc);
                let base = self.buf_start as f64;
                for (k, o) in out[done..done + n].iter_mut().enumerate() {
                    let pos = self.t0_in + (n0 + k as u64) as f64 * self.step - base;
                    let v = self.interp.at(&self.buf, pos);
                    *o += v * Complex32::new(ph.re as f32, ph.im as f32);
                    ph *= rot;
                }
            }
            if into + n as u64 == SUB {
                self.nco_cycles = (self.nco_cycles + dcyc * SUB as f64).rem_euclid(1.0);
            }
            self.out_count += n as u64;
            done += n;
            // Drop input no longer needed (keep the filter's history).
            let next_first = self.t0_in + self.out_count as f64 * self.step;
            let keep_from = next_first.floor() as i64 - Interpolator::BEFORE as i64 - 1;
            let drop = (keep_from - self.buf_start).max(0) as usize;
            if drop > 8192 {
                self.buf.drain(..drop);
                self.buf_start += drop as i64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amplitude_schedule() {
        let p = Physics {
            power_db: -6.0,
            on_s: 1.0,
            off_s: Some(3.0),
            edge_s: 0.0,
            power_profile: vec![(1.0, 0.0), (2.0, 6.0)],
            ..Physics::default()
        };
        assert_eq!(p.amplitude_at(0.5), 0.0);
        assert!((p.amplitude_at(1.0) - 0.501).abs() < 1e-3);
        assert!((p.amplitude_at(2.5) - 1.0).abs() < 1e-3);
        assert_eq!(p.amplitude_at(3.0), 0.0);
        assert!((p.peak_amplitude() - 1.0).abs() < 1e-3);
    }
}
