//! System information messages on the BCCH (TS 44.018 §9.1.31–9.1.43).

use serde::{Deserialize, Serialize};

use super::L3Error;
use super::bits::{BitReader, BitWriter};
use super::freq::{ListKind, decode_frequency_list, encode_frequency_list};
use super::ie::{
    CellOptions, CellSelection, ChannelDescription, ControlChannelDescription, Lai, RachControl,
};

fn slice<'a>(
    d: &'a [u8],
    from: usize,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], L3Error> {
    d.get(from..from.saturating_add(len))
        .ok_or(L3Error::Truncated(what))
}

/// System Information Type 1: cell allocation and RACH control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Si1 {
    /// The cell allocation (ARFCNs of the cell), ascending.
    pub cell_channels: Vec<u16>,
    /// RACH control parameters.
    pub rach: RachControl,
    /// NCH position (rest octets), when present.
    pub nch_position: Option<u8>,
    /// Band indicator: true = PCS 1900, false = DCS 1800.
    pub band_indicator_1900: bool,
}

/// System Information Type 2: BCCH allocation (neighbours), NCC permitted, RACH control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Si2 {
    /// Neighbour BCCH ARFCNs, ascending.
    pub neighbours: Vec<u16>,
    /// EXT-IND: the list continues in SI2bis.
    pub ext_ind: bool,
    /// BA-IND.
    pub ba_ind: bool,
    /// NCC permitted bit map (bit n = NCC n may be reported).
    pub ncc_permitted: u8,
    /// RACH control parameters.
    pub rach: RachControl,
}

/// System Information Type 2bis: extension of the BCCH allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Si2bis {
    /// Neighbour BCCH ARFCNs, ascending.
    pub neighbours: Vec<u16>,
    /// EXT-IND.
    pub ext_ind: bool,
    /// BA-IND.
    pub ba_ind: bool,
    /// RACH control parameters.
    pub rach: RachControl,
}

/// System Information Type 2ter: extended (multiband) BCCH allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Si2ter {
    /// Neighbour BCCH ARFCNs of other bands, ascending.
    pub neighbours: Vec<u16>,
    /// MULTIBAND_REPORTING, 0–3.
    pub multiband_reporting: u8,
    /// BA-IND.
    pub ba_ind: bool,
}

/// System Information Type 2quater: presence and the header fields of its rest octets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Si2quater {
    /// BA_IND.
    pub ba_ind: bool,
    /// 3G_BA_IND.
    pub ba_3g_ind: bool,
    /// MP_CHANGE_MARK.
    pub mp_change_mark: bool,
    /// SI2quater_INDEX, 0–15.
    pub index: u8,
    /// SI2quater_COUNT, 0–15.
    pub count: u8,
}

/// Cell reselection parameters of the SI3/SI4 rest octets (TS 44.018 §10.5.2.34–35, TS 45.008).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionParameters {
    /// CBQ (cell bar qualify).
    pub cbq: bool,
    /// CELL_RESELECT_OFFSET coded 0–63 (× 2 dB).
    pub cell_reselect_offset: u8,
    /// TEMPORARY_OFFSET coded 0–7 (× 10 dB, 7 = infinity).
    pub temporary_offset: u8,
    /// PENALTY_TIME coded 0–31 (20 s × (value + 1); 31 = CRO subtracted).
    pub penalty_time: u8,
}

impl SelectionParameters {
    /// CELL_RESELECT_OFFSET in dB.
    pub fn cell_reselect_offset_db(&self) -> u8 {
        2 * (self.cell_reselect_offset & 0x3f)
    }
    fn read(r: &mut BitReader<'_>) -> Option<SelectionParameters> {
        Some(SelectionParameters {
            cbq: r.bit()? == 1,
            cell_reselect_offset: r.bits(6)? as u8,
            temporary_offset: r.bits(3)? as u8,
            penalty_time: r.bits(5)? as u8,
        })
    }
    fn write(&self, w: &mut BitWriter<'_>) {
        w.bit(u8::from(self.cbq));
        w.bits(u32::from(self.cell_reselect_offset), 6);
        w.bits(u32::from(self.temporary_offset), 3);
        w.bits(u32::from(self.penalty_time), 5);
    }
}

