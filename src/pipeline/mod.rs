//! The streaming pipeline: a source thread feeds fixed-size sample blocks through a bounded
//! crossbeam channel to the analysis stage; analysis emits [`Observation`]s to consumers.
//!
//! - File sources apply back-pressure (the source thread blocks on a full queue) and never drop.
//! - Live sources never block: when the queue is full the whole block is dropped and counted.
//! - Sample buffers circulate between the threads through a recycle channel, so steady state
//!   allocates nothing per block.
//! - A shared stop flag (set by Ctrl-C / SIGTERM) ends the source at the next block boundary;
//!   everything read so far is still analysed and reported.

pub mod gsm;
pub mod lte;
pub mod lte_scan;
pub mod record;
pub mod scan;

use crate::observation::{Observation, spectrum_obs};
use crate::source::{SampleSource, SourceError, SourceInfo, SourceStats};
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use num_complex::Complex32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use towerwatch_dsp::spectrum::{Welch, WelchConfig};

/// A block of samples with its place in the stream.
#[derive(Debug)]
pub struct Block {
    /// The samples (length ≤ the configured block length).
    pub samples: Vec<Complex32>,
    /// Stream index of the first sample (counting dropped samples too, so time stays true).
    pub first_sample: u64,
    /// Centre frequency of these samples.
    pub frequency_hz: f64,
}

/// Pipeline settings.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Samples per block.
    pub block_len: usize,
    /// Blocks the queue holds before back-pressure (files) or drops (live).
    pub queue_blocks: usize,
    /// Pace a file source at its sample rate (as if live).
    pub realtime: bool,
    /// Speed factor for real-time pacing (1.0 = real time).
    pub speed: f64,
    /// Stop after this many samples.
    pub max_samples: Option<u64>,
    /// Pause and speed control for a paced (`realtime`) run, shared with a UI; overrides `speed`.
    pub pace: Option<Arc<Pace>>,
    /// Block taps: the analysis thread hands each of them every block it analyses, in order
    /// (the evidence pre-trigger ring, the dashboard's recording tap).
    pub taps: Vec<Arc<dyn BlockTap>>,
    /// Run the LTE stage (cell search, MIB, measurements) beside the spectrum and GSM stages.
    pub lte: Option<lte::LteStageConfig>,
}

/// Something that sees every block the analysis thread analyses, before analysis: the evidence
/// pre-trigger ring (`crate::evidence::IqRing`) and the recording tap ([`record::RecordTap`]).
/// A tap must be quick and must not block: it runs on the analysis thread.
pub trait BlockTap: Send + Sync + std::fmt::Debug {
    /// One block: its first sample's stream index, the centre frequency it was received at, and
    /// its samples.
    fn push(&self, first_sample: u64, frequency_hz: f64, samples: &[Complex32]);
}

/// Pause and speed of a paced run, changed from another thread (the dashboard's space and +/-).
#[derive(Debug)]
pub struct Pace {
    paused: AtomicBool,
    speed_bits: AtomicU64,
}

impl Pace {
    /// Running at `speed` × real time.
    pub fn new(speed: f64) -> Pace {
        Pace {
            paused: AtomicBool::new(false),
            speed_bits: AtomicU64::new(speed.max(1e-3).to_bits()),
        }
    }
    /// Pause or resume.
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Relaxed);
    }
    /// Paused?
    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }
    /// Change the speed factor.
    pub fn set_speed(&self, speed: f64) {
        self.speed_bits
            .store(speed.max(1e-3).to_bits(), Ordering::Relaxed);
    }
    /// The speed factor.
    pub fn speed(&self) -> f64 {
        f64::from_bits(self.speed_bits.load(Ordering::Relaxed))
    }
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            block_len: 1 << 16,
            queue_blocks: 16,
            realtime: false,
            speed: 1.0,
            max_samples: None,
            pace: None,
            taps: Vec::new(),
            lte: None,
        }
    }
}

