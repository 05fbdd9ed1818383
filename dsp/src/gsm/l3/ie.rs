//! Information elements shared by RR messages (TS 44.018 §10.5.2, TS 24.008 §10.5.1).

use serde::{Deserialize, Serialize};

use super::L3Error;

fn get(data: &[u8], i: usize, what: &'static str) -> Result<u8, L3Error> {
    data.get(i).copied().ok_or(L3Error::Truncated(what))
}

/// Location area identification (TS 24.008 §10.5.1.3): MCC, MNC (2 or 3 digits) and LAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Lai {
    /// Mobile country code, 0–999.
    pub mcc: u16,
    /// Mobile network code, 0–999.
    pub mnc: u16,
    /// True when the MNC has three digits (e.g. "010" rather than "10").
    pub mnc_3digits: bool,
    /// Location area code.
    pub lac: u16,
}

impl Lai {
    /// Parses the 5 value octets.
    pub fn parse(data: &[u8]) -> Result<Lai, L3Error> {
        let o: [u8; 5] = data
            .get(..5)
            .and_then(|s| s.try_into().ok())
            .ok_or(L3Error::Truncated("LAI"))?;
        let digit = |d: u8| {
            if d <= 9 {
                Ok(u16::from(d))
            } else {
                Err(L3Error::Bcd)
            }
        };
        let mcc = digit(o[0] & 0x0f)? * 100 + digit(o[0] >> 4)? * 10 + digit(o[1] & 0x0f)?;
        let mnc3 = o[1] >> 4;
        let mnc12 = digit(o[2] & 0x0f)? * 10 + digit(o[2] >> 4)?;
        let (mnc, mnc_3digits) = if mnc3 == 0x0f {
            (mnc12, false)
        } else {
            (mnc12 * 10 + digit(mnc3)?, true)
        };
        Ok(Lai {
            mcc,
            mnc,
            mnc_3digits,
            lac: u16::from_be_bytes([o[3], o[4]]),
        })
    }

    /// The 5 value octets.
    pub fn encode(&self) -> [u8; 5] {
        let d = |v: u16, p: u32| ((v / 10u16.pow(p)) % 10) as u8;
        let (m1, m2, m3) = if self.mnc_3digits {
            (d(self.mnc, 2), d(self.mnc, 1), d(self.mnc, 0))
        } else {
            (d(self.mnc, 1), d(self.mnc, 0), 0x0f)
        };
        let lac = self.lac.to_be_bytes();
        [
            d(self.mcc, 2) | (d(self.mcc, 1) << 4),
            d(self.mcc, 0) | (m3 << 4),
            m1 | (m2 << 4),
            lac[0],
            lac[1],
        ]
    }
}

impl std::fmt::Display for Lai {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.mnc_3digits {
            write!(f, "{:03}-{:03}-{}", self.mcc, self.mnc, self.lac)
        } else {
            write!(f, "{:03}-{:02}-{}", self.mcc, self.mnc, self.lac)
        }
    }
}

/// A mobile identity (TS 24.008 §10.5.1.4). `Display` masks subscriber data; the clear value is
/// only available through [`MobileIdentity::reveal`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MobileIdentity {
    /// "No identity" (type 0): empty paging.
    None,
    /// IMSI digits.
    Imsi(String),
    /// IMEI digits.
    Imei(String),
    /// IMEISV digits.
    Imeisv(String),
    /// TMSI or P-TMSI.
    Tmsi(u32),
    /// Any other type, with its raw value octets.
    Other {
        /// Type of identity (3 bits).
        kind: u8,
        /// Value octets as received.
        raw: Vec<u8>,
    },
}

