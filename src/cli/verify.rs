//! `towerwatch verify`: check an evidence bundle or a SigMF recording's hash.

use crate::source::sigmf;
use anyhow::{Result, bail};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// Evidence bundle (its directory or its manifest.json), or a SigMF recording
    /// (.sigmf-meta or .sigmf-data).
    pub(crate) file: PathBuf,
}

pub(crate) fn verify(a: VerifyArgs) -> Result<u8> {
    if crate::evidence::manifest::is_bundle(&a.file)
        || (a.file.is_dir() && !sigmf::is_sigmf(&a.file))
    {
        let v = crate::evidence::verify_bundle(&a.file)?;
        for c in &v.files {
            println!("{c}");
        }
        if v.ok() {
            println!("OK: {}", v.headline());
            return Ok(0);
        }
        bail!("{}", v.headline());
    }
    let r = crate::integrity::verify_recording(&a.file)?;
    for l in &r.lines {
        println!("{l}");
    }
    if !r.ok {
        bail!("{}: verification failed (see above)", a.file.display());
    }
    Ok(0)
}
