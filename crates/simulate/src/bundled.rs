//! Files shipped with spreiding, compiled into the binary so `spreiding simulate` works from
//! any directory: the policies, the parameter set and the quality prototypes.

use crate::error::SimError;
use crate::params::ParamSet;
use crate::policy::Policy;

/// Policies under `policies/`: (id, file, text).
pub const POLICIES: &[(&str, &str, &str)] = &[
    ("law", "policies/law.toml", include_str!("../../../policies/law.toml")),
    ("voluntary", "policies/voluntary.toml", include_str!("../../../policies/voluntary.toml")),
    ("law-fast", "policies/law-fast.toml", include_str!("../../../policies/law-fast.toml")),
    ("law-durable", "policies/law-durable.toml", include_str!("../../../policies/law-durable.toml")),
    ("history", "policies/history.toml", include_str!("../../../policies/history.toml")),
];

pub const PARAMETERS_FILE: &str = "params/nl.toml";
pub const PARAMETERS: &str = include_str!("../../../params/nl.toml");

pub const PROTOTYPES_FILE: &str = "params/location-prototypes.csv";
pub const PROTOTYPES: &str = include_str!("../../../params/location-prototypes.csv");

/// A bundled policy by id.
pub fn policy(id: &str) -> Option<Result<Policy, SimError>> {
    POLICIES.iter().find(|(i, _, _)| *i == id).map(|(_, f, t)| Policy::parse(f, t))
}

/// The bundled parameter set.
pub fn parameters() -> Result<ParamSet, SimError> {
    ParamSet::parse(PARAMETERS_FILE, PARAMETERS)
}

/// A bundled demand scenario of the forecast (`scenarios/*.toml`) by name.
pub fn scenario(name: &str) -> Option<Result<spreiding_forecast::Scenario, SimError>> {
    spreiding_forecast::scenario::bundled(name).map(|r| r.map_err(SimError::from))
}

/// Parse a demand scenario file (the forecast's format, docs/FORECAST.md).
pub fn parse_scenario(file: &str, text: &str) -> Result<spreiding_forecast::Scenario, SimError> {
    spreiding_forecast::Scenario::parse(file, text).map_err(SimError::from)
}

/// Names of the bundled demand scenarios.
pub fn scenario_names() -> Vec<&'static str> {
    spreiding_forecast::scenario::BUNDLED.iter().map(|(n, _)| *n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_file_parses_and_ids_match() {
        for (id, _, _) in POLICIES {
            let p = policy(id).unwrap().unwrap();
            assert_eq!(p.id(), *id);
        }
        let ps = parameters().unwrap();
        assert_eq!(ps.entries.len(), crate::params::SPECS.len());
    }
}
