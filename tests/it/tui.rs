//! Dashboard screens: every pane and the help overlay drawn through ratatui's `TestBackend` at
//! 80×24 and 160×48, from a state built out of observations (hand-made, and a real recording).

use crossterm_keys::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use towerwatch::alert::{Alert, AlertEvent, Signature};
use towerwatch::cells::CellKey;
use towerwatch::detect::{Evidence, Severity};
use towerwatch::observation::gsm::{CarrierObs, SyncLostObs, SyncObs};
use towerwatch::observation::{ChannelPower, Observation, SpectrumObs};
use towerwatch::tui::render;
use towerwatch::tui::state::{DashboardState, Focus, SortKey, SourceSummary, WATERFALL_ROWS};
use towerwatch::tui::{Action, Playback, handle_key};
use towerwatch_dsp::arfcn::Band;

mod crossterm_keys {
    pub use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    pub fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }
}

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn ch(arfcn: u16, power: f64, floor: f64) -> ChannelPower {
    ChannelPower {
        band: Band::EGsm900,
        arfcn,
        freq_hz: 935e6 + 200e3 * f64::from(arfcn),
        power_dbfs: power,
        snr_db: power - floor,
    }
}

/// A spectrum at 938.7 MHz, 1.2 MS/s with carriers on ARFCN 16–21 (21 the strongest).
fn spectrum(t: f64) -> Observation {
    let floor = -80.0;
    let powers = [
        (16, -40.0),
        (17, -38.0),
        (18, -36.0),
        (19, -34.0),
        (20, -32.0),
        (21, -26.0),
    ];
    let channels: Vec<ChannelPower> = powers.iter().map(|&(a, p)| ch(a, p, floor)).collect();
    let mut carriers = channels.clone();
    carriers.sort_by(|a, b| b.power_dbfs.total_cmp(&a.power_dbfs));
    // 1024 bins over 1.2 MHz: a floor at -100 dBFS/bin with a bump per carrier.
    let psd: Vec<f32> = (0..1024)
        .map(|i| {
            let f = 938.7e6 - 0.6e6 + (i as f64 + 0.5) * 1.2e6 / 1024.0;
            let mut v = -100.0f32;
            for &(a, p) in &powers {
                let fc = 935e6 + 200e3 * f64::from(a);
                if (f - fc).abs() < 80e3 {
                    v = v.max((p - 25.0) as f32);
                }
            }
            v
        })
        .collect();
    Observation::Spectrum(SpectrumObs {
        sample_index: (t * 1.2e6) as u64,
        time_s: t,
        duration_s: 0.1,
        center_freq_hz: 938.7e6,
        sample_rate_sps: 1.2e6,
        noise_floor_dbfs: floor,
        peak_freq_hz: 939.2e6,
        peak_dbfs: -26.0,
        carriers,
        channels,
        psd_dbfs: Some(psd),
    })
}

fn carrier(arfcn: u16, ppm: f64) -> Observation {
    Observation::Carrier(CarrierObs {
        sample_index: 1000,
        time_s: 0.01,
        band: Band::EGsm900,
        arfcn,
        freq_hz: 935e6 + 200e3 * f64::from(arfcn),
        freq_offset_hz: ppm * 0.9387e3,
        freq_offset_ppm: Some(ppm),
        uncertainty_hz: 5.0,
        snr_db: 30.0,
        synchronized: false,
    })
}

fn sync(arfcn: u16, bsic: u8) -> Observation {
    Observation::Sync(SyncObs {
        sample_index: 2000,
        time_s: 0.02,
        band: Band::EGsm900,
        arfcn,
        bsic,
        ncc: bsic >> 3,
        bcc: bsic & 7,
        frame_number: 1234,
    })
}

fn blaster_alert() -> Alert {
    Alert {
        kind: "alert",
        event: AlertEvent::Raised,
        id: 1,
        time_s: 0.8,
        raised_s: 0.8,
        severity: Severity::High,
        score: 5.0,
        cell: CellKey {
            bsic: Some(63),
            ..CellKey::carrier(Band::EGsm900, 21)
        },
        summary: "SMS blaster: empty neighbour list, CRO 60 dB. Three independent signatures."
            .into(),
        signatures: vec![Signature {
            detector: "short_neighbour_list",
            version: 1,
            severity: Severity::Low,
            score: 1.5,
            message: "no neighbours advertised".into(),
            evidence: vec![Evidence::test("neighbours", 0.0, "<", 1.0)],
            known_false_positives: "a lone rural cell",
            first_s: 0.8,
            last_s: 0.8,
            related: vec![],
        }],
        advice: "export the evidence (e) and note the place and time".into(),
        related: vec![],
    }
}

