package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.format.TensorSource;
import dev.coral.io.FaultPoints;
import dev.coral.repo.FileStamp;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file written moments before a commit reads it is read only once its stamp is older than the
 * clock's tick (since 2026-12-07) where file times are coarse (before Linux 6.13, or another file
 * system than ext4, xfs, btrfs and tmpfs): there a second write of the same size within the tick of
 * the first kept size and times, and a read begun between them stored a hash and chunks of
 * different bytes unnoticed. This machine's kernel stamps finely, so the test asks for coarse
 * times ({@code -Dcoral.fileTimes=coarse}) and checks the order the fix needs: the stat the read
 * compares against is taken when the stamp is a tick old.
 */
class YoungStampTest {
    private static final long TICK_NANOS = 20_000_000L; // StampSettling.FINE_NANOS

    @TempDir
    Path dir;

    @BeforeEach
    void coarseTimes() {
        System.setProperty("coral.fileTimes", "coarse");
    }

    @AfterEach
    void noFaults() {
        FaultPoints.install(null);
        System.clearProperty("coral.fileTimes");
    }

    private static List<TensorSource> model(long seed) {
        Random r = new Random(seed);
        List<TensorSource> tensors = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            byte[] b = new byte[3_000 * 4];
            r.nextBytes(b);
            tensors.add(Tensors.of("layer" + i + ".weight", TensorSpec.of(DType.F32, 3_000), b));
        }
        return tensors;
    }

    private static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** The age of {@code file}'s newest time (modification or change) when the commit opens it, each open. */
    private List<Long> agesAtOpen(Path file) {
        List<Long> ages = new ArrayList<>();
        FaultPoints.install(p -> {
            if (p.equals("ingest.fileOpened")) {
                ages.add(nowNanos() - FileStamp.identified(file).newestNanos());
            }
        });
        return ages;
    }

    @Test
    void aFileJustWrittenIsReadOnceItsStampIsATickOld() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            for (int step = 0; step < 5; step++) {
                Path m = TestModels.writeSafetensors(dir.resolve("m.safetensors"), model(step));
                String sha = TestModels.sha256(m);
                List<Long> ages = agesAtOpen(m);
                repo.commit(CommitRequest.of("step " + step), List.of(m));
                FaultPoints.install(null);
                assertEquals(1, ages.size(), "read once");
                assertTrue(ages.get(0) >= TICK_NANOS, "step " + step + ": opened " + ages.get(0) + " ns after its last write");
                Files.delete(m);
                repo.checkoutPaths("HEAD", List.of(m));
                assertEquals(sha, TestModels.sha256(m), "step " + step + " checks out bit-exact");
            }
        }
    }

    @Test
    void aStampFarAheadOfTheClockIsNotWaitedFor() throws IOException {
        try (Repository repo = Repository.init(dir)) {
            Path m = TestModels.writeSafetensors(dir.resolve("m.safetensors"), model(1));
            Files.setLastModifiedTime(m, FileTime.from(nowNanos() / 1_000 + 3_600_000_000L, TimeUnit.MICROSECONDS));
            List<Long> ages = agesAtOpen(m);
            repo.commit(CommitRequest.of("from the future"), List.of(m));
            assertEquals(1, ages.size());
            assertTrue(ages.get(0) < 0, "read before its time (an hour ahead), not waited for: age " + ages.get(0));
            assertEquals(List.of(), repo.status().notStaged(), "committed as it is");
        }
    }
}
