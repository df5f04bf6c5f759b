#!/usr/bin/python3
"""Reference reconstruction errors for heat's factorizations, computed independently with numpy.

Writes tests/workloads/data/w48x64.npy (<f8) and w96x128.npy (<f4): seeded matrices with decaying
singular values plus noise, and tests/workloads/data/factorize_expected.csv with
eps = ||W - W'||_F / ||W||_F of W' rebuilt from the factors (kind exact) or the TT-SVD / HOSVD
bound min(sqrt(sum_k delta_k^2) / ||W||, 1) from the unfoldings of W itself (kind bound; the
TT-SVD and HOSVD W' are orthogonal projections of W, so their error never exceeds ||W||). CP-ALS rows run
a fixed number of sweeps from an SVD start, which heat reproduces with --cp-init svd.

Conventions (workloads/README.md): W is out x in; shape OUT:IN; the tensor is
W.reshape(m1..md, n1..nd); TTM cores pair (m_k, n_k); Tucker/TT modes are (m1..md, n1..nd).
Run: /usr/bin/python3 tests/oracles/factorize_oracle.py (from the repository root)."""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "workloads", "data")


def make_matrix(m, n, seed):
    rng = np.random.default_rng(seed)
    k = min(m, n)
    u, _ = np.linalg.qr(rng.standard_normal((m, k)))
    v, _ = np.linalg.qr(rng.standard_normal((n, k)))
    s = np.arange(1, k + 1, dtype=float) ** -0.8
    return u @ np.diag(s) @ v.T + 0.002 * rng.standard_normal((m, n))


def make_decaying_ttm(m, n, a, seed):
    """W whose TTM unfolding (m1 n1) x (m2 n2) has singular values exp(-a i), i = 0, 1, ...: the
    truncation errors are tiny, below what a Gram-matrix eigensolver resolves."""
    rng = np.random.default_rng(seed)
    rows, cols = m[0] * n[0], m[1] * n[1]
    k = min(rows, cols)
    u, _ = np.linalg.qr(rng.standard_normal((rows, k)))
    v, _ = np.linalg.qr(rng.standard_normal((cols, k)))
    t = (u * np.exp(-a * np.arange(k))) @ v.T  # rows (m1, n1), cols (m2, n2)
    w = t.reshape(m[0], n[0], m[1], n[1]).transpose(0, 2, 1, 3)
    return w.reshape(m[0] * m[1], n[0] * n[1])


def make_low_multilinear(dims, ranks, noise, seed):
    """A core of multilinear rank `ranks` times orthonormal factors, plus `noise` Gaussian: the
    Tucker error at those ranks is about `noise`, where ||W||^2 - ||G||^2 cancels."""
    rng = np.random.default_rng(seed)
    t = rng.standard_normal(ranks)
    for k, (d, r) in enumerate(zip(dims, ranks)):
        q, _ = np.linalg.qr(rng.standard_normal((d, r)))
        t = mode_mult(t, q, k)
    t = t + noise * rng.standard_normal(dims)
    return t.reshape(dims[0] * dims[1], dims[2] * dims[3])


def parse_shape(text):
    out, inp = text.split(":")
    return [int(x) for x in out.split("x")], [int(x) for x in inp.split("x")]


def rel(w, wp):
    return np.linalg.norm(w - wp) / np.linalg.norm(w)


def svd_eps(w, r):
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    return rel(w, (u[:, :r] * s[:r]) @ vt[:r])


def tt_svd(t, ranks):
    """Oseledets 2011, Alg. 1 on tensor t; returns the rebuilt tensor."""
    dims = t.shape
    cores, c, r_prev = [], t.reshape(dims[0], -1), 1
    for k in range(len(dims) - 1):
        c = c.reshape(r_prev * dims[k], -1)
        u, s, vt = np.linalg.svd(c, full_matrices=False)
        r = min(ranks[k], len(s))
        cores.append(u[:, :r].reshape(r_prev, dims[k], r))
        c = s[:r, None] * vt[:r]
        r_prev = r
    cores.append(c.reshape(r_prev, dims[-1], 1))
    full = cores[0]
    for g in cores[1:]:
        full = np.tensordot(full, g, axes=([-1], [0]))
    return full.reshape(dims)


def ttm_tensor(w, m, n):
    d = len(m)
    t = w.reshape(*m, *n)
    perm = [x for k in range(d) for x in (k, d + k)]
    return t.transpose(perm).reshape([m[k] * n[k] for k in range(d)]), perm


