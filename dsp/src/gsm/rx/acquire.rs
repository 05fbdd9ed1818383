//! Acquisition: the FCCH search (a tone burst → position and frequency) and the SCH search
//! one frame later (BSIC and frame number), up to the first synchronisation.

use super::*;

impl Receiver {
    pub(super) fn step_fcch(
        &mut self,
        pos: i64,
        run: Option<Run>,
        events: &mut Vec<RxEvent>,
    ) -> bool {
        let pos = pos.max(self.base);
        if !self.has(pos, fcch::WIN as i64) {
            self.state = State::FcchSearch { pos, run };
            return false;
        }
        self.ensure(pos, fcch::WIN as i64);
        let off = (pos - self.base) as usize;
        let score = match self.buf.get(off..) {
            Some(x) => self.scanner.score(x),
            None => return false,
        };
        if score.ratio >= fcch::THRESHOLD {
            let run = match run {
                None => Run {
                    best_at: pos,
                    best: score,
                    windows: 1,
                },
                Some(mut r) => {
                    r.windows += 1;
                    if score.ratio > r.best.ratio {
                        r.best = score;
                        r.best_at = pos;
                    }
                    r
                }
            };
            if run.windows > 16 {
                // A continuous tone, not a burst: skip past it.
                self.stats.fcch_rejected += 1;
                self.state = State::FcchSearch {
                    pos: pos + fcch::WIN as i64,
                    run: None,
                };
            } else {
                self.state = State::FcchSearch {
                    pos: pos + fcch::HOP as i64,
                    run: Some(run),
                };
            }
            return true;
        }
        let Some(r) = run else {
            self.state = State::FcchSearch {
                pos: pos + fcch::HOP as i64,
                run: None,
            };
            return true;
        };
        if r.windows < 2 {
            self.state = State::FcchSearch {
                pos: pos + fcch::HOP as i64,
                run: None,
            };
            return true;
        }
        // The run ended: measure the burst (needs data up to best + 16 + 592).
        if self.end() < r.best_at + 16 + fcch::BURST_SAMPLES as i64 + 8 {
            self.state = State::FcchSearch { pos, run: Some(r) };
            return false;
        }
        self.ensure(r.best_at - 360, 360 + 16 + fcch::BURST_SAMPLES as i64 + 8);
        let win_at = (r.best_at - self.base) as usize;
        let mut work = std::mem::take(&mut self.work);
        let m = fcch::locate_and_measure(&self.buf, win_at, r.best.freq_hz, self.fs, &mut work);
        self.work = work;
        match m {
            Some(m) if m.snr_db > 0.0 => {
                let start = self.base + m.start as i64;
                let offset = self.mixer_at(start) + m.tone_hz
                    - FCCH_OFFSET_HZ * self.fs / (SYMBOL_RATE_SPS * 4.0);
                self.stats.fcch_found += 1;
                events.push(RxEvent::FcchFound {
                    sample_index: self.input_index(start as f64),
                    freq_offset_hz: offset,
                    uncertainty_hz: m.sigma_hz,
                    freq_offset_ppm: self.ppm(offset),
                    burst_offset_hz: offset,
                    snr_db: m.snr_db,
                    synchronized: false,
                });
                self.state = State::SchSearch {
                    fcch: Pending {
                        start,
                        offset_hz: offset,
                        sigma_hz: m.sigma_hz,
                    },
                };
            }
            _ => {
                self.stats.fcch_rejected += 1;
                self.state = State::FcchSearch {
                    pos: pos + fcch::HOP as i64,
                    run: None,
                };
            }
        }
        true
    }

    pub(super) fn commit_freq(&mut self, offset_hz: f64, sigma_hz: f64) {
        self.freq.push(offset_hz, sigma_hz);
        if let Some((est, _)) = self.freq.estimate()
            && (est - self.mixer_corr_hz).abs() > 50.0
        {
            self.mixer_corr_hz = est;
            self.ext.set_offset_hz(self.cfg.channel_offset_hz + est);
            let at = self.end();
            self.mixer_history.push((at, est));
            self.stats.retunes += 1;
        }
    }

    pub(super) fn step_sch(&mut self, fcch: Pending, events: &mut Vec<RxEvent>) -> bool {
        let nominal = fcch.start + FRAME_SAMPLES;
        if !self.has(nominal - SCH_RADIUS, BURST_SPAN + 2 * SCH_RADIUS) {
            if nominal - SCH_RADIUS < self.floor {
                self.state = State::FcchSearch {
                    pos: fcch.start + fcch::BURST_SAMPLES as i64,
                    run: None,
                };
                return true;
            }
            return false;
        }
        // Demodulate with this FCCH's estimate: push it temporarily.
        let saved = self.freq.clone();
        self.freq.push(fcch.offset_hz, fcch.sigma_hz);
        let mut result = None;
        if let Some((start, fit)) = self.best_fit(nominal, SCH_RADIUS, Which::Sch) {
            let soft = self.equalize(start, &fit);
            let centre = centre_of(start, &fit);
            result = Some((
                start,
                centre,
                fit.snr_db(),
                sch_decode_burst_with_errors(&soft),
            ));
        }
        self.freq = saved;
        match result {
            Some((start, centre, snr_db, Ok((info, errors))))
                if info.t3 % 10 == 1 && info.t3 <= 41 =>
            {
                self.commit_freq(fcch.offset_hz, fcch.sigma_hz);
                let fn_ = info.frame_number();
                self.stats.sch_ok += 1;
                self.stats.sync_gained += 1;
                events.push(self.sch_event(centre, &info, errors, snr_db, true));
                // Back-fill: start earlier frames that are still buffered and not yet processed.
                let earliest = self.floor.max(self.processed_until) + 2 * SYNC_RADIUS;
                let avail = ((start - earliest) / FRAME_SAMPLES).max(0);
                let k = avail.min(i64::from(self.cfg.backfill_frames));
                let first_fn = (fn_ + HYPERFRAME - (k as u32 % HYPERFRAME)) % HYPERFRAME;
                self.state = State::Synchronized(Sync {
                    fn_: first_fn,
                    frame_start: centre - (k * FRAME_SAMPLES) as f64,
                    ts: 0,
                    bsic: info.bsic,
                    anchor_fn: fn_,
                    sch_fail_run: 0,
                    weak_run: 0,
                });
            }
            other => {
                let snr_db = other.map_or(f32::NEG_INFINITY, |(_, _, s, _)| s);
                self.stats.sch_failed += 1;
                events.push(RxEvent::SchFailed {
                    sample_index: self.input_index(nominal as f64),
                    expected_frame_number: None,
                    snr_db,
                });
                self.state = State::FcchSearch {
                    pos: fcch.start + fcch::BURST_SAMPLES as i64,
                    run: None,
                };
            }
        }
        true
    }
}
