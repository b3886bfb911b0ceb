//! One simulated path: every day of the horizon, for the whole chain.
//!
//! A day, in order:
//! 1. **Demand.** The forecast's stock-flow model (`spreiding_forecast::Model`, its inflow,
//!    procedure, housing and return) advances one day with the path's own generator, so the
//!    persons in reception are exactly those of `spreiding forecast` for the same seed and
//!    path (the registration cap is lifted there: here, the registration centre fills up
//!    when downstream places are short). The calibration run uses published totals instead.
//! 2. **Openings** that are due open.
//! 3. On the first of a month **COA plans**: contract ends that are not extended close;
//!    emergency places no longer needed close early (crisis first), and temporary ones when
//!    nobody is in emergency reception; noodopvang is opened for whoever has no regular
//!    place (within the monthly build rate, after its lead time); before the law (calibration
//!    only) durable places are asked ad hoc each quarter.
//! 4. **The cycle** (Wet art. 2–6) on its dates: the forecast and the indicative tasks (core
//!    key), offers by the municipalities (behaviour), the CdK report, the distribution decision
//!    (core rule) when it binds, designation and realisation.
//! 5. **Allocation** of persons to the open places ([`crate::alloc`]); whoever has none waits
//!    in the registration centre, and crisisnoodopvang is opened for them (2 days).
//! 6. **Accounting**: moves (closures, transfers, background), costs per type per bed-day,
//!    nights above the registration cap, quality, and the monthly series.

use chrono::{Datelike, NaiveDate};
use spreiding_forecast::Model;
use spreiding_forecast::model::PathState;
use spreiding_forecast::sample::PathRng;

use crate::alloc::{self, AMV, Allocation, CHILD, NGROUPS, OTHER, Usable, VULNERABLE, allocate};
use crate::behaviour::{Municipalities, find_host};
use crate::capacity::{Capacity, CapacityType, NTYPES};
use crate::law::{self, ContractYears, Existing, Geography, Key, Plan, QualityVerdicts, Rule, Task};
use crate::metrics::{NSCALARS, NSERIES, Scalar, Series};
use crate::params::Values;
use crate::policy::{BehaviourValues, Policy, Rules};
use crate::rng::{Keyed, Purpose};

const DAYS_PER_YEAR: f64 = 365.25;

/// Where the persons in reception come from.
#[derive(Clone, Debug)]
pub enum Demand {
    /// The forecast's stock-flow model, compiled for the start date and horizon.
    Forecast(Box<Model>),
    /// Published totals, one per day from day 0 (calibration).
    Observed(Vec<u32>),
}

/// Capacity on the start date, by type.
#[derive(Clone, Debug, PartialEq)]
pub struct Initial {
    pub durable: u32,
    pub temporary: u32,
    pub amv_small: u32,
    pub nood: u32,
    pub crisis: u32,
    /// Who hosts it: places per municipality per type to spread each type's total over (in
    /// proportion; e.g. the end of the calibrated history run on the same path). None, or a
    /// type without any host, places locations with the behaviour model instead.
    pub hosts: Option<Vec<[f64; NTYPES]>>,
}

/// The dates of one cycle as day indices from the start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CycleDays {
    pub year: i32,
    pub forecast: usize,
    pub report: usize,
    pub decision: usize,
    pub realisation: usize,
}

/// A policy compiled for one horizon.
#[derive(Clone, Debug)]
pub struct Compiled {
    pub id: String,
    pub rules: Rules,
    pub behaviour: BehaviourValues,
    pub key: Key,
    pub rule: Rule,
    pub cycles: Vec<CycleDays>,
    /// Last day of ad-hoc durable asks (None: never).
    pub adhoc_until: Option<usize>,
}

impl Compiled {
    pub fn new(p: &Policy, geo: &Geography, start: NaiveDate, days: usize) -> Result<Compiled, crate::SimError> {
        let r = &p.rules;
        let day_of = |d: NaiveDate| (d - start).num_days();
        let mut cycles = Vec::new();
        let mut y = r.first_cycle;
        loop {
            let f = day_of(r.forecast_date.in_year(y));
            if f > days as i64 {
                break;
            }
            if f >= 1 {
                let decision = r.decision_date.in_year(y);
                let realisation =
                    decision.checked_add_months(chrono::Months::new(r.realisation_months)).expect("in range");
                cycles.push(CycleDays {
                    year: y,
                    forecast: f as usize,
                    report: day_of(r.report_date.in_year(y)) as usize,
                    decision: day_of(decision) as usize,
                    realisation: day_of(realisation) as usize,
                });
            }
            y += r.cycle_years;
        }
        let mut behaviour = p.values();
        if r.full_willingness {
            behaviour = BehaviourValues {
                offer_rate: 1.0,
                realisation_rate: 1.0,
                designation_compliance: 1.0,
                offer_delay_days: 0.0,
                designation_delay_days: 0.0,
            };
        }
        let mut key = Key::new(&r.key)?;
        key.prepare(geo)?;
        Ok(Compiled {
            id: p.meta.id.clone(),
            rules: r.clone(),
            behaviour,
            key,
            rule: Rule::new(&r.designation, &r.over_delivery, &r.method)?,
            cycles,
            adhoc_until: r.adhoc_durable_until.map(|d| day_of(d).max(0) as usize),
        })
    }
}

/// Everything a path needs that is the same for every path.
#[derive(Clone, Debug)]
pub struct Setup<'a> {
    pub geo: &'a Geography,
    pub params: Values,
    /// Fixed national totals per cycle year (published forecasts): (year, total, amv).
    pub fixed_forecasts: Vec<(i32, u64, u64)>,
    pub policy: Compiled,
    pub demand: &'a Demand,
    pub start: NaiveDate,
    pub days: usize,
    pub initial: Initial,
    pub quality: &'a QualityVerdicts,
}

