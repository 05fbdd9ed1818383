//! Locating a transmitter from power-versus-position samples taken while moving.
//!
//! Model (log-distance path loss): `P(d) = A − 10·n·log10(d / 100 m)`, where `A` is the power at
//! 100 m and `n` the path-loss exponent, fitted within `[n_min, n_max]` (default 1.6–5). The
//! horizontal distance is floored at [`LocateConfig::min_distance_m`] (antenna height, near field).
//!
//! Fit: positions are projected onto a local east/north plane (equirectangular about the samples'
//! mean; good to centimetres over a few km). For a candidate transmitter position `A` and `n` are
//! linear, so they are solved in closed form (weighted least squares, `n` clamped to its bounds);
//! the position is searched on a grid over the samples' bounding box plus a margin, refined on
//! finer grids, and polished by Gauss–Newton on all four parameters. Residuals are weighted by
//! Huber's function (k = 1.345 σ, σ from the median absolute deviation) by iterative reweighting,
//! so a few wild readings (a passing truck, a multipath null) do not drag the estimate.
//!
//! Uncertainty: the 95 % radius is `sqrt(5.99 · λmax)` of the position covariance
//! `σ² (JᵀWJ)⁻¹` (marginalised over `A` and `n`). Shadowing that is correlated along the route
//! would make this optimistic, so the covariance is inflated by `(1 + ρ)/(1 − ρ)`, ρ the lag-1
//! correlation of the residuals in route order. A drive along a straight road cannot tell
//! which side of the road the transmitter is on: the mirror image fits as well. The search
//! reports such an `alternative` when it fits within 2 σ of the best.
//!
//! Fallback: with fewer than `min_samples` samples, a route shorter than `min_extent_m`, or a fit
//! that ends on the edge of the search area or without a usable covariance, the estimate is the
//! power-weighted centroid (weights `10^((P − Pmax)/10)`) with the weighted RMS distance of the
//! samples as its radius — and the report says why.

use serde::Serialize;
use serde_json::{Value, json};
use std::fmt::Write as _;

pub use crate::geo::{EARTH_RADIUS_M, Enu, distance_m};

/// Reference distance of the fitted power `A` (m).
pub const REFERENCE_M: f64 = 100.0;

/// One measurement: where, and how strong.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Received power, dBFS (any consistent dB unit).
    pub power_dbfs: f64,
}

/// Settings of the fit.
#[derive(Debug, Clone)]
pub struct LocateConfig {
    /// Lowest path-loss exponent (free space is 2; 1.6 allows waveguiding streets).
    pub n_min: f64,
    /// Highest path-loss exponent (dense urban ~4–5).
    pub n_max: f64,
    /// Prior mean of the exponent (a weak Gaussian prior keeps the exponent–distance trade-off
    /// from running to a bound when the route sees only a small range of distances).
    pub n_prior: f64,
    /// Prior standard deviation of the exponent; infinite = no prior.
    pub n_prior_sigma: f64,
    /// Fewer samples than this: weighted centroid.
    pub min_samples: usize,
    /// Route extent (largest side of the bounding box) below this: weighted centroid.
    pub min_extent_m: f64,
    /// Distance floor (m).
    pub min_distance_m: f64,
    /// The search area is the samples' bounding box grown by max(this, half the extent).
    pub margin_m: f64,
}

impl Default for LocateConfig {
    fn default() -> Self {
        LocateConfig {
            n_min: 1.6,
            n_max: 5.0,
            n_prior: 3.0,
            n_prior_sigma: 0.7,
            min_samples: 8,
            min_extent_m: 50.0,
            min_distance_m: 10.0,
            margin_m: 500.0,
        }
    }
}

/// Errors.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LocateError {
    /// Nothing to work with.
    #[error("no samples")]
    NoSamples,
    /// A sample with NaN/infinite or out-of-range values.
    #[error("sample {index}: bad value (lat {lat_deg}, lon {lon_deg}, power {power_dbfs})")]
    BadSample {
        /// Position in the input.
        index: usize,
        /// Its latitude.
        lat_deg: f64,
        /// Its longitude.
        lon_deg: f64,
        /// Its power.
        power_dbfs: f64,
    },
    /// Bad settings.
    #[error("bad settings: {0}")]
    Config(String),
}

