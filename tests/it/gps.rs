//! GPS: NMEA parsing (good and bad sentences), a gpsd-protocol server on loopback feeding the
//! client, staleness, and positions on `replay` / `find` output.

use crate::common;
use common::{succeed, towerwatch};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};
use towerwatch::gps::nmea::{self, NmeaDecoder, NmeaError, Sentence};
use towerwatch::gps::{FixQuality, GpsEvent, GpsSource, PositionStatus, parse_position};
use towerwatch_dsp::signal::Rng;

const GGA: &str = "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47";
const RMC: &str = "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A";

#[test]
fn good_sentences_parse() {
    let Sentence::Gga(g) = nmea::parse(GGA).unwrap() else {
        panic!("not GGA")
    };
    let (lat, lon) = g.position.unwrap();
    assert!((lat - (48.0 + 7.038 / 60.0)).abs() < 1e-9);
    assert!((lon - (11.0 + 31.0 / 60.0)).abs() < 1e-9);
    assert_eq!(g.quality, 1);
    assert_eq!(g.satellites, Some(8));
    assert_eq!(g.hdop, Some(0.9));
    assert_eq!(g.alt_m, Some(545.4));
    assert_eq!(g.time.unwrap().day_s, 12.0 * 3600.0 + 35.0 * 60.0 + 19.0);
    let Sentence::Rmc(r) = nmea::parse(RMC).unwrap() else {
        panic!("not RMC")
    };
    assert!(r.valid);
    assert_eq!(r.date.unwrap().year, 1994);
    // Southern/western hemispheres are negative.
    let s = nmea::sentence("GNGGA,000001.00,3352.1234,S,15112.5000,W,2,10,1.1,12.0,M,,M,,");
    let Sentence::Gga(g) = nmea::parse(&s).unwrap() else {
        panic!()
    };
    let (lat, lon) = g.position.unwrap();
    assert!(lat < -33.8 && lon < -151.2);
    // Other sentence types are valid but ignored.
    assert_eq!(
        nmea::parse(&nmea::sentence("GPGSV,1,1,01,04,45,120,40")).unwrap(),
        Sentence::Other("GSV".into())
    );
}

#[test]
fn bad_sentences_are_counted_not_fatal() {
    // Checksum mismatch (one digit changed).
    let bad = GGA.replace("4807.038", "4807.039");
    assert!(matches!(
        nmea::parse(&bad),
        Err(NmeaError::Checksum { stated: 0x47, .. })
    ));
    // Missing or malformed checksum.
    assert_eq!(
        nmea::parse("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"),
        Err(NmeaError::MissingChecksum)
    );
    assert_eq!(nmea::parse("$GPGGA,1*ZZ"), Err(NmeaError::MissingChecksum));
    assert_eq!(nmea::parse("hello"), Err(NmeaError::NotNmea));
    // Fields out of range, with correct checksums.
    for body in [
        "GPGGA,123519,4875.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,", // 75 minutes
        "GPGGA,123519,4807.038,X,01131.000,E,1,08,0.9,545.4,M,46.9,M,,", // hemisphere
        "GPGGA,253519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,", // hour 25
        "GPGGA,123519,9107.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,", // lat > 90
        "GPGGA,123519,4807.038,N,01131.000,E,x,08,0.9,545.4,M,46.9,M,,", // quality
        "GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,320394,003.1,W", // day 32
        "GPGGA,123519,48",                                               // truncated
        "GPGSA,A,7,,,,,,,,,,,,,1.0,1.0,1.0",                             // mode 7
    ] {
        let s = nmea::sentence(body);
        assert!(
            matches!(
                nmea::parse(&s),
                Err(NmeaError::BadField { .. } | NmeaError::TooShort(_))
            ),
            "{s} should be rejected: {:?}",
            nmea::parse(&s)
        );
    }
    let mut dec = NmeaDecoder::new("test");
    for line in [bad.as_str(), "garbage", "$GPGGA,1*ZZ", "", GGA] {
        let _ = dec.feed(line);
    }
    assert_eq!(dec.counters.checksum_errors, 1);
    assert_eq!(dec.counters.malformed, 2);
    assert_eq!(dec.counters.fixes, 1);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng::new(7);
    let alphabet = b"$*,.0123456789ABCDEFGNPSWVMRQ\xc3\xa9 ";
    let mut dec = NmeaDecoder::new("fuzz");
    for _ in 0..20_000 {
        let len = (rng.next_u64() % 90) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| alphabet[(rng.next_u64() % alphabet.len() as u64) as usize])
            .collect();
        let line = String::from_utf8_lossy(&bytes).to_string();
        let _ = dec.feed(&line);
        // Also mutate a real sentence and fix its checksum, so the field parsers get exercised.
        let mut body: Vec<u8> = GGA[1..GGA.len() - 3].bytes().collect();
        let i = (rng.next_u64() % body.len() as u64) as usize;
        body[i] = alphabet[(rng.next_u64() % 29) as usize];
        let _ = dec.feed(&nmea::sentence(&String::from_utf8_lossy(&body)));
    }
    assert!(dec.counters.checksum_errors + dec.counters.malformed > 10_000);
}

