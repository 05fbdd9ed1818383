//! `towerwatch bench`: real-time factor (signal seconds per CPU second) and peak memory of each
//! processing stage, in one run.
//!
//! The parent process generates the test signals (synthetic scenes, written to temporary raw
//! `cf32` files, so generating them is not part of any measurement), then runs every stage in a
//! child process of the same binary (`towerwatch bench --stage NAME --input FILE`), so each
//! stage's peak resident memory (`VmHWM`) is its own. A child reports one JSON line: signal
//! seconds, CPU seconds (user + system of the whole process, every thread, from
//! `/proc/self/stat`, counted from after its own set-up), wall seconds and peak RSS.

mod lte;

use crate::pipeline::gsm::GsmStageConfig;
use crate::pipeline::{Event, Pipeline, PipelineConfig, SpectrumStageConfig};
use crate::source::{FileOptions, open_file};
use crate::synth::{SynthOptions, load_scene};
use anyhow::{Context, Result, anyhow, bail};
use num_complex::Complex32;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;
use towerwatch_dsp::arfcn::{Band, Direction, channel_at};
use towerwatch_dsp::filter::Channelizer;
use towerwatch_dsp::gsm::rx::fcch_wide::SpectralFcch;
use towerwatch_dsp::gsm::rx::{Receiver, RxConfig};
use towerwatch_dsp::gsm::synth::{Scene, SceneConfig};
use towerwatch_dsp::signal::{Rng, add_noise};
use towerwatch_dsp::spectrum::{Welch, WelchConfig, Window};

/// What `towerwatch bench` runs (its flags: `cli::bench::BenchArgs`).
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Multiply every stage's default signal length by this (1 = a run of about 3 minutes on
    /// one core; 10 for steadier figures).
    pub scale: f64,
    /// Run only the stages whose names contain this text.
    pub only: Option<String>,
    /// Where to write the generated signals (default: a new folder in the temp directory,
    /// removed afterwards).
    pub work_dir: Option<PathBuf>,
    /// Internal: run one stage in this process and print its JSON line.
    pub stage: Option<String>,
    /// Internal: the stage's input file.
    pub input: Option<PathBuf>,
    /// Internal: seconds of signal for the stage.
    pub seconds: Option<f64>,
}

/// One stage's measurement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageResult {
    /// Stage name.
    pub stage: String,
    /// Signal seconds processed.
    pub signal_s: f64,
    /// CPU seconds (user + system, all threads).
    pub cpu_s: f64,
    /// Wall-clock seconds.
    pub wall_s: f64,
    /// Peak resident memory of the stage's process, MB.
    pub peak_rss_mb: f64,
    /// What the stage found (a check that it did its work).
    pub note: String,
    /// Decoding stages: cells synchronised (a BSIC decoded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cells: Option<usize>,
    /// Decoding stages: stream time at which the last of those cells had its first BSIC, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_bsic_s: Option<f64>,
}

/// The signal each stage runs on.
#[derive(Debug, Clone, Copy)]
enum Signal {
    /// White noise generated in memory.
    Noise { rate_sps: f64 },
    /// One cell at 1 MS/s.
    Single,
    /// The five-cell `legit-neighbourhood` scene at 2.4 MS/s.
    Five,
    /// Twenty cells over 20 MHz at 20 MS/s.
    Twenty,
    /// One LTE cell generated in memory (1.92 MS/s, or 19.2 MS/s for SIB1).
    Lte,
}

struct StageDef {
    name: &'static str,
    what: &'static str,
    signal: Signal,
    seconds: f64,
}

