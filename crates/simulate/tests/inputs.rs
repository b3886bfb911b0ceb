//! Bad input: invalid policy and parameter files get a line-numbered error naming the key and
//! the allowed range; a parameter without a source must be marked `assumption = true` or the
//! file is refused. And the allocation of persons against a naive one-by-one oracle.

use proptest::prelude::*;
use spreiding_simulate::alloc::{AMV, CHILD, NGROUPS, Usable, allocate};
use spreiding_simulate::{ParamSet, Policy, bundled};

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn out_of_range_parameter_names_line_key_and_allowed_range() {
    let text =
        bundled::PARAMETERS.replacen("[demand.usable_share]\nvalue = 0.96", "[demand.usable_share]\nvalue = 1.7", 1);
    let line = line_of(&text, "value = 1.7");
    let e = ParamSet::parse("p.toml", &text).unwrap_err().to_string();
    assert!(e.starts_with(&format!("p.toml:{line}: demand.usable_share:")), "{e}");
    assert!(e.contains("allowed range [0.5, 1]"), "{e}");
}

#[test]
fn parameter_without_source_is_refused_unless_marked_assumption() {
    let text = bundled::PARAMETERS.replacen(
        "[demand.amv_share]\nvalue = 0.085\nsource = \"docs/DOMAIN-BRIEF.md §2: 8,140 of 96,000 places for AMV (8.5 %)\"",
        "[demand.amv_share]\nvalue = 0.085",
        1,
    );
    assert_ne!(text, bundled::PARAMETERS, "fixture must change the file");
    let line = line_of(&text, "[demand.amv_share]");
    let e = ParamSet::parse("p.toml", &text).unwrap_err().to_string();
    assert!(e.starts_with(&format!("p.toml:{line}: demand.amv_share: has no source")), "{e}");
    let ok =
        text.replacen("[demand.amv_share]\nvalue = 0.085", "[demand.amv_share]\nvalue = 0.085\nassumption = true", 1);
    assert!(ParamSet::parse("p.toml", &ok).is_ok());
    // A source must name something a reader can look up.
    let vague = text.replacen(
        "[demand.amv_share]\nvalue = 0.085",
        "[demand.amv_share]\nvalue = 0.085\nsource = \"common knowledge\"",
        1,
    );
    let e = ParamSet::parse("p.toml", &vague).unwrap_err().to_string();
    assert!(e.contains("names no source key"), "{e}");
}

#[test]
fn unknown_missing_and_mistyped_keys_are_refused_with_their_line() {
    let text = bundled::PARAMETERS.replacen("[costs.open_durable]", "[costs.open_durabel]", 1);
    let line = line_of(&text, "[costs.open_durabel]");
    let e = ParamSet::parse("p.toml", &text).unwrap_err().to_string();
    assert!(e.starts_with(&format!("p.toml:{line}: costs.open_durabel: unknown parameter")), "{e}");
    let text =
        bundled::PARAMETERS.replacen("[capacity.size_amv]\nvalue = 18", "[capacity.size_amv]\nvalue = \"achttien\"", 1);
    let line = line_of(&text, "achttien");
    let e = ParamSet::parse("p.toml", &text).unwrap_err().to_string();
    assert!(e.starts_with(&format!("p.toml:{line}:")), "{e}");
    let text = bundled::PARAMETERS.replacen("tornado = true\n", "tornado = true\nrange = [1, 2]\n", 0);
    assert!(ParamSet::parse("p.toml", &text).is_ok());
}

