//! Band scan (`towerwatch scan`): hop a tunable source over a GSM band in steps that fit the
//! receiver's usable bandwidth, dwell at each step long enough to find FCCH, camp while the
//! carriers found there deliver SI1–SI4 (or until a timeout), move on, and keep revisiting.
//!
//! The sweep logic is [`Sweep`], a pure state machine: it is told how many samples were
//! analysed and what was observed, and answers whether to stay, retune or stop. [`run_scan`]
//! drives it with any [`SampleSource`] that can retune (a live receiver, or
//! [`crate::source::tuner::VirtualTuner`] over a wideband recording) and the same
//! [`GsmStage`] the replay pipeline uses.
//!
//! Receiver clock error: every carrier's FCCH offset includes the receiver's own error. Like
//! `kal -c`, the scan takes the median offset (in ppm) of all carriers measured so far as the
//! receiver's error and reports each carrier's offset with it removed.

use crate::observation::Observation;
use crate::pipeline::Block;
use crate::pipeline::gsm::{GsmStage, GsmStageConfig};
use crate::source::{SampleSource, SourceError};
use num_complex::Complex32;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use towerwatch_dsp::arfcn::{Band, Direction};
use towerwatch_dsp::gsm::l3::Message;
use towerwatch_dsp::spectrum::{Welch, WelchConfig};

/// GSM channel spacing.
const CHANNEL_HZ: f64 = 200e3;

/// Errors of a scan.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The settings make no sweep (bandwidth too small, empty range).
    #[error("scan settings: {0}")]
    Config(String),
    /// The source failed (read or retune).
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The GSM stage at a step failed.
    #[error(transparent)]
    Gsm(#[from] crate::pipeline::gsm::GsmStageError),
}

/// Settings of a sweep.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Band to sweep (downlink).
    pub band: Band,
    /// Only channels in this frequency range (Hz, inclusive), within the band.
    pub range_hz: Option<(f64, f64)>,
    /// Sample rate of the source.
    pub sample_rate_sps: f64,
    /// Usable (flat) bandwidth of the receiver at that rate (hardware profile).
    pub usable_bandwidth_hz: f64,
    /// Seconds of signal per step to look for FCCH (the FCCH repeats every 46 ms; a 51-frame
    /// multiframe lasts 235 ms).
    pub dwell_s: f64,
    /// At most this long (seconds of signal) at a step whose carriers have not yet sent
    /// SI1–SI4 (they take 4 multiframes ≈ 0.94 s when all are sent).
    pub camp_timeout_s: f64,
    /// Samples after a retune to discard (tuner settling).
    pub settle_s: f64,
    /// Stop after this many sweeps over the band (`None`: until stopped).
    pub rounds: Option<u32>,
}

impl ScanConfig {
    /// Defaults for `band` at `sample_rate_sps` with `usable_bandwidth_hz`.
    pub fn new(band: Band, sample_rate_sps: f64, usable_bandwidth_hz: f64) -> ScanConfig {
        ScanConfig {
            band,
            range_hz: None,
            sample_rate_sps,
            usable_bandwidth_hz,
            dwell_s: 0.3,
            camp_timeout_s: 2.5,
            settle_s: 0.0,
            rounds: None,
        }
    }
}

/// Tuning centres covering every downlink channel of `band` (within `range_hz`) with windows of
/// `usable_hz`: each window holds `k = ⌊(usable − 200 kHz)/200 kHz⌋ + 1` whole channels, and
/// successive centres are `k` channels apart.
pub fn plan_steps(band: Band, range_hz: Option<(f64, f64)>, usable_hz: f64) -> Vec<f64> {
    let freqs = band_channels(band, range_hz);
    let Some((&lo, &hi)) = freqs.first().zip(freqs.last()) else {
        return Vec::new();
    };
    let per = channels_per_step(usable_hz) as f64;
    let mut out = Vec::new();
    let mut first = lo;
    while first <= hi + 1.0 {
        out.push(first + (per - 1.0) * CHANNEL_HZ / 2.0);
        first += per * CHANNEL_HZ;
    }
    out
}

