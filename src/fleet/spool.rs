//! Store and forward: a bounded on-disk spool of the messages a sensor must deliver.
//!
//! Layout of the spool directory (one per sensor id):
//! - `epoch`: when the spool was created (Unix ms). Message ids count from 1 within an epoch; a
//!   wiped spool starts a new epoch, so the hub does not mistake its first messages for repeats.
//! - `acked`: the highest message id the broker acknowledged (QoS 1 PUBACK), with every lower
//!   id acknowledged too. Rewritten by rename, so it is always whole.
//! - `seg-<first id>.jsonl`: append-only segments, one record a line:
//!   `{"seq":N,"kind":"alerts"|"cells","payload":{…}}`. A batch of records is written and then
//!   `fsync`ed before [`Spool::append_batch`] returns, so what the caller was told is written
//!   survives a crash or a power cut. A segment is deleted once every record in it is acked.
//!
//! Bounds: when the segments exceed `max_bytes`, the oldest segment is deleted even if it holds
//! unsent records; those are counted in [`Spool::dropped`] (reported on stderr and in the status
//! topic). On open, records past `acked` are queued again in order: a sensor that restarts resends
//! what the broker never confirmed (the hub drops repeats by message id). A torn last line (power
//! cut mid-write) is skipped and counted.

use std::collections::{BTreeSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Spool errors (each names the path).
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// A file or directory of the spool could not be read or written.
    #[error("spool {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A spool file holds something it should not.
    #[error("spool {path}: {why}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Which topic a record goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `<prefix>/v1/<sensor>/alerts`.
    Alerts,
    /// `<prefix>/v1/<sensor>/cells`.
    Cells,
}

impl Kind {
    /// The topic leaf.
    pub fn leaf(self) -> &'static str {
        match self {
            Kind::Alerts => "alerts",
            Kind::Cells => "cells",
        }
    }
}

/// Makes a record's payload from the message id it is given.
pub type MakePayload<'a> = Box<dyn FnOnce(u64) -> serde_json::Value + 'a>;

/// One spooled message.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Message id (the `msg_id` in its payload).
    pub seq: u64,
    /// Its topic.
    pub kind: Kind,
    /// The payload, JSON text.
    pub payload: String,
}

#[derive(Serialize, Deserialize)]
struct Line {
    seq: u64,
    kind: Kind,
    payload: serde_json::Value,
}

struct Segment {
    first_seq: u64,
    last_seq: u64,
    path: PathBuf,
    bytes: u64,
}

/// What a spool holds, for reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SpoolCounts {
    /// Records not yet acknowledged by the broker.
    pub queued: u64,
    /// Records acknowledged so far (this process).
    pub acked: u64,
    /// Unsent records deleted because the spool was full.
    pub dropped: u64,
    /// Torn or unreadable lines skipped when the spool was opened.
    pub skipped_lines: u64,
    /// Records found unsent when the spool was opened (resent).
    pub recovered: u64,
}

/// The spool of one sensor.
pub struct Spool {
    dir: PathBuf,
    epoch: u64,
    next_seq: u64,
    acked: u64,
    acked_above: BTreeSet<u64>,
    acked_written: u64,
    queue: VecDeque<Record>,
    segments: VecDeque<Segment>,
    current: Option<File>,
    max_bytes: u64,
    segment_bytes: u64,
    counts: SpoolCounts,
}

