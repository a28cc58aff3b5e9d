package dev.coral.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Writes through a file's channel, each array handed to it written as it is (no copy into a
 * buffer of this class's own). Callers buffer small writes in front of it. Does not close the
 * channel. Not thread-safe.
 */
public class ChannelOutput extends OutputStream {
    private final FileChannel channel;
    private long position;

    public ChannelOutput(FileChannel channel) {
        this.channel = channel;
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
        written(position);
    }

    /** Called after each write with the bytes written so far. */
    protected void written(long total) throws IOException {
    }
}
