//! A generic reader for interleaved IQ files (raw, SigMF data, WAV data chunk): reads whole samples
//! from a byte range of a file and converts them, with capture segments that each have a frequency.

use super::format::SampleFormat;
use super::{SampleSource, Segment, SourceError, SourceInfo};
use num_complex::Complex32;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Reads `format` samples from `path`, starting at byte `data_offset`, `total_samples` of them.
pub struct IqFileReader {
    info: SourceInfo,
    path: PathBuf,
    reader: BufReader<File>,
    format: SampleFormat,
    bytes: Vec<u8>,
    decoded: Vec<Complex32>,
    position: u64,
    total: u64,
    current_freq_hz: f64,
}

impl IqFileReader {
    /// Open `path` and position it at `data_offset`. `info.segments` must be sorted by start.
    pub fn open(
        path: &Path,
        data_offset: u64,
        total_samples: u64,
        format: SampleFormat,
        info: SourceInfo,
    ) -> Result<Self, SourceError> {
        let file = File::open(path).map_err(|e| SourceError::io(path, e))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        reader
            .seek(SeekFrom::Start(data_offset))
            .map_err(|e| SourceError::io(path, e))?;
        let current_freq_hz = info.center_freq_hz;
        Ok(IqFileReader {
            info,
            path: path.to_path_buf(),
            reader,
            format,
            bytes: Vec::new(),
            decoded: Vec::new(),
            position: 0,
            total: total_samples,
            current_freq_hz,
        })
    }

    /// Replace the recorded centre frequency (single-segment files, or a wrong header).
    pub fn override_frequency(&mut self, freq_hz: f64) {
        self.info.center_freq_hz = freq_hz;
        self.info.segments = vec![Segment {
            sample_start: 0,
            frequency_hz: freq_hz,
        }];
        self.current_freq_hz = freq_hz;
    }

    /// Sample index of the next sample to be read.
    pub fn position(&self) -> u64 {
        self.position
    }

    fn segment_at(&self, index: u64) -> (f64, u64) {
        let segs = &self.info.segments;
        let mut freq = self.info.center_freq_hz;
        let mut next_start = self.total;
        for (i, s) in segs.iter().enumerate() {
            if s.sample_start <= index {
                freq = s.frequency_hz;
                next_start = segs.get(i + 1).map_or(self.total, |n| n.sample_start);
            }
        }
        (freq, next_start.min(self.total))
    }
}

impl SampleSource for IqFileReader {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read(&mut self, buf: &mut [Complex32]) -> Result<usize, SourceError> {
        if self.position >= self.total || buf.is_empty() {
            return Ok(0);
        }
        let (freq, segment_end) = self.segment_at(self.position);
        self.current_freq_hz = freq;
        let want = (buf.len() as u64)
            .min(segment_end.saturating_sub(self.position))
            .max(1)
            .min(self.total - self.position) as usize;
        let nbytes = want * self.format.bytes_per_sample();
        self.bytes.resize(nbytes, 0);
        let mut got = 0;
        while got < nbytes {
            match self.reader.read(&mut self.bytes[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(SourceError::io(&self.path, e)),
            }
        }
        if got < nbytes {
            // The file shrank under us or the header lied about its length.
            return Err(SourceError::format(
                &self.path,
                format!(
                    "data ends early: expected {} samples, file holds only {}",
                    self.total,
                    self.position + (got / self.format.bytes_per_sample()) as u64
                ),
            ));
        }
        self.format.decode(&self.bytes, &mut self.decoded);
        buf[..want].copy_from_slice(&self.decoded[..want]);
        self.position += want as u64;
        Ok(want)
    }

    fn frequency_hz(&self) -> f64 {
        self.current_freq_hz
    }
}

/// Check that a data region of `len` bytes holds whole samples and at least one.
pub fn check_data_len(path: &Path, len: u64, format: SampleFormat) -> Result<u64, SourceError> {
    let bps = format.bytes_per_sample() as u64;
    if len == 0 {
        return Err(SourceError::format(path, "file is empty (no samples)"));
    }
    if !len.is_multiple_of(bps) {
        return Err(SourceError::format(
            path,
            format!(
                "size {len} bytes is not a whole number of {bps}-byte {format} samples \
                 ({} bytes left over): truncated file or wrong format",
                len % bps
            ),
        ));
    }
    Ok(len / bps)
}

/// Build a single-segment [`SourceInfo`] for a file.
pub fn file_info(
    path: &Path,
    format: SampleFormat,
    sample_rate_sps: f64,
    center_freq_hz: f64,
    total_samples: u64,
) -> SourceInfo {
    SourceInfo {
        description: path.display().to_string(),
        sample_rate_sps,
        center_freq_hz,
        format: format.sigmf_name().to_string(),
        start_time: None,
        hardware: None,
        total_samples: Some(total_samples),
        segments: vec![Segment {
            sample_start: 0,
            frequency_hz: center_freq_hz,
        }],
        live: false,
    }
}
