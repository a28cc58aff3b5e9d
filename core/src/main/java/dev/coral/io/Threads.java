package dev.coral.io;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/**
 * Starting threads where the process may start no more: the user's limit on processes and
 * threads ({@code ulimit -u}), a container's pids limit or memory short for a stack. The JVM then
 * throws {@code OutOfMemoryError: unable to create native thread}. Found running commands as a
 * user limited to 24 (2026-12-07): {@code coral add} failed as an "internal error" for want of
 * the thread that starts a pack's fsync early, and a class that started its thread as it
 * initialised would have stayed unusable for the rest of the process. Work a thread only speeds
 * up (an early fsync, a read ahead, a merge of small packs) is done in the caller or not at all
 * then; work a command needs fails it in one line ({@link #couldNotStart}).
 */
public final class Threads {
    private Threads() {
    }

    /** Whether {@code t}, or one of its causes, is the JVM's refusal to start a thread. */
    public static boolean couldNotStart(Throwable t) {
        Throwable e = t;
        for (int depth = 0; e != null && depth < 16; depth++, e = e.getCause()) {
            if (e instanceof OutOfMemoryError && e.getMessage() != null && e.getMessage().contains("native thread")) {
                return true; // "unable to create native thread: possibly out of memory or process/resource limits reached"
            }
        }
        return false;
    }

    /** What to tell the user whose command could not start a thread. */
    public static String advice() {
        return "cannot start another thread: this user's processes and threads are at their limit (ulimit -u, or a container's pids"
                + " limit) or memory is short; raise it or end other programs, and run it again";
    }

    /** Starts {@code t}; false when no thread could be started (the caller does the work itself, or goes without). */
    public static boolean tryStart(Thread t) {
        try {
            t.start();
            return true;
        } catch (OutOfMemoryError e) {
            if (!couldNotStart(e)) {
                throw e;
            }
            return false;
        }
    }

    /**
     * Submits {@code task} to {@code executor}, or runs it now in the caller when the executor
     * could not start the thread to run it: the future is then done, holding its result or failure.
     */
    public static <T> Future<T> submitOrRun(ExecutorService executor, Callable<T> task) {
        Future<T> f = trySubmit(executor, task);
        if (f == null) {
            FutureTask<T> here = new FutureTask<>(task);
            here.run();
            f = here;
        }
        return f;
    }

    /**
     * Submits {@code task} to {@code executor}; null when the executor could not start the thread
     * to run it (the task was not queued: the caller does the work itself, or goes without).
     */
    public static <T> Future<T> trySubmit(ExecutorService executor, Callable<T> task) {
        try {
            return executor.submit(task);
        } catch (OutOfMemoryError e) {
            if (!couldNotStart(e)) {
                throw e;
            }
            return null;
        }
    }
}
