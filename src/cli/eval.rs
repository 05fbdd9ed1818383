//! `towerwatch eval CORPUS`: the detection scoreboard over labelled recordings and scenes (see
//! `crate::eval`).

use super::stop_flag;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct EvalArgs {
    /// Folder of labelled recordings (`NAME.sigmf-meta` with `scenes/NAME.toml` beside) and
    /// scenes (`[labels]` table), e.g. `recordings/`.
    #[arg(value_name = "CORPUS")]
    pub(crate) corpus: PathBuf,
}

pub(crate) fn eval(a: EvalArgs) -> Result<u8> {
    let cases = crate::eval::collect(&a.corpus)?;
    let stop = stop_flag();
    let mut outcomes = Vec::new();
    for c in &cases {
        eprintln!("towerwatch eval: {}", c.name);
        outcomes.push(crate::eval::run_case(c, stop.clone())?);
        if stop.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(super::EXIT_INTERRUPTED);
        }
    }
    print!("{}", crate::eval::table(&outcomes));
    let failed = outcomes
        .iter()
        .any(|o| o.labelled && !o.failures.is_empty());
    Ok(if failed {
        crate::exit::EXIT_LABEL_NOT_MET
    } else {
        0
    })
}
