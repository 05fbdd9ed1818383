//! LTE BCCH-DL-SCH / SIB1 UPER parser and the MIB decoder on any bytes. Oracles: a decoded SIB1
//! stays inside its ASN.1 ranges and re-encodes to a message that decodes to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use towerwatch_dsp::lte::rrc::mib::Mib;
use towerwatch_dsp::lte::rrc::sib1::{decode_bcch_dl_sch, decode_sib1, encode_sib1};

fuzz_target!(|data: &[u8]| {
    let _ = decode_bcch_dl_sch(data);
    if let Ok(s) = decode_sib1(data) {
        assert!((1..=6).contains(&s.plmns.len()));
        assert!(s.cell_identity < 1 << 28);
        assert!((1..=64).contains(&s.freq_band_indicator));
        assert!((-70..=-22).contains(&s.q_rx_lev_min));
        if let Ok(again) = encode_sib1(&s) {
            assert_eq!(decode_sib1(&again).ok(), Some(s));
        } else {
            panic!("a decoded SIB1 must re-encode");
        }
    }
    if let Ok(m) = Mib::from_bytes(data) {
        assert!(m.to_bytes().is_ok());
    }
});
