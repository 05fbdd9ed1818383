//! Every masking rule for subscriber data, for every sink: listings (`decode-bursts`, `l2_hex`),
//! JSON (observations, evidence), frames (GSMTAP, pcap, evidence `frames.pcap`, reports).
//!
//! Deny by default: which octets of a frame are kept is decided by
//! [`towerwatch_dsp::gsm::l3::privacy`] (a message not known to be free of subscriber data is
//! masked past its header, and every Mobile Identity — IMSI, IMEI, IMEISV, TMSI, P-TMSI — has its
//! digits masked wherever a known message carries one). Masked frames keep their L2 header, IE
//! tags and lengths and the identity type bits, so they still dissect. In JSON, identities print
//! in their masked form (`TMSI 0x****F93F`, `IMSI XXXXXXXXXXXXX21`) and SMS text and addresses as
//! `[masked: N characters]` ([`Message::mask_private`]). `--reveal-identities` turns all of this off.

use serde_json::Value;
use towerwatch_dsp::gsm::coding::ChannelKind;
use towerwatch_dsp::gsm::l3::Message;
use towerwatch_dsp::gsm::l3::privacy::{self, Octet};

pub use towerwatch_dsp::gsm::l3::privacy::SegmentTracker;

/// The classes of the octets of a BCCH/CCCH frame (pseudo-length octet first).
pub fn ccch_classes(frame: &[u8; 23]) -> [Octet; 23] {
    privacy::classify_ccch_frame(frame)
}

/// A BCCH/CCCH frame as written to a sink that is not told to reveal identities.
pub fn mask_ccch_frame(frame: &[u8; 23]) -> [u8; 23] {
    privacy::apply(frame, &ccch_classes(frame))
}

/// A BCCH/CCCH frame as a sink writes it: masked unless `reveal`.
pub fn ccch_frame_out(frame: &[u8; 23], reveal: bool) -> [u8; 23] {
    if reveal {
        *frame
    } else {
        mask_ccch_frame(frame)
    }
}

/// The classes of the octets of a dedicated (SDCCH/SACCH) frame; `continuing` when it continues
/// a segmented message of its link.
pub fn dedicated_classes(kind: ChannelKind, frame: &[u8; 23], continuing: bool) -> [Octet; 23] {
    privacy::classify_dedicated_frame(kind, frame, continuing)
}

/// `frame` masked according to `classes`.
pub fn apply(frame: &[u8; 23], classes: &[Octet; 23]) -> [u8; 23] {
    privacy::apply(frame, classes)
}

/// A frame as hex for listings: every octet not kept by `classes` is shown as `**`, unless
/// `reveal`.
pub fn hex(frame: &[u8; 23], classes: &[Octet; 23], reveal: bool) -> String {
    frame
        .iter()
        .zip(classes)
        .map(|(b, c)| {
            if reveal || c.is_kept() {
                format!("{b:02x}")
            } else {
                "**".to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A BCCH/CCCH frame as hex for listings (masked unless `reveal`).
pub fn ccch_hex(frame: &[u8; 23], reveal: bool) -> String {
    hex(frame, &ccch_classes(frame), reveal)
}

/// The message as JSON: unless `reveal`, SMS text and addresses are masked
/// ([`Message::mask_private`]) and every mobile identity is replaced by its masked form.
pub fn message_json(m: &Message, reveal: bool) -> Value {
    if reveal {
        return serde_json::to_value(m).unwrap_or(Value::Null);
    }
    let mut m = m.clone();
    m.mask_private();
    mask_value(serde_json::to_value(&m).unwrap_or(Value::Null))
}

/// Any JSON as it may leave the machine (the MQTT wire): every mobile identity in the shapes
/// [`message_json`] writes (`{"Imsi": …}`, `tmsi1`, `tmsi: […]`) replaced by its masked form, and
/// every `text` string (SMS user data) by `[masked: N characters]`.
pub fn mask_json(v: Value) -> Value {
    mask_text(mask_value(v))
}

fn mask_text(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("text", Value::String(t)) if !t.starts_with("[masked") => {
                            Value::String(format!("[masked: {} characters]", t.chars().count()))
                        }
                        (_, v) => mask_text(v),
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(mask_text).collect()),
        other => other,
    }
}

fn mask_value(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            if map.len() == 1
                && let Some((k, inner)) = map.iter().next()
            {
                let kind = k.as_str();
                if matches!(kind, "Imsi" | "Imei" | "Imeisv" | "Tmsi") {
                    return Value::String(mask_identity(kind, inner));
                }
            }
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        // Paging Request 2/3 carry bare TMSIs (`tmsi1`, `tmsi2`, `tmsi: [..]`).
                        let v = match (k.as_str(), v) {
                            ("tmsi1" | "tmsi2", n @ Value::Number(_)) => {
                                Value::String(mask_identity("Tmsi", &n))
                            }
                            ("tmsi", Value::Array(a)) => Value::Array(
                                a.into_iter()
                                    .map(|n| Value::String(mask_identity("Tmsi", &n)))
                                    .collect(),
                            ),
                            (_, v) => mask_value(v),
                        };
                        (k, v)
                    })
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.into_iter().map(mask_value).collect()),
        other => other,
    }
}

fn mask_identity(kind: &str, inner: &Value) -> String {
    match (kind, inner) {
        ("Tmsi", Value::Number(n)) => {
            let t = n.as_u64().unwrap_or(0);
            format!("TMSI 0x****{:04X}", t & 0xffff)
        }
        (_, Value::String(d)) => {
            let keep = d.len().min(2);
            let tail = d.get(d.len() - keep..).unwrap_or("");
            format!(
                "{} {}{tail}",
                kind.to_uppercase(),
                "X".repeat(d.len() - keep)
            )
        }
        _ => format!("{} (masked)", kind.to_uppercase()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn json_for_the_wire_is_masked_wherever_an_identity_sits() {
        let v = serde_json::json!({
            "alert": {"evidence": [{"Imsi": "262011234567890"}, {"Tmsi": 0x1234_abcd_u64}]},
            "paging": {"tmsi1": 0x0102_0304_u64, "tmsi": [7, 8]},
            "sms": {"text": "meet at 5"},
            "count": 3
        });
        let m = mask_json(v).to_string();
        for clear in ["262011234567890", "meet at 5", "305419896", "16909060"] {
            assert!(!m.contains(clear), "{clear} in {m}");
        }
        assert!(m.contains("IMSI XXXXXXXXXXXXX90"), "{m}");
        assert!(m.contains("[masked: 9 characters]"), "{m}");
        assert!(m.contains("\"count\":3"), "{m}");
    }

    #[test]
    fn unknown_ccch_message_masked_past_header() {
        let mut f = [0x2bu8; 23];
        f[..8].copy_from_slice(&[0x1d, 0x06, 0x32, 0x07, 0x05, 0xf4, 0x12, 0x34]);
        let h = ccch_hex(&f, false);
        assert!(h.starts_with("1d 06 32 ** ** ** ** **"), "{h}");
        assert!(ccch_hex(&f, true).contains("f4 12 34"));
    }
}
