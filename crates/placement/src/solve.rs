//! Aggregation into classes, the linear programme, rounding, the exact MIP and the greedy
//! baseline.
//!
//! Households that are alike for every rule and every cost term (size, school children,
//! hospital need, where they live now, admissibility) form one class; the LP then has one
//! variable per (class, admissible location) instead of per household. With 40,000
//! households this is a few hundred classes.

use std::collections::{BTreeMap, BTreeSet};

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, variable};
use serde::Serialize;
use spreiding_core::CoreError;
use spreiding_core::quality::GroupSet;

use crate::flow::{Arc, min_cost_flow};
use crate::model::{CostParts, CostSig, Instance, Prepared, Site, Weights, admissible_sig, cost_at, cost_sig};

/// Households that are interchangeable for the optimisation.
#[derive(Clone, Debug)]
pub struct Class {
    pub sig: CostSig,
    pub unaccompanied: bool,
    pub infant: bool,
    pub groups: GroupSet,
    /// Household indices (into `Instance::households`), ascending.
    pub members: Vec<usize>,
    /// Admissible sites with enough beds at all and the household's cost there.
    pub options: Vec<(usize, CostParts)>,
}

impl Class {
    pub fn persons(&self) -> u32 {
        self.sig.persons
    }
}

/// Group movable households into classes. Group sets are reduced to what matters: which
/// emergency locations they are admissible at.
pub fn classes(inst: &Instance, p: &Prepared) -> Vec<Class> {
    let masks: Vec<GroupSet> = p
        .sites
        .iter()
        .filter(|s| s.available && s.kind.is_emergency())
        .map(|s| s.may_house)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut map: BTreeMap<(CostSig, bool, bool, Vec<bool>), Vec<usize>> = BTreeMap::new();
    let mut rep_groups: BTreeMap<(CostSig, bool, bool, Vec<bool>), GroupSet> = BTreeMap::new();
    for &hi in &p.movable {
        let h = &inst.households[hi];
        let g = h.groups();
        let key = (
            cost_sig(inst, p, hi),
            h.is_unaccompanied(),
            h.has_infant(),
            masks.iter().map(|m| g.subset_of(*m)).collect(),
        );
        rep_groups.entry(key.clone()).or_insert(g);
        map.entry(key).or_default().push(hi);
    }
    map.into_iter()
        .map(|(key, members)| {
            let (sig, unaccompanied, infant, _) = key.clone();
            let groups = rep_groups[&key];
            let options = p
                .sites
                .iter()
                .filter(|s| admissible_sig(unaccompanied, infant, groups, s).is_ok() && s.free() >= sig.persons)
                .map(|s| (s.index, cost_at(&sig, &inst.locations[s.index], s, &inst.weights)))
                .collect();
            Class { sig, unaccompanied, infant, groups, members, options }
        })
        .collect()
}

/// Objective value split in its documented parts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Objective {
    pub total: f64,
    pub relocation: f64,
    pub travel: f64,
    pub cost: f64,
    pub overstay: f64,
    pub spread: f64,
    pub unplaced: f64,
}

fn spread_penalty(load: f64, s: &Site, w: &Weights) -> f64 {
    w.spread_bed * (load - s.spread_mark(w)).max(0.0)
}

/// What one more household of `persons` at `site` (now holding `load`) adds to the
/// objective: its own cost and the crowding it adds. The greedy choice and the completion
/// after rounding both go by it.
fn marginal(parts: &CostParts, persons: u32, site: &Site, load: f64, w: &Weights) -> f64 {
    parts.total() + spread_penalty(load + f64::from(persons), site, w) - spread_penalty(load, site, w)
}

