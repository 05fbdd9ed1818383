//! The GSM stage of the pipeline: finds carriers in the spectrum, runs one receiver per carrier
//! (FCCH → SCH → bursts → xCCH blocks → L3), and turns what they report into observations.
//!
//! Carriers are discovered from a short Welch average (`discovery_s`, repeated every
//! `rediscover_s` so a transmitter that appears later is picked up); each receiver is fed from the
//! block where its carrier was found. With fixed carriers (`decode --freq/--arfcn`), discovery is
//! off.

mod frames;

use frames::*;
pub use frames::{frame_hex, masked_json};

use crate::observation::gsm::{
    CarrierCounters, CarrierObs, DecodeStatsObs, DedicatedObs, DedicatedStats, MessageObs,
    NotFollowed, SyncLostObs, SyncObs,
};
use crate::observation::{Observation, channel_powers};
use crate::pipeline::Block;
use num_complex::Complex32;
use serde_json::Value;
use towerwatch_dsp::arfcn::{Band, Direction, channel_at};
use towerwatch_dsp::filter::Channelizer;
use towerwatch_dsp::gsm::l3::{Control, Message, UKind};
use towerwatch_dsp::gsm::rx::carrier::{CarrierDecoder, DedicatedFrame, FrameContent};
use towerwatch_dsp::gsm::rx::clock::FrameClock;
use towerwatch_dsp::gsm::rx::fcch_wide::ToneSearch;
use towerwatch_dsp::gsm::rx::{DecodedFrame, Receiver, RxConfig, RxEvent};
use towerwatch_dsp::spectrum::{Welch, WelchConfig};

/// Settings of the GSM stage.
#[derive(Debug, Clone)]
pub struct GsmStageConfig {
    /// Seconds of signal averaged to find carriers.
    pub discovery_s: f64,
    /// Look for new carriers this often (seconds of signal).
    pub rediscover_s: f64,
    /// At most this many receivers.
    pub max_carriers: usize,
    /// A channel is tried when its power stands this far above the noise floor…
    pub candidate_snr_db: f64,
    /// …and no further than this below the strongest channel.
    pub candidate_range_db: f64,
    /// A receiver that finds no FCCH within this much signal is dropped (not a BCCH carrier)…
    pub probe_s: f64,
    /// …and its channel is not tried again for this long.
    pub retry_after_s: f64,
    /// Decode only these carriers (absolute Hz); empty = discover.
    pub fixed_carriers_hz: Vec<f64>,
    /// Show subscriber identities in clear (default: masked).
    pub reveal_identities: bool,
    /// Include the L2 frame hex in message observations.
    pub include_hex: bool,
    /// Inputs at this rate or above go through one FFT filter bank that delivers every carrier
    /// at about 600 kS/s to its receiver (O(N log N) for all channels); narrower inputs feed
    /// each receiver the stream itself (its own mixer and resampler), which is cheaper there.
    pub channelizer_min_rate_sps: f64,
    /// Worker threads for the receivers (1 = all in the analysis thread). More pays only with
    /// many carriers: the receivers of a block are split between the threads.
    pub threads: usize,
}

impl Default for GsmStageConfig {
    fn default() -> Self {
        GsmStageConfig {
            discovery_s: 0.05,
            rediscover_s: 1.0,
            max_carriers: 16,
            candidate_snr_db: 3.0,
            candidate_range_db: 30.0,
            probe_s: 1.0,
            retry_after_s: 10.0,
            fixed_carriers_hz: Vec::new(),
            reveal_identities: false,
            include_hex: true,
            channelizer_min_rate_sps: 2e6,
            threads: 1,
        }
    }
}

/// The receiver clock errors discovery allows for from a cold start (cheap dongles without a
/// TCXO: 30–100 ppm). A carrier whose FCCH could belong to two ARFCNs within this (at DCS1800,
/// where 200 kHz is 111 ppm) waits for its frame timing to say which.
const MAX_RX_PPM: f64 = 102.0;
/// With a known receiver error larger than this (Hz at the carrier), channels found by power
/// are not tried on the nominal grid (the energy there is another carrier's): the FCCH tone
/// search places the receivers.
const SHIFTED_GRID_HZ: f64 = 10e3;
/// A frame-timing fit this precise (1σ, ppm) over at least [`CLOCK_RESOLVE_SPAN_S`] picks between
/// ARFCNs 111 ppm apart (a wrong pick would be a 27σ error).
const CLOCK_RESOLVE_PPM: f64 = 2.0;
/// See [`CLOCK_RESOLVE_PPM`].
const CLOCK_RESOLVE_SPAN_S: f64 = 0.2;

