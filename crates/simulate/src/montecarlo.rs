//! Monte Carlo over paths and policies, in parallel (rayon). Path *i* of every policy uses
//! the generators keyed by (seed, *i*) and writes only its own slot, and chunks of paths
//! are fixed in size, so the result is the same bytes for any number of threads.

use chrono::NaiveDate;
use rayon::prelude::*;
use spreiding_forecast::{Model, Scenario};

use crate::engine::{self, Compiled, Demand, Initial, PathOutcome, Setup};
use crate::error::SimError;
use crate::law::{self, Geography, QualityVerdicts};
use crate::params::{ParamSet, Values};
use crate::policy::Policy;

/// What every run shares: the municipalities, the quality verdicts and the demand model.
#[derive(Clone, Debug)]
pub struct World {
    pub geo: Geography,
    pub quality: QualityVerdicts,
    pub demand: Demand,
    pub start: NaiveDate,
    pub days: usize,
}

/// Days from `start` to the same date `years` later.
pub fn horizon_days(start: NaiveDate, years: u32) -> usize {
    let end = start.checked_add_months(chrono::Months::new(12 * years)).expect("in range");
    (end - start).num_days() as usize
}

impl World {
    /// Compile the demand scenario for `start` and `years`; lift its registration cap (the
    /// simulator fills the registration centre itself when downstream places are short).
    pub fn new(scenario: &Scenario, start: NaiveDate, years: u32, params: &ParamSet) -> Result<World, SimError> {
        if years == 0 || years > 30 {
            return Err(SimError::argument("--years must be between 1 and 30"));
        }
        let days = horizon_days(start, years);
        let mut model = Model::new(scenario, start, days)?;
        model.registration_capacity = u32::MAX / 4;
        Self::with_demand(Demand::Forecast(Box::new(model)), start, days, params)
    }

    pub fn with_demand(demand: Demand, start: NaiveDate, days: usize, params: &ParamSet) -> Result<World, SimError> {
        let geo = law::netherlands()?;
        let v = params.values();
        let quality = law::quality(
            crate::bundled::PROTOTYPES_FILE,
            crate::bundled::PROTOTYPES,
            v.registration_capacity.round() as u32,
        )?;
        Ok(World { geo, quality, demand, start, days })
    }

    pub fn setup<'a>(&'a self, params: &ParamSet, policy: &Policy, initial: Initial) -> Result<Setup<'a>, SimError> {
        Ok(Setup {
            geo: &self.geo,
            params: params.values(),
            fixed_forecasts: params.forecasts.iter().map(|f| (f.year, f.total, f.amv)).collect(),
            policy: Compiled::new(policy, &self.geo, self.start, self.days)?,
            demand: &self.demand,
            start: self.start,
            days: self.days,
            initial,
            quality: &self.quality,
        })
    }
}

/// The starting capacity of a projection (parameters `initial.*`).
pub fn initial_projection(v: &Values) -> Initial {
    Initial {
        durable: v.initial_durable.round() as u32,
        temporary: v.initial_temporary.round() as u32,
        amv_small: v.initial_amv.round() as u32,
        nood: v.initial_nood.round() as u32,
        crisis: v.initial_crisis.round() as u32,
        hosts: None,
    }
}

/// Paths per parallel task: fixed, so the work split never depends on the thread count.
const CHUNK: usize = 8;

/// Run `runs` paths of one setup. `progress` is called once per finished path.
pub fn run_paths(
    setup: &Setup,
    runs: usize,
    seed: u64,
    snapshot_day: Option<usize>,
    progress: &(dyn Fn() + Sync),
) -> Vec<PathOutcome> {
    let chunks: Vec<Vec<PathOutcome>> = (0..runs.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let first = c * CHUNK;
            (first..(first + CHUNK).min(runs))
                .map(|i| {
                    let o = engine::simulate(setup, seed, i as u64, false, snapshot_day, None);
                    progress();
                    o
                })
                .collect()
        })
        .collect();
    chunks.into_iter().flatten().collect()
}
