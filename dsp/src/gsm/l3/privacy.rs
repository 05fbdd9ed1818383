//! Which octets of an L2 frame are private: deny-by-default masking of subscriber data.
//!
//! Rule: an octet is shown only when its place in a message whose layout is known says it is
//! structure or network information. Concretely, for an L3 message (protocol discriminator octet
//! first):
//! - messages known to carry no subscriber data (System Information of every type, Immediate
//!   Assignment and its Extended/Reject forms, Ciphering Mode Command, Channel Release,
//!   Assignment Command, Identity Request, Authentication Request, CM Service Accept/Reject,
//!   Location Updating Reject, CP-ACK, CP-ERROR, …) are kept whole;
//! - messages known to carry a Mobile Identity (TS 24.008 §10.5.1.4: IMSI, IMEI, IMEISV, TMSI or
//!   P-TMSI) keep their header and fixed fields; each identity keeps its length octet and the
//!   odd/even and type-of-identity bits; IMSI/IMEI/IMEISV digits become `0` (valid BCD, fillers
//!   kept) and TMSI octets `0xff`;
//!   anything after the part of the message whose layout is fixed is private unless it is another
//!   Mobile Identity (masked the same way);
//! - every other message — unknown types, unknown protocol discriminators, SMS CP-DATA (SMS text
//!   and addresses) — is private whole past its two header octets.
//!
//! Private octets are overwritten with the GSM fill octet `0x2b`, so fill stays fill and a masked
//! frame keeps its L2 header and lengths: it still dissects (Wireshark shows the identities as
//! zeros or `ff ff ff ff` and private content as padding).

use super::bits::PADDING;
use crate::gsm::coding::ChannelKind;

/// What an octet of an L2 frame is, for masking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Octet {
    /// Structure or network information: shown as is.
    Keep,
    /// First octet of a Mobile Identity value: its low nibble (odd/even indicator and type of
    /// identity) is structure, its high nibble a digit.
    IdentityFirst,
    /// A TMSI/P-TMSI octet (or an identity of another type): becomes `0xff`.
    Identity,
    /// First octet of an IMSI, IMEI or IMEISV: its digit (high nibble) becomes `0`, its low
    /// nibble (odd/even, type) stays.
    DigitsFirst,
    /// Two BCD digits of an IMSI, IMEI or IMEISV: each digit becomes `0`; a filler nibble (`f`,
    /// the end of an even number of digits) stays, so the digits stay valid BCD and the count
    /// stays what the odd/even bit says.
    Digits,
    /// Content of a message not known to be free of subscriber data.
    Private,
}

impl Octet {
    /// Whether the octet is shown as received.
    pub fn is_kept(self) -> bool {
        self == Octet::Keep
    }

    /// The octet `b` masked according to its class.
    pub fn mask(self, b: u8) -> u8 {
        match self {
            Octet::Keep => b,
            Octet::IdentityFirst => 0xf0 | (b & 0x0f),
            Octet::Identity => 0xff,
            Octet::DigitsFirst => b & 0x0f,
            Octet::Digits => {
                let lo = if b & 0x0f == 0x0f { 0x0f } else { 0 };
                let hi = if b & 0xf0 == 0xf0 { 0xf0 } else { 0 };
                hi | lo
            }
            Octet::Private => PADDING,
        }
    }
}

/// The information element identifier of an optional Mobile Identity (TLV).
pub const IEI_MOBILE_IDENTITY: u8 = 0x17;

const PD_RR: u8 = 0x06;
const PD_MM: u8 = 0x05;
const PD_SMS: u8 = 0x09;

/// The layout of a message, as far as masking is concerned.
enum Layout {
    /// No subscriber data: keep everything.
    Clear,
    /// Paging Request type 1, 2 or 3 (their CCCH-specific layout, rest octets kept).
    Paging(u8),
    /// Fixed octets from the header on, then a sequence of `Lv` skips (classmarks, kept) and
    /// finally a Mobile Identity LV; everything after is walked as optional IEs.
    Identity {
        /// Octets after the two header octets kept before the first LV.
        fixed: usize,
        /// LV elements kept (by their own length) before the identity.
        kept_lvs: usize,
    },
    /// LAI and optional IEs (Location Updating Accept): fixed octets then optional IEs.
    OptionalAfter(usize),
    /// Everything past the header is private.
    Opaque,
}

