package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.maintenance.FsckReport;
import dev.coral.maintenance.GarbageCollector;
import dev.coral.repo.CommitWalk;
import dev.coral.repo.RepositoryConfig;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Child JVMs running repack and gc in a loop, killed with SIGKILL at random instants: every
 * commit still checks out bit-exact, and fsck is clean once gc removed the leftovers.
 */
class MaintenanceKillNineTest {
    private static final int TRIALS = 12;

    @TempDir
    Path dir;

    @Test
    void repackAndGcKilledAtAnyInstantLoseNothing() throws Exception {
        int versions = 8;
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(16 * 1024))) {
            for (int v = 0; v < versions; v++) {
                repo.commitTensors("w.safetensors", List.of(Tensors.of("w", dev.coral.tensor.TensorSpec.of(dev.coral.tensor.DType.F32, 20_000),
                        CrashCommitChild.content(v))), Map.of(), CommitRequest.of("v" + v));
            }
        }
        Random r = new Random(77);
        int rounds = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            Path out = dir.resolve("child-" + trial + ".txt");
            Process p = CrashCommitChild.childJvm(MaintenanceCrashChild.class, dir).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectOutput(out.toFile()).start();
            Thread.sleep(500 + r.nextInt(1200));
            p.destroyForcibly();
            p.waitFor();
            rounds += (int) Files.readAllLines(out).stream().filter(l -> l.endsWith(" END")).count();
            try (Repository repo = Repository.open(dir)) {
                List<CommitWalk.Entry> log = new ArrayList<>(repo.log("HEAD", -1));
                Collections.reverse(log);
                assertTrue(log.size() == versions, "trial " + trial + ": " + log.size() + " commits");
                for (int v = 0; v < versions; v++) {
                    try (InputStream in = repo.tensor(log.get(v).id().hex(), "w.safetensors", "w").openVerifiedStream()) {
                        assertArrayEquals(CrashCommitChild.content(v), in.readAllBytes(), "trial " + trial + " v" + v);
                    }
                }
            }
        }
        System.out.printf("repack/gc kill -9: %d trials, %d whole rounds completed before the kills%n", TRIALS, rounds);
        try (Repository repo = Repository.open(dir)) {
            repo.gc(false, Duration.ZERO);
            FsckReport report = repo.fsck(false);
            assertTrue(report.clean(), report.toString());
            try (var s = Files.list(dir.resolve(".coral").resolve("packs"))) {
                List<Path> scratch = s.filter(p -> p.getFileName().toString().startsWith(GarbageCollector.REPACK_SCRATCH_PREFIX)).toList();
                assertTrue(scratch.isEmpty(), "gc left the scratch folders of killed repacks: " + scratch);
            }
        }
    }
}
