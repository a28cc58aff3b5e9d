package dev.coral.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coral.codec.ChunkCodec.EncodedChunk;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * {@link ChunkCodec#ZIGZAG_PLANES}: the integer difference of each element and its base, the sign
 * moved to the lowest bit. Every width round-trips in {@link CodecRoundTripTest} and
 * {@link PlaneTransformTest}; here: the word-at-a-time zigzag of 16- and 32-bit lanes against one
 * lane at a time, the chooser's pick on Adam steps (BF16 by zigzag difference, fp32 by XOR, as
 * {@link ChunkEncoder#ZIGZAG_GAIN_PERCENT} intends), context coding in such a delta, and a chain of
 * zigzag links, which a read merges link by link and a checkout does not undo.
 */
class ZigzagDeltaTest {
    private static final CodecWorkspace WS = new CodecWorkspace();

    @AfterAll
    static void closeWorkspace() {
        WS.close();
    }

    @RepeatedTest(10)
    void lanesZigzagAsEachLaneAlone() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom r = new SplittableRandom(seed);
        for (int t = 0; t < 10_000; t++) {
            long v = t % 4 == 0 ? r.nextLong() : t % 4 == 1 ? 0x8000_8000_8000_8000L ^ r.nextLong() & 0x0001_FFFF_0001_FFFFL
                    : t % 4 == 2 ? -1L : r.nextInt(3) - 1;
            long z16 = 0;
            long z32 = 0;
            for (int lane = 0; lane < 4; lane++) {
                int d = (short) (v >>> 16 * lane);
                z16 |= ((long) (d << 1 ^ d >> 15) & 0xFFFF) << 16 * lane;
            }
            for (int lane = 0; lane < 2; lane++) {
                int d = (int) (v >>> 32 * lane);
                z32 |= ((long) (d << 1 ^ d >> 31) & 0xFFFF_FFFFL) << 32 * lane;
            }
            String what = "seed " + seed + ", " + Long.toHexString(v);
            assertEquals(z16, PlaneTransform.zigzag16(v), what);
            assertEquals(v, PlaneTransform.unzigzag16(z16), what);
            assertEquals(z32, PlaneTransform.zigzag32(v), what);
            assertEquals(v, PlaneTransform.unzigzag32(z32), what);
            assertEquals(v, PlaneTransform.unzigzag64(PlaneTransform.zigzag64(v)), what);
        }
        assertEquals(1L, PlaneTransform.zigzag64(-1L));
        assertEquals(2L, PlaneTransform.zigzag64(1L));
        assertEquals(0x0001_0002_0003_0000L, PlaneTransform.zigzag16(0xFFFF_0001_FFFE_0000L));
    }

    @Test
    void bf16AdamStepsAreZigzagDeltasAndFp32StepsXor() throws Exception {
        for (int w : new int[] {2, 4}) {
            byte[][] h = CodecTestData.adamHistory(w, 1 << 18, 4, 40 + w, false);
            for (int s = 1; s < h.length; s++) {
                EncodedChunk best = ChunkEncoder.encodeBest(h[s], 0, h[s].length, w, h[s - 1], 0, 1, ChunkEncoder.Choice.SAMPLED, WS);
                EncodedChunk xor = ChunkEncoder.encode(ChunkCodec.XOR_PLANES, h[s], 0, h[s].length, w, h[s - 1], 0, 1, WS);
                EncodedChunk zigzag = ChunkEncoder.encode(ChunkCodec.ZIGZAG_PLANES, h[s], 0, h[s].length, w, h[s - 1], 0, 1, WS);
                String what = "width " + w + ", step " + s + ": XOR " + xor.length() + ", zigzag " + zigzag.length() + " bytes";
                if (w == 2) {
                    assertEquals(ChunkCodec.ZIGZAG_PLANES, best.codec(), what);
                    assertTrue(zigzag.length() * 100L < xor.length() * (100L - ChunkEncoder.ZIGZAG_GAIN_PERCENT), what);
                } else {
                    assertEquals(ChunkCodec.XOR_PLANES, best.codec(), what);
                }
                assertEquals(PlaneMode.CONTEXT_HUFFMAN, ChunkFormat.planeModes(zigzag.data(), 0, zigzag.length()).get(1),
                        what + ": plane 1 coded by the base's exponent");
                assertArrayEquals(h[s], ChunkDecoder.decode(zigzag.data(), h[s - 1], h[s].length), what);
                assertArrayEquals(h[s], ChunkDecoder.decode(best.data(), h[s - 1], h[s].length), what);
            }
        }
    }

    /** With zigzag deltas turned off in the workspace, neither chooser picks one, even where it is smaller. */
    @Test
    void turnedOffNeitherChooserPicksZigzag() throws Exception {
        byte[][] h = CodecTestData.adamHistory(2, 1 << 16, 2, 5, false);
        try (CodecWorkspace ws = new CodecWorkspace()) {
            ws.setZigzagDeltas(false);
            for (ChunkEncoder.Choice choice : ChunkEncoder.Choice.values()) {
                EncodedChunk e = ChunkEncoder.encodeBest(h[1], 0, h[1].length, 2, h[0], 0, 1, choice, ws);
                assertTrue(e.codec() != ChunkCodec.ZIGZAG_PLANES, choice + ": " + e.codec());
                assertArrayEquals(h[1], ChunkDecoder.decode(e.data(), h[0], h[1].length), choice.toString());
            }
            ws.setZigzagDeltas(true);
            assertEquals(ChunkCodec.ZIGZAG_PLANES,
                    ChunkEncoder.encodeBest(h[1], 0, h[1].length, 2, h[0], 0, 1, ChunkEncoder.Choice.EXHAUSTIVE, ws).codec());
        }
    }

    /** Steps against the one before, all zigzag: decoded link by link from the keyframe, never undone in plane space. */
    @Test
    void aChainOfZigzagLinksDecodesLinkByLink() throws Exception {
        int w = 2;
        byte[][] h = CodecTestData.adamHistory(w, 40_000, 8, 77, false);
        byte[] at = ChunkDecoder.decode(ChunkEncoder.encode(ChunkCodec.PLANES, h[0], 0, h[0].length, w, null, 1).data(), null, h[0].length);
        for (int s = 1; s < h.length; s++) {
            EncodedChunk e = ChunkEncoder.encode(ChunkCodec.ZIGZAG_PLANES, h[s], 0, h[s].length, w, h[s - 1], 0, 1, WS);
            at = ChunkDecoder.decode(e.data(), at, h[s].length);
            assertArrayEquals(h[s], at, "step " + s);
            byte[] planes = new byte[h[s].length];
            PlaneTransform.split(h[s], 0, null, 0, h[s].length / w, w, PlaneTransform.NONE, planes, 0);
            byte[] before = planes.clone();
            assertFalse(ChunkDecoder.undoInPlaneSpace(e.data(), 0, e.length(), h[s].length, w, planes, WS, false), "step " + s);
            assertArrayEquals(before, planes, "step " + s + ": untouched");
        }
    }

    /**
     * A chain of zigzag links, and one mixing XOR and zigzag links, decoded in plane space (each
     * link into the chain's planes, one merge at the end) gives every version, as link-by-link
     * decoding does: BF16 Adam steps (context-coded planes), and random walks of every width
     * plane space takes zigzag links of (1, 2, 4, 8 bytes).
     */
    @RepeatedTest(6)
    void zigzagLinksDecodeInPlaneSpace(org.junit.jupiter.api.RepetitionInfo rep) throws Exception {
        long seed = 0xC0FFEEL + rep.getCurrentRepetition();
        SplittableRandom r = new SplittableRandom(seed);
        for (int w : new int[] {2, 1, 4, 8}) {
            byte[][] h = w == 2 ? CodecTestData.adamHistory(w, 30_000 + r.nextInt(2000), 7, seed, false) : randomWalk(w, 5000 + r.nextInt(300), 7, r);
            int n = h[0].length / w;
            byte[] planes = new byte[h[0].length];
            byte[] key = ChunkEncoder.encode(ChunkCodec.PLANES, h[0], 0, h[0].length, w, null, 1).data();
            assertEquals(w, ChunkDecoder.planeSpaceWidth(key, 0, key.length, false));
            ChunkDecoder.decodeInPlaneSpace(key, 0, key.length, h[0].length, w, planes, WS);
            boolean mixed = rep.getCurrentRepetition() % 2 == 0;
            for (int s = 1; s < h.length; s++) {
                ChunkCodec codec = mixed && s % 3 == 0 ? ChunkCodec.XOR_PLANES : ChunkCodec.ZIGZAG_PLANES;
                EncodedChunk e = ChunkEncoder.encode(codec, h[s], 0, h[s].length, w, h[s - 1], 0, 1, WS);
                byte[] p = java.util.Arrays.copyOf(e.data(), e.length());
                assertEquals(w, ChunkDecoder.planeSpaceWidth(p, 0, p.length, true), codec + " width " + w);
                ChunkDecoder.decodeInPlaneSpace(p, 0, p.length, h[s].length, w, planes, WS);
                byte[] merged = new byte[h[s].length];
                ChunkDecoder.mergePlanes(planes, h[s].length, w, merged);
                assertArrayEquals(h[s], merged, "seed " + seed + " width " + w + " step " + s + " (" + codec + ", n " + n + ")");
            }
        }
    }

    /** Versions of w-byte little-endian integers, each element stepping by a small amount either way (wrapping at the ends). */
    private static byte[][] randomWalk(int w, int n, int steps, SplittableRandom r) {
        byte[][] h = new byte[steps][n * w];
        for (int i = 0; i < n * w; i++) {
            h[0][i] = (byte) r.nextInt(256);
        }
        for (int s = 1; s < steps; s++) {
            for (int i = 0; i < n; i++) {
                long v = 0;
                for (int k = w - 1; k >= 0; k--) {
                    v = v << 8 | h[s - 1][i * w + k] & 0xFF;
                }
                v += r.nextInt(7) - 3;
                for (int k = 0; k < w; k++) {
                    h[s][i * w + k] = (byte) (v >>> 8 * k);
                }
            }
        }
        return h;
    }
}
