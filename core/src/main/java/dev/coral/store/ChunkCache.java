package dev.coral.store;

import dev.coral.io.Folders;
import dev.coral.io.Futures;
import dev.coral.io.Threads;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * Raw copies of the newest delta-encoded chunks, on disk ({@code .coral/cache/chunks}): derived
 * data, like git's index, never part of the repository. A chunk at the top of a delta chain
 * costs one decode per link to read; a command-line commit needs the previous version of every
 * chunk as its base, and a checkout of the newest commit reads the same chunks. Served from here,
 * both read one file per chunk instead.
 *
 * <p>Which chunks: every chunk a commit stores as a delta is written here (on a thread of its
 * own), naming the version it follows, and the version two back leaves. So the cache holds the
 * two newest versions of each file within {@code budget} bytes (the oldest files leave first
 * beyond it): the newest serves the next commit and a checkout of the newest commit, the one
 * before it a checkout of the commit before (measured: {@code coral checkout --force main~1} of
 * the 84 MB MLP 1.28-1.54 s with one version cached, 0.40-0.49 s with two).
 * A process that commits again and again (a training loop) keeps its newest chunks in memory
 * ({@link RecentChunks}) and writes them here only when its store closes (the chunks it stored,
 * not those it only read back, or a repack's last version read): written every commit, they cost
 * its commits 10%. Keyframes are not cached: they decode at planes speed. {@code gc}
 * drops the copies of the chunks it deletes.
 *
 * <p>Measured on 8 Adam steps of an 84 MB fp32 MLP (2 cores). A fresh handle per commit, as
 * the command line does, steps 2-8: 213-226 MB/s against 161-166 without the cache; the step-8
 * commit took 344-393 ms against 798-829, its base chain no longer decoded. Command-line
 * commits stay at 1.4-1.5 s where they grew to 2.0-2.5 s with the chain. A checkout of the
 * newest commit: 103-114 ms against 530-570 in a warm JVM, 0.39-0.45 s against 1.28-1.48 s on
 * the command line. The cost: a first commit writes 84 MB more (step 2 of the command line:
 * 1.5-1.8 s against 1.35-1.5).
 *
 * <p>An older version with no file at hand is read back from a cached newer one when that
 * decodes fewer deltas than its own chain ({@link CachedDescendants}, {@link #descendantOf}):
 * the deltas between are undone. Such a read is remembered, and dropping the older chunk (a
 * reader that found it wrong) drops the entry it was read back from too.
 *
 * <p>Best-effort throughout: any entry that is missing, damaged or of another length is a miss
 * (a damaged one is deleted), and the chunk is read from its chain as without a cache. An entry
 * read as a delta base must also hash to its id (SHA-256, on the base-prefetch thread: no
 * measurable cost, 219-242 vs 218-241 MB/s in three pairs); any
 * failure to write is ignored. Processes share the folder: entries are written to a temporary
 * file and renamed into place, so a reader sees a whole entry or none.
 *
 * <p>Chunks under {@value CacheBundles#SMALL_ENTRY_BYTES} bytes are not files of their own but
 * entries of {@link CacheBundles bundles}, one file per commit's batch of them (at most
 * {@value #BUNDLE_BYTES} bytes each): there a version two back leaves with its bundle, once at
 * least half of that bundle's bytes are superseded. Measured 2026-12-05 on a file of 50,000 tensors of 4 KB (205 MB), ten
 * command-line adds: the cache took 399 MB of disk for two versions instead of 795, each add
 * 1.7-2.8 s of system time instead of 4.1-5.2.
 *
 * <pre>
 * Entry    --&gt; Magic, Version, Length, Previous, Bytes, Crc    (file named by the chunk id, 64 hex digits)
 * Magic    --&gt; "CORALCHC"
 * Version  --&gt; u32 big-endian, 2 (version 1 entries, without Previous, are misses)
 * Length   --&gt; u64 big-endian: the chunk's raw length
 * Previous --&gt; 32 bytes: the id of the version this chunk follows; all zero for none
 * Crc      --&gt; u32 CRC32C of every preceding byte
 * </pre>
 */
public final class ChunkCache implements AutoCloseable {
    static final byte[] MAGIC = "CORALCHC".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 2;
    static final int HEADER_BYTES = 8 + 4 + 8 + ObjectId.BYTES;
    private static final byte[] NO_PREVIOUS = new byte[ObjectId.BYTES];
    static final int FOOTER_BYTES = 4;
    /** Bytes of chunks waiting to be written (one chunk at least); a commit that would pass it waits. */
    static final long QUEUE_BYTES = 64L << 20;
    /** A temporary file this old was left by a process that died writing it (a write takes milliseconds). */
    static final long STALE_TEMPORARY_MILLIS = 10 * 60_000L;

    private record Pending(ObjectId id, byte[] bytes, ObjectId previous) {
    }

    private static final Pending STOP = new Pending(null, null, null);

    private final Path dir;
    private final long budget;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    /**
     * Arrays of entries written, reused for the next copies: a new array per chunk cost the
     * committing thread a zeroing pass, 4% of a fresh-handle commit's time. The process's, not one
     * set per cache (that was as much again per repository a process holds); guarded by itself.
     */
    private static final SpareArrays SPARE = new SpareArrays(4);
    /** Bytes in {@link #queue}, guarded by this cache's monitor. */
    private long queued;
    private final AtomicLong hits = new AtomicLong();
    /** Entries served as delta bases and not dropped since (see {@link #dropServedBase}). */
    private final java.util.Set<ObjectId> servedBases = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /**
     * The version before each entry this cache served as a delta base, as its header named it
     * ({@link #NONE} for none), taken as it was read: the entry written next for its successor
     * drops that version without opening the served entry again for its header. With 50,000
     * chunks of 4 KB a command-line commit saved 50,000 opens, reads and closes.
     */
    private final Map<ObjectId, ObjectId> previousOfServed = new ConcurrentHashMap<>();
    private static final ObjectId NONE = ObjectId.fromBytes(NO_PREVIOUS, 0);
    /** Whether {@link #dir} was made (or found) by this instance: checked once, not per entry. */
    private volatile boolean dirReady;
    /** The small entries, many to a file. */
    private final CacheBundles bundles;
    /**
     * Small entries taken from the queue and waiting to be bundled, by id: served from here until
     * their bundle is written (a training loop's next commit reads its first commit's chunks).
     * Their arrays are never reused (no spare): a reader may still be copying one.
     */
    private final Map<ObjectId, CacheBundles.Item> bundling = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>());
    /** Bytes in {@link #bundling}; the writer thread's own. */
    private long bundlingBytes;
    /**
     * Chunks whose entries are superseded twice over (the version two back of one written, or
     * a served base and the version before it in a process that keeps its chunks): a bundle
     * at least half of whose bytes are here leaves, as a file entry of one of them does. Not
     * all of them: a chunk whose next version was stored as a keyframe (not cached, so nothing
     * names it) is never superseded, and it pinned its whole bundle (found by a soak: a model
     * with 3% of its tensors replaced each step kept every bundle, 796 MB after 19 versions).
     * The rest of such a bundle's entries are only misses then.
     */
    private final java.util.Set<ObjectId> superseded = ConcurrentHashMap.newKeySet();
    /**
     * Bytes of small entries that make a bundle (fewer when the budget is small). 4 MiB, not 32:
     * a bundle is written by the cache's thread while the commit goes on, where a commit of 16 MB
     * of small chunks through a fresh handle wrote its whole bundle as it closed (perf
     * {@code FreshHandleCommits DIR 24 4000 1024}: medians 352-440 ms per commit, against 286-333).
     */
    static final int BUNDLE_BYTES = 4 << 20;
    private final AtomicLong written = new AtomicLong();
    private Thread writer;
    /** Bytes written since the folder was last trimmed: trimming lists it, so not after every entry. */
    private long sinceTrim;

    /** A cache in {@code dir} of at most {@code budget} bytes (0: none, nothing is read or written). */
    public ChunkCache(Path dir, long budget) {
        this.dir = dir;
        this.budget = budget;
        this.bundles = new CacheBundles(dir);
    }

    public Path dir() {
        return dir;
    }

    public long budget() {
        return budget;
    }

    /** Chunks served from the cache so far. */
    public long hits() {
        return hits.get();
    }

    private final Object descendantsLock = new Object();
    private volatile CachedDescendants descendants = CachedDescendants.NONE;
    /** Chunks read back from a cached descendant, each with that descendant: dropped with them. */
    private final Map<ObjectId, ObjectId> descendantServedFor = new ConcurrentHashMap<>();

    /**
     * The nearest cached chunk whose delta chain runs through {@code id}, with the links between
     * ({@link CachedDescendants}: mapped again when the folder changed), or null.
     */
    CachedDescendants.Descendant descendantOf(ObjectId id, CachedDescendants.Bases bases) {
        if (budget == 0) {
            return null;
        }
        FileTime stamp = CachedDescendants.stampOf(dir);
        if (stamp == null) {
            return null; // no folder (yet): nothing cached
        }
        CachedDescendants d = descendants;
        if (!d.current(stamp)) {
            synchronized (descendantsLock) {
                d = descendants;
                if (!d.current(stamp)) {
                    d = CachedDescendants.of(dir, stamp, bases);
                    descendants = d;
                }
            }
        }
        return d.of(id);
    }

    /** Reads the cached chunk {@code cached} to read {@code id} back from it ({@link #read}, its id unchecked); remembered for {@link #drop}. */
    boolean readAsDescendant(ObjectId cached, ObjectId id, byte[] dst, int len) {
        if (descendantServedFor.size() > 100_000) {
            descendantServedFor.clear(); // only a retry just after a failed read needs them
        }
        descendantServedFor.put(id, cached);
        return read(cached, dst, len, false);
    }

    /** Entries written so far. */
    public long written() {
        return written.get();
    }

    Path entry(ObjectId id) {
        return dir.resolve(id.hex());
    }

    /**
     * Reads the chunk {@code id} of {@code len} raw bytes into {@code dst[0, len)}; false (and
     * {@code dst} undefined) when the cache does not hold a sound copy of it. The entry's CRC32C
     * is checked; with {@code verifyId} also that its bytes hash to {@code id} (SHA-256). A delta
     * base needs that: a wrong base would make a new chunk that decodes to other bytes than were
     * committed. A checkout's chunks are checked with the whole file's checksum afterwards.
     */
    boolean read(ObjectId id, byte[] dst, int len, boolean verifyId) {
        if (budget == 0) {
            return false;
        }
        if (len < CacheBundles.SMALL_ENTRY_BYTES) {
            CacheBundles.Item waiting = bundling.get(id);
            if (waiting != null && waiting.bytes().length == len) {
                System.arraycopy(waiting.bytes(), 0, dst, 0, len);
                return served(id, verifyId, waiting.previous()); // its bytes were hashed to this id when it was stored
            }
            CacheBundles.Entry e = bundles.find(id);
            if (e != null) {
                if (e.length() == len && bundles.read(e, dst)) {
                    if (!verifyId || ObjectId.hashOf(dst, 0, len).equals(id)) {
                        return served(id, verifyId, e.previous());
                    }
                    bundles.drop(e.bundle()); // another chunk's bytes under this id: the bundle is not trusted
                } else if (e.length() != len) {
                    bundles.drop(e.bundle());
                }
            }
        }
        Path file = entry(id);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() != HEADER_BYTES + (long) len + FOOTER_BYTES) {
                drop(file);
                return false;
            }
            ByteBuffer head = ByteBuffer.allocate(HEADER_BYTES);
            ByteBuffer body = ByteBuffer.wrap(dst, 0, len);
            ByteBuffer foot = ByteBuffer.allocate(FOOTER_BYTES);
            long pos = 0;
            for (ByteBuffer b : new ByteBuffer[] {head, body, foot}) {
                while (b.hasRemaining()) {
                    int n = ch.read(b, pos);
                    if (n < 0) {
                        drop(file);
                        return false;
                    }
                    pos += n;
                }
            }
            CRC32C crc = new CRC32C();
            crc.update(head.array(), 0, HEADER_BYTES);
            crc.update(dst, 0, len);
            if (!headerMatches(head.array(), len) || (int) crc.getValue() != foot.getInt(0)
                    || verifyId && !ObjectId.hashOf(dst, 0, len).equals(id)) {
                drop(file);
                return false;
            }
            byte[] h = head.array();
            return served(id, verifyId, Arrays.equals(h, HEADER_BYTES - ObjectId.BYTES, HEADER_BYTES, NO_PREVIOUS, 0, ObjectId.BYTES)
                    ? null : ObjectId.fromBytes(h, HEADER_BYTES - ObjectId.BYTES));
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Counts a hit of {@code id}; a delta base's is remembered, with the version it follows (null: none). Returns true. */
    private boolean served(ObjectId id, boolean asBase, ObjectId previous) {
        hits.incrementAndGet();
        if (asBase) {
            servedBases.add(id);
            previousOfServed.put(id, previous == null ? NONE : previous);
        }
        return true;
    }

    private static boolean headerMatches(byte[] h, long len) {
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < MAGIC.length; i++) {
            if (h[i] != MAGIC[i]) {
                return false;
            }
        }
        return b.getInt(8) == VERSION && b.getLong(12) == len;
    }

    /**
     * The version before the one in entry {@code id}, as its header names it; null when there is
     * no sound entry or it names none. Reads the header only: its CRC covers the whole entry, so
     * a damaged header can name a wrong chunk, whose entry is then deleted for nothing (a miss).
     */
    ObjectId previousOf(ObjectId id) {
        ObjectId known = previousOfServed.remove(id);
        if (known != null) {
            return known == NONE ? null : known;
        }
        CacheBundles.Item waiting = bundling.get(id);
        if (waiting != null) {
            return waiting.previous();
        }
        CacheBundles.Entry bundled = bundles.find(id);
        if (bundled != null) {
            return bundled.previous();
        }
        try (FileChannel ch = FileChannel.open(entry(id), StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(HEADER_BYTES);
            while (head.hasRemaining()) {
                if (ch.read(head, head.position()) < 0) {
                    return null;
                }
            }
            byte[] h = head.array();
            if (!headerMatches(h, ch.size() - HEADER_BYTES - FOOTER_BYTES)
                    || Arrays.equals(h, HEADER_BYTES - ObjectId.BYTES, HEADER_BYTES, NO_PREVIOUS, 0, ObjectId.BYTES)) {
                return null;
            }
            return ObjectId.fromBytes(h, HEADER_BYTES - ObjectId.BYTES);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Deletes the entry of {@code id}, and of the version before it, if this cache served it as a
     * delta base: a process that keeps its chunks in memory (a training loop) reads only its first
     * commit's bases from here, writes its newest versions when it closes, and trying every base
     * of every commit cost two file-system calls per chunk (4% of a wall-clock profile of a commit
     * of 300 small tensors; end to end within the runs' spread).
     */
    void dropServedBase(ObjectId id) {
        if (servedBases.remove(id)) {
            ObjectId before = previousOf(id);
            boolean waiting = bundling.remove(id) != null; // not bundled yet: it never will be
            if (waiting || bundles.find(id) != null) {
                superseded.add(id); // its bundle leaves once half of its bytes are superseded (at the close)
                if (before != null) {
                    superseded.add(before);
                    bundling.remove(before);
                    if (bundles.find(before) == null) {
                        drop(entry(before));
                    }
                }
                return;
            }
            drop(id);
            if (before != null) {
                drop(before);
            }
        }
    }

    /** Deletes the entry of {@code id}, if any: one that has served, or that a checkout found wrong. */
    public void drop(ObjectId id) {
        ObjectId servedFor = descendantServedFor.remove(id);
        if (servedFor != null) {
            drop(servedFor); // the cached chunk it was read back from may be what held wrong bytes
        }
        if (budget > 0) {
            CacheBundles.Entry e = bundles.find(id);
            if (e != null) {
                bundles.drop(e.bundle());
            }
            drop(entry(id));
        }
    }

    /**
     * Queues a copy of the chunk {@code raw[off, off+len)} to be written as entry {@code id}, the
     * version after {@code previous} (null: none known), and then drops the entry of the version
     * before {@code previous}, which its header names: so two versions of each chunk stay, the
     * newest (the next commit's base, the newest commit's checkout) and the one before (a checkout
     * of the commit before, the most common step back). Waits while the queue is full.
     */
    void put(ObjectId id, byte[] raw, int off, int len, ObjectId previous) {
        queue(id, len, previous, copy -> System.arraycopy(raw, off, copy, 0, len), null);
    }

    /**
     * As {@link #put}, queueing {@code bytes} itself (the caller lets go of the array): a store
     * letting go of its recent chunks for another's memory, where a copy would take more before
     * any was freed.
     */
    void putOwned(ObjectId id, byte[] bytes, ObjectId previous) {
        queue(id, bytes.length, previous, null, bytes);
    }

    /** Queues entry {@code id} of {@code len} bytes: {@code owned} itself, else a copy {@code fill} writes. */
    private void queue(ObjectId id, int len, ObjectId previous, java.util.function.Consumer<byte[]> fill, byte[] owned) {
        if (budget == 0) {
            return;
        }
        if (HEADER_BYTES + (long) len + FOOTER_BYTES > budget) {
            return;
        }
        byte[] copy = owned;
        synchronized (this) {
            if (writer == null) {
                Thread t = new Thread(this::writeLoop, "coral-chunk-cache");
                t.setDaemon(true);
                if (!Threads.tryStart(t)) {
                    return; // no thread could start: not cached (a later put tries again)
                }
                writer = t;
            }
            try {
                while (queued > 0 && queued + len > QUEUE_BYTES) {
                    wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            queued += len;
            if (copy == null) {
                synchronized (SPARE) {
                    copy = SPARE.take(len);
                }
            }
        }
        if (owned == null) {
            if (copy == null) {
                copy = new byte[len];
            }
            fill.accept(copy);
        }
        queue.add(new Pending(id, copy, previous));
    }

    private void writeLoop() {
        while (true) {
            Pending p;
            try {
                p = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (p == STOP) {
                flushBundle(true);
                trim();
                return;
            }
            if (p.bytes().length < CacheBundles.SMALL_ENTRY_BYTES) {
                supersedeBeforeOf(p);
                if (!superseded.contains(p.id()) && bundling.putIfAbsent(p.id(), new CacheBundles.Item(p.id(), p.previous(), p.bytes())) == null) {
                    bundlingBytes += p.bytes().length;
                }
                synchronized (this) {
                    queued -= p.bytes().length; // its array stays held until the bundle is written
                    notifyAll();
                }
                if (bundlingBytes >= Math.min(BUNDLE_BYTES, budget / 2)) {
                    flushBundle(false);
                }
                continue;
            }
            if (p.previous() != null) {
                ObjectId before = previousOf(p.previous());
                if (before != null && !before.equals(p.id())) {
                    drop(before);
                }
            }
            write(p.id(), p.bytes(), p.previous());
            synchronized (this) {
                queued -= p.bytes().length;
                synchronized (SPARE) {
                    SPARE.give(p.bytes());
                }
                notifyAll();
            }
        }
    }

    /**
     * The two-versions rule for a small entry: the version before the one it follows is
     * superseded (its bundle leaves once all of its entries are), its file entry deleted, and it
     * is not bundled if it still waits. Done as the entry is taken, whether or not it is written
     * in the end (a later version of this process may be served it and supersede it in turn).
     */
    private void supersedeBeforeOf(Pending p) {
        if (p.previous() == null) {
            return;
        }
        ObjectId before = previousOf(p.previous());
        if (before != null && !before.equals(p.id())) {
            superseded.add(before);
            bundling.remove(before);
            if (bundles.find(before) == null) {
                drop(entry(before));
            }
        }
    }

    /**
     * Writes the small entries waiting as one bundle (any failure ignored: they are misses); with
     * {@code sweep} (as the cache closes), then deletes the bundles at least half of whose bytes are
     * superseded ({@link #superseded}). Sweeping at every 4 MiB bundle cost an add of 50,000 small
     * chunks about a second of CPU.
     */
    private void flushBundle(boolean sweep) {
        Path written = null;
        if (!bundling.isEmpty()) {
            Map<ObjectId, CacheBundles.Item> taken;
            synchronized (bundling) {
                taken = new java.util.LinkedHashMap<>(bundling);
            }
            List<CacheBundles.Item> items = taken.values().stream().filter(it -> !superseded.contains(it.id())).toList();
            try {
                if (!items.isEmpty()) { // the others were served as bases to a later version of this process since
                    if (!dirReady) {
                        Folders.ensure(dir);
                        dirReady = true;
                    }
                    written = bundles.write(items);
                    this.written.addAndGet(items.size());
                    sinceTrim += bundlingBytes;
                }
            } catch (IOException | RuntimeException e) {
                dirReady = false;
            }
            bundling.keySet().removeAll(taken.keySet()); // indexed in their bundle by now (or lost with it)
            bundlingBytes = 0;
        }
        if (sweep && !superseded.isEmpty()) { // at the close only: a sweep visits every entry indexed
            for (var b : bundles.byBundle().entrySet()) {
                long all = 0;
                long gone = 0;
                for (CacheBundles.Entry e : b.getValue()) {
                    all += e.length() + 1L;
                    gone += superseded.contains(e.id()) ? e.length() + 1L : 0;
                }
                if (!b.getKey().equals(written) && gone > 0 && 2 * gone >= all) {
                    bundles.drop(b.getKey());
                }
            }
        }
        if (sinceTrim > budget / 4) {
            trim();
        }
    }

    /** Writes one entry through a temporary file; ignores any failure (the entry is then missing). */
    void write(ObjectId id, byte[] bytes, ObjectId previous) {
        Path tmp = dir.resolve(".tmp-" + id.hex() + "-" + Thread.currentThread().getId() + "-" + System.nanoTime());
        try {
            if (!dirReady) {
                Folders.ensure(dir);
                dirReady = true;
            }
            ByteBuffer head = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.BIG_ENDIAN);
            head.put(MAGIC).putInt(VERSION).putLong(bytes.length);
            if (previous != null) {
                previous.copyTo(head.array(), HEADER_BYTES - ObjectId.BYTES);
            }
            head.position(HEADER_BYTES).flip();
            CRC32C crc = new CRC32C();
            crc.update(head.array(), 0, HEADER_BYTES);
            crc.update(bytes, 0, bytes.length);
            ByteBuffer foot = ByteBuffer.allocate(FOOTER_BYTES).order(ByteOrder.BIG_ENDIAN).putInt((int) crc.getValue()).flip();
            ByteBuffer body = ByteBuffer.wrap(bytes);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer[] all = {head, body, foot};
                while (foot.hasRemaining()) {
                    ch.write(all);
                }
            }
            Files.move(tmp, entry(id), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            written.incrementAndGet();
            sinceTrim += HEADER_BYTES + bytes.length + FOOTER_BYTES;
            if (sinceTrim > budget / 4) {
                trim();
            }
        } catch (IOException | RuntimeException e) {
            dirReady = false; // the folder may have gone: made again before the next entry
            drop(tmp);
        }
    }

    /** Deletes the oldest entries (and stale temporary files) until the folder fits the budget. */
    void trim() {
        sinceTrim = 0;
        record Item(Path path, long size, long modified) {
        }
        List<Item> items = new ArrayList<>();
        long total = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            long staleBefore = System.currentTimeMillis() - STALE_TEMPORARY_MILLIS;
            for (Path p : ds) {
                if (!written(p)) {
                    continue;
                }
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                long modified = a.lastModifiedTime().toMillis();
                if (p.getFileName().toString().startsWith(".tmp-")) {
                    if (modified < staleBefore) {
                        drop(p);
                    }
                    continue;
                }
                items.add(new Item(p, a.size(), modified));
                total += a.size();
            }
        } catch (IOException e) {
            return;
        }
        items.sort(Comparator.comparingLong(Item::modified));
        for (int i = 0; i < items.size() && total > budget; i++) {
            Path p = items.get(i).path();
            if (CacheBundles.isBundleName(p.getFileName().toString())) {
                bundles.drop(p);
            } else {
                drop(p);
            }
            total -= items.get(i).size();
        }
    }

    /**
     * Deletes the entries of chunks the store no longer holds (after a gc), and the files that
     * are not entries; returns how many files went.
     */
    public int retain(ObjectStore store) {
        int dropped = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (!written(p)) {
                    continue;
                }
                String name = p.getFileName().toString();
                boolean keep;
                try {
                    keep = name.startsWith(".tmp-") || (CacheBundles.isBundleName(name) ? holdsAny(p, store)
                            : store.find(ObjectId.fromHex(name)) != null);
                } catch (IOException | RuntimeException e) {
                    keep = false; // not an entry's name, or a chunk that cannot be found
                }
                if (!keep) {
                    drop(p);
                    dropped++;
                }
            }
        } catch (IOException e) {
            return dropped;
        }
        return dropped;
    }

    /** Whether bundle {@code p} holds an entry of a chunk {@code store} still holds (a damaged one: no). */
    private static boolean holdsAny(Path p, ObjectStore store) throws IOException {
        List<CacheBundles.Entry> index = CacheBundles.readIndex(p);
        if (index != null) {
            for (CacheBundles.Entry e : index) {
                if (store.find(e.id()) != null) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Bytes the folder's entries take now. */
    public long bytes() {
        long total = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (written(p)) {
                    total += Files.size(p);
                }
            }
        } catch (IOException e) {
            return total;
        }
        return total;
    }

    /**
     * Whether the cache wrote this file: an entry (named by a chunk id) or a temporary one. The
     * rest is left alone, never counted or deleted: the folder may be a link to one elsewhere
     * (a faster disk) that holds other files too.
     */
    private static boolean written(Path p) {
        String name = p.getFileName().toString();
        return name.startsWith(".tmp-") || name.length() == 2 * ObjectId.BYTES && ObjectId.isHex(name) || CacheBundles.isBundleName(name);
    }

    /**
     * Deletes an entry or temporary file, best-effort: a stale entry is found damaged or missing
     * and read from its chain. One unlink (Files.deleteIfExists would stat the file first).
     */
    private static void drop(Path file) {
        try {
            file.toFile().delete();
        } catch (RuntimeException e) {
            // as above: left for trim, or found damaged
        }
    }

    /** Waits for the entries queued so far to be written (then trims the folder). */
    @Override
    public void close() {
        Thread w;
        synchronized (this) {
            w = writer;
            writer = null;
        }
        if (w != null) {
            queue.add(STOP);
            Futures.joinUninterruptibly(w);
        }
        bundles.close();
    }
}