/// GPRS indicator of the SI3/SI4 rest octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GprsIndicator {
    /// RA_COLOUR, 0–7.
    pub ra_colour: u8,
    /// SI13_POSITION: 0 = BCCH Norm, 1 = BCCH Ext.
    pub si13_position: u8,
}

impl GprsIndicator {
    fn read(r: &mut BitReader<'_>) -> Option<GprsIndicator> {
        Some(GprsIndicator {
            ra_colour: r.bits(3)? as u8,
            si13_position: r.bit()?,
        })
    }
    fn write(&self, w: &mut BitWriter<'_>) {
        w.bits(u32::from(self.ra_colour), 3);
        w.bit(self.si13_position);
    }
}

/// SI3 rest octets (TS 44.018 §10.5.2.34).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Si3Rest {
    /// Optional selection parameters (CBQ, CRO, temporary offset, penalty time).
    pub selection: Option<SelectionParameters>,
    /// POWER_OFFSET, when present.
    pub power_offset: Option<u8>,
    /// SI2ter is broadcast.
    pub si2ter_indicator: bool,
    /// Early classmark sending is accepted.
    pub early_classmark_sending: bool,
    /// Scheduling information WHERE, when present.
    pub scheduling_where: Option<u8>,
    /// GPRS indicator, when GPRS is supported.
    pub gprs: Option<GprsIndicator>,
    /// 3G early classmark sending restriction.
    pub ecsr_3g: bool,
    /// SI2quater position (0 = BCCH Norm, 1 = BCCH Ext), when SI2quater is broadcast.
    pub si2quater_position: Option<u8>,
}

impl Si3Rest {
    fn read(r: &mut BitReader<'_>) -> Si3Rest {
        let mut s = Si3Rest::default();
        if r.h() {
            s.selection = SelectionParameters::read(r);
        }
        if r.h() {
            s.power_offset = r.bits(2).map(|v| v as u8);
        }
        s.si2ter_indicator = r.h();
        s.early_classmark_sending = r.h();
        if r.h() {
            s.scheduling_where = r.bits(3).map(|v| v as u8);
        }
        if r.h() {
            s.gprs = GprsIndicator::read(r);
        }
        s.ecsr_3g = r.h();
        if r.h() {
            s.si2quater_position = r.bit();
        }
        s
    }
    fn write(&self, w: &mut BitWriter<'_>) {
        w.lh(self.selection.is_some());
        if let Some(p) = &self.selection {
            p.write(w);
        }
        w.lh(self.power_offset.is_some());
        if let Some(p) = self.power_offset {
            w.bits(u32::from(p), 2);
        }
        w.lh(self.si2ter_indicator);
        w.lh(self.early_classmark_sending);
        w.lh(self.scheduling_where.is_some());
        if let Some(x) = self.scheduling_where {
            w.bits(u32::from(x), 3);
        }
        w.lh(self.gprs.is_some());
        if let Some(g) = &self.gprs {
            g.write(w);
        }
        w.lh(self.ecsr_3g);
        w.lh(self.si2quater_position.is_some());
        if let Some(p) = self.si2quater_position {
            w.bit(p);
        }
    }
}

/// System Information Type 3: cell identity, LAI, control channel description, cell options,
/// cell selection, RACH control and reselection parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Si3 {
    /// Cell identity (CI).
    pub cell_identity: u16,
    /// Location area identification.
    pub lai: Lai,
    /// Control channel description.
    pub control_channel: ControlChannelDescription,
    /// Cell options (BCCH).
    pub cell_options: CellOptions,
    /// Cell selection parameters.
    pub cell_selection: CellSelection,
    /// RACH control parameters.
    pub rach: RachControl,
    /// Rest octets.
    pub rest: Si3Rest,
}

/// SI4 rest octets (first part, TS 44.018 §10.5.2.35).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Si4Rest {
    /// Optional selection parameters.
    pub selection: Option<SelectionParameters>,
    /// POWER_OFFSET, when present.
    pub power_offset: Option<u8>,
    /// GPRS indicator.
    pub gprs: Option<GprsIndicator>,
}

