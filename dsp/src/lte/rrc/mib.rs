//! MasterInformationBlock (TS 36.331 §6.2.2), the 24 bits carried on PBCH:
//!
//! ```text
//! dl-Bandwidth        ENUMERATED {n6, n15, n25, n50, n75, n100}     3 bits
//! phich-Config        phich-Duration ENUMERATED {normal, extended}  1 bit
//!                     phich-Resource ENUMERATED {oneSixth, half, one, two}  2 bits
//! systemFrameNumber   BIT STRING (SIZE (8)): the 8 MSBs of the SFN  8 bits
//! spare               (schedulingInfoSIB1-BR-r13 5 bits, systemInfoUnchanged-BR-r15 1 bit,
//!                      spare 4 bits in later releases)             10 bits
//! ```
//!
//! The two SFN LSBs come from the PBCH's position in its 40 ms period (TS 36.211 §6.6.1), which the
//! PBCH decoder knows; [`Mib::sfn`] combines them.

use super::RrcError;

/// Downlink bandwidths in resource blocks, in dl-Bandwidth order.
pub const MIB_BANDWIDTHS_RB: [u16; 6] = [6, 15, 25, 50, 75, 100];

/// PHICH resource `Ng` (TS 36.211 §6.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhichResource {
    /// Ng = 1/6.
    OneSixth,
    /// Ng = 1/2.
    Half,
    /// Ng = 1.
    One,
    /// Ng = 2.
    Two,
}

impl PhichResource {
    /// `Ng` as a fraction `(numerator, denominator)`.
    pub fn ng(self) -> (u8, u8) {
        match self {
            PhichResource::OneSixth => (1, 6),
            PhichResource::Half => (1, 2),
            PhichResource::One => (1, 1),
            PhichResource::Two => (2, 1),
        }
    }
}

/// A decoded MasterInformationBlock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mib {
    /// Downlink bandwidth in resource blocks (6, 15, 25, 50, 75 or 100).
    pub bandwidth_rb: u16,
    /// PHICH duration: `true` = extended.
    pub phich_extended: bool,
    /// PHICH resource `Ng`.
    pub phich_resource: PhichResource,
    /// The 8 most significant bits of the system frame number.
    pub sfn_msb: u8,
    /// The 10 bits after the SFN (spare in Rel-8; schedulingInfoSIB1-BR-r13 in the top 5 bits
    /// from Rel-13), kept so a MIB re-encodes bit for bit.
    pub spare: u16,
}

impl Mib {
    /// Decodes the 24 MIB bits (0/1 values, first bit first), i.e. the PBCH block without its
    /// CRC. Errors: wrong length, or a dl-Bandwidth code 6 or 7.
    pub fn from_bits(bits: &[u8]) -> Result<Self, RrcError> {
        if bits.len() < 24 {
            return Err(RrcError::Truncated { at_bit: bits.len() });
        }
        let field = |from: usize, n: usize| {
            bits[from..from + n]
                .iter()
                .fold(0u16, |acc, &b| (acc << 1) | u16::from(b != 0))
        };
        let bw = usize::from(field(0, 3));
        let bandwidth_rb = *MIB_BANDWIDTHS_RB.get(bw).ok_or(RrcError::OutOfRange {
            field: "dl-Bandwidth",
        })?;
        let phich_resource = match field(4, 2) {
            0 => PhichResource::OneSixth,
            1 => PhichResource::Half,
            2 => PhichResource::One,
            _ => PhichResource::Two,
        };
        Ok(Mib {
            bandwidth_rb,
            phich_extended: field(3, 1) == 1,
            phich_resource,
            sfn_msb: field(6, 8) as u8,
            spare: field(14, 10),
        })
    }

