//! Deny-by-default masking (issue 18, class 0): no mobile identity survives masking, whatever the
//! message type, known or not, and wherever the identity sits; masked frames keep their structure.
//! Plus the reproduction itself: `decode-bursts` on the real call capture showed the TMSI of a
//! Paging Response (an `Unknown 06/27` to the parser) in clear.

use crate::common;

use common::towerwatch;
use proptest::prelude::*;
use std::path::Path;
use std::process::Command;
use towerwatch::privacy;
use towerwatch_dsp::gsm::coding::ChannelKind;
use towerwatch_dsp::gsm::l3::privacy::Octet;
use towerwatch_dsp::gsm::l3::{Message, MobileIdentity, parse_block};

/// Mobile Identity values (TS 24.008 §10.5.1.4) with random digits: IMSI (15 digits), IMEI (15),
/// IMEISV (16), TMSI/P-TMSI (4 octets).
fn identity() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (prop::collection::vec(0u8..10, 15), 1u8..=2).prop_map(|(d, ty)| bcd(&d, ty)),
        prop::collection::vec(0u8..10, 16).prop_map(|d| bcd(&d, 3)),
        prop::array::uniform4(any::<u8>()).prop_map(|t| {
            let mut v = vec![0xf4];
            v.extend_from_slice(&t);
            v
        }),
    ]
}

fn bcd(digits: &[u8], ty: u8) -> Vec<u8> {
    let odd = digits.len() % 2 == 1;
    let mut v = vec![(digits[0] << 4) | (u8::from(odd) << 3) | ty];
    for pair in digits[1..].chunks(2) {
        let hi = pair.get(1).copied().unwrap_or(0xf);
        v.push((hi << 4) | pair[0]);
    }
    v
}

/// An L3 message with protocol discriminator octet `pd`, type `mt`, `body`, and a Mobile Identity
/// LV (or TLV, tag 0x17) inserted at `pos` of the body. Returns the message and the range of the
/// identity value in it.
fn with_identity(
    pd: u8,
    mt: u8,
    body: &[u8],
    pos: usize,
    id: &[u8],
    tlv: bool,
) -> (Vec<u8>, std::ops::Range<usize>) {
    let pos = pos.min(body.len());
    let mut m = vec![pd, mt];
    m.extend_from_slice(&body[..pos]);
    if tlv {
        m.push(0x17);
    }
    m.push(id.len() as u8);
    let start = m.len();
    m.extend_from_slice(id);
    m.extend_from_slice(&body[pos..]);
    (m, start..start + id.len())
}

/// Digits of an identity value (every nibble except the type nibble of its first octet).
fn digit_nibbles(v: &[u8]) -> Vec<u8> {
    let mut d = vec![v[0] >> 4];
    for b in &v[1..] {
        d.push(b & 0x0f);
        d.push(b >> 4);
    }
    d
}

/// Messages that carry a Mobile Identity at a place fixed by their layout: (PD octet, type, the
/// octets before the identity's length octet).
fn known_carriers() -> Vec<(u8, u8, Vec<u8>)> {
    vec![
        // Paging Response: CKSN, classmark 2 LV.
        (0x06, 0x27, vec![0x07, 0x03, 0x50, 0x59, 0xa6]),
        // Paging Request 1: page mode.
        (0x06, 0x21, vec![0x00]),
        // CM Service Request / Re-establishment: type+CKSN, classmark 2 LV.
        (0x05, 0x24, vec![0x71, 0x03, 0x57, 0x58, 0xa6]),
        (0x05, 0x28, vec![0x01, 0x03, 0x57, 0x58, 0xa6]),
        // LU Request: type/CKSN, LAI, classmark 1.
        (0x05, 0x08, vec![0x70, 0x62, 0xf2, 0x20, 0x03, 0xe9, 0x33]),
        // IMSI Detach Indication: classmark 1.
        (0x05, 0x01, vec![0x33]),
        // Identity Response.
        (0x05, 0x19, vec![]),
        // TMSI Reallocation Command: LAI.
        (0x05, 0x1a, vec![0x62, 0xf2, 0x20, 0x03, 0xe9]),
    ]
}

