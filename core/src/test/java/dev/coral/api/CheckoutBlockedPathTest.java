package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A checkout whose file cannot go where it belongs (a folder at its path, or a file at one of its
 * folders' paths) fails before it writes anything, forced or not, with one line naming the path
 * and what is in the way; the user's folder or file is left as it is, the other files and the
 * staging index too. Before, it failed half-way, naming a temporary file ("Is a directory") or
 * the folder alone ("already exists"), with the files before it already written.
 */
class CheckoutBlockedPathTest {
    @TempDir
    Path dir;
    private Path a;
    private byte[] aSecond;

    /** Two commits of a.safetensors and z/m.safetensors (sorted after a): the second checked out. */
    @BeforeEach
    void twoCommits() throws IOException {
        a = TestModels.writeSafetensors(dir.resolve("a.safetensors"), TestModels.randomTensors(1, 2, 1000));
        Files.createDirectories(dir.resolve("z"));
        Path m = TestModels.writeSafetensors(dir.resolve("z/m.safetensors"), TestModels.randomTensors(2, 2, 1000));
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("one"), List.of(a, m));
            TestModels.writeSafetensors(a, TestModels.randomTensors(3, 2, 1000));
            TestModels.writeSafetensors(m, TestModels.randomTensors(4, 2, 1000));
            repo.commit(CommitRequest.of("two"), List.of(a, m));
        }
        aSecond = Files.readAllBytes(a);
    }

    private void assertRefusedAndNothingWritten(Repository repo, String revision, boolean force, String want) throws IOException {
        byte[] index = Files.readAllBytes(repo.indexFile());
        BadInputException x = assertThrows(BadInputException.class, () -> repo.checkout(revision, force));
        assertEquals(want, x.getMessage());
        assertArrayEquals(aSecond, Files.readAllBytes(a), "a, sorted before the blocked file, is not written either");
        assertArrayEquals(index, Files.readAllBytes(repo.indexFile()), "the staging index is as it was");
        try (var s = Files.walk(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".tmp-")), "no temporary file left");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aFolderWhereTheFileGoes(boolean force) throws IOException {
        Files.delete(dir.resolve("z/m.safetensors"));
        Files.createDirectories(dir.resolve("z/m.safetensors/inside"));
        try (Repository repo = Repository.open(dir)) {
            assertRefusedAndNothingWritten(repo, "HEAD~1", force, "checkout would write z/m.safetensors where a folder is; move it away");
            assertTrue(Files.isDirectory(dir.resolve("z/m.safetensors/inside")), "the folder is left as it is");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aFileWhereItsFolderGoes(boolean force) throws IOException {
        Files.delete(dir.resolve("z/m.safetensors"));
        Files.delete(dir.resolve("z"));
        Files.writeString(dir.resolve("z"), "notes");
        try (Repository repo = Repository.open(dir)) {
            assertRefusedAndNothingWritten(repo, "HEAD~1", force, "checkout would write z/m.safetensors where z is a file; move it away");
            assertEquals("notes", Files.readString(dir.resolve("z")), "the file is left as it is");
        }
    }

    @Test
    void checkingOutPathsIsRefusedTheSameWay() throws IOException {
        Files.delete(dir.resolve("z/m.safetensors"));
        Files.delete(dir.resolve("z"));
        Files.writeString(dir.resolve("z"), "notes");
        try (Repository repo = Repository.open(dir)) {
            BadInputException x = assertThrows(BadInputException.class,
                    () -> repo.checkoutPaths("HEAD~1", List.of(dir.resolve("a.safetensors"), dir.resolve("z/m.safetensors"))));
            assertEquals("checkout would write z/m.safetensors where z is a file; move it away", x.getMessage());
            assertArrayEquals(aSecond, Files.readAllBytes(a));
        }
    }

    @Test
    void onceMovedAwayTheCheckoutWorks() throws IOException {
        Files.delete(dir.resolve("z/m.safetensors"));
        Files.createDirectories(dir.resolve("z/m.safetensors"));
        try (Repository repo = Repository.open(dir)) {
            assertThrows(BadInputException.class, () -> repo.checkout("HEAD", true));
            Files.delete(dir.resolve("z/m.safetensors"));
            repo.checkout("HEAD", true);
            assertTrue(Files.isRegularFile(dir.resolve("z/m.safetensors")));
            assertTrue(repo.status().notStaged().isEmpty());
        }
    }
}
