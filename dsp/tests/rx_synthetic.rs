//! Receiver tests on generated BCCH carriers: every usual input rate and channel offset, known
//! frequency offsets, noise, multipath, loss and recovery of sync, and garbage input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::f64::consts::TAU;
use towerwatch_dsp::Complex32;
use towerwatch_dsp::filter::{RationalResampler, lowpass_for};
use towerwatch_dsp::gsm::burst::DUMMY_BURST;
use towerwatch_dsp::gsm::coding::{SchInfo, sch_encode_burst, xcch_encode_bursts};
use towerwatch_dsp::gsm::gmsk::{GmskModulator, timeslot_symbols};
use towerwatch_dsp::gsm::rx::{
    DecodedFrame, Receiver, RxConfig, RxEvent, RxState, decode_downlink,
};
use towerwatch_dsp::gsm::{HYPERFRAME, SYMBOL_RATE_SPS};
use towerwatch_dsp::signal::Rng;

const SPS: usize = 4;
const CH_RATE: f64 = SYMBOL_RATE_SPS * SPS as f64;
const CCCH_STARTS: [u32; 9] = [6, 12, 16, 22, 26, 32, 36, 42, 46];

/// A generated BCCH carrier (combination IV) at 4 samples per symbol, unit amplitude.
struct Carrier {
    samples: Vec<Complex32>,
    /// (first FN, frame) of every BCCH/CCCH block sent completely.
    frames: Vec<(u32, [u8; 23])>,
    bsic: u8,
    first_fn: u32,
}

fn generate(bsic: u8, first_fn: u32, n_frames: u32, seed: u64) -> Carrier {
    generate_with(bsic, first_fn, n_frames, seed, |_, _| DUMMY_BURST)
}

/// As [`generate`], with the bits of timeslots 1–7 of frame `k` (counted from the first) given
/// by `other(k, ts)`.
fn generate_with(
    bsic: u8,
    first_fn: u32,
    n_frames: u32,
    seed: u64,
    other: impl Fn(u32, usize) -> [u8; 148],
) -> Carrier {
    let mut rng = Rng::new(seed);
    let mut m = GmskModulator::new(SPS);
    let mut samples = Vec::new();
    let mut frames = Vec::new();
    let mut block: Option<[[u8; 148]; 4]> = None;
    let tsc = bsic & 7;
    for k in 0..n_frames {
        let fn_ = (first_fn + k) % HYPERFRAME;
        let t3 = fn_ % 51;
        let ts0: [u8; 148] = if t3.is_multiple_of(10) && t3 != 50 {
            [0; 148]
        } else if t3 % 10 == 1 && t3 != 51 {
            sch_encode_burst(&SchInfo::from_frame_number(bsic, fn_))
        } else {
            let start = if (2..6).contains(&t3) {
                Some(2)
            } else {
                CCCH_STARTS
                    .iter()
                    .copied()
                    .find(|s| (*s..*s + 4).contains(&t3))
            };
            match start {
                Some(s) => {
                    if t3 == s {
                        let mut data = [0x2bu8; 23];
                        for b in data.iter_mut() {
                            *b = rng.next_u64() as u8;
                        }
                        block = Some(xcch_encode_bursts(&data, tsc));
                        if k + 4 <= n_frames {
                            frames.push((fn_, data));
                        }
                    }
                    block.map(|b| b[(t3 - s) as usize]).unwrap_or(DUMMY_BURST)
                }
                None => DUMMY_BURST,
            }
        };
        for ts in 0..8 {
            let bits = if ts == 0 { ts0 } else { other(k, ts) };
            m.push_bits(&bits, &mut samples);
            let guard = vec![1u8; timeslot_symbols(ts) - 148];
            m.push_bits(&guard, &mut samples);
        }
    }
    Carrier {
        samples,
        frames,
        bsic,
        first_fn,
    }
}