/// Evaluate an assignment: per class, a list of (site, count); the rest of the class unplaced.
pub fn evaluate(p: &Prepared, cls: &[Class], counts: &[Vec<(usize, u32)>], w: &Weights) -> Objective {
    let mut o = Objective::default();
    let mut load: Vec<f64> = p.sites.iter().map(|s| s.base_load as f64).collect();
    for (c, cnt) in cls.iter().zip(counts) {
        let mut placed = 0;
        for &(site, n) in cnt {
            let parts = c.options.iter().find(|o| o.0 == site).map(|o| o.1).expect("assigned to an option");
            o.relocation += parts.relocation * n as f64;
            o.travel += parts.travel * n as f64;
            o.cost += parts.cost * n as f64;
            o.overstay += parts.overstay * n as f64;
            load[site] += (c.persons() * n) as f64;
            placed += n;
        }
        o.unplaced += w.unplaced_person * (c.persons() as f64) * (c.members.len() as u32 - placed) as f64;
    }
    o.spread = p.sites.iter().map(|s| spread_penalty(load[s.index], s, w)).sum();
    o.total = o.relocation + o.travel + o.cost + o.overstay + o.spread + o.unplaced;
    o
}

/// Greedy baseline: hardest households first (fewest options, then largest), each to the
/// location with the lowest marginal cost (own cost + added crowding) that still has room.
///
/// The households of a class are identical, and placing one changes only the chosen
/// location's marginal cost, so after a full scan the next households go to the same
/// location for as long as it stays below the runner-up: the same choices as a full scan
/// per household, at O(1) per household instead of O(options).
pub fn greedy(p: &Prepared, cls: &[Class], w: &Weights) -> Vec<Vec<(usize, u32)>> {
    let mut free: Vec<u32> = p.sites.iter().map(Site::free).collect();
    let mut load: Vec<f64> = p.sites.iter().map(|s| s.base_load as f64).collect();
    let mut order: Vec<usize> = (0..cls.len()).collect();
    order.sort_by_key(|&k| (cls[k].options.len(), std::cmp::Reverse(cls[k].persons()), k));
    let mut counts: Vec<BTreeMap<usize, u32>> = vec![BTreeMap::new(); cls.len()];
    // (marginal cost, site) ordered as the choice is made: cost first, then the lower index.
    let before = |a: (f64, usize), b: (f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).is_lt();
    for k in order {
        let c = &cls[k];
        let sz = c.persons();
        let marginal = |s: usize, parts: &CostParts, load: &[f64]| marginal(parts, sz, &p.sites[s], load[s], w);
        let mut left = c.members.len();
        while left > 0 {
            let mut best: Option<(f64, usize, &CostParts)> = None;
            let mut runner_up: Option<(f64, usize)> = None;
            for (s, parts) in c.options.iter().filter(|(s, _)| free[*s] >= sz) {
                let m = (marginal(*s, parts, &load), *s);
                match best {
                    Some(b) if !before(m, (b.0, b.1)) => {
                        if runner_up.is_none_or(|r| before(m, r)) {
                            runner_up = Some(m);
                        }
                    }
                    _ => {
                        runner_up = best.map(|b| (b.0, b.1));
                        best = Some((m.0, m.1, parts));
                    }
                }
            }
            let Some((_, s, parts)) = best else { break };
            let mut placed = 0u32;
            loop {
                free[s] -= sz;
                load[s] += sz as f64;
                placed += 1;
                left -= 1;
                if left == 0 || free[s] < sz || runner_up.is_some_and(|r| !before((marginal(s, parts, &load), s), r)) {
                    break;
                }
            }
            *counts[k].entry(s).or_default() += placed;
        }
    }
    counts.into_iter().map(|m| m.into_iter().collect()).collect()
}

/// How the optimum was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Exact integer programme over classes.
    Exact,
    /// LP relaxation rounded down, the rest placed by lowest marginal cost.
    LpRounded,
    /// The greedy baseline was better on this instance (portfolio).
    Greedy,
}

/// Which strategy to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Exact MIP for small models (≤ 300 variables), LP + rounding with a proven bound for large ones.
    Auto,
    Exact,
    LpRound,
}

pub struct Solved {
    pub counts: Vec<Vec<(usize, u32)>>,
    pub method: Method,
    /// LP lower bound on the optimum (None for exact).
    pub lower_bound: Option<f64>,
    pub variables: usize,
}

struct Lp {
    vars: ProblemVariables,
    x: Vec<Vec<Variable>>,
    objective: Expression,
    constraints: Vec<good_lp::Constraint>,
    constant: f64,
}

