#!/usr/bin/env python3
"""Concurrency fuzzer for the commands that move HEAD, the branch or every working file, beside commits.

concurrent-fuzz.py keeps HEAD on main so that it can check exactly what each commit holds; it leaves
out `switch`, `checkout REV`, `reset` and `merge`, which a user runs in the same folder while a
training job commits its checkpoints. Here each round makes a repository and starts W workers
(default 3; every other one a kept `coral batch` process, the rest a JVM per command), each owning a
folder of weight files, which in a random order

  * write a new version of one of their files and commit it alone (`commit -m MSG PATH`), on
    whatever branch (or detached HEAD) HEAD is then;
  * export one of their acknowledged commits (`export ID:PATH -o OUT`);
  * put one of their committed versions back (`restore --source ID -- PATH`, `checkout ID -- PATH`);
  * now and then commit everything modified (`commit -a`);
  * read (`status`, `log --all`, `diff`, `show`);

while one mover, a command at a time, switches to a new branch (`switch -c`), to another branch,
checks out an older commit (a detached HEAD: commits made there are git's to lose), commits
everything (`commit -a`) and merges a branch (`--strategy theirs|ours`, or none), resets
(`--hard HEAD`, or `--hard|--mixed|--soft HEAD~1`, then keeps what the branch was at as a branch
`keepN ORIG_HEAD`, as a user undoing a mistake would), and checks out one worker's file from another
branch; and a maintainer runs `gc --prune=now`, `repack` and `fsck` every 1-5 s. A share of the
commands (--kill-rate, default 0.04) is killed with SIGKILL at a random instant.

A worker's file may be overwritten by the mover between its write and its commit (a `reset --hard`, a
switch), so which version a commit holds is not known exactly; what must hold:

  * every command succeeds, or was killed, or (the mover's, and a worker's "nothing to commit") is
    refused in one line `coral: ...` for a reason on this fuzzer's list; a stack trace is a finding;
  * fsck is clean whenever it runs;
  * at the end, and again after gc --prune=now and a repack: every commit acknowledged on a branch
    is reachable from a branch or tag; every acknowledged commit still there gives back, at its path,
    a version some worker wrote there; every branch and HEAD holds at each path only versions written
    there (nothing torn, nothing mixed);
  * after a final `commit -a`, status is clean and every tracked working file is byte for byte HEAD's
    (a staging index that trusts a stale stamp, or that a reset and a commit both wrote from
    their own reading, would show here).

    perf/tools/head-moves-fuzz.py --minutes 10
    perf/tools/head-moves-fuzz.py --minutes 10 --daemon      # the JVM-per-command processes through a daemon instead
    perf/tools/head-moves-fuzz.py --seed 17 --keep

Needs java and python3 with numpy (exit code 2 when one is missing). Exit code 0 when nothing was
found, 1 when anything was. Findings in BASE/findings.log, figures and the refusals seen (by
kind) in BASE/report.json (BASE default /tmp/hmfuzz).
"""
import argparse
import contextlib
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

PROG = "head-moves-fuzz"
np = fuzzkit.numpy_or_die(PROG)
COMMIT_LINE = re.compile(r"^\[(detached HEAD|[^\s\]]+)(?: \(root-commit\))? ([0-9a-f]{7,})\] ")

# the refusals a command may meet here, by command, each a reason the fuzzer's own moves give
MAY_REFUSE = {
    # a path no commit, index entry or file names any more (a reset or switch took it away): git's pathspec error
    "commit": ["nothing to commit", "changed while it was being added", ": no such file or folder"],
    "switch": ["would overwrite", "already exists"],
    "checkout": ["would overwrite", ": not in "],  # a path the branch does not have
    "merge": ["working folder has changes", "cannot be merged", "would be overwritten", "while the merge ran",
              "no commit yet"],
    "reset": ["has no commit yet", "HEAD~1"],
    "branch": ["already exists"],  # and, by the branch named, a deletion's reasons (rename_or_delete)
}



