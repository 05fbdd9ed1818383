//! What a headless run tells the person who started it: a closing summary on stderr (signal,
//! cells, alerts in plain words, where the JSON went) and `replay --text`, a readable alert log.

use crate::common;

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn replay_to_a_file_ends_with_the_alert_in_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.jsonl");
    let out = common::towerwatch()
        .current_dir(root())
        .args(["replay", "recordings/sms-blaster.sigmf-meta", "-o"])
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(10));
    assert!(out.stdout.is_empty(), "JSON went to the file");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("5 cells (5 identified)"), "{err}");
    assert!(err.contains(&format!("→ {}", out_path.display())), "{err}");
    assert!(
        err.contains("1 alert above info: 1 high, 0 medium, 0 low"),
        "{err}"
    );
    assert!(
        err.contains("Likely fake base station on 939.2 MHz (ARFCN 21) — HIGH"),
        "{err}"
    );
    let json = std::fs::read_to_string(&out_path).unwrap();
    assert!(json.lines().any(|l| l.starts_with("{\"type\":\"alert\"")));
}

#[test]
fn a_quiet_recording_says_so() {
    let out = common::towerwatch()
        .current_dir(root())
        .args(["replay", "recordings/legit-neighbourhood.sigmf-meta"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no alert above info"), "{err}");
}

#[test]
fn replay_text_is_a_readable_alert_log_with_the_same_exit_status() {
    let out = common::towerwatch()
        .current_dir(root())
        .args(["replay", "recordings/sms-blaster.sigmf-meta", "--text"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(10));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("{\"type\""), "no JSON in --text:\n{text}");
    assert!(text.contains("alerts as they happen"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("raised") && l.contains("ARFCN 21")),
        "{text}"
    );
    assert!(text.contains("ALERT 1 — HIGH"), "{text}");
    // Evidence values read as people write them.
    assert!(text.contains("ia_per_min = 1560 (>= 300)"), "{text}");
}