/// What one cycle produced on a path (for the out-of-sample check and the report).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct CycleOutcome {
    pub year: i32,
    pub national_total: u64,
    pub credited: u64,
    /// Places offered in the CdK report (before 1 Nov).
    pub offered_in_plan: u64,
    /// (credited + offered in the plan) ÷ national total: "found" by the report.
    pub plan_share: f64,
    /// Places assigned to municipalities by the binding decision.
    pub designated: u64,
    /// Places of regular types (durable, temporary, AMV, registration) open at the end of the
    /// realisation period ÷ national total; None when that lies beyond the horizon.
    pub realised_share: Option<f64>,
}

/// One day's record, kept only when a trace is asked for (tests, debugging).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DayRecord {
    pub date: NaiveDate,
    /// Open places per type (registration = its cap).
    pub places: [u32; NTYPES],
    /// Residents per type (registration: within its cap).
    pub residents: [u32; NTYPES],
    /// Persons above the registration cap (overflow, night shelters).
    pub overflow: u32,
    /// Persons in reception on that day, as the demand says.
    pub persons: u64,
    pub opened: [u32; NTYPES],
    pub cost_cents: u128,
}

/// The outcome of one path.
#[derive(Clone, Debug)]
pub struct PathOutcome {
    pub scalars: [f64; NSCALARS],
    /// One row per month (day 0 and every first of the month).
    pub series: Vec<[f32; NSERIES]>,
    pub cycles: Vec<CycleOutcome>,
    pub trace: Option<Vec<DayRecord>>,
    /// Places per municipality per type at the end (for the fairness of the spread).
    pub hosts_end: Vec<[f64; NTYPES]>,
    /// Places per wealth quartile (poorest first) on the calibration snapshot day, if asked.
    pub snapshot: Option<Snapshot>,
}

/// A cross-section on one day (calibration targets).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub day: usize,
    /// Share of all places hosted by each wealth quartile, poorest first.
    pub quartile_shares: [f64; 4],
    pub hosting_none: f64,
    pub gini: f64,
}

/// Unit costs in euro cents, per type: (occupied, empty, opening).
#[derive(Clone, Copy, Debug)]
struct Costs {
    occupied: [u64; NTYPES],
    empty: [u64; NTYPES],
    open: [u64; NTYPES],
    shelter_fixed: u64,
    shelter_person: u64,
    shelter_beds: u32,
    penalty: u64,
}

fn cents(eur: f64) -> u64 {
    (eur * 100.0).round().max(0.0) as u64
}

impl Costs {
    fn new(v: &Values) -> Costs {
        use CapacityType::*;
        let mut occupied = [0; NTYPES];
        let mut empty = [0; NTYPES];
        let mut open = [0; NTYPES];
        for (t, o, e, op) in [
            (Durable, v.cost_regular_occupied, v.cost_regular_empty, v.cost_open_durable),
            (Temporary, v.cost_temporary_occupied, v.cost_temporary_empty, v.cost_open_durable),
            (AmvSmall, v.cost_amv_occupied, v.cost_amv_empty, v.cost_open_durable),
            (Nood, v.cost_nood_occupied, v.cost_nood_empty, v.cost_open_nood),
            (Crisis, v.cost_crisis_occupied, v.cost_crisis_empty, v.cost_open_crisis),
            (Registration, v.cost_registration_occupied, v.cost_registration_empty, 0.0),
        ] {
            occupied[t.index()] = cents(o);
            empty[t.index()] = cents(e);
            open[t.index()] = cents(op);
        }
        Costs {
            occupied,
            empty,
            open,
            shelter_fixed: cents(v.cost_shelter_fixed),
            shelter_person: cents(v.cost_shelter_person),
            shelter_beds: v.shelter_beds.round().max(1.0) as u32,
            penalty: cents(v.cost_penalty_night),
        }
    }
}

/// Cost of one day in cents: every place of every type, occupied or empty, the registration
/// overflow in night shelters, the penalty, and the places opened today.
pub fn day_cost_cents(
    places: &[u32; NTYPES],
    residents: &[u32; NTYPES],
    overflow: u32,
    opened: &[u32; NTYPES],
    v: &Values,
) -> u128 {
    let c = Costs::new(v);
    day_cost(&c, places, residents, overflow, opened)
}

fn day_cost(
    c: &Costs,
    places: &[u32; NTYPES],
    residents: &[u32; NTYPES],
    overflow: u32,
    opened: &[u32; NTYPES],
) -> u128 {
    let mut total: u128 = 0;
    for k in 0..NTYPES {
        let occ = residents[k].min(places[k]);
        total += u128::from(occ) * u128::from(c.occupied[k]);
        total += u128::from(places[k] - occ) * u128::from(c.empty[k]);
        total += u128::from(opened[k]) * u128::from(c.open[k]);
    }
    if overflow > 0 {
        let shelters = overflow.div_ceil(c.shelter_beds);
        total += u128::from(shelters) * u128::from(c.shelter_fixed);
        total += u128::from(overflow) * u128::from(c.shelter_person);
        total += u128::from(c.penalty);
    }
    total
}

/// Persons in reception on one day, by place in the chain.
#[derive(Clone, Copy, Debug, Default)]
struct DayDemand {
    general: u32,
    amv: u32,
    registration: u32,
    exits: u32,
}

