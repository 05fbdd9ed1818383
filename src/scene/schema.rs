//! The scene file schema: one serde struct per TOML table, every table rejecting unknown keys.

use super::*;

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
    /// LTE cells on the scene's centre EARFCN (see [`super::lte`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lte_cell: Vec<super::lte::LteCellTable>,
    /// What `towerwatch eval` expects of this scene (absent: unlabelled).
    #[serde(default)]
    pub labels: Option<LabelsTable>,
}

/// `[labels]`: the truth of a scene for `towerwatch eval` (the generator ignores it).
///
/// ```toml
/// [labels]
/// rogue = [21]                          # downlink ARFCNs of rogue cells ([] = legitimate)
/// rogue_uplink = []                     # uplink ARFCNs of rogue emitters (SIM boxes)
/// severity = "high"                     # the least a rogue must reach (default medium)
/// appears_s = 0.0                       # when the rogue comes on (stream time)
/// within_s = 5.0                        # how soon after that (default 5 s)
/// signatures = ["registration_storm"]   # detectors that must be among the rogue's signatures
/// seconds = 10.0                        # how much of the scene eval generates (default duration_s)
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelsTable {
    /// Downlink ARFCNs of rogue cells.
    #[serde(default)]
    pub rogue: Vec<u16>,
    /// Uplink ARFCNs of rogue emitters.
    #[serde(default)]
    pub rogue_uplink: Vec<u16>,
    /// Least severity a rogue must reach: low, medium (default) or high.
    #[serde(default)]
    pub severity: Option<LabelSeverity>,
    /// When the rogue comes on, seconds of stream time.
    #[serde(default)]
    pub appears_s: f64,
    /// How soon after `appears_s` the rogue must reach `severity` (default 5 s).
    #[serde(default = "default_within_s")]
    pub within_s: f64,
    /// Detectors that must be among the rogue's signatures.
    #[serde(default)]
    pub signatures: Vec<String>,
    /// Seconds of the scene `eval` generates when there is no recording (default `duration_s`).
    #[serde(default)]
    pub seconds: Option<f64>,
}

fn default_within_s() -> f64 {
    5.0
}

impl Default for LabelsTable {
    fn default() -> Self {
        LabelsTable {
            rogue: Vec::new(),
            rogue_uplink: Vec::new(),
            severity: None,
            appears_s: 0.0,
            within_s: default_within_s(),
            signatures: Vec::new(),
            seconds: None,
        }
    }
}

/// The least alert severity a labelled rogue must reach (the alert severities above info; the
/// scene schema keeps its own type so that `scene` does not depend on `detect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelSeverity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
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
    /// `[…physics.fading]`: flat fading of a moving receiver (Clarke's model).
    #[serde(default)]
    pub fading: Option<FadingTable>,
}

/// Flat fading from motion: `doppler_hz = speed / c × carrier` (50 km/h at 940 MHz: 43.5 Hz),
/// `k_db` the Rician K factor (absent: Rayleigh, no direct path).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FadingTable {
    /// Largest Doppler shift, Hz.
    pub doppler_hz: f64,
    /// Rician K factor, dB.
    #[serde(default)]
    pub k_db: Option<f64>,
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
    pub(crate) fn to_physics(&self) -> Physics {
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
            fading: self.fading.as_ref().map(|f| Fading {
                doppler_hz: f.doppler_hz,
                k_db: f.k_db,
            }),
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
