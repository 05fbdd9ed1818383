//! Property tests for the parsers (issue 9, hardening): raw files of any length, SigMF metadata
//! with arbitrary JSON values, L3 on arbitrary 23-octet frames (and identity masking), burst
//! listing lines on arbitrary strings. Case counts are bounded so the file runs in seconds; the
//! coverage-guided fuzz targets in `fuzz/` go further.

use num_complex::Complex32;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::PathBuf;
use towerwatch::pipeline::gsm::{frame_hex, masked_json};
use towerwatch::sink::gsmtap::mask_identities;
use towerwatch::source::sigmf::SigmfMeta;
use towerwatch::source::{FileOptions, SampleFormat, open_file};
use towerwatch_dsp::gsm::coding::{BurstLineError, parse_burst_line};
use towerwatch_dsp::gsm::l3::{Message, MobileIdentity, parse_ccch_frame};

const FORMATS: [SampleFormat; 4] = [
    SampleFormat::Cu8,
    SampleFormat::Ci8,
    SampleFormat::Ci16Le,
    SampleFormat::Cf32Le,
];

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("cf32_le"),
            Just("ci8"),
            Just("cu8"),
            Just("ri16_le"),
            Just("")
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("core:sample_start".to_string()),
                    Just("core:frequency".to_string()),
                    Just("core:datetime".to_string()),
                    "[a-z:]{1,8}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn identities(m: &Message) -> Vec<MobileIdentity> {
    let mut v = match m {
        Message::PagingRequest1(p) => p.identities(),
        Message::PagingRequest2(p) => {
            let mut v = vec![MobileIdentity::Tmsi(p.tmsi1), MobileIdentity::Tmsi(p.tmsi2)];
            v.extend(p.identity3.iter().cloned());
            v
        }
        Message::PagingRequest3(p) => p.tmsi.iter().map(|t| MobileIdentity::Tmsi(*t)).collect(),
        _ => vec![],
    };
    v.retain(|i| match i {
        // All zeros is what masking writes (valid BCD, issue 18): not an identity to find.
        MobileIdentity::Imsi(d) | MobileIdentity::Imei(d) | MobileIdentity::Imeisv(d) => {
            d.len() >= 2 && !d.chars().all(|c| c == '0')
        }
        MobileIdentity::Tmsi(t) => *t != u32::MAX,
        _ => false,
    });
    v
}

