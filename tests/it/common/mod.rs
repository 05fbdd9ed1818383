//! Helpers shared by the end-to-end tests. Every file in `tests/` is its own crate and uses only
//! some of these, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::process::{Command, Output};

/// The `towerwatch` binary under test.
pub fn towerwatch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_towerwatch"))
}

/// Runs `cmd` and asserts that it succeeded, showing its standard error if it did not.
pub fn succeed(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `towerwatch ARGS`, which must succeed: its standard output.
pub fn run_ok(args: &[&str]) -> String {
    String::from_utf8(succeed(towerwatch().args(args)).stdout).unwrap()
}
