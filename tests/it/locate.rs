//! Localisation: a synthetic 1 km drive past a rogue transmitter ~200 m off the road. Positions
//! come from a scripted NMEA track (with bad checksums and a GPS dropout in it), power from the
//! log-distance path-loss model with log-normal shadowing (seeded).

use crate::common;
use common::{succeed, towerwatch};
use std::fmt::Write as _;
use towerwatch::gps::{PositionStatus, Track, nmea};
use towerwatch::locate::{
    Enu, LocateConfig, LocateError, Method, Sample, distance_m, locate, path_loss_db,
};
use towerwatch_dsp::signal::Rng;

const LAT0: f64 = 52.5200;
const LON0: f64 = 13.4050;

/// NMEA `ddmm.mmmm,H` fields.
fn nmea_coord(v: f64, lat: bool) -> String {
    let hemi = match (lat, v >= 0.0) {
        (true, true) => "N",
        (true, false) => "S",
        (false, true) => "E",
        (false, false) => "W",
    };
    let a = v.abs();
    let deg = a.floor();
    let min = (a - deg) * 60.0;
    if lat {
        format!("{:02}{:07.4},{hemi}", deg as u32, min)
    } else {
        format!("{:03}{:07.4},{hemi}", deg as u32, min)
    }
}

fn hms(t_s: f64) -> String {
    let h = (t_s / 3600.0).floor();
    let m = ((t_s - h * 3600.0) / 60.0).floor();
    let s = t_s - h * 3600.0 - m * 60.0;
    format!("{:02}{:02}{:05.2}", h as u32, m as u32, s)
}

/// A route in local metres: `len_m` long, a sample every `step_m`. `bend`: after 60 % the road
/// turns left 90° (around a block, so the two sides of the first road can be told apart).
fn route(len_m: f64, step_m: f64, bend: bool) -> Vec<(f64, f64)> {
    let n = (len_m / step_m).round() as usize;
    let corner = 0.6 * len_m;
    (0..=n)
        .map(|i| {
            let s = i as f64 * step_m;
            if bend && s > corner {
                let r = s - corner;
                (corner, r)
            } else {
                (s, 0.0)
            }
        })
        .collect()
}

/// NMEA text for the route at 1 report/s (GSA, GGA, RMC each second), starting 12:00:00 UTC on
/// 2026-11-27, with a corrupted sentence every 17 s, a line of junk, and no fix for seconds
/// `dropout`.
fn nmea_track(points: &[(f64, f64)], dropout: std::ops::Range<usize>) -> String {
    let enu = Enu::new(LAT0, LON0);
    let mut out = String::new();
    for (i, &(x, y)) in points.iter().enumerate() {
        let (lat, lon) = enu.to_latlon(x, y);
        let t = hms(43_200.0 + i as f64);
        let (la, lo) = (nmea_coord(lat, true), nmea_coord(lon, false));
        if dropout.contains(&i) {
            writeln!(out, "{}", nmea::sentence("GPGSA,A,1,,,,,,,,,,,,,,,")).unwrap();
            writeln!(
                out,
                "{}",
                nmea::sentence(&format!("GPGGA,{t},,,,,0,00,,,M,,M,,"))
            )
            .unwrap();
            writeln!(
                out,
                "{}",
                nmea::sentence(&format!("GPRMC,{t},V,,,,,,,271126,,,N"))
            )
            .unwrap();
            continue;
        }
        writeln!(
            out,
            "{}",
            nmea::sentence("GNGSA,A,3,04,05,09,12,24,25,29,,,,,,1.8,0.9,1.5")
        )
        .unwrap();
        let gga = nmea::sentence(&format!("GNGGA,{t},{la},{lo},1,08,0.9,41.5,M,46.9,M,,"));
        if i % 17 == 5 {
            // Flip one digit: the checksum no longer matches; the report is lost, not misread.
            let bad = gga.replacen("GNGGA,", "GNGGA,9", 1);
            writeln!(out, "{bad}").unwrap();
        } else {
            writeln!(out, "{gga}").unwrap();
        }
        writeln!(
            out,
            "{}",
            nmea::sentence(&format!("GNRMC,{t},A,{la},{lo},19.4,84.4,271126,,,A"))
        )
        .unwrap();
        if i == 50 {
            writeln!(out, "garbage line with no dollar").unwrap();
        }
    }
    out
}

struct Drive {
    samples: Vec<Sample>,
    truth: (f64, f64),
    track: Track,
}