/// Whole 200 kHz channels that fit in `usable_hz`.
pub fn channels_per_step(usable_hz: f64) -> u32 {
    (((usable_hz - CHANNEL_HZ) / CHANNEL_HZ + 1e-6).floor() as i64 + 1).max(1) as u32
}

/// Downlink carrier frequencies of `band` within `range_hz`, ascending.
pub fn band_channels(band: Band, range_hz: Option<(f64, f64)>) -> Vec<f64> {
    let mut freqs: Vec<f64> = band
        .arfcns()
        .into_iter()
        .filter_map(|n| band.freq_hz(n, Direction::Downlink))
        .filter(|f| range_hz.is_none_or(|(lo, hi)| *f >= lo - 1.0 && *f <= hi + 1.0))
        .collect();
    freqs.sort_by(f64::total_cmp);
    freqs
}

/// System information types a camp waits for.
const SI_WANTED: u8 = 0b1111;

/// One carrier in the scan table.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ScanRow {
    /// Band the ARFCN is numbered in.
    pub band: Option<Band>,
    /// ARFCN.
    pub arfcn: u16,
    /// Nominal carrier frequency.
    pub freq_hz: f64,
    /// Channel power at the last visit, dBFS.
    pub power_dbfs: Option<f64>,
    /// BSIC from the SCH.
    pub bsic: Option<u8>,
    /// Mobile country code (SI3/SI4).
    pub mcc: Option<u16>,
    /// Mobile network code (2 or 3 digits as sent).
    pub mnc: Option<String>,
    /// Location area code.
    pub lac: Option<u16>,
    /// Cell identity (SI3).
    pub ci: Option<u16>,
    /// Measured FCCH offset (includes the receiver's error), Hz.
    pub offset_hz: Option<f64>,
    /// The same in ppm.
    pub offset_ppm: Option<f64>,
    /// SI1–SI4 seen at the last visit (bit 0 = SI1 … bit 3 = SI4).
    pub si_seen: u8,
    /// Visits at which the carrier was found.
    pub visits: u32,
    /// Sweep round of the last visit at which it was found.
    pub last_round: u32,
}

impl ScanRow {
    /// Whether SI1–SI4 have all been read at the last visit.
    pub fn complete(&self) -> bool {
        self.si_seen & SI_WANTED == SI_WANTED
    }
}

/// What the scan knows: one row per carrier, keyed by nominal frequency (Hz).
#[derive(Debug, Clone, Serialize, Default)]
pub struct ScanTable {
    /// Carriers.
    pub rows: BTreeMap<u64, ScanRow>,
    /// Completed sweeps over the band.
    pub rounds_done: u32,
    /// Steps visited.
    pub steps_visited: u64,
}

impl ScanTable {
    /// The receiver's own clock error, ppm: minus the median FCCH offset of the measured carriers
    /// (those with a decoded SCH, when there are any). A receiver clock that runs fast by x ppm
    /// tunes x ppm high, so every carrier reads x ppm low; real base stations agree within
    /// 0.05 ppm, so their median is the receiver's error. Positive: the receiver runs fast.
    pub fn receiver_ppm(&self) -> Option<f64> {
        // Carriers confirmed by an SCH decode first; FCCH-only measurements when there are none.
        let mut v: Vec<f64> = self
            .rows
            .values()
            .filter(|r| r.bsic.is_some())
            .filter_map(|r| r.offset_ppm)
            .collect();
        if v.is_empty() {
            v = self.rows.values().filter_map(|r| r.offset_ppm).collect();
        }
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let m = v.len() / 2;
        Some(if v.len() % 2 == 1 {
            -v[m]
        } else {
            -(v[m - 1] + v[m]) / 2.0
        })
    }

    /// A carrier's offset with the receiver's error removed, ppm (its own clock error).
    pub fn corrected_ppm(&self, r: &ScanRow) -> Option<f64> {
        Some(r.offset_ppm? + self.receiver_ppm()?)
    }

