//! Correlation detector: a suspicious LTE cell and a suspicious GSM cell raised together — the
//! two radios of a downgrade SMS blaster — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    AlertView, ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity,
    config_for,
};
use crate::cells::CellRegistry;
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "downgrade_blaster",
    version: 2,
    default_weight: 1.5,
    summary: "a suspicious LTE cell and a suspicious GSM cell first alerted within 60 s of each other \
              (fake eNodeB pushing phones to a fake GSM cell)",
    false_positives: "A new legitimate LTE cell (or one flagged for a weak reason) switched on within \
         the window of an unrelated suspicious GSM cell: a coincidence in time.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** the two halves of a "downgrade" SMS blaster seen together: a GSM cell whose alert is at
least `min_strong_severity` and an LTE cell whose alert is at least `min_other_severity` (or the
other way round: the LTE cell strong, the GSM cell weaker), first raised within `window_s` of
stream time of each other by the same receiver. Today's SMS blasters are two radios in one box: a
fake LTE cell, loud and with its own identity, captures the phones nearby and sends them to 2G
(an RRCConnectionRelease with redirection to GERAN, or reselection priorities that favour GSM);
the fake GSM cell, which has no mutual authentication, then delivers the SMS. Neither half alone
says "blaster" as clearly as both switching on together. The signature is added to the **GSM**
cell's alert, with the LTE cell (EARFCN, PCI) in its evidence and in the alert's `related` list,
so the field team sees one alert carrying both cells. It reads the engine's alerts (without its
own signature), not observations, and keeps no state of its own.

**Reference**: 3GPP TS 36.331 §5.3.8 and §6.2.2 (RRCConnectionRelease, `redirectedCarrierInfo`
`geran`: the eNodeB sends the phone to a GSM carrier), §6.3.1 (SIB7, GERAN reselection
priorities); TS 36.304 §5.2.4 (inter-RAT reselection). Public reporting on car-borne SMS blasters
seized in 2025 (e.g. Bangkok) describes this 4G→2G downgrade; EFF's Rayhunter looks for the same
downgrade in SIB6/SIB7 priorities (`lte_sib6_and_7_downgrade`).

**Thresholds** (`[downgrade_blaster]`): `window_s = 60` (both radios of one box switch on
together; 60 s allows for a sweep visiting LTE and GSM channels in turn), `min_strong_severity =
"medium"`, `min_other_severity = "low"` (an LTE or GSM alert of one weak signature, info, does not
count). Weight 1.5: a GSM alert at medium (≥ 2.5) plus 1.5 reaches high (4.0); a low GSM alert
paired with a medium-or-higher LTE alert reaches at least medium. Same place: one engine judges
one receiver's stream, so the pair is from the same sensor; when a position source (GPS, NMEA
track, `--position`) gave where each alert was raised, the two must also be within
`max_distance_m = 1000` of each other (both radios sit in one box, and a field team driving
through a city must not pair a fake LTE cell seen in one district with a GSM alert raised in
another; 1 km is about the range of a car-borne blaster's fake LTE cell). Without positions the
pair counts as before. Version 2: positions compared (version 1 paired by time alone).

**Known false positives**: a new legitimate LTE cell (not yet in the baseline, or loud because
the receiver is next to it) and an unrelated suspicious GSM cell appearing within the window by
coincidence; a sweep that measures a far LTE cell with a different gain (its power anomaly) just
as a GSM alert is raised.
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Largest gap between the two alerts' raise times, stream seconds.
    pub window_s: f64,
    /// One half's alert must be at least this severe.
    pub min_strong_severity: Severity,
    /// The other half's alert must be at least this severe.
    pub min_other_severity: Severity,
    /// Largest distance between where the two alerts were raised, metres (compared only when
    /// both positions are known).
    pub max_distance_m: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            window_s: 60.0,
            min_strong_severity: Severity::Medium,
            min_other_severity: Severity::Low,
            max_distance_m: 1000.0,
        }
    }
}

