#!/usr/bin/python3
"""PyTorch reference for aelab's VAE (the course's: 784-256-(2) / (2)-256-784).

The quality reference (test loss per epoch, split into reconstruction and
KL, nats per image) and the PyTorch side of a speed race (samples/s).

Model: encoder Linear(784->256), ReLU, Linear(256->2*latent) giving mu and
log sigma^2; z = mu + sigma * eps; decoder Linear(latent->256), ReLU,
Linear(256->784), Sigmoid folded into the loss. Loss as Keras' and PyTorch's
VAE examples define it: binary cross-entropy SUMMED over the pixels plus
KL(N(mu, sigma^2) || N(0, I)) = -1/2 sum(1 + log sigma^2 - mu^2 - sigma^2),
averaged over the images of a batch. log sigma^2 is clamped to [-30, 20],
as aelab's GaussianSample does. Keras' initialisation: Glorot-uniform weights,
zero biases. Adam(lr 1e-3, eps 1e-7), batch 256, reshuffled every epoch.
The test loss is evaluated with z = mu (no sampling), as aelab evaluates.

Must run with Debian's python (python3-torch): /usr/bin/python3.
  scripts/torch_vae.py --epochs 5 [--data /usr/share/datasets/fashion-mnist] [--json]
"""

import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_dense_ae import add_race_args, blas_report, glorot_uniform_, load_race_data

LOGVAR_MIN, LOGVAR_MAX = -30.0, 20.0


class VAE(nn.Module):
    def __init__(self, d_in=784, hidden=256, latent=2):
        super().__init__()
        self.latent = latent
        self.enc1, self.enc2 = nn.Linear(d_in, hidden), nn.Linear(hidden, 2 * latent)
        self.dec1, self.dec2 = nn.Linear(latent, hidden), nn.Linear(hidden, d_in)
        for lin in (self.enc1, self.enc2, self.dec1, self.dec2):
            glorot_uniform_(lin)

    def forward(self, x, sample=True):
        h = self.enc2(F.relu(self.enc1(x)))
        mu, logvar = h[:, :self.latent], h[:, self.latent:].clamp(LOGVAR_MIN, LOGVAR_MAX)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if sample else mu
        return self.dec2(F.relu(self.dec1(z))), mu, logvar


def losses(model, x, sample=True):
    """(reconstruction, KL), each summed over an image's pixels or latent units, averaged over images."""
    logits, mu, logvar = model(x, sample)
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
    kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum() / x.shape[0]
    return rec, kl


def evaluate(model, x, chunk=2500):
    model.eval()
    rec = kl = 0.0
    with torch.no_grad():
        for i in range(0, x.shape[0], chunk):
            r, k = losses(model, x[i:i + chunk], sample=False)
            n = min(chunk, x.shape[0] - i)
            rec, kl = rec + r.item() * n, kl + k.item() * n
    model.train()
    return rec / x.shape[0], kl / x.shape[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_race_args(ap)
    ap.add_argument("--latent", type=int, default=2)
    args = ap.parse_args()
    x_train, x_test = load_race_data(args)
    n, d = x_train.shape
    model = VAE(d, 256, args.latent)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7, foreach=True)
    gen = torch.Generator().manual_seed(args.seed)
    test_rec, test_kl, sps = [], [], []
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(n, generator=gen)
        t0 = time.perf_counter()
        for i in range(0, n, args.batch):
            xb = x_train[perm[i:i + args.batch]]
            rec, kl = losses(model, xb)
            opt.zero_grad(set_to_none=True)
            (rec + kl).backward()
            opt.step()
        dt = time.perf_counter() - t0
        r, k = evaluate(model, x_test)
        test_rec.append(r)
        test_kl.append(k)
        sps.append(n / dt)
        if not args.json:
            print(f"epoch {epoch:3d}  test loss {r + k:8.3f} = reconstruction {r:8.3f} + KL {k:6.3f} nats/image"
                  f"  {n / dt:9.0f} samples/s", flush=True)
    if args.json:
        print(json.dumps({"epochs": args.epochs, "test_bce": [a + b for a, b in zip(test_rec, test_kl)],
                          "test_reconstruction": test_rec, "test_kl": test_kl,
                          "test_loss": [a + b for a, b in zip(test_rec, test_kl)], "samples_per_s": sps,
                          "median_samples_per_s": statistics.median(sps), "threads": args.threads,
                          "batch": args.batch, "train_samples": n, "torch_version": torch.__version__,
                          "blas": blas_report()[0]}))


if __name__ == "__main__":
    main()
