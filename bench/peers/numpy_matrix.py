# Copied from the project's peer baselines (shared/peers/numpy_matrix.py, measured in shared/peers/RESULTS.md); unchanged below this line.
"""Fully matrix-based mini-batch variant of Nielsen's network.py.

All m examples of a mini-batch are the columns of one matrix X (784 x m);
one matmul per layer forward (W @ A), one per layer for the weight gradient
(delta @ A_prev.T) and one per non-input layer for the back-propagated delta
(W.T @ delta). Quadratic cost, sigmoid everywhere, N(0,1) init, plain SGD:
W -= (eta/m) * sum_over_batch(grad). sigma'(z) is computed as a*(1-a) from the
stored activation (mathematically identical to Nielsen's sigmoid_prime(z)).

Per epoch the full training set is permuted once (X[perm], counted in the
epoch time) and then sliced into contiguous mini-batches. Evaluation (one
batched forward pass over the 10k test images) is not timed.
"""
import argparse
import json
import sys
import time

import numpy as np

import fmnist


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="784,30,10")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--eta", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--n-train", type=int, default=50000,
                    help="train on only this many examples per epoch (for extrapolation)")
    args = ap.parse_args()
    np.seterr(over="ignore")
    dt_ = np.dtype(args.dtype).type
    rng = np.random.default_rng(args.seed)
    sizes = [int(s) for s in args.sizes.split(",")]
    m = args.batch

    xtr, ytr, xte, yte = fmnist.load(dt_)
    xtr, ytr = xtr[:args.n_train], ytr[:args.n_train]
    n = len(xtr)
    Ytr = fmnist.one_hot(ytr, dt_)          # (n, 10)
    XteT = np.ascontiguousarray(xte.T)       # (784, 10000)

    # N(0,1) init, same shapes as network.py: W[l] is (n_out, n_in), b[l] is (n_out, 1)
    W = [rng.standard_normal((y, x)).astype(dt_) for x, y in zip(sizes[:-1], sizes[1:])]
    B = [rng.standard_normal((y, 1)).astype(dt_) for y in sizes[1:]]
    L = len(W)
    scale = dt_(args.eta / m)

    def evaluate():
        a = XteT
        for w, b in zip(W, B):
            a = sigmoid(w @ a + b)
        return float(np.mean(np.argmax(a, axis=0) == yte))

    times, accs = [], []
    for ep in range(args.epochs):
        t0 = time.perf_counter()
        perm = rng.permutation(n)
        Xp = np.ascontiguousarray(xtr[perm].T)   # (784, n): examples as columns
        Yp = np.ascontiguousarray(Ytr[perm].T)   # (10, n)
        for k in range(0, n, m):
            X = Xp[:, k:k + m]
            Y = Yp[:, k:k + m]
            mb = X.shape[1]
            # forward
            acts = [X]
            a = X
            for w, b in zip(W, B):
                a = sigmoid(w @ a + b)
                acts.append(a)
            # backward
            delta = (a - Y) * a * (1 - a)
            for l in range(L - 1, -1, -1):
                gw = delta @ acts[l].T
                gb = delta.sum(axis=1, keepdims=True)
                if l > 0:
                    ap_ = acts[l]
                    delta_prev = (W[l].T @ delta) * ap_ * (1 - ap_)
                s = dt_(args.eta / mb) if mb != m else scale
                W[l] -= s * gw
                B[l] -= s * gb
                if l > 0:
                    delta = delta_prev
        dt = time.perf_counter() - t0
        times.append(dt)
        acc = evaluate()
        accs.append(acc)
        print("Epoch {0}: test acc {1:.4f}  (train {2:.3f} s)".format(ep, acc, dt))
        sys.stdout.flush()
    print("RESULT " + json.dumps({
        "peer": "numpy_matrix", "sizes": sizes, "batch": m, "eta": args.eta,
        "dtype": args.dtype, "n_train": n, "seed": args.seed,
        "epoch_train_s": times,
        "epoch_s_extrapolated_to_50000": [t * 50000 / n for t in times],
        "test_acc": accs}))


if __name__ == "__main__":
    main()
