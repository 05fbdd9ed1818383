//! Short messages on a dedicated channel: the CP layer (TS 24.011 §7.2, protocol discriminator 9),
//! the RP layer (§7.3) and the SMS-DELIVER TPDU (TS 23.040 §9.2.2.1) with the GSM 7-bit default
//! alphabet (TS 23.038 §6.2.1).
//!
//! SMS text and addresses are private: [`SmsDeliver`]'s `Display` masks them, and
//! [`super::Message::mask_private`] replaces them before a message is shown or serialised.

use serde::{Deserialize, Serialize};

use super::L3Error;

/// CP message types (TS 24.011 §8.1.3).
pub(crate) mod cp {
    /// CP-DATA.
    pub const DATA: u8 = 0x01;
    /// CP-ACK.
    pub const ACK: u8 = 0x04;
    /// CP-ERROR.
    pub const ERROR: u8 = 0x10;
}

/// The GSM 7-bit default alphabet (TS 23.038 §6.2.1); 0x1B is the escape to the extension table.
const GSM7: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1b}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The extension table (after 0x1B).
const GSM7_EXT: [(u8, char); 10] = [
    (0x0a, '\u{0c}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2f, '\\'),
    (0x3c, '['),
    (0x3d, '~'),
    (0x3e, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// Decodes GSM 7-bit septets (one per octet, 0–127) to text; an unknown escape gives a space.
pub fn gsm7_decode(septets: &[u8]) -> String {
    let mut out = String::with_capacity(septets.len());
    let mut escape = false;
    for &s in septets {
        let s = s & 0x7f;
        if escape {
            escape = false;
            out.push(
                GSM7_EXT
                    .iter()
                    .find(|(c, _)| *c == s)
                    .map_or(' ', |(_, ch)| *ch),
            );
        } else if s == 0x1b {
            escape = true;
        } else {
            out.push(GSM7.get(usize::from(s)).copied().unwrap_or(' '));
        }
    }
    out
}

/// Encodes text as GSM 7-bit septets; characters outside the alphabet become `?`.
pub fn gsm7_encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for ch in text.chars() {
        if let Some(i) = GSM7.iter().position(|&c| c == ch && c != '\u{1b}') {
            out.push(i as u8);
        } else if let Some((code, _)) = GSM7_EXT.iter().find(|(_, c)| *c == ch) {
            out.extend_from_slice(&[0x1b, *code]);
        } else {
            out.push(0x3f);
        }
    }
    out
}

/// Packs septets into octets, least significant bit first (TS 23.038 §6.1.2.1.1), starting
/// `fill_bits` (0–6) into the first octet.
pub fn gsm7_pack(septets: &[u8], fill_bits: usize) -> Vec<u8> {
    let bits = fill_bits + 7 * septets.len();
    let mut out = vec![0u8; bits.div_ceil(8)];
    for (i, &s) in septets.iter().enumerate() {
        for b in 0..7 {
            if (s >> b) & 1 != 0 {
                let k = fill_bits + 7 * i + b;
                if let Some(o) = out.get_mut(k / 8) {
                    *o |= 1 << (k % 8);
                }
            }
        }
    }
    out
}

/// Unpacks `count` septets from octets packed least significant bit first, skipping
/// `skip_bits` first. Fails if the octets are too short.
pub fn gsm7_unpack(octets: &[u8], count: usize, skip_bits: usize) -> Result<Vec<u8>, L3Error> {
    if (skip_bits + 7 * count).div_ceil(8) > octets.len() {
        return Err(L3Error::Truncated("7-bit user data"));
    }
    Ok((0..count)
        .map(|i| {
            (0..7).fold(0u8, |v, b| {
                let k = skip_bits + 7 * i + b;
                let bit = octets.get(k / 8).map_or(0, |o| (o >> (k % 8)) & 1);
                v | (bit << b)
            })
        })
        .collect())
}

/// An address (TS 23.040 §9.1.2.5 for TP addresses, TS 24.011 §8.2.5 for RP addresses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsAddress {
    /// Type of address octet (0x91 international, 0x81 unknown, 0xD0 alphanumeric, …).
    pub type_of_address: u8,
    /// The digits, or the text of an alphanumeric address.
    pub value: String,
}

impl SmsAddress {
    /// Whether the address is alphanumeric (type of number 101).
    pub fn is_alphanumeric(&self) -> bool {
        (self.type_of_address >> 4) & 7 == 5
    }
}

fn bcd_digits(octets: &[u8], max_digits: usize) -> String {
    let mut s = String::new();
    for o in octets {
        for d in [o & 0x0f, o >> 4] {
            if s.len() >= max_digits || d == 0x0f {
                return s;
            }
            s.push(match d {
                0..=9 => char::from(b'0' + d),
                10 => '*',
                11 => '#',
                12 => 'a',
                13 => 'b',
                _ => 'c',
            });
        }
    }
    s
}

/// Encodes digits as BCD (filler 0xF); non-digits become 0.
pub fn bcd_encode(digits: &str) -> Vec<u8> {
    let d: Vec<u8> = digits
        .bytes()
        .map(|c| if c.is_ascii_digit() { c - b'0' } else { 0 })
        .collect();
    d.chunks(2)
        .map(|p| p.first().copied().unwrap_or(0x0f) | (p.get(1).copied().unwrap_or(0x0f) << 4))
        .collect()
}

/// An SMS-DELIVER TPDU (network → mobile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsDeliver {
    /// TP-MMS: no more messages waiting.
    pub no_more_messages: bool,
    /// TP-RP: reply path set.
    pub reply_path: bool,
    /// TP-OA: who sent it.
    pub originator: SmsAddress,
    /// TP-PID.
    pub protocol_id: u8,
    /// TP-DCS.
    pub data_coding: u8,
    /// TP-SCTS as `YY-MM-DD hh:mm:ss ±zz` (zz in quarter hours).
    pub timestamp: String,
    /// User data header (raw octets, without its length octet), when TP-UDHI is set.
    pub udh: Vec<u8>,
    /// The text (7-bit and UCS-2 decoded; 8-bit data as hex).
    pub text: String,
}

