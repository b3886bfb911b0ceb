//! Shared by the targets: the bundled Dutch reference data, built once per process.
#![allow(dead_code)]

use std::sync::LazyLock;

use spreiding_core::Netherlands;

/// The 342 municipalities and 12 provinces compiled into the binary.
pub static NL: LazyLock<Netherlands> =
    LazyLock::new(|| spreiding_core::bundled::netherlands().expect("bundled reference data is valid"));

/// Files are read as UTF-8 text before they reach a parser; other bytes never get there.
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}
