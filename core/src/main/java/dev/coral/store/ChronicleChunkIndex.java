package dev.coral.store;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.LockFailedException;
import dev.coral.io.AtomicFile;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

/**
 * The persistent {@link ChunkIndex}: a Chronicle Map in {@code .coral/cache/chunks.cmap}, keyed by
 * the 32 id bytes, valued by a fixed 44-byte location (pack id, offset, stored length, big-endian).
 *
 * <p>It is only a cache of the pack indexes ({@link PackedObjects}), so every trouble degrades
 * instead of failing: a missing, garbage or half-written map file, a map left locked by a killed
 * process, a full map, are all answered by rebuilding from the truth; if even that fails, the
 * index falls back to a {@link ChunkIndexInMemory} filled from the truth.
 *
 * <p>Protocol between processes, all under an exclusive OS lock on
 * {@code .coral/locks/chunk-index.lock} (taken only to open, close, rebuild, never per look-up):
 * <ul>
 *   <li>The map file is only ever created under a temporary name, populated, fsynced, and renamed
 *       into place; a process killed while creating leaves only a {@code .tmp-} file.</li>
 *   <li>Every process that has the map open has a line "pid start-time file-identity" in
 *       {@code chunks.dirty}, written before it opens and removed when it closes. A line whose
 *       process is gone and whose file identity is that of the current map means a process may
 *       have died holding a segment lock (which would block the next access to that segment for
 *       60 s and then throw): the next opener recovers the map with
 *       {@code recoverPersistedTo(file, false)} if nobody else has it open, or else builds a
 *       fresh map from the truth and renames it over the old one (live processes keep the old
 *       inode; their later puts reach the new map when they notice the rename).</li>
 * </ul>
 */
public final class ChronicleChunkIndex implements ChunkIndex {
    static {
        // Before any Chronicle class initializes: no phoning home, no banner, and a short wait
        // for a map file whose header was never completed (ours always are: temp + rename).
        setIfAbsent("chronicle.analytics.disable", "true");
        setIfAbsent("chronicle.announcer.disable", "true");
        setIfAbsent("chronicle.map.file.lock.timeout.secs", "5");
        // JNA (pulled in by Chronicle) would otherwise unpack its native library into ~/.cache/JNA
        String tmp = System.getProperty("java.io.tmpdir");
        if (tmp != null) {
            setIfAbsent("jna.tmpdir", tmp);
        }
    }

    /** The map file, in the cache folder. */
    public static final String MAP_FILE = "chunks.cmap";
    /** The owners ("dirty") marker, in the cache folder. */
    public static final String DIRTY_FILE = "chunks.dirty";
    /** The lock file, in the locks folder. */
    public static final String LOCK_FILE = "chunk-index.lock";

    // Chronicle's file layout (SizePrefixedBlob): a size word at 8, ready when positive, header from 12
    private static final int SIZE_WORD_OFFSET = 8;
    private static final int HEADER_START = 12;
    private static final int SIZE_MASK = 0x3FFFFFFF;

    static final int VALUE_BYTES = ObjectId.BYTES + Long.BYTES + Integer.BYTES;
    static final long DEFAULT_MIN_ENTRIES = 1_000_000L;
    /** Smallest capacity of a new map; tests shrink it to exercise growth. */
    static volatile long minEntries = DEFAULT_MIN_ENTRIES;
    /** How long to wait for another process's open, close or rebuild before degrading. */
    static volatile long lockWaitMillis = 30_000L;

    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    /** How the index came to be usable. */
    public enum Outcome {
        /** No map file: a new one was built from the truth. */
        CREATED,
        /** The map file was opened as it was. */
        OPENED,
        /** A process died with the map open; the map was recovered in place. */
        RECOVERED,
        /** The map file was unusable, suspect or explicitly rebuilt: a new one was built from the truth. */
        REBUILT,
        /** The persistent map could not be used: the entries are held in memory. */
        IN_MEMORY
    }

    private final Path mapFile;
    private final Path dirtyFile;
    private final Path lockFile;
    private final PackedObjects truth;
    /** Readers: every look-up and put. Writer: replacing or closing the map. */
    private final ReentrantReadWriteLock guard = new ReentrantReadWriteLock();

