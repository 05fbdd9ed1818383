//! `towerwatch synth`: a scene ([`crate::scene`]) generated into a SigMF recording.
//!
//! The output's global metadata holds the generator name and version, the effective seed and
//! duration, the derived levels, the scene as parsed (`towerwatch:scene`) and the scene file's
//! text (`towerwatch:scene_toml`); there is one annotation per carrier (label = name, with its
//! band, ARFCN, BSIC and CGI).

pub use crate::scene::*;
use crate::source::SourceError;
use crate::source::sigmf::{Annotation, SigmfWriter, WriterMeta};
use num_complex::Complex32;
use serde_json::{Map, Value, json};
use std::path::Path;
use towerwatch_dsp::gsm::synth::CarrierKind;

impl From<SourceError> for SynthError {
    fn from(e: SourceError) -> SynthError {
        SynthError::Output(Box::new(e))
    }
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

/// Generate the scene in `scene` and write `out_base.sigmf-meta` / `out_base.sigmf-data`.
pub fn run_synth(
    scene: &Path,
    out_base: &Path,
    opts: &SynthOptions,
) -> Result<SynthSummary, SynthError> {
    let loaded = load_scene(scene, opts)?;
    write_scene(&loaded, out_base)
}

/// [`run_synth`] that stops early (a valid, hashed, shorter recording) when `stop` is set
/// (Ctrl-C / SIGTERM): the summary's `interrupted` says so.
pub fn run_synth_until(
    scene: &Path,
    out_base: &Path,
    opts: &SynthOptions,
    stop: &std::sync::atomic::AtomicBool,
    progress: &mut dyn FnMut(SynthProgress),
) -> Result<SynthSummary, SynthError> {
    let loaded = load_scene(scene, opts)?;
    write_scene_until(&loaded, out_base, stop, progress)
}

/// How far a synthesis is, reported after every block written.
#[derive(Debug, Clone, Copy)]
pub struct SynthProgress {
    /// Samples written so far.
    pub done: u64,
    /// Samples the recording will hold.
    pub total: u64,
    /// Its sample rate (S/s).
    pub sample_rate_sps: f64,
}

/// Most samples one `synth` run writes (2^40, terabytes of data): a duration times a rate
/// beyond it is a mistake, not a recording.
pub const MAX_SYNTH_SAMPLES: u64 = 1 << 40;

/// Generate an already loaded scene into a SigMF recording.
pub fn write_scene(loaded: &LoadedScene, out_base: &Path) -> Result<SynthSummary, SynthError> {
    write_scene_until(
        loaded,
        out_base,
        &std::sync::atomic::AtomicBool::new(false),
        &mut |_| {},
    )
}

/// [`write_scene`], stopping early when `stop` is set.
pub fn write_scene_until(
    loaded: &LoadedScene,
    out_base: &Path,
    stop: &std::sync::atomic::AtomicBool,
    progress: &mut dyn FnMut(SynthProgress),
) -> Result<SynthSummary, SynthError> {
    let started = std::time::Instant::now();
    let cfg = &loaded.config;
    let mut mixed = loaded.generator().map_err(|message| SynthError::Invalid {
        path: out_base.to_path_buf(),
        message,
    })?;
    let fs = cfg.sample_rate_sps;
    let want = (loaded.duration_s * fs).round();
    if !(want.is_finite() && want <= MAX_SYNTH_SAMPLES as f64) {
        return Err(SynthError::Invalid {
            path: out_base.to_path_buf(),
            message: format!(
                "{} s at {fs} S/s is more than {MAX_SYNTH_SAMPLES} samples: give a shorter duration",
                loaded.duration_s
            ),
        });
    }
    let total = want as u64;

    let mut meta = WriterMeta::new(loaded.format, fs, cfg.center_freq_hz);
    meta.recorder = GENERATOR.to_string();
    meta.hw = Some("synthetic (towerwatch synth)".into());
    meta.description = Some(
        loaded
            .file
            .scene
            .description
            .clone()
            .unwrap_or_else(|| format!("synthetic GSM scene {}", loaded.file.scene.name)),
    );
    let mut g = Map::new();
    g.insert(
        "towerwatch:generator".into(),
        json!({
            "name": "towerwatch-synth",
            "version": env!("CARGO_PKG_VERSION"),
            "seed": cfg.seed,
            "duration_s": loaded.duration_s,
            "reference_amplitude": mixed.gsm.reference_amplitude(),
            "noise_power_per_sample": mixed.gsm.noise_power(),
            "snr_definition": "snr_db = Es/N0 of a 0 dB transmitter (Es = P/270833 Hz, N0 = noise PSD); a transmitter's Es/N0 = snr_db + power_db; SNR in 200 kHz = Es/N0 + 1.32 dB",
        }),
    );
    g.insert(
        "towerwatch:scene".into(),
        serde_json::to_value(&loaded.file).unwrap_or(Value::Null),
    );
    g.insert("towerwatch:scene_toml".into(), json!(loaded.text));
    g.insert(
        "towerwatch:config".into(),
        serde_json::to_value(cfg).unwrap_or(Value::Null),
    );
    meta.extra_global = g;
    let mut w = SigmfWriter::create(out_base, meta)?;

    lte_annotations(loaded, total, &mut w);
    for info in mixed.gsm.carriers().to_vec() {
        let start = (info.on_s.max(0.0) * fs).round() as u64;
        if start >= total {
            continue;
        }
        let end = info
            .off_s
            .map(|t| ((t * fs).round() as u64).min(total))
            .unwrap_or(total);
        let f = cfg.center_freq_hz + info.observed_offset_hz;
        let mut extra = Map::new();
        let comment;
        match info.kind {
            CarrierKind::Cell => {
                let c = &loaded.file.cell[info.index];
                comment = format!(
                    "cell {} ARFCN {} BSIC {} (NCC {} BCC {}) CGI {}-{:0w$}-{}-{} power {} dB, {} ppm",
                    c.name,
                    c.arfcn,
                    (c.ncc << 3) | c.bcc,
                    c.ncc,
                    c.bcc,
                    c.mcc,
                    c.mnc,
                    c.lac,
                    c.ci,
                    c.physics.power_db,
                    c.physics.freq_offset_ppm,
                    w = if c.mnc_3_digits { 3 } else { 2 }
                );
                extra.insert(
                    "towerwatch:cell".into(),
                    json!({
                        "band": info.band.name(), "arfcn": info.arfcn,
                        "bsic": (c.ncc << 3) | c.bcc, "mcc": c.mcc, "mnc": c.mnc,
                        "lac": c.lac, "ci": c.ci, "carrier_hz": info.carrier_hz,
                        "power_db": c.physics.power_db, "freq_offset_ppm": c.physics.freq_offset_ppm,
                        "start_fn": cfg.cells[info.index].start_fn,
                    }),
                );
            }
            CarrierKind::Uplink => {
                let e = &loaded.file.emitter[info.index];
                comment = format!(
                    "uplink emitter {} ({}) ARFCN {} {} bursts/s over {} ARFCNs, power {} dB",
                    e.name,
                    e.kind.as_deref().unwrap_or("emitter"),
                    info.arfcn,
                    e.bursts_per_s,
                    e.arfcns.len(),
                    e.physics.power_db
                );
                extra.insert(
                    "towerwatch:emitter".into(),
                    json!({
                        "band": info.band.name(), "arfcn": info.arfcn, "kind": e.kind,
                        "carrier_hz": info.carrier_hz, "bursts_per_s": e.bursts_per_s,
                        "access_fraction": e.access_fraction, "power_db": e.physics.power_db,
                    }),
                );
            }
        }
        w.add_annotation(Annotation {
            sample_start: start,
            sample_count: Some(end.saturating_sub(start)),
            freq_lower_edge_hz: Some(f - 100_000.0),
            freq_upper_edge_hz: Some(f + 100_000.0),
            label: Some(info.name.clone()),
            comment: Some(comment),
            extra,
        });
    }

    let mut buf = vec![Complex32::new(0.0, 0.0); 1 << 16];
    let mut left = total;
    let mut interrupted = false;
    while left > 0 {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            // Finish what is written: a shorter recording, still a hashed pair.
            interrupted = true;
            break;
        }
        let n = left.min(buf.len() as u64) as usize;
        mixed.fill(&mut buf[..n]);
        w.write(&buf[..n])?;
        left -= n as u64;
        progress(SynthProgress {
            done: total - left,
            total,
            sample_rate_sps: fs,
        });
    }
    let total = total - left;
    let (meta_path, data_path) = {
        let (m, d) = w.paths();
        (m.to_path_buf(), d.to_path_buf())
    };
    w.finish()?;
    let elapsed_s = started.elapsed().as_secs_f64();
    let duration_s = total as f64 / fs;
    let generator = &mixed.gsm;
    let cell_counters = generator.cell_counters();
    let emitter_counters = generator.emitter_counters();
    let mut emitters = Vec::new();
    let mut k = 0;
    for info in generator.carriers() {
        if info.kind == CarrierKind::Uplink {
            if let Some(c) = emitter_counters.get(k) {
                emitters.push((info.name.clone(), info.arfcn, *c));
            }
            k += 1;
        }
    }
    Ok(SynthSummary {
        meta_path,
        data_path,
        samples: total,
        sample_rate_sps: fs,
        center_freq_hz: cfg.center_freq_hz,
        duration_s,
        format: loaded.format.sigmf_name().to_string(),
        data_bytes: total * loaded.format.bytes_per_sample() as u64,
        seed: cfg.seed,
        reference_amplitude: generator.reference_amplitude(),
        elapsed_s,
        real_time_factor: if elapsed_s > 0.0 {
            duration_s / elapsed_s
        } else {
            f64::INFINITY
        },
        cells: cfg
            .cells
            .iter()
            .map(|c| c.name.clone())
            .zip(cell_counters)
            .collect(),
        emitters,
        interrupted,
    })
}

