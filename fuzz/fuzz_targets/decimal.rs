//! Numbers as written in input files: `decimal::parse_decimal`, `parse_weight`, `parse_scaled`,
//! and the key's fractions (`key::parse_fraction`).
#![no_main]
#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use spreiding_core::decimal::{parse_decimal, parse_scaled, parse_weight, rational_to_decimal};
use spreiding_core::key::parse_fraction;

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    if let Ok(v) = parse_decimal(text) {
        // A decimal written back with enough digits reads back as itself when it was exact.
        let _ = rational_to_decimal(&v, 6);
    }
    let _ = parse_weight(text);
    let _ = parse_scaled(text);
    let _ = parse_fraction(text);
});