fn state() -> DashboardState {
    let src = SourceSummary {
        description: "recordings/sms-blaster.sigmf-meta".into(),
        live: false,
        sample_rate_sps: 1.2e6,
        center_freq_hz: 938.7e6,
        total_samples: Some(2_088_000),
    };
    let mut s = DashboardState::new(src, Playback::Running(1.0));
    for i in 0..5 {
        s.apply(&spectrum(f64::from(i) * 0.1));
    }
    for (a, ppm, bsic) in [
        (16, 1.52, 11),
        (17, 1.49, 21),
        (18, 1.51, 12),
        (19, 1.50, 30),
        (20, 1.48, 7),
        (21, 2.00, 63),
    ] {
        s.apply(&carrier(a, ppm));
        s.apply(&sync(a, bsic));
    }
    s.samples_done = 600_000;
    s
}

fn draw(s: &DashboardState, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| f.render_widget(s, f.area())).unwrap();
    t.backend().buffer().clone()
}

fn lines(b: &Buffer) -> Vec<String> {
    let a = b.area;
    (a.top()..a.bottom())
        .map(|y| {
            (a.left()..a.right())
                .map(|x| b[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect()
}

fn text(b: &Buffer) -> String {
    lines(b).join("\n")
}

/// Render one pane alone into a buffer of the given size.
fn pane(f: fn(&DashboardState, Rect, &mut Buffer), s: &DashboardState, w: u16, h: u16) -> String {
    let area = Rect::new(0, 0, w, h);
    let mut b = Buffer::empty(area);
    f(s, area, &mut b);
    text(&b)
}

#[test]
fn header_shows_source_band_centre_rate_ppm_time_speed_drops_gps_recording() {
    let s = state();
    for (w, _) in SIZES {
        let t = pane(render::render_header, &s, w, 2);
        let l: Vec<&str> = t.lines().collect();
        assert!(
            l[0].starts_with("TOWERWATCH replay sms-blaster.sigmf-meta │ e-gsm900 938.700 MHz"),
            "{t}"
        );
        if w >= 80 {
            assert!(l[0].contains("1.200 MS/s"), "{t}");
        }
        assert!(
            l[1].starts_with("t 0.5/1.7 s │ ▶ 1× │ dropped 0 │ GPS none │ REC n/a"),
            "{t}"
        );
        if w >= 160 {
            // The receiver's error is the consensus (median) of the carriers' offsets.
            assert!(l[0].contains("rx -1.50 ppm"), "{t}");
        }
    }
}

/// The GPS field: a fix as `lat,lon quality`, a lost fix as `LOST (reason)`, from the same text
/// the live loop makes out of the position provider; at 80 columns REC stays on the line (a long
/// reason is cut instead).
#[test]
fn header_shows_a_gps_fix_and_a_lost_fix_at_80_columns() {
    use towerwatch::gps::{Fix, FixQuality, PositionProvider, PositionStatus, Track};
    let mut s = state();
    let fixed = PositionProvider::Fixed(towerwatch::gps::parse_position("52.5201,13.405").unwrap());
    s.gps_fix = Some(towerwatch::tui::gps_text(&fixed.at(Some(0.5))));
    let t = pane(render::render_header, &s, 80, 2);
    let l2 = t.lines().nth(1).unwrap();
    assert!(l2.contains("GPS 52.52010,13.40500 FIXED │ REC n/a"), "{t}");
    // A track: 3D fix at 0 s, then the receiver reports no fix from 1 s on.
    let gga = |time: &str, q: u8| {
        let body = format!("GPGGA,{time},5231.206,N,01324.300,E,{q},08,0.9,34.0,M,,M,,");
        let ck = body.bytes().fold(0u8, |a, b| a ^ b);
        format!("${body}*{ck:02X}")
    };
    let gsa = {
        let body = "GPGSA,A,3,01,02,03,04,,,,,,,,,1.5,0.9,1.2";
        let ck = body.bytes().fold(0u8, |a, b| a ^ b);
        format!("${body}*{ck:02X}")
    };
    let lines = [gsa.clone(), gga("120000.00", 1), gga("120001.00", 0)];
    let track = Track::from_lines(lines.iter().map(String::as_str), "nmea:test", 5.0);
    let p = PositionProvider::Track(track);
    match p.at(Some(0.5)) {
        PositionStatus::Fix {
            fix: Fix { quality, .. },
            ..
        } => {
            assert!(matches!(quality, FixQuality::Fix3d | FixQuality::Fix2d))
        }
        other => panic!("{other:?}"),
    }
    s.gps_fix = Some(towerwatch::tui::gps_text(&p.at(Some(0.5))));
    let t = pane(render::render_header, &s, 80, 2);
    assert!(t.contains("GPS 52.52010,13.40500 "), "{t}");
    s.gps_fix = Some(towerwatch::tui::gps_text(&p.at(Some(1.5))));
    let t = pane(render::render_header, &s, 80, 2);
    let l2 = t.lines().nth(1).unwrap();
    assert!(
        l2.contains("GPS LOST (receiver reports no fix) │ REC n/a"),
        "{t}"
    );
    // A long reason is cut so that REC still shows.
    s.gps_fix = Some(towerwatch::tui::gps_text(&PositionStatus::Lost {
        reason: "gpsd:localhost:2947: Connection refused (os error 111), retrying".into(),
        last_fix_age_s: None,
    }));
    let t = pane(render::render_header, &s, 80, 2);
    let l2 = t.lines().nth(1).unwrap();
    assert!(l2.contains("GPS LOST (gpsd:localhost"), "{t}");
    assert!(l2.contains("… │ REC n/a"), "{t}");
    // And live recording shows its length.
    s.source.live = true;
    s.recording_s = Some(12.34);
    let t = pane(render::render_header, &s, 80, 2);
    assert!(t.contains("REC ● 12.3 s"), "{t}");
}

#[test]
fn header_pause_and_end_states() {
    let mut s = state();
    s.playback = Playback::Paused(4.0);
    assert!(pane(render::render_header, &s, 80, 2).contains("PAUSED (4×)"));
    s.playback = Playback::Ended;
    assert!(pane(render::render_header, &s, 80, 2).contains("■ ended"));
}

#[test]
fn spectrum_pane_has_trace_ticks_carriers_floor_and_waterfall() {
    let s = state();
    for (w, h) in [(80, 9), (160, 18)] {
        let t = pane(render::render_spectrum, &s, w, h);
        let l: Vec<&str> = t.lines().collect();
        assert!(
            l[0].contains("Spectrum 938.1–939.3 MHz · floor -80.0 dBFS/200k · 6 carriers"),
            "{t}"
        );
        // Tick row: found carriers are marked ▲ with their ARFCN.
        let ticks = l.iter().find(|x| x.starts_with("ARFCN")).expect(&t);
        for a in 16..=21 {
            assert!(ticks.contains(&format!("▲{a}")), "ARFCN {a} in {ticks}");
        }
        assert!(t.contains('█'), "trace bars\n{t}");
        assert!(t.contains('┈'), "noise floor line\n{t}");
        // Waterfall: the rows under the tick row hold shades.
        let wf: String = l
            .iter()
            .skip_while(|x| !x.starts_with("ARFCN"))
            .skip(1)
            .copied()
            .collect();
        assert!(
            wf.contains("  now") && wf.chars().any(|c| "░▒▓█".contains(c)),
            "{t}"
        );
    }
}

#[test]
fn spectrum_pane_waits_for_data() {
    let s = DashboardState::new(SourceSummary::default(), Playback::Unpaced);
    assert!(pane(render::render_spectrum, &s, 80, 9).contains("waiting for the first spectrum"));
}

#[test]
fn waterfall_is_bounded() {
    let mut s = state();
    for i in 0..(WATERFALL_ROWS + 50) {
        s.apply(&spectrum(i as f64 * 0.1));
    }
    assert_eq!(s.waterfall.len(), WATERFALL_ROWS);
}

#[test]
fn cell_table_lists_every_carrier_with_its_columns() {
    let s = state();
    let narrow = pane(render::render_cells, &s, 80, 9);
    let l: Vec<&str> = narrow.lines().collect();
    assert!(l[0].contains("Cells (6) · sort arfcn"), "{narrow}");
    assert_eq!(
        l[1].trim_end(),
        "Tech  Chan      MHz   dBFS    ppm   Id MCC-MNC  Area      CI  Nb Score State"
    );
    assert_eq!(
        l[2].trim_end(),
        "GSM     16    938.2  -40.0  +1.52   11 -           -       -   0     - sync"
    );
    assert!(
        l[7].starts_with("GSM     21    939.2  -26.0  +2.00   63"),
        "{narrow}"
    );
    let wide = pane(render::render_cells, &s, 160, 12);
    assert!(
        wide.contains("Operator") && wide.contains("Neighbours"),
        "{wide}"
    );
}

#[test]
fn cell_table_sorts_and_filters() {
    let mut s = state();
    handle_key(&mut s, key(KeyCode::Char('s'))); // power
    assert_eq!(s.view.sort, SortKey::Power);
    let t = pane(render::render_cells, &s, 80, 9);
    assert!(t.lines().nth(2).unwrap().starts_with("GSM     21 "), "{t}");
    handle_key(&mut s, key(KeyCode::Char('/')));
    for c in "939.2".chars() {
        handle_key(&mut s, key(KeyCode::Char(c)));
    }
    handle_key(&mut s, key(KeyCode::Enter));
    let t = pane(render::render_cells, &s, 80, 9);
    assert!(
        t.contains("Cells (1)") && t.contains("filter \"939.2\""),
        "{t}"
    );
    handle_key(&mut s, key(KeyCode::Char('/')));
    for c in "nothing".chars() {
        handle_key(&mut s, key(KeyCode::Char(c)));
    }
    assert!(pane(render::render_cells, &s, 80, 9).contains("no cell matches the filter"));
    handle_key(&mut s, key(KeyCode::Esc));
    assert!(s.view.filter.is_empty());
}

#[test]
fn marking_a_cell_shows_in_the_state_column() {
    let mut s = state();
    handle_key(&mut s, key(KeyCode::Char('j')));
    assert_eq!(handle_key(&mut s, key(KeyCode::Char('m'))), Action::Mark);
    assert_eq!(handle_key(&mut s, key(KeyCode::Char('m'))), Action::Mark);
    let t = pane(render::render_cells, &s, 80, 9);
    assert!(
        t.lines().nth(3).unwrap().trim_end().ends_with("SUSPECT"),
        "{t}"
    );
}

#[test]
fn sync_loss_shows_as_lost() {
    let mut s = state();
    s.apply(&Observation::SyncLost(SyncLostObs {
        sample_index: 5000,
        time_s: 0.3,
        band: Band::EGsm900,
        arfcn: 18,
        frame_number: 99,
        reason: "SchCrc".into(),
    }));
    let t = pane(render::render_cells, &s, 80, 9);
    assert!(
        t.lines().nth(4).unwrap().trim_end().ends_with("lost"),
        "{t}"
    );
}

#[test]
fn alert_feed_shows_severity_time_cell_reason() {
    let mut s = state();
    let empty = pane(render::render_alerts, &s, 50, 5);
    assert!(empty.contains("no alerts · watching 6 cells"), "{empty}");
    s.push_alert(blaster_alert());
    for (w, h) in [(50, 5), (100, 12)] {
        let t = pane(render::render_alerts, &s, w, h);
        let l: Vec<&str> = t.lines().collect();
        assert!(l[0].contains("Alerts (1)"), "{t}");
        let want = "HIGH     0.8s ARFCN 21   1 signature: short_neighbour_list";
        let n = usize::from(w - 1).min(want.chars().count());
        let want: String = want.chars().take(n).collect();
        assert_eq!(l[1].chars().take(n).collect::<String>(), want, "{t}");
    }
    // An update replaces the entry; a clear keeps it, marked, and zeroes the cell's score.
    let mut cleared = blaster_alert();
    cleared.event = AlertEvent::Cleared;
    s.push_alert(cleared);
    assert_eq!(s.alerts.len(), 1);
    let t = pane(render::render_alerts, &s, 100, 5);
    assert!(t.lines().nth(1).unwrap().starts_with("clear "), "{t}");
    s.push_alert(blaster_alert());
    // The alert scores its cell.
    let cells = pane(render::render_cells, &s, 80, 9);
    assert!(
        cells
            .lines()
            .nth(7)
            .unwrap()
            .trim_end()
            .ends_with("5 ALERT"),
        "{cells}"
    );
}

#[test]
fn decode_counters_per_carrier_and_total() {
    let s = state();
    let t = pane(render::render_counters, &s, 50, 10);
    let l: Vec<&str> = t.lines().collect();
    assert!(l[0].contains("Decode (live est.)"), "{t}");
    assert_eq!(l[1].trim_end(), "ARFCN   FCCH SCH ok/bad  blk ok/bad lost");
    assert_eq!(l[2].trim_end(), "   16      1     1/0         0/0       0");
    assert!(
        l.iter().any(|x| x.starts_with("  all      6     6/0")),
        "{t}"
    );
}

#[test]
fn details_open_on_enter_for_the_selected_alert() {
    let mut s = state();
    s.push_alert(blaster_alert());
    handle_key(&mut s, key(KeyCode::Tab));
    assert_eq!(s.view.focus, Focus::Alerts);
    handle_key(&mut s, key(KeyCode::Enter));
    assert!(s.view.details);
    for (w, h) in SIZES {
        let t = text(&draw(&s, w, h));
        assert!(t.contains("Alert 1: HIGH ARFCN 21"), "{t}");
        assert!(
            t.contains("• short_neighbour_list v1 [low +1.5] no neighbours advertised"),
            "{t}"
        );
        assert!(
            t.contains("neighbours = 0 (fires when neighbours < 1)"),
            "{t}"
        );
        assert!(
            t.contains("known false positives: a lone rural cell"),
            "{t}"
        );
        assert!(t.contains("What to do next: export the evidence"), "{t}");
    }
    assert_eq!(handle_key(&mut s, key(KeyCode::Char('e'))), Action::Export);
    handle_key(&mut s, key(KeyCode::Esc));
    assert!(!s.view.details);
}

#[test]
fn details_of_a_cell() {
    let mut s = state();
    handle_key(&mut s, key(KeyCode::Enter));
    let t = text(&draw(&s, 80, 24));
    assert!(t.contains("Cell: ARFCN 16 (e-gsm900)"), "{t}");
    assert!(t.contains("BSIC 11 (NCC 1, BCC 3)"), "{t}");
}

#[test]
fn help_overlay_lists_every_key() {
    let mut s = state();
    handle_key(&mut s, key(KeyCode::Char('?')));
    for (w, h) in SIZES {
        let t = text(&draw(&s, w, h));
        assert!(t.contains(" Help "), "{t}");
        for k in [
            "q", "space", "+ / -", "tab", "enter", "/", "s", "r", "m", "e", "?",
        ] {
            assert!(
                t.lines().any(|l| l.contains(&format!(" {k}  "))),
                "key {k}\n{t}"
            );
        }
    }
    handle_key(&mut s, key(KeyCode::Esc));
    assert!(!s.view.help);
}

#[test]
fn whole_screen_at_both_sizes() {
    let mut s = state();
    s.push_alert(blaster_alert());
    for (w, h) in SIZES {
        let t = text(&draw(&s, w, h));
        for needle in [
            "TOWERWATCH",
            "Spectrum",
            "Cells (6)",
            "Alerts (1)",
            "What to do",
            "q quit",
        ] {
            assert!(t.contains(needle), "{needle} at {w}×{h}\n{t}");
        }
        // Every carrier row fits at 160×48; at 80×24 the table scrolls to the selection.
        if h >= 48 {
            for a in 16..=21 {
                assert!(t.contains(&format!("   {a}    9")), "ARFCN {a}\n{t}");
            }
        }
    }
}

#[test]
fn no_color_draws_the_same_text_without_colours() {
    let mut s = state();
    s.push_alert(blaster_alert());
    let coloured = draw(&s, 80, 24);
    s.view.no_color = true;
    let plain = draw(&s, 80, 24);
    assert_eq!(lines(&coloured), lines(&plain));
    let a = plain.area;
    for y in a.top()..a.bottom() {
        for x in a.left()..a.right() {
            let c = &plain[(x, y)];
            assert_eq!(c.fg, ratatui::style::Color::Reset, "fg at {x},{y}");
            assert_eq!(c.bg, ratatui::style::Color::Reset, "bg at {x},{y}");
        }
    }
}

#[test]
fn keys_map_to_actions() {
    let mut s = state();
    assert_eq!(handle_key(&mut s, key(KeyCode::Char('q'))), Action::Quit);
    assert_eq!(
        handle_key(&mut s, key(KeyCode::Char(' '))),
        Action::TogglePause
    );
    assert_eq!(
        handle_key(&mut s, key(KeyCode::Char('+'))),
        Action::Speed(1)
    );
    assert_eq!(
        handle_key(&mut s, key(KeyCode::Char('-'))),
        Action::Speed(-1)
    );
    assert_eq!(handle_key(&mut s, key(KeyCode::Char('r'))), Action::Record);
    assert_eq!(
        handle_key(
            &mut s,
            KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
        ),
        Action::Quit
    );
    // Selection stays inside the table.
    for _ in 0..20 {
        handle_key(&mut s, key(KeyCode::Down));
    }
    assert_eq!(s.view.cell_index, 5);
    handle_key(&mut s, key(KeyCode::Char('k')));
    assert_eq!(s.view.cell_index, 4);
}

/// Run the whole pipeline and the alert engine over a bundled recording, folded into the state.
fn replay(name: &str) -> Option<DashboardState> {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    use towerwatch::pipeline::gsm::GsmStageConfig;
    use towerwatch::pipeline::{Event, Pipeline, PipelineConfig, SpectrumStageConfig};
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("recordings")
        .join(format!("{name}.sigmf-meta"));
    if !path.exists() {
        eprintln!("skipped: {} not found", path.display());
        return None;
    }
    let src = towerwatch::source::open_file(&path, &Default::default()).unwrap();
    let info = src.info().clone();
    let p = Pipeline::start(
        src,
        &PipelineConfig::default(),
        SpectrumStageConfig {
            interval_s: 0.1,
            include_psd: true,
            ..Default::default()
        },
        Some(GsmStageConfig::default()),
        Arc::new(AtomicBool::new(false)),
    )
    .unwrap();
    let mut s = DashboardState::new(
        SourceSummary {
            description: info.description.clone(),
            live: false,
            sample_rate_sps: info.sample_rate_sps,
            center_freq_hz: info.center_freq_hz,
            total_samples: info.total_samples,
        },
        Playback::Ended,
    );
    let mut engine = towerwatch::alert::Engine::new(
        towerwatch::cells::CellRegistry::new(Default::default(), Default::default()),
        towerwatch::detect::all_default(),
        Default::default(),
    );
    for ev in p.events.iter() {
        match ev {
            Event::Observation(o) => {
                s.apply(&o);
                for a in engine.observe(&o) {
                    s.push_alert(a);
                }
            }
            Event::Progress(n) => s.samples_done = n,
        }
    }
    p.finish().unwrap();
    Some(s)
}

#[test]
fn legitimate_recording_fills_the_dashboard_without_alerts() {
    let Some(s) = replay("legit-neighbourhood") else {
        return;
    };
    assert!(
        s.waterfall.len() >= 10,
        "{} waterfall rows",
        s.waterfall.len()
    );
    assert!(s.cells.len() >= 4, "{} cells", s.cells.len());
    assert!(s.total_counters().exact);
    let mut s = s;
    s.view.counters = true;
    let t = text(&draw(&s, 160, 48));
    println!("{t}");
    assert!(t.contains("262-01") && t.contains("Telekom"), "{t}");
    assert!(t.contains("Decode ") && !t.contains("live est."), "{t}");
    assert!(
        s.alerts.iter().all(|a| a.severity < Severity::Low),
        "{:#?}",
        s.alerts
    );
}

#[test]
fn sms_blaster_recording_raises_a_high_alert_on_its_cell() {
    let Some(s) = replay("sms-blaster") else {
        return;
    };
    let t = text(&draw(&s, 160, 48));
    println!("{t}");
    assert!(t.contains("7777"), "the blaster's LAC\n{t}");
    let high = s.alerts.iter().find(|a| a.severity == Severity::High);
    assert!(high.is_some_and(|a| a.cell.arfcn == 21), "{:#?}", s.alerts);
}

/// `m` goes into the detection engine's baseline at once and is saved to the baseline file.
#[test]
fn marking_a_cell_saves_it_in_the_baseline() {
    use towerwatch::cells::baseline::{Baseline, CellStatus};
    use towerwatch_dsp::gsm::l3::Lai;
    let mut s = state();
    for row in s.cells.values_mut() {
        row.summary.lai = Some(Lai {
            mcc: 262,
            mnc: 1,
            mnc_3digits: false,
            lac: 7777,
        });
        row.summary.cell_identity = Some(row.arfcn + 1000);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baseline.toml");
    let mut engine = towerwatch::alert::setup::engine(&Default::default())
        .unwrap()
        .unwrap();
    // The selected row; m twice = suspect.
    let arfcn = s.selected_cell().unwrap().arfcn;
    for _ in 0..2 {
        assert_eq!(handle_key(&mut s, key(KeyCode::Char('m'))), Action::Mark);
        towerwatch::tui::apply_mark(&mut s, Some(&mut engine), Some(&path));
    }
    let msg = s.view.message.clone().unwrap();
    assert!(msg.contains("saved to"), "{msg}");
    let b = Baseline::load(&path).unwrap();
    let cgi = towerwatch::cells::Cgi::parse(&format!("262-01-7777-{}", 1000 + arfcn)).unwrap();
    let c = b.find(&cgi).next().expect("cell in the saved baseline");
    assert_eq!(c.status, CellStatus::Suspect);
    assert_eq!(
        engine.registry.baseline.find(&cgi).next().unwrap().status,
        CellStatus::Suspect
    );
}

/// The `r` recording tap: armed, it writes the analysis thread's blocks to a SigMF pair (0600),
/// a retune makes a new capture, dropped blocks leave a gap annotation; disarmed, the pair is
/// hashed and `towerwatch verify` accepts it; blocks after that are not recorded.
#[test]
fn record_tap_writes_a_verified_sigmf_recording() {
    use num_complex::Complex32;
    use towerwatch::pipeline::record::RecordTap;
    use towerwatch::source::SampleFormat;
    use towerwatch::source::sigmf::WriterMeta;
    let dir = tempfile::tempdir().unwrap();
    let tap = RecordTap::new(WriterMeta::new(SampleFormat::Ci16Le, 1e6, 938e6));
    let block = |k: u64| -> Vec<Complex32> {
        (0..1000)
            .map(|i| Complex32::new(((k * 1000 + i) % 200) as f32 / 400.0, -0.25))
            .collect()
    };
    // Not armed: nothing happens.
    tap.push(0, 938e6, &block(0));
    assert_eq!(tap.recorded_s(), None);
    assert!(!tap.disarm(true));
    let base = dir.path().join(towerwatch::pipeline::record::utc_stem());
    let meta = tap.arm(&base, 938e6).unwrap();
    assert!(tap.arm(&base, 938e6).is_err(), "second arm refused");
    tap.push(1000, 938e6, &block(1));
    tap.push(2000, 938e6, &block(2));
    tap.push(4000, 938e6, &block(4)); // 3000..4000 dropped upstream
    tap.push(5000, 940e6, &block(5)); // retuned
    assert!((tap.recorded_s().unwrap() - 0.004).abs() < 1e-9);
    assert!(tap.disarm(true));
    assert_eq!(tap.recorded_s(), None);
    tap.push(6000, 940e6, &block(6)); // after stopping: not recorded
    let done = tap.take_finished().unwrap().unwrap();
    assert_eq!(done.samples, 4000);
    assert_eq!(done.meta_path, meta);
    assert!(
        meta.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("towerwatch-")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for ext in ["sigmf-meta", "sigmf-data"] {
            let m = std::fs::metadata(meta.with_extension(ext)).unwrap();
            assert_eq!(m.permissions().mode() & 0o777, 0o600, "{ext}");
        }
    }
    assert_eq!(
        std::fs::metadata(meta.with_extension("sigmf-data"))
            .unwrap()
            .len(),
        4000 * 4
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta).unwrap()).unwrap();
    assert_eq!(doc["global"]["core:sha512"].as_str().unwrap(), done.sha512);
    assert_eq!(doc["global"]["core:datatype"], "ci16_le");
    assert_eq!(doc["captures"].as_array().unwrap().len(), 2);
    assert_eq!(doc["captures"][1]["core:sample_start"], 3000);
    assert_eq!(doc["captures"][1]["core:frequency"], 940e6);
    assert!(doc["captures"][0]["core:datetime"].is_string());
    let gap = &doc["annotations"][0];
    assert_eq!(gap["core:label"], "gap");
    assert_eq!(gap["core:sample_start"], 2000);
    // The samples read back as written (16-bit quantisation).
    let (mut r, _) = towerwatch::source::sigmf::open(&meta, true).unwrap();
    let mut got = vec![Complex32::new(0.0, 0.0); 5000];
    use towerwatch::source::SampleSource;
    let mut n = 0;
    loop {
        let k = r.read(&mut got[n..]).unwrap();
        if k == 0 {
            break;
        }
        n += k;
    }
    assert_eq!(n, 4000);
    let want: Vec<Complex32> = [1, 2, 4, 5].iter().flat_map(|&k| block(k)).collect();
    for (a, b) in got[..n].iter().zip(&want) {
        assert!((a - b).norm() < 1e-3, "{a} vs {b}");
    }
    let v = std::process::Command::new(env!("CARGO_BIN_EXE_towerwatch"))
        .arg("verify")
        .arg(&meta)
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}

/// `f` on the selected cell replaces the decode counters with its hot/cold indicator, fed from
/// the spectrum's channel power: a power rising 4 dB/s reads `▲ +4.0 dB/s HOTTER`; `f` again
/// closes it.
#[test]
fn finder_pane_follows_the_selected_cell() {
    let mut s = state();
    handle_key(&mut s, key(KeyCode::End)); // ARFCN 21
    assert_eq!(handle_key(&mut s, key(KeyCode::Char('f'))), Action::None);
    assert!(
        s.view
            .message
            .as_deref()
            .is_some_and(|m| m.contains("finder on ARFCN 21")),
        "{:?}",
        s.view.message
    );
    for (w, h) in SIZES {
        let t = text(&draw(&s, w, h));
        assert!(t.contains("Finder ARFCN 21 (e-gsm900)"), "{t}");
        assert!(t.contains("waiting for the channel"), "{t}");
        assert!(!t.contains(" Decode"), "{t}");
    }
    for i in 5..30 {
        let t = f64::from(i) * 0.1;
        let mut o = spectrum(t);
        if let Observation::Spectrum(sp) = &mut o {
            for c in sp.channels.iter_mut().filter(|c| c.arfcn == 21) {
                c.power_dbfs = -60.0 + 4.0 * t;
            }
        }
        s.apply(&o);
    }
    let r = s.finder.as_ref().unwrap().last.unwrap();
    assert!((r.rate_db_per_s - 4.0).abs() < 1e-6, "{r:?}");
    for (w, h) in SIZES {
        let t = text(&draw(&s, w, h));
        println!("{t}");
        assert!(t.contains("▲ +4.0 dB/s HOTTER"), "{t}");
        assert!(t.contains("-48.4 dBFS  avg"), "{t}");
        assert!(t.contains("peak "), "{t}");
        if h >= 48 {
            assert!(t.contains("[#"), "bar\n{t}");
        }
    }
    handle_key(&mut s, key(KeyCode::Char('f')));
    assert!(s.finder.is_none());
    assert!(text(&draw(&s, 80, 24)).contains(" What to do"));
}

/// The headline under the header names the worst open alert in plain words at 80 columns, and
/// says all is quiet otherwise.
#[test]
fn headline_says_what_is_wrong_in_plain_words() {
    let mut s = state();
    let quiet = text(&draw(&s, 80, 24));
    assert!(
        quiet.contains("No suspicious transmitter · watching 6 cells"),
        "{quiet}"
    );
    s.push_alert(blaster_alert());
    for (w, h) in SIZES {
        let t = lines(&draw(&s, w, h));
        assert!(
            t[2].contains("Likely fake base station on 939.2 MHz (ARFCN 21) — HIGH"),
            "{}",
            t.join("\n")
        );
    }
    // A cleared alert leaves the headline.
    let mut cleared = blaster_alert();
    cleared.event = AlertEvent::Cleared;
    s.push_alert(cleared);
    assert!(text(&draw(&s, 80, 24)).contains("No suspicious transmitter"));
}

/// The details overlay scrolls: at 80×24 the last signature of an eight-signature alert is
/// reached with the arrow keys, and the footer says where one is.
#[test]
fn details_scroll_to_every_signature_at_80x24() {
    let mut s = state();
    let mut a = blaster_alert();
    let one = a.signatures[0].clone();
    a.signatures = (0..8)
        .map(|i| Signature {
            message: format!("signature number {i} of eight"),
            ..one.clone()
        })
        .collect();
    s.push_alert(a);
    handle_key(&mut s, key(KeyCode::Tab));
    handle_key(&mut s, key(KeyCode::Enter));
    let first = text(&draw(&s, 80, 24));
    assert!(first.contains("signature number 0"), "{first}");
    assert!(!first.contains("signature number 7"), "{first}");
    assert!(first.contains("scroll"), "{first}");
    for _ in 0..60 {
        handle_key(&mut s, key(KeyCode::Down));
    }
    let last = text(&draw(&s, 80, 24));
    assert!(last.contains("signature number 7"), "{last}");
    handle_key(&mut s, key(KeyCode::PageDown));
    assert_eq!(
        text(&draw(&s, 80, 24)),
        last,
        "scrolling stops with the last line at the bottom"
    );
    handle_key(&mut s, key(KeyCode::Char('g')));
    assert!(text(&draw(&s, 80, 24)).contains("signature number 0"));
    assert!(s.view.details, "scrolling keeps the overlay open");
}

/// The footer always ends with `? help`, at 80 columns too.
#[test]
fn footer_keeps_help_in_view_at_80_columns() {
    let s = state();
    for (w, h) in SIZES {
        let t = lines(&draw(&s, w, h));
        let footer = t.last().unwrap().trim_end();
        assert!(footer.ends_with("? help"), "{footer}");
        assert!(footer.starts_with("q quit"), "{footer}");
    }
}

/// An info finding (a cell missing from the baseline after `m`) is not an alert: the cell's
/// state column does not read ALERT.
#[test]
fn an_info_finding_does_not_read_as_an_alert() {
    let mut s = state();
    let mut info = blaster_alert();
    info.severity = Severity::Info;
    info.cell = CellKey::carrier(Band::EGsm900, 17);
    s.push_alert(info);
    let row = s.cells.values().find(|c| c.arfcn == 17).unwrap();
    assert_ne!(row.state_label(), "ALERT");
    s.push_alert(blaster_alert());
    let row = s.cells.values().find(|c| c.arfcn == 21).unwrap();
    assert_eq!(row.state_label(), "ALERT");
}

/// The header shows the speed reached when it falls short of the one asked for.
#[test]
fn header_shows_the_speed_achieved_when_short_of_the_one_asked() {
    let mut s = state();
    s.playback = Playback::Running(8.0);
    s.achieved_speed = Some(2.5);
    let t = pane(render::render_header, &s, 160, 2);
    assert!(t.contains("▶ 2.5× (asked 8×)"), "{t}");
    s.achieved_speed = Some(7.9);
    let t = pane(render::render_header, &s, 160, 2);
    assert!(t.contains("▶ 8×") && !t.contains("asked"), "{t}");
}

/// The engineering counters are one key away: `c` swaps the what-to-do pane for them.
#[test]
fn counters_are_one_key_away_from_what_to_do() {
    let mut s = state();
    let t = text(&draw(&s, 80, 24));
    assert!(t.contains("What to do") && !t.contains("FCCH SCH"), "{t}");
    assert!(t.contains("Nothing to do"), "{t}");
    handle_key(&mut s, key(KeyCode::Char('c')));
    let t = text(&draw(&s, 160, 48));
    assert!(t.contains("FCCH SCH") && !t.contains("What to do"), "{t}");
    handle_key(&mut s, key(KeyCode::Char('c')));
    s.push_alert(blaster_alert());
    let t = text(&draw(&s, 160, 48));
    assert!(
        t.contains("Alert 1 — HIGH") && t.contains("export the evidence"),
        "{t}"
    );
}