/// Frequency offset, AWGN at `snr_db` (signal power over noise power in the symbol-rate
/// bandwidth), optional 2-tap multipath, then resampling to `rate` and a channel offset.
fn impair(
    x: &[Complex32],
    freq_offset_hz: f64,
    snr_db: f64,
    echo: Option<(usize, Complex32)>,
    rate: f64,
    channel_offset_hz: f64,
    seed: u64,
) -> Vec<Complex32> {
    let mut rng = Rng::new(seed);
    let noise_power = SPS as f64 / 10f64.powf(snr_db / 10.0);
    let mut y: Vec<Complex32> = x
        .iter()
        .enumerate()
        .map(|(n, v)| {
            let mut s = *v;
            if let Some((d, g)) = echo {
                // Unit total power: the SNR stays that of the received signal.
                let norm = 1.0 / (1.0 + g.norm_sqr()).sqrt();
                s *= norm;
                if n >= d * SPS {
                    s += x[n - d * SPS] * g * norm;
                }
            }
            let p = TAU * freq_offset_hz * n as f64 / CH_RATE;
            s * Complex32::new(p.cos() as f32, p.sin() as f32) + rng.complex_gaussian(noise_power)
        })
        .collect();
    if (rate - CH_RATE).abs() > 1.0 {
        // 13 MHz / 12 → rate: up / down with up = rate·12 / gcd, down = 13e6 / gcd.
        let a = (rate * 12.0).round() as u64;
        let b = 13_000_000u64;
        let g = gcd(a, b);
        let (up, down) = ((a / g) as usize, (b / g) as usize);
        let taps = lowpass_for(CH_RATE * up as f64, 150e3, 250e3, 70.0).unwrap();
        let mut r = RationalResampler::new(up, down, &taps).unwrap();
        let mut out = Vec::new();
        r.process(&y, &mut out);
        y = out;
    }
    if channel_offset_hz != 0.0 {
        for (n, v) in y.iter_mut().enumerate() {
            let p = TAU * channel_offset_hz * n as f64 / rate;
            *v *= Complex32::new(p.cos() as f32, p.sin() as f32);
        }
    }
    y
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn check_frames(c: &Carrier, got: &[DecodedFrame], label: &str) -> usize {
    for f in got {
        let sent = c.frames.iter().find(|(fn_, _)| *fn_ == f.first_fn);
        assert_eq!(
            sent.map(|s| s.1),
            Some(f.data),
            "{label}: wrong frame at FN {}",
            f.first_fn
        );
    }
    got.len()
}

#[test]
fn synthetic_carrier_every_input_rate() {
    let c = generate(0o45, 1_000_000, 80, 1);
    for (rate, ch_off, f_off) in [
        (500e3, 0.0, 2_500.0),
        (1e6, -200e3, -4_000.0),
        (2.048e6, 400e3, 1_000.0),
        (2.4e6, -600e3, 7_000.0),
        (4e6, 1_000e3, -1_500.0),
        (20e6, -3_400e3, 3_000.0),
    ] {
        let x = impair(&c.samples, f_off, 25.0, None, rate, ch_off, 2);
        let mut cfg = RxConfig::new(rate, ch_off);
        cfg.timeslot_mask = 0x01;
        let mut rx = Receiver::new(cfg).unwrap();
        let mut ev = Vec::new();
        for chunk in x.chunks(40_000) {
            rx.process(chunk, &mut ev);
        }
        rx.flush(&mut ev);
        let sch: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                RxEvent::SchDecoded {
                    bsic, frame_number, ..
                } => Some((*bsic, *frame_number)),
                _ => None,
            })
            .collect();
        assert!(sch.len() >= 5, "rate {rate}: {sch:?}");
        for (bsic, fn_) in &sch {
            assert_eq!(*bsic, c.bsic);
            assert!(
                *fn_ >= c.first_fn && *fn_ < c.first_fn + 80 && fn_ % 51 % 10 == 1,
                "rate {rate}: FN {fn_}"
            );
        }
        let (est, unc) = rx.freq_offset_hz().unwrap();
        println!(
            "rate {rate}: SCH {} freq error {:.2} Hz (±{unc:.2})",
            sch.len(),
            est - f_off
        );
        assert!((est - f_off).abs() < 25.0, "rate {rate}: {est} vs {f_off}");
        let d = decode_downlink(&x, rate, ch_off).unwrap();
        let n = check_frames(&c, &d.frames, &format!("rate {rate}"));
        println!(
            "rate {rate}: {n} of {} blocks, {} failed",
            c.frames.len(),
            d.blocks_failed
        );
        assert_eq!(n, c.frames.len(), "rate {rate}");
        assert_eq!(d.blocks_failed, 0);
    }
}

