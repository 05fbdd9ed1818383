//! The whole downgrade SMS blaster in the lab (issue 17): `recordings/scenes/downgrade-blaster.toml`
//! (legitimate LTE and GSM cells in band 3, then a loud fake eNodeB at 4 s and a fake GSM cell at
//! 5 s, one stream at 3.84 MS/s) generated on the fly and replayed with `--tech all` raises one
//! High alert carrying the `downgrade_blaster` signature, on the fake GSM cell, whose `related`
//! list names the fake LTE cell; its quiet twin `legit-lte-gsm.toml` (the same cells without the
//! two rogue radios) exits 0 with every LTE cell listed. The fake eNodeB's SIB1 (SIB2 only,
//! q-RxLevMin at −140 dBm) fires `lte_incomplete_sib1` and `lte_unusual_sib1`; the legitimate
//! SIB1s (SIB3 and SIB5 named, −128 dBm) fire neither.

use std::path::PathBuf;

use serde_json::Value;

use crate::common;

fn scene(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("recordings/scenes")
        .join(name);
    format!("scene:{}", p.display())
}

/// `replay SCENE --tech all`: exit status and every JSON line.
fn replay_all(name: &str) -> (i32, Vec<Value>) {
    let out = common::towerwatch()
        .args(["replay", &scene(name), "--tech", "all"])
        .output()
        .unwrap();
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect();
    (out.status.code().unwrap_or(-1), lines)
}

fn alerts(lines: &[Value]) -> impl Iterator<Item = &Value> {
    lines.iter().filter(|l| l["type"] == "alert")
}

fn has(a: &Value, detector: &str) -> bool {
    a["signatures"]
        .as_array()
        .is_some_and(|s| s.iter().any(|s| s["detector"] == detector))
}

/// PCIs of the `lte_cells` summary line.
fn lte_pcis(lines: &[Value]) -> Vec<u64> {
    let mut v: Vec<u64> = lines
        .iter()
        .filter(|l| l["type"] == "lte_cells")
        .flat_map(|l| l["cells"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["latest"]["pci"].as_u64())
        .collect();
    v.sort_unstable();
    v
}

/// Stream time the fake GSM cell switches on (`on_s` of `fake-bts` in the scene).
const GSM_ON_S: f64 = 5.0;

#[test]
fn the_downgrade_blaster_scene_raises_one_high_alert_naming_both_cells() {
    let (code, lines) = replay_all("downgrade-blaster.toml");
    assert_eq!(code, 10, "exit status");
    let blaster: Vec<&Value> = alerts(&lines)
        .filter(|a| has(a, "downgrade_blaster"))
        .collect();
    assert!(!blaster.is_empty(), "no downgrade_blaster alert");
    let ids: std::collections::BTreeSet<u64> =
        blaster.iter().filter_map(|a| a["id"].as_u64()).collect();
    assert_eq!(ids.len(), 1, "one alert carries the blaster: {ids:?}");
    let first = blaster[0];
    let last = blaster[blaster.len() - 1];
    assert_eq!(last["severity"], "high", "{last:#}");
    assert_eq!(last["cell"]["arfcn"], 794, "the GSM half: {last:#}");
    let lte = serde_json::json!({"lte": {"earfcn": 1750, "pci": 301}});
    assert!(
        last["related"].as_array().is_some_and(|r| r.contains(&lte)),
        "related names the LTE half: {last:#}"
    );
    let t = first["time_s"].as_f64().unwrap();
    println!(
        "downgrade_blaster first at {t:.2} s ({:.2} s after the fake GSM cell switched on)",
        t - GSM_ON_S
    );
    assert!(
        t > GSM_ON_S && t <= GSM_ON_S + 5.0,
        "within 5 s of stream time: {t}"
    );
    // The legitimate cells stay quiet meanwhile (nothing above low on them).
    let loud: Vec<String> = alerts(&lines)
        .filter(|a| !matches!(a["severity"].as_str(), Some("info" | "low")))
        .filter(|a| a["cell"]["arfcn"] != 794 && a["cell"]["lte"]["pci"] != 301)
        .map(|a| format!("{} {}", a["severity"], a["cell"]))
        .collect();
    assert!(loud.is_empty(), "legitimate cells alerted: {loud:?}");
    assert_eq!(lte_pcis(&lines), vec![86, 142, 213, 301]);
    // The fake eNodeB's SIB1 (SIB2 only, q-RxLevMin −140 dBm) fires both SIB1 detectors on it,
    // and on no other cell.
    // Its TAC of its own (7777 among 40101s of 262-01) is the GSM LAC rule's LTE half.
    for d in ["lte_incomplete_sib1", "lte_unusual_sib1", "lac_outlier"] {
        let cells: std::collections::BTreeSet<String> = alerts(&lines)
            .filter(|a| has(a, d))
            .map(|a| match a["cell"]["lte"]["pci"].as_u64() {
                Some(pci) => format!("lte:{pci}"),
                None => format!("gsm:{}", a["cell"]["arfcn"]),
            })
            .collect();
        assert_eq!(
            cells.into_iter().collect::<Vec<_>>(),
            if d == "lac_outlier" {
                // The fake GSM cell's own LAC 7777 too.
                vec!["gsm:794", "lte:301"]
            } else {
                vec!["lte:301"]
            },
            "{d}"
        );
    }
}

#[test]
fn the_same_scene_without_the_blaster_is_quiet() {
    let (code, lines) = replay_all("legit-lte-gsm.toml");
    let loud: Vec<String> = alerts(&lines)
        .filter(|a| a["severity"] != "info")
        .map(|a| format!("{} {} {}", a["severity"], a["cell"], a["summary"]))
        .collect();
    assert!(loud.is_empty(), "{loud:#?}");
    assert_eq!(code, 0);
    // Not a deaf receiver: every eNodeB and every GSM cell was decoded.
    assert_eq!(lte_pcis(&lines), vec![86, 142, 213]);
    // Their SIB1s were decoded (so the SIB1 detectors' silence means something).
    let with_sib1: std::collections::BTreeSet<u64> = lines
        .iter()
        .filter(|l| l["type"] == "lte_cell" && l["sib1"]["tac"] == 40101)
        .filter_map(|l| l["pci"].as_u64())
        .collect();
    assert!(!with_sib1.is_empty(), "no SIB1 decoded");
    let mut arfcns: Vec<u64> = lines
        .iter()
        .filter(|l| l["type"] == "system_info")
        .filter_map(|l| l["arfcn"].as_u64())
        .collect();
    arfcns.sort_unstable();
    arfcns.dedup();
    assert_eq!(arfcns, vec![780, 782, 790, 792]);
}

/// Evidence of the whole blaster: the bundle of the fake GSM cell's alert carries the LTE cells
/// (`lte_cells.json`: EARFCN, PCI, RSRP, MIB and SIB1 hex and fields), sealed in the manifest
/// like every other file; `verify` passes and the HTML report shows them.
#[test]
fn bundles_carry_the_lte_cells_and_the_report_shows_them() {
    let d = tempfile::tempdir().unwrap();
    let parent = d.path().join("ev");
    let out = common::towerwatch()
        .args(["replay", &scene("downgrade-blaster.toml"), "--tech", "all"])
        .arg("--evidence-dir")
        .arg(&parent)
        .arg("-o")
        .arg(d.path().join("obs.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(10));
    let bundles: Vec<PathBuf> = std::fs::read_dir(&parent)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("lte_cells.json").is_file())
        .collect();
    assert!(!bundles.is_empty(), "no bundle with lte_cells.json");
    let b = &bundles[0];
    let rows: Vec<Value> =
        serde_json::from_slice(&std::fs::read(b.join("lte_cells.json")).unwrap()).unwrap();
    let fake = rows
        .iter()
        .find(|r| r["pci"] == 301)
        .expect("the fake eNodeB (PCI 301) in lte_cells.json");
    assert_eq!(fake["earfcn"], 1750);
    assert!(
        fake["mib_hex"].as_str().is_some_and(|h| h.len() == 6),
        "{fake}"
    );
    assert!(
        fake["sib1_hex"].as_str().is_some_and(|h| !h.is_empty()),
        "{fake}"
    );
    assert!(fake["sib1"]["tac"].as_u64().is_some(), "{fake}");
    let manifest = std::fs::read_to_string(b.join("manifest.json")).unwrap();
    assert!(manifest.contains("lte_cells.json"));
    let v = common::towerwatch().arg("verify").arg(b).output().unwrap();
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stderr)
    );
    let html = d.path().join("r.html");
    let r = common::towerwatch()
        .arg("report")
        .arg(b)
        .arg("-o")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<h3>LTE cells</h3>"));
    assert!(
        page.contains("<td>301</td>"),
        "PCI 301 not in the LTE table"
    );
}

