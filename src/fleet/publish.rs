//! The sensor side: what a run mode publishes when given `--mqtt`.
//!
//! [`Sensor::on_step`] is called by the monitor after each observation with the alert events it
//! caused and the cell registry. Alert events (every raise, update and clear) and cell changes
//! are written to the spool first (fsync per batch), then published by the link thread. Each
//! payload carries `sensor`, `epoch` and a per-sensor `msg_id` that increases by one per record.
//!
//! Privacy: alert and cell payloads carry no subscriber data by construction (counts only);
//! every payload still goes through [`crate::privacy::mask_json`] unless `--mqtt-unmasked`, so a
//! future field cannot leak an identity to the broker by accident.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::link::{LinkConfig, LinkStats, Shared, Topics};
use super::spool::{Kind, MakePayload, Spool, SpoolCounts};
use super::{FleetError, topic};
use crate::alert::Alert;
use crate::cells::{CellKey, CellRegistry};
use crate::gps::PositionProvider;
use crate::observation::Observation;

/// A cell is republished when its power moved this much since it was last published.
pub const CELL_POWER_STEP_DB: f64 = 3.0;
/// … or after this much stream time (a heartbeat, so the hub has fresh readings).
pub const CELL_REFRESH_S: f64 = 10.0;

/// How a sensor publishes.
#[derive(Debug, Clone)]
pub struct SensorConfig {
    /// The broker connection (client id = sensor id).
    pub link: LinkConfig,
    /// Sensor id (one topic level).
    pub sensor_id: String,
    /// Spool directory.
    pub spool_dir: std::path::PathBuf,
    /// Spool size bound, bytes.
    pub spool_max_bytes: u64,
    /// Publish identities and SMS text as the local output has them (`--mqtt-unmasked`).
    pub unmasked: bool,
    /// At the end of the run, wait this long for the broker to acknowledge the spool.
    pub linger_s: f64,
}

/// What the receiver is, for the status topic.
#[derive(Debug, Clone, Default)]
pub struct SensorInfo {
    /// Source description (device args or file).
    pub receiver: String,
    /// Hardware, when known.
    pub hardware: Option<String>,
    /// Centre frequency, Hz.
    pub center_freq_hz: f64,
    /// Sample rate.
    pub sample_rate_sps: f64,
    /// Run mode (`replay`, `scan`, `demo`).
    pub mode: String,
}

/// What a sensor did, at the end.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SensorReport {
    /// Spool counters.
    pub spool: SpoolCounts,
    /// Link counters.
    pub link: LinkStats,
    /// Alert events spooled (this run).
    pub alerts: u64,
    /// Cell records spooled (this run).
    pub cells: u64,
    /// Spool write errors (records lost).
    pub spool_errors: u64,
}

#[derive(Debug, Clone, Copy)]
struct Published {
    power_db: Option<f64>,
    time_s: f64,
    bsic: Option<u8>,
    has_cgi: bool,
}

/// A publishing sensor.
pub struct Sensor {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
    sensor_id: String,
    epoch: u64,
    unmasked: bool,
    linger_s: f64,
    cells: HashMap<CellKeyId, Published>,
    alerts: u64,
    cell_records: u64,
    spool_errors: u64,
    last_status: Instant,
    last_time_s: f64,
    report: Option<SensorReport>,
}

/// Cells are tracked by carrier (band, ARFCN, uplink, LTE id): the key alerts are grouped by.
type CellKeyId = crate::cells::CarrierId;

