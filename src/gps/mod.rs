//! Positions: gpsd (JSON protocol), NMEA (serial device or file), or a fixed position.
//!
//! A [`PositionProvider`] answers "where were we when this observation was made?" with a
//! [`PositionStatus`]: a [`Fix`] (position, fix quality, time, source, age), or `Lost` with the
//! reason (no fix, stale, no data yet). Losing the fix is reported, never hidden: observation and
//! alert lines carry `"position": null` and a `gps` status object then.
//!
//! Three kinds of provider:
//! - `Fixed`: a stationary sensor (`--position LAT,LON`), quality [`FixQuality::Fixed`];
//! - `Live`: a thread reading gpsd or an NMEA device (or an NMEA file paced by its sentence times)
//!   publishes the latest fix; a fix older than the staleness limit (wall clock) counts as lost;
//! - `Track`: an NMEA file read whole while replaying a recording; the track's first sentence is
//!   aligned with the start of the stream, and the position at stream time `t` is the latest
//!   report at or before `t` (lost when it is a no-fix report or older than the limit).

pub mod gpsd;
pub mod nmea;

use serde::Serialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A fix older than this (seconds) is reported as lost unless `--gps-stale` says otherwise.
pub const DEFAULT_STALE_S: f64 = 5.0;

/// Errors setting up a position source.
#[derive(Debug, thiserror::Error)]
pub enum GpsError {
    /// `--position` could not be read.
    #[error("bad --position '{0}': expected LAT,LON in degrees (e.g. 52.52,13.405)")]
    BadPosition(String),
    /// `--gpsd` could not be read.
    #[error("bad --gpsd '{0}': expected HOST:PORT (e.g. localhost:2947)")]
    BadGpsd(String),
    /// The NMEA file or device could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// An NMEA file held no usable sentence.
    #[error("{path}: no NMEA position sentence with a valid checksum ({bad} bad lines)")]
    EmptyTrack {
        /// The file.
        path: PathBuf,
        /// Lines rejected.
        bad: u64,
    },
}

/// How good a fix is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FixQuality {
    /// No position.
    NoFix,
    /// Latitude/longitude only.
    #[serde(rename = "2d")]
    Fix2d,
    /// Latitude/longitude/altitude.
    #[serde(rename = "3d")]
    Fix3d,
    /// A position given by hand (stationary sensor, or NMEA quality 7 "manual input").
    Fixed,
}

/// A position report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    /// WGS-84 latitude, degrees (north positive).
    pub lat_deg: f64,
    /// WGS-84 longitude, degrees (east positive).
    pub lon_deg: f64,
    /// Altitude, metres (mean sea level for NMEA, HAE or MSL for gpsd as reported).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt_m: Option<f64>,
    /// Fix quality.
    #[serde(rename = "fix")]
    pub quality: FixQuality,
    /// Horizontal dilution of precision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hdop: Option<f64>,
    /// Satellites in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub satellites: Option<u32>,
    /// UTC time of the fix: RFC 3339 when the date is known, else `hh:mm:ss.sss`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_utc: Option<String>,
    /// UTC time of the fix as Unix seconds (when the date is known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unix_s: Option<f64>,
    /// Seconds since midnight UTC (NMEA time without a date).
    #[serde(skip)]
    pub day_s: Option<f64>,
    /// Where it came from (`gpsd:HOST:PORT`, `nmea:PATH`, `manual`).
    pub source: String,
}

/// What a position source reports.
#[derive(Debug, Clone, PartialEq)]
pub enum GpsEvent {
    /// A position.
    Fix(Fix),
    /// The receiver reports no fix.
    NoFix {
        /// Unix seconds of the report, when known.
        unix_s: Option<f64>,
        /// Seconds since midnight UTC, when known.
        day_s: Option<f64>,
        /// Formatted time, when known.
        time_utc: Option<String>,
    },
}

impl GpsEvent {
    fn unix_s(&self) -> Option<f64> {
        match self {
            GpsEvent::Fix(f) => f.unix_s,
            GpsEvent::NoFix { unix_s, .. } => *unix_s,
        }
    }
    fn day_s(&self) -> Option<f64> {
        match self {
            GpsEvent::Fix(f) => f.day_s,
            GpsEvent::NoFix { day_s, .. } => *day_s,
        }
    }
}