#[test]
fn bad_policy_values_name_line_key_and_allowed_range() {
    let law = bundled::POLICIES.iter().find(|p| p.0 == "law").unwrap().2;
    let text = law.replacen("durable_share = 0.57", "durable_share = 1.4", 1);
    let line = line_of(&text, "durable_share = 1.4");
    let e = Policy::parse("x.toml", &text).unwrap_err().to_string();
    assert_eq!(e, format!("x.toml:{line}: rules.durable_share: 1.4 is outside the allowed range [0, 1]"));
    let text = law.replacen("[behaviour.offer_rate]\nvalue = 0.79", "[behaviour.offer_rate]\nvalue = 7.9", 1);
    let line = line_of(&text, "value = 7.9");
    let e = Policy::parse("x.toml", &text).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("x.toml:{line}: behaviour.offer_rate: value 7.9 is outside the allowed range [0, 1]")),
        "{e}"
    );
    let text = law.replacen("report_date = \"10-31\"", "report_date = \"12-31\"", 1);
    let e = Policy::parse("x.toml", &text).unwrap_err().to_string();
    assert!(e.contains("rules.report_date") && e.contains("forecast_date < report_date < decision_date"), "{e}");
    let text = law.replacen("cycle_years = 2", "cycle_years = 0", 1);
    let line = line_of(&text, "cycle_years = 0");
    let e = Policy::parse("x.toml", &text).unwrap_err().to_string();
    assert_eq!(e, format!("x.toml:{line}: rules.cycle_years: 0 is outside the allowed range [1, 6]"));
    let text = law.replacen("designation = \"proportional-gap\"", "designation = \"lottery\"", 1);
    let e = Policy::parse("x.toml", &text).unwrap_err().to_string();
    assert!(
        e.contains("rules.designation: 'lottery' is not allowed; use one of proportional-gap, largest-relative-gap"),
        "{e}"
    );
    let text = law.replacen(
        "[behaviour.offer_delay_days]\nvalue = 0\nassumption = true",
        "[behaviour.offer_delay_days]\nvalue = 0",
        1,
    );
    let e = Policy::parse("x.toml", &text).unwrap_err().to_string();
    assert!(e.contains("behaviour.offer_delay_days: has no source"), "{e}");
}

/// Naive oracle: place persons one at a time, AMV first into AMV units, then everyone by
/// group into regular, noodopvang and crisis places, in the order of the rule.
fn naive(persons: [u32; NGROUPS], u: Usable) -> (u32, u32, u32, u32, u32) {
    let mut left = persons;
    let mut amv_small = 0;
    while left[AMV] > 0 && amv_small < u.amv_small {
        left[AMV] -= 1;
        amv_small += 1;
    }
    let mut fill = |cap: u32| {
        let mut n = 0;
        while n < cap && left.iter().any(|&x| x > 0) {
            let g = (0..NGROUPS).find(|&g| left[g] > 0).unwrap();
            left[g] -= 1;
            n += 1;
        }
        n
    };
    let regular = fill(u.durable + u.temporary);
    let nood = fill(u.nood);
    let crisis = fill(u.crisis);
    let waiting: u32 = left.iter().sum();
    (amv_small, regular, nood, crisis, waiting)
}

proptest! {
    #[test]
    fn allocation_matches_a_one_by_one_oracle(
        persons in prop::array::uniform4(0u32..5_000),
        d in 0u32..8_000, t in 0u32..2_000, a in 0u32..500, n in 0u32..5_000, k in 0u32..2_000,
        priority in prop_oneof![Just(0.0f64), Just(1.0f64), 0.0f64..1.0],
    ) {
        let u = Usable { durable: d, temporary: t, amv_small: a, nood: n, crisis: k };
        let got = allocate(persons, u, priority);
        let (amv_small, regular, nood, crisis, waiting) = naive(persons, u);
        prop_assert_eq!(got.amv_small, amv_small);
        prop_assert_eq!(got.durable + got.temporary, regular);
        prop_assert!(got.durable <= d && got.temporary <= t);
        prop_assert_eq!(got.nood(), nood);
        prop_assert_eq!(got.crisis(), crisis);
        prop_assert_eq!(got.waiting(), waiting);
        for (g, &n) in persons.iter().enumerate() {
            let placed = got.regular_by_group[g] + got.nood_by_group[g] + got.crisis_by_group[g] + got.waiting_by_group[g];
            prop_assert_eq!(placed, n);
        }
        // Priority never puts children in emergency reception while a regular place went to
        // an adult without priority.
        if priority == 1.0 && got.nood_by_group[CHILD] + got.crisis_by_group[CHILD] > 0 {
            prop_assert_eq!(got.regular_by_group[0], 0);
        }
    }
}
