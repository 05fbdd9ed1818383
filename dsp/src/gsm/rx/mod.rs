//! The GSM downlink receiver: FCCH search → SCH search → synchronised, normal-burst demodulation.
//!
//! One [`Receiver`] follows one carrier. It extracts the channel from the input (mixer + polyphase
//! resampler, [`crate::filter::ChannelExtractor`]) at **4 samples per symbol** (1.0833 MS/s):
//! at 4 sps a timeslot is exactly 625 samples and a TDMA frame exactly 5000, so frame timing is
//! integer arithmetic, the best of 4 sampling phases is within ±1/8 symbol of ideal, and FCCH sits
//! at exactly fs/16. The equaliser runs symbol-spaced on the best phase.
//!
//! States (as gr-gsm's receiver):
//! - **FCCH search**: a sliding FFT finds a burst of pure tone near +67.7 kHz; its position and a
//!   fine frequency estimate come out as [`RxEvent::FcchFound`].
//! - **SCH search**: one frame after the FCCH, the synchronisation burst is located by a
//!   least-squares fit on its 64-bit extended training sequence, equalised and decoded
//!   ([`crate::gsm::coding::sch_decode_burst`]) → [`RxEvent::SchDecoded`] with BSIC and frame
//!   number. A failure goes back to FCCH search.
//! - **Synchronised**: every timeslot of every frame is demodulated in turn (channel estimate on the
//!   training sequence, MLSE) → [`RxEvent::Burst`]; FCCH bursts refine the frequency estimate
//!   (fed back to the mixer), SCH bursts check the frame number, TS0 bursts track the timing.
//!   Repeated SCH failures or a vanished signal → [`RxEvent::SyncLost`] and back to FCCH search.
//!
//! On first synchronisation the receiver also demodulates the frames it still holds *before* the
//! SCH (up to [`RxConfig::backfill_frames`]), so blocks sent between the start of the input and
//! the first SCH are not lost. Those events carry earlier sample indices than the SCH event.
//!
//! Time is the input sample index throughout.

mod acquire;
pub mod carrier;
pub mod clock;
mod downlink;
pub mod equalizer;
pub mod fcch;
pub mod fcch_wide;
mod types;

pub use types::{BurstKind, RxBurst, RxConfig, RxError, RxEvent, RxState, RxStats, SyncLossReason};

pub use downlink::{
    BlockDecoder, DecodedFrame, DedicatedCounters, DownlinkDecode, SchRecord, decode_downlink,
};

use crate::filter::{ChannelExtractor, FilterError};
use crate::gsm::burst::{
    BurstType, DUMMY_BURST, SCH_TRAINING, SCH_TRAINING_POS, TRAINING_SEQUENCES,
};
use crate::gsm::coding::{SchInfo, sch_decode_burst_with_errors};
use crate::gsm::{FCCH_OFFSET_HZ, HYPERFRAME, SYMBOL_RATE_SPS};
use equalizer::{ChannelFit, Mlse, Training};
use fcch::{FcchScanner, WindowScore};
use num_complex::Complex32;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::f64::consts::TAU;

/// Input samples per internal processing block (see [`Receiver::process`]).
pub const BLOCK: usize = 4096;
/// Samples per symbol of the channel stream.
pub const SAMPLES_PER_SYMBOL: usize = 4;
/// Channel-stream samples per timeslot (156.25 × 4).
const TS_SAMPLES: i64 = 625;
/// Channel-stream samples per TDMA frame.
const FRAME_SAMPLES: i64 = 5000;
/// Timing search radius for bursts in the synchronised state (samples at 4 sps).
const SYNC_RADIUS: i64 = 8;
/// Timing search radius for the first SCH after an FCCH (samples).
const SCH_RADIUS: i64 = 32;
/// Samples one burst needs: 148 symbols plus the search radius either side.
const BURST_SPAN: i64 = 148 * 4;
/// A training-sequence fit at least this good (dB) marks a normal burst without testing the
/// dummy burst.
const NORMAL_BURST_CLEAR_DB: f32 = 10.0;
/// A burst whose data part leaves this many times the training fit's residual is equalised again
/// with a channel fitted over the whole burst (see [`Receiver::refine`]). Decision errors alone
/// (noise) lift the ratio to about 1.8 at 3 dB SNR; a same-training-sequence interferer 4 dB
/// down lifts it tenfold.
const REFINE_RATIO: f32 = 2.5;
/// Channel samples per unit of lazy extraction (see [`Receiver`]'s `ensure`).
const CHUNK: usize = 64;

#[derive(Debug, Clone)]
struct Run {
    best_at: i64,
    best: WindowScore,
    windows: u32,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    start: i64,
    offset_hz: f64,
    sigma_hz: f64,
}

