//! One BCCH carrier decoded whole: the [`Receiver`] (FCCH → SCH → bursts), the [`BlockDecoder`]
//! (bursts → xCCH blocks → L2 frames), L3 parsing of BCCH/CCCH frames, LAPDm and segment
//! reassembly on the dedicated channels, and the following of the SDCCHs that Immediate
//! Assignments hand out (the block decoder's timeslots and training sequences kept in step with
//! the receiver's). An application maps what comes out to its own records; it does not reach
//! into the parts.
//!
//! Receiving and decoding are two calls ([`CarrierDecoder::process`] then
//! [`CarrierDecoder::decode`] per event) so that a caller can hold a carrier's events until it
//! knows which ARFCN the carrier is (a receiver clock far off makes that ambiguous at first):
//! the ARFCN decides which assignments can be followed.

use num_complex::Complex32;

use super::DedicatedCounters;
use super::{BlockDecoder, DecodedFrame, Receiver, RxEvent, RxStats};
use crate::gsm::coding::{ChannelCombination, ChannelKind};
use crate::gsm::l3::{
    self, ChannelDescription, ChannelFrequency, ChannelType, Control, LapdmFrame, Message,
    Reassembler, Reassembly, UKind,
};

/// Why assigned channels were not followed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotFollowedCounts {
    /// Frequency hopping (the hopping sequence is not tracked).
    pub hopping: u64,
    /// On another ARFCN than this carrier.
    pub other_arfcn: u64,
    /// A traffic channel (TCH/F, TCH/H).
    pub tch: u64,
    /// Another channel type, or a timeslot the channel type cannot be on.
    pub other: u64,
}

/// What a [`CarrierDecoder`] counted beyond the receiver's and block decoder's own counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameCounts {
    /// BCCH/CCCH frames whose L3 message did not parse.
    pub l3_malformed: u64,
    /// BCCH/CCCH L2 fill frames.
    pub fill_frames: u64,
    /// Dedicated frames reported (fill frames excluded).
    pub dedicated_frames: u64,
    /// L2 fill frames on SDCCH/SACCH.
    pub dedicated_fill_frames: u64,
    /// Dedicated frames whose LAPDm header or L3 message did not parse.
    pub dedicated_malformed: u64,
    /// Assignments (SDCCH/8 or SDCCH/4, on this ARFCN, not hopping) whose timeslot is followed.
    pub assignments_followed: u64,
    /// Assignments not followed, by cause.
    pub not_followed: NotFollowedCounts,
}

/// A dedicated-channel (SDCCH/SACCH) frame that is not fill.
#[derive(Debug, Clone)]
pub struct DedicatedFrame {
    /// SAPI of the LAPDm frame (0 signalling, 3 SMS).
    pub sapi: u8,
    /// LAPDm control field.
    pub control: Control,
    /// The M bit: more segments follow.
    pub more: bool,
    /// The L3 message: whole in this frame, or completed by it; `None` for a segment, a
    /// supervisory frame or a repeat.
    pub message: Option<Message>,
    /// Whether this I-frame continues a segmented message (its octets past the LAPDm header
    /// are the middle of a message).
    pub continuing: bool,
}

/// What one decoded L2 frame turned out to be.
#[derive(Debug, Clone)]
pub enum FrameContent {
    /// A BCCH or CCCH message.
    Common(Message),
    /// An SDCCH or SACCH frame.
    Dedicated(DedicatedFrame),
}

/// A decoded L2 frame with what it carries.
#[derive(Debug, Clone)]
pub struct CarrierFrame {
    /// The frame as the block decoder delivered it.
    pub frame: DecodedFrame,
    /// Input sample index of the burst that completed the block.
    pub sample_index: u64,
    /// Its content.
    pub content: FrameContent,
}

/// A BCCH carrier's receiver, block decoder, L3 parsing, LAPDm reassembly and SDCCH following.
pub struct CarrierDecoder {
    rx: Receiver,
    dec: BlockDecoder,
    reasm: Reassembler,
    arfcn: u16,
    counts: FrameCounts,
}

impl CarrierDecoder {
    /// Decodes what `rx` receives of the carrier on `arfcn` (non-combined TS0).
    pub fn new(rx: Receiver, arfcn: u16) -> CarrierDecoder {
        CarrierDecoder {
            rx,
            dec: BlockDecoder::new(false),
            reasm: Reassembler::new(),
            arfcn,
            counts: FrameCounts::default(),
        }
    }

