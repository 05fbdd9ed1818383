//! LTE observations: one cell found by the LTE receiver (`towerwatch_dsp::lte`) in a block of
//! samples — its channel (EARFCN), identity (PCI), frame structure, MIB, measurements and
//! frequency offset.
//!
//! Nothing here is subscriber data: a PCI, an EARFCN and a MIB are broadcast to every phone, so
//! [`crate::privacy`] has nothing to mask in these observations.

use serde::{Serialize, Serializer};
use towerwatch_dsp::earfcn;
use towerwatch_dsp::lte::cell::CellReport;
use towerwatch_dsp::lte::params::{CyclicPrefix, Duplex, SEARCH_RATE_SPS};
use towerwatch_dsp::lte::rrc::mib::PhichResource;
use towerwatch_dsp::lte::rrc::sib1::{Sib1, SibType};
use towerwatch_dsp::lte::sib1::Sib1Decode;

use super::round2;

/// One LTE cell measured over one block of samples.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LteCellObs {
    /// Stream sample index (at the capture's rate) of the cell's first complete radio frame in
    /// the block.
    pub sample_index: u64,
    /// The same in stream seconds.
    pub time_s: f64,
    /// Length of the analysed block, seconds.
    pub block_s: f64,
    /// Downlink EARFCN of the carrier (the tuner centre on the 100 kHz raster; where bands
    /// overlap, the lowest-numbered band of the cell's duplex mode). None off every tabled band.
    pub earfcn: Option<u32>,
    /// E-UTRA band of `earfcn`.
    pub band: Option<u8>,
    /// Nominal carrier frequency: the EARFCN's, else the tuner centre, Hz.
    pub dl_freq_hz: f64,
    /// Physical cell identity (0–503).
    pub pci: u16,
    /// FDD or TDD, from the SSS–PSS spacing.
    #[serde(serialize_with = "ser_duplex")]
    pub duplex: Duplex,
    /// Cyclic prefix.
    #[serde(serialize_with = "ser_cp")]
    pub cyclic_prefix: CyclicPrefix,
    /// The MIB, when two PBCH decodes agreed (its CRC passed each time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mib: Option<LteMibObs>,
    /// Reference signal received power, dBFS per resource element.
    pub rsrp_dbfs: Option<f64>,
    /// Reference signal received quality, dB.
    pub rsrq_db: Option<f64>,
    /// CRS signal to noise-and-interference ratio, dB.
    pub sinr_db: Option<f64>,
    /// Measured carrier offset from `dl_freq_hz` (includes the receiver's own clock error), Hz.
    pub freq_offset_hz: f64,
    /// The same in ppm of `dl_freq_hz` (None when the frequency is unknown).
    pub freq_offset_ppm: Option<f64>,
    /// 1σ uncertainty of the offset, Hz (None when no subframe could be measured).
    pub uncertainty_hz: Option<f64>,
    /// The same in ppm.
    pub uncertainty_ppm: Option<f64>,
    /// The receiver's sample-clock error from the PSS timing drift, ppm (blocks ≥ 100 ms).
    pub sample_clock_ppm: Option<f64>,
    /// SIB1, when the capture carries the cell's whole bandwidth and a transport block passed
    /// its CRC in this block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sib1: Option<LteSib1Obs>,
}

/// A cell's SystemInformationBlockType1 (TS 36.331 §6.2.2), decoded from a transport block
/// whose CRC-24A passed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LteSib1Obs {
    /// The transport block (a BCCH-DL-SCH message, zero-padded to the DCI's size) as hex.
    pub hex: String,
    /// Why the message did not parse (the CRC passed, the ASN.1 did not), if it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parse_error: Option<String>,
    /// The fields, when it parsed.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub fields: Option<LteSib1Fields>,
}

/// One PLMN of SIB1's plmn-IdentityList.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct LtePlmn {
    /// Mobile country code.
    pub mcc: u16,
    /// Mobile network code.
    pub mnc: u16,
    /// Digits of the MNC as sent (2 or 3).
    pub mnc_digits: u8,
    /// cellReservedForOperatorUse = reserved.
    pub reserved_for_operator: bool,
}

impl std::fmt::Display for LtePlmn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:03}-{:0w$}",
            self.mcc,
            self.mnc,
            w = usize::from(self.mnc_digits)
        )
    }
}

