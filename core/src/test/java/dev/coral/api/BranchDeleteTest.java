package dev.coral.api;

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
    /**
     * Names and the folders they make, as git: deleting 'a/b' removes the folder 'a' it left
     * empty, so 'a' can be a branch (it failed, "refs/heads/a: Is a directory"); 'a' while 'a/b'
     * exists, or 'c/d' while 'c' exists, is refused naming the other branch; a branch 'locks/x'
     * does not take in the repository's lock-breaking mutex (found by fuzzing).
     */
    @Test
    void branchNamesAndFoldersDoNotClash() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.createBranch("a/b", "HEAD");
            repo.deleteBranch("a/b", true);
            assertFalse(Files.exists(dir.resolve(".coral/refs/heads/a")), "the empty folder goes");
            repo.createBranch("a", "HEAD");
            repo.createBranch("x/y", "HEAD");
            BadInputException e = assertThrows(BadInputException.class, () -> repo.createBranch("x", "HEAD"));
            assertTrue(e.getMessage().contains("'x/y' exists"), e.getMessage());
            e = assertThrows(BadInputException.class, () -> repo.createBranch("a/c", "HEAD"));
            assertTrue(e.getMessage().contains("branch 'a' exists"), e.getMessage());
            repo.createBranch("locks/x", "HEAD");
            Path stale = Files.writeString(dir.resolve(".coral/refs/heads/main.lock"), "coral-lock 999999999 " + "nohost\n");
            Files.setLastModifiedTime(stale, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
            TestModels.writeSafetensors(m, TestModels.randomTensors(3, 2, 300));
            repo.commit(CommitRequest.of("three"), List.of(m)); // breaks the stale lock
            assertEquals(List.of("a", "exp", "locks/x", "main", "x/y"), repo.branches());
            assertFalse(Files.exists(dir.resolve(".coral/refs/heads/locks/lock-break.lock")), "the mutex is in .coral/locks");
            assertTrue(Files.exists(dir.resolve(".coral/locks/lock-break.lock")));
        }
    }
}
