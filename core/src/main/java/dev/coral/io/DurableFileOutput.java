package dev.coral.io;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * Writes a new file through its channel, flushing it to the device in the background as it
 * grows ({@link EarlySync}), so that {@link #finish} (the fsync before the file is renamed into
 * place) waits for the tail only. Callers buffer small writes in front of it. Not thread-safe.
 */
public final class DurableFileOutput extends ChannelOutput {
    /** Bytes between two background flushes. */
    public static final long FLUSH_EVERY = 8L << 20;

    private final EarlySync sync;

    /** @param what the file, for failures */
    public DurableFileOutput(FileChannel channel, String what) {
        super(channel);
        this.sync = new EarlySync(channel, FLUSH_EVERY, what);
    }

    @Override
    protected void written(long total) throws IOException {
        sync.written(total);
    }

    /** Waits for the background flush and fsyncs the file: it is durable when this returns. */
    public void finish() throws IOException {
        sync.finish();
    }

    /** Gives up on a background flush in flight (the file is abandoned); does not close the channel. */
    @Override
    public void close() {
        sync.abandon();
    }
}
