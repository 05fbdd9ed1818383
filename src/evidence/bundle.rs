//! Writing one evidence bundle to disk: its directory (created private, never overwritten), the
//! alert, cells, frames, IQ clip, spectrum, track and the manifest that seals them.

use super::*;

pub(super) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), EvidenceError> {
    let io = |e| EvidenceError::Io(path.to_path_buf(), e);
    let mut f = create_private(path).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)
}

pub(super) fn write_json(path: &Path, v: &impl Serialize) -> Result<(), EvidenceError> {
    let text = serde_json::to_string_pretty(v)
        .map_err(|e| EvidenceError::Encode(path.to_path_buf(), e.to_string()))?;
    write_private(path, format!("{text}\n").as_bytes())
}

/// Compact JSON (for the bulky spectrum rows).
pub(super) fn write_json_compact(path: &Path, v: &impl Serialize) -> Result<(), EvidenceError> {
    let text = serde_json::to_string(v)
        .map_err(|e| EvidenceError::Encode(path.to_path_buf(), e.to_string()))?;
    write_private(path, format!("{text}\n").as_bytes())
}

/// Create `parent/evidence-<id>-<stamp>` (mode 0700), never reusing an existing directory.
pub(super) fn create_bundle_dir(
    parent: &Path,
    alert_id: u64,
    created: &str,
) -> Result<PathBuf, EvidenceError> {
    crate::source::sigmf::create_private_dir_all(parent)
        .map_err(|e| EvidenceError::Io(parent.to_path_buf(), e))?;
    let stamp: String = created
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(15)
        .collect::<String>()
        + "Z";
    for k in 1..1000 {
        let name = if k == 1 {
            format!("evidence-{alert_id}-{stamp}")
        } else {
            format!("evidence-{alert_id}-{stamp}-{k}")
        };
        let dir = parent.join(name);
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        match b.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(EvidenceError::Io(dir, e)),
        }
    }
    Err(EvidenceError::Io(
        parent.to_path_buf(),
        std::io::Error::other("too many bundles of this alert in the same second"),
    ))
}

