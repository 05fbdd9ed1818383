//! Cell-specific reference signals (TS 36.211 §6.10.1) and channel estimation from them.
//!
//! `r(m) = (1 − 2c(2m))/√2 + j(1 − 2c(2m+1))/√2` with the Gold sequence of
//! `c_init = 2¹⁰(7(n_s+1) + l + 1)(2N_ID + 1) + 2N_ID + N_CP`; ports 0/1 in symbols 0 and
//! N_symb − 3 of every slot, ports 2/3 in symbol 1; every sixth subcarrier, shifted by
//! `v + N_ID mod 6`. A receiver that sees only the central `n_rb` resource blocks (a "view")
//! uses `r(m + 110 − n_rb)`, which does not depend on the cell's bandwidth.
//!
//! The estimator works on one subframe of demodulated resource elements: least-squares estimates
//! at the pilots, smoothed over ±12 subcarriers, then de-rotated by the phase drift measured
//! between pilot symbols (residual frequency offset) and averaged over the subframe's pilot
//! symbols to the time of each wanted symbol.

use super::fec::gold::{Gold, c_init_crs};
use super::params::{CyclicPrefix, MAX_RB};
use num_complex::Complex32;
use std::f32::consts::FRAC_1_SQRT_2;

/// Symbols (within a slot) that carry CRS of `port` (0..4) for cyclic prefix `cp`.
pub fn crs_symbols(port: usize, cp: CyclicPrefix) -> &'static [usize] {
    match (port, cp) {
        (0 | 1, CyclicPrefix::Normal) => &[0, 4],
        (0 | 1, CyclicPrefix::Extended) => &[0, 3],
        _ => &[1],
    }
}

/// Subcarrier offset (0..6) of the first CRS of `port` in symbol `l` of slot `ns` for `pci`:
/// pilots sit on subcarriers `k` with `k mod 6` equal to it.
pub fn crs_offset(port: usize, ns: usize, l: usize, pci: u16) -> usize {
    let v = match port {
        0 if l == 0 => 0,
        0 => 3,
        1 if l == 0 => 3,
        1 => 0,
        2 => 3 * (ns % 2),
        _ => 3 + 3 * (ns % 2),
    };
    (v + pci as usize % 6) % 6
}

/// The `2·n_rb` CRS values of symbol `l` in slot `ns` for the central `n_rb` resource blocks.
pub fn crs_values(ns: usize, l: usize, pci: u16, cp: CyclicPrefix, n_rb: usize) -> Vec<Complex32> {
    let n_rb = n_rb.min(MAX_RB);
    let c_init = c_init_crs(ns as u8, l as u8, pci, cp == CyclicPrefix::Normal);
    let mut g = Gold::new(c_init);
    g.skip(2 * (MAX_RB - n_rb));
    (0..2 * n_rb)
        .map(|_| {
            let a = 1.0 - 2.0 * g.next_bit() as f32;
            let b = 1.0 - 2.0 * g.next_bit() as f32;
            Complex32::new(a * FRAC_1_SQRT_2, b * FRAC_1_SQRT_2)
        })
        .collect()
}

/// One demodulated symbol of a subframe: its slot, its index in the slot, its time (samples,
/// any origin) and its resource elements (`12·n_rb`, lowest subcarrier first).
#[derive(Debug, Clone)]
pub struct GridSymbol {
    /// Slot number n_s (0..20).
    pub ns: usize,
    /// Symbol index in the slot.
    pub l: usize,
    /// Time of the symbol, samples.
    pub time: f64,
    /// Resource elements.
    pub re: Vec<Complex32>,
}

/// Channel estimates of one port.
#[derive(Debug, Clone)]
pub struct PortEstimate {
    /// Per pilot symbol: (time, smoothed estimate at every subcarrier).
    smoothed: Vec<(f64, Vec<Complex32>)>,
    /// Residual frequency drift, radians per sample.
    pub drift_rad_per_sample: f64,
    /// Mean |h|² of the smoothed estimates (per resource element).
    pub power: f32,
    /// Noise variance per resource element: spread of the raw pilot estimates around the
    /// smoothed ones (corrected for the smoothing; a channel that changes faster than the
    /// smoother follows adds to it).
    pub noise: f32,
    /// Number of pilots used.
    pub pilots: usize,
}

