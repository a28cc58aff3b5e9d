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
 * A training loop through one store: versions inside a run of the chain layout are encoded with
 * the choice made for the version before ({@link ChunkEncodingJob}), the others choose afresh;
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
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            for (int v = 0; v < versions; v++) {
                try (ObjectInserter ins = store.newInserter()) {
                    ins.setChainShape(shape);
                    for (int k = 0; k < chunks; k++) {
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
            assertRead(store, history, ids, "seed " + seed);
            reused = store.decisionsReused.get();
        }
        // only versions 2-7 of each run of 8 (their base is the version before, whose base was the one
        // before it); never a run's first version (a skip link) nor its second (its base is a skip link)
        long inRun = 0;
        for (int v = 1; v < versions; v++) {
            inRun += v % shape.run() >= 2 ? chunks : 0;
        }
        assertTrue(reused > 0, "seed " + seed + ": no version was encoded as the one before");
        assertTrue(reused <= inRun, "seed " + seed + ": " + reused + " reuses, at most " + inRun + " versions inside runs");
        try (ObjectStore fresh = new ObjectStore(dir.resolve("packs"), 1)) {
            assertRead(fresh, history, ids, "seed " + seed + ", a fresh store");
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
