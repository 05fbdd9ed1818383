//! The GSM scene generator: cells, multiframe scheduling, channel impairments and mixing.
//!
//! A [`Scene`] mixes any number of transmitters into one complex baseband stream at any sample
//! rate and centre frequency:
//! - **cells** ([`CellConfig`]): a BTS C0 carrier on a downlink ARFCN with its 51-multiframe on
//!   TS0 (FCCH, SCH, BCCH with SI on the right TC, CCCH with paging and Immediate Assignment),
//!   dummy or traffic-like bursts on TS1–7, and SDCCH/8 dialogues (a network's, or an SMS
//!   blaster's in clear) on the sub-channels its Immediate Assignments name ([`cell`]);
//! - **uplink emitters** ([`EmitterConfig`]): SIM boxes, modem pools and phones sending access
//!   and normal bursts on uplink ARFCNs ([`uplink`]).
//!
//! Each transmitter is GMSK-modulated at 4 samples per symbol (≈ 1.083 MS/s), shaped by its
//! [`Physics`] (power schedule, multipath), resampled onto the output grid with a 16-tap polyphase
//! windowed sinc, shifted to its carrier offset and added. Generation streams in blocks of any
//! size with bounded memory, and is deterministic: the same config and seed give the same
//! samples, whatever the block sizes.
//!
//! ## Levels, noise and SNR (definitions)
//! - The **0 dB reference** transmitter, always on, has constant-envelope amplitude
//!   `A_ref` ([`Scene::reference_amplitude`], output units, 1.0 = full scale): its power is
//!   `P_ref = A_ref²`. A transmitter with `power_db = p` has power `P_ref · 10^(p/10)`.
//! - `snr_db` is **Es/N0 of the 0 dB reference**: symbol energy over the noise power spectral
//!   density, `Es/N0 = P · T_sym / N0` with `T_sym = 1/270 833 s`. White Gaussian noise of
//!   density `N0 = P_ref / (R_sym · 10^(snr_db/10))` is added over the whole output band, so its
//!   power per output sample is `N0 · f_s`. Each transmitter's own Es/N0 is `snr_db + power_db`
//!   (minus any multipath loss/gain). The SNR in the cell's 200 kHz channel is
//!   `Es/N0 + 10·log10(270.833/200) = Es/N0 + 1.32 dB`.
//! - `A_ref` is chosen so that the sum of every transmitter's peak amplitude plus 3σ of noise
//!   stays below 0.7 of full scale (no clipping in 8-bit formats), unless set explicitly.
//!
//! ## Clocks and frequency
//! A transmitter with clock error `ε_tx` (ppm) and drift `δ` (ppm/s) sends its carrier at
//! `f_c · (1 + ε_tx + δ·t)` and its symbols at `270 833 · (1 + ε_tx)` symbols/s. The receiver
//! (`rx_ppm = ε_rx`) samples at `f_s · (1 + ε_rx)` and tunes to `f_centre · (1 + ε_rx)`; the
//! carrier appears at `f_c·(1 + ε_tx) − f_centre·(1 + ε_rx)` on a sample grid of true rate
//! `f_s·(1 + ε_rx)`, i.e. at `≈ f_c·(ε_tx − ε_rx)` from its nominal offset, as a real receiver
//! sees it.

pub mod cell;
mod l3glue;
pub mod messages;
pub mod physics;
mod resample;
pub mod uplink;

pub use cell::{
    BcchFrames, CellConfig, DedicatedBehaviour, DedicatedConfig, SENT_LOG, SentDedicated,
    Ts0Channel, bcch_si_for, ts0_channel,
};
pub use messages::{CcchLoad, CellCounters, IdleCcch};
pub use physics::{FADING_PATHS, Fading, Physics, Tap};
pub use uplink::{EmitterConfig, EmitterCounters};

use crate::Complex32;
use crate::arfcn::{Band, Direction};
use crate::signal::Rng;
use physics::Chain;
use serde::{Deserialize, Serialize};

/// Half the width of a GSM channel (its main lobe) that must fit in the output band.
const HALF_CHANNEL_HZ: f64 = 90_000.0;
/// Lowest output rate accepted (the resampler's cut-off is ≈ 271 kHz).
pub const MIN_SAMPLE_RATE_SPS: f64 = 400_000.0;