pub(super) fn write_bundle(
    rec: &Recorder,
    registry: &CellRegistry,
    trig: &Trigger,
    parent: &Path,
) -> Result<Bundle, EvidenceError> {
    let history = rec
        .history
        .get(&trig.alert_id)
        .ok_or(EvidenceError::UnknownAlert(trig.alert_id))?;
    let alert = history
        .last()
        .ok_or(EvidenceError::UnknownAlert(trig.alert_id))?;
    let created_unix = now_unix_s();
    let created =
        humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs_f64(created_unix))
            .to_string();
    let dir = create_bundle_dir(parent, trig.alert_id, &created)?;
    let rate = rec.source.sample_rate_sps;
    let cfg = &rec.cfg;
    let to_sample = |t: f64| (t.max(0.0) * rate).round() as u64;
    let trigger_sample = to_sample(trig.time_s);
    let want_start = to_sample(trig.time_s - cfg.pre_trigger_s);
    let want_end = to_sample(trig.time_s + cfg.post_trigger_s).max(trigger_sample + 1);
    let clip = rec.ring.extract(want_start, want_end);
    let utc = |t: f64| rec.base_unix_s.map(|b| utc_string(b + t));
    let (clip_start, clip_end) = (
        clip.first_sample().unwrap_or(trigger_sample),
        clip.end_sample().unwrap_or(trigger_sample),
    );
    let (t0, t1) = (clip_start as f64 / rate, clip_end as f64 / rate);
    let cell = &alert.cell;
    let dir_kind = if cell.uplink {
        Direction::Uplink
    } else {
        Direction::Downlink
    };
    let cell_freq = cell.band.freq_hz(cell.arfcn, dir_kind);
    let mut files: Vec<FileEntry> = Vec::new();

    // IQ clip.
    let centre = clip
        .runs
        .first()
        .map_or(rec.source.center_freq_hz, |r| r.frequency_hz);
    let mut meta = WriterMeta::new(clip.format, rate, centre);
    meta.datetime = utc(t0);
    meta.hw = rec.source.hardware.clone();
    meta.description = Some(format!(
        "Towerwatch evidence clip for alert {}: {}",
        alert.id, alert.summary
    ));
    meta.extra_global
        .insert("towerwatch:alert_id".into(), json!(alert.id));
    meta.extra_global
        .insert("towerwatch:source".into(), json!(rec.source.description));
    meta.extra_global
        .insert("towerwatch:stream_sample_start".into(), json!(clip_start));
    meta.extra_global.insert(
        "towerwatch:trigger_sample".into(),
        json!(clip.clip_index(trigger_sample)),
    );
    let mut w = SigmfWriter::create(&dir.join("iq"), meta)?;
    let mut anns: Vec<Annotation> = Vec::new();
    let burst_samples = (BURST_SYMBOLS / SYMBOL_RATE * rate).round() as u64;
    let frame_samples = FRAME_SYMBOLS / SYMBOL_RATE * rate;
    let edges = cell_freq.map(|f| (f - 100e3, f + 100e3));
    let mut ann =
        |start: u64, count: u64, label: String, comment: String, extra: Vec<(&str, Value)>| {
            if anns.len() >= MAX_ANNOTATIONS {
                return;
            }
            if let Some(i) = clip.clip_index(start) {
                anns.push(Annotation {
                    sample_start: i,
                    sample_count: Some(count),
                    freq_lower_edge_hz: edges.map(|e| e.0),
                    freq_upper_edge_hz: edges.map(|e| e.1),
                    label: Some(label),
                    comment: Some(comment),
                    extra: extra.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                });
            }
        };
    let same_cell =
        |band: Band, arfcn: u16| !cell.uplink && band == cell.band && arfcn == cell.arfcn;
    ann(
        trigger_sample,
        1,
        format!("alert {} {}", alert.id, trig.severity),
        format!(
            "Trigger: alert {} {} at {:.3} s, severity {}",
            alert.id,
            serde_json::to_value(trig.event)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            trig.time_s,
            trig.severity
        ),
        vec![],
    );
    for m in rec.marks.iter().filter(|m| same_cell(m.band, m.arfcn)) {
        ann(
            m.sample_index,
            burst_samples,
            m.label.to_string(),
            m.comment.clone(),
            vec![],
        );
    }
    for f in rec.frames.iter().filter(|f| same_cell(f.band, f.arfcn)) {
        // sample_index is the block's last burst; a block spans 4 consecutive TDMA frames.
        let start = f
            .sample_index
            .saturating_sub((3.0 * frame_samples).round() as u64);
        ann(
            start,
            (3.0 * frame_samples).round() as u64 + burst_samples,
            format!("{} {}", f.channel.to_uppercase(), f.name),
            format!("{} block, FN {}", f.name, f.frame_number),
            vec![("towerwatch:frame_number", json!(f.frame_number))],
        );
    }
    let mut samples = Vec::new();
    let mut prev_end: Option<u64> = None;
    for r in &clip.runs {
        if let Some(end) = prev_end {
            w.new_segment(r.frequency_hz);
            if r.first_sample > end {
                let at = clip.clip_index(r.first_sample).unwrap_or(0);
                anns.push(Annotation {
                    sample_start: at,
                    sample_count: Some(0),
                    label: Some("gap".into()),
                    comment: Some(format!(
                        "{} samples missing here (dropped by a slow consumer, or no longer in the ring)",
                        r.first_sample - end
                    )),
                    ..Annotation::default()
                });
            }
        }
        clip.format.decode(&r.bytes, &mut samples);
        w.write(&samples)?;
        prev_end = Some(r.first_sample + r.len_samples(clip.format));
    }
    for a in anns {
        w.add_annotation(a);
    }
    w.finish()?;

    // Frames.
    let pcap_path = dir.join("frames.pcap");
    let mut p = pcap::PcapWriter::create(&pcap_path)?;
    let pcap_base = rec.base_unix_s.unwrap_or(0.0);
    let mut n_frames = 0u64;
    for f in rec
        .frames
        .iter()
        .filter(|f| f.time_s >= t0 && f.time_s <= t1.max(t0))
    {
        let sub_type = gsmtap::channel_sub_type(&f.channel);
        let h = gsmtap::Header {
            timeslot: 0,
            arfcn: f.arfcn,
            uplink: false,
            pcs: f.band == Band::Pcs1900,
            signal_dbm: gsmtap::to_i8(f.signal_dbfs),
            snr_db: gsmtap::to_i8(f.snr_db),
            frame_number: f.frame_number,
            sub_type,
            antenna: 0,
            sub_slot: if sub_type == gsmtap::channel::CCCH {
                gsmtap::ccch_block_index(f.frame_number)
            } else {
                0
            },
        };
        let frame = crate::privacy::ccch_frame_out(&f.raw, cfg.reveal_identities);
        let ends = (Ipv4Addr::LOCALHOST, gsmtap::UDP_PORT);
        p.write_udp(
            pcap_base + f.time_s,
            ends,
            ends,
            &gsmtap::packet(&h, &frame),
        )?;
        n_frames += 1;
    }
    p.flush()?;
    drop(p);

    // Alert, cells, spectrum, track.
    let alert_doc = json!({
        "alert": alert,
        "trigger": trig,
        "trigger_time_utc": utc(trig.time_s),
        "history": history,
    });
    write_json(&dir.join("alert.json"), &alert_doc)?;
    let cells = cell_rows(
        registry,
        (!cell.uplink && cell.lte.is_none()).then_some((cell.band, cell.arfcn)),
    );
    write_json(&dir.join("cells.json"), &cells)?;
    // LTE cells (EARFCN, PCI, RSRP, MIB and SIB1 as decoded): only when the run saw any, so a
    // GSM-only bundle keeps its file set.
    let lte_cells = super::lte_cell_rows(registry, cell.lte);
    if !lte_cells.is_empty() {
        write_json(&dir.join("lte_cells.json"), &lte_cells)?;
    }
    let spec = spectrum::compute(&clip, rate, centre);
    write_json_compact(&dir.join("spectrum.json"), &spec)?;
    let cell_power: Vec<(f64, f64)> = registry
        .cell(cell.band, cell.arfcn)
        .map(|c| c.power.iter().map(|p| (p.time_s, p.power_dbfs)).collect())
        .unwrap_or_default();
    let points: Vec<Value> = rec
        .track
        .iter()
        .map(|p| {
            let near = cell_power
                .iter()
                .filter(|(t, _)| (t - p.time_s).abs() <= 2.0)
                .min_by(|a, b| (a.0 - p.time_s).abs().total_cmp(&(b.0 - p.time_s).abs()))
                .map(|x| x.1);
            json!({"time_s": p.time_s, "time_utc": utc(p.time_s), "lat_deg": p.position.lat_deg,
                   "lon_deg": p.position.lon_deg, "accuracy_m": p.position.accuracy_m,
                   "cell_power_dbfs": near})
        })
        .collect();
    let with_power: Vec<(Position, f64)> = rec
        .track
        .iter()
        .zip(&points)
        .filter_map(|(p, v)| v["cell_power_dbfs"].as_f64().map(|db| (p.position, db)))
        .collect();
    write_json(
        &dir.join("track.json"),
        &json!({"points": points, "estimate": estimate_location(&with_power),
                "method": "power-weighted centroid of the GPS fixes, radius = weighted RMS distance (at least 50 m)"}),
    )?;

    let describe = [
        (
            "iq.sigmf-meta",
            "SigMF metadata of the IQ clip (annotations: trigger, the cell's FCCH/SCH bursts and decoded blocks)",
        ),
        (
            "iq.sigmf-data",
            "IQ samples around the trigger, in the stream's own encoding",
        ),
        (
            "frames.pcap",
            "decoded L2 frames of every carrier in the clip, GSMTAP in pcap (Wireshark)",
        ),
        (
            "alert.json",
            "the alert with every signature, value, threshold and known false positives; its history",
        ),
        (
            "cells.json",
            "parameters of every cell seen, the alerted one marked",
        ),
        (
            "spectrum.json",
            "waterfall rows and mean/max spectrum computed from the clip",
        ),
        (
            "track.json",
            "GPS track and location estimate (empty without GPS)",
        ),
    ];
    let lte_entry = [(
        "lte_cells.json",
        "LTE cells seen (EARFCN, PCI, RSRP, offset, MIB and SIB1 as decoded), the alerted one marked",
    )];
    let extra = if lte_cells.is_empty() {
        &lte_entry[..0]
    } else {
        &lte_entry[..]
    };
    for (name, content) in describe.into_iter().chain(extra.iter().copied()) {
        let (sha256, bytes) = manifest::sha256_file(&dir.join(name))?;
        files.push(FileEntry {
            name: name.to_string(),
            bytes,
            sha256,
            content: content.to_string(),
        });
    }
    let clip_s = clip.len_samples() as f64 / rate;
    let doc = json!({
        "format": manifest::FORMAT,
        "format_version": manifest::FORMAT_VERSION,
        "software": {"name": "towerwatch", "version": env!("CARGO_PKG_VERSION")},
        "created_utc": created,
        "alert": {
            "id": alert.id,
            "severity": alert.severity,
            "score": alert.score,
            "cell": alert.cell.to_string(),
            "summary": alert.summary,
            "raised_s": alert.raised_s,
            "raised_utc": utc(alert.raised_s),
        },
        "trigger": {
            "event": trig.event,
            "severity": trig.severity,
            "automatic": trig.automatic,
            "time_s": trig.time_s,
            "time_utc": utc(trig.time_s),
        },
        "source": {
            "description": rec.source.description,
            "live": rec.source.live,
            "format": rec.source.format,
            "sample_rate_sps": rate,
            "center_freq_hz": rec.source.center_freq_hz,
            "start_utc": rec.base_unix_s.map(utc_string),
            "hardware": rec.source.hardware,
        },
        "receiver_profile": cfg.receiver_profile,
        "position": rec.position,
        "clip": {
            "stream_sample_start": clip_start,
            "samples": clip.len_samples(),
            "start_s": t0,
            "end_s": t1,
            "start_utc": utc(t0),
            "end_utc": utc(t1),
            "pre_trigger_s": (trigger_sample.saturating_sub(clip_start)) as f64 / rate,
            "post_trigger_s": (clip_end.saturating_sub(trigger_sample)) as f64 / rate,
            "requested_pre_trigger_s": cfg.pre_trigger_s,
            "requested_post_trigger_s": cfg.post_trigger_s,
            "datatype": clip.format.sigmf_name(),
            "frames": n_frames,
        },
        "times": "stream seconds count from the first sample of the source; UTC times are null when the source has no start time (synthetic scenes, recordings without core:datetime)",
        "identities": if cfg.reveal_identities { "revealed (--reveal-identities)" } else { "masked" },
        "files": files,
        "manifest_sha256": "",
    });
    let mpath = dir.join(manifest::MANIFEST);
    let text = manifest::seal(doc).map_err(|e| EvidenceError::Encode(mpath.clone(), e))?;
    write_private(&mpath, text.as_bytes())?;
    let bytes = files.iter().map(|f| f.bytes).sum::<u64>() + text.len() as u64;
    Ok(Bundle {
        dir,
        alert_id: alert.id,
        files,
        clip_s,
        bytes,
    })
}
