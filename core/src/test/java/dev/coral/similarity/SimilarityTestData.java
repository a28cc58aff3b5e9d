package dev.coral.similarity;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A seeded family of fp32 tensors: a base w ~ N(0, 0.05), fine-tunes w + lr * N(0, 1) drawn
 * independently of each other, and unrelated tensors from the same distribution; BF16 copies are
 * the top two bytes of each fp32 element (truncation).
 */
final class SimilarityTestData {
    static final double[] LEARNING_RATES = {1e-3, 2.5e-3, 5e-3, 1e-2};

    final long seed;
    final int n;
    final float[] base;
    final List<float[]> fineTunes = new ArrayList<>();
    final List<float[]> unrelated = new ArrayList<>();

    SimilarityTestData(long seed, int n, int unrelatedCount) {
        this.seed = seed;
        this.n = n;
        Random r = new Random(seed);
        base = gaussian(r, n, 0.05);
        for (double lr : LEARNING_RATES) {
            float[] ft = new float[n];
            for (int i = 0; i < n; i++) {
                ft[i] = (float) (base[i] + lr * r.nextGaussian());
            }
            fineTunes.add(ft);
        }
        for (int u = 0; u < unrelatedCount; u++) {
            unrelated.add(gaussian(r, n, 0.05));
        }
    }

    static float[] gaussian(Random r, int n, double std) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) (r.nextGaussian() * std);
        }
        return w;
    }

    static byte[] f32(float[] w) {
        ByteBuffer b = ByteBuffer.allocate(4 * w.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : w) {
            b.putFloat(x);
        }
        return b.array();
    }

    /** BF16 by truncation: the top two bytes of each fp32 element. */
    static byte[] bf16(float[] w) {
        ByteBuffer b = ByteBuffer.allocate(2 * w.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : w) {
            b.putShort((short) (Float.floatToRawIntBits(x) >>> 16));
        }
        return b.array();
    }
}
