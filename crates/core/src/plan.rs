//! The provincial plan: which places count towards a task, what a municipality is committed
//! to, how far a swap may go, that every municipality gets a task, and the plan lines the
//! distribution decision reads. The shells gather the facts (offers, swaps, reports, the
//! registry); the rules are here.
//!
//! Sources: Besluit art. 1.1 (*duurzame opvangplaatsen*: available for at least five years);
//! Stcrt. 2024, 3320 (existing locations of more than 100 places and at least five years
//! count; the Ter Apel registration centre counted for Westerwolde); Kamerbrief 2026D05614
//! (cycle 2: only long-term places count); Wet art. 3 (every municipality has a task, the
//! provincial task is the sum of its municipalities'); docs/DOMAIN-BRIEF.md §2–3.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::decision::{AmvPlan, Ceiling, PlanLine};
use crate::distribution::DURABLE_MIN_YEARS;
use crate::error::CoreError;
use crate::offer::{Offer, OfferKind, Swap};
use crate::region::{GmCode, Netherlands, PvCode};

/// Whether an offer counts towards the commitment, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferVerdict {
    pub counted: bool,
    /// Places that count (all or nothing per offer).
    pub places: u64,
    /// Of those, AMV places.
    pub amv_places: u64,
    pub reason: String,
}

/// **The rule of what counts** (Besluit art. 1.1; Kamerbrief 2026D05614; docs/DOMAIN-BRIEF.md §3): an
/// offered place counts towards the commitment only if it is durable — regular, AMV
/// small-scale or registration-centre places available for at least five years — and
/// available by the realisation deadline. Emergency reception (noodopvang,
/// crisisnoodopvang) and temporary places never count.
pub fn count_offer(o: &Offer, realisation_deadline: NaiveDate) -> OfferVerdict {
    let no = |reason: String| OfferVerdict { counted: false, places: 0, amv_places: 0, reason };
    match o.kind {
        OfferKind::Noodopvang | OfferKind::Crisisnoodopvang => {
            return no(format!(
                "{} is temporary emergency reception: it never counts towards the task (only durable places count, \
                 Besluit art. 1.1)",
                o.kind.label_en()
            ));
        }
        OfferKind::Temporary => {
            return no(format!(
                "temporary places ({} years) are not durable: only places available for at least {DURABLE_MIN_YEARS} \
                 years count (Besluit art. 1.1)",
                o.years
            ));
        }
        OfferKind::RegularDurable | OfferKind::AmvSmallScale | OfferKind::RegistrationCentre => {}
    }
    if o.years < DURABLE_MIN_YEARS {
        return no(format!(
            "available for {} years, fewer than the {DURABLE_MIN_YEARS} that make places durable (Besluit art. 1.1)",
            o.years
        ));
    }
    if o.available_from > realisation_deadline {
        return no(format!(
            "available from {}, after the realisation deadline of {}: places count only when they are there in time",
            o.available_from, realisation_deadline
        ));
    }
    OfferVerdict {
        counted: true,
        places: o.places,
        amv_places: o.amv_places,
        reason: format!(
            "{} places, {} for {} years from {}: durable and in time, counted",
            o.places,
            o.kind.label_en(),
            o.years,
            o.available_from
        ),
    }
}

/// The places that count for one municipality: credits plus counted offers, with the AMV
/// part of each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counted {
    pub credited: u64,
    pub credited_amv: u64,
    pub offered: u64,
    pub offered_amv: u64,
}

impl Counted {
    /// The commitment that follows from the facts alone: credited plus counted offered
    /// places. It is the commitment of a municipality whose CdK report gives no figure of its
    /// own, and of every municipality of a province that did not report (the facts the
    /// minister has; docs/DOMAIN-BRIEF.md §2).
    pub fn default_commitment(&self) -> (u64, u64) {
        (self.credited + self.offered, self.credited_amv + self.offered_amv)
    }
}

/// Sum the counted offers per municipality.
pub fn counted_by_municipality<'a>(
    offers: impl IntoIterator<Item = &'a Offer>,
    realisation_deadline: NaiveDate,
) -> BTreeMap<GmCode, (u64, u64)> {
    let mut out: BTreeMap<GmCode, (u64, u64)> = BTreeMap::new();
    for o in offers {
        let v = count_offer(o, realisation_deadline);
        let e = out.entry(o.gm_code).or_default();
        e.0 += v.places;
        e.1 += v.amv_places;
    }
    out
}

