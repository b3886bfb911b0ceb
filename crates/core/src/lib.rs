//! The pure core of spreiding: the law's rules as data and functions.
//!
//! Architecture invariant: no IO, no clocks, no async, no database types. Inputs are
//! handed in as values or text, answers come out. Everything here is deterministic:
//! the same inputs give the same bytes.
//!
//! Flow: [`region`] and [`reference`] (reference data by vintage; [`cbs`] reads CBS's own
//! exports) → [`key`] (verdeelsleutel, declarative) → [`apportion`] (exact whole places) →
//! [`distribution`] (tasks, AMV, credits, explain) → [`cycle`] (the legal calendar and its
//! state machine) with [`offer`] and [`plan`] (what counts, commitments, swaps) →
//! [`decision`] (the binding distribution decision) and [`payment`] (the specific payments).
//! [`actor`] holds the single authorisation rule; [`location`] and [`quality`] the registry
//! and the quality framework.

pub mod actor;
pub mod apportion;
pub mod bundled;
pub mod cbs;
pub mod cycle;
pub mod decimal;
pub mod decision;
pub mod distribution;
pub mod error;
pub mod export;
pub mod key;
pub mod location;
pub mod offer;
pub mod payment;
pub mod plan;
pub mod quality;
pub mod reference;
pub mod region;
pub mod synthetic;
pub mod weights_csv;

pub use apportion::{Apportionment, Method, UnitIds, apportion, apportion_small, apportion_u64};
pub use error::{CoreError, Located};
pub use region::{GmCode, Municipality, Netherlands, Province, PvCode, Region, RegionCode, RegionSet};
