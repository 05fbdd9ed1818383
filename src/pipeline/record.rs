//! Recording tap: the dashboard's `r` key. The analysis thread hands every block to the tap
//! ([`RecordTap::push`]); while it is armed the tap appends the block to a SigMF recording
//! (crash-safe [`SigmfWriter`], files 0600, metadata checkpointed every few seconds). The UI
//! thread only arms and disarms it: it never writes samples. Disarming hands the writer to a
//! short-lived thread that flushes it and writes `core:sha512`; its result is picked up with
//! [`RecordTap::take_finished`].

use crate::source::SourceError;
use crate::source::sigmf::{Annotation, SigmfWriter, WriterMeta};
use num_complex::Complex32;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Seconds (wall clock) between metadata checkpoints of a running recording.
pub const CHECKPOINT_S: u64 = 5;

/// A finished recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// The metadata file.
    pub meta_path: PathBuf,
    /// Samples written.
    pub samples: u64,
    /// `core:sha512` of the data file.
    pub sha512: String,
}

struct Active {
    writer: SigmfWriter,
    /// Stream index the next block should start at (a later start means dropped blocks).
    next_sample: Option<u64>,
    frequency_hz: f64,
    last_checkpoint: Instant,
}

#[derive(Default)]
struct Inner {
    active: Option<Active>,
    /// Result of the last recording (finished, or stopped by a write error).
    done: Option<Result<Finished, String>>,
}

/// The recording tap shared by the analysis thread and the UI.
pub struct RecordTap {
    template: WriterMeta,
    rate_sps: f64,
    armed: AtomicBool,
    samples: AtomicU64,
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for RecordTap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordTap")
            .field("rate_sps", &self.rate_sps)
            .field("armed", &self.armed.load(Ordering::Relaxed))
            .field("samples", &self.samples.load(Ordering::Relaxed))
            .finish()
    }
}

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    // The writer's state stays consistent across a panic elsewhere: keep using it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `towerwatch-<UTC now>` (e.g. `towerwatch-20261128T011200Z`).
pub fn utc_stem() -> String {
    let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let stamp: String = now
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(15)
        .collect();
    format!("towerwatch-{stamp}Z")
}

/// After a write error: keep what reached the disk as a valid, hashed pair and say so in one
/// line naming the file and the cause.
fn salvage(writer: SigmfWriter, e: &SourceError) -> String {
    let path = writer.paths().0.display().to_string();
    let rate = writer.sample_rate_sps();
    let cause = e.to_string();
    match writer.salvage(&cause) {
        Ok(s) => format!(
            "recording stopped: {cause}; the {} samples ({:.3} s) on disk are kept as a verifiable \
             pair {path}",
            s.samples,
            s.samples as f64 / rate.max(1.0)
        ),
        Err(e2) => format!("recording stopped: {cause}; {path} could not be finished either: {e2}"),
    }
}

impl RecordTap {
    /// A disarmed tap; every recording gets `template`'s metadata (encoding, rate, hardware),
    /// with the time it starts and the frequency it starts at.
    pub fn new(template: WriterMeta) -> RecordTap {
        RecordTap {
            rate_sps: template.sample_rate_sps,
            template,
            armed: AtomicBool::new(false),
            samples: AtomicU64::new(0),
            inner: Arc::new(Mutex::new(Inner::default())),
        }
    }

    /// Recording now?
    pub fn is_armed(&self) -> bool {
        self.armed.load(Ordering::Acquire)
    }

    /// Seconds recorded so far while armed (`None` when not recording).
    pub fn recorded_s(&self) -> Option<f64> {
        self.is_armed()
            .then(|| self.samples.load(Ordering::Relaxed) as f64 / self.rate_sps.max(1.0))
    }

    /// Start recording into `BASE.sigmf-meta`/`BASE.sigmf-data` (created 0600; the metadata is
    /// written at once, so even a crash leaves a readable pair), the first capture at
    /// `frequency_hz`, `core:datetime` now. Returns the metadata path.
    pub fn arm(&self, base: &Path, frequency_hz: f64) -> Result<PathBuf, SourceError> {
        let mut g = lock(&self.inner);
        if g.active.is_some() {
            return Err(SourceError::Unsupported("already recording".into()));
        }
        let mut meta = self.template.clone();
        meta.frequency_hz = frequency_hz;
        meta.datetime =
            Some(humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string());
        let writer = SigmfWriter::create(base, meta)?;
        let path = writer.paths().0.to_path_buf();
        g.active = Some(Active {
            writer,
            next_sample: None,
            frequency_hz,
            last_checkpoint: Instant::now(),
        });
        g.done = None;
        self.samples.store(0, Ordering::Relaxed);
        self.armed.store(true, Ordering::Release);
        Ok(path)
    }

