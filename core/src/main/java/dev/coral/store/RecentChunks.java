package dev.coral.store;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The raw bytes of chunks written or decoded lately, up to a byte budget (least recently used
 * go first). A training job committing every step asks for the previous version of each chunk
 * as its delta base: served from here, it is not decoded again from its chain. Thread-safe.
 */
final class RecentChunks {
    private final long budget;
    private final LinkedHashMap<ObjectId, byte[]> map = new LinkedHashMap<>(64, 0.75f, true);
    private long bytes;

    RecentChunks(long budget) {
        this.budget = budget;
    }

    /** A budget of an eighth of the maximum heap, at most 64 MiB. */
    static RecentChunks sizedForHeap() {
        return new RecentChunks(Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 8));
    }

    /**
     * Evicted arrays kept for reuse (a few): chunks are mostly of one size, and allocating a
     * fresh multi-MiB array per chunk cost a zeroing pass and garbage-collector work each time.
     */
    private final ArrayDeque<byte[]> spare = new ArrayDeque<>();
    private static final int SPARE_ARRAYS = 2;

    /** Copies {@code raw[off, off+len)} in (the copy is made outside the lock). */
    void put(ObjectId id, byte[] raw, int off, int len) {
        byte[] copy = null;
        synchronized (this) {
            if (len > budget / 4 || map.containsKey(id)) {
                return;
            }
            for (Iterator<byte[]> it = spare.iterator(); it.hasNext(); ) {
                byte[] s = it.next();
                if (s.length == len) {
                    it.remove();
                    copy = s;
                    break;
                }
            }
        }
        if (copy == null) {
            copy = new byte[len];
        }
        System.arraycopy(raw, off, copy, 0, len);
        synchronized (this) {
            if (map.containsKey(id)) {
                recycle(copy);
                return;
            }
            map.put(id, copy);
            bytes += len;
            Iterator<Map.Entry<ObjectId, byte[]>> it = map.entrySet().iterator();
            while (bytes > budget && it.hasNext()) {
                byte[] evicted = it.next().getValue();
                bytes -= evicted.length;
                it.remove();
                recycle(evicted);
            }
        }
    }

    private void recycle(byte[] a) {
        if (spare.size() >= SPARE_ARRAYS) {
            spare.pollFirst();
        }
        spare.addLast(a);
    }

    /** Copies the chunk into {@code dst} if held; true if it was. */
    synchronized boolean copyTo(ObjectId id, byte[] dst) {
        byte[] b = map.get(id);
        if (b == null) {
            return false;
        }
        System.arraycopy(b, 0, dst, 0, b.length);
        return true;
    }

    synchronized boolean contains(ObjectId id) {
        return map.containsKey(id);
    }
}
