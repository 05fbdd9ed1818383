//! Cell search at 1.92 MS/s: PSS over a wide frequency range, then timing and frequency
//! refinement, then SSS for N_ID^(1), the frame boundary, the cyclic prefix and the duplex mode.
//!
//! 1. **Coarse PSS** (every N_ID^(2), every frequency hypothesis on a `cfo_step_hz` grid within
//!    ±`max_cfo_hz`): the signal is cut into overlapping 7680-sample blocks (250 Hz FFT bins);
//!    each block's spectrum is shifted by the hypothesis (a whole number of bins), multiplied by
//!    the conjugate PSS spectrum, and only the central 3840 bins are transformed back — the PSS
//!    occupies ±472.5 kHz, so this is the correlation decimated by 2 without loss. `|c|²` is
//!    folded modulo the 5 ms half-frame and summed over the search window.
//! 2. **Peaks**: per N_ID^(2) the strongest (timing, frequency) cells above
//!    `pss_threshold` × the mean, each taken with its neighbourhood suppressed.
//! 3. **Refinement** in the time domain at full rate: timing to a fraction of a sample
//!    (parabola through the folded peak) and frequency from the phase between the two halves of
//!    the PSS correlation (unambiguous over ±7.5 kHz, well inside one grid step).
//! 4. **SSS**: for each half-frame, the PSS gives the channel on its 62 subcarriers; the SSS
//!    symbol at each of the four (duplex, CP) spacings is equalised with it and correlated with
//!    the 2 × 168 sequences; the sums over half-frames for the two ways the half-frames can
//!    alternate (subframe 0/5) give N_ID^(1), the frame boundary, CP and duplex. Each PSS peak
//!    yields up to `sss_candidates` cells (co-channel cells with one N_ID^(2) and one timing share
//!    a PSS peak and differ only in their SSS).
//!
//! Candidates are not proof: the PBCH CRC (see [`super::pbch`]) is.

use super::ofdm::OfdmDemod;
use super::params::{CyclicPrefix, Duplex, LteError, Numerology, SEARCH_RATE_SPS};
use super::pss::{pss_sequence, pss_time, sync_re};
use super::sss::{N_ID_1_COUNT, sss_table};
use num_complex::Complex32;
use rustfft::FftPlanner;
use std::f64::consts::TAU;

/// Samples of a half-frame (5 ms) at 1.92 MS/s.
pub const HALF_FRAME: usize = 9600;
const BLOCK: usize = 7680;
const HOP: usize = BLOCK - 128;
const OUT: usize = BLOCK / 2;
const BIN_HZ: f64 = SEARCH_RATE_SPS / BLOCK as f64;

/// Settings of the cell search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchConfig {
    /// Largest frequency offset searched, ± Hz.
    pub max_cfo_hz: f64,
    /// Grid step of the frequency hypotheses, Hz (a multiple of 250 Hz; 7.5 kHz loses < 1 dB).
    pub cfo_step_hz: f64,
    /// Samples (from the start of the input) used by the PSS/SSS search.
    pub search_samples: usize,
    /// PSS peak over the mean of the folded correlation needed for a candidate.
    pub pss_threshold: f32,
    /// PSS peaks examined per N_ID^(2).
    pub max_peaks_per_root: usize,
    /// SSS hypotheses kept per PSS peak.
    pub sss_candidates: usize,
    /// SSS quality (peak over the spread of the other hypotheses, in standard deviations) needed.
    pub sss_threshold: f32,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            max_cfo_hz: 150_000.0,
            cfo_step_hz: 7_500.0,
            search_samples: 8 * 2 * HALF_FRAME,
            pss_threshold: 4.0,
            max_peaks_per_root: 8,
            sss_candidates: 2,
            sss_threshold: 4.0,
        }
    }
}

/// A PSS detection after refinement.
#[derive(Debug, Clone, PartialEq)]
pub struct PssPeak {
    /// N_ID^(2) (0..3).
    pub n_id_2: u8,
    /// Start of the PSS symbol's useful part (after its CP) in the first half-frame, samples.
    pub position: f64,
    /// Frequency offset, Hz (signal frequency minus nominal).
    pub cfo_hz: f64,
    /// Folded correlation peak over its mean (dimensionless).
    pub metric: f32,
}

