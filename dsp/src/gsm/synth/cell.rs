//! A base station's C0 carrier: the 51-multiframe on timeslot 0 (TS 45.002 §6.3, §7 table 3 for
//! CCCH_CONF = 0, non-combined), dummy bursts or traffic-like bursts on timeslots 1–7, GMSK at
//! 4 samples per symbol.
//!
//! TS0 of frame FN, `t3 = FN mod 51`: FCCH on t3 ∈ {0, 10, 20, 30, 40}, SCH on t3 ∈ {1, 11, 21, 31,
//! 41}, BCCH on 2–5, CCCH blocks 0–8 on 6–9, 12–15, 16–19, 22–25, 26–29, 32–35, 36–39, 42–45,
//! 46–49, and a dummy burst on the idle frame 50. The BCCH carries the system information type
//! chosen by `TC = (FN div 51) mod 8` (TS 45.002 §6.3.1.3): SI1 on TC 0, SI2 on TC 1, SI3 on
//! TC 2 and 6, SI4 on TC 3 and 7, SI13 on TC 4 when GPRS is on, SI2bis/SI2ter/SI2quater on TC 5
//! (and on TC 4 when there is no SI13), rotating when several share a TC.

use super::l3glue::{DialogueParams, SDCCH_FILL, SdcchBlock};
use super::messages::{CcchLoad, CcchScheduler, CellCounters, SdcchPlan};
use super::physics::{Baseband, TX_SPS};
use crate::Complex32;
use crate::arfcn::Band;
use crate::gsm::burst::{BurstType, DUMMY_BURST, TRAINING_SEQUENCES, fcch_burst};
use crate::gsm::coding::{
    ChannelCombination, ChannelKind, SchInfo, block_position, sch_encode_burst, xcch_encode_bursts,
};
use crate::gsm::gmsk::{GmskModulator, timeslot_symbols};
use crate::signal::Rng;
use serde::{Deserialize, Serialize};

/// The BCCH messages of a cell as 23-octet L2 frames (build them with [`crate::gsm::l3`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BcchFrames {
    /// System Information Type 1 (TC 0).
    pub si1: Option<[u8; 23]>,
    /// System Information Type 2 (TC 1).
    pub si2: Option<[u8; 23]>,
    /// System Information Type 2bis (TC 5).
    pub si2bis: Option<[u8; 23]>,
    /// System Information Type 2ter (TC 5, or 4 without SI13).
    pub si2ter: Option<[u8; 23]>,
    /// System Information Type 2quater (TC 5, or 4 without SI13).
    pub si2quater: Option<[u8; 23]>,
    /// System Information Type 3 (TC 2 and 6).
    pub si3: Option<[u8; 23]>,
    /// System Information Type 4 (TC 3 and 7).
    pub si4: Option<[u8; 23]>,
    /// System Information Type 13 (TC 4), when GPRS is on.
    pub si13: Option<[u8; 23]>,
}

/// What TS0 carries in a frame (position in the 51-multiframe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ts0Channel {
    /// Frequency correction burst.
    Fcch,
    /// Synchronisation burst.
    Sch,
    /// BCCH block, burst 0–3.
    Bcch(u8),
    /// CCCH block 0–8, burst 0–3.
    Ccch(u8, u8),
    /// Idle frame (dummy burst).
    Idle,
}

/// Position of frame `fn_` in the non-combined 51-multiframe of TS0 (TS 45.002 §7 table 3).
pub fn ts0_channel(fn_: u32) -> Ts0Channel {
    let t3 = (fn_ % 51) as u8;
    match (BurstType::at(fn_, 0), t3) {
        (BurstType::Idle, _) => Ts0Channel::Idle,
        (BurstType::Fcch, _) => Ts0Channel::Fcch,
        (BurstType::Sch, _) => Ts0Channel::Sch,
        (BurstType::Normal, 2..=5) => Ts0Channel::Bcch(t3 - 2),
        _ => {
            // Ten-frame groups after the first: two CCCH blocks each (t3 = 10g+2..10g+9); the first
            // group has one (6..9).
            let g = t3 / 10;
            let r = t3 % 10 - 2; // 0..7
            let block = if g == 0 { 0 } else { 2 * g - 1 + r / 4 };
            Ts0Channel::Ccch(block, r % 4)
        }
    }
}

