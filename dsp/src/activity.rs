//! Burst activity per 200 kHz channel: how many TDMA bursts start on each channel, and for what
//! fraction of the time the channel is busy.
//!
//! A GSM uplink is bursty: a phone sends 577 µs bursts (one per TDMA frame in a call, a few per
//! 51-multiframe on an SDCCH, single access bursts on RACH). A SIM box or a modem pool sending
//! SMS en masse shows as many bursts a second on several channels at once; a continuous carrier
//! (a downlink, an interferer) shows as one long activity with a duty cycle near 1.
//!
//! The counter cuts the input into short frames (about a quarter of a timeslot), takes one FFT
//! per frame and sums each channel's bins (±80 kHz around its centre). The noise reference is the
//! lower quartile of the channels' energies in each frame, smoothed over time (so a band with a
//! few busy channels does not lift it). A channel is active in a frame when its energy stands
//! `threshold_db` above that reference; a burst is counted when a channel turns active for at
//! least two frames in a row (a 577 µs burst spans three or more; a single loud frame is a
//! neighbour's switching splatter), and ends after two quiet frames (so a burst split by one weak
//! frame is counted once). Frames are Hann-windowed to keep a strong neighbour's energy out, and a
//! frame in which an adjacent channel (±200 kHz) is more than [`ADJACENT_REJECT_DB`] stronger does
//! not count (that energy is the neighbour's modulation and switching splatter).

use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Errors from [`BurstCounter::new`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActivityError {
    /// A parameter out of range.
    #[error("{name} = {value} is out of range")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Its value.
        value: f64,
    },
}

/// Half-width of the summed band around each channel centre, Hz (GMSK main lobe).
pub const CHANNEL_HALF_WIDTH_HZ: f64 = 80e3;

/// A channel's frame is ignored when an adjacent channel is this much stronger in the same frame.
pub const ADJACENT_REJECT_DB: f64 = 12.0;

/// What one channel did over a report interval.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ChannelActivity {
    /// Channel centre, Hz from the input's centre.
    pub offset_hz: f64,
    /// Bursts that started in the interval.
    pub bursts: u64,
    /// Frames in which the channel was active.
    pub active_frames: u64,
    /// Frames in the interval.
    pub frames: u64,
    /// Mean energy of the active frames over the noise reference, dB (`None`: never active).
    pub mean_active_db: Option<f64>,
}

impl ChannelActivity {
    /// Fraction of the interval the channel was busy, 0–1.
    pub fn active_fraction(&self) -> f64 {
        if self.frames == 0 {
            0.0
        } else {
            self.active_frames as f64 / self.frames as f64
        }
    }
}

#[derive(Debug, Clone, Default)]
struct ChannelState {
    bins: Vec<usize>,
    /// Measured only as a neighbour (outside the channels asked for): not reported.
    guard: bool,
    neighbours: Vec<usize>,
    active: bool,
    loud_frames: u32,
    quiet_frames: u32,
    act: ChannelActivity,
    active_db_sum: f64,
}

/// Counts bursts on a set of channels of a complex baseband stream.
pub struct BurstCounter {
    fft: Arc<dyn Fft<f32>>,
    frame_len: usize,
    frame_s: f64,
    buf: Vec<Complex32>,
    window: Vec<f32>,
    scratch: Vec<Complex32>,
    filled: usize,
    channels: Vec<ChannelState>,
    energies: Vec<f32>,
    sorted: Vec<f32>,
    reference: Option<f32>,
    threshold: f32,
    adjacent: f32,
}

impl std::fmt::Debug for BurstCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BurstCounter")
            .field("frame_len", &self.frame_len)
            .field("channels", &self.channels.len())
            .finish()
    }
}

