//! GSM bands and ARFCN ↔ carrier-frequency tables (3GPP TS 45.005 §2), downlink and uplink.
//!
//! DCS1800 and PCS1900 reuse ARFCN numbers 512–810, so a channel is identified by (band, ARFCN),
//! never by the number alone.

use serde::{Deserialize, Serialize};

/// Channel spacing of GSM carriers.
pub const CHANNEL_SPACING_HZ: f64 = 200_000.0;

/// A GSM frequency band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Band {
    /// GSM 850 (ARFCN 128–251; DL 869.2–893.8 MHz).
    Gsm850,
    /// Primary GSM 900 (ARFCN 1–124; DL 935.2–959.8 MHz).
    PGsm900,
    /// Extended GSM 900 (ARFCN 0–124 and 975–1023; DL 925.2–959.8 MHz).
    EGsm900,
    /// Railway GSM 900 (ARFCN 0–124 and 955–1023; DL 921.2–959.8 MHz).
    RGsm900,
    /// DCS 1800 (ARFCN 512–885; DL 1805.2–1879.8 MHz).
    Dcs1800,
    /// PCS 1900 (ARFCN 512–810; DL 1930.2–1989.8 MHz).
    Pcs1900,
}

/// Link direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Base station → phone.
    Downlink,
    /// Phone → base station.
    Uplink,
}

/// All bands, in the order used to resolve a frequency to a channel (supersets first within a
/// region, so 900 MHz frequencies resolve to E-GSM numbering, which equals P-GSM numbering on
/// 1–124).
pub const ALL_BANDS: [Band; 6] = [
    Band::Gsm850,
    Band::EGsm900,
    Band::RGsm900,
    Band::PGsm900,
    Band::Dcs1800,
    Band::Pcs1900,
];