/// Counters shared between the source thread and readers.
#[derive(Debug, Default)]
pub struct Counters {
    /// Samples read from the source.
    pub samples_read: AtomicU64,
    /// Blocks dropped because the consumer was behind (live sources only).
    pub blocks_dropped: AtomicU64,
    /// Samples in dropped blocks.
    pub samples_dropped: AtomicU64,
    /// Blocks waiting in the source → analysis queue, as the analysis thread last saw it.
    pub queue_depth: AtomicU64,
    /// The largest `queue_depth` seen.
    pub queue_depth_max: AtomicU64,
}

/// What the source thread reports when it ends.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SourceReport {
    /// Samples read.
    pub samples_read: u64,
    /// Blocks dropped (live only).
    pub blocks_dropped: u64,
    /// Samples dropped (live only).
    pub samples_dropped: u64,
    /// Driver-reported losses.
    pub stats: SourceStats,
    /// Ended by the stop flag rather than end of stream.
    pub stopped: bool,
    /// What the LTE stage did, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lte: Option<lte::LteCounters>,
}

/// A running source thread.
pub struct SourceHandle {
    /// Info of the source, taken at start.
    pub info: SourceInfo,
    /// Filled blocks.
    pub blocks: Receiver<Block>,
    /// Return emptied buffers here for reuse.
    pub recycle: Sender<Vec<Complex32>>,
    /// Live counters.
    pub counters: Arc<Counters>,
    join: JoinHandle<Result<SourceReport, SourceError>>,
}

impl SourceHandle {
    /// Wait for the source thread and get its report (or its error).
    pub fn finish(self) -> Result<SourceReport, SourceError> {
        drop(self.blocks);
        self.join
            .join()
            .unwrap_or_else(|_| Err(SourceError::Unsupported("source thread panicked".into())))
    }
}

/// Start the source thread.
pub fn spawn_source(
    mut source: Box<dyn SampleSource>,
    cfg: &PipelineConfig,
    stop: Arc<AtomicBool>,
) -> SourceHandle {
    let info = source.info().clone();
    let (tx, rx) = bounded::<Block>(cfg.queue_blocks.max(1));
    let (recycle_tx, recycle_rx) = bounded::<Vec<Complex32>>(cfg.queue_blocks.max(1) + 4);
    let counters = Arc::new(Counters::default());
    let c = counters.clone();
    let cfg = cfg.clone();
    let join = std::thread::Builder::new()
        .name("source".into())
        .spawn(move || source_loop(source.as_mut(), &cfg, &stop, &tx, &recycle_rx, &c))
        .unwrap_or_else(|e| {
            // Thread creation failing is an OS resource problem; report it through the handle.
            let msg = format!("cannot start source thread: {e}");
            std::thread::spawn(move || Err(SourceError::Unsupported(msg)))
        });
    SourceHandle {
        info,
        blocks: rx,
        recycle: recycle_tx,
        counters,
        join,
    }
}