impl BurstCounter {
    /// A counter for the channels at `offsets_hz` (from the centre) of an input at
    /// `rate_sps`; a channel is active when `threshold_db` above the noise reference. Channels
    /// whose ±80 kHz band does not fit inside the input are ignored (reported with no frames).
    pub fn new(
        rate_sps: f64,
        offsets_hz: &[f64],
        threshold_db: f64,
    ) -> Result<Self, ActivityError> {
        if !(rate_sps.is_finite() && (50e3..1e10).contains(&rate_sps)) {
            return Err(ActivityError::InvalidParameter {
                name: "rate_sps",
                value: rate_sps,
            });
        }
        if !(threshold_db.is_finite() && (0.0..=60.0).contains(&threshold_db)) {
            return Err(ActivityError::InvalidParameter {
                name: "threshold_db",
                value: threshold_db,
            });
        }
        // About a quarter of a 577 µs timeslot per frame, a power of two for the FFT.
        let frame_len = ((rate_sps * 144e-6) as usize)
            .next_power_of_two()
            .clamp(16, 1 << 14);
        let bin_hz = rate_sps / frame_len as f64;
        // The channels asked for, then guard channels ±200 kHz beside them (measured only to
        // reject a strong neighbour's splatter; they may lie outside the usable span).
        let mut all: Vec<(f64, bool)> = offsets_hz.iter().map(|&o| (o, false)).collect();
        for &o in offsets_hz {
            for g in [o - 200e3, o + 200e3] {
                if o.is_finite() && !all.iter().any(|(a, _)| (a - g).abs() < 20e3) {
                    all.push((g, true));
                }
            }
        }
        let mut channels = all
            .iter()
            .map(|&(off, guard)| {
                let lo = off - CHANNEL_HALF_WIDTH_HZ;
                let hi = off + CHANNEL_HALF_WIDTH_HZ;
                let bins = if off.is_finite() && lo >= -rate_sps / 2.0 && hi <= rate_sps / 2.0 {
                    let k0 = (lo / bin_hz).ceil() as i64;
                    let k1 = (hi / bin_hz).floor() as i64;
                    (k0..=k1)
                        .map(|k| k.rem_euclid(frame_len as i64) as usize)
                        .collect()
                } else {
                    Vec::new()
                };
                ChannelState {
                    bins,
                    guard,
                    act: ChannelActivity {
                        offset_hz: off,
                        ..ChannelActivity::default()
                    },
                    ..ChannelState::default()
                }
            })
            .collect::<Vec<_>>();
        for c in channels.iter_mut() {
            let off = c.act.offset_hz;
            c.neighbours = (0..all.len())
                .filter(|&j| ((all[j].0 - off).abs() - 200e3).abs() < 20e3)
                .collect();
        }
        let fft = FftPlanner::new().plan_fft_forward(frame_len);
        let scratch = vec![Complex32::new(0.0, 0.0); fft.get_inplace_scratch_len()];
        Ok(BurstCounter {
            fft,
            frame_len,
            frame_s: frame_len as f64 / rate_sps,
            buf: vec![Complex32::new(0.0, 0.0); frame_len],
            window: (0..frame_len)
                .map(|i| {
                    let p = std::f64::consts::PI * (i as f64 + 0.5) / frame_len as f64;
                    (p.sin() * p.sin()) as f32
                })
                .collect(),
            scratch,
            filled: 0,
            energies: vec![0.0; channels.len()],
            sorted: Vec::with_capacity(channels.len()),
            channels,
            reference: None,
            threshold: 10f32.powf(threshold_db as f32 / 10.0),
            adjacent: 10f32.powf(ADJACENT_REJECT_DB as f32 / 10.0),
        })
    }

    /// Length of one analysis frame, s.
    pub fn frame_s(&self) -> f64 {
        self.frame_s
    }

    /// Feed samples.
    pub fn process(&mut self, mut x: &[Complex32]) {
        while !x.is_empty() {
            let n = (self.frame_len - self.filled).min(x.len());
            self.buf[self.filled..self.filled + n].copy_from_slice(&x[..n]);
            self.filled += n;
            x = &x[n..];
            if self.filled == self.frame_len {
                self.frame();
                self.filled = 0;
            }
        }
    }

    fn frame(&mut self) {
        for (v, w) in self.buf.iter_mut().zip(&self.window) {
            *v *= *w;
        }
        self.fft
            .process_with_scratch(&mut self.buf, &mut self.scratch);
        let mut in_view = 0usize;
        for (e, ch) in self.energies.iter_mut().zip(&self.channels) {
            *e = ch.bins.iter().map(|&k| self.buf[k].norm_sqr()).sum::<f32>()
                / ch.bins.len().max(1) as f32;
            in_view += usize::from(!ch.bins.is_empty() && !ch.guard);
        }
        if in_view == 0 {
            return;
        }
        self.sorted.clear();
        self.sorted.extend(
            self.energies
                .iter()
                .zip(&self.channels)
                .filter(|(_, c)| !c.bins.is_empty() && !c.guard)
                .map(|(e, _)| *e),
        );
        self.sorted.sort_by(f32::total_cmp);
        let q = self.sorted[(self.sorted.len() - 1) / 4];
        // Smooth the reference: follow drops quickly, rises slowly (bursts on most channels at
        // once must not drag it up).
        let r = match self.reference {
            None => q,
            Some(r) if q < r => 0.7 * r + 0.3 * q,
            Some(r) => 0.995 * r + 0.005 * q,
        };
        self.reference = Some(r.max(f32::MIN_POSITIVE));
        let limit = r * self.threshold;
        let energies = &self.energies;
        for (e, ch) in energies.iter().zip(self.channels.iter_mut()) {
            if ch.bins.is_empty() || ch.guard {
                continue;
            }
            ch.act.frames += 1;
            let strongest_neighbour = ch
                .neighbours
                .iter()
                .map(|&j| energies[j])
                .fold(0.0f32, f32::max);
            if *e > limit && *e * self.adjacent >= strongest_neighbour {
                ch.loud_frames += 1;
                ch.quiet_frames = 0;
                if !ch.active && ch.loud_frames >= 2 {
                    ch.act.bursts += 1;
                    ch.active = true;
                    // The first loud frame belonged to this burst too.
                    ch.act.active_frames += 1;
                }
                if ch.active {
                    ch.act.active_frames += 1;
                    ch.active_db_sum += 10.0 * f64::from(*e / r.max(f32::MIN_POSITIVE)).log10();
                }
            } else {
                ch.loud_frames = 0;
                if ch.active {
                    ch.quiet_frames += 1;
                    if ch.quiet_frames > 1 {
                        ch.active = false;
                    }
                }
            }
        }
    }

