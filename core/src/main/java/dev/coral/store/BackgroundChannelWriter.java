package dev.coral.store;

import dev.coral.io.Futures;
import dev.coral.io.Threads;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Writes filled buffers to a channel, in the order given, on a thread of its own, so that the
 * producer fills the next buffer meanwhile (the write into the page cache was a quarter of a
 * single-threaded commit). At most {@link #BUFFERS} buffers exist: a producer that far ahead waits.
 * Not thread-safe on the producer side: one producer.
 */
final class BackgroundChannelWriter implements AutoCloseable {
    static final int BUFFERS = 4;

    private final FileChannel channel;
    private final String what;
    private final Supplier<ByteBuffer> buffers;
    private final Consumer<ByteBuffer> spare;
    private final ExecutorService thread;
    private final BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(BUFFERS);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private int created;

    /** {@code what} names the file in errors; {@code bufferBytes} is the size of the buffers handed back. */
    BackgroundChannelWriter(FileChannel channel, int bufferBytes, String what) {
        this(channel, () -> ByteBuffer.allocateDirect(bufferBytes), b -> { }, what);
    }

    /**
     * As {@link #BackgroundChannelWriter(FileChannel, int, String)}, its further buffers taken from
     * {@code buffers} and, once it is closed, the ones written given to {@code spare}: a writer
     * per pack, and a fresh direct buffer is zeroed.
     */
    BackgroundChannelWriter(FileChannel channel, Supplier<ByteBuffer> buffers, Consumer<ByteBuffer> spare, String what) {
        this.channel = channel;
        this.what = what;
        this.buffers = buffers;
        this.spare = spare;
        this.created = 1; // the producer's current buffer
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "coral-pack-write");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Queues {@code filled[0, position)} for writing and returns an empty buffer to fill next
     * (waiting for one when {@link #BUFFERS} are in flight). Rethrows an earlier write's failure.
     */
    ByteBuffer submit(ByteBuffer filled) throws IOException {
        rethrowFailure();
        filled.flip();
        // written here when no thread could start (Threads): the buffers before it are written, as none is queued
        Threads.submitOrRun(thread, () -> {
            try {
                if (failure.get() == null) {
                    while (filled.hasRemaining()) {
                        channel.write(filled);
                    }
                }
            } catch (Throwable t) { // as thrown: the caller names the file (WriteErrors), as for its own writes
                failure.compareAndSet(null, t);
            } finally {
                filled.clear();
                free.add(filled);
            }
            return null;
        });
        ByteBuffer next = free.poll();
        if (next == null && created < BUFFERS) {
            created++;
            return buffers.get().clear();
        }
        try {
            return next != null ? next : free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing " + what);
        }
    }

    /** Waits until every submitted buffer is written; rethrows the first failure. */
    void drain() throws IOException {
        Futures.await(Threads.submitOrRun(thread, () -> null), "writing " + what);
        rethrowFailure();
    }

    private void rethrowFailure() throws IOException {
        Futures.rethrow(failure.get(), "writing " + what);
    }

    /** Stops the thread, dropping writes not started; waits for one under way to end. */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            if (thread.awaitTermination(30, TimeUnit.SECONDS)) {
                for (ByteBuffer b; (b = free.poll()) != null; ) {
                    spare.accept(b);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
