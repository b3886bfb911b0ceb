#!/usr/bin/env python3
"""BENCHMARK PEER — not part of spreiding.

Solves the placement class model that `spreiding place run --export-model model.json`
(or `cargo run --release -p spreiding-placement --example scale_probe 40000 model.json`)
writes, with an independent solver: HiGHS (pip install highspy), as an exact integer
programme (MIP), and prints its optimum and solve time, so that spreiding's objective can
be checked against it (docs/PERFORMANCE.md, ## Placement).

Model (same as crates/placement/src/solve.rs, integer instead of LP + rounding):
  minimise  sum cost[k,s] x[k,s] + sum unplaced_cost[k] u[k] + spread_bed * sum over[s]
  s.t.      sum_s x[k,s] + u[k] = n[k]                  for each class k
            sum_k persons[k] x[k,s] <= free[s]           for each site s
            sum_k persons[k] x[k,s] - over[s] <= mark[s] - base[s]
            x, u integer >= 0; over >= 0

Usage: python3 tools/placement_peer.py model.json [spreiding_objective]
           [--lp] [--time-limit SECONDS] [--threads N] [--lp-out x.json]
  --lp           solve the LP relaxation only (no integrality); with --lp-out, write the
                 LP solution x per class and option (in the model's order) as JSON, for
                 `cargo run --release -p spreiding-placement --example round_lp` to round
                 with spreiding's own rounding ("HiGHS LP + the same rounding")
  --time-limit   HiGHS time limit in seconds (default 600): "MIP at equal time"
"""
import json
import sys
import time

import highspy
import numpy as np


def option(name, default=None):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


def main():
    path = sys.argv[1]
    positional = [a for i, a in enumerate(sys.argv[2:], 2) if not a.startswith("--") and not sys.argv[i - 1].startswith("--")]
    ours = float(positional[0]) if positional else None
    lp_only = "--lp" in sys.argv
    time_limit = float(option("--time-limit", "600"))
    threads = int(option("--threads", "1"))
    lp_out = option("--lp-out")
    t_read = time.perf_counter()
    m = json.load(open(path))
    classes, sites, spread = m["classes"], m["sites"], m["spread_bed"]
    cost, lower, upper, integ = [], [], [], []
    cols = []  # list of (rows, values)
    n_cls, n_sites = len(classes), len(sites)
    # rows: 0..K-1 demand (eq), K..K+S-1 capacity, K+S..K+2S-1 spread
    for k, c in enumerate(classes):
        for s, cst in c["options"]:
            cost.append(cst)
            lower.append(0.0)
            upper.append(float(c["n"]))
            integ.append(highspy.HighsVarType.kContinuous if lp_only else highspy.HighsVarType.kInteger)
            p = float(c["persons"])
            cols.append(([k, n_cls + s, n_cls + n_sites + s], [1.0, p, p]))
        cost.append(c["unplaced_cost"])
        lower.append(0.0)
        upper.append(float(c["n"]))
        integ.append(highspy.HighsVarType.kContinuous if lp_only else highspy.HighsVarType.kInteger)
        cols.append(([k], [1.0]))
    for s in range(n_sites):
        cost.append(spread)
        lower.append(0.0)
        upper.append(highspy.kHighsInf)
        integ.append(highspy.HighsVarType.kContinuous)
        cols.append(([n_cls + n_sites + s], [-1.0]))
    row_lower = [float(c["n"]) for c in classes] + [-highspy.kHighsInf] * (2 * n_sites)
    row_upper = [float(c["n"]) for c in classes]
    row_upper += [float(s["free"]) for s in sites]
    row_upper += [s["mark"] - s["base"] for s in sites]
    start, index, value = [0], [], []
    for rows, vals in cols:
        index += rows
        value += vals
        start.append(len(index))
    lp = highspy.HighsLp()
    lp.num_col_ = len(cost)
    lp.num_row_ = n_cls + 2 * n_sites
    lp.col_cost_ = np.array(cost)
    lp.col_lower_ = np.array(lower)
    lp.col_upper_ = np.array(upper)
    lp.row_lower_ = np.array(row_lower)
    lp.row_upper_ = np.array(row_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(start, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value)
    if not lp_only:
        lp.integrality_ = integ
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 1e-6)
    h.setOptionValue("time_limit", time_limit)
    h.setOptionValue("threads", threads)
    h.passModel(lp)
    setup = time.perf_counter() - t_read
    t = time.perf_counter()
    h.run()
    elapsed = time.perf_counter() - t
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    obj = info.objective_function_value
    kind = "LP relaxation" if lp_only else "MIP"
    print(f"peer: HiGHS {h.version()} {kind} (benchmark peer), {lp.num_col_} columns, {lp.num_row_} rows, {threads} thread(s)")
    bound = obj if lp_only else info.mip_dual_bound
    print(f"peer: status {status}, objective {obj:.1f}, bound {bound:.1f}, solve time {elapsed:.3f} s (reading and building the model {setup:.3f} s more)")
    if lp_out:
        x = h.getSolution().col_value
        out, j = [], 0
        for c in classes:
            vals = list(x[j:j + len(c["options"])])
            j += len(c["options"]) + 1
            out.append(vals)
        json.dump({"objective": obj, "solve_seconds": elapsed, "x": out}, open(lp_out, "w"))
    if ours is not None:
        diff = (ours - obj) / obj * 100
        print(f"spreiding objective {ours:.1f}: {diff:+.4f} % vs HiGHS optimum")


if __name__ == "__main__":
    main()
