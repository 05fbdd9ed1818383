//! LTE in the dashboard (issue 17): LTE cells share the cell table with the GSM cells (a Tech
//! column; sort and filter work across both), an LTE row's details show its SIB1, and an alert's
//! details name its related cells (the LTE half of a downgrade blaster). Drawn through
//! ratatui's `TestBackend`.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use towerwatch::alert::{Alert, AlertEvent, Signature};
use towerwatch::cells::{CellKey, LteCellId};
use towerwatch::detect::{Evidence, Severity};
use towerwatch::observation::Observation;
use towerwatch::observation::gsm::{CarrierObs, SyncObs};
use towerwatch::observation::lte::{
    LteCellObs, LteMibObs, LtePlmn, LteSiSchedule, LteSib1Fields, LteSib1Obs,
};
use towerwatch::tui::render;
use towerwatch::tui::state::{DashboardState, Focus, SortKey, SourceSummary};
use towerwatch::tui::{Playback, handle_key};
use towerwatch_dsp::arfcn::Band;
use towerwatch_dsp::lte::params::{CyclicPrefix, Duplex};

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn lte(pci: u16, rsrp: f64, ppm: f64, tac: Option<u16>) -> Observation {
    let sib1 = tac.map(|tac| LteSib1Obs {
        hex: String::new(),
        parse_error: None,
        fields: Some(LteSib1Fields {
            plmns: vec![LtePlmn {
                mcc: 262,
                mnc: 1,
                mnc_digits: 2,
                reserved_for_operator: false,
            }],
            tac,
            cell_identity: 4660 << 8 | 1,
            enb_id: 4660,
            cell_barred: false,
            intra_freq_reselection_allowed: true,
            csg_indication: false,
            q_rx_lev_min_dbm: -140,
            p_max_dbm: None,
            freq_band_indicator: 3,
            scheduling: vec![LteSiSchedule {
                periodicity_rf: 16,
                sibs: vec![],
                unknown_sibs: 0,
            }],
            si_window_ms: 20,
            value_tag: 0,
        }),
    });
    Observation::LteCell(LteCellObs {
        sample_index: 0,
        time_s: 1.0,
        block_s: 1.0,
        earfcn: Some(1750),
        band: Some(3),
        dl_freq_hz: 1860e6,
        pci,
        duplex: Duplex::Fdd,
        cyclic_prefix: CyclicPrefix::Normal,
        mib: Some(LteMibObs {
            hex: "0b8400".into(),
            bandwidth_prb: Some(6),
            phich_duration: Some("normal"),
            phich_ng: Some("1"),
            sfn: 100,
            antenna_ports: 2,
            pbch_decodes: 4,
        }),
        rsrp_dbfs: Some(rsrp),
        rsrq_db: Some(-10.0),
        sinr_db: Some(5.0),
        freq_offset_hz: ppm * 1860.0,
        freq_offset_ppm: Some(ppm),
        uncertainty_hz: Some(10.0),
        uncertainty_ppm: Some(0.005),
        sample_clock_ppm: None,
        sib1,
    })
}

/// Two GSM cells (DCS 1800 ARFCN 780 and 794) and three LTE cells on EARFCN 1750 (PCI 301 loud,
/// with a SIB1).
fn state() -> DashboardState {
    let src = SourceSummary {
        description: "scene:recordings/scenes/downgrade-blaster.toml".into(),
        live: false,
        sample_rate_sps: 3.84e6,
        center_freq_hz: 1860e6,
        total_samples: Some(38_400_000),
    };
    let mut s = DashboardState::new(src, Playback::Running(1.0));
    for (arfcn, ppm, bsic) in [(780u16, -1.48, 11u8), (794, -1.0, 42)] {
        let freq_hz = 1805.2e6 + 0.2e6 * f64::from(arfcn - 512);
        s.apply(&Observation::Carrier(CarrierObs {
            sample_index: 0,
            time_s: 0.5,
            band: Band::Dcs1800,
            arfcn,
            freq_hz,
            freq_offset_hz: ppm * freq_hz / 1e6,
            freq_offset_ppm: Some(ppm),
            uncertainty_hz: 5.0,
            snr_db: 30.0,
            synchronized: false,
        }));
        s.apply(&Observation::Sync(SyncObs {
            sample_index: 0,
            time_s: 0.5,
            band: Band::Dcs1800,
            arfcn,
            bsic,
            ncc: bsic >> 3,
            bcc: bsic & 7,
            frame_number: 1234,
        }));
    }
    s.apply(&lte(142, -56.0, -1.45, None));
    s.apply(&lte(86, -58.0, -1.50, None));
    s.apply(&lte(301, -34.0, 0.0, Some(7777)));
    s
}

