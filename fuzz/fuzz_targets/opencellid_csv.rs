//! OpenCelliD CSV import: any text, with and without the MCC and bounding-box filters; a baseline
//! that imported rows must save and load back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use towerwatch::cells::baseline::Baseline;
use towerwatch::cells::opencellid::{BBox, import_reader};

fuzz_target!(|data: &[u8]| {
    let (filters, body) = data.split_at(data.len().min(1));
    let f = filters.first().copied().unwrap_or(0);
    let mcc = (f & 1 != 0).then_some(262);
    let bbox = if f & 2 != 0 {
        BBox::parse("47.0,5.0,55.0,15.0")
    } else {
        None
    };
    let mut b = Baseline::default();
    let Ok(rep) = import_reader(body, Path::new("fuzz.csv"), mcc, bbox, &mut b) else {
        return;
    };
    assert!(rep.imported + rep.filtered + rep.malformed <= rep.rows);
    if let Ok(text) = b.to_toml() {
        let back = Baseline::parse(&text).map_err(|e| format!("{e}\n{text}"));
        assert!(back.is_ok(), "saved baseline does not load: {back:?}");
    }
});