// One per simulated path, held by value for the whole run and never in a collection, so the
// size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
enum DemandState<'a> {
    Forecast { model: &'a Model, st: Box<PathState>, rng: PathRng },
    Observed(&'a [u32]),
}

impl DemandState<'_> {
    fn now(&self, day: usize, v: &Values) -> DayDemand {
        match self {
            DemandState::Forecast { st, .. } => {
                let [g, a] = &st.streams;
                DayDemand {
                    general: (g.occupancy() - u64::from(g.registration)) as u32,
                    amv: (a.occupancy() - u64::from(a.registration)) as u32,
                    registration: g.registration + a.registration,
                    exits: 0,
                }
            }
            DemandState::Observed(totals) => {
                let total = totals[day.min(totals.len() - 1)];
                let reg = (v.history_registration as u32).min(total);
                let down = total - reg;
                let amv = (f64::from(down) * v.amv_share).round() as u32;
                DayDemand { general: down - amv, amv, registration: reg, exits: 0 }
            }
        }
    }

    fn step(&mut self, day: usize, v: &Values) -> DayDemand {
        match self {
            DemandState::Forecast { model, st, rng } => {
                let f = model.step(day, st, rng);
                let mut d = DemandState::now_of(st);
                d.exits = f.outflow() as u32;
                d
            }
            DemandState::Observed(_) => self.now(day, v),
        }
    }

    fn now_of(st: &PathState) -> DayDemand {
        let [g, a] = &st.streams;
        DayDemand {
            general: (g.occupancy() - u64::from(g.registration)) as u32,
            amv: (a.occupancy() - u64::from(a.registration)) as u32,
            registration: g.registration + a.registration,
            exits: 0,
        }
    }
}

/// Persons per group from the demand.
fn groups(d: &DayDemand, v: &Values) -> [u32; NGROUPS] {
    let children = (f64::from(d.general) * v.children_share).round().min(f64::from(d.general)) as u32;
    let adults = d.general - children;
    let vulnerable = (f64::from(adults) * v.vulnerable_share).round().min(f64::from(adults)) as u32;
    let mut g = [0; NGROUPS];
    g[OTHER] = adults - vulnerable;
    g[VULNERABLE] = vulnerable;
    g[CHILD] = children;
    g[AMV] = d.amv;
    g
}

fn usable(cap: &Capacity, share: f64) -> Usable {
    let u = |t: CapacityType| (f64::from(cap.places[t.index()]) * share).floor() as u32;
    Usable {
        durable: u(CapacityType::Durable),
        temporary: u(CapacityType::Temporary),
        amv_small: u(CapacityType::AmvSmall),
        nood: u(CapacityType::Nood),
        crisis: u(CapacityType::Crisis),
    }
}

/// Residents per location type (registration excluded) in `CapacityType` order.
fn residents_of(a: &Allocation) -> [u32; 5] {
    [a.durable, a.temporary, a.amv_small, a.nood(), a.crisis()]
}

/// Spread `total` whole places over units in proportion to `weights` (largest remainder,
/// ties to the lower index).
pub fn spread(total: u32, weights: &[f64]) -> Vec<u32> {
    let sum: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| f64::from(total) * w / sum).collect();
    let mut out: Vec<u32> = exact.iter().map(|x| x.floor() as u32).collect();
    let given: u32 = out.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for &i in order.iter().take((total - given) as usize) {
        out[i] += 1;
    }
    out
}

/// Lognormal size with the given median, at least 1.
fn size(keyed: &Keyed, p: Purpose, a: u64, b: u64, median: f64, sd: f64) -> u32 {
    (median * (sd * keyed.normal(p, a, b)).exp()).round().max(1.0) as u32
}

