package dev.coral.store;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Byte arrays done with, kept up to a byte budget for reuse by the next user that needs one at
 * least as long: the ring buffers of an ingest pipeline (a chunk's raw bytes and its encoding),
 * which a training loop needs again at its next commit. Fresh multi-MiB arrays are humongous
 * objects for G1; made anew every commit they cost a zeroing pass and a concurrent collection
 * cycle. Thread-safe.
 */
final class ArrayPool {
    private final ArrayDeque<byte[]> arrays = new ArrayDeque<>();
    private final long budget;
    private long bytes;

    ArrayPool(long budget) {
        this.budget = budget;
    }

    /** A budget of a sixteenth of the maximum heap, at most 256 MiB. */
    static ArrayPool sizedForHeap() {
        return new ArrayPool(Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 16));
    }

    /** A kept array of at least {@code min} bytes (stale contents), else a new one of {@code max(min, size)} bytes. */
    byte[] take(int min, int size) {
        synchronized (this) {
            for (Iterator<byte[]> it = arrays.descendingIterator(); it.hasNext(); ) {
                byte[] a = it.next();
                if (a.length >= min) {
                    it.remove();
                    bytes -= a.length;
                    return a;
                }
            }
        }
        return new byte[Math.max(min, size)];
    }

    /** Keeps {@code a} for reuse (the caller no longer uses it); the oldest kept ones leave to stay within the budget. */
    synchronized void give(byte[] a) {
        if (a.length == 0 || a.length > budget) {
            return;
        }
        arrays.addLast(a);
        bytes += a.length;
        while (bytes > budget) {
            bytes -= arrays.removeFirst().length;
        }
    }

    /** Bytes kept (for tests). */
    synchronized long bytes() {
        return bytes;
    }
}
