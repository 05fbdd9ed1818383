//! The overlays: details of the selected alert or cell, and the help screen.

use super::*;

/// Details of the selected alert (alert pane focused) or the selected cell (cell table focused).
pub fn render_details(s: &DashboardState, area: Rect, buf: &mut Buffer) {
    let t = Theme::of(s);
    let box_area = overlay_area(area);
    Clear.render(box_area, buf);
    let (title, lines): (String, Vec<Line>) = match s.view.focus {
        Focus::Alerts => match s.selected_alert() {
            Some(a) => (
                format!(
                    " Alert {}: {} {} ",
                    a.id,
                    a.severity.to_string().to_uppercase(),
                    cell_label(a)
                ),
                alert_detail_lines(a, t),
            ),
            None => (" Alert ".into(), vec![Line::raw("no alert selected")]),
        },
        Focus::Cells => match s.selected_cell() {
            Some(c) => match &c.lte {
                Some(l) => (format!(" Cell: {} ", l.id), lte_detail_lines(c)),
                None => (
                    format!(" Cell: ARFCN {} ({}) ", c.arfcn, c.band),
                    cell_detail_lines(s, c),
                ),
            },
            None => (" Cell ".into(), vec![Line::raw("no cell selected")]),
        },
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .title(Span::styled(title, t.title(true)));
    let inner = block.inner(box_area);
    let para = Paragraph::new(lines).wrap(Wrap { trim: false });
    // Scrolling stops with the last line at the bottom of the box.
    let total = u16::try_from(para.line_count(inner.width)).unwrap_or(u16::MAX);
    let last_top = total.saturating_sub(inner.height);
    let top = s.view.details_scroll.min(last_top);
    let more = if last_top == 0 {
        String::new()
    } else {
        format!(
            " lines {}-{} of {total} · ↑↓ PgUp PgDn scroll ·",
            top + 1,
            (top + inner.height).min(total)
        )
    };
    let block = block.title_bottom(Span::styled(
        format!("{more} esc close · e export "),
        t.dim(),
    ));
    para.block(block).scroll((top, 0)).render(box_area, buf);
}

/// `ARFCN 21`, `UL 45` for an uplink channel, `EARFCN 1750 PCI 142` for an LTE cell.
pub(super) fn cell_label(a: &Alert) -> String {
    if let Some(id) = a.cell.lte {
        format!("EARFCN {} PCI {}", id.earfcn, id.pci)
    } else if a.cell.uplink {
        format!("UL {}", a.cell.arfcn)
    } else {
        format!("ARFCN {}", a.cell.arfcn)
    }
}

/// One-line reason: the signatures that fired, strongest first.
pub(super) fn reason(a: &Alert) -> String {
    let ids: Vec<&str> = a.signatures.iter().map(|s| s.detector).collect();
    match ids.len() {
        0 => a.summary.clone(),
        1 => format!("1 signature: {}", ids[0]),
        n => format!("{n} signatures: {}", ids.join(", ")),
    }
}

pub(super) fn fmt_num(v: f64) -> String {
    crate::num::text(v)
}

pub(super) fn alert_detail_lines(a: &Alert, t: Theme) -> Vec<Line<'static>> {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let tech = if a.cell.lte.is_some() {
        "LTE".to_string()
    } else {
        a.cell.band.to_string()
    };
    let mut id = format!("{tech} {}", cell_label(a));
    if let Some(b) = a.cell.bsic {
        id.push_str(&format!(" BSIC {b}"));
    }
    if let Some(c) = &a.cell.cgi {
        id.push_str(&format!(" CGI {c}"));
    }
    let mut v = vec![
        Line::from(vec![
            Span::styled(
                a.severity.to_string().to_uppercase(),
                t.severity(a.severity),
            ),
            Span::raw(format!(
                "  score {:.1} · raised {:.1} s · last {:.1} s ({:?}) · {id}",
                a.score, a.raised_s, a.time_s, a.event
            )),
        ]),
        Line::from(vec![
            Span::styled("What to do next: ", bold),
            Span::raw(a.advice.clone()),
        ]),
        Line::raw(""),
        Line::raw(a.summary.clone()),
        Line::raw(""),
    ];
    if !a.related.is_empty() {
        // The other half of a correlated alert (the LTE cell of a downgrade blaster).
        let related: Vec<String> = a.related.iter().map(related_label).collect();
        v.push(Line::from(vec![
            Span::styled("Related cells: ", bold),
            Span::raw(related.join(", ")),
        ]));
        v.push(Line::raw(""));
    }
    v.push(Line::styled(
        format!("Signatures ({})", a.signatures.len()),
        bold,
    ));
    for sig in &a.signatures {
        v.push(Line::from(vec![
            Span::styled(format!("• {} v{} ", sig.detector, sig.version), bold),
            Span::styled(
                format!("[{} +{:.1}] ", sig.severity, sig.score),
                t.severity(sig.severity),
            ),
            Span::raw(sig.message.clone()),
        ]));
        for e in &sig.evidence {
            let test = match e.threshold {
                Some(th) => format!(" (fires when {} {} {})", e.name, e.test, fmt_num(th)),
                None => String::new(),
            };
            v.push(Line::raw(format!(
                "    {} = {}{test}",
                e.name,
                fmt_num(e.value)
            )));
        }
        if !sig.known_false_positives.is_empty() {
            v.push(Line::styled(
                format!("    known false positives: {}", sig.known_false_positives),
                t.dim(),
            ));
        }
    }
    v
}