/// Drive the route; at each second the power of the transmitter at `tx` (local metres) is
/// `-40 dBFS at 100 m` minus the path loss with `exponent`, plus N(0, shadow_db) shadowing;
/// the position is whatever the NMEA track says at that second.
fn drive(seed: u64, points: &[(f64, f64)], tx: (f64, f64), exponent: f64, shadow_db: f64) -> Drive {
    let text = nmea_track(points, 30..34);
    let track = Track::from_lines(text.lines(), "test", 5.0);
    let mut rng = Rng::new(seed);
    let enu = Enu::new(LAT0, LON0);
    let mut samples = Vec::new();
    for (i, &(x, y)) in points.iter().enumerate() {
        let d = ((x - tx.0).powi(2) + (y - tx.1).powi(2) + 15.0f64.powi(2)).sqrt();
        let p = -40.0 - path_loss_db(d, exponent) + shadow_db * rng.gaussian();
        // Measured half a second after the report (the spectrum interval ends later).
        if let PositionStatus::Fix { fix, .. } = track.at(i as f64 + 0.5) {
            samples.push(Sample {
                lat_deg: fix.lat_deg,
                lon_deg: fix.lon_deg,
                power_dbfs: p,
            });
        }
    }
    Drive {
        samples,
        truth: enu.to_latlon(tx.0, tx.1),
        track,
    }
}

#[test]
fn nmea_track_has_the_dropout_and_counts_the_bad_sentences() {
    let pts = route(1000.0, 10.0, true);
    let d = drive(1, &pts, (400.0, 200.0), 3.0, 4.0);
    let c = &d.track.counters;
    // 101 seconds, one corrupted GGA every 17 s outside the dropout, one junk line.
    let corrupted = (0..=100usize)
        .filter(|i| i % 17 == 5 && !(30..34).contains(i))
        .count() as u64;
    assert_eq!(c.checksum_errors, corrupted);
    assert_eq!(c.malformed, 1);
    assert_eq!(c.no_fix, 4);
    // A GGA lost to a bad checksum leaves the previous fix in place (1 s old, not stale); the
    // four no-fix seconds give no sample.
    assert_eq!(d.samples.len(), 101 - 4);
    assert!(matches!(d.track.at(31.5), PositionStatus::Lost { .. }));
    assert!(matches!(d.track.at(-1.0), PositionStatus::Lost { .. }));
    assert!(matches!(d.track.at(107.0), PositionStatus::Lost { .. }));
}

#[test]
fn one_km_drive_locates_the_transmitter_within_100_m() {
    // A block-shaped 1 km drive (600 m east, 400 m north); the transmitter stands 200 m north of
    // the first road. Three true exponents (the fit's prior is 3.0 ± 0.7), 4 dB shadowing, ten
    // seeds each.
    let pts = route(1000.0, 10.0, true);
    let cfg = LocateConfig::default();
    let (mut errors, mut covered, mut mean_n) = (Vec::new(), 0, Vec::new());
    for exponent in [2.4, 3.2, 4.2] {
        let mut sum_n = 0.0;
        for seed in 1..=10u64 {
            let d = drive(seed, &pts, (400.0, 200.0), exponent, 4.0);
            let est = locate(&d.samples, &cfg).unwrap();
            let err = distance_m(est.lat_deg, est.lon_deg, d.truth.0, d.truth.1);
            eprintln!(
                "n {exponent} seed {seed}: error {err:.1} m, radius {} m, fitted n {:?}, sigma {:?} dB",
                est.radius_m,
                est.exponent.unwrap(),
                est.residual_sigma_db.unwrap()
            );
            assert_eq!(est.method, Method::PathLoss, "{est:?}");
            assert!(
                err < 100.0,
                "n {exponent} seed {seed}: {err:.1} m off: {est:?}"
            );
            assert!(est.radius_m > 0.0 && est.radius_m < 300.0, "{est:?}");
            sum_n += est.exponent.unwrap();
            assert!(
                est.route_m > 950.0 && est.route_m < 1050.0,
                "{}",
                est.route_m
            );
            covered += usize::from(err <= est.radius_m);
            errors.push(err);
        }
        mean_n.push(sum_n / 10.0);
    }
    // The exponent alone is poorly determined by one pass (it trades off against distance), but
    // on average it follows the truth.
    eprintln!("mean fitted exponents for 2.4, 3.2, 4.2: {mean_n:.2?}");
    assert!(mean_n[0] < mean_n[1] && mean_n[1] < mean_n[2], "{mean_n:?}");
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    let max = errors.iter().copied().fold(0.0, f64::max);
    eprintln!(
        "mean error {mean:.1} m, max {max:.1} m over {} drives; inside the 95 % radius: {covered}",
        errors.len()
    );
    assert!(
        covered * 10 >= errors.len() * 8,
        "radius too optimistic: {covered}/{}",
        errors.len()
    );
}