impl std::fmt::Display for SmsDeliver {
    /// Masked: the sender's kind and the text's length only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SMS-DELIVER from {} sender, {} characters (masked)",
            if self.originator.is_alphanumeric() {
                "alphanumeric"
            } else {
                "numeric"
            },
            self.text.chars().count()
        )
    }
}

/// A TPDU carried in RP-DATA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tpdu {
    /// SMS-DELIVER.
    Deliver(SmsDeliver),
    /// Another TPDU (by TP-MTI); the octets are not kept (they may hold text).
    Other {
        /// TP-MTI (2 bits).
        mti: u8,
        /// Length in octets.
        len: usize,
    },
}

/// An RP message (TS 24.011 §7.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RpMessage {
    /// RP-DATA.
    Data {
        /// RP-Message Reference.
        reference: u8,
        /// RP-Originator Address (the service centre, network → mobile).
        originator: Option<SmsAddress>,
        /// RP-Destination Address (mobile → network).
        destination: Option<SmsAddress>,
        /// The TPDU.
        tpdu: Tpdu,
    },
    /// RP-ACK.
    Ack {
        /// RP-Message Reference.
        reference: u8,
    },
    /// RP-ERROR.
    Error {
        /// RP-Message Reference.
        reference: u8,
        /// RP cause value.
        cause: u8,
    },
    /// RP-SMMA (memory available).
    Smma {
        /// RP-Message Reference.
        reference: u8,
    },
}

/// CP-DATA: an RP message of a short message transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpData {
    /// Transaction identifier value, 0–7.
    pub transaction_id: u8,
    /// TI flag: the message goes to the side that chose the TI.
    pub ti_flag: bool,
    /// The RP message.
    pub rp: RpMessage,
}

fn rp_address(data: &[u8], at: &mut usize) -> Result<Option<SmsAddress>, L3Error> {
    let len = usize::from(*data.get(*at).ok_or(L3Error::Truncated("RP address"))?);
    let v = data
        .get(*at + 1..*at + 1 + len)
        .ok_or(L3Error::Truncated("RP address"))?;
    *at += 1 + len;
    let Some((&toa, digits)) = v.split_first() else {
        return Ok(None);
    };
    Ok(Some(SmsAddress {
        type_of_address: toa,
        value: bcd_digits(digits, 2 * digits.len()),
    }))
}

