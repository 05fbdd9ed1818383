//! `decode` and `decode-bursts` on the real captures, against gr-gsm's ground truth.

use crate::common;
use common::run_ok;
use std::path::{Path, PathBuf};

fn shared_recordings() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/recordings");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipping: ../shared/recordings absent");
        None
    }
}

/// Truth lines `FN COUNTER:  hex` → (FN, hex).
fn truth(path: &Path) -> Vec<(u32, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let (head, hex) = l.split_once(':').unwrap();
            (
                head.split_whitespace().next().unwrap().parse().unwrap(),
                hex.trim().to_string(),
            )
        })
        .collect()
}

#[test]
fn decode_real_capture_finds_bsic_and_truth_frames() {
    let Some(rec) = shared_recordings() else {
        return;
    };
    let file = rec.join("gsmsp-941.0MHz-500k.sigmf-meta");
    let text = run_ok(&["decode", file.to_str().unwrap(), "--reveal-identities"]);
    assert!(text.contains("BSIC         32 (NCC 4, BCC 0)"), "{text}");
    let frames: Vec<(u32, String)> = text
        .lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(|l| {
            let (head, rest) = l.split_once(':').unwrap();
            let hex = rest.split("   [").next().unwrap().trim().to_string();
            (
                head.split_whitespace().next().unwrap().parse().unwrap(),
                hex,
            )
        })
        .collect();
    for t in truth(&rec.join("truth/gsmsp-941.0MHz-500k.frames.txt")) {
        assert!(
            frames.contains(&t),
            "missing truth frame {t:?} in {frames:?}"
        );
    }
    // Identities are masked unless asked for.
    let masked = run_ok(&["decode", file.to_str().unwrap()]);
    assert!(
        !masked.contains("05 f4 24 02 81 0b"),
        "TMSI leaked: {masked}"
    );
    // Lengths and tags are structure (kept, as in the masked pcap); the identity octets are not.
    assert!(
        masked.contains("41 06 21 a0 05 ** ** ** ** ** 17 05 ** ** ** ** **"),
        "{masked}"
    );
}

#[test]
fn decode_bursts_reproduces_gr_gsm_frames_and_cell_identity() {
    let Some(rec) = shared_recordings() else {
        return;
    };
    let file = rec.join("vf-call6-arfcn725.bursts.txt");
    let text = run_ok(&[
        "decode-bursts",
        file.to_str().unwrap(),
        "--sdcch8",
        "1",
        "--reveal-identities",
    ]);
    let ts0: Vec<(u32, String)> = text
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|t| t.starts_with("0:"))
        })
        .map(|l| {
            let fn_ = l.split_whitespace().next().unwrap().parse().unwrap();
            let hex = l.split(": ").nth(1).unwrap();
            (fn_, hex.split("   [").next().unwrap().trim().to_string())
        })
        .collect();
    let want = truth(&rec.join("truth/vf-call6-arfcn725.bcch-ts0.frames.txt"));
    assert_eq!(ts0.len(), 399);
    assert_eq!(ts0, want);
    assert!(text.contains("MCC 262 MNC 02 LAC 318 CI 11225"), "{text}");
    assert!(text.contains("CRO 40"), "{text}");
    assert!(text.contains("BSIC 48 (NCC 6 BCC 0) ×199"), "{text}");
    // SI13 (pseudo length 0: `01 06 00 …`), SI2ter and SI2quater are listed, with what they say.
    let si13: Vec<&str> = text.lines().filter(|l| l.ends_with("[SI13]")).collect();
    assert_eq!(si13.len(), 6, "{text}");
    assert!(si13.iter().all(|l| {
        l.contains(": 01 06 00 c0 00 58 47 eb 4a 92 43 40 62 84 eb 2b 2b 2b 2b 2b 2b 2b 2b")
    }));
    assert!(
        text.contains("SI13 6, SI2 5, SI2quater 5, SI2ter 5"),
        "{text}"
    );
    assert!(
        text.contains(
            "  gprs         GPRS RA colour 6, SI13 on BCCH norm; SI13 RAC 1 BCCH_CHANGE_MARK 4 \
             NCO 0 PRIORITY_ACCESS_THR 6; SI2quater index 0 (last 0)"
        ),
        "{text}"
    );
    for (fn_, hex) in truth(&rec.join("truth/vf-call6-arfcn725.sdcch8-ts1.frames.txt")) {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("{fn_} 1:")) && l.contains(&hex)),
            "SDCCH/8 frame {fn_} {hex} missing"
        );
    }
}

