//! LTE E-UTRA bands and EARFCN ↔ frequency tables (3GPP TS 36.101 §5.7.3, Table 5.7.3-1).
//!
//! A carrier's centre frequency is on a 100 kHz raster and numbered by its EARFCN:
//!
//! ```text
//! F_DL = F_DL_low + 0.1 MHz · (N_DL − N_Offs-DL)
//! F_UL = F_UL_low + 0.1 MHz · (N_UL − N_Offs-UL)
//! ```
//!
//! Only the bands in use where the tool is deployed are tabled: FDD bands 1, 3, 5, 7, 8, 20, 28 and
//! TDD bands 38, 39, 40, 41. The FDD bands number downlink and uplink separately (uplink EARFCNs
//! from 18000); a TDD band uses one range for both directions. Bands overlap in frequency (band 38
//! lies inside band 41, band 7's downlink is inside band 41 too), so a frequency maps to every band
//! that covers it ([`earfcns_at`]). Pure tables, no I/O.

use crate::lte::params::Duplex;

/// An E-UTRA operating band of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LteBand {
    /// Band number (1, 3, … 41).
    pub number: u8,
    /// FDD or TDD.
    pub duplex: Duplex,
    /// Lowest downlink frequency, in units of 100 kHz (F_DL_low).
    dl_low_100khz: u32,
    /// First downlink EARFCN (N_Offs-DL).
    dl_offset: u32,
    /// Last downlink EARFCN.
    dl_last: u32,
    /// Uplink: lowest frequency in 100 kHz units (F_UL_low), first and last EARFCN (FDD only).
    ul: Option<(u32, u32, u32)>,
}

const fn fdd(number: u8, dl: (u32, u32, u32), ul: (u32, u32, u32)) -> LteBand {
    LteBand {
        number,
        duplex: Duplex::Fdd,
        dl_low_100khz: dl.0,
        dl_offset: dl.1,
        dl_last: dl.2,
        ul: Some(ul),
    }
}

const fn tdd(number: u8, low_100khz: u32, first: u32, last: u32) -> LteBand {
    LteBand {
        number,
        duplex: Duplex::Tdd,
        dl_low_100khz: low_100khz,
        dl_offset: first,
        dl_last: last,
        ul: None,
    }
}

/// The tabled bands, in band-number order (TS 36.101 Table 5.7.3-1; frequencies in 100 kHz
/// units: (F_low, N_Offs, N_last)).
pub const LTE_BANDS: [LteBand; 11] = [
    fdd(1, (21100, 0, 599), (19200, 18000, 18599)),
    fdd(3, (18050, 1200, 1949), (17100, 19200, 19949)),
    fdd(5, (8690, 2400, 2649), (8240, 20400, 20649)),
    fdd(7, (26200, 2750, 3449), (25000, 20750, 21449)),
    fdd(8, (9250, 3450, 3799), (8800, 21450, 21799)),
    fdd(20, (7910, 6150, 6449), (8320, 24150, 24449)),
    fdd(28, (7580, 9210, 9659), (7030, 27210, 27659)),
    tdd(38, 25700, 37750, 38249),
    tdd(39, 18800, 38250, 38649),
    tdd(40, 23000, 38650, 39649),
    tdd(41, 24960, 39650, 41589),
];

/// Channel raster: every carrier centre is a multiple of 100 kHz.
pub const RASTER_HZ: f64 = 100e3;

impl LteBand {
    /// The band with this number, if tabled.
    pub fn by_number(number: u8) -> Option<LteBand> {
        LTE_BANDS.iter().copied().find(|b| b.number == number)
    }

    /// The band a downlink EARFCN belongs to (downlink EARFCN ranges do not overlap).
    pub fn of_dl_earfcn(earfcn: u32) -> Option<LteBand> {
        LTE_BANDS
            .iter()
            .copied()
            .find(|b| (b.dl_offset..=b.dl_last).contains(&earfcn))
    }

    /// The band an uplink EARFCN belongs to (FDD uplink range, or a TDD band's one range).
    pub fn of_ul_earfcn(earfcn: u32) -> Option<LteBand> {
        LTE_BANDS.iter().copied().find(|b| match b.ul {
            Some((_, first, last)) => (first..=last).contains(&earfcn),
            None => (b.dl_offset..=b.dl_last).contains(&earfcn),
        })
    }

    /// Downlink EARFCNs of the band, first and last.
    pub fn dl_earfcns(&self) -> (u32, u32) {
        (self.dl_offset, self.dl_last)
    }

