//! Demapping of a burst stream into 4-burst blocks per the 51-multiframe layouts of TS 45.002 §7
//! (Table 3/5): BCCH + CCCH (combination IV), BCCH + CCCH + SDCCH/4 (combination V) and SDCCH/8
//! (combination VII).

use serde::{Deserialize, Serialize};

/// Frames of a 51-multiframe.
const MF51: u32 = 51;

/// How a timeslot's 51-multiframe is organised (TS 45.002 §6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelCombination {
    /// Combination IV: FCCH + SCH + BCCH + CCCH (non-combined, CCCH_CONF 0): 9 CCCH blocks.
    BcchCcch,
    /// Combination V: FCCH + SCH + BCCH + CCCH + SDCCH/4 + SACCH/4 (combined, CCCH_CONF 1):
    /// 3 CCCH blocks and 4 SDCCH sub-channels.
    BcchCcchSdcch4,
    /// Combination VII: SDCCH/8 + SACCH/8, 8 sub-channels.
    Sdcch8,
}

/// The logical channel of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChannelKind {
    /// BCCH (frames 2–5 of the 51-multiframe).
    Bcch,
    /// A CCCH block (PCH/AGCH, or BCCH extended): the sub-channel is the CCCH block index.
    Ccch,
    /// A stand-alone dedicated control channel (SDCCH/4 or SDCCH/8).
    Sdcch,
    /// The slow associated control channel of an SDCCH.
    Sacch,
}

/// A complete block of 4 bursts, ready for [`super::xcch_decode_bursts`].
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Frame number of the block's first burst.
    pub first_fn: u32,
    /// Timeslot, 0–7.
    pub timeslot: u8,
    /// Logical channel.
    pub kind: ChannelKind,
    /// CCCH block index (0–8) or SDCCH/SACCH sub-channel (0–7); 0 for BCCH.
    pub sub_channel: u8,
    /// The 4 bursts, in transmission order.
    pub bursts: [[f32; 148]; 4],
}

/// What the assembler did with its input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockCounters {
    /// Complete blocks emitted.
    pub emitted: u64,
    /// Blocks dropped because a burst was missing.
    pub incomplete: u64,
    /// Bursts on frames that carry no block (FCCH, SCH, idle) or on unconfigured timeslots.
    pub ignored_bursts: u64,
}

