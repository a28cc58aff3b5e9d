package dev.coral.maintenance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.api.CommitRequest;
import dev.coral.api.Maintenance;
import dev.coral.api.Repository;
import dev.coral.api.Tensors;
import dev.coral.format.TensorSource;
import dev.coral.io.FaultPoints;
import dev.coral.repo.RepositoryConfig;
import dev.coral.repo.StoredTensor;
import dev.coral.store.ObjectId;
import dev.coral.tensor.DType;
import dev.coral.tensor.TensorSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * gc (with {@code --prune=now}) and repack beside writers, each race made to happen by pausing
 * one side at a fault point: a commit whose objects are written but whose branch has not moved
 * yet, and a writer that names an unreachable old object again while the collector walks.
 * Afterwards fsck is clean and every commit reads back bit-exact.
 */
class CollectionBesideWritersTest {
    @TempDir
    Path dir;

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    /** Pauses the thread that installs it at one named point until released. */
    private static final class Pause implements FaultPoints.Injector {
        final String point;
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        Pause(String point) {
            this.point = point;
        }

        @Override
        public void at(String p) throws IOException {
            if (p.equals(point) && reached.getCount() > 0) {
                reached.countDown();
                try {
                    if (!release.await(60, TimeUnit.SECONDS)) {
                        throw new IOException("test: never released at " + point);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("test: interrupted at " + point);
                }
            }
        }

        void awaitReached() throws InterruptedException {
            assertTrue(reached.await(60, TimeUnit.SECONDS), "never reached " + point);
        }
    }

    private <T> Future<T> paused(Pause pause, Callable<T> task) {
        return threads.submit(() -> {
            FaultPoints.install(pause);
            try {
                return task.call();
            } finally {
                FaultPoints.install(null);
            }
        });
    }

    private static byte[] floats(long seed, int n) {
        Random r = new Random(seed);
        byte[] b = new byte[4 * n];
        for (int i = 0; i < n; i++) {
            int bits = Float.floatToIntBits((float) r.nextGaussian());
            for (int k = 0; k < 4; k++) {
                b[4 * i + k] = (byte) (bits >>> (8 * k));
            }
        }
        return b;
    }

    private static List<TensorSource> model(long seed) {
        List<TensorSource> ts = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            ts.add(Tensors.of("layer" + t + ".weight", TensorSpec.of(DType.F32, 700), floats(seed * 10 + t, 700)));
        }
        return ts;
    }

    private static ObjectId commit(Repository repo, long seed, String message) throws IOException {
        return repo.commitTensors("model.safetensors", model(seed), Map.of(), CommitRequest.of(message));
    }

    private static void readsBack(Repository repo, ObjectId commit, long seed) throws IOException {
        List<TensorSource> expected = model(seed);
        for (int t = 0; t < expected.size(); t++) {
            StoredTensor st = repo.tensor(commit.hex(), "model.safetensors", "layer" + t + ".weight");
            assertArrayEquals(floats(seed * 10 + t, 700), read(st), "tensor " + t + " of " + commit.abbreviate(12));
        }
    }

    private static byte[] read(StoredTensor st) throws IOException {
        try (java.io.InputStream in = st.openVerifiedStream()) {
            return in.readAllBytes();
        }
    }

    private static void fsckClean(Repository repo) throws IOException {
        FsckReport fsck = Maintenance.fsck(repo, false);
        assertTrue(fsck.clean(), () -> FsckTest.lines(fsck));
    }

