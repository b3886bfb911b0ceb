//! The one adapter between the simulator and the core's rules of law. Every call into
//! `spreiding_core`'s key, distribution, decision and quality modules is here, so when the
//! core's API changes (an AMV sub-decision, renamed offer kinds) the integration is updated
//! in this file alone. The rest of the crate sees only the plain types below.
//!
//! What the simulator takes from the core:
//! - the 342 municipalities and 12 provinces (`bundled::netherlands`, CBS);
//! - the indicative task per municipality and its AMV part (`key::run_key`,
//!   `distribution::distribute`: the verdeelsleutel and its exact apportionment);
//! - which existing places count against the task (`distribution::count_durable`, inside
//!   `distribute`: more than 100 places and at least 5 years, or a registration centre);
//! - the distribution decision (`decision::decide`, Wet art. 5–6) on the simulated plans;
//! - the quality framework (`quality::assess`) on one prototype location per capacity type.

use chrono::NaiveDate;
use spreiding_core::Netherlands;
use spreiding_core::decision::{DecisionInput, DecisionRule, Designation, OverDelivery, PlanLine, decide};
use spreiding_core::distribution::{CreditLocation, distribute};
use spreiding_core::key::{Indicators, KeyDefinition, KeyResult, run_key};
use spreiding_core::location::{LocationType, parse_locations_csv};
use spreiding_core::quality::{Framework, Outcome, assess};

use crate::capacity::CapacityType;
use crate::error::SimError;

/// The municipalities as the simulator sees them (index = position in the CBS file).
#[derive(Clone, Debug)]
pub struct Geography {
    pub codes: Vec<String>,
    pub names: Vec<String>,
    pub province: Vec<usize>,
    pub province_codes: Vec<String>,
    pub province_names: Vec<String>,
    pub population: Vec<u64>,
    /// The municipality hosting the registration centre (Westerwolde, Ter Apel).
    pub registration_host: usize,
    nl: Netherlands,
}

impl Geography {
    pub fn len(&self) -> usize {
        self.codes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
    pub fn total_population(&self) -> u64 {
        self.population.iter().sum()
    }
}

/// Ter Apel lies in Westerwolde (GM1950).
pub const REGISTRATION_HOST: &str = "GM1950";

/// The bundled reference data (CBS 2025 municipalities, population 1 Jan 2026).
pub fn netherlands() -> Result<Geography, SimError> {
    let nl = spreiding_core::bundled::netherlands()?;
    let province_codes: Vec<String> = nl.provinces.iter().map(|p| p.code.to_string()).collect();
    let province_names: Vec<String> = nl.provinces.iter().map(|p| p.name.clone()).collect();
    let province = nl
        .municipalities
        .iter()
        .map(|m| nl.provinces.iter().position(|p| p.code == m.province).expect("validated"))
        .collect();
    let codes: Vec<String> = nl.municipalities.iter().map(|m| m.code.to_string()).collect();
    let registration_host = codes
        .iter()
        .position(|c| c == REGISTRATION_HOST)
        .ok_or_else(|| SimError::Core(format!("{REGISTRATION_HOST} (Westerwolde) is not in the reference data")))?;
    Ok(Geography {
        names: nl.municipalities.iter().map(|m| m.name.clone()).collect(),
        population: nl.municipalities.iter().map(|m| m.population).collect(),
        codes,
        province,
        province_codes,
        province_names,
        registration_host,
        nl,
    })
}

/// A key definition ready to run, with the note shown when SES-WOA is missing.
#[derive(Clone, Debug)]
pub struct Key {
    def: KeyDefinition,
    indicators: Indicators,
    pub id: String,
    pub note: Option<String>,
    /// The key run once (for a reference total): its exact whole weights do not depend on
    /// the total, so each cycle only re-apportions them (see [`tasks`]).
    prepared: Option<KeyResult>,
}

impl Key {
    /// The key a policy names. The Spreidingswet key needs SES-WOA scores, which are not
    /// available offline (docs/DOMAIN-BRIEF.md §3, §7): without them the population key is used and
    /// `note` says so, as everywhere in spreiding.
    pub fn new(id: &str) -> Result<Key, SimError> {
        let indicators = Indicators::default();
        let (use_id, note) = if id == spreiding_core::bundled::SPREIDINGSWET_KEY && !indicators.has("ses_woa") {
            (spreiding_core::bundled::POPULATION_KEY, Some("SES-WOA not loaded: population-only key".to_string()))
        } else {
            (id, None)
        };
        let def = spreiding_core::bundled::key(use_id)
            .ok_or_else(|| SimError::argument(format!("unknown key '{use_id}'")))??;
        Ok(Key { def, indicators, id: use_id.to_string(), note, prepared: None })
    }