impl Band {
    /// The band's one spelling, the same in text, JSON and configuration files (`gsm850`,
    /// `p-gsm900`, `e-gsm900`, `r-gsm900`, `dcs1800`, `pcs1900`); [`Band::parse`] also takes
    /// the short forms people type (`egsm`, `dcs`, `900`, …).
    pub fn name(self) -> &'static str {
        match self {
            Band::Gsm850 => "gsm850",
            Band::PGsm900 => "p-gsm900",
            Band::EGsm900 => "e-gsm900",
            Band::RGsm900 => "r-gsm900",
            Band::Dcs1800 => "dcs1800",
            Band::Pcs1900 => "pcs1900",
        }
    }

    /// Parse a band name (accepts the names of [`Band::name`] and common aliases).
    pub fn parse(s: &str) -> Option<Band> {
        match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "gsm850" | "850" => Some(Band::Gsm850),
            "gsm900" | "pgsm" | "pgsm900" | "900" => Some(Band::PGsm900),
            "egsm" | "egsm900" => Some(Band::EGsm900),
            "rgsm" | "rgsm900" => Some(Band::RGsm900),
            "dcs1800" | "dcs" | "gsm1800" | "1800" => Some(Band::Dcs1800),
            "pcs1900" | "pcs" | "gsm1900" | "1900" => Some(Band::Pcs1900),
            _ => None,
        }
    }

    /// Whether `arfcn` belongs to this band.
    pub fn contains(self, arfcn: u16) -> bool {
        match self {
            Band::Gsm850 => (128..=251).contains(&arfcn),
            Band::PGsm900 => (1..=124).contains(&arfcn),
            Band::EGsm900 => arfcn <= 124 || (975..=1023).contains(&arfcn),
            Band::RGsm900 => arfcn <= 124 || (955..=1023).contains(&arfcn),
            Band::Dcs1800 => (512..=885).contains(&arfcn),
            Band::Pcs1900 => (512..=810).contains(&arfcn),
        }
    }

    /// The band's ARFCNs in ascending carrier-frequency order.
    pub fn arfcns(self) -> Vec<u16> {
        let mut v: Vec<u16> = match self {
            Band::EGsm900 => (975..=1023).chain(0..=124).collect(),
            Band::RGsm900 => (955..=1023).chain(0..=124).collect(),
            _ => (0..=1023).filter(|&n| self.contains(n)).collect(),
        };
        v.dedup();
        v
    }

    /// Uplink-to-downlink duplex spacing.
    pub fn duplex_hz(self) -> f64 {
        match self {
            Band::Gsm850 | Band::PGsm900 | Band::EGsm900 | Band::RGsm900 => 45e6,
            Band::Dcs1800 => 95e6,
            Band::Pcs1900 => 80e6,
        }
    }

    /// Carrier frequency of `arfcn` in this band, or `None` if the ARFCN is not in the band.
    pub fn freq_hz(self, arfcn: u16, dir: Direction) -> Option<f64> {
        if !self.contains(arfcn) {
            return None;
        }
        let n = f64::from(arfcn);
        let dl_mhz = match self {
            Band::Gsm850 => 869.2 + 0.2 * (n - 128.0),
            Band::PGsm900 | Band::EGsm900 | Band::RGsm900 => {
                if arfcn <= 124 {
                    935.0 + 0.2 * n
                } else {
                    935.0 + 0.2 * (n - 1024.0)
                }
            }
            Band::Dcs1800 => 1805.2 + 0.2 * (n - 512.0),
            Band::Pcs1900 => 1930.2 + 0.2 * (n - 512.0),
        };
        let dl_hz = (dl_mhz * 1e6).round();
        Some(match dir {
            Direction::Downlink => dl_hz,
            Direction::Uplink => dl_hz - self.duplex_hz(),
        })
    }

    /// The ARFCN whose carrier is nearest `freq_hz`, if that carrier is within half a channel.
    pub fn arfcn_at(self, freq_hz: f64, dir: Direction) -> Option<u16> {
        let (lo, hi) = self.range_hz(dir);
        if freq_hz < lo - CHANNEL_SPACING_HZ / 2.0 || freq_hz > hi + CHANNEL_SPACING_HZ / 2.0 {
            return None;
        }
        self.arfcns().into_iter().find(|&n| {
            self.freq_hz(n, dir)
                .is_some_and(|f| (f - freq_hz).abs() < CHANNEL_SPACING_HZ / 2.0)
        })
    }

    /// Lowest and highest carrier frequency of the band.
    pub fn range_hz(self, dir: Direction) -> (f64, f64) {
        let a = self.arfcns();
        let f = |n: Option<&u16>| n.and_then(|&n| self.freq_hz(n, dir)).unwrap_or(0.0);
        (f(a.first()), f(a.last()))
    }
}

impl std::fmt::Display for Band {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A GSM channel: band, ARFCN, direction and its carrier frequency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// Band the ARFCN is numbered in.
    pub band: Band,
    /// Absolute radio-frequency channel number.
    pub arfcn: u16,
    /// Link direction.
    pub direction: Direction,
    /// Carrier frequency.
    pub freq_hz: f64,
}

/// Resolve a carrier frequency to a channel, trying bands in [`ALL_BANDS`] order.
pub fn channel_at(freq_hz: f64, dir: Direction) -> Option<Channel> {
    ALL_BANDS.iter().find_map(|&band| {
        let arfcn = band.arfcn_at(freq_hz, dir)?;
        Some(Channel {
            band,
            arfcn,
            direction: dir,
            freq_hz: band.freq_hz(arfcn, dir)?,
        })
    })
}

