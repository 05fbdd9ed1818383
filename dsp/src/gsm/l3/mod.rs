//! LAPDm framing (TS 44.006) and the RR messages a detector needs (TS 44.018, IEs per TS 24.008):
//! parsing into typed serde structs and building them back (`parse(build(x)) == x`).
//!
//! On BCCH/CCCH a 23-octet L2 frame is the L2 pseudo length octet `(len << 2) | 1` followed by the
//! L3 message (protocol discriminator, message type, IEs), its rest octets and 0x2B fill.
//! Malformed input gives an [`L3Error`], never a panic. Mobile identities print masked.

pub mod bits;
mod ccch;
pub mod dtap;
pub mod freq;
pub mod ie;
pub mod lapdm;
pub mod privacy;
mod si;
pub mod sms;
mod summary;

use serde::{Deserialize, Serialize};

pub use summary::CellSummary;

pub use ccch::{
    ImmediateAssignment, ImmediateAssignmentExtended, ImmediateAssignmentReject, Nln,
    PagingRequest1, PagingRequest2, PagingRequest3,
};
pub use dtap::{
    AuthenticationRequest, CipheringModeCommand, LocationUpdatingAccept, LocationUpdatingRequest,
    Reassembler, Reassembly, ReassemblyCounters, TmsiReallocationCommand,
};
pub use freq::{ListKind, decode_frequency_list, encode_frequency_list};
pub use ie::{
    CellOptions, CellSelection, ChannelDescription, ChannelFrequency, ChannelType,
    ControlChannelDescription, Lai, MobileIdentity, RachControl, RequestReference,
};
pub use lapdm::{
    Control, LapdmFrame, SacchFrame, UKind, build_lapdm_b, build_sacch, is_l2_fill, l2_fill_frame,
    parse_lapdm_b, parse_sacch,
};
pub use si::{
    GprsIndicator, SelectionParameters, Si1, Si2, Si2bis, Si2quater, Si2ter, Si3, Si3Rest, Si4,
    Si4Rest, Si5, Si5ter, Si6, Si13, Si13Gprs,
};
pub use sms::{CpData, RpMessage, SmsAddress, SmsDeliver, Tpdu};

use bits::{BitWriter, PADDING};

/// Protocol discriminator of radio resource management messages.
pub const PD_RR: u8 = 0x06;