/// One SI message of schedulingInfoList.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LteSiSchedule {
    /// si-Periodicity, radio frames.
    pub periodicity_rf: u16,
    /// The SIBs named in its sib-MappingInfo (`3` for SIB3 …; SIB2 is implicit in the first
    /// message and never named). Extension values this parser has no number for are counted
    /// in `unknown_sibs`.
    pub sibs: Vec<u8>,
    /// sib-MappingInfo entries of extension types without a known number.
    #[serde(skip_serializing_if = "is_zero")]
    pub unknown_sibs: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The SIB1 fields detectors and people read.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LteSib1Fields {
    /// plmn-IdentityList (the first is the primary PLMN).
    pub plmns: Vec<LtePlmn>,
    /// trackingAreaCode.
    pub tac: u16,
    /// cellIdentity (28 bits).
    pub cell_identity: u32,
    /// The eNodeB ID (the top 20 bits of a macro cell's identity).
    pub enb_id: u32,
    /// cellBarred = barred.
    pub cell_barred: bool,
    /// intraFreqReselection = allowed.
    pub intra_freq_reselection_allowed: bool,
    /// csg-Indication.
    pub csg_indication: bool,
    /// q-RxLevMin, dBm (−140 … −44).
    pub q_rx_lev_min_dbm: i16,
    /// p-Max, dBm, when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_max_dbm: Option<i8>,
    /// freqBandIndicator.
    pub freq_band_indicator: u8,
    /// schedulingInfoList.
    pub scheduling: Vec<LteSiSchedule>,
    /// si-WindowLength, ms.
    pub si_window_ms: u8,
    /// systemInfoValueTag.
    pub value_tag: u8,
}

impl LteSib1Fields {
    /// The fields of a parsed SIB1.
    pub fn of(s: &Sib1) -> LteSib1Fields {
        LteSib1Fields {
            plmns: s
                .plmns
                .iter()
                .map(|p| LtePlmn {
                    mcc: p.mcc_value(),
                    mnc: p.mnc_value(),
                    mnc_digits: p.mnc_len,
                    reserved_for_operator: p.reserved_for_operator,
                })
                .collect(),
            tac: s.tac,
            cell_identity: s.cell_identity,
            enb_id: s.cell_identity >> 8,
            cell_barred: s.cell_barred,
            intra_freq_reselection_allowed: s.intra_freq_reselection_allowed,
            csg_indication: s.csg_indication,
            q_rx_lev_min_dbm: s.q_rx_lev_min_dbm(),
            p_max_dbm: s.p_max_dbm,
            freq_band_indicator: s.freq_band_indicator,
            scheduling: s
                .scheduling_info
                .iter()
                .map(|si| LteSiSchedule {
                    periodicity_rf: si.periodicity_rf,
                    sibs: si
                        .sibs
                        .iter()
                        .filter_map(|t| match t {
                            SibType::Sib(n) => Some(*n),
                            SibType::Unknown(_) => None,
                        })
                        .collect(),
                    unknown_sibs: si
                        .sibs
                        .iter()
                        .filter(|t| matches!(t, SibType::Unknown(_)))
                        .count(),
                })
                .collect(),
            si_window_ms: s.si_window_ms,
            value_tag: s.system_info_value_tag,
        }
    }

    /// How many distinct SIBs schedulingInfoList names (SIB2, implicit, not counted; each
    /// unknown extension type counted once).
    pub fn named_sibs(&self) -> usize {
        let mut v: Vec<u8> = self
            .scheduling
            .iter()
            .flat_map(|s| s.sibs.iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v.len()
            + self
                .scheduling
                .iter()
                .map(|s| s.unknown_sibs)
                .sum::<usize>()
    }
}

impl LteSib1Obs {
    /// The observation of a SIB1 decode.
    pub fn of(d: &Sib1Decode) -> LteSib1Obs {
        LteSib1Obs {
            hex: d.bytes.iter().map(|b| format!("{b:02x}")).collect(),
            parse_error: d.sib1.as_ref().err().cloned(),
            fields: d.sib1.as_ref().ok().map(LteSib1Fields::of),
        }
    }
}

/// The MIB of a cell (TS 36.331 §6.2.2 MasterInformationBlock).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LteMibObs {
    /// The 24 MIB bits as 6 hex digits, first bit most significant.
    pub hex: String,
    /// Downlink bandwidth in resource blocks (None for a spare dl-Bandwidth code).
    pub bandwidth_prb: Option<u16>,
    /// PHICH duration `normal` / `extended`.
    pub phich_duration: Option<&'static str>,
    /// PHICH resource Ng (`1/6`, `1/2`, `1`, `2`).
    pub phich_ng: Option<&'static str>,
    /// System frame number of the block's first frame.
    pub sfn: u16,
    /// Antenna ports (from the PBCH CRC mask).
    pub antenna_ports: u8,
    /// PBCH decodes that agreed.
    pub pbch_decodes: usize,
}

