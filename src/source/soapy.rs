//! Live receivers through libSoapySDR (cargo feature `soapy`).
//!
//! [`SoapySource::open`] opens a device by its SoapySDR args string (`driver=rtlsdr,serial=…`),
//! sets sample rate, frequency, frequency correction and gain, and streams CF32 from channel 0
//! (or the one asked for). Reads never block forever: each `readStream` call has a timeout, and a
//! device that delivers nothing for [`LiveConfig::stall_timeout_s`] is reported (as an error, or
//! as end of stream for file playback through the `iqfile` test module).
//!
//! Overflows, timeouts and other recoverable stream errors reported by the driver are counted in
//! [`SourceStats`]; dropping whole blocks when the consumer falls behind is the pipeline's job.
//!
//! Frequency correction: SoapySDR's `setFrequencyCorrection` is not wrapped by the `soapysdr`
//! crate 0.5, so the correction goes to the driver's `CORR` tuning component when it has one
//! (which is what SoapySDR's default `setFrequencyCorrection` does too); otherwise the requested
//! centre frequency is scaled by `1 / (1 + ppm·1e-6)` so the true LO lands on the wanted frequency.
//! [`SoapySource::ppm_applied_by`] says which was done.

use super::{SampleSource, Segment, SourceError, SourceInfo, SourceStats};
use crate::profile::Profile;
use num_complex::Complex32;
use soapysdr::{Device, Direction, ErrorCode, RxStream};
use std::time::{Duration, Instant, SystemTime};

/// How to open and set up a live receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveConfig {
    /// Sample rate to set, samples/s.
    pub sample_rate_sps: f64,
    /// Centre frequency to tune, Hz.
    pub frequency_hz: f64,
    /// Overall gain in dB; `None` uses the profile's per-element defaults, or the driver's AGC
    /// when there is no profile.
    pub gain_db: Option<f64>,
    /// Receiver clock error to correct, ppm (positive = the receiver's clock runs fast).
    pub ppm: f64,
    /// Hardware profile: checks rate and frequency, gives default gains and retune settle time.
    pub profile: Option<Profile>,
    /// RX channel index.
    pub channel: usize,
    /// Antenna to select, if not the driver's default.
    pub antenna: Option<String>,
    /// Timeout of each `readStream` call, seconds.
    pub read_timeout_s: f64,
    /// A read that gets no samples for this long gives up, seconds.
    pub stall_timeout_s: f64,
    /// When a stall happens: `true` = report end of stream (`read` returns 0; for file playback
    /// through `driver=iqfile`), `false` = report a device error (real receivers).
    pub end_on_stall: bool,
    /// What to do when the device is lost.
    pub reconnect: Reconnect,
}

/// Reopening a lost device: after a fatal stream error (the device unplugged, [`MAX_ERROR_RUN`]
/// stream errors in a row, or a stall on a real receiver) the source closes the device, waits
/// `initial_s`, `2·initial_s`, `4·initial_s` … (at most `max_s`) and opens the same args with the
/// same settings (rate, current frequency, gain, ppm, antenna, channel), up to `attempts` times
/// per outage. The samples the outage cost (its wall-clock length × the rate) are counted in
/// [`SourceStats::samples_lost`] and the stream index skips over them, so stream time stays
/// true. `attempts = 0`: a lost device ends the stream with its error, as before.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconnect {
    /// Attempts per outage (0 = never reconnect).
    pub attempts: u32,
    /// Wait before the first attempt, seconds.
    pub initial_s: f64,
    /// Longest wait between attempts, seconds.
    pub max_s: f64,
}

impl Reconnect {
    /// Never reconnect: a lost device ends the stream.
    pub const OFF: Reconnect = Reconnect {
        attempts: 0,
        initial_s: 0.5,
        max_s: 30.0,
    };

