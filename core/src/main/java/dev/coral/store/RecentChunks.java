package dev.coral.store;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.TreeMap;

/**
 * The raw bytes of chunks written or decoded lately, up to a byte budget. A training job
 * committing every step asks for the previous version of each chunk as its delta base: served
 * from here, it is not decoded again from its chain. A chunk leaves as soon as it has served
 * (the next version's chunk takes its place), so the cache holds about one version of what the
 * process works on, whatever the budget. Thread-safe.
 *
 * <p>Scan-resistant: a checkpoint larger than the budget is committed chunk after chunk in the
 * same order every time, and least-recently-used eviction then drops every chunk just before the
 * next version asks for it (measured: 84 MB checkpoints, 64 MiB budget, no hit at all). So
 * entries leave in the order they came, and the oldest leaves for a new chunk only once it is
 * done with: it has served as a base, or a younger entry has (it was skipped), or nothing at all
 * was asked for since it came and {@value #STALE_ROUNDS} times as many insertions as the cache
 * holds went by (idle: another model's chunks, or the first pass over a checkpoint larger than
 * the cache, which cannot tell them apart). Idle entries leave one per that many insertions, so
 * a first pass does not roll the whole cache over. While the oldest entry still waits for its
 * turn, a new chunk is not admitted. Versions of one checkpoint then hit for about as many
 * chunks as the budget holds, every version.
 *
 * <p>Apart from these, bases that later versions skip back to (a run's first version in the chain
 * layout: {@link ChainShape#lastUserOf}) are kept, up to half the budget (the least lately used
 * leaving first), until their last user takes them: {@link SkipBasesAhead} keeps each next skip
 * link's base between commits, and a base served with {@code keepForLater} that was not kept
 * ahead is kept then. Without them a process committing every step decoded the keyframe again
 * at every run's start (the 84 MB MLP: 280-460 ms of CPU after every eighth commit).
 *
 * <p>A chunk this process stored that is evicted (skipped or idle, not served) is handed to the
 * {@link #spillTo spill} as it leaves, the disk cache's in a store: it is the newest version of
 * its chunk (one that did not change since, or was not committed again), which a later checkout
 * or another process's commit reads. One that served has a newer version, and the encoder lets go
 * of a version whose successor skipped it ({@link #discard}); one never admitted is the caller's
 * to spill ({@link #put} says so). Before, such chunks reached the disk cache neither at their
 * commit nor at the close: a long-lived handle left 60% of the newest 84 MB version there at
 * -Xmx400m (perf {@code KeptHandleCacheProbe}).
 *
 * <p>A read stepping back through a history whose deltas cannot be undone (BF16's zigzag deltas)
 * holds the versions it decoded on its way up the chain ({@link #putAlong}): the next step back
 * finds its version here. They are not the next version's base, so they leave first whenever room
 * is needed, wherever they stand in the order.
 */
final class RecentChunks {
    /** An unused entry is stale after this many rounds of insertions the size of the cache. */
    static final int STALE_ROUNDS = 4;

    /** The rank of a version held along a chain once read itself ({@link #peekRead}): farther below than any. */
    static final int PASSED = Integer.MAX_VALUE;

    private static final class Entry {
        final byte[] bytes;
        final long stamp;
        /** Written by this process (a chunk it stored), not only decoded. */
        final boolean ingested;
        /**
         * For a version decoded on the way up a chain to another ({@link #putAlong}), how many
         * versions below that one it is (1: the one just below); 0 for any other entry.
         */
        final int along;
        /**
         * An ingested chunk its encoder stored as a delta ({@link #markDelta}): spilled when evicted
         * even before the store knows its pack. Guarded by the cache's lock.
         */
        boolean delta;

        Entry(byte[] bytes, long stamp, boolean ingested, int along) {
            this.bytes = bytes;
            this.stamp = stamp;
            this.ingested = ingested;
            this.along = along;
        }
    }

    /** Writes a chunk's raw bytes into the array it is given (as long as the chunk). */
    interface Filler {
        void fill(byte[] dst);
    }

