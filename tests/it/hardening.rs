//! Issue 18 (Hardening II): no panic, hang or unbounded growth on crafted or clumsy input, at the
//! command line where the user meets it. Each test is named after the class it pins; every run
//! has a deadline, so a hang fails the test instead of stalling the suite.

use crate::common;

use common::towerwatch;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` with a deadline: a run still going after `secs` is killed and fails the test.
fn run_within(cmd: &mut Command, secs: u64) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let to = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut so, &mut v).ok();
        v
    });
    let te = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut se, &mut v).ok();
        v
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(secs) {
            child.kill().ok();
            child.wait().ok();
            panic!("hang: {cmd:?} still running after {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: to.join().unwrap(),
        stderr: te.join().unwrap(),
    }
}

/// A failed run: exit 2, one line on stderr containing each of `want`, no panic.
fn assert_refused(out: &Output, want: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "exit code; stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected: {err}"
    );
    for w in want {
        assert!(err.contains(w), "stderr should say '{w}': {err}");
    }
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

fn meta_json(rate: &str, freq: &str) -> String {
    format!(
        r#"{{"global":{{"core:datatype":"cu8","core:sample_rate":{rate},"core:version":"1.2.0"}},"captures":[{{"core:sample_start":0,"core:frequency":{freq}}}],"annotations":[]}}"#
    )
}

fn write_pair(dir: &Path, name: &str, meta: &str) -> PathBuf {
    std::fs::write(dir.join(format!("{name}.sigmf-data")), vec![127u8; 40_000]).unwrap();
    let m = dir.join(format!("{name}.sigmf-meta"));
    std::fs::write(&m, meta).unwrap();
    m
}

/// Class 1: absurd sample rates and frequencies, wherever they are declared, are refused at once
/// with one line (before: an endless loop from 9e24, "capacity overflow" panics from 1e21,
/// allocation aborts from 1e16, 2.2 GB at 1e12, a false alert at 1e11).
#[test]
fn class1_absurd_rates_and_frequencies_are_refused_everywhere() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    for rate in [
        "9e24", "1e21", "1e16", "1e12", "1e11", "5e9", "0.5", "1e300",
    ] {
        // --rate on a raw file.
        let raw = dir.join("plain.cu8");
        std::fs::write(&raw, vec![127u8; 40_000]).unwrap();
        let out = run_within(
            towerwatch().args(["replay", "--rate", rate, "--freq", "941e6", &s(&raw)]),
            20,
        );
        assert_eq!(out.status.code(), Some(2), "--rate {rate}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("out of range"));
        // core:sample_rate.
        let m = write_pair(dir, "r", &meta_json(rate, "941e6"));
        for cmd in ["replay", "info", "decode", "spectrum"] {
            let out = run_within(towerwatch().args([cmd, &s(&m)]), 20);
            assert_refused(&out, &["r.sigmf-meta", "sample rate", "out of range"]);
        }
        // synth: and scene: specs.
        let out = run_within(
            towerwatch().args(["replay", &format!("synth:rate={rate},freq=941e6,seconds=1")]),
            20,
        );
        assert_refused(&out, &["out of range"]);
        let scene =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/scenes/legit-quiet.toml");
        let out = run_within(
            towerwatch().args(["replay", &format!("scene:{},rate={rate}", s(&scene))]),
            20,
        );
        assert_refused(&out, &["out of range"]);
        // `synth --rate` never ends before (class 11).
        let out = run_within(
            towerwatch().args([
                "synth",
                &s(&scene),
                "-o",
                &s(&dir.join("o")),
                "--rate",
                rate,
            ]),
            20,
        );
        assert_eq!(out.status.code(), Some(2), "synth --rate {rate}");
        // Name conventions: rtl_433 and gqrx.
        let k = format!("{}", rate.parse::<f64>().unwrap() / 1e3);
        if !k.contains('e') && !k.contains('.') && k.len() < 40 {
            let f = dir.join(format!("g001_941.0M_{k}k.cu8"));
            std::fs::write(&f, vec![127u8; 4000]).unwrap();
            let out = run_within(towerwatch().args(["replay", &s(&f)]), 20);
            assert_refused(&out, &["out of range"]);
        }
    }
    let f = dir.join("gqrx_20240101_120000_941000000_9000000000000000000000000_fc.raw");
    std::fs::write(&f, vec![0u8; 8000]).unwrap();
    assert_refused(
        &run_within(towerwatch().args(["replay", &s(&f)]), 20),
        &["out of range"],
    );
    // Frequencies, gains, ppm.
    for freq in ["-5", "1e12", "NaN", "inf"] {
        let m = write_pair(dir, "f", &meta_json("1e6", freq).replace("NaN", "\"NaN\""));
        let out = run_within(towerwatch().args(["info", &s(&m)]), 20);
        assert_eq!(out.status.code(), Some(2), "frequency {freq}");
    }
    let m = write_pair(dir, "ok", &meta_json("1e6", "941e6"));
    for (flag, v) in [
        ("--gain", "NaN"),
        ("--gain", "1e9"),
        ("--ppm", "1e300"),
        ("--ppm", "-5000"),
        ("--freq", "-1"),
        ("--rate", "inf"),
    ] {
        let out = run_within(towerwatch().args(["replay", flag, v, &s(&m)]), 20);
        assert_eq!(out.status.code(), Some(2), "{flag} {v}");
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
    // The highest accepted rate runs, with bounded memory (2 M samples at 1 GS/s).
    let f = dir.join("g002_941.0M_1000000k.cu8");
    std::fs::write(&f, vec![127u8; 4_000_000]).unwrap();
    let out = run_within(towerwatch().args(["replay", &s(&f)]), 120);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Class 2: a closed pipe ends quietly with 141 (128 + SIGPIPE); a full disk is one line naming
/// standard output and exit 2. Before: panics (exit 101).
#[test]
fn class2_closed_pipe_and_full_disk_on_stdout() {
    let rec = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/legit-quiet.sigmf-meta");
    let listing = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/recordings/vf-call6-arfcn725.bursts.txt");
    let mut cmds: Vec<Vec<String>> = vec![
        vec!["info".into(), s(&rec)],
        vec!["info".into(), "--json".into(), s(&rec)],
        vec!["verify".into(), s(&rec)],
        vec!["decode".into(), s(&rec)],
        vec!["replay".into(), s(&rec)],
        vec!["spectrum".into(), s(&rec)],
        vec!["profiles".into()],
        vec!["detectors".into()],
        vec!["demo".into(), "--json".into()],
    ];
    if listing.exists() {
        cmds.push(vec!["decode-bursts".into(), s(&listing)]);
    }
    for args in &cmds {
        // Closed pipe: the reader goes away before anything is written.
        let mut child = towerwatch()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            matches!(out.status.code(), Some(141) | Some(0) | Some(10)),
            "{args:?}: {:?} {err}",
            out.status
        );
        assert!(
            err.trim().is_empty() || !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
        // Full disk.
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
        let Ok(full) = full else { continue };
        let out = towerwatch()
            .args(args)
            .stdin(Stdio::null())
            .stdout(full)
            .output()
            .unwrap();
        // (demo says what it plays on stderr first: the error is the last line.)
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        let last = err.trim_end().lines().last().unwrap_or("");
        assert!(
            last.contains("standard output") && last.contains("No space left"),
            "{args:?}: {err}"
        );
    }
}

/// Class 3: text inputs are capped and must be regular files; FIFOs and devices are refused at
/// once with one line (before: /dev/zero as metadata grew to out-of-memory, a FIFO hung).
#[test]
fn class3_text_inputs_capped_and_regular_only() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    // /dev/zero as SigMF metadata, through a symlink named like one.
    let meta = dir.join("z.sigmf-meta");
    std::os::unix::fs::symlink("/dev/zero", &meta).unwrap();
    std::fs::write(dir.join("z.sigmf-data"), [0u8; 64]).unwrap();
    for cmd in ["info", "replay", "verify"] {
        let out = run_within(towerwatch().args([cmd, &s(&meta)]), 20);
        assert_refused(&out, &["z.sigmf-meta", "regular file", "character device"]);
    }
    // A FIFO as metadata, scene, profile, baseline, operators, detectors, burst listing.
    let fifo = dir.join("f.sigmf-meta");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::fs::write(dir.join("f.sigmf-data"), [0u8; 64]).unwrap();
    let out = run_within(towerwatch().args(["info", &s(&fifo)]), 20);
    assert_refused(&out, &["f.sigmf-meta", "FIFO"]);
    let fifo2 = dir.join("fifo.toml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo2)
            .status()
            .unwrap()
            .success()
    );
    let rec = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/legit-quiet.sigmf-meta");
    for args in [
        vec![
            "synth".to_string(),
            s(&fifo2),
            "-o".into(),
            s(&dir.join("o")),
        ],
        vec!["profiles".into(), s(&fifo2)],
        vec!["replay".into(), "--baseline".into(), s(&fifo2), s(&rec)],
        vec!["replay".into(), "--operators".into(), s(&fifo2), s(&rec)],
        vec!["replay".into(), "--detectors".into(), s(&fifo2), s(&rec)],
        vec!["decode-bursts".into(), s(&fifo2)],
        vec!["decode-bursts".into(), "/dev/zero".into()],
    ] {
        let out = run_within(towerwatch().args(&args), 20);
        assert_refused(&out, &["regular file"]);
    }
    // Oversized metadata and scene: refused by size, without reading them whole.
    let big = dir.join("big.sigmf-meta");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(17 << 20).unwrap();
    std::fs::write(dir.join("big.sigmf-data"), [0u8; 64]).unwrap();
    let out = run_within(towerwatch().args(["info", &s(&big)]), 20);
    assert_refused(&out, &["big.sigmf-meta", "larger than"]);
    let scene = dir.join("big.toml");
    std::fs::File::create(&scene)
        .unwrap()
        .set_len(5 << 20)
        .unwrap();
    let out = run_within(
        towerwatch().args(["synth", &s(&scene), "-o", &s(&dir.join("o"))]),
        20,
    );
    assert_refused(&out, &["big.toml", "larger than"]);
}

/// Whether process `pid` is gone (or a zombie) within `secs`.
fn gone_within(pid: u32, secs: u64) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(secs) {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Field 3 is the state; Z = zombie (exited, not reaped).
        if stat.is_empty() || stat.split(' ').nth(2) == Some("Z") {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Class 5: the dashboard ends when its terminal goes away — tmux kill-session, and a pty whose
/// master is closed — instead of spinning on EOF forever.
#[test]
fn class5_dashboard_dies_with_its_terminal() {
    let bin = env!("CARGO_BIN_EXE_towerwatch");
    let root = env!("CARGO_MANIFEST_DIR");
    // A pty whose master is closed (python's pty module: no unsafe code of ours).
    let py = format!(
        r#"
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.chdir({root:?})
    os.execv({bin:?}, [{bin:?}, "demo"])
t = time.time()
seen = b""
while time.time() - t < 20 and b"\x1b[" not in seen:
    try:
        seen += os.read(fd, 4096)
    except OSError:
        break
os.close(fd)
t = time.time()
while time.time() - t < 10:
    p, st = os.waitpid(pid, os.WNOHANG)
    if p:
        print("EXITED", st)
        sys.exit(0)
    time.sleep(0.1)
print("STILL RUNNING")
os.kill(pid, 9)
sys.exit(1)
"#
    );
    match Command::new("python3").arg("-c").arg(&py).output() {
        Ok(out) => assert!(
            out.status.success(),
            "dashboard outlived its pty: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => eprintln!("SKIPPED (pty): no python3"),
    }
    // tmux kill-session.
    if !Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("SKIPPED (tmux): tmux is not installed");
        return;
    }
    let sock = format!("towerwatch-hard-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &sock])
            .args(args)
            .output()
            .unwrap()
    };
    let out = tmux(&[
        "new-session",
        "-d",
        "-s",
        "tw",
        "-x",
        "120",
        "-y",
        "40",
        "sh",
        "-c",
        &format!("cd {root} && {bin} demo"),
    ]);
    assert!(out.status.success());
    // The dashboard's pid: the pane's shell's child (or the shell itself after exec).
    std::thread::sleep(Duration::from_secs(3));
    let pane = String::from_utf8_lossy(
        &tmux(&["display-message", "-p", "-t", "tw", "#{pane_pid}"]).stdout,
    )
    .trim()
    .to_string();
    let children =
        std::fs::read_to_string(format!("/proc/{pane}/task/{pane}/children")).unwrap_or_default();
    let pid: u32 = children
        .split_whitespace()
        .next()
        .unwrap_or(&pane)
        .parse()
        .unwrap();
    tmux(&["kill-session", "-t", "tw"]);
    let gone = gone_within(pid, 10);
    let _ = tmux(&["kill-server"]);
    if !gone {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    }
    assert!(
        gone,
        "dashboard (pid {pid}) still running after its tmux session was killed"
    );
}

fn record_small(dir: &Path, name: &str) -> PathBuf {
    let base = dir.join(name);
    let out = towerwatch()
        .args([
            "record",
            "synth:rate=1e6,freq=941e6,tone=100e3@-6,noise=-40,seconds=0.02",
            "-o",
            &s(&base),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join(format!("{name}.sigmf-meta"))
}

/// Class 4: `verify` with a FIFO or a device as the data file answers at once (it hung).
#[test]
fn class4_verify_refuses_fifo_and_device_data() {
    let d = tempfile::tempdir().unwrap();
    let meta = record_small(d.path(), "v");
    let data = d.path().join("v.sigmf-data");
    std::fs::remove_file(&data).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(&data)
            .status()
            .unwrap()
            .success()
    );
    for cmd in [vec!["verify"], vec!["replay", "--check-hash"], vec!["info"]] {
        let mut args: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
        args.push(s(&meta));
        let out = run_within(towerwatch().args(&args), 20);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("FIFO"),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::remove_file(&data).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &data).unwrap();
    let out = run_within(towerwatch().args(["verify", &s(&meta)]), 20);
    assert_refused(&out, &["v.sigmf-data", "character device"]);
}

/// Class 6: outputs are created 0600 even when the file existed with a wider mode, and
/// directories created for them 0700.
#[test]
fn class6_existing_outputs_become_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let rec = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/sms-blaster.sigmf-meta");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let pre = |p: &Path| {
        std::fs::write(p, b"old").unwrap();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
    };
    let jsonl = dir.join("out.jsonl");
    let pcap = dir.join("out.pcap");
    pre(&jsonl);
    pre(&pcap);
    let out = run_within(
        towerwatch().args([
            "replay",
            "--reveal-identities",
            "--seconds",
            "2",
            "-o",
            &s(&jsonl),
            "--pcap",
            &s(&pcap),
            &s(&rec),
        ]),
        120,
    );
    assert!(
        matches!(out.status.code(), Some(0) | Some(10)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&jsonl), 0o600);
    assert_eq!(mode(&pcap), 0o600);
    // synth data and metadata over existing world-readable files, into a new directory.
    let base = dir.join("new/deeper/s");
    let scene = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/scenes/legit-quiet.toml");
    std::fs::create_dir_all(dir.join("x")).unwrap();
    let out = run_within(
        towerwatch().args(["synth", &s(&scene), "--seconds", "0.05", "-o", &s(&base)]),
        120,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&dir.join("new/deeper")), 0o700);
    assert_eq!(mode(&dir.join("new")), 0o700);
    let m = dir.join("new/deeper/s.sigmf-meta");
    let dat = dir.join("new/deeper/s.sigmf-data");
    std::fs::set_permissions(&m, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&dat, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run_within(
        towerwatch().args(["synth", &s(&scene), "--seconds", "0.05", "-o", &s(&base)]),
        120,
    );
    assert!(out.status.success());
    assert_eq!(mode(&m), 0o600);
    assert_eq!(mode(&dat), 0o600);
}

/// An edit applied to a metadata document.
type Edit = Box<dyn Fn(&mut serde_json::Value)>;

/// Class 7: an edited SigMF metadata (rate, frequency, datetime, annotations) fails `verify`
/// and `--check-hash`; `verify` says what it checked; `--check-hash` on a recording without a
/// hash fails unless `--allow-unhashed`.
#[test]
fn class7_metadata_is_verified_and_verify_says_what_it_covers() {
    let d = tempfile::tempdir().unwrap();
    let meta = record_small(d.path(), "m");
    let out = run_within(towerwatch().args(["verify", &s(&meta)]), 30);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("data:      OK"), "{text}");
    assert!(text.contains("metadata:  OK"), "{text}");
    assert!(text.contains("not covered"), "{text}");
    let clean = std::fs::read_to_string(&meta).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&clean).unwrap();
    let edits: Vec<(&str, Edit)> = vec![
        (
            "rate",
            Box::new(|v| v["global"]["core:sample_rate"] = 2e6.into()),
        ),
        (
            "frequency",
            Box::new(|v| v["captures"][0]["core:frequency"] = 942e6.into()),
        ),
        (
            "datetime",
            Box::new(|v| v["captures"][0]["core:datetime"] = "2020-01-01T00:00:00Z".into()),
        ),
        (
            "annotation",
            Box::new(|v| {
                v["annotations"] =
                    serde_json::json!([{"core:sample_start": 5, "core:label": "planted"}])
            }),
        ),
        (
            "hardware",
            Box::new(|v| v["global"]["core:hw"] = "someone else's".into()),
        ),
    ];
    for (what, edit) in edits {
        let mut v = doc.clone();
        edit(&mut v);
        std::fs::write(&meta, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        let out = run_within(towerwatch().args(["verify", &s(&meta)]), 30);
        assert_eq!(out.status.code(), Some(2), "edited {what} passed verify");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("MISMATCH"),
            "{what}"
        );
        let out = run_within(towerwatch().args(["info", "--check-hash", &s(&meta)]), 30);
        assert_eq!(
            out.status.code(),
            Some(2),
            "edited {what} passed --check-hash"
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("changed after recording"));
    }
    // Re-indenting is not an edit: the hash is over the canonical form.
    std::fs::write(&meta, serde_json::to_string(&doc).unwrap()).unwrap();
    assert!(
        run_within(towerwatch().args(["verify", &s(&meta)]), 30)
            .status
            .success()
    );
    // No hash at all: verify fails and says so; --check-hash fails unless told otherwise.
    let mut v = doc.clone();
    v["global"].as_object_mut().unwrap().remove("core:sha512");
    v["global"]
        .as_object_mut()
        .unwrap()
        .remove("towerwatch:meta_sha512");
    std::fs::write(&meta, serde_json::to_string(&v).unwrap()).unwrap();
    let out = run_within(towerwatch().args(["verify", &s(&meta)]), 30);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("NOT VERIFIED"));
    let out = run_within(towerwatch().args(["info", "--check-hash", &s(&meta)]), 30);
    assert_refused(&out, &["no core:sha512", "--allow-unhashed"]);
    let out = run_within(
        towerwatch().args(["info", "--check-hash", "--allow-unhashed", &s(&meta)]),
        30,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A recording from another tool (data hash, no metadata hash): OK for the data, and the
    // metadata is named as not verified.
    let rec = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/legit-quiet.sigmf-meta");
    let out = run_within(towerwatch().args(["verify", &s(&rec)]), 60);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("metadata:  NOT VERIFIED"), "{text}");
}

/// Class 8: control characters from files never reach the terminal raw.
#[test]
fn class8_terminal_escapes_from_files_are_escaped() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let evil = "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}";
    let mut meta: serde_json::Value = serde_json::from_str(&meta_json("1e6", "941e6")).unwrap();
    meta["global"]["core:hw"] = evil.into();
    meta["global"]["core:description"] = evil.into();
    meta["annotations"] =
        serde_json::json!([{"core:sample_start": 0, "core:label": evil, "core:comment": evil}]);
    let m = write_pair(dir, "e", &meta.to_string());
    let out = run_within(towerwatch().args(["info", &s(&m)]), 20);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(text.contains("\\x1b[2J"), "{text}");
    // A profile named with escapes.
    let prof = Path::new(env!("CARGO_MANIFEST_DIR")).join("hardware-profiles/hackrf-one.toml");
    let t = std::fs::read_to_string(prof).unwrap();
    let mut lines: Vec<String> = t.lines().map(String::from).collect();
    for l in &mut lines {
        if l.starts_with("name") {
            *l = "name = \"\\u001b[2J\\u001b]0;pwned\\u0007\"".into();
        }
    }
    let p = dir.join("evil.toml");
    std::fs::write(&p, lines.join("\n")).unwrap();
    let out = run_within(towerwatch().args(["profiles", &s(&p)]), 20);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains('\u{1b}') && !all.contains('\u{7}'), "{all:?}");
    // Errors quoting a file name or content with escapes.
    let bad = dir.join("\u{1b}]0;x\u{7}.sigmf-meta");
    std::fs::write(&bad, "{").unwrap();
    let out = run_within(towerwatch().args(["info", &s(&bad)]), 20);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
}

/// Class 9: inputs that used to be accepted and silently give nothing are refused; an
/// interrupted run does not exit 0; demo's modes agree on the alert status.
#[test]
fn class9_bad_values_refused_and_exit_codes_consistent() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    // WAV with a 0 Hz rate (written by hand: hound will not write one).
    let w = dir.join("zero.wav");
    let data = vec![0u8; 8000];
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&2u16.to_le_bytes()); // channels
    b.extend_from_slice(&0u32.to_le_bytes()); // sample rate 0
    b.extend_from_slice(&0u32.to_le_bytes()); // byte rate
    b.extend_from_slice(&4u16.to_le_bytes()); // block align
    b.extend_from_slice(&16u16.to_le_bytes()); // bits
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&data);
    std::fs::write(&w, b).unwrap();
    let out = run_within(towerwatch().args(["replay", &s(&w)]), 20);
    assert_refused(&out, &["zero.wav", "sample rate 0", "out of range"]);
    let rec = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/legit-quiet.sigmf-meta");
    for args in [
        vec!["replay", "--interval", "1e-9"],
        vec!["replay", "--interval", "1e9"],
        vec![
            "replay",
            "--evidence-dir",
            "ev",
            "--evidence-memory-mib",
            "0",
        ],
        vec!["replay", "--profile", "nosuch"],
        vec!["replay", "--gain", "NaN"],
        vec!["replay", "--ppm", "1e300"],
    ] {
        let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        a.push(s(&rec));
        let out = run_within(towerwatch().current_dir(dir).args(&a), 30);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{a:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // demo: every non-dashboard mode exits 10 on the SMS blaster (the frame listing runs no
    // detectors: it is a listing, documented as exit 0).
    for mode in ["--text", "--json"] {
        let out = run_within(towerwatch().args(["demo", mode]), 300);
        assert_eq!(
            out.status.code(),
            Some(10),
            "demo {mode}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // An interrupted replay exits 130, its summary saying it stopped.
    let mut child = towerwatch()
        .args(["replay", "--realtime", &s(&rec)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"stopped\":true"));
}

/// Class 10: errors say what is wrong, once.
#[test]
fn class10_errors_name_the_real_problem() {
    use std::os::unix::ffi::OsStrExt;
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    // A SigMF pair whose name is not UTF-8.
    let base = dir.join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    let out = towerwatch()
        .args([
            std::ffi::OsStr::new("record"),
            std::ffi::OsStr::new("synth:rate=1e6,freq=941e6,seconds=0.01"),
            std::ffi::OsStr::new("-o"),
            base.as_os_str(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut meta = base.clone().into_os_string();
    meta.push(".sigmf-meta");
    let out = run_within(towerwatch().arg("info").arg(&meta), 20);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A symlink loop.
    let l = dir.join("loop.cu8");
    std::os::unix::fs::symlink(&l, &l).unwrap();
    let out = run_within(towerwatch().args(["info", "--rate", "1e6", &s(&l)]), 20);
    assert_refused(&out, &["loop.cu8", "symbolic links"]);
    // SigMF values of the wrong type.
    let m = write_pair(dir, "nan", &meta_json("\"NaN\"", "941e6"));
    assert_refused(
        &run_within(towerwatch().args(["info", &s(&m)]), 20),
        &["core:sample_rate \"NaN\" is not a number"],
    );
    let m = write_pair(
        dir,
        "neg",
        &meta_json("1e6", "941e6").replace("\"core:sample_start\":0", "\"core:sample_start\":-5"),
    );
    assert_refused(
        &run_within(towerwatch().args(["info", &s(&m)]), 20),
        &["core:sample_start -5 is not a whole number"],
    );
    // WAV problems say which.
    let w = dir.join("short.wav");
    std::fs::write(&w, b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00").unwrap();
    let out = run_within(towerwatch().args(["info", &s(&w)]), 20);
    assert_refused(&out, &["short.wav", "truncated WAV"]);
    // --tui without a terminal.
    let rec = Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/legit-quiet.sigmf-meta");
    let out = run_within(towerwatch().args(["replay", "--tui", &s(&rec)]), 20);
    assert_refused(&out, &["needs a terminal"]);
    // Write errors of -o name the file.
    if let Ok(full) = std::fs::metadata("/dev/full") {
        let _ = full;
        let out = run_within(
            towerwatch().args(["replay", "-o", "/dev/full", &s(&rec)]),
            60,
        );
        assert_refused(&out, &["/dev/full", "No space left"]);
    }
    // A scene error names the file once.
    let sc = dir.join("bad-scene.toml");
    std::fs::write(&sc, "[scene]\nname = 3\n").unwrap();
    let out = run_within(
        towerwatch().args(["synth", &s(&sc), "-o", &s(&dir.join("o"))]),
        20,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("bad-scene.toml").count(), 1, "{err}");
}

/// Class 11: SIGTERM during `synth` leaves a hashed, verifiable pair (and exit 130).
#[test]
fn class11_synth_interrupted_leaves_a_hashed_pair() {
    let d = tempfile::tempdir().unwrap();
    let scene =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/scenes/legit-neighbourhood.toml");
    let base = d.path().join("long");
    let mut child = towerwatch()
        .args(["synth", &s(&scene), "--seconds", "600", "-o", &s(&base)])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let data = d.path().join("long.sigmf-data");
    let t0 = Instant::now();
    while std::fs::metadata(&data).map_or(0, |m| m.len()) < 1_000_000
        && t0.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() && t0.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = run_within(
        towerwatch().args(["verify", &s(&d.path().join("long.sigmf-meta"))]),
        60,
    );
    assert!(
        v.status.success(),
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}
