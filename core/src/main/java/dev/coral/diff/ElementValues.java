package dev.coral.diff;

import dev.coral.tensor.DType;
import dev.coral.tensor.HalfFloat;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Elements of the numeric dtypes as doubles, read from little-endian bytes (as Coral stores
 * them): BOOL (0 or 1), the integers (U64 unsigned, as the nearest double), F16, BF16, F32 and
 * F64. Other dtypes (the 8-bit and sub-byte floats, extended precision, complex) have no values
 * here: a diff counts their changed elements by their bits only.
 */
final class ElementValues {
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private ElementValues() {
    }

    /** Whether {@link #value} reads elements of {@code t}. */
    static boolean numeric(DType t) {
        return switch (t) {
            case BOOL, U8, U16, U32, U64, I8, I16, I32, I64, F16, BF16, F32, F64 -> true;
            default -> false;
        };
    }

    /** The bits of the element of {@code w} (1, 2, 4 or 8) bytes at {@code b[off...]}. */
    static long bits(byte[] b, int off, int w) {
        return switch (w) {
            case 1 -> b[off];
            case 2 -> (short) SHORT.get(b, off);
            case 4 -> (int) INT.get(b, off);
            case 8 -> (long) LONG.get(b, off);
            default -> throw new IllegalArgumentException("elements of " + w + " bytes");
        };
    }

    /** The element of dtype {@code t} at {@code b[off...]}; {@code t} must be {@link #numeric}. */
    static double value(DType t, byte[] b, int off) {
        return switch (t) {
            case BOOL -> b[off] != 0 ? 1 : 0;
            case U8 -> b[off] & 0xFF;
            case I8 -> b[off];
            case U16 -> (short) SHORT.get(b, off) & 0xFFFF;
            case I16 -> (short) SHORT.get(b, off);
            case U32 -> (int) INT.get(b, off) & 0xFFFFFFFFL;
            case I32 -> (int) INT.get(b, off);
            case U64 -> {
                long v = (long) LONG.get(b, off);
                // at 2^63 and above: halved with the lost bit kept as a sticky bit, so that one rounding gives the nearest double
                yield v >= 0 ? v : (double) (v >>> 1 | v & 1) * 2;
            }
            case I64 -> (long) LONG.get(b, off);
            case F16 -> HalfFloat.f16((short) SHORT.get(b, off));
            case BF16 -> HalfFloat.bf16((short) SHORT.get(b, off));
            case F32 -> Float.intBitsToFloat((int) INT.get(b, off));
            case F64 -> Double.longBitsToDouble((long) LONG.get(b, off));
            default -> throw new IllegalArgumentException("no values for dtype " + t);
        };
    }
}
