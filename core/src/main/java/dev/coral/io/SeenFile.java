package dev.coral.io;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * What was at a working path when a command decided it may replace or delete it: nothing, or a
 * file by its identity (device and inode), size and modification time, which a rename keeps. A
 * checkout compares it again as it replaces the file, so that a file another process wrote there
 * since (a training loop's next checkpoint) is left as that process wrote it, not lost.
 */
public record SeenFile(Object fileKey, long size, long mtimeNanos, boolean present) {
    /** Nothing at the path. */
    public static final SeenFile ABSENT = new SeenFile(null, -1, -1, false);

    /**
     * What is at {@code path} now (a link itself, not followed); nothing, too, where a file is in
     * the place of one of its folders (a checkout deletes it first, to make way).
     */
    public static SeenFile of(Path path) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException gone) {
            return ABSENT;
        } catch (FileSystemException e) {
            if ("Not a directory".equals(e.getReason())) {
                return ABSENT; // a path under a file: JDK 17 says so, JDK 25 calls it missing
            }
            throw e;
        }
        return new SeenFile(a.fileKey(), a.size(), a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS), true);
    }

    /**
     * Whether {@code now} may be the file seen: the same size and time, and the same identity
     * where the platform gives one.
     */
    public boolean sameAs(SeenFile now) {
        if (present != now.present) {
            return false;
        }
        return !present || size == now.size && mtimeNanos == now.mtimeNanos
                && (fileKey == null || now.fileKey == null || Objects.equals(fileKey, now.fileKey));
    }
}
