//! `towerwatch decode --tech lte` on the real LTE captures of `../shared/recordings/lte` (skipped
//! with a message when that folder is absent): opened without flags (LTE-Cell-Scanner names),
//! cells listed with a MIB whose CRC passed, nothing on the noise-only capture.

use std::path::{Path, PathBuf};
use std::process::Command;

fn lte_dir() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/recordings/lte");
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipping: {} absent", p.display());
        None
    }
}

fn decode(file: &Path, json: bool) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_towerwatch"));
    c.args(["decode", "--tech", "lte"]).arg(file);
    if json {
        c.arg("--json");
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn lte_cells_and_mibs_of_the_real_captures() {
    let Some(dir) = lte_dir() else { return };
    // (file, PCI, duplex, bandwidth in PRB) of cells whose MIB decodes (dsp/tests/lte_real.rs).
    let want = [
        ("f1860_s1.92_g0_1s_rtlsdr1.bin", 142, "FDD", 100),
        ("f1860_s1.92_g0_1s_rtlsdr1.bin", 86, "FDD", 100),
        ("f2645_s1.92_g0_1s_rtlsdr.bin", 22, "TDD", 100),
        ("f796_s1.92_bw1.2_0.08s_rtlsdr.bin", 360, "FDD", 50),
        ("f2585_s19.2_bw20_0.08s_hackrf_home.bin", 144, "TDD", 100),
    ];
    for (file, pci, duplex, prb) in want {
        let text = decode(&dir.join(file), false);
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("PCI {pci} ")))
            .unwrap_or_else(|| panic!("{file}: PCI {pci} missing:\n{text}"));
        assert!(line.contains(duplex), "{line}");
        assert!(
            line.contains("normal CP") && line.contains("RSRP"),
            "{line}"
        );
        assert!(
            text.contains(&format!("MIB  bandwidth {prb} PRB")),
            "{file}:\n{text}"
        );
        let doc: serde_json::Value = serde_json::from_str(&decode(&dir.join(file), true)).unwrap();
        let cell = doc["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["pci"] == pci)
            .unwrap_or_else(|| panic!("{file}: PCI {pci} not in the JSON"));
        assert_eq!(cell["mib"]["bandwidth_prb"], prb);
        assert_eq!(cell["mib"]["antenna_ports"], 2);
        assert_eq!(cell["mib"]["bits"].as_str().unwrap().len(), 24);
    }
}

#[test]
fn noise_only_capture_lists_no_lte_cell() {
    let Some(dir) = lte_dir() else { return };
    let text = decode(&dir.join("f2646_s1.92_noise_hackrf.bin"), false);
    assert!(text.contains("no cell (no MIB decoded)"), "{text}");
    assert!(!text.contains("PCI "), "{text}");
}

#[test]
fn lte_decode_refuses_a_rate_below_1_92_msps() {
    let out = Command::new(env!("CARGO_BIN_EXE_towerwatch"))
        .args(["decode", "--tech", "lte"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/legit-quiet.sigmf-meta"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("below the 1.92 MS/s"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// SIB1 under each cell of the full-band captures (its CRC-24A passing): the values of
/// dsp/tests/lte_real.rs, in text and JSON; a 1.92 MS/s capture says why there is none.
#[test]
fn sib1_of_the_full_band_captures() {
    let Some(dir) = lte_dir() else { return };
    let text = decode(&dir.join("f2585_s19.2_bw20_0.08s_hackrf_home.bin"), false);
    assert!(
        text.contains("SIB1 PLMN 460-00  TAC 4589 (0x11ED)  cell identity 20712707"),
        "{text}"
    );
    assert!(
        text.contains("band 38  TDD configuration 2 special subframe 7"),
        "{text}"
    );
    let text = decode(&dir.join("f1867.5_s19.2_bw20_0.08s_hackrf_home.bin"), false);
    for id in [26814001, 25592113] {
        assert!(
            text.contains(&format!(
                "PLMN 460-11  TAC 6354 (0x18D2)  cell identity {id}"
            )),
            "{text}"
        );
    }
    let doc: serde_json::Value = serde_json::from_str(&decode(
        &dir.join("f2585_s19.2_bw20_0.08s_hackrf_home.bin"),
        true,
    ))
    .unwrap();
    let s = &doc["cells"][0]["sib1"];
    assert_eq!(s["decoded"], true);
    assert_eq!(s["fields"]["plmns"][0], "460-00");
    assert_eq!(s["fields"]["tac"], 4589);
    assert_eq!(s["fields"]["cell_identity"], 20712707);
    assert_eq!(s["counters"]["crc_passes"], 3);
    let text = decode(&dir.join("f796_s1.92_bw1.2_0.08s_rtlsdr.bin"), false);
    assert!(
        text.contains("SIB1 not decoded: 1.92 MS/s does not carry the cell's 50 PRB"),
        "{text}"
    );
}
