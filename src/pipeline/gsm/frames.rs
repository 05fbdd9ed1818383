//! From receiver events to observations: carrier, sync and message observations, dedicated
//! channels (LAPDm reassembly, assignment following), and the masked forms of frames.

use super::*;

pub(super) fn emit(
    r: &mut CarrierRx,
    rate_sps: f64,
    cfg: &GsmStageConfig,
    rx_ppm: Option<f64>,
    out: &mut Vec<Observation>,
) {
    if !settle_label(r, rx_ppm) {
        return;
    }
    let start_index = r.start_index;
    let t = |idx: u64| (start_index + idx) as f64 / rate_sps;
    let events = std::mem::take(&mut r.events);
    for ev in &events {
        match ev {
            RxEvent::FcchFound {
                sample_index,
                freq_offset_hz,
                uncertainty_hz,
                freq_offset_ppm,
                snr_db,
                synchronized,
                ..
            } => {
                // Offsets from the nominal carrier, wherever the receiver's channel sits.
                let (offset_hz, offset_ppm) = if r.shift_hz == 0.0 {
                    (*freq_offset_hz, *freq_offset_ppm)
                } else {
                    let o = freq_offset_hz + r.shift_hz;
                    (o, Some(o / r.freq_hz * 1e6))
                };
                if *synchronized {
                    r.offset_hz = Some(offset_hz);
                }
                out.push(Observation::Carrier(CarrierObs {
                    sample_index: r.start_index + sample_index,
                    time_s: t(*sample_index),
                    band: r.band,
                    arfcn: r.arfcn,
                    freq_hz: r.freq_hz,
                    freq_offset_hz: round3(offset_hz),
                    freq_offset_ppm: offset_ppm.map(round3),
                    uncertainty_hz: round3(*uncertainty_hz),
                    snr_db: round3(f64::from(*snr_db)),
                    synchronized: *synchronized,
                }))
            }
            RxEvent::SchDecoded {
                sample_index,
                bsic,
                ncc,
                bcc,
                frame_number,
                ..
            } => out.push(Observation::Sync(SyncObs {
                sample_index: r.start_index + sample_index,
                time_s: t(*sample_index),
                band: r.band,
                arfcn: r.arfcn,
                bsic: *bsic,
                ncc: *ncc,
                bcc: *bcc,
                frame_number: *frame_number,
            })),
            RxEvent::SyncLost {
                sample_index,
                frame_number,
                reason,
            } => out.push(Observation::SyncLost(SyncLostObs {
                sample_index: r.start_index + sample_index,
                time_s: t(*sample_index),
                band: r.band,
                arfcn: r.arfcn,
                frame_number: *frame_number,
                reason: format!("{reason:?}"),
            })),
            RxEvent::Burst(_) => {
                let mut frames = Vec::new();
                r.dec.decode(ev, &mut frames);
                for cf in frames {
                    let sample_index = cf.sample_index;
                    let at = (start_index + sample_index, t(sample_index));
                    match cf.content {
                        FrameContent::Dedicated(d) => {
                            out.push(Observation::Dedicated(dedicated_obs(
                                r, cf.frame, d, at, cfg,
                            )));
                        }
                        FrameContent::Common(message) => {
                            let f = cf.frame;
                            let system_info = is_system_info(&message);
                            let name = message.name();
                            let obs = MessageObs {
                                sample_index: at.0,
                                time_s: at.1,
                                band: r.band,
                                arfcn: r.arfcn,
                                frame_number: f.first_fn,
                                channel: format!("{:?}", f.kind).to_lowercase(),
                                name,
                                l2_hex: cfg.include_hex.then(|| {
                                    crate::privacy::ccch_hex(&f.data, cfg.reveal_identities)
                                }),
                                message: masked_json(&message, cfg.reveal_identities),
                                parsed: message,
                                raw: f.data,
                            };
                            out.push(if system_info {
                                Observation::SystemInfo(obs)
                            } else {
                                Observation::Ccch(obs)
                            });
                        }
                    }
                }
            }
            RxEvent::SchFailed { .. } => {}
        }
    }
    r.events = events;
}

