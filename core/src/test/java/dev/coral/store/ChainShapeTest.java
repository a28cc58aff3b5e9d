package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every shape's plan is a tree whose links each lower the depth by one, whose deepest version
 * sits exactly at the bound, and whose runs are deltas against the previous version; a store
 * writing versions of a chunk lays its chains out exactly so.
 */
class ChainShapeTest {
    @TempDir
    Path dir;

    @Test
    void everyShapeBoundsItsChainsAndReachesTheBound() {
        for (int depth = 1; depth <= 14; depth++) {
            for (int run = 1; run <= depth; run++) {
                ChainShape s = new ChainShape(depth, run);
                String what = s.toString();
                long versions = s.versionsPerKeyframe();
                assertEquals((long) run << (depth - run + 1), versions, what);
                int deepest = 0;
                long nearBases = 0;
                for (long n = 1; n < versions; n++) {
                    long b = s.baseOf(n);
                    assertTrue(b >= 0 && b < n, what + ": base of " + n + " is " + b);
                    assertEquals(s.depthOf(n) - 1, s.depthOf(b), what + ": the link from " + n + " to " + b);
                    deepest = Math.max(deepest, s.depthOf(n));
                    nearBases += b == n - 1 ? 1 : 0;
                }
                assertEquals(depth, deepest, what);
                assertEquals(0, s.depthOf(0), what);
                assertTrue(nearBases * run >= (versions - 1) * (run - 1L), what + ": " + nearBases + " deltas against the previous version");
            }
        }
        assertEquals(32, ChainShape.skipDelta(5).versionsPerKeyframe());
        assertEquals(0, new ChainShape(0, 1).versionsPerKeyframe());
    }

    @Test
    void theLastUserOfEachVersionIsTheLastVersionWhoseBaseItIs() {
        for (int depth = 0; depth <= 12; depth++) {
            for (int run = 1; run <= Math.max(1, depth); run++) {
                ChainShape s = new ChainShape(depth, run);
                long versions = s.versionsPerKeyframe();
                long[] last = new long[(int) Math.max(1, versions)];
                java.util.Arrays.fill(last, -1);
                for (long w = 1; w < versions; w++) {
                    last[(int) s.baseOf(w)] = w;
                }
                for (long n = 0; n < versions; n++) {
                    assertEquals(last[(int) n], s.lastUserOf(n), s + " version " + n);
                }
                assertEquals(-1, s.lastUserOf(versions), s + ": the next keyframe's");
            }
        }
        assertEquals(16 * 8, new ChainShape(12, 8).lastUserOf(0), "the default layout's keyframe serves run 16 (of 32) last");
    }

    @Test
    void invalidShapesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ChainShape(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> new ChainShape(25, 1));
        assertThrows(IllegalArgumentException.class, () -> new ChainShape(4, 0));
        assertThrows(IllegalArgumentException.class, () -> new ChainShape(4, 5));
    }

    @ParameterizedTest
    @CsvSource({"5, 1", "4, 4", "6, 3", "12, 8"})
    void theStoreLaysChainsOutAsTheShapeSays(int depth, int run) throws IOException {
        ChainShape shape = new ChainShape(depth, run);
        int versions = (int) Math.min(300, shape.versionsPerKeyframe() + 5);
        Random r = new Random(depth * 31L + run);
        byte[] cur = new byte[4096 * 4];
        ChunkChainDecodeTest.fillFloatLike(cur, 4, r);
        List<ObjectId> ids = new ArrayList<>();
        Path packs = dir.resolve("packs-" + depth + "-" + run);
        try (ObjectStore store = new ObjectStore(packs, 1)) {
            ObjectId prev = null;
            for (int v = 0; v < versions; v++) {
                if (v > 0) {
                    cur = cur.clone();
                    ChunkChainDecodeTest.floatStep(cur, 4, r); // a small step: a delta always pays
                }
                try (ObjectInserter ins = store.newInserter()) {
                    ins.setChainShape(shape);
                    prev = ins.insertChunk(cur, 0, cur.length, 4, prev);
                    ins.flush();
                }
                ids.add(prev);
            }
            for (int v = 0; v < versions; v++) {
                long n = v % shape.versionsPerKeyframe();
                String what = shape + " version " + v;
                assertEquals(shape.depthOf(n), store.chainDepth(ids.get(v)), what);
                ObjectId expectedBase = n == 0 ? null : ids.get((int) (v - n + shape.baseOf(n)));
                assertEquals(expectedBase, store.deltaBase(ids.get(v)), what);
            }
        }
    }
}
