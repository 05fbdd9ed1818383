//! Cell measurements from the CRS (TS 36.214 §5.1): RSRP, RSRQ, SINR, and the frequency offset
//! with its uncertainty.
//!
//! Per subframe: RSRP is the mean power of the port-0 channel estimate per resource element
//! (the smoothed estimate, so little of the noise is in it), the noise is the spread of the raw
//! pilots around the smoothed estimate, RSSI is the mean power of all resource elements of the
//! CRS-bearing symbols (the cell, its neighbours and the noise), RSRQ = N·RSRP / RSSI over N
//! resource blocks (= RSRP / (12 · mean RE power)). Powers are in dBFS per resource element: 0
//! dBFS is a full-scale complex tone on one subcarrier. The frequency offset is the search's
//! plus the phase drift of the CRS within each subframe; its uncertainty is the standard error
//! over the subframes measured.

use serde::Serialize;

/// One subframe's measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubframeMeasurement {
    /// Port-0 channel power per resource element (linear, full scale = 1).
    pub rsrp: f64,
    /// Noise (and interference) power per resource element (linear).
    pub noise: f64,
    /// Mean power of all resource elements in the CRS symbols (linear).
    pub rssi_per_re: f64,
    /// Residual frequency offset measured in this subframe, Hz.
    pub residual_cfo_hz: f64,
}

/// Averages over subframes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CellMeasurement {
    /// Reference signal received power, dBFS per resource element.
    pub rsrp_dbfs: f64,
    /// Reference signal received quality, dB.
    pub rsrq_db: f64,
    /// CRS signal to noise-and-interference ratio, dB.
    pub sinr_db: f64,
    /// Frequency offset, Hz (signal minus nominal).
    pub cfo_hz: f64,
    /// Standard error of `cfo_hz`, Hz.
    pub cfo_uncertainty_hz: f64,
    /// Subframes measured.
    pub subframes: usize,
}

fn db(x: f64) -> f64 {
    10.0 * x.max(1e-30).log10()
}

/// Combines subframe measurements; `search_cfo_hz` is the offset the demodulation removed.
/// None for an empty list.
pub fn combine(subframes: &[SubframeMeasurement], search_cfo_hz: f64) -> Option<CellMeasurement> {
    let n = subframes.len();
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let rsrp = subframes.iter().map(|s| s.rsrp).sum::<f64>() / nf;
    let noise = subframes.iter().map(|s| s.noise).sum::<f64>() / nf;
    let rssi = subframes.iter().map(|s| s.rssi_per_re).sum::<f64>() / nf;
    let mean_cfo = subframes.iter().map(|s| s.residual_cfo_hz).sum::<f64>() / nf;
    let var = if n > 1 {
        subframes
            .iter()
            .map(|s| (s.residual_cfo_hz - mean_cfo).powi(2))
            .sum::<f64>()
            / (nf - 1.0)
    } else {
        // One subframe: no spread to go by; the drift estimator's resolution over 0.5 ms.
        1000.0f64.powi(2)
    };
    Some(CellMeasurement {
        rsrp_dbfs: db(rsrp),
        rsrq_db: db(rsrp / (12.0 * rssi.max(1e-30))),
        sinr_db: db(rsrp / noise.max(1e-30)),
        cfo_hz: search_cfo_hz + mean_cfo,
        cfo_uncertainty_hz: (var / nf).sqrt(),
        subframes: n,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn combines_as_documented() {
        let s = SubframeMeasurement {
            rsrp: 0.01,
            noise: 0.001,
            rssi_per_re: 0.011,
            residual_cfo_hz: 10.0,
        };
        let mut t = s;
        t.residual_cfo_hz = 30.0;
        let m = combine(&[s, t], 1000.0).unwrap();
        assert!((m.rsrp_dbfs + 20.0).abs() < 1e-9);
        assert!((m.sinr_db - 10.0).abs() < 1e-9);
        assert!((m.cfo_hz - 1020.0).abs() < 1e-9);
        assert!((m.cfo_uncertainty_hz - 10.0).abs() < 1e-9);
        // One cell alone, no noise: RSRQ = 1/12 → −10.8 dB.
        let mut u = s;
        u.rssi_per_re = 0.01;
        assert!((combine(&[u], 0.0).unwrap().rsrq_db + 10.79).abs() < 0.01);
        assert!(combine(&[], 0.0).is_none());
    }
}