/// How an estimate was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Log-distance path-loss fit.
    PathLoss,
    /// Power-weighted centroid.
    WeightedCentroid,
}

/// Where the transmitter probably is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// 95 % uncertainty radius, metres.
    pub radius_m: f64,
    /// How it was made.
    pub method: Method,
    /// Why the fallback was used (centroid only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
    /// Fitted path-loss exponent (path-loss fit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exponent: Option<f64>,
    /// Fitted power at 100 m, dBFS (path-loss fit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_at_100m_dbfs: Option<f64>,
    /// Robust residual scale (σ), dB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residual_sigma_db: Option<f64>,
    /// A second position that fits about as well (mirror image across a straight route).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative: Option<[f64; 2]>,
    /// Samples used.
    pub samples: usize,
    /// Length of the route (sum of steps between consecutive samples), metres.
    pub route_m: f64,
}

/// Path loss in dB at `distance_m` relative to [`REFERENCE_M`] for exponent `n`
/// (`10 n log10(d / 100 m)`; negative closer than 100 m). The synthetic drive tests and the
/// generator-driven test use this to scale a transmitter's power along a route.
pub fn path_loss_db(distance_m: f64, exponent: f64) -> f64 {
    10.0 * exponent * (distance_m.max(1e-3) / REFERENCE_M).log10()
}

struct Pt {
    x: f64,
    y: f64,
    p: f64,
}

/// Fitted parameters at one candidate position.
#[derive(Debug, Clone, Copy)]
struct Fit {
    a: f64,
    n: f64,
    cost: f64,
}

struct Problem<'a> {
    pts: &'a [Pt],
    cfg: &'a LocateConfig,
    /// Weight of the exponent prior in cost units: σ² / σn² (0 without a prior).
    lambda: f64,
}

impl Problem<'_> {
    /// `g = −10 log10(d/100)` for each sample at candidate (x, y).
    fn g(&self, x: f64, y: f64, pt: &Pt) -> f64 {
        let d = ((pt.x - x).powi(2) + (pt.y - y).powi(2))
            .sqrt()
            .max(self.cfg.min_distance_m);
        -10.0 * (d / REFERENCE_M).log10()
    }

    /// Best (A, n) at (x, y) with Huber weights of scale `k` (None: plain least squares).
    fn fit_at(&self, x: f64, y: f64, k: Option<f64>) -> Fit {
        let gs: Vec<f64> = self.pts.iter().map(|pt| self.g(x, y, pt)).collect();
        let mut w = vec![1.0; self.pts.len()];
        let mut fit = Fit {
            a: 0.0,
            n: 2.0,
            cost: f64::INFINITY,
        };
        let iters = if k.is_some() { 4 } else { 1 };
        for _ in 0..iters {
            let (mut sw, mut sg, mut sp, mut sgg, mut sgp) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for ((pt, g), wi) in self.pts.iter().zip(&gs).zip(&w) {
                sw += wi;
                sg += wi * g;
                sp += wi * pt.p;
                sgg += wi * g * g;
                sgp += wi * g * pt.p;
            }
            // Minimise Σ w (p − A − n g)² + λ (n − n0)²: eliminate A, solve for n.
            let var = sgg - sg * sg / sw + self.lambda;
            let mut n = if var > 1e-12 {
                (sgp - sg * sp / sw + self.lambda * self.cfg.n_prior) / var
            } else {
                self.cfg.n_prior
            };
            n = n.clamp(self.cfg.n_min, self.cfg.n_max);
            let a = (sp - n * sg) / sw;
            fit = Fit { a, n, cost: 0.0 };
            if let Some(k) = k {
                for ((pt, g), wi) in self.pts.iter().zip(&gs).zip(w.iter_mut()) {
                    let r = (pt.p - a - n * g).abs();
                    *wi = if r <= k { 1.0 } else { k / r };
                }
            }
        }
        fit.cost = self
            .pts
            .iter()
            .zip(&gs)
            .map(|(pt, g)| huber(pt.p - fit.a - fit.n * g, k))
            .sum::<f64>()
            + self.lambda * (fit.n - self.cfg.n_prior).powi(2);
        fit
    }

    fn residuals(&self, x: f64, y: f64, f: &Fit) -> Vec<f64> {
        self.pts
            .iter()
            .map(|pt| pt.p - f.a - f.n * self.g(x, y, pt))
            .collect()
    }

    /// Grid search over a square centred on (cx, cy) with `steps`² cells of `step_m`.
    fn grid(&self, cx: f64, cy: f64, half_m: f64, steps: usize, k: Option<f64>) -> Vec<Cand> {
        let mut out = Vec::with_capacity((steps + 1) * (steps + 1));
        let step = 2.0 * half_m / steps as f64;
        for i in 0..=steps {
            for j in 0..=steps {
                let x = cx - half_m + i as f64 * step;
                let y = cy - half_m + j as f64 * step;
                out.push(Cand {
                    x,
                    y,
                    fit: self.fit_at(x, y, k),
                });
            }
        }
        out
    }
}

