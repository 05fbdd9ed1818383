//! The `--mqtt` flags of the run modes (a fleet sensor) and `towerwatch hub`.

use crate::fleet::link::{LinkConfig, TlsFiles, read_password};
use crate::fleet::publish::{Sensor, SensorConfig, SensorInfo};
use crate::fleet::url::BrokerUrl;
use crate::source::SourceInfo;
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;

/// Publishing to an MQTT broker (a fleet sensor). Without `--mqtt` nothing connects anywhere.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct MqttArgs {
    /// Publish alerts, cell changes and status to an MQTT broker:
    /// `mqtt[s]://[user@]host[:port][/prefix]` (topics `<prefix>/v1/<sensor-id>/…`, prefix
    /// default `towerwatch`). The password comes from TOWERWATCH_MQTT_PASSWORD or
    /// --mqtt-password-file, never the command line. See docs/fleet.md.
    #[arg(long, value_name = "URL")]
    pub(crate) mqtt: Option<String>,
    /// This sensor's id in the topics (default: the host name).
    #[arg(long, value_name = "ID", requires = "mqtt")]
    pub(crate) sensor_id: Option<String>,
    /// Read the broker password from the first line of this file.
    #[arg(long, value_name = "FILE", requires = "mqtt")]
    pub(crate) mqtt_password_file: Option<PathBuf>,
    /// Store-and-forward spool directory (default: ~/.local/share/towerwatch/spool/<id>).
    #[arg(long, value_name = "DIR", requires = "mqtt")]
    pub(crate) mqtt_spool: Option<PathBuf>,
    /// Most MiB the spool keeps on disk; past it the oldest unsent messages are dropped (counted).
    #[arg(long, value_name = "MIB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    pub(crate) mqtt_spool_mib: u64,
    /// At the end of the run, wait up to S seconds for the broker to take the spool (what it
    /// has not taken is sent by the next run).
    #[arg(long, value_name = "S", default_value_t = 10.0, value_parser = super::input::parse_non_negative)]
    pub(crate) mqtt_linger: f64,
    /// Send subscriber identities and SMS text to the broker as the local output has them.
    /// Default: masked on the wire whatever --reveal-identities says.
    #[arg(long, requires = "mqtt")]
    pub(crate) mqtt_unmasked: bool,
    #[command(flatten)]
    pub(crate) tls: MqttTlsArgs,
}

/// TLS files for `mqtts://`.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct MqttTlsArgs {
    /// CA certificate(s), PEM, to trust for the broker (default: the system's).
    #[arg(long, value_name = "FILE")]
    pub(crate) mqtt_ca: Option<PathBuf>,
    /// Client certificate chain, PEM (with --mqtt-key).
    #[arg(long, value_name = "FILE", requires = "mqtt_key")]
    pub(crate) mqtt_cert: Option<PathBuf>,
    /// Client private key, PEM (with --mqtt-cert).
    #[arg(long, value_name = "FILE", requires = "mqtt_cert")]
    pub(crate) mqtt_key: Option<PathBuf>,
}

impl MqttTlsArgs {
    fn files(&self) -> TlsFiles {
        TlsFiles {
            ca: self.mqtt_ca.clone(),
            cert: self.mqtt_cert.clone(),
            key: self.mqtt_key.clone(),
        }
    }
}

