#!/usr/bin/env python3
"""Refit the backtest's unpublished inputs in sample, by the rule docs/FORECAST.md states.

The fitted inputs are the general stream's housing outflow of the half years that have no
published figure (the AMV figure of each half year keeps its share of the general one) and
the mean time in the return phase. Only observations before the scenario's `holdout_from`
are scored; the held-out rows are printed once, after the fit, and never looked at by it.

Rule (lexicographic, smaller is better), over the in-sample rows:
  1. the number of rows with the P50 outside ±10 % or the observation outside P10-P90;
  2. the largest |relative error| of the P50, in whole percentage points;
  3. the mean absolute relative error of the P50.
Housing: each fitted half year in turn is moved in steps of 500 while the rule improves;
passes repeat until no step improves. Return phase: the grid below, housing refitted at the
chosen value until the choice is stable.

Usage: tools/fit_backtest.py [--bin target/release/spreiding] [--runs 10000] [--seed 1]
       [--fit 0,1,2,3,4,6,7] [--write]
  --write puts the result into scenarios/backtest-2019-2025.toml (the arrays and mean_days).
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

SCENARIO = Path("scenarios/backtest-2019-2025.toml")
RETURN_GRID = [240, 360, 480, 600, 720]
STEP = 500


def arrays(text):
    found = re.findall(r"^task_per_half_year = \[([^\]]*)\]", text, re.M)
    if len(found) != 2:
        sys.exit(f"{SCENARIO}: expected two task_per_half_year lines (general, amv), found {len(found)}")
    return [[int(x) for x in a.split(",")] for a in found]


def with_inputs(text, general, amv, return_days):
    lines = iter([general, amv])

    def arr(m):
        return "task_per_half_year = [" + ", ".join(str(v) for v in next(lines)) + "]"

    text = re.sub(r"^task_per_half_year = \[[^\]]*\]", arr, text, flags=re.M)
    return re.sub(r"^(\[(?:general|amv)\.return\]\nmean_days = )\d+", lambda m: m.group(1) + str(return_days), text, flags=re.M)


def run(args, text):
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(text)
        path = f.name
    out = subprocess.run(
        [args.bin, "forecast", "backtest", "--scenario", path, "--runs", str(args.runs), "--seed", str(args.seed),
         "--format", "json"],
        capture_output=True, text=True)
    Path(path).unlink()
    if out.returncode != 0:
        sys.exit(out.stderr)
    return json.loads(out.stdout)


def score(rows):
    ins = [r for r in rows if r["in_sample"]]
    misses = sum(1 for r in ins if abs(r["relative_error"]) > 0.10 or not r["within_p10_p90"])
    worst = max(round(abs(r["relative_error"]) * 100) for r in ins)
    mae = sum(abs(r["relative_error"]) for r in ins) / len(ins)
    return (misses, worst, mae)


def fit_housing(args, text, general, amv_share, return_days, fit):
    def evaluate(g):
        amv = [round(v * s) for v, s in zip(g, amv_share)]
        return score(run(args, with_inputs(text, g, amv, return_days)))

    best = evaluate(general)
    print(f"  start {best}", flush=True)
    improved = True
    while improved:
        improved = False
        for i in fit:
            for step in (STEP, -STEP):
                while general[i] + step > 0:
                    trial = list(general)
                    trial[i] += step
                    s = evaluate(trial)
                    if s < best:
                        best, general, improved = s, trial, True
                        print(f"  half year {i}: {general[i]} -> {best}", flush=True)
                    else:
                        break
    return general, best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default="target/release/spreiding")
    p.add_argument("--runs", type=int, default=10000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--fit", default="0,1,2,3,4,6,7", help="indices of the fitted half years (0 = H2 2019)")
    p.add_argument("--write", action="store_true")
    args = p.parse_args()
    fit = [int(x) for x in args.fit.split(",")]
    text = SCENARIO.read_text()
    general, amv = arrays(text)
    amv_share = [a / g for a, g in zip(amv, general)]
    return_days = int(re.search(r"^\[general\.return\]\nmean_days = (\d+)", text, re.M).group(1))
    chosen = None
    while chosen != return_days:
        print(f"housing fit at return phase {return_days} days", flush=True)
        general, best = fit_housing(args, text, general, amv_share, return_days, fit)
        amv = [round(v * s) for v, s in zip(general, amv_share)]
        grid = {d: score(run(args, with_inputs(text, general, amv, d))) for d in RETURN_GRID}
        print("return grid (MAE):", {d: f"{s[2] * 100:.1f} %" for d, s in grid.items()}, flush=True)
        chosen = min(RETURN_GRID, key=lambda d: grid[d][2])
        if chosen == return_days:
            break
        return_days, chosen = chosen, None
    print(f"general {general}\namv {amv}\nreturn {return_days} days\nin-sample score {best}")
    if args.write:
        SCENARIO.write_text(with_inputs(text, general, amv, return_days))
        print(f"written to {SCENARIO}")


if __name__ == "__main__":
    main()
