//! Generator ↔ receiver round trips: the MIB back bit for bit over 1.4/5/10/20 MHz, FDD and
//! TDD, one and two antenna ports, with frequency offset, sample-clock error, noise and a start in
//! the middle of a frame; and (ignored, run by hand) the MIB success rate against SNR.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use towerwatch_dsp::lte::cell::{CellConfig, scan};
use towerwatch_dsp::lte::generator::{Channel, GenConfig, generate};
use towerwatch_dsp::lte::params::{CyclicPrefix, Duplex, SUBCARRIER_SPACING_HZ, fft_size_for_rb};
use towerwatch_dsp::lte::pbch::with_sfn;
use towerwatch_dsp::lte::search::{SearchConfig, to_search_rate};
use towerwatch_dsp::signal::Rng;

fn mib_for(n_rb: usize, rng: &mut Rng) -> [u8; 24] {
    let idx = [6, 15, 25, 50, 75, 100]
        .iter()
        .position(|&b| b == n_rb)
        .unwrap() as u8;
    let mut m = [0u8; 24];
    m[0] = (idx >> 2) & 1;
    m[1] = (idx >> 1) & 1;
    m[2] = idx & 1;
    for b in m.iter_mut().take(6).skip(3) {
        *b = rng.bit();
    }
    m
}

/// Runs one generated capture through the receiver; true when the cell comes back with the
/// right PCI, duplex, CP, ports and MIB (SFN included).
fn round_trip(cfg: &GenConfig, verbose: bool) -> bool {
    let x = generate(cfg).unwrap();
    let x = to_search_rate(&x, cfg.sample_rate_sps).unwrap();
    let r = scan(&x, &SearchConfig::default(), &CellConfig::default()).unwrap();
    let Some(c) = r.iter().find(|r| r.mib.is_some()) else {
        if verbose {
            println!(
                "  no MIB: {} candidates {:?}",
                r.len(),
                r.iter().map(|r| r.candidate.pci).collect::<Vec<_>>()
            );
        }
        return false;
    };
    let m = c.mib.as_ref().unwrap();
    // The receiver counts frames from the first complete one: which generated frame is that?
    let d = cfg.sample_rate_sps / 1.92e6;
    let j = ((c.frame_start * d + cfg.start_offset as f64) / (19200.0 * d)).round() as u16;
    let first = (cfg.first_sfn + j) % 1024;
    let ok = c.candidate.pci == cfg.pci
        && c.candidate.duplex == cfg.duplex
        && c.candidate.cp == cfg.cp
        && m.ports == cfg.ports
        && m.sfn_at_first_frame == first
        && m.bits
            == with_sfn(
                &cfg.mib,
                first + 4 * (m.bits[6..14].iter().fold(0u16, |a, &b| a * 2 + b as u16) - first / 4),
            );
    if verbose && !ok {
        println!(
            "  wrong: pci {} {:?} {:?} mib {:?}",
            c.candidate.pci, c.candidate.duplex, c.candidate.cp, m
        );
    }
    ok
}

#[test]
fn mib_round_trip_bandwidths_duplex_ports() {
    let mut rng = Rng::new(2026);
    for n_rb in [6usize, 25, 50, 100] {
        for duplex in [Duplex::Fdd, Duplex::Tdd] {
            for ports in [1u8, 2] {
                let cfg = GenConfig {
                    pci: (rng.next_u64() % 504) as u16,
                    n_rb,
                    duplex,
                    cp: CyclicPrefix::Normal,
                    ports,
                    mib: mib_for(n_rb, &mut rng),
                    first_sfn: (rng.next_u64() % 1024) as u16,
                    frames: 5,
                    start_offset: 1
                        + (rng.next_u64() % 10_000) as usize * fft_size_for_rb(n_rb) / 128,
                    sample_rate_sps: fft_size_for_rb(n_rb) as f64 * SUBCARRIER_SPACING_HZ,
                    snr_db: Some(10.0),
                    cfo_hz: 40_000.0 * (rng.uniform() * 2.0 - 1.0),
                    clock_ppm: 20.0 * (rng.uniform() * 2.0 - 1.0),
                    channel: Channel::Flat,
                    load: true,
                    seed: rng.next_u64(),
                    sib1: None,
                };
                println!(
                    "{n_rb} RB {duplex:?} {ports} port(s) PCI {} cfo {:.0} Hz",
                    cfg.pci, cfg.cfo_hz
                );
                assert!(round_trip(&cfg, true), "{cfg:?}");
            }
        }
    }
}

#[test]
fn mib_round_trip_extended_cp_and_four_ports() {
    let mut rng = Rng::new(36);
    for (cp, ports, duplex) in [
        (CyclicPrefix::Extended, 1u8, Duplex::Fdd),
        (CyclicPrefix::Extended, 2, Duplex::Tdd),
        (CyclicPrefix::Normal, 4, Duplex::Fdd),
    ] {
        let cfg = GenConfig {
            pci: (rng.next_u64() % 504) as u16,
            cp,
            ports,
            duplex,
            mib: mib_for(6, &mut rng),
            first_sfn: 1021,
            frames: 6,
            start_offset: 777,
            snr_db: Some(10.0),
            cfo_hz: -12_345.0,
            seed: rng.next_u64(),
            ..GenConfig::default()
        };
        println!("{cp:?} {ports} port(s) {duplex:?} PCI {}", cfg.pci);
        assert!(round_trip(&cfg, true), "{cfg:?}");
    }
}

/// MIB success against SNR per resource element (AWGN and EPA, 1 and 2 ports, 6 RB at
/// 1.92 MS/s, 50 ms captures starting mid-frame, ±40 kHz offset, ±20 ppm clock): the share of
/// captures whose cell comes back with the right PCI and an agreed MIB (two decodes), and the
/// share where the right PCI was at least a candidate. Run with `--ignored --nocapture`.
#[test]
#[ignore]
fn mib_success_against_snr() {
    let trials = 20;
    println!("channel ports  SNR dB  MIB ok  PCI found");
    for channel in [Channel::Flat, Channel::Epa] {
        for ports in [1u8, 2] {
            for snr in [-10.0, -8.0, -6.0, -4.0, -2.0, 0.0, 2.0] {
                let mut rng = Rng::new(1000 + ports as u64);
                let (mut ok, mut found) = (0, 0);
                for _ in 0..trials {
                    let cfg = GenConfig {
                        pci: (rng.next_u64() % 504) as u16,
                        ports,
                        mib: mib_for(6, &mut rng),
                        first_sfn: (rng.next_u64() % 1024) as u16,
                        frames: 5,
                        start_offset: 1 + (rng.next_u64() % 19_000) as usize,
                        snr_db: Some(snr),
                        cfo_hz: 40_000.0 * (rng.uniform() * 2.0 - 1.0),
                        clock_ppm: 20.0 * (rng.uniform() * 2.0 - 1.0),
                        channel,
                        seed: rng.next_u64(),
                        ..GenConfig::default()
                    };
                    let x = generate(&cfg).unwrap();
                    let r = scan(&x, &SearchConfig::default(), &CellConfig::default()).unwrap();
                    found += r.iter().any(|c| c.candidate.pci == cfg.pci) as usize;
                    ok += round_trip(&cfg, false) as usize;
                }
                println!(
                    "{:7} {ports:5} {snr:7.0} {:6.0}% {:9.0}%",
                    format!("{channel:?}"),
                    100.0 * ok as f64 / trials as f64,
                    100.0 * found as f64 / trials as f64
                );
            }
        }
    }
}