/// A short description of a LAPDm control field: `I N(S)=1 N(R)=0`, `UA F`, `SABM P`, `RR N(R)=2`.
pub(super) fn control_text(c: &Control, more: bool) -> String {
    match *c {
        Control::I { ns, nr, p } => format!(
            "I N(S)={ns} N(R)={nr}{}{}",
            if p { " P" } else { "" },
            if more { " M" } else { "" }
        ),
        Control::S { kind, nr, pf } => {
            let k = ["RR", "RNR", "REJ", "S?"]
                .get(usize::from(kind))
                .copied()
                .unwrap_or("S?");
            format!("{k} N(R)={nr}{}", if pf { " P/F" } else { "" })
        }
        Control::U { kind, pf } => {
            let k = match kind {
                UKind::Sabm => "SABM".to_string(),
                UKind::Dm => "DM".to_string(),
                UKind::Ui => "UI".to_string(),
                UKind::Disc => "DISC".to_string(),
                UKind::Ua => "UA".to_string(),
                UKind::Other(v) => format!("U {v:#04x}"),
            };
            format!("{k}{}", if pf { " P/F" } else { "" })
        }
    }
}

/// Turns a decoded SDCCH/SACCH frame (not fill, parsed by the carrier decoder) into an
/// observation, private octets masked unless the configuration reveals them.
pub(super) fn dedicated_obs(
    r: &CarrierRx,
    f: DecodedFrame,
    d: DedicatedFrame,
    (sample_index, time_s): (u64, f64),
    cfg: &GsmStageConfig,
) -> DedicatedObs {
    let lapdm = control_text(&d.control, d.more);
    // Private octets (crate::privacy): a segment is private past the message header (the
    // message is not known yet) or whole (it continues one); a whole message keeps what its
    // layout says is structure.
    let classes = crate::privacy::dedicated_classes(f.kind, &f.data, d.continuing);
    let sapi = d.sapi;
    let name = match &d.message {
        Some(m) => m.name(),
        None if lapdm.contains(" M") => format!("segment (SAPI {sapi})"),
        None => format!(
            "LAPDm {} (SAPI {sapi})",
            lapdm.split(' ').next().unwrap_or("")
        ),
    };
    let message = d.message.as_ref().map_or(Value::Null, |m| {
        masked_dedicated_json(m, cfg.reveal_identities)
    });
    let reveal = cfg.reveal_identities;
    DedicatedObs {
        sample_index,
        time_s,
        band: r.band,
        arfcn: r.arfcn,
        frame_number: f.first_fn,
        timeslot: f.timeslot,
        sub_channel: f.sub_channel,
        channel: format!("{:?}", f.kind).to_lowercase(),
        sapi,
        lapdm,
        name,
        l2_hex: cfg
            .include_hex
            .then(|| crate::privacy::hex(&f.data, &classes, reveal)),
        message,
        parsed: d.message,
        raw: f.data,
        masked: crate::privacy::apply(&f.data, &classes),
    }
}

/// A dedicated message as JSON, masked unless `reveal` ([`crate::privacy::message_json`]).
pub fn masked_dedicated_json(m: &Message, reveal: bool) -> Value {
    crate::privacy::message_json(m, reveal)
}

pub(super) fn is_system_info(m: &Message) -> bool {
    matches!(
        m,
        Message::Si1(_)
            | Message::Si2(_)
            | Message::Si2bis(_)
            | Message::Si2ter(_)
            | Message::Si2quater(_)
            | Message::Si3(_)
            | Message::Si4(_)
            | Message::Si13(_)
    )
}

/// The L2 frame of a BCCH/CCCH message as hex, private octets as `**` unless `reveal`
/// ([`crate::privacy::ccch_hex`]; the message is not needed: masking is decided from the frame).
pub fn frame_hex(data: &[u8; 23], _m: &Message, reveal: bool) -> String {
    crate::privacy::ccch_hex(data, reveal)
}

/// The message as JSON, masked unless `reveal` ([`crate::privacy::message_json`]).
pub fn masked_json(m: &Message, reveal: bool) -> Value {
    crate::privacy::message_json(m, reveal)
}

pub(super) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
