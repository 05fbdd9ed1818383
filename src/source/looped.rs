//! A source that starts its input again when it ends (`replay --loop`): soak runs of any length
//! from one recording or scene. Sample indices keep counting across loops, so downstream stages
//! see one long stream (with a discontinuity where the recording starts over).

use super::{SampleSource, SourceError, SourceInfo, SourceStats};
use num_complex::Complex32;

/// Opens a fresh copy of the input.
pub type Reopen = Box<dyn FnMut() -> Result<Box<dyn SampleSource>, SourceError> + Send>;

/// The looping source.
pub struct LoopSource {
    info: SourceInfo,
    current: Box<dyn SampleSource>,
    reopen: Reopen,
    loops: u64,
}

impl LoopSource {
    /// Loop `first`; `reopen` opens the same input again each time it ends.
    pub fn new(first: Box<dyn SampleSource>, reopen: Reopen) -> LoopSource {
        let mut info = first.info().clone();
        info.total_samples = None;
        info.description = format!("{} (looped)", info.description);
        LoopSource {
            info,
            current: first,
            reopen,
            loops: 0,
        }
    }

    /// How many times the input has been started again.
    pub fn loops(&self) -> u64 {
        self.loops
    }
}

impl SampleSource for LoopSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read(&mut self, buf: &mut [Complex32]) -> Result<usize, SourceError> {
        let n = self.current.read(buf)?;
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        self.current = (self.reopen)()?;
        self.loops += 1;
        // An input that is empty from the start ends the loop instead of spinning.
        self.current.read(buf)
    }

    fn frequency_hz(&self) -> f64 {
        self.current.frequency_hz()
    }

    fn stats(&self) -> SourceStats {
        self.current.stats()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::source::synthetic::SynthSource;

    #[test]
    fn loops_a_short_source_and_counts_samples_across_loops() {
        let spec = "synth:rate=1e5,freq=941e6,tone=1e4@-6,seconds=0.01";
        let first = Box::new(SynthSource::from_spec(spec).unwrap());
        let mut src = LoopSource::new(
            first,
            Box::new(move || Ok(Box::new(SynthSource::from_spec(spec)?) as Box<dyn SampleSource>)),
        );
        assert_eq!(src.info().total_samples, None);
        let mut buf = vec![Complex32::new(0.0, 0.0); 300];
        let mut total = 0;
        for _ in 0..20 {
            let n = src.read(&mut buf).unwrap();
            assert!(n > 0, "a looped source never ends");
            total += n;
        }
        // 1000 samples per pass; reads stop at the end of a pass, so 20 reads give ≥ 5000.
        assert!(total >= 5_000, "{total}");
        assert!(
            src.loops() >= 4,
            "{} loops for {total} samples",
            src.loops()
        );
    }
}
