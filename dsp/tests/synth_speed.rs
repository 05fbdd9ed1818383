#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Speed check (ignored: timing depends on the machine): 10 s of a 5-cell scene with noise at
//! 2.4 MS/s, generation only. Prints the real-time factor.
//! `cargo test --release -p towerwatch-dsp --test synth_speed -- --ignored --nocapture`

use towerwatch_dsp::Complex32;
use towerwatch_dsp::arfcn::{Band, Direction};
use towerwatch_dsp::gsm::synth::*;

#[test]
#[ignore]
fn realtime_factor_five_cells_at_2_4_msps() {
    let cells = (0..5u16)
        .map(|k| CellConfig {
            name: format!("c{k}"),
            band: Band::PGsm900,
            arfcn: 16 + k,
            bsic: 8 + k as u8,
            start_fn: 1000 * u32::from(k),
            bcch: BcchFrames::default(),
            ccch: CcchLoad {
                paging_per_s: 3.0,
                immediate_assignment_per_s: 1.0,
                ..CcchLoad::default()
            },
            traffic_timeslots: vec![2],
            dedicated: Default::default(),
            physics: Physics {
                power_db: -(k as f64),
                freq_offset_ppm: 0.02,
                ..Physics::default()
            },
        })
        .collect();
    let cfg = SceneConfig {
        sample_rate_sps: 2_400_000.0,
        center_freq_hz: Band::PGsm900.freq_hz(18, Direction::Downlink).unwrap() + 100e3,
        rx_ppm: 1.5,
        snr_db: Some(25.0),
        reference_amplitude: None,
        seed: 1,
        cells,
        emitters: vec![],
    };
    let mut scene = Scene::new(&cfg).unwrap();
    let mut buf = vec![Complex32::new(0.0, 0.0); 1 << 16];
    let total = (10.0 * cfg.sample_rate_sps) as usize;
    let t = std::time::Instant::now();
    let mut left = total;
    while left > 0 {
        let n = left.min(buf.len());
        scene.fill(&mut buf[..n]);
        left -= n;
    }
    let wall = t.elapsed().as_secs_f64();
    eprintln!(
        "10 s of 5 cells at 2.4 MS/s in {wall:.2} s: {:.2}x real time",
        10.0 / wall
    );
}