#[test]
fn no_fix_sentences_give_no_fix_events() {
    let mut dec = NmeaDecoder::new("test");
    let ev = dec.feed(&nmea::sentence("GPGGA,120000.00,,,,,0,00,99.9,,M,,M,,"));
    assert!(matches!(ev, Some(GpsEvent::NoFix { .. })), "{ev:?}");
    // Position present but quality 0: still no fix.
    let ev = dec.feed(&nmea::sentence(
        "GPGGA,120001.00,4807.038,N,01131.000,E,0,00,,,M,,M,,",
    ));
    assert!(matches!(ev, Some(GpsEvent::NoFix { .. })));
    let mut dec = NmeaDecoder::new("test");
    let ev = dec.feed(&nmea::sentence("GPRMC,120000.00,V,,,,,,,271126,,,N"));
    assert!(matches!(ev, Some(GpsEvent::NoFix { .. })));
    assert_eq!(dec.counters.no_fix, 2 - 1);
}

#[test]
fn decoder_combines_date_mode_and_position() {
    let mut dec = NmeaDecoder::new("nmea:test");
    assert!(
        dec.feed(&nmea::sentence(
            "GNRMC,235959.50,A,5231.200,N,01324.300,E,0.1,0.0,271126,,,A"
        ))
        .is_some()
    );
    assert!(
        dec.feed(&nmea::sentence("GNGSA,A,2,04,05,09,,,,,,,,,,2.0,1.2,1.6"))
            .is_none()
    );
    let Some(GpsEvent::Fix(f)) = dec.feed(&nmea::sentence(
        "GNGGA,235959.50,5231.200,N,01324.300,E,1,05,1.2,,M,,M,,",
    )) else {
        panic!("no fix")
    };
    assert_eq!(f.quality, FixQuality::Fix2d);
    assert_eq!(f.time_utc.as_deref(), Some("2026-11-27T23:59:59.500Z"));
    assert!((f.unix_s.unwrap() - 1_795_823_999.5).abs() < 1e-6);
    assert!((f.lat_deg - 52.52).abs() < 1e-9 && (f.lon_deg - 13.405).abs() < 1e-9);
    // Once GGA is flowing, RMC no longer produces its own events (no duplicates).
    assert!(
        dec.feed(&nmea::sentence(
            "GNRMC,000000.50,A,5231.200,N,01324.300,E,0.1,0.0,281126,,,A"
        ))
        .is_none()
    );
    assert!(parse_position("52.52,13.405").is_ok());
    assert!(parse_position("-33.9,-151.2").is_ok());
    for bad in ["52.52", "91,0", "0,181", "a,b", ""] {
        assert!(parse_position(bad).is_err(), "{bad}");
    }
}

