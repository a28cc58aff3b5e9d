package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.error.CorruptObjectException;
import dev.coral.error.MissingObjectException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ObjectStoreTest {
    @TempDir
    Path dir;

    static Stream<Long> seeds() {
        return new Random(20261123).longs(25).boxed();
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void chunksRoundTripBitExactWhateverTheirContent(long seed) throws IOException {
        Random r = new Random(seed);
        List<byte[]> chunks = new ArrayList<>();
        List<ObjectId> ids = new ArrayList<>();
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1 + r.nextInt(5))) {
            try (ObjectInserter ins = store.newInserter()) {
                for (int i = 0; i < 1 + r.nextInt(20); i++) {
                    byte[] b = new byte[r.nextInt(3) == 0 ? r.nextInt(4) : r.nextInt(20_000)];
                    if (r.nextBoolean()) {
                        r.nextBytes(b); // incompressible: stored raw
                    } else {
                        for (int k = 0; k < b.length; k++) {
                            b[k] = (byte) (k % 7); // compressible: zstd
                        }
                    }
                    chunks.add(b);
                    ids.add(ins.insertChunk(b, 0, b.length));
                }
                ins.flush();
            }
        }
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 3)) {
            for (int i = 0; i < chunks.size(); i++) {
                byte[] out = new byte[chunks.get(i).length];
                assertEquals(out.length, store.readChunk(ids.get(i), out, true), "seed " + seed);
                assertArrayEquals(chunks.get(i), out, "seed " + seed + " chunk " + i);
            }
        }
    }

    @Test
    void unflushedInsertsLeaveNoPackBehind() throws IOException {
        try (ObjectStore store = new ObjectStore(dir, 3)) {
            ObjectId id;
            try (ObjectInserter ins = store.newInserter()) {
                id = ins.insertChunk(new byte[100], 0, 100);
            }
            assertThrows(MissingObjectException.class, () -> store.rawLength(id));
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(0, s.count(), "the temporary pack is deleted");
            }
        }
    }

    @Test
    void everyFlippedByteInAPackIsDetected() throws IOException {
        byte[] data = new byte[3000];
        new Random(1).nextBytes(data);
        ObjectId id;
        try (ObjectStore store = new ObjectStore(dir, 3)) {
            try (ObjectInserter ins = store.newInserter()) {
                id = ins.insertChunk(data, 0, data.length);
                ins.flush();
            }
        }
        Path pack;
        try (Stream<Path> s = Files.list(dir)) {
            pack = s.filter(p -> p.toString().endsWith(".pack")).findFirst().orElseThrow();
        }
        byte[] original = Files.readAllBytes(pack);
        Random r = new Random(7);
        for (int trial = 0; trial < 40; trial++) {
            // Flip a byte inside the entry (after the 12-byte pack header, before the 16-byte trailer).
            int at = 12 + r.nextInt(original.length - 12 - 16);
            byte[] bad = original.clone();
            bad[at] ^= (byte) (1 + r.nextInt(255));
            Files.write(pack, bad);
            try (ObjectStore store = new ObjectStore(dir, 3)) {
                CorruptObjectException e = assertThrows(CorruptObjectException.class,
                        () -> store.readChunk(id, new byte[data.length], false), "flip at " + at);
                assertTrue(e.getMessage().contains(pack.getFileName().toString()), e.getMessage());
            }
        }
        Files.write(pack, original);
    }

    /**
     * A delta chain's links are checked once, by their pack entries' checksums (the frame CRC
     * inside each payload is not computed again on that path): a flipped byte anywhere in any
     * link still fails the read of the chunk on top, naming the pack.
     */
    @Test
    void everyFlippedByteInADeltaChainIsDetected() throws IOException {
        int n = 16384;
        java.nio.ByteBuffer w = java.nio.ByteBuffer.allocate(4 * n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        Random g = new Random(3);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (g.nextGaussian() * 0.05);
        }
        ObjectId top = null;
        byte[] last = null;
        List<ObjectId> versions = new java.util.ArrayList<>();
        try (ObjectStore store = new ObjectStore(dir, 3); ObjectInserter ins = store.newInserter()) {
            for (int version = 0; version < 4; version++) {
                w.clear();
                for (int i = 0; i < n; i++) {
                    v[i] -= (float) (1e-3 * g.nextGaussian() * 0.05);
                    w.putFloat(v[i]);
                }
                last = w.array().clone();
                top = ins.insertChunk(last, 0, last.length, 4, top);
                ins.flush(); // a pack per version, as commits make them
                versions.add(top);
            }
            assertEquals(2, store.chainDepth(top), "two deltas on a keyframe (skip-delta: 3 on 2 on 0)");
            for (int version = 0; version < 4; version++) {
                assertEquals(version, store.chainSequence(versions.get(version)), "version " + version + " since its keyframe");
            }
            assertEquals(versions.get(2), store.deltaBase(top));
        }
        List<Path> chain = new java.util.ArrayList<>(); // the packs of versions 3, 2 and 0
        try (ObjectStore store = new ObjectStore(dir, 3)) {
            for (int version : new int[] {3, 2, 0}) {
                chain.add(dir.resolve(PackLayout.packFileName(store.packOf(versions.get(version)))));
            }
        }
        Random r = new Random(11);
        for (int trial = 0; trial < 60; trial++) {
            Path pack = chain.get(trial % 3);
            byte[] original = Files.readAllBytes(pack);
            int at = 12 + r.nextInt(original.length - 12 - 16);
            byte[] bad = original.clone();
            bad[at] ^= (byte) (1 + r.nextInt(255));
            Files.write(pack, bad);
            ObjectId id = top;
            try (ObjectStore store = new ObjectStore(dir, 3)) {
                CorruptObjectException e = assertThrows(CorruptObjectException.class,
                        () -> store.readChunk(id, new byte[4 * n], false), "flip at " + at);
                assertTrue(e.getMessage().contains(pack.getFileName().toString()), e.getMessage());
            }
            Files.write(pack, original);
        }
        try (ObjectStore store = new ObjectStore(dir, 3)) {
            byte[] back = new byte[4 * n];
            store.readChunk(top, back, true);
            assertArrayEquals(last, back);
        }
    }

    @Test
    void aDamagedPackIndexIsSkippedAndNamed() throws IOException {
        ObjectId id;
        try (ObjectStore store = new ObjectStore(dir, 3); ObjectInserter ins = store.newInserter()) {
            id = ins.insertChunk(new byte[10], 0, 10);
            ins.flush();
        }
        Path idx;
        try (Stream<Path> s = Files.list(dir)) {
            idx = s.filter(p -> p.toString().endsWith(".idx")).findFirst().orElseThrow();
        }
        byte[] b = Files.readAllBytes(idx);
        b[b.length / 2] ^= 1;
        Files.write(idx, b);
        try (ObjectStore store = new ObjectStore(dir, 3)) {
            MissingObjectException e = assertThrows(MissingObjectException.class, () -> store.rawLength(id));
            assertTrue(e.getMessage().contains(idx.getFileName().toString()) && e.getMessage().contains("checksum")
                    && e.getMessage().contains("fsck --rebuild-index"), e.getMessage());
        }
    }

    @Test
    void identicalContentIsStoredOnceAcrossInserters() throws IOException {
        byte[] b = new byte[5000];
        new Random(3).nextBytes(b);
        try (ObjectStore store = new ObjectStore(dir, 3)) {
            try (ObjectInserter ins = store.newInserter()) {
                ins.insertChunk(b, 0, b.length);
                ins.insertChunk(b, 0, b.length);
                assertEquals(1, ins.chunksWritten());
                ins.flush();
            }
            try (ObjectInserter ins = store.newInserter()) {
                ins.insertChunk(b, 0, b.length);
                assertEquals(0, ins.chunksWritten());
                assertEquals(1, ins.chunksDeduplicated());
                ins.flush();
            }
            assertEquals(1, store.packIndexes().size(), "an inserter with nothing new writes no pack");
        }
    }

    @Test
    void newChunksAreKeptAtHandOnlyOnceTheStoreHasIngestedBefore() throws IOException {
        Random r = new Random(5);
        byte[] v0 = new byte[1 << 14];
        ChunkChainDecodeTest.fillFloatLike(v0, 4, r);
        ObjectId id0;
        try (ObjectStore earlier = new ObjectStore(dir.resolve("packs"), 1)) {
            id0 = commitVersion(earlier, v0, null); // an earlier process
        }
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 1)) {
            byte[] v1 = nextStep(v0, r);
            ObjectId id1 = commitVersion(store, v1, id0);
            assertTrue(!store.recentChunks().contains(id1), "a first commit (a one-shot process) keeps no copies");
            byte[] v2 = nextStep(v1, r);
            ObjectId id2 = commitVersion(store, v2, id1);
            assertTrue(store.recentChunks().contains(id2), "a store that ingested before keeps the next version's base");
            byte[] out = new byte[v2.length];
            store.readChunk(id2, out, true);
            assertArrayEquals(v2, out);
        }
    }

    private static byte[] nextStep(byte[] v, Random r) {
        byte[] next = v.clone();
        ChunkChainDecodeTest.floatStep(next, 4, r);
        return next;
    }

    /** Stores one version of a fp32 chunk through an inserter of its own, flushed. */
    private static ObjectId commitVersion(ObjectStore store, byte[] v, ObjectId previous) throws IOException {
        try (ObjectInserter ins = store.newInserter()) {
            ObjectId id = ins.insertChunk(v, 0, v.length, 4, previous);
            ins.flush();
            return id;
        }
    }
}
