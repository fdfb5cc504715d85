"""scikit-learn's MLPClassifier / MLPRegressor against `nabla train` on tables, side by side in one run (bench/compare --sklearn).

For each table and seed: scikit-learn's train_test_split (80/20, stratified for classes, random_state=seed) is written to two
CSV files; scikit-learn standardises (StandardScaler on the training rows) and fits MLP(hidden) for --epochs iterations
(its own tolerance may stop it sooner: n_iter_ is reported); nabla trains on the very same files with the same hidden
layers (`nabla train --data train.csv --test test.csv`, its preprocessing learnt on the training rows too; --epochs for
nabla, --sklearn-max-iter for scikit-learn, 1,000 by default as in shared/peers/sklearn_anchor.py: its tolerance stops it
when the loss stops improving, and n_iter_ says when).
Both report test accuracy (R² for regression). The runs alternate, nabla then scikit-learn, table after table.

Nabla's settings are chosen on the training split alone, never on the test rows: with --lambdas giving more than one L2
strength, each is scored by --folds-fold cross-validation on the training split (StratifiedKFold for classes, KFold for
values, shuffled with random_state=seed; `nabla train --data fold-train.csv --test fold-validation.csv`, so the fold's
preprocessing is learnt on its own training rows), the best mean validation accuracy (R²) wins, ties going to the lower mean
validation cost of the errors (log-likelihood or quadratic, without the weight penalty), and only then does nabla train on
the whole training split and meet the test rows, once. The mean validation score of every λ is printed too. scikit-learn keeps
its defaults (the anchors of issue 12); --sklearn-cv also chooses its alpha the same way (GridSearchCV over --alphas with
the same folds) and reports that too.

--fashion DIR: also Fashion-MNIST as a table (DIR/train.csv, DIR/test.csv from bench/tables/fashion_mnist_csv.py): seconds
per training epoch of both with the same layers and mini-batch (Adam, ReLU), nabla's peak RSS (/usr/bin/time -v) and
its CSV reading speed.

  bench/peers/sklearn_tables.py --nabla CMD [--seeds 5] [--epochs 200] [--sklearn-max-iter 1000] [--hidden 100]
                                [--tables digits,breast_cancer,...] [--nabla-args "..."] [--table-args "name=options"]
                                [--lambdas 0,0.1,0.3,1,3,10,30] [--folds 5] [--sklearn-cv --alphas 1e-5,...]
                                [--fashion DIR --fashion-epochs 3 --fashion-batch 200 --rounds 2] [--no-tables]
"""
import argparse, csv, json, os, re, shlex, subprocess, sys, tempfile, time, warnings
import numpy as np
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.exceptions import ConvergenceWarning

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLES = {  # name: (target column, classification?)
    "digits": ("digit", True), "breast_cancer": ("diagnosis", True), "wine": ("cultivar", True),
    "iris": ("species", True), "diabetes": ("progression", False),
}

def read_csv(path, target):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    t = header.index(target)
    x = np.array([[float(v) for i, v in enumerate(r) if i != t] for r in body])
    y = [r[t] for r in body]
    return header, body, x, y

def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)

