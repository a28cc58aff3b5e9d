package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.coral.format.TensorSource;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training loop commits through one handle for as long as it trains: the files that handle
 * holds open must not grow with the history. Each step here writes two packs (stage, then
 * commit); until 2026-12-01 each pack stayed open, so 1,000 steps held 2,034 descriptors and a
 * process limited to 1,024 failed after about 450 steps with "Too many open files".
 */
class OpenFilesTest {
    private static final Path FDS = Path.of("/proc/self/fd");

    @TempDir
    Path dir;

    private static long openFiles() throws IOException {
        try (var s = Files.list(FDS)) {
            return s.count();
        }
    }

    private static byte[] fp32(float[] w) {
        ByteBuffer b = ByteBuffer.allocate(4 * w.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : w) {
            b.putFloat(x);
        }
        return b.array();
    }

    @Test
    void aLongTrainingLoopHoldsABoundedNumberOfFiles() throws IOException {
        assumeTrue(Files.isDirectory(FDS), "this test counts open files in /proc/self/fd (Linux only); not run here");
        SplittableRandom r = new SplittableRandom(11);
        float[] w = new float[2048];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextDouble(-0.1, 0.1);
        }
        int steps = 150; // 300 packs: more than a store keeps open
        try (Repository repo = Repository.init(dir.resolve("repo"))) {
            long before = openFiles();
            long most = before;
            for (int step = 0; step < steps; step++) {
                for (int i = step % 5; i < w.length; i += 5) {
                    w[i] -= 1e-4f * (float) r.nextDouble(-1, 1);
                }
                List<TensorSource> ts = new ArrayList<>();
                ts.add(Tensors.of("w", TensorSpec.of(DType.F32, w.length), fp32(w)));
                repo.stageTensors("m.safetensors", ts, Map.of());
                repo.commit(CommitRequest.of("step " + step));
                most = Math.max(most, openFiles());
            }
            assertTrue(most - before <= 140, "open files grew from " + before + " to " + most + " over " + steps + " steps (" + 2 * steps
                    + " packs)");
            // and the newest step reads back as committed
            try (var in = repo.tensor("HEAD", "m.safetensors", "w").openStream()) {
                assertArrayEquals(fp32(w), in.readAllBytes());
            }
            try (var in = repo.tensor("HEAD~" + (steps - 1), "m.safetensors", "w").openStream()) {
                assertTrue(in.readAllBytes().length == 4 * w.length);
            }
        }
    }
}
