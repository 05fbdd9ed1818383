//! SystemInformationBlockType1 of a cell found by the search: subframe 5 of every even radio
//! frame demodulated at the cell's full bandwidth, then PCFICH → PDCCH → PDSCH → SIB1.
//!
//! Timing comes from the cell's PSS tracked at 1.92 MS/s ([`super::cell::track_pss`]) and is
//! scaled to the full rate (the search-rate signal is the full-rate one resampled with its delay
//! removed, so sample `i` there is sample `i·rate/1.92 MS/s` here). Each subframe is
//! demodulated with an FFT of `rate / 15 kHz` points, the CRS give the channel of every port
//! ([`super::grid::Subframe`]), and:
//!
//! 1. [`super::pcfich`] gives the CFI; the other two values are tried after it (a wrong CFI only
//!    costs decodes: the DCI's CRC decides).
//! 2. [`super::pdcch`] builds the control region (PHICH from the MIB; in TDD the subframe's
//!    `m_i` depends on the uplink-downlink configuration, which SIB1 itself carries, so 0, 1
//!    and 2 are tried: subframe 5 has `m_i` 0 in configurations 1-5, 2 in 0, 1 in 6) and
//!    blind-decodes DCI 1A/1C for the SI-RNTI in the common search space.
//! 3. [`super::pdsch`] takes the allocated resource elements, de-scrambles them and runs the
//!    DL-SCH decoder with the redundancy version of the DCI (1A) or of TS 36.321 §5.3.1
//!    (`RV = ⌈3k/2⌉ mod 4`, `k = (SFN/2) mod 4`; also tried for 1A when it differs). Each
//!    transmission is decoded alone and also added to the previous ones of the same size (SIB1
//!    repeats every 20 ms with RVs 0, 2, 3, 1 within its 80 ms period).
//! 4. The transport block's CRC-24A passing is the proof; its octets go to
//!    [`super::rrc::sib1::decode_sib1`].

use super::cell::{CellReport, track_pss};
use super::crs::GridSymbol;
use super::fec::dci::{Duplex as DciDuplex, SI_RNTI, sib1_rv};
use super::fec::dlsch::DlschDecoder;
use super::grid::Subframe;
use super::ofdm::OfdmDemod;
use super::params::{CyclicPrefix, Duplex, LteError, Numerology, SEARCH_RATE_SPS};
use super::pcfich::decode_cfi;
use super::pdcch::{
    ControlRegion, DciFound, PhichConfig, SearchCounts, SiDci, control_symbols, pdcch_soft_bits,
    search_common,
};
use super::pdsch::{PdschLayout, decode_si, pdsch_soft_bits};
use super::rrc::sib1::{Sib1, decode_sib1 as parse_sib1};
use num_complex::Complex32;

/// The subframe that carries SIB1 (in frames with an even SFN).
pub const SIB1_SUBFRAME: usize = 5;

/// Counters of one cell's SIB1 decoding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Sib1Counters {
    /// Subframes 5 of even frames demodulated.
    pub subframes: usize,
    /// How often the PCFICH said CFI 1, 2, 3.
    pub cfi: [usize; 3],
    /// Subframes where a DCI with the SI-RNTI was found.
    pub dcis: usize,
    /// PDCCH candidate decodes run.
    pub pdcch_decodes: usize,
    /// DCI CRCs that matched the SI-RNTI but carried unusable fields.
    pub bad_dcis: usize,
    /// Transport blocks whose CRC failed (alone and combined).
    pub crc_failures: usize,
    /// Transport blocks whose CRC passed.
    pub crc_passes: usize,
}

/// A SIB1 whose transport-block CRC passed.
#[derive(Debug, Clone, PartialEq)]
pub struct Sib1Decode {
    /// The transport block's octets (a BCCH-DL-SCH message).
    pub bytes: Vec<u8>,
    /// The parsed message (Err: the parser's complaint).
    pub sib1: Result<Sib1, String>,
    /// SFN of the transmission that completed the decode.
    pub sfn: u16,
    /// CFI of that subframe.
    pub cfi: u8,
    /// The DCI.
    pub dci: DciFound,
    /// Transmissions that went into the decode (1 = decoded alone).
    pub transmissions: usize,
}

