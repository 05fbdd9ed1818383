//! Command-line glue for detection: the `replay` flags that load the baseline, operators and
//! detector config, and the `baseline` / `detectors` subcommands (which need no pipeline).
//! `src/cli.rs` only dispatches here.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::{Engine, ScoringConfig};
use crate::cells::opencellid::{self, BBox};
use crate::cells::{Baseline, CellRegistry, CellStatus, Cgi, Operators, operators};
use crate::detect::{self, DetectConfig};

/// Detection flags of `replay`.
#[derive(Args, Debug, Clone, Default)]
pub struct DetectArgs {
    /// Baseline file of this area (`towerwatch survey`); without it the baseline detectors stay
    /// silent.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Operators file (MCC/MNC, ARFCN holdings). Default: the built-in example (MCC 262) — set
    /// your own per country (`towerwatch baseline operators` prints the example).
    #[arg(long, value_name = "FILE")]
    pub operators: Option<PathBuf>,
    /// Detector thresholds and scoring: TOML with one table per detector id and `[scoring]`.
    #[arg(long, value_name = "FILE")]
    pub detectors: Option<PathBuf>,
    /// Observations only: no detectors, no alerts.
    #[arg(long)]
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
pub fn engine(a: &DetectArgs) -> Result<Option<Engine>, SetupError> {
    if a.no_detect {
        return Ok(None);
    }
    let baseline = load_baseline(a.baseline.as_deref())?;
    let ops = match &a.operators {
        Some(p) => Operators::load(p)?,
        None => Operators::default(),
    };
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
    let dets = detect::build_all(&cfg)?;
    Ok(Some(Engine::new(
        CellRegistry::new(baseline, ops),
        dets,
        scoring,
    )))
}

/// `towerwatch baseline …`.
#[derive(Args, Debug)]
pub struct BaselineArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: BaselineCommand,
}

/// Baseline subcommands.
#[derive(Subcommand, Debug)]
pub enum BaselineCommand {
    /// Add the GSM cells of an OpenCelliD CSV export (offline), filtered by MCC and box.
    ImportOpencellid {
        /// The CSV (header radio,mcc,net,area,cell,unit,lon,lat,range,samples,…).
        file: PathBuf,
        /// Keep only this MCC.
        #[arg(long)]
        mcc: Option<u16>,
        /// Keep only cells inside `lat1,lon1,lat2,lon2`.
        #[arg(long, value_name = "LAT1,LON1,LAT2,LON2", allow_hyphen_values = true)]
        bbox: Option<String>,
        /// Baseline to write (extended when it exists).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Mark a cell (MCC-MNC-LAC-CI) good or suspect in a baseline file.
    Mark {
        /// The cell, e.g. 262-01-4101-10011.
        cell: String,
        /// Checked: legitimate.
        #[arg(long, conflicts_with = "suspect", required_unless_present = "suspect")]
        good: bool,
        /// Suspect: report any sighting (severity high).
        #[arg(long)]
        suspect: bool,
        /// The baseline file (created when missing).
        #[arg(long, value_name = "FILE", default_value = "baseline.toml")]
        baseline: PathBuf,
    },
    /// Print the built-in operators file (an example: copy it, set it for your country, pass
    /// it with --operators).
    Operators,
}

/// Run a baseline subcommand; returns the exit status.
pub fn baseline_command(a: &BaselineArgs) -> Result<u8, SetupError> {
    match &a.command {
        BaselineCommand::ImportOpencellid {
            file,
            mcc,
            bbox,
            output,
        } => {
            let bbox = match bbox {
                Some(s) => Some(BBox::parse(s).ok_or_else(|| {
                    SetupError::Arg(format!("--bbox '{s}': expected lat1,lon1,lat2,lon2"))
                })?),
                None => None,
            };
            let mut b = if output.exists() {
                Baseline::load(output)?
            } else {
                Baseline::default()
            };
            let rep = opencellid::import(file, *mcc, bbox, &mut b)?;
            b.save(output)?;
            eprintln!(
                "towerwatch: {} rows, {} GSM cells imported, {} filtered out, {} malformed → {}",
                rep.rows,
                rep.imported,
                rep.filtered,
                rep.malformed,
                output.display()
            );
            Ok(0)
        }
        BaselineCommand::Mark {
            cell,
            good,
            suspect: _,
            baseline,
        } => {
            let cgi = Cgi::parse(cell).ok_or_else(|| {
                SetupError::Baseline(crate::cells::BaselineError::BadCgi(cell.clone()))
            })?;
            let mut b = if baseline.exists() {
                Baseline::load(baseline)?
            } else {
                Baseline::default()
            };
            let status = if *good {
                CellStatus::Good
            } else {
                CellStatus::Suspect
            };
            let n = b.mark(cgi, status);
            b.save(baseline)?;
            eprintln!(
                "towerwatch: {cgi} marked {} ({} entr{} updated{}) in {}",
                if *good { "good" } else { "suspect" },
                n,
                if n == 1 { "y" } else { "ies" },
                if n == 0 { ", added" } else { "" },
                baseline.display()
            );
            Ok(0)
        }
        BaselineCommand::Operators => {
            print!("{}", operators::DEFAULT_OPERATORS_TOML);
            Ok(0)
        }
    }
}

/// `towerwatch detectors`.
#[derive(Args, Debug)]
pub struct DetectorsArgs {
    /// Print the catalogue as markdown (docs/detectors.md).
    #[arg(long)]
    pub markdown: bool,
}

/// List the detectors (or print the catalogue).
pub fn detectors_command(a: &DetectorsArgs) -> u8 {
    if a.markdown {
        print!("{}", crate::alert::catalogue_markdown());
    } else {
        for d in detect::REGISTRY {
            println!(
                "{:<24} v{}  weight {:<4} {}",
                d.id, d.version, d.default_weight, d.summary
            );
        }
    }
    0
}
