//! Detector 3: LAC outlier — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellRegistry, median};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "lac_outlier",
    version: 1,
    default_weight: 1.0,
    summary: "A LAC no other cell of the same operator uses (a location area of one cell)",
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
it asks for the IMSI).

**Reference**: 3GPP TS 23.012 (location updating), TS 24.008 §4.4 (LU procedure), TS 44.018 §9.1.35.

**Thresholds** (`[lac_outlier]`): `min_same_operator = 2` other decoded cells of the operator before
judging; `far_lac_distance = 1000` (above it the message says "far"; the score is the same).
Weight 1.0, severity low.

**Known false positives**: a receiver at a location-area border (legitimate neighbours in
different LACs), short recordings where only one cell of the LAC was decoded.
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

impl Detector for LacOutlier {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        if !matches!(obs, Observation::SystemInfo(_)) {
            return;
        }
        let Some(cell) = super::subject_cell(obs, reg) else {
            return;
        };
        let Some(lai) = cell.summary.lai else { return };
        let mut lacs: Vec<f64> = reg
            .same_operator(cell)
            .filter_map(|c| c.summary.lai.map(|l| f64::from(l.lac)))
            .collect();
        if lacs.len() < self.cfg.min_same_operator.max(1) {
            return;
        }
        let own = f64::from(lai.lac);
        if lacs.contains(&own) {
            return;
        }
        let n = lacs.len();
        let med = median(&mut lacs).unwrap_or(own);
        let dist = (own - med).abs();
        let far = dist > self.cfg.far_lac_distance;
        out.push(super::finding(
            self,
            self.weight,
            Severity::Low,
            cell.key(),
            reg.now_s(),
            format!(
                "LAC {} is used by no other of the {n} decoded cells of network {:03}-{:02} \
                 (their median LAC is {med}{}).",
                lai.lac,
                lai.mcc,
                lai.mnc,
                if far { ", far away" } else { "" }
            ),
            vec![
                Evidence::test("cells_sharing_lac", 0.0, "=", 0.0),
                Evidence::value("same_operator_cells", n as f64),
                Evidence::test(
                    "lac_distance",
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
}
