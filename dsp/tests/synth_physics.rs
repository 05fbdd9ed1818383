#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Generator physics measured back from the samples: spectrum, power/SNR calibration, frequency
//! offsets, FCCH schedule.

use towerwatch_dsp::Complex32;
use towerwatch_dsp::arfcn::{Band, Direction};
use towerwatch_dsp::gsm::synth::*;
use towerwatch_dsp::spectrum::{Welch, WelchConfig};

fn cell(name: &str, arfcn: u16, power_db: f64) -> CellConfig {
    CellConfig {
        name: name.into(),
        band: Band::PGsm900,
        arfcn,
        bsic: 10,
        start_fn: 0,
        bcch: BcchFrames::default(),
        ccch: CcchLoad::default(),
        traffic_timeslots: vec![],
        dedicated: Default::default(),
        physics: Physics {
            power_db,
            ..Physics::default()
        },
    }
}

fn scene(cells: Vec<CellConfig>, fs: f64, center_arfcn: u16, snr_db: Option<f64>) -> SceneConfig {
    SceneConfig {
        sample_rate_sps: fs,
        center_freq_hz: Band::PGsm900
            .freq_hz(center_arfcn, Direction::Downlink)
            .unwrap(),
        rx_ppm: 0.0,
        snr_db,
        reference_amplitude: Some(0.1),
        seed: 5,
        cells,
        emitters: vec![],
    }
}

fn generate(cfg: &SceneConfig, n: usize) -> Vec<Complex32> {
    let mut s = Scene::new(cfg).unwrap();
    let mut v = vec![Complex32::new(0.0, 0.0); n];
    s.fill(&mut v);
    v
}

#[test]
fn gmsk_spectrum_is_contained_in_its_channel() {
    let cfg = scene(vec![cell("c", 50, 0.0)], 2_000_000.0, 50, None);
    let x = generate(&cfg, 400_000);
    let mut w = Welch::new(WelchConfig {
        fft_len: 4096,
        ..WelchConfig::default()
    })
    .unwrap();
    w.process(&x);
    let psd = w.psd(cfg.sample_rate_sps).unwrap();
    let main = psd.band_power_lin(-100e3, 100e3);
    let adj = psd
        .band_power_lin(100e3, 300e3)
        .max(psd.band_power_lin(-300e3, -100e3));
    let alt = psd
        .band_power_lin(300e3, 500e3)
        .max(psd.band_power_lin(-500e3, -300e3));
    let far = psd.band_power_lin(600e3, 1000e3);
    let db = |x: f64| 10.0 * x.log10();
    eprintln!(
        "ACPR adjacent {:.1} dB, alternate {:.1} dB, far {:.1} dB",
        db(adj / main),
        db(alt / main),
        db(far / main)
    );
    // GMSK BT 0.3: ≈ −20 dB of the power falls in a whole adjacent 200 kHz channel, ≈ −50 dB in the next.
    assert!(db(adj / main) < -15.0);
    assert!(db(alt / main) < -45.0);
    assert!(db(far / main) < -55.0);
}

fn mean_power(x: &[Complex32]) -> f64 {
    x.iter().map(|s| s.norm_sqr() as f64).sum::<f64>() / x.len() as f64
}

#[test]
fn es_over_n0_and_relative_power_measure_back() {
    let fs = 2_000_000.0;
    let rs = towerwatch_dsp::gsm::SYMBOL_RATE_SPS;
    // Signal only: a 0 dB and a −6 dB cell, measured one at a time.
    let p0 = mean_power(&generate(&scene(vec![cell("a", 50, 0.0)], fs, 50, None), 200_000)[5000..]);
    let p6 =
        mean_power(&generate(&scene(vec![cell("b", 51, -6.0)], fs, 50, None), 200_000)[5000..]);
    assert!((p0 - 0.01).abs() < 0.0002, "P_ref {p0}");
    assert!((10.0 * (p6 / p0).log10() + 6.0).abs() < 0.1);
    // Noise only at snr_db = 12: N0 = P_ref / (Rs · 10^(12/10)), power per sample = N0 · fs.
    let n = mean_power(&generate(&scene(vec![], fs, 50, Some(12.0)), 400_000));
    let n0 = n / fs;
    let es_n0_db = 10.0 * (p0 / (n0 * rs)).log10();
    assert!((es_n0_db - 12.0).abs() < 0.1, "Es/N0 {es_n0_db}");
    // Both together: powers add.
    let both = mean_power(
        &generate(
            &scene(vec![cell("a", 50, 0.0)], fs, 50, Some(12.0)),
            400_000,
        )[5000..],
    );
    assert!((both / (p0 + n) - 1.0).abs() < 0.02);
}

