package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code restore}, as git's: {@code --staged} unstages (what is staged goes back to HEAD's or a
 * revision's version, a file added since stops being staged, the working file stays); without
 * it the working files go back to what is staged, or to a revision's version. Before, the only
 * way to unstage was {@code rm --cached}, which status suggested, and which stages the file's
 * removal: the next commit dropped the model from the branch.
 */
class RestoreTest {
    @TempDir
    Path dir;
    private Path w;
    private byte[] v1;
    private byte[] v2;

    /** w: v1 committed, then v2 committed: HEAD has v2, HEAD~1 v1. */
    @BeforeEach
    void twoVersions() throws IOException {
        w = TestModels.writeSafetensors(dir.resolve("w.safetensors"), TestModels.randomTensors(1, 2, 400));
        v1 = Files.readAllBytes(w);
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("one"), List.of(w));
            TestModels.writeSafetensors(w, TestModels.randomTensors(2, 2, 400));
            v2 = Files.readAllBytes(w);
            repo.commit(CommitRequest.of("two"), List.of(w));
        }
    }

    private byte[] edit(long seed) throws IOException {
        TestModels.writeSafetensors(w, TestModels.randomTensors(seed, 2, 400));
        return Files.readAllBytes(w);
    }

    private static boolean has(List<Status.Change> changes, Status.Kind kind, String path) {
        return changes.contains(new Status.Change(kind, path));
    }

    @Test
    void unstagingAModificationKeepsTheWorkingFileAndTheFileTracked() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            byte[] v3 = edit(3);
            repo.add(List.of(w));
            assertEquals(List.of("w.safetensors"), repo.restoreStaged(List.of(w), null));
            assertArrayEquals(v3, Files.readAllBytes(w), "the working file as it was");
            Status s = repo.status();
            assertTrue(s.staged().isEmpty(), s.toString());
            assertTrue(has(s.notStaged(), Status.Kind.MODIFIED, "w.safetensors"), s.toString());
            BadInputException e = assertThrows(BadInputException.class, () -> repo.commit(CommitRequest.of("none")));
            assertTrue(e.getMessage().startsWith("nothing to commit"), e.getMessage());
        }
    }

    @Test
    void unstagingAFileAddedSinceLeavesItUntracked() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            Path fresh = TestModels.writeSafetensors(dir.resolve("d/fresh.safetensors"), TestModels.randomTensors(4, 2, 300));
            repo.add(List.of(fresh));
            repo.restoreStaged(List.of(dir.resolve("d")), null); // a folder: everything tracked under it
            assertTrue(Files.exists(fresh));
            Status s = repo.status();
            assertTrue(s.staged().isEmpty(), s.toString());
            assertTrue(s.untracked().contains("d/fresh.safetensors"), s.toString());
        }
    }

    @Test
    void unstagingAStagedRemovalTracksTheFileAgain() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.remove(List.of(w), true);
            assertTrue(has(repo.status().staged(), Status.Kind.DELETED, "w.safetensors"));
            repo.restoreStaged(List.of(w), null);
            assertTrue(repo.status().isClean(), repo.status().toString());
        }
    }

    @Test
    void beforeTheFirstCommitUnstagingStopsTracking() throws IOException {
        Path other = Files.createDirectories(dir.resolve("other"));
        Path x = TestModels.writeSafetensors(other.resolve("x.safetensors"), TestModels.randomTensors(5, 2, 300));
        try (Repository repo = Repository.init(other)) {
            repo.add(List.of(x));
            repo.restoreStaged(List.of(x), null);
            assertTrue(repo.status().staged().isEmpty());
            assertTrue(repo.status().untracked().contains("x.safetensors"));
        }
    }

    @Test
    void theWorkingFileGoesBackToWhatIsStaged() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            edit(6);
            repo.restoreWorkTree(List.of(w), null, false);
            assertArrayEquals(v2, Files.readAllBytes(w), "HEAD's version, which is staged");
            assertTrue(repo.status().isClean(), repo.status().toString());

            byte[] v7 = edit(7);
            repo.add(List.of(w));
            edit(8);
            repo.restoreWorkTree(List.of(w), null, false);
            assertArrayEquals(v7, Files.readAllBytes(w), "the staged version, not HEAD's");
            Status s = repo.status();
            assertTrue(has(s.staged(), Status.Kind.MODIFIED, "w.safetensors") && s.notStaged().isEmpty(), s.toString());
        }
    }

    @Test
    void fromARevisionBothTheStagedVersionAndTheFileAndHeadStays() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            ObjectId head = repo.headCommit();
            repo.restoreWorkTree(List.of(w), "HEAD~1", true);
            assertArrayEquals(v1, Files.readAllBytes(w));
            assertEquals(head, repo.headCommit());
            Status s = repo.status();
            assertTrue(has(s.staged(), Status.Kind.MODIFIED, "w.safetensors") && s.notStaged().isEmpty(), s.toString());
            repo.commit(CommitRequest.of("back to one"));
            assertEquals(repo.readTree(repo.resolve("HEAD~2")).files(), repo.readTree(repo.headCommit()).files());
        }
    }

    @Test
    void fromARevisionTheFileAloneLeavesWhatIsStaged() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.restoreWorkTree(List.of(w), "HEAD~1", false);
            assertArrayEquals(v1, Files.readAllBytes(w));
            Status s = repo.status();
            assertTrue(s.staged().isEmpty() && has(s.notStaged(), Status.Kind.MODIFIED, "w.safetensors"), s.toString());
        }
    }

    @Test
    void theStagedVersionFromARevisionLeavesTheFile() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.restoreStaged(List.of(w), "HEAD~1");
            assertArrayEquals(v2, Files.readAllBytes(w));
            Status s = repo.status();
            assertTrue(has(s.staged(), Status.Kind.MODIFIED, "w.safetensors"), s.toString());
            assertTrue(has(s.notStaged(), Status.Kind.MODIFIED, "w.safetensors"), "the file is v2, v1 staged: " + s);
        }
    }

    @Test
    void aTrackedPathTheSourceLacksIsDeletedAndUnstaged() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            Path b = TestModels.writeSafetensors(dir.resolve("b.safetensors"), TestModels.randomTensors(9, 2, 300));
            repo.commit(CommitRequest.of("b"), List.of(b));
            repo.restoreWorkTree(List.of(dir), "HEAD~1", true);
            assertFalse(Files.exists(b));
            assertArrayEquals(v2, Files.readAllBytes(w));
            Status s = repo.status();
            assertTrue(has(s.staged(), Status.Kind.DELETED, "b.safetensors") && s.notStaged().isEmpty(), s.toString());
        }
    }

    @Test
    void aPathThatMatchesNothingIsRefusedAndNothingChanges() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            byte[] v3 = edit(10);
            repo.add(List.of(w));
            Path nowhere = dir.resolve("nowhere.npy");
            BadInputException e = assertThrows(BadInputException.class, () -> repo.restoreStaged(List.of(w, nowhere), null));
            assertTrue(e.getMessage().contains("nowhere.npy: matches no file tracked"), e.getMessage());
            e = assertThrows(BadInputException.class, () -> repo.restoreWorkTree(List.of(nowhere), null, false));
            assertTrue(e.getMessage().contains("nowhere.npy"), e.getMessage());
            assertTrue(has(repo.status().staged(), Status.Kind.MODIFIED, "w.safetensors"), "still staged");
            assertArrayEquals(v3, Files.readAllBytes(w));
        }
    }
}
