//! `towerwatch hub`: subscribe to every sensor under `<prefix>/v1/+/#`, fuse ([`super::fuse`]),
//! write the fused JSON lines and a GeoJSON, print a readable line per fleet event.
//!
//! The hub asks for a persistent session (clean session off, a fixed client id): while it is
//! disconnected the broker queues the sensors' QoS 1 messages for it. It subscribes again on
//! every connect, so a broker restarted without its database still delivers to it.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, Packet, QoS, RecvTimeoutError};
use serde_json::{Value, json};

use super::fuse::Fusion;
use super::link::{LinkConfig, describe, mqtt_options};
use super::{FleetError, SCHEMA_VERSION, parse_topic};

/// How the hub runs.
pub struct HubConfig {
    /// Broker connection (persistent session).
    pub link: LinkConfig,
    /// Fused JSON lines go here (and nowhere when `None`).
    pub out: Option<PathBuf>,
    /// GeoJSON of sensors and located transmitters, rewritten at most once a second.
    pub geojson: Option<PathBuf>,
    /// HTML report (sensors, fleet alerts, map), written when the hub stops.
    pub report: Option<PathBuf>,
    /// Stop after this many seconds (wall clock).
    pub duration_s: Option<f64>,
    /// Stop once no message came for this many seconds of connection (after the first message;
    /// time without a connection to the broker does not count).
    pub idle_exit_s: Option<f64>,
    /// Print every sensor alert event too, not only fleet alerts and sensor status.
    pub verbose: bool,
    /// Ctrl-C / SIGTERM.
    pub stop: Arc<AtomicBool>,
}

/// What a hub run saw.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HubReport {
    /// Counters.
    pub counters: super::fuse::HubCounters,
    /// Seconds from the first message to the last.
    pub busy_s: f64,
    /// Messages per second over `busy_s`.
    pub messages_per_s: f64,
    /// Connections lost.
    pub connection_failures: u64,
}

fn file_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> FleetError + '_ {
    move |source| FleetError::File {
        path: path.to_path_buf(),
        source,
    }
}

/// A readable line for a fused event (`None`: not shown).
pub fn text_line(v: &Value, verbose: bool) -> Option<String> {
    let cell = |v: &Value| {
        serde_json::from_value::<crate::cells::CellKey>(v["cell"].clone())
            .map_or_else(|_| v["cell"].to_string(), |k| k.to_string())
    };
    match v["type"].as_str()? {
        "sensor_status" => Some(format!(
            "sensor {} {}{}",
            v["sensor"].as_str()?,
            v["state"].as_str()?,
            v["reason"]
                .as_str()
                .map_or(String::new(), |r| format!(" ({r})"))
        )),
        "fleet_alert" => {
            let sensors: Vec<&str> = v["sensors"]
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let at = match v["estimate"].as_object() {
                Some(e) => format!(
                    " — at {:.5},{:.5} ±{:.0} m ({})",
                    e.get("lat_deg")?.as_f64()?,
                    e.get("lon_deg")?.as_f64()?,
                    e.get("radius_m")?.as_f64()?,
                    e.get("method")?.as_str()?
                ),
                None => String::new(),
            };
            Some(format!(
                "FLEET #{} {} {} {} — sensors {}{at}",
                v["fleet_id"],
                v["event"].as_str()?,
                v["severity"].as_str()?.to_uppercase(),
                cell(v),
                if sensors.is_empty() {
                    "(none active)".to_string()
                } else {
                    sensors.join(", ")
                }
            ))
        }
        "sensor_alert" if verbose => Some(format!(
            "  {} #{} {} {} {}",
            v["sensor"].as_str()?,
            v["msg_id"],
            v["event"].as_str()?,
            v["severity"].as_str()?.to_uppercase(),
            cell(v)
        )),
        _ => None,
    }
}

