//! LTE RRC broadcast messages (3GPP TS 36.331): the MIB and SIB parsers, written for the fields that matter.
//!
//! - [`mib`]: the 24-bit MasterInformationBlock carried on PBCH (§6.2.2).
//! - [`sib1`]: BCCH-DL-SCH messages: SystemInformationBlockType1 decoded field by field, and the
//!   SIB types a SystemInformation message carries.
//! - [`uper`]: the unaligned-PER bit reader and writer both are built on.
//!
//! Every decoder returns a typed [`RrcError`] on bad input; none panics on any bits.

pub mod mib;
pub mod sib1;
pub mod uper;

/// Why a broadcast message did not decode. Counted by callers, never fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RrcError {
    /// The message ended before a field did.
    #[error("message truncated at bit {at_bit}")]
    Truncated {
        /// Bit position where more bits were needed.
        at_bit: usize,
    },
    /// A field's encoded value lies outside its ASN.1 range.
    #[error("{field} out of range")]
    OutOfRange {
        /// The ASN.1 field name.
        field: &'static str,
    },
    /// The first PLMN of the list has no MCC to inherit from (TS 36.331 §6.3.4: the MCC of a
    /// later entry defaults to the previous one's, the first must carry it).
    #[error("first PLMN identity without MCC")]
    MissingMcc,
    /// The BCCH-DL-SCH message is not the one asked for (e.g. a SystemInformation message, or
    /// the messageClassExtension).
    #[error("not a SystemInformationBlockType1 message")]
    NotSib1,
}
