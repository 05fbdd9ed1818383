//! Scoring and alerts: findings → a score per cell → alerts that are raised, updated with new
//! evidence and cleared after the evidence stops (in stream time).
//!
//! See [`SCORING_DOC`] for the weights, thresholds and why. The [`Engine`] owns the cell
//! registry and the detectors: feed it every observation ([`Engine::observe`]) and write out the
//! alert events it returns (`{"type":"alert",...}` JSON lines in `towerwatch replay`).
//!
//! Memory: one entry per carrier with findings, at most [`MAX_TRACKED`] (the least recently
//! updated is dropped, cleared first), each holding at most one signature per detector.

pub mod headline;
pub mod setup;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cells::{CarrierId, CellKey, CellRegistry};
use crate::detect::{AlertView, Detector, Evidence, Finding, Severity};
use crate::observation::Observation;

pub use crate::exit::EXIT_ALERT;

/// At most this many carriers are tracked for alerts.
pub const MAX_TRACKED: usize = 512;

/// How scores become alerts (documented in `docs/detectors.md`).
pub const SCORING_DOC: &str = r#"
## Scoring and alerts

Each detector that fires on a carrier contributes its weight (its latest finding counts once,
however often it repeats); the carrier's **score** is the sum. Severity from the score
(`[scoring]` table of the detector config):

| score | severity |
|---|---|
| below 1.5 | info (reported, no action, exit status unaffected) |
| 1.5 – 2.5 | low |
| 2.5 – 4.0 | medium |
| 4.0 and above | high |

Weights: 4.0 for the signatures that are decisive alone (a duplicated cell identity, a cell the
user marked suspect, an uplink hotspot of several channels); 2.0 for strong but explainable ones
(unknown PLMN, relative clock error, registration storm; identity change on one ARFCN); 1.5 for
configuration tricks (empty neighbour list, aggressive reselection, short T3212, new carrier on an
empty channel); 1.0 for weak context (not in baseline, LAC outlier, not listed back, power
anomaly, transient). So one weak signature stays *info*, one configuration trick is *low*, two
independent weak-to-mid signatures make *medium*, and *high* needs a decisive signature or at
least three independent ones (e.g. empty neighbour list + short T3212 + clock error = 5.0).

Why not SnoopSnitch's 2.6: SnoopSnitch sums its IMSI-catcher heuristics (scores of about 0.5–1.5
each, several of them from the phone's own signalling that a passive receiver cannot see) and
raises one alarm at 2.6, i.e. "at least two independent indications". Our *medium* threshold (2.5)
is the same rule on our scale; we add *high* at 4.0 because a police team acts on high alerts and
must be able to defend them: high means a decisive signature or three independent ones, and on
the legitimate recordings (synthetic legit scenes and the real captures) no carrier reaches even
*low* (see the false-positive tally of `tests/it/golden_alerts.rs`).

Lifecycle: an alert is **raised** when a carrier first has a finding, **updated** when its
severity changes, a new signature fires or its score rises, and **cleared** when no detector has
confirmed any of its signatures for `clear_after_s` (120 s) of stream time; a signature not
confirmed for that long is dropped from the score. `towerwatch replay`, `demo` (text, JSON) and
`scan` (text, JSON) exit with status 10 when an alert reached `--fail-on` (default medium: a low
alert is "worth a look", not an alarm; `--fail-on low` or `high` to choose).
"#;

/// Scoring thresholds (`[scoring]` table).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoringConfig {
    /// Score for low.
    pub low: f64,
    /// Score for medium.
    pub medium: f64,
    /// Score for high.
    pub high: f64,
    /// Signatures not confirmed for this long (stream time) are dropped; alerts with none left
    /// are cleared.
    pub clear_after_s: f64,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        ScoringConfig {
            low: 1.5,
            medium: 2.5,
            high: 4.0,
            clear_after_s: 120.0,
        }
    }
}