def ttm_eps(w, m, n, ranks):
    t, perm = ttm_tensor(w, m, n)
    full = tt_svd(t, ranks).reshape([x for k in range(len(m)) for x in (m[k], n[k])])
    return rel(w, full.transpose(np.argsort(perm)).reshape(w.shape))


def tt_eps(w, m, n, ranks):
    return rel(w, tt_svd(w.reshape(*m, *n), ranks).reshape(w.shape))


def unfold(t, k):
    return np.moveaxis(t, k, 0).reshape(t.shape[k], -1)


def mode_mult(t, mat, k):
    """t x_k mat: mat is (new, old)."""
    return np.moveaxis(np.tensordot(mat, t, axes=([1], [k])), 0, k)


def tucker_eps(w, m, n, ranks, sweeps):
    t = w.reshape(*m, *n)
    D = t.ndim
    us = [np.linalg.svd(unfold(t, k), full_matrices=False)[0][:, : ranks[k]] for k in range(D)]
    for _ in range(sweeps):  # HOOI
        for k in range(D):
            y = t
            for j in range(D):
                if j != k:
                    y = mode_mult(y, us[j].T, j)
            us[k] = np.linalg.svd(unfold(y, k), full_matrices=False)[0][:, : ranks[k]]
    core = t
    for k in range(D):
        core = mode_mult(core, us[k].T, k)
    full = core
    for k in range(D):
        full = mode_mult(full, us[k], k)
    return rel(w, full.reshape(w.shape))


def khatri_rao(factors):
    """Row index over the factors' rows in row-major order (first factor most significant)."""
    kr = factors[0]
    for f in factors[1:]:
        kr = (kr[:, None, :] * f[None, :, :]).reshape(-1, kr.shape[1])
    return kr


def cp_als_eps(w, m, n, rank, sweeps):
    """Textbook CP-ALS (Kolda & Bader 2009, Fig. 3.3) from the leading left singular vectors of
    each mode unfolding, modes updated in order (m1..md, n1..nd), columns normalized into
    lambda, a fixed number of sweeps. Column signs of the start do not change the result."""
    t = w.reshape(*m, *n)
    D = t.ndim
    A = [np.linalg.svd(unfold(t, k), full_matrices=False)[0][:, :rank] for k in range(D)]
    lam = np.ones(rank)
    for _ in range(sweeps):
        for k in range(D):
            others = [A[j] for j in range(D) if j != k]
            V = np.ones((rank, rank))
            for a in others:
                V *= a.T @ a
            new = unfold(t, k) @ khatri_rao(others) @ np.linalg.pinv(V)
            lam = np.linalg.norm(new, axis=0)
            A[k] = new / lam
    full = (khatri_rao(A) * lam).sum(axis=1)
    return rel(w, full.reshape(w.shape))


def tail(t_matrix, r):
    s = np.linalg.svd(t_matrix, compute_uv=False)
    return np.sum(s[r:] ** 2)


def tt_bound(t, ranks):
    dims = t.shape
    total = sum(tail(t.reshape(int(np.prod(dims[: k + 1])), -1), ranks[k]) for k in range(len(dims) - 1))
    return min(np.sqrt(total) / np.linalg.norm(t), 1.0)


def tucker_bound(t, ranks):
    return min(np.sqrt(sum(tail(unfold(t, k), ranks[k]) for k in range(t.ndim))) / np.linalg.norm(t), 1.0)


