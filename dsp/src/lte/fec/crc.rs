//! Cyclic redundancy checks of TS 36.212 §5.1.1: CRC-8, CRC-16, CRC-24A and CRC-24B, with the
//! PBCH antenna-port masks (§5.3.1.1) and the RNTI masking of DCI (§5.3.3.2).
//!
//! All four CRCs start from zero, have no final XOR, and process bits most significant first: the
//! parity bits `p(0) … p(L−1)` are appended after the data with `p(0)` the coefficient of
//! `D^(L−1)`, i.e. the remainder's most significant bit goes first. In the bit API a `u8` is one
//! bit (0 or 1; any non-zero value counts as 1); in the byte API bit 7 of each octet goes first.

/// One of the four CRC generator polynomials of TS 36.212 §5.1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrcKind {
    /// `gCRC8(D) = D⁸ + D⁷ + D⁴ + D³ + D + 1` (CQI on PUSCH/PUCCH).
    Crc8,
    /// `gCRC16(D) = D¹⁶ + D¹² + D⁵ + 1` (PBCH, DCI).
    Crc16,
    /// `gCRC24A(D)`: transport-block CRC (DL-SCH, UL-SCH, PCH).
    Crc24A,
    /// `gCRC24B(D) = D²⁴ + D²³ + D⁶ + D⁵ + D + 1`: code-block CRC after segmentation (§5.1.2).
    Crc24B,
}

impl CrcKind {
    /// Number of parity bits L.
    pub const fn parity_bits(self) -> usize {
        match self {
            CrcKind::Crc8 => 8,
            CrcKind::Crc16 => 16,
            CrcKind::Crc24A | CrcKind::Crc24B => 24,
        }
    }

    /// The generator polynomial without its leading `D^L` term (bit i = coefficient of `D^i`).
    pub const fn poly(self) -> u32 {
        match self {
            CrcKind::Crc8 => 0x9B,
            CrcKind::Crc16 => 0x1021,
            CrcKind::Crc24A => 0x86_4CFB,
            CrcKind::Crc24B => 0x80_0063,
        }
    }

    fn mask(self) -> u32 {
        (1u32 << self.parity_bits()) - 1
    }

    fn table(self) -> &'static [u32; 256] {
        match self {
            CrcKind::Crc8 => &TABLE_8,
            CrcKind::Crc16 => &TABLE_16,
            CrcKind::Crc24A => &TABLE_24A,
            CrcKind::Crc24B => &TABLE_24B,
        }
    }
}

/// Byte-at-a-time table for a CRC of width `len` (MSB first), built at compile time.
const fn make_table(poly: u32, len: usize) -> [u32; 256] {
    let mut t = [0u32; 256];
    let top = 1u32 << (len - 1);
    let mask = if len == 32 {
        u32::MAX
    } else {
        (1u32 << len) - 1
    };
    let mut i = 0;
    while i < 256 {
        let mut r = (i as u32) << (len - 8);
        let mut k = 0;
        while k < 8 {
            r = if r & top != 0 {
                (r << 1) ^ poly
            } else {
                r << 1
            };
            k += 1;
        }
        t[i] = r & mask;
        i += 1;
    }
    t
}

static TABLE_8: [u32; 256] = make_table(0x9B, 8);
static TABLE_16: [u32; 256] = make_table(0x1021, 16);
static TABLE_24A: [u32; 256] = make_table(0x86_4CFB, 24);
static TABLE_24B: [u32; 256] = make_table(0x80_0063, 24);

/// The CRC remainder of `bits` (one bit per element, first bit first), TS 36.212 §5.1.1.
/// The result's bit `L−1` is the parity bit `p(0)`.
pub fn crc_bits(kind: CrcKind, bits: &[u8]) -> u32 {
    let len = kind.parity_bits();
    let top = 1u32 << (len - 1);
    let poly = kind.poly();
    let mask = kind.mask();
    let table = kind.table();
    let mut r = 0u32;
    // Whole octets through the table, the remainder bit by bit.
    let mut chunks = bits.chunks_exact(8);
    for c in &mut chunks {
        let byte = c.iter().fold(0u8, |acc, &b| (acc << 1) | u8::from(b != 0));
        let idx = ((r >> (len - 8)) ^ u32::from(byte)) & 0xFF;
        r = ((r << 8) ^ table[idx as usize]) & mask;
    }
    for &b in chunks.remainder() {
        let fb = ((r & top) != 0) ^ (b != 0);
        r = (r << 1) & mask;
        if fb {
            r ^= poly;
        }
    }
    r & mask
}

