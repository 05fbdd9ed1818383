//! The connection to the broker: client options (credentials, TLS through rustls with the `ring`
//! provider) and the sensor's forwarding loop, which runs on its own thread.
//!
//! The loop publishes spooled records in id order with QoS 1, at most [`WINDOW`] unacknowledged
//! at a time, and tells the spool which ids the broker acknowledged (rumqttc reports the packet
//! id it gave each publish as `Outgoing::Publish(pkid)`, in request order, and the broker's
//! `PUBACK(pkid)`). When the connection fails the client is dropped and a new one resends from
//! the oldest unacknowledged id: delivery is at least once, and the hub drops the repeats by
//! message id. The broker's last will marks the sensor offline (retained) when the link dies;
//! a clean stop publishes the offline status itself.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rumqttc::{
    Client, ConnectionError, Event, LastWill, MqttOptions, Outgoing, Packet, QoS, RecvTimeoutError,
    TlsConfiguration, Transport,
};

use super::FleetError;
use super::spool::Spool;
use super::url::BrokerUrl;

/// Most records published and not yet acknowledged.
pub const WINDOW: usize = 32;

/// TLS files (`--mqtt-ca`, `--mqtt-cert`, `--mqtt-key`).
#[derive(Debug, Clone, Default)]
pub struct TlsFiles {
    /// CA certificates (PEM) to trust instead of the system's.
    pub ca: Option<PathBuf>,
    /// Client certificate chain (PEM).
    pub cert: Option<PathBuf>,
    /// Client private key (PEM).
    pub key: Option<PathBuf>,
}

/// How to reach the broker.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// Broker address, user and topic prefix.
    pub url: BrokerUrl,
    /// MQTT client id.
    pub client_id: String,
    /// Password (from the environment or a file, never the command line).
    pub password: Option<String>,
    /// TLS files.
    pub tls: TlsFiles,
    /// Keep-alive; the broker fires the last will after 1.5 × this without traffic.
    pub keep_alive_s: u64,
    /// Ask the broker for a clean session (sensors) or a persistent one (the hub).
    pub clean_session: bool,
}

/// The password: `--mqtt-password-file` (first line), else [`super::PASSWORD_ENV`].
pub fn read_password(file: Option<&Path>) -> Result<Option<String>, FleetError> {
    if let Some(p) = file {
        let text = std::fs::read_to_string(p).map_err(|source| FleetError::File {
            path: p.to_path_buf(),
            source,
        })?;
        return Ok(Some(text.lines().next().unwrap_or("").to_string()));
    }
    Ok(std::env::var(super::PASSWORD_ENV)
        .ok()
        .filter(|p| !p.is_empty()))
}

fn read_file(p: &Path) -> Result<Vec<u8>, FleetError> {
    std::fs::read(p).map_err(|source| FleetError::File {
        path: p.to_path_buf(),
        source,
    })
}

/// A rustls client configuration on the `ring` provider: the CA file's certificates (or the
/// system's), and the client certificate when one is given.
fn tls_config(t: &TlsFiles) -> Result<Arc<rustls::ClientConfig>, FleetError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let tls = |e: &dyn std::fmt::Display| FleetError::Tls(e.to_string());
    let mut roots = rustls::RootCertStore::empty();
    match &t.ca {
        Some(ca) => {
            let pem = read_file(ca)?;
            for c in CertificateDer::pem_slice_iter(&pem) {
                let c = c.map_err(|e| FleetError::Tls(format!("{}: {e}", ca.display())))?;
                roots
                    .add(c)
                    .map_err(|e| FleetError::Tls(format!("{}: {e}", ca.display())))?;
            }
            if roots.is_empty() {
                return Err(FleetError::Tls(format!(
                    "{}: no certificate in it",
                    ca.display()
                )));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for c in found.certs {
                let _ = roots.add(c);
            }
            if roots.is_empty() {
                return Err(FleetError::Tls(
                    "no system CA certificates found: give --mqtt-ca".into(),
                ));
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?
        .with_root_certificates(roots);
    let cfg = match (&t.cert, &t.key) {
        (Some(cert), Some(key)) => {
            let pem = read_file(cert)?;
            let chain = CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| FleetError::Tls(format!("{}: {e}", cert.display())))?;
            let key_pem = read_file(key)?;
            let key_der = PrivateKeyDer::from_pem_slice(&key_pem)
                .map_err(|e| FleetError::Tls(format!("{}: {e}", key.display())))?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|e| tls(&e))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(FleetError::Tls(
                "--mqtt-cert and --mqtt-key go together".into(),
            ));
        }
    };
    Ok(Arc::new(cfg))
}

/// rumqttc options for `cfg` (no last will).
pub fn mqtt_options(cfg: &LinkConfig) -> Result<MqttOptions, FleetError> {
    let mut o = MqttOptions::new(&cfg.client_id, &cfg.url.host, cfg.url.port);
    o.set_keep_alive(Duration::from_secs(cfg.keep_alive_s.max(5)));
    o.set_clean_session(cfg.clean_session);
    o.set_max_packet_size(1 << 20, 1 << 20);
    if let Some(u) = &cfg.url.user {
        o.set_credentials(u, cfg.password.clone().unwrap_or_default());
    }
    if cfg.url.tls {
        o.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            tls_config(&cfg.tls)?,
        )));
    } else if cfg.tls.ca.is_some() || cfg.tls.cert.is_some() {
        return Err(FleetError::Tls(
            "TLS files given for a plain mqtt:// URL: use mqtts://".into(),
        ));
    }
    Ok(o)
}

