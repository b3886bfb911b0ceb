//! Region CSV (`RegionSet::parse_csv`) and the province file (`ProvinceFile::parse`), then the
//! cross-check that turns them into a `Netherlands` (`Netherlands::from_sets`).
#![no_main]
#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use spreiding_core::region::{Netherlands, ProvinceFile, RegionSet};

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    let provinces = ProvinceFile::parse("fuzz.csv", text).ok();
    if let Ok(set) = RegionSet::parse_csv("fuzz.csv", text) {
        let _ = set.total_population();
        for r in &set.regions {
            let _ = set.get(r.code.as_str());
        }
        if let Ok(nl) = Netherlands::from_sets(set.clone(), provinces.as_ref()) {
            let _ = nl.total_population();
        }
        let _ = Netherlands::from_sets(set, None).map(|nl| nl.total_population());
    }
});
