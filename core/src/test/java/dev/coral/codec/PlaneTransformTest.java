package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The plane split and merge loops (several of them word-at-a-time) against a byte-by-byte
 * reference: every width, every operation (none, XOR, subtraction with borrows across the
 * element's bytes), element counts around the loops' strides (0-40) and large ones, at odd
 * offsets; and merge undoes split, bit for bit.
 */
class PlaneTransformTest {
    private static final int[] WIDTHS = {1, 2, 4, 8, 16};
    private static final int[] OPS = {PlaneTransform.NONE, PlaneTransform.XOR, PlaneTransform.SUB, PlaneTransform.ZIGZAG};

    /** Element i of src combined with base by op, as little-endian bytes; then plane k = byte w-1-k. */
    private static byte[] referenceSplit(byte[] src, int off, byte[] base, int baseOff, int n, int w, int op) {
        byte[] planes = new byte[n * w];
        byte[] v = new byte[w];
        for (int i = 0; i < n; i++) {
            int borrow = 0;
            for (int j = 0; j < w; j++) {
                int a = src[off + i * w + j] & 0xFF;
                int b = op == PlaneTransform.NONE ? 0 : base[baseOff + i * w + j] & 0xFF;
                if (op == PlaneTransform.XOR) {
                    v[j] = (byte) (a ^ b);
                } else {
                    int d = a - b - borrow;
                    borrow = d < 0 ? 1 : 0;
                    v[j] = (byte) d;
                }
            }
            if (op == PlaneTransform.ZIGZAG) {
                zigzag(v);
            }
            for (int k = 0; k < w; k++) {
                planes[k * n + i] = v[w - 1 - k];
            }
        }
        return planes;
    }

    /** The little-endian two's-complement integer in {@code v} zigzagged in place: d >= 0 to 2d, d < 0 to -2d - 1. */
    private static void zigzag(byte[] v) {
        byte[] be = new byte[v.length];
        for (int j = 0; j < v.length; j++) {
            be[j] = v[v.length - 1 - j];
        }
        java.math.BigInteger d = new java.math.BigInteger(be);
        java.math.BigInteger z = d.signum() >= 0 ? d.shiftLeft(1) : d.negate().shiftLeft(1).subtract(java.math.BigInteger.ONE);
        byte[] zb = z.toByteArray(); // big-endian, maybe with a leading sign byte
        java.util.Arrays.fill(v, (byte) 0);
        for (int j = 0; j < v.length && j < zb.length; j++) {
            v[j] = zb[zb.length - 1 - j];
        }
    }

    /** Random bytes, with runs of 0x00 and 0xFF and equal bytes in src and base (carries and zero lanes). */
    private static byte[] bytes(Random r, int len, byte[] like) {
        byte[] b = new byte[len];
        r.nextBytes(b);
        for (int i = 0; i < len; i++) {
            switch (r.nextInt(6)) {
                case 0 -> b[i] = 0;
                case 1 -> b[i] = (byte) 0xFF;
                case 2 -> b[i] = like != null ? like[i] : b[i];
                default -> { }
            }
        }
        return b;
    }

    private static void check(Random r, long seed, int w, int op, int n) {
        int off = r.nextInt(9);
        int baseOff = r.nextInt(9);
        int dstOff = r.nextInt(9);
        byte[] src = bytes(r, off + n * w + r.nextInt(9), null);
        byte[] base = new byte[baseOff + n * w + r.nextInt(9)];
        byte[] like = bytes(r, base.length, null);
        System.arraycopy(src, off, like, baseOff, Math.min(n * w, base.length - baseOff));
        base = bytes(r, base.length, like);
        byte[] planes = new byte[dstOff + n * w + 7];
        Arrays.fill(planes, SENTINEL);
        PlaneTransform.split(src, off, op == PlaneTransform.NONE ? null : base, baseOff, n, w, op, planes, dstOff);
        String what = "seed " + seed + ", width " + w + ", op " + op + ", n " + n;
        assertUntouchedOutside(planes, dstOff, n * w, what + ": split");
        byte[] want = referenceSplit(src, off, base, baseOff, n, w, op);
        byte[] got = new byte[n * w];
        System.arraycopy(planes, dstOff, got, 0, n * w);
        assertArrayEquals(want, got, what + ": split");
        byte[][] ps = new byte[w][];
        int[] offs = new int[w];
        for (int k = 0; k < w; k++) {
            ps[k] = planes;
            offs[k] = dstOff + k * n;
        }
        int outOff = r.nextInt(9);
        byte[] out = new byte[outOff + n * w + 5];
        Arrays.fill(out, SENTINEL);
        PlaneTransform.merge(ps, offs, op == PlaneTransform.NONE ? null : base, baseOff, n, w, op, out, outOff);
        assertUntouchedOutside(out, outOff, n * w, what + ": merge");
        byte[] back = new byte[n * w];
        System.arraycopy(out, outOff, back, 0, n * w);
        byte[] orig = new byte[n * w];
        System.arraycopy(src, off, orig, 0, n * w);
        assertArrayEquals(orig, back, what + ": merge");
    }

    private static final byte SENTINEL = (byte) 0xA5;

    /** Only {@code a[from, from+len)} was written: the loops that go a word at a time stop at the last whole word. */
    private static void assertUntouchedOutside(byte[] a, int from, int len, String what) {
        for (int i = 0; i < a.length; i++) {
            if ((i < from || i >= from + len) && a[i] != SENTINEL) {
                throw new AssertionError(what + ": byte " + i + " outside [" + from + ", " + (from + len) + ") was written");
            }
        }
    }

    @RepeatedTest(20)
    void everyWidthAndOperationMatchesTheByteByByteReference() {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        for (int w : WIDTHS) {
            for (int op : OPS) {
                for (int n = 0; n <= 40; n++) {
                    check(r, seed, w, op, n);
                }
                check(r, seed, w, op, 1000 + r.nextInt(5000));
            }
        }
    }

    @RepeatedTest(5)
    void xorIntoMatchesByteByByteAtAnyLengthAndOffset() {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        for (int t = 0; t < 300; t++) {
            int n = t < 100 ? t : r.nextInt(5000);
            int so = r.nextInt(9);
            int o = r.nextInt(9);
            byte[] s = bytes(r, so + n + r.nextInt(9), null);
            byte[] d = bytes(r, o + n + r.nextInt(9), null);
            byte[] want = d.clone();
            for (int i = 0; i < n; i++) {
                want[o + i] ^= s[so + i];
            }
            PlaneTransform.xorInto(s, so, d, o, n); // bytes of d outside [o, o+n) compare equal to the originals below
            assertArrayEquals(want, d, "seed " + seed + ", n " + n + ", offsets " + so + ", " + o);
        }
    }

    /** The 16- and 32-bit lane arithmetic of the 2- and 4-byte split and merge, lane by lane, edge values included. */
    @RepeatedTest(5)
    void laneSubtractionAndAdditionKeepToTheirLanes() {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        checkLanes(r, seed, 16, new long[] {0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF, 0x00FF, 0xFF00});
        checkLanes(r, seed, 32, new long[] {0, 1, 0x7FFFFFFFL, 0x80000000L, 0x80000001L, 0xFFFFFFFFL, 0xFFFFL, 0xFFFF0000L});
    }

    private static void checkLanes(Random r, long seed, int bits, long[] edges) {
        long mask = (1L << bits) - 1;
        for (int t = 0; t < 20_000; t++) {
            long a = 0;
            long b = 0;
            for (int lane = 0; lane < 64 / bits; lane++) {
                long x = r.nextBoolean() ? edges[r.nextInt(edges.length)] : r.nextLong() & mask;
                long y = r.nextBoolean() ? edges[r.nextInt(edges.length)] : r.nextLong() & mask;
                a |= x << (bits * lane);
                b |= y << (bits * lane);
            }
            long diff = bits == 16 ? PlaneTransform.sub16(a, b) : PlaneTransform.sub32(a, b);
            long sum = bits == 16 ? PlaneTransform.add16(a, b) : PlaneTransform.add32(a, b);
            for (int lane = 0; lane < 64 / bits; lane++) {
                long x = a >>> (bits * lane) & mask;
                long y = b >>> (bits * lane) & mask;
                String what = "seed " + seed + ": " + bits + "-bit lane " + lane + " of " + Long.toHexString(a) + ", "
                        + Long.toHexString(b);
                assertEquals(x - y & mask, diff >>> (bits * lane) & mask, what + " (difference)");
                assertEquals(x + y & mask, sum >>> (bits * lane) & mask, what + " (sum)");
            }
        }
    }

    @Test
    void carriesCrossEveryByteOfAnElement() {
        Random r = new Random(1);
        for (int w : WIDTHS) {
            int n = 37;
            byte[] src = new byte[n * w];
            byte[] base = new byte[n * w];
            for (int i = 0; i < n * w; i++) {
                src[i] = (byte) (i % w == 0 ? 0 : 0x00); // 0 - base: a borrow through every byte
                base[i] = (byte) (i % 3 == 0 ? 1 : 0xFF);
            }
            byte[] planes = new byte[n * w];
            PlaneTransform.split(src, 0, base, 0, n, w, PlaneTransform.SUB, planes, 0);
            assertArrayEquals(referenceSplit(src, 0, base, 0, n, w, PlaneTransform.SUB), planes, "width " + w);
        }
    }

    /**
     * {@link PlaneTransform#addZigzagPlanes} against merging, adding the unzigzagged difference
     * element by element (two's complement, modulo 2^8w) and splitting again: every width it
     * takes, element counts around the 8-lane loop's stride and large, random bytes (so every
     * carry, sign and wrap-around).
     */
    @RepeatedTest(20)
    void zigzagPlanesAddAsElementsDo(org.junit.jupiter.api.RepetitionInfo rep) {
        long seed = 0x5EED0000L + rep.getCurrentRepetition();
        Random r = new Random(seed);
        for (int w : new int[] {1, 2, 4, 8}) {
            for (int n : new int[] {0, 1, 7, 8, 9, 15, 16, 17, 40, 1000 + r.nextInt(3000)}) {
                byte[] planes = new byte[n * w];
                byte[] z = new byte[n * w];
                r.nextBytes(planes);
                r.nextBytes(z);
                if (r.nextBoolean()) { // small differences too, as a training step's
                    for (int i = 0; i < z.length; i++) {
                        z[i] = i < (w - 1) * n ? 0 : (byte) r.nextInt(8);
                    }
                }
                byte[] want = new byte[n * w];
                for (int i = 0; i < n; i++) {
                    long v = 0;
                    long zz = 0;
                    for (int k = 0; k < w; k++) {
                        v = v << 8 | planes[k * n + i] & 0xFF;
                        zz = zz << 8 | z[k * n + i] & 0xFF;
                    }
                    java.math.BigInteger d = java.math.BigInteger.valueOf(zz >>> 1);
                    if ((zz & 1) != 0) {
                        d = d.negate().subtract(java.math.BigInteger.ONE);
                    }
                    java.math.BigInteger sum = java.math.BigInteger.valueOf(v).add(d);
                    for (int k = 0; k < w; k++) {
                        want[k * n + i] = sum.shiftRight(8 * (w - 1 - k)).byteValue();
                    }
                }
                PlaneTransform.addZigzagPlanes(z, planes, n, w);
                assertArrayEquals(want, planes, "seed " + seed + " width " + w + " n " + n);
            }
        }
    }
}