    /// What each channel did since the last report (in the order given to [`BurstCounter::new`]),
    /// and start a new interval.
    pub fn report(&mut self) -> Vec<ChannelActivity> {
        self.channels
            .iter_mut()
            .filter(|ch| !ch.guard)
            .map(|ch| {
                let mut a = ch.act;
                a.mean_active_db =
                    (a.active_frames > 0).then(|| ch.active_db_sum / a.active_frames as f64);
                ch.act = ChannelActivity {
                    offset_hz: a.offset_hz,
                    ..ChannelActivity::default()
                };
                ch.active_db_sum = 0.0;
                a
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::Rng;

    /// Noise plus bursts of a tone: `per_s` bursts of 577 µs on the channel at `off_hz`.
    fn scene(rate: f64, seconds: f64, bursts: &[(f64, f64)], continuous: &[f64]) -> Vec<Complex32> {
        let n = (rate * seconds) as usize;
        let mut rng = Rng::new(7);
        let mut x: Vec<Complex32> = (0..n)
            .map(|_| Complex32::new(rng.gaussian() as f32, rng.gaussian() as f32) * 0.01)
            .collect();
        let burst_len = (577e-6 * rate) as usize;
        for &(off, per_s) in bursts {
            let every = (rate / per_s) as usize;
            let mut start = every / 3;
            while start + burst_len < n {
                for (i, v) in x[start..start + burst_len].iter_mut().enumerate() {
                    let ph = 2.0 * std::f64::consts::PI * off * (start + i) as f64 / rate;
                    *v += Complex32::new(ph.cos() as f32, ph.sin() as f32) * 0.3;
                }
                start += every;
            }
        }
        for &off in continuous {
            for (i, v) in x.iter_mut().enumerate() {
                let ph = 2.0 * std::f64::consts::PI * off * i as f64 / rate;
                *v += Complex32::new(ph.cos() as f32, ph.sin() as f32) * 0.3;
            }
        }
        x
    }

    #[test]
    fn counts_bursts_and_tells_a_continuous_carrier_apart() {
        let rate = 1.2e6;
        let offs = [-400e3, -200e3, 0.0, 200e3, 400e3];
        let x = scene(rate, 1.0, &[(-200e3, 200.0), (200e3, 37.0)], &[400e3]);
        let mut c = BurstCounter::new(rate, &offs, 10.0).unwrap();
        for chunk in x.chunks(10_000) {
            c.process(chunk);
        }
        let r = c.report();
        let b: Vec<u64> = r.iter().map(|a| a.bursts).collect();
        // 200/s and 37/s bursts (±1 at the edges), an idle channel, a continuous carrier.
        assert!((199..=201).contains(&b[1]), "{r:?}");
        assert!((36..=38).contains(&b[3]), "{r:?}");
        assert_eq!(b[0], 0, "{r:?}");
        assert_eq!(b[2], 0, "{r:?}");
        assert!(b[4] <= 1, "{r:?}");
        assert!(r[4].active_fraction() > 0.99, "{r:?}");
        // 200 bursts × 577 µs = 11.5% busy.
        assert!((0.09..0.16).contains(&r[1].active_fraction()), "{r:?}");
        assert!(r[1].mean_active_db.unwrap() > 20.0);
        // The next interval starts from zero.
        assert_eq!(c.report()[1].bursts, 0);
    }

    #[test]
    fn bad_parameters_and_out_of_band_channels() {
        assert!(BurstCounter::new(0.0, &[0.0], 10.0).is_err());
        assert!(BurstCounter::new(1e6, &[0.0], f64::NAN).is_err());
        let mut c = BurstCounter::new(1e6, &[490e3, f64::NAN], 10.0).unwrap();
        c.process(&vec![Complex32::new(1.0, 0.0); 10_000]);
        let r = c.report();
        assert_eq!(r[0].frames, 0);
        assert_eq!(r[1].frames, 0);
    }
}
