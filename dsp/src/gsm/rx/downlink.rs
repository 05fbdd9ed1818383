//! Block decoding on top of the receiver: TS0 (BCCH/CCCH) and followed dedicated timeslots
//! (SDCCH/SACCH) → 4-burst blocks → L2 frames.

use super::{BurstKind, Receiver, RxConfig, RxError, RxEvent, RxStats};
use crate::gsm::HYPERFRAME;
use crate::gsm::coding::{
    BlockAssembler, ChannelCombination, ChannelKind, block_position, xcch_decode_bursts,
};
use crate::gsm::l3::{Message, parse_ccch_frame};
use num_complex::Complex32;
use serde::{Deserialize, Serialize};

/// One decoded SCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchRecord {
    /// Input sample index of the burst.
    pub sample_index: u64,
    /// Frame number.
    pub frame_number: u32,
    /// BSIC (NCC·8 + BCC).
    pub bsic: u8,
}

/// One decoded L2 frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecodedFrame {
    /// Frame number of the block's first burst.
    pub first_fn: u32,
    /// Timeslot the block was sent on (0 for BCCH/CCCH).
    #[serde(default)]
    pub timeslot: u8,
    /// BCCH, CCCH, SDCCH or SACCH.
    pub kind: ChannelKind,
    /// CCCH block index (0 for BCCH), or SDCCH/SACCH sub-channel.
    pub sub_channel: u8,
    /// The 23-octet L2 frame.
    pub data: [u8; 23],
}

/// Everything [`decode_downlink`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownlinkDecode {
    /// SCH decodes in time order of decoding.
    pub sch: Vec<SchRecord>,
    /// L2 frames, in the order decoded (frame order within one synchronisation).
    pub frames: Vec<DecodedFrame>,
    /// Receiver counters.
    pub rx: RxStats,
    /// Blocks whose Fire code checked.
    pub blocks_ok: u64,
    /// Complete blocks that failed the Fire code.
    pub blocks_failed: u64,
    /// Blocks dropped because a burst was missing.
    pub blocks_incomplete: u64,
}

/// Counters of the dedicated channels (SDCCH and SACCH blocks, on any timeslot) a
/// [`BlockDecoder`] follows. They are also included in the decoder's overall counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DedicatedCounters {
    /// SDCCH/SACCH blocks whose Fire code checked.
    pub blocks_ok: u64,
    /// SDCCH/SACCH blocks that failed the Fire code (noise, or ciphered content).
    pub blocks_failed: u64,
    /// SDCCH/SACCH blocks with a dummy or empty burst: the sub-channel was idle (not decoded).
    pub blocks_idle: u64,
    /// Times a timeslot was added to the followed set.
    pub follows: u64,
    /// Follow requests refused (timeslot out of range, or a combination the timeslot cannot
    /// carry).
    pub follow_refused: u64,
    /// Timeslots no longer followed because all their SDCCH/SACCH blocks stayed idle for
    /// [`IDLE_UNFOLLOW_FRAMES`] (a new assignment to the timeslot follows it again).
    #[serde(default)]
    pub unfollowed_idle: u64,
}

/// TDMA frames (four 51-multiframes, about 0.94 s) of nothing but idle SDCCH/SACCH blocks after
/// which a [`BlockDecoder`] stops following an SDCCH/8 timeslot. A connection keeps its SACCH
/// busy (system information 5/6, measurement reports) and an assignment re-follows at once, so
/// this loses nothing; it keeps the receiver from demodulating empty timeslots for ever.
pub const IDLE_UNFOLLOW_FRAMES: u32 = 4 * 51;

