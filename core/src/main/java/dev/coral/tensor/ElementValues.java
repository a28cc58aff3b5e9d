package dev.coral.tensor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Elements as numbers, read from little-endian bytes (as Coral stores them): BOOL (0 or 1: any
 * nonzero byte is true), the integers (U64 as the nearest double), F16, BF16, F32, F64 and the
 * 8-bit floats. Complex, F128 and the sub-byte floats have none. The similarity sketches take
 * their statistics through it, and {@code coral diff} its figures.
 */
public final class ElementValues {
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private ElementValues() {
    }

    /** Whether {@link #toDouble} gives the element's value (false for complex, F128 and sub-byte units). */
    public static boolean isNumeric(DType t) {
        return switch (t) {
            case C64, C128, C256, F128, F4, F6_E2M3, F6_E3M2 -> false;
            default -> true;
        };
    }

    /** The value of the element at {@code b[off...]}; only for {@link #isNumeric} dtypes. */
    public static double toDouble(DType t, byte[] b, int off) {
        return switch (t) {
            case BOOL -> b[off] != 0 ? 1.0 : 0.0;
            case U8 -> b[off] & 0xFF;
            case I8 -> b[off];
            case U16 -> (short) SHORT.get(b, off) & 0xFFFF;
            case I16 -> (short) SHORT.get(b, off);
            case U32 -> (int) INT.get(b, off) & 0xFFFFFFFFL;
            case I32 -> (int) INT.get(b, off);
            case U64 -> {
                long v = (long) LONG.get(b, off);
                // at 2^63 and above: halved with the lost bit kept as a sticky bit, so that one rounding gives the
                // nearest double (halving, rounding, then adding the low bit rounded twice: an ulp off, found by fuzzing)
                yield v >= 0 ? (double) v : (double) (v >>> 1 | v & 1) * 2;
            }
            case I64 -> (long) LONG.get(b, off);
            case F16 -> minifloat((short) SHORT.get(b, off) & 0xFFFF, 5, 10, 15, Specials.IEEE);
            case BF16 -> Float.intBitsToFloat((short) SHORT.get(b, off) << 16);
            case F32 -> Float.intBitsToFloat((int) INT.get(b, off));
            case F64 -> Double.longBitsToDouble((long) LONG.get(b, off));
            case F8_E5M2 -> minifloat(b[off] & 0xFF, 5, 2, 15, Specials.IEEE);
            case F8_E4M3 -> minifloat(b[off] & 0xFF, 4, 3, 7, Specials.FN);
            case F8_E4M3FNUZ -> minifloat(b[off] & 0xFF, 4, 3, 8, Specials.FNUZ);
            case F8_E5M2FNUZ -> minifloat(b[off] & 0xFF, 5, 2, 16, Specials.FNUZ);
            case F8_E8M0 -> {
                int v = b[off] & 0xFF;
                yield v == 0xFF ? Double.NaN : Math.scalb(1.0, v - 127);
            }
            default -> throw new IllegalArgumentException(t + " has no scalar value");
        };
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

    private static double minifloat(int bits, int expBits, int manBits, int bias, Specials specials) {
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
