//! Benchmarks of the policy simulator (results in docs/PERFORMANCE.md, ## Simulator).
//! `cargo bench -p spreiding-simulate`

use chrono::NaiveDate;
use spreiding_simulate::engine;
use spreiding_simulate::montecarlo::{World, initial_projection};
use spreiding_simulate::{bundled, run};

fn main() {
    divan::main();
}

fn world(years: u32) -> (World, spreiding_simulate::ParamSet) {
    let params = bundled::parameters().unwrap();
    let s = bundled::scenario("base").unwrap().unwrap();
    let w = World::new(&s, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), years, &params).unwrap();
    (w, params)
}

/// One 10-year daily national path of each policy (the goal: < 50 ms).
#[divan::bench(args = ["law", "voluntary"])]
fn one_path_10_years(bencher: divan::Bencher, policy: &str) {
    let (w, params) = world(10);
    let pol = bundled::policy(policy).unwrap().unwrap();
    let setup = w.setup(&params, &pol, initial_projection(&params.values())).unwrap();
    let mut path = 0u64;
    bencher.bench_local(|| {
        path += 1;
        divan::black_box(engine::simulate(&setup, 1, path, false, None, None).scalars[0])
    });
}

/// The aggregate daily step alone (allocation of persons to places), for the numpy peer.
#[divan::bench]
fn allocate_3653_days(bencher: divan::Bencher) {
    use spreiding_simulate::alloc::{Usable, allocate};
    let days: Vec<([u32; 4], Usable)> = (0..3653u32)
        .map(|d| {
            let p = [40_000 + d % 997, 5_000 + d % 89, 12_000 + d % 313, 6_000 + d % 41];
            let u = Usable {
                durable: 45_000 + d % 500,
                temporary: 5_000,
                amv_small: 2_000 + d % 17,
                nood: 10_000 + d % 2_000,
                crisis: d % 3_000,
            };
            (p, u)
        })
        .collect();
    bencher.bench_local(|| {
        let mut acc = 0u64;
        for (p, u) in &days {
            acc += u64::from(allocate(*p, *u, 0.0).nood());
        }
        divan::black_box(acc)
    });
}

/// 100 paths × law and voluntary × 10 years with the warm start, all threads.
#[divan::bench(sample_count = 3)]
fn hundred_paths_two_policies_10_years() -> usize {
    let req = run::Request {
        params: bundled::parameters().unwrap(),
        policies: vec![bundled::policy("law").unwrap().unwrap(), bundled::policy("voluntary").unwrap().unwrap()],
        history: bundled::policy("history").unwrap().unwrap(),
        scenario: bundled::scenario("base").unwrap().unwrap(),
        scenario_name: "bundled:base".into(),
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        years: 10,
        runs: 100,
        seed: 1,
        sensitivity_runs: 0,
        calibration_runs: 0,
        warm_start: true,
    };
    divan::black_box(run::run(&req, &|_| {}).unwrap().results.len())
}