impl ScoringConfig {
    /// Parse the `[scoring]` table of a detector config file (other tables ignored).
    pub fn parse(text: &str) -> Result<ScoringConfig, String> {
        #[derive(Deserialize, Default)]
        struct Wrap {
            #[serde(default)]
            scoring: Option<toml::Value>,
        }
        let t: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let w = Wrap {
            scoring: t.get("scoring").cloned(),
        };
        match w.scoring {
            None => Ok(ScoringConfig::default()),
            Some(v) => v
                .try_into()
                .map_err(|e: toml::de::Error| format!("[scoring]: {e}")),
        }
    }

    /// Severity of a score.
    pub fn severity(&self, score: f64) -> Severity {
        if score >= self.high {
            Severity::High
        } else if score >= self.medium {
            Severity::Medium
        } else if score >= self.low {
            Severity::Low
        } else {
            Severity::Info
        }
    }
}

/// What happened to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertEvent {
    /// First finding on this carrier.
    Raised,
    /// New evidence.
    Updated,
    /// No confirmation for `clear_after_s`.
    Cleared,
}

/// One signature in an alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signature {
    /// Detector id.
    pub detector: &'static str,
    /// Detector version.
    pub version: u32,
    /// Severity of this signature alone.
    pub severity: Severity,
    /// Contribution to the score.
    #[serde(serialize_with = "crate::num::serialize")]
    pub score: f64,
    /// Plain words.
    pub message: String,
    /// Values and thresholds.
    pub evidence: Vec<Evidence>,
    /// Known false positives of this detector.
    pub known_false_positives: &'static str,
    /// First fired (stream time).
    #[serde(serialize_with = "crate::num::serialize")]
    pub first_s: f64,
    /// Last confirmed (stream time).
    #[serde(serialize_with = "crate::num::serialize")]
    pub last_s: f64,
    /// Other cells this signature is about (the LTE half of a downgrade blaster).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<CellKey>,
}

/// An alert event (one JSON line).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Always "alert".
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Raised, updated or cleared.
    pub event: AlertEvent,
    /// Alert number (stable over its lifecycle).
    pub id: u64,
    /// Stream time of this event.
    pub time_s: f64,
    /// Stream time it was raised.
    pub raised_s: f64,
    /// Severity from the score.
    pub severity: Severity,
    /// Sum of the signatures' scores.
    #[serde(serialize_with = "crate::num::serialize")]
    pub score: f64,
    /// The carrier and its identity.
    pub cell: CellKey,
    /// One paragraph: what, how sure, why.
    pub summary: String,
    /// Every signature that fired, strongest first.
    pub signatures: Vec<Signature>,
    /// What to do next.
    pub advice: String,
    /// Other cells its signatures name (e.g. the fake LTE cell of a downgrade blaster whose GSM
    /// cell this alert is about); absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<CellKey>,
}

struct Tracked {
    id: u64,
    raised_s: f64,
    /// Where the receiver was when the alert was raised (latitude, longitude), if known.
    raised_at: Option<(f64, f64)>,
    cell: CellKey,
    signatures: BTreeMap<&'static str, Signature>,
    reported: Option<(Severity, Vec<&'static str>, f64)>,
    last_update_s: f64,
}

/// `docs/detectors.md`: the detector catalogue generated from the detectors' doc blocks, then
/// the scoring section ([`SCORING_DOC`]).
pub fn catalogue_markdown() -> String {
    let mut s = crate::detect::detectors_markdown();
    s.push_str(&format!("\n{}\n", SCORING_DOC.trim()));
    s.push_str(&format!(
        "\n{}\n",
        crate::cells::operators::SETTINGS_DOC.trim()
    ));
    s
}

/// Registry + detectors + scorer.
pub struct Engine {
    /// The cell registry (readable for dashboards and surveys).
    pub registry: CellRegistry,
    detectors: Vec<Box<dyn Detector>>,
    cfg: ScoringConfig,
    tracked: BTreeMap<CarrierId, Tracked>,
    next_id: u64,
    max_raised: Option<Severity>,
    raised: u64,
    findings: Vec<Finding>,
    last_sweep_s: f64,
    /// The receiver's latest position (latitude, longitude), when a position source gives one.
    position: Option<(f64, f64)>,
}

/// End-of-stream summary (one JSON line).
#[derive(Debug, Clone, Serialize)]
pub struct AlertSummary {
    /// Always "alert_summary".
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Alerts raised.
    pub raised: u64,
    /// Highest severity reached by any alert.
    pub max_severity: Option<Severity>,
    /// Alerts still active, with their latest state.
    pub active: Vec<Alert>,
}

impl Engine {
    /// Where the receiver is now (latitude, longitude in degrees; `None`: unknown). Alerts
    /// raised from now on carry it, so correlations can tell two places apart.
    pub fn set_position(&mut self, position: Option<(f64, f64)>) {
        self.position = position.filter(|(la, lo)| la.is_finite() && lo.is_finite());
    }

