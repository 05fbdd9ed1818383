//! The bundle manifest (`manifest.json`) and `towerwatch verify BUNDLE`.
//!
//! The manifest lists every other file of the bundle with its size and SHA-256, and protects
//! itself: `manifest_sha256` is the SHA-256 of the manifest's own bytes with that hex value
//! replaced by 64 zeros. So a changed byte anywhere in the bundle — a data file, the manifest's
//! times or its list of hashes — is found, and the file it is in is named.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Name of the manifest inside a bundle.
pub const MANIFEST: &str = "manifest.json";
/// Value of `format`.
pub const FORMAT: &str = "towerwatch-evidence-bundle";
/// Value of `format_version`.
pub const FORMAT_VERSION: u32 = 1;
const SELF_KEY: &str = "\"manifest_sha256\": \"";
const ZEROS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One file of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// File name inside the bundle directory.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// What the file holds.
    pub content: String,
}

/// A geographic position (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Latitude, degrees north.
    pub lat_deg: f64,
    /// Longitude, degrees east.
    pub lon_deg: f64,
    /// Horizontal accuracy (1σ), metres, when the receiver reports it.
    #[serde(default)]
    pub accuracy_m: Option<f64>,
}

/// Problems reading or checking a bundle.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Reading a file.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// The manifest is not what `towerwatch evidence` writes.
    #[error("{0}: {1}")]
    Format(PathBuf, String),
}

/// SHA-256 of a file, streaming, lower-case hex; with its size.
pub fn sha256_file(path: &Path) -> Result<(String, u64), ManifestError> {
    let io = |e| ManifestError::Io(path.to_path_buf(), e);
    let mut f = File::open(path).map_err(io)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n_total = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        n_total += n as u64;
        h.update(&buf[..n]);
    }
    Ok((crate::source::sigmf::hex(&h.finalize()), n_total))
}

/// SHA-256 of bytes, hex.
pub fn sha256_bytes(b: &[u8]) -> String {
    crate::source::sigmf::hex(&Sha256::digest(b))
}

/// Pretty JSON of a manifest document with its self-hash filled in. `doc` must have a
/// `manifest_sha256` key (its value is replaced).
pub fn seal(mut doc: serde_json::Value) -> Result<String, String> {
    doc["manifest_sha256"] = serde_json::Value::String(ZEROS.to_string());
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())? + "\n";
    let at = text
        .find(&format!("{SELF_KEY}{ZEROS}\""))
        .ok_or("manifest_sha256 not at the top level")?;
    let hash = sha256_bytes(text.as_bytes());
    let start = at + SELF_KEY.len();
    Ok(format!("{}{}{}", &text[..start], hash, &text[start + 64..]))
}

/// Check the self-hash of manifest bytes: `Ok(())`, or what is wrong.
fn check_seal(bytes: &[u8]) -> Result<(), String> {
    let key = SELF_KEY.as_bytes();
    let at = bytes
        .windows(key.len())
        .position(|w| w == key)
        .ok_or("its manifest_sha256 field is missing")?;
    let start = at + key.len();
    let stored = bytes
        .get(start..start + 64)
        .ok_or("its manifest_sha256 value is cut short")?;
    let stored = String::from_utf8_lossy(stored).to_string();
    let mut zeroed = bytes.to_vec();
    zeroed[start..start + 64].copy_from_slice(ZEROS.as_bytes());
    let actual = sha256_bytes(&zeroed);
    if actual == stored {
        Ok(())
    } else {
        Err(format!(
            "its own content changed (manifest_sha256 {stored}, content hashes to {actual})"
        ))
    }
}

/// What verification found for one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum FileCheck {
    /// Size and hash as recorded.
    Ok {
        /// File name.
        name: String,
    },
    /// Present but different.
    Changed {
        /// File name.
        name: String,
        /// What differs.
        detail: String,
    },
    /// Listed but absent.
    Missing {
        /// File name.
        name: String,
    },
    /// Present but not listed.
    Extra {
        /// File name.
        name: String,
    },
}

