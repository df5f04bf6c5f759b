#!/usr/bin/python3
"""Small safetensors and .npy fixtures for heat's weight readers, good and deliberately broken.

safetensors is written by hand (8-byte little-endian header length, JSON header, raw data), so no
safetensors package is needed. Values are exactly representable in every dtype used, so tests
compare them exactly: element [i, j] of a tensor is (i * cols + j) / 4 - 1, negated for F16.
Run: /usr/bin/python3 tests/oracles/make_weight_fixtures.py (from the repository root)."""
import json
import os
import struct

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "workloads", "data")


def values(rows, cols):
    return (np.arange(rows * cols, dtype=np.float64).reshape(rows, cols) / 4.0) - 1.0


def bf16_bytes(a):
    # bf16 is the upper half of the f32 bit pattern (exact for these values)
    return (a.astype("<f4").view("<u4") >> 16).astype("<u2").tobytes()


def safetensors(path, tensors, metadata=None, header_override=None, pad=0, cut=None, blob=None,
                blob_extra=b""):
    header, blob_override, blob = {}, blob, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(raw)]}
        blob += raw
    text = header_override if header_override is not None else json.dumps(header).encode()
    text += b" " * pad
    if blob_override is not None:
        blob = blob_override
    data = struct.pack("<Q", len(text)) + text + blob + blob_extra
    if cut is not None:
        data = data[:cut]
    with open(os.path.join(DATA, path), "wb") as f:
        f.write(data)


def main():
    os.makedirs(DATA, exist_ok=True)
    q = values(6, 4)
    ffn1 = -values(8, 4)
    good = [
        ("bert.encoder.layer.0.attention.self.query.weight", "F32", [6, 4], q.astype("<f4").tobytes()),
        ("bert.encoder.layer.0.intermediate.dense.weight", "F16", [8, 4], ffn1.astype("<f2").tobytes()),
        ("bert.encoder.layer.1.output.dense.weight", "BF16", [4, 6], bf16_bytes(values(4, 6))),
        ("bert.encoder.layer.0.attention.self.query.bias", "F32", [6], np.zeros(6, "<f4").tobytes()),
        ("counts", "I32", [2, 2], np.arange(4, dtype="<i4").tobytes()),
    ]
    safetensors("small.safetensors", good, metadata={"format": "pt", "note": "caf\u00e9 \"q\""}, pad=5)
    # broken files
    safetensors("short.safetensors", good, cut=5)
    safetensors("truncated_header.safetensors", good, cut=40)
    safetensors("bad_json.safetensors", [], header_override=b'{"a": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]},}')
    safetensors("bad_offsets.safetensors", [("w", "F32", [2, 2], np.ones(4, "<f4").tobytes())],
                header_override=b'{"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 64]}}')
    nan = values(3, 3)
    nan[1, 2] = np.nan
    safetensors("nan.safetensors", [("w", "F32", [3, 3], nan.astype("<f4").tobytes())])
    # shapes whose byte counts overflow 64 bits: 4611686018427387928 * 36 * 4 wraps to 3456
    safetensors("overflow.safetensors", [], header_override=
                b'{"w": {"dtype": "F32", "shape": [4611686018427387928, 36], "data_offsets": [0, 3456]}}',
                blob=bytes(3456))
    safetensors("huge.safetensors", [], header_override=
                b'{"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}}')
    safetensors("duplicate.safetensors", [], header_override=
                b'{"w": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]}, '
                b'"w": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]}}', blob=bytes(4))
    safetensors("trailing.safetensors", [("w", "F32", [2, 2], np.ones(4, "<f4").tobytes())],
                blob_extra=bytes(8))
    # a checkpoint whose layer-1 query weight is all zeros (named in the error, before any row)
    safetensors("zero_layer.safetensors", [
        ("bert.encoder.layer.0.attention.self.query.weight", "F32", [4, 4], values(4, 4).astype("<f4").tobytes()),
        ("bert.encoder.layer.1.attention.self.query.weight", "F32", [4, 4], np.zeros(16, "<f4").tobytes()),
    ])
    # CSV-hostile names, and near-miss BERT names that must not map to a layer
    safetensors("odd_names.safetensors", [
        ('q"x,y', "F32", [4, 4], values(4, 4).astype("<f4").tobytes()),
        ("line\nbreak", "F32", [2, 2], values(2, 2).astype("<f4").tobytes()),
        ("bert.encoder.layer.+1.attention.self.query.weight", "F32", [2, 2], values(2, 2).astype("<f4").tobytes()),
        ("bert.encoder.layer.007.attention.self.query.weight", "F32", [2, 2], values(2, 2).astype("<f4").tobytes()),
    ])
    # the NaN is in the second selected tensor: reported before any row of the first
    nan_q = values(4, 4)
    nan_q[2, 3] = np.nan
    safetensors("nan_layer.safetensors", [
        ("bert.encoder.layer.0.attention.self.query.weight", "F32", [4, 4], values(4, 4).astype("<f4").tobytes()),
        ("bert.encoder.layer.1.attention.self.query.weight", "F32", [4, 4], nan_q.astype("<f4").tobytes()),
    ])
    # a directory named like a weight file (git keeps it by the file inside)
    os.makedirs(os.path.join(DATA, "dir.safetensors"), exist_ok=True)
    with open(os.path.join(DATA, "dir.safetensors", "README"), "w") as f:
        f.write("A directory named like a weight file: heat must say it is a directory.\n")
    # an escaped NUL would cut the name to a BERT name
    safetensors("nul_name.safetensors", [], header_override=
                b'{"bert.encoder.layer.0.attention.self.query.weight\\u0000junk": '
                b'{"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]}}', blob=np.ones(1, "<f4").tobytes())
    # .npy files
    np.save(os.path.join(DATA, "f16.npy"), -values(4, 6).astype("<f2"))
    np.save(os.path.join(DATA, "fortran.npy"), np.asfortranarray(values(3, 5)))
    inf = values(2, 3)
    inf[0, 1] = -np.inf
    np.save(os.path.join(DATA, "inf.npy"), inf.astype("<f4"))
    np.save(os.path.join(DATA, "int.npy"), np.arange(6, dtype="<i4").reshape(2, 3))
    np.save(os.path.join(DATA, "cube.npy"), np.zeros((2, 2, 2), "<f4"))
    np.save(os.path.join(DATA, "zeros.npy"), np.zeros((4, 4), "<f8"))
    # a header claiming (100000, 100000) over 864 data bytes; a good file with bytes appended
    head = np.lib.format.header_data_from_array_1_0(np.zeros((2, 2), "<f8"))
    head["shape"] = (100000, 100000)
    with open(os.path.join(DATA, "huge_shape.npy"), "wb") as f:
        np.lib.format.write_array_header_1_0(f, head)
        f.write(bytes(864))
    with open(os.path.join(DATA, "trailing.npy"), "wb") as f:
        f.write(open(os.path.join(DATA, "fortran.npy"), "rb").read() + bytes(8))
    with open(os.path.join(DATA, "truncated.npy"), "wb") as f:
        f.write(open(os.path.join(DATA, "fortran.npy"), "rb").read()[:-8])


if __name__ == "__main__":
    main()
