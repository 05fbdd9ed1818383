//! The generator's use of the L3 message builders ([`crate::gsm::l3`]) for CCCH content.
//! A builder error (which valid inputs never cause) degrades to the L2 fill frame.

use super::messages::{FILL_FRAME, PagedId};
use crate::gsm::l3::{
    ChannelDescription, ChannelFrequency, ChannelType, ImmediateAssignment, Message,
    MobileIdentity, PagingRequest1, PagingRequest2, PagingRequest3, RequestReference,
};

fn frame(m: &Message) -> [u8; 23] {
    m.build_frame().unwrap_or(FILL_FRAME)
}

/// Paging Request Type 1 with no identity ("empty paging").
pub(crate) fn empty_paging() -> [u8; 23] {
    frame(&crate::gsm::l3::empty_paging())
}

fn identity(id: &PagedId, mcc: u16, mnc: u16, mnc3: bool) -> MobileIdentity {
    match *id {
        PagedId::Tmsi(t) => MobileIdentity::Tmsi(t),
        PagedId::Imsi(msin) => {
            let mnc = if mnc3 {
                format!("{mnc:03}")
            } else {
                format!("{mnc:02}")
            };
            let msin_digits = 15 - 3 - mnc.len();
            MobileIdentity::Imsi(format!(
                "{mcc:03}{mnc}{:0w$}",
                msin % 10u64.pow(msin_digits as u32),
                w = msin_digits
            ))
        }
    }
}

/// Paging Request Type 1 with one or two identities of any kind.
pub(crate) fn paging1(ids: &[PagedId], mcc: u16, mnc: u16, mnc3: bool) -> [u8; 23] {
    let Some(first) = ids.first() else {
        return empty_paging();
    };
    frame(&Message::PagingRequest1(PagingRequest1 {
        page_mode: 0,
        channel_needed: 0,
        identity1: identity(first, mcc, mnc, mnc3),
        identity2: ids.get(1).map(|i| identity(i, mcc, mnc, mnc3)),
        nln: None,
        priority1: None,
        priority2: None,
    }))
}

/// Paging Request Type 2 with two TMSIs.
pub(crate) fn paging2(tmsi: [u32; 2]) -> [u8; 23] {
    frame(&Message::PagingRequest2(PagingRequest2 {
        page_mode: 0,
        channel_needed: 0,
        tmsi1: tmsi[0],
        tmsi2: tmsi[1],
        identity3: None,
        cn3: None,
        nln: None,
    }))
}

/// Paging Request Type 3 with four TMSIs.
pub(crate) fn paging3(tmsi: [u32; 4]) -> [u8; 23] {
    frame(&Message::PagingRequest3(PagingRequest3 {
        page_mode: 0,
        channel_needed: 0,
        tmsi,
        cn3_cn4: None,
        nln: None,
    }))
}

/// Immediate Assignment of SDCCH/8 sub-channel `sub` on timeslot `ts` of C0 (`arfcn`, `tsc`),
/// answering access `ra` sent in frame `req_fn`, timing advance `ta`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn immediate_assignment(
    ra: u8,
    req_fn: u32,
    ts: u8,
    sub: u8,
    ta: u8,
    arfcn: u16,
    tsc: u8,
) -> [u8; 23] {
    frame(&Message::ImmediateAssignment(ImmediateAssignment {
        page_mode: 0,
        dedicated_or_tbf: 0,
        channel: ChannelDescription {
            type_and_offset: ChannelDescription::type_bits(ChannelType::Sdcch8(sub & 7)),
            timeslot: ts & 7,
            tsc: tsc & 7,
            frequency: ChannelFrequency::Single { arfcn },
        },
        request: RequestReference::from_frame_number(ra, req_fn),
        timing_advance: ta & 63,
        mobile_allocation: Vec::new(),
        starting_time: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gsm::l3::parse_ccch_frame;

    #[test]
    fn messages_parse_back() {
        let f = paging1(
            &[PagedId::Imsi(123_456_789), PagedId::Tmsi(0xdead_beef)],
            262,
            1,
            false,
        );
        match parse_ccch_frame(&f).unwrap() {
            Message::PagingRequest1(p) => {
                assert_eq!(p.identity1, MobileIdentity::Imsi("262010123456789".into()));
                assert_eq!(p.identity2, Some(MobileIdentity::Tmsi(0xdead_beef)));
            }
            m => panic!("{m:?}"),
        }
        assert!(matches!(
            parse_ccch_frame(&paging2([1, 2])).unwrap(),
            Message::PagingRequest2(_)
        ));
        assert!(matches!(
            parse_ccch_frame(&paging3([1, 2, 3, 4])).unwrap(),
            Message::PagingRequest3(_)
        ));
        match parse_ccch_frame(&immediate_assignment(0x23, 1000, 1, 3, 5, 20, 4)).unwrap() {
            Message::ImmediateAssignment(ia) => {
                assert_eq!(ia.request.ra, 0x23);
                assert_eq!(ia.timing_advance, 5);
                assert_eq!(ia.channel.channel_type(), ChannelType::Sdcch8(3));
            }
            m => panic!("{m:?}"),
        }
        assert_eq!(empty_paging()[..6], [0x15, 0x06, 0x21, 0x00, 0x01, 0xf0]);
    }
}
