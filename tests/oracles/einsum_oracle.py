#!/usr/bin/env python3
"""Checks (or regenerates with --write) tests/oracles/einsum_oracle.csv, the einsum oracle copied
from shared/reference: for each network, the least total MACs over every contraction tree, found
by exhaustive enumeration of all pairwise contraction sequences, and the left-to-right cost.

MACs of one pairwise step = product of the sizes of all distinct indices of its two operands; an
index is dropped from an intermediate once no remaining operand and not the output need it.
Independent of heat's C code (plain Python, no numpy needed). Usage:
    python3 tests/oracles/einsum_oracle.py [--write]
"""
import csv
import io
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CSV = os.path.join(HERE, "einsum_oracle.csv")


def parse(expr, shapes):
    lhs, out = expr.split("->")
    ops = lhs.split(",")
    dims = [[int(d) for d in s.split("x")] if s else [] for s in shapes.split(";")]
    size = {}
    for op, ds in zip(ops, dims):
        assert len(op) == len(ds), (expr, shapes)
        for c, d in zip(op, ds):
            assert size.setdefault(c, d) == d, (expr, c)
    return [frozenset(op) for op in ops], frozenset(out), size


def step(a, b, others, out, size):
    keep = (a | b) & (out | others)
    return math.prod(size[c] for c in a | b), keep


def best_cost(ops, out, size):
    """Minimum over all contraction sequences (memoised on the multiset of live operands)."""
    memo = {}

    def rec(live):
        if len(live) == 1:
            return 0
        key = tuple(sorted(tuple(sorted(x)) for x in live))
        if key in memo:
            return memo[key]
        best = None
        for i in range(len(live)):
            for j in range(i + 1, len(live)):
                rest = live[:i] + live[i + 1:j] + live[j + 1:]
                others = frozenset().union(*rest) if rest else frozenset()
                macs, keep = step(live[i], live[j], others, out, size)
                c = macs + rec(rest + [keep])
                best = c if best is None or c < best else best
        memo[key] = best
        return best

    return rec(list(ops))


def left_to_right(ops, out, size):
    total, acc = 0, ops[0]
    for k in range(1, len(ops)):
        rest = ops[k + 1:]
        others = frozenset().union(*rest) if rest else frozenset()
        macs, acc = step(acc, ops[k], others, out, size)
        total += macs
    return total


def main():
    with open(CSV, newline="") as f:
        rows = list(csv.DictReader(f))
    bad = 0
    for r in rows:
        ops, out, size = parse(r["expr"], r["shapes"])
        opt, l2r = best_cost(ops, out, size), left_to_right(ops, out, size)
        if "--write" in sys.argv:
            r["optimal_macs"], r["left_to_right_macs"] = opt, l2r
        elif (opt, l2r) != (int(r["optimal_macs"]), int(r["left_to_right_macs"])):
            bad += 1
            print(f"{r['expr']} {r['shapes']}: computed {opt} {l2r}, csv {r['optimal_macs']} "
                  f"{r['left_to_right_macs']}")
    if "--write" in sys.argv:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=["expr", "shapes", "optimal_macs", "left_to_right_macs"],
                           quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        open(CSV, "w").write(buf.getvalue())
    print(f"{len(rows)} rows, {bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