/// System Information Type 4: LAI, cell selection, RACH control, optional CBCH.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Si4 {
    /// Location area identification.
    pub lai: Lai,
    /// Cell selection parameters.
    pub cell_selection: CellSelection,
    /// RACH control parameters.
    pub rach: RachControl,
    /// CBCH channel description, when a cell broadcast channel exists.
    pub cbch: Option<ChannelDescription>,
    /// CBCH mobile allocation (raw value octets), when present.
    pub cbch_mobile_allocation: Option<Vec<u8>>,
    /// Rest octets.
    pub rest: Si4Rest,
}

/// GPRS parameters of SI13 when no PBCCH is present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Si13Gprs {
    /// Routing area code.
    pub rac: u8,
    /// SPGC_CCCH_SUP.
    pub spgc_ccch_sup: bool,
    /// PRIORITY_ACCESS_THR, 0–7.
    pub priority_access_thr: u8,
    /// NETWORK_CONTROL_ORDER, 0–3.
    pub network_control_order: u8,
}

/// System Information Type 13 (GPRS): change marks and, when cheap, the routing area code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Si13 {
    /// BCCH_CHANGE_MARK, 0–7.
    pub bcch_change_mark: u8,
    /// SI_CHANGE_FIELD, 0–15.
    pub si_change_field: u8,
    /// RAC and friends; `None` when the message carries a GPRS mobile allocation or a PBCCH
    /// (not parsed here).
    pub gprs: Option<Si13Gprs>,
}

/// GPRS cell options and power control parameters written after the SI13 fields we model
/// (taken from the real SI13 of `vf-call6-arfcn725`, octet aligned).
const SI13_TAIL: [u8; 9] = [0x47, 0xeb, 0x4a, 0x92, 0x43, 0x40, 0x62, 0x84, 0xeb];

pub(super) fn parse_si1(b: &[u8]) -> Result<Si1, L3Error> {
    let cell_channels = decode_frequency_list(slice(b, 0, 16, "SI1")?, ListKind::Standard)?;
    let rach = RachControl::parse(slice(b, 16, 3, "SI1")?)?;
    let mut r = BitReader::new(b.get(19..).unwrap_or(&[]));
    let nch_position = if r.h() {
        r.bits(5).map(|v| v as u8)
    } else {
        None
    };
    let band_indicator_1900 = r.h();
    Ok(Si1 {
        cell_channels,
        rach,
        nch_position,
        band_indicator_1900,
    })
}

pub(super) fn build_si1(m: &Si1, out: &mut Vec<u8>) -> Result<(), L3Error> {
    out.extend_from_slice(&encode_frequency_list(
        &m.cell_channels,
        ListKind::Standard,
        0,
    )?);
    out.extend_from_slice(&m.rach.encode());
    Ok(())
}

pub(super) fn rest_si1(m: &Si1, w: &mut BitWriter<'_>) {
    w.lh(m.nch_position.is_some());
    if let Some(p) = m.nch_position {
        w.bits(u32::from(p), 5);
    }
    w.lh(m.band_indicator_1900);
}

pub(super) fn parse_si2(b: &[u8]) -> Result<Si2, L3Error> {
    let nd = slice(b, 0, 16, "SI2")?;
    Ok(Si2 {
        neighbours: decode_frequency_list(nd, ListKind::Standard)?,
        ext_ind: nd[0] & 0x20 != 0,
        ba_ind: nd[0] & 0x10 != 0,
        ncc_permitted: *b.get(16).ok_or(L3Error::Truncated("SI2"))?,
        rach: RachControl::parse(slice(b, 17, 3, "SI2")?)?,
    })
}

pub(super) fn build_si2(m: &Si2, out: &mut Vec<u8>) -> Result<(), L3Error> {
    let flags = (u8::from(m.ext_ind) << 1) | u8::from(m.ba_ind);
    out.extend_from_slice(&encode_frequency_list(
        &m.neighbours,
        ListKind::Standard,
        flags,
    )?);
    out.push(m.ncc_permitted);
    out.extend_from_slice(&m.rach.encode());
    Ok(())
}

