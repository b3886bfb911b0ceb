//! The daily stock-flow model of the reception chain, for one path.
//!
//! ```text
//!  first applications ─► registration ─(cap)─► procedure ──► awaiting decision ─(IND capacity)─► decision
//!        (Poisson)        │   ▲ overflow        (Erlang)        (backlog)                          │
//!                         └───┘                                                     grant rate ─────┤
//!                                                                                                   ▼
//!  family reunification ──────────────────────────────► permit holders: matching ─► housing queue ─(housing task)─► housed
//!        (Poisson)                                                                                   │
//!                                                         rejected ─► return phase (Erlang) ─► departed
//! ```
//! The same chain runs twice: the general stream and unaccompanied minors (AMV). Both share
//! the registration centre and its cap. All stocks are whole persons; every flow of a day
//! is drawn from the stocks at the start of that day and then applied, so each stock obeys
//! `end = start + in − out` exactly and no stock goes negative.

use chrono::{Datelike, NaiveDate};
use spreiding_core::CoreError;

use crate::sample::{FixedPoisson, PathRng, Prob};
use crate::scenario::{MAX_PHASES, Scenario, Stream};

/// Days per year used to turn yearly rates into daily ones.
pub const DAYS_PER_YEAR: f64 = 365.25;

/// Stream index of the general stream.
pub const GENERAL: usize = 0;
/// Stream index of unaccompanied minors.
pub const AMV: usize = 1;

/// Stocks of one stream on one day (persons).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamState {
    pub registration: u32,
    /// Arrivals who found the registration centre full (crisis emergency reception).
    pub overflow: u32,
    /// Erlang phases of the preparation time.
    pub procedure: [u32; MAX_PHASES],
    /// The decision backlog.
    pub awaiting_decision: u32,
    /// Erlang phases of matching permit holders to a municipality.
    pub matching: [u32; MAX_PHASES],
    /// Matched permit holders waiting for a home within the housing task.
    pub housing_queue: u32,
    pub return_phase: [u32; MAX_PHASES],
}

impl StreamState {
    pub fn procedure_total(&self) -> u64 {
        self.procedure.iter().map(|&x| u64::from(x)).sum()
    }
    pub fn permit_holders(&self) -> u64 {
        self.matching.iter().map(|&x| u64::from(x)).sum::<u64>() + u64::from(self.housing_queue)
    }
    pub fn return_total(&self) -> u64 {
        self.return_phase.iter().map(|&x| u64::from(x)).sum()
    }
    /// Persons in reception in this stream.
    pub fn occupancy(&self) -> u64 {
        u64::from(self.registration)
            + u64::from(self.overflow)
            + self.procedure_total()
            + u64::from(self.awaiting_decision)
            + self.permit_holders()
            + self.return_total()
    }
    /// Every stock as a flat list (for invariant checks).
    pub fn all_stocks(&self) -> Vec<u32> {
        let mut v = vec![self.registration, self.overflow, self.awaiting_decision, self.housing_queue];
        v.extend_from_slice(&self.procedure);
        v.extend_from_slice(&self.matching);
        v.extend_from_slice(&self.return_phase);
        v
    }
}

/// State of one path: stocks of both streams and the inflow regime.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathState {
    pub streams: [StreamState; 2],
    pub regime: usize,
    /// The path's inflow level multiplier (drawn once).
    pub level: f64,
}

impl PathState {
    pub fn occupancy(&self) -> u64 {
        self.streams[GENERAL].occupancy() + self.streams[AMV].occupancy()
    }
}

/// The flows of one day, per stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayFlows {
    pub first_applications: [u32; 2],
    pub family_reunification: [u32; 2],
    pub decided: [u32; 2],
    pub granted: [u32; 2],
    pub housed: [u32; 2],
    pub departed: [u32; 2],
    /// Arrivals sent to overflow today.
    pub to_overflow: [u32; 2],
}

impl DayFlows {
    /// Persons entering reception today.
    pub fn inflow(&self) -> u64 {
        (0..2).map(|s| u64::from(self.first_applications[s]) + u64::from(self.family_reunification[s])).sum()
    }
    /// Persons leaving reception today.
    pub fn outflow(&self) -> u64 {
        (0..2).map(|s| u64::from(self.housed[s]) + u64::from(self.departed[s])).sum()
    }
}

