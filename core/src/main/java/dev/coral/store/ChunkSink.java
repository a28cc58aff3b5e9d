package dev.coral.store;

import java.io.IOException;

/**
 * Where ingest sends a tensor's chunks: each submitted chunk is hashed, deduplicated, encoded and
 * appended to the inserter's pack, and its id lands in {@code ids[index]} by the time
 * {@link #drain()} returns. A sink may work on chunks in parallel ({@link ChunkPipeline}) or one
 * at a time in the caller's thread. Used by one producer thread.
 */
public interface ChunkSink extends AutoCloseable {
    /**
     * Stores {@code raw[off, off + len)}: the sink copies it if it needs to keep it past the call.
     * {@code nextPrevious} is the previous version of the chunk submitted after this one (null if
     * none or unknown), of {@code nextLength} bytes, so that a sink can decode its delta base while
     * it encodes this one; a sink may ignore the hint.
     *
     * @param elementWidth the dtype's plane width ({@code ChunkEncoder.planeWidth})
     * @param previous the previous version of this chunk (delta base candidate), or null
     * @param id the chunk's id when the caller has hashed exactly these bytes already (the sink
     *           then does not hash them again), else null
     */
    void submit(byte[] raw, int off, int len, int elementWidth, ObjectId previous, ObjectId[] ids, int index, ObjectId nextPrevious,
                int nextLength, ObjectId id) throws IOException;

    /**
     * Whether this sink uses {@link #upcoming}: a caller that reads its chunks into buffers of its
     * own then reads each one ahead, into a second buffer.
     */
    default boolean takesUpcoming() {
        return false;
    }

    /**
     * The bytes of the chunk the next {@link #submit} stores, read ahead: {@code raw[off, off +
     * len)}, elements of {@code elementWidth} bytes, unchanged until that submit returns. A sink
     * may start work on them while it stores the current chunk, or ignore them.
     */
    default void upcoming(byte[] raw, int off, int len, int elementWidth) {
    }

    /** Stores {@code raw[0, len)}, without a hint of the next chunk. */
    default void submit(byte[] raw, int len, int elementWidth, ObjectId previous, ObjectId[] ids, int index) throws IOException {
        submit(raw, 0, len, elementWidth, previous, ids, index, null, 0, null);
    }

    /** Waits until every submitted chunk is appended; rethrows the first failure of any of them. */
    void drain() throws IOException;

    @Override
    void close() throws IOException;
}
