//! LTE downlink generator for the lab and the tests: PSS, SSS, CRS (1, 2 or 4 ports), PBCH
//! carrying a given MIB, and random QPSK on the remaining resource elements (a loaded cell), FDD
//! or TDD (uplink-downlink configuration 2, special subframe configuration 0: DwPTS of 3
//! symbols), 6 to 100 resource blocks, through a per-port channel (flat, or an EPA-like
//! 7-tap profile drawn from the seed), with frequency offset, sample-clock error and white noise.
//! Deterministic from the seed.
//!
//! Scaling: a resource element of unit amplitude becomes `1/√N` in time (`N` the FFT size), so the
//! receiver's demodulator (which divides by `N`) sees it at `1/√N` and white noise of variance
//! `σ²` per sample at `σ²/N`: the SNR per resource element is `1/σ²`, whatever the rate.
//!
//! Not generated (yet): PCFICH, PHICH, PDCCH, PDSCH with a SIB1 — the data resource elements
//! carry random QPSK instead.

use super::crs::{crs_offset, crs_symbols, crs_values};
use super::fec::conv::tbcc_encode;
use super::fec::crc::{CrcKind, append_crc_bits, pbch_crc_mask};
use super::fec::gold::{c_init_pbch, scramble_bits};
use super::fec::ratematch_conv::ConvRateMatcher;
use super::params::{CyclicPrefix, Duplex, LteError, Numerology, SUBCARRIER_SPACING_HZ};
use super::pbch::{PBCH_BLOCK_BITS, pbch_res, with_sfn};
use super::pss::{pss_sequence, sync_re};
use super::sss::sss_sequence;
use crate::signal::Rng;
use num_complex::Complex32;
use rustfft::FftPlanner;
use std::f32::consts::FRAC_1_SQRT_2;
use std::f64::consts::TAU;

/// Propagation channel of every antenna port (each port its own realisation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Channel {
    /// A single path with a random phase per port.
    Flat,
    /// The EPA delay profile (TS 36.104 Annex B.2: 0–410 ns, 7 taps), Rayleigh taps drawn once
    /// per port from the seed (no Doppler within a capture).
    Epa,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenConfig {
    /// Physical cell identity (0..504).
    pub pci: u16,
    /// Bandwidth in resource blocks (6..=100).
    pub n_rb: usize,
    /// Duplex mode.
    pub duplex: Duplex,
    /// Cyclic prefix.
    pub cp: CyclicPrefix,
    /// Antenna ports: 1, 2 or 4.
    pub ports: u8,
    /// The 24 MIB bits; the SFN field is overwritten for every 40 ms period.
    pub mib: [u8; 24],
    /// System frame number of the first frame.
    pub first_sfn: u16,
    /// Radio frames generated.
    pub frames: usize,
    /// Samples dropped from the start (so the capture starts mid-frame).
    pub start_offset: usize,
    /// Output sample rate (a multiple of 1.92 MS/s / 128 · 128 carrying `n_rb`).
    pub sample_rate_sps: f64,
    /// SNR per resource element, dB; None for no noise.
    pub snr_db: Option<f64>,
    /// Frequency offset added, Hz.
    pub cfo_hz: f64,
    /// Sample-clock error of the receiver, ppm (positive: the receiver samples fast).
    pub clock_ppm: f64,
    /// Propagation channel.
    pub channel: Channel,
    /// Random QPSK on the resource elements not used by the signals above.
    pub load: bool,
    /// Seed of every random choice.
    pub seed: u64,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            pci: 0,
            n_rb: 6,
            duplex: Duplex::Fdd,
            cp: CyclicPrefix::Normal,
            ports: 1,
            mib: [0; 24],
            first_sfn: 0,
            frames: 4,
            start_offset: 0,
            sample_rate_sps: 1.92e6,
            snr_db: None,
            cfo_hz: 0.0,
            clock_ppm: 0.0,
            channel: Channel::Flat,
            load: true,
            seed: 1,
        }
    }
}

const EPA_DELAYS_NS: [f64; 7] = [0.0, 30.0, 70.0, 90.0, 110.0, 190.0, 410.0];
const EPA_POWERS_DB: [f64; 7] = [0.0, -1.0, -2.0, -3.0, -8.0, -17.2, -20.8];

/// TDD uplink-downlink configuration 2: D S U D D D S U D D.
fn tdd_subframe(sf: usize) -> char {
    match sf % 10 {
        1 | 6 => 'S',
        2 | 7 => 'U',
        _ => 'D',
    }
}

