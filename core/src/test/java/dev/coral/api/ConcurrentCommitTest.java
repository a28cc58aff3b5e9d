package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coral.repo.CommitWalk;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * 16 threads committing to one branch: every commit present once, none lost or reverted; through one
 * handle, a handle each, or a handle each with half of them opened through a link to the
 * repository's folder (one repository, whichever path reached it: the daemon found that two
 * commands at once through two paths failed with an OverlappingFileLockException).
 */
class ConcurrentCommitTest {
    private static final int THREADS = 16;
    private static final int COMMITS = 5;

    @TempDir
    Path dir;

    private static byte[] weights(int thread, int step) {
        byte[] b = new byte[4 * 2048];
        new Random(thread * 1000L + step).nextBytes(b);
        return b;
    }

    @ParameterizedTest
    @ValueSource(strings = {"one handle", "a handle each", "a handle each, half through a link"})
    void sixteenThreadsCommitToOneBranchWithoutLosingAnything(String handles) throws Exception {
        Repository.init(dir).close();
        boolean sharedHandle = handles.equals("one handle");
        Path link = java.nio.file.Files.createSymbolicLink(dir.resolveSibling(dir.getFileName() + "-link"), dir);

        try (Repository shared = Repository.open(dir)) {
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    List<String> mine = new ArrayList<>();
                    Path opened = handles.endsWith("link") && thread % 2 == 1 ? link : dir;
                    try (Repository own = sharedHandle ? null : Repository.open(opened)) {
                        Repository repo = sharedHandle ? shared : own;
                        for (int s = 0; s < COMMITS; s++) {
                            mine.add(repo.commitTensors("w" + thread + ".safetensors",
                                    List.of(Tensors.of("w", TensorSpec.of(DType.F32, 2048), weights(thread, s))), Map.of(),
                                    CommitRequest.of("thread " + thread + " step " + s)).hex());
                        }
                    }
                    return mine;
                }));
            }
            Set<String> acknowledged = new HashSet<>();
            for (Future<List<String>> f : results) {
                acknowledged.addAll(f.get());
            }
            pool.shutdown();
            java.nio.file.Files.delete(link);
            List<CommitWalk.Entry> log = shared.log("HEAD", -1);
            Set<String> inHistory = new HashSet<>();
            log.forEach(e -> inHistory.add(e.id().hex()));
            assertEquals(THREADS * COMMITS, log.size(), "every commit once");
            assertEquals(acknowledged, inHistory, "every acknowledged commit is in the history");
            for (int t = 0; t < THREADS; t++) {
                try (InputStream in = shared.tensor("HEAD", "w" + t + ".safetensors", "w").openVerifiedStream()) {
                    assertArrayEquals(weights(t, COMMITS - 1), in.readAllBytes(), "thread " + t + "'s last step is at HEAD");
                }
            }

        }
    }

}
