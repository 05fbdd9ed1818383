//! Band scan without hardware: the sweep state machine driven through a virtual tuner over
//! wideband recordings (the synthetic 5-cell scene with a known receiver clock error, and the
//! real 4 MS/s capture), the `scan` command, and (with `--features soapy`) the SoapySDR path
//! through the project's `iqfile` playback module.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use towerwatch::pipeline::scan::{ScanConfig, run_scan};
use towerwatch::source::tuner::{TunerConfig, VirtualTuner};
use towerwatch::source::{FileOptions, SampleSource, open_file};
use towerwatch_dsp::arfcn::Band;
use towerwatch_dsp::spectrum::{Welch, WelchConfig};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scene() -> PathBuf {
    root().join("recordings/legit-neighbourhood.sigmf-meta")
}

fn tuner_over(path: &Path, rate: f64) -> VirtualTuner {
    let p = path.to_path_buf();
    let wide = open_file(&p, &FileOptions::default()).unwrap();
    let open: towerwatch::source::tuner::Opener =
        Box::new(move || open_file(&p, &FileOptions::default()));
    VirtualTuner::new(
        wide,
        Some(open),
        TunerConfig {
            rate_sps: rate,
            bandwidth_hz: 0.8 * rate,
            rewind_on_retune: true,
            looped: true,
        },
    )
    .unwrap()
}

/// (ARFCN, BSIC, MCC, MNC, LAC, CI, cell ppm) of the scene (recordings/scenes/legit-neighbourhood.toml).
const CELLS: [(u16, u8, u16, &str, u16, u16, f64); 5] = [
    (16, 11, 262, "01", 4101, 10011, 0.02),
    (17, 21, 262, "02", 5201, 20021, -0.03),
    (18, 12, 262, "01", 4101, 10012, 0.01),
    (19, 14, 262, "01", 4101, 10013, -0.02),
    (20, 17, 262, "02", 5201, 20022, 0.04),
];
/// The scene's receiver clock error (every carrier appears this much low).
const RX_PPM: f64 = 1.5;

#[test]
fn sweep_finds_every_cell_of_the_scene_and_the_receiver_ppm() {
    // A 600 kS/s virtual tuner (480 kHz usable: 2 channels a step) over the 1.2 MS/s scene.
    let mut src = tuner_over(&scene(), 600e3);
    let mut cfg = ScanConfig::new(Band::PGsm900, 600e3, 480e3);
    cfg.range_hz = Some((938.2e6, 939.2e6));
    cfg.rounds = Some(1);
    let mut steps_seen = 0;
    let table = run_scan(&mut src, cfg, &AtomicBool::new(false), |_| steps_seen += 1).unwrap();
    println!("{}", table.render());
    assert_eq!(table.steps_visited, 3, "938.3, 938.7, 939.1 MHz");
    assert_eq!(steps_seen, 3);
    assert_eq!(table.rounds_done, 1);
    assert_eq!(table.rows.len(), 5, "ARFCN 21 is empty");
    let median_cell_ppm = 0.01;
    let rx = table.receiver_ppm().unwrap();
    assert!(
        (rx - (RX_PPM - median_cell_ppm)).abs() < 0.05,
        "receiver ppm {rx}"
    );
    for (arfcn, bsic, mcc, mnc, lac, ci, ppm) in CELLS {
        let r = table.rows.values().find(|r| r.arfcn == arfcn).unwrap();
        assert_eq!(r.bsic, Some(bsic), "ARFCN {arfcn}");
        assert_eq!(r.mcc, Some(mcc));
        assert_eq!(r.mnc.as_deref(), Some(mnc));
        assert_eq!(r.lac, Some(lac));
        assert_eq!(r.ci, Some(ci));
        assert!(r.complete(), "ARFCN {arfcn}: SI1–SI4 read");
        assert!(r.power_dbfs.is_some());
        let c = table.corrected_ppm(r).unwrap();
        assert!(
            (c - (ppm - median_cell_ppm)).abs() < 0.035,
            "ARFCN {arfcn}: corrected ppm {c}, cell {ppm}"
        );
    }
    // Powers rise with the ARFCN in the scene (−6, −5, −3, −2, 0 dB).
    let p: Vec<f64> = table.rows.values().map(|r| r.power_dbfs.unwrap()).collect();
    assert!(p.windows(2).all(|w| w[1] > w[0]), "{p:?}");
}

#[test]
fn sweep_revisits_the_band() {
    let mut src = tuner_over(&scene(), 600e3);
    let mut cfg = ScanConfig::new(Band::PGsm900, 600e3, 480e3);
    cfg.range_hz = Some((938.5e6, 938.9e6));
    cfg.rounds = Some(2);
    let table = run_scan(&mut src, cfg, &AtomicBool::new(false), |_| {}).unwrap();
    assert_eq!(table.rounds_done, 2);
    assert_eq!(table.steps_visited, 2, "one step (938.7 MHz) a round");
    for arfcn in [18, 19] {
        let r = table.rows.values().find(|r| r.arfcn == arfcn).unwrap();
        assert_eq!(r.visits, 2, "ARFCN {arfcn} found on both visits");
        assert_eq!(r.last_round, 1);
    }
}

