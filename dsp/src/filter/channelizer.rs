//! Many channels at once: the FFT filter bank that feeds every receiver of a wide input.

use super::*;

/// FFT filter bank (overlap-save fast convolution) that extracts many channels at once from a
/// wide input: one `N`-point FFT per block serves every channel; each channel then costs a
/// multiply over `N/D` bins and one `N/D`-point inverse FFT, so the whole bank is
/// O(N log N) per block instead of one full-rate mixer and filter per channel.
///
/// Each channel is centred on the FFT bin nearest its requested offset and delivered at
/// `input rate / D`; the remaining offset (at most half a bin) is reported by
/// [`Channelizer::residual_hz`] for the consumer (e.g. the GSM receiver's own mixer) to remove.
/// Output sample `m` of every channel represents input time `m·D − (L−1)/2`
/// ([`Channelizer::input_time`]), `L` being the prototype filter length; `m` counts from the
/// first block of the stream, whenever the channel was added.
///
/// Channels can be added and removed while the stream runs ([`Channelizer::add_channel`],
/// [`Channelizer::remove_channel`]). With a spectrum history ([`Channelizer::set_history_blocks`])
/// a channel added late first gets the output of the blocks still held, so a carrier found by a
/// look at the spectrum is received from before the moment it was found.
#[derive(Clone)]
pub struct Channelizer {
    input_rate_sps: f64,
    n: usize,
    n_out: usize,
    decim: usize,
    hop: usize,
    taps_len: usize,
    fft: std::sync::Arc<dyn rustfft::Fft<f32>>,
    ifft: std::sync::Arc<dyn rustfft::Fft<f32>>,
    /// Filter response on the `n_out` bins around DC, in inverse-FFT order, scaled by `1/N`.
    resp: Vec<Complex32>,
    bins: Vec<usize>,
    residual_hz: Vec<f64>,
    blocks: u64,
    buf: Vec<Complex32>,
    spec: Vec<Complex32>,
    small: Vec<Complex32>,
    scratch: Vec<Complex32>,
    /// Spectra of the most recent blocks (block number, spectrum), oldest first.
    history: std::collections::VecDeque<(u64, Vec<Complex32>)>,
    history_blocks: usize,
    /// Spectrum buffers to reuse.
    spare: Vec<Vec<Complex32>>,
}

impl std::fmt::Debug for Channelizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channelizer")
            .field("n", &self.n)
            .field("decim", &self.decim)
            .field("channels", &self.bins.len())
            .finish_non_exhaustive()
    }
}

impl Channelizer {
    /// A bank for an input at `input_rate_sps`, delivering each channel at `input_rate_sps / decim`,
    /// flat to `pass_hz` and 60 dB down from half the output rate (so `pass_hz` must be below
    /// that), for channels at `offsets_hz` from the input's centre (more can be added later).
    pub fn new(
        input_rate_sps: f64,
        decim: usize,
        pass_hz: f64,
        offsets_hz: &[f64],
    ) -> Result<Self, FilterError> {
        if !(input_rate_sps.is_finite() && input_rate_sps > 0.0) {
            return Err(FilterError::InvalidParameter {
                name: "input_rate_sps",
                value: input_rate_sps,
            });
        }
        if decim == 0 {
            return Err(FilterError::InvalidParameter {
                name: "decim",
                value: 0.0,
            });
        }
        let out_rate = input_rate_sps / decim as f64;
        // Stop-band from half the output rate: the kept bins then hold the whole response (the
        // frequency-domain truncation to N/D bins cuts only what is already 60 dB down, so the
        // effective impulse response stays short and nothing aliases).
        let stop_hz = out_rate / 2.0;
        if !(pass_hz > 0.0 && stop_hz > pass_hz) {
            return Err(FilterError::InvalidParameter {
                name: "pass_hz",
                value: pass_hz,
            });
        }
        let taps = lowpass_for(input_rate_sps, pass_hz, stop_hz, 60.0)?;
        let l = taps.len();
        // N = D · n_out with N ≥ 4 L and n_out a power of two (fast inverse FFTs; the forward
        // FFT then has the factors of D and a power of two).
        let n_out = (4 * l).div_ceil(decim).max(8).next_power_of_two();
        let n = n_out * decim;
        let skip = (l - 1).div_ceil(decim);
        let valid = n_out - skip;
        let hop = valid * decim;
        let mut planner = rustfft::FftPlanner::<f32>::new();
        let fft = planner.plan_fft_forward(n);
        let ifft = planner.plan_fft_inverse(n_out);
        // Filter response at all N bins, then the n_out bins around DC.
        let mut h = vec![Complex32::new(0.0, 0.0); n];
        for (d, t) in h.iter_mut().zip(&taps) {
            *d = Complex32::new(*t, 0.0);
        }
        fft.process(&mut h);
        let half = n_out / 2;
        let resp = (0..n_out)
            .map(|j| {
                // Inverse-FFT index j ↔ frequency bin j (j < half) or j − n_out (negative).
                let k = if j < half { j } else { n - (n_out - j) };
                h.get(k).copied().unwrap_or_default() / n as f32
            })
            .collect();
        let scratch_len = fft
            .get_inplace_scratch_len()
            .max(ifft.get_inplace_scratch_len());
        let mut bank = Channelizer {
            input_rate_sps,
            n,
            n_out,
            decim,
            hop,
            taps_len: l,
            fft,
            ifft,
            resp,
            bins: Vec::with_capacity(offsets_hz.len()),
            residual_hz: Vec::with_capacity(offsets_hz.len()),
            blocks: 0,
            buf: vec![Complex32::new(0.0, 0.0); n - hop],
            spec: vec![Complex32::new(0.0, 0.0); n],
            small: vec![Complex32::new(0.0, 0.0); n_out],
            scratch: vec![Complex32::new(0.0, 0.0); scratch_len],
            history: std::collections::VecDeque::new(),
            history_blocks: 0,
            spare: Vec::new(),
        };
        for &f in offsets_hz {
            bank.push_channel(f)?;
        }
        Ok(bank)
    }

