//! Detector 1: unknown PLMN — see [`DOC`].

use serde::{Deserialize, Serialize};

use super::{
    ConfigError, DetectConfig, Detector, DetectorInfo, Evidence, Finding, Severity, config_for,
};
use crate::cells::plmn_list;
use crate::cells::{Cell, CellKey, CellRegistry, LteCellId, Operators};
use crate::observation::Observation;

/// What this detector is, declared once: id, version, default weight, summary, doc block, builder.
pub const INFO: DetectorInfo = DetectorInfo {
    id: "unknown_plmn",
    version: 3,
    default_weight: 3.0,
    summary: "Test/unallocated MCC-MNC, a network no other cell here uses, a foreign or 2G-off \
              network, or not the operator that holds this ARFCN",
    false_positives: "Border areas (a foreign network's single cell), roaming/maritime/aircraft \
         networks, a new operator the public MCC/MNC list does not know yet, national roaming and \
         MVNO/shared networks, an operators file that is out of date.",
    doc: DOC,
    build,
};
const ID: &str = INFO.id;

/// Versioned doc block.
pub const DOC: &str = r#"
**Flags** a cell whose MCC/MNC (a GSM cell's SI3/SI4 LAI, an LTE cell's SIB1 primary PLMN) does
not belong here. GSM and LTE cells are judged by the same rules and count in the same consensus
(an eNodeB's PLMN is as much "the air" as a BTS's); rules 2 (`gsm_off`) and the operators file's
ARFCN check apply to GSM carriers only. No country is assumed: with
no configuration the check works from what is on the air and the built-in public MCC/MNC list
(ITU-T E.212 codes, `src/cells/mcc_mnc.csv`, which names its source and date). Alerts name the
network: "China Mobile (460-00)", "460-99 (unknown network of CN)". In order, the first rule
that applies:

1. **Test or private PLMN** (full weight): MCC 001 (ITU test networks: 001-01, 001-001, 001-02 …)
   or 999 (internal use: 999-99, 999-999). OpenBTS (`GSM.Identity.MCC` default `001`, MNC `01`),
   YateBTS (`Identity.MCC=001`, `Identity.MNC=01`) and Osmocom's BSC example configurations
   (`network country code 1`, `mobile network code 1`) ship with these; no public network uses
   them.
2. **2G switched off** (full weight): the operators file's `gsm_off` lists the claimed
   operator (`262-02`) or its country (`SG`): a GSM carrier claiming a network that no longer
   runs GSM is suspect on its own.
3. **Operators file** (`--operators FILE`, full weight, only when given): an MCC outside its
   `country_mccs`, an MNC that is none of its operators, or an ARFCN its operators' `arfcns`
   give to another operator.
4. **Country** (`--country CC` or the operators file's `country`): an MCC of another country
   (full weight), or of a country sharing a land border with it (`src/cells/borders.csv`) or a
   shared international code (901 …) (two thirds: low alone).
5. **Unallocated MCC** (full weight): an MCC the public list does not know, unless another
   decoded cell here uses the same MCC (then the list is more likely incomplete than both cells
   rogue).
6. **Consensus of the air** (two thirds: low alone): once at least `min_consensus_cells` (3)
   *other* cells have been decoded with a stable PLMN (SI3/SI4 CRC-checked, one PLMN over the
   cell's identity history), a cell claiming a PLMN that none of them uses is flagged when its
   MCC differs from the area's (the MCC of more than half of those cells), or when its MNC is
   unknown for the area's MCC. Three, because with one or two other cells a lone foreign or
   rogue cell cannot be told from the home network (no majority); three give a 2-of-3 majority
   that one stray cell cannot overturn. A lone cell of a *known* operator of the area's country
   is not flagged: a receiver seeing a few MHz often hears a single carrier of an operator.

Weight 3.0: rules at full weight make a medium alert alone (3.0 ≥ 2.5); the two-thirds rules
(2.0) make a low alert alone and a medium or high one with any other signature.

**Reference**: 3GPP TS 24.008 §10.5.1.3 (LAI, MCC/MNC coding); TS 44.018 §9.1.35 (SI3);
TS 36.331 §6.2.2 (SIB1 `plmn-IdentityList`: the first entry is the primary PLMN); ITU-T E.212 (MCC 001 test networks, 999 internal use).

**Thresholds** (`[unknown_plmn]`): `check_test = true`, `check_consensus = true`,
`min_consensus_cells = 3`, `check_mcc = true`, `check_mnc = true`, `check_arfcn = true` (the last
three only with an operators file; the ARFCN check only for operators whose `arfcns` are listed).

**Known false positives**: a foreign network's single cell in a border area (low alone; with
`--country` a neighbour's network stays low); maritime, aircraft and private campus networks;
a new operator or MVNO the public list does not know yet (its only cell here: low); national
roaming and shared networks broadcasting a partner's PLMN; an operators file that is out of date.
"#;

/// Thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Flag test and private PLMNs (MCC 001, 999).
    pub check_test: bool,
    /// Flag a PLMN that no other cell here uses (see the doc block).
    pub check_consensus: bool,
    /// Other decoded cells needed before the consensus rule judges a cell.
    pub min_consensus_cells: usize,
    /// Flag MCCs outside the operators file's `country_mccs`.
    pub check_mcc: bool,
    /// Flag MNCs that are no operator of the operators file.
    pub check_mnc: bool,
    /// Flag ARFCNs held by another operator (operators file).
    pub check_arfcn: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            check_test: true,
            check_consensus: true,
            min_consensus_cells: 3,
            check_mcc: true,
            check_mnc: true,
            check_arfcn: true,
        }
    }
}

