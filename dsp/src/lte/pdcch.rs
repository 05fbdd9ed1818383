//! Physical downlink control channel (TS 36.211 §6.8, §6.9.3; TS 36.213 §9.1.1): the control
//! region's resource-element groups, the PHICH's share of them, the REG interleaver, and blind
//! decoding of the DCI formats of system information in the common search space.
//!
//! - **REGs** ([`ControlRegion`]): every REG of the first `L` symbols (`L` = CFI, or CFI + 1 below
//!   11 resource blocks), numbered frequency first (`k'` outer, `l'` inner: §6.8.5), minus the
//!   4 of the PCFICH and the `3·m_i·⌈N_g·N_RB/8⌉` of the PHICH (§6.9.3: REG
//!   `n̄_i = (⌊N_ID·n'_l/n'_0⌋ + m' + ⌊i·n'_l/3⌋) mod n'_l` of symbol `l = 0` (normal duration) or
//!   `l = i` (extended), where `n'_l` counts the REGs of symbol `l` that the PCFICH left).
//! - **Interleaver**: the quadruplets (4 QPSK symbols, 8 bits) of the multiplexed PDCCHs go
//!   through the 32-column sub-block interleaver of TS 36.212 §5.1.4.2.1 (dummy entries first,
//!   columns permuted, read column-wise, dummies dropped), then are shifted cyclically by
//!   `N_ID`: REG `m'` carries interleaver output `(m' + N_ID) mod M_quad`.
//! - **Bits**: CCE `n` is bits `72n … 72n + 71` of the block, scrambled as a whole with
//!   `c_init = ⌊n_s/2⌋·2⁹ + N_ID`; unused CCEs are `<NIL>` (nothing sent).
//! - **Common search space**: aggregation 4 at CCEs 0, 4, 8, 12 and 8 at 0, 8 (modulo what the
//!   region holds); each candidate is decoded at the sizes of format 1A and 1C and kept when its
//!   CRC's RNTI is the one searched for ([`crate::lte::fec::control::dci_decode`]).

use super::fec::control::{dci_decode, dci_encode};
use super::fec::conv::TbccDecoder;
use super::fec::dci::{Dci1A, Dci1C, Duplex, SiAllocation, format1a_size, format1c_size};
use super::fec::gold::{c_init_pdcch, descramble_soft, gold_sequence};
use super::fec::ratematch_conv::{CONV_COLUMN_PERMUTATION, SUBBLOCK_COLUMNS};
use super::grid::{Re, Subframe, precode, qpsk, qpsk_soft};
use super::params::CyclicPrefix;
use super::pcfich::{pcfich_reg_starts, reg_subcarriers, reg_width};
use num_complex::Complex32;

/// Resource-element groups per control channel element.
pub const REGS_PER_CCE: usize = 9;

/// PHICH configuration: the MIB's `N_g` and duration, and the TDD factor `m_i` of the subframe
/// (TS 36.211 Table 6.9-1; 1 for FDD).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhichConfig {
    /// `N_g` as (numerator, denominator): 1/6, 1/2, 1, 2.
    pub ng: (u8, u8),
    /// Extended PHICH duration.
    pub extended: bool,
    /// `m_i` (0, 1 or 2).
    pub m_i: u8,
}

/// PHICH mapping units: `m_i·⌈N_g·N_RB/8⌉` (each 3 REGs).
pub fn phich_units(n_rb: usize, phich: &PhichConfig) -> usize {
    let (num, den) = (usize::from(phich.ng.0), usize::from(phich.ng.1.max(1)));
    usize::from(phich.m_i) * (num * n_rb).div_ceil(8 * den)
}

/// Control symbols for a CFI: CFI, or CFI + 1 when the bandwidth is 10 resource blocks or less.
pub fn control_symbols(cfi: u8, n_rb: usize) -> usize {
    usize::from(cfi) + usize::from(n_rb <= 10)
}

/// A resource-element group: its symbol and first subcarrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reg {
    /// Symbol (0..4).
    pub l: usize,
    /// First subcarrier.
    pub k0: usize,
}