#[derive(Debug, Clone, Copy)]
struct Cand {
    x: f64,
    y: f64,
    fit: Fit,
}

fn huber(r: f64, k: Option<f64>) -> f64 {
    match k {
        Some(k) if r.abs() > k => k * (2.0 * r.abs() - k),
        _ => r * r,
    }
}

fn best(c: &[Cand]) -> Option<Cand> {
    c.iter()
        .copied()
        .filter(|c| c.fit.cost.is_finite())
        .min_by(|a, b| a.fit.cost.total_cmp(&b.fit.cost))
}

/// Robust scale: 1.4826 × median absolute deviation from the median, floored at 0.3 dB.
fn mad_sigma(r: &[f64]) -> f64 {
    let med = median(r.to_vec());
    let dev: Vec<f64> = r.iter().map(|x| (x - med).abs()).collect();
    (1.4826 * median(dev)).max(0.3)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len().is_multiple_of(2) {
        0.5 * (v[m - 1] + v[m])
    } else {
        v[m]
    }
}

/// Estimate the transmitter position from samples.
pub fn locate(samples: &[Sample], cfg: &LocateConfig) -> Result<Estimate, LocateError> {
    if !(cfg.n_min > 0.0 && cfg.n_min <= cfg.n_max && cfg.n_max.is_finite()) {
        return Err(LocateError::Config(format!(
            "exponent bounds {}..{}",
            cfg.n_min, cfg.n_max
        )));
    }
    if samples.is_empty() {
        return Err(LocateError::NoSamples);
    }
    for (index, s) in samples.iter().enumerate() {
        if !s.power_dbfs.is_finite()
            || !(-90.0..=90.0).contains(&s.lat_deg)
            || !(-180.0..=180.0).contains(&s.lon_deg)
        {
            return Err(LocateError::BadSample {
                index,
                lat_deg: s.lat_deg,
                lon_deg: s.lon_deg,
                power_dbfs: s.power_dbfs,
            });
        }
    }
    let n = samples.len() as f64;
    let lat0 = samples.iter().map(|s| s.lat_deg).sum::<f64>() / n;
    let lon0 = samples[0].lon_deg; // not averaged: safe across the antimeridian
    let enu = Enu::new(lat0, lon0);
    let pts: Vec<Pt> = samples
        .iter()
        .map(|s| {
            let (x, y) = enu.to_xy(s.lat_deg, s.lon_deg);
            Pt {
                x,
                y,
                p: s.power_dbfs,
            }
        })
        .collect();
    let route_m: f64 = pts
        .windows(2)
        .map(|w| ((w[1].x - w[0].x).powi(2) + (w[1].y - w[0].y).powi(2)).sqrt())
        .sum();
    let (xmin, xmax) = minmax(pts.iter().map(|p| p.x));
    let (ymin, ymax) = minmax(pts.iter().map(|p| p.y));
    let extent = (xmax - xmin).max(ymax - ymin);
    let centroid = |reason: String| centroid(&pts, &enu, samples.len(), route_m, reason);
    if samples.len() < cfg.min_samples {
        return Ok(centroid(format!(
            "{} samples, fewer than {}",
            samples.len(),
            cfg.min_samples
        )));
    }
    if extent < cfg.min_extent_m {
        return Ok(centroid(format!(
            "route spans {extent:.0} m, less than {:.0} m",
            cfg.min_extent_m
        )));
    }
    let prior_w = if cfg.n_prior_sigma.is_finite() && cfg.n_prior_sigma > 0.0 {
        1.0 / (cfg.n_prior_sigma * cfg.n_prior_sigma)
    } else {
        0.0
    };
    // The first pass assumes 4 dB of shadowing for the prior's weight.
    let mut prob = Problem {
        pts: &pts,
        cfg,
        lambda: 16.0 * prior_w,
    };
    let (cx, cy) = (0.5 * (xmin + xmax), 0.5 * (ymin + ymax));
    let half = 0.5 * extent + cfg.margin_m.max(0.5 * extent);
    // 1. Plain least squares on a coarse grid gives a first residual scale.
    let coarse = prob.grid(cx, cy, half, 60, None);
    let Some(b0) = best(&coarse) else {
        return Ok(centroid("fit failed (no finite cost)".into()));
    };
    let sigma = mad_sigma(&prob.residuals(b0.x, b0.y, &b0.fit));
    let k = Some(1.345 * sigma);
    prob.lambda = sigma * sigma * prior_w;
    // 2. Robust cost on the coarse grid, then finer grids about the best.
    let coarse = prob.grid(cx, cy, half, 60, k);
    let Some(mut b) = best(&coarse) else {
        return Ok(centroid("fit failed (no finite cost)".into()));
    };
    let mut h = half / 60.0 * 2.0;
    for _ in 0..3 {
        if let Some(nb) = best(&prob.grid(b.x, b.y, h, 20, k)) {
            b = nb;
        }
        h /= 8.0;
    }
    // 3. Re-estimate the scale at the robust solution; Gauss–Newton polish.
    let sigma = mad_sigma(&prob.residuals(b.x, b.y, &b.fit));
    let k = Some(1.345 * sigma);
    prob.lambda = sigma * sigma * prior_w;
    b.fit = prob.fit_at(b.x, b.y, k);
    let b = gauss_newton(&prob, b, k);
    let at_edge = (b.x - cx).abs() > 0.98 * half || (b.y - cy).abs() > 0.98 * half;
    if at_edge {
        return Ok(centroid(format!(
            "path-loss fit ended on the edge of the search area ({:.0} m from the route centre)",
            ((b.x - cx).powi(2) + (b.y - cy).powi(2)).sqrt()
        )));
    }
    let Some(cov) = position_covariance(&prob, &b, k, sigma) else {
        return Ok(centroid(
            "path-loss fit has no usable covariance (poor geometry)".into(),
        ));
    };
    // Shadowing is correlated along a route: fewer independent samples than readings. Inflate
    // the covariance by the AR(1) factor (1 + ρ)/(1 − ρ) of the residuals' lag-1 correlation.
    let resid = prob.residuals(b.x, b.y, &b.fit);
    let inflation = ar1_inflation(&resid);
    let lmax = max_eig_2x2(cov) * inflation;
    let radius = (5.991 * lmax).sqrt().max(cfg.min_distance_m);
    // Alternative: the best candidate on the coarse grid far from the solution.
    let sigma_final = mad_sigma(&resid);
    let far = (2.0 * radius).max(4.0 * half / 60.0);
    let alternative = coarse
        .iter()
        .filter(|c| ((c.x - b.x).powi(2) + (c.y - b.y).powi(2)).sqrt() > far)
        .min_by(|p, q| p.fit.cost.total_cmp(&q.fit.cost))
        .and_then(|alt| {
            // Refine it a little before comparing.
            let r = best(&prob.grid(alt.x, alt.y, 2.0 * half / 60.0, 10, k)).unwrap_or(*alt);
            let delta = (r.fit.cost - b.fit.cost) / (sigma * sigma);
            (delta < 4.0).then(|| {
                let (la, lo) = enu.to_latlon(r.x, r.y);
                [round6(la), round6(lo)]
            })
        });
    let (lat, lon) = enu.to_latlon(b.x, b.y);
    Ok(Estimate {
        lat_deg: round6(lat),
        lon_deg: round6(lon),
        radius_m: radius.round(),
        method: Method::PathLoss,
        fallback_reason: None,
        exponent: Some(round2(b.fit.n)),
        power_at_100m_dbfs: Some(round2(b.fit.a)),
        residual_sigma_db: Some(round2(sigma_final)),
        alternative,
        samples: samples.len(),
        route_m: route_m.round(),
    })
}

