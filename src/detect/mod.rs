//! Detectors: one file per signature of a fake base station (GSM or LTE), SMS blaster, cloned
//! cell or SIM-box uplink, behind the [`Detector`] trait, listed in [`REGISTRY`].
//!
//! Each detector reads an [`Observation`] together with the [`CellRegistry`] (already updated with
//! that observation) and pushes [`Finding`]s: which cell, how bad, a plain-language message and
//! the evidence values with the thresholds they were compared against. Detectors run for hours
//! over millions of observations, so any state they keep is bounded (each says how).
//! Detectors re-emit a finding while its condition holds; the scorer in `alert/` folds repeats.
//!
//! Every detector has a versioned doc block ([`DetectorInfo::doc`]): what it flags, the 3GPP
//! reference, its thresholds and known false positives. `docs/detectors.md` is generated from
//! those blocks ([`detectors_markdown`], with the scoring section added by `alert`) and a test keeps it in step. Each detector's thresholds
//! live in one TOML table named after its id (see [`DetectConfig`]).

mod aggressive_reselection;
mod clock_error;
mod cloned_identity;
mod downgrade_blaster;
mod lac_outlier;
mod lte_clock_error;
mod lte_incomplete_sib1;
mod lte_not_in_baseline;
mod lte_power_anomaly;
mod lte_unusual_sib1;
mod new_carrier;
mod not_in_baseline;
mod not_listed_back;
mod power_anomaly;
mod registration_storm;
mod short_lu_timer;
mod short_neighbour_list;
mod simbox_uplink;
mod transient_cell;
mod unknown_plmn;

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::cells::{CellKey, CellRegistry};
use crate::observation::Observation;

/// How bad something is. Ordered: Info < Low < Medium < High.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; no action.
    Info,
    /// Unusual; keep an eye on it.
    Low,
    /// Suspicious; check it.
    Medium,
    /// Very likely a fake base station or SIM box; act.
    High,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        })
    }
}

/// One measured value and the threshold it was compared with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// What was measured (`cell_reselect_offset_db`, …).
    pub name: String,
    /// The value.
    #[serde(serialize_with = "crate::num::serialize")]
    pub value: f64,
    /// The threshold (absent when the evidence is context, not a test).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::num::serialize_opt"
    )]
    pub threshold: Option<f64>,
    /// How value and threshold compare when the signature fires (`>`, `<`, `>=`, `<=`, `=`, `!=`).
    #[serde(skip_serializing_if = "str::is_empty")]
    pub test: &'static str,
}

impl Evidence {
    /// A value tested against a threshold.
    pub fn test(name: &str, value: f64, test: &'static str, threshold: f64) -> Evidence {
        Evidence {
            name: name.into(),
            value: round3(value),
            threshold: Some(round3(threshold)),
            test,
        }
    }

    /// A context value (no threshold).
    pub fn value(name: &str, value: f64) -> Evidence {
        Evidence {
            name: name.into(),
            value: round3(value),
            threshold: None,
            test: "",
        }
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.threshold {
            Some(t) => write!(
                f,
                "{} = {} ({} {})",
                self.name,
                crate::num::text(self.value),
                self.test,
                crate::num::text(t)
            ),
            None => write!(f, "{} = {}", self.name, crate::num::text(self.value)),
        }
    }
}

/// What a detector found about one cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Detector id.
    pub detector: &'static str,
    /// Detector version.
    pub version: u32,
    /// How bad this signature alone is.
    pub severity: Severity,
    /// Contribution to the cell's score (the detector's configured weight, scaled by how strong
    /// the evidence is, never above the weight).
    pub score: f64,
    /// The cell.
    pub cell: CellKey,
    /// Stream time.
    pub time_s: f64,
    /// Plain-language message.
    pub message: String,
    /// The values that triggered it, with thresholds.
    pub evidence: Vec<Evidence>,
    /// Other cells this finding is about (the LTE half of a downgrade blaster); usually empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<CellKey>,
}

/// An alert the engine tracks, as a correlating detector ([`Detector::correlate`]) sees it:
/// score and severity leave out that detector's own signature, so it cannot feed itself.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertView {
    /// The carrier (GSM, LTE or uplink).
    pub cell: CellKey,
    /// Stream time the alert was raised (its first finding).
    pub raised_s: f64,
    /// Where the receiver was when it was raised (latitude, longitude in degrees), if known.
    pub raised_at: Option<(f64, f64)>,
    /// Sum of its other signatures' scores.
    pub score: f64,
    /// Severity of that score.
    pub severity: Severity,
}

