//! Evidence bundles: one directory per alert holding what an investigator needs to show what
//! was on the air, and to show it was not changed afterwards.
//!
//! ```text
//! evidence-<alert id>-<UTC created>/        mode 0700, every file 0600
//!   iq.sigmf-meta, iq.sigmf-data   IQ clip around the trigger (pre-trigger ring buffer), in the
//!                                  stream's own sample encoding, annotated with the alerted
//!                                  cell's FCCH/SCH bursts and decoded blocks; core:sha512 set
//!   frames.pcap                    decoded L2 frames of every carrier in the clip (GSMTAP)
//!   alert.json                     the alert (every signature, value, threshold, known false
//!                                  positives), the event that triggered the bundle, its history
//!   cells.json                     every cell seen: parameters, the alerted one marked
//!   spectrum.json                  waterfall rows and mean/max spectrum computed from the clip
//!   track.json                     GPS track and location estimate (empty without GPS)
//!   manifest.json                  SHA-256 and size of every file, UTC times, software version,
//!                                  receiver profile, position; sealed with its own SHA-256
//! ```
//!
//! How bundles are made: a [`Recorder`] sits beside the detection engine. The pipeline's
//! analysis thread pushes every sample block into the recorder's [`IqRing`] (set
//! `PipelineConfig::iq_tap` to [`Recorder::ring`]); the consumer hands the recorder every
//! observation ([`Recorder::observe`]) and alert event ([`Recorder::on_alert`]). When an alert
//! first reaches the configured severity, the recorder waits `post_trigger_s` of stream time and
//! writes the bundle ([`Recorder::poll`]; [`Recorder::finish`] at end of stream writes what is
//! still waiting). A dashboard exports any alert at once with [`export_alert`].
//!
//! Privacy: subscriber identities are masked in `frames.pcap` (as `--pcap`) unless the recorder
//! was made with `reveal_identities`; no other file holds identities (cells.json counts paged
//! identities by kind only). Towerwatch decodes no SMS content. The IQ itself is the raw signal:
//! anyone with a GSM decoder can read paging identities from it, which is why every file is
//! readable by its owner only.

mod bundle;
pub mod manifest;
pub mod ring;
pub mod spectrum;

pub use manifest::{FileCheck, Position, Verification, verify_bundle};
pub use ring::IqRing;

use crate::alert::{Alert, AlertEvent};
use crate::cells::{CellRegistry, obs_time};
use crate::detect::Severity;
use crate::observation::Observation;
use crate::sink::{gsmtap, pcap};
use crate::source::sigmf::{Annotation, SigmfWriter, WriterMeta, create_private};
use crate::source::{SampleFormat, SourceInfo};
use bundle::write_bundle;
use manifest::FileEntry;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use towerwatch_dsp::arfcn::{Band, Direction};

/// Default seconds of IQ before the trigger.
pub const DEFAULT_PRE_TRIGGER_S: f64 = 10.0;
/// Default seconds of IQ after the trigger.
pub const DEFAULT_POST_TRIGGER_S: f64 = 2.0;
/// Extra seconds the ring holds beyond pre + post: the analysis thread runs ahead of the
/// consumer that sees the alerts.
pub const RING_SLACK_S: f64 = 5.0;
/// Default cap of the IQ ring's memory.
pub const DEFAULT_RING_MAX_BYTES: u64 = 256 << 20;
/// Decoded frames remembered (newest kept).
pub const MAX_FRAMES: usize = 100_000;
/// FCCH/SCH burst marks remembered (newest kept).
pub const MAX_MARKS: usize = 100_000;
/// Events remembered per alert (the first and the newest are kept).
pub const MAX_HISTORY: usize = 256;
/// GPS track points remembered.
pub const MAX_TRACK: usize = 100_000;
/// Alerts whose history (and "bundle already scheduled" mark) is kept, and bundles listed in
/// [`Recorder::written`], at most; the lowest (oldest) alert ids go first and are counted in
/// [`Recorder::alerts_forgotten`]. An alert forgotten this way that escalates again gets a new
/// bundle.
pub const MAX_ALERTS_KEPT: usize = 1024;
/// Annotations written per clip at most.
pub const MAX_ANNOTATIONS: usize = 20_000;
/// GSM symbol rate.
const SYMBOL_RATE: f64 = 1_625_000.0 / 6.0;
/// Symbol periods per burst slot and per TDMA frame.
const BURST_SYMBOLS: f64 = 156.25;
const FRAME_SYMBOLS: f64 = 8.0 * BURST_SYMBOLS;

