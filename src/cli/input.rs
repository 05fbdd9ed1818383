//! Input flags shared by every command that reads samples, and opening the source they name.

use crate::source::{FileOptions, SampleFormat, SampleSource, open_file};
use anyhow::{Result, anyhow};
use clap::Args;
use std::path::{Path, PathBuf};
use towerwatch_dsp::arfcn::Band;

pub(crate) fn parse_band(s: &str) -> Result<Band, String> {
    Band::parse(s)
        .ok_or_else(|| format!("unknown band '{s}' (gsm850, p-gsm900, e-gsm900, r-gsm900, dcs1800, pcs1900; short forms such as egsm or dcs work too)"))
}

/// Which technologies a run decodes (`--tech`).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TechArg {
    /// GSM downlink carriers (and the uplink activity and spectrum).
    Gsm,
    /// LTE downlink cells: cell search, MIB, RSRP/RSRQ/SINR, frequency offset.
    Lte,
    /// Both.
    All,
}

impl TechArg {
    /// Whether GSM carriers are decoded.
    pub(crate) fn gsm(self) -> bool {
        self != TechArg::Lte
    }

    /// The LTE stage for a capture at `rate_sps`: none for `gsm`; for `all`, none (with a note on
    /// stderr) when the rate is below the 1.92 MS/s a cell search needs; for `lte` always (the
    /// pipeline then refuses a rate too low, with that message).
    pub(crate) fn lte_stage(self, rate_sps: f64) -> Option<crate::pipeline::lte::LteStageConfig> {
        let search_rate = towerwatch_dsp::lte::params::SEARCH_RATE_SPS;
        match self {
            TechArg::Gsm => None,
            TechArg::All if rate_sps.is_nan() || rate_sps < search_rate - 1.0 => {
                eprintln!(
                    "towerwatch: note: {rate_sps} S/s is below the 1.92 MS/s an LTE cell search needs: GSM only"
                );
                None
            }
            TechArg::Lte | TechArg::All => Some(Default::default()),
        }
    }
}

/// Where samples come from.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct InputArgs {
    /// Recording to read: SigMF (.sigmf-meta/.sigmf-data), WAV, raw IQ (.cu8 .cs8 .cs16 .cf32 .cfile),
    /// or a synthetic spec `synth:rate=2.048e6,freq=941e6,tone=300e3@-10,noise=-60,seconds=2`.
    #[arg(value_name = "INPUT")]
    pub(crate) input: Option<PathBuf>,
    /// Read from a SoapySDR receiver instead, e.g. `driver=rtlsdr` or `driver=hackrf,serial=…`.
    #[arg(long, value_name = "ARGS", conflicts_with = "input")]
    pub(crate) device: Option<String>,
    /// Hardware profile for live receivers: a built-in id (`towerwatch profiles` lists them, e.g.
    /// `rtlsdr-blog-v4`) or a profile file ending in `.toml`.
    #[arg(long, value_name = "ID", value_parser = parse_profile_arg)]
    pub(crate) profile: Option<String>,
    /// Raw sample format: cu8 (rtl_sdr), cs8 (hackrf_transfer), cs16, cf32 (GNU Radio .cfile).
    #[arg(long, value_name = "FMT", value_parser = parse_format)]
    pub(crate) format: Option<SampleFormat>,
    /// Sample rate in samples/s (raw files, receivers), e.g. 2.048e6.
    #[arg(long, value_name = "SPS", value_parser = crate::limits::parse_rate_arg)]
    pub(crate) rate: Option<f64>,
    /// Centre frequency in Hz (overrides the file's), e.g. 941e6.
    #[arg(long, value_name = "HZ", value_parser = crate::limits::parse_freq_arg)]
    pub(crate) freq: Option<f64>,
    /// Receiver gain in dB (live).
    #[arg(long, value_name = "DB", allow_hyphen_values = true, value_parser = crate::limits::parse_gain_arg)]
    pub(crate) gain: Option<f64>,
    /// Receiver frequency correction in ppm (live).
    #[arg(long, value_name = "PPM", allow_hyphen_values = true, value_parser = crate::limits::parse_ppm_arg)]
    pub(crate) ppm: Option<f64>,
    /// Live: when the receiver is lost (unplugged, stream failing), reopen it up to N times,
    /// waiting 0.5 s, 1 s, 2 s … (at most 30 s) between attempts; 0 ends the stream at the loss.
    /// The missed time is counted as lost samples. `record` never reconnects (see README).
    #[arg(long, value_name = "N")]
    pub(crate) reconnect_attempts: Option<u32>,
    /// Check a SigMF recording's SHA-512 (data, and metadata when it has one) before reading it;
    /// a recording without a hash fails unless --allow-unhashed.
    #[arg(long)]
    pub(crate) check_hash: bool,
    /// With --check-hash: read a recording that has no hash instead of failing.
    #[arg(long, requires = "check_hash")]
    pub(crate) allow_unhashed: bool,
    /// Read at most this many seconds of signal.
    #[arg(long, value_name = "S", value_parser = parse_positive)]
    pub(crate) seconds: Option<f64>,
}

