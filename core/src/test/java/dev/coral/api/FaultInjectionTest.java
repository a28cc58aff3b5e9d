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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A commit that fails between any two of its write steps (an injected I/O error, as a crash or a
 * full disk would cause) loses nothing acknowledged: the repository opens, every earlier commit
 * checks out bit-exact, fsck is clean once gc removed the leftovers (so the staging index names
 * no object that is not stored), and the next commit works. Both ways in: a file committed from
 * the working folder, and in-memory tensors committed in one step ({@code commitTensors}, whose
 * small checkpoint shares one pack with its tree and commit).
 */
class FaultInjectionTest {
    @TempDir
    Path dir;

    /** Every fault point a commit of a changed file passes, found by recording one. */
    static Stream<String> points() throws IOException {
        Path tmp = Files.createTempDirectory("coral-points");
        Set<String> seen = new LinkedHashSet<>();
        try (Repository repo = Repository.init(tmp)) {
            Path m = TestModels.writeSafetensors(tmp.resolve("m.safetensors"), TestModels.randomTensors(1, 2, 300));
            repo.commit(CommitRequest.of("one"), List.of(m));
            TestModels.writeSafetensors(m, TestModels.randomTensors(2, 2, 300));
            FaultPoints.install(seen::add);
            try {
                repo.commit(CommitRequest.of("two"), List.of(m));
            } finally {
                FaultPoints.install(null);
            }
        }
        Repository.deleteTree(tmp);
        assertTrue(seen.size() >= 8, "points seen: " + seen);
        return seen.stream();
    }

    /**
     * Every fault point a one-step commit of in-memory tensors passes, each time it passes it
     * ({@code name#k}: the k-th time), so that a step repeated for a second pack is failed too.
     */
    static Stream<String> trainingPoints() throws IOException {
        Path tmp = Files.createTempDirectory("coral-points");
        List<String> seen = new ArrayList<>();
        try (Repository repo = Repository.init(tmp)) {
            repo.commitTensors("m.safetensors", TestModels.randomTensors(1, 2, 300), Map.of(), CommitRequest.of("one"));
            Map<String, Integer> times = new HashMap<>();
            FaultPoints.install(p -> seen.add(p + "#" + times.merge(p, 1, Integer::sum)));
            try {
                repo.commitTensors("m.safetensors", TestModels.randomTensors(2, 2, 300), Map.of(), CommitRequest.of("two"));
            } finally {
                FaultPoints.install(null);
            }
        }
        Repository.deleteTree(tmp);
        assertTrue(seen.size() >= 8, "points seen: " + seen);
        return seen.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trainingPoints")
    void aTrainingLoopCommitFailingAtAnyPointLosesNothingAcknowledged(String pointAndTime) throws IOException {
        String point = pointAndTime.substring(0, pointAndTime.lastIndexOf('#'));
        int time = Integer.parseInt(pointAndTime.substring(pointAndTime.lastIndexOf('#') + 1));
        List<byte[]> files = new ArrayList<>();
        try (Repository repo = Repository.init(dir)) {
            for (int v = 1; v <= 2; v++) {
                repo.commitTensors("m.safetensors", TestModels.randomTensors(v, 2, 300), Map.of(), CommitRequest.of("v" + v));
                files.add(exported(repo, "HEAD"));
            }
            int[] passed = {0};
            FaultPoints.install(p -> {
                if (p.equals(point) && ++passed[0] == time) {
                    throw new IOException("injected at " + p);
                }
            });
            try {
                IOException e = assertThrows(IOException.class, () -> repo.commitTensors("m.safetensors",
                        TestModels.randomTensors(3, 2, 300), Map.of(), CommitRequest.of("v3")), pointAndTime);
                assertTrue(e.getMessage().contains("injected at " + point), e.getMessage());
            } finally {
                FaultPoints.install(null);
            }
            // the staging index never names an object that is not durably stored
            for (Map.Entry<String, dev.coral.repo.StagingIndex.Entry> e : repo.readIndex().entries().entrySet()) {
                repo.readFileEntry(e.getValue().fileEntry());
            }
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
    void aCommitFailingAtAnyPointLosesNothingAcknowledged(String point) throws IOException {
        Path m = dir.resolve("m.safetensors");
        List<String> shas = new ArrayList<>();
        try (Repository repo = Repository.init(dir)) {
            for (int v = 1; v <= 2; v++) {
                TestModels.writeSafetensors(m, TestModels.randomTensors(v, 2, 300));
                shas.add(TestModels.sha256(m));
                repo.commit(CommitRequest.of("v" + v), List.of(m));
            }
            TestModels.writeSafetensors(m, TestModels.randomTensors(3, 2, 300));
            FaultPoints.install(p -> {
                if (p.equals(point)) {
                    throw new IOException("injected at " + p);
                }
            });
            try {
                IOException e = assertThrows(IOException.class, () -> repo.commit(CommitRequest.of("v3"), List.of(m)), point);
                assertTrue(e.getMessage().contains("injected at " + point), e.getMessage());
            } finally {
                FaultPoints.install(null);
            }
        }
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
