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
//! With [`GenConfig::sib1`] set, subframe 5 of every even frame carries SystemInformationBlockType1
//! the way an eNodeB sends it: PCFICH with the CFI, PHICH groups (random symbols), a DCI 1A (or
//! 1C) for the SI-RNTI on the PDCCH's common search space, and the PDSCH with the transport block
//! (redundancy version of TS 36.321 §5.3.1 for the frame); unused CCEs stay empty. The other
//! subframes' data resource elements carry random QPSK. No PHICH/PDCCH elsewhere.

use super::crs::{crs_offset, crs_symbols, crs_values};
use super::fec::conv::tbcc_encode;
use super::fec::crc::{CrcKind, append_crc_bits, pbch_crc_mask};
use super::fec::dci::{
    Dci1A, Dci1C, Duplex as DciDuplex, SI_RNTI, riv_encode, sib1_rv, tbs_lookup,
};
use super::fec::gold::{c_init_pbch, scramble_bits};
use super::fec::ratematch_conv::ConvRateMatcher;
use super::grid::precode;
use super::params::{CyclicPrefix, Duplex, LteError, Numerology, SUBCARRIER_SPACING_HZ};
use super::pbch::{PBCH_BLOCK_BITS, pbch_res, with_sfn};
use super::pcfich::{pcfich_encode, pcfich_res};
use super::pdcch::{ControlRegion, PdcchTx, PhichConfig, control_symbols, pdcch_encode};
use super::pdsch::{PdschLayout, pdsch_encode};
use super::pss::{pss_sequence, sync_re};
use super::rrc::mib::Mib;
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
    /// SIB1 to send in subframe 5 of even frames (with PCFICH, PDCCH and PDSCH).
    pub sib1: Option<SibTx>,
}

/// How SIB1 is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SibTx {
    /// The BCCH-DL-SCH message (zero-padded up to the transport-block size).
    pub bytes: Vec<u8>,
    /// Control format indicator 1..=3.
    pub cfi: u8,
    /// Aggregation level of the PDCCH (4 or 8) in the common search space.
    pub level: usize,
    /// First CCE of the PDCCH (0, 4, 8 or 12 for level 4; 0 or 8 for level 8).
    pub cce: usize,
    /// DCI format 1C instead of 1A.
    pub format_1c: bool,
    /// Distributed VRBs (format 1A; 1C always is).
    pub distributed: bool,
    /// First resource block (1A) of the allocation.
    pub first_rb: usize,
}

