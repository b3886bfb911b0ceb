//! Key definitions (`key::KeyDefinition::parse`, TOML), the legality check, and the key run on
//! the bundled 342 municipalities with population only.
#![no_main]
#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use spreiding_core::key::{Indicators, KeyDefinition, legal_key_check, run_key};

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    let Ok(def) = KeyDefinition::parse("fuzz.toml", text) else { return };
    let _ = (def.indicators(), def.external_indicators(), def.label(), def.formula());
    let _ = legal_key_check(&def, None);
    let _ = run_key(&def, &common::NL.set, &Indicators::default(), 3_000, None);
});
