//! What a stream of BCCH/CCCH messages says about one cell: identity, neighbour lists, reselection
//! parameters and CCCH load counts. Latest value wins; nothing here is clock-based.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    CellOptions, CellSelection, ControlChannelDescription, GprsIndicator, Lai, Message,
    RachControl, SelectionParameters, Si2quater, Si13,
};

/// A cell's broadcast picture, built with [`CellSummary::observe`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellSummary {
    /// LAI from SI3 (or SI4 until an SI3 arrives).
    pub lai: Option<Lai>,
    /// Cell identity from SI3.
    pub cell_identity: Option<u16>,
    /// Cell allocation from SI1.
    pub cell_allocation: Vec<u16>,
    /// BA list of SI2.
    pub si2_neighbours: Vec<u16>,
    /// BA list of SI2bis.
    pub si2bis_neighbours: Vec<u16>,
    /// BA list of SI2ter.
    pub si2ter_neighbours: Vec<u16>,
    /// NCC permitted from SI2.
    pub ncc_permitted: Option<u8>,
    /// Control channel description from SI3.
    pub control_channel: Option<ControlChannelDescription>,
    /// Cell options from SI3.
    pub cell_options: Option<CellOptions>,
    /// Cell selection parameters (SI3, else SI4).
    pub cell_selection: Option<CellSelection>,
    /// RACH control (latest SI1/2/2bis/3/4).
    pub rach: Option<RachControl>,
    /// Reselection parameters (CBQ, CRO, temporary offset, penalty time) from SI3/SI4 rest octets.
    pub selection: Option<SelectionParameters>,
    /// GPRS indicator from SI3/SI4 rest octets.
    pub gprs: Option<GprsIndicator>,
    /// The latest SI13 (GPRS: change marks, routing area code).
    #[serde(default)]
    pub si13: Option<Si13>,
    /// The latest SI2quater (header fields of its rest octets).
    #[serde(default)]
    pub si2quater: Option<Si2quater>,
    /// SI4 reported a different LAI than SI3 (count).
    pub lai_mismatches: u64,
    /// Messages seen, by [`Message::name`].
    pub message_counts: BTreeMap<String, u64>,
    /// Paged identities by kind ("imsi", "tmsi", …).
    pub paged_identities: BTreeMap<String, u64>,
    /// Immediate assignments (an Extended one counts twice).
    pub immediate_assignments: u64,
    /// Immediate assignment rejects.
    pub immediate_assignment_rejects: u64,
}

impl CellSummary {
    /// An empty summary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every neighbour ARFCN (SI2 ∪ SI2bis ∪ SI2ter), ascending.
    pub fn neighbours(&self) -> Vec<u16> {
        let mut v: Vec<u16> = self
            .si2_neighbours
            .iter()
            .chain(&self.si2bis_neighbours)
            .chain(&self.si2ter_neighbours)
            .copied()
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// One line on GPRS and the extended system information, when the cell broadcast any:
    /// `GPRS RA colour 6, SI13 on BCCH norm; SI13 RAC 1 BCCH_CHANGE_MARK 4 …; SI2quater index 0 (last 0)`.
    pub fn gprs_text(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(g) = &self.gprs {
            parts.push(format!(
                "GPRS RA colour {}, SI13 on BCCH {}",
                g.ra_colour,
                if g.si13_position == 0 { "norm" } else { "ext" }
            ));
        }
        if let Some(m) = &self.si13 {
            parts.push(match &m.gprs {
                Some(g) => format!(
                    "SI13 RAC {} BCCH_CHANGE_MARK {} NCO {} PRIORITY_ACCESS_THR {}",
                    g.rac, m.bcch_change_mark, g.network_control_order, g.priority_access_thr
                ),
                None => format!(
                    "SI13 BCCH_CHANGE_MARK {} (GPRS mobile allocation or PBCCH: RAC not read)",
                    m.bcch_change_mark
                ),
            });
        }
        if let Some(q) = &self.si2quater {
            parts.push(format!("SI2quater index {} (last {})", q.index, q.count));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    fn page(&mut self, kind: &str, n: u64) {
        *self.paged_identities.entry(kind.to_string()).or_default() += n;
    }

    /// Takes one message into account.
    pub fn observe(&mut self, msg: &Message) {
        *self.message_counts.entry(msg.name()).or_default() += 1;
        match msg {
            Message::Si1(m) => {
                self.cell_allocation = m.cell_channels.clone();
                self.rach = Some(m.rach);
            }
            Message::Si2(m) => {
                self.si2_neighbours = m.neighbours.clone();
                self.ncc_permitted = Some(m.ncc_permitted);
                self.rach = Some(m.rach);
            }
            Message::Si2bis(m) => {
                self.si2bis_neighbours = m.neighbours.clone();
                self.rach = Some(m.rach);
            }
            Message::Si2ter(m) => self.si2ter_neighbours = m.neighbours.clone(),
            Message::Si3(m) => {
                self.lai = Some(m.lai);
                self.cell_identity = Some(m.cell_identity);
                self.control_channel = Some(m.control_channel);
                self.cell_options = Some(m.cell_options);
                self.cell_selection = Some(m.cell_selection);
                self.rach = Some(m.rach);
                if m.rest.selection.is_some() {
                    self.selection = m.rest.selection;
                }
                if m.rest.gprs.is_some() {
                    self.gprs = m.rest.gprs;
                }
            }
            Message::Si4(m) => {
                match self.lai {
                    Some(lai) if lai != m.lai => self.lai_mismatches += 1,
                    Some(_) => {}
                    None => self.lai = Some(m.lai),
                }
                if self.cell_selection.is_none() {
                    self.cell_selection = Some(m.cell_selection);
                }
                self.rach = Some(m.rach);
                if m.rest.selection.is_some() {
                    self.selection = m.rest.selection;
                }
                if m.rest.gprs.is_some() {
                    self.gprs = m.rest.gprs;
                }
            }
            Message::PagingRequest1(m) => {
                for id in m.identities() {
                    self.page(id.kind_name(), 1);
                }
            }
            Message::PagingRequest2(m) => {
                self.page("tmsi", 2);
                if let Some(id) = &m.identity3 {
                    self.page(id.kind_name(), 1);
                }
            }
            Message::PagingRequest3(_) => self.page("tmsi", 4),
            Message::ImmediateAssignment(_) => self.immediate_assignments += 1,
            Message::ImmediateAssignmentExtended(_) => self.immediate_assignments += 2,
            Message::ImmediateAssignmentReject(_) => self.immediate_assignment_rejects += 1,
            Message::Si2quater(m) => self.si2quater = Some(m.clone()),
            Message::Si13(m) => self.si13 = Some(m.clone()),
            Message::Si5(_)
            | Message::Si5bis(_)
            | Message::Si5ter(_)
            | Message::Si6(_)
            | Message::Unknown { .. } => {}
            // Dedicated-channel messages say nothing about the cell's broadcast.
            Message::CipheringModeCommand(_)
            | Message::ChannelRelease { .. }
            | Message::AssignmentCommand
            | Message::LocationUpdatingRequest(_)
            | Message::LocationUpdatingAccept(_)
            | Message::LocationUpdatingReject { .. }
            | Message::AuthenticationRequest(_)
            | Message::IdentityRequest { .. }
            | Message::IdentityResponse(_)
            | Message::TmsiReallocationCommand(_)
            | Message::CmServiceAccept
            | Message::CpData(_)
            | Message::CpAck { .. }
            | Message::CpError { .. } => {}
        }
    }
}
