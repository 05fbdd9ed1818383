//! `towerwatch replay --tech lte` on the real LTE captures of `../shared/recordings/lte` (skipped
//! with a message when that folder is absent): every capture opens without flags, its cells are
//! listed (JSON lines and text), the noise-only capture lists nothing, and no alert above Low is
//! raised on any of them. `--tech all` leaves the GSM replay of a GSM recording as it was.

use crate::common;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn lte_dir() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/recordings/lte");
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipping: {} absent", p.display());
        None
    }
}

/// (JSON lines, stderr) of `replay ARGS FILE`, which must exit 0 (or 10: an alert was raised).
fn replay(args: &[&str], file: &Path) -> (Vec<Value>, String) {
    let out = common::towerwatch()
        .arg("replay")
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 10)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (lines, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn above_low(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|l| l["type"] == "alert" && l["severity"] != "info" && l["severity"] != "low")
        .collect()
}

#[test]
fn every_shared_lte_capture_replays_without_flags_and_quietly() {
    let Some(dir) = lte_dir() else { return };
    // (file, [(EARFCN, PCI)]) of the cells whose MIB decodes (as `decode --tech lte`).
    let want: &[(&str, &[(u32, u16)])] = &[
        ("f1815.3_s1.92_bw1.2_0.08s_rtlsdr.bin", &[]),
        ("f1860_s1.92_g0_1s_rtlsdr1.bin", &[(1750, 86), (1750, 142)]),
        (
            "f1867.5_s19.2_bw20_0.08s_hackrf_home.bin",
            &[(1825, 48), (1825, 54)],
        ),
        ("f1890_s1.92_bw1.2_1s_hackrf.bin", &[]),
        ("f1890_s19.2_bw20_0.08s_hackrf_home2.bin", &[]),
        ("f2585_s19.2_bw20_0.08s_hackrf_home.bin", &[(37900, 144)]),
        ("f2605_s1.92_g0_1s_rtlsdr.bin", &[(38100, 354)]),
        // A TDD cell at 2645 MHz: band 41, not band 7 (FDD) which also covers the frequency.
        ("f2645_s1.92_g0_1s_rtlsdr.bin", &[(41140, 22)]),
        ("f2646_s1.92_noise_hackrf.bin", &[]),
        ("f796_s1.92_bw1.2_0.08s_rtlsdr.bin", &[(6200, 360)]),
    ];
    for (file, cells) in want {
        let (lines, stderr) = replay(&["--tech", "lte"], &dir.join(file));
        let listed = lines
            .iter()
            .find(|l| l["type"] == "lte_cells")
            .unwrap_or_else(|| panic!("{file}: no lte_cells line"));
        let mut got: Vec<(u32, u16)> = listed["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let o = &c["latest"];
                (
                    o["earfcn"].as_u64().unwrap() as u32,
                    o["pci"].as_u64().unwrap() as u16,
                )
            })
            .collect();
        got.sort_unstable();
        assert_eq!(&got, cells, "{file}");
        let obs: Vec<&Value> = lines.iter().filter(|l| l["type"] == "lte_cell").collect();
        assert_eq!(
            obs.len(),
            cells.len(),
            "{file}: one window, one line per cell"
        );
        for o in &obs {
            assert_eq!(o["mib"]["antenna_ports"], 2, "{file}: {o}");
            assert!(o["rsrp_dbfs"].is_number() && o["freq_offset_ppm"].is_number());
        }
        assert!(
            stderr.contains(&format!("LTE cells: {}", cells.len())),
            "{file}: {stderr}"
        );
        for (earfcn, pci) in *cells {
            assert!(
                stderr.contains(&format!("EARFCN {earfcn} "))
                    && stderr.contains(&format!("PCI {pci} ")),
                "{file}: {stderr}"
            );
        }
        if cells.is_empty() {
            assert!(stderr.contains("no LTE cell"), "{file}: {stderr}");
        }
        let loud = above_low(&lines);
        assert!(loud.is_empty(), "{file}: {loud:?}");
        let summary = lines.last().unwrap();
        assert_eq!(summary["type"], "summary");
        assert_eq!(summary["source"]["lte"]["cells"], cells.len());
    }
}

#[test]
fn tech_all_leaves_a_gsm_replay_as_it_was() {
    let rec = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/sms-blaster.sigmf-meta");
    let (gsm, _) = replay(&[], &rec);
    assert!(
        gsm.iter().any(|l| l["type"] == "alert"),
        "the blaster is seen"
    );
    let (all, stderr) = replay(&["--tech", "all"], &rec);
    // 1.2 MS/s is below an LTE search's rate: GSM only, said on stderr.
    assert!(stderr.contains("GSM only"), "{stderr}");
    assert_eq!(gsm, all);
}

#[test]
fn tech_lte_refuses_a_rate_below_1_92_msps() {
    let rec = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/legit-quiet.sigmf-meta");
    let out = common::towerwatch()
        .args(["replay", "--tech", "lte"])
        .arg(&rec)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("below the 1.92 MS/s"), "{err}");
}