/// A municipality's task in the published cycle: the facts a plan line starts from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFacts {
    pub gm_code: GmCode,
    pub gm_naam: String,
    pub pv_code: PvCode,
    pub task: u64,
    pub amv: u64,
    pub credited: u64,
    pub credited_amv: u64,
}

/// What the CdK report commits a municipality to (total and AMV part).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    pub places: u64,
    pub amv: u64,
}

/// **Every municipality gets a task** (Wet art. 3): the indicative tasks cover the reference
/// data's municipalities exactly once each, in their own province, add up to the national
/// total (when the key's method sums to the total), and each AMV part lies inside its task
/// and the AMV parts add up to the AMV sub-task.
pub fn validate_indicative_tasks(
    nl: &Netherlands,
    tasks: &[TaskFacts],
    national_total: u64,
    amv_total: Option<u64>,
    sums_to_total: bool,
) -> Result<(), CoreError> {
    let mut seen = BTreeSet::new();
    for t in tasks {
        let Some(m) = nl.municipality(t.gm_code) else {
            return Err(CoreError::invalid(format!("unknown municipality {}: not in the reference data", t.gm_code)));
        };
        if m.province != t.pv_code {
            return Err(CoreError::invalid(format!("{} lies in {}, not in {}", t.gm_code, m.province, t.pv_code)));
        }
        if !seen.insert(t.gm_code) {
            return Err(CoreError::invalid(format!("{} has two indicative tasks", t.gm_code)));
        }
        if t.amv > t.task {
            return Err(CoreError::invalid(format!(
                "{}: the AMV part ({}) exceeds the task ({})",
                t.gm_code, t.amv, t.task
            )));
        }
    }
    if seen.len() != nl.municipalities.len() {
        return Err(CoreError::invalid(format!(
            "the forecast gives tasks for {} municipalities; all {} need one (Wet art. 3)",
            seen.len(),
            nl.municipalities.len()
        )));
    }
    let sum: u64 = tasks.iter().map(|t| t.task).sum();
    if sums_to_total && sum != national_total {
        return Err(CoreError::invalid(format!(
            "the indicative tasks add up to {sum}, not the national total {national_total}"
        )));
    }
    match amv_total {
        Some(a) => {
            let s: u64 = tasks.iter().map(|t| t.amv).sum();
            if a > national_total {
                return Err(CoreError::invalid(format!(
                    "the AMV sub-task ({a}) cannot exceed the national total ({national_total})"
                )));
            }
            if sums_to_total && s != a {
                return Err(CoreError::invalid(format!("the AMV parts add up to {s}, not the AMV sub-task {a}")));
            }
        }
        None => {
            if let Some(t) = tasks.iter().find(|t| t.amv > 0) {
                return Err(CoreError::invalid(format!(
                    "{} has an AMV part but the cycle has no AMV sub-task",
                    t.gm_code
                )));
            }
        }
    }
    Ok(())
}

/// Net swap delta per municipality (total, AMV part).
pub fn swap_deltas<'a>(swaps: impl IntoIterator<Item = &'a Swap>) -> BTreeMap<GmCode, (i64, i64)> {
    let mut out: BTreeMap<GmCode, (i64, i64)> = BTreeMap::new();
    for s in swaps {
        let (p, a) = (s.places as i64, s.amv_places as i64);
        let f = out.entry(s.from).or_default();
        f.0 -= p;
        f.1 -= a;
        let t = out.entry(s.to).or_default();
        t.0 += p;
        t.1 += a;
    }
    out
}