/// A related cell in words: `LTE EARFCN 1750 PCI 301 (1860.0 MHz)`, `ARFCN 21 (e-gsm900)`.
fn related_label(k: &crate::cells::CellKey) -> String {
    match k.lte {
        Some(id) => match towerwatch_dsp::earfcn::dl_freq_hz(id.earfcn) {
            Some(f) => format!("{id} ({:.1} MHz)", f / 1e6),
            None => id.to_string(),
        },
        None if k.uplink => format!("uplink ARFCN {} ({})", k.arfcn, k.band),
        None => format!("ARFCN {} ({})", k.arfcn, k.band),
    }
}

/// The details of an LTE row: measurements, then what its SIB1 says.
fn lte_detail_lines(c: &CellRow) -> Vec<Line<'static>> {
    let mut v = vec![Line::raw(format!(
        "{:.3} MHz  RSRP {}  offset {}  state {}",
        c.freq_hz / 1e6,
        c.power_dbfs.map_or("-".into(), |p| format!("{p:.1} dBFS")),
        c.offset_ppm.map_or("-".into(), |p| format!("{p:+.3} ppm")),
        c.state_label()
    ))];
    let Some(f) = c.lte.as_ref().and_then(|l| l.sib1.as_ref()) else {
        v.push(Line::raw(
            "SIB1 not decoded (it needs the cell's whole bandwidth in the capture)",
        ));
        return v;
    };
    let plmns: Vec<String> = f.plmns.iter().map(|p| p.to_string()).collect();
    v.push(Line::raw(format!(
        "SIB1 PLMN {} {}  TAC {}  cell identity {} (eNB {})  band {}",
        plmns.join(","),
        c.operator.as_deref().unwrap_or(""),
        f.tac,
        f.cell_identity,
        f.enb_id,
        f.freq_band_indicator
    )));
    v.push(Line::raw(format!(
        "cellBarred {}  intraFreqReselection {}  q-RxLevMin {} dBm",
        if f.cell_barred { "barred" } else { "notBarred" },
        if f.intra_freq_reselection_allowed {
            "allowed"
        } else {
            "notAllowed"
        },
        f.q_rx_lev_min_dbm
    )));
    let sched: Vec<String> = f
        .scheduling
        .iter()
        .map(|m| {
            let sibs: Vec<String> = m.sibs.iter().map(|n| format!("SIB{n}")).collect();
            format!("rf{}: {}", m.periodicity_rf, sibs.join(" "))
        })
        .collect();
    v.push(Line::raw(format!(
        "SI schedule (SIB2 implicit) {}",
        sched.join("; ")
    )));
    v
}

