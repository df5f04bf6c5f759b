#!/usr/bin/python3
"""Golden numbers of heat search --accuracy-data (search/accuracy.c): the least-squares line of
accuracy on eps_mean for tests/search/data/accuracy.csv, its R^2 and RMSE, with numpy (an
implementation independent of GSL's gsl_fit_linear). The values are the ones the test
search_accuracy_fit checks (tests/search/CMakeLists.txt).
Run: /usr/bin/python3 tests/oracles/accuracy_fit_oracle.py (from the repository root)."""
import csv
import os

import numpy as np

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "search", "data",
                    "accuracy.csv")
with open(path) as f:
    rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
x = np.array([float(r["eps_mean"]) for r in rows])
y = np.array([float(r["accuracy"]) for r in rows])
c1, c0 = np.polyfit(x, y, 1)
assert c1 <= 0, "the test data must give a falling line"
res = y - (c0 + c1 * x)
r2 = 1 - res @ res / ((y - y.mean()) @ (y - y.mean()))
rmse = np.sqrt(res @ res / len(x))
print(f"n {len(x)} eps {x.min():.3g}..{x.max():.3g} R^2 {r2:.3f} RMSE {rmse:.3g} "
      f"acc = max(0, {c0:.4g} - {-c1:.4g} * mean eps)")
