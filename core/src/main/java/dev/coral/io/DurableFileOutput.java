package dev.coral.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Writes a new file through its channel, flushing it to the device in the background as it
 * grows ({@link EarlySync}), so that {@link #finish} (the fsync before the file is renamed into
 * place) waits for the tail only. Callers buffer small writes in front of it. Not thread-safe.
 */
public final class DurableFileOutput extends OutputStream {
    /** Bytes between two background flushes. */
    public static final long FLUSH_EVERY = 8L << 20;

    private final FileChannel channel;
    private final EarlySync sync;
    private long position;

    /** @param what the file, for failures */
    public DurableFileOutput(FileChannel channel, String what) {
        this.channel = channel;
        this.sync = new EarlySync(channel, FLUSH_EVERY, what);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
        position += len;
        sync.written(position);
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
