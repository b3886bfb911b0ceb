//! The parameter set (`params/*.toml`): every number of the model that is not a rule of a
//! policy, each with its source in `docs/SIMULATION-SOURCES.md` (a source key such as `2025D08674`,
//! or a section such as `docs/SIMULATION-SOURCES.md §10`) or marked `assumption = true`.
//!
//! A file is refused, with `file:line: key: message`, when a key is unknown or missing, a
//! value lies outside its allowed range (the message gives the range), or a parameter has
//! neither a recognised source nor `assumption = true`.
//!
//! Each entry:
//! ```toml
//! [costs.nood_occupied]
//! value = 190.0
//! range = [146.0, 250.0]   # plausible range (sensitivity analysis), optional
//! source = "docs/SIMULATION-SOURCES.md §10; docs/DOMAIN-BRIEF.md §5"
//! note = "..."             # optional
//! tornado = true           # include in the sensitivity analysis (needs a range)
//! ```

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use toml::Spanned;

use crate::error::{SimError, from_toml, line_at};

/// Source keys of docs/SIMULATION-SOURCES.md's key table (and the Kamerbrief cited in its §4.4).
pub const SOURCE_KEYS: &[&str] = &[
    "COA-CB",
    "COA-B",
    "AIDA-T",
    "2025D08674",
    "2025D34097",
    "NOS-2499599",
    "NOS-2530030",
    "NRC-2020",
    "Metro-2024",
    "SvdU-2025",
    "RD-2025",
    "Trouw-2022",
    "Trouw-2023",
    "Tub-2023",
    "AD-2017",
    "NOS-2018",
    "WIK-WW",
    "WIK-COA25",
    "ZNet",
    "2026D05614",
];

/// Whether `source` cites something a reader can look up: a key of docs/SIMULATION-SOURCES.md, one
/// of its sections, a docs/DOMAIN-BRIEF.md section, or the project's own calibration.
pub fn is_recognised_source(source: &str) -> bool {
    let s = source.trim();
    !s.is_empty()
        && (SOURCE_KEYS.iter().any(|k| s.contains(k))
            || s.contains("docs/SIMULATION-SOURCES.md §")
            || s.contains("docs/DOMAIN-BRIEF.md §")
            || s.starts_with("calibrated"))
}

/// One parameter the model reads: its key, unit, the range a value must lie in, and what it means.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub group: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    pub lo: f64,
    pub hi: f64,
    pub what: &'static str,
}

impl Spec {
    pub fn key(&self) -> String {
        format!("{}.{}", self.group, self.name)
    }
}

macro_rules! catalogue {
    ($( $field:ident = $group:literal . $name:literal, $unit:literal, [$lo:expr, $hi:expr], $what:literal; )*) => {
        /// Every parameter of the model, in file order.
        pub const SPECS: &[Spec] = &[ $( Spec { group: $group, name: $name, unit: $unit, lo: $lo, hi: $hi, what: $what } ),* ];

        /// The parameter values, by name, as the engine reads them.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        pub struct Values { $( #[doc = $what] pub $field: f64, )* }

        impl Values {
            fn from_lookup(get: impl Fn(&str, &str) -> f64) -> Self {
                Values { $( $field: get($group, $name), )* }
            }
        }
    };
}

