package dev.coral.codec;

import dev.coral.error.CorruptObjectException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assertions;

/** Seeded generators of chunk contents and bases for the codec tests. */
final class CodecTestData {
    private CodecTestData() {
    }

    enum Content { RANDOM_BITS, NAN_PAYLOADS, SIGNED_ZEROS_INFS, SUBNORMALS, GAUSSIAN, ALL_ZERO, CONSTANT, SMALL_INTS }

    enum Base { NONE, EQUAL, RANDOM, NEARLY_EQUAL }

    /** A chunk and its base (null for {@link Base#NONE}). */
    record Pair(byte[] raw, byte[] base) {
    }

    private static Pair last;
    private static String lastKey;

    /** As {@link #generate}, remembering the last pair (the round-trip cases run every codec on one input in a row). */
    static synchronized Pair cached(Content content, Base baseKind, int w, int elements, long seed) {
        String key = content + "/" + baseKind + "/" + w + "/" + elements + "/" + seed;
        if (!key.equals(lastKey)) {
            last = generate(content, baseKind, w, elements, seed);
            lastKey = key;
        }
        return last;
    }

    static Pair generate(Content content, Base baseKind, int w, int elements, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int len = elements * w;
        byte[] raw = new byte[len];
        byte[] base = null;
        boolean realisticUpdate = content == Content.GAUSSIAN && baseKind == Base.NEARLY_EQUAL;
        if (realisticUpdate) {
            // a training step: w1 = w0 - lr * g, g ~ N(0,1) * 0.05, in the element's own precision
            base = new byte[len];
            double lr = new double[] {1e-3, 1e-4, 1e-5}[r.nextInt(3)];
            for (int i = 0; i < elements; i++) {
                double w0 = round(r.nextGaussian() * 0.05, w);
                double g = r.nextGaussian() * 0.05;
                putValue(base, i * w, w, w0);
                putValue(raw, i * w, w, w0 - lr * g);
            }
            return new Pair(raw, base);
        }
        if (content == Content.RANDOM_BITS) {
            r.nextBytes(raw);
        }
        for (int i = 0; i < elements && content != Content.RANDOM_BITS; i++) {
            int at = i * w;
            switch (content) {
                case RANDOM_BITS -> throw new AssertionError();
                case NAN_PAYLOADS -> putNaN(r, raw, at, w);
                case SIGNED_ZEROS_INFS -> {
                    switch (r.nextInt(6)) {
                        case 0 -> putValue(raw, at, w, 0.0);
                        case 1 -> putValue(raw, at, w, -0.0);
                        case 2 -> putValue(raw, at, w, Double.POSITIVE_INFINITY);
                        case 3 -> putValue(raw, at, w, Double.NEGATIVE_INFINITY);
                        case 4 -> putNaN(r, raw, at, w);
                        default -> putSubnormal(r, raw, at, w);
                    }
                }
                case SUBNORMALS -> putSubnormal(r, raw, at, w);
                case GAUSSIAN -> putValue(raw, at, w, r.nextGaussian() * 0.05);
                case ALL_ZERO -> {
                }
                case CONSTANT -> {
                    if (i == 0) {
                        randomBytes(r, raw, 0, w);
                    } else {
                        System.arraycopy(raw, 0, raw, at, w);
                    }
                }
                case SMALL_INTS -> {
                    long v = r.nextInt(2000) - 1000;
                    for (int b = 0; b < w; b++) {
                        raw[at + b] = (byte) (b < 8 ? v >> (8 * b) : v >> 63);
                    }
                }
            }
        }
        switch (baseKind) {
            case NONE -> base = null;
            case EQUAL -> base = raw.clone();
            case RANDOM -> {
                base = new byte[len];
                r.nextBytes(base);
            }
            case NEARLY_EQUAL -> {
                base = raw.clone();
                for (int i = 0; i < elements; i++) {
                    if (r.nextInt(10) == 0) {
                        base[i * w] ^= (byte) (1 + r.nextInt(255)); // low byte
                    }
                    if (r.nextInt(100) == 0) {
                        base[i * w + r.nextInt(w)] ^= (byte) (1 << r.nextInt(8)); // any bit
                    }
                }
            }
        }
        return new Pair(raw, base);
    }

    private static void randomBytes(SplittableRandom r, byte[] a, int at, int n) {
        for (int i = 0; i < n; i++) {
            a[at + i] = (byte) r.nextInt(256);
        }
    }

    /** Rounds to what the element can hold, so a base value is exactly representable. */
    private static double round(double v, int w) {
        return switch (w) {
            case 4, 1, 2 -> (float) v;
            default -> v;
        };
    }