fn source_loop(
    source: &mut dyn SampleSource,
    cfg: &PipelineConfig,
    stop: &AtomicBool,
    tx: &Sender<Block>,
    recycle: &Receiver<Vec<Complex32>>,
    counters: &Counters,
) -> Result<SourceReport, SourceError> {
    let live = source.info().live;
    let rate = source.info().sample_rate_sps;
    // Pacing anchor: (wall time, stream index, speed); moved on pause and on speed changes.
    let mut anchor = (Instant::now(), 0u64, cfg.speed.max(1e-3));
    let mut index: u64 = 0;
    let mut lost_before = source.stats().samples_lost;
    let mut report = SourceReport::default();
    loop {
        if stop.load(Ordering::Relaxed) {
            report.stopped = true;
            break;
        }
        let mut want = cfg.block_len;
        if let Some(max) = cfg.max_samples {
            let left = max.saturating_sub(index);
            if left == 0 {
                break;
            }
            want = want.min(left as usize);
        }
        let mut buf = recycle.try_recv().unwrap_or_default();
        buf.resize(want, Complex32::new(0.0, 0.0));
        let n = source.read(&mut buf)?;
        if n == 0 {
            break;
        }
        // Samples a live source missed while reopening a lost device: the next block starts
        // that much later in the stream (downstream sees the gap as it sees dropped blocks).
        let lost = source.stats().samples_lost;
        index += lost.saturating_sub(lost_before);
        lost_before = lost;
        buf.truncate(n);
        let block = Block {
            samples: buf,
            first_sample: index,
            frequency_hz: source.frequency_hz(),
        };
        index += n as u64;
        counters.samples_read.fetch_add(n as u64, Ordering::Relaxed);
        if cfg.realtime && rate > 0.0 {
            let mut speed = anchor.2;
            if let Some(p) = &cfg.pace {
                let mut resumed = false;
                while p.paused() && !stop.load(Ordering::Relaxed) {
                    resumed = true;
                    std::thread::sleep(Duration::from_millis(20));
                }
                speed = p.speed();
                if resumed || speed.to_bits() != anchor.2.to_bits() {
                    anchor = (Instant::now(), index - n as u64, speed);
                }
            }
            let due = Duration::from_secs_f64((index - anchor.1) as f64 / (rate * speed));
            if let Some(wait) = due.checked_sub(anchor.0.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        if live {
            match tx.try_send(block) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    counters.blocks_dropped.fetch_add(1, Ordering::Relaxed);
                    counters
                        .samples_dropped
                        .fetch_add(n as u64, Ordering::Relaxed);
                }
                Err(TrySendError::Disconnected(_)) => break,
            }
        } else if tx.send(block).is_err() {
            break; // consumer gone
        }
    }
    report.samples_read = counters.samples_read.load(Ordering::Relaxed);
    report.blocks_dropped = counters.blocks_dropped.load(Ordering::Relaxed);
    report.samples_dropped = counters.samples_dropped.load(Ordering::Relaxed);
    report.stats = source.stats();
    Ok(report)
}

/// Settings of the spectrum stage.
#[derive(Debug, Clone)]
pub struct SpectrumStageConfig {
    /// Welch settings.
    pub welch: WelchConfig,
    /// Seconds of signal per spectrum observation.
    pub interval_s: f64,
    /// Include the PSD bins in each observation.
    pub include_psd: bool,
}

impl Default for SpectrumStageConfig {
    fn default() -> Self {
        SpectrumStageConfig {
            welch: WelchConfig::default(),
            interval_s: 1.0,
            include_psd: false,
        }
    }
}

/// The spectrum stage: averages blocks into one observation per interval (and one per capture
/// segment / retune), emitting the last partial interval at end of stream.
pub struct SpectrumStage {
    cfg: SpectrumStageConfig,
    welch: Welch,
    /// Burst counting on the uplink channels in view (none when the capture holds none).
    uplink: Option<(
        towerwatch_dsp::activity::BurstCounter,
        Vec<towerwatch_dsp::arfcn::Channel>,
    )>,
    rate_sps: f64,
    freq_hz: f64,
    start_index: u64,
    samples: u64,
}

impl SpectrumStage {
    /// A new stage for a stream at `rate_sps`.
    pub fn new(
        cfg: SpectrumStageConfig,
        rate_sps: f64,
    ) -> Result<Self, towerwatch_dsp::spectrum::SpectrumError> {
        let welch = Welch::new(cfg.welch)?;
        Ok(SpectrumStage {
            cfg,
            welch,
            uplink: None,
            rate_sps,
            freq_hz: f64::NAN,
            start_index: 0,
            samples: 0,
        })
    }

    /// Feed a block; push observations to `out`.
    pub fn process(&mut self, block: &Block, out: &mut Vec<Observation>) {
        if self.freq_hz.to_bits() != block.frequency_hz.to_bits()
            || block.first_sample != self.start_index + self.samples
        {
            self.flush(out);
            self.freq_hz = block.frequency_hz;
            self.start_index = block.first_sample;
            self.uplink = uplink_counter(self.freq_hz, self.rate_sps);
        }
        let per_interval = (self.cfg.interval_s * self.rate_sps).max(1.0) as u64;
        let mut rest: &[Complex32] = &block.samples;
        while !rest.is_empty() {
            let room = (per_interval - self.samples).min(rest.len() as u64) as usize;
            self.welch.process(&rest[..room]);
            if let Some((c, _)) = self.uplink.as_mut() {
                c.process(&rest[..room]);
            }
            self.samples += room as u64;
            rest = &rest[room..];
            if self.samples >= per_interval {
                self.flush(out);
            }
        }
    }

