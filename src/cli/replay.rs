//! `towerwatch replay`: the pipeline headless (or the dashboard) over a recording or a receiver.
//!
//! `--tech` picks the technologies decoded: `gsm` (the default: carriers, SCH, BCCH/CCCH), `lte`
//! (the LTE stage: cell search, MIB and measurements in 1 s windows, at 1.92 MS/s or more), or
//! `all`. Raw captures named after LTE-Cell-Scanner's convention (`f<MHz>_s<MS/s>_…`) get their
//! centre, rate and encoding from the name.

use super::stop_flag;
use super::{input::*, run::*};
use crate::monitor::Monitor;
use crate::pipeline::gsm::GsmStageConfig;
use anyhow::{Result, bail};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct ReplayArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Technologies to decode: gsm, lte (captures at 1.92 MS/s or more; LTE cells are listed at
    /// the end, as an `lte_cells` JSON line and as text on stderr), or all.
    #[arg(long, value_enum, default_value = "gsm")]
    pub(crate) tech: TechArg,
    /// Write JSON lines here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Seconds of signal per spectrum observation (1 ms to 1 hour).
    #[arg(long, value_name = "S", default_value_t = 1.0, value_parser = crate::limits::parse_interval_arg)]
    pub(crate) interval: f64,
    /// Include the PSD bins in spectrum observations.
    #[arg(long)]
    pub(crate) psd: bool,
    /// Pace the replay at the recording's real-time rate (times --speed).
    #[arg(long)]
    pub(crate) realtime: bool,
    /// Speed factor for --realtime.
    #[arg(long, default_value_t = 1.0, value_parser = parse_positive)]
    pub(crate) speed: f64,
    /// Spectrum only: do not decode GSM carriers.
    #[arg(long)]
    pub(crate) no_gsm: bool,
    /// Show subscriber identities (IMSI/TMSI) and SMS content in clear. Default: masked.
    #[arg(long)]
    pub(crate) reveal_identities: bool,
    #[command(flatten)]
    pub(crate) sinks: SinkArgs,
    #[command(flatten)]
    pub(crate) detect: DetectArgs,
    #[command(flatten)]
    pub(crate) evidence: EvidenceArgs,
    /// Open the terminal dashboard instead of printing JSON lines (paced at --speed; space
    /// pauses, +/- change the speed, ? lists the keys).
    #[arg(long, conflicts_with = "text")]
    pub(crate) tui: bool,
    /// Print a readable alert log instead of JSON lines: each alert event as it happens, then
    /// the cells found and every alert's explanation (the same exit status).
    #[arg(long, conflicts_with_all = ["output", "report_every"])]
    pub(crate) text: bool,
    #[command(flatten)]
    pub(crate) gps: GpsArgs,
    #[command(flatten)]
    pub(crate) mqtt: super::mqtt::MqttArgs,
    /// Start the input again whenever it ends (soak runs; stop with --duration or Ctrl-C).
    #[arg(long = "loop")]
    pub(crate) looped: bool,
    /// Stop after this many seconds of signal (wall-clock seconds with --realtime or a paced
    /// `scene:…,realtime=1` source).
    #[arg(long, value_name = "S", value_parser = parse_positive)]
    pub(crate) duration: Option<f64>,
    /// Every S seconds (wall clock), print a soak report line to stderr: resident memory (RSS
    /// from /proc/self/status), queue depths, observations and drops.
    #[arg(long, value_name = "S", value_parser = parse_positive)]
    pub(crate) report_every: Option<f64>,
}

pub(crate) fn replay(mut a: ReplayArgs) -> Result<u8> {
    if let Some(d) = a.duration {
        a.input.seconds = Some(a.input.seconds.map_or(d, |s| s.min(d)));
    }
    a.input = with_scanner_name_hints(&a.input);
    let mut src = open_input(&a.input)?;
    let lte = a.tech.lte_stage(src.info().sample_rate_sps);
    let gsm_wanted = !a.no_gsm && a.tech.gsm();
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
        let engine = crate::alert::setup::engine(&a.detect.settings())?;
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
        let fleet = a.mqtt.open(src.info(), "replay")?;
        return crate::tui::launch(
            src,
            crate::tui::Launch {
                max_samples: max,
                paced: true,
                speed: a.speed,
                interval_s: a.interval.min(0.25),
                gsm: gsm_wanted.then(GsmStageConfig::default),
                lte: lte.clone(),
                stop: stop_flag(),
                engine,
                baseline_path: a.detect.baseline.clone(),
                evidence,
                gps: a.gps.open(a.input.device.is_none())?,
                fleet,
            },
        );
    }
    if a.text {
        let engine = crate::alert::setup::engine(&a.detect.settings())?;
        if engine.is_none() {
            bail!("--text prints alerts: drop --no-detect");
        }
        if a.evidence.evidence_dir.is_some() {
            bail!("--evidence-dir writes bundles from the JSON run: drop --text");
        }
        let fleet = a.mqtt.open(src.info(), "replay")?;
        let monitor =
            Monitor::new(engine, None, a.gps.open(a.input.device.is_none())?).with_fleet(fleet);
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        return crate::demo::run_text_with(src, monitor, a.detect.fail_on, stop_flag(), &mut out);
    }
    let opts = RunOpts {
        output: JsonOut::from_flag(a.output.as_deref()),
        interval_s: a.interval,
        include_psd: a.psd,
        realtime: a.realtime,
        speed: a.speed,
        gsm: gsm_wanted.then(|| GsmStageConfig {
            reveal_identities: a.reveal_identities,
            ..GsmStageConfig::default()
        }),
        lte,
        report_every_s: a.report_every,
        fail_on: a.detect.fail_on,
    };
    let gps = a.gps.open(a.input.device.is_none())?;
    let mut sink = open_sinks(&a.sinks, a.reveal_identities, src.as_ref())?;
    let engine = crate::alert::setup::engine(&a.detect.settings())?;
    let recorder = a.evidence.evidence_dir.as_ref().map(|dir| {
        let mut c = evidence_config(dir, &a.evidence.clip, &a.input, a.reveal_identities);
        c.auto_severity = Some(a.evidence.evidence_severity);
        crate::evidence::Recorder::new(c, src.info())
    });
    if recorder.is_some() && engine.is_none() {
        bail!("--evidence-dir needs the detectors (drop --no-detect)");
    }
    if a.mqtt.mqtt.is_some() && engine.is_none() {
        bail!("--mqtt publishes alerts and cells: drop --no-detect");
    }
    let fleet = a.mqtt.open(src.info(), "replay")?;
    let (code, _) = run_replay_detect(
        src,
        &a.input,
        opts,
        Monitor::new(engine, recorder, gps).with_fleet(fleet),
        |o| {
            if let Some(s) = sink.as_mut() {
                s.observe(o);
            }
        },
    )?;
    finish_sinks(sink)?;
    Ok(code)
}
