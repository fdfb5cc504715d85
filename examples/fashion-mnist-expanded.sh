#!/usr/bin/env bash
# Chapter 3's expanded training data on Fashion-MNIST: each epoch sees every training image shifted by up to one
# pixel right/left and down/up (the book's expand_mnist.py moves, drawn anew each epoch, made as the mini-batches are
# gathered: no second copy of the data). The configuration was chosen on the validation split (the last 10,000 training
# images): [784, 1000, 500, 10], ReLU hidden layers, softmax outputs with the log-likelihood cost, Adam (η = 0.001,
# m = 128), L2 with λ = 1, dropout p = 0.4 on the hidden layers, chapter 3's halving schedule (halve η after 5 epochs
# without improvement, stop after 5 halvings), keeping the best epoch's network. The test set is used once, at the end
# (final_test_accuracy). Rotations (5°, 10°), shifts of 2 pixels, mirroring, momentum SGD, smaller batches and wider or
# narrower layers all scored lower on the validation split (README, "Results").
#
# Runs the installed `nabla` tool; its stdout is the run's JSON. Needs the full Fashion-MNIST (Debian's
# dataset-fashion-mnist in /usr/share/datasets/fashion-mnist, or pass --data DIR as $1). SEED=2 picks another seed.
# Install the tool: dotnet pack src/Nabla.Cli -c Release -o artifacts &&
#                   dotnet tool install --global Nabla.Cli --add-source artifacts
set -euo pipefail
command -v nabla >/dev/null || { echo "fashion-mnist-expanded.sh: the nabla tool is not installed (see the comment at the top)" >&2; exit 2; }
data_args=()
if [[ $# -ge 1 ]]; then data_args=(--data "$1"); fi
exec nabla train --json --validation "${data_args[@]}" --expand \
  --layers 784,1000,500,10 --activation relu,relu,softmax --cost log-likelihood --init scaled-normal \
  --optimizer adam --eta 0.001 --batch 128 --lambda 1 --regularization l2 --dropout 0.4 \
  --schedule halving --halving-patience 5 --halvings 5 --epochs 150 --seed "${SEED:-1}"
