//! Command-line interface (clap). Exit codes: 0 success; 2 error (bad input file, bad arguments,
//! device failure) with a one-line message on stderr; 10 reserved for "replay raised an alert".

use crate::observation::Observation;
use crate::pipeline::gsm::GsmStageConfig;
use crate::pipeline::{Event, Pipeline, PipelineConfig, SpectrumStageConfig};
use crate::source::sigmf::{self, SigmfMeta, SigmfWriter, WriterMeta};
use crate::source::{FileOptions, SampleFormat, SampleSource, open_file};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use towerwatch_dsp::arfcn::{Band, Direction};
use towerwatch_dsp::gsm::l3::CellSummary;
use towerwatch_dsp::spectrum::{Welch, WelchConfig, Window};

/// Exit code for errors (bad input, bad arguments, device failure).
pub const EXIT_ERROR: u8 = 2;
/// Exit status of a run stopped by Ctrl-C / SIGTERM before its input ended (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

#[derive(Parser, Debug)]
#[command(
    name = "towerwatch",
    version,
    about = "Find fake GSM base stations and mass-SMS transmitters with an SDR",
    long_about = "Towerwatch reads IQ samples from a SoapySDR receiver or a recording (SigMF, raw \
cu8/cs8/cs16/cf32, WAV), measures the GSM bands and reports what is on the air.\n\n\
Exit status: 0 success, 2 error (message on stderr), 10 an alert was raised (replay).",
    after_help = "Examples:\n  towerwatch demo\n  towerwatch info recordings/legit-neighbourhood.sigmf-meta\n  \
towerwatch spectrum capture_941.8M_112.cfile --format csv\n  towerwatch replay g001_941.0M_2048k.cu8 --output obs.jsonl\n  \
towerwatch record --device driver=rtlsdr --freq 941e6 --rate 2.048e6 --seconds 10 -o cap"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List SoapySDR receivers attached to this machine (needs a build with `--features soapy`).
    Devices,
    /// Record IQ to a SigMF pair (metadata written first; SHA-512 added when the recording ends).
    Record(RecordArgs),
    /// Run the pipeline headless over a recording and print observations as JSON lines.
    Replay(ReplayArgs),
    /// Averaged power spectrum of a recording (or a receiver), with GSM channel powers.
    Spectrum(SpectrumArgs),
    /// Show what a recording holds: format, rate, frequency, length, time, hardware, hash.
    Info(InfoArgs),
    /// Check an evidence bundle (every file's SHA-256 against its manifest: names each file that
    /// changed, is missing or is extra), or a SigMF recording's `core:sha512`.
    Verify(VerifyArgs),
    /// Replay a recording and write the evidence bundle of one alert (IQ clip, frames, alert,
    /// cells, spectrum, manifest), e.g. `towerwatch evidence rec.sigmf-meta --alert 1 -o evidence/`.
    Evidence(EvidenceCmdArgs),
    /// One self-contained HTML report of an evidence bundle (or of a directory of bundles):
    /// spectrum and waterfall, cell against its neighbours, signatures, map, manifest.
    Report(ReportArgs),
    /// Run on the bundled demo recording (no radio needed).
    Demo(DemoArgs),
    /// List the built-in hardware profiles, or validate profile files.
    Profiles(ProfilesArgs),
    /// Decode GSM downlink carriers in a recording: a gr-gsm-like frame listing and a cell summary.
    Decode(DecodeArgs),
    /// Generate a synthetic GSM scene (legitimate and rogue cells, SIM-box uplink) as SigMF.
    Synth(SynthArgs),
    /// Decode a burst listing (`FN TS SUBTYPE BITS`, one burst a line, as gr-gsm's burst files):
    /// TS0 as BCCH/CCCH, other timeslots as SDCCH/8 when given.
    DecodeBursts(DecodeBurstsArgs),
    /// Sweep a GSM band: hop the tuner, find carriers (FCCH), read SI1–SI4, print a table of
    /// cells (ARFCN, MHz, CID, LAC, MCC, MNC, power, BSIC, ppm). On a recording, a virtual tuner
    /// hops over the recorded band.
    Scan(ScanArgs),
    /// Learn the cells and channels of an area from recordings into a baseline file.
    Survey(SurveyArgs),
    /// Edit a baseline: import OpenCelliD, mark cells good/suspect, print the operators example.
    Baseline(crate::alert::setup::BaselineArgs),
    /// List the detectors (id, version, weight), or print their catalogue (--markdown).
    Detectors(crate::alert::setup::DetectorsArgs),
    /// Estimate where a transmitter is from power-versus-position samples: a `replay` log made
    /// with --gpsd/--nmea/--position, or a CSV of lat,lon,power. Writes GeoJSON and KML.
    Locate(LocateArgs),
    /// Finder: follow one cell's power with a hot/cold indicator (dB, trend, dB/s) to walk
    /// toward the transmitter.
    Find(FindArgs),
    /// Measure each processing stage: real-time factor (signal seconds per CPU second) and
    /// peak memory, on generated scenes (about 3 minutes; --scale for longer runs).
    Bench(crate::bench::BenchArgs),
}

#[derive(Args, Debug)]
struct SurveyArgs {
    /// Recordings made in the area (any input format `replay` reads).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Baseline file to write (extended when it exists).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Free text stored in the baseline (where, when, receiver).
    #[arg(long)]
    description: Option<String>,
}

#[derive(Args, Debug)]
struct ScanArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Band to sweep: gsm850, gsm900, egsm, dcs1800, pcs1900.
    #[arg(long, value_parser = parse_band)]
    band: Band,
    /// Only channels at or above this frequency (Hz).
    #[arg(long, value_name = "HZ", value_parser = crate::limits::parse_freq_arg)]
    from: Option<f64>,
    /// Only channels at or below this frequency (Hz).
    #[arg(long, value_name = "HZ", value_parser = crate::limits::parse_freq_arg)]
    to: Option<f64>,
    /// Sweeps over the band (default: 1 on a recording, until Ctrl-C live).
    #[arg(long)]
    rounds: Option<u32>,
    /// Seconds of signal per step to look for FCCH.
    #[arg(long, default_value_t = 0.3, value_parser = parse_positive)]
    dwell: f64,
    /// At most this many seconds at a step while its carriers have not sent SI1–SI4.
    #[arg(long, default_value_t = 2.5, value_parser = parse_positive)]
    camp: f64,
    /// Virtual tuner rate over a recording (or --virtual-tuner), S/s (default: half the
    /// recording's rate).
    #[arg(long, value_name = "SPS", value_parser = crate::limits::parse_rate_arg)]
    tuner_rate: Option<f64>,
    /// Usable bandwidth per step, Hz (default: the hardware profile's, else 80% of the rate).
    #[arg(long, value_name = "HZ", value_parser = parse_positive)]
    bandwidth: Option<f64>,
    /// Treat the --device stream as a wideband capture and hop a virtual tuner over it (e.g.
    /// the iqfile playback module, which cannot retune).
    #[arg(long)]
    virtual_tuner: bool,
    /// Print the final table as JSON.
    #[arg(long)]
    json: bool,
    /// Open the dashboard (the default when stdin and stdout are a terminal).
    #[arg(long, conflicts_with_all = ["json", "text"])]
    tui: bool,
    /// Print the live table as text instead of opening the dashboard.
    #[arg(long, conflicts_with = "json")]
    text: bool,
    #[command(flatten)]
    gps: crate::gps::GpsArgs,
}

#[derive(Args, Debug)]
struct LocateArgs {
    /// A `replay` JSON-lines log whose observations carry positions (replay --gpsd, --nmea or
    /// --position), or a CSV of `lat,lon,power_dbfs` (`.csv`).
    input: PathBuf,
    /// ARFCN of the transmitter's carrier (needed for a replay log).
    #[arg(long)]
    arfcn: Option<u16>,
    /// Band of --arfcn (gsm850, gsm900, egsm, rgsm, dcs1800, pcs1900); without it the ARFCN
    /// alone is matched.
    #[arg(long, value_parser = parse_band)]
    band: Option<Band>,
    /// Write the samples, track, estimate and its circle as GeoJSON.
    #[arg(long, value_name = "FILE")]
    geojson: Option<PathBuf>,
    /// Write the same as KML.
    #[arg(long, value_name = "FILE")]
    kml: Option<PathBuf>,
    /// Print the estimate as JSON.
    #[arg(long)]
    json: bool,
    /// Lowest path-loss exponent to fit.
    #[arg(long, default_value_t = 1.6, value_parser = parse_positive)]
    min_exponent: f64,
    /// Highest path-loss exponent to fit.
    #[arg(long, default_value_t = 5.0, value_parser = parse_positive)]
    max_exponent: f64,
}

#[derive(Args, Debug)]
struct FindArgs {
    /// The cell: an ARFCN (numbered in --band), or BAND:ARFCN (e.g. `gsm900:21`).
    cell: String,
    /// Band of the ARFCN.
    #[arg(long, default_value = "egsm", value_parser = parse_band)]
    band: Band,
    #[command(flatten)]
    input: InputArgs,
    /// Seconds per power reading (1 ms to 1 hour).
    #[arg(long, value_name = "S", default_value_t = 0.25, value_parser = crate::limits::parse_interval_arg)]
    interval: f64,
    /// Smoothing time constant, seconds.
    #[arg(long, value_name = "S", default_value_t = 1.0, value_parser = parse_positive)]
    tau: f64,
    /// Read a recording as fast as possible instead of at its real-time pace.
    #[arg(long)]
    fast: bool,
    /// Print JSON lines instead of the indicator.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    gps: crate::gps::GpsArgs,
}

#[derive(Args, Debug)]
struct SynthArgs {
    /// Scene file (TOML), e.g. recordings/scenes/sms-blaster.toml.
    scene: PathBuf,
    /// Output base name: writes OUT.sigmf-meta and OUT.sigmf-data.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// Override the scene's duration.
    #[arg(long, value_name = "S", value_parser = parse_positive)]
    seconds: Option<f64>,
    /// Override the scene's random seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override the scene's sample rate.
    #[arg(long, value_name = "SPS", value_parser = crate::limits::parse_rate_arg)]
    rate: Option<f64>,
    /// Override the scene's centre frequency.
    #[arg(long, value_name = "HZ", value_parser = crate::limits::parse_freq_arg)]
    freq: Option<f64>,
    /// Override the scene's sample encoding.
    #[arg(long, value_enum)]
    datatype: Option<Datatype>,
    /// Leave out cells outside the output band instead of failing.
    #[arg(long)]
    drop_out_of_band: bool,
}

#[derive(Args, Debug)]
struct DecodeBurstsArgs {
    /// The burst listing.
    file: PathBuf,
    /// Also decode these timeslots as SDCCH/8 (e.g. `--sdcch8 1`); repeatable.
    #[arg(long, value_name = "TS")]
    sdcch8: Vec<u8>,
    /// TS0 carries a combined BCCH+CCCH+SDCCH/4.
    #[arg(long)]
    combined: bool,
    /// Show subscriber identities and SMS content in clear. Default: masked.
    #[arg(long)]
    reveal_identities: bool,
}

