//! Downlink control information for system information: DCI formats 1A and 1C as sent in the
//! common search space with the SI-RNTI (TS 36.212 §5.3.3.1.3, §5.3.3.1.4), their payload sizes
//! for every bandwidth, the resource allocation (TS 36.213 §7.1.6.3, distributed VRB mapping of
//! TS 36.211 §6.2.3.2) and the transport-block size (TS 36.213 §7.1.7).
//!
//! Bits are 0/1 `u8`s, each field most significant bit first, in the order the spec lists them.
//! The CRC and its RNTI mask are not part of the payload here (see [`super::crc::dci_rnti`]).

/// SI-RNTI, the RNTI that scrambles the DCI of system information (TS 36.321 Table 7.1-1).
pub const SI_RNTI: u16 = 0xFFFF;
/// P-RNTI (paging).
pub const P_RNTI: u16 = 0xFFFE;

/// Payload sizes that format 1A must avoid by appending one zero bit (TS 36.212 Table
/// 5.3.3.1.2-1).
pub const AMBIGUOUS_SIZES: [usize; 10] = [12, 14, 16, 20, 24, 26, 32, 40, 44, 56];

/// Frame structure: the DCI field set differs between FDD and TDD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Duplex {
    /// Frame structure type 1.
    Fdd,
    /// Frame structure type 2.
    Tdd,
}

/// Why a DCI could not be unpacked or turned into an allocation. Counted, never fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DciError {
    /// The downlink bandwidth is outside 6..=110 resource blocks.
    #[error("bandwidth of {0} resource blocks is outside 6..=110")]
    Bandwidth(u16),
    /// The payload has the wrong number of bits for the format and bandwidth.
    #[error("wrong DCI length: expected {expected}, got {got}")]
    Length {
        /// Bits the format has at this bandwidth.
        expected: usize,
        /// Bits given.
        got: usize,
    },
    /// The format-0/1A flag says format 0 (an uplink grant), not 1A.
    #[error("format 0, not format 1A")]
    Format0,
    /// The resource indication value does not describe blocks inside the bandwidth.
    #[error("resource indication value {0} out of range")]
    Riv(u32),
    /// No transport-block size for this MCS / TBS index (I_TBS > 26 for format 1A).
    #[error("no transport-block size for index {0}")]
    Tbs(u8),
    /// A field value does not fit its width (encoder).
    #[error("field value out of range")]
    Field,
}

fn check_bandwidth(n_rb: u16) -> Result<usize, DciError> {
    if (6..=110).contains(&n_rb) {
        Ok(usize::from(n_rb))
    } else {
        Err(DciError::Bandwidth(n_rb))
    }
}

/// `⌈log2(x)⌉` for `x ≥ 1`.
fn ceil_log2(x: usize) -> usize {
    if x <= 1 {
        0
    } else {
        (usize::BITS - (x - 1).leading_zeros()) as usize
    }
}

/// Bits of a type-2 resource allocation over `n` blocks: `⌈log2(n(n+1)/2)⌉`.
fn riv_bits(n: usize) -> usize {
    ceil_log2(n * (n + 1) / 2)
}

/// Payload bits of DCI format 0 in the common search space (TS 36.212 §5.3.3.1.1), uplink
/// bandwidth = downlink bandwidth: flag, hopping, RIV, MCS/RV, NDI, TPC, cyclic shift, CQI
/// request, and for TDD the UL index / DAI.
pub fn format0_size(n_rb: u16, duplex: Duplex) -> Result<usize, DciError> {
    let n = check_bandwidth(n_rb)?;
    let tdd = if duplex == Duplex::Tdd { 2 } else { 0 };
    Ok(1 + 1 + riv_bits(n) + 5 + 1 + 2 + 3 + 1 + tdd)
}

/// Payload bits of format 1A before padding: flag, localized/distributed, RIV, MCS, HARQ
/// process (3 FDD, 4 TDD), NDI, RV, TPC, and DAI (TDD).
fn format1a_fields(n: usize, duplex: Duplex) -> usize {
    let (harq, dai) = match duplex {
        Duplex::Fdd => (3, 0),
        Duplex::Tdd => (4, 2),
    };
    1 + 1 + riv_bits(n) + 5 + harq + 1 + 2 + 2 + dai
}

