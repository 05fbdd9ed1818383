//! The `towerwatch` command-line program.

use std::process::ExitCode;

fn main() -> ExitCode {
    towerwatch::cli::main()
}