#[derive(Debug, Clone)]
struct Sync {
    fn_: u32,
    /// Channel index of TS0 of frame `fn_` (fractional: tracked).
    frame_start: f64,
    ts: u8,
    bsic: u8,
    /// Frame of the SCH that gave sync (not reported twice).
    anchor_fn: u32,
    sch_fail_run: u32,
    weak_run: u32,
}

#[derive(Debug, Clone)]
enum State {
    FcchSearch { pos: i64, run: Option<Run> },
    SchSearch { fcch: Pending },
    Synchronized(Sync),
}

/// Weighted mean of recent FCCH offset estimates.
#[derive(Debug, Clone, Default)]
struct FreqTracker {
    meas: VecDeque<(f64, f64)>,
    cached: Option<(f64, f64)>,
}

impl FreqTracker {
    const CAP: usize = 64;

    fn push(&mut self, offset_hz: f64, sigma_hz: f64) {
        if offset_hz.is_finite() && sigma_hz.is_finite() {
            if self.meas.len() == Self::CAP {
                self.meas.pop_front();
            }
            self.meas.push_back((offset_hz, sigma_hz.max(1e-3)));
            self.cached = self.compute();
        }
    }

    fn estimate(&self) -> Option<(f64, f64)> {
        self.cached
    }

    fn compute(&self) -> Option<(f64, f64)> {
        if self.meas.is_empty() {
            return None;
        }
        let (mut sw, mut swx) = (0.0, 0.0);
        for &(x, s) in &self.meas {
            let w = 1.0 / (s * s);
            sw += w;
            swx += w * x;
        }
        let mean = swx / sw;
        let mut unc = (1.0 / sw).sqrt();
        let n = self.meas.len();
        if n >= 3 {
            let var: f64 = self
                .meas
                .iter()
                .map(|&(x, s)| (x - mean).powi(2) / (s * s))
                .sum::<f64>()
                / sw;
            unc = unc.max((var / (n - 1) as f64).sqrt());
        }
        Some((mean, unc))
    }
}

/// A per-carrier GSM downlink receiver (see the module documentation).
#[derive(Debug, Clone)]
pub struct Receiver {
    cfg: RxConfig,
    ext: ChannelExtractor,
    fs: f64,
    /// The stream the extractor's final resampler reads (mixed, pre-decimated), real parts…
    pre_re: Vec<f32>,
    /// …and imaginary parts; `pre_re[0]` is that stream's sample `pre_base`.
    pre_im: Vec<f32>,
    pre_base: u64,
    /// Channel samples; `buf[0]` is channel index `base` (a multiple of [`CHUNK`]). Computed
    /// lazily: only the chunks marked in `ready` hold their values (see `ensure`).
    buf: Vec<Complex32>,
    base: i64,
    /// Per [`CHUNK`] of `buf`: whether it has been computed.
    ready: Vec<bool>,
    /// Lowest channel index that can still be computed (the extractor input from there on is
    /// held, for back-fill); `buf` may start later and is extended back on demand.
    floor: i64,
    /// De-rotated channel samples from channel index `span_from` (see `load_span`).
    span: Vec<Complex32>,
    span_from: i64,
    clean: Vec<Complex32>,
    state: State,
    scanner: FcchScanner,
    work: Vec<Complex32>,
    r: Vec<Complex32>,
    mlse: Mlse,
    tr_sch: Training,
    tr_tsc: Vec<Training>,
    tr_dummy: Training,
    freq: FreqTracker,
    /// Carrier offset currently applied by the mixer (on top of the channel offset), Hz.
    mixer_corr_hz: f64,
    /// (first channel index, correction) for every mixer retune still relevant.
    mixer_history: Vec<(i64, f64)>,
    /// Channel index up to which frames were demodulated in sync (back-fill never goes before).
    processed_until: i64,
    ts0_power: f32,
    /// Training sequence per timeslot when it is not the BCC (set from an Immediate Assignment).
    tsc: [Option<u8>; 8],
    stats: RxStats,
}

