//! The hub's fusion: many sensors' messages → one picture.
//!
//! - Repeats are dropped by (sensor, epoch, message id): a sensor resends what the broker did not
//!   acknowledge, so a message can arrive twice; ids only increase within an epoch, so anything
//!   at or below the last id taken is a repeat, and a jump counts the ids never seen (spool
//!   overflow on the sensor).
//! - Per sensor: online/offline (its retained status and last will), last seen, position.
//! - Per transmitter (carrier key: GSM band + ARFCN + uplink, or LTE EARFCN + PCI — the key the
//!   alert engine groups alerts by): the alerts of every sensor that raised one merge into one
//!   fleet alert listing its sensors, at the worst severity among them, cleared when every
//!   sensor cleared its alert.
//! - Location: every sensor's latest power reading of the carrier at each of its positions is a
//!   sample for [`crate::locate::locate`], the same log-distance estimator and error radius as
//!   `towerwatch locate` (with few sensors it falls back, as there, to the power-weighted
//!   centroid with its stated radius).
//!
//! Memory: at most [`MAX_TRANSMITTERS`] carriers (the oldest without an active alert is
//! forgotten first), [`MAX_READINGS`] readings each, and one entry per sensor.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Value, json};

use crate::cells::CellKey;
use crate::detect::Severity;
use crate::locate::{Estimate, LocateConfig, Sample};

/// Most carriers tracked.
pub const MAX_TRANSMITTERS: usize = 4096;
/// Most power readings kept per carrier (one per sensor and position).
pub const MAX_READINGS: usize = 256;
/// Most sensors tracked.
pub const MAX_SENSORS: usize = 10_000;
/// A transmitter is located again at most this often (hub clock) while readings come in:
/// the fit costs milliseconds, and fifty sensors send hundreds of readings a second.
pub const RELOCATE_EVERY_S: f64 = 1.0;
/// A reading that moved less than this since the last fit does not call for a new one.
pub const RELOCATE_STEP_DB: f64 = 0.5;

/// What the hub counted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HubCounters {
    /// Messages received.
    pub messages: u64,
    /// Alert events taken.
    pub alerts: u64,
    /// Cell records taken.
    pub cells: u64,
    /// Status messages taken.
    pub statuses: u64,
    /// Repeats dropped (same sensor, epoch and id, or an older id).
    pub duplicates: u64,
    /// Ids skipped by a sensor (its spool overflowed, or messages were lost).
    pub missing_ids: u64,
    /// Messages refused: not JSON, no id, or a `sensor` field that is not the topic's.
    pub rejected: u64,
}