/// In a dense band, a channel this far above the (valley) floor is still tried…
const DENSE_SNR_DB: f64 = 1.5;
/// …unless it is more than this below a neighbour (then it is that neighbour's skirt).
const SKIRT_DB: f64 = 15.0;

/// A rejected channel whose power has risen this much since its probe is tried again at once
/// (a transmitter switched on there), instead of after `retry_after_s`.
const RISE_DB: f64 = 6.0;

/// A channel whose probe found no FCCH.
struct Rejected {
    /// Where the receiver listened (absolute Hz).
    freq_hz: f64,
    /// Stream index before which it is not tried again.
    until: u64,
    /// Its channel power when it was tried, for receivers placed by power (`None`: placed on an
    /// FCCH tone).
    power_dbfs: Option<f64>,
}

/// Whether a receiver's ARFCN is known (see [`MAX_RX_PPM`]).
enum Label {
    /// No FCCH seen yet: `arfcn` is where the receiver was put.
    Unchecked,
    /// The ARFCN is the only one its FCCH allows, or the frame timing chose it.
    Resolved,
    /// Several ARFCNs fit the FCCH; events are held until the frame timing decides.
    Pending {
        /// Where the carrier appears (absolute Hz).
        apparent_hz: f64,
        /// Events not yet reported.
        held: Vec<RxEvent>,
    },
}

struct CarrierRx {
    band: Band,
    arfcn: u16,
    freq_hz: f64,
    /// The receiver's channel sits at `freq_hz + shift_hz` (the receiver's own clock error moves
    /// every carrier); offsets it measures are reported from `freq_hz`.
    shift_hz: f64,
    label: Label,
    /// Frame timing of the SCH bursts (the receiver's clock error).
    clock: FrameClock,
    /// Latest synchronised FCCH offset from `freq_hz`, Hz, once an SCH decoded.
    offset_hz: Option<f64>,
    start_index: u64,
    /// Channel power when discovery placed it by power (`None`: placed on an FCCH tone, or fixed).
    placed_power_dbfs: Option<f64>,
    /// Stream index up to which this receiver has been fed.
    fed_until: u64,
    /// Receiver, block decoder, L3, reassembly and SDCCH following of the carrier.
    dec: CarrierDecoder,
    events: Vec<RxEvent>,
}

/// Output rate the filter bank aims at: the lowest power-of-two fraction of the input rate at
/// or above this (600–625 kS/s for the usual SDR rates) leaves room for the receiver's own
/// 170 kHz channel filter and its resampling to 4 samples per symbol.
const BANK_MIN_OUTPUT_SPS: f64 = 500e3;
/// The bank's flat band (the receiver's channel filter is flat to 100 kHz).
const BANK_PASS_HZ: f64 = 130e3;

/// The FFT filter bank that feeds every receiver of a wide input.
struct Bank {
    ch: Channelizer,
    /// Stream index of the bank's input sample 0.
    stream_start: u64,
    /// One output vector per receiver, in the order of `GsmStage::receivers`.
    outs: Vec<Vec<Complex32>>,
}

/// The GSM stage.
pub struct GsmStage {
    cfg: GsmStageConfig,
    rate_sps: f64,
    receivers: Vec<CarrierRx>,
    welch: Welch,
    welch_samples: u64,
    next_discovery: u64,
    tuned_hz: f64,
    /// Channels whose probe found no FCCH.
    rejected: Vec<Rejected>,
    /// Samples of the open discovery window (new receivers start from its first sample).
    history: Vec<num_complex::Complex32>,
    history_start: u64,
    /// Decimation of the filter bank (0: no bank, each receiver reads the stream).
    bank_decim: usize,
    bank: Option<Bank>,
    /// FCCH tone search over the open discovery window (any frequency).
    tones: Option<ToneSearch>,
    tone_hits: Vec<towerwatch_dsp::gsm::rx::fcch_wide::FcchTone>,
    /// The receiver's clock error (ppm, positive: fast), from the carriers decoded so far;
    /// kept across retunes.
    rx_ppm: Option<f64>,
}

