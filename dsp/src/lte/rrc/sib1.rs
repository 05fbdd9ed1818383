//! BCCH-DL-SCH messages (TS 36.331 §6.2.1, §6.2.2): a UPER decoder and encoder written for
//! SystemInformationBlockType1, and the SIB types a SystemInformation message carries.
//!
//! ```text
//! BCCH-DL-SCH-Message ::= SEQUENCE { message CHOICE {                      1 bit (0 = c1)
//!   c1 CHOICE { systemInformation, systemInformationBlockType1 },          1 bit
//!   messageClassExtension SEQUENCE {} } }
//! SystemInformationBlockType1 ::= SEQUENCE {    -- optional bitmap: p-Max, tdd-Config, nCE
//!   cellAccessRelatedInfo SEQUENCE {            -- optional bitmap: csg-Identity
//!     plmn-IdentityList SEQUENCE (SIZE (1..6)) OF SEQUENCE {                3-bit count − 1
//!       plmn-Identity SEQUENCE { mcc (3 digits) OPTIONAL, mnc (2..3 digits) }, 4 bits a digit
//!       cellReservedForOperatorUse ENUMERATED {reserved, notReserved} },
//!     trackingAreaCode BIT STRING (16), cellIdentity BIT STRING (28),
//!     cellBarred ENUMERATED {barred, notBarred}, intraFreqReselection ENUMERATED {allowed,
//!     notAllowed}, csg-Indication BOOLEAN, csg-Identity BIT STRING (27) OPTIONAL },
//!   cellSelectionInfo SEQUENCE { q-RxLevMin INTEGER (-70..-22),
//!                                q-RxLevMinOffset INTEGER (1..8) OPTIONAL },
//!   p-Max INTEGER (-30..33) OPTIONAL, freqBandIndicator INTEGER (1..64),
//!   schedulingInfoList SEQUENCE (SIZE (1..32)) OF SEQUENCE {
//!     si-Periodicity ENUMERATED {rf8 … rf512},
//!     sib-MappingInfo SEQUENCE (SIZE (0..31)) OF SIB-Type },   -- extensible, 16 root values
//!   tdd-Config SEQUENCE { subframeAssignment ENUMERATED {sa0..sa6},
//!                         specialSubframePatterns ENUMERATED {ssp0..ssp8} } OPTIONAL,
//!   si-WindowLength ENUMERATED {ms1, ms2, ms5, ms10, ms15, ms20, ms40},
//!   systemInfoValueTag INTEGER (0..31),
//!   nonCriticalExtension SystemInformationBlockType1-v890-IEs OPTIONAL }   -- skipped
//! ```
//!
//! The non-critical extensions (Rel-8.9 onward: e.g. ims-EmergencySupport, cellSelectionInfo-v920,
//! multiBandInfoList) are the last field: the parser notes their presence and stops there.

use super::RrcError;
use super::uper::{BitReader, BitWriter};

/// si-Periodicity values in radio frames (rf8 … rf512).
pub const SI_PERIODICITY_RF: [u16; 7] = [8, 16, 32, 64, 128, 256, 512];
/// si-WindowLength values in milliseconds (ms1 … ms40).
pub const SI_WINDOW_MS: [u8; 7] = [1, 2, 5, 10, 15, 20, 40];
/// SIB numbers of the 16 root values of SIB-Type (sibType3 … sibType18-v1250).
const SIB_ROOT: [u8; 16] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
/// SIB numbers of the known extension values (sibType19-v1250, 20-v1310, 21-v1430,
/// 24/25/26-v1530).
const SIB_EXT: [u8; 6] = [19, 20, 21, 24, 25, 26];

/// A PLMN identity with its digits as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Plmn {
    /// The three MCC digits (inherited from the previous entry when not sent).
    pub mcc: [u8; 3],
    /// Whether the MCC was present in this entry (it may be omitted after the first).
    pub mcc_sent: bool,
    /// The MNC digits; only the first `mnc_len` count.
    pub mnc: [u8; 3],
    /// 2 or 3 MNC digits.
    pub mnc_len: u8,
    /// cellReservedForOperatorUse = reserved.
    pub reserved_for_operator: bool,
}

