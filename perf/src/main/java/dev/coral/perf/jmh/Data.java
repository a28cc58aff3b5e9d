package dev.coral.perf.jmh;

import dev.coral.perf.codec.CodecFigures;
import java.util.SplittableRandom;

/**
 * Realistic weight bytes for the benchmarks, as {@code dev.coral.perf.codec.CodecFigures} makes
 * them: fp32 weights w0 ~ N(0, 0.05), a gradient g ~ N(0, 0.05) and the next training step
 * w1 = w0 - 1e-3 * g; BF16 as the top 2 bytes of each fp32; int8 as a symmetric quantisation
 * of the same weights (scale: 4 sigma = 127). All little-endian, seeded (reproducible).
 */
public final class Data {
    public static final double SIGMA = 0.05;
    public static final double LR = 1e-3;

    private Data() {
    }

    /** {w0, w1}: {@code n} fp32 weights and their next step. */
    public static float[][] steps(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w0 = new float[n];
        float[] w1 = new float[n];
        for (int i = 0; i < n; i++) {
            w0[i] = (float) (r.nextGaussian() * SIGMA);
        }
        for (int i = 0; i < n; i++) {
            w1[i] = (float) (w0[i] - LR * r.nextGaussian() * SIGMA);
        }
        return new float[][] {w0, w1};
    }

    public static byte[] fp32(float[] v) {
        return CodecFigures.fp32(v);
    }

    /** BF16 as the top 2 bytes of each fp32 (truncation). */
    public static byte[] bf16(float[] v) {
        return CodecFigures.bf16(v);
    }

    /** Symmetric int8 quantisation, scale 4 sigma / 127, clamped to [-127, 127]. */
    public static byte[] int8(float[] v) {
        double scale = 4 * SIGMA / 127;
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            long q = Math.round(v[i] / scale);
            b[i] = (byte) Math.max(-127, Math.min(127, q));
        }
        return b;
    }
}
