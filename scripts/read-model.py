#!/usr/bin/python3
"""Reads an aelab model file with json + numpy alone (Debian has no
safetensors package) and runs a dense model's forward pass in numpy.

  scripts/read-model.py model.safetensors                 the header, tensors and architecture
  scripts/read-model.py model.safetensors x.npy y.npy     also forward(x) in numpy against aelab's y:
                                                          prints the largest difference

The file is safetensors: 8 bytes of header length (little-endian), a JSON
header (tensor name -> dtype, shape, data_offsets; __metadata__ with
aelab's architecture as a JSON string), then raw little-endian float32.
Tensors are named layers.<i>.weight / layers.<i>.bias, i the 0-based layer.
"""
import json
import struct
import sys
import zlib

import numpy as np


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    if "crc32" in meta and zlib.crc32(data) != int(meta["crc32"], 16):
        sys.exit(f"{path}: wrong checksum")
    tensors = {}
    for name, t in header.items():
        assert t["dtype"] == "F32", t["dtype"]
        begin, end = t["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(t["shape"])
    return meta, tensors


def forward(arch, tensors, x):
    """The dense kinds in numpy (float32 throughout, as aelab computes)."""
    x = x.astype(np.float32)
    for i, layer in enumerate(arch["layers"]):
        kind = layer["kind"]
        if kind == "Shared":
            layer, i = arch["layers"][layer["layer"]], layer["layer"]
            kind = layer["kind"]
        if kind == "Dense":
            x = x @ tensors[f"layers.{i}.weight"].T + tensors[f"layers.{i}.bias"]
        elif kind == "DenseTied":  # the encoder's weight, transposed
            x = x @ tensors[f"layers.{layer['dense']}.weight"] + tensors[f"layers.{i}.bias"]
        elif kind == "ReLU":
            x = np.maximum(x, 0)
        elif kind == "LeakyReLU":
            x = np.where(x > 0, x, np.float32(layer["slope"]) * x)
        elif kind == "Sigmoid":
            x = 1 / (1 + np.exp(-x))
        elif kind == "Tanh":
            x = np.tanh(x)
        elif kind == "Softmax":
            e = np.exp(x - x.max(axis=1, keepdims=True))
            x = e / e.sum(axis=1, keepdims=True)
        elif kind in ("Identity", "Dropout", "Flatten"):  # Dropout is the identity outside training
            x = x.reshape(len(x), -1)
        else:
            sys.exit(f"layer {i}: {kind} is not a dense kind; this script runs dense models only")
    return x


def main():
    if len(sys.argv) not in (2, 4):
        sys.exit(__doc__)
    meta, tensors = read(sys.argv[1])
    arch = json.loads(meta["architecture"])
    print(f"aelab {meta.get('aelab_version')} (file format {meta.get('aelab_format')}), "
          f"training {meta.get('training')}")
    for name, t in tensors.items():
        print(f"  {name:24s} {t.shape}")
    print("  layers:", ", ".join(l["kind"] for l in arch["layers"]), f"(code after layer {arch['code']})")
    if len(sys.argv) == 4:
        x, y = np.load(sys.argv[2]), np.load(sys.argv[3])
        ours = forward(arch, tensors, x)
        print(f"max |numpy - aelab| = {np.abs(ours - y).max():.3g} over {y.size} outputs")


if __name__ == "__main__":
    main()
