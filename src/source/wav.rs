//! WAV IQ files (SDR#, HDSDR, SDR Console…): stereo, I on the left channel and Q on the right,
//! 8/16-bit integer or 32-bit float. Samples are read through `hound`; the SDR#/HDSDR `auxi`
//! chunk (centre frequency, start time), which hound skips, is found by walking the RIFF chunks.

use super::{SampleSource, Segment, SourceError, SourceInfo};
use num_complex::Complex32;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// What an `auxi` chunk says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Auxi {
    /// Recording start: year, month, day, hour, minute, second, millisecond (Windows SYSTEMTIME,
    /// as the recording program wrote it).
    pub start: [u16; 7],
    /// Centre frequency in Hz.
    pub center_freq_hz: u32,
}

impl Auxi {
    /// Start time as `YYYY-MM-DDTHH:MM:SS.mmmZ` (SDR# writes UTC).
    pub fn start_rfc3339(&self) -> String {
        let s = self.start;
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            s[0], s[1], s[2], s[3], s[4], s[5], s[6]
        )
    }
}

/// Walk the RIFF chunks of a WAV file and decode the `auxi` chunk if there is one.
pub fn read_auxi(path: &Path) -> Result<Option<Auxi>, SourceError> {
    let mut f = File::open(path).map_err(|e| SourceError::io(path, e))?;
    let mut hdr = [0u8; 12];
    f.read_exact(&mut hdr)
        .map_err(|_| SourceError::format(path, "too short for a WAV (RIFF) header"))?;
    if &hdr[0..4] != b"RIFF" || &hdr[8..12] != b"WAVE" {
        return Err(SourceError::format(path, "not a RIFF/WAVE file"));
    }
    let mut r = BufReader::new(f);
    loop {
        let mut ch = [0u8; 8];
        if r.read_exact(&mut ch).is_err() {
            return Ok(None);
        }
        let size = u32::from_le_bytes([ch[4], ch[5], ch[6], ch[7]]) as u64;
        if &ch[0..4] == b"auxi" {
            let mut body = vec![0u8; size.min(4096) as usize];
            r.read_exact(&mut body)
                .map_err(|_| SourceError::format(path, "auxi chunk is truncated"))?;
            if body.len() < 36 {
                return Err(SourceError::format(
                    path,
                    format!("auxi chunk has {} bytes, need at least 36", body.len()),
                ));
            }
            let w = |i: usize| u16::from_le_bytes([body[i], body[i + 1]]);
            // SYSTEMTIME: year, month, day-of-week, day, hour, minute, second, milliseconds.
            let start = [w(0), w(2), w(6), w(8), w(10), w(12), w(14)];
            let center_freq_hz = u32::from_le_bytes([body[32], body[33], body[34], body[35]]);
            return Ok(Some(Auxi {
                start,
                center_freq_hz,
            }));
        }
        // Skip the chunk (chunks are padded to even length).
        let skip = size + (size & 1);
        let copied = std::io::copy(&mut (&mut r).take(skip), &mut std::io::sink())
            .map_err(|e| SourceError::io(path, e))?;
        if copied < skip {
            return Ok(None);
        }
    }
}

enum Kind {
    I8,
    I16,
    F32,
}

/// A WAV IQ reader.
pub struct WavSource {
    info: SourceInfo,
    path: PathBuf,
    reader: hound::WavReader<BufReader<File>>,
    kind: Kind,
    remaining: u64,
}

fn hound_err(path: &Path, e: hound::Error) -> SourceError {
    match e {
        // hound says "Failed to read enough bytes." for every early end; say which part.
        // (hound's own short reads are `Other` errors with that text.)
        hound::Error::IoError(io)
            if io.kind() == std::io::ErrorKind::UnexpectedEof
                || io.to_string().contains("Failed to read enough bytes") =>
        {
            SourceError::format(
                path,
                "truncated WAV: the file ends inside a chunk header, the fmt chunk or the data it \
                 declares (or has no data chunk)",
            )
        }
        hound::Error::IoError(io) => SourceError::io(path, io),
        hound::Error::FormatError(what) => {
            SourceError::format(path, format!("not a usable WAV: {what}"))
        }
        hound::Error::Unsupported => SourceError::format(
            path,
            "WAV encoding not supported (IQ needs 8/16-bit PCM or 32-bit float)",
        ),
        other => SourceError::format(path, format!("bad WAV: {other}")),
    }
}

/// Open a WAV IQ file. `freq_hz` overrides the `auxi` centre frequency.
pub fn open(path: &Path, freq_hz: Option<f64>) -> Result<WavSource, SourceError> {
    // A FIFO would block the open, a device never end.
    crate::limits::check_regular(path, "a WAV recording")
        .map_err(|e| SourceError::io(path, e.into_io()))?;
    let auxi = read_auxi(path)?;
    let reader = hound::WavReader::open(path).map_err(|e| hound_err(path, e))?;
    let spec = reader.spec();
    if spec.channels != 2 {
        return Err(SourceError::format(
            path,
            format!(
                "WAV has {} channel(s); IQ needs 2 (I left, Q right)",
                spec.channels
            ),
        ));
    }
    let kind = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, 8) => Kind::I8,
        (hound::SampleFormat::Int, 16) => Kind::I16,
        (hound::SampleFormat::Float, 32) => Kind::F32,
        (f, b) => {
            return Err(SourceError::format(
                path,
                format!(
                    "unsupported WAV sample format {f:?} {b}-bit (need 8/16-bit int or 32-bit float)"
                ),
            ));
        }
    };
    let frames = u64::from(reader.duration());
    if frames == 0 {
        return Err(SourceError::format(path, "WAV holds no samples"));
    }
    let freq = freq_hz
        .or(auxi.map(|a| f64::from(a.center_freq_hz)))
        .unwrap_or(0.0);
    let format = match kind {
        Kind::I8 => "wav-i8",
        Kind::I16 => "wav-i16",
        Kind::F32 => "wav-f32",
    };
    let info = SourceInfo {
        description: path.display().to_string(),
        sample_rate_sps: f64::from(spec.sample_rate),
        center_freq_hz: freq,
        format: format.to_string(),
        start_time: auxi.map(|a| a.start_rfc3339()),
        hardware: None,
        total_samples: Some(frames),
        segments: vec![Segment {
            sample_start: 0,
            frequency_hz: freq,
        }],
        live: false,
    };
    Ok(WavSource {
        info,
        path: path.to_path_buf(),
        reader,
        kind,
        remaining: frames,
    })
}

