#!/usr/bin/env python3
"""Issue 8's before/after table: BERT-base whole-model EDP on simba-l and tpu-32, dense and with
every linear in Tucker, CP or TTM, with the share of latency in linears, attention matmuls and
SIMD operations.

usage: scripts/edp_table.py HEAT_BEFORE HEAT_AFTER [--markdown]

Each binary prices the dense model once (`heat map --model bert-base`: its per-component table
gives every operation's cycles and energy over the 12 layers) and each factorized linear alone
(`heat map --layer OP --format F --shape S --ranks R`, all 12 layers). A factorized model is the
dense model with its six linears (q, k, v, o, ffn1, ffn2) replaced by their factorized pricing:
T = T_dense - sum T_dense(linear) + sum T_F(linear), the same for energy; EDP = E x T. The same
composition for both binaries keeps them comparable (the binary before issue 8 has no --plan).
Shapes and ranks are the demo's (scripts/demo.sh) for FFN1 and the transposes for FFN2; the
768 x 768 linears use 32x24:32x24 (cp rank 160, tucker 16,16,16,16) and 8x8x12:8x8x12 (ttm 16,16).
"""
import re
import subprocess
import sys

ARCHS = ["simba-l", "tpu-32"]
LINEARS = ["q", "k", "v", "o", "ffn1", "ffn2"]
ATTENTION = ["attn_score", "attn_context"]
SHAPES = {  # format -> op -> (shape, ranks)
    "tucker": {"sq": ("32x24:32x24", "16,16,16,16"), "ffn1": ("64x48:32x24", "24,24,24,24"),
               "ffn2": ("32x24:64x48", "24,24,24,24")},
    "cp": {"sq": ("32x24:32x24", "160"), "ffn1": ("64x48:32x24", "280"),
           "ffn2": ("32x24:64x48", "280")},
    "ttm": {"sq": ("8x8x12:8x8x12", "16,16"), "ffn1": ("12x16x16:8x8x12", "16,16"),
            "ffn2": ("8x8x12:12x16x16", "16,16")},
}
TOTAL = re.compile(r"^total: (\d+) cycles \(([0-9.e+-]+) s\).* ([0-9.e+-]+) J, EDP", re.M)


def heat(binary, *args):
    out = subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout
    return out


def dense(binary, arch):
    out = heat(binary, "map", "--arch", arch, "--model", "bert-base")
    ops = {}
    table = out.split("per component (all layers)")[1].split("\n\n")[0]
    for line in table.splitlines()[1:]:
        f = line.split()
        if len(f) == 5:
            ops[f[0].split(".", 1)[1]] = (float(f[1]), float(f[3]))
    m = TOTAL.search(out)
    cycles, seconds, joules = float(m.group(1)), float(m.group(2)), float(m.group(3))
    return ops, cycles, seconds / cycles, joules


def layer(binary, arch, fmt, op):
    shape, ranks = SHAPES[fmt][op if op.startswith("ffn") else "sq"]
    out = heat(binary, "map", "--arch", arch, "--model", "bert-base", "--layer", op, "--format",
               fmt, "--shape", shape, "--ranks", ranks)
    m = TOTAL.search(out)
    return float(m.group(1)), float(m.group(3))


def rows(binary):
    result = []
    for arch in ARCHS:
        ops, cycles, s_per_cycle, joules = dense(binary, arch)
        simd = sum(c for name, (c, _) in ops.items()
                   if name not in LINEARS and name not in ATTENTION and name != "pooler"
                   and not name.endswith("_embed"))
        for fmt in ["dense", "tucker", "cp", "ttm"]:
            lin_c = {op: ops[op][0] for op in LINEARS}
            lin_e = {op: ops[op][1] for op in LINEARS}
            if fmt != "dense":
                for op in LINEARS:
                    lin_c[op], lin_e[op] = layer(binary, arch, fmt, op)
            c = cycles - sum(ops[op][0] for op in LINEARS) + sum(lin_c.values())
            e = joules - sum(ops[op][1] for op in LINEARS) + sum(lin_e.values())
            t = c * s_per_cycle
            linears = sum(lin_c.values()) + ops.get("pooler", (0, 0))[0]
            attn = sum(ops[op][0] for op in ATTENTION)
            result.append((arch, fmt, t, e, e * t, linears / c, attn / c, simd / c))
    return result


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    before, after = rows(sys.argv[1]), rows(sys.argv[2])
    print("| arch | format | EDP before J·s | EDP after J·s | after/before | latency s before → after "
          "| energy J before → after | linears % before → after | attention matmuls % | SIMD % |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for b, a in zip(before, after):
        print(f"| {a[0]} | {a[1]} | {b[4]:.4g} | {a[4]:.4g} | {a[4] / b[4]:.3f} | "
              f"{b[2]:.4g} → {a[2]:.4g} | {b[3]:.4g} → {a[3]:.4g} | "
              f"{100 * b[5]:.1f} → {100 * a[5]:.1f} | {100 * b[6]:.1f} → {100 * a[6]:.1f} | "
              f"{100 * b[7]:.1f} → {100 * a[7]:.1f} |")


if __name__ == "__main__":
    main()
