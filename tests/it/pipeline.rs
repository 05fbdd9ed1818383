//! Pipeline contracts: file sources never drop (back-pressure), live sources drop whole blocks
//! when the consumer falls behind and count them; the stop flag ends a stream cleanly.

use num_complex::Complex32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use towerwatch::pipeline::{PipelineConfig, spawn_source};
use towerwatch::source::{SampleSource, Segment, SourceError, SourceInfo};

/// A source that yields `blocks` blocks of a counter ramp, as a live or a file source.
struct Counter {
    info: SourceInfo,
    next: u64,
    end: u64,
}

impl Counter {
    fn new(live: bool, samples: u64) -> Self {
        Counter {
            info: SourceInfo {
                description: "counter".into(),
                sample_rate_sps: 1e6,
                center_freq_hz: 941e6,
                format: "cf32_le".into(),
                start_time: None,
                hardware: None,
                total_samples: Some(samples),
                segments: vec![Segment {
                    sample_start: 0,
                    frequency_hz: 941e6,
                }],
                live,
            },
            next: 0,
            end: samples,
        }
    }
}

impl SampleSource for Counter {
    fn info(&self) -> &SourceInfo {
        &self.info
    }
    fn read(&mut self, buf: &mut [Complex32]) -> Result<usize, SourceError> {
        let n = (buf.len() as u64).min(self.end - self.next) as usize;
        for (i, s) in buf[..n].iter_mut().enumerate() {
            *s = Complex32::new((self.next + i as u64) as f32, 0.0);
        }
        self.next += n as u64;
        Ok(n)
    }
}

fn cfg() -> PipelineConfig {
    PipelineConfig {
        block_len: 1000,
        queue_blocks: 4,
        ..PipelineConfig::default()
    }
}

#[test]
fn file_source_applies_back_pressure_and_never_drops() {
    let h = spawn_source(
        Box::new(Counter::new(false, 100_000)),
        &cfg(),
        Arc::new(AtomicBool::new(false)),
    );
    let mut expected = 0u64;
    for block in h.blocks.iter() {
        std::thread::sleep(Duration::from_micros(300)); // a slow consumer
        assert_eq!(block.first_sample, expected);
        assert_eq!(block.samples[0].re, expected as f32);
        expected += block.samples.len() as u64;
        let _ = h.recycle.try_send(block.samples);
    }
    assert_eq!(expected, 100_000);
    let r = h.finish().unwrap();
    assert_eq!((r.samples_read, r.blocks_dropped), (100_000, 0));
}

#[test]
fn live_source_drops_whole_blocks_and_counts_them() {
    // Paced like a receiver: one 1000-sample block per millisecond at 1 MS/s.
    let paced = PipelineConfig {
        realtime: true,
        ..cfg()
    };
    let h = spawn_source(
        Box::new(Counter::new(true, 200_000)),
        &paced,
        Arc::new(AtomicBool::new(false)),
    );
    let mut received = 0u64;
    let mut gaps = 0;
    let mut next = 0u64;
    for block in h.blocks.iter() {
        std::thread::sleep(Duration::from_millis(2));
        if block.first_sample != next {
            gaps += 1;
            // Dropped samples are whole blocks: time stays true across the gap.
            assert_eq!((block.first_sample - next) % 1000, 0);
        }
        assert_eq!(block.samples[0].re, block.first_sample as f32);
        next = block.first_sample + block.samples.len() as u64;
        received += block.samples.len() as u64;
    }
    let r = h.finish().unwrap();
    assert!(
        r.blocks_dropped > 0,
        "a 2 ms/block consumer must fall behind"
    );
    assert!(gaps > 0);
    assert_eq!(received + r.samples_dropped, 200_000);
    assert_eq!(r.samples_dropped, r.blocks_dropped * 1000);
}

#[test]
fn stop_flag_ends_the_stream_and_reports_it() {
    let stop = Arc::new(AtomicBool::new(false));
    let h = spawn_source(
        Box::new(Counter::new(false, u64::MAX / 2)),
        &cfg(),
        stop.clone(),
    );
    let mut n = 0;
    for _ in h.blocks.iter() {
        n += 1;
        if n == 10 {
            stop.store(true, Ordering::SeqCst);
        }
    }
    let r = h.finish().unwrap();
    assert!(r.stopped);
    assert!((10..20).contains(&n), "{n} blocks");
}
