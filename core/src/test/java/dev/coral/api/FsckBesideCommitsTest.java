package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.maintenance.FsckReport;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * fsck through one handle while another handle commits a training loop's steps (as a user checking
 * a repository a job writes to): fsck reports no problem, whatever the commits are doing as it
 * walks (new packs, the staging index and the branch moving under it).
 */
class FsckBesideCommitsTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void fsckFindsNoProblemWhileAnotherHandleCommits() throws Exception {
        try (Repository init = Repository.init(dir)) {
            init.commitTensors("m.safetensors", List.of(Tensors.of("w", TensorSpec.of(DType.F32, 4096), new byte[4 * 4096])), Map.of(),
                    CommitRequest.of("step 0"));
        }
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            Random r = new Random(5);
            try (Repository repo = Repository.open(dir)) {
                for (int i = 1; i <= 120; i++) {
                    byte[] w = new byte[4 * 4096];
                    r.nextBytes(w);
                    repo.commitTensors("m" + (i % 4) + ".safetensors", List.of(Tensors.of("w", TensorSpec.of(DType.F32, 4096), w)), Map.of(),
                            CommitRequest.of("step " + i));
                }
            } catch (Throwable t) {
                failed.set(t);
            } finally {
                done.set(true);
            }
        });
        writer.start();
        List<String> problems = new ArrayList<>();
        int checks = 0;
        try (Repository repo = Repository.open(dir)) {
            while (!done.get()) {
                FsckReport report = repo.fsck(false);
                checks++;
                if (!report.clean()) {
                    problems.add("check " + checks + ": " + report.problems());
                }
            }
        }
        writer.join();
        assertTrue(failed.get() == null, () -> "the writer failed: " + failed.get());
        int runs = checks;
        assertTrue(problems.isEmpty(), () -> problems.size() + " of " + runs + " checks found problems: " + problems.subList(0, Math.min(3, problems.size())));
        System.out.println(runs + " fsck runs beside 120 commits, none found a problem");
    }
}
