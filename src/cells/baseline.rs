//! The baseline: what is normally on the air in an area, as a human-readable, diffable TOML file.
//!
//! Learnt with `towerwatch survey FILE... -o baseline.toml` (every cell whose CGI was decoded, with
//! its band, ARFCN, BSIC and median power, and every 200 kHz downlink channel with its highest
//! level, so that an empty channel is known to be empty), extended offline with
//! `towerwatch baseline import-opencellid` (cells with CGI and position but no ARFCN), and edited
//! with `towerwatch baseline mark --good|--suspect CGI`. Entries are sorted (cells by CGI,
//! channels by frequency) so that two surveys diff line by line.
//!
//! ```toml
//! version = 1
//! description = "survey of 3 recordings"
//!
//! [[cell]]
//! mcc = 262
//! mnc = 1
//! lac = 4101
//! ci = 10011
//! band = "egsm"
//! arfcn = 16
//! bsic = 11
//! power_dbfs = -32.5
//! status = "good"
//! source = "survey"
//!
//! [[channel]]
//! band = "egsm"
//! arfcn = 21
//! freq_hz = 939200000.0
//! max_snr_db = 2.1
//! occupied = false
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use towerwatch_dsp::arfcn::{Band, Direction};

use super::{CellRegistry, Cgi, LteCellId, median};

/// Baseline file format version.
pub const BASELINE_VERSION: u32 = 1;

/// What the user says about a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CellStatus {
    /// Seen in a survey or imported; not checked by a person.
    #[default]
    Unverified,
    /// Checked and legitimate.
    Good,
    /// Marked suspect: any sighting is reported.
    Suspect,
}

/// One known cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineCell {
    /// Mobile country code.
    pub mcc: u16,
    /// Mobile network code.
    pub mnc: u16,
    /// Location area code.
    pub lac: u16,
    /// Cell identity.
    pub ci: u16,
    /// Band name (`egsm`, `dcs1800`, …), when known (surveys; not OpenCelliD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<String>,
    /// ARFCN, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arfcn: Option<u16>,
    /// BSIC, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bsic: Option<u8>,
    /// Median channel power during the survey, dBFS (receiver- and gain-specific).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_dbfs: Option<f64>,
    /// Latitude (OpenCelliD), degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude (OpenCelliD), degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// Estimated range (OpenCelliD), metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_m: Option<u32>,
    /// What the user says.
    #[serde(default)]
    pub status: CellStatus,
    /// Where the entry came from: `survey`, `opencellid`, `manual`.
    #[serde(default)]
    pub source: String,
}

impl BaselineCell {
    /// The CGI.
    pub fn cgi(&self) -> Cgi {
        Cgi {
            mcc: self.mcc,
            mnc: self.mnc,
            lac: self.lac,
            ci: self.ci,
        }
    }
}

/// One 200 kHz downlink channel as the survey saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineChannel {
    /// Band name.
    pub band: String,
    /// ARFCN.
    pub arfcn: u16,
    /// Centre frequency.
    pub freq_hz: f64,
    /// Highest level above the noise floor seen during the survey, dB.
    pub max_snr_db: f64,
    /// Whether a carrier stood there (at least the carrier threshold above the floor).
    pub occupied: bool,
}

/// One known LTE cell: its downlink channel and physical cell identity (the ECGI needs SIB1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineLteCell {
    /// Downlink EARFCN.
    pub earfcn: u32,
    /// Physical cell identity.
    pub pci: u16,
    /// E-UTRA band, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<u8>,
    /// Median RSRP during the survey, dBFS per resource element (receiver- and gain-specific).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsrp_dbfs: Option<f64>,
    /// What the user says.
    #[serde(default)]
    pub status: CellStatus,
    /// Where the entry came from: `survey`, `manual`.
    #[serde(default)]
    pub source: String,
}

/// One known LTE cell by its global identity (ECGI), as OpenCelliD lists them: no EARFCN, so it
/// is matched against a cell's SIB1 (PLMN and cellIdentity), not its EARFCN + PCI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineLteEcgi {
    /// Mobile country code.
    pub mcc: u16,
    /// Mobile network code.
    pub mnc: u16,
    /// Tracking area code.
    pub tac: u16,
    /// E-UTRAN cell identity (28 bits: eNodeB ID × 256 + cell).
    pub eci: u32,
    /// Physical cell identity, when the source gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pci: Option<u16>,
    /// Latitude, degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude, degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// Estimated range, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_m: Option<u32>,
    /// What the user says.
    #[serde(default)]
    pub status: CellStatus,
    /// Where the entry came from: `opencellid`, `manual`.
    #[serde(default)]
    pub source: String,
}

