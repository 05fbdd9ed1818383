//! The receiver's public vocabulary: its configuration, errors, states, events and counters.

use super::*;

/// Receiver configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RxConfig {
    /// Input sample rate.
    pub input_rate_sps: f64,
    /// Where the carrier sits relative to the input's centre frequency.
    pub channel_offset_hz: f64,
    /// The carrier's nominal RF frequency, when known: used only to express offsets in ppm.
    pub carrier_hz: Option<f64>,
    /// Largest carrier frequency error the FCCH search accepts (default 25 kHz; keep it below
    /// ~30 kHz: the channel filter is flat to 100 kHz and FCCH sits at +67.7 kHz).
    pub max_freq_offset_hz: f64,
    /// Timeslots to demodulate and report as [`RxEvent::Burst`] (bit n = TS n). TS0 is always
    /// demodulated for timing tracking, but only reported if its bit is set.
    pub timeslot_mask: u8,
    /// Frames before the first SCH to demodulate once synchronised (0 = none).
    pub backfill_frames: u32,
    /// Consecutive SCH decoding failures (one SCH per 10 or 11 frames) that mean loss of sync.
    pub max_sch_failures: u32,
    /// Samples of the original stream per sample fed to this receiver (1 when fed the stream
    /// itself; the decimation when fed one output of a [`crate::filter::Channelizer`]).
    /// Event sample indices are `index_origin + index_scale × t`, `t` being the time in this
    /// receiver's input samples, so they count samples of the original stream.
    #[serde(default = "one")]
    pub index_scale: f64,
    /// Original-stream index (fractional) of this receiver's input sample 0 (see
    /// [`RxConfig::index_scale`]; 0 when fed the stream itself).
    #[serde(default)]
    pub index_origin: f64,
}

fn one() -> f64 {
    1.0
}

impl RxConfig {
    /// Defaults for a carrier at `channel_offset_hz` in an input at `input_rate_sps`: ±25 kHz
    /// search range, all timeslots, 64 frames of back-fill, sync lost after 6 failed SCH.
    pub fn new(input_rate_sps: f64, channel_offset_hz: f64) -> Self {
        RxConfig {
            input_rate_sps,
            channel_offset_hz,
            carrier_hz: None,
            max_freq_offset_hz: 25_000.0,
            timeslot_mask: 0xff,
            backfill_frames: 64,
            max_sch_failures: 6,
            index_scale: 1.0,
            index_origin: 0.0,
        }
    }
}

/// Why a receiver could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RxError {
    /// The channel filter could not be designed for these rates.
    #[error("channel filter: {0}")]
    Filter(#[from] FilterError),
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    Config(&'static str),
}

/// What a demodulated burst was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BurstKind {
    /// Synchronisation burst (TS0, frames 1/11/21/31/41 of the 51-multiframe).
    Sch,
    /// Normal burst (training sequence fits better than the dummy burst).
    Normal,
    /// Dummy burst (TS 45.002 §5.2.6).
    Dummy,
    /// Nothing on air (20 dB or more below TS0).
    Empty,
}

/// The receiver's state (gr-gsm's `fcch_search`, `sch_search`, `synchronized`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RxState {
    /// Looking for a frequency-correction burst.
    FcchSearch,
    /// FCCH found; waiting for the synchronisation burst one frame later.
    SchSearch,
    /// Frame timing and number known; demodulating every timeslot.
    Synchronized,
}

/// Why synchronisation was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncLossReason {
    /// Too many consecutive SCH bursts failed to decode.
    SchFailures,
    /// TS0 carried no usable signal for two 51-multiframes.
    SignalLost,
}

/// One demodulated burst.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RxBurst {
    /// Input sample index of the burst's first bit.
    pub sample_index: u64,
    /// TDMA frame number.
    pub frame_number: u32,
    /// Timeslot 0–7.
    pub timeslot: u8,
    /// What it is.
    pub kind: BurstKind,
    /// 148 soft bits, tail to tail (> 0 ⇒ 1, magnitude = log-likelihood ratio, clipped to ±64).
    #[serde(with = "soft_bits_serde")]
    pub soft_bits: [f32; 148],
    /// SNR of the channel estimate (channel energy over residual noise), dB.
    pub snr_db: f32,
    /// Received power relative to full scale 1.0, dB.
    pub power_db: f32,
    /// Timing of the burst relative to where the frame clock expected it, symbols.
    pub timing_offset_symbols: f32,
}

