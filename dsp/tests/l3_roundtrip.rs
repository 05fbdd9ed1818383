//! L3 builders and parsers: `parse(build(x)) == x` for every message the generator needs, frequency
//! lists in every format, masked identities, and garbage that must not panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use towerwatch_dsp::gsm::l3::{
    CellOptions, CellSelection, ChannelDescription, ChannelFrequency, ChannelType,
    ControlChannelDescription, GprsIndicator, ImmediateAssignment, ImmediateAssignmentExtended,
    ImmediateAssignmentReject, L3Error, Lai, ListKind, Message, MobileIdentity, Nln,
    PagingRequest1, PagingRequest2, PagingRequest3, RachControl, RequestReference,
    SelectionParameters, Si1, Si2, Si2bis, Si2quater, Si2ter, Si3, Si3Rest, Si4, Si4Rest, Si5,
    Si5ter, Si6, Si13, Si13Gprs, decode_frequency_list, empty_paging, encode_frequency_list,
    parse_ccch_frame,
};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn rach() -> RachControl {
    RachControl {
        max_retrans: 2,
        tx_integer: 14,
        cell_barred: false,
        re: true,
        acc: 0x0400,
    }
}

fn lai(mnc3: bool) -> Lai {
    Lai {
        mcc: 262,
        mnc: if mnc3 { 10 } else { 2 },
        mnc_3digits: mnc3,
        lac: 0x013e,
    }
}

fn round_trip(m: Message) {
    let frame = m
        .build_frame()
        .unwrap_or_else(|e| panic!("{}: {e}", m.name()));
    assert_eq!(parse_ccch_frame(&frame).unwrap(), m, "{frame:02x?}");
    // Fill is 0x2B to the end.
    assert_eq!(frame.len(), 23);
}

