//! `towerwatch eval CORPUS`: the detection scoreboard. Runs every labelled recording and scene of
//! a folder through the same pipeline and detectors as `replay` (no configuration) and checks the
//! labels, as rtl_433's test corpus checks its decoders.
//!
//! Labels live in the scene file (`[labels]`, see [`crate::scene::LabelsTable`]): which carriers
//! are rogue, the severity the rogue must reach and how soon after it appears, and the
//! signatures that must be among its alert's. A recording `NAME.sigmf-meta` takes the labels of
//! `scenes/NAME.toml` beside it (the scene it was generated from); a labelled scene without a
//! recording is generated on the fly for its `seconds` (default: its `duration_s`). Recordings
//! without a labelled scene are listed as unlabelled, their alerts counted, never judged.
//!
//! A label is not met when a rogue carrier does not reach its severity in time, an expected
//! signature is missing, or a carrier that is not rogue gets an alert above low (a low alert is
//! "worth a look"; legitimate networks may raise it, e.g. a border cell).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::alert::Alert;
use crate::detect::Severity;
use crate::monitor::Monitor;
use crate::scene::{LabelSeverity, LabelsTable};

/// The severity a labelled rogue must reach (default medium).
fn min_severity(l: &LabelsTable) -> Severity {
    match l.severity {
        Some(LabelSeverity::Low) => Severity::Low,
        Some(LabelSeverity::High) => Severity::High,
        Some(LabelSeverity::Medium) | None => Severity::Medium,
    }
}

/// One item of the corpus.
#[derive(Debug, Clone)]
pub struct Case {
    /// Name shown in the table (file stem).
    pub name: String,
    /// What to open (a recording, or a `scene:PATH,seconds=S` spec).
    pub input: PathBuf,
    /// The labels (`None`: unlabelled).
    pub labels: Option<LabelsTable>,
}

/// What one case gave.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Case name.
    pub name: String,
    /// Whether the case had labels.
    pub labelled: bool,
    /// Rogue carriers labelled.
    pub rogues: usize,
    /// Rogue carriers that reached their severity in time.
    pub found: usize,
    /// Carriers that are not rogue, by the highest severity they reached (low, medium, high).
    pub false_alerts: [usize; 3],
    /// Stream time of the first alert above info on a rogue carrier, after it appeared.
    pub first_alert_s: Option<f64>,
    /// Detectors expected on the rogue: (id, fired).
    pub expected: Vec<(String, bool)>,
    /// Detectors that fired on a carrier that is not rogue (any severity).
    pub fired_elsewhere: BTreeSet<String>,
    /// Labels not met (empty: all met).
    pub failures: Vec<String>,
}

/// Eval problems.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The corpus folder cannot be listed.
    #[error("{0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// A scene file is not valid.
    #[error("{0}: {1}")]
    Scene(PathBuf, String),
    /// The corpus holds nothing to evaluate.
    #[error("{0}: no recordings (.sigmf-meta) or scenes (.toml) found")]
    Empty(PathBuf),
}

fn list(dir: &Path, ext: &str) -> Result<Vec<PathBuf>, EvalError> {
    let mut v = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(v),
        Err(e) => return Err(EvalError::Read(dir.to_path_buf(), e)),
    };
    for e in rd {
        let p = e.map_err(|e| EvalError::Read(dir.to_path_buf(), e))?.path();
        if p.to_string_lossy().ends_with(ext) {
            v.push(p);
        }
    }
    v.sort();
    Ok(v)
}

fn scene_labels(path: &Path) -> Result<(Option<LabelsTable>, f64), EvalError> {
    let s = crate::synth::load_scene(path, &Default::default())
        .map_err(|e| EvalError::Scene(path.to_path_buf(), e.to_string()))?;
    Ok((s.file.labels.clone(), s.file.scene.duration_s))
}

/// The cases of a corpus folder: its recordings (labels from `scenes/NAME.toml` or `NAME.toml`
/// beside), then its labelled scenes (in the folder and in `scenes/`) that have no recording.
pub fn collect(dir: &Path) -> Result<Vec<Case>, EvalError> {
    let mut cases = Vec::new();
    let mut scenes: Vec<PathBuf> = list(dir, ".toml")?;
    scenes.extend(list(&dir.join("scenes"), ".toml")?);
    let stem = |p: &Path| {
        let n = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        n.trim_end_matches(".sigmf-meta")
            .trim_end_matches(".toml")
            .to_string()
    };
    let mut recorded = BTreeSet::new();
    for meta in list(dir, ".sigmf-meta")? {
        let name = stem(&meta);
        let labels = match scenes.iter().find(|s| stem(s) == name) {
            Some(s) => scene_labels(s)?.0,
            None => None,
        };
        recorded.insert(name.clone());
        cases.push(Case {
            name,
            input: meta,
            labels,
        });
    }
    for s in &scenes {
        let name = stem(s);
        if recorded.contains(&name) {
            continue;
        }
        let (labels, duration_s) = scene_labels(s)?;
        let Some(labels) = labels else {
            continue;
        };
        let seconds = labels.seconds.unwrap_or(duration_s);
        cases.push(Case {
            name,
            input: PathBuf::from(format!("scene:{},seconds={seconds}", s.display())),
            labels: Some(labels),
        });
    }
    if cases.is_empty() {
        return Err(EvalError::Empty(dir.to_path_buf()));
    }
    Ok(cases)
}

