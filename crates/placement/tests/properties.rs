//! Property tests of the placement engine: hard rules, completeness, the greedy baseline
//! and closure. Instances are small so the exact integer programme is used.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use proptest::prelude::*;
use spreiding_core::location::{Location, LocationType, Operator};
use spreiding_core::quality::{Framework, Group};
use spreiding_placement::{
    AgeBand, Household, Instance, Member, Method, Mode, Plan, Strategy as Pick, Violation, Weights, admissible, place,
    place_greedy, prepare, solve,
};

const TYPES: [LocationType; 6] = [
    LocationType::RegularAzc,
    LocationType::FamilyLocation,
    LocationType::AmvSmallScale,
    LocationType::Noodopvang,
    LocationType::Crisisnoodopvang,
    LocationType::Noodopvang,
];

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
}

/// A location; `good` = complete data that passes every criterion, else patchy.
fn location(i: usize, kind: LocationType, beds: u32, good: bool, cost: f64, school: u32) -> Location {
    let mut l =
        Location::new(&format!("L{i}"), &format!("Loc {i}"), "GM0363".parse().unwrap(), Operator::Coa, kind, beds);
    let yes = if good { Some(true) } else { None };
    let f = &mut l.facilities;
    f.lockable_bedrooms = Some(true);
    f.separate_sanitary = yes;
    f.play_space = yes;
    f.open_air_space = yes;
    f.private_meeting_room = yes;
    f.step_free = yes;
    f.medical_post = Some(true);
    f.one_family_per_bedroom = yes;
    f.bed_and_cupboard_each = Some(true);
    f.sex_separated_bedrooms = yes;
    f.separated_from_adults = yes;
    l.m2_per_person = Some(if good { 5.0 } else { 3.0 });
    l.ceiling_height_m = Some(2.5);
    l.persons_per_bedroom = Some(4);
    let a = &mut l.access;
    a.school_min = Some(school);
    a.gp_min = Some(10);
    a.hospital_min = Some(30);
    a.legal_aid_min = Some(30);
    a.shops_min = Some(10);
    a.school_access_days = Some(30);
    a.needs_assessment_days = Some(20);
    l.max_stay_days = Some(7);
    l.cost_per_place_day = Some(cost);
    l
}

fn household(i: usize, kind: u8, kids: u8, need: u8, school: bool) -> Household {
    let adult = |n: u8| Member {
        age: AgeBand::Adult,
        needs: if n % 4 == 1 { vec![Group::MentalDisorder] } else { vec![] },
        in_school: false,
    };
    let kid = |j: u8| Member {
        age: [AgeBand::Infant, AgeBand::Toddler, AgeBand::Child, AgeBand::Teen][(j % 4) as usize],
        needs: vec![],
        in_school: school && j % 4 >= 2,
    };
    let members = match kind % 4 {
        0 => vec![adult(need)],
        1 => vec![adult(need), adult(0)],
        2 => std::iter::once(adult(need)).chain((0..=kids % 3).map(|j| kid(j + need))).collect(),
        _ => vec![Member { age: AgeBand::Teen, needs: vec![], in_school: school }],
    };
    Household { id: format!("H{i:03}"), members, current: None, days_there: 0 }
}

type LocSpec = (usize, u32, bool, u8, u8);
type HhSpec = (u8, u8, u8, bool, Option<usize>, u16);

fn build(locs: &[LocSpec], hhs: &[HhSpec], mode: Mode) -> Instance {
    let locations: Vec<Location> = locs
        .iter()
        .enumerate()
        .map(|(i, &(t, beds, good, cost, school))| {
            location(i, TYPES[t % TYPES.len()], beds, good, 60.0 + cost as f64 * 3.0, school as u32)
        })
        .collect();
    let households = hhs
        .iter()
        .enumerate()
        .map(|(i, &(k, kids, need, school, cur, days))| {
            let mut h = household(i, k, kids, need, school);
            h.current = cur.map(|c| format!("L{}", c % locs.len()));
            h.days_there = days as u32;
            h
        })
        .collect();
    Instance { locations, households, framework: Framework::bundled(), date: date(), mode, weights: Weights::default() }
}

