//! Physical broadcast channel (TS 36.211 §6.6, TS 36.212 §5.3.1): the MIB.
//!
//! Transmitter side, for reference: 24 MIB bits + CRC-16 masked by the antenna-port count →
//! tail-biting convolutional code (120 bits) → rate matching to 1920 bits (normal CP; 1728
//! extended) → scrambling with `c_init = N_ID^cell` from frames with SFN mod 4 = 0 → QPSK →
//! transmit diversity (1, 2 or 4 ports) → the first four symbols of slot 1 of every frame on
//! the central 72 subcarriers, skipping the REs reserved for the CRS of four ports. Each frame
//! carries one quarter (480 bits), which alone holds every coded bit four times: one frame can be
//! decoded on its own; up to four frames of one 40 ms period can be added.
//!
//! The receiver here: equalise the PBCH resource elements with the CRS channel estimates (one
//! port: matched filter; two or four: Alamouti/SFBC combining), soft bits, de-scramble at each of
//! the four possible frame positions, de-rate-match (add the repetitions), Viterbi, check the
//! CRC against the mask of the port hypothesis. The CRC's mask names the port count; the frame
//! position whose de-scrambling passes gives the two low bits of the SFN.

use super::crs::{GridSymbol, PortEstimate, crs_symbols};
use super::fec::conv::TbccDecoder;
use super::fec::crc::{CrcKind, crc_syndrome, pbch_crc_mask};
use super::fec::gold::{c_init_pbch, gold_signs};
use super::fec::ratematch_conv::ConvRateMatcher;
use super::params::CyclicPrefix;
use num_complex::Complex32;

/// Information bits of the PBCH block: 24 MIB bits and 16 CRC bits.
pub const PBCH_BLOCK_BITS: usize = 40;
/// Resource blocks the PBCH occupies (72 subcarriers).
pub const PBCH_RB: usize = 6;

/// The PBCH resource elements of one frame in mapping order: (symbol of slot 1, subcarrier in
/// the central 72). Normal CP: 240 (480 bits); extended: 216 (432 bits).
pub fn pbch_res(pci: u16, cp: CyclicPrefix) -> Vec<(usize, usize)> {
    let mut v = Vec::with_capacity(240);
    let shift = pci as usize % 3;
    for l in 0..4 {
        let reserved = (0..4).any(|p| crs_symbols(p, cp).contains(&l));
        for k in 0..72 {
            if reserved && k % 3 == shift {
                continue;
            }
            v.push((l, k));
        }
    }
    v
}

/// PBCH bits per radio frame with the normal cyclic prefix.
pub const BITS_PER_FRAME_NORMAL: usize = 480;
/// PBCH bits per radio frame with the extended cyclic prefix.
pub const BITS_PER_FRAME_EXTENDED: usize = 432;

/// Bits of the PBCH per radio frame (480 normal CP, 432 extended).
pub fn bits_per_frame(cp: CyclicPrefix) -> usize {
    2 * pbch_res(0, cp).len()
}

