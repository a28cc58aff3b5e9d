package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CorruptObjectException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Metadata files are read whole only when they are regular files of a size they can have. */
class RegularFileBytesTest {
    @TempDir
    Path dir;

    @Test
    void readsARegularFileWholeAndUpToItsLimit() throws IOException {
        Path f = Files.write(dir.resolve("f"), new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, RegularFileBytes.read(f, 3, "a test file"));
        CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> RegularFileBytes.read(f, 2, "a test file"));
        assertTrue(e.getMessage().equals(f + ": 3 bytes, more than a test file can be (2)"), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> RegularFileBytes.read(dir.resolve("none"), 10, "a test file"));
        assertThrows(IOException.class, () -> RegularFileBytes.read(dir, 10, "a test file"), "a folder fails as reading it does");
    }

    /**
     * A file under a file where a folder should be fails as "Not a directory", not as a missing
     * file (JDK 25's attribute read says missing; JDK 17's said this), however deep below it.
     */
    @Test
    void aFileInPlaceOfAFolderIsNotTakenForAMissingFile() throws IOException {
        Path cache = Files.writeString(dir.resolve("cache"), "x");
        for (Path f : new Path[] {cache.resolve("similarity"), cache.resolve("a/b/similarity")}) {
            FileSystemException e = assertThrows(FileSystemException.class, () -> RegularFileBytes.read(f, 10, "a test file"));
            assertFalse(e instanceof NoSuchFileException, f + ": " + e);
            assertEquals("Not a directory", e.getReason(), f + ": " + e);
            assertEquals(f.toString(), e.getFile());
        }
        assertThrows(NoSuchFileException.class, () -> RegularFileBytes.read(dir.resolve("a/b/none"), 10, "a test file"),
                "under folders that are missing, the file is missing");
    }

    /** A link to an endless device, or a pipe (whose open would wait for a writer), is refused before it is opened. */
    @Test
    void refusesDevicesAndPipesAtOnce() throws Exception {
        Path zero = Files.createSymbolicLink(dir.resolve("zero"), Path.of("/dev/zero"));
        Assumptions.assumeTrue(Files.exists(zero), "no /dev/zero here");
        CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> RegularFileBytes.read(zero, Long.MAX_VALUE, "HEAD"));
        assertTrue(e.getMessage().equals(zero + ": not a regular file (a device, pipe or socket), so not HEAD"), e.getMessage());
        Path fifo = dir.resolve("fifo");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        Assumptions.assumeTrue(p.waitFor() == 0, "mkfifo is missing");
        assertThrows(CorruptObjectException.class, () -> RegularFileBytes.read(fifo, 100, "a ref"));
    }
}
