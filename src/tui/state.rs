//! The dashboard's state: everything the panes draw, built from observations (and alerts).
//!
//! Drawing never changes this state (every pane renders from `&DashboardState`). Memory is
//! bounded: the waterfall keeps [`WATERFALL_ROWS`] rows of [`WATERFALL_BINS`] columns, the alert
//! feed [`MAX_ALERTS`] entries, the cell table [`MAX_CELLS`] GSM and [`MAX_CELLS`] LTE cells.

use crate::alert::{Alert, AlertEvent};
use crate::cells::{LTE_KEY_ARFCN, LTE_KEY_BAND, LteCellId, Operators};
use crate::detect::Severity;
use crate::observation::gsm::CarrierCounters;
use crate::observation::lte::{LteCellObs, LteSib1Fields};
use crate::observation::{ChannelPower, Observation, SpectrumObs};
use std::collections::{BTreeMap, VecDeque};
use towerwatch_dsp::arfcn::Band;
use towerwatch_dsp::gsm::l3::CellSummary;

/// Waterfall rows kept (oldest dropped first).
pub const WATERFALL_ROWS: usize = 256;
/// Columns a waterfall row is pooled to (peak-hold) before it is stored.
pub const WATERFALL_BINS: usize = 512;
/// Alerts kept in the feed (oldest dropped first).
pub const MAX_ALERTS: usize = 200;
/// Cells kept in the table (the ones heard longest ago are dropped first).
pub const MAX_CELLS: usize = 256;

/// What the header says about the source.
#[derive(Debug, Clone, Default)]
pub struct SourceSummary {
    /// File path or device arguments.
    pub description: String,
    /// Live receiver (record and drops apply) or a file.
    pub live: bool,
    /// Sample rate.
    pub sample_rate_sps: f64,
    /// Centre frequency (updated by spectrum observations).
    pub center_freq_hz: f64,
    /// Length of a file in samples, when known.
    pub total_samples: Option<u64>,
}

/// Whether a replay is being paced, and how fast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Playback {
    /// As fast as the analysis goes (not paced).
    Unpaced,
    /// Paced at `speed` × real time.
    Running(f64),
    /// Paced and paused (the speed it will resume at).
    Paused(f64),
    /// The stream has ended.
    Ended,
}

/// The pane that has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    /// The cell table.
    #[default]
    Cells,
    /// The alert feed.
    Alerts,
}

/// Cell table sort order (`s` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// By ARFCN.
    #[default]
    Arfcn,
    /// Strongest first.
    Power,
    /// Highest score first.
    Score,
    /// Largest absolute frequency offset first.
    Offset,
}

impl SortKey {
    /// The next order.
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Arfcn => SortKey::Power,
            SortKey::Power => SortKey::Score,
            SortKey::Score => SortKey::Offset,
            SortKey::Offset => SortKey::Arfcn,
        }
    }
    /// Name shown in the pane title.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Arfcn => "arfcn",
            SortKey::Power => "power",
            SortKey::Score => "score",
            SortKey::Offset => "offset",
        }
    }
}

/// A mark the user put on a cell (`m` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserMark {
    /// No mark.
    #[default]
    None,
    /// Known good.
    Good,
    /// Suspect.
    Suspect,
}

impl UserMark {
    fn next(self) -> UserMark {
        match self {
            UserMark::None => UserMark::Good,
            UserMark::Good => UserMark::Suspect,
            UserMark::Suspect => UserMark::None,
        }
    }
}

