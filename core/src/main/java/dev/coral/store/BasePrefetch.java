package dev.coral.store;

import dev.coral.codec.ChunkBase;
import dev.coral.codec.CodecWorkspace;
import dev.coral.codec.ContextCounts;
import dev.coral.codec.XorPlanesAhead;
import dev.coral.io.Futures;
import dev.coral.io.Threads;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Decodes the delta base of the chunk after the one being encoded, on a thread of its own, so that
 * base decoding (about 40% of a single-threaded commit of a training checkpoint) overlaps
 * encoding; given that chunk's bytes, it counts its context-coded plane against the base too
 * ({@link ContextCounts}) and splits their XOR delta into byte planes ({@link XorPlanesAhead}).
 * Two slots (workspace, raw buffer, counts, planes) alternate: the base being
 * used by the encoder sits in one while the next is decoded into the other. One producer; not
 * thread-safe.
 */
final class BasePrefetch implements AutoCloseable {
    /**
     * A planned base, decoded: null plan for a keyframe (no base). {@code counts}: the chunk's
     * context-coded plane counted against that base, when its bytes were given to
     * {@link #start(ObjectId, int, byte[], int, int)} and the counts apply; else null.
     * {@code planes}: with the counts, the chunk's XOR delta against that base as byte planes.
     */
    record Prepared(SkipDeltaBase plan, ChunkBase base, ContextCounts counts, XorPlanesAhead planes) {
        static final Prepared KEYFRAME = new Prepared(null, null, null, null);
    }

    private record Pending(ObjectId previous, int length, Future<Prepared> result) {
    }

    private final ObjectStore store;
    private final ChainShape chains;
    private final CodecWorkspace[] workspaces = {new CodecWorkspace(), new CodecWorkspace()};
    private final BaseBuffer[] buffers = {new BaseBuffer(), new BaseBuffer()};
    private final ContextCounts[] counts = {new ContextCounts(), new ContextCounts()};
    private final XorPlanesAhead[] planes = {new XorPlanesAhead(), new XorPlanesAhead()};
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "coral-base-prefetch");
        t.setDaemon(true);
        return t;
    });
    private int nextSlot;
    private Pending pending;
    /** Decodes started (for tests). */
    long started;
    /** Chunks whose context-coded plane was counted here, and XOR delta split (for tests). */
    volatile long counted;

    BasePrefetch(ObjectStore store, ChainShape chains, boolean pairAligned) {
        this.store = store;
        this.chains = chains;
        for (ContextCounts c : counts) {
            c.setPairAligned(pairAligned);
        }
    }

    /**
     * Starts decoding the base of a chunk of {@code length} bytes whose previous version is
     * {@code previous}. Call only once the base handed out two starts ago is no longer used.
     */
    void start(ObjectId previous, int length) {
        start(previous, length, null, 0, 0);
    }

    /**
     * As {@link #start(ObjectId, int)}; with {@code raw} (the chunk's own bytes at {@code off},
     * elements of {@code width} bytes, unchanged until this base is taken) its context-coded
     * plane is counted against the base too, on this thread ({@link ContextCounts}), and their
     * XOR delta split into byte planes ({@link XorPlanesAhead}).
     */
    void start(ObjectId previous, int length, byte[] raw, int off, int width) {
        cancelPending();
        int slot = nextSlot;
        nextSlot ^= 1;
        Future<Prepared> result = Threads.trySubmit(thread, () -> prepare(previous, length, slot, raw, off, width));
        if (result == null) {
            return; // no thread could start: take() finds none started, and the caller decodes the base itself
        }
        pending = new Pending(previous, length, result);
        started++;
    }

    /** The base started for exactly this chunk, waiting for it; null if none was started for it. */
    Prepared take(ObjectId previous, int length) throws IOException {
        Pending p = pending;
        if (p == null || p.length() != length || !p.previous().equals(previous)) {
            cancelPending();
            return null;
        }
        pending = null;
        return Futures.await(p.result(), "decoding a delta base ahead");
    }

    private Prepared prepare(ObjectId previous, int length, int slot, byte[] raw, int off, int width) throws IOException {
        SkipDeltaBase plan = SkipDeltaBase.plan(store, previous, length, chains);
        if (plan == null) {
            return Prepared.KEYFRAME;
        }
        ChunkBase base = store.readChunkAsBase(previous, plan, chains, buffers[slot], workspaces[slot]);
        if (raw == null || !counts[slot].countAndSplit(raw, off, length, width, base, planes[slot])) {
            return new Prepared(plan, base, null, null);
        }
        counted++;
        return new Prepared(plan, base, counts[slot], planes[slot]);
    }

    /** Drops a base decoded for a chunk that did not come, waiting for its decode to end (its slot is reused next). */
    private void cancelPending() {
        Pending p = pending;
        pending = null;
        if (p != null) {
            try {
                p.result().get();
            } catch (Exception e) {
                // the chunk it was for never came: its failure is of no interest
            }
        }
    }

    /** Drops any base decoded ahead, keeping the thread and buffers for the next use (see {@link ChunkEncodingJob#idle}). */
    void idle() {
        cancelPending();
    }

    /**
     * Waits for a decode in flight, then stops the thread. Never interrupts it: an interrupt
     * during a read would close the pack's shared channel for every reader of the store.
     */
    @Override
    public void close() {
        cancelPending();
        thread.shutdown();
        for (CodecWorkspace ws : workspaces) {
            ws.close();
        }
    }
}
