//! `towerwatch evidence`: replay a recording and write one alert's evidence bundle.

use super::{input::*, run::*};
use crate::monitor::Monitor;
use crate::pipeline::gsm::GsmStageConfig;
use anyhow::{Result, bail};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct EvidenceCmdArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// The alert id (as in `replay`'s `{"type":"alert","id":N}` lines and the dashboard).
    #[arg(long, value_name = "ID")]
    pub(crate) alert: u64,
    /// Directory the bundle is created in (as evidence-<ID>-<UTC>/).
    #[arg(short, long, value_name = "DIR")]
    pub(crate) output: PathBuf,
    /// Take the clip when the alert first reaches this severity (default: when it is raised).
    #[arg(long, value_name = "SEV", default_value = "info", value_parser = parse_severity)]
    pub(crate) severity: crate::detect::Severity,
    #[command(flatten)]
    pub(crate) clip: ClipArgs,
    /// Keep subscriber identities in clear in frames.pcap. Default: masked.
    #[arg(long)]
    pub(crate) reveal_identities: bool,
    #[command(flatten)]
    pub(crate) detect: DetectArgs,
}

/// `towerwatch evidence FILE --alert ID -o DIR`: replay and bundle that alert.
pub(crate) fn evidence(a: EvidenceCmdArgs) -> Result<u8> {
    let src = open_input(&a.input)?;
    let mut c = evidence_config(&a.output, &a.clip, &a.input, a.reveal_identities);
    c.auto_severity = Some(a.severity);
    c.only_alert = Some(a.alert);
    let recorder = crate::evidence::Recorder::new(c, src.info());
    let engine = crate::alert::setup::engine(&crate::alert::setup::DetectSettings {
        no_detect: false,
        ..a.detect.settings()
    })?;
    let opts = RunOpts {
        lte: None,
        output: JsonOut::Discard,
        interval_s: 1.0,
        include_psd: false,
        realtime: false,
        speed: 1.0,
        gsm: Some(GsmStageConfig {
            reveal_identities: a.reveal_identities,
            ..GsmStageConfig::default()
        }),
        report_every_s: None,
        fail_on: a.detect.fail_on,
    };
    let (_, monitor) = run_replay_detect(
        src,
        &a.input,
        opts,
        Monitor::new(engine, Some(recorder), None),
        |_| {},
    )?;
    let Some(recorder) = monitor.recorder() else {
        bail!("internal: the evidence recorder went missing");
    };
    if recorder.written().is_empty() {
        let seen = recorder.alert_ids();
        let desc = a
            .input
            .input
            .as_ref()
            .map_or_else(|| "the stream".to_string(), |p| p.display().to_string());
        if seen.contains(&a.alert) {
            bail!(
                "{desc}: alert {} never reached severity {}; no bundle written",
                a.alert,
                a.severity
            );
        }
        bail!(
            "{desc}: alert {} was not raised (alerts raised: {})",
            a.alert,
            if seen.is_empty() {
                "none".to_string()
            } else {
                seen.iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    for b in recorder.written() {
        println!("{}", b.dir.display());
    }
    Ok(0)
}
