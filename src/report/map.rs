//! The report's map: the sensor's track coloured by the cell's power, the location estimate and
//! its radius, drawn offline on a local east/north plane.

use super::*;

/// The GPS track (power-coloured fixes) and the estimate circle; words when there is no track.
pub(super) fn map_svg(track: &Value) -> String {
    let pts: Vec<(f64, f64, Option<f64>)> = track["points"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|p| {
                    Some((
                        p["lat_deg"].as_f64()?,
                        p["lon_deg"].as_f64()?,
                        p["cell_power_dbfs"].as_f64(),
                    ))
                })
                .filter(|(a, b, _)| a.is_finite() && b.is_finite())
                .collect()
        })
        .unwrap_or_default();
    if pts.is_empty() {
        return "<p>No GPS positions in this bundle: no track, so no location estimate. (Run with a \
                GPS receiver attached to get the map and an estimate of where the transmitter is.)</p>"
            .into();
    }
    let est = &track["estimate"];
    let est = match (
        est["lat_deg"].as_f64(),
        est["lon_deg"].as_f64(),
        est["radius_m"].as_f64(),
    ) {
        (Some(a), Some(b), Some(r)) if a.is_finite() && b.is_finite() && r.is_finite() => {
            Some((a, b, r))
        }
        _ => None,
    };
    // Local metres east/north of the first fix (the one geodesy of `crate::geo`).
    let enu = crate::geo::Enu::new(pts[0].0, pts[0].1);
    let en = |lat: f64, lon: f64| enu.to_xy(lat, lon);
    let mut xs: Vec<f64> = pts.iter().map(|p| en(p.0, p.1).0).collect();
    let mut ys: Vec<f64> = pts.iter().map(|p| en(p.0, p.1).1).collect();
    if let Some((a, b, r)) = est {
        let (x, y) = en(a, b);
        xs.extend([x - r, x + r]);
        ys.extend([y - r, y + r]);
    }
    let (x_lo, x_hi) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let (y_lo, y_hi) = (
        ys.iter().copied().fold(f64::INFINITY, f64::min),
        ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let span = (x_hi - x_lo).max(y_hi - y_lo).max(100.0) * 1.1;
    let (cx, cy) = ((x_lo + x_hi) / 2.0, (y_lo + y_hi) / 2.0);
    let size = 500.0;
    let px = |x: f64, y: f64| {
        (
            size / 2.0 + (x - cx) / span * size,
            size / 2.0 - (y - cy) / span * size,
        )
    };
    let mut h = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{}\" viewBox=\"0 0 {size} {}\" role=\"img\" aria-label=\"map\">",
        size + 30.0,
        size + 30.0
    );
    let line: Vec<String> = pts
        .iter()
        .map(|p| {
            let (x, y) = en(p.0, p.1);
            let (a, b) = px(x, y);
            format!("{a:.1},{b:.1}")
        })
        .collect();
    let _ = write!(
        h,
        "<polyline fill=\"none\" stroke=\"#888\" points=\"{}\"/>",
        line.join(" ")
    );
    let pmax = pts
        .iter()
        .filter_map(|p| p.2)
        .fold(f64::NEG_INFINITY, f64::max);
    for p in &pts {
        let (x, y) = en(p.0, p.1);
        let (a, b) = px(x, y);
        let c =
            p.2.map_or([150, 150, 150], |db| colour(1.0 - (pmax - db) / 30.0));
        let _ = write!(
            h,
            "<circle cx=\"{a:.1}\" cy=\"{b:.1}\" r=\"4\" fill=\"rgb({},{},{})\" stroke=\"#333\"><title>{:.6}, {:.6}: {}</title></circle>",
            c[0],
            c[1],
            c[2],
            p.0,
            p.1,
            p.2.map_or("no reading".into(), |d| format!("{d:.1} dBFS"))
        );
    }
    if let Some((a, b, r)) = est {
        let (x, y) = en(a, b);
        let (ea, eb) = px(x, y);
        let _ = write!(
            h,
            "<circle cx=\"{ea:.1}\" cy=\"{eb:.1}\" r=\"{:.1}\" fill=\"rgba(255,0,0,0.12)\" stroke=\"#d00\" stroke-width=\"2\"/>\
             <path d=\"M{} {eb:.1}h12M{ea:.1} {}v12\" stroke=\"#d00\" stroke-width=\"2\"/>",
            r / span * size,
            ea - 6.0,
            eb - 6.0
        );
    }
    h.push_str(&scale_and_north(span, size));
    // Coordinates of two corners, so the plot can be put on any map by hand.
    let (nw_lat, nw_lon) = enu.to_latlon(cx - span / 2.0, cy + span / 2.0);
    let (se_lat, se_lon) = enu.to_latlon(cx + span / 2.0, cy - span / 2.0);
    let _ = write!(
        h,
        "<text x=\"4\" y=\"12\" font-size=\"10\" fill=\"#555\">{nw_lat:.5}, {nw_lon:.5}</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"#555\" text-anchor=\"end\">{se_lat:.5}, {se_lon:.5}</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">dots: cell power, brighter = stronger</text></svg>",
        size - 4.0,
        size - 4.0,
        size - 4.0,
        size + 25.0,
    );
    match est {
        Some((a, b, r)) => {
            let _ = write!(
                h,
                "<p>Location estimate: {a:.6}, {b:.6} within about {r:.0} m (power-weighted centroid of {} fixes; \
                 coloured dots: the cell's power at each fix, brighter = stronger).</p>",
                pts.len()
            );
        }
        None => h.push_str("<p>No location estimate: no fix has a power reading of the cell.</p>"),
    }
    let _ = write!(
        h,
        "<p><a download=\"track.geojson\" href=\"data:application/geo+json;base64,{}\">Track and \
         estimate as GeoJSON</a> (opens in QGIS, geojson.io or Google Earth).</p>",
        base64(geojson(&pts, est).as_bytes())
    );
    h
}

