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

/// A live SoapySDR receiver streaming CF32.
pub struct SoapySource {
    device: Device,
    stream: RxStream<Complex32>,
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
    /// Samples handed out so far (segment bookkeeping).
    delivered: u64,
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

        let mut src = SoapySource {
            info: SourceInfo {
                description: args.clone(),
                sample_rate_sps: rate_sps,
                center_freq_hz: cfg.frequency_hz,
                format: native_format(&device, ch),
                start_time: Some(humantime::format_rfc3339_seconds(SystemTime::now()).to_string()),
                hardware: Some(hardware_name(&device, cfg.profile.as_ref())),
                total_samples: None,
                segments: vec![Segment {
                    sample_start: 0,
                    frequency_hz: cfg.frequency_hz,
                }],
                live: true,
            },
            args,
            channel: ch,
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
            error_run: 0,
            scratch: vec![Complex32::new(0.0, 0.0); mtu],
            device,
            stream,
            profile: cfg.profile.clone(),
        };
        // Tune before activating so the first samples are already at the right frequency.
        src.tune(cfg.frequency_hz)?;
        src.stream
            .activate(None)
            .map_err(|e| soapy_err(&src.args, "activate stream", e))?;
        Ok(src)
    }

    /// How the ppm correction was applied.
    pub fn ppm_applied_by(&self) -> PpmCorrection {
        self.ppm_by
    }

    /// Current gain in dB as the driver reports it.
    pub fn gain_db(&self) -> Result<f64, SourceError> {
        self.device
            .gain(Direction::Rx, self.channel)
            .map_err(|e| soapy_err(&self.args, "read gain", e))
    }

    /// Frequency (Hz) the device reports it is tuned to (after any host-side ppm scaling).
    pub fn device_frequency_hz(&self) -> Result<f64, SourceError> {
        self.device
            .frequency(Direction::Rx, self.channel)
            .map_err(|e| soapy_err(&self.args, "read frequency", e))
    }

    fn tune(&mut self, freq_hz: f64) -> Result<(), SourceError> {
        let request_hz = match self.ppm_by {
            PpmCorrection::Retune => freq_hz / (1.0 + self.ppm * 1e-6),
            PpmCorrection::None | PpmCorrection::Driver => freq_hz,
        };
        self.device
            .set_frequency(Direction::Rx, self.channel, request_hz, ())
            .map_err(|e| soapy_err(&self.args, &format!("tune to {freq_hz} Hz"), e))?;
        self.freq_hz = freq_hz;
        Ok(())
    }

    /// One `readStream` call. Ok(n > 0) samples; Ok(0) timeout or recoverable error (counted).
    fn read_once(&mut self, buf: &mut [Complex32]) -> Result<usize, SourceError> {
        match self.stream.read(&mut [buf], self.read_timeout_us) {
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
