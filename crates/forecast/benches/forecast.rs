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

/// Cost of the samplers, 1,000 draws each (per-draw cost = time / 1,000).
mod samplers {
    use spreiding_forecast::sample::{PathRng, Prob};

    #[divan::bench]
    fn binomial_normal_branch_1000() -> u64 {
        let mut r = PathRng::new(1, 1);
        let p = Prob::new(1.0 / 30.0);
        (0..1000).map(|_| u64::from(r.binomial_p(divan::black_box(12_000), &p))).sum()
    }

    #[divan::bench]
    fn binomial_exact_branch_1000() -> u64 {
        let mut r = PathRng::new(1, 1);
        let p = Prob::new(0.25);
        (0..1000).map(|_| u64::from(r.binomial_p(divan::black_box(44), &p))).sum()
    }

    #[divan::bench]
    fn poisson_85_1000() -> u64 {
        let mut r = PathRng::new(1, 1);
        (0..1000).map(|_| u64::from(r.poisson(divan::black_box(85.0)))).sum()
    }

    #[divan::bench]
    fn normal_1000() -> f64 {
        let mut r = PathRng::new(1, 1);
        (0..1000).map(|_| r.normal()).sum()
    }
}