#[test]
fn fcch_frequency_error_below_10_hz_at_20_db_after_1_s() {
    // 1 s = 217 frames; several trials with different offsets and noise.
    let c = generate(0o12, 123_456, 217, 3);
    let mut errs = Vec::new();
    for trial in 0..8u64 {
        let f_off = -9_000.0 + 2_345.6 * trial as f64;
        let x = impair(&c.samples, f_off, 20.0, None, CH_RATE, 0.0, 100 + trial);
        let mut cfg = RxConfig::new(CH_RATE, 0.0);
        cfg.timeslot_mask = 0x01;
        cfg.carrier_hz = Some(900e6);
        let mut rx = Receiver::new(cfg).unwrap();
        let mut ev = Vec::new();
        rx.process(&x, &mut ev);
        let (est, unc) = rx.freq_offset_hz().unwrap();
        let last_ppm = ev.iter().rev().find_map(|e| match e {
            RxEvent::FcchFound {
                freq_offset_ppm, ..
            } => *freq_offset_ppm,
            _ => None,
        });
        assert!((last_ppm.unwrap() - est / 900.0).abs() < 1e-9);
        println!(
            "trial {trial}: offset {f_off} Hz error {:.2} Hz, reported ±{unc:.2}",
            est - f_off
        );
        errs.push(est - f_off);
    }
    let rms = (errs.iter().map(|e| e * e).sum::<f64>() / errs.len() as f64).sqrt();
    println!("FCCH frequency error over 1 s at 20 dB: rms {rms:.2} Hz");
    assert!(rms < 10.0, "rms {rms}");
}

#[test]
fn multipath_two_taps_decodes() {
    let c = generate(0o33, 2_000_000, 70, 5);
    let x = impair(
        &c.samples,
        800.0,
        20.0,
        Some((1, Complex32::new(0.5, 0.4))),
        1e6,
        0.0,
        6,
    );
    let d = decode_downlink(&x, 1e6, 0.0).unwrap();
    assert!(d.sch.iter().all(|s| s.bsic == 0o33));
    assert!(d.sch.len() >= 5);
    let n = check_frames(&c, &d.frames, "multipath");
    println!(
        "multipath: {n} of {} blocks, {} failed",
        c.frames.len(),
        d.blocks_failed
    );
    assert!(n + 1 >= c.frames.len());
}

#[test]
fn loses_and_regains_sync() {
    let c = generate(0o21, 500_000, 170, 7);
    let mut x = impair(&c.samples, 1_200.0, 25.0, None, 1e6, 0.0, 8);
    // Silence the carrier (noise only) for ~70 frames in the middle.
    let mut rng = Rng::new(9);
    let noise_power = SPS as f64 / 10f64.powf(2.5);
    let (a, gap_end) = (40 * 4615, 120 * 4615);
    for v in &mut x[a..gap_end] {
        *v = rng.complex_gaussian(noise_power * 0.92);
    }
    let mut cfg = RxConfig::new(1e6, 0.0);
    cfg.timeslot_mask = 0x01;
    let mut rx = Receiver::new(cfg).unwrap();
    let mut ev = Vec::new();
    for chunk in x.chunks(10_000) {
        rx.process(chunk, &mut ev);
    }
    let st = rx.stats();
    println!("{st:?}");
    assert_eq!(rx.state(), RxState::Synchronized);
    let lost = ev
        .iter()
        .position(|e| matches!(e, RxEvent::SyncLost { .. }))
        .expect("sync lost");
    assert_eq!(st.sync_lost, 1);
    assert_eq!(st.sync_gained, 2);
    let after: Vec<u32> = ev[lost..]
        .iter()
        .filter_map(|e| match e {
            RxEvent::SchDecoded {
                frame_number, bsic, ..
            } => {
                assert_eq!(*bsic, 0o21);
                Some(*frame_number)
            }
            _ => None,
        })
        .collect();
    assert!(!after.is_empty());
    // Frame numbers after recovery are those on air at that time.
    assert!(
        after.iter().all(|f| *f >= 500_000 + 115 && *f < 500_170),
        "{after:?}"
    );
    // No SCH decodes while the carrier was off.
    let gap = (a as u64 + 10 * 4615)..gap_end as u64;
    let sch_in_gap = ev
        .iter()
        .filter(
            |e| matches!(e, RxEvent::SchDecoded { sample_index, .. } if gap.contains(sample_index)),
        )
        .count();
    assert_eq!(sch_in_gap, 0);
}