    /// An engine over a registry (with its baseline and operators) and detectors.
    pub fn new(
        registry: CellRegistry,
        detectors: Vec<Box<dyn Detector>>,
        cfg: ScoringConfig,
    ) -> Engine {
        Engine {
            registry,
            detectors,
            cfg,
            tracked: BTreeMap::new(),
            next_id: 1,
            max_raised: None,
            raised: 0,
            findings: Vec::new(),
            last_sweep_s: f64::NEG_INFINITY,
            position: None,
        }
    }

    /// The detectors.
    pub fn detectors(&self) -> &[Box<dyn Detector>] {
        &self.detectors
    }

    /// Highest severity any alert reached.
    pub fn max_severity(&self) -> Option<Severity> {
        self.max_raised
    }

    /// Whether any alert above info was raised (replay exit status 10).
    pub fn raised_above_info(&self) -> bool {
        self.max_raised.is_some_and(|s| s > Severity::Info)
    }

    /// Whether any alert reached `severity` (the exit status 10 of `--fail-on`).
    pub fn raised_at_least(&self, severity: Severity) -> bool {
        self.max_raised.is_some_and(|s| s >= severity)
    }

    /// Feed one observation; returns the alert events it caused, in a stable order.
    pub fn observe(&mut self, obs: &Observation) -> Vec<Alert> {
        self.registry.update(obs);
        self.findings.clear();
        for d in &mut self.detectors {
            d.observe(obs, &self.registry, &mut self.findings);
        }
        let now = self.registry.now_s();
        let mut events = Vec::new();
        let findings = std::mem::take(&mut self.findings);
        let mut touched: Vec<CarrierId> = Vec::new();
        for f in &findings {
            let k = f.cell.carrier_id();
            self.fold(f);
            if !touched.contains(&k) {
                touched.push(k);
            }
        }
        self.findings = findings;
        if !touched.is_empty() {
            self.correlate(now, &mut touched);
        }
        for k in touched {
            if let Some(a) = self.report(k, now) {
                events.push(a);
            }
        }
        if now - self.last_sweep_s >= 1.0 {
            self.last_sweep_s = now;
            events.extend(self.sweep(now));
        }
        events
    }

    /// End of stream: the summary (nothing is cleared: stream time stops here).
    pub fn finish(&self) -> AlertSummary {
        let now = self.registry.now_s();
        AlertSummary {
            kind: "alert_summary",
            raised: self.raised,
            max_severity: self.max_raised,
            active: self
                .tracked
                .values()
                .filter(|t| t.reported.is_some())
                .map(|t| self.alert(t, AlertEvent::Updated, now))
                .collect(),
        }
    }