#[test]
fn outliers_do_not_drag_the_robust_fit() {
    let pts = route(1000.0, 10.0, true);
    let mut d = drive(3, &pts, (400.0, 200.0), 3.0, 3.0);
    // Ten readings 25 dB too strong near the start (a reflection, a passing truck).
    for s in d.samples.iter_mut().skip(5).step_by(9).take(10) {
        s.power_dbfs += 25.0;
    }
    let est = locate(&d.samples, &LocateConfig::default()).unwrap();
    let err = distance_m(est.lat_deg, est.lon_deg, d.truth.0, d.truth.1);
    assert!(err < 100.0, "{err:.1} m off: {est:?}");
}

#[test]
fn straight_road_reports_the_mirror_ambiguity() {
    let pts = route(1000.0, 10.0, false);
    let d = drive(2, &pts, (500.0, 200.0), 3.0, 3.0);
    let est = locate(&d.samples, &LocateConfig::default()).unwrap();
    let alt = est
        .alternative
        .expect("a straight road cannot tell the sides apart");
    let e1 = distance_m(est.lat_deg, est.lon_deg, d.truth.0, d.truth.1);
    let e2 = distance_m(alt[0], alt[1], d.truth.0, d.truth.1);
    assert!(e1.min(e2) < 100.0, "{e1:.0} / {e2:.0} m: {est:?}");
    assert!(
        e1.max(e2) > 250.0,
        "the two should be on opposite sides: {est:?}"
    );
}

#[test]
fn few_samples_or_short_route_fall_back_to_the_weighted_centroid() {
    let pts = route(1000.0, 10.0, true);
    let d = drive(4, &pts, (400.0, 200.0), 3.0, 2.0);
    let est = locate(&d.samples[..5], &LocateConfig::default()).unwrap();
    assert_eq!(est.method, Method::WeightedCentroid);
    assert!(est.fallback_reason.unwrap().contains("5 samples"));
    // 30 m of road: too short for a fit.
    let short = route(30.0, 1.0, false);
    let d = drive(4, &short, (15.0, 200.0), 3.0, 2.0);
    let est = locate(&d.samples, &LocateConfig::default()).unwrap();
    assert_eq!(est.method, Method::WeightedCentroid);
    assert!(est.radius_m >= 50.0);
}

#[test]
fn bad_samples_are_errors_not_panics() {
    assert_eq!(
        locate(&[], &LocateConfig::default()),
        Err(LocateError::NoSamples)
    );
    let s = [Sample {
        lat_deg: 52.0,
        lon_deg: 13.0,
        power_dbfs: f64::NAN,
    }];
    assert!(matches!(
        locate(&s, &LocateConfig::default()),
        Err(LocateError::BadSample { index: 0, .. })
    ));
    let s = [Sample {
        lat_deg: 95.0,
        lon_deg: 13.0,
        power_dbfs: -40.0,
    }];
    assert!(locate(&s, &LocateConfig::default()).is_err());
    let cfg = LocateConfig {
        n_min: 4.0,
        n_max: 2.0,
        ..LocateConfig::default()
    };
    assert!(matches!(locate(&[], &cfg), Err(LocateError::Config(_))));
}

