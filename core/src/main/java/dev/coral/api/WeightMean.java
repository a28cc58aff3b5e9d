package dev.coral.api;

import dev.coral.format.TensorSource;
import dev.coral.io.PairedBlockStream;
import dev.coral.tensor.DType;
import dev.coral.tensor.FloatElements;
import dev.coral.tensor.TensorSpec;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A float tensor that is the element-wise weighted mean of two of the same dtype and shape,
 * {@code (1 - w) * ours + w * theirs}, computed in double and rounded to nearest: what a merge
 * with {@code --strategy average} or {@code weighted=W} stores. An element whose bits are the
 * same on both sides is kept bit for bit (NaN payloads, -0.0). Streams a block at a time, so a
 * tensor of any size takes two blocks of memory.
 */
record WeightMean(String name, TensorSpec spec, TensorSource ours, TensorSource theirs, double weight) implements TensorSource {
    private static final int BLOCK = 1 << 20;

    @Override
    public InputStream openStream() throws IOException {
        InputStream a = ours.openStream();
        InputStream b;
        try {
            b = theirs.openStream();
        } catch (IOException | RuntimeException e) {
            a.close();
            throw e;
        }
        return new MeanStream(a, b);
    }

    /** The mean of {@code o} and {@code t}, little-endian elements of {@code dtype}, into {@code out} (which may be {@code o}). */
    static void mean(DType dtype, byte[] o, byte[] t, int length, double w, byte[] out) {
        ByteBuffer bo = ByteBuffer.wrap(o).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer bt = ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer r = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F64 -> {
                for (int i = 0; i < length; i += 8) {
                    long x = bo.getLong(i);
                    long y = bt.getLong(i);
                    r.putLong(i, x == y ? x : Double.doubleToRawLongBits(mix(Double.longBitsToDouble(x), Double.longBitsToDouble(y), w)));
                }
            }
            case F32 -> {
                for (int i = 0; i < length; i += 4) {
                    int x = bo.getInt(i);
                    int y = bt.getInt(i);
                    r.putInt(i, x == y ? x : Float.floatToRawIntBits((float) mix(Float.intBitsToFloat(x), Float.intBitsToFloat(y), w)));
                }
            }
            case F16, BF16 -> {
                boolean brain = dtype == DType.BF16;
                for (int i = 0; i < length; i += 2) {
                    int x = bo.getShort(i) & 0xFFFF;
                    int y = bt.getShort(i) & 0xFFFF;
                    if (x != y) {
                        double m = brain ? mix(FloatElements.bf16ToFloat(x), FloatElements.bf16ToFloat(y), w)
                                : mix(FloatElements.halfToFloat(x), FloatElements.halfToFloat(y), w);
                        x = brain ? FloatElements.doubleToBf16(m) : FloatElements.doubleToHalf(m);
                    }
                    r.putShort(i, (short) x);
                }
            }
            default -> throw new IllegalArgumentException("not a float dtype: " + dtype);
        }
    }

    /**
     * {@code (1 - w) * x + w * y}; for w = 0.5 {@code (x + y) * 0.5}, the correctly rounded mean
     * (halving is exact), or {@code x * 0.5 + y * 0.5} where the sum of two finite values overflows.
     */
    static double mix(double x, double y, double w) {
        if (w != 0.5) {
            return (1 - w) * x + w * y;
        }
        double sum = x + y;
        return Double.isInfinite(sum) && Double.isFinite(x) && Double.isFinite(y) ? x * 0.5 + y * 0.5 : sum * 0.5;
    }

    private final class MeanStream extends PairedBlockStream {
        MeanStream(InputStream a, InputStream b) {
            super(a, b, (int) Math.max(8, Math.min(BLOCK, spec.byteSize())));
        }

        @Override
        protected void combine(byte[] block, byte[] beside, int n) {
            mean(spec.dtype(), block, beside, n, weight, block);
        }

        @Override
        protected IOException secondEndedEarly() {
            return new EOFException("tensor '" + name + "': theirs holds fewer bytes than its " + spec.byteSize());
        }
    }
}