    /// Emit what is accumulated (if at least one segment) and reset.
    pub fn flush(&mut self, out: &mut Vec<Observation>) {
        if let Some((c, chans)) = self.uplink.as_mut()
            && self.samples > 0
        {
            let duration_s = self.samples as f64 / self.rate_sps;
            let active = c
                .report()
                .iter()
                .zip(chans.iter())
                .filter(|(a, _)| a.bursts > 0)
                .map(|(a, ch)| crate::observation::UplinkChannelActivity {
                    band: ch.band,
                    arfcn: ch.arfcn,
                    freq_hz: ch.freq_hz,
                    bursts: a.bursts,
                    bursts_per_s: (a.bursts as f64 / duration_s * 100.0).round() / 100.0,
                    active_fraction: (a.active_fraction() * 1000.0).round() / 1000.0,
                    mean_active_db: a.mean_active_db.map(|d| (d * 100.0).round() / 100.0),
                })
                .collect();
            out.push(Observation::UplinkActivity(
                crate::observation::UplinkActivityObs {
                    sample_index: self.start_index,
                    time_s: self.start_index as f64 / self.rate_sps,
                    duration_s,
                    channels_in_view: chans.len(),
                    active,
                },
            ));
        }
        if let Some(psd) = self.welch.psd(self.rate_sps) {
            out.push(Observation::Spectrum(spectrum_obs(
                &psd,
                self.freq_hz,
                self.start_index,
                self.samples,
                self.cfg.include_psd,
            )));
        }
        self.welch.reset();
        self.start_index += self.samples;
        self.samples = 0;
    }
}

/// Bursts on an active channel must stand this far above the noise reference.
const UPLINK_BURST_THRESHOLD_DB: f64 = 10.0;

/// A burst counter for the uplink channels of a capture at `center_hz`, if it holds any.
fn uplink_counter(
    center_hz: f64,
    rate_sps: f64,
) -> Option<(
    towerwatch_dsp::activity::BurstCounter,
    Vec<towerwatch_dsp::arfcn::Channel>,
)> {
    let chans = crate::observation::uplink_channels_in_view(center_hz, rate_sps);
    if chans.is_empty() {
        return None;
    }
    let offsets: Vec<f64> = chans.iter().map(|c| c.freq_hz - center_hz).collect();
    towerwatch_dsp::activity::BurstCounter::new(rate_sps, &offsets, UPLINK_BURST_THRESHOLD_DB)
        .ok()
        .map(|c| (c, chans))
}

/// What the analysis thread sends to consumers.
#[derive(Debug)]
pub enum Event {
    /// An observation.
    Observation(Box<Observation>),
    /// Samples processed so far (for progress display).
    Progress(u64),
}

