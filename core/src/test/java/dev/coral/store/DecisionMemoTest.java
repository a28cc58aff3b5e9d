package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training loop through one store: steps inside a run of the chain layout are encoded with the
 * choice made for the step before ({@link ChunkEncodingJob}), across a skip link too; skip links
 * and keyframes choose afresh;
 * every version of every chunk reads back bit-exact, from this store and from a fresh one.
 */
class DecisionMemoTest {
    @TempDir
    Path dir;

    @RepeatedTest(4)
    void versionsEncodedAsTheOneBeforeReadBackExact(RepetitionInfo rep) throws IOException {
        long seed = 40 + rep.getCurrentRepetition();
        Random r = new Random(seed);
        int chunks = 1 + r.nextInt(4);
        int versions = 12 + r.nextInt(12);
        int w = rep.getCurrentRepetition() % 2 == 0 ? 4 : 2;
        int len = w * (1024 + r.nextInt(20_000));
        ChainShape shape = new ChainShape(12, 8);
        byte[][][] history = new byte[versions][chunks][];
        ObjectId[][] ids = new ObjectId[versions][chunks];
        long reused;
        long[] reusedBy = new long[versions]; // reuses counted after each version
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            for (int v = 0; v < versions; v++) {
                insertVersion(store, shape, history, ids, v, len, w, r);
                reusedBy[v] = store.decisionsReused.get();
            }
            assertRead(store, history, ids, "seed " + seed);
            reused = store.decisionsReused.get();
        }
        // only steps, versions 1-7 of each run of 8 (their base is the version before), never a run's
        // first version (a skip link); version 1 of a run past the first reuses the decision of the
        // step before the skip link. Every CHOOSE_AGAIN_EVERY reuses in a row, a step chooses afresh.
        long steps = 0;
        for (int v = 1; v < versions; v++) {
            steps += v % shape.run() >= 1 ? chunks : 0;
        }
        long mostReused = steps - chunks * (1 + steps / chunks / (ChunkEncodingJob.CHOOSE_AGAIN_EVERY + 1));
        assertTrue(reused > 0, "seed " + seed + ": no version was encoded as the one before");
        assertTrue(reused <= mostReused, "seed " + seed + ": " + reused + " reuses, at most " + mostReused + " of " + steps + " steps");
        // the second version of the second run (a step against a skip link) reuses the decision of
        // the step before the skip link: seventh reuse in a row, under CHOOSE_AGAIN_EVERY
        int v = shape.run() + 1;
        assertTrue(reusedBy[v] - reusedBy[v - 1] == chunks, "seed " + seed + ": version " + v + " reused "
                + (reusedBy[v] - reusedBy[v - 1]) + " decisions of " + chunks);
        try (ObjectStore fresh = new ObjectStore(dir.resolve("packs"), 1)) {
            assertRead(fresh, history, ids, "seed " + seed + ", a fresh store");
        }
    }

    /**
     * Each version through a store of its own, as command-line commits make them: nothing is
     * remembered, so a step from the second of its run on is encoded as its base was stored
     * (read from the base's head), the first step of each run chooses afresh; every version
     * reads back bit-exact.
     */
    @RepeatedTest(3)
    void versionsThroughFreshStoresEncodedAsTheirStoredBase(RepetitionInfo rep) throws IOException {
        long seed = 70 + rep.getCurrentRepetition();
        Random r = new Random(seed);
        int chunks = 1 + r.nextInt(3);
        int versions = 17 + r.nextInt(8);
        int w = rep.getCurrentRepetition() % 2 == 0 ? 2 : 4;
        int len = w * (1024 + r.nextInt(8_000));
        ChainShape shape = new ChainShape(12, 8);
        byte[][][] history = new byte[versions][chunks][];
        ObjectId[][] ids = new ObjectId[versions][chunks];
        long[] reusedAt = new long[versions];
        for (int v = 0; v < versions; v++) {
            try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
                insertVersion(store, shape, history, ids, v, len, w, r);
                reusedAt[v] = store.decisionsReused.get();
            }
        }
        String what = "seed " + seed;
        long reused = 0;
        for (int v = 0; v < versions; v++) {
            int position = v % shape.run();
            if (!ChunkEncodingJob.choosesAsItsBase(position)) {
                assertTrue(reusedAt[v] == 0, what + ": version " + v + " (place " + position + " in its run) reused " + reusedAt[v]);
            }
            reused += reusedAt[v];
        }
        assertTrue(reused > 0, what + ": no version was encoded as its stored base");
        assertTrue(ChunkEncodingJob.choosesAsItsBase(2) && ChunkEncodingJob.choosesAsItsBase(7) && !ChunkEncodingJob.choosesAsItsBase(1)
                && !ChunkEncodingJob.choosesAsItsBase(0) && !ChunkEncodingJob.choosesAsItsBase(ChunkEncodingJob.CHOOSE_AGAIN_EVERY + 1)
                && ChunkEncodingJob.choosesAsItsBase(ChunkEncodingJob.CHOOSE_AGAIN_EVERY + 2), "which places in a run reuse");
        try (ObjectStore fresh = new ObjectStore(dir.resolve("packs"), 1)) {
            assertRead(fresh, history, ids, what);
        }
    }

    /** Makes version {@code v} of every chunk (float-like bytes, then a step from the version before) and inserts it against that version. */
    private static void insertVersion(ObjectStore store, ChainShape shape, byte[][][] history, ObjectId[][] ids, int v, int len, int w,
                                      Random r) throws IOException {
        try (ObjectInserter ins = store.newInserter()) {
            ins.setChainShape(shape);
            for (int k = 0; k < history[v].length; k++) {
                if (v == 0) {
                    history[v][k] = new byte[len];
                    ChunkChainDecodeTest.fillFloatLike(history[v][k], w, r);
                } else {
                    history[v][k] = history[v - 1][k].clone();
                    ChunkChainDecodeTest.floatStep(history[v][k], w, r);
                }
                ids[v][k] = ins.insertChunk(history[v][k], 0, len, w, v == 0 ? null : ids[v - 1][k]);
            }
            ins.flush();
        }
    }

    private static void assertRead(ObjectStore store, byte[][][] history, ObjectId[][] ids, String what) throws IOException {
        for (int v = 0; v < history.length; v++) {
            for (int k = 0; k < history[v].length; k++) {
                byte[] out = new byte[history[v][k].length];
                store.readChunk(ids[v][k], out, true);
                assertArrayEquals(history[v][k], out, what + ": version " + v + " chunk " + k);
            }
        }
    }
}
