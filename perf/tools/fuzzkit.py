"""What the fuzzers in perf/tools share: weight files as numpy writes them, and hashes.

Imported by concurrent-fuzz.py, disk-full-fuzz.py and daemon-differential-fuzz.py (Python puts a script's own folder on its path).
"""
import hashlib
import json
import struct
import sys

try:
    import numpy as np
except ImportError:
    np = None


def die(prog, msg):
    """A fuzzer's set-up is missing something: one line, exit code 2."""
    print("%s: %s" % (prog, msg), file=sys.stderr)
    sys.exit(2)


def numpy_or_die(prog):
    if np is None:
        die(prog, "numpy is missing (python3 -m pip install numpy, or Debian's python3-numpy)")
    return np


def sha_bytes(data):
    return hashlib.sha256(data).hexdigest()


def sha_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def bf16_bits(a):
    """The top two bytes of each float32: bfloat16's bits, as uint16."""
    return (np.ascontiguousarray(a, dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)


def from_bf16_bits(bits):
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def safetensors_bytes(tensors, meta=None):
    """A safetensors file of tensors, a list of (name, dtype name, array in its storage dtype), its header padded to 8 bytes."""
    header, blobs, off = {}, [], 0
    for name, dt, arr in tensors:
        b = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    if meta:
        header["__metadata__"] = meta
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def safetensors_tensors(data):
    """name -> the raw bytes of each tensor of a safetensors file's bytes."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    return {k: body[v["data_offsets"][0]:v["data_offsets"][1]] for k, v in header.items() if k != "__metadata__"}
