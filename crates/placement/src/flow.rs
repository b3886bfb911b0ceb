//! Minimum-cost flow by the primal network simplex method.
//!
//! The placement LP over classes is a transportation problem: with persons as the flow
//! (class → location → sink) and the crowding penalty as two parallel arcs per location
//! (free up to the spread mark, `spread_bed` per person above it), it is a min-cost flow.
//! A general LP solver (microlp, HiGHS) solves it as a dense simplex over rows; the network
//! simplex keeps the basis as a spanning tree and pivots in time proportional to the tree
//! paths involved, which is what makes placement's LP step faster than HiGHS's LP
//! (docs/PERFORMANCE.md, "Placement against HiGHS").
//!
//! The method follows the textbook primal network simplex with a strongly feasible
//! spanning tree (W. H. Cunningham, "A network simplex method", Mathematical Programming
//! 11, 1976, which rules out cycling on degenerate pivots) and block-search pricing as in
//! LEMON's `NetworkSimplex` (P. Kovács, "Minimum-cost flow algorithms: an experimental
//! evaluation", Optimization Methods and Software 30, 2015). Potentials are recomputed from
//! the tree for the subtree that moves at every pivot, so they never drift.
//!
//! Capacities, supplies and costs are `f64` (the spread mark is a fraction of a location's
//! beds, so capacities need not be whole). The result is checked by the caller's tests
//! against an independent general LP solver (tests/properties.rs).

use spreiding_core::CoreError;

/// One arc: up to `cap` units from `from` to `to` at `cost` each (`cap` may be infinite).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arc {
    pub from: usize,
    pub to: usize,
    pub cap: f64,
    pub cost: f64,
}

const LOWER: i8 = 1;
const TREE: i8 = 0;
const UPPER: i8 = -1;
/// The tree arc of a node points up to its parent (`from` = the node) or down from it.
const UP: i8 = 1;
const DOWN: i8 = -1;

/// A minimum-cost flow: `supply[v]` units enter at node v (negative: leave), the arcs
/// carry them at least total cost. Returns the flow on every arc, in `arcs` order.
///
/// Errors: supplies that do not balance, a negative or NaN capacity, a non-finite cost,
/// no feasible flow, or a negative-cost cycle of unbounded capacity.
pub fn min_cost_flow(supply: &[f64], arcs: &[Arc]) -> Result<Vec<f64>, CoreError> {
    let n = supply.len();
    let m = arcs.len();
    let scale = supply.iter().map(|s| s.abs()).fold(1.0, f64::max);
    let balance: f64 = supply.iter().sum();
    if !balance.is_finite() || balance.abs() > 1e-9 * scale * n as f64 {
        return Err(CoreError::invalid(format!("min-cost flow: the supplies do not balance (sum {balance})")));
    }
    for (i, a) in arcs.iter().enumerate() {
        if a.from >= n || a.to >= n || a.cap.is_nan() || a.cap < 0.0 || !a.cost.is_finite() {
            return Err(CoreError::invalid(format!("min-cost flow: arc {i} is not valid ({a:?})")));
        }
    }
    let mut ns = Simplex::new(supply, arcs);
    ns.solve()?;
    // Every artificial arc must be empty, or there is no feasible flow.
    let tol = 1e-7 * scale;
    if ns.flow[m..].iter().any(|&f| f > tol) {
        return Err(CoreError::invalid("min-cost flow: no flow meets every supply within the capacities"));
    }
    ns.flow.truncate(m);
    Ok(ns.flow)
}

struct Simplex {
    /// Real arcs first, then one artificial arc per node (to or from the root).
    from: Vec<usize>,
    to: Vec<usize>,
    cap: Vec<f64>,
    cost: Vec<f64>,
    flow: Vec<f64>,
    state: Vec<i8>,
    root: usize,
    parent: Vec<usize>,
    pred: Vec<usize>,
    dir: Vec<i8>,
    depth: Vec<u32>,
    pi: Vec<f64>,
    /// Tree arcs at each node (both ends), for re-hanging a subtree.
    tree_arcs: Vec<Vec<usize>>,
    /// Block-search pricing: where the next search starts and how many arcs a block has.
    next_arc: usize,
    block: usize,
    eps: f64,
}