#[derive(Args, Debug)]
struct DecodeArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Decode only this ARFCN (numbered in --band).
    #[arg(long, conflicts_with = "carrier")]
    arfcn: Option<u16>,
    /// Band of --arfcn: gsm850, gsm900, egsm, rgsm, dcs1800, pcs1900.
    #[arg(long, default_value = "egsm", value_parser = parse_band)]
    band: Band,
    /// Decode only the carrier at this frequency (Hz). Without --arfcn/--carrier, every carrier
    /// in the recording's bandwidth is found and decoded.
    #[arg(long, value_name = "HZ", value_parser = crate::limits::parse_freq_arg)]
    carrier: Option<f64>,
    /// Show subscriber identities (IMSI/TMSI) and SMS content in clear. Default: masked.
    #[arg(long)]
    reveal_identities: bool,
    /// Print one JSON document (frames and cell summaries) instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    sinks: crate::sink::SinkArgs,
}

fn parse_band(s: &str) -> Result<Band, String> {
    Band::parse(s)
        .ok_or_else(|| format!("unknown band '{s}' (gsm850, gsm900, egsm, rgsm, dcs1800, pcs1900)"))
}

#[derive(Args, Debug)]
struct ProfilesArgs {
    /// Profile TOML files to validate (none: list the built-in profiles).
    files: Vec<PathBuf>,
}

/// Where samples come from.
#[derive(Args, Debug, Clone, Default)]
struct InputArgs {
    /// Recording to read: SigMF (.sigmf-meta/.sigmf-data), WAV, raw IQ (.cu8 .cs8 .cs16 .cf32 .cfile),
    /// or a synthetic spec `synth:rate=2.048e6,freq=941e6,tone=300e3@-10,noise=-60,seconds=2`.
    #[arg(value_name = "INPUT")]
    input: Option<PathBuf>,
    /// Read from a SoapySDR receiver instead, e.g. `driver=rtlsdr` or `driver=hackrf,serial=…`.
    #[arg(long, value_name = "ARGS", conflicts_with = "input")]
    device: Option<String>,
    /// Hardware profile id for live receivers (see hardware-profiles/), e.g. `rtl-sdr-blog-v4`.
    #[arg(long, value_name = "ID")]
    profile: Option<String>,
    /// Raw sample format: cu8 (rtl_sdr), cs8 (hackrf_transfer), cs16, cf32 (GNU Radio .cfile).
    #[arg(long, value_name = "FMT", value_parser = parse_format)]
    format: Option<SampleFormat>,
    /// Sample rate in samples/s (raw files, receivers), e.g. 2.048e6.
    #[arg(long, value_name = "SPS", value_parser = crate::limits::parse_rate_arg)]
    rate: Option<f64>,
    /// Centre frequency in Hz (overrides the file's), e.g. 941e6.
    #[arg(long, value_name = "HZ", value_parser = crate::limits::parse_freq_arg)]
    freq: Option<f64>,
    /// Receiver gain in dB (live).
    #[arg(long, value_name = "DB", allow_hyphen_values = true, value_parser = crate::limits::parse_gain_arg)]
    gain: Option<f64>,
    /// Receiver frequency correction in ppm (live).
    #[arg(long, value_name = "PPM", allow_hyphen_values = true, value_parser = crate::limits::parse_ppm_arg)]
    ppm: Option<f64>,
    /// Live: when the receiver is lost (unplugged, stream failing), reopen it up to N times,
    /// waiting 0.5 s, 1 s, 2 s … (at most 30 s) between attempts; 0 ends the stream at the loss.
    /// The missed time is counted as lost samples. `record` never reconnects (see README).
    #[arg(long, value_name = "N")]
    reconnect_attempts: Option<u32>,
    /// Check a SigMF recording's SHA-512 (data, and metadata when it has one) before reading it;
    /// a recording without a hash fails unless --allow-unhashed.
    #[arg(long)]
    check_hash: bool,
    /// With --check-hash: read a recording that has no hash instead of failing.
    #[arg(long, requires = "check_hash")]
    allow_unhashed: bool,
    /// Read at most this many seconds of signal.
    #[arg(long, value_name = "S", value_parser = parse_positive)]
    seconds: Option<f64>,
}

fn parse_format(s: &str) -> Result<SampleFormat, String> {
    SampleFormat::from_raw_name(s)
        .ok_or_else(|| format!("unknown format '{s}' (cu8, cs8, cs16, cf32)"))
}

fn parse_positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a positive number")),
    }
}

#[derive(Args, Debug)]
struct RecordArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Output base name: writes OUT.sigmf-meta and OUT.sigmf-data.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// Sample encoding of the data file.
    #[arg(long, value_enum, default_value_t = Datatype::Ci16)]
    datatype: Datatype,
    /// Free-text description stored in the metadata.
    #[arg(long)]
    description: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Datatype {
    /// 32-bit float (exact, 8 bytes per sample).
    Cf32,
    /// 16-bit integer (4 bytes per sample; plenty for 8–14-bit receivers).
    Ci16,
    /// 8-bit signed.
    Ci8,
    /// 8-bit unsigned (rtl_sdr native).
    Cu8,
}

impl From<Datatype> for SampleFormat {
    fn from(d: Datatype) -> SampleFormat {
        match d {
            Datatype::Cf32 => SampleFormat::Cf32Le,
            Datatype::Ci16 => SampleFormat::Ci16Le,
            Datatype::Ci8 => SampleFormat::Ci8,
            Datatype::Cu8 => SampleFormat::Cu8,
        }
    }
}

#[derive(Args, Debug)]
struct ReplayArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Write JSON lines here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Seconds of signal per spectrum observation (1 ms to 1 hour).
    #[arg(long, value_name = "S", default_value_t = 1.0, value_parser = crate::limits::parse_interval_arg)]
    interval: f64,
    /// Include the PSD bins in spectrum observations.
    #[arg(long)]
    psd: bool,
    /// Pace the replay at the recording's real-time rate (times --speed).
    #[arg(long)]
    realtime: bool,
    /// Speed factor for --realtime.
    #[arg(long, default_value_t = 1.0, value_parser = parse_positive)]
    speed: f64,
    /// Spectrum only: do not decode GSM carriers.
    #[arg(long)]
    no_gsm: bool,
    /// Show subscriber identities (IMSI/TMSI) and SMS content in clear. Default: masked.
    #[arg(long)]
    reveal_identities: bool,
    #[command(flatten)]
    sinks: crate::sink::SinkArgs,
    #[command(flatten)]
    detect: crate::alert::setup::DetectArgs,
    #[command(flatten)]
    evidence: EvidenceArgs,
    /// Open the terminal dashboard instead of printing JSON lines (paced at --speed; space
    /// pauses, +/- change the speed, ? lists the keys).
    #[arg(long)]
    tui: bool,
    #[command(flatten)]
    gps: crate::gps::GpsArgs,
    /// Start the input again whenever it ends (soak runs; stop with --duration or Ctrl-C).
    #[arg(long = "loop")]
    looped: bool,
    /// Stop after this many seconds of signal (wall-clock seconds with --realtime or a paced
    /// `scene:…,realtime=1` source).
    #[arg(long, value_name = "S", value_parser = parse_positive)]
    duration: Option<f64>,
    /// Every S seconds (wall clock), print a soak report line to stderr: resident memory (RSS
    /// from /proc/self/status), queue depths, observations and drops.
    #[arg(long, value_name = "S", value_parser = parse_positive)]
    report_every: Option<f64>,
}

#[derive(Args, Debug)]
struct SpectrumArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Output format.
    #[arg(long = "output-format", value_enum, default_value_t = SpectrumFormat::Json)]
    output_format: SpectrumFormat,
    /// Write here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// FFT length (bins).
    #[arg(long, default_value_t = 2048)]
    fft: usize,
    /// Segment overlap fraction (0–0.95).
    #[arg(long, default_value_t = 0.5)]
    overlap: f32,
    /// Analysis window.
    #[arg(long, value_enum, default_value_t = WindowArg::BlackmanHarris)]
    window: WindowArg,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq)]
enum SpectrumFormat {
    /// One JSON document: channel powers, carriers, noise floor, and the PSD bins.
    Json,
    /// `freq_hz,power_dbfs` per bin.
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum WindowArg {
    Rectangular,
    Hann,
    BlackmanHarris,
}

#[derive(Args, Debug)]
struct InfoArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct VerifyArgs {
    /// Evidence bundle (its directory or its manifest.json), or a SigMF recording
    /// (.sigmf-meta or .sigmf-data).
    file: PathBuf,
}

fn parse_severity(s: &str) -> Result<crate::detect::Severity, String> {
    use crate::detect::Severity;
    match s.to_ascii_lowercase().as_str() {
        "info" => Ok(Severity::Info),
        "low" => Ok(Severity::Low),
        "medium" => Ok(Severity::Medium),
        "high" => Ok(Severity::High),
        _ => Err(format!("unknown severity '{s}' (info, low, medium, high)")),
    }
}

/// Evidence-bundle flags of `replay`.
#[derive(Args, Debug, Clone)]
struct EvidenceArgs {
    /// Write an evidence bundle into this directory for every alert that reaches
    /// --evidence-severity (one bundle per alert, --post-trigger seconds after it got there).
    #[arg(long, value_name = "DIR")]
    evidence_dir: Option<PathBuf>,
    /// Severity that triggers a bundle: info, low, medium, high.
    #[arg(long, value_name = "SEV", default_value = "high", value_parser = parse_severity)]
    evidence_severity: crate::detect::Severity,
    #[command(flatten)]
    clip: ClipArgs,
}

/// IQ clip window of a bundle.
#[derive(Args, Debug, Clone)]
struct ClipArgs {
    /// Seconds of IQ before the trigger kept in the bundle (pre-trigger ring buffer).
    #[arg(long, value_name = "S", default_value_t = crate::evidence::DEFAULT_PRE_TRIGGER_S, value_parser = parse_non_negative)]
    pre_trigger: f64,
    /// Seconds of IQ after the trigger.
    #[arg(long, value_name = "S", default_value_t = crate::evidence::DEFAULT_POST_TRIGGER_S, value_parser = parse_non_negative)]
    post_trigger: f64,
    /// Memory cap of the IQ ring buffer, MiB (the clip is shorter when the rate needs more).
    #[arg(long, value_name = "MIB", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    evidence_memory_mib: u64,
}

fn parse_non_negative(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=3600.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "'{s}' is not a number of seconds between 0 and 3600"
        )),
    }
}

#[derive(Args, Debug)]
struct EvidenceCmdArgs {
    #[command(flatten)]
    input: InputArgs,
    /// The alert id (as in `replay`'s `{"type":"alert","id":N}` lines and the dashboard).
    #[arg(long, value_name = "ID")]
    alert: u64,
    /// Directory the bundle is created in (as evidence-<ID>-<UTC>/).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Take the clip when the alert first reaches this severity (default: when it is raised).
    #[arg(long, value_name = "SEV", default_value = "info", value_parser = parse_severity)]
    severity: crate::detect::Severity,
    #[command(flatten)]
    clip: ClipArgs,
    /// Keep subscriber identities in clear in frames.pcap. Default: masked.
    #[arg(long)]
    reveal_identities: bool,
    #[command(flatten)]
    detect: crate::alert::setup::DetectArgs,
}

