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
 */
final class PlaneTransform {
    static final int NONE = 0;
    static final int XOR = 1;
    /** Split subtracts the base; merge adds it back. */
    static final int SUB = 2;

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
            case 2 -> split2(src, off, base, baseOff, n, op, dst, dstOff);
            case 4 -> split4(src, off, base, baseOff, n, op, dst, dstOff);
            case 8 -> split8(src, off, base, baseOff, n, op, dst, dstOff);
            case 16 -> split16(src, off, base, baseOff, n, op, dst, dstOff);
            default -> throw new IllegalArgumentException("element width " + w);
        }
    }

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

    /** The byte value every one of {@code a[off, off+n)} holds, or -1 if they differ (or n == 0). */
    static int constantValue(byte[] a, int off, int n) {
        if (n == 0) {
            return -1;
        }
        byte b = a[off];
        long pattern = (b & 0xFFL) * 0x0101010101010101L;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
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

    /** {@code d[o, o+n) ^= s[so, so+n)}. */
    static void xorInto(byte[] s, int so, byte[] d, int o, int n) {
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            LONG.set(d, o + i, (long) LONG.get(d, o + i) ^ (long) LONG.get(s, so + i));
        }
        for (; i < n; i++) {
            d[o + i] ^= s[so + i];
        }
    }

    /** {@code d[o, o+n) ^= c} for every byte. */
    static void xorConstant(byte c, byte[] d, int o, int n) {
        long pattern = (c & 0xFFL) * 0x0101010101010101L;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
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
                for (; i + 8 <= n; i += 8) {
                    LONG.set(d, o + i, (long) LONG.get(s, off + i) ^ (long) LONG.get(b, bo + i));
                }
                for (; i < n; i++) {
                    d[o + i] = (byte) (s[off + i] ^ b[bo + i]);
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
     * Four 2-byte elements per step, as one long (SWAR, as the merges): their high bytes and their
     * low bytes each gathered into an int. Measured, 2 M elements XOR'ed with a base: 1.6 ms per
     * million one element at a time (2.1 without the vectorizer, as {@code coral commit} runs),
     * 1.0 ms; perf's JMH encode of a 4 MiB BF16 chunk against the step before, three alternating
     * runs: 386-473 -> 509-652 MB/s.
     */
    private static void split2(byte[] s, int off, byte[] b, int bo, int n, int op, byte[] d, int o) {
        int p0 = o;
        int p1 = o + n;
        int i = 0;
        switch (op) {
            case NONE -> {
                for (; i + 4 <= n; i += 4) {
                    long v = (long) LONG.get(s, off + 2 * i);
                    INT.set(d, p0 + i, evenBytes(v >>> 8 & EVEN_BYTES));
                    INT.set(d, p1 + i, evenBytes(v & EVEN_BYTES));
                }
            }
            case XOR -> {
                for (; i + 4 <= n; i += 4) {
                    long v = (long) LONG.get(s, off + 2 * i) ^ (long) LONG.get(b, bo + 2 * i);
                    INT.set(d, p0 + i, evenBytes(v >>> 8 & EVEN_BYTES));
                    INT.set(d, p1 + i, evenBytes(v & EVEN_BYTES));
                }
            }
            default -> {
                for (; i + 4 <= n; i += 4) {
                    long v = sub16((long) LONG.get(s, off + 2 * i), (long) LONG.get(b, bo + 2 * i));
                    INT.set(d, p0 + i, evenBytes(v >>> 8 & EVEN_BYTES));
                    INT.set(d, p1 + i, evenBytes(v & EVEN_BYTES));
                }
            }
        }
        for (; i < n; i++) {
            int v = (short) SHORT.get(s, off + 2 * i);
            if (op == XOR) {
                v ^= (short) SHORT.get(b, bo + 2 * i);
            } else if (op == SUB) {
                v -= (short) SHORT.get(b, bo + 2 * i);
            }
            d[p0 + i] = (byte) (v >>> 8);
            d[p1 + i] = (byte) v;
        }
    }

    private static final long EVEN_BYTES = 0x00FF00FF00FF00FFL;
    private static final long HIGH_BITS_16 = 0x8000800080008000L;

    /** Bytes 0, 2, 4 and 6 of x (its other bytes zero) as one int, in that order. */
    private static int evenBytes(long x) {
        x = (x | x >>> 8) & 0x0000FFFF0000FFFFL;
        return (int) (x | x >>> 16);
    }

    /** a - b in each of four 16-bit lanes, modulo 2^16 (no borrow crosses a lane). */
    static long sub16(long a, long b) {
        return ((a | HIGH_BITS_16) - (b & ~HIGH_BITS_16)) ^ ((a ^ ~b) & HIGH_BITS_16);
    }

    private static void split4(byte[] s, int off, byte[] b, int bo, int n, int op, byte[] d, int o) {
        int p0 = o;
        int p1 = o + n;
        int p2 = o + 2 * n;
        int p3 = o + 3 * n;
        switch (op) {
            case NONE -> {
                for (int i = 0; i < n; i++) {
                    int v = (int) INT.get(s, off + 4 * i);
                    d[p0 + i] = (byte) (v >>> 24);
                    d[p1 + i] = (byte) (v >>> 16);
                    d[p2 + i] = (byte) (v >>> 8);
                    d[p3 + i] = (byte) v;
                }
            }
            case XOR -> {
                for (int i = 0; i < n; i++) {
                    int v = (int) INT.get(s, off + 4 * i) ^ (int) INT.get(b, bo + 4 * i);
                    d[p0 + i] = (byte) (v >>> 24);
                    d[p1 + i] = (byte) (v >>> 16);
                    d[p2 + i] = (byte) (v >>> 8);
                    d[p3 + i] = (byte) v;
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    int v = (int) INT.get(s, off + 4 * i) - (int) INT.get(b, bo + 4 * i);
                    d[p0 + i] = (byte) (v >>> 24);
                    d[p1 + i] = (byte) (v >>> 16);
                    d[p2 + i] = (byte) (v >>> 8);
                    d[p3 + i] = (byte) v;
                }
            }
        }
    }

    private static void split8(byte[] s, int off, byte[] b, int bo, int n, int op, byte[] d, int o) {
        for (int i = 0; i < n; i++) {
            long v = (long) LONG.get(s, off + 8 * i);
            if (op == XOR) {
                v ^= (long) LONG.get(b, bo + 8 * i);
            } else if (op == SUB) {
                v -= (long) LONG.get(b, bo + 8 * i);
            }
            scatter8(v, d, o + i, n);
        }
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
                for (; i + 8 <= n; i += 8) {
                    LONG.set(d, o + i, (long) LONG.get(a, ao + i) ^ (long) LONG.get(b, bo + i));
                }
                for (; i < n; i++) {
                    d[o + i] = (byte) (a[ao + i] ^ b[bo + i]);
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
            case XOR -> interleave2Xor(a0, o0, a1, o1, b, bo, n, d, o);
            default -> interleave2Add(a0, o0, a1, o1, b, bo, n, d, o);
        }
    }

    // Two-byte elements interleave eight at a time: one 8-byte read per plane, the bytes spread
    // into their lanes with shifts and masks, one 8-byte write per 8 output bytes. Measured with
    // XOR: 3.4 GB/s against 1.3 for a byte-by-byte loop.

    /** The low 4 bytes of {@code x} spread into the low byte of four 16-bit lanes. */
    private static long spread8(long x) {
        x &= 0xFFFFFFFFL;
        x = (x | (x << 16)) & 0x0000FFFF0000FFFFL;
        return (x | (x << 8)) & 0x00FF00FF00FF00FFL;
    }

    private static void interleave2(byte[] a0, int o0, byte[] a1, int o1, int n, byte[] d, int o) {
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            long hi = (long) LONG.get(a0, o0 + i);
            long lo = (long) LONG.get(a1, o1 + i);
            int j = o + 2 * i;
            LONG.set(d, j, spread8(lo) | (spread8(hi) << 8));
            LONG.set(d, j + 8, spread8(lo >>> 32) | (spread8(hi >>> 32) << 8));
        }
        for (int j = o + 2 * i; i < n; i++, j += 2) {
            d[j] = a1[o1 + i];
            d[j + 1] = a0[o0 + i];
        }
    }

    private static void interleave2Xor(byte[] a0, int o0, byte[] a1, int o1, byte[] b, int bo, int n, byte[] d, int o) {
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            long hi = (long) LONG.get(a0, o0 + i);
            long lo = (long) LONG.get(a1, o1 + i);
            int j = o + 2 * i;
            int k = bo + 2 * i;
            LONG.set(d, j, (spread8(lo) | (spread8(hi) << 8)) ^ (long) LONG.get(b, k));
            LONG.set(d, j + 8, (spread8(lo >>> 32) | (spread8(hi >>> 32) << 8)) ^ (long) LONG.get(b, k + 8));
        }
        for (int j = o + 2 * i, k = bo + 2 * i; i < n; i++, j += 2, k += 2) {
            d[j] = (byte) (a1[o1 + i] ^ b[k]);
            d[j + 1] = (byte) (a0[o0 + i] ^ b[k + 1]);
        }
    }

    /**
     * As {@link #interleave2Xor}, adding the base lane by lane. Measured, 2 M elements: 1.0-1.3 ->
     * 1.0 ms per million with C2; with C1 alone (as {@code coral checkout} runs) 4.2-4.3 -> 1.4.
     */
    private static void interleave2Add(byte[] a0, int o0, byte[] a1, int o1, byte[] b, int bo, int n, byte[] d, int o) {
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            long hi = (long) LONG.get(a0, o0 + i);
            long lo = (long) LONG.get(a1, o1 + i);
            int j = o + 2 * i;
            int k = bo + 2 * i;
            LONG.set(d, j, add16(spread8(lo) | (spread8(hi) << 8), (long) LONG.get(b, k)));
            LONG.set(d, j + 8, add16(spread8(lo >>> 32) | (spread8(hi >>> 32) << 8), (long) LONG.get(b, k + 8)));
        }
        for (; i < n; i++) {
            int v = (a0[o0 + i] << 8) | (a1[o1 + i] & 0xFF);
            SHORT.set(d, o + 2 * i, (short) (v + (short) SHORT.get(b, bo + 2 * i)));
        }
    }

    /** a + b in each of four 16-bit lanes, modulo 2^16 (no carry crosses a lane). */
    static long add16(long a, long b) {
        return ((a & ~HIGH_BITS_16) + (b & ~HIGH_BITS_16)) ^ ((a ^ b) & HIGH_BITS_16);
    }

    // Four-byte elements interleave byte by byte: measured 3.3 GB/s, faster than spreading longs
    // (2.8 GB/s), and much faster before the JIT has compiled the loop.

    private static void interleave4(byte[] a0, int o0, byte[] a1, int o1, byte[] a2, int o2, byte[] a3, int o3, int n,
                                    byte[] d, int o) {
        for (int i = 0, j = o; i < n; i++, j += 4) {
            d[j] = a3[o3 + i];
            d[j + 1] = a2[o2 + i];
            d[j + 2] = a1[o1 + i];
            d[j + 3] = a0[o0 + i];
        }
    }

    /** As interleave4, XORed with the base: eight elements per step (measured 2.2 vs 1.1 GB/s byte by byte). */
    private static void interleave4Xor(byte[] a0, int o0, byte[] a1, int o1, byte[] a2, int o2, byte[] a3, int o3,
                                       byte[] b, int bo, int n, byte[] d, int o) {
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            long x0 = (long) LONG.get(a0, o0 + i);
            long x1 = (long) LONG.get(a1, o1 + i);
            long x2 = (long) LONG.get(a2, o2 + i);
            long x3 = (long) LONG.get(a3, o3 + i);
            int j = o + 4 * i;
            int k = bo + 4 * i;
            long l = spread8(x3) | (spread8(x2) << 8);
            long h = spread8(x1) | (spread8(x0) << 8);
            LONG.set(d, j, (spread16(l) | (spread16(h) << 16)) ^ (long) LONG.get(b, k));
            LONG.set(d, j + 8, (spread16(l >>> 32) | (spread16(h >>> 32) << 16)) ^ (long) LONG.get(b, k + 8));
            l = spread8(x3 >>> 32) | (spread8(x2 >>> 32) << 8);
            h = spread8(x1 >>> 32) | (spread8(x0 >>> 32) << 8);
            LONG.set(d, j + 16, (spread16(l) | (spread16(h) << 16)) ^ (long) LONG.get(b, k + 16));
            LONG.set(d, j + 24, (spread16(l >>> 32) | (spread16(h >>> 32) << 16)) ^ (long) LONG.get(b, k + 24));
        }
        for (int j = o + 4 * i, k = bo + 4 * i; i < n; i++, j += 4, k += 4) {
            d[j] = (byte) (a3[o3 + i] ^ b[k]);
            d[j + 1] = (byte) (a2[o2 + i] ^ b[k + 1]);
            d[j + 2] = (byte) (a1[o1 + i] ^ b[k + 2]);
            d[j + 3] = (byte) (a0[o0 + i] ^ b[k + 3]);
        }
    }

    /** The low two 16-bit lanes of {@code v} spread into the low halves of two 32-bit lanes. */
    private static long spread16(long v) {
        return (v & 0xFFFFL) | ((v & 0xFFFF0000L) << 16);
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
            case XOR -> interleave4Xor(a0, o0, a1, o1, a2, o2, a3, o3, b, bo, n, d, o);
            default -> {
                for (int i = 0; i < n; i++) {
                    int v = (a0[o0 + i] << 24) | ((a1[o1 + i] & 0xFF) << 16) | ((a2[o2 + i] & 0xFF) << 8) | (a3[o3 + i] & 0xFF);
                    INT.set(d, o + 4 * i, v + (int) INT.get(b, bo + 4 * i));
                }
            }
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
        for (int i = 0; i < n; i++) {
            long v = ((long) a0[o0 + i] << 56)
                    | ((a1[o1 + i] & 0xFFL) << 48)
                    | ((a2[o2 + i] & 0xFFL) << 40)
                    | ((a3[o3 + i] & 0xFFL) << 32)
                    | ((a4[o4 + i] & 0xFFL) << 24)
                    | ((a5[o5 + i] & 0xFFL) << 16)
                    | ((a6[o6 + i] & 0xFFL) << 8)
                    | (a7[o7 + i] & 0xFFL);
            if (op == XOR) {
                v ^= (long) LONG.get(b, bo + 8 * i);
            } else if (op == SUB) {
                v += (long) LONG.get(b, bo + 8 * i);
            }
            LONG.set(d, o + 8 * i, v);
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