fn minmax(it: impl Iterator<Item = f64>) -> (f64, f64) {
    it.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    })
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn centroid(pts: &[Pt], enu: &Enu, samples: usize, route_m: f64, reason: String) -> Estimate {
    let pmax = pts.iter().map(|p| p.p).fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = pts
        .iter()
        .map(|p| 10f64.powf((p.p - pmax) / 10.0))
        .collect();
    let sw: f64 = w.iter().sum();
    let x = pts.iter().zip(&w).map(|(p, w)| p.x * w).sum::<f64>() / sw;
    let y = pts.iter().zip(&w).map(|(p, w)| p.y * w).sum::<f64>() / sw;
    let spread = (pts
        .iter()
        .zip(&w)
        .map(|(p, w)| w * ((p.x - x).powi(2) + (p.y - y).powi(2)))
        .sum::<f64>()
        / sw)
        .sqrt();
    let (lat, lon) = enu.to_latlon(x, y);
    Estimate {
        lat_deg: round6(lat),
        lon_deg: round6(lon),
        // The transmitter can be well off the route: never claim better than 50 m.
        radius_m: (2.0 * spread).max(50.0).round(),
        method: Method::WeightedCentroid,
        fallback_reason: Some(reason),
        exponent: None,
        power_at_100m_dbfs: None,
        residual_sigma_db: None,
        alternative: None,
        samples,
        route_m: route_m.round(),
    }
}

