//! Hardware profiles: any text as a profile TOML (deny_unknown_fields, then validation), and the
//! checks the live commands run against a valid one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use towerwatch::profile::Profile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = Profile::parse(text, "fuzz", Path::new("fuzz.toml")) else {
        return;
    };
    let _ = p.validate();
    let _ = p.format();
    for f in [0.0, 24e6, 941e6, 1.8e9, 6e9, f64::NAN, -1.0] {
        let _ = p.check_frequency(f);
    }
    for r in [0.0, 250e3, 1e6, 2.048e6, 2.4e6, 20e6, f64::INFINITY] {
        let _ = p.check_sample_rate(r);
    }
});