    /// Correlating detectors (e.g. `downgrade_blaster`) judge the tracked alerts together; their
    /// findings are folded like any other.
    fn correlate(&mut self, now: f64, touched: &mut Vec<CarrierId>) {
        let mut out = Vec::new();
        for d in &mut self.detectors {
            if !d.correlates() {
                continue;
            }
            let own = d.id();
            let views: Vec<AlertView> = self
                .tracked
                .values()
                .filter_map(|t| {
                    let score: f64 = t
                        .signatures
                        .values()
                        .filter(|s| s.detector != own)
                        .map(|s| s.score)
                        .sum();
                    let any = t.signatures.keys().any(|k| *k != own);
                    any.then(|| {
                        let score = round3(score);
                        AlertView {
                            cell: t.cell.clone(),
                            raised_s: t.raised_s,
                            raised_at: t.raised_at,
                            score,
                            severity: self.cfg.severity(score),
                        }
                    })
                })
                .collect();
            d.correlate(&views, now, &mut out);
        }
        for f in &out {
            let k = f.cell.carrier_id();
            self.fold(f);
            if !touched.contains(&k) {
                touched.push(k);
            }
        }
    }

    fn fold(&mut self, f: &Finding) {
        let k = f.cell.carrier_id();
        if !self.tracked.contains_key(&k) && self.tracked.len() >= MAX_TRACKED {
            let victim = self
                .tracked
                .iter()
                .min_by(|a, b| a.1.last_update_s.total_cmp(&b.1.last_update_s))
                .map(|(k, _)| *k);
            if let Some(v) = victim {
                self.tracked.remove(&v);
            }
        }
        let fp = crate::detect::info(f.detector).map_or("", |d| d.false_positives);
        let next_id = &mut self.next_id;
        let position = self.position;
        let t = self.tracked.entry(k).or_insert_with(|| {
            let id = *next_id;
            *next_id += 1;
            Tracked {
                id,
                raised_s: f.time_s,
                raised_at: position,
                cell: f.cell.clone(),
                signatures: BTreeMap::new(),
                reported: None,
                last_update_s: f.time_s,
            }
        });
        // Keep the most complete identity seen.
        if f.cell.bsic.is_some() {
            t.cell.bsic = f.cell.bsic;
        }
        if f.cell.cgi.is_some() {
            t.cell.cgi = f.cell.cgi;
        }
        t.last_update_s = f.time_s;
        let first_s = t.signatures.get(f.detector).map_or(f.time_s, |s| s.first_s);
        t.signatures.insert(
            f.detector,
            Signature {
                detector: f.detector,
                version: f.version,
                severity: f.severity,
                score: f.score,
                message: f.message.clone(),
                evidence: f.evidence.clone(),
                known_false_positives: fp,
                first_s,
                last_s: f.time_s,
                related: f.related.clone(),
            },
        );
    }

    fn score(t: &Tracked) -> f64 {
        let s: f64 = t.signatures.values().map(|s| s.score).sum();
        (s * 1000.0).round() / 1000.0
    }

    fn report(&mut self, k: CarrierId, now: f64) -> Option<Alert> {
        let t = self.tracked.get(&k)?;
        let score = Self::score(t);
        let sev = self.cfg.severity(score);
        let ids: Vec<&'static str> = t.signatures.keys().copied().collect();
        let event = match &t.reported {
            None => AlertEvent::Raised,
            Some((s, d, sc)) => {
                if *s == sev && *d == ids && score <= *sc + 1e-9 {
                    return None;
                }
                AlertEvent::Updated
            }
        };
        let alert = self.alert(t, event, now);
        if event == AlertEvent::Raised {
            self.raised += 1;
        }
        self.max_raised = self.max_raised.max(Some(sev));
        if let Some(t) = self.tracked.get_mut(&k) {
            t.reported = Some((sev, ids, score));
        }
        Some(alert)
    }

