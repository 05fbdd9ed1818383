//! The cell registry: every GSM and LTE cell seen on the air, built from [`Observation`]s.
//! (LTE cells, keyed by EARFCN and PCI, are in `lte.rs`; the rest of this page is about GSM.)
//!
//! A *cell* here is one downlink carrier, keyed by band and ARFCN; its identity (BSIC from the
//! SCH, CGI = MCC-MNC-LAC-CI from SI3/SI4) is attached as it is decoded, and a change of identity
//! on the same carrier is kept in a short history (that is what the cloned-identity detector
//! looks at). Next to the cells the registry keeps what the spectrum says about every 200 kHz
//! channel in the captured band (power history, whether a carrier stands there), which the
//! spectrum-only detectors use.
//!
//! Time is stream time (`time_s` of the observations), never the wall clock.
//!
//! Memory bounds (the tool runs for hours):
//! - at most [`MAX_CELLS`] cells; when full, the cell seen least recently is dropped;
//! - per cell: [`HISTORY_LEN`] power samples, [`HISTORY_LEN`] frequency-offset samples,
//!   [`MAX_IDENTITIES`] distinct BSICs and CGIs, the Immediate Assignment times of the last
//!   [`IA_WINDOW_S`] seconds capped at [`MAX_IA_TIMES`], and a [`CellSummary`] (whose maps are keyed
//!   by message name and identity kind: a few dozen entries at most);
//! - at most [`MAX_CHANNELS`] spectrum channels, each with [`HISTORY_LEN`] power samples.

pub mod baseline;
pub mod lte;
pub mod opencellid;
pub mod operators;
pub mod plmn_list;

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use serde::{Deserialize, Serialize};
use towerwatch_dsp::arfcn::{Band, Direction};
use towerwatch_dsp::gsm::l3::{CellSummary, Lai, Message};

use crate::observation::Observation;
pub use baseline::{
    Baseline, BaselineCell, BaselineError, BaselineLteCell, BaselineLteEcgi, CellStatus,
};
pub use lte::{LteCell, LteCellId};
pub use operators::{Operator, Operators, OperatorsError};

/// At most this many cells are kept (least recently seen dropped first).
pub const MAX_CELLS: usize = 256;
/// Power and frequency-offset samples kept per cell or channel.
pub const HISTORY_LEN: usize = 64;
/// Distinct BSICs / CGIs remembered per carrier.
pub const MAX_IDENTITIES: usize = 8;
/// Immediate Assignments are counted over this sliding window of stream time.
pub const IA_WINDOW_S: f64 = 60.0;
/// At most this many Immediate Assignment times are kept per cell (~ the CCCH capacity of one
/// carrier over [`IA_WINDOW_S`] is below 40/s × 60 s).
pub const MAX_IA_TIMES: usize = 4096;
/// At most this many spectrum channels are tracked.
pub const MAX_CHANNELS: usize = 4096;

/// Cell global identity: MCC, MNC, LAC, CI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cgi {
    /// Mobile country code.
    pub mcc: u16,
    /// Mobile network code.
    pub mnc: u16,
    /// Location area code.
    pub lac: u16,
    /// Cell identity.
    pub ci: u16,
}

impl Cgi {
    /// From a decoded LAI and cell identity.
    pub fn new(lai: &Lai, ci: u16) -> Cgi {
        Cgi {
            mcc: lai.mcc,
            mnc: lai.mnc,
            lac: lai.lac,
            ci,
        }
    }

    /// Parse `MCC-MNC-LAC-CI` (decimal), e.g. `262-01-4101-10011`.
    pub fn parse(s: &str) -> Option<Cgi> {
        let p: Vec<&str> = s.trim().split(['-', '/', ':']).collect();
        if p.len() != 4 {
            return None;
        }
        Some(Cgi {
            mcc: p[0].parse().ok()?,
            mnc: p[1].parse().ok()?,
            lac: p[2].parse().ok()?,
            ci: p[3].parse().ok()?,
        })
    }

    /// The PLMN (MCC, MNC).
    pub fn plmn(&self) -> (u16, u16) {
        (self.mcc, self.mnc)
    }
}

impl fmt::Display for Cgi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:03}-{:02}-{}-{}",
            self.mcc, self.mnc, self.lac, self.ci
        )
    }
}

