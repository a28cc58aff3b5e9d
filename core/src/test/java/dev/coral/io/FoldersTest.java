package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FoldersTest {
    @TempDir
    Path dir;

    @Test
    void makesMissingFoldersAndLeavesExistingOnes() throws IOException {
        Path deep = dir.resolve("a/b/c");
        Folders.ensure(deep);
        assertTrue(Files.isDirectory(deep));
        Path kept = Files.writeString(deep.resolve("kept"), "x");
        Folders.ensure(deep);
        Folders.ensure(dir.resolve("a"));
        assertTrue(Files.exists(kept), "an existing folder is left as it is");
    }

    @Test
    void aFileInTheWayIsRefused() throws IOException {
        Path file = Files.writeString(dir.resolve("f"), "x");
        java.nio.file.FileSystemException e = assertThrows(java.nio.file.FileSystemException.class, () -> Folders.ensure(file));
        assertTrue(e.getMessage().equals(file + ": a file is in place of this folder (move it away)"), e.getMessage());
        e = assertThrows(java.nio.file.FileSystemException.class, () -> Folders.ensure(file.resolve("below")));
        assertTrue(e.getMessage().startsWith(file + ": a file is in place"), "names the file in the way, not the folder wanted: "
                + e.getMessage());
        assertThrows(IOException.class, () -> Folders.ensure(file.resolve("below")));
    }
}
