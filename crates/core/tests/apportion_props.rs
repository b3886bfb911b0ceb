//! Property tests for exact apportionment (Balinski & Young, *Fair Representation*).

use num_bigint::BigUint;
use proptest::prelude::*;
use spreiding_core::{Method, apportion};

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("u{i:04}")).collect()
}

fn big(w: &[u64]) -> Vec<BigUint> {
    w.iter().map(|&x| BigUint::from(x)).collect()
}

fn method() -> impl Strategy<Value = Method> {
    prop::sample::select(Method::ALL.to_vec())
}

/// Weights with at least one positive entry; small values make exact ties common.
fn weights() -> impl Strategy<Value = Vec<u64>> {
    prop_oneof![
        prop::collection::vec(0u64..6, 1..12),
        prop::collection::vec(0u64..1_000_000, 1..40),
        prop::collection::vec(1u64..u64::MAX / 4, 1..8),
    ]
    .prop_filter("some weight must be positive", |w| w.iter().any(|&x| x > 0))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// The places always add up to the total, and a zero weight never gets a place.
    #[test]
    fn seats_sum_to_the_total(m in method(), w in weights(), total in 0u64..500) {
        let a = apportion(m, &ids(w.len()), &big(&w), total).unwrap();
        prop_assert_eq!(a.seats.iter().sum::<u64>(), total);
        for (s, x) in a.seats.iter().zip(&w) {
            if *x == 0 { prop_assert_eq!(*s, 0); }
        }
    }

    /// Hamilton satisfies the quota rule: every unit gets the floor or the ceiling of its exact quota.
    #[test]
    fn hamilton_satisfies_the_quota_rule(w in weights(), total in 0u64..500) {
        let a = apportion(Method::Hamilton, &ids(w.len()), &big(&w), total).unwrap();
        let big_w: u128 = w.iter().map(|&x| x as u128).sum();
        for (i, &s) in a.seats.iter().enumerate() {
            let num = BigUint::from(total) * BigUint::from(w[i]);
            let floor = &num / BigUint::from(big_w);
            let ceil = (&num + BigUint::from(big_w - 1)) / BigUint::from(big_w);
            prop_assert!(BigUint::from(s) >= floor && BigUint::from(s) <= ceil,
                "unit {} got {} outside [{}, {}]", i, s, floor, ceil);
        }
    }

    /// Divisor methods are house-monotone: one more place in total never costs anyone a place.
    #[test]
    fn divisor_methods_are_house_monotone(m in method(), w in weights(), total in 0u64..300) {
        prop_assume!(m.is_divisor());
        let a = apportion(m, &ids(w.len()), &big(&w), total).unwrap();
        let b = apportion(m, &ids(w.len()), &big(&w), total + 1).unwrap();
        for (x, y) in a.seats.iter().zip(&b.seats) {
            prop_assert!(y >= x);
        }
    }

    /// The result per id does not depend on the order of the input.
    #[test]
    fn invariant_to_input_order(m in method(), w in weights(), total in 0u64..300, seed in any::<u64>()) {
        let id = ids(w.len());
        let a = apportion(m, &id, &big(&w), total).unwrap();
        let mut order: Vec<usize> = (0..w.len()).collect();
        // Deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..order.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            order.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let id2: Vec<String> = order.iter().map(|&i| id[i].clone()).collect();
        let w2: Vec<u64> = order.iter().map(|&i| w[i]).collect();
        let b = apportion(m, &id2, &big(&w2), total).unwrap();
        for (k, &i) in order.iter().enumerate() {
            prop_assert_eq!(b.seats[k], a.seats[i]);
        }
    }

    /// Scaling every weight by the same factor changes nothing (also across the u128/bigint switch).
    #[test]
    fn invariant_to_scaling_all_weights(m in method(), w in weights(), total in 0u64..300, k in 1u64..1000, shift in 0u32..80) {
        let a = apportion(m, &ids(w.len()), &big(&w), total).unwrap();
        let scaled: Vec<BigUint> = w.iter().map(|&x| (BigUint::from(x) * BigUint::from(k)) << shift).collect();
        let b = apportion(m, &ids(w.len()), &scaled, total).unwrap();
        prop_assert_eq!(a.seats, b.seats);
    }

    /// Divisor results are exactly the highest averages, checked against a naive
    /// one-place-at-a-time implementation with the same tie rule.
    #[test]
    fn divisor_methods_match_naive_highest_averages(m in method(), w in weights(), total in 0u64..120) {
        prop_assume!(m.is_divisor());
        let id = ids(w.len());
        let a = apportion(m, &id, &big(&w), total).unwrap();
        prop_assert_eq!(a.seats, naive(m, &id, &w, total));
    }
}

proptest! {
    /// `round-each` (docs/DOMAIN-BRIEF.md §3, a declared method): every unit gets the whole number
    /// nearest its exact quota, halves up — i.e. k with (2k−1)·W ≤ 2·total·w < (2k+1)·W,
    /// checked by exact integer comparison, not by the code's formula.
    #[test]
    fn round_each_gives_every_unit_its_nearest_whole_number(w in weights(), total in 0u64..10_000) {
        let id = ids(w.len());
        let a = apportion(Method::RoundEach, &id, &big(&w), total).unwrap();
        let big_w: u128 = w.iter().map(|&x| x as u128).sum();
        for (i, &k) in a.seats.iter().enumerate() {
            let lhs = 2 * total as u128 * w[i] as u128;
            let k = k as u128;
            prop_assert!(lhs < (2 * k + 1) * big_w, "unit {i}: {k} too small");
            prop_assert!(k == 0 || lhs >= (2 * k - 1) * big_w, "unit {i}: {k} too large");
        }
    }
}

