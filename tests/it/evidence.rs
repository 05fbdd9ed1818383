//! Evidence bundles and reports, end to end on the SMS-blaster recording: a bundle made by
//! `replay --evidence-dir` verifies; one flipped byte in any file makes `verify` fail naming that
//! file; missing and extra files are named; `evidence --alert` bundles one alert; identities are
//! masked unless asked for; the HTML report is self-contained with its pictures, and (when
//! Chromium is installed) renders them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn blaster() -> PathBuf {
    root().join("recordings/sms-blaster.sigmf-meta")
}

fn towerwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_towerwatch"))
        .args(args)
        .output()
        .expect("run towerwatch")
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// The single bundle directory under `parent`.
fn only_bundle(parent: &Path) -> PathBuf {
    let v: Vec<PathBuf> = std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(v.len(), 1, "{v:?}");
    v.into_iter().next().unwrap()
}

/// Replay the SMS-blaster recording with `--evidence-dir parent`; returns the bundle.
fn replay_bundle(parent: &Path, extra: &[&str]) -> PathBuf {
    let obs = parent.with_extension("jsonl");
    let mut args = vec![
        "replay".to_string(),
        s(&blaster()),
        "--evidence-dir".into(),
        s(parent),
        "-o".into(),
        s(&obs),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = towerwatch(&args);
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    let b = only_bundle(parent);
    let log = std::fs::read_to_string(&obs).unwrap();
    let line = log
        .lines()
        .find(|l| l.starts_with("{\"alert_id\"") || l.contains("\"type\":\"evidence\""))
        .expect("an evidence line in the replay output");
    assert!(line.contains(&s(&b)), "{line}");
    b
}

const FILES: [&str; 8] = [
    "manifest.json",
    "iq.sigmf-meta",
    "iq.sigmf-data",
    "frames.pcap",
    "alert.json",
    "cells.json",
    "spectrum.json",
    "track.json",
];

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// Assert `verify` fails with one line on stderr naming `file` and `what`, and that no other
/// file is blamed (a changed manifest may also make the file whose hash it changed mismatch).
fn assert_verify_fails(bundle: &Path, file: &str, what: &str) {
    let out = towerwatch(&["verify", &s(bundle)]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{file}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("{what}: {file}")),
        "expected '{what}: {file}' in: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let listing = stdout(&out);
    let bad: Vec<&str> = listing.lines().filter(|l| !l.starts_with("OK ")).collect();
    assert!(bad[0].contains(file), "{listing}");
    if file != "manifest.json" {
        assert_eq!(bad.len(), 1, "exactly one file should fail: {listing}");
    } else {
        assert!(bad.len() <= 2, "{listing}");
    }
}

#[test]
fn replay_bundle_verifies_and_any_flipped_byte_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().join("ev");
    let b = replay_bundle(&parent, &[]);
    let name = b.file_name().unwrap().to_string_lossy().to_string();
    assert!(name.starts_with("evidence-1-"), "{name}");

    // Exactly the documented files, owner-only.
    let mut present: Vec<String> = std::fs::read_dir(&b)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    present.sort();
    let mut want: Vec<String> = FILES.iter().map(|f| f.to_string()).collect();
    want.sort();
    assert_eq!(present, want);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&b), 0o700);
        for f in FILES {
            assert_eq!(mode(&b.join(f)), 0o600, "{f}");
        }
    }

    // The clip is the recording itself (10 s pre-trigger covers all 1.74 s), byte for byte.
    let src = std::fs::read(root().join("recordings/sms-blaster.sigmf-data")).unwrap();
    assert_eq!(std::fs::read(b.join("iq.sigmf-data")).unwrap(), src);
    let meta = json(&b.join("iq.sigmf-meta"));
    assert_eq!(meta["global"]["core:datatype"], "ci8");
    assert_eq!(meta["global"]["towerwatch:alert_id"], 1);
    let anns = meta["annotations"].as_array().unwrap();
    for label in ["FCCH", "SCH", "alert 1 high"] {
        assert!(
            anns.iter().any(|a| a["core:label"] == label),
            "no {label} annotation"
        );
    }
    assert!(
        anns.iter().any(|a| a["core:label"]
            .as_str()
            .unwrap_or("")
            .starts_with("BCCH SI3")),
        "no SI3 block annotated"
    );
    // Annotations are of the alerted cell (ARFCN 21, 939.2 MHz) only.
    assert!(anns.iter().all(|a| a["core:freq_lower_edge"].is_null()
        || a["core:freq_lower_edge"].as_f64() == Some(939.1e6)));

    let m = json(&b.join("manifest.json"));
    assert_eq!(m["software"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["trigger"]["severity"], "high");
    assert_eq!(m["alert"]["id"], 1);
    assert!(m["position"].is_null());
    assert!(m["created_utc"].as_str().unwrap().ends_with('Z'));
    assert_eq!(m["clip"]["samples"], 2_088_000);
    assert_eq!(m["files"].as_array().unwrap().len(), FILES.len() - 1);
    let a = json(&b.join("alert.json"));
    assert_eq!(a["alert"]["severity"], "high");
    assert!(a["alert"]["signatures"].as_array().unwrap().len() >= 5);
    assert!(a["history"].as_array().unwrap().len() >= 3);
    let cells = json(&b.join("cells.json"));
    let alerted: Vec<_> = cells
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["alerted"] == true)
        .collect();
    assert_eq!(alerted.len(), 1);
    assert_eq!(alerted[0]["arfcn"], 21);
    assert_eq!(alerted[0]["cro_db"], 60);

    let ok = towerwatch(&["verify", &s(&b)]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("all 8 files match"), "{}", stdout(&ok));
    // The manifest path works too, and the clip's own SHA-512 holds.
    let ok = towerwatch(&["verify", &s(&b.join("manifest.json"))]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let ok = towerwatch(&["verify", &s(&b.join("iq.sigmf-meta"))]);
    assert!(ok.status.success(), "{}", stderr(&ok));

    // One flipped byte in each file in turn (middle, first and last byte).
    for f in FILES {
        let p = b.join(f);
        let orig = std::fs::read(&p).unwrap();
        for at in [orig.len() / 2, 0, orig.len() - 1] {
            let mut bytes = orig.clone();
            bytes[at] ^= 0x01;
            std::fs::write(&p, &bytes).unwrap();
            assert_verify_fails(&b, f, "changed");
        }
        std::fs::write(&p, &orig).unwrap();
    }
    let ok = towerwatch(&["verify", &s(&b)]);
    assert!(ok.status.success(), "{}", stderr(&ok));
}