/// One sensor as the hub knows it.
#[derive(Debug, Clone, Serialize)]
pub struct SensorState {
    /// `online` or `offline`.
    pub state: String,
    /// Last message of any kind (hub clock, Unix seconds).
    pub last_seen_unix_s: f64,
    /// Last known position.
    pub position: Option<[f64; 2]>,
    /// Software version it reported.
    pub version: Option<String>,
    /// Why it went offline (`stopped`, `link lost`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone)]
struct SensorAlert {
    alert_id: u64,
    severity: Severity,
    score: f64,
    event: String,
    time_s: f64,
}

#[derive(Debug, Clone)]
struct Reading {
    sample: Sample,
    sensor: String,
    order: u64,
}

#[derive(Debug, Clone)]
struct Transmitter {
    fleet_id: Option<u64>,
    cell: CellKey,
    alerts: BTreeMap<String, SensorAlert>,
    readings: BTreeMap<(String, i64, i64), Reading>,
    estimate: Option<Estimate>,
    published: Option<Published>,
    touched: u64,
    /// Readings changed since the last fit.
    dirty: bool,
    /// When it was last fitted (hub clock, Unix s).
    located_unix_s: f64,
}

/// What was last written about a fleet alert (to write again only on a real change).
#[derive(Debug, Clone, PartialEq)]
struct Published {
    event: &'static str,
    severity: Severity,
    sensors: Vec<String>,
    estimate: Option<(f64, f64, f64, usize)>,
}

/// The hub's state.
pub struct Fusion {
    sensors: BTreeMap<String, SensorState>,
    last_id: HashMap<String, (u64, u64)>,
    transmitters: HashMap<String, Transmitter>,
    next_fleet_id: u64,
    clock: u64,
    locate: LocateConfig,
    /// Counters.
    pub counters: HubCounters,
}

impl Default for Fusion {
    fn default() -> Self {
        Fusion::new()
    }
}

/// The transmitter key of a cell: carrier (GSM band, ARFCN, uplink) or LTE cell.
pub fn carrier_key(k: &CellKey) -> String {
    match k.lte {
        Some(l) => format!("lte:{}:{}", l.earfcn, l.pci),
        None => format!(
            "gsm:{}:{}:{}",
            k.band,
            k.arfcn,
            if k.uplink { "ul" } else { "dl" }
        ),
    }
}

fn position_of(v: &Value) -> Option<[f64; 2]> {
    let p = v.get("position")?;
    let lat = p.get("lat_deg")?.as_f64()?;
    let lon = p.get("lon_deg")?.as_f64()?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some([lat, lon])
}

impl Fusion {
    /// An empty picture.
    pub fn new() -> Fusion {
        Fusion {
            sensors: BTreeMap::new(),
            last_id: HashMap::new(),
            transmitters: HashMap::new(),
            next_fleet_id: 1,
            clock: 0,
            locate: LocateConfig::default(),
            counters: HubCounters::default(),
        }
    }

    /// The sensors.
    pub fn sensors(&self) -> &BTreeMap<String, SensorState> {
        &self.sensors
    }

    /// Take one message from topic `<prefix>/v1/<sensor>/<leaf>`; returns the JSON lines it
    /// causes (`sensor_status`, `sensor_alert`, `fleet_alert`).
    pub fn on_message(
        &mut self,
        sensor: &str,
        leaf: &str,
        payload: &[u8],
        now_unix_s: f64,
    ) -> Vec<Value> {
        self.counters.messages += 1;
        self.clock += 1;
        let Ok(v) = serde_json::from_slice::<Value>(payload) else {
            self.counters.rejected += 1;
            return Vec::new();
        };
        // The topic says who sent it (the broker's ACL checks the topic): a payload naming
        // another sensor is refused.
        if v.get("sensor").and_then(Value::as_str) != Some(sensor) {
            self.counters.rejected += 1;
            return Vec::new();
        }
        if !self.sensors.contains_key(sensor) && self.sensors.len() >= MAX_SENSORS {
            self.counters.rejected += 1;
            return Vec::new();
        }
        let mut out = Vec::new();
        let known = self.sensors.contains_key(sensor);
        let s = self
            .sensors
            .entry(sensor.to_string())
            .or_insert_with(|| SensorState {
                state: "online".into(),
                last_seen_unix_s: now_unix_s,
                position: None,
                version: None,
                reason: None,
            });
        s.last_seen_unix_s = now_unix_s;
        if let Some(p) = position_of(&v) {
            s.position = Some(p);
        }
        if leaf == "status" {
            self.counters.statuses += 1;
            let state = v
                .get("state")
                .and_then(Value::as_str)
                .unwrap_or("online")
                .to_string();
            if let Some(ver) = v.get("version").and_then(Value::as_str) {
                s.version = Some(ver.to_string());
            }
            if !known || s.state != state {
                let previous = known.then(|| s.state.clone());
                s.state = state;
                s.reason = v.get("reason").and_then(Value::as_str).map(str::to_string);
                out.push(json!({
                    "type": "sensor_status", "sensor": sensor, "state": s.state,
                    "previous": previous, "reason": s.reason, "position": s.position,
                    "version": s.version, "time_unix_s": now_unix_s,
                }));
            }
            return out;
        }
        if s.state != "online" {
            // A message proves it is up (its status may come later after a broker restart).
            s.state = "online".into();
            s.reason = None;
            out.push(json!({
                "type": "sensor_status", "sensor": sensor, "state": "online",
                "previous": "offline", "position": s.position, "time_unix_s": now_unix_s,
            }));
        }
        let sensor_pos = s.position;
        let (Some(epoch), Some(id)) = (
            v.get("epoch").and_then(Value::as_u64),
            v.get("msg_id").and_then(Value::as_u64),
        ) else {
            self.counters.rejected += 1;
            return out;
        };
        let last = self.last_id.entry(sensor.to_string()).or_insert((epoch, 0));
        if epoch < last.0 {
            self.counters.duplicates += 1;
            return out;
        }
        if epoch > last.0 {
            *last = (epoch, 0);
        }
        if id <= last.1 {
            self.counters.duplicates += 1;
            return out;
        }
        // Saturating: a sensor can send any id, and a counter must not overflow on it.
        self.counters.missing_ids = self.counters.missing_ids.saturating_add(id - last.1 - 1);
        last.1 = id;
        match leaf {
            "alerts" => {
                self.counters.alerts += 1;
                self.on_alert(sensor, id, &v, now_unix_s, &mut out);
            }
            "cells" => {
                self.counters.cells += 1;
                self.on_cell(sensor, &v, sensor_pos, now_unix_s, &mut out);
            }
            _ => self.counters.rejected += 1,
        }
        out
    }