    /// Lowest and highest downlink carrier frequency of the band's raster, Hz.
    pub fn dl_range_hz(&self) -> (f64, f64) {
        (
            self.dl_low_100khz as f64 * RASTER_HZ,
            (self.dl_low_100khz + self.dl_last - self.dl_offset) as f64 * RASTER_HZ,
        )
    }

    /// Every downlink EARFCN of the band in frequency order, one per 100 kHz raster step: the
    /// channels a sweep of the band tunes to.
    pub fn sweep(&self) -> impl Iterator<Item = u32> + use<> {
        self.dl_offset..=self.dl_last
    }

    /// The downlink EARFCN of this band at `freq_hz`, when the frequency is on the band's raster
    /// (within 1 kHz).
    pub fn dl_earfcn_at(&self, freq_hz: f64) -> Option<u32> {
        let steps = freq_hz / RASTER_HZ - self.dl_low_100khz as f64;
        let n = steps.round();
        if !steps.is_finite() || (steps - n).abs() * RASTER_HZ > 1e3 || n < 0.0 {
            return None;
        }
        let earfcn = self.dl_offset as u64 + n as u64;
        (earfcn <= self.dl_last as u64).then_some(earfcn as u32)
    }
}

/// Downlink centre frequency of an EARFCN, Hz (None outside the tabled bands).
pub fn dl_freq_hz(earfcn: u32) -> Option<f64> {
    let b = LteBand::of_dl_earfcn(earfcn)?;
    Some((b.dl_low_100khz + earfcn - b.dl_offset) as f64 * RASTER_HZ)
}

/// Uplink centre frequency of an uplink EARFCN, Hz. For a TDD band the uplink shares the
/// downlink's EARFCN and frequency.
pub fn ul_freq_hz(earfcn: u32) -> Option<f64> {
    let b = LteBand::of_ul_earfcn(earfcn)?;
    match b.ul {
        Some((low, first, _)) => Some((low + earfcn - first) as f64 * RASTER_HZ),
        None => dl_freq_hz(earfcn),
    }
}

/// The uplink EARFCN paired with a downlink EARFCN (FDD: same offset into the uplink range;
/// TDD: the same number).
pub fn paired_ul_earfcn(dl_earfcn: u32) -> Option<u32> {
    let b = LteBand::of_dl_earfcn(dl_earfcn)?;
    Some(match b.ul {
        Some((_, first, _)) => first + dl_earfcn - b.dl_offset,
        None => dl_earfcn,
    })
}

/// Duplex mode of the band a downlink EARFCN belongs to.
pub fn duplex(earfcn: u32) -> Option<Duplex> {
    LteBand::of_dl_earfcn(earfcn).map(|b| b.duplex)
}

/// Every (band, downlink EARFCN) whose carrier is at `freq_hz` (on the 100 kHz raster, within
/// 1 kHz), in band-number order. A frequency can be in several bands: 2605 MHz is band 38's
/// EARFCN 38100 and band 41's 40740.
pub fn earfcns_at(freq_hz: f64) -> Vec<(LteBand, u32)> {
    LTE_BANDS
        .iter()
        .filter_map(|b| b.dl_earfcn_at(freq_hz).map(|e| (*b, e)))
        .collect()
}

