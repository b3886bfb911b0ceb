//! The metrics of a policy: what each path reports, and how paths are summarised.
//!
//! Every scalar is computed per path; the report gives its mean with a 95 % confidence
//! interval of the mean (normal approximation, mean ± 1.96 · sd / √n) and the P10 / P50 /
//! P90 over paths (nearest rank). Differences between policies are taken per path (common
//! random numbers: the same seed and path give both policies the same inflow and the same
//! municipal draws), then summarised the same way.

use serde::{Deserialize, Serialize};

/// Scalars per path, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Scalar {
    EmergencyShare,
    EmergencyPersonDays,
    ChildrenEmergencyPersonDays,
    VulnerableEmergencyPersonDays,
    AmvEmergencyPersonDays,
    CrisisPersonDays,
    WaitingPersonDays,
    RelocationsPerResidentYear,
    Relocations,
    NightsOverCap,
    PeakRegistration,
    TotalCost,
    CostPerResidentYear,
    GiniEnd,
    GiniMean,
    HostingNoneEnd,
    HostingNoneMean,
    QualityPassShare,
    ResidentDays,
    ResidentYears,
    TotalCostCents,
}

pub const NSCALARS: usize = 21;

/// How a metric is shown.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct MetricInfo {
    pub id: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    /// "lower" or "higher": which direction is better.
    pub better: &'static str,
    pub definition: &'static str,
    /// In the comparison table (the others are denominators or details).
    pub headline: bool,
}

/// Metadata of every scalar, in [`Scalar`] order.
pub const METRICS: [MetricInfo; NSCALARS] = [
    MetricInfo {
        id: "emergency_share",
        label: "Share of residents in noodopvang or crisisnoodopvang",
        unit: "share",
        better: "lower",
        definition: "Person-days in noodopvang and crisisnoodopvang ÷ all person-days in reception (registration centre included)",
        headline: true,
    },
    MetricInfo {
        id: "emergency_person_days",
        label: "Person-days in emergency reception",
        unit: "person-days",
        better: "lower",
        definition: "Person-days in noodopvang and crisisnoodopvang over the horizon",
        headline: false,
    },
    MetricInfo {
        id: "children_emergency_person_days",
        label: "Children in emergency reception",
        unit: "person-days",
        better: "lower",
        definition: "Person-days of accompanied children in noodopvang and crisisnoodopvang",
        headline: true,
    },
    MetricInfo {
        id: "vulnerable_emergency_person_days",
        label: "Vulnerable adults in emergency reception",
        unit: "person-days",
        better: "lower",
        definition: "Person-days of adults with special reception needs (RCD art. 24) in noodopvang and crisisnoodopvang",
        headline: false,
    },
    MetricInfo {
        id: "amv_emergency_person_days",
        label: "Unaccompanied minors in emergency reception",
        unit: "person-days",
        better: "lower",
        definition: "Person-days of AMV in noodopvang and crisisnoodopvang",
        headline: true,
    },
    MetricInfo {
        id: "crisis_person_days",
        label: "Person-days in crisisnoodopvang",
        unit: "person-days",
        better: "lower",
        definition: "Person-days in crisisnoodopvang alone",
        headline: false,
    },
    MetricInfo {
        id: "waiting_person_days",
        label: "Person-days without a place downstream",
        unit: "person-days",
        better: "lower",
        definition: "Person-days of persons who had left the registration stage but found no place and waited in the registration centre",
        headline: false,
    },
    MetricInfo {
        id: "relocations_per_resident_year",
        label: "Relocations per resident per year",
        unit: "moves per resident-year",
        better: "lower",
        definition: "Moves between locations (closures, transfers to another type, background moves) ÷ resident-years",
        headline: true,
    },
    MetricInfo {
        id: "relocations",
        label: "Relocations",
        unit: "moves",
        better: "lower",
        definition: "All moves between locations over the horizon",
        headline: false,
    },
    MetricInfo {
        id: "nights_over_cap",
        label: "Nights the registration centre is above 2,000",
        unit: "nights",
        better: "lower",
        definition: "Days on which the registration centre holds more persons than its cap (Ter Apel: 2,000)",
        headline: true,
    },
    MetricInfo {
        id: "peak_registration",
        label: "Highest registration-centre occupancy",
        unit: "persons",
        better: "lower",
        definition: "Most persons in the registration centre on one day",
        headline: false,
    },
    MetricInfo {
        id: "total_cost",
        label: "Total reception cost",
        unit: "EUR",
        better: "lower",
        definition: "Sum over every day and type of occupied and empty places × their bed-day cost, plus night shelters, penalties and openings",
        headline: true,
    },
    MetricInfo {
        id: "cost_per_resident_year",
        label: "Cost per resident per year",
        unit: "EUR per resident-year",
        better: "lower",
        definition: "Total cost ÷ resident-years",
        headline: true,
    },
    MetricInfo {
        id: "gini_end",
        label: "Gini of places per 1,000 inhabitants (end)",
        unit: "Gini (0–1)",
        better: "lower",
        definition: "Gini coefficient over the 342 municipalities of all reception places per 1,000 inhabitants, on the last day (the project's own measure; none is published, docs/SIMULATION-SOURCES.md §9)",
        headline: true,
    },
    MetricInfo {
        id: "gini_mean",
        label: "Gini of places per 1,000 inhabitants (mean)",
        unit: "Gini (0–1)",
        better: "lower",
        definition: "Mean of the monthly Gini coefficients",
        headline: false,
    },
    MetricInfo {
        id: "hosting_none_end",
        label: "Share of municipalities hosting no reception (end)",
        unit: "share",
        better: "lower",
        definition: "Municipalities with no reception place of any type on the last day ÷ 342 (definition 'no reception at all', docs/SIMULATION-SOURCES.md §4.1)",
        headline: true,
    },
    MetricInfo {
        id: "hosting_none_mean",
        label: "Share of municipalities hosting no reception (mean)",
        unit: "share",
        better: "lower",
        definition: "Mean over the months",
        headline: false,
    },
    MetricInfo {
        id: "quality_pass_share",
        label: "Share of places that pass the quality framework",
        unit: "share",
        better: "higher",
        definition: "Place-days in capacity types whose prototype location passes every criterion of the kwaliteitskader (quality/kwaliteitskader-v1.toml) ÷ all place-days",
        headline: true,
    },
    MetricInfo {
        id: "resident_days",
        label: "Person-days in reception",
        unit: "person-days",
        better: "lower",
        definition: "All person-days in reception (the demand, equal under every policy)",
        headline: false,
    },
    MetricInfo {
        id: "resident_years",
        label: "Resident-years",
        unit: "resident-years",
        better: "lower",
        definition: "Person-days ÷ 365.25",
        headline: false,
    },
    MetricInfo {
        id: "total_cost_cents",
        label: "Total cost in cents",
        unit: "EUR cents",
        better: "lower",
        definition: "Exact total cost (integer cents)",
        headline: false,
    },
];

