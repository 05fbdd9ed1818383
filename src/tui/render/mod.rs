//! Drawing: one pure function per pane, each from `&DashboardState` into a buffer area.
//!
//! Nothing here changes state. Colours only mark what the text already says (severity names,
//! carrier markers, the selected row is reversed), so `NO_COLOR` loses nothing.

mod details;

use details::{cell_label, reason};
pub use details::{render_details, render_help};

use crate::alert::{Alert, AlertEvent};
use crate::detect::Severity;
use crate::tui::state::{CellRow, DashboardState, DecodeCounters, Focus, Playback};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};
use towerwatch_dsp::arfcn::{Direction, channel_at};

/// Below this width the cell table drops the operator name and the neighbour list.
const WIDE: u16 = 120;

/// Styles, honouring `NO_COLOR`.
#[derive(Debug, Clone, Copy)]
struct Theme {
    color: bool,
}

impl Theme {
    fn of(s: &DashboardState) -> Theme {
        Theme {
            color: !s.view.no_color,
        }
    }
    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }
    fn title(self, focused: bool) -> Style {
        let s = Style::new().add_modifier(Modifier::BOLD);
        if focused {
            if self.color {
                s.fg(Color::Cyan)
            } else {
                s.add_modifier(Modifier::UNDERLINED)
            }
        } else {
            s
        }
    }
    fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    fn severity(self, sev: Severity) -> Style {
        let rank = sev as u8;
        let base = if rank >= 3 {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        if !self.color {
            return base;
        }
        base.fg(match rank {
            3.. => Color::Red,
            2 => Color::LightRed,
            1 => Color::Yellow,
            _ => Color::Cyan,
        })
    }
    fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
}

/// Write `s` at (x, y) inside `area`, clipped to it.
fn put(buf: &mut Buffer, area: Rect, x: u16, y: u16, s: &str, style: Style) {
    if y < area.top() || y >= area.bottom() || x >= area.right() || x < area.left() {
        return;
    }
    // Text from files and the air (operator, scene and cell names, SMS text): escaped, so a
    // bidi override or a control character cannot change what the rest of the screen shows.
    let s = crate::term::escape(s);
    buf.set_stringn(x, y, &s, usize::from(area.right() - x), style);
}

fn pane(title: String, focused: bool, t: Theme) -> Block<'static> {
    Block::new()
        .borders(Borders::TOP)
        .border_style(t.dim())
        .title(Span::styled(title, t.title(focused)))
}

