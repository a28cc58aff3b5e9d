package dev.coral.format;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Yields exactly the next {@code length} bytes of a stream: stops there even if more follow, and
 * fails if the stream ends sooner, so a tensor stream never yields other than its spec's size.
 */
final class BoundedInputStream extends InputStream {
    private final InputStream in;
    private final String what;
    private long remaining;

    BoundedInputStream(InputStream in, long length, String what) {
        this.in = in;
        this.remaining = length;
        this.what = what;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (remaining <= 0) {
            return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw new EOFException(what + ": data ends " + remaining + " bytes early");
        }
        remaining -= n;
        return n;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