    /// The table as text, like grgsm_scanner's listing plus BSIC and ppm.
    pub fn render(&self) -> String {
        let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        let mut s = format!(
            "{:>5}  {:>10}  {:>6}  {:>6}  {:>4}  {:>4}  {:>6}  {:>4}  {:>7}  {:<4}\n",
            "ARFCN", "Freq (MHz)", "CID", "LAC", "MCC", "MNC", "Power", "BSIC", "ppm", "SI"
        );
        for r in self.rows.values() {
            let si: String = (0..4)
                .map(|i| {
                    if r.si_seen & (1 << i) != 0 {
                        char::from(b'1' + i)
                    } else {
                        '.'
                    }
                })
                .collect();
            s.push_str(&format!(
                "{:>5}  {:>10.1}  {:>6}  {:>6}  {:>4}  {:>4}  {:>6}  {:>4}  {:>7}  {:<4}\n",
                r.arfcn,
                r.freq_hz / 1e6,
                opt(r.ci.map(|v| v.to_string())),
                opt(r.lac.map(|v| v.to_string())),
                opt(r.mcc.map(|v| v.to_string())),
                opt(r.mnc.clone()),
                opt(r.power_dbfs.map(|p| format!("{p:.1}"))),
                opt(r.bsic.map(|b| b.to_string())),
                opt(self.corrected_ppm(r).map(|p| format!("{p:+.3}"))),
                si
            ));
        }
        match self.receiver_ppm() {
            Some(p) => s.push_str(&format!(
                "receiver clock error (minus the median of {} carriers): {p:+.3} ppm, removed from the ppm column\n",
                {
                    let synced = self
                        .rows
                        .values()
                        .filter(|r| r.offset_ppm.is_some() && r.bsic.is_some())
                        .count();
                    if synced > 0 {
                        synced
                    } else {
                        self.rows.values().filter(|r| r.offset_ppm.is_some()).count()
                    }
                }
            )),
            None => s.push_str("receiver clock error: not measured yet\n"),
        }
        s
    }
}

/// What to do after a batch of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// Keep reading at this frequency.
    Stay,
    /// Retune to this centre frequency (Hz) and start a new step.
    Retune(f64),
    /// The requested number of rounds is done.
    Finished,
}

/// The sweep state machine (no I/O, no clock: driven by sample counts and observations).
#[derive(Debug, Clone)]
pub struct Sweep {
    cfg: ScanConfig,
    steps: Vec<f64>,
    channels: Vec<f64>,
    per_step: u32,
    step: usize,
    round: u32,
    samples: u64,
    found: Vec<u64>,
    table: ScanTable,
}

impl Sweep {
    /// A sweep over the band; errors when no step can be planned.
    pub fn new(cfg: ScanConfig) -> Result<Sweep, ScanError> {
        if cfg.sample_rate_sps.is_nan() || cfg.sample_rate_sps <= 0.0 {
            return Err(ScanError::Config("sample rate must be positive".into()));
        }
        // The GSM stage only discovers carriers in the inner 80% of the spectrum.
        let usable = cfg.usable_bandwidth_hz.min(0.8 * cfg.sample_rate_sps);
        if usable < CHANNEL_HZ {
            return Err(ScanError::Config(format!(
                "usable bandwidth {:.0} kHz is less than one 200 kHz GSM channel",
                usable / 1e3
            )));
        }
        let steps = plan_steps(cfg.band, cfg.range_hz, usable);
        let channels = band_channels(cfg.band, cfg.range_hz);
        let per_step = channels_per_step(usable);
        if steps.is_empty() {
            return Err(ScanError::Config(format!(
                "no {} downlink channel in the requested range",
                cfg.band
            )));
        }
        Ok(Sweep {
            cfg,
            steps,
            channels,
            per_step,
            step: 0,
            round: 0,
            samples: 0,
            found: Vec::new(),
            table: ScanTable::default(),
        })
    }

    /// The planned tuning centres.
    pub fn steps(&self) -> &[f64] {
        &self.steps
    }

    /// Centre frequency of the current step.
    pub fn current_hz(&self) -> f64 {
        self.steps[self.step]
    }

    /// The band's channels inside the current step's window (each gets a receiver: in a
    /// crowded narrow window a power threshold over the window's own noise floor misses
    /// carriers, so every channel is searched for FCCH).
    pub fn step_channels(&self) -> Vec<f64> {
        let half = f64::from(self.per_step - 1) * CHANNEL_HZ / 2.0 + 1.0;
        let c = self.current_hz();
        self.channels
            .iter()
            .copied()
            .filter(|f| (f - c).abs() <= half)
            .collect()
    }

