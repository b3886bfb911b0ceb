//! Policies (`policies/*.toml`): the rules of a regime and how municipalities respond to it.
//!
//! A policy has two parts. **Rules** are what the regime *is*: whether the distribution
//! decision (verdeelbesluit) binds, the cycle's dates, the key, the designation rule, the
//! durable share the cycle asks for, a reserve. **Behaviour** is how municipalities respond
//! to it (offer rate, realisation, compliance, delays); those are estimates, so each carries
//! a source or `assumption = true`, exactly like the parameter file.
//!
//! `law` and `voluntary` run through the same engine; they differ in
//! `rules.binding_decision` and in behaviour. With the binding decision off and
//! `rules.full_willingness = true` the two give the same bytes (property-tested).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use toml::Spanned;

use crate::error::{SimError, from_toml, line_at};
use crate::params::{Entry, RawEntry, check_entry};

/// Behaviour parameters a policy must give: (name, unit, allowed range, meaning).
pub const BEHAVIOUR_SPECS: &[(&str, &str, f64, f64, &str)] = &[
    (
        "offer_rate",
        "share",
        0.0,
        1.0,
        "Population-weighted share of municipalities that offer their remaining task by the CdK report",
    ),
    ("realisation_rate", "share", 0.0, 1.0, "Share of offers that are realised"),
    (
        "designation_compliance",
        "share",
        0.0,
        1.0,
        "Share of designated municipalities that realise the places the decision assigns them",
    ),
    ("offer_delay_days", "days", 0.0, 1460.0, "Mean extra delay of offers (legal uncertainty, consultation)"),
    ("designation_delay_days", "days", 0.0, 1460.0, "Mean extra delay of designated places (objection and appeal)"),
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyMeta {
    pub id: String,
    pub version: u32,
    pub title: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    binding_decision: Spanned<bool>,
    first_cycle: Spanned<i64>,
    cycle_years: Spanned<i64>,
    key: Spanned<String>,
    designation: Spanned<String>,
    over_delivery: Spanned<String>,
    method: Spanned<String>,
    forecast_date: Spanned<String>,
    report_date: Spanned<String>,
    decision_date: Spanned<String>,
    realisation_months: Spanned<i64>,
    durable_share: Spanned<f64>,
    #[serde(default)]
    reserve_places: Option<Spanned<i64>>,
    #[serde(default)]
    extra_durable_places: Option<Spanned<i64>>,
    #[serde(default)]
    full_willingness: Option<Spanned<bool>>,
    #[serde(default)]
    adhoc_durable_until: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    policy: PolicyMeta,
    rules: RawRules,
    behaviour: BTreeMap<String, Spanned<RawEntry>>,
}

/// A month and day in the cycle year (e.g. 31 January for the forecast).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct MonthDay {
    pub month: u32,
    pub day: u32,
}

impl MonthDay {
    pub fn in_year(self, year: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, self.month, self.day).expect("checked when parsed")
    }
}

/// The rules of a policy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rules {
    /// The distribution decision binds (Wet art. 5–6). False = the withdrawal plan.
    pub binding_decision: bool,
    /// Year of the first cycle simulated (its forecast is published before 1 Feb of that year).
    pub first_cycle: i32,
    /// Years between cycles (two in the Wet).
    pub cycle_years: i32,
    /// Key definition id (core `keys/`); the SES-WOA key falls back to population when SES-WOA is missing.
    pub key: String,
    /// Designation rule of the decision: proportional-gap or largest-relative-gap.
    pub designation: String,
    /// binding or not-binding.
    pub over_delivery: String,
    /// Apportionment method of the decision.
    pub method: String,
    pub forecast_date: MonthDay,
    pub report_date: MonthDay,
    pub decision_date: MonthDay,
    pub realisation_months: u32,
    /// Share of new regular places the cycle asks to be durable (≥ 5 years).
    pub durable_share: f64,
    /// Places COA keeps empty as a reserve before closing anything.
    pub reserve_places: u32,
    /// Durable places the state adds on the first day, spread over municipalities by their
    /// inhabitants (a national programme of kernlocaties); they count like any durable place.
    pub extra_durable_places: u32,
    /// Every municipality says yes to every ask, at once (the model's limit case).
    pub full_willingness: bool,
    /// Until this date COA finds durable places by ad-hoc asks, as before the law.
    pub adhoc_durable_until: Option<NaiveDate>,
}

