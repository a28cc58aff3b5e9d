package dev.coral.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.io.RepositoryLock;
import dev.coral.maintenance.FsckReport;
import dev.coral.maintenance.GarbageCollector;
import dev.coral.repo.RepositoryConfig;
import dev.coral.store.ObjectId;
import dev.coral.store.PackMerge;
import dev.coral.format.TensorSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Small packs merged as commits add them: which ones, what it costs, and that nothing is lost. */
class PackUpkeepTest {
    @TempDir
    Path dir;

    private static ObjectId id(int n) {
        return ObjectId.hashOf(new byte[] {(byte) n, (byte) (n >>> 8), (byte) (n >>> 16)});
    }

    @Test
    void choosesTheSmallPacksOutOfProgressionAndLeavesLargeOnesAlone() {
        assertEquals(List.of(), PackUpkeep.chooseToMerge(List.of()));
        assertEquals(List.of(), PackUpkeep.chooseToMerge(List.of(new PackUpkeep.Pack(id(1), 100))));
        // 100, 200, 400, 800: already a progression of factor 2
        List<PackUpkeep.Pack> geometric = List.of(new PackUpkeep.Pack(id(1), 800), new PackUpkeep.Pack(id(2), 100),
                new PackUpkeep.Pack(id(3), 400), new PackUpkeep.Pack(id(4), 200));
        assertEquals(List.of(), PackUpkeep.chooseToMerge(geometric));
        // ten of 100 beside one of 10,000: the ten go together, the large one stays
        List<PackUpkeep.Pack> packs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            packs.add(new PackUpkeep.Pack(id(i), 100));
        }
        packs.add(new PackUpkeep.Pack(id(99), 10_000));
        assertEquals(10, PackUpkeep.chooseToMerge(packs).size());
        assertTrue(!PackUpkeep.chooseToMerge(packs).contains(id(99)));
        // ... and one of 1,500 joins them, being less than twice their 1,000
        packs.add(new PackUpkeep.Pack(id(98), 1_500));
        assertEquals(11, PackUpkeep.chooseToMerge(packs).size());
        // packs of SMALL_PACK_BYTES and more are never chosen
        List<PackUpkeep.Pack> large = List.of(new PackUpkeep.Pack(id(1), PackUpkeep.SMALL_PACK_BYTES),
                new PackUpkeep.Pack(id(2), PackUpkeep.SMALL_PACK_BYTES), new PackUpkeep.Pack(id(3), 10));
        assertEquals(List.of(), PackUpkeep.chooseToMerge(large));
    }

    /**
     * Simulated histories of commits of random sizes (seeded), merged as upkeep would: the packs
     * stay few and every byte is copied a logarithmic number of times.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void overAHistoryPacksStayFewAndEachByteIsCopiedLogarithmicallyOften(long seed) {
        Random r = new Random(seed);
        List<PackUpkeep.Pack> packs = new ArrayList<>();
        long written = 0;
        long copied = 0;
        int next = 0;
        int commits = 5_000;
        int most = 0;
        for (int c = 0; c < commits; c++) {
            long bytes = r.nextInt(10) == 0 ? 1 + r.nextInt(64 << 20) : 1 + r.nextInt(200_000);
            packs.add(new PackUpkeep.Pack(id(next++), bytes));
            written += bytes;
            if (packs.size() >= PackUpkeep.MIN_PACKS) {
                List<ObjectId> merge = PackUpkeep.chooseToMerge(packs);
                assertTrue(merge.isEmpty() || merge.size() >= 2, "seed " + seed);
                long sum = 0;
                Set<ObjectId> gone = new HashSet<>(merge);
                for (PackUpkeep.Pack p : packs) {
                    if (gone.contains(p.id())) {
                        assertTrue(p.bytes() < PackUpkeep.SMALL_PACK_BYTES, "seed " + seed + ": a large pack chosen");
                        sum += p.bytes();
                    }
                }
                packs.removeIf(p -> gone.contains(p.id()));
                if (sum > 0) {
                    packs.add(new PackUpkeep.Pack(id(next++), sum));
                    copied += sum;
                }
            }
            most = Math.max(most, (int) packs.stream().filter(p -> p.bytes() < PackUpkeep.SMALL_PACK_BYTES).count());
        }
        assertTrue(most <= PackUpkeep.MIN_PACKS, "seed " + seed + ": " + most + " small packs at once");
        double perByte = (double) copied / written;
        assertTrue(perByte < Math.log(commits) / Math.log(2), "seed " + seed + ": each byte copied " + perByte + " times");
    }

    /** Step {@code i}'s tensor: random bit patterns of up to 2,000 fp32 elements (seeded by the step). */
    private static TensorSource tensorOf(int step) {
        return TestModels.randomTensors(step, 1, 2_000).get(0);
    }

    private static ObjectId step(Repository repo, int i) throws IOException {
        repo.stageTensors("m.safetensors", List.of(tensorOf(i)), Map.of());
        return repo.commit(CommitRequest.of("step " + i));
    }

    private static void readsBack(Repository repo, List<ObjectId> commits) throws IOException {
        for (int i = 0; i < commits.size(); i++) {
            TensorSource expected = tensorOf(i);
            try (InputStream in = repo.tensor(commits.get(i).hex(), "m.safetensors", expected.name()).openVerifiedStream();
                 InputStream want = expected.openStream()) {
                assertArrayEquals(want.readAllBytes(), in.readAllBytes(), "step " + i);
            }
        }
    }

    @Test
    void aTrainingLoopKeepsFewPacksAndEveryStepReadsBack() throws IOException {
        List<ObjectId> commits = new ArrayList<>();
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(4096))) {
            int most = 0;
            for (int i = 0; i < 200; i++) { // two packs a step: 400 without upkeep
                commits.add(step(repo, i));
                assertNull(repo.packUpkeepProblem()); // waits for a merge in progress
                most = Math.max(most, PackMerge.packsIn(dir.resolve(".coral/packs")).size());
            }
            assertTrue(most < PackUpkeep.MIN_PACKS + PackUpkeep.CHECK_EVERY, "at most " + most + " packs at once");
            readsBack(repo, commits);
            FsckReport fsck = Maintenance.fsck(repo, false);
            assertTrue(fsck.clean() && fsck.warnings().isEmpty(), fsck::toString);
        }
        try (Repository again = Repository.open(dir)) {
            readsBack(again, commits);
        }
    }

    @Test
    void noMergeWhileAGcOrRepackHoldsItsLockAndCommitsGoOn() throws Exception {
        List<ObjectId> commits = new ArrayList<>();
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (Repository repo = Repository.init(dir, RepositoryConfig.defaults().withChunkBytes(4096))) {
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Future<?> gcLock = other.submit(() -> {
                try (RepositoryLock.Held h = new RepositoryLock(dir.resolve(".coral/locks"), GarbageCollector.LOCK_NAME).lock()) {
                    held.countDown();
                    release.await();
                }
                return null;
            });
            assertTrue(held.await(30, TimeUnit.SECONDS));
            for (int i = 0; i < 60; i++) {
                commits.add(step(repo, i));
                assertNull(repo.packUpkeepProblem());
            }
            assertEquals(120, PackMerge.packsIn(dir.resolve(".coral/packs")).size(), "merged under a gc's lock");
            release.countDown();
            gcLock.get(30, TimeUnit.SECONDS);
            for (int i = 60; i < 90; i++) {
                commits.add(step(repo, i));
            }
            assertNull(repo.packUpkeepProblem());
            assertTrue(PackMerge.packsIn(dir.resolve(".coral/packs")).size() < PackUpkeep.MIN_PACKS, "no merge once the lock was free");
            readsBack(repo, commits);
            assertTrue(Maintenance.fsck(repo, false).clean());
        } finally {
            other.shutdownNow();
        }
    }
}
