package dev.coral.store;

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

    /** Copies {@code raw[off, off+len)} in. */
    synchronized void put(ObjectId id, byte[] raw, int off, int len) {
        if (len > budget / 4 || map.containsKey(id)) {
            return;
        }
        byte[] copy = new byte[len];
        System.arraycopy(raw, off, copy, 0, len);
        map.put(id, copy);
        bytes += len;
        Iterator<Map.Entry<ObjectId, byte[]>> it = map.entrySet().iterator();
        while (bytes > budget && it.hasNext()) {
            bytes -= it.next().getValue().length;
            it.remove();
        }
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
