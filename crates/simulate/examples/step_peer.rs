//! Benchmark peer (docs/PERFORMANCE.md, ## Simulator): the simulator's aggregate daily step —
//! allocating persons of four groups to five kinds of places and costing every place — for
//! P paths × D days of synthetic inputs, with the crate's own `alloc::allocate`. The same
//! computation in numpy is `tools/simulate_step_peer.py`; both print the same checksum.
//!
//! `cargo run --release -p spreiding-simulate --example step_peer -- 1000 3653`

use spreiding_simulate::alloc::{CHILD, Usable, allocate};

fn main() {
    let mut args = std::env::args().skip(1);
    let paths: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let days: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3653);
    // Cents per occupied / empty place-day: durable, temporary, AMV, nood, crisis.
    let occ = [8300u64, 9000, 15000, 19000, 15000];
    let empty = [4700u64, 4700, 4700, 9500, 7700];
    let (mut emergency, mut children, mut cost) = (0u64, 0u64, 0u128);
    for p in 0..paths {
        for d in 0..days {
            let persons = [
                (40_000 + (p * 7 + d * 13) % 5_000) as u32,
                (5_000 + (p * 3 + d) % 900) as u32,
                (12_000 + (p * 11 + d * 5) % 3_000) as u32,
                (6_000 + (p + d * 3) % 1_500) as u32,
            ];
            let u = Usable {
                durable: (45_000 + (p * 17 + d) % 4_000) as u32,
                temporary: 5_000,
                amv_small: (2_000 + (p + d) % 300) as u32,
                nood: (10_000 + (p * 13 + d * 7) % 6_000) as u32,
                crisis: ((p * 5 + d * 11) % 4_000) as u32,
            };
            let a = allocate(persons, u, 0.0);
            emergency += u64::from(a.nood() + a.crisis());
            children += u64::from(a.nood_by_group[CHILD] + a.crisis_by_group[CHILD]);
            let res = [a.durable, a.temporary, a.amv_small, a.nood(), a.crisis()];
            let places = [u.durable, u.temporary, u.amv_small, u.nood, u.crisis];
            for k in 0..5 {
                cost += u128::from(res[k]) * u128::from(occ[k]) + u128::from(places[k] - res[k]) * u128::from(empty[k]);
            }
        }
    }
    println!("{emergency} {children} {cost}");
}