/// RFC 3339 (millisecond) time from Unix seconds, else `hh:mm:ss.sss` from the time of day.
pub fn format_time(unix_s: Option<f64>, day_s: Option<f64>) -> Option<String> {
    if let Some(u) = unix_s.filter(|u| u.is_finite() && *u >= 0.0) {
        let t = UNIX_EPOCH + Duration::from_secs_f64(u);
        return Some(humantime::format_rfc3339_millis(t).to_string());
    }
    day_s.filter(|d| d.is_finite() && *d >= 0.0).map(|d| {
        let h = (d / 3600.0).floor();
        let m = ((d - h * 3600.0) / 60.0).floor();
        let s = d - h * 3600.0 - m * 60.0;
        format!("{h:02}:{m:02}:{s:06.3}")
    })
}

/// Where we were at an observation.
#[derive(Debug, Clone, PartialEq)]
pub enum PositionStatus {
    /// A current fix, `age_s` old.
    Fix {
        /// The fix.
        fix: Fix,
        /// How old it was when asked for.
        age_s: f64,
    },
    /// No usable position.
    Lost {
        /// Why (no fix, stale, no data yet, not connected).
        reason: String,
        /// Age of the last good fix, if there was one.
        last_fix_age_s: Option<f64>,
    },
}

impl PositionStatus {
    /// The fix, if there is one.
    pub fn fix(&self) -> Option<&Fix> {
        match self {
            PositionStatus::Fix { fix, .. } => Some(fix),
            PositionStatus::Lost { .. } => None,
        }
    }

    /// `(position, gps)` JSON values: position object or null, and a status object.
    pub fn to_json(&self) -> (Value, Value) {
        match self {
            PositionStatus::Fix { fix, age_s } => {
                let mut p = serde_json::to_value(fix).unwrap_or(Value::Null);
                p["age_s"] = json!(round3(*age_s));
                (p, json!({"status": "fix", "fix": fix.quality}))
            }
            PositionStatus::Lost {
                reason,
                last_fix_age_s,
            } => (
                Value::Null,
                json!({"status": "lost", "reason": reason,
                       "last_fix_age_s": last_fix_age_s.map(round3)}),
            ),
        }
    }

    /// Add `position` and `gps` keys to a JSON object (observation or alert line).
    pub fn annotate(&self, v: &mut Value) {
        if let Value::Object(m) = v {
            let (p, g) = self.to_json();
            m.insert("position".into(), p);
            m.insert("gps".into(), g);
        }
    }

    /// One short line for terminals: `52.520010,13.404950 3d hdop 0.9` or `GPS LOST (reason)`.
    pub fn short(&self) -> String {
        match self {
            PositionStatus::Fix { fix, .. } => format!(
                "{:.6},{:.6} {}",
                fix.lat_deg,
                fix.lon_deg,
                match fix.quality {
                    FixQuality::NoFix => "nofix",
                    FixQuality::Fix2d => "2d",
                    FixQuality::Fix3d => "3d",
                    FixQuality::Fixed => "fixed",
                }
            ),
            PositionStatus::Lost { reason, .. } => format!("GPS LOST ({reason})"),
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Parse `LAT,LON` (degrees) into a manual fix.
pub fn parse_position(s: &str) -> Result<Fix, GpsError> {
    let err = || GpsError::BadPosition(s.to_string());
    let (a, b) = s.split_once(',').ok_or_else(err)?;
    let lat: f64 = a.trim().parse().map_err(|_| err())?;
    let lon: f64 = b.trim().parse().map_err(|_| err())?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(err());
    }
    Ok(Fix {
        lat_deg: lat,
        lon_deg: lon,
        alt_m: None,
        quality: FixQuality::Fixed,
        hdop: None,
        satellites: None,
        time_utc: None,
        unix_s: None,
        day_s: None,
        source: "manual".into(),
    })
}

/// Counters of a live source, shown at the end of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LiveCounters {
    /// NMEA counts (NMEA sources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nmea: Option<nmea::NmeaCounters>,
    /// gpsd counts (gpsd sources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpsd: Option<gpsd::GpsdCounters>,
}

/// State shared between a live source thread and its readers.
#[derive(Debug, Default)]
pub struct LiveState {
    last_fix: Option<(Fix, Instant)>,
    last_no_fix: Option<Instant>,
    /// Counters.
    pub counters: LiveCounters,
    /// Connection / read problem, if any (cleared on success).
    pub problem: Option<String>,
}

impl LiveState {
    /// Record an event received now.
    pub fn publish(&mut self, ev: GpsEvent) {
        match ev {
            GpsEvent::Fix(f) => {
                self.last_fix = Some((f, Instant::now()));
                self.last_no_fix = None;
            }
            GpsEvent::NoFix { .. } => self.last_no_fix = Some(Instant::now()),
        }
    }

