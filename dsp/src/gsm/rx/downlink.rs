//! BCCH/CCCH decoding on top of the receiver: TS0 bursts → 4-burst blocks → L2 frames.

use super::{BurstKind, Receiver, RxConfig, RxError, RxEvent, RxStats};
use crate::gsm::coding::{BlockAssembler, ChannelKind, xcch_decode_bursts};
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
    /// BCCH or CCCH.
    pub kind: ChannelKind,
    /// CCCH block index (0 for BCCH).
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

/// Turns the receiver's TS0 burst events into decoded BCCH/CCCH frames.
#[derive(Debug, Clone)]
pub struct BlockDecoder {
    asm: BlockAssembler,
    /// Decoded frames so far.
    pub frames: Vec<DecodedFrame>,
    /// Blocks whose Fire code checked.
    pub blocks_ok: u64,
    /// Complete blocks that failed the Fire code.
    pub blocks_failed: u64,
}

impl BlockDecoder {
    /// A decoder for a BCCH carrier's TS0: combined (CCCH_CONF 1, with SDCCH/4) or not.
    pub fn new(combined: bool) -> Self {
        BlockDecoder {
            asm: BlockAssembler::bcch(combined),
            frames: Vec::new(),
            blocks_ok: 0,
            blocks_failed: 0,
        }
    }

    /// Feeds one receiver event; TS0 normal and dummy bursts go to the block assembler, complete
    /// blocks are decoded. Returns the frame this event completed, if any.
    pub fn push(&mut self, ev: &RxEvent) -> Option<&DecodedFrame> {
        let RxEvent::Burst(b) = ev else { return None };
        if b.timeslot != 0 || !matches!(b.kind, BurstKind::Normal | BurstKind::Dummy) {
            return None;
        }
        let block = self.asm.push(b.frame_number, 0, &b.soft_bits)?;
        match xcch_decode_bursts(&block.bursts) {
            Ok(data) => {
                self.blocks_ok += 1;
                self.frames.push(DecodedFrame {
                    first_fn: block.first_fn,
                    kind: block.kind,
                    sub_channel: block.sub_channel,
                    data,
                });
                self.frames.last()
            }
            Err(_) => {
                self.blocks_failed += 1;
                None
            }
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
