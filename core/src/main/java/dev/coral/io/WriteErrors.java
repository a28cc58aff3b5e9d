package dev.coral.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Names the file an operating-system error of a write belongs to. The JDK reports a write or an
 * fsync that fails (a full disk, a quota, an I/O error) as a bare {@link IOException} carrying
 * only the system's words, so "coral: No space left on device" named nothing (found by fuzzing
 * with a full disk); operations that write a file of their own pass their errors through here.
 */
public final class WriteErrors {
    private WriteErrors() {
    }

    /**
     * {@code e} with {@code file} in front of its message when it is a bare IOException that does
     * not name it already; any other exception (a file-system exception names its file, an
     * interruption or a Coral error says what it is) as it is.
     */
    public static IOException naming(Path file, IOException e) {
        String m = e.getMessage();
        if (e.getClass() != IOException.class || m != null && m.contains(file.toString())) {
            return e;
        }
        return new IOException(file + ": " + (m == null ? "write failed" : m), e);
    }
}