/// The CRC remainder of `bytes` (bit 7 of each octet first), TS 36.212 §5.1.1.
pub fn crc_bytes(kind: CrcKind, bytes: &[u8]) -> u32 {
    let len = kind.parity_bits();
    let mask = kind.mask();
    let table = kind.table();
    let mut r = 0u32;
    for &byte in bytes {
        let idx = ((r >> (len - 8)) ^ u32::from(byte)) & 0xFF;
        r = ((r << 8) ^ table[idx as usize]) & mask;
    }
    r
}

/// Appends the `L` parity bits of `kind` (most significant first) to `bits`, XORed with `mask`
/// (0 for a plain CRC; an RNTI or a PBCH port mask otherwise).
pub fn append_crc_bits(kind: CrcKind, bits: &mut Vec<u8>, mask: u32) {
    let r = crc_bits(kind, bits) ^ (mask & kind.mask());
    let len = kind.parity_bits();
    bits.extend((0..len).rev().map(|i| ((r >> i) & 1) as u8));
}

/// Reads the last `L` bits of `bits` as a number (first bit = most significant).
/// Returns `None` when `bits` is shorter than `L`.
pub fn trailing_parity(kind: CrcKind, bits: &[u8]) -> Option<u32> {
    let len = kind.parity_bits();
    let start = bits.len().checked_sub(len)?;
    Some(
        bits[start..]
            .iter()
            .fold(0u32, |acc, &b| (acc << 1) | u32::from(b != 0)),
    )
}

/// The XOR of the received parity bits (the last `L` bits of `bits`) with the CRC computed over
/// the bits before them: 0 for a clean block, the mask for a masked one (RNTI, PBCH ports).
/// Returns `None` when `bits` is shorter than `L`.
pub fn crc_syndrome(kind: CrcKind, bits: &[u8]) -> Option<u32> {
    let received = trailing_parity(kind, bits)?;
    let data = &bits[..bits.len() - kind.parity_bits()];
    Some(crc_bits(kind, data) ^ received)
}

/// True when the last `L` bits of `bits` are the CRC of the bits before them (no mask).
pub fn crc_check_bits(kind: CrcKind, bits: &[u8]) -> bool {
    crc_syndrome(kind, bits) == Some(0)
}

/// The PBCH CRC mask for the number of transmit antenna ports (TS 36.212 §5.3.1.1, Table
/// 5.3.1.1-1): 1 port `0x0000`, 2 ports `0xFFFF`, 4 ports `0x5555`. `None` for any other count.
pub const fn pbch_crc_mask(ports: u8) -> Option<u16> {
    match ports {
        1 => Some(0x0000),
        2 => Some(0xFFFF),
        4 => Some(0x5555),
        _ => None,
    }
}

/// The number of eNodeB antenna ports a decoded PBCH block announces (TS 36.212 §5.3.1.1):
/// `bits` is the 40-bit block (24 MIB bits + 16 masked CRC bits). Returns 1, 2 or 4 when the CRC
/// syndrome equals one of the three masks, `None` when the CRC fails (or the block is not 40 bits).
pub fn pbch_ports_from_crc(bits: &[u8]) -> Option<u8> {
    if bits.len() != 40 {
        return None;
    }
    let syndrome = crc_syndrome(CrcKind::Crc16, bits)?;
    [1u8, 2, 4]
        .into_iter()
        .find(|&p| pbch_crc_mask(p).map(u32::from) == Some(syndrome))
}

/// Appends the DCI CRC-16 scrambled with `rnti` (TS 36.212 §5.3.3.2: `c_k = b_k ⊕ x_rnti,k−A`,
/// with `x_rnti,0` the RNTI's most significant bit) to the `payload` bits.
pub fn append_dci_crc(payload: &mut Vec<u8>, rnti: u16) {
    append_crc_bits(CrcKind::Crc16, payload, u32::from(rnti));
}

