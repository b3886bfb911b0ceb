//! Placement at national scale on a synthetic instance: 40,000 households (~100,000 persons)
//! arriving, 400 synthetic locations. Optimiser (classes + microlp) against the greedy baseline.

use spreiding_core::bundled;
use spreiding_core::quality::Framework;
use spreiding_placement::{Instance, Mode, Strategy, Weights, place, place_greedy, synthetic};

fn main() {
    divan::main();
}

fn instance(households: usize) -> Instance {
    let nl = bundled::netherlands().unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let mut locations = synthetic::locations(&nl, 400, 1, date);
    let households = synthetic::households(&mut locations, households, 1.0, 1);
    Instance {
        locations,
        households,
        framework: Framework::bundled(),
        date,
        mode: Mode::Arrivals,
        weights: Weights::default(),
    }
}

#[divan::bench(sample_count = 3)]
fn optimise_40000_households_400_locations(b: divan::Bencher) {
    let inst = instance(40_000);
    b.bench(|| {
        let plan = place(&inst, Strategy::Auto).unwrap();
        divan::black_box(plan.objective.total)
    });
}

#[divan::bench(sample_count = 3)]
fn greedy_40000_households_400_locations(b: divan::Bencher) {
    let inst = instance(40_000);
    b.bench(|| divan::black_box(place_greedy(&inst).unwrap().objective.total));
}
