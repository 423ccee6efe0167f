#!/usr/bin/python3
"""PyTorch reference for aelab: the Keras tutorial's convolutional autoencoder on Fashion-MNIST.

The PyTorch side of scripts/bench-conv.lua (training samples/s per epoch, test BCE per epoch).

Model (all 3x3, ReLU, 'same' padding unless said; pooling 2x2 with Keras' 'same' = ceil_mode):
  encoder  Conv 1->16, pool, Conv 16->8, pool, Conv 8->8, pool          (8x4x4 code)
  decoder  Conv 8->8, up, Conv 8->8, up, Conv 8->16 'valid' (16->14), up, Conv 16->1 (logits)
Loss: mean BCE over pixels (BCEWithLogitsLoss on the logits: Sigmoid + BCE, stable).
Initialisation as in Keras: Glorot-uniform weights (fan = channels * 3 * 3), zero biases.
Optimiser: Adam(lr 1e-3, eps 1e-7), batch 256, reshuffled every epoch. Convolutions run on
PyTorch's CPU backend (oneDNN where it applies). Run with Debian's python: /usr/bin/python3.
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_dense_ae import add_race_args, evaluate_bce, load_race_data  # noqa: E402


def build_model():
    def conv(cin, cout, padding=1):  # 1 = Keras "same" for 3x3, stride 1
        c = nn.Conv2d(cin, cout, 3, padding=padding)
        nn.init.xavier_uniform_(c.weight)
        nn.init.zeros_(c.bias)
        return c

    def pool():
        return nn.MaxPool2d(2, ceil_mode=True)

    def up():
        return nn.Upsample(scale_factor=2, mode="nearest")

    return nn.Sequential(
        conv(1, 16), nn.ReLU(), pool(), conv(16, 8), nn.ReLU(), pool(), conv(8, 8), nn.ReLU(), pool(),
        conv(8, 8), nn.ReLU(), up(), conv(8, 8), nn.ReLU(), up(), conv(8, 16, padding=0), nn.ReLU(), up(),
        conv(16, 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_race_args(ap)
    args = ap.parse_args()
    x_train, x_test = load_race_data(args)
    x_train, x_test = x_train.reshape(-1, 1, 28, 28), x_test.reshape(-1, 1, 28, 28)
    n = x_train.shape[0]
    model = build_model()
    crit = nn.BCEWithLogitsLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7, foreach=True)
    gen = torch.Generator().manual_seed(args.seed)
    test_bce, sps = [], []
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(n, generator=gen)
        t0 = time.perf_counter()
        for i in range(0, n, args.batch):
            xb = x_train[perm[i:i + args.batch]]
            loss = crit(model(xb), xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        dt = time.perf_counter() - t0
        test_bce.append(evaluate_bce(model, x_test))
        sps.append(n / dt)
        if not args.json:
            print(f"epoch {epoch:3d}  test_bce {test_bce[-1]:.6f}  {n / dt:8.0f} samples/s", flush=True)
    if args.json:
        print(json.dumps({"epochs": args.epochs, "test_bce": test_bce, "samples_per_s": sps,
                          "median_samples_per_s": statistics.median(sps), "threads": args.threads,
                          "torch_version": torch.__version__, "mkldnn": torch.backends.mkldnn.is_available()}))
    else:
        print(f"torch {torch.__version__}, {args.threads} thread(s): median {statistics.median(sps):.0f} samples/s")


if __name__ == "__main__":
    main()
