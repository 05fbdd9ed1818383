//! CCCH load: paging (type 1/2/3, TMSI or IMSI) and Immediate Assignment at configured rates,
//! empty paging or L2 fill frames otherwise. Arrivals are Poisson, drawn from the cell's seed.

use super::l3glue::{FILL_FRAME, PagedId};
use crate::signal::Rng;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// What an idle CCCH block carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdleCcch {
    /// Paging Request Type 1 with no identity (what osmo-bts and most networks send).
    #[default]
    EmptyPaging,
    /// LAPDm fill frame (`03 03 01 2b …`).
    Fill,
}

/// Paging and access-grant load on a cell's CCCH.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CcchLoad {
    /// Mobile identities paged per second (Poisson).
    pub paging_per_s: f64,
    /// Fraction of paged identities that are IMSIs (the rest are TMSIs).
    pub paging_imsi_fraction: f64,
    /// Paging Request message types the cell may use (1, 2, 3).
    pub paging_types: Vec<u8>,
    /// Immediate Assignments per second (Poisson); a registration storm is a high rate.
    pub immediate_assignment_per_s: f64,
    /// CCCH blocks reserved for the AGCH (BS_AG_BLKS_RES, 0–7): no paging there.
    pub bs_ag_blks_res: u8,
    /// MCC of paged IMSIs.
    pub mcc: u16,
    /// MNC of paged IMSIs.
    pub mnc: u16,
    /// Whether the MNC has three digits.
    pub mnc_3_digits: bool,
    /// What idle blocks carry.
    pub idle: IdleCcch,
}

impl Default for CcchLoad {
    fn default() -> Self {
        CcchLoad {
            paging_per_s: 0.0,
            paging_imsi_fraction: 0.0,
            paging_types: vec![1, 2, 3],
            immediate_assignment_per_s: 0.0,
            bs_ag_blks_res: 1,
            mcc: 1,
            mnc: 1,
            mnc_3_digits: false,
            idle: IdleCcch::EmptyPaging,
        }
    }
}

pub(crate) struct CcchScheduler {
    load: CcchLoad,
    rng: Rng,
    next_page_s: f64,
    next_ia_s: f64,
    pages: VecDeque<PagedId>,
    ias: VecDeque<f64>,
    arfcn: u16,
    tsc: u8,
    /// The SDCCH/8 sub-channel (timeslot, sub-channel) the last block assigned, if any: the cell
    /// takes it and serves the dialogue there.
    pub(crate) assigned: Option<(u8, u8)>,
}

/// The SDCCH/8 sub-channels an Immediate Assignment may point to.
pub(crate) struct SdcchPlan<'a> {
    /// Timeslots configured as SDCCH/8 (empty: none).
    pub(crate) timeslots: &'a [u8],
    /// Busy sub-channels per timeslot (bit n = sub-channel n).
    pub(crate) busy: [u8; 8],
}

impl SdcchPlan<'_> {
    /// A free sub-channel: the drawn one if free, else the next free one in order.
    fn pick(&self, ts_draw: u64, sub_draw: u8) -> Option<(u8, u8)> {
        let n = self.timeslots.len();
        if n == 0 {
            return None;
        }
        let first = (ts_draw % n as u64) as usize;
        (0..n * 8).find_map(|k| {
            let ts = *self.timeslots.get((first + k / 8) % n)?;
            let sub = (sub_draw + (k % 8) as u8) % 8;
            let busy = self.busy.get(usize::from(ts)).copied().unwrap_or(0xff);
            (busy & (1 << sub) == 0).then_some((ts, sub))
        })
    }
}

fn exp_interval(rng: &mut Rng, rate: f64) -> f64 {
    if rate <= 0.0 {
        f64::INFINITY
    } else {
        -(1.0 - rng.uniform()).ln() / rate
    }
}

impl CcchScheduler {
    pub(crate) fn new(load: CcchLoad, seed: u64, arfcn: u16, tsc: u8) -> Self {
        let mut rng = Rng::new(seed);
        let next_page_s = exp_interval(&mut rng, load.paging_per_s);
        let next_ia_s = exp_interval(&mut rng, load.immediate_assignment_per_s);
        CcchScheduler {
            load,
            rng,
            next_page_s,
            next_ia_s,
            pages: VecDeque::new(),
            ias: VecDeque::new(),
            arfcn,
            tsc,
            assigned: None,
        }
    }

    fn arrivals(&mut self, t_s: f64) {
        while self.next_page_s <= t_s {
            let id = if self.rng.uniform() < self.load.paging_imsi_fraction {
                PagedId::Imsi(self.rng.next_u64() % 10_000_000_000)
            } else {
                PagedId::Tmsi(self.rng.next_u64() as u32)
            };
            // Bounded queue: a hopelessly overloaded cell drops the oldest.
            if self.pages.len() >= 256 {
                self.pages.pop_front();
            }
            self.pages.push_back(id);
            self.next_page_s += exp_interval(&mut self.rng, self.load.paging_per_s);
        }
        while self.next_ia_s <= t_s {
            if self.ias.len() >= 256 {
                self.ias.pop_front();
            }
            self.ias.push_back(self.next_ia_s);
            self.next_ia_s += exp_interval(&mut self.rng, self.load.immediate_assignment_per_s);
        }
    }

