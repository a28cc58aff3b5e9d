package dev.coral.io;

import dev.coral.error.CorruptObjectException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads a whole metadata file, refusing what no such file can be: a device, pipe or socket (a
 * link to {@code /dev/zero} in place of {@code .coral/HEAD} read for ever, growing the heap by
 * gigabytes, and a pipe would block the open; found by fuzzing), or more bytes than the file
 * can hold. A folder fails as reading it does; a missing file throws
 * {@link java.nio.file.NoSuchFileException}, but one under a file where a folder should be (a
 * file in place of {@code .coral/cache}) fails as "Not a directory" on every JDK: JDK 17's
 * attribute read said so, JDK 25's says the file is missing, and a damaged repository was then
 * read as one without the file, in silence (found running the suite on Temurin 25).
 */
public final class RegularFileBytes {
    private RegularFileBytes() {
    }

    /** All bytes of {@code file}, at most {@code maxBytes} of them, else a {@link CorruptObjectException} naming it as {@code what}. */
    public static byte[] read(Path file, long maxBytes, String what) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class); // through links, as the read goes
        } catch (NoSuchFileException e) {
            for (Path p = file.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
                if (Files.exists(p)) {
                    if (!Files.isDirectory(p)) {
                        throw new FileSystemException(file.toString(), null, "Not a directory");
                    }
                    break;
                }
            }
            throw e;
        }
        if (!a.isRegularFile() && !a.isDirectory()) {
            throw new CorruptObjectException(file + ": not a regular file (a device, pipe or socket), so not " + what);
        }
        if (a.size() > maxBytes) {
            throw new CorruptObjectException(file + ": " + a.size() + " bytes, more than " + what + " can be (" + maxBytes + ")");
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes((int) Math.min(maxBytes, Integer.MAX_VALUE - 8) + 1);
            if (b.length > maxBytes) {
                throw new CorruptObjectException(file + ": more than " + maxBytes + " bytes, more than " + what + " can be");
            }
            return b;
        }
    }
}
