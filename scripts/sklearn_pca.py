#!/usr/bin/python3
"""scikit-learn's PCA on Fashion-MNIST train (60000 x 784), the reference that
scripts/bench_pca.lua races aelab's exact PCA against.

Two ways to run it:

  scripts/sklearn_pca.py --k 32 --solver randomized      one fit, one JSON line
  scripts/sklearn_pca.py --k 32 --serve                   a server for the bench:

In --serve mode the data is loaded once; each line on stdin is a command and
each answer is one JSON line on stdout:

  fit randomized | fit full    -> {"solver":..., "seconds":..., "ratio_sum":...}
                                   (the fitted model is kept per solver)
  compare DIR                  -> how aelab's components.npy (k x D) and
                                   ratio.npy (k) in DIR agree with each kept fit:
                                   max |ratio difference|, principal angles of
                                   the two subspaces, min |dot| of matched rows
  quit

Must run with Debian's python (python3-sklearn): /usr/bin/python3. numpy and
scipy call whatever libblas.so.3 / liblapack.so.3 the loader finds (on Debian
with BLIS installed: BLIS' OpenMP build and reference LAPACK). Give them
threads with BLIS_NUM_THREADS (the bench sets 2, as many as aelab uses).
"""

import argparse
import json
import re
import sys
import time

import numpy as np
from sklearn.decomposition import PCA

from idx import read_idx_images

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def blas_libraries():
    """The BLAS/LAPACK shared objects mapped into this process."""
    found = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if re.search(r"lib(blas|lapack|blis|openblas|mkl|flame)[^/]*\.so", path):
                found.add(path)
    return sorted(found)


def fit(x, k, solver):
    pca = PCA(n_components=k, svd_solver=solver, random_state=0)
    t0 = time.perf_counter()
    pca.fit(x)
    return pca, time.perf_counter() - t0


def compare(fits, folder):
    """Agreement of aelab's fit (components.npy, ratio.npy in folder) with each kept fit."""
    comps = np.load(f"{folder}/components.npy").astype(np.float64)
    ratio = np.load(f"{folder}/ratio.npy").astype(np.float64)
    out = {}
    for solver, pca in fits.items():
        ref = pca.components_.astype(np.float64)
        ref_ratio = pca.explained_variance_ratio_.astype(np.float64)
        # principal angles between the two k-dim subspaces: the singular values
        # of A·Bᵀ (both with orthonormal rows) are their cosines
        cosines = np.clip(np.linalg.svd(comps @ ref.T, compute_uv=False), 0.0, 1.0)
        dots = np.abs(np.sum(comps * ref, axis=1))
        out[solver] = {
            "max_ratio_diff": float(np.max(np.abs(ratio - ref_ratio))),
            "max_angle_deg": float(np.degrees(np.arccos(cosines.min()))),
            "min_cos": float(cosines.min()),
            "min_matched_dot": float(dots.min()),
            "first_matched_dot_below_0.99": int(np.argmax(dots < 0.99)) + 1 if np.any(dots < 0.99) else None,
            "ratio_sum": float(ref_ratio.sum()),
        }
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--k", type=int, default=32)
    ap.add_argument("--solver", default="randomized", choices=["randomized", "full", "arpack"])
    ap.add_argument("--serve", action="store_true", help="answer commands on stdin (see the top of this file)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    x = read_idx_images(args.data)
    load_s = time.perf_counter() - t0
    if not args.serve:
        pca, s = fit(x, args.k, args.solver)
        print(json.dumps({"solver": args.solver, "seconds": s, "load_seconds": load_s,
                          "ratio_sum": float(pca.explained_variance_ratio_.sum()), "blas": blas_libraries()}))
        return

    fits = {}
    print(json.dumps({"ready": True, "shape": list(x.shape), "load_seconds": load_s, "blas": blas_libraries()}),
          flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "fit" and len(words) == 2:
            pca, s = fit(x, args.k, words[1])
            fits[words[1]] = pca
            answer = {"solver": words[1], "seconds": s, "ratio_sum": float(pca.explained_variance_ratio_.sum())}
        elif words[0] == "compare" and len(words) == 2:
            answer = compare(fits, words[1])
        else:
            answer = {"error": f"unknown command {line.strip()!r}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
