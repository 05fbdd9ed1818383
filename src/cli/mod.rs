//! Command-line interface (clap). Exit codes: 0 success; 2 error (bad input file, bad arguments,
//! device failure) with a one-line message on stderr; 10 reserved for "replay raised an alert".
//!
//! `mod.rs` holds the parser, the dispatch and the exit codes; each subcommand is a file with its
//! `Args` and its `run` function, and the flags several commands share live in `input.rs`/`run.rs`.

mod baseline;
mod bench;
mod decode;
mod decode_bursts;
mod decode_lte;
mod demo;
mod detectors;
mod devices;
mod eval;
mod evidence;
mod find;
mod help;
mod info;
mod input;
mod locate;
mod mqtt;
mod output;
mod profiles;
mod record;
mod replay;
mod report;
mod run;
mod scan;
mod scan_lte;
mod spectrum;
mod survey;
mod synth;
mod verify;

use anyhow::Result;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
pub use input::DEFAULT_RECONNECT_ATTEMPTS;
pub use output::memory_kib;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use {
    decode::*, decode_bursts::*, demo::*, devices::*, evidence::*, find::*, info::*, locate::*,
    profiles::*, record::*, replay::*, report::*, scan::*, spectrum::*, survey::*, synth::*,
    verify::*,
};

pub use crate::exit::{EXIT_ERROR, EXIT_INTERRUPTED};

#[derive(Parser, Debug)]
#[command(
    name = "towerwatch",
    version,
    about = "Find fake GSM base stations and mass-SMS transmitters with an SDR",
    long_about = "Towerwatch reads IQ samples from a SoapySDR receiver or a recording (SigMF, raw \
cu8/cs8/cs16/cf32, WAV), measures the GSM bands and reports what is on the air.\n\n\
Exit status: 0 success, 2 error (message on stderr), 10 an alert was raised (replay).",
    after_help = "Examples:\n  towerwatch demo\n  towerwatch info recordings/legit-neighbourhood.sigmf-meta\n  \
towerwatch spectrum recordings/legit-neighbourhood.sigmf-meta --output-format csv\n  towerwatch replay recordings/sms-blaster.sigmf-meta --output obs.jsonl\n  \
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
    Baseline(baseline::BaselineArgs),
    /// List the detectors (id, version, weight), or print their catalogue (--markdown).
    Detectors(detectors::DetectorsArgs),
    /// Estimate where a transmitter is from power-versus-position samples: a `replay` log made
    /// with --gpsd/--nmea/--position, or a CSV of lat,lon,power. Writes GeoJSON and KML.
    Locate(LocateArgs),
    /// Finder: follow one cell's power with a hot/cold indicator (dB, trend, dB/s) to walk
    /// toward the transmitter.
    Find(FindArgs),
    /// The detection scoreboard: run every labelled recording and scene of a folder (e.g.
    /// `recordings/`) and print rogue cells found/missed, false alerts and time to first alert per
    /// recording, and per detector where it fired; exit 1 when a label is not met.
    Eval(eval::EvalArgs),
    /// Fleet hub: subscribe to every sensor on an MQTT broker, merge their alerts into one per
    /// transmitter, locate it from several sensors' power, write fused JSON lines and GeoJSON.
    Hub(mqtt::HubArgs),
    /// Measure each processing stage: real-time factor (signal seconds per CPU second) and
    /// peak memory, on generated scenes (about 3 minutes; --scale for longer runs).
    Bench(bench::BenchArgs),
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
    let matches = help::with_groups(Cli::command()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
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
        Command::Scan(a) if a.tech == input::TechArg::Lte => scan_lte::scan_lte(a),
        Command::Scan(a) => scan(a),
        Command::Synth(a) => synth(a),
        Command::Survey(a) => survey(a),
        Command::Baseline(a) => Ok(baseline::baseline_command(&a)?),
        Command::Detectors(a) => Ok(detectors::detectors_command(&a)),
        Command::Locate(a) => locate(a),
        Command::Find(a) => find(a),
        Command::Bench(a) => bench::bench(&a),
        Command::Eval(a) => eval::eval(a),
        Command::Hub(a) => mqtt::hub(a),
    }
}