/// The whole screen.
pub fn draw(s: &DashboardState, area: Rect, buf: &mut Buffer) {
    let t = Theme::of(s);
    let small = area.height < 36;
    let [header, headline, spectrum, cells, bottom, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Percentage(if small { 38 } else { 40 }),
        Constraint::Min(4),
        Constraint::Percentage(if small { 22 } else { 25 }),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(s, header, buf);
    render_headline(s, headline, buf);
    render_spectrum(s, spectrum, buf);
    render_cells(s, cells, buf);
    let [alerts, counters] =
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(bottom);
    render_alerts(s, alerts, buf);
    if s.finder.is_some() {
        render_finder(s, counters, buf);
    } else if s.view.counters {
        render_counters(s, counters, buf);
    } else {
        render_next_steps(s, counters, buf);
    }
    render_footer(s, footer, buf);
    if s.view.details {
        render_details(s, area, buf);
    }
    if s.view.help {
        render_help(s, area, buf);
    }
    let _ = t;
}

impl Widget for &DashboardState {
    fn render(self, area: Rect, buf: &mut Buffer) {
        draw(self, area, buf);
    }
}

fn short_source(d: &str) -> &str {
    d.rsplit('/').next().unwrap_or(d)
}

/// Header: source, band, centre, rate, receiver ppm / stream time, speed, drops, GPS, recording.
pub fn render_header(s: &DashboardState, area: Rect, buf: &mut Buffer) {
    let t = Theme::of(s);
    let src = &s.source;
    let center_hz = s
        .spectrum
        .as_ref()
        .map_or(src.center_freq_hz, |sp| sp.center_freq_hz);
    // The centre often sits between two channels: look half a channel either side too.
    let near = |dir| {
        [0.0, 100e3, -100e3]
            .iter()
            .find_map(|d| channel_at(center_hz + d, dir))
            .map(|c| c.band)
    };
    let band = near(Direction::Downlink)
        .map(|b| b.to_string())
        .or_else(|| near(Direction::Uplink).map(|b| format!("{b} UL")))
        .unwrap_or_else(|| "-".into());
    let ppm = s
        .receiver_ppm()
        .map_or("rx ppm ?".to_string(), |p| format!("rx {p:+.2} ppm"));
    // A band scan says so (its description starts with "scan"); the centre follows the tuner.
    let what = if src.description.starts_with("scan ") {
        let kind = if src.live { "live " } else { "" };
        format!("{kind}{} ", src.description)
    } else {
        let kind = if src.live { "live" } else { "replay" };
        format!("{kind} {} ", short_source(&src.description))
    };
    let line1 = Line::from(vec![
        Span::styled("TOWERWATCH ", t.title(true)),
        Span::raw(what),
        Span::styled(
            format!(
                "│ {band} {:.3} MHz │ {:.3} MS/s │ {ppm}",
                center_hz / 1e6,
                src.sample_rate_sps / 1e6
            ),
            Style::new(),
        ),
    ]);
    let time = match src.total_samples {
        Some(n) if src.sample_rate_sps > 0.0 => format!(
            "t {:.1}/{:.1} s",
            s.stream_time_s(),
            n as f64 / src.sample_rate_sps
        ),
        _ => format!("t {:.1} s", s.stream_time_s()),
    };
    let (play, play_style) = match s.playback {
        Playback::Unpaced => match s.achieved_speed {
            Some(v) => (format!("▶ max {v:.1}×"), Style::new()),
            None => ("▶ max".to_string(), Style::new()),
        },
        // The speed reached; when it falls short of the one asked for (a slow machine), both.
        Playback::Running(x) => match s.achieved_speed {
            Some(v) if v < 0.9 * x => (format!("▶ {v:.1}× (asked {x}×)"), t.fg(Color::Yellow)),
            _ => (format!("▶ {x}×"), Style::new()),
        },
        Playback::Paused(x) => (
            format!("PAUSED ({x}×)"),
            t.fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
        Playback::Ended => ("■ ended".to_string(), t.dim()),
    };
    let rec = match (src.live, s.recording_s) {
        (false, _) => "REC n/a".to_string(),
        (true, Some(secs)) => format!("REC ● {secs:.1} s"),
        (true, None) => "REC off".to_string(),
    };
    let drops_style = if s.blocks_dropped > 0 {
        t.fg(Color::Red).add_modifier(Modifier::BOLD)
    } else {
        Style::new()
    };
    let drops = format!("dropped {}", s.blocks_dropped);
    let obs = format!(" │ obs {}", s.observations);
    // The GPS field gets what is left of the line (a lost fix's reason is cut, not REC).
    let fixed = format!("{time} │ {play} │ {drops} │ GPS  │ {rec}");
    let room = usize::from(area.width).saturating_sub(fixed.chars().count());
    let (gps, gps_style) = match &s.gps_fix {
        None => ("none".to_string(), Style::new()),
        Some(g) if g.starts_with("LOST") => {
            (g.clone(), t.fg(Color::Red).add_modifier(Modifier::BOLD))
        }
        Some(g) => (g.clone(), t.fg(Color::Green)),
    };
    let gps = if gps.chars().count() > room {
        let mut g: String = gps.chars().take(room.saturating_sub(1)).collect();
        g.push('…');
        g
    } else {
        gps
    };
    let obs = if gps.chars().count() + obs.chars().count() <= room {
        obs
    } else {
        String::new()
    };
    let rec_style = if s.recording_s.is_some() {
        t.fg(Color::Red).add_modifier(Modifier::BOLD)
    } else {
        Style::new()
    };
    let line2 = Line::from(vec![
        Span::raw(format!("{time} │ ")),
        Span::styled(play, play_style),
        Span::raw(" │ "),
        Span::styled(drops, drops_style),
        Span::raw(" │ GPS "),
        Span::styled(gps, gps_style),
        Span::raw(" │ "),
        Span::styled(rec, rec_style),
        Span::raw(obs),
    ]);
    Paragraph::new(vec![line1, line2]).render(area, buf);
}

const EIGHTHS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
const SHADES: [&str; 5] = [" ", "░", "▒", "▓", "█"];

/// Spectrum trace (peak per column), ARFCN ticks with found carriers marked (▲), the noise floor
/// (┈), and the waterfall (newest row on top).
pub fn render_spectrum(s: &DashboardState, area: Rect, buf: &mut Buffer) {
    let t = Theme::of(s);
    // Carriers: what the spectrum stage flagged plus every carrier the receiver synchronised to
    // (in a dense band the floor estimate sits on carrier skirts and the spectrum test alone
    // misses real carriers).
    let decoded: Vec<f64> = s
        .cells
        .values()
        .filter(|c| c.bsic.is_some())
        .map(|c| c.freq_hz)
        .collect();
    let is_carrier = |f: f64| {
        decoded.iter().any(|d| (d - f).abs() < 1.0)
            || s.spectrum
                .as_ref()
                .is_some_and(|sp| sp.carriers.iter().any(|c| (c.freq_hz - f).abs() < 1.0))
    };
    let title = match &s.spectrum {
        Some(sp) => {
            let n = sp
                .channels
                .iter()
                .filter(|c| is_carrier(c.freq_hz))
                .count()
                .max(sp.carriers.len());
            format!(
                " Spectrum {:.1}–{:.1} MHz · floor {:.1} dBFS/200k · {} carrier{} ",
                (sp.center_freq_hz - sp.sample_rate_sps / 2.0) / 1e6,
                (sp.center_freq_hz + sp.sample_rate_sps / 2.0) / 1e6,
                sp.noise_floor_dbfs,
                n,
                if n == 1 { "" } else { "s" }
            )
        }
        None => " Spectrum ".to_string(),
    };
    let block = pane(title, false, t);
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(sp) = &s.spectrum else {
        put(
            buf,
            inner,
            inner.x,
            inner.y,
            "waiting for the first spectrum…",
            t.dim(),
        );
        return;
    };
    if sp.bins.is_empty() || inner.height < 3 || inner.width < 20 {
        put(
            buf,
            inner,
            inner.x,
            inner.y,
            "no PSD bins in the spectrum observations",
            t.dim(),
        );
        return;
    }
    let label_w: u16 = 7;
    let plot = Rect {
        x: inner.x + label_w,
        width: inner.width - label_w,
        ..inner
    };
    let w = usize::from(plot.width);
    let wf_h = (inner.height.saturating_sub(1) * 2 / 5).max(1);
    let trace_h = inner.height - 1 - wf_h;
    let tick_y = inner.y + trace_h;
    let floor = sp.bin_floor_dbfs;
    let peak = sp.bins.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let lo = (floor - 6.0).floor();
    let hi = (peak + 2.0).max(lo + 30.0).ceil();
    let cols = columns(&sp.bins, w);
    let col_of = |f: f64| -> Option<usize> {
        let x =
            (f - (sp.center_freq_hz - sp.sample_rate_sps / 2.0)) / sp.sample_rate_sps * w as f64;
        (x >= 0.0 && x < w as f64).then_some(x as usize)
    };
    let mut carrier_col = vec![false; w];
    for c in &sp.carriers {
        if let Some(x) = col_of(c.freq_hz) {
            let half = (200e3 / sp.sample_rate_sps * w as f64 / 2.0).max(0.5) as usize;
            for cc in carrier_col
                .iter_mut()
                .take((x + half + 1).min(w))
                .skip(x.saturating_sub(half))
            {
                *cc = true;
            }
        }
    }
    // dB scale labels.
    put(buf, inner, inner.x, inner.y, &format!("{hi:>5.0}"), t.dim());
    if trace_h > 1 {
        put(
            buf,
            inner,
            inner.x,
            inner.y + trace_h - 1,
            &format!("{lo:>5.0}"),
            t.dim(),
        );
    }
    let floor_row = ((floor - lo) / (hi - lo) * f32::from(trace_h)).floor() as i32;
    for (x, &v) in cols.iter().enumerate() {
        let eighths = ((v - lo) / (hi - lo) * f32::from(trace_h) * 8.0)
            .round()
            .clamp(0.0, f32::from(trace_h) * 8.0) as i32;
        let style = if carrier_col[x] {
            t.fg(Color::Yellow).add_modifier(Modifier::BOLD)
        } else {
            t.fg(Color::Green)
        };
        for r in 0..i32::from(trace_h) {
            let fill = (eighths - r * 8).clamp(0, 8) as usize;
            let y = inner.y + trace_h - 1 - r as u16;
            let xx = plot.x + x as u16;
            if fill == 0 && r == floor_row {
                put(buf, plot, xx, y, "┈", t.dim());
            } else if fill > 0 {
                put(buf, plot, xx, y, EIGHTHS[fill], style);
            }
        }
    }
    // ARFCN ticks: carriers first (marked ▲ and labelled), then the other channels where room.
    put(buf, inner, inner.x, tick_y, "ARFCN", t.dim());
    let mut used = vec![false; w + 8];
    let mut chans: Vec<(bool, &crate::observation::ChannelPower)> = sp
        .carriers
        .iter()
        .map(|c| (true, c))
        .chain(
            sp.channels
                .iter()
                .filter(|c| is_carrier(c.freq_hz))
                .map(|c| (true, c)),
        )
        .chain(sp.channels.iter().map(|c| (false, c)))
        .collect();
    chans.dedup_by(|a, b| a.1.freq_hz == b.1.freq_hz);
    let mut done: Vec<f64> = Vec::new();
    for (is_carrier, ch) in chans {
        if done.iter().any(|f| (f - ch.freq_hz).abs() < 1.0) {
            continue;
        }
        let Some(x) = col_of(ch.freq_hz) else {
            continue;
        };
        let label = ch.arfcn.to_string();
        let need = x..(x + 1 + label.len()).min(w);
        if used[need.clone()].iter().any(|u| *u) {
            if is_carrier && !used[x] {
                put(
                    buf,
                    plot,
                    plot.x + x as u16,
                    tick_y,
                    "▲",
                    t.fg(Color::Yellow),
                );
                used[x] = true;
            }
            continue;
        }
        done.push(ch.freq_hz);
        let (mark, style) = if is_carrier {
            ("▲", t.fg(Color::Yellow).add_modifier(Modifier::BOLD))
        } else {
            ("╵", t.dim())
        };
        put(buf, plot, plot.x + x as u16, tick_y, mark, style);
        put(buf, plot, plot.x + x as u16 + 1, tick_y, &label, style);
        for u in used.iter_mut().take((x + 2 + label.len()).min(w)).skip(x) {
            *u = true;
        }
    }
    // Waterfall, newest on top.
    put(buf, inner, inner.x, tick_y + 1, "  now", t.dim());
    for (r, row) in s.waterfall.iter().rev().take(usize::from(wf_h)).enumerate() {
        let y = tick_y + 1 + r as u16;
        for (x, &v) in columns(row, w).iter().enumerate() {
            let level = ((v - lo) / (hi - lo) * 5.0).floor().clamp(0.0, 4.0) as usize;
            let color = [
                Color::Reset,
                Color::Blue,
                Color::Cyan,
                Color::Yellow,
                Color::Red,
            ][level];
            put(buf, plot, plot.x + x as u16, y, SHADES[level], t.fg(color));
        }
    }
}

/// Pool `bins` to `w` columns, keeping each column's peak.
fn columns(bins: &[f32], w: usize) -> Vec<f32> {
    if bins.is_empty() || w == 0 {
        return vec![f32::NEG_INFINITY; w];
    }
    (0..w)
        .map(|i| {
            let a = i * bins.len() / w;
            let b = ((i + 1) * bins.len() / w).max(a + 1).min(bins.len());
            bins[a.min(bins.len() - 1)..b]
                .iter()
                .copied()
                .fold(f32::NEG_INFINITY, f32::max)
        })
        .collect()
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or("-".to_string(), |x| x.to_string())
}

fn cell_line(c: &CellRow, wide: bool) -> String {
    let mm = c.mcc_mnc();
    let nb = c.neighbours();
    let score = if c.score > 0.0 {
        format!("{:.0}", c.score)
    } else {
        "-".into()
    };
    let base = format!(
        "{:<4} {:>5} {:>8.1} {:>6} {:>6} {:>4} {:<7}",
        c.tech(),
        c.channel(),
        c.freq_hz / 1e6,
        c.power_dbfs.map_or("-".into(), |p| format!("{p:.1}")),
        c.offset_ppm.map_or("-".into(), |p| format!("{p:+.2}")),
        opt(c.id_code()),
        mm.clone().unwrap_or_else(|| "-".into()),
    );
    let nb_count = if c.lte.is_some() {
        "-".to_string()
    } else {
        nb.len().to_string()
    };
    if wide {
        let mut op = crate::term::escape(c.operator.as_deref().unwrap_or_default()).into_owned();
        if op.chars().count() > 12 {
            op = op.chars().take(11).chain(['…']).collect();
        }
        let list: Vec<String> = nb.iter().map(u16::to_string).collect();
        let mut list = list.join(" ");
        if list.len() > 28 {
            list.truncate(27);
            list.push('…');
        }
        format!(
            "{base} {op:<12} {:>5} {:>7} {list:<28} {score:>5} ",
            opt(c.area_code()),
            opt(c.cell_id())
        )
    } else {
        format!(
            "{base} {:>5} {:>7} {nb_count:>3} {score:>5} ",
            opt(c.area_code()),
            opt(c.cell_id()),
        )
    }
}

/// The cell table: one row per carrier heard, sorted and filtered as chosen.
pub fn render_cells(s: &DashboardState, area: Rect, buf: &mut Buffer) {
    let t = Theme::of(s);
    let rows = s.visible_cells();
    let focused = s.view.focus == Focus::Cells;
    let mut title = format!(" Cells ({}) · sort {} ", rows.len(), s.view.sort.label());
    if !s.view.filter.is_empty() {
        title.push_str(&format!("· filter \"{}\" ", s.view.filter));
    }
    let block = pane(title, focused, t);
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.height == 0 {
        return;
    }
    let wide = area.width >= WIDE;
    // One table for both technologies: for an LTE row, Chan is the EARFCN, Id the PCI, dBFS
    // the RSRP, Area the TAC and CI the eNodeB ID (SIB1).
    let head = if wide {
        format!(
            "{:<4} {:>5} {:>8} {:>6} {:>6} {:>4} {:<7} {:<12} {:>5} {:>7} {:<28} {:>5} State",
            "Tech",
            "Chan",
            "MHz",
            "dBFS",
            "ppm",
            "Id",
            "MCC-MNC",
            "Operator",
            "Area",
            "CI",
            "Neighbours",
            "Score"
        )
    } else {
        format!(
            "{:<4} {:>5} {:>8} {:>6} {:>6} {:>4} {:<7} {:>5} {:>7} {:>3} {:>5} State",
            "Tech", "Chan", "MHz", "dBFS", "ppm", "Id", "MCC-MNC", "Area", "CI", "Nb", "Score"
        )
    };
    put(
        buf,
        inner,
        inner.x,
        inner.y,
        &head,
        Style::new().add_modifier(Modifier::BOLD),
    );
    if rows.is_empty() {
        let msg = if s.cells.is_empty() && s.lte_cells.is_empty() {
            "no carriers yet"
        } else {
            "no cell matches the filter"
        };
        put(buf, inner, inner.x, inner.y + 1, msg, t.dim());
        return;
    }
    let visible = usize::from(inner.height - 1);
    let sel = s.view.cell_index.min(rows.len() - 1);
    let first = (sel + 1).saturating_sub(visible);
    for (i, c) in rows.iter().enumerate().skip(first).take(visible) {
        let y = inner.y + 1 + (i - first) as u16;
        let text = cell_line(c, wide);
        let state = c.state_label();
        let state_style = match state {
            "ALERT" | "SUSPECT" => t.severity(Severity::High),
            "good" | "sync" => t.fg(Color::Green),
            _ => t.dim(),
        };
        let row_style = if i == sel && focused {
            t.selected()
        } else {
            Style::new()
        };
        let x = buf
            .set_stringn(
                inner.x,
                y,
                crate::term::escape(&text),
                usize::from(inner.width),
                row_style,
            )
            .0;
        if x < inner.right() {
            put(buf, inner, x, y, state, state_style.patch(row_style));
        }
    }
}

/// The alert feed, newest first: severity, stream time, cell, one-line reason.
pub fn render_alerts(s: &DashboardState, area: Rect, buf: &mut Buffer) {
    let t = Theme::of(s);
    let focused = s.view.focus == Focus::Alerts;
    let block = pane(format!(" Alerts ({}) ", s.alerts.len()), focused, t);
    let mut inner = block.inner(area);
    inner.width = inner.width.saturating_sub(1); // a gap before the next pane
    block.render(area, buf);
    if s.alerts.is_empty() {
        let n = s.cells.len();
        put(
            buf,
            inner,
            inner.x,
            inner.y,
            &format!(
                "no alerts · watching {n} cell{}",
                if n == 1 { "" } else { "s" }
            ),
            t.dim(),
        );
        return;
    }
    let visible = usize::from(inner.height);
    let sel = s.view.alert_index.min(s.alerts.len() - 1);
    let first = (sel + 1).saturating_sub(visible);
    for (i, a) in s.alerts.iter().rev().enumerate().skip(first).take(visible) {
        let y = inner.y + (i - first) as u16;
        let row_style = if i == sel && focused {
            t.selected()
        } else {
            Style::new()
        };
        let cleared = a.event == AlertEvent::Cleared;
        let (sev, sev_style) = if cleared {
            ("clear".to_string(), t.dim())
        } else {
            (
                a.severity.to_string().to_uppercase(),
                t.severity(a.severity),
            )
        };
        let line = Line::from(vec![
            Span::styled(format!("{sev:<6}"), sev_style.patch(row_style)),
            Span::styled(
                format!("{:>6.1}s {:<10} {}", a.raised_s, cell_label(a), reason(a)),
                row_style,
            ),
        ]);
        buf.set_line(inner.x, y, &line, inner.width);
    }
}

fn counters_line(label: &str, c: &DecodeCounters) -> String {
    format!(
        "{label:>5} {:>6} {:>5}/{:<4} {:>6}/{:<4} {:>4}",
        c.fcch, c.sch_ok, c.sch_failed, c.blocks_ok, c.blocks_failed, c.sync_lost
    )
}

/// Per-stage decode counters, per carrier and in total.
pub fn render_counters(s: &DashboardState, area: Rect, buf: &mut Buffer) {
    let t = Theme::of(s);
    let total = s.total_counters();
    let title = if total.exact || s.cells.is_empty() {
        " Decode ".to_string()
    } else {
        " Decode (live est.) ".to_string()
    };
    let block = pane(title, false, t);
    let inner = block.inner(area);
    block.render(area, buf);
    let head = format!(
        "{:>5} {:>6} {:>10} {:>11} {:>4}",
        "ARFCN", "FCCH", "SCH ok/bad", "blk ok/bad", "lost"
    );
    put(
        buf,
        inner,
        inner.x,
        inner.y,
        &head,
        Style::new().add_modifier(Modifier::BOLD),
    );
    let rows = usize::from(inner.height.saturating_sub(2));
    let mut y = inner.y + 1;
    for c in s
        .cells
        .values()
        .filter(|c| c.counters != DecodeCounters::default())
        .take(rows)
    {
        put(
            buf,
            inner,
            inner.x,
            y,
            &counters_line(&c.arfcn.to_string(), &c.counters),
            Style::new(),
        );
        y += 1;
    }
    put(
        buf,
        inner,
        inner.x,
        y,
        &counters_line("all", &total),
        Style::new().add_modifier(Modifier::BOLD),
    );
}

/// Finder pane (`f`): the followed cell's channel power, smoothed power, trend arrow and dB/s,
/// and how far below the best level so far, with a bar.
pub fn render_finder(s: &DashboardState, area: Rect, buf: &mut Buffer) {
    let t = Theme::of(s);
    let Some(f) = &s.finder else {
        return;
    };
    let block = pane(format!(" Finder ARFCN {} ({}) ", f.arfcn, f.band), true, t);
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(r) = &f.last else {
        put(
            buf,
            inner,
            inner.x,
            inner.y,
            "waiting for the channel's power…",
            t.dim(),
        );
        return;
    };
    let trend_style = match r.trend {
        crate::finder::Trend::Hotter => t.fg(Color::Red).add_modifier(Modifier::BOLD),
        crate::finder::Trend::Colder => t.fg(Color::Blue).add_modifier(Modifier::BOLD),
        crate::finder::Trend::Steady => Style::new(),
    };
    let w = usize::from(inner.width);
    let lines = [
        (
            format!("{:.1} dBFS  avg {:.1}", r.power_dbfs, r.smoothed_dbfs),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        (
            format!(
                "{} {} dB/s {}",
                r.trend.arrow(),
                crate::num::signed1(r.rate_db_per_s),
                r.trend.word()
            ),
            trend_style,
        ),
        (
            format!(
                "peak {:.1} ({:+.1} dB)",
                r.peak_dbfs,
                r.smoothed_dbfs - r.peak_dbfs
            ),
            Style::new(),
        ),
        (
            format!("[{}]", crate::finder::bar(r, w.saturating_sub(2).min(40))),
            trend_style,
        ),
    ];
    for (i, (text, style)) in lines.iter().enumerate() {
        let y = inner.y + i as u16;
        if y >= inner.bottom() {
            break;
        }
        put(buf, inner, inner.x, y, text, *style);
    }
}

/// Footer: the filter being typed, the last command's message, or the key hints.
pub fn render_footer(s: &DashboardState, area: Rect, buf: &mut Buffer) {
    let t = Theme::of(s);
    let (text, style) = if s.view.editing_filter {
        (
            format!("filter: {}▏  (enter keep · esc clear)", s.view.filter),
            Style::new().add_modifier(Modifier::BOLD),
        )
    } else if let Some(m) = &s.view.message {
        (m.clone(), t.fg(Color::Yellow))
    } else {
        (footer_keys(usize::from(area.width)), t.dim())
    };
    put(buf, area, area.x, area.y, &text, style);
}

/// The key list that fits in `width` columns: `q quit` and `? help` always, the others in order
/// of use while they fit.
pub fn footer_keys(width: usize) -> String {
    const KEYS: [&str; 11] = [
        "enter details",
        "↑↓ move",
        "tab focus",
        "space pause",
        "e export",
        "m mark",
        "f find",
        "c counters",
        "+/- speed",
        "/ filter",
        "s sort",
    ];
    let mut chosen: Vec<&str> = vec!["q quit"];
    let len = |v: &[&str]| v.iter().map(|k| k.chars().count() + 2).sum::<usize>() + "? help".len();
    for k in KEYS {
        chosen.push(k);
        if len(&chosen) > width {
            chosen.pop();
        }
    }
    chosen.push("? help");
    chosen.join("  ")
}

/// What to do (the default bottom-right pane): the headline alert's advice in plain words, or
/// that there is nothing to do; the engineering counters are one key (`c`) away.
pub fn render_next_steps(s: &DashboardState, area: Rect, buf: &mut Buffer) {
    let t = Theme::of(s);
    let block = pane(" What to do ".into(), false, t);
    let lines = match s.headline_alert() {
        Some(a) => vec![
            Line::styled(
                format!("Alert {} — {}", a.id, a.severity.to_string().to_uppercase()),
                t.severity(a.severity).add_modifier(Modifier::BOLD),
            ),
            Line::raw(a.advice.clone()),
        ],
        None => vec![
            Line::styled(
                "Nothing to do: no suspicious transmitter.",
                t.fg(Color::Green),
            ),
            Line::styled("c decode counters · f finder · ? keys", t.dim()),
        ],
    };
    Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: true })
        .render(area, buf);
}

/// The headline under the header: the worst open alert in plain words, in its colour, for a
/// field officer a metre from the screen — or that nothing is wrong.
pub fn render_headline(s: &DashboardState, area: Rect, buf: &mut Buffer) {
    let t = Theme::of(s);
    match s.headline_alert() {
        Some(a) => {
            let since = if s.source.live {
                s.wall_clock_of(a.raised_s)
                    .map_or(String::new(), |c| format!(" — since {c}"))
            } else {
                format!(" — since {:.1} s", a.raised_s)
            };
            let text = format!(" ⚠ {}{since} ", crate::alert::headline::headline(a));
            let mut style = t.severity(a.severity).add_modifier(Modifier::BOLD);
            if a.severity == Severity::High && !s.view.no_color {
                style = style.add_modifier(Modifier::REVERSED);
            }
            put(buf, area, area.x, area.y, &text, style);
        }
        None => {
            let n = s.cells.len();
            put(
                buf,
                area,
                area.x,
                area.y,
                &format!(
                    " ✓ No suspicious transmitter · watching {n} cell{}",
                    if n == 1 { "" } else { "s" }
                ),
                t.fg(Color::Green),
            );
        }
    }
}

fn overlay_area(area: Rect) -> Rect {
    let w = (area.width * 9 / 10).max(area.width.min(40));
    let h = (area.height * 8 / 10).max(area.height.min(12));
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
