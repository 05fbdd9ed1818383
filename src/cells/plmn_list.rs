//! The public MCC/MNC list (ITU-T E.212 codes) and the land borders between countries, compiled
//! into the binary so that detection needs no configuration to name a network or a country.
//!
//! `mcc_mnc.csv` (beside this file) names its source, version and date in its header: the npm
//! package `mcc-mnc-list` (generated from Wikipedia's "Mobile country code" pages, which follow
//! the ITU Operational Bulletin). It was converted with a short script: one row per MCC-MNC
//! (territories of a code listed more than once merged), codes marked "Returned spare" or
//! "Unassigned" and rows without a name left out, commas in names replaced by `;`, the brand as
//! the name where there is one. `borders.csv` is derived from the npm package `world-countries`
//! (field `borders`, alpha-3 → alpha-2). Both are parsed once, on first use.
//!
//! Test and private codes (ITU-T E.212 Annex: MCC 001 for test networks, MCC 999 for internal use)
//! are what OpenBTS, YateBTS and Osmocom's BSC ship with in their example configurations (MCC 001,
//! MNC 01), so a cell broadcasting one is suspect wherever it is heard: [`is_test_mcc`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The public MCC/MNC list (CSV with a commented header naming its source).
pub const MCC_MNC_CSV: &str = include_str!("mcc_mnc.csv");
/// Land borders (CSV with a commented header naming its source).
pub const BORDERS_CSV: &str = include_str!("borders.csv");

/// One network of the public list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicNetwork {
    /// Mobile country code.
    pub mcc: u16,
    /// Mobile network code.
    pub mnc: u16,
    /// Whether the MNC is written with three digits ("001", "410").
    pub mnc_3digits: bool,
    /// ISO 3166-1 alpha-2 codes of the territories (`test` for test codes, `intl` for shared
    /// international codes).
    pub countries: Vec<String>,
    /// Brand or operator name.
    pub name: String,
}

#[derive(Debug, Default)]
struct Tables {
    networks: BTreeMap<(u16, u16), Vec<PublicNetwork>>,
    mcc_countries: BTreeMap<u16, BTreeSet<String>>,
    borders: BTreeMap<String, BTreeSet<String>>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| build(MCC_MNC_CSV, BORDERS_CSV))
}

/// Data rows of a commented CSV (comments, blank lines and the column header skipped).
fn rows<'a>(csv: &'a str, header: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    csv.lines()
        .map(str::trim)
        .filter(move |l| !l.is_empty() && !l.starts_with('#') && *l != header)
}

fn build(mcc_mnc: &str, borders: &str) -> Tables {
    let mut t = Tables::default();
    for line in rows(mcc_mnc, "mcc,mnc,country_iso,operator") {
        let mut f = line.splitn(4, ',');
        let (Some(mcc_s), Some(mnc_s), Some(cc), Some(name)) =
            (f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        let (Ok(mcc), Ok(mnc)) = (mcc_s.parse::<u16>(), mnc_s.parse::<u16>()) else {
            continue;
        };
        let countries: Vec<String> = cc.split_whitespace().map(str::to_string).collect();
        t.mcc_countries
            .entry(mcc)
            .or_default()
            .extend(countries.iter().cloned());
        t.networks
            .entry((mcc, mnc))
            .or_default()
            .push(PublicNetwork {
                mcc,
                mnc,
                mnc_3digits: mnc_s.len() == 3,
                countries,
                name: name.trim().to_string(),
            });
    }
    for line in rows(borders, "country_iso,neighbours") {
        if let Some((cc, n)) = line.split_once(',') {
            t.borders
                .entry(cc.trim().to_string())
                .or_default()
                .extend(n.split_whitespace().map(str::to_string));
        }
    }
    t
}

/// The network of the public list with this PLMN: the entry whose MNC has the same number of
/// digits when there are two (001-01 and 001-001), else any.
pub fn network(mcc: u16, mnc: u16, mnc_3digits: bool) -> Option<&'static PublicNetwork> {
    let v = tables().networks.get(&(mcc, mnc))?;
    v.iter()
        .find(|n| n.mnc_3digits == mnc_3digits)
        .or_else(|| v.first())
}

