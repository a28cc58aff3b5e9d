package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coral.error.CorruptObjectException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An I/O failure's words name the file once and say what happened to it, whichever class carries them. */
class FailureWordsTest {
    @TempDir
    Path dir;

    @Test
    void fileSystemFailuresSayWhatHappenedToTheirFile() {
        assertEquals("/w/m.npy: no such file or folder", FailureWords.describe(new NoSuchFileException("/w/m.npy")));
        assertEquals("/w/m.npy: permission denied", FailureWords.describe(new AccessDeniedException("/w/m.npy")));
        assertEquals("/w/m.npy: Operation not permitted", FailureWords.describe(new AccessDeniedException("/w/m.npy", null, "Operation not permitted")),
                "a reason given is the system's words");
        assertEquals("/w/m.npy: already exists", FailureWords.describe(new FileAlreadyExistsException("/w/m.npy")));
        assertEquals("/w/m.npy: not a folder", FailureWords.describe(new NotDirectoryException("/w/m.npy")));
        assertEquals("/w: folder not empty", FailureWords.describe(new DirectoryNotEmptyException("/w")));
        assertEquals("/w/m.npy: No space left on device", FailureWords.describe(new FileSystemException("/w/m.npy", null, "No space left on device")));
        assertEquals("/w/m.npy: FileSystemException", FailureWords.describe(new FileSystemException("/w/m.npy")));
    }

    @Test
    void aFailureNamingNoFileGivesItsReasonAlone() {
        assertEquals("no such file or folder", FailureWords.describe(new NoSuchFileException(null)));
        assertEquals("Input/output error", FailureWords.describe(new FileSystemException(null, null, "Input/output error")));
        assertEquals("no such file or folder", FailureWords.reason(new NoSuchFileException("/w/m.npy")));
    }

    @Test
    void otherFailuresGiveTheFirstLineOfTheirMessageOrTheirClass() {
        assertEquals("Is a directory", FailureWords.describe(new IOException("Is a directory")));
        assertEquals("m.npy: truncated", FailureWords.describe(new IOException("m.npy: truncated\n  at chunk 3")));
        assertEquals("m.npy: truncated", FailureWords.describe(new CorruptObjectException("m.npy: truncated")));
        assertEquals("IOException", FailureWords.describe(new IOException()));
        assertEquals("IOException", FailureWords.describe(new IOException("  ")));
        assertEquals("FileNotFoundException", FailureWords.reason(new FileNotFoundException()));
        assertEquals("boom", FailureWords.reason(new IllegalStateException("boom")));
    }

    @Test
    void theWordsOfRealFailuresHere() {
        Path missing = dir.resolve("missing.npy");
        IOException e = assertThrows(IOException.class, () -> Files.readAllBytes(missing));
        assertEquals(missing + ": no such file or folder", FailureWords.describe(e));
        IOException folder = assertThrows(IOException.class, () -> Files.readAllBytes(dir));
        assertEquals("Is a directory", FailureWords.describe(folder), "java.io names no file: callers name it");
    }
}
