//! GSM observations: carriers (FCCH), synchronisation (SCH), BCCH/CCCH and dedicated-channel
//! messages, lost synchronisation and per-carrier decode counters.

use serde::Serialize;
use serde_json::Value;
use towerwatch_dsp::arfcn::Band;
use towerwatch_dsp::gsm::l3::Message;
use towerwatch_dsp::gsm::rx::{DedicatedCounters, RxStats};

/// Per-carrier decode counters (reported in `decode_stats` observations).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CarrierCounters {
    /// Receiver counters (FCCH found, SCH ok/failed, bursts…).
    pub rx: RxStats,
    /// xCCH blocks whose Fire code checked.
    pub blocks_ok: u64,
    /// xCCH blocks that failed the Fire code (or Viterbi).
    pub blocks_failed: u64,
    /// Blocks missing bursts.
    pub blocks_incomplete: u64,
    /// Frames that did not parse as L3.
    pub l3_malformed: u64,
    /// L2 fill frames (idle channel).
    pub fill_frames: u64,
    /// Dedicated channels (SDCCH/SACCH) followed after Immediate Assignments.
    pub dedicated: DedicatedStats,
}

/// Counters of the dedicated channels of one carrier.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DedicatedStats {
    /// Block decoding on the followed timeslots (ok, failed — noise or ciphered —, idle).
    pub blocks: DedicatedCounters,
    /// Dedicated frames reported (fill frames excluded).
    pub frames: u64,
    /// L2 fill frames on SDCCH/SACCH.
    pub fill_frames: u64,
    /// Frames whose LAPDm header or L3 message did not parse.
    pub malformed: u64,
    /// L3 messages reassembled from segmented I-frames.
    pub reassembled: u64,
    /// Partial segmented messages dropped (a segment missing).
    pub segments_dropped: u64,
    /// Assignments (SDCCH/8 or SDCCH/4, on this ARFCN, not hopping) whose timeslot is followed.
    pub assignments_followed: u64,
    /// Assignments not followed, by cause.
    pub not_followed: NotFollowed,
}

/// Why assigned channels were not followed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NotFollowed {
    /// Frequency hopping (the hopping sequence is not tracked).
    pub hopping: u64,
    /// On another ARFCN than this carrier.
    pub other_arfcn: u64,
    /// A traffic channel (TCH/F, TCH/H).
    pub tch: u64,
    /// Another channel type, or a timeslot the channel type cannot be on.
    pub other: u64,
}

/// A carrier measured on its FCCH.
#[derive(Debug, Clone, Serialize)]
pub struct CarrierObs {
    /// Stream sample index of the FCCH burst.
    pub sample_index: u64,
    /// Stream time.
    pub time_s: f64,
    /// Band.
    pub band: Band,
    /// ARFCN.
    pub arfcn: u16,
    /// Nominal carrier frequency.
    pub freq_hz: f64,
    /// Measured offset from nominal (includes the receiver's own error), Hz.
    pub freq_offset_hz: f64,
    /// The same in ppm.
    pub freq_offset_ppm: Option<f64>,
    /// 1σ uncertainty of the offset, Hz.
    pub uncertainty_hz: f64,
    /// FCCH tone-to-noise ratio, dB.
    pub snr_db: f64,
    /// Whether the receiver was synchronised.
    pub synchronized: bool,
}

/// A decoded SCH.
#[derive(Debug, Clone, Serialize)]
pub struct SyncObs {
    /// Stream sample index of the SCH burst.
    pub sample_index: u64,
    /// Stream time.
    pub time_s: f64,
    /// Band.
    pub band: Band,
    /// ARFCN.
    pub arfcn: u16,
    /// BSIC (NCC·8 + BCC).
    pub bsic: u8,
    /// Network colour code.
    pub ncc: u8,
    /// Base station colour code.
    pub bcc: u8,
    /// TDMA frame number.
    pub frame_number: u32,
}

/// Synchronisation lost.
#[derive(Debug, Clone, Serialize)]
pub struct SyncLostObs {
    /// Stream sample index.
    pub sample_index: u64,
    /// Stream time.
    pub time_s: f64,
    /// Band.
    pub band: Band,
    /// ARFCN.
    pub arfcn: u16,
    /// Last frame number.
    pub frame_number: u32,
    /// Why.
    pub reason: String,
}

/// A decoded BCCH/CCCH message.
#[derive(Debug, Clone, Serialize)]
pub struct MessageObs {
    /// Stream sample index of the block's last burst.
    pub sample_index: u64,
    /// Stream time.
    pub time_s: f64,
    /// Band.
    pub band: Band,
    /// ARFCN.
    pub arfcn: u16,
    /// Frame number of the block's first burst.
    pub frame_number: u32,
    /// Logical channel (`bcch`, `ccch`).
    pub channel: String,
    /// Message name.
    pub name: String,
    /// The 23-octet L2 frame (identities masked unless revealed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l2_hex: Option<String>,
    /// The parsed message (identities masked unless revealed).
    pub message: Value,
    /// The parsed message itself, for in-process consumers (never serialised: it holds identities
    /// in clear).
    #[serde(skip)]
    pub parsed: Message,
    /// The L2 frame as received (never serialised: it holds identities in clear). Sinks that
    /// write frames (GSMTAP, pcap) must mask it unless the user asked for clear output.
    #[serde(skip)]
    pub raw: [u8; 23],
}

/// A decoded frame of a dedicated channel (SDCCH or its SACCH) followed after an Immediate
/// Assignment.
#[derive(Debug, Clone, Serialize)]
pub struct DedicatedObs {
    /// Stream sample index of the block's last burst.
    pub sample_index: u64,
    /// Stream time.
    pub time_s: f64,
    /// Band.
    pub band: Band,
    /// ARFCN.
    pub arfcn: u16,
    /// Frame number of the block's first burst.
    pub frame_number: u32,
    /// Timeslot.
    pub timeslot: u8,
    /// SDCCH/SACCH sub-channel.
    pub sub_channel: u8,
    /// Logical channel (`sdcch`, `sacch`).
    pub channel: String,
    /// LAPDm SAPI (0 signalling, 3 SMS).
    pub sapi: u8,
    /// LAPDm control field (`I N(S)=0 N(R)=0 M`, `UA F`, …).
    pub lapdm: String,
    /// Message name (of the whole message for the last segment of a segmented one).
    pub name: String,
    /// The 23-octet L2 frame (identities and SMS content masked unless revealed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l2_hex: Option<String>,
    /// The parsed message (masked unless revealed; null for frames without one).
    pub message: Value,
    /// The parsed message, for in-process consumers (never serialised: it holds private data).
    #[serde(skip)]
    pub parsed: Option<Message>,
    /// The L2 frame as received (never serialised).
    #[serde(skip)]
    pub raw: [u8; 23],
    /// `raw` with its private octets (identities, SMS content, anything not known to be free of
    /// them) masked ([`crate::privacy`]): what sinks that write frames write unless asked for
    /// clear output.
    #[serde(skip)]
    pub masked: [u8; 23],
}

/// Decode counters of one carrier.
#[derive(Debug, Clone, Serialize)]
pub struct DecodeStatsObs {
    /// Band.
    pub band: Band,
    /// ARFCN.
    pub arfcn: u16,
    /// Carrier frequency.
    pub freq_hz: f64,
    /// Counters.
    pub counters: CarrierCounters,
}