/// Gini coefficient of non-negative values (0 = equal; mean absolute difference / (2 · mean)),
/// from the sorted values.
pub fn gini(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let sum: f64 = values.iter().sum();
    if sum <= 0.0 {
        return 0.0;
    }
    let weighted: f64 = values.iter().enumerate().map(|(i, x)| (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * x).sum();
    weighted / (n as f64 * sum)
}

/// Places per 1,000 inhabitants in every municipality, Gini and share hosting none.
fn fairness(cap: &Capacity, pop: &[f64], scratch: &mut Vec<f64>) -> (f64, f64) {
    scratch.clear();
    let mut none = 0usize;
    for (h, p) in cap.hosts.iter().zip(pop) {
        let places: f64 = h.iter().sum();
        if places < 0.5 {
            none += 1;
        }
        scratch.push(places / p * 1000.0);
    }
    let g = gini(scratch);
    (g, none as f64 / pop.len() as f64)
}

struct CycleState {
    /// Places moved between municipalities by the provincial table (Σ per province = 0).
    swaps: Vec<i64>,
    days: CycleDays,
    index: u64,
    total: u64,
    tasks: Vec<Task>,
    offered_in_plan: Vec<u64>,
    late_offer: Vec<u64>,
    outcome: CycleOutcome,
}

/// Simulate one path. `snapshot_day`: take a calibration cross-section on that day.
/// `start_hosts`: who hosts the starting capacity (overrides `setup.initial.hosts`).
pub fn simulate(
    setup: &Setup,
    seed: u64,
    path: u64,
    trace: bool,
    snapshot_day: Option<usize>,
    start_hosts: Option<&[[f64; NTYPES]]>,
) -> PathOutcome {
    let v = &setup.params;
    let geo = setup.geo;
    let n = geo.len();
    let keyed = Keyed::new(seed, path);
    let pol = &setup.policy;
    let beh = pol.behaviour;
    let munis = Municipalities::new(&geo.population, v, &keyed, pol.rules.full_willingness);
    let costs = Costs::new(v);
    let u = v.usable_share;
    let reg_cap = v.registration_capacity.round() as u32;

    // Demand.
    let mut demand = match setup.demand {
        Demand::Forecast(model) => {
            let mut rng = PathRng::new(seed, path);
            let st = Box::new(model.initial_state(&mut rng));
            DemandState::Forecast { model, st, rng }
        }
        Demand::Observed(t) => DemandState::Observed(t),
    };

    // Starting capacity: locations of median size, hosts found by the behaviour model.
    let mut cap = Capacity::new(n);
    cap.open_now(CapacityType::Registration, geo.registration_host, reg_cap);
    let init = &setup.initial;
    let mut loc_id = 0u64;
    for (t, total, median) in [
        (CapacityType::Durable, init.durable, v.size_regular),
        (CapacityType::Temporary, init.temporary, v.size_temporary),
        (CapacityType::AmvSmall, init.amv_small, v.size_amv),
        (CapacityType::Nood, init.nood, v.size_nood),
        (CapacityType::Crisis, init.crisis, v.size_crisis),
    ] {
        let mut left = total;
        if let Some(w) = start_hosts.or(init.hosts.as_deref()) {
            let weights: Vec<f64> = w.iter().map(|h| h[t.index()].max(0.0)).collect();
            let sum: f64 = weights.iter().sum();
            if sum >= 1.0 {
                for (i, places) in spread(total, &weights).into_iter().enumerate() {
                    if places > 0 {
                        cap.open_now(t, i, places);
                    }
                }
                left = 0;
            }
        }
        while left > 0 {
            loc_id += 1;
            let want = size(&keyed, Purpose::InitialSize, loc_id, 0, median, v.size_sd).min(left);
            let durable = !t.is_emergency();
            let hosts = &cap.hosts;
            match find_host(
                &munis,
                &keyed,
                Purpose::InitialHost,
                Purpose::InitialAccept,
                loc_id,
                want,
                durable,
                |i| hosts[i].iter().sum(),
                |_| false,
            ) {
                Some((i, places)) => {
                    cap.open_now(t, i, places);
                    left -= places;
                }
                None => break,
            }
        }
    }

    // The state's own durable places (a national programme): open from the first day, on
    // state sites spread by inhabitants. They are not municipal places: they do not count
    // against a municipality's task and do not make it a host in the behaviour model. They
    // close with the other durable places at contract ends (`state_decay`).
    let mut state_init = vec![0.0f64; n];
    let mut state_decay = 1.0f64;
    if pol.rules.extra_durable_places > 0 {
        for (i, places) in spread(pol.rules.extra_durable_places, &munis.population).into_iter().enumerate() {
            if places > 0 {
                cap.open_now(CapacityType::Durable, i, places);
                state_init[i] = f64::from(places);
            }
        }
    }

    let years = ContractYears {
        durable: (v.contract_durable_months / 12.0).floor() as u32,
        temporary: (v.contract_temporary_months / 12.0).floor() as u32,
        amv: (v.contract_amv_months / 12.0).floor() as u32,
    };

    let mut acc = [0f64; NSCALARS];
    let mut series: Vec<[f32; NSERIES]> = Vec::with_capacity(setup.days / 28 + 2);
    let mut trace_rows = if trace { Some(Vec::with_capacity(setup.days + 1)) } else { None };
    let mut scratch = Vec::with_capacity(n);
    let mut occupancy_history: Vec<u32> = Vec::with_capacity(setup.days + 1);
    let mut cycles: Vec<CycleState> = Vec::new();
    let mut outcomes: Vec<CycleOutcome> = Vec::new();
    let mut snapshot = None;

    let mut dem = demand.now(0, v);
    let mut alloc_prev = allocate(groups(&dem, v), usable(&cap, u), v.court_priority);
    let mut res_prev = residents_of(&alloc_prev);
    let mut month_cost: u128 = 0;
    let mut total_cost: u128 = 0;
    let mut moves_counted = 0u64;
    let mut moves_background = 0f64;
    let mut fairness_sum = (0.0, 0.0, 0usize);
    let mut quality_pass_days = 0f64;
    let mut place_days = 0f64;

    let record_month = |series: &mut Vec<[f32; NSERIES]>,
                        a: &Allocation,
                        d: &DayDemand,
                        cap: &Capacity,
                        month_cost: u128,
                        fair: (f64, f64)| {
        let persons = a.total() + u64::from(d.registration);
        let em = u64::from(a.nood()) + u64::from(a.crisis());
        let mut row = [0f32; NSERIES];
        row[Series::EmergencyShare as usize] = if persons > 0 { em as f32 / persons as f32 } else { 0.0 };
        row[Series::ChildrenInEmergency as usize] = (a.nood_by_group[CHILD] + a.crisis_by_group[CHILD]) as f32;
        row[Series::RegistrationOccupancy as usize] = (d.registration + a.waiting()) as f32;
        row[Series::Persons as usize] = persons as f32;
        row[Series::Durable as usize] = cap.places[CapacityType::Durable.index()] as f32;
        row[Series::Temporary as usize] = cap.places[CapacityType::Temporary.index()] as f32;
        row[Series::AmvSmall as usize] = cap.places[CapacityType::AmvSmall.index()] as f32;
        row[Series::Nood as usize] = cap.places[CapacityType::Nood.index()] as f32;
        row[Series::Crisis as usize] = cap.places[CapacityType::Crisis.index()] as f32;
        row[Series::Gini as usize] = fair.0 as f32;
        row[Series::HostingNone as usize] = fair.1 as f32;
        row[Series::CostMonth as usize] = (month_cost as f64 / 100.0) as f32;
        series.push(row);
    };
    let fair0 = fairness(&cap, &munis.population, &mut scratch);
    record_month(&mut series, &alloc_prev, &dem, &cap, 0, fair0);
    occupancy_history.push((alloc_prev.total() + u64::from(dem.registration)) as u32);
    if let Some(rows) = trace_rows.as_mut() {
        rows.push(day_record(setup.start, &cap, &alloc_prev, &dem, reg_cap, [0; NTYPES], 0));
    }

    for day in 1..=setup.days {
        let date = setup.start + chrono::Days::new(day as u64);
        // 1. Demand.
        dem = demand.step(day, v);
        // 2. Openings due.
        let opened = cap.open_due(day as u32);
        let places_before = cap.places;
        let mut closed = [0u32; NTYPES];

        // 3. COA's monthly planning.
        if date.day() == 1 {
            let month =
                ((date.year() - setup.start.year()) * 12 + date.month0() as i32 - setup.start.month0() as i32) as u64;
            let durable_before = cap.places[CapacityType::Durable.index()];
            plan_month(&mut cap, &mut closed, &alloc_prev, v, &pol.rules, &munis, &keyed, month, day, &mut loc_id);
            if durable_before > 0 {
                state_decay *= f64::from(cap.places[CapacityType::Durable.index()]) / f64::from(durable_before);
            }
            if let Some(until) = pol.adhoc_until
                && day <= until
                && date.month0() % 3 == 0
            {
                adhoc_durable(&mut cap, &dem, v, pol, &munis, &keyed, month, day);
            }
        }

        // 4. The cycle.
        for c in &pol.cycles {
            if c.forecast == day {
                let index = c.year as u64;
                let (total, amv) = match setup.fixed_forecasts.iter().find(|f| f.0 == c.year) {
                    Some(&(_, t, a)) => (t, a),
                    None => {
                        let now = *occupancy_history.last().expect("day 0 recorded") as f64;
                        let growth = if day > 365 {
                            let then = f64::from(occupancy_history[day - 365].max(1));
                            let target = NaiveDate::from_ymd_opt(c.year + 1, 1, 1).expect("valid");
                            let ahead = (target - date).num_days() as f64 / 365.0;
                            (now / then).powf(ahead).clamp(0.7, 1.5)
                        } else {
                            1.0
                        };
                        let s = v.forecast_error_sd;
                        let err = (s * keyed.normal(Purpose::ForecastError, index, 0) - 0.5 * s * s).exp();
                        let total = (now * growth / v.occupancy_norm * err).ceil().max(1.0) as u64;
                        (total, (total as f64 * v.amv_share).round() as u64)
                    }
                };
                let existing: Vec<Existing> = cap
                    .hosts
                    .iter()
                    .zip(&state_init)
                    .map(|(h, s)| Existing {
                        durable: (h[CapacityType::Durable.index()] - s * state_decay).max(0.0).floor() as u64,
                        temporary: h[CapacityType::Temporary.index()].floor() as u64,
                        amv_small: h[CapacityType::AmvSmall.index()].floor() as u64,
                        registration: h[CapacityType::Registration.index()].floor() as u64,
                    })
                    .collect();
                let mut tasks =
                    law::tasks(geo, &pol.key, total, amv, &existing, years).expect("the key runs on the bundled data");
                let swaps = table_swaps(geo, &mut tasks);
                let hosts_now: Vec<bool> = (0..n).map(|i| cap.hosted(i) - state_init[i] * state_decay >= 1.0).collect();
                let p_offer = munis.offer_probabilities(&hosts_now, beh.offer_rate);
                let mut st = CycleState {
                    swaps,
                    days: *c,
                    index,
                    total,
                    offered_in_plan: vec![0; n],
                    late_offer: vec![0; n],
                    outcome: CycleOutcome {
                        year: c.year,
                        national_total: total,
                        credited: tasks.iter().map(|t| t.credited).sum(),
                        ..Default::default()
                    },
                    tasks,
                };
                let window = (c.report - c.forecast).max(2) - 1;
                for i in 0..n {
                    let t = st.tasks[i];
                    if t.remaining == 0 || keyed.uniform(Purpose::Offer, index, i as u64) >= p_offer[i] {
                        continue;
                    }
                    let mut offer_day =
                        c.forecast + 1 + (keyed.uniform(Purpose::OfferDate, index, i as u64) * window as f64) as usize;
                    if beh.offer_delay_days > 0.0 {
                        let e = -(1.0 - keyed.uniform(Purpose::OfferDelay, index, i as u64)).ln();
                        offer_day += (e * beh.offer_delay_days).round() as usize;
                    }
                    if offer_day < c.report {
                        st.offered_in_plan[i] = t.remaining;
                    } else {
                        st.late_offer[i] = t.remaining;
                    }
                    if keyed.uniform(Purpose::Realise, index, i as u64) < beh.realisation_rate {
                        let amv_gap = t.amv.saturating_sub(existing[i].amv_small);
                        schedule_places(&mut cap, v, &pol.rules, &keyed, index, i, offer_day, t.remaining, amv_gap, 0);
                    }
                }
                cycles.push(st);
            }
        }
        for st in &mut cycles {
            if st.days.report == day {
                let plan: u64 = st.tasks.iter().zip(&st.offered_in_plan).map(|(t, o)| t.credited + o).sum();
                st.outcome.offered_in_plan = st.offered_in_plan.iter().sum();
                st.outcome.plan_share = plan as f64 / st.total as f64;
            }
            if st.days.decision == day && pol.rules.binding_decision {
                let plans: Vec<Plan> = (0..n)
                    .map(|i| Plan {
                        task: st.tasks[i].task,
                        swap: st.swaps[i],
                        credited: st.tasks[i].credited,
                        offered: st.offered_in_plan[i],
                    })
                    .collect();
                let decision_date = setup.start + chrono::Days::new(day as u64);
                let bindings = law::decision(geo, pol.rule, &plans, decision_date).expect("plans add up to the tasks");
                let realise_by = st.days.realisation;
                for (i, b) in bindings.iter().enumerate() {
                    if b.shortfall_share == 0 {
                        continue;
                    }
                    st.outcome.designated += b.shortfall_share;
                    let extra = b.shortfall_share.saturating_sub(st.late_offer[i]);
                    if extra == 0 || keyed.uniform(Purpose::Comply, st.index, i as u64) >= beh.designation_compliance {
                        continue;
                    }
                    let mut open_from = realise_by;
                    if beh.designation_delay_days > 0.0 {
                        let e = -(1.0 - keyed.uniform(Purpose::DesignationDelay, st.index, i as u64)).ln();
                        open_from += (e * beh.designation_delay_days).round() as usize;
                    }
                    let amv_gap = st.tasks[i].amv.saturating_sub(st.tasks[i].credited.min(st.tasks[i].amv));
                    // Designated places open at the legal deadline at the earliest, or after
                    // their lead time when that is longer (a decision cannot speed up a build).
                    schedule_places(
                        &mut cap,
                        v,
                        &pol.rules,
                        &keyed,
                        st.index + 10_000,
                        i,
                        day,
                        extra,
                        amv_gap,
                        open_from,
                    );
                }
            }
            if st.days.realisation == day {
                let p = |t: CapacityType| u64::from(cap.places[t.index()]);
                let regular = p(CapacityType::Durable)
                    + p(CapacityType::Temporary)
                    + p(CapacityType::AmvSmall)
                    + p(CapacityType::Registration);
                st.outcome.realised_share = Some(regular as f64 / st.total as f64);
                outcomes.push(st.outcome.clone());
            }
        }
        cycles.retain(|st| st.days.realisation > day);

        // 5. Allocation.
        let a = allocate(groups(&dem, v), usable(&cap, u), v.court_priority);
        let res = residents_of(&a);

        // Crisisnoodopvang for whoever waits (veiligheidsregio's, 2 days).
        let waiting = a.waiting();
        if waiting > 0 {
            let need = (f64::from(waiting) / u).ceil() as u32;
            let pipe = cap.pipeline[CapacityType::Crisis.index()];
            let mut open = need.saturating_sub(pipe).min(v.crisis_build_rate.round() as u32);
            let when = day as u32 + (v.lead_crisis_days.round() as u32).max(1);
            while open > 0 {
                loc_id += 1;
                let want = size(&keyed, Purpose::LocationSize, loc_id, 0, v.size_crisis, v.size_sd).min(open);
                let hosts = &cap.hosts;
                let pipeline_hosts = |i: usize| hosts[i].iter().sum::<f64>();
                match find_host(
                    &munis,
                    &keyed,
                    Purpose::HostPick,
                    Purpose::HostAccept,
                    loc_id,
                    want,
                    false,
                    pipeline_hosts,
                    |i| hosts[i].iter().sum::<f64>() >= 1.0,
                ) {
                    Some((i, places)) => {
                        cap.schedule(when, CapacityType::Crisis, i, places);
                        open -= places;
                    }
                    None => break,
                }
            }
        }

        // 6. Accounting.
        let exits = alloc::split(
            dem.exits,
            [res_prev[0], res_prev[1], res_prev[2], res_prev[3], res_prev[4], alloc_prev.waiting()],
        );
        for k in 0..5 {
            let mut displaced = 0;
            if closed[k] > 0 && places_before[k] > 0 {
                let r = res_prev[k].saturating_sub(exits[k]);
                displaced = ((u64::from(closed[k]) * u64::from(res_prev[k])).div_ceil(u64::from(places_before[k]))
                    as u32)
                    .min(r);
            }
            let kept = res_prev[k].saturating_sub(exits[k]) - displaced;
            moves_counted += u64::from(displaced) + u64::from(kept.saturating_sub(res[k]));
        }
        let regular_res = f64::from(res[0] + res[1] + res[2]);
        moves_background +=
            (regular_res * v.moves_regular + f64::from(res[3]) * v.moves_nood + f64::from(res[4]) * v.moves_crisis)
                / DAYS_PER_YEAR;

        let reg_occ = dem.registration + waiting;
        let overflow = reg_occ.saturating_sub(reg_cap);
        let mut residents = [0u32; NTYPES];
        residents[..5].copy_from_slice(&res);
        residents[CapacityType::Registration.index()] = reg_occ.min(reg_cap);
        let cost = day_cost(&costs, &cap.places, &residents, overflow, &opened);
        total_cost += cost;
        month_cost += cost;

        let persons = a.total() + u64::from(dem.registration);
        acc[Scalar::ResidentDays as usize] += persons as f64;
        acc[Scalar::EmergencyPersonDays as usize] += f64::from(a.nood() + a.crisis());
        acc[Scalar::ChildrenEmergencyPersonDays as usize] +=
            f64::from(a.nood_by_group[CHILD] + a.crisis_by_group[CHILD]);
        acc[Scalar::VulnerableEmergencyPersonDays as usize] +=
            f64::from(a.nood_by_group[VULNERABLE] + a.crisis_by_group[VULNERABLE]);
        acc[Scalar::AmvEmergencyPersonDays as usize] += f64::from(a.nood_by_group[AMV] + a.crisis_by_group[AMV]);
        acc[Scalar::CrisisPersonDays as usize] += f64::from(a.crisis());
        acc[Scalar::WaitingPersonDays as usize] += f64::from(waiting);
        if reg_occ > reg_cap {
            acc[Scalar::NightsOverCap as usize] += 1.0;
        }
        acc[Scalar::PeakRegistration as usize] = acc[Scalar::PeakRegistration as usize].max(f64::from(reg_occ));
        for (k, t) in CapacityType::ALL.iter().enumerate() {
            let pass = if *t == CapacityType::Registration && overflow > 0 {
                setup.quality.registration_over_cap_passes
            } else {
                setup.quality.passes[k]
            };
            place_days += f64::from(cap.places[k]);
            if pass {
                quality_pass_days += f64::from(cap.places[k]);
            }
        }

        if let Some(rows) = trace_rows.as_mut() {
            rows.push(day_record(date, &cap, &a, &dem, reg_cap, opened, cost));
        }
        occupancy_history.push(persons as u32);
        if snapshot_day == Some(day) {
            snapshot = Some(cross_section(&cap, &munis, day));
        }
        if date.day() == 1 {
            let fair = fairness(&cap, &munis.population, &mut scratch);
            fairness_sum.0 += fair.0;
            fairness_sum.1 += fair.1;
            fairness_sum.2 += 1;
            record_month(&mut series, &a, &dem, &cap, month_cost, fair);
            month_cost = 0;
        }
        alloc_prev = a;
        res_prev = res;
    }

    outcomes.extend(cycles.into_iter().map(|st| st.outcome));
    // Day 0 has no past month: show the first month's cost there too.
    if series.len() > 1 {
        series[0][Series::CostMonth as usize] = series[1][Series::CostMonth as usize];
    }
    let resident_years = acc[Scalar::ResidentDays as usize] / DAYS_PER_YEAR;
    let fair_end = fairness(&cap, &munis.population, &mut scratch);
    acc[Scalar::EmergencyShare as usize] =
        acc[Scalar::EmergencyPersonDays as usize] / acc[Scalar::ResidentDays as usize].max(1.0);
    acc[Scalar::Relocations as usize] = moves_counted as f64 + moves_background;
    acc[Scalar::RelocationsPerResidentYear as usize] = acc[Scalar::Relocations as usize] / resident_years.max(1e-9);
    acc[Scalar::TotalCost as usize] = total_cost as f64 / 100.0;
    acc[Scalar::CostPerResidentYear as usize] = acc[Scalar::TotalCost as usize] / resident_years.max(1e-9);
    acc[Scalar::GiniEnd as usize] = fair_end.0;
    acc[Scalar::HostingNoneEnd as usize] = fair_end.1;
    let fm = fairness_sum.2.max(1) as f64;
    acc[Scalar::GiniMean as usize] = if fairness_sum.2 > 0 { fairness_sum.0 / fm } else { fair_end.0 };
    acc[Scalar::HostingNoneMean as usize] = if fairness_sum.2 > 0 { fairness_sum.1 / fm } else { fair_end.1 };
    acc[Scalar::QualityPassShare as usize] = if place_days > 0.0 { quality_pass_days / place_days } else { 0.0 };
    acc[Scalar::ResidentYears as usize] = resident_years;
    acc[Scalar::TotalCostCents as usize] = total_cost as f64;
    PathOutcome { scalars: acc, series, cycles: outcomes, trace: trace_rows, hosts_end: cap.hosts, snapshot }
}

/// The provincial table (docs/DOMAIN-BRIEF.md §2–3): a municipality whose existing places exceed its
/// task takes over task from the others in its province (a swap; the provincial total
/// holds), which lowers their remaining task in proportion to it. Returns the swap per
/// municipality (+ for those taking over) and lowers `remaining` in `tasks`.
fn table_swaps(geo: &Geography, tasks: &mut [Task]) -> Vec<i64> {
    let n = tasks.len();
    let mut swaps = vec![0i64; n];
    for p in 0..geo.province_codes.len() {
        let members: Vec<usize> = (0..n).filter(|&i| geo.province[i] == p).collect();
        let over: Vec<f64> = members.iter().map(|&i| tasks[i].credited.saturating_sub(tasks[i].task) as f64).collect();
        let rem: Vec<f64> = members.iter().map(|&i| tasks[i].remaining as f64).collect();
        let moved = over.iter().sum::<f64>().min(rem.iter().sum::<f64>()) as u32;
        if moved == 0 {
            continue;
        }
        let taken = spread(moved, &over);
        let lowered = spread(moved, &rem);
        for (k, &i) in members.iter().enumerate() {
            swaps[i] += i64::from(taken[k]) - i64::from(lowered[k]);
            tasks[i].remaining -= u64::from(lowered[k]);
        }
    }
    swaps
}

fn day_record(
    date: NaiveDate,
    cap: &Capacity,
    a: &Allocation,
    d: &DayDemand,
    reg_cap: u32,
    opened: [u32; NTYPES],
    cost: u128,
) -> DayRecord {
    let reg_occ = d.registration + a.waiting();
    let mut residents = [0u32; NTYPES];
    residents[..5].copy_from_slice(&residents_of(a));
    residents[CapacityType::Registration.index()] = reg_occ.min(reg_cap);
    DayRecord {
        date,
        places: cap.places,
        residents,
        overflow: reg_occ.saturating_sub(reg_cap),
        persons: a.total() + u64::from(d.registration),
        opened,
        cost_cents: cost,
    }
}

fn cross_section(cap: &Capacity, m: &Municipalities, day: usize) -> Snapshot {
    let n = m.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| m.wealth[a].total_cmp(&m.wealth[b]).then(a.cmp(&b)));
    let places: Vec<f64> = (0..n).map(|i| cap.hosted(i) - cap.hosts[i][CapacityType::Registration.index()]).collect();
    let total: f64 = places.iter().sum::<f64>().max(1e-9);
    let mut q = [0.0; 4];
    for (rank, &i) in order.iter().enumerate() {
        q[(rank * 4 / n).min(3)] += places[i] / total;
    }
    let mut scratch = Vec::new();
    let (gini, none) = fairness(cap, &m.population, &mut scratch);
    Snapshot { day, quartile_shares: q, hosting_none: none, gini }
}

