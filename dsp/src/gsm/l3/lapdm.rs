//! LAPDm framing (TS 44.006): format B (address, control, length) on SDCCH, format B4 (address,
//! control, no length) on SACCH behind the 2-octet L1 header, and the L2 pseudo length of the
//! B<sub>bis</sub> frames on BCCH/CCCH. Fill octets are 0x2B.

use serde::{Deserialize, Serialize};

use super::L3Error;

/// The LAPDm control field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Control {
    /// Information frame.
    I {
        /// Send sequence number N(S).
        ns: u8,
        /// Receive sequence number N(R).
        nr: u8,
        /// Poll bit.
        p: bool,
    },
    /// Supervisory frame: kind 0 RR, 1 RNR, 2 REJ.
    S {
        /// Supervisory function (0 RR, 1 RNR, 2 REJ, 3 reserved).
        kind: u8,
        /// N(R).
        nr: u8,
        /// Poll/final bit.
        pf: bool,
    },
    /// Unnumbered frame.
    U {
        /// Which one.
        kind: UKind,
        /// Poll/final bit.
        pf: bool,
    },
}

/// Unnumbered frame types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UKind {
    /// Set asynchronous balanced mode.
    Sabm,
    /// Disconnected mode.
    Dm,
    /// Unnumbered information.
    Ui,
    /// Disconnect.
    Disc,
    /// Unnumbered acknowledgement.
    Ua,
    /// Another value (the control octet without the P/F bit).
    Other(u8),
}

impl Control {
    /// Parses a control octet.
    pub fn parse(c: u8) -> Control {
        let pf = c & 0x10 != 0;
        if c & 1 == 0 {
            Control::I {
                ns: (c >> 1) & 7,
                nr: c >> 5,
                p: pf,
            }
        } else if c & 3 == 1 {
            Control::S {
                kind: (c >> 2) & 3,
                nr: c >> 5,
                pf,
            }
        } else {
            let kind = match c & !0x10 {
                0x2f => UKind::Sabm,
                0x0f => UKind::Dm,
                0x03 => UKind::Ui,
                0x43 => UKind::Disc,
                0x63 => UKind::Ua,
                other => UKind::Other(other),
            };
            Control::U { kind, pf }
        }
    }
    /// The control octet.
    pub fn encode(&self) -> u8 {
        match *self {
            Control::I { ns, nr, p } => ((nr & 7) << 5) | (u8::from(p) << 4) | ((ns & 7) << 1),
            Control::S { kind, nr, pf } => {
                ((nr & 7) << 5) | (u8::from(pf) << 4) | ((kind & 3) << 2) | 1
            }
            Control::U { kind, pf } => {
                let base = match kind {
                    UKind::Sabm => 0x2f,
                    UKind::Dm => 0x0f,
                    UKind::Ui => 0x03,
                    UKind::Disc => 0x43,
                    UKind::Ua => 0x63,
                    UKind::Other(v) => v & !0x10,
                };
                base | (u8::from(pf) << 4)
            }
        }
    }
}

/// A LAPDm frame in format B (SDCCH).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LapdmFrame {
    /// SAPI (0 signalling, 3 SMS).
    pub sapi: u8,
    /// C/R bit.
    pub command_response: bool,
    /// Link protocol discriminator (0 = GSM).
    pub lpd: u8,
    /// Control field.
    pub control: Control,
    /// M bit: more segments follow.
    pub more: bool,
    /// The L3 payload (length from the length octet).
    pub payload: Vec<u8>,
}

fn parse_address(a: u8) -> Result<(u8, bool, u8), L3Error> {
    if a & 1 == 0 {
        return Err(L3Error::Lapdm("address EA bit is 0"));
    }
    Ok(((a >> 2) & 7, a & 2 != 0, (a >> 5) & 3))
}

/// Parses a format-B frame: address, control, length indicator, information, fill.
pub fn parse_lapdm_b(frame: &[u8]) -> Result<LapdmFrame, L3Error> {
    let [a, c, l, rest @ ..] = frame else {
        return Err(L3Error::Truncated("LAPDm header"));
    };
    let (sapi, command_response, lpd) = parse_address(*a)?;
    if l & 1 == 0 {
        return Err(L3Error::Lapdm("length EL bit is 0"));
    }
    let len = usize::from(l >> 2);
    let payload = rest
        .get(..len)
        .ok_or(L3Error::Truncated("LAPDm information"))?
        .to_vec();
    Ok(LapdmFrame {
        sapi,
        command_response,
        lpd,
        control: Control::parse(*c),
        more: l & 2 != 0,
        payload,
    })
}

/// Builds a 23-octet format-B frame, filled with 0x2B.
pub fn build_lapdm_b(f: &LapdmFrame) -> Result<[u8; 23], L3Error> {
    if f.payload.len() > 20 {
        return Err(L3Error::TooLong);
    }
    let mut out = [super::bits::PADDING; 23];
    out[0] = ((f.lpd & 3) << 5) | ((f.sapi & 7) << 2) | (u8::from(f.command_response) << 1) | 1;
    out[1] = f.control.encode();
    out[2] = ((f.payload.len() as u8) << 2) | (u8::from(f.more) << 1) | 1;
    out[3..3 + f.payload.len()].copy_from_slice(&f.payload);
    Ok(out)
}

