# Copied from the project's peer baselines (shared/peers/fmnist.py, measured in shared/peers/RESULTS.md); unchanged below this line.
"""Fashion-MNIST loader shared by the Python peers.

Reads the IDX .gz files from /usr/share/datasets/fashion-mnist/.
Training set = first 50,000 of the 60,000 training images (as Nielsen does
with MNIST); test set = the 10,000 t10k images.
Pixels scaled to [0,1] (x / 255), labels returned as int and as one-hot.
"""
import gzip
import os
import struct

import numpy as np

DATA_DIR = os.environ.get("FMNIST_DIR", "/usr/share/datasets/fashion-mnist")


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load(dtype=np.float32, n_train=50000):
    """Returns (x_train [n,784], y_train_int [n], x_test [10000,784], y_test_int [10000])."""
    xtr = _read_idx(os.path.join(DATA_DIR, "train-images-idx3-ubyte.gz"))
    ytr = _read_idx(os.path.join(DATA_DIR, "train-labels-idx1-ubyte.gz"))
    xte = _read_idx(os.path.join(DATA_DIR, "t10k-images-idx3-ubyte.gz"))
    yte = _read_idx(os.path.join(DATA_DIR, "t10k-labels-idx1-ubyte.gz"))
    xtr = (xtr[:n_train].reshape(n_train, 784).astype(dtype) / dtype(255.0)).astype(dtype)
    ytr = ytr[:n_train].astype(np.int64)
    xte = (xte.reshape(-1, 784).astype(dtype) / dtype(255.0)).astype(dtype)
    yte = yte.astype(np.int64)
    return xtr, ytr, xte, yte


def one_hot(y, dtype=np.float32):
    out = np.zeros((len(y), 10), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out
