//! Command-line interface.
use std::process::ExitCode;

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    ExitCode::SUCCESS
}
