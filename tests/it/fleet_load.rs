//! Hub load: 50 simulated sensors publish alert events and cell readings to a real mosquitto as
//! fast as QoS 1 allows; the hub's throughput, the latency from publish to the fused line (p50,
//! p99) and its peak memory are printed. Ignored by default (about a minute of two cores):
//! `cargo test --test it fleet_load -- --ignored --nocapture`.

use crate::fleet::{Broker, lines, start_hub};
use rumqttc::{Client, MqttOptions, QoS};
use serde_json::json;
use std::time::{Duration, Instant};
use towerwatch::locate::{Enu, path_loss_db};

const SENSORS: usize = 50;
const ROUNDS: u64 = 200;
const CARRIERS: u16 = 8;

fn unix_now_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// One simulated sensor: each round, a reading of every carrier and an alert event about the
/// rogue (ARFCN 21); waits for every PUBACK.
fn sensor(port: u16, i: usize, round_every: Duration) {
    let id = format!("load{i:02}");
    let mut o = MqttOptions::new(format!("towerwatch-{id}"), "127.0.0.1", port);
    o.set_keep_alive(Duration::from_secs(10));
    let (client, mut conn) = Client::new(o, 256);
    let enu = Enu::new(52.52, 13.405);
    let (x, y) = ((i % 10) as f64 * 200.0, (i / 10) as f64 * 200.0);
    let (lat, lon) = enu.to_latlon(x, y);
    let d = ((x - 900.0).powi(2) + (y - 400.0).powi(2)).sqrt();
    let publisher = std::thread::spawn(move || {
        let mut msg_id = 0u64;
        let start = Instant::now();
        for round in 0..ROUNDS {
            // Paced runs: round r starts at r × round_every (a burst when zero).
            let due = start + round_every * round as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            for arfcn in 15..15 + CARRIERS {
                msg_id += 1;
                let p = if arfcn == 21 {
                    -10.0 - path_loss_db(d, 3.0)
                } else {
                    -40.0
                };
                let cell = json!({"type": "cell", "schema": 1, "time_s": round,
                    "cell": {"band": "e-gsm900", "arfcn": arfcn}, "power_dbfs": p,
                    "position": {"lat_deg": lat, "lon_deg": lon},
                    "sensor": id, "epoch": 1, "msg_id": msg_id});
                client
                    .publish(
                        format!("towerwatch/v1/{id}/cells"),
                        QoS::AtLeastOnce,
                        false,
                        cell.to_string(),
                    )
                    .unwrap();
            }
            msg_id += 1;
            // time_s carries the publish time (Unix s) so the hub's line gives the latency.
            let alert = json!({"type": "alert", "event": if round == 0 { "raised" } else { "updated" },
                "id": 1, "time_s": unix_now_s(), "raised_s": 0.0, "severity": "high",
                "score": 4.0 + round as f64 * 0.01, "cell": {"band": "e-gsm900", "arfcn": 21, "bsic": 42},
                "summary": "load", "signatures": [], "advice": "",
                "position": {"lat_deg": lat, "lon_deg": lon},
                "sensor": id, "epoch": 1, "msg_id": msg_id});
            client
                .publish(
                    format!("towerwatch/v1/{id}/alerts"),
                    QoS::AtLeastOnce,
                    false,
                    alert.to_string(),
                )
                .unwrap();
        }
        client.disconnect().unwrap();
    });
    // Until the broker closes the connection after our DISCONNECT: rumqttc reports the
    // DISCONNECT when it is queued, before the writes ahead of it are flushed.
    for ev in conn.iter() {
        if ev.is_err() {
            break;
        }
    }
    publisher.join().unwrap();
}

fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[test]
#[ignore = "load benchmark: run by hand with --ignored --nocapture"]
fn fleet_load_fifty_sensors() {
    load(Duration::ZERO);
}

/// The same at about 5000 messages/s (50 sensors × 9 messages every 90 ms), below what the hub
/// takes: the latency is then the hub's own, not a backlog's.
#[test]
#[ignore = "load benchmark: run by hand with --ignored --nocapture"]
fn fleet_load_paced_latency() {
    load(Duration::from_millis(90));
}

fn load(round_every: Duration) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let broker = Broker::start(d, "allow_anonymous true\nmax_queued_messages 100000");
    let mut hub = start_hub(
        d,
        &broker.url(None),
        &["--idle-exit", "3", "--duration", "600"],
    );
    let pid = hub.0.as_ref().unwrap().id();
    let t0 = Instant::now();
    let port = broker.port;
    let threads: Vec<_> = (0..SENSORS)
        .map(|i| std::thread::spawn(move || sensor(port, i, round_every)))
        .collect();
    let mut peak = 0;
    while threads.iter().any(|t| !t.is_finished()) {
        peak = peak.max(rss_kib(pid).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(100));
    }
    for t in threads {
        t.join().unwrap();
    }
    let publish_s = t0.elapsed().as_secs_f64();
    while hub.0.as_mut().unwrap().try_wait().unwrap().is_none() {
        peak = peak.max(rss_kib(pid).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(100));
    }
    hub.wait(Duration::from_secs(5));
    let out = lines(&d.join("hub.jsonl"));
    let mut lat_ms: Vec<f64> = out
        .iter()
        .filter(|l| l["type"] == "sensor_alert")
        .map(|l| 1000.0 * (l["time_unix_s"].as_f64().unwrap() - l["time_s"].as_f64().unwrap()))
        .collect();
    lat_ms.sort_by(f64::total_cmp);
    let q = |p: f64| lat_ms[((lat_ms.len() - 1) as f64 * p).round() as usize];
    let summary = out.iter().find(|l| l["type"] == "hub_summary").unwrap();
    let expected = SENSORS as u64 * ROUNDS * (u64::from(CARRIERS) + 1);
    eprintln!(
        "load ({round_every:?} between rounds): {SENSORS} sensors, {expected} messages published in {publish_s:.1} s; hub {}; \
         publish→fused latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; hub peak RSS {} KiB",
        summary["report"],
        q(0.5),
        q(0.99),
        q(1.0),
        peak
    );
    let log = std::fs::read_to_string(d.join("mosquitto.log")).unwrap_or_default();
    for l in log
        .lines()
        .filter(|l| l.contains("dropped") || l.contains("rror"))
        .take(5)
    {
        eprintln!("broker: {l}");
    }
    let c = &summary["report"]["counters"];
    assert_eq!(
        c["alerts"].as_u64().unwrap() + c["cells"].as_u64().unwrap(),
        expected,
        "{summary}"
    );
    let fleet: Vec<_> = out.iter().filter(|l| l["type"] == "fleet_alert").collect();
    assert_eq!(
        fleet.last().unwrap()["sensors"].as_array().unwrap().len(),
        SENSORS
    );
}
