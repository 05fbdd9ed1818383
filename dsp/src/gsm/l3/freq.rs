//! Frequency lists (TS 44.018 §10.5.2.13): the 16-octet Cell Channel Description (§10.5.2.1b),
//! Neighbour Cell Description (§10.5.2.22) and Neighbour Cell Description 2 (§10.5.2.22a).
//! Formats: bit map 0, range 1024, range 512, range 256, range 128, variable bit map.

use super::L3Error;
use super::bits::{BitReader, BitWriter};

/// Range formats: (format bits 4–2 of octet 1, original range, widest W width, number of W fields).
const RANGE_512: (u8, u32, usize, usize) = (0b100, 511, 9, 17);
const RANGE_256: (u8, u32, usize, usize) = (0b101, 255, 8, 21);
const RANGE_128: (u8, u32, usize, usize) = (0b110, 127, 7, 28);
/// Maximum number of W fields in range 1024 format.
const RANGE_1024_W: usize = 16;

/// Greatest power of two ≤ `i` (i ≥ 1).
fn gp2(i: usize) -> usize {
    if i == 0 {
        1
    } else {
        1 << (usize::BITS - 1 - i.leading_zeros())
    }
}

/// Width in bits of W(`index`) for a format whose W(1) is `w1_bits` wide.
fn w_width(index: usize, w1_bits: usize) -> usize {
    w1_bits.saturating_sub(gp2(index).trailing_zeros() as usize)
}

/// Decodes W(1…) of a range format into values 0…range−1 (TS 44.018 Annex J.5). Stops at the first
/// W = 0. `range` is 2^k − 1.
fn decode_w(w: &[u32], range: u32) -> Result<Vec<u32>, L3Error> {
    let n = w.iter().position(|&x| x == 0).unwrap_or(w.len());
    let mut out = Vec::with_capacity(n);
    for k in 1..=n {
        let mut index = k;
        let mut r = range / gp2(index) as u32;
        let mut value = w.get(index - 1).copied().unwrap_or(0).saturating_sub(1);
        while index > 1 {
            r = 2 * r + 1;
            let g = gp2(index);
            let parent_is_left = 2 * index < 3 * g;
            index = if parent_is_left {
                index - g / 2
            } else {
                index - g
            };
            let wp = w.get(index - 1).copied().unwrap_or(0);
            if wp == 0 {
                return Err(L3Error::FrequencyList("W of a parent node is 0"));
            }
            let origin = if parent_is_left {
                wp - 1 + (r - 1) / 2 + 1
            } else {
                wp
            };
            value = (value + origin) % r;
        }
        out.push(value);
    }
    Ok(out)
}

/// Encodes a set of distinct values 0…range−1 into W(1…) (TS 44.018 Annex J.4).
fn encode_subtree(index: usize, set: &[u32], range: u32, w: &mut [u32]) -> Result<(), L3Error> {
    let Some(slot) = w.get_mut(index - 1) else {
        return if set.is_empty() {
            Ok(())
        } else {
            Err(L3Error::FrequencyList("too many frequencies"))
        };
    };
    match set {
        [] => {
            *slot = 0;
            return Ok(());
        }
        [only] => {
            *slot = only + 1;
            return Ok(());
        }
        _ => {}
    }
    let half = (range - 1) / 2;
    let pivot = set
        .iter()
        .copied()
        .find(|&p| {
            let n = set
                .iter()
                .filter(|&&v| (v + range - p) % range <= half)
                .count();
            n - 1 == (set.len() - 1) / 2
        })
        .ok_or(L3Error::FrequencyList("no pivot"))?;
    *slot = pivot + 1;
    let subset = |origin: u32| -> Vec<u32> {
        set.iter()
            .map(|&v| (v + range - origin) % range)
            .filter(|&d| d < range / 2)
            .collect()
    };
    let left = subset((pivot + half + 1) % range);
    let right = subset((pivot + 1) % range);
    let g = gp2(index);
    encode_subtree(index + g, &left, range / 2, w)?;
    encode_subtree(index + 2 * g, &right, range / 2, w)
}

