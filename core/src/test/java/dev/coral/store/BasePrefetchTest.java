package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunks inserted with a hint of the next chunk (its base decoded ahead on another thread) are
 * stored exactly as without hints, whether the hints are right, wrong or missing: same ids, same
 * bases, same chain depths, bit-exact reads.
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
        for (int v = 0; v < versions; v++) {
            byte[][] next = new byte[chunks][];
            for (int c = 0; c < chunks; c++) {
                next[c] = cur[c].clone();
                if (v > 0) {
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
