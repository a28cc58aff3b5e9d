package dev.coral.store;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bound on the pack files one store holds open. A store keeps a {@link PackFile} for every
 * pack it has met, and each kept its file open until the store closed: a training loop that
 * commits through one handle writes a pack per commit (two with {@code stageTensors} and
 * {@code commit}), so 2,000 commits held 3,600 file descriptors, and a process meets the
 * per-process limit (1,024 or 4,096 on many systems) in the end ("Too many open files"). Past
 * {@code limit} open packs, opening one closes the least recently read; a pack still being read
 * closes when its last read ends ({@link PackFile#evict}). Reopening costs an open and a size
 * check, about as much as reading a small object.
 */
final class OpenPacks {
    /** Packs a store holds open at most (plus those evicted while still being read). */
    static final int DEFAULT_LIMIT = 128;

    private final int limit;
    private final AtomicLong clock = new AtomicLong();
    private final Set<PackFile> open = ConcurrentHashMap.newKeySet();

    OpenPacks(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("open packs limit must be at least 1: " + limit);
        }
        this.limit = limit;
    }

    /** A time stamp for a pack's last read: larger is more recent. */
    long tick() {
        return clock.incrementAndGet();
    }

    /** Records that {@code p} opened its file; evicts the least recently read packs beyond the limit. */
    void opened(PackFile p) {
        open.add(p);
        while (open.size() > limit) {
            PackFile lru = null;
            for (PackFile q : open) {
                if (q != p && (lru == null || q.lastUse() < lru.lastUse())) {
                    lru = q;
                }
            }
            if (lru == null || !open.remove(lru)) {
                return; // only p is open, or another opener evicted the same pack meanwhile
            }
            lru.evict();
        }
    }

    /** Records that {@code p} closed its file (evicted, found closed, or closed with its store). */
    void closed(PackFile p) {
        open.remove(p);
    }

    /** Packs counted as open now. */
    int openCount() {
        return open.size();
    }
}
