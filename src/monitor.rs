//! The monitor: the one owner of a run's state, fed observations, returning what changed.
//!
//! Every run mode (`replay`, `evidence`, `demo`, the dashboard over a replay, a live receiver or a
//! band scan) is a producer of [`Observation`]s plus a renderer of [`Step`]s. None of them repeats
//! the observation → cells → detectors → alerts → evidence loop: it is written here once.
//!
//! What the monitor owns:
//! - the detection engine ([`crate::alert::Engine`]: the cell registry, the detectors and the
//!   scorer), when detection is on;
//! - the evidence recorder (pre-trigger IQ ring, bundles), when bundles are wanted;
//! - the position source (GPS, NMEA or fixed), when one is given: its fixes go on the evidence
//!   track, one point per spectrum interval.
//!
//! - the fleet sensor ([`crate::fleet::publish::Sensor`]), when `--mqtt` is given: each step's
//!   alert events and changed cells go to its spool and on to the broker.
//!
//! A new input (LTE, a remote sensor on the hub) plugs in by producing observations; a new
//! renderer reads [`Step`]s and [`Monitor::registry`]. Neither touches detection code.

use crate::alert::{Alert, AlertSummary, Engine};
use crate::cells::CellRegistry;
use crate::evidence::{Bundle, EvidenceError, Recorder, TrackPoint};
use crate::gps::PositionProvider;
use crate::observation::Observation;

/// What one observation changed.
#[derive(Debug)]
pub struct Step {
    /// Alert events (raise / update / clear) the observation caused, in a stable order.
    pub alerts: Vec<Alert>,
    /// Evidence bundles whose post-trigger seconds have now passed and that were written (or the
    /// error that stopped writing them).
    pub bundles: Result<Vec<Bundle>, EvidenceError>,
    /// The recorder was asked for one alert's bundle (`towerwatch evidence`) and has written it:
    /// nothing more to do.
    pub done: bool,
}

/// What the end of the stream produced.
#[derive(Debug)]
pub struct Finish {
    /// Bundles still waiting for post-trigger seconds, written with the IQ there is.
    pub bundles: Result<Vec<Bundle>, EvidenceError>,
    /// The alert summary (`None` when detection is off).
    pub summary: Option<AlertSummary>,
}

/// A run's state: detection engine, evidence recorder, position source.
pub struct Monitor {
    engine: Option<Engine>,
    recorder: Option<Recorder>,
    gps: Option<PositionProvider>,
    fleet: Option<crate::fleet::publish::Sensor>,
}

impl Monitor {
    /// A monitor over the given parts (each optional: detection off, no bundles, no position).
    pub fn new(
        engine: Option<Engine>,
        recorder: Option<Recorder>,
        gps: Option<PositionProvider>,
    ) -> Monitor {
        let mut engine = engine;
        // Alerts raised before the first spectrum interval carry the position at the start.
        if let (Some(e), Some(g)) = (engine.as_mut(), gps.as_ref()) {
            e.set_position(g.at(Some(0.0)).fix().map(|f| (f.lat_deg, f.lon_deg)));
        }
        Monitor {
            engine,
            recorder,
            gps,
            fleet: None,
        }
    }

    /// Publish to an MQTT broker as well (`--mqtt`; `None`: nothing connects anywhere).
    pub fn with_fleet(mut self, fleet: Option<crate::fleet::publish::Sensor>) -> Monitor {
        self.fleet = fleet;
        self
    }

    /// Stop publishing: wait (up to its linger time) for the broker to acknowledge what is
    /// spooled, and say how it went on stderr. Also done by [`Monitor::finish`] and on drop.
    pub fn finish_fleet(&mut self) -> Option<crate::fleet::publish::SensorReport> {
        let mut f = self.fleet.take()?;
        let r = f.finish();
        eprintln!(
            "towerwatch: mqtt: {} alert events and {} cell updates spooled; {} acknowledged, {} waiting in {}{}",
            r.alerts,
            r.cells,
            r.spool.acked,
            r.spool.queued,
            f.spool_dir().display(),
            if r.spool.dropped > 0 {
                format!(" ({} dropped: spool full)", r.spool.dropped)
            } else {
                String::new()
            }
        );
        if let (true, Some(e)) = (r.spool.queued > 0, &r.link.last_error) {
            eprintln!("towerwatch: mqtt: last error: {e}");
        }
        Some(r)
    }