/// Where a block of samples sits in the stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LteBlock {
    /// Stream sample index (capture rate) of the block's first sample.
    pub start_sample: u64,
    /// The capture's sample rate.
    pub rate_sps: f64,
    /// Samples in the block (capture rate).
    pub samples: u64,
    /// Tuner centre frequency, Hz (0 when unknown).
    pub center_freq_hz: f64,
}

/// `FDD` / `TDD`.
pub fn duplex_name(d: Duplex) -> &'static str {
    match d {
        Duplex::Fdd => "FDD",
        Duplex::Tdd => "TDD",
    }
}

/// `normal` / `extended`.
pub fn cp_name(c: CyclicPrefix) -> &'static str {
    match c {
        CyclicPrefix::Normal => "normal",
        CyclicPrefix::Extended => "extended",
    }
}

/// PHICH Ng as written in TS 36.211 (`1/6`, `1/2`, `1`, `2`).
pub fn ng_name(r: PhichResource) -> &'static str {
    match r {
        PhichResource::OneSixth => "1/6",
        PhichResource::Half => "1/2",
        PhichResource::One => "1",
        PhichResource::Two => "2",
    }
}

fn ser_duplex<S: Serializer>(d: &Duplex, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(duplex_name(*d))
}

fn ser_cp<S: Serializer>(c: &CyclicPrefix, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(cp_name(*c))
}

/// The cell's frequency offset (Hz, from the search rate's baseband centre) and its 1σ
/// uncertainty: the CRS-measured one when subframes were measured, else the search's grid value.
pub fn report_offset(r: &CellReport) -> (f64, Option<f64>) {
    match &r.measurement {
        Some(m) => (m.cfo_hz, Some(m.cfo_uncertainty_hz)),
        None => (r.candidate.cfo_hz, None),
    }
}

impl LteCellObs {
    /// The observation of one receiver report over `block`.
    ///
    /// The carrier is taken to be the one the tuner is centred on (the receiver works on the
    /// central 1.08 MHz): its nominal frequency is the tuner centre rounded to the 100 kHz
    /// raster, and the offset is measured from there, so a tuner a few kHz off the raster does
    /// not shift the EARFCN.
    pub fn from_report(r: &CellReport, block: &LteBlock) -> LteCellObs {
        let centre = block.center_freq_hz;
        let earfcn = earfcn::nearest_dl_earfcn(centre, Some(r.candidate.duplex));
        let band = earfcn.and_then(|e| earfcn::LteBand::of_dl_earfcn(e).map(|b| b.number));
        let nominal = earfcn.and_then(earfcn::dl_freq_hz).unwrap_or(centre);
        let (cfo, unc) = report_offset(r);
        let offset = cfo + (centre - nominal);
        let ppm = |hz: f64| (nominal > 0.0).then(|| hz / nominal * 1e6);
        let frame_at_rate = r.frame_start.max(0.0) * block.rate_sps / SEARCH_RATE_SPS;
        let sample_index = block.start_sample + frame_at_rate.round() as u64;
        let mib = r.mib.as_ref().map(|m| {
            let word = m
                .bits
                .iter()
                .fold(0u32, |acc, b| (acc << 1) | u32::from(b & 1));
            LteMibObs {
                hex: format!("{word:06x}"),
                bandwidth_prb: m.fields.as_ref().map(|f| f.bandwidth_rb),
                phich_duration: m.fields.as_ref().map(|f| {
                    if f.phich_extended {
                        "extended"
                    } else {
                        "normal"
                    }
                }),
                phich_ng: m.fields.as_ref().map(|f| ng_name(f.phich_resource)),
                sfn: m.sfn_at_first_frame,
                antenna_ports: m.ports,
                pbch_decodes: m.decodes,
            }
        });
        let meas = r.measurement.as_ref();
        LteCellObs {
            sample_index,
            time_s: sample_index as f64 / block.rate_sps,
            block_s: block.samples as f64 / block.rate_sps,
            earfcn,
            band,
            dl_freq_hz: nominal,
            pci: r.candidate.pci,
            duplex: r.candidate.duplex,
            cyclic_prefix: r.candidate.cp,
            mib,
            rsrp_dbfs: meas.map(|m| round2(m.rsrp_dbfs)),
            rsrq_db: meas.map(|m| round2(m.rsrq_db)),
            sinr_db: meas.map(|m| round2(m.sinr_db)),
            freq_offset_hz: round2(offset),
            freq_offset_ppm: ppm(offset).map(round4),
            uncertainty_hz: unc.map(round2),
            uncertainty_ppm: unc.and_then(ppm).map(round4),
            sample_clock_ppm: r.clock_error_ppm.map(round2),
            sib1: None,
        }
    }
}

