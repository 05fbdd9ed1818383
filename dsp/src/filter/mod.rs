//! FIR design, frequency shifting, decimation and rational resampling.
//!
//! Every stateful stage has `process(&mut self, input, out) -> usize`: it consumes the whole input
//! (the return value is the number of input samples consumed, always `input.len()`), appends what it
//! produces to `out`, and keeps its state (phase, filter history) for the next call, so a stream cut
//! into arbitrary chunks gives exactly the same output as one call with the whole stream.
//!
//! [`ChannelExtractor`] chains them: it mixes one channel at an offset down to 0 Hz and resamples it
//! from any input rate to an integer number of samples per GSM symbol.
//!
//! One file per concern: `design` (FIR design), `shift` (NCO), `resample`
//! (decimation, rational resampling), `extract` (one channel), `channelizer` (the FFT filter bank).

mod channelizer;
mod design;
mod extract;
mod resample;
mod shift;

pub use channelizer::*;
pub use design::*;
pub use extract::*;
pub use resample::*;
pub use shift::*;

use num_complex::Complex32;
use std::f64::consts::{PI, TAU};

/// Why a filter or resampler could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterError {
    /// A rate, frequency or ratio was zero, negative, NaN or infinite.
    #[error("invalid parameter {name}: {value}")]
    InvalidParameter {
        /// Which parameter.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A filter needs at least one tap.
    #[error("empty filter")]
    EmptyFilter,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_outputs_equal_streaming_outputs() {
        let mut rng = crate::signal::Rng::new(7);
        let x: Vec<Complex32> = (0..5000).map(|_| rng.complex_gaussian(1.0)).collect();
        let ext = ChannelExtractor::new(1e6, 0.0, 13e6 / 12.0, 100e3, 170e3).unwrap();
        let mut streaming = ext.clone();
        let mut want = Vec::new();
        // Cut into uneven calls: the streaming output must not depend on that.
        for c in x.chunks(777) {
            streaming.process(c, &mut want);
        }
        let mut lazy = ext.clone();
        let (mut re, mut im) = (Vec::new(), Vec::new());
        lazy.process_front(&x, &mut re, &mut im);
        let rs = lazy.resampler();
        assert_eq!(rs.outputs_for(re.len() as u64), want.len() as u64);
        let mut got = vec![Complex32::new(0.0, 0.0); want.len()];
        assert_eq!(rs.outputs_at(0, &re, &im, 0, &mut got), want.len());
        for (m, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                (g - w).norm() <= 1e-5 * (1.0 + w.norm()),
                "output {m}: {g} vs {w}"
            );
        }
        // From a trimmed stream: the same values where the window is held, zeros (uncounted)
        // where it is not.
        let m0 = 3000u64;
        let first = rs.first_input_for(m0);
        assert!(first > 0);
        let base = first as usize;
        let mut part = vec![Complex32::new(9.0, 9.0); 100];
        let good = rs.outputs_at(m0, &re[base..], &im[base..], base as u64, &mut part);
        assert_eq!(good, 100);
        for (k, g) in part.iter().enumerate() {
            assert_eq!(*g, want[m0 as usize + k]);
        }
        let mut early = vec![Complex32::new(9.0, 9.0); 4];
        let good = rs.outputs_at(m0 - 4, &re[base..], &im[base..], base as u64, &mut early);
        assert!(good < 4);
        assert!(early.iter().any(|v| *v == Complex32::new(0.0, 0.0)));
    }

    fn tone(freq_hz: f64, rate: f64, n: usize) -> Vec<Complex32> {
        (0..n)
            .map(|i| {
                let p = TAU * freq_hz * i as f64 / rate;
                Complex32::new(p.cos() as f32, p.sin() as f32)
            })
            .collect()
    }

    #[test]
    fn lowpass_meets_spec() {
        let taps = lowpass_for(1e6, 100e3, 150e3, 60.0).unwrap();
        assert!(taps.len() % 2 == 1);
        assert!(response_db(&taps, 0.0).abs() < 0.01);
        assert!(response_db(&taps, 0.09).abs() < 0.05);
        for f in [0.15, 0.2, 0.3, 0.45] {
            assert!(
                response_db(&taps, f) < -59.0,
                "at {f}: {}",
                response_db(&taps, f)
            );
        }
    }

    #[test]
    fn rational_approx_exact_and_bounded() {
        assert_eq!(rational_approx(13.0 / 6.0, 100, 100), (13, 6));
        let (p, q) = rational_approx(std::f64::consts::PI, 1000, 1000);
        assert_eq!((p, q), (355, 113));
    }

    #[test]
    fn shifter_moves_tone_to_dc_across_chunks() {
        let rate = 1e6;
        let x = tone(12_345.0, rate, 10_000);
        let mut s = FreqShifter::new(12_345.0, rate).unwrap();
        let mut out = Vec::new();
        for c in x.chunks(333) {
            s.process(c, &mut out);
        }
        let first = out[0];
        for y in &out {
            assert!((y - first).norm() < 1e-3, "{y} vs {first}");
        }
    }

    #[test]
    fn resampler_chunked_equals_whole() {
        let taps = lowpass_for(13.0 * 500e3, 100e3, 170e3, 60.0).unwrap();
        let x: Vec<Complex32> = (0..5000)
            .map(|i| Complex32::new((i as f32 * 0.37).sin(), (i as f32 * 0.11).cos()))
            .collect();
        let mut a = RationalResampler::new(13, 6, &taps).unwrap();
        let mut b = a.clone();
        let mut oa = Vec::new();
        let mut ob = Vec::new();
        a.process(&x, &mut oa);
        for c in x.chunks(77) {
            b.process(c, &mut ob);
        }
        assert_eq!(oa.len(), ob.len());
        assert_eq!(oa.len(), 5000 * 13 / 6 + 1);
        for (p, q) in oa.iter().zip(&ob) {
            assert!((p - q).norm() < 1e-5);
        }
    }

    /// Power of the component of `y` at `freq_hz` (single-bin DFT, normalised by length²).
    fn tone_power(y: &[Complex32], freq_hz: f64, rate: f64) -> f64 {
        let mut acc = num_complex::Complex64::new(0.0, 0.0);
        for (n, v) in y.iter().enumerate() {
            let p = -TAU * freq_hz * n as f64 / rate;
            acc += num_complex::Complex64::new(f64::from(v.re), f64::from(v.im))
                * num_complex::Complex64::new(p.cos(), p.sin());
        }
        acc.norm_sqr() / (y.len() as f64).powi(2)
    }

    #[test]
    fn extractor_every_rate_passes_channel_and_rejects_neighbours() {
        let out_rate = 13e6 / 12.0;
        for (rate, offset) in [
            (500e3, 0.0),
            (1e6, -200e3),
            (2.048e6, 600e3),
            (2.4e6, -1.0e6),
            (4e6, 1.4e6),
            (20e6, -7.2e6),
            (1_234_567.0, 100e3),
        ] {
            let mut ex = ChannelExtractor::new(rate, offset, out_rate, 100e3, 170e3).unwrap();
            let got_rate = ex.output_rate_sps();
            assert!(
                (got_rate / out_rate - 1.0).abs() < 1e-6,
                "{rate}: {got_rate}"
            );
            // In-band tone 40 kHz above the channel; an adjacent-channel tone 200 kHz below it.
            let n = (rate * 0.02) as usize;
            let mut x = tone(offset + 40e3, rate, n);
            let adj = if offset - 200e3 > -rate / 2.0 {
                offset - 200e3
            } else {
                offset + 200e3
            };
            for (v, a) in x.iter_mut().zip(tone(adj, rate, n)) {
                *v += a;
            }
            let mut y = Vec::new();
            for c in x.chunks(4099) {
                ex.process(c, &mut y);
            }
            let expect_len = n as f64 * got_rate / rate;
            assert!(
                (y.len() as f64 - expect_len).abs() < 3.0,
                "{rate}: {} vs {expect_len}",
                y.len()
            );
            let y = &y[200..y.len() - 200];
            let wanted = tone_power(y, 40e3, got_rate);
            let other = tone_power(y, adj - offset, got_rate);
            assert!(
                (10.0 * wanted.log10()).abs() < 0.2,
                "{rate}: in-band {wanted}"
            );
            assert!(10.0 * other.log10() < -55.0, "{rate}: adjacent {other}");
            // The delay model: output sample m represents input time input_time(m).
            let m = 1000.0;
            let t = ex.input_time(m);
            assert!(
                (t - m * rate / got_rate).abs() < (rate * 5e-5).max(200.0),
                "{rate}: {t}"
            );
        }
    }

    #[test]
    fn extractor_delay_model_is_exact_for_a_pulse() {
        for rate in [500e3, 2.4e6, 20e6] {
            let mut ex = ChannelExtractor::new(rate, 0.0, 13e6 / 12.0, 100e3, 170e3).unwrap();
            let n = (rate * 0.01) as usize;
            let mut x = vec![Complex32::new(0.0, 0.0); n];
            x[n / 2] = Complex32::new(1.0, 0.0);
            let mut y = Vec::new();
            ex.process(&x, &mut y);
            let peak = y
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.norm().total_cmp(&b.1.norm()))
                .unwrap()
                .0;
            let t = ex.input_time(peak as f64);
            let one_output = rate / ex.output_rate_sps();
            assert!(
                (t - (n / 2) as f64).abs() <= one_output / 2.0 + 0.5,
                "{rate}: pulse at {} → output {peak} ↔ input {t}",
                n / 2
            );
        }
    }

    #[test]
    fn bad_parameters_are_errors() {
        assert!(ChannelExtractor::new(f64::NAN, 0.0, 1e6, 1e5, 2e5).is_err());
        assert!(ChannelExtractor::new(1e6, f64::INFINITY, 1e6, 1e5, 2e5).is_err());
        assert!(FreqShifter::new(1.0, 0.0).is_err());
        assert!(RationalResampler::new(0, 1, &[1.0]).is_err());
        assert!(RationalResampler::new(1, 1, &[]).is_err());
        assert!(design_lowpass(11, 0.6, 5.0).is_err());
    }

    #[test]
    fn channelizer_separates_tones_on_200_khz_grid() {
        let rate = 4e6;
        let offsets = [-1.0e6, -0.4e6, 0.2e6, 1.6e6];
        let mut ch = Channelizer::new(rate, 8, 170e3, &offsets).unwrap();
        assert_eq!(ch.output_rate_sps(), 500e3);
        // A tone 30 kHz above each channel, with a slightly different amplitude per channel.
        let n = 80_000;
        let mut x = vec![Complex32::new(0.0, 0.0); n];
        for (i, f) in offsets.iter().enumerate() {
            let a = 0.5 + 0.05 * i as f32;
            for (v, t) in x.iter_mut().zip(tone(f + 30e3, rate, n)) {
                *v += t * a;
            }
        }
        let mut outs = vec![Vec::new(); offsets.len()];
        for c in x.chunks(3001) {
            ch.process(c, &mut outs);
        }
        for (i, y) in outs.iter().enumerate() {
            assert!(
                y.len() * 8 <= n && y.len() * 8 + ch.fft_len() >= n,
                "{}",
                y.len()
            );
            let y = &y[100..y.len() - 10];
            let out_rate = ch.output_rate_sps();
            let res = ch.residual_hz(i).unwrap();
            let a = 0.5 + 0.05 * i as f64;
            let p = tone_power(y, 30e3 + res, out_rate);
            assert!(
                (10.0 * (p / (a * a)).log10()).abs() < 0.1,
                "channel {i}: {p}"
            );
            // The tone of a neighbouring channel is not there.
            for (j, f) in offsets.iter().enumerate() {
                if j != i && (f - offsets[i]).abs() < out_rate / 2.0 {
                    let q = tone_power(y, f + 30e3 - offsets[i] + res, out_rate);
                    assert!(10.0 * q.log10() < -55.0, "channel {i} leaks {j}: {q}");
                }
            }
            // The output is a clean tone: phase continuous across blocks.
            let step = TAU * (30e3 + res) / out_rate;
            for (m, w) in y.windows(2).enumerate() {
                let d = (w[1] * w[0].conj()).arg() as f64;
                let e = (d - step + std::f64::consts::PI).rem_euclid(TAU) - std::f64::consts::PI;
                assert!(
                    e.abs() < 0.01,
                    "channel {i}: phase step {d} vs {step} at {m}"
                );
            }
        }
    }

    #[test]
    fn channel_added_late_gets_history_and_matches() {
        let rate = 4e6;
        let x: Vec<Complex32> = (0..60_000)
            .map(|i| Complex32::new((i as f32 * 0.37).sin(), (i as f32 * 0.11).cos()))
            .collect();
        let mut a = Channelizer::new(rate, 8, 150e3, &[0.6e6]).unwrap();
        let mut b = Channelizer::new(rate, 8, 150e3, &[-1.0e6]).unwrap();
        b.set_history_blocks(4);
        let mut oa = vec![Vec::new()];
        let mut ob = vec![Vec::new(), Vec::new()];
        a.process(&x[..30_000], &mut oa);
        b.process(&x[..30_000], &mut ob);
        let first = b.add_channel(0.6e6, &mut ob[1]).unwrap();
        assert!(first > 0 && first < b.output_index());
        assert_eq!(ob[1].len() as u64, b.output_index() - first);
        a.process(&x[30_000..], &mut oa);
        b.process(&x[30_000..], &mut ob);
        let late = &ob[1];
        let full = &oa[0][first as usize..];
        assert_eq!(late.len(), full.len());
        for (p, q) in late.iter().zip(full) {
            assert!((p - q).norm() < 1e-5, "{p} vs {q}");
        }
        b.remove_channel(0);
        assert_eq!(b.channels(), 1);
        assert_eq!(b.residual_hz(0), a.residual_hz(0));
    }

    #[test]
    fn channelizer_delay_model() {
        let rate = 2.4e6;
        let mut ch = Channelizer::new(rate, 4, 150e3, &[0.0]).unwrap();
        let mut x = vec![Complex32::new(0.0, 0.0); 40_000];
        x[20_000] = Complex32::new(1.0, 0.0);
        let mut outs = vec![Vec::new()];
        ch.process(&x, &mut outs);
        let y = &outs[0];
        let peak = y
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.norm().total_cmp(&b.1.norm()))
            .unwrap()
            .0;
        let t = ch.input_time(peak as f64);
        assert!((t - 20_000.0).abs() <= 2.5, "{peak} ↔ {t}");
    }
}
