//! The long population file (`reference::parse_population_long`: gm_code,peildatum,inwoners),
//! then each vintage on the bundled municipality set (`reference::netherlands_on`).
#![no_main]
#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use spreiding_core::reference::{netherlands_on, parse_population_long};

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    let Ok(vintages) = parse_population_long("fuzz.csv", text) else { return };
    for v in &vintages {
        let _ = v.total();
        if let Ok(nl) = netherlands_on(&common::NL, v) {
            let _ = nl.total_population();
        }
    }
});