/// Monthly series per path, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Series {
    EmergencyShare,
    ChildrenInEmergency,
    RegistrationOccupancy,
    Persons,
    Durable,
    Temporary,
    AmvSmall,
    Nood,
    Crisis,
    Gini,
    HostingNone,
    CostMonth,
}

pub const NSERIES: usize = 12;

/// Metadata of every series, in [`Series`] order.
pub const SERIES: [(&str, &str, &str); NSERIES] = [
    ("emergency_share", "Share of residents in noodopvang or crisisnoodopvang", "share"),
    ("children_in_emergency", "Children in noodopvang or crisisnoodopvang", "persons"),
    ("registration_occupancy", "Persons in the registration centre", "persons"),
    ("persons", "Persons in reception", "persons"),
    ("capacity_durable", "Regular durable places", "places"),
    ("capacity_temporary", "Regular temporary places", "places"),
    ("capacity_amv_small_scale", "AMV small-scale places", "places"),
    ("capacity_noodopvang", "Noodopvang places", "places"),
    ("capacity_crisisnoodopvang", "Crisisnoodopvang places", "places"),
    ("gini", "Gini of places per 1,000 inhabitants", "Gini (0–1)"),
    ("hosting_none", "Share of municipalities hosting no reception", "share"),
    ("cost_month", "Cost in the past month", "EUR"),
];

/// Summary of one quantity over paths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub mean: f64,
    /// 95 % confidence interval of the mean: [low, high].
    pub ci95: [f64; 2],
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    pub n: usize,
}

/// Nearest-rank quantile of sorted values.
fn rank(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    sorted[((q * n as f64).ceil() as usize).clamp(1, n) - 1]
}

pub fn summarise(values: &[f64]) -> Summary {
    let n = values.len();
    if n == 0 {
        return Summary::default();
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let var = if n > 1 { values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64 } else { 0.0 };
    let half = 1.96 * (var / n as f64).sqrt();
    let mut s = values.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    Summary { mean, ci95: [mean - half, mean + half], p10: rank(&s, 0.1), p50: rank(&s, 0.5), p90: rank(&s, 0.9), n }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_matches_the_enums() {
        assert_eq!(METRICS[Scalar::TotalCostCents as usize].id, "total_cost_cents");
        assert_eq!(METRICS[Scalar::QualityPassShare as usize].id, "quality_pass_share");
        assert_eq!(SERIES[Series::CostMonth as usize].0, "cost_month");
        assert_eq!(SERIES[Series::Crisis as usize].0, "capacity_crisisnoodopvang");
    }

    #[test]
    fn summary_of_known_values() {
        let s = summarise(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]);
        assert_eq!((s.p10, s.p50, s.p90), (1.0, 5.0, 9.0));
        assert!((s.mean - 5.5).abs() < 1e-12);
        assert!(s.ci95[0] < 5.5 && s.ci95[1] > 5.5);
    }
}