/// Turns the receiver's burst events into decoded frames: BCCH/CCCH on TS0 and, for timeslots
/// it was told to follow ([`BlockDecoder::follow`]), SDCCH/SACCH.
///
/// TS0 starts as combination IV (or V when built with `combined`); a decoded SI3 whose control
/// channel description says CCCH_CONF = 1 switches it to combination V (BCCH + CCCH + SDCCH/4),
/// CCCH_CONF = 0 back to IV. State is bounded: one partial block and one flag per timeslot.
#[derive(Debug, Clone)]
pub struct BlockDecoder {
    asm: BlockAssembler,
    /// First frame of the block on each timeslot in which a dummy or empty burst was seen.
    idle_block: [Option<u32>; 8],
    /// Per SDCCH/8 timeslot: frame of the last sign of activity (a block that was not idle, or
    /// the follow request, stamped by the next burst: `None` until then).
    last_active: [Option<u32>; 8],
    /// Decoded frames so far (callers may take them).
    pub frames: Vec<DecodedFrame>,
    /// Blocks whose Fire code checked.
    pub blocks_ok: u64,
    /// Complete blocks that failed the Fire code.
    pub blocks_failed: u64,
    /// Counters of the dedicated channels.
    pub dedicated: DedicatedCounters,
}

impl BlockDecoder {
    /// A decoder for a BCCH carrier's TS0: combined (CCCH_CONF 1, with SDCCH/4) or not.
    pub fn new(combined: bool) -> Self {
        BlockDecoder {
            asm: BlockAssembler::bcch(combined),
            idle_block: [None; 8],
            last_active: [None; 8],
            frames: Vec::new(),
            blocks_ok: 0,
            blocks_failed: 0,
            dedicated: DedicatedCounters::default(),
        }
    }

    /// Follows timeslot `ts` with channel combination `combination`: SDCCH/8
    /// ([`ChannelCombination::Sdcch8`]) on TS1–7, or, on TS0, BCCH + CCCH with
    /// ([`ChannelCombination::BcchCcchSdcch4`]) or without ([`ChannelCombination::BcchCcch`])
    /// SDCCH/4. Returns false (and counts a refusal) for any other pairing. Following a timeslot
    /// already followed with the same combination changes nothing; a change drops that
    /// timeslot's partial block.
    pub fn follow(&mut self, ts: u8, combination: ChannelCombination) -> bool {
        let ok = match combination {
            ChannelCombination::Sdcch8 => (1..8).contains(&ts),
            ChannelCombination::BcchCcch | ChannelCombination::BcchCcchSdcch4 => ts == 0,
        };
        if !ok {
            self.dedicated.follow_refused += 1;
            return false;
        }
        if combination == ChannelCombination::Sdcch8
            && let Some(a) = self.last_active.get_mut(usize::from(ts))
        {
            // Stamped with the frame number of the next burst on this timeslot.
            *a = None;
        }
        if self.asm.timeslot(ts) != Some(combination) {
            self.asm.set_timeslot(ts, Some(combination));
            if let Some(f) = self.idle_block.get_mut(usize::from(ts)) {
                *f = None;
            }
            if combination != ChannelCombination::BcchCcch {
                self.dedicated.follows += 1;
            }
        }
        true
    }

    /// Stops following timeslot `ts` (1–7; TS0 is always decoded). Returns whether it was
    /// followed.
    pub fn unfollow(&mut self, ts: u8) -> bool {
        if ts == 0 || ts > 7 || self.asm.timeslot(ts).is_none() {
            return false;
        }
        self.asm.set_timeslot(ts, None);
        true
    }

    /// The channel combination decoded on timeslot `ts`, if any.
    pub fn combination(&self, ts: u8) -> Option<ChannelCombination> {
        self.asm.timeslot(ts)
    }

    /// The timeslots this decoder needs bursts from (bit n = TS n), for
    /// [`super::Receiver::set_timeslot_mask`].
    pub fn timeslot_mask(&self) -> u8 {
        (0..8u8)
            .filter(|&ts| self.asm.timeslot(ts).is_some())
            .fold(0, |m, ts| m | (1 << ts))
    }

