//! Detector 14: SIM-box / modem-pool uplink hotspot — see [`DOC`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use towerwatch_dsp::arfcn::{Band, Direction};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellKey, CellRegistry, MAX_CHANNELS};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "simbox_uplink",
    version: 2,
    default_weight: 4.0,
    summary: "Uplink hotspot: several GSM uplink channels busy and strong at once (SIM box, SMS blaster's modems)",
    false_positives: "Phones in calls next to the antenna; an uplink repeater; a GSM 850 downlink read as \
         E-GSM uplink.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** a hotspot of transmissions on the GSM *uplink* band (phones → base station): several
uplink channels at once whose average power over a spectrum interval (burst power × burst
density) stands far above the other uplink channels *and* that carry TDMA bursts at a high rate
(burst counting per 200 kHz channel, `towerwatch_dsp::activity`), or one such channel sustained
for minutes.
A SIM box or the mass-SMS transmitter's modem pool is a rack of phones next to the receiver
sending all the time on several channels; an ordinary phone sends on one channel, briefly. This
is the one detector that sees the transmitter by its own transmissions, with no downlink
decoding.

**Reference**: 3GPP TS 45.005 §2 (uplink bands: GSM 900 880–915 MHz, DCS 1800 1710–1785 MHz),
TS 45.002 §5.2 (bursts: 577 µs, access bursts on RACH).

**Thresholds** (`[simbox_uplink]`): `bands = ["egsm", "dcs1800"]` (uplink bands watched; GSM 850's
*downlink* overlaps E-GSM's uplink, so a GSM 850 country must drop "egsm"); a channel is hot when
its interval-average level is at least `min_snr_db = 12` above the floor and `min_above_reference_db
= 8` above the reference level, the lower quartile of the uplink channels in view (not the
median: a modem pool occupying half the channels in view would lift the median), and, where the
pipeline counted bursts (every capture with uplink channels in view), it carries at least
`min_bursts_per_s = 20` bursts a second and is busy at most `max_active_fraction = 0.95` of the
time (a continuous carrier is not a phone); fires with `min_hot_channels = 2` hot channels in the
same interval, or one hot channel for `sustained_s = 300`. Weight 4.0 (severity high on its own).
State: one counter per uplink channel and the last interval's burst counts, at most 4096 each.
Version 2: burst counting added (version 1 judged by power alone).

**Known false positives**: phones in calls right next to the antenna (one channel each: the
multi-channel rule covers one, a crowd in a room defeats it); a repeater or DAS amplifying the
uplink; a GPRS/EDGE data session next to the antenna (many bursts on one channel). A continuous
carrier in the uplink band (a GSM 850 downlink read as E-GSM uplink, an interferer) is no longer
one: its duty cycle is near 1.
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Uplink bands watched (band names).
    pub bands: Vec<String>,
    /// Interval-average level above the noise floor, dB.
    pub min_snr_db: f64,
    /// Above the reference (lower quartile of the uplink channels in view), dB.
    pub min_above_reference_db: f64,
    /// Hot channels in one interval that fire.
    pub min_hot_channels: usize,
    /// One hot channel for this long fires, s.
    pub sustained_s: f64,
    /// A hot channel carries at least this many bursts a second (when bursts were counted).
    pub min_bursts_per_s: f64,
    /// …and is busy at most this fraction of the time (above: a continuous carrier).
    pub max_active_fraction: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bands: vec!["egsm".into(), "dcs1800".into()],
            min_snr_db: 12.0,
            min_above_reference_db: 8.0,
            min_hot_channels: 2,
            sustained_s: 300.0,
            min_bursts_per_s: 20.0,
            max_active_fraction: 0.95,
        }
    }
}

/// Bursts per second and busy fraction of one uplink channel in one interval.
type Bursts = (f64, f64);

/// An uplink channel in view: band, uplink ARFCN, SNR (dB), burst counts if made.
type UplinkChannel = (Band, u16, f64, Option<Bursts>);

