package dev.coral.io;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * An output stream into a file that lets the threads that make the bytes write them at their place
 * themselves (positional writes on its channel) instead of handing them over in order. A
 * checkout's decoder threads write the chunks they decode, each right after decoding it, with
 * its CRC32C taken while it is in their core's cache; the thread that runs the file's format only
 * keeps count. The caller claims a range, has it written, and reports each piece in order.
 */
public interface PositionalSink {
    /** Whether ranges may be written directly (else write through the stream). */
    boolean writesDirectly();

    /** The channel to write claimed ranges on (positional writes only). */
    FileChannel channel();

    /**
     * Claims the next {@code len} bytes of the stream: flushes whatever it buffers and returns
     * the position they go to. The caller writes them from there and reports them piece by
     * piece, in order ({@link #wroteDirectly}), before anything else is written to the stream.
     */
    long claim(long len) throws IOException;

    /** {@code len} more bytes, with CRC32C {@code crc32c}, are written at the position reached. */
    void wroteDirectly(long len, int crc32c) throws IOException;
}
