//! One downlink subframe over the cell's whole bandwidth: its resource elements, the channel of
//! every antenna port at every resource element, and the transmit-diversity precoder and combiner
//! (TS 36.211 §6.3.4.2-6.3.4.3) that PCFICH, PDCCH and the PDSCH of system information share.
//!
//! Precoding, for reference: one port sends `x(i)` as is; two ports send the pair
//! `(x(2i), x(2i+1))` as `(x0, x1)/√2` on port 0 and `(−x1*, x0*)/√2` on port 1 over two
//! consecutive resource elements (SFBC); four ports alternate the pairs between ports (0, 2) and
//! (1, 3). The combiner is the matched filter (one port) or the Alamouti combiner with the channel
//! averaged over the pair's two resource elements: its outputs are the transmitted symbols scaled
//! by the channel power, which is what a soft decoder wants (no division by |h|²).

use super::crs::{GridSymbol, estimate_port};
use super::params::CyclicPrefix;
use num_complex::Complex32;
use std::f32::consts::FRAC_1_SQRT_2;

/// A resource element of a subframe: (symbol in the subframe 0..2·N_symb, subcarrier 0..12·N_RB).
pub type Re = (usize, usize);

/// A demodulated subframe with its channel estimates.
#[derive(Debug, Clone)]
pub struct Subframe {
    /// Cell bandwidth in resource blocks.
    pub n_rb: usize,
    /// Cyclic prefix.
    pub cp: CyclicPrefix,
    /// Physical cell identity.
    pub pci: u16,
    /// Antenna ports (1, 2 or 4).
    pub ports: u8,
    /// Subframe number 0..10.
    pub subframe: usize,
    /// Resource elements per symbol of the subframe (`12·n_rb` each, lowest subcarrier first).
    pub re: Vec<Vec<Complex32>>,
    /// Channel per port, symbol and subcarrier.
    pub h: Vec<Vec<Vec<Complex32>>>,
}

impl Subframe {
    /// Builds a subframe from its demodulated symbols (`grid`: every symbol of both slots, in
    /// order, `12·n_rb` elements each) with channel estimates from the CRS of `ports` ports.
    /// None when a symbol is missing or a port has no pilots.
    pub fn from_grid(
        grid: &[GridSymbol],
        pci: u16,
        cp: CyclicPrefix,
        n_rb: usize,
        ports: u8,
        subframe: usize,
    ) -> Option<Self> {
        let n_sym = match cp {
            CyclicPrefix::Normal => 14,
            CyclicPrefix::Extended => 12,
        };
        if grid.len() != n_sym || grid.iter().any(|s| s.re.len() != 12 * n_rb) {
            return None;
        }
        let np = match ports {
            1 | 2 | 4 => usize::from(ports),
            _ => return None,
        };
        let mut h = Vec::with_capacity(np);
        for p in 0..np {
            let e = estimate_port(grid, p, pci, cp, n_rb)?;
            h.push(grid.iter().map(|s| e.symbol(s.time)).collect());
        }
        Some(Subframe {
            n_rb,
            cp,
            pci,
            ports,
            subframe,
            re: grid.iter().map(|s| s.re.clone()).collect(),
            h,
        })
    }

    /// Symbols per slot (7 normal CP, 6 extended).
    pub fn symbols_per_slot(&self) -> usize {
        match self.cp {
            CyclicPrefix::Normal => 7,
            CyclicPrefix::Extended => 6,
        }
    }

    fn y(&self, (l, k): Re) -> Complex32 {
        self.re
            .get(l)
            .and_then(|s| s.get(k))
            .copied()
            .unwrap_or_default()
    }

    fn ch(&self, p: usize, (l, k): Re) -> Complex32 {
        self.h
            .get(p)
            .and_then(|v| v.get(l))
            .and_then(|s| s.get(k))
            .copied()
            .unwrap_or_default()
    }

    /// Combines the resource elements `res` (in mapping order; for 2 and 4 ports the pairs are
    /// `res[2i], res[2i+1]`, and `first_pair` is the index of the first pair in the precoded
    /// sequence, which decides the port pair under four ports) into estimates of the transmitted
    /// symbols, each scaled by its channel power.
    pub fn combine(&self, res: &[Re], first_pair: usize) -> Vec<Complex32> {
        let mut d = Vec::with_capacity(res.len());
        if self.ports == 1 {
            for &r in res {
                d.push(self.ch(0, r).conj() * self.y(r));
            }
            return d;
        }
        for (j, two) in res.chunks(2).enumerate() {
            let (pa, pb) = pair_ports(self.ports, first_pair + j);
            let (a, b) = (two[0], two.get(1).copied().unwrap_or(two[0]));
            let h0 = (self.ch(pa, a) + self.ch(pa, b)) * 0.5;
            let h1 = (self.ch(pb, a) + self.ch(pb, b)) * 0.5;
            let (r0, r1) = (self.y(a), self.y(b));
            d.push(h0.conj() * r0 + h1 * r1.conj());
            if two.len() == 2 {
                d.push(h0.conj() * r1 - h1 * r0.conj());
            }
        }
        d
    }
}