#[test]
fn locate_command_writes_geojson_and_kml() {
    let dir = tempfile::tempdir().unwrap();
    let pts = route(1000.0, 10.0, true);
    let d = drive(5, &pts, (400.0, 200.0), 3.0, 3.0);
    let mut csv = String::from("lat,lon,power_dbfs\n");
    for s in &d.samples {
        writeln!(csv, "{},{},{}", s.lat_deg, s.lon_deg, s.power_dbfs).unwrap();
    }
    let csv_path = dir.path().join("drive.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let gj = dir.path().join("out.geojson");
    let kml = dir.path().join("out.kml");
    let out = succeed(
        towerwatch()
            .arg("locate")
            .arg(&csv_path)
            .arg("--geojson")
            .arg(&gj)
            .arg("--kml")
            .arg(&kml)
            .arg("--json"),
    );
    let est: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (lat, lon) = (
        est["lat_deg"].as_f64().unwrap(),
        est["lon_deg"].as_f64().unwrap(),
    );
    assert!(distance_m(lat, lon, d.truth.0, d.truth.1) < 100.0, "{est}");
    let g: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&gj).unwrap()).unwrap();
    assert_eq!(g["type"], "FeatureCollection");
    let kinds: Vec<&str> = g["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "sample").count(),
        d.samples.len()
    );
    for k in ["track", "estimate", "uncertainty"] {
        assert!(kinds.contains(&k), "{k} missing: {kinds:?}");
    }
    let circle = g["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["kind"] == "uncertainty")
        .unwrap();
    let ring = circle["geometry"]["coordinates"][0].as_array().unwrap();
    assert_eq!(ring.first(), ring.last(), "a closed ring");
    let r = est["radius_m"].as_f64().unwrap();
    let p = ring[10].as_array().unwrap();
    let dr = distance_m(lat, lon, p[1].as_f64().unwrap(), p[0].as_f64().unwrap());
    assert!(
        (dr - r).abs() < 0.02 * r + 1.0,
        "ring at {dr} m, radius {r} m"
    );
    let k = std::fs::read_to_string(&kml).unwrap();
    assert!(k.starts_with("<?xml"));
    for tag in ["<Polygon>", "<LineString>", "<Point>", "</kml>"] {
        assert!(k.contains(tag), "{tag} missing");
    }
    assert_eq!(k.matches("<Placemark>").count(), d.samples.len() + 3);

    // A CSV with a broken line is an error naming the line, exit status 2.
    std::fs::write(&csv_path, "lat,lon,power\n52.5,13.4,-50\n52.5,abc,-40\n").unwrap();
    let out = towerwatch().arg("locate").arg(&csv_path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 3"));
}

/// The same drive through the whole chain: the scene generator transmits the rogue cell with a
/// power profile from the path-loss model (plus shadowing), `replay --nmea` stamps the measured
/// channel powers with positions from the scripted NMEA track, and `locate` reads the log. Time
/// is fast-forwarded 10× (the 1 km drive takes 10 s of signal, a GPS report every 0.1 s) to keep
/// the test cheap; nothing in the chain depends on the speed.
#[test]
fn generated_scene_drive_through_replay_and_locate() {
    for seed in [11, 12, 13] {
        generated_drive(seed);
    }
}

fn generated_drive(seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let pts = route(1000.0, 10.0, true);
    let tx = (400.0, 200.0);
    let enu = Enu::new(LAT0, LON0);
    let truth = enu.to_latlon(tx.0, tx.1);
    // NMEA track: a report every 0.1 s.
    let mut nmea_text = String::new();
    for (i, &(x, y)) in pts.iter().enumerate() {
        let (lat, lon) = enu.to_latlon(x, y);
        let t = hms(43_200.0 + i as f64 * 0.1);
        let (la, lo) = (nmea_coord(lat, true), nmea_coord(lon, false));
        writeln!(
            nmea_text,
            "{}",
            nmea::sentence(&format!("GPGGA,{t},{la},{lo},1,08,0.9,41.5,M,46.9,M,,"))
        )
        .unwrap();
    }
    let track = dir.path().join("drive.nmea");
    std::fs::write(&track, nmea_text).unwrap();
    // Power profile: path loss (n = 3.2) and 4 dB shadowing at each report, linear in between.
    let mut rng = Rng::new(seed);
    let profile: Vec<String> = pts
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| {
            let d = ((x - tx.0).powi(2) + (y - tx.1).powi(2) + 15.0f64.powi(2)).sqrt();
            let db = -path_loss_db(d, 3.2) + 4.0 * rng.gaussian();
            format!("[{:.2}, {db:.2}]", i as f64 * 0.1 + 0.05)
        })
        .collect();
    let scene = format!(
        r#"[scene]
name = "drive-locate"
sample_rate_sps = 500_000
center_freq_hz = 939_200_000
duration_s = 10.1
seed = 3
snr_db = 75.0

[[cell]]
name = "rogue"
band = "gsm900"
arfcn = 21
ncc = 3
bcc = 7
mcc = 262
mnc = 1
lac = 6001
ci = 4242

[cell.physics]
power_db = 0.0
power_profile = [{}]
"#,
        profile.join(", ")
    );
    let scene_path = dir.path().join("drive.toml");
    std::fs::write(&scene_path, scene).unwrap();
    let log = dir.path().join("drive.jsonl");
    succeed(
        towerwatch()
            .arg("replay")
            .arg(format!("scene:{}", scene_path.display()))
            .args(["--no-gsm", "--interval", "0.1", "-o"])
            .arg(&log)
            .arg("--nmea")
            .arg(&track),
    );
    let out = succeed(
        towerwatch()
            .arg("locate")
            .arg(&log)
            .args(["--arfcn", "21", "--band", "gsm900", "--json"]),
    );
    let est: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let err = distance_m(
        est["lat_deg"].as_f64().unwrap(),
        est["lon_deg"].as_f64().unwrap(),
        truth.0,
        truth.1,
    );
    eprintln!("generated drive seed {seed}: error {err:.1} m, estimate {est}");
    assert_eq!(est["method"], "path_loss", "{est}");
    assert!(est["samples"].as_u64().unwrap() >= 95, "{est}");
    assert!(err < 100.0, "{err:.1} m off: {est}");
}

