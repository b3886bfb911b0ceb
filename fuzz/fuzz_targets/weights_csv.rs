//! The `id,weight` file of `spreiding apportion` (`weights_csv::parse_weights`, read with
//! csv-core from the bytes), its duplicate check, then the apportionment of its weights at
//! whichever width they were read (64-bit, 128-bit, exact).
#![no_main]

use libfuzzer_sys::fuzz_target;
use spreiding_core::weights_csv::{Parsed, check_unique, parse_weights};
use spreiding_core::{Method, UnitIds};

fuzz_target!(|data: &[u8]| {
    let Ok((ids, parsed)) = parse_weights("fuzz.csv", data) else { return };
    let rows = match &parsed {
        Parsed::Narrow(w) => w.len(),
        Parsed::Scaled(w) => w.len(),
        Parsed::Exact(w) => w.len(),
    };
    assert_eq!(ids.count(), rows, "one weight per id");
    for i in 0..ids.count() {
        assert!(!ids.id(i).is_empty(), "empty ids are refused");
    }
    if check_unique("fuzz.csv", &ids).is_err() {
        return;
    }
    let total = (data.len() % 500) as u64;
    for method in [Method::Hamilton, Method::Webster, Method::HuntingtonHill] {
        if let Ok(a) = parsed.clone().apportion(method, &ids, total) {
            assert_eq!(a.seats.iter().sum::<u64>(), total, "{method}: the places add up to the total");
        }
    }
});
