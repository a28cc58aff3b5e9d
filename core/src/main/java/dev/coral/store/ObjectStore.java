package dev.coral.store;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.MissingObjectException;
import dev.coral.error.UnsupportedVersionException;
import dev.coral.io.FaultPoints;
import dev.coral.io.RepositoryLock;
import dev.coral.codec.CodecWorkspace;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The object database: every pack under {@code .coral/packs} whose index is in place. Reads are
 * thread-safe and see packs other threads or processes finish (the folder is rescanned when an
 * id is not found). Writes go through an {@link ObjectInserter}, one per thread.
 *
 * <p>Where objects are is read from the {@linkplain MultiPackIndex multi-pack index}
 * ({@code packs/multi-pack-index}) for the packs it covers, and from the pack's own index for
 * the few packs written since it was last rewritten; a covered pack's file is opened at its first
 * read. A damaged multi-pack index, one of an unknown version, or one naming a pack whose index
 * is gone is ignored (every pack index is read instead) and rewritten at the next flush. After a
 * flush leaves {@value #DEFAULT_MULTI_PACK_INDEX_THRESHOLD} or more packs uncovered, the flushing
 * inserter rewrites it to cover every pack (skipped if another process is rewriting it).
 */
public final class ObjectStore implements AutoCloseable {
    /** Most links a delta chain may have: a longer one is corrupt (or a cycle), and reading it fails. */
    public static final int MAX_CHAIN_LINKS = ChunkChainReader.MAX_CHAIN;
    /** Uncovered packs after which a flush rewrites the multi-pack index. */
    static final int DEFAULT_MULTI_PACK_INDEX_THRESHOLD = 16;

    private final Path packsDir;
    private final Path locksDir;
    private final Path mpxFile;
    private final int zstdLevel;
    /** Every pack this store has opened or been told of, by id; closed at {@link #close()}. */
    private final Map<ObjectId, PackFile> packs = new ConcurrentHashMap<>();
    /** Which of {@link #packs} have their file open: a bounded number ({@link OpenPacks}). */
    private final OpenPacks openPacks;
    private volatile View view = View.EMPTY;
    private volatile int multiPackIndexThreshold = DEFAULT_MULTI_PACK_INDEX_THRESHOLD;
    private final AtomicInteger indexFilesRead = new AtomicInteger();
    private final AtomicInteger multiPackIndexReads = new AtomicInteger();
    private final AtomicInteger multiPackIndexWrites = new AtomicInteger();
    // The multi-pack index file as last read; guarded by this.
    private FileStamp mpxStamp;
    private MultiPackIndex mpxLoaded;
    private boolean mpxDamaged;
    private volatile IOException lastMaintenanceFailure;

    /** What look-ups search: the multi-pack index with its packs, then the uncovered packs. */
    private record View(MultiPackIndex mpx, PackFile[] mpxPacks, PackFile[] uncovered) {
        static final View EMPTY = new View(null, new PackFile[0], new PackFile[0]);
    }

    /**
     * Identity of a file version: a replaced file has another file key, size or mtime. Its equals
     * is written out: a record's own is bootstrapped at its first call (method handles spun at
     * run time), 31-40 ms of the CPU of a command-line commit of 19 MB and 19 ms of a checkout
     * (async-profiler), on the main thread.
     */
    private record FileStamp(Object fileKey, long size, FileTime modified) {
        @Override
        public boolean equals(Object o) {
            return o instanceof FileStamp s && size == s.size && Objects.equals(fileKey, s.fileKey) && Objects.equals(modified, s.modified);
        }

        @Override
        public int hashCode() {
            return Objects.hash(fileKey, size, modified);
        }

        static FileStamp of(Path file) throws IOException {
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                return new FileStamp(a.fileKey(), a.size(), a.lastModifiedTime());
            } catch (NoSuchFileException e) {
                return null;
            }
        }
    }

    /** A store whose locks live in {@code packsDir/../locks} (that is {@code .coral/locks}). */
    public ObjectStore(Path packsDir, int zstdLevel) throws IOException {
        this(packsDir, packsDir.toAbsolutePath().getParent().resolve("locks"), zstdLevel);
    }

    public ObjectStore(Path packsDir, Path locksDir, int zstdLevel) throws IOException {
        this(packsDir, locksDir, zstdLevel, OpenPacks.defaultLimit());
    }

    /** As {@link #ObjectStore(Path, Path, int)}, holding at most {@code openPacksLimit} pack files open (for tests). */
    ObjectStore(Path packsDir, Path locksDir, int zstdLevel, int openPacksLimit) throws IOException {
        this(packsDir, locksDir, zstdLevel, openPacksLimit, true);
    }

    /**
     * A store for scratch data ({@code coral repack}'s work folder, merged into a durable pack at
     * the end): its packs and indexes are written without fsync. Atomic still (a pack is visible
     * only once whole), but a crash of the machine may lose them, which makes them worthless
     * anyway. Measured, a repack of 300 commits of four 80 KB tensors: a third of its time was
     * fsyncing the scratch pack written after each commit.
     */
    public static ObjectStore scratch(Path packsDir, Path locksDir, int zstdLevel) throws IOException {
        return new ObjectStore(packsDir, locksDir, zstdLevel, OpenPacks.defaultLimit(), false);
    }

    private ObjectStore(Path packsDir, Path locksDir, int zstdLevel, int openPacksLimit, boolean durable) throws IOException {
        this.durable = durable;
        this.openPacks = new OpenPacks(openPacksLimit);
        this.packsDir = packsDir;
        this.locksDir = locksDir;
        this.mpxFile = packsDir.resolve(MultiPackIndex.FILE_NAME);
        this.zstdLevel = zstdLevel;
        if (Files.exists(packsDir, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(packsDir)) {
            // a file, or a link to nothing: createDirectories said only "already exists" (found by fuzzing)
            throw new dev.coral.error.CorruptObjectException(packsDir + ": not a folder (Coral keeps every pack in it; put the"
                    + " folder back)");
        }
        Files.createDirectories(packsDir);
        refresh();
    }

    /** A located object: the pack holding it and its index entry. */
    public record Found(PackFile pack, PackIndex.Entry entry) {
    }

    public Path packsDir() {
        return packsDir;
    }

    /**
     * Catches up with the folder: re-reads the multi-pack index if it was replaced, and reads
     * the index of every pack it does not cover and this store has not read yet.
     *
     * A pack whose index does not verify (or whose pack file is missing) is skipped and named
     * in the error of any look-up that then fails.
     */
    /** Packs whose index did not verify at the last refresh, with why. */
    private final Map<ObjectId, String> unreadable = new ConcurrentHashMap<>();

    /**
     * The packs folder's stamp when it was last listed, or after a flush of this store's own that
     * began at that stamp (no one else changed the folder in between, as far as its stamp shows).
     */
    private FileStamp packsListedAt;

    /** False for a {@link #scratch} store: nothing it writes is fsynced. */
    private final boolean durable;

    /** Chunks encoded with the choice made for the version before ({@link ChunkEncodingJob}), through this store (for tests). */
    final java.util.concurrent.atomic.AtomicLong decisionsReused = new java.util.concurrent.atomic.AtomicLong();

    /**
     * {@link #refresh()} unless the packs folder (and the multi-pack index) are unchanged since
     * they were last listed: the catch-up of a new inserter, which only looks for packs to
     * deduplicate against. Listing a folder of 4,000 pack files twice per commit was 12% of a
     * small commit after 1,000 commits, growing with the history. A pack this skips (a folder
     * whose stamp did not move, as on file systems with coarse times) costs only deduplication;
     * look-ups that miss always list again ({@link #find}), and so does the multi-pack index
     * upkeep every few packs, which bounds how long a pack written during one of this store's own
     * flushes can stay unseen here.
     */
    synchronized void refreshIfChanged() throws IOException {
        FileStamp now = FileStamp.of(packsDir);
        if (now != null && now.equals(packsListedAt) && Objects.equals(FileStamp.of(mpxFile), mpxStamp)) {
            return;
        }
        refresh();
    }

    /** The packs folder's stamp now (before a flush: see {@link #registerNew(PackIndex, Object)}). */
    Object packsStamp() throws IOException {
        return FileStamp.of(packsDir);
    }

    public synchronized void refresh() throws IOException {
        FileStamp listed = FileStamp.of(packsDir);
        reloadMultiPackIndexIfReplaced();
        Set<ObjectId> present = listPacks();
        FaultPoints.hit("store.packsListed"); // (tests: a pack deleted between the listing and reading its index)
        MultiPackIndex mpx = mpxLoaded;
        if (mpx != null) {
            for (int n = 0; n < mpx.packCount(); n++) {
                if (!present.contains(mpx.packId(n))) {
                    mpx = null; // stale: a pack it covers is gone; every pack index decides
                    break;
                }
            }
        }
        View old = view;
        PackFile[] mpxPacks = mpx == null ? new PackFile[0] : mpx == old.mpx() ? old.mpxPacks() : packFilesOf(mpx);
        // newest first: packs read now, then the uncovered packs already known, in their order
        Map<ObjectId, PackFile> known = new LinkedHashMap<>();
        for (PackFile p : old.uncovered()) {
            if (present.contains(p.packId()) && (mpx == null || !mpx.covers(p.packId()))) {
                known.put(p.packId(), p);
            }
        }
        List<PackFile> uncovered = new ArrayList<>();
        for (ObjectId id : present) {
            if (!known.containsKey(id) && (mpx == null || !mpx.covers(id))) {
                try {
                    uncovered.add(withIndex(id));
                    unreadable.remove(id);
                } catch (NoSuchFileException e) {
                    unreadable.remove(id); // deleted since the listing (another process's gc or repack): gone, not damaged
                } catch (CorruptObjectException e) {
                    if (Files.exists(packsDir.resolve(PackLayout.indexFileName(id)))) {
                        // One damaged pack must not make the whole repository unreadable: its objects
                        // are missing (and say why) until `coral fsck --rebuild-index` repairs it.
                        unreadable.put(id, e.getMessage());
                    } else {
                        unreadable.remove(id); // its index, then its pack, deleted since the listing: gone, not damaged
                    }
                }
            }
        }
        uncovered.addAll(known.values());
        view = new View(mpx, mpxPacks, uncovered.toArray(new PackFile[0]));
        packsListedAt = listed; // taken before the listing: a change during it shows next time
        // Packs deleted from the folder (a gc, a repack, small packs merged) are forgotten: a long-lived
        // store would otherwise keep one PackFile per pack it ever met. A reader holding an older view
        // still reads through it, or finds it missing and looks again.
        for (Iterator<Map.Entry<ObjectId, PackFile>> it = packs.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<ObjectId, PackFile> e = it.next();
            if (!present.contains(e.getKey())) {
                it.remove();
                e.getValue().gone();
            }
        }
        if (mpx != null) {
            // packs the multi-pack index now covers need their own index no more (after the new
            // view is published: a look-up that meets a forgotten index in an older view retries)
            for (PackFile p : old.uncovered()) {
                if (mpx.covers(p.packId())) {
                    p.detachIndex();
                }
            }
        }
    }

    private void reloadMultiPackIndexIfReplaced() throws IOException {
        FileStamp stamp = FileStamp.of(mpxFile);
        if (Objects.equals(stamp, mpxStamp)) {
            return;
        }
        mpxStamp = stamp;
        mpxLoaded = null;
        mpxDamaged = false;
        if (stamp == null) {
            return;
        }
        try {
            multiPackIndexReads.incrementAndGet();
            mpxLoaded = MultiPackIndex.read(mpxFile);
        } catch (NoSuchFileException e) {
            mpxStamp = null; // replaced or deleted while we looked
        } catch (CorruptObjectException | UnsupportedVersionException e) {
            mpxDamaged = true; // the pack indexes answer instead; the next flush rewrites it
        } catch (IOException e) {
            // unreadable (permissions, I/O error): the pack indexes answer instead
        }
    }

    /** The ids of the packs whose index is in place. */
    /** Listings of the packs folder so far (for tests). */
    final java.util.concurrent.atomic.AtomicInteger packListings = new java.util.concurrent.atomic.AtomicInteger();

    private Set<ObjectId> listPacks() throws IOException {
        packListings.incrementAndGet();
        Set<ObjectId> ids = new HashSet<>();
        int nameLength = PackLayout.PREFIX.length() + 2 * ObjectId.BYTES + PackLayout.INDEX_SUFFIX.length();
        for (String name : listNames()) {
            if (name.length() == nameLength && name.startsWith(PackLayout.PREFIX) && name.endsWith(PackLayout.INDEX_SUFFIX)) {
                ObjectId id = ObjectId.parseHexOrNull(name, PackLayout.PREFIX.length());
                if (id != null) {
                    ids.add(id);
                }
            }
        }
        return ids;
    }

    /**
     * The names in the packs folder. {@link java.io.File#list()} where it can (one native call,
     * no Path per name: 10x faster before the JIT warms up), else a directory stream.
     */
    private List<String> listNames() throws IOException {
        String[] names = null;
        try {
            names = packsDir.toFile().list();
        } catch (UnsupportedOperationException e) {
            // not the default file system
        }
        if (names != null) {
            return Arrays.asList(names);
        }
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(packsDir)) {
            for (Path p : ds) {
                out.add(p.getFileName().toString());
            }
        }
        return out;
    }

    private PackFile[] packFilesOf(MultiPackIndex mpx) {
        PackFile[] out = new PackFile[mpx.packCount()];
        for (int n = 0; n < out.length; n++) {
            ObjectId id = mpx.packId(n);
            PackFile p = packs.get(id);
            if (p == null) {
                p = PackFile.lazy(packsDir, id, mpx.packLength(n), openPacks);
                PackFile raced = packs.putIfAbsent(id, p);
                p = raced != null ? raced : p;
            }
            out[n] = p;
        }
        return out;
    }

    /** The pack {@code id} with its own index read (once per store). */
    private PackFile withIndex(ObjectId id) throws IOException {
        PackFile p = packs.get(id);
        if (p != null && p.index() != null) {
            return p;
        }
        Path idx = packsDir.resolve(PackLayout.indexFileName(id));
        indexFilesRead.incrementAndGet();
        PackIndex index = PackIndex.read(idx);
        if (!index.packId().equals(id)) {
            throw new CorruptObjectException(idx + ": names pack " + index.packId().hex());
        }
        if (p != null) {
            p.attachIndex(index);
            return p;
        }
        Path pack = packsDir.resolve(PackLayout.packFileName(id));
        try {
            p = PackFile.open(pack, index, openPacks);
        } catch (NoSuchFileException e) {
            throw new CorruptObjectException(idx + ": its pack " + pack.getFileName() + " is missing");
        }
        PackFile raced = packs.putIfAbsent(id, p);
        if (raced != null) {
            p.close();
            raced.attachIndex(index);
            return raced;
        }
        return p;
    }

    /**
     * As {@link #registerNew(PackIndex)}, for a flush that began when the packs folder had stamp
     * {@code stampBefore}: if that is the stamp it was last listed at, the folder now holds only
     * what was listed plus this pack, and its new stamp counts as listed.
     */
    synchronized void registerNew(PackIndex index, Object stampBefore) throws IOException {
        registerNew(index);
        if (stampBefore != null && stampBefore.equals(packsListedAt)) {
            packsListedAt = FileStamp.of(packsDir);
        }
    }

    /** Makes a pack an inserter has just renamed into place visible to look-ups. */
    synchronized void registerNew(PackIndex index) throws IOException {
        View v = view;
        ObjectId id = index.packId();
        if (v.mpx() != null && v.mpx().covers(id)) {
            return;
        }
        for (PackFile p : v.uncovered()) {
            if (p.packId().equals(id)) {
                return;
            }
        }
        PackFile p = packs.get(id);
        if (p == null) {
            p = PackFile.open(packsDir.resolve(PackLayout.packFileName(id)), index, openPacks);
            packs.put(id, p);
        } else if (p.index() == null) {
            p.attachIndex(index);
        }
        PackFile[] uncovered = new PackFile[v.uncovered().length + 1];
        uncovered[0] = p;
        System.arraycopy(v.uncovered(), 0, uncovered, 1, v.uncovered().length);
        view = new View(v.mpx(), v.mpxPacks(), uncovered);
    }

    /** Finds {@code id} in the loaded packs, rescanning the folder once on a miss; null if absent. */
    public Found find(ObjectId id) throws IOException {
        Found f = findLoaded(id);
        if (f == null) {
            refresh();
            f = findLoaded(id);
        }
        return f;
    }

    /** Finds {@code id} in the multi-pack index, then in the uncovered packs; no rescan. */
    Found findLoaded(ObjectId id) {
        View v = view;
        while (true) {
            MultiPackIndex mpx = v.mpx();
            if (mpx != null) {
                int i = mpx.find(id);
                if (i >= 0) {
                    return new Found(v.mpxPacks()[mpx.packNumberAt(i)], mpx.entryAt(i, id));
                }
            }
            boolean stale = false;
            for (PackFile p : v.uncovered()) {
                PackIndex idx = p.index();
                if (idx == null) { // covered by a newer view's multi-pack index since v was taken
                    stale = true;
                    break;
                }
                PackIndex.Entry e = idx.find(id);
                if (e != null) {
                    return new Found(p, e);
                }
            }
            if (!stale) {
                return null;
            }
            v = view;
        }
    }

    /** The id of a pack holding {@code id} (as {@link #find}), or null if absent. */
    public ObjectId packOf(ObjectId id) throws IOException {
        Found f = find(id);
        return f == null ? null : f.pack().packId();
    }

    public boolean contains(ObjectId id) throws IOException {
        return find(id) != null;
    }

    /** Raw length of a stored object. */
    public long rawLength(ObjectId id) throws IOException {
        return require(id).entry().rawLength();
    }

    /** Bytes the object takes in its pack (payload only). */
    public long storedLength(ObjectId id) throws IOException {
        return require(id).entry().storedLength();
    }

    /**
     * Reads a small object whole and checks its hash.
     *
     * @throws MissingObjectException if absent
     * @throws CorruptObjectException if it is not of {@code kind} or does not verify
     */
    public byte[] readObject(ObjectId id, ObjectKind kind) throws IOException {
        return read(id, f -> readObject(f, id, kind));
    }

    private static byte[] readObject(Found f, ObjectId id, ObjectKind kind) throws IOException {
        if (f.entry().kind() != kind) {
            throw new CorruptObjectException("object " + id.hex() + " is a " + f.entry().kind() + ", expected a " + kind);
        }
        if (f.entry().rawLength() > Integer.MAX_VALUE - 16) {
            throw new CorruptObjectException("object " + id.hex() + " is too large for a " + kind);
        }
        byte[] out = new byte[(int) f.entry().rawLength()];
        f.pack().readInto(f.entry(), out);
        if (!ObjectId.hashOf(out).equals(id)) {
            throw new CorruptObjectException(f.pack().path().getFileName() + " object " + id.hex() + ": content does not match its id");
        }
        return out;
    }

    /**
     * Decodes the chunk into {@code dst} (at least its raw length); returns the raw length.
     * When {@code verifyHash}, the SHA-256 of the bytes is checked against the id; bytes that fail
     * it are read once more without the chunk cache's copy (which is dropped) before that is an error.
     */
    public int readChunk(ObjectId id, byte[] dst, boolean verifyHash) throws IOException {
        try (CodecWorkspace ws = new CodecWorkspace()) {
            return readChunk(id, dst, verifyHash, ws);
        }
    }

    /**
     * Copies the raw bytes of chunk {@code id} into {@code dst} if this process stored or decoded
     * it lately and still holds it in memory (the recent chunks), without looking in the packs:
     * how a writer reads back chunks its inserter has not flushed yet. False when not held.
     */
    public boolean readRecentChunk(ObjectId id, byte[] dst) {
        return recentChunks.peek(id, dst);
    }

    /** As {@link #readChunk(ObjectId, byte[], boolean)}, reusing the caller's codec workspace. */
    public int readChunk(ObjectId id, byte[] dst, boolean verifyHash, CodecWorkspace ws) throws IOException {
        return readChunk(id, dst, verifyHash, ws, null);
    }

    /**
     * As {@link #readChunk(ObjectId, byte[], boolean, CodecWorkspace)}, starting from a related
     * chunk at hand when that decodes fewer deltas ({@link ChunkAtHand}; null: none). Unless
     * {@code verifyHash}, the caller checks what it got.
     */
    public int readChunk(ObjectId id, byte[] dst, boolean verifyHash, CodecWorkspace ws, ChunkAtHand at) throws IOException {
        return read(id, f -> readChunk(f, id, dst, verifyHash, ws, at));
    }

    /** Chunks read from a chunk at hand since this store was opened ({@link ChunkAtHand}). */
    public long readsFromHand() {
        return readsFromHand.get();
    }

    void countReadFromHand() {
        readsFromHand.incrementAndGet();
    }

    /** Chunks read back from a newer version of them in the chunk cache since this store was opened ({@link CachedDescendants}). */
    public long readsFromCachedDescendants() {
        return readsFromCachedDescendants.get();
    }

    void countReadFromCachedDescendant() {
        readsFromCachedDescendants.incrementAndGet();
    }

    private int readChunk(Found f, ObjectId id, byte[] dst, boolean verifyHash, CodecWorkspace ws, ChunkAtHand at) throws IOException {
        int n = (int) f.entry().rawLength();
        if (dst.length < n) {
            throw new IllegalArgumentException("buffer of " + dst.length + " bytes for a chunk of " + n);
        }
        ChunkChainReader.read(this, f, dst, ws, at);
        if (verifyHash && !ObjectId.hashOf(dst, 0, n).equals(id)) {
            ChunkCache cache = chunkCache();
            if (cache != null || at != null) { // the cache's copy or the chunk at hand may be what is wrong: once more, from the packs
                if (cache != null) {
                    cache.drop(id);
                }
                ChunkChainReader.read(this, f, dst, ws, null, false);
            }
            if (cache == null && at == null || !ObjectId.hashOf(dst, 0, n).equals(id)) {
                throw new CorruptObjectException(f.pack().path().getFileName() + " chunk " + id.hex() + ": content does not match its id");
            }
        }
        return n;
    }

    /**
     * How the stored delta chunk {@code id} of {@code elementBytes}-byte elements was encoded
     * ({@link dev.coral.codec.ChunkEncoder#decisionOfStored}), from the head of its payload: one
     * small read. Null for a keyframe, a chunk not found, or a head that does not parse.
     */
    dev.coral.codec.ChunkEncoder.Decision storedDecision(ObjectId id, int elementBytes) {
        Found f = findLoaded(id);
        if (f == null || f.entry().kind() != ObjectKind.CHUNK || f.entry().codec() != StoredForm.DELTA.code) {
            return null;
        }
        int body = f.entry().storedLength() - StoredForm.DELTA_PREFIX_BYTES;
        int head = Math.min(body, dev.coral.codec.ChunkEncoder.STORED_DECISION_BYTES);
        if (head < dev.coral.codec.ChunkFormat.HEADER_BYTES) {
            return null;
        }
        try {
            byte[] p = f.pack().readPayloadPrefix(f.entry(), StoredForm.DELTA_PREFIX_BYTES + head);
            return dev.coral.codec.ChunkEncoder.decisionOfStored(p, StoredForm.DELTA_PREFIX_BYTES, head, body, elementBytes);
        } catch (IOException e) {
            return null; // the pack went (a gc) or is damaged: the chooser decides, and a read of the base will say what is wrong
        }
    }

    /**
     * Decodes a chunk to serve as a delta base (no hash check): as planes when its chain allows,
     * else as raw bytes in {@code buffer}, whose array may be swapped for the recent chunk's
     * that held them (see {@link ChunkChainReader#readBase}); as {@code plan} says, kept at hand
     * for a later version that skips back to it ({@link SkipDeltaBase#servesLater}). When the
     * plan skips over {@code previous} (the version before) and nothing later needs that, its
     * recent copy is let go: its array serves the new version's copy (else each chunk of a skip
     * link's commit took a fresh array: 4 MiB, paged in and zeroed, 10 ms of the hashing thread).
     */
    dev.coral.codec.ChunkBase readChunkAsBase(ObjectId previous, SkipDeltaBase plan, ChainShape shape, BaseBuffer buffer, CodecWorkspace ws)
            throws IOException {
        boolean keep = plan.servesLater(shape);
        dev.coral.codec.ChunkBase base = read(plan.base(), f -> ChunkChainReader.readBase(this, f, keep, buffer, ws));
        if (plan.skipsOverPrevious(shape)) {
            recentChunks.discard(previous);
        }
        return base;
    }

    /** How many deltas must be applied to read the chunk: 0 for a keyframe (or a small object). */
    public int chainDepth(ObjectId id) throws IOException {
        return read(id, ChunkChainReader::depth);
    }

    private final RecentChunks recentChunks = RecentChunks.sizedForHeap();
    private final java.util.concurrent.atomic.AtomicLong readsFromHand = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong readsFromCachedDescendants = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean ingestedBefore;

    /** Called when an inserter of this store has flushed chunks: later ones keep theirs at hand. */
    void noteChunksIngested() {
        ingestedBefore = true;
    }

    /**
     * From now on, keeps the chunks this store decodes at hand, as a process that committed before
     * does: for a reader that goes through versions oldest first ({@code coral repack}), whose
     * next version's delta chain then stops at the version just read instead of going down to
     * its keyframe.
     */
    public void keepDecodedChunks() {
        ingestedBefore = true;
    }

    /** Whether what this store writes is fsynced (false for a {@link #scratch} store). */
    boolean durable() {
        return durable;
    }

    /**
     * Whether a chunk just encoded or decoded is worth keeping at hand as the next version's likely
     * base: only once this store has ingested before. A one-shot process (a command-line commit or
     * checkout) never commits again, and copying every chunk into the cache cost an 84 MB
     * command-line commit 13% (median 1.49 -> 1.29 s); a training loop pays one commit with cold
     * bases, then finds every base here.
     */
    boolean keepsNewChunks() {
        return ingestedBefore;
    }

    RecentChunks recentChunks() {
        return recentChunks;
    }

    /** Checkouts, restores and tensor reads of files begun through this store ({@link #noteRestore}). */
    private final java.util.concurrent.atomic.AtomicInteger restores = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Called as a checkout (or a restore, a hard reset, a program's read of a file's tensors)
     * begins through this store. It stops what is being read ahead ({@link VersionsAhead#stop}):
     * what is held stays, the rest this read decodes itself.
     */
    public void noteRestore() {
        restores.incrementAndGet();
        versionsAhead.stop();
    }

    /**
     * Whether a chain read over a file at hand keeps the versions it decodes on the way to the one
     * asked for ({@link RecentChunks#putAlong}): in a process that works on the repository again
     * and again, one that committed or is on its second checkout (a daemon's kept handle, a
     * script stepping back through checkpoints). A one-shot command checks out once: it would
     * pay for versions it never reads.
     */
    boolean keepsChunksAlong() {
        return keepsNewChunks() || restores.get() >= 2;
    }

    private final SkipBasesAhead skipBasesAhead = new SkipBasesAhead(this);

    private final VersionsAhead versionsAhead = new VersionsAhead(this);

    /** Chunk reads under way ({@link ChunkChainReader#read}), and when the last one ended (nanoTime). */
    private final java.util.concurrent.atomic.AtomicInteger readsUnderWay = new java.util.concurrent.atomic.AtomicInteger();
    private volatile long lastReadEnded;

    void readBegins() {
        readsUnderWay.incrementAndGet();
    }

    void readEnds() {
        lastReadEnded = System.nanoTime();
        readsUnderWay.decrementAndGet();
    }

    /** Whether no chunk has been read for {@code nanos} (none under way): the reader works on what it read. */
    boolean readsQuietFor(long nanos) {
        return readsUnderWay.get() == 0 && System.nanoTime() - lastReadEnded >= nanos;
    }

    /** Decodes, while a reader stepping back works on one version, the next version back ({@link VersionsAhead}). */
    public VersionsAhead versionsAhead() {
        return versionsAhead;
    }

    /** Decodes, between commits, the bases the next versions of chunks just stored skip to. */
    SkipBasesAhead skipBasesAhead() {
        return skipBasesAhead;
    }

    /** Chunk arrays the read-ahead of a finished tensor gave back, for the next (guarded by itself). */
    private static final SpareArrays READ_AHEAD_ARRAYS = new SpareArrays(ChunkReadAhead.THREADS + 2); // the process's, as SPARE_ARRAYS

    /** A spare array of exactly {@code len} bytes for a chunk decoded ahead (stale contents), or null. */
    byte[] takeReadAheadArray(int len) {
        synchronized (READ_AHEAD_ARRAYS) {
            return READ_AHEAD_ARRAYS.take(len);
        }
    }

    /** Keeps a read-ahead's array for the next tensor; the caller no longer uses it. */
    void giveReadAheadArray(byte[] a) {
        synchronized (READ_AHEAD_ARRAYS) {
            READ_AHEAD_ARRAYS.give(a);
        }
    }

    /** A store's encoding job given back by an inserter or a pipeline, in {@link #IDLE_JOBS_OF_PROCESS}. */
    private record IdleJob(ObjectStore store, ChunkEncodingJob job) {
    }
    /**
     * Every store's idle jobs, for their stores' next inserters, the most recently returned last:
     * at most {@link #IDLE_JOBS} in the process, not per store (a process with handles on several
     * repositories, a daemon or a batch script, had kept that many per store, tens of MiB each: at
     * -Xmx300m, commits into three repositories in turn ran out of heap). Guarded by itself.
     */
    private static final ArrayDeque<IdleJob> IDLE_JOBS_OF_PROCESS = new ArrayDeque<>();
    /**
     * Most idle jobs kept in the process: one per ingest worker, plus the single-thread job; at most
     * 16, and one per 128 MiB of maximum heap (at least 2): a job keeps its buffers, tens of MiB for
     * 4 MiB chunks, which a pipeline's workers hold during a commit anyway.
     */
    static final int IDLE_JOBS = (int) Math.max(2, Math.min(Math.min(16, Runtime.getRuntime().availableProcessors() + 1),
            Runtime.getRuntime().maxMemory() / (128L << 20)));

    /**
     * An encoding job with these settings: the latest given back that fits (by an inserter or a
     * pipeline's worker), or a new one. A training loop's commits then reuse its buffers (a few MiB
     * per chunk, each a humongous allocation, which makes G1 start a concurrent cycle) and its threads.
     * A new job takes the place of another store's idle one, the least lately given back, closed
     * first: a job is its store's, and a process committing into repositories in turn had kept the
     * last one's beside the new ones (40 MB checkpoints into three repositories at -Xmx200m: the
     * second and third repositories' delta commits ran out of heap).
     */
    ChunkEncodingJob borrowJob(int zstdLevel, ChainShape chains, boolean contextCoding, boolean pairAligned) {
        IdleJob replaced = null;
        synchronized (IDLE_JOBS_OF_PROCESS) {
            for (Iterator<IdleJob> it = IDLE_JOBS_OF_PROCESS.descendingIterator(); it.hasNext(); ) {
                IdleJob i = it.next();
                if (i.store() == this && i.job().fits(zstdLevel, chains, contextCoding, pairAligned)) {
                    it.remove();
                    return i.job();
                }
            }
            for (Iterator<IdleJob> it = IDLE_JOBS_OF_PROCESS.iterator(); it.hasNext(); ) {
                IdleJob i = it.next();
                if (i.store() != this) {
                    it.remove();
                    replaced = i;
                    break;
                }
            }
        }
        if (replaced != null) {
            closeJob(replaced.job());
        }
        return new ChunkEncodingJob(this, zstdLevel, chains, contextCoding, pairAligned);
    }

    /**
     * Arrays given back for the next users: inserters' read buffers and ingest pipelines' ring
     * arrays. A chunk-sized array is a humongous allocation, which can start a G1 concurrent cycle
     * on the other core when a model's weights fill the heap (measured with 400 MB of live heap,
     * 32 commits of the perf MLP: 92-104 cycles instead of 102-120). A tensor read ahead holds two
     * read buffers at once; when one was kept, every tensor of a file commit made a 4 MiB array anew.
     */
    private static final ArrayPool SPARE_ARRAYS = ArrayPool.sizedForHeap(); // the process's: one per store was as much per repository

    /** An array of at least {@code min} bytes (stale contents): one given back, else a new one of {@code max(min, size)} bytes. */
    byte[] takeSpareArray(int min, int size) {
        return SPARE_ARRAYS.take(min, size);
    }

    /** Takes an array back for the next {@link #takeSpareArray}; the caller no longer uses it. */
    void giveSpareArray(byte[] a) {
        SPARE_ARRAYS.give(a);
    }

    /** Empties the process's pool of spare arrays (for tests: what it serves, from nothing). */
    static void dropSpareArrays() {
        SPARE_ARRAYS.clear();
    }

    /** Bytes of arrays kept for the next users (for tests). */
    long spareArrayBytes() {
        return SPARE_ARRAYS.bytes();
    }

    /** Takes a job back: kept for the next inserter in a process that commits again, else closed. */
    void returnJob(ChunkEncodingJob job) {
        if (!keepsNewChunks()) {
            job.close();
            return;
        }
        job.idle();
        IdleJob evicted = null;
        synchronized (IDLE_JOBS_OF_PROCESS) {
            IDLE_JOBS_OF_PROCESS.addLast(new IdleJob(this, job));
            if (IDLE_JOBS_OF_PROCESS.size() > IDLE_JOBS) {
                evicted = IDLE_JOBS_OF_PROCESS.removeFirst();
            }
        }
        if (evicted != null) {
            closeJob(evicted.job());
        }
    }

    /** Idle jobs kept for the next inserters (for tests). */
    int idleJobCount() {
        synchronized (IDLE_JOBS_OF_PROCESS) {
            return (int) IDLE_JOBS_OF_PROCESS.stream().filter(i -> i.store() == this).count();
        }
    }

    /** Closes every idle job of this store. */
    private void closeIdleJobs() {
        List<ChunkEncodingJob> jobs = new ArrayList<>();
        synchronized (IDLE_JOBS_OF_PROCESS) {
            for (Iterator<IdleJob> it = IDLE_JOBS_OF_PROCESS.iterator(); it.hasNext(); ) {
                IdleJob i = it.next();
                if (i.store() == this) {
                    it.remove();
                    jobs.add(i.job());
                }
            }
        }
        jobs.forEach(ObjectStore::closeJob);
    }

    private static void closeJob(ChunkEncodingJob job) {
        if (job != null) {
            job.close();
        }
    }

    private volatile ChunkCache chunkCache;

    /**
     * Keeps raw copies of the newest delta-encoded chunks in {@code cache} (see {@link ChunkCache}); closed with the store.
     * In a process that commits again, the chunks it stored and kept in memory that are evicted
     * unserved are written there as they leave ({@link RecentChunks}), as the ones still held are at the close.
     */
    public void useChunkCache(ChunkCache cache) {
        this.chunkCache = cache;
        recentChunks.spillTo(cache == null ? null : new RecentChunks.Spill() {
            @Override
            public void spill(ObjectId id, byte[] bytes, boolean delta) {
                cacheIfDelta(id, bytes, delta, false);
            }

            @Override
            public void handOver(ObjectId id, byte[] bytes, boolean delta) {
                cacheIfDelta(id, bytes, delta, true);
            }
        });
    }

    /**
     * Writes a chunk this process stored to the chunk cache if it is stored as a delta (a keyframe
     * reads as fast): {@code delta} when its encoder said so, else as the packs known tell.
     * {@code owned}: the cache may keep {@code bytes} itself.
     */
    private void cacheIfDelta(ObjectId id, byte[] bytes, boolean delta, boolean owned) {
        ChunkCache cache = chunkCache;
        if (cache == null) {
            return;
        }
        Found f = delta ? null : findLoaded(id);
        if (delta || f != null && f.entry().codec() == StoredForm.DELTA.code) {
            if (owned) {
                cache.putOwned(id, bytes, null);
            } else {
                cache.put(id, bytes, 0, bytes.length, null);
            }
        }
    }

    /** The chunk cache, or null when there is none. */
    public ChunkCache chunkCache() {
        return chunkCache;
    }

    /**
     * A delta-encoded chunk's version number since its keyframe (the sequence its chain layout
     * gives it; see {@link ChainShape}); 0 for a keyframe.
     */
    public long chainSequence(ObjectId id) throws IOException {
        return read(id, f -> ChunkChainReader.position(f).seq());
    }

    /** The chunk a delta-encoded chunk is decoded against, or null for a keyframe. */
    public ObjectId deltaBase(ObjectId id) throws IOException {
        return read(id, f -> ChunkChainReader.position(f).base());
    }

    /** The stored form of an object's payload (see {@link StoredForm}): its codec byte. */
    public int storedForm(ObjectId id) throws IOException {
        return require(id).entry().codec();
    }

    /** What reading a located object does. */
    interface FoundRead<T> {
        T read(Found f) throws IOException;
    }

    /**
     * Locates {@code id} and reads it with {@code read}; if a pack it needed is gone from the
     * folder (another process's gc or repack deleted it after writing its objects elsewhere,
     * and this store had closed it or never opened it: {@link PackFile.MissingPackException}),
     * catches up with the folder and reads once more.
     */
    <T> T read(ObjectId id, FoundRead<T> read) throws IOException {
        Found f = require(id);
        try {
            return read.read(f);
        } catch (PackFile.MissingPackException e) {
            refresh();
            return read.read(require(id));
        }
    }

    Found require(ObjectId id) throws IOException {
        Found f = find(id);
        if (f == null) {
            throw new MissingObjectException("object " + id.hex() + " is not in the repository" + unreadableNote());
        }
        return f;
    }

    /**
     * Empty when every pack could be read; else a note naming one that could not, for an error
     * about a missing object (which may be in it).
     */
    public String unreadableNote() {
        if (!unreadable.isEmpty()) {
            return " (" + unreadable.size() + " pack(s) could not be read, e.g. " + unreadable.values().iterator().next()
                    + "; run 'coral fsck --rebuild-index')";
        }
        String unindexed = packWithoutIndex();
        return unindexed == null ? "" : " (" + unindexed + " has no readable index: a writer stopped before writing it, or it was"
                + " lost; 'coral fsck' tells which, and 'coral fsck --rebuild-index' rebuilds it)";
    }

    /**
     * A pack file of this store without a readable index beside it (none, or a link to nothing),
     * or null: named where an object is missing, which such a pack may hold (an object missing
     * named no file when a pack's index was deleted; found by fuzzing). Lists the folder: only
     * on that error's path.
     */
    private String packWithoutIndex() {
        try (java.util.stream.Stream<Path> files = Files.list(packsDir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(PackLayout.PREFIX) && n.endsWith(PackLayout.PACK_SUFFIX))
                    .filter(n -> !Files.isRegularFile(packsDir.resolve(n.substring(0, n.length() - PackLayout.PACK_SUFFIX.length())
                            + PackLayout.INDEX_SUFFIX)))
                    .sorted().findFirst().map(n -> packsDir.getFileName() + "/" + n).orElse(null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A new inserter; its objects become visible at {@link ObjectInserter#flush()}. */
    public ObjectInserter newInserter() {
        return new ObjectInserter(this, zstdLevel);
    }

    /** A new inserter compressing at {@code level} instead of the store's level. */
    public ObjectInserter newInserter(int level) {
        return new ObjectInserter(this, level);
    }

    /**
     * Every object whose id starts with {@code hexPrefix} (lower-case hex), each once, after a
     * rescan: a search of the multi-pack index's sorted entries plus the uncovered packs.
     */
    public List<PackIndex.Entry> findByPrefix(String hexPrefix) throws IOException {
        refresh();
        View v = view;
        Map<ObjectId, PackIndex.Entry> hits = new LinkedHashMap<>();
        if (v.mpx() != null) {
            MultiPackIndex mpx = v.mpx();
            mpx.forEachWithPrefix(hexPrefix, i -> {
                PackIndex.Entry e = mpx.entryAt(i);
                hits.putIfAbsent(e.id(), e);
            });
        }
        SortedIds.nibbles(hexPrefix); // validates
        for (PackFile p : v.uncovered()) {
            PackIndex idx = indexOf(p);
            for (int i = 0; i < idx.size(); i++) {
                PackIndex.Entry e = idx.entryAt(i);
                if (e.id().startsWith(hexPrefix)) {
                    hits.putIfAbsent(e.id(), e);
                }
            }
        }
        return new ArrayList<>(hits.values());
    }

    /** Pack files this store holds open now (at most {@link OpenPacks#defaultLimit()}, fewer once the process met its limit on open files, plus any still being read). */
    int openPackCount() {
        return openPacks.openCount();
    }

    /** Packs whose index did not verify at the last refresh (for tests). */
    int unreadablePacks() {
        return unreadable.size();
    }

    /** Packs whose own index this store holds (for tests: those the multi-pack index covers hold none). */
    int packsHoldingIndex() {
        int n = 0;
        for (PackFile p : packs.values()) {
            n += p.index() != null ? 1 : 0;
        }
        return n;
    }

    /** How many packs the store knows (covered by the multi-pack index or not). */
    public int packCount() {
        View v = view;
        return v.mpxPacks().length + v.uncovered().length;
    }

    /** Whether any known pack holds an object of this kind (reads every pack's index: for rare checks). */
    public boolean holds(ObjectKind kind) throws IOException {
        return holdsBesides(kind, java.util.Set.of());
    }

    /** Whether any pack holds an object of {@code kind} other than {@code besides}. */
    public boolean holdsBesides(ObjectKind kind, java.util.Set<ObjectId> besides) throws IOException {
        for (PackIndex idx : packIndexes()) {
            for (int i = 0; i < idx.size(); i++) {
                PackIndex.Entry e = idx.entryAt(i);
                if (e.kind() == kind && !besides.contains(e.id())) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Every known pack's own index, newest first. Packs covered by the multi-pack index have
     * theirs read now (once per store): this reads one file per pack; prefer {@link #findByPrefix}.
     */
    public List<PackIndex> packIndexes() throws IOException {
        View v = view;
        List<PackIndex> out = new ArrayList<>();
        for (PackFile p : v.uncovered()) {
            out.add(indexOf(p));
        }
        for (PackFile p : v.mpxPacks()) {
            out.add(indexOf(p));
        }
        return out;
    }

    /**
     * The pack's own index: the one it holds, or read now (it has none when the multi-pack index
     * covers it). Under this store's lock, where no {@link #refresh} can forget it meanwhile.
     */
    private PackIndex indexOf(PackFile p) throws IOException {
        PackIndex idx = p.index();
        if (idx != null) {
            return idx;
        }
        synchronized (this) {
            return withIndex(p.packId()).index();
        }
    }

    // ---------------------------------------------------------------- multi-pack index upkeep

    /**
     * Rewrites the multi-pack index to cover every pack whose index is in place, waiting for
     * another writer to finish first; a no-op when it already covers them all. For
     * {@code coral repack/gc/fsck}.
     */
    public void writeMultiPackIndex() throws IOException {
        RepositoryLock.Held held = new RepositoryLock(locksDir, MultiPackIndex.LOCK_NAME).lock();
        try {
            rewriteLocked(true);
        } finally {
            held.close();
        }
    }

    /**
     * Called after a flush registered a pack: rewrites the multi-pack index if enough packs are
     * uncovered or the file is damaged or stale, unless another writer holds the lock (it will
     * be done then, or later). A failure is remembered, not thrown: the flushed pack is durable
     * and found through its own index.
     */
    void maintainMultiPackIndex() {
        if (!needsRewrite()) {
            return;
        }
        try {
            RepositoryLock.Held held = new RepositoryLock(locksDir, MultiPackIndex.LOCK_NAME).tryLock();
            if (held == null) {
                return; // another writer is at it
            }
            try {
                rewriteLocked(false);
            } finally {
                held.close();
            }
        } catch (IOException e) {
            lastMaintenanceFailure = e;
        }
    }

    private boolean needsRewrite() {
        View v = view;
        boolean damagedOrStale;
        synchronized (this) {
            damagedOrStale = mpxDamaged || mpxLoaded != null && v.mpx() == null;
        }
        return damagedOrStale || v.uncovered().length >= multiPackIndexThreshold;
    }

    /** Under the writer lock: catches up with the folder, then rewrites the file if needed. */
    private void rewriteLocked(boolean always) throws IOException {
        refresh();
        if (!always && !needsRewrite()) {
            return; // another writer did it meanwhile
        }
        View v = view;
        boolean damaged;
        synchronized (this) {
            damaged = mpxDamaged;
        }
        if (v.uncovered().length == 0 && !damaged) {
            return; // it covers every pack (or there are none)
        }
        List<PackIndex> sources = new ArrayList<>();
        for (PackFile p : v.uncovered()) {
            sources.add(indexOf(p));
        }
        MultiPackIndex.write(mpxFile, v.mpx(), sources, durable);
        multiPackIndexWrites.incrementAndGet();
        refresh();
    }

    /** Sets how many uncovered packs make a flush rewrite the multi-pack index (for tests). */
    void setMultiPackIndexThreshold(int packs) {
        this.multiPackIndexThreshold = Math.max(1, packs);
    }

    /** How many pack index files this store has read (for tests). */
    int indexFilesRead() {
        return indexFilesRead.get();
    }

    /** How many times this store has read the multi-pack index file (for tests). */
    int multiPackIndexReads() {
        return multiPackIndexReads.get();
    }

    /** How many times this store has written the multi-pack index file (for tests). */
    int multiPackIndexWrites() {
        return multiPackIndexWrites.get();
    }

    /** The multi-pack index look-ups use, or null (for tests). */
    MultiPackIndex multiPackIndex() {
        return view.mpx();
    }

    /** How many packs look-ups search through their own index (for tests). */
    int uncoveredPackCount() {
        return view.uncovered().length;
    }

    /** The last failure of an automatic multi-pack index rewrite, or null (for tests). */
    IOException lastMaintenanceFailure() {
        return lastMaintenanceFailure;
    }

    @Override
    public void close() throws IOException {
        skipBasesAhead.close(); // outside the lock: its reads may refresh the store
        versionsAhead.close();
        closeLocked();
    }

    private synchronized void closeLocked() throws IOException {
        closeIdleJobs();
        ChunkCache cache = chunkCache;
        recentChunks.spillTo(null); // the cache closes below: a cache of another store taking this one's memory spills nothing now
        if (cache != null) {
            if (keepsNewChunks()) { // a training loop's newest chunks, kept in memory rather than written every commit
                // (only what it stored: a version it read back, or a repack's last, would stay in the cache for nothing)
                recentChunks.forEachIngested((id, bytes, delta) -> cacheIfDelta(id, bytes, delta, false));
            }
            cache.close(); // its writes finish before the handle is gone
        }
        recentChunks.close(); // its memory goes back to the process's other stores
        IOException first = null;
        for (PackFile p : packs.values()) {
            try {
                p.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        packs.clear();
        view = View.EMPTY;
        if (first != null) {
            throw first;
        }
    }


    /**
     * The codec of a stored chunk, read from its stored form and at most the first byte of its
     * frame (no decoding, no checksum): RAW or ZSTD for the small-object forms, the frame's codec
     * for a keyframe, XOR_PLANES, SUB_PLANES or ZIGZAG_PLANES for a delta. For {@code coral stats}.
     */
    public dev.coral.codec.ChunkCodec chunkCodec(ObjectId id) throws IOException {
        return read(id, f -> chunkCodec(f, id));
    }

    private static dev.coral.codec.ChunkCodec chunkCodec(Found f, ObjectId id) throws IOException {
        String what = f.pack().path().getFileName() + " object " + id.hex();
        return switch (StoredForm.of(f.entry().codec(), what)) {
            case RAW -> dev.coral.codec.ChunkCodec.RAW;
            case ZSTD -> dev.coral.codec.ChunkCodec.ZSTD;
            case FRAME -> dev.coral.codec.ChunkCodec.byId(f.pack().readPayloadPrefix(f.entry(), 1)[0] & 0xFF);
            case DELTA -> dev.coral.codec.ChunkCodec.byId(
                    f.pack().readPayloadPrefix(f.entry(), StoredForm.DELTA_PREFIX_BYTES + 1)[StoredForm.DELTA_PREFIX_BYTES] & 0xFF);
        };
    }

    /** The plane modes of a stored chunk's planes (empty unless its codec is planar); for statistics. */
    public java.util.List<dev.coral.codec.PlaneMode> chunkPlaneModes(ObjectId id) throws IOException {
        return chunkPlaneTable(id).modes();
    }

    /** A stored chunk's plane table: its planes' modes and whether it is in the exponent layout; for statistics. */
    public dev.coral.codec.ChunkFormat.PlaneTable chunkPlaneTable(ObjectId id) throws IOException {
        return read(id, f -> chunkPlaneTable(f, id));
    }

    private static dev.coral.codec.ChunkFormat.PlaneTable chunkPlaneTable(Found f, ObjectId id) throws IOException {
        String what = f.pack().path().getFileName() + " object " + id.hex();
        int at = switch (StoredForm.of(f.entry().codec(), what)) {
            case RAW, ZSTD -> -1;
            case FRAME -> 0;
            case DELTA -> StoredForm.DELTA_PREFIX_BYTES;
        };
        if (at < 0) {
            return dev.coral.codec.ChunkFormat.PlaneTable.NONE;
        }
        int n = Math.min(f.entry().storedLength(), at + dev.coral.codec.ChunkFormat.MAX_TABLE_BYTES);
        byte[] p = f.pack().readPayloadPrefix(f.entry(), n);
        try {
            return dev.coral.codec.ChunkFormat.planeTable(p, at, n - at);
        } catch (dev.coral.error.CorruptObjectException e) {
            throw new dev.coral.error.CorruptObjectException(what + ": " + e.getMessage(), e);
        }
    }
}
