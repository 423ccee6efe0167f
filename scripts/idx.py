"""Reading IDX image files (MNIST, Fashion-MNIST) for the Python sides of
the benchmarks, with numpy alone (sklearn_pca.py runs without torch)."""
import gzip
import struct

import numpy as np


def read_idx_images(path):
    """A (possibly gzip'd) IDX3 ubyte image file -> float32 N x (rows*cols) in [0,1]."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 16:
        raise ValueError(f"{path}: too short for an IDX3 header ({len(raw)} bytes)")
    magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != 0x00000803:
        raise ValueError(f"{path}: bad IDX3 magic 0x{magic:08x}, expected 0x00000803")
    expected = 16 + n * rows * cols
    if len(raw) != expected:
        raise ValueError(f"{path}: {len(raw)} bytes, expected {expected} for {n}x{rows}x{cols}")
    pix = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, rows * cols)
    # the same float32 values as aelab's loader: byte / 255
    return pix.astype(np.float32) / np.float32(255.0)


def read_idx_labels(path):
    """A (possibly gzip'd) IDX1 ubyte label file -> int64 N (0-based classes, as in the file)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for an IDX1 header ({len(raw)} bytes)")
    magic, n = struct.unpack(">II", raw[:8])
    if magic != 0x00000801:
        raise ValueError(f"{path}: bad IDX1 magic 0x{magic:08x}, expected 0x00000801")
    if len(raw) != 8 + n:
        raise ValueError(f"{path}: {len(raw)} bytes, expected {8 + n} for {n} labels")
    return np.frombuffer(raw, dtype=np.uint8, offset=8).astype(np.int64)