/// Model power and its gradient in (x, y, A, n) at one sample.
fn model(prob: &Problem, x: f64, y: f64, a: f64, n: f64, pt: &Pt) -> (f64, [f64; 4]) {
    let dx = x - pt.x;
    let dy = y - pt.y;
    let d2 = dx * dx + dy * dy;
    let dmin = prob.cfg.min_distance_m;
    let g = prob.g(x, y, pt);
    let (gx, gy) = if d2 > dmin * dmin {
        // g = −5 log10(d²/100²): dg/dx = −10/ln10 · dx / d²
        let c = -10.0 / std::f64::consts::LN_10 / d2;
        (c * dx, c * dy)
    } else {
        (0.0, 0.0)
    };
    (a + n * g, [n * gx, n * gy, 1.0, g])
}

/// Gauss–Newton with Huber weights and step halving; keeps `n` inside its bounds (fixed at a
/// bound when it sits there).
fn gauss_newton(prob: &Problem, start: Cand, k: Option<f64>) -> Cand {
    let mut cur = start;
    for _ in 0..20 {
        let n_free = cur.fit.n > prob.cfg.n_min + 1e-6 && cur.fit.n < prob.cfg.n_max - 1e-6;
        let dim = if n_free { 4 } else { 3 };
        let mut jtj = [[0.0; 4]; 4];
        let mut jtr = [0.0; 4];
        for pt in prob.pts {
            let (m, grad) = model(prob, cur.x, cur.y, cur.fit.a, cur.fit.n, pt);
            let r = pt.p - m;
            let w = match k {
                Some(k) if r.abs() > k => k / r.abs(),
                _ => 1.0,
            };
            for i in 0..dim {
                jtr[i] += w * grad[i] * r;
                for j in 0..dim {
                    jtj[i][j] += w * grad[i] * grad[j];
                }
            }
        }
        if dim == 4 {
            jtj[3][3] += prob.lambda;
            jtr[3] += prob.lambda * (prob.cfg.n_prior - cur.fit.n);
        }
        let Some(step) = solve(&jtj, &jtr, dim) else {
            break;
        };
        let mut scale = 1.0;
        let mut improved = false;
        for _ in 0..8 {
            let x = cur.x + scale * step[0];
            let y = cur.y + scale * step[1];
            let a = cur.fit.a + scale * step[2];
            let n = if dim == 4 {
                (cur.fit.n + scale * step[3]).clamp(prob.cfg.n_min, prob.cfg.n_max)
            } else {
                cur.fit.n
            };
            let cost: f64 = prob
                .pts
                .iter()
                .map(|pt| huber(pt.p - model(prob, x, y, a, n, pt).0, k))
                .sum::<f64>()
                + prob.lambda * (n - prob.cfg.n_prior).powi(2);
            if cost < cur.fit.cost {
                let moved = (scale * step[0]).hypot(scale * step[1]);
                cur = Cand {
                    x,
                    y,
                    fit: Fit { a, n, cost },
                };
                improved = moved > 0.01;
                break;
            }
            scale *= 0.5;
        }
        if !improved {
            break;
        }
    }
    cur
}

