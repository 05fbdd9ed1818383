//! A "virtual tuner": a narrowband, retunable receiver emulated over a wideband source (a
//! recording, or a SoapySDR stream such as the `iqfile` playback module), so that band sweeps
//! (`towerwatch scan`) can be tested without hardware.
//!
//! `retune(f)` picks the sub-band centred at `f`: the wideband samples are shifted by
//! `f − wide centre` and low-passed/decimated to the virtual device's rate with
//! [`towerwatch_dsp::filter::ChannelExtractor`]. A window whose centre lies outside the wide
//! source's band delivers silence (zeros) — what a receiver tuned to an empty band would see —
//! without consuming wideband samples. A window that reaches past an edge of the recorded band
//! hears only the recorded part: the extractor is centred on the part inside, its filter stops
//! at the band edge (where a complex recording wraps round to its other edge), and its output is
//! shifted back to the window's centre. Without that, a cell at the bottom of a recording would
//! be "heard" again just above its top, under its own identity (a phantom clone).
//!
//! At the end of the wideband source the tuner reopens it (`reopen`), so a short recording can
//! feed a sweep of any length; with `rewind_on_retune` every tuning starts from the recording's
//! first sample, so each step of a sweep sees the same stretch of signal (deterministic tests).

use crate::source::{SampleSource, SourceError, SourceInfo, SourceStats};
use num_complex::Complex32;
use towerwatch_dsp::filter::{ChannelExtractor, FreqShifter};

/// A window narrower than this fraction of the tuner's rate inside the recorded band is silence.
const MIN_INSIDE_FRACTION: f64 = 0.05;

/// Opens (or reopens) the wideband source.
pub type Opener = Box<dyn FnMut() -> Result<Box<dyn SampleSource>, SourceError> + Send>;

/// Settings of a virtual tuner.
#[derive(Debug, Clone, Copy)]
pub struct TunerConfig {
    /// Output sample rate of the virtual device.
    pub rate_sps: f64,
    /// Flat passband (two-sided) of the virtual device, Hz (≤ rate).
    pub bandwidth_hz: f64,
    /// Start from the first wideband sample at every retune (files only).
    pub rewind_on_retune: bool,
    /// Reopen the wideband source when it ends (else the tuner ends with it).
    pub looped: bool,
}

/// The virtual tuner.
pub struct VirtualTuner {
    open: Option<Opener>,
    wide: Box<dyn SampleSource>,
    wide_rate: f64,
    wide_centre: f64,
    cfg: TunerConfig,
    info: SourceInfo,
    tuned_hz: f64,
    extractor: Option<ChannelExtractor>,
    /// Moves the extractor's output back to the window's centre when the window reaches past an
    /// edge of the recorded band (the extractor is then centred on the part inside).
    recentre: Option<FreqShifter>,
    shifted: Vec<Complex32>,
    inbuf: Vec<Complex32>,
    pending: Vec<Complex32>,
    pending_pos: usize,
    reopens: u64,
}

impl VirtualTuner {
    /// A tuner over the source `open` returns (called again to loop or rewind; without an
    /// opener the source is read once, as a live stream is). Starts tuned to the wide centre.
    pub fn new(
        wide: Box<dyn SampleSource>,
        open: Option<Opener>,
        cfg: TunerConfig,
    ) -> Result<VirtualTuner, SourceError> {
        let wi = wide.info().clone();
        if !(cfg.rate_sps > 0.0 && cfg.rate_sps <= wi.sample_rate_sps) {
            return Err(SourceError::Unsupported(format!(
                "virtual tuner: rate {} S/s must be positive and at most the wideband rate {} S/s",
                cfg.rate_sps, wi.sample_rate_sps
            )));
        }
        if !(cfg.bandwidth_hz > 0.0 && cfg.bandwidth_hz <= cfg.rate_sps) {
            return Err(SourceError::Unsupported(format!(
                "virtual tuner: bandwidth {} Hz must be positive and at most the rate {} S/s",
                cfg.bandwidth_hz, cfg.rate_sps
            )));
        }
        let info = SourceInfo {
            description: format!(
                "virtual tuner ({:.0} kS/s) over {}",
                cfg.rate_sps / 1e3,
                wi.description
            ),
            sample_rate_sps: cfg.rate_sps,
            center_freq_hz: wi.center_freq_hz,
            format: "cf32_le".into(),
            start_time: wi.start_time.clone(),
            hardware: wi.hardware.clone(),
            total_samples: None,
            segments: Vec::new(),
            live: wi.live,
        };
        let mut t = VirtualTuner {
            open,
            wide_rate: wi.sample_rate_sps,
            wide_centre: wi.center_freq_hz,
            wide,
            cfg,
            info,
            tuned_hz: wi.center_freq_hz,
            extractor: None,
            recentre: None,
            shifted: Vec::new(),
            inbuf: Vec::new(),
            pending: Vec::new(),
            pending_pos: 0,
            reopens: 0,
        };
        t.set_window(wi.center_freq_hz)?;
        Ok(t)
    }

