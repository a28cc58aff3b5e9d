package dev.coral.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
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
     * not name it already; a file-system exception about {@code file}'s temporary sibling ({@link
     * AtomicFile#tempSibling}) as the same exception about {@code file}, the name the user knows (a
     * checkout into a folder the user may not write said "coral: /w/.tmp-m.safetensors-5c1e...:
     * permission denied", found running commands as a user other than root); any other exception
     * (a file-system exception names its file, an interruption or a Coral error says what it is)
     * as it is.
     */
    public static IOException naming(Path file, IOException e) {
        if (e instanceof FileSystemException fs && fs.getFile() != null && isTemporaryOf(Path.of(fs.getFile()), file)) {
            return asTarget(fs, file);
        }
        String m = e.getMessage();
        if (e.getClass() != IOException.class || m != null && m.contains(file.toString())) {
            return e;
        }
        return new IOException(file + ": " + (m == null ? "write failed" : m), e);
    }

    /**
     * Whether {@code path} is a temporary sibling of {@code file} ({@code .tmp-NAME-UUID} in its
     * folder), or a temporary file in {@code file} when that is the folder written to (a pack's
     * {@code .tmp-incoming.pack-UUID} in {@code .coral/packs}).
     */
    private static boolean isTemporaryOf(Path path, Path file) {
        Path name = path.getFileName();
        Path parent = path.toAbsolutePath().getParent();
        if (name == null || parent == null || !name.toString().startsWith(AtomicFile.TEMP_PREFIX)) {
            return false;
        }
        return parent.equals(file.toAbsolutePath())
                || parent.equals(file.toAbsolutePath().getParent())
                && name.toString().startsWith(AtomicFile.TEMP_PREFIX + AtomicFile.tempStem(file.getFileName().toString()) + "-");
    }

    /** {@code e}, of the same kind and reason, about {@code file}. */
    private static FileSystemException asTarget(FileSystemException e, Path file) {
        String f = file.toString();
        FileSystemException named;
        if (e instanceof AccessDeniedException) {
            named = new AccessDeniedException(f, null, e.getReason());
        } else if (e instanceof NoSuchFileException) {
            named = new NoSuchFileException(f, null, e.getReason());
        } else if (e instanceof FileAlreadyExistsException) {
            named = new FileAlreadyExistsException(f, null, e.getReason());
        } else {
            named = new FileSystemException(f, null, e.getReason());
        }
        named.initCause(e);
        return named;
    }
}
