//! The generator's use of the L3 message builders ([`crate::gsm::l3`]) for CCCH content.
//! A builder error (which valid inputs never cause) degrades to the L2 fill frame.

use crate::gsm::l3::{
    ChannelDescription, ChannelFrequency, ChannelType, ImmediateAssignment, Message,
    MobileIdentity, PagingRequest1, PagingRequest2, PagingRequest3, RequestReference,
};

/// A paged mobile identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PagedId {
    Tmsi(u32),
    /// IMSI MSIN (the rest of the IMSI after MCC/MNC), up to 10 digits.
    Imsi(u64),
}

/// The LAPDm fill frame.
pub(crate) const FILL_FRAME: [u8; 23] = [
    0x03, 0x03, 0x01, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b,
    0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b,
];

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

/// The L2 fill frame of an idle SDCCH (osmocom's: UI, SAPI 0, no information).
pub(crate) const SDCCH_FILL: [u8; 23] = [
    0x01, 0x03, 0x01, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b,
    0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b, 0x2b,
];

/// One downlink SDCCH block of a dialogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SdcchBlock {
    /// A frame sent in clear.
    Clear([u8; 23]),
    /// A ciphered block (the receiver sees noise-like bits that fail the Fire code).
    Ciphered,
}

/// A LAPDm format-B frame (TS 44.006 §2.3, §3): address (SAPI, C/R, EA), control, length
/// (L, M, EL), information, 0x2B fill. `payload` must be at most 20 octets.
fn lapdm(sapi: u8, command: bool, control: u8, more: bool, payload: &[u8]) -> [u8; 23] {
    let mut f = [0x2bu8; 23];
    f[0] = ((sapi & 7) << 2) | (u8::from(command) << 1) | 1;
    f[1] = control;
    let n = payload.len().min(20);
    f[2] = ((n as u8) << 2) | (u8::from(more) << 1) | 1;
    f[3..3 + n].copy_from_slice(&payload[..n]);
    f
}

/// I-frame control octet: N(S), N(R), P = 0.
fn i_ctrl(ns: u8, nr: u8) -> u8 {
    ((nr & 7) << 5) | ((ns & 7) << 1)
}

/// An L3 message as I-frames on `sapi`, segmented into 20-octet pieces with the M bit, N(S)
/// counting from `ns`. Returns the frames and the next N(S).
fn i_frames(sapi: u8, ns: u8, nr: u8, msg: &[u8]) -> (Vec<SdcchBlock>, u8) {
    let mut out = Vec::new();
    let mut ns = ns;
    let chunks: Vec<&[u8]> = msg.chunks(20).collect();
    for (k, c) in chunks.iter().enumerate() {
        let more = k + 1 < chunks.len();
        out.push(SdcchBlock::Clear(lapdm(
            sapi,
            true,
            i_ctrl(ns, nr),
            more,
            c,
        )));
        ns = (ns + 1) & 7;
    }
    (out, ns)
}

/// LAI value octets (TS 24.008 §10.5.1.3).
fn lai(mcc: u16, mnc: u16, mnc3: bool, lac: u16) -> [u8; 5] {
    crate::gsm::l3::Lai {
        mcc,
        mnc,
        mnc_3digits: mnc3,
        lac,
    }
    .encode()
}

/// Who a dialogue talks to and what it says.
pub(crate) struct DialogueParams<'a> {
    /// The cell's MCC, MNC, 3-digit MNC flag and LAC.
    pub(crate) plmn: (u16, u16, bool, u16),
    /// The mobile's IMSI digits (15).
    pub(crate) imsi: String,
    /// The mobile's old TMSI (normal cells) and the TMSI a blaster hands out.
    pub(crate) tmsi: (u32, u32),
    /// RAND of the authentication (normal cells).
    pub(crate) rand: [u8; 16],
    /// SMS sender (alphanumeric unless all digits) and text (blasters).
    pub(crate) sms: (&'a str, &'a str),
    /// Service-centre timestamp octets (TP-SCTS, 7 semi-octet-swapped octets).
    pub(crate) scts: [u8; 7],
}

/// A Location Updating Request (TS 24.008 §9.2.15), echoed by the network in the UA that
/// resolves contention: `update_type`, CKSN, the LAI the phone was in, classmark 1, identity.
fn lu_request(update_type: u8, cksn: u8, lai: [u8; 5], identity: &[u8]) -> Vec<u8> {
    let mut m = vec![0x05, 0x08, (cksn << 4) | update_type];
    m.extend_from_slice(&lai);
    m.push(0x57); // MS classmark 1: rev. level 2 (R99+), ES IND, A5/1, RF power class 4
    m.push(identity.len() as u8);
    m.extend_from_slice(identity);
    m
}

fn imsi_ie(imsi: &str) -> Vec<u8> {
    MobileIdentity::Imsi(imsi.to_string())
        .encode()
        .unwrap_or_else(|_| vec![0xf0])
}

fn tmsi_ie(tmsi: u32) -> Vec<u8> {
    let mut v = vec![0xf4];
    v.extend_from_slice(&tmsi.to_be_bytes());
    v
}

