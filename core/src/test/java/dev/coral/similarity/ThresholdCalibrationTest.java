package dev.coral.similarity;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import dev.coral.tensor.DType;
import dev.coral.tensor.Shape;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Where the default threshold comes from: for fine-tunes of growing update size, the check's
 * high-byte agreement against what an XOR delta actually gains over plain byte planes (both
 * with zstd -3 per plane). A candidate that passes the default check gains; one below 0.4 loses.
 */
class ThresholdCalibrationTest {
    static final long SEED = 5;

    static long planesZstd(byte[] b, int w) {
        int n = b.length / w;
        long total = 0;
        byte[] plane = new byte[n];
        for (int p = 0; p < w; p++) {
            for (int i = 0; i < n; i++) {
                plane[i] = b[i * w + p];
            }
            total += Math.min(n, Zstd.compress(plane, 3).length);
        }
        return total;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16"})
    void passingTheDefaultCheckMeansTheXorDeltaGains(DType t) {
        Random r = new Random(SEED);
        int n = 200_000;
        float[] base = SimilarityTestData.gaussian(r, n, 0.05);
        SimilarityCheck check = new SimilarityCheck();
        int w = t == DType.F32 ? 4 : 2;
        byte[] bb = t == DType.F32 ? SimilarityTestData.f32(base) : SimilarityTestData.bf16(base);
        byte[] baseSample = new SketchBuilder(t, Shape.of(n)).update(0, bb).sampleBytes();
        for (double lr : new double[] {1e-4, 1e-3, 1e-2, 2e-2, 3e-2, 5e-2, 7e-2, 1e-1, 2e-1}) {
            float[] ft = new float[n];
            for (int i = 0; i < n; i++) {
                ft[i] = (float) (base[i] + lr * r.nextGaussian());
            }
            byte[] fb = t == DType.F32 ? SimilarityTestData.f32(ft) : SimilarityTestData.bf16(ft);
            byte[] x = new byte[fb.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = (byte) (fb[i] ^ bb[i]);
            }
            double gain = (double) planesZstd(fb, w) / planesZstd(x, w);
            SimilarityCheck.Result res = check.compare(t, new SketchBuilder(t, Shape.of(n)).update(0, fb).sampleBytes(), baseSample);
            String row = String.format("%s seed=%d lr=%.4f: high-byte agreement %.3f, equal leading bits %.1f, XOR delta gain over planes %.3f",
                    t, SEED, lr, res.agreement(), res.meanEqualLeadingBits(), gain);
            System.out.println(row);
            if (res.similar()) {
                assertTrue(gain > 1.01, row);
            }
            if (res.agreement() < 0.4) {
                assertTrue(gain < 1.0, row);
            }
        }
    }
}