impl MobileIdentity {
    /// Parses the value part (after the length octet).
    pub fn parse(value: &[u8]) -> Result<MobileIdentity, L3Error> {
        let first = get(value, 0, "mobile identity")?;
        let kind = first & 0x07;
        let odd = first & 0x08 != 0;
        match kind {
            0 => Ok(MobileIdentity::None),
            4 => {
                let b: [u8; 4] = value
                    .get(1..5)
                    .and_then(|s| s.try_into().ok())
                    .ok_or(L3Error::Truncated("TMSI"))?;
                Ok(MobileIdentity::Tmsi(u32::from_be_bytes(b)))
            }
            1..=3 => {
                let mut digits = String::new();
                let mut push = |d: u8| -> Result<(), L3Error> {
                    if d > 9 {
                        return Err(L3Error::Bcd);
                    }
                    digits.push(char::from(b'0' + d));
                    Ok(())
                };
                push(first >> 4)?;
                let rest = value.get(1..).unwrap_or(&[]);
                for (i, &o) in rest.iter().enumerate() {
                    push(o & 0x0f)?;
                    let last = i + 1 == rest.len();
                    if !last || odd {
                        push(o >> 4)?;
                    } else if o >> 4 != 0x0f {
                        return Err(L3Error::Bcd);
                    }
                }
                Ok(match kind {
                    1 => MobileIdentity::Imsi(digits),
                    2 => MobileIdentity::Imei(digits),
                    _ => MobileIdentity::Imeisv(digits),
                })
            }
            _ => Ok(MobileIdentity::Other {
                kind,
                raw: value.to_vec(),
            }),
        }
    }

    /// The value octets (without the length octet).
    pub fn encode(&self) -> Result<Vec<u8>, L3Error> {
        let digits_ie = |kind: u8, digits: &str| -> Result<Vec<u8>, L3Error> {
            let d: Vec<u8> = digits
                .bytes()
                .map(|c| {
                    if c.is_ascii_digit() {
                        Ok(c - b'0')
                    } else {
                        Err(L3Error::Bcd)
                    }
                })
                .collect::<Result<_, _>>()?;
            let Some((&first, rest)) = d.split_first() else {
                return Err(L3Error::Bcd);
            };
            let odd = d.len() % 2 == 1;
            let mut out = vec![(first << 4) | (u8::from(odd) << 3) | kind];
            for pair in rest.chunks(2) {
                let lo = pair.first().copied().unwrap_or(0x0f);
                let hi = pair.get(1).copied().unwrap_or(0x0f);
                out.push(lo | (hi << 4));
            }
            Ok(out)
        };
        match self {
            MobileIdentity::None => Ok(vec![0xf0]),
            MobileIdentity::Tmsi(t) => {
                let mut v = vec![0xf4];
                v.extend_from_slice(&t.to_be_bytes());
                Ok(v)
            }
            MobileIdentity::Imsi(d) => digits_ie(1, d),
            MobileIdentity::Imei(d) => digits_ie(2, d),
            MobileIdentity::Imeisv(d) => digits_ie(3, d),
            MobileIdentity::Other { raw, .. } => Ok(raw.clone()),
        }
    }

    /// The identity in clear (digits or TMSI hex). Use only where the user asked for clear output.
    pub fn reveal(&self) -> String {
        match self {
            MobileIdentity::None => "none".to_string(),
            MobileIdentity::Imsi(d) | MobileIdentity::Imei(d) | MobileIdentity::Imeisv(d) => {
                d.clone()
            }
            MobileIdentity::Tmsi(t) => format!("0x{t:08X}"),
            MobileIdentity::Other { kind, raw } => format!("type {kind}: {raw:02x?}"),
        }
    }

    /// A short name of the identity kind: "none", "imsi", "imei", "imeisv", "tmsi", "other".
    pub fn kind_name(&self) -> &'static str {
        match self {
            MobileIdentity::None => "none",
            MobileIdentity::Imsi(_) => "imsi",
            MobileIdentity::Imei(_) => "imei",
            MobileIdentity::Imeisv(_) => "imeisv",
            MobileIdentity::Tmsi(_) => "tmsi",
            MobileIdentity::Other { .. } => "other",
        }
    }
}

/// Masks all but the first five and last two digits: `262-02-XXXXXXXX12`.
fn mask_digits(d: &str) -> String {
    let c: Vec<char> = d.chars().collect();
    let n = c.len();
    if n < 8 {
        return "X".repeat(n);
    }
    let part = |from: usize, to: usize| c.get(from..to).unwrap_or(&[]).iter().collect::<String>();
    format!(
        "{}-{}-{}{}",
        part(0, 3),
        part(3, 5),
        "X".repeat(n - 7),
        part(n - 2, n)
    )
}

impl std::fmt::Display for MobileIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MobileIdentity::None => write!(f, "none"),
            MobileIdentity::Imsi(d) => write!(f, "IMSI {}", mask_digits(d)),
            MobileIdentity::Imei(d) => write!(f, "IMEI {}", mask_digits(d)),
            MobileIdentity::Imeisv(d) => write!(f, "IMEISV {}", mask_digits(d)),
            MobileIdentity::Tmsi(t) => write!(f, "TMSI 0x****{:04X}", t & 0xffff),
            MobileIdentity::Other { kind, .. } => write!(f, "identity type {kind}"),
        }
    }
}

