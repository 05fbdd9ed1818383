//! LTE numerology (3GPP TS 36.211 §4, §6.2, §6.12): FFT size from the sample rate, cyclic prefix
//! lengths, slot and frame lengths in samples, bandwidths, duplex modes.
//!
//! Everything is expressed at an arbitrary sample rate that is a multiple of 15 kHz × 128
//! (1.92, 3.84, 7.68, 15.36, 19.2, 23.04, 30.72 MS/s): the FFT size is `rate / 15 kHz` and the
//! cyclic prefixes are 160/144 (normal) or 512 (extended) samples at 30.72 MS/s, scaled by
//! `n_fft / 2048`, which is exact for every such rate.

use thiserror::Error;

/// Subcarrier spacing of the LTE downlink (normal numerology), Hz.
pub const SUBCARRIER_SPACING_HZ: f64 = 15_000.0;
/// Sample rate of the cell search and the PBCH: the central 6 resource blocks, 128-point FFT.
pub const SEARCH_RATE_SPS: f64 = 1_920_000.0;
/// Subcarriers per resource block.
pub const SUBCARRIERS_PER_RB: usize = 12;
/// Largest downlink bandwidth in resource blocks (N_RB^max,DL), used by the CRS indexing.
pub const MAX_RB: usize = 110;
/// Transmission bandwidths in resource blocks, in the order of the MIB's `dl-Bandwidth`.
pub const BANDWIDTHS_RB: [usize; 6] = [6, 15, 25, 50, 75, 100];

/// Errors of the LTE stages.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LteError {
    /// The sample rate is not a multiple of 1.92 MS/s' FFT grid (15 kHz × 128).
    #[error("sample rate {0} S/s is not a multiple of 1.92 MS/s / 128 × 128 (15 kHz × 128)")]
    UnsupportedRate(f64),
    /// A parameter was out of its range.
    #[error("invalid parameter {name}: {value}")]
    InvalidParameter {
        /// Which parameter.
        name: &'static str,
        /// Its value.
        value: f64,
    },
}

/// Cyclic prefix length class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CyclicPrefix {
    /// Normal CP: 7 symbols per slot.
    Normal,
    /// Extended CP: 6 symbols per slot.
    Extended,
}

/// Duplex mode, told apart by the spacing between the SSS and the PSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Duplex {
    /// Frequency division: PSS in the last symbol of slots 0 and 10, SSS just before it.
    Fdd,
    /// Time division: PSS in the third symbol of subframes 1 and 6, SSS three symbols before.
    Tdd,
}

/// OFDM numerology at one sample rate and cyclic prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numerology {
    /// FFT size (sample rate / 15 kHz).
    pub n_fft: usize,
    /// Cyclic prefix class.
    pub cp: CyclicPrefix,
}

impl Numerology {
    /// The numerology for `sample_rate_sps` (a multiple of 1.92 MS/s / 128 · 128 = 15 kHz × 128).
    pub fn new(sample_rate_sps: f64, cp: CyclicPrefix) -> Result<Self, LteError> {
        let n = sample_rate_sps / SUBCARRIER_SPACING_HZ;
        if !n.is_finite() || n < 128.0 || (n - n.round()).abs() > 1e-6 {
            return Err(LteError::UnsupportedRate(sample_rate_sps));
        }
        let n_fft = n.round() as usize;
        if !n_fft.is_multiple_of(128) || n_fft > 8192 {
            return Err(LteError::UnsupportedRate(sample_rate_sps));
        }
        Ok(Numerology { n_fft, cp })
    }

    /// Sample rate, S/s.
    pub fn sample_rate_sps(&self) -> f64 {
        self.n_fft as f64 * SUBCARRIER_SPACING_HZ
    }

    /// OFDM symbols per slot: 7 (normal CP) or 6 (extended).
    pub fn symbols_per_slot(&self) -> usize {
        match self.cp {
            CyclicPrefix::Normal => 7,
            CyclicPrefix::Extended => 6,
        }
    }

    /// Cyclic prefix length of symbol `l` of a slot, samples.
    pub fn cp_len(&self, l: usize) -> usize {
        match self.cp {
            CyclicPrefix::Normal if l == 0 => self.n_fft * 160 / 2048,
            CyclicPrefix::Normal => self.n_fft * 144 / 2048,
            CyclicPrefix::Extended => self.n_fft * 512 / 2048,
        }
    }

    /// Offset from the start of a slot to the first sample after the cyclic prefix of symbol `l`.
    pub fn symbol_offset(&self, l: usize) -> usize {
        (0..l).map(|i| self.cp_len(i) + self.n_fft).sum::<usize>() + self.cp_len(l)
    }