/// Problems writing a bundle.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// File system.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// The IQ clip.
    #[error(transparent)]
    Sigmf(#[from] crate::source::SourceError),
    /// The frames file.
    #[error(transparent)]
    Pcap(#[from] pcap::PcapError),
    /// Reading a bundle back.
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
    /// No such alert.
    #[error("alert {0} is not known (not raised in this run)")]
    UnknownAlert(u64),
    /// JSON encoding.
    #[error("{0}: {1}")]
    Encode(PathBuf, String),
}

/// How evidence is collected.
#[derive(Debug, Clone)]
pub struct EvidenceConfig {
    /// Directory the bundles are created in.
    pub out_dir: PathBuf,
    /// Seconds of IQ before the trigger.
    pub pre_trigger_s: f64,
    /// Seconds of IQ after the trigger (the bundle is written this much stream time later).
    pub post_trigger_s: f64,
    /// Memory cap of the IQ ring.
    pub ring_max_bytes: u64,
    /// Keep subscriber identities in clear in `frames.pcap`.
    pub reveal_identities: bool,
    /// Receiver profile id (hardware-profiles/), recorded in the manifest.
    pub receiver_profile: Option<String>,
    /// Bundle automatically when an alert first reaches this severity (`None`: only on request).
    pub auto_severity: Option<Severity>,
    /// Bundle only this alert id (`towerwatch evidence --alert ID`).
    pub only_alert: Option<u64>,
}

impl EvidenceConfig {
    /// Defaults: 10 s before, 2 s after, 256 MiB ring, identities masked, bundles on high.
    pub fn new(out_dir: PathBuf) -> EvidenceConfig {
        EvidenceConfig {
            out_dir,
            pre_trigger_s: DEFAULT_PRE_TRIGGER_S,
            post_trigger_s: DEFAULT_POST_TRIGGER_S,
            ring_max_bytes: DEFAULT_RING_MAX_BYTES,
            reveal_identities: false,
            receiver_profile: None,
            auto_severity: Some(Severity::High),
            only_alert: None,
        }
    }
}

/// One GPS fix on the track.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackPoint {
    /// Stream time of the fix.
    pub time_s: f64,
    /// Where.
    pub position: Position,
}

/// A decoded frame as remembered for the pcap and annotations.
#[derive(Debug, Clone)]
struct FrameRecord {
    sample_index: u64,
    time_s: f64,
    band: Band,
    arfcn: u16,
    frame_number: u32,
    channel: String,
    name: String,
    raw: [u8; 23],
    signal_dbfs: f64,
    snr_db: f64,
}

#[derive(Debug, Clone)]
struct BurstMark {
    sample_index: u64,
    band: Band,
    arfcn: u16,
    label: &'static str,
    comment: String,
}

/// When a bundle was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Trigger {
    /// The alert.
    pub alert_id: u64,
    /// Stream time of the triggering event.
    pub time_s: f64,
    /// Its severity.
    pub severity: Severity,
    /// What it was.
    pub event: AlertEvent,
    /// Automatic (severity reached) or on request (dashboard `e`).
    pub automatic: bool,
}

/// A written bundle.
#[derive(Debug, Clone, Serialize)]
pub struct Bundle {
    /// The directory.
    pub dir: PathBuf,
    /// The alert.
    pub alert_id: u64,
    /// Files with sizes and hashes (not the manifest).
    pub files: Vec<FileEntry>,
    /// Seconds of IQ in the clip.
    pub clip_s: f64,
    /// Total size, bytes (with the manifest).
    pub bytes: u64,
}

