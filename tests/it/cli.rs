//! The real binary: exit codes, one-line errors on bad input, and results on real recordings.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `towerwatch verify` passes on the SigMF pair `meta`; returns its sample count (`info`).
fn verified_total_samples(meta: &Path) -> u64 {
    let ok = towerwatch(&["verify", meta.to_str().unwrap()]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let info = towerwatch(&["info", "--json", meta.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    v["source"]["total_samples"].as_u64().unwrap()
}

fn towerwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_towerwatch"))
        .args(args)
        .output()
        .expect("run towerwatch")
}

fn shared_recordings() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/recordings");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipping: ../shared/recordings absent");
        None
    }
}

/// Assert a failed run: exit code 2, a single line on stderr naming `file` and containing `problem`.
fn assert_bad(out: &Output, file: &str, problem: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "exit code; stderr: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected, got: {err}"
    );
    assert!(err.contains(file), "error should name {file}: {err}");
    assert!(err.contains(problem), "error should say '{problem}': {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_inputs_give_one_line_errors_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    let s = |p: &PathBuf| p.to_str().unwrap().to_string();

    // Odd byte count in a raw cs16 file.
    std::fs::write(d("odd_941M_2048k.cs16"), [0u8; 4001]).unwrap();
    let out = towerwatch(&["spectrum", &s(&d("odd_941M_2048k.cs16"))]);
    assert_bad(&out, "odd_941M_2048k.cs16", "not a whole number of 4-byte");

    // Empty file.
    std::fs::write(d("empty_941M_2048k.cu8"), []).unwrap();
    let out = towerwatch(&["replay", &s(&d("empty_941M_2048k.cu8"))]);
    assert_bad(&out, "empty_941M_2048k.cu8", "empty");

    // SigMF metadata whose data file is missing.
    let meta = r#"{"global":{"core:datatype":"cf32_le","core:sample_rate":1e6,"core:version":"1.2.0"},"captures":[{"core:sample_start":0,"core:frequency":941e6}],"annotations":[]}"#;
    std::fs::write(d("nodata.sigmf-meta"), meta).unwrap();
    let out = towerwatch(&["info", &s(&d("nodata.sigmf-meta"))]);
    assert_bad(&out, "nodata.sigmf-data", "missing");

    // Unknown datatype.
    std::fs::write(d("weird.sigmf-meta"), meta.replace("cf32_le", "cf128_le")).unwrap();
    std::fs::write(d("weird.sigmf-data"), [0u8; 64]).unwrap();
    let out = towerwatch(&["spectrum", &s(&d("weird.sigmf-meta"))]);
    assert_bad(
        &out,
        "weird.sigmf-meta",
        "unknown or unsupported datatype 'cf128_le'",
    );

    // WAV with three channels.
    let spec = hound::WavSpec {
        channels: 3,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(d("three.wav"), spec).unwrap();
    for i in 0..300 {
        w.write_sample(i as i16).unwrap();
    }
    w.finalize().unwrap();
    let out = towerwatch(&["spectrum", &s(&d("three.wav"))]);
    assert_bad(&out, "three.wav", "3 channel");

    // Hash mismatch: record, then change one byte of the data.
    let base = d("rec");
    let out = towerwatch(&[
        "record",
        "synth:rate=1e6,freq=941e6,tone=100e3@-6,noise=-40,seconds=0.05",
        "-o",
        &s(&base),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data = d("rec.sigmf-data");
    let ok = towerwatch(&["verify", &s(&data)]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let mut bytes = std::fs::read(&data).unwrap();
    bytes[1234] ^= 0x40;
    std::fs::write(&data, bytes).unwrap();
    let out = towerwatch(&["verify", &s(&data)]);
    assert_bad(&out, "rec.sigmf-data", "SHA-512 mismatch");
    let out = towerwatch(&["replay", "--check-hash", &s(&d("rec.sigmf-meta"))]);
    assert_bad(&out, "rec.sigmf-data", "SHA-512 mismatch");

    // Hardware profile with an unknown key.
    let prof = Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware-profiles/hackrf-one.toml");
    let text = std::fs::read_to_string(prof).unwrap();
    std::fs::write(d("typo.toml"), format!("frequency_ppm = 3\n{text}")).unwrap();
    let out = towerwatch(&["profiles", &s(&d("typo.toml"))]);
    assert_bad(&out, "typo.toml", "unknown field `frequency_ppm`");

    // Missing file, and a raw file with no rate anywhere.
    let out = towerwatch(&["info", &s(&d("nope.cu8"))]);
    assert_bad(&out, "nope.cu8", "no such file");
    std::fs::write(d("norate.cu8"), [128u8; 1000]).unwrap();
    let out = towerwatch(&["info", &s(&d("norate.cu8"))]);
    assert_bad(&out, "norate.cu8", "sample rate unknown");
}

#[test]
fn spectrum_finds_strongest_channel_on_real_wideband_capture() {
    let Some(rec) = shared_recordings() else {
        return;
    };
    let out = towerwatch(&[
        "spectrum",
        rec.join("gsmsp-937MHz-4M.sigmf-meta").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["strongest_channel"];
    assert_eq!(s["freq_hz"].as_f64(), Some(936.0e6), "{s}");
    assert_eq!(s["arfcn"].as_u64(), Some(5), "{s}");
}

#[test]
fn spectrum_csv_of_a_tone_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("tone_941.0M_2048k.cu8");
    let mut x = vec![num_complex::Complex32::new(0.0, 0.0); 1 << 15];
    towerwatch_dsp::signal::Tone::new(300e3, 2.048e6, 1.0, 0.0).add_to(&mut x);
    let mut bytes = Vec::new();
    towerwatch::source::SampleFormat::Cu8.encode(&x, &mut bytes);
    std::fs::write(&p, bytes).unwrap();
    let out = towerwatch(&["spectrum", p.to_str().unwrap(), "--output-format", "csv"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut best = (0.0, f64::NEG_INFINITY);
    for line in text.lines().skip(1) {
        let (f, p) = line.split_once(',').unwrap();
        let (f, p): (f64, f64) = (f.parse().unwrap(), p.parse().unwrap());
        if p > best.1 {
            best = (f, p);
        }
    }
    assert!((best.0 - 941.3e6).abs() <= 1000.0, "{best:?}");
    assert!(best.1.abs() < 0.5, "{best:?}");
}

#[test]
fn replay_emits_json_lines_with_source_observations_and_summary() {
    let out = towerwatch(&[
        "replay",
        "synth:rate=2.4e6,freq=936e6,tone=0@-10,noise=-50,seconds=2.5",
        "--interval",
        "1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "source");
    let spectra: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["type"] == "spectrum").collect();
    assert_eq!(spectra.len(), 3, "1 s + 1 s + 0.5 s");
    assert_eq!(spectra[2]["time_s"].as_f64(), Some(2.0));
    assert_eq!(spectra[0]["carriers"][0]["freq_hz"].as_f64(), Some(936.0e6));
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "summary");
    assert_eq!(last["source"]["samples_read"].as_u64(), Some(6_000_000));
    assert_eq!(last["source"]["blocks_dropped"].as_u64(), Some(0));
}

#[test]
fn live_commands_explain_how_to_get_soapysdr() {
    if cfg!(feature = "soapy") {
        return;
    }
    let out = towerwatch(&["devices"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--features soapy") && err.contains("libsoapysdr-dev"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn sigint_during_record_leaves_a_valid_hashed_pair() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("interrupted");
    let child = Command::new(env!("CARGO_BIN_EXE_towerwatch"))
        .args([
            "record",
            "synth:rate=100e3,freq=941e6,tone=10e3@-6,noise=-40,realtime=1",
            "-o",
            base.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta = dir.path().join("interrupted.sigmf-meta");
    let n = verified_total_samples(&meta);
    assert!(
        n > 20_000 && n < 200_000,
        "{n} samples after ~0.7 s at 100 kS/s"
    );
}

/// The Quick start's `demo` off a terminal: the SMS blaster's High alert, explained, exit 10.
#[test]
fn demo_as_text_shows_the_blaster_alert() {
    let out = towerwatch(&["demo"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(10),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("cells found:"), "{text}");
    let high = text
        .lines()
        .find(|l| l.contains("HIGH") && l.contains("ARFCN 21"))
        .unwrap_or_else(|| panic!("no high alert on ARFCN 21:\n{text}"));
    // Raised within the 4 s the demo plays.
    let t: f64 = high.split_whitespace().next().unwrap().parse().unwrap();
    assert!(t < 4.0, "{high}");
    assert!(text.contains("ALERT 1 — HIGH"), "{text}");
    assert!(text.contains("next: "), "{text}");
    // The legitimate cells and the blaster, decoded (ARFCN 16 sits at the edge of the 1.2 MS/s
    // band, where the blaster's spill aliases onto it: not decodable, by any receiver).
    for arfcn in [" 17 ", " 18 ", " 19 ", " 20 ", " 21 "] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with("e-gsm900")
                && l.contains(arfcn)
                && l.contains("262-0")),
            "cell {arfcn} missing:\n{text}"
        );
    }
}

/// SIGINT or SIGTERM at a random moment of a recording (from right after start to a few seconds
/// in, across a checkpoint), several times: whenever a metadata file exists, `verify` passes on
/// it; when the signal came before any file was made, there is no half pair either. The delays
/// are drawn from the clock and printed, so a failure names its moment.
#[cfg(unix)]
#[test]
fn sigterm_or_sigint_at_random_moments_leaves_verifiable_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    let mut x = seed | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // Fixed early/late moments plus random ones: 0–1500 ms, and one past the 5 s checkpoint.
    let mut delays = vec![0u64, 5, 40];
    delays.extend((0..4).map(|_| next() % 1500));
    delays.push(5_000 + next() % 800);
    let mut pairs = 0;
    for (i, ms) in delays.into_iter().enumerate() {
        let signal = if i % 2 == 0 { "-TERM" } else { "-INT" };
        let base = dir.path().join(format!("rec{i}"));
        let child = Command::new(env!("CARGO_BIN_EXE_towerwatch"))
            .args([
                "record",
                "synth:rate=200e3,freq=941e6,tone=10e3@-6,noise=-40,realtime=1",
                "-o",
                base.to_str().unwrap(),
            ])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(ms));
        let kill = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let out = child.wait_with_output().unwrap();
        let what = format!("seed {seed}: kill {signal} after {ms} ms");
        let meta = dir.path().join(format!("rec{i}.sigmf-meta"));
        let data = dir.path().join(format!("rec{i}.sigmf-data"));
        if !meta.exists() {
            assert!(
                !data.exists(),
                "{what}: data file without metadata ({:?})",
                out.status
            );
            continue;
        }
        pairs += 1;
        let ok = towerwatch(&["verify", meta.to_str().unwrap()]);
        assert!(
            ok.status.success(),
            "{what}: verify failed: {}\nrecord said: {}",
            String::from_utf8_lossy(&ok.stderr),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(pairs >= 5, "only {pairs} recordings got as far as a file");
}

/// `replay --loop --duration` runs a short input for longer than it lasts, and `--report-every`
/// prints soak lines with the process's resident memory and the queue depths.
#[test]
fn replay_loop_runs_past_the_input_and_reports_memory() {
    let out = towerwatch(&[
        "replay",
        "synth:rate=200e3,freq=941e6,tone=10e3@-6,noise=-40,seconds=0.1",
        "--no-gsm",
        "--loop",
        "--duration",
        "0.55",
        "--report-every",
        "0.0001",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: serde_json::Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "summary")
        .unwrap();
    assert_eq!(
        summary["source"]["samples_read"].as_u64(),
        Some(110_000),
        "0.55 s at 200 kS/s from a 0.1 s input: {summary}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let soak: Vec<serde_json::Value> = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "soak")
        .collect();
    assert!(!soak.is_empty(), "no soak lines: {stderr}");
    let last = soak.last().unwrap();
    assert!(last["rss_kib"].as_u64().unwrap() > 1000, "{last}");
    assert!(last["queue_blocks_max"].as_u64().is_some(), "{last}");
    assert!(
        (last["stream_s"].as_f64().unwrap() - 0.55).abs() < 0.06,
        "{last}"
    );
}

// ---------------------------------------------------------------- write errors (issue 9)

/// Run `towerwatch ARGS` under a file-size limit of `blocks` (`ulimit -f`, RLIMIT_FSIZE): every
/// write past it fails with EFBIG, as on a full disk, without needing root or a small filesystem.
#[cfg(unix)]
fn towerwatch_with_file_size_limit(blocks: u32, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -f {blocks} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_towerwatch"))
        .args(args)
        .output()
        .expect("run towerwatch under sh")
}

/// Disk full while recording: one line naming the data file and the cause, exit 2, no panic, and
/// the samples that reached the disk form a pair `verify` accepts, with whole samples only and a
/// sample count (from the metadata) that matches the data file.
#[cfg(unix)]
#[test]
fn record_hitting_a_file_size_limit_keeps_a_verifiable_pair() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("full");
    let out = towerwatch_with_file_size_limit(
        200,
        &[
            "record",
            "synth:rate=1e6,freq=941e6,tone=100e3@-6,noise=-40,seconds=2",
            "-o",
            base.to_str().unwrap(),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    // Not killed by SIGXFSZ (that would be no exit code at all): the error path ran.
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("full.sigmf-data"), "names the file: {err}");
    assert!(err.contains("File too large"), "says why: {err}");
    assert!(err.contains("verifiable pair"), "{err}");
    let data = dir.path().join("full.sigmf-data");
    let meta = dir.path().join("full.sigmf-meta");
    let len = std::fs::metadata(&data).unwrap().len();
    // 2 s at 1 MS/s as ci16 would be 8 MB; `ulimit -f 200` is 100 or 200 KiB depending on sh.
    assert!(len > 0 && len <= 200 * 1024, "{len} bytes");
    assert_eq!(len % 4, 0, "whole ci16 samples only: {len}");
    eprintln!("kept {len} bytes ({} samples) under ulimit -f 200", len / 4);
    assert_eq!(verified_total_samples(&meta), len / 4);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta).unwrap()).unwrap();
    let last = doc["annotations"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["core:label"], "write error");
    assert_eq!(last["core:sample_start"].as_u64(), Some(len / 4));
}

/// An output path that cannot be created (a path component is a regular file: ENOTDIR; CI runs
/// as root, so a chmod test would not fail there): one line, exit 2, no panic, nothing written.
#[test]
fn record_to_an_unwritable_path_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let base = file.join("sub").join("rec");
    let out = towerwatch(&[
        "record",
        "synth:rate=1e6,freq=941e6,tone=100e3@-6,seconds=0.1",
        "-o",
        base.to_str().unwrap(),
    ]);
    assert_bad(&out, "a-file", "Not a directory");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot create the recording"), "{err}");
    assert_eq!(
        err.matches("Not a directory").count(),
        1,
        "said once: {err}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"not a directory");
}

const TAP_CHILD_ENV: &str = "TOWERWATCH_TAP_CHILD";

/// The dashboard's live recording tap (`r`) under a file-size limit: run in a child process of
/// this test binary started under `ulimit -f`, since the limit must not hit the test harness.
#[cfg(unix)]
#[test]
fn record_tap_write_error_is_reported_and_keeps_a_verifiable_pair() {
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 200 && exec \"$0\" cli::child_record_tap_under_file_size_limit --exact --include-ignored --nocapture")
        .arg(std::env::current_exe().unwrap())
        .env(TAP_CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    eprintln!("{stderr}");
}

#[cfg(unix)]
#[test]
#[ignore = "run by record_tap_write_error_is_reported_and_keeps_a_verifiable_pair under ulimit -f"]
fn child_record_tap_under_file_size_limit() {
    use num_complex::Complex32;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    use towerwatch::pipeline::record::RecordTap;
    use towerwatch::source::SampleFormat;
    use towerwatch::source::sigmf::{HashCheck, WriterMeta, verify};
    if std::env::var_os(TAP_CHILD_ENV).is_none() {
        return;
    }
    // As `towerwatch` itself does at start: without a handler SIGXFSZ kills the process.
    signal_hook::flag::register(
        signal_hook::consts::SIGXFSZ,
        Arc::new(AtomicBool::new(false)),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tap = RecordTap::new(WriterMeta::new(SampleFormat::Cf32Le, 1e6, 938e6));
    let meta = tap.arm(&dir.path().join("tap"), 938e6).unwrap();
    let block: Vec<Complex32> = (0..10_000)
        .map(|i| Complex32::new((i % 100) as f32 / 200.0, 0.25))
        .collect();
    // 10 000 cf32 samples are 80 kB a block; the limit is at most 200 KiB, so the tap must stop
    // by itself long before 100 blocks (8 MB).
    let mut pushed = 0u64;
    while tap.is_armed() && pushed < 100 {
        tap.push(pushed * 10_000, 938e6, &block);
        pushed += 1;
    }
    assert!(!tap.is_armed(), "the write error stopped the tap by itself");
    assert!(!tap.disarm(true), "nothing left to stop");
    // The pair is salvaged on a thread of its own (it re-reads the file): wait for it.
    let t0 = std::time::Instant::now();
    let msg = loop {
        if let Some(r) = tap.take_finished() {
            break r.unwrap_err();
        }
        assert!(t0.elapsed().as_secs() < 30, "no result from the tap");
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert!(msg.contains("tap.sigmf-data"), "{msg}");
    assert!(msg.contains("File too large"), "{msg}");
    assert!(!msg.contains('\n'), "{msg}");
    let len = std::fs::metadata(dir.path().join("tap.sigmf-data"))
        .unwrap()
        .len();
    assert!(len > 0 && len.is_multiple_of(8), "{len}");
    assert!(matches!(verify(&meta).unwrap(), HashCheck::Match(_)));
    let m = towerwatch::source::sigmf::SigmfMeta::load(&meta).unwrap();
    assert_eq!(m.annotations.last().unwrap().sample_start, len / 8);
    eprintln!("tap: {pushed} blocks pushed, {len} bytes kept: {msg}");
}
