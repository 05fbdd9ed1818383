//! Hardware profiles: one TOML per receiver in `hardware-profiles/`.
//!
//! The file name (without `.toml`) is the profile id. Every field is required unless marked
//! optional; unknown keys are rejected (`deny_unknown_fields`) so a typo never silently falls back
//! to a default. Each section says in `source` where its numbers come from.
//!
//! The shipped profiles are embedded in the binary with `include_str!`, so an installed
//! `towerwatch` knows them without the source tree: [`Profile::by_id`], [`Profile::builtin_ids`].

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A receiver's capabilities and the settings Towerwatch uses with it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Profile id (file name without `.toml`); not part of the file.
    #[serde(skip)]
    pub id: String,
    /// Human name, e.g. "RTL-SDR Blog V3".
    pub name: String,
    /// SoapySDR device arguments that select this kind of receiver, e.g. `driver=rtlsdr`.
    pub driver_args: String,
    /// Native sample format on the wire: `cu8`, `cs8`, `cs12`, `cs16` or `cf32`.
    pub sample_format: String,
    /// True when the receiver shows a spike at the centre frequency (zero-IF LO leakage / DC offset).
    pub dc_spike: bool,
    /// Time to discard after a retune before samples are trusted (PLL lock + driver buffers), seconds.
    pub retune_settle_s: f64,
    /// Free-form notes for users (quirks, what to watch out for).
    #[serde(default)]
    pub notes: String,
    /// Where the top-level values (format, DC spike, settle time) come from.
    pub source: String,
    /// Tuning range.
    pub tuning: Tuning,
    /// Sample rates.
    pub sample_rate: SampleRates,
    /// Gain elements as the SoapySDR driver names them.
    pub gains: Gains,
    /// Reference clock.
    pub clock: ClockSpec,
}

/// Tuning range of the receiver, Hz.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tuning {
    /// Lowest centre frequency, Hz.
    pub min_hz: f64,
    /// Highest centre frequency, Hz.
    pub max_hz: f64,
    /// Where these numbers come from.
    pub source: String,
}

/// Sample rates the receiver accepts and those it delivers without drops.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleRates {
    /// Lowest rate the driver accepts, samples/s.
    pub min_sps: f64,
    /// Highest rate the driver accepts, samples/s.
    pub max_sps: f64,
    /// Highest rate that streams without drops on a typical host, samples/s.
    pub usable_max_sps: f64,
    /// Rate Towerwatch uses unless told otherwise, samples/s.
    pub default_sps: f64,
    /// Optional list of the only rates accepted (empty: any rate in `min_sps..=max_sps`).
    #[serde(default)]
    pub discrete_sps: Vec<f64>,
    /// Bandwidth usable at `default_sps` (inside the anti-alias filter roll-off), Hz.
    pub usable_bandwidth_hz: f64,
    /// Where these numbers come from.
    pub source: String,
}

/// Gain elements.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gains {
    /// Where these numbers come from.
    pub source: String,
    /// One entry per element, RF to baseband (at least one; checked by `validate`).
    #[serde(default)]
    pub element: Vec<GainElement>,
}

/// One gain element (SoapySDR `setGain(dir, ch, name, value)`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GainElement {
    /// Element name as the SoapySDR driver lists it (`LNA`, `TUNER`, `IFGR`, ...).
    pub name: String,
    /// Lowest setting, dB (or driver units where the driver says so; see notes).
    pub min_db: f64,
    /// Highest setting, dB.
    pub max_db: f64,
    /// Step between settings, dB (0 = continuous).
    #[serde(default)]
    pub step_db: f64,
    /// Setting Towerwatch uses unless told otherwise.
    pub default_db: f64,
}

/// Reference clock accuracy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSpec {
    /// Known frequency offset of this receiver type, ppm (signed; usually 0 = unknown/centred).
    pub ppm: f64,
    /// Uncertainty of the offset (± ppm) for a unit out of the box; never negative.
    pub uncertainty_ppm: f64,
    /// True when the reference is a TCXO (or better).
    pub tcxo: bool,
    /// Where these numbers come from.
    pub source: String,
}

/// Native sample formats a profile may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    /// Unsigned 8-bit I/Q (RTL-SDR).
    Cu8,
    /// Signed 8-bit I/Q (HackRF).
    Cs8,
    /// Packed signed 12-bit I/Q.
    Cs12,
    /// Signed 16-bit I/Q.
    Cs16,
    /// 32-bit float I/Q.
    Cf32,
}

