//! `towerwatch decode` follows the SDCCH/8 an SMS blaster's Immediate Assignments name and lists
//! what it sends in clear, masked unless `--reveal-identities`; replay JSON never holds the SMS
//! text or an IMSI by default.

use crate::common;
use common::run_ok;
use std::path::Path;

const TEXT: &str = "Your parcel is on hold. Pay 1.99 EUR fee: http://dhl-post.example/p";

fn scene_spec(seconds: f64) -> String {
    let scene = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/scenes/sms-blaster.toml");
    format!("scene:{},seconds={seconds}", scene.display())
}

/// The section of `decode` output about ARFCN `arfcn`.
fn section(text: &str, arfcn: u16) -> String {
    text.split("# ARFCN ")
        .find(|s| s.starts_with(&format!("{arfcn} ")))
        .unwrap_or_else(|| panic!("ARFCN {arfcn} not found:\n{text}"))
        .to_string()
}

/// The SMS text as it appears in an L2 frame: GSM 7-bit packed, so look for the decoded text
/// instead, and for its first packed octets ("Your" → d9 77 5d 0e).
const PACKED_START: &str = "d9 77 5d 0e";

#[test]
fn decode_lists_the_blasters_sdcch_frames_masked_and_clear_when_revealed() {
    let spec = scene_spec(4.0);
    let masked = run_ok(&["decode", &spec]);
    let s = section(&masked, 21);
    for name in [
        "Identity Request",
        "CP-DATA (RP-DATA, SMS-DELIVER)",
        "Channel Release",
        "Location Updating Accept",
    ] {
        assert!(
            s.lines()
                .any(|l| l.contains(" TS1 SDCCH/8 ") && l.contains(name)),
            "{name} missing:\n{s}"
        );
    }
    assert!(s.contains("  dedicated    "), "{s}");
    assert!(s.contains("CP-DATA (RP-DATA, SMS-DELIVER) "), "{s}");
    assert!(!s.contains(PACKED_START), "SMS text leaked:\n{s}");
    // The CP-DATA's first segment shows PD and message type, the rest is masked.
    assert!(s.contains("09 01 ** **"), "{s}");
    // Only the blaster serves its SDCCH in this scene.
    for other in masked.split("# ARFCN ").filter(|s| !s.starts_with("21 ")) {
        assert!(!other.contains("## dedicated"), "{other}");
    }

    let clear = run_ok(&["decode", &spec, "--reveal-identities"]);
    let s = section(&clear, 21);
    assert!(s.contains(PACKED_START), "{s}");
    assert!(s.contains("05 18 01"), "Identity Request frame:\n{s}");
    assert!(s.contains("06 0d 00"), "Channel Release frame:\n{s}");
}

#[test]
fn replay_json_never_holds_the_sms_text_or_an_imsi_unless_revealed() {
    let dir = tempfile::tempdir().unwrap();
    let spec = scene_spec(4.0);
    let out_masked = dir.path().join("masked.jsonl");
    let out_clear = dir.path().join("clear.jsonl");
    for (out, extra) in [
        (&out_masked, None),
        (&out_clear, Some("--reveal-identities")),
    ] {
        let mut args = vec![
            "replay".to_string(),
            spec.clone(),
            "-o".to_string(),
            out.display().to_string(),
        ];
        args.extend(extra.map(str::to_string));
        let o = common::towerwatch().args(&args).output().unwrap();
        assert!(
            o.status.code().is_some_and(|c| c == 0 || c == 10),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let masked = std::fs::read_to_string(&out_masked).unwrap();
    let clear = std::fs::read_to_string(&out_clear).unwrap();
    let dedicated = |t: &str| {
        t.lines()
            .filter(|l| l.contains("\"type\":\"dedicated\""))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert!(!dedicated(&masked).is_empty(), "no dedicated observations");
    // In clear: the text, and the IMSIs the phones gave (IMSI attach, echoed in the UA).
    assert!(clear.contains(TEXT), "text missing in clear output");
    let imsis: Vec<String> = clear
        .lines()
        .filter(|l| l.contains("Location Updating Request"))
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            v["message"]["LocationUpdatingRequest"]["identity"]["Imsi"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert!(!imsis.is_empty(), "no IMSI in clear output");
    // Masked: neither the text (nor a word of it), nor any IMSI, nor the packed text octets.
    assert!(!masked.contains("parcel"), "SMS text leaked");
    assert!(!masked.contains("dhl-post"), "SMS text leaked");
    for imsi in &imsis {
        assert!(!masked.contains(imsi.as_str()), "IMSI {imsi} leaked");
    }
    assert!(!masked.contains(PACKED_START), "packed SMS text leaked");
    assert!(masked.contains("[masked: "), "no masked text marker");
}