/// Which system information a BCCH block in frame `fn_` carries, given what the cell has.
/// `rotation` counts earlier occurrences of the same TC (to rotate shared TCs).
pub fn bcch_si_for(frames: &BcchFrames, fn_: u32, rotation: u32) -> Option<[u8; 23]> {
    let tc = (fn_ / 51) % 8;
    let pick = |list: &[Option<[u8; 23]>]| -> Option<[u8; 23]> {
        let present: Vec<[u8; 23]> = list.iter().flatten().copied().collect();
        if present.is_empty() {
            None
        } else {
            Some(present[rotation as usize % present.len()])
        }
    };
    let chosen = match tc {
        0 => frames.si1,
        1 => frames.si2,
        2 | 6 => frames.si3,
        3 | 7 => frames.si4,
        4 => {
            if frames.si13.is_some() {
                frames.si13
            } else {
                pick(&[frames.si2ter, frames.si2quater])
            }
        }
        _ => {
            if frames.si13.is_some() {
                pick(&[frames.si2bis, frames.si2ter, frames.si2quater])
            } else {
                pick(&[frames.si2bis])
            }
        }
    };
    // A BTS never leaves the BCCH empty: fall back to SI3, then SI4, SI2, SI1.
    chosen
        .or(frames.si3)
        .or(frames.si4)
        .or(frames.si2)
        .or(frames.si1)
}

/// A cell (one BTS, its C0 carrier).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellConfig {
    /// Name used in annotations and messages.
    pub name: String,
    /// Band of the ARFCN.
    pub band: Band,
    /// Absolute radio-frequency channel number of C0.
    pub arfcn: u16,
    /// Base station identity code, `NCC << 3 | BCC`; TSC = BCC.
    pub bsic: u8,
    /// Frame number of the first frame generated.
    pub start_fn: u32,
    /// System information frames.
    pub bcch: BcchFrames,
    /// Paging and access-grant load on the CCCH.
    pub ccch: CcchLoad,
    /// Timeslots (1–7) that carry traffic-like normal bursts instead of dummy bursts.
    pub traffic_timeslots: Vec<u8>,
    /// The SDCCH/8 channels the cell serves and what it says on them.
    #[serde(default)]
    pub dedicated: DedicatedConfig,
    /// Physics (power, clock, timing, schedule, multipath).
    pub physics: super::Physics,
}

/// What a cell says on an SDCCH it assigned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DedicatedBehaviour {
    /// A network: contention resolution (UA), Authentication Request, Ciphering Mode Command
    /// (A5/1), then ciphered blocks only.
    #[default]
    Normal,
    /// An SMS blaster (no ciphering): UA, Identity Request (IMSI), Location Updating Accept with a
    /// new TMSI, SABM on SAPI 3, the SMS (CP-DATA / RP-DATA / SMS-DELIVER, segmented), CP-ACK,
    /// Channel Release.
    SmsBlaster,
}

/// The SDCCH/8 channels of a cell (TS 45.002 combination VII on each listed timeslot).
///
/// With no timeslot listed (the default, as in scenes written before this existed) Immediate
/// Assignments name a random timeslot 1–7 and nothing is served there. With timeslots listed,
/// every Immediate Assignment names a free sub-channel on one of them (the drawn one if free), and
/// the cell sends the dialogue of [`DedicatedBehaviour`] there: L2 fill frames from the
/// assignment until the phone's SABM would arrive, one L2 frame per SDCCH block after, dummy bursts
/// once released (and on idle sub-channels and SACCH).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DedicatedConfig {
    /// Timeslots (1–7) configured as SDCCH/8.
    #[serde(default)]
    pub sdcch8_timeslots: Vec<u8>,
    /// What the cell says there.
    #[serde(default)]
    pub behaviour: DedicatedBehaviour,
    /// Location area code the cell announces (used in Location Updating messages).
    #[serde(default)]
    pub lac: u16,
    /// The SMS sender of an SMS blaster (alphanumeric unless all digits).
    #[serde(default)]
    pub sms_sender: String,
    /// The SMS text of an SMS blaster (GSM 7-bit alphabet; other characters become `?`).
    #[serde(default)]
    pub sms_text: String,
}

/// Frames between an Immediate Assignment and the first block of the dialogue (the phone's SABM
/// goes up first).
const SABM_DELAY_FRAMES: u64 = 20;

/// A dialogue running on one SDCCH/8 sub-channel.
#[derive(Debug, Clone)]
struct Dialogue {
    /// Cell frame count from which dialogue blocks go out (fill frames before).
    from_frame: u64,
    blocks: std::collections::VecDeque<SdcchBlock>,
}

