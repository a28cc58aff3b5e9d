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
 * {@code rm} refuses, as git's does and before it changes anything, what would lose work: deleting
 * a file with local modifications or whose staged version is in no commit, and (with
 * {@code --cached}) unstaging a version that is neither HEAD's nor the working file's. Force does it
 * all the same. Before, rm deleted a modified checkpoint without a word.
 */
class RemoveSafetyTest {
    @TempDir
    Path dir;
    private Path a;
    private Path b;

    /** a and b (in models/) committed. */
    @BeforeEach
    void committed() throws IOException {
        Files.createDirectories(dir.resolve("models"));
        a = TestModels.writeSafetensors(dir.resolve("models/a.safetensors"), TestModels.randomTensors(1, 2, 500));
        b = TestModels.writeSafetensors(dir.resolve("models/b.safetensors"), TestModels.randomTensors(2, 2, 500));
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("one"), List.of(a, b));
        }
    }

    private void refused(Repository repo, List<Path> paths, boolean cached, String want) throws IOException {
        byte[] index = Files.readAllBytes(repo.indexFile());
        byte[] aBytes = Files.exists(a) ? Files.readAllBytes(a) : null;
        BadInputException x = assertThrows(BadInputException.class, () -> repo.remove(paths, cached));
        assertEquals(want, x.getMessage());
        assertArrayEquals(index, Files.readAllBytes(repo.indexFile()), "nothing unstaged");
        if (aBytes != null) {
            assertArrayEquals(aBytes, Files.readAllBytes(a), "nothing deleted");
        }
        assertTrue(Files.exists(b), "nothing deleted");
    }

    @Test
    void aCommittedUnchangedFileIsRemoved() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            assertEquals(List.of("models/a.safetensors"), repo.remove(List.of(a), false));
            assertFalse(Files.exists(a));
            assertEquals(List.of(new Status.Change(Status.Kind.DELETED, "models/a.safetensors")), repo.status().staged());
        }
    }

    /** The repository's root is a folder like any other: {@code rm .} (before, ". : not tracked"). */
    @Test
    void theRootFolderMeansEveryTrackedFile() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            assertEquals(List.of("models/a.safetensors", "models/b.safetensors"), repo.remove(List.of(dir.resolve(".")), true));
            assertTrue(Files.exists(a) && Files.exists(b), "--cached keeps the files");
            assertEquals(2, repo.status().staged().size());
            BadInputException x = assertThrows(BadInputException.class, () -> repo.remove(List.of(dir), false));
            assertEquals(dir + ": not tracked", x.getMessage(), "nothing is tracked any more");
        }
    }

    @Test
    void aLocallyModifiedFileIsKeptUnlessCachedOrForced() throws IOException {
        TestModels.writeSafetensors(a, TestModels.randomTensors(3, 2, 500));
        byte[] modified = Files.readAllBytes(a);
        try (Repository repo = Repository.open(dir)) {
            refused(repo, List.of(a), false,
                    "models/a.safetensors: has local modifications; commit them, keep the file with --cached, or use --force");
            refused(repo, List.of(dir.resolve("models")), false,
                    "models/a.safetensors: has local modifications; commit them, keep the file with --cached, or use --force");
            repo.remove(List.of(a), true);
            assertArrayEquals(modified, Files.readAllBytes(a), "--cached keeps the file");
            repo.add(List.of(a));
            repo.commit(CommitRequest.of("two"));
            TestModels.writeSafetensors(a, TestModels.randomTensors(4, 2, 500));
            repo.remove(List.of(a), false, true);
            assertFalse(Files.exists(a), "forced");
        }
    }

    @Test
    void aStagedVersionInNoCommitIsKeptUnlessCachedOrForced() throws IOException {
        TestModels.writeSafetensors(a, TestModels.randomTensors(3, 2, 500));
        Path c = TestModels.writeSafetensors(dir.resolve("c.safetensors"), TestModels.randomTensors(5, 2, 500));
        try (Repository repo = Repository.open(dir)) {
            repo.add(List.of(a, c));
            refused(repo, List.of(a), false,
                    "models/a.safetensors: has changes staged for the next commit; keep the file with --cached, or use --force");
            assertThrows(BadInputException.class, () -> repo.remove(List.of(c), false), "a new file, staged only");
            repo.remove(List.of(c), true);
            assertTrue(Files.exists(c), "--cached keeps it: its bytes are the staged version's");
            repo.remove(List.of(a), false, true);
            assertFalse(Files.exists(a), "forced");
        }
    }

    @Test
    void aFileGoneAlreadyIsUnstagedWhateverItsStagedVersion() throws IOException {
        TestModels.writeSafetensors(a, TestModels.randomTensors(3, 2, 500));
        try (Repository repo = Repository.open(dir)) {
            repo.add(List.of(a));
            Files.delete(a);
            assertEquals(List.of("models/a.safetensors"), repo.remove(List.of(a), false));
            assertEquals(List.of(new Status.Change(Status.Kind.DELETED, "models/a.safetensors")), repo.status().staged());
        }
    }

    @Test
    void cachedRefusesAStagedVersionNeitherHeadsNorTheFiles() throws IOException {
        TestModels.writeSafetensors(a, TestModels.randomTensors(3, 2, 500));
        try (Repository repo = Repository.open(dir)) {
            repo.add(List.of(a));
            TestModels.writeSafetensors(a, TestModels.randomTensors(4, 2, 500));
            refused(repo, List.of(a), true,
                    "models/a.safetensors: its staged version is neither HEAD's nor the working file's; use --force to unstage it");
            repo.remove(List.of(a), true, true);
            assertTrue(Files.exists(a));
            assertTrue(repo.status().untracked().contains("models/a.safetensors"));
        }
    }
}