/// The LTE cells of a run, one row per (EARFCN or centre, PCI): what `replay --tech lte` lists
/// at the end. Bounded: at most [`LteCellList::MAX_ROWS`] rows (later cells are counted only).
#[derive(Debug, Clone, Default)]
pub struct LteCellList {
    rows: Vec<LteCellRow>,
    /// Cells not listed because the list was full.
    pub overflow: u64,
}

/// One listed LTE cell: its latest observation and how often it was seen.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LteCellRow {
    /// Windows the cell was found in.
    pub sightings: u64,
    /// First sighting, stream seconds.
    pub first_seen_s: f64,
    /// The latest observation.
    pub latest: LteCellObs,
}

impl LteCellList {
    /// Rows kept at most.
    pub const MAX_ROWS: usize = 1024;

    /// Take one observation into account.
    pub fn observe(&mut self, o: &LteCellObs) {
        let same = |r: &&mut LteCellRow| {
            r.latest.pci == o.pci
                && r.latest.earfcn == o.earfcn
                && (r.latest.dl_freq_hz - o.dl_freq_hz).abs() < 1.0
        };
        if let Some(r) = self.rows.iter_mut().find(same) {
            r.sightings += 1;
            r.first_seen_s = r.first_seen_s.min(o.time_s);
            r.latest = o.clone();
        } else if self.rows.len() < Self::MAX_ROWS {
            self.rows.push(LteCellRow {
                sightings: 1,
                first_seen_s: o.time_s,
                latest: o.clone(),
            });
        } else {
            self.overflow += 1;
        }
    }

    /// The rows, by frequency then PCI.
    pub fn rows(&self) -> Vec<&LteCellRow> {
        let mut v: Vec<&LteCellRow> = self.rows.iter().collect();
        v.sort_by(|a, b| {
            a.latest
                .dl_freq_hz
                .total_cmp(&b.latest.dl_freq_hz)
                .then(a.latest.pci.cmp(&b.latest.pci))
        });
        v
    }

    /// The list as text, one line per cell (`no LTE cell` when empty).
    pub fn text(&self) -> String {
        let mut s = format!("LTE cells: {}\n", self.rows.len());
        if self.rows.is_empty() {
            s.push_str("  no LTE cell (no MIB decoded)\n");
        }
        for r in self.rows() {
            let o = &r.latest;
            let chan = match (o.earfcn, o.band) {
                (Some(e), Some(b)) => format!("EARFCN {e} (band {b})"),
                _ => format!("{:.1} MHz", o.dl_freq_hz / 1e6),
            };
            s.push_str(&format!(
                "  {chan}  PCI {:<3}  {}  {} CP",
                o.pci,
                duplex_name(o.duplex),
                cp_name(o.cyclic_prefix)
            ));
            if let Some(prb) = o.mib.as_ref().and_then(|m| m.bandwidth_prb) {
                s.push_str(&format!("  {prb} PRB"));
            }
            if let Some(m) = &o.mib {
                s.push_str(&format!("  {} ports  MIB {}", m.antenna_ports, m.hex));
            }
            if let Some(p) = o.rsrp_dbfs {
                s.push_str(&format!("  RSRP {p:.1} dBFS"));
            }
            if let Some(p) = o.freq_offset_ppm {
                s.push_str(&format!("  offset {p:+.3} ppm"));
            }
            if let Some(f) = o.sib1.as_ref().and_then(|x| x.fields.as_ref()) {
                let plmns: Vec<String> = f.plmns.iter().map(|p| p.to_string()).collect();
                s.push_str(&format!(
                    "  SIB1 {} TAC {} eNB {}",
                    plmns.join(","),
                    f.tac,
                    f.enb_id
                ));
            }
            s.push_str(&format!("  seen {}×\n", r.sightings));
        }
        if self.overflow > 0 {
            s.push_str(&format!(
                "  ({} more sightings not listed)\n",
                self.overflow
            ));
        }
        s
    }
}

