//! LTE detector: relative clock error of an eNodeB — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellRegistry, LteCellId};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "lte_clock_error",
    version: 1,
    default_weight: 2.0,
    summary: "LTE cell's carrier frequency off the other LTE cells' consensus by > 0.3 ppm",
    false_positives: "A Home eNodeB (femtocell, ±0.25 ppm) next to macro cells, a receiver clock drifting \
         between sweeps, a real eNodeB that lost its GPS/network synchronisation.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** an LTE cell whose carrier frequency (measured on its cell-specific reference signals)
is off the consensus of the other LTE cells by more than `max_relative_ppm`, beyond `k_sigma`
times the combined measurement uncertainty, over at least `min_samples` windows. Every offset
includes the receiver's own clock error, which is the same in ppm for every carrier the receiver
tunes to; the median of the cells' offsets *is* that error (eNodeBs are locked to GPS or the
network), so the difference is the cell's own error. SDR-based fake eNodeBs without a GPSDO are
typically several tenths of a ppm to a few ppm off.

**Reference**: 3GPP TS 36.104 §6.5.1 (E-UTRA BS frequency error: ±0.05 ppm wide area, ±0.1 ppm
medium range and local area, ±0.25 ppm Home BS).

**Thresholds** (`[lte_clock_error]`): `max_relative_ppm = 0.3` — a Home eNodeB at its ±0.25 ppm
limit against a macro consensus (±0.05 ppm) is 0.3 ppm off at worst, so no compliant eNodeB
crosses it; `k_sigma = 3.0` on top covers the estimate's own uncertainty (the CRS offset estimate
is good to 0.003–0.05 ppm on the real captures: 6–130 Hz at 1.8–2.6 GHz); `min_samples = 2`
windows per cell; `min_other_cells = 2` other cells with as many windows, seen within
`max_age_s = 60` s of this one (the consensus is the median over all of them and this cell, so
one rogue cannot move it; cells measured minutes apart would carry the receiver's drift). Weight
2.0, severity medium.

**Known false positives**: a Home eNodeB (femtocell) near macro cells at the edge of its
tolerance; a receiver whose clock drifts fast (warm-up) between the windows that measured the
cells; fewer than three LTE cells in view (not judged: the shared real captures hold at most two
per frequency, so they are never judged); a real eNodeB that lost its synchronisation.
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Largest tolerated difference from the consensus, ppm.
    pub max_relative_ppm: f64,
    /// The difference must exceed the threshold by this many combined sigmas.
    pub k_sigma: f64,
    /// Measurement windows needed per cell.
    pub min_samples: usize,
    /// Other cells needed for a consensus.
    pub min_other_cells: usize,
    /// Other cells count only when seen within this many seconds of the cell judged.
    pub max_age_s: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_relative_ppm: 0.3,
            k_sigma: 3.0,
            min_samples: 2,
            min_other_cells: 2,
            max_age_s: 60.0,
        }
    }
}

/// The detector.
pub struct LteClockError {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(LteClockError {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl Detector for LteClockError {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        let Observation::LteCell(o) = obs else { return };
        let Some(cell) = LteCellId::of(o).and_then(|id| reg.lte_cell(id)) else {
            return;
        };
        let Some((own, own_sigma, n)) = cell.offset_ppm() else {
            return;
        };
        if n < self.cfg.min_samples {
            return;
        }
        let others: Vec<(f64, f64)> = reg
            .lte_cells()
            .filter(|c| c.id != cell.id)
            .filter(|c| (cell.last_seen_s - c.last_seen_s).abs() <= self.cfg.max_age_s)
            .filter_map(|c| c.offset_ppm())
            .filter(|o| o.2 >= self.cfg.min_samples)
            .map(|o| (o.0, o.1))
            .collect();
        if others.len() < self.cfg.min_other_cells.max(1) {
            return;
        }
        let (consensus, diff, sigma) =
            super::clock_error::offset_from_consensus(own, own_sigma, &others);
        if diff.abs() - self.cfg.k_sigma * sigma <= self.cfg.max_relative_ppm {
            return;
        }
        out.push(super::finding(
            self,
            self.weight,
            Severity::Medium,
            cell.key(),
            reg.now_s(),
            format!(
                "The LTE cell's clock is {:+.2} ppm (± {:.2}) off the {} other LTE cells; real \
                 eNodeBs hold 0.05 ppm (0.25 ppm for a femtocell).",
                diff,
                sigma,
                others.len()
            ),
            vec![
                Evidence::test(
                    "relative_offset_ppm",
                    diff.abs(),
                    ">",
                    self.cfg.max_relative_ppm,
                ),
                Evidence::value("uncertainty_ppm", sigma),
                Evidence::value("windows", n as f64),
                Evidence::value("consensus_ppm", consensus),
            ],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::*;

    /// Three legitimate cells around the receiver's -22.5 ppm, and PCI 301 `rel_ppm` off them,
    /// each measured in `n` windows.
    fn with(rel_ppm: f64, sigma: f64, n: u32) -> Vec<Finding> {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let mut obs = Vec::new();
        for k in 0..n {
            let t = f64::from(k);
            obs.push(lte_cell(1750, 142, -60.0, -22.50, 0.01, t));
            obs.push(lte_cell(1750, 86, -61.0, -22.46, 0.015, t + 0.1));
            obs.push(lte_cell(1825, 54, -55.0, -22.53, 0.02, t + 0.2));
            obs.push(lte_cell(1750, 301, -50.0, -22.5 + rel_ppm, sigma, t + 0.3));
        }
        run(d.as_mut(), &mut CellRegistry::default(), &obs)
    }

    #[test]
    fn fires_on_an_offset_cell_and_not_on_legitimate_ones() {
        assert!(with(0.05, 0.01, 4).is_empty());
        // A femtocell at its 0.25 ppm limit is not flagged.
        assert!(with(0.25, 0.01, 4).is_empty());
        let f = with(1.2, 0.02, 4);
        assert!(!f.is_empty());
        assert!(f.iter().all(|f| f.cell.lte.is_some_and(|id| id.pci == 301)));
        assert_eq!(f[0].severity, Severity::Medium);
        assert!(!with(-0.6, 0.02, 3).is_empty());
        // One window is not enough; an uncertain estimate is not judged.
        assert!(with(1.2, 0.02, 1).is_empty());
        assert!(with(0.5, 0.2, 4).is_empty());
    }

    #[test]
    fn two_cells_make_no_consensus() {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let obs: Vec<_> = (0..4)
            .flat_map(|k| {
                let t = f64::from(k);
                [
                    lte_cell(1750, 142, -60.0, -22.5, 0.01, t),
                    lte_cell(1750, 301, -50.0, -20.0, 0.01, t),
                ]
            })
            .collect();
        assert!(run(d.as_mut(), &mut CellRegistry::default(), &obs).is_empty());
    }
}