/// A whole scene: receiver, noise, transmitters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneConfig {
    /// Output sample rate (nominal, as the receiver believes), samples per second.
    pub sample_rate_sps: f64,
    /// Receiver centre frequency, Hz.
    pub center_freq_hz: f64,
    /// Receiver clock error, ppm (shifts every carrier and stretches the sample grid).
    pub rx_ppm: f64,
    /// Es/N0 of a 0 dB transmitter, dB; `None` adds no noise.
    pub snr_db: Option<f64>,
    /// Amplitude of a 0 dB transmitter in output units (1.0 = full scale); `None` = automatic.
    pub reference_amplitude: Option<f64>,
    /// Seed of every random choice (content, phases, noise).
    pub seed: u64,
    /// Downlink cells.
    pub cells: Vec<CellConfig>,
    /// Uplink emitters.
    pub emitters: Vec<EmitterConfig>,
}

/// Why a scene cannot be generated. Each names the transmitter and the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SynthError {
    /// The output sample rate is unusable.
    #[error("sample_rate_sps {0} is not supported (must be ≥ {MIN_SAMPLE_RATE_SPS} and finite)")]
    SampleRate(f64),
    /// An ARFCN is not in the stated band.
    #[error("{name}: ARFCN {arfcn} is not in band {band}")]
    Arfcn {
        /// Transmitter name.
        name: String,
        /// Band name.
        band: String,
        /// The ARFCN.
        arfcn: u16,
    },
    /// A carrier does not fit in the output band.
    #[error(
        "{name}: carrier at {offset_hz:.0} Hz from the centre does not fit in the output band \
         (±{half_band_hz:.0} Hz with a 180 kHz main lobe)"
    )]
    OutOfBand {
        /// Transmitter name.
        name: String,
        /// Offset of its carrier from the centre, Hz.
        offset_hz: f64,
        /// Half the output bandwidth, Hz.
        half_band_hz: f64,
    },
    /// A field has a value outside its range.
    #[error("{name}: {field} = {value} is out of range ({expected})")]
    Range {
        /// Transmitter name (or "scene").
        name: String,
        /// Field name.
        field: String,
        /// The value, as text.
        value: String,
        /// What is allowed.
        expected: String,
    },
}

fn range(name: &str, field: &str, value: impl ToString, expected: &str) -> SynthError {
    SynthError::Range {
        name: name.to_string(),
        field: field.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

/// What kind of transmitter a carrier is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CarrierKind {
    /// A downlink cell.
    Cell,
    /// An uplink emitter on one of its ARFCNs.
    Uplink,
}

/// One carrier of the scene, for annotations and summaries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CarrierInfo {
    /// Transmitter name.
    pub name: String,
    /// Cell or uplink emitter.
    pub kind: CarrierKind,
    /// Index in [`SceneConfig::cells`] or [`SceneConfig::emitters`].
    pub index: usize,
    /// Band.
    pub band: Band,
    /// ARFCN.
    pub arfcn: u16,
    /// Nominal carrier frequency, Hz.
    pub carrier_hz: f64,
    /// Carrier offset from the receiver's centre as the receiver sees it at t = 0, Hz.
    pub observed_offset_hz: f64,
    /// Switch-on time, s.
    pub on_s: f64,
    /// Switch-off time, s.
    pub off_s: Option<f64>,
}

/// The running generator.
pub struct Scene {
    chains: Vec<Chain>,
    carriers: Vec<CarrierInfo>,
    ref_amp: f64,
    noise_power: f64,
    noise_rng: Rng,
    produced: u64,
}

impl std::fmt::Debug for Scene {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scene")
            .field("carriers", &self.carriers)
            .field("ref_amp", &self.ref_amp)
            .field("noise_power", &self.noise_power)
            .field("produced", &self.produced)
            .finish()
    }
}