impl SampleFormat {
    /// All known formats with their profile names.
    pub const ALL: [(&'static str, SampleFormat); 5] = [
        ("cu8", SampleFormat::Cu8),
        ("cs8", SampleFormat::Cs8),
        ("cs12", SampleFormat::Cs12),
        ("cs16", SampleFormat::Cs16),
        ("cf32", SampleFormat::Cf32),
    ];

    /// Parse a profile format name.
    pub fn from_name(name: &str) -> Option<SampleFormat> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, format)| *format)
    }
}

/// Errors loading or validating a profile. Each names the file and the problem in one line.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The profile file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not match the schema (unknown key, wrong type, missing field).
    #[error("{path}: {message}")]
    Parse {
        /// The profile file.
        path: PathBuf,
        /// Location and problem, one line.
        message: String,
    },
    /// The file parses but its values are inconsistent.
    #[error("{path}: {problem}")]
    Invalid {
        /// The profile file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// No built-in profile has this id.
    #[error("unknown hardware profile '{id}' (built in: {known})")]
    UnknownId {
        /// The id asked for.
        id: String,
        /// Comma-separated list of built-in ids.
        known: String,
    },
}

/// Shipped profiles: (id, TOML text).
const BUILTIN: &[(&str, &str)] = &[
    (
        "rtlsdr-blog-v3",
        include_str!("../hardware-profiles/rtlsdr-blog-v3.toml"),
    ),
    (
        "rtlsdr-blog-v4",
        include_str!("../hardware-profiles/rtlsdr-blog-v4.toml"),
    ),
    (
        "hackrf-one",
        include_str!("../hardware-profiles/hackrf-one.toml"),
    ),
    (
        "airspy-r2",
        include_str!("../hardware-profiles/airspy-r2.toml"),
    ),
    (
        "airspy-mini",
        include_str!("../hardware-profiles/airspy-mini.toml"),
    ),
    (
        "sdrplay-rsp1a",
        include_str!("../hardware-profiles/sdrplay-rsp1a.toml"),
    ),
    (
        "usrp-b200-b210",
        include_str!("../hardware-profiles/usrp-b200-b210.toml"),
    ),
    (
        "limesdr-mini",
        include_str!("../hardware-profiles/limesdr-mini.toml"),
    ),
    (
        "adalm-pluto",
        include_str!("../hardware-profiles/adalm-pluto.toml"),
    ),
    (
        "bladerf2-micro",
        include_str!("../hardware-profiles/bladerf2-micro.toml"),
    ),
];

impl Profile {
    /// Load and validate a profile file; its id is the file name without extension.
    pub fn load(path: impl AsRef<Path>) -> Result<Profile, ProfileError> {
        let path = path.as_ref();
        let text =
            crate::limits::read_text_capped_io(path, crate::limits::MAX_CONFIG_BYTES, "a profile")
                .map_err(|source| ProfileError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Profile::parse(&text, &id, path)
    }

    /// Parse and validate profile text. `origin` is used in error messages only.
    pub fn parse(text: &str, id: &str, origin: &Path) -> Result<Profile, ProfileError> {
        let mut profile: Profile = toml::from_str(text).map_err(|e| ProfileError::Parse {
            path: origin.to_path_buf(),
            message: one_line_toml_error(text, &e),
        })?;
        profile.id = id.to_string();
        profile
            .validate()
            .map_err(|problem| ProfileError::Invalid {
                path: origin.to_path_buf(),
                problem,
            })?;
        Ok(profile)
    }

    /// A built-in profile by id (e.g. `rtlsdr-blog-v3`).
    pub fn by_id(id: &str) -> Result<Profile, ProfileError> {
        let (_, text) = BUILTIN
            .iter()
            .find(|(known, _)| *known == id)
            .ok_or_else(|| ProfileError::UnknownId {
                id: id.to_string(),
                known: Self::builtin_ids().join(", "),
            })?;
        let origin = PathBuf::from(format!("hardware-profiles/{id}.toml (built in)"));
        Profile::parse(text, id, &origin)
    }

    /// Ids of the built-in profiles.
    pub fn builtin_ids() -> Vec<&'static str> {
        BUILTIN.iter().map(|(id, _)| *id).collect()
    }

    /// All built-in profiles, parsed and validated.
    pub fn builtin() -> Result<Vec<Profile>, ProfileError> {
        BUILTIN.iter().map(|(id, _)| Profile::by_id(id)).collect()
    }

    /// The native sample format (validated to be known).
    pub fn format(&self) -> Option<SampleFormat> {
        SampleFormat::from_name(&self.sample_format)
    }