/// Schedule the opening of `places` offered or designated places of municipality `i`:
/// the AMV part (up to `amv_gap`) as AMV small-scale units, the rest durable or temporary by
/// the policy's durable share, each after its lead time from `day` (and not before `not_before`).
#[allow(clippy::too_many_arguments)]
fn schedule_places(
    cap: &mut Capacity,
    v: &Values,
    rules: &Rules,
    keyed: &Keyed,
    index: u64,
    i: usize,
    day: usize,
    places: u64,
    amv_gap: u64,
    not_before: usize,
) {
    let amv = places.min(amv_gap) as u32;
    let rest = (places - u64::from(amv)) as u32;
    let durable = (f64::from(rest) * rules.durable_share).round() as u32;
    let temporary = rest - durable;
    let lead_durable = if keyed.uniform(Purpose::LeadTime, index, i as u64) < v.conversion_share {
        v.lead_conversion_days
    } else {
        v.lead_newbuild_days * (v.newbuild_tail_sd * keyed.normal(Purpose::LeadTail, index, i as u64)).exp()
    };
    for (t, places, lead) in [
        (CapacityType::AmvSmall, amv, v.lead_amv_days),
        (CapacityType::Durable, durable, lead_durable),
        (CapacityType::Temporary, temporary, v.lead_temporary_days),
    ] {
        let when = (day + lead.round().max(1.0) as usize).max(not_before);
        cap.schedule(when as u32, t, i, places);
    }
}

