//! BENCHMARK helper: round a peer solver's LP solution with spreiding's own rounding.
//!
//! `tools/placement_peer.py model.json --lp --lp-out x.json` solves the LP relaxation of the
//! class model with HiGHS and writes x per class and option; this rebuilds the same
//! SYNTHETIC instance (same arguments as `scale_probe`), rounds x with
//! `spreiding_placement::solve::round` and prints the objective and the rounding time —
//! "HiGHS LP + the same rounding" in docs/PERFORMANCE.md.
//!
//! `cargo run --release -p spreiding-placement --example round_lp HOUSEHOLDS LOCATIONS BED_FACTOR x.json`
use spreiding_placement::{prepare, solve};

#[path = "common/instance.rs"]
mod instance;

fn main() {
    let mut args = std::env::args().skip(1);
    let (households, locations, bed_factor) = instance::from_args(&mut args);
    let path = args.next().expect("HOUSEHOLDS LOCATIONS BED_FACTOR x.json");
    let inst = instance::synthetic(households, locations, bed_factor);
    let text = std::fs::read_to_string(&path).expect("read the LP solution");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let x: Vec<Vec<f64>> = serde_json::from_value(v["x"].clone()).expect("x: per class, a list of numbers");
    let p = prepare(&inst).unwrap();
    let cls = solve::classes(&inst, &p);
    assert_eq!(x.len(), cls.len(), "the LP solution is for another instance (class count differs)");
    let t = std::time::Instant::now();
    let counts = solve::round(&p, &cls, &inst.weights, &x);
    let rounding = t.elapsed();
    let o = solve::evaluate(&p, &cls, &counts, &inst.weights);
    let placed: u32 = counts.iter().flatten().map(|c| c.1).sum();
    println!(
        "rounded peer LP: objective {:.1} (peer LP bound {:.1}), {placed} households placed, rounding {:.3} s",
        o.total,
        v["objective"].as_f64().unwrap_or(f64::NAN),
        rounding.as_secs_f64()
    );
}
