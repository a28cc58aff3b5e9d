package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A store holds a bounded number of pack files open ({@link OpenPacks}): packs beyond it are
 * closed, least recently read first, and reopened at their next read, while reads from many
 * threads go on; and a thread interrupted while it reads (which closes the shared channel) does
 * not leave the pack unreadable for the others.
 */
class OpenPacksTest {
    @TempDir
    Path dir;

    /** {@code packs} packs of one object each, through a store's inserter (each flush one pack). */
    private static List<byte[]> writePacks(ObjectStore store, int packs, long seed) throws IOException {
        List<byte[]> objects = new ArrayList<>();
        for (int i = 0; i < packs; i++) {
            byte[] b = PackFixtures.seededObject(seed + i, 20_000);
            try (ObjectInserter ins = store.newInserter()) {
                ins.insertChunk(b, 0, b.length);
                ins.flush();
            }
            objects.add(b);
        }
        return objects;
    }

    private static void assertReads(ObjectStore store, byte[] expected) throws IOException {
        byte[] dst = new byte[expected.length];
        store.readChunk(ObjectId.hashOf(expected), dst, true);
        assertArrayEquals(expected, dst);
    }

    @ParameterizedTest(name = "limit {0}")
    @ValueSource(ints = {1, 3, 8})
    void manyPacksReadFromManyThreadsStayWithinTheLimit(int limit) throws Exception {
        long seed = 1000L * limit;
        Path packs = dir.resolve("packs");
        List<byte[]> objects;
        try (ObjectStore writer = new ObjectStore(packs, 1)) {
            objects = writePacks(writer, 40, seed);
        }
        try (ObjectStore store = new ObjectStore(packs, packs.getParent().resolve("locks"), 1, limit)) {
            assertEquals(40, store.packCount(), "seed " + seed);
            assertTrue(store.openPackCount() <= limit, "opening the store opens at most " + limit + " packs: " + store.openPackCount());
            ExecutorService pool = Executors.newFixedThreadPool(4);
            AtomicInteger reads = new AtomicInteger();
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    Random r = new Random(seed + t);
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < 300; i++) {
                            byte[] b = objects.get(r.nextInt(objects.size()));
                            assertReads(store, b);
                            reads.incrementAndGet();
                            // at most the limit, plus packs evicted while one of the 4 threads still reads them
                            assertTrue(store.openPackCount() <= limit + 4, "open packs " + store.openPackCount() + " (seed " + seed + ")");
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1200, reads.get());
            assertTrue(store.openPackCount() <= limit, "after the reads: " + store.openPackCount() + " open, limit " + limit);
            for (byte[] b : objects) {
                assertReads(store, b); // every pack readable again after its eviction
            }
        }
    }

    @Test
    void packsWrittenThroughOneStoreAreClosedBeyondTheLimit() throws IOException {
        Path packs = dir.resolve("packs");
        try (ObjectStore store = new ObjectStore(packs, packs.getParent().resolve("locks"), 1, 5)) {
            List<byte[]> objects = writePacks(store, 30, 7);
            assertEquals(30, store.packCount());
            assertTrue(store.openPackCount() <= 5, "a store that wrote 30 packs holds " + store.openPackCount() + " open, limit 5");
            for (byte[] b : objects) {
                assertReads(store, b);
            }
            assertTrue(store.openPackCount() <= 5);
        }
    }

    @Test
    void aReaderInterruptedMidReadDoesNotCloseThePackForOthers() throws Exception {
        Path packs = dir.resolve("packs");
        List<byte[]> objects;
        try (ObjectStore writer = new ObjectStore(packs, 1)) {
            objects = writePacks(writer, 2, 99);
        }
        try (ObjectStore store = new ObjectStore(packs, 1)) {
            byte[] b = objects.get(0);
            assertReads(store, b);
            Thread.currentThread().interrupt(); // FileChannel.read in an interrupted thread closes the channel
            try {
                IOException e = assertThrows(IOException.class, () -> assertReads(store, b));
                assertTrue(e instanceof ClosedByInterruptException, "the interrupted reader learns why: " + e);
            } finally {
                assertTrue(Thread.interrupted(), "and keeps its interrupt");
            }
            assertReads(store, b); // the pack reopens for the next read
            Thread other = new Thread(() -> {
                try {
                    assertReads(store, objects.get(1));
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            other.start();
            other.join();
        }
    }

    @Test
    void aClosedStoreRefusesReads() throws IOException {
        Path packs = dir.resolve("packs");
        ObjectStore store = new ObjectStore(packs, packs.getParent().resolve("locks"), 1, 2);
        List<byte[]> objects = writePacks(store, 3, 5);
        ObjectStore.Found f = store.find(ObjectId.hashOf(objects.get(0)));
        store.close();
        assertEquals(0, store.openPackCount());
        assertThrows(IOException.class, () -> f.pack().readPayload(f.entry()));
        assertFalse(f.pack().isOpen());
    }

    /** fp32-like versions of one chunk: each a small step from the one before, so the store keeps them as deltas. */
    private static List<byte[]> versions(int count, long seed) {
        Random r = new Random(seed);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64 << 10).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        float[] w = new float[b.capacity() / 4];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian() * 0.05f;
        }
        List<byte[]> out = new ArrayList<>();
        for (int v = 0; v < count; v++) {
            b.clear();
            for (int i = 0; i < w.length; i++) {
                w[i] -= 1e-4f * (float) r.nextGaussian();
                b.putFloat(w[i]);
            }
            out.add(b.array().clone());
        }
        return out;
    }

    @Test
    void packsAnotherProcessReplacedAreFoundAgainAfterTheyWereClosed() throws IOException {
        Path packs = dir.resolve("packs");
        Path locks = packs.getParent().resolve("locks");
        try (ObjectStore store = new ObjectStore(packs, locks, 1, 2)) {
            List<byte[]> chunks = versions(12, 3);
            ObjectId previous = null;
            for (byte[] c : chunks) { // one pack per version, each a delta on the one before
                try (ObjectInserter ins = store.newInserter()) {
                    previous = ins.insertChunk(c, 0, c.length, 4, previous);
                    ins.flush();
                }
            }
            assertTrue(store.chainDepth(previous) > 0, "the newest version is a delta");
            for (int i = chunks.size() - 1; i >= 0; i--) { // newest first: the newest packs are closed again at the end
                assertReads(store, chunks.get(i));
            }
            // another process repacks: every object into one new pack, the old packs deleted
            PackMerge.mergeInPlace(packs, PackMerge.packsIn(packs));
            PackVerifier.rebuildMultiPackIndex(packs, locks);
            // planning a base from this store's view, whose pack for the newest version is gone
            // (closed here, then deleted): no base, a keyframe, rather than an error
            assertEquals(null, SkipDeltaBase.plan(store, previous, chunks.get(0).length, ChainShape.skipDelta(12)));
            // a new inserter catches up with the folder first: the next version is a delta again
            byte[] next = versions(13, 3).get(12);
            ObjectId id;
            try (ObjectInserter ins = store.newInserter()) {
                id = ins.insertChunk(next, 0, next.length, 4, previous);
                ins.flush();
            }
            assertTrue(store.chainDepth(id) > 0);
            assertReads(store, next);
            for (byte[] c : chunks) {
                assertReads(store, c); // looked up again after the miss: read from the merged pack
            }
            assertTrue(store.chainDepth(previous) > 0, "the merged pack keeps the deltas");
        }
    }

    /**
     * Another process's gc or repack deletes a pack (its index first, then the pack) between
     * this store's listing of the folder and its reading of that pack's index: the pack is gone,
     * not damaged, and the refresh (a commit's catch-up, a look-up's rescan) goes on.
     */
    @ParameterizedTest(name = "index only {0}")
    @ValueSource(booleans = {false, true})
    void aPackDeletedWhileTheFolderIsListedIsGoneNotDamaged(boolean indexOnly) throws IOException {
        Path packs = dir.resolve("packs");
        List<byte[]> objects;
        try (ObjectStore writer = new ObjectStore(packs, 1)) {
            objects = writePacks(writer, 3, 77);
        }
        try (ObjectStore store = new ObjectStore(packs, 1)) {
            ObjectId gone = store.find(ObjectId.hashOf(objects.get(1))).pack().packId();
            dev.coral.io.FaultPoints.install(point -> {
                if (point.equals("store.packsListed")) {
                    if (indexOnly) {
                        java.nio.file.Files.deleteIfExists(packs.resolve(PackLayout.indexFileName(gone)));
                    } else {
                        PackVerifier.deletePacks(packs, List.of(gone));
                    }
                }
            });
            ObjectStore other;
            try {
                other = new ObjectStore(packs, 1); // a new store lists the folder, then reads each index
            } finally {
                dev.coral.io.FaultPoints.install(null);
            }
            try (other) {
                assertEquals(0, other.unreadablePacks(), "a pack deleted meanwhile is not reported as damaged");
                assertReads(other, objects.get(0));
                assertReads(other, objects.get(2));
                assertEquals(null, other.find(ObjectId.hashOf(objects.get(1))));
            }
        }
    }

    /** What the JDK throws when the process may open no more files (EMFILE). */
    private static IOException outOfFiles(String point) {
        return new java.nio.file.FileSystemException("pack at " + point, null, "Too many open files");
    }

    /** {@code packs} packs written through a store of their own, and a store holding at most 8 open that reads them. */
    private ObjectStore storeOf(int packs, long seed, List<byte[]> objects) throws IOException {
        Path folder = dir.resolve("packs");
        try (ObjectStore writer = new ObjectStore(folder, 1)) {
            objects.addAll(writePacks(writer, packs, seed));
        }
        return new ObjectStore(folder, folder.getParent().resolve("locks"), 1, 8);
    }

    @Test
    void aPackThatCannotOpenForWantOfFilesClosesTheOthersAndTriesAgain() throws IOException {
        List<byte[]> objects = new ArrayList<>();
        try (ObjectStore store = storeOf(10, 31, objects)) {
            for (byte[] b : objects) {
                assertReads(store, b);
            }
            assertEquals(8, store.openPackCount(), "the first two packs were closed to keep 8 open");
            AtomicInteger refused = new AtomicInteger();
            dev.coral.io.FaultPoints.install(point -> {
                if (point.equals(PackFile.OPENING) && refused.getAndIncrement() == 0) {
                    throw outOfFiles(point);
                }
            });
            try {
                assertReads(store, objects.get(0)); // its pack was closed: opening it meets the limit once
            } finally {
                dev.coral.io.FaultPoints.install(null);
            }
            assertEquals(2, refused.get(), "refused once, then opened");
            assertEquals(1, store.openPackCount(), "the other packs were closed to make room");
            for (byte[] b : objects) {
                assertReads(store, b);
            }
            assertEquals(4, store.openPackCount(), "and the store keeps half as many open as it had: " + store.openPackCount());
        }
    }

    @Test
    void aPackThatCannotOpenWhenNoOtherIsOpenFailsNamingIt() throws IOException {
        List<byte[]> objects = new ArrayList<>();
        try (ObjectStore store = storeOf(1, 41, objects)) {
            store.find(ObjectId.hashOf(objects.get(0))).pack().evict(); // nothing open
            dev.coral.io.FaultPoints.install(point -> {
                if (point.equals(PackFile.OPENING)) {
                    throw outOfFiles(point);
                }
            });
            IOException e;
            try {
                e = assertThrows(IOException.class, () -> assertReads(store, objects.get(0)));
            } finally {
                dev.coral.io.FaultPoints.install(null);
            }
            assertTrue(dev.coral.io.OpenFileLimit.reached(e), "the failure says why: " + e);
            assertReads(store, objects.get(0)); // and the pack opens once files are free
        }
    }

    @ParameterizedTest(name = "{0} files")
    @ValueSource(longs = {-1, 0, 16, 48, 256, 1024, 1_048_576})
    void theBoundIsAnEighthOfTheFilesTheProcessMayOpen(long files) {
        int bound = OpenPacks.boundFor(files);
        assertTrue(bound >= OpenPacks.FEWEST && bound <= OpenPacks.MOST, files + " files: " + bound);
        assertEquals(files < 0 || files >= 8L * OpenPacks.MOST ? OpenPacks.MOST : Math.max(OpenPacks.FEWEST, files / 8), bound, files + " files");
    }

    @Test
    void limitMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new OpenPacks(0));
    }
}
