"""Writes scikit-learn's bundled tables (Debian python3-sklearn, sklearn/datasets/data/) as plain CSV files with a header
row, the way a user's export looks: feature columns named as scikit-learn names them, then the target column. Classes are
written as their names (iris: setosa, ...; breast_cancer: malignant/benign; wine: class_0, ...), digits as 0-9.
diabetes is written unscaled (scaled=False: age in years, sex 1/2, ...), target = disease progression after one year.
Run: /usr/bin/python3 data/tables/make_tables.py data/tables"""
import csv, sys, os
from sklearn import datasets

out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))

def fmt(v):
    r = repr(float(v))
    return r[:-2] if r.endswith(".0") else r

def write(name, header, rows):
    with open(os.path.join(out, name + ".csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)

for name, loader, target in [("iris", datasets.load_iris, "species"), ("breast_cancer", datasets.load_breast_cancer, "diagnosis"),
                             ("wine", datasets.load_wine, "cultivar")]:
    d = loader()
    write(name, [*map(str, d.feature_names), target], [[*map(fmt, x), d.target_names[y]] for x, y in zip(d.data, d.target)])

d = datasets.load_digits()
write("digits", [f"pixel_{i // 8}_{i % 8}" for i in range(64)] + ["digit"], [[*map(fmt, x), int(y)] for x, y in zip(d.data, d.target)])

d = datasets.load_diabetes(scaled=False)
write("diabetes", [*d.feature_names, "progression"], [[*map(fmt, x), fmt(y)] for x, y in zip(d.data, d.target)])

d = datasets.load_linnerud()
write("linnerud", [*d.feature_names, *d.target_names], [[*map(fmt, x), *map(fmt, y)] for x, y in zip(d.data, d.target)])