/// Payload bits of DCI format 1A (TS 36.212 §5.3.3.1.3), after the padding rules: zeros up to the
/// size of format 0, then one more zero if the size is one of [`AMBIGUOUS_SIZES`].
/// FDD: 21/22/25/27/27/28 bits for 6/15/25/50/75/100 resource blocks.
pub fn format1a_size(n_rb: u16, duplex: Duplex) -> Result<usize, DciError> {
    let n = check_bandwidth(n_rb)?;
    let mut size = format1a_fields(n, duplex).max(format0_size(n_rb, duplex)?);
    if AMBIGUOUS_SIZES.contains(&size) {
        size += 1;
    }
    Ok(size)
}

/// `N_RB^step` of format 1C (TS 36.213 Table 7.1.6.3-1): 2 below 50 resource blocks, else 4.
pub fn format1c_step(n_rb: u16) -> usize {
    if n_rb < 50 { 2 } else { 4 }
}

/// The gap `N_gap` of distributed VRBs (TS 36.211 Table 6.2.3.2-1); `gap2` selects `N_gap,2`
/// (defined only from 50 resource blocks). `None` outside the table.
pub fn vrb_gap(n_rb: u16, gap2: bool) -> Option<usize> {
    let n = usize::from(n_rb);
    let (g1, g2) = match n {
        6..=10 => (n.div_ceil(2), None),
        11 => (4, None),
        12..=19 => (8, None),
        20..=26 => (12, None),
        27..=44 => (18, None),
        45..=49 => (27, None),
        50..=63 => (27, Some(9)),
        64..=79 => (32, Some(16)),
        80..=110 => (48, Some(16)),
        _ => return None,
    };
    if gap2 { g2 } else { Some(g1) }
}

/// `N_VRB^DL` for distributed VRBs (TS 36.211 §6.2.3.2): `2·min(N_gap, N_RB − N_gap)` for gap 1,
/// `⌊N_RB / 2N_gap⌋·2N_gap` for gap 2.
pub fn distributed_vrb_count(n_rb: u16, gap2: bool) -> Option<usize> {
    let n = usize::from(n_rb);
    let g = vrb_gap(n_rb, gap2)?;
    Some(if gap2 {
        n / (2 * g) * 2 * g
    } else {
        2 * g.min(n - g)
    })
}

/// Resource-block-group size `P` (TS 36.213 Table 7.1.6.1-1).
fn rbg_size(n_rb: usize) -> usize {
    match n_rb {
        0..=10 => 1,
        11..=26 => 2,
        27..=63 => 3,
        _ => 4,
    }
}

/// The physical resource block that distributed virtual resource block `n_vrb` occupies in an
/// even (`odd_slot = false`) or odd slot (TS 36.211 §6.2.3.2). `None` when `n_vrb` is not below
/// `N_VRB^DL` or the gap is undefined for the bandwidth.
pub fn distributed_vrb_to_prb(
    n_rb: u16,
    gap2: bool,
    n_vrb: usize,
    odd_slot: bool,
) -> Option<usize> {
    let n_gap = vrb_gap(n_rb, gap2)?;
    let n_vrb_dl = distributed_vrb_count(n_rb, gap2)?;
    if n_vrb >= n_vrb_dl {
        return None;
    }
    let unit = if gap2 { 2 * n_gap } else { n_vrb_dl };
    let p = rbg_size(usize::from(n_rb));
    let n_row = unit.div_ceil(4 * p) * p;
    let n_null = 4 * n_row - unit;
    // Signed arithmetic: the spec's terms are non-negative only after all corrections.
    let (unit_i, n_row_i, n_null_i) = (unit as i64, n_row as i64, n_null as i64);
    let t = (n_vrb % unit) as i64;
    let base = unit_i * (n_vrb / unit) as i64;
    let p1 = 2 * n_row_i * (t % 2) + t / 2 + base;
    let p2 = n_row_i * (t % 4) + t / 4 + base;
    let tail = n_null != 0 && t >= unit_i - n_null_i;
    let mut prb = if tail && t % 2 == 1 {
        p1 - n_row_i
    } else if tail {
        p1 - n_row_i + n_null_i / 2
    } else if n_null != 0 && t % 4 >= 2 {
        p2 - n_null_i / 2
    } else {
        p2
    };
    if odd_slot {
        prb = (prb + unit_i / 2).rem_euclid(unit_i) + base;
    }
    let prb = if prb < unit_i / 2 {
        prb
    } else {
        prb + n_gap as i64 - unit_i / 2
    };
    usize::try_from(prb).ok().filter(|&p| p < usize::from(n_rb))
}

