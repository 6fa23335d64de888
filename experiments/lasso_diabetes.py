#!/usr/bin/python3
"""Writes scikit-learn's bundled diabetes set as LibSVM, scaled as
sklearn.datasets.load_diabetes() scales it: every column centred and divided
by its standard deviation times sqrt(n) (so each column has mean 0 and sum of
squares 1); the target (disease progression, 25..346) is not scaled.

    experiments/lasso_diabetes.py [OUT.svm]     (default out/diabetes.svm)

Reads diabetes_data_raw.csv.gz and diabetes_target.csv.gz from Debian's
python3-sklearn (`dpkg -L python3-sklearn | grep diabetes`) with the standard
library only, so it also runs where numpy is not installed; the numbers are
printed with 17 significant digits, so a double reads back exactly.
"""
import gzip
import math
import os
import sys

DATA_DIRS = [
    "/usr/lib/python3/dist-packages/sklearn/datasets/data",
]


def find(name):
    for d in DATA_DIRS:
        path = os.path.join(d, name)
        if os.path.exists(path):
            return path
    try:  # another installation of scikit-learn
        import sklearn.datasets
        path = os.path.join(os.path.dirname(sklearn.datasets.__file__), "data", name)
        if os.path.exists(path):
            return path
    except ImportError:
        pass
    sys.exit(f"lasso_diabetes.py: {name} not found (apt-get install python3-sklearn)")


def read_rows(path):
    with gzip.open(path, "rt") as f:
        return [[float(v) for v in line.split()] for line in f if line.strip()]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "out/diabetes.svm"
    X = read_rows(find("diabetes_data_raw.csv.gz"))
    y = [r[0] for r in read_rows(find("diabetes_target.csv.gz"))]
    n, p = len(X), len(X[0])
    if len(y) != n or any(len(r) != p for r in X):
        sys.exit("lasso_diabetes.py: the data and target files do not match")
    for j in range(p):
        col = [r[j] for r in X]
        mean = math.fsum(col) / n
        sd = math.sqrt(math.fsum((v - mean) ** 2 for v in col) / n)  # ddof=0, as scale()
        for r in X:
            r[j] = (r[j] - mean) / sd / math.sqrt(n)
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w") as f:
        for r, t in zip(X, y):
            feats = " ".join(f"{j + 1}:{v:.17g}" for j, v in enumerate(r) if v != 0.0)
            f.write(f"{t:.17g} {feats}\n")
    print(out)


if __name__ == "__main__":
    main()
