//! Invariants of the Spreidingswet distribution on the real 342 municipalities.

use proptest::prelude::*;
use spreiding_core::bundled;
use spreiding_core::distribution::{CreditLocation, distribute};
use spreiding_core::key::{Indicators, run_key};
use spreiding_core::location::LocationType;
use spreiding_core::{Method, Netherlands};

fn nl() -> &'static Netherlands {
    static NL: std::sync::OnceLock<Netherlands> = std::sync::OnceLock::new();
    NL.get_or_init(|| bundled::netherlands().unwrap())
}

fn run(
    total: u64,
    amv: Option<u64>,
    method: Method,
    credits: &[CreditLocation],
) -> spreiding_core::distribution::Distribution {
    let def = bundled::key(bundled::POPULATION_KEY).unwrap().unwrap();
    let key = run_key(&def, &nl().set, &Indicators::default(), total, Some(method)).unwrap();
    distribute(nl(), key, amv, credits, None).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Wet art. 3: the provincial task is the sum of its municipalities' tasks; everything
    /// adds up to the national total and the AMV sub-task; the AMV part never exceeds the task.
    #[test]
    fn totals_are_preserved_at_every_level(
        total in 0u64..150_000,
        amv_permille in 0u64..200,
        method in prop::sample::select(vec![Method::Hamilton, Method::Webster, Method::Dhondt]),
    ) {
        let amv = total * amv_permille / 1000;
        let d = run(total, Some(amv), method, &[]);
        prop_assert_eq!(d.municipalities.iter().map(|m| m.task).sum::<u64>(), total);
        prop_assert_eq!(d.municipalities.iter().map(|m| m.amv.unwrap()).sum::<u64>(), amv);
        prop_assert_eq!(d.provinces.iter().map(|p| p.task).sum::<u64>(), total);
        for p in &d.provinces {
            let sum: u64 = d.municipalities.iter().filter(|m| m.pv_code == p.pv_code).map(|m| m.task).sum();
            prop_assert_eq!(p.task, sum);
        }
        for m in &d.municipalities {
            prop_assert!(m.amv.unwrap() <= m.task);
        }
    }

    /// Credits: task = remaining + credited − over-delivery, per municipality.
    #[test]
    fn credits_balance(total in 1000u64..100_000, places in prop::collection::vec((0usize..342, 0u64..3000, 0u32..10), 0..20)) {
        let credits: Vec<CreditLocation> = places
            .iter()
            .enumerate()
            .map(|(i, (m, p, y))| CreditLocation {
                id: format!("L{i}"),
                municipality: nl().municipalities[*m].code,
                name: "synthetic".into(),
                places: *p,
                years_available: *y,
                kind: LocationType::RegularAzc,
                cluster: None,
            })
            .collect();
        let d = run(total, None, Method::Hamilton, &credits);
        for m in &d.municipalities {
            prop_assert_eq!(m.task + m.over_delivery, m.remaining + m.credited);
            prop_assert!(m.remaining == 0 || m.over_delivery == 0);
        }
    }
}

#[test]
fn explain_agrees_with_the_table_for_every_municipality() {
    let d = run(96_000, Some(8_140), Method::Hamilton, &[]);
    for m in &d.municipalities {
        let e = d.explain(m.gm_code).unwrap();
        assert_eq!(&e.municipality, m);
        let q: f64 = e.quota_decimal.parse().unwrap();
        assert!(q.floor() as u64 <= m.task && m.task <= q.ceil() as u64, "{}: quota rule", m.gm_code);
        assert!(e.to_text().contains(&format!("Task: {} places", m.task)));
    }
}

#[test]
fn same_inputs_give_the_same_bytes() {
    let a = serde_json::to_string(&run(88_000, Some(7_000), Method::Webster, &[])).unwrap();
    let b = serde_json::to_string(&run(88_000, Some(7_000), Method::Webster, &[])).unwrap();
    assert_eq!(a, b);
}