impl FileCheck {
    /// The file name.
    pub fn name(&self) -> &str {
        match self {
            FileCheck::Ok { name }
            | FileCheck::Changed { name, .. }
            | FileCheck::Missing { name }
            | FileCheck::Extra { name } => name,
        }
    }
    /// Whether this file passed.
    pub fn is_ok(&self) -> bool {
        matches!(self, FileCheck::Ok { .. })
    }
}

impl std::fmt::Display for FileCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileCheck::Ok { name } => write!(f, "OK       {name}"),
            FileCheck::Changed { name, detail } => write!(f, "CHANGED  {name}: {detail}"),
            FileCheck::Missing { name } => write!(f, "MISSING  {name}: listed in the manifest"),
            FileCheck::Extra { name } => write!(f, "EXTRA    {name}: not in the manifest"),
        }
    }
}

/// The result of checking a bundle.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// The bundle directory.
    pub dir: PathBuf,
    /// One entry per file (the manifest first, then listed files, then extra files).
    pub files: Vec<FileCheck>,
}

impl Verification {
    /// Whether every file is as recorded and nothing is missing or extra.
    pub fn ok(&self) -> bool {
        self.files.iter().all(FileCheck::is_ok)
    }
    /// Names of the files that failed.
    pub fn failed(&self) -> Vec<&str> {
        self.files
            .iter()
            .filter(|c| !c.is_ok())
            .map(FileCheck::name)
            .collect()
    }
    /// One line: "N files OK" or what failed, naming each file.
    pub fn headline(&self) -> String {
        if self.ok() {
            return format!(
                "{}: all {} files match the manifest",
                self.dir.display(),
                self.files.len()
            );
        }
        let pick = |k: fn(&FileCheck) -> bool| -> Vec<&str> {
            self.files
                .iter()
                .filter(|c| k(c))
                .map(FileCheck::name)
                .collect()
        };
        let mut parts = Vec::new();
        for (what, names) in [
            ("changed", pick(|c| matches!(c, FileCheck::Changed { .. }))),
            ("missing", pick(|c| matches!(c, FileCheck::Missing { .. }))),
            ("extra", pick(|c| matches!(c, FileCheck::Extra { .. }))),
        ] {
            if !names.is_empty() {
                parts.push(format!("{what}: {}", names.join(", ")));
            }
        }
        format!(
            "{}: evidence bundle does NOT verify ({})",
            self.dir.display(),
            parts.join("; ")
        )
    }
}

/// The bundle directory of a path given by the user (the directory or its `manifest.json`).
pub fn bundle_dir(path: &Path) -> PathBuf {
    if path.file_name().is_some_and(|n| n == MANIFEST) {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    } else {
        path.to_path_buf()
    }
}

/// Whether `path` looks like a bundle (a directory with a manifest, or a manifest).
pub fn is_bundle(path: &Path) -> bool {
    bundle_dir(path).join(MANIFEST).is_file()
}

/// Read the manifest document (no checks beyond being JSON of our format).
pub fn read_manifest(dir: &Path) -> Result<serde_json::Value, ManifestError> {
    let p = dir.join(MANIFEST);
    let bytes = std::fs::read(&p).map_err(|e| ManifestError::Io(p.clone(), e))?;
    let doc: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| ManifestError::Format(p.clone(), format!("not valid JSON: {e}")))?;
    if doc.get("format").and_then(|v| v.as_str()) != Some(FORMAT) {
        return Err(ManifestError::Format(
            p,
            format!("not a Towerwatch evidence manifest (\"format\" is not \"{FORMAT}\")"),
        ));
    }
    Ok(doc)
}

