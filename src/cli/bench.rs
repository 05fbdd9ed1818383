//! `towerwatch bench`: real-time factor and peak memory of each processing stage.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `towerwatch bench`.
#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
    /// Multiply every stage's default signal length by this (1 = a run of about 3 minutes on
    /// one core; 10 for steadier figures).
    #[arg(long, default_value_t = 1.0)]
    pub(crate) scale: f64,
    /// Run only the stages whose names contain this text.
    #[arg(long)]
    pub(crate) only: Option<String>,
    /// Where to write the generated signals (default: a new folder in the temp directory,
    /// removed afterwards).
    #[arg(long, value_name = "DIR")]
    pub(crate) work_dir: Option<PathBuf>,
    /// Internal: run one stage in this process and print its JSON line.
    #[arg(long, hide = true)]
    pub(crate) stage: Option<String>,
    /// Internal: the stage's input file.
    #[arg(long, hide = true)]
    pub(crate) input: Option<PathBuf>,
    /// Internal: seconds of signal for the stage.
    #[arg(long, hide = true)]
    pub(crate) seconds: Option<f64>,
}

impl BenchArgs {
    fn options(&self) -> crate::bench::BenchOptions {
        crate::bench::BenchOptions {
            scale: self.scale,
            only: self.only.clone(),
            work_dir: self.work_dir.clone(),
            stage: self.stage.clone(),
            input: self.input.clone(),
            seconds: self.seconds,
        }
    }
}

/// `towerwatch bench`.
pub(crate) fn bench(a: &BenchArgs) -> Result<u8> {
    crate::bench::run(&a.options())
}
