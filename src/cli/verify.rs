//! `towerwatch verify`: check an evidence bundle or a SigMF recording's hash.

use crate::source::sigmf::{self, HashCheck};
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
    match sigmf::verify(&a.file)? {
        HashCheck::Match(h) => {
            println!(
                "OK: {} matches its core:sha512 ({}…)",
                a.file.display(),
                &h[..16]
            );
            Ok(0)
        }
        HashCheck::NotRecorded(h) => {
            bail!(
                "{}: no core:sha512 in the metadata (an interrupted recording?); data hashes to {}",
                a.file.display(),
                h
            )
        }
    }
}