/// Run the hub until stopped; `print` gets each readable line.
pub fn run(cfg: HubConfig, mut print: impl FnMut(&str)) -> Result<HubReport, FleetError> {
    let mut opts = mqtt_options(&cfg.link)?;
    // A message over rumqttc's limit fails the connection, and the broker would deliver it again
    // on every reconnect: take anything the broker takes (docs/fleet.md caps it at 1 MiB there).
    opts.set_max_packet_size(256 << 20, 1 << 20);
    let filter = format!("{}/v{SCHEMA_VERSION}/+/#", cfg.link.url.prefix);
    let mut out: Out = match &cfg.out {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p).map_err(file_err(p))?,
        )),
        None => None,
    };
    let (client, mut conn) = Client::new(opts, 64);
    let mut fusion = Fusion::new();
    let started = Instant::now();
    let mut first_msg: Option<Instant> = None;
    let mut last_msg: Option<Instant> = None;
    let mut geo_dirty = false;
    let mut geo_written = Instant::now();
    let mut failures = 0u64;
    let mut last_tick = Instant::now();
    let mut connected = false;
    let mut last_error: Option<String> = None;
    loop {
        if cfg.stop.load(Ordering::SeqCst)
            || cfg
                .duration_s
                .is_some_and(|d| started.elapsed().as_secs_f64() >= d)
            || connected
                && matches!((cfg.idle_exit_s, last_msg), (Some(idle), Some(t)) if t.elapsed().as_secs_f64() >= idle)
        {
            break;
        }
        match conn.recv_timeout(Duration::from_millis(100)) {
            Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => {
                last_error = None;
                connected = true;
                // Idle time counts while connected only: a broker outage is not quiet sensors.
                if last_msg.is_some() {
                    last_msg = Some(Instant::now());
                }
                client
                    .try_subscribe(filter.clone(), QoS::AtLeastOnce)
                    .map_err(|e| FleetError::Client(e.to_string()))?;
            }
            Ok(Ok(Event::Incoming(Packet::SubAck(_)))) => {
                eprintln!("towerwatch hub: subscribed to {filter}");
            }
            Ok(Ok(Event::Incoming(Packet::Publish(p)))) => {
                let now = Instant::now();
                first_msg.get_or_insert(now);
                last_msg = Some(now);
                let Some((sensor, leaf)) = parse_topic(&cfg.link.url.prefix, &p.topic) else {
                    fusion.counters.messages += 1;
                    fusion.counters.rejected += 1;
                    continue;
                };
                let lines = fusion.on_message(sensor, leaf, &p.payload, crate::gps::unix_now_s());
                emit(&mut out, &cfg, &lines, &mut print, &mut geo_dirty)?;
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                failures += 1;
                connected = false;
                let msg = describe(&e);
                if last_error.as_deref() != Some(msg.as_str()) {
                    eprintln!("towerwatch: hub: {msg} (retrying)");
                    last_error = Some(msg);
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if last_tick.elapsed() >= Duration::from_millis(200) {
            last_tick = Instant::now();
            let lines = fusion.tick(crate::gps::unix_now_s(), false);
            emit(&mut out, &cfg, &lines, &mut print, &mut geo_dirty)?;
        }
        if geo_dirty && geo_written.elapsed() >= Duration::from_secs(1) {
            if let Some(o) = out.as_mut() {
                o.flush()
                    .map_err(file_err(cfg.out.as_deref().unwrap_or_else(|| "-".as_ref())))?;
            }
            write_geojson(&cfg, &fusion)?;
            geo_dirty = false;
            geo_written = Instant::now();
        }
    }
    let _ = client.try_disconnect();
    let lines = fusion.tick(crate::gps::unix_now_s(), true);
    emit(&mut out, &cfg, &lines, &mut print, &mut geo_dirty)?;
    let busy_s = match (first_msg, last_msg) {
        (Some(a), Some(b)) => b.duration_since(a).as_secs_f64(),
        _ => 0.0,
    };
    let report = HubReport {
        messages_per_s: if busy_s > 0.0 {
            (fusion.counters.messages as f64 / busy_s).round()
        } else {
            0.0
        },
        counters: fusion.counters.clone(),
        busy_s: (busy_s * 1000.0).round() / 1000.0,
        connection_failures: failures,
    };
    if let Some(mut o) = out {
        let summary = json!({"type": "hub_summary", "report": report,
            "sensors": fusion.sensors(), "cells": fusion.cells()});
        serde_json::to_writer(&mut o, &summary)
            .map_err(std::io::Error::from)
            .and_then(|_| o.write_all(b"\n"))
            .and_then(|_| o.flush())
            .map_err(file_err(cfg.out.as_deref().unwrap_or_else(|| "-".as_ref())))?;
    }
    write_geojson(&cfg, &fusion)?;
    if let Some(p) = &cfg.report {
        let page = super::report::html(
            &fusion.geojson(),
            &fusion.cells(),
            &humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        );
        std::fs::write(p, page).map_err(file_err(p))?;
    }
    Ok(report)
}

type Out = Option<std::io::BufWriter<std::fs::File>>;

/// Write fused lines to `--out` and their readable form to `print`.
fn emit(
    out: &mut Out,
    cfg: &HubConfig,
    lines: &[Value],
    print: &mut impl FnMut(&str),
    geo_dirty: &mut bool,
) -> Result<(), FleetError> {
    for l in lines {
        if let Some(o) = out.as_mut() {
            serde_json::to_writer(&mut *o, l)
                .map_err(std::io::Error::from)
                .and_then(|_| o.write_all(b"\n"))
                .map_err(file_err(cfg.out.as_deref().unwrap_or_else(|| "-".as_ref())))?;
        }
        if let Some(t) = text_line(l, cfg.verbose) {
            print(&t);
        }
        *geo_dirty |= l["type"] != "sensor_alert";
    }
    Ok(())
}

fn write_geojson(cfg: &HubConfig, fusion: &Fusion) -> Result<(), FleetError> {
    let Some(p) = &cfg.geojson else {
        return Ok(());
    };
    let tmp = p.with_extension("geojson.tmp");
    let text = serde_json::to_string_pretty(&fusion.geojson()).unwrap_or_default();
    std::fs::write(&tmp, text).map_err(file_err(&tmp))?;
    std::fs::rename(&tmp, p).map_err(file_err(p))
}
