package dev.coral.format;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reverses the bytes of each {@code unit}-byte group of the underlying stream: turns big-endian
 * element bytes into little-endian ones and back (the operation is its own inverse). The
 * underlying stream must end on a unit boundary.
 */
final class ByteSwappingInputStream extends InputStream {
    /** 64 KiB is a multiple of every unit (1, 2, 4, 8, 16). */
    private static final int BUFFER = 1 << 16;

    private final InputStream in;
    private final int unit;
    private final byte[] buf = new byte[BUFFER];
    private int pos;
    private int limit;

    ByteSwappingInputStream(InputStream in, int unit) {
        if (unit < 1 || BUFFER % unit != 0) {
            throw new IllegalArgumentException("bad swap unit " + unit);
        }
        this.in = in;
        this.unit = unit;
    }

    /** Wraps {@code in} only when swapping does something. */
    static InputStream wrap(InputStream in, int unit, boolean swap) {
        return swap && unit > 1 ? new ByteSwappingInputStream(in, unit) : in;
    }

    @Override
    public int read() throws IOException {
        if (pos == limit && !fill()) {
            return -1;
        }
        return buf[pos++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (pos == limit && !fill()) {
            return -1;
        }
        int n = Math.min(len, limit - pos);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        return n;
    }

    private boolean fill() throws IOException {
        int n = in.readNBytes(buf, 0, BUFFER);
        if (n == 0) {
            return false;
        }
        if (n % unit != 0) {
            throw new EOFException("data ends inside a " + unit + "-byte element");
        }
        for (int i = 0; i < n; i += unit) {
            for (int a = i, z = i + unit - 1; a < z; a++, z--) {
                byte t = buf[a];
                buf[a] = buf[z];
                buf[z] = t;
            }
        }
        pos = 0;
        limit = n;
        return true;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
