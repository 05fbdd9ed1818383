//! Sensor fleets end to end, against a real mosquitto (Debian package `mosquitto`, installed by
//! `.ci/run`) on a free loopback port: no mock of the broker.
//!
//! - three sensors replay the same generated blaster scene from three positions (the blaster's
//!   power at each set by the log-distance model) → one fleet alert listing the three, and a
//!   position estimate whose radius holds the true transmitter;
//! - the broker stops and restarts during a run and a sensor is killed (SIGKILL) and restarted
//!   during the outage → the hub has every alert event exactly once, in order per sensor;
//! - ACL: an anonymous client is refused, and a sensor publishing under another sensor's id
//!   reaches nobody;
//! - without `--mqtt` no link thread runs and no spool is made.

use crate::common::towerwatch;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use towerwatch::locate::{Enu, distance_m, path_loss_db};

const MOSQUITTO: &str = "/usr/sbin/mosquitto";
const LAT0: f64 = 52.5200;
const LON0: f64 = 13.4050;

/// A mosquitto process on a loopback port; killed (by pid) when dropped.
pub(crate) struct Broker {
    child: Option<Child>,
    pub(crate) port: u16,
    conf: PathBuf,
    log: PathBuf,
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn wait_for_port(port: u16, up: bool) {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(10) {
        let ok = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if ok == up {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "port {port} never became {}",
        if up { "open" } else { "closed" }
    );
}

impl Broker {
    /// mosquitto with `extra` config lines, persistence in `dir`.
    pub(crate) fn start(dir: &Path, extra: &str) -> Broker {
        assert!(
            Path::new(MOSQUITTO).exists(),
            "{MOSQUITTO} missing: apt-get install mosquitto (.ci/run does)"
        );
        let port = free_port();
        // Run as root, mosquitto would switch to user `mosquitto`, who cannot read the temp dir.
        let root = std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
        let extra = if root {
            format!("user root\n{extra}")
        } else {
            extra.to_string()
        };
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\npersistence true\npersistence_location {}/\n\
                 log_dest stderr\nlog_type all\n{extra}\n",
                dir.display()
            ),
        )
        .unwrap();
        let mut b = Broker {
            child: None,
            port,
            conf,
            log: dir.join("mosquitto.log"),
        };
        b.restart();
        b
    }

    fn restart(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(MOSQUITTO)
            .arg("-c")
            .arg(&self.conf)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        wait_for_port(self.port, true);
    }

