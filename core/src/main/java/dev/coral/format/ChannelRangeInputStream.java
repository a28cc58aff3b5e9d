package dev.coral.format;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Streams the byte range {@code [start, start + length)} of a file with positioned reads, so many
 * streams can share one open {@link FileChannel} and ranges may exceed 2 GiB. Closing the stream
 * does not close the channel (the parsed file owns it).
 */
final class ChannelRangeInputStream extends InputStream {
    private final FileChannel channel;
    private final String fileName;
    private long position;
    private long remaining;

    ChannelRangeInputStream(FileChannel channel, long start, long length, String fileName) {
        this.channel = channel;
        this.position = start;
        this.remaining = length;
        this.fileName = fileName;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (remaining <= 0) {
            return -1;
        }
        int want = (int) Math.min(len, remaining);
        int n = channel.read(ByteBuffer.wrap(b, off, want), position);
        if (n < 0) {
            // the file shrank after it was validated
            throw new EOFException(fileName + ": file ends " + remaining + " bytes early");
        }
        position += n;
        remaining -= n;
        return n;
    }

    /** Copies the rest in 64 KiB reads (the default's 8 KiB would be a read call per 8 KiB). */
    @Override
    public long transferTo(OutputStream out) throws IOException {
        byte[] buf = new byte[(int) Math.max(1, Math.min(1 << 16, remaining))];
        long n = 0;
        for (int r; (r = read(buf, 0, buf.length)) >= 0; ) {
            out.write(buf, 0, r);
            n += r;
        }
        return n;
    }

    /** Skips without reading, so a consumer can jump through a huge range cheaply. */
    @Override
    public long skip(long n) {
        long k = Math.max(0, Math.min(n, remaining));
        position += k;
        remaining -= k;
        return k;
    }

    @Override
    public int available() {
        return (int) Math.min(Integer.MAX_VALUE, remaining);
    }
}