/// The first of the month: contract ends, early closures, noodopvang openings.
#[allow(clippy::too_many_arguments)]
fn plan_month(
    cap: &mut Capacity,
    closed: &mut [u32; NTYPES],
    prev: &Allocation,
    v: &Values,
    rules: &Rules,
    munis: &Municipalities,
    keyed: &Keyed,
    month: u64,
    day: usize,
    loc_id: &mut u64,
) {
    use CapacityType::*;
    // Contract ends: 1/L of a type's places reach their end each month (contracts of length
    // L months, spread evenly); a share is extended, the rest closes.
    for (t, months) in [
        (Durable, v.contract_durable_months),
        (Temporary, v.contract_temporary_months),
        (AmvSmall, v.contract_amv_months),
        (Nood, v.contract_nood_months),
        (Crisis, v.contract_crisis_months),
    ] {
        let p = f64::from(cap.places[t.index()]);
        let ending = (p / months).ceil();
        let close = (ending - (ending * v.extension_probability).round()).max(0.0) as u32;
        closed[t.index()] += cap.close(t, close);
    }
    // Early closures: emergency places beyond need (crisis first), then temporary ones.
    let u = v.usable_share;
    let need_em = f64::from(prev.nood() + prev.crisis() + prev.waiting());
    let usable_em =
        (f64::from(cap.places[Nood.index()]) * u).floor() + (f64::from(cap.places[Crisis.index()]) * u).floor();
    let tolerance = v.closure_slack * need_em + f64::from(rules.reserve_places);
    let mut budget = v.builddown_rate.round() as u32;
    if usable_em - need_em > tolerance {
        let mut excess = ((usable_em - need_em - tolerance) / u).floor() as u32;
        for t in [Crisis, Nood] {
            let c = cap.close(t, excess.min(budget));
            closed[t.index()] += c;
            excess -= c;
            budget -= c;
        }
    }
    if prev.nood() + prev.crisis() + prev.waiting() == 0 {
        let placed = f64::from(prev.durable + prev.temporary + prev.amv_small);
        let usable_reg =
            (f64::from(cap.places[Durable.index()] + cap.places[Temporary.index()] + cap.places[AmvSmall.index()]) * u)
                .floor();
        let tol = v.closure_slack * placed + f64::from(rules.reserve_places);
        if usable_reg - placed > tol {
            let excess = ((usable_reg - placed - tol) / u).floor() as u32;
            closed[Temporary.index()] += cap.close(Temporary, excess.min(budget));
        }
    }
    // Noodopvang for everyone without a regular place, with a buffer, within the build rate.
    let target = (need_em * (1.0 + v.nood_buffer) / u).ceil();
    let have = f64::from(cap.places[Nood.index()] + cap.pipeline[Nood.index()]);
    let mut open = ((target - have).max(0.0) as u32).min(v.nood_build_rate.round() as u32);
    let when = day as u32 + (v.lead_nood_days.round() as u32).max(1);
    while open > 0 {
        *loc_id += 1;
        let want = size(keyed, Purpose::LocationSize, *loc_id, month, v.size_nood, v.size_sd).min(open);
        let hosts = &cap.hosts;
        match find_host(
            munis,
            keyed,
            Purpose::HostPick,
            Purpose::HostAccept,
            *loc_id,
            want,
            false,
            |i| hosts[i].iter().sum(),
            |i| hosts[i].iter().sum::<f64>() >= 1.0,
        ) {
            Some((i, places)) => {
                cap.schedule(when, Nood, i, places);
                open -= places;
            }
            None => break,
        }
    }
}