/// Check every file of a bundle against its manifest. Errors only when the manifest cannot be
/// read at all; a damaged manifest is reported as a changed `manifest.json`.
pub fn verify_bundle(path: &Path) -> Result<Verification, ManifestError> {
    let dir = bundle_dir(path);
    let mpath = dir.join(MANIFEST);
    let bytes = crate::limits::read_capped(&mpath, crate::limits::MAX_META_BYTES, "a manifest")
        .map_err(|e| ManifestError::Io(mpath.clone(), e.into_io()))?;
    let mut files = Vec::new();
    let parsed: Option<Vec<FileEntry>> = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Err(e) => {
            files.push(FileCheck::Changed {
                name: MANIFEST.into(),
                detail: format!("no longer valid JSON ({e})"),
            });
            None
        }
        Ok(doc) => {
            match check_seal(&bytes) {
                Ok(()) => files.push(FileCheck::Ok {
                    name: MANIFEST.into(),
                }),
                Err(detail) => files.push(FileCheck::Changed {
                    name: MANIFEST.into(),
                    detail,
                }),
            }
            match doc.get("files").cloned().map(serde_json::from_value) {
                Some(Ok(v)) => Some(v),
                _ => {
                    if files.last().is_some_and(FileCheck::is_ok) {
                        files.pop();
                        files.push(FileCheck::Changed {
                            name: MANIFEST.into(),
                            detail: "its file list is unreadable".into(),
                        });
                    }
                    None
                }
            }
        }
    };
    let list_ok = parsed.is_some();
    let listed: Vec<FileEntry> = parsed.unwrap_or_default();
    for e in &listed {
        // Names are plain file names; anything else cannot have been written by us.
        if e.name.contains('/') || e.name.contains('\\') || e.name == ".." || e.name == MANIFEST {
            files.push(FileCheck::Changed {
                name: MANIFEST.into(),
                detail: format!("lists an invalid file name {:?}", e.name),
            });
            continue;
        }
        let p = dir.join(&e.name);
        if !p.is_file() {
            files.push(FileCheck::Missing {
                name: e.name.clone(),
            });
            continue;
        }
        let (sha, n) = sha256_file(&p)?;
        if sha == e.sha256 && n == e.bytes {
            files.push(FileCheck::Ok {
                name: e.name.clone(),
            });
        } else {
            let detail = if n != e.bytes {
                format!("{n} bytes, manifest says {}", e.bytes)
            } else {
                format!("sha256 {sha}, manifest says {}", e.sha256)
            };
            files.push(FileCheck::Changed {
                name: e.name.clone(),
                detail,
            });
        }
    }
    let files = one_manifest_line(files);
    if !list_ok {
        // Without a readable file list, every other file would look extra: say nothing of them.
        return Ok(Verification { dir, files });
    }
    let rd = std::fs::read_dir(&dir).map_err(|e| ManifestError::Io(dir.clone(), e))?;
    let mut extra: Vec<String> = Vec::new();
    for ent in rd {
        let ent = ent.map_err(|e| ManifestError::Io(dir.clone(), e))?;
        let name = ent.file_name().to_string_lossy().to_string();
        if name != MANIFEST && !listed.iter().any(|e| e.name == name) {
            extra.push(name);
        }
    }
    extra.sort();
    let mut files = files;
    files.extend(extra.into_iter().map(|name| FileCheck::Extra { name }));
    Ok(Verification { dir, files })
}

/// The manifest's own findings (its seal, each invalid name it lists) as one line: the summary
/// names `manifest.json` once, with every problem.
fn one_manifest_line(files: Vec<FileCheck>) -> Vec<FileCheck> {
    let mut problems = Vec::new();
    let mut first = None;
    let mut rest = Vec::with_capacity(files.len());
    for f in files {
        match f {
            FileCheck::Ok { name } if name == MANIFEST => {
                first.get_or_insert(rest.len());
            }
            FileCheck::Changed { name, detail } if name == MANIFEST => {
                first.get_or_insert(rest.len());
                problems.push(detail);
            }
            other => rest.push(other),
        }
    }
    if let Some(at) = first {
        let f = if problems.is_empty() {
            FileCheck::Ok {
                name: MANIFEST.into(),
            }
        } else {
            FileCheck::Changed {
                name: MANIFEST.into(),
                detail: problems.join("; "),
            }
        };
        rest.insert(at.min(rest.len()), f);
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_detects_any_change() {
        let doc = serde_json::json!({"format": FORMAT, "a": 1, "manifest_sha256": ""});
        let text = seal(doc).unwrap();
        assert!(check_seal(text.as_bytes()).is_ok());
        for i in 0..text.len() {
            let mut b = text.clone().into_bytes();
            b[i] ^= 0x01;
            assert!(check_seal(&b).is_err(), "flip at {i} not seen");
        }
    }
}
