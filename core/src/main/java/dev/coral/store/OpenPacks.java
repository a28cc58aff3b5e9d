package dev.coral.store;

import dev.coral.io.OpenFileLimit;
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
 *
 * <p>The bound is an eighth of the files the process may open ({@link OpenFileLimit}), at most
 * {@value #MOST} and at least {@value #FEWEST}: with {@code ulimit -n 48} a store held 57 packs
 * open and the rest of the process (its jars, a working file, a pack being written) found no
 * file left. Should the process meet its limit anyway (other stores, other files of the process),
 * a pack that cannot open closes the store's others and lowers the bound ({@link #shrink}).
 */
final class OpenPacks {
    /** Packs a store holds open at most (plus those evicted while still being read), however many files the process may open. */
    static final int MOST = 128;
    /** Packs a store may hold open, however few files the process may open. */
    static final int FEWEST = 4;

    private volatile int limit;
    private final AtomicLong clock = new AtomicLong();
    private final Set<PackFile> open = ConcurrentHashMap.newKeySet();

    OpenPacks(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("open packs limit must be at least 1: " + limit);
        }
        this.limit = limit;
    }

    /** The bound for a store of this process: from the files it may open ({@link OpenFileLimit#current}). */
    static int defaultLimit() {
        return boundFor(OpenFileLimit.current());
    }

    /** The bound for a process that may open {@code files} files (-1: unknown or unlimited). */
    static int boundFor(long files) {
        return files < 0 ? MOST : (int) Math.max(FEWEST, Math.min(MOST, files / 8));
    }

    /**
     * The process could not open a file for want of descriptors: lowers the bound to half the
     * packs open now (at least one) and closes every other pack: now, or when its reads end.
     * Returns whether it closed a file now, so that opening again may succeed.
     */
    boolean shrink(PackFile opening) {
        limit = Math.max(1, Math.min(limit, open.size() / 2));
        boolean closed = false;
        for (PackFile q : open) {
            if (q != opening && open.remove(q)) {
                closed |= q.evict(); // one being read closes when its reads end
            }
        }
        return closed;
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
