//! Detector 11: transient cell — see [`DOC`].

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use towerwatch_dsp::arfcn::Band;

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellRegistry, MAX_CELLS};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "transient_cell",
    version: 2,
    default_weight: 1.0,
    summary: "A cell that appears and vanishes within minutes (car-mounted transmitters)",
    false_positives: "A moving receiver; weak cells fading in and out; real cells switched off at night.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** a cell that appeared after we started listening and vanished again within minutes: a
transmitter carried past in a car, or switched on for a short operation. Judged once the cell
has been silent for `absence_s`, so the finding comes after the cell is gone (the alert keeps the
evidence). GSM cells (by ARFCN) and LTE cells (by EARFCN + PCI) follow the one rule: a fake
eNodeB that captures phones for a few minutes and goes is as transient as a fake BTS. Version 2:
LTE cells (version 1 judged GSM cells only).

**Reference**: none in 3GPP: real cells (BTS and eNodeB alike) are on air continuously (outside
maintenance windows).

**Thresholds** (`[transient_cell]`): `max_lifetime_s = 600` (10 minutes on air at most),
`absence_s = 60` (silent for a minute), `settle_s = 30` (cells seen in the first 30 s of a stream
were there before us and are not "appearing"). Weight 1.0, severity low. State: the set of cells
already reported, at most 256 entries (oldest dropped).

**Known false positives**: the receiver itself moving (driving past real cells gives exactly
this picture: use it from a fixed place); weak cells at the edge of decoding that come and go with
fading; real cells switched off at night for energy saving.
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Longest time on air that counts as transient, s.
    pub max_lifetime_s: f64,
    /// Silence after which the cell is called gone, s.
    pub absence_s: f64,
    /// Cells first seen within this time of the stream start were already there, s.
    pub settle_s: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_lifetime_s: 600.0,
            absence_s: 60.0,
            settle_s: 30.0,
        }
    }
}

/// The detector.
pub struct TransientCell {
    weight: f64,
    cfg: Config,
    reported: BTreeSet<(u64, Band, u16)>,
    reported_lte: BTreeSet<(u64, crate::cells::LteCellId)>,
    last_check_s: f64,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(TransientCell {
            weight: c.weight,
            cfg: t,
            reported: BTreeSet::new(),
            reported_lte: BTreeSet::new(),
            last_check_s: f64::NEG_INFINITY,
        }) as Box<dyn Detector>
    }))
}

impl Detector for TransientCell {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, _obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        let now = reg.now_s();
        if now - self.last_check_s < 1.0 {
            return;
        }
        self.last_check_s = now;
        let gsm = reg.cells().map(|c| {
            (
                c.first_seen_s,
                c.last_seen_s,
                c.key(),
                Err((c.band, c.arfcn)),
            )
        });
        let lte = reg
            .lte_cells()
            .map(|c| (c.first_seen_s, c.last_seen_s, c.key(), Ok(c.id)));
        for (first_s, last_s, key, id) in gsm.chain(lte) {
            let lifetime = last_s - first_s;
            let gone = now - last_s;
            if gone < self.cfg.absence_s
                || lifetime > self.cfg.max_lifetime_s
                || first_s < reg.start_s() + self.cfg.settle_s
            {
                continue;
            }
            let fresh = match id {
                Err((band, arfcn)) => {
                    remember(&mut self.reported, (first_s.to_bits(), band, arfcn))
                }
                Ok(lte_id) => remember(&mut self.reported_lte, (first_s.to_bits(), lte_id)),
            };
            if !fresh {
                continue;
            }
            out.push(super::finding(
                self,
                self.weight,
                Severity::Low,
                key,
                now,
                format!(
                    "The cell appeared at {first_s:.0} s, was on air for {lifetime:.0} s and has been \
                     silent for {gone:.0} s."
                ),
                vec![
                    Evidence::test("lifetime_s", lifetime, "<=", self.cfg.max_lifetime_s),
                    Evidence::test("absent_s", gone, ">=", self.cfg.absence_s),
                    Evidence::value("first_seen_s", first_s),
                ],
            ));
        }
    }
}

/// Adds `key` to the bounded set (oldest dropped past [`MAX_CELLS`]); `false` when it was there.
fn remember<K: Ord + Copy>(set: &mut BTreeSet<K>, key: K) -> bool {
    if set.contains(&key) {
        return false;
    }
    if set.len() >= MAX_CELLS
        && let Some(f) = set.iter().next().copied()
    {
        set.remove(&f);
    }
    set.insert(key);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::*;

    fn with(appear_s: f64, vanish_s: f64, end_s: f64) -> Vec<Finding> {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let mut obs = Vec::new();
        let mut t = 0.0;
        while t <= end_s {
            obs.push(fcch(16, 1.5, 0.01, t));
            if t >= appear_s && t <= vanish_s {
                obs.push(fcch(21, 1.5, 0.01, t + 0.01));
            }
            t += 0.5;
        }
        run(d.as_mut(), &mut CellRegistry::default(), &obs)
    }

    #[test]
    fn both_sides() {
        let f = with(100.0, 400.0, 500.0);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].cell.arfcn, 21);
        assert!(with(100.0, 800.0, 900.0).is_empty()); // on air 700 s > 600
        assert!(with(100.0, 400.0, 450.0).is_empty()); // silent only 50 s
        assert!(with(0.0, 300.0, 400.0).is_empty()); // was there at the start
    }

    /// An eNodeB on air for five minutes, then gone: low, on its EARFCN + PCI; one present from
    /// the start is not.
    #[test]
    fn a_transient_lte_cell() {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let mut obs = Vec::new();
        let mut t = 0.0;
        while t <= 500.0 {
            obs.push(lte_cell(1750, 142, -60.0, 0.0, 0.01, t));
            if (100.0..=400.0).contains(&t) {
                obs.push(lte_cell(1750, 301, -40.0, 0.0, 0.01, t + 0.01));
            }
            t += 1.0;
        }
        let f = run(d.as_mut(), &mut CellRegistry::default(), &obs);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            f[0].cell.lte,
            Some(crate::cells::LteCellId {
                earfcn: 1750,
                pci: 301
            })
        );
        assert_eq!(f[0].severity, Severity::Low);
    }
}