#[test]
fn survey_learns_lte_cells_and_a_cell_outside_the_baseline_is_flagged() {
    let Some(dir) = lte_dir() else { return };
    let tmp = std::env::temp_dir().join(format!("towerwatch-lte-survey-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let base = tmp.join("baseline.toml");
    let home = dir.join("f1860_s1.92_g0_1s_rtlsdr1.bin");
    common::succeed(
        common::towerwatch()
            .args(["survey", "--tech", "lte", "-o"])
            .arg(&base)
            .arg(&home),
    );
    let text = std::fs::read_to_string(&base).unwrap();
    assert_eq!(text.matches("[[lte_cell]]").count(), 2, "{text}");
    assert!(
        text.contains("earfcn = 1750") && text.contains("pci = 142"),
        "{text}"
    );
    let base_arg = base.to_str().unwrap();
    // The surveyed capture: its cells are known.
    let (lines, _) = replay(&["--tech", "lte", "--baseline", base_arg], &home);
    let alerts: Vec<&Value> = lines.iter().filter(|l| l["type"] == "alert").collect();
    assert!(alerts.is_empty(), "{alerts:?}");
    // Another place's cell: not in the baseline, a low signature (alone, an info alert: score 1
    // is below the scorer's low threshold) naming the LTE cell.
    let away = dir.join("f2645_s1.92_g0_1s_rtlsdr.bin");
    let (lines, _) = replay(&["--tech", "lte", "--baseline", base_arg], &away);
    let alerts: Vec<&Value> = lines.iter().filter(|l| l["type"] == "alert").collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = alerts[0];
    assert_eq!(a["severity"], "info", "{a}");
    assert_eq!(a["signatures"][0]["severity"], "low", "{a}");
    assert_eq!(a["cell"]["lte"]["earfcn"], 41140, "{a}");
    assert_eq!(a["cell"]["lte"]["pci"], 22, "{a}");
    assert!(a["cell"].get("arfcn").is_none(), "{a}");
    assert_eq!(a["signatures"][0]["detector"], "lte_not_in_baseline", "{a}");
    // A cell the user marks suspect: any sighting is a High alert.
    common::succeed(
        common::towerwatch()
            .args([
                "baseline",
                "mark",
                "--suspect",
                "lte:1750:142",
                "--baseline",
            ])
            .arg(&base),
    );
    let (lines, _) = replay(&["--tech", "lte", "--baseline", base_arg], &home);
    let alerts: Vec<&Value> = lines.iter().filter(|l| l["type"] == "alert").collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["severity"], "high");
    assert_eq!(alerts[0]["cell"]["lte"]["pci"], 142);
    // A malformed LTE cell is refused with its form.
    let out = common::towerwatch()
        .args(["baseline", "mark", "--good", "lte:1750:504", "--baseline"])
        .arg(&base)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lte:EARFCN:PCI"));
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// The real cells' SIB1s come through the pipeline into the LTE observations (1867.5 MHz:
/// 460-11 TAC 6354; 2585 MHz: 460-00 TAC 4589) and fire neither SIB1 detector.
#[test]
fn real_sib1s_are_observed_and_fire_no_sib1_detector() {
    let Some(dir) = lte_dir() else { return };
    let want: &[(&str, &str, u64, usize)] = &[
        (
            "f1867.5_s19.2_bw20_0.08s_hackrf_home.bin",
            "460-11",
            6354,
            2,
        ),
        ("f2585_s19.2_bw20_0.08s_hackrf_home.bin", "460-00", 4589, 1),
    ];
    for &(file, plmn, tac, n) in want {
        let (lines, _) = replay(&["--tech", "lte"], &dir.join(file));
        let sib1s: Vec<&Value> = lines
            .iter()
            .filter(|l| l["type"] == "lte_cell")
            .filter_map(|l| l.get("sib1"))
            .collect();
        assert_eq!(sib1s.len(), n, "{file}: one SIB1 per cell");
        for s in &sib1s {
            let p = &s["plmns"][0];
            let got = format!("{}-{:02}", p["mcc"], p["mnc"].as_u64().unwrap());
            assert_eq!(
                (got.as_str(), s["tac"].as_u64()),
                (plmn, Some(tac)),
                "{file}"
            );
            assert!(
                s["scheduling"].as_array().unwrap().len() >= 2,
                "{file}: {s}"
            );
        }
        let fired: Vec<&Value> = lines
            .iter()
            .filter(|l| l["type"] == "alert")
            .flat_map(|a| a["signatures"].as_array().cloned().unwrap_or_default())
            .filter(|s| {
                matches!(
                    s["detector"].as_str(),
                    Some("lte_incomplete_sib1" | "lte_unusual_sib1")
                )
            })
            .map(|_| &lines[0])
            .collect();
        assert!(fired.is_empty(), "{file}: a SIB1 detector fired");
        let summary = lines.last().unwrap();
        assert_eq!(summary["source"]["lte"]["sib1_decoded"], n, "{file}");
    }
}