/// Soft bits (> 0 means 1, scaled by reliability) of the PBCH in `grid` (slot 1 of subframe 0,
/// symbols 0..4 at least, 72 subcarriers) for a transmission on `ports` antenna ports (1, 2 or 4)
/// with the channel estimates `est[p]`. Empty when a symbol or a needed estimate is missing.
pub fn soft_bits(
    grid: &[GridSymbol],
    pci: u16,
    cp: CyclicPrefix,
    ports: u8,
    est: &[Option<PortEstimate>],
) -> Vec<f32> {
    let res = pbch_res(pci, cp);
    let sym = |l: usize| {
        grid.iter()
            .find(|s| s.ns == 1 && s.l == l && s.re.len() == 72)
    };
    let need = match ports {
        1 => 1,
        2 => 2,
        4 => 4,
        _ => return Vec::new(),
    };
    if est.len() < need
        || est[..need].iter().any(|e| e.is_none())
        || (0..4).any(|l| sym(l).is_none())
    {
        return Vec::new();
    }
    // Channel of every port on the four PBCH symbols, computed once.
    let hs: Vec<Vec<Vec<Complex32>>> = (0..need)
        .map(|p| {
            (0..4)
                .map(|l| match (est.get(p).and_then(|e| e.as_ref()), sym(l)) {
                    (Some(e), Some(s)) => e.symbol(s.time),
                    _ => Vec::new(),
                })
                .collect()
        })
        .collect();
    let h = |p: usize, l: usize, k: usize| -> Complex32 {
        hs.get(p)
            .and_then(|v| v.get(l))
            .and_then(|v| v.get(k))
            .copied()
            .unwrap_or_default()
    };
    let syms: Vec<&[Complex32]> = (0..4)
        .map(|l| sym(l).map_or(&[][..], |s| &s.re[..]))
        .collect();
    let y = |l: usize, k: usize| syms[l].get(k).copied().unwrap_or_default();
    let mut d = Vec::with_capacity(res.len());
    if ports == 1 {
        for &(l, k) in &res {
            d.push(h(0, l, k).conj() * y(l, k));
        }
    } else {
        for (pair, two) in res.chunks_exact(2).enumerate() {
            let (pa, pb) = if ports == 2 || pair % 2 == 0 {
                (0, if ports == 2 { 1 } else { 2 })
            } else {
                (1, 3)
            };
            let (l0, k0) = two[0];
            let (l1, k1) = two[1];
            let h0 = (h(pa, l0, k0) + h(pa, l1, k1)) * 0.5;
            let h1 = (h(pb, l0, k0) + h(pb, l1, k1)) * 0.5;
            let r0 = y(l0, k0);
            let r1 = y(l1, k1);
            d.push(h0.conj() * r0 + h1 * r1.conj());
            d.push(h0.conj() * r1 - h1 * r0.conj());
        }
    }
    let mut out = Vec::with_capacity(2 * d.len());
    for v in d {
        out.push(-v.re);
        out.push(-v.im);
    }
    out
}

/// The 8 most significant SFN bits carried in a MIB (bits 6..14, after the 3-bit dl-Bandwidth
/// and the 3-bit phich-Config; TS 36.331 §6.2.2). The PBCH layer needs them to check that two
/// decodes agree and to build the MIB of each 40 ms period; the other fields are `rrc`'s.
pub fn sfn_msb(bits: &[u8; 24]) -> u16 {
    bits[6..14]
        .iter()
        .fold(0u16, |a, &b| (a << 1) | (b & 1) as u16)
}

/// `bits` with its SFN field set to the 8 most significant bits of `sfn` (0..1024).
pub fn with_sfn(bits: &[u8; 24], sfn: u16) -> [u8; 24] {
    let mut b = *bits;
    let msb = (sfn >> 2) & 0xFF;
    for i in 0..8 {
        b[6 + i] = ((msb >> (7 - i)) & 1) as u8;
    }
    b
}

/// A decoded PBCH block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbchBlock {
    /// The 24 MIB bits (first transmitted bit first), 0/1.
    pub mib_bits: [u8; 24],
    /// Antenna ports announced by the CRC mask (1, 2 or 4).
    pub ports: u8,
    /// Position of the (first) frame in its 40 ms period: SFN mod 4.
    pub sfn_mod4: u8,
}

/// Reusable PBCH decoder (rate matcher and Viterbi buffers).
#[derive(Debug, Clone)]
pub struct PbchDecoder {
    rm: Option<ConvRateMatcher>,
    viterbi: TbccDecoder,
    acc: Vec<f32>,
    signs: Vec<f32>,
    signs_for: Option<(u16, usize)>,
}

impl Default for PbchDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl PbchDecoder {
    /// A decoder.
    pub fn new() -> Self {
        PbchDecoder {
            rm: ConvRateMatcher::new(PBCH_BLOCK_BITS).ok(),
            viterbi: TbccDecoder::new(),
            acc: Vec::new(),
            signs: Vec::new(),
            signs_for: None,
        }
    }

