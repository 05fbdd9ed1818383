//! GSMTAP framing (libosmocore `gsmtap.h`, version 2), as gr-gsm sends it: a 16-octet header
//! followed by the 23-octet L2 frame, to UDP port 4729.
//!
//! Header layout (network byte order):
//!
//! | octet | field |
//! |---|---|
//! | 0 | version = 2 |
//! | 1 | header length in 32-bit words = 4 |
//! | 2 | type: 1 = `GSMTAP_TYPE_UM` (a 23-octet L2 block) |
//! | 3 | timeslot (0–7) |
//! | 4–5 | ARFCN, bit 14 = uplink, bit 15 = PCS 1900 band |
//! | 6 | signal level, dBm (signed) |
//! | 7 | signal-to-noise ratio, dB (signed) |
//! | 8–11 | TDMA frame number (of the block's first burst, as gr-gsm) |
//! | 12 | sub-type: logical channel (`GSMTAP_CHANNEL_*`) |
//! | 13 | antenna number |
//! | 14 | sub-slot (CCCH block index, SDCCH sub-channel) |
//! | 15 | reserved, 0 |
//!
//! Privacy: frames are masked by [`crate::privacy`] (deny by default) unless the user asked for
//! clear output.

use crate::observation::gsm::{DedicatedObs, MessageObs};
use towerwatch_dsp::arfcn::Band;

/// GSMTAP version written.
pub const VERSION: u8 = 2;
/// Header length in 32-bit words.
pub const HEADER_WORDS: u8 = 4;
/// Header length in octets.
pub const HEADER_LEN: usize = 16;
/// `GSMTAP_TYPE_UM`: a 23-octet Um L2 block.
pub const TYPE_UM: u8 = 1;
/// The IANA-registered GSMTAP UDP port.
pub const UDP_PORT: u16 = 4729;
/// ARFCN flag: the PCS 1900 band.
pub const ARFCN_F_PCS: u16 = 0x8000;
/// ARFCN flag: uplink.
pub const ARFCN_F_UPLINK: u16 = 0x4000;

/// Logical channel sub-types (`GSMTAP_CHANNEL_*`).
pub mod channel {
    /// Unknown.
    pub const UNKNOWN: u8 = 0x00;
    /// BCCH.
    pub const BCCH: u8 = 0x01;
    /// CCCH (PCH/AGCH, as gr-gsm marks them).
    pub const CCCH: u8 = 0x02;
    /// RACH.
    pub const RACH: u8 = 0x03;
    /// AGCH.
    pub const AGCH: u8 = 0x04;
    /// PCH.
    pub const PCH: u8 = 0x05;
    /// SDCCH.
    pub const SDCCH: u8 = 0x06;
    /// SDCCH/4.
    pub const SDCCH4: u8 = 0x07;
    /// SDCCH/8.
    pub const SDCCH8: u8 = 0x08;
    /// Flag: the associated control channel (SACCH) of the channel.
    pub const ACCH: u8 = 0x80;
}

/// One GSMTAP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// Timeslot 0–7.
    pub timeslot: u8,
    /// ARFCN (0–1023).
    pub arfcn: u16,
    /// Uplink burst/block.
    pub uplink: bool,
    /// PCS 1900 numbering (ARFCNs 512–810 overlap DCS 1800).
    pub pcs: bool,
    /// Signal level, dBm (uncalibrated receivers: dBFS, as gr-gsm).
    pub signal_dbm: i8,
    /// Signal-to-noise ratio, dB.
    pub snr_db: i8,
    /// TDMA frame number.
    pub frame_number: u32,
    /// Logical channel, see [`channel`].
    pub sub_type: u8,
    /// Antenna number.
    pub antenna: u8,
    /// Sub-slot.
    pub sub_slot: u8,
}

impl Header {
    /// The 16 header octets.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut arfcn = self.arfcn & 0x3fff;
        if self.uplink {
            arfcn |= ARFCN_F_UPLINK;
        }
        if self.pcs {
            arfcn |= ARFCN_F_PCS;
        }
        let a = arfcn.to_be_bytes();
        let f = self.frame_number.to_be_bytes();
        [
            VERSION,
            HEADER_WORDS,
            TYPE_UM,
            self.timeslot,
            a[0],
            a[1],
            self.signal_dbm as u8,
            self.snr_db as u8,
            f[0],
            f[1],
            f[2],
            f[3],
            self.sub_type,
            self.antenna,
            self.sub_slot,
            0,
        ]
    }

    /// Parse the 16 header octets (for tests and tools). `None` if too short or not version 2.
    pub fn parse(b: &[u8]) -> Option<Header> {
        if b.len() < HEADER_LEN || b[0] != VERSION || b[1] != HEADER_WORDS {
            return None;
        }
        let arfcn = u16::from_be_bytes([b[4], b[5]]);
        Some(Header {
            timeslot: b[3],
            arfcn: arfcn & 0x3fff,
            uplink: arfcn & ARFCN_F_UPLINK != 0,
            pcs: arfcn & ARFCN_F_PCS != 0,
            signal_dbm: b[6] as i8,
            snr_db: b[7] as i8,
            frame_number: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            sub_type: b[12],
            antenna: b[13],
            sub_slot: b[14],
        })
    }
}

