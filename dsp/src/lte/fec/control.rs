//! The coding chains of the two convolutionally coded channels, end to end:
//! BCH/PBCH (TS 36.212 §5.3.1 + the PBCH scrambling of TS 36.211 §6.6.1) and DCI/PDCCH
//! (TS 36.212 §5.3.3). Resource-element mapping, modulation and (for PDCCH) the scrambling over
//! the whole control region are the signal chain's job; these functions start and end at the
//! coded bits.

use super::FecError;
use super::conv::{TbccDecoder, tbcc_encode};
use super::crc::{CrcKind, append_crc_bits, crc_syndrome, pbch_crc_mask};
use super::gold::{c_init_pbch, descramble_soft, scramble_bits};
use super::ratematch_conv::ConvRateMatcher;

/// Bits of the MIB (the BCH transport block).
pub const MIB_BITS: usize = 24;
/// PBCH bits per 40 ms period: 1920 with normal cyclic prefix, 1728 with extended.
pub const fn pbch_bits(normal_cp: bool) -> usize {
    if normal_cp { 1920 } else { 1728 }
}

/// Encodes a MIB (24 bits) for `ports` antenna ports (1, 2 or 4) into the scrambled PBCH bits of
/// one 40 ms period (TS 36.212 §5.3.1, TS 36.211 §6.6.1): CRC-16 with the port mask, tail-biting
/// convolutional code, rate matching to 1920/1728 bits, scrambling with `c_init = N_ID^cell`.
/// Frame `k` of the period (SFN mod 4 = k) carries bits `k·E/4 … (k+1)·E/4 − 1`.
pub fn pbch_encode(
    mib: &[u8],
    ports: u8,
    cell_id: u16,
    normal_cp: bool,
) -> Result<Vec<u8>, FecError> {
    if mib.len() != MIB_BITS {
        return Err(FecError::Length {
            expected: MIB_BITS,
            got: mib.len(),
        });
    }
    let mask = pbch_crc_mask(ports).ok_or(FecError::BlockSize(usize::from(ports)))?;
    let mut block: Vec<u8> = mib.iter().map(|&b| u8::from(b != 0)).collect();
    append_crc_bits(CrcKind::Crc16, &mut block, u32::from(mask));
    let mut coded = vec![0u8; 3 * block.len()];
    tbcc_encode(&block, &mut coded)?;
    let rm = ConvRateMatcher::new(block.len())?;
    let mut e = vec![0u8; pbch_bits(normal_cp)];
    rm.rate_match(&coded, &mut e)?;
    scramble_bits(c_init_pbch(cell_id), 0, &mut e);
    Ok(e)
}

/// A PBCH that decoded with a passing CRC.
#[derive(Debug, Clone, PartialEq)]
pub struct PbchDecoded {
    /// The 24 MIB bits.
    pub mib: [u8; MIB_BITS],
    /// Transmit antenna ports announced by the CRC mask (1, 2 or 4).
    pub ports: u8,
    /// Which quarter of the 40 ms period the first given frame was (SFN mod 4).
    pub frame_in_period: u8,
    /// Viterbi confidence (1.0 = every soft bit agrees with the decision).
    pub confidence: f32,
}

/// A PBCH decoder with its Viterbi buffers and rate matcher kept between calls.
#[derive(Debug, Clone)]
pub struct PbchDecoder {
    viterbi: TbccDecoder,
    /// Always `Some` (40 is a legal length); an `Option` so no constructor can panic.
    rm: Option<ConvRateMatcher>,
    e: Vec<f32>,
    coded: Vec<f32>,
}

impl Default for PbchDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl PbchDecoder {
    /// A decoder for the 40-bit BCH block.
    pub fn new() -> Self {
        PbchDecoder {
            viterbi: TbccDecoder::new(),
            rm: ConvRateMatcher::new(MIB_BITS + 16).ok(),
            e: Vec::new(),
            coded: vec![0.0; 3 * (MIB_BITS + 16)],
        }
    }

