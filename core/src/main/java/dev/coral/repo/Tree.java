package dev.coral.repo;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.UnsupportedVersionException;
import dev.coral.io.BinaryReader;
import dev.coral.io.BinaryWriter;
import dev.coral.store.ObjectId;
import dev.coral.store.ObjectKind;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A snapshot of the tracked files: repository-relative path ({@code /}-separated) to file entry.
 *
 * <pre>Body --&gt; Count varint, (Path string, FileEntryId[32])^Count   (paths sorted)</pre>
 */
public record Tree(SortedMap<String, ObjectId> files) {
    static final int VERSION = 1;

    public Tree {
        files = Collections.unmodifiableSortedMap(new TreeMap<>(files));
    }

    byte[] encode() {
        BinaryWriter w = ObjectEnvelope.begin(ObjectKind.TREE, VERSION).varInt(files.size());
        files.forEach((p, id) -> w.string(p).bytes(id.toBytes()));
        return w.toByteArray();
    }

    static Tree decode(byte[] content, ObjectId id) throws CorruptObjectException, UnsupportedVersionException {
        BinaryReader r = ObjectEnvelope.open(content, ObjectKind.TREE, id, VERSION);
        int n = r.varInt();
        TreeMap<String, ObjectId> files = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            String path = r.string();
            if (files.put(path, ObjectId.fromBytes(r.bytes(ObjectId.BYTES))) != null) {
                throw new CorruptObjectException(r.source() + ": path " + path + " listed twice");
            }
        }
        r.expectEnd();
        return new Tree(files);
    }
}
