//! `towerwatch synth`: scene TOML → [`towerwatch_dsp::gsm::synth`] config → SigMF recording.
//!
//! A scene file has one `[scene]` table (receiver, output, noise, seed), any number of `[[cell]]`
//! tables (downlink BTSs: identity, system information, CCCH load, physics) and of `[[emitter]]`
//! tables (uplink transmitters: SIM boxes, phones). Every table rejects unknown keys. See
//! `recordings/scenes/*.toml` for complete, commented examples, and the dsp module docs for the
//! exact definitions of power, SNR (Es/N0 of a 0 dB transmitter) and clock errors.
//!
//! The output's global metadata holds the generator name and version, the effective seed and
//! duration, the derived levels, the scene as parsed (`towerwatch:scene`) and the scene file's
//! text (`towerwatch:scene_toml`); there is one annotation per carrier (label = name, with its
//! band, ARFCN, BSIC and CGI).

use crate::source::SourceError;
use crate::source::format::SampleFormat;
use crate::source::sigmf::{Annotation, SigmfWriter, WriterMeta};
use num_complex::Complex32;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use towerwatch_dsp::arfcn::Band;
use towerwatch_dsp::gsm::synth::{
    BcchFrames, CarrierKind, CcchLoad, CellConfig, CellCounters, DedicatedBehaviour,
    DedicatedConfig, EmitterConfig, EmitterCounters, IdleCcch, Physics, Scene, SceneConfig, Tap,
};

/// Generator name and version written into every recording.
pub const GENERATOR: &str = concat!("towerwatch-synth ", env!("CARGO_PKG_VERSION"));

/// Errors of `towerwatch synth`. Each names the scene file (and the field when it is the cause).
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The scene file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// Scene file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The scene file is not valid TOML or does not match the schema (the message names the
    /// field, line and column).
    #[error("{path}: {message}")]
    Parse {
        /// Scene file.
        path: PathBuf,
        /// What is wrong and where.
        message: String,
    },
    /// A value is out of range or inconsistent.
    #[error("{path}: {message}")]
    Invalid {
        /// Scene file.
        path: PathBuf,
        /// Which cell/emitter and field, and why.
        message: String,
    },
    /// Writing the recording failed.
    #[error(transparent)]
    Output(#[from] SourceError),
    /// The scene file is not a regular file, too large, or not text (the message names it).
    #[error(transparent)]
    Limit(#[from] crate::limits::LimitError),
}

/// Options from the command line that override the scene file.
#[derive(Debug, Clone, Default)]
pub struct SynthOptions {
    /// Override `scene.duration_s`.
    pub duration_s: Option<f64>,
    /// Override `scene.seed`.
    pub seed: Option<u64>,
    /// Override `scene.format`.
    pub format: Option<SampleFormat>,
    /// Override `scene.sample_rate_sps`.
    pub sample_rate_sps: Option<f64>,
    /// Override the centre frequency (Hz).
    pub center_freq_hz: Option<f64>,
    /// Leave out carriers that do not fit in the output band instead of failing (for checks
    /// that centre a narrow recording on one cell of a wide scene).
    pub drop_out_of_band: bool,
}

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct SynthSummary {
    /// Stopped early by Ctrl-C / SIGTERM: `samples` is what was written (a hashed pair).
    pub interrupted: bool,
    /// Metadata file written.
    pub meta_path: PathBuf,
    /// Data file written.
    pub data_path: PathBuf,
    /// Samples written.
    pub samples: u64,
    /// Sample rate.
    pub sample_rate_sps: f64,
    /// Centre frequency.
    pub center_freq_hz: f64,
    /// Duration in seconds.
    pub duration_s: f64,
    /// SigMF datatype.
    pub format: String,
    /// Size of the data file in bytes.
    pub data_bytes: u64,
    /// Seed used.
    pub seed: u64,
    /// Amplitude of a 0 dB transmitter (1.0 = full scale).
    pub reference_amplitude: f64,
    /// Wall-clock seconds spent generating and writing.
    pub elapsed_s: f64,
    /// Seconds of signal generated per wall-clock second.
    pub real_time_factor: f64,
    /// Per-cell counters (name, counters).
    pub cells: Vec<(String, CellCounters)>,
    /// Per-emitter-carrier counters (name, ARFCN, counters).
    pub emitters: Vec<(String, u16, EmitterCounters)>,
}

// ---------------------------------------------------------------------------------------------
// Scene file schema
// ---------------------------------------------------------------------------------------------

/// A scene file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneFile {
    /// Receiver, output and noise.
    pub scene: SceneTable,
    /// Downlink cells.
    #[serde(default)]
    pub cell: Vec<CellTable>,
    /// Uplink emitters.
    #[serde(default)]
    pub emitter: Vec<EmitterTable>,
}

/// `[scene]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneTable {
    /// Short name.
    pub name: String,
    /// Free text (goes to `core:description`).
    #[serde(default)]
    pub description: Option<String>,
    /// Output sample rate.
    pub sample_rate_sps: f64,
    /// Receiver centre frequency, Hz. Either this or `center_band` + `center_arfcn`.
    #[serde(default)]
    pub center_freq_hz: Option<f64>,
    /// Band of `center_arfcn`.
    #[serde(default)]
    pub center_band: Option<String>,
    /// Put the centre on this ARFCN's downlink (or uplink with `center_uplink`).
    #[serde(default)]
    pub center_arfcn: Option<u16>,
    /// Centre on the uplink frequency of `center_arfcn`.
    #[serde(default)]
    pub center_uplink: bool,
    /// `cf32`, `ci16`, `ci8` or `cu8`.
    #[serde(default = "default_format")]
    pub format: String,
    /// Length of the recording.
    pub duration_s: f64,
    /// Seed of every random choice.
    #[serde(default)]
    pub seed: u64,
    /// Es/N0 of a 0 dB transmitter (omit for no noise).
    #[serde(default)]
    pub snr_db: Option<f64>,
    /// Receiver clock error, ppm.
    #[serde(default)]
    pub rx_ppm: f64,
    /// Level of a 0 dB transmitter, dBFS (omit for automatic headroom).
    #[serde(default)]
    pub reference_level_dbfs: Option<f64>,
}