/// Every GSM channel whose whole 200 kHz lies inside `[center_hz - span_hz/2, center_hz + span_hz/2]`,
/// in ascending frequency, each frequency once (bands resolved as in [`channel_at`]).
pub fn channels_in_span(center_hz: f64, span_hz: f64, dir: Direction) -> Vec<Channel> {
    let lo = center_hz - span_hz / 2.0 + CHANNEL_SPACING_HZ / 2.0;
    let hi = center_hz + span_hz / 2.0 - CHANNEL_SPACING_HZ / 2.0;
    let mut out: Vec<Channel> = Vec::new();
    for band in ALL_BANDS {
        for n in band.arfcns() {
            let Some(f) = band.freq_hz(n, dir) else {
                continue;
            };
            if f >= lo - 1.0 && f <= hi + 1.0 && !out.iter().any(|c| (c.freq_hz - f).abs() < 1.0) {
                out.push(Channel {
                    band,
                    arfcn: n,
                    direction: dir,
                    freq_hz: f,
                });
            }
        }
    }
    out.sort_by(|a, b| a.freq_hz.total_cmp(&b.freq_hz));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_carriers() {
        let d = Direction::Downlink;
        assert_eq!(Band::PGsm900.freq_hz(5, d), Some(936.0e6));
        assert_eq!(Band::PGsm900.freq_hz(30, d), Some(941.0e6));
        assert_eq!(Band::EGsm900.freq_hz(975, d), Some(925.2e6));
        assert_eq!(Band::EGsm900.freq_hz(0, d), Some(935.0e6));
        assert_eq!(Band::RGsm900.freq_hz(955, d), Some(921.2e6));
        assert_eq!(Band::Gsm850.freq_hz(128, d), Some(869.2e6));
        assert_eq!(Band::Gsm850.freq_hz(251, d), Some(893.8e6));
        assert_eq!(Band::Dcs1800.freq_hz(725, d), Some(1847.8e6));
        assert_eq!(Band::Dcs1800.freq_hz(885, d), Some(1879.8e6));
        assert_eq!(Band::Pcs1900.freq_hz(512, d), Some(1930.2e6));
        assert_eq!(Band::Pcs1900.freq_hz(810, d), Some(1989.8e6));
        assert_eq!(Band::PGsm900.freq_hz(0, d), None);
        assert_eq!(Band::Pcs1900.freq_hz(885, d), None);
    }

    #[test]
    fn uplink_is_duplex_below() {
        let u = Direction::Uplink;
        assert_eq!(Band::PGsm900.freq_hz(1, u), Some(890.2e6));
        assert_eq!(Band::Dcs1800.freq_hz(512, u), Some(1710.2e6));
        assert_eq!(Band::Pcs1900.freq_hz(512, u), Some(1850.2e6));
        assert_eq!(Band::Gsm850.freq_hz(128, u), Some(824.2e6));
    }

    #[test]
    fn frequency_round_trips_to_arfcn() {
        for band in ALL_BANDS {
            for dir in [Direction::Downlink, Direction::Uplink] {
                for n in band.arfcns() {
                    let f = band.freq_hz(n, dir).unwrap();
                    assert_eq!(band.arfcn_at(f + 40e3, dir), Some(n), "{band} {n}");
                }
            }
        }
        let c = channel_at(936.0e6, Direction::Downlink).unwrap();
        assert_eq!((c.band, c.arfcn), (Band::EGsm900, 5));
        assert!(channel_at(1e9, Direction::Downlink).is_none());
    }

    #[test]
    fn span_lists_whole_channels_once() {
        let ch = channels_in_span(937e6, 4e6, Direction::Downlink);
        assert_eq!(ch.first().unwrap().freq_hz, 935.2e6);
        assert_eq!(ch.last().unwrap().freq_hz, 938.8e6);
        assert_eq!(ch.len(), 19);
        let arfcns: Vec<u16> = ch.iter().map(|c| c.arfcn).collect();
        assert!(arfcns.contains(&5));
    }

    #[test]
    fn band_names_parse() {
        for b in ALL_BANDS {
            assert_eq!(Band::parse(b.name()), Some(b));
        }
        assert_eq!(Band::parse("DCS-1800"), Some(Band::Dcs1800));
        assert_eq!(Band::parse("lte"), None);
    }
}