    private static void putLong(byte[] a, int at, int n, long v) {
        for (int i = 0; i < n; i++) {
            a[at + i] = (byte) (v >>> (8 * i));
        }
    }

    /**
     * Little-endian bits of v: w=1 top byte of fp32, w=2 BF16 (top half of fp32), w=4 fp32,
     * w=8 fp64, w=16 x87 80-bit extended in 16 bytes.
     */
    static void putValue(byte[] a, int at, int w, double v) {
        switch (w) {
            case 1 -> a[at] = (byte) (Float.floatToRawIntBits((float) v) >>> 24);
            case 2 -> putLong(a, at, 2, Float.floatToRawIntBits((float) v) >>> 16);
            case 4 -> putLong(a, at, 4, Float.floatToRawIntBits((float) v));
            case 8 -> putLong(a, at, 8, Double.doubleToRawLongBits(v));
            default -> {
                long bits = Double.doubleToRawLongBits(v);
                int sign = (int) (bits >>> 63);
                int e11 = (int) (bits >>> 52) & 0x7FF;
                long frac = bits & ((1L << 52) - 1);
                int e15;
                long mant;
                if (e11 == 0 && frac == 0) {
                    e15 = 0;
                    mant = 0;
                } else if (e11 == 0x7FF) {
                    e15 = 0x7FFF;
                    mant = (1L << 63) | (frac << 11);
                } else if (e11 == 0) {
                    int shift = Long.numberOfLeadingZeros(frac) - 11;
                    e15 = 1 - 1023 - shift + 16383;
                    mant = (1L << 63) | ((frac << shift) & ((1L << 52) - 1)) << 11;
                } else {
                    e15 = e11 - 1023 + 16383;
                    mant = (1L << 63) | (frac << 11);
                }
                putLong(a, at, 8, mant);
                putLong(a, at + 8, 2, (long) (sign << 15 | e15));
                putLong(a, at + 10, 6, 0);
            }
        }
    }

    static void putNaN(SplittableRandom r, byte[] a, int at, int w) {
        long sign = r.nextBoolean() ? 1 : 0;
        switch (w) {
            case 1 -> a[at] = (byte) (sign << 7 | 0x7C | (1 + r.nextInt(3))); // E5M2 NaNs
            case 2 -> {
                long v = r.nextBoolean()
                        ? sign << 15 | 0x7C00 | (1 + r.nextInt(0x3FF)) // F16
                        : sign << 15 | 0x7F80 | (1 + r.nextInt(0x7F)); // BF16
                putLong(a, at, 2, v);
            }
            case 4 -> putLong(a, at, 4, sign << 31 | 0x7F800000L | (1 + r.nextInt(0x7FFFFF)));
            case 8 -> putLong(a, at, 8, sign << 63 | 0x7FF0000000000000L | (1 + (r.nextLong() >>> 13)));
            default -> {
                putLong(a, at, 8, (1L << 63) | (1 + (r.nextLong() >>> 2)));
                putLong(a, at + 8, 2, sign << 15 | 0x7FFF);
                if (r.nextBoolean()) {
                    randomBytes(r, a, at + 10, 6); // padding garbage, as some writers leave it
                } else {
                    putLong(a, at + 10, 6, 0);
                }
            }
        }
    }

    static void putSubnormal(SplittableRandom r, byte[] a, int at, int w) {
        long sign = r.nextBoolean() ? 1 : 0;
        switch (w) {
            case 1 -> a[at] = (byte) (sign << 7 | (1 + r.nextInt(7)));
            case 2 -> putLong(a, at, 2, sign << 15 | (1 + r.nextInt(0x7F)));
            case 4 -> putLong(a, at, 4, sign << 31 | (1 + r.nextInt(0x7FFFFF)));
            case 8 -> putLong(a, at, 8, sign << 63 | (1 + (r.nextLong() >>> 12)));
            default -> {
                putLong(a, at, 8, 1 + (r.nextLong() >>> 1));
                putLong(a, at + 8, 2, sign << 15);
                putLong(a, at + 10, 6, 0);
            }
        }
    }

