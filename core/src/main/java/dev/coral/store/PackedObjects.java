package dev.coral.store;

import java.io.IOException;
import java.util.function.BiConsumer;

/**
 * The truth a {@link ChunkIndex} is rebuilt from: every object of every pack whose index is in
 * place, with its location.
 */
public interface PackedObjects {
    /** Calls {@code sink} once per stored object (an object in two packs may be reported twice). */
    void forEachObject(BiConsumer<ObjectId, ObjectLocation> sink) throws IOException;

    /** Roughly how many objects {@link #forEachObject} reports, for sizing. */
    long estimatedObjectCount() throws IOException;
}
