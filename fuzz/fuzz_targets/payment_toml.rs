//! The specific-payment table (`payment::PaymentTable::parse`, TOML).
#![no_main]
#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use spreiding_core::payment::PaymentTable;

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    let _ = PaymentTable::parse("fuzz.toml", text);
});
