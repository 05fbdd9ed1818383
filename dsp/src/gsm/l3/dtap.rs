//! Messages seen in clear on a dedicated channel (SDCCH) before ciphering starts: RR (TS 44.018
//! §9.1), MM (TS 24.008 §9.2) and SMS (see [`super::sms`]); and the reassembly of LAPDm
//! I-frames segmented with the M bit (TS 44.006 §5.8.2).

use serde::{Deserialize, Serialize};

use super::ie::{Lai, MobileIdentity};
use super::lapdm::{Control, LapdmFrame};
use super::{L3Error, Message};

/// Protocol discriminator of mobility management messages.
pub const PD_MM: u8 = 0x05;
/// Protocol discriminator of SMS (CP layer).
pub const PD_SMS: u8 = 0x09;

/// RR message types of dedicated mode (TS 44.018 Table 10.4.1).
pub(crate) mod rr {
    pub const CHANNEL_RELEASE: u8 = 0x0d;
    pub const ASSIGNMENT_COMMAND: u8 = 0x2e;
    pub const CIPHERING_MODE_COMMAND: u8 = 0x35;
}

/// MM message types (TS 24.008 Table 10.2).
pub(crate) mod mm {
    pub const LU_ACCEPT: u8 = 0x02;
    pub const LU_REJECT: u8 = 0x04;
    pub const LU_REQUEST: u8 = 0x08;
    pub const AUTH_REQUEST: u8 = 0x12;
    pub const IDENTITY_REQUEST: u8 = 0x18;
    pub const IDENTITY_RESPONSE: u8 = 0x19;
    pub const TMSI_REALLOC_COMMAND: u8 = 0x1a;
    pub const CM_SERVICE_ACCEPT: u8 = 0x21;
}

/// Ciphering Mode Command (TS 44.018 §9.1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CipheringModeCommand {
    /// Whether ciphering starts (SC bit).
    pub start_ciphering: bool,
    /// The algorithm, A5/`n` (1–7), when ciphering starts.
    pub algorithm: Option<u8>,
    /// Whether the mobile must include its IMEISV in the Ciphering Mode Complete.
    pub imeisv_requested: bool,
}

/// Location Updating Request (TS 24.008 §9.2.15), as echoed by the network in the UA of
/// contention resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationUpdatingRequest {
    /// Location updating type (0 normal, 1 periodic, 2 IMSI attach).
    pub update_type: u8,
    /// Ciphering key sequence number (7 = no key).
    pub cksn: u8,
    /// The location area the mobile was registered in.
    pub lai: Lai,
    /// The mobile's identity.
    pub identity: MobileIdentity,
}

/// Location Updating Accept (TS 24.008 §9.2.13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationUpdatingAccept {
    /// The location area the mobile is now registered in.
    pub lai: Lai,
    /// A new TMSI (or the IMSI), when allocated.
    pub identity: Option<MobileIdentity>,
    /// Follow-on proceed.
    pub follow_on_proceed: bool,
}

/// TMSI Reallocation Command (TS 24.008 §9.2.17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TmsiReallocationCommand {
    /// Location area.
    pub lai: Lai,
    /// The new identity.
    pub identity: MobileIdentity,
}

/// Authentication Request (TS 24.008 §9.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticationRequest {
    /// Ciphering key sequence number.
    pub cksn: u8,
    /// The 128-bit random challenge.
    pub rand: [u8; 16],
    /// Whether a UMTS AUTN follows (3G authentication).
    pub autn: bool,
}

fn get(data: &[u8], i: usize, what: &'static str) -> Result<u8, L3Error> {
    data.get(i).copied().ok_or(L3Error::Truncated(what))
}

fn lv<'a>(data: &'a [u8], at: usize, what: &'static str) -> Result<&'a [u8], L3Error> {
    let len = usize::from(get(data, at, what)?);
    data.get(at + 1..at + 1 + len)
        .ok_or(L3Error::Truncated(what))
}

