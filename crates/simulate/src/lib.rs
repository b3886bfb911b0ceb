//! spreiding-simulate: the policy simulator. What does the Spreidingswet achieve compared
//! with voluntary distribution?
//!
//! In: policies (`policies/*.toml`), a parameter set (`params/nl.toml`, every value with its
//! source in docs/SIMULATION-SOURCES.md or marked as an assumption), a demand scenario (the
//! forecast's `scenarios/*.toml`), a start date, years, runs and a seed. Out: a
//! [`report::Report`] (serde) with the metrics of every policy and their confidence
//! intervals, the paired differences, monthly series with bands, the sensitivity analysis and
//! the calibration check; [`html::render`] turns it into a self-contained HTML page.
//!
//! Architecture invariant: pure, like `spreiding-core`. No IO, no clock, no async, no
//! database. The same inputs and seed give the same bytes for any number of threads: path
//! *i* draws only from generators keyed by (seed, *i*) and writes only its own slot.
//! The core's key, distribution, decision and quality rules are called only from [`law`].

pub mod alloc;
pub mod behaviour;
pub mod bundled;
pub mod calibrate;
pub mod capacity;
pub mod engine;
pub mod error;
pub mod html;
pub mod law;
pub mod metrics;
pub mod montecarlo;
pub mod params;
pub mod policy;
pub mod render;
pub mod report;
pub mod rng;
pub mod run;

pub use capacity::CapacityType;
pub use error::SimError;
pub use params::ParamSet;
pub use policy::Policy;
pub use report::Report;
pub use spreiding_forecast::Scenario;