    private ChronicleMap<byte[], byte[]> map;
    private String fileKey;
    private Owner me;
    private ChunkIndexInMemory fallback;
    private long generation;
    private boolean closed;
    private volatile Outcome outcome;
    private volatile Throwable lastFailure;

    private ChronicleChunkIndex(Path cacheDir, Path locksDir, PackedObjects truth) {
        this.mapFile = cacheDir.resolve(MAP_FILE).toAbsolutePath();
        this.dirtyFile = cacheDir.resolve(DIRTY_FILE).toAbsolutePath();
        this.lockFile = locksDir.resolve(LOCK_FILE).toAbsolutePath();
        this.truth = truth;
    }

    /**
     * Opens the index of a repository, creating it from {@code truth} if it does not exist and
     * repairing or rebuilding it if it is unusable. Never fails because of the cache file itself.
     */
    public static ChronicleChunkIndex open(Path cacheDir, Path locksDir, PackedObjects truth) throws IOException {
        return open(cacheDir, locksDir, truth, false);
    }

    /** Replaces the map with one built from {@code truth} ({@code coral fsck --rebuild-index}). */
    public static ChronicleChunkIndex rebuild(Path cacheDir, Path locksDir, PackedObjects truth) throws IOException {
        return open(cacheDir, locksDir, truth, true);
    }

    /**
     * Deletes the map, its marker and leftover temporaries. Processes that have it open keep
     * working on the unlinked file.
     */
    public static void delete(Path cacheDir) throws IOException {
        if (!Files.isDirectory(cacheDir)) {
            return;
        }
        Files.deleteIfExists(cacheDir.resolve(MAP_FILE));
        Files.deleteIfExists(cacheDir.resolve(DIRTY_FILE));
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(cacheDir, AtomicFile.TEMP_PREFIX + MAP_FILE + "*")) {
            for (Path p : temps) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Sets the Chronicle system properties; call early in {@code main} to be sure they precede Chronicle. */
    public static void configureChronicle() {
        // the static initializer has done the work
    }

    private static ChronicleChunkIndex open(Path cacheDir, Path locksDir, PackedObjects truth, boolean force)
            throws IOException {
        Objects.requireNonNull(truth, "truth");
        Files.createDirectories(cacheDir);
        Files.createDirectories(locksDir);
        ChronicleChunkIndex index = new ChronicleChunkIndex(cacheDir, locksDir, truth);
        index.guard.writeLock().lock();
        try {
            try (ProcessLock lock = ProcessLock.acquire(index.lockFile, lockWaitMillis)) {
                index.attachLocked(force);
            } catch (LockFailedException e) {
                index.degradeLocked(e);
            }
        } finally {
            index.guard.writeLock().unlock();
        }
        return index;
    }

    /** How this index was opened (or last repaired). */
    public Outcome outcome() {
        return outcome;
    }

    /** The last failure that made the index repair or degrade itself, or null. */
    public Throwable lastFailure() {
        return lastFailure;
    }

    /** Whether the entries are in memory only, the persistent map having failed. */
    public boolean isInMemory() {
        guard.readLock().lock();
        try {
            return fallback != null;
        } finally {
            guard.readLock().unlock();
        }
    }

    @Override
    public ObjectLocation get(ObjectId id) throws IOException {
        byte[] key = id.toBytes();
        return run(m -> {
            byte[] v = m.get(key);
            return v == null ? null : decode(v);
        }, f -> f.get(id), false);
    }

    @Override
    public void putAll(Map<ObjectId, ObjectLocation> entries) throws IOException {
        if (entries.isEmpty()) {
            return;
        }
        List<byte[]> keys = new ArrayList<>(entries.size());
        List<byte[]> values = new ArrayList<>(entries.size());
        for (Map.Entry<ObjectId, ObjectLocation> e : entries.entrySet()) {
            keys.add(e.getKey().toBytes());
            values.add(encode(e.getValue()));
        }
        followRename();
        run(m -> {
            for (int i = 0; i < keys.size(); i++) {
                m.put(keys.get(i), values.get(i));
            }
            return null;
        }, f -> {
            f.putAll(entries);
            return null;
        }, true);
    }

    @Override
    public long size() throws IOException {
        return run(ChronicleMap::longSize, ChunkIndexInMemory::size, false);
    }

    @Override
    public void close() throws IOException {
        guard.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            closeQuietly(map);
            map = null;
            if (me != null) {
                try (ProcessLock lock = ProcessLock.acquire(lockFile, lockWaitMillis)) {
                    rewriteOwners(me, null);
                } catch (IOException e) {
                    // our line stays; the next opener sees a dead owner and recovers the map
                }
                me = null;
            }
        } finally {
            guard.writeLock().unlock();
        }
    }