impl MqttArgs {
    /// Start the sensor the flags ask for (`None` without `--mqtt`).
    pub(crate) fn open(&self, info: &SourceInfo, mode: &str) -> Result<Option<Sensor>> {
        let Some(url) = &self.mqtt else {
            return Ok(None);
        };
        let url = BrokerUrl::parse(url)?;
        let sensor_id = self
            .sensor_id
            .clone()
            .unwrap_or_else(crate::fleet::default_sensor_id);
        crate::fleet::valid_sensor_id(&sensor_id)?;
        let spool_dir = match &self.mqtt_spool {
            Some(d) => d.clone(),
            None => crate::fleet::default_spool_dir(&sensor_id).context(
                "no data directory (HOME and XDG_DATA_HOME unset): give --mqtt-spool DIR",
            )?,
        };
        let cfg = SensorConfig {
            link: LinkConfig {
                url,
                client_id: format!("towerwatch-{sensor_id}"),
                password: read_password(self.mqtt_password_file.as_deref())?,
                tls: self.tls.files(),
                keep_alive_s: 10,
                clean_session: true,
            },
            sensor_id,
            spool_dir,
            spool_max_bytes: self.mqtt_spool_mib << 20,
            unmasked: self.mqtt_unmasked,
            linger_s: self.mqtt_linger,
        };
        let info = SensorInfo {
            receiver: info.description.clone(),
            hardware: info.hardware.clone(),
            center_freq_hz: info.center_freq_hz,
            sample_rate_sps: info.sample_rate_sps,
            mode: mode.to_string(),
        };
        Ok(Some(Sensor::start(cfg, &info)?))
    }
}

/// `towerwatch hub`.
#[derive(Args, Debug)]
pub(crate) struct HubArgs {
    /// The broker: `mqtt[s]://[user@]host[:port][/prefix]` (password from
    /// TOWERWATCH_MQTT_PASSWORD or --mqtt-password-file).
    #[arg(long, value_name = "URL")]
    pub(crate) mqtt: String,
    /// Read the broker password from the first line of this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) mqtt_password_file: Option<PathBuf>,
    /// MQTT client id (the broker keeps this id's session and queues messages for it while the
    /// hub is away).
    #[arg(long, value_name = "ID", default_value = "towerwatch-hub")]
    pub(crate) client_id: String,
    /// Write the fused JSON lines (fleet alerts, sensor alerts, sensor status) here.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Keep a GeoJSON of the sensors and the located transmitters here (rewritten as they change).
    #[arg(long, value_name = "FILE")]
    pub(crate) geojson: Option<PathBuf>,
    /// Write an HTML report (fleet alerts with their sensors and estimated position, sensors,
    /// cells, an offline map) here when the hub stops.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// Stop after S seconds.
    #[arg(long, value_name = "S", value_parser = super::input::parse_positive)]
    pub(crate) duration: Option<f64>,
    /// Stop once no message arrived for S seconds (after the first one; time without a
    /// connection to the broker does not count).
    #[arg(long, value_name = "S", value_parser = super::input::parse_positive)]
    pub(crate) idle_exit: Option<f64>,
    /// Also print every sensor's alert events, not only fleet alerts and sensor status.
    #[arg(short, long)]
    pub(crate) verbose: bool,
    #[command(flatten)]
    pub(crate) tls: MqttTlsArgs,
}

pub(crate) fn hub(a: HubArgs) -> Result<u8> {
    let url = BrokerUrl::parse(&a.mqtt)?;
    eprintln!(
        "towerwatch hub: subscribing to {}/v{}/+/# on {url}",
        url.prefix,
        crate::fleet::SCHEMA_VERSION
    );
    let cfg = crate::fleet::hub::HubConfig {
        link: LinkConfig {
            url,
            client_id: a.client_id.clone(),
            password: read_password(a.mqtt_password_file.as_deref())?,
            tls: a.tls.files(),
            keep_alive_s: 10,
            clean_session: false,
        },
        out: a.out.clone(),
        geojson: a.geojson.clone(),
        report: a.report.clone(),
        duration_s: a.duration,
        idle_exit_s: a.idle_exit,
        verbose: a.verbose,
        stop: super::stop_flag(),
    };
    let report = crate::fleet::hub::run(cfg, |line| {
        println!("{}", crate::term::escape(line));
    })?;
    let c = &report.counters;
    eprintln!(
        "towerwatch hub: {} messages ({} alert events, {} cell updates, {} status; {} repeats dropped, {} refused, {} ids missing) in {:.1} s: {} messages/s",
        c.messages,
        c.alerts,
        c.cells,
        c.statuses,
        c.duplicates,
        c.rejected,
        c.missing_ids,
        report.busy_s,
        report.messages_per_s
    );
    Ok(0)
}
