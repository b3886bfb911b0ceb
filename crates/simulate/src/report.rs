//! The report: everything a reader (or the dashboard page "Wat de wet oplevert") needs, as
//! one serialisable value. `spreiding simulate --format json` prints exactly this type;
//! [`crate::html::render`] renders it; docs/SIMULATION.md documents its shape.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calibrate::Calibration;
use crate::metrics::Summary;

/// Version of the report's shape; bumped when a field changes meaning or disappears.
pub const SCHEMA: &str = "spreiding-simulate/report/1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub title: String,
    pub settings: Settings,
    pub policies: Vec<PolicyInfo>,
    /// Every value the model used, with its source or "assumption".
    pub assumptions: Vec<Assumption>,
    pub metrics: Vec<Metric>,
    pub results: Vec<PolicyResult>,
    /// Each policy against the baseline, per metric, paired over paths.
    pub comparison: Vec<Comparison>,
    /// Monthly series with P10–P90 bands per policy.
    pub series: Vec<SeriesBands>,
    pub sensitivity: Option<Sensitivity>,
    pub calibration: Option<Calibration>,
    pub quality: Vec<QualityRow>,
    /// Caveats the reader must see with the numbers.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub start: NaiveDate,
    pub years: u32,
    pub runs: usize,
    pub seed: u64,
    /// Demand scenario (forecast crate), e.g. "bundled:base".
    pub scenario: String,
    /// Parameter set, "id v<version> (file)".
    pub parameters: String,
    /// The policy all others are compared with.
    pub baseline: String,
    pub sensitivity_runs: usize,
    pub calibration_runs: usize,
    /// The starting distribution over municipalities comes from the calibrated history run.
    pub warm_start: bool,
    pub model: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyInfo {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub description: String,
    pub file: String,
    pub binding_decision: bool,
    /// The key actually used, with the note when SES-WOA is missing.
    pub key: String,
    pub key_note: Option<String>,
    /// The policy's rules as (name, value) text.
    pub rules: Vec<Setting>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    pub name: String,
    pub value: String,
}

/// One value of the model with where it comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assumption {
    /// "parameters", a policy id, "scenario" or "prototypes".
    pub scope: String,
    pub key: String,
    /// The value as text (numbers as written).
    pub value: String,
    pub unit: String,
    pub what: String,
    /// Source key or section (docs/SIMULATION-SOURCES.md, docs/DOMAIN-BRIEF.md) or "calibrated …"; None = none.
    pub source: Option<String>,
    /// True when the value is not a published figure.
    pub assumption: bool,
    pub range: Option<[f64; 2]>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub better: String,
    pub definition: String,
    pub headline: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyResult {
    pub policy: String,
    pub metrics: Vec<MetricValue>,
    pub cycles: Vec<CycleSummary>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricValue {
    pub metric: String,
    #[serde(flatten)]
    pub summary: Summary,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleSummary {
    pub year: i32,
    pub national_total: Summary,
    pub plan_share: Summary,
    pub designated: Summary,
    pub realised_share: Summary,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub metric: String,
    pub policy: String,
    pub baseline: String,
    pub policy_mean: f64,
    pub baseline_mean: f64,
    /// policy − baseline, per path, summarised.
    pub difference: Summary,
    /// Mean difference ÷ baseline mean (None when the baseline mean is 0).
    pub relative: Option<f64>,
    /// "better", "worse" or "no clear difference" (the 95 % interval of the mean difference contains 0).
    pub verdict: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesBands {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub dates: Vec<NaiveDate>,
    pub bands: Vec<Band>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub policy: String,
    pub p10: Vec<f64>,
    pub p50: Vec<f64>,
    pub p90: Vec<f64>,
    pub mean: Vec<f64>,
}

/// One-at-a-time sensitivity: each uncertain value at the low and the high end of its range,
/// everything else as given; the outcome is the mean paired difference policy − baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sensitivity {
    pub runs: usize,
    pub policy: String,
    pub baseline: String,
    pub metrics: Vec<String>,
    /// Mean difference at the given values, per metric (same paths as the rows).
    pub base: Vec<f64>,
    pub rows: Vec<SensitivityRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SensitivityRow {
    /// "parameters" or a policy id.
    pub scope: String,
    pub parameter: String,
    pub what: String,
    pub value: f64,
    pub low: f64,
    pub high: f64,
    pub assumption: bool,
    /// Mean difference per metric with the parameter at its low / high end.
    pub at_low: Vec<f64>,
    pub at_high: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QualityRow {
    pub capacity_type: String,
    pub label: String,
    pub passes: bool,
    /// Criteria that failed or are unknown for the prototype.
    pub blocking: Vec<String>,
}

impl Report {
    pub fn result(&self, policy: &str, metric: &str) -> Option<&Summary> {
        self.results
            .iter()
            .find(|r| r.policy == policy)?
            .metrics
            .iter()
            .find(|m| m.metric == metric)
            .map(|m| &m.summary)
    }
    pub fn comparison(&self, policy: &str, metric: &str) -> Option<&Comparison> {
        self.comparison.iter().find(|c| c.policy == policy && c.metric == metric)
    }
}
