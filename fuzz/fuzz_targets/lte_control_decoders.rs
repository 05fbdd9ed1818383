//! LTE control and shared-channel decoders on arbitrary input: DCI 1A/1C unpacking and the
//! allocation they give for every bandwidth, PDCCH candidate decoding (rate de-matching +
//! tail-biting Viterbi + RNTI), PBCH decoding, and DL-SCH turbo decoding with arbitrary
//! parameters. Soft bits come from input bytes as signed values, with a few NaN/∞ codes.
//! Oracles: allocations stay inside the band; nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use towerwatch_dsp::lte::fec::control::{PbchDecoder, dci_decode};
use towerwatch_dsp::lte::fec::conv::TbccDecoder;
use towerwatch_dsp::lte::fec::dci::{Dci1A, Dci1C, Duplex, format1a_size, format1c_size};
use towerwatch_dsp::lte::fec::dlsch::{DlschDecoder, DlschParams};

const BANDWIDTHS: [u16; 6] = [6, 15, 25, 50, 75, 100];

fn soft(b: u8) -> f32 {
    match b {
        0x80 => f32::NAN,
        0x81 => f32::INFINITY,
        0x82 => f32::NEG_INFINITY,
        _ => f32::from(b as i8) / 127.0,
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let bits: Vec<u8> = data
        .iter()
        .flat_map(|&b| (0..8).rev().map(move |i| (b >> i) & 1))
        .collect();
    let n_rb = BANDWIDTHS[usize::from(data[0]) % 6];
    let duplex = if data[1] & 1 == 1 {
        Duplex::Tdd
    } else {
        Duplex::Fdd
    };
    if let Ok(size) = format1a_size(n_rb, duplex)
        && bits.len() >= size
        && let Ok(d) = Dci1A::unpack(&bits[..size], n_rb, duplex)
        && let Ok(a) = d.si_allocation(n_rb)
    {
        assert!(a.prbs_slot0.iter().chain(&a.prbs_slot1).all(|&p| p < n_rb));
    }
    if let Ok(size) = format1c_size(n_rb)
        && bits.len() >= size
        && let Ok(d) = Dci1C::unpack(&bits[..size], n_rb)
        && let Ok(a) = d.si_allocation(n_rb)
    {
        assert!(a.prbs_slot0.iter().chain(&a.prbs_slot1).all(|&p| p < n_rb));
    }
    let s: Vec<f32> = data[4..].iter().map(|&b| soft(b)).collect();
    let mut vit = TbccDecoder::new();
    let _ = dci_decode(&s, usize::from(data[2] % 64), &mut vit);
    let mut pbch = PbchDecoder::new();
    let mut q: Vec<f32> = s.iter().copied().cycle().take(480).collect();
    if q.len() == 480 {
        let _ = pbch.decode(&q, u16::from(data[3]) * 2, true);
        q.truncate(432);
        let _ = pbch.decode(&q, u16::from(data[3]), false);
    }
    let p = DlschParams {
        tbs: usize::from(data[2]) * 8,
        g: s.len(),
        qm: 2,
        layers: 1 + usize::from(data[1] >> 7),
        rv: data[3] & 3,
    };
    let _ = DlschDecoder::new().decode(&s, &p, 2);
});