fn wait_for(src: &GpsSource, what: &str, pred: impl Fn(&PositionStatus) -> bool) -> PositionStatus {
    let t0 = Instant::now();
    loop {
        let s = src.status();
        if pred(&s) {
            return s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}; last {s:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

const TPV_FIX: &str = r#"{"class":"TPV","device":"/dev/ttyACM0","mode":3,"time":"2026-11-27T23:50:00.000Z","lat":52.520008,"lon":13.404954,"altHAE":74.3,"eph":4.1}"#;

/// A gpsd on loopback: checks the WATCH command, sends a session, closes, then serves a second
/// connection (the client must reconnect).
#[test]
fn gpsd_client_reads_a_loopback_server_and_reconnects() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<&'static str>();
    let server = std::thread::spawn(move || {
        let mut watches = Vec::new();
        for round in 0..2 {
            let (sock, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(sock.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            watches.push(line.clone());
            let mut w = sock;
            writeln!(
                w,
                r#"{{"class":"VERSION","release":"3.25","proto_major":3,"proto_minor":15}}"#
            )
            .unwrap();
            writeln!(
                w,
                r#"{{"class":"DEVICES","devices":[{{"path":"/dev/ttyACM0"}}]}}"#
            )
            .unwrap();
            writeln!(w, r#"{{"class":"WATCH","enable":true,"json":true}}"#).unwrap();
            writeln!(w, "this is not json").unwrap();
            writeln!(w, r#"{{"class":"SKY","hdop":0.8,"satellites":[{{"PRN":4,"used":true}},{{"PRN":5,"used":true}},{{"PRN":9,"used":false}}]}}"#).unwrap();
            // A TPV split across two writes (a partial line at a read boundary).
            let (a, b) = TPV_FIX.split_at(40);
            w.write_all(a.as_bytes()).unwrap();
            w.flush().unwrap();
            std::thread::sleep(Duration::from_millis(300));
            writeln!(w, "{b}").unwrap();
            if round == 0 {
                // Wait until the test has seen the fix, then report no fix, then hang up.
                assert_eq!(rx.recv().unwrap(), "seen fix");
                writeln!(
                    w,
                    r#"{{"class":"TPV","mode":1,"time":"2026-11-27T23:50:01.000Z"}}"#
                )
                .unwrap();
                assert_eq!(rx.recv().unwrap(), "seen no fix");
            } else {
                assert_eq!(rx.recv().unwrap(), "done");
            }
        }
        watches
    });
    let src = GpsSource::gpsd(&addr.to_string(), 30.0).unwrap();
    let s = wait_for(&src, "fix", |s| s.fix().is_some());
    let f = s.fix().unwrap();
    assert_eq!(f.quality, FixQuality::Fix3d);
    assert!((f.lat_deg - 52.520008).abs() < 1e-9 && (f.lon_deg - 13.404954).abs() < 1e-9);
    assert_eq!(f.alt_m, Some(74.3));
    assert_eq!(f.hdop, Some(0.8));
    assert_eq!(f.satellites, Some(2));
    assert_eq!(f.source, format!("gpsd:{addr}"));
    let (pos, status) = s.to_json();
    assert_eq!(pos["fix"], "3d");
    assert_eq!(status["status"], "fix");
    tx.send("seen fix").unwrap();
    let s = wait_for(&src, "no fix", |s| s.fix().is_none());
    let PositionStatus::Lost { reason, .. } = &s else {
        panic!()
    };
    assert!(reason.contains("no fix"), "{reason}");
    let (pos, status) = s.to_json();
    assert!(pos.is_null());
    assert_eq!(status["status"], "lost");
    tx.send("seen no fix").unwrap();
    // The server hangs up; the client reconnects after its back-off and gets a fix again.
    wait_for(&src, "fix after reconnect", |s| s.fix().is_some());
    tx.send("done").unwrap();
    let watches = server.join().unwrap();
    assert_eq!(watches.len(), 2);
    for w in &watches {
        assert!(w.starts_with("?WATCH="), "{w}");
        let v: serde_json::Value =
            serde_json::from_str(w.trim().trim_start_matches("?WATCH=")).unwrap();
        assert_eq!(v["enable"], true);
        assert_eq!(v["json"], true);
    }
    let c = src.counters().gpsd.unwrap();
    assert_eq!(c.connects, 2);
    assert!(c.bad_lines >= 2, "{c:?}");
    assert!(c.tpv >= 3, "{c:?}");
}

#[test]
fn a_silent_gpsd_goes_stale_and_an_absent_one_is_reported() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let mut w = sock;
        writeln!(w, "{TPV_FIX}").unwrap();
        std::thread::sleep(Duration::from_secs(2));
    });
    let src = GpsSource::gpsd(&addr.to_string(), 0.4).unwrap();
    wait_for(&src, "fix", |s| s.fix().is_some());
    let s = wait_for(&src, "stale", |s| s.fix().is_none());
    let PositionStatus::Lost {
        reason,
        last_fix_age_s,
    } = s
    else {
        panic!()
    };
    assert!(reason.contains("stale"), "{reason}");
    assert!(last_fix_age_s.unwrap() > 0.4);
    server.join().unwrap();

    // Nothing listening: lost, with the connection problem as the reason; never a panic.
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let src = GpsSource::gpsd(&dead_addr.to_string(), 1.0).unwrap();
    let s = wait_for(&src, "a connection failure", |_| {
        src.counters().gpsd.is_some_and(|c| c.connect_failures > 0)
    });
    assert!(s.fix().is_none());
    assert!(GpsSource::gpsd("no-port", 1.0).is_err());
}

#[test]
fn nmea_file_is_paced_by_its_sentence_times() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("gps.nmea");
    let mut text = String::new();
    for i in 0..4 {
        let t = format!("1200{:05.2}", i as f64 * 0.3);
        text.push_str(&nmea::sentence(&format!(
            "GPGGA,{t},5231.200,N,01324.{:03},E,1,07,1.0,40.0,M,,M,,",
            300 + i
        )));
        text.push('\n');
    }
    std::fs::write(&p, text).unwrap();
    let t0 = Instant::now();
    let src = GpsSource::nmea(&p, 5.0).unwrap();
    wait_for(&src, "first fix", |s| s.fix().is_some());
    let s = wait_for(&src, "last fix", |s| {
        s.fix()
            .is_some_and(|f| (f.lon_deg - (13.0 + 24.303 / 60.0)).abs() < 1e-9)
    });
    assert!(t0.elapsed() >= Duration::from_millis(800), "not paced");
    assert_eq!(s.fix().unwrap().source, format!("nmea:{}", p.display()));
    assert_eq!(src.counters().nmea.unwrap().fixes, 4);
    assert!(GpsSource::nmea(&dir.path().join("absent"), 5.0).is_err());
}

fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn replay_lines_carry_positions_and_show_a_lost_fix() {
    let spec = "synth:rate=1e6,freq=941e6,tone=200e3@-20,noise=-70,seconds=6";
    // A fixed position: every observation carries it.
    let out =
        succeed(towerwatch().args(["replay", spec, "--no-gsm", "--position", "52.52,13.405"]));
    let lines = json_lines(&out.stdout);
    let spectra: Vec<_> = lines.iter().filter(|v| v["type"] == "spectrum").collect();
    assert_eq!(spectra.len(), 6);
    for s in &spectra {
        assert_eq!(s["position"]["fix"], "fixed");
        assert_eq!(s["position"]["lat_deg"], 52.52);
        assert_eq!(s["gps"]["status"], "fix");
    }
    // Without GPS flags the lines are unchanged (no position key).
    let out = towerwatch()
        .args(["replay", spec, "--no-gsm"])
        .output()
        .unwrap();
    assert!(
        json_lines(&out.stdout)
            .iter()
            .all(|v| v.get("position").is_none())
    );

    // An NMEA track: fix for 0–2 s, no fix at 2–3 s, fix again, and ends at 4 s (the 5 s report
    // has a bad checksum). Each spectrum is placed at the middle of its 1 s interval.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("track.nmea");
    let mut t = String::new();
    for i in 0..=4 {
        let hms = format!("0800{i:02}.00");
        let body = if i == 2 {
            format!("GPGGA,{hms},,,,,0,00,,,M,,M,,")
        } else {
            format!(
                "GPGGA,{hms},5231.{:03},N,01324.300,E,1,09,0.9,40.0,M,,M,,",
                200 + i
            )
        };
        t.push_str(&nmea::sentence(&body));
        t.push('\n');
    }
    t.push_str("$GPGGA,080005.00,5231.205,N,01324.300,E,1,09,0.9,40.0,M,,M,,*00\n");
    std::fs::write(&p, t).unwrap();
    let out = succeed(
        towerwatch()
            .args(["replay", spec, "--no-gsm", "--gps-stale", "1.2", "--nmea"])
            .arg(&p),
    );
    let lines = json_lines(&out.stdout);
    let spectra: Vec<_> = lines.iter().filter(|v| v["type"] == "spectrum").collect();
    let status: Vec<(&str, Option<f64>)> = spectra
        .iter()
        .map(|s| {
            (
                s["gps"]["status"].as_str().unwrap(),
                s["position"]["lat_deg"].as_f64(),
            )
        })
        .collect();
    assert_eq!(status[0], ("fix", Some(52.52)));
    assert_eq!(status[1].0, "fix");
    assert_eq!(status[2].0, "lost");
    assert!(spectra[2]["position"].is_null());
    assert!(
        spectra[2]["gps"]["reason"]
            .as_str()
            .unwrap()
            .contains("no fix")
    );
    assert_eq!(status[3].0, "fix");
    assert_eq!(status[4].0, "fix");
    assert_eq!(
        status[5].0, "lost",
        "5.5 s: the last fix (4 s) is stale at 1.2 s"
    );
    let summary = lines.iter().find(|v| v["type"] == "summary").unwrap();
    assert_eq!(summary["gps"]["counters"]["checksum_errors"], 1);
    assert_eq!(summary["gps"]["counters"]["no_fix"], 1);

    // A bad --position is exit status 2 with a clear message.
    let out = towerwatch()
        .args(["replay", spec, "--no-gsm", "--position", "95,13"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--position"));
}

#[test]
fn replay_log_feeds_locate() {
    // Positions from a track, power from a steady tone: too little variation to fit, so the
    // command still answers (centroid or fit) and says how.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("track.nmea");
    let mut t = String::new();
    for i in 0..6 {
        t.push_str(&nmea::sentence(&format!(
            "GPGGA,0800{i:02}.00,5231.200,N,01324.{:03},E,1,09,0.9,40.0,M,,M,,",
            300 + 100 * i
        )));
        t.push('\n');
    }
    std::fs::write(&p, t).unwrap();
    let log = dir.path().join("obs.jsonl");
    let out = towerwatch()
        .args([
            "replay",
            "synth:rate=1e6,freq=941e6,tone=200e3@-20,noise=-70,seconds=6",
            "--no-gsm",
            "--nmea",
        ])
        .arg(&p)
        .arg("-o")
        .arg(&log)
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = succeed(
        towerwatch()
            .arg("locate")
            .arg(&log)
            .args(["--arfcn", "31", "--band", "gsm900", "--json"]),
    );
    let est: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(est["samples"], 6);
    assert_eq!(est["method"], "weighted_centroid");
    assert!(String::from_utf8_lossy(&out.stderr).contains("6 with a position"));
    // Without --arfcn a log is refused with an explanation.
    let out = towerwatch().arg("locate").arg(&log).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--arfcn"));
}

#[test]
fn find_follows_a_rising_cell() {
    // drive-by: the rogue cell on ARFCN 21 rises by 2 dB/s from 0.05 s.
    let root = env!("CARGO_MANIFEST_DIR");
    let spec = format!("scene:{root}/recordings/scenes/drive-by.toml,seconds=3");
    let out = succeed(towerwatch().args([
        "find",
        "gsm900:21",
        &spec,
        "--fast",
        "--json",
        "--position",
        "52.5,13.4",
    ]));
    let lines = json_lines(&out.stdout);
    assert!(lines.len() >= 10, "{} readings", lines.len());
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "find");
    assert_eq!(last["arfcn"], 21);
    assert_eq!(last["trend"], "hotter", "{last}");
    let rate = last["rate_db_per_s"].as_f64().unwrap();
    assert!((1.0..3.0).contains(&rate), "rate {rate}");
    assert_eq!(last["position"]["fix"], "fixed");
    // Text mode prints one line per reading when not on a terminal.
    let out = towerwatch()
        .args(["find", "21", "--band", "gsm900", &spec, "--fast"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().count() >= 10);
    assert!(text.contains("dB/s") && text.contains("HOTTER"), "{text}");
    // A cell outside the recording's band is an error.
    let out = towerwatch()
        .args(["find", "gsm900:100", &spec, "--fast"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("outside"));
}

#[test]
fn track_times_survive_midnight_and_a_late_date() {
    // GGA before the first RMC (no date yet), then RMC, across midnight.
    let lines = [
        nmea::sentence("GPGGA,235959.00,5231.200,N,01324.300,E,1,08,0.9,40.0,M,,M,,"),
        nmea::sentence("GPRMC,235959.00,A,5231.200,N,01324.300,E,0.0,0.0,271126,,,A"),
        nmea::sentence("GPGGA,000000.00,5231.201,N,01324.300,E,1,08,0.9,40.0,M,,M,,"),
        nmea::sentence("GPRMC,000000.00,A,5231.201,N,01324.300,E,0.0,0.0,281126,,,A"),
        nmea::sentence("GPGGA,000001.00,5231.202,N,01324.300,E,1,08,0.9,40.0,M,,M,,"),
    ];
    let t = towerwatch::gps::Track::from_lines(lines.iter().map(String::as_str), "t", 5.0);
    let times: Vec<f64> = t.events.iter().map(|e| e.0).collect();
    assert_eq!(times, vec![0.0, 1.0, 2.0]);
    let PositionStatus::Fix { fix, .. } = t.at(2.2) else {
        panic!()
    };
    assert_eq!(fix.time_utc.as_deref(), Some("2026-11-28T00:00:01.000Z"));
    let PositionStatus::Fix { fix, .. } = t.at(0.1) else {
        panic!()
    };
    // No date yet: time of day only.
    assert_eq!(fix.time_utc.as_deref(), Some("23:59:59.000"));
    assert_eq!(
        towerwatch::gps::format_time(None, Some(3723.5)).as_deref(),
        Some("01:02:03.500")
    );
}

/// A FIFO stands in for a serial GPS: lines arrive while the reader waits.
#[test]
fn nmea_device_stand_in_fifo_is_read_as_lines_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("gps.fifo");
    let ok = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !ok.is_ok_and(|s| s.success()) {
        eprintln!("skipping: mkfifo not available");
        return;
    }
    let src = GpsSource::nmea(&fifo, 5.0).unwrap();
    assert!(src.status().fix().is_none());
    let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    writeln!(w, "{}", GGA.replace("4807.038", "4807.039")).unwrap(); // bad checksum
    writeln!(w, "{GGA}").unwrap();
    w.flush().unwrap();
    let s = wait_for(&src, "fix from the FIFO", |s| s.fix().is_some());
    assert!((s.fix().unwrap().lat_deg - (48.0 + 7.038 / 60.0)).abs() < 1e-9);
    writeln!(w, "{}", nmea::sentence("GPGGA,123520,,,,,0,00,,,M,,M,,")).unwrap();
    w.flush().unwrap();
    wait_for(&src, "no fix from the FIFO", |s| s.fix().is_none());
    let c = src.counters().nmea.unwrap();
    assert_eq!((c.checksum_errors, c.fixes, c.no_fix), (1, 1, 1));
}
