#!/usr/bin/env python3
"""A bfloat16 Keras 3 training history committed through ./coral, against the same tensors as BF16 safetensors.

Takes a folder of fp32 safetensors checkpoints (perf's CheckpointFiles writes one: the throughput
scenario's MLP, an Adam step each), cuts every tensor to bfloat16 (round to nearest even) and writes
each step twice: as Keras 3 writes a bfloat16 model's weights (saving_lib's H5IOStore: h5py, one
'layers/NAME/vars' group per layer, each variable a dataset of ml_dtypes' bfloat16, which h5py stores
as an opaque 2-byte type with no tag, marked with the attribute dtype="bfloat16"), and as a BF16
safetensors file of the same bits (the baseline, in the same run). Commits each history into a
repository of its own, one `./coral commit` JVM per step (CORAL_DAEMON=0), then checks out a few
depths and compares them byte for byte with the files committed. Prints per-step milliseconds,
stored bytes and ratios (coral stats --json) side by side.

    java -cp perf/target/classes:core/target/classes dev.coral.perf.stress.CheckpointFiles /tmp/ck 12
    /usr/bin/python3 perf/tools/keras-bf16-history.py /tmp/ck [WORK_DIR]

Needs numpy and h5py (Debian: python3-h5py, so /usr/bin/python3). WORK_DIR (default
/tmp/keras-bf16-history) is replaced.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import time

import h5py
import numpy as np

CORAL = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'coral')


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, v in header.items():
        if name == '__metadata__':
            continue
        if v['dtype'] != 'F32':
            raise SystemExit('%s: %s is %s; this tool cuts F32 checkpoints to bfloat16' % (path, name, v['dtype']))
        a, b = v['data_offsets']
        out[name] = np.frombuffer(data[a:b], dtype='<f4').reshape(v['shape'])
    return out


def bf16_bits(a):
    """The bfloat16 nearest to each float32 (ties to even), as its 16 bits (NaNs kept NaN)."""
    u = a.astype('<f4').view('<u4').astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype('<u2')
    nan = np.isnan(a)
    r[nan] = ((u[nan] >> 16) | 0x40).astype('<u2')
    return r


def write_keras_weights(path, tensors):
    with h5py.File(path, 'w') as f:
        for i, (name, bits) in enumerate(tensors.items()):
            layer, _, var = name.rpartition('.')
            g = f.require_group('layers/%s/vars' % layer.replace('.', '_'))
            ds = g.create_dataset(str(len(g)), data=bits.view('V2'))
            ds.attrs['dtype'] = 'bfloat16'


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, bits in tensors.items():
        b = bits.tobytes()
        header[name] = {'dtype': 'BF16', 'shape': list(bits.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h)
        for b in blobs:
            f.write(b)


def coral(repo, *args):
    env = dict(os.environ, CORAL_DAEMON='0')
    r = subprocess.run([CORAL, '-C', repo] + list(args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise SystemExit('coral %s failed: %s' % (' '.join(args), r.stderr.decode()))
    return r.stdout.decode()


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    src = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else '/tmp/keras-bf16-history'
    shutil.rmtree(work, ignore_errors=True)
    steps = sorted(f for f in os.listdir(src) if f.endswith('.safetensors'))
    kinds = {'keras': 'model.weights.h5', 'safetensors': 'model.safetensors'}
    files = {k: [] for k in kinds}
    for i, f in enumerate(steps):
        tensors = {k: bf16_bits(v) for k, v in read_safetensors(os.path.join(src, f)).items()}
        for k in kinds:
            p = os.path.join(work, 'files', '%s-%03d' % (k, i))
            os.makedirs(os.path.dirname(p), exist_ok=True)
            (write_keras_weights if k == 'keras' else write_safetensors)(p, tensors)
            files[k].append(p)
    subprocess.run([CORAL, '--version'], stdout=subprocess.DEVNULL, check=True)  # the launcher builds the jar if it must: not timed
    ms = {k: [] for k in kinds}
    for k, name in kinds.items():
        repo = os.path.join(work, k)
        os.makedirs(repo)
        coral(repo, 'init', '-q')
        for i, p in enumerate(files[k]):
            shutil.copyfile(p, os.path.join(repo, name))
            t0 = time.time()
            coral(repo, 'commit', '-q', '-m', 'step %d' % i, name)
            ms[k].append((time.time() - t0) * 1000)
    print('%-5s %14s %14s' % ('step', 'keras ms', 'safetensors ms'))
    for i in range(len(steps)):
        print('%-5d %14.0f %14.0f' % (i, ms['keras'][i], ms['safetensors'][i]))
    raw = os.path.getsize(files['safetensors'][0]) * len(steps)
    for k, name in kinds.items():
        repo = os.path.join(work, k)
        st = json.loads(coral(repo, 'stats', '--json'))
        later = sorted(ms[k][1:])
        print('%-12s %d steps of %d bytes: stored %d (logical / stored %.2fx, tensor bytes / stored %.2fx); commit median of '
              'steps 1.. %.0f ms' % (k, len(steps), os.path.getsize(files[k][0]), st['storedBytes'], st['ratio'],
                                     raw / st['storedBytes'], later[len(later) // 2]))
        n = len(steps)
        for back in sorted({n - 1, n // 2, 1, 0}):
            coral(repo, 'checkout', '-q', '--force', 'main~%d' % back)
            with open(os.path.join(repo, name), 'rb') as a, open(files[k][n - 1 - back], 'rb') as b:
                if a.read() != b.read():
                    raise SystemExit('%s: main~%d differs from the file committed' % (k, back))
        print('%-12s checkouts of main~%s byte-identical' % (k, ','.join(str(x) for x in sorted({n - 1, n // 2, 1, 0}))))


if __name__ == '__main__':
    main()
