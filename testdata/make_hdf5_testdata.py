#!/usr/bin/env python3
"""Writes Coral's HDF5 test data with h5py (libhdf5) as an independent writer.

Run with a python3 that has h5py (Debian: apt-get install python3-h5py, then /usr/bin/python3):
    /usr/bin/python3 testdata/make_hdf5_testdata.py

Deterministic from fixed seeds and with dataset time stamps off (track_times=False), so the
files come out the same on a rerun with the same libhdf5. expected_hdf5.json gives, per file,
its sha256 and per tensor (in file data order) the Coral dtype, shape and sha256 of the
little-endian bytes, i.e. exactly what Coral's reader must stream, and the datasets Coral keeps
inside the file's layout instead (compact, strings, compound, filters other than gzip, shuffle and
Fletcher-32, chunks never written). Chunked datasets filtered by gzip (levels 1-9), shuffle and
Fletcher-32 only, every chunk written, are tensors since 2026-12-06 (Coral rebuilds each chunk at
checkout).
"""
import hashlib
import io
import json
import os
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

CORAL_DTYPE = {
    "u1": "U8", "u2": "U16", "u4": "U32", "u8": "U64",
    "i1": "I8", "i2": "I16", "i4": "I32", "i8": "I64",
    "f2": "F16", "f4": "F32", "f8": "F64", "b1": "BOOL",
}

expected = {}


def sha(b):
    return hashlib.sha256(b).hexdigest()


def rebuilt_chunks(obj):
    """The address of the first chunk of a chunked dataset Coral stores as a tensor (filters gzip at levels 1-9,
    shuffle and Fletcher-32 only, every chunk written, some elements), else None."""
    if obj.chunks is None or obj.size == 0 or obj.ndim == 0:
        return None
    dcpl = obj.id.get_create_plist()
    for i in range(dcpl.get_nfilters()):
        code, _flags, values, _name = dcpl.get_filter(i)
        if not (code == h5py.h5z.FILTER_DEFLATE and len(values) == 1 and 1 <= values[0] <= 9
                or code in (h5py.h5z.FILTER_SHUFFLE, h5py.h5z.FILTER_FLETCHER32)):
            return None
    grid = 1
    for n, c in zip(obj.shape, obj.chunks):
        grid *= -(-n // c)
    if obj.id.get_num_chunks() != grid:
        return None
    return min(obj.id.get_chunk_info(i).byte_offset for i in range(grid))


def data_datasets(f):
    """(address, path, dataset) of every dataset with numeric data Coral stores as a tensor: contiguous, or chunked
    as rebuilt_chunks says (its address: its first chunk's)."""
    out = []
    kept = []

    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset):
            return
        code = obj.dtype.str[1:]
        plain = (obj.dtype.kind in "biuf" and code in CORAL_DTYPE and obj.dtype.names is None) or keras_bfloat16(obj)
        contiguous = obj.chunks is None and obj.id.get_create_plist().get_layout() == h5py.h5d.CONTIGUOUS
        offset = obj.id.get_offset() if contiguous else rebuilt_chunks(obj)
        if plain and (contiguous or offset is not None) and (offset is not None or obj.size == 0):
            out.append((offset if offset is not None and obj.size > 0 else -1, len(out), name, obj))
        else:
            kept.append(name)

    f.visititems(visit)
    # file data order: by address; datasets with no bytes after all others, in visiting order
    out.sort(key=lambda t: (t[0] < 0, t[0] if t[0] >= 0 else t[1]))
    return [(t[0], t[2], t[3]) for t in out], kept


def tagless_opaque(obj):
    return isinstance(obj, h5py.Dataset) and obj.id.get_type().get_class() == h5py.h5t.OPAQUE and obj.id.get_type().get_tag() == b""


def keras_bfloat16(obj):
    """A bfloat16 variable as Keras 3 writes one (saving_lib's H5IOStore): ml_dtypes' bfloat16 is a 2-byte opaque type
    with no tag to h5py, marked with the attribute dtype="bfloat16". Coral stores it as a BF16 tensor."""
    return tagless_opaque(obj) and obj.dtype.itemsize == 2 and obj.attrs.get("dtype") in ("bfloat16", b"bfloat16")


