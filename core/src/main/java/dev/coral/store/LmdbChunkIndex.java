package dev.coral.store;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.lmdbjava.CursorIterable;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;

/**
 * The persistent {@link ChunkIndex}: an LMDB environment in {@code <cacheDir>/lmdb/} (for a
 * repository, {@code .coral/cache/lmdb/}). Three named databases:
 * <ul>
 *   <li>{@code chunks}: 32 id bytes to a 44-byte location (pack id, offset, stored length,
 *       big-endian);</li>
 *   <li>{@code packs}: pack id to its object count, one key per pack whose every entry is in
 *       {@code chunks} (written in the same transaction as the entries, so a pack is covered
 *       entirely or not at all);</li>
 *   <li>{@code meta}: {@code format} to {@link #FORMAT}, written last when the environment is
 *       created: an environment without it is a half-built one and is rebuilt.</li>
 * </ul>
 *
 * <p>Because of the {@code packs} database, an index that {@linkplain #covers covers} every pack a
 * store has loaded answers a miss authoritatively: the id is not in those packs. See
 * {@link #catchUp(List)}.
 *
 * <p>It is only a cache of the pack indexes, so every trouble degrades instead of failing: an
 * environment that cannot be opened or read, has another format, or is full beyond
 * {@link #maxMapSize}, is deleted and rebuilt from the truth (under an exclusive OS lock on
 * {@code <cacheDir>/lmdb.lock}, taken only to open or rebuild); if even that fails the index is
 * {@linkplain Outcome#DISABLED disabled}: it knows nothing and covers nothing. The map starts at
 * {@link #initialMapSize} and doubles when full; other processes follow a grown map.
 *
 * <p>LMDB must not be opened twice in one process (closing one handle would drop the other's
 * POSIX locks), so all instances on one folder in this JVM share one environment, closed with
 * the last of them. Safe for many threads ({@code MDB_NOTLS}) and processes.
 */
public final class LmdbChunkIndex implements ChunkIndex {
    /** The environment folder, in the cache folder. */
    public static final String DIR = "lmdb";
    /** The lock file for open and rebuild, in the cache folder (beside, not in, the environment). */
    public static final String LOCK_FILE = "lmdb.lock";
    /** Stored in {@code meta}; any other value (or none) makes the environment be rebuilt. */
    static final String FORMAT = "coral-chunk-index/lmdb/1";
    static final int VALUE_BYTES = ObjectId.BYTES + Long.BYTES + Integer.BYTES;

    /** Map size of a new environment; tests shrink it to exercise growth. */
    static volatile long initialMapSize = 64L << 20;
    /** Beyond this the map is not grown: the environment is rebuilt (and then disabled). */
    static volatile long maxMapSize = 1L << 40;
    /** How long to wait for another process's open or rebuild before giving up (disabled). */
    static volatile long lockWaitMillis = 30_000L;

    /** How the index came to be usable. */
    public enum Outcome {
        /** No environment: a new one was built from the truth. */
        CREATED,
        /** The environment was opened as it was. */
        OPENED,
        /** The environment was unusable (or explicitly rebuilt): it was deleted and built anew. */
        REBUILT,
        /** LMDB could not be used at all: the index knows nothing and covers nothing. */
        DISABLED
    }

    private static final Map<Path, Shared> OPEN = new HashMap<>(); // guarded by itself

    private final Shared shared;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LmdbChunkIndex(Shared shared) {
        this.shared = shared;
    }

    /**
     * Opens the index in {@code cacheDir/lmdb}, creating it from {@code truth} if it does not
     * exist and rebuilding it if it is unusable; then, when {@code truth} is an
     * {@link ObjectStore}, catches up with every pack it has loaded. Never fails because of the
     * cache files themselves.
     */
    public static LmdbChunkIndex open(Path cacheDir, PackedObjects truth) throws IOException {
        return open(cacheDir, truth, false);
    }