fn default_format() -> String {
    "cf32".into()
}

/// Physics keys shared by cells and emitters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhysicsTable {
    /// Power relative to the 0 dB reference.
    #[serde(default)]
    pub power_db: f64,
    /// Transmitter clock error.
    #[serde(default)]
    pub freq_offset_ppm: f64,
    /// Transmitter clock drift.
    #[serde(default)]
    pub drift_ppm_per_s: f64,
    /// Delay of the transmitter's time grid.
    #[serde(default)]
    pub timing_offset_s: f64,
    /// Switch-on time.
    #[serde(default)]
    pub on_s: f64,
    /// Switch-off time.
    #[serde(default)]
    pub off_s: Option<f64>,
    /// Switch-on/off ramp.
    #[serde(default)]
    pub edge_s: Option<f64>,
    /// `[[t_s, extra_db], …]`, linear in dB between points.
    #[serde(default)]
    pub power_profile: Vec<[f64; 2]>,
    /// Static multipath taps (≤ 3).
    #[serde(default)]
    pub multipath: Vec<TapTable>,
}

/// One multipath tap.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TapTable {
    /// Delay relative to the direct path, µs.
    pub delay_us: f64,
    /// Gain relative to the direct path.
    pub gain_db: f64,
    /// Carrier phase of the path.
    #[serde(default)]
    pub phase_rad: f64,
}

impl PhysicsTable {
    fn to_physics(&self) -> Physics {
        Physics {
            power_db: self.power_db,
            freq_offset_ppm: self.freq_offset_ppm,
            drift_ppm_per_s: self.drift_ppm_per_s,
            timing_offset_s: self.timing_offset_s,
            on_s: self.on_s,
            off_s: self.off_s,
            edge_s: self.edge_s.unwrap_or(0.001),
            power_profile: self.power_profile.iter().map(|p| (p[0], p[1])).collect(),
            multipath: self
                .multipath
                .iter()
                .map(|t| Tap {
                    delay_s: t.delay_us * 1e-6,
                    gain_db: t.gain_db,
                    phase_rad: t.phase_rad,
                })
                .collect(),
        }
    }
}

/// `[[cell]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellTable {
    /// Name (annotation label).
    pub name: String,
    /// Band name (`gsm850`, `gsm900`, `egsm`, `dcs1800`, `pcs1900`).
    pub band: String,
    /// C0 ARFCN.
    pub arfcn: u16,
    /// Network colour code (0–7).
    pub ncc: u8,
    /// Base station colour code (0–7) = training sequence code.
    pub bcc: u8,
    /// Mobile country code.
    pub mcc: u16,
    /// Mobile network code.
    pub mnc: u16,
    /// Whether the MNC has three digits.
    #[serde(default)]
    pub mnc_3_digits: bool,
    /// Location area code.
    pub lac: u16,
    /// Cell identity.
    pub ci: u16,
    /// Frame number of the first frame (omit: drawn from the seed).
    #[serde(default)]
    pub start_fn: Option<u32>,
    /// Timeslots 1–7 with traffic-like bursts instead of dummy bursts.
    #[serde(default)]
    pub traffic_timeslots: Vec<u8>,
    /// Timeslots 1–7 configured as SDCCH/8: Immediate Assignments point there and the cell
    /// serves the dialogue of `sdcch_behaviour` on the assigned sub-channel. Empty (default):
    /// assignments name a random timeslot and nothing is sent there (as in older scenes).
    #[serde(default)]
    pub sdcch8_timeslots: Vec<u8>,
    /// What the cell says on its SDCCHs: `normal` (authentication, then ciphering with A5/1;
    /// default) or `sms-blaster` (identity request and an SMS, in clear).
    #[serde(default)]
    pub sdcch_behaviour: DedicatedBehaviour,
    /// SMS sender of an `sms-blaster` (alphanumeric unless all digits).
    #[serde(default = "default_sms_sender")]
    pub sms_sender: String,
    /// SMS text of an `sms-blaster` (GSM 7-bit alphabet).
    #[serde(default = "default_sms_text")]
    pub sms_text: String,
    /// System information contents.
    #[serde(default)]
    pub si: SiTable,
    /// CCCH load.
    #[serde(default)]
    pub ccch: CcchTable,
    /// Physics (`[cell.physics]` / `[emitter.physics]`).
    #[serde(default)]
    pub physics: PhysicsTable,
}

fn default_sms_sender() -> String {
    "DHL".to_string()
}

fn default_sms_text() -> String {
    "Your parcel is on hold. Pay 1.99 EUR fee: http://dhl-post.example/p".to_string()
}