catalogue! {
    // --- who is in reception
    children_share = "demand"."children_share", "share", [0.0, 1.0], "Accompanied children as a share of the general stream in reception";
    vulnerable_share = "demand"."vulnerable_share", "share", [0.0, 1.0], "Adults with special reception needs (RCD art. 24) as a share of adults";
    amv_share = "demand"."amv_share", "share", [0.0, 0.5], "AMV sub-task as a share of the national task";
    occupancy_norm = "demand"."occupancy_norm", "share", [0.5, 1.0], "Planned occupancy of the capacity forecast: need = occupancy / norm";
    usable_share = "demand"."usable_share", "share", [0.5, 1.0], "Share of a location's places that can be occupied (family sizes leave beds empty)";
    forecast_error_sd = "demand"."forecast_error_sd", "log-sd", [0.0, 1.0], "Error of the capacity forecast (lognormal, mean 1)";
    history_registration = "demand"."history_registration", "persons", [0.0, 10000.0], "Persons in the registration stage in the calibration run (exogenous demand)";
    // --- capacity: lead times, contracts, sizes
    lead_crisis_days = "capacity"."lead_crisis_days", "days", [0.0, 30.0], "Lead time to open crisisnoodopvang";
    lead_nood_days = "capacity"."lead_nood_days", "days", [0.0, 180.0], "Lead time to open noodopvang (hall, hotel, ship, pavilion)";
    lead_conversion_days = "capacity"."lead_conversion_days", "days", [30.0, 730.0], "Lead time to convert an existing building to durable reception";
    lead_newbuild_days = "capacity"."lead_newbuild_days", "days", [90.0, 1460.0], "Median lead time of new build or rezoning";
    newbuild_tail_sd = "capacity"."newbuild_tail_sd", "log-sd", [0.0, 1.5], "Spread (lognormal) of new-build lead times: the fat tail of delays";
    conversion_share = "capacity"."conversion_share", "share", [0.0, 1.0], "Share of new durable places made by converting existing buildings";
    lead_temporary_days = "capacity"."lead_temporary_days", "days", [14.0, 730.0], "Lead time of temporary (non-durable regular) places";
    lead_amv_days = "capacity"."lead_amv_days", "days", [14.0, 730.0], "Lead time of AMV small-scale units";
    contract_durable_months = "capacity"."contract_durable_months", "months", [60.0, 360.0], "Contract length of durable places";
    contract_temporary_months = "capacity"."contract_temporary_months", "months", [6.0, 120.0], "Contract length of temporary places";
    contract_amv_months = "capacity"."contract_amv_months", "months", [6.0, 240.0], "Contract length of AMV small-scale units";
    contract_nood_months = "capacity"."contract_nood_months", "months", [1.0, 36.0], "Contract length of noodopvang";
    contract_crisis_months = "capacity"."contract_crisis_months", "months", [0.25, 12.0], "Contract length of crisisnoodopvang locations";
    extension_probability = "capacity"."extension_probability", "share", [0.0, 1.0], "Share of contracts extended at their end";
    nood_build_rate = "capacity"."nood_build_rate", "places/month", [0.0, 10000.0], "Most noodopvang places COA opens in a month";
    crisis_build_rate = "capacity"."crisis_build_rate", "places/day", [0.0, 5000.0], "Most crisisnoodopvang places opened in a day";
    builddown_rate = "capacity"."builddown_rate", "places/month", [0.0, 20000.0], "Most emergency or temporary places closed early in a month";
    nood_buffer = "capacity"."nood_buffer", "share", [0.0, 1.0], "Noodopvang COA plans above the persons without a regular place";
    closure_slack = "capacity"."closure_slack", "share", [0.0, 1.0], "Excess of emergency places over need that COA tolerates before closing early";
    size_regular = "capacity"."size_regular", "places", [20.0, 3000.0], "Median size of a new regular (durable) location";
    size_temporary = "capacity"."size_temporary", "places", [20.0, 3000.0], "Median size of a temporary location";
    size_nood = "capacity"."size_nood", "places", [20.0, 3000.0], "Median size of a noodopvang location";
    size_crisis = "capacity"."size_crisis", "places", [10.0, 1000.0], "Median size of a crisisnoodopvang location";
    size_amv = "capacity"."size_amv", "places", [4.0, 100.0], "Size of an AMV small-scale unit";
    size_sd = "capacity"."size_sd", "log-sd", [0.0, 1.5], "Spread (lognormal) of location sizes";
    max_per_1000 = "capacity"."max_per_1000", "places per 1,000 inhabitants", [1.0, 500.0], "Most places one municipality hosts per 1,000 inhabitants";
    registration_capacity = "capacity"."registration_capacity", "places", [100.0, 10000.0], "Cap of the registration centre (Ter Apel)";
    // --- starting capacity (projection start)
    initial_durable = "initial"."durable", "places", [0.0, 500000.0], "Durable regular places at the start";
    initial_temporary = "initial"."temporary", "places", [0.0, 500000.0], "Temporary regular places at the start";
    initial_amv = "initial"."amv_small_scale", "places", [0.0, 100000.0], "AMV small-scale places at the start";
    initial_nood = "initial"."noodopvang", "places", [0.0, 500000.0], "Noodopvang places at the start";
    initial_crisis = "initial"."crisisnoodopvang", "places", [0.0, 500000.0], "Crisisnoodopvang places at the start";
    // --- starting capacity of the calibration run (1 January 2022)
    history_durable = "history"."durable", "places", [0.0, 500000.0], "Durable regular places on 1 Jan 2022";
    history_temporary = "history"."temporary", "places", [0.0, 500000.0], "Temporary places on 1 Jan 2022";
    history_amv = "history"."amv_small_scale", "places", [0.0, 100000.0], "AMV small-scale places on 1 Jan 2022";
    history_nood = "history"."noodopvang", "places", [0.0, 500000.0], "Noodopvang places on 1 Jan 2022";
    history_asks_per_quarter = "history"."asks_per_quarter", "asks", [0.0, 342.0], "Municipalities COA asks per quarter for durable places without the law";
    // --- municipal behaviour
    adhoc_fill_rate = "behaviour"."adhoc_fill_rate", "share", [0.0, 1.0], "Share of municipalities asked ad hoc that say yes (population-weighted); sets the willingness intercept";
    wealth_gradient = "behaviour"."wealth_gradient", "logit per sd", [-5.0, 5.0], "Effect of wealth (SES-WOA, standardised) on willingness";
    heterogeneity_sd = "behaviour"."heterogeneity_sd", "logit sd", [0.0, 5.0], "Spread of willingness between otherwise equal municipalities";
    prior_hosting_effect = "behaviour"."prior_hosting_effect", "logit", [-5.0, 5.0], "Effect of hosting already on willingness to host more";
    durable_shift = "behaviour"."durable_shift", "logit", [-6.0, 6.0], "Willingness for durable places relative to emergency places";
    court_priority = "behaviour"."court_priority", "share", [0.0, 1.0], "Share of children and vulnerable persons who get a regular place before others (court rule, ECLI:NL:GHDHA:2022:2429)";
    moves_regular = "behaviour"."moves_regular", "moves per resident-year", [0.0, 10.0], "Moves within regular reception not caused by closures";
    moves_nood = "behaviour"."moves_nood", "moves per resident-year", [0.0, 10.0], "Moves within noodopvang not caused by closures";
    moves_crisis = "behaviour"."moves_crisis", "moves per resident-year", [0.0, 20.0], "Moves within crisisnoodopvang not caused by closures";
    // --- costs (euro)
    cost_regular_occupied = "costs"."regular_occupied", "EUR per bed-day", [0.0, 1000.0], "Durable regular place, occupied";
    cost_regular_empty = "costs"."regular_empty", "EUR per bed-day", [0.0, 1000.0], "Durable regular place, empty";
    cost_temporary_occupied = "costs"."temporary_occupied", "EUR per bed-day", [0.0, 1000.0], "Temporary place, occupied";
    cost_temporary_empty = "costs"."temporary_empty", "EUR per bed-day", [0.0, 1000.0], "Temporary place, empty";
    cost_amv_occupied = "costs"."amv_occupied", "EUR per bed-day", [0.0, 2000.0], "AMV small-scale place, occupied";
    cost_amv_empty = "costs"."amv_empty", "EUR per bed-day", [0.0, 2000.0], "AMV small-scale place, empty";
    cost_nood_occupied = "costs"."nood_occupied", "EUR per bed-day", [0.0, 1000.0], "Noodopvang place, occupied";
    cost_nood_empty = "costs"."nood_empty", "EUR per bed-day", [0.0, 1000.0], "Noodopvang place, empty";
    cost_crisis_occupied = "costs"."crisis_occupied", "EUR per person-night", [0.0, 1000.0], "Crisisnoodopvang place, occupied";
    cost_crisis_empty = "costs"."crisis_empty", "EUR per bed-day", [0.0, 1000.0], "Crisisnoodopvang place, empty";
    cost_registration_occupied = "costs"."registration_occupied", "EUR per bed-day", [0.0, 1000.0], "Registration centre place, occupied";
    cost_registration_empty = "costs"."registration_empty", "EUR per bed-day", [0.0, 1000.0], "Registration centre place, empty";
    cost_shelter_fixed = "costs"."shelter_fixed", "EUR per shelter-night", [0.0, 100000.0], "Night shelter for registration overflow, fixed cost per night";
    cost_shelter_person = "costs"."shelter_person", "EUR per person-night", [0.0, 1000.0], "Night shelter, marginal cost per person";
    shelter_beds = "costs"."shelter_beds", "beds", [1.0, 5000.0], "Beds per night shelter";
    cost_penalty_night = "costs"."penalty_night", "EUR per night", [0.0, 1000000.0], "Penalty (dwangsom) per night above the registration cap";
    cost_open_nood = "costs"."open_nood", "EUR per place", [0.0, 100000.0], "One-off cost of opening a noodopvang place";
    cost_open_crisis = "costs"."open_crisis", "EUR per place", [0.0, 100000.0], "One-off cost of opening a crisisnoodopvang place";
    cost_open_durable = "costs"."open_durable", "EUR per place", [0.0, 1000000.0], "One-off cost of a new durable or temporary place beyond the daily rate";
}

