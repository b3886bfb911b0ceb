//! Apportionment benchmarks: every method on the 342 municipalities and on 100,000
//! synthetic units (deterministic pseudo-random weights). Run: `cargo bench -p spreiding-core`.

use divan::Bencher;
use num_bigint::BigUint;
use spreiding_core::{Method, apportion, bundled};

fn main() {
    divan::main();
}

const METHODS: [Method; 5] = Method::ALL;

fn municipalities() -> (Vec<String>, Vec<BigUint>) {
    let nl = bundled::netherlands().unwrap();
    (
        nl.municipalities.iter().map(|m| m.code.to_string()).collect(),
        nl.municipalities.iter().map(|m| BigUint::from(m.population)).collect(),
    )
}

/// 100,000 synthetic units with weights 1..=1,000,000 (xorshift, fixed seed).
fn synthetic(n: usize) -> (Vec<String>, Vec<BigUint>) {
    let mut s: u64 = 0x2026_1127;
    let ids = (0..n).map(|i| format!("u{i:06}")).collect();
    let w = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            BigUint::from(1 + s % 1_000_000)
        })
        .collect();
    (ids, w)
}

#[divan::bench(args = METHODS)]
fn municipalities_96000(bencher: Bencher, method: Method) {
    let (ids, w) = municipalities();
    bencher.bench(|| apportion(method, divan::black_box(&ids), divan::black_box(&w), 96_000).unwrap());
}

#[divan::bench(args = METHODS, sample_count = 20)]
fn synthetic_100k_units_500k_places(bencher: Bencher, method: Method) {
    let (ids, w) = synthetic(100_000);
    bencher.bench(|| apportion(method, divan::black_box(&ids), divan::black_box(&w), 500_000).unwrap());
}

/// The same 100,000 units through the machine-integer entry point the CLI uses.
#[divan::bench(args = METHODS, sample_count = 20)]
fn synthetic_100k_units_500k_places_u128(bencher: Bencher, method: Method) {
    let (ids, w) = synthetic(100_000);
    let small: Vec<u128> = w.iter().map(|x| u128::try_from(x).unwrap()).collect();
    bencher
        .with_inputs(|| small.clone())
        .bench_values(|w| spreiding_core::apportion_small(method, divan::black_box(&ids), w, 500_000).unwrap());
}