impl Simplex {
    fn new(supply: &[f64], arcs: &[Arc]) -> Simplex {
        let n = supply.len();
        let m = arcs.len();
        let root = n;
        let max_cost = arcs.iter().map(|a| a.cost.abs()).fold(0.0, f64::max);
        // More than any path of real arcs can cost, so artificial flow is used only when needed.
        let art_cost = (max_cost + 1.0) * (n + 1) as f64;
        let mut s = Simplex {
            from: Vec::with_capacity(m + n),
            to: Vec::with_capacity(m + n),
            cap: Vec::with_capacity(m + n),
            cost: Vec::with_capacity(m + n),
            flow: vec![0.0; m + n],
            state: vec![LOWER; m + n],
            root,
            parent: vec![usize::MAX; n + 1],
            pred: vec![usize::MAX; n + 1],
            dir: vec![UP; n + 1],
            depth: vec![0; n + 1],
            pi: vec![0.0; n + 1],
            tree_arcs: vec![Vec::new(); n + 1],
            next_arc: 0,
            block: ((m + n) as f64).sqrt().max(10.0) as usize,
            eps: 1e-12 * art_cost,
        };
        for a in arcs {
            s.from.push(a.from);
            s.to.push(a.to);
            s.cap.push(a.cap);
            s.cost.push(a.cost);
        }
        for (u, &b) in supply.iter().enumerate() {
            let e = m + u;
            s.state[e] = TREE;
            s.parent[u] = root;
            s.pred[u] = e;
            s.depth[u] = 1;
            s.cap.push(f64::INFINITY);
            if b >= 0.0 {
                s.from.push(u);
                s.to.push(root);
                s.cost.push(0.0);
                s.flow[e] = b;
                s.dir[u] = UP;
                s.pi[u] = 0.0;
            } else {
                s.from.push(root);
                s.to.push(u);
                s.cost.push(art_cost);
                s.flow[e] = -b;
                s.dir[u] = DOWN;
                s.pi[u] = art_cost;
            }
            s.tree_arcs[u].push(e);
            s.tree_arcs[root].push(e);
        }
        s
    }

    #[inline]
    fn reduced(&self, e: usize) -> f64 {
        f64::from(self.state[e]) * (self.cost[e] + self.pi[self.from[e]] - self.pi[self.to[e]])
    }

    /// Block search: the most negative reduced cost within the first block that has one.
    fn entering(&mut self) -> Option<usize> {
        let total = self.from.len();
        let mut best = None;
        let mut min = -self.eps;
        let mut count = self.block;
        for k in 0..total {
            let e = (self.next_arc + k) % total;
            let c = self.reduced(e);
            if c < min {
                min = c;
                best = Some(e);
            }
            count -= 1;
            if count == 0 {
                if best.is_some() {
                    self.next_arc = (e + 1) % total;
                    return best;
                }
                count = self.block;
            }
        }
        best
    }

    fn join(&self, mut u: usize, mut v: usize) -> usize {
        while u != v {
            match self.depth[u].cmp(&self.depth[v]) {
                std::cmp::Ordering::Greater => u = self.parent[u],
                std::cmp::Ordering::Less => v = self.parent[v],
                std::cmp::Ordering::Equal => {
                    u = self.parent[u];
                    v = self.parent[v];
                }
            }
        }
        u
    }

    fn solve(&mut self) -> Result<(), CoreError> {
        // A generous cap on pivots: a correct strongly feasible simplex never reaches it.
        let limit = 1000 + 200 * self.from.len() as u64;
        let mut pivots = 0u64;
        while let Some(e) = self.entering() {
            pivots += 1;
            if pivots > limit {
                return Err(CoreError::invalid("min-cost flow: the network simplex did not converge"));
            }
            self.pivot(e)?;
        }
        Ok(())
    }