/// `transient_cell` judges LTE cells by the same rule as GSM cells: an eNodeB of the quiet street
/// switched on at 3 s and off at 6 s (thresholds shortened to fit a 10 s scene: silent 2 s,
/// settled after 2 s) is flagged on its EARFCN + PCI; the street as it is raises nothing of the
/// kind.
#[test]
fn a_transient_enodeb_is_flagged_by_the_gsm_rule() {
    let d = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("recordings/scenes/legit-lte-gsm.toml"),
    )
    .unwrap();
    let flash = base.replacen(
        "power_db = -4.0\nfreq_offset_ppm = 0.0\ntiming_offset_s = 0.004",
        "power_db = -4.0\nfreq_offset_ppm = 0.0\ntiming_offset_s = 0.004\non_s = 3.0\noff_s = 6.0",
        1,
    );
    assert_ne!(flash, base, "enb-213's physics not found in the scene");
    let thresholds = d.path().join("det.toml");
    std::fs::write(
        &thresholds,
        "[transient_cell]\nabsence_s = 2.0\nsettle_s = 2.0\n",
    )
    .unwrap();
    let run = |text: &str, name: &str| {
        let p = d.path().join(name);
        std::fs::write(&p, text).unwrap();
        let out = common::towerwatch()
            .args(["replay", &format!("scene:{}", p.display()), "--tech", "lte"])
            .arg("--detectors")
            .arg(&thresholds)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|l| l["type"] == "alert" && has(l, "transient_cell"))
            .collect::<Vec<Value>>()
    };
    let flagged = run(&flash, "flash.toml");
    assert!(
        flagged.iter().any(|a| a["cell"]["lte"]["pci"] == 213),
        "{flagged:#?}"
    );
    assert!(
        flagged.iter().all(|a| a["cell"]["lte"]["pci"] == 213),
        "{flagged:#?}"
    );
    assert!(run(&base, "street.toml").is_empty());
}
