package dev.coral.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.codec.ChunkBase;
import dev.coral.codec.ChunkCodec;
import dev.coral.codec.CodecWorkspace;
import dev.coral.codec.ChunkFormat;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Set;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Version histories of one chunk whose changes pull the encoder to every codec (XOR deltas for
 * small float steps, integer-difference deltas for counters, no delta for rewrites), so that the
 * chain reader meets keyframes of every form under chains that mix plane-space XOR links with
 * links that need raw bytes. Every version must read back bit-exact, cold and with the cache of
 * recently decoded chunks warm, in any order.
 */
class ChunkChainDecodeTest {
    @TempDir
    Path dir;

    static Stream<Long> seeds() {
        return new Random(20261130).longs(30).boxed();
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void everyVersionOfAMixedCodecChainReadsBackBitExact(long seed) throws IOException {
        Random r = new Random(seed);
        int[] widths = {1, 2, 4, 8};
        int w = widths[r.nextInt(widths.length)];
        int n = r.nextInt(5) == 0 ? r.nextInt(3) : 1 + r.nextInt(6000);
        byte[] cur = new byte[n * w];
        fillFloatLike(cur, w, r);
        List<byte[]> versions = new ArrayList<>();
        List<ObjectId> ids = new ArrayList<>();
        int depth = 1 + r.nextInt(8);
        int versionCount = 5 + r.nextInt(30);
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 2)) {
            try (ObjectInserter ins = store.newInserter()) {
                ins.setMaxChainDepth(depth);
                ObjectId prev = null;
                for (int v = 0; v < versionCount; v++) {
                    if (v > 0) {
                        cur = cur.clone();
                        mutate(cur, w, r);
                    }
                    versions.add(cur);
                    prev = ins.insertChunk(cur, 0, cur.length, w, prev);
                    ids.add(prev);
                    ins.flush(); // a version per commit: the next one finds this one as its base
                }
                ins.flush();
            }
        }
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 2)) {
            for (int i = versionCount - 1; i >= 0; i--) { // newest first: the recent-chunks cache is cold for each chain
                byte[] out = new byte[versions.get(i).length];
                store.readChunk(ids.get(i), out, true);
                assertArrayEquals(versions.get(i), out, "seed " + seed + " version " + i + " width " + w + " depth " + depth);
                assertTrue(store.chainDepth(ids.get(i)) <= depth, "seed " + seed + ": chain deeper than " + depth);
            }
            try (CodecWorkspace ws = new CodecWorkspace()) { // as a delta base: planes when the chain allows, else raw
                for (int i = versionCount - 1; i >= 0; i--) {
                    BaseBuffer buf = new BaseBuffer();
                    ChunkBase base = store.readChunkAsBase(ids.get(i), asBase(ids.get(i)), null, buf, ws);
                    byte[] out = new byte[versions.get(i).length];
                    base.copyRaw(0, out, 0, out.length);
                    assertArrayEquals(versions.get(i), out, "seed " + seed + " version " + i + " read as a base");
                }
            }
            try (CodecWorkspace ws = new CodecWorkspace()) { // as a delta base held in memory: served in the array that held it
                int i = r.nextInt(versionCount);
                int len = versions.get(i).length;
                store.recentChunks().put(ids.get(i), versions.get(i), 0, len, false);
                BaseBuffer buf = new BaseBuffer();
                byte[] own = buf.ofAtLeast(len);
                ChunkBase base = store.readChunkAsBase(ids.get(i), asBase(ids.get(i)), null, buf, ws);
                byte[] out = new byte[len];
                base.copyRaw(0, out, 0, len);
                assertArrayEquals(versions.get(i), out, "seed " + seed + " version " + i + " read as a base from memory");
                if (len > 0) {
                    assertNotSame(own, buf.ofAtLeast(len), "seed " + seed + ": the buffer took the held array in exchange");
                }
                assertFalse(store.recentChunks().contains(ids.get(i)), "served once");
            }
            store.noteChunksIngested(); // as in a training loop: decoded chunks are kept at hand from now on
            try (CodecWorkspace ws = new CodecWorkspace()) { // a base a later version needs too: kept from the recent chunks
                int i = r.nextInt(versionCount);
                int len = versions.get(i).length;
                store.recentChunks().put(ids.get(i), versions.get(i), 0, len, true);
                ChainShape keyframeServesRuns = new ChainShape(4, 2); // version 1's base, the keyframe, also serves versions 2, 4, 8
                for (int use = 0; use < 2; use++) {
                    BaseBuffer buf = new BaseBuffer();
                    ChunkBase base = store.readChunkAsBase(ids.get(i), new SkipDeltaBase(ids.get(i), 1, 1), keyframeServesRuns, buf, ws);
                    byte[] out = new byte[len];
                    base.copyRaw(0, out, 0, len);
                    assertArrayEquals(versions.get(i), out, "seed " + seed + " version " + i + " read as a base to keep, use " + use);
                    assertTrue(store.recentChunks().contains(ids.get(i)),
                            "seed " + seed + ": kept for the later version");
                }
                BaseBuffer buf = new BaseBuffer();
                ChunkBase last = store.readChunkAsBase(ids.get(i), new SkipDeltaBase(ids.get(i), 1, 8), keyframeServesRuns, buf, ws);
                byte[] out = new byte[len];
                last.copyRaw(0, out, 0, len);
                assertArrayEquals(versions.get(i), out, "seed " + seed + " version " + i + " read by its last user");
                assertFalse(store.recentChunks().contains(ids.get(i)), "seed " + seed + ": its last user took it");
            }
            for (int k = 0; k < versionCount; k++) { // random order: partly warm cache
                int i = r.nextInt(versionCount);
                byte[] out = new byte[versions.get(i).length];
                store.readChunk(ids.get(i), out, true);
                assertArrayEquals(versions.get(i), out, "seed " + seed + " version " + i + " (random order)");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void chainsMixXorAndSubtractionLinks(long seed) throws IOException {
        // A float-like chunk whose versions alternate small float steps and integer counters:
        // the store holds XOR_PLANES and SUB_PLANES links in one chain.
        Random r = new Random(seed);
        int n = 4096;
        byte[] cur = new byte[n * 4];
        fillFloatLike(cur, 4, r);
        List<byte[]> versions = new ArrayList<>();
        List<ObjectId> ids = new ArrayList<>();
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 2)) {
            try (ObjectInserter ins = store.newInserter()) {
                ins.setMaxChainDepth(6);
                ObjectId prev = null;
                for (int v = 0; v < 16; v++) {
                    if (v > 0) {
                        cur = cur.clone();
                        if (v % 2 == 0) {
                            floatStep(cur, 4, r);
                        } else {
                            addSmallIntegers(cur, 4, r);
                        }
                    }
                    versions.add(cur);
                    prev = ins.insertChunk(cur, 0, cur.length, 4, prev);
                    ids.add(prev);
                    ins.flush();
                }
                ins.flush();
            }
        }
        try (ObjectStore store = new ObjectStore(dir.resolve("packs"), 2)) {
            Set<ChunkCodec> deltaCodecs = EnumSet.noneOf(ChunkCodec.class);
            for (int i = versions.size() - 1; i >= 0; i--) {
                byte[] out = new byte[versions.get(i).length];
                store.readChunk(ids.get(i), out, true);
                assertArrayEquals(versions.get(i), out, "seed " + seed + " version " + i);
                ObjectStore.Found f = store.find(ids.get(i));
                if (f.entry().codec() == StoredForm.DELTA.code) {
                    byte[] p = f.pack().readPayload(f.entry());
                    deltaCodecs.add(ChunkFormat.describe(p, StoredForm.DELTA_PREFIX_BYTES, p.length - StoredForm.DELTA_PREFIX_BYTES).codec());
                }
            }
            assertTrue(deltaCodecs.containsAll(EnumSet.of(ChunkCodec.XOR_PLANES, ChunkCodec.SUB_PLANES)),
                    "seed " + seed + ": the history should hold both delta codecs, held " + deltaCodecs);
        }
    }

    private static void mutate(byte[] b, int w, Random r) {
        switch (r.nextInt(5)) {
            case 0 -> r.nextBytes(b); // rewrite: no delta pays
            case 1 -> addSmallIntegers(b, w, r);
            case 2 -> {
                for (int i = 0; i < 3 && b.length > 0; i++) {
                    b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8)); // a few flipped bits
                }
            }
            default -> floatStep(b, w, r);
        }
    }

    /** Elements near N(0, 0.05) in the top bits of each element (float-like exponents). */
    static void fillFloatLike(byte[] b, int w, Random r) {
        for (int i = 0; i + w <= b.length; i += w) {
            long bits = w == 4 ? Float.floatToRawIntBits((float) (r.nextGaussian() * 0.05)) & 0xFFFFFFFFL
                    : w == 8 ? Double.doubleToRawLongBits(r.nextGaussian() * 0.05)
                    : w == 2 ? (Float.floatToRawIntBits((float) (r.nextGaussian() * 0.05)) >>> 16) : r.nextInt(256);
            for (int k = 0; k < w; k++) {
                b[i + k] = (byte) (bits >>> (8 * k));
            }
        }
    }

    /** A small training step: low-order bits of most elements change, high bytes rarely. */
    static void floatStep(byte[] b, int w, Random r) {
        for (int i = 0; i + w <= b.length; i += w) {
            if (r.nextInt(4) != 0) {
                b[i] ^= (byte) r.nextInt(256);
                if (w > 2 && r.nextInt(3) == 0) {
                    b[i + 1] ^= (byte) r.nextInt(16);
                }
            }
        }
    }

    /** Adds small integers to the little-endian elements (counters): integer difference wins. */
    static void addSmallIntegers(byte[] b, int w, Random r) {
        for (int i = 0; i + w <= b.length; i += w) {
            long v = 0;
            for (int k = 0; k < w; k++) {
                v |= (b[i + k] & 0xFFL) << (8 * k);
            }
            v += 1 + r.nextInt(200);
            for (int k = 0; k < w; k++) {
                b[i + k] = (byte) (v >>> (8 * k));
            }
        }
    }


    /** A plan whose base is {@code id}, laid out by no chain shape: nothing later needs the base. */
    private static SkipDeltaBase asBase(ObjectId id) {
        return new SkipDeltaBase(id, 1, 1);
    }
}
