//! `towerwatch scan --tech lte`: a virtual tuner at 1.92 MS/s sweeps every band-3 EARFCN between
//! 1858.5 and 1861.5 MHz over a generated multi-EARFCN scene
//! (`recordings/scenes/lte-three-earfcns.toml`: four cells on EARFCNs 1740, 1750, 1750, 1760) and
//! lists every cell once, on its own EARFCN (not also on the neighbouring EARFCNs it is heard
//! from 100 kHz off), with no alert.

use std::path::PathBuf;

use serde_json::Value;

use crate::common;

fn scene() -> String {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("recordings/scenes/lte-three-earfcns.toml");
    format!("scene:{}", p.display())
}

#[test]
fn an_lte_sweep_finds_every_cell_on_its_own_earfcn() {
    let out = common::towerwatch()
        .args([
            "scan",
            "--tech",
            "lte",
            "--band",
            "3",
            "--from",
            "1858.5e6",
            "--to",
            "1861.5e6",
            "--json",
            &scene(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["earfcns"], 31);
    assert_eq!(doc["steps_visited"], 31);
    let mut cells: Vec<(u64, u64)> = doc["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["latest"]["earfcn"].as_u64().unwrap(),
                c["latest"]["pci"].as_u64().unwrap(),
            )
        })
        .collect();
    cells.sort_unstable();
    assert_eq!(
        cells,
        vec![(1740, 11), (1750, 86), (1750, 142), (1760, 300)]
    );
    // Each on its channel: the offset is the receiver's own 1.5 ppm error, not 100 kHz.
    for c in doc["cells"].as_array().unwrap() {
        let ppm = c["latest"]["freq_offset_ppm"].as_f64().unwrap();
        assert!((ppm + 1.5).abs() < 0.1, "{c}");
    }
    assert_eq!(doc["alerts"].as_array().map(Vec::len), Some(0), "{doc:#}");
}

#[test]
fn an_lte_sweep_names_its_band_and_refuses_gsm_names() {
    let out = common::towerwatch()
        .args(["scan", "--tech", "lte", "--band", "egsm", &scene()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("unknown LTE band 'egsm'"), "{e}");
    let out = common::towerwatch()
        .args(["scan", "--tech", "all", "--band", "3", &scene()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("one technology at a time"));
}
