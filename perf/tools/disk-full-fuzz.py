#!/usr/bin/env python3
"""Disk-full fuzzer: Coral's commands on a file system that runs out of space at random points.

Mounts a small file system of its own (tmpfs, or ext4 on a loop device: needs root), keeps a
repository of a model trained in small Adam-like steps there (safetensors fp32 and BF16, npy, npz;
HDF5 too where h5py imports), and before each command fills the file system with a ballast file
so that only a random amount of space is left (nothing to a few MB; a quarter of the commands get
all there is). Commands: add, commit (-a, paths), checkout (--force REV, REV -- PATH), restore,
switch, branch, tag, merge --strategy average, export -o, gc --prune=now, repack, config, reset
(--hard, --mixed, --soft), status.
After each command the ballast goes and it checks what a full disk must not do:

  * a failed command exits 1 with one line on standard error, `coral: ...` (warnings aside), no
    stack trace, and a line about space names a file or folder;
  * a failed command leaves HEAD, branches and tags as they were (the bytes of .coral/HEAD and
    .coral/refs), and no temporary file (.tmp-*) in the working folder;
  * every file in the working folder is a whole version (its SHA-256 one the fuzzer wrote or a
    commit holds): never a file cut short by the full disk;
  * the same command run again, now that there is room, succeeds (the repository still works);
  * every few steps and at the end of a sequence, `coral fsck` is clean and every acknowledged
    commit (every commit a command reported) still lists the same files and gives each back byte
    for byte (exported through one `coral batch` process, a fresh handle).

With --batch the sequence's commands go through one `coral batch` process (a kept handle, as the
daemon and a training loop have), which must go on working after each failure.

With --limits the disk keeps its room and each command runs instead under random resource limits,
as the user `nobody` (root ignores a limit on processes): open files (`ulimit -n`, 12 to 96) and
processes and threads (`ulimit -u`, 12 to 40), either or both; with --batch the batch process runs
a sequence under limits of its own (11 to 48 files, 14 to 30 threads), and the commands that must
succeed (the set-up, the run again) run in JVMs of their own without limits. The same checks hold; a
JVM that could not start at all under them is counted, not a finding.

With --kill the disk keeps its room and each command (a JVM of its own) is SIGKILLed at a random
instant instead (4 commands in 5; the instant uniform over 0.05-1.2 times that command's recent
median run time, so most kills land in its work, not the JVM's start). After a kill: fsck is clean,
status runs, every working file is a whole version (a killed checkout may leave its temporary files
beside them, which the next checkout removes once a minute old), and the same command run again
works, or is refused in one line for what the killed one had done ("nothing to commit", "already
exists"); a command not killed must work as without kills. At the end of each sequence the
temporary files left are made two minutes old: `status --json` must list them all as leftovers,
and `gc` must remove them all.

    perf/tools/disk-full-fuzz.py --minutes 10                      # tmpfs, a JVM per command
    perf/tools/disk-full-fuzz.py --minutes 10 --fs ext4 --batch    # ext4 on a loop device, kept handle
    perf/tools/disk-full-fuzz.py --seed 17 --steps 40 --keep       # one sequence again
    perf/tools/disk-full-fuzz.py --minutes 10 --limits             # few files, few threads
    perf/tools/disk-full-fuzz.py --minutes 10 --kill               # commands killed at random instants

Needs root (to mount), java, and python3 with numpy; says so in one line (exit code 2) when one is
missing. Exit code 0 when nothing was found, 1 when anything was. Findings in BASE/findings.log,
figures in BASE/report.json (BASE default /tmp/dffuzz).
"""
import argparse
import json
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time

import fuzzkit  # beside this script: its folder is on the path
from fuzzkit import bf16_bits, safetensors_bytes, sha_file

PROG = "disk-full-fuzz"


def die(msg):
    fuzzkit.die(PROG, msg)


np = fuzzkit.numpy_or_die(PROG)
try:
    import h5py  # Debian's python3-h5py: /usr/bin/python3
except ImportError:
    h5py = None


HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_JAR = os.path.normpath(os.path.join(HERE, "..", "..", "cli", "target", "coral.jar"))
JVM = ["-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"]
TIMEOUT = 300
SPACE_WORDS = ("No space left on device", "Disk quota exceeded", "File too large")
# with --limits: the JVM's own messages go to standard error, as the launcher has them (./coral)
VM_OUT = ["-Xlog:disable", "-Xlog:all=warning:stderr", "-XX:+DisplayVMOutputToStderr"]
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
LIMIT_WORDS = ("Too many open files", "cannot start another thread")
# --kill: what the same command run again may say when the killed one had done its work
DONE_BY_THE_KILLED_ONE = ("nothing to commit", "already exists")


def jvm_line(line):
    """A line the JVM itself wrote ("[0.412s][warning][os,thread] Failed to start ..."), not Coral."""
    return re.match(r"^\[[0-9.]+s\]\[(warning|error)\]", line) is not None


def jvm_did_not_start(code, err):
    """The JVM could not start under the limits (before Coral's main ran)."""
    return code != 0 and not any(l.startswith("coral: ") for l in err.splitlines())


# ---------------------------------------------------------------------------------------------
# weight files


class Model:
    """A few weight files whose float tensors move by small steps, as a training run's do."""

    def __init__(self, rng, scale):
        self.rng = rng
        nrng = np.random.default_rng(rng.randrange(1 << 30))
        s = scale

        def w(*shape):
            return (nrng.standard_normal(shape) * 0.05).astype(np.float32)

        self.files = {
            "model.safetensors": {"l0.w": w(256 * s, 256), "l0.b": w(256 * s), "l1.w": w(128, 256 * s)},
            "emb.npy": {"array": w(400 * s, 64)},
            "opt.npz": {"m": w(128, 128 * s), "v": np.abs(w(128, 128 * s)), "step": np.array([0], np.int64)},
            "sub/head.safetensors": {"h.w": w(128, 256 * s)},  # written as BF16
        }
        if h5py is not None:
            self.files["keras/m.h5"] = {"dense/kernel:0": w(64, 128 * s), "dense/bias:0": w(128 * s)}
        self.removed = set()
        self.step_no = 0

    def step(self, files_come_and_go=True):
        """An Adam-like step of every float tensor; now and then a file appears or goes."""
        self.step_no += 1
        nrng = np.random.default_rng(self.rng.randrange(1 << 30))
        lr = self.rng.choice([1e-3, 1e-4, 1e-5])
        for tensors in self.files.values():
            for k, a in enumerate(tensors.values()):
                frozen = k > 0 and self.rng.random() < 0.15  # never every tensor of a file: each file changes
                if a.dtype == np.float32 and not frozen:
                    a += (lr * np.sign(nrng.standard_normal(a.shape)) * nrng.random(a.shape)).astype(np.float32)
        if not files_come_and_go:
            return
        if self.rng.random() < 0.1 and "emb.npy" not in self.removed:
            self.removed.add("emb.npy")
        elif self.rng.random() < 0.2:
            self.removed.discard("emb.npy")

    def write(self, root):
        """Writes the files (room is made for them first); returns path -> SHA-256 of what it wrote."""
        out = {}
        for path, tensors in self.files.items():
            full = os.path.join(root, path)
            if path in self.removed:
                if os.path.exists(full):
                    os.remove(full)
                continue
            os.makedirs(os.path.dirname(full), exist_ok=True)
            if path.endswith(".safetensors"):
                bf16 = path.startswith("sub/")
                data = safetensors_bytes([(n, "BF16" if bf16 else "F32", bf16_bits(a) if bf16 else a)
                                          for n, a in tensors.items()], {"step": str(self.step_no)})
                with open(full, "wb") as f:
                    f.write(data)
            elif path.endswith(".npy"):
                np.save(full, tensors["array"])
            elif path.endswith(".npz"):
                np.savez(full, **tensors)
            elif path.endswith(".h5"):
                with h5py.File(full, "w") as f:
                    for n, a in tensors.items():
                        f.create_dataset(n, data=a, chunks=True if self.rng.random() < 0.5 else None)
                    f.attrs["keras_version"] = "3.0.0"
            out[path] = sha_file(full)
        return out


