//! The operators file: which PLMNs (MCC/MNC) are expected here and which ARFCNs each holds.
//!
//! No operators file is loaded unless the user names one (`--operators FILE`): without it the
//! PLMN check works from what is on the air and the public MCC/MNC list (`plmn_list`). The
//! shipped `operators.example.toml` (printed by `towerwatch baseline operators`) is an example
//! for MCC 262 whose holdings match the synthetic scenes; it is never loaded by itself.
//!
//! Besides operators and their ARFCN holdings the file may say where the user is (`country`,
//! ISO 3166-1 alpha-2; `--country` overrides it) and where 2G is switched off (`gsm_off`: ISO
//! country codes or `MCC-MNC` operators whose GSM network no longer exists, so any GSM carrier
//! claiming them is suspect).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use towerwatch_dsp::arfcn::Band;

use super::baseline::same_band_family;

/// `docs/detectors.md`'s section on where-am-I settings (appended to the catalogue).
pub const SETTINGS_DOC: &str = r#"
## Country, operators file and 2G switched off

Nothing is assumed by default: no country, no operators. `unknown_plmn` then judges a cell by
the public MCC/MNC list compiled in (`src/cells/mcc_mnc.csv`: ITU-T E.212 codes as listed by the
npm package `mcc-mnc-list` 1.1.11, 2024-12-13; its header names the source) and by the consensus
of the other cells on the air (rule 6 above: three other decoded cells, a majority MCC).

Settings that sharpen it, all optional:

- `--country CC` (ISO 3166-1 alpha-2) on `replay`, `scan`, `demo`, `evidence`, or `country = "CC"`
  in the operators file (the flag wins): a network of another country is medium, of a country
  sharing a land border (`src/cells/borders.csv`, from the npm package `world-countries` 5.1.0)
  or a shared international code (MCC 901 …) low.
- `--operators FILE`: the operators file. `towerwatch baseline operators` prints an example (MCC
  262, holdings matching the synthetic scenes); it is never loaded unless passed.

```toml
country = "IE"                    # optional, as --country
gsm_off = ["SG", "AU", "262-02"]  # 2G switched off: countries and/or MCC-MNC operators
country_mccs = [272]              # optional: any other MCC is medium
[[operator]]                      # optional: any other MNC of these MCCs is medium
mcc = 272
mnc = 1
name = "Vodafone IE"
arfcns = ["egsm:1-24"]            # optional: this operator on another ARFCN is medium
```

`gsm_off`: where no public GSM network runs (Australia, Singapore and Taiwan switched 2G off in
2016–2018; Japan and South Korea never ran GSM; check your regulator for your own operators), any
GSM carrier claiming that network is medium on its own: today's SMS blasters broadcast 2G where the real networks no longer do. Not
built in: which operators have switched 2G off changes every year, and a wrong entry would
make a legitimate network alarm.

Exit status: `--fail-on low|medium|high` (default medium) chooses which alert severity makes a
run exit 10, the same in `replay`, `demo` and `scan`.

Known false positives the corpus covers (`towerwatch eval recordings/`): two and three operators
sharing a street, one of them heard on a single carrier (legit-ireland), one operator in two
location areas (legit-ireland), three-digit MNCs (legit-usa), MCCs 262, 272, 310 and 460 with no
configuration, low SNR (legit-quiet), T3212 0 and 255 (legit-t3212-extremes: 0 among cells with a
period is `short_lu_timer` at half weight, info), a small cell with CRO 16 dB
(legit-small-cell), a busy cell at 4 Immediate Assignments a second (legit-busy-cell: its rate
alone can reach `registration_storm`'s 5/s by chance, low at most), a cell at Es/N0 9 dB beside
strong ones (legit-weak-cell), neighbour lists naming mostly channels the receiver cannot hear
(legit-far-neighbours). Subtler rogues it covers: a blaster 10 dB below the real cells
(rogue-weak-blaster), a copy of the strongest cell's PLMN, LAC and neighbour list with its own CI
(rogue-copycat), a rogue with a disciplined clock 0.1 ppm off (rogue-good-clock), a blaster 10 dB
below a cell on its *adjacent* channel (rogue-adjacent-blaster), a blaster switched on at a channel
discovery probed empty seconds before (rogue-late-blaster: the channel's power rise or its FCCH
tone brings a receiver back at once, not after `retry_after_s`). Not caught within 5 s, so not in
the corpus: a SIM box sending 30 bursts/s over two channels (15 a channel, below
`simbox_uplink`'s 20; at a 0.9 % duty cycle its bursts stand only 4-8 dB above two ordinary phones
in use, and seconds of it cannot tell the two apart). A foreign cell across a border (legit-border: low
without `--country`; low with it when the country is a neighbour, medium when it is not), a
drive at 50 km/h with fast fading and Doppler (legit-drive), a receiver 20 ppm off
(legit-rx-20ppm). Not covered by a scene yet: maritime and aircraft networks (MCC 901: low with `--country`), roaming MVNOs and national roaming (a
partner's PLMN on the host's cells: a lone PLMN of a known operator of the area's MCC is not
flagged).
"#;

/// The shipped example operators file (MCC 262, holdings matching the synthetic scenes). Never
/// loaded unless the user passes it with `--operators`.
pub const EXAMPLE_OPERATORS_TOML: &str = include_str!("operators.example.toml");

/// One operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    /// Mobile country code.
    pub mcc: u16,
    /// Mobile network code.
    pub mnc: u16,
    /// Name.
    pub name: String,
    /// ARFCN ranges held, `BAND:FIRST-LAST` (empty: unknown, not checked).
    #[serde(default)]
    pub arfcns: Vec<String>,
}