fn capture_4m() -> Option<PathBuf> {
    let p = root().join("../shared/recordings/gsmsp-937MHz-4M.sigmf-meta");
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIP: {} not found (../shared is absent)", p.display());
        None
    }
}

#[test]
fn virtual_tuner_picks_the_sub_band_of_the_real_4m_capture() {
    let Some(path) = capture_4m() else {
        return;
    };
    // The wideband view: ARFCN 5 (936.0 MHz) is the strongest channel.
    let mut wide = open_file(&path, &FileOptions::default()).unwrap();
    let wide_rate = wide.info().sample_rate_sps;
    let wide_centre = wide.info().center_freq_hz;
    let mut buf = vec![num_complex::Complex32::new(0.0, 0.0); 80_000];
    let n = wide.read(&mut buf).unwrap();
    let mut w = Welch::new(WelchConfig {
        fft_len: 4096,
        ..WelchConfig::default()
    })
    .unwrap();
    w.process(&buf[..n]);
    let psd = w.psd(wide_rate).unwrap();
    let (_, wide_ch) = towerwatch::observation::channel_powers(&psd, wide_centre);
    let wide_936 = wide_ch
        .iter()
        .find(|c| (c.freq_hz - 936.0e6).abs() < 1.0)
        .unwrap()
        .power_dbfs;

    // A 1 MS/s virtual tuner at 936.0 MHz, then at 936.4 MHz.
    let mut t = tuner_over(&path, 1e6);
    for (centre, offset) in [(936.0e6, 0.0), (936.4e6, -400e3)] {
        t.retune(centre).unwrap();
        assert_eq!(t.frequency_hz(), centre);
        let mut got = Vec::new();
        while got.len() < 16_000 {
            let mut b = vec![num_complex::Complex32::new(0.0, 0.0); 4096];
            let n = t.read(&mut b).unwrap();
            assert!(n > 0);
            got.extend_from_slice(&b[..n]);
        }
        let mut w = Welch::new(WelchConfig {
            fft_len: 1024,
            ..WelchConfig::default()
        })
        .unwrap();
        w.process(&got[1000..]);
        let psd = w.psd(1e6).unwrap();
        let strongest = psd.peak().unwrap().0;
        let ch = psd.channel_power_dbfs(offset);
        println!(
            "centre {centre}: 936.0 MHz at {ch:.1} dBFS (wide {wide_936:.1}), peak at {strongest:.0} Hz"
        );
        assert!(
            (ch - wide_936).abs() < 1.5,
            "936.0 MHz power through the tuner {ch:.1} vs wideband {wide_936:.1}"
        );
        assert!(
            (strongest - offset).abs() < 100e3,
            "the strongest line is ARFCN 5's (peak at {strongest} Hz)"
        );
    }
    // Outside the recorded band: silence.
    t.retune(960e6).unwrap();
    let mut b = vec![num_complex::Complex32::new(1.0, 0.0); 1000];
    assert_eq!(t.read(&mut b).unwrap(), 1000);
    assert!(b.iter().all(|s| s.norm() == 0.0));
}

#[test]
fn sweep_over_the_real_4m_capture_hops_every_step() {
    let Some(path) = capture_4m() else {
        return;
    };
    // 20 ms of signal looped: shorter than the FCCH period, so this checks the hopping and the
    // power column, not sync.
    let mut src = tuner_over(&path, 1e6);
    let mut cfg = ScanConfig::new(Band::EGsm900, 1e6, 800e3);
    cfg.range_hz = Some((935.2e6, 938.8e6));
    cfg.rounds = Some(1);
    cfg.dwell_s = 0.1;
    cfg.camp_timeout_s = 0.3;
    let table = run_scan(&mut src, cfg, &AtomicBool::new(false), |_| {}).unwrap();
    println!("{}", table.render());
    assert_eq!(table.steps_visited, 5, "19 channels, 4 a step");
    // Every carrier measured has a power reading from its step.
    assert!(table.rows.values().all(|r| r.power_dbfs.is_some()));
}

#[test]
fn scan_command_prints_the_table() {
    let out = Command::new(env!("CARGO_BIN_EXE_towerwatch"))
        .arg("scan")
        .arg(scene())
        .args([
            "--band",
            "gsm900",
            "--from",
            "938.2e6",
            "--to",
            "939.2e6",
            "--tuner-rate",
            "600e3",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{stdout}");
    assert!(stdout.starts_with("ARFCN  Freq (MHz)     CID     LAC   MCC   MNC   Power  BSIC"));
    for (arfcn, bsic, _, mnc, lac, ci, _) in CELLS {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&arfcn.to_string()))
            .unwrap_or_else(|| panic!("ARFCN {arfcn} missing"));
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f[2], ci.to_string());
        assert_eq!(f[3], lac.to_string());
        assert_eq!(f[4], "262");
        assert_eq!(f[5], mnc);
        assert_eq!(f[7], bsic.to_string());
    }
    assert!(stdout.contains("receiver clock error (minus the median of 5 carriers): +1.4"));
}