/// A cell candidate: PSS and SSS found, not yet proven by the PBCH.
#[derive(Debug, Clone, PartialEq)]
pub struct CellCandidate {
    /// Physical cell identity 3·N_ID^(1) + N_ID^(2).
    pub pci: u16,
    /// Duplex mode from the SSS–PSS spacing.
    pub duplex: Duplex,
    /// Cyclic prefix from the SSS–PSS spacing.
    pub cp: CyclicPrefix,
    /// Frequency offset, Hz.
    pub cfo_hz: f64,
    /// Start of a radio frame (subframe 0), samples from the input start, in [0, 19200) — or
    /// the first frame start in the input.
    pub frame_start: f64,
    /// The PSS peak this candidate came from.
    pub pss: PssPeak,
    /// SSS quality (best hypothesis above the others' mean, in their standard deviations).
    pub sss_quality: f32,
}

/// A copy of `x` with impulses blanked: samples whose power exceeds 20 × the mean power are set
/// to zero (receiver gain-settling bursts, as at the start of some captures, otherwise correlate
/// with every PSS hypothesis). The mean, not the median: 8-bit captures of weak signals have a
/// median of a quantisation step. An OFDM signal exceeds 20 × its mean power once in e²⁰ samples.
pub fn blank_impulses(x: &[Complex32]) -> Vec<Complex32> {
    if x.is_empty() {
        return Vec::new();
    }
    let mean = x.iter().map(|v| v.norm_sqr() as f64).sum::<f64>() / x.len() as f64;
    let limit = (20.0 * mean) as f32;
    x.iter()
        .map(|v| {
            if v.norm_sqr() > limit {
                Complex32::new(0.0, 0.0)
            } else {
                *v
            }
        })
        .collect()
}

/// Resamples `x` at `rate_sps` to the search rate of 1.92 MS/s (the central 6 resource blocks:
/// flat to ±750 kHz, 60 dB down from ±1.2 MHz, which keeps the PSS, SSS and PBCH through a
/// ±150 kHz offset). The delay of the filter is removed, so sample `i` of the output is at
/// input time `i · rate / 1.92 MS/s`. A rate of 1.92 MS/s is returned as is.
pub fn to_search_rate(x: &[Complex32], rate_sps: f64) -> Result<Vec<Complex32>, LteError> {
    if !(rate_sps.is_finite() && rate_sps >= SEARCH_RATE_SPS) {
        return Err(LteError::UnsupportedRate(rate_sps));
    }
    if (rate_sps - SEARCH_RATE_SPS).abs() < 1e-3 {
        return Ok(x.to_vec());
    }
    let (up, down) = crate::filter::rational_approx(SEARCH_RATE_SPS / rate_sps, 512, 16384);
    let fs_up = rate_sps * up as f64;
    let taps = crate::filter::lowpass_for(fs_up, 750e3, 1200e3, 60.0)
        .map_err(|_| LteError::UnsupportedRate(rate_sps))?;
    let delay_out = (taps.len() - 1) as f64 / 2.0 / down as f64;
    let mut rs = crate::filter::RationalResampler::new(up as usize, down as usize, &taps)
        .map_err(|_| LteError::UnsupportedRate(rate_sps))?;
    let mut y = Vec::with_capacity(x.len() * up as usize / down as usize + 1);
    rs.process(x, &mut y);
    let skip = (delay_out.round() as usize).min(y.len());
    Ok(y.split_off(skip))
}