/// Per-sample phase steps (radians).
fn phase_steps(x: &[Complex32]) -> Vec<f32> {
    x.windows(2).map(|w| (w[1] * w[0].conj()).arg()).collect()
}

/// Start indices and mean step of runs of near-constant phase step ≥ `min_len` samples.
fn tone_runs(d: &[f32], target: f32, tol: f32, min_len: usize) -> Vec<(usize, f64)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &v) in d
        .iter()
        .enumerate()
        .chain(std::iter::once((d.len(), &f32::NAN)))
    {
        let ok = (v - target).abs() < tol;
        match (start, ok) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                if i - s >= min_len {
                    // Skip the edges, where the Gaussian pulse of neighbouring bits still acts.
                    let core = &d[s + 16..i - 16];
                    let m = core.iter().map(|&x| x as f64).sum::<f64>() / core.len() as f64;
                    out.push((s, m));
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

#[test]
fn fcch_sits_on_frames_0_10_20_30_40_of_the_51_multiframe() {
    // 4 samples per symbol exactly: sample n is symbol n/4, a frame is 5000 samples.
    let fs = 4.0 * towerwatch_dsp::gsm::SYMBOL_RATE_SPS;
    let mut c = cell("c", 50, 0.0);
    c.start_fn = 51 * 1000 + 7;
    c.traffic_timeslots = vec![1, 2, 3, 4, 5, 6, 7];
    let x = generate(&scene(vec![c.clone()], fs, 50, None), 5000 * 120);
    let d = phase_steps(&x);
    let step = std::f32::consts::PI / 8.0;
    let runs = tone_runs(&d, step, 0.02, 130 * 4);
    assert_eq!(runs.len(), 12, "{runs:?}");
    for (start, _) in &runs {
        let frame = start / 5000;
        let fn_ = c.start_fn + frame as u32;
        assert!(
            (fn_ % 51).is_multiple_of(10) && fn_ % 51 <= 40,
            "FCCH in FN {fn_} (t3 {})",
            fn_ % 51
        );
        // On TS0: within the first 157 symbols of the frame (the group delay of the resampler is
        // a few samples).
        assert!(
            start % 5000 < 40,
            "FCCH at symbol {} of the frame",
            (start % 5000) / 4
        );
    }
}

#[test]
fn carrier_offsets_follow_transmitter_and_receiver_clocks() {
    let fs = 1_000_000.0;
    let mut c = cell("c", 50, 0.0);
    c.physics.freq_offset_ppm = 0.5;
    let mut cfg = scene(vec![c], fs, 50, None);
    cfg.rx_ppm = -1.0;
    let f_c = Band::PGsm900.freq_hz(50, Direction::Downlink).unwrap();
    let s = Scene::new(&cfg).unwrap();
    let want_offset = f_c * 0.5e-6 + f_c * 1e-6; // f_c(1+ε_tx) − f_c(1+ε_rx)
    assert!((s.carriers()[0].observed_offset_hz - want_offset).abs() < 1e-3);
    let x = generate(&cfg, 400_000);
    let d = phase_steps(&x);
    let fcch_hz = towerwatch_dsp::gsm::FCCH_OFFSET_HZ;
    let target = (std::f64::consts::TAU * (fcch_hz + want_offset) / fs) as f32;
    let runs = tone_runs(&d, target, 0.03, 130);
    assert!(runs.len() >= 5, "{}", runs.len());
    // The receiver's sample clock runs (1 + ε_rx) fast, so it measures frequencies / (1 + ε_rx).
    let want = (fcch_hz * (1.0 + 0.5e-6) + want_offset) / (1.0 - 1e-6);
    for (_, m) in runs {
        let got = m / std::f64::consts::TAU * fs;
        assert!(
            (got - want).abs() < 3.0,
            "tone at {got:.1} Hz, want {want:.1}"
        );
    }
}

#[test]
fn drift_moves_the_carrier_over_time() {
    let fs = 1_000_000.0;
    let mut c = cell("c", 50, 0.0);
    c.physics.drift_ppm_per_s = 2.0; // 1.89 kHz/s at 945 MHz: exaggerated to be measurable
    let cfg = scene(vec![c], fs, 50, None);
    let x = generate(&cfg, 1_000_000);
    let d = phase_steps(&x);
    let target = (std::f64::consts::TAU * towerwatch_dsp::gsm::FCCH_OFFSET_HZ / fs) as f32;
    let runs = tone_runs(&d, target, 0.05, 130);
    assert!(runs.len() >= 15);
    let f_c = Band::PGsm900.freq_hz(50, Direction::Downlink).unwrap();
    for (start, m) in runs {
        let got = m / std::f64::consts::TAU * fs - towerwatch_dsp::gsm::FCCH_OFFSET_HZ;
        let want = f_c * 2e-6 * (start as f64 / fs);
        assert!(
            (got - want).abs() < 15.0,
            "at {start}: {got:.1} Hz, want {want:.1}"
        );
    }
}

#[test]
fn on_off_schedule_and_uplink_bursts() {
    let fs = 1_000_000.0;
    let mut c = cell("c", 50, 0.0);
    c.physics.on_s = 0.1;
    c.physics.off_s = Some(0.2);
    let x = generate(&scene(vec![c], fs, 50, None), 300_000);
    assert!(mean_power(&x[..95_000]) < 1e-12);
    assert!((mean_power(&x[110_000..190_000]) - 0.01).abs() < 0.0005);
    assert!(mean_power(&x[205_000..]) < 1e-12);

    let mut cfg = scene(vec![], fs, 50, None);
    cfg.center_freq_hz = Band::PGsm900.freq_hz(50, Direction::Uplink).unwrap();
    cfg.emitters = vec![EmitterConfig {
        name: "box".into(),
        band: Band::PGsm900,
        arfcns: vec![49, 50, 51],
        bursts_per_s: 600.0,
        access_fraction: 0.5,
        bsic: 11,
        physics: Physics::default(),
    }];
    let mut s = Scene::new(&cfg).unwrap();
    let mut x = vec![Complex32::new(0.0, 0.0); 1_000_000];
    s.fill(&mut x);
    let counts = s.emitter_counters();
    assert_eq!(counts.len(), 3);
    let total: u64 = counts
        .iter()
        .map(|c| c.access_bursts + c.normal_bursts)
        .sum();
    assert!((480..=720).contains(&total), "{total} bursts in 1 s");
    assert!(
        counts
            .iter()
            .all(|c| c.access_bursts > 0 && c.normal_bursts > 0)
    );
    // Bursty: a good share of 100 µs windows is silent.
    let silent = x.chunks(100).filter(|w| mean_power(w) < 1e-6).count();
    assert!(silent > 2000, "{silent}");
}

#[test]
fn multipath_adds_delayed_copies() {
    let fs = 2_000_000.0;
    let mut c = cell("c", 50, 0.0);
    c.physics.multipath = vec![Tap {
        delay_s: 3.7e-6,
        gain_db: -3.0,
        phase_rad: 1.0,
    }];
    let p = mean_power(&generate(&scene(vec![c], fs, 50, None), 200_000)[5000..]);
    // Direct + a −3 dB copy, partly correlated at 3.7 µs (one symbol): between 1 and 2.5 × P_ref.
    assert!(p > 0.01 && p < 0.025, "{p}");
}
