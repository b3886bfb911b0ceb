//! Demand scenarios (`forecast::Scenario::parse`, TOML; `simulate::bundled::parse_scenario`
//! wraps the same parser).
#![no_main]
#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    let _ = spreiding_simulate::bundled::parse_scenario("fuzz.toml", text);
});
