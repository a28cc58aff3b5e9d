package dev.coral.maintenance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.api.CommitRequest;
import dev.coral.api.Repository;
import dev.coral.api.Tensors;
import dev.coral.io.FaultPoints;
import dev.coral.io.RepositoryLock;
import dev.coral.store.PackMerge;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fsck beside a gc or repack that holds the gc lock for longer than fsck waits for it: the
 * collection deletes the packs fsck listed while it reads them (here, between its listing and
 * its reading, as a repack's last step would). Before, fsck reported their objects as in missing
 * packs; now it sees that packs it listed are gone and checks again, and says so only when
 * they kept going.
 */
class FsckBesideLongCollectionTest {
    @TempDir
    Path dir;

    @AfterEach
    void removeInjector() {
        FaultPoints.install(null);
    }

    @Test
    void packsMergedAwayWhileFsckReadsAreCheckedAgain() throws Exception {
        commitSteps(6);
        Path packs = dir.resolve(".coral/packs");
        AtomicInteger merges = new AtomicInteger();
        FaultPoints.install(point -> {
            if (point.equals(Fsck.PACKS_LISTED) && merges.getAndIncrement() == 0) {
                PackMerge.mergeInPlace(packs, PackMerge.packsIn(packs)); // what a repack's last step does
            }
        });
        FsckReport report = besideHeldGcLock(() -> Fsck.check(dir.resolve(".coral"), false));
        assertTrue(report.clean(), "problems: " + report.problems());
        assertEquals(2, merges.get(), "checked twice: once beside the merge, once after it");
        assertEquals(1, report.packs(), "the second check saw the merged pack alone");
        assertTrue(report.warnings().stream().noneMatch(w -> w.message().contains("deleted while")), "warnings: " + report.warnings());
    }

    @Test
    void packsDeletedAtEveryCheckAreSaidToBeTheCollectionsDoing() throws Exception {
        commitSteps(6);
        Path packs = dir.resolve(".coral/packs");
        Random seeds = new Random(5);
        AtomicInteger merges = new AtomicInteger();
        FaultPoints.install(point -> {
            if (point.equals(Fsck.PACKS_LISTED)) {
                merges.incrementAndGet();
                commitOne(seeds.nextLong()); // a pack more, then all merged: the listing is stale every time
                PackMerge.mergeInPlace(packs, PackMerge.packsIn(packs));
            }
        });
        FsckReport report = besideHeldGcLock(() -> Fsck.check(dir.resolve(".coral"), false));
        assertEquals(Fsck.CHECKS_BESIDE_COLLECTION, merges.get(), "checked as often as it tries");
        assertTrue(report.warnings().stream().anyMatch(w -> w.message().contains("deleted while")),
                "the last check names the collection beside it: " + report.warnings());
    }

    private void commitSteps(int steps) throws Exception {
        Repository.init(dir).close();
        Random r = new Random(3);
        for (int i = 0; i < steps; i++) {
            commitOne(r.nextLong());
        }
    }

    private void commitOne(long seed) throws java.io.IOException {
        Random r = new Random(seed);
        byte[] x = new byte[256];
        r.nextBytes(x);
        try (Repository repo = Repository.open(dir)) {
            repo.commitTensors("m.safetensors", List.of(Tensors.of("w", TensorSpec.of(DType.F32, 64), x)), Map.of(),
                    CommitRequest.of("step " + seed));
        }
    }

    private interface Check {
        FsckReport run() throws Exception;
    }

    /** Runs the check on this thread while another thread holds the gc lock, as a long gc or repack would. */
    private FsckReport besideHeldGcLock(Check check) throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            try (RepositoryLock.Held h = new RepositoryLock(dir.resolve(".coral/locks"), GarbageCollector.LOCK_NAME).lock()) {
                held.countDown();
                done.await();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        holder.start();
        held.await();
        try {
            return check.run();
        } finally {
            done.countDown();
            holder.join();
        }
    }
}
