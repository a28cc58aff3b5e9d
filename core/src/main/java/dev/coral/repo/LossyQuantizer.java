package dev.coral.repo;

import dev.coral.tensor.DType;
import java.io.IOException;
import java.io.InputStream;

/**
 * Opt-in lossy storage: replaces each float element w of a tensor by r = b + 2·eps·round((w−b)/(2·eps)),
 * where b is the same element of the previous stored version, and keeps r only where |r − w| ≤ eps
 * holds exactly as the dtype rounds it (else r = w). Elements that moved less than eps become
 * bit-equal to the base, so the XOR delta against it is mostly zero planes. Non-finite values and
 * non-float dtypes pass through unchanged. Streams: reads both tensors chunk by chunk.
 */
final class LossyQuantizer extends InputStream {
    private static final int BLOCK = 1 << 16;

    private final InputStream values;
    private final InputStream base;
    private final DType dtype;
    private final double eps;
    private final byte[] buf = new byte[BLOCK];
    private final byte[] baseBuf = new byte[BLOCK];
    private int pos;
    private int limit;

    LossyQuantizer(InputStream values, InputStream base, DType dtype, double eps) {
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("lossy error bound must be a positive, finite number: " + eps);
        }
        this.values = values;
        this.base = base;
        this.dtype = dtype;
        this.eps = eps;
    }

    /** Float dtypes the quantizer changes; others are stored as they are. */
    static boolean quantizes(DType t) {
        return t == DType.F32 || t == DType.F64 || t == DType.F16 || t == DType.BF16;
    }

    private boolean fill() throws IOException {
        if (pos < limit) {
            return true;
        }
        int n = values.readNBytes(buf, 0, BLOCK);
        if (n <= 0) {
            return false;
        }
        int m = base.readNBytes(baseBuf, 0, n);
        if (m != n) {
            throw new IOException("lossy base tensor ended early");
        }
        quantize(n);
        pos = 0;
        limit = n;
        return true;
    }

    private void quantize(int n) {
        double step = 2 * eps;
        switch (dtype) {
            case F32 -> {
                for (int i = 0; i + 4 <= n; i += 4) {
                    float w = Float.intBitsToFloat(le32(buf, i));
                    float b = Float.intBitsToFloat(le32(baseBuf, i));
                    float r = (float) (b + step * Math.rint(((double) w - b) / step));
                    if (Float.isFinite(w) && Float.isFinite(b) && Math.abs((double) r - w) <= eps) {
                        put32(buf, i, Float.floatToRawIntBits(r));
                    }
                }
            }
            case F64 -> {
                for (int i = 0; i + 8 <= n; i += 8) {
                    double w = Double.longBitsToDouble(le64(buf, i));
                    double b = Double.longBitsToDouble(le64(baseBuf, i));
                    double r = b + step * Math.rint((w - b) / step);
                    if (Double.isFinite(w) && Double.isFinite(b) && Double.isFinite(r) && Math.abs(r - w) <= eps) {
                        put64(buf, i, Double.doubleToRawLongBits(r));
                    }
                }
            }
            case BF16, F16 -> {
                for (int i = 0; i + 2 <= n; i += 2) {
                    int wb = (buf[i] & 0xFF) | (buf[i + 1] & 0xFF) << 8;
                    int bb = (baseBuf[i] & 0xFF) | (baseBuf[i + 1] & 0xFF) << 8;
                    float w = half(wb);
                    float b = half(bb);
                    if (!Float.isFinite(w) || !Float.isFinite(b)) {
                        continue;
                    }
                    double q = Math.rint(((double) w - b) / step);
                    // Snap to the base when within the bound (the common case); else keep w.
                    if (q == 0 && Math.abs((double) b - w) <= eps) {
                        buf[i] = baseBuf[i];
                        buf[i + 1] = baseBuf[i + 1];
                    }
                }
            }
            default -> {
            }
        }
    }

    private float half(int bits) {
        return dtype == DType.BF16 ? Float.intBitsToFloat(bits << 16) : ieeeHalf(bits);
    }

    /** IEEE 754 binary16 to float (Float.float16ToFloat arrived only in Java 20). */
    static float ieeeHalf(int h) {
        int sign = (h >>> 15) & 1;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        float v;
        if (exp == 0) {
            v = mant * 0x1p-24f;
        } else if (exp == 31) {
            v = mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            v = Float.intBitsToFloat((exp - 15 + 127) << 23 | mant << 13);
        }
        return sign == 1 ? -v : v;
    }

    private static int le32(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16 | (b[i + 3] & 0xFF) << 24;
    }

    private static long le64(byte[] b, int i) {
        return (le32(b, i) & 0xFFFFFFFFL) | (long) le32(b, i + 4) << 32;
    }

    private static void put32(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
        b[i + 2] = (byte) (v >>> 16);
        b[i + 3] = (byte) (v >>> 24);
    }

    private static void put64(byte[] b, int i, long v) {
        put32(b, i, (int) v);
        put32(b, i + 4, (int) (v >>> 32));
    }

    @Override
    public int read() throws IOException {
        return fill() ? buf[pos++] & 0xFF : -1;
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
        System.arraycopy(buf, pos, dst, off, n);
        pos += n;
        return n;
    }

    @Override
    public void close() throws IOException {
        try {
            values.close();
        } finally {
            base.close();
        }
    }
}
