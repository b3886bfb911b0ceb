//! Placement weights (`placement::text::parse_weights`, TOML).
#![no_main]
#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use spreiding_placement::text::parse_weights;

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    let _ = parse_weights("fuzz.toml", text);
});
