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
    /// Flat fading of a moving receiver or transmitter (`None`: a static channel).
    pub fading: Option<Fading>,
}

/// Flat fading from motion: Clarke's model as a sum of [`FADING_PATHS`] scattered paths arriving
/// from random directions, each shifted by `doppler_hz · cos(angle)`, plus an optional
/// line-of-sight path (Rician). The mean power gain is 1, so the transmitter's `power_db` and
/// the scene's SNR keep their meaning on average; the envelope dips by 20-30 dB for a few ms
/// every half wavelength travelled (17 cm at 900 MHz), as a phone in a car sees. The scatterers
/// are drawn from the transmitter's own seed, so a scene is reproducible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fading {
    /// Largest Doppler shift, v/c·f, Hz (50 km/h at 940 MHz: 43.5 Hz).
    pub doppler_hz: f64,
    /// Rician K factor (power of the direct path over the scattered ones), dB; `None`:
    /// Rayleigh (no direct path).
    pub k_db: Option<f64>,
}

/// Scattered paths of the [`Fading`] model (16 gives a Rayleigh envelope to within a few per
/// cent down to the 1 % level).
pub const FADING_PATHS: usize = 16;

/// Headroom the output scaling allows a fading transmitter over its mean amplitude (a Rayleigh
/// envelope exceeds 8 dB above its mean power 0.2 % of the time; rarer peaks may clip).
const FADING_HEADROOM: f64 = 2.5;

/// A [`Fading`] channel realised: paths as (Doppler Hz, phase rad, amplitude).
pub(crate) struct FadingPaths {
    paths: Vec<(f64, f64, f64)>,
}

impl FadingPaths {
    /// Draw the paths of `f` from `seed`.
    pub(crate) fn new(f: &Fading, seed: u64) -> FadingPaths {
        let mut rng = crate::signal::Rng::new(seed);
        let k = f.k_db.map_or(0.0, |k| 10f64.powf(k / 10.0));
        let scatter_amp = (1.0 / (1.0 + k) / FADING_PATHS as f64).sqrt();
        let tau = std::f64::consts::TAU;
        let mut paths: Vec<(f64, f64, f64)> = (0..FADING_PATHS)
            .map(|_| {
                let angle = tau * rng.uniform();
                let phase = tau * rng.uniform();
                (f.doppler_hz * angle.cos(), phase, scatter_amp)
            })
            .collect();
        if f.k_db.is_some() {
            let angle = tau * rng.uniform();
            let los_amp = (k / (1.0 + k)).sqrt();
            paths.push((f.doppler_hz * angle.cos(), 0.0, los_amp));
        }
        FadingPaths { paths }
    }

    /// The channel's complex gain at time `t_s` (mean power 1).
    pub(crate) fn gain_at(&self, t_s: f64) -> Complex64 {
        self.paths
            .iter()
            .map(|&(f, ph, a)| Complex64::from_polar(a, std::f64::consts::TAU * f * t_s + ph))
            .sum()
    }
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
            fading: None,
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
        let fading = if self.fading.is_some() {
            FADING_HEADROOM
        } else {
            1.0
        };
        10f64.powf((self.power_db + extra) / 20.0) * (1.0 + mp) * fading
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
    /// The flat fading channel, if the transmitter moves.
    fading: Option<FadingPaths>,
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
        seed: u64,
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
        let fading = physics
            .fading
            .as_ref()
            .map(|f| FadingPaths::new(f, seed ^ 0xFAD1_4600_0000_0000));
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
            fading,
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
                let a = self.physics.amplitude_at(t);
                let g = match &self.fading {
                    Some(f) if a != 0.0 => {
                        let c = f.gain_at(t) * a;
                        Complex32::new(c.re as f32, c.im as f32)
                    }
                    _ => Complex32::new(a as f32, 0.0),
                };
                if g == Complex32::new(0.0, 0.0) {
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

    /// Clarke's model against its math: mean power 1, a Rayleigh envelope below −10 dB of its
    /// mean 1 − e^−0.1 = 9.5 % of the time, a strong direct path (K = 10 dB) almost never; the
    /// gain changes at the Doppler rate and not faster; the same seed gives the same channel.
    #[test]
    fn fading_matches_clarke() {
        let stats = |f: &Fading, seed: u64| {
            let p = FadingPaths::new(f, seed);
            let n = 200_000;
            let dt = 0.5e-3;
            let (mut sum, mut deep) = (0.0, 0usize);
            for i in 0..n {
                let g = p.gain_at(i as f64 * dt).norm_sqr();
                sum += g;
                if g < 0.1 {
                    deep += 1;
                }
            }
            (sum / n as f64, deep as f64 / n as f64)
        };
        let rayleigh = Fading {
            doppler_hz: 43.5,
            k_db: None,
        };
        let mut means = 0.0;
        let mut deeps = 0.0;
        for seed in 1..=8 {
            let (m, d) = stats(&rayleigh, seed);
            means += m / 8.0;
            deeps += d / 8.0;
        }
        assert!((means - 1.0).abs() < 0.15, "mean power {means}");
        assert!((0.06..0.13).contains(&deeps), "below -10 dB: {deeps}");
        let rician = Fading {
            doppler_hz: 43.5,
            k_db: Some(10.0),
        };
        let (m, d) = stats(&rician, 3);
        assert!((m - 1.0).abs() < 0.1, "rician mean {m}");
        assert!(d < 0.01, "rician deep fades {d}");
        // Band-limited: over 0.1 ms (0.4 % of a Doppler period) the gain barely moves.
        let p = FadingPaths::new(&rayleigh, 9);
        let step = (p.gain_at(1.0001) - p.gain_at(1.0)).norm();
        let max_step = std::f64::consts::TAU * 43.5 * 1e-4 * 4.0;
        assert!(step < max_step, "{step}");
        let q = FadingPaths::new(&rayleigh, 9);
        assert_eq!(p.gain_at(2.5), q.gain_at(2.5));
    }
}