    /// Slot length (0.5 ms), samples.
    pub fn slot_len(&self) -> usize {
        self.n_fft * 15 / 2
    }

    /// Subframe length (1 ms), samples.
    pub fn subframe_len(&self) -> usize {
        self.n_fft * 15
    }

    /// Radio frame length (10 ms), samples.
    pub fn frame_len(&self) -> usize {
        self.n_fft * 150
    }

    /// Offset from the start of a radio frame to the first sample after the cyclic prefix of
    /// symbol `l` of slot `ns` (0..20).
    pub fn symbol_start(&self, ns: usize, l: usize) -> usize {
        ns * self.slot_len() + self.symbol_offset(l)
    }

    /// Offset from a frame start to the PSS symbol (after its CP) in the first half-frame.
    pub fn pss_offset(&self, duplex: Duplex) -> usize {
        match duplex {
            Duplex::Fdd => self.symbol_start(0, self.symbols_per_slot() - 1),
            Duplex::Tdd => self.symbol_start(2, 2),
        }
    }

    /// Offset from a frame start to the SSS symbol (after its CP) in the first half-frame.
    pub fn sss_offset(&self, duplex: Duplex) -> usize {
        match duplex {
            Duplex::Fdd => self.symbol_start(0, self.symbols_per_slot() - 2),
            Duplex::Tdd => self.symbol_start(1, self.symbols_per_slot() - 1),
        }
    }

    /// FFT bin of resource element `k_rel` counted from the centre of the carrier (the DC
    /// subcarrier is not a resource element: `k_rel = 0` is the first subcarrier above DC).
    pub fn bin(&self, k_rel: i32) -> usize {
        let n = self.n_fft as i32;
        let b = if k_rel < 0 { k_rel + n } else { k_rel + 1 };
        b.rem_euclid(n) as usize
    }
}

/// Bandwidth in resource blocks for the MIB's 3-bit `dl-Bandwidth` (None for the spare values).
pub fn bandwidth_rb(dl_bandwidth: u8) -> Option<usize> {
    BANDWIDTHS_RB.get(dl_bandwidth as usize).copied()
}

/// Smallest FFT size (a power of two ≥ 128) whose sample rate carries `n_rb` resource blocks.
pub fn fft_size_for_rb(n_rb: usize) -> usize {
    match n_rb {
        0..=6 => 128,
        7..=15 => 256,
        16..=25 => 512,
        26..=50 => 1024,
        51..=75 => 1536,
        _ => 2048,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cp_lengths_and_slot_sum() {
        let n = Numerology::new(1.92e6, CyclicPrefix::Normal).unwrap();
        assert_eq!(n.n_fft, 128);
        assert_eq!((n.cp_len(0), n.cp_len(1)), (10, 9));
        assert_eq!(n.symbol_offset(7) - n.cp_len(7), n.slot_len());
        let n = Numerology::new(19.2e6, CyclicPrefix::Normal).unwrap();
        assert_eq!((n.n_fft, n.cp_len(0), n.cp_len(3)), (1280, 100, 90));
        assert_eq!(n.symbol_offset(7) - n.cp_len(7), n.slot_len());
        let e = Numerology::new(1.92e6, CyclicPrefix::Extended).unwrap();
        assert_eq!(e.cp_len(0), 32);
        assert_eq!(e.symbol_offset(6) - e.cp_len(6), e.slot_len());
        assert!(Numerology::new(2.0e6, CyclicPrefix::Normal).is_err());
        assert!(Numerology::new(f64::NAN, CyclicPrefix::Normal).is_err());
    }

    #[test]
    fn sss_to_pss_spacing() {
        for (cp, fdd, tdd) in [
            (CyclicPrefix::Normal, 137, 412),
            (CyclicPrefix::Extended, 160, 480),
        ] {
            let n = Numerology::new(1.92e6, cp).unwrap();
            assert_eq!(n.pss_offset(Duplex::Fdd) - n.sss_offset(Duplex::Fdd), fdd);
            assert_eq!(n.pss_offset(Duplex::Tdd) - n.sss_offset(Duplex::Tdd), tdd);
        }
    }

    #[test]
    fn bins_skip_dc() {
        let n = Numerology::new(1.92e6, CyclicPrefix::Normal).unwrap();
        assert_eq!(n.bin(-1), 127);
        assert_eq!(n.bin(0), 1);
        assert_eq!(n.bin(-36), 92);
        assert_eq!(n.bin(35), 36);
    }
}
