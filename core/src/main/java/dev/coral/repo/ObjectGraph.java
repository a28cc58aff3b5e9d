package dev.coral.repo;

import dev.coral.store.ObjectId;
import dev.coral.store.ObjectInserter;
import dev.coral.store.ObjectKind;
import dev.coral.store.ObjectStore;
import java.io.IOException;
import java.util.Arrays;

/**
 * Typed access to the objects of the store: reads and decodes commits, trees, file entries,
 * tensors and tags, and writes them through an inserter. Thread-safe (the store is).
 */
public final class ObjectGraph {
    private final ObjectStore store;

    public ObjectGraph(ObjectStore store) {
        this.store = store;
    }

    public ObjectStore store() {
        return store;
    }

    public Commit commit(ObjectId id) throws IOException {
        return Commit.decode(store.readObject(id, ObjectKind.COMMIT), id);
    }

    public Tree tree(ObjectId id) throws IOException {
        return Tree.decode(store.readObject(id, ObjectKind.TREE), id);
    }

    public FileEntry file(ObjectId id) throws IOException {
        return FileEntry.decode(store.readObject(id, ObjectKind.FILE), id);
    }

    /**
     * What the file entries of staged entries record, for {@link WorkTree}'s comparisons by
     * content; for one thread (a status, a checkout), each file entry read once for both answers.
     */
    public WorkTree.RecordedContent recordedContent() {
        return new WorkTree.RecordedContent() {
            private ObjectId lastId;
            private FileEntry last;

            @Override
            public long crc32c(StagingIndex.Entry e) {
                FileEntry f = fileOf(e);
                return f != null && f.hasFileCrc32c() && Arrays.equals(f.fileSha256(), e.sha256()) ? f.fileCrc32c() : -1;
            }

            @Override
            public StagingIndex.Entry recordedBytes(StagingIndex.Entry e) {
                FileEntry f = fileOf(e);
                return f == null || Arrays.equals(f.fileSha256(), e.sha256()) ? null
                        : new StagingIndex.Entry(e.fileEntry(), f.fileSize(), StagingIndex.UNVERIFIED, f.fileSha256());
            }

            /** The file entry e names, or null when it cannot be read (the SHA-256 in the index decides without the store). */
            private FileEntry fileOf(StagingIndex.Entry e) {
                if (!e.fileEntry().equals(lastId)) {
                    try {
                        last = file(e.fileEntry());
                    } catch (IOException x) {
                        last = null;
                    }
                    lastId = e.fileEntry();
                }
                return last;
            }
        };
    }

    /**
     * A staged entry as a working file would record it: as it is when it has a file, else (staged
     * from memory, no file recorded) the size and SHA-256 of the file its version would be, to be
     * compared by content ({@link StagingIndex#UNVERIFIED}).
     */
    public StagingIndex.Entry asWritten(StagingIndex.Entry e) throws IOException {
        if (e.size() >= 0) {
            return e;
        }
        return unverified(e.fileEntry());
    }

    /** A staged entry of {@code fileEntry} with no file recorded: its file's size and SHA-256, compared by content. */
    public StagingIndex.Entry unverified(ObjectId fileEntry) throws IOException {
        FileEntry f = file(fileEntry);
        return new StagingIndex.Entry(fileEntry, f.fileSize(), StagingIndex.UNVERIFIED, f.fileSha256());
    }

    public TensorObject tensor(ObjectId id) throws IOException {
        return TensorObject.decode(store.readObject(id, ObjectKind.TENSOR), id);
    }

    public TagObject tag(ObjectId id) throws IOException {
        return TagObject.decode(store.readObject(id, ObjectKind.TAG), id);
    }

    /** The kind of a stored object, or null if absent. */
    public ObjectKind kindOf(ObjectId id) throws IOException {
        ObjectStore.Found f = store.find(id);
        return f == null ? null : f.entry().kind();
    }

    public static ObjectId write(ObjectInserter ins, Commit c) throws IOException {
        return ins.insert(ObjectKind.COMMIT, c.encode());
    }

    public static ObjectId write(ObjectInserter ins, Tree t) throws IOException {
        return ins.insert(ObjectKind.TREE, t.encode());
    }

    public static ObjectId write(ObjectInserter ins, FileEntry f) throws IOException {
        return ins.insert(ObjectKind.FILE, f.encode());
    }

    public static ObjectId write(ObjectInserter ins, TensorObject t) throws IOException {
        return ins.insert(ObjectKind.TENSOR, t.encode());
    }

    public static ObjectId write(ObjectInserter ins, TagObject t) throws IOException {
        return ins.insert(ObjectKind.TAG, t.encode());
    }
}
