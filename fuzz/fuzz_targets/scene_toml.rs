//! Scene files: any text as a scene TOML, parsed and validated as `towerwatch synth` does; a
//! valid scene builds its generator and produces a first block of samples.
#![no_main]

use libfuzzer_sys::fuzz_target;
use num_complex::Complex32;
use std::path::Path;
use towerwatch::synth::{SynthOptions, parse_scene};
use towerwatch_dsp::gsm::synth::Scene;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(loaded) = parse_scene(Path::new("fuzz.toml"), text, &SynthOptions::default()) else {
        return;
    };
    // Keep each run short: generation cost grows with the rate.
    if loaded.config.sample_rate_sps > 25e6 {
        return;
    }
    let Ok(mut scene) = Scene::new(&loaded.config) else {
        return;
    };
    let mut buf = vec![Complex32::new(0.0, 0.0); 2048];
    scene.fill(&mut buf);
    assert!(
        buf.iter().all(|s| s.re.is_finite() && s.im.is_finite()),
        "scene produced a non-finite sample"
    );
});
