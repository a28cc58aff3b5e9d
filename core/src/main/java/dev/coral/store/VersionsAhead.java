package dev.coral.store;

import dev.coral.codec.CodecWorkspace;
import dev.coral.io.Futures;
import dev.coral.io.Threads;
import java.io.IOException;
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
import java.util.concurrent.atomic.AtomicReference;

/**
 * Decodes ahead, on threads of its own, the chunks of the version a reader stepping back
 * through a history will ask for next, where reading them then would cost several deltas: the
 * step back across each run boundary of the chain layout ({@link ChainShape}), whose version is
 * not on the chain of the one just read and decodes its run from the run's first version (84 MB
 * fp32, or 42 MB BF16: 250-400 ms, where a step inside a run undoes one delta from the file, or
 * finds its version kept along the chain, in 20-70 ms); and a BF16 version whose kept copy was
 * evicted. While the caller works on the version it has (evaluates the checkpoint), the next one
 * is decoded and held among the recent chunks ({@link RecentChunks#putAlong}, as just below the
 * version read), with the versions below it whose deltas cannot be undone. When the next versions
 * are held or cheap to read (the steps inside a run: BF16 versions kept along, fp32 ones one XOR
 * delta below the file), the caller ({@code StepsBack}) looks past them for the first that is not,
 * and that one is read ahead, ranked below those ({@link Plan}), during the user's work between
 * the steps inside the run: stepping back through 32 BF16 steps with 100 ms between them, the step
 * into each run had found only the run's first version read ahead, when it came, and decoded the
 * rest (575-648 MB/s over all; 874-925 read ahead past the versions held). Stepping back at once
 * gains nothing from it: the steps inside a run, served from memory, leave no core idle for long
 * (decoded beside them on one thread, waiting only until no chunk was being read, those steps took
 * 24-63 ms against 17-22 and the run boundaries 174-239 against 243-266: the same over all).
 *
 * <p>Each chunk is a task of a batch, a batch the chunks of one version; a newer batch stops the
 * one before, taking over the tasks it planned too that still wait; a checkout that begins stops
 * a batch of the next version back ({@link #stop}): no more chunks are begun, those begun finish.
 * A read of a chunk whose task waits claims it and decodes the chunk itself, as if nothing had
 * been started; a read of one being decoded here waits for it ({@link #await}). Once a reader has
 * come, no more chunks of its batch are begun here either ({@link Batch#ended}): a read that comes
 * at once waits for the chunks begun, and reads the rest with its own threads. Nor once a chunk
 * finds no room to be held with the versions below it that its chain keeps ({@link
 * RecentChunks#hasRoomAlong}, asked before it is decoded): the chunks of a model larger than that
 * memory are not decoded only to be refused; the next step back plans again, once the versions
 * it passed leave room.
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

    /**
     * The version to read ahead: its chunks, and how many steps back it is ({@code depth}, 1: the
     * next), the rank its chunks are held at ({@link RecentChunks#putAlong}).
     */
    public record Plan(List<Wanted> chunks, int depth) {
        /** Nothing to read ahead. */
        public static final Plan NONE = new Plan(List.of(), 1);

        public Plan {
            if (depth < 1) {
                throw new IllegalArgumentException("depth " + depth);
            }
            chunks = List.copyOf(chunks);
        }
    }

    /** Most chunks in one batch; more are left to be read when asked. */
    public static final int MAX_BATCH = 4096;

    private static final int WAITING = 0;
    private static final int RUNNING = 1;
    private static final int CLAIMED = 2;

    /** The chunks of one version planned to be read ahead. */
    private static final class Batch {
        /** {@link #stops} when it was started: a checkout that begins since stops it if it is the next version's. */
        final long stopsAtStart;
        /** Steps back to its version (1 until planned): the rank its chunks are held at. */
        volatile int depth = 1;
        /** Begins no more chunks: its reader came, or a chunk found no room. */
        volatile boolean ended;

        Batch(long stopsAtStart) {
            this.stopsAtStart = stopsAtStart;
        }
    }

    private static final class Task {
        final Wanted wanted;
        /**
         * The batch whose threads decode it: a later batch planning the same chunk while it waits
         * takes it over (a step back at once plans a version several steps back again at every
         * step); null once let go undone.
         */
        final AtomicReference<Batch> owner;
        final AtomicInteger state = new AtomicInteger(WAITING);
        final CompletableFuture<Void> done = new CompletableFuture<>();

        Task(Wanted wanted, Batch batch) {
            this.wanted = wanted;
            this.owner = new AtomicReference<>(batch);
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
    /** The batch started last (null: none, or cancelled); any other begins no more chunks. */
    private volatile Batch current;
    /**
     * Checkouts and loads begun ({@link #stop}). One stops a batch of the next version back, which
     * it may read itself, not one of a version farther back: stepping back at once (no work between
     * the checkouts), four threads on this machine's two cores decoded chunks at half speed each,
     * and the reader waited for the last ones begun here: the step across a run boundary took
     * 316-587 ms against 230-458.
     */
    private final AtomicLong stops = new AtomicLong();
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
    public synchronized void start(Callable<Plan> plan) {
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
        Batch batch = new Batch(stops.get());
        current = batch;
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
        } catch (OutOfMemoryError e) {
            busy.decrementAndGet();
            if (!Threads.couldNotStart(e)) {
                throw e;
            }
            return false; // no thread could start: nothing read ahead
        }
    }

    /** Waits until nothing is being read ahead (for tests). */
    void awaitIdle() throws InterruptedException {
        while (busy.get() > 0) {
            Thread.sleep(1);
        }
    }

    /**
     * Stops reading ahead the next version back: no more of its chunks are begun (those begun
     * finish, and reads of them wait for them). A checkout or load calls it as it begins ({@link
     * ObjectStore#noteRestore}), so one that comes at once, before the next version's chunks were
     * planned or begun, does not find them decoded twice at once. A version farther back goes on
     * being read ahead: the checkout does not read it.
     */
    public void stop() {
        stops.incrementAndGet();
    }

    /** Stops whatever is being read ahead (a checkout or load that did not step back: the versions planned are not where it goes). */
    public void cancel() {
        current = null;
    }

    /** Chunks decoded ahead and held since this store was opened. */
    public long decoded() {
        return decoded.get();
    }

    /**
     * Whether any of {@code chunks}, of the version {@code depth} steps back, would cost a read
     * ahead saves (not held, nor cheap to read over the chunk beside it: {@link
     * ChunkChainReader#heldOrCheap}). Those held along a chain are ranked {@code depth} ({@link
     * RecentChunks#rankAlong}): a reader stepping back at once finds the versions of a run held,
     * and looks past them for the next version that is not, read ahead ranked below them. Never
     * fails (what it cannot tell it counts as to read).
     */
    public boolean look(List<Wanted> chunks, int depth) {
        boolean toRead = false;
        for (Wanted w : chunks) {
            try {
                if (!ChunkChainReader.heldOrCheap(store, w.chunk(), w.besideAtHand())) {
                    toRead = true;
                    continue;
                }
            } catch (IOException | RuntimeException e) {
                toRead = true;
                continue;
            }
            store.recentChunks().rankAlong(w.chunk(), depth);
        }
        return toRead;
    }

    private void plan(Batch batch, Callable<Plan> planner, ExecutorService pool) {
        ConcurrentLinkedQueue<Task> tasks = new ConcurrentLinkedQueue<>();
        try {
            if (current == batch) {
                Plan p = planner.call();
                batch.depth = p.depth();
                int n = 0;
                for (Wanted w : p.chunks()) {
                    if (n >= MAX_BATCH || stopped(batch)) {
                        break;
                    }
                    if (enqueue(w, batch, tasks)) {
                        n++;
                    }
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

    /**
     * Lists chunk {@code w} in {@code batch}'s {@code tasks}: a new task, or one a batch before
     * planned and that still waits (taken over); false if it is being decoded or was listed.
     */
    private boolean enqueue(Wanted w, Batch batch, ConcurrentLinkedQueue<Task> tasks) {
        for (int tries = 0; tries < 1000; tries++) {
            Task t = new Task(w, batch);
            Task had = pending.putIfAbsent(w.chunk(), t);
            if (had == null) {
                tasks.add(t);
                return true;
            }
            Batch owner = had.owner.get();
            if (had.state.get() != WAITING || owner == batch) {
                return false;
            }
            if (owner != null && had.owner.compareAndSet(owner, batch)) {
                tasks.add(had);
                return true;
            }
            Thread.onSpinWait(); // let go undone this moment: it leaves pending at once
        }
        return false;
    }

    /**
     * Waits until the reader is done with what it reads ({@link ObjectStore#readsQuietFor} {@link
     * #QUIET_NANOS}), unless the batch is stopped meanwhile; false if it was. A program reading a
     * file's tensors starts the next commit's read ahead before it reads this one's: begun at once,
     * the two took a core each, the read of a version not read ahead ran at half speed, and 32
     * fp32 steps loaded at once took 423-495 MB/s over all against 537-548 with nothing read ahead.
     */
    private boolean awaitQuiet(Batch batch) {
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

    private boolean stopped(Batch batch) {
        return closed || current != batch || batch.ended || batch.depth <= 1 && stops.get() != batch.stopsAtStart;
    }

    /** Decodes the batch's tasks until none is left (or the batch is stopped: the rest are let go undone). */
    private void drain(Batch batch, ConcurrentLinkedQueue<Task> tasks) {
        Scratch s = scratch.poll();
        try {
            for (Task t; (t = tasks.poll()) != null; ) {
                if (t.owner.get() != batch) {
                    continue; // taken over by a later batch, whose threads decode it
                }
                if (awaitQuiet(batch) && t.state.compareAndSet(WAITING, RUNNING)) {
                    try {
                        if (s == null) {
                            s = new Scratch();
                        }
                        if (decode(t.wanted, batch.depth, s) == ChunkChainReader.Ahead.NO_ROOM) {
                            batch.ended = true; // the chunks after it would find none either
                        }
                    } finally {
                        finish(t);
                    }
                } else if (t.state.get() == CLAIMED || t.state.get() == WAITING && t.owner.compareAndSet(batch, null)) {
                    finish(t); // a reader read it (and may wait for it to leave), or let go undone
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

    private void finish(Task t) {
        pending.remove(t.wanted.chunk(), t);
        t.done.complete(null);
    }

    private ChunkChainReader.Ahead decode(Wanted w, int rank, Scratch s) {
        try {
            ObjectStore.Found f = store.find(w.chunk());
            if (f == null) {
                return ChunkChainReader.Ahead.NOT_NEEDED;
            }
            int n = (int) f.entry().rawLength();
            if (s.buffer.length < n) {
                s.buffer = new byte[n];
            }
            ChunkChainReader.Ahead a = ChunkChainReader.readAhead(store, f, w.besideAtHand(), rank, s.buffer, s.workspace);
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
        Batch b = t.owner.get();
        if (b != null) {
            b.ended = true;
        }
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