/// Why an L2 frame or L3 message could not be parsed or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum L3Error {
    /// The data ended inside the named element.
    #[error("truncated: {0}")]
    Truncated(&'static str),
    /// The first octet is not an L2 pseudo length (`xxxxxx01`).
    #[error("not an L2 pseudo length octet: {0:#04x}")]
    PseudoLength(u8),
    /// A BCD digit above 9 where a digit was expected.
    #[error("bad BCD digit")]
    Bcd,
    /// A frequency list could not be decoded or encoded.
    #[error("frequency list: {0}")]
    FrequencyList(&'static str),
    /// A LAPDm header is inconsistent.
    #[error("LAPDm: {0}")]
    Lapdm(&'static str),
    /// A structural problem in a message.
    #[error("malformed: {0}")]
    Malformed(&'static str),
    /// The message does not fit into one 23-octet frame.
    #[error("message too long for one frame")]
    TooLong,
    /// The builder does not support this variant.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
}

/// An RR message seen on BCCH/CCCH (or any other message, by discriminator and type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)]
pub enum Message {
    /// System Information Type 1.
    Si1(Si1),
    /// System Information Type 2.
    Si2(Si2),
    /// System Information Type 2bis.
    Si2bis(Si2bis),
    /// System Information Type 2ter.
    Si2ter(Si2ter),
    /// System Information Type 2quater.
    Si2quater(Si2quater),
    /// System Information Type 3.
    Si3(Si3),
    /// System Information Type 4.
    Si4(Si4),
    /// System Information Type 13.
    Si13(Si13),
    /// System Information Type 5 (SACCH).
    Si5(Si5),
    /// System Information Type 5bis (SACCH).
    Si5bis(Si5),
    /// System Information Type 5ter (SACCH).
    Si5ter(Si5ter),
    /// System Information Type 6 (SACCH).
    Si6(Si6),
    /// Paging Request Type 1.
    PagingRequest1(PagingRequest1),
    /// Paging Request Type 2.
    PagingRequest2(PagingRequest2),
    /// Paging Request Type 3.
    PagingRequest3(PagingRequest3),
    /// Immediate Assignment.
    ImmediateAssignment(ImmediateAssignment),
    /// Immediate Assignment Extended.
    ImmediateAssignmentExtended(ImmediateAssignmentExtended),
    /// Immediate Assignment Reject.
    ImmediateAssignmentReject(ImmediateAssignmentReject),
    /// RR Ciphering Mode Command (dedicated).
    CipheringModeCommand(CipheringModeCommand),
    /// RR Channel Release (dedicated).
    ChannelRelease {
        /// RR cause (0 = normal event).
        cause: u8,
    },
    /// RR Assignment Command (dedicated; contents not decoded).
    AssignmentCommand,
    /// MM Location Updating Request (uplink; seen on the downlink echoed in the UA).
    LocationUpdatingRequest(LocationUpdatingRequest),
    /// MM Location Updating Accept.
    LocationUpdatingAccept(LocationUpdatingAccept),
    /// MM Location Updating Reject.
    LocationUpdatingReject {
        /// Reject cause (TS 24.008 §10.5.3.6).
        cause: u8,
    },
    /// MM Authentication Request.
    AuthenticationRequest(AuthenticationRequest),
    /// MM Identity Request.
    IdentityRequest {
        /// Requested identity type (1 IMSI, 2 IMEI, 3 IMEISV, 4 TMSI).
        identity_type: u8,
    },
    /// MM Identity Response.
    IdentityResponse(MobileIdentity),
    /// MM TMSI Reallocation Command.
    TmsiReallocationCommand(TmsiReallocationCommand),
    /// MM CM Service Accept.
    CmServiceAccept,
    /// SMS CP-DATA (an RP message: RP-DATA with a TPDU, RP-ACK, …).
    CpData(CpData),
    /// SMS CP-ACK.
    CpAck {
        /// Transaction identifier value.
        transaction_id: u8,
    },
    /// SMS CP-ERROR.
    CpError {
        /// Transaction identifier value.
        transaction_id: u8,
        /// CP cause.
        cause: u8,
    },
    /// Anything else.
    Unknown {
        /// Protocol discriminator (low 4 bits of the first octet).
        protocol_discriminator: u8,
        /// Message type octet.
        message_type: u8,
    },
}

/// Message type codes (TS 44.018 Table 10.4.1).
mod mt {
    pub const SI1: u8 = 0x19;
    pub const SI2: u8 = 0x1a;
    pub const SI2BIS: u8 = 0x02;
    pub const SI2TER: u8 = 0x03;
    pub const SI2QUATER: u8 = 0x07;
    pub const SI3: u8 = 0x1b;
    pub const SI4: u8 = 0x1c;
    pub const SI13: u8 = 0x00;
    pub const SI5: u8 = 0x1d;
    pub const SI5BIS: u8 = 0x05;
    pub const SI5TER: u8 = 0x06;
    pub const SI6: u8 = 0x1e;
    pub const PAGING1: u8 = 0x21;
    pub const PAGING2: u8 = 0x22;
    pub const PAGING3: u8 = 0x24;
    pub const IA: u8 = 0x3f;
    pub const IA_EXT: u8 = 0x39;
    pub const IA_REJ: u8 = 0x3a;
}

impl Message {
    /// A short name: "SI1", "Paging Request Type 1", "Unknown 06/20", …
    pub fn name(&self) -> String {
        match self {
            Message::Si1(_) => "SI1".into(),
            Message::Si2(_) => "SI2".into(),
            Message::Si2bis(_) => "SI2bis".into(),
            Message::Si2ter(_) => "SI2ter".into(),
            Message::Si2quater(_) => "SI2quater".into(),
            Message::Si3(_) => "SI3".into(),
            Message::Si4(_) => "SI4".into(),
            Message::Si13(_) => "SI13".into(),
            Message::Si5(_) => "SI5".into(),
            Message::Si5bis(_) => "SI5bis".into(),
            Message::Si5ter(_) => "SI5ter".into(),
            Message::Si6(_) => "SI6".into(),
            Message::PagingRequest1(_) => "Paging Request Type 1".into(),
            Message::PagingRequest2(_) => "Paging Request Type 2".into(),
            Message::PagingRequest3(_) => "Paging Request Type 3".into(),
            Message::ImmediateAssignment(_) => "Immediate Assignment".into(),
            Message::ImmediateAssignmentExtended(_) => "Immediate Assignment Extended".into(),
            Message::ImmediateAssignmentReject(_) => "Immediate Assignment Reject".into(),
            Message::CipheringModeCommand(_) => "Ciphering Mode Command".into(),
            Message::ChannelRelease { .. } => "Channel Release".into(),
            Message::AssignmentCommand => "Assignment Command".into(),
            Message::LocationUpdatingRequest(_) => "Location Updating Request".into(),
            Message::LocationUpdatingAccept(_) => "Location Updating Accept".into(),
            Message::LocationUpdatingReject { .. } => "Location Updating Reject".into(),
            Message::AuthenticationRequest(_) => "Authentication Request".into(),
            Message::IdentityRequest { .. } => "Identity Request".into(),
            Message::IdentityResponse(_) => "Identity Response".into(),
            Message::TmsiReallocationCommand(_) => "TMSI Reallocation Command".into(),
            Message::CmServiceAccept => "CM Service Accept".into(),
            Message::CpData(d) => match &d.rp {
                RpMessage::Data {
                    tpdu: Tpdu::Deliver(_),
                    ..
                } => "CP-DATA (RP-DATA, SMS-DELIVER)".into(),
                RpMessage::Data { .. } => "CP-DATA (RP-DATA)".into(),
                RpMessage::Ack { .. } => "CP-DATA (RP-ACK)".into(),
                RpMessage::Error { .. } => "CP-DATA (RP-ERROR)".into(),
                RpMessage::Smma { .. } => "CP-DATA (RP-SMMA)".into(),
            },
            Message::CpAck { .. } => "CP-ACK".into(),
            Message::CpError { .. } => "CP-ERROR".into(),
            Message::Unknown {
                protocol_discriminator,
                message_type,
            } => {
                format!("Unknown {protocol_discriminator:02x}/{message_type:02x}")
            }
        }
    }

    /// Builds the 23-octet BCCH/CCCH L2 frame: pseudo length, message, rest octets, 0x2B fill.
    /// `Unknown` cannot be built ([`L3Error::Unsupported`]).
    pub fn build_frame(&self) -> Result<[u8; 23], L3Error> {
        let mut l3 = vec![PD_RR];
        // Pseudo length override where real cells send a value other than the message length.
        let mut pseudo: Option<usize> = None;
        match self {
            Message::Si1(m) => {
                l3.push(mt::SI1);
                si::build_si1(m, &mut l3)?;
            }
            Message::Si2(m) => {
                l3.push(mt::SI2);
                si::build_si2(m, &mut l3)?;
            }
            Message::Si2bis(m) => {
                l3.push(mt::SI2BIS);
                si::build_si2bis(m, &mut l3)?;
            }
            Message::Si2ter(m) => {
                l3.push(mt::SI2TER);
                si::build_si2ter(m, &mut l3)?;
                pseudo = Some(0);
            }
            Message::Si2quater(_) => {
                l3.push(mt::SI2QUATER);
                pseudo = Some(1);
            }
            Message::Si3(m) => {
                l3.push(mt::SI3);
                si::build_si3(m, &mut l3);
            }
            Message::Si4(m) => {
                l3.push(mt::SI4);
                si::build_si4(m, &mut l3)?;
            }
            Message::Si13(_) => {
                l3.push(mt::SI13);
                pseudo = Some(0);
            }
            Message::Si5(m) => {
                l3.push(mt::SI5);
                si::build_si5(m, &mut l3)?;
            }
            Message::Si5bis(m) => {
                l3.push(mt::SI5BIS);
                si::build_si5(m, &mut l3)?;
            }
            Message::Si5ter(m) => {
                l3.push(mt::SI5TER);
                si::build_si5ter(m, &mut l3)?;
            }
            Message::Si6(m) => {
                l3.push(mt::SI6);
                si::build_si6(m, &mut l3);
            }
            Message::PagingRequest1(m) => {
                l3.push(mt::PAGING1);
                ccch::build_paging1(m, &mut l3)?;
            }
            Message::PagingRequest2(m) => {
                l3.push(mt::PAGING2);
                ccch::build_paging2(m, &mut l3)?;
            }
            Message::PagingRequest3(m) => {
                l3.push(mt::PAGING3);
                ccch::build_paging3(m, &mut l3);
            }
            Message::ImmediateAssignment(m) => {
                l3.push(mt::IA);
                ccch::build_ia(m, &mut l3)?;
            }
            Message::ImmediateAssignmentExtended(m) => {
                l3.push(mt::IA_EXT);
                ccch::build_ia_ext(m, &mut l3)?;
            }
            Message::ImmediateAssignmentReject(m) => {
                l3.push(mt::IA_REJ);
                ccch::build_ia_reject(m, &mut l3);
            }
            Message::Unknown { .. } => return Err(L3Error::Unsupported("Unknown message")),
            _ => {
                return Err(L3Error::Unsupported(
                    "dedicated-channel messages are not BCCH/CCCH frames",
                ));
            }
        }
        if l3.len() > 22 {
            return Err(L3Error::TooLong);
        }
        let mut frame = [PADDING; 23];
        frame[0] = ((pseudo.unwrap_or(l3.len()) as u8) << 2) | 1;
        frame[1..1 + l3.len()].copy_from_slice(&l3);
        let mut w = BitWriter::new(&mut frame[1 + l3.len()..]);
        match self {
            Message::Si1(m) => si::rest_si1(m, &mut w),
            Message::Si2quater(m) => si::rest_si2quater(m, &mut w),
            Message::Si3(m) => si::rest_si3(m, &mut w),
            Message::Si4(m) => si::rest_si4(m, &mut w),
            Message::Si13(m) => si::rest_si13(m, &mut w)?,
            Message::PagingRequest1(m) => ccch::rest_paging1(m, &mut w),
            Message::PagingRequest2(m) => ccch::rest_paging2(m, &mut w),
            Message::PagingRequest3(m) => ccch::rest_paging3(m, &mut w),
            _ => {}
        }
        if w.overflowed() {
            return Err(L3Error::TooLong);
        }
        w.pad();
        Ok(frame)
    }
}

/// Parses a BCCH/CCCH L2 frame (B<sub>bis</sub> format: pseudo length octet, then L3).
pub fn parse_ccch_frame(frame: &[u8]) -> Result<Message, L3Error> {
    let first = *frame.first().ok_or(L3Error::Truncated("L2 frame"))?;
    if first & 0x03 != 0x01 {
        return Err(L3Error::PseudoLength(first));
    }
    let len = usize::from(first >> 2);
    let l3 = frame.get(1..).unwrap_or(&[]);
    if len > l3.len() {
        return Err(L3Error::Truncated("L2 pseudo length beyond frame"));
    }
    parse_l3(l3, len)
}

/// Parses an L3 message. `msg` runs to the end of the frame (rest octets included); `l2_len` is the
/// L2 pseudo length (octets covered by mandatory and optional IEs, from the protocol
/// discriminator on).
pub fn parse_l3(msg: &[u8], l2_len: usize) -> Result<Message, L3Error> {
    let [pd_octet, message_type, body @ ..] = msg else {
        return Err(L3Error::Truncated("L3 header"));
    };
    let protocol_discriminator = pd_octet & 0x0f;
    let message_type = *message_type;
    if protocol_discriminator == dtap::PD_MM && pd_octet >> 4 == 0 {
        return dtap::parse_mm(message_type, body);
    }
    if protocol_discriminator == dtap::PD_SMS {
        return dtap::parse_sms(*pd_octet, message_type, body);
    }
    if protocol_discriminator != PD_RR || pd_octet >> 4 != 0 {
        return Ok(Message::Unknown {
            protocol_discriminator,
            message_type,
        });
    }
    let body_len = l2_len.saturating_sub(2);
    Ok(match message_type {
        mt::SI1 => Message::Si1(si::parse_si1(body)?),
        mt::SI2 => Message::Si2(si::parse_si2(body)?),
        mt::SI2BIS => Message::Si2bis(si::parse_si2bis(body)?),
        mt::SI2TER => Message::Si2ter(si::parse_si2ter(body)?),
        mt::SI2QUATER => Message::Si2quater(si::parse_si2quater(body)?),
        mt::SI3 => Message::Si3(si::parse_si3(body)?),
        mt::SI4 => Message::Si4(si::parse_si4(body, body_len)?),
        mt::SI13 => Message::Si13(si::parse_si13(body)?),
        mt::SI5 => Message::Si5(si::parse_si5(body)?),
        mt::SI5BIS => Message::Si5bis(si::parse_si5(body)?),
        mt::SI5TER => Message::Si5ter(si::parse_si5ter(body)?),
        mt::SI6 => Message::Si6(si::parse_si6(body)?),
        mt::PAGING1 => Message::PagingRequest1(ccch::parse_paging1(body, body_len)?),
        mt::PAGING2 => Message::PagingRequest2(ccch::parse_paging2(body, body_len)?),
        mt::PAGING3 => Message::PagingRequest3(ccch::parse_paging3(body, body_len)?),
        mt::IA => Message::ImmediateAssignment(ccch::parse_ia(body, body_len)?),
        mt::IA_EXT => Message::ImmediateAssignmentExtended(ccch::parse_ia_ext(body, body_len)?),
        mt::IA_REJ => Message::ImmediateAssignmentReject(ccch::parse_ia_reject(body)?),
        other => match dtap::parse_rr(other, body)? {
            Some(m) => m,
            None => Message::Unknown {
                protocol_discriminator,
                message_type,
            },
        },
    })
}

impl Message {
    /// Replaces what is private and not a mobile identity — SMS text, SMS addresses — with
    /// masked forms (`[masked: N characters]`, digits as `X`). Mobile identities stay typed: mask
    /// them where they are shown (their `Display` is masked).
    pub fn mask_private(&mut self) {
        if let Message::CpData(d) = self {
            d.mask_private();
        }
    }

    /// Whether the message may carry a subscriber identity or SMS content: deny by default, so
    /// a message whose type is not known (`Unknown`) counts as private. Which octets of a frame
    /// to mask is [`privacy`]'s business.
    pub fn is_private(&self) -> bool {
        match self {
            Message::Unknown { .. } => true,
            Message::PagingRequest1(_)
            | Message::PagingRequest2(_)
            | Message::PagingRequest3(_)
            | Message::LocationUpdatingRequest(_)
            | Message::IdentityResponse(_)
            | Message::TmsiReallocationCommand(_)
            | Message::CpData(_) => true,
            Message::LocationUpdatingAccept(a) => a.identity.is_some(),
            _ => false,
        }
    }
}

/// The empty paging frame idle CCCH blocks carry: Paging Request Type 1, no identity.
pub fn empty_paging() -> Message {
    Message::PagingRequest1(PagingRequest1 {
        page_mode: 0,
        channel_needed: 0,
        identity1: MobileIdentity::None,
        identity2: None,
        nln: None,
        priority1: None,
        priority2: None,
    })
}

/// Parses the L2 frame of a decoded block according to its logical channel: BCCH/CCCH frames carry
/// a pseudo length; SDCCH frames are LAPDm format B; SACCH frames carry the L1 header and format B4.
/// `Ok(None)` for L2 frames without an L3 message (fill, acknowledgements). Segmented messages (M bit)
/// are not reassembled: their first segment parses as far as it goes.
pub fn parse_block(
    kind: crate::gsm::coding::ChannelKind,
    frame: &[u8],
) -> Result<Option<Message>, L3Error> {
    use crate::gsm::coding::ChannelKind;
    match kind {
        ChannelKind::Bcch | ChannelKind::Ccch => parse_ccch_frame(frame).map(Some),
        ChannelKind::Sdcch => {
            let f = parse_lapdm_b(frame)?;
            if f.payload.is_empty() {
                Ok(None)
            } else {
                parse_l3(&f.payload, f.payload.len()).map(Some)
            }
        }
        ChannelKind::Sacch => {
            let f = parse_sacch(frame)?;
            match f.l3.first() {
                Some(b) if b & 0x03 == 0x01 => parse_ccch_frame(&f.l3).map(Some),
                Some(_) => parse_l3(&f.l3, f.l3.len()).map(Some),
                None => Ok(None),
            }
        }
    }
}