def record(fname, member=None):
    """Adds fname to the manifest; for a .keras file, the tensors of its HDF5 member `member`."""
    path = os.path.join(HERE, fname)
    with open(path, "rb") as fh:
        whole = fh.read()
    if member is not None:
        with zipfile.ZipFile(path) as z:
            source = io.BytesIO(z.read(member))
    else:
        source = path
    with h5py.File(source, "r") as f:
        datasets, kept = data_datasets(f)
        tensors = []
        for _, name, ds in datasets:
            arr = ds[()]
            arr = np.asarray(arr)
            le = arr if keras_bfloat16(ds) else arr.astype(arr.dtype.newbyteorder("<"), copy=False)
            dtype = "BF16" if keras_bfloat16(ds) else CORAL_DTYPE[arr.dtype.str[1:]]
            tensors.append({"name": name, "dtype": dtype, "shape": list(arr.shape),
                            "fortran": False, "sha256": sha(le.tobytes(order="C"))})
        metadata = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()
                    if isinstance(v, (str, bytes)) and f.attrs.get_id(k).shape == ()}
    expected[fname] = {"format": "keras" if member else "hdf5", "sha256": sha(whole), "size": len(whole), "metadata": metadata,
                       "tensors": tensors, "kept": kept}


def keras_like(rng):
    """A Keras-2-style full model file: nested groups, ':0' names, string attributes."""
    fname = "h5_keras_like.h5"
    with h5py.File(os.path.join(HERE, fname), "w", track_order=False) as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "layers": ["dense", "dense_1"]})
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = np.array([b"dense", b"dense_1"])
        for layer, (n_in, n_out) in (("dense", (12, 16)), ("dense_1", (16, 3))):
            g = mw.create_group(layer).create_group(layer)
            g.create_dataset("kernel:0", data=rng.standard_normal((n_in, n_out)).astype("f4"), track_times=False)
            g.create_dataset("bias:0", data=(rng.standard_normal(n_out) * 0.01).astype("f4"), track_times=False)
    record(fname)


def dtypes(rng):
    """Every numeric dtype, both byte orders, 0-d, empty, one element."""
    fname = "h5_dtypes.h5"
    with h5py.File(os.path.join(HERE, fname), "w") as f:
        for code in ("u1", "u2", "u4", "u8", "i1", "i2", "i4", "i8"):
            info = np.iinfo(code)
            f.create_dataset("ints/" + code, data=rng.integers(info.min, info.max, size=(3, 4), dtype=code,
                                                               endpoint=True), track_times=False)
        for code in ("f2", "f4", "f8"):
            bits = rng.integers(0, 2 ** (8 * np.dtype(code).itemsize), size=(5, 2), dtype="u" + code[1:],
                                endpoint=False)
            f.create_dataset("floats/" + code, data=bits.view(code), track_times=False)  # NaN payloads, inf, subnormals
        f.create_dataset("big_endian/f4", data=rng.standard_normal((4, 3)).astype(">f4"), track_times=False)
        f.create_dataset("big_endian/i8", data=rng.integers(-2 ** 62, 2 ** 62, size=7).astype(">i8"), track_times=False)
        f.create_dataset("big_endian/f2", data=rng.standard_normal(6).astype(">f2"), track_times=False)
        f.create_dataset("bool", data=rng.integers(0, 2, size=9).astype(bool), track_times=False)
        f.create_dataset("scalar_f8", data=np.float64(3.25), track_times=False)
        f.create_dataset("one_i4", data=np.array([7], dtype="i4"), track_times=False)
        f.create_dataset("empty_f4", shape=(0, 5), dtype="f4", track_times=False)
        f.create_dataset("rank4_f4", data=rng.standard_normal((2, 3, 2, 2)).astype("f4"), track_times=False)
    record(fname)


def latest(rng):
    """libver='latest': superblock v3, version-2 object headers, links in the headers, many of them (dense)."""
    fname = "h5_latest.h5"
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_obj_track_times(False)  # version-2 object headers carry times: off, so a rerun writes the same bytes
    gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    gcpl.set_obj_track_times(False)
    fid = h5py.h5f.create(os.path.join(HERE, fname).encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl)
    with h5py.File(fid) as f:
        g = h5py.Group(h5py.h5g.create(f.id, b"layers", gcpl=gcpl))
        for i in range(20):
            g.create_dataset("w%02d" % i, data=rng.standard_normal((8, 8)).astype("f4"), track_times=False)
        f.create_dataset("embedding", data=rng.standard_normal((64, 32)).astype("f2"), track_times=False)
        # a Keras bfloat16 variable (keras3 below) in a version-2 object header, whose checksum Coral's view of the
        # file keeps right when it shows jhdf the type as a string
        b = h5py.Group(h5py.h5g.create(f.id, b"bf16", gcpl=gcpl))
        bits = np.arange(-64, 64, dtype="<i2").astype("<u2")  # not from rng: the files after this one stay as they were
        b.create_dataset("0", data=bits.view("V2"), track_times=False).attrs["dtype"] = "bfloat16"
        b.create_dataset("scale", data=np.float32(0.5), track_times=False)
    record(fname)


