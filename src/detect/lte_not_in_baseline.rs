//! LTE detector: an LTE cell the baseline does not know, or marked suspect — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellRegistry, CellStatus, LteCellId};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "lte_not_in_baseline",
    version: 2,
    default_weight: 1.0,
    summary: "LTE cell (EARFCN + PCI, or ECGI from SIB1) not in the baseline's LTE cells, or marked suspect",
    false_positives: "New or re-planned cells since the survey (PCIs are re-planned), a baseline from another \
         place, cells the survey was too short or too weak to decode.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** an LTE cell whose downlink EARFCN and physical cell identity (PCI, from PSS/SSS and
confirmed by the MIB's CRC) are not among the baseline's `[[lte_cell]]` rows (learnt by
`towerwatch survey --tech lte`), or a row the user marked suspect (`towerwatch baseline mark
--suspect lte:EARFCN:PCI`). A fake eNodeB
picks a PCI the network does not use on that channel in that area. When the cell's SIB1 is
decoded and the baseline has `[[lte_ecgi]]` rows for its PLMN (imported from OpenCelliD with
`towerwatch baseline import`, which lists LTE cells by ECGI — MCC, MNC, TAC, 28-bit cell
identity — without their EARFCN), its ECGI is looked up too: a cell is flagged when a check that
applies says unknown and none says known (a cell the survey heard on its EARFCN + PCI is not
flagged because the crowd-sourced list lacks its ECGI, and the other way round); a suspect mark
in either list is high. Silent when the baseline has no LTE rows (a GSM-only baseline says
nothing about LTE). Version 2: ECGI rows (version 1 knew EARFCN + PCI only).

**Reference**: 3GPP TS 36.211 §6.11 (PCI from the synchronisation signals), TS 36.101 §5.7.3
(EARFCN), TS 36.331 §6.2.2 (MIB).

**Thresholds** (`[lte_not_in_baseline]`): weight 1.0 (severity low) for an unknown EARFCN+PCI,
`suspect_weight = 4.0` (severity high) for a row marked suspect.

**Known false positives**: cells added or re-planned since the survey (operators re-plan PCIs);
a baseline from another place; cells too weak or too briefly heard during the survey to decode
their MIB; cells OpenCelliD's volunteers have not logged yet (it is crowd-sourced: new cells and
quiet areas are missing), an ECGI list for another area (import with `--mcc` and `--bbox`).
Re-survey regularly.
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Score of a cell marked suspect.
    pub suspect_weight: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            suspect_weight: 4.0,
        }
    }
}