    /// Caches the ±1 scrambling factors of a whole 40 ms period for `pci` and `len` bits.
    fn ensure_signs(&mut self, pci: u16, len: usize) {
        if self.signs_for != Some((pci, len)) {
            self.signs.resize(len, 0.0);
            gold_signs(c_init_pbch(pci), &mut self.signs);
            self.signs_for = Some((pci, len));
        }
    }

    /// De-scrambles the frames at positions `sfn_mod4..` and adds them up onto the 120 coded
    /// bits in `self.acc`. Returns the energy of the sum (a bigger sum means the repetitions
    /// added up coherently: the right position).
    fn accumulate(&mut self, frames: &[&[f32]], pci: u16, sfn_mod4: u8) -> Option<f32> {
        let e = frames.first()?.len();
        self.ensure_signs(pci, 4 * e);
        let rm = self.rm.as_ref()?;
        let signs = &self.signs;
        let acc = &mut self.acc;
        acc.clear();
        acc.resize(3 * PBCH_BLOCK_BITS, 0.0);
        for (j, f) in frames.iter().enumerate() {
            let pos = sfn_mod4 as usize + j;
            let sg = signs.get(pos * e..(pos + 1) * e)?;
            // Output bit pos·E + k of the rate matcher carries coded bit source_index(pos·E + k)
            // (the matcher repeats the 3D = 120 coded bits).
            for (k, (&v, &s)) in f.iter().zip(sg).enumerate() {
                if v.is_finite() {
                    acc[rm.source_index(pos * e + k)] += v * s;
                }
            }
        }
        Some(acc.iter().map(|v| v * v).sum())
    }

    /// The frame position (0..4) whose de-scrambling makes the repetitions of `frame` add up
    /// best, and that energy: one Viterbi run instead of four on a frame of unknown position.
    pub fn best_position(&mut self, frame: &[f32], pci: u16) -> Option<u8> {
        let mut best = None;
        for q in 0..4u8 {
            let en = self.accumulate(&[frame], pci, q)?;
            if best.is_none_or(|(_, b)| en > b) {
                best = Some((q, en));
            }
        }
        best.map(|b| b.0)
    }