/// Decodes a type-2 resource indication value over `n` blocks (TS 36.213 §7.1.6.3):
/// `RIV = n(L−1) + start` if `L − 1 ≤ ⌊n/2⌋`, else `n(n−L+1) + (n−1−start)`.
/// Returns `(start, length)` with `start + length ≤ n`, or `None`.
pub fn riv_decode(riv: u32, n: usize) -> Option<(usize, usize)> {
    if n == 0 {
        return None;
    }
    let riv = riv as usize;
    if riv >= n * (n + 1) / 2 {
        return None;
    }
    let a = riv / n;
    let b = riv % n;
    let (start, len) = if a + b < n {
        (b, a + 1)
    } else {
        (n - 1 - b, n + 1 - a)
    };
    (len >= 1 && start + len <= n).then_some((start, len))
}

/// Encodes `(start, length)` over `n` blocks as a resource indication value (TS 36.213
/// §7.1.6.3). `None` when the allocation does not fit.
pub fn riv_encode(start: usize, len: usize, n: usize) -> Option<u32> {
    if len == 0 || start + len > n {
        return None;
    }
    let riv = if len - 1 <= n / 2 {
        n * (len - 1) + start
    } else {
        n * (n - len + 1) + (n - 1 - start)
    };
    u32::try_from(riv).ok()
}

/// Transport-block sizes of TS 36.213 Table 7.1.7.2.1-1 for `N_PRB` = 1, 2, 3 and
/// `I_TBS` = 0..=26 (the columns format 1A uses for SI-, P- and RA-RNTI: `N_PRB^1A` ∈ {2, 3}).
pub const TBS_TABLE_NPRB_1_TO_3: [[u16; 3]; 27] = [
    [16, 32, 56],
    [24, 56, 88],
    [32, 72, 144],
    [40, 104, 176],
    [56, 120, 208],
    [72, 144, 224],
    [88, 176, 256],
    [104, 224, 328],
    [120, 256, 392],
    [136, 296, 456],
    [144, 328, 504],
    [176, 376, 584],
    [208, 440, 680],
    [224, 488, 744],
    [256, 552, 840],
    [280, 600, 904],
    [328, 632, 968],
    [336, 696, 1064],
    [376, 776, 1160],
    [408, 840, 1288],
    [440, 904, 1384],
    [488, 1000, 1480],
    [520, 1064, 1608],
    [552, 1128, 1736],
    [584, 1192, 1800],
    [616, 1256, 1864],
    [712, 1480, 2216],
];

/// Transport-block sizes of format 1C (TS 36.213 Table 7.1.7.2.3-1), indexed by `I_TBS` 0..=31.
pub const TBS_FORMAT_1C: [u16; 32] = [
    40, 56, 72, 120, 136, 144, 176, 208, 224, 256, 280, 296, 328, 336, 392, 488, 552, 600, 632,
    696, 776, 840, 904, 1000, 1064, 1128, 1224, 1288, 1384, 1480, 1608, 1736,
];

/// Transport-block size for `I_TBS` and `N_PRB` from Table 7.1.7.2.1-1, for the columns this
/// crate carries (`N_PRB` 1-3). `None` elsewhere.
pub fn tbs_lookup(i_tbs: u8, n_prb: usize) -> Option<usize> {
    let row = TBS_TABLE_NPRB_1_TO_3.get(usize::from(i_tbs))?;
    let col = n_prb.checked_sub(1)?;
    row.get(col).map(|&t| usize::from(t))
}

/// The redundancy version of SystemInformationBlockType1 in system frame `sfn`
/// (TS 36.321 §5.3.1): `RV_K = ⌈3K/2⌉ mod 4`, `K = ⌊SFN/2⌋ mod 4` → 0, 2, 3, 1.
pub fn sib1_rv(sfn: u16) -> u8 {
    [0, 2, 3, 1][usize::from((sfn / 2) % 4)]
}

/// The redundancy version of other SI messages, `K = i mod 4` with `i` the subframe's index
/// inside the SI window (TS 36.321 §5.3.1).
pub fn si_rv(i: usize) -> u8 {
    [0, 2, 3, 1][i % 4]
}

/// A PDSCH allocation for system information derived from a DCI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiAllocation {
    /// Physical resource blocks in the first (even) slot of the subframe, ascending.
    pub prbs_slot0: Vec<u16>,
    /// Physical resource blocks in the second (odd) slot, ascending (differs for distributed).
    pub prbs_slot1: Vec<u16>,
    /// Transport-block size in bits.
    pub tbs: usize,
    /// Redundancy version from the DCI (format 1A); `None` for 1C (see [`sib1_rv`], [`si_rv`]).
    pub rv: Option<u8>,
    /// Modulation order: always 2 (QPSK) for SI-, P- and RA-RNTI (TS 36.213 §7.1.7.1).
    pub qm: u8,
}

