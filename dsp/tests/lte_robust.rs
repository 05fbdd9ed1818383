//! The LTE receiver on inputs that are not LTE: random IQ of every length, non-finite samples,
//! and candidates with absurd fields. Nothing may panic, and noise must not produce a MIB.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use towerwatch_dsp::Complex32;
use towerwatch_dsp::lte::cell::{CellConfig, decode_cell, scan};
use towerwatch_dsp::lte::params::{CyclicPrefix, Duplex};
use towerwatch_dsp::lte::pbch::PbchDecoder;
use towerwatch_dsp::lte::search::{CellCandidate, PssPeak, SearchConfig, search, to_search_rate};
use towerwatch_dsp::signal::Rng;

fn noise(rng: &mut Rng, n: usize, power: f64) -> Vec<Complex32> {
    (0..n).map(|_| rng.complex_gaussian(power)).collect()
}

#[test]
fn random_iq_of_any_length_gives_no_cell_and_no_panic() {
    let mut rng = Rng::new(16);
    for n in [0usize, 1, 127, 128, 9_600, 17_279, 17_280, 40_000, 200_000] {
        let x = noise(&mut rng, n, 1.0);
        let r = scan(&x, &SearchConfig::default(), &CellConfig::default()).unwrap();
        assert!(
            r.iter().all(|c| c.mib.is_none()),
            "MIB from noise, length {n}"
        );
    }
}

#[test]
fn non_finite_and_extreme_samples() {
    let mut rng = Rng::new(17);
    let mut x = noise(&mut rng, 60_000, 1e-3);
    x[100] = Complex32::new(f32::NAN, 0.0);
    x[5000] = Complex32::new(f32::INFINITY, -f32::INFINITY);
    x[7000] = Complex32::new(f32::MAX, f32::MAX);
    let r = scan(&x, &SearchConfig::default(), &CellConfig::default()).unwrap();
    assert!(r.iter().all(|c| c.mib.is_none()));
    let z = vec![Complex32::new(0.0, 0.0); 60_000];
    assert!(search(&z, &SearchConfig::default()).unwrap().is_empty());
    assert!(to_search_rate(&x, f64::NAN).is_err());
    assert!(to_search_rate(&x, 1e6).is_err());
    assert!(to_search_rate(&[], 19.2e6).unwrap().is_empty());
    let bad = SearchConfig {
        cfo_step_hz: 0.0,
        ..SearchConfig::default()
    };
    assert!(search(&x, &bad).is_err());
}

#[test]
fn absurd_candidates_are_refused_quietly() {
    let mut rng = Rng::new(18);
    let x = noise(&mut rng, 50_000, 1.0);
    let base = CellCandidate {
        pci: 7,
        duplex: Duplex::Tdd,
        cp: CyclicPrefix::Extended,
        cfo_hz: 0.0,
        frame_start: 100.0,
        pss: PssPeak {
            n_id_2: 1,
            position: 0.0,
            cfo_hz: 0.0,
            metric: 1.0,
        },
        sss_quality: 1.0,
    };
    for (fs, cfo, pci) in [
        (f64::NAN, 0.0, 7u16),
        (-1e18, 0.0, 7),
        (1e18, 0.0, 7),
        (100.0, f64::INFINITY, 7),
        (100.0, 5e6, 7),
        (100.0, 0.0, 9999),
        (-19_000.0, 1e5, 503),
        (49_990.0, 0.0, 0),
    ] {
        let c = CellCandidate {
            frame_start: fs,
            cfo_hz: cfo,
            pci,
            ..base.clone()
        };
        let r = decode_cell(&x, &c, &CellConfig::default());
        assert!(r.mib.is_none());
    }
}

#[test]
fn pbch_decoder_on_random_soft_bits() {
    let mut rng = Rng::new(19);
    let mut d = PbchDecoder::new();
    let mut passes = 0;
    for i in 0..500 {
        let len = [480usize, 432, 0, 1, 479, 960][i % 6];
        let v: Vec<f32> = (0..len).map(|_| 10.0 * rng.gaussian() as f32).collect();
        for ports in [0u8, 1, 2, 3, 4] {
            for q in 0..5u8 {
                passes += d.decode(&[&v], (i % 600) as u16, q, ports).is_some() as usize;
                let _ = d.best_position(&v, (i % 504) as u16);
            }
        }
    }
    // 500 × 3 masks × 4 positions tries at 2⁻¹⁶ each: a pass or two by chance at most.
    assert!(passes <= 2, "{passes}");
}