/// The detector.
pub struct SimboxUplink {
    weight: f64,
    cfg: Config,
    bands: Vec<Band>,
    /// Uplink channel (band, ARFCN) → stream time it became hot (continuously since).
    hot_since: BTreeMap<(Band, u16), f64>,
    /// The last burst count: (interval start, channel kHz → (bursts/s, busy fraction)).
    activity: Option<(u64, BTreeMap<u64, Bursts>)>,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    let Some((c, t)) = config_for::<Config>(cfg, ID)? else {
        return Ok(None);
    };
    let mut bands = Vec::new();
    for b in &t.bands {
        bands.push(
            Band::parse(b)
                .ok_or_else(|| ConfigError::Table(ID.into(), format!("unknown band '{b}'")))?,
        );
    }
    Ok(Some(Box::new(SimboxUplink {
        weight: c.weight,
        cfg: t,
        bands,
        hot_since: BTreeMap::new(),
        activity: None,
    })))
}

impl Detector for SimboxUplink {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        if let Observation::UplinkActivity(u) = obs {
            let map = u
                .active
                .iter()
                .take(MAX_CHANNELS)
                .map(|a| (khz(a.freq_hz), (a.bursts_per_s, a.active_fraction)))
                .collect();
            self.activity = Some((u.sample_index, map));
            return;
        }
        let Observation::Spectrum(s) = obs else {
            return;
        };
        // Burst counts of this same interval (sent just before it), if the pipeline made them.
        let activity = self
            .activity
            .as_ref()
            .filter(|(start, _)| *start == s.sample_index)
            .map(|(_, m)| m);
        let bursts = |f: f64| activity.map(|m| m.get(&khz(f)).copied().unwrap_or((0.0, 0.0)));
        // Uplink channels in view: (band, uplink ARFCN, snr, (bursts/s, busy fraction)).
        let mut ul: Vec<UplinkChannel> = Vec::new();
        for ch in &s.channels {
            for &b in &self.bands {
                if let Some(n) = b.arfcn_at(ch.freq_hz, Direction::Uplink) {
                    ul.push((b, n, ch.snr_db, bursts(ch.freq_hz)));
                    break;
                }
            }
        }
        if ul.len() < 3 {
            return;
        }
        let mut levels: Vec<f64> = ul.iter().map(|u| u.2).collect();
        levels.sort_by(f64::total_cmp);
        let med = levels[(levels.len() - 1) / 4];
        let now = reg.now_s();
        let bursty = |b: Option<(f64, f64)>| {
            b.is_none_or(|(rate, busy)| {
                rate >= self.cfg.min_bursts_per_s && busy <= self.cfg.max_active_fraction
            })
        };
        let hot: Vec<&UplinkChannel> = ul
            .iter()
            .filter(|u| {
                u.2 >= self.cfg.min_snr_db
                    && u.2 - med >= self.cfg.min_above_reference_db
                    && bursty(u.3)
            })
            .collect();
        self.hot_since
            .retain(|k, _| hot.iter().any(|h| (h.0, h.1) == *k));
        for h in &hot {
            if self.hot_since.len() < MAX_CHANNELS {
                self.hot_since.entry((h.0, h.1)).or_insert(s.time_s);
            }
        }
        let longest = self
            .hot_since
            .values()
            .map(|t0| now - t0)
            .fold(0.0, f64::max);
        if hot.len() < self.cfg.min_hot_channels && longest < self.cfg.sustained_s {
            return;
        }
        let Some(top) = hot.iter().max_by(|a, b| a.2.total_cmp(&b.2)) else {
            return;
        };
        let list: Vec<String> = hot
            .iter()
            .map(|h| match h.3 {
                Some((rate, _)) => format!("{} ({:.0} dB, {rate:.0} bursts/s)", h.1, h.2),
                None => format!("{} ({:.0} dB)", h.1, h.2),
            })
            .collect();
        let mut ev = vec![
            Evidence::test(
                "hot_uplink_channels",
                hot.len() as f64,
                ">=",
                self.cfg.min_hot_channels as f64,
            ),
            Evidence::test("strongest_snr_db", top.2, ">=", self.cfg.min_snr_db),
            Evidence::test(
                "above_reference_db",
                top.2 - med,
                ">=",
                self.cfg.min_above_reference_db,
            ),
            Evidence::value("hot_for_s", longest),
        ];
        if let Some((rate, busy)) = top.3 {
            ev.push(Evidence::test(
                "bursts_per_s",
                rate,
                ">=",
                self.cfg.min_bursts_per_s,
            ));
            ev.push(Evidence::test(
                "active_fraction",
                busy,
                "<=",
                self.cfg.max_active_fraction,
            ));
        }
        ev.push(Evidence::value("uplink_channels_in_view", ul.len() as f64));
        out.push(super::finding(
            self,
            self.weight,
            Severity::High,
            CellKey {
                band: top.0,
                arfcn: top.1,
                uplink: true,
                bsic: None,
                cgi: None,
                lte: None,
            },
            now,
            format!(
                "Something near the receiver transmits on {} GSM uplink channel{} at once, far \
                 above the other phones: uplink ARFCN {}. This is how a SIM box or an SMS \
                 blaster's modem pool looks.",
                hot.len(),
                if hot.len() == 1 { "" } else { "s" },
                list.join(", ")
            ),
            ev,
        ));
    }
}