/// A bit reader over 0/1 `u8`s, most significant bit first.
struct Fields<'a> {
    bits: &'a [u8],
    pos: usize,
}

impl Fields<'_> {
    fn take(&mut self, n: usize) -> u32 {
        let mut v = 0u32;
        for _ in 0..n {
            let b = self.bits.get(self.pos).copied().unwrap_or(0);
            v = (v << 1) | u32::from(b != 0);
            self.pos += 1;
        }
        v
    }
}

fn put(out: &mut Vec<u8>, value: u32, n: usize) -> Result<(), DciError> {
    if n < 32 && value >> n != 0 {
        return Err(DciError::Field);
    }
    out.extend((0..n).rev().map(|i| ((value >> i) & 1) as u8));
    Ok(())
}

/// DCI format 1A (TS 36.212 §5.3.3.1.3) as used for compact PDSCH scheduling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dci1A {
    /// Localized (false) or distributed (true) VRB assignment.
    pub distributed: bool,
    /// Resource indication value.
    pub riv: u32,
    /// Modulation and coding scheme `I_MCS` (= `I_TBS` for SI-RNTI).
    pub mcs: u8,
    /// HARQ process number (3 bits FDD, 4 TDD).
    pub harq_process: u8,
    /// New data indicator; with SI/P/RA-RNTI, distributed and ≥ 50 RB it selects gap 2.
    pub ndi: bool,
    /// Redundancy version 0-3.
    pub rv: u8,
    /// TPC command; with SI/P/RA-RNTI its least significant bit selects `N_PRB^1A` = 2 or 3.
    pub tpc: u8,
    /// Downlink assignment index (TDD only).
    pub dai: u8,
}

impl Dci1A {
    /// Unpacks a format-1A payload of exactly [`format1a_size`] bits.
    pub fn unpack(bits: &[u8], n_rb: u16, duplex: Duplex) -> Result<Self, DciError> {
        let size = format1a_size(n_rb, duplex)?;
        if bits.len() != size {
            return Err(DciError::Length {
                expected: size,
                got: bits.len(),
            });
        }
        let mut f = Fields { bits, pos: 0 };
        if f.take(1) == 0 {
            return Err(DciError::Format0);
        }
        let distributed = f.take(1) == 1;
        let riv = f.take(riv_bits(usize::from(n_rb)));
        let mcs = f.take(5) as u8;
        let harq_process = f.take(if duplex == Duplex::Tdd { 4 } else { 3 }) as u8;
        let ndi = f.take(1) == 1;
        let rv = f.take(2) as u8;
        let tpc = f.take(2) as u8;
        let dai = if duplex == Duplex::Tdd {
            f.take(2) as u8
        } else {
            0
        };
        Ok(Dci1A {
            distributed,
            riv,
            mcs,
            harq_process,
            ndi,
            rv,
            tpc,
            dai,
        })
    }

    /// Packs into [`format1a_size`] bits (padding zeros included).
    pub fn pack(&self, n_rb: u16, duplex: Duplex) -> Result<Vec<u8>, DciError> {
        let size = format1a_size(n_rb, duplex)?;
        let mut out = Vec::with_capacity(size);
        put(&mut out, 1, 1)?;
        put(&mut out, u32::from(self.distributed), 1)?;
        put(&mut out, self.riv, riv_bits(usize::from(n_rb)))?;
        put(&mut out, u32::from(self.mcs), 5)?;
        let harq = if duplex == Duplex::Tdd { 4 } else { 3 };
        put(&mut out, u32::from(self.harq_process), harq)?;
        put(&mut out, u32::from(self.ndi), 1)?;
        put(&mut out, u32::from(self.rv), 2)?;
        put(&mut out, u32::from(self.tpc), 2)?;
        if duplex == Duplex::Tdd {
            put(&mut out, u32::from(self.dai), 2)?;
        }
        out.resize(size, 0);
        Ok(out)
    }