/// The control region of one subframe.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlRegion {
    /// Physical cell identity.
    pub pci: u16,
    /// Bandwidth.
    pub n_rb: usize,
    /// Antenna ports.
    pub ports: u8,
    /// Cyclic prefix.
    pub cp: CyclicPrefix,
    /// Control symbols.
    pub symbols: usize,
    /// The PHICH's REGs.
    pub phich: Vec<Reg>,
    /// The PDCCH's REGs in REG number order `m'`.
    pub pdcch: Vec<Reg>,
    /// For each quadruplet (before interleaving), the index into `pdcch` of its REG.
    pub quad_reg: Vec<usize>,
    /// Control channel elements: `⌊N_REG/9⌋`.
    pub n_cce: usize,
}

impl ControlRegion {
    /// The region for `cfi` (1..=3). None for a CFI out of range, a bandwidth outside 6..=110,
    /// or a PHICH that does not fit.
    pub fn new(
        pci: u16,
        n_rb: usize,
        ports: u8,
        cp: CyclicPrefix,
        cfi: u8,
        phich: &PhichConfig,
    ) -> Option<Self> {
        if !(1..=3).contains(&cfi) || !(6..=110).contains(&n_rb) {
            return None;
        }
        let symbols = control_symbols(cfi, n_rb);
        if phich.extended && symbols < 3 {
            return None;
        }
        let n_sc = 12 * n_rb;
        // Every REG, frequency first.
        let mut all: Vec<Reg> = Vec::new();
        for l in 0..symbols {
            let w = reg_width(l, ports, cp);
            all.extend((0..n_sc / w).map(|m| Reg { l, k0: m * w }));
        }
        all.sort_by_key(|r| (r.k0, r.l));
        let pcfich: Vec<Reg> = pcfich_reg_starts(pci, n_rb)
            .iter()
            .map(|&k0| Reg { l: 0, k0 })
            .collect();
        // PHICH: REGs of each symbol not used by the PCFICH, in frequency order.
        let per_symbol: Vec<Vec<Reg>> = (0..3)
            .map(|l| {
                all.iter()
                    .filter(|r| r.l == l && !pcfich.contains(r))
                    .copied()
                    .collect()
            })
            .collect();
        let n0 = per_symbol[0].len();
        let mut phich_regs = Vec::new();
        for unit in 0..phich_units(n_rb, phich) {
            for i in 0..3 {
                let li = if phich.extended { i } else { 0 };
                let nl = per_symbol[li].len();
                if nl == 0 || n0 == 0 {
                    return None;
                }
                let ni = (usize::from(pci) * nl / n0 + unit + i * nl / 3) % nl;
                phich_regs.push(per_symbol[li][ni]);
            }
        }
        let pdcch: Vec<Reg> = all
            .into_iter()
            .filter(|r| !pcfich.contains(r) && !phich_regs.contains(r))
            .collect();
        let n = pdcch.len();
        if n == 0 {
            return None;
        }
        // Sub-block interleaver on quadruplets, then the cyclic shift by N_ID.
        let rows = n.div_ceil(SUBBLOCK_COLUMNS);
        let dummies = rows * SUBBLOCK_COLUMNS - n;
        let mut quad_reg = vec![0usize; n];
        let mut k = 0usize;
        for &col in &CONV_COLUMN_PERMUTATION {
            for row in 0..rows {
                let y = row * SUBBLOCK_COLUMNS + col;
                if y >= dummies {
                    quad_reg[y - dummies] = (k + n - usize::from(pci) % n) % n;
                    k += 1;
                }
            }
        }
        Some(ControlRegion {
            pci,
            n_rb,
            ports,
            cp,
            symbols,
            phich: phich_regs,
            n_cce: n / REGS_PER_CCE,
            pdcch,
            quad_reg,
        })
    }

    /// The four resource elements of a REG.
    pub fn reg_res(&self, r: Reg) -> [Re; 4] {
        reg_subcarriers(r.k0, r.l, self.pci, self.ports, self.cp).map(|k| (r.l, k))
    }

    /// The resource elements of quadruplet `q` (before interleaving).
    pub fn quad_res(&self, q: usize) -> Option<[Re; 4]> {
        let m = *self.quad_reg.get(q)?;
        self.pdcch.get(m).map(|&r| self.reg_res(r))
    }

    /// Every resource element of the control region's PHICH.
    pub fn phich_res(&self) -> Vec<Re> {
        self.phich.iter().flat_map(|&r| self.reg_res(r)).collect()
    }
}

/// A PDCCH to transmit: its first CCE, aggregation level, payload and RNTI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdcchTx {
    /// First CCE.
    pub cce: usize,
    /// Aggregation level (1, 2, 4, 8).
    pub level: usize,
    /// DCI payload bits.
    pub payload: Vec<u8>,
    /// RNTI masking the CRC.
    pub rnti: u16,
}