    /// The receiver (state, statistics).
    pub fn receiver(&self) -> &Receiver {
        &self.rx
    }

    /// The ARFCN assignments are followed on.
    pub fn arfcn(&self) -> u16 {
        self.arfcn
    }

    /// Names the carrier's ARFCN (once it is known for certain).
    pub fn set_arfcn(&mut self, arfcn: u16) {
        self.arfcn = arfcn;
    }

    /// Receive: feed samples, push the receiver's events to `events` (decode them with
    /// [`CarrierDecoder::decode`]).
    pub fn process(&mut self, input: &[Complex32], events: &mut Vec<RxEvent>) {
        self.rx.process(input, events);
    }

    /// End of input: the receiver's last events.
    pub fn flush(&mut self, events: &mut Vec<RxEvent>) {
        self.rx.flush(events);
    }

    /// Decode one receiver event: a burst goes to the block decoder, and every L2 frame it
    /// completes that is not fill and parses is pushed to `out` (fill frames and malformed
    /// frames are counted). Other events carry nothing to decode.
    pub fn decode(&mut self, ev: &RxEvent, out: &mut Vec<CarrierFrame>) {
        let RxEvent::Burst(b) = ev else {
            return;
        };
        let sample_index = b.sample_index;
        let pushed = self.dec.push(ev).is_some();
        // The decoder may have stopped following an idle SDCCH timeslot.
        if self.dec.timeslot_mask() != self.rx.timeslot_mask() {
            self.rx.set_timeslot_mask(self.dec.timeslot_mask());
        }
        if !pushed {
            return;
        }
        for frame in std::mem::take(&mut self.dec.frames) {
            let content = if matches!(frame.kind, ChannelKind::Sdcch | ChannelKind::Sacch) {
                self.dedicated(&frame).map(FrameContent::Dedicated)
            } else {
                self.common(&frame).map(FrameContent::Common)
            };
            if let Some(content) = content {
                out.push(CarrierFrame {
                    frame,
                    sample_index,
                    content,
                });
            }
        }
    }

    /// End of stream: count the blocks left incomplete.
    pub fn finish(&mut self) {
        self.dec.finish();
    }

    /// The receiver's statistics.
    pub fn rx_stats(&self) -> RxStats {
        self.rx.stats()
    }

    /// Blocks whose Fire code checked.
    pub fn blocks_ok(&self) -> u64 {
        self.dec.blocks_ok
    }

    /// Complete blocks that failed the Fire code.
    pub fn blocks_failed(&self) -> u64 {
        self.dec.blocks_failed
    }

    /// Blocks left incomplete (bursts missing).
    pub fn blocks_incomplete(&self) -> u64 {
        self.dec.blocks_incomplete()
    }

    /// Block counters of the followed dedicated timeslots.
    pub fn dedicated_blocks(&self) -> DedicatedCounters {
        self.dec.dedicated
    }

    /// L3 messages reassembled from segments, and partial messages dropped.
    pub fn reassembly(&self) -> (u64, u64) {
        let c = self.reasm.counters();
        (c.reassembled, c.dropped)
    }

    /// Frame, fill, malformed and assignment counters.
    pub fn counts(&self) -> FrameCounts {
        self.counts
    }

    /// A BCCH/CCCH frame: its message, following the SDCCHs it assigns.
    fn common(&mut self, frame: &DecodedFrame) -> Option<Message> {
        if l3::is_l2_fill(&frame.data) {
            // L2 fill frame, by its whole pattern: SI13 and SI2ter also start with a pseudo
            // length of 0 (`01 06 00 …`) and are messages.
            self.counts.fill_frames += 1;
            return None;
        }
        let Ok(message) = l3::parse_ccch_frame(&frame.data) else {
            self.counts.l3_malformed += 1;
            return None;
        };
        match &message {
            Message::ImmediateAssignment(ia) if ia.dedicated_or_tbf & 0x01 == 0 => {
                self.follow(&ia.channel);
            }
            Message::ImmediateAssignmentExtended(ia) => {
                self.follow(&ia.channel1);
                self.follow(&ia.channel2);
            }
            _ => {}
        }
        Some(message)
    }