const STAGES: &[StageDef] = &[
    StageDef {
        name: "psd-2.4M",
        what: "Welch PSD, FFT 2048, 50 % overlap",
        signal: Signal::Noise { rate_sps: 2.4e6 },
        seconds: 60.0,
    },
    StageDef {
        name: "psd-20M",
        what: "Welch PSD, FFT 8192, 50 % overlap",
        signal: Signal::Noise { rate_sps: 20e6 },
        seconds: 10.0,
    },
    StageDef {
        name: "chan-fcch-20M",
        what: "filter bank + FCCH search on every 200 kHz channel (spectral), SCH check where found",
        signal: Signal::Twenty,
        seconds: 2.0,
    },
    StageDef {
        name: "chan-fcch-56M",
        what: "filter bank + spectral FCCH search on every channel of 56 MS/s of noise (1 thread)",
        signal: Signal::Noise { rate_sps: 56e6 },
        seconds: 1.0,
    },
    StageDef {
        name: "decode-1M",
        what: "decode one carrier (FCCH, SCH, BCCH, CCCH)",
        signal: Signal::Single,
        seconds: 30.0,
    },
    StageDef {
        name: "scene5-2.4M",
        what: "5-cell scene: discovery + decode",
        signal: Signal::Five,
        seconds: 10.0,
    },
    StageDef {
        name: "scene20-20M",
        what: "20-cell scene: discovery + decode, 1 thread",
        signal: Signal::Twenty,
        seconds: 2.0,
    },
    StageDef {
        name: "scene20-20M-2t",
        what: "the same on 2 receiver threads",
        signal: Signal::Twenty,
        seconds: 2.0,
    },
    StageDef {
        name: "lte-search-1.92M",
        what: "LTE cell search (PSS/SSS ±150 kHz) + CRS measurements + MIB, one cell",
        signal: Signal::Lte,
        seconds: 4.0,
    },
    StageDef {
        name: "lte-sib1-19.2M",
        what: "LTE 20 MHz cell: search + MIB + PCFICH/PDCCH/PDSCH/turbo SIB1",
        signal: Signal::Lte,
        seconds: 0.8,
    },
];

/// A performance target (issue 20) checked against one stage's result.
struct Check {
    stage: &'static str,
    what: &'static str,
    /// The figure checked.
    value: fn(&StageResult) -> Option<f64>,
    /// `true`: the figure must be at least `bound`; `false`: at most.
    at_least: bool,
    bound: f64,
    unit: &'static str,
}

fn rt_cpu(r: &StageResult) -> Option<f64> {
    Some(r.signal_s / r.cpu_s.max(1e-9))
}

fn rt_wall(r: &StageResult) -> Option<f64> {
    Some(r.signal_s / r.wall_s.max(1e-9))
}

/// gr-gsm's CPU per signal second on the 1 MS/s single-carrier recording
/// (`tests/dev/compare-grgsm.sh`, docs/performance.md, 2026-11-28): the single-carrier target is
/// 15 times less CPU than that.
const GRGSM_CPU_S_PER_S: f64 = 0.27;

const CHECKS: &[Check] = &[
    Check {
        stage: "scene20-20M",
        what: "20 cells at 20 MS/s, cold start, one core: RT (CPU)",
        value: rt_cpu,
        at_least: true,
        bound: 2.5,
        unit: "x",
    },
    Check {
        stage: "scene20-20M-2t",
        what: "the same on two threads: RT (wall)",
        value: rt_wall,
        at_least: true,
        bound: 4.0,
        unit: "x",
    },
    Check {
        stage: "scene20-20M",
        what: "cells synchronised (of 20)",
        value: |r| r.cells.map(|c| c as f64),
        at_least: true,
        bound: 20.0,
        unit: "",
    },
    Check {
        stage: "scene20-20M",
        what: "every cell's BSIC by (stream time)",
        value: |r| r.all_bsic_s,
        at_least: false,
        bound: 1.5,
        unit: " s",
    },
    Check {
        stage: "scene20-20M",
        what: "peak RSS at 20 MS/s (this run's length, not an hour)",
        value: |r| Some(r.peak_rss_mb),
        at_least: false,
        bound: 200.0,
        unit: " MB",
    },
    Check {
        stage: "decode-1M",
        what: "single carrier: RT (CPU) = 15x gr-gsm's 0.27 CPU-s per s",
        value: rt_cpu,
        at_least: true,
        bound: 15.0 / GRGSM_CPU_S_PER_S,
        unit: "x",
    },
    Check {
        stage: "chan-fcch-56M",
        what: "56 MS/s channelised + FCCH searched, one thread: RT (wall)",
        value: rt_wall,
        at_least: true,
        bound: 1.0,
        unit: "x",
    },
    Check {
        stage: "lte-search-1.92M",
        what: "LTE cell search + MIB at 1.92 MS/s: RT (CPU)",
        value: rt_cpu,
        at_least: true,
        bound: 20.0,
        unit: "x",
    },
    Check {
        stage: "lte-sib1-19.2M",
        what: "LTE SIB1 at 19.2 MS/s: RT (CPU)",
        value: rt_cpu,
        at_least: true,
        bound: 1.0,
        unit: "x",
    },
];

