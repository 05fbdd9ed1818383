//! The pre-trigger IQ ring buffer: the last seconds of samples, kept in the stream's own sample
//! encoding so an evidence clip is byte-for-byte what the receiver (or recording) delivered.
//!
//! Memory: at most `capacity_samples × bytes_per_sample` plus one pipeline block (64 Ki samples)
//! and one spare buffer; [`IqRing::with_limits`] derives the capacity from seconds at the stream
//! rate and a byte cap (whichever is smaller). E.g. 17 s at 2.4 MS/s `cu8` is 82 MB; 17 s at
//! 20 MS/s `ci16` would be 1.36 GB and is cut to the cap (256 MiB by default: 3.3 s).
//!
//! The pipeline's analysis thread pushes every block it analyses ([`IqRing::push`]); consumers
//! extract a stream-index range ([`IqRing::extract`]) from any thread.

use crate::source::SampleFormat;
use num_complex::Complex32;
use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

/// A bounded ring of recent samples, indexed by stream sample number.
#[derive(Debug)]
pub struct IqRing {
    format: SampleFormat,
    capacity_samples: u64,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    chunks: VecDeque<Chunk>,
    samples: u64,
    spare: Option<Vec<u8>>,
}

#[derive(Debug)]
struct Chunk {
    first_sample: u64,
    frequency_hz: f64,
    bytes: Vec<u8>,
}

/// A contiguous run of samples at one centre frequency.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipRun {
    /// Stream index of the first sample.
    pub first_sample: u64,
    /// Centre frequency of the run.
    pub frequency_hz: f64,
    /// The samples, encoded in the clip's format.
    pub bytes: Vec<u8>,
}

/// Samples taken out of the ring: runs in stream order (a new run at each gap or retune).
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    /// Encoding of the bytes.
    pub format: SampleFormat,
    /// The runs.
    pub runs: Vec<ClipRun>,
}

impl ClipRun {
    /// Number of samples in the run.
    pub fn len_samples(&self, format: SampleFormat) -> u64 {
        (self.bytes.len() / format.bytes_per_sample()) as u64
    }
}

impl Clip {
    /// Total samples.
    pub fn len_samples(&self) -> u64 {
        self.runs.iter().map(|r| r.len_samples(self.format)).sum()
    }

    /// Stream index of the first sample, if any.
    pub fn first_sample(&self) -> Option<u64> {
        self.runs.first().map(|r| r.first_sample)
    }

    /// Stream index one past the last sample, if any.
    pub fn end_sample(&self) -> Option<u64> {
        self.runs
            .last()
            .map(|r| r.first_sample + r.len_samples(self.format))
    }

    /// Position in the clip (0 = its first sample) of stream sample `index`, if the clip holds it.
    pub fn clip_index(&self, index: u64) -> Option<u64> {
        let mut before = 0u64;
        for r in &self.runs {
            let n = r.len_samples(self.format);
            if (r.first_sample..r.first_sample + n).contains(&index) {
                return Some(before + index - r.first_sample);
            }
            before += n;
        }
        None
    }
}