    /// Run the key once on the geography, so later cycles only apportion.
    pub fn prepare(&mut self, geo: &Geography) -> Result<(), SimError> {
        self.prepared = Some(run_key(&self.def, &geo.nl.set, &self.indicators, 100_000, None)?);
        Ok(())
    }
}

/// The key's result for `total`: `run_key` scales the exact combined values to whole weights
/// that do not depend on the total and apportions them; with a prepared key only the
/// apportionment (the core's, same method and tie-break) is redone.
fn key_result(geo: &Geography, key: &Key, total: u64) -> Result<KeyResult, SimError> {
    match &key.prepared {
        None => Ok(run_key(&key.def, &geo.nl.set, &key.indicators, total, None)?),
        Some(r) => {
            let ids: Vec<&str> = geo.codes.iter().map(String::as_str).collect();
            let weights: Vec<num_bigint::BigUint> = (0..ids.len()).map(|i| r.apportionment.weight(i)).collect();
            let mut out = r.clone();
            out.apportionment = spreiding_core::apportion(r.apportionment.method, &ids, &weights, total)?;
            out.total = total;
            Ok(out)
        }
    }
}

/// One municipality's task in a cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Task {
    pub task: u64,
    pub amv: u64,
    /// Existing places that count against the task (core rule).
    pub credited: u64,
    pub remaining: u64,
}

/// Places a municipality has now, by kind, for the credit rule.
#[derive(Clone, Copy, Debug, Default)]
pub struct Existing {
    pub durable: u64,
    pub temporary: u64,
    pub amv_small: u64,
    pub registration: u64,
}

/// Contract years the credit rule sees for each kind (from the parameter set).
#[derive(Clone, Copy, Debug)]
pub struct ContractYears {
    pub durable: u32,
    pub temporary: u32,
    pub amv: u32,
}

/// Indicative tasks (Wet art. 3) for a national total and AMV sub-task, with the credit of
/// existing places. One row per municipality, in geography order.
pub fn tasks(
    geo: &Geography,
    key: &Key,
    total: u64,
    amv: u64,
    existing: &[Existing],
    years: ContractYears,
) -> Result<Vec<Task>, SimError> {
    let result = key_result(geo, key, total)?;
    let mut credits = Vec::new();
    for (i, e) in existing.iter().enumerate() {
        let m = geo.nl.municipalities[i].code;
        // All places of one municipality form one cluster: several small locations together
        // may qualify (docs/DOMAIN-BRIEF.md §3). The core decides what counts.
        let mut push = |places: u64, years: u32, kind: LocationType, tag: &str| {
            if places > 0 {
                credits.push(CreditLocation {
                    id: format!("{}-{tag}", geo.codes[i]),
                    municipality: m,
                    name: tag.to_string(),
                    places,
                    years_available: years,
                    kind,
                    cluster: Some("all".to_string()),
                });
            }
        };
        push(e.durable, years.durable, LocationType::RegularAzc, "durable");
        push(e.temporary, years.temporary, LocationType::RegularAzc, "temporary");
        push(e.amv_small, years.amv, LocationType::AmvSmallScale, "amv");
        push(e.registration, years.durable, LocationType::RegistrationCentre, "registration");
    }
    let d = distribute(&geo.nl, result, Some(amv), &credits, key.note.clone())?;
    Ok(d.municipalities
        .iter()
        .map(|m| Task { task: m.task, amv: m.amv.unwrap_or(0), credited: m.credited, remaining: m.remaining })
        .collect())
}

