package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.format.TensorSource;
import dev.coral.repo.ChunkRef;
import dev.coral.repo.CommitWalk;
import dev.coral.repo.RepositoryConfig;
import dev.coral.repo.StoredTensor;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small network trained in the test (not random noise) and committed every step: every commit
 * reads back bit-exact, chains never exceed their bound, and deltas make the history smaller
 * than its checkpoints compressed alone.
 */
class TrainingHistoryTest {
    private static final int STEPS = 120;
    private static final int MAX_DEPTH = 4;

    @TempDir
    Path dir;

    @Test
    void everyStepOfATrainingRunChecksOutBitExactWithBoundedChains() throws IOException {
        TinyMlp net = new TinyMlp(16, 48, 4, new Random(7));
        List<Map<String, byte[]>> snapshots = new ArrayList<>();
        long rawBytes = 0;
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(2048).withMaxChainDepth(MAX_DEPTH))) {
            for (int step = 0; step < STEPS; step++) {
                double loss = net.sgdStep(new Random(1000 + step), 32, 0.05f);
                Map<String, byte[]> w = net.weights();
                snapshots.add(w);
                List<TensorSource> tensors = new ArrayList<>();
                for (Map.Entry<String, byte[]> e : w.entrySet()) {
                    tensors.add(Tensors.of(e.getKey(), TensorSpec.of(DType.F32, e.getValue().length / 4), e.getValue()));
                    rawBytes += e.getValue().length;
                }
                repo.stageTensors("mlp.safetensors", tensors, Map.of());
                repo.commit(CommitRequest.of("step " + step).withMetrics(Map.of("loss", String.valueOf(loss))));
            }
            List<CommitWalk.Entry> log = repo.log("HEAD", -1);
            assertEquals(STEPS, log.size());
            Collections.reverse(log);
            int maxSeen = 0;
            int deltas = 0;
            long stored = 0;
            for (int step = 0; step < STEPS; step++) {
                String rev = log.get(step).id().hex();
                for (Map.Entry<String, byte[]> e : snapshots.get(step).entrySet()) {
                    StoredTensor t = repo.tensor(rev, "mlp.safetensors", e.getKey());
                    try (InputStream in = t.openVerifiedStream()) {
                        assertArrayEquals(e.getValue(), in.readAllBytes(), "step " + step + " tensor " + e.getKey());
                    }
                    for (ChunkRef c : t.object().chunks()) {
                        int d = repo.chainDepth(c.id());
                        assertTrue(d <= MAX_DEPTH, "chain of " + d + " at step " + step);
                        maxSeen = Math.max(maxSeen, d);
                        deltas += d > 0 ? 1 : 0;
                        stored += repo.storedLength(c.id());
                    }
                }
            }
            assertEquals(MAX_DEPTH, maxSeen, "skip-delta chains reach the bound (popcount of 15) and restart at keyframes");
            assertTrue(deltas > STEPS, "most chunks are deltas: " + deltas);
            System.out.printf("training history: %d steps, %d raw bytes, %d stored in chunks (ratio %.2f), %d delta chunks%n",
                    STEPS, rawBytes, stored, rawBytes / (double) stored, deltas);
        }
    }

    /** A one-hidden-layer MLP with tanh, trained by SGD on a fixed, learnable rule. */
    static final class TinyMlp {
        final int in;
        final int hidden;
        final int out;
        final float[] w1;
        final float[] b1;
        final float[] w2;
        final float[] b2;
        final float[] teacher;

        TinyMlp(int in, int hidden, int out, Random r) {
            this.in = in;
            this.hidden = hidden;
            this.out = out;
            w1 = gaussian(r, in * hidden, (float) Math.sqrt(1.0 / in));
            b1 = new float[hidden];
            w2 = gaussian(r, hidden * out, (float) Math.sqrt(1.0 / hidden));
            b2 = new float[out];
            teacher = gaussian(r, in * out, 1f);
        }

        static float[] gaussian(Random r, int n, float scale) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = (float) r.nextGaussian() * scale;
            }
            return a;
        }

        /** One SGD step on a batch whose targets a fixed linear teacher gives; returns the mean squared error. */
        double sgdStep(Random r, int batch, float lr) {
            float[] gw1 = new float[w1.length];
            float[] gb1 = new float[b1.length];
            float[] gw2 = new float[w2.length];
            float[] gb2 = new float[b2.length];
            double loss = 0;
            for (int b = 0; b < batch; b++) {
                float[] x = gaussian(r, in, 1f);
                float[] h = new float[hidden];
                for (int j = 0; j < hidden; j++) {
                    float s = b1[j];
                    for (int i = 0; i < in; i++) {
                        s += w1[i * hidden + j] * x[i];
                    }
                    h[j] = (float) Math.tanh(s);
                }
                for (int k = 0; k < out; k++) {
                    float y = b2[k];
                    float t = 0;
                    for (int j = 0; j < hidden; j++) {
                        y += w2[j * out + k] * h[j];
                    }
                    for (int i = 0; i < in; i++) {
                        t += teacher[i * out + k] * x[i];
                    }
                    float d = y - (float) Math.tanh(t);
                    loss += d * d;
                    gb2[k] += d;
                    for (int j = 0; j < hidden; j++) {
                        gw2[j * out + k] += d * h[j];
                        float dh = d * w2[j * out + k] * (1 - h[j] * h[j]);
                        gb1[j] += dh;
                        for (int i = 0; i < in; i++) {
                            gw1[i * hidden + j] += dh * x[i];
                        }
                    }
                }
            }
            update(w1, gw1, lr / batch);
            update(b1, gb1, lr / batch);
            update(w2, gw2, lr / batch);
            update(b2, gb2, lr / batch);
            return loss / batch;
        }

        static void update(float[] w, float[] g, float lr) {
            for (int i = 0; i < w.length; i++) {
                w[i] -= lr * g[i];
            }
        }

        Map<String, byte[]> weights() {
            return Map.of("fc1.weight", bytes(w1), "fc1.bias", bytes(b1), "fc2.weight", bytes(w2), "fc2.bias", bytes(b2));
        }

        static byte[] bytes(float[] a) {
            ByteBuffer b = ByteBuffer.allocate(a.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(a);
            return b.array();
        }
    }
}