/// The PDCCH resource elements of subframe `subframe` with their value on each port: every CCE
/// of `pdcchs` coded, the block scrambled, QPSK, precoded per quadruplet and interleaved. REGs
/// of unused CCEs are not listed (nothing is sent there). None when a PDCCH does not fit.
pub fn pdcch_encode(
    region: &ControlRegion,
    subframe: usize,
    pdcchs: &[PdcchTx],
) -> Option<Vec<(Re, Vec<Complex32>)>> {
    let n_quad = region.pdcch.len();
    let mut bits = vec![0u8; 8 * n_quad];
    let mut used = vec![false; n_quad];
    for p in pdcchs {
        if p.cce + p.level > region.n_cce || p.level == 0 {
            return None;
        }
        let e = dci_encode(&p.payload, p.rnti, 72 * p.level).ok()?;
        bits[72 * p.cce..72 * (p.cce + p.level)].copy_from_slice(&e);
        for u in &mut used[9 * p.cce..9 * (p.cce + p.level)] {
            *u = true;
        }
    }
    let c = gold_sequence(c_init_pdcch((2 * subframe) as u8, region.pci), bits.len());
    for (b, s) in bits.iter_mut().zip(c) {
        *b ^= s;
    }
    let mut out = Vec::new();
    for (q, u) in used.iter().enumerate() {
        if !u {
            continue;
        }
        let y = precode(&qpsk(&bits[8 * q..8 * q + 8]), region.ports, 2 * q);
        for (j, re) in region.quad_res(q)?.iter().enumerate() {
            out.push((*re, y.iter().map(|p| p[j]).collect()));
        }
    }
    Some(out)
}

/// The de-scrambled soft bits (> 0 means 1) of every CCE of the region, `72·n_cce` values.
pub fn pdcch_soft_bits(sf: &Subframe, region: &ControlRegion) -> Vec<f32> {
    let n = REGS_PER_CCE * region.n_cce;
    let mut soft = Vec::with_capacity(8 * n);
    for q in 0..n {
        match region.quad_res(q) {
            Some(res) => soft.extend(qpsk_soft(&sf.combine(&res, 2 * q))),
            None => soft.extend([0.0; 8]),
        }
    }
    descramble_soft(c_init_pdcch((2 * sf.subframe) as u8, sf.pci), 0, &mut soft);
    soft
}

/// A DCI format of system information.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiDci {
    /// Format 1A.
    A(Dci1A),
    /// Format 1C.
    C(Dci1C),
}

impl SiDci {
    /// The PDSCH allocation it gives.
    pub fn allocation(&self, n_rb: usize) -> Option<SiAllocation> {
        let n = u16::try_from(n_rb).ok()?;
        match self {
            SiDci::A(d) => d.si_allocation(n).ok(),
            SiDci::C(d) => d.si_allocation(n).ok(),
        }
    }
}

/// A DCI found by the blind search.
#[derive(Debug, Clone, PartialEq)]
pub struct DciFound {
    /// The DCI.
    pub dci: SiDci,
    /// First CCE.
    pub cce: usize,
    /// Aggregation level.
    pub level: usize,
    /// Viterbi confidence.
    pub confidence: f32,
}

/// The common search space's candidates (first CCE, level): level 4 then 8 (TS 36.213 §9.1.1,
/// `Y_k = 0`).
pub fn common_candidates(n_cce: usize) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    for (level, count) in [(4usize, 4usize), (8, 2)] {
        let slots = n_cce / level;
        if slots == 0 {
            continue;
        }
        for m in 0..count {
            let c = (level * (m % slots), level);
            if !v.contains(&c) {
                v.push(c);
            }
        }
    }
    v
}

/// Counters of one blind search.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchCounts {
    /// Candidate decodes run (candidates × formats).
    pub decodes: usize,
    /// Decodes whose CRC gave the RNTI but whose fields did not give an allocation.
    pub bad_fields: usize,
}