/// The CCCH block index (0–8) of a block starting at `fn_`, on a non-combined BCCH/CCCH
/// timeslot; 0 elsewhere (BCCH).
pub fn ccch_block_index(frame_number: u32) -> u8 {
    const STARTS: [u32; 9] = [6, 12, 16, 22, 26, 32, 36, 42, 46];
    let m = frame_number % 51;
    STARTS
        .iter()
        .position(|&s| (s..s + 4).contains(&m))
        .map_or(0, |i| i as u8)
}

/// Sub-type for a logical channel name as the GSM stage writes it (`bcch`, `ccch`, `sdcch`,
/// `sacch`).
pub fn channel_sub_type(name: &str) -> u8 {
    match name {
        "bcch" => channel::BCCH,
        "ccch" => channel::CCCH,
        "sdcch" => channel::SDCCH,
        "sacch" => channel::SDCCH | channel::ACCH,
        _ => channel::UNKNOWN,
    }
}

/// Clamp a measurement to a signed octet.
pub fn to_i8(x: f64) -> i8 {
    if x.is_finite() {
        x.round().clamp(-128.0, 127.0) as i8
    } else {
        0
    }
}

/// The GSMTAP header for a decoded message. `signal_dbm` and `snr_db` are the latest
/// measurements of the carrier (0 when unknown).
pub fn header_for(m: &MessageObs, signal_dbm: f64, snr_db: f64) -> Header {
    let sub_type = channel_sub_type(&m.channel);
    Header {
        timeslot: 0,
        arfcn: m.arfcn,
        uplink: false,
        pcs: m.band == Band::Pcs1900,
        signal_dbm: to_i8(signal_dbm),
        snr_db: to_i8(snr_db),
        frame_number: m.frame_number,
        sub_type,
        antenna: 0,
        sub_slot: if sub_type == channel::CCCH {
            ccch_block_index(m.frame_number)
        } else {
            0
        },
    }
}

/// The GSMTAP header for a dedicated-channel frame: SDCCH/8 (`0x08`) on TS1–7, SDCCH/4 (`0x07`)
/// on TS0, with the ACCH flag (`0x80`) for SACCH; the sub-slot is the sub-channel.
pub fn header_for_dedicated(d: &DedicatedObs, signal_dbm: f64, snr_db: f64) -> Header {
    let base = if d.timeslot == 0 {
        channel::SDCCH4
    } else {
        channel::SDCCH8
    };
    let sub_type = if d.channel == "sacch" {
        base | channel::ACCH
    } else {
        base
    };
    Header {
        timeslot: d.timeslot,
        arfcn: d.arfcn,
        uplink: false,
        pcs: d.band == Band::Pcs1900,
        signal_dbm: to_i8(signal_dbm),
        snr_db: to_i8(snr_db),
        frame_number: d.frame_number,
        sub_type,
        antenna: 0,
        sub_slot: d.sub_channel,
    }
}

/// A GSMTAP packet (header + L2 frame): the UDP payload.
pub fn packet(h: &Header, frame: &[u8; 23]) -> Vec<u8> {
    let mut p = Vec::with_capacity(HEADER_LEN + 23);
    p.extend_from_slice(&h.to_bytes());
    p.extend_from_slice(frame);
    p
}

