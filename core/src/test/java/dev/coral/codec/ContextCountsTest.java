package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * Counts made ahead on another thread ({@link ContextCounts}) code a plane to exactly the bytes
 * the encoder makes counting it itself, and are used only for the plane, width and length they
 * were made for.
 */
class ContextCountsTest {
    private static final int MIN = 2 * ContextHuffman.MIN_GROUP;

    @RepeatedTest(10)
    void countedAheadAChunkEncodesToTheSameBytes(RepetitionInfo rep) {
        long seed = 900 + rep.getCurrentRepetition();
        SplittableRandom r = new SplittableRandom(seed);
        int w = rep.getCurrentRepetition() % 2 == 0 ? 4 : 2;
        int n = MIN + r.nextInt(120_000);
        byte[][] h = CodecTestData.adamHistory(w, n, 2, seed, r.nextBoolean());
        int off = r.nextInt(9);
        byte[] raw = new byte[off + n * w];
        System.arraycopy(h[1], 0, raw, off, n * w);
        ChunkBase base = ChunkBase.ofRaw(h[0], 0, n * w);
        CodecWorkspace plain = new CodecWorkspace();
        ChunkCodec.EncodedChunk expected = ChunkEncoder.encodeBest(raw, off, n * w, w, base, 1, ChunkEncoder.Choice.SAMPLED, plain);
        ContextCounts counts = new ContextCounts();
        CodecWorkspace ahead = new CodecWorkspace();
        ahead.offerContextCounts(counts, CompletableFuture.completedFuture(counts.count(raw, off, n * w, w, base)));
        ChunkCodec.EncodedChunk got = ChunkEncoder.encodeBest(raw, off, n * w, w, base, 1, ChunkEncoder.Choice.SAMPLED, ahead);
        assertEquals(expected.codec(), got.codec(), "seed " + seed);
        assertArrayEquals(Arrays.copyOf(expected.data(), expected.length()), Arrays.copyOf(got.data(), got.length()), "seed " + seed);
        assertTrue(counts.fits(n, w, ContextCounts.PLANE));
        assertEquals(PlaneMode.CONTEXT_HUFFMAN.id(), got.data()[ChunkFormat.HEADER_BYTES + ChunkFormat.PLANE_ENTRY_BYTES] & 0xFF,
                "seed " + seed + ": plane 1 was context coded, so the counts were used");
    }

    @RepeatedTest(10)
    void countedAndSplitInOnePassAsInTwo(RepetitionInfo rep) {
        long seed = 950 + rep.getCurrentRepetition();
        SplittableRandom r = new SplittableRandom(seed);
        int w = rep.getCurrentRepetition() % 3 == 0 ? 2 : 4;
        int n = MIN + r.nextInt(70_000); // any count: the fused loop's tail of under 8 elements too
        byte[][] h = CodecTestData.adamHistory(w, n, 2, seed, r.nextBoolean());
        int off = r.nextInt(9);
        byte[] raw = new byte[off + n * w];
        System.arraycopy(h[1], 0, raw, off, n * w);
        int bo = r.nextInt(5);
        byte[] baseBytes = new byte[bo + n * w];
        System.arraycopy(h[0], 0, baseBytes, bo, n * w);
        ChunkBase base = ChunkBase.ofRaw(baseBytes, bo, n * w);
        ContextCounts apart = new ContextCounts();
        assertTrue(apart.count(raw, off, n * w, w, base));
        byte[] planes = new byte[n * w];
        PlaneTransform.split(raw, off, baseBytes, bo, n, w, PlaneTransform.XOR, planes, 0);

        ContextCounts fused = new ContextCounts();
        XorPlanesAhead ahead = new XorPlanesAhead();
        assertTrue(fused.countAndSplit(raw, off, n * w, w, base, ahead), "seed " + seed);
        assertArrayEquals(planes, Arrays.copyOf(ahead.planes(n, w), n * w), "seed " + seed + ": planes");
        assertEquals(apart.groups(), fused.groups(), "seed " + seed);
        assertArrayEquals(Arrays.copyOf(apart.keys(), n), Arrays.copyOf(fused.keys(), n), "seed " + seed + ": keys");
        assertArrayEquals(apart.hist(), fused.hist(), "seed " + seed + ": counts");
        assertArrayEquals(apart.bounds(), fused.bounds(), "seed " + seed + ": groups");

        CodecWorkspace plain = new CodecWorkspace();
        plain.setContextCoding(true);
        ChunkCodec.EncodedChunk expected = ChunkEncoder.encodeBest(raw, off, n * w, w, base, 1, ChunkEncoder.Choice.SAMPLED, plain);
        CodecWorkspace both = new CodecWorkspace();
        both.setContextCoding(true);
        both.offerContextCounts(fused, CompletableFuture.completedFuture(true));
        both.offerXorPlanes(ahead);
        ChunkCodec.EncodedChunk got = ChunkEncoder.encodeBest(raw, off, n * w, w, base, 1, ChunkEncoder.Choice.SAMPLED, both);
        assertArrayEquals(Arrays.copyOf(expected.data(), expected.length()), Arrays.copyOf(got.data(), got.length()), "seed " + seed);
    }

    @Test
    void countsAreMadeOnlyWhereTheyApply() {
        byte[][] h = CodecTestData.adamHistory(4, MIN, 2, 5, false);
        ContextCounts c = new ContextCounts();
        assertTrue(c.count(h[1], 0, h[1].length, 4, ChunkBase.ofRaw(h[0], 0, h[0].length)));
        assertFalse(c.fits(MIN, 4, 0), "another plane");
        assertFalse(c.fits(MIN, 2, 1), "another width");
        assertFalse(c.fits(MIN - 1, 4, 1), "another length");
        assertFalse(c.count(h[1], 0, h[1].length, 8, ChunkBase.ofRaw(h[0], 0, h[0].length)), "fp64: not counted ahead");
        assertFalse(c.fits(MIN, 4, 1), "a count that did not apply holds nothing");
        assertFalse(c.count(h[1], 0, 4 * (MIN - 4), 4, ChunkBase.ofRaw(h[0], 0, 4 * (MIN - 4))), "too small to be context coded");
        assertFalse(c.count(h[1], 0, h[1].length, 4, null));
        XorPlanesAhead p = new XorPlanesAhead();
        assertTrue(c.countAndSplit(h[1], 0, h[1].length, 4, ChunkBase.ofRaw(h[0], 0, h[0].length), p));
        assertFalse(c.countAndSplit(h[1], 0, h[1].length, 8, ChunkBase.ofRaw(h[0], 0, h[0].length), p), "fp64");
        assertEquals(null, p.planes(MIN, 4), "counts that did not apply leave no planes held");
        assertEquals(null, p.planes(MIN / 2, 8));
        byte[] planes = new byte[h[0].length];
        PlaneTransform.split(h[0], 0, null, 0, MIN, 4, PlaneTransform.NONE, planes, 0);
        assertFalse(c.count(h[1], 0, h[1].length, 4, ChunkBase.ofPlanes(planes, 4, planes.length)), "a base held as planes");
        CodecWorkspace ws = new CodecWorkspace();
        assertEquals(null, ws.contextCounts(MIN, 4, 1), "none offered");
        ws.offerContextCounts(c, CompletableFuture.failedFuture(new IllegalStateException("the counting thread failed")));
        assertEquals(null, ws.contextCounts(MIN, 4, 1), "a failed count: counted again by the encoder");
        ws.withdrawContextCounts();
        assertEquals(null, ws.contextCounts(MIN, 4, 1));
    }
}
