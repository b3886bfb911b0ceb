//! The forecast's result as JSON: what `spreiding forecast --format json` prints, what a
//! recorded forecast run keeps (`forecast_runs.result_json`) and what `spreiding forecast runs
//! ID --verify` compares byte for byte. The command line and the portal's form both build it
//! here, so a run recorded from either reproduces with the other.
//!
//! Pure: a [`Forecast`] and its scenario go in, text comes out. The bytes are a contract: a
//! change here changes the result of every recorded run, and `--verify` says so.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::montecarlo::{Forecast, OverflowStats, Required, StockP50};
use crate::scenario::{BUNDLED, Scenario};

/// The step of the occupancy rows in the result: every day, every seventh day from the start,
/// or the first of each month (and the start itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Month,
    Week,
    Day,
}

impl Step {
    /// Every step, in the order a form offers them (the default first).
    pub const ALL: [Step; 3] = [Step::Month, Step::Week, Step::Day];

    /// The name the record keeps (`forecast_runs.step`) and the command line takes (`--step`).
    pub fn name(self) -> &'static str {
        match self {
            Step::Month => "month",
            Step::Week => "week",
            Step::Day => "day",
        }
    }

    /// The step named `name` (`month`, `week` or `day`).
    pub fn parse(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The scenario as the result echoes it: its identity, where it came from, its sources and
/// assumptions, and every parameter.
#[derive(Serialize)]
pub struct ScenarioEcho<'a> {
    pub id: &'a str,
    pub version: u32,
    pub title: &'a str,
    pub from: &'a str,
    pub stocks_date: &'a str,
    pub sources: &'a [String],
    pub assumptions: &'a [String],
    pub parameters: &'a Scenario,
}

/// Required places on one target date (1 January), with the occupancy behind them.
#[derive(Serialize)]
pub struct RequiredRow {
    pub date: NaiveDate,
    pub p10: u64,
    pub p50: u64,
    pub p90: u64,
    pub amv_p10: u64,
    pub amv_p50: u64,
    pub amv_p90: u64,
    pub occupancy_p10: u64,
    pub occupancy_p50: u64,
    pub occupancy_p90: u64,
    pub amv_occupancy_p50: u64,
    pub stocks_p50: StockP50,
}

/// Occupancy (persons in reception) on one day of the output.
#[derive(Serialize)]
pub struct OccupancyRow {
    pub date: NaiveDate,
    pub p10: u64,
    pub p50: u64,
    pub p90: u64,
    pub amv_p10: u64,
    pub amv_p50: u64,
    pub amv_p90: u64,
}

/// The whole result, in the order its fields are written.
#[derive(Serialize)]
pub struct JsonOut<'a> {
    pub scenario: ScenarioEcho<'a>,
    pub seed: u64,
    pub runs: usize,
    pub start: NaiveDate,
    pub years: u32,
    pub occupancy_target: f64,
    /// Required places = occupancy ÷ occupancy target, rounded up, on each 1 January.
    pub required_places: &'a [RequiredRow],
    pub occupancy: &'a [OccupancyRow],
    pub registration_overflow: &'a OverflowStats,
    pub model: &'static str,
}

/// What the result says about the model that made it.
pub const MODEL_NOTE: &str =
    "spreiding-forecast daily stock-flow model (docs/FORECAST.md); percentiles are nearest-rank over paths";

/// Where a run of the bundled scenario `id` comes from, as the result and the record name it:
/// `bundled:base`.
pub fn bundled_from(id: &str) -> String {
    format!("bundled:{id}")
}

/// The TOML text of the bundled scenario `id` (what a recorded run keeps), or None.
pub fn bundled_text(id: &str) -> Option<&'static str> {
    BUNDLED.iter().find(|b| b.0 == id).map(|b| b.1)
}

