//! gpsd client (JSON protocol, <https://gpsd.gitlab.io/gpsd/gpsd_json.html>).
//!
//! Connects to gpsd over TCP, sends `?WATCH={"enable":true,"json":true}` and reads one JSON object
//! per line: TPV (time-position-velocity: `mode` 0/1 no fix, 2 2D, 3 3D; `lat`, `lon`, `altHAE`
//! or `alt`, `time`) and SKY (`hdop`, satellites used). Other classes (VERSION, DEVICES, WATCH,
//! …) are ignored; unreadable lines are counted. A lost connection is retried with back-off
//! (0.5 s doubling to 10 s). Towerwatch is only a client: it never listens.

use super::{Fix, FixQuality, GpsEvent, LiveState};
use serde::Serialize;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The watch command sent after connecting.
pub const WATCH: &str = "?WATCH={\"enable\":true,\"json\":true}\n";

/// Counts of what the gpsd connection delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GpsdCounters {
    /// Successful connections.
    pub connects: u64,
    /// Failed connection attempts and dropped connections.
    pub connect_failures: u64,
    /// TPV reports read.
    pub tpv: u64,
    /// SKY reports read.
    pub sky: u64,
    /// Lines that were not JSON objects with a class.
    pub bad_lines: u64,
}

/// Decodes gpsd JSON lines into position events.
#[derive(Debug, Clone, Default)]
pub struct GpsdDecoder {
    source: String,
    hdop: Option<f64>,
    satellites: Option<u32>,
    /// What was read.
    pub counters: GpsdCounters,
}

impl GpsdDecoder {
    /// A decoder labelling fixes with `source`.
    pub fn new(source: impl Into<String>) -> Self {
        GpsdDecoder {
            source: source.into(),
            ..GpsdDecoder::default()
        }
    }

    /// Feed one line; a TPV gives an event.
    pub fn feed(&mut self, line: &str) -> Option<GpsEvent> {
        let line = line.trim();
        if line.is_empty() {
            return None;
        }
        let v: Value = match serde_json::from_str(line) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                self.counters.bad_lines += 1;
                return None;
            }
        };
        match v.get("class").and_then(Value::as_str) {
            Some("TPV") => {
                self.counters.tpv += 1;
                Some(self.tpv(&v))
            }
            Some("SKY") => {
                self.counters.sky += 1;
                self.hdop = v
                    .get("hdop")
                    .and_then(Value::as_f64)
                    .filter(|h| h.is_finite() && *h >= 0.0);
                let used = v
                    .get("satellites")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter(|s| s.get("used").and_then(Value::as_bool) == Some(true))
                            .count() as u32
                    })
                    .or_else(|| v.get("uSat").and_then(Value::as_u64).map(|n| n as u32));
                if used.is_some() {
                    self.satellites = used;
                }
                None
            }
            Some(_) => None,
            None => {
                self.counters.bad_lines += 1;
                None
            }
        }
    }

    fn tpv(&self, v: &Value) -> GpsEvent {
        let time_utc = v.get("time").and_then(Value::as_str).map(str::to_string);
        let unix_s = time_utc
            .as_deref()
            .and_then(|t| humantime::parse_rfc3339_weak(t).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs_f64());
        let mode = v.get("mode").and_then(Value::as_u64).unwrap_or(0);
        let lat = v
            .get("lat")
            .and_then(Value::as_f64)
            .filter(|l| (-90.0..=90.0).contains(l));
        let lon = v
            .get("lon")
            .and_then(Value::as_f64)
            .filter(|l| (-180.0..=180.0).contains(l));
        let quality = match mode {
            2 => FixQuality::Fix2d,
            3 => FixQuality::Fix3d,
            _ => FixQuality::NoFix,
        };
        match (lat, lon) {
            (Some(lat_deg), Some(lon_deg)) if quality != FixQuality::NoFix => GpsEvent::Fix(Fix {
                lat_deg,
                lon_deg,
                alt_m: v
                    .get("altHAE")
                    .or_else(|| v.get("alt"))
                    .and_then(Value::as_f64)
                    .filter(|a| a.is_finite()),
                quality,
                hdop: self.hdop,
                satellites: self.satellites,
                time_utc,
                unix_s,
                day_s: None,
                source: self.source.clone(),
            }),
            _ => GpsEvent::NoFix {
                unix_s,
                day_s: None,
                time_utc,
            },
        }
    }
}

/// Client loop: connect, watch, publish; reconnect with back-off until `stop`.
pub fn run_client(addr: &str, state: &Mutex<LiveState>, stop: &AtomicBool) {
    let label = format!("gpsd:{addr}");
    let mut dec = GpsdDecoder::new(label.clone());
    let mut backoff = Duration::from_millis(500);
    while !stop.load(Ordering::Relaxed) {
        match session(addr, &mut dec, state, stop) {
            Ok(()) => backoff = Duration::from_millis(500),
            Err(e) => {
                dec.counters.connect_failures += 1;
                if let Ok(mut s) = state.lock() {
                    s.problem = Some(format!("{label}: {e}"));
                    s.counters.gpsd = Some(dec.counters.clone());
                }
            }
        }
        // Wait before reconnecting, in short steps so that a stop request is noticed.
        let mut waited = Duration::ZERO;
        while waited < backoff && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
            waited += Duration::from_millis(50);
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

/// One connection. Returns Ok when the server closed it after having sent data.
fn session(
    addr: &str,
    dec: &mut GpsdDecoder,
    state: &Mutex<LiveState>,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    let sock = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other("no address"))?;
    let mut stream = TcpStream::connect_timeout(&sock, Duration::from_secs(3))?;
    stream.set_read_timeout(Some(Duration::from_millis(250)))?;
    stream.write_all(WATCH.as_bytes())?;
    dec.counters.connects += 1;
    if let Ok(mut s) = state.lock() {
        s.problem = None;
        s.counters.gpsd = Some(dec.counters.clone());
    }
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => return Err(std::io::Error::other("gpsd closed the connection")),
            Ok(_) if buf.ends_with(b"\n") => {
                let ev = dec.feed(&String::from_utf8_lossy(&buf));
                buf.clear();
                if let Ok(mut s) = state.lock() {
                    if let Some(ev) = ev {
                        s.publish(ev);
                    }
                    s.counters.gpsd = Some(dec.counters.clone());
                }
            }
            // A line longer than the cap is dropped (its tail then fails to parse, counted).
            Ok(_) if buf.len() > crate::limits::MAX_LINE_BYTES => buf.clear(),
            Ok(_) => {} // partial line at a timeout boundary: keep reading
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
        if buf.len() > 1 << 20 {
            // A line longer than 1 MiB is not gpsd: drop it.
            dec.counters.bad_lines += 1;
            buf.clear();
        }
    }
    Ok(())
}
