//! The headless run shared by `replay`, `evidence`, `decode` and `demo --json`: pipeline → monitor → JSON lines.

use super::stop_flag;
use super::{input::*, output::*};
use crate::monitor::Monitor;
use crate::observation::Observation;
use crate::pipeline::gsm::GsmStageConfig;
use crate::pipeline::{Event, Pipeline, PipelineConfig, SpectrumStageConfig};
use crate::source::SampleSource;
use anyhow::Result;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Evidence-bundle flags of `replay`.
#[derive(Args, Debug, Clone)]
pub(crate) struct EvidenceArgs {
    /// Write an evidence bundle into this directory for every alert that reaches
    /// --evidence-severity (one bundle per alert, --post-trigger seconds after it got there).
    #[arg(long, value_name = "DIR")]
    pub(crate) evidence_dir: Option<PathBuf>,
    /// Severity that triggers a bundle: info, low, medium, high.
    #[arg(long, value_name = "SEV", default_value = "high", value_parser = parse_severity)]
    pub(crate) evidence_severity: crate::detect::Severity,
    #[command(flatten)]
    pub(crate) clip: ClipArgs,
}

/// IQ clip window of a bundle.
#[derive(Args, Debug, Clone)]
pub(crate) struct ClipArgs {
    /// Seconds of IQ before the trigger kept in the bundle (pre-trigger ring buffer).
    #[arg(long, value_name = "S", default_value_t = crate::evidence::DEFAULT_PRE_TRIGGER_S, value_parser = parse_non_negative)]
    pub(crate) pre_trigger: f64,
    /// Seconds of IQ after the trigger.
    #[arg(long, value_name = "S", default_value_t = crate::evidence::DEFAULT_POST_TRIGGER_S, value_parser = parse_non_negative)]
    pub(crate) post_trigger: f64,
    /// Memory cap of the IQ ring buffer, MiB (the clip is shorter when the rate needs more).
    #[arg(long, value_name = "MIB", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    pub(crate) evidence_memory_mib: u64,
}

