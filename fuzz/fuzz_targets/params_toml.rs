//! Simulation parameter sets (`simulate::ParamSet::parse`, TOML).
#![no_main]
#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    let _ = spreiding_simulate::ParamSet::parse("fuzz.toml", text);
});
