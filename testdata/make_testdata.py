#!/usr/bin/env python3
"""Writes Coral's format test data with numpy as an independent writer.

Run from anywhere:  python3 testdata/make_testdata.py
Deterministic from fixed seeds, except that the npz files carry the current time in their zip
headers; expected.json records the sha256 of every file as written, so rerunning is harmless.

Writes npy files (many dtypes, big-endian, Fortran order, 0-d, empty, header versions 1/2/3),
npz files (stored and deflated), safetensors files written by hand with struct + json (no
safetensors package), and expected.json giving, per file, its sha256 and per tensor (in file
data order) the Coral dtype, shape, Fortran flag and sha256 of the little-endian bytes in file
element order, i.e. exactly what Coral's reader must stream.
"""
import hashlib
import json
import os
import struct
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

CORAL_DTYPE = {
    "b1": "BOOL", "u1": "U8", "u2": "U16", "u4": "U32", "u8": "U64",
    "i1": "I8", "i2": "I16", "i4": "I32", "i8": "I64",
    "f2": "F16", "f4": "F32", "f8": "F64", "f16": "F128",
    "c8": "C64", "c16": "C128", "c32": "C256",
}

expected = {}


def sha(b):
    return hashlib.sha256(b).hexdigest()


def le_bytes(arr):
    """The bytes Coral streams: little-endian, in the array's own (C or Fortran) element order."""
    le = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
    fortran = arr.ndim > 1 and arr.flags.f_contiguous and not arr.flags.c_contiguous
    return le.tobytes(order="F" if fortran else "C"), fortran


def tensor_entry(name, arr):
    data, fortran = le_bytes(arr)
    code = arr.dtype.str[1:]
    return {"name": name, "dtype": CORAL_DTYPE[code], "shape": list(arr.shape),
            "fortran": fortran, "sha256": sha(data)}


def record(fname, fmt, tensors, metadata=None):
    with open(os.path.join(HERE, fname), "rb") as f:
        whole = f.read()
    expected[fname] = {"format": fmt, "sha256": sha(whole), "size": len(whole),
                       "metadata": metadata or {}, "tensors": tensors}


def random_array(rng, code, shape):
    dt = np.dtype(code)
    if dt.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)
    if dt.kind == "f":
        return (rng.standard_normal(size=shape) * 100).astype(dt)
    if dt.kind == "c":
        return (rng.standard_normal(size=shape) + 1j * rng.standard_normal(size=shape)).astype(dt)
    raise ValueError(code)


def save_npy(fname, arr, version=None):
    path = os.path.join(HERE, fname)
    if version is None:
        np.save(path, arr)
    else:
        with open(path, "wb") as f:
            np.lib.format.write_array(f, arr, version=version)
    record(fname, "npy", [tensor_entry("array", arr)])


def main():
    rng = np.random.default_rng(20240501)

    for code in ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1", "c8", "c16"]:
        save_npy(f"npy_{code}.npy", random_array(rng, code, (3, 5)))
    if np.dtype(np.longdouble).str == "<f16":  # x86-64 80-bit extended in 16 bytes
        save_npy("npy_f16_longdouble.npy", random_array(rng, "f8", (4,)).astype(np.longdouble))

    save_npy("npy_be_f4.npy", random_array(rng, "f4", (4, 3)).astype(">f4"))
    save_npy("npy_be_i8.npy", random_array(rng, "i8", (7,)).astype(">i8"))
    save_npy("npy_be_c8.npy", random_array(rng, "c8", (2, 3)).astype(">c8"))
    save_npy("npy_fortran_f8.npy", np.asfortranarray(random_array(rng, "f8", (3, 4, 2))))
    save_npy("npy_fortran_be_i2.npy", np.asfortranarray(random_array(rng, "i2", (5, 3)).astype(">i2")))
    save_npy("npy_scalar_f4.npy", np.array(3.25, dtype=np.float32))
    save_npy("npy_empty_i4.npy", np.zeros((0, 3), dtype=np.int32))
    save_npy("npy_v2_f4.npy", random_array(rng, "f4", (2, 2)), version=(2, 0))
    save_npy("npy_v3_u2.npy", random_array(rng, "u2", (6,)), version=(3, 0))

    members = {
        "weight": random_array(rng, "f4", (4, 4)),
        "bias": random_array(rng, "f8", (4,)),
        "layers/0/w": random_array(rng, "i2", (2, 3)),
        "big_endian": random_array(rng, "i4", (3,)).astype(">i4"),
        "fortran": np.asfortranarray(random_array(rng, "u2", (2, 3))),
        "scalar": np.array(7, dtype=np.int64),
        "empty": np.zeros((2, 0), dtype=np.float32),
        "flags": random_array(rng, "b1", (9,)),
    }
    for fname, save in [("npz_stored.npz", np.savez), ("npz_deflated.npz", np.savez_compressed)]:
        save(os.path.join(HERE, fname), **members)
        with zipfile.ZipFile(os.path.join(HERE, fname)) as z:
            order = [i.filename[:-4] for i in z.infolist()]
        record(fname, "npz", [tensor_entry(n, members[n]) for n in order])
    write_npz_at_levels(members)

    write_safetensors_files(rng)

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


