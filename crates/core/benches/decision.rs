//! The distribution decision over the 342 municipalities (synthetic plan: 70–129 % of each
//! task offered), both designation rules; peer: one Hamilton apportionment of the same
//! 96,000 places over the same municipalities, measured in the same run.

use num_bigint::BigUint;
use spreiding_core::decision::{DecisionInput, DecisionRule, Designation, PlanLine, decide};
use spreiding_core::key::{Indicators, run_key};
use spreiding_core::{Method, apportion, bundled};

fn main() {
    divan::main();
}

fn synthetic_plan() -> DecisionInput {
    let nl = bundled::netherlands().unwrap();
    let def = bundled::key(bundled::POPULATION_KEY).unwrap().unwrap();
    let key = run_key(&def, &nl.set, &Indicators::default(), 96_000, None).unwrap();
    let lines = nl
        .municipalities
        .iter()
        .zip(key.seats())
        .map(|(m, &task)| {
            let n: u64 = m.code.as_str()[2..].parse().unwrap();
            let commitment = task * (70 + (n * 37) % 60) / 100;
            PlanLine::new(m.code, &m.name, m.province, task, commitment)
        })
        .collect();
    DecisionInput {
        national_total: 96_000,
        amv_total: None,
        lines,
        rule: DecisionRule::default(),
        decided_on: "2024-12-23".parse().unwrap(),
    }
}

#[divan::bench(args = ["proportional-gap", "largest-relative-gap"])]
fn decide_342(b: divan::Bencher, rule: &str) {
    let mut input = synthetic_plan();
    input.rule.designation = rule.parse::<Designation>().unwrap();
    b.bench(|| decide(divan::black_box(&input)).unwrap());
}

#[divan::bench]
fn peer_hamilton_342(b: divan::Bencher) {
    let nl = bundled::netherlands().unwrap();
    let ids: Vec<&str> = nl.municipalities.iter().map(|m| m.code.as_str()).collect();
    let w: Vec<BigUint> = nl.municipalities.iter().map(|m| BigUint::from(m.population)).collect();
    b.bench(|| apportion(Method::Hamilton, divan::black_box(&ids), &w, 96_000).unwrap());
}
