//! Channel estimation on a known training sequence and a maximum-likelihood sequence estimator
//! (MLSE, max-log forward–backward over a 16-state trellis) producing soft bits.
//!
//! Model (symbol-spaced, after de-rotating GMSK by `(−j)^n`, which turns GSM's differentially
//! encoded GMSK into BPSK of the burst bits with inter-symbol interference, Laurent's linearisation):
//! `r(n) = Σ_{l=0..4} h(l) · x(n + 2 − l) + w(n)`, with `x = 2d − 1` (bit 1 → +1, bit 0 → −1).
//! The 5 taps cover the GMSK pulse (about 3 symbols) plus about 2 symbols of delay spread.

use num_complex::Complex32;

/// Taps of the channel estimate.
pub const CHANNEL_TAPS: usize = 5;
/// Trellis states: 2^(taps − 1).
const STATES: usize = 16;
/// Soft bits are clipped to ± this value.
const SOFT_CLIP: f32 = 64.0;
/// Burst length in symbols.
const BURST: usize = 148;

/// A known run of bits inside a burst with its precomputed least-squares estimator.
#[derive(Debug, Clone)]
pub struct Training {
    /// First burst position of the known bits.
    pub pos: usize,
    /// Burst positions `n` whose observation is used (all 5 symbols it depends on are known).
    rows: Vec<usize>,
    /// Regressor rows `[x(n+2), x(n+1), x(n), x(n−1), x(n−2)]` (each ±1).
    a: Vec<[f64; CHANNEL_TAPS]>,
    /// `(AᵀA)⁻¹` (symmetric).
    inv: [[f64; CHANNEL_TAPS]; CHANNEL_TAPS],
}

/// Result of a least-squares channel fit.
#[derive(Debug, Clone, Copy)]
pub struct ChannelFit {
    /// Channel taps `h(0..5)`.
    pub taps: [Complex32; CHANNEL_TAPS],
    /// Residual noise power per observation (`|r − A h|² / (M − 5)`).
    pub noise_power: f32,
    /// Mean received power over the observations.
    pub rx_power: f32,
}

impl ChannelFit {
    /// Channel energy over noise power, in dB (the SNR of the burst as the equaliser sees it).
    pub fn snr_db(&self) -> f32 {
        let e: f32 = self.taps.iter().map(|t| t.norm_sqr()).sum();
        10.0 * (e / self.noise_power.max(1e-30)).max(1e-30).log10()
    }

    /// Energy centroid of the taps relative to the centre tap, in symbols (0 when the burst was
    /// sampled where the channel's energy is centred; positive when the energy arrives late).
    pub fn centroid_symbols(&self) -> f32 {
        let e: f32 = self.taps.iter().map(|t| t.norm_sqr()).sum();
        if !(e.is_finite() && e > 0.0) {
            return 0.0;
        }
        let m: f32 = self
            .taps
            .iter()
            .enumerate()
            .map(|(l, t)| l as f32 * t.norm_sqr())
            .sum();
        // Tap l multiplies x(n + 2 − l): energy in a higher tap means the symbol arrives later.
        m / e - 2.0
    }
}

/// Solves the 5×5 symmetric system `m · x = b` in place (Gaussian elimination, partial pivoting).
fn solve5(mut m: [[f64; 5]; 5], mut b: [f64; 5]) -> Option<[f64; 5]> {
    for c in 0..5 {
        let mut piv = c;
        for r in c + 1..5 {
            if m[r][c].abs() > m[piv][c].abs() {
                piv = r;
            }
        }
        if m[piv][c].abs() < 1e-9 {
            return None;
        }
        m.swap(c, piv);
        b.swap(c, piv);
        let pivot_row = m[c];
        let pivot_b = b[c];
        for (r, (row, br)) in m.iter_mut().zip(b.iter_mut()).enumerate() {
            if r != c {
                let f = row[c] / pivot_row[c];
                for (v, p) in row.iter_mut().zip(pivot_row.iter()).skip(c) {
                    *v -= f * p;
                }
                *br -= f * pivot_b;
            }
        }
    }
    let mut x = [0.0; 5];
    for i in 0..5 {
        x[i] = b[i] / m[i][i];
    }
    Some(x)
}

