#!/usr/bin/env bash
# The best fully-connected Fashion-MNIST network found on the validation split (the last 10,000
# training images): [784, 500, 200, 10], ReLU hidden layers, softmax outputs with the log-likelihood
# cost, Adam (η = 0.001, m = 128), L2 with λ = 1, dropout p = 0.3 on the hidden layers, chapter 3's
# halving schedule (halve η after 3 epochs without improvement, at most 4 halvings) and early stopping
# (patience 6, keeping the best network). The test set is used once, at the end (final_test_accuracy).
#
# Runs the installed `nabla` tool; its stdout is the run's JSON. Needs the full Fashion-MNIST
# (Debian's dataset-fashion-mnist in /usr/share/datasets/fashion-mnist, or pass --data DIR as $1).
# Install the tool: dotnet pack src/Nabla.Cli -c Release -o artifacts &&
#                   dotnet tool install --global Nabla.Cli --add-source artifacts
set -euo pipefail
command -v nabla >/dev/null || { echo "fashion-mnist-best.sh: the nabla tool is not installed (see the comment at the top)" >&2; exit 2; }
data_args=()
if [[ $# -ge 1 ]]; then data_args=(--data "$1"); fi
exec nabla train --json --validation "${data_args[@]}" \
  --layers 784,500,200,10 --activation relu,relu,softmax --cost log-likelihood --init scaled-normal \
  --optimizer adam --eta 0.001 --batch 128 --lambda 1 --regularization l2 --dropout 0.3 \
  --schedule halving --halving-patience 3 --halvings 4 --early-stopping 6 --epochs 35 --seed 1