def write_safetensors(fname, header_entries, datas, metadata=None):
    """header_entries: list of (name, dtype, shape) in *header* order; datas: dict name -> bytes,
    laid out in the order of `layout` (data order differs from header order on purpose)."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    layout = sorted(datas, key=lambda n: (-len(datas[n]), n))  # biggest first, like the reference writer
    offsets, pos = {}, 0
    for n in layout:
        offsets[n] = (pos, pos + len(datas[n]))
        pos += len(datas[n])
    for name, dtype, shape in header_entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": list(offsets[name])}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(os.path.join(HERE, fname), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for n in layout:
            f.write(datas[n])
    types = {name: (dtype, shape) for name, dtype, shape in header_entries}
    tensors = [{"name": n, "dtype": types[n][0], "shape": types[n][1], "fortran": False,
                "sha256": sha(datas[n])} for n in sorted(layout, key=lambda n: (offsets[n][0], offsets[n][1]))]
    record(fname, "safetensors", tensors, metadata)


def write_npz_at_levels(members):
    """npz files written by zipfile with a fixed date: npz_deflated_levels.npz deflates its members
    at levels 1-9 in turn (and stores one), as np.savez_compressed does at 6: Coral restores it byte
    for byte by deflating each member again at its level. npz_deflated_level0.npz deflates every
    member at level 0 (stored blocks, whose lengths depend on the writer's buffers): Coral cannot
    rebuild those bytes and restores it value-identical."""
    import io
    names = list(members)
    for fname, levels in [("npz_deflated_levels.npz", [1, 2, 3, 4, 5, None, 6, 7, 8, 9]),
                          ("npz_deflated_level0.npz", [0] * len(names))]:
        with zipfile.ZipFile(os.path.join(HERE, fname), "w") as z:
            for i, n in enumerate(names):
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.asanyarray(members[n]), allow_pickle=False)
                info = zipfile.ZipInfo(n + ".npy", date_time=(2026, 12, 5, 12, 0, 0))
                level = levels[i % len(levels)]
                info.compress_type = zipfile.ZIP_STORED if level is None else zipfile.ZIP_DEFLATED
                z.writestr(info, buf.getvalue(), compresslevel=level)
        record(fname, "npz", [tensor_entry(n, members[n]) for n in names])


def write_safetensors_files(rng):
    w = random_array(rng, "f4", (3, 4))
    ids = random_array(rng, "i8", (5,))
    bf16 = rng.integers(0, 256, size=2 * 6, dtype=np.uint8).tobytes()  # 6 BF16 values, raw bits
    f8 = rng.integers(0, 256, size=10, dtype=np.uint8).tobytes()
    u8 = rng.integers(0, 256, size=3, dtype=np.uint8).tobytes()
    datas = {
        "model.embed.weight": w.astype("<f4").tobytes(),
        "ids": ids.astype("<i8").tobytes(),
        "bf16.w": bf16,
        "fp8.scale": f8,
        "zero_size": b"",
        "bytes": u8,
        "scalar": np.array(1.5, dtype="<f8").tobytes(),
    }
    entries = [("model.embed.weight", "F32", [3, 4]), ("ids", "I64", [5]), ("bf16.w", "BF16", [2, 3]),
               ("fp8.scale", "F8_E4M3", [10]), ("zero_size", "F16", [0, 7]), ("bytes", "U8", [3]),
               ("scalar", "F64", [])]
    write_safetensors("st_mixed.safetensors", entries, datas,
                      metadata={"format": "pt", "note": "written by make_testdata.py \u00e9"})

    f4 = rng.integers(0, 256, size=4, dtype=np.uint8).tobytes()   # 8 F4 values
    f6 = rng.integers(0, 256, size=3, dtype=np.uint8).tobytes()   # 4 F6 values = 24 bits
    e8 = rng.integers(0, 256, size=2, dtype=np.uint8).tobytes()
    write_safetensors("st_subbyte.safetensors",
                      [("f4", "F4", [2, 4]), ("f6", "F6_E2M3", [4]), ("e8m0", "F8_E8M0", [2])],
                      {"f4": f4, "f6": f6, "e8m0": e8})

    write_safetensors("st_empty.safetensors", [], {})


if __name__ == "__main__":
    main()