/// How octet 1 of the IE is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// Cell Channel Description / Neighbour Cell Description: format bits 8–7 and 4–2.
    Standard,
    /// Neighbour Cell Description 2 (SI2ter): format bit 8 and bits 4–2; bits 7–6 multiband reporting.
    Extended,
}

/// Decodes the ARFCNs of a 16-octet frequency list IE, sorted ascending.
pub fn decode_frequency_list(ie: &[u8], kind: ListKind) -> Result<Vec<u16>, L3Error> {
    let ie = ie.get(..16).ok_or(L3Error::Truncated("frequency list"))?;
    let o1 = ie[0];
    let bit8 = o1 >> 7;
    let bit7 = (o1 >> 6) & 1;
    let is_bitmap0 = match kind {
        ListKind::Standard => bit8 == 0 && bit7 == 0,
        ListKind::Extended => bit8 == 0,
    };
    let mut arfcns: Vec<u16> = Vec::new();
    if is_bitmap0 {
        // Octet 1 bits 4–1: ARFCN 124…121; octets 2…16: 120…1.
        for (i, &octet) in ie.iter().enumerate() {
            for bit in 0..8u16 {
                if i == 0 && bit >= 4 {
                    continue;
                }
                if (octet >> bit) & 1 == 1 {
                    arfcns.push((15 - i as u16) * 8 + bit + 1);
                }
            }
        }
    } else {
        if kind == ListKind::Standard && bit7 != 0 {
            return Err(L3Error::FrequencyList("unknown format"));
        }
        let mut r = BitReader::new(ie);
        r.bits(4); // format/flag bits 8–5
        let format = r.bits(3).unwrap_or(0) as u8;
        if format & 0b100 == 0 {
            // Range 1024: bit 3 = F0, then W(1) (10 bits) …
            let mut r = BitReader::new(ie);
            r.bits(5);
            let f0 = r.bit().unwrap_or(0);
            if f0 == 1 {
                arfcns.push(0);
            }
            let mut w = [0u32; RANGE_1024_W];
            for (i, slot) in w.iter_mut().enumerate() {
                *slot = r.bits(w_width(i + 1, 10)).unwrap_or(0);
            }
            for v in decode_w(&w, 1023)? {
                arfcns.push((v + 1) as u16);
            }
        } else if format == 0b111 {
            // Variable bit map: ORIG-ARFCN (10 bits), then RRFCN 1…111.
            let orig = r.bits(10).unwrap_or(0) as u16;
            arfcns.push(orig);
            let mut n = 1u16;
            while let Some(b) = r.bit() {
                if b == 1 {
                    arfcns.push((orig + n) % 1024);
                }
                n += 1;
            }
        } else {
            let (_, range, w1, count) = match format {
                0b100 => RANGE_512,
                0b101 => RANGE_256,
                _ => RANGE_128,
            };
            let orig = r.bits(10).unwrap_or(0);
            arfcns.push(orig as u16);
            let mut w = vec![0u32; count];
            for (i, slot) in w.iter_mut().enumerate() {
                *slot = r.bits(w_width(i + 1, w1)).unwrap_or(0);
            }
            for v in decode_w(&w, range)? {
                arfcns.push(((orig + 1 + v) % 1024) as u16);
            }
        }
    }
    arfcns.sort_unstable();
    arfcns.dedup();
    Ok(arfcns)
}

