//! Detector 9: relative clock error — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellRegistry, median};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "clock_error",
    version: 1,
    default_weight: 2.0,
    summary: "Carrier frequency off the other cells' consensus by > 0.2 ppm, sustained",
    false_positives: "Very low SNR cells, a receiver clock drifting fast during warm-up, a real BTS that lost \
         its synchronisation.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** a cell whose carrier frequency (measured on its FCCH tone) is off from the consensus of
the other cells by more than `max_relative_ppm`, sustained over `min_samples` FCCH bursts and
beyond `k_sigma` times the combined measurement uncertainty. Every offset we measure includes the
receiver's own clock error; the median of the other cells' offsets *is* that error (real base
stations hold 0.05 ppm, TS 45.010), so the difference is the cell's own error. SDR-based fake base
stations (USRP, LimeSDR, BladeRF without GPSDO) are typically 0.3–2 ppm off.

**Reference**: 3GPP TS 45.010 §5.1 (BTS frequency accuracy 0.05 ppm; 0.1 ppm pico), TS 45.002
§5.2.4 (FCCH).

**Thresholds** (`[clock_error]`): `max_relative_ppm = 0.2`, `k_sigma = 2.0`, `min_samples = 3`
(per cell), `min_other_cells = 2` (other cells with ≥ `min_samples` readings; the consensus is the median
over all measured cells, this one included, so that with three or more cells one rogue cannot
move it).
Weight 2.0, severity medium.

**Known false positives**: a cell decoded at very low SNR (its offset estimate is noisy: the
uncertainty term covers most of it); a receiver whose clock drifts fast (warm-up) while cells are
measured at different times; fewer than three cells in view (not judged); a real BTS that lost its network synchronisation.
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Largest tolerated difference from the consensus, ppm.
    pub max_relative_ppm: f64,
    /// The difference must exceed the threshold by this many combined sigmas.
    pub k_sigma: f64,
    /// FCCH readings needed per cell.
    pub min_samples: usize,
    /// Other cells needed for a consensus.
    pub min_other_cells: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_relative_ppm: 0.2,
            k_sigma: 2.0,
            min_samples: 3,
            min_other_cells: 2,
        }
    }
}

/// The detector.
pub struct ClockError {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(ClockError {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl Detector for ClockError {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        if !matches!(obs, Observation::Carrier(_)) {
            return;
        }
        let Some(cell) = super::subject_cell(obs, reg) else {
            return;
        };
        let Some((own, own_sigma, n)) = cell.offset_ppm() else {
            return;
        };
        if n < self.cfg.min_samples {
            return;
        }
        let others: Vec<(f64, f64)> = reg
            .cells()
            .filter(|c| c.arfcn != cell.arfcn)
            .filter_map(|c| c.offset_ppm())
            .filter(|o| o.2 >= self.cfg.min_samples)
            .map(|o| (o.0, o.1))
            .collect();
        if others.len() < self.cfg.min_other_cells.max(1) {
            return;
        }
        let (consensus, diff, sigma) = offset_from_consensus(own, own_sigma, &others);
        let margin = diff.abs() - self.cfg.k_sigma * sigma;
        if margin <= self.cfg.max_relative_ppm {
            return;
        }
        out.push(super::finding(
            self,
            self.weight,
            Severity::Medium,
            cell.key(),
            reg.now_s(),
            format!(
                "The cell's clock is {:+.2} ppm (± {:.2}) off the {} other cells; real base stations \
                 agree within 0.1 ppm.",
                diff,
                sigma,
                others.len()
            ),
            vec![
                Evidence::test("relative_offset_ppm", diff.abs(), ">", self.cfg.max_relative_ppm),
                Evidence::value("uncertainty_ppm", sigma),
                Evidence::value("fcch_readings", n as f64),
                Evidence::value("consensus_ppm", consensus),
            ],
        ));
    }
}

/// A cell's clock against the others': `(consensus_ppm, difference_ppm, sigma_ppm)` from its
/// offset and standard error and the other cells' `(offset, standard error)`. The consensus is
/// the median over every measured cell, this one included: with three cells or more, one rogue
/// (this one or another) cannot move it off the real ones. Shared by the GSM and LTE detectors.
pub(super) fn offset_from_consensus(
    own_ppm: f64,
    own_sigma_ppm: f64,
    others: &[(f64, f64)],
) -> (f64, f64, f64) {
    let mut meds: Vec<f64> = others.iter().map(|o| o.0).chain([own_ppm]).collect();
    let mut sig: Vec<f64> = others.iter().map(|o| o.1).collect();
    let consensus = median(&mut meds).unwrap_or(0.0);
    let cons_sigma = median(&mut sig).unwrap_or(0.0) / (others.len().max(1) as f64).sqrt();
    let sigma = (own_sigma_ppm.powi(2) + cons_sigma.powi(2)).sqrt();
    (consensus, own_ppm - consensus, sigma)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::*;

    fn with(ppm: f64, sigma: f64, n: u32) -> Vec<Finding> {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let mut obs = neighbourhood(0.0);
        for k in 0..n {
            obs.push(fcch(21, 1.5 + ppm, sigma, 1.0 + 0.05 * f64::from(k)));
        }
        run(d.as_mut(), &mut CellRegistry::default(), &obs)
    }

    #[test]
    fn both_sides() {
        assert!(with(0.1, 0.01, 5).is_empty());
        assert!(with(0.22, 0.01, 5).is_empty()); // 0.22 - 2σ < 0.2
        assert!(!with(0.3, 0.01, 5).is_empty());
        assert!(!with(-0.5, 0.01, 5).is_empty());
        // Not sustained.
        assert!(with(0.5, 0.01, 2).is_empty());
        // Too uncertain.
        assert!(with(0.5, 0.4, 4).is_empty());
        // No consensus: a lone cell is never judged.
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let obs: Vec<_> = (0..5).map(|k| fcch(21, 3.0, 0.01, f64::from(k))).collect();
        assert!(run(d.as_mut(), &mut CellRegistry::default(), &obs).is_empty());
    }
}
