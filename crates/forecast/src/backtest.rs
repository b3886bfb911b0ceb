//! The backtest: run a scenario fed with observed inflow and levers from its start date
//! and compare P10/P50/P90 with every published figure in its `[[observed]]` list
//! (docs/FORECAST.md, Backtest). Observations on or after the scenario's `holdout_from`
//! date are out of sample: no parameter was chosen by looking at them.

use chrono::NaiveDate;
use serde::Serialize;
use spreiding_core::CoreError;

use crate::model::Model;
use crate::montecarlo::{Band, required, run_days};
use crate::scenario::{ObservationKind, Scenario, Series, parse_date};

/// One published figure next to the model's band on its date.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub date: NaiveDate,
    /// `occupancy` or `required_places`.
    pub kind: &'static str,
    /// `total`, `permit_holders` or `amv`.
    pub series: &'static str,
    pub observed: f64,
    pub p10: u64,
    pub p50: u64,
    pub p90: u64,
    /// P50 − observed.
    pub error: f64,
    /// (P50 − observed) ÷ observed.
    pub relative_error: f64,
    pub within_p10_p90: bool,
    /// False for observations on or after `holdout_from` (held out of the fit).
    pub in_sample: bool,
    pub source: String,
}

/// The result of a backtest: one row per observation, in the scenario's order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Backtest {
    pub start: NaiveDate,
    pub runs: usize,
    pub seed: u64,
    pub holdout_from: Option<NaiveDate>,
    pub rows: Vec<Comparison>,
}

impl Backtest {
    /// (inside P10–P90, within ±10 % at the P50, count) over the rows that `pick` selects.
    pub fn score(&self, pick: impl Fn(&Comparison) -> bool) -> (usize, usize, usize) {
        let rows: Vec<&Comparison> = self.rows.iter().filter(|r| pick(r)).collect();
        let inside = rows.iter().filter(|r| r.within_p10_p90).count();
        let close = rows.iter().filter(|r| r.relative_error.abs() <= 0.10).count();
        (inside, close, rows.len())
    }

    /// Mean absolute relative error of the P50 over the rows that `pick` selects.
    pub fn mape(&self, pick: impl Fn(&Comparison) -> bool) -> f64 {
        let errs: Vec<f64> = self.rows.iter().filter(|r| pick(r)).map(|r| r.relative_error.abs()).collect();
        errs.iter().sum::<f64>() / errs.len().max(1) as f64
    }
}

/// Run the backtest of `scenario` with `runs` paths and `seed`. Observations before the
/// start date are skipped; the horizon ends on the last observation.
pub fn backtest(scenario: &Scenario, runs: usize, seed: u64) -> Result<Backtest, CoreError> {
    if runs == 0 {
        return Err(CoreError::invalid("--runs must be at least 1"));
    }
    let start = scenario.start_date()?;
    let holdout_from =
        scenario.scenario.holdout_from.as_deref().map(parse_date).transpose().map_err(CoreError::invalid)?;
    let mut obs = Vec::new();
    for o in &scenario.observed {
        let date = parse_date(&o.date).map_err(CoreError::invalid)?;
        if date >= start {
            obs.push((date, (date - start).num_days() as usize, o));
        }
    }
    let last = obs
        .iter()
        .map(|o| o.1)
        .max()
        .ok_or_else(|| CoreError::invalid("the scenario has no observations after its start"))?;
    let model = Model::new(scenario, start, last.max(1))?;
    let days: Vec<usize> = obs.iter().map(|o| o.1).collect();
    let bands = run_days(&model, &days, runs, seed);
    let rows = obs
        .iter()
        .zip(&bands)
        .map(|((date, _, o), b)| {
            let occ: Band = match o.series {
                Series::Total => b.total,
                Series::PermitHolders => b.permit_holders,
                Series::Amv => b.amv,
            };
            let (kind, band) = match o.kind {
                ObservationKind::Occupancy => ("occupancy", occ),
                ObservationKind::RequiredPlaces => ("required_places", required(occ, model.occupancy_target)),
            };
            let error = band.p50 as f64 - o.value;
            Comparison {
                date: *date,
                kind,
                series: o.series.name(),
                observed: o.value,
                p10: band.p10,
                p50: band.p50,
                p90: band.p90,
                error,
                relative_error: error / o.value,
                within_p10_p90: (band.p10 as f64) <= o.value && o.value <= band.p90 as f64,
                in_sample: holdout_from.is_none_or(|h| *date < h),
                source: o.source.clone(),
            }
        })
        .collect();
    Ok(Backtest { start, runs, seed, holdout_from, rows })
}
