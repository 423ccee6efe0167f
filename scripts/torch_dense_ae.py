#!/usr/bin/python3
"""PyTorch reference for aelab: a 784-32-784 dense autoencoder on Fashion-MNIST.

Serves two purposes:
  * a quality reference (test BCE per epoch, Keras-like setup), and
  * the PyTorch side of the speed race (training samples/s per epoch).

Model: Linear(784->32), ReLU, Linear(32->784), Sigmoid. The loss is the mean
binary cross-entropy over all pixels, computed with BCEWithLogitsLoss on the
logits (numerically the same as Sigmoid + BCE, but stable).
Initialisation as in Keras: Glorot-uniform weights, zero biases.
Optimiser: Adam(lr 1e-3, eps 1e-7), batch 256, reshuffled every epoch.

Must run with Debian's python (python3-torch): /usr/bin/python3.

Torch (BLAS_INFO=generic) calls sgemm_ from whatever libblas.so.3 the dynamic
loader finds. To use BLIS' AVX-512 (skx) kernels with 2 threads run it as

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/blis-openmp \\
  BLIS_ARCH_TYPE=0 BLIS_NUM_THREADS=2 scripts/torch_dense_ae.py --json

The libblas actually mapped into the process is reported (field "blas").
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn

from idx import read_idx_images  # noqa: F401 (torch_conv_ae.py imports it from here)

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"


def glorot_uniform_(linear):
    nn.init.xavier_uniform_(linear.weight)  # U(-a, a), a = sqrt(6 / (fan_in + fan_out)), like Keras
    nn.init.zeros_(linear.bias)


def build_model(d_in=784, d_code=32, widths=None):
    """784-code-784, or with widths (e.g. [128, 64, 32]) the deep 784-128-64-32-64-128-784:
    ReLU after every layer but the last, whose Sigmoid is folded into the loss
    (BCEWithLogitsLoss), so the model outputs logits."""
    sizes = [d_in] + (list(widths) if widths else [d_code])
    sizes = sizes + sizes[-2::-1]
    layers = []
    for i in range(len(sizes) - 1):
        lin = nn.Linear(sizes[i], sizes[i + 1])
        glorot_uniform_(lin)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def evaluate_bce(model, x, chunk=2500):
    """Mean BCE over all pixels of x (N x D), eval mode, no grad."""
    model.eval()
    crit = nn.BCEWithLogitsLoss(reduction="sum")
    total = 0.0
    with torch.no_grad():
        for i in range(0, x.shape[0], chunk):
            xb = x[i:i + chunk]
            total += crit(model(xb), xb).item()
    model.train()
    return total / x.numel()


def mapped_blas_libs():
    """Paths of BLAS-like shared objects mapped into this process (from /proc/self/maps)."""
    keys = ("libblas", "libblis", "libopenblas", "libmkl", "libcblas", "libatlas", "libflexiblas")
    seen = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split(None, 5)
                if len(parts) < 6:
                    continue
                path = parts[5].strip()
                base = os.path.basename(path)
                if any(base.startswith(k) for k in keys) and path not in seen:
                    seen.append(path)
    except OSError:
        pass
    return seen


_BLIS_PROBE = r"""
import ctypes, json, sys
lib = ctypes.CDLL(sys.argv[1])
lib.bli_init()  # without it, bli_arch_query_id() aborts when BLIS_ARCH_TYPE is set
lib.bli_arch_query_id.restype = ctypes.c_int
lib.bli_arch_string.restype = ctypes.c_char_p
lib.bli_arch_string.argtypes = [ctypes.c_int]
lib.bli_thread_get_num_threads.restype = ctypes.c_long
lib.bli_info_get_version_str.restype = ctypes.c_char_p
print(json.dumps({
    "blis_version": lib.bli_info_get_version_str().decode(),
    "blis_arch": lib.bli_arch_string(lib.bli_arch_query_id()).decode(),
    "blis_num_threads": int(lib.bli_thread_get_num_threads()),
}))
"""


def blis_query(libblas_path):
    """Best effort: if the mapped libblas is BLIS, ask a BLIS library from the same folder which
    sub-configuration (kernel set) and thread count it selects under the current environment.
    The libblas.so.3 built by BLIS exports only BLAS symbols, so we ask the sibling libblis.so.*,
    which runs the same detection code with the same environment. This runs in a child process:
    BLIS abort()s on an invalid BLIS_ARCH_TYPE, and a best-effort report must not kill the run."""
    d = os.path.dirname(libblas_path)
    if "blis" not in d:
        return None
    for name in ("libblis.so.4", "libblis.so.3", "libblis.so"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            break
    else:
        return None
    try:
        r = subprocess.run([sys.executable, "-c", _BLIS_PROBE, p], capture_output=True,
                           text=True, timeout=30)
        if r.returncode != 0:
            msg = " ".join(r.stderr.split())[-300:]
            return {"blis_query_error": f"probe exited {r.returncode}: {msg}"}
        return json.loads(r.stdout)
    except Exception as e:  # noqa: BLE001 -- best effort only
        return {"blis_query_error": str(e)}


def torch_blas_info():
    m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    return m.group(1) if m else "unknown"


def blas_report():
    libs = mapped_blas_libs()
    libblas = next((p for p in libs if os.path.basename(p).startswith(("libblas", "libopenblas", "libmkl", "libblis"))), None)
    detail = {
        "torch_blas_info": torch_blas_info(),
        "mapped": libs,
        "libblas": os.path.realpath(libblas) if libblas else None,
        "env": {k: os.environ[k] for k in ("LD_LIBRARY_PATH", "BLIS_ARCH_TYPE", "BLIS_NUM_THREADS",
                                              "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
                if k in os.environ},
    }
    if libblas:
        q = blis_query(libblas)
        if q:
            detail.update(q)
    s = f"{detail['torch_blas_info']} -> {detail['libblas'] or 'no libblas mapped'}"
    if "blis_arch" in detail:
        nt = detail["blis_num_threads"]
        # BLIS returns -1 when neither BLIS_NUM_THREADS nor OMP_NUM_THREADS is set: it then runs 1 thread.
        nts = f"{nt} thread(s)" if nt > 0 else "1 thread (BLIS_NUM_THREADS unset)"
        s += f" (BLIS {detail['blis_version']} {detail['blis_arch']}, {nts})"
    return s, detail


def add_race_args(ap):
    """The options every PyTorch side of a race takes (torch_conv_ae.py and torch_vae.py too)."""
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--train-limit", type=int, default=0, help="use only the first N training images")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--data", default=DEFAULT_DATA,
                    help=f"folder with {{train,t10k}}-images-idx3-ubyte.gz (default {DEFAULT_DATA})")
    ap.add_argument("--json", action="store_true", help="print one final JSON line instead of per-epoch lines")


def load_race_data(args):
    """Threads and seed set, then the training and test images as (N, 784) float tensors in [0, 1]."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train = read_idx_images(os.path.join(args.data, "train-images-idx3-ubyte.gz"))
    x_test = read_idx_images(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"))
    if args.train_limit > 0:
        x_train = x_train[:args.train_limit]
    return torch.from_numpy(np.ascontiguousarray(x_train)), torch.from_numpy(np.ascontiguousarray(x_test))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    add_race_args(ap)
    ap.add_argument("--code", type=int, default=32, help="code size (default 32)")
    ap.add_argument("--widths", default="", help="encoder widths, e.g. 128,64,32 for the deep model")
    args = ap.parse_args()
    if args.epochs < 1 or args.batch < 1 or args.threads < 1:
        ap.error("--epochs, --batch and --threads must be >= 1")

    x_train, x_test = load_race_data(args)
    n, d = x_train.shape

    model = build_model(d, args.code, [int(w) for w in args.widths.split(",")] if args.widths else None)
    crit = nn.BCEWithLogitsLoss()  # mean over batch * pixels
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7, foreach=True)
    gen = torch.Generator().manual_seed(args.seed)
    xb_buf = torch.empty(args.batch, d)

    test_bce, sps, secs = [], [], []
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(n, generator=gen)
        t0 = time.perf_counter()
        for i in range(0, n, args.batch):
            idx = perm[i:i + args.batch]
            xb = torch.index_select(x_train, 0, idx, out=xb_buf[:idx.shape[0]])
            loss = crit(model(xb), xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        dt = time.perf_counter() - t0
        bce = evaluate_bce(model, x_test)
        test_bce.append(bce)
        sps.append(n / dt)
        secs.append(dt)
        if not args.json:
            print(f"epoch {epoch:3d}  test_bce {bce:.6f}  {n / dt:10.0f} samples/s  ({dt:.3f} s)", flush=True)

    blas_str, blas_detail = blas_report()
    if args.json:
        print(json.dumps({
            "epochs": args.epochs,
            "test_bce": test_bce,
            "samples_per_s": sps,
            "median_samples_per_s": statistics.median(sps),
            "epoch_seconds": secs,
            "threads": args.threads,
            "batch": args.batch,
            "train_samples": n,
            "torch_version": torch.__version__,
            "blas": blas_str,
            "blas_detail": blas_detail,
        }))
    else:
        print(f"torch {torch.__version__}, {args.threads} thread(s), batch {args.batch}, {n} train images; "
              f"median {statistics.median(sps):.0f} samples/s; blas: {blas_str}")


if __name__ == "__main__":
    main()