/// Centre (Hz), rate (S/s) and encoding from an LTE-Cell-Scanner file name.
pub(crate) fn scanner_name_hints(path: &Path) -> Option<(f64, f64, Option<SampleFormat>)> {
    let name = path.file_name()?.to_str()?;
    let mut parts = name.split('_');
    let freq_mhz: f64 = parts.next()?.strip_prefix('f')?.parse().ok()?;
    let rate_msps: f64 = parts.next()?.strip_prefix('s')?.parse().ok()?;
    if !(freq_mhz.is_finite() && freq_mhz > 0.0 && rate_msps.is_finite() && rate_msps > 0.0) {
        return None;
    }
    let format = if name.contains("rtlsdr") {
        Some(SampleFormat::Cu8)
    } else if name.contains("hackrf") {
        Some(SampleFormat::Ci8)
    } else {
        None
    };
    Some((freq_mhz * 1e6, rate_msps * 1e6, format))
}

/// `a` with the centre, rate and encoding its file's LTE-Cell-Scanner name gives
/// ([`scanner_name_hints`]) wherever the flags leave them open: flags win over the name.
pub(crate) fn with_scanner_name_hints(a: &InputArgs) -> InputArgs {
    let mut input = a.clone();
    if let Some((freq_hz, rate_sps, format)) = input.input.as_deref().and_then(scanner_name_hints) {
        input.freq.get_or_insert(freq_hz);
        input.rate.get_or_insert(rate_sps);
        if input.format.is_none() {
            input.format = format;
        }
    }
    input
}

pub(crate) fn parse_format(s: &str) -> Result<SampleFormat, String> {
    SampleFormat::from_raw_name(s)
        .ok_or_else(|| format!("unknown format '{s}' (cu8, cs8, cs16, cf32)"))
}

pub(crate) fn parse_positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a positive number")),
    }
}

pub(crate) fn parse_severity(s: &str) -> Result<crate::detect::Severity, String> {
    use crate::detect::Severity;
    match s.to_ascii_lowercase().as_str() {
        "info" => Ok(Severity::Info),
        "low" => Ok(Severity::Low),
        "medium" => Ok(Severity::Medium),
        "high" => Ok(Severity::High),
        _ => Err(format!("unknown severity '{s}' (info, low, medium, high)")),
    }
}

pub(crate) fn parse_non_negative(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=3600.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "'{s}' is not a number of seconds between 0 and 3600"
        )),
    }
}

#[cfg(not(feature = "soapy"))]
pub(crate) const NO_SOAPY: &str = "this towerwatch was built without SoapySDR support. Install the library and \
a driver module (Debian/Ubuntu: sudo apt-get install libsoapysdr-dev soapysdr-tools \
soapysdr-module-rtlsdr pkg-config) and rebuild with: cargo build --release --features soapy";