    fn transmitter(&mut self, cell: &CellKey) -> Option<&mut Transmitter> {
        let key = carrier_key(cell);
        if !self.transmitters.contains_key(&key) && self.transmitters.len() >= MAX_TRANSMITTERS {
            // Forget the least recently touched carrier without an active alert.
            let victim = self
                .transmitters
                .iter()
                .filter(|(_, t)| t.alerts.values().all(|a| a.event == "cleared"))
                .min_by_key(|(_, t)| t.touched)
                .map(|(k, _)| k.clone());
            self.transmitters.remove(&victim?);
        }
        let clock = self.clock;
        let t = self.transmitters.entry(key).or_insert_with(|| Transmitter {
            fleet_id: None,
            cell: cell.clone(),
            alerts: BTreeMap::new(),
            readings: BTreeMap::new(),
            estimate: None,
            published: None,
            touched: clock,
            dirty: false,
            located_unix_s: f64::NEG_INFINITY,
        });
        t.touched = clock;
        // Keep the most complete identity (BSIC and CGI once decoded).
        if cell.bsic.is_some() || cell.cgi.is_some() || t.cell.bsic.is_none() {
            t.cell = cell.clone();
        }
        Some(t)
    }

    fn on_alert(&mut self, sensor: &str, id: u64, v: &Value, now: f64, out: &mut Vec<Value>) {
        let Some(cell) = v
            .get("cell")
            .and_then(|c| serde_json::from_value::<CellKey>(c.clone()).ok())
        else {
            self.counters.rejected += 1;
            return;
        };
        let severity = v
            .get("severity")
            .and_then(|s| serde_json::from_value::<Severity>(s.clone()).ok())
            .unwrap_or(Severity::Info);
        let a = SensorAlert {
            alert_id: v.get("id").and_then(Value::as_u64).unwrap_or(0),
            severity,
            score: v.get("score").and_then(Value::as_f64).unwrap_or(0.0),
            event: v
                .get("event")
                .and_then(Value::as_str)
                .unwrap_or("raised")
                .to_string(),
            time_s: v.get("time_s").and_then(Value::as_f64).unwrap_or(0.0),
        };
        out.push(json!({
            "type": "sensor_alert", "sensor": sensor, "msg_id": id, "alert_id": a.alert_id,
            "event": a.event, "severity": a.severity, "score": a.score, "time_s": a.time_s,
            "cell": cell, "summary": v.get("summary"), "time_unix_s": now,
        }));
        let locate = self.locate.clone();
        let Some(t) = self.transmitter(&cell) else {
            return;
        };
        t.alerts.insert(sensor.to_string(), a);
        if t.estimate.is_none() || t.dirty && now - t.located_unix_s >= RELOCATE_EVERY_S {
            relocate(t, &locate, now);
        }
        let fleet = self.fleet_line(&carrier_key(&cell), now);
        out.extend(fleet);
    }

