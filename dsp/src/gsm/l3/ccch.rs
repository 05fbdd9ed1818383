//! CCCH messages (TS 44.018 §9.1.18–9.1.24): paging requests and immediate assignments.

use serde::{Deserialize, Serialize};

use super::L3Error;
use super::bits::{BitReader, BitWriter};
use super::ie::{ChannelDescription, MobileIdentity, RequestReference};

fn slice<'a>(
    d: &'a [u8],
    from: usize,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], L3Error> {
    d.get(from..from.saturating_add(len))
        .ok_or(L3Error::Truncated(what))
}

fn byte(d: &[u8], i: usize, what: &'static str) -> Result<u8, L3Error> {
    d.get(i).copied().ok_or(L3Error::Truncated(what))
}

fn tmsi(d: &[u8], from: usize) -> Result<u32, L3Error> {
    let b = slice(d, from, 4, "TMSI")?;
    Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// NLN(PCH) and its status from paging rest octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nln {
    /// Notification list number, 0–3.
    pub nln: u8,
    /// NLN status, 0–1.
    pub status: u8,
}

impl Nln {
    fn read(r: &mut BitReader<'_>) -> Option<Nln> {
        Some(Nln {
            nln: r.bits(2)? as u8,
            status: r.bit()?,
        })
    }
    fn write(&self, w: &mut BitWriter<'_>) {
        w.bits(u32::from(self.nln), 2);
        w.bit(self.status);
    }
}

/// Paging Request Type 1: one or two mobile identities of any kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PagingRequest1 {
    /// Page mode, 0–3 (0 normal paging, 1 extended, 2 reorganisation, 3 same as before).
    pub page_mode: u8,
    /// Channel needed for the identities (raw 4 bits: first in bits 1–0, second in bits 3–2).
    pub channel_needed: u8,
    /// First mobile identity (`MobileIdentity::None` for empty paging).
    pub identity1: MobileIdentity,
    /// Optional second identity.
    pub identity2: Option<MobileIdentity>,
    /// NLN(PCH) from the rest octets.
    pub nln: Option<Nln>,
    /// Priority of the first identity (eMLPP), when present.
    pub priority1: Option<u8>,
    /// Priority of the second identity, when present.
    pub priority2: Option<u8>,
}

/// Paging Request Type 2: two TMSIs and an optional third identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PagingRequest2 {
    /// Page mode, 0–3.
    pub page_mode: u8,
    /// Channel needed (raw 4 bits).
    pub channel_needed: u8,
    /// First TMSI/P-TMSI.
    pub tmsi1: u32,
    /// Second TMSI/P-TMSI.
    pub tmsi2: u32,
    /// Optional third identity.
    pub identity3: Option<MobileIdentity>,
    /// Channel needed for the third identity (rest octets), when present.
    pub cn3: Option<u8>,
    /// NLN(PCH) from the rest octets.
    pub nln: Option<Nln>,
}

/// Paging Request Type 3: four TMSIs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PagingRequest3 {
    /// Page mode, 0–3.
    pub page_mode: u8,
    /// Channel needed (raw 4 bits).
    pub channel_needed: u8,
    /// The four TMSIs/P-TMSIs.
    pub tmsi: [u32; 4],
    /// Channel needed for the third and fourth identities, when present.
    pub cn3_cn4: Option<(u8, u8)>,
    /// NLN(PCH) from the rest octets.
    pub nln: Option<Nln>,
}

impl PagingRequest1 {
    /// Every identity paged.
    pub fn identities(&self) -> Vec<MobileIdentity> {
        let mut v = vec![];
        if self.identity1 != MobileIdentity::None {
            v.push(self.identity1.clone());
        }
        v.extend(
            self.identity2
                .iter()
                .filter(|i| **i != MobileIdentity::None)
                .cloned(),
        );
        v
    }
}