/// RACH control parameters (TS 44.018 §10.5.2.29).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RachControl {
    /// MAX_RETRANS coded 0–3 (1, 2, 4, 7 retransmissions).
    pub max_retrans: u8,
    /// TX_INTEGER coded 0–15 (3…50 slots).
    pub tx_integer: u8,
    /// CELL_BAR_ACCESS: the cell is barred.
    pub cell_barred: bool,
    /// RE: call re-establishment not allowed.
    pub re: bool,
    /// Access control classes 15…0 (bit n = class n barred; bit 10 = EC).
    pub acc: u16,
}

impl RachControl {
    /// Parses the 3 value octets.
    pub fn parse(data: &[u8]) -> Result<RachControl, L3Error> {
        let o0 = get(data, 0, "RACH control")?;
        let acc =
            u16::from_be_bytes([get(data, 1, "RACH control")?, get(data, 2, "RACH control")?]);
        Ok(RachControl {
            max_retrans: o0 >> 6,
            tx_integer: (o0 >> 2) & 0x0f,
            cell_barred: o0 & 0x02 != 0,
            re: o0 & 0x01 != 0,
            acc,
        })
    }
    /// The 3 value octets.
    pub fn encode(&self) -> [u8; 3] {
        let acc = self.acc.to_be_bytes();
        [
            ((self.max_retrans & 3) << 6)
                | ((self.tx_integer & 0x0f) << 2)
                | (u8::from(self.cell_barred) << 1)
                | u8::from(self.re),
            acc[0],
            acc[1],
        ]
    }
    /// Maximum number of retransmissions (1, 2, 4 or 7).
    pub fn max_retransmissions(&self) -> u8 {
        [1, 2, 4, 7][usize::from(self.max_retrans & 3)]
    }
    /// Number of slots to spread transmission (TX_INTEGER decoded: 3–50).
    pub fn tx_integer_slots(&self) -> u8 {
        [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 20, 25, 32, 50]
            [usize::from(self.tx_integer & 0x0f)]
    }
}

/// Cell selection parameters (TS 44.018 §10.5.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellSelection {
    /// CELL_RESELECT_HYSTERESIS coded 0–7 (× 2 dB).
    pub cell_reselect_hysteresis: u8,
    /// MS_TXPWR_MAX_CCH, 0–31.
    pub ms_txpwr_max_cch: u8,
    /// ACS: additional reselect parameters indication.
    pub acs: bool,
    /// NECI: new establishment causes supported.
    pub neci: bool,
    /// RXLEV_ACCESS_MIN, 0–63 (−110 dBm + value).
    pub rxlev_access_min: u8,
}

impl CellSelection {
    /// Parses the 2 value octets.
    pub fn parse(data: &[u8]) -> Result<CellSelection, L3Error> {
        let a = get(data, 0, "cell selection")?;
        let b = get(data, 1, "cell selection")?;
        Ok(CellSelection {
            cell_reselect_hysteresis: a >> 5,
            ms_txpwr_max_cch: a & 0x1f,
            acs: b & 0x80 != 0,
            neci: b & 0x40 != 0,
            rxlev_access_min: b & 0x3f,
        })
    }
    /// The 2 value octets.
    pub fn encode(&self) -> [u8; 2] {
        [
            ((self.cell_reselect_hysteresis & 7) << 5) | (self.ms_txpwr_max_cch & 0x1f),
            (u8::from(self.acs) << 7) | (u8::from(self.neci) << 6) | (self.rxlev_access_min & 0x3f),
        ]
    }
    /// Hysteresis in dB.
    pub fn cell_reselect_hysteresis_db(&self) -> u8 {
        2 * (self.cell_reselect_hysteresis & 7)
    }
}

/// Cell options on the BCCH (TS 44.018 §10.5.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellOptions {
    /// PWRC: power control indicator.
    pub pwrc: bool,
    /// DTX coded 0–3.
    pub dtx: u8,
    /// RADIO_LINK_TIMEOUT coded 0–15 (4 × (value + 1) SACCH blocks).
    pub radio_link_timeout: u8,
}

