//! LTE RRC broadcast messages (3GPP TS 36.331): the MIB and SIB parsers, written for the fields that matter.
