//! The distribution decision checked against independent oracles, not its own formulas:
//! - a brute-force enumeration of every way to assign a province's shortfall within the
//!   gaps, of which the decision's must satisfy the quota rule (Hamilton: each share is the
//!   floor or ceiling of its exact proportional quota);
//! - the greedy invariant of the largest-relative-gap rule, checked pairwise;
//! - the totals from first principles: binding = max(task, plans) with binding
//!   over-delivery, = task without, for the regular part and the AMV part alike;
//! - a separate predicate of what counts (durable kind, ≥ 5 years, in time): adding offers
//!   that do not count never changes a plan line or a binding task.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;
use spreiding_core::decision::{
    AmvPlan, Decision, DecisionInput, DecisionRule, Designation, OverDelivery, PlanLine, decide,
};
use spreiding_core::offer::{Offer, OfferKind};
use spreiding_core::plan::{Commitment, TaskFacts, plan_lines};
use spreiding_core::{GmCode, Method, PvCode};

#[derive(Clone, Debug)]
struct Muni {
    pv: u8,
    task: u64,
    amv: u64,
    commit: u64,
    amv_commit: u64,
}

fn arb_munis() -> impl Strategy<Value = Vec<Muni>> {
    prop::collection::vec((0u8..3, 0u64..40, 0u64..8, 0u64..50, 0u64..10), 1..8).prop_map(|v| {
        v.into_iter()
            .map(|(pv, task, amv, commit, amv_commit)| {
                let amv = amv.min(task);
                let amv_commit = amv_commit.min(commit);
                Muni { pv, task, amv, commit, amv_commit }
            })
            .collect()
    })
}

fn gm(i: usize) -> GmCode {
    format!("GM{:04}", i + 1).parse().unwrap()
}

fn pv(p: u8) -> PvCode {
    format!("PV2{p}").parse().unwrap()
}

fn input(ms: &[Muni], with_amv: bool, rule: DecisionRule) -> DecisionInput {
    let lines: Vec<PlanLine> = ms
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut l = PlanLine::new(gm(i), "x", pv(m.pv), m.task, m.commit);
            if with_amv {
                l.amv = AmvPlan {
                    indicative: m.amv,
                    offered: m.amv_commit,
                    commitment: m.amv_commit,
                    ..AmvPlan::default()
                };
            }
            l
        })
        .collect();
    DecisionInput {
        national_total: ms.iter().map(|m| m.task).sum(),
        amv_total: with_amv.then(|| ms.iter().map(|m| m.amv).sum()),
        lines,
        rule,
        decided_on: "2024-12-23".parse().unwrap(),
    }
}

/// All vectors x with 0 ≤ xᵢ ≤ capᵢ and Σx = total (small inputs only).
fn enumerate(caps: &[u64], total: u64) -> Vec<Vec<u64>> {
    fn rec(caps: &[u64], total: u64, cur: &mut Vec<u64>, out: &mut Vec<Vec<u64>>) {
        if cur.len() == caps.len() {
            if total == 0 {
                out.push(cur.clone());
            }
            return;
        }
        let rest: u64 = caps[cur.len() + 1..].iter().sum();
        for x in 0..=caps[cur.len()].min(total) {
            if total - x <= rest {
                cur.push(x);
                rec(caps, total - x, cur, out);
                cur.pop();
            }
        }
    }
    let mut out = Vec::new();
    rec(caps, total, &mut Vec::new(), &mut out);
    out
}

/// The quota rule: x·Σw lies within one whole place of total·w, i.e. x ∈ {⌊q⌋, ⌈q⌉}.
fn satisfies_quota(x: &[u64], w: &[u64], total: u64) -> bool {
    let sw: u64 = w.iter().sum();
    x.iter().zip(w).all(|(&xi, &wi)| {
        let (q_num, den) = (total as u128 * wi as u128, sw.max(1) as u128);
        let floor = q_num / den;
        let ceil = q_num.div_ceil(den);
        xi as u128 == floor || xi as u128 == ceil
    })
}