/// Why the GSM stage could not be set up, or could not place a receiver.
#[derive(Debug, thiserror::Error)]
pub enum GsmStageError {
    /// Its discovery spectrum cannot be computed at this rate.
    #[error("GSM stage spectrum: {0}")]
    Spectrum(#[from] towerwatch_dsp::spectrum::SpectrumError),
    /// The filter bank refused its settings.
    #[error("GSM filter bank: {0}")]
    Filter(#[from] towerwatch_dsp::filter::FilterError),
    /// A receiver refused its settings.
    #[error("GSM receiver: {0}")]
    Receiver(#[from] towerwatch_dsp::gsm::rx::RxError),
    /// A carrier asked for is not a GSM downlink channel.
    #[error("{:.3} MHz is not a GSM downlink carrier", .freq_hz / 1e6)]
    NotACarrier {
        /// The frequency asked for.
        freq_hz: f64,
    },
    /// A carrier asked for lies outside the captured band.
    #[error(
        "{:.3} MHz is outside the captured band ({:.3} MHz ± {:.3} MHz)",
        .freq_hz / 1e6, .tuned_hz / 1e6, .rate_sps / 2e6
    )]
    OutsideBand {
        /// The carrier.
        freq_hz: f64,
        /// Where the receiver is tuned.
        tuned_hz: f64,
        /// The stream's rate.
        rate_sps: f64,
    },
}

impl GsmStage {
    /// A stage for a stream at `rate_sps`.
    pub fn new(cfg: GsmStageConfig, rate_sps: f64) -> Result<GsmStage, GsmStageError> {
        let welch = Welch::new(WelchConfig {
            fft_len: fft_len_for(rate_sps),
            ..WelchConfig::default()
        })?;
        let mut bank_decim = 0;
        if rate_sps >= cfg.channelizer_min_rate_sps {
            let mut d = 1usize;
            while rate_sps / (2 * d) as f64 >= BANK_MIN_OUTPUT_SPS {
                d *= 2;
            }
            if d >= 2 {
                bank_decim = d;
            }
        }
        Ok(GsmStage {
            bank_decim,
            bank: None,
            cfg,
            rate_sps,
            receivers: Vec::new(),
            welch,
            welch_samples: 0,
            next_discovery: 0,
            tuned_hz: f64::NAN,
            history: Vec::new(),
            history_start: 0,
            rejected: Vec::new(),
            tones: None,
            tone_hits: Vec::new(),
            rx_ppm: None,
        })
    }

    /// The receiver's own clock error estimated from the carriers (ppm, positive: it runs
    /// fast), once one has decoded an SCH.
    pub fn rx_ppm(&self) -> Option<f64> {
        self.rx_ppm
    }

    /// Seeds the receiver clock error (measured earlier, e.g. by a scan's previous steps), used
    /// to place receivers and name their ARFCNs until the carriers measure it.
    pub fn set_rx_ppm(&mut self, ppm: f64) {
        if ppm.is_finite() && ppm.abs() <= MAX_RX_PPM * 2.0 {
            self.rx_ppm = Some(ppm);
        }
    }

    fn add_receiver(
        &mut self,
        freq_hz: f64,
        tuned_hz: f64,
        start_index: u64,
    ) -> Result<(), GsmStageError> {
        self.add_receiver_shifted(freq_hz, 0.0, tuned_hz, start_index)
    }

    /// A receiver for the carrier of nominal `freq_hz` that appears `shift_hz` from it.
    fn add_receiver_shifted(
        &mut self,
        freq_hz: f64,
        shift_hz: f64,
        tuned_hz: f64,
        start_index: u64,
    ) -> Result<(), GsmStageError> {
        let Some(ch) = channel_at(freq_hz, Direction::Downlink) else {
            return Err(GsmStageError::NotACarrier { freq_hz });
        };
        if self
            .receivers
            .iter()
            .any(|r| (r.freq_hz - ch.freq_hz).abs() < 1.0)
        {
            return Ok(());
        }
        let offset = ch.freq_hz + shift_hz - tuned_hz;
        if offset.abs() > self.rate_sps / 2.0 - 100e3 {
            return Err(GsmStageError::OutsideBand {
                freq_hz: ch.freq_hz,
                tuned_hz,
                rate_sps: self.rate_sps,
            });
        }
        let mut start_index = start_index;
        let rc = match self.bank.as_mut() {
            Some(bank) => {
                let mut backlog = Vec::new();
                let first = bank.ch.add_channel(offset, &mut backlog)?;
                let i = bank.ch.channels() - 1;
                let d = bank.ch.decim() as f64;
                start_index = bank.stream_start + first * bank.ch.decim() as u64;
                let mut rc = RxConfig::new(
                    bank.ch.output_rate_sps(),
                    bank.ch.residual_hz(i).unwrap_or(0.0),
                );
                rc.index_scale = d;
                rc.index_origin = bank.ch.input_time(first as f64) + bank.stream_start as f64
                    - start_index as f64;
                bank.outs.push(backlog);
                rc
            }
            None => RxConfig::new(self.rate_sps, offset),
        };
        let mut rc = rc;
        rc.carrier_hz = Some(ch.freq_hz);
        rc.timeslot_mask = 0x01;
        let rx = match Receiver::new(rc) {
            Ok(rx) => rx,
            Err(e) => {
                if let Some(bank) = self.bank.as_mut() {
                    bank.outs.pop();
                    bank.ch.remove_channel(bank.ch.channels().saturating_sub(1));
                }
                return Err(e.into());
            }
        };
        let index_rate = self.rate_sps;
        self.receivers.push(CarrierRx {
            band: ch.band,
            arfcn: ch.arfcn,
            freq_hz: ch.freq_hz,
            shift_hz,
            label: if self.cfg.fixed_carriers_hz.is_empty() {
                Label::Unchecked
            } else {
                Label::Resolved
            },
            clock: FrameClock::new(index_rate),
            offset_hz: None,
            start_index,
            placed_power_dbfs: None,
            fed_until: start_index,
            dec: CarrierDecoder::new(rx, ch.arfcn),
            events: Vec::new(),
        });
        Ok(())
    }