impl Default for SibTx {
    fn default() -> Self {
        SibTx {
            bytes: Vec::new(),
            cfi: 2,
            level: 4,
            cce: 0,
            format_1c: false,
            distributed: false,
            first_rb: 0,
        }
    }
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
            sib1: None,
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

/// The control region and PDSCH of a SIB1 subframe: per port, symbol of the subframe and
/// subcarrier, the value to send, and which elements this subframe's control/SIB1 owns.
struct SibGrid {
    val: Vec<Vec<Vec<Complex32>>>,
    owned: Vec<Vec<bool>>,
}

fn sib_subframe(cfg: &GenConfig, tx: &SibTx, sfn: u16, rng: &mut Rng) -> Result<SibGrid, LteError> {
    let bad = |name: &'static str, value: f64| LteError::InvalidParameter { name, value };
    let n_rb = cfg.n_rb;
    let n = u16::try_from(n_rb).map_err(|_| bad("n_rb", n_rb as f64))?;
    let mib = Mib::from_bits(&cfg.mib).map_err(|_| bad("mib", 0.0))?;
    let (dci_duplex, m_i) = match cfg.duplex {
        Duplex::Fdd => (DciDuplex::Fdd, 1),
        Duplex::Tdd => (DciDuplex::Tdd, 0), // configuration 2: no PHICH in subframe 5
    };
    let phich = PhichConfig {
        ng: mib.phich_resource.ng(),
        extended: mib.phich_extended,
        m_i,
    };
    let region = ControlRegion::new(cfg.pci, n_rb, cfg.ports, cfg.cp, tx.cfi, &phich)
        .ok_or(bad("cfi", f64::from(tx.cfi)))?;
    let need = 8 * tx.bytes.len();
    let rv = sib1_rv(sfn);
    let n_prb = (2 * (need + 24)).div_ceil(200).max(2).min(n_rb);
    let (payload, alloc) = if tx.format_1c {
        let i = super::fec::dci::TBS_FORMAT_1C
            .iter()
            .position(|&t| usize::from(t) >= need)
            .ok_or(bad("sib1 length", need as f64))?;
        let step = super::fec::dci::format1c_step(n);
        let vrbs = super::fec::dci::distributed_vrb_count(n, false).unwrap_or(0);
        let steps = vrbs / step;
        let len = n_prb.div_ceil(step).min(steps);
        let d = Dci1C {
            gap2: false,
            riv: riv_encode(0, len, steps).ok_or(bad("allocation", len as f64))?,
            tbs_index: i as u8,
        };
        let a = d
            .si_allocation(n)
            .map_err(|_| bad("allocation", len as f64))?;
        (d.pack(n).map_err(|_| bad("dci", 0.0))?, a)
    } else {
        let i = (0..27u8)
            .find(|&i| tbs_lookup(i, 3).is_some_and(|t| t >= need))
            .ok_or(bad("sib1 length", need as f64))?;
        let limit = if tx.distributed {
            super::fec::dci::distributed_vrb_count(n, false).unwrap_or(0)
        } else {
            n_rb
        };
        let first = tx.first_rb.min(limit.saturating_sub(n_prb));
        let len = n_prb.min(limit - first);
        let d = Dci1A {
            distributed: tx.distributed,
            riv: riv_encode(first, len, n_rb).ok_or(bad("allocation", len as f64))?,
            mcs: i,
            rv,
            tpc: 1,
            ..Dci1A::default()
        };
        let a = d
            .si_allocation(n)
            .map_err(|_| bad("allocation", len as f64))?;
        (d.pack(n, dci_duplex).map_err(|_| bad("dci", 0.0))?, a)
    };
    let mut tb: Vec<u8> = tx
        .bytes
        .iter()
        .flat_map(|&b| (0..8).rev().map(move |i| (b >> i) & 1))
        .collect();
    tb.resize(alloc.tbs, 0);
    let n_sym = 2 * Numerology::new(cfg.sample_rate_sps, cfg.cp)?.symbols_per_slot();
    let n_sc = 12 * n_rb;
    let ports = usize::from(cfg.ports);
    let z = Complex32::new(0.0, 0.0);
    let mut g = SibGrid {
        val: vec![vec![vec![z; n_sc]; n_sym]; ports],
        owned: vec![vec![false; n_sc]; n_sym],
    };
    // The whole control region belongs to the control channels (empty where nothing is sent).
    for row in g.owned.iter_mut().take(region.symbols) {
        row.fill(true);
    }
    let put = |res: &[((usize, usize), Vec<Complex32>)], g: &mut SibGrid| {
        for ((l, k), v) in res {
            for (p, x) in v.iter().enumerate() {
                g.val[p][*l][*k] = *x;
            }
            g.owned[*l][*k] = true;
        }
    };
    let pc = pcfich_encode(tx.cfi, cfg.pci, 5, cfg.ports).ok_or(bad("cfi", 0.0))?;
    let pres = pcfich_res(cfg.pci, n_rb, cfg.ports, cfg.cp);
    let pcfich: Vec<_> = pres
        .iter()
        .enumerate()
        .map(|(i, &re)| (re, pc.iter().map(|p| p[i]).collect()))
        .collect();
    put(&pcfich, &mut g);
    let hres = region.phich_res();
    let hsym: Vec<Complex32> = (0..hres.len())
        .map(|_| qpsk(rng.bit(), rng.bit()) * 0.5)
        .collect();
    let hy = precode(&hsym, cfg.ports, 0);
    let phich: Vec<_> = hres
        .iter()
        .enumerate()
        .map(|(i, &re)| (re, hy.iter().map(|p| p[i]).collect()))
        .collect();
    put(&phich, &mut g);
    let pdcch = pdcch_encode(
        &region,
        5,
        &[PdcchTx {
            cce: tx.cce,
            level: tx.level,
            payload,
            rnti: SI_RNTI,
        }],
    )
    .ok_or(bad("pdcch", tx.cce as f64))?;
    put(&pdcch, &mut g);
    let layout = PdschLayout {
        n_rb,
        cp: cfg.cp,
        pci: cfg.pci,
        ports: cfg.ports,
        subframe: 5,
        duplex: cfg.duplex,
        control_symbols: control_symbols(tx.cfi, n_rb),
    };
    let pdsch = pdsch_encode(&layout, &alloc, &tb, rv, SI_RNTI).map_err(|_| bad("pdsch", 0.0))?;
    put(&pdsch, &mut g);
    Ok(g)
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
        let pbch_y = precode(&d, cfg.ports, 0);
        d.clear();
        let res = pbch_res(cfg.pci, cfg.cp);
        let mut sib: Option<SibGrid> = None;
        for ns in 0..20 {
            let sf = ns / 2;
            if ns == 10 {
                sib = match &cfg.sib1 {
                    Some(tx) if sfn.is_multiple_of(2) => {
                        Some(sib_subframe(cfg, tx, sfn, &mut rng)?)
                    }
                    _ => None,
                };
            } else if ns == 12 {
                sib = None;
            }
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
                // SIB1 subframe: control region and PDSCH.
                if let Some(g) = &sib {
                    for k in 0..n_sc {
                        if !used[k] && g.owned[sym_in_sf][k] {
                            for (p, gp) in grid.iter_mut().enumerate() {
                                gp[k] = g.val[p][sym_in_sf][k];
                            }
                            used[k] = true;
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
