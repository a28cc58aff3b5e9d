package dev.coral.tensor;

import java.util.Locale;
import java.util.Optional;

/**
 * Element types Coral carries: every dtype of the safetensors spec plus the numeric dtypes of
 * numpy. Chunks always hold little-endian bytes; {@link #swapUnitBytes()} is the unit a
 * big-endian file's bytes are swapped in (a complex number swaps each of its two parts).
 *
 * <p>Sub-byte types ({@link #F4}, {@link #F6_E2M3}, {@link #F6_E3M2}) pack elements without
 * byte alignment; a run of them can only be cut where element and byte boundaries meet, every
 * {@link #alignmentBytes()} bytes.
 */
public enum DType {
    BOOL("BOOL", "b1", 8, 1),
    U8("U8", "u1", 8, 1),
    U16("U16", "u2", 16, 2),
    U32("U32", "u4", 32, 4),
    U64("U64", "u8", 64, 8),
    I8("I8", "i1", 8, 1),
    I16("I16", "i2", 16, 2),
    I32("I32", "i4", 32, 4),
    I64("I64", "i8", 64, 8),
    F16("F16", "f2", 16, 2),
    BF16("BF16", null, 16, 2),
    F32("F32", "f4", 32, 4),
    F64("F64", "f8", 64, 8),
    /** numpy's {@code longdouble} as stored on x86-64: 80-bit extended in 16 bytes. */
    F128(null, "f16", 128, 16),
    C64("C64", "c8", 64, 4),
    C128(null, "c16", 128, 8),
    C256(null, "c32", 256, 16),
    F8_E4M3("F8_E4M3", null, 8, 1),
    F8_E5M2("F8_E5M2", null, 8, 1),
    F8_E8M0("F8_E8M0", null, 8, 1),
    F8_E4M3FNUZ("F8_E4M3FNUZ", null, 8, 1),
    F8_E5M2FNUZ("F8_E5M2FNUZ", null, 8, 1),
    F4("F4", null, 4, 1),
    F6_E2M3("F6_E2M3", null, 6, 1),
    F6_E3M2("F6_E3M2", null, 6, 1);

    private final String safetensorsName;
    private final String numpyCode;
    private final int bits;
    private final int swapUnitBytes;

    DType(String safetensorsName, String numpyCode, int bits, int swapUnitBytes) {
        this.safetensorsName = safetensorsName;
        this.numpyCode = numpyCode;
        this.bits = bits;
        this.swapUnitBytes = swapUnitBytes;
    }

    /** Bits one element takes; 4 and 6 for the sub-byte float types. */
    public int bits() {
        return bits;
    }

    /** True when elements are whole bytes. */
    public boolean isByteAligned() {
        return bits % 8 == 0;
    }

    /** Bytes of one element; only for byte-aligned types. */
    public int elementBytes() {
        if (!isByteAligned()) {
            throw new IllegalStateException(this + " elements are not whole bytes");
        }
        return bits / 8;
    }

    /** The smallest run of bytes that starts and ends on element boundaries. */
    public int alignmentBytes() {
        int b = bits;
        int lcm = b * 8 / gcd(b, 8);
        return lcm / 8;
    }

    /** Size of the unit reversed when converting between byte orders (1 = order-free). */
    public int swapUnitBytes() {
        return swapUnitBytes;
    }

    /** The safetensors name, if the safetensors spec has this type. */
    public Optional<String> safetensorsName() {
        return Optional.ofNullable(safetensorsName);
    }

    /** numpy's kind+size code ({@code f4}, {@code u1}, {@code b1}, ...), if numpy has this type. */
    public Optional<String> numpyCode() {
        return Optional.ofNullable(numpyCode);
    }

    /**
     * Bytes taken by {@code elements} elements.
     *
     * @throws ArithmeticException if the size does not fit a {@code long}
     * @throws IllegalArgumentException if sub-byte elements do not end on a byte boundary
     */
    public long byteSize(long elements) {
        long totalBits = Math.multiplyExact(elements, (long) bits);
        if (totalBits % 8 != 0) {
            throw new IllegalArgumentException(
                    elements + " elements of " + this + " do not fill whole bytes");
        }
        return totalBits / 8;
    }

    /** The type named {@code name} in a safetensors header. */
    public static Optional<DType> fromSafetensors(String name) {
        for (DType t : values()) {
            if (name.equals(t.safetensorsName)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** The type of a numpy code such as {@code f4} or {@code b1} (no byte-order character). */
    public static Optional<DType> fromNumpyCode(String code) {
        for (DType t : values()) {
            if (code.equals(t.numpyCode)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** Parses the stable name used in Coral's own objects (the enum constant's name). */
    public static DType fromCoralName(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