/// `[cell.si]`: what the system information says (TS 44.018 §9.1.31–43, §10.5.2).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiTable {
    /// Cell allocation (SI1); empty = the C0 ARFCN only.
    #[serde(default)]
    pub cell_allocation: Vec<u16>,
    /// BCCH allocation of neighbours (SI2 neighbour cell description).
    #[serde(default)]
    pub neighbours: Vec<u16>,
    /// Send SI2bis (with `neighbours_bis`).
    #[serde(default)]
    pub si2bis: bool,
    /// Neighbours in SI2bis.
    #[serde(default)]
    pub neighbours_bis: Vec<u16>,
    /// Send SI2ter (with `neighbours_ter`, multiband).
    #[serde(default)]
    pub si2ter: bool,
    /// Neighbours in SI2ter.
    #[serde(default)]
    pub neighbours_ter: Vec<u16>,
    /// Send SI2quater.
    #[serde(default)]
    pub si2quater: bool,
    /// GPRS on (SI13 sent, GPRS indicator in SI3/SI4 rest octets).
    #[serde(default)]
    pub gprs: bool,
    /// BS_AG_BLKS_RES (0–7).
    #[serde(default = "d_one")]
    pub bs_ag_blks_res: u8,
    /// BS_PA_MFRMS (2–9 multiframes).
    #[serde(default = "d_two")]
    pub bs_pa_mfrms: u8,
    /// T3212 periodic location update, decihours (0 = off).
    #[serde(default = "d_t3212")]
    pub t3212_dh: u8,
    /// ATT (IMSI attach/detach).
    #[serde(default = "d_true")]
    pub att: bool,
    /// CELL_RESELECT_HYSTERESIS, dB (0–14, even).
    #[serde(default = "d_four")]
    pub cell_reselect_hysteresis_db: u8,
    /// MS_TXPWR_MAX_CCH (0–31, power control level).
    #[serde(default = "d_five")]
    pub ms_txpwr_max_cch: u8,
    /// RXLEV_ACCESS_MIN (0–63).
    #[serde(default = "d_rxlev")]
    pub rxlev_access_min: u8,
    /// Max retransmissions on RACH: 1, 2, 4 or 7.
    #[serde(default = "d_four")]
    pub max_retrans: u8,
    /// TX-integer, coded 0–15 (TS 44.018 table 10.5.2.29.1).
    #[serde(default = "d_txint")]
    pub tx_integer: u8,
    /// Cell barred for access.
    #[serde(default)]
    pub cell_barred: bool,
    /// Call re-establishment allowed.
    #[serde(default = "d_true")]
    pub reestablishment_allowed: bool,
    /// Access control classes barred (bit mask, 16 bits).
    #[serde(default)]
    pub access_classes_barred: u16,
    /// Cell bar qualify (SI3 rest octets; enables the reselection parameters below).
    #[serde(default)]
    pub cbq: bool,
    /// CELL_RESELECT_OFFSET, dB (0–126, even). Non-zero sends the optional selection parameters.
    #[serde(default)]
    pub cell_reselect_offset_db: u8,
    /// TEMPORARY_OFFSET, dB (0–70 in steps of 10; 70 = infinity).
    #[serde(default)]
    pub temporary_offset_db: u8,
    /// PENALTY_TIME, seconds (20–640 in steps of 20; 660 = reserved for "CRO ignored").
    #[serde(default = "d_penalty")]
    pub penalty_time_s: u16,
    /// Radio link timeout (4–64 SACCH blocks in steps of 4).
    #[serde(default = "d_rlt")]
    pub radio_link_timeout: u8,
    /// DTX indication (0–3, TS 44.018 §10.5.2.3).
    #[serde(default = "d_two")]
    pub dtx: u8,
    /// NCC permitted (bit mask).
    #[serde(default = "d_ff")]
    pub ncc_permitted: u8,
}

fn d_one() -> u8 {
    1
}
fn d_two() -> u8 {
    2
}
fn d_four() -> u8 {
    4
}
fn d_five() -> u8 {
    5
}
fn d_t3212() -> u8 {
    10
}
fn d_true() -> bool {
    true
}
fn d_rxlev() -> u8 {
    8
}
fn d_txint() -> u8 {
    12
}
fn d_penalty() -> u16 {
    20
}
fn d_rlt() -> u8 {
    32
}
fn d_ff() -> u8 {
    0xff
}

impl Default for SiTable {
    fn default() -> Self {
        // Same defaults as serde applies to a missing key.
        toml::from_str("").unwrap_or_else(|_| SiTable {
            cell_allocation: vec![],
            neighbours: vec![],
            si2bis: false,
            neighbours_bis: vec![],
            si2ter: false,
            neighbours_ter: vec![],
            si2quater: false,
            gprs: false,
            bs_ag_blks_res: 1,
            bs_pa_mfrms: 2,
            t3212_dh: 10,
            att: true,
            cell_reselect_hysteresis_db: 4,
            ms_txpwr_max_cch: 5,
            rxlev_access_min: 8,
            max_retrans: 4,
            tx_integer: 12,
            cell_barred: false,
            reestablishment_allowed: true,
            access_classes_barred: 0,
            cbq: false,
            cell_reselect_offset_db: 0,
            temporary_offset_db: 0,
            penalty_time_s: 20,
            radio_link_timeout: 32,
            dtx: 2,
            ncc_permitted: 0xff,
        })
    }
}

/// `[cell.ccch]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CcchTable {
    /// Identities paged per second.
    #[serde(default)]
    pub paging_per_s: f64,
    /// Fraction of paged identities that are IMSIs.
    #[serde(default)]
    pub paging_imsi_fraction: f64,
    /// Paging Request types the cell may use.
    #[serde(default = "d_types")]
    pub paging_types: Vec<u8>,
    /// Immediate Assignments per second.
    #[serde(default)]
    pub immediate_assignment_per_s: f64,
    /// `empty-paging` or `fill`.
    #[serde(default)]
    pub idle: IdleCcch,
}