    /// Feed a block; push observations to `out`. Errors are configuration problems (a fixed
    /// carrier outside the band), reported once.
    pub fn process(
        &mut self,
        block: &Block,
        out: &mut Vec<Observation>,
    ) -> Result<(), GsmStageError> {
        if self.tuned_hz.is_nan() {
            self.tuned_hz = block.frequency_hz;
            self.reset_bank(block.first_sample)?;
            for f in self.cfg.fixed_carriers_hz.clone() {
                // With a known receiver error, the receiver goes where the carrier appears.
                let shift_hz = self.rx_ppm.map_or(0.0, |e| f / (1.0 + e * 1e-6) - f);
                self.add_receiver_shifted(f, shift_hz, block.frequency_hz, block.first_sample)?;
            }
        } else if self.tuned_hz.to_bits() != block.frequency_hz.to_bits() {
            // Retuned: the receivers' carriers are gone from this band.
            self.finish(out);
            self.receivers.clear();
            self.tuned_hz = block.frequency_hz;
            self.next_discovery = block.first_sample;
            self.reset_bank(block.first_sample)?;
        }
        if self.bank.is_some() {
            self.process_banked(block, out);
            return Ok(());
        }
        if self.cfg.fixed_carriers_hz.is_empty() {
            self.discover(block, out);
        }
        let end = block.first_sample + block.samples.len() as u64;
        let rx_ppm = self.rx_ppm;
        for r in &mut self.receivers {
            if end <= r.fed_until {
                continue;
            }
            let skip = r.fed_until.saturating_sub(block.first_sample) as usize;
            r.events.clear();
            r.dec.process(
                &block.samples[skip.min(block.samples.len())..],
                &mut r.events,
            );
            r.fed_until = end;
            emit(r, self.rate_sps, &self.cfg, rx_ppm, out);
        }
        self.update_rx_ppm();
        self.prune(end);
        Ok(())
    }

    /// A fresh filter bank (wide inputs only) whose input sample 0 is stream index `start`.
    fn reset_bank(&mut self, start: u64) -> Result<(), GsmStageError> {
        if self.bank_decim == 0 {
            return Ok(());
        }
        let mut ch = Channelizer::new(self.rate_sps, self.bank_decim, BANK_PASS_HZ, &[])?;
        // Keep the spectra of the discovery window, so a carrier found in it is received from
        // the window's start (as the narrow path replays its samples).
        let window = self.cfg.discovery_s * self.rate_sps;
        ch.set_history_blocks((window / ch.hop().max(1) as f64).ceil() as usize + 2);
        if !self.cfg.fixed_carriers_hz.is_empty() {
            ch.set_history_blocks(0);
        }
        self.bank = Some(Bank {
            ch,
            stream_start: start,
            outs: Vec::new(),
        });
        Ok(())
    }

    /// Wide input: one filter bank pass for all carriers, then every receiver on its channel
    /// (split over `threads` worker threads when there are enough carriers to pay for it).
    fn process_banked(&mut self, block: &Block, out: &mut Vec<Observation>) {
        let end = block.first_sample + block.samples.len() as u64;
        // The history must reach back to the start of the open discovery window (which ends
        // at a block boundary, so it can hold up to one block more than `discovery_s`).
        let window_start = if self.welch_samples == 0 {
            self.next_discovery.max(block.first_sample)
        } else {
            self.history_start
        };
        if let Some(bank) = self.bank.as_mut() {
            let need = end.saturating_sub(window_start) as usize / bank.ch.hop().max(1) + 2;
            if self.cfg.fixed_carriers_hz.is_empty() && need > bank.ch.history_blocks() {
                bank.ch.set_history_blocks(need);
            }
            bank.ch.process(&block.samples, &mut bank.outs);
            let threads = self.cfg.threads.max(1);
            let work = |rs: &mut [CarrierRx], os: &mut [Vec<Complex32>]| {
                for (r, o) in rs.iter_mut().zip(os.iter_mut()) {
                    r.events.clear();
                    r.dec.process(o, &mut r.events);
                    o.clear();
                    r.fed_until = end;
                }
            };
            if threads > 1 && self.receivers.len() >= 2 * threads {
                let per = self.receivers.len().div_ceil(threads);
                std::thread::scope(|sc| {
                    for (rs, os) in self
                        .receivers
                        .chunks_mut(per)
                        .zip(bank.outs.chunks_mut(per))
                    {
                        sc.spawn(move || work(rs, os));
                    }
                });
            } else {
                work(&mut self.receivers, &mut bank.outs);
            }
            let rx_ppm = self.rx_ppm;
            for r in &mut self.receivers {
                emit(r, self.rate_sps, &self.cfg, rx_ppm, out);
            }
        }
        self.update_rx_ppm();
        if self.cfg.fixed_carriers_hz.is_empty() {
            self.discover(block, out);
        }
        self.prune(end);
    }