/// Cell search over `x` (1.92 MS/s): the candidates, strongest PSS first.
pub fn search(x: &[Complex32], cfg: &SearchConfig) -> Result<Vec<CellCandidate>, LteError> {
    let len = x.len().min(cfg.search_samples.max(2 * HALF_FRAME));
    let x = blank_impulses(&x[..len]);
    let peaks = pss_search(&x, cfg)?;
    let num_n = Numerology::new(SEARCH_RATE_SPS, CyclicPrefix::Normal)?;
    let mut demod = OfdmDemod::new(num_n);
    let sss_len = x.len().min(SSS_HALF_FRAMES * HALF_FRAME + 2 * 128);
    let per_peak: Vec<Vec<CellCandidate>> = peaks
        .iter()
        .map(|p| sss_detect(&x[..sss_len], p, cfg, &mut demod))
        .collect();
    // A PSS peak comes with aliases at other frequencies and timings (the Zadoff-Chu ridge):
    // of the peaks of one N_ID^(2) within ±64 samples, only the one whose SSS fits best is kept.
    let best_q = |c: &[CellCandidate]| c.iter().map(|c| c.sss_quality).fold(f32::MIN, f32::max);
    let mut out = Vec::new();
    for (i, p) in peaks.iter().enumerate() {
        if per_peak[i].is_empty() {
            continue;
        }
        let beaten = peaks.iter().enumerate().any(|(j, o)| {
            let d = (o.position - p.position).rem_euclid(HALF_FRAME as f64);
            j != i
                && o.n_id_2 == p.n_id_2
                && d.min(HALF_FRAME as f64 - d) <= 64.0
                && (best_q(&per_peak[j]), j < i) > (best_q(&per_peak[i]), false)
        });
        if beaten {
            continue;
        }
        let q0 = best_q(&per_peak[i]);
        // A second cell on the same peak (co-channel, same N_ID^(2) and timing) must stand out
        // of the noise on its own: at least 40 % of the first one's quality.
        out.extend(
            per_peak[i]
                .iter()
                .filter(|c| c.sss_quality >= 0.4 * q0)
                .cloned(),
        );
    }
    Ok(out)
}

/// Half-frames used by the SSS detection (40 ms).
const SSS_HALF_FRAMES: usize = 16;

fn check(cfg: &SearchConfig) -> Result<(), LteError> {
    let bad = |name, value| Err(LteError::InvalidParameter { name, value });
    if !(cfg.max_cfo_hz.is_finite() && (0.0..=400_000.0).contains(&cfg.max_cfo_hz)) {
        return bad("max_cfo_hz", cfg.max_cfo_hz);
    }
    if !(cfg.cfo_step_hz.is_finite() && cfg.cfo_step_hz >= BIN_HZ) {
        return bad("cfo_step_hz", cfg.cfo_step_hz);
    }
    if !cfg.pss_threshold.is_finite() {
        return bad("pss_threshold", cfg.pss_threshold as f64);
    }
    Ok(())
}

