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
            RxEvent::Burst(b) => {
                let sample_index = b.sample_index;
                let pushed = r.dec.push(ev).is_some();
                // The decoder may have stopped following an idle SDCCH timeslot.
                if r.dec.timeslot_mask() != r.rx.timeslot_mask() {
                    r.rx.set_timeslot_mask(r.dec.timeslot_mask());
                }
                if !pushed {
                    continue;
                }
                for f in std::mem::take(&mut r.dec.frames) {
                    if matches!(f.kind, ChannelKind::Sdcch | ChannelKind::Sacch) {
                        let at = (start_index + sample_index, t(sample_index));
                        if let Some(obs) = dedicated_obs(r, &f, at, cfg) {
                            out.push(Observation::Dedicated(obs));
                        }
                        continue;
                    }
                    if l3::is_l2_fill(&f.data) {
                        // L2 fill frame, by its whole pattern: SI13 and SI2ter also start with a
                        // pseudo length of 0 (`01 06 00 …`) and are messages.
                        r.fill_frames += 1;
                        continue;
                    }
                    let parsed = l3::parse_ccch_frame(&f.data);
                    let message = match parsed {
                        Ok(m) => m,
                        Err(_) => {
                            r.l3_malformed += 1;
                            continue;
                        }
                    };
                    match &message {
                        Message::ImmediateAssignment(ia) if ia.dedicated_or_tbf & 0x01 == 0 => {
                            follow_assignment(r, &ia.channel);
                        }
                        Message::ImmediateAssignmentExtended(ia) => {
                            follow_assignment(r, &ia.channel1);
                            follow_assignment(r, &ia.channel2);
                        }
                        _ => {}
                    }
                    let system_info = is_system_info(&message);
                    let name = message.name();
                    let obs = MessageObs {
                        sample_index: r.start_index + sample_index,
                        time_s: t(sample_index),
                        band: r.band,
                        arfcn: r.arfcn,
                        frame_number: f.first_fn,
                        channel: format!("{:?}", f.kind).to_lowercase(),
                        name,
                        l2_hex: cfg
                            .include_hex
                            .then(|| crate::privacy::ccch_hex(&f.data, cfg.reveal_identities)),
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
            RxEvent::SchFailed { .. } => {}
        }
    }
    r.events = events;
}

/// Follows the channel an Immediate Assignment gives when the receiver can: SDCCH/8 on TS1–7 or
/// SDCCH/4 on TS0, on this carrier's ARFCN, without hopping. Counts the others by cause.
pub(super) fn follow_assignment(r: &mut CarrierRx, ch: &ChannelDescription) {
    let nf = &mut r.ded.not_followed;
    match ch.frequency {
        ChannelFrequency::Hopping { .. } => {
            nf.hopping += 1;
            return;
        }
        ChannelFrequency::Single { arfcn } if arfcn != r.arfcn => {
            nf.other_arfcn += 1;
            return;
        }
        ChannelFrequency::Single { .. } => {}
    }
    let combination = match ch.channel_type() {
        ChannelType::Sdcch8(_) if (1..8).contains(&ch.timeslot) => ChannelCombination::Sdcch8,
        ChannelType::Sdcch4(_) if ch.timeslot == 0 => ChannelCombination::BcchCcchSdcch4,
        ChannelType::TchF | ChannelType::TchH(_) => {
            nf.tch += 1;
            return;
        }
        _ => {
            nf.other += 1;
            return;
        }
    };
    if !r.dec.follow(ch.timeslot, combination) {
        nf.other += 1;
        return;
    }
    if ch.timeslot != 0 {
        r.rx.set_timeslot_tsc(ch.timeslot, Some(ch.tsc));
    }
    r.rx.set_timeslot_mask(r.dec.timeslot_mask());
    r.ded.assignments_followed += 1;
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

/// Turns a decoded SDCCH/SACCH frame into an observation (None for fill frames and frames that
/// do not parse, which are counted).
pub(super) fn dedicated_obs(
    r: &mut CarrierRx,
    f: &DecodedFrame,
    (sample_index, time_s): (u64, f64),
    cfg: &GsmStageConfig,
) -> Option<DedicatedObs> {
    let (sapi, lapdm, parsed, classes) = match f.kind {
        ChannelKind::Sacch => {
            let Ok(s) = l3::parse_sacch(&f.data) else {
                r.ded.malformed += 1;
                return None;
            };
            // Fill: no L3 message (a pseudo length of 0, or nothing but fill octets).
            if s.l3.first().is_none_or(|b| *b == 0x01) {
                r.ded.fill_frames += 1;
                return None;
            }
            let parsed = match l3::parse_block(ChannelKind::Sacch, &f.data) {
                Ok(m) => m,
                Err(_) => {
                    r.ded.malformed += 1;
                    return None;
                }
            };
            (
                s.sapi,
                control_text(&s.control, false),
                parsed,
                crate::privacy::dedicated_classes(f.kind, &f.data, false),
            )
        }
        _ => {
            let Ok(lf) = l3::parse_lapdm_b(&f.data) else {
                r.ded.malformed += 1;
                return None;
            };
            let text = control_text(&lf.control, lf.more);
            if matches!(
                lf.control,
                Control::U {
                    kind: UKind::Ui,
                    ..
                }
            ) && lf.payload.is_empty()
            {
                r.ded.fill_frames += 1;
                return None;
            }
            let continuing = r.reasm.pending(f.timeslot, f.sub_channel, lf.sapi);
            let l3_bytes = match lf.control {
                Control::I { .. } => match r.reasm.push(f.timeslot, f.sub_channel, &lf) {
                    Reassembly::Message(m) => Some(m),
                    Reassembly::Segment | Reassembly::Repeat | Reassembly::NoMessage => None,
                },
                _ if !lf.payload.is_empty() => Some(lf.payload.clone()),
                _ => None,
            };
            let parsed = match l3_bytes {
                Some(b) => match l3::parse_l3(&b, b.len()) {
                    Ok(m) => Some(m),
                    Err(_) => {
                        r.ded.malformed += 1;
                        None
                    }
                },
                None => None,
            };
            // Private octets (crate::privacy): a segment is private past the message header (the
            // message is not known yet) or whole (it continues one); a whole message keeps what
            // its layout says is structure.
            let continuing = continuing && matches!(lf.control, Control::I { .. });
            let classes = crate::privacy::dedicated_classes(f.kind, &f.data, continuing);
            (lf.sapi, text, parsed, classes)
        }
    };
    r.ded.frames += 1;
    if matches!(parsed, Some(Message::ChannelRelease { .. })) {
        // The sub-channel is free again: drop what its links were collecting.
        r.reasm.reset(f.timeslot, f.sub_channel);
    }
    let name = match &parsed {
        Some(m) => m.name(),
        None if lapdm.contains(" M") => format!("segment (SAPI {sapi})"),
        None => format!(
            "LAPDm {} (SAPI {sapi})",
            lapdm.split(' ').next().unwrap_or("")
        ),
    };
    let message = parsed.as_ref().map_or(Value::Null, |m| {
        masked_dedicated_json(m, cfg.reveal_identities)
    });
    let reveal = cfg.reveal_identities;
    Some(DedicatedObs {
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
        parsed,
        raw: f.data,
        masked: crate::privacy::apply(&f.data, &classes),
    })
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