#[derive(Args, Debug)]
struct ReportArgs {
    /// An evidence bundle (directory or manifest.json), or a directory holding bundles.
    bundle: PathBuf,
    /// The HTML file to write.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Show subscriber identities in the frame listing when the bundle holds them in clear.
    #[arg(long)]
    reveal_identities: bool,
}

#[derive(Args, Debug)]
struct DemoArgs {
    /// Print the observations as JSON lines (like `replay`) instead of the cell summary.
    #[arg(long)]
    json: bool,
    /// With --json: write the JSON lines here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Open the terminal dashboard (the default when stdin and stdout are a terminal).
    #[arg(long, conflicts_with_all = ["json", "text"])]
    tui: bool,
    /// Print the alerts and cells as text instead of opening the dashboard (the default when
    /// stdout is not a terminal).
    #[arg(long, conflicts_with = "json")]
    text: bool,
    /// Print the full frame listing and cell summaries (like `decode`) instead of the alerts.
    #[arg(long, conflicts_with_all = ["json", "tui"])]
    frames: bool,
    /// Seconds of the scene to run (default: 4 as text, 120 in the dashboard at real-time pace).
    #[arg(long, value_name = "S")]
    seconds: Option<f64>,
    #[command(flatten)]
    gps: crate::gps::GpsArgs,
}

static STOP: AtomicBool = AtomicBool::new(false);

fn stop_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    // Ctrl-C / SIGTERM: first one asks for a clean stop, the second exits at once.
    let _ = ctrlc::set_handler(move || {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        f.store(true, Ordering::SeqCst);
    });
    flag
}

/// Make a file-size limit (RLIMIT_FSIZE, `ulimit -f`) fail the write with EFBIG instead of
/// killing the process.
///
/// Why: a write that would take a file past the limit raises SIGXFSZ, and that signal's default
/// action terminates the process (with a core dump) before `write` returns, so `record` would
/// die with an unhashed pair and no message. A quota or a file-size limit must be reported like a
/// full disk: the write error is named and the samples on disk are kept as a verifiable pair.
/// Once any handler is installed the kernel still sends the signal but the write returns EFBIG.
/// signal-hook's flag handler only stores to an atomic (async-signal-safe) and is safe Rust, so
/// the workspace's `unsafe_code = "forbid"` stands; the flag itself is never read.
#[cfg(unix)]
fn report_file_size_limit_as_write_error() {
    let raised = Arc::new(AtomicBool::new(false));
    if let Err(e) = signal_hook::flag::register(signal_hook::consts::SIGXFSZ, raised) {
        eprintln!(
            "towerwatch: warning: cannot handle SIGXFSZ ({e}); a file-size limit will kill it"
        );
    }
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    #[cfg(unix)]
    report_file_size_limit_as_write_error();
    crate::term::install_stdout_guard();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) if crate::term::is_broken_pipe(&e) => ExitCode::from(crate::term::EXIT_BROKEN_PIPE),
        Err(e) => {
            let mut msg = format!("{e}");
            for cause in e.chain().skip(1) {
                // Our errors already print their source (`path: io error`); say it once.
                let cause = cause.to_string();
                if !msg.ends_with(&cause) {
                    msg.push_str(&format!(": {cause}"));
                }
            }
            // Errors quote file content and names: never let them drive the terminal.
            eprintln!("towerwatch: error: {}", crate::term::escape(&msg));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Devices => devices(),
        Command::Record(a) => record(a),
        Command::Replay(a) => replay(a),
        Command::Spectrum(a) => spectrum(a),
        Command::Info(a) => info(a),
        Command::Verify(a) => verify(a),
        Command::Evidence(a) => evidence(a),
        Command::Report(a) => report(a),
        Command::Demo(a) => demo(a),
        Command::Profiles(a) => profiles(a),
        Command::Decode(a) => decode(a),
        Command::DecodeBursts(a) => decode_bursts(a),
        Command::Scan(a) => scan(a),
        Command::Synth(a) => synth(a),
        Command::Survey(a) => survey(a),
        Command::Baseline(a) => Ok(crate::alert::setup::baseline_command(&a)?),
        Command::Detectors(a) => Ok(crate::alert::setup::detectors_command(&a)),
        Command::Locate(a) => locate(a),
        Command::Find(a) => find(a),
        Command::Bench(a) => crate::bench::run(&a),
    }
}

#[cfg(not(feature = "soapy"))]
const NO_SOAPY: &str = "this towerwatch was built without SoapySDR support. Install the library and \
a driver module (Debian/Ubuntu: sudo apt-get install libsoapysdr-dev soapysdr-tools \
soapysdr-module-rtlsdr pkg-config) and rebuild with: cargo build --release --features soapy";

#[cfg(not(feature = "soapy"))]
fn devices() -> Result<u8> {
    bail!("{NO_SOAPY}")
}

#[cfg(feature = "soapy")]
fn devices() -> Result<u8> {
    crate::live::print_devices()
}

fn open_input(a: &InputArgs) -> Result<Box<dyn SampleSource>> {
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
fn open_device(_dev: &str, _a: &InputArgs) -> Result<Box<dyn SampleSource>> {
    bail!("{NO_SOAPY}")
}

#[cfg(feature = "soapy")]
fn open_device(dev: &str, a: &InputArgs) -> Result<Box<dyn SampleSource>> {
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

fn max_samples(a: &InputArgs, src: &dyn SampleSource) -> Option<u64> {
    a.seconds
        .map(|s| (s * src.info().sample_rate_sps).round() as u64)
}

fn output_writer(path: Option<&Path>) -> Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => Box::new(std::io::BufWriter::new(crate::term::NamedWriter::new(
            sigmf::create_private(p).with_context(|| format!("{}", p.display()))?,
            p.display().to_string(),
        ))),
        None => Box::new(crate::term::stdout()),
    })
}

