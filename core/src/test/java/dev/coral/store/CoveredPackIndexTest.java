package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store forgets the own index of each pack the multi-pack index comes to cover (a long-lived
 * handle kept every one it wrote), and no look-up misses because of it, even while another
 * thread's flushes rewrite the multi-pack index and forget indexes under it.
 */
class CoveredPackIndexTest {
    @TempDir
    Path dir;

    /** A store whose multi-pack index is rewritten every {@code threshold} packs, holding {@code count} packs of one object each. */
    private ObjectStore storeWithPacks(int threshold, int count, List<ObjectId> ids) throws IOException {
        ObjectStore store = new ObjectStore(dir.resolve("packs"), 1);
        store.setMultiPackIndexThreshold(threshold);
        PackFixtures.insertPacks(store, 0, count, ids);
        return store;
    }

    @Test
    void coveredPacksHoldNoIndexAndEveryObjectIsFound() throws IOException {
        List<ObjectId> ids = new ArrayList<>();
        try (ObjectStore store = storeWithPacks(4, 41, ids)) {
            assertEquals(41, store.packCount());
            assertTrue(store.packsHoldingIndex() < 4, store.packsHoldingIndex() + " of 41 packs hold their own index");
            for (ObjectId id : ids) {
                assertNotNull(store.findLoaded(id), id.hex());
            }
            assertEquals(41, store.packIndexes().size(), "every pack's index, read again where forgotten");
            for (PackIndex idx : store.packIndexes()) {
                assertNotNull(idx);
            }
            assertEquals(1, store.findByPrefix(ids.get(7).hex().substring(0, 12)).size());
        }
    }

    @Test
    void lookUpsNeverMissWhileIndexesAreForgotten() throws Exception {
        List<ObjectId> ids = new CopyOnWriteArrayList<>();
        try (ObjectStore store = storeWithPacks(2, 5, ids)) {
            AtomicBoolean writing = new AtomicBoolean(true);
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<Integer>> readers = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    Random r = new Random(t);
                    readers.add(pool.submit(() -> {
                        int looked = 0;
                        while (writing.get() || looked < 1000) {
                            ObjectId id = ids.get(r.nextInt(ids.size()));
                            assertNotNull(store.findLoaded(id), "missed " + id.hex() + " after " + looked + " look-ups");
                            looked++;
                        }
                        return looked;
                    }));
                }
                // every flush registers a pack; every second one rewrites the multi-pack index
                PackFixtures.insertPacks(store, 5, 80, ids);
                writing.set(false);
                for (Future<Integer> f : readers) {
                    assertTrue(f.get() >= 1000);
                }
            } finally {
                writing.set(false);
                pool.shutdownNow();
            }
            assertTrue(store.packsHoldingIndex() < 2 + 1, store.packsHoldingIndex() + " packs hold their own index");
        }
    }
}
