//! LTE receiver acceptance tests on the real captures in `../shared/recordings/lte` (skipped with
//! a message when that folder is absent). The files are read here, in the test: `dsp` reads none.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use towerwatch_dsp::Complex32;
use towerwatch_dsp::lte::search::{SearchConfig, search};

fn recordings() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/recordings/lte");
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipping: {} absent", p.display());
        None
    }
}

/// Loads a capture. The byte histograms decide the format, not the README: the RTL-SDR files and
/// the two 1.92 MS/s HackRF files are offset binary (cu8, (b − 127.5)/128; their bytes pile up at
/// 124..131), the 19.2 MS/s HackRF files are signed (cs8, b/128; bytes pile up at 250..2).
/// `skip` bytes are dropped at the start (the 1890 MHz 1.92 MS/s file starts with a 128-byte
/// header).
fn load_skip(name: &str, skip: usize) -> Option<Vec<Complex32>> {
    let bytes = std::fs::read(recordings()?.join(name)).unwrap();
    let bytes = &bytes[skip.min(bytes.len())..];
    let hackrf = name.contains("_s19.2_");
    Some(
        bytes
            .chunks_exact(2)
            .map(|c| {
                if hackrf {
                    Complex32::new(c[0] as i8 as f32 / 128.0, c[1] as i8 as f32 / 128.0)
                } else {
                    Complex32::new((c[0] as f32 - 127.5) / 128.0, (c[1] as f32 - 127.5) / 128.0)
                }
            })
            .collect(),
    )
}

fn load(name: &str) -> Option<Vec<Complex32>> {
    load_skip(
        name,
        if name.starts_with("f1890_s1.92") {
            128
        } else {
            0
        },
    )
}

const LOW_RATE: [&str; 7] = [
    "f1860_s1.92_g0_1s_rtlsdr1.bin",
    "f2605_s1.92_g0_1s_rtlsdr.bin",
    "f2645_s1.92_g0_1s_rtlsdr.bin",
    "f1815.3_s1.92_bw1.2_0.08s_rtlsdr.bin",
    "f796_s1.92_bw1.2_0.08s_rtlsdr.bin",
    "f1890_s1.92_bw1.2_1s_hackrf.bin",
    "f2646_s1.92_noise_hackrf.bin",
];

#[test]
fn search_prints_candidates() {
    for name in LOW_RATE {
        let Some(x) = load(name) else { return };
        let c = search(&x, &SearchConfig::default()).unwrap();
        println!("{name}: {} candidates", c.len());
        for c in &c {
            println!(
                "  PCI {:3} {:?} {:?} cfo {:8.1} Hz start {:8.2} pss {:5.1} (n2 {}) sss {:5.1}",
                c.pci,
                c.duplex,
                c.cp,
                c.cfo_hz,
                c.frame_start,
                c.pss.metric,
                c.pss.n_id_2,
                c.sss_quality
            );
        }
    }
}

#[test]
fn debug_wide() {
    for name in [
        "f1815.3_s1.92_bw1.2_0.08s_rtlsdr.bin",
        "f1890_s1.92_bw1.2_1s_hackrf.bin",
    ] {
        let Some(x) = load(name) else { return };
        let p = x.iter().map(|v| v.norm_sqr()).sum::<f32>() / x.len() as f32;
        let cfg = SearchConfig {
            max_cfo_hz: 400_000.0,
            pss_threshold: 2.0,
            search_samples: 400_000,
            ..SearchConfig::default()
        };
        let c = towerwatch_dsp::lte::search::pss_search(&x, &cfg).unwrap();
        println!("{name}: power {p}");
        for c in &c {
            println!("  {:?}", c);
        }
    }
}

#[test]
fn scan_prints_cells() {
    use towerwatch_dsp::lte::cell::{CellConfig, scan};
    for name in LOW_RATE {
        let Some(x) = load(name) else { return };
        let t = std::time::Instant::now();
        let r = scan(&x, &SearchConfig::default(), &CellConfig::default()).unwrap();
        println!("{name}: {} reports in {:?}", r.len(), t.elapsed());
        for r in &r {
            let m = r.measurement;
            println!(
                "  PCI {:3} {:?} {:?} cfo {:8.1} clk {:?} rsrp {:?} sinr {:?} frames {} crc {} mib {:?}",
                r.candidate.pci, r.candidate.duplex, r.candidate.cp, r.candidate.cfo_hz, r.clock_error_ppm.map(|v| v as f32),
                m.map(|m| m.rsrp_dbfs as f32), m.map(|m| m.sinr_db as f32), r.frames, r.crc_passes, r.mib
            );
        }
    }
}
