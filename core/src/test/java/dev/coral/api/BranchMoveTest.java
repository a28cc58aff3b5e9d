package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import dev.coral.error.UnknownRevisionException;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** git's {@code branch -f} (move a branch that HEAD is not on) and {@code branch -m/-M} (rename, HEAD following). */
class BranchMoveTest {
    @TempDir
    Path dir;
    private Path w;
    private ObjectId one;
    private ObjectId two;

    @BeforeEach
    void twoCommits() throws IOException {
        w = TestModels.writeSafetensors(dir.resolve("w.safetensors"), TestModels.randomTensors(1, 2, 100));
        try (Repository repo = Repository.init(dir)) {
            one = repo.commit(CommitRequest.of("one"), List.of(w));
            TestModels.writeSafetensors(w, TestModels.randomTensors(2, 2, 100));
            two = repo.commit(CommitRequest.of("two"), List.of(w));
        }
    }

    @Test
    void forceCreatesOrMovesABranchButNotTheOneHeadIsOn() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            assertNull(repo.forceBranch("exp", "HEAD~1"), "a new branch");
            assertEquals(one, repo.branchTip("exp"));
            assertEquals(one, repo.forceBranch("exp", "HEAD"), "it was at one");
            assertEquals(two, repo.branchTip("exp"));
            BadInputException e = assertThrows(BadInputException.class, () -> repo.forceBranch("main", "HEAD~1"));
            assertTrue(e.getMessage().contains("HEAD is on"), e.getMessage());
            assertThrows(UnknownRevisionException.class, () -> repo.forceBranch("exp", "nosuch"));
            assertThrows(BadInputException.class, () -> repo.forceBranch("bad..name", "HEAD"));
            assertEquals(two, repo.branchTip("main"));
            assertEquals(two, repo.branchTip("exp"));
        }
    }

    /** As git: a rename to a name below the old one or above it (the old ref's file is where the new folder goes), found by fuzzing against git. */
    @Test
    void renamesToANameBelowOrAboveTheOldOne() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.renameBranch("main", "main/x", false);
            assertEquals("main/x", repo.currentBranch());
            assertEquals(List.of("main/x"), repo.branches());
            repo.createBranch("q/r/s", "HEAD~1");
            repo.renameBranch("q/r/s", "q", false);
            assertEquals(List.of("main/x", "q"), repo.branches(), "no holding branch left");
            assertEquals(one, repo.branchTip("q"));
            repo.renameBranch("main/x", "main", false);
            assertEquals("main", repo.currentBranch());
            assertEquals(two, repo.headCommit());
            repo.createBranch("z", "HEAD");
            BadInputException clash = assertThrows(BadInputException.class, () -> repo.renameBranch("z", "q/y", false));
            assertTrue(clash.getMessage().contains("branch 'q' exists"), clash.getMessage());
            assertEquals(List.of("main", "q", "z"), repo.branches(), "nothing changed");
        }
    }

    /**
     * A tag and a branch of one name, as git has them (found by fuzzing against git): as a revision
     * the name is the tag's commit; checkout of the name takes the branch and HEAD names it.
     */
    @Test
    void aTagOutranksABranchOfItsNameAsARevisionButCheckoutTakesTheBranch() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.createTag("feat", "HEAD~1", null);
            repo.createBranch("feat", "HEAD");
            assertEquals(one, repo.resolve("feat"), "refs/tags/feat before refs/heads/feat");
            assertEquals(two, repo.resolve("refs/heads/feat"));
            repo.checkout("HEAD~1", false);
            repo.checkout("feat", false);
            assertEquals("feat", repo.currentBranch());
            assertEquals(two, repo.headCommit(), "the branch's commit");
            assertTrue(repo.status().isClean(), "the branch's files, not the tag's");
            // a new branch from that name is refused, as git's "ambiguous object name" (found by fuzzing against git)
            BadInputException e = assertThrows(BadInputException.class, () -> repo.createBranch("y", "feat"));
            assertTrue(e.getMessage().startsWith("ambiguous object name: 'feat'"), e.getMessage());
            assertThrows(BadInputException.class, () -> repo.forceBranch("y", "feat"));
            assertThrows(BadInputException.class, () -> repo.switchToNewBranch("y", "feat", false));
            assertNull(repo.branchTip("y"));
            repo.createBranch("y", "refs/heads/feat");
            repo.createBranch("z", "feat~0");
            assertEquals(two, repo.branchTip("y"));
            assertEquals(one, repo.branchTip("z"), "a revision from the name is the tag's");
        }
    }

    /** As git: renaming the branch HEAD is on before its first commit renames what HEAD names. */
    @Test
    void renamesTheUnbornBranchHeadIsOn(@TempDir Path fresh) throws IOException {
        try (Repository repo = Repository.init(fresh)) {
            repo.renameBranch("main", "trunk", false);
            assertEquals("trunk", repo.currentBranch());
            assertNull(repo.headCommit());
            assertThrows(BadInputException.class, () -> repo.renameBranch("nosuch", "x", false));
            repo.renameBranch("trunk", "trunk", false); // nothing to do, as git's (found by fuzzing against git)
            repo.renameBranch("trunk", "trunk", true);
            assertEquals("trunk", repo.currentBranch());
        }
    }

    @Test
    void renamingTheCurrentBranchTakesHeadAlong() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.renameBranch("main", "trunk", false);
            assertEquals("trunk", repo.currentBranch());
            assertEquals(List.of("trunk"), repo.branches());
            assertEquals(two, repo.headCommit());
            TestModels.writeSafetensors(w, TestModels.randomTensors(3, 2, 100));
            ObjectId three = repo.commit(CommitRequest.of("three"), List.of(w));
            assertEquals(three, repo.branchTip("trunk"), "commits go on under the new name");
        }
    }

    @Test
    void anExistingNameIsReplacedOnlyWithForceAndNeverHeads() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.createBranch("old", "HEAD~1");
            repo.createBranch("other", "HEAD~1");
            BadInputException e = assertThrows(BadInputException.class, () -> repo.renameBranch("old", "other", false));
            assertTrue(e.getMessage().contains("already exists"), e.getMessage());
            assertThrows(BadInputException.class, () -> repo.renameBranch("old", "main", true), "HEAD's branch is never replaced");
            assertThrows(BadInputException.class, () -> repo.renameBranch("gone", "x", false));
            assertThrows(BadInputException.class, () -> repo.renameBranch("old", "bad..name", false));
            assertEquals(List.of("main", "old", "other"), repo.branches(), "refused renames change nothing");

            repo.forceBranch("old", "HEAD");
            repo.renameBranch("old", "other", true);
            assertEquals(List.of("main", "other"), repo.branches());
            assertEquals(two, repo.branchTip("other"));
            repo.renameBranch("other", "other", false);
            assertEquals(two, repo.branchTip("other"), "a rename onto itself is nothing");
        }
    }

    @Test
    void theCheckedOutFilesStay() throws IOException {
        byte[] before = Files.readAllBytes(w);
        try (Repository repo = Repository.open(dir)) {
            repo.forceBranch("exp", "HEAD~1");
            repo.renameBranch("main", "trunk", false);
            assertArrayEquals(before, Files.readAllBytes(w));
            assertTrue(repo.status().isClean(), repo.status().toString());
        }
    }
}
