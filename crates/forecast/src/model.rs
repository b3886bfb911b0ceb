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

/// State of one path: stocks of both streams, the inflow regime and the path's draws of
/// the uncertain levels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathState {
    pub streams: [StreamState; 2],
    pub regime: usize,
    /// The path's inflow level multiplier (drawn once).
    pub level: f64,
    /// The path's multiplier on the IND decision capacity (drawn once; 1 when the scenario
    /// gives no `capacity_uncertainty`).
    pub decision_mult: f64,
    /// The path's multiplier on the housing supply (drawn once; 1 when the scenario gives
    /// no `supply_uncertainty`).
    pub housing_mult: f64,
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

/// A planned capacity (IND decisions, housing supply) in whole persons per day.
///
/// The same for every path unless the path draws a multiplier `m` on it (the scenario's
/// `capacity_uncertainty` / `supply_uncertainty`): then day `d` gives
/// `⌊m·C(d)⌋ − ⌊m·C(d−1)⌋` persons, where `C` is the exact running total, so the path's running
/// total never drifts from `m·C` by a person either.
#[derive(Clone, Debug)]
pub struct Capacity {
    /// Whole persons per day at `m = 1` (index = day − 1).
    pub per_day: Vec<u32>,
    /// Exact running total `C(d)` (index = day; `C(0) = 0`).
    pub cumulative: Vec<f64>,
}

impl Capacity {
    fn new(rates: impl Iterator<Item = f64>) -> Capacity {
        let mut cumulative = vec![0.0];
        let mut exact = 0.0f64;
        for r in rates {
            exact += r;
            cumulative.push(exact);
        }
        let per_day = cumulative.windows(2).map(|w| (w[1].floor() - w[0].floor()) as u32).collect();
        Capacity { per_day, cumulative }
    }

    /// Whole persons on day `day` (1-based) for a path with multiplier `m`.
    #[inline]
    pub fn on(&self, day: usize, m: f64) -> u32 {
        if m == 1.0 {
            self.per_day[day - 1]
        } else {
            ((self.cumulative[day] * m).floor() - (self.cumulative[day - 1] * m).floor()) as u32
        }
    }
}

/// Daily rates of one stream.
#[derive(Clone, Debug)]
pub struct StreamParams {
    /// Applications entering registration per day (first + repeat) in the first period,
    /// before seasonality, regime and level.
    pub first_per_day: f64,
    /// The same per simulated day (index = day − 1): the dated periods applied.
    pub arrivals_per_day: Vec<f64>,
    /// Arrivals with a permit who need a place (family members × reception share +
    /// resettled refugees) per day, in the first period.
    pub family_per_day: f64,
    /// `family_per_day` of each period, prepared for repeated Poisson draws.
    pub family: Vec<FixedPoisson>,
    pub prep_phases: usize,
    pub p_prep: Prob,
    /// IND decisions per simulated day; None = unlimited.
    pub decisions: Option<Capacity>,
    /// Grant rate of the first period.
    pub grant_rate: Prob,
    /// Grant rate of each period.
    pub grant: Vec<Prob>,
    /// Period index of each simulated day (index = day − 1).
    pub period_of_day: Vec<u16>,
    pub match_phases: usize,
    pub p_match: Prob,
    /// Housing capacity per simulated day; None = unlimited.
    pub housing: Option<Capacity>,
    pub return_phases: usize,
    pub p_return: Prob,
}

/// A stream's values in one dated period, after applying its overrides.
#[derive(Clone, Copy, Debug)]
struct PeriodValues {
    from: Option<NaiveDate>,
    arrivals_per_year: f64,
    permit_arrivals_per_year: f64,
    decisions_per_year: Option<f64>,
    grant_rate: f64,
}