class Round(RoundBase):
    def __init__(self, seed, jar, base, workers, seconds, kill_rate, stats, daemon=None):
        super().__init__(seed, jar, base, workers, seconds, kill_rate, stats, daemon)
        self.known = {}      # path -> every SHA-256 a worker wrote there
        self.acked = []      # (message, path, short id, branch the commit line named, SHA-256 the worker wrote)
        self.hold = threading.Event()  # set by the mover: the workers write no new version meanwhile

    def run_checked(self, coral, who, args, killable=True, may=()):
        """(out, None) when the command succeeded, (None, reason) when it was refused as it may be, None when it was killed
        (or failed otherwise: a finding)."""
        code, out, err = self.timed_run(coral, who, args, killable)
        if code == KILLED:
            self.count("killed")
            return None
        if "\tat " in err or "internal error" in err:
            self.fail("%s: `coral %s` exited %d with a stack trace: %s" % (who, " ".join(args), code, err.strip()[:1500]))
            return None
        if code == 0:
            return out, None
        # a command that waited for a lock says so first (a reset holding the index through a long checkout)
        lines = [l for l in err.strip().splitlines() if not l.startswith("coral: waiting for ")]
        reasons = MAY_REFUSE.get(args[0], []) + list(may)
        if code == 1 and len(lines) == 1 and lines[0].startswith("coral: ") and any(r in lines[0] for r in reasons):
            with self.mutex:
                seen = self.stats.setdefault("refused", {})
                key = args[0] + ": " + re.sub(r"[0-9a-f]{7,}|\d+", "N", lines[0])[:140]
                seen[key] = seen.get(key, 0) + 1
            return None, lines[0]
        self.fail("%s: `coral %s` exited %d: %s" % (who, " ".join(args), code, err.strip()[:1500]))
        return None

    # -----------------------------------------------------------------------------------------
    def run(self):
        os.makedirs(self.root)
        os.makedirs(self.out)
        boot = Coral(self.jar, self.root, False)
        code, _, err = boot.run(["init", "-q"])
        if code != 0:
            raise Finding("init failed: " + err)
        threads = [threading.Thread(target=self.worker, args=(k, k % 2 == 1, random.Random(self.seed * 1000 + k)))
                   for k in range(self.n)]
        threads.append(threading.Thread(target=self.mover, args=(random.Random(self.seed * 1000 + 997),)))
        threads.append(threading.Thread(target=self.maintainer, args=(random.Random(self.seed * 1000 + 999),)))
        self.play(threads)
        self.verify("at the end")
        self.check_working_files()
        for args in (["gc", "-q", "--prune=now"], ["repack", "-q"]):
            code, _, err = boot.run(args)
            if code != 0:
                raise Finding("`coral %s` after the round failed: %s" % (" ".join(args), err.strip()[:1500]))
        self.verify("after gc and repack")

    def worker(self, k, batch, rng):
        who = "w%d%s" % (k, "b" if batch else "")
        folder = "w%d" % k
        os.makedirs(os.path.join(self.root, folder))
        coral = Coral(self.jar, self.root, batch, None if batch else self.daemon)
        files = WeightFiles(os.path.join(self.root, folder), rng)
        mine = []
        i = 0
        with self.guarded(who, coral):
            while not self.stop and not self.problems:
                while self.hold.is_set() and not self.stop:
                    time.sleep(0.05)
                r = rng.random()
                if r < 0.65 or not mine:
                    name = rng.choice(sorted(files.arrays))
                    path = folder + "/" + name
                    files.step(name)
                    data = files.data(name)
                    sha = fuzzkit.sha_bytes(data)
                    with self.mutex:
                        self.known.setdefault(path, set()).add(sha)  # known before anyone can see it
                    files.write(name)
                    msg = "%s step %d" % (who, i)
                    i += 1
                    res = self.run_checked(coral, who, ["commit", "-m", msg, path])
                    if res is None or res[0] is None:
                        continue  # killed, or the mover's reset put back the committed version first
                    m = COMMIT_LINE.match(res[0])
                    if not m:
                        self.fail("%s: commit printed no id: %r" % (who, res[0][:300]))
                        continue
                    with self.mutex:
                        self.acked.append((msg, path, m.group(2), m.group(1), sha))
                    mine.append((msg, path, m.group(2), m.group(1)))
                    self.count("commits" if m.group(1) != "detached HEAD" else "commits_detached")
                elif r < 0.8:
                    msg, path, cid, where = rng.choice(mine)
                    dest = os.path.join(self.out, "%s-%d%s" % (who, i, os.path.splitext(path)[1]))
                    i += 1
                    res = self.run_checked(coral, who, ["export", "%s:%s" % (cid, path), "-o", dest], killable=False) \
                        if where != "detached HEAD" else None  # a detached commit gc may have removed by now
                    if res is not None and res[0] is not None:
                        self.check_version("%s: export of %s (%s)" % (who, cid, msg), path, sha_file(dest))
                    if os.path.exists(dest):
                        os.remove(dest)
                elif r < 0.85:
                    # a version of its own put back, from a commit of it still reachable (a detached one gc may have removed)
                    live = [m for m in mine if m[3] != "detached HEAD"]
                    if live:
                        msg, path, cid, where = rng.choice(live)
                        args = ["restore", "--source", cid, "--", path] if rng.random() < 0.5 else ["checkout", cid, "--", path]
                        if self.run_checked(coral, who, args) is not None:
                            self.count("restores")
                elif r < 0.88:
                    res = self.run_checked(coral, who, ["commit", "-a", "-m", "%s all %d" % (who, i)])
                    i += 1
                    if res is not None and res[0] is not None:
                        self.count("commits_of_all")
                else:
                    msg, path, cid, where = rng.choice(mine)
                    reads = [["status"], ["log", "-n", "5", "--all", "--oneline"], ["diff", "HEAD", "--", path], ["show", "HEAD"]]
                    self.run_checked(coral, who, rng.choice(reads))

    def check_version(self, what, path, sha):
        with self.mutex:
            ok = sha in self.known.get(path, set())
        if not ok:
            raise Finding("%s gives at %s a version no worker wrote there" % (what, path))
        self.count("versions_checked")

    def mover(self, rng):
        batch = rng.random() < 0.5
        coral = Coral(self.jar, self.root, batch, None if batch else self.daemon)
        branches = {"main": True}  # name -> made for certain (not when its switch -c was killed)
        self.current = "main"  # the branch HEAD is on, as far as the mover knows (None: detached, or not known)
        n = 0
        with self.guarded("mover", coral):
            while not self.acked and not self.stop:  # main is made by the first commit
                time.sleep(0.1)
            while not self.stop and not self.problems:
                time.sleep(rng.uniform(0.2, 1.5))
                if self.stop:
                    break
                n += 1
                r = rng.random()
                if r < 0.15:
                    name = "h%d" % n
                    res = self.run_checked(coral, "mover", ["switch", "-c", name])
                    if res is None or res[0] is not None:  # refused: not made; killed: perhaps made
                        branches[name] = res is not None
                    self.current = name if res is not None and res[0] is not None else None if res is None else self.current
                elif r < 0.35:
                    b = rng.choice(sorted(branches))
                    with self.holding(rng, 0.5):  # else mostly refused for a worker's file written since its commit
                        res = self.run_checked(coral, "mover", ["switch", b], may=self.unknown(branches, b))
                    self.current = b if res is not None and res[0] is not None else None if res is None else self.current
                elif r < 0.45:
                    b = rng.choice(sorted(branches))
                    # a branch of one commit has no ~1
                    res = self.run_checked(coral, "mover", ["checkout", b + "~1"], may=("has no parent",) + self.unknown(branches, b))
                    if res is None or res[0] is not None:  # detached, or perhaps (killed)
                        self.current = None
                        if res is not None:
                            self.count("detached")
                elif r < 0.65:
                    with self.holding(rng, 0.7):  # a merge needs a clean folder
                        self.run_checked(coral, "mover", ["commit", "-a", "-m", "mover all %d" % n])
                        strategy = rng.choice([[], ["--strategy", "theirs"], ["--strategy", "ours"]])
                        b, ahead = self.merge_candidate(coral, rng, branches)
                        res = self.run_checked(coral, "mover", ["merge", b] + strategy, may=self.unknown(branches, b))
                    if res is not None and res[0] is not None:
                        self.count("merges")
                        out = res[0]
                        self.count("merges_up_to_date" if out.startswith("Already up to date") else
                                   "merges_fast_forward" if out.startswith("Fast-forward") else "merge_commits")
                        if ahead and out.startswith("Already up to date"):  # only the mover moves HEAD and merges
                            self.fail("mover: `coral merge %s` found nothing to merge where `log HEAD..%s` had listed a commit"
                                      % (b, b))
                elif r < 0.85:
                    mode, rev = rng.choice([("--hard", "HEAD"), ("--hard", "HEAD~1"), ("--mixed", "HEAD~1"), ("--soft", "HEAD~1")])
                    res = self.run_checked(coral, "mover", ["reset", mode, rev])
                    if rev != "HEAD" and (res is None or res[0] is not None):
                        # what the branch was at, kept (a reset killed before it set ORIG_HEAD moved nothing either)
                        while self.run_checked(coral, "mover", ["branch", "keep%d" % n, "ORIG_HEAD"], killable=False,
                                               may=("unknown revision 'ORIG_HEAD'",)) is None:
                            if self.problems:
                                return
                        self.count("resets_back")
                    elif res is not None:
                        self.count("resets_hard")
                elif r < 0.92:
                    with self.mutex:
                        paths = sorted(self.known)
                    b = rng.choice(sorted(branches))
                    if paths:
                        self.run_checked(coral, "mover", ["checkout", b, "--", rng.choice(paths)], may=self.unknown(branches, b))
                else:
                    self.rename_or_delete(coral, rng, branches, n)

    def merge_candidate(self, coral, rng, branches):
        """Another branch than HEAD's, one with commits HEAD lacks where one of three tried has (`log HEAD..B`), so that
        merges make merge commits, not only "Already up to date"."""
        others = sorted(set(branches) - {self.current}) or ["main"]
        rng.shuffle(others)
        for b in others[:3]:
            res = self.run_checked(coral, "mover", ["log", "--oneline", "-n", "1", "HEAD.." + b], may=self.unknown(branches, b))
            if res is not None and res[0]:
                return b, True
        return others[0], False

    @contextlib.contextmanager
    def holding(self, rng, p):
        """With probability p, the workers hold back new versions meanwhile (their commands under way still run)."""
        if rng.random() >= p:
            yield
            return
        self.hold.set()
        try:
            time.sleep(rng.uniform(0, 1.0))
            yield
        finally:
            self.hold.clear()

    def rename_or_delete(self, coral, rng, branches, n):
        """`branch -m OLD NEW` (HEAD follows when it is on OLD, as the workers commit there) or `branch -d NAME`, which
        refuses a branch whose commits nothing else reaches, and the branch HEAD is on; never main."""
        others = sorted(b for b in branches if b != "main")
        if not others:
            return
        old = rng.choice(others)
        if rng.random() < 0.5:
            new = "m%d" % n
            res = self.run_checked(coral, "mover", ["branch", "-m", old, new], may=self.unknown(branches, old))
            if res is None:
                branches[old] = branches[new] = False  # killed: either name
            elif res[0] is not None:
                del branches[old]
                branches[new] = True
                self.count("renames")
            if self.current == old:
                self.current = new if res is not None and res[0] is not None else None
        else:
            res = self.run_checked(coral, "mover", ["branch", "-d", old],
                                   may=("no other branch", "not fully merged", "checked out", "HEAD is on") + self.unknown(branches, old))
            if res is None:
                branches[old] = False
            elif res[0] is not None:
                del branches[old]
                self.count("deletes")

    @staticmethod
    def unknown(branches, name):
        """A branch whose making was killed may not be there."""
        return () if branches[name] else ("unknown revision '%s'" % name, "branch '%s' not found" % name)

    # -----------------------------------------------------------------------------------------
    def batch(self, lines):
        r = subprocess.run(["java"] + JVM + ["-jar", self.jar, "batch"], cwd=self.root, input="".join(json.dumps(l) + "\n" for l in lines),
                           capture_output=True, text=True, timeout=TIMEOUT * 4)
        replies = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        if len(replies) != len(lines):
            raise Finding("the verification batch gave %d replies for %d commands: %s" % (len(replies), len(lines), r.stderr[-800:]))
        return replies

    def verify(self, when):
        boot = Coral(self.jar, self.root, False)
        code, out, err = boot.run(["fsck"])
        self.count("fsck_runs")
        if code != 0:
            raise Finding("fsck %s failed (%d): %s %s" % (when, code, out.strip()[-1500:], err.strip()[-500:]))
        code, out, err = boot.run(["branch"])
        if code != 0:
            raise Finding("branch %s failed: %s" % (when, err.strip()))
        names = [l[2:].strip() for l in out.splitlines() if l.strip() and not l[2:].startswith("(")]
        code, out, err = boot.run(["log", "--json", "--all"])
        if code != 0:
            raise Finding("log --all %s failed: %s" % (when, err.strip()))
        ids = [c["id"] for c in json.loads(out)]
        reach = lambda cid: any(i.startswith(cid) for i in ids)
        code, out, err = boot.run(["log", "--json", "-n", "1", "HEAD"])
        head = json.loads(out)[0]["id"] if code == 0 else None
        for msg, path, cid, where, sha in self.acked:
            if where != "detached HEAD" and not reach(cid):
                raise Finding("%s: %s (%s, committed on %s) is on no branch or tag" % (when, cid, msg, where))
        wanted = [a for a in self.acked if reach(a[2])]
        lines = []
        for msg, path, cid, where, sha in wanted:
            lines.append(["export", "%s:%s" % (cid, path), "-o", os.path.join(self.out, "v%d%s" % (len(lines), os.path.splitext(path)[1]))])
        revs = names + ([head] if head else [])
        lines += [["show", "--json", r] for r in revs]
        replies = self.batch(lines)
        for (msg, path, cid, where, sha), rep in zip(wanted, replies):
            if rep["code"] != 0:
                raise Finding("%s: export of %s (%s) failed: %s" % (when, cid, msg, rep["err"].strip()))
        for j, (msg, path, cid, where, sha) in enumerate(wanted):
            dest = os.path.join(self.out, "v%d%s" % (j, os.path.splitext(path)[1]))
            got = sha_file(dest)
            os.remove(dest)
            self.check_version("%s: %s (%s)" % (when, cid, msg), path, got)
            if got == sha:
                self.count("commits_as_written")
        for r, rep in zip(revs, replies[len(wanted):]):
            if rep["code"] != 0:
                raise Finding("%s: show --json %s failed: %s" % (when, r, rep["err"].strip()))
            for f in json.loads(rep["out"])["files"]:
                self.check_version("%s: %s" % (when, r), f["path"], f["sha256"])
        self.count("acked_checked", len(wanted))
        self.count("acked_unreachable_detached", len(self.acked) - len(wanted))

    def check_working_files(self):
        """After everything is committed, status is clean and every tracked working file is HEAD's, byte for byte."""
        boot = Coral(self.jar, self.root, False)
        code, out, err = boot.run(["commit", "-a", "-m", "final"])
        if code not in (0, 1) or (code == 1 and "nothing to commit" not in err):
            raise Finding("the final commit -a failed (%d): %s" % (code, err.strip()[:800]))
        code, out, err = boot.run(["status", "--json"])
        if code != 0:
            raise Finding("status after the final commit failed: " + err.strip())
        st = json.loads(out)
        if st["staged"] or st["notStaged"]:
            raise Finding("after the final commit -a, status is not clean: staged %s, not staged %s"
                          % (st["staged"][:3], st["notStaged"][:3]))
        code, out, err = boot.run(["show", "--json", "HEAD"])
        if code != 0:
            raise Finding("show HEAD after the final commit failed: " + err.strip())
        for f in json.loads(out)["files"]:
            full = os.path.join(self.root, f["path"])
            got = sha_file(full) if os.path.exists(full) else None
            if got != f["sha256"]:
                raise Finding("after the final commit -a with a clean status, the working file %s is %s, HEAD's is %s"
                              % (f["path"], (got or "missing")[:12], f["sha256"][:12]))
            self.count("working_files_checked")


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    fuzzkit.round_arguments(ap, 3, "/tmp/hmfuzz")
    ap.add_argument("--daemon", action="store_true",
                    help="the workers and the mover that run a command per process send it through ./coral to a daemon of the"
                         " fuzzer's own instead (commands at once in one JVM, on one kept handle); those are not killed")
    a = ap.parse_args()
    jar = fuzzkit.jar_copy(PROG, a)
    findings = open(os.path.join(a.base, "findings.log"), "a")
    daemon_dir = None
    if a.daemon:
        daemon_dir = os.path.join(a.base, "daemon")
        r = subprocess.run(["bash", LAUNCHER, "daemon", "start"], capture_output=True, text=True,
                           env=dict(os.environ, CORAL_DAEMON_DIR=daemon_dir))
        if r.returncode != 0:
            fuzzkit.die(PROG, "the daemon did not start: " + (r.stderr or r.stdout).strip()[:300])
    stats = {"rounds": 0, "workers": a.workers, "kill_rate": a.kill_rate, "daemon": a.daemon, "findings": []}
    seeds = iter([a.seed]) if a.seed is not None else iter(range(int(time.time()) % 1000000 * 100, 1 << 62))
    end = time.time() + a.minutes * 60
    started = time.time()
    try:
        for seed in seeds:
            if time.time() > end and a.seed is None:
                break
            rnd = Round(seed, jar, a.base, a.workers, a.round_seconds, a.kill_rate, stats, daemon_dir)
            try:
                rnd.run()
                print("seed %d: %d commands, %d commits acknowledged, %d killed"
                      % (seed, len(rnd.history), len(rnd.acked), sum(1 for h in rnd.history if h[3] == KILLED)), flush=True)
            except Finding as f:
                msg = "FINDING seed %d: %s" % (seed, f)
                print(msg, flush=True)
                findings.write(msg + "\n")
                for h in rnd.history[-16:]:
                    line = "  %7.2f s %-6s coral %s -> %s %s" % h
                    print(line, flush=True)
                    findings.write(line + "\n")
                findings.flush()
                with open(os.path.join(a.base, "history-%d.log" % seed), "w") as hf:
                    hf.writelines("%7.2f s %-6s coral %s -> %s %s\n" % h for h in rnd.history)
                stats["findings"].append({"seed": seed, "what": str(f)})
            stats["rounds"] += 1
            if not a.keep:
                shutil.rmtree(rnd.root, ignore_errors=True)
                shutil.rmtree(rnd.out, ignore_errors=True)
    finally:
        if daemon_dir:
            subprocess.run(["bash", LAUNCHER, "daemon", "stop"], capture_output=True, env=dict(os.environ, CORAL_DAEMON_DIR=daemon_dir))
        stats["minutes"] = round((time.time() - started) / 60, 1)
        with open(os.path.join(a.base, "report.json"), "w") as f:
            json.dump(stats, f, indent=2, sort_keys=True)
    s = stats
    print("%d rounds, %d commands (%d killed), %d commits (%d on a detached HEAD), %d merges (%d merge commits, %d fast-forwards),"
          " %d resets back, %d hard resets, %d checkouts detaching, %d branches renamed, %d deleted, %d gc, %d repack, %d fsck,"
          " %d versions checked, %d working files checked: %d findings (%s)"
          % (s["rounds"], s.get("commands", 0), s.get("killed", 0), s.get("commits", 0), s.get("commits_detached", 0),
             s.get("merges", 0), s.get("merge_commits", 0), s.get("merges_fast_forward", 0), s.get("resets_back", 0),
             s.get("resets_hard", 0), s.get("detached", 0), s.get("renames", 0), s.get("deletes", 0), s.get("gc_runs", 0),
             s.get("repack_runs", 0), s.get("fsck_runs", 0), s.get("versions_checked", 0), s.get("working_files_checked", 0),
             len(s["findings"]), os.path.join(a.base, "report.json")))
    sys.exit(1 if s["findings"] else 0)


if __name__ == "__main__":
    main()