/// The integer programme over classes (the exact strategy); the large-model relaxation is
/// [`relaxation`].
fn build(p: &Prepared, cls: &[Class], w: &Weights) -> Lp {
    let mut vars = ProblemVariables::new();
    let mut objective = Expression::with_capacity(cls.iter().map(|c| c.options.len() + 1).sum());
    let mut site_terms: Vec<Vec<(Variable, f64)>> = vec![Vec::new(); p.sites.len()];
    let mut constraints = Vec::new();
    let mut x = Vec::with_capacity(cls.len());
    for c in cls {
        let n = c.members.len() as f64;
        let def = || variable().integer().min(0).max(n);
        let xs: Vec<Variable> = c.options.iter().map(|_| vars.add(def())).collect();
        let u = vars.add(def());
        let mut demand = Expression::with_capacity(xs.len() + 1);
        for (v, (s, parts)) in xs.iter().zip(&c.options) {
            objective.add_mul(parts.total(), *v);
            demand.add_mul(1.0, *v);
            site_terms[*s].push((*v, c.persons() as f64));
        }
        objective.add_mul(w.unplaced_person * c.persons() as f64, u);
        demand.add_mul(1.0, u);
        constraints.push(demand.eq(n));
        x.push(xs);
    }
    let mut constant = 0.0;
    for s in &p.sites {
        let terms = &site_terms[s.index];
        if terms.is_empty() {
            constant += spread_penalty(s.base_load as f64, s, w);
            continue;
        }
        let mut load = Expression::with_capacity(terms.len());
        for (v, a) in terms {
            load.add_mul(*a, *v);
        }
        constraints.push(load.clone().leq(s.free() as f64));
        let over = vars.add(variable().min(0));
        objective.add_mul(w.spread_bed, over);
        // over ≥ base + load − mark
        let mut e = load;
        e.add_mul(-1.0, over);
        constraints.push(e.leq(s.spread_mark(w) - s.base_load as f64));
    }
    Lp { vars, x, objective, constraints, constant }
}

fn run(lp: Lp) -> Result<(Vec<Vec<f64>>, f64), CoreError> {
    let Lp { vars, x, objective, constraints, constant } = lp;
    let obj = objective.clone();
    let problem = vars.minimise(objective);
    #[cfg(not(feature = "highs"))]
    let mut model = problem.using(good_lp::microlp);
    #[cfg(feature = "highs")]
    let mut model = problem.using(good_lp::highs);
    for c in constraints {
        model.add_constraint(c);
    }
    let sol = model.solve().map_err(|e| CoreError::invalid(format!("the solver failed: {e}")))?;
    let vals = x.iter().map(|xs| xs.iter().map(|v| sol.value(*v)).collect()).collect();
    Ok((vals, obj.eval_with(&sol) + constant))
}

