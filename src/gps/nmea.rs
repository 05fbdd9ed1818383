//! NMEA 0183 position sentences: GGA, RMC and GSA from any talker (GP, GN, GL, GA, BD, …).
//!
//! Every sentence must carry a valid `*HH` checksum; anything else is a counted failure, never a
//! panic. [`NmeaDecoder`] turns a stream of lines into [`GpsEvent`]s: one per GGA (or per RMC
//! when the receiver sends no GGA), with the date from the latest RMC and the 2D/3D mode from the
//! latest GSA.
//!
//! A serial GPS is read as a file (`/dev/ttyACM0`, `/dev/ttyUSB0`): its baud rate and tty
//! settings must be set beforehand (`stty -F /dev/ttyUSB0 9600 raw`, or gpsd); Towerwatch does not
//! configure ttys.

use super::{Fix, FixQuality, GpsEvent};
use serde::Serialize;

/// Why a line was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NmeaError {
    /// Not of the form `$TTSSS,…*HH`.
    #[error("not an NMEA sentence")]
    NotNmea,
    /// No `*HH` checksum.
    #[error("missing checksum")]
    MissingChecksum,
    /// The checksum does not match the sentence.
    #[error("checksum mismatch: sentence says {stated:02X}, computed {computed:02X}")]
    Checksum {
        /// Checksum written in the sentence.
        stated: u8,
        /// Checksum of the received characters.
        computed: u8,
    },
    /// A field is out of range or unreadable.
    #[error("{sentence}: bad field {field}: '{value}'")]
    BadField {
        /// Sentence type (GGA, RMC, GSA).
        sentence: &'static str,
        /// Field name.
        field: &'static str,
        /// What was there.
        value: String,
    },
    /// Too few fields for the sentence type.
    #[error("{0}: too few fields")]
    TooShort(&'static str),
}

/// Time of day (UTC) from a sentence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeOfDay {
    /// Seconds since midnight UTC.
    pub day_s: f64,
}

/// Date (UTC) from an RMC sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    /// Year (four digits).
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
    /// Day 1–31.
    pub day: u32,
}

/// GGA: position, fix quality, satellites, HDOP, altitude.
#[derive(Debug, Clone, PartialEq)]
pub struct Gga {
    /// UTC time of the fix.
    pub time: Option<TimeOfDay>,
    /// Latitude and longitude in degrees (None when the fields are empty).
    pub position: Option<(f64, f64)>,
    /// Fix quality indicator (0 invalid, 1 GPS, 2 DGPS, 4/5 RTK, 6 estimated, 7 manual, 8 simulated).
    pub quality: u8,
    /// Satellites in use.
    pub satellites: Option<u32>,
    /// Horizontal dilution of precision.
    pub hdop: Option<f64>,
    /// Altitude above mean sea level, metres.
    pub alt_m: Option<f64>,
}

/// RMC: recommended minimum (time, status, position, date).
#[derive(Debug, Clone, PartialEq)]
pub struct Rmc {
    /// UTC time.
    pub time: Option<TimeOfDay>,
    /// Status A (valid) or V (void), and the NMEA 2.3 mode indicator not `N`.
    pub valid: bool,
    /// Latitude and longitude in degrees.
    pub position: Option<(f64, f64)>,
    /// UTC date.
    pub date: Option<Date>,
}

/// GSA: fix mode (1 none, 2 2D, 3 3D) and dilutions of precision.
#[derive(Debug, Clone, PartialEq)]
pub struct Gsa {
    /// 1 no fix, 2 2D, 3 3D.
    pub mode: Option<u8>,
    /// Horizontal dilution of precision.
    pub hdop: Option<f64>,
}

/// A parsed sentence.
#[derive(Debug, Clone, PartialEq)]
pub enum Sentence {
    /// GGA.
    Gga(Gga),
    /// RMC.
    Rmc(Rmc),
    /// GSA.
    Gsa(Gsa),
    /// A valid sentence of another type (GSV, VTG, …): ignored.
    Other(String),
}