// ---- an independent checker of the placement rules, written from the framework file --------
//
// It reads quality/kwaliteitskader-v1.toml as plain TOML (not through spreiding_core::quality)
// and the raw registry data of each location (its JSON), and applies the court's rule as the
// file states it (ECLI:NL:GHDHA:2022:2429: "a household with an Art. 24 need goes to
// noodopvang or crisisnoodopvang only if that location passes every criterion protecting its
// groups"; missing data is unknown, never a pass), the Handreiking's "no child under one in
// crisisnoodopvang", and the AMV rule (unaccompanied minors in AMV locations, nobody else
// there). It never calls the engine's `admissible` or the core's assessment.

const FRAMEWORK_FILE: &str = include_str!("../../../quality/kwaliteitskader-v1.toml");

#[derive(PartialEq, Clone, Copy)]
enum Tri {
    Pass,
    Fail,
    Unknown,
}

/// A registry field by name, wherever it sits in the location's JSON.
fn field<'a>(loc: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    if let Some(v) = loc.get(name).filter(|v| !v.is_null()) {
        return Some(v);
    }
    loc.as_object()?.values().filter(|v| v.is_object()).find_map(|o| o.get(name).filter(|v| !v.is_null()))
}

fn rule_outcome(rule: &toml::Value, loc: &serde_json::Value) -> Tri {
    let t = rule.as_table().expect("a rule is a table");
    if let Some(list) = t.get("any_of").and_then(|v| v.as_array()) {
        let o: Vec<Tri> = list.iter().map(|r| rule_outcome(r, loc)).collect();
        return if o.contains(&Tri::Pass) {
            Tri::Pass
        } else if o.contains(&Tri::Unknown) {
            Tri::Unknown
        } else {
            Tri::Fail
        };
    }
    if let Some(list) = t.get("all_of").and_then(|v| v.as_array()) {
        let o: Vec<Tri> = list.iter().map(|r| rule_outcome(r, loc)).collect();
        return if o.contains(&Tri::Fail) {
            Tri::Fail
        } else if o.contains(&Tri::Unknown) {
            Tri::Unknown
        } else {
            Tri::Pass
        };
    }
    if let Some(flag) = t.get("flag").and_then(|v| v.as_str()) {
        return match field(loc, flag).and_then(|v| v.as_bool()) {
            Some(true) => Tri::Pass,
            Some(false) => Tri::Fail,
            None => Tri::Unknown,
        };
    }
    let name = t.get("field").and_then(|v| v.as_str()).expect("a rule names a field or a flag");
    let Some(x) = field(loc, name).and_then(|v| v.as_f64()) else { return Tri::Unknown };
    let num = |k: &str| t.get(k).and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)));
    let ok = num("min").is_none_or(|m| x >= m) && num("max").is_none_or(|m| x <= m);
    if ok { Tri::Pass } else { Tri::Fail }
}