    /// Decodes the MIB from its 3 octets (first bit = bit 7 of octet 0).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RrcError> {
        if bytes.len() < 3 {
            return Err(RrcError::Truncated {
                at_bit: 8 * bytes.len(),
            });
        }
        let bits: Vec<u8> = bytes[..3]
            .iter()
            .flat_map(|&b| (0..8).rev().map(move |i| (b >> i) & 1))
            .collect();
        Self::from_bits(&bits)
    }

    /// The 24 MIB bits. Errors when `bandwidth_rb` is not one of [`MIB_BANDWIDTHS_RB`] or
    /// `spare` does not fit 10 bits.
    pub fn to_bits(&self) -> Result<[u8; 24], RrcError> {
        let bw = MIB_BANDWIDTHS_RB
            .iter()
            .position(|&b| b == self.bandwidth_rb)
            .ok_or(RrcError::OutOfRange {
                field: "dl-Bandwidth",
            })? as u32;
        if self.spare >= 1 << 10 {
            return Err(RrcError::OutOfRange { field: "spare" });
        }
        let ng = match self.phich_resource {
            PhichResource::OneSixth => 0u32,
            PhichResource::Half => 1,
            PhichResource::One => 2,
            PhichResource::Two => 3,
        };
        let word = (bw << 21)
            | (u32::from(self.phich_extended) << 20)
            | (ng << 18)
            | (u32::from(self.sfn_msb) << 10)
            | u32::from(self.spare);
        let mut out = [0u8; 24];
        for (i, o) in out.iter_mut().enumerate() {
            *o = ((word >> (23 - i)) & 1) as u8;
        }
        Ok(out)
    }

    /// The MIB as 3 octets.
    pub fn to_bytes(&self) -> Result<[u8; 3], RrcError> {
        let bits = self.to_bits()?;
        let mut out = [0u8; 3];
        for (i, &b) in bits.iter().enumerate() {
            out[i / 8] |= b << (7 - i % 8);
        }
        Ok(out)
    }

    /// The full 10-bit SFN given the PBCH's 10 ms frame index inside its 40 ms period (0-3,
    /// TS 36.211 §6.6.1): `SFN = 4·sfn_msb + frame_in_period`.
    pub fn sfn(&self, frame_in_period: u8) -> u16 {
        (u16::from(self.sfn_msb) << 2) | u16::from(frame_in_period & 3)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hand_built_mib() {
        // n50 (3 = 011), normal (0), Ng = 1 (10), SFN MSBs 0x9C, spare 0:
        // 011 0 10 10011100 0000000000 → 0110_1010 0111_0000 0000_0000.
        let m = Mib::from_bytes(&[0x6A, 0x70, 0x00]).unwrap();
        assert_eq!(m.bandwidth_rb, 50);
        assert!(!m.phich_extended);
        assert_eq!(m.phich_resource, PhichResource::One);
        assert_eq!(m.sfn_msb, 0x9C);
        assert_eq!(m.sfn(3), 0x9C * 4 + 3);
        assert_eq!(m.to_bytes().unwrap(), [0x6A, 0x70, 0x00]);
    }

    #[test]
    fn every_mib_round_trips() {
        for bw in MIB_BANDWIDTHS_RB {
            for ext in [false, true] {
                for ng in [
                    PhichResource::OneSixth,
                    PhichResource::Half,
                    PhichResource::One,
                    PhichResource::Two,
                ] {
                    for sfn_msb in [0u8, 1, 0x80, 0xFF] {
                        let m = Mib {
                            bandwidth_rb: bw,
                            phich_extended: ext,
                            phich_resource: ng,
                            sfn_msb,
                            spare: 0x155,
                        };
                        let bits = m.to_bits().unwrap();
                        assert_eq!(Mib::from_bits(&bits).unwrap(), m);
                    }
                }
            }
        }
    }

    #[test]
    fn bad_mibs_are_errors() {
        // dl-Bandwidth 6 and 7 do not exist.
        assert!(Mib::from_bytes(&[0xC0, 0, 0]).is_err());
        assert!(Mib::from_bytes(&[0xE0, 0, 0]).is_err());
        assert!(Mib::from_bytes(&[0x00, 0]).is_err());
        assert!(Mib::from_bits(&[0; 23]).is_err());
        let bad = Mib {
            bandwidth_rb: 7,
            phich_extended: false,
            phich_resource: PhichResource::One,
            sfn_msb: 0,
            spare: 0,
        };
        assert!(bad.to_bits().is_err());
        let spare = Mib {
            bandwidth_rb: 6,
            spare: 1 << 10,
            ..bad
        };
        assert!(spare.to_bits().is_err());
        for b in 0..=255u8 {
            let _ = Mib::from_bytes(&[b, b.wrapping_mul(7), !b]);
        }
    }
}
