package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.coral.error.CoralException;
import dev.coral.repo.CommitWalk;
import dev.coral.repo.StagingIndex;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random sequences of what a user does (edit, edit in place keeping size and time stamp, touch,
 * delete, add, commit, commit PATH, commitTensors, status, checkout, checkout -b NAME REV,
 * switch -c, tag, branch -d, rm, rm --cached, restore --staged; never forced), each seed printed on failure: after
 * every Coral command that succeeds, every content that was in a working file or staged before
 * it is still somewhere, in a working file, the staging index or a commit that a branch, tag or
 * HEAD reaches. A command that would lose one must refuse instead (and then change nothing that
 * matters here). The user's own edits and deletions may lose content; the commands may not, but
 * for what git does too: {@code add} (and commit PATH, commitTensors) replaces the version
 * staged before, and so does {@code restore --staged} (with HEAD's); {@code rm} or {@code rm --cached} of a path whose file the user deleted stages
 * that deletion, dropping the staged version; moving HEAD off a commit made on a detached HEAD
 * leaves that commit behind (with a warning).
 */
class NoLostWorkPropertyTest {
    private static final List<String> PATHS = List.of("a.safetensors", "d/b.safetensors", "c.safetensors");
    private static final int OPS = 30;

    @TempDir
    Path dir;

    static List<Long> seeds() {
        return TestModels.randomSeeds(12);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void noCommandLosesWork(long seed) throws IOException {
        Random r = new Random(seed);
        List<String> log = new ArrayList<>();
        int branches = 0;
        try (Repository repo = Repository.init(dir)) {
            write(PATHS.get(0), 0);
            repo.commit(CommitRequest.of("root"), List.of(dir.resolve(PATHS.get(0))));
            for (int op = 0; op < OPS; op++) {
                String p = PATHS.get(r.nextInt(PATHS.size()));
                Path f = dir.resolve(p);
                int kind = r.nextInt(18);
                // add stages the file as it is now, replacing the version staged before (as git's add);
                // rm and rm --cached of a path whose file the user deleted stage that deletion: either way
                // the staged version of that path may go, as in git
                // restore --staged puts HEAD's version back in place of the staged one, as git's
                boolean dropsStaged = kind == 3 || kind == 10 || kind == 11 || kind == 17 || (kind == 8 || kind == 9) && !Files.exists(f);
                Set<String> before = precious(repo, dropsStaged ? p : null);
                // a commit made on a detached HEAD that HEAD then leaves is left behind, as in git, with
                // a warning naming it (the command line's): its content counts as kept
                ObjectId detached = repo.currentBranch() == null ? repo.headCommit() : null;
                String what;
                try {
                    switch (kind) {
                        case 0, 1 -> {
                            int content = r.nextInt(6);
                            write(p, content);
                            log.add("edit " + p + " = " + content);
                            continue; // the user's own doing
                        }
                        case 2 -> {
                            Files.deleteIfExists(f);
                            log.add("delete " + p);
                            continue;
                        }
                        case 3 -> {
                            what = "add " + p;
                            repo.add(List.of(f));
                        }
                        case 4 -> {
                            what = "commit";
                            repo.commit(CommitRequest.of("c" + op));
                        }
                        case 5 -> {
                            List<String> revs = new ArrayList<>(repo.branches());
                            revs.add("HEAD~1");
                            revs.add("HEAD");
                            String rev = revs.get(r.nextInt(revs.size()));
                            what = "checkout " + rev;
                            repo.checkout(rev, false);
                        }
                        case 6 -> {
                            String name = "b" + (branches++);
                            what = "switch -c " + name;
                            repo.switchBranch(name, true, false);
                        }
                        case 7 -> {
                            List<String> names = repo.branches();
                            if (names.isEmpty()) {
                                continue; // every branch deleted, HEAD detached (a tag reached them)
                            }
                            String name = names.get(r.nextInt(names.size()));
                            what = "branch -d " + name;
                            repo.deleteBranch(name);
                        }
                        case 8 -> {
                            what = "rm " + p;
                            repo.remove(List.of(f), false);
                        }
                        case 10 -> {
                            int content = r.nextInt(6);
                            what = "commitTensors " + p + " = " + content;
                            repo.commitTensors(p, TestModels.randomTensors(100 + content, 2, 64), java.util.Map.of(), CommitRequest.of("t" + op));
                        }
                        case 11 -> {
                            what = "commit " + p;
                            repo.commit(CommitRequest.of("p" + op), List.of(f));
                        }
                        case 15 -> {
                            String name = "b" + (branches++);
                            String start = r.nextBoolean() ? "HEAD~1" : "main";
                            what = "checkout -b " + name + " " + start;
                            repo.switchToNewBranch(name, start, false);
                        }
                        case 16 -> {
                            String name = "t" + op;
                            what = "tag " + name;
                            repo.createTag(name, "HEAD", null);
                        }
                        case 12 -> {
                            what = "status";
                            repo.status(); // restamps entries it found intact
                        }
                        case 13 -> {
                            // written again within a second of its time stamp, which a file system with
                            // coarse time stamps keeps (a file stamped longer ago gets a new one)
                            if (Files.isRegularFile(f) && System.currentTimeMillis() - Files.getLastModifiedTime(f).toMillis() < 1_000) {
                                TestModels.editKeepingSizeAndTime(f);
                                log.add("edit " + p + " in place within its time stamp's second");
                            }
                            continue;
                        }
                        case 14 -> {
                            if (Files.isRegularFile(f)) {
                                Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
                                log.add("touch " + p);
                            }
                            continue;
                        }
                        case 17 -> {
                            what = "restore --staged " + p;
                            repo.restoreStaged(List.of(f), null);
                        }
                        default -> {
                            what = "rm --cached " + p;
                            repo.remove(List.of(f), true);
                        }
                    }
                    log.add(what);
                } catch (CoralException e) {
                    log.add("refused: " + e.getMessage());
                    continue;
                }
                Set<String> after = precious(repo, null);
                after.addAll(reachable(repo, detached));
                Set<String> lost = new HashSet<>(before);
                lost.removeAll(after);
                if (!lost.isEmpty()) {
                    fail("seed " + seed + ": '" + what + "' lost " + lost.size() + " content(s); steps:\n  " + String.join("\n  ", log));
                }
            }
        }
        assertTrue(log.stream().anyMatch(l -> !l.startsWith("refused") && !l.startsWith("edit") && !l.startsWith("delete")
                && !l.startsWith("touch")), "seed " + seed + ": no command ran: " + log);
    }


    private void write(String p, int content) throws IOException {
        TestModels.writeSafetensors(dir.resolve(p), TestModels.randomTensors(100 + content, 2, 64));
    }

    /** What a command must not lose: the working files' contents and the staged versions' (but {@code except}'s). */
    private Set<String> precious(Repository repo, String except) throws IOException {
        Set<String> out = new HashSet<>();
        for (String p : PATHS) {
            Path f = dir.resolve(p);
            if (Files.isRegularFile(f)) {
                out.add(TestModels.sha256(f));
            }
        }
        repo.readIndex().entries().forEach((p, e) -> {
            if (!p.equals(except)) {
                try {
                    out.add(HexFormat.of().formatHex(repo.graph().file(e.fileEntry()).fileSha256()));
                } catch (IOException x) {
                    throw new java.io.UncheckedIOException(x);
                }
            }
        });
        return out;
    }

    /** Every file content in a commit that a branch, a tag, HEAD or {@code also} (may be null) reaches. */
    private static Set<String> reachable(Repository repo, ObjectId also) throws IOException {
        Set<String> out = new HashSet<>();
        List<ObjectId> starts = new ArrayList<>();
        if (also != null) {
            starts.add(also);
        }
        for (String t : repo.tags()) {
            starts.add(repo.resolve("refs/tags/" + t));
        }
        for (String b : repo.branches()) {
            starts.add(repo.branchTip(b));
        }
        if (repo.headCommit() != null) {
            starts.add(repo.headCommit());
        }
        Set<ObjectId> seen = new HashSet<>();
        for (ObjectId s : starts) {
            for (CommitWalk.Entry c : new CommitWalk(repo.graph()).walk(s, -1)) {
                if (seen.add(c.id())) {
                    for (ObjectId fe : repo.graph().tree(c.commit().tree()).files().values()) {
                        out.add(HexFormat.of().formatHex(repo.graph().file(fe).fileSha256()));
                    }
                }
            }
        }
        return out;
    }
}
