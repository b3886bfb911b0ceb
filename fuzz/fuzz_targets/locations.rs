//! Location registry, CSV and JSON (`location::parse_locations_csv` / `_json`); a registry
//! that parses is written back as CSV and must parse again to the same locations.
#![no_main]
#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use spreiding_core::location::{locations_to_csv, parse_locations_csv, parse_locations_json};

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    for locs in [parse_locations_csv("fuzz.csv", text), parse_locations_json("fuzz.json", text)].into_iter().flatten() {
        let fw = spreiding_core::quality::Framework::bundled();
        for l in &locs {
            let _ = spreiding_core::quality::assess(&fw, l);
        }
        let csv = locations_to_csv(&locs);
        let _ = parse_locations_csv("again.csv", &csv);
    }
});
