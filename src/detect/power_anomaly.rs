//! Detector 10: power anomaly — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellRegistry, median};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "power_anomaly",
    version: 1,
    default_weight: 1.0,
    summary: "Power far above the baseline, far above every other cell, or a sudden rise",
    false_positives: "A receiver next to a real mast; a baseline made with another receiver or gain; moving \
         the receiver.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** a decoded cell whose channel power (spectrum observations) is (a) far above the
baseline's power for the same cell, (b) far above every other decoded cell, or (c) rose suddenly
within a short window. A fake base station is close to its targets and transmits strongly so that
phones pick it; a car-mounted one rises as it approaches.

**Reference**: 3GPP TS 45.008 §6 (cell selection by received level: C1/C2), §8.1 (RXLEV).

**Thresholds** (`[power_anomaly]`): `above_baseline_db = 15`, `above_all_others_db = 15` (with at
least `min_other_cells = 2` measured), `rise_db = 10` within `rise_window_s = 30`. Weight 1.0,
severity low.

**Known false positives**: a receiver next to a real mast; a baseline surveyed with another
receiver, antenna or gain (powers are dBFS); moving the receiver (walking out of a building gives
10 dB in seconds).
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// dB above the baseline power.
    pub above_baseline_db: f64,
    /// dB above the strongest other cell.
    pub above_all_others_db: f64,
    /// Other measured cells needed for the comparison.
    pub min_other_cells: usize,
    /// Rise that fires, dB.
    pub rise_db: f64,
    /// Within this window of stream time.
    pub rise_window_s: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            above_baseline_db: 15.0,
            above_all_others_db: 15.0,
            min_other_cells: 2,
            rise_db: 10.0,
            rise_window_s: 30.0,
        }
    }
}

/// The detector.
pub struct PowerAnomaly {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(PowerAnomaly {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl Detector for PowerAnomaly {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        let Observation::Spectrum(s) = obs else {
            return;
        };
        let now = reg.now_s();
        for cell in reg.cells() {
            let Some(p) = cell.latest_power() else {
                continue;
            };
            if (p.time_s - s.time_s).abs() > 1e-9 {
                continue; // not measured in this interval
            }
            let mut ev = Vec::new();
            let mut words = Vec::new();
            if let Some(cgi) = cell.cgi {
                let mut bp: Vec<f64> = reg
                    .baseline
                    .find(&cgi)
                    .filter_map(|e| e.power_dbfs)
                    .collect();
                if let Some(b) = median(&mut bp)
                    && p.power_dbfs - b > self.cfg.above_baseline_db
                {
                    ev.push(Evidence::test(
                        "above_baseline_db",
                        p.power_dbfs - b,
                        ">",
                        self.cfg.above_baseline_db,
                    ));
                    words.push(format!(
                        "{:.0} dB above its usual level here",
                        p.power_dbfs - b
                    ));
                }
            }
            let others: Vec<f64> = reg
                .cells()
                .filter(|c| c.arfcn != cell.arfcn)
                .filter_map(|c| c.latest_power())
                .filter(|q| (q.time_s - s.time_s).abs() < 1e-9)
                .map(|q| q.power_dbfs)
                .collect();
            if others.len() >= self.cfg.min_other_cells.max(1) {
                let best = others.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if p.power_dbfs - best > self.cfg.above_all_others_db {
                    ev.push(Evidence::test(
                        "above_strongest_other_db",
                        p.power_dbfs - best,
                        ">",
                        self.cfg.above_all_others_db,
                    ));
                    words.push(format!(
                        "{:.0} dB above every other cell",
                        p.power_dbfs - best
                    ));
                }
            }
            let low = cell
                .power
                .iter()
                .filter(|q| q.time_s >= p.time_s - self.cfg.rise_window_s)
                .map(|q| q.power_dbfs)
                .fold(f64::INFINITY, f64::min);
            if low.is_finite() && p.power_dbfs - low > self.cfg.rise_db {
                ev.push(Evidence::test(
                    "rise_db",
                    p.power_dbfs - low,
                    ">",
                    self.cfg.rise_db,
                ));
                words.push(format!(
                    "risen {:.0} dB within {} s",
                    p.power_dbfs - low,
                    self.cfg.rise_window_s
                ));
            }
            if words.is_empty() {
                continue;
            }
            ev.push(Evidence::value("power_dbfs", p.power_dbfs));
            out.push(super::finding(
                self,
                self.weight,
                Severity::Low,
                cell.key(),
                now,
                format!("The cell is unusually strong: {}.", words.join("; ")),
                ev,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::*;
    use towerwatch_dsp::arfcn::Direction::Downlink;

    fn spec(t: f64, rogue_snr: f64) -> Observation {
        spectrum(
            t,
            1.0,
            &[
                (BAND, 16, Downlink, 20.0),
                (BAND, 18, Downlink, 22.0),
                (BAND, 21, Downlink, rogue_snr),
            ],
        )
    }

    fn with(first: f64, second: f64) -> Vec<Finding> {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let obs = vec![
            fcch(16, 1.5, 0.01, 0.0),
            fcch(18, 1.5, 0.01, 0.0),
            fcch(21, 1.5, 0.01, 0.0),
            spec(0.0, first),
            spec(1.0, second),
        ];
        run(d.as_mut(), &mut CellRegistry::default(), &obs)
    }

    #[test]
    fn both_sides() {
        assert!(with(25.0, 30.0).is_empty());
        let f = with(25.0, 36.0); // rise 11 dB
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("risen"));
        let f = with(38.0, 38.0); // 16 dB above the strongest other
        assert_eq!(f.len(), 2);
        assert!(with(36.0, 36.0).is_empty()); // 14 dB above
    }
}