#[test]
fn system_information_round_trips() {
    round_trip(Message::Si1(Si1 {
        cell_channels: vec![725],
        rach: rach(),
        nch_position: Some(0),
        band_indicator_1900: false,
    }));
    round_trip(Message::Si1(Si1 {
        cell_channels: vec![1, 17, 60, 124],
        rach: rach(),
        nch_position: None,
        band_indicator_1900: true,
    }));
    round_trip(Message::Si2(Si2 {
        neighbours: vec![3, 5, 9, 100],
        ext_ind: false,
        ba_ind: true,
        ncc_permitted: 0xff,
        rach: rach(),
    }));
    round_trip(Message::Si2bis(Si2bis {
        neighbours: vec![512, 530, 600],
        ext_ind: true,
        ba_ind: false,
        rach: rach(),
    }));
    round_trip(Message::Si2ter(Si2ter {
        neighbours: vec![4, 6, 75],
        multiband_reporting: 3,
        ba_ind: false,
    }));
    round_trip(Message::Si2ter(Si2ter {
        neighbours: vec![600, 700, 800],
        multiband_reporting: 1,
        ba_ind: true,
    }));
    round_trip(Message::Si2quater(Si2quater {
        ba_ind: false,
        ba_3g_ind: true,
        mp_change_mark: true,
        index: 2,
        count: 3,
    }));
    for mnc3 in [false, true] {
        round_trip(Message::Si3(Si3 {
            cell_identity: 11225,
            lai: lai(mnc3),
            control_channel: ControlChannelDescription {
                mscr: true,
                att: true,
                bs_ag_blks_res: 1,
                ccch_conf: 0,
                cbq3: 0,
                bs_pa_mfrms: 7,
                t3212: 1,
            },
            cell_options: CellOptions {
                pwrc: false,
                dtx: 1,
                radio_link_timeout: 5,
            },
            cell_selection: CellSelection {
                cell_reselect_hysteresis: 3,
                ms_txpwr_max_cch: 5,
                acs: false,
                neci: true,
                rxlev_access_min: 9,
            },
            rach: rach(),
            rest: Si3Rest {
                selection: Some(SelectionParameters {
                    cbq: false,
                    cell_reselect_offset: 30,
                    temporary_offset: 2,
                    penalty_time: 4,
                }),
                power_offset: if mnc3 { None } else { Some(1) },
                si2ter_indicator: true,
                early_classmark_sending: false,
                scheduling_where: if mnc3 { Some(3) } else { None },
                gprs: Some(GprsIndicator {
                    ra_colour: 6,
                    si13_position: 1,
                }),
                ecsr_3g: true,
                si2quater_position: Some(0),
            },
        }));
    }
    round_trip(Message::Si4(Si4 {
        lai: lai(false),
        cell_selection: CellSelection {
            cell_reselect_hysteresis: 2,
            ms_txpwr_max_cch: 0,
            acs: false,
            neci: false,
            rxlev_access_min: 0,
        },
        rach: rach(),
        cbch: Some(ChannelDescription {
            type_and_offset: ChannelDescription::type_bits(ChannelType::Sdcch8(2)),
            timeslot: 1,
            tsc: 3,
            frequency: ChannelFrequency::Single { arfcn: 42 },
        }),
        cbch_mobile_allocation: None,
        rest: Si4Rest {
            selection: None,
            power_offset: None,
            gprs: Some(GprsIndicator {
                ra_colour: 1,
                si13_position: 0,
            }),
        },
    }));
    round_trip(Message::Si13(Si13 {
        bcch_change_mark: 4,
        si_change_field: 0,
        gprs: Some(Si13Gprs {
            rac: 1,
            spgc_ccch_sup: false,
            priority_access_thr: 6,
            network_control_order: 0,
        }),
    }));
    round_trip(Message::Si5(Si5 {
        neighbours: vec![730, 733, 746],
        ext_ind: false,
        ba_ind: true,
    }));
    round_trip(Message::Si5bis(Si5 {
        neighbours: vec![10, 20],
        ext_ind: true,
        ba_ind: false,
    }));
    round_trip(Message::Si5ter(Si5ter {
        neighbours: vec![4, 75],
        multiband_reporting: 2,
        ba_ind: true,
    }));
    round_trip(Message::Si6(Si6 {
        cell_identity: 7,
        lai: lai(true),
        cell_options: 0x15,
        ncc_permitted: 0x78,
    }));
    assert!(matches!(
        Message::Si13(Si13 {
            bcch_change_mark: 0,
            si_change_field: 0,
            gprs: None
        })
        .build_frame(),
        Err(L3Error::Unsupported(_))
    ));
}

