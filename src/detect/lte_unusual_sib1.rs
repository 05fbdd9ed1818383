//! LTE detector: SIB1 settings that widen a cell's reach or push phones off LTE — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellRegistry, LteCellId};
use crate::observation::Observation;
use crate::observation::lte::LteSib1Fields;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "lte_unusual_sib1",
    version: 1,
    default_weight: 2.0,
    summary: "LTE cell's SIB1: q-RxLevMin at the −140 dBm floor with another trick, or a barred/reserved \
              pattern that pushes phones off the frequency",
    false_positives: "Rural or coverage-extension cells configured with q-RxLevMin −140 dBm and a minimal SI \
         schedule; cells barred for maintenance with intraFreqReselection notAllowed; operator test cells \
         reserved for operator use.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** an LTE cell whose SIB1 (decoded by the LTE stage) holds one of these patterns:

1. **q-RxLevMin at the floor** (`q_rx_lev_min_dbm` ≤ `floor_dbm`, −140 dBm: the IE's lowest
   value, −70) **together with another trick**: a schedulingInfoList naming fewer than
   `min_named_sibs` SIBs besides SIB2, intraFreqReselection notAllowed, or a q-RxLevMin at least
   `below_others_db` below that of the other cells on the same EARFCN whose SIB1 was decoded. A
   floor q-RxLevMin lets every phone that can hear the cell at all select it (the S-criterion
   `Srxlev = Qrxlevmeas − Qrxlevmin − … > 0` always holds), which is what a capture cell wants;
   alone it is an ordinary coverage setting, hence the second condition.
2. **Barred with intraFreqReselection notAllowed**: a phone that finds the cell barred may then
   not reselect any cell on that frequency for up to 300 s, so the phones nearby leave the
   frequency — towards other frequencies or, where a fake GSM cell is louder, to 2G.
3. **Reserved for operator use on every PLMN while not barred**: ordinary phones treat the cell
   as barred (the same push), a setting meant for operator test cells.

**Reference**: 3GPP TS 36.331 §6.2.2 (SystemInformationBlockType1: `q-RxLevMin`, `cellBarred`,
`intraFreqReselection`, `cellReservedForOperatorUse`, `schedulingInfoList`), §6.3.4
(`Q-RxLevMin`: −70 … −22, × 2 dBm); TS 36.304 §5.2.3.2 (S-criterion), §5.3.1 (barred and reserved
cells; 300 s).

**Thresholds** (`[lte_unusual_sib1]`): `floor_dbm = -140`, `min_named_sibs = 2`,
`below_others_db = 10` (real cells of one network use one or two values, e.g. −128 and −124 dBm
here). The real cells here (−128 and −124 dBm, not barred, three and two SIBs named) do not fire.
Weight 2.0, severity low alone.

**Known false positives**: rural or coverage-extension cells set to −140 dBm that also announce
few SIBs (no neighbours); cells barred for maintenance with intraFreqReselection notAllowed;
operator test cells reserved for operator use.
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// q-RxLevMin at or below this (dBm) is "at the floor".
    pub floor_dbm: i16,
    /// A SIB1 naming fewer SIBs than this counts as a trick beside the floor.
    pub min_named_sibs: usize,
    /// q-RxLevMin this far below every other decoded cell on the EARFCN counts as a trick.
    pub below_others_db: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            floor_dbm: -140,
            min_named_sibs: 2,
            below_others_db: 10.0,
        }
    }
}