/// The two ports of SFBC pair `pair` under `ports` ports: (0, 1) for two ports; (0, 2) and (1, 3)
/// alternating for four.
pub fn pair_ports(ports: u8, pair: usize) -> (usize, usize) {
    if ports == 4 {
        if pair.is_multiple_of(2) {
            (0, 2)
        } else {
            (1, 3)
        }
    } else {
        (0, 1)
    }
}

/// Transmit-diversity precoding of `d` onto `ports` ports (1, 2 or 4); `first_pair` as in
/// [`Subframe::combine`]. Returns one vector per port (zeros where a port sends nothing).
pub fn precode(d: &[Complex32], ports: u8, first_pair: usize) -> Vec<Vec<Complex32>> {
    let np = usize::from(ports.max(1));
    let z = Complex32::new(0.0, 0.0);
    let mut y = vec![vec![z; d.len()]; np];
    if np == 1 {
        y[0].copy_from_slice(d);
        return y;
    }
    for (i, pair) in d.chunks(2).enumerate() {
        let (pa, pb) = pair_ports(ports, first_pair + i);
        let x0 = pair[0] * FRAC_1_SQRT_2;
        let x1 = pair.get(1).copied().unwrap_or_default() * FRAC_1_SQRT_2;
        y[pa][2 * i] = x0;
        y[pb][2 * i] = -x1.conj();
        if pair.len() == 2 {
            y[pa][2 * i + 1] = x1;
            y[pb][2 * i + 1] = x0.conj();
        }
    }
    y
}

/// QPSK modulation (TS 36.211 §7.1.2) of bit pairs: bit 0 → +1/√2.
pub fn qpsk(bits: &[u8]) -> Vec<Complex32> {
    bits.chunks(2)
        .map(|b| {
            let b1 = b.get(1).copied().unwrap_or(0);
            Complex32::new(
                (1.0 - 2.0 * f32::from(b[0] & 1)) * FRAC_1_SQRT_2,
                (1.0 - 2.0 * f32::from(b1 & 1)) * FRAC_1_SQRT_2,
            )
        })
        .collect()
}

/// Soft bits of QPSK symbol estimates (> 0 means 1): `−Re`, `−Im`.
pub fn qpsk_soft(d: &[Complex32]) -> Vec<f32> {
    let mut out = Vec::with_capacity(2 * d.len());
    for v in d {
        out.push(-v.re);
        out.push(-v.im);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn flat(ports: u8, n_sc: usize, hs: &[Complex32]) -> Subframe {
        Subframe {
            n_rb: n_sc / 12,
            cp: CyclicPrefix::Normal,
            pci: 0,
            ports,
            subframe: 0,
            re: vec![vec![Complex32::new(0.0, 0.0); n_sc]; 14],
            h: hs.iter().map(|&h| vec![vec![h; n_sc]; 14]).collect(),
        }
    }

    #[test]
    fn precode_then_combine_gives_the_symbols_back() {
        let bits: Vec<u8> = (0..48).map(|i| ((i * 7) % 3 == 0) as u8).collect();
        let d = qpsk(&bits);
        let hs = [
            Complex32::new(0.3, -0.8),
            Complex32::new(-0.5, 0.2),
            Complex32::new(0.1, 0.9),
            Complex32::new(0.7, 0.1),
        ];
        for ports in [1u8, 2, 4] {
            let mut sf = flat(ports, 24, &hs[..usize::from(ports)]);
            let y = precode(&d, ports, 0);
            let res: Vec<Re> = (0..d.len()).map(|i| (i / 24, i % 24)).collect();
            for (i, &(l, k)) in res.iter().enumerate() {
                sf.re[l][k] = (0..usize::from(ports)).map(|p| y[p][i] * hs[p]).sum();
            }
            let e = sf.combine(&res, 0);
            let soft = qpsk_soft(&e);
            for (i, (&b, &s)) in bits.iter().zip(&soft).enumerate() {
                assert_eq!(s > 0.0, b == 1, "ports {ports} bit {i}");
            }
            // Every estimate is the symbol times a positive real gain.
            for (x, z) in d.iter().zip(&e) {
                let g = z / x;
                assert!(g.im.abs() < 1e-5 && g.re > 0.0, "{ports}: {g}");
            }
        }
    }

    #[test]
    fn four_port_pairs_alternate() {
        assert_eq!(pair_ports(4, 0), (0, 2));
        assert_eq!(pair_ports(4, 3), (1, 3));
        assert_eq!(pair_ports(2, 3), (0, 1));
        let y = precode(&qpsk(&[0, 0, 1, 1, 0, 1, 1, 0]), 4, 1);
        // Pair 1 of the sequence goes to ports 1 and 3, pair 2 to ports 0 and 2.
        assert_eq!(y[0][0], Complex32::new(0.0, 0.0));
        assert!(y[1][0].norm() > 0.0 && y[3][0].norm() > 0.0);
        assert!(y[0][2].norm() > 0.0 && y[2][2].norm() > 0.0);
    }
}
