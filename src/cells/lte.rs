//! LTE cells in the registry: one per (downlink EARFCN, PCI), built from
//! [`Observation::LteCell`](crate::observation::Observation::LteCell).
//!
//! Memory bounds: at most [`super::MAX_CELLS`] LTE cells (least recently seen dropped), each with
//! [`super::HISTORY_LEN`] measurement and frequency-offset samples.

use std::collections::VecDeque;
use std::fmt;

use serde::{Deserialize, Serialize};
use towerwatch_dsp::lte::params::{CyclicPrefix, Duplex};

use super::{OffsetSample, offset_summary, push_bounded};
use crate::observation::lte::{LteCellObs, LteMibObs, LteSib1Obs};

/// What identifies an LTE cell on the air: its downlink channel and physical cell identity.
/// (The global identity, ECGI, comes with SIB1.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LteCellId {
    /// Downlink EARFCN (a carrier off every tabled band is not registered).
    pub earfcn: u32,
    /// Physical cell identity (0–503).
    pub pci: u16,
}

impl LteCellId {
    /// The identity an observation is about (None off every tabled band: no EARFCN to key by).
    pub fn of(o: &LteCellObs) -> Option<LteCellId> {
        Some(LteCellId {
            earfcn: o.earfcn?,
            pci: o.pci,
        })
    }
}

impl LteCellId {
    /// Parse `lte:EARFCN:PCI` (e.g. `lte:1750:86`; PCI 0–503).
    pub fn parse(s: &str) -> Option<LteCellId> {
        let rest = s.trim().strip_prefix("lte:")?;
        let (earfcn, pci) = rest.split_once(':')?;
        let id = LteCellId {
            earfcn: earfcn.parse().ok()?,
            pci: pci.parse().ok()?,
        };
        (id.pci < 504).then_some(id)
    }
}

impl fmt::Display for LteCellId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LTE EARFCN {} PCI {}", self.earfcn, self.pci)
    }
}

/// One measurement of an LTE cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LteSample {
    /// Stream time.
    pub time_s: f64,
    /// RSRP, dBFS per resource element.
    pub rsrp_dbfs: f64,
    /// RSRQ, dB.
    pub rsrq_db: Option<f64>,
    /// SINR, dB.
    pub sinr_db: Option<f64>,
}

/// Everything known about one LTE cell.
#[derive(Debug, Clone, Serialize)]
pub struct LteCell {
    /// Channel and PCI.
    pub id: LteCellId,
    /// E-UTRA band of the EARFCN.
    pub band: Option<u8>,
    /// Nominal downlink frequency.
    pub dl_freq_hz: f64,
    /// FDD or TDD.
    pub duplex: Duplex,
    /// Cyclic prefix.
    pub cyclic_prefix: CyclicPrefix,
    /// First observation (stream time).
    pub first_seen_s: f64,
    /// Latest observation (stream time).
    pub last_seen_s: f64,
    /// Observations of this cell.
    pub sightings: u64,
    /// Latest MIB.
    pub mib: Option<LteMibObs>,
    /// Latest SIB1 (decoded when the capture carries the cell's bandwidth).
    pub sib1: Option<LteSib1Obs>,
    /// Measurement history.
    pub measurements: VecDeque<LteSample>,
    /// Frequency-offset history (ppm of the carrier, receiver error included).
    pub offsets: VecDeque<OffsetSample>,
}

impl LteCell {
    fn new(id: LteCellId, o: &LteCellObs) -> LteCell {
        LteCell {
            id,
            band: o.band,
            dl_freq_hz: o.dl_freq_hz,
            duplex: o.duplex,
            cyclic_prefix: o.cyclic_prefix,
            first_seen_s: o.time_s,
            last_seen_s: o.time_s,
            sightings: 0,
            mib: None,
            sib1: None,
            measurements: VecDeque::new(),
            offsets: VecDeque::new(),
        }
    }

    /// Take one observation of this cell into account.
    pub(super) fn observe(&mut self, o: &LteCellObs) {
        self.first_seen_s = self.first_seen_s.min(o.time_s);
        self.last_seen_s = self.last_seen_s.max(o.time_s);
        self.sightings += 1;
        self.duplex = o.duplex;
        self.cyclic_prefix = o.cyclic_prefix;
        if o.mib.is_some() {
            self.mib.clone_from(&o.mib);
        }
        if o.sib1.is_some() {
            self.sib1.clone_from(&o.sib1);
        }
        if let Some(rsrp) = o.rsrp_dbfs.filter(|v| v.is_finite()) {
            push_bounded(
                &mut self.measurements,
                LteSample {
                    time_s: o.time_s,
                    rsrp_dbfs: rsrp,
                    rsrq_db: o.rsrq_db,
                    sinr_db: o.sinr_db,
                },
            );
        }
        // Only CRS-measured offsets (with an uncertainty) are kept: the search grid's value
        // alone is ±3.75 kHz.
        if let (Some(ppm), Some(unc)) = (o.freq_offset_ppm, o.uncertainty_ppm)
            && ppm.is_finite()
            && unc.is_finite()
        {
            push_bounded(
                &mut self.offsets,
                OffsetSample {
                    time_s: o.time_s,
                    offset_ppm: ppm,
                    uncertainty_ppm: unc,
                },
            );
        }
    }

