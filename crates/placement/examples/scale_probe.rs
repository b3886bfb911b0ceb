//! Print size, timing, memory and objective of a national-scale SYNTHETIC instance; with a
//! third argument, also write its class model as JSON for tools/placement_peer.py.
//! `cargo run --release -p spreiding-placement --example scale_probe HOUSEHOLDS LOCATIONS BED_FACTOR [model.json]`
//! (defaults 40,000 households, 400 locations, bed factor 1).
use spreiding_placement::{Strategy, place, place_greedy};

#[path = "common/instance.rs"]
mod instance;

fn main() {
    let mut args = std::env::args().skip(1);
    let (n, locations, bed_factor) = instance::from_args(&mut args);
    let export = args.next();
    let t = std::time::Instant::now();
    let inst = instance::synthetic(n, locations, bed_factor);
    println!("generating the synthetic instance: {:?}", t.elapsed());
    if let Some(path) = export {
        let m = spreiding_placement::export_model(&inst).unwrap();
        std::fs::write(&path, serde_json::to_string(&m).unwrap()).unwrap();
    }
    let beds: u64 = inst.locations.iter().map(|l| l.beds as u64).sum();
    let emerg: u64 = inst.locations.iter().filter(|l| l.kind.is_emergency()).map(|l| l.beds as u64).sum();
    let persons: u64 = inst.households.iter().map(|h| h.persons() as u64).sum();
    println!("households={n} persons={persons} locations={} beds={beds} emergency={emerg}", inst.locations.len());
    let t = std::time::Instant::now();
    let plan = place(&inst, Strategy::Auto).unwrap();
    let el = t.elapsed();
    println!(
        "{:?} placed={} unplaced={} obj={:.1} lb={:?} gap={:.6} time={:.3}s",
        plan.stats,
        plan.placements.len(),
        plan.unplaced.len(),
        plan.objective.total,
        plan.lower_bound,
        plan.gap(),
        el.as_secs_f64()
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
    println!(
        "greedy obj={:.1} unplaced={} time={:.3}s",
        g.objective.total,
        g.unplaced.len(),
        t.elapsed().as_secs_f64()
    );
}