/// Immediate Assignment: a dedicated channel (or TBF) for one access burst.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImmediateAssignment {
    /// Page mode, 0–3.
    pub page_mode: u8,
    /// Dedicated mode or TBF (raw 4 bits; 0 = dedicated channel).
    pub dedicated_or_tbf: u8,
    /// The assigned channel.
    pub channel: ChannelDescription,
    /// Which access it answers.
    pub request: RequestReference,
    /// Timing advance, 0–63.
    pub timing_advance: u8,
    /// Mobile allocation (raw value octets; empty without hopping).
    pub mobile_allocation: Vec<u8>,
    /// Starting time (raw 16 bits), when present.
    pub starting_time: Option<u16>,
}

/// Immediate Assignment Extended: two assignments in one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImmediateAssignmentExtended {
    /// Page mode, 0–3.
    pub page_mode: u8,
    /// First assigned channel.
    pub channel1: ChannelDescription,
    /// First request answered.
    pub request1: RequestReference,
    /// First timing advance.
    pub timing_advance1: u8,
    /// Second assigned channel.
    pub channel2: ChannelDescription,
    /// Second request answered.
    pub request2: RequestReference,
    /// Second timing advance.
    pub timing_advance2: u8,
    /// Mobile allocation (raw value octets).
    pub mobile_allocation: Vec<u8>,
    /// Starting time (raw 16 bits), when present.
    pub starting_time: Option<u16>,
}

/// Immediate Assignment Reject: up to four rejected requests with their wait indications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImmediateAssignmentReject {
    /// Page mode, 0–3.
    pub page_mode: u8,
    /// The four (request reference, wait indication in seconds) pairs.
    pub rejects: [(RequestReference, u8); 4],
}

fn parse_lv_identity(b: &[u8], pos: usize) -> Result<(MobileIdentity, usize), L3Error> {
    let len = usize::from(byte(b, pos, "mobile identity")?);
    let value = slice(b, pos + 1, len, "mobile identity")?;
    Ok((MobileIdentity::parse(value)?, pos + 1 + len))
}

fn push_lv(out: &mut Vec<u8>, value: &[u8]) -> Result<(), L3Error> {
    out.push(u8::try_from(value.len()).map_err(|_| L3Error::TooLong)?);
    out.extend_from_slice(value);
    Ok(())
}

/// Optional `0x17` mobile identity inside the pseudo length.
fn optional_identity(
    b: &[u8],
    pos: usize,
    l3_len: usize,
) -> Result<(Option<MobileIdentity>, usize), L3Error> {
    if pos < l3_len && b.get(pos) == Some(&0x17) {
        let (id, end) = parse_lv_identity(b, pos + 1)?;
        Ok((Some(id), end))
    } else {
        Ok((None, pos))
    }
}

pub(super) fn parse_paging1(b: &[u8], l3_len: usize) -> Result<PagingRequest1, L3Error> {
    let o = byte(b, 0, "paging")?;
    let (identity1, pos) = parse_lv_identity(b, 1)?;
    let (identity2, pos) = optional_identity(b, pos, l3_len)?;
    let mut r = BitReader::new(b.get(pos.max(l3_len)..).unwrap_or(&[]));
    let nln = if r.h() { Nln::read(&mut r) } else { None };
    let priority1 = if r.h() {
        r.bits(3).map(|v| v as u8)
    } else {
        None
    };
    let priority2 = if r.h() {
        r.bits(3).map(|v| v as u8)
    } else {
        None
    };
    Ok(PagingRequest1 {
        page_mode: o & 3,
        channel_needed: o >> 4,
        identity1,
        identity2,
        nln,
        priority1,
        priority2,
    })
}

pub(super) fn build_paging1(m: &PagingRequest1, out: &mut Vec<u8>) -> Result<(), L3Error> {
    out.push((m.channel_needed << 4) | (m.page_mode & 3));
    push_lv(out, &m.identity1.encode()?)?;
    if let Some(id) = &m.identity2 {
        out.push(0x17);
        push_lv(out, &id.encode()?)?;
    }
    Ok(())
}