#[test]
fn garbage_input_never_panics_and_never_decodes_sch() {
    let mut rng = Rng::new(11);
    let noise: Vec<Complex32> = (0..1_000_000)
        .map(|_| rng.complex_gaussian(1.6e7))
        .collect();
    let zeros = vec![Complex32::new(0.0, 0.0); 300_000];
    let nan = vec![Complex32::new(f32::NAN, f32::NAN); 300_000];
    let huge: Vec<Complex32> = (0..300_000)
        .map(|i| Complex32::new(if i % 2 == 0 { 3e38 } else { -3e38 }, 1e30))
        .collect();
    let inf: Vec<Complex32> = (0..300_000)
        .map(|i| {
            Complex32::new(
                f32::INFINITY,
                if i % 3 == 0 { f32::NEG_INFINITY } else { 0.0 },
            )
        })
        .collect();
    // A continuous tone exactly where FCCH would be.
    let cw: Vec<Complex32> = (0..1_000_000)
        .map(|n| {
            let p = TAU * 67_708.333 * n as f64 / 1e6;
            Complex32::new(p.cos() as f32, p.sin() as f32)
        })
        .collect();
    let mut total_sch = 0;
    for (name, x) in [
        ("noise", &noise),
        ("zeros", &zeros),
        ("nan", &nan),
        ("huge", &huge),
        ("inf", &inf),
        ("cw", &cw),
    ] {
        let mut rx = Receiver::new(RxConfig::new(1e6, 0.0)).unwrap();
        let mut ev = Vec::new();
        let mut i = 0;
        let mut step = 1;
        while i < x.len() {
            let j = (i + step).min(x.len());
            rx.process(&x[i..j], &mut ev);
            i = j;
            step = (step * 7 + 3) % 50_000 + 1;
        }
        let sch = ev
            .iter()
            .filter(|e| matches!(e, RxEvent::SchDecoded { .. }))
            .count();
        let st = rx.stats();
        println!("{name}: {} events, SCH decodes {sch}, {st:?}", ev.len());
        assert_eq!(st.input_samples, x.len() as u64);
        assert_ne!(rx.state(), RxState::Synchronized);
        total_sch += sch;
    }
    assert_eq!(total_sch, 0);
}

/// Fraction of the BCCH/CCCH blocks sent that decode correctly.
fn block_success(
    c: &Carrier,
    snr_db: f64,
    echo: Option<(usize, Complex32)>,
    seed: u64,
) -> (usize, usize, usize) {
    let x = impair(&c.samples, 321.0, snr_db, echo, CH_RATE, 0.0, seed);
    let d = decode_downlink(&x, CH_RATE, 0.0).unwrap();
    let ok = d
        .frames
        .iter()
        .filter(|f| {
            c.frames
                .iter()
                .any(|(fn_, data)| *fn_ == f.first_fn && *data == f.data)
        })
        .count();
    assert_eq!(
        ok,
        d.frames.len(),
        "a block decoded to wrong data at {snr_db} dB"
    );
    (ok, c.frames.len(), d.sch.len())
}

/// Issue 4: ≥ 99 % of BCCH/CCCH blocks at 10 dB SNR (AWGN, SNR in the symbol-rate bandwidth).
#[test]
fn block_success_at_10_db_awgn() {
    let c = generate(0o07, 77_000, 1020, 21);
    let (ok, sent, _) = block_success(&c, 10.0, None, 22);
    println!("10 dB AWGN: {ok} of {sent} blocks");
    assert!(sent >= 195);
    assert!(ok as f64 >= 0.99 * sent as f64, "{ok} of {sent}");
}

