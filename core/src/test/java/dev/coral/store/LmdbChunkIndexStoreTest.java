package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ObjectStore} and {@link ObjectInserter} with an {@link LmdbChunkIndex} attached. */
class LmdbChunkIndexStoreTest {
    @TempDir
    Path tmp;
    Path packs;
    Path cache;
    long seed;
    Random rnd;

    @BeforeEach
    void setUp() {
        packs = tmp.resolve(".coral/packs");
        cache = tmp.resolve(".coral/cache");
        seed = System.nanoTime();
        rnd = new Random(seed);
        System.out.println("seed=" + seed);
    }

    private byte[] chunk(int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    private ObjectStore storeWithIndex() throws IOException {
        ObjectStore store = new ObjectStore(packs, 3);
        store.useChunkIndex(LmdbChunkIndex.open(cache, store));
        return store;
    }

    private static ObjectId insertAndFlush(ObjectStore store, byte[] data) throws IOException {
        try (ObjectInserter ins = store.newInserter()) {
            ObjectId id = ins.insertChunk(data, 0, data.length);
            ins.flush();
            return id;
        }
    }

    @Test
    void indexDeduplicatesAcrossFreshStores() throws Exception {
        byte[] a = chunk(10_000);
        ObjectId id;
        try (ObjectStore store = storeWithIndex()) {
            id = insertAndFlush(store, a);
            LmdbChunkIndex index = (LmdbChunkIndex) store.chunkIndex();
            assertNotNull(index.get(id), "flush put the new pack's entries into the index");
            assertEquals(1, index.coveredPackCount());
        }
        try (ObjectStore store = storeWithIndex(); ObjectInserter ins = store.newInserter()) {
            assertEquals(LmdbChunkIndex.Outcome.OPENED, ((LmdbChunkIndex) store.chunkIndex()).outcome());
            assertEquals(id, ins.insertChunk(a, 0, a.length));
            assertEquals(0, ins.chunksWritten(), seedMsg());
            assertEquals(1, ins.chunksDeduplicated());
            byte[] other = chunk(5_000);
            ins.insertChunk(other, 0, other.length);
            assertEquals(1, ins.chunksWritten(), "a new chunk is written: a miss in a complete index means absent");
            ins.insertChunk(other, 0, other.length);
            assertEquals(1, ins.chunksWritten(), "the pending set deduplicates within the inserter");
            ins.flush();
            byte[] out = new byte[a.length];
            store.readChunk(id, out, true);
            assertArrayEquals(a, out);
        }
    }

    @Test
    void staleEntryForADeletedPackMakesTheChunkBeWrittenAgain() throws Exception {
        byte[] a = chunk(8_000);
        ObjectId id;
        ObjectId pack;
        try (ObjectStore store = storeWithIndex()) {
            id = insertAndFlush(store, a);
            pack = store.chunkIndex().get(id).pack();
        }
        // gc deletes the pack; the index still names it (and still lists it as covered)
        Files.delete(packs.resolve(PackLayout.indexFileName(pack)));
        Files.delete(packs.resolve(PackLayout.packFileName(pack)));
        try (ObjectStore store = storeWithIndex()) {
            assertEquals(pack, store.chunkIndex().get(id).pack(), "the index has the stale entry");
            try (ObjectInserter ins = store.newInserter()) {
                ins.insertChunk(a, 0, a.length);
                assertEquals(1, ins.chunksWritten(), "a location in a pack that is not there counts as absent; " + seedMsg());
                byte[] b = chunk(100); // else the new pack would be the old one again, byte for byte
                ins.insertChunk(b, 0, b.length);
                ins.flush();
            }
            ObjectLocation now = store.chunkIndex().get(id);
            assertTrue(!now.pack().equals(pack), "the entry now names the new pack");
            byte[] out = new byte[a.length];
            store.readChunk(id, out, true);
            assertArrayEquals(a, out);
        }
        try (ObjectStore store = storeWithIndex(); ObjectInserter ins = store.newInserter()) {
            ins.insertChunk(a, 0, a.length);
            assertEquals(0, ins.chunksWritten());
        }
    }

    @Test
    void packsWrittenWithoutTheIndexAreCaughtUp() throws Exception {
        try (ObjectStore store = storeWithIndex()) {
            insertAndFlush(store, chunk(100)); // the index exists and covers one pack
        }
        byte[] b = chunk(3_000);
        try (ObjectStore plain = new ObjectStore(packs, 3)) {
            insertAndFlush(plain, b); // a writer that does not use the index
        }
        try (ObjectStore store = storeWithIndex(); ObjectInserter ins = store.newInserter()) {
            LmdbChunkIndex index = (LmdbChunkIndex) store.chunkIndex();
            assertEquals(2, index.coveredPackCount(), "open caught up with the new pack");
            ins.insertChunk(b, 0, b.length);
            assertEquals(0, ins.chunksWritten(), seedMsg());
        }
        // a pack that appears while a store with an index is open is caught up by the next inserter
        try (ObjectStore store = storeWithIndex()) {
            byte[] c = chunk(2_000);
            try (ObjectStore plain = new ObjectStore(packs, 3)) {
                insertAndFlush(plain, c);
            }
            store.refresh();
            try (ObjectInserter ins = store.newInserter()) {
                ins.insertChunk(c, 0, c.length);
                assertEquals(0, ins.chunksWritten(), seedMsg());
            }
            assertEquals(3, ((LmdbChunkIndex) store.chunkIndex()).coveredPackCount());
        }
    }

    @Test
    void deletedIndexIsRebuiltFromThePacks() throws Exception {
        List<byte[]> chunks = new ArrayList<>();
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            for (int p = 0; p < 5; p++) {
                try (ObjectInserter ins = store.newInserter()) {
                    for (int i = 0; i < 50; i++) {
                        byte[] c = chunk(64 + rnd.nextInt(200));
                        chunks.add(c);
                        ins.insertChunk(c, 0, c.length);
                    }
                    ins.flush();
                }
            }
        }
        for (int round = 0; round < 2; round++) {
            try (ObjectStore store = storeWithIndex(); ObjectInserter ins = store.newInserter()) {
                LmdbChunkIndex index = (LmdbChunkIndex) store.chunkIndex();
                assertEquals(round == 0 ? LmdbChunkIndex.Outcome.CREATED : LmdbChunkIndex.Outcome.REBUILT, index.outcome());
                assertEquals(5, index.coveredPackCount());
                assertEquals(chunks.size(), index.size());
                for (byte[] c : chunks) {
                    ins.insertChunk(c, 0, c.length);
                }
                assertEquals(0, ins.chunksWritten(), seedMsg());
            }
            if (round == 0) {
                Files.writeString(cache.resolve(LmdbChunkIndex.DIR).resolve("data.mdb"), "not an LMDB file");
            }
        }
        LmdbChunkIndex.delete(cache);
        try (ObjectStore store = storeWithIndex()) {
            assertEquals(LmdbChunkIndex.Outcome.CREATED, ((LmdbChunkIndex) store.chunkIndex()).outcome());
            assertEquals(chunks.size(), store.chunkIndex().size());
        }
    }

    @Test
    void withoutAnIndexTheStoreBehavesAsBefore() throws Exception {
        byte[] a = chunk(1_000);
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            insertAndFlush(store, a);
            try (ObjectInserter ins = store.newInserter()) {
                ins.insertChunk(a, 0, a.length);
                assertEquals(0, ins.chunksWritten());
            }
        }
        // and with the in-memory index, which covers nothing: a miss is only a hint
        try (ObjectStore store = new ObjectStore(packs, 3)) {
            store.useChunkIndex(new ChunkIndexInMemory());
            try (ObjectInserter ins = store.newInserter()) {
                ins.insertChunk(a, 0, a.length);
                assertEquals(0, ins.chunksWritten());
            }
        }
    }

    private String seedMsg() {
        return "seed=" + seed;
    }
}