/// An SDCCH frame a cell sent in clear (see [`super::Scene::dedicated_sent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SentDedicated {
    /// Frame number of the block's first burst.
    pub first_fn: u32,
    /// Timeslot.
    pub timeslot: u8,
    /// SDCCH/8 sub-channel.
    pub sub_channel: u8,
    /// The 23-octet L2 frame.
    pub data: [u8; 23],
}

/// SDCCH frames kept in a cell's log of sent frames (the oldest go first).
pub const SENT_LOG: usize = 1024;

/// Bits of the guard period (TS 45.004: modulating bits outside bursts are 1).
const GUARD_BIT: u8 = 1;

/// The cell's burst generator (frames of bits) and modulator.
pub(crate) struct CellBaseband {
    cfg: CellConfig,
    fn_: u32,
    tsc: usize,
    rng: Rng,
    modulator: GmskModulator,
    block: [[u8; 148]; 4],
    bcch_rotation: [u32; 8],
    ccch: CcchScheduler,
    counters: CellCounters,
    bits: Vec<u8>,
    /// Running dialogues per timeslot and sub-channel.
    dialogues: [[Option<Dialogue>; 8]; 8],
    /// The block being sent on each timeslot 1–7.
    ded_block: [[[u8; 148]; 4]; 8],
    /// Content draws of the dedicated channels (kept apart from `rng` so that cells without
    /// SDCCHs generate exactly what they did before).
    ded_rng: Rng,
    /// The latest clear SDCCH frames sent (at most [`SENT_LOG`]).
    sent: std::collections::VecDeque<SentDedicated>,
}

impl CellBaseband {
    pub(crate) fn new(cfg: CellConfig, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let ccch = CcchScheduler::new(cfg.ccch.clone(), rng.next_u64(), cfg.arfcn, cfg.bsic & 7);
        let phase = rng.uniform() * std::f64::consts::TAU;
        CellBaseband {
            fn_: cfg.start_fn % crate::gsm::HYPERFRAME,
            tsc: usize::from(cfg.bsic & 7),
            modulator: GmskModulator::with_state(TX_SPS, GUARD_BIT, phase),
            block: [DUMMY_BURST; 4],
            bcch_rotation: [0; 8],
            ccch,
            counters: CellCounters::default(),
            bits: Vec::with_capacity(1250),
            dialogues: Default::default(),
            ded_block: [[DUMMY_BURST; 4]; 8],
            ded_rng: Rng::new(seed ^ 0x5dcc_8d1a_1095_e5a1),
            sent: std::collections::VecDeque::new(),
            rng,
            cfg,
        }
    }

    fn busy(&self) -> [u8; 8] {
        let mut busy = [0u8; 8];
        for (ts, subs) in self.dialogues.iter().enumerate() {
            for (sub, d) in subs.iter().enumerate() {
                if d.is_some()
                    && let Some(b) = busy.get_mut(ts)
                {
                    *b |= 1 << sub;
                }
            }
        }
        busy
    }

    /// Starts the dialogue on a sub-channel an Immediate Assignment just named.
    fn start_dialogue(&mut self, ts: u8, sub: u8, c: &mut CellCounters) {
        let d = &self.cfg.dedicated;
        let r = &mut self.ded_rng;
        let msin = r.next_u64() % 10_000_000_000;
        let mnc = if self.cfg.ccch.mnc_3_digits {
            format!("{:03}", self.cfg.ccch.mnc)
        } else {
            format!("{:02}", self.cfg.ccch.mnc)
        };
        let w = 12 - mnc.len();
        let imsi = format!(
            "{:03}{mnc}{:0w$}",
            self.cfg.ccch.mcc,
            msin % 10u64.pow(w as u32)
        );
        let tmsi = (r.next_u64() as u32, r.next_u64() as u32);
        let mut rand = [0u8; 16];
        for b in &mut rand {
            *b = r.next_u64() as u8;
        }
        // Service-centre time stamp: 26-11-27 23:MM:SS +00 (semi-octets swapped).
        let swap = |v: u8| ((v % 10) << 4) | (v / 10);
        let mm = (r.next_u64() % 60) as u8;
        let ss = (r.next_u64() % 60) as u8;
        let scts = [0x62, 0x11, 0x72, 0x32, swap(mm), swap(ss), 0x00];
        let p = DialogueParams {
            plmn: (
                self.cfg.ccch.mcc,
                self.cfg.ccch.mnc,
                self.cfg.ccch.mnc_3_digits,
                d.lac,
            ),
            imsi,
            tmsi,
            rand,
            sms: (&d.sms_sender, &d.sms_text),
            scts,
        };
        let blocks = match d.behaviour {
            DedicatedBehaviour::Normal => super::l3glue::normal_dialogue(&p),
            DedicatedBehaviour::SmsBlaster => super::l3glue::blaster_dialogue(&p),
        };
        if let Some(slot) = self
            .dialogues
            .get_mut(usize::from(ts))
            .and_then(|s| s.get_mut(usize::from(sub)))
        {
            *slot = Some(Dialogue {
                from_frame: c.frames + SABM_DELAY_FRAMES,
                blocks: blocks.into(),
            });
            c.sdcch_dialogues += 1;
        }
    }