/// Collects what bundles need while a stream runs, and writes them.
pub struct Recorder {
    cfg: EvidenceConfig,
    ring: Arc<IqRing>,
    source: SourceInfo,
    base_unix_s: Option<f64>,
    frames: VecDeque<FrameRecord>,
    marks: VecDeque<BurstMark>,
    levels: crate::sink::CarrierLevels,
    history: BTreeMap<u64, Vec<Alert>>,
    pending: Vec<Trigger>,
    triggered: BTreeSet<u64>,
    track: VecDeque<TrackPoint>,
    position: Option<Position>,
    now_s: f64,
    written: Vec<Bundle>,
    alerts_forgotten: u64,
}

/// The sample encoding a clip of this source is kept in: the source's own when it has a SigMF
/// name (byte-exact clips), else 16-bit integers.
pub fn clip_format(info: &SourceInfo) -> SampleFormat {
    SampleFormat::from_sigmf(&info.format)
        .ok()
        .or_else(|| SampleFormat::from_raw_name(&info.format))
        .unwrap_or(SampleFormat::Ci16Le)
}

fn utc_string(unix_s: f64) -> String {
    let t = UNIX_EPOCH + Duration::from_secs_f64(unix_s.max(0.0));
    humantime::format_rfc3339_millis(t).to_string()
}