    /// Decodes PBCH soft bits (not yet descrambled; > 0 means 1) of `frames` consecutive radio
    /// frames (`soft.len()` = frames × E/4, 1 ≤ frames ≤ 4) whose position in the 40 ms period is
    /// unknown: each of the four hypotheses is descrambled, de-matched and Viterbi-decoded, and
    /// the first whose CRC matches a port mask wins. `None` when none passes, and when fewer than
    /// half the soft values are finite and non-zero (erasures decode to the all-zero codeword,
    /// whose CRC passes).
    pub fn decode(&mut self, soft: &[f32], cell_id: u16, normal_cp: bool) -> Option<PbchDecoded> {
        let total = pbch_bits(normal_cp);
        let quarter = total / 4;
        if soft.is_empty() || !soft.len().is_multiple_of(quarter) || soft.len() > total {
            return None;
        }
        // Erased input (zeros, NaN) would decode to the all-zero codeword, whose CRC passes
        // with the 1-port mask: demand real soft values for at least half the bits.
        let live = soft.iter().filter(|x| x.is_finite() && **x != 0.0).count();
        if 2 * live < soft.len() {
            return None;
        }
        let frames = soft.len() / quarter;
        for k in 0..=(4 - frames) {
            self.e.clear();
            self.e.resize(total, 0.0);
            let start = k * quarter;
            self.e[start..start + soft.len()].copy_from_slice(soft);
            descramble_soft(
                c_init_pbch(cell_id),
                start,
                &mut self.e[start..start + soft.len()],
            );
            self.rm
                .as_ref()?
                .rate_dematch(&self.e, &mut self.coded)
                .ok()?;
            let mut bits = [0u8; MIB_BITS + 16];
            let confidence = self.viterbi.decode(&self.coded, &mut bits).ok()?;
            let syndrome = crc_syndrome(CrcKind::Crc16, &bits)?;
            let ports = [1u8, 2, 4]
                .into_iter()
                .find(|&p| pbch_crc_mask(p).map(u32::from) == Some(syndrome));
            if let Some(ports) = ports {
                let mut mib = [0u8; MIB_BITS];
                mib.copy_from_slice(&bits[..MIB_BITS]);
                return Some(PbchDecoded {
                    mib,
                    ports,
                    frame_in_period: k as u8,
                    confidence,
                });
            }
        }
        None
    }
}

/// Encodes a DCI payload for a PDCCH of `e_bits` bits (72 per CCE): CRC-16 masked with `rnti`,
/// tail-biting convolutional code, rate matching (TS 36.212 §5.3.3.2-5.3.3.4).
pub fn dci_encode(payload: &[u8], rnti: u16, e_bits: usize) -> Result<Vec<u8>, FecError> {
    if payload.is_empty() {
        return Err(FecError::BlockSize(0));
    }
    let mut block: Vec<u8> = payload.iter().map(|&b| u8::from(b != 0)).collect();
    append_crc_bits(CrcKind::Crc16, &mut block, u32::from(rnti));
    let mut coded = vec![0u8; 3 * block.len()];
    tbcc_encode(&block, &mut coded)?;
    let rm = ConvRateMatcher::new(block.len())?;
    let mut e = vec![0u8; e_bits];
    rm.rate_match(&coded, &mut e)?;
    Ok(e)
}

/// One decoded PDCCH candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct DciCandidate {
    /// The payload bits (without CRC).
    pub payload: Vec<u8>,
    /// The RNTI the CRC was masked with (compare with SI-RNTI etc. to accept it).
    pub rnti: u16,
    /// Viterbi confidence (1.0 = every soft bit agrees with the decision; noise gives far less).
    pub confidence: f32,
}

