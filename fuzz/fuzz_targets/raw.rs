//! Raw IQ files of any length and their file-name hints: the first line of the input is the file
//! name (rtl_433, airprobe, SDR#, gqrx conventions), the rest is the data.
#![no_main]

mod common;
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use towerwatch::source::{FileOptions, SampleFormat, raw};

fuzz_target!(|data: &[u8]| {
    let (name, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"capture_941.0M_2048k.cu8"[..], data),
    };
    let name = String::from_utf8_lossy(name);
    let hints = raw::name_hints(Path::new(&*name));
    if let Some(r) = hints.rate_sps {
        assert!(r.is_finite() && r > 0.0, "rate hint {r}");
    }
    if let Some(f) = hints.freq_hz {
        assert!(f.is_finite(), "frequency hint {f}");
    }
    // The data in every format, with the rate from the name when it has one.
    for (i, fmt) in [
        SampleFormat::Cu8,
        SampleFormat::Ci8,
        SampleFormat::Ci16Le,
        SampleFormat::Cf32Le,
    ]
    .into_iter()
    .enumerate()
    {
        let Some(p) = common::write_scratch(&format!("f{i}.bin"), body) else {
            return;
        };
        let opts = FileOptions {
            format: Some(fmt),
            rate_sps: Some(hints.rate_sps.unwrap_or(1e6)),
            freq_hz: hints.freq_hz,
            check_hash: false,
        };
        match towerwatch::source::open_file(&p, &opts) {
            Ok(mut src) => {
                assert_eq!(
                    src.info().total_samples,
                    Some((body.len() / fmt.bytes_per_sample()) as u64)
                );
                common::drain(src.as_mut(), 1 << 16);
            }
            Err(_) => assert!(
                body.is_empty() || !body.len().is_multiple_of(fmt.bytes_per_sample()),
                "a whole number of {fmt} samples was refused"
            ),
        }
    }
});