impl PortEstimate {
    /// The channel at subcarrier `i` at `time`: the pilot symbols' smoothed estimates rotated by
    /// the drift to `time` and averaged.
    pub fn at(&self, i: usize, time: f64) -> Complex32 {
        let mut acc = Complex32::new(0.0, 0.0);
        for (t, h) in &self.smoothed {
            let a = (self.drift_rad_per_sample * (time - t)) as f32;
            acc += h.get(i).copied().unwrap_or_default() * Complex32::from_polar(1.0, a);
        }
        acc / self.smoothed.len().max(1) as f32
    }
}

impl PortEstimate {
    /// The channel at every subcarrier at `time` (what [`PortEstimate::at`] gives, for all
    /// subcarriers at once: one rotation per pilot symbol instead of one per element).
    pub fn symbol(&self, time: f64) -> Vec<Complex32> {
        let n = self.smoothed.first().map_or(0, |s| s.1.len());
        let mut out = vec![Complex32::new(0.0, 0.0); n];
        let norm = 1.0 / self.smoothed.len().max(1) as f32;
        for (t, h) in &self.smoothed {
            let rot = Complex32::from_polar(norm, (self.drift_rad_per_sample * (time - t)) as f32);
            for (o, v) in out.iter_mut().zip(h) {
                *o += v * rot;
            }
        }
        out
    }
}

/// Subcarriers on each side averaged by the frequency smoother.
pub const SMOOTH_SUBCARRIERS: usize = 12;

