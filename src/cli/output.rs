//! Writing results: JSON lines (with positions), progress on a terminal, bundles written, memory figures.

use crate::source::sigmf::{self};
use anyhow::{Context, Result};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

pub(crate) fn output_writer(path: Option<&Path>) -> Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => Box::new(std::io::BufWriter::new(crate::term::NamedWriter::new(
            sigmf::create_private(p).with_context(|| format!("{}", p.display()))?,
            p.display().to_string(),
        ))),
        None => Box::new(crate::term::stdout()),
    })
}

pub(crate) fn write_json_line(out: &mut dyn Write, v: &impl serde::Serialize) -> Result<()> {
    serde_json::to_writer(&mut *out, v)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Progress on stderr, only when stderr is a terminal, at most 5 updates a second.
pub(crate) struct Progress {
    pub(crate) enabled: bool,
    pub(crate) total: Option<u64>,
    pub(crate) rate: f64,
    pub(crate) last: Instant,
    pub(crate) started: Instant,
}

impl Progress {
    pub(crate) fn new(total: Option<u64>, rate: f64) -> Self {
        Progress {
            enabled: std::io::stderr().is_terminal(),
            total,
            rate,
            last: Instant::now(),
            started: Instant::now(),
        }
    }
    pub(crate) fn update(&mut self, done: u64) {
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
    pub(crate) fn done(&self) {
        if self.enabled {
            eprint!("\r{}\r", " ".repeat(72));
        }
    }
}

pub(crate) fn round1(x: f64) -> f64 {
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

/// One JSON line; observation and alert lines carry the position (`position` and `gps` keys)
/// when there is a position source.
pub(crate) fn write_located(
    out: &mut dyn Write,
    gps: Option<&crate::gps::PositionProvider>,
    v: &impl serde::Serialize,
) -> Result<()> {
    match gps {
        None => write_json_line(out, v),
        Some(g) => {
            let mut v = serde_json::to_value(v)?;
            g.annotate(&mut v);
            write_json_line(out, &v)
        }
    }
}

/// Report bundles written: a `{"type":"evidence",…}` line each, and a line on stderr.
pub(crate) fn report_bundles(
    out: &mut dyn Write,
    bundles: &[crate::evidence::Bundle],
) -> Result<()> {
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
