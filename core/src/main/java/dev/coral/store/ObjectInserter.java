package dev.coral.store;

import dev.coral.codec.ChunkCodec;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.Set;

/**
 * Adds objects to the store through one new pack. Returns ids at once; the objects become
 * visible to readers only after {@link #flush()}. Identical content is stored once: an id
 * already in the store or already in this pack is not written again. Not thread-safe: use one
 * inserter per thread. Closing without flushing discards what was added.
 *
 * <p>"Already in the store" means: in the store's multi-pack index or in a pack it has read the
 * index of; the store catches up with the folder once, at this inserter's first look-up, so
 * packs other stores and processes finished before then are seen too.
 */
public final class ObjectInserter implements AutoCloseable {
    private final ObjectStore store;
    private final int zstdLevel;
    private final MessageDigest sha = ObjectId.sha256();
    private final Set<ObjectId> pending = new HashSet<>();
    private PackWriter writer;
    private long chunksWritten;
    private long chunksDeduplicated;
    private long rawBytesWritten;
    private long storedBytesWritten;
    private boolean caughtUp;

    ObjectInserter(ObjectStore store, int zstdLevel) {
        this.store = store;
        this.zstdLevel = zstdLevel;
    }

    /** Stores {@code raw[off, off+len)} as a chunk (unless already stored); returns its id. */
    public ObjectId insertChunk(byte[] raw, int off, int len) throws IOException {
        sha.update(raw, off, len);
        ObjectId id = ObjectId.fromBytes(sha.digest());
        if (isStored(id)) {
            chunksDeduplicated++;
            return id;
        }
        ChunkCodec.EncodedChunk enc = ChunkCodec.encodeSmallest(raw, off, len, zstdLevel);
        writer().append(ObjectKind.CHUNK, enc.codec().id(), id, len, enc.data(), enc.length());
        pending.add(id);
        chunksWritten++;
        rawBytesWritten += len;
        storedBytesWritten += enc.length();
        return id;
    }

    /** Stores a small object whose id is the SHA-256 of {@code content}; returns the id. */
    public ObjectId insert(ObjectKind kind, byte[] content) throws IOException {
        ObjectId id = ObjectId.hashOf(content);
        if (isStored(id)) {
            return id;
        }
        ChunkCodec.EncodedChunk enc = ChunkCodec.encodeSmallest(content, 0, content.length, zstdLevel);
        writer().append(kind, enc.codec().id(), id, content.length, enc.data(), enc.length());
        pending.add(id);
        return id;
    }

    private boolean isStored(ObjectId id) throws IOException {
        if (pending.contains(id)) {
            return true;
        }
        if (!caughtUp) {
            store.refresh();
            caughtUp = true;
        }
        return store.findLoaded(id) != null;
    }

    private PackWriter writer() throws IOException {
        if (writer == null) {
            writer = new PackWriter(store.packsDir());
        }
        return writer;
    }

    /**
     * Makes everything inserted so far durable and visible; the inserter can go on after. When
     * the store then has many packs its multi-pack index does not cover, rewrites that index
     * (see {@link ObjectStore}).
     */
    public void flush() throws IOException {
        if (writer == null) {
            return;
        }
        PackIndex index = writer.finish();
        writer = null;
        pending.clear();
        if (index != null) {
            store.registerNew(index);
            store.maintainMultiPackIndex();
        }
    }

    public long chunksWritten() {
        return chunksWritten;
    }

    public long chunksDeduplicated() {
        return chunksDeduplicated;
    }

    public long rawBytesWritten() {
        return rawBytesWritten;
    }

    public long storedBytesWritten() {
        return storedBytesWritten;
    }

    @Override
    public void close() throws IOException {
        if (writer != null) {
            writer.close();
            writer = null;
        }
    }
}
