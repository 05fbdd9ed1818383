//! Scene files: scene TOML → [`towerwatch_dsp::gsm::synth`] config. `crate::synth` writes a
//! scene to a SigMF recording; `crate::source` plays one as a sample source (`scene:FILE`).
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

pub mod lte;
mod schema;

pub use schema::*;

use crate::format::SampleFormat;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use towerwatch_dsp::arfcn::Band;
use towerwatch_dsp::gsm::synth::{
    BcchFrames, CcchLoad, CellConfig, CellCounters, DedicatedBehaviour, DedicatedConfig,
    EmitterConfig, EmitterCounters, Fading, IdleCcch, Physics, Scene, SceneConfig, Tap,
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
    /// Writing the recording failed (a `crate::source::SourceError` from the SigMF writer).
    #[error(transparent)]
    Output(Box<dyn std::error::Error + Send + Sync>),
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
    /// LTE cells (`[[lte_cell]]`), added to the GSM scene's stream.
    pub lte: Vec<lte::LteCellSpec>,
}

impl LoadedScene {
    /// The generator of the whole scene (GSM and LTE).
    pub fn generator(&self) -> Result<lte::MixedScene, String> {
        lte::MixedScene::new(&self.config, &self.lte)
    }
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
            "{who}: band = {s:?} is not a GSM band (gsm850, p-gsm900, e-gsm900, r-gsm900, dcs1800, pcs1900; short forms such as egsm or dcs work too)"
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
    let gsm_offsets: Vec<(String, f64)> = cells
        .iter()
        .filter_map(|c| {
            let f = c
                .band
                .freq_hz(c.arfcn, towerwatch_dsp::arfcn::Direction::Downlink)?;
            Some((c.name.clone(), f - center_freq_hz))
        })
        .chain(emitters.iter().flat_map(|e| {
            e.arfcns.iter().filter_map(|&a| {
                let f = e
                    .band
                    .freq_hz(a, towerwatch_dsp::arfcn::Direction::Uplink)?;
                Some((e.name.clone(), f - center_freq_hz))
            })
        }))
        .collect();
    for t in &file.lte_cell {
        if !names.insert(t.name.clone()) {
            return Err(invalid(format!("lte_cell {:?}: name used twice", t.name)));
        }
    }
    let lte = lte::lte_specs(
        &file.lte_cell,
        sample_rate_sps,
        center_freq_hz,
        seed,
        &gsm_offsets,
    )
    .map_err(invalid)?;
    let mut config = SceneConfig {
        sample_rate_sps,
        center_freq_hz,
        rx_ppm: s.rx_ppm,
        snr_db: s.snr_db,
        reference_amplitude,
        seed,
        cells,
        emitters,
    };
    if !lte.is_empty() && config.reference_amplitude.is_none() {
        config.reference_amplitude = Some(lte::auto_reference_amplitude(&config, &lte));
    }
    // Let the generator validate the rest (names the transmitter and field).
    Scene::new(&config).map_err(|e| invalid(e.to_string()))?;
    Ok(LoadedScene {
        file,
        text: text.to_string(),
        config,
        format,
        duration_s,
        lte,
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
