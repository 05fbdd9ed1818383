//! Per-stage throughput of the GSM receive chain (criterion; throughput in input samples, so the
//! report reads in Melem/s = MS/s of input per core): the FFT filter bank over every 200 kHz
//! channel of a 20 MS/s input, one channel's resampling to 4 samples per symbol, one receiver
//! decoding a 1 MS/s carrier, and the whole GSM stage (discovery + receivers) on the 5-cell scene
//! at 2.4 MS/s. `towerwatch bench` gives the same stages as real-time factors with peak memory.
//! Run: `cargo bench --bench stages`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use num_complex::Complex32;
use std::hint::black_box;
use std::path::PathBuf;
use towerwatch::pipeline::Block;
use towerwatch::pipeline::gsm::{GsmStage, GsmStageConfig};
use towerwatch::synth::{SynthOptions, load_scene};
use towerwatch_dsp::filter::{ChannelExtractor, Channelizer};
use towerwatch_dsp::gsm::rx::{Receiver, RxConfig};
use towerwatch_dsp::gsm::synth::Scene;
use towerwatch_dsp::signal::{Rng, add_noise};

fn scene(rate_sps: f64, centre_hz: f64, only_arfcn: Option<u16>, seconds: f64) -> Vec<Complex32> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("recordings/scenes/legit-neighbourhood.toml");
    let opts = SynthOptions {
        sample_rate_sps: Some(rate_sps),
        center_freq_hz: Some(centre_hz),
        drop_out_of_band: true,
        ..SynthOptions::default()
    };
    let mut cfg = load_scene(&path, &opts).unwrap().config;
    if let Some(a) = only_arfcn {
        cfg.cells.retain(|c| c.arfcn == a);
    }
    let mut s = Scene::new(&cfg).unwrap();
    let mut x = vec![Complex32::new(0.0, 0.0); (rate_sps * seconds) as usize];
    s.fill(&mut x);
    x
}

fn bench_bank(c: &mut Criterion) {
    let rate = 20e6;
    let mut x = vec![Complex32::new(0.0, 0.0); (rate * 0.05) as usize];
    add_noise(&mut Rng::new(1), 0.01, &mut x);
    let offsets: Vec<f64> = (-49..=49).map(|k| f64::from(k) * 200e3).collect();
    let mut bank = Channelizer::new(rate, 32, 130e3, &offsets).unwrap();
    let mut outs = vec![Vec::new(); offsets.len()];
    let mut g = c.benchmark_group("filter_bank");
    g.sample_size(10);
    g.throughput(Throughput::Elements(x.len() as u64));
    g.bench_function("20MSps_99_channels_to_625kSps", |b| {
        b.iter(|| {
            bank.process(black_box(&x), &mut outs);
            outs.iter_mut().for_each(Vec::clear);
        })
    });
    g.finish();
}

fn bench_extractor(c: &mut Criterion) {
    let rate = 625e3;
    let mut x = vec![Complex32::new(0.0, 0.0); (rate * 0.1) as usize];
    add_noise(&mut Rng::new(2), 0.01, &mut x);
    let mut ex = ChannelExtractor::new(rate, 1e3, 13e6 / 12.0, 100e3, 170e3).unwrap();
    let mut out = Vec::new();
    let mut g = c.benchmark_group("channel_extractor");
    g.sample_size(10);
    g.throughput(Throughput::Elements(x.len() as u64));
    g.bench_function("625kSps_to_4sps", |b| {
        b.iter(|| {
            out.clear();
            ex.process(black_box(&x), &mut out);
        })
    });
    g.finish();
}

fn bench_receiver(c: &mut Criterion) {
    let x = scene(1e6, 939.0e6, Some(20), 1.0);
    let mut g = c.benchmark_group("receiver");
    g.sample_size(10);
    g.throughput(Throughput::Elements(x.len() as u64));
    g.bench_function("1MSps_one_carrier_1s", |b| {
        b.iter(|| {
            let mut cfg = RxConfig::new(1e6, 0.0);
            cfg.timeslot_mask = 0x01;
            let mut rx = Receiver::new(cfg).unwrap();
            let mut ev = Vec::new();
            for chunk in x.chunks(1 << 16) {
                rx.process(chunk, &mut ev);
                ev.clear();
            }
            black_box(rx.stats())
        })
    });
    g.finish();
}

fn bench_gsm_stage(c: &mut Criterion) {
    let rate = 2.4e6;
    let x = scene(rate, 938.7e6, None, 1.0);
    let mut g = c.benchmark_group("gsm_stage");
    g.sample_size(10);
    g.throughput(Throughput::Elements(x.len() as u64));
    g.bench_function("2.4MSps_5_cells_1s", |b| {
        b.iter(|| {
            let mut stage = GsmStage::new(GsmStageConfig::default(), rate).unwrap();
            let mut out = Vec::new();
            for (i, chunk) in x.chunks(1 << 16).enumerate() {
                let block = Block {
                    samples: chunk.to_vec(),
                    first_sample: (i << 16) as u64,
                    frequency_hz: 938.7e6,
                };
                stage.process(&block, &mut out).unwrap();
                out.clear();
            }
            stage.finish(&mut out);
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_bank,
    bench_extractor,
    bench_receiver,
    bench_gsm_stage
);
criterion_main!(benches);