/// Daily rates of one stream.
#[derive(Clone, Debug)]
pub struct StreamParams {
    pub first_per_day: f64,
    pub family_per_day: f64,
    /// `family_per_day` prepared for repeated Poisson draws.
    pub family: FixedPoisson,
    pub prep_phases: usize,
    pub p_prep: Prob,
    /// IND decisions per simulated day (index = day − 1); None = unlimited.
    pub decisions_per_day: Option<Vec<u32>>,
    pub grant_rate: Prob,
    pub match_phases: usize,
    pub p_match: Prob,
    /// Housing capacity per simulated day (index = day − 1); None = unlimited.
    pub housing_per_day: Option<Vec<u32>>,
    pub return_phases: usize,
    pub p_return: Prob,
}

/// An inflow regime in daily terms.
#[derive(Clone, Debug)]
pub struct RegimeParams {
    pub multiplier: f64,
    pub p_leave: f64,
    pub weight: f64,
}

/// Everything a path needs, compiled from a scenario for a start date and horizon.
#[derive(Clone, Debug)]
pub struct Model {
    pub start: NaiveDate,
    /// Number of simulated days; states exist for day 0 (start) to `days`.
    pub days: usize,
    /// Seasonal multiplier per simulated day (index = day − 1).
    pub season: Vec<f64>,
    pub regimes: Vec<RegimeParams>,
    pub level_sigma: f64,
    pub registration_capacity: u32,
    pub p_registration: Prob,
    pub streams: [StreamParams; 2],
    pub initial: [StreamState; 2],
    pub occupancy_target: f64,
}

impl Model {
    /// Compile a scenario for `start` and `days` simulated days.
    pub fn new(s: &Scenario, start: NaiveDate, days: usize) -> Result<Model, CoreError> {
        let mean_season = s.inflow.seasonality.iter().sum::<f64>() / 12.0;
        let date = |d: usize| start + chrono::Days::new(d as u64);
        let season = (1..=days).map(|d| s.inflow.seasonality[date(d).month0() as usize] / mean_season).collect();
        let regimes = s
            .inflow
            .regimes
            .iter()
            .map(|r| RegimeParams { multiplier: r.multiplier, p_leave: 1.0 / r.mean_days, weight: r.weight })
            .collect();
        let stream = |st: &Stream| -> StreamParams {
            let housing_per_day = st.housing.task_per_half_year.as_ref().map(|task| {
                whole_per_day((1..=days).map(|d| {
                    let dt = date(d);
                    let idx = half_year_index(dt) - half_year_index(start);
                    let t = task[(idx as usize).min(task.len() - 1)];
                    t * st.housing.realisation / half_year_days(dt)
                }))
            });
            let family_per_day =
                st.family_reunification_per_year * st.family_reunification_reception_share / DAYS_PER_YEAR;
            StreamParams {
                first_per_day: st.first_applications_per_year / DAYS_PER_YEAR,
                family_per_day,
                family: FixedPoisson::new(family_per_day),
                prep_phases: st.procedure.phases as usize,
                p_prep: Prob::new(f64::from(st.procedure.phases) / st.procedure.preparation_days),
                decisions_per_day: st
                    .procedure
                    .decisions_per_year
                    .map(|y| whole_per_day((1..=days).map(|_| y / DAYS_PER_YEAR))),
                grant_rate: Prob::new(st.procedure.grant_rate),
                match_phases: st.housing.phases as usize,
                p_match: Prob::new(f64::from(st.housing.phases) / st.housing.matching_days),
                housing_per_day,
                return_phases: st.return_phase.phases as usize,
                p_return: Prob::new(f64::from(st.return_phase.phases) / st.return_phase.mean_days),
            }
        };
        let streams = [stream(&s.general), stream(&s.amv)];
        let initial = [initial_state(&s.general, &streams[0]), initial_state(&s.amv, &streams[1])];
        Ok(Model {
            start,
            days,
            season,
            regimes,
            level_sigma: s.inflow.level_uncertainty,
            registration_capacity: s.registration.capacity,
            p_registration: Prob::new(1.0 / s.registration.mean_days),
            streams,
            initial,
            occupancy_target: s.scenario.occupancy_target,
        })
    }

