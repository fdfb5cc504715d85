"""Writes Fashion-MNIST (Debian's dataset-fashion-mnist, IDX) as CSV tables: a header 'label,pixel0,...,pixel783', then one
row per image, label first (0-9), pixels 0-255. train.csv: 60,000 x 785; test.csv: 10,000 x 785. Not committed (~130 MB).
Run: /usr/bin/python3 bench/tables/fashion_mnist_csv.py OUT_DIR [IDX_DIR]"""
import gzip, os, sys
import numpy as np

out = sys.argv[1]
src = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"

def read(stem, offset):
    for name in (stem, stem + ".gz"):
        path = os.path.join(src, name)
        if os.path.exists(path):
            with (gzip.open if name.endswith(".gz") else open)(path, "rb") as f:
                return np.frombuffer(f.read(), np.uint8, offset=offset)
    raise SystemExit(f"{stem} not found in {src}")

os.makedirs(out, exist_ok=True)
header = "label," + ",".join(f"pixel{i}" for i in range(784)) + "\n"
# Each byte value's decimal text, so a row is one join (numpy's savetxt is ten times slower).
text = [str(v) for v in range(256)]
for part, images, labels in [("train", "train-images-idx3-ubyte", "train-labels-idx1-ubyte"), ("test", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")]:
    x = read(images, 16).reshape(-1, 784)
    y = read(labels, 8)
    with open(os.path.join(out, part + ".csv"), "w") as f:
        f.write(header)
        for label, row in zip(y, x):
            f.write(text[label] + "," + ",".join([text[v] for v in row.tolist()]) + "\n")
    print(f"{os.path.join(out, part + '.csv')}: {len(y)} rows, {os.path.getsize(os.path.join(out, part + '.csv')):,} bytes")
