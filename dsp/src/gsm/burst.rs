//! Burst layouts and fixed bit sequences (TS 45.002 §5.2): training sequences, SCH extended
//! training sequence, FCCH and dummy bursts.

/// The eight normal-burst training sequence codes (TSC 0–7), 26 bits each, TS 45.002 §5.2.3.
/// Verified against the real bursts in `vf-call6-arfcn725.bursts.txt` (TSC 0).
pub const TRAINING_SEQUENCES: [[u8; 26]; 8] = [
    [
        0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 1,
    ],
    [
        0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1,
    ],
    [
        0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0,
    ],
    [
        0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0,
    ],
    [
        0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1,
    ],
    [
        0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0,
    ],
    [
        1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1,
    ],
    [
        1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0,
    ],
];

/// The 64-bit extended training sequence of the synchronisation burst (SCH), TS 45.002 §5.2.5.
/// Verified against the 199 good SCH bursts in `vf-call6-arfcn725.bursts.txt`.
pub const SCH_TRAINING: [u8; 64] = [
    1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1,
    0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 1,
];

/// Number of tail bits at each end of a normal, synchronisation, frequency-correction or dummy burst.
pub const TAIL_BITS: usize = 3;
/// Bits in an access burst from the first extended tail bit to the last tail bit (8 + 41 + 36 + 3).
pub const ACCESS_BURST_BITS: usize = 88;
/// Position of the first training-sequence bit in a normal burst (3 tail + 57 data + 1 stealing flag).
pub const NORMAL_TRAINING_POS: usize = 61;
/// Position of the lower stealing flag `hl` in a normal burst (TS 45.003 §4.1.5: `e(B,57)`).
pub const NORMAL_STEALING_LOW_POS: usize = 60;
/// Position of the upper stealing flag `hu` in a normal burst (TS 45.003 §4.1.5: `e(B,58)`).
pub const NORMAL_STEALING_HIGH_POS: usize = 87;
/// Position of the first extended-training bit in a synchronisation burst (3 tail + 39 data).
pub const SCH_TRAINING_POS: usize = 42;

/// The 8 extended tail bits that open an access burst, TS 45.002 §5.2.7.
pub const ACCESS_EXTENDED_TAIL: [u8; 8] = [0, 0, 1, 1, 1, 0, 1, 0];

/// The 41-bit synchronisation sequence of the access burst (TSC 0 of TS 45.002 §5.2.7).
pub const ACCESS_SYNC: [u8; 41] = [
    0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0,
    0, 0, 1, 1, 1, 1, 0, 0, 0,
];

/// The dummy burst, 148 bits tail to tail (TS 45.002 §5.2.6). Verified against all 8,636 subtype-7
/// bursts of `vf-call6-arfcn725.bursts.txt` (every one equal to this sequence).
pub const DUMMY_BURST: [u8; 148] = [
    0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1,
    1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
    1, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1,
    0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0,
    0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0,
];

/// What the BCCH carrier (C0) sends in a burst period, by frame number and timeslot
/// (TS 45.002 §7 table 3, the 51-multiframe of TS0): FCCH on t3 ∈ {0, 10, 20, 30, 40}, SCH one
/// frame later, the idle frame at t3 = 50 (a dummy burst on C0), normal bursts everywhere else
/// (BCCH/CCCH blocks on TS0, traffic or signalling on TS1–7). The one copy of the schedule the
/// receiver and the generator both follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BurstType {
    /// Frequency correction burst (a pure tone).
    Fcch,
    /// Synchronisation burst (BSIC and frame number).
    Sch,
    /// TS0 of the 51-multiframe's last frame: nothing scheduled (C0 sends a dummy burst).
    Idle,
    /// A normal burst (or a dummy burst where nothing is sent).
    Normal,
}

impl BurstType {
    /// The burst type of timeslot `ts` in TDMA frame `fn_` on the BCCH carrier.
    pub fn at(fn_: u32, ts: u8) -> BurstType {
        if ts != 0 {
            return BurstType::Normal;
        }
        match fn_ % 51 {
            50 => BurstType::Idle,
            t3 if t3 % 10 == 0 => BurstType::Fcch,
            t3 if t3 % 10 == 1 => BurstType::Sch,
            _ => BurstType::Normal,
        }
    }
}

/// The frequency-correction burst (TS 45.002 §5.2.4): 148 zero bits, tail and fixed bits alike,
/// which GMSK turns into a pure tone a quarter of the symbol rate above the carrier.
pub fn fcch_burst() -> [u8; 148] {
    [0; 148]
}

/// Maps a hard bit (0 or 1; anything non-zero counts as 1) to the soft-bit convention: `2b − 1`.
pub fn hard_to_soft(bit: u8) -> f32 {
    if bit == 0 { -1.0 } else { 1.0 }
}

/// Maps a soft bit to a hard bit: 1 when the value is positive, otherwise 0.
pub fn soft_to_hard(soft: f32) -> u8 {
    u8::from(soft > 0.0)
}

#[cfg(test)]
mod schedule_tests {
    use super::BurstType;

    /// TS 45.002 table 3 over a whole multiframe: 5 FCCH, 5 SCH, 1 idle, 40 normal on TS0;
    /// nothing but normal bursts on the other timeslots; the same in every multiframe.
    #[test]
    fn the_51_multiframe() {
        for mf in [0u32, 1, 1000] {
            let ts0: Vec<BurstType> = (0..51).map(|t3| BurstType::at(mf * 51 + t3, 0)).collect();
            let count = |k| ts0.iter().filter(|&&b| b == k).count();
            assert_eq!(count(BurstType::Fcch), 5);
            assert_eq!(count(BurstType::Sch), 5);
            assert_eq!(count(BurstType::Idle), 1);
            assert_eq!(count(BurstType::Normal), 40);
            for t3 in [0, 10, 20, 30, 40] {
                assert_eq!(ts0[t3], BurstType::Fcch);
                assert_eq!(ts0[t3 + 1], BurstType::Sch);
            }
            assert_eq!(ts0[50], BurstType::Idle);
            for ts in 1..8 {
                assert_eq!(BurstType::at(mf * 51 + 10, ts), BurstType::Normal);
            }
        }
    }
}
