//! The report's spectrum and waterfall pictures, as SVG (and a PNG for the waterfall).

use super::*;

const W: f64 = 1000.0;
const PLOT_L: f64 = 60.0;
const PLOT_R: f64 = 985.0;

fn x_of(s: &SpectrumDoc, f_hz: f64) -> f64 {
    let n = s.mean_dbfs.len().max(1) as f64;
    let lo = s.first_bin_freq_hz - s.bin_width_hz / 2.0;
    PLOT_L + (f_hz - lo) / (n * s.bin_width_hz) * (PLOT_R - PLOT_L)
}

fn db_range(v: &[f32]) -> (f64, f64) {
    let fin: Vec<f64> = v
        .iter()
        .filter(|x| x.is_finite())
        .map(|&x| f64::from(x))
        .collect();
    let lo = fin.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = fin.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return (-120.0, 0.0);
    }
    // dBFS outside ±300 is not a measurement; keep the axis (and its tick loop) sane.
    let lo = (lo / 10.0).floor().clamp(-30.0, 29.0) * 10.0;
    let hi = (hi / 10.0).ceil().clamp(-29.0, 30.0) * 10.0;
    (lo, hi.max(lo + 10.0))
}

fn freq_ticks(s: &SpectrumDoc, h: &mut String, y0: f64, y1: f64) {
    let span = s.mean_dbfs.len() as f64 * s.bin_width_hz;
    let lo = s.first_bin_freq_hz;
    let step = [0.1e6, 0.2e6, 0.5e6, 1e6, 2e6, 5e6, 10e6]
        .into_iter()
        .find(|st| span / st <= 10.0)
        .unwrap_or(20e6);
    let mut f = (lo / step).ceil() * step;
    let mut ticks = 0;
    while f < lo + span && ticks < 40 {
        ticks += 1;
        let x = x_of(s, f);
        let _ = write!(
            h,
            "<line x1=\"{x:.1}\" y1=\"{y0}\" x2=\"{x:.1}\" y2=\"{y1}\" stroke=\"#ddd\"/>\
             <text x=\"{x:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{:.1}</text>",
            y1 + 14.0,
            f / 1e6
        );
        f += step;
    }
}

/// The mean and max-hold spectrum as an SVG, the alerted channel shaded, cells labelled.
pub(super) fn spectrum_svg(s: &SpectrumDoc, cells: &[CellRow]) -> String {
    let (top, bot) = (15.0, 255.0);
    let (lo, hi) = db_range(
        &s.max_dbfs
            .iter()
            .chain(&s.mean_dbfs)
            .copied()
            .collect::<Vec<_>>(),
    );
    let y = |db: f64| bot - (db.clamp(lo, hi) - lo) / (hi - lo) * (bot - top);
    let mut h = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"300\" viewBox=\"0 0 {W} 300\" role=\"img\" aria-label=\"spectrum\">"
    );
    for c in cells.iter().filter(|c| c.alerted) {
        let (x0, x1) = (x_of(s, c.freq_hz - 100e3), x_of(s, c.freq_hz + 100e3));
        let _ = write!(
            h,
            "<rect x=\"{x0:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{}\" fill=\"#fcc\"/>",
            (x1 - x0).max(1.0),
            bot - top
        );
    }
    let mut d = lo;
    while d <= hi {
        let yy = y(d);
        let _ = write!(
            h,
            "<line x1=\"{PLOT_L}\" y1=\"{yy:.1}\" x2=\"{PLOT_R}\" y2=\"{yy:.1}\" stroke=\"#eee\"/>\
             <text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{d}</text>",
            PLOT_L - 4.0,
            yy + 4.0
        );
        d += 10.0;
    }
    freq_ticks(s, &mut h, top, bot);
    for (v, color, label) in [
        (&s.max_dbfs, "#e08", "max hold"),
        (&s.mean_dbfs, "#036", "mean"),
    ] {
        let pts: Vec<String> = v
            .iter()
            .enumerate()
            .filter(|(_, d)| d.is_finite())
            .map(|(i, d)| {
                let f = s.first_bin_freq_hz + i as f64 * s.bin_width_hz;
                format!("{:.1},{:.1}", x_of(s, f), y(f64::from(*d)))
            })
            .collect();
        let _ = write!(
            h,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1\" points=\"{}\"><title>{label}</title></polyline>",
            pts.join(" ")
        );
    }
    for c in cells {
        let x = x_of(s, c.freq_hz);
        if (PLOT_L..=PLOT_R).contains(&x) {
            let _ = write!(
                h,
                "<text x=\"{x:.1}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{}\">{}</text>",
                top + 10.0,
                if c.alerted { "#b00" } else { "#333" },
                c.arfcn
            );
        }
    }
    let _ = write!(
        h,
        "<text x=\"{PLOT_R}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">MHz</text>\
         <text x=\"12\" y=\"140\" font-size=\"11\" transform=\"rotate(-90 12 140)\">dBFS per bin</text>\
         <text x=\"{}\" y=\"296\" font-size=\"11\"><tspan fill=\"#036\">— mean</tspan> <tspan fill=\"#e08\">— max hold</tspan>; \
         shaded: the alerted channel; numbers: ARFCNs of decoded cells</text></svg>",
        bot + 28.0,
        PLOT_L
    );
    h
}