/// Check a `--profile` value when the command line is parsed, so a wrong id never reaches a
/// receiver, an evidence manifest or a recording's metadata.
pub(crate) fn parse_profile_arg(s: &str) -> Result<String, String> {
    let checked = if s.ends_with(".toml") {
        crate::profile::Profile::load(std::path::Path::new(s)).map(|_| ())
    } else {
        crate::profile::Profile::by_id(s).map(|_| ())
    };
    checked.map(|()| s.to_string()).map_err(|e| e.to_string())
}

pub(crate) fn open_input(a: &InputArgs) -> Result<Box<dyn SampleSource>> {
    if let Some(dev) = &a.device {
        return open_device(dev, a);
    }
    let path = a
        .input
        .as_ref()
        .ok_or_else(|| anyhow!("no input: give a recording (or synth:…) or --device ARGS"))?;
    if let Some(id) = &a.profile {
        // A profile describes a receiver; a recording does not use one, but a wrong id is still
        // a mistake worth a line rather than silence.
        crate::profile::Profile::by_id(id)?;
        eprintln!(
            "towerwatch: note: --profile {} applies to live receivers (--device); ignored for {}",
            crate::term::escape(id),
            crate::term::escape(&path.display().to_string())
        );
    }
    if a.check_hash {
        crate::integrity::check_before_read(path, a.allow_unhashed)?;
    }
    let opts = FileOptions {
        format: a.format,
        rate_sps: a.rate,
        freq_hz: a.freq,
        check_hash: false,
    };
    Ok(open_file(path, &opts)?)
}

#[cfg(not(feature = "soapy"))]
pub(crate) fn open_device(_dev: &str, _a: &InputArgs) -> Result<Box<dyn SampleSource>> {
    anyhow::bail!("{NO_SOAPY}")
}

#[cfg(feature = "soapy")]
pub(crate) fn open_device(dev: &str, a: &InputArgs) -> Result<Box<dyn SampleSource>> {
    crate::live::open_device(
        dev,
        a.profile.as_deref(),
        a.rate,
        a.freq,
        a.gain,
        a.ppm,
        a.reconnect_attempts.unwrap_or(DEFAULT_RECONNECT_ATTEMPTS),
    )
}

/// Reconnect attempts per outage for live commands when `--reconnect-attempts` is not given.
pub const DEFAULT_RECONNECT_ATTEMPTS: u32 = 10;

pub(crate) fn max_samples(a: &InputArgs, src: &dyn SampleSource) -> Option<u64> {
    a.seconds
        .map(|s| (s * src.info().sample_rate_sps).round() as u64)
}

/// The detection options, one group shared by every run mode (`replay`, `scan`, `demo`,
/// `evidence`): what the detectors are judged against and which severity fails the run.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Detection")]
pub(crate) struct DetectArgs {
    /// Baseline file of this area (`towerwatch survey`); without it the baseline detectors stay
    /// silent.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Operators file (expected MCC/MNCs, ARFCN holdings, country, 2G switched off). Default:
    /// none — no country is assumed; the PLMN check works from the networks the cells on the air
    /// agree on and the built-in public MCC/MNC list (`towerwatch baseline operators` prints an
    /// example file).
    #[arg(long, value_name = "FILE")]
    pub(crate) operators: Option<PathBuf>,
    /// Your country, ISO 3166-1 alpha-2 (e.g. IE, CN, US): a network of a country that is
    /// neither this one nor a neighbour is more suspicious. Overrides the operators file's
    /// `country`.
    #[arg(long, value_name = "CC", value_parser = parse_country_arg)]
    pub(crate) country: Option<String>,
    /// Exit with status 10 when an alert reached this severity: low, medium or high. A low alert
    /// is "worth a look", not an alarm.
    #[arg(long, value_name = "SEVERITY", default_value = "medium", value_parser = parse_fail_on)]
    pub(crate) fail_on: crate::detect::Severity,
    /// Detector thresholds and scoring: TOML with one table per detector id and `[scoring]`.
    #[arg(long, value_name = "FILE")]
    pub(crate) detectors: Option<PathBuf>,
    /// Observations only: no detectors, no alerts.
    #[arg(long)]
    pub(crate) no_detect: bool,
}

