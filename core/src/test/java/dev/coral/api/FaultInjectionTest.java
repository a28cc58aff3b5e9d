package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.io.FaultPoints;
import dev.coral.maintenance.FsckReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A commit that fails between any two of its write steps (an injected I/O error, as a crash or a
 * full disk would cause) loses nothing acknowledged: the repository opens, every earlier commit
 * checks out bit-exact, fsck is clean once gc removed the leftovers (so the staging index names
 * no object that is not stored), and the next commit works. Both ways in: a file committed from
 * the working folder, and in-memory tensors committed in one step ({@code commitTensors}); each
 * small enough to share one pack with its tree and commit. Each step is failed every time it is
 * passed, not only the first.
 */
class FaultInjectionTest {
    @TempDir
    Path dir;

    /** Something that commits: the first step, then the step failed at each point. */
    @FunctionalInterface
    private interface Step {
        void run(Repository repo, Path folder) throws IOException;
    }

    /**
     * Every fault point {@code second} passes after {@code first}, each time it passes it
     * ({@code name#k}: the k-th time), so that a step repeated for a second pack is failed too.
     */
    private static Stream<String> recorded(Step first, Step second) throws IOException {
        Path tmp = Files.createTempDirectory("coral-points");
        List<String> seen = new ArrayList<>();
        try (Repository repo = Repository.init(tmp)) {
            first.run(repo, tmp);
            Map<String, Integer> times = new HashMap<>();
            FaultPoints.install(p -> seen.add(p + "#" + times.merge(p, 1, Integer::sum)));
            try {
                second.run(repo, tmp);
            } finally {
                FaultPoints.install(null);
            }
        }
        Repository.deleteTree(tmp);
        assertTrue(seen.size() >= 8, "points seen: " + seen);
        return seen.stream();
    }

    /** Installs an injector failing the k-th pass of the point named by {@code pointAndTime} ({@code name#k}). */
    private static String failAt(String pointAndTime) {
        String point = pointAndTime.substring(0, pointAndTime.lastIndexOf('#'));
        int time = Integer.parseInt(pointAndTime.substring(pointAndTime.lastIndexOf('#') + 1));
        int[] passed = {0};
        FaultPoints.install(p -> {
            if (p.equals(point) && ++passed[0] == time) {
                throw new IOException("injected at " + p);
            }
        });
        return point;
    }

    /** The staging index never names an object that is not durably stored. */
    private static void indexNamesOnlyStoredObjects(Repository repo) throws IOException {
        for (dev.coral.repo.StagingIndex.Entry e : repo.readIndex().entries().values()) {
            repo.readFileEntry(e.fileEntry());
        }
    }

    /** Every fault point a commit of a changed file from the working folder passes. */
    static Stream<String> points() throws IOException {
        return recorded((repo, folder) -> repo.commit(CommitRequest.of("one"), List.of(
                        TestModels.writeSafetensors(folder.resolve("m.safetensors"), TestModels.randomTensors(1, 2, 300)))),
                (repo, folder) -> repo.commit(CommitRequest.of("two"), List.of(
                        TestModels.writeSafetensors(folder.resolve("m.safetensors"), TestModels.randomTensors(2, 2, 300)))));
    }