    /// Status now, with fixes older than `stale_s` counted as lost.
    pub fn status(&self, stale_s: f64) -> PositionStatus {
        let age = self
            .last_fix
            .as_ref()
            .map(|(_, t)| t.elapsed().as_secs_f64());
        match (&self.last_fix, age) {
            (Some((fix, _)), Some(a)) if a <= stale_s && self.last_no_fix.is_none() => {
                PositionStatus::Fix {
                    fix: fix.clone(),
                    age_s: a,
                }
            }
            _ => {
                let reason = if self.last_no_fix.is_some() {
                    "receiver reports no fix".to_string()
                } else if let Some(a) = age {
                    format!("stale: last fix {a:.1} s ago")
                } else if let Some(p) = &self.problem {
                    p.clone()
                } else {
                    "no position yet".to_string()
                };
                PositionStatus::Lost {
                    reason,
                    last_fix_age_s: age,
                }
            }
        }
    }
}

/// A thread publishing the latest position (gpsd or NMEA); stopped when dropped.
pub struct GpsSource {
    state: Arc<Mutex<LiveState>>,
    stop: Arc<AtomicBool>,
    stale_s: f64,
    /// Label (`gpsd:HOST:PORT`, `nmea:PATH`).
    pub label: String,
}

impl GpsSource {
    /// Start a gpsd client (reconnects with back-off).
    pub fn gpsd(addr: &str, stale_s: f64) -> Result<GpsSource, GpsError> {
        if addr
            .rsplit_once(':')
            .is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err())
        {
            return Err(GpsError::BadGpsd(addr.to_string()));
        }
        let label = format!("gpsd:{addr}");
        let src = GpsSource::new(label, stale_s);
        let (state, stop, addr) = (src.state.clone(), src.stop.clone(), addr.to_string());
        std::thread::Builder::new()
            .name("gpsd".into())
            .spawn(move || gpsd::run_client(&addr, &state, &stop))
            .map_err(|e| GpsError::Io {
                path: PathBuf::from("gpsd thread"),
                source: e,
            })?;
        Ok(src)
    }