    fn sweep(&mut self, now: f64) -> Vec<Alert> {
        let mut out = Vec::new();
        let keys: Vec<_> = self.tracked.keys().copied().collect();
        for k in keys {
            let Some(t) = self.tracked.get_mut(&k) else {
                continue;
            };
            let before = t.signatures.len();
            let horizon = now - self.cfg.clear_after_s;
            t.signatures.retain(|_, s| s.last_s >= horizon);
            if t.signatures.is_empty() {
                if let Some(t) = self.tracked.remove(&k)
                    && t.reported.is_some()
                {
                    let mut a = self.alert(&t, AlertEvent::Cleared, now);
                    a.summary = format!(
                        "Cleared: no signature of {} confirmed for {} s of stream time.",
                        t.cell, self.cfg.clear_after_s
                    );
                    out.push(a);
                }
            } else if t.signatures.len() != before
                && let Some(a) = self.report(k, now)
            {
                out.push(a);
            }
        }
        out
    }

    fn alert(&self, t: &Tracked, event: AlertEvent, now: f64) -> Alert {
        let score = Self::score(t);
        let severity = self.cfg.severity(score);
        let mut sigs: Vec<Signature> = t.signatures.values().cloned().collect();
        sigs.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.detector.cmp(b.detector)));
        let names: Vec<String> = sigs
            .iter()
            .map(|s| {
                let ev: Vec<String> = s
                    .evidence
                    .iter()
                    .filter(|e| e.threshold.is_some())
                    .map(|e| e.to_string())
                    .collect();
                format!("{} [{}]", s.detector, ev.join("; "))
            })
            .collect();
        let what = if t.cell.uplink {
            "uplink transmitter"
        } else {
            "cell"
        };
        let summary = format!(
            "{severity} alert for {what} {}: {} signature{} fired (score {score} against \
             thresholds low {}, medium {}, high {}): {}.",
            t.cell,
            sigs.len(),
            if sigs.len() == 1 { "" } else { "s" },
            self.cfg.low,
            self.cfg.medium,
            self.cfg.high,
            names.join(", ")
        );
        let mut related: Vec<CellKey> = Vec::new();
        for c in sigs.iter().flat_map(|s| &s.related) {
            if !related.contains(c) {
                related.push(c.clone());
            }
        }
        Alert {
            kind: "alert",
            event,
            id: t.id,
            time_s: round3(now),
            raised_s: round3(t.raised_s),
            severity,
            score,
            cell: t.cell.clone(),
            summary,
            advice: advice(severity, &sigs, t.cell.uplink),
            signatures: sigs,
            related,
        }
    }
}