    /// The wait before attempt `k` (0-based): `initial_s · 2^k`, at most `max_s`.
    pub fn delay(&self, k: u32) -> Duration {
        let s = self.initial_s * 2f64.powi(k.min(60) as i32);
        Duration::from_secs_f64(s.min(self.max_s).max(0.0))
    }
}

impl Default for Reconnect {
    /// The library default is [`Reconnect::OFF`]; the CLI asks for 10 attempts on live commands.
    fn default() -> Self {
        Reconnect::OFF
    }
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            sample_rate_sps: 2.048e6,
            frequency_hz: 947.4e6,
            gain_db: None,
            ppm: 0.0,
            profile: None,
            channel: 0,
            antenna: None,
            read_timeout_s: 0.1,
            stall_timeout_s: 3.0,
            end_on_stall: false,
            reconnect: Reconnect::OFF,
        }
    }
}

impl LiveConfig {
    /// Settings from a profile: its default rate and its clock ppm, gains from the profile.
    pub fn from_profile(profile: Profile, frequency_hz: f64) -> LiveConfig {
        LiveConfig {
            sample_rate_sps: profile.sample_rate.default_sps,
            frequency_hz,
            ppm: profile.clock.ppm,
            profile: Some(profile),
            ..LiveConfig::default()
        }
    }
}

/// One device found by [`list_devices`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceInfo {
    /// Driver key (`rtlsdr`, `hackrf`, …).
    pub driver: String,
    /// Human label from the driver, when it gives one.
    pub label: Option<String>,
    /// Serial number, when the driver gives one.
    pub serial: Option<String>,
    /// The full args string to open exactly this device.
    pub args: String,
}

/// Enumerate the devices SoapySDR can see (all modules in its search path).
pub fn list_devices() -> Result<Vec<DeviceInfo>, SourceError> {
    let found = soapysdr::enumerate("").map_err(|e| SourceError::Device {
        device: "SoapySDR enumerate".into(),
        problem: e.message,
    })?;
    Ok(found
        .iter()
        .map(|args| {
            let get = |k: &str| args.get(k).map(str::to_string);
            DeviceInfo {
                driver: get("driver").unwrap_or_default(),
                label: get("label"),
                serial: get("serial"),
                args: args
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(","),
            }
        })
        .collect())
}

/// How the ppm correction was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum PpmCorrection {
    /// No correction requested (0 ppm).
    None,
    /// The driver's `CORR` frequency component.
    Driver,
    /// The tuned frequency was scaled on the host.
    Retune,
}

/// An open device and its (active or not) stream.
struct Conn {
    // The stream first: fields drop in order, and a stream should go before its device.
    stream: RxStream<Complex32>,
    device: Device,
}

/// A live SoapySDR receiver streaming CF32.
pub struct SoapySource {
    /// `None` only while a lost device is being reopened.
    conn: Option<Conn>,
    /// The settings it was opened with (reused to reopen it).
    cfg: LiveConfig,
    args: String,
    channel: usize,
    info: SourceInfo,
    freq_hz: f64,
    ppm: f64,
    ppm_by: PpmCorrection,
    stats: SourceStats,
    read_timeout_us: i64,
    stall_timeout: Duration,
    end_on_stall: bool,
    ended: bool,
    settle_s: f64,
    /// Samples still to discard after a retune.
    discard: u64,
    /// Stream position: samples handed out plus samples lost in outages.
    delivered: u64,
    /// When the last samples arrived (the start of an outage, when one follows).
    last_data_at: Instant,
    /// Reconnect attempts made in the current outage (reset once samples flow again).
    attempts_used: u32,
    /// Consecutive stream errors (not overflow/timeout) since the last good read.
    error_run: u32,
    scratch: Vec<Complex32>,
    profile: Option<Profile>,
}

/// Consecutive stream errors after which the device is considered gone.
const MAX_ERROR_RUN: u32 = 50;

fn dev_err(device: &str, what: &str, e: impl std::fmt::Display) -> SourceError {
    SourceError::Device {
        device: device.to_string(),
        problem: format!("{what}: {e}"),
    }
}

