//! A minimal pcap writer for GSMTAP: classic pcap (microsecond timestamps, LINKTYPE_ETHERNET),
//! each GSMTAP packet wrapped in Ethernet / IPv4 / UDP to port 4729, so Wireshark's GSMTAP
//! dissector picks it up without configuration. The file is created owner-only (mode 0600):
//! it may hold subscriber identities when the user asked for them in clear.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// pcap magic (microsecond timestamps), written little-endian.
pub const MAGIC: u32 = 0xa1b2_c3d4;
/// LINKTYPE_ETHERNET.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// Bytes of Ethernet + IPv4 + UDP headers before the payload.
pub const WRAP_LEN: usize = 14 + 20 + 8;

/// Errors writing a pcap file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct PcapError {
    /// The file.
    pub path: PathBuf,
    /// The I/O error.
    pub source: std::io::Error,
}

/// Writes UDP datagrams into a pcap file.
pub struct PcapWriter {
    path: PathBuf,
    out: BufWriter<File>,
    ip_id: u16,
    /// Packets written.
    pub packets: u64,
}

impl PcapWriter {
    /// Create (truncate) `path` with mode 0600 and write the global header.
    pub fn create(path: &Path) -> Result<PcapWriter, PcapError> {
        let err = |source| PcapError {
            path: path.to_path_buf(),
            source,
        };
        let file = crate::source::sigmf::create_private(path).map_err(err)?;
        let mut out = BufWriter::new(file);
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&MAGIC.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        h.extend_from_slice(&65535u32.to_le_bytes()); // snaplen
        h.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        out.write_all(&h).map_err(err)?;
        Ok(PcapWriter {
            path: path.to_path_buf(),
            out,
            ip_id: 0,
            packets: 0,
        })
    }

    /// Append one UDP datagram `src → dst` carrying `payload`, stamped `unix_time_s`.
    pub fn write_udp(
        &mut self,
        unix_time_s: f64,
        src: (Ipv4Addr, u16),
        dst: (Ipv4Addr, u16),
        payload: &[u8],
    ) -> Result<(), PcapError> {
        let frame = udp_frame(src, dst, self.ip_id, payload);
        self.ip_id = self.ip_id.wrapping_add(1);
        let t = unix_time_s.max(0.0);
        let secs = t.floor();
        let usec = (((t - secs) * 1e6).round() as u32).min(999_999);
        let mut rec = Vec::with_capacity(16 + frame.len());
        rec.extend_from_slice(&(secs as u32).to_le_bytes());
        rec.extend_from_slice(&usec.to_le_bytes());
        rec.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        rec.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        rec.extend_from_slice(&frame);
        self.out.write_all(&rec).map_err(|source| PcapError {
            path: self.path.clone(),
            source,
        })?;
        self.packets += 1;
        Ok(())
    }

    /// Flush buffered packets to the file.
    pub fn flush(&mut self) -> Result<(), PcapError> {
        self.out.flush().map_err(|source| PcapError {
            path: self.path.clone(),
            source,
        })
    }
}

/// An Ethernet frame (zero MAC addresses, as on Linux loopback) holding IPv4/UDP/`payload`.
/// The UDP checksum is 0 (allowed for IPv4); the IPv4 header checksum is filled in.
pub fn udp_frame(
    src: (Ipv4Addr, u16),
    dst: (Ipv4Addr, u16),
    ip_id: u16,
    payload: &[u8],
) -> Vec<u8> {
    let udp_len = 8 + payload.len();
    let ip_len = 20 + udp_len;
    let mut f = Vec::with_capacity(14 + ip_len);
    f.extend_from_slice(&[0u8; 12]); // dst + src MAC
    f.extend_from_slice(&0x0800u16.to_be_bytes());
    let ip_start = f.len();
    f.extend_from_slice(&[0x45, 0x00]);
    f.extend_from_slice(&(ip_len as u16).to_be_bytes());
    f.extend_from_slice(&ip_id.to_be_bytes());
    f.extend_from_slice(&0x4000u16.to_be_bytes()); // don't fragment
    f.extend_from_slice(&[64, 17, 0, 0]); // TTL, UDP, checksum placeholder
    f.extend_from_slice(&src.0.octets());
    f.extend_from_slice(&dst.0.octets());
    let sum = ipv4_checksum(&f[ip_start..ip_start + 20]);
    f[ip_start + 10..ip_start + 12].copy_from_slice(&sum.to_be_bytes());
    f.extend_from_slice(&src.1.to_be_bytes());
    f.extend_from_slice(&dst.1.to_be_bytes());
    f.extend_from_slice(&(udp_len as u16).to_be_bytes());
    f.extend_from_slice(&0u16.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// The one's-complement header checksum (RFC 791).
pub fn ipv4_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// A GSMTAP frame read back from frames.pcap.
#[derive(Debug, Clone, PartialEq)]
pub struct PcapFrame {
    /// Timestamp, seconds since the epoch.
    pub unix_s: f64,
    /// GSMTAP header.
    pub header: super::gsmtap::Header,
    /// The 23-octet frame.
    pub frame: [u8; 23],
}

/// Read the GSMTAP frames of a pcap written by Towerwatch (classic pcap, Ethernet/IPv4/UDP).
/// Packets that are not GSMTAP Um frames are skipped; a malformed file is an error.
pub fn parse_pcap(b: &[u8]) -> Result<Vec<PcapFrame>, String> {
    if b.len() < 24 || b[..4] != MAGIC.to_le_bytes() {
        return Err("not a little-endian classic pcap file".into());
    }
    let mut out = Vec::new();
    let mut i = 24usize;
    while i < b.len() {
        let h = b.get(i..i + 16).ok_or("truncated packet header")?;
        let u32le = |o: usize| u32::from_le_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]);
        let (sec, usec, incl) = (u32le(0), u32le(4), u32le(8) as usize);
        let pkt = b.get(i + 16..i + 16 + incl).ok_or("truncated packet")?;
        i += 16 + incl;
        let w = WRAP_LEN;
        if let Some(payload) = pkt.get(w..)
            && let Some(header) = super::gsmtap::Header::parse(payload)
            && let Some(fr) = payload.get(super::gsmtap::HEADER_LEN..super::gsmtap::HEADER_LEN + 23)
        {
            let mut frame = [0u8; 23];
            frame.copy_from_slice(fr);
            out.push(PcapFrame {
                unix_s: f64::from(sec) + f64::from(usec) / 1e6,
                header,
                frame,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_header_checksums_to_zero() {
        let f = udp_frame(
            (Ipv4Addr::LOCALHOST, 4729),
            (Ipv4Addr::LOCALHOST, 4729),
            7,
            &[1, 2, 3],
        );
        assert_eq!(f.len(), WRAP_LEN + 3);
        // Summing a header that includes its checksum gives 0xffff → complement 0.
        assert_eq!(ipv4_checksum(&f[14..34]), 0);
        assert_eq!(&f[36..38], &4729u16.to_be_bytes());
        assert_eq!(u16::from_be_bytes([f[38], f[39]]), 11);
    }
}