fn now_unix_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Recorder {
    /// A recorder for a stream described by `source`.
    pub fn new(cfg: EvidenceConfig, source: &SourceInfo) -> Recorder {
        let ring = Arc::new(IqRing::with_limits(
            clip_format(source),
            source.sample_rate_sps,
            cfg.pre_trigger_s.max(0.0) + cfg.post_trigger_s.max(0.0) + RING_SLACK_S,
            cfg.ring_max_bytes,
        ));
        let base_unix_s = source
            .start_time
            .as_deref()
            .and_then(|s| humantime::parse_rfc3339_weak(s).ok())
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs_f64());
        Recorder {
            cfg,
            ring,
            source: source.clone(),
            base_unix_s,
            frames: VecDeque::new(),
            marks: VecDeque::new(),
            levels: crate::sink::CarrierLevels::default(),
            history: BTreeMap::new(),
            pending: Vec::new(),
            triggered: BTreeSet::new(),
            track: VecDeque::new(),
            position: None,
            now_s: 0.0,
            written: Vec::new(),
            alerts_forgotten: 0,
        }
    }

    /// The IQ ring to pass to the pipeline (`PipelineConfig::iq_tap`).
    pub fn ring(&self) -> Arc<IqRing> {
        self.ring.clone()
    }

    /// The settings.
    pub fn config(&self) -> &EvidenceConfig {
        &self.cfg
    }

    /// Bundles written so far (the last [`MAX_ALERTS_KEPT`]).
    pub fn written(&self) -> &[Bundle] {
        &self.written
    }

    /// Alerts whose history was dropped to stay within [`MAX_ALERTS_KEPT`].
    pub fn alerts_forgotten(&self) -> u64 {
        self.alerts_forgotten
    }

    /// Ids of the alerts seen so far.
    pub fn alert_ids(&self) -> Vec<u64> {
        self.history.keys().copied().collect()
    }

    /// The receiver's current position (from a GPS), recorded in the manifest.
    pub fn set_position(&mut self, p: Option<Position>) {
        self.position = p;
    }

    /// Add a GPS fix to the track (for the report's map and location estimate).
    pub fn add_track_point(&mut self, p: TrackPoint) {
        self.position = Some(p.position);
        self.track.push_back(p);
        while self.track.len() > MAX_TRACK {
            self.track.pop_front();
        }
    }

    fn horizon_s(&self) -> f64 {
        self.cfg.pre_trigger_s + self.cfg.post_trigger_s + RING_SLACK_S
    }

    /// Remember what a bundle needs from one observation.
    pub fn observe(&mut self, o: &Observation) {
        if let Some(t) = obs_time(o) {
            self.now_s = self.now_s.max(t);
        }
        self.levels.observe(o);
        match o {
            Observation::Carrier(c) => {
                self.marks.push_back(BurstMark {
                    sample_index: c.sample_index,
                    band: c.band,
                    arfcn: c.arfcn,
                    label: "FCCH",
                    comment: format!(
                        "FCCH burst, carrier offset {:+.1} Hz ± {:.1} Hz",
                        c.freq_offset_hz, c.uncertainty_hz
                    ),
                });
            }
            Observation::Sync(s) => self.marks.push_back(BurstMark {
                sample_index: s.sample_index,
                band: s.band,
                arfcn: s.arfcn,
                label: "SCH",
                comment: format!(
                    "SCH burst, BSIC {} (NCC {} BCC {}), FN {}",
                    s.bsic, s.ncc, s.bcc, s.frame_number
                ),
            }),
            Observation::SystemInfo(m) | Observation::Ccch(m) => {
                let (sig, snr) = self.levels.get(m.band, m.arfcn);
                self.frames.push_back(FrameRecord {
                    sample_index: m.sample_index,
                    time_s: m.time_s,
                    band: m.band,
                    arfcn: m.arfcn,
                    frame_number: m.frame_number,
                    channel: m.channel.clone(),
                    name: m.name.clone(),
                    raw: m.raw,
                    signal_dbfs: sig,
                    snr_db: snr,
                });
            }
            _ => {}
        }
        // Forget what no bundle can need any more.
        let oldest = self.now_s - self.horizon_s();
        let rate = self.source.sample_rate_sps.max(1.0);
        while self.frames.len() > MAX_FRAMES
            || self.frames.front().is_some_and(|f| f.time_s < oldest)
        {
            self.frames.pop_front();
        }
        while self.marks.len() > MAX_MARKS
            || self
                .marks
                .front()
                .is_some_and(|m| (m.sample_index as f64 / rate) < oldest)
        {
            self.marks.pop_front();
        }
    }

    /// Remember an alert event; schedule a bundle when it first reaches the configured severity.
    pub fn on_alert(&mut self, a: &Alert) {
        let h = self.history.entry(a.id).or_default();
        if h.len() >= MAX_HISTORY {
            h.remove(1);
        }
        h.push(a.clone());
        while self.history.len() > MAX_ALERTS_KEPT {
            if self.history.pop_first().is_some() {
                self.alerts_forgotten += 1;
            }
        }
        let wanted = self.cfg.auto_severity.is_some_and(|min| a.severity >= min)
            && a.event != AlertEvent::Cleared
            && self.cfg.only_alert.is_none_or(|id| id == a.id);
        if wanted && self.triggered.insert(a.id) {
            self.pending.push(Trigger {
                alert_id: a.id,
                time_s: a.time_s,
                severity: a.severity,
                event: a.event,
                automatic: true,
            });
        }
        while self.triggered.len() > MAX_ALERTS_KEPT {
            self.triggered.pop_first();
        }
    }

    /// Whether the one alert asked for (`only_alert`) has been bundled: nothing more to do.
    pub fn is_done(&self) -> bool {
        self.cfg
            .only_alert
            .is_some_and(|id| self.written.iter().any(|b| b.alert_id == id))
    }

    /// Whether a bundle is still waiting for its post-trigger seconds.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Write the bundles whose post-trigger time has passed.
    pub fn poll(&mut self, registry: &CellRegistry) -> Result<Vec<Bundle>, EvidenceError> {
        let due_before = self.now_s - self.cfg.post_trigger_s;
        let (due, wait): (Vec<Trigger>, Vec<Trigger>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|t| t.time_s <= due_before);
        self.pending = wait;
        self.write_all(due, registry)
    }

    /// End of stream: write every bundle still waiting (with what IQ there is after its trigger).
    pub fn finish(&mut self, registry: &CellRegistry) -> Result<Vec<Bundle>, EvidenceError> {
        let due = std::mem::take(&mut self.pending);
        self.write_all(due, registry)
    }

    fn write_all(
        &mut self,
        due: Vec<Trigger>,
        registry: &CellRegistry,
    ) -> Result<Vec<Bundle>, EvidenceError> {
        let mut out = Vec::new();
        for t in due {
            let b = write_bundle(self, registry, &t, &self.cfg.out_dir)?;
            if self.written.len() >= MAX_ALERTS_KEPT {
                // Rare (a thousand bundles) and short: shifting is fine.
                self.written.remove(0);
            }
            self.written.push(b.clone());
            out.push(b);
        }
        Ok(out)
    }
}

