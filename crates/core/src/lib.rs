//! The pure core of spreiding: the law's rules as data and functions.
//!
//! Architecture invariant: no IO, no clocks, no async, no database types. Inputs are
//! handed in as values or text, answers come out. Everything here is deterministic:
//! the same inputs give the same bytes.
//!
//! Flow: [`region`] (reference data) → [`key`] (verdeelsleutel, declarative) →
//! [`apportion`] (exact whole places) → [`distribution`] (tasks, AMV, credits, explain).

pub mod actor;
pub mod apportion;
pub mod bundled;
pub mod cycle;
pub mod decimal;
pub mod decision;
pub mod distribution;
pub mod error;
pub mod key;
pub mod location;
pub mod region;

pub use apportion::{Apportionment, Method, apportion};
pub use error::{CoreError, Located};
pub use region::{GmCode, Municipality, Netherlands, Province, PvCode, Region, RegionCode, RegionSet};
