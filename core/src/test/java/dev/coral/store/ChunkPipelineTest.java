package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ChunkPipelineTest {
    @TempDir
    Path dir;

    static Stream<Long> seeds() {
        return new Random(77).longs(12).boxed();
    }

    /** Chunks of two "versions": the second half nearly equal to the first, so deltas are chosen. */
    private static List<byte[]> versions(Random r, int count, int len) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] b = new byte[len];
            r.nextBytes(b);
            out.add(b);
        }
        for (int i = 0; i < count; i++) {
            byte[] b = out.get(i).clone();
            for (int k = 0; k < len; k += 4) {
                b[k] ^= (byte) r.nextInt(4); // low mantissa byte of each float changes
            }
            out.add(b);
        }
        return out;
    }

    /** Each chunk is stored under its SHA-256 and reads back bit-exact. */
    private static void assertStoredUnderTheirHashes(ObjectStore store, List<byte[]> chunks, List<ObjectId> ids, String what)
            throws IOException {
        assertEquals(chunks.size(), ids.size(), what);
        for (int i = 0; i < chunks.size(); i++) {
            assertEquals(ObjectId.hashOf(chunks.get(i)), ids.get(i), what + ", chunk " + i);
            byte[] back = new byte[chunks.get(i).length];
            store.readChunk(ids.get(i), back, true);
            assertArrayEquals(chunks.get(i), back, what + ", chunk " + i);
        }
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void anyNumberOfWorkersStoresTheSameChunksAsOneThread(long seed) throws IOException {
        Random r = new Random(seed);
        int workers = 1 + r.nextInt(4);
        int count = 1 + r.nextInt(20);
        List<byte[]> chunks = versions(r, count, 4 * (1 + r.nextInt(3000)));
        ObjectId[] ids = new ObjectId[chunks.size()];
        try (ObjectStore store = new ObjectStore(dir, 1); ObjectInserter ins = store.newInserter()) {
            try (ChunkSink sink = ins.newChunkSink(workers)) {
                for (int i = 0; i < count; i++) {
                    sink.submit(chunks.get(i), chunks.get(i).length, 4, null, ids, i);
                }
                sink.drain();
            }
            ins.flush();
            try (ChunkSink sink = ins.newChunkSink(workers)) {
                for (int i = count; i < chunks.size(); i++) {
                    sink.submit(chunks.get(i), chunks.get(i).length, 4, ids[i - count], ids, i);
                }
                sink.drain();
            }
            ins.flush();
            assertEquals(count, ins.deltaChunks(), "seed " + seed + ": every second version is a delta");
            assertStoredUnderTheirHashes(store, chunks, List.of(ids), "seed " + seed + ", " + workers + " workers");
        }
    }

    /**
     * A caller that hashed a chunk already hands the id over, and the sink stores the chunk
     * under it without hashing it again (shown by an id that is not the bytes' hash: the
     * contract is the caller's), or finds it stored.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void aSinkStoresUnderTheIdTheCallerTook(int workers) throws IOException {
        byte[] a = versions(new Random(workers), 1, 4000).get(0);
        byte[] b = versions(new Random(workers + 10), 1, 4000).get(0);
        ObjectId given = ObjectId.hashOf(new byte[] {1, 2, 3});
        ObjectId[] ids = new ObjectId[3];
        try (ObjectStore store = new ObjectStore(dir, 1); ObjectInserter ins = store.newInserter()) {
            try (ChunkSink sink = ins.newChunkSink(workers)) {
                sink.submit(a, 0, a.length, 4, null, ids, 0, null, 0, ObjectId.hashOf(a));
                sink.drain();
            }
            ins.flush();
            try (ChunkSink sink = ins.newChunkSink(workers)) {
                sink.submit(a, 0, a.length, 4, null, ids, 1, null, 0, ObjectId.hashOf(a)); // stored already
                sink.submit(b, 0, b.length, 4, null, ids, 2, null, 0, given);
                sink.drain();
            }
            ins.flush();
            assertEquals(ObjectId.hashOf(a), ids[0]);
            assertEquals(ids[0], ids[1]);
            assertEquals(given, ids[2], "the chunk is stored under the id handed over, not hashed again");
            byte[] back = new byte[b.length];
            store.readChunk(given, back, false);
            assertArrayEquals(b, back);
        }
    }

    /**
     * A training loop's commits through one store, several pipelines in a row: each pipeline
     * borrows the encoding jobs and ring arrays the one before gave back, whatever their lengths
     * (chunks of other sizes, random ones stored raw, whose encoding is longer than the chunk),
     * and every chunk reads back bit-exact.
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void pipelinesInARowReuseTheJobsAndArraysTheOneBeforeGaveBack(long seed) throws IOException {
        Random r = new Random(seed);
        int workers = 2 + r.nextInt(2);
        int count = 2 + r.nextInt(6);
        List<byte[]> all = new ArrayList<>();
        List<ObjectId> allIds = new ArrayList<>();
        try (ObjectStore store = new ObjectStore(dir, 1)) {
            store.noteChunksIngested(); // a process that committed before keeps what it gives back
            byte[][] previous = null;
            ObjectId[] previousIds = null;
            for (int round = 0; round < 4; round++) {
                byte[][] chunks = new byte[count][];
                for (int i = 0; i < count; i++) {
                    if (previous != null && r.nextInt(4) != 0) {
                        chunks[i] = previous[i].clone();
                        ChunkChainDecodeTest.floatStep(chunks[i], 4, r);
                    } else {
                        chunks[i] = new byte[4 * (1 + r.nextInt(40_000))];
                        if (r.nextBoolean()) {
                            r.nextBytes(chunks[i]); // stored raw: the body outgrows the chunk
                        } else {
                            ChunkChainDecodeTest.fillFloatLike(chunks[i], 4, r);
                        }
                    }
                }
                ObjectId[] ids = new ObjectId[count];
                try (ObjectInserter ins = store.newInserter()) {
                    try (ChunkSink sink = ins.newChunkSink(workers)) {
                        for (int i = 0; i < count; i++) {
                            ObjectId base = previous != null && previous[i].length == chunks[i].length ? previousIds[i] : null;
                            sink.submit(chunks[i], chunks[i].length, 4, base, ids, i);
                        }
                        sink.drain();
                    }
                    ins.flush();
                }
                assertEquals(Math.min(workers, ObjectStore.IDLE_JOBS), store.idleJobCount(), "seed " + seed + " round " + round + ": jobs kept");
                assertTrue(store.spareArrayBytes() > 0, "seed " + seed + " round " + round + ": ring arrays kept");
                for (int i = 0; i < count; i++) {
                    all.add(chunks[i]);
                    allIds.add(ids[i]);
                }
                previous = chunks;
                previousIds = ids;
            }
            assertStoredUnderTheirHashes(store, all, allIds, "seed " + seed + ", " + workers + " workers");
        }
    }

    /**
     * Two writers commit at once through one store, each with pipelines in a row: they share the
     * store's idle jobs and spare arrays, and no array serves both at once (every chunk reads back
     * bit-exact).
     */
    @Test
    void concurrentPipelinesShareTheStoresJobsAndArraysSafely() throws Exception {
        try (ObjectStore store = new ObjectStore(dir, 1)) {
            store.noteChunksIngested();
            List<byte[]> all = java.util.Collections.synchronizedList(new ArrayList<>());
            List<ObjectId> allIds = java.util.Collections.synchronizedList(new ArrayList<>());
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
            try {
                List<java.util.concurrent.Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    long seed = 500 + t;
                    done.add(pool.submit(() -> {
                        Random r = new Random(seed);
                        for (int round = 0; round < 4; round++) {
                            List<byte[]> chunks = versions(r, 3 + r.nextInt(4), 4 * (1 + r.nextInt(20_000)));
                            ObjectId[] ids = new ObjectId[chunks.size()];
                            try (ObjectInserter ins = store.newInserter()) {
                                try (ChunkSink sink = ins.newChunkSink(2)) {
                                    for (int i = 0; i < chunks.size(); i++) {
                                        sink.submit(chunks.get(i), chunks.get(i).length, 4, null, ids, i);
                                    }
                                    sink.drain();
                                }
                                ins.flush();
                            }
                            synchronized (all) { // each chunk beside its id
                                all.addAll(chunks);
                                allIds.addAll(java.util.Arrays.asList(ids));
                            }
                        }
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            assertStoredUnderTheirHashes(store, all, allIds, "two writers");
        }
    }

    @Test
    void aWorkerFailureSurfacesAtDrainAndNothingIsVisible() throws IOException {
        try (ObjectStore store = new ObjectStore(dir, 1); ObjectInserter ins = store.newInserter()) {
            ObjectId[] ids = new ObjectId[2];
            try (ChunkSink sink = ins.newChunkSink(3)) {
                sink.submit(new byte[8], 8, 4, null, ids, 0);
                sink.submit(new byte[10], 10, 4, null, ids, 1); // 10 bytes are not whole 4-byte elements
                assertThrows(IllegalArgumentException.class, sink::drain);
            }
        }
        try (ObjectStore store = new ObjectStore(dir, 1)) {
            assertEquals(0, store.packCount(), "an inserter closed without flush leaves no pack");
        }
    }
}
