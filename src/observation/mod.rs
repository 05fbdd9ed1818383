//! Observations: what the DSP stages report about the air, stamped with stream time.
//! One file per technology: `gsm.rs`, `lte.rs`; this file holds the enum and the spectrum and
//! uplink types.
//!
//! Everything downstream (cell registry, detectors, alerts, sinks, dashboard) consumes these, and
//! the same observations come out of a live receiver and a replayed file for the same samples.
//! Times are sample-based (`sample_index` / `time_s` since the start of the stream), never wall
//! clock, so replays are reproducible.

pub mod gsm;
pub mod lte;

use serde::Serialize;
use towerwatch_dsp::arfcn::{Band, Channel, Direction, channels_in_span};
use towerwatch_dsp::spectrum::Psd;

/// A carrier must stand this far above the channel noise floor to be listed as one.
pub const CARRIER_THRESHOLD_DB: f64 = 10.0;

/// One observation.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Observation {
    /// An averaged spectrum over an interval, with GSM channel powers.
    Spectrum(SpectrumObs),
    /// A GSM carrier measured on its FCCH (frequency offset).
    Carrier(gsm::CarrierObs),
    /// A decoded SCH (BSIC, frame number).
    Sync(gsm::SyncObs),
    /// A decoded system information message (BCCH).
    SystemInfo(gsm::MessageObs),
    /// A decoded CCCH message (paging, immediate assignment).
    Ccch(gsm::MessageObs),
    /// A decoded frame of a dedicated channel (SDCCH/SACCH) an Immediate Assignment pointed to.
    Dedicated(gsm::DedicatedObs),
    /// A receiver lost synchronisation.
    SyncLost(gsm::SyncLostObs),
    /// Per-carrier decode counters (at the end of a stream or segment).
    DecodeStats(gsm::DecodeStatsObs),
    /// Burst activity on the uplink channels in view over a spectrum interval (sent just
    /// before that interval's spectrum observation).
    UplinkActivity(UplinkActivityObs),
    /// An LTE cell found by the LTE receiver in a block of samples (PCI, MIB, measurements).
    LteCell(lte::LteCellObs),
}

/// Burst activity on one uplink channel.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UplinkChannelActivity {
    /// Band the ARFCN is numbered in.
    pub band: Band,
    /// Uplink ARFCN.
    pub arfcn: u16,
    /// Carrier frequency.
    pub freq_hz: f64,
    /// Bursts that started in the interval.
    pub bursts: u64,
    /// Bursts per second.
    pub bursts_per_s: f64,
    /// Fraction of the interval the channel was busy (near 1: a continuous carrier, not bursts).
    pub active_fraction: f64,
    /// Mean level of the active frames above the noise reference, dB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_active_db: Option<f64>,
}

/// Burst counting per uplink channel over `[time_s, time_s + duration_s)` (see
/// `towerwatch_dsp::activity`): only channels with at least one burst are listed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UplinkActivityObs {
    /// First sample of the interval.
    pub sample_index: u64,
    /// Start of the interval in stream seconds.
    pub time_s: f64,
    /// Length of the interval.
    pub duration_s: f64,
    /// Uplink channels in view (whether active or not).
    pub channels_in_view: usize,
    /// The channels that carried bursts, in frequency order.
    pub active: Vec<UplinkChannelActivity>,
}

/// The uplink channels whose centre lies inside the usable span of a capture (the same set
/// [`channel_powers`] measures).
pub fn uplink_channels_in_view(center_freq_hz: f64, rate_sps: f64) -> Vec<Channel> {
    channels_in_span(
        center_freq_hz,
        rate_sps * USABLE_FRACTION + 200e3,
        Direction::Uplink,
    )
}

/// Power in one GSM channel.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChannelPower {
    /// Band the ARFCN is numbered in.
    pub band: Band,
    /// ARFCN.
    pub arfcn: u16,
    /// Carrier frequency.
    pub freq_hz: f64,
    /// Total power in the 200 kHz channel, dBFS.
    pub power_dbfs: f64,
    /// Power above the noise floor in a 200 kHz channel, dB.
    pub snr_db: f64,
}