    /**
     * Takes the bytes of a chunk this process stored as it is evicted; must not keep the array.
     * {@code delta}: its encoder stored it as a delta ({@link #markDelta}), which the store may not
     * tell yet (the pack holding it is still being written); false: ask the store.
     */
    interface Spill {
        void spill(ObjectId id, byte[] bytes, boolean delta);

        /**
         * As {@link #spill}, taking the array itself, which the cache lets go of (another store
         * needs the memory: {@link #letGoOfAll}). By default it is copied as {@link #spill} does.
         */
        default void handOver(ObjectId id, byte[] bytes, boolean delta) {
            spill(id, bytes, delta);
        }
    }

    /** An ingested entry evicted, waiting for the spill. */
    private record Leaving(ObjectId id, byte[] bytes, boolean delta) {
    }

    /** Guarded by this. */
    private long budget;
    /** The memory this cache shares with the process's other caches: it holds at most what they leave. */
    private final ChunkMemory memory;
    /** {@link System#nanoTime} of the last put or hit: how long the cache has been idle, for {@link ChunkMemory}. */
    private volatile long lastUsed = System.nanoTime();
    private volatile Spill spill;
    /**
     * Held while {@link #letGoOfAll} hands chunks to the spill, and to change the spill: that is
     * another store's thread, taking this one's memory, and this store may be closing its disk
     * cache meanwhile, which a hand-over after the close would have started writing again.
     */
    private final Object handingOver = new Object();
    /** Ingested entries evicted under the lock, spilled once it is released; guarded by this. */
    private final ArrayList<Leaving> leaving = new ArrayList<>();
    private final LinkedHashMap<ObjectId, Entry> map = new LinkedHashMap<>(64, 0.75f, false);
    /** The entries of {@link #map} decoded along a chain, by how far below the version read they are, oldest first. */
    private final TreeMap<Integer, LinkedHashSet<ObjectId>> alongByRank = new TreeMap<>();
    /** Bases kept for a later user, least lately used first; their bytes count in {@link #bytes} too. */
    private final LinkedHashMap<ObjectId, byte[]> kept = new LinkedHashMap<>(16, 0.75f, true);
    private long keptBytes;
    private long bytes;
    /** Insertions asked for so far (admitted or not): the clock of staleness. */
    private long puts;
    /** The clock at the last hit, and the insertion stamp of the youngest entry ever hit. */
    private long lastHit = -1;
    private long youngestUsed = -1;
    /** The clock when an idle entry was last evicted. */
    private long lastIdleEviction;

    /** A cache of its own budget, sharing it with no other. */
    RecentChunks(long budget) {
        this(budget, new ChunkMemory(budget));
    }

    /** A cache of at most {@code budget} bytes, and at most what the other caches of {@code memory} leave. */
    RecentChunks(long budget, ChunkMemory memory) {
        this.budget = budget;
        this.memory = memory;
        this.spare = new SpareArrays(Integer.MAX_VALUE, Math.max(budget / 8, 1));
        memory.register(this);
    }

    /**
     * A budget of an eighth of the maximum heap, at most 1 GiB. Measured, 84 MB fp32 checkpoints
     * committed through one handle at -Xmx2g (steps 2-8, two runs each): 174-182 MB/s with a
     * 64 MiB budget (15 of 21 chunks served), 227-245 MB/s with the whole checkpoint held.
     */
    static RecentChunks sizedForHeap() {
        return new RecentChunks(ChunkMemory.PROCESS.total(), ChunkMemory.PROCESS);
    }

    /** How many bytes this cache may hold now: its budget, or what it holds and the room the process's other caches leave. */
    private long limit() {
        return Math.min(budget, bytes + memory.free());
    }

    /** Accounts for {@code delta} more bytes held (fewer when negative), here and in the memory shared. */
    private void grow(long delta) {
        bytes += delta;
        memory.add(delta);
    }

    long lastUsed() {
        return lastUsed;
    }

    private void used() {
        lastUsed = System.nanoTime();
    }