/// Whether a location passes every location criterion that protects `group` (a letter) and
/// applies to its type.
fn meets_needs_of(framework: &toml::Value, loc: &Location, group: char) -> bool {
    let json = serde_json::to_value(loc).unwrap();
    let code = loc.kind.code();
    framework["criterion"].as_array().unwrap().iter().all(|c| {
        let scope = c.get("scope").and_then(|v| v.as_str()).unwrap_or("location");
        let protects: Vec<&str> = c["protects"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let applies = c
            .get("applies_to")
            .and_then(|v| v.as_array())
            .is_none_or(|types| types.iter().any(|t| t.as_str() == Some(code)));
        let relevant = scope == "location"
            && applies
            && (protects.contains(&"all") || protects.contains(&group.to_string().as_str()));
        !relevant || rule_outcome(&c["rule"], &json) == Tri::Pass
    })
}

/// The Art. 24 groups of a household, read from its members: declared needs, (a) minors,
/// (b) no adult, (d) 65 or older, (g) one adult with minors.
fn oracle_groups(h: &Household) -> BTreeSet<char> {
    let mut g: BTreeSet<char> = h.members.iter().flat_map(|m| m.needs.iter().map(|n| n.letter())).collect();
    let minors = h
        .members
        .iter()
        .filter(|m| matches!(m.age, AgeBand::Infant | AgeBand::Toddler | AgeBand::Child | AgeBand::Teen))
        .count();
    let adults = h.members.len() - minors;
    if minors > 0 {
        g.insert('a');
    }
    if minors > 0 && adults == 0 {
        g.insert('b');
    }
    if minors > 0 && adults == 1 {
        g.insert('g');
    }
    if h.members.iter().any(|m| m.age == AgeBand::Senior) {
        g.insert('d');
    }
    g
}

/// The rules a placement of `h` at `loc` breaks, by the oracle's reading.
fn oracle_violations(framework: &toml::Value, h: &Household, loc: &Location) -> Vec<String> {
    let mut out = Vec::new();
    let code = loc.kind.code();
    let unaccompanied = !h.members.is_empty() && oracle_groups(h).contains(&'b');
    let amv_location = code.starts_with("amv-");
    if unaccompanied != amv_location {
        out.push(format!("AMV rule: unaccompanied={unaccompanied} at a {code} location"));
    }
    if code == "crisisnoodopvang" && h.members.iter().any(|m| m.age == AgeBand::Infant) {
        out.push("a child under one in crisisnoodopvang".into());
    }
    if code == "noodopvang" || code == "crisisnoodopvang" {
        for g in oracle_groups(h) {
            if !meets_needs_of(framework, loc, g) {
                out.push(format!("group ({g}) in {code} that is not shown to meet its needs"));
            }
        }
    }
    out
}

/// Every hard rule holds and every movable household is accounted for exactly once.
fn check_hard_rules(inst: &Instance, plan: &Plan) -> Result<(), TestCaseError> {
    let framework: toml::Value = toml::from_str(FRAMEWORK_FILE).unwrap();
    let p = prepare(inst).unwrap();
    let by_id: BTreeMap<&str, &Household> = inst.households.iter().map(|h| (h.id.as_str(), h)).collect();
    let mut load: Vec<u32> = p.sites.iter().map(|s| s.base_load).collect();
    let mut seen = BTreeSet::new();
    for pl in &plan.placements {
        prop_assert!(seen.insert(pl.household.clone()), "household {} placed twice (split?)", pl.household);
        let h = by_id[pl.household.as_str()];
        let s = &p.sites[p.by_id[&pl.to]];
        let loc = &inst.locations[s.index];
        let broken = oracle_violations(&framework, h, loc);
        prop_assert!(broken.is_empty(), "{} at {}: {:?}", h.id, pl.to, broken);
        if let Mode::Close(id) = &inst.mode {
            prop_assert!(&pl.to != id, "{} placed at the closing location", h.id);
        }
        load[s.index] += h.persons();
    }
    for u in &plan.unplaced {
        prop_assert!(seen.insert(u.household.clone()), "household {} both placed and unplaced", u.household);
        prop_assert!(!u.reason.is_empty());
    }
    let movable: BTreeSet<String> = p.movable.iter().map(|&i| inst.households[i].id.clone()).collect();
    prop_assert_eq!(&seen, &movable, "every movable household is placed or reported, none dropped");
    for s in &p.sites {
        let before = s.base_load;
        prop_assert!(load[s.index] <= s.beds.max(before), "{} over capacity", inst.locations[s.index].id);
    }
    Ok(())
}

fn locs() -> impl Strategy<Value = Vec<LocSpec>> {
    prop::collection::vec((0usize..6, 0u32..14, any::<bool>(), 0u8..40, 1u8..60), 1..6)
}

fn hhs() -> impl Strategy<Value = Vec<HhSpec>> {
    prop::collection::vec((0u8..4, 0u8..3, 0u8..4, any::<bool>(), prop::option::of(0usize..6), 0u16..30), 0..10)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn no_hard_rule_is_ever_broken(l in locs(), h in hhs(), m in 0u8..3, close in 0usize..6) {
        let mode = match m { 0 => Mode::Arrivals, 1 => Mode::Close(format!("L{}", close % l.len())), _ => Mode::Rebalance };
        let inst = build(&l, &h, mode);
        for strategy in [Pick::Exact, Pick::LpRound] {
            let plan = place(&inst, strategy).unwrap();
            check_hard_rules(&inst, &plan)?;
        }
        check_hard_rules(&inst, &place_greedy(&inst).unwrap())?;
    }

    #[test]
    fn objective_is_never_worse_than_the_greedy_baseline(l in locs(), h in hhs(), m in 0u8..3) {
        let mode = match m { 0 => Mode::Arrivals, 1 => Mode::Close("L0".into()), _ => Mode::Rebalance };
        let inst = build(&l, &h, mode);
        let greedy = place_greedy(&inst).unwrap().objective.total;
        let exact_plan = place(&inst, Pick::Exact).unwrap();
        // The exact optimum must beat or tie greedy by itself, not via the portfolio fallback.
        prop_assert_ne!(exact_plan.stats.method, Method::Greedy);
        let exact = exact_plan.objective.total;
        prop_assert!(exact <= greedy + 1e-6 * greedy.abs().max(1.0), "exact {exact} > greedy {greedy}");
        let auto = place(&inst, Pick::Auto).unwrap().objective.total;
        prop_assert!(auto <= greedy + 1e-6 * greedy.abs().max(1.0));
    }

    /// Build a witness assignment first, then give each location exactly the beds it
    /// needs plus some slack: the instance is feasible, so nobody may be left out.
    #[test]
    fn a_feasible_instance_always_gets_a_complete_assignment(l in locs(), h in hhs(), picks in prop::collection::vec(0usize..100, 10), slack in prop::collection::vec(0u32..3, 6)) {
        let mut inst = build(&l, &h, Mode::Arrivals);
        for loc in &mut inst.locations { loc.beds = 1000; }
        for hh in &mut inst.households { hh.current = None; }
        let p = prepare(&inst).unwrap();
        let mut load = vec![0u32; inst.locations.len()];
        let mut keep = Vec::new();
        for (i, hh) in inst.households.iter().enumerate() {
            let ok: Vec<usize> = p.sites.iter().filter(|s| admissible(hh, s).is_ok()).map(|s| s.index).collect();
            if ok.is_empty() { continue; }
            let s = ok[picks[i] % ok.len()];
            load[s] += hh.persons();
            keep.push(hh.clone());
        }
        inst.households = keep;
        for (i, loc) in inst.locations.iter_mut().enumerate() { loc.beds = load[i] + slack[i]; }
        for strategy in [Pick::Exact, Pick::Auto] {
            let plan = place(&inst, strategy).unwrap();
            prop_assert!(plan.unplaced.is_empty(), "{:?}", plan.unplaced);
            prop_assert_eq!(plan.placements.len(), inst.households.len());
            check_hard_rules(&inst, &plan)?;
        }
    }

    /// The relaxation solved as a min-cost flow has the optimum of the class LP written here
    /// independently (households, not persons, as the unit; the crowding penalty as an
    /// epigraph variable) and solved by a general LP solver, and it bounds every integer plan.
    #[test]
    fn the_flow_relaxation_is_the_lp_optimum(l in locs(), h in hhs(), m in 0u8..3) {
        let mode = match m { 0 => Mode::Arrivals, 1 => Mode::Close("L0".into()), _ => Mode::Rebalance };
        let inst = build(&l, &h, mode);
        let p = prepare(&inst).unwrap();
        let cls = solve::classes(&inst, &p);
        let w = &inst.weights;
        let (x, bound) = solve::relaxation(&p, &cls, w).unwrap();
        let oracle = class_lp(&p, &cls, w);
        prop_assert!((bound - oracle).abs() <= 1e-6 * oracle.abs().max(1.0), "flow {bound} vs LP {oracle}");
        // x is a feasible point of that LP.
        let mut load: Vec<f64> = vec![0.0; p.sites.len()];
        for (c, xs) in cls.iter().zip(&x) {
            prop_assert_eq!(xs.len(), c.options.len());
            prop_assert!(xs.iter().all(|v| *v >= -1e-9));
            prop_assert!(xs.iter().sum::<f64>() <= c.members.len() as f64 + 1e-9);
            for ((s, _), v) in c.options.iter().zip(xs) { load[*s] += v * f64::from(c.persons()); }
        }
        for s in &p.sites { prop_assert!(load[s.index] <= f64::from(s.free()) + 1e-7); }
        let exact = place(&inst, Pick::Exact).unwrap().objective.total;
        prop_assert!(bound <= exact + 1e-6 * exact.abs().max(1.0), "bound {bound} above the exact optimum {exact}");
    }

    /// The greedy baseline places a class's identical households in bulk; it makes the same
    /// choices as a full scan of every option for every household (the model written here).
    #[test]
    fn bulk_greedy_equals_the_per_household_scan(l in locs(), h in hhs(), m in 0u8..3, beds in 0u32..3) {
        let mode = match m { 0 => Mode::Arrivals, 1 => Mode::Close("L0".into()), _ => Mode::Rebalance };
        let mut inst = build(&l, &h, mode);
        // Repeat the households so classes have many members and locations fill up.
        let copies: Vec<Household> = (0..6).flat_map(|r| inst.households.iter().map(move |hh| {
            let mut x = hh.clone(); x.id = format!("{}-{r}", hh.id); x })).collect();
        inst.households = copies;
        for loc in &mut inst.locations { loc.beds = loc.beds * (beds + 1) + 3; }
        let p = prepare(&inst).unwrap();
        let cls = solve::classes(&inst, &p);
        let got = solve::greedy(&p, &cls, &inst.weights);
        prop_assert_eq!(got, scan_greedy(&p, &cls, &inst.weights));
    }

    #[test]
    fn closing_a_location_moves_only_its_residents(l in locs(), h in hhs(), close in 0usize..6) {
        let id = format!("L{}", close % l.len());
        let inst = build(&l, &h, Mode::Close(id.clone()));
        let plan = place(&inst, Pick::Auto).unwrap();
        let residents: BTreeSet<&str> = inst.households.iter()
            .filter(|h| h.current.as_deref() == Some(id.as_str()))
            .map(|h| h.id.as_str()).collect();
        for pl in &plan.placements {
            prop_assert!(residents.contains(pl.household.as_str()), "{} moved but did not live at {id}", pl.household);
            prop_assert_ne!(&pl.to, &id, "nobody goes to the closing location");
        }
        for u in &plan.unplaced {
            prop_assert!(residents.contains(u.household.as_str()));
        }
    }
}

#[test]
fn unaccompanied_minor_without_amv_bed_is_reported_with_the_amv_rule() {
    let inst = build(&[(0, 10, true, 0, 10)], &[(3, 0, 0, false, None, 0)], Mode::Arrivals);
    let plan = place(&inst, Pick::Auto).unwrap();
    assert!(plan.placements.is_empty());
    assert_eq!(plan.unplaced[0].binding, Violation::AmvRule);
    assert!(plan.unplaced[0].reason.starts_with("no admissible AMV location"), "{}", plan.unplaced[0].reason);
}

#[test]
fn child_never_in_emergency_reception_that_is_not_shown_to_meet_their_needs() {
    // ECLI:NL:GHDHA:2022:2429: only a patchy noodopvang has room; the family waits, reported.
    let inst = build(&[(3, 20, false, 0, 10), (0, 0, true, 0, 10)], &[(2, 1, 0, true, None, 0)], Mode::Arrivals);
    let plan = place(&inst, Pick::Auto).unwrap();
    assert!(plan.placements.is_empty());
    assert_eq!(plan.unplaced[0].binding, Violation::Capacity, "{}", plan.unplaced[0].reason);
    // With a noodopvang that passes the criteria, the family is placed there.
    let inst = build(&[(3, 20, true, 0, 10)], &[(2, 1, 0, true, None, 0)], Mode::Arrivals);
    assert_eq!(place(&inst, Pick::Auto).unwrap().placements.len(), 1);
}

#[test]
fn closure_sends_the_school_child_to_the_nearest_school() {
    // L0 closes; a parent with a school child and a couple must move; L1 (school 5 min) and
    // L2 (school 50 min) each have room for one household.
    let mut inst = build(
        &[(3, 10, true, 0, 10), (0, 4, true, 0, 5), (0, 4, true, 0, 50)],
        &[(2, 1, 2, true, Some(0), 100), (1, 0, 0, false, Some(0), 100)],
        Mode::Close("L0".into()),
    );
    inst.households[0].members.truncate(2);
    assert_eq!(inst.households[0].school_children(), 1);
    let plan = place(&inst, Pick::Auto).unwrap();
    let fam = plan.placements.iter().find(|p| p.household == "H000").unwrap();
    assert!(fam.reason.contains("closure of L0"));
    assert_eq!(fam.to, "L1");
    assert_eq!(plan.placements.len(), 2);
}

/// The oracle itself can fail: it flags the placements the rules forbid, from the file.
#[test]
fn the_independent_checker_flags_forbidden_placements() {
    let fw: toml::Value = toml::from_str(FRAMEWORK_FILE).unwrap();
    let family = household(1, 2, 0, 0, false); // one adult and an infant
    let alone = household(2, 0, 0, 0, false); // one adult, no need
    let minor = household(3, 3, 0, 0, false); // an unaccompanied teenager
    let patchy_nood = location(1, LocationType::Noodopvang, 50, false, 40.0, 10);
    let good_nood = location(2, LocationType::Noodopvang, 50, true, 40.0, 10);
    let crisis = location(3, LocationType::Crisisnoodopvang, 50, true, 40.0, 10);
    let amv = location(4, LocationType::AmvSmallScale, 10, true, 40.0, 10);
    let azc = location(5, LocationType::RegularAzc, 50, false, 40.0, 10);
    assert!(!oracle_violations(&fw, &family, &patchy_nood).is_empty(), "a child where needs are unknown");
    assert!(oracle_violations(&fw, &family, &good_nood).is_empty(), "a child where every criterion passes");
    assert!(oracle_violations(&fw, &family, &crisis).iter().any(|v| v.contains("under one")));
    assert!(oracle_violations(&fw, &alone, &patchy_nood).is_empty(), "no Art. 24 group: emergency reception allowed");
    assert!(!oracle_violations(&fw, &minor, &azc).is_empty(), "an unaccompanied minor outside AMV reception");
    assert!(!oracle_violations(&fw, &alone, &amv).is_empty(), "an adult in AMV reception");
    assert!(oracle_violations(&fw, &minor, &amv).is_empty());
}

/// The class LP as a plain LP: x[c][o] households of class c at option o, u[c] unplaced,
/// over[s] ≥ base + load − spread mark, over ≥ 0; solved by microlp. Its optimum value.
fn class_lp(p: &spreiding_placement::model::Prepared, cls: &[solve::Class], w: &Weights) -> f64 {
    use good_lp::{Expression, ProblemVariables, SolverModel, variable};
    let mut vars = ProblemVariables::new();
    let mut objective = Expression::from(0.0);
    let mut load: Vec<Expression> = vec![Expression::from(0.0); p.sites.len()];
    let mut used = vec![false; p.sites.len()];
    let mut rows = Vec::new();
    for c in cls {
        let n = c.members.len() as f64;
        let persons = f64::from(c.persons());
        let u = vars.add(variable().min(0));
        let mut all = Expression::from(u);
        objective += w.unplaced_person * persons * u;
        for (s, parts) in &c.options {
            let v = vars.add(variable().min(0));
            objective += parts.total() * v;
            load[*s] += persons * v;
            used[*s] = true;
            all += v;
        }
        rows.push(all.eq(n));
    }
    for s in &p.sites {
        let base = f64::from(s.base_load);
        let over = vars.add(variable().min(0));
        objective += w.spread_bed * over;
        rows.push(Expression::from(over).geq(base + load[s.index].clone() - s.spread_mark(w)));
        if used[s.index] {
            rows.push(load[s.index].clone().leq(f64::from(s.free())));
        }
    }
    let mut model = vars.minimise(objective.clone()).using(good_lp::microlp);
    for r in rows {
        model.add_constraint(r);
    }
    let sol = model.solve().expect("the class LP is feasible (unplaced is always possible)");
    objective.eval_with(&sol)
}

/// The greedy baseline as its definition reads: per household, hardest classes first, scan
/// every option with room and take the lowest marginal cost (then the lowest index).
fn scan_greedy(p: &spreiding_placement::model::Prepared, cls: &[solve::Class], w: &Weights) -> Vec<Vec<(usize, u32)>> {
    let crowding = |load: f64, s: &spreiding_placement::model::Site| w.spread_bed * (load - s.spread_mark(w)).max(0.0);
    let mut free: Vec<u32> = p.sites.iter().map(|s| s.free()).collect();
    let mut load: Vec<f64> = p.sites.iter().map(|s| f64::from(s.base_load)).collect();
    let mut order: Vec<usize> = (0..cls.len()).collect();
    order.sort_by_key(|&k| (cls[k].options.len(), std::cmp::Reverse(cls[k].persons()), k));
    let mut counts: Vec<BTreeMap<usize, u32>> = vec![BTreeMap::new(); cls.len()];
    for k in order {
        let c = &cls[k];
        let sz = c.persons();
        for _ in 0..c.members.len() {
            let mut best: Option<(f64, usize)> = None;
            for (s, parts) in &c.options {
                if free[*s] < sz {
                    continue;
                }
                let site = &p.sites[*s];
                let m = parts.total() + crowding(load[*s] + f64::from(sz), site) - crowding(load[*s], site);
                if best.is_none_or(|(bm, bs)| m < bm || (m == bm && *s < bs)) {
                    best = Some((m, *s));
                }
            }
            let Some((_, s)) = best else { break };
            free[s] -= sz;
            load[s] += f64::from(sz);
            *counts[k].entry(s).or_default() += 1;
        }
    }
    counts.into_iter().map(|m| m.into_iter().collect()).collect()
}