    /** Deletes and rebuilds the environment from {@code truth} ({@code coral fsck --rebuild-index}). */
    public static LmdbChunkIndex rebuild(Path cacheDir, PackedObjects truth) throws IOException {
        return open(cacheDir, truth, true);
    }

    private static LmdbChunkIndex open(Path cacheDir, PackedObjects truth, boolean force) throws IOException {
        if (truth == null) {
            throw new NullPointerException("truth");
        }
        Files.createDirectories(cacheDir);
        Path dir = cacheDir.resolve(DIR).toAbsolutePath().normalize();
        Shared s;
        synchronized (OPEN) {
            s = OPEN.get(dir);
            if (s == null) {
                s = new Shared(dir, cacheDir.resolve(LOCK_FILE).toAbsolutePath().normalize(), truth);
                s.attach(force);
                OPEN.put(dir, s);
            } else if (force) {
                s.rebuildNow(null, -1);
            }
            s.refs++;
        }
        LmdbChunkIndex index = new LmdbChunkIndex(s);
        if (truth instanceof ObjectStore store) {
            index.catchUp(store.packIndexes());
        }
        return index;
    }

    /** Deletes the environment of {@code cacheDir} (not while this JVM has it open). */
    public static void delete(Path cacheDir) throws IOException {
        deleteTree(cacheDir.resolve(DIR));
    }

    /** How this index was opened (or last repaired). */
    public Outcome outcome() {
        return shared.outcome;
    }

    /** The last failure that made the index repair or disable itself, or null. */
    public Throwable lastFailure() {
        return shared.lastFailure;
    }

    /** The environment folder. */
    public Path directory() {
        return shared.dir;
    }

    @Override
    public ObjectLocation get(ObjectId id) throws IOException {
        checkOpen();
        return shared.get(id);
    }

    /** Records locations without marking any pack covered. */
    @Override
    public void putAll(Map<ObjectId, ObjectLocation> entries) throws IOException {
        checkOpen();
        shared.putAll(entries);
    }

    @Override
    public long size() throws IOException {
        checkOpen();
        return shared.size();
    }

    /** Whether every entry of pack {@code packId} is in the index (as this process knows it). */
    public boolean covers(ObjectId packId) {
        return shared.covered.contains(packId);
    }

    /** Number of packs known covered. */
    public int coveredPackCount() {
        return shared.covered.size();
    }

    /**
     * Adds, in one write transaction per pack, the entries of every pack of {@code packs} that is
     * not yet covered, and marks it covered. Cheap when all are: a look-up in memory per pack.
     * Afterwards the index covers all of {@code packs} (unless it is disabled).
     *
     * @return the number of packs indexed now
     */
    public int catchUp(List<PackIndex> packs) throws IOException {
        checkOpen();
        return shared.catchUp(packs);
    }

    /** Indexes one pack (typically just written) and marks it covered; one write transaction. */
    public void addPack(PackIndex pack) throws IOException {
        checkOpen();
        shared.catchUp(List.of(pack));
    }

