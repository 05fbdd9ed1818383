//! SDCCH/8 end to end: the scene generator serves the sub-channels its Immediate Assignments name
//! (an SMS blaster in clear, a network that ciphers); the receiver follows the assigned timeslot
//! and the block decoder gives the frames back byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use towerwatch_dsp::Complex32;
use towerwatch_dsp::arfcn::{Band, Direction};
use towerwatch_dsp::gsm::coding::{ChannelCombination, ChannelKind};
use towerwatch_dsp::gsm::l3::{
    self, ChannelFrequency, ChannelType, Message, Reassembler, Reassembly, RpMessage, Tpdu,
};
use towerwatch_dsp::gsm::rx::{BlockDecoder, DecodedFrame, Receiver, RxConfig, RxEvent};
use towerwatch_dsp::gsm::synth::{
    BcchFrames, CcchLoad, CellConfig, DedicatedBehaviour, DedicatedConfig, Physics, Scene,
    SceneConfig,
};

const TEXT: &str = "Your parcel is on hold. Pay 1.99 EUR fee: http://dhl-post.example/p";
const RATE: f64 = 600_000.0;

fn scene(behaviour: DedicatedBehaviour) -> SceneConfig {
    let arfcn = 21;
    SceneConfig {
        sample_rate_sps: RATE,
        center_freq_hz: Band::PGsm900.freq_hz(arfcn, Direction::Downlink).unwrap(),
        rx_ppm: 0.0,
        snr_db: Some(22.0),
        reference_amplitude: Some(0.25),
        seed: 11,
        cells: vec![CellConfig {
            name: "c".into(),
            band: Band::PGsm900,
            arfcn,
            bsic: 5 << 3 | 2,
            start_fn: 2_447_985,
            bcch: BcchFrames::default(),
            ccch: CcchLoad {
                immediate_assignment_per_s: 3.0,
                mcc: 262,
                mnc: 1,
                ..CcchLoad::default()
            },
            traffic_timeslots: vec![3],
            dedicated: DedicatedConfig {
                sdcch8_timeslots: vec![1],
                behaviour,
                lac: 7777,
                sms_sender: "DHL".into(),
                sms_text: TEXT.into(),
            },
            physics: Physics::default(),
        }],
        emitters: vec![],
    }
}

struct Run {
    /// Decoded SDCCH/SACCH frames.
    dedicated: Vec<DecodedFrame>,
    /// First frame number after which TS1 was followed.
    followed_from: Option<u32>,
    dec: BlockDecoder,
    scene: Scene,
}

/// Generates `seconds` of the scene and decodes it as the app does: TS0 only, until an
/// Immediate Assignment names an SDCCH/8 on this ARFCN; then that timeslot too.
fn run(cfg: &SceneConfig, seconds: f64) -> Run {
    let mut scene = Scene::new(cfg).unwrap();
    let mut rc = RxConfig::new(RATE, 0.0);
    rc.timeslot_mask = 0x01;
    let mut rx = Receiver::new(rc).unwrap();
    let mut dec = BlockDecoder::new(false);
    let mut events = Vec::new();
    let mut buf = vec![Complex32::new(0.0, 0.0); 1 << 16];
    let mut left = (seconds * RATE) as usize;
    let mut dedicated = Vec::new();
    let mut followed_from = None;
    while left > 0 {
        let n = left.min(buf.len());
        scene.fill(&mut buf[..n]);
        left -= n;
        events.clear();
        rx.process(&buf[..n], &mut events);
        if left == 0 {
            rx.flush(&mut events);
        }
        for ev in &events {
            let fn_now = match ev {
                RxEvent::Burst(b) => b.frame_number,
                _ => 0,
            };
            dec.push(ev);
            for f in std::mem::take(&mut dec.frames) {
                match f.kind {
                    ChannelKind::Sdcch | ChannelKind::Sacch => dedicated.push(f),
                    _ => {
                        if let Ok(Message::ImmediateAssignment(ia)) = l3::parse_ccch_frame(&f.data)
                            && let ChannelType::Sdcch8(_) = ia.channel.channel_type()
                            && ia.channel.frequency == (ChannelFrequency::Single { arfcn: 21 })
                        {
                            assert!(dec.follow(ia.channel.timeslot, ChannelCombination::Sdcch8));
                            rx.set_timeslot_tsc(ia.channel.timeslot, Some(ia.channel.tsc));
                            rx.set_timeslot_mask(dec.timeslot_mask());
                            followed_from.get_or_insert(fn_now);
                        }
                    }
                }
            }
        }
    }
    dec.finish();
    Run {
        dedicated,
        followed_from,
        dec,
        scene,
    }
}