/// What identifies a cell in findings and alerts: the carrier (band, ARFCN) and what it says it
/// is (BSIC, CGI), as far as decoded. A spectrum-only finding has neither BSIC nor CGI; an
/// uplink finding has `uplink = true` and names the uplink channel.
///
/// An LTE cell's key has `lte` set (EARFCN and PCI); its GSM fields then name no carrier
/// (`band` is [`LTE_KEY_BAND`] and `arfcn` [`LTE_KEY_ARFCN`], a number no GSM band has, so GSM
/// lookups by band and ARFCN find nothing) and are left out of the JSON, which reads
/// `{"lte":{"earfcn":…,"pci":…}}`. GSM keys serialise exactly as before LTE existed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "CellKeyWire", try_from = "CellKeyWire")]
pub struct CellKey {
    /// Band the ARFCN is numbered in.
    pub band: Band,
    /// ARFCN.
    pub arfcn: u16,
    /// Uplink channel (SIM-box detector) rather than a downlink cell.
    pub uplink: bool,
    /// Base station identity code, if an SCH was decoded.
    pub bsic: Option<u8>,
    /// Cell global identity, if SI3/SI4 was decoded.
    pub cgi: Option<Cgi>,
    /// The LTE cell (EARFCN, PCI) when this is an LTE cell's key.
    pub lte: Option<LteCellId>,
}

/// The `band` of an LTE cell's [`CellKey`] (ignored: `lte` is what names the cell).
pub const LTE_KEY_BAND: Band = Band::EGsm900;
/// The `arfcn` of an LTE cell's [`CellKey`]: no GSM band numbers a channel 65535.
pub const LTE_KEY_ARFCN: u16 = u16::MAX;

/// What alerts are grouped by: GSM band, ARFCN, uplink, and the LTE cell for LTE keys.
pub type CarrierId = (Band, u16, bool, Option<LteCellId>);

/// How a [`CellKey`] is written: the GSM fields only for GSM keys, `lte` only for LTE keys.
#[derive(Serialize, Deserialize)]
struct CellKeyWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    band: Option<Band>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    arfcn: Option<u16>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    uplink: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bsic: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cgi: Option<Cgi>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lte: Option<LteCellId>,
}

impl From<CellKey> for CellKeyWire {
    fn from(k: CellKey) -> CellKeyWire {
        let gsm = k.lte.is_none();
        CellKeyWire {
            band: gsm.then_some(k.band),
            arfcn: gsm.then_some(k.arfcn),
            uplink: k.uplink,
            bsic: k.bsic,
            cgi: k.cgi,
            lte: k.lte,
        }
    }
}

impl TryFrom<CellKeyWire> for CellKey {
    type Error = String;
    fn try_from(w: CellKeyWire) -> Result<CellKey, String> {
        if let Some(id) = w.lte {
            return Ok(CellKey::lte_cell(id));
        }
        match (w.band, w.arfcn) {
            (Some(band), Some(arfcn)) => Ok(CellKey {
                band,
                arfcn,
                uplink: w.uplink,
                bsic: w.bsic,
                cgi: w.cgi,
                lte: None,
            }),
            _ => Err("a cell key needs band and arfcn (GSM) or lte (LTE)".into()),
        }
    }
}

impl CellKey {
    /// A carrier with no decoded identity yet.
    pub fn carrier(band: Band, arfcn: u16) -> CellKey {
        CellKey {
            band,
            arfcn,
            uplink: false,
            bsic: None,
            cgi: None,
            lte: None,
        }
    }

    /// An LTE cell.
    pub fn lte_cell(id: LteCellId) -> CellKey {
        CellKey {
            band: LTE_KEY_BAND,
            arfcn: LTE_KEY_ARFCN,
            uplink: false,
            bsic: None,
            cgi: None,
            lte: Some(id),
        }
    }

    /// The carrier part of the key (what alerts are grouped by).
    pub fn carrier_id(&self) -> CarrierId {
        (self.band, self.arfcn, self.uplink, self.lte)
    }
}

impl fmt::Display for CellKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(id) = self.lte {
            return write!(f, "{id}");
        }
        if self.uplink {
            write!(f, "uplink {} ARFCN {}", self.band, self.arfcn)?;
        } else {
            write!(f, "{} ARFCN {}", self.band, self.arfcn)?;
        }
        if let Some(b) = self.bsic {
            write!(f, " BSIC {b}")?;
        }
        if let Some(c) = self.cgi {
            write!(f, " CGI {c}")?;
        }
        Ok(())
    }
}

/// One power reading of a cell or channel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PowerSample {
    /// Stream time of the interval start.
    pub time_s: f64,
    /// Channel power, dBFS.
    pub power_dbfs: f64,
    /// Above the noise floor, dB.
    pub snr_db: f64,
}