/// (regular, amv) figures per municipality as (indicative, commitment).
fn parts(ms: &[Muni], amv: bool) -> Vec<(Vec<u64>, Vec<u64>)> {
    let reg = (
        ms.iter().map(|m| m.task - if amv { m.amv } else { 0 }).collect(),
        ms.iter().map(|m| m.commit - if amv { m.amv_commit } else { 0 }).collect(),
    );
    let mut v = vec![reg];
    if amv {
        v.push((ms.iter().map(|m| m.amv).collect(), ms.iter().map(|m| m.amv_commit).collect()));
    }
    v
}

fn check_totals(d: &Decision, ms: &[Muni], amv: bool, rule: DecisionRule) -> Result<(), TestCaseError> {
    let ps = parts(ms, amv);
    let mut expected_total = 0;
    for (k, (task, commit)) in ps.iter().enumerate() {
        let t: u64 = task.iter().sum();
        let p: u64 = commit.iter().sum();
        let expected = match rule.over_delivery {
            OverDelivery::Binding => t.max(p),
            OverDelivery::NotBinding => t,
        };
        expected_total += expected;
        if k == 1 {
            prop_assert_eq!(d.binding_amv_total, Some(expected));
            prop_assert_eq!(d.municipalities.iter().map(|m| m.binding_amv()).sum::<u64>(), expected);
        }
    }
    prop_assert_eq!(d.binding_total, expected_total);
    for m in &d.municipalities {
        prop_assert!(m.binding_amv() <= m.binding_task);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Binding tasks and binding AMV tasks add up to their totals (from first principles).
    #[test]
    fn binding_tasks_and_amv_add_up(ms in arb_munis(), amv in any::<bool>(), binding in any::<bool>(), relative in any::<bool>()) {
        let rule = DecisionRule {
            designation: if relative { Designation::LargestRelativeGap } else { Designation::ProportionalGap },
            over_delivery: if binding { OverDelivery::Binding } else { OverDelivery::NotBinding },
            method: Method::Hamilton,
        };
        let d = decide(&input(&ms, amv, rule)).unwrap();
        check_totals(&d, &ms, amv, rule)?;
    }

    /// Hamilton on the gaps: the shares of each province are one of the brute-forced
    /// assignments within the gaps, and satisfy the quota rule.
    #[test]
    fn proportional_gap_shares_satisfy_the_quota_rule(ms in arb_munis()) {
        let rule = DecisionRule { over_delivery: OverDelivery::NotBinding, ..DecisionRule::default() };
        let d = decide(&input(&ms, false, rule)).unwrap();
        for p in &d.provinces {
            let idx: Vec<usize> = (0..ms.len()).filter(|&i| pv(ms[i].pv) == p.pv_code).collect();
            let gaps: Vec<u64> = idx.iter().map(|&i| ms[i].task.saturating_sub(ms[i].commit)).collect();
            let shares: Vec<u64> = idx.iter().map(|&i| d.municipalities[i].shortfall_share).collect();
            prop_assert_eq!(shares.iter().sum::<u64>(), p.assigned);
            let all = enumerate(&gaps, p.assigned);
            prop_assert!(all.contains(&shares), "not a feasible assignment: {:?} within {:?}", shares, gaps);
            prop_assert!(satisfies_quota(&shares, &gaps, p.assigned), "{:?} breaks the quota rule for {:?}", shares, gaps);
        }
    }

    /// Largest relative gap: no place could have gone to a municipality that was relatively
    /// further behind at the moment it was given (checked pairwise, exactly).
    #[test]
    fn largest_relative_gap_is_greedy_optimal(ms in arb_munis()) {
        let rule = DecisionRule { designation: Designation::LargestRelativeGap, over_delivery: OverDelivery::NotBinding, ..DecisionRule::default() };
        let d = decide(&input(&ms, false, rule)).unwrap();
        for (i, a) in d.municipalities.iter().enumerate() {
            for (j, b) in d.municipalities.iter().enumerate() {
                if i == j || a.pv_code != b.pv_code || a.shortfall_share == 0 || b.shortfall_share >= b.gap || b.agreed_task == 0 {
                    continue;
                }
                // a's last place was given at relative gap (gap_a − share_a + 1)/task_a, which
                // must be at least b's remaining (gap_b − share_b)/task_b.
                let lhs = (a.gap - a.shortfall_share + 1) as u128 * b.agreed_task as u128;
                let rhs = (b.gap - b.shortfall_share) as u128 * a.agreed_task.max(1) as u128;
                prop_assert!(lhs >= rhs, "{} got a place while {} was further behind", i, j);
            }
        }
    }
}

/// The oracle's own reading of what counts (Besluit art. 1.1; Kamerbrief 2026D05614).
fn oracle_counts(o: &Offer, deadline: NaiveDate) -> bool {
    let durable_kind =
        matches!(o.kind, OfferKind::RegularDurable | OfferKind::AmvSmallScale | OfferKind::RegistrationCentre);
    durable_kind && o.years >= 5 && o.available_from <= deadline
}

fn arb_offer(n: usize) -> impl Strategy<Value = Offer> {
    (0..n, 0usize..6, 1u64..300, 1u32..12, 0i64..700).prop_map(|(g, k, places, years, day)| {
        let kind = OfferKind::ALL[k];
        Offer {
            gm_code: gm(g),
            location: format!("L{g}-{k}-{places}"),
            kind,
            places,
            amv_places: if kind == OfferKind::AmvSmallScale { places } else { 0 },
            years,
            available_from: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap() + chrono::Duration::days(day),
        }
    })
}

fn facts(n: usize) -> Vec<TaskFacts> {
    (0..n)
        .map(|i| TaskFacts {
            gm_code: gm(i),
            gm_naam: "x".into(),
            pv_code: pv((i % 2) as u8),
            task: 100 + 10 * i as u64,
            amv: 10,
            credited: 5 * i as u64,
            credited_amv: 0,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Nothing that does not count ever covers a task: commitments are credits plus exactly
    /// the offers the oracle counts, and adding offers that do not count changes no plan line
    /// and no binding task.
    #[test]
    fn nothing_that_does_not_count_covers_a_task(
        offers in prop::collection::vec(arb_offer(4), 0..12),
        extra in prop::collection::vec(arb_offer(4), 1..8),
    ) {
        let deadline: NaiveDate = "2025-06-30".parse().unwrap();
        let tasks = facts(4);
        let none = BTreeMap::<GmCode, Commitment>::new();
        let lines = plan_lines(&tasks, &[], &offers, deadline, &none, &BTreeMap::new());
        for (l, t) in lines.iter().zip(&tasks) {
            let counted: u64 = offers.iter().filter(|o| o.gm_code == t.gm_code && oracle_counts(o, deadline)).map(|o| o.places).sum();
            prop_assert_eq!(l.commitment, t.credited + counted);
            let counted_amv: u64 = offers.iter().filter(|o| o.gm_code == t.gm_code && oracle_counts(o, deadline)).map(|o| o.amv_places).sum();
            prop_assert_eq!(l.amv.commitment, counted_amv);
        }
        let not_counting: Vec<Offer> = extra.into_iter().filter(|o| !oracle_counts(o, deadline)).collect();
        let mut more = offers.clone();
        more.extend(not_counting);
        let lines2 = plan_lines(&tasks, &[], &more, deadline, &none, &BTreeMap::new());
        prop_assert_eq!(&lines, &lines2);
        let mk = |lines: Vec<PlanLine>| DecisionInput {
            national_total: tasks.iter().map(|t| t.task).sum(),
            amv_total: Some(tasks.iter().map(|t| t.amv).sum()),
            lines,
            rule: DecisionRule::default(),
            decided_on: "2024-12-23".parse().unwrap(),
        };
        let (a, b) = (decide(&mk(lines)).unwrap(), decide(&mk(lines2)).unwrap());
        prop_assert_eq!(a.municipalities, b.municipalities);
    }
}
