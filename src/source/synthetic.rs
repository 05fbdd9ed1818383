//! A synthetic test source: complex tones plus white Gaussian noise, deterministic from a seed.
//! (The full GSM scene generator is `towerwatch synth`.)
//!
//! Spec string for the command line: `synth:rate=2.048e6,freq=941e6,tone=300e3@-10,noise=-60,seconds=2,seed=1`
//! (`realtime=1` paces the output at the sample rate, like a receiver)
//! (`tone=OFFSET_HZ@POWER_DBFS` may repeat; `noise` is total noise power in dBFS).

use super::{SampleSource, Segment, SourceError, SourceInfo};
use num_complex::Complex32;
use towerwatch_dsp::signal::{Rng, Tone, add_noise};

/// A tones-plus-noise source.
pub struct SynthSource {
    info: SourceInfo,
    tones: Vec<Tone>,
    noise_power: f64,
    rng: Rng,
    remaining: Option<u64>,
    /// Pace output at the sample rate, like a receiver (`realtime=1`).
    pacing: Option<(std::time::Instant, u64)>,
}

impl SynthSource {
    /// Build from parts. `tones` are (offset Hz, power dBFS); `noise_dbfs` is total noise power.
    pub fn new(
        rate_sps: f64,
        freq_hz: f64,
        tones: &[(f64, f64)],
        noise_dbfs: Option<f64>,
        seed: u64,
        total_samples: Option<u64>,
    ) -> SynthSource {
        let info = SourceInfo {
            description: "synthetic tones + noise".into(),
            sample_rate_sps: rate_sps,
            center_freq_hz: freq_hz,
            format: "cf32_le".into(),
            start_time: None,
            hardware: None,
            total_samples,
            segments: vec![Segment {
                sample_start: 0,
                frequency_hz: freq_hz,
            }],
            live: false,
        };
        SynthSource {
            info,
            tones: tones
                .iter()
                .map(|&(f, p)| Tone::new(f, rate_sps, 10f64.powf(p / 20.0) as f32, 0.0))
                .collect(),
            noise_power: noise_dbfs.map_or(0.0, |n| 10f64.powf(n / 10.0)),
            rng: Rng::new(seed),
            remaining: total_samples,
            pacing: None,
        }
    }

    /// Parse a `synth:key=value,...` spec (see the module docs).
    pub fn from_spec(spec: &str) -> Result<SynthSource, SourceError> {
        let body = spec.strip_prefix("synth:").unwrap_or(spec);
        let bad = |m: String| SourceError::Unsupported(format!("synthetic source '{spec}': {m}"));
        let (mut rate, mut freq, mut noise, mut seconds, mut seed) =
            (2.048e6, 0.0, None, None, 1u64);
        let mut realtime = false;
        let mut tones = Vec::new();
        for kv in body.split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| bad(format!("'{kv}' is not key=value")))?;
            let num = |s: &str| {
                s.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| bad(format!("'{s}' is not a number")))
            };
            match k {
                "rate" => rate = num(v)?,
                "freq" => freq = num(v)?,
                "noise" => noise = Some(num(v)?),
                "seconds" => seconds = Some(num(v)?),
                "seed" => seed = num(v)? as u64,
                "realtime" => realtime = num(v)? != 0.0,
                "tone" => {
                    let (f, p) = v.split_once('@').unwrap_or((v, "0"));
                    tones.push((num(f)?, num(p)?));
                }
                other => return Err(bad(format!("unknown key '{other}'"))),
            }
        }
        if rate <= 0.0 {
            return Err(bad("rate must be positive".into()));
        }
        let total = seconds.map(|s| (s * rate).round().max(0.0) as u64);
        let mut src = SynthSource::new(rate, freq, &tones, noise, seed, total);
        if realtime {
            src.pacing = Some((std::time::Instant::now(), 0));
        }
        Ok(src)
    }
}

impl SampleSource for SynthSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read(&mut self, buf: &mut [Complex32]) -> Result<usize, SourceError> {
        let n = match self.remaining {
            Some(r) => (buf.len() as u64).min(r) as usize,
            None => buf.len(),
        };
        let out = &mut buf[..n];
        out.iter_mut().for_each(|s| *s = Complex32::new(0.0, 0.0));
        for t in &mut self.tones {
            t.add_to(out);
        }
        add_noise(&mut self.rng, self.noise_power, out);
        if let Some(r) = &mut self.remaining {
            *r -= n as u64;
        }
        if let Some((start, done)) = &mut self.pacing {
            *done += n as u64;
            let due = std::time::Duration::from_secs_f64(*done as f64 / self.info.sample_rate_sps);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        Ok(n)
    }
}
