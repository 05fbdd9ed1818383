//! L2/L3 frames: any bytes as a 23-octet frame on every logical channel (BCCH/CCCH pseudo length,
//! SDCCH LAPDm B, SACCH with L1 header), plus what the sinks do with a parsed frame: the cell
//! summary, the hex listing, the JSON observation and the GSMTAP identity masking. Oracle: masked
//! output never carries a subscriber identity the clear frame carried.
#![no_main]

use libfuzzer_sys::fuzz_target;
use towerwatch::pipeline::gsm::{frame_hex, masked_json};
use towerwatch::sink::gsmtap::mask_identities;
use towerwatch_dsp::gsm::coding::ChannelKind;
use towerwatch_dsp::gsm::l3::{
    self, CellSummary, Message, MobileIdentity, parse_ccch_frame, parse_lapdm_b, parse_sacch,
};

/// Identities that say something about a subscriber (not fillers).
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

fuzz_target!(|data: &[u8]| {
    for kind in [
        ChannelKind::Bcch,
        ChannelKind::Ccch,
        ChannelKind::Sdcch,
        ChannelKind::Sacch,
    ] {
        let _ = l3::parse_block(kind, data);
    }
    let _ = parse_lapdm_b(data);
    let _ = parse_sacch(data);
    let _ = l3::parse_l3(data, data.len());
    let mut frame = [0x2bu8; 23];
    let n = data.len().min(23);
    frame[..n].copy_from_slice(&data[..n]);
    let Ok(m) = parse_ccch_frame(&frame) else {
        return;
    };
    let mut summary = CellSummary::default();
    summary.observe(&m);
    let _ = m.name();
    let _ = m.build_frame();
    // Sinks: masked hex, masked JSON, masked GSMTAP payload.
    let hex = frame_hex(&frame, &m, false);
    assert_eq!(hex.len(), 23 * 3 - 1);
    let json = masked_json(&m, false).to_string();
    for key in ["\"Imsi\"", "\"Imei\"", "\"Imeisv\"", "\"Tmsi\""] {
        assert!(
            !json.contains(key),
            "identity left in clear in JSON: {json}"
        );
    }
    let clear = identities(&m);
    if clear.is_empty() {
        return;
    }
    let masked = mask_identities(&frame);
    if let Ok(mm) = parse_ccch_frame(&masked) {
        for id in identities(&mm) {
            assert!(
                !clear.contains(&id),
                "GSMTAP masking left {id:?} readable in {masked:02x?}"
            );
        }
    }
    for id in &clear {
        if let MobileIdentity::Tmsi(t) = id {
            let full = format!("{t}");
            if full.len() >= 6 {
                assert!(!json.contains(&full), "TMSI {t} in clear in JSON: {json}");
            }
        }
    }
});
