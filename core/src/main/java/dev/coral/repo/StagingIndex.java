package dev.coral.repo;

import dev.coral.error.CorruptObjectException;
import dev.coral.io.BinaryReader;
import dev.coral.io.BinaryWriter;
import dev.coral.io.BootId;
import dev.coral.io.ChecksummedFile;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The staging area: the tree the next commit will record, plus what the working file looked like
 * when it was staged or checked out (size, modification time, SHA-256), so {@code status} can
 * tell a modified file from an unchanged one without re-reading it. Immutable; replaced
 * atomically on disk.
 *
 * <p>A checkout writes files into the page cache without fsync ({@link FileRestore}); their
 * entries are marked {@code unsynced}, and the index records the boot they were written in
 * ({@link BootId}). Read in another boot (the machine crashed or restarted since), such an entry's
 * size and time prove nothing: a crash may have lost the bytes and left the size. It is read back
 * {@linkplain #UNVERIFIED unverified}, so the file is compared by its SHA-256 until it is staged
 * or checked out again.
 *
 * <p>An entry whose file was modified less than {@link WorkTree#RACY_MILLIS} before the index was
 * written (git's "racy" entries: the file may have been written again after it was read, within
 * the clock's granularity, keeping size and time with other bytes) is read back unverified too,
 * keeping its unsynced mark: status compares it by content (and restamps it, so the next index,
 * written later, trusts it), checkout hashes it before overwriting it, add reads it again.
 *
 * <p>Each entry also records the file's change stamp ({@link FileStamp}: ctime and inode), so a
 * write that keeps size and modification time ({@code cp -p}, {@code rsync -t}, a tool restoring
 * the time) is not taken for the staged version: before version 3 such a change went unseen by
 * status, add and commit -a, and a checkout then overwrote it without refusing (found by fuzzing).
 * Entries read from versions 1 and 2 have an {@linkplain FileStamp#UNKNOWN unknown} stamp.
 *
 * <pre>Index (ChecksummedFile "CORALSTG") body, version 1 --&gt; Count varint,
 *   (Path string, FileEntryId[32], Size i64 (-1: staged from memory), MtimeMillis i64, FileSha256[32])^Count
 * version 2 (written when an entry is unsynced) --&gt; BootId string, Count varint,
 *   (Path string, FileEntryId[32], Size i64, MtimeMillis i64, FileSha256[32], Flags u8 (1: unsynced))^Count
 * version 3 (written since) --&gt; BootId string (empty: none unsynced), Count varint,
 *   (Path string, FileEntryId[32], Size i64, MtimeMillis i64, ChangeStamp i64, FileSha256[32], Flags u8)^Count</pre>
 */
public final class StagingIndex {
    static final String MAGIC = "CORALSTG";
    /** The modification time of an entry that must be checked by content: no file has it. */
    public static final long UNVERIFIED = Long.MIN_VALUE;
    private static final int FLAG_UNSYNCED = 1;

    /**
     * One staged path. {@code unsynced}: the working file was written by a checkout without
     * fsync, in the boot the index records.
     */
    public record Entry(ObjectId fileEntry, long size, long mtimeMillis, long changeStamp, byte[] sha256, boolean unsynced) {
        /** An entry whose change stamp is unknown (compared by size and time alone). */
        public Entry(ObjectId fileEntry, long size, long mtimeMillis, byte[] sha256) {
            this(fileEntry, size, mtimeMillis, FileStamp.UNKNOWN, sha256, false);
        }

        /** The entry of a file as {@code st} found it. */
        public Entry(ObjectId fileEntry, FileIngest.FileStat st, boolean unsynced) {
            this(fileEntry, st.size(), st.mtimeMillis(), st.changeStamp(), st.sha256(), unsynced);
        }

        /** This entry to be compared by content: its time is {@link #UNVERIFIED}. */
        public Entry unverified(boolean unsynced) {
            return new Entry(fileEntry, size, UNVERIFIED, changeStamp, sha256, unsynced);
        }

        /** Whether a file of size, time and change stamp {@code q} may still hold this entry's bytes unread. */
        public boolean stampMatches(FileIngest.FileStat q) {
            return q.size() == size && q.mtimeMillis() == mtimeMillis && FileStamp.sameChange(q.changeStamp(), changeStamp);
        }
    }

    private final SortedMap<String, Entry> entries;

    public StagingIndex(SortedMap<String, Entry> entries) {
        this.entries = Collections.unmodifiableSortedMap(new TreeMap<>(entries));
    }

    public SortedMap<String, Entry> entries() {
        return entries;
    }

    /** The tree this index would commit. */
    public Tree toTree() {
        TreeMap<String, ObjectId> files = new TreeMap<>();
        entries.forEach((p, e) -> files.put(p, e.fileEntry()));
        return new Tree(files);
    }

    /** The index at {@code file}; none there reads as empty (a repository before its first add). */
    public static StagingIndex read(Path file) throws IOException {
        return read(file, BootId.current());
    }

    /**
     * As {@link #read(Path)}, but none there is damage once HEAD names a commit: every commit
     * leaves an index behind (the first one writes it), so its absence is a lost index, not an
     * empty one. Read as empty, the next commit dropped every file from the branch and gc deleted
     * the staged objects (found by fuzzing). A damaged HEAD fails where it is read, as itself.
     */
    public static StagingIndex readBeside(Path file, Refs refs) throws IOException {
        Optional<String> boot = BootId.current();
        StagingIndex index = read(file, boot);
        if (!index.entries().isEmpty() || Files.exists(file)) {
            return index;
        }
        dev.coral.io.FaultPoints.hit("index.foundMissing");
        if (namesCommit(refs)) {
            // A first commit writes the index, then moves HEAD: one may have done both since the index was looked for
            // (found by ConcurrentCommitTest, 1 run in 12: sixteen threads' first commits at once). HEAD named a commit
            // when it was read, so the index was written before that, and is there now unless it was lost.
            if (Files.exists(file)) {
                return read(file, boot);
            }
            throw new CorruptObjectException(file + ": missing, though HEAD names a commit (checkout --force HEAD writes it again;"
                    + " what was staged is lost)");
        }
        return index;
    }

    /** As {@link #read(Path)}, in the boot {@code now} (empty: unknown, no unsynced entry is trusted). */
    static StagingIndex read(Path file, Optional<String> now) throws IOException {
        ChecksummedFile.Body b;
        long written;
        try {
            // the time first: an index replaced meanwhile is judged against an older time, which
            // only finds more entries racy
            written = Files.getLastModifiedTime(file).toMillis();
            b = ChecksummedFile.read(file, MAGIC, 1, 3);
        } catch (NoSuchFileException e) {
            return new StagingIndex(new TreeMap<>());
        }
        BinaryReader r = new BinaryReader(b.bytes(), file.toString());
        boolean v2 = b.version() >= 2;
        boolean v3 = b.version() >= 3;
        String boot = v2 ? r.string() : "";
        boolean sameBoot = v2 && !boot.isEmpty() && now.isPresent() && now.get().equals(boot);
        int n = r.varInt();
        TreeMap<String, Entry> m = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            String path = r.string();
            ObjectId id = ObjectId.fromBytes(r.bytes(ObjectId.BYTES));
            long size = r.i64();
            long mtime = r.i64();
            long change = v3 ? r.i64() : FileStamp.UNKNOWN;
            byte[] sha = r.bytes(32);
            int flags = v2 ? r.u8() : 0;
            if ((flags & ~FLAG_UNSYNCED) != 0) {
                throw new CorruptObjectException(file + ": entry '" + path + "' has unknown flags " + flags);
            }
            boolean unsynced = flags == FLAG_UNSYNCED;
            Entry e = new Entry(id, size, mtime, change, sha, unsynced);
            if (unsynced && !sameBoot) {
                e = e.unverified(false);
            } else if (size >= 0 && isRacy(mtime, written)) {
                e = e.unverified(unsynced);
            }
            m.put(path, e);
        }
        r.expectEnd();
        return new StagingIndex(m);
    }

    /** Whether HEAD names a commit; false for a HEAD that cannot be read, which every writer reads and fails on. */
    private static boolean namesCommit(Refs refs) throws IOException {
        try {
            return refs.headCommit() != null;
        } catch (CorruptObjectException e) {
            return false;
        }
    }

    /**
     * Whether an entry stamped {@code mtimeMillis} in an index written at {@code indexWritten}
     * (both the file system's times) is racy: the file was modified less than
     * {@link WorkTree#RACY_MILLIS} before the index was written, so it may have been written
     * again, after it was read, within the clock's granularity, keeping its size and time with
     * other bytes. Such an entry is compared by content until an index written later restamps it.
     */
    static boolean isRacy(long mtimeMillis, long indexWritten) {
        return mtimeMillis != UNVERIFIED && mtimeMillis > indexWritten - WorkTree.RACY_MILLIS;
    }

    public void write(Path file) throws IOException {
        write(file, BootId.current().orElse(""));
    }

    /** As {@link #write(Path)}, recording {@code boot} as the boot its unsynced entries were written in. */
    void write(Path file, String boot) throws IOException {
        boolean anyUnsynced = entries.values().stream().anyMatch(Entry::unsynced);
        BinaryWriter w = new BinaryWriter();
        w.string(anyUnsynced ? boot : "");
        w.varInt(entries.size());
        entries.forEach((p, e) -> w.string(p).bytes(e.fileEntry().toBytes()).i64(e.size()).i64(e.mtimeMillis()).i64(e.changeStamp())
                .bytes(e.sha256()).u8(e.unsynced() ? FLAG_UNSYNCED : 0));
        ChecksummedFile.write(file, MAGIC, 3, w.toByteArray());
    }
}