impl Spool {
    /// Open (or create) the spool in `dir`, holding at most about `max_bytes` on disk.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<Spool, SpoolError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let epoch_path = dir.join("epoch");
        let epoch = match std::fs::read_to_string(&epoch_path) {
            Ok(t) => t.trim().parse::<u64>().map_err(|_| SpoolError::Corrupt {
                path: epoch_path.clone(),
                why: format!("not a number: {:?}", t.trim()),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let now_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as u64);
                write_atomically(dir, "epoch", &now_ms.to_string())?;
                now_ms
            }
            Err(e) => return Err(io(&epoch_path)(e)),
        };
        let acked_path = dir.join("acked");
        let acked = match std::fs::read_to_string(&acked_path) {
            Ok(t) => t.trim().parse::<u64>().map_err(|_| SpoolError::Corrupt {
                path: acked_path.clone(),
                why: format!("not a number: {:?}", t.trim()),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(io(&acked_path)(e)),
        };
        let mut names: Vec<(u64, PathBuf)> = Vec::new();
        for e in std::fs::read_dir(dir).map_err(io(dir))? {
            let e = e.map_err(io(dir))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(n) = name
                .strip_prefix("seg-")
                .and_then(|r| r.strip_suffix(".jsonl"))
                .and_then(|n| n.parse::<u64>().ok())
            {
                names.push((n, e.path()));
            }
        }
        names.sort();
        let mut spool = Spool {
            dir: dir.to_path_buf(),
            epoch,
            next_seq: acked + 1,
            acked,
            acked_above: BTreeSet::new(),
            acked_written: acked,
            queue: VecDeque::new(),
            segments: VecDeque::new(),
            current: None,
            max_bytes: max_bytes.max(4096),
            segment_bytes: (max_bytes / 8).clamp(1024, 1 << 20),
            counts: SpoolCounts::default(),
        };
        for (first, path) in names {
            let f = File::open(&path).map_err(io(&path))?;
            let bytes = f.metadata().map_err(io(&path))?.len();
            let mut last = first.saturating_sub(1);
            for line in BufReader::new(f).split(b'\n') {
                let line = line.map_err(io(&path))?;
                if line.is_empty() {
                    continue;
                }
                match serde_json::from_slice::<Line>(&line) {
                    Ok(l) if l.seq > last => {
                        last = l.seq;
                        if l.seq > acked {
                            spool.queue.push_back(Record {
                                seq: l.seq,
                                kind: l.kind,
                                payload: l.payload.to_string(),
                            });
                        }
                    }
                    _ => spool.counts.skipped_lines += 1,
                }
            }
            spool.next_seq = spool.next_seq.max(last + 1);
            spool.segments.push_back(Segment {
                first_seq: first,
                last_seq: last,
                path,
                bytes,
            });
        }
        spool.counts.recovered = spool.queue.len() as u64;
        spool.counts.queued = spool.queue.len() as u64;
        spool.delete_sent_segments()?;
        Ok(spool)
    }

    /// The spool's epoch (Unix ms at creation): message ids count within it.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Append records (each made by `make` from its message id), then fsync once. Returns the
    /// ids given.
    pub fn append_batch(
        &mut self,
        items: Vec<(Kind, MakePayload<'_>)>,
    ) -> Result<Vec<u64>, SpoolError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let mut text = Vec::new();
        let mut ids = Vec::new();
        let mut records = Vec::new();
        let first = self.next_seq;
        for (kind, make) in items {
            let seq = self.next_seq;
            self.next_seq += 1;
            let payload = make(seq);
            let line = Line { seq, kind, payload };
            serde_json::to_writer(&mut text, &line).map_err(|e| SpoolError::Corrupt {
                path: self.dir.clone(),
                why: e.to_string(),
            })?;
            text.push(b'\n');
            records.push(Record {
                seq,
                kind,
                payload: line.payload.to_string(),
            });
            ids.push(seq);
        }
        let last = self.next_seq - 1;
        let roll = self
            .segments
            .back()
            .is_none_or(|s| s.bytes >= self.segment_bytes)
            || self.current.is_none();
        if roll {
            let path = self.dir.join(format!("seg-{first:020}.jsonl"));
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(io(&path))?;
            // The new file's directory entry must survive a power cut as well as its lines.
            if let Ok(d) = File::open(&self.dir) {
                let _ = d.sync_all();
            }
            self.current = Some(f);
            self.segments.push_back(Segment {
                first_seq: first,
                last_seq: first.saturating_sub(1),
                path,
                bytes: 0,
            });
        }
        if let (Some(f), Some(seg)) = (self.current.as_mut(), self.segments.back_mut()) {
            f.write_all(&text).map_err(io(&seg.path))?;
            f.sync_data().map_err(io(&seg.path))?;
            seg.bytes += text.len() as u64;
            seg.last_seq = last;
        }
        self.queue.extend(records);
        self.counts.queued = self.queue.len() as u64;
        self.enforce_bound()?;
        Ok(ids)
    }

    /// Delete the oldest segments while the spool is over its size, counting unsent records.
    fn enforce_bound(&mut self) -> Result<(), SpoolError> {
        while self.segments.iter().map(|s| s.bytes).sum::<u64>() > self.max_bytes
            && self.segments.len() > 1
        {
            let Some(seg) = self.segments.pop_front() else {
                break;
            };
            while self.queue.front().is_some_and(|r| r.seq <= seg.last_seq) {
                self.queue.pop_front();
                self.counts.dropped += 1;
            }
            remove(&seg.path)?;
        }
        self.counts.queued = self.queue.len() as u64;
        Ok(())
    }

    /// The first queued (unacknowledged) record with id `seq` or later.
    pub fn first_from(&self, seq: u64) -> Option<&Record> {
        let i = self.queue.partition_point(|r| r.seq < seq);
        self.queue.get(i)
    }

    /// The oldest unacknowledged id, if any.
    pub fn oldest_unacked(&self) -> Option<u64> {
        self.queue.front().map(|r| r.seq)
    }

    /// The broker acknowledged `seq`.
    pub fn ack(&mut self, seq: u64) {
        if seq <= self.acked {
            return;
        }
        self.acked_above.insert(seq);
        // Records dropped for space count as done: acks move past them.
        let floor = self.queue.front().map_or(self.next_seq, |r| r.seq);
        if self.acked + 1 < floor {
            self.acked = floor - 1;
        }
        while self.acked_above.remove(&(self.acked + 1)) {
            self.acked += 1;
        }
        let before = self.queue.len();
        while self.queue.front().is_some_and(|r| r.seq <= self.acked) {
            self.queue.pop_front();
        }
        self.counts.acked += (before - self.queue.len()) as u64;
        self.counts.queued = self.queue.len() as u64;
    }

    /// Write the `acked` mark (if it moved) and delete fully acknowledged segments.
    pub fn persist_acks(&mut self) -> Result<(), SpoolError> {
        if self.acked == self.acked_written {
            return Ok(());
        }
        write_atomically(&self.dir, "acked", &self.acked.to_string())?;
        self.acked_written = self.acked;
        self.delete_sent_segments()
    }

    fn delete_sent_segments(&mut self) -> Result<(), SpoolError> {
        // The newest segment stays (it is the one appended to).
        while self.segments.len() > 1
            && self
                .segments
                .front()
                .is_some_and(|s| s.last_seq <= self.acked)
        {
            if let Some(seg) = self.segments.pop_front() {
                remove(&seg.path)?;
            }
        }
        Ok(())
    }

    /// The counters.
    pub fn counts(&self) -> SpoolCounts {
        self.counts
    }

    /// Bytes on disk in segments.
    pub fn bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.bytes).sum()
    }

    /// First id of each segment file (tests).
    pub fn segment_starts(&self) -> Vec<u64> {
        self.segments.iter().map(|s| s.first_seq).collect()
    }
}

