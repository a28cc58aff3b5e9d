#!/usr/bin/env python3
"""`coral log [REVS] -- PATH` and range diffs against git over random histories with merges.

Each seed makes the same history in a git repository and in a Coral one (one `coral batch`
process): four .npy files in nested folders, branches made and switched to at random, commits of
one or two changed files, and merges of another branch with `-X ours` / `--strategy ours` or
`theirs` (so a file changed on both sides is settled alike; git's merge commits are counted). At
the end, for every file and every folder above one, the commits `log HEAD -- PATH` lists are
compared as sorted lists of messages (commits of the same second may come in another order): which
commits are listed is where git's history simplification of merges shows; every branch's files must
be git's (merges settled alike: a criss-cross merge against git's virtual base). Then, for six random
branch pairs, `log` of `A..B`, `A...B`, `^A B C`, `B C`, `..B`, `A...`, `--first-parent B`,
`--first-parent A..B` and `--all ^A` (without a path, with a file, with a folder) and `diff --name-status` of `A..B` and `A...B`, compared the same way.

    perf/tools/log-paths-differential.py cli/target/coral.jar 40 40     # JAR SEEDS STEPS

Needs git, java and python3 with numpy. Exit code 0 when git and Coral agreed everywhere.
"""
import hashlib, json, os, random, shutil, subprocess, sys, io
import numpy as np
jar, seeds, steps = os.path.abspath(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
GIT = ["git", "-c", "user.name=x", "-c", "user.email=x@y", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false",
       "-c", "merge.renames=false"]
FILES = ["a.npy", "d/b.npy", "d/c.npy", "e/f/g.npy"]
compared = diffs = merges = merge_commits = ranges = compared_files = 0
for seed in range(seeds):
    rng = random.Random(seed)
    base = "/tmp/lpdag"
    shutil.rmtree(base, ignore_errors=True)
    gd, cd = base + "/g", base + "/c"
    os.makedirs(gd); os.makedirs(cd)
    subprocess.run(GIT + ["init", "-q"], cwd=gd, check=True)
    cb = subprocess.Popen(["java", "-jar", jar, "batch"], cwd=cd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    def coral(*args):
        cb.stdin.write(json.dumps(list(args)) + "\n"); cb.stdin.flush()
        r = json.loads(cb.stdout.readline()); return r["code"], r["out"], r["err"]
    def git(*args):
        r = subprocess.run(GIT + list(args), cwd=gd, capture_output=True, text=True); return r.returncode, r.stdout, r.stderr
    coral("init", "-q")
    t = [1700000000]
    env = dict(os.environ)
    def write(path, k):
        buf = io.BytesIO(); np.save(buf, np.full(8, k, dtype=np.float32)); b = buf.getvalue()
        for d in (gd, cd):
            os.makedirs(os.path.dirname(os.path.join(d, path)) or d, exist_ok=True)
            open(os.path.join(d, path), "wb").write(b)
    n = 0
    def commit(msg, paths):
        t[0] += 1
        os.environ["GIT_AUTHOR_DATE"] = os.environ["GIT_COMMITTER_DATE"] = "%d +0000" % t[0]
        git("add", *paths); c1 = git("commit", "-q", "-m", msg)[0]
        coral("add", "-q", *paths); c2 = coral("commit", "-q", "-m", msg)[0]
        assert c1 == c2 == 0, (msg, c1, c2)
    for p in FILES:
        write(p, 0)
    commit("c0", FILES)
    branches = ["main"]
    cur = "main"
    for i in range(1, steps):
        r = rng.random()
        if r < 0.15:
            b = "b%d" % i
            git("checkout", "-q", "-b", b); coral("switch", "-q", "-c", b)
            branches.append(b); cur = b
        elif r < 0.35:
            b = rng.choice(branches)
            git("checkout", "-q", b); coral("switch", "-q", b); cur = b
        elif r < 0.55 and len(branches) > 1:
            other = rng.choice([x for x in branches if x != cur])
            side = rng.choice(["ours", "theirs"])
            t[0] += 1
            os.environ["GIT_AUTHOR_DATE"] = os.environ["GIT_COMMITTER_DATE"] = "%d +0000" % t[0]
            c1, o1, e1 = git("merge", "-q", "--no-edit", "-X", side, "-m", "m%d" % i, other)
            c2, o2, e2 = coral("merge", "-q", other, "--strategy", side, "-m", "m%d" % i)
            if c1 != 0 or c2 != 0:
                print("seed %d step %d: merge exit git %d coral %d: %s | %s" % (seed, i, c1, c2, e1.strip()[:200], e2.strip()[:200]))
                git("merge", "--abort")
                break
            merges += 1
        else:
            ch = rng.sample(FILES, rng.randint(1, 2))
            for p in ch:
                write(p, i)
            commit("c%d" % i, ch)
    for b in branches:  # every branch holds the same files: merges settled alike (a criss-cross's virtual base too)
        code, o, e = coral("show", "--json", b)
        mine = {f["path"]: f["sha256"] for f in json.loads(o)["files"]}
        for p in FILES:
            blob = subprocess.run(GIT + ["show", "%s:%s" % (b, p)], cwd=gd, capture_output=True).stdout
            compared_files += 1
            if hashlib.sha256(blob).hexdigest() != mine.get(p):
                diffs += 1
                print("seed %d: %s:%s differs from git's" % (seed, b, p))
    paths = set()
    for p in FILES:
        while p:
            paths.add(p); p = os.path.dirname(p)
    for p in sorted(paths):
        a = sorted(git("log", "--format=%s", "HEAD", "--", p)[1].splitlines())
        c, o, e = coral("log", "--json", "HEAD", "--", p)
        b = sorted(x["message"] for x in json.loads(o))
        compared += 1
        if a != b:
            diffs += 1
            print("seed %d: log -- %s: git %s coral %s" % (seed, p, a, b))
    for k in range(6 if len(branches) > 1 else 0):  # revision ranges, through the command line
        a, b, c = rng.choice(branches), rng.choice(branches), rng.choice(branches)
        for revs in ([a + ".." + b], [a + "..." + b], ["^" + a, b, c], [b, c], [".." + b], [a + "..."],
                     ["--first-parent", b], ["--first-parent", a + ".." + b], ["--all", "^" + a]):
            for tail in ([], ["--", rng.choice(FILES)], ["--", "d"]):
                x = sorted(git("log", "--format=%s", *revs, *tail)[1].splitlines())
                code, o, e = coral("log", "--json", *revs, *tail)
                y = sorted(m["message"] for m in json.loads(o)) if code == 0 else ["exit %d: %s" % (code, e.strip())]
                ranges += 1
                if x != y:
                    diffs += 1
                    print("seed %d: log %s: git %s coral %s" % (seed, " ".join(revs + tail), x, y))
        for r in (a + ".." + b, a + "..." + b):
            x = git("diff", "--name-status", r)[1]
            code, o, e = coral("diff", "--name-status", r)
            ranges += 1
            if x != o:
                diffs += 1
                print("seed %d: diff --name-status %s: git %r coral %r %s" % (seed, r, x, o, e.strip()))
    merge_commits += int(git("rev-list", "--merges", "--count", "--all")[1].strip() or 0)
    cb.stdin.close(); cb.wait()
print("seeds %d, merges %d (%d merge commits in git), branch files compared %d, path logs %d, range logs and diffs %d, differences %d"
      % (seeds, merges, merge_commits, compared_files, compared, ranges, diffs))
sys.exit(1 if diffs else 0)
