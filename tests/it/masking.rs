//! Subscriber identities are masked by default in every sink (issue 9): the terminal listing of
//! `decode`, the JSON lines of `replay`, the pcap file and GSMTAP over UDP (to a loopback socket
//! bound here). A one-cell scene pages by IMSI and TMSI many times a second; each test runs the
//! same command with `--reveal-identities` to learn the identities actually on air (so the test
//! fails if the scene stops paging), then checks the default output carries none of them. Files
//! written by the sinks are readable by their owner only.

use std::collections::BTreeSet;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use towerwatch_dsp::gsm::l3::{Message, MobileIdentity, parse_ccch_frame};

const SCENE: &str = r#"
[scene]
name = "paging"
description = "One cell paging by IMSI and TMSI often: the identity-masking tests."
sample_rate_sps = 500_000
center_freq_hz = 938_600_000
format = "ci8"
duration_s = 2.0
seed = 9
snr_db = 30.0
rx_ppm = 0.0

[[cell]]
name = "pager"
band = "gsm900"
arfcn = 18
ncc = 1
bcc = 4
mcc = 262
mnc = 1
lac = 4101
ci = 10012
start_fn = 1223981
traffic_timeslots = []

[cell.si]
neighbours = [16, 19, 30]
t3212_dh = 10
cell_reselect_hysteresis_db = 4
rxlev_access_min = 8
gprs = false

[cell.ccch]
paging_per_s = 40.0
paging_imsi_fraction = 0.5
immediate_assignment_per_s = 0.5

[cell.physics]
power_db = 0.0
freq_offset_ppm = 0.0
timing_offset_s = 0.0
"#;

fn scene(dir: &Path) -> String {
    let p = dir.join("paging.toml");
    std::fs::write(&p, SCENE).unwrap();
    format!("scene:{}", p.display())
}

fn towerwatch(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_towerwatch"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(10),
        "towerwatch {args:?}: {:?}\n{stderr}",
        out.status
    );
    (stdout, stderr)
}

/// Identities of one frame: IMSI/IMEI digits, TMSIs (fillers and masked values left out).
fn identities(frame: &[u8]) -> Vec<MobileIdentity> {
    let mut v = match parse_ccch_frame(frame) {
        Ok(Message::PagingRequest1(p)) => p.identities(),
        Ok(Message::PagingRequest2(p)) => {
            let mut v = vec![MobileIdentity::Tmsi(p.tmsi1), MobileIdentity::Tmsi(p.tmsi2)];
            v.extend(p.identity3);
            v
        }
        Ok(Message::PagingRequest3(p)) => p.tmsi.map(MobileIdentity::Tmsi).to_vec(),
        _ => vec![],
    };
    v.retain(|i| match i {
        MobileIdentity::Imsi(d) | MobileIdentity::Imei(d) | MobileIdentity::Imeisv(d) => {
            d.len() >= 6
        }
        MobileIdentity::Tmsi(t) => *t != u32::MAX,
        _ => false,
    });
    v
}

/// Texts under which an identity could appear in a listing or JSON.
fn spellings(id: &MobileIdentity) -> Vec<String> {
    match id {
        MobileIdentity::Imsi(d) | MobileIdentity::Imei(d) | MobileIdentity::Imeisv(d) => {
            vec![d.clone()]
        }
        MobileIdentity::Tmsi(t) => {
            let b = t.to_be_bytes();
            vec![
                t.to_string(),
                format!("{t:08X}"),
                format!("{t:08x}"),
                format!("{:02x} {:02x} {:02x} {:02x}", b[0], b[1], b[2], b[3]),
            ]
        }
        _ => vec![],
    }
}

/// The 23-octet frames of a pcap written by `--pcap` (each packet ends with the L2 frame).
fn pcap_frames(path: &Path) -> Vec<Vec<u8>> {
    let b = std::fs::read(path).unwrap();
    assert!(b.len() >= 24, "pcap too short");
    let mut out = vec![];
    let mut i = 24;
    while i + 16 <= b.len() {
        let incl = u32::from_le_bytes([b[i + 8], b[i + 9], b[i + 10], b[i + 11]]) as usize;
        let pkt = &b[i + 16..i + 16 + incl];
        out.push(pkt[pkt.len() - 23..].to_vec());
        i += 16 + incl;
    }
    out
}

fn all_ids(frames: &[Vec<u8>]) -> BTreeSet<String> {
    frames
        .iter()
        .flat_map(|f| identities(f))
        .map(|i| format!("{i:?}"))
        .collect()
}

fn owner_only(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(p).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "{}: mode {mode:o}", p.display());
}