    /// Feed one observation through the recorder, the position track and the detectors.
    pub fn feed(&mut self, o: &Observation) -> Step {
        // Where the receiver is, once per spectrum interval: for the bundles' GPS track and for
        // the alerts raised from now on.
        let fix = match (&self.gps, o) {
            (Some(g), Observation::Spectrum(sp)) => {
                let t = sp.time_s + sp.duration_s;
                Some((t, g.at(Some(t)).fix().cloned()))
            }
            _ => None,
        };
        if let Some(r) = self.recorder.as_mut() {
            r.observe(o);
            if let Some((t, Some(f))) = &fix {
                r.add_track_point(track_point(*t, f));
            }
        }
        let Some(e) = self.engine.as_mut() else {
            return Step {
                alerts: Vec::new(),
                bundles: Ok(Vec::new()),
                done: false,
            };
        };
        // Alerts carry where they were raised (a moving sensor: the downgrade correlation
        // pairs only halves seen in one place).
        if let Some((_, f)) = &fix {
            e.set_position(f.as_ref().map(|f| (f.lat_deg, f.lon_deg)));
        }
        let alerts = e.observe(o);
        if let Some(f) = self.fleet.as_mut() {
            f.on_step(o, &alerts, Some(&e.registry), self.gps.as_ref());
        }
        let mut bundles = Ok(Vec::new());
        let mut done = false;
        if let Some(r) = self.recorder.as_mut() {
            for a in &alerts {
                r.on_alert(a);
            }
            // Automatic bundles: written once their post-trigger seconds have passed.
            if r.has_pending() {
                bundles = r.poll(&e.registry);
                done = r.is_done();
            }
        }
        Step {
            alerts,
            bundles,
            done,
        }
    }

    /// End of stream: write the bundles still waiting and take the alert summary.
    pub fn finish(&mut self) -> Finish {
        self.finish_fleet();
        let bundles = match (self.recorder.as_mut(), self.engine.as_ref()) {
            (Some(r), Some(e)) => r.finish(&e.registry),
            _ => Ok(Vec::new()),
        };
        Finish {
            bundles,
            summary: self.engine.as_ref().map(Engine::finish),
        }
    }

    /// The cells seen so far (`None` when detection is off).
    pub fn registry(&self) -> Option<&CellRegistry> {
        self.engine.as_ref().map(|e| &e.registry)
    }

    /// The detection engine (`None` when detection is off).
    pub fn engine(&self) -> Option<&Engine> {
        self.engine.as_ref()
    }

    /// The detection engine, mutable (the dashboard's `m` marks go into its baseline).
    pub fn engine_mut(&mut self) -> Option<&mut Engine> {
        self.engine.as_mut()
    }

    /// The evidence recorder (`None`: no bundles).
    pub fn recorder(&self) -> Option<&Recorder> {
        self.recorder.as_ref()
    }

    /// The position source (`None`: no position).
    pub fn gps(&self) -> Option<&PositionProvider> {
        self.gps.as_ref()
    }

    /// Whether any alert above info was raised.
    pub fn raised_above_info(&self) -> bool {
        self.engine.as_ref().is_some_and(Engine::raised_above_info)
    }

    /// Whether any alert reached `severity` (`--fail-on`: the exit status 10 of every run mode).
    pub fn raised_at_least(&self, severity: crate::detect::Severity) -> bool {
        self.engine
            .as_ref()
            .is_some_and(|e| e.raised_at_least(severity))
    }

    /// The exit status of a run that ended: 10 ([`crate::exit::EXIT_ALERT`]) when an alert
    /// reached `fail_on`, else 0.
    pub fn exit_status(&self, fail_on: crate::detect::Severity) -> u8 {
        if self.raised_at_least(fail_on) {
            crate::exit::EXIT_ALERT
        } else {
            0
        }
    }
}

/// A GPS fix as an evidence track point (HDOP × ~5 m, a typical UERE, as a 1σ figure).
pub fn track_point(time_s: f64, f: &crate::gps::Fix) -> TrackPoint {
    TrackPoint {
        time_s,
        position: crate::evidence::Position {
            lat_deg: f.lat_deg,
            lon_deg: f.lon_deg,
            accuracy_m: f.hdop.map(|h| h * 5.0),
        },
    }
}
