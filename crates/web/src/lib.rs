//! spreiding-web: the public transparency dashboard, the role-based portal and the open API.
//!
//! In: HTTP requests; the pure core's tasks ([`spreiding_core::distribution`]); the
//! database (offers, realisation, users, audit trail). Out: HTML pages, JSON/CSV/GeoJSON,
//! OpenAPI 3.1. Invariant: every mutation passes [`Actor::may`](spreiding_core::actor::Actor::may)
//! on the server and is written to the audit trail; no page loads anything from another host.

pub mod analysis;
pub mod api;
pub mod assets;
pub mod auth;
pub mod db;
pub mod error;
pub mod forecast_check;
pub mod forecast_run;
pub mod i18n;
pub mod model;
pub mod pages;
pub mod portal;
pub mod server;
pub mod sessions;

pub use error::WebError;
pub use server::{AppState, ServeOptions, router, serve};
