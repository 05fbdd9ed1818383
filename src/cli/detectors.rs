//! `towerwatch detectors`: list the detectors, or print their catalogue.

use crate::detect;
use clap::Args;

/// `towerwatch detectors`.
#[derive(Args, Debug)]
pub struct DetectorsArgs {
    /// Print the catalogue as markdown (docs/detectors.md).
    #[arg(long)]
    pub markdown: bool,
}

/// List the detectors (or print the catalogue).
pub fn detectors_command(a: &DetectorsArgs) -> u8 {
    if a.markdown {
        print!("{}", crate::alert::catalogue_markdown());
    } else {
        for d in detect::REGISTRY {
            println!(
                "{:<24} v{}  weight {:<4} {}",
                d.id, d.version, d.default_weight, d.summary
            );
        }
    }
    0
}