/// One frequency-offset reading (FCCH) of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OffsetSample {
    /// Stream time.
    pub time_s: f64,
    /// Offset from nominal, ppm of the carrier frequency (includes the receiver's own error).
    pub offset_ppm: f64,
    /// 1σ uncertainty, ppm.
    pub uncertainty_ppm: f64,
}

/// CCCH load of a cell.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CcchRates {
    /// Paging messages by type name ("Paging Request Type 1", …).
    pub paging_by_type: BTreeMap<String, u64>,
    /// Paged identities by kind ("imsi", "tmsi", …): counts only, never the identities.
    pub paged_by_kind: BTreeMap<String, u64>,
    /// Immediate Assignments in total (an Extended one counts twice).
    pub immediate_assignments: u64,
    /// Stream times of the Immediate Assignments within the last [`IA_WINDOW_S`].
    #[serde(skip)]
    pub ia_times: VecDeque<f64>,
    /// First CCCH message of this cell (stream time).
    pub first_ccch_s: Option<f64>,
}

/// Everything known about one carrier.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// Band.
    pub band: Band,
    /// ARFCN.
    pub arfcn: u16,
    /// Nominal downlink frequency.
    pub freq_hz: f64,
    /// First observation (stream time).
    pub first_seen_s: f64,
    /// Latest observation (stream time).
    pub last_seen_s: f64,
    /// Latest BSIC.
    pub bsic: Option<u8>,
    /// Distinct BSICs seen on this carrier, oldest first.
    pub bsics: Vec<u8>,
    /// Latest CGI.
    pub cgi: Option<Cgi>,
    /// Distinct CGIs seen on this carrier, oldest first.
    pub cgis: Vec<Cgi>,
    /// The broadcast picture (SI1–SI4, paging and IA counts).
    pub summary: CellSummary,
    /// Power history (from spectrum observations).
    pub power: VecDeque<PowerSample>,
    /// Frequency-offset history (FCCH).
    pub offsets: VecDeque<OffsetSample>,
    /// CCCH load.
    pub ccch: CcchRates,
    /// Times synchronisation was lost.
    pub sync_lost: u64,
    /// Position (latitude, longitude) where it was strongest, when a GPS is attached (not yet).
    pub position: Option<(f64, f64)>,
}

impl Cell {
    fn new(band: Band, arfcn: u16, time_s: f64) -> Cell {
        Cell {
            band,
            arfcn,
            freq_hz: band.freq_hz(arfcn, Direction::Downlink).unwrap_or(0.0),
            first_seen_s: time_s,
            last_seen_s: time_s,
            bsic: None,
            bsics: Vec::new(),
            cgi: None,
            cgis: Vec::new(),
            summary: CellSummary::new(),
            power: VecDeque::new(),
            offsets: VecDeque::new(),
            ccch: CcchRates::default(),
            sync_lost: 0,
            position: None,
        }
    }

    /// The key of this cell as currently decoded.
    pub fn key(&self) -> CellKey {
        CellKey {
            band: self.band,
            arfcn: self.arfcn,
            uplink: false,
            bsic: self.bsic,
            cgi: self.cgi,
            lte: None,
        }
    }

    /// PLMN (MCC, MNC) from the LAI, if decoded.
    pub fn plmn(&self) -> Option<(u16, u16)> {
        self.summary.lai.map(|l| (l.mcc, l.mnc))
    }

    /// Whether an SI2 (the main neighbour list) was decoded.
    pub fn has_si2(&self) -> bool {
        self.summary.message_counts.contains_key("SI2")
    }

    /// Median of the recent frequency offsets (ppm) and its 1σ uncertainty (ppm), from at least
    /// one sample.
    pub fn offset_ppm(&self) -> Option<(f64, f64, usize)> {
        offset_summary(&self.offsets)
    }

    /// Latest power reading.
    pub fn latest_power(&self) -> Option<PowerSample> {
        self.power.back().copied()
    }

    /// Immediate Assignments per minute over the window, with the span of stream time it was
    /// measured over (seconds).
    pub fn ia_per_min(&self, now_s: f64) -> (f64, f64) {
        let since = self.ccch.first_ccch_s.unwrap_or(self.first_seen_s);
        let span = (now_s - since).clamp(0.0, IA_WINDOW_S);
        let n = self.ccch.ia_times.len() as f64;
        if span <= 0.0 {
            return (0.0, 0.0);
        }
        (n / span * 60.0, span)
    }
}