#[test]
fn ccch_round_trips() {
    let empty = empty_paging().build_frame().unwrap();
    assert_eq!(&empty[..7], &[0x15, 0x06, 0x21, 0x00, 0x01, 0xf0, 0x2b]);
    round_trip(empty_paging());
    round_trip(Message::PagingRequest1(PagingRequest1 {
        page_mode: 0,
        channel_needed: 0xa,
        identity1: MobileIdentity::Imsi("262021234567812".into()),
        identity2: Some(MobileIdentity::Tmsi(0xdead_beef)),
        nln: Some(Nln { nln: 2, status: 1 }),
        priority1: Some(3),
        priority2: None,
    }));
    round_trip(Message::PagingRequest1(PagingRequest1 {
        page_mode: 1,
        channel_needed: 0,
        identity1: MobileIdentity::Imsi("26202123456781".into()),
        identity2: None,
        nln: None,
        priority1: None,
        priority2: None,
    }));
    round_trip(Message::PagingRequest2(PagingRequest2 {
        page_mode: 0,
        channel_needed: 0,
        tmsi1: 1,
        tmsi2: 0xffff_ffff,
        identity3: Some(MobileIdentity::Imsi("001010000000001".into())),
        cn3: Some(2),
        nln: None,
    }));
    round_trip(Message::PagingRequest3(PagingRequest3 {
        page_mode: 0,
        channel_needed: 5,
        tmsi: [1, 2, 3, 4],
        cn3_cn4: Some((1, 2)),
        nln: Some(Nln { nln: 0, status: 0 }),
    }));
    let sdcch = ChannelDescription {
        type_and_offset: ChannelDescription::type_bits(ChannelType::Sdcch8(1)),
        timeslot: 1,
        tsc: 0,
        frequency: ChannelFrequency::Single { arfcn: 725 },
    };
    round_trip(Message::ImmediateAssignment(ImmediateAssignment {
        page_mode: 0,
        dedicated_or_tbf: 0,
        channel: sdcch,
        request: RequestReference::from_frame_number(0x26, 862_190),
        timing_advance: 1,
        mobile_allocation: vec![],
        starting_time: None,
    }));
    let hopping = ChannelDescription {
        type_and_offset: ChannelDescription::type_bits(ChannelType::TchF),
        timeslot: 3,
        tsc: 5,
        frequency: ChannelFrequency::Hopping { maio: 33, hsn: 17 },
    };
    round_trip(Message::ImmediateAssignment(ImmediateAssignment {
        page_mode: 2,
        dedicated_or_tbf: 0,
        channel: hopping,
        request: RequestReference {
            ra: 0xff,
            t1p: 31,
            t3: 50,
            t2: 25,
        },
        timing_advance: 63,
        mobile_allocation: vec![0x0f, 0x01],
        starting_time: Some(0x1234),
    }));
    round_trip(Message::ImmediateAssignmentExtended(
        ImmediateAssignmentExtended {
            page_mode: 0,
            channel1: sdcch,
            request1: RequestReference::from_frame_number(1, 100),
            timing_advance1: 2,
            channel2: hopping,
            request2: RequestReference::from_frame_number(2, 200),
            timing_advance2: 3,
            mobile_allocation: vec![],
            starting_time: None,
        },
    ));
    round_trip(Message::ImmediateAssignmentReject(
        ImmediateAssignmentReject {
            page_mode: 0,
            rejects: [
                (RequestReference::from_frame_number(1, 10), 5),
                (RequestReference::from_frame_number(2, 20), 6),
                (RequestReference::from_frame_number(3, 30), 7),
                (RequestReference::from_frame_number(4, 40), 8),
            ],
        },
    ));
    // Request reference frame numbers.
    for fn_ in [0u32, 51, 862_190, 2_715_647] {
        let r = RequestReference::from_frame_number(7, fn_);
        assert_eq!(r.frame_number_mod_42432(), fn_ % 42432);
    }
}

#[test]
fn frequency_lists_in_every_format() {
    let mut rng = Rng(0x0f0f_1234);
    let mut formats = std::collections::BTreeMap::new();
    for trial in 0..2000 {
        // Draw a band and a list size; the encoder picks the format.
        let (lo, hi, max_n) = match trial % 6 {
            0 => (1u16, 124u16, 40), // P-GSM: bit map 0
            1 => (512, 885, 16),     // DCS 1800: range formats
            2 => (600, 700, 25),     // DCS narrow: variable bit map / range 128
            3 => (975, 1023, 16),    // E-GSM
            4 => (0, 1023, 16),      // anything, range 1024
            _ => (512, 800, 17),     // range 512
        };
        let n = 1 + rng.below(max_n) as usize;
        let mut set: Vec<u16> = (0..n)
            .map(|_| lo + rng.below(u64::from(hi - lo + 1)) as u16)
            .collect();
        set.sort_unstable();
        set.dedup();
        for kind in [ListKind::Standard, ListKind::Extended] {
            match encode_frequency_list(&set, kind, 0) {
                Ok(ie) => {
                    let format = if ie[0] & 0x80 == 0 {
                        "bitmap0"
                    } else {
                        match (ie[0] >> 1) & 7 {
                            0..=3 => "range1024",
                            4 => "range512",
                            5 => "range256",
                            6 => "range128",
                            _ => "variable",
                        }
                    };
                    *formats.entry(format).or_insert(0) += 1;
                    assert_eq!(
                        decode_frequency_list(&ie, kind).unwrap(),
                        set,
                        "{format} {ie:02x?}"
                    );
                }
                Err(e) => {
                    // Only lists too large for every format may fail.
                    assert!(set.len() > 16, "{set:?}: {e}");
                }
            }
        }
    }
    println!("formats used: {formats:?}");
    for f in [
        "bitmap0",
        "variable",
        "range128",
        "range256",
        "range512",
        "range1024",
    ] {
        assert!(
            formats.get(f).copied().unwrap_or(0) > 0,
            "format {f} never exercised"
        );
    }
    // ARFCN 0 uses F0 of range 1024.
    let ie = encode_frequency_list(&[0, 1000, 10], ListKind::Standard, 0).unwrap();
    assert_eq!(
        decode_frequency_list(&ie, ListKind::Standard).unwrap(),
        vec![0, 10, 1000]
    );
    assert!(encode_frequency_list(&[1024], ListKind::Standard, 0).is_err());
    assert!(decode_frequency_list(&[0x8f; 5], ListKind::Standard).is_err());
}