    /// The date of day index `d` (0 = start).
    pub fn date(&self, d: usize) -> NaiveDate {
        self.start + chrono::Days::new(d as u64)
    }

    /// A path's starting state: the scenario's stocks, regime 0 and its level draw.
    pub fn initial_state(&self, rng: &mut PathRng) -> PathState {
        let level = if self.level_sigma > 0.0 {
            (self.level_sigma * rng.normal() - 0.5 * self.level_sigma * self.level_sigma).exp()
        } else {
            1.0
        };
        PathState { streams: self.initial, regime: 0, level }
    }

    /// Advance one path by one day (`day` = 1 for the first simulated day).
    // Indexed loops over the phases read like the model and keep the hot loop simple.
    #[allow(clippy::needless_range_loop)]
    pub fn step(&self, day: usize, st: &mut PathState, rng: &mut PathRng) -> DayFlows {
        let mut f = DayFlows::default();
        let inflow_mult = self.season[day - 1] * self.regimes[st.regime].multiplier * st.level;
        let mut arrivals = [0u32; 2];
        for s in 0..2 {
            let p = &self.streams[s];
            let x = &mut st.streams[s];
            // All outflows from the stocks at the start of the day.
            let reg_out = rng.binomial_p(x.registration, &self.p_registration);
            let mut prep_out = [0u32; MAX_PHASES];
            for i in 0..p.prep_phases {
                prep_out[i] = rng.binomial_p(x.procedure[i], &p.p_prep);
            }
            let capped_decisions = p.decisions_per_day.as_ref().map(|c| c[day - 1].min(x.awaiting_decision));
            let mut match_out = [0u32; MAX_PHASES];
            for i in 0..p.match_phases {
                match_out[i] = rng.binomial_p(x.matching[i], &p.p_match);
            }
            let capped_housed = p.housing_per_day.as_ref().map(|h| h[day - 1].min(x.housing_queue));
            let mut ret_out = [0u32; MAX_PHASES];
            for i in 0..p.return_phases {
                ret_out[i] = rng.binomial_p(x.return_phase[i], &p.p_return);
            }

            // Apply them.
            x.registration -= reg_out;
            let ready = shift_chain(&mut x.procedure, &prep_out, p.prep_phases, reg_out);
            let decided = match capped_decisions {
                Some(d) => {
                    x.awaiting_decision = x.awaiting_decision - d + ready;
                    d
                }
                None => ready,
            };
            let granted = rng.binomial_p(decided, &p.grant_rate);
            let family = rng.poisson_fixed(&p.family);
            let matched = shift_chain(&mut x.matching, &match_out, p.match_phases, granted + family);
            let housed = match capped_housed {
                Some(h) => {
                    x.housing_queue = x.housing_queue - h + matched;
                    h
                }
                None => matched,
            };
            let departed = shift_chain(&mut x.return_phase, &ret_out, p.return_phases, decided - granted);

            arrivals[s] = rng.poisson(p.first_per_day * inflow_mult);
            f.first_applications[s] = arrivals[s];
            f.family_reunification[s] = family;
            f.decided[s] = decided;
            f.granted[s] = granted;
            f.housed[s] = housed;
            f.departed[s] = departed;
        }

        // Registration: the centre holds at most its capacity. Waiting overflow goes first
        // (minors before adults), then today's arrivals (minors first); the rest waits.
        let [g, a] = &mut st.streams;
        let mut room = self.registration_capacity.saturating_sub(g.registration + a.registration);
        for x in [&mut *a, &mut *g] {
            let moved = x.overflow.min(room);
            x.overflow -= moved;
            x.registration += moved;
            room -= moved;
        }
        for (x, s) in [(a, AMV), (g, GENERAL)] {
            let n = arrivals[s];
            let admitted = n.min(room);
            x.registration += admitted;
            x.overflow += n - admitted;
            f.to_overflow[s] = n - admitted;
            room -= admitted;
        }

        // Regime switch at the end of the day.
        if self.regimes.len() > 1 && rng.uniform() < self.regimes[st.regime].p_leave {
            let total: f64 =
                self.regimes.iter().enumerate().filter(|(i, _)| *i != st.regime).map(|(_, r)| r.weight).sum();
            let mut u = rng.uniform() * total;
            let cur = st.regime;
            for (i, r) in self.regimes.iter().enumerate() {
                if i == cur || r.weight == 0.0 {
                    continue;
                }
                st.regime = i;
                if u < r.weight {
                    break;
                }
                u -= r.weight;
            }
        }
        f
    }

