//! One channel: mixed down to 0 Hz and resampled to samples per GSM symbol.

use super::*;

/// Extracts one channel: mixes `offset_hz` to 0 Hz, low-passes and resamples to exactly
/// `output_rate_sps` when the ratio is a small fraction (all usual SDR rates against GSM's 13 MHz
/// clock are), otherwise to the nearest rate reachable with at most 2048 polyphase branches
/// ([`ChannelExtractor::output_rate_sps`] says which).
///
/// Stages: mixer at the input rate → optional integer pre-decimator (when the input is more than
/// 4× the output rate, to an intermediate rate ≥ 2× the output) → polyphase rational resampler
/// whose prototype is the channel filter (flat to `pass_hz`, 60 dB down from `stop_hz`).
#[derive(Debug, Clone)]
pub struct ChannelExtractor {
    input_rate_sps: f64,
    output_rate_sps: f64,
    shifter: FreqShifter,
    pre: Option<FirDecimator>,
    resampler: RationalResampler,
    mixed: Vec<Complex32>,
    pre_out: Vec<Complex32>,
}

impl ChannelExtractor {
    /// A channel at `offset_hz` from the centre of an input at `input_rate_sps`, delivered at
    /// (about) `output_rate_sps`, with a channel filter flat to `pass_hz` and 60 dB down from
    /// `stop_hz` (both must be below half the output rate's Nyquist band edges to avoid aliasing).
    pub fn new(
        input_rate_sps: f64,
        offset_hz: f64,
        output_rate_sps: f64,
        pass_hz: f64,
        stop_hz: f64,
    ) -> Result<Self, FilterError> {
        for (name, v) in [
            ("input_rate_sps", input_rate_sps),
            ("output_rate_sps", output_rate_sps),
        ] {
            if !(v.is_finite() && (1.0..1e11).contains(&v)) {
                return Err(FilterError::InvalidParameter { name, value: v });
            }
        }
        let shifter = FreqShifter::new(offset_hz, input_rate_sps)?;
        let mut rate1 = input_rate_sps;
        let mut pre = None;
        let ratio = input_rate_sps / output_rate_sps;
        if ratio > 4.0 {
            let d = (input_rate_sps / (2.0 * output_rate_sps)).floor().max(1.0) as usize;
            if d >= 2 {
                rate1 = input_rate_sps / d as f64;
                let taps = lowpass_for(input_rate_sps, stop_hz, rate1 - stop_hz, 60.0)?;
                pre = Some(FirDecimator::new(d, &taps)?);
            }
        }
        // Exact ratio when both rates are (close to) integers in Hz with a small reduced fraction.
        let (up, down) = {
            let a = output_rate_sps.round();
            let b = rate1.round();
            let exact = (output_rate_sps - a).abs() < 1e-6 && (rate1 - b).abs() < 1e-6;
            let mut pair = None;
            if exact {
                let (a, b) = (a as u64, b as u64);
                let g = gcd(a, b).max(1);
                let (u, d) = (a / g, b / g);
                if u <= 2048 && d <= 1 << 20 {
                    pair = Some((u, d));
                }
            }
            match pair {
                Some(p) => p,
                None => rational_approx(output_rate_sps / rate1, 2048, 1 << 20),
            }
        };
        let out_rate = rate1 * up as f64 / down as f64;
        let proto_rate = rate1 * up as f64;
        let taps = lowpass_for(
            proto_rate,
            pass_hz,
            stop_hz.min(out_rate / 2.0 + pass_hz),
            60.0,
        )?;
        let resampler = RationalResampler::new(up as usize, down as usize, &taps)?;
        Ok(ChannelExtractor {
            input_rate_sps,
            output_rate_sps: out_rate,
            shifter,
            pre,
            resampler,
            mixed: Vec::new(),
            pre_out: Vec::new(),
        })
    }

    /// The output rate actually produced.
    pub fn output_rate_sps(&self) -> f64 {
        self.output_rate_sps
    }

    /// The input rate.
    pub fn input_rate_sps(&self) -> f64 {
        self.input_rate_sps
    }

    /// The frequency (relative to the input's centre) currently mixed to 0 Hz.
    pub fn offset_hz(&self) -> f64 {
        self.shifter.freq_hz()
    }

    /// Retunes the mixer from the next input sample on (phase continuous).
    pub fn set_offset_hz(&mut self, offset_hz: f64) {
        self.shifter.set_freq_hz(offset_hz);
    }

    /// Input sample time (fractional input index) that output sample `m` represents.
    pub fn input_time(&self, m: f64) -> f64 {
        let t1 = self.resampler.output_time(m);
        match &self.pre {
            Some(p) => p.output_time(t1),
            None => t1,
        }
    }

    /// The final resampler (whose input is the stream [`ChannelExtractor::process_front`] makes).
    pub fn resampler(&self) -> &RationalResampler {
        &self.resampler
    }

    /// Runs only the mixer and the pre-decimator, appending the stream the final resampler reads
    /// to `re`/`im` (real and imaginary parts). With [`RationalResampler::outputs_at`] on
    /// [`ChannelExtractor::resampler`] this extracts the channel lazily: only the output samples
    /// asked for are computed, with the same values [`ChannelExtractor::process`] gives.
    pub fn process_front(&mut self, input: &[Complex32], re: &mut Vec<f32>, im: &mut Vec<f32>) {
        self.mixed.clear();
        self.shifter.process(input, &mut self.mixed);
        let stream = match &mut self.pre {
            Some(p) => {
                self.pre_out.clear();
                p.process(&self.mixed, &mut self.pre_out);
                &self.pre_out
            }
            None => &self.mixed,
        };
        re.extend(stream.iter().map(|v| v.re));
        im.extend(stream.iter().map(|v| v.im));
    }

    /// Extracts the channel from `input`, appending output samples to `out`. Returns `input.len()`.
    pub fn process(&mut self, input: &[Complex32], out: &mut Vec<Complex32>) -> usize {
        self.mixed.clear();
        self.shifter.process(input, &mut self.mixed);
        match &mut self.pre {
            Some(p) => {
                self.pre_out.clear();
                p.process(&self.mixed, &mut self.pre_out);
                self.resampler.process(&self.pre_out, out);
            }
            None => {
                self.resampler.process(&self.mixed, out);
            }
        }
        input.len()
    }
}
