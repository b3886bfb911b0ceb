//! Placement at national scale on a synthetic instance: 40,000 households (~85,000 persons)
//! arriving, 400 synthetic locations; and a national year, 190,000 households (~400,000
//! persons) against 1,000 locations with 3 × the beds (≈ 790,000, so every household can be placed). Optimiser (classes + microlp) against the greedy baseline.

use spreiding_placement::{Strategy, place, place_greedy};

#[path = "../examples/common/instance.rs"]
mod instance;

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 3)]
fn optimise_40000_households_400_locations(b: divan::Bencher) {
    let inst = instance::synthetic(40_000, 400, 1.0);
    b.bench(|| {
        let plan = place(&inst, Strategy::Auto).unwrap();
        divan::black_box(plan.objective.total)
    });
}

#[divan::bench(sample_count = 3)]
fn greedy_40000_households_400_locations(b: divan::Bencher) {
    let inst = instance::synthetic(40_000, 400, 1.0);
    b.bench(|| divan::black_box(place_greedy(&inst).unwrap().objective.total));
}

#[divan::bench(sample_count = 2)]
fn optimise_190000_households_1000_locations(b: divan::Bencher) {
    let inst = instance::synthetic(190_000, 1_000, 3.0);
    b.bench(|| divan::black_box(place(&inst, Strategy::Auto).unwrap().objective.total));
}