/// The territories (ISO alpha-2, or `test`/`intl`) of an MCC; empty when the list does not know
/// the MCC at all.
pub fn mcc_countries(mcc: u16) -> Vec<&'static str> {
    tables()
        .mcc_countries
        .get(&mcc)
        .map(|s| s.iter().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Whether the MCC is in the public list (a country's, a shared international one, or a test
/// code).
pub fn mcc_known(mcc: u16) -> bool {
    tables().mcc_countries.contains_key(&mcc)
}

/// ITU-T E.212 test (001) and internal-use (999) country codes: never a public network.
pub fn is_test_mcc(mcc: u16) -> bool {
    mcc == 1 || mcc == 999
}

/// Whether `cc` is a country of the public list (ISO 3166-1 alpha-2, upper case).
pub fn country_known(cc: &str) -> bool {
    tables().mcc_countries.values().any(|s| s.contains(cc))
}

/// Whether two countries share a land border (per `borders.csv`).
pub fn are_neighbours(a: &str, b: &str) -> bool {
    let t = tables();
    t.borders.get(a).is_some_and(|s| s.contains(b))
        || t.borders.get(b).is_some_and(|s| s.contains(a))
}

/// `MCC-MNC` as written: three MCC digits, two or three MNC digits.
pub fn plmn_code(mcc: u16, mnc: u16, mnc_3digits: bool) -> String {
    if mnc_3digits {
        format!("{mcc:03}-{mnc:03}")
    } else {
        format!("{mcc:03}-{mnc:02}")
    }
}

/// A PLMN for people: `China Mobile (460-00)`, `460-99 (unknown network of CN)`,
/// `123-45 (unknown country code)`.
pub fn describe(mcc: u16, mnc: u16, mnc_3digits: bool) -> String {
    let code = plmn_code(mcc, mnc, mnc_3digits);
    if let Some(n) = network(mcc, mnc, mnc_3digits) {
        return format!("{} ({code})", n.name);
    }
    let cs = mcc_countries(mcc);
    if cs.is_empty() {
        format!("{code} (unknown country code)")
    } else if is_test_mcc(mcc) {
        format!("{code} (test network)")
    } else {
        format!("{code} (unknown network of {})", cs.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_known_networks_and_says_when_unknown() {
        assert_eq!(describe(460, 0, false), "China Mobile (460-00)");
        assert_eq!(describe(460, 1, false), "China Unicom (460-01)");
        assert_eq!(describe(272, 1, false), "Vodafone (272-01)");
        assert_eq!(describe(310, 410, true), "AT&T (310-410)");
        assert_eq!(describe(460, 99, false), "460-99 (unknown network of CN)");
        assert_eq!(describe(123, 45, false), "123-45 (unknown country code)");
        assert_eq!(describe(1, 1, false), "Test network (001-01)");
        assert_eq!(describe(1, 2, false), "001-02 (test network)");
        assert!(mcc_countries(310).contains(&"US"));
        assert!(mcc_known(262) && !mcc_known(123) && mcc_known(1));
        assert!(is_test_mcc(1) && is_test_mcc(999) && !is_test_mcc(262));
        assert!(country_known("IE") && !country_known("XX"));
        assert!(are_neighbours("IE", "GB") && are_neighbours("DE", "AT"));
        assert!(!are_neighbours("IE", "CN"));
        // Every data row parsed: the list is not silently truncated.
        let data_rows = rows(MCC_MNC_CSV, "mcc,mnc,country_iso,operator").count();
        let parsed: usize = tables().networks.values().map(Vec::len).sum();
        assert_eq!(data_rows, parsed);
        assert!(parsed > 2500, "{parsed}");
        assert!(MCC_MNC_CSV.contains("mcc-mnc-list 1.1.11"));
    }

    #[test]
    fn malformed_rows_are_skipped_not_fatal() {
        let t = build(
            "# c\nmcc,mnc,country_iso,operator\n262,01,DE,A, B\nxx,1,DE,bad\n262\n",
            "country_iso,neighbours\nDE,AT CH\nbad\n",
        );
        assert_eq!(t.networks.len(), 1);
        assert_eq!(t.networks[&(262, 1)][0].name, "A, B");
        assert!(t.borders["DE"].contains("CH"));
    }
}
