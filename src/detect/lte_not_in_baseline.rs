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
    version: 1,
    default_weight: 1.0,
    summary: "LTE cell (EARFCN + PCI) not in the baseline's LTE cells, or marked suspect",
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
picks a PCI the network does not use on that channel in that area. Silent when the baseline has
no LTE rows (a GSM-only baseline says nothing about LTE).

**Reference**: 3GPP TS 36.211 §6.11 (PCI from the synchronisation signals), TS 36.101 §5.7.3
(EARFCN), TS 36.331 §6.2.2 (MIB).

**Thresholds** (`[lte_not_in_baseline]`): weight 1.0 (severity low) for an unknown EARFCN+PCI,
`suspect_weight = 4.0` (severity high) for a row marked suspect.

**Known false positives**: cells added or re-planned since the survey (operators re-plan PCIs);
a baseline from another place; cells too weak or too briefly heard during the survey to decode
their MIB. The ECGI from SIB1 would identify a cell beyond its PCI; re-survey regularly.
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
        if reg.baseline.lte_cells.is_empty() {
            return;
        }
        let Some(cell) = LteCellId::of(o).and_then(|id| reg.lte_cell(id)) else {
            return;
        };
        let known: Vec<_> = reg.baseline.find_lte(cell.id).collect();
        let (sev, w, msg, test) = if known.iter().any(|e| e.status == CellStatus::Suspect) {
            (
                Severity::High,
                self.cfg.suspect_weight,
                format!("{} is marked suspect in the baseline.", cell.id),
                Evidence::test("baseline_suspect", 1.0, "=", 1.0),
            )
        } else if known.is_empty() {
            (
                Severity::Low,
                self.weight,
                format!("{} is not in the baseline for this area.", cell.id),
                Evidence::test("baseline_entries", 0.0, "=", 0.0),
            )
        } else {
            return;
        };
        out.push(super::finding(
            self,
            w,
            sev,
            cell.key(),
            reg.now_s(),
            msg,
            vec![
                test,
                Evidence::value("baseline_lte_cells", reg.baseline.lte_cells.len() as f64),
            ],
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
}