/// SIB1 decoding of a cell whose MIB says something (any bandwidth, ports, PHICH) over noise, a
/// silent input and absurd timing: no panic, no SIB1.
#[test]
fn sib1_decoder_on_noise_and_absurd_cells() {
    use towerwatch_dsp::lte::cell::{CellReport, MibDecode};
    use towerwatch_dsp::lte::rrc::mib::{Mib, PhichResource};
    use towerwatch_dsp::lte::sib1::{Sib1Config, decode_sib1};
    let mut rng = Rng::new(20);
    let x = noise(&mut rng, 19_200 * 10 * 3, 1.0);
    let xs = to_search_rate(&x, 19.2e6).unwrap();
    let silent = vec![Complex32::new(0.0, 0.0); x.len()];
    for (i, (n_rb, ports, phich, duplex, cp, fs)) in [
        (
            6u16,
            1u8,
            PhichResource::OneSixth,
            Duplex::Fdd,
            CyclicPrefix::Normal,
            10.0,
        ),
        (
            25,
            2,
            PhichResource::Two,
            Duplex::Tdd,
            CyclicPrefix::Extended,
            500.0,
        ),
        (
            100,
            4,
            PhichResource::One,
            Duplex::Fdd,
            CyclicPrefix::Normal,
            19_000.0,
        ),
        (
            50,
            2,
            PhichResource::Half,
            Duplex::Tdd,
            CyclicPrefix::Normal,
            f64::NAN,
        ),
        (
            75,
            2,
            PhichResource::One,
            Duplex::Fdd,
            CyclicPrefix::Normal,
            -1e12,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mib = Mib {
            bandwidth_rb: n_rb,
            phich_extended: i == 1,
            phich_resource: phich,
            sfn_msb: 3,
            spare: 0,
        };
        let cell = CellReport {
            candidate: CellCandidate {
                pci: (i * 101) as u16,
                duplex,
                cp,
                cfo_hz: 1000.0,
                frame_start: fs,
                pss: PssPeak {
                    n_id_2: 0,
                    position: 0.0,
                    cfo_hz: 0.0,
                    metric: 1.0,
                },
                sss_quality: 1.0,
            },
            frame_start: fs,
            clock_error_ppm: None,
            measurement: None,
            mib: Some(MibDecode {
                bits: mib.to_bits().unwrap(),
                fields: Some(mib),
                ports,
                sfn_at_first_frame: 12,
                decodes: 2,
            }),
            frames: 3,
            crc_passes: 2,
        };
        for input in [&x, &silent] {
            match decode_sib1(input, 19.2e6, &xs, &cell, &Sib1Config::default()) {
                Ok(r) => assert!(r.decode.is_none(), "{:?}", r.counters),
                Err(e) => assert!(!fs.is_finite() || fs < 0.0, "{e}"),
            }
        }
        // Rates that cannot carry the cell are errors; a rate off the grid is resampled onto it
        // (issue 16), and on noise it still gives no SIB1.
        assert!(decode_sib1(&x, 1.92e6, &xs, &cell, &Sib1Config::default()).is_err() || n_rb == 6);
        if let Ok(r) = decode_sib1(&x, 19.3e6, &xs, &cell, &Sib1Config::default()) {
            assert!(r.decode.is_none(), "{:?}", r.counters);
        }
    }
}

/// The PDCCH/PDSCH decoders on random grids and random soft bits: no panic, and the SI-RNTI
/// does not come out of noise.
#[test]
fn control_and_shared_channel_decoders_on_random_grids() {
    use towerwatch_dsp::lte::fec::dci::{Dci1A, Duplex as DciDuplex, SI_RNTI};
    use towerwatch_dsp::lte::fec::dlsch::DlschDecoder;
    use towerwatch_dsp::lte::grid::Subframe;
    use towerwatch_dsp::lte::pcfich::decode_cfi;
    use towerwatch_dsp::lte::pdcch::{
        ControlRegion, PhichConfig, SearchCounts, pdcch_soft_bits, search_common,
    };
    use towerwatch_dsp::lte::pdsch::{PdschLayout, decode_si, pdsch_soft_bits};
    let mut rng = Rng::new(21);
    let mut hits = 0;
    for i in 0..200 {
        let n_rb = [6usize, 15, 25, 50, 75, 100][i % 6];
        let ports = [1u8, 2, 4][i % 3];
        let cp = if i % 7 == 0 {
            CyclicPrefix::Extended
        } else {
            CyclicPrefix::Normal
        };
        let n_sym = if cp == CyclicPrefix::Normal { 14 } else { 12 };
        let n_sc = 12 * n_rb;
        let sf = Subframe {
            n_rb,
            cp,
            pci: (rng.next_u64() % 504) as u16,
            ports,
            subframe: i % 10,
            re: (0..n_sym).map(|_| noise(&mut rng, n_sc, 1.0)).collect(),
            h: (0..ports)
                .map(|_| (0..n_sym).map(|_| noise(&mut rng, n_sc, 1.0)).collect())
                .collect(),
        };
        let _ = decode_cfi(&sf);
        for cfi in 0..=4u8 {
            let phich = PhichConfig {
                ng: [(1, 6), (1, 2), (1, 1), (2, 1)][i % 4],
                extended: i % 5 == 0,
                m_i: (i % 3) as u8,
            };
            let Some(region) = ControlRegion::new(sf.pci, n_rb, ports, cp, cfi, &phich) else {
                continue;
            };
            let soft = pdcch_soft_bits(&sf, &region);
            let mut c = SearchCounts::default();
            let duplex = if i % 2 == 0 {
                DciDuplex::Fdd
            } else {
                DciDuplex::Tdd
            };
            hits += search_common(&soft, region.n_cce, n_rb, duplex, SI_RNTI, &mut c).len();
        }
        let layout = PdschLayout {
            n_rb,
            cp,
            pci: sf.pci,
            ports,
            subframe: sf.subframe,
            duplex: if i % 2 == 0 { Duplex::Fdd } else { Duplex::Tdd },
            control_symbols: i % 5,
        };
        let d = Dci1A {
            riv: (rng.next_u64() % 5000) as u32,
            mcs: (rng.next_u64() % 32) as u8,
            tpc: (i % 4) as u8,
            distributed: i % 2 == 1,
            ..Dci1A::default()
        };
        if let Ok(a) = d.si_allocation(n_rb as u16) {
            let res = layout.res(&a.prbs_slot0, &a.prbs_slot1);
            let soft = pdsch_soft_bits(&sf, &res, SI_RNTI);
            let mut dec = DlschDecoder::new();
            let r = decode_si(&mut dec, &soft, &a, ports, (i % 4) as u8);
            assert!(r.is_err(), "{i} tbs {} g {} {:?}", a.tbs, soft.len(), r);
        }
        // Out-of-band allocations are ignored, not indexed.
        let _ = layout.res(&[u16::MAX, 3], &[200]);
    }
    assert!(hits <= 1, "{hits}");
}