/// The baseline file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version ([`BASELINE_VERSION`]).
    #[serde(default)]
    pub version: u32,
    /// Free text: where and when.
    #[serde(default)]
    pub description: String,
    /// Known cells.
    #[serde(default, rename = "cell")]
    pub cells: Vec<BaselineCell>,
    /// Downlink channels measured by surveys.
    #[serde(default, rename = "channel")]
    pub channels: Vec<BaselineChannel>,
    /// Known LTE cells (`[[lte_cell]]`; absent from GSM-only baselines).
    #[serde(default, rename = "lte_cell", skip_serializing_if = "Vec::is_empty")]
    pub lte_cells: Vec<BaselineLteCell>,
    /// Known LTE cells by ECGI (`[[lte_ecgi]]`, from OpenCelliD).
    #[serde(default, rename = "lte_ecgi", skip_serializing_if = "Vec::is_empty")]
    pub lte_ecgis: Vec<BaselineLteEcgi>,
}

/// Baseline file problems.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// Could not read or write the file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not a valid baseline.
    #[error("{path}: not a valid baseline file: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The baseline could not be written as TOML.
    #[error("cannot write the baseline: {0}")]
    Serialize(String),
    /// A cell given on the command line is not `MCC-MNC-LAC-CI`.
    #[error("'{0}' is not a cell identity (MCC-MNC-LAC-CI, e.g. 262-01-4101-10011)")]
    BadCgi(String),
    /// An LTE cell given on the command line is not `lte:EARFCN:PCI`.
    #[error("'{0}' is not an LTE cell (lte:EARFCN:PCI, e.g. lte:1750:86; PCI 0-503)")]
    BadLteCell(String),
    /// A problem in an OpenCelliD file.
    #[error("{path}: line {line}: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl Baseline {
    /// Whether the baseline knows nothing (no file loaded).
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
            && self.channels.is_empty()
            && self.lte_cells.is_empty()
            && self.lte_ecgis.is_empty()
    }

    /// Read a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text = crate::limits::read_text_capped_io(
            path,
            crate::limits::MAX_BASELINE_BYTES,
            "a baseline",
        )
        .map_err(|source| BaselineError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Baseline::parse(&text).map_err(|message| BaselineError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parse baseline TOML.
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let b: Baseline = toml::from_str(text).map_err(|e| e.to_string())?;
        if b.version > BASELINE_VERSION {
            return Err(format!(
                "version {} is newer than this towerwatch understands ({BASELINE_VERSION})",
                b.version
            ));
        }
        Ok(b)
    }

    /// As TOML text, sorted, with a header comment.
    pub fn to_toml(&self) -> Result<String, BaselineError> {
        let mut b = self.clone();
        b.version = BASELINE_VERSION;
        b.sort();
        let body = toml::to_string(&b).map_err(|e| BaselineError::Serialize(e.to_string()))?;
        Ok(format!(
            "# Towerwatch baseline: the cells and channels normally on the air here.\n\
             # Written by `towerwatch survey` / `towerwatch baseline`; edit freely (status = \
             \"good\" | \"suspect\" | \"unverified\").\n\
             # Powers are in dBFS of the receiver and gain used for the survey.\n\n{body}"
        ))
    }

    /// Write the baseline file.
    pub fn save(&self, path: &Path) -> Result<(), BaselineError> {
        let text = self.to_toml()?;
        crate::source::sigmf::write_private(path, text.as_bytes()).map_err(|source| {
            BaselineError::Io {
                path: path.to_path_buf(),
                source,
            }
        })
    }

    fn sort(&mut self) {
        self.cells.sort_by(|a, b| {
            (a.mcc, a.mnc, a.lac, a.ci, a.arfcn).cmp(&(b.mcc, b.mnc, b.lac, b.ci, b.arfcn))
        });
        self.channels
            .sort_by(|a, b| a.freq_hz.total_cmp(&b.freq_hz));
        self.lte_cells.sort_by_key(|c| (c.earfcn, c.pci));
        self.lte_ecgis.sort_by_key(|c| (c.mcc, c.mnc, c.eci));
    }

    /// The ECGI rows of a cell (PLMN and cellIdentity; the TAC is not compared: operators
    /// re-plan tracking areas).
    pub fn find_ecgi(
        &self,
        mcc: u16,
        mnc: u16,
        eci: u32,
    ) -> impl Iterator<Item = &BaselineLteEcgi> {
        self.lte_ecgis
            .iter()
            .filter(move |e| (e.mcc, e.mnc, e.eci) == (mcc, mnc, eci))
    }

    /// Whether the ECGI rows cover this PLMN at all (an import for one operator says nothing
    /// about the others).
    pub fn knows_ecgi_plmn(&self, mcc: u16, mnc: u16) -> bool {
        self.lte_ecgis.iter().any(|e| (e.mcc, e.mnc) == (mcc, mnc))
    }

    /// Every LTE entry with this EARFCN and PCI.
    pub fn find_lte(&self, id: LteCellId) -> impl Iterator<Item = &BaselineLteCell> {
        self.lte_cells
            .iter()
            .filter(move |c| c.earfcn == id.earfcn && c.pci == id.pci)
    }

    /// Every entry with this CGI.
    pub fn find(&self, cgi: &Cgi) -> impl Iterator<Item = &BaselineCell> {
        let cgi = *cgi;
        self.cells.iter().filter(move |c| c.cgi() == cgi)
    }

    /// The survey's record of the downlink channel at `freq_hz`.
    pub fn channel(&self, freq_hz: f64) -> Option<&BaselineChannel> {
        self.channels
            .iter()
            .find(|c| (c.freq_hz - freq_hz).abs() < 1e3)
    }

    /// Mark a cell good or suspect (adding a manual entry if it is not known).
    pub fn mark(&mut self, cgi: Cgi, status: CellStatus) -> usize {
        let mut n = 0;
        for c in self.cells.iter_mut().filter(|c| c.cgi() == cgi) {
            c.status = status;
            n += 1;
        }
        if n == 0 {
            self.cells.push(BaselineCell {
                mcc: cgi.mcc,
                mnc: cgi.mnc,
                lac: cgi.lac,
                ci: cgi.ci,
                band: None,
                arfcn: None,
                bsic: None,
                power_dbfs: None,
                lat: None,
                lon: None,
                range_m: None,
                status,
                source: "manual".into(),
            });
        }
        n
    }

    /// Mark an LTE cell good or suspect (adding a manual entry if it is not known); returns the
    /// entries updated.
    pub fn mark_lte(&mut self, id: LteCellId, status: CellStatus) -> usize {
        let mut n = 0;
        for c in self
            .lte_cells
            .iter_mut()
            .filter(|c| c.earfcn == id.earfcn && c.pci == id.pci)
        {
            c.status = status;
            n += 1;
        }
        if n == 0 {
            self.lte_cells.push(BaselineLteCell {
                earfcn: id.earfcn,
                pci: id.pci,
                band: towerwatch_dsp::earfcn::LteBand::of_dl_earfcn(id.earfcn).map(|b| b.number),
                rsrp_dbfs: None,
                status,
                source: "manual".into(),
            });
        }
        n
    }

    /// Add what a registry learnt (a survey): each decoded cell (same CGI and ARFCN replaces the
    /// old entry's measurements, keeping its status) and each downlink channel.
    pub fn learn(&mut self, reg: &CellRegistry) {
        for cell in reg.cells() {
            let Some(cgi) = cell.cgi else { continue };
            let mut p: Vec<f64> = cell.power.iter().map(|p| p.power_dbfs).collect();
            let power = median(&mut p).map(|x| (x * 10.0).round() / 10.0);
            let band = cell.band.name().to_string();
            if let Some(e) = self
                .cells
                .iter_mut()
                .find(|e| e.cgi() == cgi && (e.arfcn.is_none() || e.arfcn == Some(cell.arfcn)))
            {
                e.band = Some(band);
                e.arfcn = Some(cell.arfcn);
                e.bsic = cell.bsic.or(e.bsic);
                e.power_dbfs = power.or(e.power_dbfs);
                if e.source.is_empty() {
                    e.source = "survey".into();
                }
                continue;
            }
            self.cells.push(BaselineCell {
                mcc: cgi.mcc,
                mnc: cgi.mnc,
                lac: cgi.lac,
                ci: cgi.ci,
                band: Some(band),
                arfcn: Some(cell.arfcn),
                bsic: cell.bsic,
                power_dbfs: power,
                lat: None,
                lon: None,
                range_m: None,
                status: CellStatus::Unverified,
                source: "survey".into(),
            });
        }
        for ch in reg.channels() {
            // Downlink channels only: the uplink is phones, which come and go.
            let downlink = ch
                .band
                .freq_hz(ch.arfcn, Direction::Downlink)
                .is_some_and(|f| (f - ch.freq_hz).abs() < 1e3);
            if !downlink || ch.intervals == 0 {
                continue;
            }
            let occupied = ch.occupied_intervals > 0;
            let max_snr = (ch.max_snr_db * 10.0).round() / 10.0;
            if let Some(e) = self
                .channels
                .iter_mut()
                .find(|e| (e.freq_hz - ch.freq_hz).abs() < 1e3)
            {
                e.max_snr_db = e.max_snr_db.max(max_snr);
                e.occupied |= occupied;
            } else {
                self.channels.push(BaselineChannel {
                    band: ch.band.name().to_string(),
                    arfcn: ch.arfcn,
                    freq_hz: ch.freq_hz,
                    max_snr_db: max_snr,
                    occupied,
                });
            }
        }
        for cell in reg.lte_cells() {
            let rsrp = cell.rsrp_dbfs().map(|x| (x * 10.0).round() / 10.0);
            if let Some(e) = self
                .lte_cells
                .iter_mut()
                .find(|e| e.earfcn == cell.id.earfcn && e.pci == cell.id.pci)
            {
                e.band = cell.band.or(e.band);
                e.rsrp_dbfs = rsrp.or(e.rsrp_dbfs);
                continue;
            }
            self.lte_cells.push(BaselineLteCell {
                earfcn: cell.id.earfcn,
                pci: cell.id.pci,
                band: cell.band,
                rsrp_dbfs: rsrp,
                status: CellStatus::Unverified,
                source: "survey".into(),
            });
        }
        self.version = BASELINE_VERSION;
        self.sort();
    }

    /// Entries for a carrier (band, ARFCN) learnt by a survey.
    pub fn on_arfcn(&self, band: Band, arfcn: u16) -> impl Iterator<Item = &BaselineCell> {
        self.cells.iter().filter(move |c| {
            c.arfcn == Some(arfcn)
                && c.band
                    .as_deref()
                    .and_then(Band::parse)
                    .is_none_or(|b| same_band_family(b, band))
        })
    }
}

