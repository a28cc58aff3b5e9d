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
 * The bases that the next versions of chunks skip to, decoded ahead after a commit's flush
 * ({@link SkipBasesAhead}): at hand for the next commit, which takes them from there; never in a
 * store's first flush (a one-shot command) nor for an inserter not asking; and chunks stored with
 * them are the chunks stored without them (ids, bases, depths, bit-exact reads).
 */
class SkipBasesAheadTest {
    private static final int LEN = 4 * 4096;

    @TempDir
    Path dir;

    @Test
    void aSkipBaseIsDecodedOnceAndKeptForEveryLaterSkipLinkToIt() throws IOException {
        Random r = new Random(5);
        byte[][] v = versions(5, r);
        ChainShape shape = new ChainShape(4, 2); // versions 2, 4 and 8 are skip links to version 0
        try (ObjectStore store = new ObjectStore(dir, 1)) {
            ObjectId v0 = commit(store, shape, v[0], null);
            ObjectId v1 = commit(store, shape, v[1], v0); // decodes version 0 from the packs as its base
            store.skipBasesAhead().await(v1);
            assertEquals(1, store.skipBasesAhead().decoded.get(), "version 0 decoded again after version 1's flush");
            assertTrue(store.recentChunks().isKept(v0), "version 0 kept for version 2");
            ObjectId v2 = commit(store, shape, v[2], v1);
            assertEquals(v0, store.deltaBase(v2));
            assertTrue(store.recentChunks().contains(v0), "still at hand for version 4");
            ObjectId v3 = commit(store, shape, v[3], v2);
            ObjectId v4 = commit(store, shape, v[4], v3);
            assertEquals(v0, store.deltaBase(v4));
            assertEquals(1, store.skipBasesAhead().decoded.get(), "not decoded again for version 4: it was kept");
            assertReads(store, v4, v[4]);
        }
    }

    @Test
    void theNextRunsSkipBaseIsDecodedAheadInAProcessThatDidNotReadIt() throws IOException {
        Random r = new Random(5);
        byte[][] v = versions(9, r);
        ChainShape shape = new ChainShape(4, 2); // version 8 is a skip link to version 0, version 6 to version 4
        ObjectId[] ids = new ObjectId[9];
        try (ObjectStore first = new ObjectStore(dir, 1)) {
            for (int k = 0; k <= 5; k++) {
                ids[k] = commit(first, shape, v[k], k == 0 ? null : ids[k - 1]);
            }
        }
        try (ObjectStore store = new ObjectStore(dir, 1)) { // another process: version 0 is not at hand
            ids[6] = commit(store, shape, v[6], ids[5]); // its first flush: nothing decoded ahead
            store.skipBasesAhead().await(ids[6]);
            assertEquals(0, store.skipBasesAhead().decoded.get());
            ids[7] = commit(store, shape, v[7], ids[6]); // version 8 comes next, a skip link to version 0
            store.skipBasesAhead().await(ids[7]);
            assertEquals(1, store.skipBasesAhead().decoded.get(), "version 0 decoded after version 7's flush");
            assertTrue(store.recentChunks().contains(ids[0]), "version 0 at hand for version 8");
            ids[8] = commit(store, shape, v[8], ids[7]);
            assertEquals(ids[0], store.deltaBase(ids[8]));
            assertReads(store, ids[8], v[8]);
        }
    }

    @Test
    void aRunsFirstVersionThatLaterRunsSkipBackToIsCopiedAsItIsStored() throws IOException {
        Random r = new Random(8);
        byte[][] v = versions(7, r);
        ChainShape shape = new ChainShape(4, 2); // version 4 starts run 2, which run 3 (version 6) skips back to
        ObjectId[] ids = new ObjectId[7];
        try (ObjectStore store = new ObjectStore(dir, 1)) {
            for (int k = 0; k <= 6; k++) {
                ids[k] = commit(store, shape, v[k], k == 0 ? null : ids[k - 1]);
                store.skipBasesAhead().await(ids[k]);
                if (k == 4) {
                    assertTrue(store.recentChunks().isKept(ids[4]), "version 4 kept for version 6 as it was stored");
                }
            }
            assertEquals(ids[4], store.deltaBase(ids[6]));
            assertFalse(store.recentChunks().isKept(ids[4]), "version 6, its last user, took it");
            assertEquals(1, store.skipBasesAhead().decoded.get(), "only version 0 decoded (after version 1)");
            assertEquals(4, store.skipBasesAhead().planned.get(),
                    "planned after versions 1, 3 and 5 (a skip link next) and 4 (skipped back to); not after 2 and 6");
            assertReads(store, ids[6], v[6]);
        }
    }

    @Test
    void aStoresFirstFlushAndAnInserterNotAskingDecodeNothingAhead() throws IOException {
        Random r = new Random(6);
        byte[][] v = versions(3, r);
        ChainShape shape = new ChainShape(4, 1); // plain skip-delta: version 2 skips to version 0
        ObjectId v0;
        try (ObjectStore store = new ObjectStore(dir, 1)) {
            v0 = commit(store, shape, v[0], null);
        }
        try (ObjectStore oneShot = new ObjectStore(dir, 1)) {
            ObjectId v1 = commit(oneShot, shape, v[1], v0); // the first flush of this store: as a command-line commit
            oneShot.skipBasesAhead().await(v1);
            assertEquals(0, oneShot.skipBasesAhead().decoded.get());
        }
        try (ObjectStore loop = new ObjectStore(dir, 1)) {
            commit(loop, shape, v[0], null); // stored already: a flush with nothing to write
            try (ObjectInserter ins = loop.newInserter()) {
                ins.setChainShape(shape);
                ObjectId v1 = ins.insertChunk(v[1], 0, LEN, 4, v0);
                ins.flush();
                loop.skipBasesAhead().await(v1);
            }
            assertEquals(0, loop.skipBasesAhead().decoded.get(), "not asked for");
        }
    }