    /// An SDCCH/SACCH frame: LAPDm, reassembly, L3.
    fn dedicated(&mut self, f: &DecodedFrame) -> Option<DedicatedFrame> {
        let out = match f.kind {
            ChannelKind::Sacch => {
                let Ok(s) = l3::parse_sacch(&f.data) else {
                    self.counts.dedicated_malformed += 1;
                    return None;
                };
                // Fill: no L3 message (a pseudo length of 0, or nothing but fill octets).
                if s.l3.first().is_none_or(|b| *b == 0x01) {
                    self.counts.dedicated_fill_frames += 1;
                    return None;
                }
                let Ok(message) = l3::parse_block(ChannelKind::Sacch, &f.data) else {
                    self.counts.dedicated_malformed += 1;
                    return None;
                };
                DedicatedFrame {
                    sapi: s.sapi,
                    control: s.control,
                    more: false,
                    message,
                    continuing: false,
                }
            }
            _ => {
                let Ok(lf) = l3::parse_lapdm_b(&f.data) else {
                    self.counts.dedicated_malformed += 1;
                    return None;
                };
                if matches!(
                    lf.control,
                    Control::U {
                        kind: UKind::Ui,
                        ..
                    }
                ) && lf.payload.is_empty()
                {
                    self.counts.dedicated_fill_frames += 1;
                    return None;
                }
                self.lapdm(f, lf)
            }
        };
        self.counts.dedicated_frames += 1;
        if matches!(out.message, Some(Message::ChannelRelease { .. })) {
            // The sub-channel is free again: drop what its links were collecting.
            self.reasm.reset(f.timeslot, f.sub_channel);
        }
        Some(out)
    }

    /// An SDCCH LAPDm frame through the reassembler.
    fn lapdm(&mut self, f: &DecodedFrame, lf: LapdmFrame) -> DedicatedFrame {
        let is_i = matches!(lf.control, Control::I { .. });
        let continuing = is_i && self.reasm.pending(f.timeslot, f.sub_channel, lf.sapi);
        let l3_bytes = match lf.control {
            Control::I { .. } => match self.reasm.push(f.timeslot, f.sub_channel, &lf) {
                Reassembly::Message(m) => Some(m),
                Reassembly::Segment | Reassembly::Repeat | Reassembly::NoMessage => None,
            },
            _ if !lf.payload.is_empty() => Some(lf.payload.clone()),
            _ => None,
        };
        let message = l3_bytes.and_then(|b| match l3::parse_l3(&b, b.len()) {
            Ok(m) => Some(m),
            Err(_) => {
                self.counts.dedicated_malformed += 1;
                None
            }
        });
        DedicatedFrame {
            sapi: lf.sapi,
            control: lf.control,
            more: lf.more,
            message,
            continuing,
        }
    }

    /// Follows the channel an Immediate Assignment gives when the receiver can: SDCCH/8 on
    /// TS1–7 or SDCCH/4 on TS0, on this carrier's ARFCN, without hopping. Counts the others by
    /// cause.
    fn follow(&mut self, ch: &ChannelDescription) {
        let nf = &mut self.counts.not_followed;
        match ch.frequency {
            ChannelFrequency::Hopping { .. } => {
                nf.hopping += 1;
                return;
            }
            ChannelFrequency::Single { arfcn } if arfcn != self.arfcn => {
                nf.other_arfcn += 1;
                return;
            }
            ChannelFrequency::Single { .. } => {}
        }
        let combination = match ch.channel_type() {
            ChannelType::Sdcch8(_) if (1..8).contains(&ch.timeslot) => ChannelCombination::Sdcch8,
            ChannelType::Sdcch4(_) if ch.timeslot == 0 => ChannelCombination::BcchCcchSdcch4,
            ChannelType::TchF | ChannelType::TchH(_) => {
                nf.tch += 1;
                return;
            }
            _ => {
                nf.other += 1;
                return;
            }
        };
        if !self.dec.follow(ch.timeslot, combination) {
            nf.other += 1;
            return;
        }
        if ch.timeslot != 0 {
            self.rx.set_timeslot_tsc(ch.timeslot, Some(ch.tsc));
        }
        self.rx.set_timeslot_mask(self.dec.timeslot_mask());
        self.counts.assignments_followed += 1;
    }
}
