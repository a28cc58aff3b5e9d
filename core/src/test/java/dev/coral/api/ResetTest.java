package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnknownRevisionException;
import dev.coral.maintenance.FsckReport;
import dev.coral.repo.Refs;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code reset}, as git's: the current branch (or a detached HEAD) moves; soft keeps what is
 * staged and the files, mixed makes what is staged the target's, hard the files too. The commit
 * left is ORIG_HEAD, which gc keeps, so a reset is undone by another.
 */
class ResetTest {
    @TempDir
    Path dir;
    private Path w;
    private Path extra;
    private byte[] v1;
    private byte[] v2;
    private ObjectId one;
    private ObjectId two;

    /** w: v1 in "one"; v2 and a second file, extra, in "two" (HEAD). */
    @BeforeEach
    void twoCommits() throws IOException {
        w = TestModels.writeSafetensors(dir.resolve("w.safetensors"), TestModels.randomTensors(1, 2, 400));
        v1 = Files.readAllBytes(w);
        try (Repository repo = Repository.init(dir)) {
            one = repo.commit(CommitRequest.of("one"), List.of(w));
            TestModels.writeSafetensors(w, TestModels.randomTensors(2, 2, 400));
            v2 = Files.readAllBytes(w);
            extra = TestModels.writeSafetensors(dir.resolve("extra.safetensors"), TestModels.randomTensors(3, 1, 100));
            two = repo.commit(CommitRequest.of("two"), List.of(w, extra));
        }
    }

    private static boolean has(List<Status.Change> changes, Status.Kind kind, String path) {
        return changes.contains(new Status.Change(kind, path));
    }

