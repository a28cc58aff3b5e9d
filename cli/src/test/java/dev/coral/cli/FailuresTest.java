package dev.coral.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Failures no command test provokes, turned into their one line. */
class FailuresTest {
    private record Reported(int code, String err) {
    }

    private static Reported report(Throwable t) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        int code = Failures.report(t, new Session(new PrintStream(new ByteArrayOutputStream()), errStream, false, false));
        return new Reported(code, err.toString(StandardCharsets.UTF_8));
    }

    /**
     * zstd-jni's library copied into a temporary folder mounted noexec does not load (a user who
     * may not write cli/target, where the copy is kept): one line that says what to do, not an
     * "internal error" carrying zstd-jni's three-line message.
     */
    @Test
    void zstdsNativeLibraryNotLoadingSaysWhatToDo() {
        Reported r = report(new UnsatisfiedLinkError("/tmp/noexec/libzstd-jni-1.5.7-61.so: /tmp/noexec/libzstd-jni-1.5.7-61.so: failed to map"
                + " segment from shared object\nno zstd-jni-1.5.7-6 in java.library.path: /usr/lib\nUnsupported OS/arch, cannot find"
                + " /linux/amd64/libzstd-jni-1.5.7-6.so"));
        assertEquals(Failures.FAILED, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("coral: cannot load zstd-jni's native library (/tmp/noexec/libzstd-jni-1.5.7-61.so: "), r.err());
        assertTrue(r.err().contains("failed to map segment from shared object)") && r.err().contains("-Djava.io.tmpdir=DIR")
                && !r.err().contains("internal error") && !r.err().contains("Unsupported OS"), r.err());
        Reported other = report(new UnsatisfiedLinkError("libfoo.so: cannot open shared object file"));
        assertTrue(other.err().startsWith("coral: internal error: java.lang.UnsatisfiedLinkError"), "only zstd-jni's is explained: " + other.err());
    }

    @Test
    void aProcessOutOfFilesIsToldHowToRaiseItsLimit() {
        Reported r = report(new java.nio.file.FileSystemException("/w/.coral/HEAD.lock", null, "Too many open files"));
        assertEquals(Failures.FAILED, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("coral: /w/.coral/HEAD.lock: Too many open files (") && r.err().contains("ulimit -n"), r.err());
        Reported fsck = report(new java.io.IOException("fsck could not open every file it checks (2 of its 2 findings were 'Too many"
                + " open files', so none is to be believed): raise the limit (ulimit -n) and run it again"));
        assertEquals(1, fsck.err().split("ulimit", -1).length - 1, "advice given once: " + fsck.err());
        Reported init = report(new ExceptionInInitializerError(new java.io.IOException("Too many open files")));
        assertTrue(init.err().startsWith("coral: too many open files (") && init.err().contains("ulimit -n"), "not an internal error: " + init.err());
    }

    @Test
    void aThreadThatCouldNotStartIsToldAsALimitNotAnInternalError() {
        OutOfMemoryError oom = new OutOfMemoryError("unable to create native thread: possibly out of memory or process/resource limits reached");
        for (Throwable t : new Throwable[] {oom, new java.util.concurrent.CompletionException(oom), new java.io.IOException("commit", oom)}) {
            Reported r = report(t);
            assertEquals(Failures.FAILED, r.code());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("coral: cannot start another thread: ") && r.err().contains("ulimit -u"), r.err());
        }
        Reported heap = report(new OutOfMemoryError("Java heap space"));
        assertTrue(heap.err().startsWith("coral: out of memory: the JVM's heap (at most "), "not a thread's: " + heap.err());
        Reported other = report(new OutOfMemoryError("Direct buffer memory"));
        assertTrue(other.err().startsWith("coral: internal error: java.lang.OutOfMemoryError: Direct buffer memory"), other.err());
    }

    @Test
    void aHeapTooSmallSaysHowToGiveItMore() {
        Reported r = report(new OutOfMemoryError("Java heap space"));
        assertEquals(Failures.FAILED, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertEquals("out of memory: the JVM's heap (at most 96 MB) is too small for this command; give it more with CORAL_JAVA_OPTS=-Xmx1g"
                + " (or more), and run it again", Failures.heapTooSmall(96L << 20));
        assertTrue(Failures.heapTooSmall(4L << 30).contains("-Xmx8g"), Failures.heapTooSmall(4L << 30));
        assertTrue(r.err().contains("CORAL_JAVA_OPTS=-Xmx"), r.err());
    }

    @Test
    void aFileTooLargeSaysWhichLimitsThereAre() {
        Reported r = report(new java.nio.file.FileSystemException("/w/.coral/packs", null, "File too large"));
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("coral: /w/.coral/packs: File too large (") && r.err().contains("ulimit -f"), r.err());
    }
}