/// The benchmark table: block success against SNR, AWGN and a 2-tap profile (second path one
/// symbol later at −2 dB). Run with `cargo test -p towerwatch-dsp --test rx_synthetic -- --ignored
/// --nocapture`.
#[test]
#[ignore = "benchmark table (slow): run with --ignored"]
fn block_success_vs_snr_table() {
    let c = generate(0o07, 77_000, 510, 31);
    println!("SNR dB | AWGN ok/sent | 2-tap ok/sent");
    for snr in (0..=20).step_by(2) {
        let (a, n, sa) = block_success(&c, f64::from(snr), None, 40 + snr as u64);
        let (b, _, sb) = block_success(
            &c,
            f64::from(snr),
            Some((1, Complex32::new(0.55, 0.55))),
            80 + snr as u64,
        );
        println!(
            "{snr:6} | {a:3}/{n} {:5.1}% ({sa} SCH) | {b:3}/{n} {:5.1}% ({sb} SCH)",
            100.0 * a as f64 / n as f64,
            100.0 * b as f64 / n as f64
        );
    }
}

/// Wideband input: an FFT filter bank splits a 4 MS/s input with three carriers into 500 kS/s
/// channels, and one receiver per channel (mixing out the bank's residual offset) finds each
/// cell's BSIC and frame numbers.
#[test]
fn channelizer_feeds_one_receiver_per_carrier() {
    use towerwatch_dsp::filter::Channelizer;
    let rate = 4e6;
    let cells = [
        (0o11u8, -1.2e6, 900_000u32),
        (0o52, 0.2e6, 1_500_000),
        (0o63, 1.4e6, 42),
    ];
    let mut x: Vec<Complex32> = Vec::new();
    for (i, (bsic, off, fn0)) in cells.iter().enumerate() {
        let c = generate(*bsic, *fn0, 60, 50 + i as u64);
        let y = impair(
            &c.samples,
            700.0 * i as f64,
            30.0,
            None,
            rate,
            *off,
            60 + i as u64,
        );
        if x.len() < y.len() {
            x.resize(y.len(), Complex32::new(0.0, 0.0));
        }
        for (a, b) in x.iter_mut().zip(&y) {
            *a += *b;
        }
    }
    let offsets: Vec<f64> = cells.iter().map(|c| c.1).collect();
    let mut bank = Channelizer::new(rate, 8, 170e3, &offsets).unwrap();
    let mut outs = vec![Vec::new(); offsets.len()];
    for c in x.chunks(50_000) {
        bank.process(c, &mut outs);
    }
    for (i, (bsic, _, fn0)) in cells.iter().enumerate() {
        let res = bank.residual_hz(i).unwrap();
        let mut rx = Receiver::new(RxConfig::new(bank.output_rate_sps(), res)).unwrap();
        let mut ev = Vec::new();
        rx.process(&outs[i], &mut ev);
        rx.flush(&mut ev);
        let sch: Vec<(u8, u32, u64)> = ev
            .iter()
            .filter_map(|e| match e {
                RxEvent::SchDecoded {
                    bsic,
                    frame_number,
                    sample_index,
                    ..
                } => Some((*bsic, *frame_number, *sample_index)),
                _ => None,
            })
            .collect();
        println!("carrier {i}: {sch:?}, offset {:?}", rx.freq_offset_hz());
        assert!(sch.len() >= 4, "carrier {i}");
        // The same carrier received directly from the wideband input (mixer + resampler): the
        // bank's time model must put every SCH at the same input sample (within 1 µs).
        let mut direct = Receiver::new(RxConfig::new(rate, cells[i].1)).unwrap();
        let mut ev2 = Vec::new();
        direct.process(&x, &mut ev2);
        direct.flush(&mut ev2);
        let sch2: Vec<(u32, u64)> = ev2
            .iter()
            .filter_map(|e| match e {
                RxEvent::SchDecoded {
                    frame_number,
                    sample_index,
                    ..
                } => Some((*frame_number, *sample_index)),
                _ => None,
            })
            .collect();
        let mut matched = 0;
        for (b, f, idx) in &sch {
            assert_eq!(b, bsic);
            assert!(*f >= *fn0 && *f < fn0 + 60);
            if let Some((_, idx2)) = sch2.iter().find(|s| s.0 == *f) {
                let t_in = bank.input_time(*idx as f64);
                assert!(
                    (t_in - *idx2 as f64).abs() <= 4.0,
                    "carrier {i} FN {f}: bank {t_in} vs direct {idx2}"
                );
                matched += 1;
            }
        }
        assert!(matched >= 4, "carrier {i}: {matched}");
        let (f, _) = rx.freq_offset_hz().unwrap();
        assert!((f - 700.0 * i as f64).abs() < 30.0, "carrier {i}: {f}");
    }
}

