//! Hand-made observations for detector tests (unit and integration): a cell's SI3 with given
//! reselection parameters, its SI2 neighbour list, FCCH offsets, Immediate Assignments, spectra.
//! Used by tests only, public so that `tests/detect*.rs` can build the same sequences.

use towerwatch_dsp::arfcn::{Band, Direction};
use towerwatch_dsp::gsm::l3::{
    CellOptions, CellSelection, ChannelDescription, ChannelFrequency, ControlChannelDescription,
    ImmediateAssignment, Lai, Message, RachControl, RequestReference, SelectionParameters, Si2,
    Si3, Si3Rest,
};

use crate::observation::gsm::{CarrierObs, MessageObs, SyncObs};
use crate::observation::{ChannelPower, Observation, SpectrumObs};

/// The band used by the test cells.
pub const BAND: Band = Band::EGsm900;

/// What a test cell broadcasts.
#[derive(Debug, Clone, Copy)]
pub struct CellSpec {
    /// ARFCN (E-GSM 900).
    pub arfcn: u16,
    /// MCC.
    pub mcc: u16,
    /// MNC.
    pub mnc: u16,
    /// LAC.
    pub lac: u16,
    /// Cell identity.
    pub ci: u16,
    /// T3212, decihours.
    pub t3212_dh: u8,
    /// CELL_RESELECT_OFFSET in dB (even); 0 = no rest-octet selection parameters.
    pub cro_db: u8,
    /// PENALTY_TIME code (31 = CRO subtracted).
    pub penalty_time: u8,
    /// CELL_RESELECT_HYSTERESIS code (× 2 dB).
    pub hysteresis: u8,
    /// RXLEV_ACCESS_MIN code.
    pub rxlev_access_min: u8,
}

impl CellSpec {
    /// A normal cell of 262-01 in LAC 4101.
    pub fn legit(arfcn: u16, ci: u16) -> CellSpec {
        CellSpec {
            arfcn,
            mcc: 262,
            mnc: 1,
            lac: 4101,
            ci,
            t3212_dh: 10,
            cro_db: 0,
            penalty_time: 0,
            hysteresis: 2,
            rxlev_access_min: 8,
        }
    }
}

fn freq(arfcn: u16) -> f64 {
    BAND.freq_hz(arfcn, Direction::Downlink).unwrap_or(0.0)
}

fn msg(arfcn: u16, time_s: f64, m: Message) -> MessageObs {
    MessageObs {
        sample_index: (time_s * 1e6) as u64,
        time_s,
        band: BAND,
        arfcn,
        frame_number: 0,
        channel: "bcch".into(),
        name: m.name(),
        l2_hex: None,
        message: serde_json::Value::Null,
        parsed: m,
        raw: [0x2b; 23],
    }
}

fn rach() -> RachControl {
    RachControl {
        max_retrans: 2,
        tx_integer: 12,
        cell_barred: false,
        re: true,
        acc: 0,
    }
}

/// The SI3 of a cell.
pub fn si3(c: &CellSpec, time_s: f64) -> Observation {
    let m = Si3 {
        cell_identity: c.ci,
        lai: Lai {
            mcc: c.mcc,
            mnc: c.mnc,
            mnc_3digits: false,
            lac: c.lac,
        },
        control_channel: ControlChannelDescription {
            mscr: true,
            att: true,
            bs_ag_blks_res: 1,
            ccch_conf: 0,
            cbq3: 0,
            bs_pa_mfrms: 2,
            t3212: c.t3212_dh,
        },
        cell_options: CellOptions {
            pwrc: false,
            dtx: 2,
            radio_link_timeout: 15,
        },
        cell_selection: CellSelection {
            cell_reselect_hysteresis: c.hysteresis,
            ms_txpwr_max_cch: 5,
            acs: false,
            neci: true,
            rxlev_access_min: c.rxlev_access_min,
        },
        rach: rach(),
        rest: Si3Rest {
            selection: (c.cro_db > 0 || c.penalty_time > 0).then_some(SelectionParameters {
                cbq: false,
                cell_reselect_offset: c.cro_db / 2,
                temporary_offset: 0,
                penalty_time: c.penalty_time,
            }),
            ..Si3Rest::default()
        },
    };
    Observation::SystemInfo(msg(c.arfcn, time_s, Message::Si3(m)))
}

/// An SI2 with this neighbour list.
pub fn si2(arfcn: u16, neighbours: &[u16], time_s: f64) -> Observation {
    let m = Si2 {
        neighbours: neighbours.to_vec(),
        ext_ind: false,
        ba_ind: false,
        ncc_permitted: 0xff,
        rach: rach(),
    };
    Observation::SystemInfo(msg(arfcn, time_s, Message::Si2(m)))
}