/// **Swap limits** (docs/DOMAIN-BRIEF.md §3: the CdK may redistribute within the province as long as
/// the provincial total holds): two different municipalities of one province; at least one
/// place; the AMV part inside the places; and the giving municipality cannot hand over more
/// than its agreed task (or AMV part) after earlier swaps.
pub fn check_swap(
    nl: &Netherlands,
    swap: &Swap,
    from_agreed: u64,
    from_agreed_amv: u64,
    has_amv_sub_task: bool,
) -> Result<PvCode, CoreError> {
    let (Some(from), Some(to)) = (nl.municipality(swap.from), nl.municipality(swap.to)) else {
        let bad = if nl.municipality(swap.from).is_none() { swap.from } else { swap.to };
        return Err(CoreError::invalid(format!("unknown municipality {bad}: not in the reference data")));
    };
    if from.province != to.province {
        return Err(CoreError::invalid(format!(
            "{} ({}) and {} ({}) lie in different provinces: swaps stay within one province (docs/DOMAIN-BRIEF.md §3)",
            swap.from, from.province, swap.to, to.province
        )));
    }
    if swap.from == swap.to {
        return Err(CoreError::invalid("a swap needs two different municipalities"));
    }
    if swap.places == 0 {
        return Err(CoreError::invalid("places: a swap moves at least 1 place"));
    }
    if swap.amv_places > swap.places {
        return Err(CoreError::invalid(format!(
            "amv_places: {} AMV places cannot exceed the {} places swapped",
            swap.amv_places, swap.places
        )));
    }
    if swap.amv_places > 0 && !has_amv_sub_task {
        return Err(CoreError::invalid("amv_places: this cycle has no AMV sub-task"));
    }
    if swap.places > from_agreed {
        return Err(CoreError::invalid(format!(
            "places: {} has a task of {} places after earlier swaps; it cannot hand over {}",
            swap.from, from_agreed, swap.places
        )));
    }
    if swap.amv_places > from_agreed_amv {
        return Err(CoreError::invalid(format!(
            "amv_places: {} has an AMV part of {} places after earlier swaps; it cannot hand over {}",
            swap.from, from_agreed_amv, swap.amv_places
        )));
    }
    if swap.places - swap.amv_places > from_agreed - from_agreed_amv {
        return Err(CoreError::invalid(format!(
            "places: {} has {} places of its task outside the AMV part after earlier swaps; it cannot hand over {} of \
             them",
            swap.from,
            from_agreed - from_agreed_amv,
            swap.places - swap.amv_places
        )));
    }
    Ok(from.province)
}