impl Plmn {
    /// The MCC as a number (e.g. 460).
    pub fn mcc_value(&self) -> u16 {
        self.mcc.iter().fold(0u16, |a, &d| a * 10 + u16::from(d))
    }

    /// The MNC as a number (e.g. 0 for "00").
    pub fn mnc_value(&self) -> u16 {
        self.mnc[..usize::from(self.mnc_len.min(3))]
            .iter()
            .fold(0u16, |a, &d| a * 10 + u16::from(d))
    }
}

impl std::fmt::Display for Plmn {
    /// `MCC-MNC` with the MNC's digit count kept (`460-00`, `310-410`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for d in self.mcc {
            write!(f, "{d}")?;
        }
        write!(f, "-")?;
        for d in &self.mnc[..usize::from(self.mnc_len.min(3))] {
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// A SIB type in sib-MappingInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SibType {
    /// A known SystemInformationBlockTypeN.
    Sib(u8),
    /// An extension value this parser has no name for (its extension index).
    Unknown(u32),
}

/// One entry of schedulingInfoList: an SI message, its period and the SIBs it carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchedulingInfo {
    /// si-Periodicity in radio frames (8 … 512).
    pub periodicity_rf: u16,
    /// The SIBs mapped to this SI message (SIB2 is implicitly in the first one).
    pub sibs: Vec<SibType>,
}

/// tdd-Config (TS 36.331 §6.3.2): uplink-downlink configuration and special subframe pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TddConfig {
    /// subframeAssignment sa0 … sa6 (TS 36.211 Table 4.2-2).
    pub subframe_assignment: u8,
    /// specialSubframePatterns ssp0 … ssp8 (TS 36.211 Table 4.2-1).
    pub special_subframe_pattern: u8,
}

/// A decoded SystemInformationBlockType1 (Rel-8 fields; extensions noted, not decoded).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sib1 {
    /// plmn-IdentityList (1-6 entries).
    pub plmns: Vec<Plmn>,
    /// trackingAreaCode.
    pub tac: u16,
    /// cellIdentity (28 bits: eNB ID in the top 20, cell in the low 8 for macro cells).
    pub cell_identity: u32,
    /// cellBarred = barred.
    pub cell_barred: bool,
    /// intraFreqReselection = allowed.
    pub intra_freq_reselection_allowed: bool,
    /// csg-Indication.
    pub csg_indication: bool,
    /// csg-Identity (27 bits), when sent.
    pub csg_identity: Option<u32>,
    /// q-RxLevMin IE value (−70 … −22); the threshold is twice this in dBm.
    pub q_rx_lev_min: i8,
    /// q-RxLevMinOffset IE value (1 … 8); the offset is twice this in dB.
    pub q_rx_lev_min_offset: Option<u8>,
    /// p-Max in dBm (−30 … 33), when sent.
    pub p_max_dbm: Option<i8>,
    /// freqBandIndicator (E-UTRA operating band 1 … 64).
    pub freq_band_indicator: u8,
    /// schedulingInfoList.
    pub scheduling_info: Vec<SchedulingInfo>,
    /// tdd-Config (present for TDD cells).
    pub tdd_config: Option<TddConfig>,
    /// si-WindowLength in milliseconds.
    pub si_window_ms: u8,
    /// systemInfoValueTag (0 … 31).
    pub system_info_value_tag: u8,
    /// Whether nonCriticalExtension was present (its content is skipped).
    pub non_critical_extension: bool,
}

impl Sib1 {
    /// q-RxLevMin in dBm (`2 × IE`).
    pub fn q_rx_lev_min_dbm(&self) -> i16 {
        2 * i16::from(self.q_rx_lev_min)
    }
}

/// A decoded BCCH-DL-SCH message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BcchDlSch {
    /// SystemInformationBlockType1.
    Sib1(Box<Sib1>),
    /// A SystemInformation message: the SIB types (2 … 11, or `None` for extensions and the
    /// later types) of its sib-TypeAndInfo list, as far as they could be read without decoding
    /// each SIB (only the first element's type can be read without a full SIB parser).
    SystemInformation {
        /// SIB number of the first element (2-11), `None` if it is an extension.
        first_sib: Option<u8>,
        /// Number of SIBs the message carries.
        count: usize,
    },
    /// The messageClassExtension or a criticalExtensionsFuture: nothing to decode.
    Extension,
}

