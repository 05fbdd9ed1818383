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

use super::messages::{CcchLoad, CcchScheduler};
use super::physics::{Baseband, TX_SPS};
use crate::Complex32;
use crate::arfcn::Band;
use crate::gsm::burst::{DUMMY_BURST, TRAINING_SEQUENCES, fcch_burst};
use crate::gsm::coding::{SchInfo, sch_encode_burst, xcch_encode_bursts};
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
    match t3 {
        50 => Ts0Channel::Idle,
        _ if t3.is_multiple_of(10) => Ts0Channel::Fcch,
        _ if t3 % 10 == 1 => Ts0Channel::Sch,
        2..=5 => Ts0Channel::Bcch(t3 - 2),
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
    /// Physics (power, clock, timing, schedule, multipath).
    pub physics: super::Physics,
}

/// Bits of the guard period (TS 45.004: modulating bits outside bursts are 1).
const GUARD_BIT: u8 = 1;

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
}

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
            rng,
            cfg,
        }
    }

    fn traffic_burst(&mut self) -> [u8; 148] {
        let mut b = [0u8; 148];
        for bit in b[3..145].iter_mut() {
            *bit = self.rng.bit();
        }
        b[60] = 0;
        b[87] = 0;
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
                    let frame = self.ccch.next_block(block, fn_, t_s, c);
                    self.block = xcch_encode_bursts(&frame, self.tsc as u8);
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

    fn next_chunk(&mut self, out: &mut Vec<Complex32>) {
        let mut c = self.counters;
        self.bits.clear();
        for tn in 0..8u8 {
            let burst = if tn == 0 {
                self.ts0_burst(&mut c)
            } else if self.cfg.traffic_timeslots.contains(&tn) {
                self.traffic_burst()
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
