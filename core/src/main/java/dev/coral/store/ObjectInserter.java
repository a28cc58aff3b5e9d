package dev.coral.store;

import dev.coral.codec.ChunkCodec;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Adds objects to the store through one new pack. Returns ids at once; the objects become
 * visible to readers only after {@link #flush()}. Identical content is stored once: an id
 * already in the store or already in this pack is not written again. Not thread-safe: use one
 * inserter per thread. Closing without flushing discards what was added.
 *
 * <p>"Already in the store" means: in a pack the store has loaded. Without a
 * {@linkplain ObjectStore#useChunkIndex chunk index} every loaded pack index is searched. With an
 * {@link LmdbChunkIndex}, the index is first caught up with every pack the store has (the store is
 * rescanned once, at the first look-up of this inserter), and then answers alone: a hit is
 * checked in the one pack it names, a miss means absent. A hit naming a pack that is not loaded
 * (deleted by gc, say), even after a rescan, is ignored and the loaded packs are searched. With
 * any other index, a miss is only a hint and the packs are searched.
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
    /** How many loaded packs the chunk index was last caught up with; -1: not yet. */
    private int caughtUpPacks = -1;
    /** Whether the chunk index covered all those packs. */
    private boolean indexComplete;

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
        ChunkIndex index = store.chunkIndex();
        if (index == null) {
            return store.findLoaded(id) != null;
        }
        LmdbChunkIndex lmdb = index instanceof LmdbChunkIndex l ? l : null;
        if (lmdb != null && caughtUpPacks < 0) {
            store.refresh();
            catchUp(lmdb);
        }
        ObjectLocation loc;
        try {
            loc = index.get(id);
        } catch (IOException | RuntimeException e) {
            return store.findLoaded(id) != null; // the index is only a cache
        }
        if (loc != null) {
            if (inLoadedPack(id, loc)) {
                return true;
            }
            if (store.loadedPack(loc.pack()) == null) {
                store.refresh();
                if (inLoadedPack(id, loc)) {
                    return true;
                }
            }
            // a stale entry: the pack it names is gone (or never held the id); the packs decide
            return store.findLoaded(id) != null;
        }
        if (lmdb != null) {
            if (store.loadedPackCount() != caughtUpPacks) {
                catchUp(lmdb);
            }
            if (indexComplete) {
                return false;
            }
        }
        return store.findLoaded(id) != null;
    }

    private boolean inLoadedPack(ObjectId id, ObjectLocation loc) {
        PackFile p = store.loadedPack(loc.pack());
        return p != null && p.index().find(id) != null;
    }

    /** Brings the index up to every loaded pack; notes whether it covers them all. */
    private void catchUp(LmdbChunkIndex lmdb) {
        List<PackIndex> packs = store.packIndexes();
        try {
            lmdb.catchUp(packs);
        } catch (IOException | RuntimeException e) {
            // the coverage check below finds out what is missing
        }
        boolean all = true;
        for (PackIndex p : packs) {
            all &= lmdb.covers(p.packId());
        }
        indexComplete = all;
        caughtUpPacks = packs.size();
    }

    private PackWriter writer() throws IOException {
        if (writer == null) {
            writer = new PackWriter(store.packsDir());
        }
        return writer;
    }

    /** Makes everything inserted so far durable and visible; the inserter can go on after. */
    public void flush() throws IOException {
        if (writer == null) {
            return;
        }
        PackIndex index = writer.finish();
        writer = null;
        pending.clear();
        if (index != null) {
            store.registerNew(index);
            recordInIndex(index);
        }
    }

    /** Puts a new pack's entries into the chunk index, if any; failures only cost look-ups later. */
    private void recordInIndex(PackIndex pack) {
        ChunkIndex ci = store.chunkIndex();
        if (ci == null) {
            return;
        }
        try {
            if (ci instanceof LmdbChunkIndex lmdb) {
                lmdb.addPack(pack);
            } else {
                Map<ObjectId, ObjectLocation> entries = new HashMap<>();
                for (int i = 0; i < pack.size(); i++) {
                    PackIndex.Entry e = pack.entryAt(i);
                    entries.put(e.id(), new ObjectLocation(pack.packId(), e.offset(), e.storedLength()));
                }
                ci.putAll(entries);
            }
        } catch (IOException | RuntimeException e) {
            // the pack is durable; an LmdbChunkIndex catches up with it at the next inserter
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
