#!/usr/bin/python3
"""PyTorch reference for aelab's image race: lesson 13's convolutional model on 3x64x64 crops.

The PyTorch side of scripts/bench-images.lua (training samples/s per epoch, test MSE per epoch).
Model: 3x3 'same' convolutions 3->16->16->16->3 with ReLU between, sigmoid out; loss: mean squared
error against the clean crop; Glorot-uniform weights and zero biases (as aelab's default); Adam
(lr 2e-3, eps 1e-7), reshuffled every epoch. Data: the .npy files bench-images.lua wrote
(PREFIX-train-x.npy etc., float32 N x 3 x 64 x 64). Run with Debian's python: /usr/bin/python3.
"""

import argparse
import json
import statistics
import time

import numpy as np
import torch
import torch.nn as nn


def build_model():
    def conv(cin, cout):
        c = nn.Conv2d(cin, cout, 3, padding=1)
        nn.init.xavier_uniform_(c.weight)
        nn.init.zeros_(c.bias)
        return c

    return nn.Sequential(conv(3, 16), nn.ReLU(), conv(16, 16), nn.ReLU(), conv(16, 16), nn.ReLU(), conv(16, 3),
                         nn.Sigmoid())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="prefix of the .npy files")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    load = lambda name: torch.from_numpy(np.ascontiguousarray(np.load(f"{args.data}-{name}.npy")))
    xtr, ytr, xte, yte = load("train-x"), load("train-y"), load("test-x"), load("test-y")
    n = xtr.shape[0]
    model = build_model()
    crit = nn.MSELoss()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3, eps=1e-7, foreach=True)
    gen = torch.Generator().manual_seed(args.seed)
    test_mse, sps = [], []
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(n, generator=gen)
        t0 = time.perf_counter()
        for i in range(0, n, args.batch):
            idx = perm[i:i + args.batch]
            loss = crit(model(xtr[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        dt = time.perf_counter() - t0
        with torch.no_grad():
            test_mse.append(float(crit(model(xte), yte)))
        sps.append(n / dt)
        if not args.json:
            print(f"epoch {epoch:3d}  test_mse {test_mse[-1]:.6f}  {n / dt:8.0f} samples/s", flush=True)
    if args.json:
        print(json.dumps({"epochs": args.epochs, "test_bce": test_mse, "samples_per_s": sps,
                          "median_samples_per_s": statistics.median(sps), "threads": args.threads,
                          "torch_version": torch.__version__}))


if __name__ == "__main__":
    main()