    /** main: seed 1. Branch exp: seed 2, then deleted, so its pack is reachable from nothing. */
    private Repository withAnUnreachableModel() throws IOException {
        Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(1024));
        commit(repo, 1, "one");
        repo.switchBranch("exp", true, false);
        commit(repo, 2, "two, on exp");
        repo.switchBranch("main", false, true);
        repo.deleteBranch("exp", true);
        return repo;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gc --prune=now", "repack"})
    void aCollectorWaitsForACommitWhoseBranchHasNotMovedYet(String collector) throws Exception {
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(1024))) {
            ObjectId first = commit(repo, 1, "one");
            Pause beforeRef = new Pause("commit.objectsWrittenBeforeRef");
            Future<ObjectId> second = paused(beforeRef, () -> commit(repo, 3, "three"));
            beforeRef.awaitReached();
            CountDownLatch told = new CountDownLatch(1);
            Future<?> collect = threads.submit(() -> collector.equals("repack") ? repo.repack(told::countDown)
                    : Maintenance.gc(repo, false, Duration.ZERO, told::countDown));
            assertTrue(told.await(60, TimeUnit.SECONDS), collector + " did not say it waits");
            assertThrows(TimeoutException.class, () -> collect.get(300, TimeUnit.MILLISECONDS),
                    collector + " ran while a commit had written its objects but not moved its branch");
            beforeRef.release.countDown();
            ObjectId id = second.get(60, TimeUnit.SECONDS);
            if (collect.get(60, TimeUnit.SECONDS) instanceof GcReport report) {
                assertTrue(report.removedPacks().isEmpty(), report::toString);
            }
            assertEquals(id, repo.headCommit());
            readsBack(repo, first, 1);
            readsBack(repo, id, 3);
            fsckClean(repo);
        }
    }

    @Test
    void gcPruneNowKeepsAnUnreachableObjectAWriterNamesAgainDuringItsWalk() throws Exception {
        try (Repository repo = withAnUnreachableModel()) {
            GcReport dry = Maintenance.gc(repo, true, Duration.ZERO);
            assertEquals(1, dry.removedPacks().size(), dry::toString);

            Pause walked = new Pause("gc.walked");
            CountDownLatch told = new CountDownLatch(1);
            Future<GcReport> gc = paused(walked, () -> Maintenance.gc(repo, false, Duration.ZERO, told::countDown));
            walked.awaitReached();
            // exp's tensors, file and tree again, now on main: only a commit object is new.
            ObjectId again = commit(repo, 2, "two, on main");
            walked.release.countDown();
            GcReport report = gc.get(60, TimeUnit.SECONDS);
            assertEquals(1, told.getCount(), "gc said it waited, with no commit in progress");
            assertTrue(report.removedPacks().isEmpty(), report::toString);
            readsBack(repo, again, 2);
            fsckClean(repo);

            // Once nothing names exp's objects, they go as before.
            repo.switchBranch("gone", true, false);
            commit(repo, 5, "five");
            repo.switchBranch("main", false, true);
            repo.deleteBranch("gone", true);
            assertFalse(Maintenance.gc(repo, false, Duration.ZERO).removedPacks().isEmpty());
            fsckClean(repo);
        }
    }

    @Test
    void gcPruneNowWaitsForACheckoutOfAnUnreachableCommit() throws Exception {
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(1024))) {
            commit(repo, 1, "one");
            repo.switchBranch("exp", true, false);
            ObjectId lost = commit(repo, 2, "two, on exp");
            repo.switchBranch("main", false, true);
            repo.deleteBranch("exp", true); // 'lost' is reachable from nothing now, but a user checks it out by id
            Pause beforeHead = new Pause("checkout.filesWritten");
            Future<?> checkout = paused(beforeHead, () -> repo.checkout(lost.hex(), true));
            beforeHead.awaitReached();
            CountDownLatch told = new CountDownLatch(1);
            Future<GcReport> gc = threads.submit(() -> Maintenance.gc(repo, false, Duration.ZERO, told::countDown));
            assertTrue(told.await(60, TimeUnit.SECONDS), "gc did not wait for the checkout");
            beforeHead.release.countDown();
            checkout.get(60, TimeUnit.SECONDS);
            GcReport report = gc.get(60, TimeUnit.SECONDS);
            assertTrue(report.removedPacks().isEmpty(), report::toString);
            assertEquals(lost, repo.headCommit());
            readsBack(repo, lost, 2);
            fsckClean(repo);
        }
    }

    @Test
    void repackKeepsTheOldPackOfAnObjectAWriterNamesAgainWhileItCopies() throws Exception {
        try (Repository repo = withAnUnreachableModel()) {
            Pause merged = new Pause("repack.merged");
            Future<Repository.RepackResult> repack = paused(merged, repo::repack);
            merged.awaitReached();
            ObjectId again = commit(repo, 2, "two, on main");
            merged.release.countDown();
            Repository.RepackResult result = repack.get(60, TimeUnit.SECONDS);
            long folder = 0;
            for (Path f : MaintenanceFixtures.files(dir.resolve(".coral/packs"), ".pack")) {
                folder += java.nio.file.Files.size(f);
            }
            assertTrue(result.bytesAfter() > 0 && result.bytesAfter() < folder,
                    "the bytes of the pack repack wrote, not of every pack in the folder (the commit's too): " + result + ", " + folder);
            readsBack(repo, again, 2);
            fsckClean(repo);

            repo.repack(); // copies it now, and drops the old packs
            assertEquals(1, MaintenanceFixtures.files(dir.resolve(".coral/packs"), ".pack").size());
            readsBack(repo, again, 2);
            fsckClean(repo);
        }
    }
}