    fn on_cell(
        &mut self,
        sensor: &str,
        v: &Value,
        sensor_pos: Option<[f64; 2]>,
        now: f64,
        out: &mut Vec<Value>,
    ) {
        let Some(cell) = v
            .get("cell")
            .and_then(|c| serde_json::from_value::<CellKey>(c.clone()).ok())
        else {
            self.counters.rejected += 1;
            return;
        };
        let power = v.get("power_dbfs").and_then(Value::as_f64);
        let pos = position_of(v).or(sensor_pos);
        let locate = self.locate.clone();
        let clock = self.clock;
        let Some(t) = self.transmitter(&cell) else {
            return;
        };
        let (Some(p), Some([lat, lon])) = (power, pos) else {
            return;
        };
        if !p.is_finite() {
            return;
        }
        // One reading per sensor and position (about 1 m): the latest power there.
        let key = (
            sensor.to_string(),
            (lat * 1e5).round() as i64,
            (lon * 1e5).round() as i64,
        );
        let new_sensor = !t.readings.values().any(|r| r.sensor == sensor);
        let moved = t
            .readings
            .get(&key)
            .is_none_or(|r| (r.sample.power_dbfs - p).abs() >= RELOCATE_STEP_DB);
        t.dirty |= moved;
        t.readings.insert(
            key,
            Reading {
                sample: Sample {
                    lat_deg: lat,
                    lon_deg: lon,
                    power_dbfs: p,
                },
                sensor: sensor.to_string(),
                order: clock,
            },
        );
        if t.readings.len() > MAX_READINGS
            && let Some(oldest) = t
                .readings
                .iter()
                .min_by_key(|(_, r)| r.order)
                .map(|(k, _)| k.clone())
        {
            t.readings.remove(&oldest);
        }
        if new_sensor {
            // One more sensor hears this cell: the fused cell, with every sensor's power.
            out.push(json!({"type": "fleet_cell", "cell": t.cell,
                "sensors": per_sensor_power(t), "time_unix_s": now}));
        }
        if t.fleet_id.is_some()
            && t.dirty
            && (t.estimate.is_none() || now - t.located_unix_s >= RELOCATE_EVERY_S)
        {
            relocate(t, &locate, now);
            let fleet = self.fleet_line(&carrier_key(&cell), now);
            out.extend(fleet);
        }
    }

    /// Locate again the transmitters whose readings changed and whose last fit is older than
    /// [`RELOCATE_EVERY_S`] (all of them when `all`: the end of a run); their `fleet_alert`
    /// lines when that moved the estimate.
    pub fn tick(&mut self, now_unix_s: f64, all: bool) -> Vec<Value> {
        let mut due: Vec<(u64, String)> = self
            .transmitters
            .iter()
            .filter(|(_, t)| {
                t.dirty
                    && (all || now_unix_s - t.located_unix_s >= RELOCATE_EVERY_S)
                    && t.fleet_id.is_some()
            })
            .map(|(k, t)| (t.fleet_id.unwrap_or(0), k.clone()))
            .collect();
        due.sort();
        let mut out = Vec::new();
        for (_, key) in due {
            if let Some(t) = self.transmitters.get_mut(&key) {
                relocate(t, &self.locate, now_unix_s);
            }
            out.extend(self.fleet_line(&key, now_unix_s));
        }
        out
    }

