//! Humane placement of households in reception locations (pure: no IO, no clock).
//!
//! In: a location registry, the quality framework, households (pseudonymous ids, members
//! with age band and Art. 24 RCD needs, current location, days there, school enrolment),
//! a date and a mode (place arrivals, close a location, rebalance). Out: a [`Plan`] with a
//! placement and its reason for every household that moves, and for every household that
//! cannot be placed the hard rule that binds.
//!
//! Hard rules (never broken): a household is never split; unaccompanied minors only in AMV
//! housing; no vulnerable person or child in (crisis)noodopvang unless the location passes
//! the quality criteria for their needs (ECLI:NL:GHDHA:2022:2429); no child under one in
//! crisisnoodopvang (Handreiking crisisnoodopvang, as quoted in the ruling); capacity. Soft, weighted objective: see [`Weights`] and
//! docs/PLACEMENT.md.

pub mod flow;
pub mod model;
pub mod solve;
pub mod synthetic;
pub mod text;

use std::collections::BTreeMap;

use serde::Serialize;
use spreiding_core::CoreError;

pub use model::{AgeBand, CostParts, Household, Instance, Member, Mode, Violation, Weights, admissible, prepare};
pub use solve::{Method, Objective, Strategy};

/// Where one household goes, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Placement {
    pub household: String,
    pub persons: u32,
    pub from: Option<String>,
    pub to: String,
    pub moved: bool,
    pub cost: CostParts,
    pub reason: String,
}

/// A household that could not be placed, with the rule that binds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unplaced {
    pub household: String,
    pub persons: u32,
    pub current: Option<String>,
    pub binding: Violation,
    pub reason: String,
}

/// Size of the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    pub households: usize,
    pub persons: u64,
    pub movable: usize,
    pub locations: usize,
    pub classes: usize,
    pub variables: usize,
    pub method: Method,
}

/// The answer of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub mode: Mode,
    pub date: chrono::NaiveDate,
    pub placements: Vec<Placement>,
    pub unplaced: Vec<Unplaced>,
    pub objective: Objective,
    /// LP lower bound (when LP + rounding was used): the optimum lies between this and the objective.
    pub lower_bound: Option<f64>,
    pub stats: Stats,
}

impl Plan {
    /// Relative gap to the LP lower bound (0 when solved exactly).
    pub fn gap(&self) -> f64 {
        match self.lower_bound {
            Some(lb) if lb > 0.0 => ((self.objective.total - lb) / lb).max(0.0),
            _ => 0.0,
        }
    }
}

/// Place with the optimiser.
pub fn place(inst: &Instance, strategy: Strategy) -> Result<Plan, CoreError> {
    let p = prepare(inst)?;
    let cls = solve::classes(inst, &p);
    let solved = solve::optimise(&p, &cls, &inst.weights, strategy)?;
    Ok(plan(inst, &p, &cls, &solved.counts, solved.method, solved.lower_bound, solved.variables))
}

/// Place with the greedy baseline only (for comparison).
pub fn place_greedy(inst: &Instance) -> Result<Plan, CoreError> {
    let p = prepare(inst)?;
    let cls = solve::classes(inst, &p);
    let counts = solve::greedy(&p, &cls, &inst.weights);
    Ok(plan(inst, &p, &cls, &counts, Method::Greedy, None, 0))
}

fn plan(
    inst: &Instance,
    p: &model::Prepared,
    cls: &[solve::Class],
    counts: &[Vec<(usize, u32)>],
    method: Method,
    lower_bound: Option<f64>,
    variables: usize,
) -> Plan {
    let w = &inst.weights;
    let objective = solve::evaluate(p, cls, counts, w);
    let mut placements = Vec::new();
    let mut unplaced = Vec::new();
    let mut free: Vec<u32> = p.sites.iter().map(model::Site::free).collect();
    for (c, cnt) in cls.iter().zip(counts) {
        for &(s, n) in cnt {
            free[s] -= c.persons() * n;
        }
    }
    for (c, cnt) in cls.iter().zip(counts) {
        let mut members = c.members.iter();
        let n_options = c.options.len();
        for &(s, n) in cnt {
            let parts = c.options.iter().find(|o| o.0 == s).expect("option").1;
            let cheaper = c.options.iter().filter(|o| o.1.total() < parts.total()).count();
            // Everything after the household's own cause is the same for every member of
            // the class at this location: format it once (190,000 households → 0.4 s).
            let l = &inst.locations[s];
            let g = c.groups;
            let needs = if g.is_empty() {
                "no special needs".to_string()
            } else {
                format!("Art. 24 groups {} met", g.letters())
            };
            let common = format!(
                "{} ({}, {}) admissible ({needs}); one of {n_options} admissible locations, {} cheaper ones full or crowding; cost {:.0} = relocation {:.0} + travel {:.0} + cost {:.0}{}",
                l.name,
                l.kind,
                l.municipality,
                cheaper,
                parts.total(),
                parts.relocation,
                parts.travel,
                parts.cost,
                if parts.overstay > 0.0 { format!(" + overstay {:.0}", parts.overstay) } else { String::new() }
            );
            for &hi in members.by_ref().take(n as usize) {
                let h = &inst.households[hi];
                let moved = h.current.as_deref() != Some(l.id.as_str());
                let why = if !moved {
                    "stays".to_string()
                } else {
                    match (&inst.mode, &h.current) {
                        (_, None) => "new arrival".to_string(),
                        (model::Mode::Close(id), _) => format!("closure of {id}"),
                        (model::Mode::Rebalance, Some(cur)) => {
                            format!("must leave {cur} ({})", rebalance_cause(inst, p, hi))
                        }
                        (_, Some(cur)) => format!("leaves registration centre {cur}"),
                    }
                };
                let mut reason = String::with_capacity(why.len() + 2 + common.len());
                reason.push_str(&why);
                reason.push_str("; ");
                reason.push_str(&common);
                placements.push(Placement {
                    household: h.id.clone(),
                    persons: h.persons(),
                    from: h.current.clone(),
                    to: l.id.clone(),
                    moved,
                    cost: parts,
                    reason,
                });
            }
        }
        for &hi in members {
            let h = &inst.households[hi];
            let (binding, reason) = binding_rule(inst, p, hi, &free);
            unplaced.push(Unplaced {
                household: h.id.clone(),
                persons: h.persons(),
                current: h.current.clone(),
                binding,
                reason,
            });
        }
    }
    placements.sort_by(|a, b| a.household.cmp(&b.household));
    unplaced.sort_by(|a, b| a.household.cmp(&b.household));
    let stats = Stats {
        households: inst.households.len(),
        persons: inst.households.iter().map(|h| h.persons() as u64).sum(),
        movable: p.movable.len(),
        locations: inst.locations.len(),
        classes: cls.len(),
        variables,
        method,
    };
    Plan { mode: inst.mode.clone(), date: inst.date, placements, unplaced, objective, lower_bound, stats }
}

