package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.io.FaultPoints;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A checkout (switch, checkout REV) beside a process writing the working files: a file written
 * after the checkout's check for local changes, which that check would have refused to lose, is
 * left as the process wrote it, the target's version staged under it (a local change, as if
 * written after the checkout), and named in the result. Until 2026-12-07 the checkout wrote its
 * version over it: a training loop's new checkpoint was lost (found by a stress run switching
 * branches beside a loop committing its checkpoint: the loop's next commit said "nothing to
 * commit", its file the version the switch had written). Each test runs with the checkout's
 * files left unsynced (the default: renamed aside, then linked in) and fsynced (renamed over).
 */
class CheckoutBesideWritersTest {
    @TempDir
    Path dir;

    @AfterEach
    void noFaults() {
        FaultPoints.install(null);
    }

    /** A file of two tensors of 3,000 F32 elements. */
    private Path write(Path folder, String name, long seed) throws IOException {
        return TestModels.renameInto(folder.resolve(name), TestModels.randomTensors(seed, 2, 3_000));
    }

    private Path write(String name, long seed) throws IOException {
        return write(dir, name, seed);
    }

    private static String sha(Path f) throws IOException {
        return TestModels.sha256(f);
    }

    @TempDir
    Path elsewhere;

    /** A file of one tensor of 3,000 F32 elements (every version the same shape, so versions can be averaged). */
    private Path shaped(Path folder, String name, long seed) throws IOException {
        byte[] b = new byte[3_000 * 4];
        new java.util.Random(seed).nextBytes(b);
        return TestModels.renameInto(folder.resolve(name), List.of(Tensors.of("w",
                dev.coral.tensor.TensorSpec.of(dev.coral.tensor.DType.F32, 3_000), b)));
    }

    private Path shaped(String name, long seed) throws IOException {
        return shaped(dir, name, seed);
    }

    /** Makes a file {@code name} in {@code folder} for {@code seed}: {@link #write} or {@link #shaped}. */
    @FunctionalInterface
    private interface Maker {
        Path make(Path folder, String name, long seed) throws IOException;
    }

    /** The SHA-256 of the file {@code maker} makes for {@code seed}, made outside the working folder. */
    private String shaOf(Maker maker, long seed) throws IOException {
        return sha(maker.make(elsewhere, "v" + seed + ".safetensors", seed));
    }