/// Shadowing correlated along the route (Gudmundson AR(1), 50 m decorrelation distance): harder
/// than independent readings, and the uncertainty radius must widen to match.
#[test]
fn correlated_shadowing_widens_the_radius_honestly() {
    let pts = route(1000.0, 10.0, true);
    for sigma in [4.0, 6.0] {
        let (mut errs, mut radii, mut covered) = (Vec::new(), Vec::new(), 0);
        for seed in 1..=20u64 {
            let mut d = drive(seed, &pts, (400.0, 200.0), 3.2, 0.0);
            let rho = (-10.0f64 / 50.0).exp();
            let mut rng = Rng::new(seed + 1000);
            let mut s = sigma * rng.gaussian();
            for smp in d.samples.iter_mut() {
                smp.power_dbfs += s;
                s = rho * s + sigma * (1.0 - rho * rho).sqrt() * rng.gaussian();
            }
            let est = locate(&d.samples, &LocateConfig::default()).unwrap();
            let err = distance_m(est.lat_deg, est.lon_deg, d.truth.0, d.truth.1);
            covered += usize::from(err <= est.radius_m);
            errs.push(err);
            radii.push(est.radius_m);
        }
        eprintln!(
            "shadowing {sigma} dB, 50 m: errors {errs:.0?} m, radii {radii:.0?} m, covered {covered}/20"
        );
        errs.sort_by(f64::total_cmp);
        assert!(covered >= 18, "95 % radius covers only {covered}/20");
        let within_100 = errs.iter().filter(|e| **e < 100.0).count();
        if sigma == 4.0 {
            assert!(within_100 >= 15, "{within_100}/20 within 100 m");
        }
        assert!(errs[10] < 80.0, "median error {:.0} m", errs[10]);
    }
}

#[test]
fn odd_inputs_give_an_answer_not_a_panic() {
    let cfg = LocateConfig::default();
    let mut rng = Rng::new(99);
    for case in 0..200 {
        let n = 1 + (rng.next_u64() % 60) as usize;
        let spread_deg = [0.0, 1e-6, 1e-3, 0.05][case % 4];
        let (lat0, lon0) = [
            (52.52, 13.405),
            (0.0, 179.9995),
            (-89.9, 0.0),
            (60.0, -180.0),
        ][case / 4 % 4];
        let flat = case % 5 == 0;
        let samples: Vec<Sample> = (0..n)
            .map(|_| Sample {
                lat_deg: (lat0 + spread_deg * (rng.uniform() - 0.5)).clamp(-90.0, 90.0),
                lon_deg: {
                    let mut l = lon0 + spread_deg * (rng.uniform() - 0.5);
                    if l > 180.0 {
                        l -= 360.0;
                    }
                    if l < -180.0 {
                        l += 360.0;
                    }
                    l
                },
                power_dbfs: if flat {
                    -50.0
                } else {
                    -90.0 + 80.0 * rng.uniform()
                },
            })
            .collect();
        let est = locate(&samples, &cfg).unwrap();
        assert!(
            est.lat_deg.is_finite() && est.lon_deg.is_finite() && est.radius_m.is_finite(),
            "case {case}: {est:?}"
        );
        assert!((-90.0..=90.0).contains(&est.lat_deg) && (-180.0..=180.0).contains(&est.lon_deg));
        assert!(est.radius_m > 0.0);
    }
}
