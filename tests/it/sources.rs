//! Every input format carries a known tone to the right place in the spectrum, at the right level.

use num_complex::Complex32;
use std::path::Path;
use towerwatch::source::sigmf::{SigmfWriter, WriterMeta};
use towerwatch::source::wav::{Auxi, WavEncoding, write_wav};
use towerwatch::source::{FileOptions, SampleFormat, SampleSource, open_file};
use towerwatch_dsp::signal::Tone;
use towerwatch_dsp::spectrum::{Welch, WelchConfig};

const RATE: f64 = 2.048e6;
const CENTRE: f64 = 941.0e6;
const OFFSET: f64 = 300e3;
const N: usize = 1 << 16;

fn tone(amplitude: f32) -> Vec<Complex32> {
    let mut x = vec![Complex32::new(0.0, 0.0); N];
    Tone::new(OFFSET, RATE, amplitude, 0.2).add_to(&mut x);
    x
}

/// Peak (absolute Hz, dBFS) of a source's averaged spectrum, and the bin width.
fn peak_of(mut src: Box<dyn SampleSource>) -> (f64, f64, f64) {
    let info = src.info().clone();
    let mut w = Welch::new(WelchConfig::default()).unwrap();
    let mut buf = vec![Complex32::new(0.0, 0.0); 10_000];
    let mut total = 0;
    loop {
        let n = src.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n;
        w.process(&buf[..n]);
    }
    assert_eq!(total, N, "{}: sample count", info.description);
    let psd = w.psd(info.sample_rate_sps).unwrap();
    let (off, p) = psd.peak().unwrap();
    (src.frequency_hz() + off, p, psd.bin_width_hz())
}

fn check(path: &Path, opts: &FileOptions, full_scale: bool) {
    let src = open_file(path, opts).unwrap();
    assert_eq!(src.info().sample_rate_sps, RATE, "{}", path.display());
    let (f, p, bin) = peak_of(src);
    assert!(
        (f - (CENTRE + OFFSET)).abs() <= bin,
        "{}: peak at {f} Hz, expected {} ± {bin}",
        path.display(),
        CENTRE + OFFSET
    );
    if full_scale {
        assert!(
            p.abs() <= 0.5,
            "{}: full-scale tone reads {p:.2} dBFS",
            path.display()
        );
    }
}

#[test]
fn raw_formats_full_scale_tone() {
    let dir = tempfile::tempdir().unwrap();
    let x = tone(1.0);
    for (name, fmt) in [
        ("t_941.0M_2048k.cu8", SampleFormat::Cu8),
        ("t_941.0M_2048k.cs8", SampleFormat::Ci8),
        ("t_941.0M_2048k.cs16", SampleFormat::Ci16Le),
        ("t_941.0M_2048k.cf32", SampleFormat::Cf32Le),
    ] {
        let mut bytes = Vec::new();
        fmt.encode(&x, &mut bytes);
        let p = dir.path().join(name);
        std::fs::write(&p, &bytes).unwrap();
        // Rate and frequency from the name…
        check(&p, &FileOptions::default(), true);
        // …and from flags, with a neutral name and an explicit format.
        let q = dir.path().join(format!("plain.{}", fmt.sigmf_name()));
        std::fs::write(&q, &bytes).unwrap();
        let opts = FileOptions {
            format: Some(fmt),
            rate_sps: Some(RATE),
            freq_hz: Some(CENTRE),
            check_hash: false,
        };
        check(&q, &opts, true);
    }
}

#[test]
fn wav_formats_with_and_without_auxi() {
    let dir = tempfile::tempdir().unwrap();
    let x = tone(1.0);
    let auxi = Auxi {
        start: [2026, 11, 27, 20, 0, 0, 0],
        center_freq_hz: CENTRE as u32,
    };
    for (enc, full_scale_db) in [(WavEncoding::Int16, true), (WavEncoding::Float32, true)] {
        for with_auxi in [true, false] {
            let p = dir.path().join(format!("t_{enc:?}_{with_auxi}.wav"));
            write_wav(&p, &x, RATE as u32, enc, with_auxi.then_some(&auxi)).unwrap();
            let opts = FileOptions {
                freq_hz: (!with_auxi).then_some(CENTRE),
                ..FileOptions::default()
            };
            let src = open_file(&p, &opts).unwrap();
            if with_auxi {
                assert_eq!(src.info().center_freq_hz, CENTRE);
                assert_eq!(
                    src.info().start_time.as_deref(),
                    Some("2026-11-27T20:00:00.000Z")
                );
            } else {
                assert_eq!(src.info().start_time, None);
            }
            check(&p, &opts, full_scale_db);
        }
    }
    // 8-bit WAV too.
    let p = dir.path().join("t8.wav");
    write_wav(&p, &x, RATE as u32, WavEncoding::Int8, Some(&auxi)).unwrap();
    check(&p, &FileOptions::default(), true);
}

#[test]
fn sigmf_every_datatype_round_trips_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let x = tone(1.0);
    for fmt in [
        SampleFormat::Cf32Le,
        SampleFormat::Ci16Le,
        SampleFormat::Ci8,
        SampleFormat::Cu8,
    ] {
        let base = dir.path().join(format!("rec-{fmt}"));
        let mut meta = WriterMeta::new(fmt, RATE, CENTRE);
        meta.datetime = Some("2026-11-27T20:00:00Z".into());
        meta.hw = Some("test".into());
        let mut w = SigmfWriter::create(&base, meta).unwrap();
        for chunk in x.chunks(5000) {
            w.write(chunk).unwrap();
        }
        let hash = w.finish().unwrap();
        let p = Path::new(&format!("{}.sigmf-meta", base.display())).to_path_buf();
        let opts = FileOptions {
            check_hash: true,
            ..FileOptions::default()
        };
        check(&p, &opts, true);
        let m = towerwatch::source::sigmf::SigmfMeta::load(&p).unwrap();
        assert_eq!(m.sha512.as_deref(), Some(hash.as_str()));
        assert_eq!(m.datetime.as_deref(), Some("2026-11-27T20:00:00Z"));
        assert_eq!(m.hw.as_deref(), Some("test"));
    }
}