pub(super) fn cell_detail_lines(s: &DashboardState, c: &CellRow) -> Vec<Line<'static>> {
    let sm = &c.summary;
    let mut v = vec![Line::raw(format!(
        "{:.3} MHz  power {}  offset {} (receiver {})  state {}",
        c.freq_hz / 1e6,
        c.power_dbfs.map_or("-".into(), |p| format!("{p:.1} dBFS")),
        c.offset_ppm.map_or("-".into(), |p| format!("{p:+.3} ppm")),
        s.receiver_ppm()
            .map_or("?".into(), |p| format!("{p:+.3} ppm")),
        c.state_label()
    ))];
    v.push(Line::raw(match c.bsic {
        Some(b) => format!("BSIC {b} (NCC {}, BCC {})", b >> 3, b & 7),
        None => "BSIC not decoded".into(),
    }));
    if let Some(mm) = c.mcc_mnc() {
        v.push(Line::raw(format!(
            "MCC-MNC {mm} {}  LAC {}  CI {}",
            c.operator.as_deref().unwrap_or(""),
            opt(sm.lai.as_ref().map(|l| l.lac)),
            opt(sm.cell_identity)
        )));
    }
    let list = |l: &[u16]| {
        if l.is_empty() {
            "-".to_string()
        } else {
            l.iter().map(u16::to_string).collect::<Vec<_>>().join(" ")
        }
    };
    v.push(Line::raw(format!(
        "neighbours SI2 {{{}}} SI2bis {{{}}} SI2ter {{{}}}",
        list(&sm.si2_neighbours),
        list(&sm.si2bis_neighbours),
        list(&sm.si2ter_neighbours)
    )));
    if let Some(p) = &sm.selection {
        v.push(Line::raw(format!(
            "reselection CRO {} dB  temporary offset {}  penalty time {}",
            p.cell_reselect_offset_db(),
            p.temporary_offset,
            p.penalty_time
        )));
    }
    if let Some(cs) = &sm.cell_selection {
        v.push(Line::raw(format!(
            "selection RXLEV_ACCESS_MIN {}  MS_TXPWR_MAX_CCH {}  hysteresis {}",
            cs.rxlev_access_min, cs.ms_txpwr_max_cch, cs.cell_reselect_hysteresis
        )));
    }
    let counts: Vec<String> = sm
        .message_counts
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    v.push(Line::raw(format!(
        "messages {}",
        if counts.is_empty() {
            "-".into()
        } else {
            counts.join(", ")
        }
    )));
    v.push(Line::raw(format!(
        "paging/assignments: IA {}  reject {}",
        sm.immediate_assignments, sm.immediate_assignment_rejects
    )));
    v.push(Line::raw(counters_line("this", &c.counters)));
    v
}

/// Key help.
pub fn render_help(s: &DashboardState, area: Rect, buf: &mut Buffer) {
    let t = Theme::of(s);
    let box_area = overlay_area(area);
    Clear.render(box_area, buf);
    let keys = [
        ("q", "quit (restores the terminal)"),
        ("space", "pause / resume the replay"),
        ("+ / -", "replay faster / slower"),
        ("tab", "focus: cell table ↔ alert feed"),
        ("↑↓ j k", "move the selection"),
        ("enter", "details of the selected alert or cell"),
        ("/", "filter the cell table (enter keeps, esc clears)"),
        ("s", "sort the cell table: arfcn, power, score, offset"),
        (
            "r",
            "record on/off (live receivers: SigMF in the export directory)",
        ),
        ("m", "mark the selected cell good / suspect / unmarked"),
        (
            "f",
            "finder: hot/cold power of the selected cell (f again closes)",
        ),
        (
            "c",
            "decode counters per carrier (FCCH, SCH, blocks) instead of what to do",
        ),
        (
            "e",
            "export the selected alert's evidence bundle (IQ, frames, manifest)",
        ),
        ("?", "this help; esc closes"),
    ];
    let mut lines: Vec<Line> = keys
        .iter()
        .map(|(k, d)| {
            Line::from(vec![
                Span::styled(
                    format!("{k:>8}  "),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                Span::raw(*d),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "ppm: measured FCCH offset (includes the receiver clock error rx ppm, with opposite sign)",
        t.dim(),
    ));
    Paragraph::new(lines)
        .block(
            Block::new()
                .borders(Borders::ALL)
                .title(Span::styled(" Help ", t.title(true))),
        )
        .wrap(Wrap { trim: false })
        .render(box_area, buf);
}
