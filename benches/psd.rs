//! PSD throughput (MS/s of input per core) at GSM-scan settings: 2.4 MS/s (RTL-SDR) and
//! 20 MS/s (HackRF/USRP wideband). Criterion prints time per block; throughput is set in
//! elements (samples), so the report reads directly in Melem/s = MS/s.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use num_complex::Complex32;
use std::hint::black_box;
use towerwatch_dsp::signal::{Rng, add_noise};
use towerwatch_dsp::spectrum::{Welch, WelchConfig, Window};

fn bench_psd(c: &mut Criterion) {
    let mut g = c.benchmark_group("welch_psd");
    // Settings per input rate: FFT length for ~1 kHz bins at 2.4 MS/s and ~2.4 kHz at 20 MS/s.
    for (label, rate_sps, fft_len) in [
        ("2.4MSps_fft2048", 2.4e6, 2048),
        ("20MSps_fft8192", 20e6, 8192),
    ] {
        let n = (rate_sps * 0.1) as usize; // 100 ms of signal per iteration
        let mut x = vec![Complex32::new(0.0, 0.0); n];
        add_noise(&mut Rng::new(1), 0.01, &mut x);
        let cfg = WelchConfig {
            fft_len,
            overlap: 0.5,
            window: Window::BlackmanHarris,
        };
        let mut w = Welch::new(cfg).unwrap();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(label, |b| {
            b.iter(|| {
                w.reset();
                w.process(black_box(&x));
                black_box(w.psd(rate_sps))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_psd);
criterion_main!(benches);