fn d_types() -> Vec<u8> {
    vec![1, 2, 3]
}

impl Default for CcchTable {
    fn default() -> Self {
        CcchTable {
            paging_per_s: 0.0,
            paging_imsi_fraction: 0.0,
            paging_types: d_types(),
            immediate_assignment_per_s: 0.0,
            idle: IdleCcch::EmptyPaging,
        }
    }
}

/// `[[emitter]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmitterTable {
    /// Name (annotation label).
    pub name: String,
    /// What it is, for the reader (`simbox`, `phone`, …).
    #[serde(default)]
    pub kind: Option<String>,
    /// Band name.
    pub band: String,
    /// Uplink ARFCNs.
    pub arfcns: Vec<u16>,
    /// Bursts per second over all its ARFCNs.
    pub bursts_per_s: f64,
    /// Fraction of access bursts.
    #[serde(default)]
    pub access_fraction: f64,
    /// BSIC of the serving cell (NCC·8 + BCC).
    #[serde(default)]
    pub bsic: u8,
    /// Physics (`[cell.physics]` / `[emitter.physics]`).
    #[serde(default)]
    pub physics: PhysicsTable,
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/// A loaded, validated scene: the file as parsed, its text, and the dsp configuration.
#[derive(Debug, Clone)]
pub struct LoadedScene {
    /// The file as parsed.
    pub file: SceneFile,
    /// The file's text.
    pub text: String,
    /// Generator configuration.
    pub config: SceneConfig,
    /// Output format.
    pub format: SampleFormat,
    /// Duration to generate.
    pub duration_s: f64,
}

fn parse_format(s: &str) -> Option<SampleFormat> {
    match s.to_ascii_lowercase().as_str() {
        "cf32" | "cf32_le" => Some(SampleFormat::Cf32Le),
        "ci16" | "ci16_le" | "cs16" => Some(SampleFormat::Ci16Le),
        "ci8" | "cs8" => Some(SampleFormat::Ci8),
        "cu8" => Some(SampleFormat::Cu8),
        _ => None,
    }
}

fn band(path: &Path, who: &str, s: &str) -> Result<Band, SynthError> {
    Band::parse(s).ok_or_else(|| SynthError::Invalid {
        path: path.to_path_buf(),
        message: format!(
            "{who}: band = {s:?} is not a GSM band (gsm850, gsm900, egsm, rgsm, dcs1800, pcs1900)"
        ),
    })
}

