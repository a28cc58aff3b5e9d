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
 * {@code export -o FILE} refuses, before it writes anything, a folder as its target and any path
 * into the repository's own {@code .coral} (through a link too): exported there, weights took the
 * place of the repository's HEAD, and every later command failed on it ("bad magic").
 */
class ExportTargetTest {
    @TempDir
    Path dir;
    private byte[] committed;

    @BeforeEach
    void committed() throws IOException {
        Path m = TestModels.writeSafetensors(dir.resolve("m.safetensors"), TestModels.randomTensors(1, 2, 500));
        committed = Files.readAllBytes(m);
        try (Repository repo = Repository.init(dir)) {
            repo.commit(CommitRequest.of("one"), List.of(m));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {".coral/HEAD", ".coral/packs/new.safetensors", ".coral/refs/heads/main", "sub/../.coral/x.safetensors",
        ".coral/not-there-yet/x.safetensors"})
    void intoCoralIsRefusedAndNothingChanges(String target) throws IOException {
        String before = TestModels.listing(dir);
        try (Repository repo = Repository.open(dir)) {
            BadInputException x = assertThrows(BadInputException.class,
                    () -> repo.export("HEAD", "m.safetensors", dir.resolve(target), "safetensors"));
            assertEquals(dir.resolve(target) + ": inside .coral, which Coral manages itself", x.getMessage());
        }
        assertEquals(before, TestModels.listing(dir));
        try (Repository repo = Repository.open(dir)) {
            assertEquals("one", repo.readCommit(repo.resolve("HEAD")).message());
        }
    }

    @Test
    void throughALinkIntoCoralIsRefused() throws IOException {
        Files.createSymbolicLink(dir.resolve("link"), dir.resolve(".coral"));
        try (Repository repo = Repository.open(dir)) {
            BadInputException x = assertThrows(BadInputException.class,
                    () -> repo.export("HEAD", "m.safetensors", dir.resolve("link/HEAD"), "safetensors"));
            assertTrue(x.getMessage().endsWith("inside .coral, which Coral manages itself"), x.getMessage());
            assertEquals("one", repo.readCommit(repo.resolve("HEAD")).message());
        }
    }

    @Test
    void ontoAFolderIsRefused() throws IOException {
        Files.createDirectories(dir.resolve("out"));
        try (Repository repo = Repository.open(dir)) {
            BadInputException x = assertThrows(BadInputException.class,
                    () -> repo.export("HEAD", "m.safetensors", dir.resolve("out"), "safetensors"));
            assertEquals(dir.resolve("out") + ": a folder; give the name of the file to write", x.getMessage());
        }
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".tmp-")), "no temporary file left");
        }
    }

    @Test
    void besideIntoANewFolderWorks() throws IOException {
        try (Repository repo = Repository.open(dir)) {
            repo.export("HEAD", "m.safetensors", dir.resolve("new/sub/copy.safetensors"), null);
        }
        assertArrayEquals(committed, Files.readAllBytes(dir.resolve("new/sub/copy.safetensors")));
    }
}