fn remove(path: &Path) -> Result<(), SpoolError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(path)(e)),
        _ => Ok(()),
    }
}

/// Write `dir/name` whole: a temporary file, fsync, rename, fsync of the directory.
fn write_atomically(dir: &Path, name: &str, text: &str) -> Result<(), SpoolError> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    let mut f = File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(text.as_bytes()).map_err(io(&tmp))?;
    f.sync_data().map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn add(s: &mut Spool, n: usize) -> Vec<u64> {
        let items: Vec<(Kind, MakePayload)> = (0..n)
            .map(|_| {
                let f: MakePayload = Box::new(|id| json!({"msg_id": id, "pad": "x".repeat(100)}));
                (Kind::Alerts, f)
            })
            .collect();
        s.append_batch(items).unwrap()
    }

    #[test]
    fn unacked_records_survive_a_restart_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(add(&mut s, 5), vec![1, 2, 3, 4, 5]);
        s.ack(1);
        s.ack(3); // out of order: 2 not yet acked
        assert_eq!(s.oldest_unacked(), Some(2));
        s.ack(2);
        s.persist_acks().unwrap();
        assert_eq!(s.oldest_unacked(), Some(4));
        let epoch = s.epoch();
        drop(s);
        let mut s = Spool::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(s.epoch(), epoch);
        assert_eq!(s.counts().recovered, 2);
        assert_eq!(s.first_from(0).unwrap().seq, 4);
        let r = s.first_from(5).unwrap();
        assert_eq!(
            r.payload,
            json!({"msg_id": 5, "pad": "x".repeat(100)}).to_string()
        );
        // Ids go on from where they were.
        assert_eq!(add(&mut s, 1), vec![6]);
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), 1 << 20).unwrap();
        add(&mut s, 2);
        drop(s);
        let seg = dir.path().join(format!("seg-{:020}.jsonl", 1));
        let mut f = OpenOptions::new().append(true).open(&seg).unwrap();
        f.write_all(b"{\"seq\":3,\"kind\":\"ale").unwrap();
        drop(f);
        let s = Spool::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(s.counts().skipped_lines, 1);
        assert_eq!(s.counts().recovered, 2);
    }

    #[test]
    fn a_full_spool_drops_the_oldest_and_counts_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), 8192).unwrap();
        for _ in 0..100 {
            add(&mut s, 1);
        }
        assert!(s.bytes() <= 8192 + 2048, "{}", s.bytes());
        let c = s.counts();
        assert!(c.dropped > 0);
        assert_eq!(c.dropped + c.queued, 100);
        // Acks move on past what was dropped.
        let first = s.oldest_unacked().unwrap();
        assert_eq!(first, c.dropped + 1);
        s.ack(first);
        assert_eq!(s.oldest_unacked(), Some(first + 1));
    }

    #[test]
    fn acked_segments_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), 16384).unwrap();
        for _ in 0..40 {
            add(&mut s, 1);
        }
        assert!(s.segment_starts().len() > 2);
        for id in 1..=40 {
            s.ack(id);
        }
        s.persist_acks().unwrap();
        assert_eq!(s.segment_starts().len(), 1);
        assert_eq!(s.counts().queued, 0);
        let s = Spool::open(dir.path(), 16384).unwrap();
        assert_eq!(s.counts().recovered, 0);
    }
}