#[test]
fn all_cells_of_a_generated_5_cell_scene_at_2_4_msps_are_found_with_their_identities() {
    let scene =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/scenes/legit-neighbourhood.toml");
    let spec = format!("scene:{},seconds=3,rate=2.4e6", scene.display());
    let text = run_ok(&["decode", &spec]);
    for (arfcn, bsic, cell) in [
        (
            16,
            "BSIC         11 (NCC 1, BCC 3)",
            "MCC 262 MNC 01 LAC 4101 CI 10011",
        ),
        (
            17,
            "BSIC         21 (NCC 2, BCC 5)",
            "MCC 262 MNC 02 LAC 5201 CI 20021",
        ),
        (
            18,
            "BSIC         12 (NCC 1, BCC 4)",
            "MCC 262 MNC 01 LAC 4101 CI 10012",
        ),
        (
            19,
            "BSIC         14 (NCC 1, BCC 6)",
            "MCC 262 MNC 01 LAC 4101 CI 10013",
        ),
        (
            20,
            "BSIC         17 (NCC 2, BCC 1)",
            "MCC 262 MNC 02 LAC 5201 CI 20022",
        ),
    ] {
        let section = text
            .split("# ARFCN ")
            .find(|s| s.starts_with(&format!("{arfcn} ")))
            .unwrap_or_else(|| panic!("ARFCN {arfcn} not found:\n{text}"));
        assert!(section.contains(bsic), "ARFCN {arfcn}: {section}");
        assert!(section.contains(cell), "ARFCN {arfcn}: {section}");
    }
}

/// SI13 and SI2ter start with an L2 pseudo length of 0 (`01 06 00 …`, `01 06 03 …`), as the L2
/// fill frame does: they were dropped as fill. Every one decoded from a generated scene must be
/// the very frame the generator sent (SI13 built from the cell's LAC; SI2ter from its list).
#[test]
fn si13_and_si2ter_of_a_generated_scene_are_listed_and_equal_what_was_sent() {
    use towerwatch_dsp::gsm::l3::{Message, Si2ter, Si13, Si13Gprs};
    let scene =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/scenes/legit-neighbourhood.toml");
    let spec = format!("scene:{},seconds=3", scene.display());
    let text = run_ok(&["decode", &spec]);
    let hex = |f: [u8; 23]| {
        f.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (mut si13_seen, mut si2ter_seen) = (0, 0);
    for section in text.split("# ARFCN ").skip(1) {
        let lac: u16 = section
            .split(" LAC ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no LAC in {section}"));
        let want = Message::Si13(Si13 {
            bcch_change_mark: 0,
            si_change_field: 0,
            gprs: Some(Si13Gprs {
                rac: (lac & 0xff) as u8,
                spgc_ccch_sup: false,
                priority_access_thr: 6,
                network_control_order: 0,
            }),
        })
        .build_frame()
        .unwrap();
        for l in section.lines().filter(|l| l.ends_with("[SI13]")) {
            assert!(l.contains(&hex(want)), "{l} (want {})", hex(want));
            si13_seen += 1;
        }
        if section.contains("[SI13]") {
            assert!(
                section.contains(&format!("SI13 RAC {}", lac & 0xff)),
                "{section}"
            );
        }
        // Only telekom-A3 (ARFCN 19) sends SI2ter, with an empty list.
        let si2ter = Message::Si2ter(Si2ter {
            neighbours: Vec::new(),
            multiband_reporting: 0,
            ba_ind: false,
        })
        .build_frame()
        .unwrap();
        assert_eq!(si2ter[0], 0x01);
        for l in section.lines().filter(|l| l.ends_with("[SI2ter]")) {
            assert!(section.starts_with("19 "), "{l}");
            assert!(l.contains(&hex(si2ter)), "{l}");
            si2ter_seen += 1;
        }
    }
    assert!(si13_seen >= 3, "{si13_seen} SI13 frames in\n{text}");
    assert!(si2ter_seen >= 1, "no SI2ter in\n{text}");
}

/// Issue 22: a raw capture without a centre frequency says so instead of a bare "no carrier".
#[test]
fn decode_says_when_the_centre_frequency_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("capture.cu8");
    std::fs::write(&f, vec![128u8; 200_000]).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_towerwatch"))
        .arg("decode")
        .arg(&f)
        .args(["--rate", "1e6"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("centre frequency is unknown"), "{stderr}");
    assert!(stdout.contains("give --freq HZ"), "{stdout}");
}