    // ---------------------------------------------------------------- operations and repair

    private interface MapOp<T> {
        T apply(ChronicleMap<byte[], byte[]> m);
    }

    private interface FallbackOp<T> {
        T apply(ChunkIndexInMemory f) throws IOException;
    }

    private <T> T run(MapOp<T> op, FallbackOp<T> fb, boolean writing) throws IOException {
        for (int attempt = 0;; attempt++) {
            long gen;
            RuntimeException failure;
            guard.readLock().lock();
            try {
                if (closed) {
                    throw new IOException(mapFile + ": the chunk index is closed");
                }
                if (fallback != null) {
                    return fb.apply(fallback);
                }
                gen = generation;
                try {
                    return op.apply(map);
                } catch (RuntimeException e) {
                    failure = e;
                }
            } finally {
                guard.readLock().unlock();
            }
            repair(gen, failure, writing, attempt >= 2);
        }
    }

    /**
     * Replaces a map that failed (or is full) by a new one, unless another thread already has.
     * The new map holds the truth, plus the old map's entries when the old map is merely full.
     */
    private void repair(long gen, RuntimeException failure, boolean writing, boolean giveUp) throws IOException {
        guard.writeLock().lock();
        try {
            if (closed || fallback != null || generation != gen) {
                return;
            }
            lastFailure = failure;
            if (giveUp) {
                degradeLocked(failure);
                return;
            }
            boolean full = writing && failure instanceof IllegalStateException && looksFull(map, failure);
            long capacity = entriesFor(truth.estimatedObjectCount());
            ChronicleMap<byte[], byte[]> copyFrom = null;
            if (full) {
                capacity = Math.max(capacity, 4 * Math.max(map.longSize(), 1));
                copyFrom = map;
            }
            try (ProcessLock lock = ProcessLock.acquire(lockFile, lockWaitMillis)) {
                ChronicleMap<byte[], byte[]> old = map;
                Owner oldMe = me;
                ChronicleMap<byte[], byte[]> fresh = buildFresh(capacity, copyFrom, oldMe);
                closeQuietly(old);
                install(fresh);
                outcome = Outcome.REBUILT;
            } catch (IOException | RuntimeException | LinkageError | AssertionError e) {
                e.addSuppressed(failure);
                degradeLocked(e);
            }
        } finally {
            guard.writeLock().unlock();
        }
    }

    private static boolean looksFull(ChronicleMap<byte[], byte[]> m, RuntimeException e) {
        String msg = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        if (msg.contains("tier") || msg.contains("full") || msg.contains("entries")) {
            return true;
        }
        try {
            return m.remainingAutoResizes() == 0;
        } catch (RuntimeException other) {
            return false;
        }
    }

    /** If another process replaced the map file, moves over to the new one (best effort). */
    private void followRename() {
        String current;
        guard.readLock().lock();
        try {
            if (closed || fallback != null || map == null) {
                return;
            }
            current = fileKeyOf(mapFile);
            if (current == null || current.equals(fileKey)) {
                return;
            }
        } catch (IOException e) {
            return;
        } finally {
            guard.readLock().unlock();
        }
        guard.writeLock().lock();
        try (ProcessLock lock = ProcessLock.acquire(lockFile, lockWaitMillis)) {
            if (closed || fallback != null || map == null) {
                return;
            }
            current = fileKeyOf(mapFile);
            if (current == null || current.equals(fileKey)) {
                return;
            }
            Owner next = Owner.current(current);
            rewriteOwners(me, next);
            me = next;
            ChronicleMap<byte[], byte[]> reopened;
            try {
                reopened = builder(minEntries).createPersistedTo(mapFile.toFile());
            } catch (IOException | RuntimeException | LinkageError | AssertionError e) {
                return; // keep the old map: still valid, only no longer shared
            }
            closeQuietly(map);
            install(reopened);
            fileKey = current;
        } catch (IOException e) {
            // keep the map we have
        } finally {
            guard.writeLock().unlock();
        }
    }

