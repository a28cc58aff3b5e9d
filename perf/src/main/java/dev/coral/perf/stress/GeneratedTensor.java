package dev.coral.perf.stress;

import dev.coral.format.TensorSource;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.InputStream;

/**
 * An fp32 tensor of any size generated on the fly, never held in memory: element i is a small
 * value from a hash of i (weight-like: narrow exponent range, noisy mantissa). Every stream
 * yields the same bytes.
 */
final class GeneratedTensor implements TensorSource {
    private final String name;
    private final long elements;

    GeneratedTensor(String name, long bytes) {
        this.name = name;
        this.elements = bytes / 4;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public TensorSpec spec() {
        return TensorSpec.of(DType.F32, elements);
    }

    static float value(long i) {
        long z = i * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z ^= z >>> 27;
        return ((z & 0xFFFFF) - 0x80000) * 1e-7f;
    }

    /** Fills {@code b} with the bytes at element {@code first} onward; {@code n} bytes (a multiple of 4). */
    static void fill(byte[] b, int n, long first) {
        for (int k = 0; k < n; k += 4) {
            int x = Float.floatToRawIntBits(value(first + k / 4));
            b[k] = (byte) x;
            b[k + 1] = (byte) (x >>> 8);
            b[k + 2] = (byte) (x >>> 16);
            b[k + 3] = (byte) (x >>> 24);
        }
    }

    @Override
    public InputStream openStream() {
        return new InputStream() {
            private final byte[] buf = new byte[1 << 16];
            private long next;
            private int pos;
            private int len;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] dst, int off, int n) {
                if (pos == len) {
                    long left = (elements - next) * 4;
                    if (left <= 0) {
                        return -1;
                    }
                    len = (int) Math.min(buf.length, left);
                    fill(buf, len, next);
                    next += len / 4;
                    pos = 0;
                }
                int k = Math.min(n, len - pos);
                System.arraycopy(buf, pos, dst, off, k);
                pos += k;
                return k;
            }
        };
    }
}