    /// Median of the recent frequency offsets (ppm), its 1σ uncertainty (ppm) and the number
    /// of readings.
    pub fn offset_ppm(&self) -> Option<(f64, f64, usize)> {
        offset_summary(&self.offsets)
    }

    /// Median RSRP of the recent measurements, dBFS.
    pub fn rsrp_dbfs(&self) -> Option<f64> {
        let mut v: Vec<f64> = self.measurements.iter().map(|m| m.rsrp_dbfs).collect();
        super::median(&mut v)
    }

    /// The key findings about this cell carry.
    pub fn key(&self) -> super::CellKey {
        super::CellKey::lte_cell(self.id)
    }
}

/// Create or update the cell an observation is about; `max` bounds the map (least recently
/// seen dropped first).
pub(super) fn update(
    cells: &mut std::collections::BTreeMap<LteCellId, LteCell>,
    o: &LteCellObs,
    max: usize,
) {
    let Some(id) = LteCellId::of(o) else { return };
    if !cells.contains_key(&id) && cells.len() >= max {
        let oldest = cells
            .iter()
            .min_by(|a, b| a.1.last_seen_s.total_cmp(&b.1.last_seen_s))
            .map(|(k, _)| *k);
        if let Some(k) = oldest {
            cells.remove(&k);
        }
    }
    cells
        .entry(id)
        .or_insert_with(|| LteCell::new(id, o))
        .observe(o);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cells::{CellKey, CellRegistry};
    use crate::observation::Observation;
    use towerwatch_dsp::arfcn::Band;

    pub(crate) fn obs(earfcn: Option<u32>, pci: u16, time_s: f64, ppm: f64) -> LteCellObs {
        LteCellObs {
            sample_index: (time_s * 1.92e6) as u64,
            time_s,
            block_s: 1.0,
            earfcn,
            band: Some(3),
            dl_freq_hz: 1860e6,
            pci,
            duplex: Duplex::Fdd,
            cyclic_prefix: CyclicPrefix::Normal,
            mib: None,
            rsrp_dbfs: Some(-60.0),
            rsrq_db: Some(-12.0),
            sinr_db: Some(3.0),
            freq_offset_hz: ppm * 1860.0,
            freq_offset_ppm: Some(ppm),
            uncertainty_hz: Some(18.6),
            uncertainty_ppm: Some(0.01),
            sample_clock_ppm: None,
            sib1: None,
        }
    }

    #[test]
    fn registry_keeps_lte_cells_by_earfcn_and_pci() {
        let mut reg = CellRegistry::default();
        for (t, pci) in [(0.5, 142), (0.6, 86), (1.5, 142)] {
            reg.update(&Observation::LteCell(obs(Some(1750), pci, t, -22.5)));
        }
        // Off every band: no EARFCN to key by, not registered.
        reg.update(&Observation::LteCell(obs(None, 7, 2.0, 0.0)));
        let ids: Vec<LteCellId> = reg.lte_cells().map(|c| c.id).collect();
        assert_eq!(
            ids,
            vec![
                LteCellId {
                    earfcn: 1750,
                    pci: 86
                },
                LteCellId {
                    earfcn: 1750,
                    pci: 142
                }
            ]
        );
        let c = reg
            .lte_cell(LteCellId {
                earfcn: 1750,
                pci: 142,
            })
            .unwrap();
        assert_eq!((c.first_seen_s, c.last_seen_s, c.sightings), (0.5, 1.5, 2));
        let (ppm, sigma, n) = c.offset_ppm().unwrap();
        assert_eq!((ppm, n), (-22.5, 2));
        assert!(sigma > 0.0 && sigma < 0.01);
        assert_eq!(c.rsrp_dbfs(), Some(-60.0));
        assert_eq!(reg.now_s(), 2.0);
        assert_eq!(reg.cells().count(), 0, "no GSM cell from LTE observations");
    }

    #[test]
    fn gsm_keys_serialise_as_before_and_lte_keys_name_only_the_lte_cell() {
        let gsm = CellKey::carrier(Band::EGsm900, 21);
        assert_eq!(
            serde_json::to_string(&gsm).unwrap(),
            r#"{"band":"e-gsm900","arfcn":21}"#
        );
        let id = LteCellId {
            earfcn: 1750,
            pci: 142,
        };
        let lte = CellKey::lte_cell(id);
        let text = serde_json::to_string(&lte).unwrap();
        assert_eq!(text, r#"{"lte":{"earfcn":1750,"pci":142}}"#);
        assert_eq!(serde_json::from_str::<CellKey>(&text).unwrap(), lte);
        assert_eq!(
            serde_json::from_str::<CellKey>(r#"{"band":"e-gsm900","arfcn":21}"#).unwrap(),
            gsm
        );
        assert!(serde_json::from_str::<CellKey>(r#"{"bsic":3}"#).is_err());
        assert_eq!(lte.to_string(), "LTE EARFCN 1750 PCI 142");
        assert_eq!(LteCellId::parse("lte:1750:142"), Some(id));
        for bad in [
            "1750:142",
            "lte:1750",
            "lte:1750:504",
            "lte:x:1",
            "lte:1750:-1",
        ] {
            assert_eq!(LteCellId::parse(bad), None, "{bad}");
        }
        assert_ne!(lte.carrier_id(), gsm.carrier_id());
        assert_ne!(
            lte.carrier_id(),
            CellKey::lte_cell(LteCellId {
                earfcn: 1750,
                pci: 86
            })
            .carrier_id()
        );
    }
}