    /// Check that a sample rate is one the receiver accepts; `Err` says why not.
    pub fn check_sample_rate(&self, rate_sps: f64) -> Result<(), String> {
        let sr = &self.sample_rate;
        if !rate_sps.is_finite() || rate_sps < sr.min_sps || rate_sps > sr.max_sps {
            return Err(format!(
                "{}: sample rate {rate_sps} S/s is outside {}..{} S/s",
                self.name, sr.min_sps, sr.max_sps
            ));
        }
        if !sr.discrete_sps.is_empty()
            && !sr.discrete_sps.iter().any(|r| (r - rate_sps).abs() < 0.5)
        {
            return Err(format!(
                "{}: sample rate {rate_sps} S/s is not one of {:?}",
                self.name, sr.discrete_sps
            ));
        }
        Ok(())
    }

    /// Check that a centre frequency is inside the tuning range; `Err` says why not.
    pub fn check_frequency(&self, freq_hz: f64) -> Result<(), String> {
        if !freq_hz.is_finite() || freq_hz < self.tuning.min_hz || freq_hz > self.tuning.max_hz {
            return Err(format!(
                "{}: frequency {freq_hz} Hz is outside the tuning range {}..{} Hz",
                self.name, self.tuning.min_hz, self.tuning.max_hz
            ));
        }
        Ok(())
    }

