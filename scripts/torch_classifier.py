#!/usr/bin/python3
"""PyTorch reference for lesson 10's fine-tuned classifier (scripts/aelab_classifier.lua is
aelab's side; scripts/bench-classifier.lua races the two).

Greedy layer-wise pretraining on the 8,000 MNIST training digits of aelab's cache (no labels):
  level 1: Linear(784->256), Sigmoid | Linear(256->784), BCE with logits on the pixels
  level 2: Linear(256->64), Sigmoid  | Linear(64->256), BCE with logits on level 1's codes
  Adam(lr 1e-3, eps 1e-7), batch 64, --pretrain-epochs each.
Then the encoders plus Linear(64->10) fine-tuned end to end with cross-entropy on the labelled
digits whose 0-based rows aelab wrote with --indices (or, without the file, the first 100 of each
class), Adam(lr 1e-3, eps 1e-7), batch 32; test accuracy on the 2,000 test digits after each epoch.
Glorot-uniform weights and zero biases, as aelab's Dense.

Must run with Debian's python (python3-torch): /usr/bin/python3.
"""

import argparse
import json
import os
import statistics
import time

import numpy as np
import torch
import torch.nn as nn

from idx import read_idx_images, read_idx_labels
from torch_dense_ae import glorot_uniform_


def mnist_dir():
    cache = os.environ.get("AELAB_CACHE") or ""
    if not cache:
        xdg = os.environ.get("XDG_CACHE_HOME") or ""
        cache = os.path.join(xdg if xdg else os.path.join(os.environ.get("HOME", "."), ".cache"), "aelab")
    return os.path.join(cache, "mnist")


def linear(d_in, d_out):
    layer = nn.Linear(d_in, d_out)
    glorot_uniform_(layer)
    return layer


def pretrain_level(x, d_code, epochs, gen):
    """One autoencoder level on x (N x D, values in [0, 1]); returns the encoder and the epochs' samples/s."""
    n, d = x.shape
    enc, dec = linear(d, d_code), linear(d_code, d)
    model = nn.Sequential(enc, nn.Sigmoid(), dec)
    crit = nn.BCEWithLogitsLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7, foreach=True)
    rates = []
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        t0 = time.perf_counter()
        for i in range(0, n, 64):
            xb = x[perm[i:i + 64]]
            loss = crit(model(xb), xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        rates.append(n / (time.perf_counter() - t0))
    return nn.Sequential(enc, nn.Sigmoid()), rates


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    model.train()
    return 100.0 * acc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=50, help="fine-tuning epochs (default 50)")
    ap.add_argument("--pretrain-epochs", type=int, default=5, help="epochs per pretraining level (default 5)")
    ap.add_argument("--indices", help="a .npy of the labelled rows (0-based), written by aelab_classifier.lua")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    d = mnist_dir()
    x_train = torch.from_numpy(read_idx_images(os.path.join(d, "train-images-idx3-ubyte.gz")))
    y_train = torch.from_numpy(read_idx_labels(os.path.join(d, "train-labels-idx1-ubyte.gz")))
    x_test = torch.from_numpy(read_idx_images(os.path.join(d, "t10k-images-idx3-ubyte.gz")))
    y_test = torch.from_numpy(read_idx_labels(os.path.join(d, "t10k-labels-idx1-ubyte.gz")))
    if args.indices:
        rows = torch.from_numpy(np.load(args.indices).astype(np.int64))
    else:
        rows = torch.cat([torch.nonzero(y_train == c).flatten()[:100] for c in range(10)])

    t0 = time.perf_counter()
    enc1, pre_rates = pretrain_level(x_train, 256, args.pretrain_epochs, gen)
    with torch.no_grad():
        codes = enc1(x_train)
    enc2, _ = pretrain_level(codes, 64, args.pretrain_epochs, gen)
    pre_seconds = time.perf_counter() - t0

    model = nn.Sequential(enc1, enc2, linear(64, 10))
    x, y = x_train[rows], y_train[rows]
    n = x.shape[0]
    crit = nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7, foreach=True)
    acc, rates, secs = [], [], []
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(n, generator=gen)
        t0 = time.perf_counter()
        for i in range(0, n, 32):
            idx = perm[i:i + 32]
            loss = crit(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        dt = time.perf_counter() - t0
        rates.append(n / dt)
        secs.append(dt)
        acc.append(accuracy(model, x_test, y_test))
        if not args.json:
            print(f"epoch {epoch:3d}  test accuracy {acc[-1]:.2f}%  {n / dt:10.0f} samples/s", flush=True)
    if args.json:
        print(json.dumps({
            "epochs": args.epochs, "test_accuracy": acc, "samples_per_s": rates,
            "median_samples_per_s": statistics.median(rates), "pretrain_seconds": pre_seconds,
            "finetune_seconds": sum(secs), "pretrain_samples_per_s": statistics.median(pre_rates),
            "threads": args.threads, "labels": n, "torch_version": torch.__version__,
        }))
    else:
        print(f"torch {torch.__version__}, {args.threads} thread(s), {n} labels: test accuracy {acc[-1]:.2f}%, "
              f"fine-tuning median {statistics.median(rates):.0f} samples/s, pretraining {pre_seconds:.1f} s")


if __name__ == "__main__":
    main()
