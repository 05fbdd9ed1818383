//! The hub's HTML report (`towerwatch hub --report FILE`): one self-contained page for the
//! command post — the sensors (state, last seen, position), the fleet alerts with the sensors
//! that raised them and the estimated transmitter position with its error radius, and a map of
//! all of it drawn offline (SVG on a local east/north plane, the one geodesy of `crate::geo`; no
//! tiles, no network). Built from the same GeoJSON the hub writes, so the two never disagree.

use std::fmt::Write as _;

use serde_json::Value;

use crate::report::esc;

/// The page for the fused picture `geo` (the hub's GeoJSON) and its final `cells` list.
pub fn html(geo: &Value, cells: &[Value], generated_utc: &str) -> String {
    let features: Vec<&Value> = geo["features"]
        .as_array()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    let kind = |f: &&Value, k: &str| f["properties"]["kind"] == k;
    let sensors: Vec<&Value> = features
        .iter()
        .copied()
        .filter(|f| kind(f, "sensor"))
        .collect();
    let txs: Vec<&Value> = features
        .iter()
        .copied()
        .filter(|f| kind(f, "transmitter"))
        .collect();
    let mut h = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Towerwatch hub report</title>\
         <style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:\
         collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}\
         .high{color:#b00;font-weight:bold}.medium{color:#c60}.small{font-size:.85em;color:#555}\
         </style></head><body>\n<h1>Towerwatch hub report</h1>\n",
    );
    let _ = writeln!(
        h,
        "<p class=\"small\">Generated {} from the fused picture of {} sensor(s); {} located \
         transmitter(s). Positions are WGS-84; the map is drawn offline.</p>",
        esc(generated_utc),
        sensors.len(),
        txs.len()
    );
    h.push_str("<h2>Fleet alerts</h2>\n");
    if txs.is_empty() {
        h.push_str("<p>No fleet alert was located.</p>\n");
    } else {
        h.push_str(
            "<table><tr><th>fleet alert</th><th>cell</th><th>severity</th><th>sensors</th>\
             <th>estimated position</th><th>radius m</th><th>method</th></tr>\n",
        );
        for t in &txs {
            let p = &t["properties"];
            let sev = p["severity"].as_str().unwrap_or("-");
            let sensors_of: Vec<&str> = p["sensors"]
                .as_array()
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let (lat, lon) = point(t).unwrap_or((f64::NAN, f64::NAN));
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{:.6}, {:.6}</td>\
                 <td>{:.0}</td><td>{}</td></tr>",
                p["fleet_id"],
                esc(p["cell"].as_str().unwrap_or("-")),
                esc(sev),
                esc(sev),
                esc(&sensors_of.join(", ")),
                lat,
                lon,
                p["radius_m"].as_f64().unwrap_or(f64::NAN),
                esc(p["method"].as_str().unwrap_or("-")),
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("<h2>Map</h2>\n");
    h.push_str(&map_svg(&sensors, &txs));
    h.push_str("<h2>Sensors</h2>\n");
    if sensors.is_empty() {
        h.push_str("<p>No sensor reported a position.</p>\n");
    } else {
        h.push_str("<table><tr><th>sensor</th><th>state</th><th>position</th></tr>\n");
        for s in &sensors {
            let p = &s["properties"];
            let (lat, lon) = point(s).unwrap_or((f64::NAN, f64::NAN));
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{lat:.6}, {lon:.6}</td></tr>",
                esc(p["sensor"].as_str().unwrap_or("-")),
                esc(p["state"].as_str().unwrap_or("-")),
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("<h2>Cells</h2>\n");
    if cells.is_empty() {
        h.push_str("<p>No cell readings.</p>\n");
    } else {
        h.push_str("<table><tr><th>cell</th><th>sensors (power dBFS)</th></tr>\n");
        for c in cells {
            let per: Vec<String> = c["sensors"]
                .as_array()
                .map(|v| {
                    v.iter()
                        .map(|s| {
                            format!(
                                "{} ({})",
                                s["sensor"].as_str().unwrap_or("-"),
                                s["power_dbfs"]
                                    .as_f64()
                                    .map_or("-".into(), |p| format!("{p:.1}"))
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(&cell_text(&c["cell"])),
                esc(&per.join(", "))
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("</body></html>\n");
    h
}

/// A cell key as the hub writes it (an object in `cells`, text in the GeoJSON) as text.
fn cell_text(v: &Value) -> String {
    if let Some(t) = v.as_str() {
        return t.to_string();
    }
    serde_json::from_value::<crate::cells::CellKey>(v.clone())
        .map_or_else(|_| v.to_string(), |k| k.to_string())
}

/// (latitude, longitude) of a GeoJSON point feature.
fn point(f: &Value) -> Option<(f64, f64)> {
    let c = f["geometry"]["coordinates"].as_array()?;
    let (lon, lat) = (c.first()?.as_f64()?, c.get(1)?.as_f64()?);
    (lat.is_finite() && lon.is_finite()).then_some((lat, lon))
}

/// Sensors (blue squares, labelled), transmitters (red dots) and their error circles.
fn map_svg(sensors: &[&Value], txs: &[&Value]) -> String {
    let pts: Vec<(f64, f64)> = sensors.iter().chain(txs).filter_map(|f| point(f)).collect();
    let Some(&(lat0, lon0)) = pts.first() else {
        return "<p>No positions to draw.</p>\n".into();
    };
    let enu = crate::geo::Enu::new(lat0, lon0);
    let radius = |f: &Value| {
        f["properties"]["radius_m"]
            .as_f64()
            .filter(|r| r.is_finite())
    };
    // Extent: every point, and every error circle whole.
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for f in sensors.iter().chain(txs) {
        let Some((lat, lon)) = point(f) else { continue };
        let (x, y) = enu.to_xy(lat, lon);
        let r = radius(f).unwrap_or(0.0);
        x0 = x0.min(x - r);
        x1 = x1.max(x + r);
        y0 = y0.min(y - r);
        y1 = y1.max(y + r);
    }
    let span = (x1 - x0).max(y1 - y0).max(100.0) * 1.15;
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let size = 600.0;
    let scale = size / span;
    let px = |x: f64| (x - cx) * scale + size / 2.0;
    let py = |y: f64| size / 2.0 - (y - cy) * scale;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{h}\" \
         viewBox=\"0 0 {size} {h}\" style=\"border:1px solid #ccc;background:#fafafa\">\n",
        h = size + 30.0
    );
    for t in txs {
        let (Some((lat, lon)), Some(r)) = (point(t), radius(t)) else {
            continue;
        };
        let (x, y) = enu.to_xy(lat, lon);
        let _ = writeln!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{:.1}\" fill=\"#f004\" stroke=\"#b00\"/>\
             <circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"#b00\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#b00\">alert {}</text>",
            px(x),
            py(y),
            r * scale,
            px(x),
            py(y),
            px(x) + 7.0,
            py(y) - 7.0,
            t["properties"]["fleet_id"]
        );
    }
    for f in sensors {
        let Some((lat, lon)) = point(f) else { continue };
        let (x, y) = enu.to_xy(lat, lon);
        let _ = writeln!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"#03a\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#03a\">{}</text>",
            px(x) - 4.0,
            py(y) - 4.0,
            px(x) + 7.0,
            py(y) + 14.0,
            esc(f["properties"]["sensor"].as_str().unwrap_or("-"))
        );
    }
    s.push_str(&crate::report::map::scale_and_north(span, size));
    s.push_str("\n</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Three sensors and one located transmitter: the table names the sensors and the estimate,
    /// the map draws all four and the error circle; hostile names are escaped.
    #[test]
    fn page_lists_alerts_sensors_and_draws_the_map() {
        let sensor = |id: &str, lat: f64, lon: f64| {
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                   "properties": {"kind": "sensor", "sensor": id, "state": "online"}})
        };
        let geo = json!({"type": "FeatureCollection", "features": [
            sensor("team-a", 52.5200, 13.4050),
            sensor("team-b", 52.5230, 13.4100),
            sensor("<script>", 52.5180, 13.4120),
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [13.4080, 52.5205]},
             "properties": {"kind": "transmitter", "fleet_id": 1, "cell": "e-gsm900 ARFCN 21",
                            "radius_m": 250.0, "method": "log-distance",
                            "sensors": ["team-a", "team-b", "<script>"], "severity": "high"}},
        ]});
        let cells = vec![json!({"cell": "e-gsm900 ARFCN 21",
            "sensors": [{"sensor": "team-a", "power_dbfs": -20.5}]})];
        let page = html(&geo, &cells, "2026-12-04 18:00 UTC");
        assert!(page.contains("e-gsm900 ARFCN 21"));
        assert!(page.contains("52.520500, 13.408000"));
        assert!(page.contains("team-a, team-b, &lt;script&gt;"));
        assert!(!page.contains("<script>"));
        assert_eq!(page.matches("<rect ").count(), 3);
        assert!(page.contains("fill=\"#f004\""), "no error circle");
        assert!(page.contains("team-a (-20.5)"));
        // Nothing located: says so, draws no map.
        let empty = html(&json!({"features": []}), &[], "now");
        assert!(empty.contains("No fleet alert was located."));
        assert!(empty.contains("No positions to draw."));
    }
}
