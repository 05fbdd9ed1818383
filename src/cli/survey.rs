//! `towerwatch survey`: learn an area's cells into a baseline.

use super::input::*;
use super::stop_flag;
use crate::pipeline::gsm::GsmStageConfig;
use crate::pipeline::{Event, Pipeline, PipelineConfig, SpectrumStageConfig};
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct SurveyArgs {
    /// Recordings made in the area (any input format `replay` reads).
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Baseline file to write (extended when it exists).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: PathBuf,
    /// Free text stored in the baseline (where, when, receiver).
    #[arg(long)]
    pub(crate) description: Option<String>,
    /// Technologies to learn: gsm (cells by CGI, channels), lte (cells by EARFCN and PCI, from
    /// captures at 1.92 MS/s or more), or all.
    #[arg(long, value_enum, default_value = "gsm")]
    pub(crate) tech: TechArg,
}

/// `towerwatch survey`: run every recording through the pipeline into one cell registry and
/// write what it learnt as a baseline.
pub(crate) fn survey(a: SurveyArgs) -> Result<u8> {
    let mut baseline = crate::alert::setup::load_baseline(a.output.exists().then_some(&*a.output))?;
    if let Some(d) = a.description {
        baseline.description = d;
    }
    for file in &a.files {
        let input = with_scanner_name_hints(&InputArgs {
            input: Some(file.clone()),
            ..InputArgs::default()
        });
        let src = open_input(&input).with_context(|| format!("{}", file.display()))?;
        let cfg = PipelineConfig {
            max_samples: max_samples(&input, src.as_ref()),
            lte: a.tech.lte_stage(src.info().sample_rate_sps),
            ..PipelineConfig::default()
        };
        let pipeline = Pipeline::start(
            src,
            &cfg,
            SpectrumStageConfig::default(),
            a.tech.gsm().then(GsmStageConfig::default),
            stop_flag(),
        )
        .with_context(|| format!("{}", file.display()))?;
        let mut reg = crate::cells::CellRegistry::default();
        for ev in pipeline.events.iter() {
            if let Event::Observation(o) = ev {
                reg.update(&o);
            }
        }
        pipeline.finish()?;
        baseline.learn(&reg);
        eprintln!(
            "towerwatch: {}: {} cells ({} with identity), {} channels, {} LTE cells",
            file.display(),
            reg.cells().count(),
            reg.cells().filter(|c| c.cgi.is_some()).count(),
            reg.channels().count(),
            reg.lte_cells().count()
        );
    }
    baseline.save(&a.output)?;
    eprintln!(
        "towerwatch: baseline {}: {} cells, {} channels, {} LTE cells",
        a.output.display(),
        baseline.cells.len(),
        baseline.channels.len(),
        baseline.lte_cells.len()
    );
    Ok(0)
}
