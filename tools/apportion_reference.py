#!/usr/bin/env python3
"""Independent reference for spreiding's apportionment: the PyPI `apportionment` package
(Brill & others, https://pypi.org/project/apportionment/). Used by tests and benchmarks
only — our product code is Rust.

Usage: apportion_reference.py [--floats] < cases.json
Reads JSON from stdin: [{"weights": [int, ...], "total": int}, ...]
Writes JSON to stdout: [{"hamilton": [...] | null, "webster": ..., "dhondt": ...,
"huntington-hill": ..., "adams": ...}, ...]; null where the package reports a tie
(tiesallowed=False raises) — exact ties are decided by spreiding's declared tie-break,
which the package does not implement.
"""
import json
import sys

import apportionment.methods as m

METHODS = {
    "hamilton": "hamilton",
    "webster": "webster",
    "dhondt": "dhondt",
    "huntington-hill": "huntington",
    "adams": "adams",
}


def run(weights, total, fractions):
    out = {}
    for ours, theirs in METHODS.items():
        try:
            out[ours] = [int(x) for x in m.compute(theirs, weights, total, fractions=fractions, tiesallowed=False, verbose=False)]
        except Exception:  # the package raises on ties and on impossible inputs
            out[ours] = None
    return out


def main():
    # --floats: the package's float mode (fast; exact enough for random weights, where
    # near-ties below float precision are vanishingly rare). Default: exact fractions.
    fractions = "--floats" not in sys.argv[1:]
    cases = json.load(sys.stdin)
    json.dump([run(c["weights"], c["total"], fractions) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
