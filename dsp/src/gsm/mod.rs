//! GSM physical and link layer: constants (TS 45.002 / 45.004), channel coding (TS 45.003),
//! L2/L3 messages (TS 44.006 / 44.018 / 24.008), GMSK, the downlink receiver and the scene generator.

pub mod burst;
pub mod coding;
pub mod gmsk;
pub mod l3;
pub mod rx;
pub mod synth;

/// GSM symbol rate: 13 MHz / 48 = 270 833.33 symbols per second.
pub const SYMBOL_RATE_SPS: f64 = 13_000_000.0 / 48.0;
/// Symbol periods per timeslot (156.25; bursts carry 148 bits plus guard).
pub const SYMBOLS_PER_TIMESLOT: f64 = 156.25;
/// Timeslots per TDMA frame.
pub const TIMESLOTS_PER_FRAME: usize = 8;
/// Symbol periods per TDMA frame (8 × 156.25 = 1250).
pub const SYMBOLS_PER_FRAME: usize = 1250;
/// Duration of one TDMA frame in seconds (60/13 ms ≈ 4.615 ms).
pub const FRAME_DURATION_S: f64 = SYMBOLS_PER_FRAME as f64 / SYMBOL_RATE_SPS;
/// Length of the hyperframe in TDMA frames (2048 × 26 × 51).
pub const HYPERFRAME: u32 = 2048 * 26 * 51;
/// Bits in a burst from tail to tail.
pub const BURST_BITS: usize = 148;
/// Offset of the FCCH tone above the carrier: symbol rate / 4 ≈ 67.708 kHz.
pub const FCCH_OFFSET_HZ: f64 = SYMBOL_RATE_SPS / 4.0;