/// An ARFCN range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArfcnRange {
    /// Band.
    pub band: Band,
    /// First ARFCN.
    pub first: u16,
    /// Last ARFCN (inclusive).
    pub last: u16,
}

/// The operators file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operators {
    /// The user's country, ISO 3166-1 alpha-2 (`--country` overrides it; absent: no country
    /// assumed).
    #[serde(default)]
    pub country: Option<String>,
    /// Where 2G is switched off: ISO alpha-2 country codes and/or `MCC-MNC` operators. A GSM
    /// carrier claiming such a network is suspect on its own.
    #[serde(default)]
    pub gsm_off: Vec<String>,
    /// MCCs expected on the air here (empty: not checked).
    #[serde(default)]
    pub country_mccs: Vec<u16>,
    /// Operators.
    #[serde(default, rename = "operator")]
    pub operators: Vec<Operator>,
    #[serde(skip)]
    ranges: Vec<(u16, u16, ArfcnRange)>,
}

/// Operators file problems.
#[derive(Debug, thiserror::Error)]
pub enum OperatorsError {
    /// Could not read the file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not a valid operators file.
    #[error("{path}: not a valid operators file: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Default for Operators {
    /// No operators file: nothing assumed (see [`Operators::empty`]).
    fn default() -> Self {
        Operators::empty()
    }
}

impl Operators {
    /// Knows nothing: no PLMN or ARFCN check.
    pub fn empty() -> Operators {
        Operators {
            country: None,
            gsm_off: Vec::new(),
            country_mccs: Vec::new(),
            operators: Vec::new(),
            ranges: Vec::new(),
        }
    }

    /// Parse operators TOML.
    pub fn parse(text: &str) -> Result<Operators, String> {
        let mut o: Operators = toml::from_str(text).map_err(|e| e.to_string())?;
        if let Some(cc) = &o.country {
            o.country = Some(parse_country(cc)?);
        }
        for entry in &mut o.gsm_off {
            *entry = parse_gsm_off(entry)?;
        }
        let mut ranges = Vec::new();
        for op in &o.operators {
            for r in &op.arfcns {
                ranges.push((op.mcc, op.mnc, parse_range(r)?));
            }
        }
        o.ranges = ranges;
        Ok(o)
    }

