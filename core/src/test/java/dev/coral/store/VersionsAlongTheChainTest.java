package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.codec.ChunkCodec;
import dev.coral.codec.CodecWorkspace;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stepping back through a history whose deltas cannot be undone (BF16's zigzag deltas), as a
 * checkout over the file of the version after does: a process on its second checkout keeps the
 * versions it decodes on the way up the chain, so each next step back is served from memory,
 * not decoded from the keyframe again; a one-shot checkout keeps none, nor does a chain whose
 * deltas a step back undoes. Every version read is bit-exact whatever memory holds.
 */
class VersionsAlongTheChainTest {
    private static final int LEN = 8192;
    private static final int VERSIONS = 8;

    @TempDir
    Path dir;

    /** Commits every version of one chunk, each against the one before, in one chain (no skip links). */
    private ObjectId[] commit(byte[][] versions, int width) throws IOException {
        ObjectId[] ids = new ObjectId[versions.length];
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            for (int v = 0; v < versions.length; v++) {
                try (ObjectInserter ins = store.newInserter()) {
                    ins.setChainShape(new ChainShape(16, 16));
                    ids[v] = ins.insertChunk(versions[v], 0, LEN, width, v == 0 ? null : ids[v - 1]);
                    ins.flush();
                }
            }
        }
        return ids;
    }

    /** Reads version v with the file of version v + 1 at hand (a checkout stepping back); checks its bytes. */
    private void stepBackTo(ObjectStore store, ObjectId[] ids, byte[][] versions, int v) throws IOException {
        Path file = dir.resolve("at-hand-" + v);
        Files.write(file, versions[v + 1]);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); CodecWorkspace ws = new CodecWorkspace()) {
            byte[] out = new byte[LEN];
            store.readChunk(ids[v], out, true, ws, ChunkAtHand.inFile(ids[v + 1], ch, 0));
            assertArrayEquals(versions[v], out, "version " + v);
        }
    }

    @Test
    void aSecondCheckoutKeepsTheVersionsBelowAndEachStepBackIsServedFromThem() throws IOException {
        byte[][] versions = bf16Steps(new Random(21));
        ObjectId[] ids = commit(versions, 2);
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            assertEquals(ChunkCodec.ZIGZAG_PLANES, store.storedDecision(ids[VERSIONS - 1], 2).codec(), "the case: deltas a step back cannot undo");
            store.noteRestore();
            store.noteRestore();
            stepBackTo(store, ids, versions, VERSIONS - 2);
            for (int v = 0; v < VERSIONS - 2; v++) {
                assertTrue(store.recentChunks().contains(ids[v]), "version " + v + ", decoded on the way up, is held");
            }
            for (int v = VERSIONS - 3; v >= 0; v--) {
                assertTrue(store.recentChunks().contains(ids[v]), "version " + v + " is served from memory");
                stepBackTo(store, ids, versions, v);
            }
        }
    }

    /**
     * A reader stepping back looks past the versions it will find cheap to read for the first to
     * read ahead ({@link VersionsAhead#look}): held, the chunk at hand, or one link (a keyframe, a
     * delta on a version held). Without the last, stepping back through 32 BF16 steps with 100 ms
     * between them stopped looking at a run's version below which the one held had been evicted,
     * and the next run boundary decoded its run when the reader came (perf StepBackProbe: 197 ms
     * at main~16 where the other boundaries took 25-66).
     */
    @Test
    void aLookPastVersionsCountsWhatDecodesMoreThanOneLink() throws IOException {
        byte[][] versions = bf16Steps(new Random(22));
        ObjectId[] ids = commit(versions, 2);
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            VersionsAhead ahead = store.versionsAhead();
            assertFalse(ahead.look(java.util.List.of(new VersionsAhead.Wanted(ids[0], null)), 1), "the keyframe: one link");
            assertTrue(ahead.look(java.util.List.of(new VersionsAhead.Wanted(ids[2], null)), 1), "two deltas on the keyframe");
            assertFalse(ahead.look(java.util.List.of(new VersionsAhead.Wanted(ids[2], ids[2])), 1), "the chunk at hand");
            assertTrue(store.recentChunks().putAlong(ids[1], LEN, 3, a -> System.arraycopy(versions[1], 0, a, 0, LEN)));
            assertFalse(ahead.look(java.util.List.of(new VersionsAhead.Wanted(ids[2], null)), 1), "one delta on a version held");
            assertFalse(ahead.look(java.util.List.of(new VersionsAhead.Wanted(ids[1], null)), 1), "a version held");
            assertTrue(ahead.look(java.util.List.of(new VersionsAhead.Wanted(ids[1], null), new VersionsAhead.Wanted(ids[3], null)), 1),
                    "two deltas on it: one chunk of a version to read makes the version one to read");
        }
    }

    @Test
    void aReadWhoseChainRunsThroughAHeldVersionLeavesItHeld() throws IOException {
        byte[][] versions = bf16Steps(new Random(25));
        ObjectId[] ids = commit(versions, 2);
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            store.noteRestore();
            store.noteRestore();
            stepBackTo(store, ids, versions, VERSIONS - 2);
            for (int round = 0; round < 2; round++) { // (a commit's base is let go once taken; a plain read's is not)
                byte[] out = new byte[LEN];
                store.readChunk(ids[VERSIONS - 2], out, true); // no file at hand: decoded from the version below, held
                assertArrayEquals(versions[VERSIONS - 2], out);
                assertTrue(store.recentChunks().contains(ids[VERSIONS - 3]), "the version below is still held for the step back to it");
            }
        }
    }

    @Test
    void aReadWithNoFileAtHandKeepsTheVersionsBelowToo() throws IOException {
        byte[][] versions = bf16Steps(new Random(26));
        ObjectId[] ids = commit(versions, 2);
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            store.noteRestore();
            store.noteRestore(); // (a program loading checkpoints one after another: Repository.tensors)
            for (int v = VERSIONS - 1; v >= 0; v--) {
                if (v < VERSIONS - 1) {
                    assertTrue(store.recentChunks().contains(ids[v]), "version " + v + ", kept on the way up to the one before");
                }
                byte[] out = new byte[LEN];
                store.readChunk(ids[v], out, true); // no file at hand
                assertArrayEquals(versions[v], out, "version " + v);
            }
        }
    }

    @Test
    void aOneShotCheckoutKeepsNone() throws IOException {
        byte[][] versions = bf16Steps(new Random(22));
        ObjectId[] ids = commit(versions, 2);
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            store.noteRestore();
            stepBackTo(store, ids, versions, VERSIONS - 2);
            for (int v = 0; v < VERSIONS - 1; v++) {
                assertFalse(store.recentChunks().contains(ids[v]), "version " + v);
            }
        }
    }

    @Test
    void withLittleMemoryTheVersionsNearestTheOneReadStayAndEveryStepBackIsExact() throws IOException {
        byte[][] versions = bf16Steps(new Random(23));
        ObjectId[] ids = commit(versions, 2);
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            store.recentChunks().limitTo(4L * LEN); // four versions of the chunk
            store.noteRestore();
            store.noteRestore();
            stepBackTo(store, ids, versions, VERSIONS - 2);
            for (int v = 0; v < VERSIONS - 2; v++) {
                assertEquals(v >= VERSIONS - 6, store.recentChunks().contains(ids[v]), "version " + v + ": the oldest left first");
            }
            for (int v = VERSIONS - 3; v >= 0; v--) {
                stepBackTo(store, ids, versions, v);
            }
        }
    }

    @Test
    void whenMemoryHoldsLessThanTheChainsTheVersionsJustBelowAreHeldForEveryChunk() throws IOException {
        int chunks = 4;
        byte[][][] versions = new byte[chunks][][];
        ObjectId[][] ids = new ObjectId[chunks][];
        for (int c = 0; c < chunks; c++) {
            versions[c] = bf16Steps(new Random(30 + c));
            ids[c] = commit(versions[c], 2);
        }
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            store.recentChunks().limitTo(2L * chunks * LEN); // two versions of each chunk, of the six decoded on the way
            store.noteRestore();
            store.noteRestore();
            for (int c = 0; c < chunks; c++) {
                stepBackTo(store, ids[c], versions[c], VERSIONS - 2);
            }
            for (int c = 0; c < chunks; c++) {
                for (int v = 0; v < VERSIONS - 2; v++) {
                    assertEquals(v >= VERSIONS - 4, store.recentChunks().contains(ids[c][v]), "chunk " + c + " version " + v);
                }
            }
            for (int v = VERSIONS - 3; v >= 0; v--) {
                for (int c = 0; c < chunks; c++) {
                    stepBackTo(store, ids[c], versions[c], v);
                }
            }
        }
    }

    @Test
    void aChainWhoseDeltasAStepBackUndoesKeepsNone() throws IOException {
        byte[][] versions = fp32Steps(new Random(24));
        ObjectId[] ids = commit(versions, 4);
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            store.noteRestore();
            store.noteRestore();
            for (int v = VERSIONS - 2; v >= 0; v--) {
                stepBackTo(store, ids, versions, v);
            }
            assertEquals(VERSIONS - 2, store.readsFromHand(), "each step back but to the keyframe undid a delta of the file at hand");
            for (int v = 0; v < VERSIONS - 1; v++) {
                assertFalse(store.recentChunks().contains(ids[v]), "version " + v);
            }
        }
    }

    /**
     * With no file at hand (a program loading checkpoints going back, {@code Repository.tensors}),
     * there is nothing to undo an XOR delta from: the versions below those are kept too. Loading
     * 32 fp32 steps of the 84 MB MLP at once, each load decoded its run from the run's first
     * version: 469 MB/s over all (perf StepBackProbe ... load).
     */
    @Test
    void aReadWithNoFileAtHandKeepsTheVersionsBelowXorDeltasToo() throws IOException {
        byte[][] versions = fp32Steps(new Random(27));
        ObjectId[] ids = commit(versions, 4);
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            assertEquals(ChunkCodec.XOR_PLANES, store.storedDecision(ids[VERSIONS - 1], 4).codec(), "the case: XOR deltas");
            store.noteRestore();
            store.noteRestore();
            for (int v = VERSIONS - 1; v >= 0; v--) {
                if (v < VERSIONS - 1) {
                    assertTrue(store.recentChunks().contains(ids[v]), "version " + v + ", kept on the way up to the one before");
                }
                byte[] out = new byte[LEN];
                store.readChunk(ids[v], out, true);
                assertArrayEquals(versions[v], out, "version " + v);
            }
        }
    }

    /** fp32 weights moved by small steps: XOR deltas, which a step back from the version above undoes. */
    private static byte[][] fp32Steps(Random r) {
        byte[][] versions = new byte[VERSIONS][];
        versions[0] = new byte[LEN];
        ChunkChainDecodeTest.fillFloatLike(versions[0], 4, r);
        for (int v = 1; v < VERSIONS; v++) {
            versions[v] = versions[v - 1].clone();
            ChunkChainDecodeTest.floatStep(versions[v], 4, r);
        }
        return versions;
    }

    /** BF16 weights moved by small additive steps, as Adam moves them: zigzag deltas code them best. */
    private static byte[][] bf16Steps(Random r) {
        byte[][] versions = new byte[VERSIONS][];
        versions[0] = new byte[LEN];
        ChunkChainDecodeTest.fillFloatLike(versions[0], 2, r);
        for (int v = 1; v < VERSIONS; v++) {
            ByteBuffer b = ByteBuffer.wrap(versions[v - 1].clone()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < LEN; i += 2) {
                b.putShort(i, (short) (b.getShort(i) + r.nextInt(7) - 3));
            }
            versions[v] = b.array();
        }
        return versions;
    }
}
