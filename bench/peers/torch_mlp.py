# Copied from the project's peer baselines (shared/peers/torch_mlp.py, measured in shared/peers/RESULTS.md); unchanged below this line.
"""PyTorch equivalent of Nielsen's network: nn.Linear layers with N(0,1)
weight+bias init, sigmoid after every layer, loss = 0.5*((a-y)^2).sum(1).mean(),
torch.optim.SGD(lr=eta), data pre-loaded as float32 tensors, manual shuffling
with torch.randperm (no DataLoader). Per epoch the whole training set is
permuted once (counted in the epoch time) and sliced into mini-batches.
Evaluation on the 10k test set is not timed.
"""
import argparse
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn

import fmnist


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="784,30,10")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--eta", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-train", type=int, default=50000,
                    help="train on only this many examples per epoch (for extrapolation)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    sizes = [int(s) for s in args.sizes.split(",")]
    m = args.batch

    xtr, ytr, xte, yte = fmnist.load(np.float32)
    xtr, ytr = xtr[:args.n_train], ytr[:args.n_train]
    Xtr = torch.from_numpy(xtr)
    Ytr = torch.from_numpy(fmnist.one_hot(ytr, np.float32))
    Xte = torch.from_numpy(xte)
    Yte = torch.from_numpy(yte)
    n = Xtr.shape[0]

    layers = []
    for x, y in zip(sizes[:-1], sizes[1:]):
        lin = nn.Linear(x, y)
        nn.init.normal_(lin.weight, 0.0, 1.0)
        nn.init.normal_(lin.bias, 0.0, 1.0)
        layers += [lin, nn.Sigmoid()]
    model = nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=args.eta)

    def evaluate():
        with torch.no_grad():
            return (model(Xte).argmax(dim=1) == Yte).float().mean().item()

    times, accs = [], []
    for ep in range(args.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        Xp = Xtr[perm]
        Yp = Ytr[perm]
        for k in range(0, n, m):
            xb = Xp[k:k + m]
            yb = Yp[k:k + m]
            a = model(xb)
            loss = 0.5 * ((a - yb) ** 2).sum(dim=1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        dt = time.perf_counter() - t0
        times.append(dt)
        acc = evaluate()
        accs.append(acc)
        print("Epoch {0}: test acc {1:.4f}  (train {2:.3f} s)".format(ep, acc, dt))
        sys.stdout.flush()
    print("RESULT " + json.dumps({
        "peer": "torch_mlp", "torch": torch.__version__, "threads": torch.get_num_threads(),
        "sizes": sizes, "batch": m, "eta": args.eta, "n_train": n, "seed": args.seed,
        "epoch_train_s": times,
        "epoch_s_extrapolated_to_50000": [t * 50000 / n for t in times],
        "test_acc": accs}))


if __name__ == "__main__":
    main()