    /**
     * Adam steps: every weight moves by about lr = 1e-3 a step, whatever its size. With
     * {@code mixedMagnitudes} the weights span three decades (contexts matter); without, they are
     * trained-like N(0, 0.05), and few change sign or cross a power of two in a step (the perf
     * MLP's checkpoints: 6.8% of the top bytes of a step's XOR change).
     */
    static byte[][] adamHistory(int w, int n, int steps, long seed, boolean mixedMagnitudes) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextGaussian() * (mixedMagnitudes ? Math.pow(10, -r.nextInt(3)) * 0.1 : 0.05);
        }
        byte[][] out = new byte[steps][n * w];
        for (int s = 0; s < steps; s++) {
            for (int i = 0; i < n; i++) {
                x[i] -= 1e-3 * (r.nextBoolean() ? 1 : -1) * (0.5 + r.nextDouble());
                putValue(out[s], i * w, w, x[i]);
            }
        }
        return out;
    }

    /** Decodes a damaged encoding {@code d[0, len)}; trial says which damage it is. */
    interface DamagedDecode {
        void decode(byte[] d, int len, int trial) throws CorruptObjectException;
    }

    /**
     * {@code trials} damages of {@code enc}: a flipped byte, a cut, or four bytes of its first
     * {@code headerSpan} rewritten. Each must decode or throw CorruptObjectException; anything
     * else fails the test, naming the trial.
     */
    static void assertDamageOnlyCorrupts(byte[] enc, long seed, int trials, int headerSpan, DamagedDecode decode) {
        SplittableRandom r = new SplittableRandom(seed);
        int len = enc.length;
        for (int trial = 0; trial < trials; trial++) {
            byte[] d = Arrays.copyOf(enc, len + 8);
            int dl = len;
            switch (trial % 3) {
                case 0 -> d[r.nextInt(len)] ^= (byte) (1 + r.nextInt(255));
                case 1 -> dl = r.nextInt(len);
                default -> {
                    for (int k = 0; k < 4; k++) {
                        d[r.nextInt(Math.min(len, headerSpan))] = (byte) r.nextInt(256);
                    }
                }
            }
            try {
                decode.decode(d, dl, trial);
            } catch (CorruptObjectException expected) {
                // named damage
            } catch (RuntimeException e) {
                Assertions.fail("seed " + seed + ", trial " + trial + ": " + e, e);
            }
        }
    }

    /** Trained-like N(0, 0.05) weights of width w (BF16, fp32, fp64), seeded. */
    static byte[] gaussianWeights(int w, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] raw = new byte[n * w];
        for (int i = 0; i < n; i++) {
            putValue(raw, i * w, w, r.nextGaussian() * 0.05);
        }
        return raw;
    }

    /** {@code p} decodes to {@code raw} into elements, and into planes (as a chain read begins) that merge to them. */
    static void assertDecodesBothWays(byte[] p, byte[] raw, int w, String what, CodecWorkspace ws) throws CorruptObjectException {
        byte[] back = new byte[raw.length];
        ChunkDecoder.decode(p, 0, p.length, null, 0, back, 0, raw.length, w, ws);
        Assertions.assertArrayEquals(raw, back, what);
        byte[] planes = new byte[raw.length];
        Arrays.fill(planes, (byte) 0x5A); // a keyframe overwrites whatever the buffer held
        ChunkDecoder.decodeInPlaneSpace(p, 0, p.length, raw.length, w, planes, ws);
        byte[] merged = new byte[raw.length];
        ChunkDecoder.mergePlanes(planes, raw.length, w, merged);
        Assertions.assertArrayEquals(raw, merged, what + ", in plane space");
    }

    /**
     * The history h encoded as a PLANES keyframe, whose frame must carry {@code keyframeFlags},
     * then XOR deltas each against the step before (no layout flag), decoded in plane space.
     */
    static void assertLayoutChainDecodes(byte[][] h, int w, int keyframeFlags, CodecWorkspace ws) throws CorruptObjectException {
        byte[][] payloads = new byte[h.length][];
        payloads[0] = ChunkEncoder.encode(ChunkCodec.PLANES, h[0], 0, h[0].length, w, null, 1).data();
        Assertions.assertEquals(keyframeFlags, payloads[0][2], "the keyframe's layout");
        for (int s = 1; s < h.length; s++) {
            payloads[s] = ChunkEncoder.encode(ChunkCodec.XOR_PLANES, h[s], 0, h[s].length, w, h[s - 1], 1).data();
            Assertions.assertEquals(0, payloads[s][2], "deltas keep the elements' own planes");
        }
        assertChainDecodesInPlaneSpace(h, payloads, w, ws);
    }

    /** Decodes the chain of payloads (a keyframe, then deltas) in plane space: each step must merge back to h[s]. */
    static void assertChainDecodesInPlaneSpace(byte[][] h, byte[][] payloads, int w, CodecWorkspace ws) throws CorruptObjectException {
        int len = h[0].length;
        byte[] planes = new byte[len];
        for (int s = 0; s < h.length; s++) {
            ChunkDecoder.decodeInPlaneSpace(payloads[s], 0, payloads[s].length, len, w, planes, ws);
            byte[] merged = new byte[len];
            ChunkDecoder.mergePlanes(planes, len, w, merged);
            if (!Arrays.equals(h[s], merged)) {
                Assertions.fail("width " + w + ": the chain decoded in plane space differs at step " + s);
            }
        }
    }
}