/// The detector.
pub struct DowngradeBlaster {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(DowngradeBlaster {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl DowngradeBlaster {
    fn pair_ok(&self, gsm: Severity, lte: Severity) -> bool {
        let (strong, other) = (self.cfg.min_strong_severity, self.cfg.min_other_severity);
        (gsm >= strong && lte >= other) || (lte >= strong && gsm >= other)
    }

    /// Distance between where the two alerts were raised, when both are known.
    fn distance_m(a: &AlertView, b: &AlertView) -> Option<f64> {
        let ((la1, lo1), (la2, lo2)) = (a.raised_at?, b.raised_at?);
        Some(crate::geo::distance_m(la1, lo1, la2, lo2))
    }
}

impl Detector for DowngradeBlaster {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, _obs: &Observation, _reg: &CellRegistry, _out: &mut Vec<Finding>) {
        // Works on alerts, not observations: see `correlate`.
    }
    fn correlates(&self) -> bool {
        true
    }
    fn correlate(&mut self, alerts: &[AlertView], now_s: f64, out: &mut Vec<Finding>) {
        let lte: Vec<&AlertView> = alerts.iter().filter(|a| a.cell.lte.is_some()).collect();
        if lte.is_empty() {
            return;
        }
        for g in alerts
            .iter()
            .filter(|a| a.cell.lte.is_none() && !a.cell.uplink)
        {
            let best = lte
                .iter()
                .filter(|l| self.pair_ok(g.severity, l.severity))
                .filter(|l| Self::distance_m(g, l).is_none_or(|d| d <= self.cfg.max_distance_m))
                .map(|l| (*l, l.raised_s - g.raised_s))
                .filter(|(_, dt)| dt.abs() <= self.cfg.window_s)
                .min_by(|a, b| a.1.abs().total_cmp(&b.1.abs()));
            let Some((l, dt)) = best else { continue };
            let Some(id) = l.cell.lte else { continue };
            let when = if dt >= 0.0 { "after" } else { "before" };
            let mut f = super::finding(
                self,
                self.weight,
                Severity::High,
                g.cell.clone(),
                now_s,
                format!(
                    "A suspicious LTE cell ({id}, {} alert, score {}) was first alerted {:.0} s \
                     {when} this GSM cell ({} alert, score {}): the two radios of a downgrade SMS \
                     blaster (a fake eNodeB sending phones to 2G, a fake GSM cell sending the SMS).",
                    l.severity,
                    crate::num::text(l.score),
                    dt.abs(),
                    g.severity,
                    crate::num::text(g.score),
                ),
                vec![
                    Evidence::test("seconds_between_alerts", dt.abs(), "<=", self.cfg.window_s),
                    Evidence::value("lte_earfcn", f64::from(id.earfcn)),
                    Evidence::value("lte_pci", f64::from(id.pci)),
                    Evidence::value("lte_alert_score", l.score),
                    Evidence::value("gsm_alert_score", g.score),
                ],
            );
            if let Some(d) = Self::distance_m(g, l) {
                f.evidence.push(Evidence::test(
                    "metres_between_alerts",
                    d,
                    "<=",
                    self.cfg.max_distance_m,
                ));
            }
            f.related = vec![l.cell.clone()];
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cells::{CellKey, LteCellId};
    use towerwatch_dsp::arfcn::Band;

    fn view(cell: CellKey, raised_s: f64, score: f64, severity: Severity) -> AlertView {
        AlertView {
            cell,
            raised_s,
            raised_at: None,
            score,
            severity,
        }
    }

    fn at(mut v: AlertView, lat: f64, lon: f64) -> AlertView {
        v.raised_at = Some((lat, lon));
        v
    }

    /// A moving sensor: the two halves pair only where both were seen (within 1 km); with one
    /// position unknown they pair as before.
    #[test]
    fn pairs_only_alerts_raised_in_one_place() {
        let gsm = CellKey::carrier(Band::EGsm900, 21);
        let g = view(gsm.clone(), 10.0, 3.0, Severity::Medium);
        let l = view(lte(301), 20.0, 3.0, Severity::Medium);
        // 300 m apart (0.0027° of latitude): one box.
        let near = run(&[
            at(g.clone(), 52.5200, 13.4050),
            at(l.clone(), 52.5227, 13.4050),
        ]);
        assert_eq!(near.len(), 1);
        let d = near[0]
            .evidence
            .iter()
            .find(|e| e.name == "metres_between_alerts")
            .map(|e| e.value);
        assert!(d.is_some_and(|d| (d - 300.0).abs() < 5.0), "{d:?}");
        // 5 km apart: two districts, no pair.
        assert!(
            run(&[
                at(g.clone(), 52.5200, 13.4050),
                at(l.clone(), 52.5650, 13.4050)
            ])
            .is_empty()
        );
        // One position unknown: paired by time as without GPS.
        assert_eq!(run(&[at(g, 52.52, 13.405), l]).len(), 1);
    }

    fn lte(pci: u16) -> CellKey {
        CellKey::lte_cell(LteCellId { earfcn: 1750, pci })
    }

    fn run(alerts: &[AlertView]) -> Vec<Finding> {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let mut out = Vec::new();
        d.correlate(alerts, 100.0, &mut out);
        out
    }

    #[test]
    fn pairs_within_the_window_and_by_severity() {
        let gsm = CellKey::carrier(Band::EGsm900, 21);
        let f = run(&[
            view(gsm.clone(), 10.0, 3.0, Severity::Medium),
            view(lte(301), 30.0, 3.0, Severity::Medium),
            view(lte(302), 12.0, 2.0, Severity::Low),
        ]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].cell, gsm);
        // The closest in time of the qualifying LTE alerts.
        assert_eq!(f[0].related, vec![lte(302)]);
        assert_eq!(f[0].score, 1.5);
        // Out of the window, or an info LTE alert, or a low GSM with a low LTE: nothing.
        assert!(
            run(&[
                view(gsm.clone(), 10.0, 3.0, Severity::Medium),
                view(lte(301), 71.0, 3.0, Severity::Medium),
            ])
            .is_empty()
        );
        assert!(
            run(&[
                view(gsm.clone(), 10.0, 3.0, Severity::Medium),
                view(lte(301), 11.0, 1.0, Severity::Info),
            ])
            .is_empty()
        );
        assert!(
            run(&[
                view(gsm.clone(), 10.0, 2.0, Severity::Low),
                view(lte(301), 11.0, 2.0, Severity::Low),
            ])
            .is_empty()
        );
        // The other way round: LTE strong, GSM low.
        assert_eq!(
            run(&[
                view(gsm, 10.0, 2.0, Severity::Low),
                view(lte(301), 11.0, 3.0, Severity::Medium),
            ])
            .len(),
            1
        );
        // Uplink alerts are not GSM cells.
        let mut up = CellKey::carrier(Band::EGsm900, 21);
        up.uplink = true;
        assert!(
            run(&[
                view(up, 10.0, 4.0, Severity::High),
                view(lte(301), 11.0, 3.0, Severity::Medium),
            ])
            .is_empty()
        );
    }
}