fn layout(pd_octet: u8, message_type: u8) -> Layout {
    let pd = pd_octet & 0x0f;
    match pd {
        // RR: the skip indicator must be 0, or the message is to be ignored (and is opaque here).
        PD_RR if pd_octet >> 4 == 0 => match message_type {
            // System Information of every type.
            t if is_system_information(t) => Layout::Clear,
            // Immediate Assignment, Extended, Reject; Ciphering Mode Command; Channel Release;
            // Assignment Command.
            0x3f | 0x39 | 0x3a | 0x35 | 0x0d | 0x2e => Layout::Clear,
            0x21 | 0x22 | 0x24 => Layout::Paging(message_type),
            // Paging Response: CKSN, MS Classmark 2 (LV), Mobile Identity (LV).
            0x27 => Layout::Identity {
                fixed: 1,
                kept_lvs: 1,
            },
            _ => Layout::Opaque,
        },
        PD_MM if pd_octet >> 4 == 0 => match message_type & 0x3f {
            // Location Updating Request: type/CKSN, LAI (5), classmark 1, Mobile Identity.
            0x08 => Layout::Identity {
                fixed: 7,
                kept_lvs: 0,
            },
            // IMSI Detach Indication: classmark 1, Mobile Identity.
            0x01 => Layout::Identity {
                fixed: 1,
                kept_lvs: 0,
            },
            // Identity Response: Mobile Identity.
            0x19 => Layout::Identity {
                fixed: 0,
                kept_lvs: 0,
            },
            // TMSI Reallocation Command: LAI, Mobile Identity.
            0x1a => Layout::Identity {
                fixed: 5,
                kept_lvs: 0,
            },
            // CM Service Request, CM Re-establishment Request: type/CKSN, classmark 2 (LV),
            // Mobile Identity.
            0x24 | 0x28 => Layout::Identity {
                fixed: 1,
                kept_lvs: 1,
            },
            // Location Updating Accept: LAI, then optional IEs (a Mobile Identity among them).
            0x02 => Layout::OptionalAfter(5),
            // LU Reject, Authentication Reject/Request, Identity Request, TMSI Reallocation
            // Complete, CM Service Accept/Reject/Abort, Abort, MM Status.
            0x04 | 0x11 | 0x12 | 0x18 | 0x1b | 0x21 | 0x22 | 0x23 | 0x29 | 0x31 => Layout::Clear,
            _ => Layout::Opaque,
        },
        // SMS CP-ACK and CP-ERROR carry no content; CP-DATA and anything else is opaque.
        PD_SMS if matches!(message_type, 0x04 | 0x10) => Layout::Clear,
        _ => Layout::Opaque,
    }
}

/// Marks a Mobile Identity value of `len` octets from `at` (clipped to `out`). `first` is its
/// first octet (type of identity in the low three bits): IMSI, IMEI and IMEISV digits become `0`
/// (valid BCD: a masked frame dissects without "malformed IMSI"), a TMSI becomes `ff ff ff ff`.
fn mark_identity(out: &mut [Octet], at: usize, len: usize, first: Option<u8>) {
    let bcd = first.is_some_and(|b| matches!(b & 0x07, 1..=3));
    for (k, o) in out.iter_mut().skip(at).take(len).enumerate() {
        *o = match (k == 0, bcd) {
            (true, true) => Octet::DigitsFirst,
            (false, true) => Octet::Digits,
            (true, false) => Octet::IdentityFirst,
            (false, false) => Octet::Identity,
        };
    }
}

/// Marks `out[from..]` private.
fn mark_private(out: &mut [Octet], from: usize) {
    for o in out.iter_mut().skip(from) {
        *o = Octet::Private;
    }
}

