//! Uplink emitters: a SIM box / modem pool or an ordinary phone sending access bursts (RACH,
//! TS 45.002 §5.2.7) and normal bursts on uplink ARFCNs, switched on only for their bursts.

use super::physics::{Baseband, TX_SPS};
use crate::Complex32;
use crate::arfcn::Band;
use crate::gsm::burst::TRAINING_SEQUENCES;
use crate::gsm::coding::rach_encode_burst;
use crate::gsm::gmsk::{GmskModulator, timeslot_symbols};
use crate::signal::Rng;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// One uplink transmitter (a SIM box, a modem pool, a phone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmitterConfig {
    /// Name used in annotations.
    pub name: String,
    /// Band of the ARFCNs.
    pub band: Band,
    /// Uplink ARFCNs it transmits on (one carrier each).
    pub arfcns: Vec<u16>,
    /// Bursts per second, in total over all its ARFCNs (at most 8 per TDMA frame per ARFCN).
    pub bursts_per_s: f64,
    /// Fraction of bursts that are access bursts (the rest are normal bursts).
    pub access_fraction: f64,
    /// BSIC of the cell it talks to (RACH colour bits; TSC = BCC for normal bursts).
    pub bsic: u8,
    /// Physics (power, clock, timing, schedule, multipath).
    pub physics: super::Physics,
}

/// Counters of what an emitter has sent on one ARFCN.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EmitterCounters {
    /// Access bursts sent.
    pub access_bursts: u64,
    /// Normal bursts sent.
    pub normal_bursts: u64,
}

/// Bursts of one emitter on one ARFCN at 4 samples per symbol.
pub(crate) struct UplinkBaseband {
    p_slot: f64,
    access_fraction: f64,
    bsic: u8,
    rng: Rng,
    modulator: GmskModulator,
    /// Gate (burst on = 1) of each symbol pushed into the modulator and not yet emitted.
    gates: VecDeque<u8>,
    bits: Vec<u8>,
    samples: Vec<Complex32>,
    counters: EmitterCounters,
    prev_gate: u8,
}

impl UplinkBaseband {
    /// `bursts_per_s` on this ARFCN.
    pub(crate) fn new(bursts_per_s: f64, access_fraction: f64, bsic: u8, seed: u64) -> Self {
        let slots_per_s = 8.0 / crate::gsm::FRAME_DURATION_S;
        let mut rng = Rng::new(seed);
        let phase = rng.uniform() * std::f64::consts::TAU;
        UplinkBaseband {
            p_slot: (bursts_per_s / slots_per_s).clamp(0.0, 1.0),
            access_fraction: access_fraction.clamp(0.0, 1.0),
            bsic,
            rng,
            modulator: GmskModulator::with_state(TX_SPS, 1, phase),
            gates: VecDeque::new(),
            bits: Vec::with_capacity(1250),
            samples: Vec::with_capacity(5000),
            counters: EmitterCounters::default(),
            prev_gate: 0,
        }
    }
}

impl Baseband for UplinkBaseband {
    fn emitter_counters(&self) -> Option<EmitterCounters> {
        Some(self.counters)
    }

    fn next_chunk(&mut self, out: &mut Vec<Complex32>) {
        self.bits.clear();
        for tn in 0..8 {
            let n = timeslot_symbols(tn);
            let start = self.bits.len();
            if self.rng.uniform() < self.p_slot {
                if self.rng.uniform() < self.access_fraction {
                    let ra = self.rng.next_u64() as u8;
                    self.bits
                        .extend_from_slice(&rach_encode_burst(ra, self.bsic));
                    self.counters.access_bursts += 1;
                } else {
                    let mut b = [0u8; 148];
                    for bit in b[3..145].iter_mut() {
                        *bit = self.rng.bit();
                    }
                    b[..3].fill(0);
                    b[145..].fill(0);
                    b[61..87].copy_from_slice(&TRAINING_SEQUENCES[usize::from(self.bsic & 7)]);
                    self.bits.extend_from_slice(&b);
                    self.counters.normal_bursts += 1;
                }
                let on = self.bits.len() - start;
                self.gates.extend(std::iter::repeat_n(1u8, on));
                self.gates.extend(std::iter::repeat_n(0u8, n - on));
            } else {
                self.gates.extend(std::iter::repeat_n(0u8, n));
            }
            self.bits.resize(start + n, 1);
        }
        self.samples.clear();
        self.modulator.push_bits(&self.bits, &mut self.samples);
        // Gate the emitted symbols with a raised-cosine rise and fall of one symbol.
        let mut prev = self.prev_gate;
        for sym in self.samples.chunks(TX_SPS) {
            let g = self.gates.pop_front().unwrap_or(0);
            let next = self.gates.front().copied().unwrap_or(0);
            for (j, s) in sym.iter().enumerate() {
                let x = (j as f32 + 0.5) / TX_SPS as f32;
                let a = match (prev, g, next) {
                    (_, 0, _) => 0.0,
                    (0, 1, 0) => 1.0,
                    (0, 1, _) => 0.5 - 0.5 * (std::f32::consts::PI * x).cos(),
                    (_, 1, 0) => 0.5 + 0.5 * (std::f32::consts::PI * x).cos(),
                    _ => 1.0,
                };
                out.push(s * a);
            }
            prev = g;
        }
        self.prev_gate = prev;
    }
}