fn write_json_line(out: &mut dyn Write, v: &impl serde::Serialize) -> Result<()> {
    serde_json::to_writer(&mut *out, v)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Progress on stderr, only when stderr is a terminal, at most 5 updates a second.
struct Progress {
    enabled: bool,
    total: Option<u64>,
    rate: f64,
    last: Instant,
    started: Instant,
}

impl Progress {
    fn new(total: Option<u64>, rate: f64) -> Self {
        Progress {
            enabled: std::io::stderr().is_terminal(),
            total,
            rate,
            last: Instant::now(),
            started: Instant::now(),
        }
    }
    fn update(&mut self, done: u64) {
        if !self.enabled || self.last.elapsed().as_millis() < 200 {
            return;
        }
        self.last = Instant::now();
        let secs = done as f64 / self.rate;
        let speed = secs / self.started.elapsed().as_secs_f64().max(1e-6);
        let line = match self.total {
            Some(t) if t > 0 => {
                let frac = (done as f64 / t as f64).clamp(0.0, 1.0);
                let filled = (frac * 30.0) as usize;
                format!(
                    "\r[{}{}] {:5.1}%  {:.1}/{:.1} s  {:.1}× real time ",
                    "#".repeat(filled),
                    " ".repeat(30 - filled),
                    frac * 100.0,
                    secs,
                    t as f64 / self.rate,
                    speed
                )
            }
            _ => format!("\r{secs:.1} s  {speed:.1}× real time "),
        };
        eprint!("{line}");
    }
    fn done(&self) {
        if self.enabled {
            eprint!("\r{}\r", " ".repeat(72));
        }
    }
}

fn replay(mut a: ReplayArgs) -> Result<u8> {
    if let Some(d) = a.duration {
        a.input.seconds = Some(a.input.seconds.map_or(d, |s| s.min(d)));
    }
    let mut src = open_input(&a.input)?;
    if a.looped {
        if a.input.device.is_some() {
            bail!("--loop replays a recording or scene, not a live receiver");
        }
        let again = a.input.clone();
        src = Box::new(crate::source::looped::LoopSource::new(
            src,
            Box::new(move || {
                open_input(&again)
                    .map_err(|e| crate::source::SourceError::Unsupported(e.to_string()))
            }),
        ));
    }
    if a.tui {
        let max = max_samples(&a.input, src.as_ref());
        let engine = crate::alert::setup::engine(&a.detect)?;
        if a.evidence.evidence_dir.is_some() && engine.is_none() {
            bail!("--evidence-dir needs the detectors (drop --no-detect)");
        }
        // `e` exports into --evidence-dir (default: the working directory); with the flag,
        // alerts reaching --evidence-severity are also bundled by themselves, as without --tui.
        let evidence = a.evidence.evidence_dir.as_ref().map(|dir| {
            let mut c = evidence_config(dir, &a.evidence.clip, &a.input, a.reveal_identities);
            c.auto_severity = Some(a.evidence.evidence_severity);
            c
        });
        return crate::tui::launch(
            src,
            crate::tui::Launch {
                max_samples: max,
                paced: true,
                speed: a.speed,
                interval_s: a.interval.min(0.25),
                gsm: (!a.no_gsm).then(GsmStageConfig::default),
                stop: stop_flag(),
                engine,
                baseline_path: a.detect.baseline.clone(),
                evidence,
                gps: a.gps.open(a.input.device.is_none())?,
            },
        );
    }
    let opts = RunOpts {
        output: a.output.clone(),
        interval_s: a.interval,
        include_psd: a.psd,
        realtime: a.realtime,
        speed: a.speed,
        gsm: (!a.no_gsm).then(|| GsmStageConfig {
            reveal_identities: a.reveal_identities,
            ..GsmStageConfig::default()
        }),
        gps: a.gps.open(a.input.device.is_none())?,
        report_every_s: a.report_every,
    };
    let mut sink = open_sinks(&a.sinks, a.reveal_identities, src.as_ref())?;
    let mut engine = crate::alert::setup::engine(&a.detect)?;
    let mut recorder = a.evidence.evidence_dir.as_ref().map(|dir| {
        let mut c = evidence_config(dir, &a.evidence.clip, &a.input, a.reveal_identities);
        c.auto_severity = Some(a.evidence.evidence_severity);
        crate::evidence::Recorder::new(c, src.info())
    });
    if recorder.is_some() && engine.is_none() {
        bail!("--evidence-dir needs the detectors (drop --no-detect)");
    }
    let code = run_replay_detect(
        src,
        &a.input,
        &opts,
        engine.as_mut(),
        recorder.as_mut(),
        |o| {
            if let Some(s) = sink.as_mut() {
                s.observe(o);
            }
        },
    )?;
    finish_sinks(sink)?;
    Ok(code)
}

fn evidence_config(
    dir: &Path,
    clip: &ClipArgs,
    input: &InputArgs,
    reveal: bool,
) -> crate::evidence::EvidenceConfig {
    let mut c = crate::evidence::EvidenceConfig::new(dir.to_path_buf());
    c.pre_trigger_s = clip.pre_trigger;
    c.post_trigger_s = clip.post_trigger;
    c.ring_max_bytes = clip.evidence_memory_mib.saturating_mul(1 << 20);
    c.reveal_identities = reveal;
    c.receiver_profile = input.profile.clone();
    c
}

/// `towerwatch evidence FILE --alert ID -o DIR`: replay and bundle that alert.
fn evidence(a: EvidenceCmdArgs) -> Result<u8> {
    let src = open_input(&a.input)?;
    let mut c = evidence_config(&a.output, &a.clip, &a.input, a.reveal_identities);
    c.auto_severity = Some(a.severity);
    c.only_alert = Some(a.alert);
    let mut recorder = crate::evidence::Recorder::new(c, src.info());
    let mut engine = crate::alert::setup::engine(&crate::alert::setup::DetectArgs {
        no_detect: false,
        ..a.detect.clone()
    })?;
    let opts = RunOpts {
        output: Some(PathBuf::from(if cfg!(windows) {
            "NUL"
        } else {
            "/dev/null"
        })),
        interval_s: 1.0,
        include_psd: false,
        realtime: false,
        speed: 1.0,
        gsm: Some(GsmStageConfig {
            reveal_identities: a.reveal_identities,
            ..GsmStageConfig::default()
        }),
        gps: None,
        report_every_s: None,
    };
    run_replay_detect(
        src,
        &a.input,
        &opts,
        engine.as_mut(),
        Some(&mut recorder),
        |_| {},
    )?;
    if recorder.written().is_empty() {
        let seen = recorder.alert_ids();
        let desc = a
            .input
            .input
            .as_ref()
            .map_or_else(|| "the stream".to_string(), |p| p.display().to_string());
        if seen.contains(&a.alert) {
            bail!(
                "{desc}: alert {} never reached severity {}; no bundle written",
                a.alert,
                a.severity
            );
        }
        bail!(
            "{desc}: alert {} was not raised (alerts raised: {})",
            a.alert,
            if seen.is_empty() {
                "none".to_string()
            } else {
                seen.iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    for b in recorder.written() {
        println!("{}", b.dir.display());
    }
    Ok(0)
}

/// `towerwatch report BUNDLE -o report.html`.
fn report(a: ReportArgs) -> Result<u8> {
    let opts = crate::report::ReportOptions {
        reveal_identities: a.reveal_identities,
    };
    let html = crate::report::render_path(&a.bundle, &opts)?;
    let mut f =
        sigmf::create_private(&a.output).with_context(|| format!("{}", a.output.display()))?;
    f.write_all(html.as_bytes())
        .with_context(|| format!("{}", a.output.display()))?;
    eprintln!(
        "towerwatch: report {} ({} bytes)",
        a.output.display(),
        html.len()
    );
    Ok(0)
}

/// Open the GSMTAP/pcap sinks the flags ask for.
fn open_sinks(
    a: &crate::sink::SinkArgs,
    reveal: bool,
    src: &dyn SampleSource,
) -> Result<Option<crate::sink::GsmtapSink>> {
    let base = crate::sink::base_time(src.info().start_time.as_deref());
    Ok(crate::sink::GsmtapSink::open(a, reveal, base)?)
}

fn finish_sinks(sink: Option<crate::sink::GsmtapSink>) -> Result<()> {
    if let Some(s) = sink {
        let r = s.finish()?;
        if r.udp_errors > 0 {
            eprintln!(
                "towerwatch: {} GSMTAP datagrams could not be sent",
                r.udp_errors
            );
        }
    }
    Ok(())
}

/// How a headless run is set up.
struct RunOpts {
    output: Option<PathBuf>,
    interval_s: f64,
    include_psd: bool,
    realtime: bool,
    speed: f64,
    gsm: Option<GsmStageConfig>,
    /// Positions for observation and alert lines (`position` and `gps` keys).
    gps: Option<crate::gps::PositionProvider>,
    /// Print a soak report line to stderr this often (wall-clock seconds).
    report_every_s: Option<f64>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// `VmRSS` and `VmHWM` of this process in KiB, from /proc/self/status (Linux; `None` elsewhere).
pub fn memory_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Run the pipeline, writing JSON lines (source, observations, summary) to the output and handing
/// every observation to `each` as well.
fn run_replay(
    src: Box<dyn SampleSource>,
    input: &InputArgs,
    opts: &RunOpts,
    each: impl FnMut(&Observation),
) -> Result<u8> {
    run_replay_detect(src, input, opts, None, None, each)
}

/// Report bundles written: a `{"type":"evidence",…}` line each, and a line on stderr.
fn report_bundles(out: &mut dyn Write, bundles: &[crate::evidence::Bundle]) -> Result<()> {
    for b in bundles {
        write_json_line(
            out,
            &serde_json::json!({"type": "evidence", "alert_id": b.alert_id,
                "dir": b.dir.display().to_string(), "clip_s": b.clip_s, "bytes": b.bytes}),
        )?;
        eprintln!(
            "towerwatch: evidence bundle for alert {}: {} ({:.1} s of IQ, {:.1} MB)",
            b.alert_id,
            b.dir.display(),
            b.clip_s,
            b.bytes as f64 / 1e6
        );
    }
    Ok(())
}

/// [`run_replay`] with the detection engine: its alert events follow the observation that caused
/// them (`{"type":"alert",...}`), an `alert_summary` line precedes the summary, and the exit
/// status is 10 when an alert above info was raised.
fn run_replay_detect(
    src: Box<dyn SampleSource>,
    input: &InputArgs,
    opts: &RunOpts,
    mut engine: Option<&mut crate::alert::Engine>,
    mut evidence: Option<&mut crate::evidence::Recorder>,
    mut each: impl FnMut(&Observation),
) -> Result<u8> {
    let info = src.info().clone();
    let cfg = PipelineConfig {
        realtime: opts.realtime,
        speed: opts.speed,
        max_samples: max_samples(input, src.as_ref()),
        iq_tap: evidence.as_ref().map(|r| r.ring()),
        ..PipelineConfig::default()
    };
    let spec = SpectrumStageConfig {
        interval_s: opts.interval_s,
        include_psd: opts.include_psd,
        ..SpectrumStageConfig::default()
    };
    let mut out = output_writer(opts.output.as_deref())?;
    write_json_line(
        &mut out,
        &serde_json::json!({"type": "source", "source": &info}),
    )?;
    let stop = stop_flag();
    let pipeline = Pipeline::start(src, &cfg, spec, opts.gsm.clone(), stop)?;
    let mut progress = Progress::new(cfg.max_samples.or(info.total_samples), info.sample_rate_sps);
    let mut observations = 0u64;
    let started = Instant::now();
    let mut last_report = started;
    let soak_line = |pipeline: &Pipeline, observations: u64| {
        let c = &pipeline.counters;
        let (rss, hwm) = memory_kib().unwrap_or((0, 0));
        let samples = c.samples_read.load(Ordering::Relaxed);
        serde_json::json!({
            "type": "soak",
            "elapsed_s": round1(started.elapsed().as_secs_f64()),
            "stream_s": round1(samples as f64 / info.sample_rate_sps),
            "rss_kib": rss,
            "rss_peak_kib": hwm,
            "queue_blocks": c.queue_depth.load(Ordering::Relaxed),
            "queue_blocks_max": c.queue_depth_max.load(Ordering::Relaxed),
            "events_queued": pipeline.events.len(),
            "observations": observations,
            "blocks_dropped": c.blocks_dropped.load(Ordering::Relaxed),
        })
    };
    for ev in pipeline.events.iter() {
        if let Some(every) = opts.report_every_s
            && last_report.elapsed().as_secs_f64() >= every
        {
            last_report = Instant::now();
            eprintln!("{}", soak_line(&pipeline, observations));
        }
        match ev {
            Event::Observation(o) => {
                observations += 1;
                each(&o);
                match &opts.gps {
                    None => write_json_line(&mut out, &o)?,
                    Some(g) => {
                        let mut v = serde_json::to_value(&o)?;
                        g.annotate(&mut v);
                        write_json_line(&mut out, &v)?;
                    }
                }
                if let Some(r) = evidence.as_deref_mut() {
                    r.observe(&o);
                    // The GPS track goes into the bundles (one point per spectrum interval).
                    if let (Some(g), Observation::Spectrum(sp)) = (&opts.gps, o.as_ref()) {
                        let t = sp.time_s + sp.duration_s;
                        if let Some(f) = g.at(Some(t)).fix() {
                            r.add_track_point(crate::evidence::TrackPoint {
                                time_s: t,
                                position: crate::evidence::manifest::Position {
                                    lat_deg: f.lat_deg,
                                    lon_deg: f.lon_deg,
                                    // HDOP × ~5 m (typical UERE) as a 1σ horizontal figure.
                                    accuracy_m: f.hdop.map(|h| h * 5.0),
                                },
                            });
                        }
                    }
                }
                if let Some(e) = engine.as_deref_mut() {
                    for alert in e.observe(&o) {
                        match &opts.gps {
                            None => write_json_line(&mut out, &alert)?,
                            Some(g) => {
                                let mut v = serde_json::to_value(&alert)?;
                                g.annotate(&mut v);
                                write_json_line(&mut out, &v)?;
                            }
                        }
                        if let Some(r) = evidence.as_deref_mut() {
                            r.on_alert(&alert);
                        }
                    }
                    if let Some(r) = evidence.as_deref_mut()
                        && r.has_pending()
                    {
                        let written = r.poll(&e.registry)?;
                        report_bundles(&mut out, &written)?;
                        if r.is_done() {
                            break; // `towerwatch evidence`: its one bundle is written
                        }
                    }
                }
            }
            Event::Progress(n) => progress.update(n),
        }
    }
    progress.done();
    if opts.report_every_s.is_some() {
        eprintln!("{}", soak_line(&pipeline, observations));
    }
    let report = pipeline.finish()?;
    let interrupted = report.stopped;
    if let (Some(r), Some(e)) = (evidence, engine.as_deref()) {
        let written = r.finish(&e.registry)?;
        report_bundles(&mut out, &written)?;
    }
    if let Some(e) = engine.as_deref() {
        write_json_line(&mut out, &e.finish())?;
    }
    let mut summary =
        serde_json::json!({"type": "summary", "observations": observations, "source": report});
    if let Some(g) = &opts.gps {
        summary["gps"] = g.summary();
    }
    write_json_line(&mut out, &summary)?;
    out.flush()?;
    // An interrupted run says so in its status (the summary line has `"stopped": true`): its
    // silence is not a clean bill.
    Ok(if interrupted {
        EXIT_INTERRUPTED
    } else if engine.is_some_and(|e| e.raised_above_info()) {
        crate::alert::EXIT_ALERT
    } else {
        0
    })
}

/// `towerwatch survey`: run every recording through the pipeline into one cell registry and
/// write what it learnt as a baseline.
fn survey(a: SurveyArgs) -> Result<u8> {
    let mut baseline = crate::alert::setup::load_baseline(a.output.exists().then_some(&*a.output))?;
    if let Some(d) = a.description {
        baseline.description = d;
    }
    for file in &a.files {
        let input = InputArgs {
            input: Some(file.clone()),
            ..InputArgs::default()
        };
        let src = open_input(&input).with_context(|| format!("{}", file.display()))?;
        let cfg = PipelineConfig {
            max_samples: max_samples(&input, src.as_ref()),
            ..PipelineConfig::default()
        };
        let pipeline = Pipeline::start(
            src,
            &cfg,
            SpectrumStageConfig::default(),
            Some(GsmStageConfig::default()),
            stop_flag(),
        )?;
        let mut reg = crate::cells::CellRegistry::default();
        for ev in pipeline.events.iter() {
            if let Event::Observation(o) = ev {
                reg.update(&o);
            }
        }
        pipeline.finish()?;
        baseline.learn(&reg);
        eprintln!(
            "towerwatch: {}: {} cells ({} with identity), {} channels",
            file.display(),
            reg.cells().count(),
            reg.cells().filter(|c| c.cgi.is_some()).count(),
            reg.channels().count()
        );
    }
    baseline.save(&a.output)?;
    eprintln!(
        "towerwatch: baseline {}: {} cells, {} channels",
        a.output.display(),
        baseline.cells.len(),
        baseline.channels.len()
    );
    Ok(0)
}

fn spectrum(a: SpectrumArgs) -> Result<u8> {
    let mut src = open_input(&a.input)?;
    let welch_cfg = WelchConfig {
        fft_len: a.fft,
        overlap: a.overlap,
        window: match a.window {
            WindowArg::Rectangular => Window::Rectangular,
            WindowArg::Hann => Window::Hann,
            WindowArg::BlackmanHarris => Window::BlackmanHarris,
        },
    };
    let mut welch = Welch::new(welch_cfg).map_err(|e| anyhow!("spectrum settings: {e}"))?;
    let info = src.info().clone();
    let limit = max_samples(&a.input, src.as_ref()).unwrap_or(u64::MAX);
    let mut buf = vec![num_complex::Complex32::new(0.0, 0.0); 1 << 16];
    let mut total = 0u64;
    let mut freq = f64::NAN;
    let stop = stop_flag();
    while total < limit && !stop.load(Ordering::Relaxed) {
        let want = (limit - total).min(buf.len() as u64) as usize;
        let n = src.read(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        if freq.is_nan() {
            freq = src.frequency_hz();
        } else if src.frequency_hz() != freq {
            break; // the averaged spectrum covers the first capture segment only
        }
        welch.process(&buf[..n]);
        total += n as u64;
    }
    let psd = welch.psd(info.sample_rate_sps).ok_or_else(|| {
        anyhow!(
            "{}: only {total} samples, fewer than one FFT of {} bins",
            info.description,
            a.fft
        )
    })?;
    let freq = if freq.is_nan() {
        info.center_freq_hz
    } else {
        freq
    };
    let obs = crate::observation::spectrum_obs(&psd, freq, 0, total, true);
    let mut out = output_writer(a.output.as_deref())?;
    match a.output_format {
        SpectrumFormat::Json => {
            let strongest = obs
                .channels
                .iter()
                .max_by(|x, y| x.power_dbfs.total_cmp(&y.power_dbfs));
            let doc = serde_json::json!({
                "source": info.description,
                "center_freq_hz": freq,
                "sample_rate_sps": info.sample_rate_sps,
                "fft_len": a.fft,
                "window": format!("{:?}", a.window),
                "segments": psd.segments,
                "samples": total,
                "bin_width_hz": psd.bin_width_hz(),
                "first_bin_freq_hz": freq + psd.bin_offset_hz(0),
                "noise_floor_dbfs_per_200khz": obs.noise_floor_dbfs,
                "peak": {"freq_hz": obs.peak_freq_hz, "power_dbfs": obs.peak_dbfs},
                "strongest_channel": strongest,
                "carriers": obs.carriers,
                "channels": obs.channels,
                "psd_dbfs": obs.psd_dbfs,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            out.write_all(b"\n")?;
        }
        SpectrumFormat::Csv => {
            writeln!(out, "freq_hz,power_dbfs")?;
            for i in 0..psd.len() {
                writeln!(out, "{:.1},{:.3}", freq + psd.bin_offset_hz(i), psd.dbfs(i))?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}

fn record(a: RecordArgs) -> Result<u8> {
    // The stop handler goes in before any file exists: a signal at any later moment finalises
    // a valid, hashed pair.
    let stop = stop_flag();
    // One recording is one continuous timeline: after a reconnect the samples would follow on
    // without the outage in between, so a lost device ends the recording (valid and hashed,
    // exit 2) instead of being spliced over. Run `record` again for the next file.
    if a.input.reconnect_attempts.is_some_and(|n| n > 0) {
        bail!(
            "record does not reconnect: a lost receiver ends the recording (kept valid), so a \
             recording never hides an outage; leave out --reconnect-attempts"
        );
    }
    let input = InputArgs {
        reconnect_attempts: Some(0),
        ..a.input.clone()
    };
    let mut src = open_input(&input)?;
    let info = src.info().clone();
    let mut meta = WriterMeta::new(a.datatype.into(), info.sample_rate_sps, info.center_freq_hz);
    meta.datetime = Some(info.start_time.clone().unwrap_or_else(|| {
        humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string()
    }));
    meta.hw = info
        .hardware
        .clone()
        .or_else(|| Some(info.description.clone()));
    meta.description = a.description.clone();
    let mut writer = SigmfWriter::create(&a.output, meta)
        .with_context(|| format!("cannot create the recording {}", a.output.display()))?;
    let limit = max_samples(&a.input, src.as_ref()).unwrap_or(u64::MAX);
    let mut buf = vec![num_complex::Complex32::new(0.0, 0.0); 1 << 16];
    let mut freq = src.frequency_hz();
    let mut progress = Progress::new(
        if limit == u64::MAX {
            info.total_samples
        } else {
            Some(limit)
        },
        info.sample_rate_sps,
    );
    let mut last_checkpoint = Instant::now();
    // A source error ends the recording like the end of the input (the pair is finished and
    // hashed, then the error is reported); a write error (disk full, file-size limit, I/O
    // error) leaves the writer in an unknown state, so the pair is salvaged instead.
    let mut source_error = None;
    let mut write_error = None;
    while writer.samples_written() < limit && !stop.load(Ordering::Relaxed) {
        let want = (limit - writer.samples_written()).min(buf.len() as u64) as usize;
        let n = match src.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                source_error = Some(e);
                break;
            }
        };
        if src.frequency_hz() != freq {
            freq = src.frequency_hz();
            writer.new_segment(freq);
        }
        let mut res = writer.write(&buf[..n]);
        progress.update(writer.samples_written());
        if res.is_ok() && last_checkpoint.elapsed().as_secs() >= 5 {
            res = writer.checkpoint();
            last_checkpoint = Instant::now();
        }
        if let Err(e) = res {
            write_error = Some(e);
            break;
        }
    }
    if write_error.is_none()
        && let Err(e) = writer.flush()
    {
        write_error = Some(e);
    }
    progress.done();
    let (meta_path, _) = writer.paths();
    let meta_path = meta_path.to_path_buf();
    if let Some(e) = write_error {
        let cause = e.to_string();
        return match writer.salvage(&cause) {
            Ok(s) => Err(anyhow!(
                "recording stopped: {cause}; the {} samples ({:.3} s) on disk are kept as a \
                 verifiable pair {}",
                s.samples,
                s.samples as f64 / info.sample_rate_sps,
                meta_path.display()
            )),
            Err(e2) => Err(anyhow!(
                "recording stopped: {cause}; {} could not be finished either: {e2}",
                meta_path.display()
            )),
        };
    }
    let n = writer.samples_written();
    // Finalise whatever was recorded, even after a source error, so the pair stays valid and
    // hashed.
    let hash = writer.finish()?;
    if let Some(e) = source_error {
        return Err(e.into());
    }
    eprintln!(
        "recorded {n} samples ({:.2} s) to {}; sha512 {}…",
        n as f64 / info.sample_rate_sps,
        meta_path.display(),
        &hash[..16]
    );
    Ok(0)
}

fn info(a: InfoArgs) -> Result<u8> {
    use crate::term::escape as esc;
    let src = open_input(&a.input)?;
    let i = src.info();
    let meta = a
        .input
        .input
        .as_deref()
        .filter(|p| sigmf::is_sigmf(p))
        .map(SigmfMeta::load)
        .transpose()?;
    let duration_s = i.total_samples.map(|n| n as f64 / i.sample_rate_sps);
    if a.json {
        let doc = serde_json::json!({
            "source": i,
            "duration_s": duration_s,
            "sha512": meta.as_ref().and_then(|m| m.sha512.clone()),
            "annotations": meta.as_ref().map(|m| m.annotations.len()),
            "global": meta.as_ref().map(|m| &m.global),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(0);
    }
    println!("file:        {}", esc(&i.description));
    println!("format:      {}", esc(&i.format));
    println!("sample rate: {} S/s", i.sample_rate_sps);
    println!("centre:      {:.6} MHz", i.center_freq_hz / 1e6);
    if let (Some(n), Some(d)) = (i.total_samples, duration_s) {
        println!("length:      {n} samples ({d:.3} s)");
    }
    if let Some(t) = &i.start_time {
        println!("start:       {}", esc(t));
    }
    if let Some(h) = &i.hardware {
        println!("hardware:    {}", esc(h));
    }
    if i.segments.len() > 1 {
        println!("segments:    {}", i.segments.len());
        for s in &i.segments {
            println!(
                "  from sample {:>12}: {:.6} MHz",
                s.sample_start,
                s.frequency_hz / 1e6
            );
        }
    }
    if let Some(m) = &meta {
        if let Some(d) = &m.description {
            println!("description: {}", esc(d));
        }
        println!(
            "sha512:      {}",
            m.sha512
                .as_deref()
                .map_or("not recorded".to_string(), |h| format!(
                    "{}… (run `towerwatch verify` to check)",
                    esc(h.get(..16).unwrap_or(h))
                ))
        );
        println!("annotations: {}", m.annotations.len());
        for an in m.annotations.iter().take(20) {
            println!(
                "  @{:>10} {}{}",
                an.sample_start,
                esc(an.label.as_deref().unwrap_or("-")),
                an.comment
                    .as_deref()
                    .map(|c| format!(": {}", esc(c)))
                    .unwrap_or_default()
            );
        }
    }
    Ok(0)
}

fn verify(a: VerifyArgs) -> Result<u8> {
    if crate::evidence::manifest::is_bundle(&a.file)
        || (a.file.is_dir() && !sigmf::is_sigmf(&a.file))
    {
        let v = crate::evidence::verify_bundle(&a.file)?;
        for c in &v.files {
            println!("{c}");
        }
        if v.ok() {
            println!("OK: {}", v.headline());
            return Ok(0);
        }
        bail!("{}", v.headline());
    }
    let r = crate::integrity::verify_recording(&a.file)?;
    for l in &r.lines {
        println!("{l}");
    }
    if !r.ok {
        bail!("{}: verification failed (see above)", a.file.display());
    }
    Ok(0)
}

/// The bundled demo scene, relative to the repository root: generated on the fly (the same
/// samples `towerwatch synth` writes), so the demo needs no large file.
pub const DEMO_SCENE: &str = "recordings/scenes/sms-blaster.toml";

/// Seconds of the demo scene to run.
pub const DEMO_SECONDS: f64 = 4.0;

/// Seconds of scene the demo dashboard plays (real-time pace).
pub const DEMO_TUI_SECONDS: f64 = 120.0;

fn demo(a: DemoArgs) -> Result<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scene = [PathBuf::from(DEMO_SCENE), root.join(DEMO_SCENE)]
        .into_iter()
        .find(|p| p.exists())
        .ok_or_else(|| anyhow!("demo scene {DEMO_SCENE} not found: run from the repository"))?;
    let dashboard = a.tui
        || (!a.text
            && !a.json
            && !a.frames
            && std::io::stdout().is_terminal()
            && std::io::stdin().is_terminal());
    // The dashboard runs at real-time pace, so give it two minutes of scene to look around in.
    let seconds = a.seconds.unwrap_or(if dashboard {
        DEMO_TUI_SECONDS
    } else {
        DEMO_SECONDS
    });
    if !(seconds.is_finite() && seconds > 0.0) {
        bail!("--seconds {seconds}: give a positive number");
    }
    let path = PathBuf::from(format!("scene:{},seconds={seconds}", scene.display()));
    if !dashboard {
        eprintln!(
            "towerwatch demo: {seconds} s of {} (a synthetic scene: five legitimate cells and an \
             SMS blaster on ARFCN 21); on a terminal, demo opens the dashboard",
            scene.display()
        );
    }
    let input = InputArgs {
        input: Some(path),
        ..InputArgs::default()
    };
    if dashboard {
        return crate::tui::launch(
            open_input(&input)?,
            crate::tui::Launch {
                max_samples: None,
                paced: true,
                speed: 1.0,
                interval_s: 0.1,
                gsm: Some(GsmStageConfig::default()),
                stop: stop_flag(),
                engine: crate::alert::setup::engine(&Default::default())?,
                baseline_path: None,
                evidence: None,
                gps: a.gps.open(true)?,
            },
        );
    }
    if a.gps.any() && !a.json {
        bail!(
            "positions (--gpsd, --nmea, --position) are shown on the JSON lines (--json) or in \
             the dashboard (--tui)"
        );
    }
    if a.json {
        let src = open_input(&input)?;
        let opts = RunOpts {
            output: a.output.clone(),
            interval_s: 1.0,
            include_psd: false,
            realtime: false,
            speed: 1.0,
            gsm: Some(GsmStageConfig::default()),
            gps: a.gps.open(true)?,
            report_every_s: None,
        };
        // The same detectors as the text and dashboard modes, so the same exit status (10).
        let mut engine = crate::alert::setup::engine(&Default::default())?;
        return run_replay_detect(src, &input, &opts, engine.as_mut(), None, |_| {});
    }
    if !a.frames {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        return crate::demo::run_text(open_input(&input)?, stop_flag(), &mut out);
    }
    decode(DecodeArgs {
        input,
        arfcn: None,
        band: Band::EGsm900,
        carrier: None,
        reveal_identities: false,
        json: false,
        sinks: Default::default(),
    })
}

fn profiles(a: ProfilesArgs) -> Result<u8> {
    use crate::profile::Profile;
    use crate::term::escape as esc;
    if a.files.is_empty() {
        for p in Profile::builtin()? {
            println!(
                "{:<18} {:<28} {:>6.1}–{:<7.1} MHz  {}",
                esc(&p.id),
                esc(&p.name),
                p.tuning.min_hz / 1e6,
                p.tuning.max_hz / 1e6,
                esc(&p.driver_args)
            );
        }
        return Ok(0);
    }
    for f in &a.files {
        let p = Profile::load(f)?;
        println!("OK: {} ({})", esc(&f.display().to_string()), esc(&p.name));
    }
    Ok(0)
}

/// What `decode` gathers per carrier.
#[derive(Default, serde::Serialize)]
struct CellReport {
    band: Option<Band>,
    arfcn: u16,
    freq_hz: f64,
    bsic: Option<u8>,
    sch_decodes: u64,
    freq_offset_hz: Option<f64>,
    freq_offset_ppm: Option<f64>,
    uncertainty_hz: Option<f64>,
    summary: CellSummary,
    frames: Vec<(u32, String, String)>,
    /// Dedicated frames: (FN, "TS1 SDCCH/8 sub 3" …, name, hex).
    dedicated: Vec<(u32, String, String, String)>,
    /// Dedicated messages by name.
    dedicated_counts: std::collections::BTreeMap<String, u64>,
    counters: Option<crate::pipeline::gsm::CarrierCounters>,
}

fn decode(a: DecodeArgs) -> Result<u8> {
    let src = open_input(&a.input)?;
    let mut fixed = Vec::new();
    if let Some(n) = a.arfcn {
        fixed.push(
            a.band
                .freq_hz(n, Direction::Downlink)
                .ok_or_else(|| anyhow!("ARFCN {n} is not in band {}", a.band))?,
        );
    }
    if let Some(f) = a.carrier {
        fixed.push(f);
    }
    let opts = RunOpts {
        output: Some(PathBuf::from("/dev/null")),
        interval_s: 1e9,
        include_psd: false,
        realtime: false,
        speed: 1.0,
        gsm: Some(GsmStageConfig {
            fixed_carriers_hz: fixed,
            reveal_identities: a.reveal_identities,
            ..GsmStageConfig::default()
        }),
        gps: None,
        report_every_s: None,
    };
    let mut cells: std::collections::BTreeMap<(u16, u64), CellReport> = Default::default();
    let key = |arfcn: u16, f: f64| (arfcn, f as u64);
    let mut sink = open_sinks(&a.sinks, a.reveal_identities, src.as_ref())?;
    run_replay(src, &a.input, &opts, |o| {
        if let Some(s) = sink.as_mut() {
            s.observe(o);
        }
        match o {
            Observation::Carrier(c) => {
                let r = cells.entry(key(c.arfcn, c.freq_hz)).or_default();
                r.band = Some(c.band);
                r.arfcn = c.arfcn;
                r.freq_hz = c.freq_hz;
                r.freq_offset_hz = Some(c.freq_offset_hz);
                r.freq_offset_ppm = c.freq_offset_ppm;
                r.uncertainty_hz = Some(c.uncertainty_hz);
            }
            Observation::Sync(s) => {
                let r = cells.entry(key(s.arfcn, 0.0)).or_default();
                r.bsic = Some(s.bsic);
                r.sch_decodes += 1;
            }
            Observation::SystemInfo(m) | Observation::Ccch(m) => {
                let r = cells.entry(key(m.arfcn, 0.0)).or_default();
                r.summary.observe(&m.parsed);
                r.frames.push((
                    m.frame_number,
                    m.name.clone(),
                    m.l2_hex.clone().unwrap_or_default(),
                ));
            }
            Observation::Dedicated(d) => {
                let r = cells.entry(key(d.arfcn, 0.0)).or_default();
                let what = format!(
                    "TS{} {}{} {}",
                    d.timeslot,
                    d.channel.to_uppercase(),
                    if d.timeslot == 0 { "/4" } else { "/8" },
                    d.sub_channel
                );
                r.dedicated.push((
                    d.frame_number,
                    what,
                    format!("{} {}", d.name, d.lapdm),
                    d.l2_hex.clone().unwrap_or_default(),
                ));
                *r.dedicated_counts.entry(d.name.clone()).or_default() += 1;
            }
            Observation::DecodeStats(d) => {
                let r = cells.entry(key(d.arfcn, 0.0)).or_default();
                r.counters = Some(d.counters.clone());
            }
            _ => {}
        }
    })?;
    finish_sinks(sink)?;
    // Merge the per-frequency carrier entries into the per-ARFCN ones.
    let mut merged: std::collections::BTreeMap<u16, CellReport> = Default::default();
    for ((arfcn, _), r) in cells {
        let m = merged.entry(arfcn).or_default();
        m.arfcn = arfcn;
        if r.band.is_some() {
            m.band = r.band;
            m.freq_hz = r.freq_hz;
            m.freq_offset_hz = r.freq_offset_hz;
            m.freq_offset_ppm = r.freq_offset_ppm;
            m.uncertainty_hz = r.uncertainty_hz;
        }
        m.bsic = m.bsic.or(r.bsic);
        m.sch_decodes += r.sch_decodes;
        if !r.frames.is_empty() {
            m.summary = r.summary;
            m.frames = r.frames;
        }
        if !r.dedicated.is_empty() {
            m.dedicated = r.dedicated;
            m.dedicated_counts = r.dedicated_counts;
        }
        m.counters = m.counters.take().or(r.counters);
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&merged.values().collect::<Vec<_>>())?
        );
        return Ok(0);
    }
    if merged.is_empty() {
        println!("no GSM carrier found");
    }
    for r in merged.values() {
        print_cell(r);
    }
    Ok(0)
}

fn print_cell(r: &CellReport) {
    let band = r.band.map_or("?".to_string(), |b| b.to_string());
    println!("# ARFCN {} ({band}, {:.3} MHz)", r.arfcn, r.freq_hz / 1e6);
    for (fn_, name, hex) in &r.frames {
        println!(
            "{fn_} {:<4}: {hex}   [{}]",
            r.arfcn,
            crate::term::escape(name)
        );
    }
    if !r.dedicated.is_empty() {
        println!("## dedicated channels, ARFCN {}", r.arfcn);
    }
    for (fn_, what, name, hex) in &r.dedicated {
        println!(
            "{fn_} {:<4} {what}: {hex}   [{}]",
            r.arfcn,
            crate::term::escape(name)
        );
    }
    let s = &r.summary;
    println!("== cell summary, ARFCN {}", r.arfcn);
    match r.bsic {
        Some(b) => println!(
            "  BSIC         {b} (NCC {}, BCC {}), {} SCH decodes",
            b >> 3,
            b & 7,
            r.sch_decodes
        ),
        None => println!("  BSIC         not decoded"),
    }
    if let (Some(hz), Some(u)) = (r.freq_offset_hz, r.uncertainty_hz) {
        let ppm = r
            .freq_offset_ppm
            .map_or(String::new(), |p| format!(" ({p:+.3} ppm)"));
        println!("  offset       {hz:+.1} Hz{ppm} ± {u:.1} Hz (includes the receiver's own error)");
    }
    if let Some(l) = &s.lai {
        let mnc = if l.mnc_3digits {
            format!("{:03}", l.mnc)
        } else {
            format!("{:02}", l.mnc)
        };
        let ci = s.cell_identity.map_or("?".into(), |c| c.to_string());
        println!(
            "  cell         MCC {} MNC {mnc} LAC {} CI {ci}",
            l.mcc, l.lac
        );
    }
    let list = |v: &Vec<u16>| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    if !s.cell_allocation.is_empty() {
        println!("  SI1 cells    {}", list(&s.cell_allocation));
    }
    println!(
        "  neighbours   SI2 {{{}}}  SI2bis {{{}}}  SI2ter {{{}}}",
        list(&s.si2_neighbours),
        list(&s.si2bis_neighbours),
        list(&s.si2ter_neighbours)
    );
    if let Some(c) = &s.control_channel {
        println!(
            "  control      CCCH_CONF {} BS_AG_BLKS_RES {} BS_PA_MFRMS {} T3212 {} ATT {}",
            c.ccch_conf,
            c.bs_ag_blks_res,
            c.bs_pa_mfrms,
            c.t3212,
            u8::from(c.att)
        );
    }
    if let Some(c) = &s.cell_selection {
        println!(
            "  selection    CELL_RESELECT_HYSTERESIS {} MS_TXPWR_MAX_CCH {} RXLEV_ACCESS_MIN {}",
            c.cell_reselect_hysteresis, c.ms_txpwr_max_cch, c.rxlev_access_min
        );
    }
    if let Some(p) = &s.selection {
        println!(
            "  reselection  CBQ {} CRO {} dB TEMPORARY_OFFSET {} PENALTY_TIME {}",
            u8::from(p.cbq),
            p.cell_reselect_offset_db(),
            p.temporary_offset,
            p.penalty_time
        );
    }
    let counts: Vec<String> = s
        .message_counts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!(
        "  messages     {}",
        if counts.is_empty() {
            "-".into()
        } else {
            counts.join(", ")
        }
    );
    if !s.paged_identities.is_empty() {
        let p: Vec<String> = s
            .paged_identities
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        println!("  paged        {}", p.join(", "));
    }
    println!(
        "  assignments  IA {} reject {}",
        s.immediate_assignments, s.immediate_assignment_rejects
    );
    let ded: Vec<String> = r
        .dedicated_counts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if let Some(c) = &r.counters {
        let d = &c.dedicated;
        let nf = &d.not_followed;
        if d.assignments_followed + nf.hopping + nf.other_arfcn + nf.tch + nf.other > 0 {
            println!(
                "  dedicated    {}",
                if ded.is_empty() {
                    "-".to_string()
                } else {
                    ded.join(", ")
                }
            );
            println!(
                "  SDCCH        blocks ok {} failed {} idle {}  fill {}  malformed {}  \
                 followed {} (dropped when idle {})  not followed: hopping {} other ARFCN {} TCH {} \
                 other {}",
                d.blocks.blocks_ok,
                d.blocks.blocks_failed,
                d.blocks.blocks_idle,
                d.fill_frames,
                d.malformed,
                d.assignments_followed,
                d.blocks.unfollowed_idle,
                nf.hopping,
                nf.other_arfcn,
                nf.tch,
                nf.other
            );
        }
    } else if !ded.is_empty() {
        println!("  dedicated    {}", ded.join(", "));
    }
    if let Some(c) = &r.counters {
        println!(
            "  decoding     FCCH {} SCH ok {} failed {}  blocks ok {} failed {} incomplete {}  L3 malformed {}",
            c.rx.fcch_found + c.rx.fcch_tracked,
            c.rx.sch_ok,
            c.rx.sch_failed,
            c.blocks_ok,
            c.blocks_failed,
            c.blocks_incomplete,
            c.l3_malformed
        );
    }
    println!();
}

/// `towerwatch scan` on a terminal: the sweep runs in its own thread and feeds the dashboard
/// (spectrum of each step, carriers, cells, alerts). The transient-cell detector is off here:
/// a cell the tuner has moved away from is not heard, which is not the cell vanishing.
fn scan_dashboard(
    mut src: Box<dyn SampleSource>,
    cfg: crate::pipeline::scan::ScanConfig,
    stop: Arc<AtomicBool>,
    description: String,
    live: bool,
    gps: Option<crate::gps::PositionProvider>,
) -> Result<u8> {
    use crate::pipeline::{Event, SourceReport};
    let info = src.info().clone();
    let summary = crate::tui::SourceSummary {
        description,
        live,
        sample_rate_sps: info.sample_rate_sps,
        center_freq_hz: info.center_freq_hz,
        total_samples: None,
    };
    let stop2 = stop.clone();
    let pipeline = Pipeline::spawn_custom(info, move |tx, counters| {
        let mut gone = false;
        let res = crate::pipeline::scan::run_scan_observed(
            src.as_mut(),
            cfg,
            &stop2,
            |_| {},
            &mut |o, total| {
                counters.samples_read.store(total, Ordering::Relaxed);
                if !gone {
                    gone |= tx.send(Event::Observation(Box::new(o.clone()))).is_err();
                    gone |= tx.send(Event::Progress(total)).is_err();
                }
            },
        );
        match res {
            Ok(_) => Ok(SourceReport {
                samples_read: counters.samples_read.load(Ordering::Relaxed),
                stopped: stop2.load(Ordering::Relaxed),
                ..SourceReport::default()
            }),
            Err(e) => Err(crate::source::SourceError::Unsupported(e.to_string())),
        }
    })?;
    let det = crate::detect::DetectConfig::parse("[transient_cell]\nenabled = false\n", &[])?;
    let engine = crate::alert::Engine::new(
        crate::cells::CellRegistry::new(
            crate::cells::baseline::Baseline::default(),
            crate::cells::operators::Operators::default(),
        ),
        crate::detect::build_all(&det)?,
        crate::alert::ScoringConfig::default(),
    );
    crate::tui::run(
        pipeline,
        crate::tui::TuiOptions {
            source: summary,
            pace: None,
            stop,
            export_dir: PathBuf::from("."),
            baseline_path: None,
            recorder: None,
            gps,
            record: None,
        },
        Some(engine),
    )
}

fn decode_bursts(a: DecodeBurstsArgs) -> Result<u8> {
    use towerwatch_dsp::gsm::coding::{
        BlockAssembler, ChannelCombination, ChannelKind, parse_burst_line, xcch_decode_bursts,
    };
    use towerwatch_dsp::gsm::l3;
    let text = crate::limits::read_text_capped(
        &a.file,
        crate::limits::MAX_LISTING_BYTES,
        "a burst listing",
    )?;
    let mut asm = BlockAssembler::new();
    asm.set_timeslot(
        0,
        Some(if a.combined {
            ChannelCombination::BcchCcchSdcch4
        } else {
            ChannelCombination::BcchCcch
        }),
    );
    for &ts in &a.sdcch8 {
        if !(1..=7).contains(&ts) {
            bail!("--sdcch8 {ts}: timeslot must be 1–7");
        }
        asm.set_timeslot(ts, Some(ChannelCombination::Sdcch8));
    }
    let (mut bad_lines, mut blocks_ok, mut blocks_failed, mut malformed) = (0u64, 0u64, 0u64, 0u64);
    let mut summary = CellSummary::default();
    let mut sch = std::collections::BTreeMap::<u8, u64>::new();
    let mut segments = crate::privacy::SegmentTracker::default();
    let mut out = crate::term::stdout();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let b = match parse_burst_line(line) {
            Ok(b) => b,
            Err(_) => {
                bad_lines += 1;
                continue;
            }
        };
        if b.subtype == 3 {
            if let Ok(info) = towerwatch_dsp::gsm::coding::sch_decode_burst(&b.soft()) {
                *sch.entry(info.bsic).or_default() += 1;
            }
            continue;
        }
        let Some(block) = asm.push(b.frame_number, b.timeslot, &b.soft()) else {
            continue;
        };
        let Ok(frame) = xcch_decode_bursts(&block.bursts) else {
            blocks_failed += 1;
            continue;
        };
        blocks_ok += 1;
        let parsed = l3::parse_block(block.kind, &frame);
        // Every frame is listed through the one masking rule (deny by default), whatever parsed.
        let classes = match block.kind {
            ChannelKind::Bcch | ChannelKind::Ccch => crate::privacy::ccch_classes(&frame),
            kind => segments.classify(kind, block.timeslot, block.sub_channel, &frame),
        };
        let listing = crate::privacy::hex(&frame, &classes, a.reveal_identities);
        let (name, masked) = match &parsed {
            Ok(Some(m)) => {
                if block.timeslot == 0
                    && matches!(block.kind, ChannelKind::Bcch | ChannelKind::Ccch)
                {
                    summary.observe(m);
                }
                (m.name(), listing)
            }
            Ok(None) => ("L2 fill / no L3".to_string(), listing),
            Err(e) => {
                malformed += 1;
                (format!("malformed: {e}"), listing)
            }
        };
        writeln!(
            out,
            "{} {}:{:?}/{}: {masked}   [{}]",
            block.first_fn,
            block.timeslot,
            block.kind,
            block.sub_channel,
            crate::term::escape(&name)
        )?;
    }
    let c = asm.counters();
    writeln!(out, "== {}", a.file.display())?;
    let sch_txt: Vec<String> = sch
        .iter()
        .map(|(b, n)| format!("BSIC {b} (NCC {} BCC {}) ×{n}", b >> 3, b & 7))
        .collect();
    writeln!(
        out,
        "  SCH          {}",
        if sch_txt.is_empty() {
            "-".into()
        } else {
            sch_txt.join(", ")
        }
    )?;
    if let Some(l) = &summary.lai {
        let ci = summary.cell_identity.map_or("?".into(), |c| c.to_string());
        writeln!(
            out,
            "  cell         MCC {} MNC {:02} LAC {} CI {ci}",
            l.mcc, l.mnc, l.lac
        )?;
    }
    let list = |v: &Vec<u16>| {
        v.iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    writeln!(
        out,
        "  neighbours   SI2 {{{}}}  SI2bis {{{}}}  SI2ter {{{}}}",
        list(&summary.si2_neighbours),
        list(&summary.si2bis_neighbours),
        list(&summary.si2ter_neighbours)
    )?;
    if let Some(p) = &summary.selection {
        writeln!(
            out,
            "  reselection  CRO {} ({} dB) TEMPORARY_OFFSET {} PENALTY_TIME {}",
            p.cell_reselect_offset,
            p.cell_reselect_offset_db(),
            p.temporary_offset,
            p.penalty_time
        )?;
    }
    let counts: Vec<String> = summary
        .message_counts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    writeln!(out, "  TS0 messages {}", counts.join(", "))?;
    writeln!(
        out,
        "  decoding     blocks ok {blocks_ok} failed {blocks_failed} incomplete {}  L3 malformed {malformed}  unreadable lines {bad_lines}",
        c.incomplete
    )?;
    out.flush()?;
    Ok(0)
}

fn synth(a: SynthArgs) -> Result<u8> {
    let opts = crate::synth::SynthOptions {
        duration_s: a.seconds,
        seed: a.seed,
        format: a.datatype.map(SampleFormat::from),
        sample_rate_sps: a.rate,
        center_freq_hz: a.freq,
        drop_out_of_band: a.drop_out_of_band,
    };
    // Installed before any file is created, as `record` does: SIGTERM finishes a hashed pair.
    let stop = stop_flag();
    let s = crate::synth::run_synth_until(&a.scene, &a.output, &opts, &stop)?;
    eprintln!(
        "wrote {} ({} samples, {:.2} s at {} S/s, {}, {:.1} MB) in {:.2} s: {:.1}× real time",
        s.meta_path.display(),
        s.samples,
        s.duration_s,
        s.sample_rate_sps,
        s.format,
        s.data_bytes as f64 / 1e6,
        s.elapsed_s,
        s.real_time_factor
    );
    if s.interrupted {
        eprintln!(
            "towerwatch: synth interrupted: {} holds the {} samples written so far (hashed)",
            s.meta_path.display(),
            s.samples
        );
        return Ok(EXIT_INTERRUPTED);
    }
    Ok(0)
}

fn scan(a: ScanArgs) -> Result<u8> {
    use crate::pipeline::scan::{ScanConfig, run_scan};
    use crate::source::tuner::{TunerConfig, VirtualTuner};
    let profile = match a.input.profile.as_deref() {
        None => None,
        Some(p) if p.ends_with(".toml") => Some(crate::profile::Profile::load(p)?),
        Some(id) => Some(crate::profile::Profile::by_id(id)?),
    };
    let wide = open_input(&a.input)?;
    let live = a.input.device.is_some();
    let wide_rate = wide.info().sample_rate_sps;
    let mut src: Box<dyn SampleSource> = if live && !a.virtual_tuner {
        wide
    } else {
        let rate = a.tuner_rate.unwrap_or(if wide_rate >= 1e6 {
            wide_rate / 2.0
        } else {
            wide_rate
        });
        let cfg = TunerConfig {
            rate_sps: rate,
            bandwidth_hz: a.bandwidth.unwrap_or(0.8 * rate).min(rate),
            rewind_on_retune: !live,
            looped: !live,
        };
        let opener: Option<crate::source::tuner::Opener> = if live {
            None
        } else {
            let input = a.input.clone();
            Some(Box::new(move || {
                open_input(&input)
                    .map_err(|e| crate::source::SourceError::Unsupported(e.to_string()))
            }))
        };
        Box::new(VirtualTuner::new(wide, opener, cfg)?)
    };
    let rate = src.info().sample_rate_sps;
    let usable = a
        .bandwidth
        .or(profile
            .as_ref()
            .filter(|_| !a.virtual_tuner)
            .map(|p| p.sample_rate.usable_bandwidth_hz))
        .unwrap_or(0.8 * rate);
    let mut cfg = ScanConfig::new(a.band, rate, usable);
    cfg.range_hz = match (a.from, a.to) {
        (None, None) => None,
        (f, t) => Some((f.unwrap_or(0.0), t.unwrap_or(f64::MAX))),
    };
    cfg.dwell_s = a.dwell;
    cfg.camp_timeout_s = a.camp;
    cfg.settle_s = if live && !a.virtual_tuner {
        profile.as_ref().map_or(0.05, |p| p.retune_settle_s)
    } else {
        0.0
    };
    cfg.rounds = a.rounds.or(if live { None } else { Some(1) });
    // An NMEA file is replayed at its own pace here: the scan has no single stream time.
    let gps = a.gps.open(false)?;
    let stop = stop_flag();
    let dashboard = a.tui
        || (!a.text
            && !a.json
            && std::io::stdout().is_terminal()
            && std::io::stdin().is_terminal());
    if dashboard {
        let how = if live && !a.virtual_tuner {
            "hopping the receiver"
        } else {
            "virtual tuner"
        };
        let description = format!("scan {} ({how})", a.band);
        return scan_dashboard(src, cfg, stop, description, live, gps);
    }
    let tty = std::io::stdout().is_terminal() && !a.json;
    let table = run_scan(src.as_mut(), cfg, &stop, |t| {
        if tty {
            print!("\x1b[2J\x1b[H{}", t.render());
            let _ = std::io::stdout().flush();
        }
    })?;
    let position = gps.as_ref().map(|g| g.at(None));
    if a.json {
        let mut doc = serde_json::json!({
            "receiver_ppm": table.receiver_ppm(),
            "rounds_done": table.rounds_done,
            "steps_visited": table.steps_visited,
            "cells": table.rows.values().map(|r| {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                v["corrected_ppm"] = serde_json::json!(table.corrected_ppm(r));
                v
            }).collect::<Vec<_>>(),
        });
        if let Some(p) = &position {
            p.annotate(&mut doc);
        }
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!("{}", table.render());
        if let Some(p) = &position {
            println!("position at the end of the scan: {}", p.short());
        }
    }
    Ok(0)
}

/// `towerwatch locate`: estimate a transmitter's position from power-versus-position samples.
fn locate(a: LocateArgs) -> Result<u8> {
    use crate::locate::{ChannelKey, LocateConfig, Method};
    let text = crate::limits::read_text_capped(
        &a.input,
        crate::limits::MAX_LISTING_BYTES,
        "a locate input",
    )?;
    let is_csv = a
        .input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        || !text.trim_start().starts_with('{');
    let (samples, label) = if is_csv {
        let s =
            crate::locate::read_csv(&text).map_err(|e| anyhow!("{}: {e}", a.input.display()))?;
        (s, a.input.display().to_string())
    } else {
        let arfcn = a.arfcn.ok_or_else(|| {
            anyhow!(
                "{}: a replay log holds many channels: give --arfcn (and --band)",
                a.input.display()
            )
        })?;
        let freq_hz = match a.band {
            Some(b) => Some(
                b.freq_hz(arfcn, Direction::Downlink)
                    .ok_or_else(|| anyhow!("ARFCN {arfcn} is not in band {b}"))?,
            ),
            None => None,
        };
        let (s, c) = crate::locate::samples_from_jsonl(&text, ChannelKey { arfcn, freq_hz });
        eprintln!(
            "towerwatch locate: {} spectrum observations: {} with a position and ARFCN {arfcn}, {} without a position (GPS lost or absent), {} without the channel; {} unreadable lines",
            c.spectra,
            s.len(),
            c.without_position,
            c.without_channel,
            c.bad_lines
        );
        let label = match a.band {
            Some(b) => format!("{b} ARFCN {arfcn}"),
            None => format!("ARFCN {arfcn}"),
        };
        (s, label)
    };
    if samples.is_empty() {
        bail!(
            "{}: no samples with a position and a power",
            a.input.display()
        );
    }
    let cfg = LocateConfig {
        n_min: a.min_exponent,
        n_max: a.max_exponent,
        ..LocateConfig::default()
    };
    let est =
        crate::locate::locate(&samples, &cfg).map_err(|e| anyhow!("{}: {e}", a.input.display()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&est)?);
    } else {
        println!(
            "transmitter {label}: {:.6},{:.6} ± {} m (95 %)",
            est.lat_deg, est.lon_deg, est.radius_m
        );
        match est.method {
            Method::PathLoss => println!(
                "  path-loss fit over {} samples along {} m: exponent {}, {} dBFS at 100 m, residual σ {} dB",
                est.samples,
                est.route_m,
                est.exponent.unwrap_or(f64::NAN),
                est.power_at_100m_dbfs.unwrap_or(f64::NAN),
                est.residual_sigma_db.unwrap_or(f64::NAN)
            ),
            Method::WeightedCentroid => println!(
                "  weighted centroid of {} samples ({})",
                est.samples,
                est.fallback_reason.as_deref().unwrap_or("fallback")
            ),
        }
        if let Some([la, lo]) = est.alternative {
            println!(
                "  ambiguous: {la:.6},{lo:.6} fits about as well (mirror image across the route; drive a second, crossing route)"
            );
        }
    }
    if let Some(p) = &a.geojson {
        let doc = crate::locate::geojson(&samples, &est, &label);
        sigmf::write_private(p, (serde_json::to_string_pretty(&doc)? + "\n").as_bytes())
            .with_context(|| format!("{}", p.display()))?;
    }
    if let Some(p) = &a.kml {
        sigmf::write_private(p, crate::locate::kml(&samples, &est, &label).as_bytes())
            .with_context(|| format!("{}", p.display()))?;
    }
    Ok(0)
}

/// Parse `ARFCN` or `BAND:ARFCN`.
fn parse_cell(s: &str, default_band: Band) -> Result<(Band, u16)> {
    let (band, n) = match s.split_once(':') {
        Some((b, n)) => (parse_band(b).map_err(|e| anyhow!("{e}"))?, n),
        None => (default_band, s),
    };
    let arfcn: u16 = n.trim().parse().map_err(|_| {
        anyhow!("bad cell '{s}': expected ARFCN or BAND:ARFCN (e.g. 21 or gsm900:21)")
    })?;
    Ok((band, arfcn))
}

/// `towerwatch find`: a hot/cold indicator on one cell's channel power.
fn find(a: FindArgs) -> Result<u8> {
    use crate::finder::{HotCold, line};
    let (band, arfcn) = parse_cell(&a.cell, a.band)?;
    let freq = band
        .freq_hz(arfcn, Direction::Downlink)
        .ok_or_else(|| anyhow!("ARFCN {arfcn} is not in band {band}"))?;
    let mut input = a.input.clone();
    let live = input.device.is_some();
    if live && input.freq.is_none() {
        // Tune 300 kHz beside the cell: the receiver's DC spike stays out of its channel.
        input.freq = Some(freq + 300e3);
    }
    let src = open_input(&input)?;
    let info = src.info().clone();
    let half_usable = info.sample_rate_sps * crate::observation::USABLE_FRACTION / 2.0;
    if (freq - src.frequency_hz()).abs() > half_usable {
        bail!(
            "{band} ARFCN {arfcn} ({:.1} MHz) is outside {} ({:.3} MHz ± {:.3} MHz usable)",
            freq / 1e6,
            info.description,
            src.frequency_hz() / 1e6,
            half_usable / 1e6
        );
    }
    let gps = a.gps.open(!live)?;
    let cfg = PipelineConfig {
        realtime: !live && !a.fast,
        max_samples: max_samples(&input, src.as_ref()),
        ..PipelineConfig::default()
    };
    let spec = SpectrumStageConfig {
        interval_s: a.interval,
        ..SpectrumStageConfig::default()
    };
    let pipeline = Pipeline::start(src, &cfg, spec, None, stop_flag())?;
    let mut hc = HotCold::new(a.tau, 3.0, 0.3);
    let label = format!("{band} ARFCN {arfcn} {:.1} MHz", freq / 1e6);
    let tty = std::io::stdout().is_terminal() && !a.json;
    let mut out = std::io::stdout().lock();
    let mut readings = 0u64;
    for ev in pipeline.events.iter() {
        let Event::Observation(o) = ev else { continue };
        let Observation::Spectrum(s) = *o else {
            continue;
        };
        let Some(ch) = s.channels.iter().find(|c| (c.freq_hz - freq).abs() < 1e3) else {
            continue;
        };
        let Some(r) = hc.update(s.time_s, ch.power_dbfs) else {
            continue;
        };
        readings += 1;
        let pos = gps.as_ref().map(|g| g.at(Some(s.time_s)));
        if a.json {
            let mut v = serde_json::to_value(r)?;
            v["type"] = serde_json::json!("find");
            v["band"] = serde_json::json!(band);
            v["arfcn"] = serde_json::json!(arfcn);
            v["snr_db"] = serde_json::json!(ch.snr_db);
            if let Some(p) = &pos {
                p.annotate(&mut v);
            }
            write_json_line(&mut out, &v)?;
        } else {
            let mut l = line(&label, &r);
            if let Some(p) = &pos {
                l.push_str("  ");
                l.push_str(&p.short());
            }
            if tty {
                write!(out, "\r\x1b[2K{l}")?;
            } else {
                writeln!(out, "{l}")?;
            }
        }
        out.flush()?;
    }
    if tty {
        writeln!(out)?;
    }
    pipeline.finish()?;
    if readings == 0 {
        bail!("{}: no power readings of {label}", info.description);
    }
    Ok(0)
}