/// What SIB1 decoding found for one cell.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sib1Report {
    /// The SIB1, when a transport block passed its CRC.
    pub decode: Option<Sib1Decode>,
    /// Counters.
    pub counters: Sib1Counters,
}

/// Settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Sib1Config {
    /// Most SIB1 subframes examined.
    pub max_subframes: usize,
    /// Stop at the first transport block whose CRC passes (else every SIB1 subframe is decoded
    /// and counted; the first decode is kept).
    pub stop_on_success: bool,
}

impl Default for Sib1Config {
    fn default() -> Self {
        Sib1Config {
            max_subframes: 16,
            stop_on_success: true,
        }
    }
}

/// Why SIB1 decoding could not start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Sib1Error {
    /// The cell has no confirmed MIB (bandwidth, PHICH, ports, SFN are needed).
    #[error("no MIB for this cell")]
    NoMib,
    /// The sample rate does not sample the cell's bandwidth on the LTE grid.
    #[error(
        "{rate_sps} S/s does not carry {n_rb} resource blocks on the LTE subcarrier grid (needs a multiple of 1.92 MS/s with more than 12·N_RB FFT points)"
    )]
    Rate {
        /// The capture's rate.
        rate_sps: f64,
        /// The cell's bandwidth.
        n_rb: usize,
    },
    /// The cell report holds values no search gives (timing outside the input, offset beyond
    /// the band, PCI above 503).
    #[error("cell report out of range")]
    Cell,
    /// An LTE parameter error.
    #[error(transparent)]
    Lte(#[from] LteError),
}

/// The sample rates of the LTE subcarrier grid: 15 kHz times a standard FFT size (128 to 2048).
pub const GRID_RATES_SPS: [f64; 7] = [1.92e6, 3.84e6, 7.68e6, 15.36e6, 19.2e6, 23.04e6, 30.72e6];

/// `x` at `rate_sps` brought onto the LTE grid for a cell of `n_rb` resource blocks.
///
/// A rate that already is a multiple of 1.92 MS/s whose FFT holds the cell (more than 12·N_RB
/// points) comes back unchanged. Any other rate that still carries the cell's occupied bandwidth
/// (12·N_RB subcarriers of 15 kHz; e.g. 20 MS/s from a HackRF or 10 MS/s from an Airspy) is
/// resampled by a rational polyphase resampler to the lowest grid rate that holds the cell, the
/// filter's delay removed so that sample times keep their meaning (the cell's timing found at
/// 1.92 MS/s scales onto the result). Returns the samples and their rate.
pub fn to_grid_rate(
    x: &[Complex32],
    rate_sps: f64,
    n_rb: usize,
) -> Result<(std::borrow::Cow<'_, [Complex32]>, f64), Sib1Error> {
    let occupied_hz = 12.0 * n_rb as f64 * 15e3;
    let bad = Sib1Error::Rate { rate_sps, n_rb };
    if !(rate_sps.is_finite() && rate_sps > occupied_hz && n_rb > 0) {
        return Err(bad);
    }
    if let Ok(num) = Numerology::new(rate_sps, CyclicPrefix::Normal)
        && 12 * n_rb < num.n_fft
    {
        return Ok((std::borrow::Cow::Borrowed(x), rate_sps));
    }
    let target = GRID_RATES_SPS
        .into_iter()
        .find(|r| (r / 15e3).round() as usize > 12 * n_rb)
        .ok_or(bad.clone())?;
    let (up, down) = crate::filter::rational_approx(target / rate_sps, 512, 16384);
    if up == 0 || down == 0 || ((up as f64 / down as f64) * rate_sps - target).abs() > 1.0 {
        return Err(bad);
    }
    let fs_up = rate_sps * up as f64;
    let pass_hz = occupied_hz / 2.0 + 15e3;
    let stop_hz = (rate_sps.min(target) / 2.0).max(pass_hz + 50e3);
    let taps =
        crate::filter::lowpass_for(fs_up, pass_hz, stop_hz, 60.0).map_err(|_| bad.clone())?;
    let delay_out = (taps.len() - 1) as f64 / 2.0 / down as f64;
    let mut rs = crate::filter::RationalResampler::new(up as usize, down as usize, &taps)
        .map_err(|_| bad)?;
    let mut y = Vec::with_capacity(x.len() * up as usize / down as usize + 1);
    rs.process(x, &mut y);
    let skip = (delay_out.round() as usize).min(y.len());
    Ok((std::borrow::Cow::Owned(y.split_off(skip)), target))
}

