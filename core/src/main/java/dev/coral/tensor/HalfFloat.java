package dev.coral.tensor;

/** IEEE 754 binary16 (F16) and bfloat16 (BF16) bit patterns as floats (Float.float16ToFloat arrived only in Java 20). */
public final class HalfFloat {
    private HalfFloat() {
    }

    /** The F16 pattern {@code h} (low 16 bits) as a float: exact, subnormals, infinities and NaN included. */
    public static float f16(int h) {
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

    /** The BF16 pattern {@code h} (low 16 bits) as a float: the float whose top 16 bits it is. */
    public static float bf16(int h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }
}