    /** Every fault point a one-step commit of in-memory tensors passes. */
    static Stream<String> trainingPoints() throws IOException {
        return recorded((repo, folder) -> repo.commitTensors("m.safetensors", TestModels.randomTensors(1, 2, 300), Map.of(),
                        CommitRequest.of("one")),
                (repo, folder) -> repo.commitTensors("m.safetensors", TestModels.randomTensors(2, 2, 300), Map.of(),
                        CommitRequest.of("two")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trainingPoints")
    void aTrainingLoopCommitFailingAtAnyPointLosesNothingAcknowledged(String pointAndTime) throws IOException {
        List<byte[]> files = new ArrayList<>();
        try (Repository repo = Repository.init(dir)) {
            for (int v = 1; v <= 2; v++) {
                repo.commitTensors("m.safetensors", TestModels.randomTensors(v, 2, 300), Map.of(), CommitRequest.of("v" + v));
                files.add(exported(repo, "HEAD"));
            }
            String point = failAt(pointAndTime);
            try {
                IOException e = assertThrows(IOException.class, () -> repo.commitTensors("m.safetensors",
                        TestModels.randomTensors(3, 2, 300), Map.of(), CommitRequest.of("v3")), pointAndTime);
                assertTrue(e.getMessage().contains("injected at " + point), e.getMessage());
            } finally {
                FaultPoints.install(null);
            }
            indexNamesOnlyStoredObjects(repo);
        }
        try (Repository repo = Repository.open(dir)) {
            List<dev.coral.repo.CommitWalk.Entry> log = repo.log("HEAD", -1);
            int commits = log.size();
            assertTrue(commits == 2 || commits == 3, pointAndTime + ": " + commits + " commits");
            for (int v = 1; v <= 2; v++) {
                assertArrayEquals(files.get(v - 1), exported(repo, log.get(commits - v).id().hex()), pointAndTime + ": v" + v);
            }
            repo.gc(false, Duration.ZERO);
            FsckReport report = repo.fsck(false);
            assertTrue(report.clean(), pointAndTime + ": " + report);
            repo.commitTensors("m.safetensors", TestModels.randomTensors(4, 2, 300), Map.of(), CommitRequest.of("v4"));
            assertEquals(commits + 1, repo.log("HEAD", -1).size(), pointAndTime + ": the next commit works");
        }
    }

    private byte[] exported(Repository repo, String revision) throws IOException {
        Path out = dir.resolve("out-" + System.nanoTime() + ".safetensors");
        repo.export(revision, "m.safetensors", out, null);
        byte[] b = Files.readAllBytes(out);
        Files.delete(out);
        return b;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("points")
    void aCommitFailingAtAnyPointLosesNothingAcknowledged(String pointAndTime) throws IOException {
        Path m = dir.resolve("m.safetensors");
        List<String> shas = new ArrayList<>();
        try (Repository repo = Repository.init(dir)) {
            for (int v = 1; v <= 2; v++) {
                TestModels.writeSafetensors(m, TestModels.randomTensors(v, 2, 300));
                shas.add(TestModels.sha256(m));
                repo.commit(CommitRequest.of("v" + v), List.of(m));
            }
            TestModels.writeSafetensors(m, TestModels.randomTensors(3, 2, 300));
            String point = failAt(pointAndTime);
            try {
                IOException e = assertThrows(IOException.class, () -> repo.commit(CommitRequest.of("v3"), List.of(m)), pointAndTime);
                assertTrue(e.getMessage().contains("injected at " + point), e.getMessage());
            } finally {
                FaultPoints.install(null);
            }
            indexNamesOnlyStoredObjects(repo);
        }
        String point = pointAndTime;
        try (Repository repo = Repository.open(dir)) {
            List<dev.coral.repo.CommitWalk.Entry> log = repo.log("HEAD", -1);
            int commits = log.size();
            assertTrue(commits == 2 || commits == 3, point + ": " + commits + " commits");
            for (int v = 1; v <= 2; v++) {
                repo.checkout(log.get(commits - v).id().hex(), true);
                assertEquals(shas.get(v - 1), TestModels.sha256(m), point + ": v" + v);
            }
            repo.gc(false, Duration.ZERO);
            FsckReport report = repo.fsck(false);
            assertTrue(report.clean(), point + ": " + report);
            repo.checkout("main", true);
            TestModels.writeSafetensors(m, TestModels.randomTensors(4, 2, 300));
            repo.commit(CommitRequest.of("v4"), List.of(m));
            assertEquals(commits + 1, repo.log("HEAD", -1).size(), point + ": the next commit works");
        }
    }
}
