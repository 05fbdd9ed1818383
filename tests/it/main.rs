//! End-to-end tests, one binary (each file a module): the app is linked once, not once per
//! file, which keeps a fresh clone's test build short. The SoapySDR path (`tests/soapy_e2e.rs`)
//! stays its own binary: it needs `--features soapy` and a plug-in module.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod architecture;
mod cli;
mod common;
mod decode;
mod detect_catalogue;
mod downgrade_scene;
mod eval;
mod evidence;
mod fleet;
mod fleet_load;
mod golden_alerts;
mod gps;
mod gsmtap;
mod hardening;
mod help_text;
mod locate;
mod lte_decode;
mod lte_replay;
mod lte_scan;
mod masking;
mod pipeline;
mod plmn_anywhere;
mod privacy;
mod profiles;
mod proptest_parsers;
mod readme;
mod run_summary;
mod rx_field;
mod scan;
mod sdcch;
mod sources;
mod synth;
mod tmux;
mod tui;
mod tui_lte;