    /// A `fleet_alert` line when the transmitter's fused state changed enough to say so.
    fn fleet_line(&mut self, key: &str, now: f64) -> Option<Value> {
        let next_id = self.next_fleet_id;
        let t = self.transmitters.get_mut(key)?;
        if t.alerts.is_empty() {
            return None;
        }
        let active: Vec<(&String, &SensorAlert)> = t
            .alerts
            .iter()
            .filter(|(_, a)| a.event != "cleared")
            .collect();
        let severity = active
            .iter()
            .map(|(_, a)| a.severity)
            .max()
            .unwrap_or(Severity::Info);
        let event = match (&t.published, active.is_empty()) {
            (None, _) => "raised",
            (Some(_), true) => "cleared",
            (Some(p), false) if p.event == "cleared" => "raised",
            _ => "updated",
        };
        let sensors: Vec<String> = active.iter().map(|(s, _)| (*s).clone()).collect();
        let est = t
            .estimate
            .as_ref()
            .map(|e| (e.lat_deg, e.lon_deg, e.radius_m, e.samples));
        let now_pub = Published {
            event,
            severity,
            sensors: sensors.clone(),
            estimate: est,
        };
        let worth = match &t.published {
            None => true,
            Some(p) => {
                p.event != now_pub.event && !(p.event == "raised" && event == "updated")
                    || p.severity != severity
                    || p.sensors != sensors
                    || estimate_moved(p.estimate, est)
            }
        };
        if !worth {
            return None;
        }
        let fleet_id = *t.fleet_id.get_or_insert(next_id);
        if fleet_id == next_id {
            self.next_fleet_id += 1;
        }
        t.published = Some(now_pub);
        let per_sensor: Vec<Value> = t
            .alerts
            .iter()
            .map(|(s, a)| {
                let power = t
                    .readings
                    .values()
                    .filter(|r| &r.sensor == s)
                    .max_by_key(|r| r.order)
                    .map(|r| r.sample.power_dbfs);
                json!({"sensor": s, "alert_id": a.alert_id, "event": a.event,
                       "severity": a.severity, "score": a.score, "time_s": a.time_s,
                       "power_dbfs": power})
            })
            .collect();
        Some(json!({
            "type": "fleet_alert", "fleet_id": fleet_id, "event": event, "severity": severity,
            "cell": t.cell, "sensors": sensors, "per_sensor": per_sensor,
            "estimate": t.estimate, "time_unix_s": now,
        }))
    }

    /// Every cell heard, with each sensor's latest power (for the closing summary), strongest
    /// first.
    pub fn cells(&self) -> Vec<Value> {
        let mut v: Vec<(f64, Value)> = self
            .transmitters
            .values()
            .filter(|t| !t.readings.is_empty())
            .map(|t| {
                let best = t
                    .readings
                    .values()
                    .map(|r| r.sample.power_dbfs)
                    .fold(f64::NEG_INFINITY, f64::max);
                (
                    best,
                    json!({"cell": t.cell, "fleet_id": t.fleet_id, "sensors": per_sensor_power(t)}),
                )
            })
            .collect();
        v.sort_by(|a, b| b.0.total_cmp(&a.0));
        v.into_iter().map(|(_, c)| c).collect()
    }

    /// Sensors and located transmitters as GeoJSON (points, and each estimate's error circle).
    pub fn geojson(&self) -> Value {
        let mut features = Vec::new();
        for (id, s) in &self.sensors {
            if let Some([lat, lon]) = s.position {
                features.push(json!({
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": {"kind": "sensor", "sensor": id, "state": s.state,
                                   "last_seen_unix_s": s.last_seen_unix_s},
                }));
            }
        }
        let mut txs: Vec<&Transmitter> = self
            .transmitters
            .values()
            .filter(|t| t.fleet_id.is_some())
            .collect();
        txs.sort_by_key(|t| t.fleet_id);
        for t in txs {
            let Some(e) = &t.estimate else { continue };
            let props = json!({
                "kind": "transmitter", "fleet_id": t.fleet_id, "cell": t.cell.to_string(),
                "radius_m": e.radius_m, "method": e.method,
                "sensors": t.alerts.keys().collect::<Vec<_>>(),
                "severity": t.alerts.values().map(|a| a.severity).max(),
            });
            features.push(json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [e.lon_deg, e.lat_deg]},
                "properties": props,
            }));
            features.push(json!({
                "type": "Feature",
                "geometry": {"type": "Polygon",
                             "coordinates": [crate::locate::circle(e.lat_deg, e.lon_deg, e.radius_m, 64)]},
                "properties": {"kind": "error_circle", "fleet_id": t.fleet_id, "radius_m": e.radius_m},
            }));
        }
        json!({"type": "FeatureCollection", "features": features})
    }
}

