//! Offer files, CSV and JSON (`offer::parse_offers` tells them apart).
#![no_main]
#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use spreiding_core::offer::parse_offers;

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    let _ = parse_offers("fuzz.csv", text, &common::NL);
});
