//! Print size, timing and objective of the national-scale SYNTHETIC instance; with a second
//! argument, also write its class model as JSON for tools/placement_peer.py.
//! `cargo run --release -p spreiding-placement --example scale_probe 40000 model.json`
use spreiding_core::bundled;
use spreiding_core::quality::Framework;
use spreiding_placement::{Instance, Mode, Strategy, Weights, place, place_greedy, synthetic};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(40_000);
    let nl = bundled::netherlands().unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let mut locations = synthetic::locations(&nl, 400, 1, date);
    let households = synthetic::households(&mut locations, n, 1.0, 1);
    let inst = Instance {
        locations,
        households,
        framework: Framework::bundled(),
        date,
        mode: Mode::Arrivals,
        weights: Weights::default(),
    };
    if let Some(path) = std::env::args().nth(2) {
        let m = spreiding_placement::export_model(&inst).unwrap();
        std::fs::write(&path, serde_json::to_string(&m).unwrap()).unwrap();
    }
    let beds: u64 = inst.locations.iter().map(|l| l.beds as u64).sum();
    let emerg: u64 = inst.locations.iter().filter(|l| l.kind.is_emergency()).map(|l| l.beds as u64).sum();
    println!("beds={beds} emergency={emerg}");
    let t = std::time::Instant::now();
    let plan = place(&inst, Strategy::Auto).unwrap();
    let el = t.elapsed();
    println!(
        "{:?} placed={} unplaced={} obj={:.1} lb={:?} gap={:.6} time={:?}",
        plan.stats,
        plan.placements.len(),
        plan.unplaced.len(),
        plan.objective.total,
        plan.lower_bound,
        plan.gap(),
        el
    );
    let mut by = std::collections::BTreeMap::new();
    for u in &plan.unplaced {
        *by.entry(format!("{:?}", u.binding)).or_insert(0u64) += u.persons as u64;
    }
    println!("unplaced persons by binding: {by:?}");
    if let Some(u) = plan.unplaced.first() {
        println!("example: {}", u.reason);
    }
    if let Some(p) = plan.placements.first() {
        println!("example: {}", p.reason);
    }
    let t = std::time::Instant::now();
    let g = place_greedy(&inst).unwrap();
    println!("greedy obj={:.1} unplaced={} time={:?}", g.objective.total, g.unplaced.len(), t.elapsed());
}
