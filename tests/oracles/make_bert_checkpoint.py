#!/usr/bin/python3
"""A tiny BERT-like safetensors checkpoint (2 layers, hidden 8, ffn 16) and numpy's ε for every
linear weight, for `heat decompose --weights ckpt.safetensors` without a tensor name.

Writes tests/workloads/data/bert_tiny.safetensors (F32; tensors deliberately stored out of
layer/role order, with biases, embeddings and a LayerNorm that must be skipped) and
tests/workloads/data/bert_tiny_expected.csv: tensor, format, shape, ranks, rel_error, with
ε = ||W - W'||_F / ||W||_F of W' rebuilt by numpy (truncated SVD; TT-SVD over the TTM cores).
Run: /usr/bin/python3 tests/oracles/make_bert_checkpoint.py (from the repository root)."""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from factorize_oracle import svd_eps, ttm_eps  # noqa: E402
from make_weight_fixtures import DATA, safetensors  # noqa: E402

HIDDEN, FFN, LAYERS = 8, 16, 2
ROLES = [("q", "attention.self.query", HIDDEN, HIDDEN), ("k", "attention.self.key", HIDDEN, HIDDEN),
         ("v", "attention.self.value", HIDDEN, HIDDEN), ("o", "attention.output.dense", HIDDEN, HIDDEN),
         ("ffn1", "intermediate.dense", FFN, HIDDEN), ("ffn2", "output.dense", HIDDEN, FFN)]
# (format, shape, ranks) evaluated by the tests; the weights they select are those of its size
CASES = [("ttm", "2x4:2x4", [3], HIDDEN, HIDDEN), ("svd", "16:8", [3], FFN, HIDDEN)]


def main():
    rng = np.random.default_rng(21)
    weights, tensors = {}, []
    for layer in reversed(range(LAYERS)):  # stored layer 1 first, roles reversed: heat sorts
        for role, path, rows, cols in reversed(ROLES):
            name = f"bert.encoder.layer.{layer}.{path}.weight"
            w = rng.standard_normal((rows, cols)).astype("<f4")
            weights[name] = w.astype(np.float64)
            tensors.append((name, "F32", [rows, cols], w.tobytes()))
            tensors.append((f"bert.encoder.layer.{layer}.{path}.bias", "F32", [rows],
                            np.zeros(rows, "<f4").tobytes()))
    tensors.append(("bert.embeddings.word_embeddings.weight", "F32", [30, HIDDEN],
                    rng.standard_normal((30, HIDDEN)).astype("<f4").tobytes()))
    tensors.append(("bert.embeddings.LayerNorm.weight", "F32", [HIDDEN], np.ones(HIDDEN, "<f4").tobytes()))
    safetensors("bert_tiny.safetensors", tensors, metadata={"format": "pt"})
    with open(os.path.join(DATA, "bert_tiny_expected.csv"), "w") as f:
        f.write("tensor,format,shape,ranks,rel_error\n")
        for fmt, shape, ranks, rows, cols in CASES:
            for layer in range(LAYERS):
                for role, path, r, c in ROLES:
                    if (r, c) != (rows, cols):
                        continue
                    name = f"bert.encoder.layer.{layer}.{path}.weight"
                    w = weights[name]
                    if fmt == "svd":
                        eps = svd_eps(w, ranks[0])
                    else:
                        out, inp = shape.split(":")
                        eps = ttm_eps(w, [int(x) for x in out.split("x")], [int(x) for x in inp.split("x")], ranks)
                    f.write(f"{name},{fmt},{shape},{'/'.join(map(str, ranks))},{eps:.9g}\n")


if __name__ == "__main__":
    main()
