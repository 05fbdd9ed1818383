//! Detector 5: not listed back — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::CellRegistry;
use crate::cells::baseline::same_band_family;
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "not_listed_back",
    version: 1,
    default_weight: 1.0,
    summary: "No decoded neighbour list of another cell lists this cell's ARFCN",
    false_positives: "Few neighbour lists decoded; cells of another operator; neighbours outside the \
         receiver's bandwidth.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** a cell whose ARFCN appears in none of the non-empty neighbour lists (SI2/2bis/2ter)
decoded from the other cells of the same operator (PLMN) and band. Real cells are planned together and list each other; a fake
base station is not in the network's plan, so no real cell points phones to it.

**Reference**: 3GPP TS 44.018 §9.1.32–9.1.34, §10.5.2.22; TS 45.008 §6.

**Thresholds** (`[not_listed_back]`): `min_lists = 2` other cells of the operator with a decoded,
non-empty SI2 before judging (and the cell's own PLMN decoded).
Weight 1.0, severity low.

**Known false positives**: a cell at the edge of its operator's coverage; recordings where few SI2 were
decoded; cells at the edge of the receiver's bandwidth whose neighbours are outside it.
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Other cells with a decoded SI2 needed before judging.
    pub min_lists: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config { min_lists: 2 }
    }
}

/// The detector.
pub struct NotListedBack {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(NotListedBack {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl Detector for NotListedBack {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        if !matches!(obs, Observation::SystemInfo(_) | Observation::Sync(_)) {
            return;
        }
        let Some(cell) = super::subject_cell(obs, reg) else {
            return;
        };
        // Lists of the same operator's cells (operators list their own network), non-empty ones
        // only (an empty list is itself suspicious, not evidence about others).
        let Some(plmn) = cell.plmn() else { return };
        let lists: Vec<_> = reg
            .cells()
            .filter(|c| {
                c.arfcn != cell.arfcn
                    && same_band_family(c.band, cell.band)
                    && c.has_si2()
                    && c.plmn() == Some(plmn)
                    && !c.summary.neighbours().is_empty()
            })
            .collect();
        if lists.len() < self.cfg.min_lists.max(1) {
            return;
        }
        let listing = lists
            .iter()
            .filter(|c| c.summary.neighbours().contains(&cell.arfcn))
            .count();
        if listing > 0 {
            return;
        }
        out.push(super::finding(
            self,
            self.weight,
            Severity::Low,
            cell.key(),
            reg.now_s(),
            format!(
                "None of the {} other cells whose neighbour lists were decoded lists ARFCN {}.",
                lists.len(),
                cell.arfcn
            ),
            vec![
                Evidence::test("cells_listing_it", 0.0, "=", 0.0),
                Evidence::test(
                    "neighbour_lists_decoded",
                    lists.len() as f64,
                    ">=",
                    self.cfg.min_lists as f64,
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
        let mut obs = neighbourhood(0.0);
        let f = run(d.as_mut(), &mut CellRegistry::default(), &obs);
        assert!(f.is_empty(), "{f:?}");
        obs.push(si3(&CellSpec::legit(21, 99), 1.0));
        let f = run(d.as_mut(), &mut CellRegistry::default(), &obs);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].cell.arfcn, 21);
        // Only one neighbour list decoded: not judged.
        let f = run(
            d.as_mut(),
            &mut CellRegistry::default(),
            &[
                si2(16, &[18], 0.0),
                si3(&CellSpec::legit(16, 1), 0.1),
                si3(&CellSpec::legit(21, 99), 1.0),
            ],
        );
        assert!(f.is_empty());
    }
}