/// The LP relaxation of [`build`]'s programme (x real in [0, households]), solved as the
/// min-cost flow it is:
/// persons flow from each class (supply: its persons) to its admissible sites or to
/// "unplaced", and from each site to one sink over two parallel arcs, free up to the spread
/// mark and `spread_bed` per person above it (the convex crowding penalty), together at most
/// the site's free beds. x = flow ÷ the class's household size. Returns x per class and
/// option (in `Class::options` order) and the LP optimum, a lower bound on the placement's
/// objective.
pub fn relaxation(p: &Prepared, cls: &[Class], w: &Weights) -> Result<(Vec<Vec<f64>>, f64), CoreError> {
    // One node per class, then one per site some class may use (in site order), then the sink.
    let mut used = vec![false; p.sites.len()];
    cls.iter().flat_map(|c| &c.options).for_each(|(s, _)| used[*s] = true);
    let mut site_node = vec![None; p.sites.len()];
    let mut sink = cls.len();
    for (node, _) in site_node.iter_mut().zip(&used).filter(|(_, u)| **u) {
        *node = Some(sink);
        sink += 1;
    }
    let mut supply = vec![0.0; sink + 1];
    let mut arcs = Vec::with_capacity(cls.iter().map(|c| c.options.len() + 1).sum::<usize>() + 2 * p.sites.len());
    for (k, c) in cls.iter().enumerate() {
        let persons = f64::from(c.persons());
        let total = persons * c.members.len() as f64;
        supply[k] = total;
        supply[sink] -= total;
        for (s, parts) in &c.options {
            arcs.push(Arc {
                from: k,
                to: site_node[*s].expect("an option's site is used"),
                cap: total,
                cost: parts.total() / persons,
            });
        }
        arcs.push(Arc { from: k, to: sink, cap: f64::INFINITY, cost: w.unplaced_person });
    }
    // Every site's crowding penalty at its base load is a constant of the objective.
    let mut constant = 0.0;
    for s in &p.sites {
        constant += spread_penalty(s.base_load as f64, s, w);
        let Some(v) = site_node[s.index] else { continue };
        let free = f64::from(s.free());
        let below_mark = (s.spread_mark(w) - s.base_load as f64).clamp(0.0, free);
        arcs.push(Arc { from: v, to: sink, cap: below_mark, cost: 0.0 });
        arcs.push(Arc { from: v, to: sink, cap: free - below_mark, cost: w.spread_bed });
    }
    let flow = min_cost_flow(&supply, &arcs)?;
    let bound = constant + arcs.iter().zip(&flow).map(|(a, f)| a.cost * f).sum::<f64>();
    let mut at = 0;
    let vals = cls
        .iter()
        .map(|c| {
            let persons = f64::from(c.persons());
            let x = flow[at..at + c.options.len()].iter().map(|f| f / persons).collect();
            at += c.options.len() + 1;
            x
        })
        .collect();
    Ok((vals, bound))
}

/// Solve for the best assignment of classes to sites.
pub fn optimise(p: &Prepared, cls: &[Class], w: &Weights, strategy: Strategy) -> Result<Solved, CoreError> {
    let variables: usize = cls.iter().map(|c| c.options.len() + 1).sum::<usize>() + p.sites.len();
    let exact = match strategy {
        Strategy::Exact => true,
        Strategy::LpRound => false,
        Strategy::Auto => variables <= 300,
    };
    let candidate = if exact {
        let (vals, _) = run(build(p, cls, w))?;
        let counts = to_counts(cls, &vals, true);
        Solved { counts, method: Method::Exact, lower_bound: None, variables }
    } else {
        let (vals, bound) = relaxation(p, cls, w)?;
        let counts = round(p, cls, w, &vals);
        Solved { counts, method: Method::LpRounded, lower_bound: Some(bound), variables }
    };
    // Portfolio: never return something worse than the greedy baseline.
    let g = greedy(p, cls, w);
    if evaluate(p, cls, &g, w).total + 1e-6 < evaluate(p, cls, &candidate.counts, w).total {
        return Ok(Solved { counts: g, method: Method::Greedy, ..candidate });
    }
    Ok(candidate)
}

/// The rounding of an LP solution (`vals`: per class, x per option in `Class::options`
/// order): every x rounded down, then the households left over placed at the lowest
/// marginal cost, with the repair step. Public so that a peer solver's LP solution can be
/// rounded the same way (`examples/round_lp.rs`, docs/PERFORMANCE.md).
pub fn round(p: &Prepared, cls: &[Class], w: &Weights, vals: &[Vec<f64>]) -> Vec<Vec<(usize, u32)>> {
    let mut counts = to_counts(cls, vals, false);
    complete(p, cls, w, &mut counts);
    counts
}

fn to_counts(cls: &[Class], vals: &[Vec<f64>], integer: bool) -> Vec<Vec<(usize, u32)>> {
    cls.iter()
        .zip(vals)
        .map(|(c, v)| {
            c.options
                .iter()
                .zip(v)
                .filter_map(|((s, _), x)| {
                    let n = if integer { x.round() } else { (x + 1e-7).floor() } as u32;
                    (n > 0).then_some((*s, n))
                })
                .collect()
        })
        .collect()
}