/// Walks optional IEs from `at` to the end of `msg`: a Mobile Identity (TLV, IEI 0x17) keeps its
/// tag and length and has its value masked; a type-1/type-2 IE (one octet, high bit set) is kept;
/// the value of any other TLV is private (tag and length kept). Where the walk cannot go on (a
/// length past the end), the rest is private.
fn walk_optional(msg: &[u8], mut at: usize, out: &mut [Octet]) {
    while let Some(&iei) = msg.get(at) {
        if iei == PADDING {
            // Fill: the message has ended. Anything after it is not a known IE.
            mark_private(out, at);
            return;
        }
        if iei & 0x80 != 0 {
            at += 1;
            continue;
        }
        let Some(&len) = msg.get(at + 1) else {
            mark_private(out, at);
            return;
        };
        let len = usize::from(len);
        if iei == IEI_MOBILE_IDENTITY {
            mark_identity(out, at + 2, len, msg.get(at + 2).copied());
        } else {
            for o in out.iter_mut().skip(at + 2).take(len) {
                *o = Octet::Private;
            }
        }
        at += 2 + len;
    }
}

/// Classifies the octets of an L3 message. `msg` starts at the protocol discriminator octet and
/// runs to the end of the frame (rest octets included); `l3_len` is the length the L2 header
/// declares (the pseudo length on BCCH/CCCH; `msg.len()` where there is none). `out` receives one
/// class per octet of `msg` (it must be at least as long; octets past `msg` are untouched).
pub fn classify_l3(msg: &[u8], l3_len: usize, out: &mut [Octet]) {
    for o in out.iter_mut().take(msg.len()) {
        *o = Octet::Keep;
    }
    let (Some(&pd_octet), Some(&message_type)) = (msg.first(), msg.get(1)) else {
        return;
    };
    let n = msg.len().min(out.len());
    let out = &mut out[..n];
    match layout(pd_octet, message_type) {
        Layout::Clear => {}
        Layout::Opaque => mark_private(out, 2),
        Layout::Paging(mt) => classify_paging(msg, l3_len, mt, out),
        Layout::Identity { fixed, kept_lvs } => {
            let mut at = 2 + fixed;
            for _ in 0..kept_lvs {
                match msg.get(at) {
                    Some(&l) => at += 1 + usize::from(l),
                    None => return,
                }
            }
            let Some(&len) = msg.get(at) else {
                return;
            };
            let len = usize::from(len);
            mark_identity(out, at + 1, len, msg.get(at + 1).copied());
            walk_optional(msg, at + 1 + len, out);
        }
        Layout::OptionalAfter(fixed) => walk_optional(msg, 2 + fixed, out),
    }
}

/// Paging Request 1/2/3 (TS 44.018 §9.1.22–24), following the parser: mandatory identities are
/// read wherever the pseudo length says the message ends, and an optional identity whose tag lies
/// inside the pseudo length is read to its own length. Rest octets (no identities) are kept.
fn classify_paging(msg: &[u8], l3_len: usize, mt: u8, out: &mut [Octet]) {
    match mt {
        0x21 => {
            // 2: page mode/channel needed; 3: MI1 length; 4..: MI1; then optional TLV MI2.
            let Some(&len) = msg.get(3) else {
                return;
            };
            let len = usize::from(len);
            mark_identity(out, 4, len, msg.get(4).copied());
            let i = 4 + len;
            if i < l3_len
                && msg.get(i) == Some(&IEI_MOBILE_IDENTITY)
                && let Some(&l2) = msg.get(i + 1)
            {
                mark_identity(out, i + 2, usize::from(l2), msg.get(i + 2).copied());
            }
        }
        0x22 => {
            // 3..7 TMSI1, 7..11 TMSI2, then optional TLV MI3.
            for o in out.iter_mut().take(11).skip(3) {
                *o = Octet::Identity;
            }
            if 11 < l3_len
                && msg.get(11) == Some(&IEI_MOBILE_IDENTITY)
                && let Some(&l2) = msg.get(12)
            {
                mark_identity(out, 13, usize::from(l2), msg.get(13).copied());
            }
        }
        _ => {
            // 3..19: four TMSIs.
            for o in out.iter_mut().take(19).skip(3) {
                *o = Octet::Identity;
            }
        }
    }
}