    /**
     * Lets go of everything held: another cache of the process needs the memory, or the store
     * closes (which wrote what it stored to its disk cache first, and spills nothing then). The
     * chunks this process stored are handed over to the spill, their arrays with them
     * ({@link Spill#handOver}): spilled as copies, as an eviction spills them, letting go had taken
     * more memory before it freed any (12 repositories at {@code -Xmx300m}: 5-8 of 36 commits out
     * of heap; dropped unspilled, none, but a store's newest chunks went missing from its disk cache).
     */
    void letGoOfAll() {
        List<Leaving> stored = new ArrayList<>();
        synchronized (this) {
            for (Map.Entry<ObjectId, Entry> e : map.entrySet()) {
                grow(-e.getValue().bytes.length);
                if (e.getValue().ingested) {
                    stored.add(new Leaving(e.getKey(), e.getValue().bytes, e.getValue().delta));
                }
            }
            map.clear();
            alongByRank.clear();
            for (byte[] k : kept.values()) {
                grow(-k.length);
            }
            kept.clear();
            keptBytes = 0;
            spare.clear();
        }
        synchronized (handingOver) {
            Spill s = spill;
            if (s != null) {
                stored.forEach(e -> s.handOver(e.id(), e.bytes(), e.delta()));
            }
        }
    }

    /** Lets go of everything held and leaves the memory shared: the store closes. */
    void close() {
        letGoOfAll();
        memory.unregister(this);
    }

    /**
     * Evicted arrays kept for reuse: two, or up to an eighth of the budget, so that the arrays a
     * kept base gave back when its last user took it serve the next base kept (a fresh array,
     * paged in when the heap grows, cost the hashing thread 10 ms per 4 MiB chunk).
     */
    private final SpareArrays spare;

    /** Sets the budget to {@code bytes}, evicting nothing now (for tests: a model larger than the budget, in a test's heap). */
    synchronized void limitTo(long bytes) {
        budget = bytes;
    }

    /** Where evicted chunks this process stored go from now on (null: nowhere). */
    void spillTo(Spill s) {
        synchronized (handingOver) { // a hand-over under way ends first: after spillTo(null) none comes (the store closes its disk cache)
            this.spill = s;
        }
    }

    /**
     * Copies {@code raw[off, off+len)} in (the copy is made outside the lock), if there is room for
     * it; {@code ingested} for a chunk this process stored, false for one it only decoded. True if
     * the chunk is held when this returns (admitted now or before), false if it was not admitted.
     */
    boolean put(ObjectId id, byte[] raw, int off, int len, boolean ingested) {
        return admit(id, len, ingested, 0, dst -> System.arraycopy(raw, off, dst, 0, len));
    }

    /**
     * Holds a version of a chunk decoded on the way up its delta chain to a newer one (it is not
     * the version asked for), {@code rank} versions below that one (1: just below it), its bytes
     * written by {@code fill} outside the lock, if there is room for it. A reader stepping back
     * through a history whose deltas cannot be undone (BF16's zigzag deltas) then finds each older
     * version here instead of decoding the chain from its keyframe again. When room is needed,
     * such entries leave before any other that is not done with, the farthest below first: the
     * next step back wants the version just below the one read, of every chunk, before any
     * version below that. One is admitted only where it would evict none nearer than itself.
     * False if it was not admitted ({@code fill} not called); true if held (now or before).
     */
    boolean putAlong(ObjectId id, int len, int rank, Filler fill) {
        if (rank < 1) {
            throw new IllegalArgumentException("rank " + rank);
        }
        return admit(id, len, false, rank, fill);
    }

    /**
     * Admits a chunk of len bytes written by {@code fill} (outside the lock) if there is room;
     * {@code along} as {@link Entry#along}. True if held.
     */
    private boolean admit(ObjectId id, int len, boolean ingested, int along, Filler fill) {
        byte[] copy;
        used();
        memory.makeRoomFor(this, len);
        try {
            synchronized (this) {
                puts++;
                dropStale();
                if (map.containsKey(id) || kept.containsKey(id)) {
                    return true;
                }
                if (len > budget / 4 || !makeRoom(len, along)) {
                    return false;
                }
                copy = spare.take(len);
            }
            if (copy == null) {
                copy = new byte[len];
            }
            fill.fill(copy);
            synchronized (this) {
                if (map.containsKey(id) || kept.containsKey(id)) {
                    recycle(copy);
                    return true;
                }
                if (!makeRoom(len, along)) {
                    recycle(copy);
                    return false;
                }
                map.put(id, new Entry(copy, puts, ingested, along));
                if (along > 0) {
                    alongByRank.computeIfAbsent(along, r -> new LinkedHashSet<>()).add(id);
                }
                grow(len);
                return true;
            }
        } finally {
            spillLeaving();
        }
    }