/// Coarse and refined PSS search: the peaks above threshold, strongest first.
pub fn pss_search(x: &[Complex32], cfg: &SearchConfig) -> Result<Vec<PssPeak>, LteError> {
    check(cfg)?;
    let len = x.len().min(cfg.search_samples.max(2 * HALF_FRAME));
    if len < BLOCK + 2 * HALF_FRAME / 2 {
        return Ok(Vec::new());
    }
    let x = &x[..len];
    let num = Numerology::new(SEARCH_RATE_SPS, CyclicPrefix::Normal)?;
    let step_bins = (cfg.cfo_step_hz / BIN_HZ).round().max(1.0) as i64;
    let n_f = (cfg.max_cfo_hz / (step_bins as f64 * BIN_HZ)).floor() as i64;
    let shifts: Vec<i64> = (-n_f..=n_f).map(|i| i * step_bins).collect();
    let fold = HALF_FRAME / 2;

    // Conjugate PSS spectra on the central OUT bins of a BLOCK-point FFT.
    let mut planner = FftPlanner::<f32>::new();
    let fwd = planner.plan_fft_forward(BLOCK);
    let inv = planner.plan_fft_inverse(OUT);
    let full_bin = |b: usize| if b < OUT / 2 { b } else { b + BLOCK - OUT };
    let replicas: Vec<Vec<Complex32>> = (0..3).map(|u| pss_time(u, &num)).collect();
    let pspec: Vec<Vec<Complex32>> = replicas
        .iter()
        .map(|p| {
            let mut b = vec![Complex32::new(0.0, 0.0); BLOCK];
            b[..p.len()].copy_from_slice(p);
            fwd.process(&mut b);
            (0..OUT).map(|i| b[full_bin(i)].conj()).collect()
        })
        .collect();

    let mut acc = vec![0f32; 3 * shifts.len() * fold];
    let mut xb = vec![Complex32::new(0.0, 0.0); BLOCK];
    let mut xx = vec![Complex32::new(0.0, 0.0); 2 * BLOCK];
    let mut yb = vec![Complex32::new(0.0, 0.0); OUT];
    let mut scratch = vec![Complex32::new(0.0, 0.0); inv.get_inplace_scratch_len()];
    let mut start = 0usize;
    while start + BLOCK <= len {
        xb.copy_from_slice(&x[start..start + BLOCK]);
        fwd.process(&mut xb);
        // The spectrum twice over, so every shifted window is one contiguous slice.
        xx[..BLOCK].copy_from_slice(&xb);
        xx[BLOCK..].copy_from_slice(&xb);
        for (u, ps) in pspec.iter().enumerate() {
            for (fi, &s) in shifts.iter().enumerate() {
                let s = s.rem_euclid(BLOCK as i64) as usize;
                let (lo, hi) = yb.split_at_mut(OUT / 2);
                let (plo, phi) = ps.split_at(OUT / 2);
                for ((y, a), p) in lo.iter_mut().zip(&xx[s..s + OUT / 2]).zip(plo) {
                    *y = a * p;
                }
                let h0 = BLOCK - OUT / 2 + s;
                for ((y, a), p) in hi.iter_mut().zip(&xx[h0..h0 + OUT / 2]).zip(phi) {
                    *y = a * p;
                }
                inv.process_with_scratch(&mut yb, &mut scratch);
                let row = &mut acc[(u * shifts.len() + fi) * fold..][..fold];
                // Fold modulo the half-frame: at most two contiguous runs.
                let t0 = (start / 2) % fold;
                let first = (fold - t0).min(HOP / 2);
                for (r, y) in row[t0..t0 + first].iter_mut().zip(&yb[..first]) {
                    *r += y.norm_sqr();
                }
                for (r, y) in row.iter_mut().zip(&yb[first..HOP / 2]) {
                    *r += y.norm_sqr();
                }
            }
        }
        start += HOP;
    }

    // Normalise by the energy under the correlator at each folded timing (TDD cells switch
    // their power on and off within the half-frame; a power step correlates with anything).
    let mut efold = vec![0f64; fold];
    let mut cum = vec![0f64; len + 1];
    for (i, v) in x.iter().enumerate() {
        cum[i + 1] = cum[i] + v.norm_sqr() as f64;
    }
    let mut start = 0usize;
    while start + BLOCK <= len {
        for j in 0..HOP / 2 {
            let t0 = start + 2 * j;
            efold[(start / 2 + j) % fold] += cum[t0 + 128] - cum[t0];
        }
        start += HOP;
    }
    let emean = efold.iter().sum::<f64>() / fold as f64;
    if emean.is_nan() || emean <= 0.0 {
        return Ok(Vec::new());
    }
    for row in acc.chunks_mut(fold) {
        for (a, e) in row.iter_mut().zip(&efold) {
            *a = (*a as f64 / (e + 1e-3 * emean)) as f32;
        }
    }
    // Sum neighbouring decimated outputs: a peak centred on an odd sample would otherwise lose
    // 3.7 dB (the correlation's main lobe is about two samples wide) and fall below its own
    // aliases; the sum loses at most 0.6 dB. Entry t then stands for sample 2t + 1.
    for row in acc.chunks_mut(fold) {
        let first = row[0];
        for t in 0..fold - 1 {
            row[t] += row[t + 1];
        }
        row[fold - 1] += first;
    }
    // Peaks per root against the mean over all roots, frequencies and timings.
    let mean = (acc.iter().map(|&v| v as f64).sum::<f64>() / acc.len() as f64) as f32;
    if mean.is_nan() || mean <= 0.0 {
        return Ok(Vec::new());
    }
    let mut coarse = Vec::new();
    for u in 0..3usize {
        let rows = &mut acc[u * shifts.len() * fold..(u + 1) * shifts.len() * fold];
        for _ in 0..cfg.max_peaks_per_root {
            let Some((idx, &v)) = rows.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)) else {
                break;
            };
            if v < cfg.pss_threshold * mean {
                break;
            }
            let (fi, t) = (idx / fold, idx % fold);
            coarse.push((u as u8, 2 * t + 1, shifts[fi] as f64 * BIN_HZ, v / mean));
            // Suppress ±8 decimated samples within ±7.5 kHz. Not further: the Zadoff-Chu
            // sequences trade frequency for time, so a peak has aliases at whole subcarriers
            // next to it, and with sample-clock drift an alias can outgrow the true peak; the
            // SSS tells them apart.
            let near = (7_500.0 / (step_bins as f64 * BIN_HZ)).floor() as usize;
            for f in fi.saturating_sub(near)..(fi + near + 1).min(shifts.len()) {
                for dt in -8i64..=8 {
                    let tt = (t as i64 + dt).rem_euclid(fold as i64) as usize;
                    rows[f * fold + tt] = 0.0;
                }
            }
        }
    }
    let mut peaks: Vec<PssPeak> = coarse
        .into_iter()
        .map(|(u, t, f, m)| refine(x, &replicas[u as usize], u, t, f, m))
        .collect();
    peaks.sort_by(|a, b| b.metric.total_cmp(&a.metric));
    Ok(peaks)
}

