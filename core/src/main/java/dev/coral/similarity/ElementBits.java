package dev.coral.similarity;

import dev.coral.tensor.DType;
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

    /** Whether {@link #toDouble} gives the unit's value (false for complex, F128 and sub-byte units). */
    static boolean isNumeric(DType t) {
        switch (t) {
            case C64:
            case C128:
            case C256:
            case F128:
            case F4:
            case F6_E2M3:
            case F6_E3M2:
                return false;
            default:
                return true;
        }
    }

    /** The value of the element at {@code off}; only for {@link #isNumeric} dtypes. */
    static double toDouble(DType t, byte[] b, int off) {
        switch (t) {
            case BOOL:
                return b[off] != 0 ? 1.0 : 0.0;
            case U8:
                return b[off] & 0xFF;
            case I8:
                return b[off];
            case U16:
                return loadLE(b, off, 2);
            case I16:
                return (short) loadLE(b, off, 2);
            case U32:
                return loadLE(b, off, 4);
            case I32:
                return (int) loadLE(b, off, 4);
            case U64: {
                long v = loadLE(b, off, 8);
                return v >= 0 ? (double) v : (double) (v >>> 1) * 2.0 + (v & 1);
            }
            case I64:
                return loadLE(b, off, 8);
            case F16:
                return minifloat((int) loadLE(b, off, 2), 5, 10, 15, Specials.IEEE);
            case BF16:
                return Float.intBitsToFloat((int) loadLE(b, off, 2) << 16);
            case F32:
                return Float.intBitsToFloat((int) loadLE(b, off, 4));
            case F64:
                return Double.longBitsToDouble(loadLE(b, off, 8));
            case F8_E5M2:
                return minifloat(b[off] & 0xFF, 5, 2, 15, Specials.IEEE);
            case F8_E4M3:
                return minifloat(b[off] & 0xFF, 4, 3, 7, Specials.FN);
            case F8_E4M3FNUZ:
                return minifloat(b[off] & 0xFF, 4, 3, 8, Specials.FNUZ);
            case F8_E5M2FNUZ:
                return minifloat(b[off] & 0xFF, 5, 2, 16, Specials.FNUZ);
            case F8_E8M0: {
                int v = b[off] & 0xFF;
                return v == 0xFF ? Double.NaN : Math.scalb(1.0, v - 127);
            }
            default:
                throw new IllegalArgumentException(t + " has no scalar value");
        }
    }

    /**
     * The values of the first {@code count} units of {@code b} (as {@link #toDouble}, one unit
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
                    v[k] = toDouble(t, b, k * u);
                }
            }
        }
        return v;
    }

    /** How a small float type spends its top codes. */
    enum Specials {
        /** Exponent all ones: infinity (mantissa 0) or NaN. */
        IEEE,
        /** No infinities; only exponent and mantissa all ones is NaN (OCP E4M3). */
        FN,
        /** No infinities, no negative zero: the code 1000...0 is NaN. */
        FNUZ
    }

    static double minifloat(int bits, int expBits, int manBits, int bias, Specials specials) {
        int signBit = 1 << (expBits + manBits);
        int man = bits & ((1 << manBits) - 1);
        int exp = (bits >>> manBits) & ((1 << expBits) - 1);
        boolean negative = (bits & signBit) != 0;
        int expMax = (1 << expBits) - 1;
        switch (specials) {
            case IEEE:
                if (exp == expMax) {
                    return man != 0 ? Double.NaN : negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                }
                break;
            case FN:
                if (exp == expMax && man == (1 << manBits) - 1) {
                    return Double.NaN;
                }
                break;
            case FNUZ:
                if (bits == signBit) {
                    return Double.NaN;
                }
                break;
            default:
                throw new AssertionError(specials);
        }
        double v = exp == 0
                ? Math.scalb((double) man, 1 - bias - manBits)
                : Math.scalb((double) (man | (1 << manBits)), exp - bias - manBits);
        return negative ? -v : v;
    }
}