/// A parsed, checked policy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Policy {
    pub meta: PolicyMeta,
    pub file: String,
    pub rules: Rules,
    pub behaviour: Vec<Entry>,
}

/// Behaviour values as the engine reads them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BehaviourValues {
    pub offer_rate: f64,
    pub realisation_rate: f64,
    pub designation_compliance: f64,
    pub offer_delay_days: f64,
    pub designation_delay_days: f64,
}

fn month_day(file: &str, text: &str, key: &str, s: &Spanned<String>) -> Result<MonthDay, SimError> {
    let line = line_at(text, s.span().start);
    let bad = || {
        SimError::invalid(
            file,
            line,
            key,
            format!("'{}' is not a date in the year: write MM-DD, e.g. \"11-01\"", s.get_ref()),
        )
    };
    let (m, d) = s.get_ref().trim().split_once('-').ok_or_else(bad)?;
    let (month, day): (u32, u32) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    // 2023 is not a leap year: 29 February is refused, it does not exist every year.
    NaiveDate::from_ymd_opt(2023, month, day).ok_or_else(bad)?;
    Ok(MonthDay { month, day })
}

fn int_in(file: &str, text: &str, key: &str, v: &Spanned<i64>, lo: i64, hi: i64) -> Result<i64, SimError> {
    let x = *v.get_ref();
    if x < lo || x > hi {
        return Err(SimError::invalid(
            file,
            line_at(text, v.span().start),
            key,
            format!("{x} is outside the allowed range [{lo}, {hi}]"),
        ));
    }
    Ok(x)
}

fn one_of(file: &str, text: &str, key: &str, v: &Spanned<String>, allowed: &[&str]) -> Result<String, SimError> {
    let x = v.get_ref().trim().to_string();
    if !allowed.contains(&x.as_str()) {
        return Err(SimError::invalid(
            file,
            line_at(text, v.span().start),
            key,
            format!("'{x}' is not allowed; use one of {}", allowed.join(", ")),
        ));
    }
    Ok(x)
}

