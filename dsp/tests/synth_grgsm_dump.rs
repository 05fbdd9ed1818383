#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Dev helper (ignored): writes one synthetic cell as raw cf32 for `grgsm-check`.
//! `TW_DUMP=/tmp/cell.cf32 cargo test -p towerwatch-dsp --test synth_grgsm_dump -- --ignored`

use towerwatch_dsp::Complex32;
use towerwatch_dsp::arfcn::Band;
use towerwatch_dsp::gsm::synth::*;

fn hex(s: &str) -> Option<[u8; 23]> {
    let v: Vec<u8> = s
        .split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect();
    Some(v.try_into().unwrap())
}

#[test]
#[ignore]
fn dump_one_cell() {
    let path = std::env::var("TW_DUMP").unwrap_or_else(|_| "/tmp/tw-cell.cf32".into());
    let bcch = BcchFrames {
        si1: hex("55 06 19 8f 6a 80 00 00 00 00 00 00 00 00 00 00 00 00 00 b9 00 00 83"),
        si2: hex("59 06 1a 8f 6d 18 10 80 00 00 00 00 00 00 00 00 00 00 00 78 b9 00 00"),
        si3: hex("49 06 1b 2b d9 62 f2 20 01 3e c8 07 0a 15 60 09 b9 00 00 e8 1f 46 1b"),
        si4: hex("31 06 1c 62 f2 20 01 3e 60 09 b9 00 00 e8 1f 73 2b 2b 2b 2b 2b 2b 2b"),
        ..BcchFrames::default()
    };
    let cfg = SceneConfig {
        sample_rate_sps: 1_000_000.0,
        center_freq_hz: 945_000_000.0,
        rx_ppm: 0.0,
        snr_db: Some(20.0),
        reference_amplitude: None,
        seed: 7,
        cells: vec![CellConfig {
            name: "c".into(),
            band: Band::PGsm900,
            arfcn: 50,
            bsic: 48,
            start_fn: 1000,
            bcch,
            ccch: CcchLoad {
                paging_per_s: 5.0,
                immediate_assignment_per_s: 2.0,
                ..CcchLoad::default()
            },
            traffic_timeslots: vec![],
            dedicated: Default::default(),
            physics: Physics::default(),
        }],
        emitters: vec![],
    };
    let mut scene = Scene::new(&cfg).unwrap();
    let mut buf = vec![Complex32::new(0.0, 0.0); 4_000_000];
    scene.fill(&mut buf);
    let mut bytes = Vec::with_capacity(buf.len() * 8);
    for s in &buf {
        bytes.extend_from_slice(&s.re.to_le_bytes());
        bytes.extend_from_slice(&s.im.to_le_bytes());
    }
    std::fs::write(&path, bytes).unwrap();
    eprintln!("{:?}", scene.cell_counters());
}
