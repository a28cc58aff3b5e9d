package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.coral.error.CoralException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coral against a model of git's three states (working files, staging index, HEAD's tree), each
 * a map from path to content: random sessions (seed printed on failure) of edits (some in place
 * within their time stamp's second), deletions, add, commit, commit PATH, restore --staged,
 * restore, restore -s HEAD~1 -S -W, checkout HEAD~1 -- PATH, rm, rm --cached, reset --soft/--mixed/--hard
 * HEAD~1 (sessions of their own), commitTensors (a
 * version staged from memory: no working file recorded), and plain checkouts of HEAD~1 and of
 * main (staged changes carried where the target has HEAD's version, refused where work would be
 * lost), each checked against what git would do: which of them fail ("nothing to commit", an
 * unknown path), and after every step the three states and what status reports (staged, not
 * staged, untracked) must be the model's.
 */
class GitModelPropertyTest {
    private static final List<String> PATHS = List.of("a.safetensors", "d/b.safetensors", "c.safetensors");
    private static final int OPS = 40;

    @TempDir
    Path dir;

    /** Seeds from a random start, and seeds that once failed (967489263687028090: commit PATH of a removal restore staged). */
    static List<Long> seeds() {
        List<Long> s = new java.util.ArrayList<>(TestModels.randomSeeds(12));
        s.add(967489263687028090L);
        s.add(8299403284810219631L); // a deletion not staged, where index and target agree: kept, as git keeps it
        s.add(8299403284810219638L); // a removal staged by rm, the target another version: refused, as git refuses
        return s;
    }

    /** The model: path to content (a file's SHA-256) in each of git's three states. */
    private final TreeMap<String, String> work = new TreeMap<>();
    private final TreeMap<String, String> index = new TreeMap<>();
    private final TreeMap<String, String> head = new TreeMap<>();
    /** The model's commits: each one's tree and its parent's number (-1: none). */
    private record Node(TreeMap<String, String> tree, int parent) {
    }

    private final List<Node> commits = new ArrayList<>();
    /** Paths staged from memory (commitTensors): their entries record no working file. */
    private final TreeSet<String> fromMemory = new TreeSet<>();
    /** The content commitTensors gave each set of tensors it committed, by the set's number. */
    private final Map<Integer, String> memoryContent = new java.util.HashMap<>();
    /** The commit HEAD is at, and main's (-1: none yet); HEAD is on main unless detached. */
    private int headAt = -1;
    private int mainAt = -1;
    private boolean detached;

    /** The tree of HEAD~1, or null when HEAD has no parent. */
    private TreeMap<String, String> parent() {
        return headAt < 0 || commits.get(headAt).parent() < 0 ? null : commits.get(commits.get(headAt).parent()).tree();
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void coralDoesWhatGitWould(long seed) throws IOException {
        session(seed, false);
    }

    /**
     * Sessions that also reset to HEAD~1, --soft, --mixed and --hard, and restore a working file
     * from HEAD~1 without staging it (their own seeds: the draws differ).
     */
    @ParameterizedTest
    @MethodSource("resetSeeds")
    void coralResetsAsGitWould(long seed) throws IOException {
        session(seed, true);
    }

    static List<Long> resetSeeds() {
        return TestModels.randomSeeds(10);
    }

    private void session(long seed, boolean resets) throws IOException {
        Random r = new Random(seed);
        List<String> log = new ArrayList<>();
        try (Repository repo = Repository.init(dir)) {
            Path first = dir.resolve(PATHS.get(0));
            write(first, 0);
            repo.commit(CommitRequest.of("root"), List.of(first));
            work.put(PATHS.get(0), TestModels.sha256(first));
            stage(PATHS.get(0));
            commitTree(index);
            log.add("edit and commit " + PATHS.get(0));
            for (int op = 0; op < OPS; op++) {
                String p = PATHS.get(r.nextInt(PATHS.size()));
                Path f = dir.resolve(p);
                int kind = r.nextInt(resets ? 20 : 16);
                int tensorSet = r.nextInt(4); // commitTensors' tensors
                String what;
                boolean expectFailure;
                Runnable model;
                switch (kind) {
                    case 0, 1 -> {
                        write(f, r.nextInt(5));
                        work.put(p, TestModels.sha256(f));
                        log.add("edit " + p);
                        check(repo, seed, log);
                        continue;
                    }
                    case 2 -> {
                        if (Files.isRegularFile(f) && System.currentTimeMillis() - Files.getLastModifiedTime(f).toMillis() < 1_000) {
                            TestModels.editKeepingSizeAndTime(f);
                            work.put(p, TestModels.sha256(f));
                            log.add("edit " + p + " in place within its time stamp's second");
                            check(repo, seed, log);
                        }
                        continue;
                    }
                    case 3 -> {
                        if (Files.deleteIfExists(f)) {
                            work.remove(p);
                            log.add("delete " + p);
                            check(repo, seed, log);
                        }
                        continue;
                    }
                    case 4 -> { // add: the file as it is, or its removal when it is gone and tracked
                        what = "add " + p;
                        expectFailure = !work.containsKey(p) && !index.containsKey(p);
                        model = () -> stage(p);
                    }
                    case 5 -> {
                        what = "commit";
                        expectFailure = index.equals(head);
                        model = () -> commitTree(index);
                    }
                    case 6 -> { // git commit PATH: HEAD's tree with that path as in the working folder
                        what = "commit " + p;
                        TreeMap<String, String> next = new TreeMap<>(head);
                        if (work.containsKey(p)) {
                            next.put(p, work.get(p));
                        } else {
                            next.remove(p);
                        }
                        // git commits a removal rm staged too: a path HEAD has is known to it
                        expectFailure = !work.containsKey(p) && !index.containsKey(p) && !head.containsKey(p) || next.equals(head);
                        model = () -> {
                            stage(p);
                            commitTree(next);
                        };
                    }
                    case 7 -> { // restore --staged: HEAD's version staged again, or the path unstaged
                        what = "restore --staged " + p;
                        expectFailure = !index.containsKey(p) && !head.containsKey(p);
                        model = () -> {
                            if (!head.containsKey(p)) {
                                index.remove(p);
                                fromMemory.remove(p);
                            } else if (!head.get(p).equals(index.get(p))) {
                                index.put(p, head.get(p));
                                fromMemory.remove(p); // HEAD's version, compared with the working file by content
                            }
                        };
                    }
                    case 9 -> { // restore --source HEAD~1 --staged --worktree (no overlay: a path HEAD~1 lacks goes)
                        what = "restore -s HEAD~1 -S -W " + p;
                        TreeMap<String, String> src = parent();
                        expectFailure = src == null || !src.containsKey(p) && !index.containsKey(p);
                        model = () -> {
                            if (src.containsKey(p)) {
                                index.put(p, src.get(p));
                                work.put(p, src.get(p));
                            } else {
                                index.remove(p);
                                work.remove(p);
                            }
                            fromMemory.remove(p);
                        };
                    }
                    case 10 -> { // checkout HEAD~1 -- PATH: staged and written as there; HEAD stays
                        what = "checkout HEAD~1 -- " + p;
                        TreeMap<String, String> src = parent();
                        expectFailure = src == null || !src.containsKey(p);
                        model = () -> {
                            index.put(p, src.get(p));
                            work.put(p, src.get(p));
                            fromMemory.remove(p);
                        };
                    }
                    case 11 -> { // checkout HEAD~1: detached there
                        what = "checkout HEAD~1";
                        TreeMap<String, String> src = parent();
                        expectFailure = src == null || checkoutRefuses(src);
                        model = () -> {
                            checkOut(src);
                            headAt = commits.get(headAt).parent();
                            detached = true;
                        };
                    }
                    case 12 -> { // checkout main: back onto the branch
                        what = "checkout main";
                        TreeMap<String, String> src = mainAt < 0 ? null : commits.get(mainAt).tree();
                        expectFailure = src == null || checkoutRefuses(src);
                        model = () -> {
                            checkOut(src);
                            headAt = mainAt;
                            detached = false;
                        };
                    }
                    case 13, 14 -> { // rm [--cached], refusing as git's what would lose work
                        boolean cached = kind == 14;
                        what = cached ? "rm --cached " + p : "rm " + p;
                        boolean modified = holdsOtherWork(p);
                        boolean uncommitted = index.containsKey(p) && !index.get(p).equals(head.get(p));
                        expectFailure = !index.containsKey(p)
                                || (cached ? uncommitted && modified : work.containsKey(p) && (modified || uncommitted));
                        model = () -> {
                            index.remove(p);
                            fromMemory.remove(p);
                            if (!cached) {
                                work.remove(p);
                            }
                        };
                    }
                    case 15 -> { // commitTensors: the path as the tensors make it, committed alone; no file written
                        what = "commitTensors " + p + " = " + tensorSet;
                        expectFailure = memoryContent.containsKey(tensorSet) && memoryContent.get(tensorSet).equals(head.get(p));
                        model = () -> {
                            String c = stagedContent(repo, p);
                            memoryContent.put(tensorSet, c);
                            index.put(p, c);
                            fromMemory.add(p);
                            TreeMap<String, String> next = new TreeMap<>(head);
                            next.put(p, c);
                            commitTree(next);
                        };
                    }
                    case 16, 17, 18 -> { // reset --soft / --mixed / --hard HEAD~1: the branch (or a detached HEAD) moves there
                        Repository.ResetMode mode = Repository.ResetMode.values()[kind - 16];
                        what = "reset --" + mode.name().toLowerCase(java.util.Locale.ROOT) + " HEAD~1";
                        TreeMap<String, String> src = parent();
                        expectFailure = src == null;
                        model = () -> {
                            if (mode == Repository.ResetMode.MIXED) {
                                for (String q : PATHS) { // an entry staging the target's version stays as it is
                                    if (!src.containsKey(q) || !src.get(q).equals(index.get(q))) {
                                        fromMemory.remove(q);
                                    }
                                }
                                index.clear();
                                index.putAll(src);
                            } else if (mode == Repository.ResetMode.HARD) {
                                for (String q : index.keySet()) {
                                    if (!src.containsKey(q)) {
                                        work.remove(q); // tracked, and the target lacks it
                                    }
                                }
                                work.putAll(src);
                                index.clear();
                                index.putAll(src);
                                fromMemory.clear();
                            }
                            headAt = commits.get(headAt).parent();
                            if (!detached) {
                                mainAt = headAt;
                            }
                            head.clear();
                            head.putAll(src);
                        };
                    }
                    case 19 -> { // restore --source HEAD~1 PATH: the working file only (no overlay: a tracked path HEAD~1 lacks goes)
                        what = "restore -s HEAD~1 " + p;
                        TreeMap<String, String> src = parent();
                        expectFailure = src == null || !src.containsKey(p) && !index.containsKey(p);
                        model = () -> {
                            if (src.containsKey(p)) {
                                work.put(p, src.get(p));
                                if (src.get(p).equals(index.get(p))) {
                                    fromMemory.remove(p); // the version staged, just written: its entry records the file now
                                }
                            } else {
                                work.remove(p);
                            }
                        };
                    }
                    default -> { // restore: the working file as staged
                        what = "restore " + p;
                        expectFailure = !index.containsKey(p);
                        model = () -> {
                            work.put(p, index.get(p));
                            fromMemory.remove(p);
                        };
                    }
                }
                boolean failed = false;
                String message = "";
                try {
                    switch (kind) {
                        case 4 -> repo.add(List.of(f));
                        case 5 -> repo.commit(CommitRequest.of("c" + op));
                        case 6 -> repo.commit(CommitRequest.of("p" + op), List.of(f));
                        case 7 -> repo.restoreStaged(List.of(f), null);
                        case 9 -> repo.restoreWorkTree(List.of(f), "HEAD~1", true);
                        case 10 -> repo.checkoutPaths("HEAD~1", List.of(f));
                        case 11 -> repo.checkout("HEAD~1", false);
                        case 12 -> repo.checkout("main", false);
                        case 13, 14 -> repo.remove(List.of(f), kind == 14);
                        case 15 -> repo.commitTensors(p, TestModels.randomTensors(300 + tensorSet, 2, 64), Map.of(), CommitRequest.of("t" + op));
                        case 16, 17, 18 -> repo.reset("HEAD~1", Repository.ResetMode.values()[kind - 16], ProgressListener.NONE);
                        case 19 -> repo.restoreWorkTree(List.of(f), "HEAD~1", false);
                        default -> repo.restoreWorkTree(List.of(f), null, false);
                    }
                } catch (CoralException e) {
                    failed = true;
                    message = ": " + e.getMessage();
                }
                log.add(what + (failed ? " (failed" + message + ")" : ""));
                if (failed != expectFailure) {
                    fail("seed " + seed + ": '" + what + "' " + (failed ? "failed" : "succeeded") + ", git's would "
                            + (expectFailure ? "fail" : "succeed") + "; steps:\n  " + String.join("\n  ", log));
                }
                if (!failed) {
                    model.run();
                }
                check(repo, seed, log);
            }
        }
        assertTrue(log.stream().anyMatch(l -> !l.startsWith("edit") && !l.startsWith("delete") && !l.contains("(failed")),
                "seed " + seed + ": no command succeeded: " + log);
    }

    /** A new commit of {@code tree} on HEAD (and on main unless HEAD is detached). */
    private void commitTree(Map<String, String> tree) {
        commits.add(new Node(new TreeMap<>(tree), headAt));
        headAt = commits.size() - 1;
        if (!detached) {
            mainAt = headAt;
        }
        head.clear();
        head.putAll(tree);
    }

    /**
     * Whether a plain checkout of {@code target} refuses, by Coral's rules (git's but where noted):
     * a staged version the target would replace with neither it nor HEAD's, a local change to a
     * file it writes or deletes (a deleted file is not one: it is written back), an untracked
     * file where it writes one.
     */
    private boolean checkoutRefuses(Map<String, String> target) {
        for (String p : index.keySet()) {
            String t = target.get(p);
            String i = index.get(p);
            if (carried(p, target)) {
                continue;
            }
            if (fromMemory.contains(p) && holdsOtherWork(p)) {
                return true; // the checkout writes or deletes whatever is at the path
            }
            if (i.equals(t)) {
                continue;
            }
            if (!i.equals(head.get(p)) || !fromMemory.contains(p) && holdsOtherWork(p)) {
                return true;
            }
        }
        for (String p : target.keySet()) {
            // an untracked file in the way, or a removal staged where the target has another version (git refuses both)
            if (!index.containsKey(p) && !carried(p, target) && (work.containsKey(p) || head.containsKey(p))) {
                return true;
            }
        }
        return false;
    }

    /** A staged change (a version, or a removal) that stays staged: the target has HEAD's version. */
    private boolean carried(String p, Map<String, String> target) {
        return !java.util.Objects.equals(index.get(p), head.get(p)) && java.util.Objects.equals(target.get(p), head.get(p));
    }

    /** A plain checkout that went through: carried changes stay, files the index and target agree on stay, the rest as in the target. */
    private void checkOut(Map<String, String> target) {
        TreeMap<String, String> nextIndex = new TreeMap<>();
        TreeSet<String> paths = new TreeSet<>(index.keySet());
        paths.addAll(target.keySet());
        paths.addAll(head.keySet());
        for (String p : paths) {
            if (carried(p, target)) {
                if (index.containsKey(p)) {
                    nextIndex.put(p, index.get(p));
                }
            } else if (target.containsKey(p)) {
                nextIndex.put(p, target.get(p));
                if (!(target.get(p).equals(index.get(p)) && !fromMemory.contains(p))) {
                    work.put(p, target.get(p)); // else kept as it is, local changes (a deletion too) and all
                }
                fromMemory.remove(p);
            } else if (index.containsKey(p)) {
                work.remove(p);
                fromMemory.remove(p);
            }
        }
        index.clear();
        index.putAll(nextIndex);
        head.clear();
        head.putAll(target);
    }

    /**
     * Whether the working file at p holds work a command must not lose: other than the staged
     * version; for a version staged from memory, also other than any version of p in a commit
     * HEAD or main reaches (as a checkout made it).
     */
    private boolean holdsOtherWork(String p) {
        if (!work.containsKey(p) || !index.containsKey(p) || work.get(p).equals(index.get(p))) {
            return false;
        }
        if (!fromMemory.contains(p)) {
            return true;
        }
        for (int start : new int[] {headAt, mainAt}) {
            for (int c = start; c >= 0; c = commits.get(c).parent()) {
                if (work.get(p).equals(commits.get(c).tree().get(p))) {
                    return false;
                }
            }
        }
        return true;
    }

    private static String stagedContent(Repository repo, String p) {
        try {
            return contentOf(repo, repo.readIndex().entries().get(p).fileEntry());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** git's add of p: the working file's content staged, or its removal when it is gone. */
    private void stage(String p) {
        fromMemory.remove(p);
        if (work.containsKey(p)) {
            index.put(p, work.get(p));
        } else {
            index.remove(p);
        }
    }

    private void check(Repository repo, long seed, List<String> log) throws IOException {
        String steps = "seed " + seed + "; steps:\n  " + String.join("\n  ", log);
        TreeMap<String, String> onDisk = new TreeMap<>();
        for (String p : PATHS) {
            Path f = dir.resolve(p);
            if (Files.isRegularFile(f)) {
                onDisk.put(p, TestModels.sha256(f));
            }
        }
        assertEquals(work, onDisk, "working files; " + steps);
        TreeMap<String, String> staged = new TreeMap<>();
        for (Map.Entry<String, dev.coral.repo.StagingIndex.Entry> e : repo.readIndex().entries().entrySet()) {
            staged.put(e.getKey(), contentOf(repo, e.getValue().fileEntry()));
        }
        assertEquals(index, staged, "staging index; " + steps);
        TreeMap<String, String> committed = new TreeMap<>();
        if (repo.headCommit() != null) {
            for (Map.Entry<String, dev.coral.store.ObjectId> e : repo.readTree(repo.headCommit()).files().entrySet()) {
                committed.put(e.getKey(), contentOf(repo, e.getValue()));
            }
        }
        assertEquals(head, committed, "HEAD's tree; " + steps);
        Status s = repo.status();
        assertEquals(changes(index, head), sorted(s.staged()), "status: staged; " + steps);
        assertEquals(changes(work, index).stream().filter(c -> index.containsKey(c.path()) && !fromMemory.contains(c.path())).toList(),
                sorted(s.notStaged()),
                "status: not staged; " + steps);
        TreeSet<String> untracked = new TreeSet<>(work.keySet());
        untracked.removeAll(index.keySet());
        assertEquals(untracked, new TreeSet<>(s.untracked()), "status: untracked; " + steps);
    }

    private static List<Status.Change> sorted(List<Status.Change> changes) {
        return changes.stream().sorted(java.util.Comparator.comparing(Status.Change::path)).toList();
    }

    /** The changes going from {@code from} to {@code to}, by path (what status lists). */
    private static List<Status.Change> changes(Map<String, String> to, Map<String, String> from) {
        List<Status.Change> out = new ArrayList<>();
        TreeSet<String> paths = new TreeSet<>(to.keySet());
        paths.addAll(from.keySet());
        for (String p : paths) {
            String a = from.get(p);
            String b = to.get(p);
            if (a == null && b != null) {
                out.add(new Status.Change(Status.Kind.ADDED, p));
            } else if (a != null && b == null) {
                out.add(new Status.Change(Status.Kind.DELETED, p));
            } else if (a != null && !a.equals(b)) {
                out.add(new Status.Change(Status.Kind.MODIFIED, p));
            }
        }
        return out;
    }

    private static String contentOf(Repository repo, dev.coral.store.ObjectId fileEntry) throws IOException {
        return HexFormat.of().formatHex(repo.graph().file(fileEntry).fileSha256());
    }

    private static void write(Path f, int content) throws IOException {
        Files.createDirectories(f.getParent());
        TestModels.writeSafetensors(f, TestModels.randomTensors(200 + content, 2, 64));
    }
}
