//! Headerless IQ files: `cu8` (rtl_sdr), `cs8` (hackrf_transfer), `cs16`, `cf32` (GNU Radio `.cfile`).
//!
//! Rate and centre frequency come from the command line or from the file name, following the
//! conventions in use:
//! - rtl_433 test corpus: `g001_941.0M_2048k.cu8` (frequency with `M`, rate with `k`);
//! - gr-gsm / airprobe: `capture_941.8M_112.cfile` (a bare number after the frequency is the USRP1
//!   decimation of its 64 MS/s clock: 64e6 / 112 = 571.4 kS/s);
//! - SDR#/HDSDR style `…_941000000Hz_…`, and explicit rates `…_2.4Msps_…` / `…_2400000sps_…`;
//! - gqrx: `gqrx_20240101_120000_941000000_2400000_fc.raw` (frequency and rate in Hz, cf32).

use super::file::{IqFileReader, check_data_len, file_info};
use super::format::SampleFormat;
use super::{SourceError, SourceInfo};
use std::path::Path;

/// What the file name says about a recording.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NameHints {
    /// Centre frequency, if the name carries one.
    pub freq_hz: Option<f64>,
    /// Sample rate, if the name carries one.
    pub rate_sps: Option<f64>,
    /// Sample format implied by the extension.
    pub format: Option<SampleFormat>,
}

fn number_with_suffix(tok: &str, suffix: &str) -> Option<f64> {
    let t = tok.strip_suffix(suffix)?;
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite() && *v > 0.0)
}

/// Read rate/frequency/format hints from a file name.
pub fn name_hints(path: &Path) -> NameHints {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    let (stem, ext) = match lower.rsplit_once('.') {
        Some((s, e)) => (s.to_string(), e.to_string()),
        None => (lower.clone(), String::new()),
    };
    let mut h = NameHints {
        format: match ext.as_str() {
            "cu8" | "bin" | "u8" => Some(SampleFormat::Cu8),
            "cs8" | "s8" => Some(SampleFormat::Ci8),
            "cs16" | "s16" => Some(SampleFormat::Ci16Le),
            "cf32" | "cfile" | "fc32" => Some(SampleFormat::Cf32Le),
            _ => None,
        },
        ..NameHints::default()
    };
    let toks: Vec<&str> = stem.split(['_', ' ']).filter(|t| !t.is_empty()).collect();
    if toks.first() == Some(&"gqrx") && stem.ends_with("_fc") {
        // gqrx_DATE_TIME_FREQ_RATE_fc
        // Plain decimal numbers only: `f64::from_str` also takes "inf", "NaN" and "1e400".
        let nums: Vec<f64> = toks
            .iter()
            .filter(|t| t.chars().all(|c| c.is_ascii_digit() || c == '.'))
            .filter_map(|t| t.parse::<f64>().ok())
            .collect();
        if let [.., freq, rate] = nums[..]
            && nums.len() >= 4
            && freq.is_finite()
            && rate.is_finite()
            && rate > 0.0
        {
            h.freq_hz = Some(freq);
            h.rate_sps = Some(rate);
            h.format = Some(SampleFormat::Cf32Le);
            return h;
        }
    }
    let mut after_freq = false;
    for tok in &toks {
        if let Some(v) = number_with_suffix(tok, "hz") {
            if let Some(k) = number_with_suffix(tok, "khz") {
                h.freq_hz.get_or_insert(k * 1e3);
            } else if let Some(m) = number_with_suffix(tok, "mhz") {
                h.freq_hz.get_or_insert(m * 1e6);
            } else {
                h.freq_hz.get_or_insert(v);
            }
            after_freq = true;
        } else if let Some(v) = number_with_suffix(tok, "msps") {
            h.rate_sps.get_or_insert(v * 1e6);
        } else if let Some(v) = number_with_suffix(tok, "ksps") {
            h.rate_sps.get_or_insert(v * 1e3);
        } else if let Some(v) = number_with_suffix(tok, "sps") {
            h.rate_sps.get_or_insert(v);
        } else if let Some(v) = number_with_suffix(tok, "m") {
            if h.freq_hz.is_none() && v >= 10.0 {
                h.freq_hz = Some(v * 1e6);
                after_freq = true;
            } else if h.rate_sps.is_none() {
                h.rate_sps = Some(v * 1e6);
            }
        } else if let Some(v) = number_with_suffix(tok, "k") {
            h.rate_sps.get_or_insert(v * 1e3);
        } else if after_freq && h.rate_sps.is_none() {
            if let Ok(d) = tok.parse::<u32>()
                && (4..=512).contains(&d)
            {
                h.rate_sps = Some(64e6 / f64::from(d));
            }
            after_freq = false;
        }
    }
    // A huge number times a unit suffix overflows: such a hint is no hint.
    h.rate_sps = h.rate_sps.filter(|r| r.is_finite() && *r > 0.0);
    h.freq_hz = h.freq_hz.filter(|f| f.is_finite());
    h
}

