//! Detector 1: unknown PLMN — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::CellRegistry;
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "unknown_plmn",
    version: 1,
    default_weight: 2.0,
    summary: "MCC/MNC not expected here, or not the operator that holds this ARFCN",
    false_positives: "Border areas (foreign networks), national roaming/shared networks, an operators file \
         that is out of date or still the built-in example.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** a cell whose MCC/MNC (SI3/SI4 LAI) is not expected here: an MCC outside the operators
file's `country_mccs`, an MNC that is no operator of that country, or an ARFCN that the operators
file gives to another operator than the one the cell claims. Test PLMNs (001-01, 999-99) that
OpenBTS/YateBTS/osmo-bts ship with land here.

**Reference**: 3GPP TS 24.008 §10.5.1.3 (LAI, MCC/MNC coding); TS 44.018 §9.1.35 (SI3).

**Thresholds** (`[unknown_plmn]`): `check_mcc = true`, `check_mnc = true`, `check_arfcn = true`
(only for operators whose `arfcns` are listed). Weight 2.0. Severity medium.

**Known false positives**: border areas (the neighbour country's networks: add its MCC); national
roaming and MVNO/shared networks broadcasting a partner's PLMN; an operators file that is out of
date or still the built-in example (it is an example, set it per country).
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Flag MCCs outside `country_mccs`.
    pub check_mcc: bool,
    /// Flag MNCs that are no known operator of the MCC.
    pub check_mnc: bool,
    /// Flag ARFCNs held by another operator.
    pub check_arfcn: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            check_mcc: true,
            check_mnc: true,
            check_arfcn: true,
        }
    }
}

/// The detector.
pub struct UnknownPlmn {
    weight: f64,
    cfg: Config,
}

/// Build from the configuration.
pub fn build(cfg: &DetectConfig) -> Result<Option<Box<dyn Detector>>, ConfigError> {
    Ok(config_for::<Config>(cfg, ID)?.map(|(c, t)| {
        Box::new(UnknownPlmn {
            weight: c.weight,
            cfg: t,
        }) as Box<dyn Detector>
    }))
}

impl Detector for UnknownPlmn {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        if !matches!(obs, Observation::SystemInfo(_)) {
            return;
        }
        let Some(cell) = super::subject_cell(obs, reg) else {
            return;
        };
        let Some((mcc, mnc)) = cell.plmn() else {
            return;
        };
        let ops = &reg.operators;
        let plmn = format!("{mcc:03}-{mnc:02}");
        let mut ev = vec![
            Evidence::value("mcc", f64::from(mcc)),
            Evidence::value("mnc", f64::from(mnc)),
        ];
        let message = if self.cfg.check_mcc
            && !ops.country_mccs.is_empty()
            && !ops.country_mccs.contains(&mcc)
        {
            format!(
                "Network {plmn}: country code {mcc} is not expected here (expected {:?}).",
                ops.country_mccs
            )
        } else if self.cfg.check_mnc
            && ops.knows_mcc(mcc)
            && !ops.operators.is_empty()
            && ops.find(mcc, mnc).is_none()
        {
            format!("Network {plmn} is not one of this country's operators.")
        } else if self.cfg.check_arfcn && ops.has_ranges(mcc, mnc) {
            let holders = ops.holders(cell.band, cell.arfcn);
            if holders.contains(&(mcc, mnc)) {
                return;
            }
            let held_by: Vec<String> = holders
                .iter()
                .map(|(a, b)| match ops.find(*a, *b) {
                    Some(o) => format!("{a:03}-{b:02} ({})", o.name),
                    None => format!("{a:03}-{b:02}"),
                })
                .collect();
            ev.push(Evidence::value("arfcn", f64::from(cell.arfcn)));
            format!(
                "Cell claims network {plmn} on ARFCN {}, a channel that operator does not hold{}.",
                cell.arfcn,
                if held_by.is_empty() {
                    " (no operator holds it)".to_string()
                } else {
                    format!(" (held by {})", held_by.join(", "))
                }
            )
        } else {
            return;
        };
        out.push(super::finding(
            self,
            self.weight,
            Severity::Medium,
            cell.key(),
            reg.now_s(),
            message,
            ev,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cells::Operators;
    use crate::detect::testkit::*;

    fn det() -> Box<dyn Detector> {
        build(&DetectConfig::default()).unwrap().unwrap()
    }

    #[test]
    fn quiet_on_the_operators_own_channel() {
        let mut reg = CellRegistry::default();
        let f = run(
            det().as_mut(),
            &mut reg,
            &[si3(&CellSpec::legit(18, 1), 0.1)],
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn fires_on_foreign_channel_mnc_and_mcc() {
        // 262-01 on ARFCN 21 (no one holds it in the example file).
        let mut reg = CellRegistry::default();
        let f = run(
            det().as_mut(),
            &mut reg,
            &[si3(&CellSpec::legit(21, 1), 0.1)],
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("does not hold"), "{}", f[0].message);
        // 262-02 on 18 (262-01's).
        let mut c = CellSpec::legit(18, 1);
        c.mnc = 2;
        let f = run(
            det().as_mut(),
            &mut CellRegistry::default(),
            &[si3(&c, 0.1)],
        );
        assert_eq!(f.len(), 1);
        // 262-07: no such operator in the file.
        c.mnc = 7;
        let f = run(
            det().as_mut(),
            &mut CellRegistry::default(),
            &[si3(&c, 0.1)],
        );
        assert!(f[0].message.contains("not one of"), "{}", f[0].message);
        // 001-01: test network.
        c.mcc = 1;
        c.mnc = 1;
        let f = run(
            det().as_mut(),
            &mut CellRegistry::default(),
            &[si3(&c, 0.1)],
        );
        assert!(f[0].message.contains("not expected"), "{}", f[0].message);
    }

    #[test]
    fn silent_without_an_operators_file() {
        let mut reg = CellRegistry::new(Default::default(), Operators::empty());
        let mut c = CellSpec::legit(21, 1);
        c.mcc = 1;
        let f = run(det().as_mut(), &mut reg, &[si3(&c, 0.1)]);
        assert!(f.is_empty());
    }
}