/// The TPDU of an SMS-DELIVER (TS 23.040 §9.2.2.1) with GSM 7-bit text.
pub(crate) fn sms_deliver_tpdu(sender: &str, text: &str, scts: &[u8; 7]) -> Vec<u8> {
    use crate::gsm::l3::sms::{bcd_encode, gsm7_encode, gsm7_pack};
    // TP-MTI 00 (SMS-DELIVER), TP-MMS 1 (no more messages).
    let mut t = vec![0x04];
    let numeric = !sender.is_empty() && sender.bytes().all(|b| b.is_ascii_digit());
    if numeric {
        t.push(sender.len() as u8);
        t.push(0x91);
        t.extend(bcd_encode(sender));
    } else {
        let packed = gsm7_pack(&gsm7_encode(sender), 0);
        // Length in semi-octets of the packed value (TS 23.040 §9.1.2.5).
        let semi = (gsm7_encode(sender).len() * 7).div_ceil(4);
        t.push(semi as u8);
        t.push(0xd0);
        t.extend(packed);
    }
    t.push(0x00); // TP-PID
    t.push(0x00); // TP-DCS: GSM 7-bit default alphabet
    t.extend_from_slice(scts);
    let septets = gsm7_encode(text);
    t.push(septets.len().min(160) as u8);
    t.extend(gsm7_pack(&septets[..septets.len().min(160)], 0));
    t
}

/// CP-DATA (TS 24.011 §7.2.1) carrying RP-DATA network → mobile (§7.3.1.1): RP-MTI 1, message
/// reference, RP-OA (the service centre), empty RP-DA, RP-User data with `tpdu`. Transaction 0,
/// sent by the side that chose it (TI flag 0).
pub(crate) fn cp_data_rp_data(reference: u8, sc: &str, tpdu: &[u8]) -> Vec<u8> {
    use crate::gsm::l3::sms::bcd_encode;
    let mut rp = vec![0x01, reference];
    let sc_digits = bcd_encode(sc);
    rp.push(1 + sc_digits.len() as u8);
    rp.push(0x91);
    rp.extend(sc_digits);
    rp.push(0x00);
    rp.push(tpdu.len() as u8);
    rp.extend_from_slice(tpdu);
    let mut m = vec![0x09, 0x01, rp.len() as u8];
    m.extend(rp);
    m
}

/// The downlink SDCCH dialogue of an SMS blaster after its Immediate Assignment: UA echoing the
/// phone's Location Updating Request (IMSI attach), Identity Request (IMSI), Location Updating
/// Accept with a new TMSI, SABM on SAPI 3, the SMS as CP-DATA (segmented I-frames), CP-ACK of
/// the phone's RP-ACK, Channel Release, one fill frame. N(R) counts the phone's I-frames
/// (Identity Response, TMSI Reallocation Complete on SAPI 0; CP-ACK, CP-DATA/RP-ACK on SAPI 3).
pub(crate) fn blaster_dialogue(p: &DialogueParams<'_>) -> Vec<SdcchBlock> {
    let (mcc, mnc, mnc3, lac) = p.plmn;
    let mut out = Vec::new();
    // The phone comes from the real network's location area (the blaster copies the PLMN).
    let old_lai = lai(mcc, mnc, mnc3, lac ^ 0x0101);
    let lur = lu_request(2, 7, old_lai, &imsi_ie(&p.imsi));
    out.push(SdcchBlock::Clear(lapdm(0, false, 0x73, false, &lur)));
    let (f, ns) = i_frames(0, 0, 0, &[0x05, 0x18, 0x01]);
    out.extend(f);
    let mut acc = vec![0x05, 0x02];
    acc.extend_from_slice(&lai(mcc, mnc, mnc3, lac));
    acc.push(0x17);
    let id = tmsi_ie(p.tmsi.1);
    acc.push(id.len() as u8);
    acc.extend(id);
    let (f, ns) = i_frames(0, ns, 1, &acc);
    out.extend(f);
    // SABM on SAPI 3 (command, P = 1) for the mobile-terminated SMS.
    out.push(SdcchBlock::Clear(lapdm(3, true, 0x3f, false, &[])));
    let tpdu = sms_deliver_tpdu(p.sms.0, p.sms.1, &p.scts);
    let sc = format!("{mcc:03}{mnc:02}0000000");
    let cp = cp_data_rp_data(0x2a, &sc, &tpdu);
    let (f, ns3) = i_frames(3, 0, 0, &cp);
    out.extend(f);
    let (f, _) = i_frames(3, ns3, 2, &[0x09, 0x04]);
    out.extend(f);
    let (f, _) = i_frames(0, ns, 2, &[0x06, 0x0d, 0x00]);
    out.extend(f);
    out.push(SdcchBlock::Clear(SDCCH_FILL));
    out
}

