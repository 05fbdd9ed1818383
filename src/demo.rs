//! `towerwatch demo` without a terminal (or with `--text`): the same pipeline and detection
//! engine as `replay`, printed for people: each alert event as it happens (stream time,
//! severity, cell, signatures), then the cells found and every alert's explanation.
//!
//! On a terminal `demo` opens the dashboard instead (see `cli::demo`); both run on the bundled
//! SMS-blaster scene so a new user sees the alert within seconds.

use crate::alert::{Alert, AlertEvent, Engine};
use crate::cells::CellRegistry;
use crate::detect::Severity;
use crate::monitor::Monitor;
use crate::pipeline::gsm::GsmStageConfig;
use crate::pipeline::{Event, Pipeline, PipelineConfig, SpectrumStageConfig};
use crate::source::SampleSource;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Run the detection pipeline over `src` (at full speed) with `engine` (`None`: cells only, no
/// alerts) and print what it finds to `out`. Returns the exit status `replay` would give (10
/// when an alert reached `fail_on`).
pub fn run_text(
    src: Box<dyn SampleSource>,
    engine: Option<Engine>,
    fail_on: Severity,
    stop: Arc<AtomicBool>,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    run_text_with(src, Monitor::new(engine, None, None), fail_on, stop, out)
}

/// [`run_text`] with the caller's monitor (its detectors, baseline, operators and position):
/// `replay --text`.
pub fn run_text_with(
    src: Box<dyn SampleSource>,
    mut monitor: Monitor,
    fail_on: Severity,
    stop: Arc<AtomicBool>,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    writeln!(out, "alerts as they happen (stream time):")?;
    let mut latest: Vec<Alert> = Vec::new();
    feed_alerts(src, &mut monitor, 0.25, stop, |a| {
        writeln!(out, "{}", event_line(&a))?;
        match latest.iter_mut().find(|l| l.id == a.id) {
            Some(l) => *l = a,
            None => latest.push(a),
        }
        Ok(())
    })?;
    if latest.is_empty() {
        writeln!(out, "  (none)")?;
    }
    writeln!(out)?;
    if let Some(reg) = monitor.registry() {
        write_cells(out, reg)?;
    }
    for a in &latest {
        writeln!(out)?;
        write_alert(out, a)?;
    }
    out.flush()?;
    monitor.finish_fleet();
    Ok(monitor.exit_status(fail_on))
}

/// Run `src` at full speed through the pipeline (a spectrum every `interval_s`, the default GSM
/// stage) into `monitor`, handing every alert event to `each` in stream order: the loop of
/// `demo --text`, `replay --text` and `eval`.
pub fn feed_alerts(
    src: Box<dyn SampleSource>,
    monitor: &mut Monitor,
    interval_s: f64,
    stop: Arc<AtomicBool>,
    mut each: impl FnMut(Alert) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let spec = SpectrumStageConfig {
        interval_s,
        include_psd: false,
        ..SpectrumStageConfig::default()
    };
    let pipeline = Pipeline::start(
        src,
        &PipelineConfig::default(),
        spec,
        Some(GsmStageConfig::default()),
        stop,
    )?;
    for ev in pipeline.events.iter() {
        let Event::Observation(o) = ev else { continue };
        for a in monitor.feed(&o).alerts {
            each(a)?;
        }
    }
    pipeline.finish()?;
    Ok(())
}

/// One line per alert event: `  1.23 s  raised   HIGH    e-gsm900 ARFCN 21 … [a, b]`.
pub fn event_line(a: &Alert) -> String {
    let event = match a.event {
        AlertEvent::Raised => "raised",
        AlertEvent::Updated => "updated",
        AlertEvent::Cleared => "cleared",
    };
    let sigs: Vec<&str> = a.signatures.iter().map(|s| s.detector).collect();
    format!(
        "{:>7.2} s  {event:<8} {:<7} {}  [{}]",
        a.time_s,
        a.severity.to_string().to_uppercase(),
        a.cell,
        sigs.join(", ")
    )
}

fn write_cells(out: &mut dyn Write, reg: &CellRegistry) -> std::io::Result<()> {
    writeln!(out, "cells found:")?;
    writeln!(
        out,
        "  {:<9} {:>5} {:>9} {:>7} {:>8} {:>4}  {:<7} {:>5} {:>6}  operator",
        "band", "ARFCN", "MHz", "dBFS", "ppm", "BSIC", "MCC-MNC", "LAC", "CI"
    )?;
    let mut n = 0;
    for c in reg.cells() {
        n += 1;
        let power = c
            .latest_power()
            .map_or("-".to_string(), |p| format!("{:.1}", p.power_dbfs));
        let ppm = c
            .offset_ppm()
            .map_or("-".to_string(), |(p, _, _)| format!("{p:+.3}"));
        let bsic = c.bsic.map_or("-".to_string(), |b| b.to_string());
        let (plmn, lac, ci, op) = match c.cgi {
            Some(g) => (
                format!("{:03}-{:02}", g.mcc, g.mnc),
                g.lac.to_string(),
                g.ci.to_string(),
                reg.operators.find(g.mcc, g.mnc).map_or_else(
                    || {
                        let three = c.summary.lai.is_some_and(|l| l.mnc_3digits);
                        crate::cells::plmn_list::network(g.mcc, g.mnc, three)
                            .map_or_else(|| "unknown".to_string(), |n| n.name.clone())
                    },
                    |o| o.name.clone(),
                ),
            ),
            None => ("-".into(), "-".into(), "-".into(), String::new()),
        };
        writeln!(
            out,
            "  {:<9} {:>5} {:>9.1} {:>7} {:>8} {:>4}  {:<7} {:>5} {:>6}  {op}",
            c.band.to_string(),
            c.arfcn,
            c.freq_hz / 1e6,
            power,
            ppm,
            bsic,
            plmn,
            lac,
            ci
        )?;
    }
    if n == 0 {
        writeln!(out, "  (none)")?;
    }
    Ok(())
}

/// The full explanation of an alert, as the dashboard's details pane shows it.
pub fn write_alert(out: &mut dyn Write, a: &Alert) -> std::io::Result<()> {
    writeln!(
        out,
        "ALERT {} — {} — {} (score {:.2}, raised at {:.2} s)",
        a.id,
        a.severity.to_string().to_uppercase(),
        a.cell,
        a.score,
        a.raised_s
    )?;
    writeln!(out, "  {}", a.summary)?;
    for s in &a.signatures {
        writeln!(
            out,
            "  - {} (v{}, {}, +{:.2}): {}",
            s.detector, s.version, s.severity, s.score, s.message
        )?;
        for e in &s.evidence {
            match e.threshold {
                Some(t) => writeln!(out, "      {} = {} ({} {})", e.name, e.value, e.test, t)?,
                None => writeln!(out, "      {} = {}", e.name, e.value)?,
            }
        }
    }
    writeln!(out, "  next: {}", a.advice)?;
    Ok(())
}