    /// A burst of SDCCH/8 timeslot `tn` (combination VII).
    fn sdcch_burst(&mut self, tn: u8, c: &mut CellCounters) -> [u8; 148] {
        let t = usize::from(tn);
        let Some((kind, sub, k)) = block_position(ChannelCombination::Sdcch8, self.fn_) else {
            return DUMMY_BURST;
        };
        if kind != ChannelKind::Sdcch {
            // SACCH: not generated (dummy bursts).
            return DUMMY_BURST;
        }
        if k == 0 {
            let frames = c.frames;
            let tsc = self.tsc as u8;
            let mut block = None;
            if let Some(slot) = self
                .dialogues
                .get_mut(t)
                .and_then(|s| s.get_mut(usize::from(sub)))
                && let Some(d) = slot.as_mut()
            {
                if frames < d.from_frame {
                    block = Some(SdcchBlock::Clear(SDCCH_FILL));
                } else {
                    block = d.blocks.pop_front();
                    if d.blocks.is_empty() {
                        *slot = None;
                    }
                }
            }
            let bursts = match block {
                Some(SdcchBlock::Clear(f)) => {
                    c.sdcch_clear_blocks += 1;
                    if self.sent.len() >= SENT_LOG {
                        self.sent.pop_front();
                    }
                    self.sent.push_back(SentDedicated {
                        first_fn: self.fn_,
                        timeslot: tn,
                        sub_channel: sub,
                        data: f,
                    });
                    xcch_encode_bursts(&f, tsc)
                }
                Some(SdcchBlock::Ciphered) => {
                    c.sdcch_ciphered_blocks += 1;
                    let mut b = [[0u8; 148]; 4];
                    for burst in &mut b {
                        *burst = self.random_burst(true);
                    }
                    b
                }
                None => [DUMMY_BURST; 4],
            };
            if let Some(slot) = self.ded_block.get_mut(t) {
                *slot = bursts;
            }
        }
        self.ded_block
            .get(t)
            .and_then(|b| b.get(usize::from(k)))
            .copied()
            .unwrap_or(DUMMY_BURST)
    }

    /// A normal burst with random data bits (from the dedicated-channel draws when `dedicated`),
    /// stealing flags set on signalling channels.
    fn random_burst(&mut self, dedicated: bool) -> [u8; 148] {
        let mut b = [0u8; 148];
        let rng = if dedicated {
            &mut self.ded_rng
        } else {
            &mut self.rng
        };
        for bit in b[3..145].iter_mut() {
            *bit = rng.bit();
        }
        let flag = u8::from(dedicated);
        b[60] = flag;
        b[87] = flag;
        b[61..87].copy_from_slice(&TRAINING_SEQUENCES[self.tsc]);
        b[..3].fill(0);
        b[145..].fill(0);
        b
    }

    fn ts0_burst(&mut self, c: &mut CellCounters) -> [u8; 148] {
        let fn_ = self.fn_;
        match ts0_channel(fn_) {
            Ts0Channel::Fcch => fcch_burst(),
            Ts0Channel::Sch => sch_encode_burst(&SchInfo::from_frame_number(self.cfg.bsic, fn_)),
            Ts0Channel::Idle => DUMMY_BURST,
            Ts0Channel::Bcch(k) => {
                if k == 0 {
                    let tc = ((fn_ / 51) % 8) as usize;
                    let frame = bcch_si_for(&self.cfg.bcch, fn_, self.bcch_rotation[tc]);
                    self.bcch_rotation[tc] += 1;
                    self.block = match frame {
                        Some(f) => {
                            c.bcch_blocks += 1;
                            xcch_encode_bursts(&f, self.tsc as u8)
                        }
                        None => [DUMMY_BURST; 4],
                    };
                }
                self.block[usize::from(k)]
            }
            Ts0Channel::Ccch(block, k) => {
                if k == 0 {
                    let t_s = f64::from(fn_.wrapping_sub(self.cfg.start_fn))
                        * crate::gsm::FRAME_DURATION_S;
                    let plan = SdcchPlan {
                        timeslots: &self.cfg.dedicated.sdcch8_timeslots,
                        busy: self.busy(),
                    };
                    let frame = self.ccch.next_block(block, fn_, t_s, c, &plan);
                    self.block = xcch_encode_bursts(&frame, self.tsc as u8);
                    if let Some((ts, sub)) = self.ccch.assigned.take() {
                        self.start_dialogue(ts, sub, c);
                    }
                }
                self.block[usize::from(k)]
            }
        }
    }
}

