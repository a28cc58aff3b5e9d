package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Paths that are gone stage (and {@code commit PATH} commits) the removal of the files tracked
 * there, as git does: a removal {@code rm} staged is committed by {@code commit .} or by naming
 * the file, and a deleted folder of tracked files can be named to {@code add} and
 * {@code commit}. Before (found by fuzzing), {@code commit .} committed the file rm had removed
 * and left the removal staged, and naming the file or the deleted folder said "no such file or
 * folder".
 */
class GoneTrackedPathsTest {
    @TempDir
    Path dir;

    @BeforeEach
    void threeFilesCommitted() throws IOException {
        for (String f : List.of("a.safetensors", "b.safetensors", "sub/c.safetensors", "sub/deep/d.safetensors")) {
            TestModels.writeSafetensors(dir.resolve(f), TestModels.randomTensors(f.length(), 2, 300));
        }
        try (Repository repo = Repository.init(dir)) {
            repo.add(List.of(dir));
            repo.commit(CommitRequest.of("one"));
        }
    }

    private static Set<String> headFiles(Repository repo) throws IOException {
        return repo.readTree(repo.headCommit()).files().keySet();
    }

    @Test
    void commitOfTheFolderCommitsARemovalRmStaged() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.remove(List.of(dir.resolve("a.safetensors")), false);
            Files.delete(dir.resolve("b.safetensors")); // gone without rm
            repo.commit(CommitRequest.of("two"), List.of(dir));
            assertEquals(Set.of("sub/c.safetensors", "sub/deep/d.safetensors"), headFiles(repo));
            assertTrue(repo.status().isClean(), repo.status().toString());
        }
    }

    @Test
    void commitNamingAFileRmRemovedCommitsItsRemovalAlone() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.remove(List.of(dir.resolve("a.safetensors"), dir.resolve("b.safetensors")), false);
            repo.commit(CommitRequest.of("two"), List.of(dir.resolve("a.safetensors")));
            assertEquals(Set.of("b.safetensors", "sub/c.safetensors", "sub/deep/d.safetensors"), headFiles(repo));
            assertEquals(List.of(new Status.Change(Status.Kind.DELETED, "b.safetensors")), repo.status().staged(), "b's removal stays staged");
        }
    }

    @Test
    void aDeletedFolderOfTrackedFilesCanBeAddedAndCommitted() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            Files.delete(dir.resolve("sub/deep/d.safetensors"));
            Files.delete(dir.resolve("sub/deep"));
            Repository.AddResult r = repo.add(List.of(dir.resolve("sub/deep")));
            assertEquals(List.of("sub/deep/d.safetensors"), r.removed());
            Files.delete(dir.resolve("sub/c.safetensors"));
            Files.delete(dir.resolve("sub"));
            repo.commit(CommitRequest.of("two"), List.of(dir.resolve("sub")));
            assertEquals(Set.of("a.safetensors", "b.safetensors"), headFiles(repo));
            assertTrue(repo.status().isClean(), repo.status().toString());
        }
    }

    @Test
    void aPathNeverTrackedIsStillNoSuchFile() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            for (String p : List.of("nothing.safetensors", "nofolder", "sub/nothing")) {
                BadInputException e = assertThrows(BadInputException.class, () -> repo.add(List.of(dir.resolve(p))));
                assertTrue(e.getMessage().endsWith("no such file or folder"), e.getMessage());
                assertThrows(BadInputException.class, () -> repo.commit(CommitRequest.of("x"), List.of(dir.resolve(p))), p);
            }
            repo.remove(List.of(dir.resolve("a.safetensors")), false);
            assertThrows(BadInputException.class, () -> repo.add(List.of(dir.resolve("a.safetensors"))),
                    "add of a removal already staged: nothing there to add, as git says");
        }
    }
}
