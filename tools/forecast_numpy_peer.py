#!/usr/bin/env python3
"""BENCHMARK PEER ONLY — not part of spreiding.

A vectorised numpy implementation of the same daily stock-flow model as
crates/forecast (docs/FORECAST.md), used to measure the Rust engine against a
reasonable numpy implementation in the same run (docs/PERFORMANCE.md, ## Forecast).
All paths advance together, one day at a time, as arrays.

Same model: two streams (general, AMV), registration with a shared cap and
overflow, Erlang phases for preparation, matching and the return phase, decision
and housing capacities as whole persons per day, Poisson arrivals, seasonality,
regime switches and a per-path level multiplier. Random numbers come from numpy's
generator, so results agree with the Rust engine in distribution, not bit for bit.

Samplers: --sampler exact uses numpy's exact binomial and Poisson (what a numpy user
writes); --sampler hybrid uses the Rust engine's rule (normal approximation when
n·p·(1−p) ≥ 10, exact below).

Usage: python3 tools/forecast_numpy_peer.py [--scenario scenarios/base.toml]
       [--runs 10000] [--years 2] [--seed 1] [--sampler exact|hybrid]
"""

import argparse
import datetime as dt
import time
import tomllib

import numpy as np

DAYS_PER_YEAR = 365.25


def whole_per_day(rates):
    exact = np.cumsum(rates)
    given = np.floor(exact).astype(np.int64)
    return np.diff(np.concatenate([[0], given]))


def half_year_index(d):
    return d.year * 2 + (1 if d.month >= 7 else 0)


def half_year_days(d):
    if d.month < 7:
        return (dt.date(d.year, 7, 1) - dt.date(d.year, 1, 1)).days
    return (dt.date(d.year + 1, 1, 1) - dt.date(d.year, 7, 1)).days


