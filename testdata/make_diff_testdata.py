#!/usr/bin/env python3
"""Writes the test data of `coral diff` with numpy as an independent client.

Run from anywhere:  python3 testdata/make_diff_testdata.py
Writes testdata/diff/v1.npz and v2.npz (np.savez: two versions of one model, tensors of several
dtypes changed, reshaped, retyped, added, removed, kept; NaN and infinities among the changes),
and testdata/diff/expected.json: for each tensor of v2 then each one only v1 has, what a diff
from v1 to v2 must report, worked out by numpy in float64: status; for a tensor of the same
dtype and shape, the elements, how many differ in their bits, how many of those are NaN or
infinite on either side, and over the elements finite on both sides max|d|, ||d||, ||v1||,
||v2|| and the cosine (d = v2 - v1). Deterministic from a fixed seed (the zip headers carry the
time: the json records no file hashes).
"""
import json
import os

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "diff")
UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def stats(a, b):
    bits_a = a.reshape(-1).view(UINT[a.dtype.itemsize])
    bits_b = b.reshape(-1).view(UINT[b.dtype.itemsize])
    changed = bits_a != bits_b
    x = a.reshape(-1).astype(np.float64)
    y = b.reshape(-1).astype(np.float64)
    finite = np.isfinite(x) & np.isfinite(y)
    x, y = x[finite], y[finite]
    d = y - x
    na, nb = np.sqrt((x * x).sum()), np.sqrt((y * y).sum())
    cos = float(np.clip((x * y).sum() / (na * nb), -1, 1)) if na > 0 and nb > 0 else None
    return {"elements": int(a.size), "changed": int(changed.sum()), "nonFinite": int((changed & ~finite).sum()),
            "maxAbsDiff": float(np.abs(d).max()) if d.size else 0.0, "l2Diff": float(np.sqrt((d * d).sum())),
            "l2From": float(na), "l2To": float(nb), "cosine": cos}


def main():
    os.makedirs(HERE, exist_ok=True)
    rng = np.random.default_rng(20261204)
    v1 = {
        "w_f32": (rng.standard_normal((64, 32)) * 0.05).astype(np.float32),
        "w_f16": (rng.standard_normal(500) * 0.1).astype(np.float16),
        "w_f64": rng.standard_normal((10, 10)),
        "steps_i32": rng.integers(-1000, 1000, 300, dtype=np.int32),
        "mask_b1": rng.random(100) < 0.5,
        "ids_u8": rng.integers(0, 256, 77, dtype=np.uint8),
        "big_u64": rng.integers(0, 2**63, 40, dtype=np.uint64) * np.uint64(2),
        "nan_f32": rng.standard_normal(200).astype(np.float32),
        "kept_f32": rng.standard_normal(50).astype(np.float32),
        "zeros_f32": np.zeros(8, np.float32),
        "grows_f32": rng.standard_normal(16).astype(np.float32),
        "cast_f32": rng.standard_normal(12).astype(np.float32),
        "gone_i64": np.arange(9, dtype=np.int64),
    }
    v2 = {k: v.copy() for k, v in v1.items() if k != "gone_i64"}
    v2["w_f32"] += (rng.standard_normal((64, 32)) * 1e-3).astype(np.float32)
    v2["w_f16"][::3] += np.float16(0.01)
    v2["w_f64"][2:5, :] *= 1.5
    v2["steps_i32"][rng.integers(0, 300, 30)] += 7
    v2["mask_b1"][:10] = ~v2["mask_b1"][:10]
    v2["ids_u8"][5] ^= 0xFF
    v2["big_u64"][0] = np.uint64(2**64 - 1)
    v2["nan_f32"][3] = np.nan
    v2["nan_f32"][7] = np.inf
    v2["nan_f32"][9] = -np.inf
    v2["nan_f32"][20:40] *= np.float32(1.01)
    v2["zeros_f32"][0] = -0.0
    v2["grows_f32"] = np.concatenate([v1["grows_f32"], np.ones(4, np.float32)])
    v2["cast_f32"] = v1["cast_f32"].astype(np.float16)
    v2["new_f32"] = rng.standard_normal(5).astype(np.float32)
    np.savez(os.path.join(HERE, "v1.npz"), **v1)
    np.savez(os.path.join(HERE, "v2.npz"), **v2)

    expected = []
    for name, b in v2.items():
        a = v1.get(name)
        if a is None:
            expected.append({"name": name, "status": "added"})
        elif a.dtype != b.dtype:
            expected.append({"name": name, "status": "retyped"})
        elif a.shape != b.shape:
            expected.append({"name": name, "status": "reshaped"})
        else:
            s = stats(a, b)
            s = {"name": name, "status": "modified" if s["changed"] else "unchanged", **s}
            expected.append(s)
    for name in v1:
        if name not in v2:
            expected.append({"name": name, "status": "removed"})
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"model.npz": expected}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
