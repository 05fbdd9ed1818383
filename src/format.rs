//! Sample formats and their conversion to `Complex32` full-scale units.
//!
//! Full scale is |I|, |Q| ≤ 1 for every format, so a full-scale complex tone reads 0 dBFS whatever
//! the file's format: `cu8` maps 0…255 to (x − 127.5)/127.5, `ci8`/`cs8` divide by 128, `ci16`/`cs16`
//! by 32768, `cf32` is taken as is.

use num_complex::Complex32;
use serde::Serialize;

/// Interleaved I/Q sample encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SampleFormat {
    /// 32-bit float little-endian (GNU Radio `.cfile`, SigMF `cf32_le`).
    Cf32Le,
    /// 16-bit signed little-endian (SigMF `ci16_le`, raw `cs16`).
    Ci16Le,
    /// 8-bit signed (SigMF `ci8`, HackRF `cs8`).
    Ci8,
    /// 8-bit unsigned, offset 127.5 (SigMF `cu8`, rtl_sdr).
    Cu8,
}

impl SampleFormat {
    /// Bytes per complex sample.
    pub fn bytes_per_sample(self) -> usize {
        match self {
            SampleFormat::Cf32Le => 8,
            SampleFormat::Ci16Le => 4,
            SampleFormat::Ci8 | SampleFormat::Cu8 => 2,
        }
    }

    /// SigMF `core:datatype` name.
    pub fn sigmf_name(self) -> &'static str {
        match self {
            SampleFormat::Cf32Le => "cf32_le",
            SampleFormat::Ci16Le => "ci16_le",
            SampleFormat::Ci8 => "ci8",
            SampleFormat::Cu8 => "cu8",
        }
    }

    /// Parse a SigMF `core:datatype`. Returns a problem description for unsupported types.
    pub fn from_sigmf(s: &str) -> Result<SampleFormat, String> {
        match s {
            "cf32_le" | "cf32" => Ok(SampleFormat::Cf32Le),
            "ci16_le" | "ci16" => Ok(SampleFormat::Ci16Le),
            "ci8" | "ci8_le" => Ok(SampleFormat::Ci8),
            "cu8" | "cu8_le" => Ok(SampleFormat::Cu8),
            other if other.starts_with('r') => Err(format!(
                "datatype '{other}' is real-valued; towerwatch needs complex IQ (cf32_le, ci16_le, ci8, cu8)"
            )),
            other => Err(format!(
                "unknown or unsupported datatype '{other}' (supported: cf32_le, ci16_le, ci8, cu8)"
            )),
        }
    }

    /// Parse a raw-file format name (`cu8`, `cs8`, `cs16`, `cf32`, and SigMF names).
    pub fn from_raw_name(s: &str) -> Option<SampleFormat> {
        match s.to_ascii_lowercase().as_str() {
            "cu8" | "u8" => Some(SampleFormat::Cu8),
            "cs8" | "ci8" | "s8" | "i8" => Some(SampleFormat::Ci8),
            "cs16" | "ci16" | "ci16_le" | "s16" | "i16" => Some(SampleFormat::Ci16Le),
            "cf32" | "cf32_le" | "cfile" | "fc32" | "f32" => Some(SampleFormat::Cf32Le),
            _ => None,
        }
    }

    /// Convert whole samples from `bytes` into `out` (cleared first). Trailing partial bytes are
    /// ignored; callers ensure `bytes.len()` is a multiple of [`Self::bytes_per_sample`].
    pub fn decode(self, bytes: &[u8], out: &mut Vec<Complex32>) {
        out.clear();
        match self {
            SampleFormat::Cf32Le => out.extend(bytes.chunks_exact(8).map(|c| {
                Complex32::new(
                    f32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                    f32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                )
            })),
            SampleFormat::Ci16Le => out.extend(bytes.chunks_exact(4).map(|c| {
                Complex32::new(
                    f32::from(i16::from_le_bytes([c[0], c[1]])) / 32768.0,
                    f32::from(i16::from_le_bytes([c[2], c[3]])) / 32768.0,
                )
            })),
            SampleFormat::Ci8 => out.extend(bytes.chunks_exact(2).map(|c| {
                Complex32::new(f32::from(c[0] as i8) / 128.0, f32::from(c[1] as i8) / 128.0)
            })),
            SampleFormat::Cu8 => out.extend(bytes.chunks_exact(2).map(|c| {
                Complex32::new(
                    (f32::from(c[0]) - 127.5) / 127.5,
                    (f32::from(c[1]) - 127.5) / 127.5,
                )
            })),
        }
    }

    /// Append `samples` encoded in this format to `out`. Integer formats saturate at full scale.
    pub fn encode(self, samples: &[Complex32], out: &mut Vec<u8>) {
        out.reserve(samples.len() * self.bytes_per_sample());
        for s in samples {
            match self {
                SampleFormat::Cf32Le => {
                    out.extend_from_slice(&s.re.to_le_bytes());
                    out.extend_from_slice(&s.im.to_le_bytes());
                }
                SampleFormat::Ci16Le => {
                    for v in [s.re, s.im] {
                        let q = (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
                        out.extend_from_slice(&q.to_le_bytes());
                    }
                }
                SampleFormat::Ci8 => {
                    for v in [s.re, s.im] {
                        out.push((v * 128.0).round().clamp(-128.0, 127.0) as i8 as u8);
                    }
                }
                SampleFormat::Cu8 => {
                    for v in [s.re, s.im] {
                        out.push((v * 127.5 + 127.5).round().clamp(0.0, 255.0) as u8);
                    }
                }
            }
        }
    }
}

impl std::fmt::Display for SampleFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.sigmf_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_each_format_within_one_lsb() {
        let x: Vec<Complex32> = (0..100)
            .map(|i| Complex32::new((i as f32 / 50.0) - 1.0, 1.0 - (i as f32 / 50.0)))
            .collect();
        for (fmt, lsb) in [
            (SampleFormat::Cf32Le, 0.0),
            (SampleFormat::Ci16Le, 1.0 / 32768.0),
            (SampleFormat::Ci8, 1.0 / 128.0),
            (SampleFormat::Cu8, 1.0 / 127.5),
        ] {
            let mut bytes = Vec::new();
            fmt.encode(&x, &mut bytes);
            assert_eq!(bytes.len(), x.len() * fmt.bytes_per_sample());
            let mut back = Vec::new();
            fmt.decode(&bytes, &mut back);
            for (a, b) in x.iter().zip(&back) {
                assert!((a - b).norm() <= lsb * 1.5 + 1e-7, "{fmt}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn datatype_names() {
        assert_eq!(SampleFormat::from_sigmf("cu8"), Ok(SampleFormat::Cu8));
        assert!(
            SampleFormat::from_sigmf("rf32_le")
                .unwrap_err()
                .contains("real-valued")
        );
        assert!(
            SampleFormat::from_sigmf("cf64_be")
                .unwrap_err()
                .contains("unknown")
        );
        assert_eq!(SampleFormat::from_raw_name("CS8"), Some(SampleFormat::Ci8));
    }
}
