#!/usr/bin/python3
"""scikit-learn's Lasso on the same file and lambda as a stale run, side by side.

    experiments/lasso_reference.py --data FILE [--lambda 0.1] [--standardize]
        [--stale-csv RUN.csv] [--stale-coef COEF.txt] [--stale-wall SECONDS]
        [--tol 1e-10] [--label-last]

Fits sklearn.linear_model.Lasso(alpha=lambda, fit_intercept=True) on FILE
(LibSVM, or a CSV/whitespace table with the target first, as stale reads it)
and prints, for scikit-learn and for stale:
  - the objective 1/(2n) ||y - Xw - b||^2 + lambda ||w||_1
  - their relative difference (stale - sklearn) / sklearn
  - the supports (1-based column indices of the non-zero coefficients)
  - the wall times (scikit-learn's fit; stale's as given by --stale-wall)
stale's objective is the last row of --stale-csv (the run's own metric, the
workers' view); with --stale-coef (the file the app's coef= option writes)
the script also evaluates stale's coefficients itself, in double precision.
Needs Debian's python3 with python3-sklearn; nothing in the build uses it.
"""
import argparse
import csv
import sys
import time

import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import Lasso


def is_libsvm(path):
    with open(path) as f:
        for line in f:
            s = line.split("#", 1)[0].split()
            if s:
                return len(s) > 1 and ":" in s[1]
    return False


def load(path, label_last):
    if is_libsvm(path):
        X, y = load_svmlight_file(path, dtype=np.float64)
        return X.toarray(), y
    with open(path) as f:
        first = next(l for l in f if l.strip() and not l.lstrip().startswith("#"))
    delim = "," if "," in first else None
    try:
        float(first.split(delim)[0])
        skip = 0
    except ValueError:
        skip = 1  # a CSV header
    data = np.loadtxt(path, delimiter=delim, comments="#", skiprows=skip, ndmin=2)
    if label_last:
        return data[:, :-1], data[:, -1]
    return data[:, 1:], data[:, 0]


def objective(X, y, w, b, lam):
    r = y - X @ w - b
    return r @ r / (2 * len(y)) + lam * np.abs(w).sum()


def support(w):
    return [int(j) + 1 for j in np.flatnonzero(w)]


def show_support(s, limit=60):
    text = " ".join(map(str, s[:limit]))
    return f"{len(s)} non-zeros: {text}{' ...' if len(s) > limit else ''}"


def read_coef(path, p):
    w, b = np.zeros(p), 0.0
    with open(path) as f:
        for line in f:
            k, v = line.split()
            if k == "intercept":
                b = float(v)
            else:
                w[int(k) - 1] = float(v)
    return w, b


def read_csv_last(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"lasso_reference.py: {path}: no rows")
    return rows[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--lambda", dest="lam", type=float, default=0.1)
    ap.add_argument("--standardize", action="store_true",
                    help="divide columns by their standard deviation, as the app's standardize=1")
    ap.add_argument("--label-last", action="store_true")
    ap.add_argument("--stale-csv")
    ap.add_argument("--stale-coef")
    ap.add_argument("--stale-wall", type=float)
    ap.add_argument("--tol", type=float, default=1e-10)
    ap.add_argument("--max-iter", type=int, default=100000)
    a = ap.parse_args()

    t0 = time.perf_counter()
    X, y = load(a.data, a.label_last)
    load_s = time.perf_counter() - t0
    if a.standardize:
        sd = X.std(axis=0)
        X = X / np.where(sd > 0, sd, 1.0)
    X = np.asfortranarray(X)  # what Lasso would copy to anyway, outside the timing
    t0 = time.perf_counter()
    m = Lasso(alpha=a.lam, fit_intercept=True, tol=a.tol, max_iter=a.max_iter).fit(X, y)
    fit_s = time.perf_counter() - t0
    f_sk = objective(X, y, m.coef_, m.intercept_, a.lam)
    print(f"data            {a.data}: n={X.shape[0]} p={X.shape[1]} lambda={a.lam:g}"
          f"{' standardized' if a.standardize else ''} (loaded in {load_s:.2f} s)")
    print(f"sklearn         objective {f_sk:.10g}  {show_support(support(m.coef_))}")
    print(f"sklearn         fit wall time {fit_s:.3f} s ({m.n_iter_} coordinate-descent passes, tol {a.tol:g})")
    if a.stale_csv:
        row = read_csv_last(a.stale_csv)
        f_st = float(row["objective"])
        nnz = row.get("nnz", "?")
        print(f"stale           objective {f_st:.10g} at clock {row['clock']} (its metrics row), nnz {nnz}")
        print(f"relative diff   {(f_st - f_sk) / f_sk:+.3e}")
    if a.stale_coef:
        w, b = read_coef(a.stale_coef, X.shape[1])
        f_c = objective(X, y, w, b, a.lam)
        print(f"stale coef      objective {f_c:.10g} (its coefficients, evaluated here)  "
              f"{show_support(support(w))}")
        print(f"relative diff   {(f_c - f_sk) / f_sk:+.3e} (coefficients)")
        both = set(support(w)) & set(support(m.coef_))
        print(f"supports        {len(both)} in common, {len(set(support(w)) - both)} only stale, "
              f"{len(set(support(m.coef_)) - both)} only sklearn")
    if a.stale_wall is not None:
        print(f"stale           wall time {a.stale_wall:.3f} s")


if __name__ == "__main__":
    main()