    /// The table so far.
    pub fn table(&self) -> &ScanTable {
        &self.table
    }

    /// True while the samples after a retune should be discarded.
    pub fn settling(&self) -> bool {
        (self.samples as f64) < self.cfg.settle_s * self.cfg.sample_rate_sps
    }

    /// Count discarded (settling) samples.
    pub fn skip(&mut self, n: u64) {
        self.samples += n;
    }

    /// Take in one observation of the current step.
    pub fn observe(&mut self, o: &Observation) {
        let round = self.round;
        match o {
            Observation::Carrier(c) => {
                let k = c.freq_hz.round() as u64;
                let r = self.table.rows.entry(k).or_default();
                if !self.found.contains(&k) {
                    self.found.push(k);
                    r.si_seen = 0;
                    r.visits += 1;
                }
                r.band = Some(c.band);
                r.arfcn = c.arfcn;
                r.freq_hz = c.freq_hz;
                r.offset_hz = Some(c.freq_offset_hz);
                r.offset_ppm = c.freq_offset_ppm;
                r.last_round = round;
            }
            Observation::Sync(s) => {
                if let Some(r) = self.row_of(s.band, s.arfcn) {
                    r.bsic = Some(s.bsic);
                }
            }
            Observation::SystemInfo(m) => {
                let Some(r) = self.row_of(m.band, m.arfcn) else {
                    return;
                };
                let (bit, lai, ci) = match &m.parsed {
                    Message::Si1(_) => (1, None, None),
                    Message::Si2(_) => (2, None, None),
                    Message::Si3(s) => (4, Some(s.lai), Some(s.cell_identity)),
                    Message::Si4(s) => (8, Some(s.lai), None),
                    _ => (0, None, None),
                };
                r.si_seen |= bit;
                if let Some(l) = lai {
                    r.mcc = Some(l.mcc);
                    r.mnc = Some(if l.mnc_3digits {
                        format!("{:03}", l.mnc)
                    } else {
                        format!("{:02}", l.mnc)
                    });
                    r.lac = Some(l.lac);
                }
                if ci.is_some() {
                    r.ci = ci;
                }
            }
            Observation::Spectrum(s) => {
                for c in &s.channels {
                    let k = c.freq_hz.round() as u64;
                    if !self.found.contains(&k) {
                        continue;
                    }
                    if let Some(r) = self.table.rows.get_mut(&k) {
                        r.power_dbfs = Some(c.power_dbfs);
                    }
                }
            }
            _ => {}
        }
    }

    fn row_of(&mut self, band: Band, arfcn: u16) -> Option<&mut ScanRow> {
        let f = band.freq_hz(arfcn, Direction::Downlink)?.round() as u64;
        if !self.found.contains(&f) {
            return None;
        }
        self.table.rows.get_mut(&f)
    }

    /// Account for `n` analysed samples: `true` when the current step is done (FCCH dwell
    /// over with nothing found, or every carrier found has sent SI1–SI4, or the camp timed
    /// out). The driver then flushes the step's last observations and calls [`Sweep::next_step`].
    pub fn advance(&mut self, n: u64) -> bool {
        self.samples += n;
        let t = self.samples as f64 / self.cfg.sample_rate_sps - self.cfg.settle_s;
        if self.found.is_empty() {
            return t >= self.cfg.dwell_s;
        }
        let all = self
            .found
            .iter()
            .all(|k| self.table.rows.get(k).is_some_and(|r| r.complete()));
        (all && t >= self.cfg.dwell_s) || t >= self.cfg.camp_timeout_s.max(self.cfg.dwell_s)
    }

    /// Leave the current step: the next centre to tune to, or [`Action::Finished`] when the
    /// requested rounds are done.
    pub fn next_step(&mut self) -> Action {
        self.table.steps_visited += 1;
        self.samples = 0;
        self.found.clear();
        self.step += 1;
        if self.step == self.steps.len() {
            self.step = 0;
            self.round += 1;
            self.table.rounds_done = self.round;
            if self.cfg.rounds.is_some_and(|r| self.round >= r) {
                return Action::Finished;
            }
        }
        Action::Retune(self.steps[self.step])
    }
}