/// Open a raw IQ file. Explicit values win over the name's hints; the rate is required.
pub fn open(
    path: &Path,
    format: Option<SampleFormat>,
    rate_sps: Option<f64>,
    freq_hz: Option<f64>,
) -> Result<IqFileReader, SourceError> {
    let hints = name_hints(path);
    let format = format.or(hints.format).ok_or_else(|| {
        SourceError::format(
            path,
            "unknown raw sample format: name it with --format cu8|cs8|cs16|cf32 \
             or use a .cu8/.cs8/.cs16/.cf32/.cfile extension",
        )
    })?;
    let rate = rate_sps.or(hints.rate_sps).ok_or_else(|| {
        SourceError::format(
            path,
            "sample rate unknown: pass --rate SPS or put it in the name (e.g. _2048k_)",
        )
    })?;
    if !(rate.is_finite() && rate > 0.0) {
        return Err(SourceError::format(
            path,
            format!("invalid sample rate {rate}"),
        ));
    }
    let freq = freq_hz.or(hints.freq_hz).unwrap_or(0.0);
    let len = std::fs::metadata(path)
        .map_err(|e| SourceError::io(path, e))?
        .len();
    let total = check_data_len(path, len, format)?;
    let info: SourceInfo = file_info(path, format, rate, freq, total);
    IqFileReader::open(path, 0, total, format, info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtl_433_convention() {
        let h = name_hints(Path::new("g001_941.0M_2048k.cu8"));
        assert_eq!(h.freq_hz, Some(941.0e6));
        assert_eq!(h.rate_sps, Some(2.048e6));
        assert_eq!(h.format, Some(SampleFormat::Cu8));
    }

    #[test]
    fn airprobe_decimation_convention() {
        let h = name_hints(Path::new("/x/capture_941.8M_112.cfile"));
        assert_eq!(h.freq_hz, Some(941.8e6));
        assert!((h.rate_sps.unwrap() - 64e6 / 112.0).abs() < 1e-6);
        assert_eq!(h.format, Some(SampleFormat::Cf32Le));
    }

    #[test]
    fn hz_and_sps_tokens_and_gqrx() {
        let h = name_hints(Path::new("SDRSharp_20170101_941000000Hz_2.4Msps.cs16"));
        assert_eq!(h.freq_hz, Some(941e6));
        assert_eq!(h.rate_sps, Some(2.4e6));
        let g = name_hints(Path::new("gqrx_20240101_120000_941000000_2400000_fc.raw"));
        assert_eq!((g.freq_hz, g.rate_sps), (Some(941e6), Some(2.4e6)));
        assert_eq!(g.format, Some(SampleFormat::Cf32Le));
        let n = name_hints(Path::new("capture.cs8"));
        assert_eq!((n.freq_hz, n.rate_sps), (None, None));
    }

    /// Fuzz crash raw crash-0a3dda73: a gqrx-style name whose rate field is `00` (or `inf`,
    /// `nan`) gave a rate hint of 0 / non-finite. Such a name now gives no gqrx hints at all.
    #[test]
    fn fuzz_raw_crash_0a3dda73_gqrx_zero_rate_is_no_hint() {
        let h = name_hints(Path::new(
            "gqrx_20240101_12\u{fffd}_941000000_2400 00_fc.raw",
        ));
        assert!(h.rate_sps.is_none_or(|r| r.is_finite() && r > 0.0), "{h:?}");
        for name in [
            "gqrx_20240101_120000_941000000_0_fc.raw",
            "gqrx_20240101_120000_inf_nan_fc.raw",
            "gqrx_20240101_120000_941000000_00_fc.raw",
        ] {
            let h = name_hints(Path::new(name));
            assert_eq!(h.rate_sps, None, "{name}");
            assert!(h.freq_hz.is_none_or(f64::is_finite), "{name}");
        }
        let g = name_hints(Path::new("gqrx_20240101_120000_941000000_2400000_fc.raw"));
        assert_eq!((g.freq_hz, g.rate_sps), (Some(941e6), Some(2.4e6)));
    }
}