/// A published national total to use for a cycle's forecast instead of the model's own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedForecast {
    pub year: i32,
    pub total: u64,
    pub amv: u64,
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub id: String,
    pub version: u32,
    pub title: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEntry {
    pub value: Spanned<f64>,
    #[serde(default)]
    pub range: Option<Spanned<[f64; 2]>>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub assumption: bool,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub tornado: bool,
}

type RawGroup = BTreeMap<String, Spanned<RawEntry>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    meta: Meta,
    #[serde(default)]
    forecast: Vec<FixedForecast>,
    demand: RawGroup,
    capacity: RawGroup,
    initial: RawGroup,
    history: RawGroup,
    behaviour: RawGroup,
    costs: RawGroup,
}

/// One parameter as read from a file: its value, where it comes from and how sure it is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    /// `group.name`, e.g. `costs.nood_occupied`.
    pub key: String,
    pub value: f64,
    pub unit: String,
    pub what: String,
    /// Plausible range, used by the sensitivity analysis.
    pub range: Option<[f64; 2]>,
    /// The source key or section in docs/SIMULATION-SOURCES.md (or docs/DOMAIN-BRIEF.md, or "calibrated …").
    pub source: Option<String>,
    /// True when the number is not a published figure.
    pub assumption: bool,
    pub note: Option<String>,
    pub tornado: bool,
    #[serde(skip)]
    pub line: usize,
}

