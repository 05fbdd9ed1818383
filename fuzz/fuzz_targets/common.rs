//! Helpers shared by the fuzz targets that go through the real file-opening code.

use num_complex::Complex32;
use std::path::PathBuf;
use towerwatch::source::SampleSource;

/// A scratch file path unique to this fuzzing process, on tmpfs when there is one.
pub fn scratch(name: &str) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("towerwatch-fuzz-{}", std::process::id()))
        .join(name)
}

/// Write `bytes` to the scratch file `name` (creating its folder) and return its path.
pub fn write_scratch(name: &str, bytes: &[u8]) -> Option<PathBuf> {
    let p = scratch(name);
    std::fs::create_dir_all(p.parent()?).ok()?;
    std::fs::write(&p, bytes).ok()?;
    Some(p)
}

/// Read a source to its end (at most `limit` samples) and check what every read promises.
pub fn drain(src: &mut dyn SampleSource, limit: usize) {
    let total = src.info().total_samples;
    let mut buf = vec![Complex32::new(0.0, 0.0); 4096];
    let mut n_read = 0usize;
    while n_read < limit {
        match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                assert!(n <= buf.len(), "read returned more than the buffer holds");
                n_read += n;
                let _ = src.frequency_hz();
            }
            Err(_) => return,
        }
    }
    if n_read < limit
        && let Some(t) = total
    {
        assert_eq!(n_read as u64, t, "samples read differ from total_samples");
    }
}