    /// Feeds one receiver event; normal, dummy (and, on dedicated channels, empty) bursts of
    /// followed timeslots go to the block assembler, complete blocks are decoded. Returns the
    /// frame this event completed, if any.
    pub fn push(&mut self, ev: &RxEvent) -> Option<&DecodedFrame> {
        let RxEvent::Burst(b) = ev else { return None };
        let ts = b.timeslot;
        let combination = self.asm.timeslot(ts)?;
        if combination == ChannelCombination::Sdcch8
            && let Some(a) = self.last_active.get_mut(usize::from(ts))
        {
            match *a {
                None => *a = Some(b.frame_number),
                Some(f) => {
                    let h = u64::from(HYPERFRAME);
                    let idle = (u64::from(b.frame_number) % h + h - u64::from(f) % h) % h;
                    if idle > u64::from(IDLE_UNFOLLOW_FRAMES) {
                        self.unfollow(ts);
                        self.dedicated.unfollowed_idle += 1;
                        return None;
                    }
                }
            }
        }
        let position = block_position(combination, b.frame_number);
        let dedicated = matches!(
            position,
            Some((ChannelKind::Sdcch | ChannelKind::Sacch, _, _))
        );
        match b.kind {
            BurstKind::Normal => {}
            BurstKind::Dummy if !dedicated => {}
            BurstKind::Dummy | BurstKind::Empty if dedicated => {
                if let (Some((_, _, idx)), Some(slot)) =
                    (position, self.idle_block.get_mut(usize::from(ts)))
                {
                    *slot = Some(b.frame_number.wrapping_sub(u32::from(idx)));
                }
            }
            _ => return None,
        }
        let block = self.asm.push(b.frame_number, ts, &b.soft_bits)?;
        let dedicated = matches!(block.kind, ChannelKind::Sdcch | ChannelKind::Sacch);
        if dedicated
            && self
                .idle_block
                .get(usize::from(ts))
                .copied()
                .flatten()
                .is_some_and(|f| f == block.first_fn)
        {
            self.dedicated.blocks_idle += 1;
            return None;
        }
        if dedicated
            && let Some(a) = self.last_active.get_mut(usize::from(ts))
            && a.is_some()
        {
            *a = Some(b.frame_number);
        }
        match xcch_decode_bursts(&block.bursts) {
            Ok(data) => {
                self.blocks_ok += 1;
                if dedicated {
                    self.dedicated.blocks_ok += 1;
                }
                if block.kind == ChannelKind::Bcch {
                    self.check_ccch_conf(&data);
                }
                self.frames.push(DecodedFrame {
                    first_fn: block.first_fn,
                    timeslot: ts,
                    kind: block.kind,
                    sub_channel: block.sub_channel,
                    data,
                });
                self.frames.last()
            }
            Err(_) => {
                self.blocks_failed += 1;
                if dedicated {
                    self.dedicated.blocks_failed += 1;
                }
                None
            }
        }
    }

    /// Switches TS0 between combinations IV and V when an SI3 says so (CCCH_CONF).
    fn check_ccch_conf(&mut self, data: &[u8; 23]) {
        if let Ok(Message::Si3(si3)) = parse_ccch_frame(data) {
            let combination = match si3.control_channel.ccch_conf {
                0 => ChannelCombination::BcchCcch,
                1 => ChannelCombination::BcchCcchSdcch4,
                _ => return,
            };
            self.follow(0, combination);
        }
    }

    /// Blocks dropped because a burst was missing.
    pub fn blocks_incomplete(&self) -> u64 {
        self.asm.counters().incomplete
    }

    /// Ends the stream (drops partial blocks).
    pub fn finish(&mut self) {
        self.asm.finish();
    }
}