/// An FCCH measurement: offset in ppm of the carrier (receiver error included), 1σ in ppm.
pub fn fcch(arfcn: u16, offset_ppm: f64, sigma_ppm: f64, time_s: f64) -> Observation {
    let f = freq(arfcn);
    Observation::Carrier(CarrierObs {
        sample_index: (time_s * 1e6) as u64,
        time_s,
        band: BAND,
        arfcn,
        freq_hz: f,
        freq_offset_hz: offset_ppm * f / 1e6,
        freq_offset_ppm: Some(offset_ppm),
        uncertainty_hz: sigma_ppm * f / 1e6,
        snr_db: 30.0,
        synchronized: true,
    })
}

/// A decoded SCH.
pub fn sch(arfcn: u16, bsic: u8, time_s: f64) -> Observation {
    Observation::Sync(SyncObs {
        sample_index: (time_s * 1e6) as u64,
        time_s,
        band: BAND,
        arfcn,
        bsic,
        ncc: bsic >> 3,
        bcc: bsic & 7,
        frame_number: 0,
    })
}

/// An Immediate Assignment on the cell's CCCH.
pub fn ia(arfcn: u16, time_s: f64) -> Observation {
    let m = ImmediateAssignment {
        page_mode: 0,
        dedicated_or_tbf: 0,
        channel: ChannelDescription {
            type_and_offset: 8,
            timeslot: 1,
            tsc: 0,
            frequency: ChannelFrequency::Single { arfcn },
        },
        request: RequestReference {
            ra: 0x20,
            t1p: 0,
            t3: 0,
            t2: 0,
        },
        timing_advance: 1,
        mobile_allocation: Vec::new(),
        starting_time: None,
    };
    let mut o = msg(arfcn, time_s, Message::ImmediateAssignment(m));
    o.channel = "ccch".into();
    Observation::Ccch(o)
}

/// A spectrum interval `[time_s, time_s + duration_s)` with these (band, ARFCN, direction, SNR dB)
/// channels over a −100 dBFS floor.
pub fn spectrum(
    time_s: f64,
    duration_s: f64,
    channels: &[(Band, u16, Direction, f64)],
) -> Observation {
    let floor = -100.0;
    let mut ch: Vec<ChannelPower> = channels
        .iter()
        .map(|&(band, arfcn, dir, snr)| ChannelPower {
            band,
            arfcn,
            freq_hz: band.freq_hz(arfcn, dir).unwrap_or(0.0),
            power_dbfs: floor + snr,
            snr_db: snr,
        })
        .collect();
    ch.sort_by(|a, b| a.freq_hz.total_cmp(&b.freq_hz));
    let carriers = ch
        .iter()
        .filter(|c| c.snr_db >= crate::observation::CARRIER_THRESHOLD_DB)
        .cloned()
        .collect();
    Observation::Spectrum(SpectrumObs {
        sample_index: (time_s * 1e6) as u64,
        time_s,
        duration_s,
        center_freq_hz: ch.first().map(|c| c.freq_hz).unwrap_or(0.0),
        sample_rate_sps: 1e6,
        noise_floor_dbfs: floor,
        peak_freq_hz: 0.0,
        peak_dbfs: 0.0,
        carriers,
        channels: ch,
        psd_dbfs: None,
    })
}

/// Feed observations through a registry and one detector, returning every finding.
pub fn run(
    det: &mut dyn crate::detect::Detector,
    reg: &mut crate::cells::CellRegistry,
    obs: &[Observation],
) -> Vec<crate::detect::Finding> {
    let mut out = Vec::new();
    for o in obs {
        reg.update(o);
        det.observe(o, reg, &mut out);
    }
    out
}

/// The legitimate neighbourhood of the synthetic scenes: five cells of 262-01 (16, 18, 19) and
/// 262-02 (17, 20) listing each other, clocks within 0.05 ppm of a +1.5 ppm receiver error.
pub fn neighbourhood(time_s: f64) -> Vec<Observation> {
    let cells = [
        (16, 1, 4101, 10011, vec![18, 19, 30, 34], 1.52),
        (17, 2, 5201, 20021, vec![20, 42, 44], 1.47),
        (18, 1, 4101, 10012, vec![16, 19, 30], 1.51),
        (19, 1, 4101, 10013, vec![16, 18, 34], 1.48),
        (20, 2, 5201, 20022, vec![17, 42], 1.54),
    ];
    let mut v = Vec::new();
    for (arfcn, mnc, lac, ci, nb, ppm) in cells {
        let mut c = CellSpec::legit(arfcn, ci);
        c.mnc = mnc;
        c.lac = lac;
        for k in 0..4 {
            v.push(fcch(arfcn, ppm, 0.01, time_s + 0.05 * f64::from(k)));
        }
        v.push(sch(arfcn, (arfcn % 8) as u8, time_s + 0.01));
        v.push(si2(arfcn, &nb, time_s + 0.2));
        v.push(si3(&c, time_s + 0.3));
    }
    v
}

