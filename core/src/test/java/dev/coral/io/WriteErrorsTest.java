package dev.coral.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.coral.error.CorruptObjectException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write's bare operating-system error names its file; anything else passes as it is. */
class WriteErrorsTest {
    @TempDir
    Path dir;

    @Test
    void aBareErrorNamesTheFileOnce() {
        Path f = dir.resolve("m.safetensors");
        IOException named = WriteErrors.naming(f, new IOException("No space left on device"));
        assertEquals(f + ": No space left on device", named.getMessage());
        assertSame(named, WriteErrors.naming(f, named), "named once");
        assertEquals(f + ": write failed", WriteErrors.naming(f, new IOException()).getMessage());
    }

    @Test
    void otherErrorsPassAsTheyAre() {
        Path f = dir.resolve("m.safetensors");
        for (IOException e : new IOException[] {new InterruptedIOException("interrupted"), new AccessDeniedException("x"),
            new CorruptObjectException("bad chunk")}) {
            assertSame(e, WriteErrors.naming(f, e));
        }
    }

    /** /dev/full fails every write with ENOSPC, as a full disk does (Linux). */
    @Test
    void aFullDeviceNamesTheTargetOfAnAtomicWrite() throws IOException {
        Path full = Path.of("/dev/full");
        if (!Files.isWritable(full)) {
            throw new IllegalStateException("this test needs /dev/full (Linux): it is not there or not writable");
        }
        Path target = dir.resolve("index");
        IOException e = assertThrows(IOException.class, () -> {
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(full, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(new byte[4096]));
            } catch (IOException raw) {
                throw WriteErrors.naming(target, raw);
            }
        });
        assertTrue(e.getMessage().startsWith(target + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
    }
}