fn soapy_err(device: &str, what: &str, e: soapysdr::Error) -> SourceError {
    dev_err(device, what, e.message)
}

impl SoapySource {
    /// Open the device `args` (empty: the profile's `driver_args`) and configure it.
    pub fn open(args: &str, cfg: &LiveConfig) -> Result<SoapySource, SourceError> {
        let args = if args.trim().is_empty() {
            match &cfg.profile {
                Some(p) => p.driver_args.clone(),
                None => {
                    return Err(SourceError::Device {
                        device: "(none)".into(),
                        problem: "no device args and no hardware profile given".into(),
                    });
                }
            }
        } else {
            args.trim().to_string()
        };
        let name = args.as_str();
        // The soapysdr crate panics on NUL bytes in args; refuse them first.
        if args.contains('\0') || cfg.antenna.as_deref().is_some_and(|a| a.contains('\0')) {
            return Err(dev_err(name, "bad args", "contains a NUL character"));
        }
        check_config(name, cfg)?;
        let (conn, rate_sps, ppm_by, mtu) = connect(name, cfg)?;
        let mut src = SoapySource {
            info: SourceInfo {
                description: args.clone(),
                sample_rate_sps: rate_sps,
                center_freq_hz: cfg.frequency_hz,
                format: native_format(&conn.device, cfg.channel),
                start_time: Some(humantime::format_rfc3339_seconds(SystemTime::now()).to_string()),
                hardware: Some(hardware_name(&conn.device, cfg.profile.as_ref())),
                total_samples: None,
                segments: vec![Segment {
                    sample_start: 0,
                    frequency_hz: cfg.frequency_hz,
                }],
                live: true,
            },
            conn: Some(conn),
            cfg: cfg.clone(),
            args,
            channel: cfg.channel,
            freq_hz: cfg.frequency_hz,
            ppm: cfg.ppm,
            ppm_by,
            stats: SourceStats::default(),
            read_timeout_us: (cfg.read_timeout_s * 1e6).round() as i64,
            stall_timeout: Duration::from_secs_f64(cfg.stall_timeout_s),
            end_on_stall: cfg.end_on_stall,
            ended: false,
            settle_s: cfg.profile.as_ref().map_or(0.0, |p| p.retune_settle_s),
            discard: 0,
            delivered: 0,
            last_data_at: Instant::now(),
            attempts_used: 0,
            error_run: 0,
            scratch: vec![Complex32::new(0.0, 0.0); mtu],
            profile: cfg.profile.clone(),
        };
        src.start(cfg.frequency_hz)?;
        Ok(src)
    }

    /// Tune (before activating, so the first samples are already at the right frequency) and
    /// start streaming.
    fn start(&mut self, freq_hz: f64) -> Result<(), SourceError> {
        self.tune(freq_hz)?;
        let conn = self.conn_mut()?;
        let r = conn.stream.activate(None);
        r.map_err(|e| soapy_err(&self.args, "activate stream", e))
    }

    fn conn(&self) -> Result<&Conn, SourceError> {
        self.conn
            .as_ref()
            .ok_or_else(|| dev_err(&self.args, "not connected", "the device is being reopened"))
    }

    fn conn_mut(&mut self) -> Result<&mut Conn, SourceError> {
        match self.conn.as_mut() {
            Some(c) => Ok(c),
            None => Err(dev_err(
                &self.args,
                "not connected",
                "the device is being reopened",
            )),
        }
    }
}

