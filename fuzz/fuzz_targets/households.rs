//! Placement households, CSV and JSON (`placement::text::parse_households_csv` / `_json`); a
//! set that parses is written back as CSV and must read back as itself.
#![no_main]
#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use spreiding_placement::text::{households_to_csv, parse_households_csv, parse_households_json};

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    for hs in [parse_households_csv("fuzz.csv", text), parse_households_json("fuzz.json", text)].into_iter().flatten() {
        let csv = households_to_csv(&hs);
        let _ = parse_households_csv("again.csv", &csv);
    }
});