/// The plan as the decision sees it: per municipality its indicative task, swaps, credits,
/// counted offers and commitment — the CdK report's figure where its province reported, the
/// facts ([`Counted::default_commitment`]) where it did not — and, in a revision, the
/// ceilings granted on objection.
pub fn plan_lines(
    tasks: &[TaskFacts],
    swaps: &[Swap],
    offers: &[Offer],
    realisation_deadline: NaiveDate,
    reported: &BTreeMap<GmCode, Commitment>,
    ceilings: &BTreeMap<GmCode, Ceiling>,
) -> Vec<PlanLine> {
    let offered = counted_by_municipality(offers, realisation_deadline);
    let deltas = swap_deltas(swaps);
    let mut lines: Vec<PlanLine> = tasks
        .iter()
        .map(|t| {
            let (off, off_amv) = offered.get(&t.gm_code).copied().unwrap_or((0, 0));
            let counted =
                Counted { credited: t.credited, credited_amv: t.credited_amv, offered: off, offered_amv: off_amv };
            let (commitment, amv_commitment) = match reported.get(&t.gm_code) {
                Some(c) => (c.places, c.amv),
                None => counted.default_commitment(),
            };
            let (delta, delta_amv) = deltas.get(&t.gm_code).copied().unwrap_or((0, 0));
            PlanLine {
                gm_code: t.gm_code,
                gm_naam: t.gm_naam.clone(),
                pv_code: t.pv_code,
                indicative_task: t.task,
                swap_delta: delta,
                credited: t.credited,
                offered: off,
                commitment,
                amv: AmvPlan {
                    indicative: t.amv,
                    swap_delta: delta_amv,
                    credited: t.credited_amv,
                    offered: off_amv,
                    commitment: amv_commitment,
                },
                ceiling: ceilings.get(&t.gm_code).cloned(),
            }
        })
        .collect();
    lines.sort_by_key(|l| l.gm_code);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(kind: OfferKind, places: u64, years: u32, from: &str) -> Offer {
        Offer {
            gm_code: "GM0014".parse().unwrap(),
            location: "L".into(),
            kind,
            places,
            amv_places: if kind == OfferKind::AmvSmallScale { places } else { 0 },
            years,
            available_from: from.parse().unwrap(),
        }
    }
    const DEADLINE: &str = "2025-06-30";

    /// Besluit art. 1.1 and Kamerbrief 2026D05614: only durable places that are there in
    /// time count; emergency and temporary places never do.
    #[test]
    fn only_durable_places_in_time_count() {
        let dl: NaiveDate = DEADLINE.parse().unwrap();
        assert!(count_offer(&offer(OfferKind::RegularDurable, 100, 5, "2025-01-01"), dl).counted);
        assert!(!count_offer(&offer(OfferKind::RegularDurable, 100, 4, "2025-01-01"), dl).counted);
        assert!(!count_offer(&offer(OfferKind::RegularDurable, 100, 10, "2025-07-01"), dl).counted);
        assert!(!count_offer(&offer(OfferKind::Noodopvang, 300, 10, "2025-01-01"), dl).counted);
        assert!(!count_offer(&offer(OfferKind::Crisisnoodopvang, 300, 10, "2025-01-01"), dl).counted);
        assert!(!count_offer(&offer(OfferKind::Temporary, 300, 3, "2025-01-01"), dl).counted);
        let amv = count_offer(&offer(OfferKind::AmvSmallScale, 16, 10, "2025-01-01"), dl);
        assert_eq!((amv.places, amv.amv_places), (16, 16));
        assert!(count_offer(&offer(OfferKind::RegistrationCentre, 2000, 10, "2024-01-01"), dl).counted);
    }

    #[test]
    fn swaps_stay_inside_the_task_and_the_province() {
        let nl = crate::bundled::netherlands().unwrap();
        let s = |from: &str, to: &str, places, amv| Swap {
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            places,
            amv_places: amv,
            note: String::new(),
        };
        // GM0014 Groningen and GM0034 Almere lie in different provinces.
        assert!(
            check_swap(&nl, &s("GM0014", "GM0034", 5, 0), 100, 0, false)
                .unwrap_err()
                .to_string()
                .contains("different provinces")
        );
        // GM0014 Groningen and GM0037 Stadskanaal both lie in Groningen.
        assert_eq!(check_swap(&nl, &s("GM0014", "GM0037", 5, 0), 100, 0, false).unwrap().as_str(), "PV20");
        assert!(check_swap(&nl, &s("GM0014", "GM0037", 101, 0), 100, 0, false).is_err());
        assert!(
            check_swap(&nl, &s("GM0014", "GM0037", 10, 5), 100, 4, true)
                .unwrap_err()
                .to_string()
                .starts_with("amv_places")
        );
        assert!(check_swap(&nl, &s("GM0014", "GM0037", 10, 5), 100, 10, false).is_err());
        assert!(check_swap(&nl, &s("GM0014", "GM0037", 98, 0), 100, 10, true).is_err());
        assert!(check_swap(&nl, &s("GM0014", "GM0014", 5, 0), 100, 0, false).is_err());
    }

    #[test]
    fn a_province_without_report_commits_what_counts() {
        let t = TaskFacts {
            gm_code: "GM0014".parse().unwrap(),
            gm_naam: "Groningen".into(),
            pv_code: "PV20".parse().unwrap(),
            task: 500,
            amv: 40,
            credited: 120,
            credited_amv: 0,
        };
        let offers = [
            offer(OfferKind::RegularDurable, 200, 10, "2025-01-01"),
            offer(OfferKind::Noodopvang, 300, 1, "2025-01-01"),
            offer(OfferKind::AmvSmallScale, 16, 10, "2025-01-01"),
        ];
        let dl: NaiveDate = DEADLINE.parse().unwrap();
        let lines = plan_lines(std::slice::from_ref(&t), &[], &offers, dl, &BTreeMap::new(), &BTreeMap::new());
        assert_eq!((lines[0].commitment, lines[0].amv.commitment), (336, 16));
        assert_eq!(lines[0].offered, 216);
        let reported = BTreeMap::from([(t.gm_code, Commitment { places: 400, amv: 20 })]);
        let lines = plan_lines(&[t], &[], &offers, dl, &reported, &BTreeMap::new());
        assert_eq!((lines[0].commitment, lines[0].amv.commitment), (400, 20));
    }
}
