#!/usr/bin/env python3
"""The performance model of data-parallel training (docs/distributed.md): per step, compute against ring all-reduce.

For a network with P parameters (float32: 4P bytes of gradient) and M multiply-adds per example for one training step
(forward, BP2 and ∂C/∂w), N nodes each computing m examples of a global mini-batch of B = N·m:
    compute(N)    = 2·M·B / (N·F)                      F: one node's FLOP/s in training
    all-reduce(N) = 2(N−1)/N · 4P / bandwidth + 2(N−1)·α   (ring: reduce-scatter then all-gather, 2(N−1) messages)
    speed-up(N)   = compute(1) / (compute(N) + all-reduce(N))
N nodes pay off from the B at which speed-up > 1, and are worth having (efficiency speed-up/N ≥ 0.8) from a larger B.
Usage: bench/distributed_model.py [--flops 1e11] [--latency-us 20] [--nodes 2,4,8]
"""
import argparse


def macs_per_example(sizes):
    forward = sum(sizes[l] * sizes[l - 1] for l in range(1, len(sizes)))
    bp2 = sum(sizes[l + 1] * sizes[l] for l in range(1, len(sizes) - 1))  # no δ for the input layer
    return 2 * forward + bp2  # forward, ∂C/∂w (the same products), BP2


def parameters(sizes):
    return sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, len(sizes)))


def step_times(sizes, batch, nodes, flops, bandwidth_bytes, latency_s):
    compute = 2 * macs_per_example(sizes) * batch / (nodes * flops)
    if nodes == 1:
        return compute, 0.0
    reduce = 2 * (nodes - 1) / nodes * 4 * parameters(sizes) / bandwidth_bytes + 2 * (nodes - 1) * latency_s
    return compute, reduce


def smallest_batch(sizes, nodes, flops, bandwidth, latency, efficiency):
    """The smallest global mini-batch B (a multiple of N) at which N nodes reach speed-up > N·efficiency (efficiency 0: > 1)."""
    b = nodes
    while b < 1 << 24:
        c1, _ = step_times(sizes, b, 1, flops, bandwidth, latency)
        cn, rn = step_times(sizes, b, nodes, flops, bandwidth, latency)
        speedup = c1 / (cn + rn)
        if (efficiency == 0 and speedup > 1) or (efficiency > 0 and speedup >= efficiency * nodes):
            return b
        b += nodes
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--flops", type=float, default=1e11, help="one node's training FLOP/s (measured: nabla bench)")
    p.add_argument("--latency-us", type=float, default=20.0, help="per-message latency α (TCP ~20 µs, RDMA ~2 µs)")
    p.add_argument("--nodes", default="2,4,8")
    a = p.parse_args()
    nets = [[784, 30, 10], [784, 500, 200, 10], [784, 1000, 1000, 10]]
    links = [("10 Gbit/s", 10e9 / 8), ("100 Gbit/s", 100e9 / 8)]
    print(f"F = {a.flops / 1e9:.0f} GFLOP/s per node, α = {a.latency_us:g} µs per message\n")
    print("| network | P | gradient (float32) | MACs/example | link | N | all-reduce per step | B from which N nodes are faster | B for 80 % efficiency |")
    print("|---|---|---|---|---|---|---|---|---|")
    for sizes in nets:
        P = parameters(sizes)
        for name, bw in links:
            for n in (int(x) for x in a.nodes.split(",")):
                _, r = step_times(sizes, n, n, a.flops, bw, a.latency_us * 1e-6)
                faster = smallest_batch(sizes, n, a.flops, bw, a.latency_us * 1e-6, 0)
                good = smallest_batch(sizes, n, a.flops, bw, a.latency_us * 1e-6, 0.8)
                print(f"| [{','.join(map(str, sizes))}] | {P:,} | {4 * P / 1e6:.2f} MB | {macs_per_example(sizes):,} | {name} | {n} | "
                      f"{r * 1e3:.3f} ms | {faster:,} | {good:,} |")


if __name__ == "__main__":
    main()