impl CellOptions {
    /// Parses the value octet.
    pub fn parse(o: u8) -> CellOptions {
        CellOptions {
            pwrc: o & 0x40 != 0,
            dtx: (o >> 4) & 3,
            radio_link_timeout: o & 0x0f,
        }
    }
    /// The value octet.
    pub fn encode(&self) -> u8 {
        (u8::from(self.pwrc) << 6) | ((self.dtx & 3) << 4) | (self.radio_link_timeout & 0x0f)
    }
    /// Radio link timeout in SACCH blocks.
    pub fn radio_link_timeout_blocks(&self) -> u8 {
        4 * ((self.radio_link_timeout & 0x0f) + 1)
    }
}

/// Control channel description (TS 44.018 §10.5.2.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlChannelDescription {
    /// MSCR: MSC release.
    pub mscr: bool,
    /// ATT: IMSI attach/detach allowed.
    pub att: bool,
    /// BS_AG_BLKS_RES, 0–7.
    pub bs_ag_blks_res: u8,
    /// CCCH_CONF, 0–7 (0: one non-combined CCCH on TS0; 1: combined with SDCCH/4).
    pub ccch_conf: u8,
    /// CBQ3, 0–3.
    pub cbq3: u8,
    /// BS_PA_MFRMS coded 0–7 (2–9 multiframes between paging).
    pub bs_pa_mfrms: u8,
    /// T3212 periodic location updating timer in decihours (0 = none).
    pub t3212: u8,
}

impl ControlChannelDescription {
    /// Parses the 3 value octets.
    pub fn parse(data: &[u8]) -> Result<ControlChannelDescription, L3Error> {
        let a = get(data, 0, "control channel description")?;
        let b = get(data, 1, "control channel description")?;
        let t3212 = get(data, 2, "control channel description")?;
        Ok(ControlChannelDescription {
            mscr: a & 0x80 != 0,
            att: a & 0x40 != 0,
            bs_ag_blks_res: (a >> 3) & 7,
            ccch_conf: a & 7,
            cbq3: (b >> 5) & 3,
            bs_pa_mfrms: b & 7,
            t3212,
        })
    }
    /// The 3 value octets.
    pub fn encode(&self) -> [u8; 3] {
        [
            (u8::from(self.mscr) << 7)
                | (u8::from(self.att) << 6)
                | ((self.bs_ag_blks_res & 7) << 3)
                | (self.ccch_conf & 7),
            ((self.cbq3 & 3) << 5) | (self.bs_pa_mfrms & 7),
            self.t3212,
        ]
    }
    /// Multiframes between transmissions of paging messages to the same paging group (2–9).
    pub fn bs_pa_mfrms_multiframes(&self) -> u8 {
        (self.bs_pa_mfrms & 7) + 2
    }
    /// True when the CCCH is combined with SDCCH/4 on TS0 (CCCH_CONF 1).
    pub fn combined(&self) -> bool {
        self.ccch_conf == 1
    }
}

/// Radio frequency of a dedicated channel: one ARFCN or hopping parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelFrequency {
    /// No hopping.
    Single {
        /// ARFCN, 0–1023.
        arfcn: u16,
    },
    /// Frequency hopping over the mobile allocation.
    Hopping {
        /// Mobile allocation index offset, 0–63.
        maio: u8,
        /// Hopping sequence number, 0–63.
        hsn: u8,
    },
}

/// What a channel description's 5-bit channel type field says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelType {
    /// TCH/F + ACCHs.
    TchF,
    /// TCH/H + ACCHs, sub-channel 0–1.
    TchH(u8),
    /// SDCCH/4 + SACCH/C4, sub-channel 0–3.
    Sdcch4(u8),
    /// SDCCH/8 + SACCH/C8, sub-channel 0–7.
    Sdcch8(u8),
    /// Anything else (raw 5 bits).
    Other(u8),
}

/// Channel description (TS 44.018 §10.5.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelDescription {
    /// Channel type and TDMA offset, raw 5 bits (see [`ChannelDescription::channel_type`]).
    pub type_and_offset: u8,
    /// Timeslot number, 0–7.
    pub timeslot: u8,
    /// Training sequence code, 0–7.
    pub tsc: u8,
    /// ARFCN or hopping parameters.
    pub frequency: ChannelFrequency,
}