/// Decodes SIB1 of `cell` (found by [`super::cell::scan`] on `x_search`, which is `x` resampled
/// to 1.92 MS/s by [`super::search::to_search_rate`]) from `x` at `rate_sps`.
pub fn decode_sib1(
    x: &[Complex32],
    rate_sps: f64,
    x_search: &[Complex32],
    cell: &CellReport,
    cfg: &Sib1Config,
) -> Result<Sib1Report, Sib1Error> {
    let mib = cell.mib.as_ref().ok_or(Sib1Error::NoMib)?;
    let fields = mib.fields.ok_or(Sib1Error::NoMib)?;
    let n_rb = usize::from(fields.bandwidth_rb);
    let cand = &cell.candidate;
    // Rates off the grid (20 MS/s, 10 MS/s …) are resampled onto it first.
    let (x, rate_sps) = to_grid_rate(x, rate_sps, n_rb)?;
    let x: &[Complex32] = &x;
    let num = Numerology::new(rate_sps, cand.cp).map_err(|_| Sib1Error::Rate { rate_sps, n_rb })?;
    if 12 * n_rb >= num.n_fft {
        return Err(Sib1Error::Rate { rate_sps, n_rb });
    }
    let num_search = Numerology::new(SEARCH_RATE_SPS, cand.cp)?;
    let sane = cand.frame_start.is_finite()
        && cand.frame_start > -(num_search.frame_len() as f64)
        && cand.frame_start < x_search.len() as f64
        && cand.cfo_hz.is_finite()
        && cand.cfo_hz.abs() < SEARCH_RATE_SPS / 2.0
        && cand.pci < 504;
    if !sane {
        return Err(Sib1Error::Cell);
    }
    let (pss, _) = track_pss(x_search, cand, &num_search);
    let d = rate_sps / SEARCH_RATE_SPS;
    let cfo_hz = cell.measurement.map_or(cand.cfo_hz, |m| m.cfo_hz);
    let dci_duplex = match cand.duplex {
        Duplex::Fdd => DciDuplex::Fdd,
        Duplex::Tdd => DciDuplex::Tdd,
    };
    let m_list: &[u8] = match cand.duplex {
        Duplex::Fdd => &[1],
        Duplex::Tdd => &[0, 1, 2],
    };
    let mut demod = OfdmDemod::new(num);
    let n_sym = num.symbols_per_slot();
    let mut report = Sib1Report::default();
    let mut counts = SearchCounts::default();
    let mut combiner = DlschDecoder::new();
    let mut combined = 0usize;
    let mut frame = 0usize;
    while let Some(&p) = pss.get(2 * frame + 1) {
        let k = frame;
        frame += 1;
        let sfn = ((usize::from(mib.sfn_at_first_frame) + k) % 1024) as u16;
        if !sfn.is_multiple_of(2) {
            continue;
        }
        if report.counters.subframes >= cfg.max_subframes {
            break;
        }
        let half_start = (p - num_search.pss_offset(cand.duplex) as f64) * d;
        let mut grid = Vec::with_capacity(2 * n_sym);
        for slot in 0..2 {
            for l in 0..n_sym {
                let time = half_start + num.symbol_start(slot, l) as f64;
                let mut re = vec![Complex32::new(0.0, 0.0); 12 * n_rb];
                if demod.demod(x, time, cfo_hz, &mut re) {
                    grid.push(GridSymbol {
                        ns: 2 * SIB1_SUBFRAME + slot,
                        l,
                        time,
                        re,
                    });
                }
            }
        }
        let Some(sf) =
            Subframe::from_grid(&grid, cand.pci, cand.cp, n_rb, mib.ports, SIB1_SUBFRAME)
        else {
            continue;
        };
        report.counters.subframes += 1;
        let Some(cfi) = decode_cfi(&sf) else { continue };
        report.counters.cfi[usize::from(cfi.cfi - 1)] += 1;
        let mut cfis = vec![cfi.cfi];
        cfis.extend((1..=3).filter(|&c| c != cfi.cfi));
        let mut hit: Option<(u8, DciFound)> = None;
        'search: for &c in &cfis {
            for &m_i in m_list {
                let phich = PhichConfig {
                    ng: fields.phich_resource.ng(),
                    extended: fields.phich_extended,
                    m_i,
                };
                let Some(region) =
                    ControlRegion::new(cand.pci, n_rb, mib.ports, cand.cp, c, &phich)
                else {
                    continue;
                };
                let soft = pdcch_soft_bits(&sf, &region);
                let found =
                    search_common(&soft, region.n_cce, n_rb, dci_duplex, SI_RNTI, &mut counts);
                if let Some(f) = found.into_iter().next() {
                    hit = Some((c, f));
                    break 'search;
                }
            }
        }
        let Some((c, dci)) = hit else { continue };
        report.counters.dcis += 1;
        let Some(alloc) = dci.dci.allocation(n_rb) else {
            continue;
        };
        let layout = PdschLayout {
            n_rb,
            cp: cand.cp,
            pci: cand.pci,
            ports: mib.ports,
            subframe: SIB1_SUBFRAME,
            duplex: cand.duplex,
            control_symbols: control_symbols(c, n_rb),
        };
        let res = layout.res(&alloc.prbs_slot0, &alloc.prbs_slot1);
        let soft = pdsch_soft_bits(&sf, &res, SI_RNTI);
        let rv_std = sib1_rv(sfn);
        let mut rvs = Vec::with_capacity(2);
        if let SiDci::A(a) = dci.dci {
            rvs.push(a.rv);
        }
        if !rvs.contains(&rv_std) {
            rvs.push(rv_std);
        }
        let mut done = None;
        for &rv in &rvs {
            let mut single = DlschDecoder::new();
            match decode_si(&mut single, &soft, &alloc, mib.ports, rv) {
                Ok(tb) => {
                    done = Some((tb, 1));
                    break;
                }
                Err(_) => report.counters.crc_failures += 1,
            }
        }
        if done.is_none() {
            combined += 1;
            match decode_si(&mut combiner, &soft, &alloc, mib.ports, rvs[0]) {
                Ok(tb) => done = Some((tb, combined)),
                Err(_) => report.counters.crc_failures += 1,
            }
        }
        if let Some((tb, transmissions)) = done {
            report.counters.crc_passes += 1;
            combiner.reset();
            combined = 0;
            if report.decode.is_none() {
                let bytes = tb.to_bytes();
                report.decode = Some(Sib1Decode {
                    sib1: parse_sib1(&bytes).map_err(|e| e.to_string()),
                    bytes,
                    sfn,
                    cfi: c,
                    dci,
                    transmissions,
                });
            }
            if cfg.stop_on_success {
                break;
            }
        }
    }
    report.counters.pdcch_decodes = counts.decodes;
    report.counters.bad_dcis = counts.bad_fields;
    Ok(report)
}
