//! SigMF recordings (`NAME.sigmf-meta` JSON + `NAME.sigmf-data` samples), read and written.
//!
//! Written by hand: the SigMF crates on crates.io are young (see DESIGN.md); the format is small
//! and we need exact control over crash-safety of the writer. We read `core:datatype`,
//! `core:sample_rate`, `core:sha512`, `core:datetime`, `core:hw`, `core:description`, every
//! capture segment (`core:sample_start`, `core:frequency`, `core:datetime`) and the annotations;
//! other keys are kept as JSON for `info`.

use super::file::{IqFileReader, check_data_len};
use super::format::SampleFormat;
use super::{SampleSource, Segment, SourceError, SourceInfo};
use num_complex::Complex32;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha512};
use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The two paths of a SigMF recording, from either file's name or the common base. Works on the
/// path as the OS gives it, so a name that is not UTF-8 still names the right files.
pub fn paths_for(path: &Path) -> (PathBuf, PathBuf) {
    let base = match path.extension().and_then(|e| e.to_str()) {
        Some("sigmf-meta" | "sigmf-data" | "sigmf") => path.with_extension(""),
        _ => path.to_path_buf(),
    };
    let with = |ext: &str| {
        let mut o = base.clone().into_os_string();
        o.push(ext);
        PathBuf::from(o)
    };
    (with(".sigmf-meta"), with(".sigmf-data"))
}

/// Whether `path` names a SigMF file.
pub fn is_sigmf(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("sigmf-meta" | "sigmf-data")
    )
}

/// A SigMF annotation.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Annotation {
    /// First sample.
    pub sample_start: u64,
    /// Number of samples, if bounded.
    pub sample_count: Option<u64>,
    /// Lower edge of the annotated signal (absolute Hz).
    pub freq_lower_edge_hz: Option<f64>,
    /// Upper edge of the annotated signal (absolute Hz).
    pub freq_upper_edge_hz: Option<f64>,
    /// Short label.
    pub label: Option<String>,
    /// Free text.
    pub comment: Option<String>,
    /// Further keys (namespaced, e.g. `towerwatch:cell`).
    pub extra: Map<String, Value>,
}

impl Annotation {
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("core:sample_start".into(), json!(self.sample_start));
        if let Some(c) = self.sample_count {
            m.insert("core:sample_count".into(), json!(c));
        }
        if let Some(f) = self.freq_lower_edge_hz {
            m.insert("core:freq_lower_edge".into(), json!(f));
        }
        if let Some(f) = self.freq_upper_edge_hz {
            m.insert("core:freq_upper_edge".into(), json!(f));
        }
        if let Some(l) = &self.label {
            m.insert("core:label".into(), json!(l));
        }
        if let Some(c) = &self.comment {
            m.insert("core:comment".into(), json!(c));
        }
        for (k, v) in &self.extra {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }

    fn from_json(v: &Value) -> Option<Annotation> {
        let o = v.as_object()?;
        let mut extra = o.clone();
        for k in [
            "core:sample_start",
            "core:sample_count",
            "core:freq_lower_edge",
            "core:freq_upper_edge",
            "core:label",
            "core:comment",
        ] {
            extra.remove(k);
        }
        Some(Annotation {
            sample_start: o.get("core:sample_start")?.as_u64()?,
            sample_count: o.get("core:sample_count").and_then(Value::as_u64),
            freq_lower_edge_hz: o.get("core:freq_lower_edge").and_then(Value::as_f64),
            freq_upper_edge_hz: o.get("core:freq_upper_edge").and_then(Value::as_f64),
            label: o
                .get("core:label")
                .and_then(Value::as_str)
                .map(String::from),
            comment: o
                .get("core:comment")
                .and_then(Value::as_str)
                .map(String::from),
            extra,
        })
    }
}

/// Parsed SigMF metadata.
#[derive(Debug, Clone)]
pub struct SigmfMeta {
    /// Metadata file path.
    pub meta_path: PathBuf,
    /// Data file path.
    pub data_path: PathBuf,
    /// Sample encoding.
    pub format: SampleFormat,
    /// Sample rate.
    pub sample_rate_sps: f64,
    /// Capture segments (sorted by start).
    pub segments: Vec<Segment>,
    /// `core:datetime` of the first capture (or global), if any.
    pub datetime: Option<String>,
    /// `core:hw`.
    pub hw: Option<String>,
    /// `core:description`.
    pub description: Option<String>,
    /// `core:sha512`, lower-case hex.
    pub sha512: Option<String>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// The whole `global` object, for display.
    pub global: Map<String, Value>,
}

