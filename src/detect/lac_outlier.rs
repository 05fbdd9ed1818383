//! Detector 3: LAC outlier (and TAC outlier on LTE) — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellKey, CellRegistry, LteCellId, median};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "lac_outlier",
    version: 2,
    default_weight: 1.0,
    summary: "A LAC (GSM) or TAC (LTE) no other cell of the same operator uses (an area of one cell)",
    false_positives: "A receiver at a location-area border; short recordings where only one cell of a LAC \
         was decoded.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** a cell whose location area code is shared by none of the other decoded cells of the same
operator (a LAC with one cell), with the distance to their median LAC as evidence. A fake base
station uses a LAC of its own so that phones perform a Location Update towards it (that is when
it asks for the IMSI). The same rule judges an LTE cell's tracking area code (SIB1) against the
other decoded LTE cells of its primary PLMN: a fake eNodeB announces a TAC of its own so that
phones send a Tracking Area Update (and, rejected, an Attach with their IMSI). LACs and TACs are
compared only with their own kind.

**Reference**: 3GPP TS 23.012 (location updating), TS 24.008 §4.4 (LU procedure), TS 44.018 §9.1.35;
TS 36.331 §6.2.2 (SIB1 `trackingAreaCode`), TS 24.301 §5.5.3 (tracking area updating).

**Thresholds** (`[lac_outlier]`): `min_same_operator = 2` other decoded cells of the operator before
judging; `far_lac_distance = 1000` (above it the message says "far"; the score is the same; the
same numbers for TACs).
Weight 1.0, severity low.

**Known false positives**: a receiver at a location-area (tracking-area) border (legitimate
neighbours in different LACs/TACs), short recordings where only one cell of the area was decoded
(LTE: SIB1 needs the cell's whole bandwidth, so often few cells are decoded).
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Other decoded cells of the same operator needed before judging.
    pub min_same_operator: usize,
    /// LAC distance called "far".
    pub far_lac_distance: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_same_operator: 2,
            far_lac_distance: 1000.0,
        }
    }
}

/// The detector.
pub struct LacOutlier {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(LacOutlier {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

/// One area code and the same operator's other cells' codes.
struct Area<'a> {
    /// `LAC` or `TAC`.
    kind: &'static str,
    own: u16,
    others: Vec<f64>,
    plmn: String,
    key: CellKey,
    /// Evidence names (`cells_sharing_lac`, `lac_distance`, or the TAC ones).
    names: (&'a str, &'a str),
}

impl LacOutlier {
    /// The area of the cell an observation is about, if it can be judged.
    fn area<'a>(obs: &Observation, reg: &'a CellRegistry) -> Option<Area<'a>> {
        match obs {
            Observation::SystemInfo(_) => {
                let cell = super::subject_cell(obs, reg)?;
                let lai = cell.summary.lai?;
                Some(Area {
                    kind: "LAC",
                    own: lai.lac,
                    others: reg
                        .same_operator(cell)
                        .filter_map(|c| c.summary.lai.map(|l| f64::from(l.lac)))
                        .collect(),
                    plmn: format!("{:03}-{:02}", lai.mcc, lai.mnc),
                    key: cell.key(),
                    names: ("cells_sharing_lac", "lac_distance"),
                })
            }
            Observation::LteCell(o) => {
                o.sib1.as_ref()?.fields.as_ref()?;
                let cell = LteCellId::of(o).and_then(|id| reg.lte_cell(id))?;
                let f = cell.sib1.as_ref()?.fields.as_ref()?;
                let plmn = *f.plmns.first()?;
                let same = |c: &&crate::cells::LteCell| {
                    c.id != cell.id
                        && c.sib1
                            .as_ref()
                            .and_then(|s| s.fields.as_ref())
                            .and_then(|g| g.plmns.first())
                            .is_some_and(|p| (p.mcc, p.mnc) == (plmn.mcc, plmn.mnc))
                };
                Some(Area {
                    kind: "TAC",
                    own: f.tac,
                    others: reg
                        .lte_cells()
                        .filter(same)
                        .filter_map(|c| Some(f64::from(c.sib1.as_ref()?.fields.as_ref()?.tac)))
                        .collect(),
                    plmn: plmn.to_string(),
                    key: cell.key(),
                    names: ("cells_sharing_tac", "tac_distance"),
                })
            }
            _ => None,
        }
    }
}