/// One row of the cell table.
#[derive(Debug, Clone)]
pub struct CellRow {
    /// Band the ARFCN is numbered in.
    pub band: Band,
    /// ARFCN.
    pub arfcn: u16,
    /// Carrier frequency.
    pub freq_hz: f64,
    /// Latest channel power, dBFS.
    pub power_dbfs: Option<f64>,
    /// Latest FCCH offset (includes the receiver's own error), ppm.
    pub offset_ppm: Option<f64>,
    /// BSIC from the SCH.
    pub bsic: Option<u8>,
    /// What the system information says (LAI, CI, neighbours…).
    pub summary: CellSummary,
    /// Operator name of its MCC-MNC, when the operators file knows it.
    pub operator: Option<String>,
    /// Highest alert score on this cell (0 = nothing fired).
    pub score: f64,
    /// Severity of its open alert (`None`: none, or cleared). Only above info reads ALERT.
    pub alert_severity: Option<Severity>,
    /// Synchronised (an SCH decoded and no sync loss since).
    pub synced: bool,
    /// The user's mark.
    pub mark: UserMark,
    /// Stream time the cell was last heard.
    pub last_heard_s: f64,
    /// Live decode counters derived from observations (exact counters replace them at the end).
    pub counters: DecodeCounters,
    /// An LTE cell's row (`band`/`arfcn` then hold placeholders; `power_dbfs` is its RSRP).
    pub lte: Option<LteRowInfo>,
}

/// What an LTE row adds: its identity and what its SIB1 said.
#[derive(Debug, Clone, PartialEq)]
pub struct LteRowInfo {
    /// EARFCN and PCI.
    pub id: LteCellId,
    /// Bandwidth in resource blocks (MIB).
    pub bandwidth_prb: Option<u16>,
    /// Latest SIB1 fields, when decoded.
    pub sib1: Option<LteSib1Fields>,
}

impl CellRow {
    fn new(band: Band, arfcn: u16, freq_hz: f64) -> CellRow {
        CellRow {
            band,
            arfcn,
            freq_hz,
            power_dbfs: None,
            offset_ppm: None,
            bsic: None,
            summary: CellSummary::default(),
            operator: None,
            score: 0.0,
            alert_severity: None,
            synced: false,
            mark: UserMark::None,
            last_heard_s: 0.0,
            counters: DecodeCounters::default(),
            lte: None,
        }
    }

    /// `GSM` or `LTE` (the table's Tech column).
    pub fn tech(&self) -> &'static str {
        if self.lte.is_some() { "LTE" } else { "GSM" }
    }

    /// The channel number shown: ARFCN, or an LTE cell's EARFCN.
    pub fn channel(&self) -> u32 {
        self.lte
            .as_ref()
            .map_or(u32::from(self.arfcn), |l| l.id.earfcn)
    }

    /// The Id column: BSIC, or an LTE cell's PCI.
    pub fn id_code(&self) -> Option<u16> {
        match &self.lte {
            Some(l) => Some(l.id.pci),
            None => self.bsic.map(u16::from),
        }
    }

    /// The Area column: LAC, or an LTE cell's TAC (SIB1).
    pub fn area_code(&self) -> Option<u16> {
        match &self.lte {
            Some(l) => l.sib1.as_ref().map(|f| f.tac),
            None => self.summary.lai.as_ref().map(|l| l.lac),
        }
    }

    /// The CI column: cell identity, or an LTE cell's eNodeB ID (SIB1).
    pub fn cell_id(&self) -> Option<u32> {
        match &self.lte {
            Some(l) => l.sib1.as_ref().map(|f| f.enb_id),
            None => self.summary.cell_identity.map(u32::from),
        }
    }

    /// Where a row lives in the state.
    fn row_key(&self) -> RowKey {
        match &self.lte {
            Some(l) => RowKey::Lte(l.id),
            None => RowKey::Gsm(self.band, self.arfcn),
        }
    }

    /// MCC-MNC as printed (`001-01`), if known (an LTE cell's primary PLMN from SIB1).
    pub fn mcc_mnc(&self) -> Option<String> {
        if let Some(l) = &self.lte {
            return l.sib1.as_ref()?.plmns.first().map(|p| p.to_string());
        }
        self.summary.lai.as_ref().map(|l| {
            if l.mnc_3digits {
                format!("{:03}-{:03}", l.mcc, l.mnc)
            } else {
                format!("{:03}-{:02}", l.mcc, l.mnc)
            }
        })
    }

    /// Every neighbour ARFCN the cell advertises (SI2, SI2bis, SI2ter), sorted, deduplicated.
    pub fn neighbours(&self) -> Vec<u16> {
        let s = &self.summary;
        let mut v: Vec<u16> = s
            .si2_neighbours
            .iter()
            .chain(&s.si2bis_neighbours)
            .chain(&s.si2ter_neighbours)
            .copied()
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// State column: the user's mark wins, then alerts, then sync.
    pub fn state_label(&self) -> &'static str {
        match self.mark {
            UserMark::Good => "good",
            UserMark::Suspect => "SUSPECT",
            UserMark::None if self.alert_severity.is_some_and(|s| s > Severity::Info) => "ALERT",
            UserMark::None if self.synced => "sync",
            UserMark::None if self.bsic.is_some() => "lost",
            UserMark::None => "search",
        }
    }

    /// Text the `/` filter matches against (case-insensitive): the technology, channel,
    /// frequency, identity, network, area and cell codes, operator and state.
    pub fn filter_text(&self) -> String {
        let band = match &self.lte {
            Some(l) => format!("lte pci {}", l.id.pci),
            None => format!("gsm {}", self.band),
        };
        format!(
            "{band} {} {:.1} {} {} {} {} {} {}",
            self.channel(),
            self.freq_hz / 1e6,
            self.id_code().map_or(String::new(), |b| b.to_string()),
            self.mcc_mnc().unwrap_or_default(),
            self.operator.as_deref().unwrap_or_default(),
            self.area_code().map_or(String::new(), |l| l.to_string()),
            self.cell_id().map_or(String::new(), |c| c.to_string()),
            self.state_label()
        )
        .to_lowercase()
    }
}