/// The minister's choices in the decision, from the policy's rules.
#[derive(Clone, Copy, Debug)]
pub struct Rule(DecisionRule);

impl Rule {
    pub fn new(designation: &str, over_delivery: &str, method: &str) -> Result<Rule, SimError> {
        Ok(Rule(DecisionRule {
            designation: designation.parse::<Designation>()?,
            over_delivery: over_delivery.parse::<OverDelivery>()?,
            method: method.parse()?,
        }))
    }
}

/// One line of the provincial plan as simulated.
#[derive(Clone, Copy, Debug, Default)]
pub struct Plan {
    pub task: u64,
    /// Places moved to (+) or from (−) this municipality in the provincial table.
    pub swap: i64,
    pub credited: u64,
    pub offered: u64,
}

/// The decision's outcome for one municipality.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Binding {
    pub binding_task: u64,
    /// Places of the provincial shortfall assigned to this municipality (designation).
    pub shortfall_share: u64,
}

/// Take the distribution decision (Wet art. 5–6) with the core's rule on the simulated plans.
pub fn decision(geo: &Geography, rule: Rule, plans: &[Plan], decided_on: NaiveDate) -> Result<Vec<Binding>, SimError> {
    let lines: Vec<PlanLine> = geo
        .nl
        .municipalities
        .iter()
        .zip(plans)
        .map(|(m, p)| {
            let mut l = PlanLine::new(m.code, &m.name, m.province, p.task, p.credited + p.offered);
            l.swap_delta = p.swap;
            l.credited = p.credited;
            l.offered = p.offered;
            l
        })
        .collect();
    let national_total = plans.iter().map(|p| p.task).sum();
    // The simulator works on the whole task; the AMV sub-task is not simulated separately.
    let d = decide(&DecisionInput { national_total, amv_total: None, lines, rule: rule.0, decided_on })?;
    Ok(d.municipalities
        .iter()
        .map(|m| Binding { binding_task: m.binding_task, shortfall_share: m.shortfall_share })
        .collect())
}

/// The legal deadlines of the cycle whose forecast is made in `year` (core `cycle::Calendar`):
/// forecast before, CdK report before, decision by, and the realisation deadline of a
/// decision taken on `decided_on`.
pub fn calendar(year: i32, decided_on: NaiveDate) -> Result<[NaiveDate; 4], SimError> {
    let c = spreiding_core::cycle::Calendar::new(year)?;
    Ok([
        c.forecast_deadline(),
        c.report_deadline(),
        c.decision_deadline(),
        spreiding_core::cycle::Calendar::realisation_deadline(decided_on),
    ])
}

/// Whether a prototype location of each capacity type passes the quality framework
/// (kwaliteitskader v1), and for the registration centre both below and above its cap.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct QualityVerdicts {
    /// Per capacity type in [`CapacityType::ALL`] order: passes the framework when full.
    pub passes: Vec<bool>,
    /// The registration centre when over its cap (Ter Apel: 2,000).
    pub registration_over_cap_passes: bool,
    /// Failed or unknown criteria per type (ids), for the report.
    pub blocking: Vec<Vec<String>>,
    pub framework: String,
}

