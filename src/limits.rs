//! What inputs may be: the accepted ranges of sample rate, frequency, gain and ppm (what receiver
//! hardware can be), and capped, regular-file-checked reads of text inputs. Every place that
//! parses one of these values or reads a text file goes through here, so a recording that
//! declares 1e25 S/s, a FIFO given as a scene, or `/dev/zero` as SigMF metadata gives one clear
//! line instead of a hang, an allocation abort or an out-of-memory kill. The limits are stated in
//! the README (Hardening).

use std::io::Read;
use std::path::{Path, PathBuf};

/// Lowest sample rate accepted: 1 kS/s (below any SDR; audio-rate IQ WAVs are 8 kS/s and up).
pub const MIN_RATE_SPS: f64 = 1e3;
/// Highest sample rate accepted: 1 GS/s (the fastest SDRs stream a few hundred MS/s); every
/// buffer sized from a rate stays bounded (a block of 0.1 s is at most 100 M samples).
pub const MAX_RATE_SPS: f64 = 1e9;
/// Highest centre frequency accepted: 100 GHz (no SoapySDR receiver tunes above tens of GHz).
/// 0 Hz (baseband, or a file that does not say) is accepted.
pub const MAX_FREQ_HZ: f64 = 100e9;
/// Gains accepted, dB (receivers span about 0–120 dB; attenuators are negative gains).
pub const GAIN_RANGE_DB: (f64, f64) = (-100.0, 200.0);
/// Frequency corrections accepted, ppm (cheap crystals are off by up to about 100 ppm).
pub const PPM_RANGE: (f64, f64) = (-1000.0, 1000.0);

/// Largest SigMF metadata file read: 16 MiB (annotations included; real ones are kilobytes).
pub const MAX_META_BYTES: u64 = 16 << 20;
/// Largest scene, profile, baseline, operator or detector configuration file read: 4 MiB.
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;
/// Largest baseline read (a country's cells from OpenCellID fit): 64 MiB.
pub const MAX_BASELINE_BYTES: u64 = 64 << 20;
/// Largest burst listing (`decode-bursts`) or track file read whole: 256 MiB.
pub const MAX_LISTING_BYTES: u64 = 256 << 20;
/// Longest line accepted in a line-oriented input (burst listings, NMEA): 64 KiB.
pub const MAX_LINE_BYTES: usize = 64 << 10;

/// A value outside what hardware can be, or a text input that cannot be read safely.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// A sample rate, frequency, gain or ppm out of range.
    #[error("{what} {value} is out of range: {range}")]
    Range {
        /// What the value is (`sample rate`, `--rate`, `core:sample_rate` …).
        what: String,
        /// The value as given.
        value: String,
        /// The accepted range, in words.
        range: String,
    },
    /// A file that should be a regular file is not one (FIFO, device, directory).
    #[error("{}: {what} must be a regular file, not {kind}", path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What the file is for.
        what: String,
        /// What it is instead.
        kind: &'static str,
    },
    /// A text input larger than its cap.
    #[error("{}: {what} is larger than {max} bytes (the limit); refusing to read it", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What the file is for.
        what: String,
        /// The cap.
        max: u64,
    },
    /// The file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{}: {what} is not UTF-8 text", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
        /// What the file is for.
        what: String,
    },
}

fn range_err(what: &str, value: f64, range: String) -> LimitError {
    LimitError::Range {
        what: what.to_string(),
        value: format!("{value}"),
        range,
    }
}

/// A sample rate within [`MIN_RATE_SPS`]..=[`MAX_RATE_SPS`] (finite), or an error naming `what`.
pub fn check_rate_sps(what: &str, rate_sps: f64) -> Result<f64, LimitError> {
    if rate_sps.is_finite() && (MIN_RATE_SPS..=MAX_RATE_SPS).contains(&rate_sps) {
        Ok(rate_sps)
    } else {
        Err(range_err(
            what,
            rate_sps,
            format!("sample rates from {MIN_RATE_SPS} to {MAX_RATE_SPS} S/s are accepted"),
        ))
    }
}

/// A centre frequency within 0..=[`MAX_FREQ_HZ`] (finite), or an error naming `what`.
pub fn check_freq_hz(what: &str, freq_hz: f64) -> Result<f64, LimitError> {
    if freq_hz.is_finite() && (0.0..=MAX_FREQ_HZ).contains(&freq_hz) {
        Ok(freq_hz)
    } else {
        Err(range_err(
            what,
            freq_hz,
            format!("frequencies from 0 to {MAX_FREQ_HZ} Hz are accepted"),
        ))
    }
}

