"""What the fuzzers in perf/tools share: weight files as numpy writes them, and hashes.

Imported by concurrent-fuzz.py, head-moves-fuzz.py, disk-full-fuzz.py and daemon-differential-fuzz.py (Python puts a
script's own folder on its path). WeightFiles, Coral and RoundBase are the two concurrency fuzzers' (a worker's files, its
commands, what their rounds share).
"""
import contextlib
import hashlib
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import threading
import time
import traceback

try:
    import numpy as np
except ImportError:
    np = None

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_JAR = os.path.normpath(os.path.join(HERE, "..", "..", "cli", "target", "coral.jar"))
LAUNCHER = os.path.normpath(os.path.join(HERE, "..", "..", "coral"))
JVM = ["-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
       "-Xlog:disable", "-Xlog:all=warning:stderr", "-XX:+DisplayVMOutputToStderr"]
TIMEOUT = 600
KILLED = -9


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


class WeightFiles:
    """A worker's weight files, moved by small steps as a training run's are."""

    def __init__(self, folder, rng):
        self.rng = np.random.default_rng(rng.randrange(1 << 30))
        self.folder = folder
        n = int(rng.choice([2048, 16384, 65536, 200000]))
        self.arrays = {
            "m.safetensors": {"w": self.init(n), "h": self.init(n // 2)},  # h is written as BF16
            "m.npy": {"w": self.init(n // 4 + 1)},
            "m.npz": {"a": self.init(n // 2), "b": self.init(64)},
        }

    def init(self, n):
        return (self.rng.standard_normal(n) * 0.05).astype(np.float32)

    def add(self, name):
        """A new file of the kind its extension names, its arrays shaped as another file's of that kind (a new checkpoint)."""
        like = next(v for k, v in self.arrays.items() if os.path.splitext(k)[1] == os.path.splitext(name)[1]) \
            if any(os.path.splitext(k)[1] == os.path.splitext(name)[1] for k in self.arrays) else None
        sizes = {key: len(a) for key, a in like.items()} if like else \
            {".safetensors": {"w": 2048, "h": 1024}, ".npy": {"w": 513}, ".npz": {"a": 1024, "b": 64}}[os.path.splitext(name)[1]]
        self.arrays[name] = {key: self.init(n) for key, n in sizes.items()}

    def rename(self, old, new):
        self.arrays[new] = self.arrays.pop(old)

    def remove(self, name):
        del self.arrays[name]

    def step(self, name):
        for a in self.arrays[name].values():
            a += (1e-4 * self.rng.standard_normal(a.shape)).astype(np.float32)

    def data(self, name):
        t = self.arrays[name]
        if name.endswith(".safetensors"):
            return safetensors_bytes([("w", "F32", t["w"]), ("h", "BF16", bf16_bits(t["h"]))])
        buf = io.BytesIO()
        if name.endswith(".npy"):
            np.save(buf, t["w"])
        else:
            np.savez(buf, **t)
        return buf.getvalue()

    def write(self, name):
        """Writes the file (a temporary name, renamed); returns its SHA-256."""
        data = self.data(name)
        os.makedirs(self.folder, exist_ok=True)  # rm of a folder's last file removes the folder (as git's)
        path = os.path.join(self.folder, name)
        tmp = os.path.join(self.folder, ".%s.part" % name)
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        return sha_bytes(data)

    def reload(self, name, full):
        """The arrays as the file now holds them (after a restore), so that the next step moves from there."""
        t = self.arrays[name]
        with open(full, "rb") as f:
            data = f.read()
        if name.endswith(".safetensors"):
            raw = safetensors_tensors(data)
            t["w"] = np.frombuffer(raw["w"], dtype=np.float32).copy()
            t["h"] = from_bf16_bits(np.frombuffer(raw["h"], dtype=np.uint16)).copy()
        elif name.endswith(".npy"):
            t["w"] = np.load(full).copy()
        else:
            with np.load(full) as z:
                for key in list(t):
                    t[key] = z[key].copy()


class Coral:
    """Commands in the repository: a JVM each, one `coral batch` process kept for the round, or
    (daemon) the launcher handing each to a daemon of the fuzzer's own."""

    def __init__(self, jar, cwd, batch, daemon=None):
        self.jar = jar
        self.cwd = cwd
        self.batch = batch
        self.daemon = daemon  # the daemon's folder (CORAL_DAEMON_DIR), or None
        self.proc = None

    def start_batch(self):
        self.proc = subprocess.Popen(["java"] + JVM + ["-jar", self.jar, "batch"], cwd=self.cwd,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def run(self, args, kill_after=None):
        """(exit code, stdout, stderr); KILLED when it was killed at kill_after seconds before it ended."""
        if self.batch:
            if self.proc is None:
                self.start_batch()
            proc = self.proc
            fired = []

            def kill():
                fired.append(True)
                proc.kill()
            timer = threading.Timer(kill_after, kill) if kill_after is not None else None
            proc.stdin.write(json.dumps(args) + "\n")
            proc.stdin.flush()
            if timer:
                timer.start()
            line = proc.stdout.readline()
            if timer:
                timer.cancel()
                timer.join()
                if fired and line:  # killed just after it answered: started again at the next command
                    proc.wait()
                    self.proc = None
            if not line:
                proc.wait()
                self.proc = None
                if kill_after is not None and proc.returncode == KILLED:
                    return KILLED, "", ""
                return 99, "", "the batch process ended (exit %s)" % proc.returncode
            r = json.loads(line)
            return r["code"], r["out"], r["err"]
        if self.daemon:
            proc = subprocess.Popen(["bash", LAUNCHER] + args, cwd=self.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=dict(os.environ, CORAL_DAEMON_DIR=self.daemon))
        else:
            proc = subprocess.Popen(["java"] + JVM + ["-jar", self.jar] + args, cwd=self.cwd,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=kill_after if kill_after is not None else TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            if kill_after is None:
                return 98, out, "timed out after %d s" % TIMEOUT
        return proc.returncode, out, err

    def close(self):
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait(timeout=120)
            self.proc = None


class Finding(Exception):
    pass


class Finding(Exception):
    """Something Coral did that it must not: what a fuzzer reports."""


class RoundBase:
    """What the concurrency fuzzers' rounds share: their settings and state, counts, problems, the maintenance process and
    the run of their threads. A subclass defines run_checked(coral, who, args), which returns None for a command killed or
    failed."""

    def __init__(self, seed, jar, base, workers, seconds, kill_rate, stats, daemon=None, mutex=None):
        self.seed = seed
        self.rng = random.Random(seed)
        self.jar = jar
        self.root = os.path.join(base, "r%d" % seed)
        self.out = os.path.join(base, "out%d" % seed)
        self.n = workers
        self.seconds = seconds
        self.kill_rate = kill_rate
        self.stats = stats
        self.daemon = daemon  # --daemon: its folder; workers that run a JVM per command send them to it
        self.mutex = mutex or threading.Lock()  # guards stats (shared by rounds run at once) and the round's state
        self.problems = []
        self.stop = False
        self.history = []     # (seconds, who, args, code, first line)
        self.durations = {}   # (batch, command) -> seconds each took
        self.t0 = time.time()

    def count(self, key, n=1):
        with self.mutex:
            self.stats[key] = self.stats.get(key, 0) + n

    def fail(self, what):
        with self.mutex:
            self.problems.append(what)

    def timed_run(self, coral, who, args, killable=True):
        """Runs a command, now and then (kill_rate) killed at an instant drawn over how long such commands took so far (a
        JVM's start included; never one the daemon runs: killing its launcher need not end it, and what it did after would
        look like another's); notes it in the history and the counts. Returns (exit code, stdout, stderr)."""
        kill_after = None
        kind = (coral.batch, args[0])
        if killable and not coral.daemon and self.rng.random() < self.kill_rate:
            took = sorted(self.durations.get(kind, [])) or [1.0]
            kill_after = self.rng.uniform(0, 1.2 * took[len(took) // 2])
        t = time.time()
        code, out, err = coral.run(args, kill_after)
        with self.mutex:
            if code != KILLED:
                self.durations.setdefault(kind, []).append(time.time() - t)
            self.history.append((round(time.time() - self.t0, 2), who, " ".join(args), code,
                                 (err.strip().splitlines() or [""])[0][:200]))
            by = self.stats.setdefault("by_command", {})
            by[args[0]] = by.get(args[0], 0) + 1
            self.stats["commands"] = self.stats.get("commands", 0) + 1
        return code, out, err

    @contextlib.contextmanager
    def guarded(self, who, coral):
        """A worker's body: a Finding, or the fuzzer's own trouble, becomes the round's problem; coral is closed after."""
        try:
            yield
        except Finding as f:
            self.fail(str(f))
        except Exception as e:  # the fuzzer's own trouble
            self.fail("%s: fuzzer error %r at %s" % (who, e, traceback.format_exc().strip().splitlines()[-3].strip()))
        finally:
            try:
                coral.close()
            except Exception:
                pass

    def maintainer(self, rng):
        """gc --prune=now, repack or fsck (which must be clean while the others write) every 1-5 s."""
        coral = Coral(self.jar, self.root, False)
        while not self.stop and not self.problems:
            time.sleep(rng.uniform(1, 5))
            if self.stop:
                break
            r = rng.random()
            args = ["gc", "-q", "--prune=now"] if r < 0.45 else ["repack", "-q"] if r < 0.7 else ["fsck"]
            if self.run_checked(coral, "maint", args) is not None:
                self.count(args[0] + "_runs")

    def play(self, threads):
        """Runs the round's threads for its seconds, or until a problem; raises the first problem as a Finding."""
        for t in threads:
            t.start()
        end = time.time() + self.seconds
        while time.time() < end and not self.problems:
            time.sleep(0.2)
        self.stop = True
        for t in threads:
            t.join()
        if self.problems:
            raise Finding(self.problems[0])


def round_arguments(ap, workers, base):
    """The options both concurrency fuzzers take: how long, which seed, how many workers, how many kills, where."""
    ap.add_argument("--minutes", type=float, default=10, help="how long to run rounds (default 10)")
    ap.add_argument("--seed", type=int, help="run the round of this seed only")
    ap.add_argument("--workers", type=int, default=workers, help="worker processes at once (default %d)" % workers)
    ap.add_argument("--round-seconds", type=float, default=60, help="how long each round's workers run (default 60)")
    ap.add_argument("--kill-rate", type=float, default=0.04, help="share of commands killed with SIGKILL (default 0.04)")
    ap.add_argument("--jar", default=DEFAULT_JAR)
    ap.add_argument("--base", default=base)
    ap.add_argument("--keep", action="store_true", help="keep each round's repository")


def jar_copy(prog, a):
    """The jar a.jar copied into a.base (a build meanwhile does not change what the rounds run), once it runs; exit code 2
    when java or the jar is missing or does not run."""
    if shutil.which("java") is None:
        die(prog, "no java on the PATH")
    if not os.path.isfile(a.jar):
        die(prog, "no jar at %s (mvn -B -q install -DskipTests)" % a.jar)
    os.makedirs(a.base, exist_ok=True)
    jar = os.path.join(a.base, "coral.jar")
    shutil.copyfile(a.jar, jar)
    code, _, err = Coral(jar, a.base, False).run(["--version"])
    if code != 0:
        die(prog, "the jar does not run: " + err.strip()[:300])
    return jar
