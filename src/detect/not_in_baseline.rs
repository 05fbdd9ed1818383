//! Detector 2: not in the baseline (nor OpenCelliD), or marked suspect — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellRegistry, CellStatus};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "not_in_baseline",
    version: 1,
    default_weight: 1.0,
    summary: "Cell not in the baseline (survey or OpenCelliD), on a new ARFCN, or marked suspect",
    false_positives: "New or re-planned cells since the survey, a baseline from another place, incomplete \
         OpenCelliD coverage.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** a cell whose CGI (MCC-MNC-LAC-CI from SI3) is not in the baseline file (learnt by
`towerwatch survey`, extended by `towerwatch baseline import-opencellid`), a known CGI heard on an
ARFCN the survey never saw it on, or a cell the user marked `suspect`
(`towerwatch baseline mark --suspect`). Silent when no baseline is loaded.

**Reference**: 3GPP TS 23.003 §4.3 (CGI); TS 44.018 §9.1.35 (SI3).

**Thresholds** (`[not_in_baseline]`): weight 1.0 for an unknown CGI or a new ARFCN,
`suspect_weight = 4.0` for a cell marked suspect (severity high on its own).

**Known false positives**: new or re-planned cells since the survey, a baseline from another
place, cells the survey was too short to decode; OpenCelliD coverage is incomplete. Re-survey
regularly and mark checked cells `good`.
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Score of a cell marked suspect.
    pub suspect_weight: f64,
    /// Flag a known CGI on an ARFCN the survey did not see it on.
    pub check_arfcn: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            suspect_weight: 4.0,
            check_arfcn: true,
        }
    }
}

/// The detector.
pub struct NotInBaseline {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(NotInBaseline {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl Detector for NotInBaseline {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        if !matches!(obs, Observation::SystemInfo(_)) || reg.baseline.cells.is_empty() {
            return;
        }
        let Some(cell) = super::subject_cell(obs, reg) else {
            return;
        };
        let Some(cgi) = cell.cgi else { return };
        let known: Vec<_> = reg.baseline.find(&cgi).collect();
        let (sev, w, msg) = if known.iter().any(|e| e.status == CellStatus::Suspect) {
            (
                Severity::High,
                self.cfg.suspect_weight,
                format!("Cell {cgi} is marked suspect in the baseline."),
            )
        } else if known.is_empty() {
            (
                Severity::Low,
                self.weight,
                format!("Cell {cgi} is not in the baseline for this area."),
            )
        } else {
            let arfcns: Vec<u16> = known.iter().filter_map(|e| e.arfcn).collect();
            if !self.cfg.check_arfcn || arfcns.is_empty() || arfcns.contains(&cell.arfcn) {
                return;
            }
            (
                Severity::Low,
                self.weight,
                format!(
                    "Cell {cgi} is in the baseline on ARFCN {arfcns:?}, but heard on ARFCN {}.",
                    cell.arfcn
                ),
            )
        };
        out.push(super::finding(
            self,
            w,
            sev,
            cell.key(),
            reg.now_s(),
            msg,
            vec![Evidence::test(
                "baseline_entries",
                known.len() as f64,
                "=",
                0.0,
            )],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cells::{Baseline, Cgi, Operators};
    use crate::detect::testkit::*;

    fn reg_with(b: Baseline) -> CellRegistry {
        CellRegistry::new(b, Operators::default())
    }

    #[test]
    fn unknown_known_suspect() {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        // No baseline: silent.
        assert!(
            run(
                d.as_mut(),
                &mut CellRegistry::default(),
                &[si3(&CellSpec::legit(18, 1), 0.1)]
            )
            .is_empty()
        );
        let mut b = Baseline::default();
        b.mark(Cgi::parse("262-01-4101-1").unwrap(), CellStatus::Good);
        b.mark(Cgi::parse("262-01-4101-2").unwrap(), CellStatus::Suspect);
        // Known and good.
        assert!(
            run(
                d.as_mut(),
                &mut reg_with(b.clone()),
                &[si3(&CellSpec::legit(18, 1), 0.1)]
            )
            .is_empty()
        );
        // Unknown.
        let f = run(
            d.as_mut(),
            &mut reg_with(b.clone()),
            &[si3(&CellSpec::legit(18, 3), 0.1)],
        );
        assert_eq!(f[0].severity, Severity::Low);
        // Suspect.
        let f = run(
            d.as_mut(),
            &mut reg_with(b.clone()),
            &[si3(&CellSpec::legit(18, 2), 0.1)],
        );
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(f[0].score, 4.0);
        // Known on another ARFCN.
        b.cells[0].arfcn = Some(16);
        let f = run(
            d.as_mut(),
            &mut reg_with(b),
            &[si3(&CellSpec::legit(18, 1), 0.1)],
        );
        assert!(
            f[0].message.contains("heard on ARFCN 18"),
            "{}",
            f[0].message
        );
    }
}
