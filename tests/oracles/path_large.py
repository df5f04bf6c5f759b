#!/usr/bin/env python3
"""Makes tests/oracles/path_large.csv: contraction-path goldens for 17-24 operands from
opt_einsum, which heat's path search must match or beat (tests/tn/test_path_large.c) and which
bench/path prints beside heat's figures.

Networks: the families of bench/path/bench_path.c, generated with the same splitmix64 stream
(common/heat_rng.h) and seeds (1000 * family + n), so the n <= 18 ones are the bench's own:
  tt      TT-matrix layer x[t, m1..md] . G_k[r_{k-1}, m_k, n_k, r_k] -> out[t, n1..nd]
          (3 letters per core: 18 operands at most with 52 letters)
  tt-vec  TT-vector layer x[t, m1..md] . G_k[r_{k-1}, m_k, r_k] -> out[t] (up to 24 operands)
  tucker  x[t, m..] . A_i[m_i, r_i] . core[r.., s..] . B_j[s_j, n_j] -> out[t, n..]
  cp      x[t, m..] . lambda[a] . B_j[n_j, a] . A_i[m_i, a] -> out[t, n..] (HEAT's CP layer)
  random  each pair shares an index with probability 1/3 (a ring keeps it connected)

For each network: opt_einsum's `dp` (default: minimize flops, cost cap, no outer products),
run in a child process and given up after --dp-timeout seconds (empty columns then), and
`random-greedy-128` (RandomGreedy(max_repeats=128): trial r is seeded with r, so the result is
fixed). Their paths are priced here in heat's convention (MACs of a step = product of the sizes
of the distinct indices of its two operands; an index is dropped once nothing else needs it),
independently of heat's C code: opt_einsum's dp minimises exactly that product; its FLOP count
doubles it where an index is summed. Times are the median of --repeats runs on this machine.

Usage (opt_einsum is not part of heat: fetch it and put its checkout on PYTHONPATH):
    PYTHONPATH=/path/to/opt_einsum python3 tests/oracles/path_large.py [--write] [--dp-timeout S]
Without --write it prints the rows and compares them with the CSV (costs only; times vary).
"""
import csv
import io
import math
import multiprocessing
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CSV = os.path.join(HERE, "path_large.csv")
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
M64 = (1 << 64) - 1


class Rng:
    """common/heat_rng.h: splitmix64; int(lo, hi) = lo + next % (hi - lo + 1)."""

    def __init__(self, seed):
        self.s = seed & M64

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def int(self, lo, hi):
        return lo + self.next() % (hi - lo + 1)


class Builder:
    def __init__(self):
        self.ops, self.out, self.size = [], [], {}

    def add(self, idx):
        self.ops.append("".join(LETTERS[i] for i in idx))

    def output(self, idx):
        self.out = "".join(LETTERS[i] for i in idx)

    def expr(self):
        return ",".join(self.ops) + "->" + self.out

    def shapes(self):
        return ";".join("x".join(str(self.size[LETTERS.index(c)]) for c in op) for op in self.ops)


def tensor_train(b, n, r):
    d = n - 1
    b.size[0] = 384
    x, out = [0], [0]
    for k in range(d):
        m = 1 + 3 * k
        b.size[m] = r.int(2, 8)
        b.size[m + 1] = r.int(2, 8)
        b.size[m + 2] = r.int(4, 16)
        x.append(m)
        out.append(m + 1)
    b.add(x)
    for k in range(d):
        m = 1 + 3 * k
        core = ([m - 1] if k > 0 else []) + [m, m + 1] + ([m + 2] if k < d - 1 else [])
        b.add(core)
    b.output(out)


def tensor_train_vector(b, n, r):
    d = n - 1
    b.size[0] = 384
    x = [0]
    for k in range(d):
        m = 1 + 2 * k
        b.size[m] = r.int(2, 3)
        b.size[m + 1] = r.int(2, 8)
        x.append(m)
    b.add(x)
    for k in range(d):
        m = 1 + 2 * k
        b.add(([m - 1] if k > 0 else []) + [m] + ([m + 1] if k < d - 1 else []))
    b.output([0])


def tucker(b, n, r):
    p = (n - 2) // 2
    q = (n - 2) - p
    b.size[0] = 384
    x, out, core, nxt = [0], [0], [], 1
    ms, rs, ss, ns = [], [], [], []
    for _ in range(p):
        ms.append(nxt)
        rs.append(nxt + 1)
        b.size[nxt] = r.int(4, 12)
        b.size[nxt + 1] = r.int(2, 6)
        x.append(nxt)
        core.append(nxt + 1)
        nxt += 2
    for _ in range(q):
        ss.append(nxt)
        ns.append(nxt + 1)
        b.size[nxt] = r.int(2, 6)
        b.size[nxt + 1] = r.int(4, 12)
        core.append(nxt)
        out.append(nxt + 1)
        nxt += 2
    b.add(x)
    for i in range(p):
        b.add([ms[i], rs[i]])
    b.add(core)
    for j in range(q):
        b.add([ss[j], ns[j]])
    b.output(out)