/// Estimates the channel of `port` from the CRS in `grid` (a subframe or more of one cell,
/// `n_rb` central resource blocks). None when no pilot symbol of that port is in `grid`.
pub fn estimate_port(
    grid: &[GridSymbol],
    port: usize,
    pci: u16,
    cp: CyclicPrefix,
    n_rb: usize,
) -> Option<PortEstimate> {
    let n_sc = 12 * n_rb;
    let mut smoothed = Vec::new();
    let mut resid = 0f64;
    let mut raw_count = 0usize;
    for s in grid {
        if !crs_symbols(port, cp).contains(&s.l) || s.re.len() != n_sc {
            continue;
        }
        let r = crs_values(s.ns, s.l, pci, cp, n_rb);
        let off = crs_offset(port, s.ns, s.l, pci);
        let pilots: Vec<(usize, Complex32)> = (0..2 * n_rb)
            .map(|m| {
                let k = 6 * m + off;
                (k, s.re[k] * r[m].conj())
            })
            .collect();
        let mut h = vec![Complex32::new(0.0, 0.0); n_sc];
        for (i, hv) in h.iter_mut().enumerate() {
            let mut acc = Complex32::new(0.0, 0.0);
            let mut w = 0f32;
            for &(k, v) in &pilots {
                let d = k.abs_diff(i);
                if d <= SMOOTH_SUBCARRIERS {
                    let wt = 1.0 - d as f32 / (SMOOTH_SUBCARRIERS + 1) as f32;
                    acc += v * wt;
                    w += wt;
                }
            }
            *hv = if w > 0.0 { acc / w } else { acc };
        }
        for &(k, v) in &pilots {
            resid += (v - h[k]).norm_sqr() as f64;
            raw_count += 1;
        }
        smoothed.push((s.time, h));
    }
    if smoothed.is_empty() {
        return None;
    }
    // Phase drift between consecutive pilot symbols, weighted by their correlation.
    let mut acc = Complex32::new(0.0, 0.0);
    let mut dt = 0f64;
    for w in smoothed.windows(2) {
        let c: Complex32 = w[0].1.iter().zip(&w[1].1).map(|(a, b)| a.conj() * b).sum();
        acc += c;
        dt += (w[1].0 - w[0].0) * c.norm() as f64;
    }
    let drift = if acc.norm() > 0.0 && dt > 0.0 {
        acc.arg() as f64 / (dt / acc.norm() as f64).max(1e-9)
    } else {
        0.0
    };
    let power = smoothed
        .iter()
        .map(|(_, h)| h.iter().map(|v| v.norm_sqr()).sum::<f32>() / n_sc as f32)
        .sum::<f32>()
        / smoothed.len() as f32;
    // With the triangular weights over ±12 subcarriers (pilots at 0, ±6, ±12: weights 1, 0.54,
    // 0.08) a raw pilot minus its smoothed value keeps 0.42 of the noise variance, and the
    // smoothed value 1/3.1 of it.
    let noise = (resid / raw_count.max(1) as f64 / 0.42) as f32;
    Some(PortEstimate {
        smoothed,
        drift_rad_per_sample: drift,
        power,
        noise,
        pilots: raw_count,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_the_standard() {
        // PCI 7: v_shift 1. Port 0 symbol 0 → 1, symbol 4 → 4; port 1 the other way round.
        assert_eq!(crs_offset(0, 0, 0, 7), 1);
        assert_eq!(crs_offset(0, 0, 4, 7), 4);
        assert_eq!(crs_offset(1, 0, 0, 7), 4);
        assert_eq!(crs_offset(1, 0, 4, 7), 1);
        // Ports 2/3 alternate with the slot parity.
        assert_eq!(crs_offset(2, 0, 1, 0), 0);
        assert_eq!(crs_offset(2, 1, 1, 0), 3);
        assert_eq!(crs_offset(3, 0, 1, 0), 3);
        assert_eq!(crs_offset(3, 1, 1, 0), 0);
    }

    #[test]
    fn values_are_the_gold_sequence_from_the_view_offset() {
        // The view of 6 RBs is the middle of the full 110-RB sequence.
        let full = crs_values(3, 4, 101, CyclicPrefix::Normal, 110);
        let view = crs_values(3, 4, 101, CyclicPrefix::Normal, 6);
        assert_eq!(&full[104..116], &view[..]);
        let c = crate::lte::fec::gold::gold_sequence(c_init_crs(3, 4, 101, true), 440);
        let v = full[0];
        assert_eq!(v.re > 0.0, c[0] == 0);
        assert_eq!(v.im > 0.0, c[1] == 0);
        assert!((v.norm() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn estimates_a_flat_channel_with_drift() {
        let pci = 33;
        let h = Complex32::new(0.3, -0.4);
        let drift = 2e-4;
        let mut grid = Vec::new();
        for ns in 0..2 {
            for l in 0..7 {
                let time = (ns * 960 + l * 137) as f64;
                let mut re = vec![Complex32::new(0.0, 0.0); 72];
                if crs_symbols(0, CyclicPrefix::Normal).contains(&l) {
                    let r = crs_values(ns, l, pci, CyclicPrefix::Normal, 6);
                    let off = crs_offset(0, ns, l, pci);
                    for m in 0..12 {
                        re[6 * m + off] =
                            r[m] * h * Complex32::from_polar(1.0, (drift * time) as f32);
                    }
                }
                grid.push(GridSymbol { ns, l, time, re });
            }
        }
        let e = estimate_port(&grid, 0, pci, CyclicPrefix::Normal, 6).unwrap();
        assert!((e.drift_rad_per_sample - drift).abs() < 1e-6);
        let t = 1000.0;
        let want = h * Complex32::from_polar(1.0, (drift * t) as f32);
        let all = e.symbol(t);
        for (i, a) in all.iter().enumerate() {
            assert!((e.at(i, t) - want).norm() < 1e-3, "{i}");
            assert!((a - want).norm() < 1e-3, "{i}");
        }
        assert_eq!(all.len(), 72);
        assert!(e.noise < 1e-6);
        // Port 2 sends nothing here: its estimate is empty; without symbol 1 there is none.
        assert!(
            estimate_port(&grid, 2, pci, CyclicPrefix::Normal, 6)
                .unwrap()
                .power
                < 1e-9
        );
        grid.retain(|s| s.l != 1);
        assert!(estimate_port(&grid, 2, pci, CyclicPrefix::Normal, 6).is_none());
    }
}