pub(super) fn rest_paging1(m: &PagingRequest1, w: &mut BitWriter<'_>) {
    w.lh(m.nln.is_some());
    if let Some(n) = &m.nln {
        n.write(w);
    }
    for p in [m.priority1, m.priority2] {
        w.lh(p.is_some());
        if let Some(p) = p {
            w.bits(u32::from(p), 3);
        }
    }
}

pub(super) fn parse_paging2(b: &[u8], l3_len: usize) -> Result<PagingRequest2, L3Error> {
    let o = byte(b, 0, "paging")?;
    let (identity3, pos) = optional_identity(b, 9, l3_len)?;
    let mut r = BitReader::new(b.get(pos.max(l3_len)..).unwrap_or(&[]));
    let cn3 = if r.h() {
        r.bits(2).map(|v| v as u8)
    } else {
        None
    };
    let nln = if r.h() { Nln::read(&mut r) } else { None };
    Ok(PagingRequest2 {
        page_mode: o & 3,
        channel_needed: o >> 4,
        tmsi1: tmsi(b, 1)?,
        tmsi2: tmsi(b, 5)?,
        identity3,
        cn3,
        nln,
    })
}

pub(super) fn build_paging2(m: &PagingRequest2, out: &mut Vec<u8>) -> Result<(), L3Error> {
    out.push((m.channel_needed << 4) | (m.page_mode & 3));
    out.extend_from_slice(&m.tmsi1.to_be_bytes());
    out.extend_from_slice(&m.tmsi2.to_be_bytes());
    if let Some(id) = &m.identity3 {
        out.push(0x17);
        push_lv(out, &id.encode()?)?;
    }
    Ok(())
}

pub(super) fn rest_paging2(m: &PagingRequest2, w: &mut BitWriter<'_>) {
    w.lh(m.cn3.is_some());
    if let Some(c) = m.cn3 {
        w.bits(u32::from(c), 2);
    }
    w.lh(m.nln.is_some());
    if let Some(n) = &m.nln {
        n.write(w);
    }
}

pub(super) fn parse_paging3(b: &[u8], l3_len: usize) -> Result<PagingRequest3, L3Error> {
    let o = byte(b, 0, "paging")?;
    let mut r = BitReader::new(b.get(17usize.max(l3_len)..).unwrap_or(&[]));
    let cn3_cn4 = if r.h() {
        match (r.bits(2), r.bits(2)) {
            (Some(a), Some(c)) => Some((a as u8, c as u8)),
            _ => None,
        }
    } else {
        None
    };
    let nln = if r.h() { Nln::read(&mut r) } else { None };
    Ok(PagingRequest3 {
        page_mode: o & 3,
        channel_needed: o >> 4,
        tmsi: [tmsi(b, 1)?, tmsi(b, 5)?, tmsi(b, 9)?, tmsi(b, 13)?],
        cn3_cn4,
        nln,
    })
}

pub(super) fn build_paging3(m: &PagingRequest3, out: &mut Vec<u8>) {
    out.push((m.channel_needed << 4) | (m.page_mode & 3));
    for t in m.tmsi {
        out.extend_from_slice(&t.to_be_bytes());
    }
}

pub(super) fn rest_paging3(m: &PagingRequest3, w: &mut BitWriter<'_>) {
    w.lh(m.cn3_cn4.is_some());
    if let Some((a, c)) = m.cn3_cn4 {
        w.bits(u32::from(a), 2);
        w.bits(u32::from(c), 2);
    }
    w.lh(m.nln.is_some());
    if let Some(n) = &m.nln {
        n.write(w);
    }
}

fn starting_time(b: &[u8], pos: usize, l3_len: usize) -> Result<Option<u16>, L3Error> {
    if pos < l3_len && b.get(pos) == Some(&0x7c) {
        let s = slice(b, pos + 1, 2, "starting time")?;
        Ok(Some(u16::from_be_bytes([s[0], s[1]])))
    } else {
        Ok(None)
    }
}