    @Test
    void softMovesOnlyTheBranchAndACommitMakesTheStagedFilesOneAgain() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.reset("HEAD~1", Repository.ResetMode.SOFT, ProgressListener.NONE);
            assertEquals(one, repo.headCommit());
            assertEquals("main", repo.currentBranch());
            assertEquals(two, repo.origHead());
            assertEquals(two, repo.resolve("ORIG_HEAD"));
            Status s = repo.status();
            assertTrue(has(s.staged(), Status.Kind.MODIFIED, "w.safetensors") && has(s.staged(), Status.Kind.ADDED, "extra.safetensors"),
                    "two's files stay staged: " + s);
            assertTrue(s.notStaged().isEmpty(), "the working files stay: " + s);
            assertArrayEquals(v2, Files.readAllBytes(w));
            ObjectId squashed = repo.commit(CommitRequest.of("again"));
            assertEquals(repo.readCommit(two).tree(), repo.readCommit(squashed).tree());
            assertEquals(List.of(one), repo.readCommit(squashed).parents());
        }
    }

    @Test
    void mixedStagesTheTargetAndLeavesTheWorkingFilesAsChangesNotStaged() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.reset("HEAD~1", Repository.ResetMode.MIXED, ProgressListener.NONE);
            assertEquals(one, repo.headCommit());
            Status s = repo.status();
            assertTrue(s.staged().isEmpty(), "what is staged is one's tree: " + s);
            assertTrue(has(s.notStaged(), Status.Kind.MODIFIED, "w.safetensors"), s.toString());
            assertTrue(s.untracked().contains("extra.safetensors"), "a file one lacks is untracked again: " + s);
            assertArrayEquals(v2, Files.readAllBytes(w), "no working file is written");
        }
    }

    @Test
    void hardWritesTheTargetDeletesWhatItLacksKeepsUntrackedFilesAndIsUndoneByOrigHead() throws IOException {
        Path untracked = TestModels.writeSafetensors(dir.resolve("mine.safetensors"), TestModels.randomTensors(9, 1, 50));
        byte[] mine = Files.readAllBytes(untracked);
        try (Repository repo = Repository.open(dir)) {
            TestModels.writeSafetensors(w, TestModels.randomTensors(4, 2, 400)); // a local edit, discarded
            Repository.CheckoutResult r = repo.reset("HEAD~1", Repository.ResetMode.HARD, ProgressListener.NONE);
            assertEquals(one, r.commit());
            assertEquals(List.of("w.safetensors"), r.written());
            assertEquals(List.of("extra.safetensors"), r.deleted());
            assertArrayEquals(v1, Files.readAllBytes(w));
            assertFalse(Files.exists(extra));
            assertArrayEquals(mine, Files.readAllBytes(untracked), "an untracked file is left alone");
            assertTrue(repo.status().staged().isEmpty() && repo.status().notStaged().isEmpty());
            assertEquals(one, repo.branchTip("main"));

            repo.reset("ORIG_HEAD", Repository.ResetMode.HARD, ProgressListener.NONE);
            assertEquals(two, repo.headCommit());
            assertEquals(one, repo.origHead(), "ORIG_HEAD is the commit the last reset left");
            assertArrayEquals(v2, Files.readAllBytes(w));
            assertTrue(Files.exists(extra));
        }
    }

    @Test
    void aDetachedHeadMovesAndStaysDetached() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.checkout(two.hex(), false);
            repo.reset("HEAD~1", Repository.ResetMode.HARD, ProgressListener.NONE);
            assertNull(repo.currentBranch());
            assertEquals(one, repo.headCommit());
            assertEquals(two, repo.branchTip("main"), "no branch moves");
            assertArrayEquals(v1, Files.readAllBytes(w));
        }
    }

    @Test
    void gcKeepsWhatOnlyOrigHeadReaches() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.reset("HEAD~1", Repository.ResetMode.HARD, ProgressListener.NONE);
            repo.gc(false, Duration.ZERO);
            assertArrayEquals(v2, readBack(repo, "ORIG_HEAD"), "two's file, which only ORIG_HEAD reaches, survives gc");
            FsckReport f = repo.fsck(false);
            assertTrue(f.problems().isEmpty(), f.problems().toString());
        }
    }

    @Test
    void repackTakesWhatOnlyOrigHeadReachesIntoItsPack() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.reset("HEAD~1", Repository.ResetMode.HARD, ProgressListener.NONE);
            repo.repack();
            try (java.util.stream.Stream<Path> packs = Files.list(dir.resolve(".coral").resolve("packs"))) {
                assertEquals(1, packs.filter(p -> p.toString().endsWith(".pack")).count(), "no old pack kept for ORIG_HEAD's objects");
            }
            assertArrayEquals(v2, readBack(repo, "ORIG_HEAD"));
            assertArrayEquals(v1, readBack(repo, "HEAD"));
        }
    }

    private static byte[] readBack(Repository repo, String revision) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        repo.export(revision, "w.safetensors", out, "safetensors");
        return out.toByteArray();
    }

    @Test
    void aResetToAnUnknownRevisionChangesNothing() throws IOException {
        Path coral = dir.resolve(".coral");
        byte[] index = Files.readAllBytes(coral.resolve("index"));
        byte[] head = Files.readAllBytes(coral.resolve("HEAD"));
        try (Repository repo = Repository.open(dir)) {
            for (Repository.ResetMode m : Repository.ResetMode.values()) {
                assertThrows(UnknownRevisionException.class, () -> repo.reset("nosuch", m, ProgressListener.NONE));
                assertThrows(UnknownRevisionException.class, () -> repo.reset("HEAD~2", m, ProgressListener.NONE));
            }
            assertEquals(two, repo.headCommit());
            assertNull(repo.origHead());
            assertThrows(UnknownRevisionException.class, () -> repo.resolve("ORIG_HEAD"), "no reset yet: no ORIG_HEAD");
        }
        assertArrayEquals(index, Files.readAllBytes(coral.resolve("index")));
        assertArrayEquals(head, Files.readAllBytes(coral.resolve("HEAD")));
        assertArrayEquals(v2, Files.readAllBytes(w));
    }

    @Test
    void beforeTheFirstCommitAMixedResetUnstagesEverythingAndTheOthersRefuse() throws IOException {
        Path fresh = dir.resolve("fresh");
        Files.createDirectories(fresh);
        Path f = TestModels.writeSafetensors(fresh.resolve("f.safetensors"), TestModels.randomTensors(5, 1, 10));
        try (Repository repo = Repository.init(fresh)) {
            repo.add(List.of(f));
            for (Repository.ResetMode m : List.of(Repository.ResetMode.SOFT, Repository.ResetMode.HARD)) {
                BadInputException e = assertThrows(BadInputException.class, () -> repo.reset("HEAD", m, ProgressListener.NONE));
                assertTrue(e.getMessage().contains("no commit yet"), e.getMessage());
            }
            assertEquals(1, repo.status().staged().size(), "a refused reset leaves the file staged");
            repo.reset("HEAD", Repository.ResetMode.MIXED, ProgressListener.NONE);
            Status s = repo.status();
            assertTrue(s.staged().isEmpty(), s.toString());
            assertEquals(List.of("f.safetensors"), s.untracked());
            assertTrue(Files.exists(f));
        }
    }

    @Test
    void aDamagedOrigHeadIsNamedByFsckAndStopsGcBeforeItRemovesAnything() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.reset("HEAD~1", Repository.ResetMode.SOFT, ProgressListener.NONE);
        }
        Path orig = dir.resolve(".coral").resolve(Refs.ORIG_HEAD);
        byte[] b = Files.readAllBytes(orig);
        b[b.length / 2] ^= 0x40;
        Files.write(orig, b);
        try (Repository repo = Repository.open(dir)) {
            FsckReport f = repo.fsck(false);
            assertTrue(f.problems().stream().anyMatch(p -> p.file().equals("ORIG_HEAD")), f.problems().toString());
            CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> repo.gc(false, Duration.ZERO));
            assertTrue(e.getMessage().contains("nothing was removed"), e.getMessage());
            assertArrayEquals(v2, readBack(repo, two.hex()));
        }
    }
}
