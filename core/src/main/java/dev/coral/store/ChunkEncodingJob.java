package dev.coral.store;

import dev.coral.codec.ChunkBase;
import dev.coral.codec.ChunkCodec;
import dev.coral.codec.ChunkEncoder;
import dev.coral.codec.CodecWorkspace;
import dev.coral.codec.ContextCounts;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The per-chunk work of ingest, up to (not including) the write: hash, look up in the store,
 * pick a delta base, encode with the smallest codec. Holds one worker's reusable state; not
 * thread-safe (one per worker thread). Reads the store, which is thread-safe.
 */
final class ChunkEncodingJob implements AutoCloseable {
    /**
     * Smallest chunk hashed on another thread while it is encoded: handing a chunk over costs tens
     * of microseconds, and SHA-256 of 256 KiB takes about 140 (at 1.8 GB/s).
     */
    static final int HASH_ASIDE_MIN_BYTES = 256 << 10;
    /**
     * Smallest chunk whose delta base is decoded ahead on another thread: below it the hand-over
     * (a wake-up each way) costs more than reading the base in line. 300 tensors of 4 KB committed
     * through one handle: the hand-overs were 19% of a wall-clock profile, and reading in line made
     * the commit 5-10% faster (medians of 6 runs each, 47.6 against 51 ms; the runs spread 15%).
     */
    static final int PREFETCH_MIN_BYTES = 64 << 10;
    /** Counts made with the base decoded ahead: done when the base is taken. */
    private static final java.util.concurrent.Future<Boolean> COUNTED = java.util.concurrent.CompletableFuture.completedFuture(true);
    private final ObjectStore store;
    private final int zstdLevel;
    private final ChainShape chains;
    private final MessageDigest sha = ObjectId.sha256();
    private final CodecWorkspace workspace = new CodecWorkspace();
    /** Counts of the chunk's context-coded plane, made on the hashing thread (one chunk at a time). */
    private final ContextCounts contextCounts = new ContextCounts();
    private final BaseBuffer baseBuffer = new BaseBuffer();
    /** Decodes the next chunk's base ahead; made on first use. */
    private BasePrefetch prefetch;
    /** Hashes a chunk on another thread while it is encoded; made on first use. */
    private ChunkHasher hasher;
    /** Whether the last chunk encoded was found stored already. */
    private boolean lastStored;
    /** The bytes of the chunk the next call encodes, as the caller announced them ({@link #upcoming}); else null. */
    private Upcoming upcoming;
    /**
     * The bytes the last call had the base prefetch count for the chunk after it: only the very
     * next call may take those counts, and only for these same bytes (an older count may have
     * read a buffer the caller has refilled since).
     */
    private Upcoming countedAhead;