class Peer:
    def __init__(self, sc, start, days, runs, rng, sampler):
        self.rng, self.runs, self.days, self.sampler = rng, runs, days, sampler
        inflow = sc["inflow"]
        season = np.array(inflow["seasonality"], dtype=float)
        season /= season.mean()
        dates = [start + dt.timedelta(days=d) for d in range(1, days + 1)]
        self.season = np.array([season[d.month - 1] for d in dates])
        self.reg_mult = np.array([r["multiplier"] for r in inflow["regimes"]])
        self.reg_leave = np.array([1.0 / r["mean_days"] for r in inflow["regimes"]])
        self.reg_weight = np.array([r.get("weight", 1.0) for r in inflow["regimes"]])
        sigma = inflow.get("level_uncertainty", 0.0)
        self.level = np.exp(sigma * rng.standard_normal(runs) - 0.5 * sigma * sigma) if sigma > 0 else np.ones(runs)
        self.regime = np.zeros(runs, dtype=np.int64)
        self.cap = sc["registration"]["capacity"]
        self.p_reg = 1.0 / sc["registration"]["mean_days"]
        self.streams = []
        for name in ("general", "amv"):
            s = sc[name]
            pr, ho, re = s["procedure"], s["housing"], s["return"]
            kp, km, kr = pr.get("phases", 1), ho.get("phases", 1), re.get("phases", 1)
            dec = None
            if pr.get("decisions_per_year") is not None:
                dec = whole_per_day(np.full(days, pr["decisions_per_year"] / DAYS_PER_YEAR))
            hous = None
            if ho.get("task_per_half_year") is not None:
                task = ho["task_per_half_year"]
                real = ho.get("realisation", 1.0)
                h0 = half_year_index(start)
                hous = whole_per_day(
                    np.array([task[min(half_year_index(d) - h0, len(task) - 1)] * real / half_year_days(d) for d in dates])
                )
            st = s["stocks"]
            z = lambda: np.zeros(runs, dtype=np.int64)  # noqa: E731

            def spread(n, k):
                return [np.full(runs, n // k + (1 if i < n % k else 0), dtype=np.int64) for i in range(k)]

            proc_n = st.get("procedure", 0) + (0 if dec is not None else st.get("awaiting_decision", 0))
            self.streams.append(
                dict(
                    first=s["first_applications_per_year"] / DAYS_PER_YEAR,
                    family=s.get("family_reunification_per_year", 0.0)
                    * s.get("family_reunification_reception_share", 0.0)
                    / DAYS_PER_YEAR,
                    kp=kp, pp=kp / pr["preparation_days"], dec=dec, grant=pr["grant_rate"],
                    km=km, pm=km / ho["matching_days"], hous=hous, kr=kr, pr=kr / re["mean_days"],
                    reg=z() + st.get("registration", 0), over=z() + st.get("overflow", 0),
                    proc=spread(proc_n, kp), wait=z() + (st.get("awaiting_decision", 0) if dec is not None else 0),
                    match=[z() for _ in range(km)] if hous is not None else spread(st.get("permit_holders", 0), km),
                    queue=z() + (st.get("permit_holders", 0) if hous is not None else 0),
                    ret=spread(st.get("return", 0), kr),
                )
            )

    def binom(self, n, p):
        if self.sampler == "exact":
            return self.rng.binomial(n, p)
        var = n * (p * (1 - p))
        out = np.floor(n * p + np.sqrt(var) * self.rng.standard_normal(n.shape) + 0.5)
        out = np.clip(out, 0, n).astype(np.int64)
        small = var < 10.0
        if small.any():
            out[small] = self.rng.binomial(n[small], p)
        return out

    def occupancy(self, s):
        return s["reg"] + s["over"] + sum(s["proc"]) + s["wait"] + sum(s["match"]) + s["queue"] + sum(s["ret"])

    def step(self, d):
        rng = self.rng
        mult = self.season[d - 1] * self.reg_mult[self.regime] * self.level
        arrivals = []
        for s in self.streams:
            reg_out = self.binom(s["reg"], self.p_reg)
            prep_out = [self.binom(x, s["pp"]) for x in s["proc"]]
            dec_cap = None if s["dec"] is None else np.minimum(s["dec"][d - 1], s["wait"])
            match_out = [self.binom(x, s["pm"]) for x in s["match"]]
            h_cap = None if s["hous"] is None else np.minimum(s["hous"][d - 1], s["queue"])
            ret_out = [self.binom(x, s["pr"]) for x in s["ret"]]
            s["reg"] -= reg_out
            ready = self.shift(s["proc"], prep_out, reg_out)
            if dec_cap is None:
                decided = ready
            else:
                s["wait"] += ready - dec_cap
                decided = dec_cap
            granted = self.binom(decided, s["grant"])
            family = rng.poisson(s["family"], self.runs)
            matched = self.shift(s["match"], match_out, granted + family)
            if h_cap is not None:
                s["queue"] += matched - h_cap
            self.shift(s["ret"], ret_out, decided - granted)
            arrivals.append(rng.poisson(s["first"] * mult))
        g, a = self.streams
        room = np.maximum(self.cap - (g["reg"] + a["reg"]), 0)
        for x in (a, g):
            moved = np.minimum(x["over"], room)
            x["over"] -= moved
            x["reg"] += moved
            room -= moved
        for x, n in ((a, arrivals[1]), (g, arrivals[0])):
            adm = np.minimum(n, room)
            x["reg"] += adm
            x["over"] += n - adm
            room -= adm
        if len(self.reg_mult) > 1:
            leave = rng.random(self.runs) < self.reg_leave[self.regime]
            if leave.any():
                w = np.tile(self.reg_weight, (leave.sum(), 1))
                w[np.arange(leave.sum()), self.regime[leave]] = 0.0
                c = np.cumsum(w, axis=1)
                u = rng.random(leave.sum()) * c[:, -1]
                self.regime[leave] = (c < u[:, None]).sum(axis=1)

    @staticmethod
    def shift(stock, out, entering):
        for i in range(len(stock)):
            stock[i] -= out[i]
        for i in range(1, len(stock)):
            stock[i] += out[i - 1]
        stock[0] += entering
        return out[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", default="scenarios/base.toml")
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--years", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sampler", choices=["exact", "hybrid"], default="exact")
    a = ap.parse_args()
    with open(a.scenario, "rb") as f:
        sc = tomllib.load(f)
    start = dt.date.fromisoformat(sc["scenario"]["start"])
    targets = [dt.date(start.year + k, 1, 1) for k in range(1, a.years + 1)]
    days = (targets[-1] - start).days
    t0 = time.perf_counter()
    peer = Peer(sc, start, days, a.runs, np.random.default_rng(a.seed), a.sampler)
    total = np.empty((days + 1, a.runs), dtype=np.int64)
    amv = np.empty((days + 1, a.runs), dtype=np.int64)
    total[0] = peer.occupancy(peer.streams[0]) + peer.occupancy(peer.streams[1])
    amv[0] = peer.occupancy(peer.streams[1])
    for d in range(1, days + 1):
        peer.step(d)
        amv[d] = peer.occupancy(peer.streams[1])
        total[d] = peer.occupancy(peer.streams[0]) + amv[d]
    bands = np.percentile(total, [10, 50, 90], axis=1, method="inverted_cdf")
    amv_bands = np.percentile(amv, [10, 50, 90], axis=1, method="inverted_cdf")
    elapsed = time.perf_counter() - t0
    target = sc["scenario"]["occupancy_target"]
    print(f"numpy peer ({a.sampler}): {a.runs} paths x {days} days in {elapsed:.3f} s")
    for t in targets:
        d = (t - start).days
        req = [int(np.ceil(x / target - 1e-7)) for x in bands[:, d]]
        amv_req = [int(np.ceil(x / target - 1e-7)) for x in amv_bands[:, d]]
        print(f"  {t}: required places p10/p50/p90 {req}  amv {amv_req}")


if __name__ == "__main__":
    main()
