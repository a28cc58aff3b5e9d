package dev.coral.io;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;

/**
 * A value computed on a thread of its own while the caller does other work (a whole-file hash
 * beside the chunk work of the same bytes), or in line when the work is too small for a thread
 * to pay. {@link #close} waits for the thread, so no read of the caller's data outlives the
 * operation that started it, even one that failed early.
 */
public final class OverlappedTask<T> implements AutoCloseable {
    private final FutureTask<T> task;
    private final Thread thread;
    private final String what;

    /**
     * @param aside whether to start a thread ({@code false}: {@link #result} computes it in line)
     * @param threadName the thread's name
     * @param what names the work in failures
     */
    public OverlappedTask(Callable<T> work, boolean aside, String threadName, String what) {
        this.task = new FutureTask<>(work);
        this.what = what;
        Thread t = null;
        if (aside) {
            t = new Thread(task, threadName);
            t.setDaemon(true);
            if (!Threads.tryStart(t)) {
                t = null; // no thread could start: result() computes it in line
            }
        }
        thread = t;
    }

    /** The value, waiting for the thread (or computing it now); its failure rethrown as thrown. */
    public T result() throws IOException {
        task.run(); // a no-op when the thread ran it
        return Futures.await(task, what);
    }

    /** Waits for the thread, if any. */
    @Override
    public void close() {
        if (thread != null) {
            Futures.joinUninterruptibly(thread);
        }
    }
}
