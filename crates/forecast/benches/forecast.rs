//! Benchmarks of the Monte Carlo forecast (results in docs/PERFORMANCE.md, ## Forecast).
//! `cargo bench -p spreiding-forecast`

use chrono::NaiveDate;
use spreiding_forecast::scenario::bundled;

fn main() {
    divan::main();
}

/// 10,000 paths × 2 years daily, base scenario, all threads (the goal: < 1 s).
#[divan::bench(sample_count = 5)]
fn base_10000_paths_2_years() -> usize {
    let s = bundled("base").unwrap().unwrap();
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let f = spreiding_forecast::run(&s, start, 2, 10_000, 1, &|| {}).unwrap();
    divan::black_box(f.required_places.len())
}

/// One path × 2 years: the cost of the model itself.
#[divan::bench]
fn one_path_2_years() -> u64 {
    let s = bundled("base").unwrap().unwrap();
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let model = spreiding_forecast::Model::new(&s, start, 730).unwrap();
    let mut last = 0;
    spreiding_forecast::simulate_path(&model, 1, 0, |_, st, _| last = st.occupancy());
    divan::black_box(last)
}