impl SigmfMeta {
    /// Read and validate `NAME.sigmf-meta` (given either file of the pair).
    pub fn load(path: &Path) -> Result<SigmfMeta, SourceError> {
        let (meta_path, data_path) = paths_for(path);
        let text = crate::limits::read_text_capped_io(
            &meta_path,
            crate::limits::MAX_META_BYTES,
            "SigMF metadata",
        )
        .map_err(|e| SourceError::io(&meta_path, e))?;
        Self::parse(&text, meta_path, data_path)
    }

    /// Parse and validate metadata text; the paths name the pair in errors and in the result.
    pub fn parse(
        text: &str,
        meta_path: PathBuf,
        data_path: PathBuf,
    ) -> Result<SigmfMeta, SourceError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| SourceError::format(&meta_path, format!("not valid SigMF JSON: {e}")))?;
        let bad = |p: &str| SourceError::format(&meta_path, p.to_string());
        let global = v
            .get("global")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("missing 'global' object"))?
            .clone();
        let dt = global
            .get("core:datatype")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("missing core:datatype"))?;
        let format = SampleFormat::from_sigmf(dt).map_err(|p| bad(&p))?;
        let sample_rate_sps = match global.get("core:sample_rate") {
            None => return Err(bad("missing core:sample_rate")),
            Some(r) => r
                .as_f64()
                .ok_or_else(|| bad(&format!("core:sample_rate {r} is not a number")))?,
        };
        if !(sample_rate_sps.is_finite() && sample_rate_sps > 0.0) {
            return Err(bad(&format!(
                "core:sample_rate {sample_rate_sps} is not a positive rate"
            )));
        }
        let mut segments = Vec::new();
        let mut datetime = global
            .get("core:datetime")
            .and_then(Value::as_str)
            .map(String::from);
        if let Some(caps) = v.get("captures").and_then(Value::as_array) {
            for c in caps {
                let start = match c.get("core:sample_start") {
                    None => return Err(bad("capture without core:sample_start")),
                    Some(v) => v.as_u64().ok_or_else(|| {
                        bad(&format!(
                            "core:sample_start {v} is not a whole number of samples (0 or more)"
                        ))
                    })?,
                };
                let freq = match c.get("core:frequency") {
                    None => 0.0,
                    Some(v) => v
                        .as_f64()
                        .ok_or_else(|| bad(&format!("core:frequency {v} is not a number")))?,
                };
                if datetime.is_none() {
                    datetime = c
                        .get("core:datetime")
                        .and_then(Value::as_str)
                        .map(String::from);
                }
                segments.push(Segment {
                    sample_start: start,
                    frequency_hz: freq,
                });
            }
        }
        segments.sort_by_key(|s| s.sample_start);
        if segments.is_empty() {
            segments.push(Segment {
                sample_start: 0,
                frequency_hz: 0.0,
            });
        }
        let annotations = v
            .get("annotations")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Annotation::from_json).collect())
            .unwrap_or_default();
        let s = |k: &str| global.get(k).and_then(Value::as_str).map(String::from);
        Ok(SigmfMeta {
            format,
            sample_rate_sps,
            segments,
            datetime,
            hw: s("core:hw"),
            description: s("core:description"),
            sha512: s("core:sha512").map(|h| h.to_ascii_lowercase()),
            annotations,
            global,
            meta_path,
            data_path,
        })
    }
}

/// Hash a file with SHA-512, streaming; returns lower-case hex.
pub fn sha512_file(path: &Path) -> Result<String, SourceError> {
    // A FIFO would block the open, a device never end: only regular files are hashed.
    crate::limits::check_regular(path, "the data file")
        .map_err(|e| SourceError::io(path, e.into_io()))?;
    let mut f = File::open(path).map_err(|e| SourceError::io(path, e))?;
    let mut h = Sha512::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| SourceError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Result of checking a recording's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashCheck {
    /// The data hashes to the recorded value.
    Match(String),
    /// The metadata records no `core:sha512`.
    NotRecorded(String),
}

/// Verify `core:sha512` of a recording. A mismatch is an error naming the data file.
pub fn verify(path: &Path) -> Result<HashCheck, SourceError> {
    let meta = SigmfMeta::load(path)?;
    let actual = sha512_file(&meta.data_path)?;
    match meta.sha512 {
        None => Ok(HashCheck::NotRecorded(actual)),
        Some(expected) if expected == actual => Ok(HashCheck::Match(actual)),
        Some(expected) => Err(SourceError::HashMismatch {
            path: meta.data_path,
            expected,
            actual,
        }),
    }
}