pub(super) fn colour(t: f64) -> [u8; 3] {
    // Dark blue → blue → green → yellow → white.
    const STOPS: [(f64, [f64; 3]); 5] = [
        (0.0, [0.0, 0.0, 40.0]),
        (0.3, [20.0, 60.0, 200.0]),
        (0.55, [20.0, 180.0, 90.0]),
        (0.8, [250.0, 220.0, 30.0]),
        (1.0, [255.0, 255.0, 255.0]),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    for w in STOPS.windows(2) {
        let ((t0, c0), (t1, c1)) = (w[0], w[1]);
        if t <= t1 {
            let k = (t - t0) / (t1 - t0);
            return [0, 1, 2].map(|i| (c0[i] + k * (c1[i] - c0[i])).round() as u8);
        }
    }
    [255, 255, 255]
}

/// Largest waterfall picture drawn, pixels per side.
pub const MAX_PICTURE_SIDE: usize = 2048;

/// The waterfall (time down, frequency across) as a PNG inside an SVG with axes.
pub(super) fn waterfall_svg(s: &SpectrumDoc, trigger_s: Option<f64>) -> String {
    // A hand-edited spectrum.json could ask for any size: cap the picture.
    let cols = s.mean_dbfs.len().min(MAX_PICTURE_SIDE);
    let rows = s.rows.len().min(MAX_PICTURE_SIDE);
    if cols == 0 || rows == 0 {
        return "<p>No waterfall rows.</p>".into();
    }
    let all: Vec<f32> = s
        .rows
        .iter()
        .take(rows)
        .flat_map(|r| r.psd_dbfs.iter().take(cols).copied())
        .collect();
    let mut fin: Vec<f32> = all.iter().copied().filter(|x| x.is_finite()).collect();
    fin.sort_by(f32::total_cmp);
    let pick = |q: f64| {
        fin.get(((fin.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let (lo, hi) = (f64::from(pick(0.05)), f64::from(pick(1.0)));
    let span = (hi - lo).max(1.0);
    let mut rgb = Vec::with_capacity(cols * rows * 3);
    for r in s.rows.iter().take(rows) {
        for i in 0..cols {
            let v = r.psd_dbfs.get(i).copied().unwrap_or(f32::NEG_INFINITY);
            rgb.extend_from_slice(&colour((f64::from(v) - lo) / span));
        }
    }
    let png = png_rgb(cols as u32, rows as u32, &rgb);
    let (top, bot) = (10.0, 410.0);
    let t0 = s.rows.first().map_or(0.0, |r| r.time_s);
    let t1 = s.rows.get(rows - 1).map_or(0.0, |r| r.time_s) + s.row_duration_s;
    let y = |t: f64| top + (t - t0) / (t1 - t0).max(1e-9) * (bot - top);
    let mut h = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"450\" viewBox=\"0 0 {W} 450\" role=\"img\" aria-label=\"waterfall\">\
         <image x=\"{PLOT_L}\" y=\"{top}\" width=\"{}\" height=\"{}\" preserveAspectRatio=\"none\" \
         style=\"image-rendering:pixelated\" href=\"data:image/png;base64,{}\"/>",
        PLOT_R - PLOT_L,
        bot - top,
        base64(&png)
    );
    let n_ticks = 8;
    for k in 0..=n_ticks {
        let t = t0 + (t1 - t0) * f64::from(k) / f64::from(n_ticks);
        let _ = write!(
            h,
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{t:.2} s</text>",
            PLOT_L - 4.0,
            y(t) + 4.0
        );
    }
    freq_ticks(s, &mut h, bot, bot);
    if let Some(t) = trigger_s.filter(|t| (t0..=t1).contains(t)) {
        let yy = y(t);
        let _ = write!(
            h,
            "<line x1=\"{PLOT_L}\" y1=\"{yy:.1}\" x2=\"{PLOT_R}\" y2=\"{yy:.1}\" stroke=\"#f00\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\
             <text x=\"{}\" y=\"{:.1}\" font-size=\"12\" fill=\"#f00\" text-anchor=\"end\">trigger</text>",
            PLOT_R - 4.0,
            yy - 4.0
        );
    }
    let _ = write!(
        h,
        "<text x=\"{PLOT_L}\" y=\"445\" font-size=\"11\">Time runs down ({:.0} ms a row); colour from {lo:.0} dBFS (dark) to {hi:.0} dBFS (white); MHz across.</text></svg>",
        s.row_duration_s * 1e3
    );
    h
}