    /// Tries to decode the soft bits of consecutive frames `frames` (each `bits_per_frame` long,
    /// the first at position `sfn_mod4` of its 40 ms period, at most `4 − sfn_mod4` frames) under
    /// the port hypothesis `ports`. Some only when the CRC with that hypothesis's mask passes.
    pub fn decode(
        &mut self,
        frames: &[&[f32]],
        pci: u16,
        sfn_mod4: u8,
        ports: u8,
    ) -> Option<PbchBlock> {
        let mask = pbch_crc_mask(ports)?;
        let first = frames.first()?;
        let e = first.len();
        // Only whole frames of PBCH bits (480 normal CP, 432 extended): anything else would
        // leave coded bits erased, and an erased block decodes to the all-zero word, whose CRC
        // passes under the one-port mask.
        if (e != bits_per_frame(CyclicPrefix::Normal)
            && e != bits_per_frame(CyclicPrefix::Extended))
            || sfn_mod4 > 3
            || frames.len() + sfn_mod4 as usize > 4
            || frames.iter().any(|f| f.len() != e)
        {
            return None;
        }
        let energy = self.accumulate(frames, pci, sfn_mod4)?;
        if !(energy.is_finite() && energy > 0.0) {
            return None;
        }
        let mut bits = [0u8; PBCH_BLOCK_BITS];
        self.viterbi.decode(&self.acc, &mut bits).ok()?;
        let syn = crc_syndrome(CrcKind::Crc16, &bits)?;
        if syn != u32::from(mask) {
            return None;
        }
        let mut mib_bits = [0u8; 24];
        mib_bits.copy_from_slice(&bits[..24]);
        Some(PbchBlock {
            mib_bits,
            ports,
            sfn_mod4,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lte::fec::conv::tbcc_encode;
    use crate::lte::fec::crc::append_crc_bits;
    use crate::lte::fec::gold::scramble_bits;
    use crate::signal::Rng;

    #[test]
    fn resource_element_counts() {
        assert_eq!(bits_per_frame(CyclicPrefix::Normal), BITS_PER_FRAME_NORMAL);
        assert_eq!(
            bits_per_frame(CyclicPrefix::Extended),
            BITS_PER_FRAME_EXTENDED
        );
        assert_eq!(pbch_res(0, CyclicPrefix::Normal).len(), 240);
        assert_eq!(pbch_res(5, CyclicPrefix::Extended).len(), 216);
        // PCI 4 (shift 1): subcarriers 1, 4, 7, … of symbols 0 and 1 are reserved.
        let r = pbch_res(4, CyclicPrefix::Normal);
        assert_eq!(&r[..3], &[(0, 0), (0, 2), (0, 3)]);
        assert_eq!(r[48], (1, 0));
        assert_eq!(r[96], (2, 0));
    }

    /// Encode a MIB the way the standard says and decode each frame's quarter alone.
    #[test]
    fn soft_round_trip_each_quarter_alone() {
        let mut rng = Rng::new(7);
        let pci = 301;
        for ports in [1u8, 2, 4] {
            let mut bits: Vec<u8> = (0..24).map(|_| rng.bit()).collect();
            append_crc_bits(
                CrcKind::Crc16,
                &mut bits,
                pbch_crc_mask(ports).unwrap() as u32,
            );
            let mut coded = vec![0u8; 120];
            tbcc_encode(&bits, &mut coded).unwrap();
            let rm = ConvRateMatcher::new(40).unwrap();
            let mut e = vec![0u8; 1920];
            rm.rate_match(&coded, &mut e).unwrap();
            scramble_bits(c_init_pbch(pci), 0, &mut e);
            let soft: Vec<f32> = e
                .iter()
                .map(|&b| if b == 1 { 1.0 } else { -1.0 } + 0.8 * rng.gaussian() as f32)
                .collect();
            let mut d = PbchDecoder::new();
            for q in 0..4u8 {
                let f = &soft[480 * q as usize..480 * (q as usize + 1)];
                let got = d.decode(&[f], pci, q, ports).unwrap();
                assert_eq!(&got.mib_bits[..], &bits[..24]);
                assert_eq!(got.sfn_mod4, q);
                // The wrong position or the wrong port mask fails.
                assert!(d.decode(&[f], pci, (q + 1) % 4, ports).is_none());
                let other = if ports == 1 { 2 } else { 1 };
                assert!(d.decode(&[f], pci, q, other).is_none());
            }
            let all: Vec<&[f32]> = soft.chunks(480).collect();
            assert!(d.decode(&all, pci, 0, ports).is_some());
            assert!(d.decode(&all[1..], pci, 1, ports).is_some());
            assert!(
                d.decode(&all, pci, 1, ports).is_none(),
                "five frames in a period"
            );
        }
    }

    #[test]
    fn sfn_field_round_trip() {
        let b = with_sfn(&[1; 24], 0x3FF);
        assert_eq!(sfn_msb(&b), 0xFF);
        let b = with_sfn(&[1; 24], 4 * 0x5A + 3);
        assert_eq!(sfn_msb(&b), 0x5A);
        assert_eq!(&b[..6], &[1; 6]);
        assert_eq!(&b[14..], &[1; 10]);
    }

    #[test]
    fn garbage_never_panics() {
        let mut d = PbchDecoder::new();
        let mut rng = Rng::new(1);
        let mut passes = 0;
        for _ in 0..300 {
            let v: Vec<f32> = (0..480).map(|_| rng.gaussian() as f32).collect();
            for q in 0..4 {
                passes += d.decode(&[&v], 1, q, 2).is_some() as usize;
            }
        }
        assert!(passes <= 1);
        assert!(d.decode(&[], 1, 0, 1).is_none());
        assert!(d.decode(&[&[f32::NAN; 480]], 1, 0, 3).is_none());
        assert!(d.decode(&[&[0.0; 7]], 1, 9, 1).is_none());
    }
}