/// Open a SigMF recording as a sample source. With `check_hash`, the data is hashed first and a
/// mismatch is an error.
pub fn open(path: &Path, check_hash: bool) -> Result<(IqFileReader, SigmfMeta), SourceError> {
    let meta = SigmfMeta::load(path)?;
    // A FIFO or a device as the data would block or never end.
    if fs::metadata(&meta.data_path).is_ok() {
        crate::limits::check_regular(&meta.data_path, "the data file")
            .map_err(|e| SourceError::io(&meta.data_path, e.into_io()))?;
    }
    let len = fs::metadata(&meta.data_path)
        .map_err(|e| {
            SourceError::format(
                &meta.meta_path,
                format!(
                    "data file {} is missing or unreadable: {e}",
                    meta.data_path.display()
                ),
            )
        })?
        .len();
    let total = check_data_len(&meta.data_path, len, meta.format)?;
    if check_hash {
        verify(path)?;
    }
    let info = SourceInfo {
        description: meta.meta_path.display().to_string(),
        sample_rate_sps: meta.sample_rate_sps,
        center_freq_hz: meta.segments.first().map_or(0.0, |s| s.frequency_hz),
        format: meta.format.sigmf_name().to_string(),
        start_time: meta.datetime.clone(),
        hardware: meta.hw.clone(),
        total_samples: Some(total),
        segments: meta.segments.clone(),
        live: false,
    };
    let reader = IqFileReader::open(&meta.data_path, 0, total, meta.format, info)?;
    Ok((reader, meta))
}

/// What to write into a new recording's metadata.
#[derive(Debug, Clone)]
pub struct WriterMeta {
    /// Sample encoding of the data file.
    pub datatype: SampleFormat,
    /// Sample rate.
    pub sample_rate_sps: f64,
    /// Centre frequency of the first capture.
    pub frequency_hz: f64,
    /// `core:datetime` (RFC 3339 UTC) of the first sample.
    pub datetime: Option<String>,
    /// `core:hw`.
    pub hw: Option<String>,
    /// `core:description`.
    pub description: Option<String>,
    /// `core:recorder`.
    pub recorder: String,
    /// Further global keys (namespaced, e.g. `towerwatch:scene`).
    pub extra_global: Map<String, Value>,
}

impl WriterMeta {
    /// Metadata with the given essentials and defaults elsewhere (recorder = towerwatch version).
    pub fn new(datatype: SampleFormat, sample_rate_sps: f64, frequency_hz: f64) -> Self {
        WriterMeta {
            datatype,
            sample_rate_sps,
            frequency_hz,
            datetime: None,
            hw: None,
            description: None,
            recorder: format!("towerwatch {}", env!("CARGO_PKG_VERSION")),
            extra_global: Map::new(),
        }
    }
}

/// Create a file readable by the owner only (recordings may hold subscriber data).
pub fn create_private(path: &Path) -> std::io::Result<File> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let f = o.open(path)?;
    // `mode` applies only when the file is created: a file that was already there (0644 from an
    // earlier run, another tool) would keep its mode and show clear identities to everyone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    Ok(f)
}

/// Writes `bytes` to `path` through [`create_private`] (owner-only, whether or not it existed).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = create_private(path)?;
    f.write_all(bytes)
}

/// Creates `dir` and its missing parents owner-only (0700 on Unix); existing ones are left as
/// they are.
pub fn create_private_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// What [`SigmfWriter::salvage`] left on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Salvaged {
    /// Whole samples in the data file (what the metadata and hash describe).
    pub samples: u64,
    /// `core:sha512` of the data file as it now is.
    pub sha512: String,
    /// Bytes cut off the end of the data file: a partial sample, plus the reserve when the
    /// metadata needed room on a full disk.
    pub cut_bytes: u64,
    /// Bytes that were still in the write buffer and never reached the file.
    pub unwritten_bytes: u64,
}

/// Bytes of samples [`SigmfWriter::salvage`] gives up, once, to make room for the final metadata
/// when the disk is full (the metadata is written to a new file and renamed over the old one).
pub const SALVAGE_RESERVE_BYTES: u64 = 256 * 1024;

