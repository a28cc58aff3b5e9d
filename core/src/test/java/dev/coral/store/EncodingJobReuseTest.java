package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store that has ingested before lends the encoding job an inserter gave back to the next one
 * with the same settings (its buffers and threads), and every chunk encoded by a reused job reads
 * back bit-exact.
 */
class EncodingJobReuseTest {
    @TempDir
    Path dir;

    @Test
    void theJobGivenBackServesTheNextInserterWithTheSameSettings() throws IOException {
        ChainShape shape = new ChainShape(12, 8);
        try (ObjectStore store = new ObjectStore(dir, 1)) {
            ChunkEncodingJob first = store.borrowJob(1, shape, true, true);
            store.returnJob(first); // a one-shot process: closed, not kept
            ChunkEncodingJob second = store.borrowJob(1, shape, true, true);
            assertNotSame(first, second);
            store.noteChunksIngested();
            store.returnJob(second);
            assertSame(second, store.borrowJob(1, shape, true, true));
            store.returnJob(second);
            assertNotSame(second, store.borrowJob(3, shape, true, true), "another zstd level");
            assertNotSame(second, store.borrowJob(1, new ChainShape(8, 4), true, true), "another chain shape");
            assertNotSame(second, store.borrowJob(1, shape, false, true), "without context coding");
            assertNotSame(second, store.borrowJob(1, shape, true, false), "groups not pair-aligned (a lossy commit)");
            assertSame(second, store.borrowJob(1, shape, true, true), "still there for the settings it has");
            store.returnJob(second);
        }
    }

    /** A pipeline's workers give back a job each: all are kept, up to {@link ObjectStore#IDLE_JOBS}, the oldest leaving first. */
    @Test
    void severalJobsGivenBackAreKeptUpToTheLimit() throws IOException {
        ChainShape shape = new ChainShape(12, 8);
        try (ObjectStore store = new ObjectStore(dir, 1)) {
            store.noteChunksIngested();
            java.util.List<ChunkEncodingJob> jobs = new java.util.ArrayList<>();
            for (int i = 0; i < ObjectStore.IDLE_JOBS + 2; i++) {
                jobs.add(store.borrowJob(1, shape, true, true));
            }
            jobs.forEach(store::returnJob);
            assertEquals(ObjectStore.IDLE_JOBS, store.idleJobCount());
            java.util.Set<ChunkEncodingJob> lent = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (int i = 0; i < ObjectStore.IDLE_JOBS; i++) {
                lent.add(store.borrowJob(1, shape, true, true));
            }
            assertEquals(new java.util.HashSet<>(jobs.subList(2, jobs.size())), new java.util.HashSet<>(lent), "the two given back first left");
            assertEquals(0, store.idleJobCount());
            lent.forEach(store::returnJob);
        }
    }

    /**
     * The limit is the process's, not each store's: a process with handles on several repositories
     * (a daemon, a batch script) kept {@link ObjectStore#IDLE_JOBS} per store, tens of MiB each, and
     * ran out of heap. The jobs given back last stay, whichever store they came from; a closed
     * store's leave with it.
     */
    @Test
    void theJobsKeptAreCountedForTheWholeProcess() throws IOException {
        ChainShape shape = new ChainShape(12, 8);
        java.nio.file.Path other = dir.resolve("other");
        try (ObjectStore a = new ObjectStore(dir.resolve("a"), 1); ObjectStore b = new ObjectStore(other, 1)) {
            a.noteChunksIngested();
            b.noteChunksIngested();
            java.util.List<ChunkEncodingJob> fromA = new java.util.ArrayList<>();
            java.util.List<ChunkEncodingJob> fromB = new java.util.ArrayList<>();
            for (int i = 0; i < ObjectStore.IDLE_JOBS; i++) {
                fromA.add(a.borrowJob(1, shape, true, true));
                fromB.add(b.borrowJob(1, shape, true, true));
            }
            fromA.forEach(a::returnJob);
            assertEquals(ObjectStore.IDLE_JOBS, a.idleJobCount());
            fromB.forEach(b::returnJob);
            assertEquals(0, a.idleJobCount(), "the older jobs, a's, left for b's");
            assertEquals(ObjectStore.IDLE_JOBS, b.idleJobCount());
            ChunkEncodingJob again = a.borrowJob(1, shape, true, true);
            assertEquals(ObjectStore.IDLE_JOBS - 1, b.idleJobCount(),
                    "a's new job took the place of b's oldest, closed before it was made: at -Xmx200m, 40 MB commits"
                            + " into repositories in turn ran out of heap while the last one's jobs waited beside the new");
            a.returnJob(again);
            assertEquals(1, a.idleJobCount());
            assertEquals(ObjectStore.IDLE_JOBS - 1, b.idleJobCount());
            b.returnJob(b.borrowJob(1, shape, true, true));
            assertEquals(1, a.idleJobCount(), "a job of b's own served b: a's stays");
        }
    }

    /** Read buffers given back serve the next borrowers whose need they cover, two at once as a tensor read ahead holds them. */
    @Test
    void theReadBuffersGivenBackServeTheNextBorrowers() throws IOException {
        try (ObjectStore store = new ObjectStore(dir, 1)) {
            ObjectStore.dropSpareArrays(); // the pool is the process's (since 2026-12-07): other tests' arrays out of it
            byte[] small = store.takeSpareArray(1000, 1000);
            assertEquals(1000, small.length, "nothing given back yet: just what was asked for");
            store.giveSpareArray(small);
            assertSame(small, store.takeSpareArray(800, 800), "large enough");
            byte[] other = store.takeSpareArray(1000, 1000);
            assertNotSame(small, other, "lent out: a new one");
            store.giveSpareArray(small);
            store.giveSpareArray(other);
            java.util.Set<byte[]> both = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            both.add(store.takeSpareArray(900, 900));
            both.add(store.takeSpareArray(900, 900));
            assertTrue(both.contains(small) && both.contains(other), "both kept: the next tensor's two buffers are the last one's");
            assertEquals(1500, store.takeSpareArray(1500, 1500).length, "none kept covers it: a new one");
        }
    }

    /** Versions of two chunks through one inserter each, as a training loop commits: the job carries over. */
    @Test
    void chunksEncodedByAReusedJobReadBack() throws IOException {
        Random r = new Random(8);
        int len = ChunkEncodingJob.HASH_ASIDE_MIN_BYTES;
        byte[][] versions = new byte[6][];
        versions[0] = new byte[2 * len];
        ChunkChainDecodeTest.fillFloatLike(versions[0], 4, r);
        for (int v = 1; v < versions.length; v++) {
            versions[v] = versions[v - 1].clone();
            ChunkChainDecodeTest.floatStep(versions[v], 4, r);
        }
        ObjectId[][] ids = new ObjectId[versions.length][2];
        try (ObjectStore store = new ObjectStore(dir, 1)) {
            for (int v = 0; v < versions.length; v++) {
                try (ObjectInserter ins = store.newInserter()) {
                    ins.setChainShape(new ChainShape(12, 8));
                    for (int c = 0; c < 2; c++) {
                        ids[v][c] = ins.insertChunk(versions[v], c * len, len, 4, v == 0 ? null : ids[v - 1][c]);
                    }
                    ins.flush();
                }
            }
            for (int v = 0; v < versions.length; v++) {
                for (int c = 0; c < 2; c++) {
                    byte[] back = new byte[len];
                    store.readChunk(ids[v][c], back, true);
                    assertArrayEquals(java.util.Arrays.copyOfRange(versions[v], c * len, (c + 1) * len), back, "version " + v + " chunk " + c);
                }
            }
        }
    }
}
