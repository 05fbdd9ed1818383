//! A GSM scene generated on the fly as a sample source: `scene:recordings/scenes/sms-blaster.toml`
//! (optionally `scene:FILE.toml,seconds=30,rate=2.4e6,seed=7,realtime=1`). The same samples `towerwatch synth`
//! would write, without the file: long demos and latency tests need no large recording.

use super::{SampleSource, Segment, SourceError, SourceInfo};
use crate::scene::lte::MixedScene;
use crate::scene::{SynthOptions, load_scene};
use num_complex::Complex32;
use std::path::Path;
use std::time::{Duration, Instant};

/// The scene generator behind the `SampleSource` trait.
pub struct SceneSource {
    info: SourceInfo,
    scene: MixedScene,
    remaining: u64,
    pacing: Option<(Instant, u64)>,
}

impl SceneSource {
    /// Parse `scene:PATH[,seconds=S][,realtime=1]` and build the generator.
    pub fn from_spec(spec: &str) -> Result<SceneSource, SourceError> {
        let body = spec.strip_prefix("scene:").unwrap_or(spec);
        let mut parts = body.split(',');
        let path = Path::new(parts.next().unwrap_or_default());
        let mut opts = SynthOptions::default();
        let mut realtime = false;
        for kv in parts {
            let bad = || {
                SourceError::format(
                    path,
                    format!("scene option '{kv}' (use seconds=S, rate=SPS, seed=N, realtime=1)"),
                )
            };
            let (k, v) = kv.split_once('=').ok_or_else(bad)?;
            let v: f64 = v
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite() && *x >= 0.0)
                .ok_or_else(bad)?;
            match k {
                "seconds" => opts.duration_s = Some(v),
                "rate" => opts.sample_rate_sps = Some(v),
                "seed" => opts.seed = Some(v as u64),
                "realtime" => realtime = v != 0.0,
                _ => return Err(bad()),
            }
        }
        let loaded =
            load_scene(path, &opts).map_err(|e| SourceError::format(path, e.to_string()))?;
        let cfg = &loaded.config;
        let scene = loaded
            .generator()
            .map_err(|e| SourceError::format(path, e))?;
        let total = (loaded.duration_s * cfg.sample_rate_sps).round() as u64;
        let info = SourceInfo {
            description: format!("scene {}", path.display()),
            sample_rate_sps: cfg.sample_rate_sps,
            center_freq_hz: cfg.center_freq_hz,
            format: "cf32_le".into(),
            start_time: None,
            hardware: Some("synthetic (towerwatch synth)".into()),
            total_samples: Some(total),
            segments: vec![Segment {
                sample_start: 0,
                frequency_hz: cfg.center_freq_hz,
            }],
            live: false,
        };
        Ok(SceneSource {
            info,
            scene,
            remaining: total,
            pacing: realtime.then(|| (Instant::now(), 0)),
        })
    }
}

impl SampleSource for SceneSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read(&mut self, buf: &mut [Complex32]) -> Result<usize, SourceError> {
        let n = (buf.len() as u64).min(self.remaining) as usize;
        if n == 0 {
            return Ok(0);
        }
        self.scene.fill(&mut buf[..n]);
        self.remaining -= n as u64;
        if let Some((start, done)) = &mut self.pacing {
            *done += n as u64;
            let due = Duration::from_secs_f64(*done as f64 / self.info.sample_rate_sps);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        Ok(n)
    }
}