/// P-, E- and R-GSM 900 number the same channels the same way.
pub fn same_band_family(a: Band, b: Band) -> bool {
    let fam = |x: Band| match x {
        Band::PGsm900 | Band::EGsm900 | Band::RGsm900 => 0,
        Band::Gsm850 => 1,
        Band::Dcs1800 => 2,
        Band::Pcs1900 => 3,
    };
    fam(a) == fam(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_mark() {
        let mut b = Baseline::default();
        let cgi = Cgi::parse("262-01-4101-10011").unwrap();
        assert_eq!(b.mark(cgi, CellStatus::Suspect), 0);
        assert_eq!(b.cells.len(), 1);
        assert_eq!(b.mark(cgi, CellStatus::Good), 1);
        let text = b.to_toml().unwrap();
        assert!(text.contains("status = \"good\""), "{text}");
        let back = Baseline::parse(&text).unwrap();
        assert_eq!(back.cells, b.cells);
        assert!(Baseline::parse("bogus = 1").is_err());
        // A GSM-only baseline writes no LTE table.
        assert!(!text.contains("lte_cell"), "{text}");
    }

    #[test]
    fn lte_cells_are_learnt_and_round_trip() {
        let mut reg = CellRegistry::default();
        let o = crate::detect::testkit::lte_cell(1750, 142, -60.0, -22.5, 0.01, 0.5);
        reg.update(&o);
        let mut b = Baseline::default();
        b.learn(&reg);
        assert_eq!(b.lte_cells.len(), 1);
        let e = &b.lte_cells[0];
        assert_eq!(
            (e.earfcn, e.pci, e.band, e.rsrp_dbfs),
            (1750, 142, Some(3), Some(-60.0))
        );
        let text = b.to_toml().unwrap();
        assert!(text.contains("[[lte_cell]]"), "{text}");
        let back = Baseline::parse(&text).unwrap();
        assert_eq!(back.lte_cells, b.lte_cells);
        let id = LteCellId {
            earfcn: 1750,
            pci: 142,
        };
        assert_eq!(back.find_lte(id).count(), 1);
        assert!(!back.is_empty());
        // Learning again keeps one row (and the user's status).
        let mut b2 = back.clone();
        b2.lte_cells[0].status = CellStatus::Good;
        b2.learn(&reg);
        assert_eq!(b2.lte_cells.len(), 1);
        assert_eq!(b2.lte_cells[0].status, CellStatus::Good);
    }
}
