package dev.coral.diff;

import dev.coral.error.CorruptObjectException;
import dev.coral.tensor.DType;
import dev.coral.tensor.ElementValues;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Reads two versions of a tensor of one dtype and shape side by side, a block at a time, and
 * gives their {@link TensorStats}. Memory: two blocks, whatever the tensor's size.
 */
final class TensorComparison {
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** Bytes read from each side per step: a whole number of elements of any dtype. */
    static final int BLOCK = 1 << 20;

    private TensorComparison() {
    }

    /**
     * Compares the {@code spec.byteSize()} bytes of each stream. {@code what} names the tensor in
     * the failure when a stream ends early (a file that changed while it was read).
     */
    static TensorStats compare(TensorSpec spec, InputStream from, InputStream to, String what) throws IOException {
        return compare(spec, from, to, what, BLOCK);
    }

    /** As {@link #compare(TensorSpec, InputStream, InputStream, String)}, reading about {@code blockBytes} per step (tests). */
    static TensorStats compare(TensorSpec spec, InputStream from, InputStream to, String what, int blockBytes) throws IOException {
        DType t = spec.dtype();
        long total = spec.byteSize();
        boolean counted = t.isByteAligned();
        boolean values = ElementValues.isNumeric(t);
        int w = counted ? t.elementBytes() : 1;
        int block = Math.max(w, blockBytes - blockBytes % w);
        byte[] a = new byte[(int) Math.min(block, Math.max(total, 1))];
        byte[] b = new byte[a.length];
        long changed = 0;
        long nonFinite = 0;
        boolean differ = false;
        double max = values ? 0 : Double.NaN;
        double dd = 0;
        double aa = 0;
        double bb = 0;
        double ab = 0;
        for (long done = 0; done < total; ) {
            int n = (int) Math.min(a.length, total - done);
            readFully(from, a, n, what, "from", done, total);
            readFully(to, b, n, what, "to", done, total);
            done += n;
            if (!counted) {
                differ |= !Arrays.equals(a, 0, n, b, 0, n);
                continue;
            }
            if (!values && Arrays.equals(a, 0, n, b, 0, n)) {
                continue;
            }
            for (int i = 0; i < n; i += w) {
                boolean same = w <= 8 ? bits(a, i, w) == bits(b, i, w) : Arrays.equals(a, i, i + w, b, i, i + w);
                if (!same) {
                    changed++;
                }
                if (!values) {
                    continue;
                }
                double x = ElementValues.toDouble(t, a, i);
                double y = ElementValues.toDouble(t, b, i);
                if (!Double.isFinite(x) || !Double.isFinite(y)) {
                    if (!same) {
                        nonFinite++;
                    }
                    continue;
                }
                double d = y - x;
                max = Math.max(max, Math.abs(d));
                dd += d * d;
                aa += x * x;
                bb += y * y;
                ab += x * y;
            }
        }
        long elements = spec.shape().elementCount();
        if (!values) {
            return new TensorStats(elements, counted ? changed : differ ? -1 : 0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN);
        }
        double normA = Math.sqrt(aa);
        double normB = Math.sqrt(bb);
        double cosine = normA > 0 && normB > 0 ? Math.max(-1, Math.min(1, ab / (normA * normB))) : Double.NaN;
        return new TensorStats(elements, changed, nonFinite, max, Math.sqrt(dd), normA, normB, cosine);
    }

    private static void readFully(InputStream in, byte[] buf, int n, String what, String side, long done, long total) throws IOException {
        int got = in.readNBytes(buf, 0, n);
        if (got != n) {
            throw new CorruptObjectException(what + ": the " + side + " side ended after " + (done + got) + " of " + total
                    + " bytes (changed while it was read?)");
        }
    }

    /** The bits of the element of {@code w} (1, 2, 4 or 8) bytes at {@code b[off...]}. */
    private static long bits(byte[] b, int off, int w) {
        return switch (w) {
            case 1 -> b[off];
            case 2 -> (short) SHORT.get(b, off);
            case 4 -> (int) INT.get(b, off);
            case 8 -> (long) LONG.get(b, off);
            default -> throw new IllegalArgumentException("elements of " + w + " bytes");
        };
    }
}