impl Training {
    /// Known bits `bits` starting at burst position `pos`. Returns `None` when the bits are too
    /// few (fewer than 10 usable observations) or give a singular system.
    pub fn new(pos: usize, bits: &[u8]) -> Option<Self> {
        let x = |i: usize| {
            if bits.get(i - pos).copied().unwrap_or(0) != 0 {
                1.0f32
            } else {
                -1.0
            }
        };
        let mut rows = Vec::new();
        let mut a = Vec::new();
        for n in pos + 2..(pos + bits.len()).saturating_sub(2) {
            rows.push(n);
            a.push([x(n + 2), x(n + 1), x(n), x(n - 1), x(n - 2)]);
        }
        if rows.len() < 10 {
            return None;
        }
        let mut ata = [[0.0f64; 5]; 5];
        for row in &a {
            for i in 0..5 {
                for j in 0..5 {
                    ata[i][j] += f64::from(row[i] * row[j]);
                }
            }
        }
        // (AᵀA)⁻¹, column by column.
        let mut inv = [[0.0f64; 5]; 5];
        for c in 0..5 {
            let mut e = [0.0f64; 5];
            e[c] = 1.0;
            let col = solve5(ata, e)?;
            for r in 0..5 {
                inv[r][c] = col[r];
            }
        }
        let a = a.iter().map(|row| row.map(f64::from)).collect();
        Some(Training { pos, rows, a, inv })
    }

    /// Number of observations used.
    pub fn observations(&self) -> usize {
        self.rows.len()
    }

    /// Least-squares fit of the channel to the symbol-spaced observations `r` (indexed by burst
    /// position, at least 148 long).
    pub fn fit(&self, r: &[Complex32]) -> ChannelFit {
        self.fit_strided(r, 1)
    }

    /// As [`Training::fit`], with burst position `n` read from `x[n · stride]` (e.g. every 4th
    /// sample of a 4-samples-per-symbol stream). Missing samples count as zero.
    ///
    /// One pass over the observations: `b = Aᵀr`, `h = (AᵀA)⁻¹ b`, and the residual in closed
    /// form, `|r − A h|² = |r|² − hᴴ b` (accumulated in f64, so the subtraction keeps its
    /// precision up to SNRs far beyond what a receiver sees).
    pub fn fit_strided(&self, x: &[Complex32], stride: usize) -> ChannelFit {
        let mut b_re = [0.0f64; CHANNEL_TAPS];
        let mut b_im = [0.0f64; CHANNEL_TAPS];
        let mut power = 0.0f64;
        for (&n, row) in self.rows.iter().zip(&self.a) {
            let y = x.get(n * stride).copied().unwrap_or_default();
            let (yr, yi) = (f64::from(y.re), f64::from(y.im));
            power += yr * yr + yi * yi;
            for k in 0..CHANNEL_TAPS {
                b_re[k] += row[k] * yr;
                b_im[k] += row[k] * yi;
            }
        }
        let mut h = [Complex32::new(0.0, 0.0); CHANNEL_TAPS];
        let mut explained = 0.0f64;
        for (k, hk) in h.iter_mut().enumerate() {
            let (mut hr, mut hi) = (0.0f64, 0.0f64);
            for j in 0..CHANNEL_TAPS {
                hr += self.inv[k][j] * b_re[j];
                hi += self.inv[k][j] * b_im[j];
            }
            // Re(conj(h_k) · b_k)
            explained += hr * b_re[k] + hi * b_im[k];
            *hk = Complex32::new(hr as f32, hi as f32);
        }
        let m = self.rows.len() as f64;
        let dof = (m - CHANNEL_TAPS as f64).max(1.0);
        let resid = (power - explained).max(power * 1e-12);
        ChannelFit {
            taps: h,
            noise_power: (resid / dof) as f32,
            rx_power: (power / m) as f32,
        }
    }
}

