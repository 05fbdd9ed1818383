//! Input limits (issue 18): any bytes as a text file read through the capped reader, with a cap
//! drawn from the input (the result is the file when it fits, a "larger than" refusal when it
//! does not, never more than the cap held); any bytes as a stream through the capped line reader
//! (no line longer than its cap, no more lines than bytes); and any number, as text and as
//! bits, through the rate/frequency/gain/ppm/interval validation (accepted values are finite and
//! inside the documented ranges; the same value through a SigMF metadata file opens or is refused
//! with "out of range", never panics).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use std::io::BufReader;
use towerwatch::limits;
use towerwatch::source::{FileOptions, open_file};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    // Capped whole-file reads.
    let cap = u64::from(sel) * 4;
    if let Some(p) = common::write_scratch("limits.txt", rest) {
        match limits::read_capped(&p, cap, "fuzz input") {
            Ok(b) => {
                assert!(b.len() as u64 <= cap);
                assert_eq!(b, rest);
            }
            Err(e) => {
                let m = e.to_string();
                assert!(
                    rest.len() as u64 > cap,
                    "refused a file within its cap: {m}"
                );
                assert!(m.contains("larger than"), "{m}");
            }
        }
        if let Ok(t) = limits::read_text_capped(&p, cap, "fuzz input") {
            assert_eq!(t.as_bytes(), rest);
        }
    }
    // Capped lines: each line at most the cap; the lines and the cut parts make up the input.
    let line_cap = usize::from(sel % 64) + 1;
    let mut r = BufReader::with_capacity(7, rest);
    let mut line = String::new();
    let mut lines = 0usize;
    while let Ok(Some(_whole)) = limits::read_line_capped(&mut r, &mut line, line_cap) {
        assert!(
            line.len() <= line_cap * 3,
            "line longer than its cap: {}",
            line.len()
        );
        lines += 1;
        assert!(lines <= rest.len() + 1, "more lines than bytes");
    }
    // Numbers: as text, and the first 8 bytes as an f64.
    let text = String::from_utf8_lossy(rest);
    let mut values: Vec<f64> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter_map(|t| t.parse::<f64>().ok())
        .collect();
    if let Some(b) = rest.get(..8) {
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        values.push(f64::from_le_bytes(a));
    }
    for v in values.into_iter().take(8) {
        if let Ok(r) = limits::check_rate_sps("rate", v) {
            assert!(r.is_finite() && (limits::MIN_RATE_SPS..=limits::MAX_RATE_SPS).contains(&r));
        }
        if let Ok(f) = limits::check_freq_hz("freq", v) {
            assert!(f.is_finite() && (0.0..=limits::MAX_FREQ_HZ).contains(&f));
        }
        if let Ok(g) = limits::check_gain_db("gain", v) {
            assert!(g.is_finite());
        }
        if let Ok(p) = limits::check_ppm("ppm", v) {
            assert!(p.is_finite());
        }
        let _ = limits::parse_interval_arg(&v.to_string());
        // The same value declared by a recording.
        let meta = format!(
            r#"{{"global":{{"core:datatype":"cu8","core:sample_rate":{v},"core:version":"1.2.0"}},"captures":[{{"core:sample_start":0,"core:frequency":{v}}}]}}"#
        );
        if let (Some(m), Some(_)) = (
            common::write_scratch("limits.sigmf-meta", meta.as_bytes()),
            common::write_scratch("limits.sigmf-data", &[127u8; 64]),
        ) {
            match open_file(&m, &FileOptions::default()) {
                Ok(mut src) => {
                    let i = src.info();
                    assert!(limits::check_rate_sps("r", i.sample_rate_sps).is_ok());
                    assert!(limits::check_freq_hz("f", i.center_freq_hz).is_ok());
                    common::drain(src.as_mut(), 64);
                }
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        }
    }
});
