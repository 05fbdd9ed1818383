//! Physical control format indicator channel (TS 36.211 §6.7, TS 36.212 §5.3.4): the CFI, how
//! many OFDM symbols at the start of a subframe carry control channels.
//!
//! The CFI (1, 2, 3) is a 32-bit codeword (Table 5.3.4-1: `011`, `101`, `110` repeated), scrambled
//! with `c_init = (⌊n_s/2⌋ + 1)(2N_ID + 1)·2⁹ + N_ID`, QPSK (16 symbols), transmit diversity on 2
//! or 4 ports, and mapped as 4 quadruplets onto 4 resource-element groups of the first symbol:
//! quadruplet `i` goes to the REG starting at subcarrier `k̄ + ⌊i·N_RB/2⌋·N_sc/2` (mod the
//! bandwidth) with `k̄ = (N_sc/2)·(N_ID mod 2N_RB)`, spread over the whole band.
//!
//! Resource-element groups (§6.2.4) are 4 resource elements of one symbol: in a symbol with
//! cell-specific reference signals a REG spans 6 subcarriers of which the 2 of the CRS are
//! skipped (the first symbol always counts the CRS of ports 0 and 1, even with one port), else 4
//! consecutive subcarriers. The decoder correlates the 32 de-scrambled soft bits with the three
//! codewords and keeps the best.

use super::fec::gold::{c_init_pcfich, descramble_soft, scramble_bits};
use super::grid::{Re, Subframe, precode, qpsk, qpsk_soft};
use super::params::CyclicPrefix;
use num_complex::Complex32;

/// Width in subcarriers of the REGs of control symbol `l`: 6 where the symbol carries CRS (symbol
/// 0 always, symbol 1 with four ports, symbol 3 with the extended CP), else 4.
pub fn reg_width(l: usize, ports: u8, cp: CyclicPrefix) -> usize {
    if l == 0 || (l == 1 && ports == 4) || (l == 3 && cp == CyclicPrefix::Extended) {
        6
    } else {
        4
    }
}

/// The four subcarriers of the REG that starts at `k0` in control symbol `l` (the CRS positions,
/// `k mod 3 = N_ID mod 3`, skipped in 6-wide REGs).
pub fn reg_subcarriers(k0: usize, l: usize, pci: u16, ports: u8, cp: CyclicPrefix) -> [usize; 4] {
    let mut out = [k0, k0 + 1, k0 + 2, k0 + 3];
    if reg_width(l, ports, cp) == 6 {
        let shift = usize::from(pci) % 3;
        let mut j = 0;
        for k in k0..k0 + 6 {
            if k % 3 != shift && j < 4 {
                out[j] = k;
                j += 1;
            }
        }
    }
    out
}

/// First subcarriers of the four PCFICH REGs (symbol 0), in quadruplet order.
pub fn pcfich_reg_starts(pci: u16, n_rb: usize) -> [usize; 4] {
    let n_rb = n_rb.max(1);
    let k_bar = 6 * (usize::from(pci) % (2 * n_rb));
    let mut out = [0; 4];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (k_bar + (i * n_rb / 2) * 6) % (12 * n_rb);
    }
    out
}

/// The 16 PCFICH resource elements in mapping order.
pub fn pcfich_res(pci: u16, n_rb: usize, ports: u8, cp: CyclicPrefix) -> Vec<Re> {
    pcfich_reg_starts(pci, n_rb)
        .iter()
        .flat_map(|&k0| reg_subcarriers(k0, 0, pci, ports, cp).map(|k| (0, k)))
        .collect()
}

/// The 32-bit CFI codeword for `cfi` 1..=3 (TS 36.212 Table 5.3.4-1); None otherwise.
pub fn cfi_codeword(cfi: u8) -> Option<[u8; 32]> {
    let pat: [u8; 3] = match cfi {
        1 => [0, 1, 1],
        2 => [1, 0, 1],
        3 => [1, 1, 0],
        _ => return None,
    };
    let mut w = [0u8; 32];
    for (i, b) in w.iter_mut().enumerate() {
        *b = pat[i % 3];
    }
    Some(w)
}

/// The PCFICH symbols of subframe `subframe` per port, in the order of [`pcfich_res`].
pub fn pcfich_encode(cfi: u8, pci: u16, subframe: usize, ports: u8) -> Option<Vec<Vec<Complex32>>> {
    let mut bits = cfi_codeword(cfi)?;
    scramble_bits(c_init_pcfich((2 * subframe) as u8, pci), 0, &mut bits);
    Some(precode(&qpsk(&bits), ports, 0))
}

/// A decoded CFI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CfiDecode {
    /// CFI 1..=3.
    pub cfi: u8,
    /// Correlation of the best codeword over the sum of the soft magnitudes (1 = every bit
    /// agrees; noise gives about 0.2).
    pub score: f32,
    /// Best correlation minus the second best, over the sum of magnitudes (0..2).
    pub margin: f32,
}