/// One place at a time to the highest average w/D(s), exact with u128/f64-free comparisons
/// via BigUint cross-multiplication; ties to larger weight, then smaller id.
fn naive(m: Method, ids: &[String], w: &[u64], total: u64) -> Vec<u64> {
    let mut seats = vec![0u64; w.len()];
    // D(s) squared-scaled as in the definition: returns None for D = 0 (infinite average).
    let d = |s: u64| -> Option<BigUint> {
        match m {
            Method::Dhondt => Some(BigUint::from(s + 1)),
            Method::Webster => Some(BigUint::from(2 * s + 1)),
            Method::Adams => (s > 0).then(|| BigUint::from(s)),
            Method::HuntingtonHill => (s > 0).then(|| BigUint::from(s) * BigUint::from(s + 1)),
            Method::Hamilton | Method::RoundEach => unreachable!(),
        }
    };
    let num = |i: usize| -> BigUint {
        let x = BigUint::from(w[i]);
        if m == Method::HuntingtonHill { &x * &x } else { x }
    };
    for _ in 0..total {
        let mut best: Option<usize> = None;
        for i in 0..w.len() {
            if w[i] == 0 {
                continue;
            }
            best = Some(match best {
                None => i,
                Some(b) => {
                    let ord = match (d(seats[i]), d(seats[b])) {
                        (None, None) => std::cmp::Ordering::Equal,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (Some(di), Some(db)) => (num(i) * db).cmp(&(num(b) * di)),
                    };
                    let ord = ord.then(w[i].cmp(&w[b])).then(ids[b].cmp(&ids[i]));
                    if ord == std::cmp::Ordering::Greater { i } else { b }
                }
            });
        }
        if let Some(b) = best {
            seats[b] += 1;
        }
    }
    seats
}

/// Hamilton by its definition, in arbitrary precision: every unit its whole quota, the
/// places left over one each to the largest fractional parts (ties: larger weight, then
/// smaller id), with one full sort.
fn naive_hamilton(ids: &[String], w: &[u64], total: u64) -> Vec<u64> {
    let big_w: BigUint = w.iter().map(|&x| BigUint::from(x)).sum();
    if big_w == BigUint::from(0u8) {
        return vec![0; w.len()];
    }
    let parts: Vec<(BigUint, BigUint)> = w
        .iter()
        .map(|&x| {
            let n = BigUint::from(total) * BigUint::from(x);
            (&n / &big_w, &n % &big_w)
        })
        .collect();
    let mut seats: Vec<u64> = parts.iter().map(|(q, _)| u64::try_from(q).unwrap()).collect();
    let left = total - seats.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..w.len()).collect();
    order.sort_by(|&a, &b| parts[b].1.cmp(&parts[a].1).then(w[b].cmp(&w[a])).then(ids[a].cmp(&ids[b])));
    for &i in order.iter().take(left as usize) {
        seats[i] += 1;
    }
    seats
}

/// Weights whose sum sits around 2^(64 − bits(total)): where total·wᵢ leaves 64 bits and
/// the arithmetic changes width.
fn near_the_64_bit_edge() -> impl Strategy<Value = (Vec<u64>, u64)> {
    (1u32..40, 1usize..12, 61u32..67).prop_flat_map(|(bt, n, edge)| {
        let total = (1u64 << (bt - 1))..=((1u64 << bt) - 1);
        let per = ((1u128 << (edge - bt).min(63)) / n as u128).max(2) as u64;
        (prop::collection::vec(0..per.saturating_mul(2), n), total)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    /// Hamilton equals its definition at every width: 64-bit weights (`apportion_u64`),
    /// 128-bit and arbitrary precision (`apportion`), around the 64-bit edge and beyond.
    #[test]
    fn hamilton_matches_its_definition_at_every_width((w, total) in near_the_64_bit_edge()) {
        prop_assume!(w.iter().any(|&x| x > 0));
        let id = ids(w.len());
        let expected = naive_hamilton(&id, &w, total);
        let narrow = spreiding_core::apportion_u64(Method::Hamilton, &id[..], w.clone(), total).unwrap();
        prop_assert_eq!(&narrow.seats, &expected);
        let wide = apportion(Method::Hamilton, &id, &big(&w), total).unwrap();
        prop_assert_eq!(&wide.seats, &expected);
    }

    /// The same for Hamilton with the usual weights, and every divisor method through
    /// `apportion_u64` against the naive highest averages.
    #[test]
    fn apportion_u64_matches_the_naive_methods(m in method(), w in weights(), total in 0u64..120) {
        let id = ids(w.len());
        let a = spreiding_core::apportion_u64(m, &id[..], w.clone(), total).unwrap();
        match m {
            Method::Hamilton => prop_assert_eq!(a.seats, naive_hamilton(&id, &w, total)),
            Method::RoundEach => {
                // Each unit's nearest whole number, halves up, by exact integer comparison.
                let big_w: u128 = w.iter().map(|&x| x as u128).sum();
                for (i, &k) in a.seats.iter().enumerate() {
                    let (lhs, k) = (2 * total as u128 * w[i] as u128, k as u128);
                    prop_assert!(lhs < (2 * k + 1) * big_w && (k == 0 || lhs >= (2 * k - 1) * big_w), "unit {}", i);
                }
                prop_assert_eq!(a.seats, apportion(m, &id, &big(&w), total).unwrap().seats)
            }
            _ => prop_assert_eq!(a.seats, naive(m, &id, &w, total)),
        }
    }
}