    private void checkOpen() throws IOException {
        if (closed.get()) {
            throw new IOException(shared.dir + ": the chunk index is closed");
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        synchronized (OPEN) {
            if (--shared.refs == 0) {
                OPEN.remove(shared.dir);
                shared.close();
            }
        }
    }

    // ---------------------------------------------------------------- encoding

    static void encode(ObjectLocation loc, ByteBuffer v) {
        v.clear();
        byte[] pack = new byte[ObjectId.BYTES];
        loc.pack().copyTo(pack, 0);
        v.put(pack).putLong(loc.offset()).putInt(loc.storedLength()).flip();
    }

    static ObjectLocation decode(ByteBuffer v) {
        if (v.remaining() != VALUE_BYTES) {
            return null; // not ours: a miss costs only a duplicate write
        }
        byte[] b = new byte[VALUE_BYTES];
        v.get(b);
        ByteBuffer w = ByteBuffer.wrap(b);
        return new ObjectLocation(ObjectId.fromBytes(b), w.getLong(ObjectId.BYTES), w.getInt(ObjectId.BYTES + Long.BYTES));
    }

    private static final ThreadLocal<ByteBuffer> KEY = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(ObjectId.BYTES));
    private static final ThreadLocal<ByteBuffer> VAL = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(VALUE_BYTES));

    private static ByteBuffer key(ObjectId id) {
        ByteBuffer k = KEY.get();
        k.clear();
        byte[] b = new byte[ObjectId.BYTES];
        id.copyTo(b, 0);
        k.put(b).flip();
        return k;
    }

    private static ByteBuffer direct(byte[] b) {
        ByteBuffer d = ByteBuffer.allocateDirect(b.length);
        d.put(b).flip();
        return d;
    }

    private static ByteBuffer direct(long v) {
        ByteBuffer d = ByteBuffer.allocateDirect(Long.BYTES);
        d.putLong(v).flip();
        return d;
    }

    // ---------------------------------------------------------------- the shared environment

    /** An open environment and its databases. Replaced whole on rebuild. */
    private record Db(Env<ByteBuffer> env, Dbi<ByteBuffer> chunks, Dbi<ByteBuffer> packs, Dbi<ByteBuffer> meta) {
    }

    private interface Op<T> {
        T apply(Db db);
    }

    /** The state shared by every instance of this JVM on one folder. */
    private static final class Shared {
        final Path dir;
        final Path lockFile;
        final PackedObjects truth;
        /** Readers: every transaction. Writer: resizing, replacing or closing the environment. */
        final ReentrantReadWriteLock guard = new ReentrantReadWriteLock();
        final Set<ObjectId> covered = ConcurrentHashMap.newKeySet();
        int refs; // guarded by OPEN

        Db db; // null: disabled or closed
        long generation;
        boolean closed;
        volatile Outcome outcome;
        volatile Throwable lastFailure;

        Shared(Path dir, Path lockFile, PackedObjects truth) {
            this.dir = dir;
            this.lockFile = lockFile;
            this.truth = truth;
        }

        // ------------------------------------------------------------ open and rebuild

        /** Opens, or creates, or rebuilds; disables on failure. */
        void attach(boolean force) throws IOException {
            guard.writeLock().lock();
            try (ProcessLock lock = ProcessLock.acquire(lockFile, lockWaitMillis)) {
                boolean existed = Files.exists(dir.resolve("data.mdb"));
                if (existed && !force) {
                    try {
                        db = openExisting();
                        outcome = Outcome.OPENED;
                        return;
                    } catch (IOException | RuntimeException | LinkageError e) {
                        lastFailure = e;
                    }
                }
                try {
                    build();
                    outcome = existed || force || lastFailure != null ? Outcome.REBUILT : Outcome.CREATED;
                } catch (IOException | RuntimeException | LinkageError e) {
                    disable(e);
                }
            } catch (IOException e) {
                disable(e); // could not take the lock in time
            } finally {
                generation++;
                guard.writeLock().unlock();
            }
        }

        /** Replaces the environment by one built from the truth, unless it changed since {@code gen} (-1: always). */
        void rebuildNow(Throwable cause, long gen) throws IOException {
            guard.writeLock().lock();
            try {
                if (closed || (gen >= 0 && generation != gen)) {
                    return;
                }
                lastFailure = cause;
                closeDb();
                try (ProcessLock lock = ProcessLock.acquire(lockFile, lockWaitMillis)) {
                    build();
                    outcome = Outcome.REBUILT;
                } catch (IOException | RuntimeException | LinkageError e) {
                    disable(e);
                }
            } finally {
                generation++;
                guard.writeLock().unlock();
            }
        }

        private void disable(Throwable cause) {
            lastFailure = cause;
            closeDb();
            covered.clear();
            outcome = Outcome.DISABLED;
        }

        private Db openExisting() throws IOException {
            long fileSize = Files.size(dir.resolve("data.mdb"));
            Env<ByteBuffer> env = Env.create()
                    .setMapSize(Math.max(initialMapSize, roundUp(2 * fileSize)))
                    .setMaxDbs(4)
                    .open(dir.toFile(), EnvFlags.MDB_NOTLS);
            try {
                // a file cut short would be mapped beyond its end: SIGBUS, not an exception
                long needed = (env.info().lastPageNumber + 1) * env.stat().pageSize;
                if (Files.size(dir.resolve("data.mdb")) < needed) {
                    throw new IOException(dir + ": data.mdb is shorter than its " + needed + " bytes of pages");
                }
                env.readerCheck(); // frees the reader slots of killed processes
                Db d;
                try (Txn<ByteBuffer> txn = env.txnRead()) {
                    Dbi<ByteBuffer> meta = env.openDbi(txn, "meta".getBytes(StandardCharsets.UTF_8), null, false);
                    Dbi<ByteBuffer> chunks = env.openDbi(txn, "chunks".getBytes(StandardCharsets.UTF_8), null, false);
                    Dbi<ByteBuffer> packs = env.openDbi(txn, "packs".getBytes(StandardCharsets.UTF_8), null, false);
                    ByteBuffer f = meta.get(txn, direct("format".getBytes(StandardCharsets.UTF_8)));
                    String format = f == null ? null : StandardCharsets.UTF_8.decode(f).toString();
                    if (!FORMAT.equals(format)) {
                        throw new IOException(dir + ": chunk index format " + format + ", expected " + FORMAT);
                    }
                    d = new Db(env, chunks, packs, meta);
                    Set<ObjectId> have = new HashSet<>();
                    try (CursorIterable<ByteBuffer> it = packs.iterate(txn)) {
                        for (CursorIterable.KeyVal<ByteBuffer> kv : it) {
                            have.add(idOf(kv.key()));
                        }
                    }
                    txn.commit(); // keeps the database handles
                    covered.clear();
                    covered.addAll(have);
                }
                return d;
            } catch (IOException | RuntimeException e) {
                env.close();
                throw e;
            }
        }

        /** Deletes the folder, creates a new environment and fills it from the truth. Lock held. */
        private void build() throws IOException {
            closeDb();
            covered.clear();
            deleteTree(dir);
            Files.createDirectories(dir);
            Env<ByteBuffer> env = Env.create().setMapSize(initialMapSize).setMaxDbs(4).open(dir.toFile(), EnvFlags.MDB_NOTLS);
            try {
                Db d;
                try (Txn<ByteBuffer> txn = env.txnWrite()) {
                    Dbi<ByteBuffer> meta = env.openDbi(txn, "meta".getBytes(StandardCharsets.UTF_8), null, false, DbiFlags.MDB_CREATE);
                    Dbi<ByteBuffer> chunks = env.openDbi(txn, "chunks".getBytes(StandardCharsets.UTF_8), null, false, DbiFlags.MDB_CREATE);
                    Dbi<ByteBuffer> packs = env.openDbi(txn, "packs".getBytes(StandardCharsets.UTF_8), null, false, DbiFlags.MDB_CREATE);
                    txn.commit();
                    d = new Db(env, chunks, packs, meta);
                }
                db = d;
                fill(d);
                writeDirect(d, txn -> d.meta.put(txn, direct("format".getBytes(StandardCharsets.UTF_8)),
                        direct(FORMAT.getBytes(StandardCharsets.UTF_8))));
            } catch (IOException | RuntimeException e) {
                db = null;
                env.close();
                throw e;
            }
        }

        /** Fills a new environment from the truth. Write lock held, no transaction open. */
        private void fill(Db d) throws IOException {
            if (truth instanceof ObjectStore store) {
                store.refresh();
                for (PackIndex p : store.packIndexes()) {
                    writeDirect(d, txn -> putPack(d, txn, p));
                    covered.add(p.packId());
                }
                return;
            }
            // any other truth: its objects in batches, and then the packs seen as covered
            List<Map.Entry<ObjectId, ObjectLocation>> batch = new ArrayList<>();
            Map<ObjectId, Long> packCounts = new HashMap<>();
            IOException[] failed = {null};
            truth.forEachObject((id, loc) -> {
                batch.add(Map.entry(id, loc));
                packCounts.merge(loc.pack(), 1L, Long::sum);
                if (batch.size() >= 50_000 && failed[0] == null) {
                    try {
                        writeDirect(d, txn -> putEntries(d, txn, batch));
                    } catch (IOException e) {
                        failed[0] = e;
                    }
                    batch.clear();
                }
            });
            if (failed[0] != null) {
                throw failed[0];
            }
            writeDirect(d, txn -> {
                putEntries(d, txn, batch);
                for (Map.Entry<ObjectId, Long> e : packCounts.entrySet()) {
                    d.packs.put(txn, key(e.getKey()), direct(e.getValue()));
                }
            });
            covered.addAll(packCounts.keySet());
        }

        private interface TxnBody {
            void accept(Txn<ByteBuffer> txn);
        }

        /** A write transaction, growing the map as needed. Write lock held, no transaction open. */
        private void writeDirect(Db d, TxnBody body) throws IOException {
            while (true) {
                try (Txn<ByteBuffer> txn = d.env.txnWrite()) {
                    body.accept(txn);
                    txn.commit();
                    return;
                } catch (Env.MapFullException e) {
                    grow(d, e);
                }
            }
        }

        private void grow(Db d, RuntimeException cause) throws IOException {
            long size = d.env.info().mapSize;
            if (2 * size > maxMapSize) {
                throw new IOException(dir + ": the chunk index outgrew " + maxMapSize + " bytes", cause);
            }
            d.env.setMapSize(2 * size);
        }

        // ------------------------------------------------------------ operations

        private <T> T run(Op<T> op, T whenDisabled) throws IOException {
            for (int attempt = 0;; attempt++) {
                long gen;
                RuntimeException failure;
                guard.readLock().lock();
                try {
                    if (closed) {
                        throw new IOException(dir + ": the chunk index is closed");
                    }
                    if (db == null) {
                        return whenDisabled;
                    }
                    gen = generation;
                    try {
                        return op.apply(db);
                    } catch (RuntimeException e) {
                        failure = e;
                    }
                } finally {
                    guard.readLock().unlock();
                }
                repair(gen, failure, attempt);
            }
        }

        private void repair(long gen, RuntimeException failure, int attempt) throws IOException {
            guard.writeLock().lock();
            try {
                if (closed || db == null || generation != gen) {
                    return; // another thread repaired it already
                }
                if (attempt > 64) {
                    disable(failure);
                    generation++;
                    return;
                }
                try {
                    if (failure instanceof Env.MapFullException) {
                        grow(db, failure);
                        generation++;
                        return;
                    }
                    if (failure instanceof org.lmdbjava.Dbi.MapResizedException) {
                        db.env.setMapSize(0); // adopt the size another process grew the map to
                        generation++;
                        return;
                    }
                } catch (IOException | LmdbException e) {
                    failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                }
                if (attempt > 4) {
                    disable(failure);
                    generation++;
                    return;
                }
            } finally {
                guard.writeLock().unlock();
            }
            rebuildNow(failure, gen);
        }

        ObjectLocation get(ObjectId id) throws IOException {
            return run(d -> {
                try (Txn<ByteBuffer> txn = d.env.txnRead()) {
                    ByteBuffer v = d.chunks.get(txn, key(id));
                    return v == null ? null : decode(v);
                }
            }, null);
        }

        void putAll(Map<ObjectId, ObjectLocation> entries) throws IOException {
            if (entries.isEmpty()) {
                return;
            }
            List<Map.Entry<ObjectId, ObjectLocation>> list = new ArrayList<>(entries.entrySet());
            run(d -> {
                try (Txn<ByteBuffer> txn = d.env.txnWrite()) {
                    putEntries(d, txn, list);
                    txn.commit();
                }
                return null;
            }, null);
        }

        long size() throws IOException {
            return run(d -> {
                try (Txn<ByteBuffer> txn = d.env.txnRead()) {
                    return d.chunks.stat(txn).entries;
                }
            }, 0L);
        }

        int catchUp(List<PackIndex> packs) throws IOException {
            List<PackIndex> missing = new ArrayList<>();
            for (PackIndex p : packs) {
                if (!covered.contains(p.packId())) {
                    missing.add(p);
                }
            }
            if (missing.isEmpty()) {
                return 0;
            }
            // another process may have covered them: look before taking the writer lock
            List<ObjectId> seen = run(d -> {
                List<ObjectId> out = new ArrayList<>();
                try (Txn<ByteBuffer> txn = d.env.txnRead()) {
                    for (PackIndex p : missing) {
                        if (d.packs.get(txn, key(p.packId())) != null) {
                            out.add(p.packId());
                        }
                    }
                }
                return out;
            }, null);
            if (seen == null) {
                return 0; // disabled
            }
            covered.addAll(seen);
            int added = 0;
            for (PackIndex p : missing) {
                if (covered.contains(p.packId())) {
                    continue;
                }
                Boolean done = run(d -> {
                    try (Txn<ByteBuffer> txn = d.env.txnWrite()) {
                        if (d.packs.get(txn, key(p.packId())) == null) {
                            putPack(d, txn, p);
                            txn.commit();
                        }
                    }
                    return Boolean.TRUE;
                }, Boolean.FALSE);
                if (done) {
                    covered.add(p.packId());
                    added++;
                }
            }
            return added;
        }

        private static void putEntries(Db d, Txn<ByteBuffer> txn, List<Map.Entry<ObjectId, ObjectLocation>> entries) {
            ByteBuffer v = VAL.get();
            for (Map.Entry<ObjectId, ObjectLocation> e : entries) {
                encode(e.getValue(), v);
                d.chunks.put(txn, key(e.getKey()), v);
            }
        }

        private static void putPack(Db d, Txn<ByteBuffer> txn, PackIndex p) {
            ByteBuffer v = VAL.get();
            for (int i = 0; i < p.size(); i++) {
                PackIndex.Entry e = p.entryAt(i);
                encode(new ObjectLocation(p.packId(), e.offset(), e.storedLength()), v);
                d.chunks.put(txn, key(e.id()), v);
            }
            d.packs.put(txn, key(p.packId()), direct((long) p.size()));
        }

        private void closeDb() {
            if (db != null) {
                try {
                    db.env.close();
                } catch (RuntimeException ignored) {
                    // closing only unmaps; nothing to save
                }
                db = null;
            }
        }

        void close() {
            guard.writeLock().lock();
            try {
                closed = true;
                closeDb();
            } finally {
                guard.writeLock().unlock();
            }
        }
    }

    private static ObjectId idOf(ByteBuffer key) {
        if (key.remaining() != ObjectId.BYTES) {
            throw new IllegalStateException("a pack key of " + key.remaining() + " bytes");
        }
        byte[] b = new byte[ObjectId.BYTES];
        key.get(b);
        return ObjectId.fromBytes(b);
    }

    private static long roundUp(long n) {
        long mb = 1L << 20;
        return (n + mb - 1) / mb * mb;
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.delete(p);
                } catch (NoSuchFileException ignored) {
                    // gone already
                }
            }
        }
    }

    // ---------------------------------------------------------------- the process lock

    /** An exclusive lock on the lock file between processes (callers serialize threads). */
    private static final class ProcessLock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private ProcessLock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        static ProcessLock acquire(Path lockFile, long waitMillis) throws IOException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
            FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                while (true) {
                    FileLock l = ch.tryLock();
                    if (l != null) {
                        return new ProcessLock(ch, l);
                    }
                    if (System.nanoTime() - deadline > 0) {
                        throw new IOException(lockFile + ": another process has held the chunk index lock for "
                                + waitMillis + " ms");
                    }
                    Thread.sleep(10);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ch.close();
                throw new InterruptedIOException(lockFile + ": interrupted while waiting for the chunk index lock");
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        }
    }
}
