//! Physical downlink shared channel for system information (TS 36.211 §6.3-6.4; TS 36.212
//! §5.3.2; TS 36.213 §7.1): resource-element mapping, transmit diversity, QPSK, scrambling and
//! the DL-SCH chain of [`super::fec::dlsch`].
//!
//! Mapping (§6.3.5): the allocated physical resource blocks of each slot (distributed VRBs hop
//! between the slots), symbols from the end of the control region on, in increasing order of
//! the subcarrier `k` first and then the symbol, skipping the CRS of the cell's ports, the
//! PSS/SSS (the central 72 subcarriers of their symbols, guards included) and, in subframe 0, the
//! PBCH. Scrambling `c_init = n_RNTI·2¹⁴ + q·2¹³ + ⌊n_s/2⌋·2⁹ + N_ID`. System information is
//! always QPSK, on one port or with transmit diversity.

use super::crs::{crs_offset, crs_symbols};
use super::fec::FecError;
use super::fec::dci::SiAllocation;
use super::fec::dlsch::{DlschDecoded, DlschDecoder, DlschParams, dlsch_encode};
use super::fec::gold::{c_init_pdsch, descramble_soft, scramble_bits};
use super::grid::{Re, Subframe, precode, qpsk, qpsk_soft};
use super::params::{CyclicPrefix, Duplex};
use num_complex::Complex32;

/// Where the PDSCH of one subframe may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdschLayout {
    /// Bandwidth in resource blocks.
    pub n_rb: usize,
    /// Cyclic prefix.
    pub cp: CyclicPrefix,
    /// Physical cell identity.
    pub pci: u16,
    /// Antenna ports (1, 2 or 4).
    pub ports: u8,
    /// Subframe number 0..10.
    pub subframe: usize,
    /// Duplex mode (decides where the PSS and SSS are).
    pub duplex: Duplex,
    /// Control symbols (the PDSCH starts after them).
    pub control_symbols: usize,
}

impl PdschLayout {
    fn n_sym(&self) -> usize {
        match self.cp {
            CyclicPrefix::Normal => 7,
            CyclicPrefix::Extended => 6,
        }
    }

    /// Whether symbol `l` of slot `slot` (0/1 in the subframe) carries PSS, SSS or PBCH in the
    /// central 72 subcarriers.
    fn central_busy(&self, slot: usize, l: usize) -> bool {
        let n = self.n_sym();
        let sf = self.subframe;
        let sync = match self.duplex {
            Duplex::Fdd => (sf == 0 || sf == 5) && slot == 0 && l + 2 >= n,
            Duplex::Tdd => {
                ((sf == 0 || sf == 5) && slot == 1 && l + 1 == n)
                    || ((sf == 1 || sf == 6) && slot == 0 && l == 2)
            }
        };
        sync || (sf == 0 && slot == 1 && l < 4)
    }

    /// Whether `(l, k)` of slot `slot` holds a CRS of one of the cell's ports.
    fn is_crs(&self, slot: usize, l: usize, k: usize) -> bool {
        let ns = 2 * self.subframe + slot;
        (0..usize::from(self.ports)).any(|p| {
            crs_symbols(p, self.cp).contains(&l) && k % 6 == crs_offset(p, ns, l, self.pci)
        })
    }

    /// The resource elements of an allocation, in mapping order.
    pub fn res(&self, prbs_slot0: &[u16], prbs_slot1: &[u16]) -> Vec<Re> {
        let n = self.n_sym();
        let n_sc = 12 * self.n_rb;
        let (lo, hi) = ((n_sc / 2).saturating_sub(36), n_sc / 2 + 36);
        let mut out = Vec::new();
        for (slot, prbs) in [prbs_slot0, prbs_slot1].iter().enumerate() {
            let mut prbs: Vec<usize> = prbs
                .iter()
                .map(|&p| usize::from(p))
                .filter(|&p| p < self.n_rb)
                .collect();
            prbs.sort_unstable();
            prbs.dedup();
            for l in 0..n {
                if slot * n + l < self.control_symbols {
                    continue;
                }
                let busy = self.central_busy(slot, l);
                for &p in &prbs {
                    for k in 12 * p..12 * p + 12 {
                        if (busy && (lo..hi).contains(&k)) || self.is_crs(slot, l, k) {
                            continue;
                        }
                        out.push((slot * n + l, k));
                    }
                }
            }
        }
        out
    }
}

