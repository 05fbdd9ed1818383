//! One cell over a whole capture at 1.92 MS/s: PSS timing tracked half-frame by half-frame (the
//! receiver's sample clock drifts: 30 ppm is 58 samples per second), subframe 0 of every frame
//! demodulated, CRS channel estimates and measurements, and the PBCH decoded frame by frame.
//!
//! A MIB is reported only when two PBCH decodes from different frames agree (same fields, SFNs
//! that step with the frame count): one CRC-16 passes by chance once in 65536 tries, and a cell
//! search makes about a thousand tries per candidate.

use super::crs::{GridSymbol, PortEstimate, estimate_port};
use super::measure::{CellMeasurement, SubframeMeasurement, combine};
use super::ofdm::OfdmDemod;
use super::params::{Numerology, SEARCH_RATE_SPS};
use super::pbch::{PBCH_RB, PbchBlock, PbchDecoder, sfn_msb, soft_bits};
use super::pss::pss_time;
use super::rrc::mib::Mib;
use super::search::{CellCandidate, HALF_FRAME};
use num_complex::Complex32;
use std::f64::consts::TAU;

/// Settings of the per-cell decoder.
#[derive(Debug, Clone, PartialEq)]
pub struct CellConfig {
    /// Most radio frames examined (from the start of the input).
    pub max_frames: usize,
    /// Stop once this many agreeing PBCH decodes are found and `min_frames` are measured.
    pub enough_decodes: usize,
    /// Frames measured at least (when the input has them) before stopping early.
    pub min_frames: usize,
    /// Give up on a candidate when no PBCH CRC has passed (alone or combined) after this many
    /// frames.
    pub give_up_frames: usize,
}

impl Default for CellConfig {
    fn default() -> Self {
        CellConfig {
            max_frames: 100,
            enough_decodes: 4,
            min_frames: 8,
            give_up_frames: 12,
        }
    }
}

/// The MIB as decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MibDecode {
    /// The 24 MIB bits, 0/1, first transmitted first.
    pub bits: [u8; 24],
    /// The fields, parsed by [`super::rrc::mib`] (None for a spare dl-Bandwidth code).
    pub fields: Option<Mib>,
    /// Antenna ports from the CRC mask.
    pub ports: u8,
    /// System frame number of the input's first (possibly partial) frame, 0..1024.
    pub sfn_at_first_frame: u16,
    /// Frames whose PBCH decoded (alone or combined) and agreed.
    pub decodes: usize,
}

/// Everything found about one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct CellReport {
    /// The search's candidate this report comes from.
    pub candidate: CellCandidate,
    /// Start of the first complete radio frame, samples (tracked, so later frames are not at
    /// multiples of 19200 when the sample clock is off).
    pub frame_start: f64,
    /// Receiver sample-clock error from the PSS timing drift, ppm (positive: the receiver's
    /// clock is fast). None when the capture is shorter than 100 ms.
    pub clock_error_ppm: Option<f64>,
    /// CRS measurements, None when no subframe could be measured.
    pub measurement: Option<CellMeasurement>,
    /// The MIB, when two decodes agreed.
    pub mib: Option<MibDecode>,
    /// Frames whose subframe 0 was demodulated.
    pub frames: usize,
    /// PBCH CRC passes (before the agreement check).
    pub crc_passes: usize,
}

