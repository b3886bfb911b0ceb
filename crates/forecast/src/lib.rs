//! spreiding-forecast: the capacity forecast (capaciteitsraming, Wet art. 2) as a daily
//! stock-flow model of the reception chain with Monte Carlo uncertainty.
//!
//! In: a [`Scenario`] (TOML, `scenarios/`), a start date, a number of years, runs and a
//! seed. Out: a [`Forecast`] with P10/P50/P90 of occupancy for every day and of the
//! required places (occupancy ÷ occupancy target) on 1 January of the following years,
//! for the total and for unaccompanied minors (AMV).
//!
//! [`report`] turns a forecast into the JSON the command line prints and a recorded run keeps.
//!
//! Architecture invariant: pure. No IO, no clock, no global state. The same scenario,
//! start, years, runs and seed give the same result for any number of threads. Every
//! stock is a whole number of persons and every day obeys `end = start + in − out`.

pub mod backtest;
pub mod explain;
pub mod model;
pub mod montecarlo;
pub mod report;
pub mod sample;
pub mod scenario;

pub use backtest::{Backtest, Comparison, backtest};
pub use model::{DayFlows, Model, PathState, StreamState};
pub use montecarlo::{Band, Forecast, run, run_days, run_model, simulate_path, target_dates};
pub use scenario::{BUNDLED, Scenario};
pub use spreiding_core::CoreError;
