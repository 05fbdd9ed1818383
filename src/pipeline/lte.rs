//! The LTE stage: blocks of samples gathered into windows (1 s by default), each brought to
//! 1.92 MS/s and searched by the dsp LTE receiver (`towerwatch_dsp::lte::cell::scan`: PSS/SSS,
//! CRS measurements, PBCH/MIB); one [`Observation::LteCell`] per cell whose MIB was confirmed
//! (two agreeing PBCH decodes, each with its CRC passing). A PSS/SSS candidate without a MIB is
//! counted, not reported: on noise, PSS/SSS correlations find candidates, the CRC does not pass.
//! When the capture's rate carries a cell's whole bandwidth (its MIB says how wide it is), the
//! window's SIB1 is decoded too (`towerwatch_dsp::lte::sib1`) and goes into the observation.
//!
//! A window ends early at a retune or a gap in the stream (dropped blocks), and the last partial
//! window is searched at the end of the stream when it holds at least [`MIN_WINDOW_S`].

use num_complex::Complex32;
use towerwatch_dsp::lte::cell::{CellConfig, scan};
use towerwatch_dsp::lte::params::SEARCH_RATE_SPS;
use towerwatch_dsp::lte::search::{SearchConfig, to_search_rate};
use towerwatch_dsp::lte::sib1::{Sib1Config, Sib1Error, decode_sib1};

use super::Block;
use crate::observation::Observation;
use crate::observation::lte::{LteBlock, LteCellObs, LteSib1Obs};

/// A partial window shorter than this (4 radio frames: one PBCH period) is not searched.
pub const MIN_WINDOW_S: f64 = 0.04;

/// At most this many samples (capture rate) are held per window: 2^25 complex floats, 256 MB
/// (1.7 s at 19.2 MS/s).
pub const MAX_WINDOW_SAMPLES: usize = 1 << 25;

/// Settings of the LTE stage.
#[derive(Debug, Clone, PartialEq)]
pub struct LteStageConfig {
    /// Seconds of signal per search window (capped at [`MAX_WINDOW_SAMPLES`]).
    pub window_s: f64,
    /// Cell search settings.
    pub search: SearchConfig,
    /// Per-cell decoder settings.
    pub cell: CellConfig,
    /// SIB1 decoding (None: not attempted).
    pub sib1: Option<Sib1Config>,
}

impl Default for LteStageConfig {
    fn default() -> Self {
        LteStageConfig {
            window_s: 1.0,
            search: SearchConfig::default(),
            cell: CellConfig::default(),
            sib1: Some(Sib1Config::default()),
        }
    }
}

/// What the stage did, for the run's summary.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LteCounters {
    /// Windows searched.
    pub windows: u64,
    /// Windows the receiver refused (an error from the dsp; not expected at a supported rate).
    pub windows_failed: u64,
    /// Cells reported (one per cell per window).
    pub cells: u64,
    /// PSS/SSS candidates without a confirmed MIB (not reported).
    pub candidates_without_mib: u64,
    /// Cells reported with their SIB1.
    pub sib1_decoded: u64,
    /// Cells whose SIB1 was looked for and not found (no DCI, or no CRC passing).
    pub sib1_not_found: u64,
    /// Cells wider than the capture's rate carries (SIB1 needs the whole channel).
    pub sib1_too_wide: u64,
}

/// The LTE stage of one stream.
pub struct LteStage {
    cfg: LteStageConfig,
    rate_sps: f64,
    window_len: usize,
    buf: Vec<Complex32>,
    start_sample: u64,
    freq_hz: f64,
    /// What the stage did so far.
    pub counters: LteCounters,
}

/// Errors of the LTE stage.
#[derive(Debug, thiserror::Error)]
pub enum LteStageError {
    /// The capture's rate is too low for a cell search.
    #[error("{0} S/s is below the 1.92 MS/s an LTE cell search needs")]
    RateTooLow(f64),
}