impl Detector for LacOutlier {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        let Some(Area {
            kind,
            own,
            mut others,
            plmn,
            key,
            names,
        }) = Self::area(obs, reg)
        else {
            return;
        };
        if others.len() < self.cfg.min_same_operator.max(1) {
            return;
        }
        let own_f = f64::from(own);
        if others.contains(&own_f) {
            return;
        }
        let n = others.len();
        let med = median(&mut others).unwrap_or(own_f);
        let dist = (own_f - med).abs();
        let far = dist > self.cfg.far_lac_distance;
        out.push(super::finding(
            self,
            self.weight,
            Severity::Low,
            key,
            reg.now_s(),
            format!(
                "{kind} {own} is used by no other of the {n} decoded cells of network {plmn} \
                 (their median {kind} is {med}{}).",
                if far { ", far away" } else { "" }
            ),
            vec![
                Evidence::test(names.0, 0.0, "=", 0.0),
                Evidence::value("same_operator_cells", n as f64),
                Evidence::test(
                    names.1,
                    dist,
                    if far { ">" } else { "<=" },
                    self.cfg.far_lac_distance,
                ),
            ],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::*;

    #[test]
    fn both_sides() {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let mut reg = CellRegistry::default();
        let mut obs = neighbourhood(0.0);
        let f = run(d.as_mut(), &mut reg, &obs);
        assert!(f.is_empty(), "{f:?}");
        let mut rogue = CellSpec::legit(21, 1234);
        rogue.lac = 7777;
        obs.push(si3(&rogue, 1.0));
        let f = run(d.as_mut(), &mut CellRegistry::default(), &obs);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].cell.arfcn, 21);
        // Alone (no other cell of the operator): not judged.
        let f = run(
            d.as_mut(),
            &mut CellRegistry::default(),
            &[si3(&rogue, 1.0)],
        );
        assert!(f.is_empty());
        // One other cell of the operator (which may itself be the rogue): not judged.
        let f = run(
            d.as_mut(),
            &mut CellRegistry::default(),
            &[si3(&CellSpec::legit(19, 5), 0.5), si3(&rogue, 1.0)],
        );
        assert!(f.is_empty());
    }

    #[test]
    fn an_lte_cell_with_a_tac_of_its_own_is_an_outlier() {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let lte = |pci: u16, tac: u16, t: f64| {
            let mut f = sib1_fields(vec![vec![3], vec![5]], -128, false, true, false);
            f.tac = tac;
            lte_cell_sib1(1825, pci, &f, t)
        };
        let obs = [lte(54, 4589, 0.0), lte(48, 4589, 0.1), lte(301, 7777, 1.0)];
        let f = run(d.as_mut(), &mut CellRegistry::default(), &obs);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].cell.lte.is_some_and(|id| id.pci == 301));
        assert!(f[0].message.starts_with("TAC 7777"), "{}", f[0].message);
        assert_eq!(f[0].evidence[0].name, "cells_sharing_tac");
        // One other cell of the PLMN: not judged; a TAC shared: quiet.
        let f = run(d.as_mut(), &mut CellRegistry::default(), &obs[1..]);
        assert!(f.is_empty());
        let f = run(
            d.as_mut(),
            &mut CellRegistry::default(),
            &[lte(54, 4589, 0.0), lte(48, 4589, 0.1), lte(301, 4589, 1.0)],
        );
        assert!(f.is_empty());
    }
}