/// Parses a dedicated-mode RR message by type; `None` when the type is not one of them.
pub(crate) fn parse_rr(message_type: u8, body: &[u8]) -> Result<Option<Message>, L3Error> {
    Ok(Some(match message_type {
        rr::CIPHERING_MODE_COMMAND => {
            let o = get(body, 0, "cipher mode setting")?;
            let sc = o & 1 != 0;
            Message::CipheringModeCommand(CipheringModeCommand {
                start_ciphering: sc,
                algorithm: sc.then_some(((o >> 1) & 7) + 1),
                imeisv_requested: o & 0x10 != 0,
            })
        }
        rr::CHANNEL_RELEASE => Message::ChannelRelease {
            cause: get(body, 0, "RR cause")?,
        },
        rr::ASSIGNMENT_COMMAND => Message::AssignmentCommand,
        _ => return Ok(None),
    }))
}

/// Parses an MM message (after the PD octet; the message type's N(SD) bits are ignored).
pub(crate) fn parse_mm(message_type: u8, body: &[u8]) -> Result<Message, L3Error> {
    let mt = message_type & 0x3f;
    Ok(match mt {
        mm::LU_REQUEST => {
            let o = get(body, 0, "location updating type")?;
            let lai = Lai::parse(body.get(1..).unwrap_or(&[]))?;
            // body[6] is mobile station classmark 1, then the mobile identity LV.
            let id = lv(body, 7, "mobile identity")?;
            Message::LocationUpdatingRequest(LocationUpdatingRequest {
                update_type: o & 0x03,
                cksn: (o >> 4) & 0x07,
                lai,
                identity: MobileIdentity::parse(id)?,
            })
        }
        mm::LU_ACCEPT => {
            let lai = Lai::parse(body)?;
            let mut identity = None;
            let mut follow_on_proceed = false;
            let mut at = 5;
            while let Some(&iei) = body.get(at) {
                match iei {
                    0x17 => {
                        identity =
                            Some(MobileIdentity::parse(lv(body, at + 1, "mobile identity")?)?);
                        at += 2 + usize::from(get(body, at + 1, "mobile identity")?);
                    }
                    0xa1 => {
                        follow_on_proceed = true;
                        at += 1;
                    }
                    // Fill after the message (segments are reassembled, frames may be padded).
                    0x2b => break,
                    _ if iei & 0x80 != 0 => at += 1,
                    _ => at += 2 + usize::from(get(body, at + 1, "optional IE")?),
                }
            }
            Message::LocationUpdatingAccept(LocationUpdatingAccept {
                lai,
                identity,
                follow_on_proceed,
            })
        }
        mm::LU_REJECT => Message::LocationUpdatingReject {
            cause: get(body, 0, "reject cause")?,
        },
        mm::AUTH_REQUEST => {
            let cksn = get(body, 0, "ciphering key sequence number")? & 0x07;
            let rand: [u8; 16] = body
                .get(1..17)
                .and_then(|s| s.try_into().ok())
                .ok_or(L3Error::Truncated("RAND"))?;
            Message::AuthenticationRequest(AuthenticationRequest {
                cksn,
                rand,
                autn: body.get(17) == Some(&0x20),
            })
        }
        mm::IDENTITY_REQUEST => Message::IdentityRequest {
            identity_type: get(body, 0, "identity type")? & 0x07,
        },
        mm::IDENTITY_RESPONSE => {
            Message::IdentityResponse(MobileIdentity::parse(lv(body, 0, "mobile identity")?)?)
        }
        mm::TMSI_REALLOC_COMMAND => {
            let lai = Lai::parse(body)?;
            Message::TmsiReallocationCommand(TmsiReallocationCommand {
                lai,
                identity: MobileIdentity::parse(lv(body, 5, "mobile identity")?)?,
            })
        }
        mm::CM_SERVICE_ACCEPT => Message::CmServiceAccept,
        _ => Message::Unknown {
            protocol_discriminator: PD_MM,
            message_type: mt,
        },
    })
}

