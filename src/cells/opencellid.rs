//! Offline import of OpenCelliD CSV exports into a baseline.
//!
//! Header: `radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal`.
//! Only `GSM` rows are kept, filtered by MCC and a bounding box. Rows that do not parse are
//! counted and skipped (the export has the odd broken line); a missing or wrong header is an
//! error. The file is streamed line by line: memory is bounded by the cells kept.

use std::io::BufRead;
use std::path::Path;

use super::baseline::{Baseline, BaselineCell, BaselineError, BaselineLteEcgi, CellStatus};

/// The columns an OpenCelliD export starts with.
pub const HEADER: &str =
    "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal";

/// A latitude/longitude box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// Southern edge, degrees.
    pub lat_min: f64,
    /// Western edge, degrees.
    pub lon_min: f64,
    /// Northern edge, degrees.
    pub lat_max: f64,
    /// Eastern edge, degrees.
    pub lon_max: f64,
}

impl BBox {
    /// Parse `lat1,lon1,lat2,lon2` (corners in any order).
    pub fn parse(s: &str) -> Option<BBox> {
        let v: Vec<f64> = s
            .split(',')
            .map(|x| x.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .ok()?;
        if v.len() != 4 || v.iter().any(|x| !x.is_finite()) {
            return None;
        }
        Some(BBox {
            lat_min: v[0].min(v[2]),
            lat_max: v[0].max(v[2]),
            lon_min: v[1].min(v[3]),
            lon_max: v[1].max(v[3]),
        })
    }

    /// Whether a point is inside.
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.lat_min..=self.lat_max).contains(&lat) && (self.lon_min..=self.lon_max).contains(&lon)
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Data rows read.
    pub rows: u64,
    /// GSM rows inside the MCC and box, added or updated.
    pub imported: u64,
    /// LTE rows (ECGI) inside the MCC and box, added or updated.
    pub imported_lte: u64,
    /// Rows of other radios (UMTS, NR, CDMA), other MCCs or outside the box.
    pub filtered: u64,
    /// Rows that did not parse.
    pub malformed: u64,
}