/// The L2 fill frame sent on an idle SDCCH: `03 03 01 2b …` (UI command, SAPI 0, no information).
pub fn l2_fill_frame() -> [u8; 23] {
    let mut out = [super::bits::PADDING; 23];
    out[..3].copy_from_slice(&[0x03, 0x03, 0x01]);
    out
}

/// Whether a 23-octet BCCH/CCCH (B<sub>bis</sub>) or SDCCH frame is an L2 fill frame: a frame
/// that carries no L3 message at all, recognised by its **whole** pattern, never by its first
/// octet alone (SI13 and SI2ter also start with a pseudo length of 0, `01 06 00 …`):
/// - `01 2b 2b …`: L2 pseudo length 0 and nothing but fill octets (the B<sub>bis</sub> fill frame);
/// - `03 03 01 2b …`: LAPDm UI command, SAPI 0, empty information field (osmocom BTSs send it on
///   idle CCCH blocks as well as on SDCCH);
/// - `2b 2b …`: fill octets only.
///
/// A dummy Paging Request (`15 06 21 00 01 f0 …`, "no identity") is a message, not fill: it is
/// listed like the other paging messages.
pub fn is_l2_fill(frame: &[u8]) -> bool {
    let pad = super::bits::PADDING;
    let fill_from = |n: usize| frame.get(n..).is_some_and(|r| r.iter().all(|&b| b == pad));
    match frame {
        [0x01, ..] => fill_from(1),
        [0x03, 0x03, 0x01, ..] => fill_from(3),
        [] => false,
        _ => fill_from(0),
    }
}

/// A SACCH frame: L1 header (ordered MS power and timing advance), then LAPDm format B4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SacchFrame {
    /// Ordered MS power level, 0–31.
    pub ms_power_level: u8,
    /// FPC/EPC bit.
    pub fpc: bool,
    /// Ordered timing advance, 0–63 (raw octet).
    pub timing_advance: u8,
    /// SAPI.
    pub sapi: u8,
    /// C/R bit of the address.
    pub command_response: bool,
    /// Control field.
    pub control: Control,
    /// The L3 message (starting with its L2 pseudo length octet for SI5/SI6), fill included.
    pub l3: Vec<u8>,
}

/// Parses a 23-octet SACCH frame (downlink).
pub fn parse_sacch(frame: &[u8]) -> Result<SacchFrame, L3Error> {
    let [p, ta, a, c, rest @ ..] = frame else {
        return Err(L3Error::Truncated("SACCH header"));
    };
    let (sapi, command_response, _) = parse_address(*a)?;
    Ok(SacchFrame {
        ms_power_level: p & 0x1f,
        fpc: p & 0x20 != 0,
        timing_advance: *ta,
        sapi,
        command_response,
        control: Control::parse(*c),
        l3: rest.to_vec(),
    })
}

/// Builds a 23-octet SACCH frame: L1 header, B4 address and control, then `l3` (at most 19 octets,
/// e.g. the first 19 octets of [`super::Message::build_frame`] for SI5/SI6), 0x2B fill.
pub fn build_sacch(f: &SacchFrame) -> Result<[u8; 23], L3Error> {
    if f.l3.len() > 19 {
        return Err(L3Error::TooLong);
    }
    let mut out = [super::bits::PADDING; 23];
    out[0] = (u8::from(f.fpc) << 5) | (f.ms_power_level & 0x1f);
    out[1] = f.timing_advance;
    out[2] = ((f.sapi & 7) << 2) | (u8::from(f.command_response) << 1) | 1;
    out[3] = f.control.encode();
    out[4..4 + f.l3.len()].copy_from_slice(&f.l3);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_is_recognised_by_the_whole_pattern() {
        let pad = |head: &[u8]| {
            let mut f = [0x2bu8; 23];
            f[..head.len()].copy_from_slice(head);
            f
        };
        assert!(is_l2_fill(&pad(&[0x01])));
        assert!(is_l2_fill(&pad(&[0x03, 0x03, 0x01])));
        assert!(is_l2_fill(&[0x2b; 23]));
        assert!(is_l2_fill(&l2_fill_frame()));
        // SI13 and SI2ter of a real cell (vf-call6, ARFCN 725): pseudo length 0, not fill.
        assert!(!is_l2_fill(&pad(&[
            0x01, 0x06, 0x00, 0xc0, 0x00, 0x58, 0x47, 0xeb, 0x4a, 0x92, 0x43, 0x40, 0x62, 0x84,
            0xeb
        ])));
        assert!(!is_l2_fill(&pad(&[0x01, 0x06, 0x03, 0x60])));
        // The dummy paging request is a message; a damaged fill frame is not fill.
        assert!(!is_l2_fill(&pad(&[0x15, 0x06, 0x21, 0x00, 0x01, 0xf0])));
        assert!(!is_l2_fill(&pad(&[0x01, 0x2b, 0x2a])));
        assert!(!is_l2_fill(&pad(&[0x03, 0x03, 0x05, 0x01])));
        assert!(!is_l2_fill(&[]));
    }

    #[test]
    fn control_round_trip() {
        for c in 0..=255u8 {
            let parsed = Control::parse(c);
            assert_eq!(parsed.encode(), c, "{c:#04x} {parsed:?}");
        }
        assert_eq!(
            Control::parse(0x73),
            Control::U {
                kind: UKind::Ua,
                pf: true
            }
        );
        assert_eq!(
            Control::parse(0x20),
            Control::I {
                ns: 0,
                nr: 1,
                p: false
            }
        );
    }
}
