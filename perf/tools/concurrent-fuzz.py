#!/usr/bin/env python3
"""Concurrency fuzzer: many processes run Coral's commands on one repository at once, some killed.

Each round makes a repository and starts W workers (default 4), each a process of its own in turn:
half of them a JVM per command (`java -jar coral.jar ...`), half one `coral batch` process kept for
the round (a kept handle, with its caches, as the daemon and a training loop have). Each worker owns
a folder of weight files (safetensors with an fp32 and a BF16 tensor, npy, npz), and in a random
order:

  * writes a new version of one of its files (small Adam-like steps; written to a temporary name and
    renamed, as a trainer would) and commits it alone (`commit -m MSG PATH`, the one-step commit that
    is safe beside other writers);
  * exports one of its acknowledged commits (`export ID:PATH -o OUT`) and compares its bytes;
  * restores one (`restore --source ID -- PATH`, `checkout ID -- PATH`) and compares the file;
  * renames one of its files (`mv`) or removes one (`rm`, or deleted by hand), and commits that
    alone (`commit -m MSG PATH...`); now and then starts a new file;
  * creates and deletes branches and tags of its own at its commits;
  * reads (`log`, `status`, `show`, `stats`, `diff`), and now and then commits every worker's
    modified and deleted files (`commit -a`);

while a maintenance process runs `gc --prune=now`, `repack` and `fsck` (which must be clean while
the others write) every 1-5 s. Now and then a command is killed with SIGKILL at a random instant
(--kill-rate, default 0.04 of the commands; a batch worker's process is started again).

What must hold:

  * every command succeeds (exit 0), or was killed: a failure of any other kind is a finding (a
    refused command is one line `coral: ...`, and there is no reason here to refuse one);
  * at the end of the round, and again after a gc --prune=now and a repack: fsck is clean; every
    acknowledged commit is on main and gives its file back byte for byte; a killed commit is either
    on main, giving its file back, or nowhere; each worker's branches and tags name the commits they
    were made at; each worker's files are as it last wrote or restored them (no other process
    touched them); main's newest commit holds at each worker's path the version its last
    acknowledged command left there (none after a move or removal), or one a command killed or
    left staged (`add`, `checkout ID -- PATH`) may have put there, and nothing at any other path.

With --repositories N, N such rounds run at once, each on a repository of its own; with --daemon
too, one process (the daemon) holds all N repositories, whose caches share its memory
(--daemon-heap 96m makes them take each other's room).

    perf/tools/concurrent-fuzz.py --minutes 10
    perf/tools/concurrent-fuzz.py --minutes 5 --daemon --repositories 3 --daemon-heap 96m
    perf/tools/concurrent-fuzz.py --seed 17 --workers 6 --round-seconds 90 --keep

Needs java and python3 with numpy; says so in one line (exit code 2) when one is missing. Exit code
0 when nothing was found, 1 when anything was. Findings in BASE/findings.log, figures in
BASE/report.json (BASE default /tmp/cfuzz).
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time

import fuzzkit  # beside this script: its folder is on the path
from fuzzkit import JVM, KILLED, LAUNCHER, TIMEOUT, Coral, Finding, RoundBase, WeightFiles, sha_file

PROG = "concurrent-fuzz"


def die(msg):
    fuzzkit.die(PROG, msg)


np = fuzzkit.numpy_or_die(PROG)


REFUSED = (1, "")  # what run_checked returns for a command that failed as it may
COMMIT_LINE = re.compile(r"^\[main(?: \(root-commit\))? ([0-9a-f]{7,})\] ")


class Round(RoundBase):
    def __init__(self, seed, jar, base, workers, seconds, kill_rate, stats, log, daemon=None, stats_lock=None,
                 kills_daemon=True, daemon_env=None):
        # stats_lock: the mutex of the rounds run at once (--repositories), which share the stats
        super().__init__(seed, jar, base, workers, seconds, kill_rate, stats, daemon, stats_lock)
        self.log = log
        self.acked = {}       # message -> (worker, path, SHA-256, short id)
        self.killed = {}      # message -> (worker, path, SHA-256) of commits killed before they answered
        self.names = {}       # branch or tag -> (kind, worker, short id)
        self.files = {}       # path -> SHA-256 the worker last wrote or restored; None once it removed or moved the file
        self.tip = {}         # path -> what main's newest commit may hold at it: SHA-256s, None for no file there
        self.landed = 0       # killed commits found on main
        self.committed_by_another = []  # (path, SHA-256, message) added, then "nothing to commit": another's commit took it
        self.last_err = {}    # worker -> standard error of its last command
        self.kills_daemon = kills_daemon  # one round of those at once kills the daemon
        self.daemon_env = daemon_env or {}  # the environment the daemon starts again in (--daemon-heap)

    def at_tip(self, path, sha, only=True):
        """What main's newest commit may hold at path after a worker's command: only sha once a commit of it was acknowledged
        (or found taken by another's), sha besides what it may have held before when the command may or may not have done
        its work (killed) or left it staged for anyone's next commit (add, checkout REV -- PATH)."""
        with self.mutex:
            self.tip[path] = {sha} if only else self.tip.get(path, {None}) | {sha}

    def run_checked(self, coral, who, args, killable=True, may_fail_with=None):
        """Runs a command; a failure other than a kill (or one line holding may_fail_with) is a finding.
        Returns (code, out); None when it was killed (or failed: a finding); REFUSED when it failed as it may."""
        code, out, err = self.timed_run(coral, who, args, killable)
        if code == 1 and coral.daemon and "ended while it ran the command" in err:
            code = KILLED  # the daemon was killed under it (--daemon): as a killed command, it may or may not have done its work
        if code == KILLED:
            self.count("killed")
            return None
        if isinstance(may_fail_with, str):
            may_fail_with = (may_fail_with,)
        with self.mutex:
            self.last_err[who] = err
        if code == 1 and may_fail_with and any(m in err for m in may_fail_with) and len(err.strip().splitlines()) == 1:
            self.count("failed_as_they_may")
            return REFUSED
        if code != 0:
            self.fail("%s: `coral %s` exited %d: %s" % (who, " ".join(args), code, err.strip()[:1500]))
            return None
        if "\tat " in err or "internal error" in err:
            self.fail("%s: `coral %s` succeeded with a stack trace: %s" % (who, " ".join(args), err.strip()[:1500]))
        return code, out

    # -----------------------------------------------------------------------------------------
    def run(self):
        os.makedirs(self.root)
        os.makedirs(self.out)
        boot = Coral(self.jar, self.root, False)
        code, _, err = boot.run(["init", "-q"])
        if code != 0:
            raise Finding("init failed: " + err)
        threads = []
        for k in range(self.n):
            batch = k % 2 == 1
            threads.append(threading.Thread(target=self.worker, args=(k, batch, random.Random(self.seed * 1000 + k))))
        threads.append(threading.Thread(target=self.maintainer, args=(random.Random(self.seed * 1000 + 999),)))
        if self.daemon and self.kill_rate > 0 and self.kills_daemon:
            threads.append(threading.Thread(target=self.daemon_killer, args=(random.Random(self.seed * 1000 + 998),)))
        self.play(threads)
        self.verify("at the end")
        for args in (["gc", "-q", "--prune=now"], ["repack", "-q"]):
            code, _, err = boot.run(args)
            if code != 0:
                raise Finding("`coral %s` after the round failed: %s" % (" ".join(args), err.strip()[:1500]))
        self.verify("after gc and repack")

    def worker(self, k, batch, rng):
        who = "w%d%s" % (k, "b" if batch else "d" if self.daemon else "")
        folder = "w%d" % k
        os.makedirs(os.path.join(self.root, folder))
        coral = Coral(self.jar, self.root, batch, None if batch else self.daemon)
        files = WeightFiles(os.path.join(self.root, folder), rng)
        mine = []  # (message, path, SHA-256, short id) of this worker's acknowledged commits
        i = 0
        with self.guarded(who, coral):
            while not self.stop and not self.problems:
                r = rng.random()
                if r < 0.42 or not mine:
                    if not files.arrays or rng.random() < 0.04:  # a new checkpoint file beside the others
                        files.add("n%d%s" % (i, rng.choice([".safetensors", ".npy", ".npz"])))
                    name = rng.choice(sorted(files.arrays))
                    path = folder + "/" + name
                    files.step(name)
                    sha = files.write(name)
                    self.files[path] = sha
                    self.at_tip(path, sha, only=False)  # another worker's `commit -a` may take the file as written
                    msg = "%s step %d" % (who, i)
                    i += 1
                    if rng.random() < 0.3:
                        # through the staging index all workers share: add, then commit whatever is staged. Another worker's
                        # commit may take this file first ("nothing to commit" here); either way some commit on main holds it
                        if self.run_checked(coral, who, ["add", path]) is None:
                            self.at_tip(path, sha, only=False)  # perhaps staged: anyone's next commit takes it
                            continue
                        self.at_tip(path, sha, only=False)
                        res = self.run_checked(coral, who, ["commit", "-m", msg], may_fail_with="nothing to commit")
                        if res is REFUSED:
                            with self.mutex:
                                self.committed_by_another.append((path, sha, msg))
                            self.at_tip(path, sha)
                            continue
                    else:
                        # another worker's `commit -a` may have taken the file as written first: then nothing is left to commit
                        res = self.run_checked(coral, who, ["commit", "-m", msg, path], may_fail_with="nothing to commit")
                        if res is REFUSED:
                            with self.mutex:
                                self.committed_by_another.append((path, sha, msg))
                            self.at_tip(path, sha)
                            continue
                    if res is None:
                        with self.mutex:
                            self.killed[msg] = (k, path, sha)
                        self.at_tip(path, sha, only=False)
                        continue
                    self.at_tip(path, sha)
                    m = COMMIT_LINE.match(res[1])
                    if not m:
                        self.fail("%s: commit printed no id: %r" % (who, res[1][:300]))
                        continue
                    with self.mutex:
                        self.acked[msg] = (k, path, sha, m.group(1))
                    mine.append((msg, path, sha, m.group(1)))
                    self.count("commits")
                elif r < 0.58:
                    msg, path, sha, cid = rng.choice(mine)
                    dest = os.path.join(self.out, "%s-%d%s" % (who, i, os.path.splitext(path)[1]))
                    i += 1
                    if self.run_checked(coral, who, ["export", "%s:%s" % (cid, path), "-o", dest]) is not None:
                        got = sha_file(dest)
                        self.count("exports_checked")
                        if got != sha:
                            self.fail("%s: export of %s (%s) gives other bytes" % (who, cid, msg))
                    if os.path.exists(dest):
                        os.remove(dest)
                elif r < 0.66:
                    live = [m for m in mine if self.files.get(m[1]) is not None]  # not a file since moved or removed
                    if not live:
                        continue
                    msg, path, sha, cid = rng.choice(live)
                    args = ["restore", "--source", cid, "--", path] if rng.random() < 0.5 else ["checkout", cid, "--", path]
                    before = self.files[path]
                    # restored in the working folder, where another worker's `commit -a` may take it; and checkout stages it
                    # too (as git's), where anyone's next commit may
                    self.at_tip(path, sha, only=False)
                    res = self.run_checked(coral, who, args)
                    full = os.path.join(self.root, path)
                    now = sha_file(full)
                    if res is not None:
                        self.count("restores_checked")
                        if now != sha:
                            self.fail("%s: `coral %s` left other bytes in %s" % (who, " ".join(args), path))
                    elif now not in (sha, before) and not self.problems:
                        self.fail("%s: a killed `coral %s` left %s neither old nor new" % (who, " ".join(args), path))
                    self.files[path] = now
                    files.reload(path.split("/", 1)[1], full)
                elif r < 0.76:
                    self.names_step(coral, who, k, rng, mine)
                elif r < 0.86:
                    i = self.move_or_remove_step(coral, who, k, rng, files, folder, mine, i)
                else:
                    if rng.random() < 0.15:
                        # every worker's modified and deleted tracked files, staged and committed (whoever's they are)
                        # a file its worker replaces while the read opens it, three times running, is refused ("add it
                        # again when it is written"); one replaced after that is committed as it was when opened
                        res = self.run_checked(coral, who, ["commit", "-a", "-m", "%s all %d" % (who, i)],
                                               may_fail_with=("nothing to commit", "changed while it was being added"))
                        i += 1
                        if res is not None and res is not REFUSED:
                            self.count("commits_of_all")
                        continue
                    msg, path, sha, cid = rng.choice(mine)
                    reads = [["log", "-n", "5"], ["status"], ["show", cid], ["stats"], ["log", "--oneline", cid]]
                    if self.files.get(path) is not None:
                        reads.append(["diff", cid, "--", path])
                    self.run_checked(coral, who, rng.choice(reads))

    def move_or_remove_step(self, coral, who, k, rng, files, folder, mine, i):
        """Renames one of the worker's files (`mv`) or removes it (`rm`, or deleted by hand), then commits that alone
        (`commit -m MSG PATH...`, both names for a move). Returns the next step number."""
        written = sorted(n for n in files.arrays if self.files.get(folder + "/" + n) is not None)
        if not written:
            return i
        name = rng.choice(written)
        path = folder + "/" + name
        sha = self.files[path]
        msg = "%s step %d" % (who, i)
        i += 1
        if rng.random() < 0.5 and None not in self.tip.get(path, {None}):  # mv refuses a file perhaps never committed
            new = "r%d%s" % (i, os.path.splitext(name)[1])
            dest = folder + "/" + new
            # the move is staged for anyone's next commit: the staged version under the new name (which may be older
            # than the file, after a restore), and this commit of both names records the file's
            staged = self.tip.get(path, {None}) - {None}
            res = self.run_checked(coral, who, ["mv", path, dest])
            self.count("moves")
            self.at_tip(path, None, only=False)
            for v in staged | {sha}:
                self.at_tip(dest, v, only=False)
            if res is None and not os.path.exists(os.path.join(self.root, dest)):  # killed before the file moved
                return i
            files.rename(name, new)
            self.files[path], self.files[dest] = None, sha
            commit = ["commit", "-m", msg, path, dest]
            held = (k, dest, sha)
        else:
            if rng.random() < 0.5 and self.tip.get(path) == {sha}:  # rm refuses a file whose version no commit holds
                res = self.run_checked(coral, who, ["rm", "-q", path])
                self.count("removes")
            else:
                res = ()
                self.at_tip(path, None, only=False)  # another worker's `commit -a` may take the deletion
                os.remove(os.path.join(self.root, path))
            if res is None and os.path.exists(os.path.join(self.root, path)):  # killed before the file went
                self.at_tip(path, None, only=False)
                return i
            files.remove(name)
            self.files[path] = None
            self.at_tip(path, None, only=False)
            commit = ["commit", "-m", msg, path]
            held = (k, path, None)
        # another's commit may have taken the staged move or removal first: then there is nothing left to commit here,
        # or the old name, in no commit, the index or the folder, is a path coral knows nothing of (as git's pathspec)
        unknown = "%s: no such file or folder" % os.path.join(self.root, path)
        res = self.run_checked(coral, who, commit, may_fail_with=("nothing to commit", unknown))
        if res is REFUSED and held[2] is not None and self.last_err.get(who, "").find(unknown) >= 0:
            # the move taken with the version staged under the new name: the file itself is committed as a user would
            commit = ["commit", "-m", msg, held[1]]
            res = self.run_checked(coral, who, commit, may_fail_with="nothing to commit")
        if res is None:
            with self.mutex:
                self.killed[msg] = held
            return i
        if held[2] is not None:
            self.at_tip(held[1], held[2])
        if res is REFUSED:
            if held[2] is not None:
                with self.mutex:
                    self.committed_by_another.append((held[1], held[2], msg))
                self.at_tip(path, None)
            # a removal with nothing to commit (no commit had the file) leaves a version staged under its name as it was (a
            # killed move's, a killed add's), as git's commit PATH does: anyone's next commit may still take it
            return i
        m = COMMIT_LINE.match(res[1])
        if not m:
            self.fail("%s: commit printed no id: %r" % (who, res[1][:300]))
            return i
        self.at_tip(path, None)
        with self.mutex:
            self.acked[msg] = held + (m.group(1),)
        if held[2] is not None:
            mine.append((msg, held[1], held[2], m.group(1)))
        self.count("commits")
        return i

    def names_step(self, coral, who, k, rng, mine):
        own = sorted(n for n, v in self.names.items() if v[1] == k)
        if own and rng.random() < 0.35:
            name = rng.choice(own)
            kind = self.names[name][0]
            args = ["branch", "-D", name] if kind == "branch" else ["tag", "-d", name]
            maybe = len(self.names[name]) == 4  # its making or an earlier deleting was killed
            res = self.run_checked(coral, who, args, may_fail_with="not found" if maybe else None)
            if res is not None and res is not REFUSED:
                with self.mutex:
                    del self.names[name]
            elif self.stop or self.problems:
                return
            else:  # killed, or it was never made: the name is gone or still there, at the same commit
                with self.mutex:
                    self.names[name] = self.names[name][:3] + ("maybe gone",)
            return
        msg, path, sha, cid = rng.choice(mine)
        kind = "branch" if rng.random() < 0.6 else "tag"
        name = "%s-%s%d" % (who, kind[0], rng.randrange(1 << 20))
        if kind == "branch":
            args = ["branch", name, cid]
        elif rng.random() < 0.5:
            args = ["tag", name, cid]
        else:
            args = ["tag", "-m", "annotated", name, cid]
        res = self.run_checked(coral, who, args)
        with self.mutex:
            self.names[name] = (kind, k, cid) if res is not None else (kind, k, cid, "maybe made")

    def daemon_killer(self, rng):
        """--daemon: the daemon killed with SIGKILL every 8-25 s, its kept handles with it, and started again a moment later
        (meanwhile the launcher runs the commands itself)."""
        while not self.stop and not self.problems:
            time.sleep(rng.uniform(8, 25))
            if self.stop:
                break
            try:
                with open(os.path.join(self.daemon, "info")) as f:
                    pid = int(f.read().split()[2])
                os.kill(pid, 9)
                self.count("daemon_kills")
            except (OSError, ValueError, IndexError):
                pass
            time.sleep(rng.uniform(0.2, 2))
            r = subprocess.run(["bash", LAUNCHER, "daemon", "start", "--no-warm-up"], capture_output=True, text=True,
                               env=dict(os.environ, CORAL_DAEMON_DIR=self.daemon, **self.daemon_env))
            if r.returncode != 0:
                self.fail("the daemon did not start again after a kill: " + (r.stderr or r.stdout).strip()[:500])

    def check_committed_by_another(self, when, commits):
        """Each file version a worker added whose own commit then found nothing to commit is in some commit on main."""
        lines = [json.dumps(["show", "--json", c]) for c in commits]
        r = subprocess.run(["java"] + JVM + ["-jar", self.jar, "batch"], cwd=self.root, input="\n".join(lines) + "\n",
                           capture_output=True, text=True, timeout=TIMEOUT * 4)
        held = set()
        for line in r.stdout.splitlines():
            rep = json.loads(line)
            if rep["code"] != 0:
                raise Finding("%s: show --json of a commit on main failed: %s" % (when, rep["err"].strip()))
            held.update((f["path"], f["sha256"]) for f in json.loads(rep["out"])["files"])
        for path, sha, msg in self.committed_by_another:
            if (path, sha) not in held:
                raise Finding("%s: %s was added and taken by another's commit (%s found nothing to commit), but no commit on main"
                              " holds it" % (when, path, msg))
            self.count("taken_by_another_checked")

    # -----------------------------------------------------------------------------------------
    def verify(self, when):
        boot = Coral(self.jar, self.root, False)
        code, out, err = boot.run(["fsck"])
        self.count("fsck_runs")
        if code != 0:
            raise Finding("fsck %s failed (%d): %s %s" % (when, code, out.strip()[-1500:], err.strip()[-500:]))
        code, out, err = boot.run(["log", "--json", "main"])
        if code != 0:
            raise Finding("log %s failed: %s" % (when, err.strip()))
        ids = {c["message"]: c["id"] for c in json.loads(out)}
        lost = sorted(m for m in self.acked if m not in ids)
        if lost:
            raise Finding("%s: %d acknowledged commits not on main: %s" % (when, len(lost), lost[:5]))
        for msg, (k, path, sha, cid) in self.acked.items():
            if not ids[msg].startswith(cid):
                raise Finding("%s: the commit of %s is %s on main, not %s as the commit said" % (when, msg, ids[msg], cid))
        if self.committed_by_another:
            self.check_committed_by_another(when, list(ids.values()))
        landed = {m: v for m, v in self.killed.items() if m in ids}
        if when == "at the end":
            self.landed = len(landed)
            self.count("killed_commits_landed", len(landed))
        wanted, lines = [], []
        for msg, v in sorted(self.acked.items()) + sorted(landed.items()):
            path, sha = v[1], v[2]
            if sha is None:  # a removal: the tip's check below covers it
                continue
            dest = os.path.join(self.out, "v%d%s" % (len(wanted), os.path.splitext(path)[1]))
            wanted.append(("%s (%s)" % (msg, path), sha, dest))
            lines.append(json.dumps(["export", "%s:%s" % (ids[msg], path), "-o", dest]))
        for name, v in sorted(self.names.items()):
            lines.append(json.dumps(["log", "--json", "-n", "1", name]))
            wanted.append((name, v, None))
        r = subprocess.run(["java"] + JVM + ["-jar", self.jar, "batch"], cwd=self.root, input="\n".join(lines) + "\n",
                           capture_output=True, text=True, timeout=TIMEOUT * 4)
        replies = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        if len(replies) != len(wanted):
            raise Finding("%s: the verification batch gave %d replies for %d commands: %s" % (when, len(replies), len(wanted), r.stderr[-800:]))
        for (what, sha, dest), rep in zip(wanted, replies):
            if dest is None:  # a branch or tag
                v = sha
                if rep["code"] != 0:
                    if len(v) == 4:  # its making or deleting was killed
                        continue
                    raise Finding("%s: the %s %s is gone: %s" % (when, v[0], what, rep["err"].strip()))
                got = json.loads(rep["out"])[0]["id"]
                if not got.startswith(v[2]):
                    raise Finding("%s: the %s %s names %s, made at %s" % (when, v[0], what, got[:12], v[2]))
                self.count("names_checked")
                continue
            if rep["code"] != 0:
                raise Finding("%s: export of %s failed: %s" % (when, what, rep["err"].strip()))
            got = sha_file(dest)
            os.remove(dest)
            self.count("exports_checked")
            if got != sha:
                raise Finding("%s: %s gives other bytes" % (when, what))
        for path, sha in sorted(self.files.items()):
            full = os.path.join(self.root, path)
            if sha is None and os.path.exists(full):
                raise Finding("%s: %s, which its worker moved or removed, is back in the working folder" % (when, path))
            if sha is not None and sha_file(full) != sha:
                raise Finding("%s: the working file %s is not as its worker left it" % (when, path))
        self.check_tip(when)

    def check_tip(self, when):
        """Main's newest commit holds at each worker's path what the workers' commands allow (a lost update, a move or
        removal undone by another's commit, would hold an older version), and nothing at paths no worker wrote."""
        r = subprocess.run(["java"] + JVM + ["-jar", self.jar, "show", "--json", "main"], cwd=self.root,
                           capture_output=True, text=True, timeout=TIMEOUT)
        if r.returncode != 0:
            raise Finding("%s: show --json main failed: %s" % (when, r.stderr.strip()[:500]))
        held = {f["path"]: f["sha256"] for f in json.loads(r.stdout)["files"]}
        for path in sorted(set(held) | set(self.tip)):
            allowed = self.tip.get(path, {None})
            if held.get(path) not in allowed:
                raise Finding("%s: main's newest commit holds %s at %s, where its worker's commands allow only %s" % (
                    when, (held.get(path) or "no file")[:12], path, sorted((a or "no file")[:12] for a in allowed)))
            self.count("tip_paths_checked")




def daemon_served(folder):
    """How many commands the daemon's log says it ran (a check that the launcher handed them over at all)."""
    try:
        with open(os.path.join(folder, "log"), errors="replace") as f:
            return sum(1 for line in f if re.match(r"^\S+ \S+ #\d+ pid \d+ coral ", line))
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    fuzzkit.round_arguments(ap, 4, "/tmp/cfuzz")
    ap.add_argument("--repositories", type=int, default=1,
                    help="rounds run at once, each on a repository of its own with its workers (default 1): with --daemon,"
                         " one process holds them all, their caches sharing its memory")
    ap.add_argument("--daemon-heap", help="the daemon's maximum heap, e.g. 96m (default: the JVM's): with several"
                                          " repositories, small enough that their caches take each other's room")
    ap.add_argument("--daemon", action="store_true",
                    help="the workers that run a command per process send it through ./coral to a daemon of the fuzzer's own instead"
                         " (commands at once in one JVM, on its kept handles); those are not killed")
    a = ap.parse_args()
    jar = fuzzkit.jar_copy(PROG, a)
    findings = open(os.path.join(a.base, "findings.log"), "a")

    def log(msg):
        print(msg, flush=True)
        findings.write(msg + "\n")
        findings.flush()

    daemon_dir = None
    # the daemon takes the JVM options of the command that starts it
    daemon_env = {"CORAL_JAVA_OPTS": "-Xmx" + a.daemon_heap} if a.daemon_heap else {}
    if a.daemon_heap and not a.daemon:
        die("--daemon-heap is the heap of the daemon --daemon starts")
    if a.repositories < 1:
        die("--repositories must be 1 or more")
    if a.daemon:
        daemon_dir = os.path.join(a.base, "daemon")
        r = subprocess.run(["bash", LAUNCHER, "daemon", "start"], capture_output=True, text=True,
                           env=dict(os.environ, CORAL_DAEMON_DIR=daemon_dir, **daemon_env))
        if r.returncode != 0:
            die("the daemon did not start: " + (r.stderr or r.stdout).strip()[:300])
    stats = {"rounds": 0, "workers": a.workers, "kill_rate": a.kill_rate, "daemon": a.daemon, "findings": [],
             "repositories": a.repositories, "daemon_heap": a.daemon_heap}
    stats_lock = threading.Lock()
    seeds = iter([a.seed]) if a.seed is not None else iter(range(int(time.time()) % 1000000 * 100, 1 << 62, a.repositories))
    end = time.time() + a.minutes * 60
    started = time.time()
    try:
        for seed in seeds:
            if time.time() > end and a.seed is None:
                break
            rounds = [Round(seed + i, jar, a.base, a.workers, a.round_seconds, a.kill_rate, stats, log, daemon_dir,
                            stats_lock, kills_daemon=i == 0, daemon_env=daemon_env) for i in range(a.repositories)]
            outcomes = [None] * len(rounds)

            def play(i):
                try:
                    rounds[i].run()
                except Finding as f:
                    outcomes[i] = f

            threads = [threading.Thread(target=play, args=(i,)) for i in range(len(rounds))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for rnd, f in zip(rounds, outcomes):
                if f is None:
                    print("seed %d: %d commands, %d commits acknowledged, %d killed (%d commits, %d of them landed)"
                          % (rnd.seed, len(rnd.history), len(rnd.acked), sum(1 for h in rnd.history if h[3] == KILLED),
                             len(rnd.killed), rnd.landed), flush=True)
                else:
                    log("FINDING seed %d: %s" % (rnd.seed, f))
                    for h in rnd.history[-14:]:
                        log("  %7.2f s %-6s coral %s -> %s %s" % h)
                    with open(os.path.join(a.base, "history-%d.log" % rnd.seed), "w") as hf:
                        hf.writelines("%7.2f s %-6s coral %s -> %s %s\n" % h for h in rnd.history)
                    stats["findings"].append({"seed": rnd.seed, "what": str(f)})
                stats["rounds"] += 1
                if not a.keep:
                    shutil.rmtree(rnd.root, ignore_errors=True)
                    shutil.rmtree(rnd.out, ignore_errors=True)
    finally:
        if daemon_dir:
            subprocess.run(["bash", LAUNCHER, "daemon", "stop"], capture_output=True, env=dict(os.environ, CORAL_DAEMON_DIR=daemon_dir))
            stats["daemon_log_served"] = daemon_served(daemon_dir)
        stats["minutes"] = round((time.time() - started) / 60, 1)
        with open(os.path.join(a.base, "report.json"), "w") as f:
            json.dump(stats, f, indent=2, sort_keys=True)
    print("%d rounds, %d commands (%d killed%s), %d commits (%d moves, %d rm, %d commit -a), %d gc, %d repack, %d fsck, %d exports,"
          " %d restores, %d names, %d paths at main's tip checked: %d findings (%s)"
          % (stats["rounds"], stats.get("commands", 0), stats.get("killed", 0),
             "; %s run by the daemon" % stats["daemon_log_served"] if a.daemon else "", stats.get("commits", 0),
             stats.get("moves", 0), stats.get("removes", 0), stats.get("commits_of_all", 0),
             stats.get("gc_runs", 0), stats.get("repack_runs", 0), stats.get("fsck_runs", 0),
             stats.get("exports_checked", 0), stats.get("restores_checked", 0), stats.get("names_checked", 0),
             stats.get("tip_paths_checked", 0),
             len(stats["findings"]), os.path.join(a.base, "report.json")))
    sys.exit(1 if stats["findings"] else 0)


if __name__ == "__main__":
    main()