#[test]
fn missing_and_extra_files_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let b = replay_bundle(&tmp.path().join("ev"), &["--pre-trigger", "0.5"]);
    let m = json(&b.join("manifest.json"));
    assert_eq!(m["clip"]["requested_pre_trigger_s"], 0.5);
    assert!((m["clip"]["pre_trigger_s"].as_f64().unwrap() - 0.5).abs() < 1e-3);
    let pcap = std::fs::read(b.join("frames.pcap")).unwrap();
    std::fs::remove_file(b.join("frames.pcap")).unwrap();
    assert_verify_fails(&b, "frames.pcap", "missing");
    std::fs::write(b.join("frames.pcap"), &pcap).unwrap();
    std::fs::write(b.join("notes.txt"), "added later").unwrap();
    assert_verify_fails(&b, "notes.txt", "extra");
    std::fs::remove_file(b.join("notes.txt")).unwrap();
    assert!(towerwatch(&["verify", &s(&b)]).status.success());
    // Not a bundle at all: one-line error, exit 2.
    let out = towerwatch(&["verify", &s(tmp.path())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("manifest.json"), "{}", stderr(&out));
}

#[test]
fn evidence_command_bundles_one_alert_and_names_unknown_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = towerwatch(&[
        "evidence",
        &s(&blaster()),
        "--alert",
        "1",
        "--severity",
        "medium",
        "-o",
        &s(&out_dir),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let b = only_bundle(&out_dir);
    assert_eq!(stdout(&out).trim(), s(&b));
    let m = json(&b.join("manifest.json"));
    assert_eq!(m["trigger"]["severity"], "medium");
    assert_eq!(m["trigger"]["automatic"], true);
    assert!(towerwatch(&["verify", &s(&b)]).status.success());

    let out = towerwatch(&[
        "evidence",
        &s(&blaster()),
        "--alert",
        "7",
        "-o",
        &s(&out_dir),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("alert 7 was not raised (alerts raised: 1)"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let legit = root().join("recordings/legit-quiet.sigmf-meta");
    let out = towerwatch(&["evidence", &s(&legit), "--alert", "1", "-o", &s(&out_dir)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("(alerts raised: none)"),
        "{}",
        stderr(&out)
    );
    // No new bundle from the failed runs.
    only_bundle(&out_dir);
}

#[test]
fn identities_masked_unless_revealed() {
    use towerwatch::sink::gsmtap::mask_identities;
    let tmp = tempfile::tempdir().unwrap();
    let masked = replay_bundle(&tmp.path().join("m"), &[]);
    let clear = replay_bundle(&tmp.path().join("c"), &["--reveal-identities"]);
    let frames = |b: &Path| {
        towerwatch::report::parse_pcap(&std::fs::read(b.join("frames.pcap")).unwrap()).unwrap()
    };
    let (fm, fc) = (frames(&masked), frames(&clear));
    assert_eq!(fm.len(), fc.len());
    assert!(fm.len() > 100);
    assert!(fm.iter().all(|f| mask_identities(&f.frame) == f.frame));
    let revealed = fc
        .iter()
        .filter(|f| mask_identities(&f.frame) != f.frame)
        .count();
    assert!(revealed > 0, "the recording pages identities");
    assert_eq!(
        json(&clear.join("manifest.json"))["identities"],
        "revealed (--reveal-identities)"
    );
    // The report masks them again unless --reveal-identities.
    let html = tmp.path().join("r.html");
    assert!(
        towerwatch(&["report", &s(&clear), "-o", &s(&html)])
            .status
            .success()
    );
    let text = std::fs::read_to_string(&html).unwrap();
    let one = fc
        .iter()
        .find(|f| mask_identities(&f.frame) != f.frame)
        .unwrap();
    let hex: String = one.frame.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!text.contains(&hex), "clear identity in the masked report");
    assert!(
        towerwatch(&["report", &s(&clear), "-o", &s(&html), "--reveal-identities"])
            .status
            .success()
    );
    assert!(std::fs::read_to_string(&html).unwrap().contains(&hex));
}

/// The report of a bundle, and the same HTML with every picture removed.
fn report_of(b: &Path, html: &Path) -> String {
    let out = towerwatch(&["report", &s(b), "-o", &s(html)]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::read_to_string(html).unwrap()
}

#[test]
fn report_is_one_self_contained_html_file_with_pictures() {
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().join("ev");
    let b = replay_bundle(&parent, &[]);
    let html = tmp.path().join("report.html");
    let text = report_of(&b, &html);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&html).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert!(text.starts_with("<!DOCTYPE html>"));
    assert!(text.matches("<svg").count() >= 2, "spectrum and waterfall");
    assert!(text.contains("aria-label=\"spectrum\"") && text.contains("<polyline"));
    assert!(
        text.contains("aria-label=\"waterfall\"")
            && text.contains("data:image/png;base64,iVBORw0KGgo")
    );
    assert!(text.contains("Integrity: every file matches"));
    assert!(text.contains("No GPS positions"));
    for sig in [
        "clock_error",
        "aggressive_reselection",
        "short_lu_timer",
        "registration_storm",
    ] {
        assert!(text.contains(sig), "{sig}");
    }
    assert!(
        text.contains("fires when &gt; 25"),
        "thresholds in plain words"
    );
    assert!(text.contains("known false positives"));
    assert!(
        text.contains("class=\"alerted\""),
        "the cell next to its neighbours"
    );
    assert!(text.contains("manifest_sha256"));
    // Self-contained: nothing fetched from anywhere.
    for bad in ["src=\"http", "href=\"http", "<script", "<link", "url("] {
        assert!(!text.contains(bad), "{bad}");
    }

    // A session (directory of bundles) works too; a damaged bundle gets a red banner naming
    // the file; something else is a one-line error.
    let data = b.join("spectrum.json");
    let mut bytes = std::fs::read(&data).unwrap();
    bytes[10] ^= 0x01;
    std::fs::write(&data, bytes).unwrap();
    let out = towerwatch(&["report", &s(&parent), "-o", &s(&html)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.contains("does NOT match its manifest"));
    assert!(text.contains("CHANGED  spectrum.json"));
    let out = towerwatch(&["report", &s(&blaster()), "-o", &s(&html)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not an evidence bundle"),
        "{}",
        stderr(&out)
    );
}

fn screenshot(chromium: &Path, html: &Path, png: &Path, profile: &Path) {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1200,2000")
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("run chromium");
    assert!(
        png.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// (width, height) of a PNG.
fn png_size(b: &[u8]) -> (u32, u32) {
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n");
    let be = |o: usize| u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    (be(16), be(20))
}

#[test]
fn report_renders_in_headless_chromium() {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        eprintln!("SKIP: /usr/bin/chromium not installed (apt-get install -y chromium)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let b = replay_bundle(&tmp.path().join("ev"), &[]);
    let html = tmp.path().join("report.html");
    let text = report_of(&b, &html);
    // The same page with its pictures blanked (empty SVGs of the same size).
    let mut bare = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("<svg") {
        bare.push_str(&rest[..i]);
        let end = rest[i..].find("</svg>").map_or(rest.len(), |j| i + j + 6);
        let open_end = rest[i..].find('>').map_or(i, |j| i + j + 1);
        bare.push_str(&rest[i..open_end]);
        bare.push_str("</svg>");
        rest = &rest[end..];
    }
    bare.push_str(rest);
    let bare_html = tmp.path().join("bare.html");
    std::fs::write(&bare_html, bare).unwrap();
    // And with only the waterfall's PNG broken.
    let no_png = text.replace("base64,iVBORw0KGgo", "base64,broken");
    assert_ne!(no_png, text);
    let no_png_html = tmp.path().join("no-png.html");
    std::fs::write(&no_png_html, no_png).unwrap();
    let shot = |html: &Path, name: &str| {
        let png = tmp.path().join(format!("{name}.png"));
        screenshot(chromium, html, &png, &tmp.path().join(name));
        std::fs::read(&png).unwrap()
    };
    let full = shot(&html, "full");
    let without_png = shot(&no_png_html, "without-png");
    let blank = shot(&bare_html, "blank");
    assert_eq!(png_size(&full), (1200, 2000));
    // Pictures are what does not compress on the page: the waterfall image alone adds about
    // 100 kB to the screenshot, the spectrum trace and axes about 60 kB (measured: 424 kB full,
    // 320 kB with a broken waterfall image, 256 kB with every picture blank).
    let sizes = format!(
        "full {} B, broken waterfall {} B, no pictures {} B",
        full.len(),
        without_png.len(),
        blank.len()
    );
    assert!(full.len() > without_png.len() + 50_000, "{sizes}");
    assert!(without_png.len() > blank.len() + 20_000, "{sizes}");
    eprintln!("chromium screenshots: {sizes}");
    let png = tmp.path().join("full.png");
    if let Ok(keep) = std::env::var("TOWERWATCH_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
}

#[test]
fn library_export_for_the_dashboard() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    use towerwatch::evidence::{EvidenceConfig, Recorder, export_alert, verify_bundle};
    use towerwatch::pipeline::gsm::GsmStageConfig;
    use towerwatch::pipeline::{Event, Pipeline, PipelineConfig, SpectrumStageConfig};
    let tmp = tempfile::tempdir().unwrap();
    let src = towerwatch::source::open_file(&blaster(), &Default::default()).unwrap();
    let mut cfg = EvidenceConfig::new(tmp.path().join("unused"));
    cfg.auto_severity = None; // only on request, like the dashboard's `e`
    cfg.pre_trigger_s = 0.3;
    let mut rec = Recorder::new(cfg, src.info());
    let mut engine = towerwatch::alert::setup::engine(&Default::default())
        .unwrap()
        .unwrap();
    let pcfg = PipelineConfig {
        taps: vec![rec.ring()],
        ..PipelineConfig::default()
    };
    let p = Pipeline::start(
        src,
        &pcfg,
        SpectrumStageConfig::default(),
        Some(GsmStageConfig::default()),
        Arc::new(AtomicBool::new(false)),
    )
    .unwrap();
    for ev in p.events.iter() {
        if let Event::Observation(o) = ev {
            rec.observe(&o);
            for a in engine.observe(&o) {
                rec.on_alert(&a);
            }
        }
    }
    p.finish().unwrap();
    assert!(rec.finish(&engine.registry).unwrap().is_empty());
    assert!(export_alert(&rec, &engine.registry, 99, tmp.path()).is_err());
    let dash = tmp.path().join("dash");
    let b = export_alert(&rec, &engine.registry, 1, &dash).unwrap();
    assert!(b.dir.starts_with(&dash));
    assert!(verify_bundle(&b.dir).unwrap().ok());
    // Exported around the alert's latest event: 0.3 s before it, up to the end of the stream
    // after it (less than the 2 s post-trigger).
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["trigger"]["automatic"], false);
    assert!(
        (m["clip"]["pre_trigger_s"].as_f64().unwrap() - 0.3).abs() < 1e-3,
        "{m}"
    );
    assert!(
        (m["clip"]["end_s"].as_f64().unwrap() - 1.74).abs() < 1e-3,
        "{m}"
    );
    assert!(b.clip_s > 0.3 && b.clip_s < 2.3, "{}", b.clip_s);
    // A second export makes a second directory, never overwriting the first.
    let b2 = export_alert(&rec, &engine.registry, 1, &dash).unwrap();
    assert_ne!(b.dir, b2.dir);
}
