//! Detection that works anywhere with no setup (issue 15): legitimate streets of MCC 460, 272 and
//! 310 (scenes generated on the fly from `recordings/scenes/legit-{china,ireland,usa}.toml`) and
//! the real captures in `../shared/recordings/` replay with nothing above low and exit 0 with no
//! configuration; a fake base station on the ITU test PLMN 001-01 with otherwise ordinary
//! settings raises medium or high, naming the cell, within 5 s of stream time. `--fail-on`,
//! `--country` and the shared detection options work the same in `replay`, `demo` and `scan`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scene(name: &str, seconds: f64) -> String {
    format!(
        "scene:{},seconds={seconds}",
        root().join("recordings/scenes").join(name).display()
    )
}

/// `replay INPUT EXTRA…`: exit status, alert events and the alert summary.
fn replay(input: &str, extra: &[&str]) -> (i32, Vec<Value>) {
    let out = common::towerwatch()
        .arg("replay")
        .arg(input)
        .args(extra)
        .output()
        .unwrap();
    let alerts = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("{\"type\":\"alert"))
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .collect();
    (out.status.code().unwrap_or(-1), alerts)
}

fn above(alerts: &[Value], floor: &[&str]) -> Vec<String> {
    alerts
        .iter()
        .filter(|a| a["type"] == "alert")
        .filter(|a| !floor.contains(&a["severity"].as_str().unwrap_or("")))
        .map(|a| format!("{} {} {}", a["severity"], a["cell"]["arfcn"], a["summary"]))
        .collect()
}

#[test]
fn legitimate_streets_of_other_countries_stay_quiet_without_configuration() {
    for name in ["legit-china.toml", "legit-ireland.toml", "legit-usa.toml"] {
        let (code, alerts) = replay(&scene(name, 4.0), &[]);
        let loud = above(&alerts, &["info", "low"]);
        eprintln!("{name}: exit {code}, {} alert events", alerts.len());
        assert!(loud.is_empty(), "{name}: {loud:?}");
        assert_eq!(code, 0, "{name}");
        // The cells were decoded (the quiet is not a receiver that heard nothing).
        let out = common::run_ok(&["decode", &scene(name, 2.0)]);
        assert!(out.contains("SI3"), "{name}: no SI3 decoded:\n{out}");
    }
}

#[test]
fn real_captures_stay_quiet_without_configuration() {
    let dir = root().join("../shared/recordings");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("SKIPPED: {} is missing (real captures)", dir.display());
        return;
    };
    let mut n = 0;
    for e in entries {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "sigmf-meta") {
            continue;
        }
        n += 1;
        let (code, alerts) = replay(p.to_str().unwrap(), &[]);
        let loud = above(&alerts, &["info", "low"]);
        eprintln!(
            "{}: exit {code}, {} alert events",
            p.display(),
            alerts.len()
        );
        assert!(loud.is_empty(), "{}: {loud:?}", p.display());
        assert_eq!(code, 0, "{}", p.display());
    }
    assert!(n >= 3, "{n} captures in {}", dir.display());
}

#[test]
fn a_rogue_on_the_test_plmn_is_caught_within_5_s_and_named() {
    let (code, alerts) = replay(&scene("rogue-test-plmn.toml", 4.0), &[]);
    assert_eq!(code, 10);
    let first = alerts
        .iter()
        .find(|a| {
            a["type"] == "alert"
                && a["cell"]["arfcn"] == 21
                && matches!(a["severity"].as_str(), Some("medium" | "high"))
        })
        .unwrap_or_else(|| panic!("no medium/high alert on ARFCN 21: {alerts:#?}"));
    let t = first["time_s"].as_f64().unwrap();
    assert!(t <= 5.0, "first medium alert at {t} s");
    assert_eq!(first["cell"]["cgi"]["mcc"], 1);
    let sig = first["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["detector"] == "unknown_plmn")
        .unwrap();
    let msg = sig["message"].as_str().unwrap();
    assert!(msg.contains("001-01") && msg.contains("test"), "{msg}");
    // Nothing on the legitimate cells of the same street.
    let others: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["type"] == "alert" && a["cell"]["arfcn"] != 21)
        .collect();
    assert!(others.is_empty(), "{others:#?}");
}

