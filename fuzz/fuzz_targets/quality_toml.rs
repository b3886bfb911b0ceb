//! The quality framework (`quality::Framework::parse`, TOML), then an assessment with it.
#![no_main]
#[path = "common.rs"]
mod common;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use spreiding_core::location::{Location, parse_locations_csv};
use spreiding_core::quality::{Framework, assess};

static LOCS: LazyLock<Vec<Location>> = LazyLock::new(|| {
    let text = include_str!("registry.csv");
    parse_locations_csv("registry.csv", text).expect("seed registry parses")
});

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    let Ok(fw) = Framework::parse("fuzz.toml", text) else { return };
    for l in LOCS.iter() {
        let _ = assess(&fw, l);
    }
});
