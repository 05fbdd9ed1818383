//! Decode throughput of the LTE coding layer, printed as rates and as the load of one cell's
//! broadcast decoding. Ignored by default (timing belongs in a benchmark run, not in CI):
//! `cargo test --release -p towerwatch-dsp --test lte_fec_throughput -- --ignored --nocapture`.
//!
//! Per second of air time a SIB1 receiver runs PDCCH blind decoding in every subframe (common
//! search space: 4 candidates at aggregation level 4 and 2 at level 8, each tried as format 1A
//! and 1C = 12 Viterbi decodes per subframe, 12 000 per second) and one SIB1 transport block
//! every 20 ms (50 per second, worst case all decoded with the full iteration count).
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Instant;
use towerwatch_dsp::lte::fec::control::{PbchDecoder, dci_decode, dci_encode, pbch_encode};
use towerwatch_dsp::lte::fec::conv::TbccDecoder;
use towerwatch_dsp::lte::fec::dci::{Dci1A, Duplex, SI_RNTI, format1a_size};
use towerwatch_dsp::lte::fec::dlsch::{DlschDecoder, DlschParams, dlsch_encode};
use towerwatch_dsp::lte::rrc::sib1::decode_sib1;
use towerwatch_dsp::signal::Rng;

fn noisy(bits: &[u8], rng: &mut Rng, sigma: f64) -> Vec<f32> {
    bits.iter()
        .map(|&b| (if b == 1 { 1.0 } else { -1.0 }) + (rng.gaussian() * sigma) as f32)
        .collect()
}

/// This thread's time on a CPU in seconds (Linux schedstat), so a loaded shared machine does not
/// inflate the figures; `None` elsewhere.
fn cpu_time_s() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns * 1e-9)
}

/// Runs `f` `n` times; prints and returns the rate per CPU second (wall second if unavailable).
fn rate(label: &str, n: usize, f: impl FnMut()) -> f64 {
    let mut f = f;
    let cpu0 = cpu_time_s();
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    let wall = t.elapsed().as_secs_f64();
    let cpu = match (cpu0, cpu_time_s()) {
        (Some(a), Some(b)) if b > a => b - a,
        _ => wall,
    };
    let per_s = n as f64 / cpu;
    println!(
        "{label}: {per_s:.0}/s per CPU second ({:.2} µs CPU, {:.2} µs wall each)",
        1e6 * cpu / n as f64,
        1e6 * wall / n as f64
    );
    per_s
}

#[test]
#[ignore = "timing; run with --ignored --nocapture in release mode"]
fn lte_fec_throughput() {
    let mut rng = Rng::new(1);
    // PDCCH candidate: DCI 1A for 50 RB (27 bits) on 4 CCEs (288 bits) at Es/N0 ≈ 0 dB.
    let payload = Dci1A {
        riv: 10,
        mcs: 4,
        ..Dci1A::default()
    }
    .pack(50, Duplex::Fdd)
    .unwrap();
    let e = dci_encode(&payload, SI_RNTI, 288).unwrap();
    let soft = noisy(&e, &mut rng, 1.0);
    let size = format1a_size(50, Duplex::Fdd).unwrap();
    let mut vit = TbccDecoder::new();
    let dci_per_s = rate("PDCCH candidate (1A, 4 CCE)", 20_000, || {
        black_box(dci_decode(black_box(&soft), size, &mut vit).unwrap());
    });

    // PBCH: one frame's 480 soft bits, position unknown (up to 4 hypotheses).
    let mib: Vec<u8> = (0..24).map(|_| rng.bit()).collect();
    let pb = pbch_encode(&mib, 2, 123, true).unwrap();
    let q = noisy(&pb[1440..], &mut rng, 1.0);
    let mut pd = PbchDecoder::new();
    rate("PBCH frame (worst hypothesis last)", 5_000, || {
        black_box(pd.decode(black_box(&q), 123, true));
    });

    // SIB1-sized DL-SCH: TBS 328 (I_TBS 7, N_PRB^1A 3) on 4 PRB of a 10 MHz cell, G = 960,
    // with noise high enough that the turbo decoder runs all 8 iterations half the time.
    let p = DlschParams {
        tbs: 328,
        g: 960,
        qm: 2,
        layers: 1,
        rv: 0,
    };
    let tb: Vec<u8> = (0..p.tbs).map(|_| rng.bit()).collect();
    let coded = dlsch_encode(&tb, &p).unwrap();
    let s = noisy(&coded, &mut rng, 1.6);
    let mut dl = DlschDecoder::new();
    let mut ok = 0usize;
    let n_sib = 2_000;
    let sib_per_s = rate(
        "SIB1 DL-SCH (TBS 328, G 960, ≤ 8 iterations)",
        n_sib,
        || {
            dl.reset();
            ok += usize::from(dl.decode(black_box(&s), &p, 8).is_ok());
        },
    );
    println!("  (CRC passed in {ok} of {n_sib} runs at this noise level)");

    let sib = [
        0x78, 0x51, 0x80, 0x01, 0x25, 0x73, 0x2F, 0xD8, 0x20, 0x38, 0x1B, 0x59, 0x44, 0x42, 0x04,
        0x11, 0x30, 0x91, 0x3E, 0x8C, 0x05, 0x0A,
    ];
    rate("SIB1 UPER parse", 200_000, || {
        black_box(decode_sib1(black_box(&sib)).unwrap());
    });

    // One second of air: 12 000 PDCCH candidates + 50 SIB1 transport blocks.
    let load_s = 12_000.0 / dci_per_s + 50.0 / sib_per_s;
    println!(
        "coding load per second of air time: {:.1} ms → {:.0}× real time on one core",
        1e3 * load_s,
        1.0 / load_s
    );
}