/// Encodes ARFCNs (any order; duplicates ignored; each < 1024) into a 16-octet frequency list.
/// `flags` are the two bits 6–5 of octet 1 (EXT-IND/BA-IND, or for [`ListKind::Extended`] bit 7–6
/// multiband reporting and bit 5 BA-IND given as the three bits 7–5). Picks bit map 0 when every
/// ARFCN is in 1–124, else variable bit map when they span ≤ 111 channels, else range 128, 256,
/// 512 or 1024, whichever fits first.
pub fn encode_frequency_list(
    arfcns: &[u16],
    kind: ListKind,
    flags: u8,
) -> Result<[u8; 16], L3Error> {
    let mut set: Vec<u16> = arfcns.to_vec();
    set.sort_unstable();
    set.dedup();
    if set.iter().any(|&a| a > 1023) {
        return Err(L3Error::FrequencyList("ARFCN above 1023"));
    }
    let mut ie = [0u8; 16];
    let flag_bits = match kind {
        ListKind::Standard => (flags & 0x03) << 4,
        ListKind::Extended => (flags & 0x07) << 4,
    };
    if set.iter().all(|&a| (1..=124).contains(&a)) {
        for &a in &set {
            let i = 15 - usize::from((a - 1) / 8);
            let bit = (a - 1) % 8;
            if let Some(o) = ie.get_mut(i) {
                *o |= 1 << bit;
            }
        }
        ie[0] |= flag_bits;
        return Ok(ie);
    }
    let format_high = 0x80 | flag_bits;
    // Variable bit map: the first ARFCN (in circular order) from which all others lie ≤ 111 above.
    if let Some(&orig) = set
        .iter()
        .find(|&&o| set.iter().all(|&a| (a + 1024 - o) % 1024 <= 111))
    {
        let mut w = BitWriter::new(&mut ie);
        w.bits(u32::from(format_high >> 4), 4);
        w.bits(0b111, 3);
        w.bits(u32::from(orig), 10);
        let mut bitmap = [0u8; 111];
        for &a in &set {
            let d = usize::from((a + 1024 - orig) % 1024);
            if d > 0
                && let Some(b) = bitmap.get_mut(d - 1)
            {
                *b = 1;
            }
        }
        for b in bitmap {
            w.bit(b);
        }
        return Ok(ie);
    }
    for (format, range, w1, count) in [RANGE_128, RANGE_256, RANGE_512] {
        // ORIG-ARFCN: a member from which every other member lies within `range` above it.
        let Some(&orig) = set.iter().find(|&&o| {
            set.iter()
                .all(|&a| a == o || (u32::from(a) + 1023 - u32::from(o)) % 1024 < range)
        }) else {
            continue;
        };
        let values: Vec<u32> = set
            .iter()
            .filter(|&&a| a != orig)
            .map(|&a| (u32::from(a) + 1023 - u32::from(orig)) % 1024)
            .collect();
        let mut wv = vec![0u32; count];
        if encode_subtree(1, &values, range, &mut wv).is_err() {
            continue;
        }
        let mut w = BitWriter::new(&mut ie);
        w.bits(u32::from(format_high >> 4), 4);
        w.bits(u32::from(format), 3);
        w.bits(u32::from(orig), 10);
        for (i, &v) in wv.iter().enumerate() {
            w.bits(v, w_width(i + 1, w1));
        }
        return Ok(ie);
    }
    // Range 1024.
    let f0 = set.first() == Some(&0);
    let values: Vec<u32> = set
        .iter()
        .filter(|&&a| a != 0)
        .map(|&a| u32::from(a) - 1)
        .collect();
    let mut wv = [0u32; RANGE_1024_W];
    encode_subtree(1, &values, 1023, &mut wv)?;
    let mut w = BitWriter::new(&mut ie);
    w.bits(u32::from(format_high >> 4), 4);
    w.bit(0);
    w.bit(u8::from(f0));
    for (i, &v) in wv.iter().enumerate() {
        w.bits(v, w_width(i + 1, 10));
    }
    Ok(ie)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annex_j6_example() {
        // TS 44.018 Annex J.6: 16 ARFCNs in range 1024 format and the W values the spec lists.
        let set = [
            13u32, 71, 122, 191, 251, 321, 402, 476, 521, 575, 635, 701, 765, 831, 906, 981,
        ];
        let values: Vec<u32> = set.iter().map(|a| a - 1).collect();
        let mut w = [0u32; 16];
        encode_subtree(1, &values, 1023, &mut w).unwrap();
        assert_eq!(
            w,
            [
                122, 2, 69, 204, 75, 66, 60, 70, 83, 3, 24, 67, 54, 64, 70, 9
            ]
        );
        let mut back: Vec<u32> = decode_w(&w, 1023).unwrap().iter().map(|v| v + 1).collect();
        back.sort_unstable();
        assert_eq!(back, set);
    }
}
