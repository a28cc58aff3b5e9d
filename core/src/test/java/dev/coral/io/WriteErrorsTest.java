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

    /**
     * A folder the user may not write refuses the temporary file a write makes beside its target:
     * the error names the target, as the same kind of exception (tested without such a folder: root,
     * which runs the suite here, may write any; checked by hand as another user, see the README).
     */
    @Test
    void anErrorAboutTheTemporarySiblingNamesTheTarget() {
        Path f = dir.resolve("m.safetensors");
        Path tmp = AtomicFile.tempSibling(f);
        IOException denied = WriteErrors.naming(f, new AccessDeniedException(tmp.toString()));
        assertTrue(denied instanceof AccessDeniedException, denied.toString());
        assertEquals(f.toString(), ((AccessDeniedException) denied).getFile());
        IOException other = WriteErrors.naming(f, new java.nio.file.FileSystemException(tmp.toString(), null, "Read-only file system"));
        assertEquals(f + ": Read-only file system", other.getMessage());
        Path longName = dir.resolve("x".repeat(240) + ".safetensors");
        IOException cut = WriteErrors.naming(longName, new AccessDeniedException(AtomicFile.tempSibling(longName).toString()));
        assertEquals(longName.toString(), ((AccessDeniedException) cut).getFile(), "a temporary name cut short is the target's too");
        AccessDeniedException elsewhere = new AccessDeniedException(dir.resolve("sub").resolve(tmp.getFileName()).toString());
        assertSame(elsewhere, WriteErrors.naming(f, elsewhere), "a temporary file of that name in another folder is not the target's");
        AccessDeniedException otherFile = new AccessDeniedException(AtomicFile.tempSibling(dir.resolve("m.npz")).toString());
        assertSame(otherFile, WriteErrors.naming(f, otherFile));
        Path packs = dir.resolve("packs");
        IOException pack = WriteErrors.naming(packs, new AccessDeniedException(AtomicFile.tempSibling(packs.resolve("incoming.pack")).toString()));
        assertEquals(packs.toString(), ((AccessDeniedException) pack).getFile(), "a temporary file in the folder written to names the folder");
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