/// A BCCH/CCCH L2 frame (pseudo-length octet first) with its private octets masked: every
/// Mobile Identity's digits become fillers (its tag, length and type bits stay), and a message not
/// known to be free of subscriber data is masked past its header ([`crate::privacy`]).
pub fn mask_identities(frame: &[u8; 23]) -> [u8; 23] {
    crate::privacy::mask_ccch_frame(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> [u8; 23] {
        let v: Vec<u8> = s
            .split_whitespace()
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect();
        v.try_into().unwrap()
    }

    #[test]
    fn header_layout_matches_gsmtap_h() {
        let h = Header {
            timeslot: 3,
            arfcn: 600,
            uplink: true,
            pcs: true,
            signal_dbm: -70,
            snr_db: 25,
            frame_number: 0x0102_0304,
            sub_type: channel::CCCH,
            antenna: 1,
            sub_slot: 5,
        };
        let b = h.to_bytes();
        assert_eq!(
            b,
            [2, 4, 1, 3, 0xc2, 0x58, 0xba, 25, 1, 2, 3, 4, 2, 1, 5, 0]
        );
        assert_eq!(Header::parse(&b), Some(h));
    }

    #[test]
    fn ccch_block_indices() {
        assert_eq!(ccch_block_index(2), 0);
        assert_eq!(ccch_block_index(6), 0);
        assert_eq!(ccch_block_index(12), 1);
        assert_eq!(ccch_block_index(46 + 51 * 7), 8);
        // The 941 MHz capture's first block: FN 675007 = 22 mod 51, CCCH block 3.
        assert_eq!(ccch_block_index(675007), 3);
    }

    #[test]
    fn paging1_identities_masked_structure_kept() {
        let f = hex("41 06 21 a0 05 f4 24 02 81 0b 17 05 f4 18 00 03 12 2b 2b 2b 2b 2b 2b");
        let m = mask_identities(&f);
        assert_eq!(
            m,
            hex("41 06 21 a0 05 f4 ff ff ff ff 17 05 f4 ff ff ff ff 2b 2b 2b 2b 2b 2b")
        );
        // No identity: unchanged.
        let f = hex("15 06 21 00 01 f0 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b");
        assert_eq!(mask_identities(&f), f);
        // An IMSI keeps type and parity, digits become 0 (valid BCD: Wireshark dissects it
        // without a "malformed IMSI").
        let f = hex("59 06 21 00 08 29 26 20 21 43 65 87 09 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b");
        assert_eq!(
            mask_identities(&f),
            hex("59 06 21 00 08 09 00 00 00 00 00 00 00 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b")
        );
        // An even number of digits keeps its end filler.
        let f = hex("55 06 21 00 08 21 26 20 21 43 65 87 f9 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b");
        assert_eq!(&mask_identities(&f)[5..13], &[0x01, 0, 0, 0, 0, 0, 0, 0xf0]);
    }

    #[test]
    fn paging2_and_3_masked_other_messages_untouched() {
        let f = hex("35 06 22 00 11 22 33 44 55 66 77 88 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b");
        let m = mask_identities(&f);
        assert_eq!(&m[4..12], &[0xff; 8]);
        assert_eq!(&m[..4], &f[..4]);
        let f = hex("4d 06 24 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 2b 2b 2b");
        let m = mask_identities(&f);
        assert_eq!(&m[4..20], &[0xff; 16]);
        assert_eq!(&m[20..], &f[20..]);
        // SI3 untouched.
        let f = hex("49 06 1b 2b d9 62 f2 20 01 3e c9 03 05 07 d0 00 02 00 00 00 00 00 00");
        assert_eq!(mask_identities(&f), f);
    }

    /// Found by reading the parser while fixing fuzz crash l2l3_frames crash-5fc7f5b8: a Paging
    /// Request whose pseudo length ends before its identities still has them read by the parser,
    /// so they must be masked too.
    #[test]
    fn paging_identities_masked_where_the_parser_reads_them() {
        use towerwatch_dsp::gsm::l3::{Message, MobileIdentity, parse_ccch_frame};
        // Pseudo length 3 (PD, MT, page mode only), but an IMSI follows in the frame.
        let f = hex("0d 06 21 00 08 29 26 20 21 43 65 87 09 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b");
        let Ok(Message::PagingRequest1(p)) = parse_ccch_frame(&f) else {
            panic!("clear frame parses as paging 1")
        };
        assert!(
            matches!(&p.identity1, MobileIdentity::Imsi(d) if d.len() == 15),
            "{:?}",
            p.identity1
        );
        let masked = mask_identities(&f);
        assert_eq!(&masked[5..13], &[0x09, 0, 0, 0, 0, 0, 0, 0]);
        if let Ok(Message::PagingRequest1(m)) = parse_ccch_frame(&masked) {
            assert_ne!(m.identity1, p.identity1);
        }
        // Paging 2: TMSIs past a short pseudo length, and an optional identity whose tag is the
        // last octet inside the pseudo length.
        let f = hex("31 06 22 00 11 22 33 44 55 66 77 88 17 05 f4 01 02 03 04 2b 2b 2b 2b");
        let m = mask_identities(&f);
        assert_eq!(&m[4..12], &[0xff; 8]);
        assert_eq!(&m[12..14], &f[12..14]);
        assert_eq!(&m[14..19], &[0xf4, 0xff, 0xff, 0xff, 0xff]);
        let f = hex("05 06 22 00 11 22 33 44 55 66 77 88 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b");
        assert_eq!(&mask_identities(&f)[4..12], &[0xff; 8]);
    }
}
