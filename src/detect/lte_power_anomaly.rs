//! LTE detector: one cell far stronger than every other LTE cell — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellRegistry, LteCellId};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "lte_power_anomaly",
    version: 1,
    default_weight: 1.0,
    summary: "LTE cell's RSRP ≥ 20 dB above every other LTE cell in view (at least two others)",
    false_positives: "A receiver next to a real eNodeB or small cell; cells measured with different gains \
         (a sweep that changes gain per frequency).",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** an LTE cell whose RSRP (median of its recent windows) is at least `above_all_others_db`
above the strongest of the other LTE cells seen within `max_age_s`, when at least
`min_other_cells` other cells were measured. A fake eNodeB that captures phones to push them to
a fake GSM cell (the "downgrade" SMS blaster) transmits far above the real network near its
targets, because phones reselect to the strongest cell (S-criterion, then ranking on RSRP).

**Reference**: 3GPP TS 36.133 §9.1.4 (RSRP measurement: definition and accuracy), TS 36.214
§5.1.1 (RSRP), TS 36.304 §5.2.3.2 and §5.2.4.6 (cell selection and ranking on RSRP).

**Thresholds** (`[lte_power_anomaly]`): `above_all_others_db = 20` (TS 36.133's absolute RSRP
accuracy is ±6–9 dB, relative ±2–3 dB; real neighbours of one network are within 10–15 dB of each
other where several are decodable), `min_other_cells = 2`, `max_age_s = 60`. Weight 1.0,
severity low: strength alone is a hint, the other signatures make it an alert.

**Known false positives**: a receiver next to a real eNodeB or an indoor small cell (it is the
loudest by far there); RSRP in dBFS depends on the receiver's gain, so cells measured with
different gains are not comparable; fewer than three LTE cells in view (not judged).
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// dB above the strongest other LTE cell.
    pub above_all_others_db: f64,
    /// Other measured cells needed for the comparison.
    pub min_other_cells: usize,
    /// Other cells count only when seen within this many seconds of the cell judged.
    pub max_age_s: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            above_all_others_db: 20.0,
            min_other_cells: 2,
            max_age_s: 60.0,
        }
    }
}

/// The detector.
pub struct LtePowerAnomaly {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(LtePowerAnomaly {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl Detector for LtePowerAnomaly {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        let Observation::LteCell(o) = obs else { return };
        let Some(cell) = LteCellId::of(o).and_then(|id| reg.lte_cell(id)) else {
            return;
        };
        let Some(own) = cell.rsrp_dbfs() else { return };
        let others: Vec<f64> = reg
            .lte_cells()
            .filter(|c| c.id != cell.id)
            .filter(|c| (cell.last_seen_s - c.last_seen_s).abs() <= self.cfg.max_age_s)
            .filter_map(|c| c.rsrp_dbfs())
            .collect();
        if others.len() < self.cfg.min_other_cells.max(1) {
            return;
        }
        let strongest = others.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let above = own - strongest;
        if above < self.cfg.above_all_others_db {
            return;
        }
        out.push(super::finding(
            self,
            self.weight,
            Severity::Low,
            cell.key(),
            reg.now_s(),
            format!(
                "The LTE cell is received {above:.0} dB above the strongest of the {} other LTE \
                 cells in view.",
                others.len()
            ),
            vec![
                Evidence::test(
                    "rsrp_above_others_db",
                    above,
                    ">=",
                    self.cfg.above_all_others_db,
                ),
                Evidence::value("rsrp_dbfs", own),
                Evidence::value("strongest_other_rsrp_dbfs", strongest),
            ],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::*;

    fn with(rogue_dbfs: f64, legit: &[f64]) -> Vec<Finding> {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let mut obs: Vec<Observation> = legit
            .iter()
            .enumerate()
            .map(|(i, &p)| lte_cell(1750, 100 + i as u16, p, -22.5, 0.01, 0.1 * i as f64))
            .collect();
        obs.push(lte_cell(1750, 301, rogue_dbfs, -21.0, 0.01, 1.0));
        run(d.as_mut(), &mut CellRegistry::default(), &obs)
    }

    #[test]
    fn fires_only_far_above_at_least_two_others() {
        let f = with(-35.0, &[-60.0, -58.0, -70.0]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Low);
        assert_eq!(f[0].cell.lte.map(|id| id.pci), Some(301));
        assert!(with(-45.0, &[-60.0, -58.0, -70.0]).is_empty()); // 13 dB: ordinary
        assert!(with(-20.0, &[-60.0]).is_empty()); // one other cell: not judged
        // Cells seen long ago do not count.
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let obs = [
            lte_cell(1750, 100, -60.0, -22.5, 0.01, 0.0),
            lte_cell(1750, 101, -61.0, -22.5, 0.01, 0.0),
            lte_cell(1750, 301, -30.0, -22.5, 0.01, 500.0),
        ];
        assert!(run(d.as_mut(), &mut CellRegistry::default(), &obs).is_empty());
    }
}