/// A 200 kHz channel as the spectrum sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelState {
    /// Band the ARFCN is numbered in (as resolved by the spectrum stage).
    pub band: Band,
    /// ARFCN.
    pub arfcn: u16,
    /// Centre frequency.
    pub freq_hz: f64,
    /// Spectrum intervals measured.
    pub intervals: u64,
    /// Intervals in which the channel stood at least the carrier threshold above the floor.
    pub occupied_intervals: u64,
    /// Highest SNR seen.
    pub max_snr_db: f64,
    /// Recent readings.
    pub history: VecDeque<PowerSample>,
}

/// The cell registry, plus the baseline and operators it is judged against.
#[derive(Debug, Clone)]
pub struct CellRegistry {
    cells: BTreeMap<(Band, u16), Cell>,
    lte_cells: BTreeMap<LteCellId, LteCell>,
    channels: BTreeMap<u64, ChannelState>,
    /// What is normally on the air here (may be empty: no baseline loaded).
    pub baseline: Baseline,
    /// Operators and the ARFCNs they hold.
    pub operators: Operators,
    now_s: f64,
    start_s: Option<f64>,
    /// The latest spectrum observation's noise floor per 200 kHz, dBFS.
    pub noise_floor_dbfs: Option<f64>,
}

impl Default for CellRegistry {
    fn default() -> Self {
        CellRegistry::new(Baseline::default(), Operators::default())
    }
}

impl CellRegistry {
    /// An empty registry.
    pub fn new(baseline: Baseline, operators: Operators) -> CellRegistry {
        CellRegistry {
            cells: BTreeMap::new(),
            lte_cells: BTreeMap::new(),
            channels: BTreeMap::new(),
            baseline,
            operators,
            now_s: 0.0,
            start_s: None,
            noise_floor_dbfs: None,
        }
    }

    /// Latest stream time seen.
    pub fn now_s(&self) -> f64 {
        self.now_s
    }

    /// Stream time of the first observation.
    pub fn start_s(&self) -> f64 {
        self.start_s.unwrap_or(0.0)
    }

    /// Every cell, in (band, ARFCN) order.
    pub fn cells(&self) -> impl Iterator<Item = &Cell> {
        self.cells.values()
    }

    /// One cell.
    pub fn cell(&self, band: Band, arfcn: u16) -> Option<&Cell> {
        self.cells.get(&(band, arfcn))
    }

    /// Every LTE cell, in (EARFCN, PCI) order.
    pub fn lte_cells(&self) -> impl Iterator<Item = &LteCell> {
        self.lte_cells.values()
    }

    /// One LTE cell.
    pub fn lte_cell(&self, id: LteCellId) -> Option<&LteCell> {
        self.lte_cells.get(&id)
    }

    /// Every spectrum channel, in frequency order.
    pub fn channels(&self) -> impl Iterator<Item = &ChannelState> {
        self.channels.values()
    }

    /// The spectrum channel at `freq_hz` (± 1 kHz).
    pub fn channel_at(&self, freq_hz: f64) -> Option<&ChannelState> {
        self.channels.get(&freq_key(freq_hz))
    }

    /// The carrier (band, ARFCN) an observation is about, if any.
    pub fn subject(obs: &Observation) -> Option<(Band, u16)> {
        match obs {
            Observation::Carrier(c) => Some((c.band, c.arfcn)),
            Observation::Sync(s) => Some((s.band, s.arfcn)),
            Observation::SystemInfo(m) | Observation::Ccch(m) => Some((m.band, m.arfcn)),
            Observation::SyncLost(s) => Some((s.band, s.arfcn)),
            Observation::Dedicated(d) => Some((d.band, d.arfcn)),
            Observation::DecodeStats(_)
            | Observation::Spectrum(_)
            | Observation::UplinkActivity(_)
            | Observation::LteCell(_) => None,
        }
    }