impl LteStage {
    /// A stage for a stream at `rate_sps` (at least 1.92 MS/s).
    pub fn new(cfg: LteStageConfig, rate_sps: f64) -> Result<LteStage, LteStageError> {
        if !(rate_sps.is_finite() && rate_sps >= SEARCH_RATE_SPS - 1.0) {
            return Err(LteStageError::RateTooLow(rate_sps));
        }
        let window_len = ((cfg.window_s.max(MIN_WINDOW_S) * rate_sps).round() as usize)
            .clamp(1, MAX_WINDOW_SAMPLES);
        Ok(LteStage {
            cfg,
            rate_sps,
            window_len,
            buf: Vec::new(),
            start_sample: 0,
            freq_hz: f64::NAN,
            counters: LteCounters::default(),
        })
    }

    /// Feed a block; push the observations of every window it completes to `out`.
    pub fn process(&mut self, block: &Block, out: &mut Vec<Observation>) {
        if self.freq_hz.to_bits() != block.frequency_hz.to_bits()
            || block.first_sample != self.start_sample + self.buf.len() as u64
        {
            self.flush(out);
            self.freq_hz = block.frequency_hz;
            self.start_sample = block.first_sample;
        }
        let mut rest: &[Complex32] = &block.samples;
        while !rest.is_empty() {
            let room = (self.window_len - self.buf.len()).min(rest.len());
            self.buf.extend_from_slice(&rest[..room]);
            rest = &rest[room..];
            if self.buf.len() >= self.window_len {
                self.search(out);
            }
        }
    }

    /// End of stream (or of a segment): search what is gathered if it is long enough.
    pub fn flush(&mut self, out: &mut Vec<Observation>) {
        if self.buf.len() as f64 >= MIN_WINDOW_S * self.rate_sps {
            self.search(out);
        } else {
            self.start_sample += self.buf.len() as u64;
            self.buf.clear();
        }
    }

    fn search(&mut self, out: &mut Vec<Observation>) {
        let block = LteBlock {
            start_sample: self.start_sample,
            rate_sps: self.rate_sps,
            samples: self.buf.len() as u64,
            center_freq_hz: if self.freq_hz.is_finite() {
                self.freq_hz
            } else {
                0.0
            },
        };
        self.counters.windows += 1;
        let found = to_search_rate(&self.buf, self.rate_sps).and_then(|x| {
            let reports = scan(&x, &self.cfg.search, &self.cfg.cell)?;
            Ok((x, reports))
        });
        match found {
            Ok((x, reports)) => {
                for r in &reports {
                    if r.mib.is_none() {
                        self.counters.candidates_without_mib += 1;
                        continue;
                    }
                    self.counters.cells += 1;
                    let mut o = LteCellObs::from_report(r, &block);
                    if let Some(sc) = &self.cfg.sib1 {
                        match decode_sib1(&self.buf, self.rate_sps, &x, r, sc) {
                            Ok(rep) => match rep.decode {
                                Some(d) => {
                                    self.counters.sib1_decoded += 1;
                                    o.sib1 = Some(LteSib1Obs::of(&d));
                                }
                                None => self.counters.sib1_not_found += 1,
                            },
                            Err(Sib1Error::Rate { .. }) => self.counters.sib1_too_wide += 1,
                            Err(_) => self.counters.sib1_not_found += 1,
                        }
                    }
                    out.push(Observation::LteCell(o));
                }
            }
            Err(_) => self.counters.windows_failed += 1,
        }
        self.start_sample += self.buf.len() as u64;
        self.buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_rate_below_1_92_msps() {
        assert!(LteStage::new(LteStageConfig::default(), 1e6).is_err());
        assert!(LteStage::new(LteStageConfig::default(), f64::NAN).is_err());
        assert!(LteStage::new(LteStageConfig::default(), 1.92e6).is_ok());
    }

    #[test]
    fn windows_follow_the_stream_and_noise_reports_nothing() {
        let cfg = LteStageConfig {
            window_s: 0.05,
            ..LteStageConfig::default()
        };
        let mut st = LteStage::new(cfg, 1.92e6).unwrap();
        let mut rng = towerwatch_dsp::signal::Rng::new(7);
        let power = 1.0;
        let mut out = Vec::new();
        let mut first = 0u64;
        // 0.125 s in 10 ms blocks: two whole windows, then a 25 ms rest too short to search.
        for _ in 0..12 {
            let samples: Vec<Complex32> =
                (0..19_200).map(|_| rng.complex_gaussian(power)).collect();
            st.process(
                &Block {
                    samples,
                    first_sample: first,
                    frequency_hz: 1860e6,
                },
                &mut out,
            );
            first += 19_200;
        }
        st.flush(&mut out);
        assert_eq!(st.counters.windows, 2);
        assert_eq!(st.counters.windows_failed, 0);
        assert!(out.is_empty(), "{out:?}");
    }
}

/// The LTE stage and the LTE detectors on generated cells (`towerwatch_dsp::lte::generator`):
/// three legitimate eNodeBs and a fake one whose clock is 1.5 ppm off theirs.
#[cfg(test)]
mod generated {
    use super::*;
    use crate::cells::CellRegistry;
    use towerwatch_dsp::lte::generator::{GenConfig, generate};

