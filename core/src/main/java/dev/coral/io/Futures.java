package dev.coral.io;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting for work done on another thread, with its failure rethrown as it was thrown there. */
public final class Futures {
    private Futures() {
    }

    /**
     * The result of {@code f}, waiting for it. An IOException, RuntimeException or Error of the
     * task is rethrown as is; anything else, an interrupt or a cancellation becomes an
     * IOException naming {@code what}.
     */
    public static <T> T await(Future<T> f, String what) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(what + ": interrupted");
        } catch (CancellationException e) {
            throw new IOException(what + ": cancelled", e);
        } catch (ExecutionException e) {
            rethrow(e.getCause(), what);
            throw new IOException(what + ": failed", e);
        }
    }

    /**
     * Throws {@code t}, a failure caught on another thread, as it was thrown there (IOException,
     * RuntimeException, Error), anything else wrapped in an IOException naming {@code what}.
     * Does nothing for null.
     */
    public static void rethrow(Throwable t, String what) throws IOException {
        if (t instanceof IOException io) {
            throw io;
        }
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        if (t != null) {
            throw new IOException(what + ": " + t, t);
        }
    }

    /**
     * Waits for {@code t} to end, through interrupts (which would leave it running on data the
     * caller is about to release); the caller's interrupt status is set again afterwards.
     */
    public static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Shuts {@code executor} down and waits for every task it took to end, through interrupts
     * (which would leave them running on data the caller is about to release); the caller's
     * interrupt status is set again afterwards.
     */
    public static void shutdownAndWait(java.util.concurrent.ExecutorService executor) {
        executor.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                if (executor.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for {@code f} to end, through interrupts (set again afterwards), ignoring how it ended. */
    public static void awaitQuietly(Future<?> f) {
        boolean interrupted = false;
        while (true) {
            try {
                f.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException | CancellationException e) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