fn khz(freq_hz: f64) -> u64 {
    (freq_hz / 1e3).round().max(0.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::*;
    use towerwatch_dsp::arfcn::Direction::Uplink;

    fn with(levels: &[(u16, f64)], secs: u32) -> Vec<Finding> {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let chans: Vec<_> = levels.iter().map(|&(a, s)| (BAND, a, Uplink, s)).collect();
        let obs: Vec<_> = (0..secs)
            .map(|k| spectrum(f64::from(k), 1.0, &chans))
            .collect();
        run(d.as_mut(), &mut CellRegistry::default(), &obs)
    }

    #[test]
    fn both_sides() {
        let quiet = [
            (16, 3.0),
            (17, 1.0),
            (18, 2.0),
            (19, 1.0),
            (20, 0.5),
            (21, 1.0),
        ];
        assert!(with(&quiet, 2).is_empty());
        let simbox = [
            (16, 3.0),
            (17, 22.0),
            (18, 2.0),
            (19, 21.0),
            (20, 0.5),
            (21, 20.0),
        ];
        let f = with(&simbox, 1);
        assert_eq!(f.len(), 1);
        assert!(f[0].cell.uplink);
        assert_eq!(f[0].cell.arfcn, 17);
        // One phone in a call: one channel, not for long.
        let call = [
            (16, 3.0),
            (17, 22.0),
            (18, 2.0),
            (19, 1.0),
            (20, 0.5),
            (21, 1.0),
        ];
        assert!(with(&call, 10).is_empty());
        // ... but for five minutes it fires.
        assert!(!with(&call, 302).is_empty());
        // Just under the level threshold.
        let weak = [
            (16, 3.0),
            (17, 11.5),
            (18, 2.0),
            (19, 11.5),
            (20, 0.5),
            (21, 1.0),
        ];
        assert!(with(&weak, 1).is_empty());
    }

    /// With burst counts: strong but continuous (a downlink in the uplink band) or too few
    /// bursts does not fire; bursty does.
    #[test]
    fn burst_counts_both_sides() {
        use crate::observation::{UplinkActivityObs, UplinkChannelActivity};
        let levels = [
            (16, 3.0),
            (17, 22.0),
            (18, 2.0),
            (19, 21.0),
            (20, 0.5),
            (21, 20.0),
        ];
        let run_with = |rate: f64, busy: f64| {
            let mut d = build(&DetectConfig::default()).unwrap().unwrap();
            let chans: Vec<_> = levels.iter().map(|&(a, s)| (BAND, a, Uplink, s)).collect();
            let sp = spectrum(0.0, 1.0, &chans);
            let Observation::Spectrum(s) = &sp else {
                unreachable!()
            };
            let act = Observation::UplinkActivity(UplinkActivityObs {
                sample_index: s.sample_index,
                time_s: s.time_s,
                duration_s: s.duration_s,
                channels_in_view: 6,
                active: [17u16, 19, 21]
                    .iter()
                    .map(|&a| UplinkChannelActivity {
                        band: BAND,
                        arfcn: a,
                        freq_hz: BAND.freq_hz(a, Uplink).unwrap(),
                        bursts: rate as u64,
                        bursts_per_s: rate,
                        active_fraction: busy,
                        mean_active_db: Some(20.0),
                    })
                    .collect(),
            });
            run(d.as_mut(), &mut CellRegistry::default(), &[act, sp.clone()])
        };
        let f = run_with(200.0, 0.12);
        assert_eq!(f.len(), 1);
        assert!(f[0].evidence.iter().any(|e| e.name == "bursts_per_s"));
        assert!(run_with(19.0, 0.02).is_empty(), "too few bursts");
        assert!(run_with(21.0, 0.02).len() == 1);
        assert!(run_with(1.0, 1.0).is_empty(), "a continuous carrier");
        assert!(run_with(200.0, 0.96).is_empty(), "busy all the time");
    }
}