    private void install(ChronicleMap<byte[], byte[]> m) {
        map = m;
        generation++;
    }

    // ---------------------------------------------------------------- opening

    /** Makes the map usable; the caller holds {@link #guard}'s write lock and the process lock. */
    private void attachLocked(boolean force) throws IOException {
        try {
            String currentKey = fileKeyOf(mapFile);
            boolean deadHolder = false;
            boolean liveHolder = false;
            for (Owner o : readOwners()) {
                boolean sameFile = currentKey != null && (o.fileKey.equals(currentKey) || o.fileKey.equals("?"));
                if (o.alive()) {
                    liveHolder |= sameFile;
                } else {
                    deadHolder |= sameFile;
                }
            }
            ChronicleMap<byte[], byte[]> m = null;
            if (currentKey != null && !force) {
                if (deadHolder && !liveHolder) {
                    m = tryOpen(currentKey, true);
                    outcome = Outcome.RECOVERED;
                } else if (!deadHolder) {
                    m = tryOpen(currentKey, false);
                    outcome = Outcome.OPENED;
                }
                // a dead holder while others still use the file: build a fresh file beside them
            }
            if (m == null) {
                m = buildFresh(entriesFor(truth.estimatedObjectCount()), null, null);
                outcome = currentKey == null && !force ? Outcome.CREATED : Outcome.REBUILT;
            }
            install(m);
        } catch (IOException | RuntimeException | LinkageError | AssertionError e) {
            if (me != null) {
                try {
                    rewriteOwners(me, null);
                } catch (IOException ignored) {
                    // a stale line only causes a needless recovery later
                }
                me = null;
            }
            degradeLocked(e);
        }
    }

    /** Opens (or recovers) the existing map file; null if it is unusable. */
    private ChronicleMap<byte[], byte[]> tryOpen(String currentKey, boolean recover) throws IOException {
        Owner next = Owner.current(currentKey);
        rewriteOwners(null, next);
        me = next;
        fileKey = currentKey;
        ChronicleMap<byte[], byte[]> m = null;
        try {
            checkHeaderComplete(mapFile);
            ChronicleMapBuilder<byte[], byte[]> b = builder(minEntries);
            m = recover ? b.recoverPersistedTo(mapFile.toFile(), false) : b.createPersistedTo(mapFile.toFile());
            if (m.keyClass() != byte[].class || m.valueClass() != byte[].class) {
                throw new IllegalStateException(mapFile + ": not a chunk index map");
            }
            m.longSize(); // touches every segment header: fails now rather than in a look-up
            return m;
        } catch (IOException | RuntimeException | LinkageError | AssertionError e) {
            lastFailure = e;
            closeQuietly(m);
            rewriteOwners(next, null);
            me = null;
            fileKey = null;
            return null;
        }
    }