/// Reassembles and parses the decoded SDCCH frames per sub-channel, in order.
fn messages(frames: &[DecodedFrame]) -> BTreeMap<u8, Vec<Message>> {
    let mut r = Reassembler::new();
    let mut out: BTreeMap<u8, Vec<Message>> = BTreeMap::new();
    for f in frames.iter().filter(|f| f.kind == ChannelKind::Sdcch) {
        let lf = l3::parse_lapdm_b(&f.data).unwrap();
        let bytes = match r.push(f.timeslot, f.sub_channel, &lf) {
            Reassembly::Message(m) => m,
            Reassembly::NoMessage if !lf.payload.is_empty() => lf.payload.clone(),
            _ => continue,
        };
        let m = l3::parse_l3(&bytes, bytes.len()).unwrap();
        out.entry(f.sub_channel).or_default().push(m);
    }
    out
}

#[test]
fn sms_blaster_dialogue_comes_back_byte_for_byte() {
    let r = run(&scene(DedicatedBehaviour::SmsBlaster), 4.5);
    let from = r.followed_from.expect("no Immediate Assignment decoded");
    let sent = r.scene.dedicated_sent().remove(0);
    assert!(!sent.is_empty());
    let sdcch: Vec<&DecodedFrame> = r
        .dedicated
        .iter()
        .filter(|f| f.kind == ChannelKind::Sdcch)
        .collect();
    // Every decoded frame is one the cell sent, on the same timeslot, sub-channel and frame.
    for f in &sdcch {
        assert!(
            sent.iter().any(|s| s.first_fn == f.first_fn
                && s.timeslot == f.timeslot
                && s.sub_channel == f.sub_channel
                && s.data == f.data),
            "decoded frame not sent: {f:?}"
        );
    }
    // And (nearly) every frame sent after the timeslot was followed came back.
    let after: Vec<_> = sent
        .iter()
        .filter(|s| s.first_fn > from + 51 && s.first_fn + 4 < r.scene_last_fn())
        .collect();
    assert!(after.len() > 20, "{}", after.len());
    let got = after
        .iter()
        .filter(|s| {
            sdcch
                .iter()
                .any(|f| f.first_fn == s.first_fn && f.data == s.data)
        })
        .count();
    assert!(got * 100 >= after.len() * 95, "{got} of {}", after.len());
    assert!(r.dec.dedicated.blocks_ok as usize >= got);
    assert_eq!(r.dec.dedicated.blocks_failed, 0);
    assert!(r.dec.dedicated.blocks_idle > 0);

    // The dialogue: Identity Request, Location Updating Accept, the SMS, CP-ACK, Channel Release.
    let msgs = messages(&r.dedicated);
    let all: Vec<&Message> = msgs.values().flatten().collect();
    assert!(all.contains(&&Message::IdentityRequest { identity_type: 1 }));
    assert!(all.contains(&&Message::ChannelRelease { cause: 0 }));
    assert!(all.contains(&&Message::CpAck { transaction_id: 0 }));
    assert!(
        all.iter()
            .any(|m| matches!(m, Message::LocationUpdatingAccept(a) if a.lai.lac == 7777))
    );
    let sms: Vec<_> = all
        .iter()
        .filter_map(|m| match m {
            Message::CpData(d) => match &d.rp {
                RpMessage::Data {
                    tpdu: Tpdu::Deliver(s),
                    ..
                } => Some(s.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert!(!sms.is_empty(), "no SMS-DELIVER among {all:?}");
    for s in &sms {
        assert_eq!(s.text, TEXT);
        assert_eq!(s.originator.value, "DHL");
        assert!(s.originator.is_alphanumeric());
    }
    // Masked, the text and the sender are gone from the JSON and from Display.
    let mut m = all
        .iter()
        .find(|m| matches!(m, Message::CpData(_)))
        .map(|m| (*m).clone())
        .unwrap();
    assert!(format!("{m:?}").contains("parcel"));
    m.mask_private();
    let json = format!("{m:?}");
    assert!(!json.contains("parcel") && !json.contains("DHL"), "{json}");
    assert!(!sms[0].to_string().contains("parcel"));
    // The generator counted what it did.
    let c = r.scene.cell_counters()[0];
    assert!(c.sdcch_dialogues >= 3, "{c:?}");
    assert_eq!(c.sdcch_ciphered_blocks, 0);
}

#[test]
fn normal_cell_ciphers_after_the_ciphering_mode_command() {
    let r = run(&scene(DedicatedBehaviour::Normal), 3.0);
    assert!(r.followed_from.is_some());
    let msgs = messages(&r.dedicated);
    let all: Vec<&Message> = msgs.values().flatten().collect();
    assert!(
        all.iter().any(|m| matches!(
            m,
            Message::CipheringModeCommand(c) if c.algorithm == Some(1) && c.start_ciphering
        )),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|m| matches!(m, Message::AuthenticationRequest(_)))
    );
    // After the command nothing is readable: only failed blocks, no MM/SMS content.
    for m in &all {
        assert!(
            matches!(
                m,
                Message::CipheringModeCommand(_)
                    | Message::AuthenticationRequest(_)
                    | Message::LocationUpdatingRequest(_)
            ),
            "readable after ciphering: {m:?}"
        );
    }
    assert!(r.dec.dedicated.blocks_failed > 0);
    let c = r.scene.cell_counters()[0];
    assert!(c.sdcch_ciphered_blocks > 0);
}

impl Run {
    /// Frame number of the last SDCCH frame sent.
    fn scene_last_fn(&self) -> u32 {
        self.scene
            .dedicated_sent()
            .first()
            .and_then(|v| v.last())
            .map_or(0, |s| s.first_fn)
    }
}

/// The same blaster through [`CarrierDecoder`], which does on its own what `run` does by hand:
/// it follows the SDCCH/8 the Immediate Assignments name, reassembles the segmented SMS and
/// parses every dedicated message, with nothing malformed.
#[test]
fn carrier_decoder_follows_the_assignment_and_reassembles_the_sms() {
    use towerwatch_dsp::gsm::rx::carrier::{CarrierDecoder, FrameContent};
    let cfg = scene(DedicatedBehaviour::SmsBlaster);
    let mut scene = Scene::new(&cfg).unwrap();
    let mut rc = RxConfig::new(RATE, 0.0);
    rc.timeslot_mask = 0x01;
    let mut cd = CarrierDecoder::new(Receiver::new(rc).unwrap(), 21);
    let mut buf = vec![Complex32::new(0.0, 0.0); 1 << 16];
    let mut left = (4.5 * RATE) as usize;
    let (mut events, mut frames) = (Vec::new(), Vec::new());
    while left > 0 {
        let n = left.min(buf.len());
        scene.fill(&mut buf[..n]);
        left -= n;
        events.clear();
        cd.process(&buf[..n], &mut events);
        for ev in &events {
            cd.decode(ev, &mut frames);
        }
    }
    cd.finish();
    let c = cd.counts();
    assert!(c.assignments_followed >= 1, "{c:?}");
    assert_eq!(c.dedicated_malformed, 0, "{c:?}");
    assert_eq!(c.l3_malformed, 0, "{c:?}");
    let dedicated: Vec<&Message> = frames
        .iter()
        .filter_map(|f| match &f.content {
            FrameContent::Dedicated(d) => d.message.as_ref(),
            FrameContent::Common(_) => None,
        })
        .collect();
    assert!(dedicated.contains(&&Message::IdentityRequest { identity_type: 1 }));
    assert!(dedicated.contains(&&Message::ChannelRelease { cause: 0 }));
    let sms = dedicated.iter().any(|m| {
        matches!(m, Message::CpData(d) if matches!(&d.rp,
            RpMessage::Data { tpdu: Tpdu::Deliver(s), .. } if s.text == TEXT))
    });
    assert!(sms, "the SMS did not come back whole");
    assert!(cd.reassembly().0 >= 1, "no segmented message reassembled");
    // The common channel went through it too: system information and the assignments.
    assert!(frames.iter().any(|f| matches!(
        f.content,
        FrameContent::Common(Message::ImmediateAssignment(_))
    )));
    assert!(cd.blocks_ok() > 0 && cd.dedicated_blocks().blocks_ok > 0);
}
