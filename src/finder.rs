//! Finder mode: a hot/cold indicator for walking toward a transmitter.
//!
//! Fed one channel-power reading at a time (stream seconds, dBFS), [`HotCold`] keeps an
//! exponentially smoothed level (time constant `tau_s`), the rate of change (least-squares slope
//! of the raw readings over the last `window_s`), the trend that rate implies, and the peak of the
//! smoothed level so far (how far below the best spot you are).

use serde::Serialize;
use std::collections::VecDeque;

/// Which way the power is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Rising faster than the threshold: getting closer.
    Hotter,
    /// Within ± the threshold.
    Steady,
    /// Falling faster than the threshold: moving away.
    Colder,
}

impl Trend {
    /// Arrow for terminals.
    pub fn arrow(self) -> &'static str {
        match self {
            Trend::Hotter => "▲",
            Trend::Steady => "►",
            Trend::Colder => "▼",
        }
    }
    /// Word for terminals.
    pub fn word(self) -> &'static str {
        match self {
            Trend::Hotter => "HOTTER",
            Trend::Steady => "steady",
            Trend::Colder => "colder",
        }
    }
}

/// One indicator update.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Reading {
    /// Stream time of the reading.
    pub time_s: f64,
    /// Channel power as measured.
    pub power_dbfs: f64,
    /// Smoothed power.
    pub smoothed_dbfs: f64,
    /// Rate of change over the window, dB/s.
    pub rate_db_per_s: f64,
    /// Trend from the rate.
    pub trend: Trend,
    /// Highest smoothed power so far.
    pub peak_dbfs: f64,
}

/// The indicator.
#[derive(Debug, Clone)]
pub struct HotCold {
    /// Smoothing time constant, seconds.
    pub tau_s: f64,
    /// Window of the rate estimate, seconds.
    pub window_s: f64,
    /// |rate| above this (dB/s) is a trend.
    pub threshold_db_per_s: f64,
    smoothed: Option<(f64, f64)>,
    history: VecDeque<(f64, f64)>,
    peak: f64,
}

impl Default for HotCold {
    fn default() -> Self {
        HotCold::new(1.0, 3.0, 0.3)
    }
}

impl HotCold {
    /// An indicator with these settings.
    pub fn new(tau_s: f64, window_s: f64, threshold_db_per_s: f64) -> Self {
        HotCold {
            tau_s: tau_s.max(1e-3),
            window_s: window_s.max(1e-3),
            threshold_db_per_s: threshold_db_per_s.abs(),
            smoothed: None,
            history: VecDeque::new(),
            peak: f64::NEG_INFINITY,
        }
    }

    /// Add a reading; non-finite powers and times going backwards are ignored (None).
    pub fn update(&mut self, time_s: f64, power_dbfs: f64) -> Option<Reading> {
        if !time_s.is_finite() || !power_dbfs.is_finite() {
            return None;
        }
        if let Some((t_prev, _)) = self.smoothed
            && time_s < t_prev
        {
            return None;
        }
        let s = match self.smoothed {
            None => power_dbfs,
            Some((t_prev, s_prev)) => {
                let alpha = 1.0 - (-(time_s - t_prev) / self.tau_s).exp();
                s_prev + alpha * (power_dbfs - s_prev)
            }
        };
        self.smoothed = Some((time_s, s));
        self.peak = self.peak.max(s);
        self.history.push_back((time_s, power_dbfs));
        while self
            .history
            .front()
            .is_some_and(|(t, _)| time_s - t > self.window_s)
        {
            self.history.pop_front();
        }
        let rate = slope(&self.history);
        let trend = if rate > self.threshold_db_per_s {
            Trend::Hotter
        } else if rate < -self.threshold_db_per_s {
            Trend::Colder
        } else {
            Trend::Steady
        };
        Some(Reading {
            time_s,
            power_dbfs,
            smoothed_dbfs: s,
            rate_db_per_s: rate,
            trend,
            peak_dbfs: self.peak,
        })
    }
}

/// Least-squares slope of (t, y); 0 with fewer than two distinct times.
fn slope(h: &VecDeque<(f64, f64)>) -> f64 {
    let n = h.len() as f64;
    if h.len() < 2 {
        return 0.0;
    }
    let mt = h.iter().map(|p| p.0).sum::<f64>() / n;
    let my = h.iter().map(|p| p.1).sum::<f64>() / n;
    let stt: f64 = h.iter().map(|p| (p.0 - mt).powi(2)).sum();
    if stt < 1e-12 {
        return 0.0;
    }
    h.iter().map(|p| (p.0 - mt) * (p.1 - my)).sum::<f64>() / stt
}

/// A bar of `width` cells for a level between `peak − 30 dB` and the peak.
pub fn bar(r: &Reading, width: usize) -> String {
    let frac = ((r.smoothed_dbfs - (r.peak_dbfs - 30.0)) / 30.0).clamp(0.0, 1.0);
    let filled = (frac * width as f64).round() as usize;
    format!(
        "{}{}",
        "#".repeat(filled),
        ".".repeat(width - filled.min(width))
    )
}

/// The terminal line: `t 12.3 s  -23.4 dBFS  avg -23.8  ▲ +1.2 dB/s HOTTER  peak -20.1 (-3.7 dB)  [####....]`.
pub fn line(label: &str, r: &Reading) -> String {
    format!(
        "{label}  t {:6.1} s  {:6.1} dBFS  avg {:6.1}  {} {:>5} dB/s {:<6}  peak {:6.1} ({:+.1} dB)  [{}]",
        r.time_s,
        r.power_dbfs,
        r.smoothed_dbfs,
        r.trend.arrow(),
        crate::num::signed1(r.rate_db_per_s),
        r.trend.word(),
        r.peak_dbfs,
        r.smoothed_dbfs - r.peak_dbfs,
        bar(r, 20)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rising_power_is_hotter_and_rate_is_measured() {
        let mut h = HotCold::default();
        let mut last = None;
        for i in 0..40 {
            let t = i as f64 * 0.25;
            last = h.update(t, -60.0 + 2.0 * t);
        }
        let r = last.unwrap();
        assert_eq!(r.trend, Trend::Hotter);
        assert!((r.rate_db_per_s - 2.0).abs() < 1e-6, "{r:?}");
        assert!(r.smoothed_dbfs < r.power_dbfs);
        for i in 40..80 {
            let t = i as f64 * 0.25;
            last = h.update(t, -40.0 - 1.5 * (t - 10.0));
        }
        let r = last.unwrap();
        assert_eq!(r.trend, Trend::Colder);
        assert!((r.rate_db_per_s + 1.5).abs() < 1e-6, "{r:?}");
        assert!(r.peak_dbfs > r.smoothed_dbfs + 5.0);
    }

    #[test]
    fn bad_readings_are_ignored() {
        let mut h = HotCold::default();
        assert!(h.update(1.0, f64::NAN).is_none());
        assert!(h.update(1.0, -50.0).is_some());
        assert!(h.update(0.5, -50.0).is_none());
        let r = h.update(2.0, -50.0).unwrap();
        assert_eq!(r.trend, Trend::Steady);
        assert!(line("ARFCN 21", &r).contains("steady"));
    }
}
