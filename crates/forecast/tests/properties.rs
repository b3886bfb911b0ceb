//! Invariants of the forecast engine (issue 3, "Done when"): mass balance every day, no
//! negative stocks, Little's law in the long run, reproducibility for a seed and
//! independence of the thread count.

use chrono::NaiveDate;
use proptest::prelude::*;
use spreiding_forecast::model::{AMV, GENERAL};
use spreiding_forecast::scenario::{Period, Regime, Scenario, bundled};
use spreiding_forecast::{Model, run, simulate_path};

fn base() -> Scenario {
    bundled("base").unwrap().unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A scenario with random rates, capacities and stocks, from tame to extreme.
fn arb_scenario() -> impl Strategy<Value = Scenario> {
    (
        (0.0f64..200_000.0, 0.0f64..20_000.0, 0.0f64..1.0, 1u32..5_000),
        (1.0f64..30.0, 1u32..9, 8.0f64..400.0, prop::option::of(1.0f64..80_000.0), 0.0f64..=1.0),
        (1u32..9, 8.0f64..300.0, prop::option::of(0.0f64..40_000.0), 1u32..9, 8.0f64..600.0),
        prop::collection::vec(0u32..30_000, 12),
        (0.0f64..1.0, 0.0f64..3.0),
        (0.0f64..1.0, 0.0f64..1.0, 0.0f64..60_000.0, 0.0f64..=1.0, 1u64..400),
    )
        .prop_map(|(inflow, proc_, housing, stocks, shocks, levers)| {
            let mut s = base();
            let (first, family, share, cap) = inflow;
            let (reg_days, pphases, prep, dec, grant) = proc_;
            let (mphases, matching, task, rphases, ret) = housing;
            s.registration.capacity = cap;
            s.registration.mean_days = reg_days;
            s.inflow.level_uncertainty = shocks.0;
            s.inflow.regimes.push(Regime { name: "shock".into(), multiplier: shocks.1, mean_days: 20.0, weight: 1.0 });
            for (k, st) in [&mut s.general, &mut s.amv].into_iter().enumerate() {
                let f = if k == 0 { 1.0 } else { 0.1 };
                st.first_applications_per_year = first * f;
                st.family_reunification_per_year = family * f;
                st.family_reunification_reception_share = share;
                st.procedure.phases = pphases;
                st.procedure.preparation_days = prep.max(f64::from(pphases));
                st.procedure.decisions_per_year = dec.map(|d| d * f);
                st.procedure.grant_rate = grant;
                st.housing.phases = mphases;
                st.housing.matching_days = matching.max(f64::from(mphases));
                st.housing.task_per_half_year = task.map(|t| vec![t * f, t * f * 0.5]);
                st.return_phase.phases = rphases;
                st.return_phase.mean_days = ret.max(f64::from(rphases));
                let o = 6 * k;
                st.stocks.registration = stocks[o];
                st.stocks.overflow = stocks[o + 1] / 10;
                st.stocks.procedure = stocks[o + 2];
                st.stocks.awaiting_decision = stocks[o + 3];
                st.stocks.permit_holders = stocks[o + 4];
                st.stocks.return_phase = stocks[o + 5];
                // Dated periods and per-path uncertainty of the levers (issue 13).
                let (cap_sd, sup_sd, first2, grant2, from_day) = levers;
                st.procedure.capacity_uncertainty = cap_sd;
                st.housing.supply_uncertainty = sup_sd;
                st.repeat_applications_per_year = first2 * 0.05 * f;
                st.resettlement_per_year = family * 0.1 * f;
                st.periods = vec![Period {
                    from: (date("2026-01-01") + chrono::Days::new(from_day)).to_string(),
                    first_applications_per_year: Some(first2 * f),
                    family_reunification_per_year: Some(family * 0.5 * f),
                    decisions_per_year: st.procedure.decisions_per_year.map(|d| d * 1.5),
                    grant_rate: Some(grant2),
                    ..Period::default()
                }];
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Every day: persons in reception at the end = at the start + arrivals − housed − departed.
    /// Stocks are u32 and the test build has overflow checks, so a flow larger than its
    /// stock (a negative stock) would panic and fail the test.
    #[test]
    fn mass_balance_holds_exactly_every_day(s in arb_scenario(), seed in any::<u64>(), path in 0u64..1000) {
        let model = Model::new(&s, date("2026-01-01"), 400).unwrap();
        let mut prev: Option<u64> = None;
        let mut ok = true;
        simulate_path(&model, seed, path, |_, st, f| {
            let now = st.occupancy();
            if let Some(p) = prev {
                ok &= now + f.outflow() == p + f.inflow();
            }
            prev = Some(now);
        });
        prop_assert!(ok);
    }

    /// No stock ever goes negative, no flow exceeds what was there, and the registration
    /// centre never holds more than its cap unless it started above it.
    #[test]
    fn no_negative_stocks_and_registration_cap_holds(s in arb_scenario(), seed in any::<u64>()) {
        let model = Model::new(&s, date("2026-01-01"), 300).unwrap();
        let cap = s.registration.capacity;
        let start_reg = s.general.stocks.registration + s.amv.stocks.registration;
        let mut violations = Vec::new();
        let initial_total = s.general.stocks.total() + s.amv.stocks.total();
        let mut entered = 0u64;
        simulate_path(&model, seed, 0, |day, st, f| {
            entered += f.inflow();
            let reg = st.streams[GENERAL].registration + st.streams[AMV].registration;
            if day > 0 && reg > cap.max(start_reg) {
                violations.push(format!("day {day}: registration {reg} > cap {cap}"));
            }
            for k in [GENERAL, AMV] {
                if f.granted[k] > f.decided[k] {
                    violations.push(format!("day {day}: granted > decided"));
                }
                // A negative stock cannot be stored in a u32: the subtraction that would
                // make one panics in this (overflow-checked) build and fails the test.
                // Beyond that, no stock may exceed everyone who was ever in the system.
                let ceiling = initial_total + entered;
                if st.streams[k].all_stocks().iter().any(|&x| u64::from(x) > ceiling) {
                    violations.push(format!("day {day}: a stock exceeds everyone who entered"));
                }
            }
        });
        prop_assert!(violations.is_empty(), "{:?}", violations);
    }
}

/// Little's law (L = λ·W): with constant inflow, no shocks, no seasonality and no capacity
/// limits, the long-run occupancy equals arrivals per day × mean stay, within 1 %.
/// The expectation is computed here from the scenario's own numbers, not by the model.
#[test]
fn long_run_occupancy_matches_littles_law() {
    let mut s = base();
    s.inflow.seasonality = vec![1.0; 12];
    s.inflow.level_uncertainty = 0.0;
    s.inflow.regimes.truncate(1);
    s.registration.capacity = 1_000_000;
    let mut expected = 0.0;
    for st in [&mut s.general, &mut s.amv] {
        st.procedure.decisions_per_year = None;
        st.housing.task_per_half_year = None;
        let lam = st.first_applications_per_year / 365.25;
        let fam = st.family_reunification_per_year * st.family_reunification_reception_share / 365.25;
        let g = st.procedure.grant_rate;
        let stay_reg = s.registration.mean_days;
        let stay_proc = st.procedure.preparation_days;
        let stay_perm = st.housing.matching_days;
        let stay_ret = st.return_phase.mean_days;
        // Start at the steady state so a short warm-up suffices.
        st.stocks.registration = (lam * stay_reg) as u32;
        st.stocks.overflow = 0;
        st.stocks.procedure = (lam * stay_proc) as u32;
        st.stocks.awaiting_decision = 0;
        st.stocks.permit_holders = ((lam * g + fam) * stay_perm) as u32;
        st.stocks.return_phase = (lam * (1.0 - g) * stay_ret) as u32;
        expected += lam * (stay_reg + stay_proc + g * stay_perm + (1.0 - g) * stay_ret) + fam * stay_perm;
    }
    let days = 3 * 365;
    let model = Model::new(&s, date("2026-01-01"), days).unwrap();
    assert!((model.littles_law_occupancy() - expected).abs() < 1e-6 * expected);
    let (mut sum, mut n) = (0.0f64, 0u64);
    for path in 0..64 {
        simulate_path(&model, 99, path, |day, st, _| {
            if day >= 365 {
                sum += st.occupancy() as f64;
                n += 1;
            }
        });
    }
    let mean = sum / n as f64;
    let rel = (mean - expected).abs() / expected;
    assert!(rel < 0.01, "long-run occupancy {mean:.0} vs Little's law {expected:.0}: {:.2} % off", 100.0 * rel);
}

#[test]
fn same_seed_gives_identical_results_and_another_seed_does_not() {
    let s = base();
    let a = run(&s, date("2026-01-01"), 2, 300, 42, &|| {}).unwrap();
    let b = run(&s, date("2026-01-01"), 2, 300, 42, &|| {}).unwrap();
    let c = run(&s, date("2026-01-01"), 2, 300, 43, &|| {}).unwrap();
    assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
    assert_ne!(a, c);
}

#[test]
fn one_thread_and_four_threads_give_the_same_result() {
    let s = bundled("high-inflow").unwrap().unwrap();
    let go = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| run(&s, date("2026-01-01"), 2, 257, 7, &|| {}).unwrap())
    };
    let one = go(1);
    let four = go(4);
    assert_eq!(one, four);
    assert_eq!(serde_json::to_string(&one).unwrap(), serde_json::to_string(&four).unwrap());
}

#[test]
fn percentiles_are_ordered_for_every_day_and_target() {
    for (id, _) in spreiding_forecast::BUNDLED {
        let s = bundled(id).unwrap().unwrap();
        let f = run(&s, s.start_date().unwrap(), 2, 200, 1, &|| {}).unwrap();
        for d in &f.occupancy {
            assert!(d.total.p10 <= d.total.p50 && d.total.p50 <= d.total.p90, "{id} {}", d.date);
            assert!(d.amv.p10 <= d.amv.p50 && d.amv.p50 <= d.amv.p90, "{id} {}", d.date);
        }
        assert_eq!(f.required_places.len(), 2);
        for r in &f.required_places {
            assert!(r.total.p10 <= r.total.p50 && r.total.p50 <= r.total.p90);
            assert!(r.total.p50 >= r.occupancy.p50, "required places ≥ occupancy at a target below 100 %");
        }
    }
}

/// A permit can only be granted after a decision; with a grant rate of 1 nobody enters
/// the return phase, and with 0 nobody waits for housing (except family members).
#[test]
fn grant_rate_routes_decisions() {
    let mut s = base();
    for st in [&mut s.general, &mut s.amv] {
        st.procedure.grant_rate = 1.0;
        st.stocks.return_phase = 0;
    }
    let model = Model::new(&s, date("2026-01-01"), 200).unwrap();
    simulate_path(&model, 3, 0, |_, st, f| {
        assert_eq!(st.streams[GENERAL].return_total(), 0);
        assert_eq!(f.decided, f.granted);
    });
}

/// A dated period changes the inflow from its date on: with no applications from day 100,
/// nobody arrives after day 100, while the same scenario without the period keeps arriving.
#[test]
fn a_dated_period_switches_the_inflow_on_its_date() {
    let mut s = base();
    for st in [&mut s.general, &mut s.amv] {
        st.periods = vec![Period {
            from: "2026-04-11".into(), // day 100 after 1 January 2026
            first_applications_per_year: Some(0.0),
            family_reunification_per_year: Some(0.0),
            ..Period::default()
        }];
    }
    let model = Model::new(&s, date("2026-01-01"), 200).unwrap();
    let (mut before, mut after) = (0u64, 0u64);
    simulate_path(&model, 5, 0, |day, _, f| {
        if (1..100).contains(&day) {
            before += f.inflow();
        } else if day >= 100 {
            after += f.inflow();
        }
    });
    assert!(before > 5_000, "{before} arrivals in the first 99 days");
    assert_eq!(after, 0);
}

/// A path's decision capacity with a multiplier m: when the backlog never runs dry, the
/// decisions up to day D are ⌊m · D · capacity / 365.25⌋ — never a person off.
#[test]
fn per_path_decision_capacity_never_drifts() {
    let mut s = base();
    for st in [&mut s.general, &mut s.amv] {
        st.stocks.awaiting_decision = 1_000_000;
        st.procedure.capacity_uncertainty = 0.3;
    }
    let days = 500;
    let model = Model::new(&s, date("2026-01-01"), days).unwrap();
    for path in 0..20 {
        let (mut decided, mut m) = (0u64, 1.0);
        simulate_path(&model, 11, path, |day, st, f| {
            if day == 0 {
                m = st.decision_mult;
            }
            decided += u64::from(f.decided[GENERAL]);
            if day > 0 {
                let exact = m * day as f64 * 30_000.0 / 365.25;
                assert!((decided as f64 - exact.floor()).abs() <= 1.0, "day {day}: {decided} vs {exact}");
            }
        });
        assert!(m != 1.0);
    }
}

/// The backtest gives the same bytes with 1 and 2 threads (issue 13).
#[test]
fn backtest_is_the_same_with_one_and_two_threads() {
    let s = bundled("backtest-2019-2025").unwrap().unwrap();
    let go = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| spreiding_forecast::backtest(&s, 300, 3).unwrap())
    };
    let (one, two) = (go(1), go(2));
    assert_eq!(serde_json::to_string(&one).unwrap(), serde_json::to_string(&two).unwrap());
}

/// Shapley efficiency and the dummy axiom: the drivers add up to target − reference, and
/// a scenario explained against itself gives every driver 0.
#[test]
fn explanation_adds_up_and_a_scenario_explains_itself_with_zeros() {
    let b = base();
    let o = bundled("official-2026").unwrap().unwrap();
    let e = spreiding_forecast::explain::explain(&b, &o, date("2026-01-01"), 150, 2).unwrap();
    let sum: f64 = e.contributions.iter().map(|c| c.places).sum();
    assert!((e.reference as f64 + sum - e.target as f64).abs() < 1e-6, "{e:?}");
    let same = spreiding_forecast::explain::explain(&b, &b, date("2026-01-01"), 150, 2).unwrap();
    assert!(same.contributions.iter().all(|c| c.places == 0.0), "{same:?}");
}
