//! The terminal dashboard (ratatui): what a field team watches for hours.
//!
//! - [`state`]: [`DashboardState`], folded from observations and alerts; bounded.
//! - [`render`]: one pure function per pane, drawing from `&DashboardState`
//!   (`impl Widget for &DashboardState`).
//! - [`keys`]: key handling, as a pure function on the state that returns what the loop must do.
//! - [`run`]: the live loop. The UI thread reads the pipeline's events (all that are waiting,
//!   within a time budget, so it coalesces when behind and never holds the pipeline up), draws at
//!   most [`MAX_FPS`] times a second, and restores the terminal on exit, error or panic.

pub mod keys;
pub mod render;
pub mod state;

pub use crate::alert::Alert;
pub use keys::{Action, handle_key};
pub use state::{DashboardState, Playback, SourceSummary};

use crate::monitor::Monitor;
use crate::pipeline::{Event, Pace, Pipeline};
use crossbeam_channel::TryRecvError;
use ratatui::crossterm::event::{self, Event as TermEvent, KeyEventKind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// At most this many frames a second.
pub const MAX_FPS: u32 = 20;

/// Replay speeds `+`/`-` step through.
pub const SPEEDS: [f64; 10] = [0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

/// How often the loop checks that its terminal is still there.
const TTY_CHECK: Duration = Duration::from_millis(250);

/// Whether the dashboard's terminal is still usable: after a hang-up (the emulator or tmux
/// session gone, a pty whose master is closed) the terminal calls on it fail, so neither input
/// nor output is a terminal any more.
/// `watch`: which of (stdin, stdout) were terminals when the dashboard started.
fn terminal_alive(watch: (bool, bool)) -> bool {
    use std::io::IsTerminal;
    (!watch.0 || std::io::stdin().is_terminal()) && (!watch.1 || std::io::stdout().is_terminal())
}

fn terminals_now() -> (bool, bool) {
    use std::io::IsTerminal;
    (
        std::io::stdin().is_terminal(),
        std::io::stdout().is_terminal(),
    )
}

/// What the live loop needs besides the pipeline.
pub struct TuiOptions {
    /// Header information.
    pub source: SourceSummary,
    /// Pause/speed control of a paced replay (`None`: unpaced or live).
    pub pace: Option<Arc<Pace>>,
    /// The pipeline's stop flag (set on quit).
    pub stop: Arc<AtomicBool>,
    /// Where `e` writes evidence files.
    pub export_dir: PathBuf,
    /// Baseline file that `m` marks are saved to (`None`: marks last for this session).
    pub baseline_path: Option<PathBuf>,
    /// Recording tap of a live source (the pipeline's `record_tap`): `r` arms and disarms it.
    pub record: Option<Arc<crate::pipeline::record::RecordTap>>,
}

/// The header's GPS field from a position status: `52.52010,13.40500 3D` or `LOST (reason)`.
pub fn gps_text(p: &crate::gps::PositionStatus) -> String {
    use crate::gps::{FixQuality, PositionStatus};
    match p {
        PositionStatus::Fix { fix, .. } => format!(
            "{:.5},{:.5} {}",
            fix.lat_deg,
            fix.lon_deg,
            match fix.quality {
                FixQuality::NoFix => "NOFIX",
                FixQuality::Fix2d => "2D",
                FixQuality::Fix3d => "3D",
                FixQuality::Fixed => "FIXED",
            }
        ),
        PositionStatus::Lost { reason, .. } => format!("LOST ({reason})"),
    }
}

/// True when colour is off (`NO_COLOR` set and not empty, per no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Restores the terminal when dropped (normal exit and `?` errors; ratatui's panic hook covers
/// panics).
struct RestoreGuard;

impl Drop for RestoreGuard {
    fn drop(&mut self) {
        // Not `ratatui::restore`: it prints its failure, and printing to a terminal that is gone
        // fails in turn. There is nothing to restore on a terminal that is gone.
        let _ = ratatui::try_restore();
    }
}

/// Run the dashboard over a started pipeline until the user quits. Every observation goes
/// through the `monitor` (detection engine, evidence recorder, position) and its alerts to the
/// alert feed; `m` marks go into the engine's baseline (and its file); `e` exports a bundle from
/// the monitor's recorder (whose IQ ring must be one of the pipeline's taps), or the alert's JSON
/// alone without one. Returns the exit code.
pub fn run(pipeline: Pipeline, opts: TuiOptions, mut monitor: Monitor) -> anyhow::Result<u8> {
    let playback = match &opts.pace {
        Some(p) => Playback::Running(p.speed()),
        None => Playback::Unpaced,
    };
    let mut state = DashboardState::new(opts.source.clone(), playback);
    state.view.no_color = no_color();
    let guard = RestoreGuard;
    let mut terminal = ratatui::try_init()?;
    let frame = Duration::from_secs(1) / MAX_FPS;
    let mut last_draw: Option<Instant> = None;
    let mut speed_mark = (Instant::now(), 0u64);
    let mut dirty = true;
    let mut ended = false;
    // Left because of SIGINT/SIGTERM/SIGHUP or a lost terminal, not the user's `q`.
    let mut interrupted = false;
    let watch = terminals_now();
    let result: anyhow::Result<()> = (|| {
        let mut tty_checked = Instant::now();
        // Keys are read on their own thread: crossterm's reader loops without end on a terminal
        // that reads EOF (its emulator gone), so the loop must never sit inside it; this loop
        // notices the loss (SIGHUP's stop flag, or the terminal check) and leaves.
        let (key_tx, keys) = crossbeam_channel::bounded::<std::io::Result<TermEvent>>(64);
        std::thread::Builder::new()
            .name("tui-keys".into())
            .spawn(move || {
                loop {
                    let ev = event::read();
                    let end = ev.is_err();
                    if key_tx.send(ev).is_err() || end {
                        break;
                    }
                }
            })?;
        loop {
            // SIGTERM / SIGHUP (terminal gone) set the stop flag: leave, restoring the terminal.
            if opts.stop.load(Ordering::SeqCst) {
                interrupted = true;
                return Ok(());
            }
            // A terminal that went away without a SIGHUP reaching us (emulator killed, pty master
            // closed) reads as endless EOF: notice it (a few times a second) and leave.
            if tty_checked.elapsed() >= TTY_CHECK {
                tty_checked = Instant::now();
                if !terminal_alive(watch) {
                    interrupted = true;
                    return Ok(());
                }
            }
            // Take everything waiting (within a budget): drawing is what gets skipped when behind.
            let t0 = Instant::now();
            while !ended && t0.elapsed() < frame {
                match pipeline.events.try_recv() {
                    Ok(Event::Observation(o)) => {
                        state.apply(&o);
                        let step = monitor.feed(&o);
                        for a in step.alerts {
                            state.push_alert(a);
                        }
                        // Automatic bundles (--evidence-dir): written once their post-trigger
                        // seconds have passed.
                        if let Some(m) = bundles_message(step.bundles) {
                            state.view.message = Some(m);
                        }
                        dirty = true;
                    }
                    Ok(Event::Progress(n)) => {
                        state.samples_done = n;
                        // The speed achieved, over about a second of wall time.
                        let (t, at) = speed_mark;
                        let wall_s = t.elapsed().as_secs_f64();
                        if wall_s >= 1.0 {
                            state.achieved_speed = (state.source.sample_rate_sps > 0.0
                                && matches!(
                                    state.playback,
                                    Playback::Running(_) | Playback::Unpaced
                                ))
                            .then(|| {
                                n.saturating_sub(at) as f64 / state.source.sample_rate_sps / wall_s
                            });
                            speed_mark = (Instant::now(), n);
                        }
                        dirty = true;
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        ended = true;
                        state.playback = Playback::Ended;
                        dirty = true;
                    }
                }
            }
            let dropped = pipeline
                .counters
                .blocks_dropped
                .load(std::sync::atomic::Ordering::Relaxed);
            if dropped != state.blocks_dropped {
                state.blocks_dropped = dropped;
                dirty = true;
            }
            if let Some(r) = &opts.record {
                let secs = r.recorded_s();
                if secs != state.recording_s {
                    state.recording_s = secs;
                    dirty = true;
                }
                if let Some(done) = r.take_finished() {
                    state.view.message = Some(recorded_message(done, state.source.sample_rate_sps));
                    dirty = true;
                }
            }
            if let Some(g) = monitor.gps() {
                let fix = Some(gps_text(&g.at(Some(state.stream_time_s()))));
                if fix != state.gps_fix {
                    state.gps_fix = fix;
                    dirty = true;
                }
            }
            let due = last_draw.is_none_or(|t| t.elapsed() >= frame);
            if dirty && due {
                terminal.draw(|f| f.render_widget(&state, f.area()))?;
                last_draw = Some(Instant::now());
                dirty = false;
            }
            let wait = last_draw
                .map_or(frame, |t| frame.saturating_sub(t.elapsed()))
                .max(Duration::from_millis(5));
            let ev = match keys.recv_timeout(wait) {
                Ok(Ok(ev)) => ev,
                // The terminal's input failed or ended: nothing can reach us any more.
                Ok(Err(_)) | Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                    interrupted = true;
                    return Ok(());
                }
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => continue,
            };
            match ev {
                TermEvent::Key(k) if k.kind != KeyEventKind::Release => {
                    dirty = true;
                    match handle_key(&mut state, k) {
                        Action::None => {}
                        Action::Quit => return Ok(()),
                        Action::TogglePause => toggle_pause(&mut state, opts.pace.as_deref()),
                        Action::Speed(step) => change_speed(&mut state, opts.pace.as_deref(), step),
                        Action::Export => export(&mut state, &monitor, &opts.export_dir),
                        Action::Mark => apply_mark(
                            &mut state,
                            monitor.engine_mut(),
                            opts.baseline_path.as_deref(),
                        ),
                        Action::Record => {
                            toggle_record(&mut state, opts.record.as_deref(), &opts.export_dir)
                        }
                    }
                }
                TermEvent::Resize(..) => dirty = true,
                _ => {}
            }
        }
    })();
    // Stop the source, let the pipeline wind down, then give the terminal back.
    opts.stop.store(true, Ordering::SeqCst);
    if let Some(p) = &opts.pace {
        p.set_paused(false);
    }
    let report = pipeline.finish();
    if !terminal_alive(watch) {
        // The terminal is gone: dropping the Terminal would try to show the cursor on it and
        // print (to the same dead terminal) that it could not.
        std::mem::forget(terminal);
    }
    drop(guard);
    // A recording still on is finished (hashed) with everything the pipeline delivered.
    if let Some(r) = &opts.record
        && r.disarm(true)
        && let Some(done) = r.take_finished()
    {
        eprintln!(
            "towerwatch: {}",
            recorded_message(done, opts.source.sample_rate_sps)
        );
    }
    // Bundles still waiting for their post-trigger seconds are written with the IQ there is.
    match monitor.finish().bundles {
        Ok(b) => {
            for b in b {
                eprintln!(
                    "towerwatch: evidence bundle for alert {}: {}",
                    b.alert_id,
                    b.dir.display()
                );
            }
        }
        Err(e) => eprintln!("towerwatch: evidence bundle failed: {e}"),
    }
    result?;
    report?;
    Ok(if interrupted {
        crate::exit::EXIT_INTERRUPTED
    } else {
        0
    })
}

/// `r`: start or stop recording a live source into `dir`.
fn toggle_record(
    state: &mut DashboardState,
    tap: Option<&crate::pipeline::record::RecordTap>,
    dir: &std::path::Path,
) {
    let Some(tap) = tap.filter(|_| state.source.live) else {
        state.view.message = Some(if state.source.live {
            "a band scan retunes the receiver: record with `towerwatch record`".into()
        } else {
            "r records a live receiver; this is a replay".into()
        });
        return;
    };
    if tap.disarm(false) {
        state.recording_s = None;
        state.view.message = Some("recording stopped; writing its hash…".into());
        return;
    }
    let base = dir.join(crate::pipeline::record::utc_stem());
    state.view.message = Some(match tap.arm(&base, state.source.center_freq_hz) {
        Ok(p) => {
            state.recording_s = Some(0.0);
            format!("recording to {} (r stops)", p.display())
        }
        Err(e) => format!("cannot record: {e}"),
    });
}

fn recorded_message(r: Result<crate::pipeline::record::Finished, String>, rate_sps: f64) -> String {
    match r {
        Ok(f) => format!(
            "recorded {:.1} s to {} (sha512 {}…)",
            f.samples as f64 / rate_sps.max(1.0),
            f.meta_path.display(),
            f.sha512.get(..16).unwrap_or_default()
        ),
        Err(e) => e,
    }
}

/// The footer's word on automatic bundles (`None`: none written, nothing to say).
fn bundles_message(
    r: Result<Vec<crate::evidence::Bundle>, crate::evidence::EvidenceError>,
) -> Option<String> {
    match r {
        Ok(b) if b.is_empty() => None,
        Ok(b) => Some(
            b.iter()
                .map(|b| format!("alert {} bundled: {}", b.alert_id, b.dir.display()))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(e) => Some(format!("evidence bundle failed: {e}")),
    }
}

fn toggle_pause(state: &mut DashboardState, pace: Option<&Pace>) {
    let Some(p) = pace else {
        state.view.message = Some(match state.playback {
            Playback::Ended => "the replay has ended".into(),
            _ => "pause needs a paced replay (replay --tui --realtime, or demo)".into(),
        });
        return;
    };
    match state.playback {
        Playback::Running(x) => {
            p.set_paused(true);
            state.playback = Playback::Paused(x);
        }
        Playback::Paused(x) => {
            p.set_paused(false);
            state.playback = Playback::Running(x);
        }
        Playback::Unpaced | Playback::Ended => {}
    }
}

fn change_speed(state: &mut DashboardState, pace: Option<&Pace>, step: i8) {
    let Some(p) = pace else {
        state.view.message =
            Some("speed needs a paced replay (replay --tui --realtime, or demo)".into());
        return;
    };
    let now = p.speed();
    let i = SPEEDS
        .iter()
        .position(|s| *s >= now)
        .unwrap_or(SPEEDS.len() - 1) as i64;
    let j = (i + i64::from(step)).clamp(0, SPEEDS.len() as i64 - 1) as usize;
    let new = SPEEDS[j];
    p.set_speed(new);
    state.playback = match state.playback {
        Playback::Paused(_) => Playback::Paused(new),
        Playback::Running(_) => Playback::Running(new),
        other => other,
    };
    state.view.message = Some(format!("speed {new}× real time"));
}

/// Put the selected cell's mark into the engine's baseline (good / suspect / back to
/// unverified), so the detectors use it at once, and save the baseline file when there is one.
pub fn apply_mark(
    state: &mut DashboardState,
    engine: Option<&mut crate::alert::Engine>,
    path: Option<&std::path::Path>,
) {
    use crate::cells::baseline::CellStatus;
    let Some(row) = state.selected_cell() else {
        return;
    };
    let status = match row.mark {
        state::UserMark::None => CellStatus::Unverified,
        state::UserMark::Good => CellStatus::Good,
        state::UserMark::Suspect => CellStatus::Suspect,
    };
    let label = row.state_label();
    if let Some(l) = &row.lte {
        let id = l.id;
        let Some(engine) = engine else {
            state.view.message = Some(format!("{id} marked {label} (detection is off)"));
            return;
        };
        let n = engine.registry.baseline.mark_lte(id, status);
        state.view.message = Some(match path {
            Some(p) if n > 0 => match engine.registry.baseline.save(p) {
                Ok(()) => format!("{id} marked {label}, saved to {}", p.display()),
                Err(e) => format!("{id} marked {label} for this session; saving failed: {e}"),
            },
            _ if n == 0 => {
                format!("{id} marked {label} (not in the baseline's LTE rows: shown, not stored)")
            }
            _ => {
                format!("{id} marked {label} for this session (pass --baseline FILE to keep marks)")
            }
        });
        return;
    }
    let (Some(lai), Some(ci)) = (row.summary.lai, row.summary.cell_identity) else {
        state.view.message = Some(format!(
            "ARFCN {}: no cell identity decoded yet (SI3/SI4): the mark is shown, not stored",
            row.arfcn
        ));
        return;
    };
    let cgi = crate::cells::Cgi::new(&lai, ci);
    let Some(engine) = engine else {
        state.view.message = Some(format!("{cgi} marked {label} (detection is off)"));
        return;
    };
    engine.registry.baseline.mark(cgi, status);
    state.view.message = Some(match path {
        Some(p) => match engine.registry.baseline.save(p) {
            Ok(()) => format!("{cgi} marked {label}, saved to {}", p.display()),
            Err(e) => format!("{cgi} marked {label} for this session; saving failed: {e}"),
        },
        None => {
            format!("{cgi} marked {label} for this session (pass --baseline FILE to keep marks)")
        }
    });
}

/// Export the selected alert: an evidence bundle (IQ clip, frames, cells, spectrum, track,
/// manifest) into `dir` when there is a recorder and a detection engine, else its JSON alone.
fn export(state: &mut DashboardState, monitor: &Monitor, dir: &std::path::Path) {
    let Some(a) = state.selected_alert() else {
        state.view.message = Some("no alert to export".into());
        return;
    };
    if let (Some(r), Some(reg)) = (monitor.recorder(), monitor.registry()) {
        state.view.message = Some(match crate::evidence::export_alert(r, reg, a.id, dir) {
            Ok(b) => format!(
                "evidence bundle: {} ({:.1} s of IQ, {:.1} MB)",
                b.dir.display(),
                b.clip_s,
                b.bytes as f64 / 1e6
            ),
            Err(err) => format!("evidence export failed: {err}"),
        });
        return;
    }
    let name = match a.cell.lte {
        Some(id) => format!(
            "towerwatch-alert{}-lte-earfcn{}-pci{}.json",
            a.id, id.earfcn, id.pci
        ),
        None => format!(
            "towerwatch-alert{}-{}-arfcn{}.json",
            a.id, a.cell.band, a.cell.arfcn
        ),
    };
    let path = dir.join(name);
    let msg = match serde_json::to_vec_pretty(a)
        .map_err(std::io::Error::other)
        .and_then(|v| crate::source::sigmf::write_private(&path, &v))
    {
        Ok(()) => format!("alert JSON written to {}", path.display()),
        Err(e) => format!("export failed: {}: {e}", path.display()),
    };
    state.view.message = Some(msg);
}

/// How `replay --tui` and `demo --tui` start the dashboard.
pub struct Launch {
    /// Stop after this many samples.
    pub max_samples: Option<u64>,
    /// Pace a file at `speed` × real time (space and +/- work only when paced).
    pub paced: bool,
    /// Initial speed.
    pub speed: f64,
    /// Seconds of signal per spectrum (one waterfall row each).
    pub interval_s: f64,
    /// GSM decoding (`None`: spectrum only).
    pub gsm: Option<crate::pipeline::gsm::GsmStageConfig>,
    /// LTE decoding (`None`: not run): LTE cells then share the cell table.
    pub lte: Option<crate::pipeline::lte::LteStageConfig>,
    /// Stop flag (Ctrl-C / SIGTERM handler).
    pub stop: Arc<AtomicBool>,
    /// Detection engine (`None`: observations only).
    pub engine: Option<crate::alert::Engine>,
    /// Baseline file that `m` marks are saved to.
    pub baseline_path: Option<PathBuf>,
    /// Evidence settings: where `e` writes bundles (and, with `auto_severity`, automatic ones).
    /// `None`: bundles go to the working directory, on request only.
    pub evidence: Option<crate::evidence::EvidenceConfig>,
    /// Position source for the header and the evidence track.
    pub gps: Option<crate::gps::PositionProvider>,
    /// Fleet sensor (`--mqtt`): alert events and cells go to the broker as well.
    pub fleet: Option<crate::fleet::publish::Sensor>,
}

/// Start the pipeline on `src` and run the dashboard over it.
pub fn launch(src: Box<dyn crate::source::SampleSource>, l: Launch) -> anyhow::Result<u8> {
    use crate::pipeline::{PipelineConfig, SpectrumStageConfig};
    let (tty_in, tty_out) = terminals_now();
    if !tty_out {
        anyhow::bail!(
            "the dashboard (--tui) needs a terminal: standard output is not one (use --json or \
             --text for files and pipes)"
        );
    }
    if !tty_in && std::fs::File::open("/dev/tty").is_err() {
        anyhow::bail!(
            "the dashboard (--tui) needs a terminal for its keys: standard input is not one and \
             there is no /dev/tty"
        );
    }
    let info = src.info().clone();
    let paced = l.paced && !info.live;
    let pace = paced.then(|| Arc::new(Pace::new(l.speed)));
    // Evidence needs the detectors (bundles are per alert).
    let recorder = l.engine.as_ref().map(|_| {
        let cfg = l.evidence.clone().unwrap_or_else(|| {
            let mut c = crate::evidence::EvidenceConfig::new(PathBuf::from("."));
            c.auto_severity = None;
            c
        });
        crate::evidence::Recorder::new(cfg, &info)
    });
    let export_dir = l
        .evidence
        .as_ref()
        .map_or_else(|| PathBuf::from("."), |c| c.out_dir.clone());
    // `r` records a live source in its own sample encoding (as `towerwatch record` would).
    let record = info.live.then(|| {
        let mut m = crate::source::sigmf::WriterMeta::new(
            crate::evidence::clip_format(&info),
            info.sample_rate_sps,
            info.center_freq_hz,
        );
        m.hw = info
            .hardware
            .clone()
            .or_else(|| Some(info.description.clone()));
        m.description = Some("recorded from the Towerwatch dashboard (r)".into());
        Arc::new(crate::pipeline::record::RecordTap::new(m))
    });
    let cfg = PipelineConfig {
        realtime: paced,
        speed: l.speed,
        max_samples: l.max_samples,
        pace: pace.clone(),
        taps: recorder
            .as_ref()
            .map(|r| r.ring() as Arc<dyn crate::pipeline::BlockTap>)
            .into_iter()
            .chain(
                record
                    .clone()
                    .map(|r| r as Arc<dyn crate::pipeline::BlockTap>),
            )
            .collect(),
        lte: l.lte,
        ..PipelineConfig::default()
    };
    let spec = SpectrumStageConfig {
        interval_s: l.interval_s,
        include_psd: true,
        ..SpectrumStageConfig::default()
    };
    let pipeline = Pipeline::start(src, &cfg, spec, l.gsm, l.stop.clone())?;
    let source = SourceSummary {
        description: info.description.clone(),
        live: info.live,
        sample_rate_sps: info.sample_rate_sps,
        center_freq_hz: info.center_freq_hz,
        total_samples: l.max_samples.or(info.total_samples),
    };
    let opts = TuiOptions {
        source,
        pace,
        stop: l.stop,
        export_dir,
        baseline_path: l.baseline_path,
        record,
    };
    if let Some(f) = &l.fleet {
        f.quiet();
    }
    run(
        pipeline,
        opts,
        Monitor::new(l.engine, recorder, l.gps).with_fleet(l.fleet),
    )
}