#[test]
fn scan_rejects_a_bandwidth_below_one_channel() {
    let out = Command::new(env!("CARGO_BIN_EXE_towerwatch"))
        .arg("scan")
        .arg(scene())
        .args(["--band", "gsm900", "--bandwidth", "150e3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("less than one 200 kHz GSM channel"));
}

/// The same scan through libSoapySDR: the scene's data file played by the `iqfile` module (which
/// streams but cannot retune), with `--virtual-tuner` hopping over the stream.
#[cfg(feature = "soapy")]
#[test]
fn scan_through_soapysdr_iqfile() {
    let tmp = tempfile::tempdir().unwrap();
    let module_dir = match std::env::var_os("TOWERWATCH_SOAPY_MODULE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let dir = tmp.path().join("modules");
            let script = root().join("tests/soapy-iqfile/build.sh");
            let out = Command::new("sh").arg(&script).arg(&dir).output().unwrap();
            assert!(
                out.status.success(),
                "building the iqfile module failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            dir
        }
    };
    let empty_root = tmp.path().join("empty-root");
    std::fs::create_dir_all(&empty_root).unwrap();
    let data = root().join("recordings/legit-neighbourhood.sigmf-data");
    let args = format!(
        "driver=iqfile,file={},format=cs8,rate=1200000,freq=938.7e6,loop=1",
        data.display()
    );
    let out = Command::new(env!("CARGO_BIN_EXE_towerwatch"))
        .args([
            "scan", "--device", &args, "--rate", "1.2e6", "--freq", "938.7e6",
        ])
        .args([
            "--virtual-tuner",
            "--tuner-rate",
            "600e3",
            "--band",
            "gsm900",
        ])
        .args([
            "--from", "938.2e6", "--to", "939.2e6", "--rounds", "1", "--camp", "4",
        ])
        .env("SOAPY_SDR_PLUGIN_PATH", &module_dir)
        .env("SOAPY_SDR_ROOT", &empty_root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The stream is continuous (no rewind per step) and loops with a jump every 1.74 s, so a
    // step may miss SI; every cell must still be found with its BSIC.
    for (arfcn, bsic, ..) in CELLS {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&arfcn.to_string()))
            .unwrap_or_else(|| panic!("ARFCN {arfcn} missing"));
        assert_eq!(
            line.split_whitespace().nth(7),
            Some(bsic.to_string().as_str())
        );
    }
}

/// Issue 22: the virtual tuner must not "hear" past the recorded band. A complex recording wraps
/// round at its edges, so a window reaching past the top edge used to hear the bottom edge's
/// cell again — ARFCN 22 with ARFCN 16's identity on legit-neighbourhood, a second blaster on
/// ARFCN 15 on sms-blaster. Every bundled downlink recording, scanned over the whole band, lists
/// only cells its scene has, each with its own identity.
#[test]
fn scan_of_every_bundled_recording_lists_exactly_its_cells() {
    let mut checked = 0;
    for entry in std::fs::read_dir(root().join("recordings")).unwrap() {
        let meta = entry.unwrap().path();
        if meta.extension().is_none_or(|e| e != "sigmf-meta") {
            continue;
        }
        let stem = meta.file_stem().unwrap().to_string_lossy().into_owned();
        let scene_path = root().join(format!("recordings/scenes/{stem}.toml"));
        let scene = towerwatch::synth::load_scene(&scene_path, &Default::default()).unwrap();
        let cells: Vec<(u16, u16)> = scene.file.cell.iter().map(|c| (c.arfcn, c.ci)).collect();
        if cells.is_empty() {
            continue; // the uplink scene has no downlink cell
        }
        let out = Command::new(env!("CARGO_BIN_EXE_towerwatch"))
            .arg("scan")
            .arg(&meta)
            .args(["--band", "egsm"])
            .output()
            .unwrap();
        // The scan runs the detectors: a legitimate recording exits 0, a rogue one 10 (its
        // alert at or above the default --fail-on medium).
        let want = if stem.starts_with("legit") { 0 } else { 10 };
        assert_eq!(
            out.status.code(),
            Some(want),
            "{stem}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut found = Vec::new();
        for line in stdout
            .lines()
            .skip_while(|l| !l.starts_with("ARFCN"))
            .skip(1)
        {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(Ok(arfcn)), Some(Ok(ci))) = (
                f.first().map(|s| s.parse::<u16>()),
                f.get(2).map(|s| s.parse::<u16>()),
            ) else {
                continue;
            };
            assert!(
                cells.contains(&(arfcn, ci)),
                "{stem}: ARFCN {arfcn} with CI {ci} is not a cell of the scene {cells:?}:\n{stdout}"
            );
            found.push((arfcn, ci));
        }
        assert!(!found.is_empty(), "{stem}: no cell found:\n{stdout}");
        if stem == "legit-neighbourhood" || stem == "sms-blaster" {
            for c in &cells {
                assert!(found.contains(c), "{stem}: {c:?} missing:\n{stdout}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} recordings checked");
}
