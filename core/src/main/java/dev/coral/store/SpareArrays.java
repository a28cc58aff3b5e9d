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

    SpareArrays(int max) {
        this.max = max;
    }

    /** A kept array of exactly {@code len} bytes (its contents are stale), or null. */
    byte[] take(int len) {
        for (Iterator<byte[]> it = arrays.iterator(); it.hasNext(); ) {
            byte[] a = it.next();
            if (a.length == len) {
                it.remove();
                return a;
            }
        }
        return null;
    }

    /** Keeps {@code a} for reuse; the caller no longer uses it. */
    void give(byte[] a) {
        if (arrays.size() >= max) {
            arrays.pollFirst();
        }
        arrays.addLast(a);
    }
}
