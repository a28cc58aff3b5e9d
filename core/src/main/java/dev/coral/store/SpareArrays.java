package dev.coral.store;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * A few byte arrays done with, kept for reuse at exactly their length: chunks are mostly of one
 * length, and a fresh multi-MiB array per chunk costs a zeroing pass and garbage-collector work.
 * The oldest leaves when a new one comes past the limit. Not thread-safe: the owner's lock guards it.
 */
final class SpareArrays {
    private final ArrayDeque<byte[]> arrays = new ArrayDeque<>();
    private final int max;
    private final long maxBytes;
    private long bytes;

    SpareArrays(int max) {
        this(max, Long.MAX_VALUE);
    }

    /** At most {@code max} arrays and, beyond the first, {@code maxBytes} bytes of them. */
    SpareArrays(int max, long maxBytes) {
        this.max = max;
        this.maxBytes = maxBytes;
    }

    /** A kept array of exactly {@code len} bytes (its contents are stale), or null. */
    byte[] take(int len) {
        for (Iterator<byte[]> it = arrays.iterator(); it.hasNext(); ) {
            byte[] a = it.next();
            if (a.length == len) {
                it.remove();
                bytes -= a.length;
                return a;
            }
        }
        return null;
    }

    /** Lets every kept array go (to the garbage collector). */
    void clear() {
        arrays.clear();
        bytes = 0;
    }

    /** Keeps {@code a} for reuse; the caller no longer uses it. */
    void give(byte[] a) {
        arrays.addLast(a);
        bytes += a.length;
        while (arrays.size() > 1 && (arrays.size() > max || bytes > maxBytes)) {
            bytes -= arrays.pollFirst().length;
        }
    }
}
