package dev.coral.api;

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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A commit that fails between any two of its write steps (an injected I/O error, as a crash or a
 * full disk would cause) loses nothing acknowledged: the repository opens, every earlier commit
 * checks out bit-exact, fsck is clean once gc removed the leftovers, and the next commit works.
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

    @ParameterizedTest
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
