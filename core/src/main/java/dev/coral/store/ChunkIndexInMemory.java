package dev.coral.store;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link ChunkIndex} held in a {@link ConcurrentHashMap}: for tests, and the fallback of
 * {@link ChronicleChunkIndex} when the persistent map cannot be used. Safe for many threads; not
 * shared between processes, and forgotten on close.
 */
public final class ChunkIndexInMemory implements ChunkIndex {
    private final ConcurrentHashMap<ObjectId, ObjectLocation> map = new ConcurrentHashMap<>();

    public ChunkIndexInMemory() {
    }

    /** An index holding every object {@code truth} reports. */
    public static ChunkIndexInMemory of(PackedObjects truth) throws IOException {
        ChunkIndexInMemory index = new ChunkIndexInMemory();
        truth.forEachObject(index.map::put);
        return index;
    }

    @Override
    public ObjectLocation get(ObjectId id) {
        return map.get(id);
    }

    /** Records one location. */
    public void put(ObjectId id, ObjectLocation location) {
        map.put(id, location);
    }

    @Override
    public void putAll(Map<ObjectId, ObjectLocation> entries) {
        map.putAll(entries);
    }

    @Override
    public long size() {
        return map.size();
    }

    @Override
    public void close() {
        // nothing to release; the entries stay readable
    }
}
