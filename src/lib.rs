//! Towerwatch: find fake GSM base stations and mass-SMS transmitters with any SoapySDR receiver.
//!
//! The binary (`src/main.rs`) is a thin CLI over this library so that end-to-end tests can drive the
//! same code paths. Layout follows `README.md` (Architecture): `source/` reads samples, `pipeline/`
//! moves them between threads, `profile` loads hardware profiles, `cli` parses the command line.

pub mod alert;
pub mod bench;
pub mod cells;
pub mod cli;
pub mod demo;
pub mod detect;
pub mod eval;
pub mod evidence;
pub mod exit;
pub mod finder;
pub mod fleet;
pub mod format;
pub mod geo;
pub mod gps;
pub mod integrity;
pub mod limits;
#[cfg(feature = "soapy")]
pub mod live;
pub mod locate;
pub mod monitor;
pub mod num;
pub mod observation;
pub mod pipeline;
pub mod privacy;
pub mod profile;
pub mod report;
pub mod scene;
pub mod sink;
pub mod source;
pub mod synth;
pub mod term;
pub mod tui;
