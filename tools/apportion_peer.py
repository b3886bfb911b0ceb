#!/usr/bin/env python3
"""BENCHMARK PEER (not product code): apportion an `id,weight` CSV with the PyPI
`apportionment` package, printing `id,seats` like `spreiding apportion`.

Usage: apportion_peer.py METHOD TOTAL FILE [--exact]
  --exact uses the package's exact Fraction arithmetic (slow); default is its float mode.
"""
import csv
import sys

import apportionment.methods as m

NAMES = {"hamilton": "hamilton", "webster": "webster", "dhondt": "dhondt", "huntington-hill": "huntington", "adams": "adams"}


def main():
    method, total, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    exact = "--exact" in sys.argv[4:]
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    ids = [r["id"] for r in rows]
    weights = [float(r["weight"]) if "." in r["weight"] else int(r["weight"]) for r in rows]
    seats = m.compute(NAMES[method], weights, total, fractions=exact, parties=ids, verbose=False)
    out = sys.stdout
    out.write("id,seats\n")
    out.writelines(f"{i},{int(s)}\n" for i, s in zip(ids, seats))


if __name__ == "__main__":
    main()