pub(super) fn parse_ia(b: &[u8], l3_len: usize) -> Result<ImmediateAssignment, L3Error> {
    let o = byte(b, 0, "immediate assignment")?;
    let ma_len = usize::from(byte(b, 8, "immediate assignment")?);
    let mobile_allocation = slice(b, 9, ma_len, "mobile allocation")?.to_vec();
    Ok(ImmediateAssignment {
        page_mode: o & 3,
        dedicated_or_tbf: o >> 4,
        channel: ChannelDescription::parse(slice(b, 1, 3, "immediate assignment")?)?,
        request: RequestReference::parse(slice(b, 4, 3, "immediate assignment")?)?,
        timing_advance: byte(b, 7, "immediate assignment")? & 0x3f,
        mobile_allocation,
        starting_time: starting_time(b, 9 + ma_len, l3_len)?,
    })
}

pub(super) fn build_ia(m: &ImmediateAssignment, out: &mut Vec<u8>) -> Result<(), L3Error> {
    out.push((m.dedicated_or_tbf << 4) | (m.page_mode & 3));
    out.extend_from_slice(&m.channel.encode());
    out.extend_from_slice(&m.request.encode());
    out.push(m.timing_advance & 0x3f);
    push_lv(out, &m.mobile_allocation)?;
    if let Some(st) = m.starting_time {
        out.push(0x7c);
        out.extend_from_slice(&st.to_be_bytes());
    }
    Ok(())
}

pub(super) fn parse_ia_ext(
    b: &[u8],
    l3_len: usize,
) -> Result<ImmediateAssignmentExtended, L3Error> {
    let o = byte(b, 0, "immediate assignment extended")?;
    let ma_len = usize::from(byte(b, 15, "immediate assignment extended")?);
    Ok(ImmediateAssignmentExtended {
        page_mode: o & 3,
        channel1: ChannelDescription::parse(slice(b, 1, 3, "IA ext")?)?,
        request1: RequestReference::parse(slice(b, 4, 3, "IA ext")?)?,
        timing_advance1: byte(b, 7, "IA ext")? & 0x3f,
        channel2: ChannelDescription::parse(slice(b, 8, 3, "IA ext")?)?,
        request2: RequestReference::parse(slice(b, 11, 3, "IA ext")?)?,
        timing_advance2: byte(b, 14, "IA ext")? & 0x3f,
        mobile_allocation: slice(b, 16, ma_len, "mobile allocation")?.to_vec(),
        starting_time: starting_time(b, 16 + ma_len, l3_len)?,
    })
}

pub(super) fn build_ia_ext(
    m: &ImmediateAssignmentExtended,
    out: &mut Vec<u8>,
) -> Result<(), L3Error> {
    out.push(m.page_mode & 3);
    out.extend_from_slice(&m.channel1.encode());
    out.extend_from_slice(&m.request1.encode());
    out.push(m.timing_advance1 & 0x3f);
    out.extend_from_slice(&m.channel2.encode());
    out.extend_from_slice(&m.request2.encode());
    out.push(m.timing_advance2 & 0x3f);
    push_lv(out, &m.mobile_allocation)?;
    if let Some(st) = m.starting_time {
        out.push(0x7c);
        out.extend_from_slice(&st.to_be_bytes());
    }
    Ok(())
}

pub(super) fn parse_ia_reject(b: &[u8]) -> Result<ImmediateAssignmentReject, L3Error> {
    let o = byte(b, 0, "immediate assignment reject")?;
    let entry = |i: usize| -> Result<(RequestReference, u8), L3Error> {
        let at = 1 + 4 * i;
        Ok((
            RequestReference::parse(slice(b, at, 3, "IA reject")?)?,
            byte(b, at + 3, "IA reject")?,
        ))
    };
    Ok(ImmediateAssignmentReject {
        page_mode: o & 3,
        rejects: [entry(0)?, entry(1)?, entry(2)?, entry(3)?],
    })
}

pub(super) fn build_ia_reject(m: &ImmediateAssignmentReject, out: &mut Vec<u8>) {
    out.push(m.page_mode & 3);
    for (r, w) in &m.rejects {
        out.extend_from_slice(&r.encode());
        out.push(*w);
    }
}
