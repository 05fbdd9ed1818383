//! Sample sources: everything the pipeline reads IQ from, behind one trait.
//!
//! All sources yield `Complex32`. File sources (SigMF, raw, WAV) never drop samples; live sources
//! (SoapySDR) drop whole blocks when the consumer falls behind and count them.

use num_complex::Complex32;
use std::path::{Path, PathBuf};

#[cfg(feature = "soapy")]
pub mod soapy;

/// What a source is and what it holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SourceInfo {
    /// Short human description, e.g. the file path or device args.
    pub description: String,
    /// Sample rate in samples per second.
    pub sample_rate_sps: f64,
    /// Centre frequency of the first capture segment, in Hz (0 when unknown).
    pub center_freq_hz: f64,
    /// Sample format on the wire / in the file, e.g. `cf32_le`, `cu8`.
    pub format: String,
    /// Start time of the recording (RFC 3339, UTC) when known.
    pub start_time: Option<String>,
    /// Hardware that made the recording or is streaming, when known.
    pub hardware: Option<String>,
    /// Total number of samples, when known (files).
    pub total_samples: Option<u64>,
    /// Capture segments: each starts at a sample index with its own centre frequency.
    pub segments: Vec<Segment>,
    /// True for live receivers (drops are possible), false for files.
    pub live: bool,
}

/// One capture segment: from `sample_start` on, samples were taken at `frequency_hz`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    /// Index of the first sample of the segment.
    pub sample_start: u64,
    /// Centre frequency in Hz.
    pub frequency_hz: f64,
}

/// Errors from sample sources. Each names the file or device and the problem in one line.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The operating system refused or failed an I/O operation.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file exists but its content is not what its format says.
    #[error("{path}: {problem}")]
    Format {
        /// The file involved.
        path: PathBuf,
        /// What is wrong, in plain words.
        problem: String,
    },
    /// The stored hash does not match the data.
    #[error("{path}: SHA-512 mismatch: metadata says {expected}, data hashes to {actual}")]
    HashMismatch {
        /// The data file.
        path: PathBuf,
        /// Hash recorded in the metadata.
        expected: String,
        /// Hash computed over the data.
        actual: String,
    },
    /// A live device failed (open, configure, stream).
    #[error("device {device}: {problem}")]
    Device {
        /// Device args or name.
        device: String,
        /// What went wrong.
        problem: String,
    },
    /// The operation is not available for this source (e.g. retune on a file).
    #[error("{0}")]
    Unsupported(String),
}

impl SourceError {
    /// Convenience constructor for format errors.
    pub fn format(path: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        SourceError::Format {
            path: path.into(),
            problem: problem.into(),
        }
    }
    /// Convenience constructor for I/O errors.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SourceError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Counters a source keeps about what it could not deliver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SourceStats {
    /// Device overflows reported by the driver (samples lost inside the device/driver).
    pub overflows: u64,
    /// Read timeouts.
    pub timeouts: u64,
    /// Other recoverable stream errors.
    pub stream_errors: u64,
    /// Times a lost device was reopened (live sources with reconnect on).
    pub reconnects: u64,
    /// Samples missed while a lost device was being reopened (outage length × rate). The stream
    /// index skips over them, so stream time stays true across a reconnect.
    pub samples_lost: u64,
}

/// Anything that yields complex baseband samples.
pub trait SampleSource: Send {
    /// What this source is.
    fn info(&self) -> &SourceInfo;

    /// Fill `buf` with up to `buf.len()` samples. Returns how many were written; 0 means end of
    /// stream. A read never crosses a capture-segment boundary, so one block has one frequency.
    fn read(&mut self, buf: &mut [Complex32]) -> Result<usize, SourceError>;

    /// Centre frequency (Hz) of the samples returned by the last `read`.
    fn frequency_hz(&self) -> f64 {
        self.info().center_freq_hz
    }

    /// Tune to a new centre frequency (live sources).
    fn retune(&mut self, _freq_hz: f64) -> Result<(), SourceError> {
        Err(SourceError::Unsupported(format!(
            "{}: this source cannot be retuned",
            self.info().description
        )))
    }

    /// Loss counters (all zero for files).
    fn stats(&self) -> SourceStats {
        SourceStats::default()
    }
}

pub mod file;
pub use crate::format;
pub mod looped;
pub mod raw;
pub mod scene;
pub mod sigmf;
pub mod synthetic;
pub mod tuner;
pub mod wav;

pub use format::SampleFormat;

/// How to open a file: explicit values override what the file (or its name) says.
#[derive(Debug, Clone, Default)]
pub struct FileOptions {
    /// Raw sample format (`--format`).
    pub format: Option<SampleFormat>,
    /// Sample rate (`--rate`).
    pub rate_sps: Option<f64>,
    /// Centre frequency (`--freq`).
    pub freq_hz: Option<f64>,
    /// Check the SigMF `core:sha512` before reading.
    pub check_hash: bool,
}

/// Open any supported recording: SigMF (`.sigmf-meta`/`.sigmf-data`), WAV (`.wav`), or a raw IQ
/// file (format from `--format` or the extension), or a synthetic spec (`synth:...`).
pub fn open_file(path: &Path, opts: &FileOptions) -> Result<Box<dyn SampleSource>, SourceError> {
    let src = open_file_unchecked(path, opts)?;
    // Every source's declared rate and frequency (file name, SigMF, WAV header, synth:, scene:)
    // is checked once here, before anything is sized from it.
    let info = src.info();
    let bad = |e: crate::limits::LimitError| SourceError::Format {
        path: path.to_path_buf(),
        problem: e.to_string(),
    };
    crate::limits::check_rate_sps("sample rate", info.sample_rate_sps).map_err(bad)?;
    crate::limits::check_freq_hz("centre frequency", info.center_freq_hz).map_err(bad)?;
    for seg in &info.segments {
        crate::limits::check_freq_hz("capture frequency", seg.frequency_hz).map_err(bad)?;
    }
    Ok(src)
}

fn open_file_unchecked(
    path: &Path,
    opts: &FileOptions,
) -> Result<Box<dyn SampleSource>, SourceError> {
    let s = path.to_string_lossy();
    if s.starts_with("synth:") {
        return Ok(Box::new(synthetic::SynthSource::from_spec(&s)?));
    }
    if s.starts_with("scene:") {
        return Ok(Box::new(scene::SceneSource::from_spec(&s)?));
    }
    if sigmf::is_sigmf(path) {
        let (mut reader, _meta) = sigmf::open(path, opts.check_hash)?;
        if let Some(f) = opts.freq_hz {
            reader.override_frequency(f);
        }
        return Ok(Box::new(reader));
    }
    let is_wav = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("wav"));
    if is_wav {
        return Ok(Box::new(wav::open(path, opts.freq_hz)?));
    }
    // The OS's own reason (a symlink loop, permission denied), not a guess from `exists()`.
    if let Err(e) = std::fs::metadata(path) {
        return Err(SourceError::io(
            path,
            if e.kind() == std::io::ErrorKind::NotFound {
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")
            } else {
                e
            },
        ));
    }
    Ok(Box::new(raw::open(
        path,
        opts.format,
        opts.rate_sps,
        opts.freq_hz,
    )?))
}
