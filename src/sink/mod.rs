//! Output sinks for decoded frames: GSMTAP over UDP and GSMTAP in a pcap file.
//!
//! Both carry the same packets (see [`gsmtap`]): a 16-octet GSMTAP v2 header and the 23-octet L2
//! frame of every BCCH/CCCH message the GSM stage decodes. Subscriber identities and anything not
//! known to be free of them are masked ([`crate::privacy`]) unless the user passed
//! `--reveal-identities`. Nothing listens on a port: GSMTAP is only sent, and only when asked.

pub mod gsmtap;
pub mod pcap;

use crate::observation::Observation;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::path::PathBuf;
use towerwatch_dsp::arfcn::Band;

/// Where GSMTAP goes by default.
pub const DEFAULT_GSMTAP: &str = "127.0.0.1:4729";

/// Where decoded frames go (the flags: `cli::input::SinkArgs`).
#[derive(Debug, Clone, Default)]
pub struct SinkSettings {
    /// Send every decoded L2 frame as GSMTAP over UDP, like gr-gsm (to 127.0.0.1:4729, or
    /// `--gsmtap=HOST:PORT`). Identities are masked unless --reveal-identities.
    pub gsmtap: Option<String>,
    /// Write every decoded L2 frame as GSMTAP into this pcap file (Ethernet/IPv4/UDP to port
    /// 4729, opens in Wireshark; created with mode 0600).
    pub pcap: Option<PathBuf>,
}

/// Errors of the frame sinks.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The GSMTAP destination is not a usable address.
    #[error("--gsmtap {addr}: {problem}")]
    Address {
        /// What the user gave.
        addr: String,
        /// Why it does not work.
        problem: String,
    },
    /// The UDP socket could not be opened.
    #[error("GSMTAP socket: {0}")]
    Socket(std::io::Error),
    /// Writing the pcap file failed.
    #[error(transparent)]
    Pcap(#[from] pcap::PcapError),
}

/// What the sinks did, for the run summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SinkReport {
    /// GSMTAP datagrams sent.
    pub udp_sent: u64,
    /// Datagrams the OS refused (nobody is listening is not an error for UDP; these are rare).
    pub udp_errors: u64,
    /// Packets written to the pcap file.
    pub pcap_packets: u64,
}

/// Latest (signal dBFS, SNR dB) per carrier, for GSMTAP headers: the channel power from spectrum
/// observations, the SNR from FCCH measurements; (0, 0) for a carrier not measured yet.
#[derive(Debug, Clone, Default)]
pub struct CarrierLevels(HashMap<(Band, u16), (f64, f64)>);

impl CarrierLevels {
    /// Remember the measurements an observation carries (others are ignored).
    pub fn observe(&mut self, o: &Observation) {
        match o {
            Observation::Spectrum(s) => {
                for c in &s.channels {
                    self.0.entry((c.band, c.arfcn)).or_insert((0.0, 0.0)).0 = c.power_dbfs;
                }
            }
            Observation::Carrier(c) => {
                self.0.entry((c.band, c.arfcn)).or_insert((0.0, 0.0)).1 = c.snr_db;
            }
            _ => {}
        }
    }

    /// (signal dBFS, SNR dB) of a carrier.
    pub fn get(&self, band: Band, arfcn: u16) -> (f64, f64) {
        self.0.get(&(band, arfcn)).copied().unwrap_or((0.0, 0.0))
    }
}

/// Sends decoded frames to GSMTAP/UDP and/or a pcap file.
pub struct GsmtapSink {
    udp: Option<(UdpSocket, SocketAddr)>,
    pcap: Option<pcap::PcapWriter>,
    reveal: bool,
    base_unix_s: f64,
    levels: CarrierLevels,
    report: SinkReport,
    error: Option<SinkError>,
}