/// Check the framing and checksum of a line; returns the body between `$` and `*`.
pub fn verify(line: &str) -> Result<&str, NmeaError> {
    let line = line.trim();
    let rest = line
        .strip_prefix('$')
        .or_else(|| line.strip_prefix('!'))
        .ok_or(NmeaError::NotNmea)?;
    let (body, sum) = rest.rsplit_once('*').ok_or(NmeaError::MissingChecksum)?;
    if sum.len() != 2 {
        return Err(NmeaError::MissingChecksum);
    }
    let stated = u8::from_str_radix(sum, 16).map_err(|_| NmeaError::MissingChecksum)?;
    let computed = body.bytes().fold(0u8, |a, b| a ^ b);
    if stated != computed {
        return Err(NmeaError::Checksum { stated, computed });
    }
    if body.len() < 6 || !body.is_ascii() {
        return Err(NmeaError::NotNmea);
    }
    Ok(body)
}

/// `*HH` checksum of a sentence body (for writing test tracks).
pub fn checksum(body: &str) -> u8 {
    body.bytes().fold(0u8, |a, b| a ^ b)
}

/// Wrap a body as a full sentence: `$BODY*HH`.
pub fn sentence(body: &str) -> String {
    format!("${body}*{:02X}", checksum(body))
}

/// Parse one line (checksum verified).
pub fn parse(line: &str) -> Result<Sentence, NmeaError> {
    let body = verify(line)?;
    let fields: Vec<&str> = body.split(',').collect();
    let kind = fields
        .first()
        .and_then(|h| h.get(2..))
        .ok_or(NmeaError::NotNmea)?;
    match kind {
        "GGA" => parse_gga(&fields).map(Sentence::Gga),
        "RMC" => parse_rmc(&fields).map(Sentence::Rmc),
        "GSA" => parse_gsa(&fields).map(Sentence::Gsa),
        other => Ok(Sentence::Other(other.to_string())),
    }
}

fn field<'a>(f: &[&'a str], i: usize) -> &'a str {
    f.get(i).copied().unwrap_or("")
}

fn bad(sentence: &'static str, field: &'static str, value: &str) -> NmeaError {
    NmeaError::BadField {
        sentence,
        field,
        value: value.to_string(),
    }
}

fn opt_num<T: std::str::FromStr>(
    s: &str,
    sentence: &'static str,
    name: &'static str,
) -> Result<Option<T>, NmeaError> {
    if s.is_empty() {
        Ok(None)
    } else {
        s.parse().map(Some).map_err(|_| bad(sentence, name, s))
    }
}

fn parse_time(s: &str, sentence: &'static str) -> Result<Option<TimeOfDay>, NmeaError> {
    if s.is_empty() {
        return Ok(None);
    }
    let err = || bad(sentence, "time", s);
    if s.len() < 6 || !s.is_char_boundary(6) {
        return Err(err());
    }
    let h: u32 = s[0..2].parse().map_err(|_| err())?;
    let m: u32 = s[2..4].parse().map_err(|_| err())?;
    let sec: f64 = s[4..].parse().map_err(|_| err())?;
    if h > 23 || m > 59 || !(0.0..61.0).contains(&sec) {
        return Err(err());
    }
    Ok(Some(TimeOfDay {
        day_s: f64::from(h * 3600 + m * 60) + sec,
    }))
}

/// `ddmm.mmmm` + hemisphere → degrees.
fn parse_coord(
    v: &str,
    hemi: &str,
    sentence: &'static str,
    is_lat: bool,
) -> Result<Option<f64>, NmeaError> {
    let name = if is_lat { "latitude" } else { "longitude" };
    if v.is_empty() && hemi.is_empty() {
        return Ok(None);
    }
    let deg_len = if is_lat { 2 } else { 3 };
    let err = || bad(sentence, name, &format!("{v},{hemi}"));
    if v.len() < deg_len + 2 || !v.is_char_boundary(deg_len) {
        return Err(err());
    }
    let deg: f64 = v[..deg_len].parse().map_err(|_| err())?;
    let min: f64 = v[deg_len..].parse().map_err(|_| err())?;
    if !(0.0..60.0).contains(&min) {
        return Err(err());
    }
    let mut d = deg + min / 60.0;
    let max = if is_lat { 90.0 } else { 180.0 };
    if d > max {
        return Err(err());
    }
    match (is_lat, hemi) {
        (true, "N") | (false, "E") => {}
        (true, "S") | (false, "W") => d = -d,
        _ => return Err(err()),
    }
    Ok(Some(d))
}