/// A running pipeline: source thread → analysis thread → events.
/// Why a pipeline could not start or ended early.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The source failed (file, device).
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The spectrum stage's settings are not usable at this rate.
    #[error("spectrum settings: {0}")]
    Spectrum(#[from] towerwatch_dsp::spectrum::SpectrumError),
    /// The GSM stage could not be set up or could not go on.
    #[error(transparent)]
    Gsm(#[from] gsm::GsmStageError),
    /// The LTE stage could not be set up.
    #[error("LTE: {0}")]
    Lte(#[from] lte::LteStageError),
    /// The operating system would not start a thread.
    #[error("cannot start the {thread} thread: {source}")]
    Thread {
        /// Which thread.
        thread: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// A pipeline thread panicked (a bug: the input should have been refused with an error).
    #[error("the {0} thread panicked")]
    Panicked(&'static str),
}

pub struct Pipeline {
    /// Info of the source.
    pub info: SourceInfo,
    /// Observations and progress, in stream order.
    pub events: Receiver<Event>,
    /// Live counters of the source thread.
    pub counters: Arc<Counters>,
    analysis: JoinHandle<Result<SourceReport, PipelineError>>,
}

impl Pipeline {
    /// Start the source and analysis threads.
    pub fn start(
        source: Box<dyn SampleSource>,
        cfg: &PipelineConfig,
        spectrum: SpectrumStageConfig,
        gsm_cfg: Option<gsm::GsmStageConfig>,
        stop: Arc<AtomicBool>,
    ) -> Result<Pipeline, PipelineError> {
        let rate = source.info().sample_rate_sps;
        let mut stage = SpectrumStage::new(spectrum, rate)?;
        let mut gsm_stage = gsm_cfg.map(|c| gsm::GsmStage::new(c, rate)).transpose()?;
        let mut lte_stage = cfg
            .lte
            .clone()
            .map(|c| lte::LteStage::new(c, rate))
            .transpose()?;
        let taps = cfg.taps.clone();
        let handle = spawn_source(source, cfg, stop);
        let info = handle.info.clone();
        let counters = handle.counters.clone();
        let (tx, rx) = bounded::<Event>(1024);
        let analysis = std::thread::Builder::new()
            .name("analysis".into())
            .spawn(move || {
                let mut obs = Vec::new();
                let mut consumer_gone = false;
                let mut gsm_error = None;
                for block in handle.blocks.iter() {
                    for t in &taps {
                        t.push(block.first_sample, block.frequency_hz, &block.samples);
                    }
                    let depth = handle.blocks.len() as u64;
                    handle.counters.queue_depth.store(depth, Ordering::Relaxed);
                    handle
                        .counters
                        .queue_depth_max
                        .fetch_max(depth, Ordering::Relaxed);
                    stage.process(&block, &mut obs);
                    if let Some(g) = gsm_stage.as_mut()
                        && let Err(e) = g.process(&block, &mut obs)
                    {
                        gsm_error = Some(e);
                        break;
                    }
                    if let Some(l) = lte_stage.as_mut() {
                        l.process(&block, &mut obs);
                    }
                    let end = block.first_sample + block.samples.len() as u64;
                    let _ = handle.recycle.try_send(block.samples);
                    for o in obs.drain(..) {
                        consumer_gone |= tx.send(Event::Observation(Box::new(o))).is_err();
                    }
                    consumer_gone |= tx.send(Event::Progress(end)).is_err();
                    if consumer_gone {
                        break;
                    }
                }
                stage.flush(&mut obs);
                if let Some(g) = gsm_stage.as_mut() {
                    g.finish(&mut obs);
                }
                if let Some(l) = lte_stage.as_mut() {
                    l.flush(&mut obs);
                }
                for o in obs.drain(..) {
                    let _ = tx.send(Event::Observation(Box::new(o)));
                }
                let report = handle.finish().map(|mut r| {
                    r.lte = lte_stage.map(|l| l.counters);
                    r
                });
                match gsm_error {
                    Some(e) => Err(PipelineError::Gsm(e)),
                    None => report.map_err(PipelineError::Source),
                }
            })
            .map_err(|source| PipelineError::Thread {
                thread: "analysis",
                source,
            })?;
        Ok(Pipeline {
            info,
            events: rx,
            counters,
            analysis,
        })
    }

    /// A pipeline whose events come from a thread of the caller's own: `run` gets the event
    /// sender and the live counters and returns the source's report. The band scan uses it to
    /// feed the dashboard (it drives its own tuner, so it cannot sit behind [`spawn_source`]).
    pub fn spawn_custom(
        info: SourceInfo,
        run: impl FnOnce(Sender<Event>, Arc<Counters>) -> Result<SourceReport, SourceError>
        + Send
        + 'static,
    ) -> Result<Pipeline, PipelineError> {
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        let (tx, rx) = bounded::<Event>(1024);
        let analysis = std::thread::Builder::new()
            .name("custom-source".into())
            .spawn(move || run(tx, c).map_err(PipelineError::Source))
            .map_err(|source| PipelineError::Thread {
                thread: "source",
                source,
            })?;
        Ok(Pipeline {
            info,
            events: rx,
            counters,
            analysis,
        })
    }

    /// Wait for the end of the stream and get the source's report (or its error).
    pub fn finish(self) -> Result<SourceReport, PipelineError> {
        drop(self.events);
        self.analysis
            .join()
            .unwrap_or(Err(PipelineError::Panicked("analysis")))
    }
}