pub(crate) fn evidence_config(
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

/// Open the GSMTAP/pcap sinks the flags ask for.
pub(crate) fn open_sinks(
    a: &SinkArgs,
    reveal: bool,
    src: &dyn SampleSource,
) -> Result<Option<crate::sink::GsmtapSink>> {
    let base = crate::sink::base_time(src.info().start_time.as_deref());
    Ok(crate::sink::GsmtapSink::open(&a.settings(), reveal, base)?)
}

pub(crate) fn finish_sinks(sink: Option<crate::sink::GsmtapSink>) -> Result<()> {
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

/// Where a headless run's JSON lines go.
#[derive(Debug, Clone)]
pub(crate) enum JsonOut {
    /// Standard output.
    Stdout,
    /// A file (created 0600).
    File(PathBuf),
    /// Nowhere: the caller reads the observations and the monitor itself (`decode`, `evidence`).
    Discard,
}

impl JsonOut {
    /// `-o FILE` or stdout.
    pub(crate) fn from_flag(path: Option<&std::path::Path>) -> JsonOut {
        path.map_or(JsonOut::Stdout, |p| JsonOut::File(p.to_path_buf()))
    }
}

/// How a headless run is set up.
pub(crate) struct RunOpts {
    /// Where the JSON lines go.
    pub(crate) output: JsonOut,
    pub(crate) interval_s: f64,
    pub(crate) include_psd: bool,
    pub(crate) realtime: bool,
    pub(crate) speed: f64,
    pub(crate) gsm: Option<GsmStageConfig>,
    /// Run the LTE stage; its cells are listed at the end (an `lte_cells` JSON line before the
    /// summary, and as text on stderr).
    pub(crate) lte: Option<crate::pipeline::lte::LteStageConfig>,
    /// Print a soak report line to stderr this often (wall-clock seconds).
    pub(crate) report_every_s: Option<f64>,
    /// Exit status 10 when an alert reached this severity (`--fail-on`).
    pub(crate) fail_on: crate::detect::Severity,
}

/// Run the pipeline, writing JSON lines (source, observations, summary) to the output and handing
/// every observation to `each` as well.
pub(crate) fn run_replay(
    src: Box<dyn SampleSource>,
    input: &InputArgs,
    opts: RunOpts,
    gps: Option<crate::gps::PositionProvider>,
    each: impl FnMut(&Observation),
) -> Result<u8> {
    let (code, _) = run_replay_detect(src, input, opts, Monitor::new(None, None, gps), each)?;
    Ok(code)
}

/// [`run_replay`] with the monitor (detection engine, evidence recorder, position): its alert
/// events follow the observation that caused them (`{"type":"alert",...}`), an `alert_summary`
/// line precedes the summary, and the exit status is 10 when an alert reached `opts.fail_on`.
pub(crate) fn run_replay_detect(
    src: Box<dyn SampleSource>,
    input: &InputArgs,
    opts: RunOpts,
    mut monitor: Monitor,
    mut each: impl FnMut(&Observation),
) -> Result<(u8, Monitor)> {
    let info = src.info().clone();
    let cfg = PipelineConfig {
        realtime: opts.realtime,
        speed: opts.speed,
        max_samples: max_samples(input, src.as_ref()),
        taps: monitor
            .recorder()
            .map(|r| r.ring() as Arc<dyn crate::pipeline::BlockTap>)
            .into_iter()
            .collect(),
        lte: opts.lte.clone(),
        ..PipelineConfig::default()
    };
    let spec = SpectrumStageConfig {
        interval_s: opts.interval_s,
        include_psd: opts.include_psd,
        ..SpectrumStageConfig::default()
    };
    let mut out: Box<dyn Write> = match &opts.output {
        JsonOut::Stdout => output_writer(None)?,
        JsonOut::File(p) => output_writer(Some(p))?,
        JsonOut::Discard => Box::new(std::io::sink()),
    };
    write_json_line(
        &mut out,
        &serde_json::json!({"type": "source", "source": &info}),
    )?;
    let stop = stop_flag();
    let pipeline = Pipeline::start(src, &cfg, spec, opts.gsm.clone(), stop)?;
    let mut progress = Progress::new(cfg.max_samples.or(info.total_samples), info.sample_rate_sps);
    let mut observations = 0u64;
    let mut tally = AlertTally::default();
    let mut lte_cells = crate::observation::lte::LteCellList::default();
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
                if let Observation::LteCell(c) = o.as_ref() {
                    lte_cells.observe(c);
                }
                each(&o);
                write_located(&mut out, monitor.gps(), &o)?;
                let step = monitor.feed(&o);
                for alert in &step.alerts {
                    write_located(&mut out, monitor.gps(), alert)?;
                    tally.note(alert);
                }
                report_bundles(&mut out, &step.bundles?)?;
                if step.done {
                    break; // `towerwatch evidence`: its one bundle is written
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
    let end = monitor.finish();
    report_bundles(&mut out, &end.bundles?)?;
    if let Some(s) = &end.summary {
        write_json_line(&mut out, s)?;
    }
    if opts.lte.is_some() {
        write_json_line(
            &mut out,
            &serde_json::json!({
                "type": "lte_cells",
                "cells": lte_cells.rows(),
                "not_listed": lte_cells.overflow,
            }),
        )?;
        eprint!("{}", lte_cells.text());
    }
    let mut summary =
        serde_json::json!({"type": "summary", "observations": observations, "source": report});
    if let Some(g) = monitor.gps() {
        summary["gps"] = g.summary();
    }
    write_json_line(&mut out, &summary)?;
    out.flush()?;
    if !matches!(opts.output, JsonOut::Discard) {
        let stream_s = report.samples_read as f64 / info.sample_rate_sps;
        let cells = monitor.registry().map(|r| {
            let all = r.cells().count();
            let named = r.cells().filter(|c| c.key().cgi.is_some()).count();
            (all, named)
        });
        for line in tally.closing_lines(stream_s, observations, cells, &opts.output) {
            eprintln!("towerwatch: {line}");
        }
    }
    // An interrupted run says so in its status (the summary line has `"stopped": true`): its
    // silence is not a clean bill.
    let code = if interrupted {
        super::EXIT_INTERRUPTED
    } else {
        monitor.exit_status(opts.fail_on)
    };
    Ok((code, monitor))
}

/// The alerts of a headless run, for its closing lines on stderr: the worst state each alert
/// reached.
#[derive(Default)]
pub(crate) struct AlertTally {
    worst: std::collections::BTreeMap<u64, crate::alert::Alert>,
}

impl AlertTally {
    pub(crate) fn note(&mut self, a: &crate::alert::Alert) {
        let keep = self
            .worst
            .get(&a.id)
            .is_none_or(|w| a.severity >= w.severity);
        if keep {
            self.worst.insert(a.id, a.clone());
        }
    }

    /// `5.0 s of signal, 5 cells (5 identified), 692 observations → out.jsonl` and one line per
    /// alert above info, worst first, in plain words.
    pub(crate) fn closing_lines(
        &self,
        stream_s: f64,
        observations: u64,
        cells: Option<(usize, usize)>,
        output: &JsonOut,
    ) -> Vec<String> {
        use crate::detect::Severity;
        let to = match output {
            JsonOut::File(p) => format!(" → {}", crate::term::escape(&p.display().to_string())),
            _ => String::new(),
        };
        let cells = cells.map_or(String::new(), |(all, named)| {
            format!("{all} cells ({named} identified), ")
        });
        let mut lines = vec![format!(
            "{stream_s:.1} s of signal, {cells}{observations} observations{to}"
        )];
        let mut alerts: Vec<&crate::alert::Alert> = self
            .worst
            .values()
            .filter(|a| a.severity > Severity::Info)
            .collect();
        alerts.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
        if alerts.is_empty() {
            lines.push("no alert above info".into());
        } else {
            let count = |s: Severity| alerts.iter().filter(|a| a.severity == s).count();
            let n = alerts.len();
            lines.push(format!(
                "{n} alert{} above info: {} high, {} medium, {} low",
                if n == 1 { "" } else { "s" },
                count(Severity::High),
                count(Severity::Medium),
                count(Severity::Low)
            ));
            for a in alerts {
                lines.push(format!(
                    "  #{} {} (from {:.2} s; {})",
                    a.id,
                    crate::alert::headline::headline(a),
                    a.raised_s,
                    a.signatures
                        .iter()
                        .map(|s| s.detector)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        lines
    }
}
