//! GSMTAP output of `towerwatch decode` on the real 941 MHz capture: UDP datagrams to a socket on
//! 127.0.0.1 (ephemeral port) and the same packets in a pcap file, checked field by field with a
//! tiny pcap reader; identities masked by default and clear with `--reveal-identities`.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use towerwatch::sink::gsmtap::{self, Header};

fn recording() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/recordings/gsmsp-941.0MHz-500k.sigmf-meta");
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIP: {} not found (../shared is absent)", p.display());
        None
    }
}

/// (FN, 23 octets) of gr-gsm's decode of the capture.
fn truth() -> Vec<(u32, Vec<u8>)> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/recordings/truth/gsmsp-941.0MHz-500k.frames.txt");
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (head, hex) = l.split_once(':').unwrap();
            let fn_ = head.split_whitespace().next().unwrap().parse().unwrap();
            let bytes = hex
                .split_whitespace()
                .map(|h| u8::from_str_radix(h, 16).unwrap())
                .collect();
            (fn_, bytes)
        })
        .collect()
}

/// Run `decode` with GSMTAP to a fresh socket and a pcap; return (datagrams, pcap path, stdout).
fn run_decode(reveal: bool, dir: &Path) -> (Vec<Vec<u8>>, PathBuf, String) {
    let rec = recording().unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let port = sock.local_addr().unwrap().port();
    let pcap = dir.join(if reveal { "clear.pcap" } else { "masked.pcap" });
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_towerwatch"));
    cmd.arg("decode")
        .arg(&rec)
        .arg(format!("--gsmtap=127.0.0.1:{port}"))
        .arg("--pcap")
        .arg(&pcap);
    if reveal {
        cmd.arg("--reveal-identities");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "decode failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    while let Ok(n) = sock.recv(&mut buf) {
        got.push(buf[..n].to_vec());
    }
    (got, pcap, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Frame numbers `decode` lists (lines `FN ARFCN : hex [name]`).
fn listed_fns(stdout: &str) -> Vec<u32> {
    stdout
        .lines()
        .filter(|l| l.contains(": ") && l.ends_with(']') && !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

/// A tiny pcap reader: (linktype, packets as (ts_sec, ts_usec, bytes)).
fn read_pcap(path: &Path) -> (u32, Vec<(u32, u32, Vec<u8>)>) {
    let d = std::fs::read(path).unwrap();
    let u32le = |o: usize| u32::from_le_bytes(d[o..o + 4].try_into().unwrap());
    assert_eq!(u32le(0), 0xa1b2_c3d4, "magic");
    assert_eq!(&d[4..8], &[2, 0, 4, 0], "version 2.4");
    let linktype = u32le(20);
    let mut pkts = Vec::new();
    let mut o = 24;
    while o < d.len() {
        let (s, us, incl, orig) = (u32le(o), u32le(o + 4), u32le(o + 8), u32le(o + 12));
        assert_eq!(incl, orig);
        o += 16;
        pkts.push((s, us, d[o..o + incl as usize].to_vec()));
        o += incl as usize;
    }
    assert_eq!(o, d.len(), "no trailing bytes");
    (linktype, pkts)
}

fn check_packets(got: &[Vec<u8>], fns: &[u32], reveal: bool) {
    assert_eq!(got.len(), fns.len(), "one datagram per listed frame");
    let truth = truth();
    for (p, &fn_) in got.iter().zip(fns) {
        assert_eq!(p.len(), 16 + 23);
        assert_eq!(
            &p[..4],
            &[2, 4, 1, 0],
            "version 2, 4 words, GSMTAP_TYPE_UM, TS 0"
        );
        let h = Header::parse(p).unwrap();
        assert_eq!(h.arfcn, 30);
        assert!(!h.uplink && !h.pcs);
        assert_eq!(h.frame_number, fn_);
        assert_eq!(h.sub_type, gsmtap::channel::CCCH, "paging on CCCH");
        assert_eq!(h.sub_slot, gsmtap::ccch_block_index(fn_));
        assert_eq!(p[15], 0);
        let frame: [u8; 23] = p[16..].try_into().unwrap();
        if let Some((_, t)) = truth.iter().find(|(f, _)| *f == fn_) {
            let t: [u8; 23] = t.as_slice().try_into().unwrap();
            if reveal {
                assert_eq!(frame, t, "FN {fn_}: clear frame equals gr-gsm's");
            } else {
                assert_eq!(frame, gsmtap::mask_identities(&t), "FN {fn_}: masked");
            }
        }
    }
    // Every gr-gsm frame is among ours.
    for (f, _) in &truth {
        assert!(fns.contains(f), "FN {f} of the truth file not sent");
    }
}

#[test]
fn gsmtap_udp_and_pcap_masked_by_default() {
    if recording().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (got, pcap, stdout) = run_decode(false, dir.path());
    let fns = listed_fns(&stdout);
    assert!(
        fns.len() >= 4,
        "decode lists the 4 truth frames at least: {stdout}"
    );
    check_packets(&got, &fns, false);
    // The two TMSIs of FN 675007 are not in any datagram.
    for p in &got {
        assert!(!p.windows(4).any(|w| w == [0x24, 0x02, 0x81, 0x0b]));
        assert!(!p.windows(4).any(|w| w == [0x18, 0x00, 0x03, 0x12]));
    }
    let masked = got
        .iter()
        .find(|p| Header::parse(p).unwrap().frame_number == 675007)
        .unwrap();
    assert_eq!(
        &masked[16..33],
        &[
            0x41, 0x06, 0x21, 0xa0, 0x05, 0xf4, 0xff, 0xff, 0xff, 0xff, 0x17, 0x05, 0xf4, 0xff,
            0xff, 0xff, 0xff
        ]
    );

    // The pcap holds the same packets, wrapped in Ethernet/IPv4/UDP to port 4729.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&pcap).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "pcap is owner-only");
    }
    let (linktype, pkts) = read_pcap(&pcap);
    assert_eq!(linktype, 1, "LINKTYPE_ETHERNET");
    assert_eq!(pkts.len(), got.len());
    let mut last = (0, 0);
    for ((s, us, f), udp) in pkts.iter().zip(&got) {
        assert!((*s, *us) >= last, "timestamps in order");
        last = (*s, *us);
        assert_eq!(&f[12..14], &[0x08, 0x00], "IPv4 ethertype");
        let ip = &f[14..34];
        assert_eq!(ip[0], 0x45);
        assert_eq!(ip[9], 17, "UDP");
        assert_eq!(u16::from_be_bytes([ip[2], ip[3]]) as usize, f.len() - 14);
        assert_eq!(
            towerwatch::sink::pcap::ipv4_checksum(ip),
            0,
            "IPv4 checksum"
        );
        assert_eq!(&ip[16..20], &[127, 0, 0, 1]);
        let udp_h = &f[34..42];
        assert_eq!(
            u16::from_be_bytes([udp_h[2], udp_h[3]]),
            4729,
            "dst port 4729"
        );
        assert_eq!(
            u16::from_be_bytes([udp_h[4], udp_h[5]]) as usize,
            8 + udp.len()
        );
        assert_eq!(&f[42..], udp.as_slice(), "same GSMTAP packet as over UDP");
    }
    // Timestamps come from the recording's start time plus stream time (2007 captures).
    if let Some((s, _, _)) = pkts.first() {
        assert!(*s > 1_000_000_000, "a real date, not 1970");
    }
}

#[test]
fn gsmtap_reveal_identities_gives_clear_frames() {
    if recording().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (got, pcap, stdout) = run_decode(true, dir.path());
    let fns = listed_fns(&stdout);
    check_packets(&got, &fns, true);
    let (_, pkts) = read_pcap(&pcap);
    assert_eq!(pkts.len(), got.len());
    assert!(
        got.iter()
            .any(|p| p.windows(4).any(|w| w == [0x24, 0x02, 0x81, 0x0b]))
    );
}

#[test]
fn gsmtap_needs_equals_and_rejects_bad_address() {
    let out = Command::new(env!("CARGO_BIN_EXE_towerwatch"))
        .args([
            "decode",
            "synth:rate=1e6,freq=941e6,seconds=0.01",
            "--gsmtap=no such host:x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--gsmtap"));
}
