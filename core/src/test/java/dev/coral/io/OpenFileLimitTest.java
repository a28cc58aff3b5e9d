package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

/** The process's limit on open files, as {@code /proc/self/limits} gives it, and the failures that say it was met. */
class OpenFileLimitTest {
    private static final String HEAD = "Limit                     Soft Limit           Hard Limit           Units     \n"
            + "Max cpu time              unlimited            unlimited            seconds   \n";

    @Test
    void theSoftLimitIsRead() {
        assertEquals(1024, OpenFileLimit.softLimit(HEAD + "Max open files            1024                 1048576              files     \n"));
        assertEquals(48, OpenFileLimit.softLimit(HEAD + "Max open files            48                   48                   files     \n"));
    }

    @Test
    void anUnlimitedMissingOrGarbledLimitIsUnknown() {
        assertEquals(-1, OpenFileLimit.softLimit(HEAD + "Max open files            unlimited            unlimited            files     \n"));
        assertEquals(-1, OpenFileLimit.softLimit(HEAD));
        assertEquals(-1, OpenFileLimit.softLimit(""));
        assertEquals(-1, OpenFileLimit.softLimit("Max open files"));
        assertEquals(-1, OpenFileLimit.softLimit("Max open files   99999999999999999999999 1"));
        assertEquals(-1, OpenFileLimit.softLimit("Max open files   -5 1"));
    }

    @Test
    void thisProcessLimitIsKnownOnLinux() {
        if (java.nio.file.Files.isReadable(java.nio.file.Path.of("/proc/self/limits"))) {
            assertTrue(OpenFileLimit.current() > 0, "read from /proc/self/limits: " + OpenFileLimit.current());
        } else {
            assertEquals(-1, OpenFileLimit.current());
        }
    }

    @Test
    void theFailuresThatSayTheLimitWasMetAreKnown() {
        assertTrue(OpenFileLimit.reached(new FileSystemException("/r/.coral/packs/pack-1.pack", null, "Too many open files")));
        assertTrue(OpenFileLimit.reached(new FileSystemException("/r/a.npy", null, "Too many open files in system")));
        assertTrue(OpenFileLimit.reached(new FileNotFoundException("/r/a.npy (Too many open files)")));
        assertTrue(OpenFileLimit.reached(new UncheckedIOException(new IOException("reading x",
                new FileSystemException("/r/x", null, "Too many open files")))));
        assertFalse(OpenFileLimit.reached(new NoSuchFileException("/r/a.npy")));
        assertFalse(OpenFileLimit.reached(new FileSystemException("/r/a.npy", null, "No space left on device")));
        assertFalse(OpenFileLimit.reached(new IOException((String) null)));
        assertFalse(OpenFileLimit.reached(null));
    }

    @Test
    void theAdviceSaysHowToRaiseIt() {
        String advice = OpenFileLimit.advice();
        assertTrue(advice.contains("ulimit -n"), advice);
        if (OpenFileLimit.current() > 0) {
            assertTrue(advice.contains("may open " + OpenFileLimit.current() + " files"), advice);
        }
    }
}