    const CENTRE_HZ: f64 = 1860e6;
    /// The receiver's own clock error (common to every cell).
    const RX_PPM: f64 = -5.0;

    fn scene(rogue_ppm: f64) -> Vec<Complex32> {
        // (PCI, the eNodeB's own error in ppm, timing offset in samples)
        let cells = [
            (142u16, 0.03, 0usize),
            (86, -0.02, 3_100),
            (211, 0.0, 7_700),
            (301, rogue_ppm, 12_345),
        ];
        let mut sum: Vec<Complex32> = Vec::new();
        for (i, &(pci, ppm, offset)) in cells.iter().enumerate() {
            let x = generate(&GenConfig {
                pci,
                ports: 2,
                frames: 41,
                start_offset: offset,
                cfo_hz: (RX_PPM + ppm) * CENTRE_HZ / 1e6,
                seed: 11 + i as u64,
                snr_db: Some(30.0),
                ..GenConfig::default()
            })
            .unwrap();
            if sum.is_empty() {
                sum = vec![Complex32::new(0.0, 0.0); 40 * 19_200];
            }
            for (s, v) in sum.iter_mut().zip(&x) {
                *s += v;
            }
        }
        sum.truncate(40 * 19_200);
        sum
    }

    /// The stage over the scene (0.4 s) in two 0.2 s windows, every observation through the registry and
    /// every default detector: the LTE observations and the findings.
    fn run(x: &[Complex32]) -> (Vec<Observation>, Vec<crate::detect::Finding>) {
        let cfg = LteStageConfig {
            window_s: 0.2,
            ..LteStageConfig::default()
        };
        let mut st = LteStage::new(cfg, 1.92e6).unwrap();
        let mut obs = Vec::new();
        st.process(
            &Block {
                samples: x.to_vec(),
                first_sample: 0,
                frequency_hz: CENTRE_HZ,
            },
            &mut obs,
        );
        st.flush(&mut obs);
        let mut reg = CellRegistry::default();
        let mut dets = crate::detect::all_default();
        let mut findings = Vec::new();
        for o in &obs {
            reg.update(o);
            for d in &mut dets {
                d.observe(o, &reg, &mut findings);
            }
        }
        (obs, findings)
    }

    fn pcis(obs: &[Observation]) -> Vec<u16> {
        let mut v: Vec<u16> = obs
            .iter()
            .filter_map(|o| match o {
                Observation::LteCell(c) => Some(c.pci),
                _ => None,
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    #[test]
    fn a_fake_enodeb_with_its_own_clock_is_flagged_and_the_real_ones_are_not() {
        let (obs, findings) = run(&scene(1.5));
        assert_eq!(pcis(&obs), vec![86, 142, 211, 301], "{obs:#?}");
        let clock: Vec<_> = findings
            .iter()
            .filter(|f| f.detector == "lte_clock_error")
            .collect();
        assert!(!clock.is_empty(), "{findings:#?}");
        assert!(
            clock.iter().all(|f| f
                .cell
                .lte
                .is_some_and(|id| id.pci == 301 && id.earfcn == 1750)),
            "{clock:#?}"
        );
        // Legitimate clocks (within 0.05 ppm of each other): nothing at all.
        let (obs, findings) = run(&scene(0.04));
        assert_eq!(pcis(&obs), vec![86, 142, 211, 301]);
        assert!(findings.is_empty(), "{findings:#?}");
    }
}