/// Export an alert now (the dashboard's `e` key): a bundle in `parent` around the alert's latest
/// event, with the IQ the ring holds from `pre_trigger_s` before it up to now (at most
/// `post_trigger_s` after it). Returns the bundle written.
pub fn export_alert(
    recorder: &Recorder,
    registry: &CellRegistry,
    alert_id: u64,
    parent: &Path,
) -> Result<Bundle, EvidenceError> {
    let latest = recorder
        .history
        .get(&alert_id)
        .and_then(|h| h.last())
        .ok_or(EvidenceError::UnknownAlert(alert_id))?;
    let t = Trigger {
        alert_id,
        time_s: latest.time_s,
        severity: latest.severity,
        event: latest.event,
        automatic: false,
    };
    write_bundle(recorder, registry, &t, parent)
}

/// A cell's parameters as the report shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellRow {
    /// The alerted cell.
    pub alerted: bool,
    /// Band name.
    pub band: String,
    /// ARFCN.
    pub arfcn: u16,
    /// Nominal downlink frequency.
    pub freq_hz: f64,
    /// Latest BSIC.
    pub bsic: Option<u8>,
    /// Latest CGI (MCC-MNC-LAC-CI).
    pub cgi: Option<String>,
    /// Every CGI seen on the carrier.
    pub cgis: Vec<String>,
    /// Latest channel power, dBFS.
    pub power_dbfs: Option<f64>,
    /// Latest SNR, dB.
    pub snr_db: Option<f64>,
    /// Median frequency offset, ppm (includes the receiver's own error).
    pub offset_ppm: Option<f64>,
    /// Neighbour ARFCNs (SI2 ∪ SI2bis ∪ SI2ter).
    pub neighbours: Vec<u16>,
    /// Whether SI2 was decoded (an empty neighbour list means something only then).
    pub si2_seen: bool,
    /// CELL_RESELECT_OFFSET, dB.
    pub cro_db: Option<u8>,
    /// T3212, decihours (0 = no periodic updating).
    pub t3212_dh: Option<u8>,
    /// RXLEV_ACCESS_MIN (0–63).
    pub rxlev_access_min: Option<u8>,
    /// CELL_RESELECT_HYSTERESIS, dB.
    pub hysteresis_db: Option<u8>,
    /// Immediate Assignments counted.
    pub immediate_assignments: u64,
    /// Paging messages counted.
    pub paging_messages: u64,
    /// First seen (stream time).
    pub first_seen_s: f64,
    /// Last seen (stream time).
    pub last_seen_s: f64,
}

/// Every cell of the registry as report rows; `alerted` marks the alert's carrier.
pub fn cell_rows(registry: &CellRegistry, alerted: Option<(Band, u16)>) -> Vec<CellRow> {
    registry
        .cells()
        .map(|c| {
            let s = &c.summary;
            let p = c.latest_power();
            CellRow {
                alerted: alerted == Some((c.band, c.arfcn)),
                band: c.band.to_string(),
                arfcn: c.arfcn,
                freq_hz: c.freq_hz,
                bsic: c.bsic,
                cgi: c.cgi.map(|g| g.to_string()),
                cgis: c.cgis.iter().map(ToString::to_string).collect(),
                power_dbfs: p.map(|p| p.power_dbfs),
                snr_db: p.map(|p| p.snr_db),
                offset_ppm: c.offset_ppm().map(|o| (o.0 * 1000.0).round() / 1000.0),
                neighbours: s.neighbours(),
                si2_seen: c.has_si2(),
                cro_db: s.selection.as_ref().map(|x| x.cell_reselect_offset_db()),
                t3212_dh: s.control_channel.as_ref().map(|x| x.t3212),
                rxlev_access_min: s.cell_selection.as_ref().map(|x| x.rxlev_access_min),
                hysteresis_db: s
                    .cell_selection
                    .as_ref()
                    .map(|x| 2 * x.cell_reselect_hysteresis),
                immediate_assignments: c.ccch.immediate_assignments,
                paging_messages: c.ccch.paging_by_type.values().sum(),
                first_seen_s: c.first_seen_s,
                last_seen_s: c.last_seen_s,
            }
        })
        .collect()
}