    /// How often the wideband source was reopened (loops and rewinds).
    pub fn reopens(&self) -> u64 {
        self.reopens
    }

    fn set_window(&mut self, freq_hz: f64) -> Result<(), SourceError> {
        let offset = freq_hz - self.wide_centre;
        self.tuned_hz = freq_hz;
        self.info.center_freq_hz = freq_hz;
        self.pending.clear();
        self.pending_pos = 0;
        self.recentre = None;
        let bad = |e: towerwatch_dsp::filter::FilterError| {
            SourceError::Unsupported(format!("virtual tuner: {e}"))
        };
        let (edge, half_rate) = (self.wide_rate / 2.0, self.cfg.rate_sps / 2.0);
        let lo = (offset - half_rate).max(-edge);
        let hi = (offset + half_rate).min(edge);
        self.extractor = if lo <= offset - half_rate && hi >= offset + half_rate {
            // The whole window was recorded.
            let pass = self.cfg.bandwidth_hz / 2.0;
            let stop = half_rate.max(pass * 1.05);
            Some(
                ChannelExtractor::new(self.wide_rate, offset, self.cfg.rate_sps, pass, stop)
                    .map_err(bad)?,
            )
        } else if hi - lo >= MIN_INSIDE_FRACTION * self.cfg.rate_sps {
            // Part of the window lies past an edge: hear only the part inside.
            let centre = (lo + hi) / 2.0;
            let stop = (hi - lo) / 2.0;
            let pass = (self.cfg.bandwidth_hz / 2.0).min(stop * 0.9);
            let ex = ChannelExtractor::new(self.wide_rate, centre, self.cfg.rate_sps, pass, stop)
                .map_err(bad)?;
            self.recentre =
                Some(FreqShifter::new(offset - centre, ex.output_rate_sps()).map_err(bad)?);
            Some(ex)
        } else {
            None
        };
        Ok(())
    }

    fn reopen(&mut self) -> Result<bool, SourceError> {
        match &mut self.open {
            Some(open) => {
                self.wide = open()?;
                self.reopens += 1;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

impl SampleSource for VirtualTuner {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read(&mut self, buf: &mut [Complex32]) -> Result<usize, SourceError> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.extractor.is_none() {
            // Outside the recorded band: silence.
            buf.fill(Complex32::new(0.0, 0.0));
            return Ok(buf.len());
        }
        let mut tries = 0;
        while self.pending_pos >= self.pending.len() {
            self.pending.clear();
            self.pending_pos = 0;
            let want = ((buf.len() as f64 * self.wide_rate / self.cfg.rate_sps).ceil() as usize)
                .clamp(1024, 1 << 18);
            self.inbuf.resize(want, Complex32::new(0.0, 0.0));
            let n = self.wide.read(&mut self.inbuf)?;
            if n == 0 {
                tries += 1;
                if !self.cfg.looped || tries > 2 || !self.reopen()? {
                    return Ok(0);
                }
                continue;
            }
            if let Some(ex) = self.extractor.as_mut() {
                match self.recentre.as_mut() {
                    None => {
                        ex.process(&self.inbuf[..n], &mut self.pending);
                    }
                    Some(sh) => {
                        self.shifted.clear();
                        ex.process(&self.inbuf[..n], &mut self.shifted);
                        sh.process(&self.shifted, &mut self.pending);
                    }
                }
            }
        }
        let n = buf.len().min(self.pending.len() - self.pending_pos);
        buf[..n].copy_from_slice(&self.pending[self.pending_pos..self.pending_pos + n]);
        self.pending_pos += n;
        Ok(n)
    }

    fn frequency_hz(&self) -> f64 {
        self.tuned_hz
    }

    fn retune(&mut self, freq_hz: f64) -> Result<(), SourceError> {
        if !freq_hz.is_finite() || freq_hz <= 0.0 {
            return Err(SourceError::Unsupported(format!(
                "virtual tuner: {freq_hz} Hz is not a frequency"
            )));
        }
        if self.cfg.rewind_on_retune {
            self.reopen()?;
        }
        self.set_window(freq_hz)
    }

    fn stats(&self) -> SourceStats {
        self.wide.stats()
    }
}