    fn push_channel(&mut self, offset_hz: f64) -> Result<usize, FilterError> {
        if !(offset_hz.is_finite() && offset_hz.abs() < self.input_rate_sps / 2.0) {
            return Err(FilterError::InvalidParameter {
                name: "offsets_hz",
                value: offset_hz,
            });
        }
        let bin_hz = self.input_rate_sps / self.n as f64;
        let k = (offset_hz / bin_hz).round() as i64;
        self.bins.push(k.rem_euclid(self.n as i64) as usize);
        self.residual_hz.push(offset_hz - k as f64 * bin_hz);
        Ok(self.bins.len() - 1)
    }

    /// Keeps the spectra of the last `blocks` blocks for channels added later (0 = none, the
    /// default). Memory: `blocks × N` complex samples.
    pub fn set_history_blocks(&mut self, blocks: usize) {
        self.history_blocks = blocks;
        while self.history.len() > blocks {
            if let Some((_, s)) = self.history.pop_front() {
                self.spare.push(s);
            }
        }
    }

    /// Blocks of spectrum history kept (see [`Channelizer::set_history_blocks`]).
    pub fn history_blocks(&self) -> usize {
        self.history_blocks
    }

    /// Adds a channel at `offset_hz` from the input's centre; it becomes channel number
    /// [`Channelizer::channels`] − 1. The output of the blocks still held in the history (none
    /// without [`Channelizer::set_history_blocks`]) is appended to `out` at once. Returns the
    /// output index (see [`Channelizer::input_time`]) of the first sample this channel delivers,
    /// in `out` now or from the next [`Channelizer::process`] on.
    pub fn add_channel(
        &mut self,
        offset_hz: f64,
        out: &mut Vec<Complex32>,
    ) -> Result<u64, FilterError> {
        let c = self.push_channel(offset_hz)?;
        let valid = (self.hop / self.decim) as u64;
        let Some(first_block) = self.history.front().map(|(b, _)| *b) else {
            return Ok(self.blocks * valid);
        };
        let history = std::mem::take(&mut self.history);
        for (b, spec) in &history {
            self.extract(spec, c, *b, out);
        }
        self.history = history;
        Ok(first_block * valid)
    }

    /// Removes channel `i` (later channels move down by one). Out-of-range indices are ignored.
    pub fn remove_channel(&mut self, i: usize) {
        if i < self.bins.len() {
            self.bins.remove(i);
            self.residual_hz.remove(i);
        }
    }

    /// Number of channels.
    pub fn channels(&self) -> usize {
        self.bins.len()
    }

    /// Output rate of every channel.
    pub fn output_rate_sps(&self) -> f64 {
        self.input_rate_sps / self.decim as f64
    }

    /// Decimation factor `D`.
    pub fn decim(&self) -> usize {
        self.decim
    }

    /// FFT size `N`.
    pub fn fft_len(&self) -> usize {
        self.n
    }

