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
