#!/usr/bin/env python3
"""BENCHMARK PEER (not product code): the AMMR reference key (50 % population share +
50 % GDP share) over a region file and a GDP file, apportioned by Hamilton with the PyPI
`apportionment` package, printing `code,task` per unit.

The same job as
  spreiding key -d eu-ammr-2024 --regions REGIONS --indicators GDP --total TOTAL --format csv
(spreiding computes the key in exact rationals; this peer in floats, as a spreadsheet or a
typical script would). With --check SPREIDING_CSV it reports how many units differ.

Usage: eu_pool_peer.py REGIONS.csv GDP.csv TOTAL [--check spreiding.csv]
"""
import csv
import sys

import apportionment.methods as m


def main():
    regions, gdp_path, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(regions, newline="") as f:
        rows = list(csv.DictReader(f))
    with open(gdp_path, newline="") as f:
        gdp = {r["code"].upper(): float(r["bbp"]) for r in csv.DictReader(f)}
    codes = [r["code"] for r in rows]
    pop = [int(r["population"]) for r in rows]
    g = [gdp[c.upper()] for c in codes]
    sp, sg = sum(pop), sum(g)
    weights = [0.5 * p / sp + 0.5 * x / sg for p, x in zip(pop, g)]
    seats = m.compute("hamilton", weights, total, parties=codes, verbose=False)
    out = sys.stdout
    out.write("code,task\n")
    out.writelines(f"{c},{int(s)}\n" for c, s in zip(codes, seats))
    if "--check" in sys.argv:
        path = sys.argv[sys.argv.index("--check") + 1]
        with open(path, newline="") as f:
            ours = {r["code"]: int(r["task"]) for r in csv.DictReader(f)}
        diff = sum(1 for c, s in zip(codes, seats) if ours[c] != int(s))
        print(f"peer: {diff} of {len(codes)} units differ from spreiding", file=sys.stderr)


if __name__ == "__main__":
    main()