/// The dated periods of a stream, each with its full set of values (a key a period leaves
/// out keeps the value of the period before it).
fn stream_periods(st: &Stream) -> Vec<PeriodValues> {
    let mut first = st.first_applications_per_year;
    let mut repeat = st.repeat_applications_per_year;
    let mut family = st.family_reunification_per_year;
    let mut resettled = st.resettlement_per_year;
    let mut decisions = st.procedure.decisions_per_year;
    let mut grant = st.procedure.grant_rate;
    let share = st.family_reunification_reception_share;
    let values = |from, first: f64, repeat: f64, family: f64, resettled: f64, decisions, grant| PeriodValues {
        from,
        arrivals_per_year: first + repeat,
        permit_arrivals_per_year: family * share + resettled,
        decisions_per_year: decisions,
        grant_rate: grant,
    };
    let mut out = vec![values(None, first, repeat, family, resettled, decisions, grant)];
    for p in &st.periods {
        first = p.first_applications_per_year.unwrap_or(first);
        repeat = p.repeat_applications_per_year.unwrap_or(repeat);
        family = p.family_reunification_per_year.unwrap_or(family);
        resettled = p.resettlement_per_year.unwrap_or(resettled);
        decisions = p.decisions_per_year.or(decisions);
        grant = p.grant_rate.unwrap_or(grant);
        let from = crate::scenario::parse_date(&p.from).ok();
        out.push(values(from, first, repeat, family, resettled, decisions, grant));
    }
    out
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
    /// Log-sd of the per-path decision-capacity multiplier (shared by both streams: one IND).
    pub decision_sigma: f64,
    /// Log-sd of the per-path housing-supply multiplier (shared by both streams: one
    /// housing market).
    pub housing_sigma: f64,
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
            let periods = stream_periods(st);
            // Period of each day: the last period whose `from` is on or before that day.
            let period_of_day: Vec<u16> = (1..=days)
                .map(|d| {
                    let dt = date(d);
                    periods.iter().rposition(|p| p.from.is_none_or(|f| f <= dt)).unwrap_or(0) as u16
                })
                .collect();
            let housing = st.housing.task_per_half_year.as_ref().map(|task| {
                Capacity::new((1..=days).map(|d| {
                    let dt = date(d);
                    let idx = half_year_index(dt) - half_year_index(start);
                    let t = task[(idx.max(0) as usize).min(task.len() - 1)];
                    t * st.housing.realisation / half_year_days(dt)
                }))
            });
            let decisions = st.procedure.decisions_per_year.map(|_| {
                Capacity::new(period_of_day.iter().map(|&k| {
                    periods[k as usize].decisions_per_year.expect("checked: a limit once set stays set") / DAYS_PER_YEAR
                }))
            });
            let p0 = periods[0];
            StreamParams {
                first_per_day: p0.arrivals_per_year / DAYS_PER_YEAR,
                arrivals_per_day: period_of_day
                    .iter()
                    .map(|&k| periods[k as usize].arrivals_per_year / DAYS_PER_YEAR)
                    .collect(),
                family_per_day: p0.permit_arrivals_per_year / DAYS_PER_YEAR,
                family: periods.iter().map(|p| FixedPoisson::new(p.permit_arrivals_per_year / DAYS_PER_YEAR)).collect(),
                prep_phases: st.procedure.phases as usize,
                p_prep: Prob::new(f64::from(st.procedure.phases) / st.procedure.preparation_days),
                decisions,
                grant_rate: Prob::new(p0.grant_rate),
                grant: periods.iter().map(|p| Prob::new(p.grant_rate)).collect(),
                period_of_day,
                match_phases: st.housing.phases as usize,
                p_match: Prob::new(f64::from(st.housing.phases) / st.housing.matching_days),
                housing,
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
            decision_sigma: s.general.procedure.capacity_uncertainty,
            housing_sigma: s.general.housing.supply_uncertainty,
        })
    }

    /// The date of day index `d` (0 = start).
    pub fn date(&self, d: usize) -> NaiveDate {
        self.start + chrono::Days::new(d as u64)
    }

    /// A path's starting state: the scenario's stocks, regime 0 and its draws of the
    /// uncertain levels (each a log-normal multiplier with mean 1, drawn only when its
    /// uncertainty is above 0, so scenarios without it keep their random streams).
    pub fn initial_state(&self, rng: &mut PathRng) -> PathState {
        let mut draw = |sigma: f64| if sigma > 0.0 { (sigma * rng.normal() - 0.5 * sigma * sigma).exp() } else { 1.0 };
        let level = draw(self.level_sigma);
        let decision_mult = draw(self.decision_sigma);
        let housing_mult = draw(self.housing_sigma);
        PathState { streams: self.initial, regime: 0, level, decision_mult, housing_mult }
    }

    /// Advance one path by one day (`day` = 1 for the first simulated day).
    // Indexed loops over the phases read like the model and keep the hot loop simple.
    #[allow(clippy::needless_range_loop)]
    pub fn step(&self, day: usize, st: &mut PathState, rng: &mut PathRng) -> DayFlows {
        let mut f = DayFlows::default();
        let inflow_mult = self.season[day - 1] * self.regimes[st.regime].multiplier * st.level;
        let mut arrivals = [0u32; 2];
        let (decision_mult, housing_mult) = (st.decision_mult, st.housing_mult);
        for s in 0..2 {
            let p = &self.streams[s];
            let x = &mut st.streams[s];
            // All outflows from the stocks at the start of the day.
            let reg_out = rng.binomial_p(x.registration, &self.p_registration);
            let mut prep_out = [0u32; MAX_PHASES];
            for i in 0..p.prep_phases {
                prep_out[i] = rng.binomial_p(x.procedure[i], &p.p_prep);
            }
            let period = p.period_of_day[day - 1] as usize;
            let capped_decisions = p.decisions.as_ref().map(|c| c.on(day, decision_mult).min(x.awaiting_decision));
            let mut match_out = [0u32; MAX_PHASES];
            for i in 0..p.match_phases {
                match_out[i] = rng.binomial_p(x.matching[i], &p.p_match);
            }
            let capped_housed = p.housing.as_ref().map(|h| h.on(day, housing_mult).min(x.housing_queue));
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
            let granted = rng.binomial_p(decided, &p.grant[period]);
            let family = rng.poisson_fixed(&p.family[period]);
            let matched = shift_chain(&mut x.matching, &match_out, p.match_phases, granted + family);
            let housed = match capped_housed {
                Some(h) => {
                    x.housing_queue = x.housing_queue - h + matched;
                    h
                }
                None => matched,
            };
            let departed = shift_chain(&mut x.return_phase, &ret_out, p.return_phases, decided - granted);

            arrivals[s] = rng.poisson(p.arrivals_per_day[day - 1] * inflow_mult);
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
    let (matching, queue) = if p.housing.is_some() {
        ([0; MAX_PHASES], st.permit_holders)
    } else {
        (spread(st.permit_holders, p.match_phases), 0)
    };
    let (procedure, awaiting) = if p.decisions.is_some() {
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