/// One line for an error, without rumqttc's debug noise where it has a message.
pub fn describe(e: &ConnectionError) -> String {
    match e {
        ConnectionError::ConnectionRefused(code) => format!("the broker refused us: {code:?}"),
        other => other.to_string(),
    }
}

/// State shared by the sensor (producer) and its link thread.
pub struct Shared {
    /// The spool.
    pub spool: Mutex<Spool>,
    /// Asked to stop: drain the spool until `deadline`, then say offline and leave.
    pub stop: AtomicBool,
    /// When a stop gives up waiting for acknowledgements.
    pub deadline: Mutex<Option<Instant>>,
    /// The status payload (retained) published on every connect; `state` is set here.
    pub status: Mutex<serde_json::Value>,
    /// Counters and the last error.
    pub stats: Mutex<LinkStats>,
    /// Say on stderr when the link fails (off under the dashboard, which owns the terminal).
    pub report_errors: AtomicBool,
}

/// What the link did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LinkStats {
    /// Connections made (CONNACK received).
    pub connects: u64,
    /// Connections lost or refused.
    pub failures: u64,
    /// Records published (resends included).
    pub published: u64,
    /// The last connection error.
    pub last_error: Option<String>,
}

/// Topics of one sensor.
#[derive(Debug, Clone)]
pub struct Topics {
    /// `…/status`.
    pub status: String,
    /// `…/alerts`.
    pub alerts: String,
    /// `…/cells`.
    pub cells: String,
}

enum Outcome {
    Done,
    Lost(String),
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    fn past_deadline(&self) -> bool {
        self.stop.load(Ordering::SeqCst) && lock(&self.deadline).is_none_or(|d| Instant::now() >= d)
    }

    fn status_json(&self, state: &str, reason: Option<&str>) -> Vec<u8> {
        let mut s = lock(&self.status).clone();
        s["state"] = state.into();
        if let Some(r) = reason {
            s["reason"] = r.into();
        }
        let c = lock(&self.spool).counts();
        s["spool"] = serde_json::json!({"queued": c.queued, "dropped": c.dropped});
        s["time_unix_s"] = serde_json::json!(crate::gps::unix_now_s().round());
        s.to_string().into_bytes()
    }
}