    fn touch(&mut self, band: Band, arfcn: u16, time_s: f64) -> &mut Cell {
        if !self.cells.contains_key(&(band, arfcn)) && self.cells.len() >= MAX_CELLS {
            let oldest = self
                .cells
                .iter()
                .min_by(|a, b| a.1.last_seen_s.total_cmp(&b.1.last_seen_s))
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                self.cells.remove(&k);
            }
        }
        let c = self
            .cells
            .entry((band, arfcn))
            .or_insert_with(|| Cell::new(band, arfcn, time_s));
        c.first_seen_s = c.first_seen_s.min(time_s);
        c.last_seen_s = c.last_seen_s.max(time_s);
        c
    }

    /// Take one observation into account.
    pub fn update(&mut self, obs: &Observation) {
        let t = obs_time(obs);
        if let Some(t) = t {
            self.now_s = self.now_s.max(t);
            if self.start_s.is_none() {
                self.start_s = Some(t);
            }
        }
        match obs {
            Observation::Spectrum(s) => {
                self.noise_floor_dbfs = Some(s.noise_floor_dbfs);
                for ch in &s.channels {
                    let k = freq_key(ch.freq_hz);
                    if !self.channels.contains_key(&k) && self.channels.len() >= MAX_CHANNELS {
                        continue;
                    }
                    let st = self.channels.entry(k).or_insert_with(|| ChannelState {
                        band: ch.band,
                        arfcn: ch.arfcn,
                        freq_hz: ch.freq_hz,
                        intervals: 0,
                        occupied_intervals: 0,
                        max_snr_db: f64::NEG_INFINITY,
                        history: VecDeque::new(),
                    });
                    st.intervals += 1;
                    if ch.snr_db >= crate::observation::CARRIER_THRESHOLD_DB {
                        st.occupied_intervals += 1;
                    }
                    st.max_snr_db = st.max_snr_db.max(ch.snr_db);
                    push_bounded(
                        &mut st.history,
                        PowerSample {
                            time_s: s.time_s,
                            power_dbfs: ch.power_dbfs,
                            snr_db: ch.snr_db,
                        },
                    );
                }
                // Powers of known cells (matched by downlink frequency).
                for c in self.cells.values_mut() {
                    if let Some(ch) = s
                        .channels
                        .iter()
                        .find(|ch| (ch.freq_hz - c.freq_hz).abs() < 1e3)
                    {
                        push_bounded(
                            &mut c.power,
                            PowerSample {
                                time_s: s.time_s,
                                power_dbfs: ch.power_dbfs,
                                snr_db: ch.snr_db,
                            },
                        );
                    }
                }
            }
            Observation::Carrier(o) => {
                let ppm = o
                    .freq_offset_ppm
                    .unwrap_or(o.freq_offset_hz / o.freq_hz.max(1.0) * 1e6);
                let unc = o.uncertainty_hz / o.freq_hz.max(1.0) * 1e6;
                let fresh = !self.cells.contains_key(&(o.band, o.arfcn));
                let c = self.touch(o.band, o.arfcn, o.time_s);
                push_bounded(
                    &mut c.offsets,
                    OffsetSample {
                        time_s: o.time_s,
                        offset_ppm: ppm,
                        uncertainty_ppm: unc,
                    },
                );
                if fresh {
                    // Seed the power history from the spectrum already measured.
                    let f = c.freq_hz;
                    if let Some(st) = self.channels.get(&freq_key(f)) {
                        let hist = st.history.clone();
                        if let Some(c) = self.cells.get_mut(&(o.band, o.arfcn)) {
                            c.power = hist;
                        }
                    }
                }
            }
            Observation::Sync(o) => {
                let c = self.touch(o.band, o.arfcn, o.time_s);
                c.bsic = Some(o.bsic);
                if !c.bsics.contains(&o.bsic) {
                    push_distinct(&mut c.bsics, o.bsic);
                }
            }
            Observation::SystemInfo(m) | Observation::Ccch(m) => {
                let c = self.touch(m.band, m.arfcn, m.time_s);
                c.summary.observe(&m.parsed);
                if let Message::Si3(si3) = &m.parsed {
                    let cgi = Cgi::new(&si3.lai, si3.cell_identity);
                    c.cgi = Some(cgi);
                    if !c.cgis.contains(&cgi) {
                        push_distinct(&mut c.cgis, cgi);
                    }
                }
                observe_ccch(&mut c.ccch, &m.parsed, m.time_s);
            }
            Observation::SyncLost(o) => {
                let c = self.touch(o.band, o.arfcn, o.time_s);
                c.sync_lost += 1;
            }
            // Uplink burst counts are read by the SIM-box detector itself; dedicated-channel
            // frames say nothing about the cell's broadcast identity.
            Observation::Dedicated(_)
            | Observation::DecodeStats(_)
            | Observation::UplinkActivity(_) => {}
            Observation::LteCell(o) => lte::update(&mut self.lte_cells, o, MAX_CELLS),
        }
    }

    /// Other decoded cells of the same PLMN as `cell` (excluding the cell itself).
    pub fn same_operator<'a>(&'a self, cell: &'a Cell) -> impl Iterator<Item = &'a Cell> + 'a {
        let plmn = cell.plmn();
        self.cells.values().filter(move |c| {
            plmn.is_some() && c.plmn() == plmn && (c.band, c.arfcn) != (cell.band, cell.arfcn)
        })
    }
}