/// Runs `decode` on the scene with a pcap; returns (stdout, pcap frames, pcap path).
fn decode(dir: &Path, reveal: bool, extra: &[&str]) -> (String, Vec<Vec<u8>>, PathBuf) {
    let src = scene(dir);
    let pcap = dir.join(if reveal { "clear.pcap" } else { "masked.pcap" });
    let pcap_s = pcap.display().to_string();
    let mut args = vec!["decode", src.as_str(), "--pcap", pcap_s.as_str()];
    args.extend_from_slice(extra);
    if reveal {
        args.push("--reveal-identities");
    }
    let (stdout, _) = towerwatch(&args);
    let frames = pcap_frames(&pcap);
    (stdout, frames, pcap)
}

fn clear_identities(dir: &Path) -> Vec<MobileIdentity> {
    let (_, frames, _) = decode(dir, true, &[]);
    let ids: Vec<MobileIdentity> = frames.iter().flat_map(|f| identities(f)).collect();
    let imsis = ids
        .iter()
        .filter(|i| matches!(i, MobileIdentity::Imsi(_)))
        .count();
    let tmsis = ids
        .iter()
        .filter(|i| matches!(i, MobileIdentity::Tmsi(_)))
        .count();
    assert!(
        imsis >= 3 && tmsis >= 3,
        "the scene must page by IMSI and TMSI: {imsis} IMSI, {tmsis} TMSI in {} frames",
        frames.len()
    );
    ids
}

#[test]
fn terminal_listing_masks_identities() {
    let dir = tempfile::tempdir().unwrap();
    let clear = clear_identities(dir.path());
    let (revealed, _, _) = decode(dir.path(), true, &[]);
    let (masked, _, _) = decode(dir.path(), false, &[]);
    let mut shown = 0;
    for id in &clear {
        for s in spellings(id) {
            shown += usize::from(revealed.contains(&s));
            assert!(!masked.contains(&s), "{id:?} ({s}) in the default listing");
        }
    }
    assert!(
        shown > 0,
        "--reveal-identities shows none of them: the check is blind"
    );
    assert!(masked.contains("**"), "no masked octets in the listing");
}

#[test]
fn replay_jsonl_masks_identities_and_is_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let clear = clear_identities(dir.path());
    let src = scene(dir.path());
    let run = |name: &str, reveal: bool| {
        let out = dir.path().join(name);
        let o = out.display().to_string();
        let mut args = vec!["replay", src.as_str(), "-o", o.as_str()];
        if reveal {
            args.push("--reveal-identities");
        }
        towerwatch(&args);
        owner_only(&out);
        std::fs::read_to_string(&out).unwrap()
    };
    let revealed = run("clear.jsonl", true);
    let masked = run("masked.jsonl", false);
    let mut shown = 0;
    for id in &clear {
        for s in spellings(id) {
            shown += usize::from(revealed.contains(&s));
            assert!(
                !masked.contains(&s),
                "{id:?} ({s}) in the default JSON lines"
            );
        }
    }
    assert!(shown > 0, "--reveal-identities JSON shows none of them");
    for key in ["\"Imsi\"", "\"Tmsi\"", "\"Imei\""] {
        assert!(!masked.contains(key), "{key} in the default JSON lines");
    }
}

#[test]
fn pcap_masks_identities_and_is_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let (_, clear_frames, clear_pcap) = decode(dir.path(), true, &[]);
    let (_, masked_frames, masked_pcap) = decode(dir.path(), false, &[]);
    owner_only(&clear_pcap);
    owner_only(&masked_pcap);
    assert_eq!(clear_frames.len(), masked_frames.len());
    let clear = all_ids(&clear_frames);
    assert!(clear.len() >= 6, "too few identities on air: {clear:?}");
    let leaked: Vec<_> = all_ids(&masked_frames)
        .intersection(&clear)
        .cloned()
        .collect();
    assert!(
        leaked.is_empty(),
        "identities readable in the pcap: {leaked:?}"
    );
    // Frames without identities are byte-identical.
    for (c, m) in clear_frames.iter().zip(&masked_frames) {
        if identities(c).is_empty() {
            assert_eq!(c, m);
        }
    }
}

#[test]
fn gsmtap_udp_masks_identities() {
    let dir = tempfile::tempdir().unwrap();
    let clear = all_ids(&decode(dir.path(), true, &[]).1);
    assert!(clear.len() >= 6, "too few identities on air: {clear:?}");
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let dest = format!("--gsmtap=127.0.0.1:{}", sock.local_addr().unwrap().port());
    let (_, pcap_frames, _) = decode(dir.path(), false, &[dest.as_str()]);
    let mut got = vec![];
    let mut buf = [0u8; 2048];
    while let Ok(n) = sock.recv(&mut buf) {
        got.push(buf[n - 23..n].to_vec());
    }
    assert_eq!(got.len(), pcap_frames.len(), "datagrams vs pcap packets");
    let leaked: Vec<_> = all_ids(&got).intersection(&clear).cloned().collect();
    assert!(
        leaked.is_empty(),
        "identities readable over GSMTAP: {leaked:?}"
    );
}