/// What the receiver reports. Serialised with a `"event"` tag in snake case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RxEvent {
    /// A frequency-correction burst was found (searching) or measured (synchronised).
    FcchFound {
        /// Input sample index of the burst's first bit.
        sample_index: u64,
        /// Best estimate of the carrier's offset from its nominal frequency (all FCCH so far), Hz.
        freq_offset_hz: f64,
        /// 1σ uncertainty of `freq_offset_hz`, Hz.
        uncertainty_hz: f64,
        /// `freq_offset_hz` in ppm of [`RxConfig::carrier_hz`], when given.
        freq_offset_ppm: Option<f64>,
        /// This burst's own estimate, Hz.
        burst_offset_hz: f64,
        /// Tone-to-noise ratio over the burst, dB.
        snr_db: f32,
        /// Whether the receiver was already synchronised (the burst was where the frame clock put it).
        synchronized: bool,
    },
    /// A synchronisation burst decoded.
    SchDecoded {
        /// Input sample index of the burst's first bit.
        sample_index: u64,
        /// Base station identity code (NCC·8 + BCC).
        bsic: u8,
        /// Network colour code.
        ncc: u8,
        /// Base station colour code.
        bcc: u8,
        /// TDMA frame number.
        frame_number: u32,
        /// T1 (FN div 1326).
        t1: u16,
        /// T2 (FN mod 26).
        t2: u8,
        /// T3 (FN mod 51).
        t3: u8,
        /// Coded bits the Viterbi decoder had to correct.
        bit_errors: u32,
        /// Burst SNR, dB.
        snr_db: f32,
        /// Whether the frame number equals the one the frame clock expected (always true for the
        /// first SCH after a search).
        frame_number_ok: bool,
    },
    /// A synchronisation burst did not decode (parity failure, or contents impossible for an SCH).
    SchFailed {
        /// Input sample index where the burst was expected.
        sample_index: u64,
        /// The frame number expected there, when synchronised.
        expected_frame_number: Option<u32>,
        /// Burst SNR, dB.
        snr_db: f32,
    },
    /// A demodulated burst (boxed: 148 soft bits), for the timeslots in
    /// [`RxConfig::timeslot_mask`]. FCCH bursts are reported as [`RxEvent::FcchFound`] instead.
    Burst(Box<RxBurst>),
    /// Synchronisation lost: the receiver searches for FCCH again.
    SyncLost {
        /// Input sample index where it was noticed.
        sample_index: u64,
        /// Last frame number.
        frame_number: u32,
        /// Why.
        reason: SyncLossReason,
    },
}

/// Per-stage counters of a receiver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RxStats {
    /// Input samples consumed.
    pub input_samples: u64,
    /// Input samples that were NaN or infinite (replaced by zero).
    pub nonfinite_samples: u64,
    /// FCCH bursts found while searching.
    pub fcch_found: u64,
    /// Tone candidates rejected (continuous tone, or no measurable burst).
    pub fcch_rejected: u64,
    /// FCCH bursts measured while synchronised.
    pub fcch_tracked: u64,
    /// SCH bursts decoded.
    pub sch_ok: u64,
    /// SCH bursts that failed to decode.
    pub sch_failed: u64,
    /// SCH decodes whose frame number disagreed with the frame clock.
    pub sch_fn_mismatch: u64,
    /// Times synchronisation was gained.
    pub sync_gained: u64,
    /// Times synchronisation was lost.
    pub sync_lost: u64,
    /// Normal bursts demodulated.
    pub bursts_normal: u64,
    /// Dummy bursts demodulated.
    pub bursts_dummy: u64,
    /// Empty timeslots.
    pub bursts_empty: u64,
    /// Times the mixer was retuned from an FCCH estimate.
    pub retunes: u64,
}

/// Serde for `[f32; 148]` (serde derives arrays only up to 32 elements).
mod soft_bits_serde {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f32; 148], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[f32; 148], D::Error> {
        let v = Vec::<f32>::deserialize(d)?;
        <[f32; 148]>::try_from(v.as_slice())
            .map_err(|_| D::Error::invalid_length(v.len(), &"148 soft bits"))
    }
}