/// One target date of the result.
pub fn required_row(r: &Required) -> RequiredRow {
    RequiredRow {
        date: r.date,
        p10: r.total.p10,
        p50: r.total.p50,
        p90: r.total.p90,
        amv_p10: r.amv.p10,
        amv_p50: r.amv.p50,
        amv_p90: r.amv.p90,
        occupancy_p10: r.occupancy.p10,
        occupancy_p50: r.occupancy.p50,
        occupancy_p90: r.occupancy.p90,
        amv_occupancy_p50: r.amv_occupancy.p50,
        stocks_p50: r.stocks_p50.clone(),
    }
}

/// Every target date of the result.
pub fn required_rows(f: &Forecast) -> Vec<RequiredRow> {
    f.required_places.iter().map(required_row).collect()
}

/// The occupancy rows of the output: every day, every seventh day, or the first of each month.
pub fn occupancy_rows(f: &Forecast, step: Step) -> Vec<OccupancyRow> {
    f.occupancy
        .iter()
        .filter(|d| match step {
            Step::Day => true,
            Step::Week => (d.date - f.start).num_days() % 7 == 0,
            Step::Month => d.date.day() == 1 || d.date == f.start,
        })
        .map(|d| OccupancyRow {
            date: d.date,
            p10: d.total.p10,
            p50: d.total.p50,
            p90: d.total.p90,
            amv_p10: d.amv.p10,
            amv_p50: d.amv.p50,
            amv_p90: d.amv.p90,
        })
        .collect()
}

/// The JSON text of a result from its rows (pretty-printed, one trailing newline).
pub fn json_text(
    s: &Scenario,
    from: &str,
    f: &Forecast,
    years: u32,
    required: &[RequiredRow],
    rows: &[OccupancyRow],
) -> String {
    let out = JsonOut {
        scenario: ScenarioEcho {
            id: &s.scenario.id,
            version: s.scenario.version,
            title: &s.scenario.title,
            from,
            stocks_date: &s.scenario.start,
            sources: &s.scenario.sources,
            assumptions: &s.scenario.assumptions,
            parameters: s,
        },
        seed: f.seed,
        runs: f.runs,
        start: f.start,
        years,
        occupancy_target: f.occupancy_target,
        required_places: required,
        occupancy: rows,
        registration_overflow: &f.registration_overflow,
        model: MODEL_NOTE,
    };
    serde_json::to_string_pretty(&out).expect("serialisable") + "\n"
}

/// The JSON text of a forecast of `s` (from `from`) over `years`, with occupancy rows at `step`:
/// [`json_text`] of [`required_rows`] and [`occupancy_rows`].
pub fn result_json(s: &Scenario, from: &str, f: &Forecast, years: u32, step: Step) -> String {
    json_text(s, from, f, years, &required_rows(f), &occupancy_rows(f, step))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_names_round_trip() {
        for s in Step::ALL {
            assert_eq!(Step::parse(s.name()), Some(s));
        }
        assert_eq!(Step::parse("year"), None);
    }

    #[test]
    fn the_result_names_its_inputs_and_ends_with_one_newline() {
        let s = crate::scenario::bundled("base").unwrap().unwrap();
        let start = s.start_date().unwrap();
        let f = crate::run(&s, start, 1, 20, 3, &|| {}).unwrap();
        let text = result_json(&s, &bundled_from("base"), &f, 1, Step::Month);
        assert!(text.ends_with("}\n") && !text.ends_with("\n\n"));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["scenario"]["from"], "bundled:base");
        assert_eq!((v["seed"].as_u64(), v["runs"].as_u64(), v["years"].as_u64()), (Some(3), Some(20), Some(1)));
        assert_eq!(v["required_places"].as_array().unwrap().len(), 1);
        assert_eq!(v["model"], MODEL_NOTE);
        // Months: the start and every first of the month; weeks and days give more rows.
        let month = occupancy_rows(&f, Step::Month).len();
        assert!(month < occupancy_rows(&f, Step::Week).len());
        assert_eq!(occupancy_rows(&f, Step::Day).len(), f.occupancy.len());
        assert_eq!(text, result_json(&s, "bundled:base", &f, 1, Step::Month), "the same bytes");
        assert_eq!(bundled_text("base"), Some(BUNDLED[0].1));
        assert_eq!(bundled_text("nope"), None);
    }
}
