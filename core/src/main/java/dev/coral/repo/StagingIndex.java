package dev.coral.repo;

import dev.coral.io.BinaryReader;
import dev.coral.io.BinaryWriter;
import dev.coral.io.ChecksummedFile;
import dev.coral.store.ObjectId;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The staging area: the tree the next commit will record, plus what the working file looked like
 * when it was staged or checked out (size, modification time, SHA-256), so {@code status} can
 * tell a modified file from an unchanged one without re-reading it. Immutable; replaced
 * atomically on disk.
 *
 * <pre>Index (ChecksummedFile "CORALSTG" v1) body --&gt; Count varint,
 *   (Path string, FileEntryId[32], Size i64 (-1: staged from memory), MtimeMillis i64, FileSha256[32])^Count</pre>
 */
public final class StagingIndex {
    static final String MAGIC = "CORALSTG";

    /** One staged path. */
    public record Entry(ObjectId fileEntry, long size, long mtimeMillis, byte[] sha256) {
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

    public static StagingIndex read(Path file) throws IOException {
        byte[] body;
        try {
            body = ChecksummedFile.read(file, MAGIC, 1, 1).bytes();
        } catch (NoSuchFileException e) {
            return new StagingIndex(new TreeMap<>());
        }
        BinaryReader r = new BinaryReader(body, file.toString());
        int n = r.varInt();
        TreeMap<String, Entry> m = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            String path = r.string();
            m.put(path, new Entry(ObjectId.fromBytes(r.bytes(ObjectId.BYTES)), r.i64(), r.i64(), r.bytes(32)));
        }
        r.expectEnd();
        return new StagingIndex(m);
    }

    public void write(Path file) throws IOException {
        BinaryWriter w = new BinaryWriter().varInt(entries.size());
        entries.forEach((p, e) -> w.string(p).bytes(e.fileEntry().toBytes()).i64(e.size()).i64(e.mtimeMillis()).bytes(e.sha256()));
        ChecksummedFile.write(file, MAGIC, 1, w.toByteArray());
    }
}