/// Covariance of (x, y) marginalised over A and n: σ² · [(JᵀWJ)⁻¹]xy.
fn position_covariance(
    prob: &Problem,
    b: &Cand,
    k: Option<f64>,
    sigma: f64,
) -> Option<[[f64; 2]; 2]> {
    // All four parameters, even when the exponent sits on a bound: its uncertainty counts.
    let dim = 4;
    let mut jtj = [[0.0; 4]; 4];
    jtj[3][3] = prob.lambda;
    for pt in prob.pts {
        let (m, grad) = model(prob, b.x, b.y, b.fit.a, b.fit.n, pt);
        let r = pt.p - m;
        let w = match k {
            Some(k) if r.abs() > k => k / r.abs(),
            _ => 1.0,
        };
        for i in 0..dim {
            for j in 0..dim {
                jtj[i][j] += w * grad[i] * grad[j];
            }
        }
    }
    let c0 = solve(&jtj, &unit(0), dim)?;
    let c1 = solve(&jtj, &unit(1), dim)?;
    let s2 = sigma * sigma;
    let cov = [[c0[0] * s2, c0[1] * s2], [c1[0] * s2, c1[1] * s2]];
    (cov[0][0] > 0.0 && cov[1][1] > 0.0 && cov.iter().flatten().all(|v| v.is_finite()))
        .then_some(cov)
}

fn unit(i: usize) -> [f64; 4] {
    let mut u = [0.0; 4];
    u[i] = 1.0;
    u
}