/// Open the device and configure it (channel, antenna, rate, ppm, gain) and its CF32 stream,
/// not yet tuned or active. Returns the connection, the actual rate, how ppm is applied and the
/// stream MTU.
fn connect(name: &str, cfg: &LiveConfig) -> Result<(Conn, f64, PpmCorrection, usize), SourceError> {
    let device = Device::new(name).map_err(|e| soapy_err(name, "open failed", e))?;
    let ch = cfg.channel;
    let n_rx = device
        .num_channels(Direction::Rx)
        .map_err(|e| soapy_err(name, "cannot count RX channels", e))?;
    if ch >= n_rx {
        return Err(dev_err(
            name,
            "bad channel",
            format!("RX channel {ch} requested, device has {n_rx}"),
        ));
    }
    if let Some(antenna) = &cfg.antenna {
        device
            .set_antenna(Direction::Rx, ch, antenna.as_str())
            .map_err(|e| soapy_err(name, &format!("set antenna {antenna}"), e))?;
    }
    device
        .set_sample_rate(Direction::Rx, ch, cfg.sample_rate_sps)
        .map_err(|e| {
            soapy_err(
                name,
                &format!("set sample rate {} S/s", cfg.sample_rate_sps),
                e,
            )
        })?;
    let rate_sps = device
        .sample_rate(Direction::Rx, ch)
        .map_err(|e| soapy_err(name, "read back sample rate", e))?;
    if (rate_sps - cfg.sample_rate_sps).abs() > 1e-3 * cfg.sample_rate_sps {
        return Err(dev_err(
            name,
            "sample rate",
            format!(
                "asked for {} S/s, device runs at {rate_sps} S/s",
                cfg.sample_rate_sps
            ),
        ));
    }

    let has_corr = device
        .list_frequencies(Direction::Rx, ch)
        .map(|names| names.iter().any(|n| n == "CORR"))
        .unwrap_or(false);
    let ppm_by = if cfg.ppm == 0.0 {
        PpmCorrection::None
    } else if has_corr {
        device
            .set_component_frequency(Direction::Rx, ch, "CORR", cfg.ppm, ())
            .map_err(|e| {
                soapy_err(
                    name,
                    &format!("set frequency correction {} ppm", cfg.ppm),
                    e,
                )
            })?;
        PpmCorrection::Driver
    } else {
        PpmCorrection::Retune
    };

    configure_gain(&device, name, ch, cfg)?;

    let stream = device
        .rx_stream::<Complex32>(&[ch])
        .map_err(|e| soapy_err(name, "set up CF32 RX stream", e))?;
    let mtu = stream.mtu().unwrap_or(16384).clamp(1024, 1 << 20);
    Ok((Conn { stream, device }, rate_sps, ppm_by, mtu))
}

impl SoapySource {
    /// How the ppm correction was applied.
    pub fn ppm_applied_by(&self) -> PpmCorrection {
        self.ppm_by
    }

    /// Current gain in dB as the driver reports it.
    pub fn gain_db(&self) -> Result<f64, SourceError> {
        self.conn()?
            .device
            .gain(Direction::Rx, self.channel)
            .map_err(|e| soapy_err(&self.args, "read gain", e))
    }

    /// Frequency (Hz) the device reports it is tuned to (after any host-side ppm scaling).
    pub fn device_frequency_hz(&self) -> Result<f64, SourceError> {
        self.conn()?
            .device
            .frequency(Direction::Rx, self.channel)
            .map_err(|e| soapy_err(&self.args, "read frequency", e))
    }

    fn tune(&mut self, freq_hz: f64) -> Result<(), SourceError> {
        let request_hz = match self.ppm_by {
            PpmCorrection::Retune => freq_hz / (1.0 + self.ppm * 1e-6),
            PpmCorrection::None | PpmCorrection::Driver => freq_hz,
        };
        self.conn()?
            .device
            .set_frequency(Direction::Rx, self.channel, request_hz, ())
            .map_err(|e| soapy_err(&self.args, &format!("tune to {freq_hz} Hz"), e))?;
        self.freq_hz = freq_hz;
        Ok(())
    }