def mixed_layouts(rng):
    """Datasets Coral keeps inside the file's layout (chunked+gzip, chunked, compact, strings, compound)
    beside contiguous ones it stores as tensors; a hard link to a dataset under a second name; a user block."""
    fname = "h5_mixed_layouts.h5"
    with h5py.File(os.path.join(HERE, fname), "w", userblock_size=512) as f:
        f.create_dataset("dense/kernel", data=rng.standard_normal((32, 16)).astype("f4"), track_times=False)
        f.create_dataset("compressed", data=rng.standard_normal((64, 8)).astype("f4"), chunks=(16, 8),
                         compression="gzip", shuffle=True, track_times=False)
        f.create_dataset("chunked", data=np.arange(100, dtype="i4"), chunks=(25,), track_times=False)
        space = h5py.h5s.create_simple((6,))
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        dcpl.set_obj_track_times(False)
        compact = h5py.h5d.create(f.id, b"compact", h5py.h5t.NATIVE_INT16, space, dcpl=dcpl)
        compact.write(h5py.h5s.ALL, h5py.h5s.ALL, np.arange(6, dtype="i2"))
        f.create_dataset("names", data=np.array([b"alpha", b"beta"]), track_times=False)
        f.create_dataset("pairs", data=np.array([(1, 2.0), (3, 4.0)], dtype=[("a", "i4"), ("b", "f8")]),
                         track_times=False)
        f.create_dataset("dense/bias", data=rng.standard_normal(16).astype("f8"), track_times=False)
        f["alias_of_bias"] = f["dense/bias"]  # a hard link: one dataset, two names
    with open(os.path.join(HERE, fname), "r+b") as fh:
        fh.write(b"Coral test user block\n")
    record(fname)


def chunked(rng, fname, libver):
    """Chunked datasets as h5py writes them with chunks=, compression="gzip" and shuffle=True: edge chunks in every
    dimension, big-endian data, every gzip level Coral rebuilds, a fill value in an edge chunk's padding, random
    integers deflate cannot shrink; with libver="latest" the chunk indexes of HDF5 1.10 (fixed and extensible arrays,
    version-2 B-trees, a single chunk), Fletcher-32 checksums after shuffle and gzip. Kept in the file's layout: the
    scale-offset filter, a dataset with chunks never written."""
    with h5py.File(os.path.join(HERE, fname), "w", libver=libver) as f:
        kw = dict(track_times=False)
        f.create_dataset("dense/kernel", data=rng.standard_normal((100, 70)).astype("f4"), chunks=(32, 32),
                         compression="gzip", compression_opts=4, shuffle=True, **kw)
        f.create_dataset("dense/bias", data=(rng.standard_normal(70) * 0.01).astype("f4"), chunks=(16,),
                         compression="gzip", **kw)
        f.create_dataset("be/i4", data=np.arange(1000, dtype=">i4") * 7 - 3000, chunks=(300,), compression="gzip",
                         compression_opts=9, **kw)
        f.create_dataset("be/f8", data=rng.standard_normal((9, 5)).astype(">f8"), chunks=(4, 2), shuffle=True, **kw)
        f.create_dataset("cube", data=rng.standard_normal((5, 6, 7)), chunks=(2, 4, 3), compression="gzip",
                         compression_opts=1, **kw)
        f.create_dataset("plain_u2", data=np.arange(100, dtype="u2").reshape(10, 10), chunks=(4, 4), **kw)
        f.create_dataset("fill", data=np.ones(10, dtype="f4"), chunks=(4,), fillvalue=7.0, compression="gzip", **kw)
        f.create_dataset("random_u4", data=rng.integers(0, 2 ** 32, 5000, dtype="u4"), chunks=(1000,),
                         compression="gzip", compression_opts=6, **kw)
        f.create_dataset("mask", data=rng.integers(0, 2, (7, 3)).astype(bool), chunks=(3, 2), compression="gzip", **kw)
        f.create_dataset("half", data=rng.standard_normal(33).astype("f2"), chunks=(8,), shuffle=True, **kw)
        for level in (2, 3, 5, 7, 8):
            f.create_dataset("levels/%d" % level, data=(rng.standard_normal(600) * 0.1).astype("f4"), chunks=(250,),
                             compression="gzip", compression_opts=level, **kw)
        if libver == "latest":
            f.create_dataset("grow", data=rng.standard_normal(100).astype("f4"), chunks=(16,), maxshape=(None,),
                             compression="gzip", **kw)
            f.create_dataset("grow2", data=rng.standard_normal((50, 6)).astype("f4"), chunks=(16, 6),
                             maxshape=(None, None), compression="gzip", **kw)
            f.create_dataset("single", data=rng.standard_normal((8, 8)).astype("f4"), chunks=(8, 8),
                             compression="gzip", **kw)
        f.create_dataset("checksummed", data=rng.standard_normal((20, 9)).astype("f4"), chunks=(8, 4), fletcher32=True,
                         shuffle=True, compression="gzip", **kw)
        f.create_dataset("kept/scaleoffset", data=np.arange(64, dtype="i4"), chunks=(16,), scaleoffset=0, **kw)
        sparse = f.create_dataset("kept/sparse", shape=(100,), dtype="f4", chunks=(10,), **kw)
        sparse[0:10] = 1.0
    record(fname)