/// Place the households the rounding left over, lowest marginal cost first.
fn complete(p: &Prepared, cls: &[Class], w: &Weights, counts: &mut [Vec<(usize, u32)>]) {
    let mut free: Vec<i64> = p.sites.iter().map(|s| s.free() as i64).collect();
    let mut load: Vec<f64> = p.sites.iter().map(|s| s.base_load as f64).collect();
    for (c, cnt) in cls.iter().zip(counts.iter()) {
        for &(s, n) in cnt {
            free[s] -= (c.persons() * n) as i64;
            load[s] += (c.persons() * n) as f64;
        }
    }
    let mut order: Vec<usize> = (0..cls.len()).collect();
    order.sort_by_key(|&k| (cls[k].options.len(), std::cmp::Reverse(cls[k].persons()), k));
    for k in order {
        let c = &cls[k];
        let sz = c.persons();
        let mut left = c.members.len() as u32 - counts[k].iter().map(|x| x.1).sum::<u32>();
        while left > 0 {
            let best = c
                .options
                .iter()
                .filter(|(s, _)| free[*s] >= sz as i64)
                .map(|(s, parts)| (*s, marginal(parts, sz, &p.sites[*s], load[*s], w)))
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            let Some((s, _)) = best.or_else(|| make_room(cls, k, counts, &mut free, &mut load)) else { break };
            free[s] -= sz as i64;
            load[s] += sz as f64;
            match counts[k].iter_mut().find(|x| x.0 == s) {
                Some(x) => x.1 += 1,
                None => counts[k].push((s, 1)),
            }
            left -= 1;
        }
    }
}

/// Repair after rounding: a large household left over finds no site with room, while small
/// households elsewhere could move. Free one admissible site for class `k` by moving the
/// fewest small households placed there to their cheapest other site with room. Commits
/// only when the whole chain succeeds; returns the freed site.
fn make_room(
    cls: &[Class],
    k: usize,
    counts: &mut [Vec<(usize, u32)>],
    free: &mut [i64],
    load: &mut [f64],
) -> Option<(usize, f64)> {
    let sz = cls[k].persons() as i64;
    let mut sites: Vec<&(usize, CostParts)> = cls[k].options.iter().collect();
    sites.sort_by(|a, b| a.1.total().total_cmp(&b.1.total()).then(a.0.cmp(&b.0)));
    for &&(l, _) in &sites {
        // Movable residents of l from other classes, smallest first.
        let mut cands: Vec<(u32, usize)> = counts
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != k)
            .filter_map(|(j, c)| c.iter().find(|x| x.0 == l && x.1 > 0).map(|_| (cls[j].persons(), j)))
            .collect();
        cands.sort();
        let mut tfree = free.to_vec();
        let mut moves: Vec<(usize, usize)> = Vec::new(); // (class, to)
        let mut left_at_l: BTreeMap<usize, u32> =
            cands.iter().map(|&(_, j)| (j, counts[j].iter().find(|x| x.0 == l).map_or(0, |x| x.1))).collect();
        'fill: while tfree[l] < sz {
            for &(ps, j) in &cands {
                if left_at_l[&j] == 0 {
                    continue;
                }
                let to = cls[j]
                    .options
                    .iter()
                    .filter(|(s, _)| *s != l && tfree[*s] >= ps as i64)
                    .min_by(|a, b| a.1.total().total_cmp(&b.1.total()).then(a.0.cmp(&b.0)));
                if let Some(&(to, _)) = to {
                    tfree[to] -= ps as i64;
                    tfree[l] += ps as i64;
                    *left_at_l.get_mut(&j).expect("candidate") -= 1;
                    moves.push((j, to));
                    continue 'fill;
                }
            }
            break;
        }
        if tfree[l] < sz {
            continue;
        }
        for (j, to) in moves {
            let ps = cls[j].persons();
            let e = counts[j].iter_mut().find(|x| x.0 == l).expect("placed at l");
            e.1 -= 1;
            match counts[j].iter_mut().find(|x| x.0 == to) {
                Some(x) => x.1 += 1,
                None => counts[j].push((to, 1)),
            }
            free[l] += ps as i64;
            load[l] -= ps as f64;
            free[to] -= ps as i64;
            load[to] += ps as f64;
        }
        counts.iter_mut().for_each(|c| c.retain(|x| x.1 > 0));
        return Some((l, 0.0));
    }
    None
}
