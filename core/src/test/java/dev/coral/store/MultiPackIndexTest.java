package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.MissingObjectException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MultiPackIndexTest {
    @TempDir
    Path tmp;
    Path packs;
    /** Every object written, by id, and the packs holding it. */
    final Map<ObjectId, byte[]> content = new HashMap<>();
    final Map<ObjectId, Set<ObjectId>> packsOf = new HashMap<>();
    /** Each pack's own index. */
    final Map<ObjectId, PackIndex> indexes = new HashMap<>();

    @BeforeEach
    void setUp() {
        packs = tmp.resolve(".coral/packs");
    }

    static Stream<Long> seeds() {
        return new Random(20260601).longs(10).boxed();
    }

    private PackIndex pack(List<byte[]> objects) throws IOException {
        PackIndex idx = PackFixtures.writePack(packs, objects);
        indexes.put(idx.packId(), idx);
        for (byte[] o : objects) {
            ObjectId id = ObjectId.hashOf(o);
            content.put(id, o);
            packsOf.computeIfAbsent(id, k -> new HashSet<>()).add(idx.packId());
        }
        return idx;
    }

    /** Every known object is found, in a pack that holds it, with that pack's own entry; and reads back. */
    private void assertAllFound(ObjectStore store, String why) throws IOException {
        for (Map.Entry<ObjectId, byte[]> e : content.entrySet()) {
            ObjectStore.Found f = store.findLoaded(e.getKey());
            assertNotNull(f, why + ": " + e.getKey());
            ObjectId pack = f.pack().packId();
            assertTrue(packsOf.get(e.getKey()).contains(pack), why + ": located in a pack that does not hold it");
            assertEquals(indexes.get(pack).find(e.getKey()), f.entry(), why + ": entry differs from the pack's index");
        }
    }

    private void assertAllRead(ObjectStore store, String why) throws IOException {
        for (Map.Entry<ObjectId, byte[]> e : content.entrySet()) {
            byte[] out = new byte[e.getValue().length];
            store.readChunk(e.getKey(), out, true);
            assertArrayEquals(e.getValue(), out, why);
        }
    }

    private static ObjectId randomId(Random r) {
        byte[] b = new byte[ObjectId.BYTES];
        r.nextBytes(b);
        return ObjectId.fromBytes(b);
    }

    private ObjectId insertAndFlush(ObjectStore store, byte[] data) throws IOException {
        try (ObjectInserter ins = store.newInserter()) {
            ObjectId id = ins.insertChunk(data, 0, data.length);
            ins.flush();
            content.put(id, data);
            return id;
        }
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void everyObjectOfRandomPacksIsFoundAtItsLocation(long seed) throws IOException {
        String why = "seed " + seed;
        Random r = new Random(seed);
        int packCount = 1 + r.nextInt(40);
        List<byte[]> all = new ArrayList<>();
        try (ObjectStore writer = new ObjectStore(packs, 3)) {
            for (int p = 0; p < packCount; p++) {
                List<byte[]> objects = PackFixtures.randomObjects(r, r.nextInt(30), 200);
                for (int k = r.nextInt(4); k > 0 && !all.isEmpty(); k--) {
                    objects.add(all.get(r.nextInt(all.size()))); // also in an earlier pack
                }
                if (objects.isEmpty() || r.nextInt(8) == 0) {
                    objects.add(all.isEmpty() ? new byte[] {1} : all.get(r.nextInt(all.size())));
                }
                all.addAll(objects);
                pack(objects);
                if (r.nextInt(6) == 0) {
                    writer.writeMultiPackIndex(); // merge into an existing index later
                }
            }
            writer.writeMultiPackIndex();
            assertEquals(0, writer.uncoveredPackCount(), why);
        }
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            assertEquals(0, store.indexFilesRead(), why + ": no pack index is read");
            MultiPackIndex mpx = store.multiPackIndex();
            assertNotNull(mpx, why);
            assertEquals(indexes.size(), mpx.packCount(), why);
            assertEquals(content.size(), mpx.size(), why + ": one entry per distinct object");
            assertAllFound(store, why);
            assertAllRead(store, why);
            for (int i = 0; i < 500; i++) {
                ObjectId miss = randomId(r);
                assertNull(store.findLoaded(miss), why);
                assertNull(store.find(miss), why);
            }
        }
    }

    @Test
    void anObjectInTwoPacksKeepsTheLocationTheIndexHad() throws IOException {
        byte[] x = {1, 2, 3};
        byte[] y = {4, 5};
        byte[] z = {6};
        PackIndex a = pack(List.of(x, y));
        ObjectId xid = ObjectId.hashOf(x);
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            store.writeMultiPackIndex();
            pack(List.of(z, x));
            store.writeMultiPackIndex();
            assertEquals(2, store.multiPackIndex().packCount());
            assertEquals(3, store.multiPackIndex().size(), "x is listed once");
            assertEquals(a.packId(), store.findLoaded(xid).pack().packId(), "the location already indexed is kept");
            assertAllFound(store, "two packs");
            assertAllRead(store, "two packs");
        }
        Files.delete(tmp.resolve(".coral/packs/" + MultiPackIndex.FILE_NAME));
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            store.writeMultiPackIndex(); // both packs new: one location, either
            assertEquals(3, store.multiPackIndex().size());
            assertAllFound(store, "from scratch");
            assertAllRead(store, "from scratch");
        }
    }

    @Test
    void theSixteenthUncoveredPackMakesAFlushRewriteTheIndex() throws IOException {
        Random r = new Random(16);
        Path file = packs.resolve(MultiPackIndex.FILE_NAME);
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            for (int i = 1; i <= 19; i++) {
                insertAndFlush(store, PackFixtures.randomObjects(r, 1, 300).get(0));
                if (i < ObjectStore.DEFAULT_MULTI_PACK_INDEX_THRESHOLD) {
                    assertFalse(Files.exists(file), "no index after " + i + " packs");
                    assertEquals(i, store.uncoveredPackCount());
                } else if (i == ObjectStore.DEFAULT_MULTI_PACK_INDEX_THRESHOLD) {
                    assertTrue(Files.exists(file), "written at the 16th pack");
                    assertEquals(1, store.multiPackIndexWrites());
                    assertEquals(0, store.uncoveredPackCount());
                    assertEquals(16, store.multiPackIndex().packCount());
                }
            }
            assertEquals(1, store.multiPackIndexWrites());
            assertEquals(3, store.uncoveredPackCount());
            assertNull(store.lastMaintenanceFailure());
        }
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            assertEquals(1, store.multiPackIndexReads());
            assertEquals(3, store.indexFilesRead(), "only the packs written after the index");
            assertEquals(19, store.packCount());
            for (Map.Entry<ObjectId, byte[]> e : content.entrySet()) {
                byte[] out = new byte[e.getValue().length];
                store.readChunk(e.getKey(), out, true);
                assertArrayEquals(e.getValue(), out);
            }
            assertEquals(3, store.indexFilesRead(), "reads need no pack index");
        }
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            store.setMultiPackIndexThreshold(4);
            insertAndFlush(store, new byte[] {42});
            assertEquals(1, store.multiPackIndexWrites(), "the threshold can be lowered");
            assertEquals(20, store.multiPackIndex().packCount());
        }
    }

    /** Five packs and their multi-pack index; returns its bytes. */
    private byte[] fivePacksIndexed(Random r) throws IOException {
        for (int p = 0; p < 5; p++) {
            pack(PackFixtures.randomObjects(r, 20, 100));
        }
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            store.writeMultiPackIndex();
        }
        return Files.readAllBytes(packs.resolve(MultiPackIndex.FILE_NAME));
    }

    @Test
    void aFlippedByteAnywhereIsIgnoredAndTheIndexRewritten() throws IOException {
        Random r = new Random(99);
        byte[] original = fivePacksIndexed(r);
        Path file = packs.resolve(MultiPackIndex.FILE_NAME);
        Set<Integer> positions = new TreeSet<>();
        for (int i = 0; i < 48; i++) {
            positions.add(i); // header, pack table
            positions.add(original.length - 1 - i); // last entries, checksum
        }
        while (positions.size() < 200) {
            positions.add(r.nextInt(original.length));
        }
        int trial = 0;
        for (int at : positions) {
            byte[] bad = original.clone();
            bad[at] ^= (byte) (1 + r.nextInt(255));
            Files.write(file, bad);
            String why = "flip at " + at + " of " + original.length;
            try (ObjectStore store = new ObjectStore(packs, 3)) {
                assertNull(store.multiPackIndex(), why);
                assertEquals(5, store.indexFilesRead(), why + ": every pack index is read instead");
                assertAllFound(store, why);
                if (trial++ % 8 == 0) { // a rewrite costs two fsyncs: check it on a sample
                    store.writeMultiPackIndex();
                    assertArrayEquals(original, Files.readAllBytes(file), why + ": rewritten as it was");
                }
            }
        }
        Files.write(file, original);
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            assertAllRead(store, "after the flips");
        }
    }

    @Test
    void aDamagedIndexIsRewrittenAtTheNextFlush() throws IOException {
        byte[] original = fivePacksIndexed(new Random(5));
        Path file = packs.resolve(MultiPackIndex.FILE_NAME);
        byte[] bad = original.clone();
        bad[bad.length / 2] ^= 0x10;
        Files.write(file, bad);
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            assertNull(store.multiPackIndex());
            insertAndFlush(store, new byte[] {7, 7, 7});
            assertEquals(1, store.multiPackIndexWrites(), "one new pack is enough when the file is damaged");
            assertEquals(6, store.multiPackIndex().packCount());
            assertNull(store.lastMaintenanceFailure());
        }
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            assertEquals(0, store.indexFilesRead());
            assertAllRead(store, "after the rewrite");
        }
    }

    @Test
    void anUnknownVersionOrATruncatedFileIsIgnored() throws IOException {
        byte[] original = fivePacksIndexed(new Random(6));
        Path file = packs.resolve(MultiPackIndex.FILE_NAME);
        byte[] v2 = original.clone();
        ByteBuffer.wrap(v2).putInt(8, 2);
        CRC32C crc = new CRC32C();
        crc.update(v2, 0, v2.length - 4);
        ByteBuffer.wrap(v2).putInt(v2.length - 4, (int) crc.getValue());
        List<byte[]> variants = List.of(v2, new byte[0], java.util.Arrays.copyOf(original, original.length - 1),
                java.util.Arrays.copyOf(original, 30));
        for (byte[] v : variants) {
            Files.write(file, v);
            try (ObjectStore store = new ObjectStore(packs, 3)) {
                assertNull(store.multiPackIndex());
                assertAllFound(store, v.length + " bytes");
                store.writeMultiPackIndex();
                assertArrayEquals(original, Files.readAllBytes(file));
            }
        }
        CorruptObjectException e = assertThrows(CorruptObjectException.class,
                () -> MultiPackIndex.decode("x", java.util.Arrays.copyOf(original, original.length - 1)));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void aMissingPackFileIsNamed() throws IOException {
        Random r = new Random(11);
        List<byte[]> inGone = PackFixtures.randomObjects(r, 5, 100);
        pack(PackFixtures.randomObjects(r, 5, 100));
        PackIndex gone = pack(inGone);
        pack(PackFixtures.randomObjects(r, 5, 100));
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            store.writeMultiPackIndex();
        }
        Path packFile = packs.resolve(PackLayout.packFileName(gone.packId()));
        Files.delete(packFile);
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            assertNotNull(store.multiPackIndex(), "opening reads no pack file");
            byte[] data = inGone.get(0);
            CorruptObjectException e = assertThrows(CorruptObjectException.class,
                    () -> store.readChunk(ObjectId.hashOf(data), new byte[data.length], true));
            assertTrue(e.getMessage().contains(packFile.getFileName().toString()), e.getMessage());
            for (ObjectId id : content.keySet()) {
                if (!packsOf.get(id).contains(gone.packId())) {
                    store.readChunk(id, new byte[content.get(id).length], true);
                }
            }
        }
    }

    @Test
    void aPackWhoseIndexIsGoneMakesTheMultiPackIndexStale() throws IOException {
        Random r = new Random(12);
        List<byte[]> inGone = PackFixtures.randomObjects(r, 5, 100);
        pack(PackFixtures.randomObjects(r, 5, 100));
        PackIndex gone = pack(inGone);
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            store.writeMultiPackIndex();
        }
        Files.delete(packs.resolve(PackLayout.indexFileName(gone.packId())));
        Files.delete(packs.resolve(PackLayout.packFileName(gone.packId())));
        for (byte[] o : inGone) {
            content.remove(ObjectId.hashOf(o));
        }
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            assertNull(store.multiPackIndex(), "it names a pack that is gone: not trusted");
            assertAllFound(store, "stale");
            assertThrows(MissingObjectException.class, () -> store.rawLength(ObjectId.hashOf(inGone.get(0))));
            insertAndFlush(store, new byte[] {1, 2});
            assertEquals(1, store.multiPackIndexWrites(), "the next flush rewrites it");
            assertEquals(2, store.multiPackIndex().packCount());
            assertFalse(store.multiPackIndex().covers(gone.packId()));
        }
    }

    @Test
    void twoStoresWritingConcurrentlyStayCorrect() throws Exception {
        long seed = System.nanoTime();
        String why = "seed " + seed;
        Random shared = new Random(seed);
        List<byte[]> common = PackFixtures.randomObjects(shared, 10, 2000);
        Map<ObjectId, byte[]> written = new ConcurrentHashMap<>();
        try (ObjectStore a = new ObjectStore(packs, 3); ObjectStore b = new ObjectStore(packs, 3)) {
            a.setMultiPackIndexThreshold(3);
            b.setMultiPackIndexThreshold(3);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (ObjectStore s : List.of(a, b)) {
                long mySeed = shared.nextLong();
                done.add(pool.submit(() -> {
                    Random r = new Random(mySeed);
                    start.await();
                    for (int i = 0; i < 30; i++) {
                        Map<ObjectId, byte[]> mine = new HashMap<>();
                        try (ObjectInserter ins = s.newInserter()) {
                            for (byte[] o : List.of(PackFixtures.randomObjects(r, 1, 3000).get(0),
                                    common.get(r.nextInt(common.size())))) {
                                mine.put(ins.insertChunk(o, 0, o.length), o);
                            }
                            ins.flush();
                        }
                        written.putAll(mine); // visible to every store from now on
                        if (r.nextInt(5) == 0) {
                            for (ObjectId id : written.keySet()) {
                                assertNotNull(s.find(id), why);
                            }
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get();
            }
            pool.shutdown();
            for (ObjectStore s : List.of(a, b)) {
                assertNull(s.lastMaintenanceFailure(), why);
                for (Map.Entry<ObjectId, byte[]> e : written.entrySet()) {
                    byte[] out = new byte[e.getValue().length];
                    s.readChunk(e.getKey(), out, true);
                    assertArrayEquals(e.getValue(), out, why);
                }
            }
        }
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            store.writeMultiPackIndex();
        }
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            assertEquals(0, store.indexFilesRead(), why);
            assertNotNull(store.multiPackIndex(), why);
            for (Map.Entry<ObjectId, byte[]> e : written.entrySet()) {
                byte[] out = new byte[e.getValue().length];
                store.readChunk(e.getKey(), out, true);
                assertArrayEquals(e.getValue(), out, why);
            }
            assertEquals(written.size(), store.multiPackIndex().size(), why + ": one entry per distinct object");
        }
    }

    @Test
    void identicalContentIsStoredOnceAcrossStores() throws IOException {
        Random r = new Random(3);
        byte[] c = PackFixtures.randomObjects(r, 1, 5000).get(0);
        try (ObjectStore a = new ObjectStore(packs, 3); ObjectStore b = new ObjectStore(packs, 3)) {
            insertAndFlush(a, c);
            try (ObjectInserter ins = b.newInserter()) {
                ins.insertChunk(c, 0, c.length);
                assertEquals(0, ins.chunksWritten(), "b sees the pack a wrote after b opened");
                assertEquals(1, ins.chunksDeduplicated());
            }
            for (int i = 0; i < 15; i++) {
                insertAndFlush(a, PackFixtures.randomObjects(r, 1, 300).get(0));
            }
            assertNotNull(a.multiPackIndex());
        }
        try (ObjectStore fresh = new ObjectStore(packs, 3); ObjectInserter ins = fresh.newInserter()) {
            for (Map.Entry<ObjectId, byte[]> e : content.entrySet()) {
                assertEquals(e.getKey(), ins.insertChunk(e.getValue(), 0, e.getValue().length));
            }
            assertEquals(0, ins.chunksWritten(), "every chunk is found through the multi-pack index");
            assertEquals(0, fresh.indexFilesRead());
            byte[] other = {9, 9, 9};
            ins.insertChunk(other, 0, other.length);
            assertEquals(1, ins.chunksWritten());
            ins.flush();
            assertEquals(17, fresh.packCount());
        }
    }

    @Test
    void findByPrefixSearchesIndexedAndUncoveredPacks() throws IOException {
        Random r = new Random(21);
        for (int p = 0; p < 6; p++) {
            pack(PackFixtures.randomObjects(r, 40, 50));
        }
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            store.writeMultiPackIndex();
            pack(PackFixtures.randomObjects(r, 40, 50));
            for (String prefix : List.of("", "a", "0", "f", "3c", "00", "ff", "7e1", content.keySet().iterator().next().hex())) {
                Set<ObjectId> expected = content.keySet().stream().filter(id -> id.startsWith(prefix)).collect(Collectors.toSet());
                List<PackIndex.Entry> got = store.findByPrefix(prefix);
                assertEquals(expected, got.stream().map(PackIndex.Entry::id).collect(Collectors.toSet()), "prefix " + prefix);
                assertEquals(expected.size(), got.size(), "each once: " + prefix);
            }
            assertEquals(7, store.packIndexes().size(), "packIndexes still lists every pack");
        }
    }
}
