//! `towerwatch synth`: scene files, SigMF output, presets.
//!
//! Two ignored helpers regenerate artefacts by hand:
//! - `TW_REGEN=1 cargo test --release --test synth -- --ignored regenerate_presets`
//!   rewrites `recordings/<preset>.sigmf-{meta,data}` from `recordings/scenes/*.toml`;
//! - `TW_GRGSM_DIR=DIR cargo test --release --test synth -- --ignored grgsm_variants` writes, for
//!   every cell of every downlink preset, a 1 MS/s cf32 copy centred on that cell
//!   (`DIR/<preset>.<cell>.cf32` + `.freq`), for `tests/dev/grgsm-check-presets.sh`.

use std::path::{Path, PathBuf};
use towerwatch::source::format::SampleFormat;
use towerwatch::source::{FileOptions, open_file};
use towerwatch::synth::{SynthError, SynthOptions, load_scene, parse_scene, run_synth};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn presets() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("recordings/scenes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

const MINIMAL: &str = r#"
[scene]
name = "t"
sample_rate_sps = 1_000_000
center_freq_hz = 945_000_000
duration_s = 0.05
seed = 3
snr_db = 20.0

[[cell]]
name = "c1"
band = "gsm900"
arfcn = 50
ncc = 1
bcc = 2
mcc = 262
mnc = 1
lac = 100
ci = 200

[cell.physics]
power_db = 0.0
"#;

fn parse_err(text: &str) -> String {
    match parse_scene(Path::new("scene.toml"), text, &SynthOptions::default()) {
        Ok(_) => panic!("should not parse:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_preset_parses_and_fits_the_size_budget() {
    let list = presets();
    assert!(list.len() >= 6, "{list:?}");
    let mut total = 0u64;
    let mut stored = 0;
    for p in &list {
        let s = load_scene(p, &SynthOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let bytes = (s.duration_s * s.config.sample_rate_sps).round() as u64
            * s.format.bytes_per_sample() as u64;
        // Presets stored as recordings keep to the repository's size budget; longer scenes
        // (minutes of signal) are generated on the fly by the tests and must say so.
        let name = p.file_stem().unwrap().to_str().unwrap();
        let data = p
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join(format!("{name}.sigmf-data"));
        if data.exists() {
            assert!(bytes < 4 << 20, "{}: {bytes} bytes", p.display());
            assert_eq!(
                std::fs::metadata(&data).unwrap().len(),
                bytes,
                "{}",
                data.display()
            );
            total += bytes;
            stored += 1;
        } else {
            let text = std::fs::read_to_string(p).unwrap();
            assert!(
                text.contains("on the fly"),
                "{}: no stored recording and no word that it is generated on the fly",
                p.display()
            );
        }
    }
    assert!(stored >= 6, "{stored} stored presets");
    assert!(total < 30 << 20, "{total}");
}

#[test]
fn unknown_keys_and_bad_values_name_the_file_and_field() {
    let e = parse_err(&MINIMAL.replace("seed = 3", "seed = 3\nsed = 4"));
    assert!(e.contains("scene.toml") && e.contains("sed"), "{e}");
    let e = parse_err(&MINIMAL.replace("power_db = 0.0", "power_dbm = 0.0"));
    assert!(e.contains("scene.toml") && e.contains("power_dbm"), "{e}");
    let e = parse_err(&MINIMAL.replace("band = \"gsm900\"", "band = \"gsm9000\""));
    assert!(e.contains("c1") && e.contains("band"), "{e}");
    let e = parse_err(&MINIMAL.replace("arfcn = 50", "arfcn = 500"));
    assert!(e.contains("c1") && e.contains("ARFCN 500"), "{e}");
    let e = parse_err(&MINIMAL.replace("arfcn = 50", "arfcn = 60"));
    assert!(e.contains("c1") && e.contains("does not fit"), "{e}");
    let e = parse_err(&MINIMAL.replace("ncc = 1", "ncc = 9"));
    assert!(e.contains("c1") && e.contains("ncc"), "{e}");
    let e = parse_err(&MINIMAL.replace("duration_s = 0.05", "duration_s = -1"));
    assert!(e.contains("duration_s"), "{e}");
    let e =
        parse_err(&MINIMAL.replace("sample_rate_sps = 1_000_000", "sample_rate_sps = \"fast\""));
    assert!(e.contains("sample_rate_sps"), "{e}");
    let e = parse_err(&MINIMAL.replace("power_db = 0.0", "power_db = 0.0\noff_s = -1.0"));
    assert!(e.contains("c1") && e.contains("off_s"), "{e}");
    let e = parse_err(&format!("{MINIMAL}\n[[cell]]\nname = \"c1\"\n"));
    assert!(e.contains("scene.toml"), "{e}");
    let e = parse_err("[scene]\nname = 1");
    assert!(e.contains("scene.toml"), "{e}");
    match load_scene(Path::new("/nonexistent/x.toml"), &SynthOptions::default()) {
        Err(SynthError::Read { path, .. }) => assert!(path.ends_with("x.toml")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn same_scene_and_seed_give_identical_files_and_annotations_per_cell() {
    let dir = tempfile::tempdir().unwrap();
    let scene = dir.path().join("s.toml");
    std::fs::write(&scene, MINIMAL).unwrap();
    let opts = SynthOptions::default();
    let a = run_synth(&scene, &dir.path().join("a"), &opts).unwrap();
    let b = run_synth(&scene, &dir.path().join("b"), &opts).unwrap();
    assert_eq!(a.samples, 50_000);
    let da = std::fs::read(&a.data_path).unwrap();
    let db = std::fs::read(&b.data_path).unwrap();
    assert_eq!(da, db);
    let other = SynthOptions {
        seed: Some(4),
        ..SynthOptions::default()
    };
    let c = run_synth(&scene, &dir.path().join("c"), &other).unwrap();
    assert_ne!(da, std::fs::read(&c.data_path).unwrap());

    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&a.meta_path).unwrap()).unwrap();
    assert_eq!(meta["global"]["towerwatch:scene"]["scene"]["name"], "t");
    assert_eq!(meta["global"]["towerwatch:generator"]["seed"], 3);
    assert!(
        meta["global"]["towerwatch:scene_toml"]
            .as_str()
            .unwrap()
            .contains("[[cell]]")
    );
    let ann = meta["annotations"].as_array().unwrap();
    assert_eq!(ann.len(), 1);
    assert_eq!(ann[0]["core:label"], "c1");
    assert_eq!(ann[0]["towerwatch:cell"]["lac"], 100);

    // Readable back through the project's own source.
    let mut src = open_file(&a.meta_path, &FileOptions::default()).unwrap();
    assert_eq!(src.info().sample_rate_sps, 1e6);
    let mut buf = vec![num_complex::Complex32::new(0.0, 0.0); 4096];
    assert_eq!(src.read(&mut buf).unwrap(), 4096);
}

#[test]
fn output_format_and_duration_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let scene = dir.path().join("s.toml");
    std::fs::write(&scene, MINIMAL).unwrap();
    let opts = SynthOptions {
        duration_s: Some(0.01),
        format: Some(SampleFormat::Ci8),
        ..SynthOptions::default()
    };
    let s = run_synth(&scene, &dir.path().join("o"), &opts).unwrap();
    assert_eq!(s.samples, 10_000);
    assert_eq!(std::fs::metadata(&s.data_path).unwrap().len(), 20_000);
    assert_eq!(s.format, "ci8");
}

#[test]
#[ignore]
fn regenerate_presets() {
    if std::env::var_os("TW_REGEN").is_none() {
        eprintln!("set TW_REGEN=1 to rewrite recordings/*.sigmf-*");
        return;
    }
    for p in presets() {
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        let out = root().join("recordings").join(&name);
        let s = run_synth(&p, &out, &SynthOptions::default()).unwrap();
        eprintln!(
            "{name}: {} samples, {} bytes, {:.1}x real time, cells {:?}, emitters {:?}",
            s.samples, s.data_bytes, s.real_time_factor, s.cells, s.emitters
        );
    }
}

#[test]
#[ignore]
fn grgsm_variants() {
    let Some(dir) = std::env::var_os("TW_GRGSM_DIR") else {
        eprintln!("set TW_GRGSM_DIR");
        return;
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let duration = std::env::var("TW_GRGSM_DURATION")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4.0);
    let only = std::env::var("TW_GRGSM_PRESET").ok();
    let list = match std::env::var_os("TW_GRGSM_SCENE") {
        Some(s) => vec![PathBuf::from(s)],
        None => presets(),
    };
    for p in list {
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        if only.as_ref().is_some_and(|o| *o != name) {
            continue;
        }
        let s = load_scene(&p, &SynthOptions::default()).unwrap();
        for c in &s.config.cells {
            let f = c
                .band
                .freq_hz(c.arfcn, towerwatch_dsp::arfcn::Direction::Downlink)
                .unwrap();
            let opts = SynthOptions {
                duration_s: Some(duration),
                format: Some(SampleFormat::Cf32Le),
                sample_rate_sps: Some(1e6),
                center_freq_hz: Some(f),
                drop_out_of_band: true,
                ..SynthOptions::default()
            };
            let base = dir.join(format!("{name}.{}", c.name));
            let sum = run_synth(&p, &base, &opts).unwrap();
            let freq_file = dir.join(format!("{name}.{}.freq", c.name));
            std::fs::write(freq_file, format!("{f}\n")).unwrap();
            eprintln!("{} -> {}", c.name, sum.data_path.display());
        }
    }
}

/// Speed check (ignored: timing depends on the machine): 10 s of the 5-cell neighbourhood at
/// 2.4 MS/s, generation only. `cargo test --release --test synth -- --ignored realtime --nocapture`
#[test]
#[ignore]
fn realtime_factor_five_cells_at_2_4_msps() {
    let opts = SynthOptions {
        sample_rate_sps: Some(2_400_000.0),
        ..SynthOptions::default()
    };
    let cfg = load_scene(
        &root().join("recordings/scenes/legit-neighbourhood.toml"),
        &opts,
    )
    .unwrap()
    .config;
    let mut scene = towerwatch_dsp::gsm::synth::Scene::new(&cfg).unwrap();
    let mut buf = vec![num_complex::Complex32::new(0.0, 0.0); 1 << 16];
    let total = (10.0 * cfg.sample_rate_sps) as usize;
    let t = std::time::Instant::now();
    let mut left = total;
    while left > 0 {
        let n = left.min(buf.len());
        scene.fill(&mut buf[..n]);
        left -= n;
    }
    let wall = t.elapsed().as_secs_f64();
    eprintln!(
        "10 s of {} cells at 2.4 MS/s in {wall:.2} s: {:.2}x real time",
        cfg.cells.len(),
        10.0 / wall
    );
}
