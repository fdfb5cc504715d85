# After the project's peer baseline shared/peers/torch_recipe.py (the same model and loop), with the arguments and the
# RESULT line of the other peers so that bench/compare can run it.
"""The practitioner recipe in PyTorch: ReLU hidden layers, dropout p after each, softmax outputs with the cross-entropy
(log-likelihood) loss, Adam (lr = eta, weight_decay = lambda / n: L2 with lambda over the training set's size, as Nabla's
--lambda), float32, mini-batches drawn by a permutation each epoch (X[idx], a gather as Nabla does). Prints seconds per
training epoch (evaluation excluded) and test accuracy, then RESULT {json}.
Run with OpenBLAS: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE LD_LIBRARY_PATH=<openblas dir> /usr/bin/python3 torch_recipe.py"""
import argparse
import json
import time

import numpy as np
import torch

import fmnist


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="784,500,200,10")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--eta", type=float, default=0.001)
    ap.add_argument("--lambda", dest="lam", type=float, default=1.0)
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-train", type=int, default=50000)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    sizes = [int(s) for s in args.sizes.split(",")]
    xtr, ytr, xte, yte = fmnist.load(np.float32, n_train=args.n_train)
    X, Y, Xte = torch.from_numpy(xtr), torch.from_numpy(ytr), torch.from_numpy(xte)
    n = len(X)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers += [torch.nn.ReLU(), torch.nn.Dropout(args.dropout)]
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=args.eta, weight_decay=args.lam / 50000)
    times, accs = [], []
    for epoch in range(args.epochs):
        t = time.perf_counter()
        net.train()
        perm = torch.randperm(n)
        for i in range(0, n, args.batch):
            idx = perm[i:i + args.batch]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(X[idx]), Y[idx]).backward()
            opt.step()
        dt = time.perf_counter() - t
        times.append(dt)
        net.eval()
        with torch.no_grad():
            accs.append(float((net(Xte).argmax(1).numpy() == yte).mean()))
        print("Epoch {0}: test acc {1:.4f}  (train {2:.3f} s)".format(epoch, accs[-1], dt), flush=True)
    print("RESULT " + json.dumps({
        "peer": "torch_recipe", "torch": torch.__version__, "threads": torch.get_num_threads(),
        "sizes": sizes, "batch": args.batch, "eta": args.eta, "lambda": args.lam, "dropout": args.dropout,
        "n_train": n, "seed": args.seed, "epoch_train_s": times,
        "epoch_s_extrapolated_to_50000": [t * 50000 / n for t in times], "test_acc": accs}))


if __name__ == "__main__":
    main()
