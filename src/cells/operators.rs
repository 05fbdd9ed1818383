//! The operators file: which PLMNs (MCC/MNC) are expected here and which ARFCNs each holds.
//!
//! The built-in default (`operators.default.toml`, printed by `towerwatch baseline operators`)
//! is an example for MCC 262 that matches the synthetic scenes; it must be replaced per country
//! with `--operators FILE`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use towerwatch_dsp::arfcn::Band;

use super::baseline::same_band_family;

/// The embedded default operators file (an example: set your own per country).
pub const DEFAULT_OPERATORS_TOML: &str = include_str!("operators.default.toml");

/// One operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    /// Mobile country code.
    pub mcc: u16,
    /// Mobile network code.
    pub mnc: u16,
    /// Name.
    pub name: String,
    /// ARFCN ranges held, `BAND:FIRST-LAST` (empty: unknown, not checked).
    #[serde(default)]
    pub arfcns: Vec<String>,
}

/// An ARFCN range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArfcnRange {
    /// Band.
    pub band: Band,
    /// First ARFCN.
    pub first: u16,
    /// Last ARFCN (inclusive).
    pub last: u16,
}

/// The operators file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operators {
    /// MCCs expected on the air here (empty: not checked).
    #[serde(default)]
    pub country_mccs: Vec<u16>,
    /// Operators.
    #[serde(default, rename = "operator")]
    pub operators: Vec<Operator>,
    #[serde(skip)]
    ranges: Vec<(u16, u16, ArfcnRange)>,
}

/// Operators file problems.
#[derive(Debug, thiserror::Error)]
pub enum OperatorsError {
    /// Could not read the file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not a valid operators file.
    #[error("{path}: not a valid operators file: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Default for Operators {
    /// The embedded example (an empty file if it ever failed to parse; a unit test checks it
    /// parses).
    fn default() -> Self {
        Operators::parse(DEFAULT_OPERATORS_TOML).unwrap_or_else(|_| Operators::empty())
    }
}

impl Operators {
    /// Knows nothing: no PLMN or ARFCN check.
    pub fn empty() -> Operators {
        Operators {
            country_mccs: Vec::new(),
            operators: Vec::new(),
            ranges: Vec::new(),
        }
    }

    /// Parse operators TOML.
    pub fn parse(text: &str) -> Result<Operators, String> {
        let mut o: Operators = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut ranges = Vec::new();
        for op in &o.operators {
            for r in &op.arfcns {
                ranges.push((op.mcc, op.mnc, parse_range(r)?));
            }
        }
        o.ranges = ranges;
        Ok(o)
    }

    /// Read an operators file.
    pub fn load(path: &Path) -> Result<Operators, OperatorsError> {
        let text = crate::limits::read_text_capped_io(
            path,
            crate::limits::MAX_CONFIG_BYTES,
            "an operators file",
        )
        .map_err(|source| OperatorsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Operators::parse(&text).map_err(|message| OperatorsError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    /// The operator with this PLMN.
    pub fn find(&self, mcc: u16, mnc: u16) -> Option<&Operator> {
        self.operators.iter().find(|o| o.mcc == mcc && o.mnc == mnc)
    }

    /// Whether the operators file says anything about this MCC.
    pub fn knows_mcc(&self, mcc: u16) -> bool {
        self.country_mccs.contains(&mcc) || self.operators.iter().any(|o| o.mcc == mcc)
    }

    /// Whether any ranges are given for this PLMN.
    pub fn has_ranges(&self, mcc: u16, mnc: u16) -> bool {
        self.ranges.iter().any(|r| r.0 == mcc && r.1 == mnc)
    }

    /// The operators whose ranges contain this ARFCN.
    pub fn holders(&self, band: Band, arfcn: u16) -> Vec<(u16, u16)> {
        let mut v: Vec<(u16, u16)> = self
            .ranges
            .iter()
            .filter(|(_, _, r)| {
                same_band_family(r.band, band) && (r.first..=r.last).contains(&arfcn)
            })
            .map(|(mcc, mnc, _)| (*mcc, *mnc))
            .collect();
        v.dedup();
        v
    }
}

fn parse_range(s: &str) -> Result<ArfcnRange, String> {
    let err = || format!("'{s}' is not an ARFCN range (BAND:FIRST-LAST, e.g. egsm:1-49)");
    let (band, rest) = s.split_once(':').ok_or_else(err)?;
    let band = Band::parse(band).ok_or_else(err)?;
    let (a, b) = rest.split_once('-').unwrap_or((rest, rest));
    let first: u16 = a.trim().parse().map_err(|_| err())?;
    let last: u16 = b.trim().parse().map_err(|_| err())?;
    if last < first {
        return Err(err());
    }
    Ok(ArfcnRange { band, first, last })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_parses_and_says_it_is_an_example() {
        let o = Operators::parse(DEFAULT_OPERATORS_TOML).unwrap();
        assert!(DEFAULT_OPERATORS_TOML.contains("THIS DEFAULT IS AN EXAMPLE"));
        assert_eq!(o.country_mccs, vec![262]);
        assert_eq!(o.holders(Band::EGsm900, 18), vec![(262, 1)]);
        assert_eq!(o.holders(Band::PGsm900, 20), vec![(262, 2)]);
        assert!(o.holders(Band::EGsm900, 21).is_empty());
        assert!(o.has_ranges(262, 1));
        assert!(!o.has_ranges(262, 3));
        assert!(Operators::parse("[[operator]]\nmcc=1\nmnc=1\nname='x'\narfcns=['bad']").is_err());
    }
}
