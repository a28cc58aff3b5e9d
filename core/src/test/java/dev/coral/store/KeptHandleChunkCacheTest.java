package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a long-lived handle (a training loop, the daemon) leaves in the chunk cache for the next
 * process: the newest version of every delta-encoded chunk it stored, whether its memory of
 * recent chunks held it to the close, never admitted it (a model larger than its budget), or
 * evicted it (a chunk that stopped changing). Before, only the first kind reached the cache.
 */
class KeptHandleChunkCacheTest {
    private static final int LEN = 4 * 4096;
    private static final long CACHE_BYTES = 64L << 20;

    @TempDir
    Path dir;

    private ObjectStore open() throws IOException {
        ObjectStore store = new ObjectStore(dir.resolve("packs"), 1);
        store.useChunkCache(new ChunkCache(dir.resolve("cache"), CACHE_BYTES));
        return store;
    }

    /** Commits version {@code v} of each chunk, one inserter, flushed: as a commit stores them. */
    private static ObjectId[] commit(ObjectStore store, byte[][][] history, int v, ObjectId[] previous) throws IOException {
        ObjectId[] ids = new ObjectId[history.length];
        try (ObjectInserter ins = store.newInserter()) {
            ins.setChainShape(new ChainShape(16, 4));
            for (int c = 0; c < history.length; c++) {
                ids[c] = ins.insertChunk(history[c][v], 0, LEN, 4, previous == null ? null : previous[c]);
            }
            ins.flush();
        }
        return ids;
    }

    /** Reads each newest chunk through a fresh handle: every one comes from the cache, bit-exact. */
    private void assertNewestServedFromTheCache(ObjectId[] newest, byte[][][] history, int v, String why) throws IOException {
        try (ObjectStore fresh = open()) {
            for (int c = 0; c < newest.length; c++) {
                byte[] out = new byte[LEN];
                fresh.readChunk(newest[c], out, true);
                assertArrayEquals(history[c][v], out, "chunk " + c);
            }
            assertEquals(newest.length, fresh.chunkCache().hits(), why);
        }
    }

    @Test
    void chunksItsMemoryDidNotAdmitAreWrittenToTheCacheAsTheyAreStored() throws IOException {
        byte[][][] history = history(3, 6, new Random(11));
        ObjectId[] ids = null;
        try (ObjectStore store = open()) {
            store.recentChunks().limitTo(3L * LEN); // a chunk is over a quarter of it: none is ever admitted
            for (int v = 0; v < 6; v++) {
                ids = commit(store, history, v, ids);
            }
            for (ObjectId id : ids) {
                assertFalse(store.recentChunks().contains(id), "not held in memory");
            }
        }
        assertNewestServedFromTheCache(ids, history, 5, "the newest version came from the cache");
    }

    @Test
    void aChunkThatStoppedChangingIsWrittenToTheCacheWhenItsMemoryLetsItGo() throws IOException {
        int versions = 40;
        byte[][][] history = history(4, versions, new Random(12));
        for (int v = 2; v < versions; v++) {
            history[0][v] = history[0][1]; // chunk 0 changes once, then is frozen
        }
        ObjectId[] ids = null;
        ObjectId frozen;
        try (ObjectStore store = open()) {
            store.recentChunks().limitTo(8L * LEN);
            for (int v = 0; v < versions; v++) {
                ids = commit(store, history, v, ids);
            }
            frozen = ids[0];
            assertTrue(store.chainDepth(frozen) > 0, "a delta");
            assertFalse(store.recentChunks().contains(frozen), "evicted from memory long before the close");
        }
        assertNewestServedFromTheCache(ids, history, versions - 1, "the frozen chunk and the others' newest versions came from the cache");
    }

    /** {@code chunks} fp32-like chunks, {@code versions} training steps each. */
    private static byte[][][] history(int chunks, int versions, Random r) {
        byte[][][] h = new byte[chunks][versions][];
        for (int c = 0; c < chunks; c++) {
            h[c][0] = new byte[LEN];
            ChunkChainDecodeTest.fillFloatLike(h[c][0], 4, r);
            for (int v = 1; v < versions; v++) {
                h[c][v] = h[c][v - 1].clone();
                ChunkChainDecodeTest.floatStep(h[c][v], 4, r);
            }
        }
        return h;
    }
}