/// One annotation per LTE cell (label = name; EARFCN, PCI and the SIB1 identity).
fn lte_annotations(loaded: &LoadedScene, total: u64, w: &mut SigmfWriter) {
    let fs = loaded.config.sample_rate_sps;
    for (t, spec) in loaded.file.lte_cell.iter().zip(&loaded.lte) {
        let start = (t.physics.on_s.max(0.0) * fs).round() as u64;
        if start >= total {
            continue;
        }
        let end = t
            .physics
            .off_s
            .map(|x| ((x * fs).round() as u64).min(total))
            .unwrap_or(total);
        let half_hz = 6.0 * t.n_rb as f64 * 15e3;
        let f = loaded.config.center_freq_hz + spec.offset_hz;
        let mut extra = Map::new();
        extra.insert(
            "towerwatch:lte_cell".into(),
            json!({
                "earfcn": spec.earfcn, "pci": t.pci, "n_rb": t.n_rb, "mcc": t.mcc, "mnc": t.mnc,
                "tac": t.tac, "cell_identity": t.cell_identity, "power_db": t.physics.power_db,
                "freq_offset_ppm": t.physics.freq_offset_ppm,
            }),
        );
        w.add_annotation(Annotation {
            sample_start: start,
            sample_count: Some(end.saturating_sub(start)),
            freq_lower_edge_hz: Some(f - half_hz),
            freq_upper_edge_hz: Some(f + half_hz),
            label: Some(t.name.clone()),
            comment: Some(format!(
                "LTE cell {} EARFCN {} PCI {} TAC {} PLMN {}-{:0w$}, power {} dB, {} ppm",
                t.name,
                spec.earfcn,
                t.pci,
                t.tac,
                t.mcc,
                t.mnc,
                t.physics.power_db,
                t.physics.freq_offset_ppm,
                w = if t.mnc_3_digits { 3 } else { 2 }
            )),
            extra,
        });
    }
}