/// Messages whose layout says where identities are (the carriers, Paging Request 2/3, Location
/// Updating Accept; MM types ignore the N(SD) bits).
fn fixed_layout(pd: u8, mt: u8) -> bool {
    match pd {
        0x06 => matches!(mt, 0x21 | 0x22 | 0x24 | 0x27),
        0x05 => matches!(mt & 0x3f, 0x01 | 0x02 | 0x08 | 0x19 | 0x1a | 0x24 | 0x28),
        _ => false,
    }
}

/// Whether a layout keeps this message type whole (System Information, assignments, …): such
/// messages carry no identity, so nothing is claimed of bytes inserted into them.
fn clear_type(pd: u8, mt: u8) -> bool {
    let f = {
        let mut f = [0x2bu8; 23];
        f[0] = 0x01;
        f[1] = 0x03;
        f[2] = (20 << 2) | 1;
        f[3] = pd;
        f[4] = mt;
        for b in &mut f[5..] {
            *b = 0x11;
        }
        f
    };
    privacy::apply(
        &f,
        &privacy::dedicated_classes(ChannelKind::Sdcch, &f, false),
    ) == f
}

/// A LAPDm format-B UA frame (as the network echoes an initial message) carrying `msg`.
fn sdcch_frame(msg: &[u8]) -> [u8; 23] {
    let mut f = [0x2bu8; 23];
    let n = msg.len().min(20);
    f[0] = 0x01;
    f[1] = 0x73;
    f[2] = ((n as u8) << 2) | 1;
    f[3..3 + n].copy_from_slice(&msg[..n]);
    f
}

fn ccch_frame(msg: &[u8]) -> [u8; 23] {
    let mut f = [0x2bu8; 23];
    let n = msg.len().min(22);
    f[0] = ((n as u8) << 2) | 1;
    f[1..1 + n].copy_from_slice(&msg[..n]);
    f
}

/// Every identity our parser reads from `frame` (as JSON in clear).
fn parsed_identities(kind: ChannelKind, frame: &[u8; 23]) -> Vec<MobileIdentity> {
    let mut ids = vec![];
    if let Ok(Some(m)) = parse_block(kind, frame) {
        match m {
            Message::PagingRequest1(p) => {
                ids.push(p.identity1);
                ids.extend(p.identity2);
            }
            Message::LocationUpdatingRequest(r) => ids.push(r.identity),
            Message::LocationUpdatingAccept(a) => ids.extend(a.identity),
            Message::IdentityResponse(i) => ids.push(i),
            Message::TmsiReallocationCommand(t) => ids.push(t.identity),
            _ => {}
        }
    }
    ids
}

fn assert_identity_masked(masked: &[u8], at: std::ops::Range<usize>, clear: &[u8]) {
    let got = &masked[at.start..at.end.min(masked.len())];
    if got.is_empty() {
        return;
    }
    // Type and odd/even bits stay; IMSI/IMEI/IMEISV digits become 0 (fillers stay fillers),
    // TMSI octets ff.
    assert_eq!(got[0] & 0x0f, clear[0] & 0x0f, "type bits kept");
    let bcd = matches!(clear[0] & 0x07, 1..=3);
    let ok = digit_nibbles(got)
        .iter()
        .zip(digit_nibbles(clear))
        .all(|(m, c)| {
            if bcd {
                *m == 0 || (c == 0xf && *m == 0xf)
            } else {
                *m == 0xf
            }
        });
    assert!(
        ok,
        "identity digits survive: clear {clear:02x?} masked {got:02x?}"
    );
}

/// Whatever identity the parser reads from a masked frame holds nothing: TMSIs are ff ff ff ff,
/// BCD identities zeros only.
fn assert_parsed_masked(ids: &[MobileIdentity]) {
    for mi in ids {
        match mi {
            MobileIdentity::Tmsi(t) => assert_eq!(*t, 0xffff_ffff, "{mi:?}"),
            MobileIdentity::None => {}
            MobileIdentity::Other { raw, .. } => {
                assert!(
                    raw.first().is_none_or(|b| b >> 4 == 0xf)
                        && raw.iter().skip(1).all(|b| *b == 0xff),
                    "{mi:?}"
                );
            }
            MobileIdentity::Imsi(d) | MobileIdentity::Imei(d) | MobileIdentity::Imeisv(d) => {
                assert!(d.chars().all(|c| c == '0'), "{mi:?}");
            }
        }
    }
}