impl WavSource {
    fn fill<T, F>(&mut self, buf: &mut [Complex32], conv: F) -> Result<usize, SourceError>
    where
        T: hound::Sample,
        F: Fn(T) -> f32,
    {
        let n = (buf.len() as u64).min(self.remaining) as usize;
        let mut it = self.reader.samples::<T>();
        for slot in buf.iter_mut().take(n) {
            let i = it.next();
            let q = it.next();
            match (i, q) {
                (Some(Ok(i)), Some(Ok(q))) => *slot = Complex32::new(conv(i), conv(q)),
                (Some(Err(e)), _) | (_, Some(Err(e))) => return Err(hound_err(&self.path, e)),
                _ => {
                    return Err(SourceError::format(
                        &self.path,
                        "WAV data ends before the length its header gives",
                    ));
                }
            }
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

impl SampleSource for WavSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read(&mut self, buf: &mut [Complex32]) -> Result<usize, SourceError> {
        if self.remaining == 0 {
            return Ok(0);
        }
        match self.kind {
            Kind::I8 => self.fill::<i8, _>(buf, |v| f32::from(v) / 128.0),
            Kind::I16 => self.fill::<i16, _>(buf, |v| f32::from(v) / 32768.0),
            Kind::F32 => self.fill::<f32, _>(buf, |v| v),
        }
    }
}

/// Sample encodings [`write_wav`] can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavEncoding {
    /// 8-bit unsigned PCM (hound reads it back as signed).
    Int8,
    /// 16-bit signed PCM.
    Int16,
    /// 32-bit IEEE float.
    Float32,
}

/// Write a stereo IQ WAV, optionally with an SDR#-style `auxi` chunk before the data. Written by
/// hand because hound cannot write custom chunks.
pub fn write_wav(
    path: &Path,
    samples: &[Complex32],
    sample_rate_sps: u32,
    enc: WavEncoding,
    auxi: Option<&Auxi>,
) -> Result<(), SourceError> {
    let (fmt_tag, bits): (u16, u16) = match enc {
        WavEncoding::Int8 => (1, 8),
        WavEncoding::Int16 => (1, 16),
        WavEncoding::Float32 => (3, 32),
    };
    let block_align = 2 * bits / 8;
    let mut data = Vec::with_capacity(samples.len() * usize::from(block_align));
    for s in samples {
        for v in [s.re, s.im] {
            match enc {
                WavEncoding::Int8 => {
                    data.push(((v * 128.0).round().clamp(-128.0, 127.0) as i16 + 128) as u8)
                }
                WavEncoding::Int16 => data.extend_from_slice(
                    &((v * 32768.0).round().clamp(-32768.0, 32767.0) as i16).to_le_bytes(),
                ),
                WavEncoding::Float32 => data.extend_from_slice(&v.to_le_bytes()),
            }
        }
    }
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&fmt_tag.to_le_bytes());
    fmt.extend_from_slice(&2u16.to_le_bytes());
    fmt.extend_from_slice(&sample_rate_sps.to_le_bytes());
    fmt.extend_from_slice(&(sample_rate_sps * u32::from(block_align)).to_le_bytes());
    fmt.extend_from_slice(&block_align.to_le_bytes());
    fmt.extend_from_slice(&bits.to_le_bytes());
    let mut chunks: Vec<(&[u8; 4], Vec<u8>)> = vec![(b"fmt ", fmt)];
    if let Some(a) = auxi {
        let mut b = Vec::new();
        let st = |b: &mut Vec<u8>| {
            let s = a.start;
            for v in [s[0], s[1], 0, s[2], s[3], s[4], s[5], s[6]] {
                b.extend_from_slice(&v.to_le_bytes());
            }
        };
        st(&mut b); // start time
        st(&mut b); // stop time (not tracked: same as start)
        b.extend_from_slice(&a.center_freq_hz.to_le_bytes());
        b.extend_from_slice(&sample_rate_sps.to_le_bytes()); // ADFrequency
        chunks.push((b"auxi", b));
    }
    chunks.push((b"data", data));
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(b"WAVE");
    for (id, body) in &chunks {
        out.extend_from_slice(*id);
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(body);
        if body.len() % 2 == 1 {
            out.push(0);
        }
    }
    let riff_len = (out.len() - 8) as u32;
    out[4..8].copy_from_slice(&riff_len.to_le_bytes());
    let mut f = super::sigmf::create_private(path).map_err(|e| SourceError::io(path, e))?;
    f.write_all(&out).map_err(|e| SourceError::io(path, e))
}