/// Mean residual power `|r(n) − Σ h(l)·x(n + 2 − l)|²` over the burst when its decided bits
/// `bits` pass through the channel `taps` (observations `r` symbol-spaced and de-rotated, as for
/// [`Mlse::equalize`]). Against the training fit's own residual it tells whether the channel
/// estimate explains the data part: a co-channel interferer sending the *same* training
/// sequence in step hides inside the estimate (the fit absorbs it) and shows up only here.
pub fn decision_residual(
    r: &[Complex32],
    taps: &[Complex32; CHANNEL_TAPS],
    bits: &[u8; BURST],
) -> f32 {
    let x = |i: usize| if bits[i] != 0 { 1.0f32 } else { -1.0 };
    let mut sum = 0.0f32;
    let mut n_obs = 0usize;
    for n in 2..BURST - 2 {
        let Some(&y) = r.get(n) else { break };
        let mut e = y;
        for (l, h) in taps.iter().enumerate() {
            e -= h * x(n + 2 - l);
        }
        sum += e.norm_sqr();
        n_obs += 1;
    }
    sum / n_obs.max(1) as f32
}

/// Reusable work space of the equaliser (no allocation per burst).
#[derive(Debug, Clone)]
pub struct Mlse {
    alpha: Vec<[f32; STATES]>,
    gamma: Vec<[f32; 2 * STATES]>,
}

impl Default for Mlse {
    fn default() -> Self {
        Self::new()
    }
}

impl Mlse {
    /// A new equaliser.
    pub fn new() -> Self {
        Mlse {
            alpha: vec![[0.0; STATES]; BURST + 1],
            gamma: vec![[0.0; 2 * STATES]; BURST],
        }
    }