/// The dialogue of a normal cell: UA echoing a periodic Location Updating Request (old TMSI),
/// Authentication Request, Ciphering Mode Command (A5/1), then ciphered blocks only.
pub(crate) fn normal_dialogue(p: &DialogueParams<'_>) -> Vec<SdcchBlock> {
    let (mcc, mnc, mnc3, lac) = p.plmn;
    let mut out = Vec::new();
    let lur = lu_request(1, 0, lai(mcc, mnc, mnc3, lac), &tmsi_ie(p.tmsi.0));
    out.push(SdcchBlock::Clear(lapdm(0, false, 0x73, false, &lur)));
    let mut auth = vec![0x05, 0x12, 0x00];
    auth.extend_from_slice(&p.rand);
    let (f, ns) = i_frames(0, 0, 0, &auth);
    out.extend(f);
    let (f, _) = i_frames(0, ns, 1, &[0x06, 0x35, 0x01]);
    out.extend(f);
    // Location Updating Accept, TMSI Reallocation, Channel Release…: ciphered.
    out.extend(std::iter::repeat_n(SdcchBlock::Ciphered, 5));
    out
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

    #[test]
    fn dialogues_parse_back() {
        use crate::gsm::l3::{Reassembler, Reassembly, RpMessage, Tpdu, parse_l3, parse_lapdm_b};
        let text = "Pay 1.99 EUR now: http://x.example/p [ok] €";
        let p = DialogueParams {
            plmn: (262, 1, false, 7777),
            imsi: "262011234567890".into(),
            tmsi: (0x1122_3344, 0x5566_7788),
            rand: [7; 16],
            sms: ("DHL", text),
            scts: [0x62, 0x11, 0x72, 0x32, 0x85, 0x00, 0x00],
        };
        let mut r = Reassembler::new();
        let mut msgs = Vec::new();
        let blocks = blaster_dialogue(&p);
        for b in &blocks {
            let SdcchBlock::Clear(f) = b else {
                panic!("blaster ciphers")
            };
            let lf = parse_lapdm_b(f).unwrap();
            assert!(lf.payload.len() <= 20);
            let bytes = match r.push(1, 2, &lf) {
                Reassembly::Message(m) => m,
                Reassembly::NoMessage if !lf.payload.is_empty() => lf.payload.clone(),
                _ => continue,
            };
            msgs.push(parse_l3(&bytes, bytes.len()).unwrap());
        }
        // UA, Identity Request, LU Accept, SABM, the CP-DATA in 20-octet segments, CP-ACK,
        // Channel Release, fill.
        let cp = cp_data_rp_data(
            0x2a,
            "262010000000",
            &sms_deliver_tpdu("DHL", text, &p.scts),
        );
        assert!(cp.len() > 40);
        assert_eq!(blocks.len(), 7 + cp.len().div_ceil(20));
        assert_eq!(r.counters().reassembled, 1);
        assert_eq!(
            msgs.iter().map(Message::name).collect::<Vec<_>>(),
            [
                "Location Updating Request",
                "Identity Request",
                "Location Updating Accept",
                "CP-DATA (RP-DATA, SMS-DELIVER)",
                "CP-ACK",
                "Channel Release"
            ]
        );
        match &msgs[0] {
            Message::LocationUpdatingRequest(l) => {
                assert_eq!(l.identity, MobileIdentity::Imsi("262011234567890".into()));
                assert_eq!(l.update_type, 2);
            }
            m => panic!("{m:?}"),
        }
        match &msgs[2] {
            Message::LocationUpdatingAccept(a) => {
                assert_eq!(a.lai.lac, 7777);
                assert_eq!(a.identity, Some(MobileIdentity::Tmsi(0x5566_7788)));
            }
            m => panic!("{m:?}"),
        }
        match &msgs[3] {
            Message::CpData(d) => match &d.rp {
                RpMessage::Data {
                    tpdu: Tpdu::Deliver(s),
                    originator: Some(sc),
                    ..
                } => {
                    assert_eq!(s.text, text);
                    assert_eq!(s.originator.value, "DHL");
                    assert_eq!(s.timestamp, "26-11-27 23:58:00 +00");
                    assert_eq!(sc.value, "262010000000");
                }
                rp => panic!("{rp:?}"),
            },
            m => panic!("{m:?}"),
        }
        // A numeric sender is BCD.
        let t = sms_deliver_tpdu("4917012345", "hi", &p.scts);
        let d = crate::gsm::l3::sms::parse_sms_deliver(&t).unwrap();
        assert_eq!(d.originator.value, "4917012345");
        assert_eq!(d.text, "hi");
        // Every truncation of the SMS is an error, never a panic.
        let cp = cp_data_rp_data(1, "262010000000", &t);
        for n in 0..cp.len() {
            assert!(parse_l3(&cp[..n], n).is_err(), "{n}");
        }
        // The normal cell: UA, Authentication Request, Ciphering Mode Command, then ciphered.
        let n = normal_dialogue(&p);
        assert!(matches!(n[2], SdcchBlock::Clear(f) if f[3..6] == [0x06, 0x35, 0x01]));
        assert!(n[3..].iter().all(|b| *b == SdcchBlock::Ciphered));
    }
}