    fn discover(&mut self, block: &Block, out: &mut Vec<Observation>) {
        let end = block.first_sample + block.samples.len() as u64;
        if end <= self.next_discovery {
            return;
        }
        let skip = self.next_discovery.saturating_sub(block.first_sample) as usize;
        let fresh = &block.samples[skip.min(block.samples.len())..];
        if self.welch_samples == 0 {
            self.history.clear();
            self.history_start = end - fresh.len() as u64;
            self.tones = ToneSearch::new(self.rate_sps);
            self.tone_hits.clear();
        }
        self.welch.process(fresh);
        if let Some(t) = self.tones.as_mut() {
            t.process(fresh, &mut self.tone_hits);
        }
        if self.bank.is_none() {
            self.history.extend_from_slice(fresh);
        }
        self.welch_samples += fresh.len() as u64;
        if (self.welch_samples as f64) < self.cfg.discovery_s * self.rate_sps {
            return;
        }
        let before = self.receivers.len();
        if let Some(psd) = self.welch.psd(self.rate_sps) {
            let (_, channels) = channel_powers(&psd, block.frequency_hz);
            // Carriers are found by trying: every channel that stands out of the floor and is
            // not far below the strongest gets a receiver, which keeps it only if it finds FCCH.
            // (In a dense band the floor estimate sits on carrier skirts, so a strict SNR test
            // would miss carriers; the FCCH search is the real test.)
            let strongest = channels
                .iter()
                .map(|c| c.power_dbfs)
                .fold(f64::NEG_INFINITY, f64::max);
            let now = end;
            self.rejected.retain(|r| r.until > now);
            // A channel probed empty whose power has since risen has a new transmitter: try it
            // now, not `retry_after_s` later (a blaster switched on where discovery looked
            // before).
            self.rejected.retain(|r| {
                let Some(p) = r.power_dbfs else { return true };
                !channels
                    .iter()
                    .any(|c| (c.freq_hz - r.freq_hz).abs() < 1.0 && c.power_dbfs >= p + RISE_DB)
            });
            // A dense band has no noise-only spectrum: its floor estimate sits in the valleys
            // between carriers and real carriers read only 2-3 dB above it. Such a channel is
            // still tried when it is not just the skirt of a neighbour (GMSK's adjacent-channel
            // spill is ~18 dB or more down), so only empty channels next to strong ones are
            // skipped.
            let neighbour_max: Vec<f64> = channels
                .iter()
                .map(|c| {
                    channels
                        .iter()
                        .filter(|o| ((o.freq_hz - c.freq_hz).abs() - 200e3).abs() < 1e3)
                        .map(|o| o.power_dbfs)
                        .fold(f64::NEG_INFINITY, f64::max)
                })
                .collect();
            let snr_min = self.cfg.candidate_snr_db;
            let mut found: Vec<_> = channels
                .into_iter()
                .zip(neighbour_max)
                .filter(|(c, nmax)| {
                    c.snr_db >= snr_min
                        || (c.snr_db >= DENSE_SNR_DB && c.power_dbfs >= nmax - SKIRT_DB)
                })
                .map(|(c, _)| c)
                .filter(|c| c.power_dbfs >= strongest - self.cfg.candidate_range_db)
                .filter(|c| {
                    !self
                        .rejected
                        .iter()
                        .any(|r| (r.freq_hz - c.freq_hz).abs() < 1.0)
                })
                .collect();
            found.sort_by(|a, b| b.power_dbfs.total_cmp(&a.power_dbfs));
            let shifted = self
                .rx_ppm
                .is_some_and(|e| (e * 1e-6 * block.frequency_hz).abs() > SHIFTED_GRID_HZ);
            if shifted {
                found.clear();
            }
            for c in found {
                if self.receivers.len() >= self.cfg.max_carriers {
                    break;
                }
                // Not a downlink carrier, or outside the usable band: nothing to decode.
                let n = self.receivers.len();
                let _ = self.add_receiver(c.freq_hz, block.frequency_hz, self.history_start);
                if self.receivers.len() > n
                    && let Some(r) = self.receivers.last_mut()
                {
                    r.placed_power_dbfs = Some(c.power_dbfs);
                }
            }
        }
        let before = self.add_tone_receivers(block, before);
        // New receivers catch up on the discovery window, so nothing before it is lost.
        let rx_ppm = self.rx_ppm;
        for (i, r) in self.receivers.iter_mut().enumerate().skip(before) {
            r.events.clear();
            match self.bank.as_mut().and_then(|b| b.outs.get_mut(i)) {
                Some(backlog) => {
                    r.dec.process(backlog, &mut r.events);
                    backlog.clear();
                }
                None => r.dec.process(&self.history, &mut r.events),
            }
            r.fed_until = end;
            emit(r, self.rate_sps, &self.cfg, rx_ppm, out);
        }
        self.history.clear();
        self.welch.reset();
        self.welch_samples = 0;
        self.next_discovery = end + (self.cfg.rediscover_s * self.rate_sps) as u64;
    }

