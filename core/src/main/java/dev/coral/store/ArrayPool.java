package dev.coral.store;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Byte arrays done with, kept up to a byte budget for reuse by the next user that needs one at
 * least as long: the ring buffers of an ingest pipeline (a chunk's raw bytes and its encoding),
 * which a training loop needs again at its next commit. Fresh multi-MiB arrays are humongous
 * objects for G1; made anew every commit they cost a zeroing pass and a concurrent collection
 * cycle. Thread-safe. Unlike {@link SpareArrays} (arrays of exactly the length asked for, for
 * owners that take an array's length as its data's), an array here may be longer than needed.
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

    /**
     * The shortest kept array of at least {@code min} bytes (the newest of equals; stale contents),
     * else a new one of {@code max(min, size)} bytes. Shortest, so that a small need does not take
     * the chunk-sized array a large one would then have to make anew.
     */
    byte[] take(int min, int size) {
        synchronized (this) {
            byte[] best = null;
            for (Iterator<byte[]> it = arrays.descendingIterator(); it.hasNext(); ) {
                byte[] a = it.next();
                if (a.length >= min && (best == null || a.length < best.length)) {
                    best = a;
                }
            }
            if (best != null) {
                removeIdentical(best);
                bytes -= best.length;
                return best;
            }
        }
        return new byte[Math.max(min, size)];
    }

    private void removeIdentical(byte[] a) {
        for (Iterator<byte[]> it = arrays.iterator(); it.hasNext(); ) {
            if (it.next() == a) {
                it.remove();
                return;
            }
        }
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

    /** Lets every kept array go (for tests: the process's pool, emptied before a test of what it serves). */
    synchronized void clear() {
        arrays.clear();
        bytes = 0;
    }

    /** Bytes kept (for tests). */
    synchronized long bytes() {
        return bytes;
    }
}