/// Seed for the `k`-th stream derived from the scene seed (SplitMix64 of seed and index).
fn sub_seed(seed: u64, k: u64) -> u64 {
    let mut r = Rng::new(seed ^ k.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    r.next_u64()
}

fn check_physics(name: &str, p: &Physics) -> Result<(), SynthError> {
    let finite = |field: &str, v: f64| {
        if v.is_finite() {
            Ok(())
        } else {
            Err(range(name, field, v, "a finite number"))
        }
    };
    finite("power_db", p.power_db)?;
    finite("freq_offset_ppm", p.freq_offset_ppm)?;
    finite("drift_ppm_per_s", p.drift_ppm_per_s)?;
    finite("timing_offset_s", p.timing_offset_s)?;
    finite("on_s", p.on_s)?;
    if !(0.0..=1.0).contains(&p.edge_s) {
        return Err(range(name, "edge_s", p.edge_s, "0 to 1 s"));
    }
    if p.freq_offset_ppm.abs() > 100.0 {
        return Err(range(
            name,
            "freq_offset_ppm",
            p.freq_offset_ppm,
            "−100 to 100",
        ));
    }
    if !(-10.0..=10.0).contains(&p.timing_offset_s) {
        return Err(range(
            name,
            "timing_offset_s",
            p.timing_offset_s,
            "−10 to 10 s",
        ));
    }
    if let Some(off) = p.off_s
        && (off.is_nan() || off <= p.on_s)
    {
        return Err(range(name, "off_s", off, "greater than on_s"));
    }
    if p.multipath.len() > 3 {
        return Err(range(
            name,
            "multipath",
            p.multipath.len(),
            "at most 3 taps",
        ));
    }
    for t in &p.multipath {
        if !(0.0..=50e-6).contains(&t.delay_s) {
            return Err(range(name, "multipath.delay_s", t.delay_s, "0 to 50 µs"));
        }
        finite("multipath.gain_db", t.gain_db)?;
    }
    if let Some(f) = &p.fading {
        if !(0.0..=2000.0).contains(&f.doppler_hz) {
            return Err(range(
                name,
                "fading.doppler_hz",
                f.doppler_hz,
                "0 to 2000 Hz",
            ));
        }
        if let Some(k) = f.k_db
            && !(-30.0..=40.0).contains(&k)
        {
            return Err(range(name, "fading.k_db", k, "−30 to 40 dB"));
        }
    }
    for w in p.power_profile.windows(2) {
        if w[1].0.is_nan() || w[1].0 < w[0].0 {
            return Err(range(
                name,
                "power_profile",
                w[1].0,
                "times in increasing order",
            ));
        }
    }
    Ok(())
}

impl Scene {
    /// Validate `cfg` and set up the generator.
    pub fn new(cfg: &SceneConfig) -> Result<Scene, SynthError> {
        let fs = cfg.sample_rate_sps;
        if !fs.is_finite() || fs < MIN_SAMPLE_RATE_SPS {
            return Err(SynthError::SampleRate(fs));
        }
        if !cfg.rx_ppm.is_finite() || cfg.rx_ppm.abs() > 100.0 {
            return Err(range("scene", "rx_ppm", cfg.rx_ppm, "−100 to 100"));
        }
        if let Some(s) = cfg.snr_db
            && !s.is_finite()
        {
            return Err(range("scene", "snr_db", s, "a finite number"));
        }
        if let Some(a) = cfg.reference_amplitude
            && !(a > 0.0 && a <= 1.0)
        {
            return Err(range("scene", "reference_amplitude", a, "0 < a ≤ 1"));
        }
        let eps_rx = cfg.rx_ppm * 1e-6;
        let true_rate = fs * (1.0 + eps_rx);
        let half_band = fs / 2.0;

        // Carriers first (validation), chains after the reference amplitude is known.
        struct Pending {
            info: CarrierInfo,
            physics: Physics,
            kind: PendingKind,
        }
        enum PendingKind {
            Cell(Box<CellConfig>),
            Uplink { rate: f64, access: f64, bsic: u8 },
        }
        let mut pending = Vec::new();
        let observed = |carrier_hz: f64, ppm: f64| {
            carrier_hz * (1.0 + ppm * 1e-6) - cfg.center_freq_hz * (1.0 + eps_rx)
        };
        for (i, c) in cfg.cells.iter().enumerate() {
            let name = &c.name;
            check_physics(name, &c.physics)?;
            if c.bsic > 63 {
                return Err(range(name, "bsic", c.bsic, "0 to 63"));
            }
            if c.traffic_timeslots.iter().any(|&t| !(1..=7).contains(&t)) {
                return Err(range(
                    name,
                    "traffic_timeslots",
                    format!("{:?}", c.traffic_timeslots),
                    "1 to 7",
                ));
            }
            let sdcch = &c.dedicated.sdcch8_timeslots;
            if sdcch
                .iter()
                .any(|t| !(1..=7).contains(t) || c.traffic_timeslots.contains(t))
            {
                return Err(range(
                    name,
                    "sdcch8_timeslots",
                    format!("{sdcch:?}"),
                    "1 to 7, not also traffic timeslots",
                ));
            }
            if c.ccch.bs_ag_blks_res > 7 {
                return Err(range(
                    name,
                    "bs_ag_blks_res",
                    c.ccch.bs_ag_blks_res,
                    "0 to 7",
                ));
            }
            for (f, v) in [
                ("paging_per_s", c.ccch.paging_per_s),
                (
                    "immediate_assignment_per_s",
                    c.ccch.immediate_assignment_per_s,
                ),
            ] {
                if !(0.0..=1000.0).contains(&v) {
                    return Err(range(name, f, v, "0 to 1000"));
                }
            }
            if !(0.0..=1.0).contains(&c.ccch.paging_imsi_fraction) {
                return Err(range(
                    name,
                    "paging_imsi_fraction",
                    c.ccch.paging_imsi_fraction,
                    "0 to 1",
                ));
            }
            if c.ccch.paging_types.iter().any(|t| !(1..=3).contains(t)) {
                return Err(range(
                    name,
                    "paging_types",
                    format!("{:?}", c.ccch.paging_types),
                    "1, 2, 3",
                ));
            }
            let carrier_hz = c
                .band
                .freq_hz(c.arfcn, Direction::Downlink)
                .ok_or_else(|| SynthError::Arfcn {
                    name: name.clone(),
                    band: c.band.name().to_string(),
                    arfcn: c.arfcn,
                })?;
            let off = observed(carrier_hz, c.physics.freq_offset_ppm);
            if off.abs() + HALF_CHANNEL_HZ > half_band {
                return Err(SynthError::OutOfBand {
                    name: name.clone(),
                    offset_hz: off,
                    half_band_hz: half_band,
                });
            }
            pending.push(Pending {
                info: CarrierInfo {
                    name: name.clone(),
                    kind: CarrierKind::Cell,
                    index: i,
                    band: c.band,
                    arfcn: c.arfcn,
                    carrier_hz,
                    observed_offset_hz: off,
                    on_s: c.physics.on_s,
                    off_s: c.physics.off_s,
                },
                physics: c.physics.clone(),
                kind: PendingKind::Cell(Box::new(c.clone())),
            });
        }
        for (i, e) in cfg.emitters.iter().enumerate() {
            let name = &e.name;
            check_physics(name, &e.physics)?;
            if e.arfcns.is_empty() {
                return Err(range(name, "arfcns", "[]", "at least one ARFCN"));
            }
            if e.bsic > 63 {
                return Err(range(name, "bsic", e.bsic, "0 to 63"));
            }
            let max_rate = 8.0 / crate::gsm::FRAME_DURATION_S * e.arfcns.len() as f64;
            if !(0.0..=max_rate).contains(&e.bursts_per_s) {
                return Err(range(
                    name,
                    "bursts_per_s",
                    e.bursts_per_s,
                    &format!("0 to {max_rate:.0} (8 per frame per ARFCN)"),
                ));
            }
            if !(0.0..=1.0).contains(&e.access_fraction) {
                return Err(range(name, "access_fraction", e.access_fraction, "0 to 1"));
            }
            for &a in &e.arfcns {
                let carrier_hz =
                    e.band
                        .freq_hz(a, Direction::Uplink)
                        .ok_or_else(|| SynthError::Arfcn {
                            name: name.clone(),
                            band: e.band.name().to_string(),
                            arfcn: a,
                        })?;
                let off = observed(carrier_hz, e.physics.freq_offset_ppm);
                if off.abs() + HALF_CHANNEL_HZ > half_band {
                    return Err(SynthError::OutOfBand {
                        name: name.clone(),
                        offset_hz: off,
                        half_band_hz: half_band,
                    });
                }
                pending.push(Pending {
                    info: CarrierInfo {
                        name: name.clone(),
                        kind: CarrierKind::Uplink,
                        index: i,
                        band: e.band,
                        arfcn: a,
                        carrier_hz,
                        observed_offset_hz: off,
                        on_s: e.physics.on_s,
                        off_s: e.physics.off_s,
                    },
                    physics: e.physics.clone(),
                    kind: PendingKind::Uplink {
                        rate: e.bursts_per_s / e.arfcns.len() as f64,
                        access: e.access_fraction,
                        bsic: e.bsic,
                    },
                });
            }
        }

        // Noise relative to the reference power, per output sample.
        let rel_noise = match cfg.snr_db {
            Some(snr) => fs / crate::gsm::SYMBOL_RATE_SPS / 10f64.powf(snr / 10.0),
            None => 0.0,
        };
        let ref_amp = match cfg.reference_amplitude {
            Some(a) => a,
            None => {
                let peaks: f64 = pending.iter().map(|p| p.physics.peak_amplitude()).sum();
                let denom = peaks + 3.0 * rel_noise.sqrt();
                if denom > 0.0 {
                    (0.7 / denom).min(0.5)
                } else {
                    0.5
                }
            }
        };
        let ref_db = 20.0 * ref_amp.log10();

        let mut chains = Vec::with_capacity(pending.len());
        let mut carriers = Vec::with_capacity(pending.len());
        for (k, p) in pending.into_iter().enumerate() {
            let seed = sub_seed(cfg.seed, k as u64 + 1);
            let mut physics = p.physics.clone();
            physics.power_db += ref_db;
            let src: Box<dyn physics::Baseband> = match p.kind {
                PendingKind::Cell(c) => Box::new(cell::CellBaseband::new(*c, seed)),
                PendingKind::Uplink { rate, access, bsic } => {
                    Box::new(uplink::UplinkBaseband::new(rate, access, bsic, seed))
                }
            };
            let rate_scale = 1.0 + p.physics.freq_offset_ppm * 1e-6;
            chains.push(Chain::new(
                src,
                physics,
                p.info.observed_offset_hz,
                p.info.carrier_hz,
                true_rate,
                rate_scale,
                seed,
            ));
            carriers.push(p.info);
        }
        Ok(Scene {
            chains,
            carriers,
            ref_amp,
            noise_power: rel_noise * ref_amp * ref_amp,
            noise_rng: Rng::new(sub_seed(cfg.seed, 0)),
            produced: 0,
        })
    }

    /// Amplitude of a 0 dB transmitter in output units (1.0 = full scale).
    pub fn reference_amplitude(&self) -> f64 {
        self.ref_amp
    }

    /// Noise power per output sample (output units², 0 without noise).
    pub fn noise_power(&self) -> f64 {
        self.noise_power
    }

    /// The scene's carriers (one per cell, one per emitter ARFCN), in mixing order.
    pub fn carriers(&self) -> &[CarrierInfo] {
        &self.carriers
    }

    /// Samples generated so far.
    pub fn samples_generated(&self) -> u64 {
        self.produced
    }

    /// What each cell has sent so far, in [`SceneConfig::cells`] order.
    pub fn cell_counters(&self) -> Vec<CellCounters> {
        self.chains
            .iter()
            .filter_map(|c| c.cell_counters())
            .collect()
    }

    /// The latest SDCCH frames each cell sent in clear (at most [`SENT_LOG`] per cell), in
    /// [`SceneConfig::cells`] order.
    pub fn dedicated_sent(&self) -> Vec<Vec<SentDedicated>> {
        self.chains
            .iter()
            .filter(|c| c.cell_counters().is_some())
            .map(|c| c.dedicated_sent())
            .collect()
    }

    /// What each emitter has sent so far on each ARFCN, in carrier order.
    pub fn emitter_counters(&self) -> Vec<EmitterCounters> {
        self.chains
            .iter()
            .filter_map(|c| c.emitter_counters())
            .collect()
    }

    /// Overwrite `out` with the next `out.len()` samples of the scene.
    pub fn fill(&mut self, out: &mut [Complex32]) {
        out.fill(Complex32::new(0.0, 0.0));
        for c in &mut self.chains {
            c.add_to(out);
        }
        add_noise_fast(&mut self.noise_rng, self.noise_power, out);
        self.produced += out.len() as u64;
    }
}

/// Add complex white Gaussian noise of total power `power` per sample (Marsaglia's polar method:
/// one logarithm and one square root per complex sample, no trigonometry).
fn add_noise_fast(rng: &mut Rng, power: f64, out: &mut [Complex32]) {
    if power <= 0.0 {
        return;
    }
    let sigma = (power / 2.0).sqrt();
    for s in out.iter_mut() {
        let (u, v, r2) = loop {
            let u = 2.0 * rng.uniform() - 1.0;
            let v = 2.0 * rng.uniform() - 1.0;
            let r2 = u * u + v * v;
            if r2 > 0.0 && r2 < 1.0 {
                break (u, v, r2);
            }
        };
        let k = sigma * (-2.0 * r2.ln() / r2).sqrt();
        *s += Complex32::new((u * k) as f32, (v * k) as f32);
    }
}

#[cfg(test)]
mod tests;
