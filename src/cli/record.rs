//! `towerwatch record`: IQ to a SigMF pair, hashed when it ends.

use super::stop_flag;
use super::{input::*, output::*};
use crate::source::SampleFormat;
use crate::source::sigmf::{SigmfWriter, WriterMeta};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

#[derive(Args, Debug)]
pub(crate) struct RecordArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Output base name: writes OUT.sigmf-meta and OUT.sigmf-data.
    #[arg(short, long, value_name = "OUT")]
    pub(crate) output: PathBuf,
    /// Sample encoding of the data file.
    #[arg(long, value_enum, default_value_t = Datatype::Ci16)]
    pub(crate) datatype: Datatype,
    /// Free-text description stored in the metadata.
    #[arg(long)]
    pub(crate) description: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Datatype {
    /// 32-bit float (exact, 8 bytes per sample).
    Cf32,
    /// 16-bit integer (4 bytes per sample; plenty for 8–14-bit receivers).
    Ci16,
    /// 8-bit signed.
    Ci8,
    /// 8-bit unsigned (rtl_sdr native).
    Cu8,
}

impl From<Datatype> for SampleFormat {
    fn from(d: Datatype) -> SampleFormat {
        match d {
            Datatype::Cf32 => SampleFormat::Cf32Le,
            Datatype::Ci16 => SampleFormat::Ci16Le,
            Datatype::Ci8 => SampleFormat::Ci8,
            Datatype::Cu8 => SampleFormat::Cu8,
        }
    }
}

pub(crate) fn record(a: RecordArgs) -> Result<u8> {
    // The stop handler goes in before any file exists: a signal at any later moment finalises
    // a valid, hashed pair.
    let stop = stop_flag();
    // One recording is one continuous timeline: after a reconnect the samples would follow on
    // without the outage in between, so a lost device ends the recording (valid and hashed,
    // exit 2) instead of being spliced over. Run `record` again for the next file.
    if a.input.reconnect_attempts.is_some_and(|n| n > 0) {
        bail!(
            "record does not reconnect: a lost receiver ends the recording (kept valid), so a \
             recording never hides an outage; leave out --reconnect-attempts"
        );
    }
    let input = InputArgs {
        reconnect_attempts: Some(0),
        ..a.input.clone()
    };
    let mut src = open_input(&input)?;
    let info = src.info().clone();
    let mut meta = WriterMeta::new(a.datatype.into(), info.sample_rate_sps, info.center_freq_hz);
    meta.datetime = Some(info.start_time.clone().unwrap_or_else(|| {
        humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string()
    }));
    meta.hw = info
        .hardware
        .clone()
        .or_else(|| Some(info.description.clone()));
    meta.description = a.description.clone();
    let mut writer = SigmfWriter::create(&a.output, meta)
        .with_context(|| format!("cannot create the recording {}", a.output.display()))?;
    let limit = max_samples(&a.input, src.as_ref()).unwrap_or(u64::MAX);
    let mut buf = vec![num_complex::Complex32::new(0.0, 0.0); 1 << 16];
    let mut freq = src.frequency_hz();
    let mut progress = Progress::new(
        if limit == u64::MAX {
            info.total_samples
        } else {
            Some(limit)
        },
        info.sample_rate_sps,
    );
    let mut last_checkpoint = Instant::now();
    // A source error ends the recording like the end of the input (the pair is finished and
    // hashed, then the error is reported); a write error (disk full, file-size limit, I/O
    // error) leaves the writer in an unknown state, so the pair is salvaged instead.
    let mut source_error = None;
    let mut write_error = None;
    while writer.samples_written() < limit && !stop.load(Ordering::Relaxed) {
        let want = (limit - writer.samples_written()).min(buf.len() as u64) as usize;
        let n = match src.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                source_error = Some(e);
                break;
            }
        };
        if src.frequency_hz() != freq {
            freq = src.frequency_hz();
            writer.new_segment(freq);
        }
        let mut res = writer.write(&buf[..n]);
        progress.update(writer.samples_written());
        if res.is_ok() && last_checkpoint.elapsed().as_secs() >= 5 {
            res = writer.checkpoint();
            last_checkpoint = Instant::now();
        }
        if let Err(e) = res {
            write_error = Some(e);
            break;
        }
    }
    if write_error.is_none()
        && let Err(e) = writer.flush()
    {
        write_error = Some(e);
    }
    progress.done();
    let (meta_path, _) = writer.paths();
    let meta_path = meta_path.to_path_buf();
    if let Some(e) = write_error {
        let cause = e.to_string();
        return match writer.salvage(&cause) {
            Ok(s) => Err(anyhow!(
                "recording stopped: {cause}; the {} samples ({:.3} s) on disk are kept as a \
                 verifiable pair {}",
                s.samples,
                s.samples as f64 / info.sample_rate_sps,
                meta_path.display()
            )),
            Err(e2) => Err(anyhow!(
                "recording stopped: {cause}; {} could not be finished either: {e2}",
                meta_path.display()
            )),
        };
    }
    let n = writer.samples_written();
    // Finalise whatever was recorded, even after a source error, so the pair stays valid and
    // hashed.
    let hash = writer.finish()?;
    if let Some(e) = source_error {
        return Err(e.into());
    }
    eprintln!(
        "recorded {n} samples ({:.2} s) to {}; sha512 {}…",
        n as f64 / info.sample_rate_sps,
        meta_path.display(),
        &hash[..16]
    );
    Ok(0)
}