    /// Check every value; returns the first problem found as one line.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("name is empty".into());
        }
        if self.source.trim().is_empty() {
            return Err("source is empty: say where the values come from".into());
        }
        self.validate_driver_args()?;
        if self.format().is_none() {
            let known: Vec<&str> = SampleFormat::ALL.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "unknown sample_format '{}' (known: {})",
                self.sample_format,
                known.join(", ")
            ));
        }
        if !self.retune_settle_s.is_finite() || self.retune_settle_s < 0.0 {
            return Err(format!(
                "retune_settle_s {} is negative or not a number",
                self.retune_settle_s
            ));
        }
        if self.retune_settle_s > 10.0 {
            return Err(format!(
                "retune_settle_s {} s is implausibly long (over 10 s)",
                self.retune_settle_s
            ));
        }
        self.validate_tuning()?;
        self.validate_sample_rates()?;
        self.validate_gains()?;
        self.validate_clock()
    }

    fn validate_driver_args(&self) -> Result<(), String> {
        let args = self.driver_args.trim();
        if args.is_empty() {
            return Err("driver_args is empty".into());
        }
        if args.contains('\0') {
            return Err("driver_args contains a NUL character".into());
        }
        let mut has_driver = false;
        for pair in args.split(',') {
            let pair = pair.trim();
            let Some((key, value)) = pair.split_once('=') else {
                return Err(format!("driver_args '{args}': '{pair}' is not key=value"));
            };
            if key.trim().is_empty() {
                return Err(format!("driver_args '{args}': empty key in '{pair}'"));
            }
            if key.trim() == "driver" {
                if value.trim().is_empty() {
                    return Err(format!("driver_args '{args}': driver= is empty"));
                }
                has_driver = true;
            }
        }
        if !has_driver {
            return Err(format!("driver_args '{args}' has no driver=NAME"));
        }
        Ok(())
    }

    fn validate_tuning(&self) -> Result<(), String> {
        let t = &self.tuning;
        finite("tuning.min_hz", t.min_hz)?;
        finite("tuning.max_hz", t.max_hz)?;
        if t.min_hz < 0.0 {
            return Err(format!("tuning.min_hz {} is negative", t.min_hz));
        }
        if t.min_hz >= t.max_hz {
            return Err(format!(
                "tuning.min_hz {} is not below tuning.max_hz {}",
                t.min_hz, t.max_hz
            ));
        }
        non_empty("tuning.source", &t.source)
    }

    fn validate_sample_rates(&self) -> Result<(), String> {
        let s = &self.sample_rate;
        for (name, v) in [
            ("sample_rate.min_sps", s.min_sps),
            ("sample_rate.max_sps", s.max_sps),
            ("sample_rate.usable_max_sps", s.usable_max_sps),
            ("sample_rate.default_sps", s.default_sps),
            ("sample_rate.usable_bandwidth_hz", s.usable_bandwidth_hz),
        ] {
            finite(name, v)?;
            if v <= 0.0 {
                return Err(format!("{name} {v} is not positive"));
            }
        }
        if s.min_sps > s.max_sps {
            return Err(format!(
                "sample_rate.min_sps {} is above sample_rate.max_sps {}",
                s.min_sps, s.max_sps
            ));
        }
        if s.usable_max_sps < s.min_sps || s.usable_max_sps > s.max_sps {
            return Err(format!(
                "sample_rate.usable_max_sps {} is outside min_sps..max_sps ({}..{})",
                s.usable_max_sps, s.min_sps, s.max_sps
            ));
        }
        if s.default_sps < s.min_sps || s.default_sps > s.usable_max_sps {
            return Err(format!(
                "sample_rate.default_sps {} is outside min_sps..usable_max_sps ({}..{})",
                s.default_sps, s.min_sps, s.usable_max_sps
            ));
        }
        for r in &s.discrete_sps {
            if !r.is_finite() || *r < s.min_sps || *r > s.max_sps {
                return Err(format!(
                    "sample_rate.discrete_sps entry {r} is outside min_sps..max_sps ({}..{})",
                    s.min_sps, s.max_sps
                ));
            }
        }
        if !s.discrete_sps.is_empty()
            && !s
                .discrete_sps
                .iter()
                .any(|r| (r - s.default_sps).abs() < 0.5)
        {
            return Err(format!(
                "sample_rate.default_sps {} is not one of discrete_sps",
                s.default_sps
            ));
        }
        if s.usable_bandwidth_hz > s.default_sps {
            return Err(format!(
                "sample_rate.usable_bandwidth_hz {} exceeds default_sps {} (complex sampling: bandwidth <= rate)",
                s.usable_bandwidth_hz, s.default_sps
            ));
        }
        non_empty("sample_rate.source", &s.source)
    }

    fn validate_gains(&self) -> Result<(), String> {
        let g = &self.gains;
        non_empty("gains.source", &g.source)?;
        if g.element.is_empty() {
            return Err("gains: no [[gains.element]] given".into());
        }
        for (i, e) in g.element.iter().enumerate() {
            if e.name.trim().is_empty() {
                return Err(format!("gains.element[{i}]: name is empty"));
            }
            if e.name.contains('\0') || e.name.contains(',') || e.name.contains('=') {
                return Err(format!(
                    "gains.element[{i}]: name {:?} contains NUL, ',' or '='",
                    e.name
                ));
            }
            if g.element[..i].iter().any(|other| other.name == e.name) {
                return Err(format!("gains.element '{}' is listed twice", e.name));
            }
            let n = &e.name;
            for (field, v) in [
                ("min_db", e.min_db),
                ("max_db", e.max_db),
                ("step_db", e.step_db),
                ("default_db", e.default_db),
            ] {
                if !v.is_finite() {
                    return Err(format!("gains.element '{n}': {field} is not a number"));
                }
            }
            if e.min_db > e.max_db {
                return Err(format!(
                    "gains.element '{n}': min_db {} is above max_db {}",
                    e.min_db, e.max_db
                ));
            }
            if e.step_db < 0.0 {
                return Err(format!(
                    "gains.element '{n}': step_db {} is negative",
                    e.step_db
                ));
            }
            if e.default_db < e.min_db || e.default_db > e.max_db {
                return Err(format!(
                    "gains.element '{n}': default_db {} is outside {}..{}",
                    e.default_db, e.min_db, e.max_db
                ));
            }
        }
        Ok(())
    }

    fn validate_clock(&self) -> Result<(), String> {
        let c = &self.clock;
        finite("clock.ppm", c.ppm)?;
        finite("clock.uncertainty_ppm", c.uncertainty_ppm)?;
        if c.uncertainty_ppm < 0.0 {
            return Err(format!(
                "clock.uncertainty_ppm {} is negative",
                c.uncertainty_ppm
            ));
        }
        if c.ppm.abs() > 1000.0 || c.uncertainty_ppm > 1000.0 {
            return Err(format!(
                "clock.ppm {} / uncertainty_ppm {} is implausible (over 1000 ppm)",
                c.ppm, c.uncertainty_ppm
            ));
        }
        non_empty("clock.source", &c.source)
    }
}

fn finite(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(format!("{name} is not a finite number"))
    }
}

fn non_empty(name: &str, v: &str) -> Result<(), String> {
    if v.trim().is_empty() {
        Err(format!("{name} is empty: say where the values come from"))
    } else {
        Ok(())
    }
}

/// `toml`'s own message spans several lines (with a source snippet); make it one line with a
/// line and column.
fn one_line_toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().replace('\n', "; ");
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or("");
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |p| p + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}