/// RR message types of System Information (TS 44.018 Table 10.4.1: 0000 0xxx, 0001 1xxx,
/// 0100 0xxx, SI16/SI17).
fn is_system_information(message_type: u8) -> bool {
    matches!(message_type, 0x00..=0x07 | 0x18..=0x1f | 0x3d | 0x3e | 0x40..=0x47)
}

/// Classifies the octets of a BCCH/CCCH L2 frame (pseudo-length octet first).
pub fn classify_ccch_frame(frame: &[u8; 23]) -> [Octet; 23] {
    let mut out = [Octet::Keep; 23];
    if frame[0] & 0x03 != 0x01 {
        // Not a pseudo length: nothing here is known structure.
        mark_private(&mut out, 1);
        return out;
    }
    let len = usize::from(frame[0] >> 2);
    if len == 0 {
        // SI13 and SI2ter (and other rest-octet-only system information) are sent with an L2
        // pseudo length of 0 (TS 44.018 §9.1.43a, §9.1.34): an RR header of a System Information
        // type, then system information only.
        if frame[1] == PD_RR && is_system_information(frame[2]) {
            classify_l3(&frame[1..], 22, &mut out[1..]);
            return out;
        }
        // Fill frame: nothing but padding may follow.
        mark_private(&mut out, 1);
        return out;
    }
    classify_l3(&frame[1..], len.min(22), &mut out[1..]);
    out
}

/// Classifies the octets of a dedicated-channel L2 frame: SDCCH (LAPDm format B: address,
/// control, length, information) or SACCH (L1 header, format B4 address and control, then the L3
/// message, with a pseudo length for SI5/SI6). `continuing`: the frame continues a segmented
/// message of its link (its information field has no L3 header), so it is private whole. A frame
/// with the M bit (the first segment of a message) keeps only the message header: the rest of the
/// message is not known. Octets after the information field are private (fill stays fill).
pub fn classify_dedicated_frame(
    kind: ChannelKind,
    frame: &[u8; 23],
    continuing: bool,
) -> [Octet; 23] {
    let mut out = [Octet::Keep; 23];
    match kind {
        ChannelKind::Sacch => {
            // 0..2 L1 header, 2 address, 3 control, 4.. L3.
            if continuing {
                mark_private(&mut out, 4);
            } else if frame[4] & 0x03 == 0x01 {
                let len = usize::from(frame[4] >> 2).min(18);
                classify_l3(&frame[5..], len, &mut out[5..]);
            } else {
                classify_l3(&frame[4..], 19, &mut out[4..]);
            }
        }
        _ => {
            let len = usize::from(frame[2] >> 2).min(20);
            let more = frame[2] & 0x02 != 0;
            let end = 3 + len;
            if continuing {
                mark_private(&mut out, 3);
            } else if more {
                mark_private(&mut out, 5);
            } else {
                classify_l3(&frame[3..end], len, &mut out[3..end]);
                mark_private(&mut out, end);
            }
        }
    }
    out
}

/// `frame` with every octet masked according to `classes`.
pub fn apply(frame: &[u8; 23], classes: &[Octet; 23]) -> [u8; 23] {
    let mut f = *frame;
    for (b, c) in f.iter_mut().zip(classes) {
        *b = c.mask(*b);
    }
    f
}

/// Tracks, per dedicated link (timeslot, sub-channel, SAPI), whether the next I frame continues a
/// segmented message (the previous one had the M bit), for callers that do not reassemble.
#[derive(Debug, Default, Clone)]
pub struct SegmentTracker {
    pending: std::collections::BTreeSet<(u8, u8, u8)>,
}

