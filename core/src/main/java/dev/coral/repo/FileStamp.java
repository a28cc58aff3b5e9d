package dev.coral.repo;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What one stat of a working file says of its content without reading it: size, modification
 * time, and a change stamp, its status-change time (ctime, in nanoseconds) and inode mixed into
 * one value. A write that keeps size and modification time ({@code cp -p}, {@code rsync -t},
 * {@code tar x}, a tool that restores the time) still changes the ctime, which no tool can set,
 * and a file put in place by a rename has another inode: git compares both for the same reason.
 * Where the platform gives neither (no "unix" attribute view), the stamp is {@link #UNKNOWN} and
 * only size and time are compared, as before the stamp was recorded.
 */
public record FileStamp(long size, long mtimeMillis, long change) {
    /** The change stamp of a platform without ctime and inode, or of an entry that recorded none. */
    public static final long UNKNOWN = 0;

    private static final boolean UNIX_VIEW = FileSystems.getDefault().supportedFileAttributeViews().contains("unix");

    /** The stamp of {@code file} (following a symbolic link, as reading it does). */
    public static FileStamp of(Path file) throws IOException {
        if (UNIX_VIEW) {
            return of(Files.readAttributes(file, "unix:size,lastModifiedTime,ctime,ino"));
        }
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return new FileStamp(a.size(), a.lastModifiedTime().toMillis(), UNKNOWN);
    }

    /**
     * A stamp and which file it is: device and inode, or null where the platform gives neither;
     * and the modification and change times as finely as the platform gives them (nanoseconds
     * since the epoch; the change time is the modification time where there is none). Two of the
     * same path with the same stamp and identity are of one file unchanged between them.
     */
    public record Identified(FileStamp stamp, Object identity, long modifiedNanos, long changedNanos) {
        /** The later of the two times: when the file last changed, content or attributes. */
        public long newestNanos() {
            return Math.max(modifiedNanos, changedNanos);
        }
    }

    /** The stamp and identity of {@code file} from one stat (following a symbolic link). */
    public static Identified identified(Path file) throws IOException {
        if (UNIX_VIEW) {
            Map<String, Object> a = Files.readAttributes(file, "unix:size,lastModifiedTime,ctime,ino,dev");
            return new Identified(of(a), java.util.List.of(a.get("dev"), a.get("ino")),
                    ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS), ((FileTime) a.get("ctime")).to(TimeUnit.NANOSECONDS));
        }
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        long modified = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
        return new Identified(new FileStamp(a.size(), a.lastModifiedTime().toMillis(), UNKNOWN), a.fileKey(), modified, modified);
    }

    private static FileStamp of(Map<String, Object> a) {
        return new FileStamp((Long) a.get("size"), ((FileTime) a.get("lastModifiedTime")).toMillis(),
                change(((FileTime) a.get("ctime")).to(TimeUnit.NANOSECONDS), (Long) a.get("ino")));
    }

    /** ctime and inode mixed into one value other than {@link #UNKNOWN}. */
    static long change(long ctimeNanos, long inode) {
        long s = (ctimeNanos * 0x9E3779B97F4A7C15L) ^ Long.rotateLeft(inode, 32) ^ inode;
        return s == UNKNOWN ? 1 : s;
    }

    /** Whether two change stamps may be of the same content: equal, or either unknown. */
    public static boolean sameChange(long a, long b) {
        return a == UNKNOWN || b == UNKNOWN || a == b;
    }
}