/// The track (a line and one point per fix with its power) and the estimate (a point with its
/// radius) as a GeoJSON FeatureCollection (RFC 7946: longitude first).
pub(super) fn geojson(pts: &[(f64, f64, Option<f64>)], est: Option<(f64, f64, f64)>) -> String {
    let mut features = vec![serde_json::json!({
        "type": "Feature",
        "properties": {"name": "sensor track"},
        "geometry": {
            "type": "LineString",
            "coordinates": pts.iter().map(|p| [p.1, p.0]).collect::<Vec<_>>(),
        },
    })];
    for p in pts {
        features.push(serde_json::json!({
            "type": "Feature",
            "properties": {"cell_power_dbfs": p.2},
            "geometry": {"type": "Point", "coordinates": [p.1, p.0]},
        }));
    }
    if let Some((a, b, r)) = est {
        features.push(serde_json::json!({
            "type": "Feature",
            "properties": {"name": "transmitter estimate", "radius_m": r},
            "geometry": {"type": "Point", "coordinates": [b, a]},
        }));
    }
    serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
}

/// A scale bar under a `size`-pixel square map that spans `span` metres (a round length of at
/// least 60 px) and a north arrow in its top right corner: SVG elements for an SVG `size + 30`
/// pixels high.
pub(crate) fn scale_and_north(span: f64, size: f64) -> String {
    let scale_m = [50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0]
        .into_iter()
        .find(|m| m / span * size >= 60.0)
        .unwrap_or(20_000.0);
    format!(
        "<path d=\"M10 {}h{:.1}\" stroke=\"#000\" stroke-width=\"3\"/><text x=\"10\" y=\"{}\" font-size=\"11\">{} m</text>\
         <path d=\"M{n:.1} 12l-7 18h14z\" fill=\"#000\"/><text x=\"{n:.1}\" y=\"44\" font-size=\"12\" \
         text-anchor=\"middle\" font-weight=\"bold\">N</text>",
        size + 10.0,
        scale_m / span * size,
        size + 25.0,
        scale_m,
        n = size - 20.0,
    )
}