def run_nabla(cmd, args):
    start = time.perf_counter()
    p = subprocess.run(cmd + args + ["--json"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"nabla failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    return json.loads(p.stdout), time.perf_counter() - start

def nabla_fit(nabla, a, d, header, body, train, test, target, seed, extra):
    """nabla trains on rows `train` and is scored on rows `test` (files in folder d): its JSON report."""
    write_csv(os.path.join(d, "train.csv"), header, [body[i] for i in train])
    write_csv(os.path.join(d, "test.csv"), header, [body[i] for i in test])
    result, _ = run_nabla(nabla, ["train", "--data", os.path.join(d, "train.csv"), "--test", os.path.join(d, "test.csv"),
                                  "--target", target, "--hidden", a.hidden, "--epochs", str(a.epochs), "--seed", str(seed + 1)] + extra)
    return result

def splitter(a, classes, seed):
    """The cross-validation folds both sides use: stratified for classes, shuffled with random_state=seed."""
    return StratifiedKFold(a.folds, shuffle=True, random_state=seed) if classes else KFold(a.folds, shuffle=True, random_state=seed)

def mlp(a, classes, seed):
    """scikit-learn's MLP with its defaults but the hidden layers and the iteration cap."""
    return (MLPClassifier if classes else MLPRegressor)(hidden_layer_sizes=tuple(int(h) for h in a.hidden.split(",")), max_iter=a.sklearn_max_iter, random_state=seed)

def folds(a, train, y, classes, seed):
    """The cross-validation folds of the training rows, as (fold training rows, fold validation rows)."""
    labels = [y[i] for i in train] if classes else None
    return [(train[f], train[v]) for f, v in splitter(a, classes, seed).split(train, labels)]

def choose_lambda(nabla, a, d, header, body, train, y, target, classes, seed, extra):
    """The L2 strength with the best mean validation score over the folds of the training rows (ties: lower mean cost)."""
    lambdas = a.lambdas.split(",")
    if len(lambdas) == 1: return lambdas[0], {}
    scores = {}
    for lam in lambdas:
        runs = [nabla_fit(nabla, a, d, header, body, f, v, target, seed, extra + ["--lambda", lam]) for f, v in folds(a, train, y, classes, seed)]
        score = np.mean([r["test"]["accuracy"] if classes else r["test"]["r2"] for r in runs])
        cost = np.mean([r["test_cost"] for r in runs])  # the validation fold's cost of the errors, without the weight penalty
        scores[lam] = (score, cost)
    best = max(lambdas, key=lambda lam: (scores[lam][0], -scores[lam][1]))
    return best, scores

def tables(a, nabla):
    cv = f"{a.folds}-fold CV on the training split" if len(a.lambdas.split(",")) > 1 else "given"
    print(f"nabla's λ: {cv}, from {a.lambdas}; scikit-learn: defaults{' and alpha by GridSearchCV from ' + a.alphas if a.sklearn_cv else ''}\n")
    print(f"| table | seed | split (train/test) | scikit-learn MLP({a.hidden}) | iterations | fit s |{' scikit-learn, alpha by CV |' if a.sklearn_cv else ''} nabla | λ (CV score) | nabla train s |")
    print(f"|---|---|---|---|---|---|{'---|' if a.sklearn_cv else ''}---|---|---|")
    summary, validation = {}, {}
    per_table = dict(item.split("=", 1) for item in a.table_args.split(";") if item)
    for name in a.tables.split(","):
        target, classes = TABLES[name]
        header, body, x, y = read_csv(os.path.join(ROOT, "data", "tables", name + ".csv"), target)
        for seed in range(a.seeds):
            idx = np.arange(len(body))
            train, test = train_test_split(idx, test_size=0.2, random_state=seed, stratify=y if classes else None)
            extra = shlex.split(a.nabla_args) + shlex.split(per_table.get(name, ""))
            with tempfile.TemporaryDirectory() as d:
                lam, scores = choose_lambda(nabla, a, d, header, body, train, y, target, classes, seed, extra)
                # The test rows, once, with the λ chosen without them.
                result = nabla_fit(nabla, a, d, header, body, train, test, target, seed, extra + ["--lambda", lam])
            ours = result["test"]["accuracy"] if classes else result["test"]["r2"]
            sc = StandardScaler().fit(x[train])
            ytr = [y[i] for i in train] if classes else np.array([float(y[i]) for i in train])
            yte = [y[i] for i in test] if classes else np.array([float(y[i]) for i in test])
            model = mlp(a, classes, seed)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(sc.transform(x[train]), ytr)
            fit = time.perf_counter() - start
            theirs = model.score(sc.transform(x[test]), yte)
            tuned = sklearn_cv(a, x, ytr, yte, train, test, classes, seed, sc) if a.sklearn_cv else None
            summary.setdefault(name, []).append((theirs, ours, lam, tuned))
            if scores: validation.setdefault(name, []).append(scores)
            metric = "acc" if classes else "R²"
            chosen = f"{lam} ({scores[lam][0]:.4f})" if scores else lam
            print(f"| {name} | {seed} | {len(train)}/{len(test)} | {metric} {theirs:.4f} | {model.n_iter_} | {fit:.2f} |"
                  f"{f' {metric} {tuned[0]:.4f} (alpha {tuned[1]}) |' if tuned else ''} {metric} {ours:.4f} | {chosen} | {result['train_seconds_total']:.2f} |", flush=True)
    print()
    print(f"| table | scikit-learn mean (min–max) |{' scikit-learn, alpha by CV |' if a.sklearn_cv else ''} nabla mean (min–max) | nabla ≥ scikit-learn (seeds) | λ chosen |")
    print(f"|---|---|{'---|' if a.sklearn_cv else ''}---|---|---|")
    for name, pairs in summary.items():
        t, o = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
        cv = np.array([p[3][0] for p in pairs]) if a.sklearn_cv else None
        print(f"| {name} | {t.mean():.4f} ({t.min():.4f}–{t.max():.4f}) |{f' {cv.mean():.4f} ({cv.min():.4f}–{cv.max():.4f}) |' if cv is not None else ''} "
              f"{o.mean():.4f} ({o.min():.4f}–{o.max():.4f}) | {int((o >= t - 1e-12).sum())} of {len(pairs)} | {', '.join(p[2] for p in pairs)} |")
    if validation:
        lambdas = a.lambdas.split(",")
        print(f"\nnabla's mean {a.folds}-fold validation score (accuracy, R² for diabetes) over the {a.seeds} training splits, per λ (no test row used):\n")
        print("| table | " + " | ".join(f"λ = {lam}" for lam in lambdas) + " |")
        print("|---|" + "---|" * len(lambdas))
        for name, runs in validation.items():
            print(f"| {name} | " + " | ".join(f"{np.mean([r[lam][0] for r in runs]):.4f}" for lam in lambdas) + " |")

def sklearn_cv(a, x, ytr, yte, train, test, classes, seed, scaler):
    """scikit-learn's MLP with alpha chosen by GridSearchCV on the same folds of the training rows: (test score, alpha)."""
    # The scaler was fitted on the whole training split (never on the test rows), as for the untuned model.
    search = GridSearchCV(mlp(a, classes, seed), {"alpha": [float(v) for v in a.alphas.split(",")]}, cv=splitter(a, classes, seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(scaler.transform(x[train]), ytr)
    return search.score(scaler.transform(x[test]), yte), search.best_params_["alpha"]

def fashion(a, nabla):
    train, test = os.path.join(a.fashion, "train.csv"), os.path.join(a.fashion, "test.csv")
    layers = a.hidden
    print(f"\nFashion-MNIST as a table ({train}, {os.path.getsize(train) / 1e6:.0f} MB): hidden {layers}, ReLU, Adam η 0.001, "
          f"m = {a.fashion_batch}, {a.fashion_epochs} epochs each; rounds alternate nabla, scikit-learn")
    read, _ = run_nabla(nabla, ["bench", "--read", train, "--epochs", "3"])
    print(f"CSV reading (nabla bench --read, 3 reads): best {read['mb_per_second_best']:.0f} MB/s, median {read['mb_per_second_median']:.0f} MB/s; "
          f"{read['mb_per_cpu_second_median']:.0f} MB per CPU second (median)")
    timed = ["/usr/bin/time", "-v"] if os.path.exists("/usr/bin/time") else []
    # scikit-learn's side reads the same table with numpy (once; its reading is not timed) and standardises it as nabla does.
    data, tdata = np.loadtxt(train, delimiter=",", skiprows=1, dtype=np.float32), np.loadtxt(test, delimiter=",", skiprows=1, dtype=np.float32)
    fx, fy, tx, ty = data[:, 1:], data[:, 0].astype(int), tdata[:, 1:], tdata[:, 0].astype(int)
    del data, tdata
    ratios = []
    for r in range(a.rounds):
        args = ["train", "--data", train, "--test", test, "--target", "label", "--hidden", layers, "--epochs", str(a.fashion_epochs),
                "--batch", str(a.fashion_batch), "--seed", "1", "--json"]
        start = time.perf_counter()
        p = subprocess.run(timed + nabla + args, capture_output=True, text=True)
        if p.returncode != 0: sys.exit(f"nabla failed: {p.stderr[-2000:]}")
        wall = time.perf_counter() - start
        result = json.loads(p.stdout)
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
        per_epoch = [e["train_seconds"] for e in result["epochs"]]
        ours = float(np.median(per_epoch))
        sc = StandardScaler().fit(fx)
        model = MLPClassifier(hidden_layer_sizes=tuple(int(h) for h in layers.split(",")), batch_size=a.fashion_batch, max_iter=a.fashion_epochs,
                              random_state=1, tol=0, n_iter_no_change=a.fashion_epochs + 1)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(sc.transform(fx), fy)
        theirs = (time.perf_counter() - start) / model.n_iter_
        accuracy = model.score(sc.transform(tx), ty)
        ratios.append(theirs / ours)
        print(f"round {r}: nabla {ours:.3f} s/epoch (epochs {', '.join(f'{s:.3f}' for s in per_epoch)}), test acc {result['test']['accuracy']:.4f}, "
              f"wall {wall:.1f} s{f', peak RSS {int(rss.group(1)) / 1024:.0f} MB' if rss else ''}; "
              f"scikit-learn {theirs:.3f} s/epoch ({model.n_iter_} epochs), test acc {accuracy:.4f}; ratio {theirs / ours:.1f}x")
    print(f"scikit-learn / nabla seconds per epoch, per round: {', '.join(f'{x:.1f}x' for x in ratios)}")
    # nabla predict over the 60,000 training rows with a [784, hidden, 10] model (read, preprocess, feed forward, write CSV).
    with tempfile.TemporaryDirectory() as d:
        run_nabla(nabla, ["train", "--data", test, "--target", "label", "--hidden", layers, "--epochs", "1", "--out", os.path.join(d, "m.safetensors")])
        for r in range(2):
            result, wall = run_nabla(nabla, ["predict", "--model", os.path.join(d, "m.safetensors"), "--input", train, "--output", os.path.join(d, "out.csv")])
            print(f"nabla predict, {result['rows']:,} rows: {result['total_seconds']:.2f} s in the command (reading {result['read_seconds']:.2f} s, "
                  f"network {result['predict_seconds']:.2f} s), {result['rows_per_minute'] / 1e6:.2f} million rows/min "
                  f"({result['rows_per_cpu_minute'] / 1e6:.2f} million per CPU minute); {wall:.2f} s with process start")

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--nabla", required=True, help="how to run nabla, e.g. 'dotnet src/Nabla.Cli/bin/Release/net10.0/Nabla.Cli.dll'")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--hidden", default="100")
    p.add_argument("--tables", default="digits,breast_cancer,wine,iris,diabetes")
    p.add_argument("--nabla-args", default="", help="more `nabla train` options for every table, e.g. '--lambda 1'")
    p.add_argument("--table-args", default="", help="more options for one table: 'name=options;name=options'")
    p.add_argument("--lambdas", default="0,0.1,0.3,1,3,10,30", help="nabla's L2 strengths to choose from by cross-validation on the training split (one value: no choice)")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--sklearn-cv", action="store_true", help="also scikit-learn with alpha chosen by GridSearchCV on the same folds")
    p.add_argument("--alphas", default="1e-5,1e-4,1e-3,1e-2,0.1,1,10")
    p.add_argument("--sklearn-max-iter", type=int, default=1000)
    p.add_argument("--fashion", help="folder with Fashion-MNIST's train.csv and test.csv")
    p.add_argument("--fashion-epochs", type=int, default=3)
    p.add_argument("--fashion-batch", type=int, default=200)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--no-tables", action="store_true")
    a = p.parse_args()
    nabla = shlex.split(a.nabla)
    if not a.no_tables: tables(a, nabla)
    if a.fashion: fashion(a, nabla)
