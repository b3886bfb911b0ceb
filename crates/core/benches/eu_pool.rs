//! The EU solidarity pool key at the EU's real size: 98,000 SYNTHETIC local units in 27
//! synthetic member states (`spreiding_core::synthetic`), the AMMR reference key (50 %
//! population, 50 % GDP, Hamilton), 30,000 relocations. Goal (issue 14): key + apportionment
//! in under 100 ms in-process; docs/PERFORMANCE.md has the figures.

use spreiding_core::bundled;
use spreiding_core::key::run_key;
use spreiding_core::synthetic::eu_local_units;

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 20)]
fn key_and_apportionment_98000_units(b: divan::Bencher) {
    let pool = eu_local_units(98_000, 27, 1);
    let ind = pool.indicators();
    let def = bundled::key("eu-ammr-2024").unwrap().unwrap();
    b.bench(|| divan::black_box(run_key(&def, &pool.set, &ind, 30_000, None).unwrap().seats()[0]));
}

#[divan::bench(sample_count = 20)]
fn explain_one_unit(b: divan::Bencher) {
    let pool = eu_local_units(98_000, 27, 1);
    let ind = pool.indicators();
    let def = bundled::key("eu-ammr-2024").unwrap().unwrap();
    let r = run_key(&def, &pool.set, &ind, 30_000, None).unwrap();
    b.bench(|| divan::black_box(r.explain(&pool.set, 54_321).to_text()));
}