/// Throughput of the receiver (all 8 timeslots demodulated) on 2 s of a 2.4 MS/s input.
#[test]
#[ignore = "benchmark (timing): run with --ignored"]
fn receiver_throughput() {
    let c = generate(0o07, 5_000, 434, 91);
    let x = impair(&c.samples, 500.0, 20.0, None, 2.4e6, 300e3, 92);
    {
        let mut ex =
            towerwatch_dsp::filter::ChannelExtractor::new(2.4e6, 300e3, CH_RATE, 100e3, 170e3)
                .unwrap();
        let mut out = Vec::new();
        let t = std::time::Instant::now();
        for chunk in x.chunks(1 << 16) {
            out.clear();
            ex.process(chunk, &mut out);
        }
        println!(
            "channel extraction alone: {:.3} s",
            t.elapsed().as_secs_f64()
        );
    }
    for mask in [0x01u8, 0xff] {
        let mut cfg = RxConfig::new(2.4e6, 300e3);
        cfg.timeslot_mask = mask;
        let mut rx = Receiver::new(cfg).unwrap();
        let mut ev = Vec::new();
        let t = std::time::Instant::now();
        for chunk in x.chunks(1 << 16) {
            rx.process(chunk, &mut ev);
            ev.clear();
        }
        let dt = t.elapsed().as_secs_f64();
        println!(
            "timeslot mask {mask:#04x}: {:.2} s of signal in {dt:.3} s ({:.1} MS/s)",
            x.len() as f64 / 2.4e6,
            x.len() as f64 / dt / 1e6
        );
    }
}

/// A receiver whose sample clock is 20 ppm off (the input is really 1.00002 MS/s while the
/// receiver assumes 1 MS/s) drifts 5.4 symbols per second against the cell: the timing tracker
/// must follow, with every SCH and every block still decoded over 1 s.
#[test]
fn tracks_20_ppm_sample_clock_error() {
    let c = generate(0o44, 300_000, 217, 71);
    let x = impair(&c.samples, 2_000.0, 20.0, None, 1e6, 0.0, 72);
    for claimed in [1e6 * (1.0 - 20e-6), 1e6 * (1.0 + 20e-6)] {
        let d = decode_downlink(&x, claimed, 0.0).unwrap();
        println!(
            "claimed rate {claimed}: {} SCH, {} of {} blocks",
            d.sch.len(),
            d.frames.len(),
            c.frames.len()
        );
        assert!(d.sch.len() >= 20, "{}", d.sch.len());
        assert_eq!(d.rx.sync_lost, 0);
        assert_eq!(d.rx.sch_fn_mismatch, 0);
        assert_eq!(check_frames(&c, &d.frames, "drift"), c.frames.len());
    }
}

/// A timeslot whose normal bursts use another training sequence than the BCC demodulates badly
/// (wrong channel estimate) until the receiver is told the TSC; then its bursts are error-free.
#[test]
fn per_timeslot_training_sequence() {
    use towerwatch_dsp::gsm::rx::BurstKind;
    // A carrier whose TS3 carries xCCH blocks with TSC 5 (the BCC is 2).
    let bsic = 0o12;
    let coded = xcch_encode_bursts(&[0x5au8; 23], 5);
    let c = generate_with(bsic, 10_000, 60, 81, |k, ts| {
        if ts == 3 {
            coded[k as usize % 4]
        } else {
            DUMMY_BURST
        }
    });
    let x = impair(&c.samples, 0.0, 25.0, None, 1e6, 0.0, 82);
    let count_ts3 = |rx: &mut Receiver| {
        let mut ev = Vec::new();
        rx.process(&x, &mut ev);
        rx.flush(&mut ev);
        let mut normal = 0;
        let mut errors = 0;
        for e in &ev {
            if let RxEvent::Burst(b) = e
                && b.timeslot == 3
                && b.kind == BurstKind::Normal
            {
                normal += 1;
                let want = coded[(b.frame_number - 10_000) as usize % 4];
                errors += want
                    .iter()
                    .zip(b.soft_bits.iter())
                    .filter(|(w, s)| (**w != 0) != (**s > 0.0))
                    .count();
            }
        }
        (normal, errors)
    };
    let mut rx0 = Receiver::new(RxConfig::new(1e6, 0.0)).unwrap();
    let (n0, e0) = count_ts3(&mut rx0);
    println!("TS3 with the BCC's TSC: {n0} normal bursts, {e0} bit errors");
    assert!(n0 < 50 || e0 > 100, "{n0} {e0}");
    let mut rx = Receiver::new(RxConfig::new(1e6, 0.0)).unwrap();
    rx.set_timeslot_tsc(3, Some(5));
    let (normal, errors) = count_ts3(&mut rx);
    println!("TSC 5 on TS3: {normal} normal bursts, {errors} bit errors");
    assert!(normal >= 50, "{normal}");
    assert_eq!(errors, 0);
}