/// Parses an SMS CP message.
pub(crate) fn parse_sms(pd_octet: u8, message_type: u8, body: &[u8]) -> Result<Message, L3Error> {
    let transaction_id = (pd_octet >> 4) & 7;
    Ok(match message_type {
        super::sms::cp::DATA => Message::CpData(super::sms::parse_cp_data(pd_octet, body)?),
        super::sms::cp::ACK => Message::CpAck { transaction_id },
        super::sms::cp::ERROR => Message::CpError {
            transaction_id,
            cause: get(body, 0, "CP cause")?,
        },
        _ => Message::Unknown {
            protocol_discriminator: PD_SMS,
            message_type,
        },
    })
}

/// What [`Reassembler::push`] made of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reassembly {
    /// The frame carries no L3 information (U or S frame without payload, or not an I-frame).
    NoMessage,
    /// A segment was stored; more follow (M bit set).
    Segment,
    /// A whole L3 message: a single I-frame or the last segment with the ones before it.
    Message(Vec<u8>),
    /// The frame repeats the previous I-frame (same N(S)): ignored.
    Repeat,
}

/// Counters of a [`Reassembler`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReassemblyCounters {
    /// I-frames seen.
    pub i_frames: u64,
    /// Messages completed from more than one segment.
    pub reassembled: u64,
    /// Partial messages dropped (N(S) gap, too long, or too many links open).
    pub dropped: u64,
    /// Repeated I-frames ignored.
    pub repeats: u64,
}

#[derive(Debug, Clone)]
struct Link {
    key: (u8, u8, u8),
    buf: Vec<u8>,
    /// N(S) of the last I-frame taken.
    last_ns: Option<u8>,
    /// Order of last use (for eviction).
    used: u64,
}

/// Reassembles L3 messages from LAPDm I-frames per link (timeslot, sub-channel, SAPI). State is
/// bounded: at most [`Reassembler::MAX_LINKS`] links, [`Reassembler::MAX_MESSAGE`] octets each.
#[derive(Debug, Clone, Default)]
pub struct Reassembler {
    links: Vec<Link>,
    clock: u64,
    counters: ReassemblyCounters,
}

impl Reassembler {
    /// Links tracked at once (the least recently used is dropped beyond).
    pub const MAX_LINKS: usize = 64;
    /// Longest L3 message accepted (TS 44.006 N201 × segments; 251 octets in practice).
    pub const MAX_MESSAGE: usize = 251;

    /// An empty reassembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counters so far.
    pub fn counters(&self) -> ReassemblyCounters {
        self.counters
    }

    /// Forgets the link (e.g. after a channel release or a new assignment of the sub-channel).
    pub fn reset(&mut self, timeslot: u8, sub_channel: u8) {
        let on = |l: &Link| l.key.0 == timeslot && l.key.1 == sub_channel;
        let partial = self
            .links
            .iter()
            .filter(|l| on(l) && !l.buf.is_empty())
            .count();
        self.counters.dropped += partial as u64;
        self.links.retain(|l| !on(l));
    }

    /// Whether a segmented message is being collected on link (`timeslot`, `sub_channel`,
    /// `sapi`): the next I-frame there continues it.
    pub fn pending(&self, timeslot: u8, sub_channel: u8, sapi: u8) -> bool {
        self.links
            .iter()
            .any(|l| l.key == (timeslot, sub_channel, sapi) && !l.buf.is_empty())
    }

