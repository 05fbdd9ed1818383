//! Detector 7: aggressive reselection parameters — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellRegistry, median};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "aggressive_reselection",
    version: 1,
    default_weight: 1.5,
    summary: "CRO > 25 dB, high hysteresis, or RXLEV_ACCESS_MIN unlike the operator's other cells",
    false_positives: "Operators steer traffic between layers with large offsets; small cells may use their \
         own access level.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** idle-mode parameters that pull phones onto a cell and keep them there:
- CELL_RESELECT_OFFSET (SI3/SI4 rest octets) above `max_cro_db` while PENALTY_TIME ≠ 31 (the
  offset is *added* to C2, making the cell look that much stronger; PENALTY_TIME = 31 means it is
  subtracted, which makes a cell less attractive and is common on real networks: the DCS cell in
  the real `vf-call6` capture sends CRO 40 dB with PENALTY_TIME 31);
- CELL_RESELECT_HYSTERESIS of at least `min_hysteresis_db` and above the operator's other cells;
- RXLEV_ACCESS_MIN differing from the median of the operator's other decoded cells by at least
  `max_rxlev_diff` steps (a fake cell sets 0, "accept any level", to catch phones far away).

**Reference**: 3GPP TS 45.008 §6.4 (C1, C2: CRO, TEMPORARY_OFFSET, PENALTY_TIME), §9 (parameter
ranges); TS 44.018 §10.5.2.4 (Cell Selection Parameters), §10.5.2.34 (SI3 Rest Octets).

**Thresholds** (`[aggressive_reselection]`): `max_cro_db = 25`, `min_hysteresis_db = 12`,
`max_rxlev_diff = 6` against the median of at least `min_other_cells = 2` other cells of the
operator (so that one rogue cell is never the reference). Weight 1.5 when the CRO test fires, half of it when only the hysteresis or
RXLEV_ACCESS_MIN test does. Severity medium.

**Known false positives**: operators do use large CROs to steer traffic between layers
(e.g. towards a DCS layer, or onto indoor cells); small cells may have their own RXLEV_ACCESS_MIN.
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// CRO above this (dB) fires (when added to C2).
    pub max_cro_db: f64,
    /// Hysteresis at least this (dB) and above the operator's others fires.
    pub min_hysteresis_db: f64,
    /// RXLEV_ACCESS_MIN this many steps from the operator's median fires.
    pub max_rxlev_diff: f64,
    /// Other decoded cells of the operator needed for the RXLEV_ACCESS_MIN comparison.
    pub min_other_cells: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_cro_db: 25.0,
            min_hysteresis_db: 12.0,
            max_rxlev_diff: 6.0,
            min_other_cells: 2,
        }
    }
}

/// The detector.
pub struct AggressiveReselection {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(AggressiveReselection {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl Detector for AggressiveReselection {
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
        let mut ev = Vec::new();
        let mut words = Vec::new();
        let mut cro_fired = false;
        if let Some(sel) = cell.summary.selection {
            let cro = f64::from(sel.cell_reselect_offset_db());
            if sel.penalty_time != 31 && cro > self.cfg.max_cro_db {
                cro_fired = true;
                ev.push(Evidence::test(
                    "cell_reselect_offset_db",
                    cro,
                    ">",
                    self.cfg.max_cro_db,
                ));
                words.push(format!(
                    "it adds {cro} dB to its own signal in the phones' reselection ranking"
                ));
            }
        }
        let others: Vec<_> = reg
            .same_operator(cell)
            .filter_map(|c| c.summary.cell_selection)
            .collect();
        if let Some(cs) = cell.summary.cell_selection {
            let hyst_db = 2.0 * f64::from(cs.cell_reselect_hysteresis);
            let mut oh: Vec<f64> = others
                .iter()
                .map(|o| 2.0 * f64::from(o.cell_reselect_hysteresis))
                .collect();
            let oh_med = median(&mut oh);
            if hyst_db >= self.cfg.min_hysteresis_db && oh_med.is_none_or(|m| hyst_db > m) {
                ev.push(Evidence::test(
                    "cell_reselect_hysteresis_db",
                    hyst_db,
                    ">=",
                    self.cfg.min_hysteresis_db,
                ));
                words.push(format!("a reselection hysteresis of {hyst_db} dB"));
            }
            let mut orx: Vec<f64> = others
                .iter()
                .map(|o| f64::from(o.rxlev_access_min))
                .collect();
            let m = if orx.len() >= self.cfg.min_other_cells {
                median(&mut orx)
            } else {
                None
            };
            if let Some(m) = m {
                let own = f64::from(cs.rxlev_access_min);
                if (own - m).abs() >= self.cfg.max_rxlev_diff {
                    ev.push(Evidence::test(
                        "rxlev_access_min_diff",
                        (own - m).abs(),
                        ">=",
                        self.cfg.max_rxlev_diff,
                    ));
                    ev.push(Evidence::value("rxlev_access_min", own));
                    words.push(format!(
                        "RXLEV_ACCESS_MIN {own} where the operator's other cells use {m}"
                    ));
                }
            }
        }
        if words.is_empty() {
            return;
        }
        let w = if cro_fired {
            self.weight
        } else {
            self.weight / 2.0
        };
        out.push(super::finding(
            self,
            w,
            Severity::Medium,
            cell.key(),
            reg.now_s(),
            format!(
                "Reselection parameters that pull phones onto this cell: {}.",
                words.join("; ")
            ),
            ev,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::*;

    fn one(c: &CellSpec) -> Vec<Finding> {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let mut obs = neighbourhood(0.0);
        obs.push(si3(c, 1.0));
        run(d.as_mut(), &mut CellRegistry::default(), &obs)
    }

    #[test]
    fn cro_both_sides() {
        let mut c = CellSpec::legit(21, 1);
        c.cro_db = 24;
        assert!(one(&c).is_empty());
        c.cro_db = 26;
        let f = one(&c);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].score, 1.5);
        // Subtracted (PENALTY_TIME 31): fine.
        c.cro_db = 40;
        c.penalty_time = 31;
        assert!(one(&c).is_empty());
    }

    #[test]
    fn rxlev_and_hysteresis() {
        let mut c = CellSpec::legit(21, 1);
        c.rxlev_access_min = 3; // others 8: diff 5
        assert!(one(&c).is_empty());
        c.rxlev_access_min = 2; // diff 6
        let f = one(&c);
        assert_eq!(f[0].score, 0.75);
        let mut c = CellSpec::legit(21, 1);
        c.hysteresis = 5; // 10 dB
        assert!(one(&c).is_empty());
        c.hysteresis = 6; // 12 dB
        assert_eq!(one(&c).len(), 1);
    }
}