    /// Read an operators file.
    pub fn load(path: &Path) -> Result<Operators, OperatorsError> {
        let text = crate::limits::read_text_capped_io(
            path,
            crate::limits::MAX_CONFIG_BYTES,
            "an operators file",
        )
        .map_err(|source| OperatorsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Operators::parse(&text).map_err(|message| OperatorsError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Whether the file says 2G is switched off for this PLMN (its operator, or every network
    /// of a country the public list gives its MCC to).
    pub fn gsm_off(&self, mcc: u16, mnc: u16) -> Option<&str> {
        self.gsm_off
            .iter()
            .map(String::as_str)
            .find(|e| match e.split_once('-') {
                Some((a, b)) => a.parse() == Ok(mcc) && b.parse() == Ok(mnc),
                None => super::plmn_list::mcc_countries(mcc).contains(e),
            })
    }

    /// The operator with this PLMN.
    pub fn find(&self, mcc: u16, mnc: u16) -> Option<&Operator> {
        self.operators.iter().find(|o| o.mcc == mcc && o.mnc == mnc)
    }

    /// Whether the operators file says anything about this MCC.
    pub fn knows_mcc(&self, mcc: u16) -> bool {
        self.country_mccs.contains(&mcc) || self.operators.iter().any(|o| o.mcc == mcc)
    }

    /// Whether any ranges are given for this PLMN.
    pub fn has_ranges(&self, mcc: u16, mnc: u16) -> bool {
        self.ranges.iter().any(|r| r.0 == mcc && r.1 == mnc)
    }

    /// The operators whose ranges contain this ARFCN.
    pub fn holders(&self, band: Band, arfcn: u16) -> Vec<(u16, u16)> {
        let mut v: Vec<(u16, u16)> = self
            .ranges
            .iter()
            .filter(|(_, _, r)| {
                same_band_family(r.band, band) && (r.first..=r.last).contains(&arfcn)
            })
            .map(|(mcc, mnc, _)| (*mcc, *mnc))
            .collect();
        v.dedup();
        v
    }
}

/// An ISO 3166-1 alpha-2 country code the public MCC list knows (upper-cased).
pub fn parse_country(s: &str) -> Result<String, String> {
    let cc = s.trim().to_ascii_uppercase();
    if cc.len() == 2 && super::plmn_list::country_known(&cc) {
        Ok(cc)
    } else {
        Err(format!(
            "'{s}' is not a country code of the MCC list (ISO 3166-1 alpha-2, e.g. IE, CN, US)"
        ))
    }
}

/// A `gsm_off` entry: a country code or an `MCC-MNC` (e.g. `262-02`).
fn parse_gsm_off(s: &str) -> Result<String, String> {
    match s.split_once('-') {
        Some((a, b)) => {
            let ok = |x: &str, n: std::ops::RangeInclusive<usize>| {
                n.contains(&x.trim().len()) && x.trim().chars().all(|c| c.is_ascii_digit())
            };
            if ok(a, 3..=3) && ok(b, 2..=3) {
                Ok(format!("{}-{}", a.trim(), b.trim()))
            } else {
                Err(format!(
                    "gsm_off: '{s}' is neither a country code (IE) nor an MCC-MNC (262-02)"
                ))
            }
        }
        None => parse_country(s).map_err(|e| format!("gsm_off: {e}")),
    }
}

fn parse_range(s: &str) -> Result<ArfcnRange, String> {
    let err = || format!("'{s}' is not an ARFCN range (BAND:FIRST-LAST, e.g. egsm:1-49)");
    let (band, rest) = s.split_once(':').ok_or_else(err)?;
    let band = Band::parse(band).ok_or_else(err)?;
    let (a, b) = rest.split_once('-').unwrap_or((rest, rest));
    let first: u16 = a.trim().parse().map_err(|_| err())?;
    let last: u16 = b.trim().parse().map_err(|_| err())?;
    if last < first {
        return Err(err());
    }
    Ok(ArfcnRange { band, first, last })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_and_gsm_off_are_checked() {
        let o = Operators::parse("country = 'sg'\ngsm_off = ['SG', '262-02']").unwrap();
        assert_eq!(o.country.as_deref(), Some("SG"));
        assert_eq!(o.gsm_off(525, 1), Some("SG"));
        assert_eq!(o.gsm_off(262, 2), Some("262-02"));
        assert_eq!(o.gsm_off(262, 1), None);
        assert!(Operators::parse("country = 'XX'").is_err());
        assert!(Operators::parse("gsm_off = ['26202']").is_err());
        assert!(Operators::parse("gsm_off = ['2620-02']").is_err());
        assert_eq!(Operators::default(), Operators::empty());
    }

    #[test]
    fn example_parses_and_says_it_is_an_example() {
        let o = Operators::parse(EXAMPLE_OPERATORS_TOML).unwrap();
        assert!(EXAMPLE_OPERATORS_TOML.contains("THIS FILE IS AN EXAMPLE"));
        assert_eq!(o.country_mccs, vec![262]);
        assert_eq!(o.holders(Band::EGsm900, 18), vec![(262, 1)]);
        assert_eq!(o.holders(Band::PGsm900, 20), vec![(262, 2)]);
        assert!(o.holders(Band::EGsm900, 21).is_empty());
        assert!(o.has_ranges(262, 1));
        assert!(!o.has_ranges(262, 3));
        assert!(Operators::parse("[[operator]]\nmcc=1\nmnc=1\nname='x'\narfcns=['bad']").is_err());
    }
}