/// Check one raw entry against its spec and turn it into an [`Entry`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_entry(
    file: &str,
    text: &str,
    key: &str,
    spec_lo: f64,
    spec_hi: f64,
    unit: &str,
    what: &str,
    raw: &Spanned<RawEntry>,
) -> Result<Entry, SimError> {
    let line = line_at(text, raw.span().start);
    let e = raw.get_ref();
    let v = *e.value.get_ref();
    let vline = line_at(text, e.value.span().start);
    if !(v.is_finite() && v >= spec_lo && v <= spec_hi) {
        return Err(SimError::invalid(
            file,
            vline,
            key,
            format!("value {v} is outside the allowed range [{spec_lo}, {spec_hi}] ({unit})"),
        ));
    }
    let range = match &e.range {
        None => None,
        Some(r) => {
            let [lo, hi] = *r.get_ref();
            let rline = line_at(text, r.span().start);
            if !(lo.is_finite() && hi.is_finite() && lo <= hi && lo >= spec_lo && hi <= spec_hi) {
                return Err(SimError::invalid(
                    file,
                    rline,
                    key,
                    format!(
                        "range [{lo}, {hi}] must be ordered and inside the allowed range [{spec_lo}, {spec_hi}] ({unit})"
                    ),
                ));
            }
            if v < lo || v > hi {
                return Err(SimError::invalid(
                    file,
                    rline,
                    key,
                    format!("value {v} lies outside its own range [{lo}, {hi}]"),
                ));
            }
            Some([lo, hi])
        }
    };
    let source = e.source.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    match (&source, e.assumption) {
        (None, false) => {
            return Err(SimError::invalid(
                file,
                line,
                key,
                "has no source: add `source = \"<key or section of docs/SIMULATION-SOURCES.md>\"` or mark it `assumption = true`",
            ));
        }
        (Some(s), false) if !is_recognised_source(s) => {
            return Err(SimError::invalid(
                file,
                line,
                key,
                format!(
                    "source '{s}' names no source key or section of docs/SIMULATION-SOURCES.md (e.g. 2025D08674, \
                     'docs/SIMULATION-SOURCES.md §10', 'docs/DOMAIN-BRIEF.md §5'); cite one or mark it `assumption = true`"
                ),
            ));
        }
        _ => {}
    }
    if e.tornado && range.is_none() {
        return Err(SimError::invalid(file, line, key, "tornado = true needs a range = [low, high]"));
    }
    Ok(Entry {
        key: key.to_string(),
        value: v,
        unit: unit.to_string(),
        what: what.to_string(),
        range,
        source,
        assumption: e.assumption,
        note: e.note.clone(),
        tornado: e.tornado,
        line,
    })
}

