package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is staged and not committed survives a plain checkout or switch, as in git: where the
 * target has HEAD's version of the path, the staged version (of a new file too) or a staged
 * removal stays staged and the file as it is; where the target has another version, the
 * checkout is refused before anything changes. A forced one puts the target's back. Before, a
 * staged version was silently replaced by HEAD's or the target's (`add; switch -c exp` lost it)
 * and a staged new file was deleted.
 */
class StagedAcrossCheckoutTest {
    @TempDir
    Path dir;
    private Path w;
    private byte[] staged;

    /** w: v1, v2 committed on main; v3 staged. */
    @BeforeEach
    void stagedOverTwoCommits() throws IOException {
        w = TestModels.writeSafetensors(dir.resolve("w.safetensors"), TestModels.randomTensors(1, 2, 400));
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("one"), List.of(w));
            TestModels.writeSafetensors(w, TestModels.randomTensors(2, 2, 400));
            repo.commit(CommitRequest.of("two"), List.of(w));
            TestModels.writeSafetensors(w, TestModels.randomTensors(3, 2, 400));
            repo.add(List.of(w));
        }
        staged = Files.readAllBytes(w);
    }

    private static void assertStaged(Repository repo, Status.Kind kind, String path) throws IOException {
        assertTrue(repo.status().staged().contains(new Status.Change(kind, path)), repo.status().toString());
    }

    @Test
    void switchingToANewBranchKeepsTheStagedVersion() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.switchBranch("exp", true, false);
            assertArrayEquals(staged, Files.readAllBytes(w), "the file as staged");
            assertStaged(repo, Status.Kind.MODIFIED, "w.safetensors");
            repo.commit(CommitRequest.of("three"));
            assertEquals("three", repo.readCommit(repo.resolve("exp")).message());
        }
    }

    @Test
    void aStagedNewFileStaysWhereTheTargetLacksItToo() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.checkout("HEAD", true); // the staged w dropped (forced): the scene is the new file's
            Path fresh = TestModels.writeSafetensors(dir.resolve("fresh.safetensors"), TestModels.randomTensors(4, 2, 300));
            byte[] freshBytes = Files.readAllBytes(fresh);
            repo.add(List.of(fresh));
            repo.checkout("HEAD~1", false);
            assertArrayEquals(freshBytes, Files.readAllBytes(fresh), "not deleted");
            assertStaged(repo, Status.Kind.ADDED, "fresh.safetensors");
        }
    }

    @Test
    void aStagedRemovalStaysWhereTheTargetHasHeadsVersion() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.checkout("HEAD", true);
            repo.createBranch("same", "HEAD");
            repo.remove(List.of(w), true); // untracked now, the file kept
            repo.switchBranch("same", false, false);
            assertStaged(repo, Status.Kind.DELETED, "w.safetensors");
            assertTrue(Files.exists(w));
        }
    }

    @Test
    void aFileWhereAVersionWasStagedFromMemoryIsNotOverwrittenUnlessItIsThatVersion() throws IOException {
        Path m = dir.resolve("m.safetensors");
        try (Repository repo = Repository.open(dir)) {
            repo.checkout("HEAD", true);
            repo.commitTensors("m.safetensors", TestModels.randomTensors(5, 2, 300), java.util.Map.of(), CommitRequest.of("m1"));
            repo.commitTensors("m.safetensors", TestModels.randomTensors(6, 2, 300), java.util.Map.of(), CommitRequest.of("m2"));
            TestModels.writeSafetensors(m, TestModels.randomTensors(7, 2, 300)); // the user's own file at that path
            byte[] users = Files.readAllBytes(m);
            BadInputException x = assertThrows(BadInputException.class, () -> repo.checkout("HEAD~1", false));
            assertEquals("checkout would overwrite m.safetensors, which is not the version staged from memory there; move it away, "
                    + "or use --force", x.getMessage());
            assertArrayEquals(users, Files.readAllBytes(m));
            repo.export("HEAD", "m.safetensors", m, null); // now it is that version: nothing to lose
            repo.checkout("HEAD~1", false);
            Path expected = TestModels.writeSafetensors(dir.resolve("expected.bin"), TestModels.randomTensors(5, 2, 300));
            assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(m), "m1 as committed");
        }
    }

    @Test
    void aFileAnEarlierCheckoutWroteIsOverwrittenWhereAVersionWasStagedFromMemorySince() throws IOException {
        Path m = dir.resolve("m.safetensors");
        try (Repository repo = Repository.open(dir)) { // a training loop committing tensors, looked at now and then
            repo.checkout("HEAD", true);
            repo.commitTensors("m.safetensors", TestModels.randomTensors(5, 2, 300), java.util.Map.of(), CommitRequest.of("m1"));
            repo.commitTensors("m.safetensors", TestModels.randomTensors(6, 2, 300), java.util.Map.of(), CommitRequest.of("m2"));
            repo.checkout("HEAD~1", false); // writes m1's file
            repo.checkout("main", false);
            repo.commitTensors("m.safetensors", TestModels.randomTensors(8, 2, 300), java.util.Map.of(), CommitRequest.of("m3"));
            repo.checkout("HEAD", false); // m's file is m2's, which a commit has: nothing to lose
            Path expected = TestModels.writeSafetensors(dir.resolve("expected.bin"), TestModels.randomTensors(8, 2, 300));
            assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(m), "m3 as committed");
            repo.commitTensors("m.safetensors", TestModels.randomTensors(9, 2, 300), java.util.Map.of(), CommitRequest.of("m4"));
            repo.remove(List.of(m), false); // the file is m3's: rm deletes it
            assertFalse(Files.exists(m));
        }
    }

    @Test
    void aTargetWithAnotherVersionIsRefusedUnlessForced() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            byte[] index = Files.readAllBytes(repo.indexFile());
            BadInputException x = assertThrows(BadInputException.class, () -> repo.checkout("HEAD~1", false));
            assertEquals("checkout would overwrite the version of w.safetensors staged for the next commit; commit it, or use --force",
                    x.getMessage());
            assertArrayEquals(staged, Files.readAllBytes(w));
            assertArrayEquals(index, Files.readAllBytes(repo.indexFile()));
            repo.checkout("HEAD~1", true);
            assertFalse(java.util.Arrays.equals(staged, Files.readAllBytes(w)), "forced: the target's version");
            assertTrue(repo.status().staged().isEmpty());
        }
    }
}