/// One LTE cell in a bundle's `lte_cells.json` (written only when the run saw LTE cells).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LteCellRow {
    /// The alert is about this cell.
    pub alerted: bool,
    /// Downlink EARFCN.
    pub earfcn: u32,
    /// Physical cell identity.
    pub pci: u16,
    /// E-UTRA band, when known.
    pub band: Option<u8>,
    /// Downlink centre frequency.
    pub dl_freq_hz: f64,
    /// Median RSRP of the recent measurements, dBFS per resource element.
    pub rsrp_dbfs: Option<f64>,
    /// Median frequency offset, ppm (the receiver's own error included).
    pub offset_ppm: Option<f64>,
    /// MIB bits as hex, as decoded.
    pub mib_hex: Option<String>,
    /// Bandwidth in resource blocks (MIB).
    pub bandwidth_prb: Option<u16>,
    /// Transmit antenna ports (PBCH CRC mask).
    pub antenna_ports: Option<u8>,
    /// SIB1 transport block as hex, when decoded.
    pub sib1_hex: Option<String>,
    /// SIB1's fields (PLMNs, TAC, cell identity, scheduling…), when it parsed.
    pub sib1: Option<Value>,
    /// First and last heard, stream seconds.
    pub first_seen_s: f64,
    /// See `first_seen_s`.
    pub last_seen_s: f64,
}

/// The LTE cells of the registry for a bundle, the alerted one (`alerted`) marked.
pub fn lte_cell_rows(
    registry: &CellRegistry,
    alerted: Option<crate::cells::LteCellId>,
) -> Vec<LteCellRow> {
    registry
        .lte_cells()
        .map(|c| LteCellRow {
            alerted: alerted == Some(c.id),
            earfcn: c.id.earfcn,
            pci: c.id.pci,
            band: c.band,
            dl_freq_hz: c.dl_freq_hz,
            rsrp_dbfs: c.rsrp_dbfs().map(crate::num::tidy),
            offset_ppm: c.offset_ppm().map(|o| (o.0 * 1000.0).round() / 1000.0),
            mib_hex: c.mib.as_ref().map(|m| m.hex.clone()),
            bandwidth_prb: c.mib.as_ref().and_then(|m| m.bandwidth_prb),
            antenna_ports: c.mib.as_ref().map(|m| m.antenna_ports),
            sib1_hex: c.sib1.as_ref().map(|s| s.hex.clone()),
            sib1: c
                .sib1
                .as_ref()
                .and_then(|s| s.fields.as_ref())
                .and_then(|f| serde_json::to_value(f).ok()),
            first_seen_s: c.first_seen_s,
            last_seen_s: c.last_seen_s,
        })
        .collect()
}

/// A location estimate from a track: the power-weighted centroid of the fixes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LocationEstimate {
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Radius of the circle the transmitter is likely in, metres.
    pub radius_m: f64,
    /// Fixes used.
    pub fixes: usize,
}