/// A parsed, checked parameter file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamSet {
    pub meta: Meta,
    pub file: String,
    pub entries: Vec<Entry>,
    pub forecasts: Vec<FixedForecast>,
}

impl ParamSet {
    /// Parse and check a parameter file; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<ParamSet, SimError> {
        let raw: RawFile =
            toml::from_str(text).map_err(|e| from_toml(file, text, &e, "see docs/SIMULATION.md, Parameters"))?;
        let groups: [(&str, &RawGroup); 6] = [
            ("demand", &raw.demand),
            ("capacity", &raw.capacity),
            ("initial", &raw.initial),
            ("history", &raw.history),
            ("behaviour", &raw.behaviour),
            ("costs", &raw.costs),
        ];
        for (g, map) in &groups {
            for (name, entry) in map.iter() {
                if !SPECS.iter().any(|s| s.group == *g && s.name == name) {
                    let known: Vec<&str> = SPECS.iter().filter(|s| s.group == *g).map(|s| s.name).collect();
                    return Err(SimError::invalid(
                        file,
                        line_at(text, entry.span().start),
                        &format!("{g}.{name}"),
                        format!("unknown parameter; [{g}] has: {}", known.join(", ")),
                    ));
                }
            }
        }
        let mut entries = Vec::with_capacity(SPECS.len());
        for s in SPECS {
            let map = groups.iter().find(|(g, _)| *g == s.group).expect("group listed").1;
            let key = s.key();
            let raw_entry = map.get(s.name).ok_or_else(|| {
                SimError::invalid(
                    file,
                    0,
                    &key,
                    format!(
                        "missing: add [{key}] with value, source (or assumption = true); allowed [{}, {}] {}",
                        s.lo, s.hi, s.unit
                    ),
                )
            })?;
            entries.push(check_entry(file, text, &key, s.lo, s.hi, s.unit, s.what, raw_entry)?);
        }
        for f in &raw.forecast {
            if !(2024..=2100).contains(&f.year) || f.amv > f.total || f.total == 0 || !is_recognised_source(&f.source) {
                let line = text.find(&format!("year = {}", f.year)).map(|p| line_at(text, p)).unwrap_or(0);
                return Err(SimError::invalid(
                    file,
                    line,
                    "forecast",
                    "a fixed forecast needs a year in [2024, 2100], 0 < amv ≤ total and a recognised source",
                ));
            }
        }
        let set = ParamSet { meta: raw.meta, file: file.to_string(), entries, forecasts: raw.forecast };
        set.check_consistency()?;
        Ok(set)
    }

    fn check_consistency(&self) -> Result<(), SimError> {
        let v = self.values();
        let at = |key: &str| self.entries.iter().find(|e| e.key == key).map(|e| e.line).unwrap_or(0);
        if v.cost_regular_empty > v.cost_regular_occupied {
            return Err(SimError::invalid(
                &self.file,
                at("costs.regular_empty"),
                "costs.regular_empty",
                "an empty place cannot cost more than an occupied one",
            ));
        }
        Ok(())
    }

    /// The values the engine reads.
    pub fn values(&self) -> Values {
        Values::from_lookup(|g, n| {
            let key = format!("{g}.{n}");
            self.entries.iter().find(|e| e.key == key).map(|e| e.value).expect("every spec has an entry")
        })
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// Set one parameter (sensitivity analysis, calibration); the value must be in its allowed range.
    pub fn set(&mut self, key: &str, value: f64) -> Result<(), SimError> {
        let spec = SPECS
            .iter()
            .find(|s| s.key() == key)
            .ok_or_else(|| SimError::argument(format!("unknown parameter {key}")))?;
        if !(value.is_finite() && value >= spec.lo && value <= spec.hi) {
            return Err(SimError::argument(format!(
                "{key}: {value} outside the allowed range [{}, {}]",
                spec.lo, spec.hi
            )));
        }
        let e = self.entries.iter_mut().find(|e| e.key == key).expect("every spec has an entry");
        e.value = value;
        Ok(())
    }

    /// The published national total for a cycle year, if the file gives one.
    pub fn fixed_forecast(&self, year: i32) -> Option<&FixedForecast> {
        self.forecasts.iter().find(|f| f.year == year)
    }
}
