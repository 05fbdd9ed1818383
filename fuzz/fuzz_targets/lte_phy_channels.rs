//! LTE PCFICH, PDCCH and PDSCH receivers on arbitrary subframes: resource elements and channel
//! estimates from the input bytes (with NaN/∞ codes), any bandwidth, port count, cyclic prefix,
//! CFI, PHICH configuration and DCI. Oracles: nothing panics; the control region's soft bits are
//! 72 per CCE; PDSCH resource elements stay inside the subframe; no transport block of zeros.
#![no_main]

use libfuzzer_sys::fuzz_target;
use num_complex::Complex32;
use towerwatch_dsp::lte::fec::dci::{Dci1A, Dci1C, Duplex as DciDuplex, SI_RNTI};
use towerwatch_dsp::lte::fec::dlsch::DlschDecoder;
use towerwatch_dsp::lte::grid::Subframe;
use towerwatch_dsp::lte::params::{CyclicPrefix, Duplex};
use towerwatch_dsp::lte::pcfich::decode_cfi;
use towerwatch_dsp::lte::pdcch::{
    ControlRegion, PhichConfig, SearchCounts, pdcch_soft_bits, search_common,
};
use towerwatch_dsp::lte::pdsch::{PdschLayout, decode_si, pdsch_soft_bits};

const BANDWIDTHS: [usize; 6] = [6, 15, 25, 50, 75, 100];

fn value(b: u8) -> f32 {
    match b {
        0x80 => f32::NAN,
        0x81 => f32::INFINITY,
        _ => f32::from(b as i8) / 64.0,
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 12 {
        return;
    }
    let n_rb = BANDWIDTHS[usize::from(data[0]) % 6];
    let ports = [1u8, 2, 4][usize::from(data[1]) % 3];
    let cp = if data[1] & 0x80 != 0 {
        CyclicPrefix::Extended
    } else {
        CyclicPrefix::Normal
    };
    let n_sym = if cp == CyclicPrefix::Normal { 14 } else { 12 };
    let pci = u16::from_be_bytes([data[2], data[3]]) % 504;
    let subframe = usize::from(data[4]) % 10;
    let body = &data[12..];
    let n_sc = 12 * n_rb;
    let mut it = body.iter().cycle();
    let mut next = || {
        let a = it.next().copied().unwrap_or(0);
        let b = it.next().copied().unwrap_or(0);
        Complex32::new(value(a), value(b))
    };
    let mut grid = |n: usize| -> Vec<Vec<Complex32>> {
        (0..n_sym)
            .map(|_| (0..n).map(|_| next()).collect())
            .collect()
    };
    let re = grid(n_sc);
    let h: Vec<Vec<Vec<Complex32>>> = (0..ports).map(|_| grid(n_sc)).collect();
    let sf = Subframe {
        n_rb,
        cp,
        pci,
        ports,
        subframe,
        re,
        h,
    };
    let cfi = decode_cfi(&sf).map_or(data[5] % 5, |c| c.cfi);
    let phich = PhichConfig {
        ng: [(1, 6), (1, 2), (1, 1), (2, 1)][usize::from(data[6]) % 4],
        extended: data[6] & 0x10 != 0,
        m_i: data[6] >> 6,
    };
    let duplex = if data[7] & 1 == 1 {
        DciDuplex::Tdd
    } else {
        DciDuplex::Fdd
    };
    if let Some(region) = ControlRegion::new(pci, n_rb, ports, cp, cfi, &phich) {
        let soft = pdcch_soft_bits(&sf, &region);
        assert_eq!(soft.len(), 72 * region.n_cce);
        let mut c = SearchCounts::default();
        let _ = search_common(&soft, region.n_cce, n_rb, duplex, SI_RNTI, &mut c);
    }
    let layout = PdschLayout {
        n_rb,
        cp,
        pci,
        ports,
        subframe,
        duplex: if data[7] & 1 == 1 {
            Duplex::Tdd
        } else {
            Duplex::Fdd
        },
        control_symbols: usize::from(data[8] % 6),
    };
    let n = n_rb as u16;
    let riv = u32::from(u16::from_be_bytes([data[9], data[10]]));
    let alloc = if data[11] & 1 == 0 {
        Dci1A {
            distributed: data[11] & 2 != 0,
            riv,
            mcs: data[11] >> 3,
            tpc: data[11] >> 6,
            ndi: data[11] & 4 != 0,
            ..Dci1A::default()
        }
        .si_allocation(n)
    } else {
        Dci1C {
            gap2: data[11] & 2 != 0,
            riv,
            tbs_index: data[11] >> 3,
        }
        .si_allocation(n)
    };
    if let Ok(a) = alloc {
        let res = layout.res(&a.prbs_slot0, &a.prbs_slot1);
        assert!(res.iter().all(|&(l, k)| l < n_sym && k < n_sc));
        let soft = pdsch_soft_bits(&sf, &res, SI_RNTI);
        let mut dec = DlschDecoder::new();
        if let Ok(tb) = decode_si(&mut dec, &soft, &a, ports, data[5] & 3) {
            assert!(tb.bits.iter().any(|&b| b != 0));
        }
    }
});