    /// The PDSCH allocation this 1A gives when its CRC was masked with the SI-, P- or RA-RNTI:
    /// `I_TBS = I_MCS` (≤ 26), `N_PRB^1A` from the TPC's least significant bit, QPSK
    /// (TS 36.213 §7.1.7), resource blocks from the RIV (§7.1.6.3).
    pub fn si_allocation(&self, n_rb: u16) -> Result<SiAllocation, DciError> {
        let n = check_bandwidth(n_rb)?;
        let n_prb_1a = if self.tpc & 1 == 1 { 3 } else { 2 };
        let tbs = tbs_lookup(self.mcs, n_prb_1a).ok_or(DciError::Tbs(self.mcs))?;
        let (prbs_slot0, prbs_slot1) = if self.distributed {
            let gap2 = n >= 50 && self.ndi;
            let n_vrb = distributed_vrb_count(n_rb, gap2).ok_or(DciError::Riv(self.riv))?;
            let (start, len) = riv_decode(self.riv, n).ok_or(DciError::Riv(self.riv))?;
            if start + len > n_vrb {
                return Err(DciError::Riv(self.riv));
            }
            distributed_prbs(n_rb, gap2, start, len).ok_or(DciError::Riv(self.riv))?
        } else {
            let (start, len) = riv_decode(self.riv, n).ok_or(DciError::Riv(self.riv))?;
            let prbs: Vec<u16> = (start..start + len).map(|p| p as u16).collect();
            (prbs.clone(), prbs)
        };
        Ok(SiAllocation {
            prbs_slot0,
            prbs_slot1,
            tbs,
            rv: Some(self.rv),
            qm: 2,
        })
    }
}

/// PRBs of VRBs `start..start+len` in both slots, sorted.
fn distributed_prbs(
    n_rb: u16,
    gap2: bool,
    start: usize,
    len: usize,
) -> Option<(Vec<u16>, Vec<u16>)> {
    let mut s0 = Vec::with_capacity(len);
    let mut s1 = Vec::with_capacity(len);
    for v in start..start + len {
        s0.push(distributed_vrb_to_prb(n_rb, gap2, v, false)? as u16);
        s1.push(distributed_vrb_to_prb(n_rb, gap2, v, true)? as u16);
    }
    s0.sort_unstable();
    s1.sort_unstable();
    Some((s0, s1))
}

/// Payload bits of DCI format 1C (TS 36.212 §5.3.3.1.4): gap bit (≥ 50 RB), RIV over
/// `⌊N_VRB,gap1 / N_step⌋` steps, 5-bit TBS index. 8/10/12/13/14/15 bits for 6/15/25/50/75/100.
pub fn format1c_size(n_rb: u16) -> Result<usize, DciError> {
    let n = check_bandwidth(n_rb)?;
    let gap_bit = usize::from(n >= 50);
    let steps = format1c_steps(n_rb)?;
    Ok(gap_bit + riv_bits(steps) + 5)
}

fn format1c_steps(n_rb: u16) -> Result<usize, DciError> {
    let n_vrb = distributed_vrb_count(n_rb, false).ok_or(DciError::Bandwidth(n_rb))?;
    Ok(n_vrb / format1c_step(n_rb))
}

/// DCI format 1C (TS 36.212 §5.3.3.1.4): very compact scheduling of SI, paging and RA responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dci1C {
    /// Gap 2 selected (only meaningful from 50 resource blocks).
    pub gap2: bool,
    /// Resource indication value over `N'_VRB` steps of `N_RB^step` blocks.
    pub riv: u32,
    /// TBS index into [`TBS_FORMAT_1C`].
    pub tbs_index: u8,
}

impl Dci1C {
    /// Unpacks a format-1C payload of exactly [`format1c_size`] bits.
    pub fn unpack(bits: &[u8], n_rb: u16) -> Result<Self, DciError> {
        let size = format1c_size(n_rb)?;
        if bits.len() != size {
            return Err(DciError::Length {
                expected: size,
                got: bits.len(),
            });
        }
        let mut f = Fields { bits, pos: 0 };
        let gap2 = n_rb >= 50 && f.take(1) == 1;
        let riv = f.take(riv_bits(format1c_steps(n_rb)?));
        let tbs_index = f.take(5) as u8;
        Ok(Dci1C {
            gap2,
            riv,
            tbs_index,
        })
    }

    /// Packs into [`format1c_size`] bits.
    pub fn pack(&self, n_rb: u16) -> Result<Vec<u8>, DciError> {
        let size = format1c_size(n_rb)?;
        let mut out = Vec::with_capacity(size);
        if n_rb >= 50 {
            put(&mut out, u32::from(self.gap2), 1)?;
        }
        put(&mut out, self.riv, riv_bits(format1c_steps(n_rb)?))?;
        put(&mut out, u32::from(self.tbs_index), 5)?;
        Ok(out)
    }