    /// Append a block (analysis thread). Does nothing unless armed. A retune starts a new capture
    /// segment; blocks dropped upstream leave a `gap` annotation. A write error stops the
    /// recording (the pair is finished as far as it got) and is reported by `take_finished`.
    pub fn push(&self, first_sample: u64, frequency_hz: f64, samples: &[Complex32]) {
        if !self.is_armed() || samples.is_empty() {
            return;
        }
        let mut g = lock(&self.inner);
        let Some(a) = g.active.as_mut() else {
            return;
        };
        if let Some(next) = a.next_sample
            && first_sample > next
        {
            a.writer.add_annotation(Annotation {
                sample_start: a.writer.samples_written(),
                sample_count: Some(0),
                label: Some("gap".into()),
                comment: Some(format!(
                    "{} samples dropped here (the analysis fell behind the receiver)",
                    first_sample - next
                )),
                ..Annotation::default()
            });
        }
        if frequency_hz.to_bits() != a.frequency_hz.to_bits() {
            a.writer.new_segment(frequency_hz);
            a.frequency_hz = frequency_hz;
        }
        a.next_sample = Some(first_sample + samples.len() as u64);
        let mut res = a.writer.write(samples);
        if res.is_ok() && a.last_checkpoint.elapsed() >= Duration::from_secs(CHECKPOINT_S) {
            res = a.writer.checkpoint();
            a.last_checkpoint = Instant::now();
        }
        self.samples
            .store(a.writer.samples_written(), Ordering::Relaxed);
        if let Err(e) = res {
            self.armed.store(false, Ordering::Release);
            if let Some(a) = g.active.take() {
                drop(g);
                // Salvaging reads the whole data file back to hash it: not under the lock the
                // UI takes, and not on the analysis thread.
                let inner = self.inner.clone();
                let writer = a.writer;
                self.run_finish(
                    move || {
                        let r = Err(salvage(writer, &e));
                        lock(&inner).done = Some(r);
                    },
                    false,
                );
            }
        }
    }

    /// Run `finish` (which stores the result in `done`) on a short-lived thread, or here when
    /// `wait` is set or no thread can be started.
    fn run_finish(&self, finish: impl FnOnce() + Send + 'static, wait: bool) {
        if wait {
            finish();
            return;
        }
        // `spawn` hands the closure back to nobody on failure, so run it here instead.
        let slot = Arc::new(Mutex::new(Some(finish)));
        let s2 = slot.clone();
        let spawned = std::thread::Builder::new()
            .name("record-finish".into())
            .spawn(move || {
                let f = s2.lock().unwrap_or_else(|e| e.into_inner()).take();
                if let Some(f) = f {
                    f();
                }
            });
        if spawned.is_err() {
            let f = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(f) = f {
                f();
            }
        }
    }

    /// Stop recording. The writer is finished (flush, sync, `core:sha512`) on a thread of its
    /// own; `wait` makes this call wait for it (tests, shutdown). Returns false when not
    /// recording.
    pub fn disarm(&self, wait: bool) -> bool {
        self.armed.store(false, Ordering::Release);
        let Some(a) = lock(&self.inner).active.take() else {
            return false;
        };
        let inner = self.inner.clone();
        let finish = move || {
            let mut writer = a.writer;
            let meta_path = writer.paths().0.to_path_buf();
            let samples = writer.samples_written();
            if let Err(e) = writer.flush() {
                lock(&inner).done = Some(Err(salvage(writer, &e)));
                return;
            }
            let r = writer
                .finish()
                .map(|sha512| Finished {
                    meta_path: meta_path.clone(),
                    samples,
                    sha512,
                })
                .map_err(|e| format!("finishing {}: {e}", meta_path.display()));
            lock(&inner).done = Some(r);
        };
        self.run_finish(finish, wait);
        true
    }

    /// The result of the last recording once it is finished (taken: reported once).
    pub fn take_finished(&self) -> Option<Result<Finished, String>> {
        lock(&self.inner).done.take()
    }
}

impl super::BlockTap for RecordTap {
    fn push(&self, first_sample: u64, frequency_hz: f64, samples: &[Complex32]) {
        RecordTap::push(self, first_sample, frequency_hz, samples);
    }
}