fn tp_address(data: &[u8], at: &mut usize) -> Result<SmsAddress, L3Error> {
    let semi = usize::from(*data.get(*at).ok_or(L3Error::Truncated("TP address"))?);
    let toa = *data.get(*at + 1).ok_or(L3Error::Truncated("TP address"))?;
    let n = semi.div_ceil(2);
    let v = data
        .get(*at + 2..*at + 2 + n)
        .ok_or(L3Error::Truncated("TP address"))?;
    *at += 2 + n;
    let value = if (toa >> 4) & 7 == 5 {
        gsm7_decode(&gsm7_unpack(v, semi * 4 / 7, 0)?)
    } else {
        bcd_digits(v, semi)
    };
    Ok(SmsAddress {
        type_of_address: toa,
        value,
    })
}

fn scts(o: &[u8]) -> String {
    let d = |b: u8| (b & 0x0f) * 10 + (b >> 4);
    let g = |i: usize| o.get(i).copied().map_or(0, d);
    let tz = o.get(6).copied().unwrap_or(0);
    let sign = if tz & 0x08 != 0 { '-' } else { '+' };
    let q = (tz & 0x07) * 10 + (tz >> 4);
    format!(
        "{:02}-{:02}-{:02} {:02}:{:02}:{:02} {sign}{q:02}",
        g(0),
        g(1),
        g(2),
        g(3),
        g(4),
        g(5)
    )
}