impl Receiver {
    /// A receiver for the carrier described by `cfg`.
    pub fn new(cfg: RxConfig) -> Result<Self, RxError> {
        if !(cfg.input_rate_sps.is_finite() && cfg.input_rate_sps >= 100_000.0) {
            return Err(RxError::Config("input_rate_sps must be at least 100 kS/s"));
        }
        if !(cfg.channel_offset_hz.is_finite()
            && cfg.channel_offset_hz.abs() < cfg.input_rate_sps / 2.0)
        {
            return Err(RxError::Config(
                "channel_offset_hz must lie inside the input band",
            ));
        }
        if !(cfg.index_scale.is_finite() && cfg.index_scale > 0.0 && cfg.index_origin.is_finite()) {
            return Err(RxError::Config(
                "index_scale must be positive and index_origin finite",
            ));
        }
        if !(cfg.max_freq_offset_hz.is_finite() && cfg.max_freq_offset_hz >= 0.0) {
            return Err(RxError::Config(
                "max_freq_offset_hz must be finite and non-negative",
            ));
        }
        let out_rate = SYMBOL_RATE_SPS * SAMPLES_PER_SYMBOL as f64;
        let ext = ChannelExtractor::new(
            cfg.input_rate_sps,
            cfg.channel_offset_hz,
            out_rate,
            100_000.0,
            170_000.0,
        )?;
        let fs = ext.output_rate_sps();
        let scanner = FcchScanner::new(fs, FCCH_OFFSET_HZ * fs / out_rate, cfg.max_freq_offset_hz);
        let tr_sch = Training::new(SCH_TRAINING_POS, &SCH_TRAINING)
            .ok_or(RxError::Config("SCH training"))?;
        let tr_tsc = TRAINING_SEQUENCES
            .iter()
            .map(|t| Training::new(crate::gsm::burst::NORMAL_TRAINING_POS, t))
            .collect::<Option<Vec<_>>>()
            .ok_or(RxError::Config("training sequences"))?;
        let tr_dummy =
            Training::new(3, &DUMMY_BURST[3..145]).ok_or(RxError::Config("dummy burst"))?;
        Ok(Receiver {
            cfg,
            ext,
            fs,
            pre_re: Vec::new(),
            pre_im: Vec::new(),
            pre_base: 0,
            buf: Vec::new(),
            base: 0,
            ready: Vec::new(),
            floor: 0,
            span: Vec::new(),
            span_from: 0,
            clean: Vec::new(),
            state: State::FcchSearch { pos: 0, run: None },
            scanner,
            work: Vec::new(),
            r: vec![Complex32::new(0.0, 0.0); 148],
            mlse: Mlse::new(),
            tr_sch,
            tr_tsc,
            tr_dummy,
            freq: FreqTracker::default(),
            mixer_corr_hz: 0.0,
            mixer_history: vec![(i64::MIN, 0.0)],
            processed_until: i64::MIN,
            ts0_power: 0.0,
            tsc: [None; 8],
            stats: RxStats::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &RxConfig {
        &self.cfg
    }

    /// Counters so far.
    pub fn stats(&self) -> RxStats {
        self.stats
    }

    /// Uses training sequence `tsc` (0–7) on timeslot `ts` instead of the cell's BCC (e.g. the TSC
    /// an Immediate Assignment gives for an SDCCH); `None` goes back to the BCC. Out-of-range
    /// values are ignored.
    pub fn set_timeslot_tsc(&mut self, ts: u8, tsc: Option<u8>) {
        if let Some(slot) = self.tsc.get_mut(usize::from(ts))
            && tsc.is_none_or(|t| t < 8)
        {
            *slot = tsc;
        }
    }

    /// Changes which timeslots are demodulated and reported (bit n = TS n, as
    /// [`RxConfig::timeslot_mask`]) while running, e.g. to follow an SDCCH an Immediate Assignment
    /// points to. Takes effect from the next timeslot demodulated.
    pub fn set_timeslot_mask(&mut self, mask: u8) {
        self.cfg.timeslot_mask = mask;
    }

    /// The timeslots currently demodulated and reported.
    pub fn timeslot_mask(&self) -> u8 {
        self.cfg.timeslot_mask
    }

    /// The training sequence used on timeslot `ts` when it is not the BCC (see
    /// [`Receiver::set_timeslot_tsc`]).
    pub fn timeslot_tsc(&self, ts: u8) -> Option<u8> {
        self.tsc.get(usize::from(ts)).copied().flatten()
    }

    /// The receiver's state.
    pub fn state(&self) -> RxState {
        match self.state {
            State::FcchSearch { .. } => RxState::FcchSearch,
            State::SchSearch { .. } => RxState::SchSearch,
            State::Synchronized(_) => RxState::Synchronized,
        }
    }

    /// Whether the receiver is synchronised.
    pub fn is_synchronized(&self) -> bool {
        matches!(self.state, State::Synchronized(_))
    }

    /// The current carrier frequency-offset estimate and its 1σ uncertainty, Hz.
    pub fn freq_offset_hz(&self) -> Option<(f64, f64)> {
        self.freq.estimate()
    }

    /// The channel stream's sample rate (4 samples per symbol).
    pub fn channel_rate_sps(&self) -> f64 {
        self.fs
    }

    /// Processes the next input samples, appending what happened to `events`.
    ///
    /// Input is handled in internal blocks of [`BLOCK`] samples counted from the start of the
    /// stream, so the events do not depend on how the caller cuts the stream; up to `BLOCK − 1`
    /// samples wait for the next call (or [`Receiver::flush`]).
    pub fn process(&mut self, input: &[Complex32], events: &mut Vec<RxEvent>) {
        self.stats.input_samples += input.len() as u64;
        let mut rest = input;
        while !rest.is_empty() {
            let take = (BLOCK - self.clean.len()).min(rest.len());
            let (now, later) = rest.split_at(take);
            let from = self.clean.len();
            self.clean.extend_from_slice(now);
            for s in self.clean.iter_mut().skip(from) {
                if !(s.re.is_finite() && s.im.is_finite()) {
                    self.stats.nonfinite_samples += 1;
                    *s = Complex32::new(0.0, 0.0);
                }
            }
            if self.clean.len() == BLOCK {
                self.run_block(events);
            }
            rest = later;
        }
    }

    /// Processes any input still waiting for a full internal block (call at the end of a stream).
    pub fn flush(&mut self, events: &mut Vec<RxEvent>) {
        if !self.clean.is_empty() {
            self.run_block(events);
        }
    }

    fn run_block(&mut self, events: &mut Vec<RxEvent>) {
        let clean = std::mem::take(&mut self.clean);
        self.ext
            .process_front(&clean, &mut self.pre_re, &mut self.pre_im);
        self.clean = clean;
        self.clean.clear();
        // The channel samples now available; computed only when a state reads them.
        let total = self.pre_base + self.pre_re.len() as u64;
        let end = i64::try_from(self.ext.resampler().outputs_for(total)).unwrap_or(i64::MAX);
        if end > self.end() {
            let len = usize::try_from(end - self.base).unwrap_or(0);
            self.buf.resize(len, Complex32::new(0.0, 0.0));
            self.ready.resize(len.div_ceil(CHUNK), false);
        }
        while self.step(events) {}
        self.trim();
    }

    /// Computes the channel samples `from … from + len − 1` (clipped to what is held) that are
    /// not computed yet. The extraction is lazy because once synchronised the receiver reads
    /// only the timeslots it demodulates (TS0 and any followed SDCCH: an eighth to a quarter of
    /// the stream), so resampling everything, as a streaming filter would, wastes most of the
    /// work. Values are those of the streaming extractor.
    fn ensure(&mut self, from: i64, len: i64) {
        let lo = from.max(self.floor);
        let hi = from.saturating_add(len).min(self.end());
        if lo >= hi {
            return;
        }
        if lo < self.base {
            // Back-fill reads before the dense buffer: extend it back (rare: once per sync).
            let nb = lo.max(0) / CHUNK as i64 * CHUNK as i64;
            let add = usize::try_from(self.base - nb).unwrap_or(0);
            self.buf
                .splice(0..0, std::iter::repeat_n(Complex32::new(0.0, 0.0), add));
            self.ready
                .splice(0..0, std::iter::repeat_n(false, add / CHUNK));
            self.base = nb;
        }
        let c0 = ((lo - self.base) as usize) / CHUNK;
        let c1 = ((hi - 1 - self.base) as usize) / CHUNK;
        for c in c0..=c1 {
            if self.ready.get(c).copied().unwrap_or(true) {
                continue;
            }
            let a = c * CHUNK;
            let b = ((c + 1) * CHUNK).min(self.buf.len());
            let m0 = (self.base + a as i64) as u64;
            if let Some(out) = self.buf.get_mut(a..b) {
                self.ext
                    .resampler()
                    .outputs_at(m0, &self.pre_re, &self.pre_im, self.pre_base, out);
            }
            if b - a == CHUNK
                && let Some(r) = self.ready.get_mut(c)
            {
                *r = true;
            }
        }
    }

    fn end(&self) -> i64 {
        self.base + self.buf.len() as i64
    }

    fn has(&self, from: i64, len: i64) -> bool {
        from >= self.floor && from + len <= self.end()
    }

    fn input_index(&self, channel_index: f64) -> u64 {
        let t = self.cfg.index_origin + self.cfg.index_scale * self.ext.input_time(channel_index);
        if t.is_finite() && t > 0.0 {
            t.round() as u64
        } else {
            0
        }
    }

    fn mixer_at(&self, idx: i64) -> f64 {
        self.mixer_history
            .iter()
            .rev()
            .find(|(i, _)| *i <= idx)
            .map_or(0.0, |(_, f)| *f)
    }

    fn ppm(&self, hz: f64) -> Option<f64> {
        self.cfg
            .carrier_hz
            .filter(|c| c.is_finite() && *c > 0.0)
            .map(|c| hz / c * 1e6)
    }

    fn trim(&mut self) {
        let back = i64::from(self.cfg.backfill_frames) * FRAME_SAMPLES;
        // `now`: where the state reads; `keep`: what back-fill may still want.
        let (now, keep) = match &self.state {
            State::FcchSearch { pos, .. } => (pos - 1000, pos - 1000 - back),
            State::SchSearch { fcch } => (fcch.start - 1000, fcch.start - 1000 - back),
            State::Synchronized(s) => (s.frame_start as i64 - 1000, s.frame_start as i64 - 1000),
        };
        // The extractor's input is kept back to `keep` (it is smaller than the channel stream
        // and is all back-fill needs), the channel stream itself only back to `now`.
        if keep - self.floor > 65_536 {
            let need = self.ext.resampler().first_input_for(keep.max(0) as u64);
            if need > 0 && need as u64 > self.pre_base {
                let dp = ((need as u64 - self.pre_base) as usize).min(self.pre_re.len());
                self.pre_re.drain(..dp);
                self.pre_im.drain(..dp);
                self.pre_base += dp as u64;
            }
            self.floor = keep;
            let floor = self.floor;
            // Keep the newest retune that is at or before the floor, and all later ones.
            let first_live = self
                .mixer_history
                .iter()
                .rposition(|(i, _)| *i <= floor)
                .unwrap_or(0);
            self.mixer_history.drain(..first_live);
        }
        let drop = now.max(self.floor) - self.base;
        if drop > 65_536 {
            let d = (drop as usize).min(self.buf.len()) / CHUNK * CHUNK;
            self.buf.drain(..d);
            self.ready.drain(..(d / CHUNK).min(self.ready.len()));
            self.base += d as i64;
        }
    }

    /// Fills `self.span` with the channel samples `from … from + len − 1`, de-rotated by GMSK's
    /// quarter turn per symbol and by the residual carrier offset, so a burst whose first bit is
    /// at any channel index `start` in it reads as `span[start − from + 4n]`, n = 0…147. (That
    /// is the burst as the equaliser models it times one constant phase per `start`, which the
    /// channel estimate absorbs, so one de-rotation serves every candidate start.)
    fn load_span(&mut self, from: i64, len: i64) -> bool {
        if len <= 0 || !self.has(from, len) {
            return false;
        }
        self.ensure(from, len);
        let fres = self.freq.estimate().map_or(0.0, |(f, _)| f) - self.mixer_at(from);
        let step = -TAU / 16.0 - TAU * fres / self.fs;
        let inc = (step.cos(), step.sin());
        let mut ph = (1.0f64, 0.0f64);
        let off = (from - self.base) as usize;
        self.span.clear();
        if let Some(x) = self.buf.get(off..off + len as usize) {
            for (n, v) in x.iter().enumerate() {
                if n % 256 == 0 {
                    // Re-derive the phasor now and then so rounding cannot build up.
                    let p = step * n as f64;
                    ph = (p.cos(), p.sin());
                }
                self.span
                    .push(*v * Complex32::new(ph.0 as f32, ph.1 as f32));
                ph = (ph.0 * inc.0 - ph.1 * inc.1, ph.0 * inc.1 + ph.1 * inc.0);
            }
        }
        self.span_from = from;
        self.span.len() == len as usize
    }

    /// Least-squares fit at every start within `radius` of `nominal`; the start with the smallest
    /// normalised residual wins.
    fn best_fit(&mut self, nominal: i64, radius: i64, which: Which) -> Option<(i64, ChannelFit)> {
        if !self.load_span(nominal - radius, BURST_SPAN + 2 * radius) {
            return None;
        }
        self.fit_span(nominal, radius, which)
    }

    /// [`Receiver::best_fit`] on the span already loaded (which must cover the search).
    fn fit_span(&self, nominal: i64, radius: i64, which: Which) -> Option<(i64, ChannelFit)> {
        let tr = match which {
            Which::Sch => &self.tr_sch,
            Which::Tsc(t) => self.tr_tsc.get(usize::from(t & 7))?,
            Which::Dummy => &self.tr_dummy,
        };
        let mut best: Option<(f32, i64, ChannelFit)> = None;
        for tau in -radius..=radius {
            let start = nominal + tau;
            let Ok(off) = usize::try_from(start - self.span_from) else {
                continue;
            };
            let Some(x) = self.span.get(off..) else {
                continue;
            };
            if x.len() < 147 * SAMPLES_PER_SYMBOL + 1 {
                continue;
            }
            let fit = tr.fit_strided(x, SAMPLES_PER_SYMBOL);
            let q = fit.noise_power / fit.rx_power.max(1e-30);
            if q.is_finite() && best.as_ref().is_none_or(|b| q < b.0) {
                best = Some((q, start, fit));
            }
        }
        best.map(|(_, s, f)| (s, f))
    }

    /// Equalises the burst starting at `start`, which must lie in the span the fit came from.
    fn equalize(&mut self, start: i64, fit: &ChannelFit) -> [f32; 148] {
        let mut soft = [0.0f32; 148];
        let Ok(off) = usize::try_from(start - self.span_from) else {
            return soft;
        };
        let mut ok = true;
        for (n, r) in self.r.iter_mut().enumerate() {
            match self.span.get(off + SAMPLES_PER_SYMBOL * n) {
                Some(v) => *r = *v,
                None => ok = false,
            }
        }
        if ok {
            self.mlse.equalize(&self.r, fit, &mut soft);
        }
        soft
    }

    /// Decision-directed re-estimation for a burst whose training fit does not explain its
    /// data: a co-channel cell sending the same training sequence in step (a cloned cell, a
    /// distant cell of the same colour code) adds its channel to the estimate, and the MLSE then
    /// decodes against the sum. The channel is fitted again over the whole burst with the
    /// decided bits as training (the interferer's data are uncorrelated with ours, so it falls
    /// into the residual instead) and the burst equalised again. Only when the data part's
    /// residual stands [`REFINE_RATIO`] above the training fit's, so a clean burst is untouched;
    /// the refit is kept only when it explains the burst better. `self.r` must hold the burst
    /// (as [`Receiver::equalize`] leaves it).
    fn refine(&mut self, fit: &ChannelFit, soft: [f32; 148]) -> [f32; 148] {
        let floor = fit.rx_power.max(1e-30) * 1e-4;
        let bits = soft.map(|v| u8::from(v > 0.0));
        let resid = equalizer::decision_residual(&self.r, &fit.taps, &bits);
        // NaN (a garbage burst) compares false: nothing to refine.
        if resid.is_nan() || resid <= REFINE_RATIO * fit.noise_power.max(floor) {
            return soft;
        }
        let Some(tr) = Training::new(0, &bits) else {
            return soft;
        };
        let refit = tr.fit(&self.r);
        if refit.noise_power.is_nan() || refit.noise_power >= resid {
            return soft;
        }
        let mut out = [0.0f32; 148];
        self.mlse.equalize(&self.r, &refit, &mut out);
        out
    }

    fn step(&mut self, events: &mut Vec<RxEvent>) -> bool {
        match self.state.clone() {
            State::FcchSearch { pos, run } => self.step_fcch(pos, run, events),
            State::SchSearch { fcch } => self.step_sch(fcch, events),
            State::Synchronized(s) => self.step_sync(s, events),
        }
    }

    fn lose_sync(&mut self, s: &Sync, at: i64, reason: SyncLossReason, events: &mut Vec<RxEvent>) {
        self.stats.sync_lost += 1;
        events.push(RxEvent::SyncLost {
            sample_index: self.input_index(at as f64),
            frame_number: s.fn_,
            reason,
        });
        self.freq = FreqTracker::default();
        self.state = State::FcchSearch { pos: at, run: None };
    }

    fn step_sync(&mut self, mut s: Sync, events: &mut Vec<RxEvent>) -> bool {
        let nominal_f = s.frame_start + (i64::from(s.ts) * TS_SAMPLES) as f64;
        let nominal = nominal_f.round() as i64;
        if !self.has(nominal - SYNC_RADIUS, BURST_SPAN + 2 * SYNC_RADIUS) {
            if nominal - SYNC_RADIUS < self.floor {
                // Should not happen (the buffer is kept); resynchronise rather than panic.
                self.lose_sync(&s, self.end(), SyncLossReason::SignalLost, events);
                return true;
            }
            self.state = State::Synchronized(s);
            return false;
        }
        let kind = BurstType::at(s.fn_, s.ts);
        let report = self.cfg.timeslot_mask & (1 << s.ts) != 0;
        let mut lost = None;
        if kind == BurstType::Fcch {
            self.track_fcch(nominal, events);
        } else if kind == BurstType::Sch {
            if let Some((start, fit)) = self.best_fit(nominal, SYNC_RADIUS, Which::Sch) {
                let soft = self.equalize(start, &fit);
                let snr_db = fit.snr_db();
                match sch_decode_burst_with_errors(&soft) {
                    Ok((info, errors)) => {
                        let fn_ = info.frame_number();
                        let ok = fn_ == s.fn_ && info.bsic == s.bsic;
                        if s.fn_ != s.anchor_fn {
                            self.stats.sch_ok += 1;
                            if !ok {
                                self.stats.sch_fn_mismatch += 1;
                            }
                            events.push(self.sch_event(
                                centre_of(start, &fit),
                                &info,
                                errors,
                                snr_db,
                                ok,
                            ));
                        }
                        if ok {
                            s.sch_fail_run = 0;
                        } else {
                            // A parity check of 10 bits passes by chance once in ~1000 bad
                            // bursts: a disagreeing SCH counts as a failure, and only a run of
                            // them (a real change) makes the receiver resynchronise.
                            s.sch_fail_run += 1;
                            if s.sch_fail_run >= self.cfg.max_sch_failures.max(1) {
                                lost = Some(SyncLossReason::SchFailures);
                            }
                        }
                    }
                    Err(_) => {
                        self.stats.sch_failed += 1;
                        s.sch_fail_run += 1;
                        events.push(RxEvent::SchFailed {
                            sample_index: self.input_index(centre_of(start, &fit)),
                            expected_frame_number: Some(s.fn_),
                            snr_db,
                        });
                        if s.sch_fail_run >= self.cfg.max_sch_failures.max(1) {
                            lost = Some(SyncLossReason::SchFailures);
                        }
                    }
                }
                self.track_timing(&mut s, start, nominal_f, &fit);
                if report {
                    self.push_burst(events, start, nominal_f, &s, BurstKind::Sch, soft, &fit);
                }
            }
        } else if s.ts == 0 || report {
            let tsc = self
                .tsc
                .get(usize::from(s.ts))
                .copied()
                .flatten()
                .unwrap_or(s.bsic & 7);
            let a = self.best_fit(nominal, SYNC_RADIUS, Which::Tsc(tsc));
            // The dummy burst's middle differs from every training sequence in 12 or more of 26
            // bits, so a dummy burst fits a TSC no better than noise (about −5 dB). A clear TSC
            // fit settles it; only otherwise is the (long) dummy fit tried, on the span
            // `best_fit` just loaded (`has` above guarantees the load).
            let clear = a
                .as_ref()
                .is_some_and(|(_, f)| f.snr_db() >= NORMAL_BURST_CLEAR_DB);
            let d = if clear {
                None
            } else {
                self.fit_span(nominal, SYNC_RADIUS, Which::Dummy)
            };
            let pick = match (a, d) {
                (Some(a), Some(d)) => {
                    let qa = a.1.noise_power / a.1.rx_power.max(1e-30);
                    let qd = d.1.noise_power / d.1.rx_power.max(1e-30);
                    if qd < qa {
                        Some((d, BurstKind::Dummy))
                    } else {
                        Some((a, BurstKind::Normal))
                    }
                }
                (Some(a), None) => Some((a, BurstKind::Normal)),
                (None, Some(d)) => Some((d, BurstKind::Dummy)),
                (None, None) => None,
            };
            if let Some(((start, fit), mut kind)) = pick {
                let snr_db = fit.snr_db();
                if s.ts == 0 {
                    if snr_db >= 3.0 {
                        self.ts0_power = if self.ts0_power > 0.0 {
                            0.95 * self.ts0_power + 0.05 * fit.rx_power
                        } else {
                            fit.rx_power
                        };
                        s.weak_run = 0;
                    } else {
                        s.weak_run += 1;
                        if s.weak_run > 2 * 51 {
                            lost = Some(SyncLossReason::SignalLost);
                        }
                    }
                    self.track_timing(&mut s, start, nominal_f, &fit);
                }
                let empty =
                    s.ts != 0 && self.ts0_power > 0.0 && fit.rx_power < 0.01 * self.ts0_power;
                let soft = if empty {
                    kind = BurstKind::Empty;
                    [0.0; 148]
                } else if kind == BurstKind::Dummy && s.ts != 0 {
                    // A dummy burst on TS1–7 only marks its sub-channel idle (its block is not
                    // decoded), and its bits are the dummy burst's by this very classification:
                    // report those, with a confidence from the fit, instead of running the MLSE.
                    dummy_soft_bits(fit.snr_db())
                } else {
                    let soft = self.equalize(start, &fit);
                    self.refine(&fit, soft)
                };
                match kind {
                    BurstKind::Normal => self.stats.bursts_normal += 1,
                    BurstKind::Dummy => self.stats.bursts_dummy += 1,
                    BurstKind::Empty => self.stats.bursts_empty += 1,
                    BurstKind::Sch => {}
                }
                if report {
                    self.push_burst(events, start, nominal_f, &s, kind, soft, &fit);
                }
            }
        }
        self.processed_until = self.processed_until.max(nominal + BURST_SPAN);
        if let Some(reason) = lost {
            self.lose_sync(&s, nominal + TS_SAMPLES, reason, events);
            return true;
        }
        s.ts += 1;
        if s.ts == 8 {
            s.ts = 0;
            s.fn_ = (s.fn_ + 1) % HYPERFRAME;
            s.frame_start += FRAME_SAMPLES as f64;
        }
        self.state = State::Synchronized(s);
        true
    }

    /// The event of an SCH decoded at channel index `centre` (`ok`: its frame number is the one
    /// the frame clock expected, or this SCH is what synchronised the receiver).
    fn sch_event(
        &self,
        centre: f64,
        info: &SchInfo,
        errors: u32,
        snr_db: f32,
        ok: bool,
    ) -> RxEvent {
        RxEvent::SchDecoded {
            sample_index: self.input_index(centre),
            bsic: info.bsic,
            ncc: info.ncc(),
            bcc: info.bcc(),
            frame_number: info.frame_number(),
            t1: info.t1,
            t2: info.t2,
            t3: info.t3,
            bit_errors: errors,
            snr_db,
            frame_number_ok: ok,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push_burst(
        &self,
        events: &mut Vec<RxEvent>,
        start: i64,
        nominal_f: f64,
        s: &Sync,
        kind: BurstKind,
        soft_bits: [f32; 148],
        fit: &ChannelFit,
    ) {
        events.push(RxEvent::Burst(Box::new(RxBurst {
            sample_index: self.input_index(centre_of(start, fit)),
            frame_number: s.fn_,
            timeslot: s.ts,
            kind,
            soft_bits,
            snr_db: fit.snr_db(),
            power_db: 10.0 * fit.rx_power.max(1e-30).log10(),
            timing_offset_symbols: ((start as f64 - nominal_f) / SAMPLES_PER_SYMBOL as f64) as f32
                + fit.centroid_symbols(),
        })));
    }

    fn track_timing(&mut self, s: &mut Sync, start: i64, nominal_f: f64, fit: &ChannelFit) {
        if fit.snr_db() >= 6.0 {
            let centre =
                start as f64 + f64::from(fit.centroid_symbols()) * SAMPLES_PER_SYMBOL as f64;
            let err = (centre - nominal_f).clamp(-4.0, 4.0);
            s.frame_start += 0.25 * err;
        }
    }

    fn track_fcch(&mut self, nominal: i64, events: &mut Vec<RxEvent>) {
        let fres = self.freq.estimate().map_or(0.0, |(f, _)| f) - self.mixer_at(nominal);
        let f0 = FCCH_OFFSET_HZ * self.fs / (SYMBOL_RATE_SPS * 4.0) + fres;
        self.ensure(nominal, fcch::BURST_SAMPLES as i64);
        let off = (nominal - self.base) as usize;
        let mut work = std::mem::take(&mut self.work);
        let m = fcch::fine_estimate(&self.buf, off, f0, self.fs, &mut work);
        self.work = work;
        let Some(m) = m else { return };
        // Only trust bursts that are clearly a tone and close to the running estimate.
        if m.snr_db < 6.0 || (m.tone_hz - f0).abs() > 2_000.0 {
            return;
        }
        let offset =
            self.mixer_at(nominal) + m.tone_hz - FCCH_OFFSET_HZ * self.fs / (SYMBOL_RATE_SPS * 4.0);
        self.stats.fcch_tracked += 1;
        self.commit_freq(offset, m.sigma_hz);
        let (est, unc) = self.freq.estimate().unwrap_or((offset, m.sigma_hz));
        events.push(RxEvent::FcchFound {
            sample_index: self.input_index(nominal as f64),
            freq_offset_hz: est,
            uncertainty_hz: unc,
            freq_offset_ppm: self.ppm(est),
            burst_offset_hz: offset,
            snr_db: m.snr_db,
            synchronized: true,
        });
    }
}

/// Soft bits of the dummy burst (TS 45.002 §5.2.6) with a magnitude from the burst SNR (the
/// log-likelihood ratio of one BPSK bit at that SNR, clipped like the equaliser's).
fn dummy_soft_bits(snr_db: f32) -> [f32; 148] {
    let llr = (4.0 * 10f32.powf(snr_db / 10.0)).clamp(0.0, 64.0);
    let llr = if llr.is_finite() { llr } else { 0.0 };
    let mut soft = [0.0f32; 148];
    for (v, &b) in soft.iter_mut().zip(DUMMY_BURST.iter()) {
        *v = if b != 0 { llr } else { -llr };
    }
    soft
}

/// Channel index where a burst's first bit is centred: the fitted start corrected by the energy
/// centroid of the channel estimate (removes the ±1 symbol ambiguity of the start itself).
fn centre_of(start: i64, fit: &ChannelFit) -> f64 {
    start as f64 + f64::from(fit.centroid_symbols()) * SAMPLES_PER_SYMBOL as f64
}

#[derive(Debug, Clone, Copy)]
enum Which {
    Sch,
    Tsc(u8),
    Dummy,
}
