#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Scene generator speed: 10 s of the 5-cell `legit-neighbourhood` scene at 2.4 MS/s must run
//! faster than real time. Prints the real-time factor, then lets criterion time 0.5 s blocks.
//! Run: `cargo bench --bench synth`.

use criterion::{Criterion, criterion_group, criterion_main};
use num_complex::Complex32;
use std::path::PathBuf;
use std::time::Instant;
use towerwatch::synth::{SynthOptions, load_scene};
use towerwatch_dsp::gsm::synth::Scene;

fn config() -> towerwatch_dsp::gsm::synth::SceneConfig {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("recordings/scenes/legit-neighbourhood.toml");
    let opts = SynthOptions {
        sample_rate_sps: Some(2_400_000.0),
        ..SynthOptions::default()
    };
    load_scene(&path, &opts).unwrap().config
}

fn realtime_factor() {
    let cfg = config();
    let mut scene = Scene::new(&cfg).unwrap();
    let seconds = 10.0;
    let total = (seconds * cfg.sample_rate_sps) as usize;
    let mut buf = vec![Complex32::new(0.0, 0.0); 1 << 16];
    let t = Instant::now();
    let mut left = total;
    while left > 0 {
        let n = left.min(buf.len());
        scene.fill(&mut buf[..n]);
        left -= n;
    }
    let wall = t.elapsed().as_secs_f64();
    println!(
        "synth: {seconds} s of {} cells at {:.1} MS/s in {wall:.2} s wall: {:.1}x real time",
        cfg.cells.len(),
        cfg.sample_rate_sps / 1e6,
        seconds / wall
    );
}

fn bench(c: &mut Criterion) {
    realtime_factor();
    let cfg = config();
    let mut scene = Scene::new(&cfg).unwrap();
    let mut buf = vec![Complex32::new(0.0, 0.0); 1_200_000];
    let mut g = c.benchmark_group("synth");
    g.sample_size(10);
    g.bench_function("legit-neighbourhood 0.5 s at 2.4 MS/s", |b| {
        b.iter(|| scene.fill(&mut buf))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