/// Drive a sweep over `src` (which must be able to retune). `on_step` sees the table after
/// every step. Ends when the rounds are done, the source ends, or `stop` is set.
pub fn run_scan(
    src: &mut dyn SampleSource,
    cfg: ScanConfig,
    stop: &AtomicBool,
    on_step: impl FnMut(&ScanTable),
) -> Result<ScanTable, ScanError> {
    run_scan_observed(src, cfg, stop, on_step, &mut |_, _| {})
}

/// [`run_scan`], also handing every observation to `on_obs` with the number of samples read so
/// far over all steps (the dashboard's stream clock). Spectrum observations (one per step, with
/// the PSD) carry that running sample index too.
pub fn run_scan_observed(
    src: &mut dyn SampleSource,
    cfg: ScanConfig,
    stop: &AtomicBool,
    mut on_step: impl FnMut(&ScanTable),
    on_obs: &mut dyn FnMut(&Observation, u64),
) -> Result<ScanTable, ScanError> {
    let rate = src.info().sample_rate_sps;
    let mut sweep = Sweep::new(ScanConfig {
        sample_rate_sps: rate,
        ..cfg
    })?;
    let gsm_cfg = GsmStageConfig {
        discovery_s: 0.05,
        rediscover_s: 0.25,
        include_hex: false,
        ..GsmStageConfig::default()
    };
    let new_stage = |channels: Vec<f64>| {
        let cfg = GsmStageConfig {
            fixed_carriers_hz: channels,
            ..gsm_cfg.clone()
        };
        GsmStage::new(cfg, rate).map_err(ScanError::Gsm)
    };
    let welch_cfg = WelchConfig {
        fft_len: 1024,
        ..WelchConfig::default()
    };
    let mut welch = Welch::new(welch_cfg).map_err(|e| ScanError::Config(e.to_string()))?;
    let mut tuned = sweep.current_hz();
    src.retune(tuned)?;
    let mut stage = new_stage(sweep.step_channels())?;
    let mut obs = Vec::new();
    let block_len = ((rate * 0.02) as usize).clamp(4096, 1 << 16);
    let mut block = Block {
        samples: vec![Complex32::new(0.0, 0.0); block_len],
        first_sample: 0,
        frequency_hz: tuned,
    };
    let mut total = 0u64;
    let mut step_start = 0u64;
    loop {
        let stopped = stop.load(Ordering::Relaxed);
        let n = if stopped {
            0
        } else {
            block.samples.resize(block_len, Complex32::new(0.0, 0.0));
            src.read(&mut block.samples)?
        };
        let finished = stopped || n == 0;
        if !finished {
            block.samples.truncate(n);
            if sweep.settling() {
                sweep.skip(n as u64);
                continue;
            }
            // Sample indices (and so observation times) run on over the whole scan, not per step.
            block.first_sample = total;
            block.frequency_hz = tuned;
            total += n as u64;
            stage.process(&block, &mut obs)?;
            welch.process(&block.samples);
            for o in obs.drain(..) {
                on_obs(&o, total);
                sweep.observe(&o);
            }
            if !sweep.advance(n as u64) {
                continue;
            }
        }
        // End of a step (or of the scan): the receivers' last words and the step's spectrum.
        stage.finish(&mut obs);
        if let Some(psd) = welch.psd(rate) {
            obs.push(Observation::Spectrum(crate::observation::spectrum_obs(
                &psd,
                tuned,
                step_start,
                total - step_start,
                true,
            )));
        }
        welch.reset();
        for o in obs.drain(..) {
            on_obs(&o, total);
            sweep.observe(&o);
        }
        if finished {
            break;
        }
        step_start = total;
        let action = sweep.next_step();
        on_step(sweep.table());
        match action {
            Action::Retune(f) => {
                tuned = f;
                src.retune(f)?;
                stage = new_stage(sweep.step_channels())?;
                // Carry the receiver's clock error measured so far into the next step: its
                // receivers sit where the carriers appear, not where the ARFCNs say.
                if let Some(p) = sweep.table().receiver_ppm() {
                    stage.set_rx_ppm(p);
                }
            }
            Action::Finished | Action::Stay => break,
        }
    }
    Ok(sweep.table().clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observation::gsm::CarrierObs;

    #[test]
    fn steps_cover_the_band_with_whole_channels() {
        // E-GSM: 174 channels (975–1023, 0–124), 8 per 1.6 MHz step → 22 steps.
        assert_eq!(channels_per_step(1.6e6), 8);
        assert_eq!(channels_per_step(200e3), 1);
        let s = plan_steps(Band::EGsm900, None, 1.6e6);
        assert_eq!(s.len(), 22);
        assert!((s[0] - (925.2e6 + 700e3)).abs() < 1.0);
        assert!(s.windows(2).all(|w| (w[1] - w[0] - 1.6e6).abs() < 1.0));
        // Every channel is inside one window.
        for f in band_channels(Band::EGsm900, None) {
            assert_eq!(
                s.iter().filter(|c| (f - *c).abs() <= 700e3 + 1.0).count(),
                1
            );
        }
        // DCS 1800: 374 channels, 2.4 MHz usable → 12 whole channels a step (2.4 MHz apart).
        assert_eq!(channels_per_step(2.4e6), 12);
        let d = plan_steps(Band::Dcs1800, None, 2.4e6);
        assert_eq!(d.len(), 374usize.div_ceil(12));
        assert!(d.windows(2).all(|w| (w[1] - w[0] - 2.4e6).abs() < 1.0));
    }

    fn carrier(arfcn: u16, ppm: f64) -> Observation {
        let f = Band::PGsm900
            .freq_hz(arfcn, Direction::Downlink)
            .unwrap_or(0.0);
        Observation::Carrier(CarrierObs {
            sample_index: 0,
            time_s: 0.0,
            band: Band::PGsm900,
            arfcn,
            freq_hz: f,
            freq_offset_hz: ppm * f / 1e6,
            freq_offset_ppm: Some(ppm),
            uncertainty_hz: 1.0,
            snr_db: 30.0,
            synchronized: false,
        })
    }

    #[test]
    fn dwell_then_camp_then_next_round() {
        let mut cfg = ScanConfig::new(Band::PGsm900, 1e6, 800e3);
        cfg.range_hz = Some((935.2e6, 936.8e6)); // ARFCN 1–9: 4 a step → 3 steps
        cfg.dwell_s = 0.3;
        cfg.camp_timeout_s = 2.0;
        cfg.rounds = Some(1);
        let mut sw = Sweep::new(cfg).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sw.steps().len(), 3);
        assert_eq!(sw.step_channels().len(), 4);
        // Nothing found: the step ends after the dwell.
        assert!(!sw.advance(299_000));
        assert!(sw.advance(1_000));
        assert_eq!(sw.next_step(), Action::Retune(sw.steps()[1]));
        // A carrier found: camp until the timeout (no SI arrives).
        sw.observe(&carrier(6, 1.0));
        assert!(!sw.advance(1_000_000));
        assert!(sw.advance(1_000_000));
        assert!(matches!(sw.next_step(), Action::Retune(_)));
        assert!(sw.advance(300_000));
        assert_eq!(sw.next_step(), Action::Finished);
        let t = sw.table();
        assert_eq!(t.rounds_done, 1);
        assert_eq!(t.steps_visited, 3);
        assert_eq!(t.rows.len(), 1);
    }

    #[test]
    fn receiver_ppm_is_the_median() {
        let mut sw = Sweep::new(ScanConfig::new(Band::PGsm900, 2e6, 1.6e6))
            .unwrap_or_else(|e| panic!("{e}"));
        for (a, p) in [(1, -1.52), (2, -1.47), (3, -1.50), (4, 2.0)] {
            sw.observe(&carrier(a, p));
        }
        let t = sw.table();
        let rx = t.receiver_ppm().unwrap_or(f64::NAN);
        assert!((rx - 1.485).abs() < 1e-9, "{rx}");
        let outlier = t
            .rows
            .values()
            .find(|r| r.arfcn == 4)
            .map(|r| t.corrected_ppm(r));
        assert!((outlier.flatten().unwrap_or(0.0) - 3.485).abs() < 1e-9);
    }
}
