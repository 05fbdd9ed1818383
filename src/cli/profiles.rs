//! `towerwatch profiles`: list or validate hardware profiles.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct ProfilesArgs {
    /// Profile TOML files to validate (none: list the built-in profiles).
    pub(crate) files: Vec<PathBuf>,
}

pub(crate) fn profiles(a: ProfilesArgs) -> Result<u8> {
    use crate::profile::Profile;
    use crate::term::escape as esc;
    if a.files.is_empty() {
        for p in Profile::builtin()? {
            println!(
                "{:<18} {:<28} {:>6.1}–{:<7.1} MHz  {}",
                esc(&p.id),
                esc(&p.name),
                p.tuning.min_hz / 1e6,
                p.tuning.max_hz / 1e6,
                esc(&p.driver_args)
            );
        }
        return Ok(0);
    }
    for f in &a.files {
        let p = Profile::load(f)?;
        println!("OK: {} ({})", esc(&f.display().to_string()), esc(&p.name));
    }
    Ok(0)
}