/// A gain within [`GAIN_RANGE_DB`] (finite).
pub fn check_gain_db(what: &str, gain_db: f64) -> Result<f64, LimitError> {
    let (lo, hi) = GAIN_RANGE_DB;
    if gain_db.is_finite() && (lo..=hi).contains(&gain_db) {
        Ok(gain_db)
    } else {
        Err(range_err(
            what,
            gain_db,
            format!("gains from {lo} to {hi} dB are accepted"),
        ))
    }
}

/// A frequency correction within [`PPM_RANGE`] (finite).
pub fn check_ppm(what: &str, ppm: f64) -> Result<f64, LimitError> {
    let (lo, hi) = PPM_RANGE;
    if ppm.is_finite() && (lo..=hi).contains(&ppm) {
        Ok(ppm)
    } else {
        Err(range_err(
            what,
            ppm,
            format!("corrections from {lo} to {hi} ppm are accepted"),
        ))
    }
}

fn parse_f64(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| format!("'{s}' is not a number"))
}

/// clap value parser for `--rate`.
pub fn parse_rate_arg(s: &str) -> Result<f64, String> {
    check_rate_sps("sample rate", parse_f64(s)?).map_err(|e| e.to_string())
}

/// clap value parser for `--freq`.
pub fn parse_freq_arg(s: &str) -> Result<f64, String> {
    check_freq_hz("frequency", parse_f64(s)?).map_err(|e| e.to_string())
}

/// clap value parser for `--gain`.
pub fn parse_gain_arg(s: &str) -> Result<f64, String> {
    check_gain_db("gain", parse_f64(s)?).map_err(|e| e.to_string())
}

/// clap value parser for `--ppm`.
pub fn parse_ppm_arg(s: &str) -> Result<f64, String> {
    check_ppm("ppm", parse_f64(s)?).map_err(|e| e.to_string())
}

/// Shortest interval accepted for periodic readings (spectrum, power): 1 ms.
pub const MIN_INTERVAL_S: f64 = 1e-3;
/// Longest interval accepted: 1 hour.
pub const MAX_INTERVAL_S: f64 = 3600.0;

/// clap value parser for `--interval`: below 1 ms a reading holds fewer samples than one FFT
/// and nothing would ever be reported.
pub fn parse_interval_arg(s: &str) -> Result<f64, String> {
    let v = parse_f64(s)?;
    if v.is_finite() && (MIN_INTERVAL_S..=MAX_INTERVAL_S).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{v} s is out of range: intervals from {MIN_INTERVAL_S} to {MAX_INTERVAL_S} s are accepted"
        ))
    }
}