#[test]
fn sigmf_segments_keep_their_frequency_and_reads_do_not_cross_them() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("multi");
    let mut w =
        SigmfWriter::create(&base, WriterMeta::new(SampleFormat::Cf32Le, RATE, 941e6)).unwrap();
    w.write(&tone(0.5)[..1000]).unwrap();
    w.new_segment(942e6);
    w.write(&tone(0.5)[..1500]).unwrap();
    w.finish().unwrap();
    let mut src = open_file(
        &dir.path().join("multi.sigmf-data"),
        &FileOptions::default(),
    )
    .unwrap();
    assert_eq!(src.info().segments.len(), 2);
    let mut buf = vec![Complex32::new(0.0, 0.0); 4096];
    assert_eq!(src.read(&mut buf).unwrap(), 1000);
    assert_eq!(src.frequency_hz(), 941e6);
    assert_eq!(src.read(&mut buf).unwrap(), 1500);
    assert_eq!(src.frequency_hz(), 942e6);
    assert_eq!(src.read(&mut buf).unwrap(), 0);
}

/// After a write error the writer can be in any state: part of a sample in the file, samples in
/// its buffer that never reached the disk, a segment and an annotation past the end. `salvage`
/// must leave a pair whose metadata, hash and length describe exactly the whole samples on disk.
#[test]
fn salvage_after_a_write_error_cuts_partial_samples_and_hashes_what_is_on_disk() {
    use std::io::Write as _;
    use towerwatch::source::sigmf::{Annotation, HashCheck, sha512_file, verify};
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("full");
    let mut w =
        SigmfWriter::create(&base, WriterMeta::new(SampleFormat::Cf32Le, RATE, CENTRE)).unwrap();
    w.write(&tone(0.5)[..1000]).unwrap();
    w.flush().unwrap();
    w.add_annotation(Annotation {
        sample_start: 500,
        sample_count: Some(10_000),
        label: Some("inside".into()),
        ..Annotation::default()
    });
    // As the disk did with the write that failed: 3 bytes of the next sample reached the file.
    let data = dir.path().join("full.sigmf-data");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&data)
        .unwrap()
        .write_all(&[1, 2, 3])
        .unwrap();
    // Buffered but never written, and a retune after the last sample on disk.
    w.write(&tone(0.5)[..100]).unwrap();
    w.new_segment(942e6);
    w.add_annotation(Annotation {
        sample_start: 1100,
        label: Some("past the end".into()),
        ..Annotation::default()
    });
    let s = w.salvage("disk full (test)").unwrap();
    assert_eq!(s.samples, 1000);
    assert_eq!(s.cut_bytes, 3);
    assert_eq!(s.unwritten_bytes, 800);
    assert_eq!(std::fs::metadata(&data).unwrap().len(), 8000);
    let meta = dir.path().join("full.sigmf-meta");
    match verify(&meta).unwrap() {
        HashCheck::Match(h) => assert_eq!(h, s.sha512),
        other => panic!("{other:?}"),
    }
    assert_eq!(sha512_file(&data).unwrap(), s.sha512);
    let m = towerwatch::source::sigmf::SigmfMeta::load(&meta).unwrap();
    assert_eq!(m.segments.len(), 1, "the retune after the end is gone");
    let labels: Vec<_> = m.annotations.iter().map(|a| a.label.clone()).collect();
    assert_eq!(
        labels,
        [Some("inside".to_string()), Some("write error".to_string())]
    );
    assert_eq!(
        m.annotations[0].sample_count,
        Some(500),
        "clamped to the end"
    );
    assert_eq!(m.annotations[1].sample_start, 1000);
    assert!(
        m.annotations[1]
            .comment
            .as_deref()
            .unwrap()
            .contains("disk full (test)")
    );
    let src = open_file(&meta, &FileOptions::default()).unwrap();
    assert_eq!(src.info().total_samples, Some(1000));
}

#[test]
fn interrupted_recording_is_still_readable() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("crash");
    let mut w =
        SigmfWriter::create(&base, WriterMeta::new(SampleFormat::Ci16Le, RATE, CENTRE)).unwrap();
    w.write(&tone(0.5)).unwrap();
    w.checkpoint().unwrap();
    std::mem::forget(w); // as if the process died here: no finish()
    let p = dir.path().join("crash.sigmf-meta");
    let src = open_file(&p, &FileOptions::default()).unwrap();
    assert_eq!(src.info().total_samples, Some(N as u64));
    assert!(matches!(
        towerwatch::source::sigmf::verify(&p).unwrap(),
        towerwatch::source::sigmf::HashCheck::NotRecorded(_)
    ));
}

#[test]
fn synthetic_source_spec() {
    let src = open_file(
        Path::new("synth:rate=2.048e6,freq=941e6,tone=300e3@0,seconds=0.032"),
        &FileOptions::default(),
    )
    .unwrap();
    let (f, p, bin) = peak_of(src);
    assert!((f - 941.3e6).abs() <= bin);
    assert!(p.abs() < 0.1);
}