    /// Takes one SDCCH frame of link (`timeslot`, `sub_channel`, the frame's SAPI).
    pub fn push(&mut self, timeslot: u8, sub_channel: u8, f: &LapdmFrame) -> Reassembly {
        let Control::I { ns, .. } = f.control else {
            return Reassembly::NoMessage;
        };
        self.counters.i_frames += 1;
        self.clock += 1;
        let key = (timeslot, sub_channel, f.sapi);
        let i = match self.links.iter().position(|l| l.key == key) {
            Some(i) => i,
            None => {
                if self.links.len() >= Self::MAX_LINKS
                    && let Some((j, _)) = self.links.iter().enumerate().min_by_key(|(_, l)| l.used)
                {
                    if !self.links[j].buf.is_empty() {
                        self.counters.dropped += 1;
                    }
                    self.links.swap_remove(j);
                }
                self.links.push(Link {
                    key,
                    buf: Vec::new(),
                    last_ns: None,
                    used: 0,
                });
                self.links.len() - 1
            }
        };
        let Some(link) = self.links.get_mut(i) else {
            return Reassembly::NoMessage;
        };
        link.used = self.clock;
        if link.last_ns == Some(ns) {
            self.counters.repeats += 1;
            return Reassembly::Repeat;
        }
        if !link.buf.is_empty() && link.last_ns.map(|n| (n + 1) & 7) != Some(ns) {
            // A segment went missing: what was collected cannot be completed.
            link.buf.clear();
            self.counters.dropped += 1;
        }
        link.last_ns = Some(ns);
        let segmented = !link.buf.is_empty();
        link.buf.extend_from_slice(&f.payload);
        if link.buf.len() > Self::MAX_MESSAGE {
            link.buf.clear();
            self.counters.dropped += 1;
            return Reassembly::NoMessage;
        }
        if f.more {
            return Reassembly::Segment;
        }
        if segmented {
            self.counters.reassembled += 1;
        }
        Reassembly::Message(std::mem::take(&mut link.buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gsm::l3::lapdm::parse_lapdm_b;

    fn frame(ns: u8, more: bool, payload: &[u8]) -> LapdmFrame {
        LapdmFrame {
            sapi: 3,
            command_response: true,
            lpd: 0,
            control: Control::I {
                ns,
                nr: 0,
                p: false,
            },
            more,
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn segments_join_gaps_drop_repeats_ignored() {
        let mut r = Reassembler::new();
        assert_eq!(r.push(1, 2, &frame(0, true, &[1, 2])), Reassembly::Segment);
        assert_eq!(r.push(1, 2, &frame(0, true, &[1, 2])), Reassembly::Repeat);
        assert_eq!(
            r.push(1, 3, &frame(0, false, &[9])),
            Reassembly::Message(vec![9])
        );
        assert_eq!(
            r.push(1, 2, &frame(1, false, &[3])),
            Reassembly::Message(vec![1, 2, 3])
        );
        assert_eq!(r.counters().reassembled, 1);
        // A gap drops the partial message.
        assert_eq!(r.push(1, 2, &frame(2, true, &[4])), Reassembly::Segment);
        assert_eq!(
            r.push(1, 2, &frame(4, false, &[6])),
            Reassembly::Message(vec![6])
        );
        assert_eq!(r.counters().dropped, 1);
        let ua = parse_lapdm_b(&[0x01, 0x73, 0x01]).unwrap();
        assert_eq!(r.push(1, 2, &ua), Reassembly::NoMessage);
    }

    #[test]
    fn dedicated_messages_parse() {
        let m = super::super::parse_l3(&[0x06, 0x35, 0x01], 3).unwrap();
        assert_eq!(
            m,
            Message::CipheringModeCommand(CipheringModeCommand {
                start_ciphering: true,
                algorithm: Some(1),
                imeisv_requested: false
            })
        );
        let m = super::super::parse_l3(&[0x06, 0x0d, 0x00], 3).unwrap();
        assert_eq!(m, Message::ChannelRelease { cause: 0 });
        let m = super::super::parse_l3(&[0x05, 0x18, 0x01], 3).unwrap();
        assert_eq!(m, Message::IdentityRequest { identity_type: 1 });
        let m = super::super::parse_l3(
            &[
                0x05, 0x59, 0x08, 0x29, 0x26, 0x10, 0x21, 0x43, 0x65, 0x87, 0x09,
            ],
            11,
        )
        .unwrap();
        assert_eq!(
            m,
            Message::IdentityResponse(MobileIdentity::Imsi("262011234567890".into()))
        );
        // Truncated → error, never a panic.
        for n in 0..11 {
            let _ = super::super::parse_l3(
                &[
                    0x05, 0x19, 0x08, 0x29, 0x26, 0x01, 0x21, 0x43, 0x65, 0x87, 0x09,
                ][..n],
                n,
            );
        }
        assert!(super::super::parse_l3(&[0x05, 0x02, 0x62], 3).is_err());
    }
}
