package dev.coral.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Durable replacement of a file: write a temporary sibling, fsync it, rename it over the target
 * atomically, fsync the folder. A crash leaves the old file or the new one, never a mix; a
 * leftover temporary ({@code .tmp-} prefix) is garbage for {@code coral gc}.
 */
public final class AtomicFile {
    /** Prefix of temporary files; anything starting with it is a leftover of a dead writer. */
    public static final String TEMP_PREFIX = ".tmp-";

    private AtomicFile() {
    }

    public static void write(Path target, byte[] content) throws IOException {
        write(target, content, true);
    }

    /**
     * As {@link #write(Path, byte[])}; without {@code durable}, nothing is fsynced: the
     * replacement is still atomic (old or new file, never a mix), but a crash of the machine may
     * lose it. For scratch files that a crash makes worthless anyway (a repack's).
     */
    public static void write(Path target, byte[] content, boolean durable) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Folders.ensure(dir);
        Path tmp = tempSibling(target);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                FaultPoints.hit("atomicFile.beforeFsync:" + FaultPoints.fileKind(target));
                if (durable) {
                    ch.force(true);
                }
            }
            FaultPoints.hit("atomicFile.beforeRename:" + FaultPoints.fileKind(target));
            moveIntoPlace(tmp, target, durable);
        } catch (IOException e) {
            throw WriteErrors.naming(target, e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A fresh temporary path beside {@code target}. */
    public static Path tempSibling(Path target) {
        return target.toAbsolutePath().resolveSibling(TEMP_PREFIX + tempStem(target.getFileName().toString()) + "-" + UUID.randomUUID());
    }

    /** Longest file name, in bytes of UTF-8, that Linux file systems take (NAME_MAX). */
    static final int MAX_NAME_BYTES = 255;

    /**
     * What a temporary sibling's name keeps of {@code name}: all of it, or as much of its start
     * (whole characters) as lets {@code .tmp-STEM-UUID} fit {@value #MAX_NAME_BYTES} bytes. Found
     * by fuzzing: a file with a name of 224 bytes could be committed and never checked out again
     * ("File name too long" for its temporary file).
     */
    public static String tempStem(String name) {
        int room = MAX_NAME_BYTES - TEMP_PREFIX.length() - 37; // "-" and a UUID's 36 characters
        int bytes = 0;
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes > room) {
                return name.substring(0, i);
            }
            i += Character.charCount(cp);
        }
        return name;
    }

    /** Renames a fully written, fsynced file into place and fsyncs the folder. */
    public static void moveIntoPlace(Path source, Path target) throws IOException {
        moveIntoPlace(source, target, true);
    }

    /** As {@link #moveIntoPlace(Path, Path)}; without {@code durable}, the folder is not fsynced. */
    public static void moveIntoPlace(Path source, Path target, boolean durable) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(target + ": the file system cannot rename atomically", e);
        } catch (FileSystemException e) {
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) { // java.io names the temporary file, not the target
                throw new IOException(target + ": a folder is in its place (move it away to write the file)", e);
            }
            throw e;
        }
        if (durable) {
            fsyncDirectory(target.toAbsolutePath().getParent());
        }
    }

    /** Fsyncs a folder so a rename in it is durable; a no-op where the platform cannot. */
    public static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open folders; Linux and macOS can. Durability there rests on the rename.
        }
    }
}