impl DetectArgs {
    /// What the detection engine is built from.
    pub(crate) fn settings(&self) -> crate::alert::setup::DetectSettings {
        crate::alert::setup::DetectSettings {
            baseline: self.baseline.clone(),
            operators: self.operators.clone(),
            country: self.country.clone(),
            detectors: self.detectors.clone(),
            no_detect: self.no_detect,
        }
    }
}

impl Default for DetectArgs {
    fn default() -> Self {
        DetectArgs {
            baseline: None,
            operators: None,
            country: None,
            fail_on: crate::detect::Severity::Medium,
            detectors: None,
            no_detect: false,
        }
    }
}

pub(crate) fn parse_country_arg(s: &str) -> Result<String, String> {
    crate::cells::operators::parse_country(s)
}

pub(crate) fn parse_fail_on(s: &str) -> Result<crate::detect::Severity, String> {
    match parse_severity(s) {
        Ok(crate::detect::Severity::Info) | Err(_) => {
            Err(format!("unknown severity '{s}' (low, medium, high)"))
        }
        Ok(sev) => Ok(sev),
    }
}

/// GPS options shared by `replay`, `scan`, `demo` and `find`.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct GpsArgs {
    /// Read positions from gpsd (JSON protocol), e.g. `--gpsd localhost:2947`.
    #[arg(long, value_name = "HOST:PORT", conflicts_with_all = ["nmea", "position"])]
    pub(crate) gpsd: Option<String>,
    /// Read positions from an NMEA serial device (set its baud rate with stty first) or file. With
    /// a recording as input, a file is a track aligned with the start of the recording.
    #[arg(long, value_name = "PATH", conflicts_with = "position")]
    pub(crate) nmea: Option<PathBuf>,
    /// A fixed position for a stationary sensor, `LAT,LON` in degrees.
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    pub(crate) position: Option<String>,
    /// A fix older than this many seconds is reported as lost.
    #[arg(long, value_name = "S", default_value_t = crate::gps::DEFAULT_STALE_S, value_parser = parse_stale)]
    pub(crate) gps_stale: f64,
}

impl GpsArgs {
    /// The settings these flags give.
    pub(crate) fn settings(&self) -> crate::gps::GpsSettings {
        crate::gps::GpsSettings {
            gpsd: self.gpsd.clone(),
            nmea: self.nmea.clone(),
            position: self.position.clone(),
            gps_stale: self.gps_stale,
        }
    }

    /// Whether any position source was asked for.
    pub(crate) fn any(&self) -> bool {
        self.settings().any()
    }

    /// Open the provider the flags ask for (see [`crate::gps::GpsSettings::open`]).
    pub(crate) fn open(
        &self,
        recording: bool,
    ) -> Result<Option<crate::gps::PositionProvider>, crate::gps::GpsError> {
        self.settings().open(recording)
    }
}

/// Command-line flags of the frame sinks (flattened into `replay` and `decode`).
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct SinkArgs {
    /// Send every decoded L2 frame as GSMTAP over UDP, like gr-gsm (to 127.0.0.1:4729, or
    /// `--gsmtap=HOST:PORT`). Identities are masked unless --reveal-identities.
    #[arg(
        long,
        value_name = "HOST:PORT",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = crate::sink::DEFAULT_GSMTAP
    )]
    pub(crate) gsmtap: Option<String>,
    /// Write every decoded L2 frame as GSMTAP into this pcap file (Ethernet/IPv4/UDP to port
    /// 4729, opens in Wireshark; created with mode 0600).
    #[arg(long, value_name = "FILE")]
    pub(crate) pcap: Option<PathBuf>,
}

impl SinkArgs {
    /// The settings these flags give.
    pub(crate) fn settings(&self) -> crate::sink::SinkSettings {
        crate::sink::SinkSettings {
            gsmtap: self.gsmtap.clone(),
            pcap: self.pcap.clone(),
        }
    }
}

pub(crate) fn parse_stale(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a positive number of seconds")),
    }
}