    /// Start reading an NMEA device or file. A regular file is paced by its sentence times (as if
    /// it were a receiver); a device or FIFO is read as the lines arrive.
    pub fn nmea(path: &Path, stale_s: f64) -> Result<GpsSource, GpsError> {
        let meta = std::fs::metadata(path).map_err(|e| GpsError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        let paced = meta.is_file();
        if paced {
            // Fail early on an unreadable file; devices and FIFOs are opened by the thread (opening
            // a FIFO blocks until its writer appears).
            std::fs::File::open(path).map_err(|e| GpsError::Io {
                path: path.to_path_buf(),
                source: e,
            })?;
        }
        let label = format!("nmea:{}", path.display());
        let src = GpsSource::new(label.clone(), stale_s);
        let (state, stop, p) = (src.state.clone(), src.stop.clone(), path.to_path_buf());
        std::thread::Builder::new()
            .name("nmea".into())
            .spawn(move || match std::fs::File::open(&p) {
                Ok(file) => read_nmea_live(file, &label, paced, &state, &stop),
                Err(e) => {
                    if let Ok(mut s) = state.lock() {
                        s.problem = Some(format!("{label}: {e}"));
                    }
                }
            })
            .map_err(|e| GpsError::Io {
                path: path.to_path_buf(),
                source: e,
            })?;
        Ok(src)
    }

    fn new(label: String, stale_s: f64) -> GpsSource {
        GpsSource {
            state: Arc::new(Mutex::new(LiveState::default())),
            stop: Arc::new(AtomicBool::new(false)),
            stale_s,
            label,
        }
    }

    /// The position now.
    pub fn status(&self) -> PositionStatus {
        match self.state.lock() {
            Ok(s) => s.status(self.stale_s),
            Err(_) => PositionStatus::Lost {
                reason: "GPS reader failed".into(),
                last_fix_age_s: None,
            },
        }
    }

    /// Counters so far.
    pub fn counters(&self) -> LiveCounters {
        self.state
            .lock()
            .map(|s| s.counters.clone())
            .unwrap_or_default()
    }
}

impl Drop for GpsSource {
    fn drop(&mut self) {
        // The thread notices at its next line or read timeout; a blocked serial read keeps it
        // parked until the process exits, which is harmless.
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn read_nmea_live(
    file: std::fs::File,
    label: &str,
    paced: bool,
    state: &Mutex<LiveState>,
    stop: &AtomicBool,
) {
    let mut dec = nmea::NmeaDecoder::new(label);
    let mut reader = std::io::BufReader::new(file);
    let mut line = String::new();
    let started = Instant::now();
    let mut t0: Option<f64> = None;
    while !stop.load(Ordering::Relaxed) {
        // Lines are capped (a device or /dev/zero may never send a newline): a longer one is cut
        // and fails its checksum, counted like any corrupt sentence.
        match crate::limits::read_line_capped(&mut reader, &mut line, crate::limits::MAX_LINE_BYTES)
        {
            Ok(None) => {
                if paced {
                    break; // the file is done; the last fix goes stale by itself
                }
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
            Ok(Some(_)) => {}
            Err(e) => {
                if let Ok(mut s) = state.lock() {
                    s.problem = Some(format!("{label}: {e}"));
                }
                break;
            }
        }
        line.push('\n');
        let ev = dec.feed(&line);
        if paced && let Some(ev) = &ev {
            let t = ev.day_s().or(ev.unix_s());
            if let Some(t) = t {
                let t0 = *t0.get_or_insert(t);
                let due = (t - t0).clamp(0.0, 1e7);
                let now = started.elapsed().as_secs_f64();
                if due > now {
                    // Sleep in short steps so that a stop request is noticed.
                    let until = started + Duration::from_secs_f64(due);
                    while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(
                            until
                                .saturating_duration_since(Instant::now())
                                .min(Duration::from_millis(100)),
                        );
                    }
                }
            }
        }
        if let Ok(mut s) = state.lock() {
            if let Some(ev) = ev {
                s.publish(ev);
            }
            s.counters.nmea = Some(dec.counters.clone());
        }
    }
}

/// A recorded NMEA track, with times relative to its first timed report.
#[derive(Debug, Clone)]
pub struct Track {
    /// `(seconds since the first report, event)` in file order.
    pub events: Vec<(f64, GpsEvent)>,
    /// What the file held.
    pub counters: nmea::NmeaCounters,
    stale_s: f64,
}

impl Track {
    /// Read an NMEA file whole.
    pub fn load(path: &Path, stale_s: f64) -> Result<Track, GpsError> {
        let text =
            crate::limits::read_capped(path, crate::limits::MAX_LISTING_BYTES, "an NMEA track")
                .map_err(|e| e.into_io())
                .map_err(|e| GpsError::Io {
                    path: path.to_path_buf(),
                    source: e,
                })?;
        let text = String::from_utf8_lossy(&text);
        let t = Track::from_lines(text.lines(), &format!("nmea:{}", path.display()), stale_s);
        if t.events.is_empty() {
            return Err(GpsError::EmptyTrack {
                path: path.to_path_buf(),
                bad: t.counters.checksum_errors + t.counters.malformed,
            });
        }
        Ok(t)
    }

    /// Decode lines into a track. Reports without a time are dropped (they cannot be placed);
    /// a time of day that goes backwards by more than 12 h is taken as a midnight rollover.
    pub fn from_lines<'a>(
        lines: impl IntoIterator<Item = &'a str>,
        source: &str,
        stale_s: f64,
    ) -> Track {
        let mut dec = nmea::NmeaDecoder::new(source);
        let mut events = Vec::new();
        let mut first: Option<f64> = None;
        let mut day_offset = 0.0;
        let mut last_day_s: Option<f64> = None;
        for line in lines {
            let Some(ev) = dec.feed(line) else { continue };
            // Time of day, not Unix time: the date arrives with the first RMC, perhaps after
            // the first GGA, and keys must not jump when it does.
            let key = match (ev.day_s(), ev.unix_s()) {
                (None, Some(u)) => Some(u),
                (Some(d), _) => {
                    if let Some(prev) = last_day_s
                        && d + 43_200.0 < prev
                    {
                        day_offset += 86_400.0;
                    }
                    last_day_s = Some(d);
                    Some(d + day_offset)
                }
                (None, None) => None,
            };
            let Some(key) = key else { continue };
            let first = *first.get_or_insert(key);
            events.push((key - first, ev));
        }
        Track {
            events,
            counters: dec.counters,
            stale_s,
        }
    }

    /// Track length in seconds.
    pub fn duration_s(&self) -> f64 {
        self.events.last().map_or(0.0, |e| e.0)
    }

    /// Position at `t_s` seconds after the first report.
    pub fn at(&self, t_s: f64) -> PositionStatus {
        let idx = self.events.partition_point(|(t, _)| *t <= t_s + 1e-9);
        let last_fix = self.events[..idx].iter().rev().find_map(|(t, e)| match e {
            GpsEvent::Fix(f) => Some((*t, f)),
            GpsEvent::NoFix { .. } => None,
        });
        let last_fix_age_s = last_fix.map(|(t, _)| t_s - t);
        match idx.checked_sub(1).and_then(|i| self.events.get(i)) {
            None => PositionStatus::Lost {
                reason: "before the first GPS report".into(),
                last_fix_age_s: None,
            },
            Some((_, GpsEvent::NoFix { .. })) => PositionStatus::Lost {
                reason: "receiver reports no fix".into(),
                last_fix_age_s,
            },
            Some((t, GpsEvent::Fix(f))) => {
                let age = t_s - t;
                if age > self.stale_s {
                    PositionStatus::Lost {
                        reason: format!("stale: last fix {age:.1} s before"),
                        last_fix_age_s: Some(age),
                    }
                } else {
                    PositionStatus::Fix {
                        fix: f.clone(),
                        age_s: age,
                    }
                }
            }
        }
    }
}

/// Anything that says where we are.
pub enum PositionProvider {
    /// A stationary sensor.
    Fixed(Fix),
    /// gpsd or an NMEA device, latest fix by wall clock.
    Live(GpsSource),
    /// A recorded NMEA track aligned with stream time.
    Track(Track),
}

impl PositionProvider {
    /// Position for an observation at stream time `time_s` (used by `Track`; live sources
    /// answer with the latest fix).
    pub fn at(&self, time_s: Option<f64>) -> PositionStatus {
        match self {
            PositionProvider::Fixed(f) => PositionStatus::Fix {
                fix: f.clone(),
                age_s: 0.0,
            },
            PositionProvider::Live(s) => s.status(),
            PositionProvider::Track(t) => match time_s {
                Some(ts) => t.at(ts),
                None => PositionStatus::Lost {
                    reason: "observation has no stream time".into(),
                    last_fix_age_s: None,
                },
            },
        }
    }