CASES = [
    # file, format, shape, ranks, sweeps (tucker: HOOI sweeps; cp: ALS sweeps from an SVD start)
    ("w48x64.npy", "svd", "48:64", [5], 0),
    ("w48x64.npy", "svd", "48:64", [20], 0),
    ("w48x64.npy", "ttm", "6x8:8x8", [7], 0),
    ("w48x64.npy", "ttm", "4x3x4:4x4x4", [6, 9], 0),
    ("w48x64.npy", "tt", "4x3x4:4x4x4", [3, 6, 10, 8, 4], 0),
    ("w48x64.npy", "tucker", "6x8:8x8", [4, 5, 6, 3], 0),
    ("w48x64.npy", "tucker", "4x3x4:4x4x4", [3, 2, 3, 3, 4, 2], 0),
    ("w48x64.npy", "tucker", "4x3x4:4x4x4", [3, 2, 3, 3, 4, 2], 3),
    ("w96x128.npy", "svd", "96:128", [12], 0),
    ("w96x128.npy", "ttm", "8x12:8x16", [10], 0),
    ("w96x128.npy", "ttm", "4x4x6:4x4x8", [8, 12], 0),
    ("w96x128.npy", "tt", "8x12:8x16", [6, 20, 12], 0),
    ("w96x128.npy", "tucker", "8x12:8x16", [6, 8, 5, 9], 0),
    ("w96x128.npy", "tucker", "8x12:8x16", [6, 8, 5, 9], 2),
    ("w48x64.npy", "cp", "6x8:8x8", [5], 10),
    ("w48x64.npy", "cp", "4x3x4:4x4x4", [3], 15),
    ("w96x128.npy", "cp", "8x12:8x16", [8], 10),
    # tiny errors (the audit's case: 8.73e-09 from Gram eigenvalues vs numpy's 2.06e-09)
    ("dec32x128.npy", "ttm", "4x8:8x16", [25], 0),
    ("dec32x128.npy", "ttm", "4x8:8x16", [20], 0),
    ("low32x128.npy", "tucker", "4x8:8x16", [4, 8, 6, 12], 0),
    ("low32x128.npy", "tucker", "4x8:8x16", [4, 8, 6, 12], 1),
]
# eps is scale-invariant: copies of one 8 x 12 matrix scaled by 1e-170, 1e153 and 1e200 (whose
# squares under- or overflow) must give the eps numpy computes on the unscaled matrix
SCALES = {"scale1.npy": 1.0, "scale1e-170.npy": 1e-170, "scale1e153.npy": 1e153, "scale1e200.npy": 1e200}
for _f in SCALES:
    CASES += [
        (_f, "svd", "8:12", [3], 0),
        (_f, "ttm", "2x4:3x4", [4], 0),
        (_f, "tt", "2x4:3x4", [2, 3, 2], 0),
        (_f, "tucker", "2x4:3x4", [2, 3, 2, 3], 0),
        (_f, "cp", "2x4:3x4", [3], 5),
    ]


def main():
    os.makedirs(DATA, exist_ok=True)
    mats = {
        "w48x64.npy": make_matrix(48, 64, 11),
        "w96x128.npy": make_matrix(96, 128, 12).astype(np.float32),
        "dec32x128.npy": make_decaying_ttm([4, 8], [8, 16], 0.8, 13),
        "low32x128.npy": make_low_multilinear([4, 8, 8, 16], [4, 8, 6, 12], 1e-9, 14),
    }
    for name, w in mats.items():
        np.save(os.path.join(DATA, name), w)
        mats[name] = w.astype(np.float64)
    base = make_matrix(8, 12, 15)
    for name, scale in SCALES.items():
        np.save(os.path.join(DATA, name), base * scale)
        mats[name] = base  # the reference: numpy's own sums would under- or overflow
    rows = []
    for fname, fmt, shape, ranks, sweeps in CASES:
        w = mats[fname]
        m, n = parse_shape(shape)
        if fmt == "svd":
            rows.append((fname, fmt, shape, ranks, sweeps, "exact", svd_eps(w, ranks[0])))
            continue
        if fmt == "cp":
            rows.append((fname, fmt, shape, ranks, sweeps, "exact", cp_als_eps(w, m, n, ranks[0], sweeps)))
            continue
        if fmt == "ttm":
            eps = ttm_eps(w, m, n, ranks)
            bound = tt_bound(ttm_tensor(w, m, n)[0], ranks)
        elif fmt == "tt":
            eps = tt_eps(w, m, n, ranks)
            bound = tt_bound(w.reshape(*m, *n), ranks)
        else:
            eps = tucker_eps(w, m, n, ranks, sweeps)
            bound = tucker_bound(w.reshape(*m, *n), ranks)
        rows.append((fname, fmt, shape, ranks, sweeps, "exact", eps))
        if sweeps == 0:
            rows.append((fname, fmt, shape, ranks, sweeps, "bound", bound))
    with open(os.path.join(DATA, "factorize_expected.csv"), "w") as f:
        f.write("file,format,shape,ranks,sweeps,error_kind,rel_error\n")
        for fname, fmt, shape, ranks, sweeps, kind, eps in rows:
            f.write(f"{fname},{fmt},{shape},{'/'.join(map(str, ranks))},{sweeps},{kind},{eps:.15e}\n")


if __name__ == "__main__":
    main()