fn qpsk(b0: u8, b1: u8) -> Complex32 {
    Complex32::new(
        (1.0 - 2.0 * b0 as f32) * FRAC_1_SQRT_2,
        (1.0 - 2.0 * b1 as f32) * FRAC_1_SQRT_2,
    )
}

/// The 1920 (normal CP) or 1728 scrambled PBCH bits of one 40 ms period.
fn pbch_period_bits(cfg: &GenConfig, sfn: u16) -> Result<Vec<u8>, LteError> {
    let e = 4 * pbch_res(cfg.pci, cfg.cp).len() * 2;
    let mut bits = with_sfn(&cfg.mib, sfn).to_vec();
    let mask = pbch_crc_mask(cfg.ports).ok_or(LteError::InvalidParameter {
        name: "ports",
        value: cfg.ports as f64,
    })?;
    append_crc_bits(CrcKind::Crc16, &mut bits, u32::from(mask));
    let mut coded = vec![0u8; 3 * PBCH_BLOCK_BITS];
    let bad = |_| LteError::InvalidParameter {
        name: "mib",
        value: 0.0,
    };
    tbcc_encode(&bits, &mut coded).map_err(bad)?;
    let rm = ConvRateMatcher::new(PBCH_BLOCK_BITS).map_err(bad)?;
    let mut out = vec![0u8; e];
    rm.rate_match(&coded, &mut out).map_err(bad)?;
    scramble_bits(c_init_pbch(cfg.pci), 0, &mut out);
    Ok(out)
}

/// Transmit-diversity precoding of `d` onto `ports` ports (TS 36.211 §6.3.3.3, §6.3.4.3).
fn precode(d: &[Complex32], ports: usize) -> Vec<Vec<Complex32>> {
    let z = Complex32::new(0.0, 0.0);
    let mut y = vec![vec![z; d.len()]; ports];
    if ports == 1 {
        y[0].copy_from_slice(d);
        return y;
    }
    for (i, pair) in d.chunks_exact(2).enumerate() {
        let (x0, x1) = (pair[0] * FRAC_1_SQRT_2, pair[1] * FRAC_1_SQRT_2);
        let (pa, pb) = if ports == 2 || i % 2 == 0 {
            (0, if ports == 2 { 1 } else { 2 })
        } else {
            (1, 3)
        };
        y[pa][2 * i] = x0;
        y[pb][2 * i] = -x1.conj();
        y[pa][2 * i + 1] = x1;
        y[pb][2 * i + 1] = x0.conj();
    }
    y
}