/// Per carrier (ARFCN, uplink): highest severity, when each severity was first reached,
/// signatures.
#[derive(Debug, Default)]
struct Carrier {
    max: Option<Severity>,
    first_at: BTreeMap<Severity, f64>,
    signatures: BTreeSet<String>,
}

/// Run one case: the `replay` pipeline (1 s spectrum interval, default GSM stage) and the
/// detectors with no configuration.
pub fn run_case(case: &Case, stop: Arc<AtomicBool>) -> anyhow::Result<Outcome> {
    let src = crate::source::open_file(&case.input, &Default::default())?;
    let engine = crate::alert::setup::engine(&Default::default())?;
    let mut monitor = Monitor::new(engine, None, None);
    let mut carriers: BTreeMap<(u16, bool), Carrier> = BTreeMap::new();
    crate::demo::feed_alerts(src, &mut monitor, 1.0, stop, |a| {
        note(&mut carriers, &a);
        Ok(())
    })?;
    Ok(judge(case, &carriers))
}

fn note(carriers: &mut BTreeMap<(u16, bool), Carrier>, a: &Alert) {
    let c = carriers.entry((a.cell.arfcn, a.cell.uplink)).or_default();
    c.max = c.max.max(Some(a.severity));
    c.first_at.entry(a.severity).or_insert(a.time_s);
    c.signatures
        .extend(a.signatures.iter().map(|s| s.detector.to_string()));
}

fn judge(case: &Case, carriers: &BTreeMap<(u16, bool), Carrier>) -> Outcome {
    let mut o = Outcome {
        name: case.name.clone(),
        labelled: case.labels.is_some(),
        ..Outcome::default()
    };
    let labels = case.labels.clone().unwrap_or_default();
    let rogue: BTreeSet<(u16, bool)> = labels
        .rogue
        .iter()
        .map(|a| (*a, false))
        .chain(labels.rogue_uplink.iter().map(|a| (*a, true)))
        .collect();
    o.rogues = rogue.len();
    let need = min_severity(&labels);
    for k in &rogue {
        let name = format!("{}ARFCN {}", if k.1 { "uplink " } else { "" }, k.0);
        let Some(c) = carriers.get(k) else {
            o.failures.push(format!("{name}: no alert"));
            continue;
        };
        let first_above_info = c
            .first_at
            .iter()
            .filter(|(s, _)| **s > Severity::Info)
            .map(|(_, t)| *t)
            .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.min(t))));
        if let Some(t) = first_above_info {
            let dt = (t - labels.appears_s).max(0.0);
            o.first_alert_s = Some(o.first_alert_s.map_or(dt, |m: f64| m.min(dt)));
        }
        let reached = c
            .first_at
            .iter()
            .filter(|(s, _)| **s >= need)
            .map(|(_, t)| *t)
            .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.min(t))));
        match reached {
            Some(t) if t - labels.appears_s <= labels.within_s => o.found += 1,
            Some(t) => o.failures.push(format!(
                "{name}: {need} after {:.1} s (> {} s)",
                t - labels.appears_s,
                labels.within_s
            )),
            None => o.failures.push(format!(
                "{name}: reached {} only, not {need}",
                c.max.map_or("nothing".to_string(), |s| s.to_string())
            )),
        }
        for sig in &labels.signatures {
            let fired = c.signatures.contains(sig);
            if !o.expected.iter().any(|(s, _)| s == sig) {
                o.expected.push((sig.clone(), fired));
            } else if !fired {
                for e in o.expected.iter_mut().filter(|(s, _)| s == sig) {
                    e.1 = false;
                }
            }
            if !fired {
                o.failures.push(format!("{name}: {sig} did not fire"));
            }
        }
    }
    for (k, c) in carriers.iter().filter(|(k, _)| !rogue.contains(k)) {
        o.fired_elsewhere.extend(c.signatures.iter().cloned());
        let idx = match c.max {
            Some(Severity::Low) => 0,
            Some(Severity::Medium) => 1,
            Some(Severity::High) => 2,
            _ => continue,
        };
        o.false_alerts[idx] += 1;
        if o.labelled && idx > 0 {
            o.failures.push(format!(
                "{}ARFCN {} is not rogue but raised {}",
                if k.1 { "uplink " } else { "" },
                k.0,
                c.max.map_or(String::new(), |s| s.to_string())
            ));
        }
    }
    o
}

