//! `towerwatch demo`: the bundled SMS-blaster scene, in the dashboard or as text.

use super::stop_flag;
use super::{decode::*, input::*, run::*};
use crate::monitor::Monitor;
use crate::pipeline::gsm::GsmStageConfig;
use anyhow::{Result, anyhow, bail};
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;
use towerwatch_dsp::arfcn::Band;

#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// Print the observations as JSON lines (like `replay`) instead of the cell summary.
    #[arg(long)]
    pub(crate) json: bool,
    /// With --json: write the JSON lines here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Open the terminal dashboard (the default when stdin and stdout are a terminal).
    #[arg(long, conflicts_with_all = ["json", "text"])]
    pub(crate) tui: bool,
    /// Print the alerts and cells as text instead of opening the dashboard (the default when
    /// stdout is not a terminal).
    #[arg(long, conflicts_with = "json")]
    pub(crate) text: bool,
    /// Print the full frame listing and cell summaries (like `decode`) instead of the alerts.
    #[arg(long, conflicts_with_all = ["json", "tui"])]
    pub(crate) frames: bool,
    /// Seconds of the scene to run (default: 4 as text, 120 in the dashboard at real-time pace).
    #[arg(long, value_name = "S")]
    pub(crate) seconds: Option<f64>,
    #[command(flatten)]
    pub(crate) gps: GpsArgs,
    #[command(flatten)]
    pub(crate) detect: DetectArgs,
    #[command(flatten)]
    pub(crate) mqtt: super::mqtt::MqttArgs,
}

/// The bundled demo scene, relative to the repository root: generated on the fly (the same
/// samples `towerwatch synth` writes), so the demo needs no large file.
pub const DEMO_SCENE: &str = "recordings/scenes/sms-blaster.toml";

/// Seconds of the demo scene to run.
pub const DEMO_SECONDS: f64 = 4.0;

/// Seconds of scene the demo dashboard plays (real-time pace).
pub const DEMO_TUI_SECONDS: f64 = 120.0;

pub(crate) fn demo(a: DemoArgs) -> Result<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scene = [PathBuf::from(DEMO_SCENE), root.join(DEMO_SCENE)]
        .into_iter()
        .find(|p| p.exists())
        .ok_or_else(|| anyhow!("demo scene {DEMO_SCENE} not found: run from the repository"))?;
    let dashboard = a.tui
        || (!a.text
            && !a.json
            && !a.frames
            && std::io::stdout().is_terminal()
            && std::io::stdin().is_terminal());
    // The dashboard runs at real-time pace, so give it two minutes of scene to look around in.
    let seconds = a.seconds.unwrap_or(if dashboard {
        DEMO_TUI_SECONDS
    } else {
        DEMO_SECONDS
    });
    if !(seconds.is_finite() && seconds > 0.0) {
        bail!("--seconds {seconds}: give a positive number");
    }
    let path = PathBuf::from(format!("scene:{},seconds={seconds}", scene.display()));
    if !dashboard {
        eprintln!(
            "towerwatch demo: {seconds} s of {} (a synthetic scene: five legitimate cells and an \
             SMS blaster on ARFCN 21); on a terminal, demo opens the dashboard",
            scene.display()
        );
    }
    let input = InputArgs {
        input: Some(path),
        ..InputArgs::default()
    };
    if dashboard {
        let src = open_input(&input)?;
        let fleet = a.mqtt.open(src.info(), "demo")?;
        return crate::tui::launch(
            src,
            crate::tui::Launch {
                max_samples: None,
                paced: true,
                speed: 1.0,
                interval_s: 0.1,
                gsm: Some(GsmStageConfig::default()),
                lte: None,
                stop: stop_flag(),
                engine: crate::alert::setup::engine(&a.detect.settings())?,
                baseline_path: a.detect.baseline.clone(),
                evidence: None,
                gps: a.gps.open(true)?,
                fleet,
            },
        );
    }
    if a.gps.any() && !a.json {
        bail!(
            "positions (--gpsd, --nmea, --position) are shown on the JSON lines (--json) or in \
             the dashboard (--tui)"
        );
    }
    if a.json {
        let src = open_input(&input)?;
        let opts = RunOpts {
            lte: None,
            output: JsonOut::from_flag(a.output.as_deref()),
            interval_s: 1.0,
            include_psd: false,
            realtime: false,
            speed: 1.0,
            gsm: Some(GsmStageConfig::default()),
            report_every_s: None,
            fail_on: a.detect.fail_on,
        };
        // The same detectors as the text and dashboard modes, so the same exit status (10).
        let engine = crate::alert::setup::engine(&a.detect.settings())?;
        let fleet = a.mqtt.open(src.info(), "demo")?;
        let monitor = Monitor::new(engine, None, a.gps.open(true)?).with_fleet(fleet);
        let (code, _) = run_replay_detect(src, &input, opts, monitor, |_| {})?;
        return Ok(code);
    }
    if !a.frames {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let engine = crate::alert::setup::engine(&a.detect.settings())?;
        let src = open_input(&input)?;
        let fleet = a.mqtt.open(src.info(), "demo")?;
        let monitor = Monitor::new(engine, None, None).with_fleet(fleet);
        return crate::demo::run_text_with(src, monitor, a.detect.fail_on, stop_flag(), &mut out);
    }
    if a.mqtt.mqtt.is_some() {
        bail!("--mqtt publishes alerts: drop --frames");
    }
    decode(DecodeArgs {
        input,
        tech: super::decode::Tech::Gsm,
        arfcn: None,
        band: Band::EGsm900,
        carrier: None,
        reveal_identities: false,
        json: false,
        sinks: Default::default(),
    })
}