/// A signature detector.
///
/// Runs for hours, on live and replayed observations alike: keep state bounded and use stream
/// time only.
pub trait Detector: Send {
    /// What this detector is (its file's one [`DetectorInfo`]).
    fn info(&self) -> &'static DetectorInfo;
    /// Stable id (also the name of its TOML config table).
    fn id(&self) -> &'static str {
        self.info().id
    }
    /// Look at one observation (the registry already includes it) and push findings.
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>);
    /// Whether the engine should call [`Detector::correlate`] (detectors that judge alerts
    /// together rather than observations).
    fn correlates(&self) -> bool {
        false
    }
    /// Look at the engine's tracked alerts after an observation's findings were folded in (only
    /// when some alert was touched) and push findings; `now_s` is stream time.
    fn correlate(&mut self, _alerts: &[AlertView], _now_s: f64, _out: &mut Vec<Finding>) {}
}

/// Settings every detector table accepts besides its own thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Common {
    /// Run this detector.
    pub enabled: bool,
    /// Score contribution when it fires.
    pub weight: f64,
}

/// The detector configuration: one TOML table per detector id, e.g.
///
/// ```toml
/// [aggressive_reselection]
/// weight = 1.5
/// max_cro_db = 25
/// ```
///
/// Unknown tables and unknown keys are errors (a typo must not silently disable a threshold).
#[derive(Debug, Clone, Default)]
pub struct DetectConfig {
    tables: BTreeMap<String, toml::Table>,
}

/// Configuration problems.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML, or a table is not a table.
    #[error("detector config: {0}")]
    Parse(String),
    /// A table names no detector.
    #[error("detector config: no detector '{0}' (known: {1})")]
    UnknownDetector(String, String),
    /// A table has a bad key or value.
    #[error("detector config [{0}]: {1}")]
    Table(String, String),
}

impl DetectConfig {
    /// Parse detector config TOML (tables other than detector ids listed in `extra_tables` are
    /// left to their owners, e.g. `[scoring]`).
    pub fn parse(text: &str, extra_tables: &[&str]) -> Result<DetectConfig, ConfigError> {
        let t: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        let mut tables = BTreeMap::new();
        for (k, v) in t {
            if extra_tables.contains(&k.as_str()) {
                continue;
            }
            if !REGISTRY.iter().any(|e| e.id == k) {
                let known: Vec<&str> = REGISTRY.iter().map(|e| e.id).collect();
                return Err(ConfigError::UnknownDetector(k, known.join(", ")));
            }
            match v {
                toml::Value::Table(tab) => {
                    tables.insert(k, tab);
                }
                _ => return Err(ConfigError::Parse(format!("'{k}' must be a table"))),
            }
        }
        Ok(DetectConfig { tables })
    }

    /// Switch a detector off, whatever its table says.
    pub fn disable(&mut self, id: &str) {
        self.tables
            .entry(id.to_string())
            .or_default()
            .insert("enabled".into(), toml::Value::Boolean(false));
    }

    /// The table for a detector, deserialised into its config type (defaults for missing keys),
    /// and the common settings.
    pub fn get<T: DeserializeOwned + Default>(
        &self,
        id: &str,
        default_weight: f64,
    ) -> Result<(Common, T), ConfigError> {
        let mut tab = self.tables.get(id).cloned().unwrap_or_default();
        let mut common = Common {
            enabled: true,
            weight: default_weight,
        };
        if let Some(v) = tab.remove("enabled") {
            common.enabled = v.as_bool().ok_or_else(|| {
                ConfigError::Table(id.into(), "enabled must be true/false".into())
            })?;
        }
        if let Some(v) = tab.remove("weight") {
            common.weight = v
                .as_float()
                .or_else(|| v.as_integer().map(|i| i as f64))
                .filter(|w| w.is_finite() && *w >= 0.0)
                .ok_or_else(|| {
                    ConfigError::Table(id.into(), "weight must be a number ≥ 0".into())
                })?;
        }
        let t: T = toml::Value::Table(tab)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Table(id.into(), e.to_string()))?;
        Ok((common, t))
    }
}

