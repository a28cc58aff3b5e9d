package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deleting a branch refuses, unless forced, a branch whose commits no other branch, tag or HEAD
 * reaches: gc would remove them (git's {@code branch -d} refuses a branch not merged, {@code -D}
 * forces). Before, {@code branch -d} deleted such a branch without a word.
 */
class BranchDeleteTest {
    @TempDir
    Path dir;
    private Path m;

    /** main: one; exp: one, two (not on main). */
    @BeforeEach
    void history() throws IOException {
        m = TestModels.writeSafetensors(dir.resolve("m.safetensors"), TestModels.randomTensors(1, 2, 300));
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("one"), List.of(m));
            repo.switchBranch("exp", true, false);
            TestModels.writeSafetensors(m, TestModels.randomTensors(2, 2, 300));
            repo.commit(CommitRequest.of("two"), List.of(m));
            repo.switchBranch("main", false, false);
        }
    }

    @Test
    void aBranchNothingElseReachesIsKeptUnlessForced() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            BadInputException x = assertThrows(BadInputException.class, () -> repo.deleteBranch("exp"));
            assertEquals("branch 'exp' is not merged: no other branch, tag or HEAD reaches its commits, which gc would then remove; "
                    + "delete it with -D", x.getMessage());
            assertTrue(repo.branches().contains("exp"));
            repo.deleteBranch("exp", true);
            assertFalse(repo.branches().contains("exp"));
        }
    }

    @Test
    void aBranchAnotherBranchTagOrHeadReachesIsDeleted() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.createBranch("keep", "exp");
            repo.deleteBranch("exp"); // keep reaches its commits
            repo.createTag("t", "keep", null);
            repo.deleteBranch("keep"); // the tag does
            repo.createBranch("old", "main");
            repo.deleteBranch("old"); // HEAD (main) does: merged
            assertEquals(List.of("main"), repo.branches());
        }
    }

    @Test
    void anAncestorOfHeadIsMerged() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.createBranch("tip", "exp");
            repo.switchBranch("tip", false, false);
            repo.createBranch("back", "tip~1");
            repo.deleteBranch("exp"); // tip and HEAD reach it
            repo.deleteBranch("back");
            assertEquals(List.of("main", "tip"), repo.branches());
        }
    }
}
