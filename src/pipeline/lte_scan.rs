//! The LTE band sweep (`scan --tech lte`): the tuner visits every downlink EARFCN of a band (or
//! of a frequency range in it), dwells long enough for PSS/SSS and two PBCH periods (80 ms by
//! default), and the LTE stage searches each dwell (cell search, MIB, measurements; SIB1 when the
//! rate carries the cell).
//!
//! A cell is found from every EARFCN within the search's frequency range of its carrier (the PSS
//! search covers ±150 kHz, so a cell on EARFCN 1750 is also found tuned to 1749 and 1751, there
//! 100 kHz off). Such sightings are one cell: for each PCI, the sightings within
//! [`SAME_CELL_HZ`] of each other are merged and the step where the cell sat closest to the tuned
//! frequency (the smallest measured offset) names its EARFCN. Observations reach `on_obs` at the
//! end of each round, only from those best steps, so the detectors never see a cell 100 kHz off
//! its channel (which would read as a clock error of 50 ppm).

use num_complex::Complex32;
use std::sync::atomic::{AtomicBool, Ordering};
use towerwatch_dsp::earfcn::{self, LteBand};

use super::Block;
use super::lte::{LteStage, LteStageConfig, LteStageError};
use crate::observation::Observation;
use crate::observation::lte::{LteCellList, LteCellObs};
use crate::source::{SampleSource, SourceError};

/// Sightings of one PCI closer than this (Hz) are the same cell.
pub const SAME_CELL_HZ: f64 = 160e3;

/// Settings of an LTE sweep.
#[derive(Debug, Clone)]
pub struct LteScanConfig {
    /// Downlink EARFCNs to visit, in order.
    pub earfcns: Vec<u32>,
    /// Seconds of signal searched per EARFCN.
    pub dwell_s: f64,
    /// Seconds discarded after each retune (tuner settling).
    pub settle_s: f64,
    /// Sweeps over the EARFCNs (None: until stopped).
    pub rounds: Option<u32>,
}

