//! `towerwatch spectrum`: averaged power spectrum with GSM channel powers.

use super::stop_flag;
use super::{input::*, output::*};
use anyhow::{Result, anyhow};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use towerwatch_dsp::spectrum::{Welch, WelchConfig, Window};

#[derive(Args, Debug)]
pub(crate) struct SpectrumArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Output format.
    #[arg(long = "output-format", value_enum, default_value_t = SpectrumFormat::Json)]
    pub(crate) output_format: SpectrumFormat,
    /// Write here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// FFT length (bins).
    #[arg(long, default_value_t = 2048)]
    pub(crate) fft: usize,
    /// Segment overlap fraction (0–0.95).
    #[arg(long, default_value_t = 0.5)]
    pub(crate) overlap: f32,
    /// Analysis window.
    #[arg(long, value_enum, default_value_t = WindowArg::BlackmanHarris)]
    pub(crate) window: WindowArg,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq)]
pub(crate) enum SpectrumFormat {
    /// One JSON document: channel powers, carriers, noise floor, and the PSD bins.
    Json,
    /// `freq_hz,power_dbfs` per bin.
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum WindowArg {
    Rectangular,
    Hann,
    BlackmanHarris,
}

pub(crate) fn spectrum(a: SpectrumArgs) -> Result<u8> {
    let mut src = open_input(&a.input)?;
    let welch_cfg = WelchConfig {
        fft_len: a.fft,
        overlap: a.overlap,
        window: match a.window {
            WindowArg::Rectangular => Window::Rectangular,
            WindowArg::Hann => Window::Hann,
            WindowArg::BlackmanHarris => Window::BlackmanHarris,
        },
    };
    let mut welch = Welch::new(welch_cfg).map_err(|e| anyhow!("spectrum settings: {e}"))?;
    let info = src.info().clone();
    let limit = max_samples(&a.input, src.as_ref()).unwrap_or(u64::MAX);
    let mut buf = vec![num_complex::Complex32::new(0.0, 0.0); 1 << 16];
    let mut total = 0u64;
    let mut freq = f64::NAN;
    let stop = stop_flag();
    while total < limit && !stop.load(Ordering::Relaxed) {
        let want = (limit - total).min(buf.len() as u64) as usize;
        let n = src.read(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        if freq.is_nan() {
            freq = src.frequency_hz();
        } else if src.frequency_hz() != freq {
            break; // the averaged spectrum covers the first capture segment only
        }
        welch.process(&buf[..n]);
        total += n as u64;
    }
    let psd = welch.psd(info.sample_rate_sps).ok_or_else(|| {
        anyhow!(
            "{}: only {total} samples, fewer than one FFT of {} bins",
            info.description,
            a.fft
        )
    })?;
    let freq = if freq.is_nan() {
        info.center_freq_hz
    } else {
        freq
    };
    let obs = crate::observation::spectrum_obs(&psd, freq, 0, total, true);
    let mut out = output_writer(a.output.as_deref())?;
    match a.output_format {
        SpectrumFormat::Json => {
            let strongest = obs
                .channels
                .iter()
                .max_by(|x, y| x.power_dbfs.total_cmp(&y.power_dbfs));
            let doc = serde_json::json!({
                "source": info.description,
                "center_freq_hz": freq,
                "sample_rate_sps": info.sample_rate_sps,
                "fft_len": a.fft,
                "window": format!("{:?}", a.window),
                "segments": psd.segments,
                "samples": total,
                "bin_width_hz": psd.bin_width_hz(),
                "first_bin_freq_hz": freq + psd.bin_offset_hz(0),
                "noise_floor_dbfs_per_200khz": obs.noise_floor_dbfs,
                "peak": {"freq_hz": obs.peak_freq_hz, "power_dbfs": obs.peak_dbfs},
                "strongest_channel": strongest,
                "carriers": obs.carriers,
                "channels": obs.channels,
                "psd_dbfs": obs.psd_dbfs,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            out.write_all(b"\n")?;
        }
        SpectrumFormat::Csv => {
            writeln!(out, "freq_hz,power_dbfs")?;
            for i in 0..psd.len() {
                writeln!(out, "{:.1},{:.3}", freq + psd.bin_offset_hz(i), psd.dbfs(i))?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}