def whole_weight_file(path):
    """Whether the file is a whole weight file of its format: every byte its header promises, no more."""
    try:
        if path.endswith(".safetensors"):
            with open(path, "rb") as f:
                data = f.read()
            n = struct.unpack("<Q", data[:8])[0]
            header = json.loads(data[8:8 + n])
            end = max([v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"] + [0])
            return 8 + n + end == len(data)
        if path.endswith(".npy"):
            np.load(path)
            return True
        if path.endswith(".npz"):
            with np.load(path) as z:
                for k in z.files:
                    z[k]
            return True
        if path.endswith(".h5") and h5py is not None:
            with h5py.File(path, "r") as f:
                f.visititems(lambda name, o: o[()] if isinstance(o, h5py.Dataset) else None)
            return True
    except Exception:
        return False
    return False


# ---------------------------------------------------------------------------------------------
# the small file system and its ballast


class SmallDisk:
    def __init__(self, base, kind, size_mb):
        self.mnt = os.path.join(base, "mnt")
        self.kind = kind
        self.size_mb = size_mb
        self.image = os.path.join(base, "ext4.img")
        self.ballast = None

    def mount(self):
        os.makedirs(self.mnt, exist_ok=True)
        self.unmount(quiet=True)
        if self.kind == "tmpfs":
            run_or_die(["mount", "-t", "tmpfs", "-o", "size=%dm,nr_inodes=4096" % self.size_mb, "tmpfs", self.mnt])
        else:
            with open(self.image, "wb") as f:
                f.truncate(self.size_mb << 20)
            run_or_die(["mkfs.ext4", "-q", "-F", "-m", "0", self.image])
            run_or_die(["mount", "-o", "loop", self.image, self.mnt])

    def unmount(self, quiet=False):
        r = subprocess.run(["umount", self.mnt], capture_output=True)
        if r.returncode != 0 and not quiet:
            print("%s: umount %s: %s" % (PROG, self.mnt, r.stderr.decode().strip()), file=sys.stderr)

    def free(self):
        st = os.statvfs(self.mnt)
        return st.f_bfree * st.f_frsize  # root's view: the commands run as root

    def fill(self, leave):
        """Fills the disk so that about `leave` bytes stay free."""
        self.drain()
        n = self.free() - leave
        if n <= 0:
            return
        self.ballast = os.path.join(self.mnt, "ballast")
        fd = os.open(self.ballast, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            while n > 4096:
                try:
                    os.posix_fallocate(fd, 0, n)
                    break
                except OSError:
                    n -= max(4096, n // 64)  # metadata of the file itself took some
        finally:
            os.close(fd)

    def fill_inodes(self, leave):
        """Uses up the file system's inodes (empty files) but `leave`: creating a file fails as on a full disk."""
        self.drain()
        self.ballast = os.path.join(self.mnt, "inodes")
        os.mkdir(self.ballast)
        n = 0
        while os.statvfs(self.mnt).f_ffree > leave:
            try:
                for _ in range(64):
                    open(os.path.join(self.ballast, str(n)), "wb").close()
                    n += 1
            except OSError:
                break

    def drain(self):
        if self.ballast and os.path.isdir(self.ballast):
            shutil.rmtree(self.ballast)
        elif self.ballast and os.path.exists(self.ballast):
            os.remove(self.ballast)
        self.ballast = None


def run_or_die(cmd):
    r = subprocess.run(cmd, capture_output=True)
    if r.returncode != 0:
        die("%s failed: %s" % (" ".join(cmd), (r.stderr or r.stdout).decode().strip()))


# ---------------------------------------------------------------------------------------------
# running Coral


class Coral:
    """Commands in the repository: a JVM each, or one `coral batch` process (--batch)."""

    def __init__(self, jar, cwd, batch, as_nobody=False, batch_limits=None):
        self.jar = jar
        self.cwd = cwd
        self.batch = None
        self.as_nobody = as_nobody
        self.limits = None  # (open files, processes): the next command's, None for none (a JVM per command)
        self.kill_after = None  # --kill: seconds after which the next command is SIGKILLed (a JVM per command)
        if batch:
            self.batch = subprocess.Popen(limits_prefix(batch_limits) + (NOBODY if as_nobody else []) + ["java"] + JVM
                                          + (VM_OUT if as_nobody else []) + ["-jar", jar, "batch"], cwd=cwd,
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run_free(self, args):
        """A command in a JVM of its own, under no limit (--limits --batch: the batch process keeps its limits)."""
        return one_jvm(self.jar, self.cwd, args, as_nobody=self.as_nobody)

    def run(self, args):
        if self.batch is not None:
            self.batch.stdin.write(json.dumps(args) + "\n")
            self.batch.stdin.flush()
            line = self.batch.stdout.readline()
            if not line:
                return 99, "", "batch process ended: " + self.batch.stderr.read()[-2000:]
            r = json.loads(line)
            return r["code"], r["out"], r["err"]
        return one_jvm(self.jar, self.cwd, args, as_nobody=self.as_nobody, limits=self.limits, kill_after=self.kill_after)

    def close(self):
        if self.batch is not None:
            self.batch.stdin.close()
            self.batch.wait(timeout=60)
            err = self.batch.stderr.read()
            self.batch = None
            return err
        return ""


def limits_prefix(limits):
    """prlimit (util-linux) setting (open files, processes) on the command it runs; none for None."""
    if limits is None:
        return []
    return ["prlimit"] + (["--nofile=%d:%d" % (limits[0], limits[0])] if limits[0] else []) \
        + (["--nproc=%d:%d" % (limits[1], limits[1])] if limits[1] else [])


KILLED = -9


def one_jvm(jar, cwd, args, stdin_text=None, as_nobody=False, limits=None, kill_after=None):
    """(exit code, out, err); with kill_after (seconds), SIGKILLed then unless it ended first: code KILLED."""
    prefix = limits_prefix(limits)
    if as_nobody:
        prefix += NOBODY
    cmd = prefix + ["java"] + JVM + (VM_OUT if as_nobody else []) + ["-jar", jar] + args
    if kill_after is not None:
        p = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = p.communicate(timeout=kill_after)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        return p.returncode, out, err
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, input=stdin_text, timeout=TIMEOUT)
        return r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired:
        return 98, "", "timed out after %d s" % TIMEOUT


# ---------------------------------------------------------------------------------------------
# a sequence


class Finding(Exception):
    pass


class DiskFull(Exception):
    """The disk has no room for the command even with the ballast gone: the sequence ends there."""


class Sequence:
    def __init__(self, seed, disk, jar, work_out, batch, steps, stats, log, limits=False, kill=False):
        self.limits = limits         # --limits: commands under resource limits, as nobody, in place of a full disk
        self.kill = kill             # --kill: commands SIGKILLed at a random instant, in place of a full disk
        self.took = {}               # --kill: command -> recent run times (s) of the runs not killed
        self.temporary_seen = set()  # --kill: temporary files seen left in the working folder
        self.rng = random.Random(seed)
        self.seed = seed
        self.disk = disk
        self.jar = jar
        self.root = os.path.join(disk.mnt, "w")
        self.out = work_out          # outside the small disk: verification exports
        self.batch = batch
        self.steps = steps
        self.stats = stats
        self.log = log
        self.history = []            # (step, command, free bytes left, code, first line of err)
        self.commits = {}            # id -> {path: sha256}: every commit a command reported
        self.known = {}              # path -> set of SHA-256 of whole versions
        self.branches = ["main"]
        self.tags = []
        self.coral = None

    # -- helpers

    def note_versions(self, files):
        for p, s in files.items():
            self.known.setdefault(p, set()).add(s)

    def refs(self):
        out = {}
        base = os.path.join(self.root, ".coral")
        for name in ["HEAD"]:
            with open(os.path.join(base, name), "rb") as f:
                out[name] = f.read()
        for d, _, files in os.walk(os.path.join(base, "refs")):
            for fn in files:
                if fn.startswith(".tmp-") or fn.endswith(".lock"):
                    continue
                p = os.path.join(d, fn)
                with open(p, "rb") as f:
                    out[os.path.relpath(p, base)] = f.read()
        return out

    def work_files(self):
        """Every file of the working folder but .coral's, path -> full path (out/ holds exports)."""
        out = {}
        for d, dirs, files in os.walk(self.root):
            if d == self.root:
                dirs[:] = [x for x in dirs if x != ".coral"]
            for fn in files:
                p = os.path.relpath(os.path.join(d, fn), self.root)
                out[p] = os.path.join(d, fn)
        return out

    def head_branch(self):
        """The branch HEAD is on (None: detached), from .coral/HEAD: CORALHED, version, 8-byte length, text, CRC."""
        with open(os.path.join(self.root, ".coral", "HEAD"), "rb") as f:
            data = f.read()
        n = struct.unpack(">Q", data[12:20])[0]
        text = data[20:20 + n].decode()
        return text[len("ref: refs/heads/"):] if text.startswith("ref: refs/heads/") else None

    def fail(self, what):
        raise Finding(what)

    def own(self):
        """--limits: the working folder and what the fuzzer wrote there are nobody's, who runs the commands."""
        if not self.limits:
            return
        for d, dirs, files in os.walk(self.root):
            os.chown(d, 65534, 65534)
            for fn in files:
                os.chown(os.path.join(d, fn), 65534, 65534)

    def free(self, args):
        """A command with room and under no limit: through the batch process unless it runs under --limits."""
        if self.limits and self.batch:
            return self.coral.run_free(args)
        return self.coral.run(args)

    def pick_limits(self):
        """(open files, processes and threads) for the next command; None for no limit of that kind."""
        r = self.rng.random()
        nofile = int(math.exp(self.rng.uniform(math.log(12), math.log(96)))) if r < 0.7 else None
        nproc = self.rng.randint(12, 40) if r > 0.4 else None
        return (nofile, nproc)

    def plain(self, args):
        """A command with room to spare, which must succeed."""
        self.own()
        code, out, err = self.free(args)
        if code != 0:
            self.fail("with room, %s failed (%d): %s" % (" ".join(args), code, err.strip()[:500]))
        return out

    # -- the commands under a full disk

    def under_full_disk(self, args, retry=True):
        """Runs args with little room (or under --limits); checks a failure; returns (code, out, err) of the run that counts."""
        self.own()
        before_refs = self.refs()
        before_bytes = self.coral_bytes()
        if self.kill:
            took = sorted(self.took.get(args[0], [1.0]))
            delay = self.rng.uniform(0.05, 1.2) * took[len(took) // 2] if self.rng.random() < 0.8 else None
            leave = "kill after %d ms" % (delay * 1000) if delay is not None else "no kill"
            self.coral.kill_after = delay
        elif self.limits:
            limits = self.batch_limits if self.batch else self.pick_limits()
            leave = "ulimit -n %s -u %s" % (limits[0] or "-", limits[1] or "-")
            self.coral.limits = None if self.batch else limits
        else:
            leave = self.pick_room()
            if leave < 0:
                self.disk.fill_inodes(-leave - 1)  # -1: no inode left, -2: one, ...
            else:
                self.disk.fill(leave)
        t = time.time()
        try:
            code, out, err = self.coral.run(args)
        finally:
            self.coral.limits = None
            self.coral.kill_after = None
        ms = (time.time() - t) * 1000
        self.disk.drain()
        if self.kill:
            return self.after_kill(args, code, out, err, ms, leave, before_refs, retry)
        if self.limits and jvm_did_not_start(code, err):
            self.stats["jvm_did_not_start"] = self.stats.get("jvm_did_not_start", 0) + 1
            code, out, err = self.free(args)
            if code != 0:
                self.fail("after a JVM that could not start, %s failed without limits (%d): %s" % (" ".join(args), code, err.strip()[:500]))
            return code, out, err
        if self.limits and code == 0 and any(jvm_line(l) for l in err.splitlines()):
            self.stats["went_on_without_a_thread"] = self.stats.get("went_on_without_a_thread", 0) + 1
        first = err.strip().splitlines()[0] if err.strip() else ""
        self.history.append((len(self.history), " ".join(args), leave, code, first))
        self.stats["commands"] += 1
        key = args[0]
        per = self.stats["by_command"].setdefault(key, {"ok": 0, "failed": 0})
        if code == 0:
            per["ok"] += 1
        else:
            per["failed"] += 1
            self.check_failure(args, code, err, before_refs)
            if any(w in err for w in SPACE_WORDS):
                self.stats["space_failures"] += 1
            if any(w in err for w in LIMIT_WORDS):
                self.stats["limit_failures"] = self.stats.get("limit_failures", 0) + 1
            self.check_tree(merged_ok=args[0] == "merge")
            grown = self.coral_bytes() - before_bytes
            if grown > self.stats["most_left_by_a_failure"][0]:
                self.stats["most_left_by_a_failure"] = [grown, " ".join(args)]
            if retry:
                code, out, err = self.free(args)
                if code != 0 and any(w in err for w in SPACE_WORDS) and self.disk.free() < self.coral_bytes():
                    self.stats["no_room_even_then"] += 1  # a repack needs room for a copy of the packs
                    raise DiskFull(" ".join(args))
                if code != 0:
                    self.fail("run again with room, %s failed (%d): %s" % (" ".join(args), code, err.strip()[:500]))
                self.stats["retried_ok"] += 1
        self.stats["ms"].append(ms)
        return code, out, err

    def after_kill(self, args, code, out, err, ms, leave, before_refs, retry):
        """--kill: a command killed at a random instant leaves the repository whole (fsck clean, status runs),
        every working file a whole version, and the same command run again either works or is refused in one
        line for what the killed one already did (its commit made, its branch created)."""
        first = err.strip().splitlines()[0] if err.strip() else ""
        self.history.append((len(self.history), " ".join(args), leave, code, first))
        self.stats["commands"] += 1
        per = self.stats["by_command"].setdefault(args[0], {"ok": 0, "failed": 0, "killed": 0})
        if code != KILLED:
            self.stats["ms"].append(ms)
            self.took.setdefault(args[0], []).append(ms / 1000)
            self.took[args[0]] = self.took[args[0]][-9:]
            if code == 0:
                per["ok"] += 1
                return code, out, err
            per["failed"] += 1
            self.check_failure(args, code, err, before_refs)
            line = [l for l in err.splitlines() if l.startswith("coral: ") and not l.startswith("coral: warning:")][0]
            if not any(w in line for w in DONE_BY_THE_KILLED_ONE):
                self.fail("%s failed (%d), not killed: %s" % (" ".join(args), code, err.strip()[:500]))
            return code, out, err
        per["killed"] = per.get("killed", 0) + 1
        self.stats["killed"] = self.stats.get("killed", 0) + 1
        self.check_tree(merged_ok=True, killed=True)
        code2, out2, err2 = one_jvm(self.jar, self.root, ["fsck"])
        self.stats["fsck_runs"] += 1
        if code2 != 0:
            self.fail("after a killed %s, fsck failed (%d): %s %s" % (" ".join(args), code2, out2.strip()[-1500:], err2.strip()[-500:]))
        code2, _, err2 = self.free(["status"])
        if code2 != 0:
            self.fail("after a killed %s, status failed (%d): %s" % (" ".join(args), code2, err2.strip()[:500]))
        if not retry:
            return code, out, err
        code, out, err = self.free(args)
        if code != 0:
            self.check_failure(args, code, err, None)
            line = [l for l in err.splitlines() if l.startswith("coral: ") and not l.startswith("coral: warning:")][0]
            if not any(w in line for w in DONE_BY_THE_KILLED_ONE):
                self.fail("run again after a kill, %s failed (%d): %s" % (" ".join(args), code, err.strip()[:500]))
            self.stats["refused_as_done"] = self.stats.get("refused_as_done", 0) + 1
            self.stats["messages"].setdefault(normalise(line), 0)
            self.stats["messages"][normalise(line)] += 1
        else:
            self.stats["retried_ok"] += 1
        return code, out, err

    def coral_bytes(self):
        return repository_bytes(self.root)

    def pick_room(self):
        """Bytes to leave free; a negative number -(k+1) leaves k inodes and all the bytes."""
        r = self.rng.random()
        if r < 0.25:
            return 1 << 40  # all there is
        if r < 0.3:
            return 0
        if r < 0.38:
            return -self.rng.randint(1, 12)
        return int(math.exp(self.rng.uniform(math.log(512), math.log(6 << 20))))

    def check_failure(self, args, code, err, before_refs):
        lines = [l for l in err.splitlines() if l.strip()]
        errors = [l for l in lines if not l.startswith("coral: warning:") and not l.startswith("note:")
                  and not l.startswith("hint:") and not jvm_line(l)]
        cmd = " ".join(args)
        if code != 1:
            self.fail("%s exited %d (want 1): %s" % (cmd, code, err.strip()[:800]))
        if len(errors) != 1 or not errors[0].startswith("coral: "):
            self.fail("%s: want one 'coral: ' line on stderr, got %d: %s" % (cmd, len(errors), err.strip()[:800]))
        if "\tat " in err or "Exception" in err:
            self.fail("%s: a stack trace or exception name: %s" % (cmd, err.strip()[:800]))
        e = errors[0]
        if "internal error" in e:
            self.fail("%s: an internal error: %s" % (cmd, e))
        if any(w in e for w in SPACE_WORDS) and "/" not in e and ".coral" not in e and "'" not in e:
            self.fail("%s: a space error naming no file: %s" % (cmd, e))
        self.stats["messages"].setdefault(normalise(e), 0)
        self.stats["messages"][normalise(e)] += 1
        if before_refs is None:
            return
        after = self.refs()
        if after != before_refs:
            changed = sorted(k for k in set(after) | set(before_refs) if after.get(k) != before_refs.get(k))
            self.fail("%s failed but changed refs: %s" % (cmd, changed))

    def check_tree(self, merged_ok=False, killed=False):
        """No temporary file, no export, every file a whole version; after a failed merge, a file it
        averaged may be left too (whole: written aside and renamed), when no room was left to put
        back the one before. A killed command may leave its temporary files (the next checkout or
        merge removes them once a minute old) and part of an export."""
        for rel, full in self.work_files().items():
            name = os.path.basename(rel)
            if name.startswith(".tmp-") or ".tmp-" in rel:
                if killed:
                    if rel not in self.temporary_seen:
                        self.temporary_seen.add(rel)
                        self.stats["temporary_files_left_by_kills"] = self.stats.get("temporary_files_left_by_kills", 0) + 1
                        self.log("seed %d: a killed %s left %s (%d bytes)" % (self.seed, self.history[-1][1], rel, os.path.getsize(full)))
                    continue
                self.fail("a temporary file left in the working folder: %s" % rel)
            if rel.startswith("out/"):
                if killed:
                    continue
                self.fail("a failed command left %s (an export is written whole or not at all)" % rel)
            s = sha_file(full)
            if s not in self.known.get(rel, ()) and merged_ok and whole_weight_file(full):
                self.known.setdefault(rel, set()).add(s)
                self.stats["merged_files_left"] = self.stats.get("merged_files_left", 0) + 1
            elif s not in self.known.get(rel, ()):
                self.fail("%s is no whole version (SHA-256 %s..., %d bytes): cut short?" % (rel, s[:12], os.path.getsize(full)))

    def verify_repository(self, every_file):
        """fsck, then every acknowledged commit's files through a fresh batch process."""
        code, out, err = one_jvm(self.jar, self.root, ["fsck"], as_nobody=self.limits)
        self.stats["fsck_runs"] += 1
        if code != 0:
            self.fail("fsck failed (%d): %s %s" % (code, out.strip()[-1500:], err.strip()[-500:]))
        lines = []
        wanted = []
        for cid, files in sorted(self.commits.items()):
            lines.append(json.dumps(["show", cid, "--json"]))
            for p, s in sorted(files.items()):
                if every_file or self.rng.random() < 0.2:
                    dest = os.path.join(self.out, "v%d" % len(wanted) + os.path.splitext(p)[1])
                    wanted.append((cid, p, s, dest))
                    lines.append(json.dumps(["export", "%s:%s" % (cid, p), "-o", dest]))
        r = subprocess.run((NOBODY if self.limits else []) + ["java"] + JVM + ["-jar", self.jar, "batch"], cwd=self.root,
                           input="\n".join(lines) + "\n",
                           capture_output=True, text=True, timeout=TIMEOUT * 4)
        replies = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        if len(replies) != len(lines):
            self.fail("verification batch gave %d replies for %d commands: %s" % (len(replies), len(lines), r.stderr[-800:]))
        k = 0
        for cid, files in sorted(self.commits.items()):
            rep = replies[k]
            k += 1
            if rep["code"] != 0:
                self.fail("acknowledged commit %s unreadable: %s" % (cid[:12], rep["err"].strip()))
            shown = {f["path"]: f["sha256"] for f in json.loads(rep["out"])["files"]}
            if shown != files:
                self.fail("acknowledged commit %s lists other files now: %s against %s" % (cid[:12], shown, files))
            for p, s in sorted(files.items()):
                if wanted and wanted[0][0] == cid and wanted[0][1] == p:
                    _, _, _, dest = wanted.pop(0)
                    rep = replies[k]
                    k += 1
                    if rep["code"] != 0:
                        self.fail("export %s:%s failed: %s" % (cid[:12], p, rep["err"].strip()))
                    got = sha_file(dest)
                    os.remove(dest)
                    self.stats["exports_checked"] += 1
                    if got != s:
                        self.fail("export %s:%s gives other bytes (%s... for %s...)" % (cid[:12], p, got[:12], s[:12]))

    def leftovers_listed_and_removed(self):
        """--kill: the temporary files killed commands left in the working folder, made a minute old, are
        what `status --json` lists as leftovers, and `gc` removes every one."""
        left = sorted(rel for rel in self.work_files() if os.path.basename(rel).startswith(".tmp-"))
        old = time.time() - 120
        for rel in left:
            os.utime(os.path.join(self.root, rel), (old, old))
        listed = sorted(json.loads(self.plain(["status", "--json"]))["leftovers"])
        if listed != left:
            self.fail("status lists leftovers %s, the working folder holds %s" % (listed, left))
        self.plain(["gc"])
        still = sorted(rel for rel in self.work_files() if os.path.basename(rel).startswith(".tmp-"))
        if still:
            self.fail("gc left temporary files in the working folder: %s" % still)
        self.stats["leftovers_removed_by_gc"] = self.stats.get("leftovers_removed_by_gc", 0) + len(left)

    def record_head(self, expect_files=None):
        out = self.plain(["show", "HEAD", "--json"])
        j = json.loads(out)
        files = {f["path"]: f["sha256"] for f in j["files"]}
        if expect_files is not None and files != expect_files:
            self.fail("commit %s holds %s, the working folder had %s" % (j["id"][:12], files, expect_files))
        self.commits[j["id"]] = files
        self.note_versions(files)
        self.stats["commits"] += 1
        return j["id"]

    # -- the sequence

    def run(self):
        os.makedirs(self.root)
        os.makedirs(os.path.join(self.root, "out"))
        self.own()
        model = Model(self.rng, self.rng.choice([1, 2, 4]))
        init = ["init", "-q"]
        if self.rng.random() < 0.5:
            init += ["--chunk-size", self.rng.choice(["64K", "256K", "1M"])]
        code, out, err = one_jvm(self.jar, self.root, init, as_nobody=self.limits)
        if code != 0:
            self.fail("init failed: " + err)
        self.batch_limits = None
        if self.limits and self.batch:  # a batch process keeps the limits it started under: a sequence's own
            self.batch_limits = (int(math.exp(self.rng.uniform(math.log(11), math.log(48)))), self.rng.randint(14, 30))
        self.coral = Coral(self.jar, self.root, self.batch, as_nobody=self.limits, batch_limits=self.batch_limits)
        if self.batch_limits:
            code, _, err = self.coral.run(["status"])
            if code == 99:  # the batch JVM could not start under them: this sequence's batch runs without
                self.stats["jvm_did_not_start"] = self.stats.get("jvm_did_not_start", 0) + 1
                self.coral.close()
                self.batch_limits = (None, None)
                self.coral = Coral(self.jar, self.root, self.batch, as_nobody=self.limits)
        try:
            self.note_versions(model.write(self.root))
            self.own()
            self.plain(["add", "-q", "."])
            self.plain(["commit", "-q", "-m", "step 0"])
            self.record_head()
            for n in range(self.steps):
                if self.disk.free() < (12 << 20) + 4 * self.model_bytes(model):
                    self.stats["sequences_full"] += 1
                    break
                self.one_step(n, model)
                if n % 6 == 5:
                    self.verify_repository(every_file=False)
            self.verify_repository(every_file=True)
            if self.kill:
                self.leftovers_listed_and_removed()
        finally:
            err = self.coral.close()
            if self.limits and err.strip():  # the JVM's own lines (a thread it could not start), Coral's warnings
                self.stats["batch_stderr_lines"] = self.stats.get("batch_stderr_lines", 0) + len(err.strip().splitlines())
            elif err.strip():
                self.log("batch process stderr: " + err.strip()[:500])

    def model_bytes(self, model):
        return sum(a.nbytes for t in model.files.values() for a in t.values())

    def ensure_on_branch(self):
        if self.head_branch() is None:
            self.plain(["switch", "-q", "-f", "main"])

    def random_commit(self):
        return self.rng.choice(sorted(self.commits))

    def one_step(self, n, model):
        self.stats["steps"] += 1
        r = self.rng.random()
        if r < 0.30:
            self.ensure_on_branch()
            model.step()
            written = model.write(self.root)
            self.note_versions(written)
            how = self.rng.random()
            msg = "step %d" % model.step_no
            if how < 0.5:
                code, _, _ = self.under_full_disk(["add", "-q", "."])
                code, _, _ = self.under_full_disk(["commit", "-q", "-m", msg])
                self.record_head(expect_files=written)
            elif how < 0.8:
                self.plain(["add", "-q", "."])  # new files tracked, so commit -a takes every one
                model.step(files_come_and_go=False)
                written = model.write(self.root)
                self.note_versions(written)
                self.under_full_disk(["commit", "-q", "-a", "-m", msg])
                self.record_head(expect_files=written)
            else:
                self.plain(["add", "-q", "."])
                model.step()
                self.note_versions(model.write(self.root))
                path = self.rng.choice(sorted(p for p in model.files if p not in model.removed))
                self.under_full_disk(["commit", "-q", "-m", msg, path])
                self.record_head()
        elif r < 0.42:
            self.under_full_disk(["checkout", "-q", "--force", self.random_commit()])
        elif r < 0.50:
            cid = self.random_commit()
            path = self.rng.choice(sorted(self.commits[cid]))
            if self.rng.random() < 0.5:
                self.under_full_disk(["checkout", "-q", cid, "--", path])
            else:
                self.under_full_disk(["restore", "-q", "--source", cid, path])
        elif r < 0.56:
            cid = self.random_commit()
            path = self.rng.choice(sorted(self.commits[cid]))
            ext = os.path.splitext(path)[1]
            if ext == ".safetensors" and not path.startswith("sub/") and self.rng.random() < 0.5:  # BF16: no npz
                ext = ".npz"
            self.under_full_disk(["export", "%s:%s" % (cid, path), "-o", "out/e%d%s" % (n, ext)])
            for f in os.listdir(os.path.join(self.root, "out")):
                os.remove(os.path.join(self.root, "out", f))
        elif r < 0.63:
            self.under_full_disk(["gc", "-q", "--prune=now"])
        elif r < 0.69:
            self.under_full_disk(["repack", "-q"])
        elif r < 0.75:
            self.merge_step(model, n)
        elif r < 0.80:
            name = "b%d" % n
            self.under_full_disk(["branch", name, self.random_commit()])
            self.branches.append(name)
        elif r < 0.84:
            name = "t%d" % n
            self.under_full_disk(["tag", name, "-m", "tag %d" % n])
            self.tags.append(name)
        elif r < 0.90:
            self.under_full_disk(["switch", "-q", "-f", self.rng.choice(self.branches)])
        elif r < 0.93:
            self.under_full_disk(["config", "delta.run", str(self.rng.choice([2, 4, 8]))])
        elif r < 0.97:
            # the commits the reset leaves behind stay on a branch: every acknowledged commit is checked to the end
            keep = "k%d" % n
            self.plain(["branch", keep])
            self.branches.append(keep)
            mode = self.rng.choice(["--hard", "--hard", "--mixed", "--soft"])
            self.under_full_disk(["reset", "-q", mode, self.random_commit()])
        else:
            self.under_full_disk(["status"], retry=False)

    def merge_step(self, model, n):
        """Two branches that changed the weights both from one commit, merged by averaging."""
        self.ensure_on_branch()
        self.plain(["add", "-q", "."])  # a file restored from another commit, untracked here, would stand in the merge's way
        code, _, err = self.free(["commit", "-q", "-m", "before merge %d" % n])
        if code == 0:
            self.record_head()
        elif "nothing to commit" not in err:
            self.fail("with room, commit before the merge failed (%d): %s" % (code, err.strip()[:500]))
        here = self.head_branch()
        other = "m%d" % n
        self.plain(["switch", "-q", "-c", other])
        self.branches.append(other)
        model.step(files_come_and_go=False)  # a file deleted on one side and changed on the other: no merge
        self.note_versions(model.write(self.root))
        self.plain(["commit", "-q", "-a", "-m", "side %d" % n])
        self.record_head()
        self.plain(["switch", "-q", "-f", here])
        model.step(files_come_and_go=False)
        self.note_versions(model.write(self.root))
        self.plain(["commit", "-q", "-a", "-m", "main %d" % n])
        self.record_head()
        code, _, _ = self.under_full_disk(["merge", "-q", other, "--strategy", "average", "-m", "merge %d" % n])
        self.record_head()
        self.after_merge(model)

    def after_merge(self, model):
        """The merged files are the working files now: the model goes on from them."""
        for p, f in self.work_files().items():
            self.known.setdefault(p, set()).add(sha_file(f))
        for path, tensors in model.files.items():
            full = os.path.join(self.root, path)
            if not os.path.exists(full):
                continue
            if path.endswith(".npy"):
                tensors["array"] = np.load(full)
            elif path.endswith(".npz"):
                with np.load(full) as z:
                    for k in tensors:
                        tensors[k] = z[k].copy()


class Writers:
    """--writers N: N processes commit a file each to main at once (`commit -m MSG wK.npy`, the one-step
    commit that is safe beside other writers) while the room left on the disk changes every 50-300 ms
    (none at times), and a gc --prune=now runs now and then. Then, with room: fsck is clean, every commit
    a writer was told of is on main and gives its file back, and main holds each writer's last one."""

    def __init__(self, seed, disk, jar, batch, writers, seconds, stats, log):
        self.rng = random.Random(seed)
        self.seed = seed
        self.disk = disk
        self.jar = jar
        self.batch = batch
        self.n = writers
        self.seconds = seconds
        self.stats = stats
        self.log = log
        self.root = os.path.join(disk.mnt, "w")
        self.acked = {}        # message -> (writer, SHA-256 of the file it committed)
        self.last = {}         # writer -> SHA-256 of its last acknowledged commit's file
        self.problems = []
        self.stop = False
        self.history = []      # no steps to list: a finding says which writer and what it was told
        self.commits = self.acked

    def run(self):
        import threading
        os.makedirs(self.root)
        code, _, err = one_jvm(self.jar, self.root, ["init", "-q"])
        if code != 0:
            raise Finding("init failed: " + err)
        threads = [threading.Thread(target=self.writer, args=(k, random.Random(self.seed * 100 + k))) for k in range(self.n)]
        threads.append(threading.Thread(target=self.collector, args=(random.Random(self.seed * 100 + 99),)))
        for t in threads:
            t.start()
        end = time.time() + self.seconds
        try:
            while time.time() < end and not self.problems:
                if repository_bytes(self.root) > (self.disk.size_mb << 20) // 2:
                    break  # the history itself would fill the disk: the ballast is what should
                r = self.rng.random()
                leave = 0 if r < 0.2 else 1 << 40 if r < 0.35 else int(math.exp(self.rng.uniform(math.log(4096), math.log(8 << 20))))
                self.resize(leave)
                time.sleep(self.rng.uniform(0.05, 0.3))
        finally:
            self.stop = True
            for t in threads:
                t.join()
            self.disk.drain()
        if self.problems:
            raise Finding(self.problems[0])
        self.verify()

    def resize(self, leave):
        """The ballast grown or shrunk in place, so that about `leave` bytes stay free."""
        path = os.path.join(self.disk.mnt, "ballast")
        self.disk.ballast = path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            want = max(0, size + self.disk.free() - leave)
            if want < size:
                os.ftruncate(fd, want)
            elif want > size:
                try:
                    os.posix_fallocate(fd, size, want - size)
                except OSError:
                    pass  # the writers took it meanwhile: full enough
        finally:
            os.close(fd)

    def writer(self, k, rng):
        name = "w%d.npy" % k
        coral = Coral(self.jar, self.root, self.batch)
        nrng = np.random.default_rng(rng.randrange(1 << 30))
        a = (nrng.standard_normal(16384) * 0.05).astype(np.float32)
        i = 0
        try:
            while not self.stop and not self.problems:
                a += (1e-4 * nrng.standard_normal(a.shape)).astype(np.float32)
                tmp = os.path.join(self.root, ".w%d.part" % k)
                try:
                    with open(tmp, "wb") as f:
                        np.save(f, a)
                    os.replace(tmp, os.path.join(self.root, name))
                except OSError:
                    if os.path.exists(tmp):
                        os.remove(tmp)
                    time.sleep(0.05)  # no room to write the checkpoint: the trainer's trouble, not Coral's
                    continue
                sha = sha_file(os.path.join(self.root, name))
                msg = "w%d step %d" % (k, i)
                i += 1
                code, out, err = coral.run(["commit", "-m", msg, name])
                self.stats["commands"] += 1
                if code == 0:
                    self.acked[msg] = (k, sha)
                    self.last[k] = sha
                    self.stats["commits"] += 1
                    continue
                lines = [l for l in err.splitlines() if l.strip() and not l.startswith("coral: warning:")]
                if code != 1 or len(lines) != 1 or not lines[0].startswith("coral: ") or "\tat " in err:
                    self.problems.append("writer %d: commit exited %d: %s" % (k, code, err.strip()[:800]))
                elif any(w in err for w in SPACE_WORDS):
                    self.stats["space_failures"] += 1
                    if "/" not in lines[0]:
                        self.problems.append("writer %d: a space error naming no file: %s" % (k, lines[0]))
                else:
                    self.problems.append("writer %d: commit failed, not for space: %s" % (k, lines[0]))
        finally:
            coral.close()

    def collector(self, rng):
        while not self.stop and not self.problems:
            time.sleep(rng.uniform(1, 4))
            if self.stop:
                break
            code, _, err = one_jvm(self.jar, self.root, ["gc", "-q", "--prune=now"])
            self.stats["commands"] += 1
            if code != 0 and not any(w in err for w in SPACE_WORDS):
                self.problems.append("gc beside the writers failed, not for space: %s" % err.strip()[:800])

    def verify(self):
        roots = os.path.join(self.root, ".coral", "roots")
        self.stats["failed_first_commits"] = self.stats.get("failed_first_commits", 0) + len(
            [n for n in os.listdir(roots) if not n.startswith("p")] if os.path.isdir(roots) else [])
        code, out, err = one_jvm(self.jar, self.root, ["fsck"])
        self.stats["fsck_runs"] += 1
        if code != 0:
            raise Finding("fsck failed (%d): %s %s" % (code, out.strip()[-1500:], err.strip()[-500:]))
        if not self.acked:
            return  # no writer was told of a commit (little room all along): nothing to find on main
        code, out, err = one_jvm(self.jar, self.root, ["log", "--json"])
        if code != 0:
            raise Finding("log failed: " + err.strip())
        ids = {c["message"]: c["id"] for c in json.loads(out)}
        lost = sorted(m for m in self.acked if m not in ids)
        if lost:
            raise Finding("%d acknowledged commits not on main: %s" % (len(lost), lost[:5]))
        lines, wanted = [], []
        for msg, (k, sha) in sorted(self.acked.items()):
            dest = os.path.join(self.disk.mnt, "..", "v%d.npy" % len(wanted))
            wanted.append((msg, sha, dest))
            lines.append(json.dumps(["export", "%s:w%d.npy" % (ids[msg], k), "-o", dest]))
        for k, sha in sorted(self.last.items()):
            dest = os.path.join(self.disk.mnt, "..", "head%d.npy" % k)
            wanted.append(("HEAD's w%d.npy (the last acknowledged)" % k, sha, dest))
            lines.append(json.dumps(["export", "HEAD:w%d.npy" % k, "-o", dest]))
        r = subprocess.run(["java"] + JVM + ["-jar", self.jar, "batch"], cwd=self.root, input="\n".join(lines) + "\n",
                           capture_output=True, text=True, timeout=TIMEOUT * 4)
        replies = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        if len(replies) != len(wanted):
            raise Finding("verification batch gave %d replies for %d exports: %s" % (len(replies), len(wanted), r.stderr[-800:]))
        for (what, sha, dest), rep in zip(wanted, replies):
            if rep["code"] != 0:
                raise Finding("export of %s failed: %s" % (what, rep["err"].strip()))
            got = sha_file(dest)
            os.remove(dest)
            self.stats["exports_checked"] += 1
            if got != sha:
                raise Finding("%s gives other bytes" % what)


def repository_bytes(root):
    """The space ROOT/.coral takes (allocated blocks)."""
    total = 0
    for d, _, files in os.walk(os.path.join(root, ".coral")):
        for fn in files:
            try:
                total += os.lstat(os.path.join(d, fn)).st_blocks * 512
            except FileNotFoundError:
                pass
    return total


def room_text(leave):
    if isinstance(leave, str):
        return leave  # --limits: the limits it ran under
    if leave >= 1 << 40:
        return "all"
    return "%d inodes" % (-leave - 1) if leave < 0 else "%d bytes" % leave


def normalise(line):
    """A message with its paths and numbers masked, to count kinds."""
    s = re.sub(r"/[^\s:']+", "PATH", line)
    s = re.sub(r"[0-9a-f]{12,}", "ID", s)
    return re.sub(r"\d+", "N", s)


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--seed", type=int, help="one sequence with this seed")
    ap.add_argument("--seeds", help="A:B, the first seed of the run and past it (default: from the clock)")
    ap.add_argument("--steps", type=int, default=30, help="steps per sequence")
    ap.add_argument("--fs", choices=["tmpfs", "ext4"], default="tmpfs")
    ap.add_argument("--size-mb", type=int, default=96)
    ap.add_argument("--batch", action="store_true", help="commands through one coral batch process per sequence")
    ap.add_argument("--base", default="/tmp/dffuzz")
    ap.add_argument("--jar", default=DEFAULT_JAR)
    ap.add_argument("--keep", action="store_true", help="leave the last sequence's repository mounted")
    ap.add_argument("--writers", type=int, default=0,
                    help="N processes committing at once while the room left changes, in place of the sequences")
    ap.add_argument("--round-seconds", type=float, default=60, help="with --writers: how long each round writes")
    ap.add_argument("--limits", action="store_true",
                    help="each command under random limits on open files and threads, as nobody, in place of a full disk")
    ap.add_argument("--kill", action="store_true",
                    help="each command SIGKILLed at a random instant (4 in 5), in place of a full disk; a JVM per command")
    a = ap.parse_args()
    if a.kill and (a.limits or a.writers or a.batch):
        die("--kill runs sequences of JVMs: not with --limits, --writers or --batch")
    if a.limits and a.writers:
        die("--limits runs sequences, not --writers rounds")
    if a.limits and (shutil.which("setpriv") is None or shutil.which("prlimit") is None):
        die("--limits needs setpriv and prlimit (Debian's util-linux)")

    if os.geteuid() != 0:
        die("needs root, to mount a small file system of its own")
    if shutil.which("java") is None:
        die("no java on the PATH")
    if not os.path.isfile(a.jar):
        die("no jar at %s (mvn -B -q install -DskipTests)" % a.jar)
    if a.fs == "ext4" and shutil.which("mkfs.ext4") is None:
        die("no mkfs.ext4 (Debian's e2fsprogs)")
    os.makedirs(a.base, exist_ok=True)
    jar = os.path.join(a.base, "coral.jar")
    shutil.copyfile(a.jar, jar)
    code, _, err = one_jvm(jar, a.base, ["--version"])
    if code != 0:
        die("the jar does not run: " + err.strip()[:300])
    out_dir = os.path.join(a.base, "exports")
    os.makedirs(out_dir, exist_ok=True)
    if a.limits:
        os.chmod(a.base, 0o755)
        os.chmod(jar, 0o644)
        os.chmod(out_dir, 0o777)  # nobody's exports
    findings = open(os.path.join(a.base, "findings.log"), "a")

    def log(msg):
        print(msg, flush=True)
        findings.write(msg + "\n")
        findings.flush()

    stats = {"fs": a.fs, "batch": a.batch, "limits": a.limits, "kill": a.kill, "sequences": 0, "sequences_full": 0, "steps": 0, "commands": 0,
             "space_failures": 0, "retried_ok": 0, "no_room_even_then": 0, "most_left_by_a_failure": [0, ""], "commits": 0, "fsck_runs": 0, "exports_checked": 0,
             "findings": [], "by_command": {}, "messages": {}, "ms": []}
    disk = SmallDisk(a.base, a.fs, a.size_mb)
    if a.seed is not None:
        seeds = iter([a.seed])
    else:
        lo = int(a.seeds.split(":")[0]) if a.seeds else int(time.time()) % 1000000 * 100
        hi = int(a.seeds.split(":")[1]) if a.seeds and ":" in a.seeds and a.seeds.split(":")[1] else None
        seeds = iter(range(lo, hi)) if hi else iter(range(lo, lo + 10 ** 9))
    end = time.time() + a.minutes * 60
    started = time.time()
    try:
        for seed in seeds:
            if time.time() > end and a.seed is None:
                break
            disk.mount()
            if a.writers:
                seq = Writers(seed, disk, jar, a.batch, a.writers, a.round_seconds, stats, log)
            else:
                seq = Sequence(seed, disk, jar, out_dir, a.batch, a.steps, stats, log, limits=a.limits, kill=a.kill)
            try:
                try:
                    seq.run()
                except DiskFull as full:
                    print("seed %d: the disk holds no more (%s): ends here" % (seed, full), flush=True)
                    seq.verify_repository(every_file=True)
                print("seed %d: %d commands, %d commits, %.0f MB free at the end"
                      % (seed, len(seq.history), len(seq.commits), disk.free() / 1e6), flush=True)
            except Finding as f:
                log("FINDING seed %d (%s%s%s%s): %s" % (seed, a.fs, ", batch" if a.batch else "", ", limits" if a.limits else "",
                                                         ", kill" if a.kill else "", f))
                for h in seq.history[-10:]:
                    log("  step %d: %s  [room %s] -> %d %s" % (h[0], h[1], room_text(h[2]), h[3], h[4]))
                stats["findings"].append({"seed": seed, "what": str(f)})
            except Exception as e:  # the fuzzer's own trouble: say so, go on
                log("ERROR seed %d: %r" % (seed, e))
                stats["findings"].append({"seed": seed, "what": "fuzzer error: %r" % e})
            stats["sequences"] += 1
            if not (a.keep and a.seed is not None):
                disk.drain()
                disk.unmount()
    finally:
        ms = sorted(stats.pop("ms"))
        stats["minutes"] = round((time.time() - started) / 60, 1)
        stats["median_command_ms"] = round(ms[len(ms) // 2]) if ms else None
        with open(os.path.join(a.base, "report.json"), "w") as f:
            json.dump(stats, f, indent=2, sort_keys=True)
    if a.kill:
        print("%d sequences, %d commands, %d killed at a random instant (%d run again and fine, %d refused for what the"
              " killed one had done), %d commits, %d fsck runs, %d exports checked: %d findings (%s)"
              % (stats["sequences"], stats["commands"], stats.get("killed", 0), stats["retried_ok"], stats.get("refused_as_done", 0),
                 stats["commits"], stats["fsck_runs"], stats["exports_checked"], len(stats["findings"]),
                 os.path.join(a.base, "report.json")))
    elif a.limits:
        print("%d sequences, %d commands under limits (%d failed for them in one line, %d went on without a thread the JVM"
              " would not start, %d JVMs could not start at all; %d run again without limits and fine), %d commits, %d fsck"
              " runs, %d exports checked: %d findings (%s)"
              % (stats["sequences"], stats["commands"], stats.get("limit_failures", 0), stats.get("went_on_without_a_thread", 0),
                 stats.get("jvm_did_not_start", 0), stats["retried_ok"], stats["commits"], stats["fsck_runs"],
                 stats["exports_checked"], len(stats["findings"]), os.path.join(a.base, "report.json")))
    else:
        print("%d sequences, %d commands under a full disk (%d failed for space, %d run again with room and fine), "
              "%d commits, %d fsck runs, %d exports checked: %d findings (%s)"
              % (stats["sequences"], stats["commands"], stats["space_failures"], stats["retried_ok"], stats["commits"],
                 stats["fsck_runs"], stats["exports_checked"], len(stats["findings"]), os.path.join(a.base, "report.json")))
    sys.exit(1 if stats["findings"] else 0)


if __name__ == "__main__":
    main()
