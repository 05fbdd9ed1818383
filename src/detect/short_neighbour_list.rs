//! Detector 4: short or empty neighbour list — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::CellRegistry;
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "short_neighbour_list",
    version: 1,
    default_weight: 1.5,
    summary: "Neighbour list (SI2/2bis/2ter) with at most one entry",
    false_positives: "Isolated rural or indoor cells, test networks, BA lists split over SI2bis/SI2ter not yet \
         decoded.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** a cell whose neighbour list (BA list: SI2 ∪ SI2bis ∪ SI2ter) has at most one entry once
its SI2 was decoded. A fake base station advertises no neighbours so that phones camped on it
have nowhere to reselect to; real cells list their neighbours (typically 6–32).

**Reference**: 3GPP TS 44.018 §9.1.32–9.1.34 (SI2, SI2bis, SI2ter), §10.5.2.22 (Neighbour Cell
Description); TS 45.008 §6 (idle-mode measurements of the BA list).

**Thresholds** (`[short_neighbour_list]`): `max_entries = 1` (fires at ≤ 1). Weight 1.5,
severity medium.

**Known false positives**: isolated rural or indoor/pico cells with one neighbour; test networks;
an SI2 whose BA list is carried mostly in SI2bis/SI2ter not yet decoded (short recordings).
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Fires at this many entries or fewer.
    pub max_entries: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config { max_entries: 1 }
    }
}

/// The detector.
pub struct ShortNeighbourList {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(ShortNeighbourList {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl Detector for ShortNeighbourList {
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
        if !cell.has_si2() {
            return;
        }
        let n = cell.summary.neighbours().len();
        if n > self.cfg.max_entries {
            return;
        }
        out.push(super::finding(
            self,
            self.weight,
            Severity::Medium,
            cell.key(),
            reg.now_s(),
            format!(
                "The cell advertises {} neighbour cell{}: phones camped on it have nowhere to go.",
                if n == 0 {
                    "no".to_string()
                } else {
                    n.to_string()
                },
                if n == 1 { "" } else { "s" }
            ),
            vec![Evidence::test(
                "neighbour_count",
                n as f64,
                "<=",
                self.cfg.max_entries as f64,
            )],
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
        let f = run(
            d.as_mut(),
            &mut CellRegistry::default(),
            &[si2(21, &[], 0.1)],
        );
        assert_eq!(f.len(), 1);
        let f = run(
            d.as_mut(),
            &mut CellRegistry::default(),
            &[si2(21, &[5], 0.1)],
        );
        assert_eq!(f.len(), 1);
        let f = run(
            d.as_mut(),
            &mut CellRegistry::default(),
            &[si2(21, &[5, 6], 0.1)],
        );
        assert!(f.is_empty());
        // No SI2 yet: not judged.
        let f = run(
            d.as_mut(),
            &mut CellRegistry::default(),
            &[si3(&CellSpec::legit(21, 1), 0.1)],
        );
        assert!(f.is_empty());
    }
}
