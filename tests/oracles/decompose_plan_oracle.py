#!/usr/bin/python3
"""numpy's check of `heat decompose --plan --save-factors`: the saved file is a valid safetensors
file (parsed here by hand: the python safetensors package is not in Debian) and the factors
rebuild every weight with the eps heat printed.

Runs heat on tests/workloads/data/bert_tiny_plan.json (every format) over bert_tiny.safetensors,
saving F64 and F32 factors; for each weight, W' = einsum(weight_einsum, *factors).reshape(out, in)
with the weight_einsum of the file's metadata, eps = ||W - W'||_F / ||W||_F (numpy), compared with
heat's CSV (F64: 1e-6 relative, the 7 digits heat prints; F32: 1e-5 absolute, the rounding of the factors). Dense weights
must come back bit for bit. Writes numpy's eps of the F64 factors, in heat's CSV layout, to
tests/oracles/decompose_plan_expected.csv (the golden the CTest `decompose_plan_oracle` compares
heat's output with).
Run from the repository root: /usr/bin/python3 tests/oracles/decompose_plan_oracle.py [build/cli/heat]"""
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "workloads", "data")
PLAN = "tests/workloads/data/bert_tiny_plan.json"
CKPT = "tests/workloads/data/bert_tiny.safetensors"
DTYPES = {"F32": ("<f4", 4), "F64": ("<f8", 8)}


def read_safetensors(path):
    """(metadata, {name: array}) with the format's checks: header length, JSON, dtype, shape,
    offsets tiling the data exactly, data starting 8-byte aligned."""
    blob = open(path, "rb").read()
    (hlen,) = struct.unpack("<Q", blob[:8])
    assert 8 + hlen <= len(blob), "header length past the end"
    header = json.loads(blob[8:8 + hlen].decode("utf-8"))
    data = blob[8 + hlen:]
    meta = header.pop("__metadata__", {})
    tensors, spans = {}, []
    for name, e in header.items():
        assert set(e) == {"dtype", "shape", "data_offsets"}, name
        begin, end = e["data_offsets"]
        if e["dtype"] in ("F32", "F64"):
            dt, size = DTYPES[e["dtype"]]
        else:
            dt, size = {"F16": ("<f2", 2)}[e["dtype"]]
        count = int(np.prod(e["shape"])) if e["shape"] else 1
        assert end - begin == count * size, f"{name}: offsets do not hold its shape"
        tensors[name] = np.frombuffer(data[begin:end], dt).reshape(e["shape"]).astype(np.float64)
        spans.append((begin, end))
    spans.sort()
    at = 0
    for begin, end in spans:
        assert begin == at, "gap or overlap in the data"
        at = end
    assert at == len(data), "trailing bytes"
    return meta, tensors, (8 + hlen) % 8 == 0


def run_heat(heat, dtype, out):
    cmd = [heat, "decompose", "--plan", PLAN, "--weights", CKPT, "--csv", "--save-dtype", dtype,
           "--save-factors", out]
    text = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = [line.split(",") for line in text.strip().split("\n")]
    return text, rows


def check(heat, dtype, tol_rel, tol_abs, weights):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "factors.safetensors")
        text, rows = run_heat(heat, dtype, path)
        meta, factors, aligned = read_safetensors(path)
    assert aligned, "the data do not start 8-byte aligned"
    assert meta["format"] == "pt"
    header = rows[0]
    col = {k: i for i, k in enumerate(header)}
    ours = []
    for row in rows[1:]:
        # the CSV quotes the tensor and ranks fields (which may hold commas): rebuild them
        name = row[col["tensor"]].strip('"')
        w = weights[name]
        info = dict(kv.split("=", 1) for kv in meta[name].split(" ") if "=" in kv)
        if info["format"] == "dense":
            assert np.array_equal(factors[name], w), name
            eps = 0.0
        else:
            parts = [factors[f"{name}.{info['format']}.factor{i}"] for i in range(int(info["factors"]))]
            rebuilt = np.einsum(info["weight_einsum"], *parts).reshape(w.shape)
            eps = np.linalg.norm(w - rebuilt) / np.linalg.norm(w)
        heat_eps = float(row[-1])
        assert abs(eps - heat_eps) <= max(tol_rel * eps, tol_abs), (name, eps, heat_eps)
        ours.append(eps)
    return text, ours


def main():
    heat = sys.argv[1] if len(sys.argv) > 1 else "build/cli/heat"
    _, weights, _ = read_safetensors(CKPT)
    text64, eps64 = check(heat, "F64", 1e-6, 1e-12, weights)  # heat prints 7 digits
    check(heat, "F32", 0.0, 1e-5, weights)
    # heat's CSV with numpy's eps in its last column
    lines = text64.strip().split("\n")
    out = [lines[0]] + [line[:line.rindex(",") + 1] + f"{e:.6e}" for line, e in zip(lines[1:], eps64)]
    with open(os.path.join(HERE, "decompose_plan_expected.csv"), "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"ok: {len(eps64)} weights rebuilt by numpy from heat's F64 and F32 factors")


if __name__ == "__main__":
    main()
