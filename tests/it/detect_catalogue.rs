//! `docs/detectors.md` is generated from the detector registry's doc blocks: this test fails when
//! they disagree (regenerate with `towerwatch detectors --markdown > docs/detectors.md`).

use towerwatch::detect::{self, DetectConfig, REGISTRY};

#[test]
fn docs_match_the_registry() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/detectors.md");
    let on_disk = std::fs::read_to_string(path).expect("docs/detectors.md");
    let generated = towerwatch::alert::catalogue_markdown();
    assert!(
        on_disk == generated,
        "docs/detectors.md is out of date: run `towerwatch detectors --markdown > docs/detectors.md`"
    );
}

#[test]
fn every_detector_is_documented_and_configurable() {
    let dets = detect::all_default();
    assert_eq!(dets.len(), REGISTRY.len());
    assert_eq!(dets.len(), 20); // 14 GSM, 5 LTE, 1 LTE+GSM correlation
    for d in &dets {
        let doc = d.info().doc;
        for part in [
            "**Flags**",
            "**Reference**",
            "**Thresholds**",
            "**Known false positives**",
        ] {
            assert!(doc.contains(part), "{}: doc block lacks {part}", d.id());
        }
        assert!(
            doc.contains(&format!("`[{}]`", d.id())),
            "{}: doc names its table",
            d.id()
        );
        assert!(d.info().version >= 1);
        assert!(!d.info().false_positives.is_empty());
        // Its table accepts `enabled` and `weight`, and disabling removes it.
        let cfg = DetectConfig::parse(
            &format!("[{}]\nenabled = false\nweight = 1.0\n", d.id()),
            &[],
        )
        .unwrap();
        let built = detect::build_all(&cfg).unwrap();
        assert_eq!(built.len(), REGISTRY.len() - 1);
        assert!(built.iter().all(|x| x.id() != d.id()));
    }
    // Typos are errors.
    assert!(DetectConfig::parse("[clock_eror]\nweight = 1\n", &[]).is_err());
    let cfg = DetectConfig::parse("[clock_error]\nmax_relative_pm = 0.3\n", &[]).unwrap();
    assert!(detect::build_all(&cfg).is_err());
}