/// Decodes the CFI from de-scrambled soft bits (32, > 0 means 1). None when all are zero.
pub fn cfi_from_soft(soft: &[f32]) -> Option<CfiDecode> {
    let total: f32 = soft.iter().filter(|v| v.is_finite()).map(|v| v.abs()).sum();
    if soft.len() != 32 || total <= 0.0 || !total.is_finite() {
        return None;
    }
    let mut scores: Vec<(u8, f32)> = (1..=3u8)
        .filter_map(|c| {
            let w = cfi_codeword(c)?;
            let s: f32 = soft
                .iter()
                .zip(w)
                .map(|(&v, b)| if b == 1 { v } else { -v })
                .sum();
            Some((c, s / total))
        })
        .collect();
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    Some(CfiDecode {
        cfi: scores[0].0,
        score: scores[0].1,
        margin: scores[0].1 - scores[1].1,
    })
}

/// Decodes the CFI of a demodulated subframe.
pub fn decode_cfi(sf: &Subframe) -> Option<CfiDecode> {
    let res = pcfich_res(sf.pci, sf.n_rb, sf.ports, sf.cp);
    let mut soft = qpsk_soft(&sf.combine(&res, 0));
    descramble_soft(c_init_pcfich((2 * sf.subframe) as u8, sf.pci), 0, &mut soft);
    cfi_from_soft(&soft)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn codewords_are_the_table() {
        let w1 = cfi_codeword(1).unwrap();
        assert_eq!(&w1[..6], &[0, 1, 1, 0, 1, 1]);
        assert_eq!(&w1[30..], &[0, 1]);
        assert_eq!(&cfi_codeword(2).unwrap()[..4], &[1, 0, 1, 1]);
        assert_eq!(&cfi_codeword(3).unwrap()[29..], &[0, 1, 1]);
        assert!(cfi_codeword(4).is_none());
        // Distances between the codewords: 21 or 22 bits.
        for a in 1..=3 {
            for b in a + 1..=3 {
                let d = cfi_codeword(a)
                    .unwrap()
                    .iter()
                    .zip(cfi_codeword(b).unwrap())
                    .filter(|(x, y)| **x != *y)
                    .count();
                assert!((21..=22).contains(&d), "{a} {b} {d}");
            }
        }
    }

    #[test]
    fn reg_positions_follow_the_formula() {
        // PCI 7, 50 RB: k̄ = 6·7 = 42; REGs at 42, 42 + 25·6, 42 + 50·6, 42 + 75·6 (mod 600).
        assert_eq!(pcfich_reg_starts(7, 50), [42, 192, 342, 492]);
        // PCI 301, 6 RB: 301 mod 12 = 1 → k̄ = 6; steps of ⌊i·6/2⌋·6 = 18.
        assert_eq!(pcfich_reg_starts(301, 6), [6, 24, 42, 60]);
        // Wrap-round: PCI 23, 6 RB: 23 mod 12 = 11 → 66, then 84 → 12, 30, 48.
        assert_eq!(pcfich_reg_starts(23, 6), [66, 12, 30, 48]);
        // Symbol 0 REG of PCI 7 (shift 1) at 42: skips 43 and 46.
        assert_eq!(
            reg_subcarriers(42, 0, 7, 1, CyclicPrefix::Normal),
            [42, 44, 45, 47]
        );
        assert_eq!(
            reg_subcarriers(40, 2, 7, 2, CyclicPrefix::Normal),
            [40, 41, 42, 43]
        );
        assert_eq!(reg_width(1, 4, CyclicPrefix::Normal), 6);
        assert_eq!(reg_width(1, 2, CyclicPrefix::Normal), 4);
        assert_eq!(reg_width(3, 2, CyclicPrefix::Extended), 6);
        let res = pcfich_res(7, 50, 2, CyclicPrefix::Normal);
        assert_eq!(res.len(), 16);
        assert!(res.iter().all(|&(l, k)| l == 0 && k % 3 != 1));
    }

    #[test]
    fn encode_decode_with_noise() {
        let mut rng = crate::signal::Rng::new(5);
        for ports in [1u8, 2, 4] {
            for cfi in 1..=3u8 {
                let pci = 77;
                let n_sc = 300;
                let hs = [
                    Complex32::new(0.6, 0.2),
                    Complex32::new(-0.3, 0.5),
                    Complex32::new(0.2, 0.2),
                    Complex32::new(0.4, -0.1),
                ];
                let mut sf = Subframe {
                    n_rb: 25,
                    cp: CyclicPrefix::Normal,
                    pci,
                    ports,
                    subframe: 5,
                    re: vec![vec![Complex32::new(0.0, 0.0); n_sc]; 14],
                    h: (0..usize::from(ports))
                        .map(|p| vec![vec![hs[p]; n_sc]; 14])
                        .collect(),
                };
                let y = pcfich_encode(cfi, pci, 5, ports).unwrap();
                let res = pcfich_res(pci, 25, ports, CyclicPrefix::Normal);
                for (i, &(l, k)) in res.iter().enumerate() {
                    sf.re[l][k] = (0..usize::from(ports))
                        .map(|p| y[p][i] * hs[p])
                        .sum::<Complex32>()
                        + rng.complex_gaussian(0.1);
                }
                let d = decode_cfi(&sf).unwrap();
                assert_eq!(d.cfi, cfi, "ports {ports}");
                assert!(d.score > 0.5 && d.margin > 0.3, "{d:?}");
                // The wrong subframe's scrambling does not give a confident answer.
                sf.subframe = 4;
                let w = decode_cfi(&sf).unwrap();
                assert!(w.score < 0.6, "{w:?}");
            }
        }
        assert!(cfi_from_soft(&[0.0; 32]).is_none());
        assert!(cfi_from_soft(&[1.0; 31]).is_none());
    }
}