/// The DL-SCH parameters of an SI transmission on `n_res` resource elements.
pub fn si_params(alloc: &SiAllocation, n_res: usize, ports: u8, rv: u8) -> DlschParams {
    DlschParams {
        tbs: alloc.tbs,
        g: 2 * n_res,
        qm: 2,
        layers: if ports == 1 { 1 } else { 2 },
        rv,
    }
}

/// The PDSCH resource elements of a transport block `tb` (bits) with their value on each port.
pub fn pdsch_encode(
    layout: &PdschLayout,
    alloc: &SiAllocation,
    tb: &[u8],
    rv: u8,
    rnti: u16,
) -> Result<Vec<(Re, Vec<Complex32>)>, FecError> {
    let res = layout.res(&alloc.prbs_slot0, &alloc.prbs_slot1);
    let p = si_params(alloc, res.len(), layout.ports, rv);
    let mut bits = dlsch_encode(tb, &p)?;
    let c_init = c_init_pdsch(rnti, 0, (2 * layout.subframe) as u8, layout.pci);
    scramble_bits(c_init, 0, &mut bits);
    let y = precode(&qpsk(&bits), layout.ports, 0);
    Ok(res
        .into_iter()
        .enumerate()
        .map(|(i, re)| (re, y.iter().map(|p| p[i]).collect()))
        .collect())
}

/// The de-scrambled soft bits (> 0 means 1) of the PDSCH on `res` of a demodulated subframe.
pub fn pdsch_soft_bits(sf: &Subframe, res: &[Re], rnti: u16) -> Vec<f32> {
    let mut soft = qpsk_soft(&sf.combine(res, 0));
    let c_init = c_init_pdsch(rnti, 0, (2 * sf.subframe) as u8, sf.pci);
    descramble_soft(c_init, 0, &mut soft);
    soft
}

/// Highest effective code rate decoded: TS 36.213 §7.1.7 lets a UE skip a transport block above
/// 0.930, and an eNodeB never schedules system information there.
pub const MAX_CODE_RATE: f64 = 0.93;