/// An LTE cell of band 3 (EARFCN in 1200–1949) as the LTE stage reports it: RSRP, frequency
/// offset (ppm, receiver error included) and its 1σ uncertainty, MIB with 100 PRB and 2 ports.
pub fn lte_cell(
    earfcn: u32,
    pci: u16,
    rsrp_dbfs: f64,
    offset_ppm: f64,
    sigma_ppm: f64,
    time_s: f64,
) -> Observation {
    use crate::observation::lte::{LteCellObs, LteMibObs};
    use towerwatch_dsp::lte::params::{CyclicPrefix, Duplex};
    let dl_freq_hz = towerwatch_dsp::earfcn::dl_freq_hz(earfcn).unwrap_or(1860e6);
    Observation::LteCell(LteCellObs {
        sample_index: (time_s * 1.92e6) as u64,
        time_s,
        block_s: 1.0,
        earfcn: Some(earfcn),
        band: towerwatch_dsp::earfcn::LteBand::of_dl_earfcn(earfcn).map(|b| b.number),
        dl_freq_hz,
        pci,
        duplex: Duplex::Fdd,
        cyclic_prefix: CyclicPrefix::Normal,
        mib: Some(LteMibObs {
            hex: "aa4c00".into(),
            bandwidth_prb: Some(100),
            phich_duration: Some("normal"),
            phich_ng: Some("1"),
            sfn: 588,
            antenna_ports: 2,
            pbch_decodes: 4,
        }),
        rsrp_dbfs: Some(rsrp_dbfs),
        rsrq_db: Some(-10.0),
        sinr_db: Some(5.0),
        freq_offset_hz: offset_ppm * dl_freq_hz / 1e6,
        freq_offset_ppm: Some(offset_ppm),
        uncertainty_hz: Some(sigma_ppm * dl_freq_hz / 1e6),
        uncertainty_ppm: Some(sigma_ppm),
        sample_clock_ppm: None,
        sib1: None,
    })
}

/// SIB1 fields for [`lte_cell_sib1`]: PLMN 460-00, TAC 4589, the SIBs of each SI message,
/// q-RxLevMin, cellBarred, intraFreqReselection and cellReservedForOperatorUse.
pub fn sib1_fields(
    scheduling: Vec<Vec<u8>>,
    q_rx_lev_min_dbm: i16,
    barred: bool,
    intra_freq_allowed: bool,
    reserved: bool,
) -> crate::observation::lte::LteSib1Fields {
    use crate::observation::lte::{LtePlmn, LteSiSchedule, LteSib1Fields};
    LteSib1Fields {
        plmns: vec![LtePlmn {
            mcc: 460,
            mnc: 0,
            mnc_digits: 2,
            reserved_for_operator: reserved,
        }],
        tac: 4589,
        cell_identity: 20_712_707,
        enb_id: 80_909,
        cell_barred: barred,
        intra_freq_reselection_allowed: intra_freq_allowed,
        csg_indication: false,
        q_rx_lev_min_dbm,
        p_max_dbm: None,
        freq_band_indicator: 3,
        scheduling: scheduling
            .into_iter()
            .enumerate()
            .map(|(i, sibs)| LteSiSchedule {
                periodicity_rf: 16 << i,
                sibs,
                unknown_sibs: 0,
            })
            .collect(),
        si_window_ms: 40,
        value_tag: 1,
    }
}

/// [`lte_cell`] (RSRP −60 dBFS, offset 0) carrying a decoded SIB1 with `fields`.
pub fn lte_cell_sib1(
    earfcn: u32,
    pci: u16,
    fields: &crate::observation::lte::LteSib1Fields,
    time_s: f64,
) -> Observation {
    let mut o = lte_cell(earfcn, pci, -60.0, 0.0, 0.01, time_s);
    if let Observation::LteCell(c) = &mut o {
        c.sib1 = Some(crate::observation::lte::LteSib1Obs {
            hex: String::new(),
            parse_error: None,
            fields: Some(fields.clone()),
        });
    }
    o
}
