//! Detector 6: cloned identity — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{Cell, CellRegistry};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "cloned_identity",
    version: 1,
    default_weight: 4.0,
    summary: "The same CGI on two ARFCNs, or one ARFCN whose CGI/BSIC changes",
    false_positives: "Identity changes when the receiver moves (ARFCN reuse) or after network re-planning; a \
         very strong cell decoded through its adjacent channel.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** (a) the same CGI (MCC-MNC-LAC-CI) broadcast on two ARFCNs at once: a CGI is unique in a
network, so one of the two is a copy (a fake base station imitating a real cell so that phones
reselect to it without a Location Update); (b) one ARFCN whose CGI or BSIC changes while we listen.
For (a) the finding goes to the carrier that looks less legitimate: the one the baseline does not
know on that ARFCN, else the one no decoded neighbour list points to, else the one heard later
(ties: both).

**Reference**: 3GPP TS 23.003 §4.3.1 (CGI uniqueness); TS 44.018 §9.1.35 (SI3); TS 45.002 §3.3.2
(SCH, BSIC).

**Thresholds** (`[cloned_identity]`): weight 4.0 for a duplicate CGI (severity high on its own);
`change_weight = 2.0` for an identity change on one ARFCN (medium); a duplicate on the adjacent
ARFCN more than `adjacent_leak_db = 15` dB weaker than the original is ignored (a strong carrier
decoded through the adjacent channel).

**Known false positives**: an identity change is normal when the receiver moves (ARFCN reuse:
another cell on the same channel further away) and after network re-planning; decoding a very
strong cell through its adjacent channel (guarded by `adjacent_leak_db`).
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Score of a CGI or BSIC change on one ARFCN.
    pub change_weight: f64,
    /// Ignore a duplicate on the adjacent ARFCN this much weaker (dB).
    pub adjacent_leak_db: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            change_weight: 2.0,
            adjacent_leak_db: 15.0,
        }
    }
}

/// The detector.
pub struct ClonedIdentity {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(ClonedIdentity {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

fn suspicion(c: &Cell, reg: &CellRegistry) -> f64 {
    let mut s = 0.0;
    if let Some(cgi) = c.cgi {
        let known: Vec<u16> = reg.baseline.find(&cgi).filter_map(|e| e.arfcn).collect();
        if !known.is_empty() && !known.contains(&c.arfcn) {
            s += 2.0;
        }
    }
    let listed = reg
        .cells()
        .any(|o| o.arfcn != c.arfcn && o.summary.neighbours().contains(&c.arfcn));
    if !listed {
        s += 1.0;
    }
    s
}

impl Detector for ClonedIdentity {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        if !matches!(obs, Observation::SystemInfo(_) | Observation::Sync(_)) {
            return;
        }
        let Some(cell) = super::subject_cell(obs, reg) else {
            return;
        };
        let now = reg.now_s();
        if let Some(cgi) = cell.cgi {
            for other in reg.cells() {
                if other.arfcn == cell.arfcn || other.cgi != Some(cgi) {
                    continue;
                }
                let p_self = cell.latest_power().map(|p| p.power_dbfs);
                let p_other = other.latest_power().map(|p| p.power_dbfs);
                if cell.arfcn.abs_diff(other.arfcn) == 1
                    && let (Some(a), Some(b)) = (p_self, p_other)
                    && b - a > self.cfg.adjacent_leak_db
                {
                    continue;
                }
                let (mine, theirs) = (suspicion(cell, reg), suspicion(other, reg));
                let later = cell.first_seen_s > other.first_seen_s;
                if mine < theirs
                    || (mine == theirs && !later && other.first_seen_s != cell.first_seen_s)
                {
                    continue;
                }
                let mut ev = vec![
                    Evidence::value("other_arfcn", f64::from(other.arfcn)),
                    Evidence::value("suspicion_this", mine),
                    Evidence::value("suspicion_other", theirs),
                ];
                if let (Some(a), Some(b)) = (p_self, p_other) {
                    ev.push(Evidence::value("power_above_other_db", a - b));
                }
                out.push(super::finding(
                    self,
                    self.weight,
                    Severity::High,
                    cell.key(),
                    now,
                    format!(
                        "Cell identity {cgi} is broadcast on ARFCN {} and on ARFCN {} at the same \
                         time: a cell identity is unique, so ARFCN {} is likely a copy.",
                        other.arfcn, cell.arfcn, cell.arfcn
                    ),
                    ev,
                ));
                return;
            }
        }
        let changes = cell.cgis.len().saturating_sub(1) + cell.bsics.len().saturating_sub(1);
        if changes > 0 {
            let cgis: Vec<String> = cell.cgis.iter().map(|c| c.to_string()).collect();
            out.push(super::finding(
                self,
                self.cfg.change_weight,
                Severity::Medium,
                cell.key(),
                now,
                format!(
                    "ARFCN {} changed identity while we listened (CGIs {}; BSICs {:?}).",
                    cell.arfcn,
                    cgis.join(", "),
                    cell.bsics
                ),
                vec![Evidence::test("identity_changes", changes as f64, ">", 0.0)],
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::*;

    #[test]
    fn duplicate_cgi_goes_to_the_unlisted_copy() {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let mut obs = neighbourhood(0.0);
        assert!(run(d.as_mut(), &mut CellRegistry::default(), &obs).is_empty());
        // A copy of ARFCN 18's identity on 21.
        obs.push(sch(21, 12, 1.0));
        obs.push(si3(&CellSpec::legit(21, 10012), 1.2));
        obs.push(si3(&CellSpec::legit(18, 10012), 1.4));
        let f = run(d.as_mut(), &mut CellRegistry::default(), &obs);
        assert!(!f.is_empty());
        assert!(f.iter().all(|f| f.cell.arfcn == 21), "{f:?}");
        assert_eq!(f[0].severity, Severity::High);
    }

    #[test]
    fn identity_change_on_one_arfcn() {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let f = run(
            d.as_mut(),
            &mut CellRegistry::default(),
            &[
                si3(&CellSpec::legit(21, 1), 0.1),
                si3(&CellSpec::legit(21, 1), 0.5),
            ],
        );
        assert!(f.is_empty());
        let f = run(
            d.as_mut(),
            &mut CellRegistry::default(),
            &[
                si3(&CellSpec::legit(21, 1), 0.1),
                si3(&CellSpec::legit(21, 2), 0.5),
            ],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].score, 2.0);
        let f = run(
            d.as_mut(),
            &mut CellRegistry::default(),
            &[sch(21, 1, 0.1), sch(21, 2, 0.2)],
        );
        assert_eq!(f.len(), 1);
    }
}
