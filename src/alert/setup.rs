//! Setting detection up: the baseline, operators and detector configuration files a run names
//! (`cli::input::DetectArgs` are the flags), loaded into a detection engine.

use std::path::{Path, PathBuf};

use super::{Engine, ScoringConfig};
use crate::cells::{Baseline, CellRegistry, Operators};
use crate::detect::{self, DetectConfig};

/// What a run's detection is built from (the flags every run mode shares).
#[derive(Debug, Clone, Default)]
pub struct DetectSettings {
    /// Baseline file of this area (`towerwatch survey`); without it the baseline detectors stay
    /// silent.
    pub baseline: Option<PathBuf>,
    /// Operators file (MCC/MNC, ARFCN holdings, country, 2G switched off). Default: none — the
    /// PLMN check works from the cells on the air and the public MCC/MNC list.
    pub operators: Option<PathBuf>,
    /// The user's country (ISO 3166-1 alpha-2), overriding the operators file's `country`.
    pub country: Option<String>,
    /// Detector thresholds and scoring: TOML with one table per detector id and `[scoring]`.
    pub detectors: Option<PathBuf>,
    /// Observations only: no detectors, no alerts.
    pub no_detect: bool,
}

/// Setup problems.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Baseline file.
    #[error(transparent)]
    Baseline(#[from] crate::cells::BaselineError),
    /// Operators file.
    #[error(transparent)]
    Operators(#[from] crate::cells::OperatorsError),
    /// Detector config.
    #[error(transparent)]
    Config(#[from] detect::ConfigError),
    /// Reading a file.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// Scoring table.
    #[error("{0}: {1}")]
    Scoring(PathBuf, String),
    /// Bad argument.
    #[error("{0}")]
    Arg(String),
}

/// Load the baseline (empty when none given).
pub fn load_baseline(path: Option<&Path>) -> Result<Baseline, SetupError> {
    Ok(match path {
        Some(p) => Baseline::load(p)?,
        None => Baseline::default(),
    })
}

/// Build the detection engine from the flags (`None` with `--no-detect`).
pub fn engine(a: &DetectSettings) -> Result<Option<Engine>, SetupError> {
    engine_with(a, &[])
}

/// [`engine`] with some detectors switched off whatever the configuration says (`scan` turns off
/// `transient_cell`: a cell the tuner has moved away from is not heard, which is not the cell
/// vanishing).
pub fn engine_with(a: &DetectSettings, disabled: &[&str]) -> Result<Option<Engine>, SetupError> {
    if a.no_detect {
        return Ok(None);
    }
    let baseline = load_baseline(a.baseline.as_deref())?;
    let mut ops = match &a.operators {
        Some(p) => Operators::load(p)?,
        None => Operators::empty(),
    };
    if let Some(cc) = &a.country {
        ops.country = Some(crate::cells::operators::parse_country(cc).map_err(SetupError::Arg)?);
    }
    let (cfg, scoring) = match &a.detectors {
        Some(p) => {
            let text = crate::limits::read_text_capped_io(
                p,
                crate::limits::MAX_CONFIG_BYTES,
                "a detector configuration",
            )
            .map_err(|e| SetupError::Io(p.clone(), e))?;
            (
                DetectConfig::parse(&text, &["scoring"])?,
                ScoringConfig::parse(&text).map_err(|e| SetupError::Scoring(p.clone(), e))?,
            )
        }
        None => (DetectConfig::default(), ScoringConfig::default()),
    };
    let mut cfg = cfg;
    for id in disabled {
        cfg.disable(id);
    }
    let dets = detect::build_all(&cfg)?;
    Ok(Some(Engine::new(
        CellRegistry::new(baseline, ops),
        dets,
        scoring,
    )))
}
