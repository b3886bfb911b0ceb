//! Credits CSV (`distribution::parse_credit_locations`), then the durable-place count.
#![no_main]
#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use spreiding_core::distribution::{count_durable, parse_credit_locations};

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    if let Ok(locs) = parse_credit_locations("fuzz.csv", text, &common::NL) {
        let _ = count_durable(&locs);
    }
});
