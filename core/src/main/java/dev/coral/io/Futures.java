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
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(what + ": " + c, c);
        }
    }
}