fn advice(sev: Severity, sigs: &[Signature], uplink: bool) -> String {
    let has = |id: &str| sigs.iter().any(|s| s.detector == id);
    let mut v: Vec<&str> = Vec::new();
    match sev {
        Severity::Info => v.push(
            "No action needed: a single weak indication, common on legitimate networks. It is \
             listed so that a pattern over time can be seen.",
        ),
        Severity::Low => v.push(
            "Keep watching: note the time and place; if it persists or more signatures fire, \
             record IQ (towerwatch record) for evidence.",
        ),
        Severity::Medium => v.push(
            "Check it: record IQ now (towerwatch record) to keep the evidence, note time and \
             place, and compare the cell with the operator's published cell list.",
        ),
        Severity::High => v.push(
            "Act: record IQ now (towerwatch record) and keep this alert's JSON with the \
             recording; note time, place and direction. Do not connect test phones to the cell. \
             Report to the operator's fraud/security team and the radio regulator.",
        ),
    }
    if uplink || has("simbox_uplink") {
        v.push(
            "The transmitter is near the receiver: walk or drive the area and follow the uplink \
             power up to find it (a directional antenna helps).",
        );
    }
    if has("cloned_identity") {
        v.push(
            "A copied cell identity: ask the operator which ARFCN the real cell uses; the other \
             one is the copy.",
        );
    }
    if has("downgrade_blaster") {
        v.push(
            "Two radios of one box: the related LTE cell captures phones and sends them to this \
             GSM cell. Record both (LTE and GSM) and look for one transmitter serving both.",
        );
    }
    if has("registration_storm") {
        v.push(
            "Phones nearby are being registered en masse: expect SMS spam or phishing sent to \
             them; collect samples from affected users.",
        );
    }
    if has("transient_cell") || has("power_anomaly") {
        v.push(
            "A transmitter that moves or appears briefly: check vehicles parked or passing near \
             the strongest point.",
        );
    }
    v.join(" ")
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::*;

    #[test]
    fn severity_bands() {
        let c = ScoringConfig::default();
        assert_eq!(c.severity(1.0), Severity::Info);
        assert_eq!(c.severity(1.5), Severity::Low);
        assert_eq!(c.severity(2.5), Severity::Medium);
        assert_eq!(c.severity(4.0), Severity::High);
        assert!(
            ScoringConfig::parse("[scoring]\nhigh = 5.0\n")
                .unwrap()
                .high
                == 5.0
        );
        assert!(ScoringConfig::parse("[scoring]\nbogus = 1\n").is_err());
    }

    /// A GSM rogue (ARFCN 21: CRO 60 dB, not listed back: medium) from 1 s when `gsm`, a fake LTE cell
    /// (PCI 301: 30 dB above three legitimate cells, its clock 2.5 ppm off theirs) from `lte_s`,
    /// over the legitimate neighbourhood, every second until `end_s`.
    fn blaster(gsm: bool, lte_s: Option<f64>, end_s: f64) -> (Engine, Vec<Alert>) {
        let mut e = Engine::new(
            CellRegistry::default(),
            crate::detect::all_default(),
            ScoringConfig::default(),
        );
        let mut events = Vec::new();
        for o in neighbourhood(0.0) {
            events.extend(e.observe(&o));
        }
        let mut rogue = CellSpec::legit(21, 1234);
        rogue.cro_db = 60;
        let mut t = 1.0;
        while t < end_s {
            for (i, (earfcn, pci, rsrp, ppm)) in [
                (1750, 142, -60.0, -22.50),
                (1750, 86, -61.0, -22.46),
                (1825, 54, -55.0, -22.53),
            ]
            .into_iter()
            .enumerate()
            {
                let o = lte_cell(earfcn, pci, rsrp, ppm, 0.01, t + 0.01 * i as f64);
                events.extend(e.observe(&o));
            }
            if lte_s.is_some_and(|s| t >= s) {
                events.extend(e.observe(&lte_cell(1750, 301, -30.0, -20.0, 0.01, t + 0.05)));
            }
            if gsm {
                events.extend(e.observe(&si2(21, &[16, 18, 19], t + 0.1)));
                events.extend(e.observe(&si3(&rogue, t + 0.2)));
            }
            for arfcn in 16..=20 {
                events.extend(e.observe(&fcch(arfcn, 1.5, 0.01, t + 0.3)));
            }
            t += 1.0;
        }
        (e, events)
    }

    fn has_blaster(events: &[Alert]) -> bool {
        events.iter().any(|a| {
            a.signatures
                .iter()
                .any(|s| s.detector == "downgrade_blaster")
        })
    }

    fn gsm21(a: &Alert) -> bool {
        a.cell.lte.is_none() && a.cell.arfcn == 21
    }

    #[test]
    fn downgrade_blaster_joins_the_lte_and_gsm_halves() {
        let lte = CellKey::lte_cell(crate::cells::LteCellId {
            earfcn: 1750,
            pci: 301,
        });
        // Each half alone: the GSM rogue is medium, the LTE cell medium, no blaster.
        let (e, gsm_only) = blaster(true, None, 30.0);
        assert_eq!(e.max_severity(), Some(Severity::Medium));
        assert!(gsm_only.iter().any(gsm21));
        assert!(!has_blaster(&gsm_only));
        let (_, lte_only) = blaster(false, Some(5.0), 30.0);
        assert!(
            lte_only
                .iter()
                .any(|a| a.cell == lte && a.severity >= Severity::Low)
        );
        assert!(!has_blaster(&lte_only));
        for a in gsm_only.iter().chain(&lte_only) {
            let j = serde_json::to_string(a).unwrap();
            assert!(!j.contains("related"), "{j}");
        }

        // Together within the window: the GSM cell's alert goes high and names the LTE cell.
        let (e, events) = blaster(true, Some(5.0), 30.0);
        assert!(has_blaster(&events));
        let raised_gsm = events
            .iter()
            .filter(|a| gsm21(a) && a.event == AlertEvent::Raised)
            .count();
        assert_eq!(raised_gsm, 1, "one alert for the GSM cell");
        let last = events.iter().rev().find(|a| gsm21(a)).unwrap();
        assert_eq!(last.severity, Severity::High, "{last:?}");
        assert_eq!(last.related, vec![lte.clone()]);
        let sig = last
            .signatures
            .iter()
            .find(|s| s.detector == "downgrade_blaster")
            .unwrap();
        let ev = |n: &str| sig.evidence.iter().find(|e| e.name == n).unwrap().value;
        assert_eq!(ev("lte_earfcn"), 1750.0);
        assert_eq!(ev("lte_pci"), 301.0);
        let dt = ev("seconds_between_alerts");
        assert!((3.0..=6.0).contains(&dt), "{dt}");
        assert!(sig.message.contains("PCI 301"), "{}", sig.message);
        let j = serde_json::to_string(last).unwrap();
        assert!(
            j.contains("\"related\":[{\"lte\":{\"earfcn\":1750,\"pci\":301}}]"),
            "{j}"
        );
        // The LTE cell's own alert is not changed (the signature goes on the GSM cell only).
        assert!(
            e.finish()
                .active
                .iter()
                .any(|a| a.cell == lte && a.related.is_empty())
        );

        // The LTE cell ten minutes later: not the same box switching on.
        let (e, late) = blaster(true, Some(600.0), 620.0);
        assert!(!has_blaster(&late));
        let active = e.finish().active;
        assert!(
            active
                .iter()
                .any(|a| gsm21(a) && a.severity == Severity::Medium)
        );
        assert!(
            active
                .iter()
                .any(|a| a.cell == lte && a.severity >= Severity::Low)
        );
    }

    #[test]
    fn raise_update_clear() {
        let mut e = Engine::new(
            CellRegistry::default(),
            crate::detect::all_default(),
            ScoringConfig::default(),
        );
        let mut events = Vec::new();
        for o in neighbourhood(0.0) {
            events.extend(e.observe(&o));
        }
        assert!(events.is_empty(), "{events:?}");
        let mut rogue = CellSpec::legit(21, 1234);
        rogue.lac = 7777;
        rogue.t3212_dh = 1;
        rogue.cro_db = 60;
        events.extend(e.observe(&si2(21, &[], 1.0)));
        events.extend(e.observe(&si3(&rogue, 1.1)));
        for k in 0..5 {
            events.extend(e.observe(&fcch(21, 2.0, 0.01, 1.2 + 0.05 * f64::from(k))));
        }
        let raised: Vec<_> = events
            .iter()
            .filter(|a| a.event == AlertEvent::Raised)
            .collect();
        assert_eq!(raised.len(), 1);
        let last = events.last().unwrap();
        assert_eq!(last.severity, Severity::High);
        assert!(last.signatures.len() >= 5, "{last:?}");
        assert!(e.raised_above_info());
        // Silence on 21, the others go on: cleared after 120 s.
        let mut t = 2.0;
        while t < 130.0 {
            events.extend(e.observe(&fcch(16, 1.5, 0.01, t)));
            t += 0.5;
        }
        assert_eq!(events.last().unwrap().event, AlertEvent::Cleared);
        let j = serde_json::to_string(events.last().unwrap()).unwrap();
        assert!(j.starts_with("{\"type\":\"alert\""), "{j}");
    }
}
