package dev.coral.store;

import dev.coral.codec.CodecWorkspace;
import dev.coral.io.Futures;
import dev.coral.io.Threads;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps at hand, from a thread of its own between commits, the delta base that the next skip link
 * of each chunk just stored will need. Inside a run of the chain layout ({@link ChainShape}) a
 * version's base is the version before it, which a process that commits again holds at hand
 * ({@link RecentChunks}); the first version of each run is a skip link to an older version, which
 * the commit would otherwise decode from its chain while it encodes (the perf probe's [64, 864,
 * 864, 16] MLP: that commit 39.6 ms against 26 for the others). So after each flush the base of
 * the next skip link is put among the recent chunks' kept bases ({@link RecentChunks#keep}): copied
 * from the recent chunks when they hold it (a run's first version, which later runs skip back to,
 * just stored), else decoded from its chain (the keyframe, in a process that did not store it).
 * Kept, it serves every later skip link back to it, and is copied or decoded once per process,
 * not once per run (the 84 MB MLP's keyframe: 280-460 ms of CPU after every eighth commit, on
 * this thread, taking a core from a commit that came at once).
 *
 * <p>Each chunk's base is planned and prepared in a task keyed by the chunk's id; a commit that
 * plans the base of that chunk's next version ({@link SkipDeltaBase#plan}) first waits for the
 * task, so the base is never decoded twice at once. Speculative: a failure (a pack another
 * process deleted meanwhile) leaves the base to be decoded when asked, as before. Thread-safe.
 */
final class SkipBasesAhead implements AutoCloseable {
    /** A chunk just stored, of {@code length} raw bytes, whose next version is a skip link. */
    record Stored(ObjectId chunk, long length) {
    }

    /** Most chunks waiting for their base at once; more are left to be decoded when asked. */
    static final int MAX_PENDING = 1024;

    private final ObjectStore store;
    private final ConcurrentHashMap<ObjectId, Future<?>> pending = new ConcurrentHashMap<>();
    /** Bases decoded here and put at hand (for tests and probes). */
    final AtomicLong decoded = new AtomicLong();
    /** Chunks whose next skip link's base was planned here (for tests). */
    final AtomicLong planned = new AtomicLong();
    private ExecutorService thread;
    private volatile boolean closed;
    /** The task thread's buffer and workspace. */
    private byte[] buffer = new byte[0];
    private CodecWorkspace workspace;

    SkipBasesAhead(ObjectStore store) {
        this.store = store;
    }

    /** Starts keeping at hand the bases that the next skip links of {@code chunks} will need, as laid out by {@code shape}. */
    synchronized void start(List<Stored> chunks, ChainShape shape) {
        if (closed) {
            return;
        }
        if (thread == null) {
            thread = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "coral-skip-bases");
                t.setDaemon(true);
                return t;
            });
        }
        for (Stored s : chunks) {
            if (pending.size() >= MAX_PENDING) {
                return;
            }
            FutureTask<Void> task = new FutureTask<>(() -> prepare(s, shape), null);
            if (pending.putIfAbsent(s.chunk(), task) == null && Threads.trySubmit(thread, () -> {
                try {
                    task.run();
                } finally {
                    pending.remove(s.chunk(), task);
                }
                return null;
            }) == null) {
                pending.remove(s.chunk(), task); // no thread could start: the base is decoded when asked
                return;
            }
        }
    }

    /** Waits for the base of {@code chunk}'s next version if it is being decoded here. */
    void await(ObjectId chunk) {
        Future<?> f = pending.get(chunk);
        if (f != null) {
            Futures.awaitQuietly(f); // had it failed, the base is decoded when asked, as if nothing had been started
        }
    }

    private void prepare(Stored s, ChainShape shape) {
        if (closed) {
            return;
        }
        try {
            planned.incrementAndGet();
            SkipDeltaBase plan = SkipDeltaBase.nextSkipLink(store, s.chunk(), s.length(), shape);
            RecentChunks recent = store.recentChunks();
            if (plan == null || recent.isKept(plan.base()) || recent.keepHeld(plan.base()) || !recent.hasRoomToKeep(s.length())) {
                return; // no skip link ahead, kept already, or kept now from the recent chunks; or no room: decoded when asked
            }
            int n = (int) s.length();
            if (buffer.length < n) {
                buffer = new byte[n];
            }
            if (workspace == null) {
                workspace = new CodecWorkspace();
            }
            store.readChunk(plan.base(), buffer, false, workspace);
            recent.keep(plan.base(), buffer, n);
            decoded.incrementAndGet();
        } catch (Exception e) {
            // speculative: the next commit decodes the base itself, and reports what fails then
        }
    }

    /**
     * Drops the decodes not begun and waits for the one running (never interrupted: an interrupt
     * during a read would close the pack's shared channel for every reader of the store).
     */
    @Override
    public void close() {
        ExecutorService t;
        synchronized (this) {
            closed = true;
            t = thread;
            thread = null;
        }
        if (t == null) {
            return;
        }
        Futures.shutdownAndWait(t);
        if (workspace != null) {
            workspace.close();
        }
    }
}