/// Solve the leading `dim`×`dim` system by Gaussian elimination with partial pivoting.
fn solve(m: &[[f64; 4]; 4], b: &[f64; 4], dim: usize) -> Option<[f64; 4]> {
    let mut a = *m;
    let mut v = *b;
    let scale = (0..dim).map(|i| a[i][i].abs()).fold(0.0, f64::max);
    if scale <= 0.0 || !scale.is_finite() {
        return None;
    }
    for col in 0..dim {
        let piv = (col..dim).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-12 * scale {
            return None;
        }
        a.swap(col, piv);
        v.swap(col, piv);
        for row in col + 1..dim {
            let f = a[row][col] / a[col][col];
            let pivot_row = a[col];
            for (x, p) in a[row][col..dim].iter_mut().zip(&pivot_row[col..dim]) {
                *x -= f * p;
            }
            v[row] -= f * v[col];
        }
    }
    let mut x = [0.0; 4];
    for row in (0..dim).rev() {
        let s: f64 = (row + 1..dim).map(|c| a[row][c] * x[c]).sum();
        x[row] = (v[row] - s) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// `(1 + ρ)/(1 − ρ)` for the lag-1 autocorrelation ρ of residuals in route order (ρ clamped to
/// 0–0.9): the variance inflation of an AR(1) series.
fn ar1_inflation(r: &[f64]) -> f64 {
    let m = r.iter().sum::<f64>() / r.len().max(1) as f64;
    let var: f64 = r.iter().map(|x| (x - m).powi(2)).sum();
    if var <= 0.0 || r.len() < 3 {
        return 1.0;
    }
    let lag1: f64 = r.windows(2).map(|w| (w[0] - m) * (w[1] - m)).sum();
    let rho = (lag1 / var).clamp(0.0, 0.9);
    (1.0 + rho) / (1.0 - rho)
}

fn max_eig_2x2(c: [[f64; 2]; 2]) -> f64 {
    let tr = c[0][0] + c[1][1];
    let det = c[0][0] * c[1][1] - c[0][1] * c[1][0];
    let disc = (tr * tr / 4.0 - det).max(0.0).sqrt();
    tr / 2.0 + disc
}

/// Points of a circle of `radius_m` about (lat, lon), closed (first = last), `[lon, lat]` order.
pub fn circle(lat_deg: f64, lon_deg: f64, radius_m: f64, points: usize) -> Vec<[f64; 2]> {
    let enu = Enu::new(lat_deg, lon_deg);
    let n = points.max(8);
    (0..=n)
        .map(|i| {
            let a = std::f64::consts::TAU * (i % n) as f64 / n as f64;
            let (la, lo) = enu.to_latlon(radius_m * a.cos(), radius_m * a.sin());
            [round6(lo), round6(la)]
        })
        .collect()
}

/// GeoJSON FeatureCollection: samples (points with power), the track (line), the estimate
/// (point) and its uncertainty circle (polygon), and the alternative if any.
pub fn geojson(samples: &[Sample], est: &Estimate, label: &str) -> Value {
    let mut features: Vec<Value> = samples
        .iter()
        .map(|s| {
            json!({"type": "Feature",
                   "geometry": {"type": "Point", "coordinates": [s.lon_deg, s.lat_deg]},
                   "properties": {"kind": "sample", "power_dbfs": s.power_dbfs}})
        })
        .collect();
    if samples.len() >= 2 {
        features.push(json!({"type": "Feature",
            "geometry": {"type": "LineString",
                         "coordinates": samples.iter().map(|s| [s.lon_deg, s.lat_deg]).collect::<Vec<_>>()},
            "properties": {"kind": "track"}}));
    }
    let mut props = serde_json::to_value(est).unwrap_or(Value::Null);
    props["kind"] = json!("estimate");
    props["label"] = json!(label);
    features.push(json!({"type": "Feature",
        "geometry": {"type": "Point", "coordinates": [est.lon_deg, est.lat_deg]},
        "properties": props}));
    features.push(json!({"type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [circle(est.lat_deg, est.lon_deg, est.radius_m, 72)]},
        "properties": {"kind": "uncertainty", "radius_m": est.radius_m, "confidence": 0.95}}));
    if let Some([la, lo]) = est.alternative {
        features.push(json!({"type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lo, la]},
            "properties": {"kind": "alternative"}}));
    }
    json!({"type": "FeatureCollection", "features": features})
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// KML document with the same content as [`geojson`].
pub fn kml(samples: &[Sample], est: &Estimate, label: &str) -> String {
    let mut k = String::new();
    let name = xml_escape(label);
    let _ = writeln!(k, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(k, r#"<kml xmlns="http://www.opengis.net/kml/2.2">"#);
    let _ = writeln!(k, "<Document>\n<name>{name}</name>");
    let _ = writeln!(
        k,
        "<Style id=\"circle\"><LineStyle><color>ff0000ff</color><width>2</width></LineStyle>\
         <PolyStyle><color>330000ff</color></PolyStyle></Style>"
    );
    let method = match est.method {
        Method::PathLoss => "path-loss fit",
        Method::WeightedCentroid => "weighted centroid",
    };
    let mut desc = format!("{method}, 95% radius {} m", est.radius_m);
    if let Some(n) = est.exponent {
        let _ = write!(desc, ", exponent {n}");
    }
    if let Some(r) = &est.fallback_reason {
        let _ = write!(desc, " ({r})");
    }
    let _ = writeln!(
        k,
        "<Placemark><name>{name} estimate</name><description>{}</description>\
         <Point><coordinates>{},{}</coordinates></Point></Placemark>",
        xml_escape(&desc),
        est.lon_deg,
        est.lat_deg
    );
    let ring: Vec<String> = circle(est.lat_deg, est.lon_deg, est.radius_m, 72)
        .iter()
        .map(|c| format!("{},{}", c[0], c[1]))
        .collect();
    let _ = writeln!(
        k,
        "<Placemark><name>95% radius {} m</name><styleUrl>#circle</styleUrl><Polygon><outerBoundaryIs>\
         <LinearRing><coordinates>{}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>",
        est.radius_m,
        ring.join(" ")
    );
    if let Some([la, lo]) = est.alternative {
        let _ = writeln!(
            k,
            "<Placemark><name>{name} alternative (mirror)</name>\
             <Point><coordinates>{lo},{la}</coordinates></Point></Placemark>"
        );
    }
    if samples.len() >= 2 {
        let line: Vec<String> = samples
            .iter()
            .map(|s| format!("{},{}", s.lon_deg, s.lat_deg))
            .collect();
        let _ = writeln!(
            k,
            "<Placemark><name>track</name><LineString><coordinates>{}</coordinates>\
             </LineString></Placemark>",
            line.join(" ")
        );
    }
    let _ = writeln!(k, "<Folder><name>samples</name>");
    for s in samples {
        let _ = writeln!(
            k,
            "<Placemark><name>{:.1} dBFS</name><Point><coordinates>{},{}</coordinates>\
             </Point></Placemark>",
            s.power_dbfs, s.lon_deg, s.lat_deg
        );
    }
    let _ = writeln!(k, "</Folder>\n</Document>\n</kml>");
    k
}

/// Read `lat,lon,power` CSV (a header line and `#` comments allowed). Bad lines are errors naming
/// the line.
pub fn read_csv(text: &str) -> Result<Vec<Sample>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let nums: Option<Vec<f64>> = f.iter().take(3).map(|v| v.parse().ok()).collect();
        match nums {
            Some(v) if v.len() == 3 => out.push(Sample {
                lat_deg: v[0],
                lon_deg: v[1],
                power_dbfs: v[2],
            }),
            _ if i == 0 => {} // header
            _ => return Err(format!("line {}: expected lat,lon,power: '{line}'", i + 1)),
        }
    }
    Ok(out)
}

/// Which channel to pick from observation lines.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelKey {
    /// ARFCN.
    pub arfcn: u16,
    /// Downlink carrier frequency of the ARFCN in its band (matches the channel by frequency,
    /// since overlapping bands number the same carrier differently); None: match the ARFCN alone.
    pub freq_hz: Option<f64>,
}

/// Counts of what a JSON-lines log held.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LogCounters {
    /// Lines read.
    pub lines: u64,
    /// Lines that were not JSON.
    pub bad_lines: u64,
    /// Spectrum observations seen.
    pub spectra: u64,
    /// Spectrum observations with no position (GPS lost or absent).
    pub without_position: u64,
    /// Spectrum observations that did not include the channel.
    pub without_channel: u64,
}

/// Pull (position, channel power) samples out of `replay` JSON lines whose spectrum
/// observations carry a `position` (`replay --gpsd/--nmea/--position`).
pub fn samples_from_jsonl(text: &str, key: ChannelKey) -> (Vec<Sample>, LogCounters) {
    let mut c = LogCounters::default();
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        c.lines += 1;
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            c.bad_lines += 1;
            continue;
        };
        if v.get("type").and_then(Value::as_str) != Some("spectrum") {
            continue;
        }
        c.spectra += 1;
        let pos = v.get("position").filter(|p| !p.is_null());
        let (Some(lat), Some(lon)) = (
            pos.and_then(|p| p.get("lat_deg")).and_then(Value::as_f64),
            pos.and_then(|p| p.get("lon_deg")).and_then(Value::as_f64),
        ) else {
            c.without_position += 1;
            continue;
        };
        let power = v
            .get("channels")
            .and_then(Value::as_array)
            .and_then(|chs| {
                chs.iter().find(|ch| match key.freq_hz {
                    Some(f) => ch
                        .get("freq_hz")
                        .and_then(Value::as_f64)
                        .is_some_and(|cf| (cf - f).abs() < 1e3),
                    None => ch.get("arfcn").and_then(Value::as_u64) == Some(u64::from(key.arfcn)),
                })
            })
            .and_then(|ch| ch.get("power_dbfs"))
            .and_then(Value::as_f64);
        match power {
            Some(p) => out.push(Sample {
                lat_deg: lat,
                lon_deg: lon,
                power_dbfs: p,
            }),
            None => c.without_channel += 1,
        }
    }
    (out, c)
}