    /// One `readStream` call. Ok(n > 0) samples; Ok(0) timeout or recoverable error (counted).
    fn read_once(&mut self, buf: &mut [Complex32]) -> Result<usize, SourceError> {
        let timeout_us = self.read_timeout_us;
        let read = self.conn_mut()?.stream.read(&mut [buf], timeout_us);
        match read {
            Ok(n) => {
                self.error_run = 0;
                Ok(n)
            }
            Err(e) => {
                match e.code {
                    ErrorCode::Timeout => self.stats.timeouts += 1,
                    ErrorCode::Overflow => self.stats.overflows += 1,
                    ErrorCode::Corruption | ErrorCode::StreamError | ErrorCode::TimeError => {
                        self.stats.stream_errors += 1;
                        self.error_run += 1;
                        if self.error_run >= MAX_ERROR_RUN {
                            return Err(dev_err(
                                &self.args,
                                "stream failed",
                                format!(
                                    "{MAX_ERROR_RUN} errors in a row, last: {:?} {}",
                                    e.code, e.message
                                ),
                            ));
                        }
                    }
                    _ => return Err(soapy_err(&self.args, "read stream", e)),
                }
                Ok(0)
            }
        }
    }
}

impl SampleSource for SoapySource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read(&mut self, buf: &mut [Complex32]) -> Result<usize, SourceError> {
        loop {
            match self.read_connected(buf) {
                Ok(n) => {
                    if n > 0 {
                        self.last_data_at = Instant::now();
                        self.attempts_used = 0;
                    }
                    return Ok(n);
                }
                Err(e) if self.cfg.reconnect.attempts > 0 => self.reconnect(e)?,
                Err(e) => return Err(e),
            }
        }
    }

    fn frequency_hz(&self) -> f64 {
        self.freq_hz
    }

    fn retune(&mut self, freq_hz: f64) -> Result<(), SourceError> {
        if !freq_hz.is_finite() || freq_hz < 0.0 {
            return Err(dev_err(
                &self.args,
                "retune",
                format!("{freq_hz} Hz is not a frequency"),
            ));
        }
        if let Some(p) = &self.profile {
            p.check_frequency(freq_hz)
                .map_err(|e| dev_err(&self.args, "retune", e))?;
        }
        self.tune(freq_hz)?;
        self.discard = (self.settle_s * self.info.sample_rate_sps).round() as u64;
        self.info.segments.push(Segment {
            sample_start: self.delivered,
            frequency_hz: freq_hz,
        });
        Ok(())
    }

    fn stats(&self) -> SourceStats {
        self.stats
    }
}