/// Before the law: each quarter COA asks municipalities, ad hoc, for durable places to cover
/// the need at the planning norm (calibration runs only).
#[allow(clippy::too_many_arguments)]
fn adhoc_durable(
    cap: &mut Capacity,
    dem: &DayDemand,
    v: &Values,
    pol: &Compiled,
    munis: &Municipalities,
    keyed: &Keyed,
    month: u64,
    day: usize,
) {
    use CapacityType::*;
    let persons = f64::from(dem.general + dem.amv + dem.registration);
    let have = [Durable, Temporary, AmvSmall, Registration]
        .iter()
        .map(|t| f64::from(cap.places[t.index()] + cap.pipeline[t.index()]))
        .sum::<f64>();
    let mut gap = (persons / v.occupancy_norm - have).ceil();
    let asks = v.history_asks_per_quarter.round() as u64;
    for k in 0..asks {
        if gap < 1.0 {
            break;
        }
        let i = munis.pick(keyed.uniform(Purpose::AdhocPick, month, k));
        let room = munis.room(i, cap.hosted(i)).floor();
        if room < 1.0 || keyed.uniform(Purpose::AdhocAccept, month, k) >= munis.accept(i, true, cap.hosted(i) >= 1.0) {
            continue;
        }
        let want = size(keyed, Purpose::AdhocSize, month, k, v.size_regular, v.size_sd);
        let places = f64::from(want).min(room).min(gap) as u32;
        gap -= f64::from(places);
        if keyed.uniform(Purpose::Realise, 1_000_000 + month, k) >= pol.behaviour.realisation_rate {
            continue;
        }
        let durable = (f64::from(places) * pol.rules.durable_share).round() as u32;
        let lead_d = if keyed.uniform(Purpose::LeadTime, 1_000_000 + month, k) < v.conversion_share {
            v.lead_conversion_days
        } else {
            v.lead_newbuild_days * (v.newbuild_tail_sd * keyed.normal(Purpose::LeadTail, 1_000_000 + month, k)).exp()
        };
        cap.schedule((day + lead_d.round().max(1.0) as usize) as u32, Durable, i, durable);
        cap.schedule((day + v.lead_temporary_days.round().max(1.0) as usize) as u32, Temporary, i, places - durable);
    }
}