/// Decodes a BCCH-DL-SCH message (the transport block of SIB1 or an SI message, TS 36.331
/// §6.2.1). Trailing padding bits are ignored.
pub fn decode_bcch_dl_sch(bytes: &[u8]) -> Result<BcchDlSch, RrcError> {
    let mut r = BitReader::new(bytes);
    if r.flag()? {
        return Ok(BcchDlSch::Extension);
    }
    if r.flag()? {
        return Ok(BcchDlSch::Sib1(Box::new(decode_sib1_body(&mut r)?)));
    }
    // SystemInformation ::= SEQUENCE { criticalExtensions CHOICE { systemInformation-r8,
    // criticalExtensionsFuture } }
    if r.flag()? {
        return Ok(BcchDlSch::Extension);
    }
    // SystemInformation-r8-IEs: optional bitmap (nonCriticalExtension), then
    // sib-TypeAndInfo SEQUENCE (SIZE (1..32)) OF CHOICE { sib2 … sib11, ..., sib12-v920, … }.
    let _nce = r.flag()?;
    let count = r.constrained(1, 32, "sib-TypeAndInfo")? as usize;
    let (ext, idx) = r.extensible_enumerated(10, "sib-TypeAndInfo")?;
    let first_sib = (!ext).then_some(idx as u8 + 2);
    Ok(BcchDlSch::SystemInformation { first_sib, count })
}

/// Decodes a BCCH-DL-SCH message that must be SIB1; [`RrcError::NotSib1`] otherwise.
pub fn decode_sib1(bytes: &[u8]) -> Result<Sib1, RrcError> {
    match decode_bcch_dl_sch(bytes)? {
        BcchDlSch::Sib1(s) => Ok(*s),
        _ => Err(RrcError::NotSib1),
    }
}

fn digit(r: &mut BitReader<'_>) -> Result<u8, RrcError> {
    Ok(r.constrained(0, 9, "MCC-MNC-Digit")? as u8)
}

fn decode_sib1_body(r: &mut BitReader<'_>) -> Result<Sib1, RrcError> {
    let has_p_max = r.flag()?;
    let has_tdd = r.flag()?;
    let non_critical_extension = r.flag()?;
    // cellAccessRelatedInfo
    let has_csg_id = r.flag()?;
    let n_plmn = r.constrained(1, 6, "plmn-IdentityList")? as usize;
    let mut plmns: Vec<Plmn> = Vec::with_capacity(n_plmn);
    for _ in 0..n_plmn {
        let mcc_sent = r.flag()?;
        let mcc = if mcc_sent {
            [digit(r)?, digit(r)?, digit(r)?]
        } else {
            plmns.last().map(|p| p.mcc).ok_or(RrcError::MissingMcc)?
        };
        let mnc_len = if r.flag()? { 3u8 } else { 2 };
        let mut mnc = [0u8; 3];
        for d in mnc.iter_mut().take(usize::from(mnc_len)) {
            *d = digit(r)?;
        }
        let reserved_for_operator = !r.flag()?;
        plmns.push(Plmn {
            mcc,
            mcc_sent,
            mnc,
            mnc_len,
            reserved_for_operator,
        });
    }
    let tac = r.bits(16)? as u16;
    let cell_identity = r.bits(28)?;
    let cell_barred = !r.flag()?;
    let intra_freq_reselection_allowed = !r.flag()?;
    let csg_indication = r.flag()?;
    let csg_identity = if has_csg_id { Some(r.bits(27)?) } else { None };
    // cellSelectionInfo
    let has_offset = r.flag()?;
    let q_rx_lev_min = r.constrained(-70, -22, "q-RxLevMin")? as i8;
    let q_rx_lev_min_offset = if has_offset {
        Some(r.constrained(1, 8, "q-RxLevMinOffset")? as u8)
    } else {
        None
    };
    let p_max_dbm = if has_p_max {
        Some(r.constrained(-30, 33, "p-Max")? as i8)
    } else {
        None
    };
    let freq_band_indicator = r.constrained(1, 64, "freqBandIndicator")? as u8;
    let n_si = r.constrained(1, 32, "schedulingInfoList")? as usize;
    let mut scheduling_info = Vec::with_capacity(n_si);
    for _ in 0..n_si {
        let p = r.enumerated(7, "si-Periodicity")? as usize;
        let n_sib = r.constrained(0, 31, "sib-MappingInfo")? as usize;
        let mut sibs = Vec::with_capacity(n_sib);
        for _ in 0..n_sib {
            let (ext, idx) = r.extensible_enumerated(16, "SIB-Type")?;
            let table: &[u8] = if ext { &SIB_EXT } else { &SIB_ROOT };
            sibs.push(match table.get(idx as usize) {
                Some(&n) => SibType::Sib(n),
                None => SibType::Unknown(idx),
            });
        }
        scheduling_info.push(SchedulingInfo {
            periodicity_rf: SI_PERIODICITY_RF[p],
            sibs,
        });
    }
    let tdd_config = if has_tdd {
        Some(TddConfig {
            subframe_assignment: r.enumerated(7, "subframeAssignment")? as u8,
            special_subframe_pattern: r.enumerated(9, "specialSubframePatterns")? as u8,
        })
    } else {
        None
    };
    let si_window_ms = SI_WINDOW_MS[r.enumerated(7, "si-WindowLength")? as usize];
    let system_info_value_tag = r.constrained(0, 31, "systemInfoValueTag")? as u8;
    Ok(Sib1 {
        plmns,
        tac,
        cell_identity,
        cell_barred,
        intra_freq_reselection_allowed,
        csg_indication,
        csg_identity,
        q_rx_lev_min,
        q_rx_lev_min_offset,
        p_max_dbm,
        freq_band_indicator,
        scheduling_info,
        tdd_config,
        si_window_ms,
        system_info_value_tag,
        non_critical_extension,
    })
}

