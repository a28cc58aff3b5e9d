package dev.coral.similarity;

import dev.coral.tensor.DType;
import dev.coral.tensor.ElementValues;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Per-dtype reading of one sample unit (little-endian bytes): its numeric value for statistics,
 * and the key of its high bits for the SimHash.
 *
 * <p>A <em>unit</em> is one element for byte-aligned dtypes and one alignment group for the
 * sub-byte floats ({@code F4}: 1 byte = 2 elements, {@code F6_*}: 3 bytes = 4 elements), so a
 * unit always starts and ends on a byte boundary.
 */
final class ElementBits {
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private ElementBits() {
    }

    /** Bytes of one sample unit. */
    static int unitBytes(DType t) {
        return t.isByteAligned() ? t.elementBytes() : t.alignmentBytes();
    }

    /** Units in a tensor of {@code elements} elements. */
    static long unitCount(DType t, long elements) {
        return t.byteSize(elements) / unitBytes(t);
    }

    /**
     * Bits of the SimHash key of the IEEE float dtypes, counted from the sign bit: the top byte
     * for F16, BF16 and F32 (F32/BF16: sign and the top 7 exponent bits, so one key spans two
     * binades; F16: sign, exponent, 2 mantissa bits); sign and the top 10 exponent bits for F64.
     * 0 for every other dtype (key = whole unit).
     */
    static int floatKeyBits(DType t) {
        switch (t) {
            case F16:
            case BF16:
            case F32:
                return 8;
            case F64:
                return 11;
            default:
                return 0;
        }
    }

    /** Little-endian load of {@code n} (1..8) bytes. */
    static long loadLE(byte[] b, int off, int n) {
        switch (n) { // the common widths in one load each
            case 2:
                return (short) SHORT.get(b, off) & 0xFFFFL;
            case 4:
                return (int) INT.get(b, off) & 0xFFFFFFFFL;
            case 8:
                return (long) LONG.get(b, off);
            default:
                break;
        }
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (b[off + i] & 0xFFL);
        }
        return v;
    }

    /**
     * The SimHash key of the unit at {@code off}: for F16/BF16/F32/F64 its top {@code keyBits}
     * bits; for every other dtype all of its bits (folded into 64 for units wider than 8 bytes).
     */
    static long featureKey(DType t, byte[] b, int off, int keyBits) {
        int u = unitBytes(t);
        if (keyBits > 0) {
            int width = 8 * u;
            int keep = Math.min(width, keyBits);
            long bits = loadLE(b, off, u);
            return keep == 64 ? bits : (bits >>> (width - keep)) & ((1L << keep) - 1);
        }
        if (u <= 8) {
            return loadLE(b, off, u);
        }
        long h = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < u; i += 8) {
            h = Mix.mix64(h ^ loadLE(b, off + i, Math.min(8, u - i)));
        }
        return h;
    }

    /**
     * The values of the first {@code count} units of {@code b} (as {@link ElementValues#toDouble}, one unit
     * after another), the common float types without a dispatch per unit.
     */
    static double[] toDoubles(DType t, byte[] b, int count) {
        double[] v = new double[count];
        switch (t) {
            case F32 -> {
                for (int k = 0; k < count; k++) {
                    v[k] = Float.intBitsToFloat((int) INT.get(b, 4 * k));
                }
            }
            case BF16 -> {
                for (int k = 0; k < count; k++) {
                    v[k] = Float.intBitsToFloat((short) SHORT.get(b, 2 * k) << 16);
                }
            }
            case F64 -> {
                for (int k = 0; k < count; k++) {
                    v[k] = Double.longBitsToDouble((long) LONG.get(b, 8 * k));
                }
            }
            default -> {
                int u = unitBytes(t);
                for (int k = 0; k < count; k++) {
                    v[k] = ElementValues.toDouble(t, b, k * u);
                }
            }
        }
        return v;
    }
}