/// Share of the weight for the weaker rules (border neighbour, consensus): low alone.
const WEAK: f64 = 2.0 / 3.0;

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

/// A cell's PLMN when every identity it has broadcast agrees on it.
fn stable_plmn(c: &Cell) -> Option<(u16, u16)> {
    let p = c.plmn()?;
    c.cgis.iter().all(|g| (g.mcc, g.mnc) == p).then_some(p)
}

/// What a cell claims: its PLMN and which cell it is (a GSM carrier, or an LTE cell).
struct Claim<'a> {
    mcc: u16,
    mnc: u16,
    three: bool,
    /// The GSM cell (the `gsm_off` and ARFCN rules apply to GSM carriers only).
    gsm: Option<&'a Cell>,
    /// The LTE cell.
    lte: Option<LteCellId>,
}

/// An LTE cell's primary PLMN (the first of SIB1's plmn-IdentityList) and its MNC length.
fn lte_plmn(c: &crate::cells::LteCell) -> Option<(u16, u16, bool)> {
    let p = c.sib1.as_ref()?.fields.as_ref()?.plmns.first()?;
    Some((p.mcc, p.mnc, p.mnc_digits == 3))
}

/// The stable PLMNs of the other decoded cells: GSM cells (one PLMN over their identity
/// history) and LTE cells (SIB1's primary PLMN).
fn other_plmns(reg: &CellRegistry, claim: &Claim) -> Vec<(u16, u16)> {
    let gsm_self = claim.gsm.map(|c| (c.band, c.arfcn));
    reg.cells()
        .filter(|c| Some((c.band, c.arfcn)) != gsm_self)
        .filter_map(stable_plmn)
        .chain(
            reg.lte_cells()
                .filter(|c| Some(c.id) != claim.lte)
                .filter_map(|c| lte_plmn(c).map(|p| (p.0, p.1))),
        )
        .collect()
}

/// The MCC of more than half of the PLMNs, with its count.
fn majority_mcc(plmns: &[(u16, u16)]) -> Option<(u16, usize)> {
    let mut counts: std::collections::BTreeMap<u16, usize> = Default::default();
    for p in plmns {
        *counts.entry(p.0).or_default() += 1;
    }
    counts.into_iter().find(|(_, n)| 2 * n > plmns.len())
}

/// A PLMN for people: the operators file's name, else the public list's.
fn network_name(ops: &Operators, mcc: u16, mnc: u16, three: bool) -> String {
    match ops.find(mcc, mnc) {
        Some(o) => format!("{} ({})", o.name, plmn_list::plmn_code(mcc, mnc, three)),
        None => plmn_list::describe(mcc, mnc, three),
    }
}

/// What a rule found: share of the weight, message, evidence beyond MCC/MNC.
type Verdict = (f64, String, Vec<Evidence>);