/// The detector.
pub struct LteNotInBaseline {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(LteNotInBaseline {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl Detector for LteNotInBaseline {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        let Observation::LteCell(o) = obs else { return };
        let b = &reg.baseline;
        if b.lte_cells.is_empty() && b.lte_ecgis.is_empty() {
            return;
        }
        let Some(cell) = LteCellId::of(o).and_then(|id| reg.lte_cell(id)) else {
            return;
        };
        // EARFCN + PCI, when the baseline has surveyed LTE cells.
        let by_pci: Vec<_> = b.find_lte(cell.id).collect();
        let pci_known = (!b.lte_cells.is_empty()).then_some(!by_pci.is_empty());
        // ECGI from SIB1, when decoded and the baseline lists the cell's PLMN by ECGI.
        let ecgi = cell
            .sib1
            .as_ref()
            .and_then(|s| s.fields.as_ref())
            .and_then(|f| f.plmns.first().map(|p| (p.mcc, p.mnc, f.cell_identity)));
        let by_ecgi: Vec<_> = ecgi
            .map(|(mcc, mnc, eci)| b.find_ecgi(mcc, mnc, eci).collect())
            .unwrap_or_default();
        let ecgi_known = ecgi
            .filter(|(mcc, mnc, _)| b.knows_ecgi_plmn(*mcc, *mnc))
            .map(|_| !by_ecgi.is_empty());
        let suspect = by_pci.iter().any(|e| e.status == CellStatus::Suspect)
            || by_ecgi.iter().any(|e| e.status == CellStatus::Suspect);
        let unknown = (pci_known == Some(false) || ecgi_known == Some(false))
            && pci_known != Some(true)
            && ecgi_known != Some(true);
        let ecgi_text = ecgi.map_or(String::new(), |(mcc, mnc, eci)| {
            format!(" (ECGI {mcc}-{mnc:02}-{eci})")
        });
        let (sev, w, msg, test) = if suspect {
            (
                Severity::High,
                self.cfg.suspect_weight,
                format!("{}{ecgi_text} is marked suspect in the baseline.", cell.id),
                Evidence::test("baseline_suspect", 1.0, "=", 1.0),
            )
        } else if unknown {
            (
                Severity::Low,
                self.weight,
                format!(
                    "{}{ecgi_text} is not in the baseline for this area.",
                    cell.id
                ),
                Evidence::test("baseline_entries", 0.0, "=", 0.0),
            )
        } else {
            return;
        };
        let mut evidence = vec![
            test,
            Evidence::value("baseline_lte_cells", b.lte_cells.len() as f64),
        ];
        if ecgi_known.is_some() {
            evidence.push(Evidence::value(
                "baseline_lte_ecgis",
                b.lte_ecgis.len() as f64,
            ));
        }
        out.push(super::finding(
            self,
            w,
            sev,
            cell.key(),
            reg.now_s(),
            msg,
            evidence,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cells::{Baseline, BaselineLteCell, Operators};
    use crate::detect::testkit::*;

    fn baseline(rows: &[(u32, u16, CellStatus)]) -> CellRegistry {
        let mut b = Baseline::default();
        for &(earfcn, pci, status) in rows {
            b.lte_cells.push(BaselineLteCell {
                earfcn,
                pci,
                band: Some(3),
                rsrp_dbfs: None,
                status,
                source: "survey".into(),
            });
        }
        CellRegistry::new(b, Operators::default())
    }

    #[test]
    fn unknown_and_suspect_cells_fire_known_ones_do_not() {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let mut reg = baseline(&[
            (1750, 142, CellStatus::Good),
            (1750, 86, CellStatus::Unverified),
            (1825, 54, CellStatus::Suspect),
        ]);
        let known = [
            lte_cell(1750, 142, -60.0, -22.5, 0.01, 0.0),
            lte_cell(1750, 86, -61.0, -22.5, 0.01, 0.1),
        ];
        assert!(run(d.as_mut(), &mut reg, &known).is_empty());
        // The same PCI on another EARFCN is another cell.
        let f = run(
            d.as_mut(),
            &mut reg,
            &[lte_cell(1825, 142, -40.0, -22.5, 0.01, 1.0)],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Low);
        let f = run(
            d.as_mut(),
            &mut reg,
            &[lte_cell(1825, 54, -40.0, -22.5, 0.01, 2.0)],
        );
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(f[0].score, 4.0);
        // No LTE rows in the baseline: silent.
        let mut empty = CellRegistry::default();
        let f = run(
            d.as_mut(),
            &mut empty,
            &[lte_cell(1825, 7, -40.0, -22.5, 0.01, 0.0)],
        );
        assert!(f.is_empty());
    }

    /// OpenCelliD's LTE rows (ECGI, no EARFCN): a cell whose SIB1 names a listed ECGI is known,
    /// one with an unlisted ECGI of a listed PLMN is low, a suspect ECGI high; a PLMN the list
    /// does not cover says nothing; a cell the survey heard on its EARFCN + PCI is not flagged
    /// because the crowd-sourced list lacks it.
    #[test]
    fn ecgi_rows_from_opencellid() {
        use crate::cells::BaselineLteEcgi;
        let row = |eci: u32, status: CellStatus| BaselineLteEcgi {
            mcc: 460,
            mnc: 0,
            tac: 4589,
            eci,
            pci: Some(144),
            lat: Some(22.54),
            lon: Some(114.05),
            range_m: Some(800),
            status,
            source: "opencellid".into(),
        };
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let mut b = Baseline::default();
        b.lte_ecgis.push(row(20_712_707, CellStatus::Unverified));
        b.lte_ecgis.push(row(20_712_999, CellStatus::Suspect));
        let mut reg = CellRegistry::new(b.clone(), Operators::default());
        let mut fields = sib1_fields(vec![vec![3]], -128, false, true, false);
        // Listed ECGI (EARFCN + PCI nowhere in the baseline): known.
        assert!(
            run(
                d.as_mut(),
                &mut reg,
                &[lte_cell_sib1(1750, 144, &fields, 0.0)]
            )
            .is_empty()
        );
        // An ECGI of 460-00 the list does not have: low, naming it.
        fields.cell_identity = 20_700_001;
        let f = run(
            d.as_mut(),
            &mut reg,
            &[lte_cell_sib1(1750, 301, &fields, 1.0)],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Low);
        assert!(f[0].message.contains("460-00-20700001"), "{}", f[0].message);
        // Suspect ECGI: high.
        fields.cell_identity = 20_712_999;
        let f = run(
            d.as_mut(),
            &mut reg,
            &[lte_cell_sib1(1750, 302, &fields, 2.0)],
        );
        assert_eq!(f[0].severity, Severity::High);
        // Another operator (460-01) is not covered by the list: silent.
        fields.plmns[0].mnc = 1;
        fields.cell_identity = 1;
        assert!(
            run(
                d.as_mut(),
                &mut reg,
                &[lte_cell_sib1(1750, 303, &fields, 3.0)]
            )
            .is_empty()
        );
        // No SIB1 decoded: the ECGI rows cannot judge it, and there are no EARFCN + PCI rows.
        assert!(
            run(
                d.as_mut(),
                &mut reg,
                &[lte_cell(1750, 304, -60.0, 0.0, 0.01, 4.0)]
            )
            .is_empty()
        );
        // Surveyed on EARFCN + PCI, its ECGI missing from the crowd-sourced list: not flagged.
        b.lte_cells.push(BaselineLteCell {
            earfcn: 1750,
            pci: 305,
            band: Some(3),
            rsrp_dbfs: None,
            status: CellStatus::Good,
            source: "survey".into(),
        });
        let mut reg = CellRegistry::new(b, Operators::default());
        fields.plmns[0].mnc = 0;
        fields.cell_identity = 20_799_999;
        assert!(
            run(
                d.as_mut(),
                &mut reg,
                &[lte_cell_sib1(1750, 305, &fields, 5.0)]
            )
            .is_empty()
        );
    }
}
