//! Detector 8: short location-update timer — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellRegistry, median};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "short_lu_timer",
    version: 1,
    default_weight: 1.5,
    summary: "Periodic location-update timer T3212 under 30 minutes, or 0 where the operator uses one",
    false_positives: "Short timers in special areas of some real networks; test networks.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** a periodic location-update timer T3212 (SI3 Control Channel Description, decihours)
shorter than 30 minutes (1–4 decihours): it makes every phone camped on the cell come back and
register (and so identify itself) every few minutes, which an IMSI catcher wants and a real
network avoids (it loads the core network). Also, at half the weight, T3212 = 0 (no periodic
update) on a cell whose operator's other cells use a period.

**Reference**: 3GPP TS 24.008 §4.4.2 (periodic updating), TS 44.018 §10.5.2.11 (T3212 coding).

**Thresholds** (`[short_lu_timer]`): `max_short_dh = 4` (fires at 1–4 decihours, i.e. < 30 min).
Weight 1.5, severity medium; the zero-timer case weighs half, severity low.

**Known false positives**: a few real networks run short timers in special areas (airports,
borders); test networks.
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// T3212 values from 1 up to this (decihours) fire.
    pub max_short_dh: u8,
}

impl Default for Config {
    fn default() -> Self {
        Config { max_short_dh: 4 }
    }
}

/// The detector.
pub struct ShortLuTimer {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(ShortLuTimer {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl Detector for ShortLuTimer {
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
        let Some(cc) = cell.summary.control_channel else {
            return;
        };
        let t = cc.t3212;
        let mut others: Vec<f64> = reg
            .same_operator(cell)
            .filter_map(|c| c.summary.control_channel.map(|x| f64::from(x.t3212)))
            .collect();
        let others_med = median(&mut others);
        let (w, sev, msg, ev) = if (1..=self.cfg.max_short_dh).contains(&t) {
            (
                self.weight,
                Severity::Medium,
                format!(
                    "Phones on this cell must re-register every {} minutes (T3212 = {t} decihours); \
                     real networks use hours.",
                    u32::from(t) * 6
                ),
                vec![Evidence::test(
                    "t3212_dh",
                    f64::from(t),
                    "<=",
                    f64::from(self.cfg.max_short_dh),
                )],
            )
        } else if t == 0 && others_med.is_some_and(|m| m > 0.0) {
            (
                self.weight / 2.0,
                Severity::Low,
                "The cell disables periodic location updates (T3212 = 0) while the operator's \
                 other cells use them."
                    .to_string(),
                vec![
                    Evidence::test("t3212_dh", 0.0, "=", 0.0),
                    Evidence::value("operator_median_t3212_dh", others_med.unwrap_or(0.0)),
                ],
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
            ev,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::*;

    fn one(t: u8) -> Vec<Finding> {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let mut obs = neighbourhood(0.0);
        let mut c = CellSpec::legit(21, 1);
        c.t3212_dh = t;
        obs.push(si3(&c, 1.0));
        run(d.as_mut(), &mut CellRegistry::default(), &obs)
    }

    #[test]
    fn both_sides() {
        assert_eq!(one(1).len(), 1);
        assert_eq!(one(4).len(), 1);
        assert!(one(5).is_empty());
        assert!(one(10).is_empty());
        let f = one(0);
        assert_eq!(f[0].severity, Severity::Low);
    }
}