    /// Equalises one burst. `r` holds the symbol-spaced, de-rotated observations `r(0..148)`;
    /// `fit` the channel. The three tail bits at each end are taken as known zeros. Writes soft
    /// bits (> 0 ⇒ 1, magnitude = log-likelihood ratio, clipped to ±64) to `out`.
    pub fn equalize(&mut self, r: &[Complex32], fit: &ChannelFit, out: &mut [f32; BURST]) {
        let floor = fit.rx_power.max(1e-30) * 1e-4;
        let sigma2 = fit.noise_power.max(floor);
        let inv = 1.0 / sigma2;
        // Expected observation for (previous state s, new bit b): index s*2 + b.
        let mut expect = [Complex32::new(0.0, 0.0); 2 * STATES];
        for s in 0..STATES {
            for b in 0..2 {
                let xv = |bit: usize| if bit != 0 { 1.0f32 } else { -1.0 };
                let mut e = fit.taps[0] * xv(b);
                for l in 1..CHANNEL_TAPS {
                    e += fit.taps[l] * xv((s >> (l - 1)) & 1);
                }
                expect[s * 2 + b] = e;
            }
        }
        let inf = f32::INFINITY;
        // State after symbol i: bit0 = x(i), bit1 = x(i−1), bit2 = x(i−2), bit3 = x(i−3).
        // Start after symbol 1: x(1) = x(0) = tail (bit 0), x(−1), x(−2) free.
        let mut start = [inf; STATES];
        for s in [0b0000, 0b0100, 0b1000, 0b1100] {
            start[s] = 0.0;
        }
        self.alpha[0] = start;
        // Step t adds symbol i = t + 2 using observation r(t).
        for t in 0..BURST {
            let y = r.get(t).copied().unwrap_or_default();
            let y = if y.re.is_finite() && y.im.is_finite() {
                y
            } else {
                Complex32::new(0.0, 0.0)
            };
            let i = t + 2;
            let forced_zero = i == 2 || (145..=147).contains(&i);
            let g = &mut self.gamma[t];
            for (k, e) in expect.iter().enumerate() {
                g[k] = if forced_zero && k % 2 == 1 {
                    inf
                } else {
                    (y - e).norm_sqr() * inv
                };
            }
            let prev = self.alpha[t];
            let mut next = [inf; STATES];
            for (sn, nx) in next.iter_mut().enumerate() {
                let b = sn & 1;
                let s0 = sn >> 1;
                let s1 = s0 | 8;
                let m0 = prev[s0] + g[s0 * 2 + b];
                let m1 = prev[s1] + g[s1 * 2 + b];
                *nx = m0.min(m1);
            }
            let mn = next.iter().copied().fold(inf, f32::min);
            if mn.is_finite() {
                for v in &mut next {
                    *v -= mn;
                }
            }
            self.alpha[t + 1] = next;
        }
        // Backward pass with soft outputs.
        let mut beta = [0.0f32; STATES];
        for t in (0..BURST).rev() {
            let i = t + 2;
            let g = &self.gamma[t];
            let a = &self.alpha[t];
            let mut best = [inf; 2];
            let mut nb = [inf; STATES];
            for (s, nbs) in nb.iter_mut().enumerate() {
                for b in 0..2 {
                    let sn = ((s << 1) | b) & (STATES - 1);
                    let m = g[s * 2 + b] + beta[sn];
                    if m < *nbs {
                        *nbs = m;
                    }
                    let tot = a[s] + m;
                    if tot < best[b] {
                        best[b] = tot;
                    }
                }
            }
            if i < BURST {
                let llr = best[0] - best[1];
                out[i] = if llr.is_nan() {
                    0.0
                } else {
                    llr.clamp(-SOFT_CLIP, SOFT_CLIP)
                };
            }
            let mn = nb.iter().copied().fold(inf, f32::min);
            if mn.is_finite() {
                for v in &mut nb {
                    *v -= mn;
                }
            }
            beta = nb;
        }
        out[0] = -SOFT_CLIP;
        out[1] = -SOFT_CLIP;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gsm::burst::TRAINING_SEQUENCES;
    use crate::signal::Rng;

    fn make_burst(rng: &mut Rng, tsc: usize) -> [u8; 148] {
        let mut b = [0u8; 148];
        for (i, v) in b.iter_mut().enumerate() {
            *v = if (3..145).contains(&i) { rng.bit() } else { 0 };
        }
        b[61..87].copy_from_slice(&TRAINING_SEQUENCES[tsc]);
        b
    }

    fn channel(bits: &[u8; 148], h: &[Complex32; 5], rng: &mut Rng, noise: f64) -> Vec<Complex32> {
        let x = |i: isize| {
            if !(0..148).contains(&i) || bits[i as usize] != 0 {
                1.0
            } else {
                -1.0
            }
        };
        (0..148isize)
            .map(|n| {
                let mut y = rng.complex_gaussian(noise);
                for (l, hl) in h.iter().enumerate() {
                    y += *hl * x(n + 2 - l as isize);
                }
                y
            })
            .collect()
    }

    #[test]
    fn ls_fit_recovers_channel_and_mlse_decodes() {
        let mut rng = Rng::new(7);
        let h = [
            Complex32::new(0.1, 0.05),
            Complex32::new(0.5, -0.2),
            Complex32::new(1.0, 0.3),
            Complex32::new(-0.4, 0.2),
            Complex32::new(0.2, 0.1),
        ];
        let tr = Training::new(61, &TRAINING_SEQUENCES[3]).unwrap();
        let mut mlse = Mlse::new();
        let mut errors = 0;
        for _ in 0..50 {
            let bits = make_burst(&mut rng, 3);
            let r = channel(&bits, &h, &mut rng, 0.01);
            let fit = tr.fit(&r);
            for (a, b) in fit.taps.iter().zip(&h) {
                assert!((a - b).norm() < 0.1, "{a} vs {b}");
            }
            assert!(fit.snr_db() > 15.0);
            let mut soft = [0.0; 148];
            mlse.equalize(&r, &fit, &mut soft);
            errors += bits
                .iter()
                .zip(&soft)
                .filter(|(b, s)| (**b != 0) != (**s > 0.0))
                .count();
        }
        assert_eq!(errors, 0);
    }

    #[test]
    fn garbage_input_does_not_panic() {
        let tr = Training::new(61, &TRAINING_SEQUENCES[0]).unwrap();
        let mut mlse = Mlse::new();
        let mut soft = [0.0; 148];
        for v in [f32::NAN, 0.0, 1e30, f32::INFINITY] {
            let r = vec![Complex32::new(v, -v); 148];
            let fit = tr.fit(&r);
            mlse.equalize(&r, &fit, &mut soft);
            assert!(soft.iter().all(|s| !s.is_nan()));
        }
    }
}