/// A 23-octet frame that often is a paging message: pseudo length, PD RR, a paging type.
fn arb_frame() -> impl Strategy<Value = [u8; 23]> {
    (
        prop::array::uniform23(any::<u8>()),
        0u8..23,
        prop_oneof![Just(0x21u8), Just(0x22), Just(0x24), any::<u8>()],
        any::<bool>(),
    )
        .prop_map(|(mut f, len, mt, shape)| {
            if shape {
                f[0] = (len << 2) | 1;
                f[1] = 0x06;
                f[2] = mt;
            }
            f
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// A raw file of any length opens iff it holds a whole, non-zero number of samples, and
    /// yields exactly that many, all finite for the integer formats and within full scale.
    #[test]
    fn raw_reader_any_length(bytes in prop::collection::vec(any::<u8>(), 0..1200), fi in 0usize..4) {
        let fmt = FORMATS[fi];
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.bin");
        std::fs::write(&p, &bytes).unwrap();
        let opts = FileOptions { format: Some(fmt), rate_sps: Some(1e6), freq_hz: None, check_hash: false };
        let bps = fmt.bytes_per_sample();
        match open_file(&p, &opts) {
            Err(e) => prop_assert!(bytes.is_empty() || bytes.len() % bps != 0, "refused: {e}"),
            Ok(mut src) => {
                prop_assert!(!bytes.is_empty() && bytes.len() % bps == 0);
                let mut buf = vec![Complex32::new(0.0, 0.0); 97];
                let mut total = 0usize;
                loop {
                    let n = src.read(&mut buf).unwrap();
                    if n == 0 { break; }
                    if fmt != SampleFormat::Cf32Le {
                        prop_assert!(buf[..n].iter().all(|s| s.re.abs() <= 1.0 && s.im.abs() <= 1.0));
                    }
                    total += n;
                }
                prop_assert_eq!(total, bytes.len() / bps);
            }
        }
    }

    /// SigMF metadata with arbitrary JSON in the places the parser reads never panics, and what
    /// it accepts is a usable description: positive finite rate, sorted non-empty segments.
    #[test]
    fn sigmf_meta_arbitrary_json(
        rate in arb_json(), dt in arb_json(), caps in arb_json(), ann in arb_json(),
        sha in arb_json(), whole in arb_json(), pick in 0u8..3,
    ) {
        let doc = match pick {
            0 => whole,
            1 => json!({"global": {"core:datatype": dt, "core:sample_rate": rate, "core:sha512": sha},
                        "captures": caps, "annotations": ann}),
            _ => json!({"global": {"core:datatype": "cf32_le", "core:sample_rate": 1e6},
                        "captures": [caps], "annotations": [ann]}),
        };
        let r = SigmfMeta::parse(&doc.to_string(), PathBuf::from("p.sigmf-meta"), PathBuf::from("p.sigmf-data"));
        if let Ok(m) = r {
            prop_assert!(m.sample_rate_sps.is_finite() && m.sample_rate_sps > 0.0);
            prop_assert!(!m.segments.is_empty());
            prop_assert!(m.segments.windows(2).all(|w| w[0].sample_start <= w[1].sample_start));
        }
    }

    /// Any 23-octet frame: the CCCH parser never panics, and every sink's masked form hides the
    /// identities the clear frame carries (hex listing, JSON, GSMTAP payload).
    #[test]
    fn l3_any_23_octet_frame(frame in arb_frame()) {
        let Ok(m) = parse_ccch_frame(&frame) else { return Ok(()); };
        prop_assert_eq!(frame_hex(&frame, &m, false).split(' ').count(), 23);
        let json = masked_json(&m, false).to_string();
        for key in ["\"Imsi\"", "\"Imei\"", "\"Imeisv\"", "\"Tmsi\""] {
            prop_assert!(!json.contains(key), "clear identity in {}", json);
        }
        let clear = identities(&m);
        if let Ok(mm) = parse_ccch_frame(&mask_identities(&frame)) {
            for id in identities(&mm) {
                prop_assert!(!clear.contains(&id), "GSMTAP masking left {:?}", id);
            }
        }
    }

    /// Any string: the burst-line parser never panics; what it accepts prints back to itself.
    #[test]
    fn burst_line_any_string(s in prop_oneof![
        ".{0,200}",
        "[0-9]{1,8} [0-9] [0-9] [01]{140,150}",
        "[0-9 \t]{0,20}[01x ]{0,160}",
    ]) {
        if let Ok(b) = parse_burst_line(&s) {
            prop_assert!(b.timeslot < 8);
            let bits: String = b.bits.iter().map(|&x| if x == 1 { '1' } else { '0' }).collect();
            let again = parse_burst_line(&format!("{} {} {} {bits}", b.frame_number, b.timeslot, b.subtype));
            prop_assert_eq!(again, Ok(b));
        }
    }

    /// A well-formed line always parses to its values.
    #[test]
    fn burst_line_well_formed(fn_ in any::<u32>(), ts in 0u8..8, sub in any::<u8>(), bits in prop::collection::vec(0u8..2, 148)) {
        let text: String = bits.iter().map(|&x| if x == 1 { '1' } else { '0' }).collect();
        let b = parse_burst_line(&format!("  {fn_}\t{ts} {sub} {text}\n")).unwrap();
        prop_assert_eq!((b.frame_number, b.timeslot, b.subtype), (fn_, ts, sub));
        prop_assert_eq!(b.bits.to_vec(), bits);
        prop_assert_eq!(parse_burst_line(&format!("{fn_} 8 {sub} {text}")).is_err(), true);
        let short = &text[..147];
        prop_assert_eq!(parse_burst_line(&format!("{fn_} {ts} {sub} {short}")), Err(BurstLineError::BitCount(147)));
    }
}