/// No octet of the identity at `at` is kept (shown as received).
fn assert_identity_hidden(classes: &[Octet], at: std::ops::Range<usize>) {
    for i in at.start..at.end.min(classes.len()) {
        assert_ne!(
            classes[i],
            Octet::Keep,
            "identity octet {i} kept: {classes:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Any message type of any protocol (known or not), an identity anywhere in its body (as LV
    /// or as an optional TLV): unless the type is one kept whole (no identity in its layout), no
    /// digit of the identity survives masking, on SDCCH and on CCCH.
    #[test]
    fn no_identity_survives_in_any_message_type(
        pd in prop_oneof![Just(0x06u8), Just(0x05), Just(0x09), Just(0x03), Just(0x08), any::<u8>()],
        mt in any::<u8>(),
        body in prop::collection::vec(any::<u8>(), 0..12),
        pos in 0usize..12,
        id in identity(),
        tlv in any::<bool>(),
    ) {
        let (msg, at) = with_identity(pd, mt, &body, pos, &id, tlv);
        prop_assume!(!clear_type(pd, mt));
        prop_assume!(at.end <= 20);
        // In a message whose layout places its identities (the next test), octets elsewhere are
        // its fixed fields or rest octets: bytes placed there are not an identity.
        prop_assume!(!fixed_layout(pd, mt));
        let f = sdcch_frame(&msg);
        let classes = privacy::dedicated_classes(ChannelKind::Sdcch, &f, false);
        assert_identity_hidden(&classes[3..], at.clone());
        let m = privacy::apply(&f, &classes);
        prop_assert_eq!(&m[..5], &f[..5]);
        if at.end <= 22 {
            let f = ccch_frame(&msg);
            assert_identity_hidden(&privacy::ccch_classes(&f)[1..], at);
        }
    }

    /// Messages that carry identities by layout: the identity and any further Mobile Identity
    /// TLV are masked digit by digit, lengths and tags unchanged; the masked frame still parses
    /// to the same message type, and whatever identity the parser reads from it is masked.
    #[test]
    fn known_carriers_mask_digits_not_structure(
        which in 0usize..8,
        id in identity(),
        id2 in identity(),
        extra in any::<bool>(),
    ) {
        let (pd, mt, fixed) = known_carriers()[which].clone();
        let mut msg = vec![pd, mt];
        msg.extend_from_slice(&fixed);
        msg.push(id.len() as u8);
        let at = msg.len()..msg.len() + id.len();
        msg.extend_from_slice(&id);
        let mut at2 = None;
        if extra && msg.len() + 2 + id2.len() <= 20 {
            msg.push(0x17);
            msg.push(id2.len() as u8);
            at2 = Some(msg.len()..msg.len() + id2.len());
            msg.extend_from_slice(&id2);
        }
        for (kind, f, off) in [
            (ChannelKind::Sdcch, sdcch_frame(&msg), 3usize),
            (ChannelKind::Ccch, ccch_frame(&msg), 1),
        ] {
            if kind == ChannelKind::Ccch && pd != 0x06 {
                continue;
            }
            let classes = match kind {
                ChannelKind::Ccch => privacy::ccch_classes(&f),
                _ => privacy::dedicated_classes(kind, &f, false),
            };
            let m = privacy::apply(&f, &classes);
            assert_identity_masked(&m[off..], at.clone(), &id);
            if let Some(r) = &at2 {
                assert_identity_masked(&m[off..], r.clone(), &id2);
                prop_assert_eq!(m[off + r.start - 2], 0x17);
                prop_assert_eq!(m[off + r.start - 1], id2.len() as u8);
            }
            // Header, lengths kept.
            prop_assert_eq!(&m[..off + 2], &f[..off + 2]);
            prop_assert_eq!(m[off + at.start - 1], id.len() as u8);
            assert_parsed_masked(&parsed_identities(kind, &m));
        }
    }

    /// Random frames on every channel: whatever identity our parser reads from a masked frame
    /// holds no digit of the clear frame's identity (every TMSI is ff ff ff ff, every BCD digit
    /// a filler), and masking is idempotent.
    #[test]
    fn parser_reads_no_identity_from_masked_random_frames(
        bytes in prop::array::uniform23(any::<u8>()),
        kind in prop_oneof![Just(ChannelKind::Ccch), Just(ChannelKind::Sdcch), Just(ChannelKind::Sacch)],
    ) {
        let classes = match kind {
            ChannelKind::Ccch => privacy::ccch_classes(&bytes),
            _ => privacy::dedicated_classes(kind, &bytes, false),
        };
        let m = privacy::apply(&bytes, &classes);
        assert_parsed_masked(&parsed_identities(kind, &m));
        let again = match kind {
            ChannelKind::Ccch => privacy::ccch_classes(&m),
            _ => privacy::dedicated_classes(kind, &m, false),
        };
        prop_assert_eq!(privacy::apply(&m, &again), m);
    }
}

/// The reproduction of issue 18 class 0, on the real call capture: every TMSI/IMSI the clear
/// listing shows (Paging Responses among them) is absent from the default listing.
#[test]
fn decode_bursts_masks_paging_response_tmsi_on_real_capture() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/recordings/vf-call6-arfcn725.bursts.txt");
    if !f.exists() {
        eprintln!("SKIPPED: {} absent", f.display());
        return;
    }
    let run = |reveal: bool| {
        let mut c = towerwatch();
        c.args(["decode-bursts", f.to_str().unwrap(), "--sdcch8", "1"]);
        if reveal {
            c.arg("--reveal-identities");
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let clear = run(true);
    let masked = run(false);
    // The identity of the issue: a TMSI (05 f4 …) in a Paging Response.
    assert!(
        clear.contains("05 f4 01 5c 57 03"),
        "clear listing lost the TMSI"
    );
    assert!(!masked.contains("01 5c 57 03"), "TMSI in clear:\n{masked}");
    // Every line with a Mobile Identity TLV/LV of a TMSI in clear has it masked by default.
    let mut n = 0;
    for (c, m) in clear.lines().zip(masked.lines()) {
        if let Some(i) = c.find("05 f4 ") {
            let tmsi = &c[i + 6..(i + 17).min(c.len())];
            if tmsi.len() == 11 && tmsi != "ff ff ff ff" {
                n += 1;
                assert!(!m.contains(tmsi), "{m}");
            }
        }
        if c.contains("[Unknown") {
            // Unknown messages: nothing past the header.
            let fields: Vec<&str> = m.split_whitespace().collect();
            assert!(fields.iter().filter(|f| **f == "**").count() > 0, "{m}");
        }
    }
    assert!(n > 0, "no TMSI seen in the clear listing");
}

/// Issue 22 item 13 / issue 18: a masked pcap still dissects in Wireshark — no malformed packet,
/// no expert warning — and every IMSI in it reads as zeros, on the bundled scenes that page by
/// IMSI. Skipped without tshark (CI installs it).
#[test]
fn masked_pcaps_dissect_cleanly_in_tshark() {
    if Command::new("tshark").arg("-v").output().is_err() {
        eprintln!("SKIPPED: tshark is not installed (apt-get install -y tshark)");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let mut imsis = 0;
    for scene in ["legit-quiet", "sms-blaster"] {
        let rec =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("recordings/{scene}.sigmf-meta"));
        let pcap = d.path().join(format!("{scene}.pcap"));
        let out = towerwatch()
            .args(["replay", "--no-detect", "-o", "/dev/null", "--pcap"])
            .arg(&pcap)
            .arg(&rec)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tshark = |filter: &str, field: &str| {
            let o = Command::new("tshark")
                .arg("-r")
                .arg(&pcap)
                .args(["-Y", filter, "-T", "fields", "-e", field])
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8(o.stdout).unwrap()
        };
        let bad = tshark(
            "_ws.malformed || _ws.expert.severity >= warning",
            "frame.number",
        );
        assert!(
            bad.trim().is_empty(),
            "{scene}: malformed or flagged frames {bad}"
        );
        for imsi in tshark("e212.imsi", "e212.imsi").lines() {
            imsis += 1;
            assert!(
                imsi.chars().all(|c| c == '0' || c == ','),
                "{scene}: IMSI {imsi}"
            );
        }
        for tmsi in tshark("gsm_a.tmsi", "gsm_a.tmsi").lines() {
            assert!(
                tmsi.split(',').all(|t| t == "4294967295"),
                "{scene}: TMSI {tmsi}"
            );
        }
    }
    assert!(
        imsis > 0,
        "no IMSI paging in the scenes: the test proves nothing"
    );
}
