//! SigMF metadata: any text as `.sigmf-meta`, through the same parser `towerwatch info`/`verify` use.
//! When it parses, the data file is the input itself, so header and data-length checks run too.
#![no_main]

mod common;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use towerwatch::source::sigmf::SigmfMeta;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(meta) = SigmfMeta::parse(
        text,
        PathBuf::from("fuzz.sigmf-meta"),
        PathBuf::from("fuzz.sigmf-data"),
    ) else {
        return;
    };
    assert!(meta.sample_rate_sps.is_finite() && meta.sample_rate_sps > 0.0);
    assert!(!meta.segments.is_empty());
    assert!(
        meta.segments
            .windows(2)
            .all(|w| w[0].sample_start <= w[1].sample_start)
    );
    // The whole pair: metadata plus the input (or its first bytes) as data, opened and drained.
    let Some(m) = common::write_scratch("f.sigmf-meta", data) else {
        return;
    };
    let keep = data.len().min(4096);
    if common::write_scratch("f.sigmf-data", &data[..keep]).is_none() {
        return;
    }
    if let Ok((mut reader, _)) = towerwatch::source::sigmf::open(&m, false) {
        common::drain(&mut reader, 1 << 16);
    }
});
