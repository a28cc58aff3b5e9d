package dev.coral.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The mantissa-bit layout of planes 0 and 1 of BF16 and fp32 elements
 * ({@link ChunkFormat#FLAG_MANTISSA_BIT}) and back. Split as they are, byte i of the two planes
 * holds {@code [s e7 e6 e5 e4 e3 e2 e1]} and {@code [e0 m6 m5 m4 m3 m2 m1 m0]} (s the sign, e the
 * 8-bit exponent, m the top seven mantissa bits); in the layout
 * <pre>
 * plane 0: [m6 e6 e5 e4 e3 e2 e1 e0]   the exponent's low seven bits and the top mantissa bit
 * plane 1: [e7 s  m5 m4 m3 m2 m1 m0]   the exponent's top bit, the sign, six mantissa bits
 * </pre>
 * Why: every element under 2 in magnitude (zero, subnormals, trained weights) has e7 = 0, so the
 * exponent's information lies in its low seven bits, and plane 0 has room for one more bit: the
 * top mantissa bit, which is not random given the exponent (within one binade a bell-shaped
 * distribution thins out, more so in its tails). Plane 0 is Huffman-coded; plane 1, every byte
 * below 128, is packed to seven bits ({@link Packed7}). Measured on 4 MiB chunks of N(0, 0.05)
 * weights: 10.574 → 10.537 bits per BF16 element against the exponent layout, 0.36%; fp32 0.14%.
 *
 * <p>Eight elements per step (one long per plane), shifts and masks within each byte.
 */
final class MantissaBitLayout {
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long B7 = 0x8080808080808080L;
    private static final long B6 = 0x4040404040404040L;
    private static final long B0 = 0x0101010101010101L;
    private static final long LOW6 = 0x3F3F3F3F3F3F3F3FL;
    private static final long B6_TO_1 = 0x7E7E7E7E7E7E7E7EL;

    /**
     * The margin of exponents around a sample's for which plane 0's code keeps codes the sample
     * lacks ({@link HuffmanCoder#encodeWithCounts(byte[], int, int, int[], int, int, int, byte[], int, State)}):
     * 16, as the other layouts' 8 in units of two exponents. With 8, one 4 MiB BF16 chunk of
     * N(0, 0.05) weights held an exponent 8 below its 32 K-element sample's lowest (values near 0
     * thin out by half per exponent) and was coded again from its exact histogram: 2.4x the time.
     */
    static final int SAMPLE_MARGIN = 16;

    private MantissaBitLayout() {
    }

    /**
     * Planes 0 and 1 as split ({@code s0[o0...]}, {@code s1[o1...]}, n bytes each) into the layout
     * at {@code d[d0...]} and {@code d[d1...]} (may be the input: each step reads both words
     * before writing). Returns true when every byte of the layout's plane 1 is below 128, that
     * is when no element has the exponent's top bit set; when false the output is still the
     * layout, and {@link #toElements} turns it back.
     */
    static boolean fromElements(byte[] s0, int o0, byte[] s1, int o1, byte[] d, int d0, int d1, int n) {
        long top = 0;
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            long p0 = (long) LONG.get(s0, o0 + i);
            long p1 = (long) LONG.get(s1, o1 + i);
            long b1 = (p0 << 1 & B7) | (p0 >>> 1 & B6) | (p1 & LOW6);
            LONG.set(d, d0 + i, (p1 << 1 & B7) | (p0 << 1 & B6_TO_1) | (p1 >>> 7 & B0));
            LONG.set(d, d1 + i, b1);
            top |= b1;
        }
        for (; i < n; i++) {
            int p0 = s0[o0 + i] & 0xFF;
            int p1 = s1[o1 + i] & 0xFF;
            int b1 = (p0 << 1 & 0x80) | (p0 >>> 1 & 0x40) | (p1 & 0x3F);
            d[d0 + i] = (byte) ((p1 << 1 & 0x80) | (p0 << 1 & 0x7E) | (p1 >>> 7));
            d[d1 + i] = (byte) b1;
            top |= b1;
        }
        return (top & B7) == 0;
    }

    /** The inverse of {@link #fromElements}, in and out the same way. */
    static void toElements(byte[] s0, int o0, byte[] s1, int o1, byte[] d, int d0, int d1, int n) {
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            long b0 = (long) LONG.get(s0, o0 + i);
            long b1 = (long) LONG.get(s1, o1 + i);
            LONG.set(d, d0 + i, (b1 << 1 & B7) | (b1 >>> 1 & B6) | (b0 >>> 1 & LOW6));
            LONG.set(d, d1 + i, (b0 << 7 & B7) | (b0 >>> 1 & B6) | (b1 & LOW6));
        }
        for (; i < n; i++) {
            int b0 = s0[o0 + i] & 0xFF;
            int b1 = s1[o1 + i] & 0xFF;
            d[d0 + i] = (byte) ((b1 << 1 & 0x80) | (b1 >>> 1 & 0x40) | (b0 >>> 1 & 0x3F));
            d[d1 + i] = (byte) ((b0 << 7 & 0x80) | (b0 >>> 1 & 0x40) | (b1 & 0x3F));
        }
    }
}
