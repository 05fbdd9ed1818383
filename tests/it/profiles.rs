//! Hardware profiles: every shipped profile loads and validates; every file in
//! `tests/bad-profiles/` fails with its own specific one-line message.

use std::path::{Path, PathBuf};
use towerwatch::profile::{Profile, ProfileError, SampleFormat};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_profile_loads_and_validates() {
    let files = toml_files(&root().join("hardware-profiles"));
    assert_eq!(
        files.len(),
        10,
        "expected 10 shipped profiles, found {files:?}"
    );
    for path in &files {
        let p = Profile::load(path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.id, path.file_stem().unwrap().to_str().unwrap());
        assert!(p.format().is_some());
        assert!(
            p.check_sample_rate(p.sample_rate.default_sps).is_ok(),
            "{}",
            p.id
        );
        for g in &p.gains.element {
            assert!(g.default_db >= g.min_db && g.default_db <= g.max_db);
        }
    }
}

#[test]
fn builtin_profiles_are_the_shipped_files() {
    let files = toml_files(&root().join("hardware-profiles"));
    let mut ids = Profile::builtin_ids();
    ids.sort();
    let mut stems: Vec<String> = files
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    stems.sort();
    assert_eq!(
        ids, stems,
        "BUILTIN in src/profile.rs must list every file in hardware-profiles/"
    );
    for path in &files {
        let id = path.file_stem().unwrap().to_str().unwrap();
        assert_eq!(Profile::by_id(id).unwrap(), Profile::load(path).unwrap());
    }
    assert_eq!(Profile::builtin().unwrap().len(), 10);
}

#[test]
fn profiles_cover_gsm900_and_say_where_values_come_from() {
    for p in Profile::builtin().unwrap() {
        // Every receiver we ship must at least reach the GSM900 downlink (or say why not: Pluto's
        // guaranteed range starts at 325 MHz, still below 935 MHz).
        assert!(p.check_frequency(947.4e6).is_ok(), "{}", p.id);
        for s in [
            &p.source,
            &p.tuning.source,
            &p.sample_rate.source,
            &p.gains.source,
            &p.clock.source,
        ] {
            assert!(!s.trim().is_empty(), "{}", p.id);
        }
    }
}

#[test]
fn spot_check_vendor_values() {
    let v3 = Profile::by_id("rtlsdr-blog-v3").unwrap();
    assert_eq!(v3.format(), Some(SampleFormat::Cu8));
    assert_eq!(v3.tuning.max_hz, 1766e6);
    assert!(v3.clock.tcxo);
    let hackrf = Profile::by_id("hackrf-one").unwrap();
    assert_eq!(hackrf.format(), Some(SampleFormat::Cs8));
    assert!(hackrf.dc_spike);
    assert!(!hackrf.clock.tcxo);
    assert_eq!(hackrf.gains.element.len(), 3);
    let airspy = Profile::by_id("airspy-r2").unwrap();
    assert!(airspy.check_sample_rate(10e6).is_ok());
    let err = airspy.check_sample_rate(5e6).unwrap_err();
    assert!(err.contains("not one of"), "{err}");
    let err = v3.check_frequency(1930.2e6).unwrap_err();
    assert!(err.contains("outside the tuning range"), "{err}");
}

#[test]
fn unknown_id_lists_the_known_ones() {
    let err = Profile::by_id("rtlsdr-blog-v9").unwrap_err();
    assert!(matches!(err, ProfileError::UnknownId { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("unknown hardware profile 'rtlsdr-blog-v9'"),
        "{msg}"
    );
    assert!(msg.contains("rtlsdr-blog-v3"), "{msg}");
}

#[test]
fn missing_file_names_the_file() {
    let err = Profile::load("/nonexistent/dir/foo.toml").unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("/nonexistent/dir/foo.toml: "), "{msg}");
}

/// (file stem, message fragment) for every bad profile.
const BAD: &[(&str, &str)] = &[
    ("unknown-key", "line 6, column 1: unknown field `dc_spyke`"),
    ("unknown-key-in-section", "unknown field `drift_ppm_per_c`"),
    ("missing-field", "missing field `max_hz`"),
    (
        "wrong-type",
        "invalid type: string \"2.048 MS/s\", expected f64",
    ),
    (
        "not-toml",
        "line 14, column 8: unclosed table, expected `]`",
    ),
    ("empty-name", "name is empty"),
    ("empty-driver", "driver_args is empty"),
    (
        "no-driver-key",
        "driver_args 'serial=00000001' has no driver=NAME",
    ),
    (
        "unknown-format",
        "unknown sample_format 'cu9' (known: cu8, cs8, cs12, cs16, cf32)",
    ),
    (
        "tuning-min-above-max",
        "tuning.min_hz 2000000000 is not below tuning.max_hz 1766000000",
    ),
    ("tuning-negative", "tuning.min_hz -1000000 is negative"),
    (
        "rate-min-above-max",
        "sample_rate.min_sps 4000000 is above sample_rate.max_sps 3200000",
    ),
    (
        "default-rate-outside",
        "sample_rate.default_sps 3000000 is outside min_sps..usable_max_sps",
    ),
    (
        "usable-rate-outside",
        "sample_rate.usable_max_sps 5000000 is outside min_sps..max_sps",
    ),
    (
        "bandwidth-above-rate",
        "sample_rate.usable_bandwidth_hz 2500000 exceeds default_sps 2048000",
    ),
    (
        "default-gain-outside",
        "gains.element 'TUNER': default_db 60 is outside 0..49.6",
    ),
    (
        "gain-min-above-max",
        "gains.element 'TUNER': min_db 55 is above max_db 49.6",
    ),
    ("no-gain-elements", "gains: no [[gains.element]] given"),
    (
        "bad-gain-name",
        "gains.element[0]: name \"TUNER,IF\" contains NUL, ',' or '='",
    ),
    ("duplicate-gain", "gains.element 'TUNER' is listed twice"),
    (
        "negative-ppm-uncertainty",
        "clock.uncertainty_ppm -1 is negative",
    ),
    ("negative-settle", "retune_settle_s -0.05 is negative"),
    ("empty-source", "clock.source is empty"),
];

#[test]
fn every_bad_profile_fails_with_its_own_message() {
    let dir = root().join("tests/bad-profiles");
    let files = toml_files(&dir);
    let stems: Vec<String> = files
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for stem in &stems {
        assert!(
            BAD.iter().any(|(s, _)| s == stem),
            "tests/bad-profiles/{stem}.toml has no expected message in BAD"
        );
    }
    let mut messages = Vec::new();
    for (stem, fragment) in BAD {
        assert!(
            stems.iter().any(|s| s == stem),
            "missing tests/bad-profiles/{stem}.toml"
        );
        let path = dir.join(format!("{stem}.toml"));
        let err = Profile::load(&path).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("{}: ", path.display())),
            "{stem}: message does not start with the file name: {msg}"
        );
        assert!(
            msg.contains(fragment),
            "{stem}: expected '{fragment}' in: {msg}"
        );
        assert!(
            !msg.contains('\n'),
            "{stem}: message is not one line: {msg}"
        );
        messages.push(msg);
    }
    // Each file fails for its own reason: no two messages are the same.
    let mut sorted = messages.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), messages.len());
}