impl IqRing {
    /// A ring holding at least the last `capacity_samples` samples (encoded as `format`).
    pub fn new(format: SampleFormat, capacity_samples: u64) -> IqRing {
        IqRing {
            format,
            capacity_samples: capacity_samples.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// A ring for `seconds` at `rate_sps`, but never more than `max_bytes` of samples.
    pub fn with_limits(
        format: SampleFormat,
        rate_sps: f64,
        seconds: f64,
        max_bytes: u64,
    ) -> IqRing {
        let by_time = if rate_sps.is_finite() && seconds.is_finite() {
            (rate_sps.max(0.0) * seconds.max(0.0)).ceil() as u64
        } else {
            0
        };
        let by_bytes = max_bytes / format.bytes_per_sample() as u64;
        IqRing::new(format, by_time.min(by_bytes))
    }

    /// Encoding of the stored samples.
    pub fn format(&self) -> SampleFormat {
        self.format
    }

    /// Samples always kept (the newest ones).
    pub fn capacity_samples(&self) -> u64 {
        self.capacity_samples
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves consistent data (pushes are atomic
        // with respect to the bookkeeping), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Append a block that starts at stream index `first_sample`; the oldest whole blocks are
    /// dropped once the newest `capacity_samples` are held without them.
    pub fn push(&self, first_sample: u64, frequency_hz: f64, samples: &[Complex32]) {
        if samples.is_empty() {
            return;
        }
        let mut g = self.lock();
        let mut bytes = g.spare.take().unwrap_or_default();
        bytes.clear();
        self.format.encode(samples, &mut bytes);
        g.samples += samples.len() as u64;
        g.chunks.push_back(Chunk {
            first_sample,
            frequency_hz,
            bytes,
        });
        let bps = self.format.bytes_per_sample() as u64;
        while let Some(front) = g.chunks.front() {
            let n = front.bytes.len() as u64 / bps;
            if g.samples - n < self.capacity_samples {
                break;
            }
            g.samples -= n;
            if let Some(old) = g.chunks.pop_front() {
                g.spare = Some(old.bytes);
            }
        }
    }

    /// Stream range `[first, end)` currently held (with gaps if blocks were dropped upstream).
    pub fn span(&self) -> Option<(u64, u64)> {
        let g = self.lock();
        let bps = self.format.bytes_per_sample() as u64;
        let first = g.chunks.front()?.first_sample;
        let last = g.chunks.back()?;
        Some((first, last.first_sample + last.bytes.len() as u64 / bps))
    }

    /// The samples with stream indices in `[start, end)` that the ring still holds.
    pub fn extract(&self, start: u64, end: u64) -> Clip {
        let g = self.lock();
        let bps = self.format.bytes_per_sample();
        let mut runs: Vec<ClipRun> = Vec::new();
        for c in &g.chunks {
            let n = (c.bytes.len() / bps) as u64;
            let (lo, hi) = (c.first_sample.max(start), (c.first_sample + n).min(end));
            if lo >= hi {
                continue;
            }
            let a = ((lo - c.first_sample) as usize) * bps;
            let b = ((hi - c.first_sample) as usize) * bps;
            let piece = &c.bytes[a..b];
            if let Some(last) = runs.last_mut()
                && last.first_sample + (last.bytes.len() / bps) as u64 == lo
                && last.frequency_hz.to_bits() == c.frequency_hz.to_bits()
            {
                last.bytes.extend_from_slice(piece);
            } else {
                runs.push(ClipRun {
                    first_sample: lo,
                    frequency_hz: c.frequency_hz,
                    bytes: piece.to_vec(),
                });
            }
        }
        Clip {
            format: self.format,
            runs,
        }
    }
}

impl crate::pipeline::BlockTap for IqRing {
    fn push(&self, first_sample: u64, frequency_hz: f64, samples: &[Complex32]) {
        IqRing::push(self, first_sample, frequency_hz, samples);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(first: u64, n: usize) -> Vec<Complex32> {
        (0..n)
            .map(|i| Complex32::new(((first as usize + i) % 100) as f32 / 128.0, 0.0))
            .collect()
    }

    #[test]
    fn keeps_the_newest_capacity_and_extracts_exactly() {
        let r = IqRing::new(SampleFormat::Ci8, 250);
        for k in 0..10u64 {
            r.push(k * 100, 1e6, &block(k * 100, 100));
        }
        // 250 wanted: whole blocks of 100 → 300 held (700..1000).
        assert_eq!(r.span(), Some((700, 1000)));
        let c = r.extract(650, 950);
        assert_eq!(c.runs.len(), 1);
        assert_eq!(c.first_sample(), Some(700));
        assert_eq!(c.end_sample(), Some(950));
        let mut out = Vec::new();
        SampleFormat::Ci8.decode(&c.runs[0].bytes, &mut out);
        assert_eq!(out, block(700, 250));
        assert_eq!(c.clip_index(700), Some(0));
        assert_eq!(c.clip_index(949), Some(249));
        assert_eq!(c.clip_index(950), None);
    }

    #[test]
    fn gaps_and_retunes_start_new_runs() {
        let r = IqRing::new(SampleFormat::Cf32Le, 10_000);
        r.push(0, 1e6, &block(0, 100));
        r.push(100, 1e6, &block(100, 100));
        r.push(300, 1e6, &block(300, 100)); // 200..300 dropped upstream
        r.push(400, 2e6, &block(400, 100)); // retuned
        let c = r.extract(0, 1000);
        let starts: Vec<_> = c.runs.iter().map(|r| r.first_sample).collect();
        assert_eq!(starts, vec![0, 300, 400]);
        assert_eq!(c.len_samples(), 400);
        assert_eq!(c.clip_index(300), Some(200));
        assert!(r.extract(1000, 2000).runs.is_empty());
        let limited = IqRing::with_limits(SampleFormat::Ci16Le, 1e6, 10.0, 4_000);
        assert_eq!(limited.capacity_samples(), 1_000);
    }
}
