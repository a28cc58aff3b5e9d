package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.repo.FileEntry;
import dev.coral.repo.RepositoryConfig;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training loop committing through one handle, with tensors of several chunks of 256 KiB: the
 * paths a process that commits again takes (chunks read one ahead, delta bases decoded ahead
 * and served from memory, context counts and XOR planes made ahead, hashes taken aside,
 * choices reused) must store what a new handle per commit stores: the same ids, every version
 * bit-exact, a clean fsck. fp32 and BF16 tensors, a frozen one, one not a whole number of chunks.
 */
class TrainingLoopFastPathsTest {
    private static final int CHUNK = 256 << 10;
    private static final int STEPS = 7;

    @TempDir
    Path dir;

    @RepeatedTest(2)
    void oneHandleStoresWhatAHandlePerCommitStores(RepetitionInfo rep) throws IOException {
        long seed = 7700 + rep.getCurrentRepetition();
        SplittableRandom r = new SplittableRandom(seed);
        // elements: fp32 over 2.5 chunks, BF16 over 2 chunks and a bit, a frozen fp32 of 1.5 chunks
        float[][] weights = {gaussian(r, CHUNK / 4 * 5 / 2 + 3), gaussian(r, CHUNK / 2 * 2 + 77), gaussian(r, CHUNK / 4 * 3 / 2)};
        DType[] types = {DType.F32, DType.BF16, DType.F32};
        RepositoryConfig config = RepositoryConfig.defaults().withChunkBytes(CHUNK);
        List<List<byte[]>> history = new ArrayList<>();
        Path kept = dir.resolve("kept");
        Path fresh = dir.resolve("fresh");
        Repository.init(fresh, config).close();
        try (Repository loop = Repository.init(kept, config)) {
            for (int step = 0; step < STEPS; step++) {
                if (step > 0) {
                    adamLikeStep(weights[0], r, 1e-3);
                    adamLikeStep(weights[1], r, 1e-2);
                }
                List<byte[]> bytes = new ArrayList<>();
                for (int t = 0; t < weights.length; t++) {
                    bytes.add(encode(weights[t], types[t]));
                }
                history.add(bytes);
                loop.commitTensors("m.safetensors", sources(bytes, types), Map.of(), CommitRequest.of("step " + step));
                try (Repository once = Repository.open(fresh)) {
                    once.commitTensors("m.safetensors", sources(bytes, types), Map.of(), CommitRequest.of("step " + step));
                }
                FileEntry a = loop.fileAt("HEAD", "m.safetensors");
                try (Repository once = Repository.open(fresh)) {
                    FileEntry b = once.fileAt("HEAD", "m.safetensors");
                    assertEquals(b.tensors(), a.tensors(), "seed " + seed + " step " + step);
                    assertArrayEquals(b.fileSha256(), a.fileSha256(), "seed " + seed + " step " + step);
                }
            }
        }
        for (Path repoDir : new Path[] {kept, fresh}) {
            try (Repository repo = Repository.open(repoDir)) {
                for (int step = 0; step < STEPS; step++) {
                    String rev = step == STEPS - 1 ? "HEAD" : "HEAD~" + (STEPS - 1 - step);
                    for (int t = 0; t < weights.length; t++) {
                        try (InputStream in = repo.tensor(rev, "m.safetensors", "t" + t).openVerifiedStream()) {
                            assertArrayEquals(history.get(step).get(t), in.readAllBytes(),
                                    "seed " + seed + " " + repoDir.getFileName() + " step " + step + " tensor " + t);
                        }
                    }
                }
                assertTrue(repo.fsck(false).clean(), "seed " + seed + " " + repoDir.getFileName() + ": fsck");
            }
        }
    }

    private static float[] gaussian(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * 0.05);
        }
        return x;
    }

    /** Each weight moved by lr times a noisy unit step, as Adam's normalised updates move them. */
    private static void adamLikeStep(float[] x, SplittableRandom r, double lr) {
        for (int i = 0; i < x.length; i++) {
            x[i] -= (float) (lr * Math.tanh(r.nextGaussian()));
        }
    }

    private static byte[] encode(float[] x, DType type) {
        int w = type == DType.BF16 ? 2 : 4;
        ByteBuffer b = ByteBuffer.allocate(x.length * w).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : x) {
            if (w == 4) {
                b.putFloat(v);
            } else {
                b.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
            }
        }
        return b.array();
    }

    private static List<dev.coral.format.TensorSource> sources(List<byte[]> bytes, DType[] types) {
        List<dev.coral.format.TensorSource> out = new ArrayList<>();
        for (int t = 0; t < bytes.size(); t++) {
            int w = types[t] == DType.BF16 ? 2 : 4;
            out.add(Tensors.of("t" + t, TensorSpec.of(types[t], bytes.get(t).length / w), bytes.get(t)));
        }
        return out;
    }
}