fn pane(f: fn(&DashboardState, Rect, &mut Buffer), s: &DashboardState, w: u16, h: u16) -> String {
    let area = Rect::new(0, 0, w, h);
    let mut b = Buffer::empty(area);
    f(s, area, &mut b);
    let a = b.area;
    (a.top()..a.bottom())
        .map(|y| {
            (a.left()..a.right())
                .map(|x| b[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn lte_and_gsm_cells_share_the_table_with_a_tech_column() {
    let mut s = state();
    let t = pane(render::render_cells, &s, 80, 9);
    let l: Vec<&str> = t.lines().collect();
    assert!(l[0].contains("Cells (5)"), "{t}");
    assert!(l[1].starts_with("Tech  Chan "), "{t}");
    // GSM rows first (by ARFCN), then LTE rows (by EARFCN, PCI).
    assert!(l[2].starts_with("GSM    780 "), "{t}");
    assert!(l[3].starts_with("GSM    794 "), "{t}");
    assert!(
        l[4].starts_with("LTE   1750   1860.0  -58.0  -1.50   86 -"),
        "{t}"
    );
    assert_eq!(
        l[6].trim_end(),
        "LTE   1750   1860.0  -34.0  +0.00  301 262-01   7777    4660   -     - sync"
    );
    // Sorted by power: the loud fake eNodeB on top.
    handle_key(&mut s, key(KeyCode::Char('s')));
    assert_eq!(s.view.sort, SortKey::Power);
    let t = pane(render::render_cells, &s, 80, 9);
    assert!(t.lines().nth(2).unwrap().starts_with("LTE   1750 "), "{t}");
    // Filter by technology, by PCI.
    for (filter, n) in [("lte", 3), ("gsm", 2), ("pci 301", 1), ("7777", 1)] {
        s.view.filter = filter.into();
        let t = pane(render::render_cells, &s, 80, 9);
        assert!(t.contains(&format!("Cells ({n})")), "{filter}: {t}");
    }
    s.view.filter.clear();
    // The wide layout has the same columns and the operator name.
    let t = pane(render::render_cells, &s, 160, 9);
    assert!(t.contains("Neighbours") && t.contains("Telekom"), "{t}");
}

#[test]
fn an_lte_row_opens_its_sib1_details_and_takes_its_alert_score() {
    let mut s = state();
    let id = LteCellId {
        earfcn: 1750,
        pci: 301,
    };
    s.push_alert(alert(2, CellKey::lte_cell(id), vec![], 7.0));
    s.view.sort = SortKey::Score;
    let t = pane(render::render_cells, &s, 80, 9);
    let top = t.lines().nth(2).unwrap().trim_end().to_string();
    assert!(
        top.starts_with("LTE   1750 ") && top.ends_with("7 ALERT"),
        "{t}"
    );
    s.view.focus = Focus::Cells;
    handle_key(&mut s, key(KeyCode::Enter));
    let t = pane(render::render_details, &s, 100, 20);
    assert!(t.contains("Cell: LTE EARFCN 1750 PCI 301"), "{t}");
    assert!(t.contains("SIB1 PLMN 262-01"), "{t}");
    assert!(t.contains("TAC 7777"), "{t}");
    assert!(t.contains("q-RxLevMin -140 dBm"), "{t}");
    // A row without SIB1 says why.
    s.view.details = false;
    s.view.filter = "pci 86".into();
    handle_key(&mut s, key(KeyCode::Enter));
    let t = pane(render::render_details, &s, 100, 20);
    assert!(t.contains("SIB1 not decoded"), "{t}");
    // The finder follows GSM carriers only, and says so.
    assert!(s.toggle_finder().contains("GSM"));
}

fn alert(id: u64, cell: CellKey, related: Vec<CellKey>, score: f64) -> Alert {
    Alert {
        kind: "alert",
        event: AlertEvent::Raised,
        id,
        time_s: 6.0,
        raised_s: 5.35,
        severity: Severity::High,
        score,
        cell,
        summary: "the two radios of a downgrade SMS blaster".into(),
        signatures: vec![Signature {
            detector: "downgrade_blaster",
            version: 1,
            severity: Severity::High,
            score: 1.5,
            message: "A suspicious LTE cell was first alerted 0 s before this GSM cell".into(),
            evidence: vec![Evidence::value("lte_pci", 301.0)],
            known_false_positives: "a coincidence in time",
            first_s: 6.0,
            last_s: 6.0,
            related: related.clone(),
        }],
        advice: "record IQ now".into(),
        related,
    }
}

#[test]
fn alert_details_name_the_related_lte_cell() {
    let mut s = state();
    let gsm = CellKey {
        bsic: Some(42),
        ..CellKey::carrier(Band::Dcs1800, 794)
    };
    let lte = CellKey::lte_cell(LteCellId {
        earfcn: 1750,
        pci: 301,
    });
    s.push_alert(alert(1, gsm, vec![lte], 8.75));
    handle_key(&mut s, key(KeyCode::Tab));
    handle_key(&mut s, key(KeyCode::Enter));
    for (w, h) in [(80, 24), (160, 48)] {
        let t = pane(render::render_details, &s, w, h);
        assert!(t.contains("Alert 1: HIGH ARFCN 794"), "{t}");
        assert!(
            t.contains("Related cells: LTE EARFCN 1750 PCI 301 (1860.0 MHz)"),
            "{t}"
        );
    }
    // An alert without related cells has no such line.
    s.alerts.clear();
    s.push_alert(alert(3, CellKey::carrier(Band::Dcs1800, 780), vec![], 3.0));
    let t = pane(render::render_details, &s, 100, 24);
    assert!(!t.contains("Related cells"), "{t}");
}

/// The spectrum sees a decoded LTE carrier as a row of 200 kHz "carriers": no GSM rows for them
/// (the real GSM cells beside it keep theirs).
#[test]
fn no_gsm_rows_for_the_spectrum_of_an_lte_carrier() {
    use towerwatch::observation::{ChannelPower, SpectrumObs};
    let mut s = state();
    let ch = |arfcn: u16| {
        let freq_hz = 1805.2e6 + 0.2e6 * f64::from(arfcn - 512);
        ChannelPower {
            band: Band::Dcs1800,
            arfcn,
            freq_hz,
            power_dbfs: -25.0,
            snr_db: 30.0,
        }
    };
    // 780 (a GSM cell) and 784–788 inside the 1.4 MHz LTE carrier at 1860 MHz.
    let carriers: Vec<ChannelPower> = [780, 784, 785, 786, 787, 788].map(ch).to_vec();
    s.apply(&Observation::Spectrum(SpectrumObs {
        sample_index: 0,
        time_s: 2.0,
        duration_s: 1.0,
        center_freq_hz: 1860e6,
        sample_rate_sps: 3.84e6,
        noise_floor_dbfs: -55.0,
        peak_freq_hz: 1860e6,
        peak_dbfs: -25.0,
        carriers: carriers.clone(),
        channels: carriers,
        psd_dbfs: None,
    }));
    let gsm: Vec<u16> = s.cells.keys().map(|k| k.1).collect();
    assert_eq!(gsm, vec![780, 794], "{gsm:?}");
}
