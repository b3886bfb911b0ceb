//! Explain the difference between two scenarios' forecasts — the base scenario and the one
//! that encodes the official raming's public assumptions (`official-2026`) — as the sum of
//! named drivers, computed by the model.
//!
//! Method: Shapley values (L. S. Shapley, "A value for n-person games", 1953). A driver is
//! a group of scenario keys. For every subset of drivers the model is run with those
//! drivers' keys taken from the target scenario and all others from the reference; a
//! driver's contribution is its marginal effect averaged over all orders in which the
//! drivers can be switched. The contributions add up exactly to target − reference, and do
//! not depend on an arbitrary order (a one-at-a-time swap does not add up when drivers
//! interact: more inflow costs more places when housing is slower). Every subset runs with
//! the same seed and paths (common random numbers), so the differences are not noise
//! between runs.

use chrono::NaiveDate;
use serde::Serialize;
use spreiding_core::CoreError;

use crate::montecarlo::run;
use crate::scenario::{Scenario, Stream};

/// The named drivers, in the order they are reported.
pub const DRIVERS: &[Driver] = &[
    Driver {
        id: "inflow",
        title: "Inflow: first, repeat and family-reunification applications, resettlement, their shape and shocks",
    },
    Driver {
        id: "decision_times",
        title: "Decision times: preparation, IND decision capacity, grant rate, backlog at the start",
    },
    Driver { id: "housing_outflow", title: "Housing outflow: matching time, housing supply for permit holders" },
    Driver { id: "occupancy_norm", title: "Occupancy norm: required places = occupancy ÷ norm" },
    Driver {
        id: "starting_stocks",
        title: "Starting stocks other than the IND backlog (registration, procedure, permit holders, return)",
    },
    Driver {
        id: "return_phase",
        title: "Departure after a rejection: mean time in the return phase (calibrated by the 2019–2025 backtest)",
    },
];

/// A group of scenario keys that is switched as one.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Driver {
    pub id: &'static str,
    pub title: &'static str,
}

/// Take the keys of driver `d` from `from` into `into`.
fn apply(d: &str, into: &mut Scenario, from: &Scenario) {
    let streams = |into: &mut Scenario, f: &dyn Fn(&mut Stream, &Stream)| {
        f(&mut into.general, &from.general);
        f(&mut into.amv, &from.amv);
    };
    match d {
        "inflow" => {
            into.inflow = from.inflow.clone();
            into.registration = from.registration.clone();
            streams(into, &|i, f| {
                i.first_applications_per_year = f.first_applications_per_year;
                i.repeat_applications_per_year = f.repeat_applications_per_year;
                i.family_reunification_per_year = f.family_reunification_per_year;
                i.family_reunification_reception_share = f.family_reunification_reception_share;
                i.resettlement_per_year = f.resettlement_per_year;
            });
        }
        "decision_times" => streams(into, &|i, f| {
            i.procedure = f.procedure.clone();
            i.stocks.awaiting_decision = f.stocks.awaiting_decision;
        }),
        "housing_outflow" => streams(into, &|i, f| i.housing = f.housing.clone()),
        "occupancy_norm" => into.scenario.occupancy_target = from.scenario.occupancy_target,
        "return_phase" => streams(into, &|i, f| i.return_phase = f.return_phase.clone()),
        "starting_stocks" => streams(into, &|i, f| {
            let awaiting = i.stocks.awaiting_decision;
            i.stocks = f.stocks.clone();
            i.stocks.awaiting_decision = awaiting;
        }),
        _ => unreachable!("unknown driver {d}"),
    }
}

/// One driver's share of the difference.
#[derive(Clone, Debug, Serialize)]
pub struct Contribution {
    pub driver: &'static str,
    pub title: &'static str,
    /// Shapley value: places on the target date.
    pub places: f64,
    /// Effect of switching this driver alone (reference + this driver − reference).
    pub alone: f64,
}

/// The decomposition of target − reference into drivers.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub date: NaiveDate,
    pub runs: usize,
    pub seed: u64,
    /// P50 of required places under the reference scenario.
    pub reference: u64,
    /// P50 of required places under the target scenario.
    pub target: u64,
    pub contributions: Vec<Contribution>,
}

/// Decompose the P50 of required places on the first target date (1 January after
/// `start`) between `reference` and `target`. Both scenarios must have no dated periods
/// (periods are a backtest feature); runs 2^drivers forecasts of `runs` paths each.
pub fn explain(
    reference: &Scenario,
    target: &Scenario,
    start: NaiveDate,
    runs: usize,
    seed: u64,
) -> Result<Explanation, CoreError> {
    if !(reference.general.periods.is_empty()
        && reference.amv.periods.is_empty()
        && target.general.periods.is_empty()
        && target.amv.periods.is_empty())
    {
        return Err(CoreError::invalid("explain compares scenarios without dated periods"));
    }
    // Every difference between the two scenarios must belong to a named driver, or the
    // contributions would not add up to the target's forecast.
    let mut all = reference.clone();
    for d in DRIVERS {
        apply(d.id, &mut all, target);
    }
    if (&all.inflow, &all.registration, &all.general, &all.amv, all.scenario.occupancy_target)
        != (&target.inflow, &target.registration, &target.general, &target.amv, target.scenario.occupancy_target)
    {
        return Err(CoreError::invalid(
            "the scenarios differ in keys outside the named drivers; explain cannot attribute that difference",
        ));
    }
    let n = DRIVERS.len();
    let mut value = vec![0f64; 1 << n];
    let mut date = start;
    for (mask, v) in value.iter_mut().enumerate() {
        let mut s = reference.clone();
        for (k, d) in DRIVERS.iter().enumerate() {
            if mask & (1 << k) != 0 {
                apply(d.id, &mut s, target);
            }
        }
        let f = run(&s, start, 1, runs, seed, &|| {})?;
        let r = &f.required_places[0];
        date = r.date;
        *v = r.total.p50 as f64;
    }
    // Shapley weight of a subset S not containing i: |S|! (n − |S| − 1)! / n!.
    let fact = |k: usize| (1..=k).product::<usize>() as f64;
    let contributions = DRIVERS
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut phi = 0.0;
            for mask in 0..(1usize << n) {
                if mask & (1 << i) != 0 {
                    continue;
                }
                let s = mask.count_ones() as usize;
                let w = fact(s) * fact(n - s - 1) / fact(n);
                phi += w * (value[mask | (1 << i)] - value[mask]);
            }
            Contribution { driver: d.id, title: d.title, places: phi, alone: value[1 << i] - value[0] }
        })
        .collect();
    Ok(Explanation { date, runs, seed, reference: value[0] as u64, target: value[(1 << n) - 1] as u64, contributions })
}

/// Places the explanation attributes to the already-durable places: 0, because required
/// places are occupancy ÷ norm on the target date whatever places exist; the ~50,000
/// durable places (Kamerbrief 2026D05614) only split the need into existing and to realise.
pub const DURABLE_NOTE: &str = "0 by construction: required places = occupancy ÷ norm, whatever places exist; durable places only split the need into existing and to realise";

/// The published raming the target scenario lists for `date` (an `[[observed]]` entry of kind
/// `required_places`): its value and source, if there is one.
pub fn published_raming(target: &Scenario, date: NaiveDate) -> Option<(f64, String)> {
    target
        .observed
        .iter()
        .find(|o| {
            o.kind == crate::scenario::ObservationKind::RequiredPlaces
                && crate::scenario::parse_date(&o.date).ok() == Some(date)
        })
        .map(|o| (o.value, o.source.clone()))
}