/// SHA-512 of the first `len` bytes of a file (lower-case hex).
fn sha512_prefix(path: &Path, len: u64) -> Result<String, SourceError> {
    let f = File::open(path).map_err(|e| SourceError::io(path, e))?;
    let mut r = f.take(len);
    let mut h = Sha512::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf).map_err(|e| SourceError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// A crash-safe SigMF writer: the metadata is written first (without hash) so an interrupted
/// recording is still a readable pair; `finish` adds `core:sha512` (hashed while writing) and
/// replaces the metadata atomically (write to a temporary file, then rename).
pub struct SigmfWriter {
    meta: WriterMeta,
    meta_path: PathBuf,
    data_path: PathBuf,
    data: BufWriter<File>,
    hasher: Sha512,
    bytes: Vec<u8>,
    samples_written: u64,
    segments: Vec<Segment>,
    annotations: Vec<Annotation>,
    /// Annotations refused because [`MAX_WRITER_ANNOTATIONS`] were held already.
    annotations_dropped: u64,
}

/// Annotations one recording holds at most. A live recording that keeps falling behind adds a
/// `gap` annotation per dropped run of blocks; uncapped, hours of that would grow memory and make
/// every 5 s checkpoint rewrite an ever longer metadata file. Further annotations are counted in
/// the global `towerwatch:annotations_dropped` instead.
pub const MAX_WRITER_ANNOTATIONS: usize = 10_000;

impl SigmfWriter {
    /// Create `BASE.sigmf-meta` and `BASE.sigmf-data` (any `.sigmf-*` suffix on `base` is ignored).
    pub fn create(base: &Path, meta: WriterMeta) -> Result<SigmfWriter, SourceError> {
        let (meta_path, data_path) = paths_for(base);
        if let Some(dir) = meta_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir_all(dir).map_err(|e| SourceError::io(dir, e))?;
        }
        let file = create_private(&data_path).map_err(|e| SourceError::io(&data_path, e))?;
        let segments = vec![Segment {
            sample_start: 0,
            frequency_hz: meta.frequency_hz,
        }];
        let w = SigmfWriter {
            meta,
            meta_path,
            data_path,
            data: BufWriter::with_capacity(1 << 20, file),
            hasher: Sha512::new(),
            bytes: Vec::new(),
            samples_written: 0,
            segments,
            annotations: Vec::new(),
            annotations_dropped: 0,
        };
        w.write_meta(None)?;
        Ok(w)
    }

    /// Paths of the metadata and data files.
    pub fn paths(&self) -> (&Path, &Path) {
        (&self.meta_path, &self.data_path)
    }

    /// Sample rate of the recording.
    pub fn sample_rate_sps(&self) -> f64 {
        self.meta.sample_rate_sps
    }

    /// Samples written so far.
    pub fn samples_written(&self) -> u64 {
        self.samples_written
    }

    /// Append samples (integer formats: full scale = 1.0, saturating).
    pub fn write(&mut self, samples: &[Complex32]) -> Result<(), SourceError> {
        self.bytes.clear();
        self.meta.datatype.encode(samples, &mut self.bytes);
        self.data
            .write_all(&self.bytes)
            .map_err(|e| SourceError::io(&self.data_path, e))?;
        self.hasher.update(&self.bytes);
        self.samples_written += samples.len() as u64;
        Ok(())
    }

    /// Start a new capture segment at the current position (after a retune).
    pub fn new_segment(&mut self, frequency_hz: f64) {
        let start = self.samples_written;
        if let Some(last) = self.segments.last_mut().filter(|s| s.sample_start == start) {
            last.frequency_hz = frequency_hz;
        } else {
            self.segments.push(Segment {
                sample_start: start,
                frequency_hz,
            });
        }
    }

    /// Add an annotation (written at `finish`, or at the next `checkpoint`). Beyond
    /// [`MAX_WRITER_ANNOTATIONS`] it is only counted.
    pub fn add_annotation(&mut self, a: Annotation) {
        if self.annotations.len() >= MAX_WRITER_ANNOTATIONS {
            self.annotations_dropped += 1;
        } else {
            self.annotations.push(a);
        }
    }

    /// Flush data and rewrite the metadata (without hash): what is on disk is a valid recording.
    pub fn checkpoint(&mut self) -> Result<(), SourceError> {
        self.data
            .flush()
            .map_err(|e| SourceError::io(&self.data_path, e))?;
        self.write_meta(None)
    }

    /// Push buffered samples to the data file. A full disk (ENOSPC), a file-size limit (EFBIG)
    /// or an I/O error shows up here or in [`write`](Self::write); after either fails, close the
    /// recording with [`salvage`](Self::salvage), not `finish`.
    pub fn flush(&mut self) -> Result<(), SourceError> {
        self.data
            .flush()
            .map_err(|e| SourceError::io(&self.data_path, e))
    }

    /// Close a recording after a write failed (disk full, file-size limit, I/O error) so that
    /// what is on disk is a valid, hashed pair that `towerwatch verify` accepts.
    ///
    /// Samples still in the write buffer are discarded (the disk did not take them), the data
    /// file is cut to whole samples (a failed write can leave part of one), the hash is computed
    /// by reading the file back (the running hash may include bytes that never reached the disk),
    /// capture segments and annotations past the end are dropped, and an annotation labelled
    /// `write error` at the end records `cause`. If the final metadata cannot be written because
    /// the disk is full, [`SALVAGE_RESERVE_BYTES`] (rounded to whole samples) are cut off the end
    /// of the data to make room for it and it is tried once more.
    pub fn salvage(self, cause: &str) -> Result<Salvaged, SourceError> {
        let SigmfWriter {
            meta,
            meta_path,
            data_path,
            data,
            mut segments,
            mut annotations,
            annotations_dropped,
            ..
        } = self;
        // `into_parts` gives the file back without flushing: the buffer is what failed.
        let (file, unwritten) = data.into_parts();
        let unwritten = unwritten.map_or(0, |b| b.len()) as u64;
        let frame = meta.datatype.bytes_per_sample() as u64;
        let io = |e| SourceError::io(&data_path, e);
        let on_disk = file.metadata().map_err(io)?.len();
        let mut keep = on_disk - on_disk % frame;
        let mut w = SigmfWriter {
            meta,
            meta_path,
            data_path: data_path.clone(),
            // Not written to again; only there so `write_meta` can run.
            data: BufWriter::with_capacity(0, file.try_clone().map_err(io)?),
            hasher: Sha512::new(),
            bytes: Vec::new(),
            samples_written: 0,
            segments: Vec::new(),
            annotations: Vec::new(),
            annotations_dropped,
        };
        let mut retried = false;
        loop {
            file.set_len(keep).map_err(io)?;
            // A failed sync does not change which bytes the file holds now; the hash below
            // describes exactly those, so go on and write the metadata for them.
            let _ = file.sync_all();
            let samples = keep / frame;
            let sha512 = sha512_prefix(&data_path, keep)?;
            segments.retain(|s| s.sample_start == 0 || s.sample_start < samples);
            annotations.retain(|a| a.sample_start <= samples);
            for a in &mut annotations {
                if let Some(c) = a.sample_count.as_mut() {
                    *c = (*c).min(samples - a.sample_start);
                }
            }
            w.segments = segments.clone();
            w.annotations = annotations.clone();
            w.annotations.push(Annotation {
                sample_start: samples,
                sample_count: Some(0),
                label: Some("write error".into()),
                comment: Some(format!("recording stopped here: {cause}")),
                ..Annotation::default()
            });
            w.samples_written = samples;
            match w.write_meta(Some(&sha512)) {
                Ok(()) => {
                    return Ok(Salvaged {
                        samples,
                        sha512,
                        cut_bytes: on_disk - keep,
                        unwritten_bytes: unwritten,
                    });
                }
                Err(SourceError::Io { source, .. })
                    if !retried && source.kind() == std::io::ErrorKind::StorageFull =>
                {
                    retried = true;
                    let reserve = SALVAGE_RESERVE_BYTES - SALVAGE_RESERVE_BYTES % frame;
                    keep = keep.saturating_sub(reserve);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Flush, sync, and write the final metadata with `core:sha512`. Returns the hash.
    pub fn finish(mut self) -> Result<String, SourceError> {
        self.data
            .flush()
            .map_err(|e| SourceError::io(&self.data_path, e))?;
        self.data
            .get_ref()
            .sync_all()
            .map_err(|e| SourceError::io(&self.data_path, e))?;
        let hash = hex(&std::mem::take(&mut self.hasher).finalize());
        self.write_meta(Some(&hash))?;
        Ok(hash)
    }

    fn write_meta(&self, sha512: Option<&str>) -> Result<(), SourceError> {
        let m = &self.meta;
        let mut g = Map::new();
        g.insert("core:datatype".into(), json!(m.datatype.sigmf_name()));
        g.insert("core:sample_rate".into(), json!(m.sample_rate_sps));
        g.insert("core:version".into(), json!("1.2.0"));
        g.insert("core:recorder".into(), json!(m.recorder));
        if let Some(d) = &m.description {
            g.insert("core:description".into(), json!(d));
        }
        if let Some(h) = &m.hw {
            g.insert("core:hw".into(), json!(h));
        }
        if let Some(h) = sha512 {
            g.insert("core:sha512".into(), json!(h));
        }
        for (k, v) in &m.extra_global {
            g.insert(k.clone(), v.clone());
        }
        if self.annotations_dropped > 0 {
            g.insert(
                "towerwatch:annotations_dropped".into(),
                json!(self.annotations_dropped),
            );
        }
        let captures: Vec<Value> = self
            .segments
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut c = Map::new();
                c.insert("core:sample_start".into(), json!(s.sample_start));
                c.insert("core:frequency".into(), json!(s.frequency_hz));
                if let (0, Some(dt)) = (i, &m.datetime) {
                    c.insert("core:datetime".into(), json!(dt));
                }
                Value::Object(c)
            })
            .collect();
        let mut ann: Vec<&Annotation> = self.annotations.iter().collect();
        ann.sort_by_key(|a| a.sample_start);
        let mut doc = json!({
            "global": Value::Object(g),
            "captures": captures,
            "annotations": ann.iter().map(|a| a.to_json()).collect::<Vec<_>>(),
        });
        if sha512.is_some() {
            // The final metadata is sealed too, so `verify` notices an edited rate, frequency,
            // time or annotation (crate::integrity).
            seal(&mut doc);
        }
        let text = serde_json::to_string_pretty(&doc).map_err(|e| {
            SourceError::format(&self.meta_path, format!("cannot encode metadata: {e}"))
        })?;
        let tmp = self.meta_path.with_extension("sigmf-meta.tmp");
        let mut f = create_private(&tmp).map_err(|e| SourceError::io(&tmp, e))?;
        f.write_all(text.as_bytes())
            .and_then(|_| f.write_all(b"\n"))
            .and_then(|_| f.sync_all())
            .map_err(|e| SourceError::io(&tmp, e))?;
        fs::rename(&tmp, &self.meta_path).map_err(|e| SourceError::io(&self.meta_path, e))
    }
}

/// Convenience: the reader as a boxed source.
pub fn open_boxed(path: &Path, check_hash: bool) -> Result<Box<dyn SampleSource>, SourceError> {
    Ok(Box::new(open(path, check_hash)?.0))
}

/// The global key holding the metadata hash.
pub const META_HASH_KEY: &str = "towerwatch:meta_sha512";

/// SHA-512 (hex) of `doc` in canonical form, without [`META_HASH_KEY`].
pub fn canonical_meta_hash(doc: &Value) -> String {
    let mut d = doc.clone();
    if let Some(g) = d.get_mut("global").and_then(Value::as_object_mut) {
        g.remove(META_HASH_KEY);
    }
    // serde_json's map is ordered by key (no `preserve_order`): the compact form is canonical.
    let text = serde_json::to_string(&d).unwrap_or_default();
    hex(&sha2::Sha512::digest(text.as_bytes()))
}

/// Adds [`META_HASH_KEY`] to a metadata document about to be written (`crate::integrity` says
/// what it covers).
pub fn seal(doc: &mut Value) {
    let h = canonical_meta_hash(doc);
    if let Some(g) = doc.get_mut("global").and_then(Value::as_object_mut) {
        g.insert(META_HASH_KEY.into(), Value::String(h));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn annotations_are_capped_and_the_rest_counted() {
        let dir = std::env::temp_dir().join(format!("towerwatch-ann-cap-{}", std::process::id()));
        let base = dir.join("cap");
        let mut w =
            SigmfWriter::create(&base, WriterMeta::new(SampleFormat::Ci16Le, 1e6, 941e6)).unwrap();
        w.write(&[Complex32::new(0.1, 0.1); 10]).unwrap();
        for i in 0..MAX_WRITER_ANNOTATIONS as u64 + 5 {
            w.add_annotation(Annotation {
                sample_start: i % 10,
                label: Some("gap".into()),
                ..Annotation::default()
            });
        }
        w.finish().unwrap();
        let m = SigmfMeta::load(&base).unwrap();
        assert_eq!(m.annotations.len(), MAX_WRITER_ANNOTATIONS);
        assert_eq!(m.global["towerwatch:annotations_dropped"], json!(5));
        let _ = fs::remove_dir_all(&dir);
    }
}
