package dev.coral.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The hot loops: split little-endian elements into byte planes (plane 0 = most significant byte
 * of every element, plane w-1 = least significant) and merge them back, optionally combined with
 * a base chunk by XOR or by integer subtraction modulo 2^(8w) (undone by addition). One loop per
 * (width, operation): no per-element virtual call or branch on the operation. Never float
 * arithmetic.
 *
 * <p>The word-at-a-time loops run {@code for (int limit = n - 7; i < limit; i += 8)}, never
 * {@code for (; i + 8 <= n; i += 8)}: the JIT (C2) takes only the first for a counted loop, which
 * it unrolls and strips of the range checks of every {@code VarHandle} access; the second kept a
 * range check per access and a safepoint poll per word (seen in the compiled code). Measured,
 * JMH {@code PlaneTransformBenchmark} (4 MiB, two runs each, MB/s): merge width 2 3,009 / 3,212
 * -> 5,433 / 4,784, width 4 3,494 / 3,201 -> 4,311 / 3,981; split width 2 XOR 2,613 / 2,355 ->
 * 4,223 / 3,797; {@link #xorInto} 5.0 -> 13.6 GB/s; under C1 alone (checkout) unchanged.
 */
final class PlaneTransform {
    static final int NONE = 0;
    static final int XOR = 1;
    /** Split subtracts the base; merge adds it back. */
    static final int SUB = 2;
    /**
     * Split subtracts the base and zigzags the difference ({@code (d << 1) ^ (d >> bits-1)}: the
     * sign to the lowest bit, so that a small step either way leaves the high bytes zero); merge
     * undoes the zigzag and adds the base back.
     */
    static final int ZIGZAG = 3;

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private PlaneTransform() {
    }

    /**
     * Splits {@code n} elements of {@code w} bytes at {@code src[off...]} (combined with
     * {@code base[baseOff...]} by {@code op}) into {@code w} planes of {@code n} bytes,
     * plane {@code k} at {@code dst[dstOff + k*n]}.
     */
    static void split(byte[] src, int off, byte[] base, int baseOff, int n, int w, int op, byte[] dst, int dstOff) {
        switch (w) {
            case 1 -> split1(src, off, base, baseOff, n, op, dst, dstOff);
            case 2 -> split2(src, off, base, baseOff, n, op, dst, dstOff, 0);
            case 4 -> split4(src, off, base, baseOff, n, op, dst, dstOff, 0);
            case 8 -> split8(src, off, base, baseOff, n, op, dst, dstOff, 0);
            case 16 -> split16(src, off, base, baseOff, n, op, dst, dstOff);
            default -> throw new IllegalArgumentException("element width " + w);
        }
    }

    /**
     * As {@link #split} without a base, planes 0 and 1 in the exponent layout
     * ({@link #tradeTopBits}), traded in the split's own registers rather than by a pass of its
     * own over the two planes after the split.
     */
    static void splitExponentBytes(byte[] src, int off, int n, int w, byte[] dst, int dstOff) {
        splitTraded(src, off, n, w, TOP_BIT, dst, dstOff);
    }

    /**
     * As {@link #split} without a base, the bits of planes 0 and 1 under {@code mask} (the same
     * in every byte: {@link #TOP_BIT}, the exponent layout; {@link #TOP_TWO_BITS}, the
     * mantissa-bit layout) traded ({@link #tradeBits}) in the split's own registers.
     */
    static void splitTraded(byte[] src, int off, int n, int w, long mask, byte[] dst, int dstOff) {
        switch (w) {
            case 2 -> split2(src, off, null, 0, n, NONE, dst, dstOff, mask);
            case 4 -> split4(src, off, null, 0, n, NONE, dst, dstOff, mask);
            case 8 -> split8(src, off, null, 0, n, NONE, dst, dstOff, mask);
            default -> throw new IllegalArgumentException("element width " + w + " has no traded layout");
        }
    }

    /** The trade mask of the exponent layout: the top bit of every byte. */
    static final long TOP_BIT = 0x8080808080808080L;
    /** The trade mask of the mantissa-bit layout: the top two bits of every byte. */
    static final long TOP_TWO_BITS = 0xC0C0C0C0C0C0C0C0L;

    /**
     * Merges {@code w} planes of {@code n} bytes (plane {@code k} at {@code planes[k][offs[k]...]})
     * into {@code n} little-endian elements at {@code dst[dstOff...]}, combined with the base by
     * {@code op} (XOR, or addition for {@link #SUB}).
     */
    static void merge(byte[][] planes, int[] offs, byte[] base, int baseOff, int n, int w, int op, byte[] dst, int dstOff) {
        switch (w) {
            case 1 -> merge1(planes[0], offs[0], base, baseOff, n, op, dst, dstOff);
            case 2 -> merge2(planes, offs, base, baseOff, n, op, dst, dstOff);
            case 4 -> merge4(planes, offs, base, baseOff, n, op, dst, dstOff);
            case 8 -> merge8(planes, offs, base, baseOff, n, op, dst, dstOff);
            case 16 -> merge16(planes, offs, base, baseOff, n, op, dst, dstOff);
            default -> throw new IllegalArgumentException("element width " + w);
        }
    }

    /**
     * As {@link #merge} without a base, planes 0 and 1 in the exponent layout
     * ({@link #tradeTopBits}): for 2- and 4-byte elements traded back in the merge's own
     * registers, for 8-byte elements by a pass into {@code scratch[0, 2n)} first. Measured on BF16
     * keyframes, a pass before the plain merge and the trade in the merge's registers cost about
     * the same, 6-8% of the decoding; the second spares the scratch space.
     */
    static void mergeExponentBytes(byte[][] planes, int[] offs, int n, int w, byte[] scratch, byte[] dst, int dstOff) {
        mergeTraded(planes, offs, n, w, TOP_BIT, scratch, dst, dstOff);
    }

    /**
     * As {@link #mergeExponentBytes}, the bits under {@code mask} traded back ({@link #splitTraded});
     * 8-byte elements take {@link #TOP_BIT} only.
     */
    static void mergeTraded(byte[][] planes, int[] offs, int n, int w, long mask, byte[] scratch, byte[] dst, int dstOff) {
        switch (w) {
            case 2 -> interleave2Turned(planes[0], offs[0], planes[1], offs[1], n, mask, dst, dstOff);
            case 4 -> interleave4Turned(planes[0], offs[0], planes[1], offs[1], planes[2], offs[2], planes[3], offs[3], n, mask,
                    dst, dstOff);
            case 8 -> {
                if (mask != TOP_BIT) {
                    throw new IllegalArgumentException("8-byte elements trade their top bits only");
                }
                tradeTopBits(planes[0], offs[0], planes[1], offs[1], scratch, 0, n, n);
                byte[][] turned = planes.clone();
                int[] at = offs.clone();
                turned[0] = scratch;
                turned[1] = scratch;
                at[0] = 0;
                at[1] = n;
                merge8(turned, at, null, 0, n, NONE, dst, dstOff);
            }
            default -> throw new IllegalArgumentException("element width " + w + " has no traded layout");
        }
    }

    /** The byte value every one of {@code a[off, off+n)} holds, or -1 if they differ (or n == 0). */
    static int constantValue(byte[] a, int off, int n) {
        if (n == 0) {
            return -1;
        }
        byte b = a[off];
        long pattern = (b & 0xFFL) * 0x0101010101010101L;
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            if ((long) LONG.get(a, off + i) != pattern) {
                return -1;
            }
        }
        for (; i < n; i++) {
            if (a[off + i] != b) {
                return -1;
            }
        }
        return b & 0xFF;
    }

    /**
     * {@code d[o, o+n) ^= s[so, so+n)} (ranges that do not overlap): 32 bytes per step, the four
     * words of d read before any is written. Measured, 1 MiB: 3.7-5.5 -> 6.9-7.7 GB/s, with C1
     * alone 3.4-3.7 -> 3.2-4.5 (one word per step: each read of s waits for the write to d before
     * it, which may be the same array); 4 MiB as a counted loop (see the class comment): 4.5-5.5
     * -> 13.0-14.2 GB/s.
     */
    static void xorInto(byte[] s, int so, byte[] d, int o, int n) {
        int i = 0;
        for (int limit = n - 31; i < limit; i += 32) {
            int j = o + i;
            int k = so + i;
            long d0 = (long) LONG.get(d, j);
            long d1 = (long) LONG.get(d, j + 8);
            long d2 = (long) LONG.get(d, j + 16);
            long d3 = (long) LONG.get(d, j + 24);
            LONG.set(d, j, d0 ^ (long) LONG.get(s, k));
            LONG.set(d, j + 8, d1 ^ (long) LONG.get(s, k + 8));
            LONG.set(d, j + 16, d2 ^ (long) LONG.get(s, k + 16));
            LONG.set(d, j + 24, d3 ^ (long) LONG.get(s, k + 24));
        }
        for (int limit = n - 7; i < limit; i += 8) {
            LONG.set(d, o + i, (long) LONG.get(d, o + i) ^ (long) LONG.get(s, so + i));
        }
        for (; i < n; i++) {
            d[o + i] ^= s[so + i];
        }
    }

    /**
     * The exponent layout of planes 0 and 1 (n bytes each) and back: the top bits of byte i of
     * plane 0 and of plane 1 trade places. For BF16 and fp32 elements plane 0 then holds the
     * whole 8-bit exponent (its last bit on top, the other seven below) and plane 1 the sign and
     * seven mantissa bits. Its own inverse. Reads {@code s0[o0...]} and {@code s1[o1...]} (a
     * payload's raw plane may be read where it lies) and writes {@code d[d0...]} and
     * {@code d[d1...]}; the output may be the input (same offsets): each step reads both words
     * before writing either. Eight elements per step (one long per plane).
     */
    static void tradeTopBits(byte[] s0, int o0, byte[] s1, int o1, byte[] d, int d0, int d1, int n) {
        tradeBits(s0, o0, s1, o1, d, d0, d1, n, TOP_BIT);
    }

    /** As {@link #tradeTopBits}, the bits under {@code mask} (the same in every byte) traded. */
    static void tradeBits(byte[] s0, int o0, byte[] s1, int o1, byte[] d, int d0, int d1, int n, long mask) {
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            long h = (long) LONG.get(s0, o0 + i);
            long l = (long) LONG.get(s1, o1 + i);
            long t = (h ^ l) & mask;
            LONG.set(d, d0 + i, h ^ t);
            LONG.set(d, d1 + i, l ^ t);
        }
        int m = (int) mask & 0xFF;
        for (; i < n; i++) {
            int h = s0[o0 + i];
            int l = s1[o1 + i];
            int t = (h ^ l) & m;
            d[d0 + i] = (byte) (h ^ t);
            d[d1 + i] = (byte) (l ^ t);
        }
    }

    /** {@code d[o, o+n) ^= c} for every byte. */
    static void xorConstant(byte c, byte[] d, int o, int n) {
        long pattern = (c & 0xFFL) * 0x0101010101010101L;
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            LONG.set(d, o + i, (long) LONG.get(d, o + i) ^ pattern);
        }
        for (; i < n; i++) {
            d[o + i] ^= c;
        }
    }

    // ---------------------------------------------------------------- split

    private static void split1(byte[] s, int off, byte[] b, int bo, int n, int op, byte[] d, int o) {
        switch (op) {
            case NONE -> System.arraycopy(s, off, d, o, n);
            case XOR -> {
                int i = 0;
                for (int limit = n - 7; i < limit; i += 8) {
                    LONG.set(d, o + i, (long) LONG.get(s, off + i) ^ (long) LONG.get(b, bo + i));
                }
                for (; i < n; i++) {
                    d[o + i] = (byte) (s[off + i] ^ b[bo + i]);
                }
            }
            case ZIGZAG -> {
                for (int i = 0; i < n; i++) {
                    int v = (byte) (s[off + i] - b[bo + i]);
                    d[o + i] = (byte) (v << 1 ^ v >> 7);
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    d[o + i] = (byte) (s[off + i] - b[bo + i]);
                }
            }
        }
    }

    /**
     * Eight 2-byte elements per step, as two longs transposed into one long per plane by the
     * swaps of {@link #merge2}, in reverse. Measured, 1 M elements XOR'ed with a base, four
     * runs in turn: 0.65-1.37 GB/s four at a time (each plane's bytes gathered into an int by
     * shifts and masks), 2.0-2.6 GB/s eight at a time by swaps.
     */
    private static void split2(byte[] s, int off, byte[] b, int bo, int n, int op, byte[] d, int o, long traded) {
        int p0 = o;
        int p1 = o + n;
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            int k = off + 2 * i;
            int m = bo + 2 * i;
            planes2(less16((long) LONG.get(s, k), b, m, op), less16((long) LONG.get(s, k + 8), b, m + 8, op), d, p0 + i, p1 + i, traded);
        }
        int tail = i;
        for (; i < n; i++) {
            int v = (short) SHORT.get(s, off + 2 * i);
            if (op == XOR) {
                v ^= (short) SHORT.get(b, bo + 2 * i);
            } else if (op == SUB) {
                v -= (short) SHORT.get(b, bo + 2 * i);
            } else if (op == ZIGZAG) {
                int diff = (short) (v - (short) SHORT.get(b, bo + 2 * i));
                v = diff << 1 ^ diff >> 15;
            }
            d[p0 + i] = (byte) (v >>> 8);
            d[p1 + i] = (byte) v;
        }
        if (traded != 0) {
            tradeBits(d, p0 + tail, d, p1 + tail, d, p0 + tail, p1 + tail, n - tail, traded);
        }
    }

    /**
     * Elements 0-3 ({@code e0}) and 4-7 ({@code e1}) of 2 bytes as 8 bytes of each plane: the
     * high bytes to {@code d[p0...]}, the low bytes to {@code d[p1...]}; {@code traded}: 0, or the
     * mask of the bits planes 0 and 1 trade ({@link #tradeBits}: {@link #TOP_BIT},
     * {@link #TOP_TWO_BITS}), the same for every step of a split's loop.
     */
    private static void planes2(long e0, long e1, byte[] d, int p0, int p1, long traded) {
        long r0 = e0 & LOW_32 | e1 << 32; // elements 0, 1, 4, 5
        long r1 = e0 >>> 32 | e1 & HIGH_32; // 2, 3, 6, 7
        long t = (r0 >>> 16 ^ r1) & LOW_16_OF_32;
        r1 ^= t;
        r0 ^= t << 16; // 0, 2, 4, 6 and 1, 3, 5, 7
        t = (r0 >>> 8 ^ r1) & EVEN_BYTES;
        long lo = r0 ^ t << 8;
        long hi = r1 ^ t;
        if (traded != 0) {
            long x = (hi ^ lo) & traded;
            lo ^= x;
            hi ^= x;
        }
        LONG.set(d, p1, lo);
        LONG.set(d, p0, hi);
    }

    private static final long EVEN_BYTES = 0x00FF00FF00FF00FFL;
    private static final long LOW_16_OF_32 = 0x0000FFFF0000FFFFL;
    private static final long LOW_32 = 0x00000000FFFFFFFFL;
    private static final long HIGH_32 = 0xFFFFFFFF00000000L;
    private static final long HIGH_BITS_16 = 0x8000800080008000L;
    private static final long HIGH_BITS_32 = 0x8000000080000000L;

    /** a - b in each of four 16-bit lanes, modulo 2^16 (no borrow crosses a lane). */
    static long sub16(long a, long b) {
        return ((a | HIGH_BITS_16) - (b & ~HIGH_BITS_16)) ^ ((a ^ ~b) & HIGH_BITS_16);
    }

    /** a - b in each of two 32-bit lanes, modulo 2^32. */
    static long sub32(long a, long b) {
        return ((a | HIGH_BITS_32) - (b & ~HIGH_BITS_32)) ^ ((a ^ ~b) & HIGH_BITS_32);
    }

    private static final long LOW_BITS_16 = 0x0001000100010001L;
    private static final long LOW_BITS_32 = 0x0000000100000001L;

    /** The zigzag of each of four 16-bit lanes: (d << 1) ^ (d >> 15), no bit crossing a lane. */
    static long zigzag16(long d) {
        return (d << 1 & ~LOW_BITS_16) ^ (d >>> 15 & LOW_BITS_16) * 0xFFFFL;
    }

    /**
     * Adds zigzag-coded differences to elements, both held as planes ({@code planes}: plane k
     * at {@code [k*n, (k+1)*n)} holding byte w-1-k of each of n elements of w bytes, w at most
     * 8): each element becomes itself plus {@code (z >>> 1) ^ -(z & 1)} modulo 2^(8w), z the
     * element of {@code z} (planes laid out alike). What merging both into elements, adding
     * and splitting again gives, without leaving plane space: a chain read of zigzag deltas
     * ({@link ChunkDecoder#decodeInPlaneSpace}) merges once at its end instead of at every link.
     */
    static void addZigzagPlanes(byte[] z, byte[] planes, int n, int w) {
        if (w < 1 || w > 8) {
            throw new IllegalArgumentException("zigzag planes of width " + w);
        }
        int i = w == 2 ? addZigzag2(z, planes, n) : 0;
        for (; i < n; i++) {
            long v = 0;
            long d = 0;
            for (int k = 0; k < w; k++) {
                v = v << 8 | planes[k * n + i] & 0xFF;
                d = d << 8 | z[k * n + i] & 0xFF;
            }
            long r = v + ((d >>> 1) ^ -(d & 1));
            for (int k = 0; k < w; k++) {
                planes[k * n + i] = (byte) (r >>> 8 * (w - 1 - k));
            }
        }
    }

    private static final long LOW_BIT_OF_BYTES = 0x0101010101010101L;
    private static final long LOW_7_OF_BYTES = 0x7F7F7F7F7F7F7F7FL;
    private static final long TOP_BIT_OF_BYTES = 0x8080808080808080L;

    /**
     * {@link #addZigzagPlanes} for 2-byte elements, eight at a time in byte lanes: the
     * difference's low and high bytes unzigzagged from the two zigzag planes, the low bytes
     * added with each lane's carry kept, the high bytes added with it. Returns the elements done.
     */
    private static int addZigzag2(byte[] z, byte[] planes, int n) {
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            long zh = (long) LONG.get(z, i);
            long zl = (long) LONG.get(z, n + i);
            long hi = (long) LONG.get(planes, i);
            long lo = (long) LONG.get(planes, n + i);
            long sign = (zl & LOW_BIT_OF_BYTES) * 0xFF; // 0xFF in each lane whose difference is negative
            long dl = ((zl >>> 1 & LOW_7_OF_BYTES) | (zh & LOW_BIT_OF_BYTES) << 7) ^ sign;
            long dh = (zh >>> 1 & LOW_7_OF_BYTES) ^ sign;
            long xl = lo ^ dl;
            long tl = (lo & LOW_7_OF_BYTES) + (dl & LOW_7_OF_BYTES); // bit 7 of each lane: the carry into it
            long carry = ((lo & dl) | (xl & tl)) >>> 7 & LOW_BIT_OF_BYTES; // out of each lane's top bit
            // the high bytes' low 7 bits plus the carry stay under 256: one add per lane
            long sh = ((hi & LOW_7_OF_BYTES) + (dh & LOW_7_OF_BYTES) + carry) ^ ((hi ^ dh) & TOP_BIT_OF_BYTES);
            LONG.set(planes, i, sh);
            LONG.set(planes, n + i, tl ^ (xl & TOP_BIT_OF_BYTES));
        }
        return i;
    }

    /** {@link #zigzag16} undone. */
    static long unzigzag16(long z) {
        return (z >>> 1 & ~HIGH_BITS_16) ^ (z & LOW_BITS_16) * 0xFFFFL;
    }

    /** The zigzag of each of two 32-bit lanes. */
    static long zigzag32(long d) {
        return (d << 1 & ~LOW_BITS_32) ^ (d >>> 31 & LOW_BITS_32) * 0xFFFFFFFFL;
    }

    /** {@link #zigzag32} undone. */
    static long unzigzag32(long z) {
        return (z >>> 1 & ~HIGH_BITS_32) ^ (z & LOW_BITS_32) * 0xFFFFFFFFL;
    }

    static long zigzag64(long d) {
        return d << 1 ^ d >> 63;
    }

    static long unzigzag64(long z) {
        return z >>> 1 ^ -(z & 1);
    }

    /**
     * Eight 4-byte elements per step: four longs transposed into one long per plane by the
     * swaps of {@link #merge4}, in reverse.
     */
    private static void split4(byte[] s, int off, byte[] b, int bo, int n, int op, byte[] d, int o, long traded) {
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            int k = off + 4 * i;
            int m = bo + 4 * i;
            planes4(less32((long) LONG.get(s, k), b, m, op), less32((long) LONG.get(s, k + 8), b, m + 8, op),
                    less32((long) LONG.get(s, k + 16), b, m + 16, op), less32((long) LONG.get(s, k + 24), b, m + 24, op),
                    d, o + i, n, traded);
        }
        int tail = i;
        for (; i < n; i++) {
            int v = (int) INT.get(s, off + 4 * i);
            if (op == XOR) {
                v ^= (int) INT.get(b, bo + 4 * i);
            } else if (op == SUB) {
                v -= (int) INT.get(b, bo + 4 * i);
            } else if (op == ZIGZAG) {
                int diff = v - (int) INT.get(b, bo + 4 * i);
                v = diff << 1 ^ diff >> 31;
            }
            d[o + i] = (byte) (v >>> 24);
            d[o + n + i] = (byte) (v >>> 16);
            d[o + 2 * n + i] = (byte) (v >>> 8);
            d[o + 3 * n + i] = (byte) v;
        }
        if (traded != 0) {
            tradeBits(d, o + tail, d, o + n + tail, d, o + tail, o + n + tail, n - tail, traded);
        }
    }

    /**
     * As {@link #split} with {@link #XOR} for elements of {@code w} = 2 or 4 bytes, and in the
     * same pass each element's context-coding key of plane 1 ({@link ContextCounts}):
     * {@code groupOf[the base element's exponent] << 8 | plane 1's byte} into {@code keys[0, n)}.
     * Spares the counts a pass of their own over the chunk and its base.
     */
    static void splitXorWithKeys(byte[] s, int off, byte[] b, int bo, int n, int w, byte[] d, int o, byte[] groupOf, char[] keys) {
        if (w == 4) {
            splitXor4WithKeys(s, off, b, bo, n, d, o, groupOf, keys);
        } else if (w == 2) {
            splitXor2WithKeys(s, off, b, bo, n, d, o, groupOf, keys);
        } else {
            throw new IllegalArgumentException("keys are made for elements of 2 or 4 bytes, not " + w);
        }
    }

    /** {@link #splitXorWithKeys} for BF16 / F16: the context is bits 7-14 of the base, the symbol the low byte. */
    private static void splitXor2WithKeys(byte[] s, int off, byte[] b, int bo, int n, byte[] d, int o, byte[] groupOf, char[] keys) {
        int p0 = o;
        int p1 = o + n;
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            int k = off + 2 * i;
            int m = bo + 2 * i;
            long b0 = (long) LONG.get(b, m);
            long b1 = (long) LONG.get(b, m + 8);
            long x0 = (long) LONG.get(s, k) ^ b0;
            long x1 = (long) LONG.get(s, k + 8) ^ b1;
            for (int j = 0; j < 4; j++) {
                keys[i + j] = (char) (groupOf[(int) (b0 >>> (16 * j + 7)) & 0xFF] << 8 | (int) (x0 >>> 16 * j) & 0xFF);
                keys[i + 4 + j] = (char) (groupOf[(int) (b1 >>> (16 * j + 7)) & 0xFF] << 8 | (int) (x1 >>> 16 * j) & 0xFF);
            }
            planes2(x0, x1, d, p0 + i, p1 + i, 0);
        }
        for (; i < n; i++) {
            int bv = (short) SHORT.get(b, bo + 2 * i);
            int v = (short) SHORT.get(s, off + 2 * i) ^ bv;
            keys[i] = (char) (groupOf[bv >>> 7 & 0xFF] << 8 | v & 0xFF);
            d[p0 + i] = (byte) (v >>> 8);
            d[p1 + i] = (byte) v;
        }
    }

    /** {@link #splitXorWithKeys} for fp32: the context is bits 23-30 of the base, the symbol bits 16-23 of the delta. */
    private static void splitXor4WithKeys(byte[] s, int off, byte[] b, int bo, int n, byte[] d, int o, byte[] groupOf, char[] keys) {
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            int k = off + 4 * i;
            int m = bo + 4 * i;
            long b01 = (long) LONG.get(b, m);
            long b23 = (long) LONG.get(b, m + 8);
            long b45 = (long) LONG.get(b, m + 16);
            long b67 = (long) LONG.get(b, m + 24);
            long x01 = (long) LONG.get(s, k) ^ b01;
            long x23 = (long) LONG.get(s, k + 8) ^ b23;
            long x45 = (long) LONG.get(s, k + 16) ^ b45;
            long x67 = (long) LONG.get(s, k + 24) ^ b67;
            keys[i] = keyOf(groupOf, b01, x01);
            keys[i + 1] = keyOf(groupOf, b01 >>> 32, x01 >>> 32);
            keys[i + 2] = keyOf(groupOf, b23, x23);
            keys[i + 3] = keyOf(groupOf, b23 >>> 32, x23 >>> 32);
            keys[i + 4] = keyOf(groupOf, b45, x45);
            keys[i + 5] = keyOf(groupOf, b45 >>> 32, x45 >>> 32);
            keys[i + 6] = keyOf(groupOf, b67, x67);
            keys[i + 7] = keyOf(groupOf, b67 >>> 32, x67 >>> 32);
            planes4(x01, x23, x45, x67, d, o + i, n, 0);
        }
        for (; i < n; i++) {
            int bv = (int) INT.get(b, bo + 4 * i);
            int v = (int) INT.get(s, off + 4 * i) ^ bv;
            keys[i] = keyOf(groupOf, bv, v);
            d[o + i] = (byte) (v >>> 24);
            d[o + n + i] = (byte) (v >>> 16);
            d[o + 2 * n + i] = (byte) (v >>> 8);
            d[o + 3 * n + i] = (byte) v;
        }
    }

    /** The key of the 4-byte element in the low 32 bits of {@code x} (the delta), base in the low 32 bits of {@code base}. */
    private static char keyOf(byte[] groupOf, long base, long x) {
        return (char) (groupOf[(int) (base >>> 23) & 0xFF] << 8 | (int) (x >>> 16) & 0xFF);
    }

    /**
     * Elements 0-1, 2-3, 4-5 and 6-7 of 4 bytes as 8 bytes of each plane, plane k at
     * {@code d[at + k*n...]} (plane 0 the most significant bytes); {@code traded} as for
     * {@link #planes2}.
     */
    private static void planes4(long e01, long e23, long e45, long e67, byte[] d, int at, int n, long traded) {
        long r0 = e01 & LOW_32 | e45 << 32; // elements 0, 4
        long r1 = e01 >>> 32 | e45 & HIGH_32; // 1, 5
        long r2 = e23 & LOW_32 | e67 << 32; // 2, 6
        long r3 = e23 >>> 32 | e67 & HIGH_32; // 3, 7
        long t = (r0 >>> 16 ^ r2) & LOW_16_OF_32;
        r2 ^= t;
        r0 ^= t << 16;
        t = (r1 >>> 16 ^ r3) & LOW_16_OF_32;
        r3 ^= t;
        r1 ^= t << 16;
        t = (r0 >>> 8 ^ r1) & EVEN_BYTES;
        LONG.set(d, at + 3 * n, r0 ^ t << 8);
        LONG.set(d, at + 2 * n, r1 ^ t);
        t = (r2 >>> 8 ^ r3) & EVEN_BYTES;
        long p1 = r2 ^ t << 8;
        long p0 = r3 ^ t;
        if (traded != 0) {
            long x = (p0 ^ p1) & traded;
            p1 ^= x;
            p0 ^= x;
        }
        LONG.set(d, at + n, p1);
        LONG.set(d, at, p0);
    }

    /**
     * Eight 8-byte elements per step: their high halves are 4-byte elements of planes 0-3, their
     * low halves of planes 4-7, each set split by {@link #planes4}.
     */
    private static void split8(byte[] s, int off, byte[] b, int bo, int n, int op, byte[] d, int o, long traded) {
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            int k = off + 8 * i;
            int m = bo + 8 * i;
            long e0 = less((long) LONG.get(s, k), b, m, op);
            long e1 = less((long) LONG.get(s, k + 8), b, m + 8, op);
            long e2 = less((long) LONG.get(s, k + 16), b, m + 16, op);
            long e3 = less((long) LONG.get(s, k + 24), b, m + 24, op);
            long e4 = less((long) LONG.get(s, k + 32), b, m + 32, op);
            long e5 = less((long) LONG.get(s, k + 40), b, m + 40, op);
            long e6 = less((long) LONG.get(s, k + 48), b, m + 48, op);
            long e7 = less((long) LONG.get(s, k + 56), b, m + 56, op);
            planes4(e0 >>> 32 | e1 & HIGH_32, e2 >>> 32 | e3 & HIGH_32, e4 >>> 32 | e5 & HIGH_32, e6 >>> 32 | e7 & HIGH_32,
                    d, o + i, n, traded);
            planes4(e0 & LOW_32 | e1 << 32, e2 & LOW_32 | e3 << 32, e4 & LOW_32 | e5 << 32, e6 & LOW_32 | e7 << 32,
                    d, o + 4 * n + i, n, 0);
        }
        int tail = i;
        for (; i < n; i++) {
            scatter8(less((long) LONG.get(s, off + 8 * i), b, bo + 8 * i, op), d, o + i, n);
        }
        if (traded != 0) {
            tradeBits(d, o + tail, d, o + n + tail, d, o + tail, o + n + tail, n - tail, traded);
        }
    }

    /** Four 2-byte elements {@code v} less the base's at {@code b[k]} by {@code op}. */
    private static long less16(long v, byte[] b, int k, int op) {
        return op == XOR ? v ^ (long) LONG.get(b, k) : op == SUB ? sub16(v, (long) LONG.get(b, k))
                : op == ZIGZAG ? zigzag16(sub16(v, (long) LONG.get(b, k))) : v;
    }

    /** Two 4-byte elements {@code v} less the base's at {@code b[k]} by {@code op}. */
    private static long less32(long v, byte[] b, int k, int op) {
        return op == XOR ? v ^ (long) LONG.get(b, k) : op == SUB ? sub32(v, (long) LONG.get(b, k))
                : op == ZIGZAG ? zigzag32(sub32(v, (long) LONG.get(b, k))) : v;
    }

    /** An 8-byte element {@code v} less the base's at {@code b[k]} by {@code op}. */
    private static long less(long v, byte[] b, int k, int op) {
        return op == XOR ? v ^ (long) LONG.get(b, k) : op == SUB ? v - (long) LONG.get(b, k)
                : op == ZIGZAG ? zigzag64(v - (long) LONG.get(b, k)) : v;
    }

    /** An 8-byte element {@code v} plus the base's at {@code b[k]} by {@code op}. */
    private static long plus(long v, byte[] b, int k, int op) {
        return op == XOR ? v ^ (long) LONG.get(b, k) : op == SUB ? v + (long) LONG.get(b, k)
                : op == ZIGZAG ? unzigzag64(v) + (long) LONG.get(b, k) : v;
    }

    private static void scatter8(long v, byte[] d, int at, int n) {
        d[at] = (byte) (v >>> 56);
        d[at + n] = (byte) (v >>> 48);
        d[at + 2 * n] = (byte) (v >>> 40);
        d[at + 3 * n] = (byte) (v >>> 32);
        d[at + 4 * n] = (byte) (v >>> 24);
        d[at + 5 * n] = (byte) (v >>> 16);
        d[at + 6 * n] = (byte) (v >>> 8);
        d[at + 7 * n] = (byte) v;
    }

    private static void split16(byte[] s, int off, byte[] b, int bo, int n, int op, byte[] d, int o) {
        for (int i = 0; i < n; i++) {
            int e = off + 16 * i;
            long lo = (long) LONG.get(s, e);
            long hi = (long) LONG.get(s, e + 8);
            if (op != NONE) {
                int be = bo + 16 * i;
                long blo = (long) LONG.get(b, be);
                long bhi = (long) LONG.get(b, be + 8);
                if (op == XOR) {
                    lo ^= blo;
                    hi ^= bhi;
                } else {
                    long dlo = lo - blo;
                    hi = hi - bhi - (Long.compareUnsigned(lo, blo) < 0 ? 1 : 0);
                    lo = dlo;
                    if (op == ZIGZAG) { // the 128-bit difference shifted up a bit, the sign into bit 0
                        long sign = hi >> 63;
                        hi = (hi << 1 | lo >>> 63) ^ sign;
                        lo = lo << 1 ^ sign;
                    }
                }
            }
            scatter8(hi, d, o + i, n);
            scatter8(lo, d, o + 8 * n + i, n);
        }
    }

    // ---------------------------------------------------------------- merge

    private static void merge1(byte[] a, int ao, byte[] b, int bo, int n, int op, byte[] d, int o) {
        switch (op) {
            case NONE -> System.arraycopy(a, ao, d, o, n);
            case XOR -> {
                int i = 0;
                for (int limit = n - 7; i < limit; i += 8) {
                    LONG.set(d, o + i, (long) LONG.get(a, ao + i) ^ (long) LONG.get(b, bo + i));
                }
                for (; i < n; i++) {
                    d[o + i] = (byte) (a[ao + i] ^ b[bo + i]);
                }
            }
            case ZIGZAG -> {
                for (int i = 0; i < n; i++) {
                    int z = a[ao + i] & 0xFF;
                    d[o + i] = (byte) ((z >>> 1 ^ -(z & 1)) + b[bo + i]);
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    d[o + i] = (byte) (a[ao + i] + b[bo + i]);
                }
            }
        }
    }

    private static void merge2(byte[][] p, int[] offs, byte[] b, int bo, int n, int op, byte[] d, int o) {
        byte[] a0 = p[0];
        byte[] a1 = p[1];
        int o0 = offs[0];
        int o1 = offs[1];
        switch (op) {
            case NONE -> interleave2(a0, o0, a1, o1, n, d, o);
            default -> interleave2(a0, o0, a1, o1, b, bo, n, op, d, o);
        }
    }

    // The merges transpose planes into elements a word at a time: eight elements per step, one
    // long read from each plane, their bytes moved into place by delta swaps (t = (x >>> s ^ y)
    // & mask; y ^= t; x ^= t << s exchanges the masked s-bit units of y with their neighbours in
    // x), one long written per 8 output bytes. The splits run the same swaps in reverse.
    //
    // The 2- and 4-byte merges keep a loop without a base apart from the one with: checkout
    // runs them under C1 alone, which does not inline a per-word helper that loads the base's word
    // and combines by the operation (the splits and the 8-byte merge use one, as C2 runs them).
    // Measured, 1 M elements under C1: merges without a base through such a helper ran at
    // 0.84-1.13 GB/s against 1.79-2.07 in a loop of their own; with a base, the loop loads the
    // word and a helper small enough for C1 combines it: 4-byte XOR 1.52-1.62 GB/s either way
    // against a loop per operation, 2-byte 1.20-1.36 against 1.54-1.74. Under C2 all were alike.

    private static void interleave2(byte[] a0, int o0, byte[] a1, int o1, int n, byte[] d, int o) {
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            int j = o + 2 * i;
            long r0 = (long) LONG.get(a1, o1 + i);
            long r1 = (long) LONG.get(a0, o0 + i);
            long t = (r0 >>> 8 ^ r1) & EVEN_BYTES;
            r1 ^= t;
            r0 ^= t << 8; // elements 0, 2, 4, 6 and 1, 3, 5, 7
            t = (r0 >>> 16 ^ r1) & LOW_16_OF_32;
            r1 ^= t;
            r0 ^= t << 16; // 0, 1, 4, 5 and 2, 3, 6, 7
            LONG.set(d, j, r0 & LOW_32 | r1 << 32);
            LONG.set(d, j + 8, r0 >>> 32 | r1 & HIGH_32);
        }
        for (int j = o + 2 * i; i < n; i++, j += 2) {
            d[j] = a1[o1 + i];
            d[j + 1] = a0[o0 + i];
        }
    }

    /**
     * As the 2-byte merge above, planes 0 and 1 with the bits under {@code mask} traded ({@link #tradeBits}),
     * turned back in registers. A loop of its own, so that the plain merge (every chain read, every
     * other keyframe) runs as before. The trade costs 3 operations per 8 elements: measured, the
     * merge of 4 MiB of BF16 389 → 520 µs, the keyframe's whole decode 5-8% slower; a pass of its
     * own over the two planes before the plain merge cost as much.
     */
    private static void interleave2Turned(byte[] a0, int o0, byte[] a1, int o1, int n, long mask, byte[] d, int o) {
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            int j = o + 2 * i;
            long l = (long) LONG.get(a1, o1 + i);
            long e = (long) LONG.get(a0, o0 + i);
            long x = (e ^ l) & mask;
            long r0 = l ^ x;
            long r1 = e ^ x;
            long t = (r0 >>> 8 ^ r1) & EVEN_BYTES;
            r1 ^= t;
            r0 ^= t << 8;
            t = (r0 >>> 16 ^ r1) & LOW_16_OF_32;
            r1 ^= t;
            r0 ^= t << 16;
            LONG.set(d, j, r0 & LOW_32 | r1 << 32);
            LONG.set(d, j + 8, r0 >>> 32 | r1 & HIGH_32);
        }
        int m = (int) mask & 0xFF;
        for (int j = o + 2 * i; i < n; i++, j += 2) {
            int e = a0[o0 + i];
            int l = a1[o1 + i];
            int x = (e ^ l) & m;
            d[j] = (byte) (l ^ x);
            d[j + 1] = (byte) (e ^ x);
        }
    }

    /** As the 2-byte merge above, combined with the base by op (XOR or SUB). */
    private static void interleave2(byte[] a0, int o0, byte[] a1, int o1, byte[] b, int bo, int n, int op, byte[] d, int o) {
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            int j = o + 2 * i;
            int k = bo + 2 * i;
            long r0 = (long) LONG.get(a1, o1 + i);
            long r1 = (long) LONG.get(a0, o0 + i);
            long t = (r0 >>> 8 ^ r1) & EVEN_BYTES;
            r1 ^= t;
            r0 ^= t << 8;
            t = (r0 >>> 16 ^ r1) & LOW_16_OF_32;
            r1 ^= t;
            r0 ^= t << 16;
            long w0 = (long) LONG.get(b, k); // the base's words before any write, as the 4-byte merge
            long w1 = (long) LONG.get(b, k + 8);
            LONG.set(d, j, with16(r0 & LOW_32 | r1 << 32, w0, op));
            LONG.set(d, j + 8, with16(r0 >>> 32 | r1 & HIGH_32, w1, op));
        }
        for (; i < n; i++) {
            int v = (a0[o0 + i] << 8) | (a1[o1 + i] & 0xFF);
            int w = (short) SHORT.get(b, bo + 2 * i);
            SHORT.set(d, o + 2 * i, (short) (op == XOR ? v ^ w : op == SUB ? v + w : ((v & 0xFFFF) >>> 1 ^ -(v & 1)) + w));
        }
    }

    /**
     * Four 2-byte elements v combined with the base's bw by op: XOR, or added lane by lane (SUB),
     * or unzigzagged and added (ZIGZAG). Small enough for C1 to inline.
     */
    private static long with16(long v, long bw, int op) {
        return op == XOR ? v ^ bw : add16(op == SUB ? v : unzigzag16(v), bw);
    }

    /** Two 4-byte elements v combined with the base's bw by op, as {@link #with16}. */
    private static long with32(long v, long bw, int op) {
        return op == XOR ? v ^ bw : add32(op == SUB ? v : unzigzag32(v), bw);
    }

    /** a + b in each of four 16-bit lanes, modulo 2^16 (no carry crosses a lane). */
    static long add16(long a, long b) {
        return ((a & ~HIGH_BITS_16) + (b & ~HIGH_BITS_16)) ^ ((a ^ b) & HIGH_BITS_16);
    }

    /** a + b in each of two 32-bit lanes, modulo 2^32. */
    static long add32(long a, long b) {
        return ((a & ~HIGH_BITS_32) + (b & ~HIGH_BITS_32)) ^ ((a ^ b) & HIGH_BITS_32);
    }

    /**
     * Four-byte elements: the planes' longs (r0 the least significant bytes) swapped byte-wise in
     * pairs, then 16 bits at a time across the pairs, leave elements 0 and 4 in r0, 1 and 5 in
     * r1, 2 and 6 in r2, 3 and 7 in r3. Measured, 1 M elements XOR'ed with a base: 2.3-2.6 GB/s
     * against 1.1-1.5 for spreading each plane's bytes with shifts and masks (1.6 against 0.9-1.0
     * with C1 alone, as checkout runs). The base's four words are read before the four writes (d
     * and b may be one array, so the JIT cannot hoist a read of b above a write to d):
     * {@code PlaneTransformBenchmark.merge}, width 4, XOR, two forks, two runs each in turn,
     * 2,480 / 2,488 -> 2,754 / 2,747 MB/s.
     */
    private static void interleave4(byte[] a0, int o0, byte[] a1, int o1, byte[] a2, int o2, byte[] a3, int o3,
                                    byte[] b, int bo, int n, int op, byte[] d, int o) {
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            int j = o + 4 * i;
            int k = bo + 4 * i;
            long r0 = (long) LONG.get(a3, o3 + i);
            long r1 = (long) LONG.get(a2, o2 + i);
            long r2 = (long) LONG.get(a1, o1 + i);
            long r3 = (long) LONG.get(a0, o0 + i);
            long t = (r0 >>> 8 ^ r1) & EVEN_BYTES;
            r1 ^= t;
            r0 ^= t << 8;
            t = (r2 >>> 8 ^ r3) & EVEN_BYTES;
            r3 ^= t;
            r2 ^= t << 8;
            t = (r0 >>> 16 ^ r2) & LOW_16_OF_32;
            r2 ^= t;
            r0 ^= t << 16;
            t = (r1 >>> 16 ^ r3) & LOW_16_OF_32;
            r3 ^= t;
            r1 ^= t << 16;
            long w0 = (long) LONG.get(b, k); // the base's words first: the JIT keeps each read of b after the write to d before it
            long w1 = (long) LONG.get(b, k + 8);
            long w2 = (long) LONG.get(b, k + 16);
            long w3 = (long) LONG.get(b, k + 24);
            LONG.set(d, j, with32(r0 & LOW_32 | r1 << 32, w0, op));
            LONG.set(d, j + 8, with32(r2 & LOW_32 | r3 << 32, w1, op));
            LONG.set(d, j + 16, with32(r0 >>> 32 | r1 & HIGH_32, w2, op));
            LONG.set(d, j + 24, with32(r2 >>> 32 | r3 & HIGH_32, w3, op));
        }
        for (; i < n; i++) {
            int v = (a0[o0 + i] << 24) | ((a1[o1 + i] & 0xFF) << 16) | ((a2[o2 + i] & 0xFF) << 8) | (a3[o3 + i] & 0xFF);
            int w = (int) INT.get(b, bo + 4 * i);
            INT.set(d, o + 4 * i, op == XOR ? v ^ w : op == SUB ? v + w : (v >>> 1 ^ -(v & 1)) + w);
        }
    }

    /** The 4-byte merge without a base (its swaps described with the one below). */
    private static void interleave4(byte[] a0, int o0, byte[] a1, int o1, byte[] a2, int o2, byte[] a3, int o3, int n,
                                    byte[] d, int o) {
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            int j = o + 4 * i;
            long r0 = (long) LONG.get(a3, o3 + i);
            long r1 = (long) LONG.get(a2, o2 + i);
            long r2 = (long) LONG.get(a1, o1 + i);
            long r3 = (long) LONG.get(a0, o0 + i);
            long t = (r0 >>> 8 ^ r1) & EVEN_BYTES;
            r1 ^= t;
            r0 ^= t << 8;
            t = (r2 >>> 8 ^ r3) & EVEN_BYTES;
            r3 ^= t;
            r2 ^= t << 8;
            t = (r0 >>> 16 ^ r2) & LOW_16_OF_32;
            r2 ^= t;
            r0 ^= t << 16;
            t = (r1 >>> 16 ^ r3) & LOW_16_OF_32;
            r3 ^= t;
            r1 ^= t << 16;
            LONG.set(d, j, r0 & LOW_32 | r1 << 32);
            LONG.set(d, j + 8, r2 & LOW_32 | r3 << 32);
            LONG.set(d, j + 16, r0 >>> 32 | r1 & HIGH_32);
            LONG.set(d, j + 24, r2 >>> 32 | r3 & HIGH_32);
        }
        for (int j = o + 4 * i; i < n; i++, j += 4) {
            d[j] = a3[o3 + i];
            d[j + 1] = a2[o2 + i];
            d[j + 2] = a1[o1 + i];
            d[j + 3] = a0[o0 + i];
        }
    }

    /** As the 4-byte merge above, planes 0 and 1 with the bits under {@code mask} traded back in registers (see {@link #interleave2Turned}). */
    private static void interleave4Turned(byte[] a0, int o0, byte[] a1, int o1, byte[] a2, int o2, byte[] a3, int o3, int n,
                                          long mask, byte[] d, int o) {
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            int j = o + 4 * i;
            long l = (long) LONG.get(a1, o1 + i);
            long e = (long) LONG.get(a0, o0 + i);
            long r0 = (long) LONG.get(a3, o3 + i);
            long r1 = (long) LONG.get(a2, o2 + i);
            long x = (e ^ l) & mask;
            long r2 = l ^ x;
            long r3 = e ^ x;
            long t = (r0 >>> 8 ^ r1) & EVEN_BYTES;
            r1 ^= t;
            r0 ^= t << 8;
            t = (r2 >>> 8 ^ r3) & EVEN_BYTES;
            r3 ^= t;
            r2 ^= t << 8;
            t = (r0 >>> 16 ^ r2) & LOW_16_OF_32;
            r2 ^= t;
            r0 ^= t << 16;
            t = (r1 >>> 16 ^ r3) & LOW_16_OF_32;
            r3 ^= t;
            r1 ^= t << 16;
            LONG.set(d, j, r0 & LOW_32 | r1 << 32);
            LONG.set(d, j + 8, r2 & LOW_32 | r3 << 32);
            LONG.set(d, j + 16, r0 >>> 32 | r1 & HIGH_32);
            LONG.set(d, j + 24, r2 >>> 32 | r3 & HIGH_32);
        }
        int m = (int) mask & 0xFF;
        for (int j = o + 4 * i; i < n; i++, j += 4) {
            int e = a0[o0 + i];
            int l = a1[o1 + i];
            int x = (e ^ l) & m;
            d[j] = a3[o3 + i];
            d[j + 1] = a2[o2 + i];
            d[j + 2] = (byte) (l ^ x);
            d[j + 3] = (byte) (e ^ x);
        }
    }

    private static void merge4(byte[][] p, int[] offs, byte[] b, int bo, int n, int op, byte[] d, int o) {
        byte[] a0 = p[0];
        byte[] a1 = p[1];
        byte[] a2 = p[2];
        byte[] a3 = p[3];
        int o0 = offs[0];
        int o1 = offs[1];
        int o2 = offs[2];
        int o3 = offs[3];
        switch (op) {
            case NONE -> interleave4(a0, o0, a1, o1, a2, o2, a3, o3, n, d, o);
            default -> interleave4(a0, o0, a1, o1, a2, o2, a3, o3, b, bo, n, op, d, o);
        }
    }

    private static long gather8(byte[][] p, int[] offs, int first, int i) {
        return ((long) p[first][offs[first] + i] << 56)
                | ((p[first + 1][offs[first + 1] + i] & 0xFFL) << 48)
                | ((p[first + 2][offs[first + 2] + i] & 0xFFL) << 40)
                | ((p[first + 3][offs[first + 3] + i] & 0xFFL) << 32)
                | ((p[first + 4][offs[first + 4] + i] & 0xFFL) << 24)
                | ((p[first + 5][offs[first + 5] + i] & 0xFFL) << 16)
                | ((p[first + 6][offs[first + 6] + i] & 0xFFL) << 8)
                | (p[first + 7][offs[first + 7] + i] & 0xFFL);
    }

    private static void merge8(byte[][] p, int[] offs, byte[] b, int bo, int n, int op, byte[] d, int o) {
        byte[] a0 = p[0];
        byte[] a1 = p[1];
        byte[] a2 = p[2];
        byte[] a3 = p[3];
        byte[] a4 = p[4];
        byte[] a5 = p[5];
        byte[] a6 = p[6];
        byte[] a7 = p[7];
        int o0 = offs[0];
        int o1 = offs[1];
        int o2 = offs[2];
        int o3 = offs[3];
        int o4 = offs[4];
        int o5 = offs[5];
        int o6 = offs[6];
        int o7 = offs[7];
        int i = 0;
        for (int limit = n - 7; i < limit; i += 8) {
            // rows: r0 the least significant bytes of elements i..i+7, r7 the most significant
            long r0 = (long) LONG.get(a7, o7 + i);
            long r1 = (long) LONG.get(a6, o6 + i);
            long r2 = (long) LONG.get(a5, o5 + i);
            long r3 = (long) LONG.get(a4, o4 + i);
            long r4 = (long) LONG.get(a3, o3 + i);
            long r5 = (long) LONG.get(a2, o2 + i);
            long r6 = (long) LONG.get(a1, o1 + i);
            long r7 = (long) LONG.get(a0, o0 + i);
            long t = (r0 >>> 8 ^ r1) & EVEN_BYTES;
            r1 ^= t;
            r0 ^= t << 8;
            t = (r2 >>> 8 ^ r3) & EVEN_BYTES;
            r3 ^= t;
            r2 ^= t << 8;
            t = (r4 >>> 8 ^ r5) & EVEN_BYTES;
            r5 ^= t;
            r4 ^= t << 8;
            t = (r6 >>> 8 ^ r7) & EVEN_BYTES;
            r7 ^= t;
            r6 ^= t << 8;
            t = (r0 >>> 16 ^ r2) & LOW_16_OF_32;
            r2 ^= t;
            r0 ^= t << 16;
            t = (r1 >>> 16 ^ r3) & LOW_16_OF_32;
            r3 ^= t;
            r1 ^= t << 16;
            t = (r4 >>> 16 ^ r6) & LOW_16_OF_32;
            r6 ^= t;
            r4 ^= t << 16;
            t = (r5 >>> 16 ^ r7) & LOW_16_OF_32;
            r7 ^= t;
            r5 ^= t << 16;
            // r0..r3: the low halves of elements (0, 4), (1, 5), (2, 6), (3, 7); r4..r7 their high halves
            int j = o + 8 * i;
            int k = bo + 8 * i;
            LONG.set(d, j, plus(r0 & LOW_32 | r4 << 32, b, k, op));
            LONG.set(d, j + 8, plus(r1 & LOW_32 | r5 << 32, b, k + 8, op));
            LONG.set(d, j + 16, plus(r2 & LOW_32 | r6 << 32, b, k + 16, op));
            LONG.set(d, j + 24, plus(r3 & LOW_32 | r7 << 32, b, k + 24, op));
            LONG.set(d, j + 32, plus(r0 >>> 32 | r4 & HIGH_32, b, k + 32, op));
            LONG.set(d, j + 40, plus(r1 >>> 32 | r5 & HIGH_32, b, k + 40, op));
            LONG.set(d, j + 48, plus(r2 >>> 32 | r6 & HIGH_32, b, k + 48, op));
            LONG.set(d, j + 56, plus(r3 >>> 32 | r7 & HIGH_32, b, k + 56, op));
        }
        for (; i < n; i++) {
            long v = ((long) a0[o0 + i] << 56)
                    | ((a1[o1 + i] & 0xFFL) << 48)
                    | ((a2[o2 + i] & 0xFFL) << 40)
                    | ((a3[o3 + i] & 0xFFL) << 32)
                    | ((a4[o4 + i] & 0xFFL) << 24)
                    | ((a5[o5 + i] & 0xFFL) << 16)
                    | ((a6[o6 + i] & 0xFFL) << 8)
                    | (a7[o7 + i] & 0xFFL);
            LONG.set(d, o + 8 * i, plus(v, b, bo + 8 * i, op));
        }
    }

    private static void merge16(byte[][] p, int[] offs, byte[] b, int bo, int n, int op, byte[] d, int o) {
        for (int i = 0; i < n; i++) {
            long hi = gather8(p, offs, 0, i);
            long lo = gather8(p, offs, 8, i);
            if (op != NONE) {
                int be = bo + 16 * i;
                long blo = (long) LONG.get(b, be);
                long bhi = (long) LONG.get(b, be + 8);
                if (op == XOR) {
                    lo ^= blo;
                    hi ^= bhi;
                } else {
                    if (op == ZIGZAG) {
                        long sign = -(lo & 1);
                        lo = (lo >>> 1 | hi << 63) ^ sign;
                        hi = hi >>> 1 ^ sign;
                    }
                    long slo = lo + blo;
                    hi = hi + bhi + (Long.compareUnsigned(slo, blo) < 0 ? 1 : 0);
                    lo = slo;
                }
            }
            int e = o + 16 * i;
            LONG.set(d, e, lo);
            LONG.set(d, e + 8, hi);
        }
    }
}