fn parse_position(
    f: &[&str],
    i: usize,
    sentence: &'static str,
) -> Result<Option<(f64, f64)>, NmeaError> {
    let lat = parse_coord(field(f, i), field(f, i + 1), sentence, true)?;
    let lon = parse_coord(field(f, i + 2), field(f, i + 3), sentence, false)?;
    Ok(lat.zip(lon))
}

fn parse_gga(f: &[&str]) -> Result<Gga, NmeaError> {
    const S: &str = "GGA";
    if f.len() < 10 {
        return Err(NmeaError::TooShort(S));
    }
    let quality = opt_num::<u8>(field(f, 6), S, "quality")?.unwrap_or(0);
    if quality > 9 {
        return Err(bad(S, "quality", field(f, 6)));
    }
    Ok(Gga {
        time: parse_time(field(f, 1), S)?,
        position: parse_position(f, 2, S)?,
        quality,
        satellites: opt_num(field(f, 7), S, "satellites")?,
        hdop: opt_num::<f64>(field(f, 8), S, "hdop")?.filter(|h| h.is_finite() && *h >= 0.0),
        alt_m: opt_num::<f64>(field(f, 9), S, "altitude")?.filter(|a| a.is_finite()),
    })
}

fn parse_rmc(f: &[&str]) -> Result<Rmc, NmeaError> {
    const S: &str = "RMC";
    if f.len() < 10 {
        return Err(NmeaError::TooShort(S));
    }
    let status = field(f, 2);
    let mode_ok = field(f, 12) != "N";
    let date_s = field(f, 9);
    let date = if date_s.is_empty() {
        None
    } else {
        let err = || bad(S, "date", date_s);
        if date_s.len() != 6 || !date_s.is_ascii() {
            return Err(err());
        }
        let d: u32 = date_s[0..2].parse().map_err(|_| err())?;
        let m: u32 = date_s[2..4].parse().map_err(|_| err())?;
        let y: i32 = date_s[4..6].parse().map_err(|_| err())?;
        if !(1..=31).contains(&d) || !(1..=12).contains(&m) {
            return Err(err());
        }
        Some(Date {
            year: if y < 80 { 2000 + y } else { 1900 + y },
            month: m,
            day: d,
        })
    };
    Ok(Rmc {
        time: parse_time(field(f, 1), S)?,
        valid: status == "A" && mode_ok,
        position: parse_position(f, 3, S)?,
        date,
    })
}

