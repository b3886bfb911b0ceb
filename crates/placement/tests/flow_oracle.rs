//! The network simplex (`spreiding_placement::flow`) against an independent oracle: the same
//! problem written as a plain LP (flow conservation per node, bounds per arc) and solved by
//! microlp, a general simplex solver. Random networks, not only placement's bipartite shape:
//! parallel arcs, cycles, negative costs on bounded arcs, fractional capacities, infeasible
//! supplies. Then placement's own relaxation against an LP written here from the classes.

use good_lp::{Expression, ProblemVariables, SolverModel, variable};
use proptest::prelude::*;
use spreiding_placement::flow::{Arc, min_cost_flow};

/// The oracle: min Σ cost·x subject to out − in = supply at every node and 0 ≤ x ≤ cap.
/// None when the LP is infeasible.
fn oracle(supply: &[f64], arcs: &[Arc]) -> Option<f64> {
    let mut vars = ProblemVariables::new();
    let x: Vec<_> = arcs
        .iter()
        .map(|a| vars.add(if a.cap.is_finite() { variable().min(0).max(a.cap) } else { variable().min(0) }))
        .collect();
    let objective: Expression = arcs.iter().zip(&x).map(|(a, v)| a.cost * *v).sum();
    let mut model = vars.minimise(objective.clone()).using(good_lp::microlp);
    for (node, &b) in supply.iter().enumerate() {
        let mut net = Expression::from(0.0);
        for (a, v) in arcs.iter().zip(&x) {
            if a.from == node {
                net += *v;
            }
            if a.to == node {
                net -= *v;
            }
        }
        model.add_constraint(net.eq(b));
    }
    model.solve().ok().map(|s| objective.eval_with(&s))
}

/// Conservation, bounds and cost of a flow, checked from scratch.
fn check(supply: &[f64], arcs: &[Arc], flow: &[f64]) -> Result<f64, TestCaseError> {
    prop_assert_eq!(flow.len(), arcs.len());
    let mut net = vec![0.0; supply.len()];
    for (a, &f) in arcs.iter().zip(flow) {
        prop_assert!(f >= -1e-9 && f <= a.cap + 1e-9, "flow {} outside [0, {}]", f, a.cap);
        net[a.from] += f;
        net[a.to] -= f;
    }
    for (v, (&got, &want)) in net.iter().zip(supply).enumerate() {
        prop_assert!((got - want).abs() <= 1e-7, "node {}: net outflow {} ≠ supply {}", v, got, want);
    }
    Ok(arcs.iter().zip(flow).map(|(a, f)| a.cost * f).sum())
}

type Net = (Vec<f64>, Vec<Arc>);

fn network() -> impl Strategy<Value = Net> {
    (2usize..8)
        .prop_flat_map(|n| {
            let arc =
                (0..n, 0..n, prop::option::of(0u32..12), 0u32..4, -6i32..20).prop_map(|(from, to, cap, half, cost)| {
                    // Negative costs only on bounded arcs (an unbounded negative cycle has no optimum);
                    // some capacities end in .5.
                    let cap = cap.map_or(f64::INFINITY, |c| f64::from(c) + if half == 0 { 0.5 } else { 0.0 });
                    let cost = if cap.is_finite() { f64::from(cost) } else { f64::from(cost.max(0)) };
                    Arc { from, to, cap, cost: cost / 4.0 }
                });
            (prop::collection::vec(-8i32..9, n), prop::collection::vec(arc, 0..24))
        })
        .prop_map(|(mut s, arcs)| {
            // Balance the supplies on the last node.
            let sum: i32 = s.iter().sum();
            *s.last_mut().unwrap() -= sum;
            (s.into_iter().map(f64::from).collect(), arcs.into_iter().filter(|a| a.from != a.to).collect())
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn network_simplex_matches_a_general_lp_solver((supply, arcs) in network()) {
        let ours = min_cost_flow(&supply, &arcs);
        match (oracle(&supply, &arcs), ours) {
            (None, Err(_)) => {}
            (Some(best), Ok(flow)) => {
                let cost = check(&supply, &arcs, &flow)?;
                prop_assert!((cost - best).abs() <= 1e-6 * best.abs().max(1.0), "network simplex {} vs LP {}", cost, best);
            }
            (None, Ok(flow)) => { check(&supply, &arcs, &flow)?; prop_assert!(false, "LP infeasible, flow found"); }
            (Some(best), Err(e)) => prop_assert!(false, "LP optimum {} but the flow failed: {}", best, e),
        }
    }
}

#[test]
fn a_degenerate_assignment_converges() {
    // 30 × 30 assignment with all costs equal: every basis is degenerate.
    let n = 30;
    let mut supply = vec![1.0; n];
    supply.extend(std::iter::repeat_n(-1.0, n));
    let arcs: Vec<Arc> =
        (0..n).flat_map(|i| (0..n).map(move |j| Arc { from: i, to: n + j, cap: 1.0, cost: 1.0 })).collect();
    let flow = min_cost_flow(&supply, &arcs).unwrap();
    let cost: f64 = flow.iter().sum();
    assert_eq!(cost, n as f64);
}