impl UnknownPlmn {
    /// The first rule of the doc block that applies to this cell.
    fn judge(&self, claim: &Claim, reg: &CellRegistry) -> Option<Verdict> {
        let (mcc, mnc, three) = (claim.mcc, claim.mnc, claim.three);
        let ops = &reg.operators;
        let net = network_name(ops, mcc, mnc, three);
        if self.cfg.check_test && plmn_list::is_test_mcc(mcc) {
            return Some((
                1.0,
                format!(
                    "Network {net} is a test or private network code (ITU-T E.212 MCC \
                     {mcc:03}): no public network uses it; OpenBTS, YateBTS and Osmocom ship \
                     with it."
                ),
                Vec::new(),
            ));
        }
        if claim.gsm.is_some()
            && let Some(entry) = ops.gsm_off(mcc, mnc)
        {
            return Some((
                1.0,
                format!(
                    "GSM carrier claiming {net}, whose 2G network is switched off (gsm_off: \
                     {entry})."
                ),
                Vec::new(),
            ));
        }
        if let Some(v) = self.operators_file(claim, &net, ops) {
            return Some(v);
        }
        let countries = plmn_list::mcc_countries(mcc);
        if let Some(cc) = &ops.country
            && !countries.is_empty()
            && !countries.contains(&cc.as_str())
        {
            let near = countries
                .iter()
                .any(|c| *c == "intl" || plmn_list::are_neighbours(cc, c));
            return Some(if near {
                (
                    WEAK,
                    format!(
                        "Network {net} is of {}, not of {cc}: a neighbouring country's or an \
                         international network, expected near a border or at sea.",
                        countries.join("/")
                    ),
                    Vec::new(),
                )
            } else {
                (
                    1.0,
                    format!(
                        "Network {net} is of {}: neither {cc} nor a neighbouring country.",
                        countries.join("/")
                    ),
                    Vec::new(),
                )
            });
        }
        let others = other_plmns(reg, claim);
        if !plmn_list::mcc_known(mcc) && !others.iter().any(|p| p.0 == mcc) {
            return Some((
                1.0,
                format!(
                    "Network {net}: country code {mcc:03} is allocated to no country (public \
                     MCC list) and no other cell here uses it."
                ),
                Vec::new(),
            ));
        }
        if !self.cfg.check_consensus
            || others.len() < self.cfg.min_consensus_cells
            || others.contains(&(mcc, mnc))
        {
            return None;
        }
        let ev = vec![
            Evidence::test(
                "other_decoded_cells",
                others.len() as f64,
                ">=",
                self.cfg.min_consensus_cells as f64,
            ),
            Evidence::test("cells_with_this_plmn", 0.0, "=", 0.0),
        ];
        let (home, n) = majority_mcc(&others)?;
        if home != mcc {
            return Some((
                WEAK,
                format!(
                    "Network {net}: no other cell here uses it, and its country code differs \
                     from the area's ({home:03}: {n} of {} other cells).",
                    others.len()
                ),
                ev,
            ));
        }
        if plmn_list::network(mcc, mnc, three).is_none() && ops.find(mcc, mnc).is_none() {
            return Some((
                WEAK,
                format!(
                    "Network {net}: no other cell here uses it, and the public list knows no \
                     such operator of MCC {mcc:03}."
                ),
                ev,
            ));
        }
        None
    }