    /**
     * Fails unless the file's self-bootstrapping header is marked complete. Chronicle itself would
     * wait 60 s (hard-coded) for another process to complete it, but ours are complete before they
     * are renamed into place, so an incomplete header is damage, not work in progress.
     */
    static void checkHeaderComplete(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long length = ch.size();
            ByteBuffer word = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (word.hasRemaining() && ch.read(word, SIZE_WORD_OFFSET + word.position()) > 0) {
                // read the size word
            }
            if (word.hasRemaining()) {
                throw new CorruptObjectException(file + ": too short for a chunk index (" + length + " bytes)");
            }
            int sizeWord = word.getInt(0);
            if (sizeWord <= 0 || HEADER_START + (sizeWord & SIZE_MASK) > length) {
                throw new CorruptObjectException(file + ": the chunk index header is incomplete or damaged");
            }
        }
    }

    /**
     * Builds a new map under a temporary name from the truth (and {@code copyFrom}), fsyncs it,
     * registers this process as its owner in place of {@code oldMe}, and renames it over the map
     * file. The returned map stays open (the rename does not disturb the mapping).
     */
    private ChronicleMap<byte[], byte[]> buildFresh(long capacity, ChronicleMap<byte[], byte[]> copyFrom, Owner oldMe)
            throws IOException {
        long entries = capacity;
        for (int attempt = 0;; attempt++) {
            Path tmp = AtomicFile.tempSibling(mapFile);
            ChronicleMap<byte[], byte[]> m = null;
            try {
                m = builder(entries).createPersistedTo(tmp.toFile());
                ChronicleMap<byte[], byte[]> target = m;
                if (copyFrom != null) {
                    try {
                        copyFrom.forEach(target::put);
                    } catch (IllegalStateException e) {
                        throw e;
                    } catch (RuntimeException e) {
                        // the old map is unreadable: the truth alone will do
                    }
                }
                truth.forEachObject((id, loc) -> target.put(id.toBytes(), encode(loc)));
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                String key = fileKeyOf(tmp);
                Owner next = Owner.current(key);
                rewriteOwners(oldMe, next);
                me = next;
                AtomicFile.moveIntoPlace(tmp, mapFile);
                fileKey = key;
                return m;
            } catch (IllegalStateException e) {
                closeQuietly(m);
                Files.deleteIfExists(tmp);
                if (attempt >= 3) {
                    throw e;
                }
                entries *= 4; // the truth outgrew its estimate
            } catch (IOException | RuntimeException | LinkageError | AssertionError e) {
                closeQuietly(m);
                Files.deleteIfExists(tmp);
                throw e;
            }
        }
    }

    private void degradeLocked(Throwable cause) throws IOException {
        lastFailure = cause;
        ChunkIndexInMemory mem = ChunkIndexInMemory.of(truth);
        closeQuietly(map);
        map = null;
        fallback = mem;
        generation++;
        outcome = Outcome.IN_MEMORY;
    }

    static long entriesFor(long estimatedObjects) {
        return Math.max(minEntries, 2 * Math.max(0, estimatedObjects));
    }

    private static ChronicleMapBuilder<byte[], byte[]> builder(long entries) {
        return ChronicleMap.of(byte[].class, byte[].class)
                .name("coral-chunk-index")
                .constantKeySizeBySample(new byte[ObjectId.BYTES])
                .constantValueSizeBySample(new byte[VALUE_BYTES])
                .entries(entries)
                .maxBloatFactor(4.0)
                .sparseFile(true);
    }

    private static void closeQuietly(ChronicleMap<?, ?> m) {
        if (m != null) {
            try {
                m.close();
            } catch (RuntimeException ignored) {
                // closing only unmaps; nothing to save
            }
        }
    }

    // ---------------------------------------------------------------- encoding

    static byte[] encode(ObjectLocation loc) {
        byte[] v = new byte[VALUE_BYTES];
        loc.pack().copyTo(v, 0);
        ByteBuffer.wrap(v).putLong(ObjectId.BYTES, loc.offset()).putInt(ObjectId.BYTES + Long.BYTES, loc.storedLength());
        return v;
    }

    static ObjectLocation decode(byte[] v) {
        if (v.length != VALUE_BYTES) {
            return null; // not ours: a miss costs only a duplicate write
        }
        ByteBuffer b = ByteBuffer.wrap(v);
        return new ObjectLocation(ObjectId.fromBytes(v), b.getLong(ObjectId.BYTES), b.getInt(ObjectId.BYTES + Long.BYTES));
    }

    // ---------------------------------------------------------------- owners marker

    /** A process that has (had) a map file open. */
    record Owner(long pid, long startMillis, String fileKey) {
        static Owner current(String fileKey) {
            ProcessHandle h = ProcessHandle.current();
            return new Owner(h.pid(), startOf(h), fileKey == null ? "?" : fileKey);
        }

        boolean alive() {
            if (pid <= 0) {
                return false;
            }
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isEmpty() || !h.get().isAlive()) {
                return false;
            }
            long s = startOf(h.get());
            return startMillis < 0 || s < 0 || Math.abs(s - startMillis) < 2_000; // else: pid reused
        }

        String line() {
            return pid + " " + startMillis + " " + fileKey;
        }

        static Owner parse(String line) {
            String[] f = line.trim().split(" ", 3);
            try {
                return new Owner(Long.parseLong(f[0]), Long.parseLong(f[1]), f.length > 2 ? f[2] : "?");
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                return new Owner(-1, -1, "?"); // unreadable: assume a dead owner of the current map
            }
        }

        private static long startOf(ProcessHandle h) {
            return h.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L);
        }
    }

    private List<Owner> readOwners() throws IOException {
        List<Owner> owners = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(dirtyFile, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    owners.add(Owner.parse(line));
                }
            }
        } catch (NoSuchFileException e) {
            return owners;
        } catch (java.nio.charset.CharacterCodingException e) {
            owners.add(new Owner(-1, -1, "?"));
        }
        return owners;
    }

    /**
     * Rewrites the marker: drops dead owners and one occurrence of {@code remove}, adds
     * {@code add}; deletes the file when nobody is left. Caller holds the process lock.
     */
    private void rewriteOwners(Owner remove, Owner add) throws IOException {
        List<Owner> owners = new ArrayList<>();
        boolean removed = false;
        String currentKey = fileKeyOf(mapFile);
        for (Owner o : readOwners()) {
            if (!removed && o.equals(remove)) {
                removed = true;
            } else if (o.alive() || (add != null && currentKey != null && o.fileKey.equals(currentKey)
                    && !o.fileKey.equals(add.fileKey))) {
                // keep the living, and the dead holders of a file we are about to replace: they
                // must stay visible in case this process dies before the rename
                owners.add(o);
            }
        }
        if (add != null) {
            owners.add(add);
        }
        if (owners.isEmpty()) {
            Files.deleteIfExists(dirtyFile);
            return;
        }
        StringBuilder sb = new StringBuilder();
        for (Owner o : owners) {
            sb.append(o.line()).append('\n');
        }
        AtomicFile.write(dirtyFile, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    static String fileKeyOf(Path p) throws IOException {
        try {
            Object k = Files.readAttributes(p, BasicFileAttributes.class).fileKey();
            return k == null ? "?" : k.toString().replace(' ', '_');
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    // ---------------------------------------------------------------- the process lock

    /** An exclusive lock on the lock file, between processes and between threads of this JVM. */
    static final class ProcessLock implements AutoCloseable {
        private final ReentrantLock jvmLock;
        private final FileChannel channel;
        private final FileLock lock;

        private ProcessLock(ReentrantLock jvmLock, FileChannel channel, FileLock lock) {
            this.jvmLock = jvmLock;
            this.channel = channel;
            this.lock = lock;
        }

        static ProcessLock acquire(Path lockFile, long waitMillis) throws IOException {
            Path key = lockFile.toAbsolutePath().normalize();
            ReentrantLock jvm = JVM_LOCKS.computeIfAbsent(key, k -> new ReentrantLock());
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
            try {
                if (!jvm.tryLock(waitMillis, TimeUnit.MILLISECONDS)) {
                    throw new LockFailedException(key + ": another thread has held the chunk index lock for "
                            + waitMillis + " ms");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(key + ": interrupted while waiting for the chunk index lock");
            }
            FileChannel ch = null;
            try {
                Files.createDirectories(key.getParent());
                ch = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                while (true) {
                    FileLock l = ch.tryLock();
                    if (l != null) {
                        return new ProcessLock(jvm, ch, l);
                    }
                    if (System.nanoTime() - deadline > 0) {
                        throw new LockFailedException(key + ": another process has held the chunk index lock for "
                                + waitMillis + " ms");
                    }
                    Thread.sleep(10);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closeChannel(ch);
                jvm.unlock();
                throw new InterruptedIOException(key + ": interrupted while waiting for the chunk index lock");
            } catch (IOException | RuntimeException e) {
                closeChannel(ch);
                jvm.unlock();
                throw e;
            }
        }

        private static void closeChannel(FileChannel ch) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing releases the lock anyway
                }
            }
        }

        @Override
        public void close() {
            try {
                lock.release();
            } catch (IOException ignored) {
                // the channel close below releases it
            } finally {
                closeChannel(channel);
                jvmLock.unlock();
            }
        }
    }
}
