package dev.coral.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.tensor.DType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class LossyQuantizerTest {
    private static final double[] EPS = {1e-1, 1e-3, 1e-4, 1e-5, 1e-7, 1e-30, 1e-45, 3.0, 1e30};

    /** A float from a mix of scales, signs, subnormals, zeros and extremes. */
    private static float anyFloat(SplittableRandom r) {
        return switch (r.nextInt(8)) {
            case 0 -> Float.intBitsToFloat(r.nextInt()); // any pattern, NaN and inf included
            case 1 -> (float) (r.nextGaussian() * 0.05);
            case 2 -> (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-12, 12)));
            case 3 -> Float.intBitsToFloat(r.nextInt(0, 1 << 23) | (r.nextBoolean() ? 1 << 31 : 0)); // subnormal
            case 4 -> r.nextBoolean() ? 0.0f : -0.0f;
            case 5 -> r.nextBoolean() ? Float.MAX_VALUE : -Float.MIN_NORMAL;
            default -> (float) (r.nextGaussian() * 1e-4);
        };
    }

    private static float near(float b, SplittableRandom r) {
        return r.nextInt(4) == 0 ? anyFloat(r) : (float) (b + r.nextGaussian() * Math.pow(10, r.nextInt(-9, 0)));
    }

    @RepeatedTest(20)
    void everyFloatIsWithinTheBoundAndSnapsToItsBaseWhenItCan(RepetitionInfo rep) {
        long seed = 0xC0FFEEL + rep.getCurrentRepetition();
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 20_000; i++) {
            float b = anyFloat(r);
            float w = near(b, r);
            double eps = EPS[r.nextInt(EPS.length)];
            String what = "seed " + seed + ", w " + w + " (" + Integer.toHexString(Float.floatToRawIntBits(w)) + "), b " + b + ", eps " + eps;
            if (!Float.isFinite(w) || !Float.isFinite(b)) {
                continue; // the stream keeps these as they are (below)
            }
            float q = LossyQuantizer.quantize(w, b, eps);
            assertTrue(Math.abs((double) q - w) <= eps, what + ": got " + q);
            if (Math.abs((double) b - w) <= eps) {
                assertEquals(Float.floatToRawIntBits(b), Float.floatToRawIntBits(q), what + ": within eps of its base");
            }
            double dw = r.nextGaussian() * Math.pow(10, r.nextInt(-300, 300));
            double db = r.nextInt(4) == 0 ? r.nextGaussian() : dw + r.nextGaussian() * Math.pow(10, r.nextInt(-320, 300));
            double de = Math.pow(10, r.nextInt(-320, 300));
            if (Double.isFinite(dw) && Double.isFinite(db)) {
                double dq = LossyQuantizer.quantize(dw, db, de);
                assertTrue(Math.abs(dq - dw) <= de, "seed " + seed + ": double " + dw + " against " + db + ", eps " + de + ": got " + dq);
            }
        }
    }

    @RepeatedTest(10)
    void everyHalfIsWithinTheBoundAndSnapsToItsBaseWhenItCan(RepetitionInfo rep) {
        long seed = 0xBF16L + rep.getCurrentRepetition();
        SplittableRandom r = new SplittableRandom(seed);
        for (boolean brain : new boolean[] {true, false}) {
            for (int i = 0; i < 20_000; i++) {
                float bf = anyFloat(r);
                float wf = near(bf, r);
                int bb = brain ? Float.floatToRawIntBits(bf) >>> 16 : r.nextInt(1 << 16);
                int wb = brain ? Float.floatToRawIntBits(wf) >>> 16 : (r.nextBoolean() ? r.nextInt(1 << 16) : bb + r.nextInt(-64, 64) & 0xFFFF);
                double eps = EPS[r.nextInt(EPS.length)];
                float w = brain ? Float.intBitsToFloat(wb << 16) : dev.coral.tensor.FloatElements.halfToFloat(wb);
                float b = brain ? Float.intBitsToFloat(bb << 16) : dev.coral.tensor.FloatElements.halfToFloat(bb);
                int q = LossyQuantizer.quantize16(wb, bb, eps, brain);
                String what = "seed " + seed + (brain ? ", BF16 " : ", F16 ") + Integer.toHexString(wb) + " against "
                        + Integer.toHexString(bb) + ", eps " + eps + ": got " + Integer.toHexString(q);
                assertEquals(0, q & ~0xFFFF, what);
                if (!Float.isFinite(w) || !Float.isFinite(b)) {
                    assertEquals(wb, q, what);
                    continue;
                }
                float v = brain ? Float.intBitsToFloat(q << 16) : dev.coral.tensor.FloatElements.halfToFloat(q);
                assertTrue(Math.abs((double) v - w) <= eps, what);
                if (Math.abs((double) b - w) <= eps) {
                    assertEquals(bb, q, what + ": within eps of its base");
                }
            }
        }
    }

    @Test
    void theSimplestIntegerOfARangeHasTheMostTrailingZeros() {
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < 5_000; i++) {
            long from = 1 + r.nextInt(4096);
            long to = from + r.nextInt(r.nextBoolean() ? 8 : 4096);
            long best = from;
            for (long x = from; x <= to; x++) {
                if (Long.numberOfTrailingZeros(x) > Long.numberOfTrailingZeros(best)) {
                    best = x;
                }
            }
            assertEquals(best, LossyQuantizer.simplest(from, to), "[" + from + ", " + to + "]");
        }
        for (int i = 0; i < 100_000; i++) {
            int from = r.nextInt(-(1 << 30), 1 << 30);
            int to = from + r.nextInt(r.nextBoolean() ? 16 : 1 << 20);
            long want = from > 0 ? LossyQuantizer.simplest(from, to) : to < 0 ? -LossyQuantizer.simplest(-to, -from) : 0;
            assertEquals(want, LossyQuantizer.nearZero(from, to), "[" + from + ", " + to + "]");
        }
        assertEquals(1L << 62, LossyQuantizer.simplest(3, Long.MAX_VALUE));
        assertEquals(7, LossyQuantizer.simplest(7, 7));
    }

    /** What the quantizer leaves of an Adam-like step: mostly zero low bytes in the delta. */
    @Test
    void aMovedElementDiffersFromItsBaseInHighBitsOnly() throws IOException {
        SplittableRandom r = new SplittableRandom(9);
        int n = 50_000;
        ByteBuffer w = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            float base = (float) (r.nextGaussian() * 0.05);
            b.putFloat(base);
            w.putFloat((float) (base + r.nextGaussian() * 1e-3));
        }
        byte[] out;
        try (InputStream q = new LossyQuantizer(new ByteArrayInputStream(w.array()), new ByteArrayInputStream(b.array()), DType.F32, 1e-4)) {
            out = q.readAllBytes();
        }
        ByteBuffer o = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        int lowByteZero = 0;
        for (int i = 0; i < n; i++) {
            int d = o.getInt(4 * i) - b.getInt(4 * i);
            assertTrue(Math.abs((double) o.getFloat(4 * i) - w.getFloat(4 * i)) <= 1e-4, "element " + i);
            lowByteZero += (d & 0xFF) == 0 ? 1 : 0;
        }
        assertTrue(lowByteZero > n * 99L / 100, lowByteZero + " of " + n + " deltas have a zero low byte");
    }

    /** An element that crossed zero flips the sign bit; its magnitude keeps the base's low bits. */
    @Test
    void anElementThatCrossedZeroKeepsItsBasesLowBits() {
        SplittableRandom r = new SplittableRandom(12);
        int crossed = 0;
        for (int i = 0; i < 200_000; i++) {
            float b = (float) (r.nextGaussian() * 1e-3);
            float w = (float) (b + r.nextGaussian() * 2e-3);
            if ((Float.floatToRawIntBits(w) ^ Float.floatToRawIntBits(b)) >= 0 || Math.abs(w) <= 1e-4) {
                continue;
            }
            crossed++;
            float q = LossyQuantizer.quantize(w, b, 1e-4);
            int x = Float.floatToRawIntBits(q) ^ Float.floatToRawIntBits(b);
            assertTrue(x < 0 && (x & 0xFFFF) == 0, w + " against " + b + ": " + q + " (xor " + Integer.toHexString(x) + ")");
            int wh = Float.floatToRawIntBits(w) >>> 16;
            if (Math.abs(Float.intBitsToFloat(wh << 16)) > 1e-4) { // still past eps once cut to BF16
                int hx = LossyQuantizer.quantize16(wh, Float.floatToRawIntBits(b) >>> 16, 1e-4, true) ^ Float.floatToRawIntBits(b) >>> 16;
                assertTrue((hx & 0x8000) != 0 && (hx & 1) == 0, "BF16 " + w + " against " + b + ": xor " + Integer.toHexString(hx));
            }
        }
        assertTrue(crossed > 10_000, crossed + " crossed");
    }

    /** BF16 too, where EPS spans a few of its steps: a moved element's delta ends in zero bits. */
    @Test
    void aMovedBf16ElementDiffersFromItsBaseInHighBitsOnly() {
        SplittableRandom r = new SplittableRandom(10);
        int moved = 0;
        int lowBitsZero = 0;
        for (int i = 0; i < 50_000; i++) {
            float base = (float) (r.nextGaussian() * 0.05);
            int bb = Float.floatToRawIntBits(base) >>> 16;
            int wb = Float.floatToRawIntBits((float) (Float.intBitsToFloat(bb << 16) + r.nextGaussian() * 2e-3)) >>> 16;
            int d = LossyQuantizer.quantize16(wb, bb, 5e-4, true) - bb;
            if (d != 0) {
                moved++;
                lowBitsZero += (d & 3) == 0 ? 1 : 0;
            }
        }
        assertTrue(moved > 10_000 && lowBitsZero > moved * 9L / 10, lowBitsZero + " of " + moved + " moved elements end in two zero bits");
    }

    @Test
    void nonFiniteValuesPassThrough() throws IOException {
        float[] w = {Float.NaN, Float.intBitsToFloat(0x7FC12345), Float.POSITIVE_INFINITY, 1.0f, 2.0f};
        float[] b = {1.0f, 1.0f, 1.0f, Float.NaN, Float.NEGATIVE_INFINITY};
        ByteBuffer wb = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer bb = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 5; i++) {
            wb.putInt(Float.floatToRawIntBits(w[i]));
            bb.putInt(Float.floatToRawIntBits(b[i]));
        }
        try (InputStream q = new LossyQuantizer(new ByteArrayInputStream(wb.array()), new ByteArrayInputStream(bb.array()), DType.F32, 10)) {
            assertEquals(java.util.Arrays.toString(wb.array()), java.util.Arrays.toString(q.readAllBytes()));
        }
    }
}