def keras3(rng):
    """A Keras 3 model file (model.save("m.keras")) as keras/src/saving/saving_lib.py writes it: a zip (members
    stored) of metadata.json, config.json and model.weights.h5, an HDF5 written to memory with one 'vars' group per
    saveable ('layers/dense/vars/0', 'optimizer/vars/0', ...). Zip times fixed, so a rerun writes the same bytes."""
    fname = "keras3_mlp.keras"
    h5 = io.BytesIO()
    with h5py.File(h5, "w") as f:
        f.create_group("vars")
        for layer, (n_in, n_out) in (("dense", (10, 24)), ("dense_1", (24, 4))):
            v = f.create_group("layers/" + layer).create_group("vars")
            v["0"] = rng.standard_normal((n_in, n_out)).astype("f4")
            v["1"] = (rng.standard_normal(n_out) * 0.01).astype("f4")
        o = f.create_group("optimizer").create_group("vars")
        o["0"] = np.array(3, dtype="i8")  # iterations
        o["1"] = np.array(1e-3, dtype="f4")  # learning rate
        for i, shape in enumerate([(10, 24), (10, 24), (24,), (24,)]):
            o[str(i + 2)] = (rng.standard_normal(shape) * 1e-3).astype("f4")  # Adam moments
        # a bfloat16 variable as Keras writes one (saving_lib.H5Entry.__setitem__): ml_dtypes' bfloat16 is an opaque
        # 2-byte type with no tag to h5py, so the bits of a float32 cut to its top half, as 'V2', with the attribute
        # Keras reads back (keras_bfloat16: a BF16 tensor to Coral); the second, unmarked, is kept as bytes
        e = f.create_group("layers/embedding").create_group("vars")
        bits = (rng.standard_normal((16, 8)).astype("<f4").view("<u4") >> 16).astype("<u2")
        ds = e.create_dataset("0", data=bits.view("V2"))
        ds.attrs["dtype"] = "bfloat16"
        e.create_dataset("1", data=bits[:2].view("V2"))  # the same type without the marker
    config = {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": ["dense", "dense_1"]}}
    metadata = {"keras_version": "3.6.0", "date_saved": "2026-12-05@12:00:00"}
    when = (2026, 12, 5, 12, 0, 0)
    with zipfile.ZipFile(os.path.join(HERE, fname), "w") as z:
        for name, data in (("metadata.json", json.dumps(metadata).encode()), ("config.json", json.dumps(config).encode()),
                           ("model.weights.h5", h5.getvalue())):
            z.writestr(zipfile.ZipInfo(name, date_time=when), data)
    record(fname, member="model.weights.h5")


def main():
    rng = np.random.default_rng(20261205)
    keras_like(rng)
    dtypes(rng)
    latest(rng)
    mixed_layouts(rng)
    keras3(rng)
    chunked(np.random.default_rng(20261206), "h5_chunked.h5", "earliest")  # a seed of their own: the files above stay
    chunked(np.random.default_rng(20261207), "h5_chunked_latest.h5", "latest")
    with open(os.path.join(HERE, "expected_hdf5.json"), "w") as fh:
        json.dump(expected, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print("wrote", ", ".join(sorted(expected)), "with h5py", h5py.__version__, "and HDF5", h5py.version.hdf5_version)


if __name__ == "__main__":
    main()