/// Which map a row lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowKey {
    Gsm(Band, u16),
    Lte(LteCellId),
}

/// Per-stage decode counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeCounters {
    /// FCCH bursts found or tracked.
    pub fcch: u64,
    /// SCH decoded.
    pub sch_ok: u64,
    /// SCH failed.
    pub sch_failed: u64,
    /// xCCH blocks decoded (with L3 content, during the run; all of them at the end).
    pub blocks_ok: u64,
    /// xCCH blocks failed.
    pub blocks_failed: u64,
    /// Times synchronisation was lost.
    pub sync_lost: u64,
    /// True once the receiver's exact counters (a `decode_stats` observation) replaced the live
    /// estimate.
    pub exact: bool,
}

impl DecodeCounters {
    fn from_exact(c: &CarrierCounters) -> DecodeCounters {
        DecodeCounters {
            fcch: c.rx.fcch_found + c.rx.fcch_tracked,
            sch_ok: c.rx.sch_ok,
            sch_failed: c.rx.sch_failed,
            blocks_ok: c.blocks_ok,
            blocks_failed: c.blocks_failed,
            sync_lost: c.rx.sync_lost,
            exact: true,
        }
    }

    fn add(&mut self, o: &DecodeCounters) {
        self.fcch += o.fcch;
        self.sch_ok += o.sch_ok;
        self.sch_failed += o.sch_failed;
        self.blocks_ok += o.blocks_ok;
        self.blocks_failed += o.blocks_failed;
        self.sync_lost += o.sync_lost;
        self.exact &= o.exact;
    }
}

/// The latest spectrum, for the trace.
#[derive(Debug, Clone, Default)]
pub struct SpectrumView {
    /// Centre frequency.
    pub center_freq_hz: f64,
    /// Sample rate (the displayed span).
    pub sample_rate_sps: f64,
    /// Noise floor in a 200 kHz channel, dBFS.
    pub noise_floor_dbfs: f64,
    /// PSD bins pooled to at most [`WATERFALL_BINS`] columns (peak hold), dBFS per bin.
    pub bins: Vec<f32>,
    /// Median of the bins (the floor as drawn on the trace).
    pub bin_floor_dbfs: f32,
    /// Channels in the span.
    pub channels: Vec<ChannelPower>,
    /// Carriers found in the last spectrum.
    pub carriers: Vec<ChannelPower>,
}