/// Parses an SMS-DELIVER TPDU.
pub fn parse_sms_deliver(t: &[u8]) -> Result<SmsDeliver, L3Error> {
    let first = *t.first().ok_or(L3Error::Truncated("TPDU"))?;
    if first & 0x03 != 0 {
        return Err(L3Error::Malformed("not an SMS-DELIVER"));
    }
    let mut at = 1;
    let originator = tp_address(t, &mut at)?;
    let pid = *t.get(at).ok_or(L3Error::Truncated("TP-PID"))?;
    let dcs = *t.get(at + 1).ok_or(L3Error::Truncated("TP-DCS"))?;
    let ts = t.get(at + 2..at + 9).ok_or(L3Error::Truncated("TP-SCTS"))?;
    let udl = usize::from(*t.get(at + 9).ok_or(L3Error::Truncated("TP-UDL"))?);
    let ud = t.get(at + 10..).unwrap_or(&[]);
    let udhi = first & 0x40 != 0;
    let (udh, udh_octets) = if udhi {
        let l = usize::from(*ud.first().ok_or(L3Error::Truncated("TP-UDH"))?);
        let h = ud.get(1..1 + l).ok_or(L3Error::Truncated("TP-UDH"))?;
        (h.to_vec(), 1 + l)
    } else {
        (Vec::new(), 0)
    };
    let text = match alphabet(dcs) {
        Alphabet::Gsm7 => {
            let skip_septets = (udh_octets * 8).div_ceil(7);
            let count = udl
                .checked_sub(skip_septets)
                .ok_or(L3Error::Malformed("TP-UDL shorter than the header"))?;
            gsm7_decode(&gsm7_unpack(ud, count, skip_septets * 7)?)
        }
        Alphabet::Ucs2 => {
            let body = ud
                .get(udh_octets..udl)
                .ok_or(L3Error::Truncated("UCS-2 user data"))?;
            let units: Vec<u16> = body
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        Alphabet::Octets => ud
            .get(udh_octets..udl)
            .ok_or(L3Error::Truncated("8-bit user data"))?
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    };
    Ok(SmsDeliver {
        no_more_messages: first & 0x04 != 0,
        reply_path: first & 0x80 != 0,
        originator,
        protocol_id: pid,
        data_coding: dcs,
        timestamp: scts(ts),
        udh,
        text,
    })
}

enum Alphabet {
    Gsm7,
    Octets,
    Ucs2,
}

/// The alphabet a TP-DCS selects (TS 23.038 §4).
fn alphabet(dcs: u8) -> Alphabet {
    let by_bits = |b: u8| match b {
        1 => Alphabet::Octets,
        2 => Alphabet::Ucs2,
        _ => Alphabet::Gsm7,
    };
    match dcs >> 4 {
        0..=7 => by_bits((dcs >> 2) & 3),
        0x0e => Alphabet::Ucs2,
        0x0f => {
            if dcs & 0x04 != 0 {
                Alphabet::Octets
            } else {
                Alphabet::Gsm7
            }
        }
        _ => Alphabet::Gsm7,
    }
}

fn parse_rp(r: &[u8]) -> Result<RpMessage, L3Error> {
    let [mti, reference, rest @ ..] = r else {
        return Err(L3Error::Truncated("RP header"));
    };
    let reference = *reference;
    Ok(match mti & 0x07 {
        0 | 1 => {
            let mut at = 2;
            let originator = rp_address(r, &mut at)?;
            let destination = rp_address(r, &mut at)?;
            let len = usize::from(*r.get(at).ok_or(L3Error::Truncated("RP-User data"))?);
            let tpdu = r
                .get(at + 1..at + 1 + len)
                .ok_or(L3Error::Truncated("RP-User data"))?;
            let tp_mti = tpdu.first().map_or(0, |b| b & 3);
            // Network → mobile (MTI 1) carries SMS-DELIVER (TP-MTI 0).
            let tpdu = if mti & 7 == 1 && tp_mti == 0 {
                Tpdu::Deliver(parse_sms_deliver(tpdu)?)
            } else {
                Tpdu::Other {
                    mti: tp_mti,
                    len: tpdu.len(),
                }
            };
            RpMessage::Data {
                reference,
                originator,
                destination,
                tpdu,
            }
        }
        2 | 3 => RpMessage::Ack { reference },
        4 | 5 => RpMessage::Error {
            reference,
            cause: rest.get(1).copied().unwrap_or(0) & 0x7f,
        },
        6 => RpMessage::Smma { reference },
        _ => return Err(L3Error::Malformed("reserved RP-MTI")),
    })
}

/// Parses CP-DATA (after the PD/TI and message type octets): the CP-User data LV.
pub(crate) fn parse_cp_data(pd_octet: u8, body: &[u8]) -> Result<CpData, L3Error> {
    let len = usize::from(*body.first().ok_or(L3Error::Truncated("CP-User data"))?);
    let rp = body
        .get(1..1 + len)
        .ok_or(L3Error::Truncated("CP-User data"))?;
    Ok(CpData {
        transaction_id: (pd_octet >> 4) & 7,
        ti_flag: pd_octet & 0x80 != 0,
        rp: parse_rp(rp)?,
    })
}

/// Masks a string: `[masked: N characters]`.
pub(crate) fn masked_text(s: &str) -> String {
    format!("[masked: {} characters]", s.chars().count())
}

/// Masks an address: the type stays, the value is replaced.
pub(crate) fn mask_address(a: &mut SmsAddress) {
    a.value = if a.is_alphanumeric() {
        masked_text(&a.value)
    } else {
        let n = a.value.chars().count();
        let keep: String = a.value.chars().skip(n.saturating_sub(2)).collect();
        format!("{}{keep}", "X".repeat(n.saturating_sub(2)))
    };
}

impl CpData {
    /// Replaces the text and addresses with masked forms.
    pub fn mask_private(&mut self) {
        if let RpMessage::Data {
            originator,
            destination,
            tpdu,
            ..
        } = &mut self.rp
        {
            for a in [originator, destination].into_iter().flatten() {
                mask_address(a);
            }
            if let Tpdu::Deliver(d) = tpdu {
                mask_address(&mut d.originator);
                d.text = masked_text(&d.text);
                d.udh.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_round_trip_and_spec_example() {
        // TS 23.038 example: "hellohello" packs to e8 32 9b fd 46 97 d9 ec 37.
        let s = gsm7_encode("hellohello");
        let p = gsm7_pack(&s, 0);
        assert_eq!(p, [0xe8, 0x32, 0x9b, 0xfd, 0x46, 0x97, 0xd9, 0xec, 0x37]);
        assert_eq!(gsm7_decode(&gsm7_unpack(&p, 10, 0).unwrap()), "hellohello");
        let t = "Pay 1,99€ [now]: äÖ@_";
        assert_eq!(gsm7_decode(&gsm7_encode(t)), t);
        assert!(gsm7_unpack(&p, 11, 0).is_err());
    }

    #[test]
    fn bcd_and_timestamp() {
        assert_eq!(bcd_encode("49171"), [0x94, 0x71, 0xf1]);
        assert_eq!(bcd_digits(&[0x94, 0x71, 0xf1], 6), "49171");
        assert_eq!(
            scts(&[0x62, 0x11, 0x72, 0x32, 0x85, 0x00, 0x40]),
            "26-11-27 23:58:00 +04"
        );
    }
}
