#!/usr/bin/python3
"""dnn_torch.py: the DNN app's MLP in PyTorch on CPU, one thread, for
experiments/bench_dnn.sh to run side by side with stale: same layers, He
normal init with zero biases, plain SGD, batch, learning rate and epochs,
each epoch's data in a fresh random order, and the same work between the
timer's start and stop: before each epoch the full held-out set is
evaluated, as stale's clock c starts by evaluating the model it read.
Prints one line: torch images_per_s N accuracy A seconds S.

usage: dnn_torch.py [--data DIR] [--layers 784-256-128-10] [--batch 64]
                    [--lr 0.2] [--epochs 3] [--seed 1]
A comparison tool only: nothing in the build or the tests imports it."""
import argparse
import gzip
import os
import struct
import time

import numpy as np
import torch


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndims = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 8, path
    dims = struct.unpack(">" + "I" * ndims, data[4:4 + 4 * ndims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndims).reshape(dims)


def find(d, base):
    for name in (base, base + ".gz"):
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    raise SystemExit(f"dnn_torch.py: {d}: neither {base} nor {base}.gz")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--layers", default="784-256-128-10")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.2)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    x = read_idx(find(a.data, "train-images-idx3-ubyte"))
    y = read_idx(find(a.data, "train-labels-idx1-ubyte"))
    tx = read_idx(find(a.data, "t10k-images-idx3-ubyte"))
    ty = read_idx(find(a.data, "t10k-labels-idx1-ubyte"))
    x = torch.from_numpy(x.reshape(len(x), -1).astype(np.float32) / 255.0)
    tx = torch.from_numpy(tx.reshape(len(tx), -1).astype(np.float32) / 255.0)
    y = torch.from_numpy(y.astype(np.int64))
    ty = torch.from_numpy(ty.astype(np.int64))
    sizes = [int(s) for s in a.layers.split("-")]
    mods = []
    for i in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        torch.nn.init.normal_(lin.weight, 0.0, (2.0 / sizes[i]) ** 0.5)
        torch.nn.init.zeros_(lin.bias)
        mods.append(lin)
        if i + 2 < len(sizes):
            mods.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*mods)
    opt = torch.optim.SGD(net.parameters(), lr=a.lr)
    lossf = torch.nn.CrossEntropyLoss()
    batches = (len(x) + a.batch - 1) // a.batch

    def accuracy():
        with torch.no_grad():
            correct = 0
            for i in range(0, len(tx), a.batch):
                correct += (net(tx[i:i + a.batch]).argmax(1) == ty[i:i + a.batch]).sum().item()
        return correct / len(tx)

    images = 0
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        accuracy()
        order = torch.randperm(len(x))
        for b in range(batches):
            idx = order[b * a.batch:(b + 1) * a.batch]
            opt.zero_grad()
            loss = lossf(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
            images += len(idx)
    seconds = time.perf_counter() - t0
    print(f"torch images_per_s {images / seconds:.0f} accuracy {accuracy():.4f} seconds {seconds:.3f}")


if __name__ == "__main__":
    main()
