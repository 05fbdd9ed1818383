//! Towerwatch DSP: pure signal processing and the GSM physical and link layers.
//!
//! This crate knows nothing of files, threads, clocks or printing: every stage takes slices in and
//! writes slices out, and time is a sample index. The application crate (`towerwatch`) does the I/O.
//!
//! Modules:
//! - [`arfcn`]: GSM bands and ARFCN ↔ frequency tables (downlink and uplink).
//! - [`earfcn`]: LTE bands and EARFCN ↔ frequency tables (TS 36.101 §5.7.3).
//! - [`spectrum`]: Welch power spectral density, channel power, noise floor.
//! - [`signal`]: deterministic random numbers, tones and noise for tests and synthetic sources.
//! - [`filter`]: FIR design, frequency shifting, decimation and rational resampling.
//! - [`gsm`]: GSM constants, channel coding, L2/L3 messages, GMSK, the receiver and the scene generator.
//! - [`lte`]: the LTE downlink receiver: cell search, PBCH/MIB, PDCCH/PDSCH/SIB1, and its generator.
#![warn(missing_docs)]

pub mod activity;
pub mod arfcn;
pub mod earfcn;
pub mod filter;
pub mod gsm;
pub mod lte;
pub mod signal;
pub mod spectrum;

pub use num_complex::Complex32;