#[test]
fn fail_on_country_and_names() {
    let rogue = scene("rogue-test-plmn.toml", 2.0);
    // The test-PLMN rogue is medium (score 3): fails by default, not with --fail-on high.
    let (code, alerts) = replay(&rogue, &["--fail-on", "high"]);
    let max = alerts
        .iter()
        .find(|a| a["type"] == "alert_summary")
        .map(|s| s["max_severity"].clone());
    assert_eq!(max, Some(Value::from("medium")));
    assert_eq!(code, 0);
    assert_eq!(replay(&rogue, &[]).0, 10);
    // China seen from North Korea (a neighbour): low on every cell; exit 0 by default, 10 with
    // --fail-on low.
    let china = scene("legit-china.toml", 2.0);
    let (code, alerts) = replay(&china, &["--country", "kp"]);
    assert_eq!(code, 0);
    assert!(!alerts.is_empty() && above(&alerts, &["info", "low"]).is_empty());
    assert!(
        alerts
            .iter()
            .any(|a| a.to_string().contains("China Mobile (460-00)")),
        "{alerts:#?}"
    );
    assert_eq!(
        replay(&china, &["--country", "KP", "--fail-on", "low"]).0,
        10
    );
    // From Ireland (not a neighbour): medium, exit 10.
    assert_eq!(replay(&china, &["--country", "IE"]).0, 10);
    // 2G switched off for China Unicom: its cells are suspect on their own.
    let d = tempfile::tempdir().unwrap();
    let ops = d.path().join("ops.toml");
    std::fs::write(&ops, "gsm_off = [\"460-01\"]\n").unwrap();
    let (code, alerts) = replay(&china, &["--operators", ops.to_str().unwrap()]);
    assert_eq!(code, 10);
    let flagged: std::collections::BTreeSet<u64> = alerts
        .iter()
        .filter(|a| a["type"] == "alert")
        .map(|a| a["cell"]["arfcn"].as_u64().unwrap())
        .collect();
    assert_eq!(flagged, [17, 20].into(), "China Unicom's ARFCNs");
    // Bad values are refused when the command line is parsed.
    for bad in [
        &["--country", "XX"][..],
        &["--fail-on", "info"],
        &["--fail-on", "loud"],
    ] {
        let out = common::towerwatch()
            .arg("replay")
            .arg(&china)
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

/// One detection option group for every run mode: `demo` and `scan` take `--fail-on`,
/// `--country`, `--operators`, `--detectors`, `--baseline` like `replay`.
#[test]
fn demo_and_scan_take_the_detection_options() {
    let d = tempfile::tempdir().unwrap();
    let det = d.path().join("det.toml");
    // Every detector off: no alert can be raised.
    let all_off: String = common::run_ok(&["detectors"])
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '_') && id.contains('_'))
        .map(|id| format!("[{id}]\nenabled = false\n"))
        .collect();
    std::fs::write(&det, &all_off).unwrap();
    let detp = det.to_str().unwrap();
    let demo = |args: &[&str]| {
        common::towerwatch()
            .args(["demo", "--text", "--seconds", "2"])
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(demo(&[]), Some(10));
    assert_eq!(demo(&["--detectors", detp]), Some(0), "{all_off}");
    assert_eq!(demo(&["--country", "DE", "--fail-on", "high"]), Some(10));
    assert_eq!(demo(&["--country", "XX"]), Some(2));
    let blaster = root().join("recordings/sms-blaster.sigmf-meta");
    let legit = root().join("recordings/legit-neighbourhood.sigmf-meta");
    if !Path::new(&blaster).exists() {
        eprintln!("SKIPPED: bundled recordings missing");
        return;
    }
    let scan = |rec: &Path, args: &[&str]| {
        let out = common::towerwatch()
            .arg("scan")
            .arg(rec)
            .args(["--band", "egsm"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = scan(&blaster, &[]);
    assert_eq!(code, Some(10), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("HIGH") && l.contains("ARFCN 21")),
        "{text}"
    );
    assert_eq!(scan(&blaster, &["--detectors", detp]).0, Some(0));
    let (code, text) = scan(&legit, &["--country", "DE", "--fail-on", "low"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("alerts (latest state of each):\n  (none)"),
        "{text}"
    );
}

/// A cell from across a border (legit-border: a Polish cell beside a German street) is "worth
/// a look" and no more: low without `--country`, low with a neighbouring country, medium from a
/// country that does not border Poland; the local cells are never flagged by their own country.
#[test]
fn a_cell_across_the_border_is_low_unless_the_country_is_not_a_neighbour() {
    let border = scene("legit-border.toml", 3.0);
    for extra in [&[][..], &["--country", "DE"][..]] {
        let (code, alerts) = replay(&border, extra);
        assert_eq!(code, 0, "{extra:?}");
        assert!(above(&alerts, &["info", "low"]).is_empty(), "{extra:?}");
        let flagged: Vec<u64> = alerts
            .iter()
            .filter(|a| a["type"] == "alert")
            .filter_map(|a| a["cell"]["arfcn"].as_u64())
            .collect();
        assert!(flagged.iter().all(|&a| a == 21), "{extra:?}: {flagged:?}");
        assert!(
            flagged.contains(&21),
            "{extra:?}: the foreign cell was not even noted"
        );
    }
    let (code, alerts) = replay(&border, &["--country", "FR"]);
    assert_eq!(code, 10);
    assert!(
        alerts
            .iter()
            .any(|a| a["severity"] == "medium" && a["cell"]["arfcn"] == 21),
        "{alerts:#?}"
    );
}