/// Assess the prototypes (`params/location-prototypes.csv`, one row per type, every field
/// an assumption) with the core's quality rules.
pub fn quality(
    prototypes_file: &str,
    prototypes_csv: &str,
    registration_cap: u32,
) -> Result<QualityVerdicts, SimError> {
    let fw = Framework::bundled();
    let locs = parse_locations_csv(prototypes_file, prototypes_csv)?;
    let mut passes = Vec::new();
    let mut blocking = Vec::new();
    let mut over = false;
    for t in CapacityType::ALL {
        let loc = locs.iter().find(|l| l.id == t.code()).ok_or_else(|| {
            SimError::invalid(prototypes_file, 0, "id", format!("no prototype row with id '{}'", t.code()))
        })?;
        if loc.kind != core_kind(t) {
            return Err(SimError::invalid(
                prototypes_file,
                0,
                "type",
                format!("prototype '{}' must have type '{}'", t.code(), core_kind(t).code()),
            ));
        }
        let mut l = loc.clone();
        if t == CapacityType::Registration {
            l.occupied = Some(registration_cap);
        } else {
            l.occupied = Some(l.beds);
        }
        let a = assess(&fw, &l);
        passes.push(a.overall == Outcome::Pass);
        blocking.push(
            a.results
                .iter()
                .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Unknown))
                .map(|r| format!("{} ({})", r.criterion, r.outcome.code()))
                .collect(),
        );
        if t == CapacityType::Registration {
            let mut o = loc.clone();
            o.occupied = Some(registration_cap + 1);
            over = assess(&fw, &o).overall == Outcome::Pass;
        }
    }
    Ok(QualityVerdicts {
        passes,
        registration_over_cap_passes: over,
        blocking,
        framework: format!("{} v{}", fw.id, fw.version),
    })
}

fn core_kind(t: CapacityType) -> LocationType {
    match t {
        CapacityType::Durable => LocationType::RegularAzc,
        CapacityType::Temporary => LocationType::RegularAzc,
        CapacityType::AmvSmall => LocationType::AmvSmallScale,
        CapacityType::Nood => LocationType::Noodopvang,
        CapacityType::Crisis => LocationType::Crisisnoodopvang,
        CapacityType::Registration => LocationType::RegistrationCentre,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `law` and `voluntary` policies keep the core's cycle calendar (Wet art. 2–6): the
    /// forecast before 1 Feb, the CdK report before 1 Nov, the decision by 31 Dec, and
    /// realisation within six months of the decision.
    #[test]
    fn the_shipped_policies_keep_the_core_calendar() {
        for id in ["law", "voluntary"] {
            let p = crate::bundled::policy(id).unwrap().unwrap();
            let r = &p.rules;
            for year in [2026, 2028, 2030] {
                let decided = r.decision_date.in_year(year);
                let [f, rep, dec, real] = calendar(year, decided).unwrap();
                assert!(r.forecast_date.in_year(year) < f, "{id}: forecast");
                assert!(r.report_date.in_year(year) < rep, "{id}: report");
                assert!(decided <= dec, "{id}: decision");
                let ours = decided.checked_add_months(chrono::Months::new(r.realisation_months)).unwrap();
                assert_eq!(ours, real, "{id}: realisation");
            }
            assert_eq!(r.cycle_years, 2);
        }
    }

    /// The prepared key gives exactly what running the core's key afresh gives.
    #[test]
    fn a_prepared_key_apportions_like_run_key() {
        let geo = netherlands().unwrap();
        let fresh = Key::new("nl-population").unwrap();
        let mut prepared = fresh.clone();
        prepared.prepare(&geo).unwrap();
        let existing = vec![Existing::default(); geo.len()];
        let years = ContractYears { durable: 10, temporary: 3, amv: 5 };
        for total in [1u64, 999, 88_000, 96_000, 123_457] {
            let a = tasks(&geo, &fresh, total, total / 12, &existing, years).unwrap();
            let b = tasks(&geo, &prepared, total, total / 12, &existing, years).unwrap();
            assert_eq!(a, b, "total {total}");
            assert_eq!(a.iter().map(|t| t.task).sum::<u64>(), total);
        }
    }
}
