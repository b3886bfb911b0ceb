//! Indicator CSV (`Indicators::add_csv`, e.g. SES-WOA), then the key that reads it
//! (`run_key` with the Spreidingswet key on the bundled 342 municipalities).
#![no_main]
#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use spreiding_core::key::{Indicators, run_key};

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    let mut ind = Indicators::default();
    if ind.add_csv("fuzz.csv", text).is_ok() {
        // The same columns a second time must be refused, not merged.
        assert!(ind.add_csv("again.csv", text).is_err());
        let key = spreiding_core::bundled::key(spreiding_core::bundled::SPREIDINGSWET_KEY).unwrap().unwrap();
        let _ = run_key(&key, &common::NL.set, &ind, 3_000, None);
    }
});
