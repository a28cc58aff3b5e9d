package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunk ids computed on the side while the chunk is encoded are the same ids, and a chunk found
 * stored only once its encoding is done is still deduplicated, not written twice.
 */
class ChunkHasherTest {
    @TempDir
    Path dir;

    @RepeatedTest(5)
    void anIdHashedAsideIsTheChunksSha256(RepetitionInfo rep) throws IOException {
        long seed = 31 + rep.getCurrentRepetition();
        Random r = new Random(seed);
        try (ChunkHasher h = new ChunkHasher()) {
            for (int i = 0; i < 20; i++) {
                byte[] raw = new byte[r.nextInt(3) == 0 ? r.nextInt(3) : r.nextInt(1 << 16)];
                r.nextBytes(raw);
                int off = raw.length == 0 ? 0 : r.nextInt(raw.length + 1);
                int len = raw.length - off;
                h.start(raw, off, len);
                assertEquals(ObjectId.hashOf(Arrays.copyOfRange(raw, off, off + len)), h.await(), "seed " + seed + " case " + i);
            }
        }
    }

    @Test
    void oneChunkAtATime() throws IOException {
        try (ChunkHasher h = new ChunkHasher()) {
            assertThrows(IllegalStateException.class, h::await);
            h.start(new byte[10], 0, 10);
            assertThrows(IllegalStateException.class, () -> h.start(new byte[10], 0, 10));
            h.cancel();
            h.start(new byte[3], 0, 3);
            assertEquals(ObjectId.hashOf(new byte[3]), h.await());
        }
    }

    /**
     * Through one store, as a training loop commits: from the second version on, a chunk's base is
     * kept at hand and the chunk is hashed aside. Version 3 reverts chunk 0 to its version-1 bytes
     * and leaves chunk 1 frozen: both are found stored after encoding and written no more.
     */
    @Test
    void aChunkFoundStoredAfterItsEncodingIsDeduplicated() throws IOException {
        Random r = new Random(5);
        int len = ChunkEncodingJob.HASH_ASIDE_MIN_BYTES;
        byte[][] v1 = {new byte[len], new byte[len]};
        for (byte[] c : v1) {
            ChunkChainDecodeTest.fillFloatLike(c, 4, r);
        }
        byte[][] v2 = {v1[0].clone(), v1[1].clone()};
        for (byte[] c : v2) {
            ChunkChainDecodeTest.floatStep(c, 4, r);
        }
        byte[][] v3 = {v1[0].clone(), v2[1].clone()};
        byte[][] v4 = {v3[0].clone(), v3[1].clone()};
        ChunkChainDecodeTest.floatStep(v4[1], 4, r);
        byte[][][] history = {v1, v2, v3, v4};
        ObjectId[][] ids = new ObjectId[history.length][2];
        long[] written = new long[history.length];
        long[] deduplicated = new long[history.length];
        try (ObjectStore store = new ObjectStore(dir, 1)) {
            for (int v = 0; v < history.length; v++) {
                try (ObjectInserter ins = store.newInserter()) {
                    ins.setChainShape(new ChainShape(12, 8)); // each version a delta against the one before
                    for (int k = 0; k < 2; k++) {
                        ObjectId previous = v == 0 ? null : ids[v - 1][k];
                        ids[v][k] = ins.insertChunk(history[v][k], 0, len, 4, previous);
                    }
                    if (v == 2) {
                        assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("coral-chunk-hash")),
                                "no chunk was hashed aside: the test no longer covers that path");
                    }
                    ins.flush();
                    written[v] = ins.chunksWritten();
                    deduplicated[v] = ins.chunksDeduplicated();
                }
            }
            for (int v = 0; v < history.length; v++) {
                for (int k = 0; k < 2; k++) {
                    assertEquals(ObjectId.hashOf(history[v][k]), ids[v][k], "version " + v + " chunk " + k);
                    byte[] out = new byte[len];
                    store.readChunk(ids[v][k], out, true);
                    assertArrayEquals(history[v][k], out, "version " + v + " chunk " + k);
                }
            }
        }
        assertEquals(ids[0][0], ids[2][0]);
        assertEquals(ids[1][1], ids[2][1]);
        assertEquals(0, written[2], "version 3 holds only chunks stored before");
        assertEquals(2, deduplicated[2]);
        assertEquals(1, written[3]);
        assertEquals(1, deduplicated[3]);
    }
}