    /// SIGTERM (mosquitto saves its database) and wait for it to exit.
    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            terminate(&c);
            let _ = c.wait();
        }
        wait_for_port(self.port, false);
    }

    pub(crate) fn url(&self, user: Option<&str>) -> String {
        match user {
            Some(u) => format!("mqtt://{u}@127.0.0.1:{}", self.port),
            None => format!("mqtt://127.0.0.1:{}", self.port),
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A towerwatch process killed (by pid) if the test ends before it does.
pub(crate) struct Proc(pub(crate) Option<Child>);

impl Proc {
    pub(crate) fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let t0 = Instant::now();
        let c = self.0.as_mut().unwrap();
        loop {
            if let Some(s) = c.try_wait().unwrap() {
                self.0 = None;
                return s;
            }
            assert!(
                t0.elapsed() < limit,
                "process still running after {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn terminate(c: &Child) {
    Command::new("kill")
        .args(["-TERM", &c.id().to_string()])
        .status()
        .unwrap();
}

/// The hub, writing into `dir`; returns once it has subscribed.
pub(crate) fn start_hub(dir: &Path, url: &str, extra: &[&str]) -> Proc {
    let err = dir.join("hub.err");
    let child = towerwatch()
        .args(["hub", "--mqtt", url, "--out"])
        .arg(dir.join("hub.jsonl"))
        .arg("--geojson")
        .arg(dir.join("hub.geojson"))
        .arg("--report")
        .arg(dir.join("hub.html"))
        .args(extra)
        .stdout(std::fs::File::create(dir.join("hub.txt")).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let hub = Proc(Some(child));
    let t0 = Instant::now();
    while !std::fs::read_to_string(&err)
        .unwrap_or_default()
        .contains("subscribed")
    {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "hub never subscribed: {}",
            std::fs::read_to_string(&err).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    hub
}

pub(crate) fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The SMS-blaster scene with the blaster's power as heard `d_m` from it (n = 3, +19 dB at 100
/// m, so that at the farthest sensor it stays above its lower neighbour, ARFCN 20 at 0 dB).
fn blaster_scene(dir: &Path, name: &str, d_m: f64) -> PathBuf {
    blaster_scene_seeded(dir, name, d_m, 3)
}

/// [`blaster_scene`] with the scene's noise seed.
fn blaster_scene_seeded(dir: &Path, name: &str, d_m: f64, seed: u64) -> PathBuf {
    let root = env!("CARGO_MANIFEST_DIR");
    let text = std::fs::read_to_string(format!("{root}/recordings/scenes/sms-blaster.toml"))
        .unwrap()
        .replacen("\nseed = 3\n", &format!("\nseed = {seed}\n"), 1);
    let at = text
        .rfind("power_db = 6.0")
        .expect("the blaster's power line");
    let power = 19.0 - path_loss_db(d_m, 3.0);
    let text = format!(
        "{}power_db = {power:.2}{}",
        &text[..at],
        &text[at + "power_db = 6.0".len()..]
    );
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, text).unwrap();
    p
}

fn sensor_cmd(scene: &Path, seconds: f64, url: &str, id: &str, spool: &Path) -> Command {
    let mut c = towerwatch();
    c.arg("replay")
        .arg(format!("scene:{},seconds={seconds}", scene.display()))
        .args(["--mqtt", url, "--sensor-id", id, "--mqtt-spool"])
        .arg(spool)
        .env_remove("TOWERWATCH_MQTT_PASSWORD");
    c
}

/// Three fixed sensors around a blaster at `truth_xy` (metres east/north of LAT0, LON0), scene
/// noise `seed`: the hub's last high fleet alert (checked to be the only transmitter and to list
/// the three sensors) and the position error, metres.
fn three_sensor_fix(d: &Path, seed: u64, truth_xy: (f64, f64)) -> (Value, f64) {
    let broker = Broker::start(d, "allow_anonymous true");
    let url = broker.url(None);
    let mut hub = start_hub(d, &url, &["--idle-exit", "3", "--duration", "120"]);
    let enu = Enu::new(LAT0, LON0);
    let (tx_lat, tx_lon) = enu.to_latlon(truth_xy.0, truth_xy.1);
    let sensors = [
        ("north", 0.0, 0.0),
        ("east", 600.0, 0.0),
        ("south", 300.0, 500.0),
    ];
    let mut procs = Vec::new();
    for (id, x, y) in sensors {
        let dist = ((x - truth_xy.0).powi(2) + (y - truth_xy.1).powi(2)).sqrt();
        let scene = blaster_scene_seeded(d, id, dist, seed);
        let (lat, lon) = enu.to_latlon(x, y);
        let child = sensor_cmd(&scene, 3.0, &url, id, &d.join(format!("spool-{id}")))
            .arg("--position")
            .arg(format!("{lat:.7},{lon:.7}"))
            .arg("-o")
            .arg(d.join(format!("{id}.jsonl")))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        procs.push(child);
    }
    for c in procs {
        let out = c.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(10), "{err}");
        assert!(err.contains(" 0 waiting"), "{err}");
    }
    assert!(hub.wait(Duration::from_secs(60)).success());
    let out = lines(&d.join("hub.jsonl"));
    let fleet: Vec<&Value> = out
        .iter()
        .filter(|l| l["type"] == "fleet_alert" && l["severity"] == "high")
        .collect();
    let ids: std::collections::BTreeSet<u64> = fleet
        .iter()
        .map(|l| l["fleet_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "one transmitter, one fleet alert: {fleet:?}");
    let last = (*fleet.last().unwrap()).clone();
    assert_eq!(last["cell"]["arfcn"], 21, "{last}");
    let mut listed: Vec<&str> = last["sensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    listed.sort();
    assert_eq!(listed, ["east", "north", "south"], "{last}");
    let e = &last["estimate"];
    let err_m = distance_m(
        e["lat_deg"].as_f64().unwrap(),
        e["lon_deg"].as_f64().unwrap(),
        tx_lat,
        tx_lon,
    );
    drop(broker);
    (last, err_m)
}

#[test]
fn three_sensors_make_one_located_fleet_alert() {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (last, err_m) = three_sensor_fix(d, 3, (250.0, 150.0));
    let e = &last["estimate"];
    assert_eq!(e["samples"], 3, "{e}");
    let radius = e["radius_m"].as_f64().unwrap();
    eprintln!(
        "fleet position: error {err_m:.0} m, stated radius {radius} m ({}); test took {:.1} s",
        e["method"],
        t0.elapsed().as_secs_f64()
    );
    assert!(
        err_m <= radius,
        "truth {err_m:.0} m away, radius {radius} m: {e}"
    );
    // The GeoJSON has the three sensors and the located transmitter with its circle.
    let g: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("hub.geojson")).unwrap()).unwrap();
    let kinds: Vec<&str> = g["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "sensor").count(),
        3,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"transmitter") && kinds.contains(&"error_circle"));
    let text = std::fs::read_to_string(d.join("hub.txt")).unwrap();
    assert!(text.contains("FLEET #"), "{text}");
    // The blaster is one fused cell heard by the three, each with its power.
    let out = lines(&d.join("hub.jsonl"));
    let summary = out.iter().find(|l| l["type"] == "hub_summary").unwrap();
    let blaster = summary["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cell"]["arfcn"] == 21)
        .unwrap();
    let powers: Vec<f64> = blaster["sensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["power_dbfs"].as_f64().unwrap())
        .collect();
    assert_eq!(powers.len(), 3, "{blaster}");
    // The command post's HTML report: the fleet alert with its three sensors and the estimate,
    // the three sensors and the transmitter on the offline map, the fused cell.
    let page = std::fs::read_to_string(d.join("hub.html")).unwrap();
    assert!(page.contains("<h2>Fleet alerts</h2>"), "{page}");
    assert!(!page.contains("No fleet alert was located."), "{page}");
    assert_eq!(page.matches("<rect ").count(), 3, "{page}");
    assert!(page.contains("fill=\"#f004\""), "no error circle drawn");
    assert!(page.contains("ARFCN 21"), "{page}");
}

/// The position table of docs/fleet.md: 20 seeds, the blaster at a random place within the
/// sensors' triangle. About 3 minutes: `cargo test --test it fleet_positions -- --ignored --nocapture`.
#[test]
#[ignore = "20 runs of three sensors: run by hand"]
fn fleet_positions_over_20_seeds() {
    let mut rng = towerwatch_dsp::signal::Rng::new(2026);
    let mut rows = Vec::new();
    for seed in 1..=20u64 {
        // Uniform in the triangle (0,0), (600,0), (300,500).
        let (mut a, mut b) = (rng.uniform(), rng.uniform());
        if a + b > 1.0 {
            (a, b) = (1.0 - a, 1.0 - b);
        }
        let truth = (600.0 * a + 300.0 * b, 500.0 * b);
        let dir = tempfile::tempdir().unwrap();
        let (last, err_m) = three_sensor_fix(dir.path(), seed, truth);
        let e = &last["estimate"];
        let radius = e["radius_m"].as_f64().unwrap();
        eprintln!(
            "| {seed} | {:.0}, {:.0} | {err_m:.0} | {radius:.0} | {} |",
            truth.0,
            truth.1,
            if err_m <= radius { "yes" } else { "no" }
        );
        rows.push((err_m, radius));
    }
    let mut errs: Vec<f64> = rows.iter().map(|r| r.0).collect();
    errs.sort_by(f64::total_cmp);
    let covered = rows.iter().filter(|(e, r)| e <= r).count();
    let mut radii: Vec<f64> = rows.iter().map(|r| r.1).collect();
    radii.sort_by(f64::total_cmp);
    eprintln!(
        "median error {:.0} m, median radius {:.0} m, radius covers {covered}/20",
        0.5 * (errs[9] + errs[10]),
        0.5 * (radii[9] + radii[10])
    );
    assert!(covered >= 18, "{covered}/20");
}

/// The alert records a spool directory holds: (msg_id, alert id, event).
fn spooled_alerts(spool: &Path) -> Vec<(u64, u64, String)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(spool) else {
        return out; // not made yet
    };
    for e in dir {
        let p = e.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().starts_with("seg-") {
            for l in lines(&p) {
                if l["kind"] == "alerts" {
                    let a = &l["payload"];
                    out.push((
                        l["seq"].as_u64().unwrap(),
                        a["id"].as_u64().unwrap(),
                        a["event"].as_str().unwrap().to_string(),
                    ));
                }
            }
        }
    }
    out.sort();
    out
}

fn hub_alerts(out: &[Value], sensor: &str) -> Vec<(u64, u64, String)> {
    out.iter()
        .filter(|l| l["type"] == "sensor_alert" && l["sensor"] == sensor)
        .map(|l| {
            (
                l["msg_id"].as_u64().unwrap(),
                l["alert_id"].as_u64().unwrap(),
                l["event"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn broker_outage_and_sensor_crash_lose_nothing_and_repeat_nothing() {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut broker = Broker::start(d, "allow_anonymous true");
    let url = broker.url(None);
    let mut hub = start_hub(d, &url, &["--idle-exit", "5", "--duration", "180"]);
    let scene = blaster_scene(d, "scene", 150.0);
    // Sensor "steady" runs paced across the whole outage.
    let steady_spool = d.join("spool-steady");
    let mut steady = Proc(Some(
        sensor_cmd(&scene, 9.0, &url, "steady", &steady_spool)
            .args(["--realtime", "--position", "52.52,13.405", "-o"])
            .arg(d.join("steady.jsonl"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    ));
    std::thread::sleep(Duration::from_secs(2));
    broker.stop();
    // Sensor "crash" starts during the outage, spools its alerts, and is killed (SIGKILL).
    let crash_spool = d.join("spool-crash");
    let crash_cmd = || {
        let mut c = sensor_cmd(&scene, 7.0, &url, "crash", &crash_spool);
        c.args([
            "--realtime",
            "--position",
            "52.521,13.406",
            "--mqtt-linger",
            "20",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        c
    };
    let mut first = Proc(Some(crash_cmd().spawn().unwrap()));
    let t = Instant::now();
    while spooled_alerts(&crash_spool).len() < 2 {
        assert!(t.elapsed() < Duration::from_secs(30), "nothing spooled");
        std::thread::sleep(Duration::from_millis(50));
    }
    first.0.as_mut().unwrap().kill().unwrap();
    first.wait(Duration::from_secs(5));
    let before_crash = spooled_alerts(&crash_spool);
    // Restarted, still during the outage.
    let mut second = Proc(Some(crash_cmd().spawn().unwrap()));
    std::thread::sleep(Duration::from_secs(2));
    let during = spooled_alerts(&crash_spool);
    broker.restart();
    assert!(steady.wait(Duration::from_secs(60)).code() == Some(10));
    assert!(second.wait(Duration::from_secs(60)).code() == Some(10));
    let after = spooled_alerts(&crash_spool);
    assert!(hub.wait(Duration::from_secs(60)).success());
    let out = lines(&d.join("hub.jsonl"));
    // Expected for "crash": every alert record it ever spooled (segments of acknowledged records
    // are deleted, so the union of what was seen at each point).
    let mut expected: Vec<(u64, u64, String)> = before_crash
        .into_iter()
        .chain(during)
        .chain(after)
        .collect();
    expected.sort();
    expected.dedup();
    let got = hub_alerts(&out, "crash");
    assert!(expected.len() >= 4, "two runs' alerts: {expected:?}");
    assert_eq!(got, expected, "crash: every alert event once, in order");
    // "steady": its own JSON lines are the truth.
    let steady_events: Vec<(u64, String)> = lines(&d.join("steady.jsonl"))
        .iter()
        .filter(|l| l["type"] == "alert")
        .map(|l| {
            (
                l["id"].as_u64().unwrap(),
                l["event"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let got: Vec<(u64, String)> = hub_alerts(&out, "steady")
        .into_iter()
        .map(|(_, id, ev)| (id, ev))
        .collect();
    assert!(!steady_events.is_empty());
    assert_eq!(
        got, steady_events,
        "steady: every alert event once, in order"
    );
    let ids: Vec<u64> = hub_alerts(&out, "steady").iter().map(|a| a.0).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let summary = out.iter().find(|l| l["type"] == "hub_summary").unwrap();
    eprintln!(
        "outage test: hub {}; took {:.1} s",
        summary["report"],
        t0.elapsed().as_secs_f64()
    );
    // Both went offline cleanly at the end.
    assert_eq!(summary["sensors"]["crash"]["state"], "offline", "{summary}");
}

#[test]
fn the_broker_refuses_anonymous_clients_and_foreign_sensor_ids() {
    let Ok(st) = Command::new("mosquitto_passwd").arg("-h").output() else {
        panic!("mosquitto_passwd missing: apt-get install mosquitto");
    };
    let _ = st;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pw = d.join("passwd");
    for (i, (user, pass)) in [("hub", "hubpw"), ("s1", "s1pw"), ("s2", "s2pw")]
        .iter()
        .enumerate()
    {
        let mut c = Command::new("mosquitto_passwd");
        c.arg("-b");
        if i == 0 {
            c.arg("-c");
        }
        assert!(c.arg(&pw).args([user, pass]).status().unwrap().success());
    }
    let acl = d.join("acl");
    std::fs::write(
        &acl,
        "user hub\ntopic read towerwatch/v1/#\n\npattern write towerwatch/v1/%u/#\n",
    )
    .unwrap();
    let broker = Broker::start(
        d,
        &format!(
            "allow_anonymous false\npassword_file {}\nacl_file {}",
            pw.display(),
            acl.display()
        ),
    );
    let hubpw = d.join("hub.pw");
    std::fs::write(&hubpw, "hubpw\n").unwrap();
    let mut hub = start_hub(
        d,
        &broker.url(Some("hub")),
        &[
            "--mqtt-password-file",
            hubpw.to_str().unwrap(),
            "--idle-exit",
            "3",
            "--duration",
            "60",
        ],
    );
    let scene = blaster_scene(d, "scene", 150.0);
    // Anonymous: refused; everything stays in its spool.
    let out = sensor_cmd(
        &scene,
        2.0,
        &broker.url(None),
        "anon",
        &d.join("spool-anon"),
    )
    .args(["--mqtt-linger", "2", "-o", "/dev/null"])
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused"), "{err}");
    assert!(!err.contains(" 0 waiting"), "{err}");
    // s2's credentials, publishing as s1: the broker drops it (ACL).
    let out = sensor_cmd(
        &scene,
        2.0,
        &broker.url(Some("s2")),
        "s1",
        &d.join("spool-x"),
    )
    .env("TOWERWATCH_MQTT_PASSWORD", "s2pw")
    .args(["-o", "/dev/null"])
    .output()
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(10),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // s2 as itself: delivered.
    let out = sensor_cmd(
        &scene,
        2.0,
        &broker.url(Some("s2")),
        "s2",
        &d.join("spool-s2"),
    )
    .env("TOWERWATCH_MQTT_PASSWORD", "s2pw")
    .args(["-o", "/dev/null"])
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(" 0 waiting"), "{err}");
    assert!(hub.wait(Duration::from_secs(30)).success());
    let out = lines(&d.join("hub.jsonl"));
    let senders: std::collections::BTreeSet<&str> =
        out.iter().filter_map(|l| l["sensor"].as_str()).collect();
    assert_eq!(senders, ["s2"].into_iter().collect(), "{out:?}");
    assert!(out.iter().any(|l| l["type"] == "sensor_alert"));
    let log = std::fs::read_to_string(&broker.log).unwrap();
    assert!(log.contains("Denied PUBLISH"), "{log}");
}

/// The run's thread names, sampled while it runs.
fn thread_names(pid: u32) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    rd.filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
        .map(|s| s.trim().to_string())
        .collect()
}

#[test]
fn without_mqtt_nothing_connects() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scene = blaster_scene(d, "scene", 150.0);
    let run = |mqtt: bool| {
        let mut c = towerwatch();
        c.arg("replay")
            .arg(format!("scene:{},seconds=2", scene.display()))
            .args(["--realtime", "-o", "/dev/null"])
            .env("HOME", d)
            .env("XDG_DATA_HOME", d.join("data"))
            .env("TOWERWATCH_MQTT_PASSWORD", "x")
            .stderr(Stdio::piped());
        if mqtt {
            // A port nothing listens on: the sensor keeps retrying in its link thread.
            c.args(["--mqtt", &format!("mqtt://127.0.0.1:{}", free_port())])
                .args(["--sensor-id", "t", "--mqtt-linger", "0"]);
        }
        let child = c.spawn().unwrap();
        let pid = child.id();
        let mut seen = Vec::new();
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_millis(1500) {
            seen.extend(thread_names(pid));
            std::thread::sleep(Duration::from_millis(100));
        }
        let out = child.wait_with_output().unwrap();
        (seen, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (threads, err) = run(false);
    assert!(!threads.iter().any(|t| t == "mqtt-link"), "{threads:?}");
    assert!(!err.contains("mqtt"), "{err}");
    assert!(!d.join("data/towerwatch").exists());
    // The check can fail: with --mqtt the link thread is there, and the default spool appears.
    let (threads, _) = run(true);
    assert!(threads.iter().any(|t| t == "mqtt-link"), "{threads:?}");
    assert!(d.join("data/towerwatch/spool/t").is_dir());
}

/// `openssl ARGS` in `dir`, which must succeed.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl CLI (Debian package openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test CA, a server certificate for 127.0.0.1 and a client certificate, in `dir`.
fn make_pki(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=towerwatch test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    for (name, ext) in [
        (
            "server",
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
        ),
        (
            "client",
            "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n",
        ),
    ] {
        std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                &format!("/CN={name}"),
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                &format!("{name}.ext"),
                "-out",
                &format!("{name}.pem"),
            ],
        );
    }
}

#[test]
fn tls_with_a_test_ca_and_client_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_pki(d);
    let p = |f: &str| d.join(f).display().to_string();
    let broker = Broker::start(
        d,
        &format!(
            "allow_anonymous true\ncafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate true",
            p("ca.pem"),
            p("server.pem"),
            p("server.key")
        ),
    );
    let url = format!("mqtts://127.0.0.1:{}", broker.port);
    let tls = [
        "--mqtt-ca".to_string(),
        p("ca.pem"),
        "--mqtt-cert".to_string(),
        p("client.pem"),
        "--mqtt-key".to_string(),
        p("client.key"),
    ];
    let tls: Vec<&str> = tls.iter().map(String::as_str).collect();
    let mut hub_args = vec!["--idle-exit", "3", "--duration", "60"];
    hub_args.extend(&tls);
    let mut hub = start_hub(d, &url, &hub_args);
    let scene = blaster_scene(d, "scene", 150.0);
    let out = sensor_cmd(&scene, 2.0, &url, "tls1", &d.join("spool-tls1"))
        .args(&tls)
        .args(["-o", "/dev/null"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(" 0 waiting"), "{err}");
    // Without the test CA the broker's certificate is not trusted: nothing is sent.
    let out = sensor_cmd(&scene, 1.0, &url, "tls2", &d.join("spool-tls2"))
        .args(["--mqtt-linger", "2", "-o", "/dev/null"])
        .args(&tls[2..])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains(" 0 waiting"), "{err}");
    assert!(
        err.to_lowercase().contains("certificate") || err.contains("TLS"),
        "{err}"
    );
    assert!(hub.wait(Duration::from_secs(30)).success());
    let out = lines(&d.join("hub.jsonl"));
    assert!(
        out.iter()
            .any(|l| l["type"] == "sensor_alert" && l["sensor"] == "tls1"),
        "{out:?}"
    );
    assert!(!out.iter().any(|l| l["sensor"] == "tls2"));
}
