//! `towerwatch report`: one self-contained HTML report of an evidence bundle.

use crate::source::sigmf::{self};
use anyhow::{Context, Result};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    /// An evidence bundle (directory or manifest.json), or a directory holding bundles.
    pub(crate) bundle: PathBuf,
    /// The HTML file to write.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: PathBuf,
    /// Show subscriber identities in the frame listing when the bundle holds them in clear.
    #[arg(long)]
    pub(crate) reveal_identities: bool,
}

/// `towerwatch report BUNDLE -o report.html`.
pub(crate) fn report(a: ReportArgs) -> Result<u8> {
    let opts = crate::report::ReportOptions {
        reveal_identities: a.reveal_identities,
    };
    let html = crate::report::render_path(&a.bundle, &opts)?;
    let mut f =
        sigmf::create_private(&a.output).with_context(|| format!("{}", a.output.display()))?;
    f.write_all(html.as_bytes())
        .with_context(|| format!("{}", a.output.display()))?;
    eprintln!(
        "towerwatch: report {} ({} bytes)",
        a.output.display(),
        html.len()
    );
    Ok(0)
}