/// Why a sweep could not run.
#[derive(Debug, thiserror::Error)]
pub enum LteScanError {
    /// The source failed (read or retune).
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The LTE stage refused the rate.
    #[error(transparent)]
    Stage(#[from] LteStageError),
    /// Nothing to sweep, or a bad setting.
    #[error("{0}")]
    Config(String),
}

/// The downlink EARFCNs of `band` between `range_hz` (inclusive; the whole band without one).
pub fn band_earfcns(band: &LteBand, range_hz: Option<(f64, f64)>) -> Vec<u32> {
    band.sweep()
        .filter(|&e| {
            let f = earfcn::dl_freq_hz(e).unwrap_or(f64::NAN);
            range_hz.is_none_or(|(lo, hi)| f >= lo - 1.0 && f <= hi + 1.0)
        })
        .collect()
}

/// What a sweep found.
#[derive(Debug, Clone, Default)]
pub struct LteScanTable {
    /// The cells, one row per cell (its best EARFCN).
    pub cells: LteCellList,
    /// EARFCNs visited (over all rounds).
    pub steps_visited: u64,
    /// Whole rounds done.
    pub rounds_done: u32,
}

/// One cell's best sightings so far in a round.
struct Best {
    pci: u16,
    freq_hz: f64,
    abs_offset_hz: f64,
    obs: Vec<LteCellObs>,
}

/// Keep, per cell, the step where it sat closest to the tuned frequency.
fn keep_best(best: &mut Vec<Best>, step: Vec<LteCellObs>) {
    let mut pcis: Vec<u16> = step.iter().map(|o| o.pci).collect();
    pcis.sort_unstable();
    pcis.dedup();
    for pci in pcis {
        let obs: Vec<LteCellObs> = step.iter().filter(|o| o.pci == pci).cloned().collect();
        let Some(first) = obs.first() else { continue };
        let freq_hz = first.dl_freq_hz;
        let abs_offset_hz = obs
            .iter()
            .map(|o| o.freq_offset_hz.abs())
            .fold(f64::INFINITY, f64::min);
        let same = best
            .iter_mut()
            .find(|b| b.pci == pci && (b.freq_hz - freq_hz).abs() <= SAME_CELL_HZ);
        match same {
            Some(b) if abs_offset_hz < b.abs_offset_hz => {
                *b = Best {
                    pci,
                    freq_hz,
                    abs_offset_hz,
                    obs,
                }
            }
            Some(_) => {}
            None => best.push(Best {
                pci,
                freq_hz,
                abs_offset_hz,
                obs,
            }),
        }
    }
}

/// Sweep `src` (which must be able to retune) over the EARFCNs of `cfg`. `on_obs` gets the LTE
/// observations of each round's cells (their best steps) with the samples read so far.
pub fn run_lte_scan(
    src: &mut dyn SampleSource,
    cfg: &LteScanConfig,
    stop: &AtomicBool,
    on_obs: &mut dyn FnMut(&Observation, u64),
) -> Result<LteScanTable, LteScanError> {
    if cfg.earfcns.is_empty() {
        return Err(LteScanError::Config("no EARFCN to sweep".into()));
    }
    if !(cfg.dwell_s.is_finite() && cfg.dwell_s >= super::lte::MIN_WINDOW_S) {
        return Err(LteScanError::Config(format!(
            "dwell {} s is shorter than the {} s an LTE search needs",
            cfg.dwell_s,
            super::lte::MIN_WINDOW_S
        )));
    }
    let rate = src.info().sample_rate_sps;
    let stage_cfg = LteStageConfig {
        window_s: cfg.dwell_s,
        ..LteStageConfig::default()
    };
    // Refuse a rate too low before tuning anything.
    LteStage::new(stage_cfg.clone(), rate)?;
    let dwell = (cfg.dwell_s * rate).round() as u64;
    let settle = (cfg.settle_s.max(0.0) * rate).round() as u64;
    let block_len = ((rate * 0.02) as usize).clamp(4096, 1 << 16);
    let mut buf = vec![Complex32::new(0.0, 0.0); block_len];
    let mut table = LteScanTable::default();
    let mut total = 0u64;
    'rounds: loop {
        let mut best: Vec<Best> = Vec::new();
        for &e in &cfg.earfcns {
            if stop.load(Ordering::Relaxed) {
                break 'rounds;
            }
            let Some(freq) = earfcn::dl_freq_hz(e) else {
                continue;
            };
            src.retune(freq)?;
            let mut stage = LteStage::new(stage_cfg.clone(), rate)?;
            let mut out = Vec::new();
            let (mut skipped, mut read) = (0u64, 0u64);
            let mut ended = false;
            while read < dwell {
                let want = if skipped < settle {
                    (settle - skipped).min(block_len as u64)
                } else {
                    (dwell - read).min(block_len as u64)
                } as usize;
                let n = src.read(&mut buf[..want])?;
                if n == 0 {
                    ended = true;
                    break;
                }
                if skipped < settle {
                    skipped += n as u64;
                    continue;
                }
                stage.process(
                    &Block {
                        samples: buf[..n].to_vec(),
                        first_sample: total,
                        frequency_hz: freq,
                    },
                    &mut out,
                );
                total += n as u64;
                read += n as u64;
            }
            stage.flush(&mut out);
            table.steps_visited += 1;
            let step: Vec<LteCellObs> = out
                .into_iter()
                .filter_map(|o| match o {
                    Observation::LteCell(c) => Some(c),
                    _ => None,
                })
                .collect();
            keep_best(&mut best, step);
            if ended {
                break;
            }
        }
        let mut round: Vec<LteCellObs> = best.into_iter().flat_map(|b| b.obs).collect();
        round.sort_by(|a, b| a.time_s.total_cmp(&b.time_s));
        for o in round {
            table.cells.observe(&o);
            on_obs(&Observation::LteCell(o), total);
        }
        table.rounds_done += 1;
        if cfg.rounds.is_some_and(|r| table.rounds_done >= r) {
            break;
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_band_sweep_lists_the_raster_in_range() {
        let b3 = LteBand::by_number(3).unwrap();
        let e = band_earfcns(&b3, Some((1858.5e6, 1861.5e6)));
        assert_eq!(e.first(), Some(&1735));
        assert_eq!(e.last(), Some(&1765));
        assert_eq!(e.len(), 31);
        assert_eq!(band_earfcns(&b3, None).len(), 750);
    }

    fn obs(pci: u16, earfcn: u32, offset_hz: f64) -> LteCellObs {
        let Observation::LteCell(mut o) =
            crate::detect::testkit::lte_cell(earfcn, pci, -60.0, 0.0, 0.01, 0.0)
        else {
            unreachable!()
        };
        o.freq_offset_hz = offset_hz;
        o
    }

    #[test]
    fn sightings_of_one_cell_from_neighbouring_earfcns_are_merged_at_the_closest() {
        let mut best = Vec::new();
        keep_best(&mut best, vec![obs(142, 1749, 100_200.0)]);
        keep_best(
            &mut best,
            vec![obs(142, 1750, 200.0), obs(86, 1750, -300.0)],
        );
        keep_best(&mut best, vec![obs(142, 1751, -99_800.0)]);
        // The same PCI 2 MHz away is another cell.
        keep_best(&mut best, vec![obs(142, 1770, 50.0)]);
        let mut got: Vec<(u16, u32)> = best
            .iter()
            .map(|b| (b.pci, b.obs[0].earfcn.unwrap()))
            .collect();
        got.sort_unstable();
        assert_eq!(got, vec![(86, 1750), (142, 1750), (142, 1770)]);
    }
}
