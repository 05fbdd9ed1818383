//! `towerwatch synth`: generate a synthetic GSM scene as SigMF.

use super::{EXIT_INTERRUPTED, stop_flag};
use super::{input::*, record::*};
use crate::source::SampleFormat;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct SynthArgs {
    /// Scene file (TOML), e.g. recordings/scenes/sms-blaster.toml.
    pub(crate) scene: PathBuf,
    /// Output base name: writes OUT.sigmf-meta and OUT.sigmf-data.
    #[arg(short, long, value_name = "OUT")]
    pub(crate) output: PathBuf,
    /// Override the scene's duration, seconds (`--duration` is the same flag, as the scene files
    /// spell it).
    #[arg(long, visible_alias = "duration", value_name = "S", value_parser = parse_positive)]
    pub(crate) seconds: Option<f64>,
    /// Override the scene's random seed.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Override the scene's sample rate.
    #[arg(long, value_name = "SPS", value_parser = crate::limits::parse_rate_arg)]
    pub(crate) rate: Option<f64>,
    /// Override the scene's centre frequency.
    #[arg(long, value_name = "HZ", value_parser = crate::limits::parse_freq_arg)]
    pub(crate) freq: Option<f64>,
    /// Override the scene's sample encoding.
    #[arg(long, value_enum)]
    pub(crate) datatype: Option<Datatype>,
    /// Leave out cells outside the output band instead of failing.
    #[arg(long)]
    pub(crate) drop_out_of_band: bool,
}

pub(crate) fn synth(a: SynthArgs) -> Result<u8> {
    let opts = crate::synth::SynthOptions {
        duration_s: a.seconds,
        seed: a.seed,
        format: a.datatype.map(SampleFormat::from),
        sample_rate_sps: a.rate,
        center_freq_hz: a.freq,
        drop_out_of_band: a.drop_out_of_band,
    };
    // Installed before any file is created, as `record` does: SIGTERM finishes a hashed pair.
    let stop = stop_flag();
    let mut bar: Option<super::output::Progress> = None;
    let s = crate::synth::run_synth_until(&a.scene, &a.output, &opts, &stop, &mut |p| {
        bar.get_or_insert_with(|| super::output::Progress::new(Some(p.total), p.sample_rate_sps))
            .update(p.done)
    });
    if let Some(b) = &bar {
        b.done();
    }
    let s = s?;
    eprintln!(
        "wrote {} ({} samples, {:.2} s at {} S/s, {}, {:.1} MB) in {:.2} s: {:.1}× real time",
        s.meta_path.display(),
        s.samples,
        s.duration_s,
        s.sample_rate_sps,
        s.format,
        s.data_bytes as f64 / 1e6,
        s.elapsed_s,
        s.real_time_factor
    );
    if s.interrupted {
        eprintln!(
            "towerwatch: synth interrupted: {} holds the {} samples written so far (hashed)",
            s.meta_path.display(),
            s.samples
        );
        return Ok(EXIT_INTERRUPTED);
    }
    Ok(0)
}