/// The detector.
pub struct LteUnusualSib1 {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(LteUnusualSib1 {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl LteUnusualSib1 {
    /// The patterns that hold (name, evidence), given the highest q-RxLevMin among the other
    /// decoded cells on the EARFCN.
    fn patterns(&self, f: &LteSib1Fields, others_max_dbm: Option<i16>) -> Vec<Evidence> {
        let mut out = Vec::new();
        if f.q_rx_lev_min_dbm <= self.cfg.floor_dbm {
            let mut tricks = Vec::new();
            let named = f.named_sibs();
            if named < self.cfg.min_named_sibs {
                tricks.push(Evidence::test(
                    "sibs_named",
                    named as f64,
                    "<",
                    self.cfg.min_named_sibs as f64,
                ));
            }
            if !f.intra_freq_reselection_allowed {
                tricks.push(Evidence::test(
                    "intra_freq_reselection_allowed",
                    0.0,
                    "=",
                    0.0,
                ));
            }
            if let Some(m) = others_max_dbm {
                let below = f64::from(m - f.q_rx_lev_min_dbm);
                if below >= self.cfg.below_others_db {
                    tricks.push(Evidence::test(
                        "q_rx_lev_min_below_others_db",
                        below,
                        ">=",
                        self.cfg.below_others_db,
                    ));
                }
            }
            if !tricks.is_empty() {
                out.push(Evidence::test(
                    "q_rx_lev_min_dbm",
                    f64::from(f.q_rx_lev_min_dbm),
                    "<=",
                    f64::from(self.cfg.floor_dbm),
                ));
                out.extend(tricks);
            }
        }
        if f.cell_barred && !f.intra_freq_reselection_allowed {
            out.push(Evidence::test(
                "barred_intra_freq_not_allowed",
                1.0,
                "=",
                1.0,
            ));
        }
        if !f.cell_barred && !f.plmns.is_empty() && f.plmns.iter().all(|p| p.reserved_for_operator)
        {
            out.push(Evidence::test(
                "reserved_for_operator_not_barred",
                1.0,
                "=",
                1.0,
            ));
        }
        out
    }
}

impl Detector for LteUnusualSib1 {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        let Observation::LteCell(o) = obs else { return };
        let Some(f) = o.sib1.as_ref().and_then(|s| s.fields.as_ref()) else {
            return;
        };
        let Some(cell) = LteCellId::of(o).and_then(|id| reg.lte_cell(id)) else {
            return;
        };
        let others_max_dbm = reg
            .lte_cells()
            .filter(|c| c.id.earfcn == cell.id.earfcn && c.id.pci != cell.id.pci)
            .filter_map(|c| c.sib1.as_ref()?.fields.as_ref().map(|f| f.q_rx_lev_min_dbm))
            .max();
        let evidence = self.patterns(f, others_max_dbm);
        if evidence.is_empty() {
            return;
        }
        let what: Vec<String> = evidence.iter().map(|e| e.name.clone()).collect();
        out.push(super::finding(
            self,
            self.weight,
            Severity::Low,
            cell.key(),
            reg.now_s(),
            format!(
                "{}'s SIB1 is set to reach or push phones as a capture cell does ({}): q-RxLevMin \
                 {} dBm, cellBarred {}, intraFreqReselection {}.",
                cell.id,
                what.join(", "),
                f.q_rx_lev_min_dbm,
                if f.cell_barred { "barred" } else { "notBarred" },
                if f.intra_freq_reselection_allowed {
                    "allowed"
                } else {
                    "notAllowed"
                },
            ),
            evidence,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::*;

    fn fire(reg: &mut CellRegistry, pci: u16, f: &LteSib1Fields) -> Vec<Finding> {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        run(d.as_mut(), reg, &[lte_cell_sib1(1825, pci, f, 1.0)])
    }

    #[test]
    fn the_floor_needs_a_second_trick_and_barring_patterns_fire_alone() {
        let full = vec![vec![3], vec![5]];
        let mut reg = CellRegistry::default();
        // The real cells: −128 / −124 dBm, not barred: quiet.
        assert!(
            fire(
                &mut reg,
                54,
                &sib1_fields(full.clone(), -128, false, true, false)
            )
            .is_empty()
        );
        assert!(
            fire(
                &mut reg,
                48,
                &sib1_fields(full.clone(), -124, false, true, false)
            )
            .is_empty()
        );
        // The floor alone, on an EARFCN where no other cell is decoded: quiet.
        let mut alone = CellRegistry::default();
        assert!(
            fire(
                &mut alone,
                301,
                &sib1_fields(full.clone(), -140, false, true, false)
            )
            .is_empty()
        );
        // The floor 16 dB below the other cells here: fires.
        let f = fire(
            &mut reg,
            301,
            &sib1_fields(full.clone(), -140, false, true, false),
        );
        assert_eq!(f.len(), 1);
        assert!(
            f[0].evidence
                .iter()
                .any(|e| e.name == "q_rx_lev_min_below_others_db")
        );
        // The floor with an incomplete schedule: fires even alone.
        let f = fire(
            &mut alone,
            302,
            &sib1_fields(vec![vec![]], -140, false, true, false),
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].evidence.iter().any(|e| e.name == "sibs_named"));
        // Barred + notAllowed; reserved on every PLMN while not barred.
        let f = fire(
            &mut alone,
            303,
            &sib1_fields(full.clone(), -128, true, false, false),
        );
        assert_eq!(f[0].evidence[0].name, "barred_intra_freq_not_allowed");
        let f = fire(
            &mut alone,
            304,
            &sib1_fields(full.clone(), -128, false, true, true),
        );
        assert_eq!(f[0].evidence[0].name, "reserved_for_operator_not_barred");
        // Barred for maintenance with reselection allowed: quiet.
        assert!(fire(&mut alone, 305, &sib1_fields(full, -128, true, true, false)).is_empty());
    }
}