impl SoapySource {
    /// One read from the open device; a fatal error (device gone) is returned as is.
    fn read_connected(&mut self, buf: &mut [Complex32]) -> Result<usize, SourceError> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.ended {
            return Ok(0);
        }
        let mut last_data = Instant::now();
        loop {
            // Throw away samples still settling after a retune.
            while self.discard > 0 {
                let want = (self.discard as usize).min(self.scratch.len());
                let mut scratch = std::mem::take(&mut self.scratch);
                let got = self.read_once(&mut scratch[..want]);
                self.scratch = scratch;
                let got = got?;
                if got > 0 {
                    self.discard -= got as u64;
                    last_data = Instant::now();
                } else if last_data.elapsed() >= self.stall_timeout {
                    return self.stalled();
                }
            }
            let got = self.read_once(buf)?;
            if got > 0 {
                self.delivered += got as u64;
                return Ok(got);
            }
            if last_data.elapsed() >= self.stall_timeout {
                return self.stalled();
            }
        }
    }

    /// The device is lost (`cause`): close it and reopen it with back-off, as
    /// [`Reconnect`] says. Ok once it streams again (the outage counted in `samples_lost`);
    /// the error once the attempts are used up.
    fn reconnect(&mut self, cause: SourceError) -> Result<(), SourceError> {
        let policy = self.cfg.reconnect.clone();
        if self.attempts_used == 0 {
            eprintln!(
                "towerwatch: {cause}; the device is lost, reopening it (up to {} attempts)",
                policy.attempts
            );
        }
        // Close it first: a real receiver cannot be opened twice.
        if let Some(mut c) = self.conn.take() {
            let _ = c.stream.deactivate(None);
        }
        let mut last = cause;
        while self.attempts_used < policy.attempts {
            let k = self.attempts_used;
            self.attempts_used += 1;
            let wait = policy.delay(k);
            eprintln!(
                "towerwatch: device {}: reconnect attempt {}/{} in {:.2} s",
                self.args,
                k + 1,
                policy.attempts,
                wait.as_secs_f64()
            );
            std::thread::sleep(wait);
            match self.reopen() {
                Ok(()) => {
                    let outage = self.last_data_at.elapsed();
                    let lost = (outage.as_secs_f64() * self.info.sample_rate_sps).round() as u64;
                    self.stats.reconnects += 1;
                    self.stats.samples_lost += lost;
                    self.delivered += lost;
                    self.error_run = 0;
                    eprintln!(
                        "towerwatch: device {}: reconnected after {:.1} s without samples \
                         ({lost} samples lost; stream time skips them)",
                        self.args,
                        outage.as_secs_f64()
                    );
                    return Ok(());
                }
                Err(e) => {
                    eprintln!("towerwatch: reconnect attempt {} failed: {e}", k + 1);
                    last = e;
                }
            }
        }
        let last = match last {
            SourceError::Device { problem, .. } => problem,
            other => other.to_string(),
        };
        Err(dev_err(
            &self.args,
            "lost",
            format!(
                "gave up after {} reconnect attempts, last: {last}",
                policy.attempts
            ),
        ))
    }

    /// Open the device again with the same settings, tuned where it was.
    fn reopen(&mut self) -> Result<(), SourceError> {
        let (conn, _rate, ppm_by, _mtu) = connect(&self.args, &self.cfg)?;
        self.conn = Some(conn);
        self.ppm_by = ppm_by;
        if let Err(e) = self.start(self.freq_hz) {
            self.conn = None;
            return Err(e);
        }
        self.discard = (self.settle_s * self.info.sample_rate_sps).round() as u64;
        Ok(())
    }

    fn stalled(&mut self) -> Result<usize, SourceError> {
        if self.end_on_stall {
            self.ended = true;
            Ok(0)
        } else {
            Err(dev_err(
                &self.args,
                "no samples",
                format!(
                    "nothing received for {:.1} s ({} timeouts, {} overflows)",
                    self.stall_timeout.as_secs_f64(),
                    self.stats.timeouts,
                    self.stats.overflows
                ),
            ))
        }
    }
}

/// Check the config against itself and the profile before touching the device.
fn check_config(name: &str, cfg: &LiveConfig) -> Result<(), SourceError> {
    let bad = |what: &str| dev_err(name, "bad settings", what);
    if !(cfg.sample_rate_sps.is_finite() && cfg.sample_rate_sps > 0.0) {
        return Err(bad(&format!("sample rate {} S/s", cfg.sample_rate_sps)));
    }
    if !(cfg.frequency_hz.is_finite() && cfg.frequency_hz >= 0.0) {
        return Err(bad(&format!("frequency {} Hz", cfg.frequency_hz)));
    }
    if !cfg.ppm.is_finite() || cfg.ppm.abs() > 1000.0 {
        return Err(bad(&format!(
            "ppm correction {} (must be within ±1000)",
            cfg.ppm
        )));
    }
    if let Some(g) = cfg.gain_db
        && !g.is_finite()
    {
        return Err(bad(&format!("gain {g} dB")));
    }
    if !(cfg.read_timeout_s.is_finite() && cfg.read_timeout_s > 0.0 && cfg.read_timeout_s <= 10.0) {
        return Err(bad(&format!(
            "read timeout {} s (must be in (0, 10])",
            cfg.read_timeout_s
        )));
    }
    if !(cfg.stall_timeout_s.is_finite()
        && cfg.stall_timeout_s > 0.0
        && cfg.stall_timeout_s <= 3600.0)
    {
        return Err(bad(&format!(
            "stall timeout {} s (must be in (0, 3600])",
            cfg.stall_timeout_s
        )));
    }
    let r = &cfg.reconnect;
    let wait_ok = |s: f64| s.is_finite() && (0.0..=3600.0).contains(&s);
    if !(wait_ok(r.initial_s) && wait_ok(r.max_s)) {
        return Err(bad(&format!(
            "reconnect waits {} s / {} s (must be in [0, 3600])",
            r.initial_s, r.max_s
        )));
    }
    if let Some(p) = &cfg.profile {
        p.check_sample_rate(cfg.sample_rate_sps)
            .map_err(|e| bad(&e))?;
        p.check_frequency(cfg.frequency_hz).map_err(|e| bad(&e))?;
    }
    Ok(())
}