fn parse_gsa(f: &[&str]) -> Result<Gsa, NmeaError> {
    const S: &str = "GSA";
    if f.len() < 17 {
        return Err(NmeaError::TooShort(S));
    }
    let mode = opt_num::<u8>(field(f, 2), S, "mode")?;
    if mode.is_some_and(|m| !(1..=3).contains(&m)) {
        return Err(bad(S, "mode", field(f, 2)));
    }
    Ok(Gsa {
        mode,
        hdop: opt_num::<f64>(field(f, 16), S, "hdop")?.filter(|h| h.is_finite() && *h >= 0.0),
    })
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Counts of what an NMEA stream held.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NmeaCounters {
    /// Sentences with a good checksum that parsed.
    pub sentences_ok: u64,
    /// Sentences whose checksum did not match.
    pub checksum_errors: u64,
    /// Lines that were not NMEA, lacked a checksum, or had unreadable fields.
    pub malformed: u64,
    /// Position reports with a fix.
    pub fixes: u64,
    /// Position reports without a fix.
    pub no_fix: u64,
}

/// Turns NMEA lines into position events.
#[derive(Debug, Clone)]
pub struct NmeaDecoder {
    source: String,
    date: Option<Date>,
    gsa_mode: Option<u8>,
    gsa_hdop: Option<f64>,
    seen_gga: bool,
    /// What the stream held so far.
    pub counters: NmeaCounters,
    /// The last rejection, for diagnostics.
    pub last_error: Option<NmeaError>,
}

impl NmeaDecoder {
    /// A decoder labelling its fixes with `source` (e.g. `nmea:/dev/ttyACM0`).
    pub fn new(source: impl Into<String>) -> Self {
        NmeaDecoder {
            source: source.into(),
            date: None,
            gsa_mode: None,
            gsa_hdop: None,
            seen_gga: false,
            counters: NmeaCounters::default(),
            last_error: None,
        }
    }

    /// Feed one line; returns a position event when the line completes one.
    pub fn feed(&mut self, line: &str) -> Option<GpsEvent> {
        if line.trim().is_empty() {
            return None;
        }
        let s = match parse(line) {
            Ok(s) => s,
            Err(e) => {
                match e {
                    NmeaError::Checksum { .. } => self.counters.checksum_errors += 1,
                    _ => self.counters.malformed += 1,
                }
                self.last_error = Some(e);
                return None;
            }
        };
        self.counters.sentences_ok += 1;
        let ev = match s {
            Sentence::Gsa(g) => {
                self.gsa_mode = g.mode;
                self.gsa_hdop = g.hdop;
                None
            }
            Sentence::Other(_) => None,
            Sentence::Rmc(r) => {
                if r.date.is_some() {
                    self.date = r.date;
                }
                if self.seen_gga {
                    None
                } else {
                    let quality = if r.valid && r.position.is_some() {
                        match self.gsa_mode {
                            Some(3) => FixQuality::Fix3d,
                            Some(1) => FixQuality::NoFix,
                            _ => FixQuality::Fix2d,
                        }
                    } else {
                        FixQuality::NoFix
                    };
                    Some(self.event(r.time, r.position, quality, None, None, self.gsa_hdop))
                }
            }
            Sentence::Gga(g) => {
                self.seen_gga = true;
                let quality = match g.quality {
                    0 | 6 | 8 => FixQuality::NoFix,
                    7 => FixQuality::Fixed,
                    _ if g.position.is_none() => FixQuality::NoFix,
                    _ => match self.gsa_mode {
                        Some(1) => FixQuality::NoFix,
                        Some(2) => FixQuality::Fix2d,
                        Some(3) => FixQuality::Fix3d,
                        _ if g.alt_m.is_some() => FixQuality::Fix3d,
                        _ => FixQuality::Fix2d,
                    },
                };
                let hdop = g.hdop.or(self.gsa_hdop);
                Some(self.event(g.time, g.position, quality, g.alt_m, g.satellites, hdop))
            }
        };
        if let Some(e) = &ev {
            match e {
                GpsEvent::Fix(_) => self.counters.fixes += 1,
                GpsEvent::NoFix { .. } => self.counters.no_fix += 1,
            }
        }
        ev
    }

    fn event(
        &self,
        time: Option<TimeOfDay>,
        position: Option<(f64, f64)>,
        quality: FixQuality,
        alt_m: Option<f64>,
        satellites: Option<u32>,
        hdop: Option<f64>,
    ) -> GpsEvent {
        let day_s = time.map(|t| t.day_s);
        let unix_s = day_s
            .zip(self.date)
            .map(|(s, d)| days_from_civil(d.year, d.month, d.day) as f64 * 86_400.0 + s);
        match position {
            Some((lat_deg, lon_deg)) if quality != FixQuality::NoFix => GpsEvent::Fix(Fix {
                lat_deg,
                lon_deg,
                alt_m,
                quality,
                hdop,
                satellites,
                time_utc: super::format_time(unix_s, day_s),
                unix_s,
                day_s,
                source: self.source.clone(),
            }),
            _ => GpsEvent::NoFix {
                unix_s,
                day_s,
                time_utc: super::format_time(unix_s, day_s),
            },
        }
    }
}
