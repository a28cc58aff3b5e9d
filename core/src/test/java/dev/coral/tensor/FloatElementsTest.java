package dev.coral.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Half and bfloat16 conversions: every 16-bit pattern survives a round trip through float
 * (NaNs stay NaN), and a float goes to the nearest half / bfloat16, ties to even, checked
 * against its neighbours over seeded random floats and the edges (subnormals, the overflow
 * threshold, zeros).
 */
class FloatElementsTest {
    @Test
    void everyHalfAndBf16PatternRoundTrips() {
        for (int h = 0; h < 0x10000; h++) {
            float f = FloatElements.halfToFloat(h);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(FloatElements.halfToFloat(FloatElements.doubleToHalf(f))), Integer.toHexString(h));
            } else {
                assertEquals(h, FloatElements.doubleToHalf(f), Integer.toHexString(h));
            }
            float g = FloatElements.bf16ToFloat(h);
            if (Float.isNaN(g)) {
                assertTrue(Float.isNaN(FloatElements.bf16ToFloat(FloatElements.doubleToBf16(g))), Integer.toHexString(h));
            } else {
                assertEquals(h, FloatElements.doubleToBf16(g), Integer.toHexString(h));
            }
        }
    }

    @Test
    void halfValuesAreIeee() {
        assertEquals(1.0f, FloatElements.halfToFloat(0x3C00));
        assertEquals(65504f, FloatElements.halfToFloat(0x7BFF));
        assertEquals(0x1p-24f, FloatElements.halfToFloat(0x0001));
        assertEquals(-2.0f, FloatElements.halfToFloat(0xC000));
        assertEquals(Float.POSITIVE_INFINITY, FloatElements.halfToFloat(0x7C00));
        assertEquals(0x7C00, FloatElements.doubleToHalf(65520f)); // the overflow threshold rounds up
        assertEquals(0x7BFF, FloatElements.doubleToHalf(65519.99f));
        assertEquals(0x8000, FloatElements.doubleToHalf(-0.0f));
        assertEquals(0x0000, FloatElements.doubleToHalf(0x1p-26f)); // a quarter of the smallest subnormal
        assertEquals(0x0000, FloatElements.doubleToHalf(0x1p-25f)); // half of it: a tie, to even (0)
        assertEquals(0x0002, FloatElements.doubleToHalf(0x1.8p-24f)); // 1.5 units: a tie, to even (2)
    }

    @Test
    void floatsGoToTheNearestHalfAndBf16TiesToEven() {
        long seed = 2026_12_05L;
        Random r = new Random(seed);
        for (int k = 0; k < 200_000; k++) {
            float f = k % 2 == 0 ? Float.intBitsToFloat(r.nextInt()) : (float) (r.nextGaussian() * Math.pow(2, r.nextInt(40) - 30));
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(FloatElements.halfToFloat(FloatElements.doubleToHalf(f))));
                assertTrue(Float.isNaN(FloatElements.bf16ToFloat(FloatElements.doubleToBf16(f))));
                continue;
            }
            checkNearest(f, FloatElements.doubleToHalf(f), true, seed);
            checkNearest(f, FloatElements.doubleToBf16(f), false, seed);
        }
    }

    private static void checkNearest(float f, int bits, boolean half, long seed) {
        double v = half ? FloatElements.halfToFloat(bits) : FloatElements.bf16ToFloat(bits);
        double max = half ? 65504 : Float.MAX_VALUE;
        if (Double.isInfinite(v)) {
            double limit = half ? 65520 : 0x1.fep127; // halfway between the largest finite and the next step
            assertTrue(Math.abs(f) >= limit || Float.isInfinite(f), f + " went to infinity, seed " + seed);
            return;
        }
        for (int d : new int[] {-1, 1}) {
            int n = (bits & 0x7FFF) + d;
            if (n < 0 || n > (half ? 0x7BFF : 0x7F7F)) {
                continue;
            }
            int neighbour = (bits & 0x8000) | n;
            double w = half ? FloatElements.halfToFloat(neighbour) : FloatElements.bf16ToFloat(neighbour);
            double here = Math.abs(f - v);
            double there = Math.abs(f - w);
            assertTrue(here < there || here == there && (bits & 1) == 0,
                    f + " -> " + Integer.toHexString(bits) + " (" + v + "), but " + w + " is nearer or the even tie, seed " + seed);
        }
        assertTrue(Math.abs(v) <= max);
    }

    @Test
    void doublesGoToTheNearestHalfAndBf16RoundedOnce() {
        long seed = 60_2026L;
        Random r = new Random(seed);
        for (int k = 0; k < 200_000; k++) {
            double d = switch (k % 3) {
                case 0 -> Double.longBitsToDouble(r.nextLong());
                case 1 -> r.nextGaussian() * Math.pow(2, r.nextInt(60) - 40);
                default -> { // near a half or bfloat16 tie: the midpoint of two neighbours, nudged
                    int h = r.nextInt(0x7BFF);
                    double mid = ((double) FloatElements.halfToFloat(h) + FloatElements.halfToFloat(h + 1)) / 2;
                    yield mid + (r.nextInt(3) - 1) * Math.ulp(mid);
                }
            };
            if (Double.isNaN(d)) {
                assertTrue(Float.isNaN(FloatElements.halfToFloat(FloatElements.doubleToHalf(d))));
                assertTrue(Float.isNaN(FloatElements.bf16ToFloat(FloatElements.doubleToBf16(d))));
                continue;
            }
            checkNearestDouble(d, FloatElements.doubleToHalf(d), true, seed);
            checkNearestDouble(d, FloatElements.doubleToBf16(d), false, seed);
        }
    }

    private static void checkNearestDouble(double d, int bits, boolean half, long seed) {
        double v = half ? FloatElements.halfToFloat(bits) : FloatElements.bf16ToFloat(bits);
        assertEquals(Math.copySign(1.0, d), Math.copySign(1.0, v), d + ": sign, seed " + seed);
        if (Double.isInfinite(v)) {
            double limit = half ? 65520 : 0x1.fep127;
            assertTrue(Math.abs(d) >= limit, d + " went to infinity, seed " + seed);
            return;
        }
        for (int step : new int[] {-1, 1}) {
            int n = (bits & 0x7FFF) + step;
            if (n < 0 || n > (half ? 0x7BFF : 0x7F7F)) {
                continue;
            }
            double w = half ? FloatElements.halfToFloat((bits & 0x8000) | n) : FloatElements.bf16ToFloat((bits & 0x8000) | n);
            double here = Math.abs(d - v);
            double there = Math.abs(d - w);
            assertTrue(here < there || here == there && (bits & 1) == 0,
                    d + " -> " + Integer.toHexString(bits) + " (" + v + "), but " + w + " is nearer or the even tie, seed " + seed);
        }
    }
}
