package dev.coral.store;

import dev.coral.codec.ChunkCodec;
import dev.coral.codec.ChunkEncoder;
import dev.coral.codec.ChunkFormat;
import dev.coral.io.Threads;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Adds objects to the store through one new pack. Returns ids at once; the objects become
 * visible to readers only after {@link #flush()}. Identical content is stored once: an id
 * already in the store or already in this pack is not written again. Not thread-safe: use one
 * inserter per thread. Closing without flushing discards what was added.
 *
 * <p>"Already in the store" means: in the store's multi-pack index or in a pack it has read the
 * index of; the store catches up with the folder once, at this inserter's first look-up, so
 * packs other stores and processes finished before then are seen too.
 */
public final class ObjectInserter implements AutoCloseable {
    private final ObjectStore store;
    private final int zstdLevel;
    private final Set<ObjectId> pending = new HashSet<>();
    private PackWriter writer;
    private long chunksWritten;
    private long chunksDeduplicated;
    private long rawBytesWritten;
    private long storedBytesWritten;
    private boolean caughtUp;
    private ChainShape chains = ChainShape.skipDelta(DEFAULT_MAX_CHAIN_DEPTH);
    private boolean contextCoding = true;
    private boolean zigzagDeltas = true;
    private boolean undoableDeltas = true;
    private ChunkEncodingJob job;
    private long deltaChunks;
    private boolean basesAhead;
    /** Chunks in this pack whose next version is a skip link: their bases are decoded ahead after the flush. */
    private final List<SkipBasesAhead.Stored> skipNext = new ArrayList<>();

    /**
     * Default bound on delta chains of a bare inserter (plain skip-delta): past it a chunk is
     * stored as a keyframe. Repositories set their own shape from their config.
     */
    public static final int DEFAULT_MAX_CHAIN_DEPTH = 5;

    ObjectInserter(ObjectStore store, int zstdLevel) {
        this.store = store;
        this.zstdLevel = zstdLevel;
    }

    /** Stores {@code raw[off, off+len)} as a chunk of 1-byte elements, without a delta base. */
    public ObjectId insertChunk(byte[] raw, int off, int len) throws IOException {
        return insertChunk(raw, off, len, 1, null);
    }

    /**
     * Stores {@code raw[off, off+len)} as a chunk (unless already stored); returns its id. The
     * smallest of the lossless codecs is kept ({@link ChunkEncoder#encodeBest}). With
     * {@code previous} (the previous version of this chunk, e.g. the same tensor's chunk in the
     * parent commit, of the same length) the XOR and integer-difference deltas against a base in
     * its chain ({@link SkipDeltaBase}, laid out by {@link #setChainShape}) are candidates too.
     *
     * @param elementWidth the plane width of the dtype ({@link ChunkEncoder#planeWidth}); len must be a multiple
     */
    public ObjectId insertChunk(byte[] raw, int off, int len, int elementWidth, ObjectId previous) throws IOException {
        return insertChunk(raw, off, len, elementWidth, previous, null, 0);
    }

    /**
     * As {@link #insertChunk(byte[], int, int, int, ObjectId)}; {@code nextPrevious} (the previous
     * version of the chunk inserted next, of {@code nextLength} bytes; null if none) lets that
     * chunk's delta base be decoded on another thread meanwhile.
     */
    public ObjectId insertChunk(byte[] raw, int off, int len, int elementWidth, ObjectId previous, ObjectId nextPrevious, int nextLength)
            throws IOException {
        return insertChunk(raw, off, len, elementWidth, previous, nextPrevious, nextLength, null);
    }

    /** As above; {@code id}, when not null, is the SHA-256 of exactly these bytes, which the caller took already. */
    private ObjectId insertChunk(byte[] raw, int off, int len, int elementWidth, ObjectId previous, ObjectId nextPrevious, int nextLength,
                                 ObjectId id) throws IOException {
        catchUp();
        // appended at once: no copy of the payload
        return append(job().encode(raw, off, len, elementWidth, previous, nextPrevious, nextLength, id, false));
    }

    /** Chunks whose context-coded plane this inserter's encoding job counted ahead (for tests). */
    long planesCountedAhead() {
        return job == null ? 0 : job.planesCountedAhead();
    }

    private ChunkEncodingJob job() {
        if (job == null) {
            job = store.borrowJob(zstdLevel, chains, contextCoding, undoableDeltas);
            job.setZigzagDeltas(zigzagDeltas);
        }
        return job;
    }

    /**
     * A sink for many chunks: with {@code workers > 1}, a {@link ChunkPipeline} encoding them in
     * parallel; otherwise, or when the pipeline's threads cannot start ({@link Threads}), this
     * inserter, one chunk at a time. Close the sink before flushing.
     */
    public ChunkSink newChunkSink(int workers) {
        catchUp0();
        if (workers > 1) {
            try {
                return new ChunkPipeline(this, store, zstdLevel, chains, contextCoding, undoableDeltas, zigzagDeltas, workers);
            } catch (OutOfMemoryError e) {
                if (!Threads.couldNotStart(e)) {
                    throw e;
                }
                // no thread could start for it (ulimit -u): encoded here, one chunk at a time
            }
        }
        return new ChunkSink() {
            @Override
            public void submit(byte[] raw, int off, int len, int width, ObjectId previous, ObjectId[] ids, int index,
                               ObjectId nextPrevious, int nextLength, ObjectId id) throws IOException {
                ids[index] = insertChunk(raw, off, len, width, previous, nextPrevious, nextLength, id);
            }

            @Override
            public boolean takesUpcoming() {
                // where the encoding job counts announced chunks ahead (ChunkEncodingJob#upcoming);
                // elsewhere reading ahead would only hold a second chunk buffer
                return contextCoding && store.keepsNewChunks();
            }

            @Override
            public void upcoming(byte[] raw, int off, int len, int elementWidth) {
                job().upcoming(raw, off, len, elementWidth);
            }

            @Override
            public void drain() {
            }

            @Override
            public void close() {
            }
        };
    }

    /** Appends an encoded chunk to this inserter's pack (once); returns its id. Called by one thread at a time. */
    synchronized ObjectId append(ChunkEncodingJob.Encoded e) throws IOException {
        if (e.alreadyStored() || pending.contains(e.id())) {
            chunksDeduplicated++;
            if (e.alreadyStored()) {
                freshen(e.id());
            }
            return e.id();
        }
        // the encoder sealed the frame: its CRC field gives the body's CRC without a pass over it
        writer().append(ObjectKind.CHUNK, e.form(), e.id(), e.rawLength(), e.prefix(), e.body(), e.bodyLength(),
                ChunkFormat.sealedPayloadCrc(e.body(), e.bodyLength()));
        pending.add(e.id());
        chunksWritten++;
        rawBytesWritten += e.rawLength();
        storedBytesWritten += e.payloadLength();
        if (e.isDelta()) {
            deltaChunks++;
            noteNextBase(e);
        }
        return e.id();
    }

    /**
     * Remembers a delta whose next skip link's base is worth getting at hand now (see {@link
     * #setBasesAhead}): when its next version is that skip link, or when the skip link skips back
     * to this very version (a run's first version, copied while the recent chunks hold it). Not
     * every version: each would plan its base down its chain after every commit (a model of many
     * small chunks: up to {@link SkipBasesAhead#MAX_PENDING} walks a commit, which the next commit waits for).
     */
    private void noteNextBase(ChunkEncodingJob.Encoded e) {
        if (!basesAhead) {
            return;
        }
        long seq = ChunkChainReader.ofPrefix(e.prefix()).seq();
        long skip = chains.nextSkipLink(seq);
        if (skip > 0 && (skip == seq + 1 || chains.baseOf(skip) == seq)) {
            skipNext.add(new SkipBasesAhead.Stored(e.id(), e.rawLength()));
        }
    }

    /**
     * Whether, after each flush, the delta bases that the next versions of its chunks skip to are
     * decoded ahead on another thread ({@link SkipBasesAhead}), in a process that committed
     * before this inserter's pack (a training loop; not a one-shot command, whose store would
     * only wait for them when it closes). Off unless set.
     */
    public void setBasesAhead(boolean on) {
        this.basesAhead = on;
    }

    /** Bounds delta chains to {@code depth} deltas in plain skip-delta chains, a keyframe every 2^depth versions (0: never delta-encode). */
    public void setMaxChainDepth(int depth) {
        setChainShape(ChainShape.skipDelta(depth));
    }

    /** Lets XOR delta planes be coded by context (the default), or not ({@code codec.contexts}). */
    public void setContextCoding(boolean on) {
        this.contextCoding = on;
        dropJob();
    }

    /**
     * Lets a delta be stored as a zigzag difference where that is much smaller (the default), or
     * not ({@code codec.zigzag}; {@link dev.coral.codec.CodecWorkspace#setZigzagDeltas}).
     */
    public void setZigzagDeltas(boolean on) {
        this.zigzagDeltas = on;
        if (job != null) {
            job.setZigzagDeltas(on);
        }
    }

    /**
     * Whether its deltas can be undone from the chunk they made (pair-aligned context groups,
     * {@link dev.coral.codec.ChunkDecoder#undoInPlaneSpace}), which a checkout going back from a
     * newer file needs; true unless set. Lossy commits set it off: it cost their stored size
     * 1.5-4.5% (perf training scenario, small scale). A chunk sink keeps the setting it was made
     * with; single chunks take it from the next one on (a repack sets it file by file).
     */
    public void setUndoableDeltas(boolean on) {
        if (on != undoableDeltas) {
            this.undoableDeltas = on;
            dropJob();
        }
    }

    /** Closes the single-chunk encoding job, if any: the next chunk makes one with the current settings. */
    private void dropJob() {
        if (job != null) {
            store.returnJob(job);
            job = null;
        }
    }

    /** Lays out delta chains as {@code shape} says (see {@link ChainShape}). */
    public void setChainShape(ChainShape shape) {
        this.chains = shape;
        dropJob();
    }

    /** Chunks written as deltas against a base. */
    public long deltaChunks() {
        return deltaChunks;
    }

    /** Stores a small object whose id is the SHA-256 of {@code content}; returns the id. */
    public synchronized ObjectId insert(ObjectKind kind, byte[] content) throws IOException {
        ObjectId id = ObjectId.hashOf(content);
        if (isStored(id)) {
            if (!pending.contains(id)) {
                freshen(id);
            }
            return id;
        }
        ChunkCodec.EncodedChunk enc = ChunkCodec.encodeSmallest(content, 0, content.length, zstdLevel);
        writer().append(kind, enc.codec().id(), id, content.length, enc.data(), enc.length());
        pending.add(id);
        return id;
    }

    /** Whether {@code id} is stored: in this inserter's pack or in the store as last scanned. */
    public synchronized boolean contains(ObjectId id) throws IOException {
        return isStored(id);
    }

    private boolean isStored(ObjectId id) throws IOException {
        if (pending.contains(id)) {
            return true;
        }
        catchUp();
        return store.findLoaded(id) != null;
    }

    /**
     * Marks the pack holding an object this inserter reuses as recently used (its index's
     * modification time), once per pack: gc keeps packs younger than its grace period and
     * re-checks that time just before deleting one, so an object about to be referenced by
     * this inserter's pack is not collected under it (git's "freshening").
     */
    private void freshen(ObjectId id) {
        ObjectStore.Found f = store.findLoaded(id);
        if (f == null || !freshened.add(f.pack().packId())) {
            return;
        }
        java.nio.file.Path idx = store.packsDir().resolve(PackLayout.indexFileName(f.pack().packId()));
        try {
            long now = System.currentTimeMillis();
            if (now - java.nio.file.Files.getLastModifiedTime(idx).toMillis() > FRESH_MILLIS) {
                java.nio.file.Files.setLastModifiedTime(idx, java.nio.file.attribute.FileTime.fromMillis(now));
            }
        } catch (IOException e) {
            // a pack gone meanwhile is found missing when the commit is read; nothing to freshen
        }
    }

    private static final long FRESH_MILLIS = 60_000;
    private final Set<ObjectId> freshened = new HashSet<>();

    /** Once per inserter: see packs other stores and processes finished since the store opened. */
    private void catchUp() throws IOException {
        if (!caughtUp) {
            store.refreshIfChanged();
            caughtUp = true;
        }
    }

    private void catchUp0() {
        try {
            catchUp();
        } catch (IOException e) {
            // a failed rescan only costs deduplication against packs written meanwhile
        }
    }

    private PackWriter writer() throws IOException {
        if (writer == null) {
            writerStamp = store.packsStamp(); // before the writer's temporary file changes the folder
            writer = new PackWriter(store.packsDir(), store.durable());
        }
        return writer;
    }

    /** The packs folder's stamp when the current writer started (see {@link ObjectStore#registerNew(PackIndex, Object)}). */
    private Object writerStamp;

    /**
     * Makes everything inserted so far durable and visible; the inserter can go on after. When
     * the store then has many packs its multi-pack index does not cover, rewrites that index
     * (see {@link ObjectStore}).
     */
    public synchronized void flush() throws IOException {
        if (writer == null) {
            return;
        }
        Object stampBefore = writerStamp;
        PackIndex index = writer.finish();
        writer = null;
        pending.clear();
        boolean committedBefore = store.keepsNewChunks();
        if (chunksWritten > 0) {
            store.noteChunksIngested();
        }
        if (index != null) {
            store.registerNew(index, stampBefore);
            store.maintainMultiPackIndex();
        }
        if (!skipNext.isEmpty()) {
            if (committedBefore && index != null) {
                store.skipBasesAhead().start(List.copyOf(skipNext), chains);
            }
            skipNext.clear();
        }
    }

    /**
     * A read buffer of at least {@code min} bytes (stale contents), shared through the store with
     * later inserters (see {@link ObjectStore#takeSpareArray}); give it back with {@link #returnBuffer}.
     */
    public byte[] borrowBuffer(int min) {
        return store.takeSpareArray(min, min);
    }

    /** Gives a buffer from {@link #borrowBuffer} back; the caller must not use it any more. */
    public void returnBuffer(byte[] buffer) {
        store.giveSpareArray(buffer);
    }

    /** Bytes of the pack that {@link #flush()} would make durable now (0: nothing pending). */
    public synchronized long pendingPackBytes() {
        return writer == null ? 0 : writer.bytesWritten();
    }

    public long chunksWritten() {
        return chunksWritten;
    }

    public long chunksDeduplicated() {
        return chunksDeduplicated;
    }

    public long rawBytesWritten() {
        return rawBytesWritten;
    }

    public long storedBytesWritten() {
        return storedBytesWritten;
    }

    @Override
    public void close() throws IOException {
        skipNext.clear();
        dropJob();
        if (writer != null) {
            writer.close();
            writer = null;
        }
    }
}