#[test]
fn identities_are_masked_by_default() {
    let imsi = MobileIdentity::Imsi("262021234567812".into());
    assert_eq!(imsi.to_string(), "IMSI 262-02-XXXXXXXX12");
    assert_eq!(imsi.reveal(), "262021234567812");
    let tmsi = MobileIdentity::Tmsi(0xdead_1a2b);
    assert_eq!(tmsi.to_string(), "TMSI 0x****1A2B");
    assert_eq!(tmsi.reveal(), "0xDEAD1A2B");
    for id in [
        imsi,
        tmsi,
        MobileIdentity::Imei("35693803564380".into()),
        MobileIdentity::None,
    ] {
        assert_eq!(MobileIdentity::parse(&id.encode().unwrap()).unwrap(), id);
    }
    assert_eq!(MobileIdentity::parse(&[0x19, 0xfa]), Err(L3Error::Bcd));
    // Odd input never panics the masking, and is rejected by the encoder.
    let odd = MobileIdentity::Imsi("ééééééééé12".into());
    assert_eq!(odd.to_string(), "IMSI ééé-éé-XXXX12");
    assert_eq!(odd.encode(), Err(L3Error::Bcd));
    assert_eq!(MobileIdentity::Imsi("1234".into()).to_string(), "IMSI XXXX");
    assert!(MobileIdentity::parse(&[]).is_err());
    assert!(MobileIdentity::parse(&[0xf4, 1, 2]).is_err());
}

#[test]
fn garbage_never_panics() {
    let mut rng = Rng(0xbad_f00d);
    let mut parsed = 0;
    let mut errors = 0;
    for _ in 0..50_000 {
        let mut frame = [0u8; 23];
        frame.iter_mut().for_each(|b| *b = rng.next() as u8);
        // Half the time make it look like an RR message to reach the message parsers.
        if rng.below(2) == 0 {
            frame[0] = (frame[0] & 0xfc) | 1;
            frame[1] = 0x06;
            frame[2] = [
                0x19, 0x1a, 0x02, 0x03, 0x07, 0x1b, 0x1c, 0x00, 0x21, 0x22, 0x24, 0x3f, 0x39, 0x3a,
                0x1d, 0x05, 0x06, 0x1e,
            ][rng.below(18) as usize];
        }
        let len = rng.below(24) as usize;
        match parse_ccch_frame(&frame[..len]) {
            Ok(m) => {
                parsed += 1;
                // Anything we parse and can build again parses to itself.
                if let Ok(b) = m.build_frame() {
                    assert_eq!(parse_ccch_frame(&b).unwrap(), m);
                }
            }
            Err(_) => errors += 1,
        }
        let _ = towerwatch_dsp::gsm::l3::parse_lapdm_b(&frame[..len]);
        let _ = towerwatch_dsp::gsm::l3::parse_sacch(&frame[..len]);
    }
    println!("garbage: {parsed} parsed, {errors} rejected");
    assert!(errors > 0 && parsed > 0);
}