/// Blind decoding of DCI 1A and 1C with `rnti` in the common search space of `soft`
/// ([`pdcch_soft_bits`]). Every hit whose fields give an allocation is returned.
pub fn search_common(
    soft: &[f32],
    n_cce: usize,
    n_rb: usize,
    duplex: Duplex,
    rnti: u16,
    counts: &mut SearchCounts,
) -> Vec<DciFound> {
    let mut out = Vec::new();
    let Ok(n) = u16::try_from(n_rb) else {
        return out;
    };
    let (Ok(size_a), Ok(size_c)) = (format1a_size(n, duplex), format1c_size(n)) else {
        return out;
    };
    let mut vit = TbccDecoder::new();
    for (cce, level) in common_candidates(n_cce) {
        let Some(s) = soft.get(72 * cce..72 * (cce + level)) else {
            continue;
        };
        for (size, is_a) in [(size_a, true), (size_c, false)] {
            counts.decodes += 1;
            let Ok(c) = dci_decode(s, size, &mut vit) else {
                continue;
            };
            if c.rnti != rnti {
                continue;
            }
            let dci = if is_a {
                Dci1A::unpack(&c.payload, n, duplex).ok().map(SiDci::A)
            } else {
                Dci1C::unpack(&c.payload, n).ok().map(SiDci::C)
            };
            match dci {
                Some(d) if d.allocation(n_rb).is_some() => out.push(DciFound {
                    dci: d,
                    cce,
                    level,
                    confidence: c.confidence,
                }),
                _ => counts.bad_fields += 1,
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lte::fec::dci::{SI_RNTI, riv_encode};

    const ONE: PhichConfig = PhichConfig {
        ng: (1, 1),
        extended: false,
        m_i: 1,
    };

    #[test]
    fn reg_counts_follow_the_layout() {
        // 50 RB, 2 ports, CFI 2: symbol 0 has 100 REGs, symbol 1 has 150; PCFICH 4, PHICH
        // 3·⌈50/8⌉ = 21 → 225 PDCCH REGs, 25 CCEs.
        let r = ControlRegion::new(10, 50, 2, CyclicPrefix::Normal, 2, &ONE).unwrap();
        assert_eq!(r.phich.len(), 21);
        assert_eq!(r.pdcch.len(), 250 - 4 - 21);
        assert_eq!(r.n_cce, 25);
        // Frequency first: the first REGs are (0, 0) then (1, 0), (1, 4), (0, 6).
        let r0 = ControlRegion::new(
            10,
            50,
            2,
            CyclicPrefix::Normal,
            2,
            &PhichConfig { m_i: 0, ..ONE },
        )
        .unwrap();
        assert_eq!(
            &r0.pdcch[..4],
            &[
                Reg { l: 0, k0: 0 },
                Reg { l: 1, k0: 0 },
                Reg { l: 1, k0: 4 },
                Reg { l: 0, k0: 6 }
            ]
        );
        // 6 RB, CFI 1 → 2 symbols; 4 ports make symbol 1 six-wide.
        let r6 = ControlRegion::new(0, 6, 4, CyclicPrefix::Normal, 1, &ONE).unwrap();
        assert_eq!(r6.symbols, 2);
        assert_eq!(r6.pdcch.len(), 12 + 12 - 4 - 3);
        // Every REG is used once, and the quadruplet map is a permutation.
        let mut seen = r.quad_reg.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..r.pdcch.len()).collect::<Vec<_>>());
        assert!(r.phich.iter().all(|p| p.l == 0 && !r.pdcch.contains(p)));
        assert!(ControlRegion::new(0, 50, 2, CyclicPrefix::Normal, 4, &ONE).is_none());
    }

    #[test]
    fn phich_follows_the_formula() {
        // 25 RB, Ng 1: 4 units. Symbol 0 has 50 REGs, 46 after the PCFICH. PCI 0: unit m takes
        // REGs m, m + 15, m + 30 of the 46.
        let r = ControlRegion::new(0, 25, 1, CyclicPrefix::Normal, 1, &ONE).unwrap();
        let pcfich = pcfich_reg_starts(0, 25);
        let free: Vec<usize> = (0..50)
            .map(|m| 6 * m)
            .filter(|k| !pcfich.contains(k))
            .collect();
        let want: Vec<usize> = (0..4)
            .flat_map(|m| [free[m], free[m + 15], free[m + 30]])
            .collect();
        assert_eq!(r.phich.iter().map(|p| p.k0).collect::<Vec<_>>(), want);
        // Extended duration spreads the three REGs over symbols 0, 1, 2.
        let e = ControlRegion::new(
            3,
            25,
            1,
            CyclicPrefix::Normal,
            3,
            &PhichConfig {
                extended: true,
                ..ONE
            },
        )
        .unwrap();
        assert_eq!(
            e.phich.iter().map(|p| p.l).take(3).collect::<Vec<_>>(),
            [0, 1, 2]
        );
    }

    /// The interleaver of §5.1.4.2.1 written out as a matrix for 40 quadruplets and PCI 0.
    #[test]
    fn interleaver_matches_the_matrix() {
        let r = ControlRegion::new(
            0,
            6,
            1,
            CyclicPrefix::Normal,
            1,
            &PhichConfig { m_i: 0, ..ONE },
        )
        .unwrap();
        let n = r.pdcch.len();
        assert_eq!(n, 12 + 18 - 4);
        // 26 quadruplets: 1 row, 6 dummies; output order = columns in permuted order, skipping
        // y < 6: quadruplet y − 6.
        let order: Vec<usize> = CONV_COLUMN_PERMUTATION
            .iter()
            .filter(|&&c| c >= 6)
            .map(|&c| c - 6)
            .collect();
        for (k, &q) in order.iter().enumerate() {
            assert_eq!(r.quad_reg[q], k);
        }
        // A cell shift rotates the REG numbers.
        let s = ControlRegion::new(
            5,
            6,
            1,
            CyclicPrefix::Normal,
            1,
            &PhichConfig { m_i: 0, ..ONE },
        )
        .unwrap();
        for (k, &q) in order.iter().enumerate() {
            assert_eq!(s.quad_reg[q], (k + n - 5) % n);
        }
    }

    #[test]
    fn search_space_candidates() {
        assert_eq!(
            common_candidates(25),
            vec![(0, 4), (4, 4), (8, 4), (12, 4), (0, 8), (8, 8)]
        );
        // 6 CCEs: one level-4 slot, no level-8.
        assert_eq!(common_candidates(6), vec![(0, 4)]);
        assert_eq!(common_candidates(3), vec![]);
    }

    #[test]
    fn encode_then_blind_decode() {
        let mut rng = crate::signal::Rng::new(9);
        for (ports, n_rb, level, cce) in
            [(1u8, 25usize, 4usize, 4usize), (2, 50, 8, 8), (4, 15, 4, 0)]
        {
            let pci = 123;
            let region =
                ControlRegion::new(pci, n_rb, ports, CyclicPrefix::Normal, 3, &ONE).unwrap();
            let n = u16::try_from(n_rb).unwrap();
            let d = Dci1A {
                riv: riv_encode(2, 3, n_rb).unwrap(),
                mcs: 6,
                tpc: 1,
                rv: 2,
                ..Dci1A::default()
            };
            let payload = d.pack(n, Duplex::Fdd).unwrap();
            let tx = PdcchTx {
                cce,
                level,
                payload,
                rnti: SI_RNTI,
            };
            let res = pdcch_encode(&region, 5, &[tx]).unwrap();
            assert_eq!(res.len(), 36 * level);
            let n_sc = 12 * n_rb;
            let hs: Vec<Complex32> = (0..usize::from(ports))
                .map(|_| rng.complex_gaussian(1.0))
                .collect();
            let mut sf = Subframe {
                n_rb,
                cp: CyclicPrefix::Normal,
                pci,
                ports,
                subframe: 5,
                re: vec![vec![Complex32::new(0.0, 0.0); n_sc]; 14],
                h: hs.iter().map(|&h| vec![vec![h; n_sc]; 14]).collect(),
            };
            for ((l, k), v) in &res {
                sf.re[*l][*k] = v.iter().zip(&hs).map(|(a, b)| a * b).sum::<Complex32>()
                    + rng.complex_gaussian(0.05);
            }
            let soft = pdcch_soft_bits(&sf, &region);
            assert_eq!(soft.len(), 72 * region.n_cce);
            let mut counts = SearchCounts::default();
            let found = search_common(&soft, region.n_cce, n_rb, Duplex::Fdd, SI_RNTI, &mut counts);
            // An 8-CCE PDCCH's first four CCEs are a valid 4-CCE coding of the same DCI.
            assert!(!found.is_empty(), "ports {ports}");
            assert!(found.iter().all(|f| f.dci == SiDci::A(d)));
            assert!(found.iter().any(|f| (f.cce, f.level) == (cce, level)));
            // Another RNTI finds nothing.
            let none = search_common(&soft, region.n_cce, n_rb, Duplex::Fdd, 0x1234, &mut counts);
            assert!(none.is_empty());
        }
    }
}