fn carrier(k: &CellKey) -> CellKeyId {
    (k.band, k.arfcn, k.uplink, k.lte)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn position_json(gps: Option<&PositionProvider>, time_s: Option<f64>) -> Value {
    gps.and_then(|g| {
        g.at(time_s)
            .fix()
            .map(|f| json!({"lat_deg": f.lat_deg, "lon_deg": f.lon_deg}))
    })
    .unwrap_or(Value::Null)
}

impl Sensor {
    /// Open the spool and start the link thread.
    pub fn start(cfg: SensorConfig, info: &SensorInfo) -> Result<Sensor, FleetError> {
        super::valid_sensor_id(&cfg.sensor_id)?;
        // Fail now on a bad TLS file rather than in the thread.
        super::link::mqtt_options(&cfg.link)?;
        let spool = Spool::open(&cfg.spool_dir, cfg.spool_max_bytes)?;
        let epoch = spool.epoch();
        let recovered = spool.counts().recovered;
        if recovered > 0 {
            eprintln!(
                "towerwatch: mqtt: {recovered} unsent messages from an earlier run in {} (sending them first)",
                cfg.spool_dir.display()
            );
        }
        let status = json!({
            "type": "status",
            "schema": super::SCHEMA_VERSION,
            "sensor": cfg.sensor_id,
            "state": "online",
            "version": env!("CARGO_PKG_VERSION"),
            "mode": info.mode,
            "receiver": receiver_label(&info.receiver),
            "hardware": info.hardware,
            "center_freq_hz": info.center_freq_hz,
            "sample_rate_sps": info.sample_rate_sps,
            "band": band_name(info.center_freq_hz),
            "epoch": epoch,
            "position": Value::Null,
        });
        let shared = Arc::new(Shared {
            spool: Mutex::new(spool),
            stop: Default::default(),
            deadline: Mutex::new(None),
            status: Mutex::new(status),
            stats: Mutex::new(LinkStats::default()),
            report_errors: AtomicBool::new(true),
        });
        let prefix = cfg.link.url.prefix.clone();
        let topics = Topics {
            status: topic(&prefix, &cfg.sensor_id, "status"),
            alerts: topic(&prefix, &cfg.sensor_id, "alerts"),
            cells: topic(&prefix, &cfg.sensor_id, "cells"),
        };
        let thread = {
            let shared = shared.clone();
            let link = cfg.link.clone();
            std::thread::Builder::new()
                .name("mqtt-link".into())
                .spawn(move || super::link::forward(link, topics, shared))
                .map_err(|e| FleetError::Client(format!("cannot start the link thread: {e}")))?
        };
        Ok(Sensor {
            shared,
            thread: Some(thread),
            sensor_id: cfg.sensor_id,
            epoch,
            unmasked: cfg.unmasked,
            linger_s: cfg.linger_s,
            cells: HashMap::new(),
            alerts: 0,
            cell_records: 0,
            spool_errors: 0,
            last_status: Instant::now(),
            last_time_s: 0.0,
            report: None,
        })
    }

    fn wire(&self, v: Value) -> Value {
        if self.unmasked {
            v
        } else {
            crate::privacy::mask_json(v)
        }
    }

    /// One monitor step: spool the alert events and the cells that changed.
    pub fn on_step(
        &mut self,
        o: &Observation,
        alerts: &[Alert],
        registry: Option<&CellRegistry>,
        gps: Option<&PositionProvider>,
    ) {
        if let Some(t) = crate::cells::obs_time(o) {
            self.last_time_s = t;
        }
        let mut items: Vec<(Kind, Value)> = Vec::new();
        for a in alerts {
            let mut v = serde_json::to_value(a).unwrap_or(Value::Null);
            if let Some(g) = gps {
                g.annotate(&mut v);
            }
            items.push((Kind::Alerts, v));
        }
        self.alerts += alerts.len() as u64;
        let cells_due = matches!(o, Observation::Spectrum(_) | Observation::LteCell(_));
        if let (true, Some(reg)) = (cells_due || !alerts.is_empty(), registry) {
            let now = self.last_time_s;
            let position = position_json(gps, Some(now));
            for v in self.changed_cells(reg, now) {
                let mut v = v;
                v["position"] = position.clone();
                items.push((Kind::Cells, v));
                self.cell_records += 1;
            }
        }
        if self.last_status.elapsed() > Duration::from_secs(30)
            || lock(&self.shared.status)["position"].is_null()
        {
            self.last_status = Instant::now();
            lock(&self.shared.status)["position"] = position_json(gps, Some(self.last_time_s));
        }
        if items.is_empty() {
            return;
        }
        let (sensor, epoch) = (self.sensor_id.clone(), self.epoch);
        let batch: Vec<(Kind, MakePayload)> = items
            .into_iter()
            .map(|(k, v)| {
                let mut v = self.wire(v);
                let sensor = sensor.clone();
                let f: MakePayload = Box::new(move |id| {
                    if let Value::Object(m) = &mut v {
                        m.insert("sensor".into(), sensor.into());
                        m.insert("epoch".into(), epoch.into());
                        m.insert("msg_id".into(), id.into());
                    }
                    v
                });
                (k, f)
            })
            .collect();
        if let Err(e) = lock(&self.shared.spool).append_batch(batch) {
            if self.spool_errors == 0 {
                eprintln!("towerwatch: mqtt: {e} (these messages are lost)");
            }
            self.spool_errors += 1;
        }
    }

    /// Cells whose state changed since they were last published, as `cell` payloads.
    fn changed_cells(&mut self, reg: &CellRegistry, now_s: f64) -> Vec<Value> {
        let mut out = Vec::new();
        for c in reg.cells() {
            let p = c.latest_power();
            let cur = Published {
                power_db: p.map(|p| p.power_dbfs),
                time_s: now_s,
                bsic: c.bsic,
                has_cgi: c.cgi.is_some(),
            };
            let key = c.key();
            if self.due(carrier(&key), cur) {
                out.push(json!({
                    "type": "cell", "schema": super::SCHEMA_VERSION, "time_s": now_s,
                    "cell": key, "freq_hz": c.freq_hz,
                    "power_dbfs": p.map(|p| crate::observation::round2(p.power_dbfs)),
                    "snr_db": p.map(|p| crate::observation::round2(p.snr_db)),
                    "first_seen_s": c.first_seen_s, "last_seen_s": c.last_seen_s,
                }));
            }
        }
        for c in reg.lte_cells() {
            let m = c.measurements.back();
            let cur = Published {
                power_db: m.map(|m| m.rsrp_dbfs),
                time_s: now_s,
                bsic: None,
                has_cgi: false,
            };
            let key = CellKey::lte_cell(c.id);
            if self.due(carrier(&key), cur) {
                out.push(json!({
                    "type": "cell", "schema": super::SCHEMA_VERSION, "time_s": now_s,
                    "cell": key, "freq_hz": c.dl_freq_hz,
                    "power_dbfs": m.map(|m| crate::observation::round2(m.rsrp_dbfs)),
                    "power_kind": "rsrp",
                    "first_seen_s": c.first_seen_s, "last_seen_s": c.last_seen_s,
                }));
            }
        }
        out
    }

    fn due(&mut self, key: CellKeyId, cur: Published) -> bool {
        let due = match self.cells.get(&key) {
            None => true,
            Some(last) => {
                last.bsic != cur.bsic
                    || last.has_cgi != cur.has_cgi
                    || match (last.power_db, cur.power_db) {
                        (Some(a), Some(b)) => (a - b).abs() >= CELL_POWER_STEP_DB,
                        (None, Some(_)) => true,
                        _ => false,
                    }
                    || cur.time_s - last.time_s >= CELL_REFRESH_S
            }
        };
        if due {
            // Bounded like the registry itself: one entry per carrier it tracks.
            self.cells.insert(key, cur);
        }
        due
    }

    /// End of the run: wait up to the linger time for the broker to acknowledge the spool,
    /// say offline, stop the link thread. What is not acknowledged stays in the spool for the
    /// next run.
    pub fn finish(&mut self) -> SensorReport {
        if let Some(r) = &self.report {
            return r.clone();
        }
        let linger = Duration::from_secs_f64(self.linger_s.clamp(0.0, 3600.0));
        *lock(&self.shared.deadline) = Some(Instant::now() + linger);
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let r = SensorReport {
            spool: lock(&self.shared.spool).counts(),
            link: lock(&self.shared.stats).clone(),
            alerts: self.alerts,
            cells: self.cell_records,
            spool_errors: self.spool_errors,
        };
        self.report = Some(r.clone());
        r
    }

    /// Stop saying on stderr when the link fails (the dashboard owns the terminal); the last
    /// error is still in the report.
    pub fn quiet(&self) {
        self.shared.report_errors.store(false, Ordering::Relaxed);
    }

    /// The spool directory.
    pub fn spool_dir(&self) -> std::path::PathBuf {
        lock(&self.shared.spool).dir().to_path_buf()
    }
}

impl Drop for Sensor {
    fn drop(&mut self) {
        self.finish();
    }
}

/// What the status says about the receiver: the SoapySDR driver only (device arguments can
/// carry serial numbers), or a recording's file name without its directories.
fn receiver_label(description: &str) -> String {
    if description.contains("driver=") {
        return description
            .split([',', ' '])
            .filter(|kv| kv.starts_with("driver="))
            .collect::<Vec<_>>()
            .join(",");
    }
    let last = description
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(description);
    last.chars().take(120).collect()
}

/// The GSM band a centre frequency is in (for the status topic), or `None`.
fn band_name(freq_hz: f64) -> Option<String> {
    use towerwatch_dsp::arfcn::{ALL_BANDS, Direction};
    ALL_BANDS.iter().find_map(|b| {
        let (lo, hi) = b.range_hz(Direction::Downlink);
        (hi > 0.0 && freq_hz >= lo - 1e5 && freq_hz <= hi + 1e5).then(|| b.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_names_no_serial_number_and_no_directory() {
        assert_eq!(
            receiver_label("driver=rtlsdr,serial=00001234"),
            "driver=rtlsdr"
        );
        assert_eq!(
            receiver_label("/home/officer/case-17/capture.sigmf-meta"),
            "capture.sigmf-meta"
        );
        assert_eq!(band_name(938.7e6).as_deref(), Some("e-gsm900"));
        assert_eq!(band_name(100e6), None);
    }
}