/// Success rate (decoded and equal to what was sent) of the coding chains alone on BPSK soft
/// bits in AWGN (no channel estimation losses): PBCH from one frame (480 bits, position unknown) and from all four,
/// a DCI 1A on 4 CCEs, and a SIB1-sized DL-SCH block. Es/N0 per coded bit.
#[test]
#[ignore = "statistics; run with --ignored --nocapture in release mode"]
fn lte_fec_awgn_table() {
    let mut rng = Rng::new(2);
    let trials = 300;
    println!(
        "success per Es/N0 dB | PBCH 1 frame | PBCH 4 frames | DCI 1A 4 CCE | DL-SCH TBS 328 G 960"
    );
    for es_n0_db in [-10.0f64, -8.0, -6.0, -4.0, -2.0, 0.0] {
        let sigma = (1.0 / (2.0 * 10f64.powf(es_n0_db / 10.0))).sqrt();
        let (mut pb1, mut pb4, mut dci, mut dl) = (0, 0, 0, 0);
        let mut pd = PbchDecoder::new();
        let mut vit = TbccDecoder::new();
        let mut dd = DlschDecoder::new();
        let payload = Dci1A::default().pack(50, Duplex::Fdd).unwrap();
        let size = payload.len();
        let p = DlschParams {
            tbs: 328,
            g: 960,
            qm: 2,
            layers: 1,
            rv: 0,
        };
        for _ in 0..trials {
            let mib: Vec<u8> = (0..24).map(|_| rng.bit()).collect();
            let e = pbch_encode(&mib, 1, 77, true).unwrap();
            let s = noisy(&e, &mut rng, sigma);
            pb1 += usize::from(
                pd.decode(&s[480..960], 77, true).map(|d| d.mib.to_vec()) == Some(mib.clone()),
            );
            pb4 += usize::from(pd.decode(&s, 77, true).map(|d| d.mib.to_vec()) == Some(mib));
            let e = dci_encode(&payload, SI_RNTI, 288).unwrap();
            let c = dci_decode(&noisy(&e, &mut rng, sigma), size, &mut vit).unwrap();
            dci += usize::from(c.rnti == SI_RNTI && c.payload == payload);
            let tb: Vec<u8> = (0..p.tbs).map(|_| rng.bit()).collect();
            let coded = dlsch_encode(&tb, &p).unwrap();
            dd.reset();
            dl += usize::from(
                dd.decode(&noisy(&coded, &mut rng, sigma), &p, 8)
                    .map(|d| d.bits)
                    == Ok(tb),
            );
        }
        let pct = |n: usize| 100.0 * n as f64 / trials as f64;
        println!(
            "{es_n0_db:8.0} | {:11.1}% | {:12.1}% | {:11.1}% | {:.1}%",
            pct(pb1),
            pct(pb4),
            pct(dci),
            pct(dl)
        );
    }
}