    /// Drop receivers that found no FCCH within the probe time (only in discovery mode).
    fn prune(&mut self, now: u64) {
        if !self.cfg.fixed_carriers_hz.is_empty() {
            return;
        }
        let probe = (self.cfg.probe_s * self.rate_sps) as u64;
        let retry = (self.cfg.retry_after_s * self.rate_sps) as u64;
        let mut i = 0;
        while i < self.receivers.len() {
            let r = &self.receivers[i];
            let age = now.saturating_sub(r.start_index);
            let silent = r.dec.rx_stats().fcch_found == 0 && age > probe;
            // A carrier whose ARFCN its frame timing has not settled in three probe times does
            // not decode (no SCH): what it held goes with it.
            let unsettled = matches!(r.label, Label::Pending { .. }) && age > 3 * probe;
            if silent || unsettled {
                self.rejected.push(Rejected {
                    freq_hz: r.freq_hz + r.shift_hz,
                    until: now + retry,
                    power_dbfs: r.placed_power_dbfs,
                });
                self.remove_receiver(i);
            } else {
                i += 1;
            }
        }
    }

    fn remove_receiver(&mut self, i: usize) {
        if i >= self.receivers.len() {
            return;
        }
        self.receivers.remove(i);
        if let Some(bank) = self.bank.as_mut() {
            bank.ch.remove_channel(i);
            if i < bank.outs.len() {
                bank.outs.remove(i);
            }
        }
    }

    fn update_rx_ppm(&mut self) {
        if let Some(p) = consensus_ppm(&self.receivers) {
            self.rx_ppm = Some(p);
        }
    }

    /// Receivers for the FCCH tones of the discovery window that no receiver covers, wherever
    /// they are (a receiver clock far off moves carriers off the ARFCN grid). Returns the index
    /// from which receivers are new (`before`, less any receiver replaced).
    fn add_tone_receivers(&mut self, block: &Block, mut before: usize) -> usize {
        let Some(mut search) = self.tones.take() else {
            return before;
        };
        let mut hits = Vec::new();
        search.flush(&mut hits);
        let mut found = std::mem::take(&mut self.tone_hits);
        found.append(&mut hits);
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        let tuned = block.frequency_hz;
        let mut carriers: Vec<f64> = Vec::new();
        for h in &found {
            let f = tuned + h.carrier_offset_hz;
            if !carriers.iter().any(|c| (c - f).abs() < 10e3) {
                carriers.push(f);
            }
        }
        for apparent in carriers {
            if self.receivers.len() >= self.cfg.max_carriers {
                break;
            }
            let covered = self
                .receivers
                .iter()
                .any(|r| (r.freq_hz + r.shift_hz - apparent).abs() < 25e3);
            // Only a tone receiver that found nothing here blocks a tone: a channel probed by
            // its power alone had no FCCH then, and a tone now means a carrier came on.
            let rejected = self
                .rejected
                .iter()
                .any(|r| r.power_dbfs.is_none() && (r.freq_hz - apparent).abs() < 10e3);
            if covered || rejected {
                continue;
            }
            // Label with the known receiver error, else provisionally with the nearest ARFCN
            // (settled on its first FCCH, see `settle_label`).
            let nominal = apparent * (1.0 + self.rx_ppm.unwrap_or(0.0) * 1e-6);
            let Some(ch) = channel_at(nominal, Direction::Downlink) else {
                continue;
            };
            // A receiver put on this ARFCN by its power that found nothing is misplaced.
            if let Some(i) = self
                .receivers
                .iter()
                .position(|r| (r.freq_hz - ch.freq_hz).abs() < 1.0)
            {
                if self.receivers[i].dec.rx_stats().fcch_found > 0 {
                    continue;
                }
                self.remove_receiver(i);
                if i < before {
                    before -= 1;
                }
            }
            let _ = self.add_receiver_shifted(
                ch.freq_hz,
                apparent - ch.freq_hz,
                tuned,
                self.history_start,
            );
        }
        before
    }