/// Overall gain if given; else the profile's per-element defaults; else the driver's AGC.
fn configure_gain(
    device: &Device,
    name: &str,
    ch: usize,
    cfg: &LiveConfig,
) -> Result<(), SourceError> {
    let has_agc = device.has_gain_mode(Direction::Rx, ch).unwrap_or(false);
    match (cfg.gain_db, &cfg.profile) {
        (Some(g), _) => {
            if has_agc {
                device
                    .set_gain_mode(Direction::Rx, ch, false)
                    .map_err(|e| soapy_err(name, "turn AGC off", e))?;
            }
            let range = device
                .gain_range(Direction::Rx, ch)
                .map_err(|e| soapy_err(name, "read gain range", e))?;
            if g < range.minimum - 1e-9 || g > range.maximum + 1e-9 {
                return Err(dev_err(
                    name,
                    "gain",
                    format!(
                        "{g} dB is outside the device's {}..{} dB",
                        range.minimum, range.maximum
                    ),
                ));
            }
            device
                .set_gain(Direction::Rx, ch, g)
                .map_err(|e| soapy_err(name, &format!("set gain {g} dB"), e))
        }
        (None, Some(profile)) => {
            if has_agc {
                device
                    .set_gain_mode(Direction::Rx, ch, false)
                    .map_err(|e| soapy_err(name, "turn AGC off", e))?;
            }
            let known = device.list_gains(Direction::Rx, ch).unwrap_or_default();
            for el in &profile.gains.element {
                if !known.iter().any(|k| k == &el.name) {
                    return Err(dev_err(
                        name,
                        "gain",
                        format!(
                            "profile {} names gain element '{}', driver has [{}]",
                            profile.id,
                            el.name,
                            known.join(", ")
                        ),
                    ));
                }
                device
                    .set_gain_element(Direction::Rx, ch, el.name.as_str(), el.default_db)
                    .map_err(|e| {
                        soapy_err(
                            name,
                            &format!("set gain {} {} dB", el.name, el.default_db),
                            e,
                        )
                    })?;
            }
            Ok(())
        }
        (None, None) => {
            if has_agc {
                device
                    .set_gain_mode(Direction::Rx, ch, true)
                    .map_err(|e| soapy_err(name, "turn AGC on", e))?;
            }
            Ok(())
        }
    }
}

fn native_format(device: &Device, ch: usize) -> String {
    match device.native_stream_format(Direction::Rx, ch) {
        Ok((format, _full_scale)) => format.to_string().to_lowercase(),
        Err(_) => "cf32".into(),
    }
}

/// Driver/hardware keys and the profile name; no serial numbers or other identifying info.
fn hardware_name(device: &Device, profile: Option<&Profile>) -> String {
    let driver = device.driver_key().unwrap_or_default();
    let hardware = device.hardware_key().unwrap_or_default();
    let mut s = format!("SoapySDR {driver}");
    if !hardware.is_empty() && hardware != driver {
        s.push_str(&format!(" ({hardware})"));
    }
    if let Some(p) = profile {
        s.push_str(&format!(", profile {}", p.id));
    }
    s
}
