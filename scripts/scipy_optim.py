#!/usr/bin/env python3
"""The problems of scripts/bench-optim.lua, minimized by scipy.optimize.minimize.

    python3 scripts/scipy_optim.py DIR

DIR holds what bench-optim.lua wrote: problem.json ({"problems": [{"name",
"layers": [{"W": "file.npy", "b": "file.npy", "act": "tanh"|"sigmoid"|"relu"|
"identity"}], "x": "file.npy", "runs": [{"method": "L-BFGS-B"|"CG"|"Powell",
"options": {...}}]}]}) and the .npy files: the same initial weights and
data aelab starts from. The model is the same chain of Dense layers (y = x·Wᵀ
+ b, then the activation) and the loss the same BCE per pixel (outputs
clamped to [1e-7, 1 − 1e-7], as Keras and aelab do), in float64 here, float32
in aelab. Prints one JSON line per run: {"problem", "method", "loss", "nfev",
"njev", "nit", "seconds", "message"}.
"""
import json
import os
import sys
import time

import numpy as np
from scipy.optimize import minimize

EPS = 1e-7


def act(name, z):
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "relu":
        return np.maximum(z, 0.0)
    return z


def dact(name, h, z):
    """d act / d z from the output h (and input z for ReLU)."""
    if name == "tanh":
        return 1.0 - h * h
    if name == "sigmoid":
        return h * (1.0 - h)
    if name == "relu":
        return (z > 0).astype(z.dtype)
    return np.ones_like(z)


class Problem:
    def __init__(self, d, spec):
        self.x = np.load(os.path.join(d, spec["x"])).astype(np.float64)
        self.acts = [l["act"] for l in spec["layers"]]
        ws = [np.load(os.path.join(d, l["W"])).astype(np.float64) for l in spec["layers"]]
        bs = [np.load(os.path.join(d, l["b"])).astype(np.float64).reshape(-1) for l in spec["layers"]]
        self.shapes = [(w.shape, b.shape) for w, b in zip(ws, bs)]
        self.w0 = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(ws, bs)])

    def unpack(self, w):
        out, k = [], 0
        for (ws, bs) in self.shapes:
            nw, nb = ws[0] * ws[1], bs[0]
            out.append((w[k:k + nw].reshape(ws), w[k + nw:k + nw + nb]))
            k += nw + nb
        return out

    def loss(self, w):
        h = self.x
        for (W, b), a in zip(self.unpack(w), self.acts):
            h = act(a, h @ W.T + b)
        p = np.clip(h, EPS, 1 - EPS)
        t = self.x
        return float(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)))

    def loss_grad(self, w):
        params = self.unpack(w)
        hs, zs = [self.x], []
        for (W, b), a in zip(params, self.acts):
            z = hs[-1] @ W.T + b
            zs.append(z)
            hs.append(act(a, z))
        p = np.clip(hs[-1], EPS, 1 - EPS)
        t = self.x
        n = t.size
        f = float(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)))
        # BCE after a sigmoid: dL/dz = (p - t)/n (aelab's fused form)
        last = len(params) - 1
        if self.acts[last] == "sigmoid":
            dz = (hs[-1] - t) / n
        else:
            dh = (p - t) / (p * (1 - p)) / n
            dz = dh * dact(self.acts[last], hs[-1], zs[-1])
        grads = [None] * len(params)
        for i in range(last, -1, -1):
            W, _ = params[i]
            grads[i] = (dz.T @ hs[i], dz.sum(axis=0))
            if i > 0:
                dz = (dz @ W) * dact(self.acts[i - 1], hs[i], zs[i - 1])
        return f, np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in grads])


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "problem.json")) as fh:
        spec = json.load(fh)
    results = []
    for ps in spec["problems"]:
        prob = Problem(d, ps)
        for run in ps["runs"]:
            m = run["method"]
            t0 = time.perf_counter()
            if m == "Powell":
                r = minimize(prob.loss, prob.w0, method=m, options=run.get("options", {}))
            else:
                r = minimize(prob.loss_grad, prob.w0, jac=True, method=m, options=run.get("options", {}))
            secs = time.perf_counter() - t0
            results.append({"problem": ps["name"], "method": m, "loss": float(r.fun), "nfev": int(r.nfev),
                            "njev": int(getattr(r, "njev", 0) or 0), "nit": int(getattr(r, "nit", 0) or 0),
                            "seconds": secs, "message": str(r.message)})
            print("scipy  %s %s: done in %.2f s" % (ps["name"], m, secs), flush=True)
    # whole or not at all: bench-optim.lua reads it after this process ends
    tmp = os.path.join(d, "scipy.json.tmp")
    with open(tmp, "w") as fh:
        json.dump(results, fh)
    os.replace(tmp, os.path.join(d, "scipy.json"))


if __name__ == "__main__":
    main()