/// View state: what the user selected, typed or opened.
#[derive(Debug, Clone, Default)]
pub struct ViewState {
    /// Pane with the keyboard.
    pub focus: Focus,
    /// Selected row of the (sorted, filtered) cell table.
    pub cell_index: usize,
    /// Selected alert (0 = newest).
    pub alert_index: usize,
    /// Cell table order.
    pub sort: SortKey,
    /// Cell table filter (lower case).
    pub filter: String,
    /// Typing a filter.
    pub editing_filter: bool,
    /// Details overlay open.
    pub details: bool,
    /// First line of the details overlay shown (↑↓ PgUp PgDn scroll it).
    pub details_scroll: u16,
    /// Help overlay open.
    pub help: bool,
    /// The decode counters (`c`) in place of the what-to-do pane.
    pub counters: bool,
    /// One-line message in the footer (result of the last command).
    pub message: Option<String>,
    /// Draw without colour (`NO_COLOR` set).
    pub no_color: bool,
}

/// The finder pane (`f`): a hot/cold indicator on one cell's channel power.
#[derive(Debug, Clone)]
pub struct FinderView {
    /// Band of the cell followed.
    pub band: Band,
    /// Its ARFCN.
    pub arfcn: u16,
    /// The indicator, fed from spectrum observations.
    pub indicator: crate::finder::HotCold,
    /// Latest reading.
    pub last: Option<crate::finder::Reading>,
}

/// Everything the dashboard draws.
#[derive(Debug, Clone)]
pub struct DashboardState {
    /// The source.
    pub source: SourceSummary,
    /// Pacing.
    pub playback: Playback,
    /// Samples processed.
    pub samples_done: u64,
    /// Blocks dropped by a live source.
    pub blocks_dropped: u64,
    /// Stream seconds per wall second over the last second or so (`None` until measured, or
    /// paused).
    pub achieved_speed: Option<f64>,
    /// Seconds recorded so far while `r` recording is on (live only); `None`: not recording.
    pub recording_s: Option<f64>,
    /// GPS fix, when a GPS exists.
    pub gps_fix: Option<String>,
    /// Latest spectrum.
    pub spectrum: Option<SpectrumView>,
    /// Waterfall rows, newest at the back.
    pub waterfall: VecDeque<Vec<f32>>,
    /// Cells by (band, ARFCN).
    pub cells: BTreeMap<(Band, u16), CellRow>,
    /// LTE cells by (EARFCN, PCI), listed after the GSM cells in the same table.
    pub lte_cells: BTreeMap<LteCellId, CellRow>,
    /// Alerts, newest at the back.
    pub alerts: VecDeque<Alert>,
    /// Observations applied.
    pub observations: u64,
    /// Operator names from an operators file (empty by default: names then come from the public
    /// MCC/MNC list).
    pub operators: Operators,
    /// View state.
    pub view: ViewState,
    /// Finder pane, when on (it replaces the decode counters).
    pub finder: Option<FinderView>,
}

impl DashboardState {
    /// An empty dashboard for a source.
    pub fn new(source: SourceSummary, playback: Playback) -> DashboardState {
        DashboardState {
            source,
            playback,
            samples_done: 0,
            blocks_dropped: 0,
            achieved_speed: None,
            recording_s: None,
            gps_fix: None,
            spectrum: None,
            waterfall: VecDeque::new(),
            cells: BTreeMap::new(),
            lte_cells: BTreeMap::new(),
            alerts: VecDeque::new(),
            observations: 0,
            operators: Operators::default(),
            view: ViewState::default(),
            finder: None,
        }
    }

