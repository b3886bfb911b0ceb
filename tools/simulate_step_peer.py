#!/usr/bin/env python3
"""Benchmark peer for docs/PERFORMANCE.md (## Simulator): the policy simulator's aggregate
daily step in vectorised numpy -- allocating persons of four groups (other adults,
vulnerable adults, children, unaccompanied minors) to AMV small-scale, regular, noodopvang
and crisis places with the same largest-remainder rule as crates/simulate/src/alloc.rs, and
costing every place -- for P paths x D days of the same synthetic inputs as
crates/simulate/examples/step_peer.rs. Prints the same checksum. A benchmark peer only.

    python3 tools/simulate_step_peer.py 1000 3653
"""
import sys

import numpy as np


def split(total, avail):
    """Largest remainder over the last axis, ties to the lower index; total <= sum(avail)."""
    s = avail.sum(axis=-1)
    safe = np.where(s == 0, 1, s)
    exact = total[..., None] * avail
    out = exact // safe[..., None]
    rem = exact % safe[..., None]
    left = total - out.sum(axis=-1)
    order = np.argsort(-rem, axis=-1, kind="stable")
    rank = np.argsort(order, axis=-1, kind="stable")
    out = out + (rank < left[..., None])
    full = total >= s
    return np.where(full[..., None], avail, out)


def main():
    paths = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 3653
    emergency = children = 0
    cost = 0
    occ = np.array([8300, 9000, 15000, 19000, 15000], dtype=np.int64)
    empty = np.array([4700, 4700, 4700, 9500, 7700], dtype=np.int64)
    d = np.arange(days, dtype=np.int64)[None, :]
    # Blocks of paths keep memory small.
    for p0 in range(0, paths, 100):
        p = np.arange(p0, min(paths, p0 + 100), dtype=np.int64)[:, None]
        persons = np.stack(
            [
                40_000 + (p * 7 + d * 13) % 5_000,
                5_000 + (p * 3 + d) % 900 + 0 * d,
                12_000 + (p * 11 + d * 5) % 3_000,
                6_000 + (p + d * 3) % 1_500,
            ],
            axis=-1,
        )
        durable = 45_000 + (p * 17 + d) % 4_000
        temporary = np.full_like(durable, 5_000)
        amv_small = 2_000 + (p + d) % 300
        nood = 10_000 + (p * 13 + d * 7) % 6_000
        crisis = (p * 5 + d * 11) % 4_000
        left = persons.copy()
        a_small = np.minimum(left[..., 3], amv_small)
        left[..., 3] -= a_small
        regular_room = durable + temporary
        reg = split(np.minimum(regular_room, left.sum(-1)), left)
        left -= reg
        n = split(np.minimum(nood, left.sum(-1)), left)
        left -= n
        k = split(np.minimum(crisis, left.sum(-1)), left)
        placed = reg.sum(-1)
        res_d = np.minimum(placed, durable)
        res_t = placed - res_d
        res = np.stack([res_d, res_t, a_small, n.sum(-1), k.sum(-1)], axis=-1)
        places = np.stack([durable, temporary, amv_small, nood, crisis], axis=-1)
        emergency += int(n.sum() + k.sum())
        children += int(n[..., 2].sum() + k[..., 2].sum())
        cost += int((res * occ).sum() + ((places - res) * empty).sum())
    print(emergency, children, cost)


if __name__ == "__main__":
    main()
