//! Sensor fleets over an MQTT broker (issue 21; the topic tree and payloads: `docs/fleet.md`).
//!
//! A sensor is any run mode given `--mqtt URL`: the monitor hands it each step's alert events and
//! the cell registry ([`publish::Sensor`]); alerts and cell changes go through an on-disk spool
//! ([`spool`]) to a link thread ([`link`]) that publishes them with QoS 1 and marks what the
//! broker acknowledged. `towerwatch hub` ([`hub`]) subscribes to every sensor, drops repeats by
//! (sensor, epoch, message id) and fuses ([`fuse`]): one fleet alert per transmitter, located
//! from several sensors' power readings with [`crate::locate`].
//!
//! The broker (mosquitto) is the distributed part: towerwatch is only its clients.

pub mod fuse;
pub mod hub;
pub mod link;
pub mod publish;
pub mod report;
pub mod spool;
pub mod url;

/// Version of the topic tree and payloads (the `v1` level of every topic).
pub const SCHEMA_VERSION: u32 = 1;

/// Environment variable holding the broker password.
pub const PASSWORD_ENV: &str = "TOWERWATCH_MQTT_PASSWORD";

/// Errors of the fleet code.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// A bad `--mqtt` URL.
    #[error("--mqtt {0}")]
    Url(String),
    /// A bad sensor id.
    #[error("sensor id {0:?}: use 1-64 characters of A-Z a-z 0-9 . _ -")]
    SensorId(String),
    /// TLS set-up (CA, certificate, key).
    #[error("mqtt TLS: {0}")]
    Tls(String),
    /// The spool.
    #[error(transparent)]
    Spool(#[from] spool::SpoolError),
    /// A file named on the command line.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The MQTT client refused a request.
    #[error("mqtt: {0}")]
    Client(String),
}

/// `<prefix>/v1/<sensor>/<leaf>`.
pub fn topic(prefix: &str, sensor: &str, leaf: &str) -> String {
    format!("{prefix}/v{SCHEMA_VERSION}/{sensor}/{leaf}")
}

/// Split a topic into (sensor, leaf) when it is `<prefix>/v1/<sensor>/<leaf>`.
pub fn parse_topic<'a>(prefix: &str, topic: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = topic.strip_prefix(prefix)?.strip_prefix('/')?;
    let rest = rest.strip_prefix(&format!("v{SCHEMA_VERSION}/"))?;
    let (sensor, leaf) = rest.split_once('/')?;
    (valid_sensor_id(sensor).is_ok() && !leaf.contains('/')).then_some((sensor, leaf))
}

/// A sensor id is one topic level: 1-64 characters of `A-Z a-z 0-9 . _ -`.
pub fn valid_sensor_id(id: &str) -> Result<(), FleetError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(FleetError::SensorId(id.to_string()))
    }
}

/// The default sensor id: the host name, cut to the allowed characters.
pub fn default_sensor_id() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let id: String = raw
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if id.is_empty() {
        "sensor".to_string()
    } else {
        id
    }
}

/// The default spool directory of a sensor: `$XDG_DATA_HOME/towerwatch/spool/<sensor>` (or
/// `~/.local/share/…`).
pub fn default_spool_dir(sensor: &str) -> Option<std::path::PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| std::path::PathBuf::from(h).join(".local/share"))
        })?;
    Some(base.join("towerwatch").join("spool").join(sensor))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn topics_round_trip_and_reject_strangers() {
        let t = topic("city/north", "roof-3", "alerts");
        assert_eq!(t, "city/north/v1/roof-3/alerts");
        assert_eq!(parse_topic("city/north", &t), Some(("roof-3", "alerts")));
        assert_eq!(parse_topic("city", &t), None);
        assert_eq!(parse_topic("towerwatch", "towerwatch/v2/a/alerts"), None);
        assert_eq!(parse_topic("towerwatch", "towerwatch/v1/a/b/c"), None);
        assert!(valid_sensor_id("a+b").is_err());
        assert!(valid_sensor_id("").is_err());
        assert!(valid_sensor_id(&"x".repeat(65)).is_err());
        assert!(valid_sensor_id(&default_sensor_id()).is_ok());
    }
}