/// Where a frame falls: `(kind, sub-channel, index of the burst within its block)`.
pub fn block_position(combination: ChannelCombination, fn_: u32) -> Option<(ChannelKind, u8, u8)> {
    let t = fn_ % MF51;
    let odd = (fn_ / MF51) % 2 == 1;
    let within = |start: u32| t >= start && t < start + 4;
    let idx = |start: u32| (t - start) as u8;
    if within(2) && combination != ChannelCombination::Sdcch8 {
        return Some((ChannelKind::Bcch, 0, idx(2)));
    }
    match combination {
        ChannelCombination::BcchCcch => {
            const CCCH: [u32; 9] = [6, 12, 16, 22, 26, 32, 36, 42, 46];
            CCCH.iter()
                .enumerate()
                .find(|(_, s)| within(**s))
                .map(|(i, s)| (ChannelKind::Ccch, i as u8, idx(*s)))
        }
        ChannelCombination::BcchCcchSdcch4 => {
            const CCCH: [u32; 3] = [6, 12, 16];
            const SDCCH: [u32; 4] = [22, 26, 32, 36];
            const SACCH: [u32; 2] = [42, 46];
            if let Some((i, s)) = CCCH.iter().enumerate().find(|(_, s)| within(**s)) {
                return Some((ChannelKind::Ccch, i as u8, idx(*s)));
            }
            if let Some((i, s)) = SDCCH.iter().enumerate().find(|(_, s)| within(**s)) {
                return Some((ChannelKind::Sdcch, i as u8, idx(*s)));
            }
            SACCH
                .iter()
                .enumerate()
                .find(|(_, s)| within(**s))
                .map(|(i, s)| {
                    (
                        ChannelKind::Sacch,
                        i as u8 + if odd { 2 } else { 0 },
                        idx(*s),
                    )
                })
        }
        ChannelCombination::Sdcch8 => {
            if t < 32 {
                Some((ChannelKind::Sdcch, (t / 4) as u8, (t % 4) as u8))
            } else if t < 48 {
                let sub = ((t - 32) / 4) as u8 + if odd { 4 } else { 0 };
                Some((ChannelKind::Sacch, sub, ((t - 32) % 4) as u8))
            } else {
                None
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Partial {
    first_fn: u32,
    kind: ChannelKind,
    sub_channel: u8,
    bursts: [[f32; 148]; 4],
    have: u8,
}

/// Groups normal bursts into 4-burst blocks, per timeslot, following each timeslot's channel
/// combination. Bursts must arrive in frame order per timeslot; a block with a missing burst is
/// dropped and counted when the next block (or a non-block frame) on that timeslot starts.
#[derive(Debug, Clone, Default)]
pub struct BlockAssembler {
    layout: [Option<ChannelCombination>; 8],
    partial: [Option<Box<Partial>>; 8],
    counters: BlockCounters,
}

impl BlockAssembler {
    /// An assembler with no timeslot configured (every burst ignored).
    pub fn new() -> Self {
        Self::default()
    }

    /// An assembler for a BCCH carrier's TS0: combination IV when `combined` is false (CCCH_CONF 0),
    /// combination V otherwise.
    pub fn bcch(combined: bool) -> Self {
        let mut a = Self::new();
        a.set_timeslot(
            0,
            Some(if combined {
                ChannelCombination::BcchCcchSdcch4
            } else {
                ChannelCombination::BcchCcch
            }),
        );
        a
    }

    /// Sets (or clears, with `None`) the channel combination of timeslot `ts` (0–7; others ignored).
    /// Any partial block on that timeslot is dropped and counted.
    pub fn set_timeslot(&mut self, ts: u8, combination: Option<ChannelCombination>) {
        let i = usize::from(ts);
        if let Some(slot) = self.layout.get_mut(i) {
            *slot = combination;
        }
        self.drop_partial(i);
    }

    /// The channel combination of timeslot `ts`.
    pub fn timeslot(&self, ts: u8) -> Option<ChannelCombination> {
        self.layout.get(usize::from(ts)).copied().flatten()
    }

    /// Counters so far.
    pub fn counters(&self) -> BlockCounters {
        self.counters
    }

    fn drop_partial(&mut self, ts: usize) {
        if let Some(slot) = self.partial.get_mut(ts)
            && slot.take().is_some()
        {
            self.counters.incomplete += 1;
        }
    }

    /// Feeds one burst (frame number, timeslot, 148 soft bits). Returns a block when this burst
    /// completes one.
    pub fn push(&mut self, fn_: u32, ts: u8, burst: &[f32; 148]) -> Option<Block> {
        let i = usize::from(ts);
        let Some(combination) = self.layout.get(i).copied().flatten() else {
            self.counters.ignored_bursts += 1;
            return None;
        };
        let Some((kind, sub_channel, index)) = block_position(combination, fn_) else {
            self.counters.ignored_bursts += 1;
            self.drop_partial(i);
            return None;
        };
        let first_fn = fn_ - u32::from(index);
        let same = self
            .partial
            .get(i)
            .and_then(|p| p.as_ref())
            .map(|p| p.first_fn == first_fn);
        if same == Some(false) {
            self.drop_partial(i);
        }
        let slot = self.partial.get_mut(i)?;
        let partial = slot.get_or_insert_with(|| {
            Box::new(Partial {
                first_fn,
                kind,
                sub_channel,
                bursts: [[0.0; 148]; 4],
                have: 0,
            })
        });
        if let Some(b) = partial.bursts.get_mut(usize::from(index)) {
            *b = *burst;
        }
        partial.have |= 1 << index;
        if partial.have == 0x0f {
            let done = slot.take()?;
            self.counters.emitted += 1;
            return Some(Block {
                first_fn: done.first_fn,
                timeslot: ts,
                kind: done.kind,
                sub_channel: done.sub_channel,
                bursts: done.bursts,
            });
        }
        None
    }

    /// Ends the stream: drops and counts every partial block.
    pub fn finish(&mut self) {
        for i in 0..8 {
            self.drop_partial(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_match_ts_45_002() {
        use ChannelCombination::*;
        use ChannelKind::*;
        // Combination IV: BCCH 2–5, CCCH blocks at 6, 12, 16, 22, 26, 32, 36, 42, 46.
        let mut starts = vec![];
        for t in 0..51 {
            if let Some((k, s, 0)) = block_position(BcchCcch, t) {
                starts.push((t, k, s));
            }
        }
        let ccch: Vec<u32> = starts.iter().filter(|x| x.1 == Ccch).map(|x| x.0).collect();
        assert_eq!(ccch, vec![6, 12, 16, 22, 26, 32, 36, 42, 46]);
        assert_eq!(starts[0], (2, Bcch, 0));
        for t in [0, 1, 10, 11, 20, 21, 30, 31, 40, 41, 50] {
            assert_eq!(block_position(BcchCcch, t), None, "frame {t}");
        }
        // Combination V.
        assert_eq!(block_position(BcchCcchSdcch4, 22), Some((Sdcch, 0, 0)));
        assert_eq!(block_position(BcchCcchSdcch4, 39), Some((Sdcch, 3, 3)));
        assert_eq!(block_position(BcchCcchSdcch4, 42), Some((Sacch, 0, 0)));
        assert_eq!(block_position(BcchCcchSdcch4, 51 + 46), Some((Sacch, 3, 0)));
        assert_eq!(block_position(BcchCcchSdcch4, 26), Some((Sdcch, 1, 0)));
        // Combination VII.
        assert_eq!(block_position(Sdcch8, 4), Some((Sdcch, 1, 0)));
        assert_eq!(block_position(Sdcch8, 36), Some((Sacch, 1, 0)));
        assert_eq!(block_position(Sdcch8, 51 + 36), Some((Sacch, 5, 0)));
        assert_eq!(block_position(Sdcch8, 48), None);
    }

    #[test]
    fn assembles_and_drops_incomplete() {
        let mut a = BlockAssembler::bcch(false);
        let b = [0.5f32; 148];
        let mut out = vec![];
        for fn_ in 0..102u32 {
            if fn_ == 13 {
                continue; // CCCH block 1 loses a burst
            }
            for ts in 0..8u8 {
                out.extend(a.push(fn_, ts, &b));
            }
        }
        a.finish();
        // Two multiframes: 10 blocks each, one lost.
        assert_eq!(out.len(), 19);
        assert_eq!(a.counters().emitted, 19);
        assert_eq!(a.counters().incomplete, 1);
        assert_eq!(out[0].first_fn, 2);
        assert_eq!(out[1].first_fn, 6);
        assert_eq!(out[2].first_fn, 16);
        assert_eq!(out[2].sub_channel, 2);
        // A jump back in frame numbers restarts cleanly.
        assert!(a.push(2, 0, &b).is_none());
        assert!(a.push(3, 0, &b).is_none());
        assert!(a.push(2, 0, &b).is_none());
        assert_eq!(a.counters().incomplete, 1);
        assert!(a.push(3, 0, &b).is_none());
        assert!(a.push(4, 0, &b).is_none());
        assert!(a.push(5, 0, &b).is_some());
    }
}