    /// The L2 frame for CCCH block `block` (0–8) starting in frame `fn_` at cell time `t_s`.
    pub(crate) fn next_block(
        &mut self,
        block: u8,
        fn_: u32,
        t_s: f64,
        c: &mut CellCounters,
        sdcch: &SdcchPlan<'_>,
    ) -> [u8; 23] {
        self.arrivals(t_s);
        let agch_only = block < self.load.bs_ag_blks_res;
        if self.ias.pop_front().is_some() {
            c.immediate_assignments += 1;
            let ra = self.rng.next_u64() as u8;
            let ts_draw = self.rng.next_u64();
            let sub_draw = (self.rng.next_u64() % 8) as u8;
            let (ts, sub) = match sdcch.pick(ts_draw, sub_draw) {
                Some((ts, sub)) => {
                    self.assigned = Some((ts, sub));
                    (ts, sub)
                }
                // No SDCCH configured (earlier scenes): any timeslot, nothing served there.
                None if sdcch.timeslots.is_empty() => (1 + (ts_draw % 7) as u8, sub_draw),
                // Every configured sub-channel busy: the assignment collides with a running one.
                None => {
                    c.sdcch_collisions += 1;
                    let i = (ts_draw % sdcch.timeslots.len() as u64) as usize;
                    (sdcch.timeslots.get(i).copied().unwrap_or(1), sub_draw)
                }
            };
            let ta = (self.rng.next_u64() % 8) as u8;
            let req_fn = fn_.saturating_sub(1 + (self.rng.next_u64() % 20) as u32);
            return super::l3glue::immediate_assignment(
                ra, req_fn, ts, sub, ta, self.arfcn, self.tsc,
            );
        }
        if !agch_only && !self.pages.is_empty() {
            let tmsis = self
                .pages
                .iter()
                .take_while(|p| matches!(p, PagedId::Tmsi(_)))
                .count();
            let allow = |t: u8| self.load.paging_types.contains(&t);
            let take = if tmsis >= 4 && allow(3) {
                3
            } else if tmsis >= 2 && allow(2) {
                2
            } else {
                1
            };
            let frame = match take {
                3 => {
                    let ids: Vec<u32> = self.pop_tmsis(4);
                    c.paged_identities += 4;
                    super::l3glue::paging3([ids[0], ids[1], ids[2], ids[3]])
                }
                2 => {
                    let ids: Vec<u32> = self.pop_tmsis(2);
                    c.paged_identities += 2;
                    super::l3glue::paging2([ids[0], ids[1]])
                }
                _ => {
                    let mut ids = Vec::new();
                    while ids.len() < 2 {
                        match self.pages.pop_front() {
                            Some(p) => ids.push(p),
                            None => break,
                        }
                    }
                    c.paged_identities += ids.len() as u64;
                    super::l3glue::paging1(
                        &ids,
                        self.load.mcc,
                        self.load.mnc,
                        self.load.mnc_3_digits,
                    )
                }
            };
            c.paging_messages += 1;
            return frame;
        }
        c.idle_ccch_blocks += 1;
        if agch_only {
            return FILL_FRAME;
        }
        match self.load.idle {
            IdleCcch::EmptyPaging => super::l3glue::empty_paging(),
            IdleCcch::Fill => FILL_FRAME,
        }
    }

    fn pop_tmsis(&mut self, n: usize) -> Vec<u32> {
        let mut v = Vec::with_capacity(n);
        while v.len() < n {
            match self.pages.pop_front() {
                Some(PagedId::Tmsi(t)) => v.push(t),
                Some(PagedId::Imsi(_)) | None => v.push(0),
            }
        }
        v
    }
}

/// Counters of what a cell has sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CellCounters {
    /// TDMA frames generated.
    pub frames: u64,
    /// BCCH blocks sent.
    pub bcch_blocks: u64,
    /// Paging Request messages sent (any type).
    pub paging_messages: u64,
    /// Mobile identities paged.
    pub paged_identities: u64,
    /// Immediate Assignment messages sent.
    pub immediate_assignments: u64,
    /// CCCH blocks with nothing to say (empty paging or fill).
    pub idle_ccch_blocks: u64,
    /// Dialogues started on an SDCCH/8 sub-channel.
    pub sdcch_dialogues: u64,
    /// Immediate Assignments sent while every configured SDCCH/8 sub-channel was busy.
    pub sdcch_collisions: u64,
    /// SDCCH blocks sent in clear (dialogue frames and fill frames).
    pub sdcch_clear_blocks: u64,
    /// SDCCH blocks sent ciphered.
    pub sdcch_ciphered_blocks: u64,
}