/// Round to 4 decimals (ppm values: 0.0001 ppm is 0.2 Hz at 2 GHz).
fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

#[cfg(test)]
mod tests {
    use super::*;
    use towerwatch_dsp::lte::cell::MibDecode;
    use towerwatch_dsp::lte::measure::CellMeasurement;
    use towerwatch_dsp::lte::rrc::mib::Mib;
    use towerwatch_dsp::lte::search::{CellCandidate, PssPeak};

    fn report() -> CellReport {
        let mut bits = [0u8; 24];
        // dl-Bandwidth 100 PRB (code 5 = 101), PHICH normal, Ng 1 (10), SFN MSB 0x93.
        for (i, b) in [1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1]
            .iter()
            .enumerate()
        {
            bits[i] = *b;
        }
        CellReport {
            candidate: CellCandidate {
                pci: 142,
                duplex: Duplex::Fdd,
                cp: CyclicPrefix::Normal,
                cfo_hz: -41_800.0,
                frame_start: 960.0,
                pss: PssPeak {
                    n_id_2: 1,
                    position: 0.0,
                    cfo_hz: -41_800.0,
                    metric: 10.0,
                },
                sss_quality: 5.0,
            },
            frame_start: 960.0,
            clock_error_ppm: Some(22.2),
            measurement: Some(CellMeasurement {
                rsrp_dbfs: -58.23,
                rsrq_db: -13.4,
                sinr_db: -1.2,
                cfo_hz: -41_841.9,
                cfo_uncertainty_hz: 19.8,
                subframes: 50,
            }),
            mib: Some(MibDecode {
                bits,
                fields: Mib::from_bits(&bits).ok(),
                ports: 2,
                sfn_at_first_frame: 588,
                decodes: 7,
            }),
            frames: 50,
            crc_passes: 7,
        }
    }

    #[test]
    fn a_band_3_cell_from_a_19_2_msps_block() {
        let block = LteBlock {
            start_sample: 19_200_000,
            rate_sps: 19.2e6,
            samples: 19_200_000,
            center_freq_hz: 1_860.0e6,
        };
        let o = LteCellObs::from_report(&report(), &block);
        assert_eq!(o.earfcn, Some(1750));
        assert_eq!(o.band, Some(3));
        assert_eq!(o.dl_freq_hz, 1_860.0e6);
        // Frame start 960 samples at 1.92 MS/s = 9600 at 19.2 MS/s, after the block's start.
        assert_eq!(o.sample_index, 19_209_600);
        assert!((o.time_s - 1.0005).abs() < 1e-9);
        assert_eq!(o.freq_offset_hz, -41_841.9);
        assert!((o.freq_offset_ppm.unwrap() + 22.4957).abs() < 1e-3);
        assert!((o.uncertainty_ppm.unwrap() - 0.0106).abs() < 1e-3);
        let mib = o.mib.as_ref().unwrap();
        assert_eq!(mib.bandwidth_prb, Some(100));
        assert_eq!(mib.hex, "aa4c00");
        let v = serde_json::to_value(&o).unwrap();
        assert_eq!(v["duplex"], "FDD");
        assert_eq!(v["cyclic_prefix"], "normal");
        assert_eq!(v["mib"]["antenna_ports"], 2);
    }

    #[test]
    fn a_tuner_off_the_raster_keeps_the_earfcn_and_moves_the_offset() {
        let block = LteBlock {
            start_sample: 0,
            rate_sps: 1.92e6,
            samples: 1_920_000,
            center_freq_hz: 1_860.002e6,
        };
        let o = LteCellObs::from_report(&report(), &block);
        assert_eq!(o.earfcn, Some(1750));
        assert_eq!(o.freq_offset_hz, -39_841.9);
        // Off every band: the centre itself is the reference.
        let off = LteBlock {
            center_freq_hz: 100e6,
            ..block
        };
        let o = LteCellObs::from_report(&report(), &off);
        assert_eq!((o.earfcn, o.band, o.dl_freq_hz), (None, None, 100e6));
        let unknown = LteBlock {
            center_freq_hz: 0.0,
            ..block
        };
        assert_eq!(
            LteCellObs::from_report(&report(), &unknown).freq_offset_ppm,
            None
        );
    }
}
