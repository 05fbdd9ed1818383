//! LTE stages of `towerwatch bench`: cell search + MIB over a 1.92 MS/s stream, and SIB1 at the
//! full rate of a 20 MHz cell (19.2 MS/s), on cells the dsp generator makes in memory (a known
//! PCI and SIB1, so the stage's note checks the work was done).

use super::{Measured, cpu_s};
use anyhow::{Result, anyhow};
use std::time::Instant;
use towerwatch_dsp::lte::cell::{CellConfig, scan};
use towerwatch_dsp::lte::generator::{GenConfig, SibTx, generate};
use towerwatch_dsp::lte::params::Duplex;
use towerwatch_dsp::lte::rrc::mib::{Mib, PhichResource};
use towerwatch_dsp::lte::rrc::sib1::{Plmn, SchedulingInfo, Sib1, SibType, encode_sib1};
use towerwatch_dsp::lte::search::{SearchConfig, to_search_rate};
use towerwatch_dsp::lte::sib1::{Sib1Config, decode_sib1};

/// PCI of the generated cell.
const PCI: u16 = 144;

fn mib_bits(n_rb: usize) -> Result<[u8; 24]> {
    Mib {
        bandwidth_rb: n_rb as u16,
        phich_extended: false,
        phich_resource: PhichResource::One,
        sfn_msb: 0,
        spare: 0,
    }
    .to_bits()
    .map_err(|e| anyhow!("MIB: {e}"))
}

fn sib1() -> Sib1 {
    Sib1 {
        plmns: vec![Plmn {
            mcc: [4, 6, 0],
            mcc_sent: true,
            mnc: [0, 0, 0],
            mnc_len: 2,
            reserved_for_operator: false,
        }],
        tac: 4589,
        cell_identity: 20_712_707,
        cell_barred: false,
        intra_freq_reselection_allowed: true,
        csg_indication: false,
        csg_identity: None,
        q_rx_lev_min: -64,
        q_rx_lev_min_offset: None,
        p_max_dbm: Some(23),
        freq_band_indicator: 3,
        scheduling_info: vec![SchedulingInfo {
            periodicity_rf: 16,
            sibs: vec![SibType::Sib(3)],
        }],
        tdd_config: None,
        si_window_ms: 20,
        system_info_value_tag: 7,
        non_critical_extension: false,
    }
}

/// Cell search (PSS/SSS over ±150 kHz), CRS measurements and the MIB on `seconds` of one FDD
/// cell at 1.92 MS/s, 10 dB SNR, 5 kHz off.
pub(super) fn search(seconds: f64) -> Result<Measured> {
    let frames = (seconds * 100.0).round().max(4.0) as usize;
    let x = generate(&GenConfig {
        pci: PCI,
        n_rb: 6,
        duplex: Duplex::Fdd,
        mib: mib_bits(6)?,
        frames,
        sample_rate_sps: 1.92e6,
        snr_db: Some(10.0),
        cfo_hz: 5e3,
        ..GenConfig::default()
    })
    .map_err(|e| anyhow!("generator: {e}"))?;
    // As the pipeline's LTE stage does: every 1 s window searched on its own.
    let window = 1_920_000;
    let (c0, t0) = (cpu_s(), Instant::now());
    let mut windows = 0;
    let mut with_mib = 0;
    for w in x.chunks(window) {
        let cells = scan(w, &SearchConfig::default(), &CellConfig::default())
            .map_err(|e| anyhow!("scan: {e}"))?;
        windows += 1;
        with_mib += usize::from(
            cells
                .iter()
                .any(|c| c.candidate.pci == PCI && c.mib.is_some()),
        );
    }
    let (cpu, wall) = (cpu_s() - c0, t0.elapsed().as_secs_f64());
    Ok((
        x.len() as f64 / 1.92e6,
        cpu,
        wall,
        format!("PCI {PCI} with its MIB in {with_mib} of {windows} 1 s windows"),
    ))
}

/// The whole SIB1 path on `seconds` of a 100-RB FDD cell at 19.2 MS/s: decimation to 1.92 MS/s,
/// cell search and MIB, then PCFICH → PDCCH → PDSCH → turbo decoding of every SIB1 subframe.
pub(super) fn sib1_full(seconds: f64) -> Result<Measured> {
    let frames = ((seconds * 100.0).round() as usize).max(8);
    let want = sib1();
    let bytes = encode_sib1(&want).map_err(|e| anyhow!("SIB1: {e}"))?;
    let x = generate(&GenConfig {
        pci: PCI,
        n_rb: 100,
        duplex: Duplex::Fdd,
        ports: 2,
        mib: mib_bits(100)?,
        frames,
        sample_rate_sps: 19.2e6,
        snr_db: Some(10.0),
        sib1: Some(SibTx {
            bytes: bytes.clone(),
            ..SibTx::default()
        }),
        ..GenConfig::default()
    })
    .map_err(|e| anyhow!("generator: {e}"))?;
    let cfg = Sib1Config {
        stop_on_success: false,
        max_subframes: frames,
    };
    let (c0, t0) = (cpu_s(), Instant::now());
    let xs = to_search_rate(&x, 19.2e6).map_err(|e| anyhow!("decimation: {e}"))?;
    let cells = scan(&xs, &SearchConfig::default(), &CellConfig::default())
        .map_err(|e| anyhow!("scan: {e}"))?;
    let mut decoded = 0;
    let mut tried = 0;
    for c in cells.iter().filter(|c| c.mib.is_some()) {
        let r = decode_sib1(&x, 19.2e6, &xs, c, &cfg).map_err(|e| anyhow!("SIB1: {e}"))?;
        tried += r.counters.subframes;
        // The transport block is the message padded with zeros to the DCI's size.
        let same = |d: &[u8]| d.starts_with(&bytes) && d[bytes.len()..].iter().all(|&b| b == 0);
        if r.decode.as_ref().is_some_and(|d| same(&d.bytes)) {
            decoded += r.counters.crc_passes;
        }
    }
    let (cpu, wall) = (cpu_s() - c0, t0.elapsed().as_secs_f64());
    Ok((
        x.len() as f64 / 19.2e6,
        cpu,
        wall,
        format!("SIB1 back byte for byte in {decoded} of {tried} SIB1 subframes"),
    ))
}