    fn pivot(&mut self, e: usize) -> Result<(), CoreError> {
        // Flow goes around the cycle from `first` through e to `second`.
        let (first, second) =
            if self.state[e] == LOWER { (self.from[e], self.to[e]) } else { (self.to[e], self.from[e]) };
        let join = self.join(first, second);
        let mut delta = self.cap[e];
        // 0: e itself reaches its other bound; 1: leaving on first's side; 2: on second's.
        let mut side = 0u8;
        let mut u_out = usize::MAX;
        let mut out_to_zero = false;
        // First's side, walked from first up to join: the cycle runs down it.
        let mut u = first;
        while u != join {
            let a = self.pred[u];
            let (d, to_zero) =
                if self.dir[u] == UP { (self.flow[a], true) } else { (self.cap[a] - self.flow[a], false) };
            let d = d.max(0.0);
            if d < delta {
                delta = d;
                u_out = u;
                side = 1;
                out_to_zero = to_zero;
            }
            u = self.parent[u];
        }
        // Second's side, walked from second up to join: the cycle runs up it. `<=` makes
        // the last blocking arc leave, which keeps the tree strongly feasible.
        let mut u = second;
        while u != join {
            let a = self.pred[u];
            let (d, to_zero) =
                if self.dir[u] == DOWN { (self.flow[a], true) } else { (self.cap[a] - self.flow[a], false) };
            let d = d.max(0.0);
            if d <= delta {
                delta = d;
                u_out = u;
                side = 2;
                out_to_zero = to_zero;
            }
            u = self.parent[u];
        }
        if delta.is_infinite() {
            return Err(CoreError::invalid("min-cost flow: a negative-cost cycle has no capacity limit"));
        }
        if delta > 0.0 {
            let val = f64::from(self.state[e]) * delta;
            self.flow[e] += val;
            let mut u = self.from[e];
            while u != join {
                let a = self.pred[u];
                self.flow[a] -= f64::from(self.dir[u]) * val;
                u = self.parent[u];
            }
            let mut u = self.to[e];
            while u != join {
                let a = self.pred[u];
                self.flow[a] += f64::from(self.dir[u]) * val;
                u = self.parent[u];
            }
        }
        if side == 0 {
            // e goes from one bound to the other; the tree stays.
            self.state[e] = -self.state[e];
            self.flow[e] = if self.state[e] == LOWER { 0.0 } else { self.cap[e] };
            return Ok(());
        }
        let leaving = self.pred[u_out];
        self.flow[leaving] = if out_to_zero { 0.0 } else { self.cap[leaving] };
        self.state[leaving] = if out_to_zero { LOWER } else { UPPER };
        self.state[e] = TREE;
        for end in [self.from[leaving], self.to[leaving]] {
            let list = &mut self.tree_arcs[end];
            let at = list.iter().position(|&x| x == leaving).expect("tree arc listed at its ends");
            list.swap_remove(at);
        }
        self.tree_arcs[self.from[e]].push(e);
        self.tree_arcs[self.to[e]].push(e);
        // The subtree cut off by the leaving arc hangs from e now: from the endpoint of e
        // on the leaving arc's side of the cycle, under the other endpoint.
        let (top, under) = if side == 1 { (first, second) } else { (second, first) };
        self.hang(top, under, e);
        Ok(())
    }

    /// Re-hang the subtree at `top` under `under` through tree arc `e`, recomputing parents,
    /// depths and potentials for its nodes.
    fn hang(&mut self, top: usize, under: usize, e: usize) {
        let mut stack = vec![(top, under, e)];
        while let Some((v, p, a)) = stack.pop() {
            self.parent[v] = p;
            self.pred[v] = a;
            self.depth[v] = self.depth[p] + 1;
            if self.from[a] == v {
                self.dir[v] = UP;
                self.pi[v] = self.pi[p] - self.cost[a];
            } else {
                self.dir[v] = DOWN;
                self.pi[v] = self.pi[p] + self.cost[a];
            }
            for &b in &self.tree_arcs[v] {
                if b != a {
                    let w = if self.from[b] == v { self.to[b] } else { self.from[b] };
                    stack.push((w, v, b));
                }
            }
        }
        debug_assert!(self.parent[self.root] == usize::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost_of(arcs: &[Arc], flow: &[f64]) -> f64 {
        arcs.iter().zip(flow).map(|(a, f)| a.cost * f).sum()
    }

    #[test]
    fn a_small_transportation_problem() {
        // Two sources (5, 3), two sinks (−4, −4); costs make source 0 → sink 1 expensive.
        let arcs = [
            Arc { from: 0, to: 2, cap: f64::INFINITY, cost: 1.0 },
            Arc { from: 0, to: 3, cap: f64::INFINITY, cost: 10.0 },
            Arc { from: 1, to: 2, cap: f64::INFINITY, cost: 2.0 },
            Arc { from: 1, to: 3, cap: f64::INFINITY, cost: 3.0 },
        ];
        let f = min_cost_flow(&[5.0, 3.0, -4.0, -4.0], &arcs).unwrap();
        // 0 sends 4 to sink 2 and 1 to sink 3; 1 sends 3 to sink 3: 4 + 10 + 9 = 23.
        assert_eq!(f, vec![4.0, 1.0, 0.0, 3.0]);
        assert_eq!(cost_of(&arcs, &f), 23.0);
    }

    #[test]
    fn capacities_bind_and_fractions_are_kept() {
        let arcs = [Arc { from: 0, to: 1, cap: 2.5, cost: 1.0 }, Arc { from: 0, to: 1, cap: f64::INFINITY, cost: 4.0 }];
        let f = min_cost_flow(&[6.0, -6.0], &arcs).unwrap();
        assert_eq!(f, vec![2.5, 3.5]);
    }

    #[test]
    fn infeasible_and_unbalanced_are_errors() {
        let arcs = [Arc { from: 0, to: 1, cap: 1.0, cost: 1.0 }];
        assert!(min_cost_flow(&[2.0, -2.0], &arcs).is_err());
        assert!(min_cost_flow(&[2.0, -1.0], &arcs).is_err());
    }
}