impl ChannelDescription {
    /// Parses the 3 value octets.
    pub fn parse(data: &[u8]) -> Result<ChannelDescription, L3Error> {
        let a = get(data, 0, "channel description")?;
        let b = get(data, 1, "channel description")?;
        let c = get(data, 2, "channel description")?;
        let frequency = if b & 0x10 != 0 {
            ChannelFrequency::Hopping {
                maio: ((b & 0x0f) << 2) | (c >> 6),
                hsn: c & 0x3f,
            }
        } else {
            ChannelFrequency::Single {
                arfcn: (u16::from(b & 0x03) << 8) | u16::from(c),
            }
        };
        Ok(ChannelDescription {
            type_and_offset: a >> 3,
            timeslot: a & 7,
            tsc: b >> 5,
            frequency,
        })
    }
    /// The 3 value octets.
    pub fn encode(&self) -> [u8; 3] {
        let a = ((self.type_and_offset & 0x1f) << 3) | (self.timeslot & 7);
        let tsc = (self.tsc & 7) << 5;
        match self.frequency {
            ChannelFrequency::Single { arfcn } => {
                [a, tsc | ((arfcn >> 8) & 3) as u8, (arfcn & 0xff) as u8]
            }
            ChannelFrequency::Hopping { maio, hsn } => [
                a,
                tsc | 0x10 | ((maio >> 2) & 0x0f),
                ((maio & 3) << 6) | (hsn & 0x3f),
            ],
        }
    }
    /// The channel type.
    pub fn channel_type(&self) -> ChannelType {
        let t = self.type_and_offset & 0x1f;
        match t {
            0b00001 => ChannelType::TchF,
            0b00010..=0b00011 => ChannelType::TchH(t & 1),
            0b00100..=0b00111 => ChannelType::Sdcch4(t & 3),
            0b01000..=0b01111 => ChannelType::Sdcch8(t & 7),
            _ => ChannelType::Other(t),
        }
    }
    /// The 5-bit type field for a channel type (inverse of [`ChannelDescription::channel_type`]).
    pub fn type_bits(t: ChannelType) -> u8 {
        match t {
            ChannelType::TchF => 0b00001,
            ChannelType::TchH(s) => 0b00010 | (s & 1),
            ChannelType::Sdcch4(s) => 0b00100 | (s & 3),
            ChannelType::Sdcch8(s) => 0b01000 | (s & 7),
            ChannelType::Other(v) => v & 0x1f,
        }
    }
}

/// Request reference (TS 44.018 §10.5.2.30): the RA of the access burst and its frame number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestReference {
    /// Random access information (the 8-bit RACH content).
    pub ra: u8,
    /// T1' = (FN div 1326) mod 32.
    pub t1p: u8,
    /// T3 = FN mod 51.
    pub t3: u8,
    /// T2 = FN mod 26.
    pub t2: u8,
}

impl RequestReference {
    /// Parses the 3 value octets.
    pub fn parse(data: &[u8]) -> Result<RequestReference, L3Error> {
        let ra = get(data, 0, "request reference")?;
        let b = get(data, 1, "request reference")?;
        let c = get(data, 2, "request reference")?;
        Ok(RequestReference {
            ra,
            t1p: b >> 3,
            t3: ((b & 7) << 3) | (c >> 5),
            t2: c & 0x1f,
        })
    }
    /// The 3 value octets.
    pub fn encode(&self) -> [u8; 3] {
        [
            self.ra,
            ((self.t1p & 0x1f) << 3) | ((self.t3 >> 3) & 7),
            ((self.t3 & 7) << 5) | (self.t2 & 0x1f),
        ]
    }
    /// The reference for an access burst `ra` sent in frame `fn_`.
    pub fn from_frame_number(ra: u8, fn_: u32) -> RequestReference {
        RequestReference {
            ra,
            t1p: ((fn_ / 1326) % 32) as u8,
            t3: (fn_ % 51) as u8,
            t2: (fn_ % 26) as u8,
        }
    }
    /// The access frame number modulo 42432 (TS 44.018 §10.5.2.38).
    pub fn frame_number_mod_42432(&self) -> u32 {
        let t1 = u32::from(self.t1p & 0x1f);
        let t2 = u32::from(self.t2) % 26;
        let t3 = u32::from(self.t3) % 51;
        51 * ((t3 + 26 * 2 - t2) % 26) + t3 + 1326 * t1
    }
}