fn observe_ccch(r: &mut CcchRates, m: &Message, time_s: f64) {
    let ia = match m {
        Message::ImmediateAssignment(_) => 1,
        Message::ImmediateAssignmentExtended(_) => 2,
        Message::PagingRequest1(_) | Message::PagingRequest2(_) | Message::PagingRequest3(_) => {
            *r.paging_by_type.entry(m.name()).or_default() += 1;
            match m {
                Message::PagingRequest1(p) => {
                    for id in p.identities() {
                        *r.paged_by_kind.entry(id.kind_name().into()).or_default() += 1;
                    }
                }
                Message::PagingRequest2(p) => {
                    *r.paged_by_kind.entry("tmsi".into()).or_default() += 2;
                    if let Some(id) = &p.identity3 {
                        *r.paged_by_kind.entry(id.kind_name().into()).or_default() += 1;
                    }
                }
                _ => *r.paged_by_kind.entry("tmsi".into()).or_default() += 4,
            }
            0
        }
        _ => 0,
    };
    let is_ccch = matches!(
        m,
        Message::ImmediateAssignment(_)
            | Message::ImmediateAssignmentExtended(_)
            | Message::ImmediateAssignmentReject(_)
            | Message::PagingRequest1(_)
            | Message::PagingRequest2(_)
            | Message::PagingRequest3(_)
    );
    if is_ccch && r.first_ccch_s.is_none() {
        r.first_ccch_s = Some(time_s);
    }
    for _ in 0..ia {
        r.immediate_assignments += 1;
        if r.ia_times.len() >= MAX_IA_TIMES {
            r.ia_times.pop_front();
        }
        r.ia_times.push_back(time_s);
    }
    while r
        .ia_times
        .front()
        .is_some_and(|&t| t < time_s - IA_WINDOW_S)
    {
        r.ia_times.pop_front();
    }
}

/// Median of frequency-offset readings (ppm), its 1σ uncertainty (ppm: the larger of the
/// readings' stated uncertainty and their spread, over √n) and the number of readings.
pub(crate) fn offset_summary(offsets: &VecDeque<OffsetSample>) -> Option<(f64, f64, usize)> {
    if offsets.is_empty() {
        return None;
    }
    let mut v: Vec<f64> = offsets.iter().map(|o| o.offset_ppm).collect();
    let med = median(&mut v)?;
    let n = offsets.len();
    let mut u: Vec<f64> = offsets.iter().map(|o| o.uncertainty_ppm).collect();
    let u_med = median(&mut u).unwrap_or(0.0);
    // Spread of the readings as well as their own stated uncertainty.
    let spread = if n > 1 {
        let mean = v.iter().sum::<f64>() / n as f64;
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        u_med
    };
    let sigma = u_med.max(spread) / (n as f64).sqrt();
    Some((med, sigma, n))
}

fn push_bounded<T>(q: &mut VecDeque<T>, v: T) {
    if q.len() >= HISTORY_LEN {
        q.pop_front();
    }
    q.push_back(v);
}

fn push_distinct<T>(v: &mut Vec<T>, x: T) {
    if v.len() >= MAX_IDENTITIES {
        v.remove(0);
    }
    v.push(x);
}

fn freq_key(freq_hz: f64) -> u64 {
    (freq_hz / 1e3).round().max(0.0) as u64
}

/// The stream time an observation is stamped with.
pub fn obs_time(obs: &Observation) -> Option<f64> {
    match obs {
        Observation::Spectrum(s) => Some(s.time_s + s.duration_s),
        Observation::Carrier(c) => Some(c.time_s),
        Observation::Sync(s) => Some(s.time_s),
        Observation::SystemInfo(m) | Observation::Ccch(m) => Some(m.time_s),
        Observation::SyncLost(s) => Some(s.time_s),
        Observation::UplinkActivity(u) => Some(u.time_s + u.duration_s),
        Observation::Dedicated(d) => Some(d.time_s),
        Observation::LteCell(o) => Some(o.time_s),
        Observation::DecodeStats(_) => None,
    }
}

/// Median of a slice (sorted in place); `None` when empty.
pub fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}
