//! `towerwatch baseline`: import OpenCelliD, mark cells good/suspect, print the operators example.

use crate::alert::setup::SetupError;
use crate::cells::opencellid::{self, BBox};
use crate::cells::{Baseline, CellStatus, Cgi, LteCellId, operators};
use clap::{Args, Subcommand};
use std::path::PathBuf;

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
    /// Mark a cell (MCC-MNC-LAC-CI, or lte:EARFCN:PCI) good or suspect in a baseline file.
    Mark {
        /// The cell, e.g. 262-01-4101-10011, or an LTE cell as lte:1750:86.
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
    /// Print the example operators file (MCC 262; never loaded unless passed with --operators):
    /// copy it, set it for your country, pass it with --operators.
    Operators,
}

/// The cell `baseline mark` is given: a GSM cell by its CGI, or an LTE cell (`lte:EARFCN:PCI`).
enum Marked {
    Gsm(Cgi),
    Lte(LteCellId),
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
                "towerwatch: {} rows, {} GSM cells and {} LTE cells (ECGI) imported, {} filtered \
                 out, {} malformed → {}",
                rep.rows,
                rep.imported,
                rep.imported_lte,
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
            let target = if cell.trim().starts_with("lte:") {
                Marked::Lte(LteCellId::parse(cell).ok_or_else(|| {
                    SetupError::Baseline(crate::cells::BaselineError::BadLteCell(cell.clone()))
                })?)
            } else {
                Marked::Gsm(Cgi::parse(cell).ok_or_else(|| {
                    SetupError::Baseline(crate::cells::BaselineError::BadCgi(cell.clone()))
                })?)
            };
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
            let (n, name) = match target {
                Marked::Lte(id) => (b.mark_lte(id, status), id.to_string()),
                Marked::Gsm(cgi) => (b.mark(cgi, status), cgi.to_string()),
            };
            b.save(baseline)?;
            eprintln!(
                "towerwatch: {name} marked {} ({} entr{} updated{}) in {}",
                if *good { "good" } else { "suspect" },
                n,
                if n == 1 { "y" } else { "ies" },
                if n == 0 { ", added" } else { "" },
                baseline.display()
            );
            Ok(0)
        }
        BaselineCommand::Operators => {
            print!("{}", operators::EXAMPLE_OPERATORS_TOML);
            Ok(0)
        }
    }
}
