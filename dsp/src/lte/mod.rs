//! LTE downlink receiver (3GPP TS 36.211/36.212/36.213/36.331): cell search, PBCH/MIB, SIB1.
//!
//! The stages live one per file; [`fec`] holds the channel coding shared by the physical channels
//! (CRCs, Gold sequences, tail-biting convolutional code, turbo code, rate matching) and [`rrc`] the
//! parsers for the broadcast messages. The walk from antenna to SIB1 is documented here as the stages land.

pub mod cell;
pub mod crs;
pub mod fec;
pub mod generator;
pub mod measure;
pub mod ofdm;
pub mod params;
pub mod pbch;
pub mod pss;
pub mod rrc;
pub mod search;
pub mod sss;