/// The wanted carrier (BSIC 0o07, TSC 7) with a co-channel cell on the same ARFCN `c_i_db`
/// below it: BSIC `bsic_i` (its TSC is `bsic_i & 7`), its own frame numbers and data, its frame
/// timing `delay_symbols` after the wanted cell's (0: in step, as a cloned cell or a
/// synchronised network) and 250 Hz off in frequency; AWGN 20 dB below the wanted cell.
/// Returns (blocks decoded, blocks sent); every decoded block must be one the wanted cell sent.
fn cochannel(c_i_db: f64, bsic_i: u8, delay_symbols: usize, seed: u64) -> (usize, usize) {
    let c = generate(0o07, 77_000, 306, seed);
    let i = generate(bsic_i, 1_000, 306, seed + 1000);
    let g = 10f64.powf(-c_i_db / 20.0) as f32;
    let d = delay_symbols * SPS;
    let mixed: Vec<Complex32> = c
        .samples
        .iter()
        .enumerate()
        .map(|(n, w)| {
            let p = TAU * 250.0 * n as f64 / CH_RATE;
            let rot = Complex32::new(p.cos() as f32, p.sin() as f32);
            let v = n.checked_sub(d).and_then(|k| i.samples.get(k)).copied();
            w + v.unwrap_or_default() * rot * g
        })
        .collect();
    let x = impair(&mixed, 321.0, 20.0, None, CH_RATE, 0.0, seed + 7);
    let got = decode_downlink(&x, CH_RATE, 0.0).unwrap();
    let ok = check_frames(&c, &got.frames, &format!("C/I {c_i_db} dB"));
    (ok, c.frames.len())
}

/// Issue 19: a co-channel cell sending the *same* training sequence in step (a cloned cell)
/// 4 dB below the wanted one. Its channel hides inside the training fit; the receiver sees that
/// the fit does not explain the data part and fits the channel again over the whole burst
/// (decision-directed). Before that, 39 of 60 blocks decoded here; now ≥ 90 %, with no block
/// decoded wrong (`check_frames`).
#[test]
fn same_tsc_cochannel_cell_4_db_below() {
    let (ok, sent) = cochannel(4.0, 0o17, 0, 61);
    println!("same TSC, in step, C/I 4 dB: {ok} of {sent} blocks");
    assert!(sent >= 50);
    assert!(ok * 10 >= sent * 9, "{ok} of {sent}");
}

/// The co-channel table for the note: blocks decoded against C/I, same and different training
/// sequence, in step and 2 symbols apart. Run with `cargo test --release -p towerwatch-dsp --test
/// rx_synthetic cochannel_table -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark table (slow): run with --ignored"]
fn cochannel_table() {
    println!("C/I dB | same TSC in step | same TSC +2 sym | other TSC in step");
    for c_i in [0.0, 2.0, 4.0, 6.0, 8.0, 10.0] {
        let (a, n) = cochannel(c_i, 0o17, 0, 71);
        let (b, _) = cochannel(c_i, 0o17, 2, 71);
        let (c, _) = cochannel(c_i, 0o13, 0, 71);
        println!("{c_i:6} | {a:3}/{n} | {b:3}/{n} | {c:3}/{n}");
    }
}