/// Parse and validate a scene from its text (`path` is used in messages only).
pub fn parse_scene(
    path: &Path,
    text: &str,
    opts: &SynthOptions,
) -> Result<LoadedScene, SynthError> {
    let file: SceneFile = toml::from_str(text).map_err(|e| SynthError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().replace('\n', " "),
    })?;
    let invalid = |message: String| SynthError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let s = file.scene.clone();
    let format_name = s.format.clone();
    let format = match opts.format {
        Some(f) => f,
        None => parse_format(&format_name).ok_or_else(|| {
            invalid(format!(
                "scene: format = {format_name:?} is not one of cf32, ci16, ci8, cu8"
            ))
        })?,
    };
    let duration_s = opts.duration_s.unwrap_or(s.duration_s);
    if !(duration_s > 0.0 && duration_s <= 24.0 * 3600.0) {
        return Err(invalid(format!(
            "scene: duration_s = {duration_s} must be > 0 and ≤ 86400"
        )));
    }
    let center_freq_hz = match (s.center_freq_hz, &s.center_band, s.center_arfcn) {
        (Some(f), None, None) => f,
        (None, Some(b), Some(a)) => {
            let b = band(path, "scene", b)?;
            let dir = if s.center_uplink {
                towerwatch_dsp::arfcn::Direction::Uplink
            } else {
                towerwatch_dsp::arfcn::Direction::Downlink
            };
            b.freq_hz(a, dir).ok_or_else(|| {
                invalid(format!(
                    "scene: center_arfcn = {a} is not in band {}",
                    b.name()
                ))
            })?
        }
        _ => {
            return Err(invalid(
                "scene: give either center_freq_hz, or center_band and center_arfcn".into(),
            ));
        }
    };
    let center_freq_hz = opts.center_freq_hz.unwrap_or(center_freq_hz);
    if !center_freq_hz.is_finite() || center_freq_hz <= 0.0 {
        return Err(invalid(format!(
            "scene: center_freq_hz = {center_freq_hz} must be > 0"
        )));
    }
    crate::limits::check_freq_hz("scene: center_freq_hz", center_freq_hz)
        .map_err(|e| invalid(e.to_string()))?;
    crate::limits::check_rate_sps(
        "scene: sample_rate_sps",
        opts.sample_rate_sps.unwrap_or(s.sample_rate_sps),
    )
    .map_err(|e| invalid(e.to_string()))?;
    let seed = opts.seed.unwrap_or(s.seed);
    let reference_amplitude = match s.reference_level_dbfs {
        Some(db) if db <= 0.0 && db > -120.0 => Some(10f64.powf(db / 20.0)),
        Some(db) => {
            return Err(invalid(format!(
                "scene: reference_level_dbfs = {db} must be in (−120, 0]"
            )));
        }
        None => None,
    };

    let mut names = std::collections::HashSet::new();
    let mut cells = Vec::new();
    let mut seed_rng = towerwatch_dsp::signal::Rng::new(seed ^ 0x5eed_f00d);
    for c in &file.cell {
        if !names.insert(c.name.clone()) {
            return Err(invalid(format!("cell {:?}: name used twice", c.name)));
        }
        let who = format!("cell {:?}", c.name);
        let b = band(path, &who, &c.band)?;
        if c.ncc > 7 || c.bcc > 7 {
            return Err(invalid(format!("{who}: ncc and bcc must be 0–7")));
        }
        if c.mcc > 999 || c.mnc > 999 || (!c.mnc_3_digits && c.mnc > 99) {
            return Err(invalid(format!(
                "{who}: mcc/mnc = {}/{} out of range (mnc > 99 needs mnc_3_digits = true)",
                c.mcc, c.mnc
            )));
        }
        let bcch = build_bcch(c, b).map_err(|m| invalid(format!("{who}: {m}")))?;
        let draw = seed_rng.next_u64();
        let start_fn = c
            .start_fn
            .unwrap_or((draw % u64::from(towerwatch_dsp::gsm::HYPERFRAME)) as u32);
        cells.push(CellConfig {
            name: c.name.clone(),
            band: b,
            arfcn: c.arfcn,
            bsic: c.ncc << 3 | c.bcc,
            start_fn,
            bcch,
            ccch: CcchLoad {
                paging_per_s: c.ccch.paging_per_s,
                paging_imsi_fraction: c.ccch.paging_imsi_fraction,
                paging_types: c.ccch.paging_types.clone(),
                immediate_assignment_per_s: c.ccch.immediate_assignment_per_s,
                bs_ag_blks_res: c.si.bs_ag_blks_res,
                mcc: c.mcc,
                mnc: c.mnc,
                mnc_3_digits: c.mnc_3_digits,
                idle: c.ccch.idle,
            },
            traffic_timeslots: c.traffic_timeslots.clone(),
            dedicated: DedicatedConfig {
                sdcch8_timeslots: c.sdcch8_timeslots.clone(),
                behaviour: c.sdcch_behaviour,
                lac: c.lac,
                sms_sender: c.sms_sender.clone(),
                sms_text: c.sms_text.clone(),
            },
            physics: c.physics.to_physics(),
        });
    }
    let mut emitters: Vec<EmitterConfig> = Vec::new();
    for e in &file.emitter {
        if !names.insert(e.name.clone()) {
            return Err(invalid(format!("emitter {:?}: name used twice", e.name)));
        }
        let who = format!("emitter {:?}", e.name);
        emitters.push(EmitterConfig {
            name: e.name.clone(),
            band: band(path, &who, &e.band)?,
            arfcns: e.arfcns.clone(),
            bursts_per_s: e.bursts_per_s,
            access_fraction: e.access_fraction,
            bsic: e.bsic,
            physics: e.physics.to_physics(),
        });
    }
    let sample_rate_sps = opts.sample_rate_sps.unwrap_or(s.sample_rate_sps);
    let mut file = file;
    if opts.drop_out_of_band {
        let fits = |b: Band, arfcn: u16, dir: towerwatch_dsp::arfcn::Direction| {
            b.freq_hz(arfcn, dir)
                .is_none_or(|f| (f - center_freq_hz).abs() + 100_000.0 <= sample_rate_sps / 2.0)
        };
        let keep: Vec<bool> = cells
            .iter()
            .map(|c| fits(c.band, c.arfcn, towerwatch_dsp::arfcn::Direction::Downlink))
            .collect();
        let mut k = keep.iter();
        cells.retain(|_| k.next().copied().unwrap_or(true));
        let mut k = keep.iter();
        file.cell.retain(|_| k.next().copied().unwrap_or(true));
        for e in &mut emitters {
            e.arfcns
                .retain(|&a| fits(e.band, a, towerwatch_dsp::arfcn::Direction::Uplink));
        }
        let keep: Vec<bool> = emitters.iter().map(|e| !e.arfcns.is_empty()).collect();
        let mut k = keep.iter();
        emitters.retain(|_| k.next().copied().unwrap_or(true));
        let mut k = keep.iter();
        file.emitter.retain(|_| k.next().copied().unwrap_or(true));
        for (e, t) in emitters.iter().zip(file.emitter.iter_mut()) {
            t.arfcns = e.arfcns.clone();
        }
    }
    let config = SceneConfig {
        sample_rate_sps,
        center_freq_hz,
        rx_ppm: s.rx_ppm,
        snr_db: s.snr_db,
        reference_amplitude,
        seed,
        cells,
        emitters,
    };
    // Let the generator validate the rest (names the transmitter and field).
    Scene::new(&config).map_err(|e| invalid(e.to_string()))?;
    Ok(LoadedScene {
        file,
        text: text.to_string(),
        config,
        format,
        duration_s,
    })
}

/// Read, parse and validate a scene file.
pub fn load_scene(path: &Path, opts: &SynthOptions) -> Result<LoadedScene, SynthError> {
    let text = crate::limits::read_text_capped(path, crate::limits::MAX_CONFIG_BYTES, "a scene")
        .map_err(|e| match e {
            crate::limits::LimitError::Io { path, source } => SynthError::Read { path, source },
            other => SynthError::Limit(other),
        })?;
    parse_scene(path, &text, opts)
}

