//! LTE channel coding (3GPP TS 36.212) and pseudo-random sequences (TS 36.211 §7.2).
//!
//! - [`crc`]: CRC-8/16/24A/24B (§5.1.1), PBCH antenna-port masks, DCI RNTI masking.
//! - [`gold`]: the Gold sequence `c(n)` and the `c_init` of PBCH, PCFICH, PDCCH, PDSCH, PHICH, CRS.
//! - [`conv`]: the tail-biting convolutional code (§5.1.3.1) and its soft Viterbi decoder.
//! - [`ratematch_conv`]: rate matching for the convolutional code (§5.1.4.2) and soft de-matching.
//! - [`control`]: the PBCH (MIB + ports + SFN mod 4) and PDCCH candidate (DCI + RNTI) chains.
//! - [`dci`]: DCI formats 1A/1C for system information: sizes, fields, PRBs, TBS (36.213 §7.1).
//! - [`turbo`]: the turbo code with the QPP interleaver (§5.1.3.2), max-log-MAP decoder.
//! - [`ratematch_turbo`]: turbo rate matching with RVs 0-3 (§5.1.4.1), soft combining.
//! - [`segment`]: code-block segmentation, CRC-24B and filler bits (§5.1.2).
//! - [`dlsch`]: the DL-SCH chain from descrambled PDSCH soft bits to the transport block.
//!
//! From PDSCH soft bits to SIB1: the PDCCH candidate's soft bits go through
//! [`control::dci_decode`]; an SI-RNTI hit is unpacked by [`dci::Dci1A`] / [`dci::Dci1C`], whose
//! `si_allocation` gives the PRBs and TBS; the PDSCH soft bits of those PRBs, descrambled with
//! [`gold::c_init_pdsch`], go to [`dlsch::DlschDecoder`] with the RV (from the DCI, or
//! [`dci::sib1_rv`] for 1C); the transport block's octets go to
//! [`crate::lte::rrc::sib1::decode_sib1`].
//!
//! Soft-bit convention (the same as the GSM decoders in this crate): `f32`, **> 0 means bit 1**,
//! < 0 means bit 0, magnitude = confidence, 0 = erased; a hard bit `b` maps to `2b − 1`. The
//! LTE modulation mapper (TS 36.211 §7.1) sends bit 0 as +1/√2, so a QPSK demapper produces
//! `−Re(y)` and `−Im(y)` (scaled) as soft bits. Scrambling flips the sign where `c(n) = 1`
//! ([`gold::descramble_soft`]), whatever the convention. Coded streams of the convolutional code
//! are stored stream-major: `d⁽ⁱ⁾(k)` at index `i·D + k`.

pub mod control;
pub mod conv;
pub mod crc;
pub mod dci;
pub mod dlsch;
pub mod gold;
pub mod ratematch_conv;
pub mod ratematch_turbo;
pub mod segment;
pub mod turbo;

/// Why a coding stage refused its input. Garbage on air is normal: callers count these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FecError {
    /// An input or output had the wrong length.
    #[error("wrong length: expected {expected}, got {got}")]
    Length {
        /// Length the function needs.
        expected: usize,
        /// Length it was given.
        got: usize,
    },
    /// A block size outside what the code supports (e.g. an empty block, or a turbo block size
    /// not in the QPP table).
    #[error("unsupported block size {0}")]
    BlockSize(usize),
    /// A CRC did not pass after decoding.
    #[error("CRC check failed")]
    Crc,
}
