package dev.coral.format;

import dev.coral.error.BadInputException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Yields exactly the next {@code length} bytes of a stream: stops there even if more follow, and
 * fails if the stream ends sooner (bad input naming the tensor), so a tensor stream never yields
 * other than its spec's size.
 * An optional check runs once when the last byte has been read (e.g. to verify a CRC), or at
 * once for an empty range.
 */
final class BoundedInputStream extends InputStream {
    /** Runs when the bounded range has been read completely. */
    interface EndCheck {
        void atEnd() throws IOException;
    }

    private final InputStream in;
    private final String what;
    private final EndCheck endCheck;
    private long remaining;

    private BoundedInputStream(InputStream in, long length, String what, EndCheck endCheck) {
        this.in = in;
        this.remaining = length;
        this.what = what;
        this.endCheck = endCheck;
    }

    /**
     * The next {@code length} bytes of {@code in}; {@code endCheck} (may be null) runs after the
     * last of them is read, or here for an empty range, which no reader may ever read.
     */
    static BoundedInputStream of(InputStream in, long length, String what, EndCheck endCheck) throws IOException {
        if (length == 0 && endCheck != null) {
            endCheck.atEnd();
        }
        return new BoundedInputStream(in, length, what, endCheck);
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
            throw new BadInputException(what + ": data ends " + remaining + " bytes early");
        }
        remaining -= n;
        if (remaining == 0 && endCheck != null) {
            endCheck.atEnd();
        }
        return n;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
