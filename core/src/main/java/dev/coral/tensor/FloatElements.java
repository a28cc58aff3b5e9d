package dev.coral.tensor;

/**
 * Element values of the float dtypes as doubles and back, rounding to nearest (ties to even):
 * F64, F32, F16 (IEEE half) and BF16. Written out because Java 17 has no half-precision
 * conversions ({@code Float.float16ToFloat} came in Java 20).
 */
public final class FloatElements {
    private FloatElements() {
    }

    /** Whether {@code t} is one of the dtypes this class converts. */
    public static boolean handles(DType t) {
        return t == DType.F64 || t == DType.F32 || t == DType.F16 || t == DType.BF16;
    }

    /** The value of IEEE half-precision bits {@code h} (low 16 bits). */
    public static float halfToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) { // inf or NaN: the payload kept in the top mantissa bits
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f; // subnormal (or zero): exact
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** The value of bfloat16 bits {@code b} (low 16 bits). */
    public static float bf16ToFloat(int b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /**
     * The half-precision bits nearest {@code d} (ties to even), rounded once from the double (a
     * cast to float first could round twice); NaN stays NaN (quiet), overflow gives infinity.
     */
    public static int doubleToHalf(double d) {
        long bits = Double.doubleToRawLongBits(d);
        int sign = (int) (bits >>> 48) & 0x8000;
        long abs = bits & 0x7FFFFFFFFFFFFFFFL;
        if (abs >= 0x7FF0000000000000L) {
            return abs == 0x7FF0000000000000L ? sign | 0x7C00 : sign | 0x7E00 | (int) ((abs >>> 42) & 0x3FF);
        }
        double a = Double.longBitsToDouble(abs);
        if (a >= 65520) {
            return sign | 0x7C00;
        }
        if (a < 0x1p-14) {
            return sign | (int) Math.rint(a * 0x1p24); // subnormal: units of 2^-24, exact scaling
        }
        long rounded = abs + ((1L << 41) - 1) + ((abs >>> 42) & 1); // ties to even at bit 42
        return sign | (int) ((rounded >>> 42) - (1008L << 10));
    }

    /** The bfloat16 bits nearest {@code d} (ties to even), rounded once from the double; NaN stays NaN (quiet). */
    public static int doubleToBf16(double d) {
        long bits = Double.doubleToRawLongBits(d);
        int sign = (int) (bits >>> 48) & 0x8000;
        long abs = bits & 0x7FFFFFFFFFFFFFFFL;
        if (abs >= 0x7FF0000000000000L) {
            return abs == 0x7FF0000000000000L ? sign | 0x7F80 : sign | 0x7FC0 | (int) ((abs >>> 45) & 0x7F);
        }
        double a = Double.longBitsToDouble(abs);
        if (a < 0x1p-126) {
            return sign | (int) Math.rint(a * 0x1p133); // subnormal: units of 2^-133
        }
        long rounded = abs + ((1L << 44) - 1) + ((abs >>> 45) & 1); // ties to even at bit 45
        long b = (rounded >>> 45) - (896L << 7);
        return sign | (int) Math.min(b, 0x7F80); // past the largest finite: infinity
    }
}