    /** A chunk's bytes read ahead by the caller: {@code raw[off, off+len)}, elements of {@code width} bytes. */
    private record Upcoming(byte[] raw, int off, int len, int width) {
        boolean holds(byte[] r, int o, int l) {
            return raw == r && off == o && len == l;
        }
    }
    /**
     * The chooser's decisions for steps (deltas against the version just before) this job
     * encoded lately, by the id of the chunk a next step would be a delta against: a step's own
     * decision, and for a skip link or a keyframe the decision of the step before it. A new step
     * whose base is one of them is encoded the same way ({@link ChunkEncoder#encodeAsBefore}), and
     * chooses afresh every {@value #CHOOSE_AGAIN_EVERY} versions or when its payload grows.
     */
    private final Map<ObjectId, Remembered> decisions = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ObjectId, Remembered> eldest) {
            return size() > MAX_DECISIONS;
        }
    };
    /** Decisions remembered (about 200 bytes each, under 1 MB in all): the chunks of a model of a few thousand tensors. */
    static final int MAX_DECISIONS = 4096;
    /** Versions encoded as the one before, in a row, before the chooser runs again. */
    static final int CHOOSE_AGAIN_EVERY = 8;

    /**
     * Whether a step at {@code runPosition} (its place in its run of the chain's layout, 1 and up)
     * of a chunk whose base's decision this job does not remember (a command-line commit, a
     * first commit of a training loop) is encoded as its base was, read from the base's stored
     * head ({@link ObjectStore#storedDecision}): from the second step of a run on, the base is a
     * step too, and every {@value #CHOOSE_AGAIN_EVERY} steps the chooser runs again, as for a
     * decision remembered. The first step's base is a keyframe or a skip link, whose decision is
     * not a step's.
     */
    static boolean choosesAsItsBase(long runPosition) {
        return runPosition >= 2 && (runPosition - 1) % CHOOSE_AGAIN_EVERY != 0;
    }

    /** A decision and how many versions in a row reused it. */
    private record Remembered(ChunkEncoder.Decision decision, int reuses) {
    }

    ChunkEncodingJob(ObjectStore store, int zstdLevel, ChainShape chains, boolean contextCoding, boolean pairAligned) {
        this.store = store;
        this.zstdLevel = zstdLevel;
        this.chains = chains;
        workspace.setContextCoding(contextCoding);
        workspace.setPairAlignedContexts(pairAligned);
        contextCounts.setPairAligned(pairAligned);
    }

    /** Whether this job encodes with these settings (and may serve an inserter that asks for them). */
    /** Whether deltas may be zigzag differences ({@link dev.coral.codec.CodecWorkspace#setZigzagDeltas}); set by each borrower. */
    void setZigzagDeltas(boolean on) {
        workspace.setZigzagDeltas(on);
    }

    boolean fits(int level, ChainShape shape, boolean contextCoding, boolean pairAligned) {
        return zstdLevel == level && java.util.Objects.equals(chains, shape) && workspace.contextCoding() == contextCoding
                && workspace.pairAlignedContexts() == pairAligned;
    }

    /**
     * Waits for the work it began on the chunk before (a hash, a base decoded ahead) and forgets
     * it, keeping its threads and buffers for the next inserter ({@link ObjectStore#returnJob}).
     */
    void idle() {
        lastStored = false;
        upcoming = null;
        countedAhead = null;
        if (hasher != null) {
            hasher.cancel();
        }
        if (prefetch != null) {
            prefetch.idle();
        }
        workspace.withdrawContextCounts();
    }

    /**
     * A chunk ready to append: its pack entry form and payload, which is {@code prefix} (the
     * delta prefix; empty for a keyframe) followed by {@code body[0, bodyLength)}, written as one
     * entry without being joined in memory first. {@code body == null} when already stored.
     */
    record Encoded(ObjectId id, int rawLength, int form, byte[] prefix, byte[] body, int bodyLength) {
        private static final byte[] NO_PREFIX = new byte[0];

        boolean alreadyStored() {
            return body == null;
        }

        /** Bytes of the stored payload: prefix and body. */
        int payloadLength() {
            return prefix.length + bodyLength;
        }

        boolean isDelta() {
            return form == StoredForm.DELTA.code;
        }
    }

    /**
     * Announces the bytes of the chunk the next {@link #encode} call stores, read ahead by the
     * caller and unchanged until that call returns: while this job encodes the current chunk, the
     * thread that decodes the next one's delta base counts its context-coded plane against that
     * base too, in a process that keeps its chunks as the next bases (a training loop), instead of
     * on the hashing thread before the chunk's hash while the encoder waits for them. Measured, 8
     * Adam steps of an 84 MB fp32 MLP through one handle (steps 3-8, three rounds, ten pairs in
     * turn): 214 -> 220 MB/s on average, faster in 8 of the 10 pairs, the same 481.2 MB stored;
     * the encoding thread's waits fell from 18% of its time to 13% (counts 6.1% -> 1.5%: the
     * first chunk of each tensor is still counted on the hashing thread). That thread splits
     * the XOR delta into planes too ({@link dev.coral.codec.XorPlanesAhead}), taken by the
     * encoder with the counts.
     */
    void upcoming(byte[] raw, int off, int len, int elementWidth) {
        upcoming = new Upcoming(raw, off, len, elementWidth);
    }

    /**
     * Hashes, looks up and encodes one chunk. The body may be this job's workspace buffer, valid
     * until its next call. {@code pipelined}: called by a worker of a {@link ChunkPipeline}, which
     * copies the body into its ring slot; such a chunk is not hashed on another thread while it
     * is encoded (the other workers keep the cores busy).
     */
    Encoded encode(byte[] raw, int off, int len, int elementWidth, ObjectId previous, boolean pipelined) throws IOException {
        return encode(raw, off, len, elementWidth, previous, null, 0, null, pipelined);
    }

    /**
     * As {@link #encode(byte[], int, int, int, ObjectId, boolean)}; with {@code nextPrevious}
     * (the previous version of the chunk that will be encoded next, of {@code nextLength} bytes)
     * that chunk's delta base is decoded on another thread while this one is encoded. {@code id},
     * when not null, is the SHA-256 of exactly these bytes, taken by the caller: it is looked up
     * and stored under that id without hashing the bytes again.
     */
    Encoded encode(byte[] raw, int off, int len, int elementWidth, ObjectId previous, ObjectId nextPrevious, int nextLength,
                   ObjectId id, boolean pipelined) throws IOException {
        Encoded e = encodeOrFind(raw, off, len, elementWidth, previous, nextPrevious, nextLength, id, pipelined);
        lastStored = e.alreadyStored();
        return e;
    }

    private Encoded encodeOrFind(byte[] raw, int off, int len, int elementWidth, ObjectId previous, ObjectId nextPrevious,
                                 int nextLength, ObjectId givenId, boolean pipelined) throws IOException {
        Upcoming next = upcoming;
        Upcoming counted = countedAhead;
        upcoming = null;
        countedAhead = null;
        ObjectId knownId = givenId;
        if (knownId != null || lastStored) {
            // An id the caller took is looked up at once. Else: the chunk before was stored already
            // (a frozen tensor, a file committed again), so this one likely is too. It is looked up
            // before any base is awaited, and no base is decoded ahead for the next while chunks
            // keep being found. Measured on the command line, the 84 MB MLP's versions 3-6
            // committed again on top of version 8: 738-921 -> 437-520 ms each, their bases (not
            // cached, a chain deep) no longer decoded in vain.
            if (knownId == null) {
                ObjectId.update(sha, raw, off, len);
                knownId = ObjectId.fromBytes(sha.digest());
            }
            if (store.findLoaded(knownId) != null) {
                return new Encoded(knownId, len, -1, Encoded.NO_PREFIX, null, 0);
            }
        }
        BasePrefetch.Prepared prepared = previous == null || prefetch == null ? null : prefetch.take(previous, len);
        if (nextPrevious != null && nextLength >= PREFETCH_MIN_BYTES) {
            if (prefetch == null) {
                prefetch = new BasePrefetch(store, chains, workspace.pairAlignedContexts());
            }
            if (next != null && next.len() == nextLength && workspace.contextCoding() && store.keepsNewChunks()) {
                prefetch.start(nextPrevious, nextLength, next.raw(), next.off(), next.width());
                countedAhead = next;
            } else {
                prefetch.start(nextPrevious, nextLength);
            }
        }
        // In a process that commits again (a training loop), a new version of a chunk whose base
        // is at hand is hashed on another thread while it is encoded: it is rarely stored already,
        // and when it is (a frozen tensor), its XOR delta is all zero planes, cheap to encode and
        // thrown away. Any other chunk is looked up first: it may spare a base decode or a keyframe
        // encode. Not in a first commit (a command-line one): there the other core decodes the
        // bases and compiles, and hashing aside made an 84 MB commit 5-10% slower.
        boolean planned = prepared != null;
        SkipDeltaBase plan = planned ? prepared.plan() : null;
        boolean hashAside = false;
        if (knownId == null && !pipelined && len >= HASH_ASIDE_MIN_BYTES && previous != null && store.keepsNewChunks()) {
            if (!planned) {
                plan = SkipDeltaBase.plan(store, previous, len, chains);
                planned = true;
            }
            hashAside = plan != null && (prepared != null || store.recentChunks().contains(plan.base()));
        }
        ObjectId id = knownId;
        if (!hashAside && id == null) {
            ObjectId.update(sha, raw, off, len);
            id = ObjectId.fromBytes(sha.digest());
            if (store.findLoaded(id) != null) {
                return new Encoded(id, len, -1, Encoded.NO_PREFIX, null, 0);
            }
        }
        try {
            if (!planned) { // after the look-up: a chunk stored already needs no base
                plan = previous == null ? null : SkipDeltaBase.plan(store, previous, len, chains);
            }
            if (plan == null && previous != null && store.keepsNewChunks()) {
                // a keyframe follows it: the version before is no base now, and evicted later it
                // would be written to the disk cache as though it were a chunk's newest version
                store.recentChunks().discard(previous);
            }
            ContextCounts countsAhead = prepared != null && counted != null && counted.holds(raw, off, len) ? prepared.counts() : null;
            return encodeNew(raw, off, len, elementWidth, previous, plan, prepared, countsAhead, id, hashAside);
        } finally {
            if (hashAside && hasher != null) {
                hasher.cancel(); // after a failure: the caller may reuse the buffer once this returns
            }
        }
    }

    /**
     * Encodes a chunk against its planned base; with {@code hashAside} ({@code knownId} null) its
     * hash is computed on the hashing thread meanwhile, after the counts of its context-coded
     * plane ({@link ContextCounts}): the encoder needs those half-way, the hash only at the end.
     */
    private Encoded encodeNew(byte[] raw, int off, int len, int elementWidth, ObjectId previous, SkipDeltaBase plan,
                              BasePrefetch.Prepared prepared, ContextCounts countsAhead, ObjectId knownId, boolean hashAside)
            throws IOException {
        ChunkBase base = null;
        if (prepared != null) {
            base = prepared.base();
        } else if (plan != null) {
            base = store.readChunkAsBase(previous, plan, chains, baseBuffer, workspace);
        }
        if (countsAhead != null) {
            workspace.offerContextCounts(countsAhead, COUNTED);
            if (prepared.planes() != null) {
                workspace.offerXorPlanes(prepared.planes());
            }
        }
        if (hashAside) {
            if (countsAhead == null && base != null && !base.heldAsPlanes() && workspace.contextCoding()) {
                ChunkBase counted = base;
                workspace.offerContextCounts(contextCounts, hasher().runFirst(() -> contextCounts.count(raw, off, len, elementWidth, counted)));
            }
            // the copy kept as the next version's base is made on the hashing thread too
            hasher().start(raw, off, len, chunkId -> {
                if (store.findLoaded(chunkId) == null) {
                    store.recentChunks().put(chunkId, raw, off, len, true);
                }
            });
        }
        ChunkCodec.EncodedChunk enc = null;
        // Only a delta against the version just before (inside a run of the chain's layout) reuses
        // a decision, the one remembered for its base: a step's own, or, after a skip link or a
        // keyframe, the step's before it (a skip link spans more versions, and its larger delta may
        // pick other plane modes than a step does)
        boolean step = base != null && chains != null && plan.seq() % chains.run() != 0;
        Remembered prior = step ? decisions.get(plan.base()) : null;
        if (prior == null && step && choosesAsItsBase(plan.seq() % chains.run())) {
            ChunkEncoder.Decision stored = store.storedDecision(plan.base(), elementWidth);
            prior = stored == null ? null : new Remembered(stored, 0);
        }
        Remembered now;
        try {
            if (prior != null && prior.reuses() < CHOOSE_AGAIN_EVERY) {
                enc = ChunkEncoder.encodeAsBefore(raw, off, len, elementWidth, base, zstdLevel, prior.decision(), workspace);
            }
            if (enc != null) {
                now = new Remembered(prior.decision(), prior.reuses() + 1);
                store.decisionsReused.incrementAndGet();
            } else {
                enc = ChunkEncoder.encodeBestInWorkspace(raw, off, len, elementWidth, base, zstdLevel, ChunkEncoder.Choice.SAMPLED, workspace);
                now = workspace.lastDecision() == null ? null : new Remembered(workspace.lastDecision(), 0);
            }
        } finally {
            workspace.withdrawContextCounts();
        }
        ObjectId id = knownId;
        if (id == null) {
            id = hasher.await();
            if (store.findLoaded(id) != null) {
                return new Encoded(id, len, -1, Encoded.NO_PREFIX, null, 0);
            }
        }
        Remembered forNext = step ? now : previous == null ? null : decisions.get(previous);
        if (forNext != null && forNext.decision().codec().needsBase()) {
            decisions.put(id, forNext); // what the next version, a step against this one, is encoded as
        }
        boolean held = false;
        if (previous != null && knownId != null && store.keepsNewChunks()) {
            // This chunk is the likely base of its own next version: keep its raw bytes at hand.
            held = store.recentChunks().put(id, raw, off, len, true);
        } else if (hashAside) {
            held = store.recentChunks().contains(id); // put on the hashing thread, if admitted
        }
        if (!enc.codec().needsBase()) {
            return new Encoded(id, len, StoredForm.FRAME.code, Encoded.NO_PREFIX, enc.data(), enc.length());
        }
        ChunkCache cache = store.chunkCache();
        if (cache != null && store.keepsNewChunks()) {
            cache.dropServedBase(plan.base());
            if (!held || !store.recentChunks().markDelta(id)) {
                // Not admitted in memory (a model larger than its budget), or evicted since: written
                // now, as a one-shot process writes every chunk. Else it is written when it is evicted
                // unserved (marked a delta: its pack may not be known yet) or the store closes.
                // Measured (perf KeptHandleCacheProbe, 84 MB checkpoints, -Xmx400m): the cache held
                // 60% of the newest version after the close, 100% now.
                cache.put(id, raw, off, len, previous);
            }
        } else if (cache != null) {
            cache.put(id, raw, off, len, previous); // the next commit's base and the next checkout's chunk
        }
        byte[] prefix = new byte[StoredForm.DELTA_PREFIX_BYTES];
        plan.base().copyTo(prefix, 0);
        prefix[ObjectId.BYTES] = (byte) plan.depth();
        ByteBuffer.wrap(prefix, ObjectId.BYTES + 1, 4).putInt(plan.seq());
        return new Encoded(id, len, StoredForm.DELTA.code, prefix, enc.data(), enc.length());
    }

    /** Bases decoded ahead so far (for tests). */
    long basesDecodedAhead() {
        return prefetch == null ? 0 : prefetch.started;
    }

    /** Chunks whose context-coded plane was counted with the base decoded ahead (for tests). */
    long planesCountedAhead() {
        return prefetch == null ? 0 : prefetch.counted;
    }

    private ChunkHasher hasher() {
        if (hasher == null) {
            hasher = new ChunkHasher();
        }
        return hasher;
    }

    @Override
    public void close() {
        if (hasher != null) {
            hasher.close();
        }
        if (prefetch != null) {
            prefetch.close();
        }
        workspace.close();
    }
}
