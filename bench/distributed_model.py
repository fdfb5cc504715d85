#!/usr/bin/env python3
"""The performance model of data-parallel training (docs/distributed.md): per step, compute against ring all-reduce.

For a network with P parameters (float32: 4P bytes of gradient) and M multiply-adds per example for one training step
(forward, BP2 and ∂C/∂w), N nodes each computing m examples of a global mini-batch of B = N·m:
    compute(N)    = 2·M·B / (N·F)                          F: one node's FLOP/s in training (nabla bench)
    all-reduce(N) = 2(N−1)/N · 4P / bandwidth + 2(N−1)·α   ring: reduce-scatter then all-gather, 2(N−1) messages of 4P/N
    speed-up(N)   = compute(1) / (compute(N) + all-reduce(N))
With k = 2M/F (seconds per example on one node) and R = all-reduce(N), which does not depend on B:
    speed-up > 1        ⟺  B > R / (k·(1 − 1/N))                 (N nodes are faster than one)
    speed-up ≥ e·N      ⟺  B ≥ e·N·R / (k·(1 − e))               (efficiency e, e.g. 0.8)
both rounded up to a multiple of N. The model assumes F does not fall as each node's share m = B/N shrinks; it does
(small products run below peak: measure F with nabla bench at the per-node m you mean to use), so these batches are lower bounds.
Usage: bench/distributed_model.py [--flops 1e11 | --flops F1,F2,F3 (one per network)] [--nodes 2,4,8] [--efficiency 0.8]
"""
import argparse
import math

NETWORKS = [[784, 30, 10], [784, 500, 200, 10], [784, 1000, 1000, 10]]
# (name, bytes/s, per-message latency α): 10 GbE through TCP; 100 Gbit/s InfiniBand or RoCE through RDMA.
LINKS = [("10 Gbit/s", 10e9 / 8, 20e-6), ("100 Gbit/s", 100e9 / 8, 3e-6)]


def macs_per_example(sizes):
    forward = sum(sizes[l] * sizes[l - 1] for l in range(1, len(sizes)))
    bp2 = sum(sizes[l + 1] * sizes[l] for l in range(1, len(sizes) - 1))  # no δ for the input layer
    return 2 * forward + bp2  # forward, ∂C/∂w (the same products), BP2


def parameters(sizes):
    return sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, len(sizes)))


def all_reduce_seconds(sizes, nodes, bandwidth, latency, value_bytes=4):
    if nodes == 1:
        return 0.0
    return 2 * (nodes - 1) / nodes * value_bytes * parameters(sizes) / bandwidth + 2 * (nodes - 1) * latency


def batch_from_which(sizes, nodes, flops, bandwidth, latency, efficiency=None):
    """The smallest global mini-batch B (a multiple of N) from which N nodes are faster than one (efficiency None) or reach efficiency e."""
    k = 2 * macs_per_example(sizes) / flops
    r = all_reduce_seconds(sizes, nodes, bandwidth, latency)
    if efficiency is None:
        b = r / (k * (1 - 1 / nodes))
        b = math.floor(b / nodes) * nodes + nodes  # strictly greater
    else:
        b = efficiency * nodes * r / (k * (1 - efficiency))
        b = math.ceil(b / nodes) * nodes
    return max(b, nodes)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--flops", default="1e11", help="one node's training FLOP/s (measured: nabla bench), one number or one per network")
    p.add_argument("--nodes", default="2,4,8")
    p.add_argument("--efficiency", type=float, default=0.8)
    a = p.parse_args()
    flops = [float(x) for x in a.flops.split(",")]
    if len(flops) == 1:
        flops *= len(NETWORKS)
    if len(flops) != len(NETWORKS):
        p.error(f"--flops: give one number or {len(NETWORKS)}")
    nodes = [int(x) for x in a.nodes.split(",")]
    print("| network | P | gradient (float32) | MACs/example | F per node | one node, per example | link | N | all-reduce per step "
          f"| B from which N nodes are faster | B for {a.efficiency:.0%} efficiency |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for sizes, f in zip(NETWORKS, flops):
        P = parameters(sizes)
        per_example = 2 * macs_per_example(sizes) / f
        for name, bandwidth, latency in LINKS:
            for n in nodes:
                r = all_reduce_seconds(sizes, n, bandwidth, latency)
                faster = batch_from_which(sizes, n, f, bandwidth, latency)
                good = batch_from_which(sizes, n, f, bandwidth, latency, a.efficiency)
                print(f"| [{','.join(map(str, sizes))}] | {P:,} | {4 * P / 1e6:.2f} MB | {macs_per_example(sizes):,} | {f / 1e9:.0f} GFLOP/s | "
                      f"{per_example * 1e6:.2f} µs | {name} (α {latency * 1e6:g} µs) | {n} | {r * 1e3:.3f} ms | {faster:,} | {good:,} |")


if __name__ == "__main__":
    main()