    /** Hands the ingested entries evicted to the spill, outside the lock, then takes their arrays back. */
    private void spillLeaving() {
        List<Leaving> out;
        synchronized (this) {
            if (leaving.isEmpty()) {
                return;
            }
            out = new ArrayList<>(leaving);
            leaving.clear();
        }
        Spill s = spill;
        for (Leaving e : out) {
            if (s != null) {
                s.spill(e.id(), e.bytes(), e.delta());
            }
        }
        synchronized (this) {
            out.forEach(e -> recycle(e.bytes()));
        }
    }

    /**
     * Evicts the entries done with that are older than a round of insertions, whatever the room:
     * a version that took another base (a skip-delta, a keyframe) leaves its predecessor's chunks
     * unused, and under a large budget they would pile up to it (measured: 4 MB per 100 commits
     * of a 256 KB model at a 256 MiB budget).
     */
    private void dropStale() {
        long round = (long) STALE_ROUNDS * Math.max(16, map.size());
        Iterator<Map.Entry<ObjectId, Entry>> it = map.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<ObjectId, Entry> eldest = it.next();
            if (eldest.getValue().stamp > puts - round || !evictIfDoneWith(eldest, it, round)) {
                return; // the rest are younger, or the eldest still waits for its turn
            }
        }
    }

    /**
     * Evicts entries done with (skipped or idle), oldest first (passing over versions decoded
     * along a chain), until len more bytes fit; when the oldest other entry still waits for its
     * turn, versions decoded along a chain leave, the farthest below the version read first, the
     * oldest of those first: for a version decoded along ({@code along} its rank), only those
     * farther below than it; for any other chunk, any. False if len bytes do not fit then.
     */
    private boolean makeRoom(long len, int along) {
        Iterator<Map.Entry<ObjectId, Entry>> it = map.entrySet().iterator();
        long round = (long) STALE_ROUNDS * Math.max(16, map.size());
        while (bytes + len > limit() && it.hasNext()) {
            Map.Entry<ObjectId, Entry> eldest = it.next();
            if (eldest.getValue().along == 0 && !evictIfDoneWith(eldest, it, round)) {
                break;
            }
        }
        while (bytes + len > limit() && !alongByRank.isEmpty() && (along == 0 || alongByRank.lastKey() > along)) {
            ObjectId farthest = alongByRank.lastEntry().getValue().iterator().next();
            dropped(farthest, map.remove(farthest));
        }
        return bytes + len <= limit();
    }

    /** Drops {@code id}, just removed from {@link #map}, from {@link #alongByRank} if it was decoded along a chain. */
    private void forget(ObjectId id, Entry e) {
        if (e.along > 0) {
            LinkedHashSet<ObjectId> ids = alongByRank.get(e.along);
            ids.remove(id);
            if (ids.isEmpty()) {
                alongByRank.remove(e.along);
            }
        }
    }

    /**
     * Evicts the eldest entry (the iterator's last) if it is done with: skipped (a younger entry
     * served), or idle for a round and no idle entry left within the last round. True if it left.
     * An ingested one is queued for the spill ({@link #leaving}).
     */
    private boolean evictIfDoneWith(Map.Entry<ObjectId, Entry> eldestEntry, Iterator<Map.Entry<ObjectId, Entry>> it,
                                    long round) {
        Entry eldest = eldestEntry.getValue();
        boolean skipped = youngestUsed > eldest.stamp;
        boolean idle = lastHit < eldest.stamp && eldest.stamp <= puts - round && lastIdleEviction <= puts - round;
        if (!skipped && !idle) {
            return false;
        }
        if (!skipped) {
            lastIdleEviction = puts;
        }
        evict(eldestEntry, it);
        return true;
    }

    /** Removes the iterator's last entry ({@link #dropped}). */
    private void evict(Map.Entry<ObjectId, Entry> entry, Iterator<Map.Entry<ObjectId, Entry>> it) {
        it.remove();
        dropped(entry.getKey(), entry.getValue());
    }

    /** Accounts for entry {@code e} of {@code id}, just evicted from {@link #map}: an ingested one is queued for the spill. */
    private void dropped(ObjectId id, Entry e) {
        grow(-e.bytes.length);
        forget(id, e);
        if (e.ingested && spill != null) {
            leaving.add(new Leaving(id, e.bytes, e.delta));
        } else {
            recycle(e.bytes);
        }
    }

    private void recycle(byte[] a) {
        spare.give(a);
    }

    /**
     * Copies the chunk into {@code dst} if held, and lets it go: a chunk serves as the base of the
     * version after it once, and that version's chunk takes its place. True if it was held.
     */
    synchronized boolean copyTo(ObjectId id, byte[] dst) {
        used();
        byte[] k = kept.get(id);
        if (k != null) {
            System.arraycopy(k, 0, dst, 0, k.length);
            return true;
        }
        byte[] held = release(id);
        if (held == null) {
            return false;
        }
        System.arraycopy(held, 0, dst, 0, held.length);
        recycle(held);
        return true;
    }

    /**
     * Copies the chunk into {@code dst} if held, and keeps it: a plain read (a checkout, a training
     * loop reading back what it committed, a lossy commit quantizing against the version before)
     * is not the next version's delta base, which then still finds it here. True if it was held.
     * Measured (training scenario, small scale, lossy commits): the quantizer's read of each base
     * took it from here, and the encoder then decoded every base from its chain again.
     */
    synchronized boolean peek(ObjectId id, byte[] dst) {
        used();
        Entry e = map.get(id);
        byte[] held = e != null ? e.bytes : kept.get(id);
        if (held == null || held.length > dst.length) {
            return false;
        }
        System.arraycopy(held, 0, dst, 0, held.length);
        return true;
    }

    /**
     * As {@link #peek}, for a read of the version asked for: a version held along a chain
     * ({@link #putAlong}) is then passed, the reader stepping back goes on below it, and it
     * leaves before any other when room is needed ({@link #PASSED}). Stepping back through 32
     * BF16 versions of the 84 MB MLP, the versions read ahead and passed had kept their rank, 1,
     * and the versions decoded along the next run's chain, ranked 2 and below, found no room.
     */
    synchronized boolean peekRead(ObjectId id, byte[] dst) {
        if (!peek(id, dst)) {
            return false;
        }
        Entry e = map.get(id);
        if (e != null && e.along > 0 && e.along != PASSED) {
            forget(id, e);
            map.put(id, new Entry(e.bytes, e.stamp, e.ingested, PASSED)); // (its place in the order stays)
            alongByRank.computeIfAbsent(PASSED, r -> new LinkedHashSet<>()).add(id);
        }
        return true;
    }

    /**
     * As {@link #copyTo}, without the copy when the held array is exactly as long as
     * {@code buffer}: then that array is returned, now the caller's, and {@code buffer} (which
     * the caller no longer uses) is taken for reuse in its place. Else the bytes are copied into
     * {@code buffer} (at least as long as the chunk, as for {@link #copyTo}), which is returned. Null, taking nothing, if the chunk is not held. A delta
     * base served this way spared a 4 MiB copy per chunk of a training step (14 ms of CPU per 84
     * MB step). Arrays of another length are not swapped: a buffer that shrank to a tensor's last
     * chunk would be replaced by a fresh multi-MiB array for the next tensor's first.
     */
    synchronized byte[] exchange(ObjectId id, byte[] buffer) {
        return exchange(id, buffer, false);
    }

    /**
     * As {@link #exchange(ObjectId, byte[])}; with {@code keepForLater} (a later version will be a
     * delta against this chunk too) the chunk is copied into {@code buffer} and kept apart for that
     * version, if half the budget holds it beside the other bases kept so. A kept chunk asked for
     * without {@code keepForLater} (its last user) leaves.
     */
    synchronized byte[] exchange(ObjectId id, byte[] buffer, boolean keepForLater) {
        used();
        byte[] held = release(id);
        byte[] k = keepForLater ? kept.get(id) : kept.remove(id);
        if (k != null) {
            lastHit = puts;
            if (!keepForLater) {
                keptBytes -= k.length;
                grow(-k.length);
            }
        }
        if (held != null) {
            if (k != null && !keepForLater) {
                recycle(k); // its last user takes the recent copy
            } else if (k == null && keepForLater && roomToKeep(held.length)) {
                addKept(id, held); // not kept ahead (SkipBasesAhead): kept now, a copy served
                System.arraycopy(held, 0, buffer, 0, held.length);
                return buffer;
            }
            return swapped(held, buffer);
        }
        if (k == null) {
            return null;
        }
        if (keepForLater) {
            System.arraycopy(k, 0, buffer, 0, k.length);
            return buffer;
        }
        return swapped(k, buffer);
    }

    /** Whether the chunk is among the bases kept for a later user. */
    synchronized boolean isKept(ObjectId id) {
        return kept.containsKey(id);
    }

    /** Whether a base of {@code len} bytes could be kept now, evicting only older kept bases. */
    synchronized boolean hasRoomToKeep(long len) {
        return len <= budget / 4 && bytes - keptBytes + len <= limit();
    }

    /**
     * Keeps a copy of the recent chunk {@code id} apart for a later user; false, keeping nothing,
     * if it is not held among the recent chunks or there is no room. The copy's array is made
     * before the lock is taken: a fresh array is paged in and zeroed, which the thread asking for
     * it pays, and this is a background thread's (the hashing thread had paid it, 10 ms per 4 MiB).
     */
    boolean keepHeld(ObjectId id) {
        int len;
        byte[] copy;
        used();
        synchronized (this) {
            Entry e = map.get(id);
            if (e == null || kept.containsKey(id)) {
                return kept.containsKey(id);
            }
            len = e.bytes.length;
            copy = spare.take(len);
        }
        if (copy == null) {
            copy = new byte[len];
        }
        memory.makeRoomFor(this, len);
        synchronized (this) {
            Entry e = map.get(id);
            if (e == null || e.bytes.length != len || kept.containsKey(id) || !roomToKeep(len)) {
                recycle(copy);
                return kept.containsKey(id);
            }
            System.arraycopy(e.bytes, 0, copy, 0, len);
            addKept(id, copy);
            return true;
        }
    }

    /**
     * Keeps a copy of {@code raw[0, len)} apart for a later user (a base decoded from its chain),
     * unless kept already or there is no room.
     */
    void keep(ObjectId id, byte[] raw, int len) {
        byte[] copy;
        used();
        memory.makeRoomFor(this, len);
        synchronized (this) {
            if (len > budget / 4 || kept.containsKey(id)) {
                return;
            }
            copy = spare.take(len);
        }
        if (copy == null) {
            copy = new byte[len];
        }
        System.arraycopy(raw, 0, copy, 0, len);
        synchronized (this) {
            if (kept.containsKey(id) || !roomToKeep(len)) {
                recycle(copy);
                return;
            }
            addKept(id, copy);
        }
    }

    /** Holds {@code a} as the kept base {@code id}; its bytes count in both totals. */
    private void addKept(ObjectId id, byte[] a) {
        kept.put(id, a);
        keptBytes += a.length;
        grow(a.length);
    }

    /** Evicts the least lately used kept bases until {@code len} more fit in half the budget; false if they cannot. */
    private boolean roomToKeep(long len) {
        Iterator<byte[]> it = kept.values().iterator();
        while (keptBytes + len > budget / 2 && it.hasNext()) {
            byte[] old = it.next();
            it.remove();
            keptBytes -= old.length;
            grow(-old.length);
            recycle(old);
        }
        return keptBytes + len <= budget / 2 && bytes + len <= limit();
    }

    /** {@code held} itself when as long as {@code buffer} (which is taken for reuse), else {@code buffer} holding its bytes. */
    private byte[] swapped(byte[] held, byte[] buffer) {
        if (held.length != buffer.length) {
            System.arraycopy(held, 0, buffer, 0, held.length);
            recycle(held);
            return buffer;
        }
        recycle(buffer);
        return held;
    }

    /** Lets the chunk go, if held among the recent ones (not the kept bases): no later version needs it. */
    synchronized void discard(ObjectId id) {
        byte[] held = release(id);
        if (held != null) {
            recycle(held);
        }
    }

    /** Removes the entry of {@code id} as served, returning its bytes; null if not held. */
    private byte[] release(ObjectId id) {
        Entry e = map.remove(id);
        if (e == null) {
            return null;
        }
        forget(id, e);
        lastHit = puts;
        youngestUsed = Math.max(youngestUsed, e.stamp);
        grow(-e.bytes.length);
        return e.bytes;
    }

    /**
     * The id and raw bytes of each entry this process stored (not of those it only decoded),
     * oldest first, under the cache's lock (the bytes must not be kept).
     */
    synchronized void forEachIngested(Spill action) {
        map.forEach((id, e) -> {
            if (e.ingested) {
                action.spill(id, e.bytes, e.delta);
            }
        });
    }

    /**
     * Marks chunk {@code id}, held as one this process stored, as stored as a delta: evicted, it is
     * spilled though its pack is not known yet. False if it is not held (evicted already, or never
     * admitted): the caller writes it to the disk cache itself.
     */
    synchronized boolean markDelta(ObjectId id) {
        Entry e = map.get(id);
        if (e == null || !e.ingested) {
            return false;
        }
        e.delta = true;
        return true;
    }

    /**
     * Whether a version decoded along a chain, {@code rank} below the version read, of {@code len}
     * bytes would be admitted now ({@link #putAlong}), counting the free room and the versions held
     * along farther below (not the entries done with, which an admission may evict too): a read
     * ahead asks before it decodes, so the chunks of a model larger than the budget are not
     * decoded only to be refused.
     */
    boolean hasRoomAlong(long len, int rank) {
        return hasRoomAlong(len, 1, rank);
    }

    /**
     * As {@link #hasRoomAlong(long, int)}, for {@code count} versions of a chunk of {@code len}
     * bytes, the nearest {@code rank} below the version read: a read ahead of a version whose
     * chain keeps the versions below it too ({@link ChunkChainReader#readAhead}).
     */
    synchronized boolean hasRoomAlong(long len, int count, int rank) {
        if (len > budget / 4) {
            return false;
        }
        long need = len * count;
        long room = limit() - bytes;
        for (LinkedHashSet<ObjectId> ids : alongByRank.tailMap(rank, false).values()) {
            for (ObjectId id : ids) {
                if (room >= need) {
                    return true;
                }
                room += map.get(id).bytes.length;
            }
        }
        return room >= need;
    }

    /**
     * Ranks chunk {@code id}, if held along a chain ({@link #putAlong}) and not read itself since
     * ({@link #peekRead}), {@code rank} below the version read: a reader stepping back is nearer
     * to it now than when it was decoded (for {@link VersionsAhead}, which reads a version farther
     * back ahead, ranked below the versions held between).
     */
    synchronized void rankAlong(ObjectId id, int rank) {
        if (rank < 1) {
            throw new IllegalArgumentException("rank " + rank);
        }
        Entry e = map.get(id);
        if (e == null || e.along == 0 || e.along == PASSED || e.along == rank) {
            return;
        }
        forget(id, e);
        map.put(id, new Entry(e.bytes, e.stamp, e.ingested, rank)); // (its place in the order stays)
        alongByRank.computeIfAbsent(rank, r -> new LinkedHashSet<>()).add(id);
    }

    /** Whether a chunk of {@code len} bytes would fit beside what is held now, without evicting anything. */
    synchronized boolean hasRoomFor(long len) {
        return len <= budget / 4 && bytes + len <= limit();
    }

    synchronized boolean contains(ObjectId id) {
        return map.containsKey(id) || kept.containsKey(id);
    }

    /** Bytes of the bases kept for a later user (for tests and probes). */
    synchronized long keptBytes() {
        return keptBytes;
    }
}