    /// The PDSCH allocation: distributed VRBs `N_step·start' … N_step·(start' + L') − 1`
    /// (TS 36.213 §7.1.6.3), TBS from Table 7.1.7.2.3-1, QPSK; no RV in the DCI.
    pub fn si_allocation(&self, n_rb: u16) -> Result<SiAllocation, DciError> {
        check_bandwidth(n_rb)?;
        let step = format1c_step(n_rb);
        let steps = format1c_steps(n_rb)?;
        let (s, l) = riv_decode(self.riv, steps).ok_or(DciError::Riv(self.riv))?;
        let tbs = TBS_FORMAT_1C
            .get(usize::from(self.tbs_index))
            .map(|&t| usize::from(t))
            .ok_or(DciError::Tbs(self.tbs_index))?;
        let gap2 = n_rb >= 50 && self.gap2;
        let n_vrb = distributed_vrb_count(n_rb, gap2).ok_or(DciError::Riv(self.riv))?;
        let (start, len) = (s * step, l * step);
        if start + len > n_vrb {
            return Err(DciError::Riv(self.riv));
        }
        let (prbs_slot0, prbs_slot1) =
            distributed_prbs(n_rb, gap2, start, len).ok_or(DciError::Riv(self.riv))?;
        Ok(SiAllocation {
            prbs_slot0,
            prbs_slot1,
            tbs,
            rv: None,
            qm: 2,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lte::fec::turbo::is_turbo_block_size;
    use crate::signal::Rng;

    const BANDWIDTHS: [u16; 6] = [6, 15, 25, 50, 75, 100];

    #[test]
    fn payload_sizes_for_every_bandwidth() {
        let fdd: Vec<usize> = BANDWIDTHS
            .iter()
            .map(|&n| format1a_size(n, Duplex::Fdd).unwrap())
            .collect();
        // 6 RB: 20 bits is ambiguous → 21; 25 RB: 24 → 25; 50 RB: 26 → 27.
        assert_eq!(fdd, [21, 22, 25, 27, 27, 28]);
        let tdd: Vec<usize> = BANDWIDTHS
            .iter()
            .map(|&n| format1a_size(n, Duplex::Tdd).unwrap())
            .collect();
        assert_eq!(tdd, [23, 25, 27, 29, 30, 31]);
        let f0: Vec<usize> = BANDWIDTHS
            .iter()
            .map(|&n| format0_size(n, Duplex::Fdd).unwrap())
            .collect();
        assert_eq!(f0, [19, 21, 23, 25, 26, 27]);
        let c: Vec<usize> = BANDWIDTHS
            .iter()
            .map(|&n| format1c_size(n).unwrap())
            .collect();
        assert_eq!(c, [8, 10, 12, 13, 14, 15]);
        for n in 6..=110u16 {
            for d in [Duplex::Fdd, Duplex::Tdd] {
                let s = format1a_size(n, d).unwrap();
                assert!(!AMBIGUOUS_SIZES.contains(&s));
                assert!(s >= format0_size(n, d).unwrap());
            }
            assert!(format1c_size(n).is_ok());
        }
        assert_eq!(format1a_size(5, Duplex::Fdd), Err(DciError::Bandwidth(5)));
        assert_eq!(format1c_size(111), Err(DciError::Bandwidth(111)));
    }

    #[test]
    fn riv_round_trips_every_allocation() {
        for n in [6usize, 11, 25, 50, 100] {
            let mut seen = std::collections::HashSet::new();
            for start in 0..n {
                for len in 1..=n - start {
                    let riv = riv_encode(start, len, n).unwrap();
                    assert!((riv as usize) < n * (n + 1) / 2, "n={n}");
                    assert!(seen.insert(riv));
                    assert_eq!(riv_decode(riv, n), Some((start, len)));
                }
            }
        }
        // By the formula: n = 25, start 0, L = 3 → RIV = 25·2 + 0 = 50.
        assert_eq!(riv_encode(0, 3, 25), Some(50));
        assert_eq!(riv_decode(u32::MAX, 25), None);
        assert_eq!(riv_decode(0, 0), None);
    }

    /// §6.2.3.2 as a matrix: VRB numbers written row by row into 4 columns (N_null nulls in the
    /// last N_null/2 rows of columns 2 and 4), read column by column; the first half of the read
    /// order fills PRBs from 0, the second half from N_gap.
    fn matrix_prb(n_rb: u16, gap2: bool) -> Vec<usize> {
        let n_gap = vrb_gap(n_rb, gap2).unwrap();
        let unit = if gap2 {
            2 * n_gap
        } else {
            distributed_vrb_count(n_rb, false).unwrap()
        };
        let p = rbg_size(usize::from(n_rb));
        let n_row = unit.div_ceil(4 * p) * p;
        let n_null = 4 * n_row - unit;
        let mut m = vec![vec![None; 4]; n_row];
        let mut v = 0;
        for (r, row) in m.iter_mut().enumerate() {
            for (c, cell) in row.iter_mut().enumerate() {
                let null = (c == 1 || c == 3) && r >= n_row - n_null / 2;
                if !null {
                    *cell = Some(v);
                    v += 1;
                }
            }
        }
        let mut order = Vec::new();
        for c in 0..4 {
            for row in &m {
                if let Some(x) = row[c] {
                    order.push(x);
                }
            }
        }
        let mut prb = vec![0; unit];
        for (pos, &vrb) in order.iter().enumerate() {
            prb[vrb] = if pos < unit / 2 {
                pos
            } else {
                pos + n_gap - unit / 2
            };
        }
        prb
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn distributed_mapping_matches_the_matrix_and_is_injective() {
        for n in 6..=110u16 {
            for gap2 in [false, true] {
                let Some(n_vrb) = distributed_vrb_count(n, gap2) else {
                    continue;
                };
                let unit_count = if gap2 {
                    2 * vrb_gap(n, true).unwrap()
                } else {
                    n_vrb
                };
                let m = matrix_prb(n, gap2);
                let mut used = [
                    std::collections::HashSet::new(),
                    std::collections::HashSet::new(),
                ];
                for v in 0..n_vrb {
                    let even = distributed_vrb_to_prb(n, gap2, v, false).unwrap();
                    let odd = distributed_vrb_to_prb(n, gap2, v, true).unwrap();
                    assert!(even < usize::from(n) && odd < usize::from(n));
                    assert!(used[0].insert(even) && used[1].insert(odd), "n={n}");
                    if v < unit_count && !gap2 {
                        assert_eq!(even, m[v], "n={n} vrb={v}");
                    }
                }
                assert_eq!(distributed_vrb_to_prb(n, gap2, n_vrb, false), None);
            }
        }
        assert_eq!(vrb_gap(25, true), None);
        assert_eq!(distributed_vrb_count(50, false), Some(46));
    }

    #[test]
    fn tbs_tables_give_turbo_sizes() {
        // A design property of Table 7.1.7.2.1-1 and 7.1.7.2.3-1: every TBS + 24 CRC bits is a
        // QPP block size, so single-block transport blocks need no filler. A typo breaks it.
        for row in &TBS_TABLE_NPRB_1_TO_3 {
            assert!(row[0] < row[1] && row[1] < row[2]);
            for &t in row {
                assert!(is_turbo_block_size(usize::from(t) + 24), "{t}");
            }
        }
        for w in TBS_TABLE_NPRB_1_TO_3.windows(2) {
            assert!(w[0].iter().zip(&w[1]).all(|(a, b)| a <= b));
        }
        for &t in &TBS_FORMAT_1C {
            assert!(is_turbo_block_size(usize::from(t) + 24), "{t}");
        }
        assert_eq!(tbs_lookup(0, 2), Some(32));
        assert_eq!(tbs_lookup(26, 3), Some(2216));
        assert_eq!(tbs_lookup(27, 3), None);
        assert_eq!(tbs_lookup(5, 4), None);
        assert_eq!(tbs_lookup(5, 0), None);
    }

    #[test]
    fn format1a_round_trip_and_sib1_allocation() {
        for &n in &BANDWIDTHS {
            for duplex in [Duplex::Fdd, Duplex::Tdd] {
                let nn = usize::from(n);
                let d = Dci1A {
                    distributed: false,
                    riv: riv_encode(nn / 2 - 2, 4, nn).unwrap(),
                    mcs: 7,
                    harq_process: 0,
                    ndi: false,
                    rv: 2,
                    tpc: 1,
                    dai: if duplex == Duplex::Tdd { 3 } else { 0 },
                };
                let bits = d.pack(n, duplex).unwrap();
                assert_eq!(bits.len(), format1a_size(n, duplex).unwrap());
                assert_eq!(bits[0], 1);
                assert_eq!(Dci1A::unpack(&bits, n, duplex).unwrap(), d);
                let a = d.si_allocation(n).unwrap();
                assert_eq!(a.tbs, 328); // I_TBS 7, N_PRB^1A = 3
                assert_eq!(a.rv, Some(2));
                let want: Vec<u16> = (nn / 2 - 2..nn / 2 + 2).map(|p| p as u16).collect();
                assert_eq!(a.prbs_slot0, want);
                assert_eq!(a.prbs_slot1, want);
            }
        }
        let mut bits = Dci1A::default().pack(25, Duplex::Fdd).unwrap();
        bits[0] = 0;
        assert_eq!(
            Dci1A::unpack(&bits, 25, Duplex::Fdd),
            Err(DciError::Format0)
        );
        assert!(Dci1A::unpack(&bits[1..], 25, Duplex::Fdd).is_err());
        let too_big = Dci1A {
            mcs: 40,
            ..Dci1A::default()
        };
        assert_eq!(too_big.pack(25, Duplex::Fdd), Err(DciError::Field));
        let mcs31 = Dci1A {
            mcs: 31,
            ..Dci1A::default()
        };
        assert_eq!(mcs31.si_allocation(25), Err(DciError::Tbs(31)));
    }

    #[test]
    fn distributed_1a_spreads_over_the_band() {
        let d = Dci1A {
            distributed: true,
            riv: riv_encode(0, 4, 50).unwrap(),
            mcs: 2,
            tpc: 0,
            ..Dci1A::default()
        };
        let a = d.si_allocation(50).unwrap();
        assert_eq!(a.tbs, 72);
        assert_eq!(a.prbs_slot0.len(), 4);
        // Gap 1 = 27 for 50 RB: half the VRBs land at or above the gap in the first slot.
        assert!(a.prbs_slot0.iter().any(|&p| p >= 27));
        // Each VRB hops by half the interleaver unit between the slots.
        for v in 0..4 {
            assert_ne!(
                distributed_vrb_to_prb(50, false, v, false),
                distributed_vrb_to_prb(50, false, v, true)
            );
        }
        // A RIV beyond N_VRB (46 for 50 RB, gap 1) is refused.
        let far = Dci1A {
            riv: riv_encode(44, 4, 50).unwrap(),
            ..d
        };
        assert!(matches!(far.si_allocation(50), Err(DciError::Riv(_))));
    }

    #[test]
    fn format1c_round_trip() {
        for &n in &BANDWIDTHS {
            let steps = format1c_steps(n).unwrap();
            let d = Dci1C {
                gap2: n >= 50,
                riv: riv_encode(0, 2, steps).unwrap(),
                tbs_index: 9,
            };
            let bits = d.pack(n).unwrap();
            assert_eq!(bits.len(), format1c_size(n).unwrap());
            assert_eq!(Dci1C::unpack(&bits, n).unwrap(), d);
            let a = d.si_allocation(n).unwrap();
            assert_eq!(a.tbs, 256);
            assert_eq!(a.rv, None);
            assert_eq!(a.prbs_slot0.len(), 2 * format1c_step(n));
        }
    }

    #[test]
    fn sib1_redundancy_versions() {
        let rv: Vec<u8> = (0..8).map(|sfn| sib1_rv(sfn * 2)).collect();
        assert_eq!(rv, [0, 2, 3, 1, 0, 2, 3, 1]);
        assert_eq!(si_rv(5), 2);
    }

    #[test]
    fn random_bits_never_panic() {
        let mut rng = Rng::new(0xDC1);
        for _ in 0..5000 {
            let n = 6 + (rng.next_u64() % 105) as u16;
            let duplex = if rng.bit() == 1 {
                Duplex::Tdd
            } else {
                Duplex::Fdd
            };
            let len = (rng.next_u64() % 40) as usize;
            let bits: Vec<u8> = (0..len).map(|_| rng.bit()).collect();
            if let Ok(d) = Dci1A::unpack(&bits, n, duplex)
                && let Ok(a) = d.si_allocation(n)
            {
                assert!(a.prbs_slot0.iter().all(|&p| p < n));
                assert!(a.prbs_slot1.iter().all(|&p| p < n));
            }
            if let Ok(d) = Dci1C::unpack(&bits, n)
                && let Ok(a) = d.si_allocation(n)
            {
                assert!(a.prbs_slot0.iter().all(|&p| p < n));
            }
            let sized: Vec<u8> = (0..format1a_size(n, duplex).unwrap())
                .map(|_| rng.bit())
                .collect();
            if let Ok(d) = Dci1A::unpack(&sized, n, duplex) {
                let _ = d.si_allocation(n);
            }
            let sized_c: Vec<u8> = (0..format1c_size(n).unwrap()).map(|_| rng.bit()).collect();
            let d = Dci1C::unpack(&sized_c, n).unwrap();
            let _ = d.si_allocation(n);
        }
    }
}