pub(super) fn parse_si2bis(b: &[u8]) -> Result<Si2bis, L3Error> {
    let nd = slice(b, 0, 16, "SI2bis")?;
    Ok(Si2bis {
        neighbours: decode_frequency_list(nd, ListKind::Standard)?,
        ext_ind: nd[0] & 0x20 != 0,
        ba_ind: nd[0] & 0x10 != 0,
        rach: RachControl::parse(slice(b, 16, 3, "SI2bis")?)?,
    })
}

pub(super) fn build_si2bis(m: &Si2bis, out: &mut Vec<u8>) -> Result<(), L3Error> {
    let flags = (u8::from(m.ext_ind) << 1) | u8::from(m.ba_ind);
    out.extend_from_slice(&encode_frequency_list(
        &m.neighbours,
        ListKind::Standard,
        flags,
    )?);
    out.extend_from_slice(&m.rach.encode());
    Ok(())
}

pub(super) fn parse_si2ter(b: &[u8]) -> Result<Si2ter, L3Error> {
    let nd = slice(b, 0, 16, "SI2ter")?;
    Ok(Si2ter {
        neighbours: decode_frequency_list(nd, ListKind::Extended)?,
        multiband_reporting: (nd[0] >> 5) & 3,
        ba_ind: nd[0] & 0x10 != 0,
    })
}

pub(super) fn build_si2ter(m: &Si2ter, out: &mut Vec<u8>) -> Result<(), L3Error> {
    let flags = ((m.multiband_reporting & 3) << 1) | u8::from(m.ba_ind);
    out.extend_from_slice(&encode_frequency_list(
        &m.neighbours,
        ListKind::Extended,
        flags,
    )?);
    Ok(())
}

pub(super) fn parse_si2quater(b: &[u8]) -> Result<Si2quater, L3Error> {
    let mut r = BitReader::new(b);
    let mut next = |n| r.bits(n).ok_or(L3Error::Truncated("SI2quater"));
    Ok(Si2quater {
        ba_ind: next(1)? == 1,
        ba_3g_ind: next(1)? == 1,
        mp_change_mark: next(1)? == 1,
        index: next(4)? as u8,
        count: next(4)? as u8,
    })
}

pub(super) fn rest_si2quater(m: &Si2quater, w: &mut BitWriter<'_>) {
    w.bit(u8::from(m.ba_ind));
    w.bit(u8::from(m.ba_3g_ind));
    w.bit(u8::from(m.mp_change_mark));
    w.bits(u32::from(m.index), 4);
    w.bits(u32::from(m.count), 4);
    // No measurement parameters, GPRS real-time difference, BSIC, report priority, measurement
    // parameters, NC parameters, extension, 3G neighbour cells, 3G measurement parameters.
    for _ in 0..9 {
        w.bit(0);
    }
}

pub(super) fn parse_si3(b: &[u8]) -> Result<Si3, L3Error> {
    let ci = slice(b, 0, 2, "SI3")?;
    let mut r = BitReader::new(b.get(16..).unwrap_or(&[]));
    Ok(Si3 {
        cell_identity: u16::from_be_bytes([ci[0], ci[1]]),
        lai: Lai::parse(slice(b, 2, 5, "SI3")?)?,
        control_channel: ControlChannelDescription::parse(slice(b, 7, 3, "SI3")?)?,
        cell_options: CellOptions::parse(*b.get(10).ok_or(L3Error::Truncated("SI3"))?),
        cell_selection: CellSelection::parse(slice(b, 11, 2, "SI3")?)?,
        rach: RachControl::parse(slice(b, 13, 3, "SI3")?)?,
        rest: Si3Rest::read(&mut r),
    })
}

pub(super) fn build_si3(m: &Si3, out: &mut Vec<u8>) {
    out.extend_from_slice(&m.cell_identity.to_be_bytes());
    out.extend_from_slice(&m.lai.encode());
    out.extend_from_slice(&m.control_channel.encode());
    out.push(m.cell_options.encode());
    out.extend_from_slice(&m.cell_selection.encode());
    out.extend_from_slice(&m.rach.encode());
}

pub(super) fn rest_si3(m: &Si3, w: &mut BitWriter<'_>) {
    m.rest.write(w);
}

