#!/usr/bin/env python3
"""`coral commit PATH` of a checkpoint a fast training loop keeps replacing.

A loop thread writes a new safetensors checkpoint (one F32 tensor of MB megabytes; five versions in
turn) under a temporary name and renames it over DIR/m.safetensors every PERIOD seconds, while
`coral commit -q -m cK m.safetensors` runs N times, one JVM each (JAR). Prints one JSON line: the
commits made, those refused (and the last refusal), the versions the loop wrote, the median command
time, and fsck's exit code at the end. A commit reads the file through the descriptors it opened, so
it is not refused for a replacement after it opened it (since 2026-12-07; before, it read the file
again and gave up after three replacements: "changed while it was being added").

    perf/tools/commit-beside-fast-loop.py cli/target/coral.jar /tmp/cbfl 12 0.02 32   # JAR DIR N PERIOD MB

Needs java and python3 with numpy; DIR is made (a repository is initialised in it).
"""
import json
import os
import struct
import subprocess
import sys
import threading
import time

import numpy as np

if len(sys.argv) != 6:
    sys.exit("usage: commit-beside-fast-loop.py JAR DIR N PERIOD MB")
jar, d, n, period, mb = os.path.abspath(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
os.makedirs(d, exist_ok=True)
subprocess.run(["java", "-jar", jar, "init", d], check=True, capture_output=True)
elems = mb * (1 << 20) // 4
rng = np.random.default_rng(1)
w = rng.standard_normal(elems, dtype=np.float32)
def st_bytes(arr):
    h = json.dumps({"w": {"dtype": "F32", "shape": [arr.size], "data_offsets": [0, arr.nbytes]}}).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + arr.tobytes()
stop = False
written = [0]
def loop():
    versions = [st_bytes(w + np.float32(1e-3 * k)) for k in range(1, 6)]
    i = 0
    while not stop:
        i += 1
        tmp = os.path.join(d, ".m.tmp")
        with open(tmp, "wb") as f:
            f.write(versions[i % len(versions)])
        os.replace(tmp, os.path.join(d, "m.safetensors"))
        written[0] += 1
        time.sleep(period)
with open(os.path.join(d, "m.safetensors"), "wb") as f:
    f.write(st_bytes(w))
t = threading.Thread(target=loop); t.start()
made = refused = 0
last = None
times = []
for k in range(n):
    t0 = time.time()
    r = subprocess.run(["java", "-jar", jar, "-C", d, "commit", "-q", "-m", "c%d" % k, "m.safetensors"], capture_output=True, text=True)
    times.append(time.time() - t0)
    if r.returncode == 0:
        made += 1
    else:
        refused += 1
        last = r.stderr.strip()
stop = True; t.join()
fsck = subprocess.run(["java", "-jar", jar, "-C", d, "fsck"], capture_output=True, text=True)
print(json.dumps({"made": made, "refused": refused, "versions_written": written[0], "median_s": sorted(times)[len(times)//2],
                  "fsck_rc": fsck.returncode, "last_refusal": last}))