    /// End of stream: flush receivers and report their counters.
    pub fn finish(&mut self, out: &mut Vec<Observation>) {
        let rx_ppm = self.rx_ppm;
        for r in &mut self.receivers {
            r.events.clear();
            r.dec.flush(&mut r.events);
            emit(r, self.rate_sps, &self.cfg, rx_ppm, out);
            if matches!(r.label, Label::Pending { .. }) {
                // Its ARFCN was never settled: what it held is not reported under a guess.
                continue;
            }
            r.dec.finish();
            out.push(Observation::DecodeStats(DecodeStatsObs {
                band: r.band,
                arfcn: r.arfcn,
                freq_hz: r.freq_hz,
                counters: counters(r),
            }));
        }
    }

    /// Counters of every receiver so far.
    pub fn counters(&self) -> Vec<(Band, u16, CarrierCounters)> {
        self.receivers
            .iter()
            .map(|r| (r.band, r.arfcn, counters(r)))
            .collect()
    }
}

fn counters(r: &CarrierRx) -> CarrierCounters {
    let c = r.dec.counts();
    let (reassembled, segments_dropped) = r.dec.reassembly();
    let nf = c.not_followed;
    CarrierCounters {
        rx: r.dec.rx_stats(),
        blocks_ok: r.dec.blocks_ok(),
        blocks_failed: r.dec.blocks_failed(),
        blocks_incomplete: r.dec.blocks_incomplete(),
        l3_malformed: c.l3_malformed,
        fill_frames: c.fill_frames,
        dedicated: DedicatedStats {
            blocks: r.dec.dedicated_blocks(),
            frames: c.dedicated_frames,
            fill_frames: c.dedicated_fill_frames,
            malformed: c.dedicated_malformed,
            reassembled,
            segments_dropped,
            assignments_followed: c.assignments_followed,
            not_followed: NotFollowed {
                hopping: nf.hopping,
                other_arfcn: nf.other_arfcn,
                tch: nf.tch,
                other: nf.other,
            },
        },
    }
}

fn fft_len_for(rate_sps: f64) -> usize {
    // ~1–2.5 kHz bins: fine enough to resolve 200 kHz channels at any rate.
    let mut n = 256;
    while (n as f64) < rate_sps / 2000.0 && n < 16384 {
        n *= 2;
    }
    n
}

/// The ARFCNs a carrier seen at `apparent_hz` can be: with a known receiver error, the one it
/// implies; without, every one within [`MAX_RX_PPM`].
fn label_candidates(apparent_hz: f64, rx_ppm: Option<f64>) -> Vec<towerwatch_dsp::arfcn::Channel> {
    if let Some(e) = rx_ppm {
        return channel_at(apparent_hz * (1.0 + e * 1e-6), Direction::Downlink)
            .into_iter()
            .collect();
    }
    let mut v: Vec<towerwatch_dsp::arfcn::Channel> = Vec::new();
    for k in -2..=2 {
        let Some(ch) = channel_at(apparent_hz + f64::from(k) * 200e3, Direction::Downlink) else {
            continue;
        };
        let within = (apparent_hz - ch.freq_hz).abs() <= MAX_RX_PPM * 1e-6 * ch.freq_hz;
        if within && !v.iter().any(|c| (c.freq_hz - ch.freq_hz).abs() < 1.0) {
            v.push(ch);
        }
    }
    v
}

/// Gives the receiver the ARFCN `ch`, keeping its channel where it is.
fn relabel(r: &mut CarrierRx, ch: &towerwatch_dsp::arfcn::Channel) {
    if (ch.freq_hz - r.freq_hz).abs() < 1.0 {
        return;
    }
    let apparent = r.freq_hz + r.shift_hz;
    r.band = ch.band;
    r.arfcn = ch.arfcn;
    r.dec.set_arfcn(ch.arfcn);
    r.freq_hz = ch.freq_hz;
    r.shift_hz = apparent - ch.freq_hz;
}

/// Settles the receiver's ARFCN when its events allow (see [`Label`]); false while its events
/// must be held.
fn settle_label(r: &mut CarrierRx, rx_ppm: Option<f64>) -> bool {
    for ev in &r.events {
        if let RxEvent::SchDecoded {
            sample_index,
            frame_number,
            frame_number_ok: true,
            ..
        } = ev
        {
            r.clock
                .push((r.start_index + sample_index) as f64, *frame_number);
        }
    }
    match &mut r.label {
        Label::Resolved => true,
        Label::Unchecked => {
            let Some(burst_offset_hz) = r.events.iter().find_map(|e| match e {
                RxEvent::FcchFound {
                    burst_offset_hz, ..
                } => Some(*burst_offset_hz),
                _ => None,
            }) else {
                return true;
            };
            let apparent_hz = r.freq_hz + r.shift_hz + burst_offset_hz;
            let cands = label_candidates(apparent_hz, rx_ppm);
            if cands.len() >= 2 {
                r.label = Label::Pending {
                    apparent_hz,
                    held: std::mem::take(&mut r.events),
                };
                return false;
            }
            if let Some(ch) = cands.first() {
                relabel(r, ch);
            }
            r.label = Label::Resolved;
            true
        }
        Label::Pending { apparent_hz, held } => {
            let apparent_hz = *apparent_hz;
            let clock = r.clock.estimate().filter(|c| {
                c.span_s >= CLOCK_RESOLVE_SPAN_S && c.uncertainty_ppm <= CLOCK_RESOLVE_PPM
            });
            let e = rx_ppm.or(clock.map(|c| c.ppm));
            let Some(ch) = e.and_then(|e| label_candidates(apparent_hz, Some(e)).pop()) else {
                held.append(&mut r.events);
                return false;
            };
            let mut events = std::mem::take(held);
            events.append(&mut r.events);
            r.events = events;
            relabel(r, &ch);
            r.label = Label::Resolved;
            true
        }
    }
}

/// The receiver's clock error from the decoded carriers: minus the median of their
/// synchronised FCCH offsets (ppm), as the dashboard's `rx`.
fn consensus_ppm(receivers: &[CarrierRx]) -> Option<f64> {
    let mut v: Vec<f64> = receivers
        .iter()
        .filter(|r| matches!(r.label, Label::Resolved) && r.dec.rx_stats().sch_ok > 0)
        .filter_map(|r| r.offset_hz.map(|o| -o / r.freq_hz * 1e6))
        .filter(|p| p.is_finite())
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use towerwatch_dsp::gsm::l3::parse_ccch_frame;

    fn hex(s: &str) -> [u8; 23] {
        let v: Vec<u8> = s
            .split_whitespace()
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect();
        v.try_into().unwrap()
    }

    /// Fuzz crash l2l3_frames crash-5fc7f5b8: the TMSIs of Paging Request 2 (and 3) are bare
    /// numbers in the message, not `MobileIdentity` values, and went to JSON in clear.
    #[test]
    fn fuzz_l2l3_frames_crash_5fc7f5b8_paging2_tmsi_in_clear_json() {
        // The crash input itself.
        let f = hex("49 06 22 a0 01 5b f9 3f 01 5c bf 9c 17 05 f4 01 5c ff 76 d1 2b 2b 2b");
        let m = parse_ccch_frame(&f).unwrap();
        let clear = masked_json(&m, true).to_string();
        assert!(clear.contains("22804799"), "{clear}");
        let masked = masked_json(&m, false).to_string();
        assert!(
            !masked.contains("22804799") && !masked.contains("22855580"),
            "{masked}"
        );
        assert!(masked.contains("TMSI 0x****F93F"), "{masked}");
        let f = hex("4d 06 24 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 2b 2b 2b");
        let m = parse_ccch_frame(&f).unwrap();
        let masked = masked_json(&m, false).to_string();
        assert!(!masked.contains(&0x0102_0304u32.to_string()), "{masked}");
        assert_eq!(masked.matches("TMSI 0x****").count(), 4, "{masked}");
    }

    /// The hex listing masks identities the parser reads past a short pseudo length.
    #[test]
    fn frame_hex_masks_identities_past_the_pseudo_length() {
        let f = hex("0d 06 21 00 08 29 26 20 21 43 65 87 09 2b 2b 2b 2b 2b 2b 2b 2b 2b 2b");
        let m = parse_ccch_frame(&f).unwrap();
        let h = frame_hex(&f, &m, false);
        assert!(
            h.starts_with("0d 06 21 00 08 ** ** ** ** ** ** ** ** 2b"),
            "{h}"
        );
        assert!(frame_hex(&f, &m, true).contains("29 26 20"));
    }
}