/// What kind of file `meta` describes, for messages.
fn kind_of(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// Checks that `path` is a regular file (following symlinks) without opening it, so a FIFO never
/// blocks the caller. Error messages say what went wrong (`too many levels of symbolic links`,
/// `no such file`, `a FIFO`).
pub fn check_regular(path: &Path, what: &str) -> Result<u64, LimitError> {
    let meta = std::fs::metadata(path).map_err(|source| LimitError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_file() {
        return Err(LimitError::NotRegular {
            path: path.to_path_buf(),
            what: what.to_string(),
            kind: kind_of(&meta.file_type()),
        });
    }
    Ok(meta.len())
}

/// Reads the regular file `path` as bytes, refusing non-regular files and anything larger than
/// `max_bytes` (checked on the size and again while reading: a file growing meanwhile is cut at
/// the cap and refused).
pub fn read_capped(path: &Path, max_bytes: u64, what: &str) -> Result<Vec<u8>, LimitError> {
    let len = check_regular(path, what)?;
    let too_large = || LimitError::TooLarge {
        path: path.to_path_buf(),
        what: what.to_string(),
        max: max_bytes,
    };
    if len > max_bytes {
        return Err(too_large());
    }
    let io = |source| LimitError::Io {
        path: path.to_path_buf(),
        source,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    f.take(max_bytes + 1).read_to_end(&mut buf).map_err(io)?;
    if buf.len() as u64 > max_bytes {
        return Err(too_large());
    }
    Ok(buf)
}

/// [`read_capped`] as UTF-8 text.
pub fn read_text_capped(path: &Path, max_bytes: u64, what: &str) -> Result<String, LimitError> {
    let bytes = read_capped(path, max_bytes, what)?;
    String::from_utf8(bytes).map_err(|_| LimitError::NotText {
        path: path.to_path_buf(),
        what: what.to_string(),
    })
}

impl LimitError {
    /// The error as an I/O error whose message does not repeat the path (for error types that
    /// already print `path: cause`).
    pub fn into_io(self) -> std::io::Error {
        use std::io::{Error, ErrorKind};
        match self {
            LimitError::Io { source, .. } => source,
            LimitError::Range { .. } => Error::new(ErrorKind::InvalidInput, self.to_string()),
            LimitError::NotRegular { what, kind, .. } => Error::new(
                ErrorKind::InvalidInput,
                format!("{what} must be a regular file, not {kind}"),
            ),
            LimitError::TooLarge { what, max, .. } => Error::new(
                ErrorKind::FileTooLarge,
                format!("{what} is larger than {max} bytes (the limit); refusing to read it"),
            ),
            LimitError::NotText { what, .. } => {
                Error::new(ErrorKind::InvalidData, format!("{what} is not UTF-8 text"))
            }
        }
    }
}

/// [`read_text_capped`] with an I/O error that does not repeat the path ([`LimitError::into_io`]),
/// for callers whose errors print `path: cause`.
pub fn read_text_capped_io(path: &Path, max_bytes: u64, what: &str) -> std::io::Result<String> {
    read_text_capped(path, max_bytes, what).map_err(LimitError::into_io)
}

/// Reads one line (up to and including `\n`) from `r` into `line`, at most `max_bytes` of it:
/// `Ok(None)` at end of input, `Ok(Some(true))` for a whole line, `Ok(Some(false))` for a line cut
/// at the cap (the rest of the line is skipped up to the next `\n`, without holding it). Bytes
/// that are not UTF-8 are replaced.
pub fn read_line_capped(
    r: &mut impl std::io::BufRead,
    line: &mut String,
    max_bytes: usize,
) -> std::io::Result<Option<bool>> {
    line.clear();
    let mut buf = Vec::new();
    let mut whole = true;
    let mut any = false;
    loop {
        let (done, used) = {
            let avail = match r.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                break;
            }
            any = true;
            match avail.iter().position(|b| *b == b'\n') {
                Some(i) => {
                    if whole {
                        let room = max_bytes.saturating_sub(buf.len());
                        buf.extend_from_slice(&avail[..i.min(room)]);
                        if i > room {
                            whole = false;
                        }
                    }
                    (true, i + 1)
                }
                None => {
                    if whole {
                        let room = max_bytes.saturating_sub(buf.len());
                        buf.extend_from_slice(&avail[..avail.len().min(room)]);
                        if avail.len() > room {
                            whole = false;
                        }
                    }
                    (false, avail.len())
                }
            }
        };
        r.consume(used);
        if done {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    line.push_str(&String::from_utf8_lossy(&buf));
    Ok(Some(whole))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rates_and_frequencies_are_bounded() {
        assert!(check_rate_sps("r", 2.048e6).is_ok());
        for bad in [0.0, -1.0, 1e11, 9e24, f64::NAN, f64::INFINITY, 999.0] {
            assert!(check_rate_sps("r", bad).is_err(), "{bad}");
        }
        assert!(check_freq_hz("f", 0.0).is_ok());
        assert!(check_freq_hz("f", 941e6).is_ok());
        for bad in [-1.0, 1e12, f64::NAN] {
            assert!(check_freq_hz("f", bad).is_err(), "{bad}");
        }
        assert!(parse_gain_arg("NaN").is_err());
        assert!(parse_ppm_arg("1e300").is_err());
        assert!(parse_ppm_arg("-12.5").is_ok());
    }

    #[test]
    fn capped_lines() {
        let data = b"short\nxxxxxxxxxxxxxxxxxxxx\nend".to_vec();
        let mut r = std::io::BufReader::with_capacity(4, &data[..]);
        let mut l = String::new();
        assert_eq!(read_line_capped(&mut r, &mut l, 8).unwrap(), Some(true));
        assert_eq!(l, "short");
        assert_eq!(read_line_capped(&mut r, &mut l, 8).unwrap(), Some(false));
        assert_eq!(l, "xxxxxxxx");
        assert_eq!(read_line_capped(&mut r, &mut l, 8).unwrap(), Some(true));
        assert_eq!(l, "end");
        assert_eq!(read_line_capped(&mut r, &mut l, 8).unwrap(), None);
    }

    #[test]
    fn devices_and_oversized_files_are_refused() {
        let e = read_text_capped(Path::new("/dev/zero"), 10, "metadata").unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big");
        std::fs::write(&p, vec![b'a'; 100]).unwrap();
        let e = read_text_capped(&p, 10, "scene").unwrap_err();
        assert!(e.to_string().contains("larger than 10 bytes"), "{e}");
        assert_eq!(read_text_capped(&p, 100, "scene").unwrap().len(), 100);
    }
}