    /// Rule 3: what a user's operators file says (nothing when none was given).
    fn operators_file(&self, claim: &Claim, net: &str, ops: &Operators) -> Option<Verdict> {
        let (mcc, mnc) = (claim.mcc, claim.mnc);
        if self.cfg.check_mcc && !ops.country_mccs.is_empty() && !ops.country_mccs.contains(&mcc) {
            return Some((
                1.0,
                format!(
                    "Network {net}: country code {mcc:03} is not expected here (operators file: \
                     {:?}).",
                    ops.country_mccs
                ),
                Vec::new(),
            ));
        }
        if self.cfg.check_mnc
            && ops.knows_mcc(mcc)
            && !ops.operators.is_empty()
            && ops.find(mcc, mnc).is_none()
        {
            return Some((
                1.0,
                format!("Network {net} is none of the operators file's operators."),
                Vec::new(),
            ));
        }
        if !(self.cfg.check_arfcn && ops.has_ranges(mcc, mnc)) {
            return None;
        }
        let cell = claim.gsm?;
        let holders = ops.holders(cell.band, cell.arfcn);
        if holders.contains(&(mcc, mnc)) {
            return None;
        }
        let held_by: Vec<String> = holders
            .iter()
            .map(|(a, b)| network_name(ops, *a, *b, false))
            .collect();
        Some((
            1.0,
            format!(
                "Cell claims {net} on ARFCN {}, a channel that operator does not hold{}.",
                cell.arfcn,
                if held_by.is_empty() {
                    " (no operator holds it)".to_string()
                } else {
                    format!(" (held by {})", held_by.join(", "))
                }
            ),
            vec![Evidence::value("arfcn", f64::from(cell.arfcn))],
        ))
    }
}

