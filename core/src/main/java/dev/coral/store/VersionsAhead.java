package dev.coral.store;

import dev.coral.codec.CodecWorkspace;
import dev.coral.io.Futures;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decodes ahead, on threads of its own, the chunks of the version a reader stepping back
 * through a history will ask for next, where reading them then would cost several deltas: the
 * step back across each run boundary of the chain layout ({@link ChainShape}), whose version is
 * not on the chain of the one just read and decodes its run from the run's first version (84 MB
 * fp32, or 42 MB BF16: 250-400 ms, where a step inside a run undoes one delta from the file, or
 * finds its version kept along the chain, in 20-70 ms); and a BF16 version whose kept copy was
 * evicted. While the caller works on the version it has (evaluates the checkpoint), the next one
 * is decoded and held among the recent chunks ({@link RecentChunks#putAlong}, as just below the
 * version read), with the versions below it whose deltas cannot be undone.
 *
 * <p>Each chunk is a task of a batch, a batch the chunks of one version; a newer batch stops the
 * one before, and so does a checkout as it begins ({@link #stop}): no more chunks are begun, those
 * begun finish. A read of a chunk whose task waits claims it and decodes the chunk itself, as if
 * nothing had been started; a read of one being decoded here waits for it ({@link #await}). Once
 * a reader has come, no more chunks are begun here either ({@link #ended}): a read that comes
 * at once waits for the chunks begun, and reads the rest with its own threads. Nor once a chunk
 * finds no room to be held ({@link RecentChunks#hasRoomAlong}, asked before it is decoded): the
 * chunks of a model larger than that memory are not decoded only to be refused.
 * Speculative: a failure (a pack another process deleted meanwhile) leaves the chunk to be read
 * when asked, which reports it. Thread-safe.
 */
public final class VersionsAhead implements AutoCloseable {
    /**
     * A chunk of the version to read ahead, and {@code besideAtHand}, the chunk in its place in the
     * file just written (null: none), from which the read asked for later may start.
     */
    public record Wanted(ObjectId chunk, ObjectId besideAtHand) {
    }

    /** Most chunks in one batch; more are left to be read when asked. */
    static final int MAX_BATCH = 4096;

    private static final int WAITING = 0;
    private static final int RUNNING = 1;
    private static final int CLAIMED = 2;

    private static final class Task {
        final Wanted wanted;
        final long batch;
        final AtomicInteger state = new AtomicInteger(WAITING);
        final CompletableFuture<Void> done = new CompletableFuture<>();

        Task(Wanted wanted, long batch) {
            this.wanted = wanted;
            this.batch = batch;
        }
    }

    /** A worker's buffer and workspace, reused by the next worker while a batch is read; let go when none is. */
    private static final class Scratch {
        byte[] buffer = new byte[0];
        final CodecWorkspace workspace = new CodecWorkspace();
    }

    /**
     * Threads decoding a batch: as many as a checkout reads with ({@link ChunkReadAhead#THREADS}).
     * With one, the 84 MB MLP's step back across a run boundary (8 links a chunk, 50-64 ms each,
     * 21 chunks) took 550 ms or more to read ahead, longer than a short evaluation between steps.
     */
    static final int THREADS = ChunkReadAhead.THREADS;

    /** How long no chunk must have been read before a chunk is begun here: the reader's own reads go first. */
    static final long QUIET_NANOS = 20_000_000;

    private final ObjectStore store;
    private final ConcurrentHashMap<ObjectId, Task> pending = new ConcurrentHashMap<>();
    private final AtomicLong batches = new AtomicLong();
    /**
     * The last batch to begin no more chunks, as its reader came before it was done (the reader's
     * threads read the rest), or as it found no room to hold a chunk. Stepping back at once (no
     * work between the checkouts), four threads on this machine's two cores decoded chunks at half
     * speed each, and the reader waited for the last ones begun here: the step across a run
     * boundary took 316-587 ms against 230-458.
     */
    private final AtomicLong ended = new AtomicLong();
    /** Chunks decoded here and held (for tests and probes). */
    final AtomicLong decoded = new AtomicLong();
    private final ConcurrentLinkedQueue<Scratch> scratch = new ConcurrentLinkedQueue<>();
    /** Plans and drains submitted and not yet finished (for tests: {@link #awaitIdle}). */
    private final AtomicInteger busy = new AtomicInteger();
    private ExecutorService threads;
    private volatile boolean closed;

    VersionsAhead(ObjectStore store) {
        this.store = store;
    }

    /**
     * Starts reading ahead the chunks {@code plan} names (run on this object's threads, so the
     * caller does not wait for the objects it reads), when this store keeps versions along the
     * chains it reads ({@link ObjectStore#keepsChunksAlong}); stops the batch before.
     */
    public synchronized void start(Callable<List<Wanted>> plan) {
        if (closed || !store.keepsChunksAlong()) {
            return;
        }
        if (threads == null) {
            AtomicInteger made = new AtomicInteger();
            ThreadPoolExecutor pool = new ThreadPoolExecutor(THREADS, THREADS, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "coral-versions-ahead-" + made.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            pool.allowCoreThreadTimeOut(true); // a daemon's handle keeps no idle threads
            threads = pool;
        }
        long batch = batches.incrementAndGet();
        ExecutorService pool = threads;
        submit(pool, () -> plan(batch, plan, pool));
    }

    /** Runs {@code work} on {@code pool}, counted as busy until it ends; false if the pool refused it (closing). */
    private boolean submit(ExecutorService pool, Runnable work) {
        busy.incrementAndGet();
        try {
            pool.execute(() -> {
                try {
                    work.run();
                } finally {
                    busy.decrementAndGet();
                }
            });
            return true;
        } catch (java.util.concurrent.RejectedExecutionException e) {
            busy.decrementAndGet();
            return false;
        }
    }

    /** Waits until nothing is being read ahead (for tests). */
    void awaitIdle() throws InterruptedException {
        while (busy.get() > 0) {
            Thread.sleep(1);
        }
    }

    /**
     * Stops what is being read ahead: no more chunks are begun (those begun finish, and reads of
     * them wait for them). A checkout or load calls it as it begins ({@link ObjectStore#noteRestore}), so one that comes at once, before the
     * next version's chunks were planned or begun, does not find them decoded twice at once.
     */
    public void stop() {
        batches.incrementAndGet();
    }

    /** Chunks decoded ahead and held since this store was opened. */
    public long decoded() {
        return decoded.get();
    }

    private void plan(long batch, Callable<List<Wanted>> plan, ExecutorService pool) {
        ConcurrentLinkedQueue<Task> tasks = new ConcurrentLinkedQueue<>();
        try {
            if (stopped(batch)) {
                return;
            }
            int n = 0;
            for (Wanted w : plan.call()) {
                if (n >= MAX_BATCH) {
                    break;
                }
                Task t = new Task(w, batch);
                if (pending.putIfAbsent(w.chunk(), t) == null) {
                    tasks.add(t);
                    n++;
                }
            }
        } catch (Exception e) {
            // speculative: what was not read ahead is read when asked, and what fails reported then
        }
        for (int k = 1; k < THREADS && tasks.size() > k; k++) {
            if (!submit(pool, () -> drain(batch, tasks))) {
                break; // closing: this thread finishes the tasks
            }
        }
        drain(batch, tasks);
    }

    private void end(long batch) {
        ended.accumulateAndGet(batch, Math::max);
    }

    /**
     * Waits until the reader is done with what it reads ({@link ObjectStore#readsQuietFor} {@link
     * #QUIET_NANOS}), unless the batch is stopped meanwhile; false if it was. A program reading a
     * file's tensors starts the next commit's read ahead before it reads this one's: begun at once,
     * the two took a core each, the read of a version not read ahead ran at half speed, and 32
     * fp32 steps loaded at once took 423-495 MB/s over all against 537-548 with nothing read ahead.
     */
    private boolean awaitQuiet(long batch) {
        while (!stopped(batch)) {
            if (store.readsQuietFor(QUIET_NANOS)) {
                return true;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    private boolean stopped(long batch) {
        return closed || batch != batches.get() || ended.get() == batch;
    }

    /** Decodes the batch's tasks until none is left (or the batch is stopped: the rest are finished undone). */
    private void drain(long batch, ConcurrentLinkedQueue<Task> tasks) {
        Scratch s = scratch.poll();
        try {
            for (Task t; (t = tasks.poll()) != null; ) {
                try {
                    if (awaitQuiet(batch) && t.state.compareAndSet(WAITING, RUNNING)) {
                        if (s == null) {
                            s = new Scratch();
                        }
                        if (decode(t.wanted, s) == ChunkChainReader.Ahead.NO_ROOM) {
                            end(batch); // the chunks after it would find none either
                        }
                    }
                } finally {
                    pending.remove(t.wanted.chunk(), t);
                    t.done.complete(null);
                }
            }
        } finally {
            if (s != null) {
                scratch.add(s);
            }
            if (busy.get() <= 1) { // the last one working: nothing is kept while nothing is read ahead
                for (Scratch x; (x = scratch.poll()) != null; ) {
                    x.workspace.close();
                }
            }
        }
    }

    private ChunkChainReader.Ahead decode(Wanted w, Scratch s) {
        try {
            ObjectStore.Found f = store.find(w.chunk());
            if (f == null) {
                return ChunkChainReader.Ahead.NOT_NEEDED;
            }
            int n = (int) f.entry().rawLength();
            if (s.buffer.length < n) {
                s.buffer = new byte[n];
            }
            ChunkChainReader.Ahead a = ChunkChainReader.readAhead(store, f, w.besideAtHand(), s.buffer, s.workspace);
            if (a == ChunkChainReader.Ahead.HELD) {
                decoded.incrementAndGet();
            }
            return a;
        } catch (Exception e) {
            return ChunkChainReader.Ahead.NOT_NEEDED; // speculative, as above
        }
    }

    /**
     * Before chunk {@code id} is read: claims it if its task waits (the caller reads it, and no
     * worker will), or waits for it if it is being decoded here (then held, unless there was no
     * room or it failed). Either way the reader has come: the batch begins no more chunks.
     */
    void await(ObjectId id) {
        Task t = pending.get(id);
        if (t == null) {
            return;
        }
        end(t.batch);
        if (t.state.compareAndSet(WAITING, CLAIMED)) {
            return;
        }
        t.done.join();
    }

    /**
     * Stops the batches not begun and waits for the chunks being decoded (never interrupted: an
     * interrupt during a read would close the pack's shared channel for every reader of the store).
     */
    @Override
    public void close() {
        ExecutorService t;
        synchronized (this) {
            closed = true;
            t = threads;
            threads = null;
        }
        if (t == null) {
            return;
        }
        Futures.shutdownAndWait(t);
        for (Scratch s; (s = scratch.poll()) != null; ) {
            s.workspace.close();
        }
    }
}
