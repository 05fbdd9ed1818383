//! LTE detector: a SIB1 whose schedulingInfoList names fewer than two SIBs — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::{CellRegistry, LteCellId};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "lte_incomplete_sib1",
    version: 1,
    default_weight: 2.0,
    summary: "LTE cell's SIB1 schedules fewer than two SIBs besides SIB2 (Rayhunter's incomplete_sib)",
    false_positives: "A small or indoor cell configured with a minimal SI schedule; a cell in a lab or on a \
         test network; a SIB1 extension type this parser does not number is still counted.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** an LTE cell whose SIB1 (decoded by the LTE stage when the capture carries the cell's
whole bandwidth) names fewer than `min_named_sibs` distinct SIBs in its schedulingInfoList
(SIB2 is implicit in the first SI message and not counted). A production eNodeB schedules SIB3
(cell reselection), SIB5 (inter-frequency neighbours) and usually SIB6/SIB7/SIB8 (inter-RAT);
the LTE half of an SMS blaster or an IMSI catcher built from a software stack often broadcasts
only what a phone needs to camp (SIB1 and SIB2), so its list is short. This is the heuristic of
EFF Rayhunter's `incomplete_sib` analyzer ("SIB1 scheduling info list was malformed / less than
two entries"), applied to the SIBs named rather than to the SI messages.

**Reference**: 3GPP TS 36.331 §6.2.2 (SystemInformationBlockType1: `schedulingInfoList`,
`sib-MappingInfo`; SIB2 is always in the first SI message and never listed), §5.2.1.2
(scheduling of the SI messages).

**Thresholds** (`[lte_incomplete_sib1]`): `min_named_sibs = 2` (the real cells here name three:
SIB3, SIB5, SIB8 at 1867.5 MHz, or two: SIB3, SIB5 at 2585 MHz). Weight 2.0, severity low alone;
with a second LTE signature (power, clock, SIB1 tricks) the cell reaches medium.

**Known false positives**: small, indoor or private cells configured with a minimal SI schedule
(no neighbours to announce); lab and test networks; a SIB1 whose list carries extension types
this parser does not know by number (each still counts as one SIB).
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Fewer distinct SIBs named than this fires.
    pub min_named_sibs: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config { min_named_sibs: 2 }
    }
}

/// The detector.
pub struct LteIncompleteSib1 {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(LteIncompleteSib1 {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl Detector for LteIncompleteSib1 {
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
        let named = f.named_sibs();
        if named >= self.cfg.min_named_sibs {
            return;
        }
        let list: Vec<String> = f
            .scheduling
            .iter()
            .map(|s| {
                let sibs: Vec<String> = s.sibs.iter().map(|n| format!("SIB{n}")).collect();
                format!("[{}]", sibs.join(" "))
            })
            .collect();
        out.push(super::finding(
            self,
            self.weight,
            Severity::Low,
            cell.key(),
            reg.now_s(),
            format!(
                "{}'s SIB1 schedules only {named} SIB(s) besides SIB2 ({}): real eNodeBs announce \
                 SIB3, SIB5 and more; a fake eNodeB often sends only what a phone needs to camp.",
                cell.id,
                list.join(", ")
            ),
            vec![
                Evidence::test(
                    "sibs_named",
                    named as f64,
                    "<",
                    self.cfg.min_named_sibs as f64,
                ),
                Evidence::value("si_messages", f.scheduling.len() as f64),
            ],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testkit::*;

    #[test]
    fn a_sib1_naming_fewer_than_two_sibs_fires_the_real_schedules_do_not() {
        let mut d = build(&DetectConfig::default()).unwrap().unwrap();
        let mut reg = CellRegistry::default();
        // The real cells' schedules (1867.5 MHz: SIB3, SIB5, SIB8; 2585 MHz: SIB3, SIB5).
        for (pci, sched) in [
            (54, vec![vec![3], vec![5], vec![8]]),
            (144, vec![vec![3], vec![5]]),
        ] {
            let o = lte_cell_sib1(
                1825,
                pci,
                &sib1_fields(sched, -128, false, true, false),
                0.0,
            );
            assert!(run(d.as_mut(), &mut reg, &[o]).is_empty());
        }
        // SIB2 only, and SIB2 + SIB3 only: fire.
        for sched in [vec![vec![]], vec![vec![3]]] {
            let o = lte_cell_sib1(
                1825,
                301,
                &sib1_fields(sched, -140, false, true, false),
                1.0,
            );
            let f = run(d.as_mut(), &mut reg, &[o]);
            assert_eq!(f.len(), 1, "{f:?}");
            assert_eq!(f[0].detector, ID);
            assert_eq!(f[0].score, 2.0);
        }
        // Without a SIB1: silent.
        assert!(
            run(
                d.as_mut(),
                &mut reg,
                &[lte_cell(1825, 7, -60.0, 0.0, 0.01, 2.0)]
            )
            .is_empty()
        );
    }
}