/// The scoreboard: one line per case, then one per detector.
pub fn table(outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    let w = outcomes
        .iter()
        .map(|o| o.name.len())
        .max()
        .unwrap_or(4)
        .max(9);
    s.push_str(&format!(
        "{:w$}  {:>6} {:>6}  {:>14}  {:>12}  result\n",
        "recording", "found", "missed", "false L/M/H", "first alert"
    ));
    for o in outcomes {
        let result = if !o.labelled {
            "unlabelled".to_string()
        } else if o.failures.is_empty() {
            "ok".to_string()
        } else {
            format!("FAIL: {}", o.failures.join("; "))
        };
        s.push_str(&format!(
            "{:w$}  {:>6} {:>6}  {:>14}  {:>12}  {result}\n",
            o.name,
            o.found,
            o.rogues - o.found.min(o.rogues),
            format!(
                "{}/{}/{}",
                o.false_alerts[0], o.false_alerts[1], o.false_alerts[2]
            ),
            o.first_alert_s
                .map_or("-".to_string(), |t| format!("{t:.2} s")),
        ));
    }
    s.push_str(
        "\ndetector                 fired where expected   fired where not (any severity)\n",
    );
    for d in crate::detect::REGISTRY {
        let exp: Vec<bool> = outcomes
            .iter()
            .flat_map(|o| o.expected.iter())
            .filter(|(id, _)| id == d.id)
            .map(|(_, f)| *f)
            .collect();
        let not: Vec<&str> = outcomes
            .iter()
            .filter(|o| o.fired_elsewhere.contains(d.id))
            .map(|o| o.name.as_str())
            .collect();
        s.push_str(&format!(
            "{:24} {:>20}   {}\n",
            d.id,
            if exp.is_empty() {
                "-".to_string()
            } else {
                format!("{}/{}", exp.iter().filter(|f| **f).count(), exp.len())
            },
            if not.is_empty() {
                "0".to_string()
            } else {
                format!("{} ({})", not.len(), not.join(", "))
            }
        ));
    }
    let labelled = outcomes.iter().filter(|o| o.labelled).count();
    let failed = outcomes
        .iter()
        .filter(|o| o.labelled && !o.failures.is_empty())
        .count();
    s.push_str(&format!(
        "\nlabels met in {} of {} labelled recordings/scenes ({} not met, {} unlabelled)\n",
        labelled - failed,
        labelled,
        failed,
        outcomes.len() - labelled
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(arfcn: u16, sev: Severity, t: f64, sigs: &[&'static str]) -> Carrier {
        let mut c = Carrier {
            max: Some(sev),
            ..Carrier::default()
        };
        c.first_at.insert(sev, t);
        c.signatures = sigs.iter().map(|s| s.to_string()).collect();
        let _ = arfcn;
        c
    }

    #[test]
    fn labels_are_judged() {
        let case = Case {
            name: "x".into(),
            input: PathBuf::new(),
            labels: Some(LabelsTable {
                rogue: vec![21],
                severity: Some(LabelSeverity::High),
                signatures: vec!["registration_storm".into()],
                ..LabelsTable::default()
            }),
        };
        let mut m = BTreeMap::new();
        m.insert(
            (21, false),
            alert(21, Severity::High, 1.0, &["registration_storm"]),
        );
        m.insert(
            (16, false),
            alert(16, Severity::Low, 1.0, &["unknown_plmn"]),
        );
        let o = judge(&case, &m);
        assert!(o.failures.is_empty(), "{:?}", o.failures);
        assert_eq!((o.found, o.false_alerts), (1, [1, 0, 0]));
        assert!(o.fired_elsewhere.contains("unknown_plmn"));
        // Too late, missing signature, a false medium.
        m.insert(
            (21, false),
            alert(21, Severity::High, 9.0, &["clock_error"]),
        );
        m.insert(
            (16, false),
            alert(16, Severity::Medium, 1.0, &["unknown_plmn"]),
        );
        let o = judge(&case, &m);
        assert_eq!(o.failures.len(), 3, "{:?}", o.failures);
        assert_eq!(o.found, 0);
        let t = table(&[o]);
        assert!(
            t.contains("FAIL") && t.contains("labels met in 0 of 1"),
            "{t}"
        );
        // Nothing at all on the rogue.
        let o = judge(&case, &BTreeMap::new());
        assert!(o.failures[0].contains("no alert"));
    }
}