fn rebalance_cause(inst: &Instance, p: &model::Prepared, hi: usize) -> String {
    let h = &inst.households[hi];
    let Some(c) = p.current[hi] else { return "new arrival".into() };
    let s = &p.sites[c];
    if !s.available {
        return "location closed or closing".into();
    }
    if let Err(v) = admissible(h, s) {
        return format!("{v}");
    }
    if h.days_there > s.max_stay_days {
        return format!("{} days, longer than the maximum stay of {}", h.days_there, s.max_stay_days);
    }
    "rebalance".into()
}

/// Why a household could not be placed: the rule that excluded every location, or capacity.
fn binding_rule(inst: &Instance, p: &model::Prepared, hi: usize, free: &[u32]) -> (Violation, String) {
    let h = &inst.households[hi];
    let mut by_rule: BTreeMap<Violation, usize> = BTreeMap::new();
    let mut admissible_sites = Vec::new();
    for s in &p.sites {
        match admissible(h, s) {
            Ok(()) => admissible_sites.push(s.index),
            Err(v) => *by_rule.entry(v).or_default() += 1,
        }
    }
    let kind = if h.is_unaccompanied() { "AMV " } else { "" };
    if admissible_sites.is_empty() {
        // The rule that excluded the most locations other than availability binds.
        let binding = by_rule
            .iter()
            .filter(|(v, _)| **v != Violation::NotAvailable)
            .max_by_key(|(v, n)| (**n, std::cmp::Reverse(**v)))
            .map(|(v, _)| *v)
            .unwrap_or(Violation::NotAvailable);
        let detail = by_rule.iter().map(|(v, n)| format!("{n} × {v}")).collect::<Vec<_>>().join("; ");
        let needs = h.groups();
        return (
            binding,
            format!(
                "no admissible {kind}location for {} person(s){}: {detail}",
                h.persons(),
                if needs.is_empty() { String::new() } else { format!(" with Art. 24 groups {}", needs.letters()) }
            ),
        );
    }
    let largest = admissible_sites.iter().map(|&s| free[s]).max().unwrap_or(0);
    (
        Violation::Capacity,
        format!(
            "no {kind}bed free: {} admissible location(s), the most free beds left at one is {largest}, the household needs {}",
            admissible_sites.len(),
            h.persons()
        ),
    )
}

/// The class model as plain data, for an independent solver (tools/placement_peer.py):
/// minimise Σ cost·x + Σ unplaced_penalty·u + spread_bed·over, with Σ_site x + u = n per
/// class, Σ persons·x ≤ free per site and over ≥ base + Σ persons·x − mark.
#[derive(Clone, Debug, Serialize)]
pub struct ModelExport {
    pub note: &'static str,
    pub spread_bed: f64,
    pub classes: Vec<ExportClass>,
    pub sites: Vec<ExportSite>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ExportClass {
    pub n: usize,
    pub persons: u32,
    pub unplaced_cost: f64,
    /// (site index, cost per household)
    pub options: Vec<(usize, f64)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ExportSite {
    pub id: String,
    pub free: u32,
    pub base: u32,
    pub mark: f64,
}

pub fn export_model(inst: &Instance) -> Result<ModelExport, CoreError> {
    let p = prepare(inst)?;
    let cls = solve::classes(inst, &p);
    let w = &inst.weights;
    Ok(ModelExport {
        note: "spreiding placement class model (MIP); integer x per (class, site), integer u per class",
        spread_bed: w.spread_bed,
        classes: cls
            .iter()
            .map(|c| ExportClass {
                n: c.members.len(),
                persons: c.persons(),
                unplaced_cost: w.unplaced_person * c.persons() as f64,
                options: c.options.iter().map(|(s, parts)| (*s, parts.total())).collect(),
            })
            .collect(),
        sites: p
            .sites
            .iter()
            .map(|s| ExportSite {
                id: inst.locations[s.index].id.clone(),
                free: s.free(),
                base: s.base_load,
                mark: s.spread_mark(w),
            })
            .collect(),
    })
}