impl Detector for UnknownPlmn {
    fn info(&self) -> &'static DetectorInfo {
        &INFO
    }
    fn observe(&mut self, obs: &Observation, reg: &CellRegistry, out: &mut Vec<Finding>) {
        let (claim, key): (Claim, CellKey) = match obs {
            Observation::SystemInfo(_) => {
                let Some(cell) = super::subject_cell(obs, reg) else {
                    return;
                };
                let Some((mcc, mnc)) = cell.plmn() else {
                    return;
                };
                let three = cell.summary.lai.is_some_and(|l| l.mnc_3digits);
                let claim = Claim {
                    mcc,
                    mnc,
                    three,
                    gsm: Some(cell),
                    lte: None,
                };
                (claim, cell.key())
            }
            Observation::LteCell(o) if o.sib1.as_ref().is_some_and(|s| s.fields.is_some()) => {
                let Some(cell) = LteCellId::of(o).and_then(|id| reg.lte_cell(id)) else {
                    return;
                };
                let Some((mcc, mnc, three)) = lte_plmn(cell) else {
                    return;
                };
                let claim = Claim {
                    mcc,
                    mnc,
                    three,
                    gsm: None,
                    lte: Some(cell.id),
                };
                (claim, cell.key())
            }
            _ => return,
        };
        let (mcc, mnc) = (claim.mcc, claim.mnc);
        let Some((share, message, extra)) = self.judge(&claim, reg) else {
            return;
        };
        let mut ev = vec![
            Evidence::value("mcc", f64::from(mcc)),
            Evidence::value("mnc", f64::from(mnc)),
        ];
        ev.extend(extra);
        out.push(super::finding(
            self,
            self.weight * share,
            if share >= 1.0 {
                Severity::Medium
            } else {
                Severity::Low
            },
            key,
            reg.now_s(),
            message,
            ev,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cells::operators::EXAMPLE_OPERATORS_TOML;
    use crate::detect::testkit::*;

    fn det() -> Box<dyn Detector> {
        build(&DetectConfig::default()).unwrap().unwrap()
    }

    fn cell(arfcn: u16, mcc: u16, mnc: u16) -> CellSpec {
        let mut c = CellSpec::legit(arfcn, 100 + arfcn);
        c.mcc = mcc;
        c.mnc = mnc;
        c
    }

    /// SI3s of `cells` (one each), then of `subject`; the findings on the subject.
    fn judge_with(ops: Operators, cells: &[(u16, u16)], subject: (u16, u16)) -> Vec<Finding> {
        let mut reg = CellRegistry::new(Default::default(), ops);
        let mut obs: Vec<Observation> = cells
            .iter()
            .enumerate()
            .map(|(i, &(mcc, mnc))| si3(&cell(10 + i as u16, mcc, mnc), 0.1 * i as f64))
            .collect();
        obs.push(si3(&cell(60, subject.0, subject.1), 2.0));
        run(det().as_mut(), &mut reg, &obs)
            .into_iter()
            .filter(|f| f.cell.arfcn == 60)
            .collect()
    }

    fn judge(cells: &[(u16, u16)], subject: (u16, u16)) -> Vec<Finding> {
        judge_with(Operators::empty(), cells, subject)
    }

    const CHINA: &[(u16, u16)] = &[(460, 0), (460, 0), (460, 1), (460, 1)];

    #[test]
    fn quiet_on_legitimate_networks_of_any_country_without_configuration() {
        let mut reg = CellRegistry::default();
        let f = run(det().as_mut(), &mut reg, &neighbourhood(0.0));
        assert!(f.is_empty(), "{f:?}");
        for (area, subject) in [
            (CHINA, (460, 0)),
            (&[(272, 1), (272, 1), (272, 3), (272, 2)][..], (272, 3)),
            (&[(310, 410), (310, 410), (310, 260)][..], (310, 260)),
        ] {
            assert!(judge(area, subject).is_empty(), "{subject:?}");
        }
        // A lone cell of a known operator of the area's country (a third operator heard on one
        // carrier) is not flagged.
        assert!(judge(CHINA, (460, 11)).is_empty());
    }

    #[test]
    fn test_plmns_are_medium_at_once_and_named() {
        for (mcc, mnc) in [(1, 1), (1, 2), (999, 99)] {
            let f = judge(&[], (mcc, mnc));
            assert_eq!(f.len(), 1, "{mcc}-{mnc}");
            assert_eq!(f[0].score, 3.0);
            assert_eq!(f[0].severity, Severity::Medium);
            assert!(f[0].message.contains("test or private"), "{}", f[0].message);
        }
        assert!(
            judge(&[], (1, 1))[0]
                .message
                .contains("Test network (001-01)")
        );
    }

    #[test]
    fn consensus_flags_a_lone_foreign_or_unknown_network_once_three_others_agree() {
        // 262-01 among Chinese cells: low alone, names the area's MCC.
        let f = judge(CHINA, (262, 1));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].score, 2.0);
        assert!(
            f[0].message.contains("Telekom (262-01)"),
            "{}",
            f[0].message
        );
        assert!(f[0].message.contains("(460: 4 of 4"), "{}", f[0].message);
        // An MNC the public list does not know for the area's MCC.
        let f = judge(CHINA, (460, 99));
        assert_eq!(f[0].score, 2.0);
        assert!(
            f[0].message.contains("unknown network of CN"),
            "{}",
            f[0].message
        );
        // Two other cells are no consensus.
        assert!(judge(&[(460, 0), (460, 1)], (262, 1)).is_empty());
        // No majority: nothing.
        assert!(judge(&[(460, 0), (262, 1), (272, 1)], (310, 260)).is_empty());
        // A cell whose PLMN another cell shares is not alone.
        assert!(judge(&[(460, 0), (460, 0), (460, 1), (262, 1)], (262, 1)).is_empty());
    }

    #[test]
    fn unallocated_mcc_is_medium_unless_others_share_it() {
        let f = judge(&[], (123, 45));
        assert_eq!(f[0].score, 3.0);
        assert!(
            f[0].message.contains("allocated to no country"),
            "{}",
            f[0].message
        );
        // Cells here that share the MCC: the list is more likely incomplete (no unallocated-MCC
        // finding); a lone MNC of it is still judged by the consensus rule (low).
        assert!(judge(&[(123, 45), (123, 45), (123, 45)], (123, 45)).is_empty());
        let f = judge(&[(123, 45), (123, 45), (123, 45)], (123, 46));
        assert_eq!(f[0].score, 2.0, "{}", f[0].message);
    }

    #[test]
    fn country_sharpens_neighbours_low_others_medium() {
        let mut ops = Operators::empty();
        ops.country = Some("IE".into());
        assert!(judge_with(ops.clone(), &[], (272, 1)).is_empty());
        let f = judge_with(ops.clone(), &[], (234, 10));
        assert_eq!(f[0].score, 2.0, "{}", f[0].message);
        let f = judge_with(ops.clone(), &[], (460, 0));
        assert_eq!(f[0].score, 3.0);
        assert!(f[0].message.contains("neither IE"), "{}", f[0].message);
    }

    #[test]
    fn gsm_off_makes_any_cell_of_that_network_suspect() {
        let ops = Operators::parse("gsm_off = ['SG', '272-02']").unwrap();
        assert_eq!(judge_with(ops.clone(), &[], (525, 1))[0].score, 3.0);
        let f = judge_with(ops.clone(), &[], (272, 2));
        assert!(f[0].message.contains("switched off"), "{}", f[0].message);
        assert!(judge_with(ops, &[], (272, 1)).is_empty());
    }

    #[test]
    fn operators_file_checks_channels_mncs_and_mccs() {
        let ops = || Operators::parse(EXAMPLE_OPERATORS_TOML).unwrap();
        let one = |c: CellSpec| {
            let mut reg = CellRegistry::new(Default::default(), ops());
            run(det().as_mut(), &mut reg, &[si3(&c, 0.1)])
        };
        assert!(one(CellSpec::legit(18, 1)).is_empty());
        // 262-01 on ARFCN 21 (no one holds it in the example file).
        let f = one(CellSpec::legit(21, 1));
        assert!(f[0].message.contains("does not hold"), "{}", f[0].message);
        assert_eq!(f[0].score, 3.0);
        // 262-02 on 18 (262-01's).
        let f = one(cell(18, 262, 2));
        assert!(
            f[0].message.contains("held by Telekom (example)"),
            "{}",
            f[0].message
        );
        // 262-07: no such operator in the file.
        assert!(
            one(cell(18, 262, 7))[0]
                .message
                .contains("none of the operators")
        );
        // 460-00: not one of the file's MCCs.
        assert!(
            one(cell(18, 460, 0))[0]
                .message
                .contains("not expected here")
        );
    }

    /// The same rules judge an LTE cell's SIB1 PLMN, with GSM and LTE cells in one consensus;
    /// `gsm_off` does not apply to LTE.
    #[test]
    fn lte_cells_are_judged_by_the_same_rules_in_the_same_consensus() {
        let lte = |pci: u16, mcc: u16, mnc: u16, t: f64| {
            let mut f = sib1_fields(vec![vec![3], vec![5]], -128, false, true, false);
            f.plmns[0].mcc = mcc;
            f.plmns[0].mnc = mnc;
            lte_cell_sib1(1825, pci, &f, t)
        };
        let on = |f: &[Finding], pci: u16| -> Vec<Finding> {
            f.iter()
                .filter(|x| x.cell.lte.is_some_and(|id| id.pci == pci))
                .cloned()
                .collect()
        };
        // A test PLMN on LTE: medium at once.
        let f = run(
            det().as_mut(),
            &mut CellRegistry::default(),
            &[lte(1, 1, 1, 0.0)],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].score, 3.0);
        // 262-01 on LTE among three Chinese cells (two GSM, one LTE): the consensus rule.
        let obs = vec![
            si3(&cell(10, 460, 0), 0.0),
            si3(&cell(11, 460, 1), 0.1),
            lte(54, 460, 11, 0.2),
            lte(301, 262, 1, 1.0),
        ];
        let f = run(det().as_mut(), &mut CellRegistry::default(), &obs);
        let f = on(&f, 301);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].score, 2.0);
        // The same LTE cell with another LTE cell of its PLMN: not alone.
        let mut obs2 = obs.clone();
        obs2.insert(3, lte(55, 262, 1, 0.5));
        let f = run(det().as_mut(), &mut CellRegistry::default(), &obs2);
        assert!(on(&f, 301).is_empty(), "{f:?}");
        // The LTE cells count in a GSM cell's consensus too.
        let obs3 = vec![
            lte(54, 460, 0, 0.0),
            lte(55, 460, 0, 0.1),
            lte(56, 460, 1, 0.2),
            si3(&cell(60, 262, 1), 1.0),
        ];
        let f = run(det().as_mut(), &mut CellRegistry::default(), &obs3);
        assert!(f.iter().any(|x| x.cell.arfcn == 60), "{f:?}");
        // gsm_off names 2G networks: an LTE cell of that network is fine.
        let ops = Operators::parse("gsm_off = ['272-02']").unwrap();
        let mut reg = CellRegistry::new(Default::default(), ops);
        assert!(run(det().as_mut(), &mut reg, &[lte(7, 272, 2, 0.0)]).is_empty());
        // Without a SIB1, nothing to judge.
        let f = run(
            det().as_mut(),
            &mut CellRegistry::default(),
            &[lte_cell(1825, 9, -60.0, 0.0, 0.01, 0.0)],
        );
        assert!(f.is_empty());
    }
}
