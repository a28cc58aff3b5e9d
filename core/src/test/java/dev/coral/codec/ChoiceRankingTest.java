package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.codec.ChunkCodec.EncodedChunk;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * The sampled chooser ranks the candidates of a chunk with a base by a cheap estimate and
 * estimates only the likely winners in full. What it must not lose: the size its own rule
 * reaches on every candidate's full encoding (the smallest, with the margins SUB and zigzag
 * deltas must win by), and the chunk alone where its sample flattered a delta.
 */
class ChoiceRankingTest {
    private static final CodecWorkspace WS = new CodecWorkspace();
    /** How far above the payload the rule picks from full encodings the sampled one may come out. */
    private static final double WITHIN = 1.03;

    @AfterAll
    static void closeWorkspace() {
        WS.close();
    }

    /** Adam steps of BF16, fp32 and fp64 weights, from a few hundred elements to past the sample's 64 KiB. */
    @RepeatedTest(6)
    void rankedChoiceStoresWhatAFullChoiceStores(RepetitionInfo rep) throws Exception {
        long seed = 0x5EED_0000L + rep.getCurrentRepetition();
        SplittableRandom r = new SplittableRandom(seed);
        int[] sizes = {300, 4096, 16_384, 50_000, 200_000};
        for (int w : new int[] {2, 4, 8}) {
            int n = sizes[r.nextInt(sizes.length)] / w + r.nextInt(64);
            boolean mixed = r.nextBoolean();
            byte[][] h = CodecTestData.adamHistory(w, n, 3, r.nextLong(), mixed);
            for (int s = 1; s < h.length; s++) {
                EncodedChunk sampled = ChunkEncoder.encodeBest(h[s], 0, h[s].length, w, h[s - 1], 0, 1, ChunkEncoder.Choice.SAMPLED, WS);
                long[] full = fullChoice(h[s], h[s - 1], w);
                String what = "seed " + seed + ", width " + w + ", " + n + " elements" + (mixed ? " of mixed magnitudes" : "") + ", step " + s
                        + ": sampled " + sampled.codec() + " " + sampled.length() + " bytes, the margins on full sizes "
                        + ChunkCodec.values()[(int) full[1]] + " " + full[0];
                assertTrue(sampled.length() <= full[0] * WITHIN + 64, what);
                assertArrayEquals(h[s], ChunkDecoder.decode(sampled.data(), h[s - 1], h[s].length), what);
            }
        }
    }

    /**
     * The chooser's rule applied to every candidate's full encoding: the smallest without a delta,
     * then XOR where smaller, SUB and zigzag where smaller by their margins. Returns {size, codec ordinal}.
     */
    private static long[] fullChoice(byte[] raw, byte[] base, int w) {
        ChunkCodec pick = ChunkCodec.RAW;
        long best = ChunkEncoder.encode(ChunkCodec.RAW, raw, 0, raw.length, w, null, 1).length();
        for (ChunkCodec c : new ChunkCodec[] {ChunkCodec.ZSTD, ChunkCodec.PLANES, ChunkCodec.XOR_PLANES}) {
            long n = ChunkEncoder.encode(c, raw, 0, raw.length, w, base, 0, 1, WS).length();
            if (n < best) {
                pick = c;
                best = n;
            }
        }
        long sub = ChunkEncoder.encode(ChunkCodec.SUB_PLANES, raw, 0, raw.length, w, base, 0, 1, WS).length();
        if (sub * 100 < best * (100 - ChunkEncoder.SUB_GAIN_PERCENT)) {
            pick = ChunkCodec.SUB_PLANES;
            best = sub;
        }
        long zigzag = ChunkEncoder.encode(ChunkCodec.ZIGZAG_PLANES, raw, 0, raw.length, w, base, 0, 1, WS).length();
        if (zigzag * 100 < best * (100 - ChunkEncoder.ZIGZAG_GAIN_PERCENT)) {
            pick = ChunkCodec.ZIGZAG_PLANES;
            best = zigzag;
        }
        return new long[] {best, pick.ordinal()};
    }

    /**
     * A chunk whose sample stripes are a training step of the base's, and whose rest is
     * quantized weights (a few values: top planes the chunk alone codes to a fraction) over
     * random bytes in the base: the ranking sees a delta far below the chunk alone and skips the
     * candidates without a delta, the delta comes out near the chunk's size, and the chooser
     * then estimates and encodes the chunk alone and keeps it.
     */
    @Test
    void aSampleThatFlattersTheDeltaIsCheckedAgainstTheChunkAlone() throws Exception {
        int w = 4;
        int len = 1 << 20;
        int elems = len / w;
        SplittableRandom r = new SplittableRandom(11);
        byte[][] h = CodecTestData.adamHistory(w, elems, 2, 12, false);
        byte[] base = new byte[len];
        r.nextBytes(base);
        java.nio.ByteBuffer quantized = java.nio.ByteBuffer.allocate(len).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < elems; i++) {
            quantized.putFloat((r.nextInt(17) - 8) * 0.125f);
        }
        byte[] raw = quantized.array();
        int stripeElems = ChunkEncoder.SAMPLE_BYTES / w / ChunkEncoder.STRIPES;
        for (int s = 0; s < ChunkEncoder.STRIPES; s++) { // the sampler's stripes
            int from = (int) ((long) (elems - stripeElems) * s / (ChunkEncoder.STRIPES - 1)) * w;
            System.arraycopy(h[0], from, base, from, stripeElems * w);
            System.arraycopy(h[1], from, raw, from, stripeElems * w);
        }
        EncodedChunk best = ChunkEncoder.encodeBest(raw, 0, len, w, base, 0, 1, ChunkEncoder.Choice.SAMPLED, WS);
        EncodedChunk xor = ChunkEncoder.encode(ChunkCodec.XOR_PLANES, raw, 0, len, w, base, 0, 1, WS);
        EncodedChunk planes = ChunkEncoder.encode(ChunkCodec.PLANES, raw, 0, len, w, null, 1);
        String what = best.codec() + " " + best.length() + " bytes, XOR " + xor.length() + ", PLANES " + planes.length();
        assertTrue(planes.length() * 100L < xor.length() * 90L, "the chunk alone is smaller: " + what);
        assertTrue(best.length() <= planes.length() * WITHIN, what);
        assertArrayEquals(raw, ChunkDecoder.decode(best.data(), base, len), what);
    }

    /** Unrelated bases: no delta ranks clear, the chunk alone is estimated in full and chosen. */
    @Test
    void anUnrelatedBaseLeavesTheChunkAlone() throws Exception {
        for (int w : new int[] {2, 4}) {
            byte[][] a = CodecTestData.adamHistory(w, 30_000, 1, 21 + w, false);
            byte[][] b = CodecTestData.adamHistory(w, 30_000, 1, 31 + w, false);
            EncodedChunk best = ChunkEncoder.encodeBest(a[0], 0, a[0].length, w, b[0], 0, 1, ChunkEncoder.Choice.SAMPLED, WS);
            EncodedChunk planes = ChunkEncoder.encode(ChunkCodec.PLANES, a[0], 0, a[0].length, w, null, 1);
            String what = "width " + w + ": " + best.codec() + " " + best.length() + " bytes, PLANES " + planes.length();
            assertTrue(best.length() <= planes.length() * WITHIN, what);
            assertArrayEquals(a[0], ChunkDecoder.decode(best.data(), b[0], a[0].length), what);
        }
    }
}