/// Import an OpenCelliD CSV into `baseline`.
pub fn import(
    path: &Path,
    mcc: Option<u16>,
    bbox: Option<BBox>,
    baseline: &mut Baseline,
) -> Result<ImportReport, BaselineError> {
    let io = |source| BaselineError::Io {
        path: path.to_path_buf(),
        source,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    import_reader(std::io::BufReader::new(f), path, mcc, bbox, baseline)
}

/// Import from any reader (`path` only names it in errors).
pub fn import_reader(
    r: impl BufRead,
    path: &Path,
    mcc: Option<u16>,
    bbox: Option<BBox>,
    baseline: &mut Baseline,
) -> Result<ImportReport, BaselineError> {
    let mut rep = ImportReport::default();
    for (i, line) in r.lines().enumerate() {
        let line = line.map_err(|source| BaselineError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let line = line.trim();
        if i == 0 {
            if line.trim_start_matches('\u{feff}') != HEADER {
                return Err(BaselineError::Csv {
                    path: path.to_path_buf(),
                    line: 1,
                    message: format!("expected the OpenCelliD header '{HEADER}'"),
                });
            }
            continue;
        }
        if line.is_empty() {
            continue;
        }
        rep.rows += 1;
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 9 {
            rep.malformed += 1;
            continue;
        }
        if f[0].eq_ignore_ascii_case("LTE") {
            import_lte(&f, mcc, bbox, baseline, &mut rep);
            continue;
        }
        if !f[0].eq_ignore_ascii_case("GSM") {
            rep.filtered += 1;
            continue;
        }
        let parsed = (|| {
            Some((
                f[1].parse::<u16>().ok()?,
                f[2].parse::<u16>().ok()?,
                f[3].parse::<u16>().ok()?,
                f[4].parse::<u32>().ok()?,
                f[6].parse::<f64>().ok()?,
                f[7].parse::<f64>().ok()?,
                f[8].parse::<u32>().ok(),
            ))
        })();
        let Some((row_mcc, mnc, lac, ci, lon, lat, range)) = parsed else {
            rep.malformed += 1;
            continue;
        };
        let Ok(ci) = u16::try_from(ci) else {
            // GSM cell identities are 16 bits; larger ones are mislabelled UMTS/LTE cells.
            rep.malformed += 1;
            continue;
        };
        if mcc.is_some_and(|m| m != row_mcc) || bbox.is_some_and(|b| !b.contains(lat, lon)) {
            rep.filtered += 1;
            continue;
        }
        rep.imported += 1;
        if let Some(e) = baseline
            .cells
            .iter_mut()
            .find(|e| (e.mcc, e.mnc, e.lac, e.ci) == (row_mcc, mnc, lac, ci))
        {
            e.lat = Some(lat);
            e.lon = Some(lon);
            e.range_m = range.or(e.range_m);
            continue;
        }
        baseline.cells.push(BaselineCell {
            mcc: row_mcc,
            mnc,
            lac,
            ci,
            band: None,
            arfcn: None,
            bsic: None,
            power_dbfs: None,
            lat: Some(lat),
            lon: Some(lon),
            range_m: range,
            status: CellStatus::Unverified,
            source: "opencellid".into(),
        });
    }
    Ok(rep)
}

/// One LTE row: `area` is the TAC, `cell` the 28-bit ECI, `unit` the PCI (OpenCelliD's
/// documentation of its CSV export). No EARFCN: the row becomes an `[[lte_ecgi]]` entry.
fn import_lte(
    f: &[&str],
    mcc: Option<u16>,
    bbox: Option<BBox>,
    baseline: &mut Baseline,
    rep: &mut ImportReport,
) {
    let parsed = (|| {
        Some((
            f.get(1)?.parse::<u16>().ok()?,
            f.get(2)?.parse::<u16>().ok()?,
            f.get(3)?.parse::<u16>().ok()?,
            f.get(4)?.parse::<u32>().ok()?,
            f.get(5).and_then(|u| u.parse::<u16>().ok()),
            f.get(6)?.parse::<f64>().ok()?,
            f.get(7)?.parse::<f64>().ok()?,
            f.get(8).and_then(|r| r.parse::<u32>().ok()),
        ))
    })();
    let Some((row_mcc, mnc, tac, eci, pci, lon, lat, range)) = parsed else {
        rep.malformed += 1;
        return;
    };
    // The ECI is 28 bits and the PCI 0-503; anything else is not an LTE cell.
    if eci >= 1 << 28 || pci.is_some_and(|p| p > 503) {
        rep.malformed += 1;
        return;
    }
    if mcc.is_some_and(|m| m != row_mcc) || bbox.is_some_and(|b| !b.contains(lat, lon)) {
        rep.filtered += 1;
        return;
    }
    rep.imported_lte += 1;
    if let Some(e) = baseline
        .lte_ecgis
        .iter_mut()
        .find(|e| (e.mcc, e.mnc, e.eci) == (row_mcc, mnc, eci))
    {
        e.tac = tac;
        e.pci = pci.or(e.pci);
        e.lat = Some(lat);
        e.lon = Some(lon);
        e.range_m = range.or(e.range_m);
        return;
    }
    baseline.lte_ecgis.push(BaselineLteEcgi {
        mcc: row_mcc,
        mnc,
        tac,
        eci,
        pci,
        lat: Some(lat),
        lon: Some(lon),
        range_m: range,
        status: CellStatus::Unverified,
        source: "opencellid".into(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_gsm_mcc_and_box() {
        let csv = format!(
            "{HEADER}\n\
             GSM,262,1,4101,10011,0,13.40,52.52,1000,12,1,0,0,-80\n\
             UMTS,262,1,4101,123456,0,13.40,52.52,1000,12,1,0,0,0\n\
             GSM,262,2,5201,20021,0,11.00,48.10,500,3,1,0,0,0\n\
             GSM,208,1,1,1,0,13.40,52.52,500,3,1,0,0,0\n\
             GSM,262,x,1,1\n"
        );
        let mut b = Baseline::default();
        let rep = import_reader(
            csv.as_bytes(),
            Path::new("t.csv"),
            Some(262),
            BBox::parse("52,13,53,14"),
            &mut b,
        )
        .unwrap();
        assert_eq!(rep.rows, 5);
        assert_eq!(rep.imported, 1);
        assert_eq!(rep.filtered, 3);
        assert_eq!(rep.malformed, 1);
        assert_eq!(b.cells[0].ci, 10011);
        assert_eq!(b.cells[0].source, "opencellid");
        let bad = import_reader("a,b\n".as_bytes(), Path::new("t.csv"), None, None, &mut b);
        assert!(bad.is_err());
    }

    /// LTE rows become `[[lte_ecgi]]` entries (TAC, 28-bit ECI, PCI from `unit`); an ECI past
    /// 28 bits or a PCI past 503 is malformed; MCC and box filter them as GSM rows; a second
    /// import updates instead of duplicating; the file round-trips through TOML.
    #[test]
    fn lte_rows_become_ecgi_entries() {
        let csv = format!(
            "{HEADER}\n\
             LTE,460,0,4589,20712707,144,114.05,22.54,800,40,1,0,0,-95\n\
             LTE,460,11,6354,123456789,86,114.06,22.55,1200,9,1,0,0,0\n\
             LTE,460,0,1,268435456,1,114.05,22.54,800,1,1,0,0,0\n\
             LTE,460,0,1,1,504,114.05,22.54,800,1,1,0,0,0\n\
             LTE,262,1,1,1,1,13.40,52.52,800,1,1,0,0,0\n\
             NR,460,0,1,1,1,114.05,22.54,800,1,1,0,0,0\n"
        );
        let mut b = Baseline::default();
        let rep =
            import_reader(csv.as_bytes(), Path::new("t.csv"), Some(460), None, &mut b).unwrap();
        assert_eq!((rep.rows, rep.imported, rep.imported_lte), (6, 0, 2));
        assert_eq!((rep.filtered, rep.malformed), (2, 2));
        assert_eq!(b.lte_ecgis.len(), 2);
        let e = &b.lte_ecgis[0];
        assert_eq!(
            (e.mcc, e.mnc, e.tac, e.eci, e.pci),
            (460, 0, 4589, 20_712_707, Some(144))
        );
        assert_eq!(e.range_m, Some(800));
        // Again: updated, not duplicated.
        import_reader(csv.as_bytes(), Path::new("t.csv"), Some(460), None, &mut b).unwrap();
        assert_eq!(b.lte_ecgis.len(), 2);
        let back = Baseline::parse(&b.to_toml().unwrap()).unwrap();
        assert_eq!(back.lte_ecgis.len(), 2);
        assert!(back.find_ecgi(460, 11, 123_456_789).next().is_some());
    }
}