/// How a registry line builds its detector (`None` when disabled in the config).
pub type BuildFn = fn(&DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError>;

/// What a detector is, declared once in its own file (`pub const INFO`): the registry is a list
/// of these, and everything else (the catalogue, `towerwatch detectors`, default weights, the
/// false-positive notes copied into alerts) reads them from here.
pub struct DetectorInfo {
    /// Stable id (also the name of its TOML config table).
    pub id: &'static str,
    /// Bumped whenever the heuristic or its defaults change.
    pub version: u32,
    /// Score contribution when it fires, unless the config says otherwise.
    pub default_weight: f64,
    /// One line: what it flags.
    pub summary: &'static str,
    /// Known false positives, one short paragraph (copied into alerts).
    pub false_positives: &'static str,
    /// The versioned doc block (markdown): what it flags, 3GPP reference, thresholds, known
    /// false positives.
    pub doc: &'static str,
    /// Build it from the configuration.
    pub build: BuildFn,
}

/// Every detector, in catalogue order (the order of the issue that asked for them). Adding a
/// detector: its own file (with `pub const INFO`), a `mod` line above, and one line here.
pub static REGISTRY: &[&DetectorInfo] = &[
    &unknown_plmn::INFO,
    &not_in_baseline::INFO,
    &lac_outlier::INFO,
    &short_neighbour_list::INFO,
    &not_listed_back::INFO,
    &cloned_identity::INFO,
    &aggressive_reselection::INFO,
    &short_lu_timer::INFO,
    &clock_error::INFO,
    &power_anomaly::INFO,
    &transient_cell::INFO,
    &registration_storm::INFO,
    &new_carrier::INFO,
    &simbox_uplink::INFO,
    &lte_not_in_baseline::INFO,
    &lte_power_anomaly::INFO,
    &lte_clock_error::INFO,
    &lte_incomplete_sib1::INFO,
    &lte_unusual_sib1::INFO,
    &downgrade_blaster::INFO,
];

/// Build every enabled detector.
pub fn build_all(cfg: &DetectConfig) -> Result<Vec<Box<dyn Detector>>, ConfigError> {
    let mut v = Vec::new();
    for e in REGISTRY {
        if let Some(d) = (e.build)(cfg)? {
            v.push(d);
        }
    }
    Ok(v)
}

/// Every detector with the default configuration (all enabled).
pub fn all_default() -> Vec<Box<dyn Detector>> {
    build_all(&DetectConfig::default()).unwrap_or_default()
}

/// The detector part of `docs/detectors.md` (the catalogue generated from the detectors' doc
/// blocks); `crate::alert::catalogue_markdown` adds the scoring section.
pub fn detectors_markdown() -> String {
    let mut s = String::from(
        "# Detector catalogue\n\n\
         Generated from the detectors' doc blocks (`src/detect/*.rs`, `DetectorInfo::doc`); a test \
         (`tests/it/detect_catalogue.rs`) fails when this file and the code disagree. Regenerate \
         with `towerwatch detectors --markdown > docs/detectors.md`.\n\n\
         Scoring and alert severities are described in `src/alert/mod.rs` and summarised at the \
         end of this file.\n\n\
         | # | id | version | weight | what it flags |\n|---|---|---|---|---|\n",
    );
    for (i, d) in REGISTRY.iter().enumerate() {
        s.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            i + 1,
            d.id,
            d.version,
            d.default_weight,
            d.summary
        ));
    }
    for (i, d) in REGISTRY.iter().enumerate() {
        s.push_str(&format!(
            "\n## {}. `{}` (version {})\n\n{}\n",
            i + 1,
            d.id,
            d.version,
            d.doc.trim()
        ));
    }
    s
}

/// The registry line of a detector id.
pub fn info(id: &str) -> Option<&'static DetectorInfo> {
    REGISTRY.iter().copied().find(|d| d.id == id)
}

/// The default weight of a detector (its `INFO.default_weight`; 0 for an unknown id).
pub fn default_weight(id: &str) -> f64 {
    info(id).map_or(0.0, |d| d.default_weight)
}

/// Look up a detector's common settings and thresholds; `None` when disabled.
pub(crate) fn config_for<T: DeserializeOwned + Default>(
    cfg: &DetectConfig,
    id: &str,
) -> Result<Option<(Common, T)>, ConfigError> {
    let (c, t) = cfg.get::<T>(id, default_weight(id))?;
    Ok(c.enabled.then_some((c, t)))
}

/// A finding for a cell of the registry.
pub(crate) fn finding(
    d: &dyn Detector,
    weight: f64,
    severity: Severity,
    cell: CellKey,
    time_s: f64,
    message: String,
    evidence: Vec<Evidence>,
) -> Finding {
    Finding {
        detector: d.info().id,
        version: d.info().version,
        severity,
        score: weight,
        cell,
        time_s,
        message,
        evidence,
        related: Vec::new(),
    }
}

/// The subject cell of an observation, if it is one of the registry's cells.
pub(crate) fn subject_cell<'a>(
    obs: &Observation,
    reg: &'a CellRegistry,
) -> Option<&'a crate::cells::Cell> {
    let (band, arfcn) = CellRegistry::subject(obs)?;
    reg.cell(band, arfcn)
}

fn round3(x: f64) -> f64 {
    crate::num::tidy(x)
}

#[cfg(test)]
pub mod testkit;