/// The RNTI a decoded DCI block (payload + 16 RNTI-masked CRC bits, TS 36.212 §5.3.3.2) was
/// scrambled with: the CRC syndrome. Blind decoding compares it with the RNTIs it looks for
/// (SI-RNTI 0xFFFF, P-RNTI 0xFFFE, RA-RNTIs). `None` when `bits` is shorter than 17 bits.
pub fn dci_rnti(bits: &[u8]) -> Option<u16> {
    if bits.len() <= 16 {
        return None;
    }
    crc_syndrome(CrcKind::Crc16, bits).map(|s| (s & 0xFFFF) as u16)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn to_bits(bytes: &[u8]) -> Vec<u8> {
        bytes
            .iter()
            .flat_map(|&b| (0..8).rev().map(move |i| (b >> i) & 1))
            .collect()
    }

    /// Check values of the reveng CRC catalogue ("123456789"): CRC-8/LTE 0xEA, CRC-16/XMODEM
    /// (= gCRC16, zero init) 0x31C3, CRC-24/LTE-A 0xCDE703, CRC-24/LTE-B 0x23EF52.
    #[test]
    fn catalogue_check_values() {
        let msg = b"123456789";
        let bits = to_bits(msg);
        for (kind, want) in [
            (CrcKind::Crc8, 0xEA),
            (CrcKind::Crc16, 0x31C3),
            (CrcKind::Crc24A, 0xCD_E703),
            (CrcKind::Crc24B, 0x23_EF52),
        ] {
            assert_eq!(crc_bytes(kind, msg), want, "{kind:?} bytes");
            assert_eq!(crc_bits(kind, &bits), want, "{kind:?} bits");
        }
    }

    #[test]
    fn bit_and_byte_paths_agree_on_odd_lengths() {
        let mut rng = crate::signal::Rng::new(7);
        for n in 0..70 {
            let bits: Vec<u8> = (0..n).map(|_| rng.bit()).collect();
            for kind in [
                CrcKind::Crc8,
                CrcKind::Crc16,
                CrcKind::Crc24A,
                CrcKind::Crc24B,
            ] {
                // Bit-serial reference (long division).
                let mut r = 0u32;
                for &b in &bits {
                    let fb = (r >> (kind.parity_bits() - 1)) & 1 != u32::from(b);
                    r = (r << 1) & ((1 << kind.parity_bits()) - 1);
                    if fb {
                        r ^= kind.poly();
                    }
                }
                assert_eq!(crc_bits(kind, &bits), r, "{kind:?} n={n}");
            }
        }
    }

    #[test]
    fn appended_crc_checks_and_detects_a_flip() {
        let mut rng = crate::signal::Rng::new(1);
        for kind in [
            CrcKind::Crc8,
            CrcKind::Crc16,
            CrcKind::Crc24A,
            CrcKind::Crc24B,
        ] {
            let mut bits: Vec<u8> = (0..100).map(|_| rng.bit()).collect();
            append_crc_bits(kind, &mut bits, 0);
            assert!(crc_check_bits(kind, &bits));
            for i in 0..bits.len() {
                bits[i] ^= 1;
                assert!(!crc_check_bits(kind, &bits), "{kind:?} flip {i}");
                bits[i] ^= 1;
            }
        }
    }

    #[test]
    fn pbch_masks_give_back_the_port_count() {
        assert_eq!(pbch_crc_mask(3), None);
        let mib: Vec<u8> = to_bits(&[0x5A, 0x3C, 0x00]);
        for ports in [1u8, 2, 4] {
            let mut b = mib.clone();
            append_crc_bits(
                CrcKind::Crc16,
                &mut b,
                u32::from(pbch_crc_mask(ports).unwrap()),
            );
            assert_eq!(b.len(), 40);
            assert_eq!(pbch_ports_from_crc(&b), Some(ports));
            b[3] ^= 1;
            assert_eq!(pbch_ports_from_crc(&b), None);
        }
        // 2 ports: the parity bits are the plain CRC inverted.
        let mut plain = mib.clone();
        append_crc_bits(CrcKind::Crc16, &mut plain, 0);
        let mut two = mib.clone();
        append_crc_bits(CrcKind::Crc16, &mut two, 0xFFFF);
        for i in 24..40 {
            assert_eq!(plain[i] ^ 1, two[i]);
        }
        assert_eq!(pbch_ports_from_crc(&[0; 12]), None);
    }

    #[test]
    fn dci_rnti_masking_round_trips() {
        let payload: Vec<u8> = to_bits(&[0b1010_0110, 0b0100_0000])
            .into_iter()
            .take(15)
            .collect();
        for rnti in [0xFFFFu16, 0xFFFE, 0x0002, 0x1234] {
            let mut b = payload.clone();
            append_dci_crc(&mut b, rnti);
            assert_eq!(b.len(), 31);
            assert_eq!(dci_rnti(&b), Some(rnti));
            // The masked bits are the plain CRC XOR the RNTI, RNTI MSB on the first parity bit.
            let plain = crc_bits(CrcKind::Crc16, &payload);
            assert_eq!(
                trailing_parity(CrcKind::Crc16, &b),
                Some(plain ^ u32::from(rnti))
            );
        }
        assert_eq!(dci_rnti(&[1; 16]), None);
    }
}
