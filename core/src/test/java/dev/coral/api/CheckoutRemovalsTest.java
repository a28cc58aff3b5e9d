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
 * What a checkout does with removals, as git does (found by fuzzing): a file deleted but not
 * staged stays deleted where index and target agree on it (it came back, where an edit there
 * stayed); a removal staged by rm is not overwritten by another version of the target (the
 * target's version was written and the removal dropped), unless forced.
 */
class CheckoutRemovalsTest {
    @TempDir
    Path dir;
    private Path a;
    private Path c;

    /** Two commits: a the same in both, c changed. */
    @BeforeEach
    void twoCommits() throws IOException {
        a = TestModels.writeSafetensors(dir.resolve("a.safetensors"), TestModels.randomTensors(1, 2, 300));
        c = TestModels.writeSafetensors(dir.resolve("c.safetensors"), TestModels.randomTensors(2, 2, 300));
        try (Repository repo = Repository.init(dir)) {
            repo.add(List.of(a, c));
            repo.commit(CommitRequest.of("one"));
            TestModels.writeSafetensors(c, TestModels.randomTensors(3, 2, 300));
            repo.add(List.of(c));
            repo.commit(CommitRequest.of("two"));
        }
    }

    /**
     * A staged file deleted from disk, then a forced checkout of a commit without it: git removes the
     * folder its removal leaves empty, though the file was already gone (found by the git
     * differential fuzz, seed 27: Coral left sub/deep behind, so a later "add sub/deep" matched it).
     * rm of such a file does the same; a folder holding anything else stays.
     */
    @Test
    void aRemovalOfAFileAlreadyGoneStillRemovesTheFoldersItEmpties() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            Path f = TestModels.writeSafetensors(dir.resolve("sub/deep/f.safetensors"), TestModels.randomTensors(4, 1, 50));
            repo.add(List.of(f));
            Files.delete(f);
            repo.checkout("HEAD", true);
            assertFalse(Files.exists(dir.resolve("sub")), "the checkout removed the staged file's emptied folders");

            Path h = TestModels.writeSafetensors(dir.resolve("y/h.safetensors"), TestModels.randomTensors(6, 1, 50));
            repo.add(List.of(h));
            Files.delete(h);
            Files.delete(dir.resolve("y"));
            Files.writeString(dir.resolve("y"), "a file of the user's where the folder was");
            repo.checkout("HEAD", true);
            assertEquals("a file of the user's where the folder was", Files.readString(dir.resolve("y")), "a file is never taken for a folder");

            Path g = TestModels.writeSafetensors(dir.resolve("x/y/g.safetensors"), TestModels.randomTensors(5, 1, 50));
            Files.writeString(dir.resolve("x/notes.txt"), "the user's");
            repo.add(List.of(g));
            repo.commit(CommitRequest.of("g"));
            Files.delete(g);
            repo.remove(List.of(g), false);
            assertFalse(Files.exists(dir.resolve("x/y")), "rm removed the emptied folder");
            assertEquals("the user's", Files.readString(dir.resolve("x/notes.txt")), "a folder holding a file stays");
        }
    }

    @Test
    void aDeletionNotStagedStaysWhereIndexAndTargetAgree() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            Files.delete(a);
            repo.createBranch("side", "HEAD");
            repo.checkout("side", false);
            assertFalse(Files.exists(a), "same commit: nothing touched");
            repo.checkout("HEAD~1", false);
            assertFalse(Files.exists(a), "a is the same there: its deletion stays");
            assertEquals(List.of(new Status.Change(Status.Kind.DELETED, "a.safetensors")), repo.status().notStaged());
            repo.checkout("HEAD", true);
            assertTrue(Files.exists(a), "forced: written");
        }
    }

    @Test
    void aRemovalRmStagedIsNotOverwrittenByAnotherVersion() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.remove(List.of(c), false);
            BadInputException e = assertThrows(BadInputException.class, () -> repo.checkout("HEAD~1", false));
            assertTrue(e.getMessage().contains("removal of c.safetensors staged"), e.getMessage());
            assertFalse(Files.exists(c));
            assertEquals(List.of(new Status.Change(Status.Kind.DELETED, "c.safetensors")), repo.status().staged(), "still staged");
            repo.checkout("HEAD~1", true);
            assertTrue(Files.exists(c), "forced: the target's version");
        }
        try (Repository repo = Repository.open(dir)) {
            repo.checkout("main", false);
            repo.remove(List.of(a), false);
            repo.checkout("HEAD~1", false); // a is the same there: its removal is carried, as git carries it
            assertFalse(Files.exists(a));
            assertEquals(List.of(new Status.Change(Status.Kind.DELETED, "a.safetensors")), repo.status().staged());
        }
    }
}