/// Decodes one SI transmission (adding it to what `dec` holds for the same transport block).
///
/// Refused ([`FecError::BlockSize`]) when the allocation's code rate `(TBS + 24)/G` is above
/// [`MAX_CODE_RATE`]: so few coded bits may not hold the systematic part at all, and a turbo
/// decoder that sees only parity decides all zeros, which passes the CRC-24A. An all-zero
/// transport block is reported as a CRC failure for the same reason (no BCCH message is zeros).
pub fn decode_si(
    dec: &mut DlschDecoder,
    soft: &[f32],
    alloc: &SiAllocation,
    ports: u8,
    rv: u8,
) -> Result<DlschDecoded, FecError> {
    let p = si_params(alloc, soft.len() / 2, ports, rv);
    if (p.tbs + 24) as f64 > MAX_CODE_RATE * p.g as f64 {
        return Err(FecError::BlockSize(p.tbs));
    }
    let out = dec.decode(soft, &p, 8)?;
    if out.bits.iter().all(|&b| b == 0) {
        return Err(FecError::Crc);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lte::fec::dci::{Dci1A, Dci1C, riv_encode};

    fn layout(ports: u8, duplex: Duplex, n_rb: usize) -> PdschLayout {
        PdschLayout {
            n_rb,
            cp: CyclicPrefix::Normal,
            pci: 5,
            ports,
            subframe: 5,
            duplex,
            control_symbols: 2,
        }
    }

    #[test]
    fn resource_element_counts() {
        // One PRB away from the centre, 2 ports, 2 control symbols: 12 symbols × 12 − CRS
        // (symbols 4, 7, 11 of the data region: 4 each) = 144 − 12 = 132.
        let l = layout(2, Duplex::Fdd, 25);
        assert_eq!(l.res(&[0], &[0]).len(), 132);
        // One port: 2 CRS per CRS symbol → 138.
        assert_eq!(layout(1, Duplex::Fdd, 25).res(&[0], &[0]).len(), 138);
        // The central PRB 12 of 25 in FDD subframe 5 loses symbols 5 and 6 of slot 0: 132 − 24.
        assert_eq!(l.res(&[12], &[12]).len(), 108);
        // TDD subframe 5 loses only the SSS symbol (13).
        assert_eq!(layout(2, Duplex::Tdd, 25).res(&[12], &[12]).len(), 120);
        // Edge PRB 9 of 25 is half inside the central 72 (subcarriers 114..186): 6 REs off per
        // sync symbol.
        assert_eq!(l.res(&[9], &[9]).len(), 132 - 12);
        // Order: k first within a symbol, then l.
        let r = l.res(&[3, 1], &[3, 1]);
        assert_eq!(r[0], (2, 12));
        assert_eq!(r[12], (2, 36));
        assert!(r.windows(2).all(|w| w[0].0 < w[1].0 || w[0].1 < w[1].1));
    }

    #[test]
    fn encode_decode_si_allocations() {
        let mut rng = crate::signal::Rng::new(11);
        for (ports, duplex) in [(1u8, Duplex::Fdd), (2, Duplex::Tdd), (4, Duplex::Fdd)] {
            let lay = layout(ports, duplex, 50);
            let allocs = [
                Dci1A {
                    riv: riv_encode(22, 4, 50).unwrap(),
                    mcs: 5,
                    tpc: 1,
                    ..Dci1A::default()
                }
                .si_allocation(50)
                .unwrap(),
                Dci1C {
                    gap2: false,
                    riv: 1,
                    tbs_index: 8,
                }
                .si_allocation(50)
                .unwrap(),
            ];
            for alloc in &allocs {
                let tb: Vec<u8> = (0..alloc.tbs).map(|_| rng.bit()).collect();
                let tx = pdsch_encode(&lay, alloc, &tb, 2, 0xFFFF).unwrap();
                let hs: Vec<Complex32> = (0..usize::from(ports))
                    .map(|_| rng.complex_gaussian(1.0))
                    .collect();
                let mut sf = Subframe {
                    n_rb: 50,
                    cp: CyclicPrefix::Normal,
                    pci: lay.pci,
                    ports,
                    subframe: 5,
                    re: vec![vec![Complex32::new(0.0, 0.0); 600]; 14],
                    h: hs.iter().map(|&h| vec![vec![h; 600]; 14]).collect(),
                };
                for ((l, k), v) in &tx {
                    sf.re[*l][*k] = v.iter().zip(&hs).map(|(a, b)| a * b).sum::<Complex32>()
                        + rng.complex_gaussian(0.05);
                }
                let res = lay.res(&alloc.prbs_slot0, &alloc.prbs_slot1);
                let soft = pdsch_soft_bits(&sf, &res, 0xFFFF);
                let mut dec = DlschDecoder::new();
                let out = decode_si(&mut dec, &soft, alloc, ports, 2).unwrap();
                assert_eq!(out.bits, tb, "ports {ports}");
                // Erased soft bits and a punctured-away allocation do not "decode" to zeros.
                dec.reset();
                let zeros = vec![0.0f32; soft.len()];
                assert!(decode_si(&mut dec, &zeros, alloc, ports, 2).is_err());
                dec.reset();
                assert_eq!(
                    decode_si(&mut dec, &soft[..soft.len() / 16 * 2], alloc, ports, 2),
                    Err(FecError::BlockSize(alloc.tbs))
                );
                // The wrong RNTI's scrambling fails.
                let bad = pdsch_soft_bits(&sf, &res, 0xFFFE);
                dec.reset();
                assert!(decode_si(&mut dec, &bad, alloc, ports, 2).is_err());
            }
        }
    }
}