/// Weighted centroid of fixes with the cell's power (dBFS) at each, weights in linear power;
/// the radius is the weighted RMS distance of the fixes from it (at least 50 m). `None` without
/// fixes that have a power reading.
pub fn estimate_location(points: &[(Position, f64)]) -> Option<LocationEstimate> {
    let pts: Vec<_> = points
        .iter()
        .filter(|(p, db)| db.is_finite() && p.lat_deg.is_finite() && p.lon_deg.is_finite())
        .collect();
    let top = pts
        .iter()
        .map(|(_, db)| *db)
        .fold(f64::NEG_INFINITY, f64::max);
    if pts.is_empty() {
        return None;
    }
    let w: Vec<f64> = pts
        .iter()
        .map(|(_, db)| 10f64.powf((db - top) / 10.0))
        .collect();
    let sw: f64 = w.iter().sum();
    let lat = pts
        .iter()
        .zip(&w)
        .map(|((p, _), w)| p.lat_deg * w)
        .sum::<f64>()
        / sw;
    let lon = pts
        .iter()
        .zip(&w)
        .map(|((p, _), w)| p.lon_deg * w)
        .sum::<f64>()
        / sw;
    let enu = crate::geo::Enu::new(lat, lon);
    let ms: f64 = pts
        .iter()
        .zip(&w)
        .map(|((p, _), w)| {
            let (dx, dy) = enu.to_xy(p.lat_deg, p.lon_deg);
            w * (dx * dx + dy * dy)
        })
        .sum::<f64>()
        / sw;
    Some(LocationEstimate {
        lat_deg: lat,
        lon_deg: lon,
        radius_m: ms.sqrt().max(50.0),
        fixes: pts.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A long run raises alert after alert: the recorder keeps the histories of the last
    /// [`MAX_ALERTS_KEPT`] only, counts the rest, and still schedules each new alert's bundle.
    #[test]
    fn alert_histories_are_capped_and_counted() {
        #![allow(clippy::unwrap_used)]
        let dir = std::env::temp_dir().join("towerwatch-evidence-cap-test");
        let info = SourceInfo {
            description: "test".into(),
            sample_rate_sps: 1e6,
            center_freq_hz: 941e6,
            format: "cf32_le".into(),
            start_time: None,
            hardware: None,
            total_samples: None,
            segments: Vec::new(),
            live: true,
        };
        let mut rec = Recorder::new(EvidenceConfig::new(dir), &info);
        let n = MAX_ALERTS_KEPT as u64 + 100;
        for id in 1..=n {
            let a = Alert {
                kind: "alert",
                event: AlertEvent::Raised,
                id,
                time_s: id as f64,
                raised_s: id as f64,
                severity: Severity::High,
                score: 10.0,
                cell: crate::cells::CellKey {
                    band: towerwatch_dsp::arfcn::Band::PGsm900,
                    arfcn: 10,
                    uplink: false,
                    bsic: None,
                    cgi: None,
                    lte: None,
                },
                summary: String::new(),
                signatures: Vec::new(),
                advice: String::new(),
                related: Vec::new(),
            };
            rec.on_alert(&a);
        }
        let ids = rec.alert_ids();
        assert_eq!(ids.len(), MAX_ALERTS_KEPT);
        assert_eq!(ids.first().copied(), Some(101), "the oldest went first");
        assert_eq!(rec.alerts_forgotten(), 100);
        assert!(rec.triggered.len() <= MAX_ALERTS_KEPT);
        assert_eq!(
            rec.pending.len() as u64,
            n,
            "every alert still gets its bundle"
        );
    }

    #[test]
    fn location_estimate_is_near_the_strong_fixes() {
        let p = |lat, lon| Position {
            lat_deg: lat,
            lon_deg: lon,
            accuracy_m: None,
        };
        let e = estimate_location(&[
            (p(52.0, 13.0), -60.0),
            (p(52.001, 13.0), -30.0),
            (p(52.002, 13.0), -60.0),
        ])
        .unwrap();
        assert!((e.lat_deg - 52.001).abs() < 1e-5, "{e:?}");
        assert!(e.radius_m >= 50.0 && e.radius_m < 100.0, "{e:?}");
        assert!(estimate_location(&[(p(1.0, 1.0), f64::NAN)]).is_none());
    }
}