/// The system information frames of a cell (TS 44.018), built with `towerwatch_dsp::gsm::l3`.
/// Errors name the `[cell.si]` field.
fn build_bcch(c: &CellTable, band: Band) -> Result<BcchFrames, String> {
    use towerwatch_dsp::gsm::l3::{
        CellOptions, CellSelection, ControlChannelDescription, GprsIndicator, Lai, Message,
        RachControl, SelectionParameters, Si1, Si2, Si2bis, Si2quater, Si2ter, Si3, Si3Rest, Si4,
        Si4Rest, Si13, Si13Gprs,
    };
    let si = &c.si;
    let bad = |field: &str, v: &dyn std::fmt::Display, want: &str| {
        format!("si.{field} = {v} is out of range ({want})")
    };
    let max_retrans = match si.max_retrans {
        1 => 0,
        2 => 1,
        4 => 2,
        7 => 3,
        v => return Err(bad("max_retrans", &v, "1, 2, 4 or 7")),
    };
    if si.tx_integer > 15 {
        return Err(bad("tx_integer", &si.tx_integer, "0–15"));
    }
    if si.bs_ag_blks_res > 7 {
        return Err(bad("bs_ag_blks_res", &si.bs_ag_blks_res, "0–7"));
    }
    if !(2..=9).contains(&si.bs_pa_mfrms) {
        return Err(bad("bs_pa_mfrms", &si.bs_pa_mfrms, "2–9"));
    }
    if si.cell_reselect_hysteresis_db > 14 || !si.cell_reselect_hysteresis_db.is_multiple_of(2) {
        return Err(bad(
            "cell_reselect_hysteresis_db",
            &si.cell_reselect_hysteresis_db,
            "0–14, even",
        ));
    }
    if si.ms_txpwr_max_cch > 31 {
        return Err(bad("ms_txpwr_max_cch", &si.ms_txpwr_max_cch, "0–31"));
    }
    if si.rxlev_access_min > 63 {
        return Err(bad("rxlev_access_min", &si.rxlev_access_min, "0–63"));
    }
    if si.cell_reselect_offset_db > 126 || !si.cell_reselect_offset_db.is_multiple_of(2) {
        return Err(bad(
            "cell_reselect_offset_db",
            &si.cell_reselect_offset_db,
            "0–126, even",
        ));
    }
    if si.temporary_offset_db > 70 || !si.temporary_offset_db.is_multiple_of(10) {
        return Err(bad(
            "temporary_offset_db",
            &si.temporary_offset_db,
            "0–70 in steps of 10",
        ));
    }
    if !(20..=640).contains(&si.penalty_time_s) || !si.penalty_time_s.is_multiple_of(20) {
        return Err(bad(
            "penalty_time_s",
            &si.penalty_time_s,
            "20–640 in steps of 20",
        ));
    }
    if !(4..=64).contains(&si.radio_link_timeout) || !si.radio_link_timeout.is_multiple_of(4) {
        return Err(bad(
            "radio_link_timeout",
            &si.radio_link_timeout,
            "4–64 in steps of 4",
        ));
    }
    if si.dtx > 3 {
        return Err(bad("dtx", &si.dtx, "0–3"));
    }
    for (field, list) in [
        ("cell_allocation", &si.cell_allocation),
        ("neighbours", &si.neighbours),
        ("neighbours_bis", &si.neighbours_bis),
    ] {
        if let Some(a) = list.iter().find(|&&a| !band.contains(a)) {
            return Err(format!(
                "si.{field}: ARFCN {a} is not in band {}",
                band.name()
            ));
        }
    }
    let rach = RachControl {
        max_retrans,
        tx_integer: si.tx_integer,
        cell_barred: si.cell_barred,
        re: !si.reestablishment_allowed,
        acc: si.access_classes_barred,
    };
    let lai = Lai {
        mcc: c.mcc,
        mnc: c.mnc,
        mnc_3digits: c.mnc_3_digits,
        lac: c.lac,
    };
    let cell_selection = CellSelection {
        cell_reselect_hysteresis: si.cell_reselect_hysteresis_db / 2,
        ms_txpwr_max_cch: si.ms_txpwr_max_cch,
        acs: false,
        neci: true,
        rxlev_access_min: si.rxlev_access_min,
    };
    let control_channel = ControlChannelDescription {
        mscr: true,
        att: si.att,
        bs_ag_blks_res: si.bs_ag_blks_res,
        ccch_conf: 0,
        cbq3: 0,
        bs_pa_mfrms: si.bs_pa_mfrms - 2,
        t3212: si.t3212_dh,
    };
    let cell_options = CellOptions {
        pwrc: false,
        dtx: si.dtx,
        radio_link_timeout: si.radio_link_timeout / 4 - 1,
    };
    let selection = (si.cbq
        || si.cell_reselect_offset_db != 0
        || si.temporary_offset_db != 0
        || si.penalty_time_s != 20)
        .then_some(SelectionParameters {
            cbq: si.cbq,
            cell_reselect_offset: si.cell_reselect_offset_db / 2,
            temporary_offset: si.temporary_offset_db / 10,
            penalty_time: (si.penalty_time_s / 20 - 1) as u8,
        });
    let gprs = si.gprs.then_some(GprsIndicator {
        ra_colour: 0,
        si13_position: 0,
    });
    let build = |name: &str, m: Message| {
        m.build_frame()
            .map(Some)
            .map_err(|e| format!("cannot build {name}: {e}"))
    };
    let mut cell_channels = if si.cell_allocation.is_empty() {
        vec![c.arfcn]
    } else {
        si.cell_allocation.clone()
    };
    cell_channels.sort_unstable();
    cell_channels.dedup();
    let sorted = |v: &[u16]| {
        let mut v = v.to_vec();
        v.sort_unstable();
        v.dedup();
        v
    };
    Ok(BcchFrames {
        si1: build(
            "SI1 (si.cell_allocation)",
            Message::Si1(Si1 {
                cell_channels,
                rach,
                nch_position: None,
                band_indicator_1900: band == Band::Pcs1900,
            }),
        )?,
        si2: build(
            "SI2 (si.neighbours)",
            Message::Si2(Si2 {
                neighbours: sorted(&si.neighbours),
                ext_ind: si.si2bis,
                ba_ind: false,
                ncc_permitted: si.ncc_permitted,
                rach,
            }),
        )?,
        si2bis: if si.si2bis {
            build(
                "SI2bis (si.neighbours_bis)",
                Message::Si2bis(Si2bis {
                    neighbours: sorted(&si.neighbours_bis),
                    ext_ind: false,
                    ba_ind: false,
                    rach,
                }),
            )?
        } else {
            None
        },
        si2ter: if si.si2ter {
            build(
                "SI2ter (si.neighbours_ter)",
                Message::Si2ter(Si2ter {
                    neighbours: sorted(&si.neighbours_ter),
                    multiband_reporting: 0,
                    ba_ind: false,
                }),
            )?
        } else {
            None
        },
        si2quater: if si.si2quater {
            build(
                "SI2quater",
                Message::Si2quater(Si2quater {
                    ba_ind: false,
                    ba_3g_ind: false,
                    mp_change_mark: false,
                    index: 0,
                    count: 0,
                }),
            )?
        } else {
            None
        },
        si3: build(
            "SI3",
            Message::Si3(Si3 {
                cell_identity: c.ci,
                lai,
                control_channel,
                cell_options,
                cell_selection,
                rach,
                rest: Si3Rest {
                    selection,
                    power_offset: None,
                    si2ter_indicator: si.si2ter,
                    early_classmark_sending: false,
                    scheduling_where: None,
                    gprs,
                    ecsr_3g: false,
                    si2quater_position: si.si2quater.then_some(0),
                },
            }),
        )?,
        si4: build(
            "SI4",
            Message::Si4(Si4 {
                lai,
                cell_selection,
                rach,
                cbch: None,
                cbch_mobile_allocation: None,
                rest: Si4Rest {
                    selection,
                    power_offset: None,
                    gprs,
                },
            }),
        )?,
        si13: if si.gprs {
            build(
                "SI13",
                Message::Si13(Si13 {
                    bcch_change_mark: 0,
                    si_change_field: 0,
                    gprs: Some(Si13Gprs {
                        rac: (c.lac & 0xff) as u8,
                        spgc_ccch_sup: false,
                        priority_access_thr: 6,
                        network_control_order: 0,
                    }),
                }),
            )?
        } else {
            None
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

/// Generate the scene in `scene` and write `out_base.sigmf-meta` / `out_base.sigmf-data`.
pub fn run_synth(
    scene: &Path,
    out_base: &Path,
    opts: &SynthOptions,
) -> Result<SynthSummary, SynthError> {
    let loaded = load_scene(scene, opts)?;
    write_scene(&loaded, out_base)
}

/// [`run_synth`] that stops early (a valid, hashed, shorter recording) when `stop` is set
/// (Ctrl-C / SIGTERM): the summary's `interrupted` says so.
pub fn run_synth_until(
    scene: &Path,
    out_base: &Path,
    opts: &SynthOptions,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<SynthSummary, SynthError> {
    let loaded = load_scene(scene, opts)?;
    write_scene_until(&loaded, out_base, stop)
}

/// Most samples one `synth` run writes (2^40, terabytes of data): a duration times a rate
/// beyond it is a mistake, not a recording.
pub const MAX_SYNTH_SAMPLES: u64 = 1 << 40;

/// Generate an already loaded scene into a SigMF recording.
pub fn write_scene(loaded: &LoadedScene, out_base: &Path) -> Result<SynthSummary, SynthError> {
    write_scene_until(loaded, out_base, &std::sync::atomic::AtomicBool::new(false))
}

/// [`write_scene`], stopping early when `stop` is set.
pub fn write_scene_until(
    loaded: &LoadedScene,
    out_base: &Path,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<SynthSummary, SynthError> {
    let started = std::time::Instant::now();
    let cfg = &loaded.config;
    let mut generator = Scene::new(cfg).map_err(|e| SynthError::Invalid {
        path: out_base.to_path_buf(),
        message: e.to_string(),
    })?;
    let fs = cfg.sample_rate_sps;
    let want = (loaded.duration_s * fs).round();
    if !(want.is_finite() && want <= MAX_SYNTH_SAMPLES as f64) {
        return Err(SynthError::Invalid {
            path: out_base.to_path_buf(),
            message: format!(
                "{} s at {fs} S/s is more than {MAX_SYNTH_SAMPLES} samples: give a shorter duration",
                loaded.duration_s
            ),
        });
    }
    let total = want as u64;

    let mut meta = WriterMeta::new(loaded.format, fs, cfg.center_freq_hz);
    meta.recorder = GENERATOR.to_string();
    meta.hw = Some("synthetic (towerwatch synth)".into());
    meta.description = Some(
        loaded
            .file
            .scene
            .description
            .clone()
            .unwrap_or_else(|| format!("synthetic GSM scene {}", loaded.file.scene.name)),
    );
    let mut g = Map::new();
    g.insert(
        "towerwatch:generator".into(),
        json!({
            "name": "towerwatch-synth",
            "version": env!("CARGO_PKG_VERSION"),
            "seed": cfg.seed,
            "duration_s": loaded.duration_s,
            "reference_amplitude": generator.reference_amplitude(),
            "noise_power_per_sample": generator.noise_power(),
            "snr_definition": "snr_db = Es/N0 of a 0 dB transmitter (Es = P/270833 Hz, N0 = noise PSD); a transmitter's Es/N0 = snr_db + power_db; SNR in 200 kHz = Es/N0 + 1.32 dB",
        }),
    );
    g.insert(
        "towerwatch:scene".into(),
        serde_json::to_value(&loaded.file).unwrap_or(Value::Null),
    );
    g.insert("towerwatch:scene_toml".into(), json!(loaded.text));
    g.insert(
        "towerwatch:config".into(),
        serde_json::to_value(cfg).unwrap_or(Value::Null),
    );
    meta.extra_global = g;
    let mut w = SigmfWriter::create(out_base, meta)?;

    for info in generator.carriers().to_vec() {
        let start = (info.on_s.max(0.0) * fs).round() as u64;
        if start >= total {
            continue;
        }
        let end = info
            .off_s
            .map(|t| ((t * fs).round() as u64).min(total))
            .unwrap_or(total);
        let f = cfg.center_freq_hz + info.observed_offset_hz;
        let mut extra = Map::new();
        let comment;
        match info.kind {
            CarrierKind::Cell => {
                let c = &loaded.file.cell[info.index];
                comment = format!(
                    "cell {} ARFCN {} BSIC {} (NCC {} BCC {}) CGI {}-{:0w$}-{}-{} power {} dB, {} ppm",
                    c.name,
                    c.arfcn,
                    (c.ncc << 3) | c.bcc,
                    c.ncc,
                    c.bcc,
                    c.mcc,
                    c.mnc,
                    c.lac,
                    c.ci,
                    c.physics.power_db,
                    c.physics.freq_offset_ppm,
                    w = if c.mnc_3_digits { 3 } else { 2 }
                );
                extra.insert(
                    "towerwatch:cell".into(),
                    json!({
                        "band": info.band.name(), "arfcn": info.arfcn,
                        "bsic": (c.ncc << 3) | c.bcc, "mcc": c.mcc, "mnc": c.mnc,
                        "lac": c.lac, "ci": c.ci, "carrier_hz": info.carrier_hz,
                        "power_db": c.physics.power_db, "freq_offset_ppm": c.physics.freq_offset_ppm,
                        "start_fn": cfg.cells[info.index].start_fn,
                    }),
                );
            }
            CarrierKind::Uplink => {
                let e = &loaded.file.emitter[info.index];
                comment = format!(
                    "uplink emitter {} ({}) ARFCN {} {} bursts/s over {} ARFCNs, power {} dB",
                    e.name,
                    e.kind.as_deref().unwrap_or("emitter"),
                    info.arfcn,
                    e.bursts_per_s,
                    e.arfcns.len(),
                    e.physics.power_db
                );
                extra.insert(
                    "towerwatch:emitter".into(),
                    json!({
                        "band": info.band.name(), "arfcn": info.arfcn, "kind": e.kind,
                        "carrier_hz": info.carrier_hz, "bursts_per_s": e.bursts_per_s,
                        "access_fraction": e.access_fraction, "power_db": e.physics.power_db,
                    }),
                );
            }
        }
        w.add_annotation(Annotation {
            sample_start: start,
            sample_count: Some(end.saturating_sub(start)),
            freq_lower_edge_hz: Some(f - 100_000.0),
            freq_upper_edge_hz: Some(f + 100_000.0),
            label: Some(info.name.clone()),
            comment: Some(comment),
            extra,
        });
    }

    let mut buf = vec![Complex32::new(0.0, 0.0); 1 << 16];
    let mut left = total;
    let mut interrupted = false;
    while left > 0 {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            // Finish what is written: a shorter recording, still a hashed pair.
            interrupted = true;
            break;
        }
        let n = left.min(buf.len() as u64) as usize;
        generator.fill(&mut buf[..n]);
        w.write(&buf[..n])?;
        left -= n as u64;
    }
    let total = total - left;
    let (meta_path, data_path) = {
        let (m, d) = w.paths();
        (m.to_path_buf(), d.to_path_buf())
    };
    w.finish()?;
    let elapsed_s = started.elapsed().as_secs_f64();
    let duration_s = total as f64 / fs;
    let cell_counters = generator.cell_counters();
    let emitter_counters = generator.emitter_counters();
    let mut emitters = Vec::new();
    let mut k = 0;
    for info in generator.carriers() {
        if info.kind == CarrierKind::Uplink {
            if let Some(c) = emitter_counters.get(k) {
                emitters.push((info.name.clone(), info.arfcn, *c));
            }
            k += 1;
        }
    }
    Ok(SynthSummary {
        meta_path,
        data_path,
        samples: total,
        sample_rate_sps: fs,
        center_freq_hz: cfg.center_freq_hz,
        duration_s,
        format: loaded.format.sigmf_name().to_string(),
        data_bytes: total * loaded.format.bytes_per_sample() as u64,
        seed: cfg.seed,
        reference_amplitude: generator.reference_amplitude(),
        elapsed_s,
        real_time_factor: if elapsed_s > 0.0 {
            duration_s / elapsed_s
        } else {
            f64::INFINITY
        },
        cells: cfg
            .cells
            .iter()
            .map(|c| c.name.clone())
            .zip(cell_counters)
            .collect(),
        emitters,
        interrupted,
    })
}