/// Tracks the PSS of `cand` through `x` (1.92 MS/s): smoothed position of every half-frame's PSS
/// (index h from the first PSS of a subframe 0 at or after `cand.frame_start`: even h in subframe
/// 0 (FDD) or 1 (TDD) of frame h/2, odd h in subframe 5 or 6) and the fitted slope (samples per
/// half-frame; None with fewer than 20 half-frames).
pub fn track_pss(
    x: &[Complex32],
    cand: &CellCandidate,
    num: &Numerology,
) -> (Vec<f64>, Option<f64>) {
    let p = pss_time(cand.pss.n_id_2, num);
    let w = -TAU * cand.cfo_hz / SEARCH_RATE_SPS;
    let corr = |t: usize| -> f32 {
        let ph = (w * t as f64).rem_euclid(TAU);
        let mut rot = Complex32::from_polar(1.0, ph as f32);
        let step = Complex32::from_polar(1.0, w as f32);
        let mut acc = Complex32::new(0.0, 0.0);
        for (xv, pv) in x[t..t + p.len()].iter().zip(&p) {
            acc += xv * rot * pv.conj();
            rot *= step;
        }
        acc.norm_sqr()
    };
    let pos0 = cand.frame_start + num.pss_offset(cand.duplex) as f64;
    let mut meas: Vec<(f64, f64, f32)> = Vec::new(); // (h, position, peak)
    let mut h = 0usize;
    let mut good_sum = 0f32;
    loop {
        // Prediction: a fit of the last good measurements, else the nominal spacing.
        let recent: Vec<(f64, f64)> = meas.iter().rev().take(16).map(|m| (m.0, m.1)).collect();
        let pred = predict(&recent, h as f64).unwrap_or(pos0 + (h * HALF_FRAME) as f64);
        if !pred.is_finite() {
            break;
        }
        let t0 = pred.round() as i64;
        if t0 - 3 < 0 {
            h += 1;
            continue;
        }
        if (t0 + 3) as usize + p.len() > x.len() {
            break;
        }
        let e: Vec<f32> = (-3..=3).map(|d| corr((t0 + d) as usize)).collect();
        let best = (1..6).max_by(|&a, &b| e[a].total_cmp(&e[b])).unwrap_or(3);
        let (em, e0, ep) = (e[best - 1], e[best], e[best + 1]);
        let den = em - 2.0 * e0 + ep;
        let frac = if den < 0.0 {
            (0.5 * (em - ep) / den).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        let pos = (t0 + best as i64 - 3) as f64 + frac as f64;
        let n_good = meas.len().max(1) as f32;
        if meas.is_empty() || e0 >= 0.2 * good_sum / n_good {
            good_sum += e0;
            meas.push((h as f64, pos, e0));
        }
        h += 1;
    }
    let n_half = h;
    let pts: Vec<(f64, f64)> = meas.iter().map(|m| (m.0, m.1)).collect();
    let global = fit(&pts);
    let slope = global.map(|(_, b)| b);
    let smoothed = (0..n_half)
        .map(|hh| {
            let local: Vec<(f64, f64)> = pts
                .iter()
                .filter(|p| (p.0 - hh as f64).abs() <= 8.0)
                .copied()
                .collect();
            predict(&local, hh as f64)
                .or_else(|| global.map(|(a, b)| a + b * hh as f64))
                .unwrap_or(pos0 + (hh * HALF_FRAME) as f64)
        })
        .collect();
    let clock = if n_half >= 20 { slope } else { None };
    (smoothed, clock)
}

/// Least-squares line through (x, y): (intercept, slope); None with fewer than two points.
fn fit(p: &[(f64, f64)]) -> Option<(f64, f64)> {
    if p.len() < 2 {
        return None;
    }
    let n = p.len() as f64;
    let mx = p.iter().map(|v| v.0).sum::<f64>() / n;
    let my = p.iter().map(|v| v.1).sum::<f64>() / n;
    let sxx = p.iter().map(|v| (v.0 - mx).powi(2)).sum::<f64>();
    if sxx <= 0.0 {
        return None;
    }
    let sxy = p.iter().map(|v| (v.0 - mx) * (v.1 - my)).sum::<f64>();
    let b = sxy / sxx;
    Some((my - b * mx, b))
}

fn predict(p: &[(f64, f64)], x: f64) -> Option<f64> {
    fit(p).map(|(a, b)| a + b * x)
}

/// Decodes `cand` over `x` (1.92 MS/s).
pub fn decode_cell(x: &[Complex32], cand: &CellCandidate, cfg: &CellConfig) -> CellReport {
    let mut report = CellReport {
        candidate: cand.clone(),
        frame_start: cand.frame_start,
        clock_error_ppm: None,
        measurement: None,
        mib: None,
        frames: 0,
        crc_passes: 0,
    };
    let Ok(num) = Numerology::new(SEARCH_RATE_SPS, cand.cp) else {
        return report;
    };
    // A candidate from elsewhere (not from `search`) may hold anything.
    let sane = cand.frame_start.is_finite()
        && cand.frame_start > -(num.frame_len() as f64)
        && cand.frame_start < x.len() as f64
        && cand.cfo_hz.is_finite()
        && cand.cfo_hz.abs() < SEARCH_RATE_SPS / 2.0
        && cand.pci < 504;
    if !sane {
        return report;
    }
    let (pss_pos, slope) = track_pss(x, cand, &num);
    report.clock_error_ppm = slope.map(|s| (s / HALF_FRAME as f64 - 1.0) * 1e6);
    let mut demod = OfdmDemod::new(num);
    let mut decoder = PbchDecoder::new();
    let n_sym = num.symbols_per_slot();
    let fs = SEARCH_RATE_SPS;
    let mut subframes = Vec::new();
    // Per frame: soft bits under 1, 2 and 4 ports (empty when not demodulated).
    let mut soft: Vec<[Vec<f32>; 3]> = Vec::new();
    let mut passes: Vec<(usize, PbchBlock)> = Vec::new();
    let mut combined_upto = 0usize;
    let mut first_start = None;
    for k in 0..cfg.max_frames {
        let Some(&pp) = pss_pos.get(2 * k) else { break };
        let start = pp - num.pss_offset(cand.duplex) as f64;
        let mut grid = Vec::with_capacity(2 * n_sym);
        for ns in 0..2 {
            for l in 0..n_sym {
                let time = start + num.symbol_start(ns, l) as f64;
                let mut re = vec![Complex32::new(0.0, 0.0); 12 * PBCH_RB];
                if demod.demod(x, time, cand.cfo_hz, &mut re) {
                    grid.push(GridSymbol { ns, l, time, re });
                }
            }
        }
        if grid.len() < 2 * n_sym {
            soft.push(Default::default());
            continue;
        }
        first_start.get_or_insert(start);
        report.frames += 1;
        let est: Vec<Option<PortEstimate>> = (0..4)
            .map(|p| estimate_port(&grid, p, cand.pci, cand.cp, PBCH_RB))
            .collect();
        if let Some(e0) = &est[0] {
            let crs_syms: Vec<&GridSymbol> = grid.iter().filter(|s| s.l == 0).collect();
            let rssi = crs_syms
                .iter()
                .map(|s| s.re.iter().map(|v| v.norm_sqr() as f64).sum::<f64>())
                .sum::<f64>()
                / (crs_syms.len().max(1) * 12 * PBCH_RB) as f64;
            subframes.push(SubframeMeasurement {
                // The smoother's output still holds about a third of the noise; at very low SNR
                // (or a channel the smoother cannot follow) the difference is floored at a tenth
                // of the estimate's power rather than going to zero.
                rsrp: (e0.power - e0.noise / 3.1).max(0.1 * e0.power) as f64,
                noise: e0.noise as f64,
                rssi_per_re: rssi,
                residual_cfo_hz: e0.drift_rad_per_sample * fs / TAU,
            });
        }
        let f = [
            soft_bits(&grid, cand.pci, cand.cp, 1, &est),
            soft_bits(&grid, cand.pci, cand.cp, 2, &est),
            soft_bits(&grid, cand.pci, cand.cp, 4, &est),
        ];
        decode_single(&mut decoder, &f, k, cand.pci, &mut passes);
        soft.push(f);
        let agreed = agreement(&passes).map_or(0, |m| m.decodes);
        if agreed >= cfg.enough_decodes && report.frames >= cfg.min_frames {
            break;
        }
        // Weak cells: every 4 frames, add up the frames of each 40 ms period seen so far.
        if agreed < 2 && soft.len() >= combined_upto + 4 {
            decode_combined(&mut decoder, &soft, combined_upto, cand.pci, &mut passes);
            combined_upto = soft.len().saturating_sub(3);
        }
        if passes.is_empty() && soft.len() >= cfg.give_up_frames {
            break;
        }
    }
    if agreement(&passes).is_none_or(|m| m.decodes < 2) && soft.len() > combined_upto {
        decode_combined(&mut decoder, &soft, combined_upto, cand.pci, &mut passes);
    }
    report.frame_start = first_start.unwrap_or(cand.frame_start);
    report.measurement = combine(&subframes, cand.cfo_hz);
    report.crc_passes = passes.len();
    report.mib = agreement(&passes);
    report
}

const PORTS: [u8; 3] = [1, 2, 4];

/// Single-frame decodes of frame `k` (soft bits `f` under each port hypothesis); the port count
/// and frame position predicted by earlier passes are tried first, and the first pass ends it.
fn decode_single(
    decoder: &mut PbchDecoder,
    f: &[Vec<f32>; 3],
    k: usize,
    pci: u16,
    out: &mut Vec<(usize, PbchBlock)>,
) {
    let mut order: Vec<(usize, u8)> = Vec::with_capacity(13);
    if let Some((k0, b)) = out.last() {
        let hi = PORTS.iter().position(|&p| p == b.ports).unwrap_or(0);
        order.push((hi, ((b.sfn_mod4 as usize + k - k0) % 4) as u8));
    }
    // Per port hypothesis, the frame position whose de-scrambling adds the four repetitions up
    // best: one Viterbi run per hypothesis instead of four.
    for (hi, soft) in f.iter().enumerate() {
        if let Some(q) = decoder.best_position(soft, pci) {
            order.push((hi, q));
        }
    }
    for (hi, q) in order {
        if f[hi].is_empty() {
            continue;
        }
        if let Some(b) = decoder.decode(&[&f[hi]], pci, q, PORTS[hi]) {
            out.push((k, b));
            return;
        }
    }
}

/// Decodes of the 40 ms periods (each possible alignment) among the frames from `from`.
fn decode_combined(
    decoder: &mut PbchDecoder,
    soft: &[[Vec<f32>; 3]],
    from: usize,
    pci: u16,
    passes: &mut Vec<(usize, PbchBlock)>,
) {
    for (hi, &p) in PORTS.iter().enumerate() {
        for q0 in 0..4u8 {
            let (mut k, mut q) = (from, q0);
            while k < soft.len() {
                let n = (4 - q as usize).min(soft.len() - k);
                let frames: Vec<&[f32]> = soft[k..k + n].iter().map(|f| f[hi].as_slice()).collect();
                if n >= 2
                    && frames.iter().all(|f| !f.is_empty())
                    && !passes.iter().any(|(pk, _)| *pk == k)
                    && let Some(b) = decoder.decode(&frames, pci, q, p)
                {
                    passes.push((k, b));
                }
                k += n;
                q = 0;
            }
        }
    }
}

/// The largest set of passes with the same fields and consistent SFNs, when it has two frames.
fn agreement(passes: &[(usize, PbchBlock)]) -> Option<MibDecode> {
    let sfn0 = |(k, b): &(usize, PbchBlock)| -> u16 {
        let sfn = sfn_msb(&b.mib_bits) * 4 + b.sfn_mod4 as u16;
        ((sfn as i64 - *k as i64).rem_euclid(1024)) as u16
    };
    let mut best: Option<MibDecode> = None;
    for a in passes {
        let s0 = sfn0(a);
        let mut ks: Vec<usize> = passes
            .iter()
            .filter(|b| {
                b.1.ports == a.1.ports
                    && sfn0(b) == s0
                    && b.1.mib_bits[..6] == a.1.mib_bits[..6]
                    && b.1.mib_bits[14..] == a.1.mib_bits[14..]
            })
            .map(|b| b.0)
            .collect();
        ks.sort_unstable();
        ks.dedup();
        let distinct = ks.len();
        if distinct >= 2 && best.as_ref().is_none_or(|m| distinct > m.decodes) {
            best = Some(MibDecode {
                bits: a.1.mib_bits,
                fields: Mib::from_bits(&a.1.mib_bits).ok(),
                ports: a.1.ports,
                sfn_at_first_frame: s0,
                decodes: distinct,
            });
        }
    }
    best
}

/// Cell search and per-cell decoding in one call: every candidate decoded, the reports of those
/// whose MIB was confirmed first; one report per PCI (the best).
pub fn scan(
    x: &[Complex32],
    search: &super::search::SearchConfig,
    cell: &CellConfig,
) -> Result<Vec<CellReport>, super::params::LteError> {
    let cands = super::search::search(x, search)?;
    let mut reports: Vec<CellReport> = Vec::new();
    for c in &cands {
        let r = decode_cell(x, c, cell);
        if let Some(prev) = reports
            .iter_mut()
            .find(|p| p.candidate.pci == r.candidate.pci)
        {
            let better = match (&prev.mib, &r.mib) {
                (None, Some(_)) => true,
                (Some(a), Some(b)) => b.decodes > a.decodes,
                _ => false,
            };
            if better {
                *prev = r;
            }
        } else {
            reports.push(r);
        }
    }
    reports.sort_by_key(|r| r.mib.is_none());
    Ok(reports)
}