/// Prints every target whose stage ran: the figure, the target and whether it is met.
fn print_targets(results: &[(&&StageDef, StageResult)]) {
    let rows: Vec<(&Check, &StageResult)> = CHECKS
        .iter()
        .filter_map(|c| {
            results
                .iter()
                .find(|(_, r)| r.stage == c.stage)
                .map(|(_, r)| (c, r))
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    println!();
    println!("targets (issue 20):");
    for (c, r) in rows {
        let cmp = if c.at_least { ">=" } else { "<=" };
        let (shown, met) = match (c.value)(r) {
            Some(v) if v.is_finite() => {
                let ok = if c.at_least {
                    v >= c.bound
                } else {
                    v <= c.bound
                };
                (
                    format!("{v:.2}{}", c.unit),
                    if ok { "met" } else { "NOT MET" },
                )
            }
            _ => ("-".to_string(), "NOT MET"),
        };
        println!(
            "  {:<16} {:<58} {:>10}  target {cmp} {}{}  {met}",
            c.stage,
            c.what,
            shown,
            c.bound_text(),
            c.unit
        );
    }
}

impl Check {
    fn bound_text(&self) -> String {
        crate::num::text(self.bound)
    }
}

/// Runs `towerwatch bench`.
pub fn run(a: &BenchOptions) -> Result<u8> {
    if let Some(stage) = &a.stage {
        let r = run_stage(stage, a.input.as_deref(), a.seconds.unwrap_or(1.0))?;
        println!("{}", serde_json::to_string(&r)?);
        return Ok(0);
    }
    if !(a.scale.is_finite() && a.scale > 0.0) {
        bail!("--scale must be positive");
    }
    let (dir, temporary) = match &a.work_dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("towerwatch-bench-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = run_all(a, &dir);
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn run_all(a: &BenchOptions, dir: &Path) -> Result<u8> {
    let exe = std::env::current_exe().context("finding the towerwatch binary")?;
    let selected: Vec<&StageDef> = STAGES
        .iter()
        .filter(|s| a.only.as_deref().is_none_or(|o| s.name.contains(o)))
        .collect();
    print_machine();
    let mut files: Vec<(&'static str, PathBuf, f64)> = Vec::new();
    let mut results = Vec::new();
    for s in &selected {
        let seconds = s.seconds * a.scale;
        let input = match s.signal {
            Signal::Noise { .. } | Signal::Lte => None,
            sig => {
                let key = match sig {
                    Signal::Single => "single",
                    Signal::Five => "five",
                    _ => "twenty",
                };
                let have = files
                    .iter()
                    .find(|(k, _, secs)| *k == key && *secs >= seconds);
                match have {
                    Some((_, p, _)) => Some(p.clone()),
                    None => {
                        let longest = selected
                            .iter()
                            .filter(|t| {
                                std::mem::discriminant(&t.signal) == std::mem::discriminant(&sig)
                            })
                            .map(|t| t.seconds * a.scale)
                            .fold(seconds, f64::max);
                        let p = generate(sig, longest, dir)?;
                        files.push((key, p.clone(), longest));
                        Some(p)
                    }
                }
            }
        };
        eprintln!("bench: {} ({seconds} s of signal)…", s.name);
        let mut cmd = std::process::Command::new(&exe);
        cmd.arg("bench")
            .arg("--stage")
            .arg(s.name)
            .arg("--seconds")
            .arg(seconds.to_string());
        if let Some(p) = &input {
            cmd.arg("--input").arg(p);
        }
        let out = cmd
            .output()
            .with_context(|| format!("running stage {}", s.name))?;
        if !out.status.success() {
            bail!(
                "stage {} failed: {}",
                s.name,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().last().unwrap_or_default();
        let r: StageResult = serde_json::from_str(line)
            .with_context(|| format!("stage {} printed {line:?}", s.name))?;
        results.push((s, r));
    }
    println!();
    println!(
        "{:<15} {:>9} {:>8} {:>8} {:>8} {:>9}  what (result)",
        "stage", "signal s", "CPU s", "wall s", "RT (CPU)", "peak RSS"
    );
    for (s, r) in &results {
        println!(
            "{:<15} {:>9.2} {:>8.2} {:>8.2} {:>7.2}x {:>6.0} MB  {} ({})",
            r.stage,
            r.signal_s,
            r.cpu_s,
            r.wall_s,
            r.signal_s / r.cpu_s.max(1e-9),
            r.peak_rss_mb,
            s.what,
            r.note
        );
    }
    println!(
        "RT (CPU) = signal seconds per CPU second (user + system, all threads): above 1 keeps up \
         on one core."
    );
    print_targets(&results);
    Ok(0)
}

fn print_machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_string))
        .unwrap_or_default();
    println!(
        "towerwatch {} bench on {cpu}, {cores} cores available, load average {load}",
        env!("CARGO_PKG_VERSION")
    );
}

// ----------------------------------------------------------------------------------------------
// Signals
// ----------------------------------------------------------------------------------------------

fn scene_path(name: &str) -> PathBuf {
    let local = PathBuf::from("recordings/scenes").join(name);
    if local.exists() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("recordings/scenes")
        .join(name)
}

/// The scene for a signal, at its rate and centre.
fn scene_config(sig: Signal) -> Result<SceneConfig> {
    let path = scene_path("legit-neighbourhood.toml");
    let (rate, centre) = match sig {
        Signal::Single => (1e6, 939.0e6),
        Signal::Five => (2.4e6, 938.7e6),
        _ => (20e6, 945.0e6),
    };
    let opts = SynthOptions {
        sample_rate_sps: Some(rate),
        center_freq_hz: Some(centre),
        drop_out_of_band: true,
        ..SynthOptions::default()
    };
    let mut cfg = load_scene(&path, &opts)
        .with_context(|| format!("loading {}", path.display()))?
        .config;
    match sig {
        Signal::Single => cfg.cells.retain(|c| c.arfcn == 20),
        Signal::Twenty => {
            // Twenty cells spread over 935–955 MHz (ARFCN 4, 9, …, 99), four copies of the
            // five cells with their own BSIC and frame numbers.
            let base = cfg.cells.clone();
            cfg.cells.clear();
            for i in 0..20u16 {
                let Some(c) = base.get(usize::from(i) % base.len()) else {
                    break;
                };
                let mut c = c.clone();
                c.name = format!("{}-{i}", c.name);
                c.band = Band::PGsm900;
                c.arfcn = 4 + 5 * i;
                c.bsic = (c.bsic & 0o70) | (i % 8) as u8;
                c.start_fn = c.start_fn.wrapping_add(u32::from(i) * 7);
                cfg.cells.push(c);
            }
        }
        _ => {}
    }
    Ok(cfg)
}

/// Generates `seconds` of a signal into a raw cf32 file named so that its rate and centre are
/// read from the name.
fn generate(sig: Signal, seconds: f64, dir: &Path) -> Result<PathBuf> {
    let cfg = scene_config(sig)?;
    let name = format!(
        "{}_{:.0}Hz_{}sps.cf32",
        match sig {
            Signal::Single => "single",
            Signal::Five => "five",
            _ => "twenty",
        },
        cfg.center_freq_hz,
        cfg.sample_rate_sps
    );
    let path = dir.join(name);
    eprintln!(
        "bench: generating {seconds} s of {} cells at {} MS/s → {}",
        cfg.cells.len(),
        cfg.sample_rate_sps / 1e6,
        path.display()
    );
    let mut scene = Scene::new(&cfg).map_err(|e| anyhow!("scene: {e}"))?;
    let total = (seconds * cfg.sample_rate_sps).round() as usize;
    let file = std::fs::File::create(&path).with_context(|| format!("{}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let mut buf = vec![Complex32::new(0.0, 0.0); 1 << 16];
    let mut bytes = Vec::with_capacity(buf.len() * 8);
    let mut left = total;
    while left > 0 {
        let n = left.min(buf.len());
        let chunk = buf.get_mut(..n).unwrap_or_default();
        scene.fill(chunk);
        bytes.clear();
        for v in chunk.iter() {
            bytes.extend_from_slice(&v.re.to_le_bytes());
            bytes.extend_from_slice(&v.im.to_le_bytes());
        }
        w.write_all(&bytes)?;
        left -= n;
    }
    w.flush()?;
    Ok(path)
}

// ----------------------------------------------------------------------------------------------
// Stages (child process)
// ----------------------------------------------------------------------------------------------

/// CPU seconds (user + system) of this process so far, every thread included.
fn cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces, in parentheses): state is field 3;
    // utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

/// Peak resident memory of this process, MB (`VmHWM`).
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn run_stage(stage: &str, input: Option<&Path>, seconds: f64) -> Result<StageResult> {
    let def = STAGES
        .iter()
        .find(|s| s.name == stage)
        .ok_or_else(|| anyhow!("unknown stage {stage}"))?;
    let need_input = || input.ok_or_else(|| anyhow!("stage {stage} needs --input"));
    let mut found = None;
    let (signal_s, cpu, wall, note) = match def.signal {
        Signal::Noise { rate_sps } if stage.starts_with("chan-fcch") => {
            chan_fcch_noise(rate_sps, seconds)?
        }
        Signal::Noise { rate_sps } => psd(rate_sps, seconds)?,
        Signal::Lte if stage.starts_with("lte-search") => lte::search(seconds)?,
        Signal::Lte => lte::sib1_full(seconds)?,
        _ if stage.starts_with("chan-fcch") => chan_fcch(need_input()?, seconds)?,
        Signal::Single => {
            let (m, f) = decode(need_input()?, seconds, Some(939.0e6), 1)?;
            found = Some(f);
            m
        }
        _ => {
            let threads = if stage.ends_with("-2t") { 2 } else { 1 };
            let (m, f) = decode(need_input()?, seconds, None, threads)?;
            found = Some(f);
            m
        }
    };
    Ok(StageResult {
        stage: stage.to_string(),
        signal_s,
        cpu_s: cpu,
        wall_s: wall,
        peak_rss_mb: peak_rss_mb(),
        note,
        cells: found.map(|f| f.0),
        all_bsic_s: found.and_then(|f| f.1),
    })
}

type Measured = (f64, f64, f64, String);

fn psd(rate_sps: f64, seconds: f64) -> Result<Measured> {
    let fft_len = if rate_sps > 5e6 { 8192 } else { 2048 };
    let mut x = vec![Complex32::new(0.0, 0.0); (rate_sps * 0.1) as usize];
    add_noise(&mut Rng::new(1), 0.01, &mut x);
    let mut w = Welch::new(WelchConfig {
        fft_len,
        overlap: 0.5,
        window: Window::BlackmanHarris,
    })
    .map_err(|e| anyhow!("{e}"))?;
    let blocks = (seconds / 0.1).round().max(1.0) as usize;
    let (c0, t0) = (cpu_s(), Instant::now());
    let mut spectra = 0;
    for i in 0..blocks {
        w.process(&x);
        if (i + 1).is_multiple_of(10) {
            spectra += usize::from(w.psd(rate_sps).is_some());
            w.reset();
        }
    }
    Ok((
        blocks as f64 * 0.1,
        cpu_s() - c0,
        t0.elapsed().as_secs_f64(),
        format!("{spectra} spectra"),
    ))
}

/// Every 200 kHz channel of the input searched for FCCH on the filter bank's spectra
/// ([`SpectralFcch`]); a channel that shows one gets extracted by the bank (from its spectrum
/// history, so the burst that was seen is received) into a receiver, which measures the burst and
/// decodes the SCH, and is then retired (decoding the cells is `scene20`'s job). One thread.
fn chan_fcch(input: &Path, seconds: f64) -> Result<Measured> {
    let mut src = open_file(input, &FileOptions::default())?;
    let rate = src.info().sample_rate_sps;
    let centre = src.info().center_freq_hz;
    chan_fcch_on(rate, centre, seconds, |buf| Ok(src.read(buf)?))
}

/// [`chan_fcch`] on white noise made in memory at `rate_sps` (a B210/bladeRF's 56 MS/s): the
/// cost of the bank and the FCCH search over every channel, which does not depend on what is
/// on the air; no FCCH means no receiver is started.
fn chan_fcch_noise(rate_sps: f64, seconds: f64) -> Result<Measured> {
    let mut noise = vec![Complex32::new(0.0, 0.0); 1 << 16];
    add_noise(&mut Rng::new(3), 0.01, &mut noise);
    // Centred in the GSM 900 downlink so the channel list is the band's, as a field sweep sees.
    chan_fcch_on(rate_sps, 947.5e6, seconds, |buf| {
        let n = buf.len().min(noise.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), noise.get(..n)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    })
}

fn chan_fcch_on(
    rate: f64,
    centre: f64,
    seconds: f64,
    mut read_into: impl FnMut(&mut [Complex32]) -> Result<usize>,
) -> Result<Measured> {
    let mut d = 1;
    while rate / (2 * d) as f64 >= 500e3 {
        d *= 2;
    }
    let mut bank = Channelizer::new(rate, d, 130e3, &[]).map_err(|e| anyhow!("{e}"))?;
    // Enough spectra to replay a whole FCCH burst (577 µs) from before it was recognised.
    let block_s = bank.hop() as f64 / rate;
    bank.set_history_blocks((1.5e-3 / block_s).ceil() as usize + 2);
    let lo = centre - rate / 2.0 + 100e3;
    let hi = centre + rate / 2.0 - 100e3;
    let mut f = (lo / 200e3).ceil() * 200e3;
    let mut offsets = Vec::new();
    while f <= hi {
        if let Some(ch) = channel_at(f, Direction::Downlink) {
            offsets.push(ch.freq_hz - centre);
        }
        f += 200e3;
    }
    let mut det = SpectralFcch::new(rate, bank.fft_len(), &offsets, 25e3)
        .ok_or_else(|| anyhow!("FFT too short for a spectral FCCH search at {rate} S/s"))?;
    let mut outs: Vec<Vec<Complex32>> = Vec::new();
    let mut rxs: Vec<Receiver> = Vec::new();
    // Per receiver: (channel, input sample when it was added).
    let mut owner: Vec<(usize, u64)> = Vec::new();
    let mut has_rx = vec![false; offsets.len()];
    // A receiver that has not synchronised this long after its hit is dropped (a false hit),
    // and its channel is not tried again for `cooldown` samples.
    let give_up = (0.3 * rate) as u64;
    let cooldown = rate as u64;
    let mut retry_after = vec![0u64; offsets.len()];
    let mut tried = 0usize;
    let mut hits = Vec::new();
    let total = (seconds * rate) as u64;
    let mut buf = vec![Complex32::new(0.0, 0.0); 1 << 16];
    let mut events = Vec::new();
    let mut read = 0u64;
    let mut synced = 0usize;
    let (c0, t0) = (cpu_s(), Instant::now());
    while read < total {
        let want = ((total - read) as usize).min(buf.len());
        let n = read_into(buf.get_mut(..want).unwrap_or_default())?;
        if n == 0 {
            break;
        }
        read += n as u64;
        hits.clear();
        bank.process_observed(buf.get(..n).unwrap_or_default(), &mut outs, |b, spec| {
            det.push(b, spec, &mut hits)
        });
        for h in &hits {
            let (Some(seen), Some(&off)) = (has_rx.get_mut(h.channel), offsets.get(h.channel))
            else {
                continue;
            };
            if *seen || retry_after.get(h.channel).is_some_and(|r| read < *r) {
                continue;
            }
            *seen = true;
            tried += 1;
            owner.push((h.channel, read));
            let mut out = Vec::new();
            let first = bank
                .add_channel(off, &mut out)
                .map_err(|e| anyhow!("{e}"))?;
            let i = bank.channels() - 1;
            let mut rc = RxConfig::new(bank.output_rate_sps(), bank.residual_hz(i).unwrap_or(0.0));
            rc.timeslot_mask = 0x01;
            rc.index_scale = d as f64;
            rc.index_origin = bank.input_time(first as f64);
            rxs.push(Receiver::new(rc).map_err(|e| anyhow!("{e}"))?);
            outs.push(out);
        }
        for (rx, o) in rxs.iter_mut().zip(outs.iter_mut()) {
            events.clear();
            rx.process(o, &mut events);
            o.clear();
        }
        // A receiver is done once it has the FCCH burst precisely and the SCH decoded (the
        // carrier, its offset and BSIC are known: what a sweep wants); one that has not after
        // `give_up` was a false hit.
        let mut i = 0;
        while i < rxs.len() {
            let (ch, since) = owner.get(i).copied().unwrap_or((usize::MAX, read));
            let found = rxs.get(i).is_some_and(|r| r.stats().sync_gained > 0);
            let stale = !found && read.saturating_sub(since) > give_up;
            if found || stale {
                bank.remove_channel(i);
                rxs.remove(i);
                outs.remove(i);
                owner.remove(i);
            }
            if found {
                synced += 1;
            } else if stale {
                if let (Some(s), Some(r)) = (has_rx.get_mut(ch), retry_after.get_mut(ch)) {
                    *s = false;
                    *r = read + cooldown;
                }
            } else {
                i += 1;
            }
        }
    }
    let cpu = cpu_s() - c0;
    Ok((
        read as f64 / rate,
        cpu,
        t0.elapsed().as_secs_f64(),
        format!(
            "{} channels searched, {} FCCH hits tried, {} confirmed by SCH",
            offsets.len(),
            tried,
            synced
        ),
    ))
}

/// The real pipeline (source thread → analysis thread) over a file, as `towerwatch decode`.
/// Returns the measurement and (cells synchronised, stream time of the last cell's first BSIC).
fn decode(
    input: &Path,
    seconds: f64,
    carrier_hz: Option<f64>,
    threads: usize,
) -> Result<(Measured, (usize, Option<f64>))> {
    let (c0, t0) = (cpu_s(), Instant::now());
    let src = open_file(input, &FileOptions::default())?;
    let rate = src.info().sample_rate_sps;
    let cfg = PipelineConfig {
        max_samples: Some((seconds * rate).round() as u64),
        ..PipelineConfig::default()
    };
    let spectrum = SpectrumStageConfig {
        interval_s: 1.0,
        ..SpectrumStageConfig::default()
    };
    let gsm = GsmStageConfig {
        fixed_carriers_hz: carrier_hz.into_iter().collect(),
        max_carriers: 128,
        threads,
        ..GsmStageConfig::default()
    };
    let p = Pipeline::start(
        src,
        &cfg,
        spectrum,
        Some(gsm),
        Arc::new(AtomicBool::new(false)),
    )?;
    let mut cells = std::collections::BTreeSet::new();
    let mut last_new = 0.0f64;
    let mut frames = 0u64;
    let mut samples = 0u64;
    for ev in p.events.iter() {
        match ev {
            Event::Progress(n) => samples = n,
            Event::Observation(o) => match *o {
                crate::observation::Observation::Sync(s) if cells.insert((s.arfcn, s.bsic)) => {
                    last_new = last_new.max(s.time_s);
                }
                crate::observation::Observation::SystemInfo(_)
                | crate::observation::Observation::Ccch(_) => frames += 1,
                _ => {}
            },
        }
    }
    p.finish()?;
    let n = cells.len();
    Ok((
        (
            samples as f64 / rate,
            cpu_s() - c0,
            t0.elapsed().as_secs_f64(),
            format!("{n} cells synchronised, {frames} frames"),
        ),
        (n, (n > 0).then_some(last_new)),
    ))
}