/// The forwarding loop of a sensor: connect, publish what the spool holds, reconnect with
/// back-off when the link fails; return once stopped and drained (or past the deadline).
pub fn forward(cfg: LinkConfig, topics: Topics, shared: Arc<Shared>) {
    let mut backoff = Duration::from_millis(100);
    let will = {
        let s = lock(&shared.status).clone();
        serde_json::json!({"type": "status", "schema": super::SCHEMA_VERSION,
            "sensor": s["sensor"], "state": "offline", "reason": "link lost"})
        .to_string()
    };
    let mut last_reported: Option<String> = None;
    loop {
        if shared.past_deadline() {
            return;
        }
        let mut opts = match mqtt_options(&cfg) {
            Ok(o) => o,
            Err(e) => {
                lock(&shared.stats).last_error = Some(e.to_string());
                return;
            }
        };
        opts.set_last_will(LastWill::new(
            &topics.status,
            will.clone(),
            QoS::AtLeastOnce,
            true,
        ));
        let (client, mut conn) = Client::new(opts, 4 * WINDOW);
        match session(&client, &mut conn, &topics, &shared, &mut backoff) {
            Outcome::Done => return,
            Outcome::Lost(e) => {
                {
                    let mut st = lock(&shared.stats);
                    st.failures += 1;
                    st.last_error = Some(e.clone());
                }
                if last_reported.as_deref() != Some(e.as_str())
                    && shared.report_errors.load(Ordering::Relaxed)
                {
                    eprintln!(
                        "towerwatch: mqtt: {e} (retrying; alerts and cells wait in the spool)"
                    );
                    last_reported = Some(e);
                }
                drop(conn);
                let until = Instant::now() + backoff;
                while Instant::now() < until {
                    if shared.past_deadline() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        }
    }
}

fn session(
    client: &Client,
    conn: &mut rumqttc::Connection,
    topics: &Topics,
    shared: &Shared,
    backoff: &mut Duration,
) -> Outcome {
    let mut connected = false;
    // What each of our publishes was, in request order (None: the status).
    let mut sent: VecDeque<Option<u64>> = VecDeque::new();
    let mut by_pkid: HashMap<u16, u64> = HashMap::new();
    let mut in_flight = 0usize;
    let mut next = 0u64;
    let mut last_persist = Instant::now();
    let mut closing: Option<Instant> = None;
    loop {
        match conn.recv_timeout(Duration::from_millis(20)) {
            Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => {
                connected = true;
                *backoff = Duration::from_millis(100);
                lock(&shared.stats).connects += 1;
                let online = shared.status_json("online", None);
                if client
                    .try_publish(&topics.status, QoS::AtLeastOnce, true, online)
                    .is_ok()
                {
                    sent.push_back(None);
                }
                next = lock(&shared.spool).oldest_unacked().unwrap_or(u64::MAX);
            }
            Ok(Ok(Event::Outgoing(Outgoing::Publish(pkid)))) => {
                if let Some(Some(seq)) = sent.pop_front() {
                    by_pkid.insert(pkid, seq);
                }
            }
            Ok(Ok(Event::Incoming(Packet::PubAck(a)))) => {
                if let Some(seq) = by_pkid.remove(&a.pkid) {
                    lock(&shared.spool).ack(seq);
                    in_flight = in_flight.saturating_sub(1);
                }
            }
            // The DISCONNECT is only queued when rumqttc reports it: keep polling until the
            // broker closes the connection, so the offline status before it is really sent.
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                let _ = lock(&shared.spool).persist_acks();
                return if closing.is_some() {
                    Outcome::Done
                } else {
                    Outcome::Lost(describe(&e))
                };
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Outcome::Done,
        }
        if let Some(t) = closing {
            if t.elapsed() > Duration::from_secs(2) {
                return Outcome::Done;
            }
            continue;
        }
        if !connected {
            if shared.past_deadline() {
                return Outcome::Done;
            }
            continue;
        }
        while in_flight < WINDOW {
            let rec = {
                let sp = lock(&shared.spool);
                if next == u64::MAX {
                    next = sp.oldest_unacked().unwrap_or(u64::MAX);
                }
                if next == u64::MAX {
                    None
                } else {
                    sp.first_from(next).cloned()
                }
            };
            let Some(r) = rec else { break };
            let topic = match r.kind {
                super::spool::Kind::Alerts => &topics.alerts,
                super::spool::Kind::Cells => &topics.cells,
            };
            if client
                .try_publish(topic, QoS::AtLeastOnce, false, r.payload.into_bytes())
                .is_err()
            {
                break;
            }
            sent.push_back(Some(r.seq));
            next = r.seq + 1;
            in_flight += 1;
            lock(&shared.stats).published += 1;
        }
        if last_persist.elapsed() > Duration::from_millis(200) {
            last_persist = Instant::now();
            if let Err(e) = lock(&shared.spool).persist_acks() {
                lock(&shared.stats).last_error = Some(e.to_string());
            }
        }
        if shared.stop.load(Ordering::SeqCst) {
            let drained = lock(&shared.spool).counts().queued == 0;
            if drained || shared.past_deadline() {
                let _ = lock(&shared.spool).persist_acks();
                let offline = shared.status_json("offline", Some("stopped"));
                let _ = client.try_publish(&topics.status, QoS::AtLeastOnce, true, offline);
                let _ = client.try_disconnect();
                closing = Some(Instant::now());
            }
        }
    }
}