    /// Input samples per block (the FFT advances by this much).
    pub fn hop(&self) -> usize {
        self.hop
    }

    /// Output index of the next sample [`Channelizer::process`] will deliver on every channel.
    pub fn output_index(&self) -> u64 {
        self.blocks * (self.hop / self.decim) as u64
    }

    /// Offset of channel `i`'s requested frequency from the bin centre it was mixed from, Hz:
    /// a signal at the requested offset appears at this frequency in the channel's output.
    pub fn residual_hz(&self, i: usize) -> Option<f64> {
        self.residual_hz.get(i).copied()
    }

    /// Input time (fractional input index) that output sample `m` of any channel represents.
    pub fn input_time(&self, m: f64) -> f64 {
        m * self.decim as f64 - (self.taps_len as f64 - 1.0) / 2.0
    }

    /// Appends channel `c`'s output for block `b` (whose spectrum is `spec`) to `out`.
    fn extract(&mut self, spec: &[Complex32], c: usize, b: u64, out: &mut Vec<Complex32>) {
        let (n, n_out, half) = (self.n, self.n_out, self.n_out / 2);
        let valid = self.hop / self.decim;
        let Some(&k) = self.bins.get(c) else { return };
        // Block b starts at input time b·hop − (N − hop): the bin shift by k mixes relative to
        // the block start, so rotate by exp(−j2π k (b·hop − (N − hop)) / N) to make it absolute.
        let (kk, nn, bb) = (k as u128, n as u128, u128::from(b));
        let pos = (kk * ((bb * self.hop as u128) % nn)) % nn;
        let neg = (kk * (nn - self.hop as u128)) % nn;
        let ph = ((pos + nn - neg) % nn) as f64 / n as f64;
        let rot = Complex32::new((-TAU * ph).cos() as f32, (-TAU * ph).sin() as f32);
        // Bins k … k + n_out/2 − 1 go to the first half, k − n_out/2 … k − 1 to the second.
        let mut src = (k + n - half) % n;
        let (lo, hi) = self.small.split_at_mut(half);
        let (rlo, rhi) = self.resp.split_at(half);
        for (s, r) in hi.iter_mut().zip(rhi).chain(lo.iter_mut().zip(rlo)) {
            *s = spec.get(src).copied().unwrap_or_default() * *r;
            src += 1;
            if src == n {
                src = 0;
            }
        }
        self.ifft
            .process_with_scratch(&mut self.small, &mut self.scratch);
        out.extend(self.small.iter().skip(n_out - valid).map(|v| *v * rot));
    }

    /// Channelizes `input`, appending each channel's samples to `outs[i]` (`outs` must hold at
    /// least [`Channelizer::channels`] vectors; extra ones are left alone). Returns `input.len()`.
    pub fn process(&mut self, input: &[Complex32], outs: &mut [Vec<Complex32>]) -> usize {
        self.process_observed(input, outs, |_, _| {})
    }

    /// As [`Channelizer::process`], also handing each block's spectrum (block number, the
    /// `N`-point FFT of the block in natural order) to `observe`, e.g. a
    /// [`crate::gsm::rx::fcch_wide::SpectralFcch`] looking for carriers before any channel is
    /// extracted.
    pub fn process_observed(
        &mut self,
        input: &[Complex32],
        outs: &mut [Vec<Complex32>],
        mut observe: impl FnMut(u64, &[Complex32]),
    ) -> usize {
        self.buf.extend_from_slice(input);
        let n = self.n;
        let mut start = 0;
        while start + n <= self.buf.len() {
            if let Some(block) = self.buf.get(start..start + n) {
                self.spec.copy_from_slice(block);
            }
            self.fft
                .process_with_scratch(&mut self.spec, &mut self.scratch);
            let spec = std::mem::take(&mut self.spec);
            let b = self.blocks;
            observe(b, &spec);
            for (c, out) in outs.iter_mut().enumerate().take(self.bins.len()) {
                self.extract(&spec, c, b, out);
            }
            if self.history_blocks > 0 {
                let mut keep = if self.history.len() >= self.history_blocks {
                    self.history.pop_front().map(|(_, s)| s).unwrap_or_default()
                } else {
                    self.spare.pop().unwrap_or_default()
                };
                keep.clear();
                keep.extend_from_slice(&spec);
                self.history.push_back((b, keep));
            }
            self.spec = spec;
            self.blocks += 1;
            start += self.hop;
        }
        self.buf.drain(..start);
        input.len()
    }
}
