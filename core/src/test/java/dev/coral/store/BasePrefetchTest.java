package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunks inserted with a hint of the next chunk (its base decoded ahead on another thread) are
 * stored exactly as without hints, whether the hints are right, wrong or missing: same ids, same
 * bases, same chain depths, bit-exact reads; also when some chunks never change (frozen) and
 * whole versions come again. Chunks found stored already wait for no base decoded ahead.
 */
class BasePrefetchTest {
    @TempDir
    Path dir;

    @RepeatedTest(6)
    void hintsChangeNothingButWhenTheBaseIsDecoded(RepetitionInfo rep) throws IOException {
        long seed = 77 + rep.getCurrentRepetition();
        Random r = new Random(seed);
        int chunks = 2 + r.nextInt(5);
        int versions = 3 + r.nextInt(10);
        // chunks from which the base is decoded ahead, and (odd repetitions) smaller ones, read in line
        int len = rep.getCurrentRepetition() % 2 == 0 ? ChunkEncodingJob.PREFETCH_MIN_BYTES + 4 * r.nextInt(2048) : 4 * (256 + r.nextInt(2048));
        List<byte[][]> history = new ArrayList<>();
        byte[][] cur = new byte[chunks][];
        for (int c = 0; c < chunks; c++) {
            cur[c] = new byte[len];
            ChunkChainDecodeTest.fillFloatLike(cur[c], 4, r);
        }
        boolean[] frozen = new boolean[chunks];
        for (int c = 0; c < chunks; c++) {
            frozen[c] = r.nextInt(3) == 0; // stored already in every later version: a frozen layer
        }
        for (int v = 0; v < versions; v++) {
            if (v > 1 && r.nextInt(4) == 0) { // an earlier version committed again: every chunk stored already
                cur = history.get(r.nextInt(v)).clone();
                history.add(cur);
                continue;
            }
            byte[][] next = new byte[chunks][];
            for (int c = 0; c < chunks; c++) {
                next[c] = cur[c].clone();
                if (v > 0 && !frozen[c]) {
                    ChunkChainDecodeTest.floatStep(next[c], 4, r);
                }
            }
            history.add(next);
            cur = next;
        }
        ObjectId[][] plain = store(dir.resolve("plain"), history, 0, r);
        ObjectId[][] hinted = store(dir.resolve("hinted"), history, 1, r);
        ObjectId[][] misleading = store(dir.resolve("misleading"), history, 2, r);
        try (ObjectStore a = new ObjectStore(dir.resolve("plain"), 1);
             ObjectStore b = new ObjectStore(dir.resolve("hinted"), 1);
             ObjectStore c = new ObjectStore(dir.resolve("misleading"), 1)) {
            for (int v = 0; v < versions; v++) {
                for (int k = 0; k < chunks; k++) {
                    String what = "seed " + seed + " version " + v + " chunk " + k;
                    assertEquals(plain[v][k], hinted[v][k], what);
                    assertEquals(plain[v][k], misleading[v][k], what);
                    for (ObjectStore s : new ObjectStore[] {b, c}) {
                        assertEquals(a.deltaBase(plain[v][k]), s.deltaBase(plain[v][k]), what);
                        assertEquals(a.chainDepth(plain[v][k]), s.chainDepth(plain[v][k]), what);
                        byte[] out = new byte[len];
                        s.readChunk(plain[v][k], out, true);
                        assertArrayEquals(history.get(v)[k], out, what);
                    }
                }
            }
        }
    }

    /**
     * A version stored again (a file committed again, a frozen layer): once a chunk is found stored
     * already, the next ones are looked up before any base is decoded for them, so the only base
     * decoded ahead is the second chunk's, started before the first was found. Then a new version
     * after it is encoded as before.
     */
    @Test
    void chunksStoredAlreadyWaitForNoBaseDecodedAhead() throws IOException {
        Random r = new Random(5);
        int chunks = 6;
        int len = ChunkEncodingJob.PREFETCH_MIN_BYTES + 1024;
        List<byte[][]> history = new ArrayList<>();
        byte[][] cur = new byte[chunks][];
        for (int c = 0; c < chunks; c++) {
            cur[c] = new byte[len];
            ChunkChainDecodeTest.fillFloatLike(cur[c], 4, r);
        }
        for (int v = 0; v < 3; v++) {
            byte[][] next = new byte[chunks][];
            for (int c = 0; c < chunks; c++) {
                next[c] = cur[c].clone();
                ChunkChainDecodeTest.floatStep(next[c], 4, r);
            }
            history.add(next);
            cur = next;
        }
        ObjectId[][] ids = store(dir.resolve("packs"), history, 1, r);
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1);
             ChunkEncodingJob job = new ChunkEncodingJob(store, 1, new ChainShape(6, 3), true)) {
            byte[][] again = history.get(1); // committed again on top of version 2
            for (int k = 0; k < chunks; k++) {
                ObjectId next = k + 1 == chunks ? null : ids[2][k + 1];
                ChunkEncodingJob.Encoded e = job.encode(again[k], 0, len, 4, ids[2][k], next, len, null, true);
                assertTrue(e.alreadyStored(), "chunk " + k);
                assertEquals(ids[1][k], e.id(), "chunk " + k);
            }
            assertEquals(1, job.basesDecodedAhead(), "bases decoded ahead for chunks stored already");
            byte[][] fresh = new byte[chunks][];
            for (int k = 0; k < chunks; k++) {
                fresh[k] = history.get(2)[k].clone();
                ChunkChainDecodeTest.floatStep(fresh[k], 4, r);
            }
            for (int k = 0; k < chunks; k++) {
                ObjectId next = k + 1 == chunks ? null : ids[2][k + 1];
                ChunkEncodingJob.Encoded e = job.encode(fresh[k], 0, len, 4, ids[2][k], next, len, null, true);
                assertFalse(e.alreadyStored(), "new chunk " + k);
                assertTrue(e.isDelta(), "new chunk " + k + " is a delta against version 2");
            }
            assertEquals(1 + chunks - 1, job.basesDecodedAhead(), "from the first new chunk on, each next base is decoded ahead");
        }
    }

    /** Stores every version, one inserter per version; hints: 0 none, 1 the true next chunk, 2 sometimes another chunk. */
    private static ObjectId[][] store(Path packs, List<byte[][]> history, int hints, Random r) throws IOException {
        ObjectId[][] ids = new ObjectId[history.size()][];
        try (ObjectStore store = new ObjectStore(packs, 1)) {
            for (int v = 0; v < history.size(); v++) {
                byte[][] chunks = history.get(v);
                ids[v] = new ObjectId[chunks.length];
                try (ObjectInserter ins = store.newInserter()) {
                    ins.setChainShape(new ChainShape(6, 3));
                    for (int k = 0; k < chunks.length; k++) {
                        ObjectId previous = v == 0 ? null : ids[v - 1][k];
                        ObjectId next = v == 0 || k + 1 == chunks.length || hints == 0 ? null : ids[v - 1][k + 1];
                        if (hints == 2 && next != null && r.nextBoolean()) {
                            next = ids[v - 1][r.nextInt(chunks.length)];
                        }
                        ids[v][k] = ins.insertChunk(chunks[k], 0, chunks[k].length, 4, previous, next, chunks[k].length);
                    }
                    ins.flush();
                }
            }
        }
        return ids;
    }
}