    private static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }

    /** Runs {@code meanwhile} once, in this thread, at {@code point}. */
    private static void at(String point, FaultPoints.Injector meanwhile) {
        boolean[] done = {false};
        FaultPoints.install(p -> {
            if (p.equals(point) && !done[0]) {
                done[0] = true;
                meanwhile.at(p);
            }
        });
    }

    /** A repository whose {@code side} branch has another version of m, and n, which main lacks; on main. */
    private Repository twoBranches(boolean fsync) throws IOException {
        Repository repo = Repository.init(dir);
        repo.setConfig("checkout.fsync", Boolean.toString(fsync));
        repo.commit(CommitRequest.of("m1"), List.of(write("m.safetensors", 1)));
        repo.switchBranch("side", true, false);
        repo.commit(CommitRequest.of("side"), List.of(write("m.safetensors", 2), write("n.safetensors", 20)));
        repo.switchBranch("main", false, false);
        return repo;
    }

    private void noTemporaryFilesLeft() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> left = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp")).toList();
            assertEquals(List.of(), left);
        }
    }

    @ParameterizedTest(name = "fsync {0}")
    @ValueSource(booleans = {false, true})
    void aFileRenamedInAfterTheCheckIsLeftAsWritten(boolean fsync) throws IOException {
        try (Repository repo = twoBranches(fsync)) {
            at("checkout.checked", p -> write("m.safetensors", 3)); // the loop's next checkpoint
            Repository.CheckoutResult r = repo.switchBranch("side", false, false);
            assertEquals(sha(write("v3.safetensors", 3)), sha(dir.resolve("m.safetensors")), "the loop's file kept");
            assertEquals(List.of("m.safetensors"), r.leftAsFound());
            assertEquals(List.of("n.safetensors"), r.written());
            assertEquals("side", repo.currentBranch());
            Files.delete(dir.resolve("v3.safetensors"));
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), repo.status().notStaged(),
                    "a local change on the branch switched to");
            assertTrue(repo.status().staged().isEmpty(), "the branch's version staged under it: " + repo.status().staged());
            noTemporaryFilesLeft();
        }
    }

    @ParameterizedTest(name = "fsync {0}")
    @ValueSource(booleans = {false, true})
    void aFileWrittenOverInPlaceAfterTheCheckIsLeftAsWritten(boolean fsync) throws IOException {
        try (Repository repo = twoBranches(fsync)) {
            Path m = dir.resolve("m.safetensors");
            Path v3 = write("v3.safetensors", 3);
            at("checkout.checked", p -> Files.write(m, Files.readAllBytes(v3))); // the same inode, new bytes
            Repository.CheckoutResult r = repo.switchBranch("side", false, false);
            assertEquals(sha(v3), sha(m));
            assertEquals(List.of("m.safetensors"), r.leftAsFound());
        }
    }

    @ParameterizedTest(name = "fsync {0}")
    @ValueSource(booleans = {false, true})
    void aFileTheTargetLacksWrittenAgainAfterTheCheckIsLeftUntracked(boolean fsync) throws IOException {
        try (Repository repo = twoBranches(fsync)) {
            repo.switchBranch("side", false, false);
            at("checkout.checked", p -> write("n.safetensors", 21));
            Repository.CheckoutResult r = repo.switchBranch("main", false, false);
            assertEquals(List.of("n.safetensors"), r.leftAsFound());
            assertEquals(List.of(), r.deleted());
            assertEquals(sha(write("v21.safetensors", 21)), sha(dir.resolve("n.safetensors")));
            assertTrue(repo.status().untracked().contains("n.safetensors"), "untracked on main: " + repo.status().untracked());
        }
    }

    @ParameterizedTest(name = "fsync {0}")
    @ValueSource(booleans = {false, true})
    void aFileWrittenWhereTheTargetAddsOneIsLeftAsWritten(boolean fsync) throws IOException {
        try (Repository repo = twoBranches(fsync)) {
            at("checkout.checked", p -> write("n.safetensors", 22)); // no file there at the check
            Repository.CheckoutResult r = repo.switchBranch("side", false, false);
            assertEquals(List.of("n.safetensors"), r.leftAsFound());
            assertEquals(sha(write("v22.safetensors", 22)), sha(dir.resolve("n.safetensors")));
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "n.safetensors")), repo.status().notStaged());
        }
    }

    /**
     * Renamed in while the checkout, writing without fsync, had set the old file aside to rename
     * its own onto a free name: the name is taken, and the loop's file stays.
     */
    @Test
    void aFileRenamedInWhileTheOldOneIsAsideIsLeftAsWritten() throws IOException {
        try (Repository repo = twoBranches(false)) {
            at("replace.setAside", p -> write("m.safetensors", 4));
            Repository.CheckoutResult r = repo.switchBranch("side", false, false);
            assertTrue(r.leftAsFound().contains("m.safetensors"), r.toString());
            assertEquals(sha(write("v4.safetensors", 4)), sha(dir.resolve("m.safetensors")));
            noTemporaryFilesLeft();
        }
    }

    @ParameterizedTest(name = "fsync {0}")
    @ValueSource(booleans = {false, true})
    void aForcedCheckoutStillWritesOverWhateverIsThere(boolean fsync) throws IOException {
        try (Repository repo = twoBranches(fsync)) {
            at("checkout.checked", p -> write("m.safetensors", 3));
            Repository.CheckoutResult r = repo.checkout("side", true);
            assertEquals(List.of(), r.leftAsFound());
            assertTrue(repo.status().notStaged().isEmpty());
        }
    }

    /** A merge's fast-forward writes as a plain checkout: the loop's file written after the merge found the folder clean stays. */
    @ParameterizedTest(name = "fsync {0}")
    @ValueSource(booleans = {false, true})
    void aFastForwardLeavesAFileWrittenAfterItsCheck(boolean fsync) throws IOException {
        try (Repository repo = twoBranches(fsync)) {
            at("checkout.checked", p -> write("m.safetensors", 3));
            MergeResult r = repo.merge("side", MergeStrategy.NONE, null, false, CommitRequest.of("merge"));
            assertEquals(MergeResult.Outcome.FAST_FORWARD, r.outcome());
            assertEquals(List.of("m.safetensors"), r.leftAsFound());
            assertEquals(sha(write("v3.safetensors", 3)), sha(dir.resolve("m.safetensors")));
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), repo.status().notStaged());
        }
    }

    /** A merge commit takes m from the other side: the loop's m written after the merge found the folder clean stays. */
    @ParameterizedTest(name = "fsync {0}")
    @ValueSource(booleans = {false, true})
    void aMergeCommitLeavesAFileItTakesWrittenAfterItsCheck(boolean fsync) throws IOException {
        try (Repository repo = twoBranches(fsync)) {
            repo.commit(CommitRequest.of("o"), List.of(write("o.safetensors", 30))); // main moves on: no fast-forward
            at("merge.checked", p -> write("m.safetensors", 3));
            MergeResult r = repo.merge("side", MergeStrategy.NONE, null, false, CommitRequest.of("merge"));
            assertEquals(MergeResult.Outcome.MERGED, r.outcome());
            assertEquals(List.of("m.safetensors"), r.leftAsFound());
            assertEquals(sha(write("v3.safetensors", 3)), sha(dir.resolve("m.safetensors")));
            assertEquals(repo.readTree(repo.resolve("side")).files().get("m.safetensors"),
                    repo.readTree(repo.headCommit()).files().get("m.safetensors"), "the merge commit has the other side's m");
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), repo.status().notStaged());
        }
    }

    /** m written over in place after the merge found the folder clean, before its fast-forward's own check: refused, in the merge's words. */
    @Test
    void aFastForwardRefusesAChangeMadeBeforeItsOwnCheckInTheMergesWords() throws IOException {
        try (Repository repo = twoBranches(false)) {
            at("merge.checked", p -> TestModels.editKeepingSizeAndTime(dir.resolve("m.safetensors")));
            dev.coral.error.BadInputException e = org.junit.jupiter.api.Assertions.assertThrows(dev.coral.error.BadInputException.class,
                    () -> repo.merge("side", MergeStrategy.NONE, null, false, CommitRequest.of("merge")));
            assertEquals("merge: the fast-forward would overwrite local changes to m.safetensors, changed while the merge ran; nothing"
                    + " was changed: merge again once it is committed", e.getMessage());
            assertEquals("m1", repo.readCommit(repo.headCommit()).subject());
        }
    }

    /**
     * The loop commits on main after a merge found it could fast-forward: the merge is refused,
     * and main keeps the loop's commit. Until 2026-12-07 the fast-forward moved main to the other
     * branch from wherever it was, and the loop's commit was on no branch (found by
     * perf/tools/switch-beside-loop.py: 2 of 127 acknowledged commits).
     */
    @Test
    void aFastForwardIsRefusedWhenTheBranchMovedSinceTheMergeBegan() throws IOException {
        try (Repository repo = twoBranches(false)) {
            at("merge.checked", p -> repo.commit(CommitRequest.of("loop"), List.of(write("m.safetensors", 5))));
            dev.coral.error.LockFailedException e = org.junit.jupiter.api.Assertions.assertThrows(dev.coral.error.LockFailedException.class,
                    () -> repo.merge("side", MergeStrategy.NONE, null, false, CommitRequest.of("merge")));
            assertTrue(e.getMessage().startsWith("merge: branch 'main' moved to "), e.getMessage());
            assertEquals("loop", repo.readCommit(repo.headCommit()).subject(), "main keeps the loop's commit");
            assertEquals("main", repo.currentBranch());
            assertTrue(repo.status().isClean(), "nothing changed: " + repo.status());
        }
    }

    /**
     * Another writer commits on main after a merge wrote its files and before its commit: the
     * merge commit is refused, and the files it wrote are put back as main's new tip has them (a
     * file only the other side has deleted and unstaged). Until 2026-12-07 they stayed staged with
     * the merge's versions, for the other writer's next commit to take.
     */
    @Test
    void aMergeCommitRefusedBecauseTheBranchMovedPutsItsFilesBack() throws IOException {
        try (Repository repo = twoBranches(false)) {
            repo.commit(CommitRequest.of("o"), List.of(write("o.safetensors", 30)));
            String v1 = sha(dir.resolve("m.safetensors"));
            at("merge.filesWritten", p -> repo.commit(CommitRequest.of("loop"), List.of(write("p.safetensors", 40))));
            dev.coral.error.LockFailedException e = org.junit.jupiter.api.Assertions.assertThrows(dev.coral.error.LockFailedException.class,
                    () -> repo.merge("side", MergeStrategy.NONE, null, false, CommitRequest.of("merge")));
            assertTrue(e.getMessage().startsWith("merge: another commit moved the branch to "), e.getMessage());
            assertTrue(e.getMessage().endsWith("as " + repo.headCommit().abbreviate(12) + " has them: merge again"), e.getMessage());
            assertEquals("loop", repo.readCommit(repo.headCommit()).subject());
            assertTrue(repo.status().isClean(), "as the loop's commit left it: " + repo.status());
            assertEquals(v1, sha(dir.resolve("m.safetensors")));
            assertTrue(Files.notExists(dir.resolve("n.safetensors")), "the other side's new file went with the merge");
        }
    }

    /** As above, the writer also wrote m again after the merge had: its m stays, named in the error, a change against the tip. */
    @Test
    void aMergeCommitRefusedBecauseTheBranchMovedLeavesAFileWrittenSince() throws IOException {
        try (Repository repo = twoBranches(false)) {
            repo.commit(CommitRequest.of("o"), List.of(write("o.safetensors", 30)));
            at("merge.filesWritten", p -> {
                write("m.safetensors", 7);
                repo.commit(CommitRequest.of("loop"), List.of(write("p.safetensors", 40)));
            });
            dev.coral.error.LockFailedException e = org.junit.jupiter.api.Assertions.assertThrows(dev.coral.error.LockFailedException.class,
                    () -> repo.merge("side", MergeStrategy.NONE, null, false, CommitRequest.of("merge")));
            assertTrue(e.getMessage().contains("(but m.safetensors, written by another process since)"), e.getMessage());
            assertEquals(sha(write("v7.safetensors", 7)), sha(dir.resolve("m.safetensors")));
            // the tip's m is staged under it (until 2026-12-07 the merge's stayed staged, for the next commit to take)
            assertEquals(List.of(), repo.status().staged());
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), repo.status().notStaged());
        }
    }

    /** main and side both change m from the base, and side removes q, which main keeps as it was; main then moves on. */
    private Repository bothChanged(boolean fsync) throws IOException {
        Repository repo = Repository.init(dir);
        repo.setConfig("checkout.fsync", Boolean.toString(fsync));
        repo.commit(CommitRequest.of("base"), List.of(shaped("m.safetensors", 1), shaped("q.safetensors", 9)));
        repo.switchBranch("side", true, false);
        repo.commit(CommitRequest.of("side m"), List.of(shaped("m.safetensors", 2)));
        repo.remove(List.of(dir.resolve("q.safetensors")), false);
        repo.commit(CommitRequest.of("side rm q"));
        repo.switchBranch("main", false, false);
        repo.commit(CommitRequest.of("main m"), List.of(shaped("m.safetensors", 4)));
        return repo;
    }

    /**
     * A merge averaging m beside a loop that writes m after the merge found the folder clean: the
     * loop's m stays, the averaged m is committed and staged under it. Until 2026-12-07 the
     * averaged file was renamed over the loop's and then added from the working folder.
     */
    @ParameterizedTest(name = "fsync {0}")
    @ValueSource(booleans = {false, true})
    void anAveragedFileWrittenOverAfterTheCheckIsLeftAsWritten(boolean fsync) throws IOException {
        try (Repository repo = bothChanged(fsync)) {
            at("merge.checked", p -> shaped("m.safetensors", 3));
            MergeResult r = repo.merge("side", MergeStrategy.parse("average"), null, false, CommitRequest.of("merge"));
            assertEquals(MergeResult.Outcome.MERGED, r.outcome());
            assertEquals(List.of("m.safetensors"), r.leftAsFound());
            assertEquals(shaOf(this::shaped, 3), sha(dir.resolve("m.safetensors")));
            dev.coral.repo.FileEntry merged = repo.fileAt("HEAD", "m.safetensors");
            assertTrue(!hex(merged.fileSha256()).equals(sha(dir.resolve("m.safetensors")))
                    && !merged.equals(repo.fileAt("HEAD~1", "m.safetensors")), "the merge commit has the averaged m");
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), repo.status().notStaged());
            assertEquals(List.of(), repo.status().staged());
            noTemporaryFilesLeft();
        }
    }

    /** As above, without a writer: the averaged m is in place, staged, and status is clean. */
    @ParameterizedTest(name = "fsync {0}")
    @ValueSource(booleans = {false, true})
    void anAveragedFileIsWrittenAndStaged(boolean fsync) throws IOException {
        try (Repository repo = bothChanged(fsync)) {
            MergeResult r = repo.merge("side", MergeStrategy.parse("average"), null, false, CommitRequest.of("merge"));
            assertEquals(List.of("m.safetensors"), r.averaged());
            assertEquals(List.of(), r.leftAsFound());
            assertEquals(hex(repo.fileAt("HEAD", "m.safetensors").fileSha256()), sha(dir.resolve("m.safetensors")));
            assertTrue(repo.status().isClean(), repo.status().toString());
            assertTrue(Files.notExists(dir.resolve("q.safetensors")));
            noTemporaryFilesLeft();
        }
    }

    /** The other side removed q: a q the loop wrote after the merge's check stays, untracked. */
    @ParameterizedTest(name = "fsync {0}")
    @ValueSource(booleans = {false, true})
    void aFileTheMergeRemovesWrittenAfterTheCheckIsLeftUntracked(boolean fsync) throws IOException {
        try (Repository repo = bothChanged(fsync)) {
            at("merge.checked", p -> shaped("q.safetensors", 11));
            MergeResult r = repo.merge("side", MergeStrategy.parse("theirs"), null, false, CommitRequest.of("merge"));
            assertEquals(List.of("q.safetensors"), r.leftAsFound());
            assertEquals(shaOf(this::shaped, 11), sha(dir.resolve("q.safetensors")));
            assertTrue(!repo.readTree(repo.headCommit()).files().containsKey("q.safetensors"), "the merge commit lacks q");
            assertEquals(List.of("q.safetensors"), repo.status().untracked());
        }
    }

    /**
     * A merge failing after it wrote its files, the branch where it was: the files are put back as
     * HEAD has them, but m, which a loop wrote since, stays and is named. Until 2026-12-07 a reset
     * --hard put them back, over the loop's m.
     */
    @Test
    void aMergeFailingPartWayLeavesAFileWrittenSince() throws IOException {
        try (Repository repo = bothChanged(false)) {
            String q = sha(dir.resolve("q.safetensors"));
            at("merge.filesWritten", p -> {
                shaped("m.safetensors", 7);
                throw new IOException("disk gone");
            });
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                    () -> repo.merge("side", MergeStrategy.parse("average"), null, false, CommitRequest.of("merge")));
            assertEquals("merge: disk gone; the files it had written were put back as HEAD has them (but m.safetensors, written by another"
                    + " process since)", e.getMessage());
            assertEquals("main m", repo.readCommit(repo.headCommit()).subject());
            assertEquals(shaOf(this::shaped, 7), sha(dir.resolve("m.safetensors")));
            assertEquals(q, sha(dir.resolve("q.safetensors")), "q, which the merge removed, is back");
            Status s = repo.status();
            assertEquals(List.of(), s.staged(), "the index is HEAD's again");
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), s.notStaged());
        }
    }

    /** As above with nothing written since: everything is as before the merge, and the failure is told as it was. */
    @Test
    void aMergeFailingPartWayPutsEverythingBack() throws IOException {
        try (Repository repo = bothChanged(false)) {
            String m = sha(dir.resolve("m.safetensors"));
            at("merge.filesWritten", p -> {
                throw new IOException("disk gone");
            });
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                    () -> repo.merge("side", MergeStrategy.parse("average"), null, false, CommitRequest.of("merge")));
            assertEquals("disk gone", e.getMessage());
            assertEquals(m, sha(dir.resolve("m.safetensors")));
            assertTrue(Files.exists(dir.resolve("q.safetensors")));
            assertTrue(repo.status().isClean(), repo.status().toString());
            noTemporaryFilesLeft();
        }
    }

    /** rm beside a loop that writes m after rm's check for lost work: the loop's m stays, untracked, named in the result. */
    @Test
    void rmLeavesAFileWrittenAfterItsCheck() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("m1"), List.of(write("m.safetensors", 1)));
            at("rm.checked", p -> write("m.safetensors", 3));
            Repository.RemoveResult r = repo.removeFiles(List.of(dir.resolve("m.safetensors")), false, false);
            assertEquals(List.of("m.safetensors"), r.removed());
            assertEquals(List.of("m.safetensors"), r.leftAsFound());
            assertEquals(shaOf(this::write, 3), sha(dir.resolve("m.safetensors")));
            Status s = repo.status();
            assertEquals(List.of(new Status.Change(Status.Kind.DELETED, "m.safetensors")), s.staged());
            assertEquals(List.of("m.safetensors"), s.untracked());
            noTemporaryFilesLeft();
        }
    }

    /** rm -f deletes whatever is there, as asked; so does rm of a file nobody writes meanwhile. */
    @Test
    void aForcedRmDeletesWhateverIsThere() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("m1"), List.of(write("m.safetensors", 1), write("n.safetensors", 2)));
            at("rm.checked", p -> write("m.safetensors", 3));
            Repository.RemoveResult r = repo.removeFiles(List.of(dir.resolve("m.safetensors")), false, true);
            assertEquals(List.of(), r.leftAsFound());
            assertTrue(Files.notExists(dir.resolve("m.safetensors")));
            FaultPoints.install(null);
            r = repo.removeFiles(List.of(dir.resolve("n.safetensors")), false, false);
            assertEquals(List.of("n.safetensors"), r.removed());
            assertEquals(List.of(), r.leftAsFound());
            assertTrue(Files.notExists(dir.resolve("n.safetensors")));
        }
    }

    /**
     * {@code switch -c NAME} while a training loop commits its checkpoint from another process
     * and writes the next: the branch is made at the commit HEAD is at when the switch takes its
     * locks, and no file changes. Until 2026-12-07 the branch was made at the commit read first,
     * then checked out: a commit landing between made the switch a step back, refused because the
     * loop's next version would be lost ("checkout would overwrite local changes", found by
     * head-moves-fuzz.py); as git's {@code switch -c}, it carries every local change. A start
     * naming HEAD's commit by another name ({@code switch -c h main}) is read before the commit
     * lands: HEAD has moved from it, so the branch is made and checked out as before, the start
     * read again; {@code HEAD} itself is HEAD as the locks find it.
     */
    @ParameterizedTest(name = "start {0}")
    @ValueSource(strings = {"", "HEAD", "main"})
    void aNewBranchAtHeadIsMadeWhereACommitLandingMeanwhileLeftHead(String start) throws IOException {
        try (Repository repo = Repository.init(dir)) {
            ObjectId first = repo.commit(CommitRequest.of("m1"), List.of(write("m.safetensors", 1)));
            ObjectId[] landed = new ObjectId[1];
            at("switch.newBranch", p -> {
                try (Repository loop = Repository.open(dir)) {
                    landed[0] = loop.commit(CommitRequest.of("m2"), List.of(write("m.safetensors", 2)));
                }
                write("m.safetensors", 3); // the loop's next checkpoint, not committed yet
            });
            Repository.CheckoutResult r = start.isEmpty() ? repo.switchBranch("h", true, false) : repo.switchToNewBranch("h", start, false);
            assertTrue(landed[0] != null && !landed[0].equals(first));
            assertEquals(landed[0], r.commit());
            assertEquals("h", repo.currentBranch());
            assertEquals(landed[0], repo.branchTip("h"));
            assertEquals(landed[0], repo.branchTip("main"));
            assertEquals(List.of(), r.written());
            assertEquals(shaOf(this::write, 3), sha(dir.resolve("m.safetensors")), "the loop's next version kept");
            assertEquals(List.of(new Status.Change(Status.Kind.MODIFIED, "m.safetensors")), repo.status().notStaged());
            assertTrue(repo.status().staged().isEmpty(), "m2 staged, as h has it: " + repo.status().staged());
        }
    }

    /** {@code switch -c NAME} refuses a branch that exists, moving nothing; the name is checked first. */
    @Test
    void aNewBranchAtHeadRefusesAnExistingNameAndABadOne() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            ObjectId first = repo.commit(CommitRequest.of("m1"), List.of(write("m.safetensors", 1)));
            repo.createBranch("side", "HEAD");
            repo.commit(CommitRequest.of("m2"), List.of(write("m.safetensors", 2)));
            dev.coral.error.BadInputException e = org.junit.jupiter.api.Assertions.assertThrows(dev.coral.error.BadInputException.class,
                    () -> repo.switchBranch("side", true, false));
            assertEquals("branch 'side' already exists", e.getMessage());
            assertEquals("main", repo.currentBranch());
            assertEquals(first, repo.branchTip("side"));
            org.junit.jupiter.api.Assertions.assertThrows(dev.coral.error.BadInputException.class, () -> repo.switchBranch("a..b", true, false));
            assertEquals("main", repo.currentBranch());
        }
    }
}