/// Encodes `sib1` as a BCCH-DL-SCH message (octets, zero-padded). A present
/// `non_critical_extension` is written as an empty SystemInformationBlockType1-v890-IEs (both of
/// its optional fields absent). Errors: any field outside its ASN.1 range, a PLMN list of 0 or
/// more than 6 entries, an MNC length other than 2 or 3, a digit above 9, or a first PLMN without
/// MCC.
pub fn encode_sib1(sib1: &Sib1) -> Result<Vec<u8>, RrcError> {
    let mut w = BitWriter::new();
    w.flag(false); // c1
    w.flag(true); // systemInformationBlockType1
    w.flag(sib1.p_max_dbm.is_some());
    w.flag(sib1.tdd_config.is_some());
    w.flag(sib1.non_critical_extension);
    w.flag(sib1.csg_identity.is_some());
    w.constrained(sib1.plmns.len() as i64, 1, 6, "plmn-IdentityList")?;
    for (i, p) in sib1.plmns.iter().enumerate() {
        if i == 0 && !p.mcc_sent {
            return Err(RrcError::MissingMcc);
        }
        w.flag(p.mcc_sent);
        if p.mcc_sent {
            for &d in &p.mcc {
                w.constrained(i64::from(d), 0, 9, "MCC-MNC-Digit")?;
            }
        }
        match p.mnc_len {
            2 => w.flag(false),
            3 => w.flag(true),
            _ => return Err(RrcError::OutOfRange { field: "MNC" }),
        }
        for &d in &p.mnc[..usize::from(p.mnc_len)] {
            w.constrained(i64::from(d), 0, 9, "MCC-MNC-Digit")?;
        }
        w.flag(!p.reserved_for_operator);
    }
    w.bits(u32::from(sib1.tac), 16);
    if sib1.cell_identity >= 1 << 28 {
        return Err(RrcError::OutOfRange {
            field: "cellIdentity",
        });
    }
    w.bits(sib1.cell_identity, 28);
    w.flag(!sib1.cell_barred);
    w.flag(!sib1.intra_freq_reselection_allowed);
    w.flag(sib1.csg_indication);
    if let Some(id) = sib1.csg_identity {
        if id >= 1 << 27 {
            return Err(RrcError::OutOfRange {
                field: "csg-Identity",
            });
        }
        w.bits(id, 27);
    }
    w.flag(sib1.q_rx_lev_min_offset.is_some());
    w.constrained(i64::from(sib1.q_rx_lev_min), -70, -22, "q-RxLevMin")?;
    if let Some(o) = sib1.q_rx_lev_min_offset {
        w.constrained(i64::from(o), 1, 8, "q-RxLevMinOffset")?;
    }
    if let Some(p) = sib1.p_max_dbm {
        w.constrained(i64::from(p), -30, 33, "p-Max")?;
    }
    w.constrained(
        i64::from(sib1.freq_band_indicator),
        1,
        64,
        "freqBandIndicator",
    )?;
    w.constrained(
        sib1.scheduling_info.len() as i64,
        1,
        32,
        "schedulingInfoList",
    )?;
    for si in &sib1.scheduling_info {
        let p = SI_PERIODICITY_RF
            .iter()
            .position(|&x| x == si.periodicity_rf)
            .ok_or(RrcError::OutOfRange {
                field: "si-Periodicity",
            })?;
        w.bits(p as u32, 3);
        w.constrained(si.sibs.len() as i64, 0, 31, "sib-MappingInfo")?;
        for s in &si.sibs {
            match *s {
                SibType::Sib(n) => {
                    if let Some(i) = SIB_ROOT.iter().position(|&x| x == n) {
                        w.extensible_enumerated(false, i as u32, 16, "SIB-Type")?;
                    } else if let Some(i) = SIB_EXT.iter().position(|&x| x == n) {
                        w.extensible_enumerated(true, i as u32, 16, "SIB-Type")?;
                    } else {
                        return Err(RrcError::OutOfRange { field: "SIB-Type" });
                    }
                }
                SibType::Unknown(i) => w.extensible_enumerated(true, i, 16, "SIB-Type")?,
            }
        }
    }
    if let Some(t) = sib1.tdd_config {
        w.constrained(i64::from(t.subframe_assignment), 0, 6, "subframeAssignment")?;
        w.constrained(
            i64::from(t.special_subframe_pattern),
            0,
            8,
            "specialSubframePatterns",
        )?;
    }
    let win = SI_WINDOW_MS
        .iter()
        .position(|&x| x == sib1.si_window_ms)
        .ok_or(RrcError::OutOfRange {
            field: "si-WindowLength",
        })?;
    w.bits(win as u32, 3);
    w.constrained(
        i64::from(sib1.system_info_value_tag),
        0,
        31,
        "systemInfoValueTag",
    )?;
    if sib1.non_critical_extension {
        // SystemInformationBlockType1-v890-IEs: lateNonCriticalExtension and
        // nonCriticalExtension both absent.
        w.bits(0, 2);
    }
    Ok(w.into_bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::signal::Rng;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    fn example() -> Sib1 {
        Sib1 {
            plmns: vec![
                Plmn {
                    mcc: [4, 6, 0],
                    mcc_sent: true,
                    mnc: [0, 0, 0],
                    mnc_len: 2,
                    reserved_for_operator: false,
                },
                Plmn {
                    mcc: [4, 6, 0],
                    mcc_sent: false,
                    mnc: [0, 0, 7],
                    mnc_len: 3,
                    reserved_for_operator: true,
                },
            ],
            tac: 0x5A3C,
            cell_identity: 0x0AB_CDEF,
            cell_barred: false,
            intra_freq_reselection_allowed: true,
            csg_indication: false,
            csg_identity: Some(0x400_0001),
            q_rx_lev_min: -64,
            q_rx_lev_min_offset: Some(2),
            p_max_dbm: Some(23),
            freq_band_indicator: 39,
            scheduling_info: vec![
                SchedulingInfo {
                    periodicity_rf: 16,
                    sibs: vec![],
                },
                SchedulingInfo {
                    periodicity_rf: 64,
                    sibs: vec![SibType::Sib(3), SibType::Sib(5), SibType::Sib(19)],
                },
                SchedulingInfo {
                    periodicity_rf: 512,
                    sibs: vec![SibType::Unknown(40), SibType::Sib(18)],
                },
            ],
            tdd_config: Some(TddConfig {
                subframe_assignment: 2,
                special_subframe_pattern: 7,
            }),
            si_window_ms: 20,
            system_info_value_tag: 31,
            non_critical_extension: true,
        }
    }

    #[test]
    fn encode_decode_round_trip() {
        let s = example();
        let bytes = encode_sib1(&s).unwrap();
        assert_eq!(decode_sib1(&bytes).unwrap(), s);
        assert_eq!(s.plmns[0].to_string(), "460-00");
        assert_eq!(s.plmns[1].to_string(), "460-007");
        assert_eq!(s.plmns[1].mnc_value(), 7);
        assert_eq!(s.q_rx_lev_min_dbm(), -128);
        // Minimal SIB1: one PLMN, nothing optional.
        let min = Sib1 {
            plmns: vec![s.plmns[0]],
            csg_identity: None,
            q_rx_lev_min_offset: None,
            p_max_dbm: None,
            tdd_config: None,
            non_critical_extension: false,
            scheduling_info: vec![SchedulingInfo {
                periodicity_rf: 8,
                sibs: vec![],
            }],
            ..s
        };
        let bytes = encode_sib1(&min).unwrap();
        assert_eq!(decode_sib1(&bytes).unwrap(), min);
    }

    /// The SIB1 test buffer of srsRAN_4G (lte/rrc/lib/messages/test/bcch_dlsch_test.c, which
    /// only prints what it decodes). Decoded by hand from the bits before writing this test:
    /// 0 1 | 000 | 0 | 000 → c1, SIB1, no p-Max/tdd-Config/extension, no CSG id, one PLMN;
    /// 1 0010 0001 0100 → MCC 214; 0 0000 0001 → MNC 01; 1 → not reserved; TAC 0x020B.
    #[test]
    fn srsran_test_vector() {
        let buf = [
            0x40, 0x48, 0x50, 0x03, 0x02, 0x0b, 0x14, 0x4a, 0x30, 0x18, 0x28, 0x20, 0x90, 0x81,
            0x84, 0x79, 0x00, 0x00,
        ];
        let s = decode_sib1(&buf).unwrap();
        assert_eq!(s.plmns.len(), 1);
        assert_eq!(s.plmns[0].to_string(), "214-01");
        assert!(!s.plmns[0].reserved_for_operator);
        assert_eq!(s.tac, 0x020B);
        assert!(s.p_max_dbm.is_none() && s.tdd_config.is_none());
        assert!(!s.non_critical_extension);
        // The re-encoding reproduces the message bits (the tail is zero padding).
        let again = encode_sib1(&s).unwrap();
        assert_eq!(&buf[..again.len()], &again[..]);
        assert!(buf[again.len()..].iter().all(|&b| b == 0));
    }

    /// Three SIB1 hex dumps kept in Essay-Core/NW_ARM_4G_PRO
    /// (test/systemInformation_msg_test/main.c), with no decoded values given there. What
    /// decodes is self-consistent in ways a mis-aligned parser would not produce: the band 38
    /// (TDD) cells carry a tdd-Config (China Mobile's usual sa2/ssp7), the band 3 (FDD) cell has
    /// none, every digit is ≤ 9, and the two without extensions re-encode to the very bits
    /// received (the rest of the transport block is zero padding).
    #[test]
    fn public_sib1_dumps() {
        let s = decode_sib1(&hex("7851800125732FD820381B594442041130913E8C050A")).unwrap();
        assert_eq!(s.plmns.len(), 1);
        assert_eq!(s.plmns[0].to_string(), "460-00");
        assert_eq!((s.tac, s.cell_identity), (9587, 50_168_323));
        assert_eq!(s.freq_band_indicator, 38);
        assert_eq!(
            s.tdd_config,
            Some(TddConfig {
                subframe_assignment: 2,
                special_subframe_pattern: 7
            })
        );
        assert_eq!((s.q_rx_lev_min_dbm(), s.p_max_dbm), (-128, Some(23)));
        let periods: Vec<u16> = s.scheduling_info.iter().map(|x| x.periodicity_rf).collect();
        assert_eq!(periods, [16, 32, 64]);
        assert_eq!(s.scheduling_info[1].sibs, [SibType::Sib(5)]);
        assert_eq!((s.si_window_ms, s.system_info_value_tag), (40, 17));
        assert!(s.non_critical_extension);

        let s = decode_sib1(&hex("60d18003a30046bce200001bd2a0d420801081000000")).unwrap();
        let plmns: Vec<String> = s.plmns.iter().map(|p| p.to_string()).collect();
        assert_eq!(plmns, ["460-01", "460-11"]);
        assert_eq!(
            (s.tac, s.cell_identity, s.freq_band_indicator),
            (24177, 222, 3)
        );
        assert!(s.tdd_config.is_none());
        assert_eq!(s.q_rx_lev_min_offset, Some(1));
        let raw = hex("60d18003a30046bce200001bd2a0d420801081000000");
        let again = encode_sib1(&s).unwrap();
        assert_eq!(&raw[..again.len()], &again[..]);
        assert!(raw[again.len()..].iter().all(|&b| b == 0));

        let s = decode_sib1(&hex("5040040300010000001C1650902080850000")).unwrap();
        assert_eq!(s.plmns[0].to_string(), "001-01");
        assert_eq!((s.tac, s.cell_identity, s.freq_band_indicator), (1, 1, 38));
        assert!(!s.intra_freq_reselection_allowed);
        assert_eq!(
            s.tdd_config,
            Some(TddConfig {
                subframe_assignment: 1,
                special_subframe_pattern: 0
            })
        );
        let raw = hex("5040040300010000001C1650902080850000");
        let again = encode_sib1(&s).unwrap();
        assert_eq!(&raw[..again.len()], &again[..]);
        assert!(raw[again.len()..].iter().all(|&b| b == 0));
    }

    #[test]
    fn system_information_and_extension_are_recognised() {
        // 0 0 | 0 | 0 | 00001 (2 SIBs) | 0 0000 (sib2) …
        let si = [0b0000_0000, 0b1000_0000, 0];
        assert_eq!(
            decode_bcch_dl_sch(&si).unwrap(),
            BcchDlSch::SystemInformation {
                first_sib: Some(2),
                count: 2
            }
        );
        assert_eq!(decode_sib1(&si), Err(RrcError::NotSib1));
        assert_eq!(decode_bcch_dl_sch(&[0x80]).unwrap(), BcchDlSch::Extension);
    }

    #[test]
    fn bad_messages_are_typed_errors() {
        assert!(matches!(decode_sib1(&[]), Err(RrcError::Truncated { .. })));
        let bytes = encode_sib1(&example()).unwrap();
        for cut in 0..bytes.len() - 1 {
            assert!(decode_sib1(&bytes[..cut]).is_err(), "cut {cut}");
        }
        // First PLMN without MCC: 0 1 000 0 000 0 …
        assert_eq!(decode_sib1(&[0x40, 0x00, 0x00]), Err(RrcError::MissingMcc));
        let mut bad = example();
        bad.plmns[0].mcc[1] = 10;
        assert!(encode_sib1(&bad).is_err());
        let mut bad = example();
        bad.si_window_ms = 3;
        assert!(encode_sib1(&bad).is_err());
        let mut bad = example();
        bad.plmns.clear();
        assert!(encode_sib1(&bad).is_err());
    }

    #[test]
    fn random_and_mutated_bytes_never_panic() {
        let mut rng = Rng::new(0x51B1);
        let valid = encode_sib1(&example()).unwrap();
        let mut decoded = 0;
        for i in 0..20_000 {
            let bytes: Vec<u8> = if i % 2 == 0 {
                let len = (rng.next_u64() % 40) as usize;
                (0..len).map(|_| rng.next_u64() as u8).collect()
            } else {
                // A valid SIB1 with a few flipped bits and maybe cut short: reaches deep fields.
                let mut b = valid.clone();
                for _ in 0..1 + rng.next_u64() % 3 {
                    let bit = (rng.next_u64() % (8 * b.len() as u64)) as usize;
                    b[bit / 8] ^= 0x80 >> (bit % 8);
                }
                if rng.bit() == 1 {
                    b.truncate((rng.next_u64() % b.len() as u64) as usize);
                }
                b
            };
            if let Ok(s) = decode_sib1(&bytes) {
                decoded += 1;
                assert!((1..=6).contains(&s.plmns.len()));
                assert!(s.cell_identity < 1 << 28);
                // Whatever decodes re-encodes to the same message.
                let again = encode_sib1(&s).unwrap();
                assert_eq!(decode_sib1(&again).unwrap(), s);
            }
            let _ = decode_bcch_dl_sch(&bytes);
        }
        assert!(decoded > 1000, "only {decoded} mutated messages decoded");
    }
}
