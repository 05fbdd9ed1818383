//! What `verify` and `--check-hash` check in a SigMF recording, and what they do not.
//!
//! - The data: `core:sha512` (SHA-512 of the `.sigmf-data` file, SigMF's own field).
//! - The metadata: `towerwatch:meta_sha512`, written by towerwatch when it finishes a recording
//!   (`record`, `synth`, evidence clips): the SHA-512 of the metadata document in canonical form
//!   (the JSON with that one key removed, object keys sorted, no whitespace). It covers every
//!   field — sample rate, frequencies, datetime, hardware, description, annotations — and the
//!   data hash itself, so editing either file is detected.
//! - Not covered: file names and file-system times; and the hashes show a change, not who made
//!   the recording (anyone can recompute them after editing: they are not signatures).
//!
//! A recording from another tool has no metadata hash: `verify` says its metadata was not
//! checked. `--check-hash` on a recording without `core:sha512` fails unless `--allow-unhashed`.

use serde_json::Value;
use std::path::Path;

use crate::source::sigmf::{self, HashCheck};

pub use crate::source::sigmf::{META_HASH_KEY, canonical_meta_hash, seal};

/// The outcome for the metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaCheck {
    /// The metadata hashes to its recorded value.
    Match(String),
    /// The metadata was changed after it was written.
    Mismatch {
        /// The recorded value.
        expected: String,
        /// What the metadata hashes to now.
        actual: String,
    },
    /// No metadata hash (another tool, or an older towerwatch).
    NotRecorded,
}

/// Checks the metadata hash of the recording `path` (either file of the pair).
pub fn check_meta(path: &Path) -> anyhow::Result<MetaCheck> {
    let (meta_path, _) = sigmf::paths_for(path);
    let text = crate::limits::read_text_capped(
        &meta_path,
        crate::limits::MAX_META_BYTES,
        "SigMF metadata",
    )?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: not JSON: {e}", meta_path.display()))?;
    let Some(expected) = doc
        .get("global")
        .and_then(|g| g.get(META_HASH_KEY))
        .and_then(Value::as_str)
    else {
        return Ok(MetaCheck::NotRecorded);
    };
    let expected = expected.to_ascii_lowercase();
    let actual = canonical_meta_hash(&doc);
    Ok(if expected == actual {
        MetaCheck::Match(actual)
    } else {
        MetaCheck::Mismatch { expected, actual }
    })
}

/// What `verify` found, in lines for the user, and whether it passed.
pub struct Report {
    /// One line per thing checked or not checked.
    pub lines: Vec<String>,
    /// Every check that could be made passed.
    pub ok: bool,
}

/// Verifies a SigMF recording: data hash, metadata hash; says what was not covered. A data
/// mismatch is an error (as before); a metadata mismatch makes the report fail.
pub fn verify_recording(path: &Path) -> anyhow::Result<Report> {
    let data = sigmf::verify(path)?;
    let meta = check_meta(path)?;
    let (meta_path, data_path) = sigmf::paths_for(path);
    let mut lines = Vec::new();
    let mut ok = true;
    match &data {
        HashCheck::Match(h) => lines.push(format!(
            "data:      OK  {} matches its core:sha512 ({}…)",
            data_path.display(),
            h.get(..16).unwrap_or(h)
        )),
        HashCheck::NotRecorded(h) => {
            ok = false;
            lines.push(format!(
                "data:      NOT VERIFIED  no core:sha512 in the metadata (an interrupted recording, or another tool); {} hashes to {h}",
                data_path.display()
            ));
        }
    }
    match &meta {
        MetaCheck::Match(h) => lines.push(format!(
            "metadata:  OK  {} matches its {META_HASH_KEY} ({}…): rate, frequencies, times, hardware, description and annotations as recorded",
            meta_path.display(),
            h.get(..16).unwrap_or(h)
        )),
        MetaCheck::Mismatch { expected, actual } => {
            ok = false;
            lines.push(format!(
                "metadata:  MISMATCH  {} was changed after recording: {META_HASH_KEY} says {}…, it hashes to {}…",
                meta_path.display(),
                expected.get(..16).unwrap_or(expected),
                actual.get(..16).unwrap_or(actual)
            ));
        }
        MetaCheck::NotRecorded => lines.push(format!(
            "metadata:  NOT VERIFIED  {} has no {META_HASH_KEY} (not written by towerwatch, or by an older one): its rate, frequencies, times and annotations could have been edited",
            meta_path.display()
        )),
    }
    lines.push(
        "not covered: file names and file times; hashes show a change, not who made the recording"
            .into(),
    );
    Ok(Report { lines, ok })
}

/// `--check-hash` before reading `path`: the data must match `core:sha512` and the metadata its
/// hash when it has one. A recording without `core:sha512` (or not SigMF) fails unless
/// `allow_unhashed`.
pub fn check_before_read(path: &Path, allow_unhashed: bool) -> anyhow::Result<()> {
    if !sigmf::is_sigmf(path) {
        if allow_unhashed {
            return Ok(());
        }
        anyhow::bail!(
            "{}: --check-hash: only SigMF recordings carry a hash (pass --allow-unhashed to read it unchecked)",
            path.display()
        );
    }
    let data = sigmf::verify(path)?;
    if let HashCheck::NotRecorded(_) = data
        && !allow_unhashed
    {
        let (meta_path, _) = sigmf::paths_for(path);
        anyhow::bail!(
            "{}: --check-hash: no core:sha512 in the metadata, nothing to check against (pass --allow-unhashed to read it anyway)",
            meta_path.display()
        );
    }
    if let MetaCheck::Mismatch { .. } = check_meta(path)? {
        let (meta_path, _) = sigmf::paths_for(path);
        anyhow::bail!(
            "{}: --check-hash: the metadata was changed after recording ({META_HASH_KEY} does not match)",
            meta_path.display()
        );
    }
    Ok(())
}
