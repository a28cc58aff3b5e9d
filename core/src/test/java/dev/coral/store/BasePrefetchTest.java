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
        List<byte[][]> history = versions(r, chunks, len, 3, b -> {
            byte[] next = b.clone();
            ChunkChainDecodeTest.floatStep(next, 4, r);
            return next;
        });
        ObjectId[][] ids = store(dir.resolve("packs"), history, 1, r);
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1);
             ChunkEncodingJob job = new ChunkEncodingJob(store, 1, new ChainShape(6, 3), true, true)) {
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

    /**
     * Chunks announced ahead ({@link ChunkSink#upcoming}) have their context-coded plane counted
     * with the base decoded ahead, in a store that has ingested before (a training loop), and are
     * stored exactly as without: same ids, stored lengths, plane modes, bit-exact reads. Bytes
     * announced in another array (a copy) are counted but not taken. Steps of one size for every
     * weight change the high mantissa bytes of small weights most, so that context coding wins.
     */
    @RepeatedTest(3)
    void countsMadeAheadStoreTheSameBytes(RepetitionInfo rep) throws IOException {
        long seed = 300 + rep.getCurrentRepetition();
        Random r = new Random(seed);
        int chunks = 3 + r.nextInt(3);
        int len = 4 * (1 << 16) + 4 * r.nextInt(512); // past PREFETCH_MIN_BYTES and 2 * MIN_GROUP elements
        List<byte[][]> history = versions(r, chunks, len, 5, b -> step(b, 5e-4, r));
        Stored plain = storeThroughSink(dir.resolve("plain"), history, 1, 0, r);
        Stored ahead = storeThroughSink(dir.resolve("ahead"), history, 1, 1, r);
        Stored copies = storeThroughSink(dir.resolve("copies"), history, 1, 2, r);
        // counted where the base is the version before, kept raw in memory: versions 2 and 4 (the
        // first chunk of each is not announced; version 1's base and version 3's, a skip back to
        // version 0, are decoded from the packs in plane space and counted by the encoder)
        assertEquals(2L * (chunks - 1), ahead.countedAhead(), "chunks counted ahead (seed " + seed + ")");
        assertEquals(0, plain.countedAhead(), "nothing announced, nothing counted ahead");
        boolean contextCoded = false;
        try (ObjectStore a = new ObjectStore(dir.resolve("plain"), 1);
             ObjectStore b = new ObjectStore(dir.resolve("ahead"), 1);
             ObjectStore c = new ObjectStore(dir.resolve("copies"), 1)) {
            for (int v = 0; v < history.size(); v++) {
                for (int k = 0; k < chunks; k++) {
                    String what = "seed " + seed + " version " + v + " chunk " + k;
                    ObjectId id = plain.ids()[v][k];
                    contextCoded |= a.chunkPlaneModes(id).contains(dev.coral.codec.PlaneMode.CONTEXT_HUFFMAN);
                    for (int s = 0; s < 2; s++) {
                        ObjectStore other = s == 0 ? b : c;
                        ObjectId[][] ids = s == 0 ? ahead.ids() : copies.ids();
                        assertEquals(id, ids[v][k], what);
                        assertEquals(a.storedLength(id), other.storedLength(id), what);
                        assertEquals(a.chunkPlaneModes(id), other.chunkPlaneModes(id), what);
                        byte[] out = new byte[len];
                        other.readChunk(id, out, true);
                        assertArrayEquals(history.get(v)[k], out, what);
                    }
                }
            }
        }
        assertTrue(contextCoded, "some chunk's plane is coded by context (seed " + seed + ")");
    }

    /** {@code count} versions of {@code chunks} chunks of fp32-like weights, each version {@code step} of the one before. */
    private static List<byte[][]> versions(Random r, int chunks, int len, int count, java.util.function.UnaryOperator<byte[]> step) {
        List<byte[][]> history = new ArrayList<>();
        byte[][] cur = new byte[chunks][];
        for (int c = 0; c < chunks; c++) {
            cur[c] = new byte[len];
            ChunkChainDecodeTest.fillFloatLike(cur[c], 4, r);
        }
        for (int v = 0; v < count; v++) {
            byte[][] next = new byte[chunks][];
            for (int c = 0; c < chunks; c++) {
                next[c] = step.apply(cur[c]);
            }
            history.add(next);
            cur = next;
        }
        return history;
    }

    /** Each 4-byte float minus step * N(0, 1): the smaller a weight, the more of its mantissa changes, as in training. */
    private static byte[] step(byte[] b, double step, Random r) {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(b.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 4 <= b.length; i += 4) {
            out.putFloat(i, (float) (in.getFloat(i) - step * r.nextGaussian()));
        }
        return out.array();
    }

    private record Stored(ObjectId[][] ids, long countedAhead) {
    }

    /** Stores every version, one inserter per version; hints: 0 none, 1 the true next chunk, 2 sometimes another chunk. */
    private static ObjectId[][] store(Path packs, List<byte[][]> history, int hints, Random r) throws IOException {
        return storeThroughSink(packs, history, hints, 0, r).ids();
    }

    /**
     * Stores every version through one store, one inserter and single-job sink per version.
     * Hints of the next chunk's previous version: 0 none, 1 the true one, 2 sometimes another
     * chunk's. Next chunk's bytes announced: 0 never, 1 in its own array, 2 in a copy.
     */
    private static Stored storeThroughSink(Path packs, List<byte[][]> history, int hints, int announced, Random r) throws IOException {
        ObjectId[][] ids = new ObjectId[history.size()][];
        long counted = 0;
        try (ObjectStore store = new ObjectStore(packs, 1)) {
            for (int v = 0; v < history.size(); v++) {
                byte[][] chunks = history.get(v);
                ids[v] = new ObjectId[chunks.length];
                try (ObjectInserter ins = store.newInserter()) {
                    ins.setChainShape(new ChainShape(6, 3));
                    try (ChunkSink sink = ins.newChunkSink(1)) {
                        for (int k = 0; k < chunks.length; k++) {
                            ObjectId previous = v == 0 ? null : ids[v - 1][k];
                            boolean last = k + 1 == chunks.length;
                            ObjectId next = v == 0 || last || hints == 0 ? null : ids[v - 1][k + 1];
                            if (hints == 2 && next != null && r.nextBoolean()) {
                                next = ids[v - 1][r.nextInt(chunks.length)];
                            }
                            if (announced > 0 && !last) {
                                byte[] n = announced == 1 ? chunks[k + 1] : chunks[k + 1].clone();
                                sink.upcoming(n, 0, n.length, 4);
                            }
                            sink.submit(chunks[k], 0, chunks[k].length, 4, previous, ids[v], k, next, chunks[k].length, null);
                        }
                        sink.drain();
                    }
                    counted = ins.planesCountedAhead();
                    ins.flush();
                }
            }
        }
        return new Stored(ids, counted);
    }
}
