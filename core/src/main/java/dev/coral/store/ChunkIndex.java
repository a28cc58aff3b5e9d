package dev.coral.store;

import java.io.Closeable;
import java.io.IOException;
import java.util.Map;

/**
 * A derived, persistent look-up from object id to location, used by writers to find out
 * quickly whether a chunk is already stored (deduplication). It is a cache: the pack indexes are
 * the truth, deleting it loses nothing, and a missing or stale entry only costs a slower
 * look-up or a duplicate write. Implementations are safe for many threads and processes.
 */
public interface ChunkIndex extends Closeable {
    /** The location of {@code id}, or null if the index does not know it. */
    ObjectLocation get(ObjectId id) throws IOException;

    /** Records the locations of objects of a pack that has been renamed into place. */
    void putAll(Map<ObjectId, ObjectLocation> entries) throws IOException;

    /** Number of entries (for stats and tests). */
    long size() throws IOException;
}