/// Decodes a PDCCH candidate's descrambled soft bits (> 0 means 1, `E` = 72 × CCEs) as a DCI of
/// `payload_bits` bits. Always returns the RNTI the CRC implies; the caller accepts the
/// candidate only when that RNTI is one it looks for (a random block matches a given RNTI with
/// probability 2⁻¹⁶). Reuse `viterbi` across candidates.
pub fn dci_decode(
    soft: &[f32],
    payload_bits: usize,
    viterbi: &mut TbccDecoder,
) -> Result<DciCandidate, FecError> {
    if payload_bits == 0 || soft.is_empty() {
        return Err(FecError::BlockSize(payload_bits));
    }
    let k = payload_bits + 16;
    let rm = ConvRateMatcher::new(k)?;
    let mut coded = vec![0.0f32; 3 * k];
    rm.rate_dematch(soft, &mut coded)?;
    let mut bits = vec![0u8; k];
    let confidence = viterbi.decode(&coded, &mut bits)?;
    let rnti = crc_syndrome(CrcKind::Crc16, &bits).ok_or(FecError::BlockSize(k))? as u16;
    bits.truncate(payload_bits);
    Ok(DciCandidate {
        payload: bits,
        rnti,
        confidence,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lte::fec::dci::{Dci1A, Duplex, SI_RNTI, format1a_size};
    use crate::signal::Rng;

    fn soft(bits: &[u8], rng: &mut Rng, sigma: f64) -> Vec<f32> {
        bits.iter()
            .map(|&b| (if b == 1 { 1.0 } else { -1.0 }) + (rng.gaussian() * sigma) as f32)
            .collect()
    }

    #[test]
    fn pbch_round_trip_from_any_single_frame() {
        let mut rng = Rng::new(3);
        for (ports, normal_cp) in [(1u8, true), (2, true), (4, false)] {
            let mib: Vec<u8> = (0..24).map(|_| rng.bit()).collect();
            let e = pbch_encode(&mib, ports, 301, normal_cp).unwrap();
            assert_eq!(e.len(), pbch_bits(normal_cp));
            let q = e.len() / 4;
            let mut dec = PbchDecoder::new();
            for k in 0..4 {
                // One frame at Es/N0 = 0 dB (σ = 1).
                let s = soft(&e[k * q..(k + 1) * q], &mut rng, 1.0);
                let out = dec.decode(&s, 301, normal_cp).unwrap();
                assert_eq!(&out.mib[..], &mib[..]);
                assert_eq!(out.ports, ports);
                assert_eq!(usize::from(out.frame_in_period), k);
            }
            // The wrong cell's scrambling does not decode.
            let s = soft(&e[..q], &mut rng, 0.0);
            assert_eq!(dec.decode(&s, 302, normal_cp), None);
        }
        assert!(pbch_encode(&[0; 24], 3, 0, true).is_err());
        assert!(pbch_encode(&[0; 23], 1, 0, true).is_err());
        let mut dec = PbchDecoder::new();
        assert_eq!(dec.decode(&[0.0; 100], 0, true), None);
        assert_eq!(dec.decode(&[], 0, true), None);
        assert_eq!(dec.decode(&[f32::NAN; 480], 0, true), None);
    }

    #[test]
    fn dci_1a_round_trip_on_4_and_8_cces() {
        let mut rng = Rng::new(4);
        let mut vit = TbccDecoder::new();
        let n_rb = 50;
        let d = Dci1A {
            riv: 100,
            mcs: 5,
            tpc: 1,
            ..Dci1A::default()
        };
        let payload = d.pack(n_rb, Duplex::Fdd).unwrap();
        for cces in [4usize, 8] {
            let e = dci_encode(&payload, SI_RNTI, 72 * cces).unwrap();
            let s = soft(&e, &mut rng, 0.8);
            let c = dci_decode(&s, format1a_size(n_rb, Duplex::Fdd).unwrap(), &mut vit).unwrap();
            assert_eq!(c.rnti, SI_RNTI);
            assert_eq!(Dci1A::unpack(&c.payload, n_rb, Duplex::Fdd).unwrap(), d);
            assert!(c.confidence > 0.5);
        }
        // Pure noise: the implied RNTI is whatever the noise gives; SI-RNTI should come up with
        // probability 2^-16 per candidate, so not once in 500.
        let mut si = 0;
        let mut noise = vec![0.0f32; 288];
        for _ in 0..500 {
            noise.iter_mut().for_each(|x| *x = rng.gaussian() as f32);
            let c = dci_decode(&noise, 27, &mut vit).unwrap();
            si += usize::from(c.rnti == SI_RNTI);
        }
        assert_eq!(si, 0);
        assert!(dci_decode(&[], 27, &mut vit).is_err());
        assert!(dci_decode(&noise, 0, &mut vit).is_err());
        assert!(dci_encode(&[], 1, 72).is_err());
    }
}