/// Decodes the BCCH/CCCH of the carrier at `channel_offset_hz` in `samples` (rate
/// `input_rate_sps`), assuming a non-combined BCCH (CCCH_CONF 0; SDCCH/4 blocks would fail the Fire
/// code and be counted, not reported).
pub fn decode_downlink(
    samples: &[Complex32],
    input_rate_sps: f64,
    channel_offset_hz: f64,
) -> Result<DownlinkDecode, RxError> {
    let mut cfg = RxConfig::new(input_rate_sps, channel_offset_hz);
    cfg.timeslot_mask = 0x01;
    let mut rx = Receiver::new(cfg)?;
    let mut dec = BlockDecoder::new(false);
    let mut sch = Vec::new();
    let mut events = Vec::new();
    let n_chunks = samples.len().div_ceil(1 << 16);
    for (i, chunk) in samples.chunks(1 << 16).enumerate() {
        events.clear();
        rx.process(chunk, &mut events);
        if i + 1 == n_chunks {
            rx.flush(&mut events);
        }
        for ev in &events {
            if let RxEvent::SchDecoded {
                sample_index,
                frame_number,
                bsic,
                ..
            } = ev
            {
                sch.push(SchRecord {
                    sample_index: *sample_index,
                    frame_number: *frame_number,
                    bsic: *bsic,
                });
            }
            dec.push(ev);
        }
    }
    dec.finish();
    Ok(DownlinkDecode {
        sch,
        blocks_ok: dec.blocks_ok,
        blocks_failed: dec.blocks_failed,
        blocks_incomplete: dec.blocks_incomplete(),
        frames: dec.frames,
        rx: rx.stats(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gsm::rx::RxBurst;

    fn burst(frame_number: u32, timeslot: u8, kind: BurstKind, soft: f32) -> RxEvent {
        RxEvent::Burst(Box::new(RxBurst {
            sample_index: 0,
            frame_number,
            timeslot,
            kind,
            soft_bits: [soft; 148],
            snr_db: 20.0,
            power_db: -20.0,
            timing_offset_symbols: 0.0,
        }))
    }

    #[test]
    fn an_idle_sdcch_timeslot_is_dropped_and_an_assignment_brings_it_back() {
        let mut dec = BlockDecoder::new(false);
        assert!(dec.follow(1, ChannelCombination::Sdcch8));
        assert_eq!(dec.timeslot_mask(), 0b11);
        let start = 1000;
        let mut dropped_at = None;
        for f in start..start + 400 {
            dec.push(&burst(f, 1, BurstKind::Dummy, 0.0));
            if dropped_at.is_none() && dec.timeslot_mask() == 0b01 {
                dropped_at = Some(f);
            }
        }
        assert_eq!(dropped_at, Some(start + IDLE_UNFOLLOW_FRAMES + 1));
        assert_eq!(dec.dedicated.unfollowed_idle, 1);
        // A new assignment follows it again, with a fresh idle clock.
        assert!(dec.follow(1, ChannelCombination::Sdcch8));
        assert_eq!(dec.timeslot_mask(), 0b11);
        for f in start + 400..start + 400 + IDLE_UNFOLLOW_FRAMES {
            dec.push(&burst(f, 1, BurstKind::Dummy, 0.0));
        }
        assert_eq!(dec.timeslot_mask(), 0b11);
    }

    #[test]
    fn a_busy_sdcch_timeslot_stays_followed() {
        let mut dec = BlockDecoder::new(false);
        assert!(dec.follow(3, ChannelCombination::Sdcch8));
        // Normal bursts whose blocks fail to decode (as ciphered traffic does) are activity.
        for f in 0..4 * IDLE_UNFOLLOW_FRAMES {
            dec.push(&burst(f, 3, BurstKind::Normal, 1.0));
        }
        assert_eq!(dec.timeslot_mask(), 0b1001);
        assert_eq!(dec.dedicated.unfollowed_idle, 0);
        assert!(dec.dedicated.blocks_failed > 0);
        // Frame numbers near the hyperframe wrap, and absurd ones from a listing, do not panic.
        dec.push(&burst(u32::MAX, 3, BurstKind::Dummy, 0.0));
        dec.push(&burst(HYPERFRAME - 1, 3, BurstKind::Dummy, 0.0));
    }
}
