#!/usr/bin/env python3
"""Differential fuzzer: `coral` through the daemon against `coral` in a JVM of its own.

Each sequence makes two fresh folders under BASE/sNNNNN/: side_plain (every command with
CORAL_DAEMON=0) and side_daem (every command through a private daemon, CORAL_DAEMON_DIR=BASE/daemon),
runs the same random sequence of steps in both (weight-file writes and mutations, coral commands
with random options, environments, working folders and standard inputs, corruptions, commands of
"another process" run without the daemon on the daemon side), and after each step compares exit
code, stdout, stderr (commit ids mapped to C<n> in the order each side's refs first showed them,
dates and milliseconds masked), the working folder (names, bytes, modes), HEAD, refs, ORIG_HEAD,
config and format files; now and then `status --json` and `log --oneline` too. Every daemon-side
command is checked against the daemon's log (served: `#N pid P coral X: exit`, or a fallback:
`pid P runs coral X itself: why`). Besides sequences it runs concurrency rounds (several commands at
once through the daemon, compared with the same commands run one by one without it) and a few
targeted scenarios.

    python3 perf/tools/daemon-differential-fuzz.py --minutes 35        # the whole run
    python3 perf/tools/daemon-differential-fuzz.py --minutes 2 --seed 7

Results: BASE/report.json (every difference kind with its first reproduction), BASE/findings.log
(human readable), BASE/progress.log. BASE (default /tmp/ddfuzz) is left in place.
Only python3's standard library and numpy; where h5py imports (Debian's python3-h5py: run it with
/usr/bin/python3), HDF5 and Keras 3 (.keras) files join the weight files it writes, mutates and exports.
"""
import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback

import numpy as np

from fuzzkit import safetensors_bytes  # beside this script: its folder is on the path

try:  # HDF5 files join the pool where h5py is at hand (Debian's python3-h5py: run with /usr/bin/python3)
    import h5py
except ImportError:
    h5py = None

CORAL = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'coral')
BASE = '/tmp/ddfuzz'
PLAIN, DAEM = 'side_plain', 'side_daem'

# ------------------------------------------------------------------ environment

def base_env():
    env = dict(os.environ)
    for k in ('CORAL_DAEMON', 'CORAL_AUTHOR', 'CORAL_JAVA_OPTS', 'CORAL_DEBUG', 'CORAL_THREADS',
              'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS'):
        env.pop(k, None)
    env['CORAL_DAEMON_DIR'] = DDIR
    return env


DDIR = BASE + '/daemon'
ENV0 = None


def side_env(side, extra, force_plain=False):
    env = dict(ENV0)
    if side == PLAIN or force_plain:
        env['CORAL_DAEMON'] = '0'
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


class DaemonLog:
    """Reads the daemon's log incrementally; tells for a launcher pid whether it was served."""

    SERVED = re.compile(r'#(\d+) pid (\d+) coral (\S*): exit (\d+) in (\d+) ms')
    FALLBACK = re.compile(r'pid (\d+) runs coral (\S*) itself: (.*)')

    def __init__(self, path):
        self.path = path
        self.off = 0
        self.by_pid = {}
        self.lock = threading.Lock()
        self.other = []

    def poll(self):
        with self.lock:
            try:
                with open(self.path, 'rb') as f:
                    f.seek(self.off)
                    data = f.read()
            except FileNotFoundError:
                return
            if not data:
                return
            last_nl = data.rfind(b'\n')
            if last_nl < 0:
                return
            self.off += last_nl + 1
            for line in data[:last_nl].decode('utf-8', 'replace').split('\n'):
                try:  # the line's time (whole seconds): an entry older than a command is an earlier process of its pid
                    at = time.mktime(time.strptime(line[:19], '%Y-%m-%d %H:%M:%S'))
                except ValueError:
                    at = None
                m = self.SERVED.search(line)
                if m:
                    self.by_pid[int(m.group(2))] = ('served', m.group(3), int(m.group(4)), at)
                    continue
                m = self.FALLBACK.search(line)
                if m:
                    self.by_pid[int(m.group(1))] = ('fallback', m.group(2), m.group(3), at)
                    continue
                self.other.append(line)

    def outcome(self, pid, started, wait=0.5):
        """(route, command, exit or why) of the launcher pid started at `started` (time.time()); a line of an earlier
        process with the same pid (pids are reused: 32768 here), logged before that second, is passed over."""
        deadline = time.time() + wait
        while True:
            self.poll()
            with self.lock:
                if pid in self.by_pid:
                    route, command, detail, at = self.by_pid.pop(pid)
                    if at is None or at >= int(started) - 1:
                        return route, command, detail
            if time.time() >= deadline:
                return ('none', None, None)
            time.sleep(0.02)


DLOG = None
STATS = {'served': 0, 'fallback': 0, 'none': 0, 'own_jvm': 0, 'plain_cmds': 0, 'daemon_cmds': 0,
         'fallback_reasons': {}, 'none_commands': [], 'sequences': 0, 'steps': 0, 'checks': 0, 'conc_rounds': 0,
         'unexpected_served': 0, 'unexpected_fallback': 0}
STATS_LOCK = threading.Lock()


def bump(key, n=1):
    with STATS_LOCK:
        STATS[key] = STATS.get(key, 0) + n


# ------------------------------------------------------------------ running coral

class Result:
    __slots__ = ('rc', 'out', 'err', 'secs', 'route', 'why')

    def __init__(self, rc, out, err, secs, route='plain', why=None):
        self.rc, self.out, self.err, self.secs, self.route, self.why = rc, out, err, secs, route, why


def run_coral(side, root_parent, args, cwd_rel='', extra_env=None, stdin='devnull', umask=None,
              force_plain=False, input_bytes=None, timeout=300, pre_extra=None):
    """Runs the launcher for side `side` (folder root_parent/side) in folder cwd_rel below it; pre_extra runs in
    the child before the launcher (set a group id, a resource limit)."""
    root = os.path.join(root_parent, side)
    cwd = os.path.normpath(os.path.join(root, cwd_rel)) if cwd_rel else root
    if not os.path.isdir(cwd):
        cwd = root
    args = [a.replace('{ROOT}', root).replace('{SIDE}', side) for a in args]
    env = side_env(side, extra_env, force_plain)
    via_daemon = side != PLAIN and not force_plain

    def pre():
        if pre_extra is not None:
            pre_extra()
        if umask is not None:
            os.umask(umask)
        if stdin == 'closed':
            try:
                os.close(0)
            except OSError:
                pass

    kw = dict(cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=pre)
    master = None
    if stdin == 'devnull' or stdin == 'closed':
        kw['stdin'] = subprocess.DEVNULL
    elif stdin == 'pipe':
        kw['stdin'] = subprocess.PIPE
    elif stdin == 'pty':
        master, slave = os.openpty()
        kw['stdin'] = slave
        kw['stdout'] = slave
    t0 = time.time()
    p = subprocess.Popen([CORAL] + args, **kw)
    if master is not None:
        os.close(slave)
        chunks = []

        def reader():
            while True:
                try:
                    b = os.read(master, 65536)
                except OSError:
                    break
                if not b:
                    break
                chunks.append(b)
        th = threading.Thread(target=reader, daemon=True)
        th.start()
        try:
            _, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
        th.join(5)
        os.close(master)
        out = b''.join(chunks).replace(b'\r\n', b'\n')
    else:
        try:
            out, err = p.communicate(input=input_bytes if stdin == 'pipe' else None, timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            err += b'\n<<FUZZER: TIMEOUT>>'
    secs = time.time() - t0
    res = Result(p.returncode, out, err, secs)
    if via_daemon and cmd_name(args) in ('daemon', 'batch'):
        bump('own_jvm')  # the launcher never sends these to a daemon (coral's case "$name" in daemon|batch): no log line
    elif via_daemon:
        bump('daemon_cmds')
        route, _, why = DLOG.outcome(p.pid, t0)
        res.route, res.why = route, why
        bump(route)
        if route == 'fallback':
            with STATS_LOCK:
                key = re.sub(r'\d+', 'N', str(why))[:120]
                STATS['fallback_reasons'][key] = STATS['fallback_reasons'].get(key, 0) + 1
        elif route == 'none':  # no log line within the wait: which commands, to tell a harness miss from a route
            with STATS_LOCK:
                if len(STATS['none_commands']) < 20:
                    STATS['none_commands'].append({'args': args, 'rc': p.returncode, 'stdin': stdin, 'secs': round(secs, 3),
                                                   'env': sorted(k for k in (extra_env or {}))})
    else:
        bump('plain_cmds')
    return res


# ------------------------------------------------------------------ weight files

def bf16_bits(a32):
    return (a32.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)


ST_DTYPES = {'F32': np.float32, 'F16': np.float16, 'F64': np.float64, 'I32': np.int32, 'I64': np.int64,
             'I8': np.int8, 'U8': np.uint8, 'I16': np.int16, 'BOOL': np.bool_, 'BF16': np.uint16}


def read_safetensors(data):
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop('__metadata__', None)
    out = []
    body = data[8 + n:]
    for name, info in sorted(header.items(), key=lambda kv: kv[1]['data_offsets'][0]):
        dt = ST_DTYPES[info['dtype']]
        a, b = info['data_offsets']
        arr = np.frombuffer(body[a:b], dtype=dt).reshape(info['shape']).copy()
        out.append((name, info['dtype'], arr))
    return out, meta


def rand_array(rng, dtname, shape):
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    if dtname in ('F32', 'F16', 'F64', 'BF16'):
        a = nrng.standard_normal(shape).astype(np.float32) * rng.choice([0.02, 1.0, 30.0])
        if rng.random() < 0.1:
            a.flat[:3] = [np.nan, np.inf, -0.0][:min(3, a.size)] if a.size >= 3 else a.flat[:3]
        if dtname == 'BF16':
            return bf16_bits(a)
        return a.astype(ST_DTYPES[dtname])
    if dtname == 'BOOL':
        return nrng.random(shape) < 0.3
    info = np.iinfo(ST_DTYPES[dtname])
    lo, hi = max(info.min, -1000), min(info.max, 1000)
    return nrng.integers(lo, hi, size=shape, endpoint=False).astype(ST_DTYPES[dtname])


def rand_shape(rng, big=False):
    if big:
        return [rng.choice([256, 512, 1024]), rng.choice([256, 512, 1024])]
    k = rng.choice([0, 1, 1, 2, 2, 2, 3])
    if k == 0:
        return []
    dims = [rng.choice([1, 2, 3, 7, 16, 33, 64, 100, 128]) for _ in range(k)]
    while np.prod(dims) > 40000:
        dims[0] = max(1, dims[0] // 2)
    if rng.random() < 0.03:
        dims[-1] = 0
    return dims


def new_file_bytes(rng, path, big=False):
    ext = path.rsplit('.', 1)[-1]
    if ext == 'npy':
        dt = rng.choice(['F32', 'F32', 'F16', 'F64', 'I32', 'I8', 'U8', 'BOOL', 'I64'])
        a = rand_array(rng, dt, rand_shape(rng, big))
        return npy_bytes(a, fortran=rng.random() < 0.1)
    if ext == 'npz':
        arrs = {}
        for i in range(rng.randint(1, 3)):
            dt = rng.choice(['F32', 'F16', 'I32', 'U8', 'F64'])
            arrs[rng.choice(['a', 'b', 'w', 'bias', 'emb.weight', 'x/y'])] = rand_array(rng, dt, rand_shape(rng, big and i == 0))
        return npz_bytes(arrs, compressed=rng.random() < 0.3)
    if ext in ('h5', 'hdf5', 'keras'):
        dsets = {}
        for i in range(rng.randint(1, 4)):
            dt = rng.choice(['F32', 'F32', 'F16', 'F64', 'I32', 'U8', 'BOOL', 'BF16'])
            name = rng.choice(['dense/kernel:0', 'dense/bias:0', 'emb', 'layers/0/w', 'norm'])
            a = rand_array(rng, dt, rand_shape(rng, big and i == 0))
            if dt == 'BF16':  # as Keras 3 writes a bfloat16 variable: an opaque 2-byte type, marked (h5_bytes)
                a = np.ascontiguousarray(a).view('V2')
            dsets[name] = (a, rng.choice(['chunks', 'gzip', 'gzip+shuffle']) if rng.random() < 0.15 else None)
        data = h5_bytes(dsets, {'keras_version': '2.15.0'} if rng.random() < 0.5 else {})
        return keras_bytes(data, rng) if ext == 'keras' else data
    tensors = []
    names = set()
    for i in range(rng.randint(1, 4)):
        name = rng.choice(['w', 'b', 'layer.0.weight', 'layer.0.bias', 'emb', 'norm', 'head.weight', 'ünï'])
        if name in names:
            continue
        names.add(name)
        dt = rng.choice(['F32', 'F32', 'BF16', 'F16', 'I64', 'U8', 'BOOL', 'F64'])
        tensors.append((name, dt, rand_array(rng, dt, rand_shape(rng, big and i == 0))))
    meta = {'format': 'pt', 'step': str(rng.randint(0, 99))} if rng.random() < 0.4 else None
    return safetensors_bytes(tensors, meta)


def npy_bytes(a, fortran=False):
    import io
    buf = io.BytesIO()
    np.save(buf, np.asfortranarray(a) if fortran and a.ndim > 1 else a)
    return buf.getvalue()


def npz_bytes(arrs, compressed=False):
    import io
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrs)
    return buf.getvalue()


def h5_bytes(dsets, attrs):
    """An HDF5 file of {name: (array, layout)}: contiguous datasets, a chunked one now and then ('chunks', 'gzip',
    'gzip+shuffle'; tensors since 2026-12-06, their chunks rebuilt at checkout)."""
    import io
    buf = io.BytesIO()
    with h5py.File(buf, 'w', track_order=False) as f:
        for k, v in attrs.items():
            f.attrs[k] = v
        for name, (a, layout) in dsets.items():
            kw = {}
            if layout and a.size > 0 and a.ndim > 0:
                kw['chunks'] = True
                if layout.startswith('gzip') and a.dtype.kind != 'V':
                    kw.update(compression='gzip', shuffle=layout.endswith('shuffle'))
            ds = f.create_dataset(name, data=a, track_times=False, **kw)
            if a.dtype.kind == 'V' and a.dtype.itemsize == 2:
                ds.attrs['dtype'] = 'bfloat16'  # Keras 3's marker (saving_lib's H5IOStore)
    return buf.getvalue()


def keras_bytes(weights, rng):
    """A Keras 3 .keras file: a zip (stored) of metadata.json, config.json, model.weights.h5, as saving_lib writes it."""
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        z.writestr(zipfile.ZipInfo('metadata.json', (2026, 12, 5, 12, 0, 0)), json.dumps({'keras_version': '3.6.0'}))
        z.writestr(zipfile.ZipInfo('config.json', (2026, 12, 5, 12, 0, 0)), json.dumps({'class_name': 'Sequential',
                                                                                          'n': rng.randint(0, 9)}))
        z.writestr(zipfile.ZipInfo('model.weights.h5', (2026, 12, 5, 12, 0, 0)), weights)
    return buf.getvalue()


def keras_weights(data):
    import io
    import zipfile
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read('model.weights.h5')


def layout_of(ds):
    """What h5_bytes writes the dataset as again: None (contiguous), 'chunks', 'gzip' or 'gzip+shuffle'."""
    if ds.chunks is None:
        return None
    if ds.compression == 'gzip':
        return 'gzip+shuffle' if ds.shuffle else 'gzip'
    return 'chunks'


def h5_read(data):
    import io
    out = {}
    with h5py.File(io.BytesIO(data), 'r') as f:
        attrs = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in f.attrs.items()}
        f.visititems(lambda n, o: out.__setitem__(n, (o[()], layout_of(o))) if isinstance(o, h5py.Dataset) else None)
    return out, attrs