    /// Counters for the run summary.
    pub fn summary(&self) -> Value {
        match self {
            PositionProvider::Fixed(_) => json!({"source": "manual"}),
            PositionProvider::Live(s) => {
                json!({"source": s.label, "counters": s.counters()})
            }
            PositionProvider::Track(t) => {
                json!({"source": "nmea track", "duration_s": t.duration_s(),
                       "reports": t.events.len(), "counters": t.counters})
            }
        }
    }

    /// Add `position`/`gps` to a JSON line, taking the time from its `time_s` field (plus half
    /// its `duration_s`, for observations that span an interval).
    pub fn annotate(&self, v: &mut Value) {
        let t = v
            .get("time_s")
            .and_then(Value::as_f64)
            .map(|t| t + 0.5 * v.get("duration_s").and_then(Value::as_f64).unwrap_or(0.0));
        self.at(t).annotate(v);
    }
}

/// Where positions come from (the flags: `cli::input::GpsArgs`).
#[derive(Debug, Clone, Default)]
pub struct GpsSettings {
    /// Read positions from gpsd (JSON protocol), e.g. `--gpsd localhost:2947`.
    pub gpsd: Option<String>,
    /// Read positions from an NMEA serial device (set its baud rate with stty first) or file. With
    /// a recording as input, a file is a track aligned with the start of the recording.
    pub nmea: Option<PathBuf>,
    /// A fixed position for a stationary sensor, `LAT,LON` in degrees.
    pub position: Option<String>,
    /// A fix older than this many seconds is reported as lost.
    pub gps_stale: f64,
}

impl GpsSettings {
    /// Whether any position source was asked for.
    pub fn any(&self) -> bool {
        self.gpsd.is_some() || self.nmea.is_some() || self.position.is_some()
    }

    /// Open the provider the flags ask for (`None` without GPS flags). `recording` tells whether
    /// the samples come from a file (an NMEA file is then a track in stream time).
    pub fn open(&self, recording: bool) -> Result<Option<PositionProvider>, GpsError> {
        let stale = if self.gps_stale.is_finite() && self.gps_stale > 0.0 {
            self.gps_stale
        } else {
            DEFAULT_STALE_S
        };
        if let Some(p) = &self.position {
            return Ok(Some(PositionProvider::Fixed(parse_position(p)?)));
        }
        if let Some(a) = &self.gpsd {
            return Ok(Some(PositionProvider::Live(GpsSource::gpsd(a, stale)?)));
        }
        if let Some(path) = &self.nmea {
            let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
            return Ok(Some(if recording && regular {
                PositionProvider::Track(Track::load(path, stale)?)
            } else {
                PositionProvider::Live(GpsSource::nmea(path, stale)?)
            }));
        }
        Ok(None)
    }
}

/// Unix seconds now (for live timestamps).
pub fn unix_now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