impl SegmentTracker {
    /// Classifies `frame` of `kind` on (`timeslot`, `sub_channel`) and updates the link's state.
    pub fn classify(
        &mut self,
        kind: ChannelKind,
        timeslot: u8,
        sub_channel: u8,
        frame: &[u8; 23],
    ) -> [Octet; 23] {
        if kind != ChannelKind::Sdcch {
            return classify_dedicated_frame(kind, frame, false);
        }
        let sapi = (frame[0] >> 2) & 0x07;
        let key = (timeslot, sub_channel, sapi);
        let is_i = frame[1] & 0x01 == 0;
        let continuing = is_i && self.pending.contains(&key);
        let classes = classify_dedicated_frame(kind, frame, continuing);
        if is_i {
            if frame[2] & 0x02 != 0 {
                self.pending.insert(key);
            } else {
                self.pending.remove(&key);
            }
        }
        classes
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn hex(s: &str) -> [u8; 23] {
        let v: Vec<u8> = s
            .split_whitespace()
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect();
        v.try_into().unwrap()
    }

    /// The frame of issue 18: a UA echoing a Paging Response (06/27) with its TMSI.
    #[test]
    fn paging_response_tmsi_is_masked_structure_kept() {
        // LAPDm UA (SAPI 0), length 13: 06 27, CKSN, classmark 2 (LV 3), MI LV 5 (TMSI).
        let f = hex("01 73 35 06 27 07 03 50 59 a6 05 f4 01 5c 57 03 2b 2b 2b 2b 2b 2b 2b");
        let m = apply(&f, &classify_dedicated_frame(ChannelKind::Sdcch, &f, false));
        assert_eq!(
            m,
            hex("01 73 35 06 27 07 03 50 59 a6 05 f4 ff ff ff ff 2b 2b 2b 2b 2b 2b 2b")
        );
    }

    #[test]
    fn unknown_messages_are_private_past_their_header() {
        let f = hex("01 00 25 06 32 17 09 33 44 55 66 77 88 99 00 11 2b 2b 2b 2b 2b 2b 2b");
        let m = apply(&f, &classify_dedicated_frame(ChannelKind::Sdcch, &f, false));
        assert_eq!(&m[..5], &f[..5]);
        assert!(m[5..].iter().all(|b| *b == PADDING), "{m:02x?}");
    }

    /// SI13 and SI2ter have an L2 pseudo length of 0: they are system information, not fill.
    #[test]
    fn si13_is_kept_whole_and_fill_is_not_mistaken_for_it() {
        let f = hex("01 06 00 80 01 58 47 eb 4a 92 43 40 62 84 eb 2b 2b 2b 2b 2b 2b 2b 2b");
        assert_eq!(apply(&f, &classify_ccch_frame(&f)), f);
        let t = hex("01 06 03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 2b 2b 2b");
        assert_eq!(apply(&t, &classify_ccch_frame(&t)), t);
        // A pseudo length of 0 with anything else after it is still treated as fill: masked.
        let g = hex("01 03 00 80 01 58 47 eb 4a 92 43 40 62 84 eb 2b 2b 2b 2b 2b 2b 2b 2b");
        let m = apply(&g, &classify_ccch_frame(&g));
        assert_eq!(m[0], 0x01);
        assert!(m[1..].iter().all(|b| *b == PADDING), "{m:02x?}");
    }

    #[test]
    fn system_information_is_kept_whole() {
        let f = hex("49 06 1b 2b d9 62 f2 20 01 3e c9 03 05 07 d0 00 02 00 00 00 00 00 00");
        assert_eq!(apply(&f, &classify_ccch_frame(&f)), f);
    }

    #[test]
    fn segments_are_private() {
        let f = hex("01 00 4b 09 01 11 22 33 44 55 66 77 88 99 00 11 22 33 44 55 66 77 88");
        let mut t = SegmentTracker::default();
        let m = apply(&f, &t.classify(ChannelKind::Sdcch, 1, 0, &f));
        assert_eq!(&m[..5], &f[..5]);
        assert!(m[5..].iter().all(|b| *b == PADDING));
        // The continuation looks like a System Information header but is content.
        let g = hex("01 02 21 06 1b 11 22 33 44 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b");
        let m = apply(&g, &t.classify(ChannelKind::Sdcch, 1, 0, &g));
        assert_eq!(&m[..3], &g[..3]);
        assert!(m[3..].iter().all(|b| *b == PADDING));
    }
}