def perturb(rng, a, dtname=None):
    if a.size == 0:
        return a
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    b = a.copy()
    flat = b.reshape(-1)
    k = max(1, int(flat.size * rng.choice([0.001, 0.01, 0.1, 1.0])))
    idx = nrng.choice(flat.size, size=min(k, flat.size), replace=False)
    if dtname == 'BF16':
        f = (flat[idx].astype(np.uint32) << 16).view(np.float32)
        f = f - 1e-3 * nrng.standard_normal(len(idx)).astype(np.float32)
        flat[idx] = bf16_bits(f)
    elif b.dtype.kind == 'f':
        flat[idx] = (flat[idx] - (1e-3 * nrng.standard_normal(len(idx))).astype(b.dtype)).astype(b.dtype)
    elif b.dtype.kind == 'b':
        flat[idx] = ~flat[idx]
    else:
        flat[idx] = flat[idx] + 1
    return b


def mutate_bytes(rng, path, data):
    """A training-step-like change of data (the bytes of path), or a full rewrite, or a structural change."""
    import io
    ext = path.rsplit('.', 1)[-1]
    r = rng.random()
    if r < 0.08:
        return new_file_bytes(rng, path)
    try:
        if ext == 'npy':
            a = np.load(io.BytesIO(data), allow_pickle=False)
            if r < 0.13:
                a = a.astype(np.float64 if a.dtype != np.float64 else np.float32)
            elif r < 0.17 and a.ndim >= 1 and a.shape[0] > 1:
                a = a[:-1]
            return npy_bytes(perturb(rng, a))
        if ext == 'npz':
            z = np.load(io.BytesIO(data), allow_pickle=False)
            arrs = {k: z[k] for k in z.files}
            for k in list(arrs):
                if rng.random() < 0.7:
                    arrs[k] = perturb(rng, arrs[k])
            if r < 0.13:
                arrs['extra'] = np.arange(rng.randint(1, 50), dtype=np.int32)
            elif r < 0.16 and len(arrs) > 1:
                arrs.pop(sorted(arrs)[0])
            return npz_bytes(arrs, compressed=rng.random() < 0.3)
        if ext in ('h5', 'hdf5', 'keras'):
            dsets, attrs = h5_read(keras_weights(data) if ext == 'keras' else data)
            for k in list(dsets):
                if rng.random() < 0.7:
                    a = np.asarray(dsets[k][0])
                    if a.dtype.kind == 'V':  # a bfloat16 variable: its bits moved as BF16's are
                        a = perturb(rng, np.ascontiguousarray(a).view('<u2'), 'BF16').view('V2')
                    else:
                        a = perturb(rng, a)
                    dsets[k] = (a, dsets[k][1])
            if r < 0.13:
                dsets['extra'] = (np.arange(rng.randint(1, 50), dtype=np.int32), None)
            data = h5_bytes(dsets, attrs)
            return keras_bytes(data, rng) if ext == 'keras' else data
        tensors, meta = read_safetensors(data)
        out = []
        for name, dt, a in tensors:
            out.append((name, dt, perturb(rng, a, dt) if rng.random() < 0.8 else a))
        if r < 0.13:
            out.append(('new.' + str(rng.randint(0, 9)), 'F32', rand_array(rng, 'F32', [rng.randint(1, 40)])))
        elif r < 0.16 and len(out) > 1:
            out.pop(0)
        if meta and rng.random() < 0.2:
            meta = dict(meta, step=str(rng.randint(0, 999)))
        return safetensors_bytes(out, meta)
    except Exception:
        return new_file_bytes(rng, path)


def bad_file_bytes(rng, path, data):
    r = rng.random()
    if data and r < 0.5:
        return data[:rng.randint(0, max(0, len(data) - 1))]
    if r < 0.7:
        return b''
    if r < 0.85:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
    if path.endswith('.npy'):
        return b'\x93NUMPY\x01\x00v\x00{"descr": "<f4", "fortran_order": False, "shape": (1000,), }' + b' ' * 10 + b'\n' + b'\0' * 8
    if path.endswith('.safetensors'):
        return struct.pack('<Q', 40) + b'{"w":{"dtype":"F32","shape":[9],"data_offsets":[0,36]}}'[:40] + b'\0' * 4
    return b'PK\x03\x04garbage'


# ------------------------------------------------------------------ snapshots and normalization

def parse_checksummed(data):
    """Body of a CORALREF / CORALHED file: 8 magic, 4 version, 8 length, body, 4 crc."""
    if len(data) < 24:
        return None, None
    magic = data[:8].decode('ascii', 'replace')
    n = struct.unpack('>Q', data[12:20])[0]
    body = data[20:20 + n]
    return magic, body