impl GsmtapSink {
    /// Open the sinks the flags ask for; `None` when neither `--gsmtap` nor `--pcap` is given.
    /// `base_unix_s` is the wall-clock time of stream sample 0 (recording start, or now), used
    /// for pcap timestamps.
    pub fn open(
        args: &SinkSettings,
        reveal: bool,
        base_unix_s: f64,
    ) -> Result<Option<GsmtapSink>, SinkError> {
        if args.gsmtap.is_none() && args.pcap.is_none() {
            return Ok(None);
        }
        let udp = match &args.gsmtap {
            None => None,
            Some(a) => {
                let dst = resolve(a)?;
                let bind: SocketAddr = match dst.ip() {
                    IpAddr::V4(ip) if ip.is_loopback() => (Ipv4Addr::LOCALHOST, 0).into(),
                    IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
                    IpAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
                };
                let sock = UdpSocket::bind(bind).map_err(SinkError::Socket)?;
                Some((sock, dst))
            }
        };
        let pcap = args
            .pcap
            .as_deref()
            .map(pcap::PcapWriter::create)
            .transpose()?;
        Ok(Some(GsmtapSink {
            udp,
            pcap,
            reveal,
            base_unix_s,
            levels: CarrierLevels::default(),
            report: SinkReport::default(),
            error: None,
        }))
    }

    /// Look at one observation: frames are sent, measurements remembered for the headers.
    pub fn observe(&mut self, o: &Observation) {
        self.levels.observe(o);
        match o {
            Observation::SystemInfo(m) | Observation::Ccch(m) => {
                let (sig, snr) = self.levels.get(m.band, m.arfcn);
                let h = gsmtap::header_for(m, sig, snr);
                let frame = crate::privacy::ccch_frame_out(&m.raw, self.reveal);
                let pkt = gsmtap::packet(&h, &frame);
                self.send(&pkt, self.base_unix_s + m.time_s);
            }
            Observation::Dedicated(d) => {
                let (sig, snr) = self.levels.get(d.band, d.arfcn);
                let h = gsmtap::header_for_dedicated(d, sig, snr);
                let frame = if self.reveal { d.raw } else { d.masked };
                let pkt = gsmtap::packet(&h, &frame);
                self.send(&pkt, self.base_unix_s + d.time_s);
            }
            _ => {}
        }
    }

    fn send(&mut self, pkt: &[u8], unix_s: f64) {
        if let Some((sock, dst)) = &self.udp {
            match sock.send_to(pkt, dst) {
                Ok(_) => self.report.udp_sent += 1,
                Err(_) => self.report.udp_errors += 1,
            }
        }
        if self.error.is_some() {
            return;
        }
        if let Some(p) = &mut self.pcap {
            // Always 127.0.0.1:4729 → 127.0.0.1:4729 in the file, whatever --gsmtap says, so
            // Wireshark's GSMTAP dissector (registered on port 4729) picks every packet up.
            let ends = (Ipv4Addr::LOCALHOST, gsmtap::UDP_PORT);
            match p.write_udp(unix_s, ends, ends, pkt) {
                Ok(()) => self.report.pcap_packets += 1,
                Err(e) => self.error = Some(e.into()),
            }
        }
    }

    /// Flush the pcap file; the first write error (if any) is returned here.
    pub fn finish(mut self) -> Result<SinkReport, SinkError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if let Some(p) = &mut self.pcap {
            p.flush()?;
        }
        Ok(self.report)
    }
}

fn resolve(a: &str) -> Result<SocketAddr, SinkError> {
    let bad = |problem: String| SinkError::Address {
        addr: a.to_string(),
        problem,
    };
    // A bare host means the GSMTAP port.
    let with_port = if a.parse::<SocketAddr>().is_ok()
        || a.rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        a.to_string()
    } else {
        format!("{a}:{}", gsmtap::UDP_PORT)
    };
    with_port
        .to_socket_addrs()
        .map_err(|e| bad(e.to_string()))?
        .next()
        .ok_or_else(|| bad("resolves to no address".into()))
}

/// Seconds since the Unix epoch of an RFC 3339 time (a recording's start), or of now.
pub fn base_time(start_time: Option<&str>) -> f64 {
    let t = start_time
        .and_then(|s| humantime::parse_rfc3339_weak(s).ok())
        .unwrap_or_else(std::time::SystemTime::now);
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
