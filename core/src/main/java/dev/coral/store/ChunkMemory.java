package dev.coral.store;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory the recent-chunk caches ({@link RecentChunks}) of one process share: an eighth of the
 * maximum heap (at most 1 GiB) for all of them, not for each. A process that keeps handles on
 * several repositories (a daemon, a {@code coral batch} script, Java code with a handle per model)
 * had given each store that much: at {@code -Xmx300m}, commits of 40 MB checkpoints into three
 * repositories in turn through one batch process ran out of heap from the third round on (into
 * twelve: 24 of 36 failed), where one repository's never did. A cache grows only into the room the
 * others leave; one that asks for more takes it from caches idle for {@value #IDLE_MILLIS} ms or
 * more, the least lately used first, which let go of all they hold (the chunks their store stored
 * handed to its disk cache's queue as they are: a copy had taken more memory before it freed any;
 * {@link RecentChunks#letGoOfAll}). Caches at work at the same time do
 * not take from each other. Thread-safe; a cache is never asked to let go while another's lock is
 * held.
 */
final class ChunkMemory {
    /** A cache unused for this long is idle: another that needs the room takes it. */
    static final long IDLE_MILLIS = 200;

    /** The process's: what every store's cache shares. */
    static final ChunkMemory PROCESS = new ChunkMemory(Math.min(1L << 30, Runtime.getRuntime().maxMemory() / 8));

    private final long total;
    private final AtomicLong held = new AtomicLong();
    /** The caches that share this memory; guarded by this. */
    private final Set<RecentChunks> caches = new LinkedHashSet<>();

    ChunkMemory(long total) {
        this.total = total;
    }

    long total() {
        return total;
    }

    /** Bytes not held by any cache (negative when the caches hold more: theirs to give back as they evict). */
    long free() {
        return total - held.get();
    }

    /** A cache holds {@code delta} more bytes (fewer when negative). */
    void add(long delta) {
        held.addAndGet(delta);
    }

    synchronized void register(RecentChunks cache) {
        caches.add(cache);
    }

    synchronized void unregister(RecentChunks cache) {
        caches.remove(cache);
    }

    /**
     * Makes room for {@code len} more bytes for {@code asking}, if there is not: the other caches
     * idle for {@link #IDLE_MILLIS} or more, the least lately used first, let go of all they hold
     * until it fits. The caller holds no cache's lock.
     */
    void makeRoomFor(RecentChunks asking, long len) {
        if (free() >= len) {
            return;
        }
        List<RecentChunks> others;
        synchronized (this) {
            others = new ArrayList<>(caches);
        }
        long idleSince = System.nanoTime() - IDLE_MILLIS * 1_000_000L;
        others.removeIf(c -> c == asking || c.lastUsed() - idleSince > 0);
        others.sort(Comparator.comparingLong(RecentChunks::lastUsed));
        for (RecentChunks c : others) {
            if (free() >= len) {
                return;
            }
            c.letGoOfAll();
        }
    }
}