class Side:
    """What a side knows: its root and the ids its refs showed, in order."""

    def __init__(self, parent, side):
        self.parent = parent
        self.side = side
        self.root = os.path.join(parent, side)
        self.ids = {}      # full hex -> C<n>
        self.prefix = {}   # hex prefix (7..64) -> C<n>

    def learn(self, hexid):
        if hexid in self.ids:
            return
        tag = 'C%d' % len(self.ids)
        self.ids[hexid] = tag
        for k in range(7, 65):
            self.prefix.setdefault(hexid[:k], tag)

    def ref_files(self):
        out = []
        for coral in self.coral_dirs():
            for name in ('HEAD', 'ORIG_HEAD'):
                p = os.path.join(coral, name)
                if os.path.isfile(p):
                    out.append(p)
            for dp, dns, fns in os.walk(os.path.join(coral, 'refs')):
                dns.sort()
                for fn in sorted(fns):
                    out.append(os.path.join(dp, fn))
        return out

    def coral_dirs(self):
        found = []
        for dp, dns, fns in os.walk(self.root):
            dns.sort()
            if '.coral' in dns:
                found.append(os.path.join(dp, '.coral'))
            dns[:] = [d for d in dns if d != '.coral']
        return found

    def learn_refs(self):
        snap = []
        for p in self.ref_files():
            rel = os.path.relpath(p, self.root)
            try:
                data = open(p, 'rb').read()
            except OSError as e:
                snap.append((rel, 'unreadable ' + type(e).__name__))
                continue
            magic, body = parse_checksummed(data)
            if magic == 'CORALREF' and body is not None and len(body) == 32:
                h = body.hex()
                self.learn(h)
                snap.append((rel, 'id'))
            elif magic == 'CORALHED' and body is not None:
                s = body.decode('utf-8', 'replace')
                if re.fullmatch(r'[0-9a-f]{64}', s):
                    self.learn(s)
                    snap.append((rel, 'detached'))
                else:
                    snap.append((rel, s))
            else:
                snap.append((rel, 'raw ' + hashlib.sha1(data).hexdigest()[:8]))
        # second pass names them (all learned now)
        named = []
        for (rel, what), p in zip(snap, self.ref_files()):
            if what in ('id', 'detached'):
                try:
                    _, body = parse_checksummed(open(p, 'rb').read())
                    h = body.hex() if what == 'id' else body.decode()
                    what = ('detached ' if what == 'detached' else '') + self.ids.get(h, '?')
                except Exception:
                    pass
            named.append((rel, what))
        return named

    HEX = re.compile(r'(?<![0-9A-Za-z])[0-9a-f]{7,64}(?![0-9A-Za-z])')

    def norm(self, text):
        text = text.replace(self.root, '<ROOT>').replace(self.side, 'side_X')
        text = re.sub(r'/proc/\d+', '/proc/<PID>', text)

        def rep(m):
            t = m.group(0)
            return self.prefix.get(t, t)
        text = self.HEX.sub(rep, text)
        text = re.sub(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?', '<DATE>', text)
        text = re.sub(r'"timeMillis": ?\d+', '"timeMillis": <MS>', text)
        text = re.sub(r'\bpid \d+', 'pid <PID>', text)
        # `coral daemon status` asked twice of one daemon: its uptime, count and heap move between the two asks
        text = re.sub(r'up \d+ s, \d+ commands? run, \d+ running, heap \d+ of \d+ MB', 'up N s, N commands run, N running, heap N of N MB', text)
        # the staging index holds file stamps, so a damaged one's checksum differs between the sides
        text = re.sub(r'(index: checksum mismatch \(stored \w+, computed )\w+', r'\1<CRC>', text)
        return text

    def worktree(self):
        """Working files (not .coral), their sizes, digests and modes; .coral's small files."""
        snap = []
        for dp, dns, fns in os.walk(self.root):
            dns.sort()
            rel_dir = os.path.relpath(dp, self.root)
            if '.coral' in dns:
                snap.append((os.path.join(rel_dir, '.coral'), 'dir', oct(os.stat(os.path.join(dp, '.coral')).st_mode & 0o777)))
            dns[:] = [d for d in dns if d != '.coral']
            for d in dns:
                p = os.path.join(dp, d)
                st = os.lstat(p)
                snap.append((os.path.join(rel_dir, d), 'dir', oct(st.st_mode & 0o777)))
            for fn in sorted(fns):
                p = os.path.join(dp, fn)
                st = os.lstat(p)
                rel = os.path.join(rel_dir, fn)
                if os.path.islink(p):
                    snap.append((rel, 'link', os.readlink(p)))
                    continue
                if re.search(r'\.tmp-', fn):
                    rel = re.sub(r'[0-9a-f-]{36}', '<UUID>', rel)
                with open(p, 'rb') as f:
                    h = hashlib.sha1(f.read()).hexdigest()[:12]
                snap.append((rel, st.st_size, h, oct(st.st_mode & 0o777)))
        for coral in self.coral_dirs():
            for name in ('config', 'format'):
                p = os.path.join(coral, name)
                if os.path.isfile(p):
                    st = os.stat(p)
                    snap.append((os.path.relpath(p, self.root), hashlib.sha1(open(p, 'rb').read()).hexdigest()[:12],
                                 oct(st.st_mode & 0o777)))
            top = sorted(n for n in os.listdir(coral) if not n.startswith('index') and n not in ('locks',)
                         and not n.endswith('.tmp') and '.tmp-' not in n)
            snap.append((os.path.relpath(coral, self.root) + '/*', ' '.join(top)))
        return snap


# ------------------------------------------------------------------ command generation

FILE_POOL = ['model.safetensors', 'w.npy', 'opt.npz', 'sub/layer.npy', 'sub/deep/emb.safetensors',
             'sub/x.npz', 'ünï cödé.npy', '日本/重み.safetensors', 'a b.npy', 'head.safetensors'] \
    + (['keras.h5', 'sub/ckpt.hdf5', 'model.keras'] if h5py is not None else [])
BRANCH_POOL = ['main', 'dev', 'exp/a', 'feat', 'ünï', 'v1']
TAG_POOL = ['v1', 't0', 'rel/1', 'best']
REVS_STATIC = ['HEAD', 'HEAD~1', 'HEAD~2', 'HEAD^', 'main', 'ORIG_HEAD', 'nope', 'HEAD~99', 'main~1', '0000000',
               'deadbeef']
CONFIG_SETS = [('chunk.bytes', ['64K', '1M', '4M', '100', '63', '1K', 'x']), ('zstd.level', ['1', '3', '-7', '22', '99']),
               ('delta.max-depth', ['0', '1', '3', '12', '24', '25']), ('delta.run', ['1', '2', '8', '30']),
               ('codec.contexts', ['true', 'false', 'maybe']), ('codec.zigzag', ['true', 'false']),
               ('cache.bytes', ['0', '1M', '1G', '64K']), ('similarity.threshold', ['0.6', '0', '1', '0.9', '2']),
               ('checkout.fsync', ['true', 'false']), ('no.such', ['1'])]
AUTHORS = ['alice', 'Bob Ünï', 'x@y', '  ', '']


class Gen:
    """Generates steps from the plain side's state."""

    def __init__(self, rng, side):
        self.rng = rng
        self.side = side
        self.prefix = None

    def files(self):
        out = []
        for dp, dns, fns in os.walk(self.side.root):
            dns[:] = [d for d in dns if d != '.coral']
            for fn in fns:
                out.append(os.path.relpath(os.path.join(dp, fn), self.side.root))
        return sorted(out)

    def refs(self, kind):
        out = []
        d = os.path.join(self.side.root, '.coral', 'refs', kind)
        for dp, dns, fns in os.walk(d):
            for fn in fns:
                out.append(os.path.relpath(os.path.join(dp, fn), d))
        return sorted(out)

    def is_repo(self):
        return os.path.isdir(os.path.join(self.side.root, '.coral'))

    def rev(self):
        """Mostly revisions that exist (HEAD, HEAD~1, branches, tags, ids the refs showed), sometimes others."""
        r = self.rng
        x = r.random()
        if x < 0.15 and self.side.ids:
            return '{ID%d:%d}' % (r.randrange(len(self.side.ids)), r.choice([7, 10, 64]))
        if x < 0.35:
            return 'HEAD'
        if x < 0.45:
            return r.choice(['HEAD~1', 'HEAD^', 'main~1', 'HEAD~2'])
        if x < 0.8 and (self.refs('heads') or self.refs('tags')):
            return r.choice(self.refs('heads') * 2 + self.refs('tags'))
        return r.choice(REVS_STATIC)

    def path_arg(self, tracked_bias=0.8):
        r = self.rng
        fs = self.files()
        x = r.random()
        if fs and x < tracked_bias:
            return r.choice(fs)
        return r.choice(['.', 'sub', 'sub/', 'nope.npy', '../outside.npy', '{ROOT}/w.npy', 'sub/deep', 'x.txt',
                         r.choice(FILE_POOL), '日本', './w.npy', 'sub/../w.npy', ''])

    def paths(self, lo=1, hi=3):
        return [self.path_arg() for _ in range(self.rng.randint(lo, hi))]

    def msg(self):
        return self.rng.choice(['step', 'train ' + str(self.rng.randint(0, 999)), 'ünï cödé ✓', 'multi\nline',
                                'quote "x"', '-dash', ''])

    def step(self):
        r = self.rng
        if self.prefix is None:  # most sequences start with a repository holding a commit or two
            self.prefix = []
            if r.random() < 0.75:
                self.prefix.append(self.coral(['init'] + r.choice([[], [], ['--chunk-size=64K'], ['--delta-depth=3', '--delta-run=2']])))
                for p in r.sample(FILE_POOL, r.randint(1, 3)):
                    self.prefix.append({'op': 'write', 'path': p, 'seed': r.randrange(1 << 30), 'big': r.random() < 0.1})
                self.prefix.append(self.coral(['add', '.']))
                self.prefix.append(self.coral(['commit', '-m', 'initial', '--metric', 'loss=1.5']))
                if r.random() < 0.6:
                    self.prefix.append({'op': 'mutate', 'path': '*', 'seed': r.randrange(1 << 30)})
                    self.prefix.append(self.coral(['commit', '-a', '-m', 'step 1']))
        if self.prefix:
            st = self.prefix.pop(0)
            if st['op'] == 'mutate' and st['path'] == '*':
                fs = self.files()
                if not fs:
                    return self.coral(['status'])
                st['path'] = r.choice(fs)
            return st
        if not self.is_repo() and r.random() < 0.8:
            opts = r.choice([[], [], ['-q'], ['--chunk-size=64K'], ['--delta-depth=3', '--delta-run=2'],
                             ['--zstd-level=5'], ['-c', 'cache.bytes=0'], ['--chunk-size=1K', '-c', 'codec.zigzag=false']])
            return self.coral(['init'] + opts)
        x = r.random()
        fs = self.files()
        if x < 0.16 or not fs:
            p = r.choice(FILE_POOL)
            return {'op': 'write', 'path': p, 'seed': r.randrange(1 << 30), 'big': r.random() < 0.05}
        if x < 0.32:
            return {'op': 'mutate', 'path': r.choice(fs), 'seed': r.randrange(1 << 30)}
        if x < 0.34:
            return {'op': 'bad', 'path': r.choice(fs + FILE_POOL), 'seed': r.randrange(1 << 30)}
        if x < 0.36:
            return {'op': 'fs', 'what': r.choice(['delete', 'touch', 'rename', 'mkdir', 'rmtree_sub', 'untracked_txt']),
                    'path': r.choice(fs), 'to': r.choice(FILE_POOL), 'seed': r.randrange(1 << 30)}
        if x < 0.375:
            return {'op': 'corrupt', 'what': r.choice(['similarity', 'chunk-cache', 'config', 'format', 'rm-cache',
                                                       'similarity-garbage', 'index', 'orig']),
                    'seed': r.randrange(1 << 30)}
        st = self.coral_cmd()
        if r.random() < 0.08:
            st['force_plain'] = True  # "another process" on the daemon side
        return st

    def coral(self, args, **kw):
        st = {'op': 'coral', 'args': args}
        st.update(kw)
        return st

    def coral_cmd(self):
        r = self.rng
        cmds = [('add', 10), ('commit', 14), ('status', 8), ('log', 6), ('show', 4), ('diff', 5), ('checkout', 6),
                ('switch', 3), ('branch', 5), ('tag', 4), ('reset', 4), ('restore', 4), ('rm', 3), ('mv', 3),
                ('export', 4), ('stats', 3), ('fsck', 2), ('gc', 2), ('repack', 1), ('config', 6), ('misc', 2),
                ('init', 1), ('merge', 4), ('completion', 1)]
        name = r.choices([c for c, _ in cmds], [w for _, w in cmds])[0]
        a = getattr(self, 'g_' + name)()
        st = self.coral(a)
        # environment / folder / stdin variations
        if r.random() < 0.2:
            st['env'] = {'CORAL_AUTHOR': r.choice(AUTHORS + [None])}
        if r.random() < 0.04:
            st.setdefault('env', {})['CORAL_DEBUG'] = r.choice(['1', '0', ''])
        if r.random() < 0.03:
            st.setdefault('env', {})['TZ'] = r.choice(['Asia/Tokyo', 'UTC', ''])
        if r.random() < 0.03:
            st.setdefault('env', {}).update(r.choice([{'LANG': 'C'}, {'LC_ALL': 'C.UTF-8'}, {'LANG': None},
                                                      {'LC_ALL': 'POSIX'}, {'LC_NUMERIC': 'de_DE.UTF-8'},
                                                      {'LANG': 'C.UTF-8', 'LC_COLLATE': 'C'}, {'LANGUAGE': 'fr'},
                                                      {'HOSTNAME': 'elsewhere'}, {'USER': 'mallory', 'HOME': '/nonexistent'}]))
        if r.random() < 0.02:
            st['umask'] = r.choice([0o077, 0o002, 0o022])
        if r.random() < 0.06:
            st['stdin'] = r.choice(['closed', 'pipe'])
        if r.random() < 0.03 and name in ('status', 'log', 'show', 'diff', 'commit', 'checkout', 'add', 'stats', 'switch'):
            st['stdin'] = 'pty'
        if r.random() < 0.12:
            st['cwd'] = r.choice(['sub', 'sub/deep', '日本'])
        elif r.random() < 0.06:
            st['cwd'] = '..'
            st['args'] = ['-C', r.choice(['{SIDE}', '{SIDE}/sub', 'nosuch', '{ROOT}'])] + st['args']
        elif r.random() < 0.04:
            st['args'] = ['-C', r.choice(['sub', '.', 'nosuch', 'w.npy', '..'])] + st['args']
        return st

    # --- per command
    def g_add(self):
        r = self.rng
        a = ['add'] + (['-q'] if r.random() < 0.1 else [])
        return a + (['.'] if r.random() < 0.35 else self.paths())

    def g_commit(self):
        r = self.rng
        a = ['commit', '-m', self.msg()]
        if r.random() < 0.15:
            a += ['-m', 'second paragraph']
        if r.random() < 0.4:
            a += ['--metric', 'loss=%s' % r.choice(['0.31', '1e-3', 'nan', 'inf', '-inf', 'abc', '2'])]
        if r.random() < 0.15:
            a += ['--author=' + r.choice(AUTHORS)]
        if r.random() < 0.25:
            a += ['-a']
        if r.random() < 0.05:
            a += ['--lossy=' + r.choice(['1e-3', '1e-5', '0', '-1'])]
        if r.random() < 0.05:
            a += ['--no-rebase']
        if r.random() < 0.1:
            a += ['-q']
        if r.random() < 0.3:
            a += self.paths()
        if r.random() < 0.03:
            a = ['commit']
        return a

    def g_status(self):
        return ['status'] + (['--json'] if self.rng.random() < 0.5 else [])

    def g_log(self):
        r = self.rng
        a = ['log']
        if r.random() < 0.5:
            a += ['--oneline']
        if r.random() < 0.3:
            a += ['--json']
        if r.random() < 0.4:
            a += ['-n', str(r.choice([0, 1, 2, 5, -1]))]
        if r.random() < 0.4:
            a += [self.rev()]
        return a

    def g_show(self):
        r = self.rng
        a = ['show'] + (['--json'] if r.random() < 0.4 else [])
        x = r.random()
        if x < 0.4:
            a += [self.rev()]
        elif x < 0.8:
            fs = self.files()
            a += ['%s:%s' % (self.rev(), r.choice(fs) if fs else 'w.npy')]
        return a

    def g_diff(self):
        r = self.rng
        a = ['diff']
        for o in ['--json', '--name-only', '--name-status', '--staged', '--exit-code']:
            if r.random() < 0.2:
                a.append(o)
        x = r.random()
        if x < 0.3:
            a.append(self.rev())
        elif x < 0.45:
            a += [self.rev(), self.rev()]
        if r.random() < 0.3:
            a += ['--'] + self.paths(1, 2)
        return a

    def g_checkout(self):
        r = self.rng
        x = r.random()
        f = ['--force'] if r.random() < 0.3 else []
        q = ['-q'] if r.random() < 0.1 else []
        if x < 0.5:
            return ['checkout'] + f + q + [self.rev()]
        if x < 0.65:
            return ['checkout'] + q + ['-b', r.choice(BRANCH_POOL)]
        if x < 0.85:
            return ['checkout'] + f + ['--'] + self.paths(1, 2)
        return ['checkout'] + f + [self.rev()] + self.paths(1, 2)

    def g_switch(self):
        r = self.rng
        a = ['switch']
        if r.random() < 0.25:
            a.append('-c')
        if r.random() < 0.25:
            a.append('-f')
        return a + [r.choice(BRANCH_POOL + self.refs('heads'))]

    def g_branch(self):
        r = self.rng
        x = r.random()
        b = r.choice(BRANCH_POOL + self.refs('heads'))
        if x < 0.25:
            return ['branch']
        if x < 0.5:
            return ['branch', b] + ([self.rev()] if r.random() < 0.5 else [])
        if x < 0.65:
            return ['branch', r.choice(['-d', '-D']), b]
        if x < 0.8:
            return ['branch', r.choice(['-m', '-M']), b, r.choice(BRANCH_POOL)]
        if x < 0.9:
            return ['branch', '-f', b, self.rev()]
        return ['branch', '-m', r.choice(BRANCH_POOL)]

    def g_tag(self):
        r = self.rng
        x = r.random()
        t = r.choice(TAG_POOL + self.refs('tags'))
        if x < 0.2:
            return ['tag']
        if x < 0.5:
            return ['tag', t] + ([self.rev()] if r.random() < 0.4 else [])
        if x < 0.75:
            return ['tag', '-m', self.msg(), t] + (['-f'] if r.random() < 0.3 else [])
        if x < 0.85:
            return ['tag', '-f', t, self.rev()]
        return ['tag', '-d', t]

    def g_reset(self):
        r = self.rng
        a = ['reset']
        x = r.random()
        if x < 0.7:
            a += [r.choice(['--soft', '--mixed', '--hard', '--hard'])] if r.random() < 0.8 else []
            if r.random() < 0.8:
                a.append(self.rev())
        else:
            a += ([self.rev()] if r.random() < 0.5 else []) + ['--'] + self.paths(1, 2)
        if r.random() < 0.1:
            a.append('-q')
        return a

    def g_restore(self):
        r = self.rng
        a = ['restore']
        if r.random() < 0.4:
            a.append('-S')
        if r.random() < 0.2:
            a.append('-W')
        if r.random() < 0.3:
            a += ['-s', self.rev()]
        return a + self.paths(1, 2)

    def g_rm(self):
        r = self.rng
        a = ['rm']
        if r.random() < 0.3:
            a.append('--cached')
        if r.random() < 0.3:
            a.append('-f')
        return a + self.paths(1, 2)

    def g_mv(self):
        r = self.rng
        a = ['mv']
        if r.random() < 0.2:
            a.append('-f')
        if r.random() < 0.3:
            a.append('-v')
        return a + [self.path_arg(0.9), r.choice(FILE_POOL + ['sub', 'sub/deep', 'new.npy', 'moved.safetensors', 'nodir/x.npy'])]

    def g_export(self):
        r = self.rng
        fs = self.files()
        p = r.choice(fs) if fs and r.random() < 0.85 else r.choice(FILE_POOL)
        rev = 'HEAD' if r.random() < 0.5 else self.rev()
        src = '%s:%s' % (rev, p) if r.random() < 0.9 else rev
        out = r.choice(['-', '-', 'out.npy', 'out.safetensors', 'out.npz', 'sub/out.npz', '/dev/null', 'nodir/o.npy', 'out.h5',
                        'out.keras'])
        a = ['export', '-o', out, src]
        if r.random() < 0.25:
            a.insert(1, '--format=' + r.choice(['npy', 'npz', 'safetensors', 'pt', 'h5', 'keras']))
        return a

    def g_stats(self):
        r = self.rng
        return ['stats'] + [o for o in ['--json', '--files', '--commits', '--clusters'] if r.random() < 0.3]

    def g_fsck(self):
        r = self.rng
        return ['fsck'] + [o for o in ['--json', '--rebuild-index'] if r.random() < 0.25]

    def g_gc(self):
        r = self.rng
        return ['gc'] + [o for o in ['--dry-run', '--prune=now', '-q'] if r.random() < 0.4]

    def g_repack(self):
        return ['repack'] + (['-q'] if self.rng.random() < 0.3 else [])

    def g_config(self):
        r = self.rng
        x = r.random()
        if x < 0.2:
            return ['config']
        k, vals = r.choice(CONFIG_SETS)
        if x < 0.35:
            return ['config', k]
        return ['config', k, r.choice(vals)]

    def g_merge(self):
        r = self.rng
        a = ['merge']
        if r.random() < 0.6:
            a += ['--strategy', r.choice(['ours', 'theirs', 'average', 'weighted=0.25', 'weighted=1.5', 'bogus'])]
        if r.random() < 0.2:
            a.append('--no-ff')
        if r.random() < 0.3:
            a += ['-m', self.msg()]
        if r.random() < 0.1:
            a += ['--author=' + r.choice(AUTHORS)]
        if r.random() < 0.1:
            a.append('-q')
        return a + [r.choice(self.refs('heads') * 3 + BRANCH_POOL + [self.rev()])]

    def g_completion(self):
        return ['completion']

    def g_misc(self):
        return self.rng.choice([['--version'], ['--help'], ['nosuchcmd'], [], ['status', '--bogus'], ['log', '-n', 'x'],
                                ['commit'], ['add'], ['show', 'HEAD:nope.npy'], ['-C'], ['daemon', 'status']])

    def g_init(self):
        return self.rng.choice([['init'], ['init', 'sub'], ['init', '-q', 'nested'], ['init', '.']])


# ------------------------------------------------------------------ executing a step on both sides

def resolve_args(args, side):
    out = []
    items = list(side.ids.items())
    for a in args:
        m = re.fullmatch(r'\{ID(\d+):(\d+)\}', a)
        if m:
            i, n = int(m.group(1)), int(m.group(2))
            a = items[i][0][:n] if i < len(items) else 'HEAD'
        out.append(a)
    return out


def apply_file_step(step, side, cache):
    """Writes / mutates on one side; the bytes are computed once (cache) so that both sides get the same."""
    root = side.root
    op = step['op']
    if op in ('write', 'mutate', 'bad'):
        path = os.path.join(root, step['path'])
        if 'bytes' not in cache:
            rng = random.Random(step['seed'])
            if op == 'write':
                cache['bytes'] = new_file_bytes(rng, step['path'], step.get('big'))
            else:
                try:
                    data = open(path, 'rb').read()
                except OSError:
                    data = b''
                cache['bytes'] = (mutate_bytes if op == 'mutate' else bad_file_bytes)(rng, step['path'], data)
        if os.path.isdir(path):
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(cache['bytes'])
        return
    if op == 'fs':
        rng = random.Random(step['seed'])
        p = os.path.join(root, step['path'])
        w = step['what']
        try:
            if w == 'delete' and os.path.isfile(p):
                os.remove(p)
            elif w == 'touch' and os.path.exists(p):
                t = time.time() + rng.choice([-100, 5, 0])
                os.utime(p, (t, t))
            elif w == 'rename' and os.path.isfile(p):
                q = os.path.join(root, step['to'])
                os.makedirs(os.path.dirname(q), exist_ok=True)
                if not os.path.isdir(q):
                    os.replace(p, q)
            elif w == 'mkdir':
                os.makedirs(os.path.join(root, 'sub', 'deep'), exist_ok=True)
                os.makedirs(os.path.join(root, '日本'), exist_ok=True)
            elif w == 'rmtree_sub':
                shutil.rmtree(os.path.join(root, 'sub'), ignore_errors=True)
            elif w == 'untracked_txt':
                open(os.path.join(root, 'notes.txt'), 'w').write('x')
        except OSError:
            pass
        return
    if op == 'corrupt':
        rng = random.Random(step['seed'])
        coral = os.path.join(root, '.coral')
        w = step['what']
        try:
            if w == 'similarity':
                p = os.path.join(coral, 'cache', 'similarity')
                if os.path.isfile(p):
                    d = bytearray(open(p, 'rb').read())
                    if d:
                        d[len(d) // 2] ^= 0xFF
                    open(p, 'wb').write(bytes(d))
            elif w == 'similarity-garbage':
                os.makedirs(os.path.join(coral, 'cache'), exist_ok=True)
                open(os.path.join(coral, 'cache', 'similarity'), 'wb').write(b'garbage' * 10)
            elif w == 'chunk-cache':
                d = os.path.join(coral, 'cache', 'chunks')
                if os.path.isdir(d):
                    for dp, _, fns in os.walk(d):
                        for fn in sorted(fns)[:3]:
                            q = os.path.join(dp, fn)
                            b = bytearray(open(q, 'rb').read())
                            if b:
                                b[len(b) // 2] ^= 0x55
                            open(q, 'wb').write(bytes(b))
            elif w == 'rm-cache':
                shutil.rmtree(os.path.join(coral, 'cache'), ignore_errors=True)
                os.makedirs(os.path.join(coral, 'cache'), exist_ok=True)
            elif w == 'config':
                p = os.path.join(coral, 'config')
                if os.path.isfile(p):
                    d = bytearray(open(p, 'rb').read())
                    d[len(d) // 2] ^= 0x01
                    open(p, 'wb').write(bytes(d))
            elif w == 'format':
                p = os.path.join(coral, 'format')
                if os.path.isfile(p):
                    open(p, 'ab').write(b'x')
            elif w == 'index':
                p = os.path.join(coral, 'index')
                if os.path.isfile(p):
                    d = open(p, 'rb').read()
                    open(p, 'wb').write(d[:len(d) // 2])
            elif w == 'orig':
                p = os.path.join(coral, 'ORIG_HEAD')
                if os.path.isfile(p):
                    os.remove(p)
        except OSError:
            pass


def cmd_name(args):
    """The coral command args run, as the launcher's command_name finds it: the first argument past -C DIR (none past other options)."""
    i = 0
    while i < len(args):
        a = args[i]
        if a == '-C':
            i += 2
            continue
        if a.startswith('-C'):
            i += 1
            continue
        if a.startswith('-'):
            return None
        return a
    return None


def expected_fallback(step):
    """Why the daemon should not serve this step (or None)."""
    env = step.get('env') or {}
    if step.get('umask') not in (None, 0o022):
        return 'umask'
    for k in ('TZ',):
        if k in env:
            return k
    for k in ('LANG', 'LC_ALL', 'LC_NUMERIC', 'LC_CTYPE', 'LC_MESSAGES', 'LC_TIME'):
        if k in env and env[k] != ENV0.get(k):
            if k == 'LANG' and env[k] == 'C.UTF-8':
                continue
            return k
    if cmd_name(step['args']) in ('daemon', 'batch'):
        return 'daemon'
    return None


def run_step(step, sides, parent, extra_checks=False):
    """Runs step on both sides; returns list of (field, a_norm, b_norm, raw) differences and the results."""
    A, B = sides
    op = step['op']
    diffs = []
    results = {}
    if op != 'coral':
        cache = {}
        apply_file_step(step, A, cache)
        apply_file_step(step, B, cache)
    else:
        for s in (A, B):
            args = resolve_args(step['args'], s)
            res = run_coral(s.side, parent, args, step.get('cwd', ''), step.get('env'), step.get('stdin', 'devnull'),
                            step.get('umask'), force_plain=step.get('force_plain', False),
                            input_bytes=b'["status"]\nrandom input\n')
            results[s.side] = res
    ra, rb = A.learn_refs(), B.learn_refs()
    if op == 'coral':
        a, b = results[PLAIN], results[DAEM]
        with STATS_LOCK:
            k = '%s:%d' % (cmd_name(step['args']), a.rc)
            d = STATS.setdefault('plain_rc', {})
            d[k] = d.get(k, 0) + 1
        if a.rc != b.rc:
            diffs.append(('exit', str(a.rc), str(b.rc)))
        name = cmd_name(step['args'])
        racy_add = False
        binary = name == 'export' and '-' in step['args']
        if binary:
            if a.out != b.out:
                diffs.append(('stdout-bytes', 'len %d sha %s' % (len(a.out), hashlib.sha1(a.out).hexdigest()[:10]),
                              'len %d sha %s' % (len(b.out), hashlib.sha1(b.out).hexdigest()[:10])))
        else:
            ao, bo = A.norm(a.out.decode('utf-8', 'replace')), B.norm(b.out.decode('utf-8', 'replace'))
            if ao != bo and name == 'add' and size_mask(racy_add_mask(ao)) == size_mask(racy_add_mask(bo)):
                record('RACY|add: a file found unchanged on one side, read again on the other', {
                    'where': parent, 'field': 'stdout', 'plain': ao[-2500:], 'daemon': bo[-2500:], 'sequence': None})
                ao = bo
                racy_add = True
            elif ao != bo and name in SIZE_CMDS and size_mask(ao) == size_mask(bo):
                record('SIZES|' + kind_of(step, 'stdout', ao, bo), {'where': parent, 'field': 'stdout', 'plain': ao[-2500:],
                                                                   'daemon': bo[-2500:], 'sequence': None})
                ao = bo
            if ao != bo:
                diffs.append(('stdout', ao, bo))
        ae, be = A.norm(a.err.decode('utf-8', 'replace')), B.norm(b.err.decode('utf-8', 'replace'))
        if ae != be and racy_add and without_notes(ae) == without_notes(be):
            ae = be  # a file read again says what it keeps as bytes; one found unchanged is not read
        if ae != be and cut_frames(ae) == cut_frames(be):
            record('NOTE|stack traces end in Main.main vs DaemonServer frames (CORAL_DEBUG)', {'where': 'any', 'plain': ae[-800:], 'daemon': be[-800:], 'sequence': [describe_step(step)]})
            ae = be
        if ae != be:
            diffs.append(('stderr', ae, be))
        # route checks
        if not step.get('force_plain'):
            exp = expected_fallback(step)
            if b.route == 'served' and exp:
                bump('unexpected_served')
                diffs.append(('route', 'expected fallback (%s)' % exp, 'served'))
            elif b.route == 'fallback' and not exp:
                bump('unexpected_fallback')
                diffs.append(('route', 'expected served', 'fallback: %s' % b.why))
    if ra != rb:
        diffs.append(('refs', json.dumps(ra, ensure_ascii=False), json.dumps(rb, ensure_ascii=False)))
    wa, wb = A.worktree(), B.worktree()
    if wa != wb:
        sa, sb = set(map(repr, wa)), set(map(repr, wb))
        diffs.append(('worktree', '\n'.join(sorted(sa - sb)), '\n'.join(sorted(sb - sa))))
    return diffs, results


SIZE_CMDS = {'stats', 'show', 'commit', 'add', 'gc', 'repack'}
SIZE_KEY = re.compile(r'stored|disk|ratio|codec|plane|layout|cache|pack|index|freed', re.I)


def racy_add_mask(text):
    """add's summary without what depends on when each side ran: a file modified less than 2 s before the index was
    written is read again (racy-entry rule), else found unchanged; both are right. '(N unchanged)' and the chunk counts go."""
    text = re.sub(r' \(\d+ unchanged\)', '', text)
    text = re.sub(r'\d+ chunks? written', 'N chunks written', text)
    return re.sub(r'\d+ deduplicated', 'N deduplicated', text)


def without_notes(text):
    return '\n'.join(l for l in text.split('\n') if not l.startswith('note: '))


def size_mask(text):
    """text with stored sizes, ratios, codec and plane tables masked (what the encoder's choices change)."""
    try:
        j = json.loads(text)

        def strip(x):
            if isinstance(x, dict):
                return {k: strip(v) for k, v in x.items() if not SIZE_KEY.search(k)}
            if isinstance(x, list):
                return [strip(v) for v in x]
            return x
        return json.dumps(strip(j), sort_keys=True)
    except ValueError:
        pass
    out = []
    for line in text.split('\n'):
        if re.match(r'^(CODEC|PLANES AS|exponent layout|mantissa-bit layout)', line):
            out.append('<TABLE CUT>')
            break
        line = re.sub(r'\s*\d+(\.\d+)? ?(B|kB|MB|GB|TB)\b', ' <SZ>', line)
        line = re.sub(r'\s*\d+(\.\d+)?x\b', ' <R>', line)
        line = re.sub(r'^(\s+\S+\s+[A-Z0-9_]+\s+\[[^\]]*\]\s+\d+\s+)\d+$', r'\1<SZ>', line)
        out.append(line)
    return '\n'.join(out)


def cut_frames(text):
    """A stack trace with the frames below Main.run cut, and a cause's '... N more' (frames it shares with the
    trace it caused, which the two routes' differing frames below Main.run change) without its count."""
    out = []
    skipping = False
    for line in text.split('\n'):
        line = re.sub(r'^\t\.\.\. \d+ more$', '\t... N more', line)
        if line.startswith('\tat '):
            if skipping:
                continue
            if 'dev.coral.cli.Main.run(Main.java' in line:
                skipping = True
        else:
            skipping = False
        out.append(line)
    return '\n'.join(out)


def check_step():
    return [{'op': 'coral', 'args': ['status', '--json'], 'check': True},
            {'op': 'coral', 'args': ['log', '--oneline', '-n', '30'], 'check': True}]


# ------------------------------------------------------------------ findings

FINDINGS = {}
FIND_LOCK = threading.Lock()


def kind_of(step, field, a, b):
    name = cmd_name(step.get('args', [])) if step['op'] == 'coral' else step['op']
    # the first differing line, digits masked
    al, bl = a.split('\n'), b.split('\n')
    first = ''
    for i in range(max(len(al), len(bl))):
        x = al[i] if i < len(al) else '<none>'
        y = bl[i] if i < len(bl) else '<none>'
        if x != y:
            first = (x[:80] + ' || ' + y[:80])
            break
    if field in ('exit', 'route'):
        first = a + ' vs ' + b
    first = re.sub(r'\d+(\.\d+)?', 'N', first)
    first = re.sub(r"'[^']*'", "'S'", first)
    return '%s|%s|%s' % (name, field, first)


def loose(text):
    text = re.sub(r'[0-9a-f]{7,64}', '<H>', text)
    text = re.sub(r'C\d+', '<H>', text)
    return text


def record(kind, info):
    with FIND_LOCK:
        f = FINDINGS.get(kind)
        if f is None:
            FINDINGS[kind] = f = {'kind': kind, 'count': 0, 'first': info}
            with open(os.path.join(BASE, 'findings.log'), 'a') as fh:
                fh.write('=' * 100 + '\nNEW KIND: %s\n%s\n' % (kind, json.dumps(info, indent=1, ensure_ascii=False)))
            log('NEW DIFFERENCE KIND: ' + kind)
        f['count'] += 1
        if f['count'] <= 3 and f['count'] > 1:
            f.setdefault('more', []).append(info.get('where'))


def describe_step(step):
    if step['op'] == 'coral':
        s = 'coral ' + ' '.join(json.dumps(a, ensure_ascii=False) if (not a or re.search(r'[\s"\\]', a)) else a for a in step['args'])
        extras = []
        if step.get('cwd'):
            extras.append('cwd=' + step['cwd'])
        if step.get('env'):
            extras.append('env=' + json.dumps(step['env'], ensure_ascii=False))
        if step.get('stdin', 'devnull') != 'devnull':
            extras.append('stdin=' + step['stdin'])
        if step.get('umask') is not None:
            extras.append('umask=%03o' % step['umask'])
        if step.get('force_plain'):
            extras.append('PLAIN-ON-DAEMON-SIDE')
        return s + ('   [' + ', '.join(extras) + ']' if extras else '')
    return json.dumps({k: v for k, v in step.items() if k != 'bytes'}, ensure_ascii=False)


PROGRESS = None


def log(msg):
    line = time.strftime('%H:%M:%S ') + msg
    print(line, flush=True)
    with open(os.path.join(BASE, 'progress.log'), 'a') as f:
        f.write(line + '\n')


# ------------------------------------------------------------------ sequences

def new_pair(tag):
    parent = os.path.join(BASE, tag)
    shutil.rmtree(parent, ignore_errors=True)
    os.makedirs(os.path.join(parent, PLAIN))
    os.makedirs(os.path.join(parent, DAEM))
    return parent, Side(parent, PLAIN), Side(parent, DAEM)


def replay(steps, tag):
    """Runs steps on a fresh pair; returns the kinds of difference found and where."""
    parent, A, B = new_pair(tag)
    found = []
    for i, st in enumerate(steps):
        diffs, _ = run_step(st, (A, B), parent)
        for field, a, b in diffs:
            found.append((i, kind_of(st, field, a, b)))
    return found


def shrink(steps, fail_idx, kind, budget_s, tag):
    """Greedy chunk removal of the steps before fail_idx while `kind` still shows; returns the shortest found."""
    t_end = time.time() + budget_s
    cur = steps[:fail_idx + 1]
    # reproducible at all?
    got = replay(cur, tag)
    if not any(k == kind for _, k in got):
        return None
    n = max(1, len(cur) // 2)
    while n >= 1 and time.time() < t_end:
        i = len(cur) - 2
        changed = False
        while i >= 0 and time.time() < t_end:
            lo = max(0, i - n + 1)
            cand = cur[:lo] + cur[i + 1:]
            got = replay(cand, tag)
            hit = [j for j, k in got if k == kind]
            if hit:
                cur = cand[:hit[0] + 1]
                changed = True
                i = min(lo - 1, len(cur) - 2)
            else:
                i = lo - 1
        if not changed:
            n //= 2
    return cur


def run_sequence(seq_no, seed, n_steps, deadline, shrink_budget):
    rng = random.Random(seed)
    tag = 's%05d' % seq_no
    parent, A, B = new_pair(tag)
    gen = Gen(rng, A)
    steps = []
    for i in range(n_steps):
        if time.time() > deadline:
            break
        st = gen.step()
        steps.append(st)
        diffs, res = run_step(st, (A, B), parent)
        bump('steps')
        if not diffs and st['op'] == 'coral' and rng.random() < 0.25 and gen.is_repo():
            for c in check_step():
                steps.append(c)
                d2, _ = run_step(c, (A, B), parent)
                bump('checks')
                if d2:
                    diffs, st = d2, c
                    break
        if diffs:
            new_kinds = []
            for field, a, b in diffs:
                k = kind_of(st, field, a, b)
                strict_only = field in ('stdout', 'stderr') and loose(a) == loose(b)
                if strict_only:
                    k = 'HEXONLY|' + k
                info = {'where': '%s step %d seed %d' % (tag, len(steps) - 1, seed), 'field': field,
                        'plain': a[-3000:], 'daemon': b[-3000:],
                        'route': getattr(res.get(DAEM), 'route', None) if isinstance(res, dict) else None,
                        'sequence': [describe_step(s) for s in steps]}
                if k not in FINDINGS:
                    new_kinds.append(k)
                record(k, info)
            # shrink the first new kind (time permitting) and stop this sequence (its sides have diverged)
            if new_kinds and shrink_budget > 0 and time.time() + shrink_budget < deadline:
                k = new_kinds[0]
                log('shrinking %s (%d steps)' % (k, len(steps)))
                small = shrink(steps, len(steps) - 1, k, shrink_budget, tag + '-shrink')
                with FIND_LOCK:
                    FINDINGS[k]['minimal'] = [describe_step(s) for s in small] if small else 'did not reproduce on replay'
                log('shrunk to %s' % (len(small) if small else 'not reproducible'))
            return len(steps), True
    # final check
    if gen.is_repo():
        for c in check_step():
            d2, _ = run_step(c, (A, B), parent)
            bump('checks')
            for field, a, b in d2:
                k = kind_of(c, field, a, b)
                record(k, {'where': '%s final check' % tag, 'field': field, 'plain': a[-3000:], 'daemon': b[-3000:],
                           'sequence': [describe_step(s) for s in steps + [c]]})
    return len(steps), False


# ------------------------------------------------------------------ concurrency rounds

def build_history(parent, side, n, seed, plain=False):
    """Commits n mutated versions of two files in side's folder."""
    rng = random.Random(seed)
    root = os.path.join(parent, side)
    os.makedirs(root, exist_ok=True)
    run_coral(side, parent, ['init', '-q'], force_plain=plain)
    data = {}
    for i in range(n):
        for p in ('m.safetensors', 'w.npy'):
            data[p] = new_file_bytes(rng, p) if p not in data else mutate_bytes(rng, p, data[p])
            os.makedirs(os.path.dirname(os.path.join(root, p)) or root, exist_ok=True)
            open(os.path.join(root, p), 'wb').write(data[p])
        r = run_coral(side, parent, ['commit', '-q', '-m', 'step %d' % i, 'm.safetensors', 'w.npy'], force_plain=plain)
        if r.rc != 0:
            log('build_history: commit failed: ' + r.err.decode('utf-8', 'replace'))
    return root


def live_writes_masked(cmd, x, y):
    """fsck beside a writer (a concurrent status rewriting the staging index) may see its temporary file, which it
    names as a write in progress (Leftovers: younger than a minute): drop those lines, and both summaries' warning
    counts, so only other warnings differ."""
    phrase = 'temporary file of a write in progress'
    if cmd[0] != 'fsck' or (phrase not in x and phrase not in y):
        return x, y

    def mask(text):
        kept = [l for l in text.split('\n') if phrase not in l]
        return re.sub(r', \d+ warnings?$', '', '\n'.join(kept), flags=re.M)
    return mask(x), mask(y)


def conc_round(no, seed):
    """(1) several read commands at once through the daemon vs the same one by one without it, on the same repo;
    (2) commits to two repositories at once through the daemon vs the same in plain JVMs;
    (3) commits of different files to one repository at once, checked for completeness."""
    rng = random.Random(seed)
    parent = os.path.join(BASE, 'c%04d' % no)
    shutil.rmtree(parent, ignore_errors=True)
    os.makedirs(parent)
    bump('conc_rounds')
    # (1)
    build_history(parent, DAEM, rng.randint(2, 5), seed)
    open(os.path.join(parent, DAEM, 'w.npy'), 'ab').write(b'')  # no change
    reads = [['status', '--json'], ['log', '--oneline'], ['log', '--json'], ['show', 'HEAD~1'], ['diff', 'HEAD~1'],
             ['stats'], ['show', '--json'], ['diff', '--name-status', 'HEAD~1', 'HEAD'], ['status'], ['fsck'],
             ['export', '-o', '-', 'HEAD:w.npy'], ['log', '-n', '1']]
    cmds = [rng.choice(reads) for _ in range(rng.choice([4, 4, 6]))]
    if rng.random() < 0.5:  # a writer among them
        cmds.append(['tag', 't%d' % rng.randint(0, 9)])
    outs = [None] * len(cmds)
    before = {}
    for c in cmds:
        if c[0] != 'tag' and tuple(c) not in before:
            before[tuple(c)] = run_coral(DAEM, parent, c, force_plain=True)

    def go(i):
        outs[i] = run_coral(DAEM, parent, cmds[i])
    ths = [threading.Thread(target=go, args=(i,)) for i in range(len(cmds))]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    for i, c in enumerate(cmds):
        if c[0] == 'tag':
            continue
        ref = run_coral(DAEM, parent, c, force_plain=True)
        d = outs[i]
        ref0 = before[tuple(c)]
        if (ref0.rc, ref0.out, ref0.err) == (d.rc, d.out, d.err):
            continue  # as before the concurrent writer
        for field, x, y in (('exit', str(ref.rc), str(d.rc)), ('stdout', ref.out, d.out), ('stderr', ref.err, d.err)):
            if x != y:
                if isinstance(x, bytes):
                    x, y = x.decode('utf-8', 'replace'), y.decode('utf-8', 'replace')
                x, y = re.sub(r'\bt\d\b', 'tN', x), re.sub(r'\bt\d\b', 'tN', y)
                x, y = live_writes_masked(c, x, y)
                if x == y:
                    continue
                st = {'op': 'coral', 'args': c}
                record('CONC-READ|' + kind_of(st, field, x, y),
                       {'where': 'c%04d concurrent reads' % no, 'field': field, 'plain': x[-2000:], 'daemon': y[-2000:],
                        'route': d.route, 'sequence': ['concurrently through the daemon: ' + json.dumps(cmds)]})
    # (2) two repos at once
    A1, A2, B1, B2 = 'conc_plain_1', 'conc_plain_2', 'conc_daemn_1', 'conc_daemn_2'
    sides = {}
    for s in (A1, A2, B1, B2):
        os.makedirs(os.path.join(parent, s))
    s_seed = rng.randrange(1 << 30)
    for s, plain in ((A1, True), (A2, True), (B1, False), (B2, False)):
        r2 = random.Random(s_seed + (1 if s in (A1, B1) else 2))
        root = os.path.join(parent, s)
        run_coral(s, parent, ['init', '-q'], force_plain=plain)
        open(os.path.join(root, 'm.safetensors'), 'wb').write(new_file_bytes(r2, 'm.safetensors', big=r2.random() < 0.3))
        open(os.path.join(root, 'w.npy'), 'wb').write(new_file_bytes(r2, 'w.npy'))
    res = {}

    def commit(s, plain):
        res[s] = run_coral(s, parent, ['commit', '-m', 'c', 'm.safetensors', 'w.npy'], force_plain=plain)
    for pair, plain in (((A1, A2), True), ((B1, B2), False)):
        ths = [threading.Thread(target=commit, args=(s, plain)) for s in pair]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
    for pa, pb in ((A1, B1), (A2, B2)):
        sa, sb = Side(parent, pa), Side(parent, pb)
        ra, rb = sa.learn_refs(), sb.learn_refs()
        xa = sa.norm(res[pa].out.decode()) + sa.norm(res[pa].err.decode())
        xb = sb.norm(res[pb].out.decode()) + sb.norm(res[pb].err.decode())
        xa, xb = xa.replace('<ROOT>', '/pX'), xb.replace('<ROOT>', '/pX')
        for c in (['show'], ['stats'], ['log', '--oneline'], ['fsck']):
            o1 = run_coral(pa, parent, c, force_plain=True)
            o2 = run_coral(pb, parent, c, force_plain=True)
            xa += '\n$ %s\n' % c + sa.norm(o1.out.decode())
            xb += '\n$ %s\n' % c + sb.norm(o2.out.decode())
        if xa != xb and size_mask(xa) == size_mask(xb):
            record('SIZES|CONC-2REPO', {'where': 'c%04d' % no, 'plain': xa[-2500:], 'daemon': xb[-2500:], 'sequence': None})
            xa = xb
        if xa != xb or ra != rb or res[pa].rc != res[pb].rc:
            record('CONC-2REPO|' + kind_of({'op': 'coral', 'args': ['commit']}, 'stdout', xa, xb),
                   {'where': 'c%04d two repos at once' % no, 'field': 'commit+show/stats', 'plain': xa[-2500:],
                    'daemon': xb[-2500:], 'sequence': ['two repos committed at once through the daemon']})
    # (3) same repo, different files, at once
    root = os.path.join(parent, DAEM)
    files = ['f%d.npy' % i for i in range(rng.randint(2, 4))]
    r3 = random.Random(rng.randrange(1 << 30))
    for f in files:
        open(os.path.join(root, f), 'wb').write(new_file_bytes(r3, f))
    outs3 = {}

    def c3(f):
        outs3[f] = run_coral(DAEM, parent, ['commit', '-m', 'add ' + f, f])
    ths = [threading.Thread(target=c3, args=(f,)) for f in files]
    for t in ths:
        t.start()
    extra = run_coral(DAEM, parent, ['status', '--json'])
    for t in ths:
        t.join()
    logj = run_coral(DAEM, parent, ['log', '--json'], force_plain=True)
    fs = run_coral(DAEM, parent, ['fsck'], force_plain=True)
    st = run_coral(DAEM, parent, ['status', '--json'], force_plain=True)
    problems = []
    try:
        msgs = [c['message'] for c in json.loads(logj.out)]
        for f in files:
            if ('add ' + f) not in msgs:
                problems.append('commit of %s missing from log' % f)
    except Exception as e:
        problems.append('log --json unreadable: %s' % e)
    for f in files:
        if outs3[f].rc != 0:
            problems.append('commit %s exit %d: %s' % (f, outs3[f].rc, outs3[f].err.decode()[-300:]))
    if fs.rc != 0:
        problems.append('fsck exit %d: %s' % (fs.rc, fs.out.decode()[-500:]))
    try:
        if not json.loads(st.out)['clean']:
            problems.append('not clean after: ' + st.out.decode()[-500:])
    except Exception as e:
        problems.append('status unreadable %s' % e)
    if extra.rc != 0:
        problems.append('concurrent status exit %d: %s' % (extra.rc, extra.err.decode()[-300:]))
    if problems:
        record('CONC-SAMEREPO|' + re.sub(r'\d+', 'N', problems[0])[:100],
               {'where': 'c%04d same repo at once' % no, 'field': 'invariants', 'plain': '', 'daemon': '\n'.join(problems),
                'sequence': ['concurrent commits through the daemon of ' + ', '.join(files)]})


# ------------------------------------------------------------------ targeted scenarios

def scenario_pair(name):
    parent, A, B = new_pair(name)
    return parent, A, B


def run_script(name, steps):
    """Runs a fixed step list on a fresh pair and records differences."""
    parent, A, B = scenario_pair(name)
    for i, st in enumerate(steps):
        diffs, res = run_step(st, (A, B), parent)
        bump('steps')
        for field, a, b in diffs:
            k = 'SCEN-' + name + '|' + kind_of(st, field, a, b)
            record(k, {'where': '%s step %d' % (name, i), 'field': field, 'plain': a[-3000:], 'daemon': b[-3000:],
                       'route': getattr(res.get(DAEM), 'route', None) if res else None,
                       'sequence': [describe_step(s) for s in steps[:i + 1]]})
        if diffs:
            return False
    return True


def C(*args, **kw):
    st = {'op': 'coral', 'args': list(args)}
    st.update(kw)
    return st


def W(path, seed, big=False):
    return {'op': 'write', 'path': path, 'seed': seed, 'big': big}


def M(path, seed):
    return {'op': 'mutate', 'path': path, 'seed': seed}


def scenarios(deadline):
    sc = []
    # a damaged similarity index, then two more commits: the warning is for the command that met it
    sc.append(('similarity-warning', [C('init'), W('m.safetensors', 1, True), C('commit', '-m', 'a', 'm.safetensors'),
                                      {'op': 'corrupt', 'what': 'similarity-garbage', 'seed': 1},
                                      W('n.safetensors', 2, True), C('commit', '-m', 'b', 'n.safetensors'),
                                      W('o.npy', 3, True), C('commit', '-m', 'c', 'o.npy'), M('o.npy', 4), C('add', 'o.npy'),
                                      C('commit', '-m', 'd')]))
    # settings changed by another process between two daemon commands
    sc.append(('config-other-process', [C('init'), W('m.safetensors', 5, True), C('commit', '-m', 'a', 'm.safetensors'),
                                        C('config', 'chunk.bytes', '64K', force_plain=True), M('m.safetensors', 6),
                                        C('commit', '-m', 'b', '-a'), C('show', '--json'), C('stats'),
                                        C('config', 'cache.bytes', '0', force_plain=True), M('m.safetensors', 7),
                                        C('commit', '-m', 'c', '-a'), C('stats'),
                                        C('config', 'delta.max-depth', '0'), M('m.safetensors', 8),
                                        C('commit', '-m', 'd', '-a'), C('stats'), C('show')]))
    # a commit by another process between daemon commands
    sc.append(('other-process-commit', [C('init'), W('w.npy', 9), C('commit', '-m', 'a', 'w.npy'), C('status'),
                                        M('w.npy', 10), C('commit', '-m', 'b', '-a', force_plain=True), C('log', '--oneline'),
                                        C('status', '--json'), M('w.npy', 11), C('commit', '-m', 'c', '-a'),
                                        C('reset', '--hard', 'HEAD~2', force_plain=True), C('log', '--oneline'),
                                        C('status'), C('checkout', 'ORIG_HEAD'), C('gc', '--prune=now', force_plain=True),
                                        C('log', '--oneline', 'main'), C('fsck'), C('stats')]))
    # repository removed and made again between commands
    sc.append(('reinit', [C('init'), W('w.npy', 12), C('commit', '-m', 'a', 'w.npy'), C('log', '--oneline'),
                          {'op': 'fs', 'what': 'rmcoral', 'path': '', 'to': '', 'seed': 0},
                          C('init', '--chunk-size=1K', force_plain=True), C('log'), C('status'), C('commit', '-m', 'b', 'w.npy'),
                          C('show')]))
    # nested repository: a handle per root
    sc.append(('nested', [C('init'), W('w.npy', 13), W('sub/x.npy', 14), C('commit', '-m', 'outer', 'w.npy', 'sub/x.npy'),
                          C('init', 'sub'), C('status', cwd='sub'), C('add', 'x.npy', cwd='sub'), C('commit', '-m', 'inner', cwd='sub'),
                          C('log', '--oneline', cwd='sub'), C('status'), C('log', '--oneline'), C('-C', 'sub', 'log')]))
    # many commits: pack upkeep (64 packs) in a kept handle vs fresh JVMs
    many = [C('init'), W('m.safetensors', 15), W('w.npy', 16)]
    for i in range(40):
        many += [M('m.safetensors', 100 + i), C('commit', '-q', '-m', 's%d' % i, '-a' if i else 'm.safetensors', *([] if i else ['w.npy']))]
        if i % 10 == 9:
            many.append(C('stats'))
    sc.append(('many-commits', many))
    for name, steps in sc:
        if time.time() > deadline:
            return
        log('scenario ' + name)
        ok = run_script(name, steps)
        log('scenario %s: %s' % (name, 'no difference' if ok else 'DIFFERENCE'))


_orig_apply = apply_file_step


def apply_file_step(step, side, cache):  # noqa: F811 (adds rmcoral for scenarios)
    if step['op'] == 'fs' and step['what'] == 'rmcoral':
        shutil.rmtree(os.path.join(side.root, '.coral'), ignore_errors=True)
        return
    return _orig_apply(step, side, cache)


# ------------------------------------------------------------------ targeted checks (found while fuzzing)

def _pair_run(tag, setup, cmd_args, cwd_rel='', env=None, pre_extra=None, stdin='devnull'):
    """A fresh pair made by setup(root, plain); then cmd_args once on each side; returns (plain, daemon) results."""
    parent, A, B = new_pair(tag)
    for s in (A, B):
        setup(s, s.side == PLAIN)
    ra = run_coral(PLAIN, parent, cmd_args, cwd_rel, env, stdin, pre_extra=pre_extra)
    rb = run_coral(DAEM, parent, cmd_args, cwd_rel, env, stdin, pre_extra=pre_extra)
    return parent, A, B, ra, rb


def _init_commit(side, plain, files=(('w.npy', 1),), big=False):
    run_coral(side.side, side.parent, ['init', '-q'], force_plain=plain)
    for f, seed in files:
        p = os.path.join(side.root, f)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, 'wb').write(new_file_bytes(random.Random(seed), f, big))
    run_coral(side.side, side.parent, ['commit', '-q', '-m', 'first'] + [f for f, _ in files], force_plain=plain)


def _big_tensor(path, seed, n=200000):
    a = np.random.default_rng(seed).standard_normal(n).astype(np.float32)
    open(path, 'wb').write(safetensors_bytes([('w', 'F32', a)]))


def _report(name, what, ra, rb, sequence, A=None, B=None, extra_a='', extra_b=''):
    a = 'exit %d\n%s%s%s' % (ra.rc, ra.out.decode('utf-8', 'replace'), ra.err.decode('utf-8', 'replace'), extra_a)
    b = 'exit %d\n%s%s%s' % (rb.rc, rb.out.decode('utf-8', 'replace'), rb.err.decode('utf-8', 'replace'), extra_b)
    if A is not None:
        a, b = A.norm(a), B.norm(b)
    if a != b:
        record('TARGETED|' + name, {'where': name, 'field': what, 'plain': a[-2500:], 'daemon': b[-2500:],
                                    'route': rb.route + ('' if rb.why is None else ': ' + str(rb.why)),
                                    'sequence': sequence})
        log('targeted %s: DIFFERENCE (daemon route %s)' % (name, rb.route))
    else:
        log('targeted %s: same (daemon route %s)' % (name, rb.route))


def targeted_checks():
    import resource
    # 1. a damaged similarity index: the warning belongs to the command that met it
    parent, A, B = new_pair('t-similarity')
    outs = {}
    for s in (A, B):
        plain = s.side == PLAIN
        run_coral(s.side, parent, ['init', '-q'], force_plain=plain)
        _big_tensor(os.path.join(s.root, 'a.safetensors'), 1)
        run_coral(s.side, parent, ['commit', '-q', '-m', 'a', 'a.safetensors'], force_plain=plain)
        open(os.path.join(s.root, '.coral', 'cache', 'similarity'), 'wb').write(b'garbage')
        txt = ''
        for i, f in enumerate(['b.safetensors', 'c.safetensors', 'd.safetensors']):
            _big_tensor(os.path.join(s.root, f), 2 + i)
            r = run_coral(s.side, parent, ['commit', '-q', '-m', f, f], force_plain=plain)
            txt += '$ coral commit -q -m %s %s -> exit %d\n%s' % (f, f, r.rc, s.norm(r.err.decode()))
        outs[s.side] = (txt, r)
    if outs[PLAIN][0] != outs[DAEM][0]:
        record('TARGETED|similarity warning repeated', {'where': 't-similarity', 'field': 'stderr', 'plain': outs[PLAIN][0],
               'daemon': outs[DAEM][0], 'route': outs[DAEM][1].route,
               'sequence': ['coral init', 'write a.safetensors (200k F32)', 'coral commit -m a a.safetensors',
                            "printf garbage > .coral/cache/similarity", 'write b.safetensors; coral commit -q -m b b.safetensors',
                            'write c.safetensors; coral commit -q -m c c.safetensors', 'write d...; coral commit ...']})
        log('targeted similarity: DIFFERENCE')
    else:
        log('targeted similarity: same')
    # 2. help on a terminal / CLICOLOR_FORCE: picocli's colours
    parent, A, B, ra, rb = _pair_run('t-help-pty', lambda s, p: None, ['status', '--help'], stdin='pty')
    _report('help on a terminal (picocli colours)', 'stdout', ra, rb, ['coral status --help   (stdin and stdout a terminal)'])
    parent, A, B, ra, rb = _pair_run('t-help-clicolor', lambda s, p: None, ['status', '--help'], env={'CLICOLOR_FORCE': '1'})
    _report('help with CLICOLOR_FORCE=1 (picocli colours)', 'stdout', ra, rb, ['CLICOLOR_FORCE=1 coral status --help | cat'])
    # 3. the caller's group id
    if os.geteuid() == 0:
        def setgid():
            os.setgroups([])
            os.setgid(4)
        parent, A, B, ra, rb = _pair_run('t-gid', lambda s, p: _init_commit(s, p), ['checkout', '-q', '--force', 'main'],
                                         pre_extra=setgid)
        for s in (A, B):
            os.remove(os.path.join(s.root, 'w.npy'))
        ra = run_coral(PLAIN, parent, ['checkout', '-q', '--force', 'main'], pre_extra=setgid)
        rb = run_coral(DAEM, parent, ['checkout', '-q', '--force', 'main'], pre_extra=setgid)
        ga = os.stat(os.path.join(A.root, 'w.npy')).st_gid
        gb = os.stat(os.path.join(B.root, 'w.npy')).st_gid
        _report("caller's group id (files created)", 'file group', ra, rb,
                ['coral init; coral commit -m first w.npy; rm w.npy', 'setpriv --regid=4 --clear-groups coral checkout -q --force main',
                 'stat -c %g w.npy'], extra_a='w.npy gid %d' % ga, extra_b='w.npy gid %d' % gb)
    # 4. the caller's resource limits (RLIMIT_FSIZE)
    def fsize():
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    def setup_big(s, plain):
        run_coral(s.side, s.parent, ['init', '-q'], force_plain=plain)
        np.save(os.path.join(s.root, 'w.npy'), np.random.default_rng(1).standard_normal(100000).astype(np.float32))
    parent, A, B, ra, rb = _pair_run('t-rlimit', setup_big, ['commit', '-m', 'a', 'w.npy'], pre_extra=fsize)
    _report("caller's resource limits (ulimit -f 8)", 'exit/stderr', ra, rb,
            ['coral init', 'write w.npy (400 kB)', '(ulimit -f 8; coral commit -m a w.npy)'], A, B)
    # 5. duplicate CORAL_AUTHOR entries in the environment (execve with both)
    parent, A, B = new_pair('t-dupenv')
    for s in (A, B):
        _init_commit(s, s.side == PLAIN)
    helper = os.path.join(BASE, 'dupenv_exec.py')
    open(helper, 'w').write(
        'import ctypes, os, sys\n'
        'libc = ctypes.CDLL(None, use_errno=True)\n'
        'args = [a.encode() for a in sys.argv[1:]]\n'
        "env = [b'CORAL_AUTHOR=first'] + [k.encode() + b'=' + v.encode() for k, v in os.environ.items() if k != 'CORAL_AUTHOR'] + [b'CORAL_AUTHOR=second']\n"
        'argv = (ctypes.c_char_p * (len(args) + 1))(*args, None)\n'
        'envp = (ctypes.c_char_p * (len(env) + 1))(*env, None)\n'
        'libc.execve(args[0], argv, envp)\n')
    res = {}
    for s in (A, B):
        env = side_env(s.side, {})
        open(os.path.join(s.root, 'w.npy'), 'wb').write(npy_bytes(np.arange(7, dtype=np.float32)))
        subprocess.run([sys.executable, helper, CORAL, 'commit', '-q', '-m', 'dup', 'w.npy'], cwd=s.root, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        q = run_coral(s.side, parent, ['log', '-n', '1'], force_plain=True)
        res[s.side] = '\n'.join(l for l in q.out.decode().split('\n') if l.startswith('Author'))
    if res[PLAIN] != res[DAEM]:
        record('TARGETED|duplicate CORAL_AUTHOR in environ', {'where': 't-dupenv', 'field': 'author', 'plain': res[PLAIN],
               'daemon': res[DAEM], 'sequence': ['execve(coral commit -q -m dup w.npy) with envp CORAL_AUTHOR=first ... CORAL_AUTHOR=second',
                                                 'coral log -n 1']})
        log('targeted dupenv: DIFFERENCE')
    else:
        log('targeted dupenv: same')
    # 6. one repository reached by two paths (a symbolic link), two commits at once
    parent, A, B = new_pair('t-symlink')
    conc = {}
    for s in (A, B):
        plain = s.side == PLAIN
        run_coral(s.side, parent, ['init', '-q'], force_plain=plain)
        for f, seed in (('a.npy', 1), ('b.npy', 2)):
            np.save(os.path.join(s.root, f), np.random.default_rng(seed).standard_normal(6000000).astype(np.float32))
        link = s.root + '-link'
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(s.root, link)
        out = {}

        def go(k, where, f):
            time.sleep(0.2 * k)
            out[k] = run_coral(s.side, parent, ['-C', where, 'commit', '-m', f, f], force_plain=plain)
        ths = [threading.Thread(target=go, args=(0, s.root, 'a.npy')), threading.Thread(target=go, args=(1, link, 'b.npy'))]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        lg = run_coral(s.side, parent, ['log', '--oneline'], force_plain=True)
        conc[s.side] = (out, lg)
    ta = 'exits %d %d; %d commits' % (conc[PLAIN][0][0].rc, conc[PLAIN][0][1].rc, len(conc[PLAIN][1].out.splitlines()))
    tb = 'exits %d %d; %d commits' % (conc[DAEM][0][0].rc, conc[DAEM][0][1].rc, len(conc[DAEM][1].out.splitlines()))
    if ta != tb:
        record('TARGETED|one repository by two paths, commits at once', {
            'where': 't-symlink', 'field': 'exit', 'plain': ta + '\n' + conc[PLAIN][0][1].err.decode(),
            'daemon': tb + '\n' + conc[DAEM][0][0].err.decode() + conc[DAEM][0][1].err.decode(),
            'sequence': ['coral init; write a.npy, b.npy (24 MB each); ln -s REPO REPO-link',
                         'coral -C REPO commit -m a a.npy &  sleep 0.2; coral -C REPO-link commit -m b b.npy; wait']})
        log('targeted symlink: DIFFERENCE')
    else:
        log('targeted symlink: same (%s)' % ta)
    # 7. several inits of one folder at once
    summary = {}
    for side in (PLAIN, DAEM):
        msgs = set()
        left = set()
        for trial in range(6):
            parent, A, B = new_pair('t-init-%d' % trial)
            s = A if side == PLAIN else B
            out = [None] * 5

            def go(k):
                out[k] = run_coral(s.side, parent, ['init', '-q'], force_plain=side == PLAIN)
            ths = [threading.Thread(target=go, args=(k,)) for k in range(5)]
            for t in ths:
                t.start()
            for t in ths:
                t.join()
            for r in out:
                if r.rc:
                    msgs.add(re.sub(r'[0-9a-f-]{36}|\d+', 'N', s.norm(r.err.decode()).strip()))
            for dp, dns, fns in os.walk(os.path.join(s.root, '.coral')):
                for fn in fns:
                    if '.tmp-' in fn:
                        left.add(re.sub(r'[0-9a-f-]{36}', 'UUID', fn))
        summary[side] = 'errors: %s\nleft in .coral: %s' % (sorted(msgs), sorted(left))
    if summary[PLAIN] != summary[DAEM]:
        record('TARGETED|concurrent init of one folder', {'where': 't-init', 'field': 'stderr', 'plain': summary[PLAIN],
               'daemon': summary[DAEM], 'sequence': ['mkdir R; cd R; for k in 1 2 3 4 5; do coral init -q & done; wait  (x6)']})
        log('targeted concurrent init: DIFFERENCE')
    else:
        log('targeted concurrent init: same')


# ------------------------------------------------------------------ main

def daemon(action):
    env = dict(ENV0)
    args = [CORAL, 'daemon', action] + (['--no-warm-up'] if action == 'start' else [])
    p = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode() + p.stderr.decode()


def write_report():
    with FIND_LOCK:
        rep = {'stats': STATS, 'findings': sorted(FINDINGS.values(), key=lambda f: f['kind'])}
        with open(os.path.join(BASE, 'report.json'), 'w') as f:
            json.dump(rep, f, indent=1, ensure_ascii=False)


def main():
    global ENV0, DLOG, BASE, DDIR
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--minutes', type=float, default=35)
    ap.add_argument('--base', default=BASE, help='folder for everything (default %(default)s); its daemon folder is BASE/daemon')
    ap.add_argument('--seed', type=int, default=int(time.time()))
    ap.add_argument('--steps', type=int, default=40, help='most steps per sequence')
    ap.add_argument('--shrink-seconds', type=float, default=120)
    ap.add_argument('--conc-every', type=int, default=6, help='a concurrency round after every N sequences')
    ap.add_argument('--no-scenarios', action='store_true')
    ap.add_argument('--keep', action='store_true', help='leave a running daemon running')
    ap.add_argument('--targeted', choices=['first', 'only', 'no'], default='first',
                    help='the targeted checks of what earlier runs found: before the sequences, alone, or not at all')
    opt = ap.parse_args()
    BASE = opt.base
    DDIR = BASE + '/daemon'
    os.makedirs(BASE, exist_ok=True)
    ENV0 = base_env()
    os.umask(0o022)
    DLOG = DaemonLog(os.path.join(DDIR, 'log'))
    rc, out = daemon('start')
    log('daemon start: rc %d %s' % (rc, out.strip()))
    DLOG.poll()
    t_start = time.time()
    deadline = t_start + opt.minutes * 60
    log('seed %d, until %s' % (opt.seed, time.strftime('%H:%M:%S', time.localtime(deadline))))
    master = random.Random(opt.seed)
    try:
        if opt.targeted != 'no':
            targeted_checks()
        if opt.targeted == 'only':
            deadline = 0
        if not opt.no_scenarios and deadline:
            scenarios(deadline)
        seq = 0
        while time.time() < deadline:
            seq += 1
            s = master.randrange(1 << 30)
            n, diverged = run_sequence(seq, s, master.randint(8, opt.steps), deadline, opt.shrink_seconds)
            bump('sequences')
            log('seq %d seed %d: %d steps%s | %s' % (seq, s, n, ' (diverged)' if diverged else '',
                                                     {k: STATS[k] for k in ('steps', 'served', 'fallback', 'none')}))
            if seq % opt.conc_every == 0 and time.time() < deadline:
                try:
                    conc_round(seq // opt.conc_every, master.randrange(1 << 30))
                except Exception:
                    log('concurrency round failed: ' + traceback.format_exc())
            write_report()
    except KeyboardInterrupt:
        log('interrupted')
    finally:
        write_report()
        if not opt.keep:
            rc, out = daemon('stop')
            log('daemon stop: rc %d %s' % (rc, out.strip()))
        DLOG.poll()
        log('done: %s' % json.dumps(STATS, ensure_ascii=False))
        log('%d difference kinds; see %s/findings.log and report.json' % (len(FINDINGS), BASE))


if __name__ == '__main__':
    main()