    /// The alert the headline names: the worst one still open above info (the latest raised
    /// among equals).
    pub fn headline_alert(&self) -> Option<&Alert> {
        self.alerts
            .iter()
            .filter(|a| a.event != AlertEvent::Cleared && a.severity > Severity::Info)
            .max_by(|a, b| {
                a.severity
                    .cmp(&b.severity)
                    .then(a.raised_s.total_cmp(&b.raised_s))
            })
    }

    /// Wall-clock time (UTC, `HH:MM:SS`) of a stream time of a live source: stream time runs
    /// with the clock there, so it is now minus how far back it was.
    pub fn wall_clock_of(&self, stream_s: f64) -> Option<String> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs_f64();
        let at = now - (self.stream_time_s() - stream_s).max(0.0);
        let day_s = (at.rem_euclid(86_400.0)) as u64;
        Some(format!(
            "{:02}:{:02}:{:02} UTC",
            day_s / 3600,
            day_s / 60 % 60,
            day_s % 60
        ))
    }

    /// Stream time in seconds.
    pub fn stream_time_s(&self) -> f64 {
        if self.source.sample_rate_sps > 0.0 {
            self.samples_done as f64 / self.source.sample_rate_sps
        } else {
            0.0
        }
    }

    /// The receiver's own clock error: minus the median offset of the carriers heard (real base
    /// stations agree within ~0.05 ppm, so their consensus is the receiver's error; a receiver
    /// clock fast by x ppm reads every carrier x ppm low). Positive: the receiver runs fast.
    pub fn receiver_ppm(&self) -> Option<f64> {
        let mut v: Vec<f64> = self.cells.values().filter_map(|c| c.offset_ppm).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        Some(if n % 2 == 1 {
            -v[n / 2]
        } else {
            -(v[n / 2 - 1] + v[n / 2]) / 2.0
        })
    }

    /// Sum of every carrier's counters.
    pub fn total_counters(&self) -> DecodeCounters {
        let mut t = DecodeCounters {
            exact: !self.cells.is_empty(),
            ..DecodeCounters::default()
        };
        for c in self.cells.values() {
            t.add(&c.counters);
        }
        t
    }

    fn cell(&mut self, band: Band, arfcn: u16, freq_hz: f64, time_s: f64) -> &mut CellRow {
        if !self.cells.contains_key(&(band, arfcn)) && self.cells.len() >= MAX_CELLS {
            let oldest = self
                .cells
                .iter()
                .min_by(|a, b| a.1.last_heard_s.total_cmp(&b.1.last_heard_s))
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                self.cells.remove(&k);
            }
        }
        let c = self
            .cells
            .entry((band, arfcn))
            .or_insert_with(|| CellRow::new(band, arfcn, freq_hz));
        if c.freq_hz == 0.0 {
            c.freq_hz = freq_hz;
        }
        c.last_heard_s = c.last_heard_s.max(time_s);
        c
    }

    /// Fold one observation into the state.
    pub fn apply(&mut self, o: &Observation) {
        self.observations += 1;
        match o {
            Observation::Spectrum(s) => self.apply_spectrum(s),
            Observation::Carrier(c) => {
                let row = self.cell(c.band, c.arfcn, c.freq_hz, c.time_s);
                row.offset_ppm = c.freq_offset_ppm.or(row.offset_ppm);
                if !row.counters.exact {
                    row.counters.fcch += 1;
                }
            }
            Observation::Sync(s) => {
                let freq = s
                    .band
                    .freq_hz(s.arfcn, towerwatch_dsp::arfcn::Direction::Downlink);
                let row = self.cell(s.band, s.arfcn, freq.unwrap_or(0.0), s.time_s);
                row.bsic = Some(s.bsic);
                row.synced = true;
                if !row.counters.exact {
                    row.counters.sch_ok += 1;
                }
            }
            Observation::SystemInfo(m) | Observation::Ccch(m) => {
                let freq = m
                    .band
                    .freq_hz(m.arfcn, towerwatch_dsp::arfcn::Direction::Downlink);
                let row = self.cell(m.band, m.arfcn, freq.unwrap_or(0.0), m.time_s);
                row.summary.observe(&m.parsed);
                let plmn = row.summary.lai.as_ref().map(|l| (l.mcc, l.mnc));
                let name = plmn
                    .and_then(|(mcc, mnc)| self.operator_name(mcc, mnc))
                    .map(str::to_string);
                let Some(row) = self.cells.get_mut(&(m.band, m.arfcn)) else {
                    return;
                };
                row.operator = name;
                if !row.counters.exact {
                    row.counters.blocks_ok += 1;
                }
            }
            Observation::SyncLost(l) => {
                let freq = l
                    .band
                    .freq_hz(l.arfcn, towerwatch_dsp::arfcn::Direction::Downlink);
                let row = self.cell(l.band, l.arfcn, freq.unwrap_or(0.0), l.time_s);
                row.synced = false;
                if !row.counters.exact {
                    row.counters.sync_lost += 1;
                }
            }
            // Dedicated frames are listed by `decode` and sent to GSMTAP, not shown here.
            Observation::Dedicated(_) => {}
            Observation::DecodeStats(d) => {
                let t = self.stream_time_s();
                let row = self.cell(d.band, d.arfcn, d.freq_hz, t);
                row.counters = DecodeCounters::from_exact(&d.counters);
            }
            // Shown through the alerts it leads to (SIM-box detector).
            Observation::UplinkActivity(_) => {}
            Observation::LteCell(o) => self.apply_lte(o),
        }
    }

    fn apply_lte(&mut self, o: &LteCellObs) {
        let Some(id) = LteCellId::of(o) else { return };
        if !self.lte_cells.contains_key(&id) && self.lte_cells.len() >= MAX_CELLS {
            let oldest = self
                .lte_cells
                .iter()
                .min_by(|a, b| a.1.last_heard_s.total_cmp(&b.1.last_heard_s))
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                self.lte_cells.remove(&k);
            }
        }
        let fields = o.sib1.as_ref().and_then(|x| x.fields.clone());
        let name = fields
            .as_ref()
            .and_then(|f| f.plmns.first())
            .and_then(|p| self.operator_name(p.mcc, p.mnc))
            .map(str::to_string);
        let row = self.lte_cells.entry(id).or_insert_with(|| {
            let mut r = CellRow::new(LTE_KEY_BAND, LTE_KEY_ARFCN, o.dl_freq_hz);
            r.lte = Some(LteRowInfo {
                id,
                bandwidth_prb: None,
                sib1: None,
            });
            r
        });
        row.freq_hz = o.dl_freq_hz;
        row.power_dbfs = o.rsrp_dbfs.or(row.power_dbfs);
        row.offset_ppm = o.freq_offset_ppm.or(row.offset_ppm);
        row.synced = o.mib.is_some();
        row.last_heard_s = row.last_heard_s.max(o.time_s);
        if let Some(l) = row.lte.as_mut()
            && let Some(prb) = o.mib.as_ref().and_then(|m| m.bandwidth_prb)
        {
            l.bandwidth_prb = Some(prb);
        }
        if let Some(f) = fields {
            row.operator = name;
            if let Some(l) = row.lte.as_mut() {
                l.sib1 = Some(f);
            }
        }
        // The spectrum sees an LTE carrier as a row of 200 kHz "carriers": the GSM rows inside
        // it that never synchronised are that, not GSM cells.
        let lte_bands = self.lte_bands();
        self.cells.retain(|_, c| {
            c.synced || c.bsic.is_some() || !lte_bands.iter().any(|b| b.contains(&c.freq_hz))
        });
    }

    /// The occupied bands of the LTE cells (with a GSM channel's half width on each side).
    fn lte_bands(&self) -> Vec<std::ops::RangeInclusive<f64>> {
        self.lte_cells
            .values()
            .filter_map(|c| {
                let prb = c.lte.as_ref()?.bandwidth_prb?;
                let half_hz = 6.0 * f64::from(prb) * 15e3 + 100e3;
                Some(c.freq_hz - half_hz..=c.freq_hz + half_hz)
            })
            .collect()
    }

    fn apply_spectrum(&mut self, s: &SpectrumObs) {
        self.source.center_freq_hz = s.center_freq_hz;
        let t = s.time_s + s.duration_s;
        if let Some(f) = self.finder.as_mut()
            && let Some(ch) = s
                .channels
                .iter()
                .find(|c| c.band == f.band && c.arfcn == f.arfcn)
            && let Some(r) = f.indicator.update(t, ch.power_dbfs)
        {
            f.last = Some(r);
        }
        for ch in &s.channels {
            if let Some(row) = self.cells.get_mut(&(ch.band, ch.arfcn)) {
                row.power_dbfs = Some(ch.power_dbfs);
            }
        }
        // Carriers found in the spectrum get a row even before their FCCH is heard (not those
        // inside a decoded LTE carrier: its flat spectrum is no GSM carrier).
        let lte_bands = self.lte_bands();
        for ch in &s.carriers {
            if !self.cells.contains_key(&(ch.band, ch.arfcn))
                && lte_bands.iter().any(|b| b.contains(&ch.freq_hz))
            {
                continue;
            }
            let row = self.cell(ch.band, ch.arfcn, ch.freq_hz, t);
            row.power_dbfs = Some(ch.power_dbfs);
        }
        let bins = s.psd_dbfs.as_deref().map(pool).unwrap_or_default();
        let bin_floor_dbfs = median(&bins);
        if !bins.is_empty() {
            if self.waterfall.len() >= WATERFALL_ROWS {
                self.waterfall.pop_front();
            }
            self.waterfall.push_back(bins.clone());
        }
        self.spectrum = Some(SpectrumView {
            center_freq_hz: s.center_freq_hz,
            sample_rate_sps: s.sample_rate_sps,
            noise_floor_dbfs: s.noise_floor_dbfs,
            bins,
            bin_floor_dbfs,
            channels: s.channels.clone(),
            carriers: s.carriers.clone(),
        });
    }

    /// Fold an alert event into the feed: a new alert goes on top, an update or a clear
    /// replaces the entry with the same id (bounded: the oldest goes first). Its cell's score
    /// follows the latest event (0 once cleared).
    pub fn push_alert(&mut self, a: Alert) {
        let score = if a.event == AlertEvent::Cleared {
            0.0
        } else {
            a.score
        };
        let row = match a.cell.lte {
            Some(id) => self.lte_cells.get_mut(&id),
            None if !a.cell.uplink => self.cells.get_mut(&(a.cell.band, a.cell.arfcn)),
            None => None,
        };
        if let Some(row) = row {
            row.score = score;
            row.alert_severity = (a.event != AlertEvent::Cleared).then_some(a.severity);
        }
        if let Some(e) = self.alerts.iter_mut().find(|e| e.id == a.id) {
            *e = a;
            return;
        }
        if self.alerts.len() >= MAX_ALERTS {
            self.alerts.pop_front();
        }
        self.alerts.push_back(a);
    }

    /// Operator name of an MCC-MNC: the operators file's, else the public MCC/MNC list's.
    pub fn operator_name(&self, mcc: u16, mnc: u16) -> Option<&str> {
        self.operators.find(mcc, mnc).map_or_else(
            || crate::cells::plmn_list::network(mcc, mnc, mnc >= 100).map(|n| n.name.as_str()),
            |o| Some(o.name.as_str()),
        )
    }

    /// The cell table as shown: filtered, then sorted.
    pub fn visible_cells(&self) -> Vec<&CellRow> {
        let f = self.view.filter.to_lowercase();
        let mut v: Vec<&CellRow> = self
            .cells
            .values()
            .chain(self.lte_cells.values())
            .filter(|c| f.is_empty() || c.filter_text().contains(&f))
            .collect();
        match self.view.sort {
            SortKey::Arfcn => {}
            SortKey::Power => v.sort_by(|a, b| {
                b.power_dbfs
                    .unwrap_or(f64::NEG_INFINITY)
                    .total_cmp(&a.power_dbfs.unwrap_or(f64::NEG_INFINITY))
            }),
            SortKey::Score => v.sort_by(|a, b| b.score.total_cmp(&a.score)),
            SortKey::Offset => v.sort_by(|a, b| {
                b.offset_ppm
                    .map_or(-1.0, f64::abs)
                    .total_cmp(&a.offset_ppm.map_or(-1.0, f64::abs))
            }),
        }
        v
    }

    /// The selected cell, if any.
    pub fn selected_cell(&self) -> Option<&CellRow> {
        let v = self.visible_cells();
        v.get(self.view.cell_index.min(v.len().saturating_sub(1)))
            .copied()
    }

    /// The selected alert (index 0 = newest), if any.
    pub fn selected_alert(&self) -> Option<&Alert> {
        let n = self.alerts.len();
        if n == 0 {
            return None;
        }
        let i = self.view.alert_index.min(n - 1);
        self.alerts.get(n - 1 - i)
    }

    /// Cycle the user's mark on the selected cell; returns the new mark's label.
    pub fn mark_selected(&mut self) -> Option<String> {
        let row = match self.selected_cell()?.row_key() {
            RowKey::Gsm(b, a) => self.cells.get_mut(&(b, a))?,
            RowKey::Lte(id) => self.lte_cells.get_mut(&id)?,
        };
        row.mark = row.mark.next();
        Some(match &row.lte {
            Some(l) => format!("{} marked {}", l.id, row.state_label()),
            None => format!("ARFCN {} marked {}", row.arfcn, row.state_label()),
        })
    }

    /// `f`: follow the selected cell with the finder pane, or close it (on the same cell).
    /// Returns the message for the footer.
    pub fn toggle_finder(&mut self) -> String {
        let Some(key) = self.selected_cell().map(|c| c.row_key()) else {
            return "no cell selected".into();
        };
        let RowKey::Gsm(band, arfcn) = key else {
            return "the finder follows GSM carriers (their channel power); not LTE cells yet"
                .into();
        };
        let key = (band, arfcn);
        if self
            .finder
            .as_ref()
            .is_some_and(|f| (f.band, f.arfcn) == key)
        {
            self.finder = None;
            return "finder closed".into();
        }
        self.finder = Some(FinderView {
            band: key.0,
            arfcn: key.1,
            indicator: crate::finder::HotCold::default(),
            last: None,
        });
        format!(
            "finder on ARFCN {} ({}): walk, watch the trend; f closes",
            key.1, key.0
        )
    }

    /// Move the selection in the focused pane by `delta` rows.
    pub fn move_selection(&mut self, delta: i64) {
        let cells = self.visible_cells().len();
        let (idx, len) = match self.view.focus {
            Focus::Cells => (&mut self.view.cell_index, cells),
            Focus::Alerts => (&mut self.view.alert_index, self.alerts.len()),
        };
        let max = len.saturating_sub(1) as i64;
        *idx = (*idx as i64 + delta).clamp(0, max.max(0)) as usize;
    }
}

/// Pool PSD bins to at most [`WATERFALL_BINS`] columns, keeping each column's peak (so a narrow
/// carrier is not averaged away).
fn pool(bins: &[f32]) -> Vec<f32> {
    if bins.len() <= WATERFALL_BINS {
        return bins.to_vec();
    }
    (0..WATERFALL_BINS)
        .map(|i| {
            let a = i * bins.len() / WATERFALL_BINS;
            let b = ((i + 1) * bins.len() / WATERFALL_BINS).max(a + 1);
            bins[a..b].iter().copied().fold(f32::NEG_INFINITY, f32::max)
        })
        .collect()
}

fn median(v: &[f32]) -> f32 {
    if v.is_empty() {
        return f32::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f32::total_cmp);
    s[s.len() / 2]
}