    /// Little's law for a scenario without caps, shocks or seasonality: the expected
    /// long-run occupancy = inflow per day × mean stay in days, summed over the streams.
    pub fn littles_law_occupancy(&self) -> f64 {
        self.streams
            .iter()
            .map(|p| {
                let reg = 1.0 / self.p_registration.p;
                let prep = p.prep_phases as f64 / p.p_prep.p;
                let matching = p.match_phases as f64 / p.p_match.p;
                let ret = p.return_phases as f64 / p.p_return.p;
                let g = p.grant_rate.p;
                p.first_per_day * (reg + prep + g * matching + (1.0 - g) * ret) + p.family_per_day * matching
            })
            .sum()
    }
}

/// Move persons along a chain of Erlang phases: phase i loses `out[i]` to phase i+1,
/// phase 0 gains `entering`; returns what leaves the last phase.
#[inline]
fn shift_chain(stock: &mut [u32; MAX_PHASES], out: &[u32; MAX_PHASES], n: usize, entering: u32) -> u32 {
    for i in 0..n {
        stock[i] -= out[i];
    }
    for i in 1..n {
        stock[i] += out[i - 1];
    }
    stock[0] += entering;
    out[n - 1]
}

fn half_year_index(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 2 + i64::from(d.month0() >= 6)
}

fn half_year_days(d: NaiveDate) -> f64 {
    let (from, to) = if d.month0() < 6 {
        (NaiveDate::from_ymd_opt(d.year(), 1, 1), NaiveDate::from_ymd_opt(d.year(), 7, 1))
    } else {
        (NaiveDate::from_ymd_opt(d.year(), 7, 1), NaiveDate::from_ymd_opt(d.year() + 1, 1, 1))
    };
    (to.expect("valid date") - from.expect("valid date")).num_days() as f64
}

/// Turn a capacity per day (a fraction) into whole persons per day whose running total
/// never drifts from the exact running total by a person or more. Capacities (IND
/// decisions, the housing task) are planned quantities, the same on every path.
fn whole_per_day(rates: impl Iterator<Item = f64>) -> Vec<u32> {
    let mut exact = 0.0f64;
    let mut given = 0u64;
    rates
        .map(|r| {
            exact += r;
            let now = exact.floor() as u64;
            let today = now - given;
            given = now;
            today as u32
        })
        .collect()
}

/// Spread `n` persons evenly over the first `k` phases.
fn spread(n: u32, k: usize) -> [u32; MAX_PHASES] {
    let mut v = [0u32; MAX_PHASES];
    let k32 = k as u32;
    for (i, slot) in v.iter_mut().enumerate().take(k) {
        *slot = n / k32 + u32::from((i as u32) < n % k32);
    }
    v
}

fn initial_state(s: &Stream, p: &StreamParams) -> StreamState {
    let st = &s.stocks;
    let (matching, queue) = if p.housing_per_day.is_some() {
        ([0; MAX_PHASES], st.permit_holders)
    } else {
        (spread(st.permit_holders, p.match_phases), 0)
    };
    let (procedure, awaiting) = if p.decisions_per_day.is_some() {
        (spread(st.procedure, p.prep_phases), st.awaiting_decision)
    } else {
        // Without a decision limit there is no queue: the backlog is still in procedure.
        (spread(st.procedure + st.awaiting_decision, p.prep_phases), 0)
    };
    StreamState {
        registration: st.registration,
        overflow: st.overflow,
        procedure,
        awaiting_decision: awaiting,
        matching,
        housing_queue: queue,
        return_phase: spread(st.return_phase, p.return_phases),
    }
}
