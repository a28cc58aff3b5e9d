package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.codec.PlaneMode;
import dev.coral.repo.CommitWalk;
import dev.coral.repo.RepositoryConfig;
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
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code codec.contexts}: on (the default) an Adam-like history's XOR deltas are coded by the
 * base's magnitudes and store smaller; off, none are; both read back bit-exact.
 */
class ContextCodingTest {
    private static final int ELEMENTS = 1 << 16;
    private static final int STEPS = 6;

    @TempDir
    Path dir;

    /** Weights of several magnitudes, each moved by about lr per step (as Adam moves them). */
    static List<byte[]> adamSteps(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[ELEMENTS];
        for (int i = 0; i < ELEMENTS; i++) {
            w[i] = (float) (r.nextGaussian() * 0.1 * Math.pow(10, -r.nextInt(3)));
        }
        List<byte[]> out = new ArrayList<>();
        for (int s = 0; s < STEPS; s++) {
            ByteBuffer b = ByteBuffer.allocate(4 * ELEMENTS).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < ELEMENTS; i++) {
                w[i] -= (float) (1e-3 * (r.nextBoolean() ? 1 : -1) * (0.5 + r.nextDouble()));
                b.putFloat(w[i]);
            }
            out.add(b.array());
        }
        return out;
    }

    private long commitHistory(Path root, boolean contexts, List<byte[]> steps) throws IOException {
        try (Repository repo = Repository.init(root, RepositoryConfig.defaults())) {
            if (!contexts) {
                repo.setConfig("codec.contexts", "false");
            }
        }
        try (Repository repo = Repository.open(root)) {
            for (int s = 0; s < steps.size(); s++) {
                repo.stageTensors("model.safetensors",
                        List.of(Tensors.of("w", TensorSpec.of(DType.F32, ELEMENTS), steps.get(s))), Map.of());
                repo.commit(CommitRequest.of("step " + s));
            }
            List<CommitWalk.Entry> log = repo.log("HEAD", -1);
            Collections.reverse(log);
            for (int s = 0; s < steps.size(); s++) {
                try (InputStream in = repo.tensor(log.get(s).id().hex(), "model.safetensors", "w").openVerifiedStream()) {
                    assertArrayEquals(steps.get(s), in.readAllBytes(), "step " + s + (contexts ? "" : " without contexts"));
                }
            }
            RepositoryStats st = repo.stats(false, false);
            long coded = st.planeModes().getOrDefault(PlaneMode.CONTEXT_HUFFMAN, 0L);
            if (contexts) {
                assertTrue(coded >= STEPS - 2, "deltas coded by context: " + coded);
            } else {
                assertEquals(0, coded, "codec.contexts=false");
            }
            return st.storedBytes();
        }
    }

    @Test
    void contextsStoreAnAdamHistorySmallerAndCanBeTurnedOff() throws IOException {
        List<byte[]> steps = adamSteps(42);
        long with = commitHistory(dir.resolve("on"), true, steps);
        long without = commitHistory(dir.resolve("off"), false, steps);
        assertTrue(with < without, "with contexts " + with + " bytes, without " + without);
    }

    @Test
    void repackCodesAnOldHistoryByContextKeepingEveryCommit() throws Exception {
        List<byte[]> steps = adamSteps(7);
        Path root = dir.resolve("later");
        long before = commitHistory(root, false, steps);
        try (Repository repo = Repository.open(root)) {
            List<CommitWalk.Entry> log = repo.log("HEAD", -1);
            repo.setConfig("codec.contexts", "true");
            repo.repack();
            assertEquals(log.stream().map(e -> e.id()).toList(), repo.log("HEAD", -1).stream().map(e -> e.id()).toList(),
                    "repack keeps every commit id");
            RepositoryStats st = repo.stats(false, false);
            assertTrue(st.planeModes().getOrDefault(PlaneMode.CONTEXT_HUFFMAN, 0L) > 0, "repacked deltas are coded by context");
            assertTrue(st.storedBytes() < before, st.storedBytes() + " bytes after, " + before + " before");
            Collections.reverse(log);
            for (int s = 0; s < steps.size(); s++) {
                try (InputStream in = repo.tensor(log.get(s).id().hex(), "model.safetensors", "w").openVerifiedStream()) {
                    assertArrayEquals(steps.get(s), in.readAllBytes(), "step " + s + " after repack");
                }
            }
        }
    }
}
