//! Detector 13: new strong carrier on a channel the baseline knows as empty — see [`DOC`].

use serde::{Deserialize, Serialize};
use towerwatch_dsp::arfcn::Direction;

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellKey, CellRegistry};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "new_carrier",
    version: 1,
    default_weight: 1.5,
    summary: "A GSM-shaped carrier on a channel the baseline knows as empty (spectrum only)",
    false_positives: "A new carrier of the operator since the survey; intermodulation in an overdriven \
         receiver; a survey made with less gain.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** a GSM-shaped carrier (a 200 kHz channel at least `min_snr_db` above the noise floor,
standing at least `min_edge_db` above one of its adjacent channels, so not a wideband
interferer) on a downlink channel that the baseline survey measured as empty (never above the
carrier threshold, highest level below `empty_below_db`). Needs no decoding: it works on the
spectrum alone, so it also catches transmitters too far or too distorted to decode. Silent
without a baseline with channel measurements (`towerwatch survey`).

**Reference**: 3GPP TS 45.005 §2 (channel raster, 200 kHz), §4.2 (GMSK spectrum mask: −30 dB at
±200 kHz).

**Thresholds** (`[new_carrier]`): `min_snr_db = 10` (the pipeline's carrier threshold: the noise
floor is estimated from the spectrum itself and rises when most channels are busy, so levels
above it are conservative), `min_edge_db = 3`, `empty_below_db = 6`.
Weight 1.5, severity medium.

**Known false positives**: the operator switched on a new carrier or re-planned frequencies since
the survey; intermodulation products of strong carriers in a receiver with too much gain; a
survey made with less gain or another antenna.
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Level above the noise floor that counts as a carrier, dB.
    pub min_snr_db: f64,
    /// Must stand this far above one adjacent channel, dB.
    pub min_edge_db: f64,
    /// The baseline's highest level must be below this to call the channel empty, dB.
    pub empty_below_db: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_snr_db: 10.0,
            min_edge_db: 3.0,
            empty_below_db: 6.0,
        }
    }
}

/// The detector.
pub struct NewCarrier {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(NewCarrier {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl Detector for NewCarrier {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        let Observation::Spectrum(s) = obs else {
            return;
        };
        if reg.baseline.channels.is_empty() {
            return;
        }
        for (i, ch) in s.channels.iter().enumerate() {
            if ch.snr_db < self.cfg.min_snr_db {
                continue;
            }
            let downlink = ch
                .band
                .freq_hz(ch.arfcn, Direction::Downlink)
                .is_some_and(|f| (f - ch.freq_hz).abs() < 1e3);
            if !downlink {
                continue;
            }
            let Some(b) = reg.baseline.channel(ch.freq_hz) else {
                continue;
            };
            if b.occupied || b.max_snr_db >= self.cfg.empty_below_db {
                continue;
            }
            let adj = |j: Option<usize>| {
                j.and_then(|j| s.channels.get(j))
                    .filter(|a| (a.freq_hz - ch.freq_hz).abs() < 250e3)
                    .map(|a| a.snr_db)
            };
            let lower = adj(i.checked_sub(1));
            let upper = adj(Some(i + 1));
            let edge = [lower, upper]
                .iter()
                .map(|a| a.map_or(f64::INFINITY, |x| ch.snr_db - x))
                .fold(f64::NEG_INFINITY, f64::max);
            if edge < self.cfg.min_edge_db {
                continue;
            }
            let key = reg
                .cells()
                .find(|c| (c.freq_hz - ch.freq_hz).abs() < 1e3)
                .map(|c| c.key())
                .unwrap_or_else(|| CellKey::carrier(ch.band, ch.arfcn));
            out.push(super::finding(
                self,
                self.weight,
                Severity::Medium,
                key,
                reg.now_s(),
                format!(
                    "A carrier {:.0} dB above the noise stands on ARFCN {} ({:.1} MHz), a channel \
                     that was empty when this area was surveyed.",
                    ch.snr_db,
                    ch.arfcn,
                    ch.freq_hz / 1e6
                ),
                vec![
                    Evidence::test("snr_db", ch.snr_db, ">=", self.cfg.min_snr_db),
                    Evidence::test(
                        "baseline_max_snr_db",
                        b.max_snr_db,
                        "<",
                        self.cfg.empty_below_db,
                    ),
                    Evidence::test(
                        "above_adjacent_db",
                        edge.min(99.0),
                        ">=",
                        self.cfg.min_edge_db,
                    ),
                ],
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cells::baseline::BaselineChannel;
    use crate::cells::{Baseline, Operators};
    use crate::detect::testkit::*;
    use towerwatch_dsp::arfcn::Direction::Downlink;

    fn with(snr21: f64, snr22: f64, baseline_21: f64) -> Vec<Finding> {
        let mut b = Baseline::default();
        for (a, s) in [(20u16, 25.0), (21, baseline_21), (22, 1.0)] {
            b.channels.push(BaselineChannel {
                band: "egsm".into(),
                arfcn: a,
                freq_hz: BAND.freq_hz(a, Downlink).unwrap(),
                max_snr_db: s,
                occupied: s >= 10.0,
            });
        }
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let obs = [spectrum(
            0.0,
            1.0,
            &[
                (BAND, 20, Downlink, 25.0),
                (BAND, 21, Downlink, snr21),
                (BAND, 22, Downlink, snr22),
            ],
        )];
        run(
            d.as_mut(),
            &mut CellRegistry::new(b, Operators::default()),
            &obs,
        )
    }

    #[test]
    fn both_sides() {
        assert_eq!(with(30.0, 2.0, 1.0).len(), 1);
        assert!(with(9.5, 2.0, 1.0).is_empty()); // too weak
        // Wideband: both neighbours about as strong (22 itself, at the edge of the view, may fire).
        assert!(with(26.0, 28.0, 1.0).iter().all(|f| f.cell.arfcn != 21));
        assert!(with(30.0, 2.0, 7.0).is_empty()); // the survey saw something there
        // No baseline: silent.
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let obs = [spectrum(0.0, 1.0, &[(BAND, 21, Downlink, 30.0)])];
        assert!(run(d.as_mut(), &mut CellRegistry::default(), &obs).is_empty());
    }
}
