package dev.coral.format;

import java.io.ByteArrayInputStream;

/**
 * A stream over bytes already in a heap array that can also lend them in place: a reader that
 * takes {@code (array(), offset)} slices (chunk ingest) skips copying them out. In-memory tensors
 * ({@code Tensors.of}) are read through one. Measured: the copy was 10% of the encoding thread's
 * time in an 84 MB {@code commitTensors} through one handle.
 */
public final class HeapInputStream extends ByteArrayInputStream {
    /** Streams {@code buf[offset, offset + length)}. */
    public HeapInputStream(byte[] buf, int offset, int length) {
        super(buf, offset, length);
    }

    /** The array the bytes are in (not a copy). */
    public byte[] array() {
        return buf;
    }

    /**
     * Takes the next {@code n} bytes in place: returns their offset in {@link #array()} and moves
     * past them; or -1, moving nowhere, when fewer than {@code n} remain.
     */
    public synchronized int lend(int n) {
        if (n < 0 || count - pos < n) {
            return -1;
        }
        int at = pos;
        pos += n;
        return at;
    }
}
