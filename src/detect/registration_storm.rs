//! Detector 12: registration storm — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellRegistry, median};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "registration_storm",
    version: 1,
    default_weight: 2.0,
    summary: "Immediate Assignment rate far above the area's other cells",
    false_positives: "A real cell at a stadium or station at the end of an event; a cell recovering from an \
         outage.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** a cell handing out Immediate Assignments (dedicated channels, one per phone access:
location updates, SMS, calls) far faster than the area's other cells, over the last 60 s of
stream time. An SMS blaster or IMSI catcher makes every phone it captures perform a Location
Update, then pushes SMS: a storm of assignments on its CCCH.

**Reference**: 3GPP TS 44.018 §9.1.18 (Immediate Assignment), §3.3.1.1 (RR connection
establishment); TS 45.002 §7 (CCCH capacity).

**Thresholds** (`[registration_storm]`): `min_rate_per_min = 300` (5/s) and `factor = 5` × the
median rate of the other cells whose CCCH was decoded; `min_count = 10` assignments and
`min_span_s = 1.0` s of CCCH observation before judging. Weight 2.0, severity medium.

**Known false positives**: a real cell at a stadium, station or concert at the end of an event;
a cell recovering from an outage (every phone re-registers at once).
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Lowest rate that fires, per minute.
    pub min_rate_per_min: f64,
    /// Times the other cells' median rate.
    pub factor: f64,
    /// Assignments needed.
    pub min_count: usize,
    /// Seconds of CCCH observation needed.
    pub min_span_s: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_rate_per_min: 300.0,
            factor: 5.0,
            min_count: 10,
            min_span_s: 1.0,
        }
    }
}

/// The detector.
pub struct RegistrationStorm {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(RegistrationStorm {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl Detector for RegistrationStorm {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        if !matches!(obs, Observation::Ccch(_)) {
            return;
        }
        let Some(cell) = super::subject_cell(obs, reg) else {
            return;
        };
        let now = reg.now_s();
        let (rate, span) = cell.ia_per_min(now);
        if span < self.cfg.min_span_s || cell.ccch.ia_times.len() < self.cfg.min_count {
            return;
        }
        let mut others: Vec<f64> = reg
            .cells()
            .filter(|c| c.arfcn != cell.arfcn && c.ccch.first_ccch_s.is_some())
            .map(|c| c.ia_per_min(now))
            .filter(|(_, s)| *s >= self.cfg.min_span_s)
            .map(|(r, _)| r)
            .collect();
        let n_others = others.len();
        let med = median(&mut others).unwrap_or(0.0);
        if rate < self.cfg.min_rate_per_min || rate < self.cfg.factor * med {
            return;
        }
        out.push(super::finding(
            self,
            self.weight,
            Severity::Medium,
            cell.key(),
            now,
            format!(
                "The cell assigns {:.0} channels per minute; the {} other cells: median {:.0} per \
                 minute. Phones are being made to register or receive messages en masse.",
                rate, n_others, med
            ),
            vec![
                Evidence::test(
                    "ia_per_min",
                    rate,
                    ">=",
                    self.cfg.min_rate_per_min.max(self.cfg.factor * med),
                ),
                Evidence::value("others_median_ia_per_min", med),
                Evidence::value("span_s", span),
            ],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::*;

    fn with(per_s: f64, others_per_s: f64) -> Vec<Finding> {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let mut obs = Vec::new();
        let n = (2.0 * per_s) as u32;
        let m = (2.0 * others_per_s) as u32;
        for k in 0..m.max(1) {
            obs.push(ia(16, 0.01 + 2.0 * f64::from(k) / f64::from(m.max(1))));
            obs.push(ia(18, 0.02 + 2.0 * f64::from(k) / f64::from(m.max(1))));
        }
        for k in 0..n {
            obs.push(ia(21, 2.0 * f64::from(k) / f64::from(n)));
        }
        obs.sort_by(|a, b| {
            crate::cells::obs_time(a)
                .unwrap()
                .total_cmp(&crate::cells::obs_time(b).unwrap())
        });
        run(d.as_mut(), &mut CellRegistry::default(), &obs)
    }

    #[test]
    fn both_sides() {
        assert!(!with(30.0, 0.5).is_empty());
        assert!(with(4.0, 0.5).is_empty()); // below 5/s
        assert!(with(8.0, 2.0).is_empty()); // only 4× the others
        assert!(!with(20.0, 2.0).is_empty());
    }
}
