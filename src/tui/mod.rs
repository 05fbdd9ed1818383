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
        ratatui::restore();
    }
}

/// Run the dashboard over a started pipeline until the user quits. Every observation goes
/// through the detection `engine` (when given) and its alerts to the alert feed; `m` marks go
/// into the engine's baseline (and its file). Returns the exit code.
pub fn run(
    pipeline: Pipeline,
    opts: TuiOptions,
    mut engine: Option<crate::alert::Engine>,
) -> anyhow::Result<u8> {
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
    let mut dirty = true;
    let mut ended = false;
    let mut raised = Vec::new();
    let result: anyhow::Result<()> = (|| {
        loop {
            // SIGTERM / SIGHUP (terminal gone) set the stop flag: leave, restoring the terminal.
            if opts.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            // Take everything waiting (within a budget): drawing is what gets skipped when behind.
            let t0 = Instant::now();
            while !ended && t0.elapsed() < frame {
                match pipeline.events.try_recv() {
                    Ok(Event::Observation(o)) => {
                        state.apply(&o);
                        if let Some(e) = engine.as_mut() {
                            raised.extend(e.observe(&o));
                        }
                        for a in raised.drain(..) {
                            state.push_alert(a);
                        }
                        dirty = true;
                    }
                    Ok(Event::Progress(n)) => {
                        state.samples_done = n;
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
            let due = last_draw.is_none_or(|t| t.elapsed() >= frame);
            if dirty && due {
                terminal.draw(|f| f.render_widget(&state, f.area()))?;
                last_draw = Some(Instant::now());
                dirty = false;
            }
            let wait = last_draw
                .map_or(frame, |t| frame.saturating_sub(t.elapsed()))
                .max(Duration::from_millis(5));
            if !event::poll(wait)? {
                continue;
            }
            match event::read()? {
                TermEvent::Key(k) if k.kind != KeyEventKind::Release => {
                    dirty = true;
                    match handle_key(&mut state, k) {
                        Action::None => {}
                        Action::Quit => return Ok(()),
                        Action::TogglePause => toggle_pause(&mut state, opts.pace.as_deref()),
                        Action::Speed(step) => change_speed(&mut state, opts.pace.as_deref(), step),
                        Action::Export => export(&mut state, &opts.export_dir),
                        Action::Mark => {
                            apply_mark(&mut state, engine.as_mut(), opts.baseline_path.as_deref())
                        }
                        Action::Record => {
                            state.view.message = Some(if state.source.live {
                                "recording from the dashboard is not wired yet: use `towerwatch record`".into()
                            } else {
                                "r records a live receiver; this is a replay".into()
                            });
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
    drop(guard);
    result?;
    report?;
    Ok(0)
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
    let (Some(lai), Some(ci)) = (row.summary.lai, row.summary.cell_identity) else {
        state.view.message = Some(format!(
            "ARFCN {}: no cell identity decoded yet (SI3/SI4): the mark is shown, not stored",
            row.arfcn
        ));
        return;
    };
    let cgi = crate::cells::Cgi::new(&lai, ci);
    let status = match row.mark {
        state::UserMark::None => CellStatus::Unverified,
        state::UserMark::Good => CellStatus::Good,
        state::UserMark::Suspect => CellStatus::Suspect,
    };
    let label = row.state_label();
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

/// Write the selected alert (reason, details, evidence) as JSON into `dir`.
fn export(state: &mut DashboardState, dir: &std::path::Path) {
    let Some(a) = state.selected_alert() else {
        state.view.message = Some("no alert to export".into());
        return;
    };
    let name = format!(
        "towerwatch-alert{}-{}-arfcn{}.json",
        a.id, a.cell.band, a.cell.arfcn
    );
    let path = dir.join(name);
    let msg = match serde_json::to_vec_pretty(a)
        .map_err(std::io::Error::other)
        .and_then(|v| std::fs::write(&path, v))
    {
        Ok(()) => format!("evidence written to {}", path.display()),
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
    /// Stop flag (Ctrl-C / SIGTERM handler).
    pub stop: Arc<AtomicBool>,
    /// Detection engine (`None`: observations only).
    pub engine: Option<crate::alert::Engine>,
    /// Baseline file that `m` marks are saved to.
    pub baseline_path: Option<PathBuf>,
}

/// Start the pipeline on `src` and run the dashboard over it.
pub fn launch(src: Box<dyn crate::source::SampleSource>, l: Launch) -> anyhow::Result<u8> {
    use crate::pipeline::{PipelineConfig, SpectrumStageConfig};
    let info = src.info().clone();
    let paced = l.paced && !info.live;
    let pace = paced.then(|| Arc::new(Pace::new(l.speed)));
    let cfg = PipelineConfig {
        realtime: paced,
        speed: l.speed,
        max_samples: l.max_samples,
        pace: pace.clone(),
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
        export_dir: PathBuf::from("."),
        baseline_path: l.baseline_path,
    };
    run(pipeline, opts, l.engine)
}
