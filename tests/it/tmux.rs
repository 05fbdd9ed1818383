//! End to end: the real binary's dashboard in a tmux pane (`send-keys`, `capture-pane`). On the
//! demo recording the alert appears, enter opens its details, q exits and the terminal is
//! restored (normal screen, canonical mode back on). Skipped, with a message, without tmux.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }
    fn capture(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "tw"]).stdout).into_owned()
    }
    fn keys(&self, keys: &[&str]) {
        let mut a = vec!["send-keys", "-t", "tw"];
        a.extend_from_slice(keys);
        assert!(self.cmd(&a).status.success());
    }
    fn display(&self, fmt: &str) -> String {
        String::from_utf8_lossy(&self.cmd(&["display-message", "-p", "-t", "tw", fmt]).stdout)
            .trim()
            .to_string()
    }
    /// Wait until the screen satisfies `f`; the last capture either way.
    fn wait_for(&self, what: &str, secs: u64, f: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.capture();
            if f(&s) {
                return s;
            }
            if t0.elapsed() > Duration::from_secs(secs) {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Each test's own tmux server.
static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `demo`: on a terminal it opens the dashboard on the bundled SMS-blaster scene.
fn dashboard_command() -> String {
    format!("{} demo", env!("CARGO_BIN_EXE_towerwatch"))
}

fn start(width: u16, height: u16, no_color: bool) -> Option<Tmux> {
    start_cmd(width, height, no_color, &dashboard_command())
}

fn start_cmd(width: u16, height: u16, no_color: bool, command: &str) -> Option<Tmux> {
    start_in(width, height, no_color, command, &root())
}

fn start_in(width: u16, height: u16, no_color: bool, command: &str, dir: &Path) -> Option<Tmux> {
    if !tmux_available() {
        eprintln!("SKIPPED: tmux is not installed (apt-get install -y tmux)");
        return None;
    }
    if !Path::new(&root().join("recordings/scenes/sms-blaster.toml")).exists() {
        eprintln!("SKIPPED: no demo scene");
        return None;
    }
    let t = Tmux {
        socket: format!(
            "towerwatch-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ),
    };
    let nc = if no_color { "NO_COLOR=1 " } else { "" };
    // After the dashboard exits, show its exit code and whether canonical mode is back (raw mode
    // turns it off), then keep the pane open for the capture.
    let script = format!(
        "cd {} && {nc}{}; echo EXITED $?; stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon'; sleep 60",
        dir.display(),
        command
    );
    let out = t.cmd(&[
        "new-session",
        "-d",
        "-s",
        "tw",
        "-x",
        &width.to_string(),
        "-y",
        &height.to_string(),
        "sh",
        "-c",
        &script,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(t)
}

fn alerts_shown(s: &str) -> bool {
    s.lines()
        .any(|l| l.contains("Alerts (") && !l.contains("Alerts (0)"))
}

#[test]
fn demo_alert_details_quit_restores_the_terminal() {
    let Some(t) = start(100, 30, false) else {
        return;
    };
    let screen = t.wait_for("the dashboard", 60, |s| s.contains("TOWERWATCH"));
    assert_eq!(
        t.display("#{alternate_on}"),
        "1",
        "dashboard on the alternate screen"
    );
    let _ = screen;
    // The demo plays the SMS-blaster scene at real-time pace: the alert comes within seconds.
    let t0 = Instant::now();
    let screen = t.wait_for("the alert", 90, alerts_shown);
    println!(
        "alert on screen {:.1} s after the dashboard appeared:\n{screen}",
        t0.elapsed().as_secs_f64()
    );
    t.keys(&["Tab"]);
    t.keys(&["Enter"]);
    let d = t.wait_for("alert details", 10, |s| {
        s.contains("Alert 1:") && s.contains("Signatures")
    });
    println!("{d}");
    assert!(d.contains("What to do next"), "{d}");
    t.keys(&["Enter"]); // closes the details (a bare Escape followed at once by q reads as Alt-q)
    std::thread::sleep(Duration::from_millis(200));
    t.keys(&["q"]);
    let after = t.wait_for("exit", 20, |s| s.contains("EXITED") && s.contains("icanon"));
    assert!(after.contains("EXITED 0"), "{after}");
    assert!(
        after.lines().any(|l| l.trim() == "icanon"),
        "raw mode left on:\n{after}"
    );
    assert_eq!(
        t.display("#{alternate_on}"),
        "0",
        "back on the normal screen"
    );
    assert_eq!(t.display("#{cursor_flag}"), "1", "cursor shown");
    assert!(
        !after.contains("TOWERWATCH"),
        "dashboard left on screen:\n{after}"
    );
}

#[test]
fn small_terminal_no_color_pause_and_quit() {
    let Some(t) = start(80, 24, true) else {
        return;
    };
    t.wait_for("the dashboard", 60, |s| s.contains("TOWERWATCH"));
    t.keys(&["Space"]);
    let s = t.wait_for("pause", 10, |s| {
        s.contains("PAUSED") || s.contains("■ ended")
    });
    if s.contains("PAUSED") {
        t.keys(&["Space"]);
        t.wait_for("resume", 10, |s| !s.contains("PAUSED"));
    }
    t.keys(&["?"]);
    t.wait_for("help", 10, |s| s.contains("Help"));
    t.keys(&["q"]);
    let after = t.wait_for("exit", 20, |s| s.contains("EXITED"));
    assert!(after.contains("EXITED 0"), "{after}");
    assert_eq!(t.display("#{alternate_on}"), "0");
}

/// `towerwatch scan` on a terminal opens the dashboard: the sweep's steps fill the cell table.
#[test]
fn scan_opens_the_dashboard() {
    let cmd = format!(
        "{} scan recordings/legit-neighbourhood.sigmf-meta --band gsm900 --from 938.2e6 \
         --to 939.2e6 --tuner-rate 600e3 --bandwidth 480e3",
        env!("CARGO_BIN_EXE_towerwatch")
    );
    if !root()
        .join("recordings/legit-neighbourhood.sigmf-meta")
        .exists()
    {
        eprintln!("SKIPPED: no recording");
        return;
    }
    let Some(t) = start_cmd(120, 36, true, &cmd) else {
        return;
    };
    let s = t.wait_for("the scan's cells", 120, |s| {
        s.contains("TOWERWATCH scan p-gsm900") && s.matches(" sync").count() >= 5
    });
    println!("{s}");
    assert!(s.contains("262-01") && s.contains("262-02"), "{s}");
    t.keys(&["q"]);
    let after = t.wait_for("exit", 20, |s| s.contains("EXITED"));
    assert!(after.contains("EXITED 0"), "{after}");
}

/// `e` on the selected alert writes a real evidence bundle (IQ clip, frames, manifest) into the
/// working directory, and `towerwatch verify` accepts it.
#[test]
fn demo_e_exports_a_verified_evidence_bundle() {
    let dir = tempfile::tempdir().unwrap();
    // With a position: the header shows it and the bundle's manifest has it.
    let cmd = format!("{} --position 52.5201,13.405", dashboard_command());
    let Some(t) = start_in(100, 30, true, &cmd, dir.path()) else {
        return;
    };
    t.wait_for("the dashboard", 60, |s| s.contains("TOWERWATCH"));
    t.wait_for("the GPS fix in the header", 10, |s| {
        s.contains("GPS 52.52010,13.40500 FIXED")
    });
    t.wait_for("the alert", 90, alerts_shown);
    t.keys(&["Tab"]);
    t.keys(&["e"]);
    let s = t.wait_for("the export message", 60, |s| {
        s.contains("evidence bundle:") || s.contains("export failed")
    });
    println!("{s}");
    assert!(s.contains("evidence bundle: ./evidence-1-"), "{s}");
    let bundles: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("evidence-1-"))
        })
        .collect();
    assert_eq!(bundles.len(), 1, "{bundles:?}");
    let b = &bundles[0];
    for f in [
        "manifest.json",
        "iq.sigmf-meta",
        "iq.sigmf-data",
        "frames.pcap",
        "alert.json",
    ] {
        assert!(b.join(f).is_file(), "{} missing", f);
    }
    assert!(
        std::fs::metadata(b.join("iq.sigmf-data")).unwrap().len() > 0,
        "empty IQ clip"
    );
    let v = Command::new(env!("CARGO_BIN_EXE_towerwatch"))
        .arg("verify")
        .arg(b)
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "verify failed:\n{}\n{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(b.join("manifest.json")).unwrap()).unwrap();
    assert!(
        (m["position"]["lat_deg"].as_f64().unwrap() - 52.5201).abs() < 1e-9,
        "{m}"
    );
    assert_eq!(m["trigger"]["automatic"], false, "{m}");
    t.keys(&["q"]);
    let after = t.wait_for("exit", 30, |s| s.contains("EXITED"));
    assert!(after.contains("EXITED 0"), "{after}");
}

/// `replay --tui --evidence-dir DIR`: an alert reaching high is bundled by itself (as without
/// --tui), and the footer says where.
#[test]
fn replay_tui_evidence_dir_bundles_automatically() {
    let rec = root().join("recordings/sms-blaster.sigmf-meta");
    if !rec.exists() {
        eprintln!("SKIPPED: no recording");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cmd = format!(
        "{} replay {} --tui --evidence-dir out --post-trigger 0.2",
        env!("CARGO_BIN_EXE_towerwatch"),
        rec.display()
    );
    let Some(t) = start_in(120, 30, true, &cmd, dir.path()) else {
        return;
    };
    let s = t.wait_for("the automatic bundle", 90, |s| {
        s.contains("bundled: out/evidence-") || s.contains("bundle failed")
    });
    println!("{s}");
    assert!(s.contains("alert 1 bundled: out/evidence-1-"), "{s}");
    let b = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("manifest.json").is_file())
        .expect("a bundle");
    let v = Command::new(env!("CARGO_BIN_EXE_towerwatch"))
        .arg("verify")
        .arg(&b)
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    t.keys(&["q"]);
    let after = t.wait_for("exit", 30, |s| s.contains("EXITED"));
    assert!(after.contains("EXITED 0"), "{after}");
}

/// `replay --tech all --tui` on the downgrade-blaster scene: LTE and GSM cells side by side in
/// the cell table (Tech column), the fake GSM cell's alert in the feed, and its details name the
/// related LTE cell.
#[test]
fn replay_tui_shows_lte_and_gsm_cells_side_by_side() {
    let cmd = format!(
        "{} replay scene:recordings/scenes/downgrade-blaster.toml,seconds=8 --tech all --tui \
         --speed 4",
        env!("CARGO_BIN_EXE_towerwatch")
    );
    let Some(t) = start_cmd(160, 48, true, &cmd) else {
        return;
    };
    let s = t.wait_for("GSM rows and the blaster's alert", 180, |s| {
        s.contains("GSM    780") && s.contains("ARFCN 794")
    });
    println!("{s}");
    assert!(s.contains("Tech  Chan"), "{s}");
    // The LTE rows share the table: filtered by technology.
    t.keys(&["/", "l", "t", "e", "Enter"]);
    let s = t.wait_for("LTE rows", 60, |s| {
        s.contains("filter \"lte\"") && s.contains("LTE   1750")
    });
    assert!(
        s.contains(" 301 262-01") && !s.contains("GSM    780"),
        "{s}"
    );
    t.keys(&["/", "Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    // Alerts pane, newest first: find the GSM half's alert and open it.
    t.keys(&["Tab"]);
    let mut found = false;
    'alerts: for _ in 0..6 {
        t.keys(&["Enter"]);
        // The screen redraws a few times a second: give each alert's details a moment.
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(3) {
            if t.capture()
                .contains("Related cells: LTE EARFCN 1750 PCI 301")
            {
                found = true;
                break 'alerts;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        t.keys(&["Escape"]);
        std::thread::sleep(Duration::from_millis(300));
        t.keys(&["Down"]);
    }
    assert!(
        found,
        "no alert names the related LTE cell:\n{}",
        t.capture()
    );
    // Escape alone (a key right after it would read as Alt+key).
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["q"]);
    let after = t.wait_for("exit", 30, |s| s.contains("EXITED"));
    assert!(after.contains("EXITED 0"), "{after}");
}