/// `b` is the message after the message type; `l3_len` the octets after the message type that the
/// L2 pseudo length covers (optional IEs live there).
pub(super) fn parse_si4(b: &[u8], l3_len: usize) -> Result<Si4, L3Error> {
    let mut pos = 10;
    let mut cbch = None;
    let mut cbch_mobile_allocation = None;
    if pos < l3_len && b.get(pos) == Some(&0x64) {
        cbch = Some(ChannelDescription::parse(slice(
            b,
            pos + 1,
            3,
            "SI4 CBCH",
        )?)?);
        pos += 4;
        if pos < l3_len && b.get(pos) == Some(&0x72) {
            let len = usize::from(*b.get(pos + 1).ok_or(L3Error::Truncated("SI4 CBCH MA"))?);
            cbch_mobile_allocation = Some(slice(b, pos + 2, len, "SI4 CBCH MA")?.to_vec());
            pos += 2 + len;
        }
    }
    let start = pos.max(l3_len);
    let mut r = BitReader::new(b.get(start..).unwrap_or(&[]));
    let mut rest = Si4Rest::default();
    if r.h() {
        rest.selection = SelectionParameters::read(&mut r);
    }
    if r.h() {
        rest.power_offset = r.bits(2).map(|v| v as u8);
    }
    if r.h() {
        rest.gprs = GprsIndicator::read(&mut r);
    }
    Ok(Si4 {
        lai: Lai::parse(slice(b, 0, 5, "SI4")?)?,
        cell_selection: CellSelection::parse(slice(b, 5, 2, "SI4")?)?,
        rach: RachControl::parse(slice(b, 7, 3, "SI4")?)?,
        cbch,
        cbch_mobile_allocation,
        rest,
    })
}

pub(super) fn build_si4(m: &Si4, out: &mut Vec<u8>) -> Result<(), L3Error> {
    out.extend_from_slice(&m.lai.encode());
    out.extend_from_slice(&m.cell_selection.encode());
    out.extend_from_slice(&m.rach.encode());
    if let Some(c) = &m.cbch {
        out.push(0x64);
        out.extend_from_slice(&c.encode());
        if let Some(ma) = &m.cbch_mobile_allocation {
            out.push(0x72);
            out.push(u8::try_from(ma.len()).map_err(|_| L3Error::TooLong)?);
            out.extend_from_slice(ma);
        }
    } else if m.cbch_mobile_allocation.is_some() {
        return Err(L3Error::Malformed("CBCH mobile allocation without CBCH"));
    }
    Ok(())
}

pub(super) fn rest_si4(m: &Si4, w: &mut BitWriter<'_>) {
    w.lh(m.rest.selection.is_some());
    if let Some(p) = &m.rest.selection {
        p.write(w);
    }
    w.lh(m.rest.power_offset.is_some());
    if let Some(p) = m.rest.power_offset {
        w.bits(u32::from(p), 2);
    }
    w.lh(m.rest.gprs.is_some());
    if let Some(g) = &m.rest.gprs {
        g.write(w);
    }
}

pub(super) fn parse_si13(b: &[u8]) -> Result<Si13, L3Error> {
    let mut r = BitReader::new(b);
    if !r.h() {
        return Err(L3Error::Malformed("SI13 without rest octets"));
    }
    let t = |v: Option<u32>| v.map(|x| x as u8).ok_or(L3Error::Truncated("SI13"));
    let bcch_change_mark = t(r.bits(3))?;
    let si_change_field = t(r.bits(4))?;
    let mut gprs = None;
    if r.bit() == Some(0) && r.bit() == Some(0) {
        gprs = Some(Si13Gprs {
            rac: t(r.bits(8))?,
            spgc_ccch_sup: t(r.bits(1))? == 1,
            priority_access_thr: t(r.bits(3))?,
            network_control_order: t(r.bits(2))?,
        });
    }
    Ok(Si13 {
        bcch_change_mark,
        si_change_field,
        gprs,
    })
}