impl Policy {
    /// Parse and check a policy file.
    pub fn parse(file: &str, text: &str) -> Result<Policy, SimError> {
        let raw: RawPolicy =
            toml::from_str(text).map_err(|e| from_toml(file, text, &e, "see docs/SIMULATION.md, Policies"))?;
        let r = &raw.rules;
        let first_cycle = int_in(file, text, "rules.first_cycle", &r.first_cycle, 2024, 2100)? as i32;
        let cycle_years = int_in(file, text, "rules.cycle_years", &r.cycle_years, 1, 6)? as i32;
        let realisation_months = int_in(file, text, "rules.realisation_months", &r.realisation_months, 1, 36)? as u32;
        let ds = *r.durable_share.get_ref();
        if !(0.0..=1.0).contains(&ds) {
            return Err(SimError::invalid(
                file,
                line_at(text, r.durable_share.span().start),
                "rules.durable_share",
                format!("{ds} is outside the allowed range [0, 1]"),
            ));
        }
        let reserve = match &r.reserve_places {
            Some(v) => int_in(file, text, "rules.reserve_places", v, 0, 100_000)? as u32,
            None => 0,
        };
        let extra = match &r.extra_durable_places {
            Some(v) => int_in(file, text, "rules.extra_durable_places", v, 0, 500_000)? as u32,
            None => 0,
        };
        let forecast_date = month_day(file, text, "rules.forecast_date", &r.forecast_date)?;
        let report_date = month_day(file, text, "rules.report_date", &r.report_date)?;
        let decision_date = month_day(file, text, "rules.decision_date", &r.decision_date)?;
        if !(forecast_date < report_date && report_date < decision_date) {
            return Err(SimError::invalid(
                file,
                line_at(text, r.report_date.span().start),
                "rules.report_date",
                "the cycle's dates must follow each other within the year: forecast_date < report_date < decision_date",
            ));
        }
        let adhoc = match &r.adhoc_durable_until {
            None => None,
            Some(s) => Some(NaiveDate::parse_from_str(s.get_ref().trim(), "%Y-%m-%d").map_err(|_| {
                SimError::invalid(
                    file,
                    line_at(text, s.span().start),
                    "rules.adhoc_durable_until",
                    format!("'{}' is not a date: write YYYY-MM-DD", s.get_ref()),
                )
            })?),
        };
        let rules = Rules {
            binding_decision: *r.binding_decision.get_ref(),
            first_cycle,
            cycle_years,
            key: one_of(file, text, "rules.key", &r.key, &["nl-spreidingswet-2024", "nl-population"])?,
            designation: one_of(
                file,
                text,
                "rules.designation",
                &r.designation,
                &["proportional-gap", "largest-relative-gap"],
            )?,
            over_delivery: one_of(file, text, "rules.over_delivery", &r.over_delivery, &["binding", "not-binding"])?,
            method: one_of(
                file,
                text,
                "rules.method",
                &r.method,
                &["hamilton", "webster", "dhondt", "huntington-hill", "adams"],
            )?,
            forecast_date,
            report_date,
            decision_date,
            realisation_months,
            durable_share: ds,
            reserve_places: reserve,
            extra_durable_places: extra,
            full_willingness: r.full_willingness.as_ref().map(|b| *b.get_ref()).unwrap_or(false),
            adhoc_durable_until: adhoc,
        };
        for (name, e) in &raw.behaviour {
            if !BEHAVIOUR_SPECS.iter().any(|s| s.0 == name) {
                let known: Vec<&str> = BEHAVIOUR_SPECS.iter().map(|s| s.0).collect();
                return Err(SimError::invalid(
                    file,
                    line_at(text, e.span().start),
                    &format!("behaviour.{name}"),
                    format!("unknown parameter; [behaviour] has: {}", known.join(", ")),
                ));
            }
        }
        let mut behaviour = Vec::new();
        for (name, unit, lo, hi, what) in BEHAVIOUR_SPECS {
            let key = format!("behaviour.{name}");
            let e = raw.behaviour.get(*name).ok_or_else(|| {
                SimError::invalid(
                    file,
                    0,
                    &key,
                    format!(
                        "missing: add [{key}] with value and source (or assumption = true); allowed [{lo}, {hi}] {unit}"
                    ),
                )
            })?;
            behaviour.push(check_entry(file, text, &key, *lo, *hi, unit, what, e)?);
        }
        Ok(Policy { meta: raw.policy, file: file.to_string(), rules, behaviour })
    }

    pub fn id(&self) -> &str {
        &self.meta.id
    }

    pub fn values(&self) -> BehaviourValues {
        let g = |n: &str| {
            self.behaviour.iter().find(|e| e.key == format!("behaviour.{n}")).map(|e| e.value).expect("checked")
        };
        BehaviourValues {
            offer_rate: g("offer_rate"),
            realisation_rate: g("realisation_rate"),
            designation_compliance: g("designation_compliance"),
            offer_delay_days: g("offer_delay_days"),
            designation_delay_days: g("designation_delay_days"),
        }
    }

    /// Set one behaviour parameter (sensitivity analysis).
    pub fn set(&mut self, key: &str, value: f64) -> Result<(), SimError> {
        let (_, _, lo, hi, _) = BEHAVIOUR_SPECS
            .iter()
            .find(|s| format!("behaviour.{}", s.0) == key)
            .ok_or_else(|| SimError::argument(format!("unknown policy parameter {key}")))?;
        if !(value >= *lo && value <= *hi) {
            return Err(SimError::argument(format!("{key}: {value} outside the allowed range [{lo}, {hi}]")));
        }
        self.behaviour.iter_mut().find(|e| e.key == key).expect("checked").value = value;
        Ok(())
    }
}