/// Each sensor's latest reading of a carrier: sensor, power, position.
fn per_sensor_power(t: &Transmitter) -> Vec<Value> {
    let mut latest: BTreeMap<&str, &Reading> = BTreeMap::new();
    for r in t.readings.values() {
        let e = latest.entry(r.sensor.as_str()).or_insert(r);
        if r.order > e.order {
            *e = r;
        }
    }
    latest
        .into_iter()
        .map(|(s, r)| {
            json!({"sensor": s, "power_dbfs": r.sample.power_dbfs,
                   "position": [r.sample.lat_deg, r.sample.lon_deg]})
        })
        .collect()
}

fn relocate(t: &mut Transmitter, cfg: &LocateConfig, now_unix_s: f64) {
    t.dirty = false;
    t.located_unix_s = now_unix_s;
    let samples: Vec<Sample> = t.readings.values().map(|r| r.sample).collect();
    t.estimate = if samples.is_empty() {
        None
    } else {
        crate::locate::locate(&samples, cfg).ok()
    };
}

/// Worth a new line: a new estimate, one more sample, or a move beyond a tenth of the radius.
fn estimate_moved(a: Option<(f64, f64, f64, usize)>, b: Option<(f64, f64, f64, usize)>) -> bool {
    match (a, b) {
        (None, None) => false,
        (Some((la, lo, r, n)), Some((lb, lob, rb, nb))) => {
            n != nb
                || crate::locate::distance_m(la, lo, lb, lob) > (0.1 * r).max(10.0)
                || (r - rb).abs() > 0.2 * r.max(1.0)
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn alert(sensor: &str, id: u64, event: &str, sev: &str) -> Vec<u8> {
        json!({"type": "alert", "event": event, "id": 1, "time_s": 1.0, "severity": sev,
               "score": 4.5, "cell": {"band": "p-gsm900", "arfcn": 21, "bsic": 31},
               "sensor": sensor, "epoch": 7, "msg_id": id})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn three_sensors_one_fleet_alert_and_repeats_dropped() {
        let mut f = Fusion::new();
        let mut lines = Vec::new();
        for (i, s) in ["a", "b", "c"].iter().enumerate() {
            lines.extend(f.on_message(s, "alerts", &alert(s, 1, "raised", "high"), i as f64));
            // A resend of the same id is dropped.
            lines.extend(f.on_message(s, "alerts", &alert(s, 1, "raised", "high"), 9.0));
        }
        let fleet: Vec<&Value> = lines
            .iter()
            .filter(|l| l["type"] == "fleet_alert")
            .collect();
        assert_eq!(fleet.len(), 3, "{fleet:?}");
        assert!(fleet.iter().all(|l| l["fleet_id"] == 1));
        assert_eq!(fleet[2]["sensors"], json!(["a", "b", "c"]));
        assert_eq!(f.counters.duplicates, 3);
        // A payload naming another sensor than its topic is refused.
        assert!(
            f.on_message("a", "alerts", &alert("b", 2, "raised", "high"), 0.0)
                .is_empty()
        );
        assert_eq!(f.counters.rejected, 1);
        // Cleared by all → the fleet alert clears.
        let mut last = Vec::new();
        for s in ["a", "b", "c"] {
            last = f.on_message(s, "alerts", &alert(s, 3, "cleared", "high"), 10.0);
        }
        let l = last.iter().find(|l| l["type"] == "fleet_alert").unwrap();
        assert_eq!(l["event"], "cleared");
        assert_eq!(f.counters.missing_ids, 3); // id 2 never arrived from a, b, c
    }

    #[test]
    fn odd_payloads_are_refused_or_ignored_never_a_panic() {
        let mut f = Fusion::new();
        let odd: [&[u8]; 12] = [
            b"",
            b"\xff\xfe",
            b"[1,2,3]",
            b"null",
            br#"{"sensor":"a"}"#,
            br#"{"sensor":"a","epoch":-1,"msg_id":1}"#,
            br#"{"sensor":"a","epoch":1,"msg_id":1e30}"#,
            br#"{"sensor":"a","epoch":1,"msg_id":2,"cell":"x"}"#,
            br#"{"sensor":"a","epoch":1,"msg_id":3,"cell":{"band":"nope","arfcn":1}}"#,
            br#"{"sensor":"a","epoch":1,"msg_id":4,"cell":{"band":"p-gsm900","arfcn":21},"power_dbfs":1e308,"position":{"lat_deg":95,"lon_deg":0}}"#,
            br#"{"sensor":"a","epoch":1,"msg_id":5,"cell":{"band":"p-gsm900","arfcn":21},"power_dbfs":-50,"position":{"lat_deg":"x"}}"#,
            br#"{"sensor":"a","state":17}"#,
        ];
        // Huge ids from two sensors: counted, the counter saturates instead of overflowing.
        for sensor in ["b", "c"] {
            let p = format!(
                r#"{{"sensor":"{sensor}","epoch":1,"msg_id":{},"cell":{{"band":"p-gsm900","arfcn":1}}}}"#,
                u64::MAX
            );
            f.on_message(sensor, "cells", p.as_bytes(), 0.0);
        }
        assert_eq!(f.counters.missing_ids, u64::MAX);
        for leaf in ["alerts", "cells", "status", "other"] {
            for p in odd {
                f.on_message("a", leaf, p, 0.0);
            }
        }
        assert!(f.counters.rejected > 10, "{:?}", f.counters);
        assert!(f.tick(10.0, true).is_empty());
    }

    #[test]
    fn cell_readings_from_sensors_locate_the_transmitter() {
        let mut f = Fusion::new();
        f.on_message("a", "alerts", &alert("a", 1, "raised", "high"), 0.0);
        let enu = crate::locate::Enu::new(52.52, 13.405);
        let tx = (120.0, 80.0);
        let mut last = Vec::new();
        for (i, (x, y)) in [(0.0, 0.0), (400.0, 0.0), (200.0, 350.0)]
            .iter()
            .enumerate()
        {
            let (lat, lon) = enu.to_latlon(*x, *y);
            let d = ((x - tx.0).powi(2) + (y - tx.1).powi(2)).sqrt();
            let p = -20.0 - crate::locate::path_loss_db(d, 3.0);
            let s = ["a", "b", "c"][i];
            let cell = json!({"type": "cell", "cell": {"band": "p-gsm900", "arfcn": 21},
                "power_dbfs": p, "position": {"lat_deg": lat, "lon_deg": lon},
                "sensor": s, "epoch": 7, "msg_id": 10});
            last = f.on_message(s, "cells", cell.to_string().as_bytes(), 1.0);
        }
        // Each new sensor on the cell gives a fused cell line with everyone's power.
        let cell = last.iter().find(|l| l["type"] == "fleet_cell").unwrap();
        assert_eq!(cell["sensors"].as_array().unwrap().len(), 3, "{cell}");
        assert_eq!(f.cells().len(), 1);
        // The first reading is fitted at once, the next ones within a second (or at the end).
        assert!(!last.iter().any(|l| l["type"] == "fleet_alert"), "{last:?}");
        assert!(f.tick(1.5, false).is_empty());
        let last = f.tick(2.0, false);
        let l = last.iter().find(|l| l["type"] == "fleet_alert").unwrap();
        let e = &l["estimate"];
        let (lat, lon) = enu.to_latlon(tx.0, tx.1);
        let err = crate::locate::distance_m(
            e["lat_deg"].as_f64().unwrap(),
            e["lon_deg"].as_f64().unwrap(),
            lat,
            lon,
        );
        assert!(err <= e["radius_m"].as_f64().unwrap(), "{err} m: {e}");
        assert_eq!(e["samples"], 3);
        let g = f.geojson();
        assert_eq!(g["features"].as_array().unwrap().len(), 5, "{g}"); // 3 sensors, point, circle
    }
}