pub(super) fn rest_si13(m: &Si13, w: &mut BitWriter<'_>) -> Result<(), L3Error> {
    let g = m.gprs.ok_or(L3Error::Unsupported(
        "SI13 with GPRS mobile allocation or PBCCH",
    ))?;
    w.lh(true);
    w.bits(u32::from(m.bcch_change_mark), 3);
    w.bits(u32::from(m.si_change_field), 4);
    w.bit(0); // no SI13_CHANGE_MARK / GPRS mobile allocation
    w.bit(0); // no PBCCH
    w.bits(u32::from(g.rac), 8);
    w.bit(u8::from(g.spgc_ccch_sup));
    w.bits(u32::from(g.priority_access_thr), 3);
    w.bits(u32::from(g.network_control_order), 2);
    for byte in SI13_TAIL {
        w.bits(u32::from(byte), 8);
    }
    Ok(())
}

/// System Information Type 5 / 5bis (SACCH): BA list of the neighbours to measure in dedicated mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Si5 {
    /// Neighbour BCCH ARFCNs, ascending.
    pub neighbours: Vec<u16>,
    /// EXT-IND.
    pub ext_ind: bool,
    /// BA-IND.
    pub ba_ind: bool,
}

/// System Information Type 5ter (SACCH): extended (multiband) BA list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Si5ter {
    /// Neighbour BCCH ARFCNs of other bands, ascending.
    pub neighbours: Vec<u16>,
    /// MULTIBAND_REPORTING, 0–3.
    pub multiband_reporting: u8,
    /// BA-IND.
    pub ba_ind: bool,
}

/// System Information Type 6 (SACCH): cell identity and LAI as seen in dedicated mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Si6 {
    /// Cell identity.
    pub cell_identity: u16,
    /// Location area identification.
    pub lai: Lai,
    /// Cell options (SACCH), raw octet (bit 8 and bits 6–5: DTX; bit 7 PWRC; bits 4–1 RLT).
    pub cell_options: u8,
    /// NCC permitted bit map.
    pub ncc_permitted: u8,
}

pub(super) fn parse_si5(b: &[u8]) -> Result<Si5, L3Error> {
    let nd = slice(b, 0, 16, "SI5")?;
    Ok(Si5 {
        neighbours: decode_frequency_list(nd, ListKind::Standard)?,
        ext_ind: nd[0] & 0x20 != 0,
        ba_ind: nd[0] & 0x10 != 0,
    })
}

pub(super) fn build_si5(m: &Si5, out: &mut Vec<u8>) -> Result<(), L3Error> {
    let flags = (u8::from(m.ext_ind) << 1) | u8::from(m.ba_ind);
    out.extend_from_slice(&encode_frequency_list(
        &m.neighbours,
        ListKind::Standard,
        flags,
    )?);
    Ok(())
}

pub(super) fn parse_si5ter(b: &[u8]) -> Result<Si5ter, L3Error> {
    let nd = slice(b, 0, 16, "SI5ter")?;
    Ok(Si5ter {
        neighbours: decode_frequency_list(nd, ListKind::Extended)?,
        multiband_reporting: (nd[0] >> 5) & 3,
        ba_ind: nd[0] & 0x10 != 0,
    })
}

pub(super) fn build_si5ter(m: &Si5ter, out: &mut Vec<u8>) -> Result<(), L3Error> {
    let flags = ((m.multiband_reporting & 3) << 1) | u8::from(m.ba_ind);
    out.extend_from_slice(&encode_frequency_list(
        &m.neighbours,
        ListKind::Extended,
        flags,
    )?);
    Ok(())
}

pub(super) fn parse_si6(b: &[u8]) -> Result<Si6, L3Error> {
    let ci = slice(b, 0, 2, "SI6")?;
    Ok(Si6 {
        cell_identity: u16::from_be_bytes([ci[0], ci[1]]),
        lai: Lai::parse(slice(b, 2, 5, "SI6")?)?,
        cell_options: *b.get(7).ok_or(L3Error::Truncated("SI6"))?,
        ncc_permitted: *b.get(8).ok_or(L3Error::Truncated("SI6"))?,
    })
}

pub(super) fn build_si6(m: &Si6, out: &mut Vec<u8>) {
    out.extend_from_slice(&m.cell_identity.to_be_bytes());
    out.extend_from_slice(&m.lai.encode());
    out.push(m.cell_options);
    out.push(m.ncc_permitted);
}