impl Baseband for CellBaseband {
    fn cell_counters(&self) -> Option<CellCounters> {
        Some(self.counters)
    }

    fn dedicated_sent(&self) -> Vec<SentDedicated> {
        self.sent.iter().copied().collect()
    }

    fn next_chunk(&mut self, out: &mut Vec<Complex32>) {
        let mut c = self.counters;
        self.bits.clear();
        for tn in 0..8u8 {
            let burst = if tn == 0 {
                self.ts0_burst(&mut c)
            } else if self.cfg.dedicated.sdcch8_timeslots.contains(&tn) {
                self.sdcch_burst(tn, &mut c)
            } else if self.cfg.traffic_timeslots.contains(&tn) {
                self.random_burst(false)
            } else {
                DUMMY_BURST
            };
            self.bits.extend_from_slice(&burst);
            let guard = timeslot_symbols(usize::from(tn)) - burst.len();
            self.bits.extend(std::iter::repeat_n(GUARD_BIT, guard));
        }
        self.modulator.push_bits(&self.bits, out);
        c.frames += 1;
        self.counters = c;
        self.fn_ = (self.fn_ + 1) % crate::gsm::HYPERFRAME;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiframe_layout() {
        for t3 in [0u32, 10, 20, 30, 40] {
            assert_eq!(ts0_channel(51 * 7 + t3), Ts0Channel::Fcch);
            assert_eq!(ts0_channel(51 * 7 + t3 + 1), Ts0Channel::Sch);
        }
        assert_eq!(ts0_channel(2), Ts0Channel::Bcch(0));
        assert_eq!(ts0_channel(5), Ts0Channel::Bcch(3));
        assert_eq!(ts0_channel(6), Ts0Channel::Ccch(0, 0));
        assert_eq!(ts0_channel(9), Ts0Channel::Ccch(0, 3));
        assert_eq!(ts0_channel(12), Ts0Channel::Ccch(1, 0));
        assert_eq!(ts0_channel(16), Ts0Channel::Ccch(2, 0));
        assert_eq!(ts0_channel(22), Ts0Channel::Ccch(3, 0));
        assert_eq!(ts0_channel(46), Ts0Channel::Ccch(8, 0));
        assert_eq!(ts0_channel(49), Ts0Channel::Ccch(8, 3));
        assert_eq!(ts0_channel(50), Ts0Channel::Idle);
        let ccch = (0..51)
            .filter(|&f| matches!(ts0_channel(f), Ts0Channel::Ccch(..)))
            .count();
        assert_eq!(ccch, 36);
    }

    #[test]
    fn bcch_tc_schedule() {
        let mk = |t: u8| {
            let mut f = [0x2bu8; 23];
            f[2] = t;
            Some(f)
        };
        let frames = BcchFrames {
            si1: mk(0x19),
            si2: mk(0x1a),
            si2ter: mk(0x03),
            si2quater: mk(0x07),
            si3: mk(0x1b),
            si4: mk(0x1c),
            si13: mk(0x00),
            si2bis: None,
        };
        let ty = |fn_: u32, rot: u32| bcch_si_for(&frames, fn_, rot).map(|f| f[2]);
        assert_eq!(ty(2, 0), Some(0x19));
        assert_eq!(ty(51 + 2, 0), Some(0x1a));
        assert_eq!(ty(2 * 51 + 2, 0), Some(0x1b));
        assert_eq!(ty(6 * 51 + 2, 0), Some(0x1b));
        assert_eq!(ty(3 * 51 + 2, 0), Some(0x1c));
        assert_eq!(ty(7 * 51 + 2, 0), Some(0x1c));
        assert_eq!(ty(4 * 51 + 2, 0), Some(0x00));
        assert_eq!(ty(5 * 51 + 2, 0), Some(0x03));
        assert_eq!(ty(5 * 51 + 2, 1), Some(0x07));
    }
}
