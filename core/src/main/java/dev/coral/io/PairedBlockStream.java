package dev.coral.io;

import java.io.IOException;
import java.io.InputStream;

/**
 * A stream of two equally long streams combined element by element a block at a time: each
 * block of the first stream, with the same bytes of the second beside it, is handed to
 * {@link #combine}, which rewrites it in place. Memory: two blocks, whatever the length.
 * Closing closes both. Used by the lossy quantizer (values against their base) and a merge's
 * weighted mean (ours against theirs).
 */
public abstract class PairedBlockStream extends InputStream {
    private final InputStream first;
    private final InputStream second;
    private final byte[] block;
    private final byte[] beside;
    private int pos;
    private int limit;

    /** {@code blockBytes}: a multiple of the element size, so that no element straddles two blocks. */
    protected PairedBlockStream(InputStream first, InputStream second, int blockBytes) {
        this.first = first;
        this.second = second;
        this.block = new byte[blockBytes];
        this.beside = new byte[blockBytes];
    }

    /** Rewrites {@code block[0, n)} from itself and {@code beside[0, n)}, the second stream's same bytes. */
    protected abstract void combine(byte[] block, byte[] beside, int n);

    /** The error for a second stream that ends before the first. */
    protected abstract IOException secondEndedEarly();

    private boolean fill() throws IOException {
        if (pos < limit) {
            return true;
        }
        int n = first.readNBytes(block, 0, block.length);
        if (n <= 0) {
            return false;
        }
        if (second.readNBytes(beside, 0, n) != n) {
            throw secondEndedEarly();
        }
        combine(block, beside, n);
        pos = 0;
        limit = n;
        return true;
    }

    @Override
    public int read() throws IOException {
        return fill() ? block[pos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, limit - pos);
        System.arraycopy(block, pos, dst, off, n);
        pos += n;
        return n;
    }

    @Override
    public void close() throws IOException {
        try {
            first.close();
        } finally {
            second.close();
        }
    }
}