/// Generates the capture described by `cfg`.
pub fn generate(cfg: &GenConfig) -> Result<Vec<Complex32>, LteError> {
    let bad = |name, value: f64| Err(LteError::InvalidParameter { name, value });
    if cfg.pci >= 504 {
        return bad("pci", cfg.pci as f64);
    }
    if !(6..=100).contains(&cfg.n_rb) {
        return bad("n_rb", cfg.n_rb as f64);
    }
    if ![1, 2, 4].contains(&cfg.ports) {
        return bad("ports", cfg.ports as f64);
    }
    if !(cfg.cfo_hz.is_finite() && cfg.clock_ppm.is_finite() && cfg.clock_ppm.abs() < 1000.0) {
        return bad("cfo_hz/clock_ppm", cfg.cfo_hz);
    }
    if cfg.frames == 0 || cfg.frames > 1024 {
        return bad("frames", cfg.frames as f64);
    }
    let num = Numerology::new(cfg.sample_rate_sps, cfg.cp)?;
    let n = num.n_fft;
    let n_sc = 12 * cfg.n_rb;
    if n_sc >= n {
        return bad("n_rb", cfg.n_rb as f64);
    }
    let ports = cfg.ports as usize;
    let n_sym = num.symbols_per_slot();
    let mut rng = Rng::new(cfg.seed);

    // Per-port channel on each subcarrier (index 0 = lowest).
    let h: Vec<Vec<Complex32>> = (0..ports)
        .map(|_| match cfg.channel {
            Channel::Flat => {
                let ph = TAU * rng.uniform();
                vec![Complex32::from_polar(1.0, ph as f32); n_sc]
            }
            Channel::Epa => {
                let total: f64 = EPA_POWERS_DB.iter().map(|p| 10f64.powf(p / 10.0)).sum();
                let taps: Vec<(f64, Complex32)> = EPA_DELAYS_NS
                    .iter()
                    .zip(EPA_POWERS_DB)
                    .map(|(d, p)| (d * 1e-9, rng.complex_gaussian(10f64.powf(p / 10.0) / total)))
                    .collect();
                (0..n_sc)
                    .map(|i| {
                        let f = (i as f64 - (n_sc / 2) as f64
                            + if i >= n_sc / 2 { 1.0 } else { 0.0 })
                            * SUBCARRIER_SPACING_HZ;
                        taps.iter()
                            .map(|(d, g)| g * Complex32::from_polar(1.0, (-TAU * f * d) as f32))
                            .sum()
                    })
                    .collect()
            }
        })
        .collect();

    let ifft = FftPlanner::<f32>::new().plan_fft_inverse(n);
    let scale = 1.0 / (n as f32).sqrt();
    let total = cfg.frames * num.frame_len();
    let mut out = vec![Complex32::new(0.0, 0.0); total];
    let mut grid = vec![vec![Complex32::new(0.0, 0.0); n_sc]; ports];
    let mut buf = vec![Complex32::new(0.0, 0.0); n];
    let half = (n_sc / 2) as i32;
    let center = |k: usize| k as i32 - half; // k_rel of subcarrier index k
    let sync_lo = (n_sc / 2) - 36; // index of the first of the central 72
    let mut period_bits = Vec::new();
    let mut period_of = u16::MAX;
    for f in 0..cfg.frames {
        let sfn = (cfg.first_sfn as usize + f) as u16 % 1024;
        if sfn / 4 != period_of {
            period_of = sfn / 4;
            period_bits = pbch_period_bits(cfg, sfn)?;
        }
        let q = (sfn % 4) as usize;
        let e = period_bits.len() / 4;
        let mut d: Vec<Complex32> = period_bits[q * e..(q + 1) * e]
            .chunks_exact(2)
            .map(|b| qpsk(b[0], b[1]))
            .collect();
        let pbch_y = precode(&d, ports);
        d.clear();
        let res = pbch_res(cfg.pci, cfg.cp);
        for ns in 0..20 {
            let sf = ns / 2;
            let kind = if cfg.duplex == Duplex::Tdd {
                tdd_subframe(sf)
            } else {
                'D'
            };
            for l in 0..n_sym {
                let sym_in_sf = (ns % 2) * n_sym + l;
                let on = match kind {
                    'U' => false,
                    'S' => sym_in_sf < 3,
                    _ => true,
                };
                if !on {
                    continue;
                }
                for g in grid.iter_mut() {
                    g.fill(Complex32::new(0.0, 0.0));
                }
                let mut used = vec![false; n_sc];
                // CRS of every port (REs of other ports' CRS stay empty on each port).
                for (p, gp) in grid.iter_mut().enumerate() {
                    if crs_symbols(p, cfg.cp).contains(&l) {
                        let r = crs_values(ns, l, cfg.pci, cfg.cp, cfg.n_rb);
                        let off = crs_offset(p, ns, l, cfg.pci);
                        for (m, v) in r.iter().enumerate() {
                            let k = 6 * m + off;
                            gp[k] = *v;
                            used[k] = true;
                        }
                    }
                }
                // PSS / SSS (port 0) with the 5 guard subcarriers on each side.
                let pss_here = match cfg.duplex {
                    Duplex::Fdd => (ns == 0 || ns == 10) && l == n_sym - 1,
                    Duplex::Tdd => (ns == 2 || ns == 12) && l == 2,
                };
                let sss_here = match cfg.duplex {
                    Duplex::Fdd => (ns == 0 || ns == 10) && l == n_sym - 2,
                    Duplex::Tdd => (ns == 1 || ns == 11) && l == n_sym - 1,
                };
                if pss_here || sss_here {
                    for u in used.iter_mut().skip(sync_lo).take(72) {
                        *u = true;
                    }
                    let n2 = (cfg.pci % 3) as u8;
                    for i in 0..62 {
                        let k = (sync_re(i) + half) as usize;
                        grid[0][k] = if pss_here {
                            pss_sequence(n2)[i]
                        } else {
                            let s = sss_sequence(cfg.pci / 3, n2, ns >= 10);
                            Complex32::new(s[i] as f32, 0.0)
                        };
                    }
                }
                // PBCH: slot 1, symbols 0..4, central 72 (CRS REs of 4 ports reserved).
                if ns == 1 && l < 4 {
                    for u in used.iter_mut().skip(sync_lo).take(72) {
                        *u = true;
                    }
                    for (j, &(pl, pk)) in res.iter().enumerate() {
                        if pl == l {
                            for p in 0..ports {
                                grid[p][sync_lo + pk] = pbch_y[p][j];
                            }
                        }
                    }
                }
                // Random QPSK elsewhere (port 0); every port's CRS REs are marked used.
                if cfg.load {
                    for (k, u) in used.iter().enumerate() {
                        if !u {
                            grid[0][k] = qpsk(rng.bit(), rng.bit());
                        }
                    }
                }
                // Channel, OFDM modulation, cyclic prefix.
                let start = f * num.frame_len() + num.symbol_start(ns, l);
                let cp_len = num.cp_len(l);
                for p in 0..ports {
                    buf.fill(Complex32::new(0.0, 0.0));
                    for k in 0..n_sc {
                        let v = grid[p][k];
                        if v != Complex32::new(0.0, 0.0) {
                            buf[num.bin(center(k))] = v * h[p][k];
                        }
                    }
                    ifft.process(&mut buf);
                    for i in 0..n {
                        out[start + i] += buf[i] * scale;
                    }
                    for i in 0..cp_len {
                        out[start - cp_len + i] += buf[n - cp_len + i] * scale;
                    }
                }
            }
        }
    }

    // Receiver: sample clock error (cubic interpolation), frequency offset, noise.
    let ratio = 1.0 / (1.0 + cfg.clock_ppm * 1e-6);
    let fs = cfg.sample_rate_sps;
    let avail = ((total as f64 - 3.0) / ratio).floor().max(0.0) as usize;
    let mut y = Vec::with_capacity(avail.saturating_sub(cfg.start_offset));
    let w = TAU * cfg.cfo_hz / fs;
    let sigma2 = cfg.snr_db.map(|s| 10f64.powf(-s / 10.0));
    for m in cfg.start_offset..avail {
        let t = m as f64 * ratio;
        let i = t.floor() as usize;
        let u = (t - i as f64) as f32;
        let at = |j: usize| out.get(j).copied().unwrap_or_default();
        let (p0, p1, p2, p3) = (at(i.saturating_sub(1)), at(i), at(i + 1), at(i + 2));
        // Cubic Lagrange through i−1 .. i+2.
        let c0 = -u * (u - 1.0) * (u - 2.0) / 6.0;
        let c1 = (u + 1.0) * (u - 1.0) * (u - 2.0) / 2.0;
        let c2 = -(u + 1.0) * u * (u - 2.0) / 2.0;
        let c3 = (u + 1.0) * u * (u - 1.0) / 6.0;
        let mut v = p0 * c0 + p1 * c1 + p2 * c2 + p3 * c3;
        let ph = (w * m as f64).rem_euclid(TAU);
        v *= Complex32::from_polar(1.0, ph as f32);
        if let Some(s2) = sigma2 {
            v += rng.complex_gaussian(s2);
        }
        y.push(v);
    }
    Ok(y)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lte::ofdm::OfdmDemod;
    use crate::lte::search::{SearchConfig, pss_search};

    #[test]
    fn pss_and_sss_sit_where_the_numerology_says() {
        for duplex in [Duplex::Fdd, Duplex::Tdd] {
            let cfg = GenConfig {
                pci: 100,
                duplex,
                frames: 2,
                load: false,
                ..GenConfig::default()
            };
            let x = generate(&cfg).unwrap();
            let num = Numerology::new(1.92e6, CyclicPrefix::Normal).unwrap();
            let mut d = OfdmDemod::new(num);
            let mut re = vec![Complex32::new(0.0, 0.0); 72];
            let ch = {
                assert!(d.demod(&x, num.pss_offset(duplex) as f64, 0.0, &mut re));
                re[(sync_re(0) + 36) as usize] / pss_sequence(1)[0]
            };
            let scale = 1.0 / (128f32).sqrt();
            assert!((ch.norm() - scale).abs() < 1e-4, "{}", ch.norm());
            for i in 0..62 {
                let want = pss_sequence(1)[i] * ch;
                assert!(
                    (re[(sync_re(i) + 36) as usize] - want).norm() < 1e-4,
                    "{duplex:?} {i}"
                );
            }
            assert!(d.demod(&x, num.sss_offset(duplex) as f64, 0.0, &mut re));
            let s = sss_sequence(33, 1, false);
            for i in 0..62 {
                let want = ch * s[i] as f32;
                assert!(
                    (re[(sync_re(i) + 36) as usize] - want).norm() < 1e-4,
                    "{duplex:?} sss {i}"
                );
            }
            let peaks = pss_search(&x, &SearchConfig::default()).unwrap();
            assert!(!peaks.is_empty());
            assert_eq!(peaks[0].n_id_2, 1);
            assert!(
                (peaks[0].position - num.pss_offset(duplex) as f64).abs() < 0.5,
                "{:?}",
                peaks[0]
            );
            assert!(peaks[0].cfo_hz.abs() < 100.0);
        }
    }
}