    @Test
    void closingWhileDecodingWaitsForItAndLaterFlushesStartNothing() throws IOException {
        Random r = new Random(7);
        byte[][] v = versions(3, r);
        ChainShape shape = new ChainShape(4, 2);
        ObjectStore store = new ObjectStore(dir, 1);
        ObjectId v0 = commit(store, shape, v[0], null);
        ObjectId v1 = commit(store, shape, v[1], v0);
        store.close(); // the decode of version 0 may be running: close waits for it, and the packs close after
        long decoded = store.skipBasesAhead().decoded.get();
        store.skipBasesAhead().start(List.of(new SkipBasesAhead.Stored(v1, LEN)), shape);
        store.skipBasesAhead().await(v1);
        assertEquals(decoded, store.skipBasesAhead().decoded.get(), "nothing starts after close");
        try (ObjectStore again = new ObjectStore(dir, 1)) {
            assertReads(again, v1, v[1]);
        }
    }

    @RepeatedTest(5)
    void chunksStoredWithBasesAheadAreTheChunksStoredWithout(RepetitionInfo rep) throws IOException {
        long seed = 31 + rep.getCurrentRepetition();
        Random r = new Random(seed);
        int depth = 2 + r.nextInt(7);
        ChainShape shape = new ChainShape(depth, 1 + r.nextInt(depth));
        int chunks = 1 + r.nextInt(4);
        int versions = 6 + r.nextInt(20);
        List<byte[][]> history = new ArrayList<>();
        for (int c = 0; c < chunks; c++) {
            history.add(versions(versions, r));
        }
        ObjectId[][] without = storeAll(dir.resolve("without"), shape, history, versions, false);
        ObjectId[][] with = storeAll(dir.resolve("with"), shape, history, versions, true);
        try (ObjectStore a = new ObjectStore(dir.resolve("without"), 1); ObjectStore b = new ObjectStore(dir.resolve("with"), 1)) {
            for (int k = 0; k < versions; k++) {
                for (int c = 0; c < chunks; c++) {
                    String what = "seed " + seed + " shape " + shape + " version " + k + " chunk " + c;
                    assertEquals(without[k][c], with[k][c], what);
                    assertEquals(a.deltaBase(without[k][c]), b.deltaBase(with[k][c]), what);
                    assertEquals(a.chainDepth(without[k][c]), b.chainDepth(with[k][c]), what);
                    byte[] out = new byte[LEN];
                    b.readChunk(with[k][c], out, true);
                    assertArrayEquals(history.get(c)[k], out, what);
                }
            }
        }
    }

    /** Every version of every chunk, one inserter and flush per version (a commit), through one store. */
    private static ObjectId[][] storeAll(Path at, ChainShape shape, List<byte[][]> history, int versions, boolean ahead)
            throws IOException {
        ObjectId[][] ids = new ObjectId[versions][history.size()];
        try (ObjectStore store = new ObjectStore(at, 1)) {
            for (int k = 0; k < versions; k++) {
                try (ObjectInserter ins = store.newInserter()) {
                    ins.setChainShape(shape);
                    ins.setBasesAhead(ahead);
                    for (int c = 0; c < history.size(); c++) {
                        ids[k][c] = ins.insertChunk(history.get(c)[k], 0, LEN, 4, k == 0 ? null : ids[k - 1][c]);
                    }
                    ins.flush();
                }
            }
            long next = versions % shape.versionsPerKeyframe();
            if (ahead && next > 0 && shape.baseOf(next) != next - 1) { // the next version is a skip link: its base is at hand
                int base = (int) (versions - next + shape.baseOf(next));
                for (int c = 0; c < history.size(); c++) {
                    store.skipBasesAhead().await(ids[versions - 1][c]);
                    assertTrue(store.recentChunks().contains(ids[base][c]), shape + ": version " + base + " of chunk " + c + " at hand");
                }
            }
        }
        return ids;
    }

    /** One chunk, one inserter asking for bases ahead, flushed: as a commit stores it. */
    private static ObjectId commit(ObjectStore store, ChainShape shape, byte[] raw, ObjectId previous) throws IOException {
        try (ObjectInserter ins = store.newInserter()) {
            ins.setChainShape(shape);
            ins.setBasesAhead(true);
            ObjectId id = ins.insertChunk(raw, 0, LEN, 4, previous);
            ins.flush();
            return id;
        }
    }

    /** Versions of one fp32-like chunk, each a small training step from the one before. */
    private static byte[][] versions(int n, Random r) {
        byte[][] v = new byte[n][];
        v[0] = new byte[LEN];
        ChunkChainDecodeTest.fillFloatLike(v[0], 4, r);
        for (int k = 1; k < n; k++) {
            v[k] = v[k - 1].clone();
            ChunkChainDecodeTest.floatStep(v[k], 4, r);
        }
        return v;
    }

    /** The chunk reads back as {@code expected}, its hash checked. */
    private static void assertReads(ObjectStore store, ObjectId id, byte[] expected) throws IOException {
        byte[] out = new byte[LEN];
        store.readChunk(id, out, true);
        assertArrayEquals(expected, out);
    }
}