def cp(b, n, r):
    p = (n - 2) // 2
    q = (n - 2) - p
    b.size[0] = 384
    b.size[1] = r.int(64, 320)
    x, out, nxt = [0], [0], 2
    ms, nn = [], []
    for _ in range(p):
        ms.append(nxt)
        b.size[nxt] = r.int(4, 16)
        x.append(nxt)
        nxt += 1
    for _ in range(q):
        nn.append(nxt)
        b.size[nxt] = r.int(4, 16)
        out.append(nxt)
        nxt += 1
    b.add(x)
    b.add([1])
    for j in range(q):
        b.add([nn[j], 1])
    for i in range(p):
        b.add([ms[i], 1])
    b.output(out)


def random_graph(b, n, r):
    idx = [[] for _ in range(n)]
    out, nxt = [], 0
    for i in range(n):
        for j in range(i + 1, n):
            ring = j == i + 1 or (i == 0 and j == n - 1)
            if nxt < 44 and (ring or r.int(0, 2) == 0):
                b.size[nxt] = r.int(2, 8)
                idx[i].append(nxt)
                idx[j].append(nxt)
                nxt += 1
    for i in range(0, n, 3):
        if nxt >= 52:
            break
        b.size[nxt] = r.int(2, 8)
        idx[i].append(nxt)
        out.append(nxt)
        nxt += 1
    for i in range(n):
        b.add(idx[i])
    b.output(out)


# family, generator, seed family number (bench_path.c: 1000 * (f + 1) + n), operand counts
FAMILIES = [
    ("tt", tensor_train, 1, range(17, 19)),
    ("tt-vec", tensor_train_vector, 5, range(17, 25)),
    ("tucker", tucker, 2, range(17, 25)),
    ("cp", cp, 3, range(17, 25)),
    ("random", random_graph, 4, range(17, 25)),
]


def networks():
    for name, fn, f, ns in FAMILIES:
        for n in ns:
            b = Builder()
            fn(b, n, Rng(1000 * f + n))
            yield f"{name}-{n}", b.expr(), b.shapes()


def parse(expr, shapes):
    lhs, out = expr.split("->")
    ops = lhs.split(",")
    dims = [[int(d) for d in s.split("x")] if s else [] for s in shapes.split(";")]
    size = {}
    for op, ds in zip(ops, dims):
        for c, d in zip(op, ds):
            assert size.setdefault(c, d) == d
    return ops, out, size


def macs_of_path(ops, out, size, linear_path):
    """heat's MACs of an opt_einsum (linear, recycled-id) path."""
    live = [frozenset(o) for o in ops]
    outs = frozenset(out)
    total = 0
    for step in linear_path:
        picked = [live[i] for i in step]
        rest = [x for k, x in enumerate(live) if k not in step]
        union = frozenset().union(*picked)
        needed = outs.union(*rest) if rest else outs
        if len(picked) == 2:
            total += math.prod(size[c] for c in union)
        live = rest + [union & needed]
    return total


def run_dp(ops, out, size, repeats, q):
    import opt_einsum as oe
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        p = oe.paths.DynamicProgramming()(ops, out, size)
        times.append(time.perf_counter() - t0)
    q.put((p, statistics.median(times)))


def timed_dp(ops, out, size, repeats, timeout):
    q = multiprocessing.Queue()
    proc = multiprocessing.Process(target=run_dp, args=(ops, out, size, repeats, q))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None, None
    return q.get()


def main():
    import opt_einsum as oe
    args = sys.argv[1:]
    timeout = float(args[args.index("--dp-timeout") + 1]) if "--dp-timeout" in args else 120.0
    repeats = int(args[args.index("--repeats") + 1]) if "--repeats" in args else 3
    rows = []
    for name, expr, shapes in networks():
        ops, out, size = parse(expr, shapes)
        dp_path, dp_s = timed_dp(ops, out, size, repeats, timeout)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            rg_path = oe.RandomGreedy(max_repeats=128)(ops, out, size)
            times.append(time.perf_counter() - t0)
        row = {
            "name": name,
            "expr": expr,
            "shapes": shapes,
            "dp_macs": macs_of_path(ops, out, size, dp_path) if dp_path else "",
            "dp_ms": f"{1e3 * dp_s:.1f}" if dp_path else "",
            "rg128_macs": macs_of_path(ops, out, size, rg_path),
            "rg128_ms": f"{1e3 * statistics.median(times):.1f}",
        }
        print(name, row["dp_macs"], row["dp_ms"], row["rg128_macs"], row["rg128_ms"], flush=True)
        rows.append(row)
    if "--write" in args:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        with open(CSV, "w") as f:
            f.write(buf.getvalue())
        return 0
    bad = 0
    with open(CSV, newline="") as f:
        old = {r["name"]: r for r in csv.DictReader(f)}
    for r in rows:
        o = old.get(r["name"])
        if not o or (str(r["dp_macs"]), str(r["rg128_macs"])) != (o["dp_macs"], o["rg128_macs"]):
            bad += 1
            print(f"{r['name']}: computed {r['dp_macs']} {r['rg128_macs']}, csv "
                  f"{o and o['dp_macs']} {o and o['rg128_macs']}")
    print(f"{len(rows)} rows, {bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