/// An averaged spectrum over `[time_s, time_s + duration_s)`.
#[derive(Debug, Clone, Serialize)]
pub struct SpectrumObs {
    /// First sample of the interval.
    pub sample_index: u64,
    /// Start of the interval in stream seconds.
    pub time_s: f64,
    /// Length of the interval.
    pub duration_s: f64,
    /// Tuner centre frequency.
    pub center_freq_hz: f64,
    /// Sample rate.
    pub sample_rate_sps: f64,
    /// Noise floor in a 200 kHz channel, dBFS.
    pub noise_floor_dbfs: f64,
    /// Strongest spectral line: absolute frequency and tone power (dBFS).
    pub peak_freq_hz: f64,
    /// Power of the strongest spectral line, dBFS.
    pub peak_dbfs: f64,
    /// Channels standing at least [`CARRIER_THRESHOLD_DB`] above the noise floor, strongest first.
    pub carriers: Vec<ChannelPower>,
    /// Every whole GSM channel in the captured bandwidth (downlink and uplink numbering), in
    /// frequency order.
    pub channels: Vec<ChannelPower>,
    /// The PSD itself (dBFS per bin, bin 0 at centre − rate/2); omitted unless requested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psd_dbfs: Option<Vec<f32>>,
}

/// Fraction of the sample rate treated as usable bandwidth: receivers' anti-alias filters roll
/// off in the outer 7.5% on each side (RTL-SDR at 2.4 MS/s: about 2 MHz usable).
pub const USABLE_FRACTION: f64 = 0.85;

/// Measure every GSM channel whose carrier lies inside the spectrum's usable span
/// ([`USABLE_FRACTION`]); the channel's skirts may reach past it.
pub fn channel_powers(psd: &Psd, center_freq_hz: f64) -> (f64, Vec<ChannelPower>) {
    let usable_hz = psd.sample_rate_sps * USABLE_FRACTION;
    let floor_ch_dbfs = psd.noise_floor_dbfs() + 10.0 * (200e3 / psd.bin_width_hz()).log10();
    let mut out = Vec::new();
    let mut seen: Vec<f64> = Vec::new();
    for dir in [Direction::Downlink, Direction::Uplink] {
        for Channel {
            band,
            arfcn,
            freq_hz,
            ..
        } in channels_in_span(center_freq_hz, usable_hz + 200e3, dir)
        {
            if seen.iter().any(|f| (f - freq_hz).abs() < 1.0) {
                continue;
            }
            seen.push(freq_hz);
            let p = psd.channel_power_dbfs(freq_hz - center_freq_hz);
            out.push(ChannelPower {
                band,
                arfcn,
                freq_hz,
                power_dbfs: round2(p),
                snr_db: round2(p - floor_ch_dbfs),
            });
        }
    }
    out.sort_by(|a, b| a.freq_hz.total_cmp(&b.freq_hz));
    (round2(floor_ch_dbfs), out)
}

/// Build a spectrum observation from a PSD.
pub fn spectrum_obs(
    psd: &Psd,
    center_freq_hz: f64,
    sample_index: u64,
    samples: u64,
    include_psd: bool,
) -> SpectrumObs {
    let rate = psd.sample_rate_sps;
    let (floor, channels) = channel_powers(psd, center_freq_hz);
    let mut carriers: Vec<ChannelPower> = channels
        .iter()
        .filter(|c| c.snr_db >= CARRIER_THRESHOLD_DB)
        .cloned()
        .collect();
    carriers.sort_by(|a, b| b.power_dbfs.total_cmp(&a.power_dbfs));
    let (peak_off, peak_db) = psd.peak().unwrap_or((0.0, f64::NEG_INFINITY));
    SpectrumObs {
        sample_index,
        time_s: sample_index as f64 / rate,
        duration_s: samples as f64 / rate,
        center_freq_hz,
        sample_rate_sps: rate,
        noise_floor_dbfs: floor,
        peak_freq_hz: (center_freq_hz + peak_off).round(),
        peak_dbfs: round2(peak_db),
        carriers,
        channels,
        psd_dbfs: include_psd.then(|| psd.dbfs_all().iter().map(|&d| d as f32).collect()),
    }
}

/// Round to 2 decimals (keeps JSON output stable and readable).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