/// The downlink EARFCN a receiver tuned to `freq_hz` is listening to: the frequency rounded to
/// the 100 kHz raster, in the lowest-numbered band that covers it — among the bands of the
/// given duplex mode when one is given and such a band covers it (a TDD cell at 2645 MHz is band
/// 41's 41140, not band 7's FDD 3000). None off every tabled band.
pub fn nearest_dl_earfcn(freq_hz: f64, duplex: Option<Duplex>) -> Option<u32> {
    if !freq_hz.is_finite() {
        return None;
    }
    let on_raster = (freq_hz / RASTER_HZ).round() * RASTER_HZ;
    let all = earfcns_at(on_raster);
    all.iter()
        .find(|(b, _)| Some(b.duplex) == duplex)
        .or(all.first())
        .map(|(_, e)| *e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, mhz: f64) -> bool {
        a.is_some_and(|f| (f - mhz * 1e6).abs() < 1.0)
    }

    #[test]
    fn downlink_frequencies_match_ts_36_101() {
        // Band edges (F_DL_low at N_Offs-DL) and carriers of the shared captures.
        assert!(close(dl_freq_hz(0), 2110.0));
        assert!(close(dl_freq_hz(599), 2169.9));
        assert!(close(dl_freq_hz(1200), 1805.0));
        assert!(close(dl_freq_hz(1575), 1842.5));
        assert!(close(dl_freq_hz(1750), 1860.0));
        assert!(close(dl_freq_hz(1825), 1867.5));
        assert!(close(dl_freq_hz(1303), 1815.3));
        assert!(close(dl_freq_hz(2400), 869.0));
        assert!(close(dl_freq_hz(3000), 2645.0));
        assert!(close(dl_freq_hz(3450), 925.0));
        assert!(close(dl_freq_hz(6200), 796.0));
        assert!(close(dl_freq_hz(9210), 758.0));
        assert!(close(dl_freq_hz(37900), 2585.0));
        assert!(close(dl_freq_hz(38350), 1890.0));
        assert!(close(dl_freq_hz(38950), 2330.0));
        assert!(close(dl_freq_hz(39650), 2496.0));
        assert!(close(dl_freq_hz(41589), 2689.9));
        // Gaps and uplink numbers are not downlink EARFCNs.
        assert_eq!(dl_freq_hz(600), None);
        assert_eq!(dl_freq_hz(18000), None);
        assert_eq!(dl_freq_hz(41590), None);
    }

    #[test]
    fn uplink_frequencies_and_pairing() {
        assert!(close(ul_freq_hz(18000), 1920.0));
        assert!(close(ul_freq_hz(19750), 1765.0)); // band 3: 1860 MHz DL pairs with 1765 MHz UL
        assert_eq!(paired_ul_earfcn(1750), Some(19750));
        assert!(close(ul_freq_hz(24200), 837.0)); // band 20 is reversed: UL above DL
        assert_eq!(paired_ul_earfcn(6200), Some(24200));
        assert!(close(ul_freq_hz(20750), 2500.0));
        // TDD: one EARFCN and frequency for both directions.
        assert_eq!(paired_ul_earfcn(38100), Some(38100));
        assert!(close(ul_freq_hz(38100), 2605.0));
        assert_eq!(ul_freq_hz(1750), None);
    }

    #[test]
    fn a_frequency_can_be_in_several_bands() {
        let at = |mhz: f64| -> Vec<(u8, u32)> {
            earfcns_at(mhz * 1e6)
                .iter()
                .map(|(b, e)| (b.number, *e))
                .collect()
        };
        assert_eq!(at(2605.0), vec![(38, 38100), (41, 40740)]);
        assert_eq!(at(2645.0), vec![(7, 3000), (41, 41140)]);
        assert_eq!(at(1860.0), vec![(3, 1750)]);
        assert_eq!(at(796.0), vec![(20, 6200), (28, 9590)]); // band 28 (758–803 MHz) overlaps band 20
        assert_eq!(at(1890.0), vec![(39, 38350)]);
        // Off the raster, or outside every band.
        assert!(at(1860.05).is_empty());
        assert!(at(100.0).is_empty());
        assert!(earfcns_at(f64::NAN).is_empty());
        assert_eq!(nearest_dl_earfcn(1_860_000_400.0, None), Some(1750));
        assert_eq!(nearest_dl_earfcn(2_605e6, None), Some(38100));
        assert_eq!(nearest_dl_earfcn(2_645e6, None), Some(3000));
        assert_eq!(nearest_dl_earfcn(2_645e6, Some(Duplex::Fdd)), Some(3000));
        assert_eq!(nearest_dl_earfcn(2_645e6, Some(Duplex::Tdd)), Some(41140));
        // No band of that mode: the first band that covers it.
        assert_eq!(nearest_dl_earfcn(1_860e6, Some(Duplex::Tdd)), Some(1750));
        assert_eq!(nearest_dl_earfcn(f64::INFINITY, None), None);
    }

    #[test]
    fn duplex_and_sweeps() {
        assert_eq!(duplex(1750), Some(Duplex::Fdd));
        assert_eq!(duplex(38100), Some(Duplex::Tdd));
        assert_eq!(duplex(5000), None);
        let b3 = LteBand::by_number(3).unwrap();
        let sweep: Vec<u32> = b3.sweep().collect();
        assert_eq!(sweep.len(), 750); // 1805.0–1879.9 MHz every 100 kHz
        assert_eq!(sweep.first(), Some(&1200));
        let (lo, hi) = b3.dl_range_hz();
        assert!((lo - 1805e6).abs() < 1.0 && (hi - 1879.9e6).abs() < 1.0);
        // Every EARFCN of every band maps back to itself through its frequency.
        for b in LTE_BANDS {
            for e in b.sweep() {
                let f = dl_freq_hz(e).unwrap();
                assert_eq!(b.dl_earfcn_at(f), Some(e));
            }
        }
        assert!(LteBand::by_number(2).is_none());
    }
}