/// Correlation of `x[t..t+128]`, frequency-shifted by `-cfo_hz`, with `p`, split in two halves.
fn corr_halves(x: &[Complex32], t: usize, p: &[Complex32], cfo_hz: f64) -> (Complex32, Complex32) {
    let w = -TAU * cfo_hz / SEARCH_RATE_SPS;
    let ph = (w * t as f64).rem_euclid(TAU);
    let mut rot = Complex32::new(ph.cos() as f32, ph.sin() as f32);
    let step = Complex32::new(w.cos() as f32, w.sin() as f32);
    let (mut a, mut b) = (Complex32::new(0.0, 0.0), Complex32::new(0.0, 0.0));
    let half = p.len() / 2;
    for (m, (xv, pv)) in x[t..t + p.len()].iter().zip(p).enumerate() {
        let v = xv * rot * pv.conj();
        if m < half {
            a += v;
        } else {
            b += v;
        }
        rot *= step;
    }
    (a, b)
}

fn refine(x: &[Complex32], p: &[Complex32], u: u8, t0: usize, cfo: f64, metric: f32) -> PssPeak {
    let n = p.len();
    let mut energy = [0f32; 7];
    let mut halves = [Complex32::new(0.0, 0.0); 7];
    for (i, dt) in (-3i64..=3).enumerate() {
        let mut t = t0 as i64 + dt;
        while t < 0 {
            t += HALF_FRAME as i64;
        }
        let mut t = t as usize;
        while t + n <= x.len() {
            let (a, b) = corr_halves(x, t, p, cfo);
            energy[i] += (a + b).norm_sqr();
            halves[i] += b * a.conj();
            t += HALF_FRAME;
        }
    }
    let best = (1..6)
        .max_by(|&a, &b| energy[a].total_cmp(&energy[b]))
        .unwrap_or(3);
    let (em, e0, ep) = (energy[best - 1], energy[best], energy[best + 1]);
    let den = em - 2.0 * e0 + ep;
    let frac = if den < 0.0 {
        (0.5 * (em - ep) / den).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    let pos = (t0 as f64 + best as f64 - 3.0 + frac as f64).rem_euclid(HALF_FRAME as f64);
    let fine = halves[best].arg() as f64 / (TAU * (n / 2) as f64 / SEARCH_RATE_SPS);
    PssPeak {
        n_id_2: u,
        position: pos,
        cfo_hz: cfo + fine,
        metric,
    }
}

const HYPOTHESES: [(Duplex, CyclicPrefix); 4] = [
    (Duplex::Fdd, CyclicPrefix::Normal),
    (Duplex::Tdd, CyclicPrefix::Normal),
    (Duplex::Fdd, CyclicPrefix::Extended),
    (Duplex::Tdd, CyclicPrefix::Extended),
];

fn sss_detect(
    x: &[Complex32],
    p: &PssPeak,
    cfg: &SearchConfig,
    demod: &mut OfdmDemod,
) -> Vec<CellCandidate> {
    let table = sss_table(p.n_id_2);
    let d = pss_sequence(p.n_id_2);
    // metric[hyp][parity][n_id_1]
    let mut metric = vec![[[0f32; N_ID_1_COUNT]; 2]; HYPOTHESES.len()];
    let mut re = vec![Complex32::new(0.0, 0.0); 62];
    let mut h = vec![Complex32::new(0.0, 0.0); 62];
    let mut z = [0f32; 62];
    let mut used = 0;
    let mut t = p.position;
    let mut half = 0usize;
    while t + 128.0 < x.len() as f64 {
        if demod.demod(x, t, p.cfo_hz, &mut re) {
            for n in 0..62 {
                h[n] = re[(sync_re(n) + 31) as usize] * d[n].conj();
            }
            for (hi, (dup, cp)) in HYPOTHESES.iter().enumerate() {
                let Ok(num) = Numerology::new(SEARCH_RATE_SPS, *cp) else {
                    continue;
                };
                let ts = t - (num.pss_offset(*dup) - num.sss_offset(*dup)) as f64;
                if !demod.demod(x, ts, p.cfo_hz, &mut re) {
                    continue;
                }
                for n in 0..62 {
                    z[n] = (re[(sync_re(n) + 31) as usize] * h[n].conj()).re;
                }
                for n1 in 0..N_ID_1_COUNT {
                    let c0: f32 = table[2 * n1].iter().zip(&z).map(|(a, b)| a * b).sum();
                    let c5: f32 = table[2 * n1 + 1].iter().zip(&z).map(|(a, b)| a * b).sum();
                    // Parity 0: this half-frame (index `half`) is subframe 0 when `half` is even.
                    let (m0, m1) = if half.is_multiple_of(2) {
                        (c0, c5)
                    } else {
                        (c5, c0)
                    };
                    metric[hi][0][n1] += m0;
                    metric[hi][1][n1] += m1;
                }
                used += 1;
            }
        }
        t += HALF_FRAME as f64;
        half += 1;
    }
    if used == 0 {
        return Vec::new();
    }
    let all: Vec<f32> = metric.iter().flatten().flatten().copied().collect();
    let nall = all.len() as f32;
    let mut picks: Vec<(f32, usize, usize, usize)> = Vec::new();
    for (hi, m) in metric.iter().enumerate() {
        for (par, row) in m.iter().enumerate() {
            for (n1, &v) in row.iter().enumerate() {
                picks.push((v, hi, par, n1));
            }
        }
    }
    picks.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out = Vec::new();
    for &(v, hi, par, n1) in picks.iter().take(cfg.sss_candidates) {
        // Spread of the other hypotheses (the pick itself excluded).
        let mean = (all.iter().sum::<f32>() - v) / (nall - 1.0);
        let var = (all.iter().map(|a| (a - mean) * (a - mean)).sum::<f32>()
            - (v - mean) * (v - mean))
            / (nall - 2.0);
        let q = (v - mean) / var.sqrt().max(1e-20);
        if q.is_nan() || q < cfg.sss_threshold {
            continue;
        }
        let (dup, cp) = HYPOTHESES[hi];
        let Ok(num) = Numerology::new(SEARCH_RATE_SPS, cp) else {
            continue;
        };
        // Parity 0: half-frame 0 (PSS at `position`) is in subframe 0..5.
        let pss0 = p.position + if par == 0 { 0.0 } else { HALF_FRAME as f64 };
        let frame_start = (pss0 - num.pss_offset(dup) as f64).rem_euclid(2.0 * HALF_FRAME as f64);
        out.push(CellCandidate {
            pci: 3 * n1 as u16 + p.n_id_2 as u16,
            duplex: dup,
            cp,
            cfo_hz: p.cfo_hz,
            frame_start,
            pss: p.clone(),
            sss_quality: q,
        });
    }
    out
}
