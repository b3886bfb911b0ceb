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
    // The phases on their own (what a peer solver's LP time compares with is `optimise`:
    // from the class model to whole households per location, LP + rounding + repair + the
    // greedy portfolio check).
    let t = std::time::Instant::now();
    let p = spreiding_placement::prepare(&inst).unwrap();
    let t_prepare = t.elapsed();
    let cls = spreiding_placement::solve::classes(&inst, &p);
    let t_classes = t.elapsed() - t_prepare;
    let t0 = std::time::Instant::now();
    let (_, bound) = spreiding_placement::solve::relaxation(&p, &cls, &inst.weights).unwrap();
    let t_lp = t0.elapsed();
    let t0 = std::time::Instant::now();
    let solved = spreiding_placement::solve::optimise(&p, &cls, &inst.weights, Strategy::Auto).unwrap();
    let t_optimise = t0.elapsed();
    println!(
        "phases: prepare {:.1} ms, classes {:.1} ms, optimise {:.1} ms (of which the LP as a min-cost flow {:.1} ms, \
         bound {bound:.1}; method {:?})",
        t_prepare.as_secs_f64() * 1e3,
        t_classes.as_secs_f64() * 1e3,
        t_optimise.as_secs_f64() * 1e3,
        t_lp.as_secs_f64() * 1e3,
        solved.method
    );
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
    check(&inst, &plan);
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

/// The plan's guarantees at this size: every household exactly once (placed whole or
/// reported unplaced), no location over its beds, every placement admissible under the
/// hard rules (unaccompanied minors, Art. 24 needs, infants, availability).
fn check(inst: &spreiding_placement::Instance, plan: &spreiding_placement::Plan) {
    use std::collections::HashMap;
    let p = spreiding_placement::prepare(inst).unwrap();
    let households: HashMap<&str, &spreiding_placement::Household> =
        inst.households.iter().map(|h| (h.id.as_str(), h)).collect();
    let mut seen: HashMap<&str, u32> = HashMap::new();
    let mut load: HashMap<&str, u64> = HashMap::new();
    for pl in &plan.placements {
        *seen.entry(&pl.household).or_default() += 1;
        let h = households[pl.household.as_str()];
        assert_eq!(pl.persons, h.persons(), "household {} split", pl.household);
        *load.entry(&pl.to).or_default() += pl.persons as u64;
        let site = &p.sites[p.by_id[&pl.to]];
        assert!(spreiding_placement::admissible(h, site).is_ok(), "{} not admissible at {}", pl.household, pl.to);
    }
    for u in &plan.unplaced {
        *seen.entry(&u.household).or_default() += 1;
    }
    assert_eq!(seen.len(), inst.households.len(), "a household is missing from the plan");
    assert!(seen.values().all(|&n| n == 1), "a household appears twice");
    for l in &inst.locations {
        assert!(load.get(l.id.as_str()).copied().unwrap_or(0) <= l.beds as u64, "{} over its beds", l.id);
    }
    println!(
        "checked: {} households each once, none split, no location over its beds, every placement admissible",
        seen.len()
    );
}
